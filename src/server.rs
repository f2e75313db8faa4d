//! The AWS KMS JSON 1.1 protocol over HTTP (feature `server`).
//!
//! `POST /` with `X-Amz-Target: TrentService.<Operation>` and
//! `Content-Type: application/x-amz-json-1.1`. Without `--identities`,
//! requests are not authenticated: SigV4 signatures are accepted whatever the
//! credentials. With [`ServerConfig::identities`], every request must carry a
//! valid SigV4 signature of a principal of the file, and is authorized as KMS
//! does it before dispatch ([`crate::authz`]). With a manual clock,
//! `KmsLifecycle.GetClock`, `KmsLifecycle.AdvanceClock` move time; with either
//! clock `KmsLifecycle.ListEvents` and `KmsLifecycle.ListAlarms` read the audit
//! trail.
//!
//! A form-encoded `POST /` without `X-Amz-Target` is the AWS query protocol
//! of STS: `GetCallerIdentity` answers the root user of the configured
//! account ([`sts_query`]), so that the Terraform AWS provider needs only its
//! `kms` and `sts` endpoints.
//!
//! One mutex around the store makes every call atomic, so concurrent clients
//! see a linearizable store (tests/linearizability.rs checks recorded
//! concurrent histories against the model). The lock is held only for the
//! state transition itself: the request is decoded and validated before it,
//! the response encoded after it, and the slow work of GetParametersForImport
//! (generating an RSA wrapping key, up to seconds for RSA_4096) happens before
//! the lock is taken, on one dedicated generator thread, so that it neither
//! stalls other calls nor occupies more than one core (docs/performance.md).

use crate::api::WrappingKeySpec;
use crate::authz::{self, Identities, sigv4};
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::durable::{Durable, DurableError, Identity};
use crate::import::{FreshWrappingKeys, WrappingKeySource};
use crate::policy::Principal;
use crate::rules::Rules;
use crate::store::Kms;
use crate::wire::{self, CLOCK_PREFIX, KMS_PREFIX, WireResponse, WithStore};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rsa::PrivateKey;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Largest accepted request body.
pub const MAX_BODY: usize = 1 << 20;

/// Server settings (the flags of `kms-lifecycle serve`).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Listen address (default `127.0.0.1:4599`).
    pub addr: SocketAddr,
    /// Rule set.
    pub rules: Rules,
    /// `Some(start)` for a manual clock starting at `start`; `None` for the
    /// system clock.
    pub manual_clock_start: Option<u64>,
    /// Region in ARNs.
    pub region: String,
    /// Account in ARNs.
    pub account: String,
    /// Worker threads of the runtime (`--threads`; `None`: one per core).
    pub threads: Option<usize>,
    /// `--identities FILE`: authenticate (SigV4) and authorize every request.
    /// `None`: no authentication, as before.
    pub identities: Option<Arc<Identities>>,
    /// `Some(dir)`: the store lives in `dir` and survives restarts
    /// (`--data-dir`, [`crate::durable`]); `None`: in memory only.
    pub data_dir: Option<std::path::PathBuf>,
    /// The root key that seals the data directory (`--root-key-file`;
    /// required with `data_dir`, made 0600 when absent).
    pub root_key_file: Option<std::path::PathBuf>,
    /// How much of the audit trail and alarms is kept (`--max-events`,
    /// `--max-event-age-days`; on disk too with `data_dir`).
    pub retention: crate::store::Retention,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 4599)),
            rules: Rules::current(),
            manual_clock_start: None,
            region: "us-east-1".into(),
            account: "111122223333".into(),
            threads: None,
            identities: None,
            data_dir: None,
            root_key_file: None,
            retention: crate::store::Retention::default(),
        }
    }
}

/// The RSA wrapping key generated for the GetParametersForImport being
/// served, handed to the store under the lock. The store asks its
/// [`WrappingKeySource`] for a key; this source gives the one generated
/// before the lock, and generates one itself (counted) only when none is
/// there, which a correct server never lets happen.
#[derive(Clone, Default)]
struct Handoff {
    slot: Arc<Mutex<Option<(WrappingKeySpec, PrivateKey)>>>,
    generated_under_lock: Arc<AtomicU64>,
}

impl WrappingKeySource for Handoff {
    fn wrapping_key(&self, spec: WrappingKeySpec) -> PrivateKey {
        let ready = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        match ready {
            Some((s, key)) if s == spec => key,
            _ => {
                self.generated_under_lock.fetch_add(1, Ordering::Relaxed);
                FreshWrappingKeys.wrapping_key(spec)
            }
        }
    }
}

