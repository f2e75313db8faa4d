//! What the request handlers share ([`ServerState`]): the store under its
//! lock, the data directory, and the handling of one call (protocol checks,
//! authorization, dispatch to the wire layer, commit).

use super::ServerConfig;
use super::keygen::{Handoff, KeyGenerator, requested_rsa_spec};
use super::sts::{StsResponse, sts_query};
use crate::api::WrappingKeySpec;
use crate::authz::{self, Identities};
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::durable::{Durable, DurableError, Identity};
use crate::policy::Principal;
use crate::store::Kms;
use crate::wire::{self, CLOCK_PREFIX, KMS_PREFIX, WireResponse, WithStore};
use rsa::PrivateKey;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the request handlers share.
pub struct ServerState {
    /// The store; every call's state transition runs under this lock.
    kms: Mutex<Kms>,
    pub(super) clock: Option<ManualClock>,
    handoff: Handoff,
    keygen: KeyGenerator,
    pub(super) identities: Option<Arc<Identities>>,
    pub(super) region: String,
    /// The account of ARNs, which STS `GetCallerIdentity` answers.
    account: String,
    /// The data directory (`--data-dir`); locked only under `kms`.
    durable: Option<Mutex<Durable>>,
    /// Set when a commit failed: memory and disk may differ, so every later
    /// request is refused until a restart.
    failed: AtomicBool,
}

/// The store under its lock, for the wire layer: locked per call.
struct Locked<'a> {
    state: &'a ServerState,
    /// A wrapping key generated before the lock for this call.
    wrapping_key: Mutex<Option<(WrappingKeySpec, PrivateKey)>>,
    /// Set when the call's changes could not be committed: it is then not
    /// acknowledged.
    commit_failed: AtomicBool,
}

impl WithStore for Locked<'_> {
    fn with_store<R>(&self, f: impl FnOnce(&mut Kms) -> R) -> R {
        let mut kms = self.state.kms.lock().unwrap_or_else(|p| p.into_inner());
        let key = self
            .wrapping_key
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let handed = key.is_some();
        if handed {
            *self
                .state
                .handoff
                .slot
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = key;
        }
        let r = f(&mut kms);
        // Committed under the lock, before the response is encoded (issue 17).
        if self.state.persist(&mut kms).is_err() {
            self.commit_failed.store(true, Ordering::SeqCst);
        }
        if handed {
            // Not used (the call failed before generating): drop it, still
            // under the lock, so that no other call receives it.
            self.state
                .handoff
                .slot
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
        }
        r
    }
}

