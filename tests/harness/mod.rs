//! The bridge between the model's abstract actions and the real `Kms`: runs an
//! action on both and compares everything the model tracks. Shared by the
//! differential test, the exhaustive replay and the planted-bug tests.
#![allow(dead_code)]

use kms_lifecycle::api::*;
use kms_lifecycle::import::{WrappingKeyPool, wrap_key_material};
use kms_lifecycle::{Clock, Kms, KmsError, ManualClock};
use kms_lifecycle_model as model;
use model::{Action, AliasName, Ctx, KeyRef, OkSummary, TokenRef, ValidToChoice};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

/// Material `m` wrapped (RSAES_OAEP_SHA_256) under the wrapping key whose
/// public key is `public`, made once per pair and test binary: a client may
/// import the same wrapped blob again, the implementation unwraps every
/// import for real, and the whole-graph refinement would otherwise spend an
/// eighth of its time wrapping the same few pairs again.
fn wrapped_material(public: &[u8], m: u8) -> Vec<u8> {
    type Cache = Mutex<BTreeMap<([u8; 32], u8), Vec<u8>>>;
    static WRAPPED: LazyLock<Cache> = LazyLock::new(Cache::default);
    let key = (Sha256::digest(public).into(), m);
    if let Some(w) = WRAPPED.lock().unwrap().get(&key) {
        return w.clone();
    }
    let w = wrap_key_material(public, WrappingAlgorithm::RsaesOaepSha256, &material(m))
        .expect("wrapping with a valid public key");
    WRAPPED.lock().unwrap().entry(key).or_insert(w).clone()
}

pub mod generator;
pub mod minimize;

/// Model time 0 on the implementation's clock (2026-01-01T00:00:00Z).
pub const START: u64 = kms_lifecycle::clock::DEFAULT_START;

thread_local! {
    /// The spec §3 cells (operation × key state × origin × managed) that the
    /// steps run on this thread hit (`model::table`); the differential test
    /// fails on a cell its run could reach but did not.
    pub static CELLS: model::table::Coverage = model::table::Coverage::default();
}

/// One RSA wrapping key per test binary: key generation is slow.
pub static POOL: LazyLock<WrappingKeyPool> = LazyLock::new(WrappingKeyPool::new);

fn ctx_of(c: Ctx) -> EncryptionContext {
    // Two contexts that a naive concatenation would confuse (spec §7).
    let mut m = BTreeMap::new();
    match c {
        Ctx::A => m.insert("ab".to_string(), "c".to_string()),
        Ctx::B => m.insert("a".to_string(), "bc".to_string()),
    };
    m
}

fn material(m: u8) -> Vec<u8> {
    Sha256::digest([b"differential-material".as_slice(), &[m]].concat()).to_vec()
}

/// What the implementation did, abstracted like the model's `OkSummary`.
#[derive(Debug)]
enum SutOk {
    Plain,
    Key(KeyState),
    Encrypted { key_id: [u8; 16], version: u32 },
    Decrypted,
    Status(GetKeyRotationStatusResponse),
    Scheduled(ScheduleKeyDeletionResponse),
    Params(GetParametersForImportResponse),
    Policy(String),
}

/// The account of the store under test (the builder's default).
pub const ACCOUNT: &str = "111122223333";

/// The text GetKeyPolicy must answer for the abstract `policy`: the model's
/// concrete document, or for the AWS managed key of `alias/aws/differential`
/// the policy AWS gives it.
pub fn policy_text(policy: model::Policy) -> String {
    policy.document(ACCOUNT).unwrap_or_else(|| {
        kms_lifecycle::store::managed_key_policy(ACCOUNT, "us-east-1", "differential")
    })
}

/// The system under test and what the harness remembers of it.
pub struct Sut {
    pub kms: Kms,
    pub clock: ManualClock,
    /// Key ids by model index (creation order).
    pub keys: Vec<String>,
    /// Ciphertexts by model index: blob, plaintext, context.
    pub cts: Vec<(Vec<u8>, Vec<u8>, Ctx)>,
    /// Import tokens and public keys per key, oldest first.
    pub tokens: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    /// The model state before the next action.
    pub prev: model::State,
    /// The actions run so far (for failure messages).
    pub trace: Vec<Action>,
}

