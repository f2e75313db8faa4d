//! The one driver from a model [`Action`] to the calls that perform it on any
//! [`KmsApi`] (issue 15): the differential harness and the whole-graph
//! refinement (`tests/harness`, through [`super::InProcess`]) and the oracle
//! (`conform`, through any target) all run actions through [`Driver::perform`].
//!
//! The driver keeps what a client must remember to name the model's values on
//! a real implementation: key ids by model index, the ciphertexts it made
//! (with the plaintext and context it sealed), the import tokens and wrapping
//! public keys it was given, and how aliases and the AWS managed key are named.
//! What a caller does with the answer (compare it exactly with the model, or
//! accept whatever AWS permits) is the caller's: [`Performed`] carries the
//! answer as the target gave it.

use super::{CallError, CallResult, KmsApi};
use crate::api::{self, *};
use crate::import::wrap_key_material;
use kms_lifecycle_model as model;
use model::{
    Action, AliasName, Ctx, DAY, ImportType, KeyRef, MaterialRef, Origin, TokenRef, ValidToChoice,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// A ciphertext the driver made, with the plaintext and context it sealed
/// (test data derived from the model's values, never a caller's secret; the
/// `Debug` rendering shows neither plaintext nor blob all the same).
#[derive(Clone)]
pub struct Sealed {
    /// The ciphertext blob as the target returned it.
    pub blob: Vec<u8>,
    /// The plaintext it seals.
    pub plaintext: Vec<u8>,
    /// The model's encryption context it was sealed under.
    pub ctx: Ctx,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("blob_len", &self.blob.len())
            .field("plaintext", &"<redacted>")
            .field("ctx", &self.ctx)
            .finish()
    }
}

/// An import token and the wrapping public key (DER) it came with.
#[derive(Clone)]
pub struct ImportParams {
    /// The ImportToken.
    pub token: Vec<u8>,
    /// The PublicKey.
    pub public_key: Vec<u8>,
}

/// How the driver names things on the target.
#[derive(Clone, Debug)]
pub struct Names {
    /// Alias slot `n` is `{alias_prefix}slot{n}` (`alias/slot` in process;
    /// a per-run prefix on a shared endpoint).
    pub alias_prefix: String,
    /// The AWS managed key is the one of `alias/aws/{managed_service}`.
    pub managed_service: String,
    /// The Description of every key the driver creates.
    pub description: Option<String>,
    /// The target's account (for the concrete key policies).
    pub account: String,
}

impl Names {
    /// The names of the in-process reference: `alias/slotN`, the managed
    /// key of `alias/aws/differential`, no description, the builder's
    /// default account.
    pub fn in_process() -> Self {
        Self {
            alias_prefix: "alias/".into(),
            managed_service: "differential".into(),
            description: None,
            account: crate::store::DEFAULT_ACCOUNT.into(),
        }
    }
}

/// The target's clock as the driver should read it for an import's ValidTo:
/// `now` (epoch seconds) and how far the target's clock may be from it (0
/// with clock control; without it the driver keeps the edge cases ValidTo in
/// the past and beyond 365 days clear of the uncertainty).
#[derive(Clone, Copy, Debug)]
pub struct TargetTime {
    /// The target's time, epoch seconds.
    pub now: u64,
    /// How far the target's clock may be off `now`, seconds.
    pub slack: u64,
}

/// What one action's calls answered, as the target gave it.
#[derive(Debug)]
pub enum Performed {
    /// A call whose answer carries nothing the model tracks.
    Plain,
    /// CreateKey, UseManagedAlias (DescribeKey of the managed alias) and
    /// DescribeKey: the key's metadata, the model index of the key it names
    /// (if known), and whether this call is the first to name it.
    Key {
        /// The model index of the key the answer names.
        index: Option<u8>,
        /// Whether the key was unknown before this call.
        first_seen: bool,
        /// The answer's KeyMetadata.
        metadata: Box<KeyMetadata>,
    },
    /// Encrypt, GenerateDataKey and ReEncrypt: the key the response names,
    /// and the index of the new ciphertext in [`Driver::cts`].
    Encrypted {
        /// The model index of the response's KeyId.
        key: Option<u8>,
        /// The new ciphertext.
        ct: usize,
    },
    /// Decrypt (also of a tampered blob): the key the response names and
    /// whether the plaintext is the one sealed.
    Decrypted {
        /// The model index of the response's KeyId.
        key: Option<u8>,
        /// Whether the plaintext is the sealed one.
        same_plaintext: bool,
    },
    /// GetKeyRotationStatus.
    Status(GetKeyRotationStatusResponse),
    /// ScheduleKeyDeletion.
    Scheduled(ScheduleKeyDeletionResponse),
    /// GetParametersForImport (the token and public key are also kept).
    Params(Box<GetParametersForImportResponse>),
    /// GetKeyPolicy: the policy text.
    Policy(String),
    /// ListKeyPolicies.
    PolicyNames(ListKeyPoliciesResponse),
}