impl ServerState {
    /// A store built from `config`. Panics when `config.data_dir` cannot be
    /// opened; use [`Self::open`] to get the error.
    pub fn new(config: &ServerConfig) -> Self {
        Self::open(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A store built from `config`: in memory, or restored from
    /// `config.data_dir`, with every event that fell due while the server was
    /// down applied in order (spec §10) and committed.
    pub fn open(config: &ServerConfig) -> Result<Self, DurableError> {
        let handoff = Handoff::default();
        let b = Kms::builder()
            .rules(config.rules)
            .region(config.region.clone())
            .account(config.account.clone())
            .wrapping_keys(handoff.clone())
            .retention(config.retention);
        let Some(dir) = &config.data_dir else {
            let (kms, clock) = match config.manual_clock_start {
                Some(start) => {
                    let clock = ManualClock::new(start);
                    (b.clock(clock.clone()).build(), Some(clock))
                }
                None => (b.clock(SystemClock).build(), None),
            };
            return Ok(Self {
                kms: Mutex::new(kms),
                clock,
                handoff,
                keygen: KeyGenerator::start(),
                identities: config.identities.clone(),
                region: config.region.clone(),
                account: config.account.clone(),
                durable: None,
                failed: AtomicBool::new(false),
            });
        };
        let root = config.root_key_file.as_deref().ok_or_else(|| {
            DurableError("--data-dir needs --root-key-file (the root key that seals the store; made with permissions 0600 when absent)".into())
        })?;
        let identity = Identity {
            rules: config.rules.name_or_base(),
            region: config.region.clone(),
            account: config.account.clone(),
        };
        let opened = Durable::open(dir, root, &identity)?;
        // The manual clock resumes where it stopped (time never goes back).
        let clock = config
            .manual_clock_start
            .map(|start| ManualClock::new(opened.manual_clock.unwrap_or(0).max(start)));
        let b = match &clock {
            Some(c) => b.clock(c.clone()),
            None => b.clock(SystemClock),
        };
        let mut kms = Kms::restore(b, &opened.image)
            .map_err(|e| DurableError(format!("{}: {e}; it was left unchanged", dir.display())))?;
        kms.track_changes();
        kms.set_retention(config.retention);
        kms.tick();
        let mut durable = opened.durable;
        durable.commit(&kms.drain_changes(), clock.as_ref().map(|c| c.now()))?;
        Ok(Self {
            kms: Mutex::new(kms),
            clock,
            handoff,
            keygen: KeyGenerator::start(),
            identities: config.identities.clone(),
            region: config.region.clone(),
            account: config.account.clone(),
            durable: Some(Mutex::new(durable)),
            failed: AtomicBool::new(false),
        })
    }

    /// Writes what the last call changed. On failure every later request is
    /// refused (memory and disk may differ).
    fn persist(&self, kms: &mut Kms) -> Result<(), DurableError> {
        let Some(d) = &self.durable else {
            return Ok(());
        };
        let changes = kms.drain_changes();
        let mut d = d.lock().unwrap_or_else(|p| p.into_inner());
        d.commit(&changes, self.clock.as_ref().map(|c| c.now()))
            .inspect_err(|e| {
                self.failed.store(true, Ordering::SeqCst);
                eprintln!("kms-lifecycle: the data directory could not be written: {e}");
            })
    }

    /// The number of keys in the store (deleted ones included).
    pub fn key_count(&self) -> usize {
        self.kms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .key_count()
    }

    /// How many RSA wrapping keys the store had to generate itself, under
    /// the lock, because none had been generated before it (0 in a correct
    /// server: see [`Self::serve_call`]).
    pub fn wrapping_keys_generated_under_lock(&self) -> u64 {
        self.handoff.generated_under_lock.load(Ordering::Relaxed)
    }

    /// Serves one call as the HTTP server does: a GetParametersForImport's
    /// RSA wrapping key is generated first, on the generator thread, without
    /// the store's lock; then [`Self::handle_with`] runs the call.
    pub async fn serve_call(
        &self,
        target: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> WireResponse {
        self.serve_call_as(None, target, content_type, body).await
    }

    /// [`Self::serve_call`] for an authenticated `caller` (identities mode).
    pub async fn serve_call_as(
        &self,
        caller: Option<&Principal>,
        target: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> WireResponse {
        let import_parameters = target
            .and_then(|t| t.strip_prefix(KMS_PREFIX))
            .is_some_and(|op| op == "GetParametersForImport");
        let mut key = None;
        if import_parameters
            && self.check_protocol(target, content_type).is_ok()
            && let Some(spec) = requested_rsa_spec(body)
        {
            key = self.keygen.generate(spec).await.map(|k| (spec, k));
        }
        self.handle_with(target, content_type, body, caller, key)
    }

    /// Handles one request: target header value, content type, body. The
    /// store's lock is held only while the call runs on the store (not while
    /// its body is decoded or its response encoded). A GetParametersForImport
    /// served this way generates its RSA key under the lock: the server uses
    /// [`Self::serve_call`].
    pub fn handle(
        &self,
        target: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> WireResponse {
        self.handle_with(target, content_type, body, None, None)
    }

    /// [`Self::handle`] for an authenticated `caller` (identities mode):
    /// KMS operations are authorized before dispatch, under the same lock.
    pub fn handle_as(
        &self,
        caller: Option<&Principal>,
        target: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> WireResponse {
        self.handle_with(target, content_type, body, caller, None)
    }

    fn handle_with(
        &self,
        target: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        caller: Option<&Principal>,
        wrapping_key: Option<(WrappingKeySpec, PrivateKey)>,
    ) -> WireResponse {
        if let Err(r) = self.check_protocol(target, content_type) {
            return r;
        }
        if self.failed.load(Ordering::SeqCst) {
            return store_failed();
        }
        let target = target.unwrap_or_default();
        let locked = Locked {
            state: self,
            wrapping_key: Mutex::new(wrapping_key),
            commit_failed: AtomicBool::new(false),
        };
        let r = if let Some(op) = target.strip_prefix(KMS_PREFIX) {
            match caller {
                // Identities mode: authorization and the call under one
                // acquisition of the lock (the key policy it reads cannot
                // change in between); the body is decoded under it.
                Some(caller) => locked.with_store(|kms| {
                    if let Some(ids) = &self.identities
                        && let Err(e) = authz::authorize(kms, ids, caller, op, body)
                    {
                        return WireResponse::from_kms_error(&e);
                    }
                    kms.set_caller(Some(caller.clone()));
                    let r = wire::dispatch(kms, op, body);
                    kms.set_caller(None);
                    r
                }),
                None => wire::dispatch_with(&locked, op, body),
            }
        } else if let Some(op) = target.strip_prefix(CLOCK_PREFIX) {
            locked.with_store(|kms| self.clock_op(kms, op, body))
        } else {
            WireResponse::error(
                400,
                "UnknownOperationException",
                &format!("Unknown target {}", target.escape_default()),
            )
        };
        if locked.commit_failed.load(Ordering::SeqCst) {
            return store_failed();
        }
        r
    }

    /// STS `GetCallerIdentity` over the AWS query protocol, for clients
    /// (the Terraform AWS provider) that ask who they are before they use
    /// KMS: see [`sts_query`].
    pub fn handle_sts(&self, body: &[u8]) -> StsResponse {
        sts_query(&self.account, body)
    }

    fn check_protocol(
        &self,
        target: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<(), WireResponse> {
        if target.is_none() {
            return Err(WireResponse::error(
                400,
                "UnknownOperationException",
                "Missing X-Amz-Target header: expected TrentService.<Operation>.",
            ));
        }
        match content_type.map(|c| c.split(';').next().unwrap_or("").trim()) {
            Some("application/x-amz-json-1.1") | Some("application/json") => Ok(()),
            other => Err(WireResponse::error(
                400,
                "ValidationException",
                &format!(
                    "Unsupported Content-Type {:?}: use application/x-amz-json-1.1.",
                    other.unwrap_or("")
                ),
            )),
        }
    }
}

fn store_failed() -> WireResponse {
    WireResponse::error(
        500,
        "KMSInternalException",
        "The data directory could not be written; the server refuses requests until it is restarted.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(state: &ServerState, op: &str, body: serde_json::Value) -> serde_json::Value {
        let r = state.handle(
            Some(&format!("{KMS_PREFIX}{op}")),
            Some("application/x-amz-json-1.1"),
            body.to_string().as_bytes(),
        );
        serde_json::from_slice(&r.body).unwrap()
    }

    /// GetParametersForImport served as the HTTP server serves it takes the
    /// RSA key generated before the lock; served without that step, the
    /// store generates one under the lock, and the counter shows it.
    #[test]
    fn wrapping_keys_are_generated_before_the_lock() {
        let state = ServerState::new(&ServerConfig::default());
        let created = call(
            &state,
            "CreateKey",
            serde_json::json!({"Origin": "EXTERNAL"}),
        );
        let key = created["KeyMetadata"]["KeyId"]
            .as_str()
            .unwrap()
            .to_string();
        let body = serde_json::json!({
            "KeyId": key,
            "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
            "WrappingKeySpec": "RSA_2048",
        })
        .to_string();
        let target = format!("{KMS_PREFIX}GetParametersForImport");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let r = rt.block_on(state.serve_call(
            Some(&target),
            Some("application/x-amz-json-1.1"),
            body.as_bytes(),
        ));
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert!(v["PublicKey"].as_str().is_some_and(|k| k.len() > 300));
        assert_eq!(state.wrapping_keys_generated_under_lock(), 0);

        // A request the store refuses (unknown key) generates a key before
        // the lock that is then dropped, never handed to a later call.
        let bad = body.replace(&key, "00000000-0000-0000-0000-000000000000");
        let r = rt.block_on(state.serve_call(
            Some(&target),
            Some("application/x-amz-json-1.1"),
            bad.as_bytes(),
        ));
        assert_eq!(r.status, 400);
        assert!(state.handoff.slot.lock().unwrap().is_none());

        let r = state.handle(
            Some(&target),
            Some("application/x-amz-json-1.1"),
            body.as_bytes(),
        );
        assert_eq!(r.status, 200);
        assert_eq!(state.wrapping_keys_generated_under_lock(), 1);
    }
}