impl Sut {
    pub fn new(rules: &model::Rules) -> Self {
        Self::with_aliases(rules, 2)
    }

    pub fn with_aliases(rules: &model::Rules, aliases: usize) -> Self {
        let clock = ManualClock::new(START);
        let kms = Kms::builder()
            .rules(*rules)
            .clock(clock.clone())
            .wrapping_keys(POOL.clone())
            .build();
        Self {
            kms,
            clock,
            keys: Vec::new(),
            cts: Vec::new(),
            tokens: Vec::new(),
            prev: model::State::initial(aliases),
            trace: Vec::new(),
        }
    }

    /// A copy in the same state, on its own manual clock (for exploring
    /// several actions from one state: the refinement test).
    pub fn fork(&self) -> Self {
        let clock = ManualClock::new(self.clock.now());
        Self {
            kms: self.kms.fork(clock.clone()),
            clock,
            keys: self.keys.clone(),
            cts: self.cts.clone(),
            tokens: self.tokens.clone(),
            prev: self.prev.clone(),
            trace: self.trace.clone(),
        }
    }

    fn key(&self, k: u8) -> String {
        self.keys[k as usize].clone()
    }

    fn kref(&self, r: KeyRef) -> String {
        match r {
            KeyRef::Key(k) => self.key(k),
            KeyRef::Alias(a) => format!("alias/slot{a}"),
        }
    }