/// Wrapped material by (SHA-256 of the public key, material index).
type WrapCache = Arc<Mutex<BTreeMap<([u8; 32], u8), Vec<u8>>>>;

/// The client-side memory that turns model actions into calls.
#[derive(Clone)]
pub struct Driver {
    /// Key ids by model index (creation order), ARNs reduced to ids.
    pub keys: Vec<String>,
    /// Ciphertexts by model index.
    pub cts: Vec<Sealed>,
    /// Import parameters per key, oldest first.
    pub tokens: Vec<Vec<ImportParams>>,
    /// How things are named on the target.
    pub names: Names,
    /// Whether the rule set has KeyMaterialIds (under `classic` any
    /// KeyMaterialId is a ValidationException, so none is looked up).
    key_material_ids: bool,
    /// Material wrapped once per (wrapping key, material) and shared by the
    /// driver's clones: the refinement forks the driver at every edge, and
    /// RSA-OAEP wrapping of the same few pairs would otherwise cost an eighth
    /// of its time.
    wrapped: WrapCache,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("keys", &self.keys)
            .field("cts", &self.cts.len())
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// The key id an id or ARN names.
pub fn key_id_of(id: &str) -> &str {
    match id.rsplit_once(":key/") {
        Some((_, k)) => k,
        None => id,
    }
}

/// The encryption context of the model's `c`: two contexts that a naive
/// concatenation of keys and values would confuse (spec §7).
pub fn ctx_of(c: Ctx) -> EncryptionContext {
    let mut m = BTreeMap::new();
    match c {
        Ctx::A => m.insert("ab".to_string(), "c".to_string()),
        Ctx::B => m.insert("a".to_string(), "bc".to_string()),
    };
    m
}

/// The 32 bytes of the model's material `m`.
pub fn material(m: u8) -> Vec<u8> {
    Sha256::digest([b"kms-lifecycle model material".as_slice(), &[m]].concat()).to_vec()
}

fn protocol(msg: String) -> CallError {
    CallError::Protocol(msg)
}

impl Driver {
    /// A driver that has named nothing yet.
    pub fn new(rules: &model::Rules, names: Names) -> Self {
        Self {
            keys: Vec::new(),
            cts: Vec::new(),
            tokens: Vec::new(),
            names,
            key_material_ids: rules.key_material_ids,
            wrapped: WrapCache::default(),
        }
    }

    /// The id of model key `k` (an empty string if the driver has not seen
    /// it: the target answers that as it answers an empty KeyId).
    pub fn key(&self, k: u8) -> String {
        self.keys.get(k as usize).cloned().unwrap_or_default()
    }

    /// The name of alias slot `slot`.
    pub fn alias(&self, slot: u8) -> String {
        format!("{}slot{slot}", self.names.alias_prefix)
    }

    /// What a KeyId parameter that names `r` is.
    pub fn kref(&self, r: KeyRef) -> String {
        match r {
            KeyRef::Key(k) => self.key(k),
            KeyRef::Alias(a) => self.alias(a),
        }
    }

    /// The model index of the key `id` (an id or ARN) names.
    pub fn index_of(&self, id: &str) -> Option<u8> {
        let id = key_id_of(id);
        self.keys.iter().position(|k| k == id).map(|i| i as u8)
    }

    /// The model index of `id`, naming it now if it is new; and whether it is.
    pub fn push_key(&mut self, id: &str) -> (u8, bool) {
        if let Some(i) = self.index_of(id) {
            return (i, false);
        }
        self.keys.push(key_id_of(id).to_string());
        self.tokens.push(Vec::new());
        ((self.keys.len() - 1) as u8, true)
    }

    fn sealed(&self, ct: u8) -> CallResult<Sealed> {
        self.cts
            .get(ct as usize)
            .cloned()
            .ok_or_else(|| protocol(format!("no ciphertext c{ct} was made")))
    }

