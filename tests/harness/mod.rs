//! The bridge between the model's abstract actions and the real `Kms`: runs an
//! action on both and compares everything the model tracks. Shared by the
//! differential test, the exhaustive replay and the planted-bug tests.
#![allow(dead_code)]

use kms_lifecycle::api::*;
use kms_lifecycle::conform::drive::{Driver, Names, Performed, TargetTime, ctx_of};
use kms_lifecycle::conform::{CallError, InProcess};
use kms_lifecycle::crypto::parse_ciphertext;
use kms_lifecycle::ids::KeyId;
use kms_lifecycle::import::WrappingKeyPool;
use kms_lifecycle::{Clock, Kms, KmsError, ManualClock};
use kms_lifecycle_model as model;
use model::{Action, OkSummary};
use std::sync::LazyLock;

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
    /// The store and its manual clock.
    pub sys: InProcess,
    /// Key ids, ciphertexts and import tokens by model index: the one
    /// driver from actions to calls, shared with the oracle (issue 15).
    pub drive: Driver,
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
            sys: InProcess { kms, clock },
            drive: Driver::new(rules, Names::in_process()),
            prev: model::State::initial(aliases),
            trace: Vec::new(),
        }
    }

    /// A copy in the same state, on its own manual clock (for exploring
    /// several actions from one state: the refinement test).
    pub fn fork(&self) -> Self {
        let clock = ManualClock::new(self.sys.clock.now());
        Self {
            sys: InProcess {
                kms: self.sys.kms.fork(clock.clone()),
                clock,
            },
            drive: self.drive.clone(),
            prev: self.prev.clone(),
            trace: self.trace.clone(),
        }
    }

    /// Runs `a` through the driver and abstracts the answer as the model's
    /// `OkSummary` is abstracted.
    fn run(&mut self, a: &Action) -> Result<SutOk, KmsError> {
        let at = TargetTime {
            now: self.sys.clock.now(),
            slack: 0,
        };
        let done = self
            .drive
            .perform(&mut self.sys, a, at)
            .map_err(|e| match e {
                CallError::Exception { name, message } => {
                    match KmsError::from_parts(&name, message) {
                        Some(e) => e,
                        None => KmsError::KMSInternalException(name),
                    }
                }
                other => KmsError::KMSInternalException(other.to_string()),
            })?;
        Ok(match done {
            Performed::Key { metadata, .. } => SutOk::Key(metadata.key_state),
            Performed::Encrypted { ct, .. } => {
                let Some(parsed) = parse_ciphertext(&self.drive.cts[ct].blob) else {
                    return Err(KmsError::KMSInternalException(
                        "the new ciphertext is not in the store's format".into(),
                    ));
                };
                SutOk::Encrypted {
                    key_id: parsed.key_id,
                    version: parsed.version,
                }
            }
            Performed::Decrypted { same_plaintext, .. } => {
                if !same_plaintext {
                    return Err(KmsError::KMSInternalException(
                        "decrypted to a different plaintext".into(),
                    ));
                }
                SutOk::Decrypted
            }
            Performed::Status(r) => SutOk::Status(r),
            Performed::Scheduled(r) => SutOk::Scheduled(r),
            Performed::Params(r) => SutOk::Params(*r),
            Performed::Policy(text) => SutOk::Policy(text),
            Performed::PolicyNames(r) => {
                if r.policy_names != ["default"] || r.truncated {
                    return Err(KmsError::KMSInternalException(format!(
                        "ListKeyPolicies answered {r:?}"
                    )));
                }
                SutOk::Plain
            }
            Performed::Plain => SutOk::Plain,
        })
    }

    fn index_of_key_bytes(&self, bytes: &[u8; 16]) -> Option<usize> {
        self.drive
            .index_of(&KeyId::from_bytes(*bytes).to_string())
            .map(usize::from)
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
        let alarms_before = self.sys.kms.alarms().len();
        let got = self.run(a);
        let alarms_raised = self.sys.kms.alarms().len() - alarms_before;
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
        if self.sys.clock.now() - START != state.now {
            return Err(format!(
                "clock: model {}, implementation {}",
                state.now,
                self.sys.clock.now() - START
            ));
        }
        if state.keys.len() != self.drive.keys.len() {
            return Err(format!(
                "model has {} keys, implementation {}",
                state.keys.len(),
                self.drive.keys.len()
            ));
        }
        for i in 0..state.keys.len() {
            let obs = model::observe(&state, i);
            let id = self.drive.keys[i].clone();
            let d = self.sys.kms.describe_key(KeyIdRequest::new(id.clone()));
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
                    .sys
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
                .sys
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
                .sys
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
                .sys
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
            .sys
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
                        .and_then(|t| self.drive.keys.iter().position(|k| k == t))
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
            let kms_lifecycle::conform::drive::Sealed {
                blob,
                plaintext: pt,
                ctx,
            } = self.drive.cts[i].clone();
            let got = self.sys.kms.decrypt(DecryptRequest {
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
        let ids = self.sys.kms.rules().key_material_ids;
        let listed = self
            .sys
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
    if m == model::KeyState::from(s) {
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
    plant(&mut sut.sys.kms);
    for a in actions {
        if !model::applicable(&sut.prev, a) {
            continue;
        }
        sut.step_and_compare(rules, a)?;
    }
    Ok(())
}