    fn run(&mut self, a: &Action) -> Result<SutOk, KmsError> {
        let kms = &mut self.kms;
        let key_req = |s: String| KeyIdRequest::new(s);
        Ok(match *a {
            Action::CreateKey { origin } => {
                let r = kms.create_key(CreateKeyRequest {
                    origin: Some(match origin {
                        model::Origin::AwsKms => Origin::AwsKms,
                        model::Origin::External => Origin::External,
                    }),
                    ..Default::default()
                })?;
                self.keys.push(r.key_metadata.key_id.clone());
                self.tokens.push(Vec::new());
                SutOk::Key(r.key_metadata.key_state)
            }
            Action::UseManagedAlias => {
                let r = kms.describe_key(key_req("alias/aws/differential".into()))?;
                if !self.keys.contains(&r.key_metadata.key_id) {
                    self.keys.push(r.key_metadata.key_id.clone());
                    self.tokens.push(Vec::new());
                }
                SutOk::Key(r.key_metadata.key_state)
            }
            Action::DescribeKey { key } => {
                let id = self.kref(key);
                SutOk::Key(self.kms.describe_key(key_req(id))?.key_metadata.key_state)
            }
            Action::Encrypt { key, ctx } => {
                let pt = format!("plaintext {}", self.cts.len()).into_bytes();
                let id = self.kref(key);
                let r = self.kms.encrypt(EncryptRequest {
                    key_id: id,
                    plaintext: SecretBlob::new(pt.clone()),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                self.push_ct(r.ciphertext_blob.0, pt, ctx)
            }
            Action::GenerateDataKey { key } => {
                let id = self.kref(key);
                let r = self.kms.generate_data_key(GenerateDataKeyRequest {
                    key_id: id,
                    key_spec: Some(DataKeySpec::Aes256),
                    encryption_context: Some(ctx_of(Ctx::A)),
                    ..Default::default()
                })?;
                let pt = r
                    .plaintext
                    .expect("GenerateDataKey returns the plaintext")
                    .expose()
                    .to_vec();
                self.push_ct(r.ciphertext_blob.0, pt, Ctx::A)
            }
            Action::Decrypt { ct, ctx, key } => {
                let (blob, pt, _) = self.cts[ct as usize].clone();
                let key_id = key.map(|k| self.kref(k));
                let r = self.kms.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(blob),
                    key_id,
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                if r.plaintext.expose() != pt.as_slice() {
                    return Err(KmsError::KMSInternalException(
                        "decrypted to a different plaintext".into(),
                    ));
                }
                SutOk::Decrypted
            }
            Action::DecryptTampered { ct } => {
                let (mut blob, _, ctx) = self.cts[ct as usize].clone();
                let last = blob.len() - 1;
                blob[last] ^= 0x01;
                self.kms.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(blob),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                SutOk::Decrypted
            }
            Action::ReEncrypt { ct, dest } => {
                let (blob, pt, ctx) = self.cts[ct as usize].clone();
                let dest = self.kref(dest);
                let r = self.kms.re_encrypt(ReEncryptRequest {
                    ciphertext_blob: Blob(blob),
                    source_encryption_context: Some(ctx_of(ctx)),
                    destination_key_id: dest,
                    destination_encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                self.push_ct(r.ciphertext_blob.0, pt, ctx)
            }
            Action::EnableKey { key } => {
                self.kms.enable_key(key_req(self.key(key)))?;
                SutOk::Plain
            }
            Action::DisableKey { key } => {
                self.kms.disable_key(key_req(self.key(key)))?;
                SutOk::Plain
            }
            Action::EnableKeyRotation { key, period_days } => {
                self.kms.enable_key_rotation(EnableKeyRotationRequest {
                    key_id: self.key(key),
                    rotation_period_in_days: period_days.map(i64::from),
                })?;
                SutOk::Plain
            }
            Action::DisableKeyRotation { key } => {
                self.kms.disable_key_rotation(key_req(self.key(key)))?;
                SutOk::Plain
            }
            Action::GetKeyRotationStatus { key } => {
                SutOk::Status(self.kms.get_key_rotation_status(key_req(self.key(key)))?)
            }
            Action::RotateKeyOnDemand { key } => {
                self.kms.rotate_key_on_demand(key_req(self.key(key)))?;
                SutOk::Plain
            }
            Action::ScheduleKeyDeletion { key, window_days } => {
                SutOk::Scheduled(self.kms.schedule_key_deletion(ScheduleKeyDeletionRequest {
                    key_id: self.key(key),
                    pending_window_in_days: window_days.map(i64::from),
                })?)
            }
            Action::CancelKeyDeletion { key } => {
                self.kms.cancel_key_deletion(key_req(self.key(key)))?;
                SutOk::Plain
            }
            Action::GetParametersForImport { key } => {
                let r = self
                    .kms
                    .get_parameters_for_import(GetParametersForImportRequest {
                        key_id: self.key(key),
                        wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                        wrapping_key_spec: WrappingKeySpec::Rsa2048,
                    })?;
                self.tokens[key as usize].push((r.import_token.0.clone(), r.public_key.0.clone()));
                SutOk::Params(r)
            }
            Action::ImportKeyMaterial {
                key,
                token,
                material: m,
                import_type,
                expires,
            } => {
                let (tok, public) = match token {
                    TokenRef::Latest => self.tokens[key as usize]
                        .last()
                        .cloned()
                        .expect("applicable"),
                    TokenRef::Superseded => self.tokens[key as usize][0].clone(),
                    TokenRef::OtherKey => self
                        .tokens
                        .iter()
                        .enumerate()
                        .find(|(i, t)| *i != key as usize && !t.is_empty())
                        .and_then(|(_, t)| t.last().cloned())
                        .expect("applicable"),
                    TokenRef::Forged => {
                        let any = self.tokens.iter().flatten().next().map(|t| t.1.clone());
                        let public = any.unwrap_or_else(|| self.fresh_public_key());
                        (vec![0x54; 98], public)
                    }
                };
                let wrapped = wrapped_material(&public, m);
                let now = self.clock.now();
                let (model_str, valid_to) = match expires {
                    ValidToChoice::DoesNotExpire => {
                        (ExpirationModel::KeyMaterialDoesNotExpire, None)
                    }
                    ValidToChoice::In(s) => (ExpirationModel::KeyMaterialExpires, Some(now + s)),
                    ValidToChoice::TooFar => (
                        ExpirationModel::KeyMaterialExpires,
                        Some(now + 365 * 86_400 + 1),
                    ),
                    ValidToChoice::Past => (ExpirationModel::KeyMaterialExpires, Some(now)),
                    ValidToChoice::MissingValidTo => (ExpirationModel::KeyMaterialExpires, None),
                };
                self.kms.import_key_material(ImportKeyMaterialRequest {
                    key_id: self.key(key),
                    import_token: Blob(tok),
                    encrypted_key_material: Blob(wrapped),
                    expiration_model: Some(model_str),
                    valid_to: valid_to.map(Timestamp),
                    import_type: import_type.map(|t| match t {
                        model::ImportType::NewKeyMaterial => ImportType::NewKeyMaterial,
                        model::ImportType::ExistingKeyMaterial => ImportType::ExistingKeyMaterial,
                    }),
                })?;
                SutOk::Plain
            }
            Action::DeleteImportedKeyMaterial { key, material } => {
                let key_material_id = material.map(|m| self.material_id(key, m));
                self.kms
                    .delete_imported_key_material(DeleteImportedKeyMaterialRequest {
                        key_id: self.key(key),
                        key_material_id,
                    })?;
                SutOk::Plain
            }
            Action::CreateAlias { alias, key } => {
                let name = match alias {
                    AliasName::Slot(n) => format!("alias/slot{n}"),
                    AliasName::Reserved => "alias/aws/reserved".into(),
                    AliasName::Malformed => "alias/bad name!".into(),
                };
                self.kms.create_alias(AliasRequest {
                    alias_name: name,
                    target_key_id: self.key(key),
                })?;
                SutOk::Plain
            }
            Action::UpdateAlias { alias, key } => {
                self.kms.update_alias(AliasRequest {
                    alias_name: format!("alias/slot{alias}"),
                    target_key_id: self.key(key),
                })?;
                SutOk::Plain
            }
            Action::DeleteAlias { alias } => {
                self.kms.delete_alias(DeleteAliasRequest {
                    alias_name: format!("alias/slot{alias}"),
                })?;
                SutOk::Plain
            }
            Action::GetKeyPolicy { key } => SutOk::Policy(
                self.kms
                    .get_key_policy(GetKeyPolicyRequest::new(self.key(key)))?
                    .policy,
            ),
            Action::ListKeyPolicies { key } => {
                let r = self
                    .kms
                    .list_key_policies(ListKeyPoliciesRequest::new(self.key(key)))?;
                if r.policy_names != ["default"] || r.truncated {
                    return Err(KmsError::KMSInternalException(format!(
                        "ListKeyPolicies answered {r:?}"
                    )));
                }
                SutOk::Plain
            }
            Action::PutKeyPolicy {
                key,
                policy,
                bypass,
            } => {
                self.kms.put_key_policy(PutKeyPolicyRequest {
                    key_id: self.key(key),
                    policy_name: Some("default".into()),
                    policy: policy_text(policy),
                    bypass_policy_lockout_safety_check: Some(bypass),
                })?;
                SutOk::Plain
            }
            Action::Advance(d) => {
                self.clock.advance(d);
                self.kms.tick();
                SutOk::Plain
            }
        })
    }

    /// The `KeyMaterialId` that `m` names on key `k`, as the implementation
    /// lists it (ListKeyRotations with ALL_KEY_MATERIAL; the listing itself is
    /// compared with the model after every step).
    fn material_id(&mut self, k: u8, m: model::MaterialRef) -> String {
        // Under `classic` any KeyMaterialId is ValidationException.
        if m == model::MaterialRef::Unknown || !self.kms.rules().key_material_ids {
            return UNKNOWN_KEY_MATERIAL_ID.into();
        }
        let listed = self
            .kms
            .list_key_rotations(ListKeyRotationsRequest::all(
                self.key(k),
                IncludeKeyMaterial::AllKeyMaterial,
            ))
            .expect("ListKeyRotations of a live key");
        let (permanent, pending) = listed.material_ids();
        match m {
            model::MaterialRef::Version(v) => permanent.get(v as usize).copied(),
            _ => pending,
        }
        .unwrap_or_else(|| panic!("k{k} lists no material {m:?}: {listed:?}"))
        .to_string()
    }

    fn fresh_public_key(&self) -> Vec<u8> {
        use rsa::pkcs8::EncodePublicKey;
        let sk = kms_lifecycle::import::WrappingKeySource::wrapping_key(
            &*POOL,
            WrappingKeySpec::Rsa2048,
        );
        sk.to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }

    fn push_ct(&mut self, blob: Vec<u8>, pt: Vec<u8>, ctx: Ctx) -> SutOk {
        let key_id: [u8; 16] = blob[2..18].try_into().unwrap();
        let version = u32::from_be_bytes(blob[18..22].try_into().unwrap());
        self.cts.push((blob, pt, ctx));
        SutOk::Encrypted { key_id, version }
    }

    fn index_of_key_bytes(&self, bytes: &[u8; 16]) -> Option<usize> {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.keys.iter().position(|k| k.replace('-', "") == hex)
    }

    /// Runs `a` on the implementation, steps the model from `self.prev`, and
    /// compares the response and everything observable afterwards.
    pub fn step_and_compare(&mut self, rules: &model::Rules, a: &Action) -> Result<(), String> {
        self.trace.push(*a);
        CELLS.with(|c| c.record(&self.prev, a));
        let mut outs = model::step(rules, &self.prev, a);
        if outs.is_empty() {
            return Err(format!("action not applicable in the model: {a:?}"));
        }
        let (expected, next) = outs.swap_remove(0);
        let alarms_before = self.kms.alarms().len();
        let got = self.run(a);
        let alarms_raised = self.kms.alarms().len() - alarms_before;
        // Rendered only on a divergence (this runs on every edge of the
        // refinement test).
        let ctx = |msg: String, trace: &[Action], next: &model::State| {
            format!(
                "{msg}\n  after {} actions: {:#?}\n  model state: {}",
                trace.len(),
                trace,
                model::summary(next)
            )
        };
        match (&expected.outcome, &got) {
            (Ok(e), Ok(g)) => self
                .compare_ok(e, g)
                .map_err(|m| ctx(m, &self.trace, &next))?,
            (Err(e), Err(g)) if e.name() == g.name() => {}
            (e, g) => {
                let msg = format!(
                    "{a:?}: model answers {e:?}, implementation answers {}",
                    match g {
                        Ok(o) => format!("Ok({o:?})"),
                        Err(e) => e.to_string(),
                    }
                );
                return Err(ctx(msg, &self.trace, &next));
            }
        }
        if alarms_raised != usize::from(expected.alarm) {
            let msg = format!(
                "{a:?}: model raises {} alarm(s), implementation {alarms_raised}",
                u8::from(expected.alarm)
            );
            return Err(ctx(msg, &self.trace, &next));
        }
        self.prev = next;
        match self.compare_state() {
            Ok(()) => Ok(()),
            Err(m) => Err(ctx(m, &self.trace, &self.prev)),
        }
    }

    fn compare_ok(&self, e: &OkSummary, g: &SutOk) -> Result<(), String> {
        match (e, g) {
            (OkSummary::Key { state, .. }, SutOk::Key(s)) => same_state(*state, *s),
            (
                OkSummary::Encrypted { key, version, .. },
                SutOk::Encrypted { key_id, version: v },
            ) => {
                if self.index_of_key_bytes(key_id) != Some(*key as usize)
                    || *v != u32::from(*version)
                {
                    return Err(format!(
                        "ciphertext names key {:?} version {v}, model key {key} version {version}",
                        self.index_of_key_bytes(key_id)
                    ));
                }
                Ok(())
            }
            (OkSummary::Decrypted { .. }, SutOk::Decrypted) => Ok(()),
            (
                OkSummary::RotationStatus {
                    enabled,
                    next,
                    period_days,
                },
                SutOk::Status(s),
            ) => {
                let got = (
                    s.key_rotation_enabled,
                    s.next_rotation_date.map(|t| t.0 - START),
                    s.rotation_period_in_days,
                );
                if got != (*enabled, *next, *period_days) {
                    return Err(format!(
                        "GetKeyRotationStatus: model {:?}, implementation {got:?}",
                        (enabled, next, period_days)
                    ));
                }
                Ok(())
            }
            (
                OkSummary::Scheduled {
                    deletion_date,
                    window_days,
                    ..
                },
                SutOk::Scheduled(s),
            ) => {
                if (s.deletion_date.0 - START, s.pending_window_in_days)
                    != (*deletion_date, *window_days)
                {
                    return Err(format!(
                        "ScheduleKeyDeletion: model date {deletion_date} window {window_days}, implementation {} {}",
                        s.deletion_date.0 - START,
                        s.pending_window_in_days
                    ));
                }
                Ok(())
            }
            (OkSummary::ImportParameters { valid_to, .. }, SutOk::Params(p)) => {
                if p.parameters_valid_to.0 - START != *valid_to {
                    return Err(format!(
                        "ParametersValidTo: model {valid_to}, implementation {}",
                        p.parameters_valid_to.0 - START
                    ));
                }
                Ok(())
            }
            (OkSummary::KeyPolicy { policy, .. }, SutOk::Policy(text)) => {
                if *text != policy_text(*policy) {
                    return Err(format!(
                        "GetKeyPolicy: model {policy:?}, implementation {text:?}"
                    ));
                }
                Ok(())
            }
            (_, SutOk::Plain) => Ok(()),
            (e, g) => Err(format!(
                "success of different shapes: model {e:?}, implementation {g:?}"
            )),
        }
    }

    /// Compares every key and every ciphertext with the model state.
    pub fn compare_state(&mut self) -> Result<(), String> {
        let state = self.prev.clone();
        if self.clock.now() - START != state.now {
            return Err(format!(
                "clock: model {}, implementation {}",
                state.now,
                self.clock.now() - START
            ));
        }
        if state.keys.len() != self.keys.len() {
            return Err(format!(
                "model has {} keys, implementation {}",
                state.keys.len(),
                self.keys.len()
            ));
        }
        for i in 0..state.keys.len() {
            let obs = model::observe(&state, i);
            let id = self.keys[i].clone();
            let d = self.kms.describe_key(KeyIdRequest::new(id.clone()));
            if obs.state == model::KeyState::Deleted {
                match d {
                    Err(KmsError::NotFoundException(_)) => continue,
                    other => {
                        return Err(format!("key {i}: model Deleted, implementation {other:?}"));
                    }
                }
            }
            let m = d
                .map_err(|e| format!("key {i}: DescribeKey failed: {e}"))?
                .key_metadata;
            same_state(obs.state, m.key_state).map_err(|e| format!("key {i}: {e}"))?;
            if m.enabled != obs.enabled || m.deletion_date.map(|t| t.0 - START) != obs.deletion_date
            {
                return Err(format!(
                    "key {i}: Enabled/DeletionDate model {:?}/{:?}, implementation {:?}/{:?}",
                    obs.enabled,
                    obs.deletion_date,
                    m.enabled,
                    m.deletion_date.map(|t| t.0 - START)
                ));
            }
            if obs.origin == model::Origin::AwsKms {
                let s = self
                    .kms
                    .get_key_rotation_status(KeyIdRequest::new(id.clone()))
                    .map_err(|e| format!("key {i}: GetKeyRotationStatus failed: {e}"))?;
                let got = (
                    s.key_rotation_enabled,
                    s.next_rotation_date.map(|t| t.0 - START),
                    s.rotation_period_in_days,
                );
                let want = (
                    obs.rotation_enabled,
                    obs.next_rotation_date,
                    obs.rotation_period_days,
                );
                if got != want {
                    return Err(format!(
                        "key {i}: rotation status model {want:?}, implementation {got:?}"
                    ));
                }
            }
            let rot = self
                .kms
                .list_key_rotations(ListKeyRotationsRequest {
                    key_id: id.clone(),
                    limit: Some(1000),
                    ..Default::default()
                })
                .map_err(|e| format!("key {i}: ListKeyRotations failed: {e}"))?;
            let got: Vec<(Option<u64>, Option<RotationType>)> = rot
                .rotations
                .iter()
                .map(|r| (r.rotation_date.map(|t| t.0 - START), r.rotation_type))
                .collect();
            let want: Vec<(Option<u64>, Option<RotationType>)> = obs
                .rotations
                .iter()
                .map(|r| (Some(r.date), Some(rotation_type(r.rotation_type))))
                .collect();
            if got != want {
                return Err(format!(
                    "key {i}: rotations model {want:?}, implementation {got:?}"
                ));
            }
            self.compare_materials(i, &id, &obs, m.valid_to.map(|t| t.0 - START))?;
            // The key policy is part of the key in every state (issue 16).
            let want = state.keys[i].policy;
            let got = self
                .kms
                .get_key_policy(GetKeyPolicyRequest::new(id.clone()))
                .map_err(|e| format!("key {i}: GetKeyPolicy failed: {e}"))?
                .policy;
            if got != policy_text(want) {
                return Err(format!(
                    "key {i}: key policy model {want:?}, implementation {got:?}"
                ));
            }
            let aliases: Vec<u8> = self
                .kms
                .aliases_of(&id)
                .iter()
                .filter_map(|n| n.strip_prefix("alias/slot").and_then(|s| s.parse().ok()))
                .collect();
            if aliases != obs.aliases {
                return Err(format!(
                    "key {i}: aliases model {:?}, implementation {aliases:?}",
                    obs.aliases
                ));
            }
        }
        // Every alias slot, through ListAliases (a deleted key's aliases
        // included, which DescribeKey cannot show).
        let listed = self
            .kms
            .list_aliases(ListRequest {
                limit: Some(100),
                ..Default::default()
            })
            .map_err(|e| format!("ListAliases failed: {e}"))?;
        let mut got: Vec<Option<usize>> = vec![None; state.aliases.len()];
        for a in &listed.aliases {
            if let Some(n) = a
                .alias_name
                .strip_prefix("alias/slot")
                .and_then(|n| n.parse::<usize>().ok())
                && n < got.len()
            {
                got[n] = Some(
                    a.target_key_id
                        .as_ref()
                        .and_then(|t| self.keys.iter().position(|k| k == t))
                        .unwrap_or(usize::MAX),
                );
            }
        }
        let want: Vec<Option<usize>> = state.aliases.iter().map(|a| a.map(usize::from)).collect();
        if got != want {
            return Err(format!(
                "alias slots (target key index): model {want:?}, implementation {got:?}"
            ));
        }
        for (i, c) in state.ciphertexts.iter().enumerate() {
            let want = model::decrypt_outcome(&state, i, c.ctx);
            let (blob, pt, ctx) = self.cts[i].clone();
            let got = self.kms.decrypt(DecryptRequest {
                ciphertext_blob: Blob(blob),
                encryption_context: Some(ctx_of(ctx)),
                ..Default::default()
            });
            match (&want, &got) {
                (Ok(_), Ok(r)) if r.plaintext.expose() == pt.as_slice() => {}
                (Err(e), Err(g)) if e.name() == g.name() => {}
                _ => {
                    return Err(format!(
                        "ciphertext {i}: model {want:?}, implementation {:?}",
                        got.map(|_| "decrypts")
                    ));
                }
            }
        }
        Ok(())
    }
}

fn rotation_type(t: model::RotationType) -> RotationType {
    match t {
        model::RotationType::Automatic => RotationType::Automatic,
        model::RotationType::OnDemand => RotationType::OnDemand,
    }
}

/// A ListKeyRotations entry as compared: KeyMaterialState, ImportState,
/// expiration (`Some(ValidTo)` while imported), rotation date and type.
type MaterialEntry = (
    Option<KeyMaterialState>,
    Option<ImportState>,
    Option<Option<u64>>,
    Option<(u64, RotationType)>,
);

/// One ListKeyRotations(ALL_KEY_MATERIAL) entry, abstracted as the model's
/// [`model::MaterialObservation`] (times relative to [`START`]).
fn material_entry(e: &RotationsListEntry) -> MaterialEntry {
    let expiration = e.expiration_model.map(|em| match em {
        ExpirationModel::KeyMaterialExpires => e.valid_to.map(|t| t.0 - START),
        ExpirationModel::KeyMaterialDoesNotExpire => None,
    });
    (
        e.key_material_state,
        e.import_state,
        expiration,
        e.rotation_date
            .zip(e.rotation_type)
            .map(|(d, t)| (d.0 - START, t)),
    )
}

impl Sut {
    /// ListKeyRotations(ALL_KEY_MATERIAL) and DescribeKey's ValidTo against
    /// the model: every material with its state, import state and expiry.
    fn compare_materials(
        &mut self,
        i: usize,
        id: &str,
        obs: &model::KeyObservation,
        valid_to: Option<u64>,
    ) -> Result<(), String> {
        let ids = self.kms.rules().key_material_ids;
        let listed = self
            .kms
            .list_key_rotations(ListKeyRotationsRequest::all(
                id,
                IncludeKeyMaterial::AllKeyMaterial,
            ))
            .map_err(|e| format!("key {i}: ListKeyRotations(ALL_KEY_MATERIAL) failed: {e}"))?;
        let got: Vec<_> = listed.rotations.iter().map(material_entry).collect();
        let want: Vec<_> = obs
            .materials
            .iter()
            .map(|m| {
                let external = obs.origin == model::Origin::External;
                (
                    ids.then_some(match m.state {
                        model::MaterialState::Current => KeyMaterialState::Current,
                        model::MaterialState::NonCurrent => KeyMaterialState::NonCurrent,
                        model::MaterialState::PendingRotation => KeyMaterialState::PendingRotation,
                    }),
                    m.imported.filter(|_| ids && external).map(|p| {
                        if p {
                            ImportState::Imported
                        } else {
                            ImportState::PendingImport
                        }
                    }),
                    m.expiration.filter(|_| ids && external),
                    m.rotation.map(|(d, t)| (d, rotation_type(t))),
                )
            })
            .collect();
        if got != want {
            return Err(format!(
                "key {i}: ListKeyRotations(ALL_KEY_MATERIAL) model {want:?}, implementation {got:?}"
            ));
        }
        let permanent = listed.material_ids().0.len();
        if ids && permanent != obs.materials.iter().filter(|m| m.version.is_some()).count() {
            return Err(format!(
                "key {i}: {permanent} material ids listed, model {:?}",
                obs.materials
            ));
        }
        if valid_to != obs.valid_to {
            return Err(format!(
                "key {i}: DescribeKey ValidTo model {:?}, implementation {valid_to:?}",
                obs.valid_to
            ));
        }
        Ok(())
    }
}

fn same_state(m: model::KeyState, s: KeyState) -> Result<(), String> {
    let ok = matches!(
        (m, s),
        (model::KeyState::Enabled, KeyState::Enabled)
            | (model::KeyState::Disabled, KeyState::Disabled)
            | (model::KeyState::PendingDeletion, KeyState::PendingDeletion)
            | (model::KeyState::PendingImport, KeyState::PendingImport)
    );
    if ok {
        Ok(())
    } else {
        Err(format!("state: model {m:?}, implementation {s:?}"))
    }
}

/// Runs a whole sequence from scratch; the first divergence is the error.
pub fn run_sequence(
    rules: &model::Rules,
    actions: &[Action],
    plant: impl FnOnce(&mut Kms),
) -> Result<(), String> {
    run_sequence_with_aliases(rules, 2, actions, plant)
}

/// [`run_sequence`] with `aliases` alias slots in the model state.
pub fn run_sequence_with_aliases(
    rules: &model::Rules,
    aliases: usize,
    actions: &[Action],
    plant: impl FnOnce(&mut Kms),
) -> Result<(), String> {
    let mut sut = Sut::with_aliases(rules, aliases);
    plant(&mut sut.kms);
    for a in actions {
        if !model::applicable(&sut.prev, a) {
            continue;
        }
        sut.step_and_compare(rules, a)?;
    }
    Ok(())
}