/// One thread that generates RSA wrapping keys, one at a time, for every
/// connection: however many clients ask for RSA_4096 keys at once, they use
/// at most one core, and the request handlers wait for their key without
/// blocking a runtime thread.
struct KeyGenerator {
    jobs: Mutex<mpsc::Sender<(WrappingKeySpec, oneshot::Sender<PrivateKey>)>>,
}

impl KeyGenerator {
    fn start() -> Self {
        let (tx, rx) = mpsc::channel::<(WrappingKeySpec, oneshot::Sender<PrivateKey>)>();
        // The thread ends when the server state (the sender) is dropped.
        let _ = std::thread::Builder::new()
            .name("kms-wrapping-keygen".into())
            .spawn(move || {
                for (spec, reply) in rx {
                    let _ = reply.send(FreshWrappingKeys.wrapping_key(spec));
                }
            });
        Self {
            jobs: Mutex::new(tx),
        }
    }

    /// A fresh key of `spec` (an RSA spec), or `None` if the generator
    /// thread is gone (the store then generates one under the lock).
    async fn generate(&self, spec: WrappingKeySpec) -> Option<PrivateKey> {
        let (reply, key) = oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((spec, reply));
        sent.ok()?;
        key.await.ok()
    }
}

/// The RSA wrapping key spec a GetParametersForImport body asks for, if it is
/// one the store would generate (an RSA spec). Anything else is left to the
/// store's validation, which answers it without generating a key.
fn requested_rsa_spec(body: &[u8]) -> Option<WrappingKeySpec> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let spec = WrappingKeySpec::parse(v.get("WrappingKeySpec")?.as_str()?)?;
    spec.bits().map(|_| spec)
}

/// What the request handlers share.
pub struct ServerState {
    /// The store; every call's state transition runs under this lock.
    kms: Mutex<Kms>,
    clock: Option<ManualClock>,
    handoff: Handoff,
    keygen: KeyGenerator,
    identities: Option<Arc<Identities>>,
    region: String,
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
            .rules(config.rules.clone())
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
            rules: config.rules.name.to_string(),
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

    fn clock_op(&self, kms: &mut Kms, op: &str, body: &[u8]) -> WireResponse {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Advance {
            seconds: i64,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "PascalCase", default)]
        struct Since {
            since: Option<crate::api::Timestamp>,
            limit: Option<i64>,
            marker: Option<String>,
        }
        let unsupported = || {
            WireResponse::error(
                400,
                "UnsupportedOperationException",
                "The clock can only be read or moved when the server runs with --clock manual.",
            )
        };
        match op {
            "GetClock" => match &self.clock {
                Some(_) => {
                    kms.tick();
                    WireResponse::ok(&serde_json::json!({ "Now": kms.now() }))
                }
                None => unsupported(),
            },
            "AdvanceClock" => {
                let Some(clock) = &self.clock else {
                    return unsupported();
                };
                let a: Advance = match wire::parse_body(body) {
                    Ok(a) => a,
                    Err(r) => return r,
                };
                // At most 100 years per call.
                if !(0..=3_153_600_000).contains(&a.seconds) {
                    return WireResponse::error(
                        400,
                        "ValidationException",
                        &format!(
                            "1 validation error detected: Value '{}' at 'seconds' failed to satisfy constraint: Member must have value between 0 and 3153600000",
                            a.seconds
                        ),
                    );
                }
                clock.advance(a.seconds as u64);
                kms.tick();
                WireResponse::ok(&serde_json::json!({ "Now": kms.now() }))
            }
            "ListEvents" => {
                let s: Since = match wire::parse_body(body) {
                    Ok(s) => s,
                    Err(r) => return r,
                };
                kms.tick();
                let since = s.since.map(|t| t.0).unwrap_or(0);
                // As AWS lists page: Limit 1..=1000, Marker from the
                // previous page's NextMarker. Without Limit, every record
                // kept (at most the retention bound, `--max-events`), as
                // before pages existed.
                let limit = s.limit.unwrap_or(i64::MAX);
                if s.limit.is_some() && !(1..=1000).contains(&limit) {
                    return WireResponse::error(
                        400,
                        "ValidationException",
                        &format!(
                            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000"
                        ),
                    );
                }
                match kms.events_page(
                    since,
                    s.marker.as_deref(),
                    usize::try_from(limit).unwrap_or(usize::MAX),
                ) {
                    Ok(page) => {
                        let mut v = serde_json::json!({
                            "Events": page.events,
                            "Truncated": page.next_marker.is_some(),
                        });
                        if let Some(m) = page.next_marker {
                            v["NextMarker"] = serde_json::json!(m);
                        }
                        WireResponse::ok(&v)
                    }
                    Err(m) => WireResponse::error(400, "InvalidMarkerException", &m),
                }
            }
            "ListAlarms" => WireResponse::ok(&serde_json::json!({ "Alarms": kms.alarms() })),
            other => WireResponse::error(
                400,
                "UnknownOperationException",
                &format!("Unknown operation KmsLifecycle.{}", other.escape_default()),
            ),
        }
    }
}