    fn push_ct(&mut self, blob: Vec<u8>, plaintext: Vec<u8>, ctx: Ctx) -> usize {
        self.cts.push(Sealed {
            blob,
            plaintext,
            ctx,
        });
        self.cts.len() - 1
    }

    /// Material `m` wrapped (RSAES_OAEP_SHA_256) under `public`; a blob that
    /// no key unwraps when `public` is not a public key (a forged token with
    /// no real wrapping key beside it).
    fn wrapped(&self, public: &[u8], m: u8) -> Vec<u8> {
        let id = (Sha256::digest(public).into(), m);
        if let Some(w) = self.wrapped.lock().ok().and_then(|c| c.get(&id).cloned()) {
            return w;
        }
        match wrap_key_material(public, WrappingAlgorithm::RsaesOaepSha256, &material(m)) {
            Ok(w) => {
                if let Ok(mut c) = self.wrapped.lock() {
                    c.insert(id, w.clone());
                }
                w
            }
            Err(_) => vec![0x42; 256],
        }
    }

    /// The import parameters `token` names for key `key`.
    fn import_params(&self, key: u8, token: TokenRef) -> ImportParams {
        let mine = self.tokens.get(key as usize);
        let found = match token {
            TokenRef::Latest => mine.and_then(|t| t.last()).cloned(),
            TokenRef::Superseded => mine.and_then(|t| t.first()).cloned(),
            TokenRef::OtherKey => self
                .tokens
                .iter()
                .enumerate()
                .find(|(i, t)| *i != key as usize && !t.is_empty())
                .and_then(|(_, t)| t.last().cloned()),
            TokenRef::Forged => Some(ImportParams {
                token: vec![0x54; 98],
                public_key: self
                    .tokens
                    .iter()
                    .flatten()
                    .next()
                    .map(|t| t.public_key.clone())
                    .unwrap_or_default(),
            }),
        };
        found.unwrap_or(ImportParams {
            token: Vec::new(),
            public_key: Vec::new(),
        })
    }

    /// The `KeyMaterialId` that `m` names on key `k`, as the target lists it
    /// (ListKeyRotations with ALL_KEY_MATERIAL).
    fn material_id<A: KmsApi + ?Sized>(
        &self,
        api: &mut A,
        k: u8,
        m: MaterialRef,
    ) -> CallResult<String> {
        if m == MaterialRef::Unknown || !self.key_material_ids {
            return Ok(api::UNKNOWN_KEY_MATERIAL_ID.into());
        }
        let listed = api.list_key_rotations(ListKeyRotationsRequest::all(
            self.key(k),
            IncludeKeyMaterial::AllKeyMaterial,
        ))?;
        let (permanent, pending) = listed.material_ids();
        let id = match m {
            MaterialRef::Version(v) => permanent.get(v as usize).copied(),
            _ => pending,
        };
        id.map(str::to_string).ok_or_else(|| {
            protocol(format!(
                "ListKeyRotations(ALL_KEY_MATERIAL) of k{k} does not list the material {m:?}"
            ))
        })
    }