/// An answer of the STS query protocol: status and XML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsResponse {
    /// 200 or 400.
    pub status: u16,
    /// `text/xml` body.
    pub body: String,
    /// The `RequestId` of the body, also sent as `x-amzn-RequestId`.
    pub request_id: String,
}

/// Whether a request is one of the AWS query protocol (STS): a form-encoded
/// body and no `X-Amz-Target`. The JSON protocol of KMS always names its
/// target.
pub fn is_query_protocol(target: Option<&str>, content_type: Option<&str>) -> bool {
    target.is_none()
        && content_type.is_some_and(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// STS over the query protocol (`Action=GetCallerIdentity&Version=2011-06-15`,
/// form-encoded): the caller is the root user of `account`, since the server
/// authenticates nobody. Every other action answers `InvalidAction`, a
/// missing or other `Version` `InvalidParameterValue`, as STS does.
pub fn sts_query(account: &str, body: &[u8]) -> StsResponse {
    let request_id = request_id();
    let error = |code: &str, message: &str| StsResponse {
        status: 400,
        body: format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(message),
        ),
        request_id: request_id.clone(),
    };
    let Ok(body) = std::str::from_utf8(body) else {
        return error(
            "MalformedQueryString",
            "The request body is not valid UTF-8.",
        );
    };
    let mut action = None;
    let mut version = None;
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (form_decode(k).as_deref(), form_decode(v)) {
            (Some("Action"), Some(v)) => action = Some(v),
            (Some("Version"), Some(v)) => version = Some(v),
            (Some(_), Some(_)) => {}
            _ => {
                return error(
                    "MalformedQueryString",
                    "The request body is not a valid form.",
                );
            }
        }
    }
    let Some(action) = action else {
        return error(
            "MissingAction",
            "Missing Action: this endpoint serves the STS query protocol (Action=GetCallerIdentity) and the AWS KMS JSON protocol (X-Amz-Target: TrentService.<Operation>).",
        );
    };
    if action != "GetCallerIdentity" {
        return error(
            "InvalidAction",
            &format!(
                "Could not find operation {} for version {}: of STS only GetCallerIdentity is served.",
                action,
                version.as_deref().unwrap_or("NO_VERSION_SPECIFIED")
            ),
        );
    }
    if version.as_deref() != Some("2011-06-15") {
        return error(
            "InvalidParameterValue",
            "Version must be 2011-06-15 for GetCallerIdentity.",
        );
    }
    let account = xml_escape(account);
    StsResponse {
        status: 200,
        body: format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:root</Arn><UserId>{account}</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        ),
        request_id,
    }
}

/// One `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` a byte; `None` for a bad escape or bytes that are not UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A request id in the form of AWS's (a random UUID).
fn request_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        return "00000000-0000-4000-8000-000000000000".into();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn sts_to_http(r: StsResponse) -> Response<Full<Bytes>> {
    let id = hyper::header::HeaderValue::from_str(&r.request_id).ok();
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    if let Some(id) = id {
        resp.headers_mut().insert("x-amzn-requestid", id);
    }
    resp
}

/// AWS answers every request with an `x-amzn-RequestId` header, which SDKs
/// show in their errors (`RequestID: ...`); a fresh random UUID each time.
fn insert_request_id(resp: &mut Response<Full<Bytes>>) {
    if let Ok(v) = hyper::header::HeaderValue::from_str(&request_id()) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
}

fn store_failed() -> WireResponse {
    WireResponse::error(
        500,
        "KMSInternalException",
        "The data directory could not be written; the server refuses requests until it is restarted.",
    )
}

fn to_http(r: WireResponse) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    insert_request_id(&mut resp);
    resp
}

async fn handle(
    state: Arc<ServerState>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.method() != hyper::Method::POST {
        return Ok(to_http(WireResponse::error(
            400,
            "UnknownOperationException",
            "Only POST / is served (AWS JSON 1.1 protocol).",
        )));
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let target = header("x-amz-target");
    let content_type = header("content-type");
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(to_http(WireResponse::error(
                413,
                "RequestEntityTooLargeException",
                "Request bodies are limited to 1 MiB.",
            )));
        }
    };
    // Identities mode: the request must be signed by a principal of the file.
    let caller = match &state.identities {
        None => None,
        Some(ids) => match authenticate(ids, &state.region, &parts, content_type.as_deref(), &body)
        {
            Ok(Authenticated::Kms(identity)) => Some(identity.principal.clone()),
            Ok(Authenticated::CallerIdentity(identity)) => {
                return Ok(to_http_xml(authz::caller_identity(identity)));
            }
            Err(e) => return Ok(to_http(e.to_response())),
        },
    };
    // STS over the query protocol (no X-Amz-Target, a form body): the
    // configured account's root user (in identities mode the signed
    // GetCallerIdentity was answered above).
    if is_query_protocol(target.as_deref(), content_type.as_deref()) {
        return Ok(sts_to_http(state.handle_sts(&body)));
    }
    // Most operations take microseconds: run them on the runtime thread.
    // ImportKeyMaterial unwraps with RSA (milliseconds, under the lock: the
    // unwrap needs the key's import parameters) on the blocking pool, so that
    // it never occupies a runtime thread; GetParametersForImport waits for
    // its key from the generator thread without occupying one either.
    let unwraps = target
        .as_deref()
        .is_some_and(|t| t.ends_with(".ImportKeyMaterial"));
    let r = if unwraps {
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            st.handle_as(
                caller.as_ref(),
                target.as_deref(),
                content_type.as_deref(),
                &body,
            )
        })
        .await
        .unwrap_or_else(|_| {
            WireResponse::error(500, "KMSInternalException", "The request handler failed.")
        })
    } else {
        state
            .serve_call_as(
                caller.as_ref(),
                target.as_deref(),
                content_type.as_deref(),
                &body,
            )
            .await
    };
    Ok(to_http(r))
}

/// What an authenticated request is.
enum Authenticated<'i> {
    /// A KMS (or clock) request signed for service `kms`.
    Kms(&'i authz::Identity),
    /// STS GetCallerIdentity signed for service `sts`.
    CallerIdentity(&'i authz::Identity),
}

/// Verifies the SigV4 signature of a request (identities mode).
fn authenticate<'i>(
    ids: &'i Identities,
    region: &str,
    parts: &hyper::http::request::Parts,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Authenticated<'i>, sigv4::AuthError> {
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let request = sigv4::IncomingRequest {
        method: parts.method.as_str(),
        path_and_query: path,
        headers: &headers,
        body,
    };
    let now = std::time::SystemTime::now();
    if parts.headers.get("x-amz-target").is_none()
        && authz::is_get_caller_identity(content_type, body)
    {
        sigv4::verify(ids, &request, region, "sts", now).map(Authenticated::CallerIdentity)
    } else {
        sigv4::verify(ids, &request, region, "kms", now).map(Authenticated::Kms)
    }
}

fn to_http_xml(body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    resp
}

/// Serves on an already bound listener until the task is dropped.
pub async fn serve_listener(listener: TcpListener, state: Arc<ServerState>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let st = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(st.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds `config.addr` and serves until Ctrl-C.
pub fn run(config: ServerConfig) -> std::io::Result<()> {
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt.enable_all().build()?;
    rt.block_on(async move {
        let state = Arc::new(ServerState::open(&config).map_err(std::io::Error::other)?);
        let listener = TcpListener::bind(config.addr).await?;
        if let Some(dir) = &config.data_dir {
            eprintln!(
                "kms-lifecycle: store in {} ({} keys restored)",
                dir.display(),
                state.key_count()
            );
        }
        eprintln!(
            "kms-lifecycle serving the AWS KMS JSON protocol on http://{} (rules {}, clock {}, {} worker threads)",
            listener.local_addr()?,
            config.rules.name,
            if config.manual_clock_start.is_some() {
                "manual"
            } else {
                "system"
            },
            config
                .threads
                .map_or_else(|| "one per core".to_string(), |n| n.max(1).to_string())
        );
        tokio::select! {
            r = serve_listener(listener, state) => r,
            _ = tokio::signal::ctrl_c() => { eprintln!("shutting down"); Ok(()) }
        }
    })
}

/// Starts a server on a background thread bound to `127.0.0.1:0` (or
/// `config.addr`) and returns its address. The server lives until the process
/// ends. For tests.
pub fn spawn(config: ServerConfig) -> std::io::Result<SocketAddr> {
    let std_listener = std::net::TcpListener::bind(config.addr)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    std::thread::Builder::new()
        .name("kms-lifecycle-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(config.threads.unwrap_or(2).max(1))
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                let state = Arc::new(ServerState::new(&config));
                let _ = serve_listener(listener, state).await;
            });
        })?;
    Ok(addr)
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