    /// Performs `a` on `api`: the call (or, to look up a KeyMaterialId, the
    /// calls) it stands for. `at` is the target's time, for ValidTo.
    pub fn perform<A: KmsApi + ?Sized>(
        &mut self,
        api: &mut A,
        a: &Action,
        at: TargetTime,
    ) -> CallResult<Performed> {
        let req = KeyIdRequest::new;
        Ok(match *a {
            Action::CreateKey { origin } => {
                let r = api.create_key(CreateKeyRequest {
                    origin: Some(match origin {
                        Origin::AwsKms => api::Origin::AwsKms,
                        Origin::External => api::Origin::External,
                    }),
                    description: self.names.description.clone(),
                    ..Default::default()
                })?;
                let (index, first_seen) = self.push_key(&r.key_metadata.key_id);
                self.names
                    .account
                    .clone_from(&r.key_metadata.aws_account_id);
                Performed::Key {
                    index: Some(index),
                    first_seen,
                    metadata: Box::new(r.key_metadata),
                }
            }
            Action::UseManagedAlias => {
                let alias = format!("alias/aws/{}", self.names.managed_service);
                let r = api.describe_key(req(alias))?;
                let (index, first_seen) = self.push_key(&r.key_metadata.key_id);
                Performed::Key {
                    index: Some(index),
                    first_seen,
                    metadata: Box::new(r.key_metadata),
                }
            }
            Action::DescribeKey { key } => {
                let r = api.describe_key(req(self.kref(key)))?;
                Performed::Key {
                    index: self.index_of(&r.key_metadata.key_id),
                    first_seen: false,
                    metadata: Box::new(r.key_metadata),
                }
            }
            Action::Encrypt { key, ctx } => {
                let pt = format!("plaintext {}", self.cts.len()).into_bytes();
                let r = api.encrypt(EncryptRequest {
                    key_id: self.kref(key),
                    plaintext: SecretBlob::new(pt.clone()),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                Performed::Encrypted {
                    key: self.index_of(&r.key_id),
                    ct: self.push_ct(r.ciphertext_blob.0, pt, ctx),
                }
            }
            Action::GenerateDataKey { key } => {
                let r = api.generate_data_key(GenerateDataKeyRequest {
                    key_id: self.kref(key),
                    key_spec: Some(DataKeySpec::Aes256),
                    encryption_context: Some(ctx_of(Ctx::A)),
                    ..Default::default()
                })?;
                let Some(pt) = r.plaintext else {
                    return Err(protocol(
                        "GenerateDataKey response without Plaintext".into(),
                    ));
                };
                Performed::Encrypted {
                    key: self.index_of(&r.key_id),
                    ct: self.push_ct(r.ciphertext_blob.0, pt.expose().to_vec(), Ctx::A),
                }
            }
            Action::Decrypt { ct, ctx, key } => {
                let sealed = self.sealed(ct)?;
                let r = api.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(sealed.blob),
                    key_id: key.map(|k| self.kref(k)),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                Performed::Decrypted {
                    key: self.index_of(&r.key_id),
                    same_plaintext: r.plaintext.expose() == sealed.plaintext.as_slice(),
                }
            }
            Action::DecryptTampered { ct } => {
                let mut sealed = self.sealed(ct)?;
                if let Some(last) = sealed.blob.last_mut() {
                    *last ^= 0x01;
                }
                let r = api.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(sealed.blob),
                    encryption_context: Some(ctx_of(sealed.ctx)),
                    ..Default::default()
                })?;
                Performed::Decrypted {
                    key: self.index_of(&r.key_id),
                    same_plaintext: r.plaintext.expose() == sealed.plaintext.as_slice(),
                }
            }
            Action::ReEncrypt { ct, dest } => {
                let sealed = self.sealed(ct)?;
                let r = api.re_encrypt(ReEncryptRequest {
                    ciphertext_blob: Blob(sealed.blob),
                    source_encryption_context: Some(ctx_of(sealed.ctx)),
                    destination_key_id: self.kref(dest),
                    destination_encryption_context: Some(ctx_of(sealed.ctx)),
                    ..Default::default()
                })?;
                Performed::Encrypted {
                    key: self.index_of(&r.key_id),
                    ct: self.push_ct(r.ciphertext_blob.0, sealed.plaintext, sealed.ctx),
                }
            }
            Action::EnableKey { key } => {
                api.enable_key(req(self.key(key)))?;
                Performed::Plain
            }
            Action::DisableKey { key } => {
                api.disable_key(req(self.key(key)))?;
                Performed::Plain
            }
            Action::EnableKeyRotation { key, period_days } => {
                api.enable_key_rotation(EnableKeyRotationRequest {
                    key_id: self.key(key),
                    rotation_period_in_days: period_days.map(i64::from),
                })?;
                Performed::Plain
            }
            Action::DisableKeyRotation { key } => {
                api.disable_key_rotation(req(self.key(key)))?;
                Performed::Plain
            }
            Action::GetKeyRotationStatus { key } => {
                Performed::Status(api.get_key_rotation_status(req(self.key(key)))?)
            }
            Action::RotateKeyOnDemand { key } => {
                api.rotate_key_on_demand(req(self.key(key)))?;
                Performed::Plain
            }
            Action::ScheduleKeyDeletion { key, window_days } => {
                Performed::Scheduled(api.schedule_key_deletion(ScheduleKeyDeletionRequest {
                    key_id: self.key(key),
                    pending_window_in_days: window_days.map(i64::from),
                })?)
            }
            Action::CancelKeyDeletion { key } => {
                api.cancel_key_deletion(req(self.key(key)))?;
                Performed::Plain
            }
            Action::GetParametersForImport { key } => {
                let r = api.get_parameters_for_import(GetParametersForImportRequest {
                    key_id: self.key(key),
                    wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                    wrapping_key_spec: WrappingKeySpec::Rsa2048,
                })?;
                if let Some(t) = self.tokens.get_mut(key as usize) {
                    t.push(ImportParams {
                        token: r.import_token.0.clone(),
                        public_key: r.public_key.0.clone(),
                    });
                }
                Performed::Params(Box::new(r))
            }
            Action::ImportKeyMaterial {
                key,
                token,
                material: m,
                import_type,
                expires,
            } => {
                let params = self.import_params(key, token);
                let wrapped = self.wrapped(&params.public_key, m);
                let TargetTime { now, slack } = at;
                let expiring = ExpirationModel::KeyMaterialExpires;
                let (expiration_model, valid_to) = match expires {
                    ValidToChoice::DoesNotExpire => {
                        (ExpirationModel::KeyMaterialDoesNotExpire, None)
                    }
                    ValidToChoice::In(s) => (expiring, Some(now + s)),
                    ValidToChoice::TooFar => (expiring, Some(now + 365 * DAY + 1 + slack)),
                    ValidToChoice::Past => (expiring, Some(now.saturating_sub(slack))),
                    ValidToChoice::MissingValidTo => (expiring, None),
                };
                api.import_key_material(ImportKeyMaterialRequest {
                    key_id: self.key(key),
                    import_token: Blob(params.token),
                    encrypted_key_material: Blob(wrapped),
                    expiration_model: Some(expiration_model),
                    valid_to: valid_to.map(Timestamp),
                    import_type: import_type.map(|t| match t {
                        ImportType::NewKeyMaterial => api::ImportType::NewKeyMaterial,
                        ImportType::ExistingKeyMaterial => api::ImportType::ExistingKeyMaterial,
                    }),
                })?;
                Performed::Plain
            }
            Action::DeleteImportedKeyMaterial { key, material } => {
                let key_material_id = match material {
                    None => None,
                    Some(m) => Some(self.material_id(api, key, m)?),
                };
                api.delete_imported_key_material(DeleteImportedKeyMaterialRequest {
                    key_id: self.key(key),
                    key_material_id,
                })?;
                Performed::Plain
            }
            Action::CreateAlias { alias, key } => {
                let name = match alias {
                    AliasName::Slot(n) => self.alias(n),
                    // Under the driver's prefix, so that a shared endpoint
                    // that accepted them once does not answer
                    // AlreadyExistsException to a later run.
                    AliasName::Reserved => {
                        self.names.alias_prefix.replacen("alias/", "alias/aws/", 1) + "reserved"
                    }
                    AliasName::Malformed => format!("{}bad name!", self.names.alias_prefix),
                };
                api.create_alias(AliasRequest {
                    alias_name: name,
                    target_key_id: self.key(key),
                })?;
                Performed::Plain
            }
            Action::UpdateAlias { alias, key } => {
                api.update_alias(AliasRequest {
                    alias_name: self.alias(alias),
                    target_key_id: self.key(key),
                })?;
                Performed::Plain
            }
            Action::DeleteAlias { alias } => {
                api.delete_alias(DeleteAliasRequest {
                    alias_name: self.alias(alias),
                })?;
                Performed::Plain
            }
            Action::GetKeyPolicy { key } => Performed::Policy(
                api.get_key_policy(GetKeyPolicyRequest {
                    key_id: self.key(key),
                    policy_name: Some("default".into()),
                })?
                .policy,
            ),
            Action::ListKeyPolicies { key } => Performed::PolicyNames(
                api.list_key_policies(ListKeyPoliciesRequest::new(self.key(key)))?,
            ),
            Action::PutKeyPolicy {
                key,
                policy,
                bypass,
            } => {
                // (The model's Managed policy is never put: AWS writes it.)
                let text = policy.document(&self.names.account).unwrap_or_default();
                api.put_key_policy(PutKeyPolicyRequest {
                    key_id: self.key(key),
                    policy_name: Some("default".into()),
                    policy: text,
                    bypass_policy_lockout_safety_check: Some(bypass),
                })?;
                Performed::Plain
            }
            Action::Advance(d) => match api.advance_clock(d) {
                Some(r) => {
                    r?;
                    Performed::Plain
                }
                None => {
                    return Err(protocol(
                        "the implementation offers no clock control".into(),
                    ));
                }
            },
        })
    }
}
