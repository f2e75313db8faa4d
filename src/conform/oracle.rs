//! The oracle: generated sequences of model actions, run against a
//! [`KmsApi`], every observation checked against the model in lenient mode.
//!
//! The oracle keeps the *set* of model states consistent with everything
//! observed so far: each call's observed answer filters the outcomes that
//! [`model::step_with`] allows, and after each state-changing call a few probes
//! (DescribeKey, GetKeyRotationStatus, ListKeyRotations, ListAliases) filter
//! the set further. An empty set is a divergence. Divergences are grouped by
//! the rule they violate and shrunk by delta debugging, replaying every
//! candidate from scratch on a fresh implementation (for a shared HTTP
//! endpoint: fresh keys and fresh alias names).

// A divergence ends the sequence: its size on the error path does not matter.
#![allow(clippy::result_large_err)]

use super::missing::MissingOperation;
use super::missing::{SharedMissing, Watched};
use super::{CallError, KmsApi};
use crate::api::{self, *};
use crate::clock::{Clock, SystemClock};
use crate::import::wrap_key_material;
use kms_lifecycle_model as model;
use model::{
    Action, AliasName, Config, Ctx, DAY, Exception, ImportType, KeyRef, KeyState, MaterialRef,
    OkSummary, Origin, Response, State, Time, TokenRef, ValidToChoice,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// How the oracle runs.
#[derive(Clone, Debug)]
pub struct OracleConfig {
    /// The rule set the implementation is checked against.
    pub rules: model::Rules,
    /// Seed of the sequence generator.
    pub seed: u64,
    /// Number of generated sequences.
    pub sequences: usize,
    /// Actions per generated sequence (at most).
    pub max_length: usize,
    /// Alias names per sequence.
    pub alias_slots: usize,
    /// Replays allowed to shrink one rule's sequence.
    pub max_shrink_replays: usize,
    /// Stop generating sequences after this long (shrinking included).
    pub time_budget: Option<Duration>,
    /// The namespace of the alias names and of the AWS managed key's service
    /// name. `None` (the default) draws a fresh random one per replay, so that
    /// replays against one shared endpoint never see each other's aliases. A
    /// fixed one makes runs reproducible byte for byte; use it only with a
    /// target that is fresh for every replay (the fuzz target does).
    pub namespace: Option<String>,
    /// How long a probe may wait for a real service's eventually consistent
    /// answer (an asynchronous RotateKeyOnDemand, a stale ListAliases).
    pub settle: Duration,
}

impl Default for OracleConfig {
    fn default() -> Self {
        Self {
            rules: model::Rules::current(),
            seed: 1,
            sequences: 100,
            max_length: 24,
            alias_slots: 2,
            max_shrink_replays: 400,
            time_budget: None,
            namespace: None,
            settle: Duration::ZERO,
        }
    }
}

/// Something to check: makes a fresh implementation for every replay (or hands
/// out the shared endpoint again).
pub struct Target {
    /// Shown in reports.
    pub name: String,
    make: Box<dyn FnMut() -> Box<dyn KmsApi>>,
}

impl Target {
    /// A target made by `make` for every replay.
    pub fn new(name: impl Into<String>, make: impl FnMut() -> Box<dyn KmsApi> + 'static) -> Self {
        Self {
            name: name.into(),
            make: Box::new(make),
        }
    }

    /// The in-process reference with a manual clock.
    pub fn in_process(rules: &model::Rules) -> Self {
        let r = crate::Rules::by_name(rules.name()).unwrap_or_else(crate::Rules::current);
        Self::new(
            "in-process reference".to_string(),
            move || -> Box<dyn KmsApi> {
                Box::new(super::InProcess::new(r.clone(), super::DEFAULT_START))
            },
        )
    }

    /// An HTTP endpoint (shared by every replay), with the documentation
    /// example credentials.
    pub fn http(endpoint: &str, region: Option<&str>) -> Result<Self, String> {
        Self::http_with(endpoint, region, Default::default(), None)
    }

    /// An HTTP endpoint signed with `credentials`; with `created`, every key
    /// and alias the oracle creates is recorded there (for `--cleanup`).
    pub fn http_with(
        endpoint: &str,
        region: Option<&str>,
        credentials: super::http::Credentials,
        created: Option<super::cleanup::SharedCreated>,
    ) -> Result<Self, String> {
        let probe = super::HttpKms::new(endpoint, region, credentials.clone())?;
        let (endpoint, region) = (probe.endpoint.clone(), probe.region.clone());
        Ok(Self::new(
            format!("{endpoint} (region {region})"),
            move || -> Box<dyn KmsApi> {
                let api: Box<dyn KmsApi> = Box::new(
                    super::HttpKms::new(&endpoint, Some(&region), credentials.clone())
                        .expect("validated above"),
                );
                match &created {
                    Some(c) => Box::new(super::cleanup::Tracked::new(api, c.clone())),
                    None => api,
                }
            },
        ))
    }

    pub(super) fn fresh(&mut self) -> Box<dyn KmsApi> {
        (self.make)()
    }
}

/// One divergence: the call (or probe) whose observation no model state allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// The violated rule.
    pub rule: String,
    /// Its section of the spec.
    pub section: String,
    /// Index (in the sequence) of the action after which it was seen.
    pub step: usize,
    /// The call or probe that showed it.
    pub call: String,
    /// What the model allows.
    pub expected: String,
    /// What the implementation answered.
    pub observed: String,
}

/// One call of a reproducing sequence and what it answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// The call, e.g. `ScheduleKeyDeletion(k0, PendingWindowInDays=6)`.
    pub call: String,
    /// The answer, e.g. `ok` or `ValidationException: ...`.
    pub observed: String,
}

/// All divergences of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleFinding {
    /// The rule.
    pub rule: String,
    /// Spec section.
    pub section: String,
    /// In how many generated sequences it was seen.
    pub count: usize,
    /// The shortest reproducing sequence found (shrunk).
    pub sequence: Vec<StepReport>,
    /// The divergence at its end.
    pub divergence: Divergence,
    /// The actions of that sequence, for replay.
    #[serde(skip)]
    pub actions: Vec<Action>,
}

/// The result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// What was checked.
    pub target: String,
    /// Rule set.
    pub rules: String,
    /// Seed.
    pub seed: u64,
    /// Sequences run.
    pub sequences: usize,
    /// Actions run (replays for shrinking excluded).
    pub actions: usize,
    /// Whether the target offered clock control.
    pub clock_control: bool,
    /// Divergences grouped by rule, most frequent first.
    pub findings: Vec<RuleFinding>,
    /// Rules that could not be checked (no clock control).
    pub unchecked: Vec<String>,
    /// Operations the implementation does not offer, each with the rules
    /// that could only be checked with it.
    pub missing: Vec<MissingOperation>,
    /// Sequences with at least one divergence.
    pub divergent_sequences: usize,
    /// Divergences after which a sequence went on (re-anchored).
    pub reanchored: usize,
    /// The most distinct rules one sequence showed.
    pub most_rules_in_a_sequence: usize,
    /// Wall time, seconds.
    pub elapsed_secs: f64,
}

impl Outcome {
    /// Number of sequences that diverged.
    pub fn divergences(&self) -> usize {
        self.divergent_sequences
    }
}

/// Rules that need time to pass, reported as unchecked without clock control.
pub const TIME_RULES: &[&str] = &[
    "automatic rotation at NextRotationDate (§4)",
    "catch-up rotation on EnableKey (§4)",
    "deletion at DeletionDate, at most 24 h late (§6)",
    "import token expires after 24 h (§5)",
    "imported material expires at ValidTo (§5)",
    "ConflictException when an automatic rotation is due within 20 minutes (§1)",
];

/// Progress of a run.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Sequences done.
    pub done: usize,
    /// Sequences planned.
    pub total: usize,
    /// Sequences that diverged so far.
    pub divergences: usize,
    /// Distinct rules violated so far.
    pub rules: usize,
}

/// The oracle.
pub struct Oracle {
    /// Settings.
    pub config: OracleConfig,
}

// ---------------------------------------------------------------------------
// A small deterministic generator
// ---------------------------------------------------------------------------

pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn pick<T: Copy>(&mut self, weighted: &[(u32, T)]) -> T {
        let total: u64 = weighted.iter().map(|(w, _)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (w, t) in weighted {
            if r < u64::from(*w) {
                return *t;
            }
            r -= u64::from(*w);
        }
        weighted[weighted.len() - 1].1
    }
}

/// The keys, ciphertexts and alias slots that generation may use: all but
/// those retired after a divergence no model state explains (`anchor.rs`).
pub(super) struct Live {
    pub(super) keys: Vec<u8>,
    pub(super) cts: Vec<u8>,
    pub(super) aliases: Vec<u8>,
}

/// One generated action for `st` (the differential test's distribution) on
/// the live keys, ciphertexts and alias slots.
pub(super) fn gen_action(rng: &mut Rng, st: &State, live: &Live, clock: bool) -> Action {
    let nk = live.keys.len() as u64;
    let nct = live.cts.len() as u64;
    let na = live.aliases.len() as u64;
    #[derive(Clone, Copy)]
    enum K {
        Create,
        Time,
        Encrypt,
        Gdk,
        Describe,
        Enable,
        Disable,
        EnableRot,
        DisableRot,
        RotStatus,
        OnDemand,
        Schedule,
        Cancel,
        Params,
        Import,
        DeleteMat,
        CreateAlias,
        UpdateAlias,
        DeleteAlias,
        Decrypt,
        Tampered,
        ReEncrypt,
        GetPolicy,
        ListPolicies,
        PutPolicy,
    }
    let mut choices: Vec<(u32, K)> = vec![(if nk < 4 { 6 } else { 1 }, K::Create)];
    if clock {
        choices.push((4, K::Time));
    }
    if nk > 0 {
        choices.extend([
            (6, K::Encrypt),
            (1, K::Gdk),
            (1, K::Describe),
            (2, K::Enable),
            (2, K::Disable),
            (2, K::EnableRot),
            (1, K::DisableRot),
            (1, K::RotStatus),
            (2, K::OnDemand),
            (2, K::Schedule),
            (2, K::Cancel),
            (2, K::Params),
            (4, K::Import),
            (2, K::DeleteMat),
            (2, K::CreateAlias),
            (1, K::GetPolicy),
            (1, K::ListPolicies),
            (2, K::PutPolicy),
        ]);
        if na > 0 {
            choices.extend([(2, K::UpdateAlias), (1, K::DeleteAlias)]);
        }
    }
    if nct > 0 {
        choices.extend([(5, K::Decrypt), (1, K::Tampered)]);
        if nk > 0 {
            choices.push((2, K::ReEncrypt));
        }
    }
    let key = |r: &mut Rng| live.keys[r.below(nk) as usize];
    let slot = |r: &mut Rng| live.aliases[r.below(na) as usize];
    let ct = |r: &mut Rng| live.cts[r.below(nct) as usize];
    let kref = |r: &mut Rng| {
        if r.below(5) < 4 || na == 0 {
            KeyRef::Key(key(r))
        } else {
            KeyRef::Alias(slot(r))
        }
    };
    let ctx = |r: &mut Rng| r.pick(&[(3, Ctx::A), (1, Ctx::B)]);
    match rng.pick(&choices) {
        K::Create => rng.pick(&[
            (
                3,
                Action::CreateKey {
                    origin: Origin::AwsKms,
                },
            ),
            (
                2,
                Action::CreateKey {
                    origin: Origin::External,
                },
            ),
            (1, Action::UseManagedAlias),
        ]),
        K::Time => {
            let steps = model::deadline_steps(st);
            Action::Advance(steps[rng.below(steps.len() as u64) as usize])
        }
        K::Encrypt => Action::Encrypt {
            key: kref(rng),
            ctx: ctx(rng),
        },
        K::Gdk => Action::GenerateDataKey { key: kref(rng) },
        K::Describe => Action::DescribeKey { key: kref(rng) },
        K::Enable => Action::EnableKey { key: key(rng) },
        K::Disable => Action::DisableKey { key: key(rng) },
        K::EnableRot => Action::EnableKeyRotation {
            key: key(rng),
            period_days: rng.pick(&[
                (1, None),
                (1, Some(90)),
                (1, Some(365)),
                (1, Some(89)),
                (1, Some(2561)),
            ]),
        },
        K::DisableRot => Action::DisableKeyRotation { key: key(rng) },
        K::RotStatus => Action::GetKeyRotationStatus { key: key(rng) },
        K::OnDemand => Action::RotateKeyOnDemand { key: key(rng) },
        K::Schedule => Action::ScheduleKeyDeletion {
            key: key(rng),
            window_days: rng.pick(&[
                (1, Some(7)),
                (1, Some(30)),
                (1, None),
                (1, Some(6)),
                (1, Some(31)),
            ]),
        },
        K::Cancel => Action::CancelKeyDeletion { key: key(rng) },
        K::Params => Action::GetParametersForImport { key: key(rng) },
        K::Import => Action::ImportKeyMaterial {
            key: key(rng),
            token: rng.pick(&[
                (6, TokenRef::Latest),
                (1, TokenRef::Superseded),
                (1, TokenRef::OtherKey),
                (1, TokenRef::Forged),
            ]),
            material: rng.pick(&[(4, 0u8), (1, 1u8)]),
            import_type: rng.pick(&[
                (3, None),
                (1, Some(ImportType::NewKeyMaterial)),
                (1, Some(ImportType::ExistingKeyMaterial)),
            ]),
            expires: rng.pick(&[
                (3, ValidToChoice::DoesNotExpire),
                (if clock { 3 } else { 1 }, ValidToChoice::In(2 * DAY)),
                (1, ValidToChoice::TooFar),
                (1, ValidToChoice::Past),
                (1, ValidToChoice::MissingValidTo),
            ]),
        },
        K::DeleteMat => Action::DeleteImportedKeyMaterial {
            key: key(rng),
            // Under `classic` a KeyMaterialId is ValidationException.
            material: rng.pick(&[
                (4, None),
                (2, Some(MaterialRef::Version(0))),
                (1, Some(MaterialRef::Version(1))),
                (2, Some(MaterialRef::Pending)),
                (1, Some(MaterialRef::Unknown)),
            ]),
        },
        K::CreateAlias => {
            let mut names: Vec<(u32, AliasName)> = live
                .aliases
                .iter()
                .map(|&a| (6, AliasName::Slot(a)))
                .collect();
            names.extend([(1, AliasName::Reserved), (1, AliasName::Malformed)]);
            Action::CreateAlias {
                alias: rng.pick(&names),
                key: key(rng),
            }
        }
        K::UpdateAlias => Action::UpdateAlias {
            alias: slot(rng),
            key: key(rng),
        },
        K::DeleteAlias => Action::DeleteAlias { alias: slot(rng) },
        K::GetPolicy => Action::GetKeyPolicy { key: key(rng) },
        K::ListPolicies => Action::ListKeyPolicies { key: key(rng) },
        K::PutPolicy => Action::PutKeyPolicy {
            key: key(rng),
            policy: rng.pick(&[
                (2, model::Policy::AllowAll),
                (1, model::Policy::Default),
                (2, model::Policy::DenyPut),
                (2, model::Policy::NoAdmin),
                (1, model::Policy::Malformed),
            ]),
            bypass: rng.pick(&[(2, false), (1, true)]),
        },
        K::Decrypt => Action::Decrypt {
            ct: ct(rng),
            ctx: rng.pick(&[(4, Ctx::A), (1, Ctx::B)]),
            key: if nk > 0 && rng.below(5) == 0 {
                Some(KeyRef::Key(key(rng)))
            } else {
                None
            },
        },
        K::Tampered => Action::DecryptTampered { ct: ct(rng) },
        K::ReEncrypt => Action::ReEncrypt {
            ct: ct(rng),
            dest: KeyRef::Key(key(rng)),
        },
    }
}

// ---------------------------------------------------------------------------
// Describing actions
// ---------------------------------------------------------------------------

fn kref_str(r: KeyRef) -> String {
    match r {
        KeyRef::Key(k) => format!("k{k}"),
        KeyRef::Alias(a) => format!("alias/slot{a}"),
    }
}

fn ctx_str(c: Ctx) -> &'static str {
    match c {
        Ctx::A => r#"{"ab":"c"}"#,
        Ctx::B => r#"{"a":"bc"}"#,
    }
}

/// A readable form of an action as the call(s) it makes: keys are `k0`,
/// `k1`, ... in creation order, ciphertexts `ct0`, `ct1`, ...
pub fn describe_action(a: &Action) -> String {
    match *a {
        Action::CreateKey { origin } => format!(
            "CreateKey(Origin={})",
            match origin {
                Origin::AwsKms => "AWS_KMS",
                Origin::External => "EXTERNAL",
            }
        ),
        Action::UseManagedAlias => "DescribeKey(alias/aws/<service>) (AWS managed key)".into(),
        Action::DescribeKey { key } => format!("DescribeKey({})", kref_str(key)),
        Action::Encrypt { key, ctx } => {
            format!(
                "Encrypt({}, EncryptionContext={})",
                kref_str(key),
                ctx_str(ctx)
            )
        }
        Action::GenerateDataKey { key } => format!(
            "GenerateDataKey({}, AES_256, EncryptionContext={})",
            kref_str(key),
            ctx_str(Ctx::A)
        ),
        Action::Decrypt { ct, ctx, key } => format!(
            "Decrypt(ct{ct}, EncryptionContext={}{})",
            ctx_str(ctx),
            key.map(|k| format!(", KeyId={}", kref_str(k)))
                .unwrap_or_default()
        ),
        Action::DecryptTampered { ct } => format!("Decrypt(ct{ct} with one byte flipped)"),
        Action::ReEncrypt { ct, dest } => {
            format!("ReEncrypt(ct{ct}, DestinationKeyId={})", kref_str(dest))
        }
        Action::EnableKey { key } => format!("EnableKey(k{key})"),
        Action::DisableKey { key } => format!("DisableKey(k{key})"),
        Action::EnableKeyRotation { key, period_days } => match period_days {
            Some(p) => format!("EnableKeyRotation(k{key}, RotationPeriodInDays={p})"),
            None => format!("EnableKeyRotation(k{key})"),
        },
        Action::DisableKeyRotation { key } => format!("DisableKeyRotation(k{key})"),
        Action::GetKeyRotationStatus { key } => format!("GetKeyRotationStatus(k{key})"),
        Action::RotateKeyOnDemand { key } => format!("RotateKeyOnDemand(k{key})"),
        Action::ScheduleKeyDeletion { key, window_days } => match window_days {
            Some(w) => format!("ScheduleKeyDeletion(k{key}, PendingWindowInDays={w})"),
            None => format!("ScheduleKeyDeletion(k{key})"),
        },
        Action::CancelKeyDeletion { key } => format!("CancelKeyDeletion(k{key})"),
        Action::GetParametersForImport { key } => {
            format!("GetParametersForImport(k{key}, RSAES_OAEP_SHA_256, RSA_2048)")
        }
        Action::ImportKeyMaterial {
            key,
            token,
            material,
            import_type,
            expires,
        } => format!(
            "ImportKeyMaterial(k{key}, token={}, material #{material}{}, {})",
            match token {
                TokenRef::Latest => "latest",
                TokenRef::Superseded => "superseded",
                TokenRef::OtherKey => "another key's",
                TokenRef::Forged => "forged",
            },
            match import_type {
                None => "",
                Some(ImportType::NewKeyMaterial) => ", NEW_KEY_MATERIAL",
                Some(ImportType::ExistingKeyMaterial) => ", EXISTING_KEY_MATERIAL",
            },
            match expires {
                ValidToChoice::DoesNotExpire => "KEY_MATERIAL_DOES_NOT_EXPIRE".to_string(),
                ValidToChoice::In(s) => format!("ValidTo=now+{}", model::fmt_time(s)),
                ValidToChoice::TooFar => "ValidTo=now+365d+1s".to_string(),
                ValidToChoice::Past => "ValidTo=now".to_string(),
                ValidToChoice::MissingValidTo => "KEY_MATERIAL_EXPIRES without ValidTo".to_string(),
            }
        ),
        Action::DeleteImportedKeyMaterial { key, material } => match material {
            None => format!("DeleteImportedKeyMaterial(k{key})"),
            Some(MaterialRef::Version(v)) => {
                format!("DeleteImportedKeyMaterial(k{key}, KeyMaterialId=material of version {v})")
            }
            Some(MaterialRef::Pending) => {
                format!("DeleteImportedKeyMaterial(k{key}, KeyMaterialId=the pending material)")
            }
            Some(MaterialRef::Unknown) => {
                format!(
                    "DeleteImportedKeyMaterial(k{key}, KeyMaterialId=an id the key does not have)"
                )
            }
        },
        Action::CreateAlias { alias, key } => format!(
            "CreateAlias({}, k{key})",
            match alias {
                AliasName::Slot(n) => format!("alias/slot{n}"),
                AliasName::Reserved => "alias/aws/reserved".into(),
                AliasName::Malformed => "\"alias/bad name!\"".into(),
            }
        ),
        Action::UpdateAlias { alias, key } => format!("UpdateAlias(alias/slot{alias}, k{key})"),
        Action::DeleteAlias { alias } => format!("DeleteAlias(alias/slot{alias})"),
        Action::GetKeyPolicy { key } => format!("GetKeyPolicy(k{key}, PolicyName=default)"),
        Action::ListKeyPolicies { key } => format!("ListKeyPolicies(k{key})"),
        Action::PutKeyPolicy {
            key,
            policy,
            bypass,
        } => format!(
            "PutKeyPolicy(k{key}, Policy={}{})",
            policy_label(policy),
            if bypass {
                ", BypassPolicyLockoutSafetyCheck=true"
            } else {
                ""
            }
        ),
        Action::Advance(d) => format!("AdvanceClock {}", model::fmt_time(d)),
    }
}

/// A readable name of an abstract key policy.
fn policy_label(p: model::Policy) -> &'static str {
    match p {
        model::Policy::Default => "AWS's default key policy",
        model::Policy::Managed => "the AWS managed key's policy",
        model::Policy::AllowAll => "allow the account kms:*",
        model::Policy::DenyPut => "allow kms:*, deny kms:PutKeyPolicy",
        model::Policy::NoAdmin => "allow every kms action but kms:PutKeyPolicy",
        model::Policy::Malformed => "not JSON",
    }
}

fn fmt_response(r: &Response) -> String {
    match r.outcome {
        Err(e) => e.name().to_string(),
        Ok(s) => match s {
            OkSummary::Key { key, state } => format!("ok: k{key} {}", state.name()),
            OkSummary::Encrypted { key, .. } => format!("ok: ciphertext under k{key}"),
            OkSummary::Decrypted { key, .. } => format!("ok: decrypted by k{key}"),
            OkSummary::Done { state, .. } => format!("ok (key then {})", state.name()),
            OkSummary::RotationStatus {
                enabled,
                next,
                period_days,
            } => format!(
                "ok: KeyRotationEnabled={enabled}, NextRotationDate={}, RotationPeriodInDays={}",
                next.map(model::fmt_time).unwrap_or_else(|| "none".into()),
                period_days
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "none".into())
            ),
            OkSummary::Rotated { .. } => "ok".into(),
            OkSummary::Scheduled {
                deletion_date,
                window_days,
                ..
            } => format!(
                "ok: PendingWindowInDays={window_days}, DeletionDate={}",
                model::fmt_time(deletion_date)
            ),
            OkSummary::ImportParameters { valid_to, .. } => {
                format!("ok: ParametersValidTo={}", model::fmt_time(valid_to))
            }
            OkSummary::Imported { state, .. } => format!("ok (key then {})", state.name()),
            OkSummary::AliasDone => "ok".into(),
            OkSummary::KeyPolicy { policy, .. } => format!("ok: {}", policy_label(policy)),
            OkSummary::PolicyNames { .. } => "ok: PolicyNames=[default]".into(),
            OkSummary::Advanced { now } => format!("ok: now {}", model::fmt_time(now)),
        },
    }
}

fn join_alternatives(mut v: Vec<String>) -> String {
    v.sort();
    v.dedup();
    v.join(" | ")
}

// ---------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------

/// What a successful call showed, abstracted like the model's `OkSummary`.
#[derive(Clone, Debug)]
pub(super) enum ObsOk {
    /// CreateKey / DescribeKey: the key index (None: unknown id) and state.
    Key(Option<u8>, KeyState),
    /// Encrypt / GenerateDataKey / ReEncrypt: the key named in KeyId.
    Encrypted(Option<u8>),
    /// Decrypt: the key named in KeyId, and whether the plaintext was right.
    Decrypted(Option<u8>, bool),
    Status(GetKeyRotationStatusResponse),
    Scheduled(ScheduleKeyDeletionResponse),
    Params(u64),
    /// GetKeyPolicy: the policy text.
    Policy(String),
    /// ListKeyPolicies: the names listed.
    PolicyNames(Vec<String>),
    Plain,
}

pub(super) type Obs = Result<ObsOk, CallError>;

fn fmt_obs(o: &Obs, tb: &TimeBase) -> String {
    match o {
        Err(e) => e.to_string(),
        Ok(ObsOk::Key(k, s)) => format!(
            "ok: {} {}",
            k.map(|k| format!("k{k}"))
                .unwrap_or_else(|| "an unknown key".into()),
            s.name()
        ),
        Ok(ObsOk::Encrypted(k)) => format!(
            "ok: ciphertext under {}",
            k.map(|k| format!("k{k}"))
                .unwrap_or_else(|| "an unknown key".into())
        ),
        Ok(ObsOk::Decrypted(k, pt)) => format!(
            "ok: decrypted by {}{}",
            k.map(|k| format!("k{k}"))
                .unwrap_or_else(|| "an unknown key".into()),
            if *pt {
                ""
            } else {
                ", to a different plaintext"
            }
        ),
        Ok(ObsOk::Status(s)) => format!(
            "ok: KeyRotationEnabled={}, NextRotationDate={}, RotationPeriodInDays={}",
            s.key_rotation_enabled,
            s.next_rotation_date
                .map(|t| tb.show(t.0))
                .unwrap_or_else(|| "none".into()),
            s.rotation_period_in_days
                .map(|p| p.to_string())
                .unwrap_or_else(|| "none".into())
        ),
        Ok(ObsOk::Scheduled(s)) => format!(
            "ok: PendingWindowInDays={}, DeletionDate={}",
            s.pending_window_in_days,
            tb.show(s.deletion_date.0)
        ),
        Ok(ObsOk::Params(t)) => format!("ok: ParametersValidTo={}", tb.show(*t)),
        Ok(ObsOk::Policy(p)) => format!("ok: Policy={}", p.escape_default()),
        Ok(ObsOk::PolicyNames(n)) => format!("ok: PolicyNames={n:?}"),
        Ok(ObsOk::Plain) => "ok".into(),
    }
}

pub(super) fn model_state(s: api::KeyState) -> KeyState {
    match s {
        api::KeyState::Enabled => KeyState::Enabled,
        api::KeyState::Disabled => KeyState::Disabled,
        api::KeyState::PendingDeletion => KeyState::PendingDeletion,
        api::KeyState::PendingImport => KeyState::PendingImport,
    }
}

/// How model time maps to the implementation's clock.
#[derive(Clone, Copy, Debug)]
pub(super) enum TimeBase {
    /// Clock control: model time `t` is exactly `base + t`.
    Exact(u64),
    /// No clock control: the implementation's time is about the system time
    /// at the start of the replay plus the model time, within this tolerance.
    Approx(u64),
}

/// Allowed difference without clock control, seconds.
const TOLERANCE: u64 = 900;

impl TimeBase {
    pub(super) fn base(&self) -> u64 {
        match *self {
            TimeBase::Exact(b) | TimeBase::Approx(b) => b,
        }
    }
    fn matches(&self, model_t: Time, observed: u64) -> bool {
        match *self {
            TimeBase::Exact(b) => observed == b + model_t,
            TimeBase::Approx(b) => (b + model_t).abs_diff(observed) <= TOLERANCE,
        }
    }
    /// Model time of an observed instant, for messages.
    fn show(&self, observed: u64) -> String {
        let b = self.base();
        if observed >= b {
            model::fmt_time(observed - b)
        } else {
            format!("-{}", model::fmt_time(b - observed))
        }
    }
    /// The implementation's idea of model time `t` (for ValidTo arguments).
    fn at(&self, t: Time) -> u64 {
        match *self {
            TimeBase::Exact(b) => b + t,
            TimeBase::Approx(b) => b.max(SystemClock.now()) + t,
        }
    }
}

fn ctx_of(c: Ctx) -> EncryptionContext {
    let mut m = BTreeMap::new();
    match c {
        Ctx::A => m.insert("ab".to_string(), "c".to_string()),
        Ctx::B => m.insert("a".to_string(), "bc".to_string()),
    };
    m
}

fn material(m: u8) -> Vec<u8> {
    Sha256::digest([b"conform-material".as_slice(), &[m]].concat()).to_vec()
}

fn norm_id(id: &str) -> &str {
    match id.rsplit_once(":key/") {
        Some((_, k)) => k,
        None => id,
    }
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

fn rule(name: impl Into<String>, section: &str) -> (String, String) {
    (name.into(), section.to_string())
}

fn is_crypto(a: &Action) -> bool {
    matches!(
        a,
        Action::Encrypt { .. }
            | Action::GenerateDataKey { .. }
            | Action::Decrypt { .. }
            | Action::DecryptTampered { .. }
            | Action::ReEncrypt { .. }
    )
}

/// The rule an unexpected answer to `a` violates, from the action kind and
/// the model's answer in `st` (the first consistent state).
fn rule_for_answer(
    a: &Action,
    st: &State,
    expected: &Response,
    observed: &Obs,
) -> (String, String) {
    use Exception as E;
    if let Err(CallError::Protocol(_)) = observed {
        return rule(
            format!("{} answers in the AWS JSON protocol", a.kind()),
            "AWS JSON 1.1 (reference §8)",
        );
    }
    let e = expected.outcome;
    let obs_name = observed.as_ref().err().and_then(|c| c.exception_name());
    if obs_name.is_some_and(|n| n.contains("Internal") || n.contains("ServiceUnavailable")) {
        return rule(
            format!("{} does not fail with an internal error", a.kind()),
            "§3, §7",
        );
    }
    if is_crypto(a) {
        return match e {
            Err(E::DisabledException) => rule("crypto refused while Disabled", "§3"),
            Err(E::KMSInvalidStateException) if expected.alarm => {
                rule("crypto refused while PendingDeletion", "§3, §6")
            }
            Err(E::KMSInvalidStateException) => {
                rule("crypto refused while PendingImport", "§3, §5")
            }
            Err(E::NotFoundException) => {
                rule("a deleted key or a removed alias is not found", "§2, §9")
            }
            Err(E::IncorrectKeyException) => {
                rule("Decrypt naming another key → IncorrectKeyException", "§7")
            }
            Err(E::InvalidCiphertextException) => match *a {
                Action::DecryptTampered { .. } => rule("a tampered ciphertext is refused", "§7"),
                Action::Decrypt { ct, ctx, .. } if st.ciphertexts[ct as usize].ctx != ctx => {
                    rule("the encryption context must match exactly", "§7")
                }
                _ => rule(
                    "ciphertext of deleted or expired material does not decrypt",
                    "§5",
                ),
            },
            Ok(_) => match *a {
                Action::Decrypt { ct, .. } | Action::ReEncrypt { ct, .. } => {
                    let c = st.ciphertexts[ct as usize];
                    if st.keys[c.key as usize].versions > c.version + 1 {
                        rule("old ciphertext decrypts after rotation", "§4")
                    } else {
                        rule(
                            "ciphertext of a usable key decrypts to its plaintext",
                            "§3, §7",
                        )
                    }
                }
                _ => rule("crypto allowed while Enabled", "§3"),
            },
            Err(_) => rule(format!("{} answers as the model", a.kind()), "§3"),
        };
    }
    match (*a, e) {
        (_, Err(E::NotFoundException)) => {
            rule("a deleted key or a removed alias is not found", "§2, §9")
        }
        (Action::CreateKey { .. }, _) => rule(
            "CreateKey: AWS_KMS → Enabled, EXTERNAL → PendingImport",
            "§2",
        ),
        (Action::UseManagedAlias, _) => rule(
            "AWS managed key made on first use of alias/aws/<service>",
            "§3",
        ),
        (Action::DescribeKey { .. }, _) => {
            rule("DescribeKey reports the key and its state", "§2, §3")
        }
        (Action::ScheduleKeyDeletion { .. }, Err(E::ValidationException)) => {
            rule("PendingWindowInDays 7–30", "§6")
        }
        (
            Action::ScheduleKeyDeletion {
                window_days: None, ..
            },
            Ok(_),
        ) if observed.is_ok() => rule("ScheduleKeyDeletion default window 30 days", "§6"),
        (Action::ScheduleKeyDeletion { .. }, Ok(_)) if observed.is_ok() => {
            rule("DeletionDate = now + PendingWindowInDays", "§6")
        }
        (Action::ScheduleKeyDeletion { .. }, Err(E::KMSInvalidStateException)) => {
            rule("no ScheduleKeyDeletion while PendingDeletion", "§3")
        }
        (
            Action::ScheduleKeyDeletion { .. } | Action::DisableKey { .. },
            Err(E::UnsupportedOperationException),
        ) => rule("AWS managed keys cannot be disabled or deleted", "§3"),
        (Action::ScheduleKeyDeletion { .. }, _) => rule(
            "ScheduleKeyDeletion allowed in Enabled, Disabled, PendingImport",
            "§3",
        ),
        (Action::CancelKeyDeletion { .. }, Err(_)) => {
            rule("CancelKeyDeletion only while PendingDeletion", "§3")
        }
        (Action::CancelKeyDeletion { .. }, Ok(_)) => {
            rule("CancelKeyDeletion allowed while PendingDeletion", "§3")
        }
        (Action::ImportKeyMaterial { .. }, Err(E::ExpiredImportTokenException)) => {
            rule("import token expires after 24 h", "§5")
        }
        (Action::ImportKeyMaterial { .. }, Err(E::InvalidImportTokenException)) => rule(
            "an import token is bound to its key and only the latest is valid",
            "§5",
        ),
        (Action::ImportKeyMaterial { .. }, Err(E::IncorrectKeyMaterialException)) => {
            rule("only the key's own material can be reimported", "§5")
        }
        (Action::ImportKeyMaterial { .. }, Err(E::ValidationException)) => {
            rule("ExpirationModel and ValidTo are validated", "§5")
        }
        (
            Action::ImportKeyMaterial { .. } | Action::GetParametersForImport { .. },
            Err(E::UnsupportedOperationException),
        ) => rule("import only into EXTERNAL keys", "§3"),
        (
            Action::ImportKeyMaterial { .. } | Action::GetParametersForImport { .. },
            Err(E::KMSInvalidStateException),
        ) => rule("no import while PendingDeletion", "§3, §5"),
        (Action::ImportKeyMaterial { .. }, _) => rule(
            "ImportKeyMaterial succeeds with a valid token and material",
            "§5",
        ),
        (Action::GetParametersForImport { .. }, Ok(_)) if observed.is_ok() => {
            rule("import parameters are valid for 24 h", "§5")
        }
        (Action::GetParametersForImport { .. }, _) => {
            rule("GetParametersForImport allowed for EXTERNAL keys", "§3, §5")
        }
        (Action::DeleteImportedKeyMaterial { .. }, _) => {
            rule("DeleteImportedKeyMaterial", "§2, §3, §5")
        }
        (Action::EnableKeyRotation { .. }, Err(E::ValidationException)) => rule(
            "RotationPeriodInDays 90–2560 (current) / not accepted (classic)",
            "§1",
        ),
        (
            Action::EnableKeyRotation { .. } | Action::DisableKeyRotation { .. },
            Err(E::UnsupportedOperationException),
        ) => rule(
            "rotation not manageable for EXTERNAL or AWS managed keys",
            "§3",
        ),
        (Action::EnableKeyRotation { .. } | Action::DisableKeyRotation { .. }, Err(_)) => {
            rule("rotation settings refused unless Enabled", "§3")
        }
        (Action::EnableKeyRotation { .. } | Action::DisableKeyRotation { .. }, Ok(_)) => {
            rule("rotation settings allowed while Enabled", "§3, §4")
        }
        (Action::GetKeyRotationStatus { .. }, Err(E::UnsupportedOperationException)) => {
            rule("no rotation status for EXTERNAL keys", "§3")
        }
        (Action::GetKeyRotationStatus { .. }, _) => rule(
            "GetKeyRotationStatus reports the rotation settings",
            "§3, §4",
        ),
        (Action::RotateKeyOnDemand { .. }, Err(E::UnsupportedOperationException)) => rule(
            "no on-demand rotation under classic rules or for AWS managed keys",
            "§1, §3",
        ),
        (Action::RotateKeyOnDemand { .. }, Err(E::LimitExceededException)) => {
            rule("at most 25 on-demand rotations per key", "§1")
        }
        (Action::RotateKeyOnDemand { .. }, Err(E::ConflictException)) => rule(
            "ConflictException when an automatic rotation is due within 20 minutes",
            "§1",
        ),
        (Action::RotateKeyOnDemand { .. }, Err(_)) => {
            rule("on-demand rotation refused unless Enabled", "§3, §5")
        }
        (Action::RotateKeyOnDemand { .. }, Ok(_)) => {
            rule("RotateKeyOnDemand allowed while Enabled", "§1, §4")
        }
        (Action::EnableKey { .. } | Action::DisableKey { .. }, Err(_)) => rule(
            "EnableKey/DisableKey refused while PendingDeletion or PendingImport",
            "§3",
        ),
        (Action::EnableKey { .. } | Action::DisableKey { .. }, Ok(_)) => rule(
            "EnableKey/DisableKey allowed in Enabled and Disabled",
            "§2, §3",
        ),
        (Action::CreateAlias { .. }, Err(E::NotAuthorizedException)) => {
            rule("alias/aws/ is reserved", "§9")
        }
        (
            Action::CreateAlias { .. },
            Err(E::InvalidAliasNameException | E::ValidationException),
        ) => rule("alias names are validated", "§9"),
        (Action::CreateAlias { .. }, Err(E::AlreadyExistsException)) => {
            rule("alias names are unique", "§9")
        }
        (
            Action::CreateAlias { .. } | Action::UpdateAlias { .. },
            Err(E::KMSInvalidStateException),
        ) => rule("no alias to a key pending deletion", "§3, §9"),
        (Action::CreateAlias { .. }, Ok(_)) if obs_name == Some("AlreadyExistsException") => {
            rule("deleting a key or an alias frees the alias name", "§2, §9")
        }
        (
            Action::CreateAlias { .. } | Action::UpdateAlias { .. } | Action::DeleteAlias { .. },
            _,
        ) => rule(format!("{} as the model", a.kind()), "§9"),
        (
            Action::GetKeyPolicy { .. }
            | Action::ListKeyPolicies { .. }
            | Action::PutKeyPolicy { .. },
            Err(E::KMSInvalidStateException | E::DisabledException),
        ) => rule(
            "key policy operations are allowed in every key state",
            "issue 16, AWS key-state table",
        ),
        (Action::PutKeyPolicy { .. }, Err(E::MalformedPolicyDocumentException)) => rule(
            "without the bypass flag no key policy lets nobody call PutKeyPolicy",
            "issue 16",
        ),
        (Action::PutKeyPolicy { key, .. }, Err(E::AccessDeniedException))
            if st.keys[key as usize].policy == model::Policy::DenyPut =>
        {
            rule("a Deny statement is never overridden", "issue 16")
        }
        (
            Action::PutKeyPolicy { .. }
            | Action::GetKeyPolicy { .. }
            | Action::ListKeyPolicies { .. },
            Err(E::AccessDeniedException),
        ) => rule(
            "no policy operation succeeds for a caller the policy does not allow",
            "issue 16",
        ),
        (Action::PutKeyPolicy { .. }, _) => {
            rule("PutKeyPolicy changes exactly the policy", "issue 16")
        }
        (Action::GetKeyPolicy { .. }, _) => rule(
            "GetKeyPolicy answers the key's policy byte for byte (AWS's default without one)",
            "issue 16",
        ),
        (Action::ListKeyPolicies { .. }, _) => {
            rule("ListKeyPolicies lists the one policy, default", "issue 16")
        }
        (Action::Advance(_), _) => rule("clock control (KmsLifecycle.AdvanceClock) works", "§10"),
        _ => rule(format!("{} answers as the model", a.kind()), "§3"),
    }
}

/// What the probes of one key answered (`None`: the operation is missing).
pub(super) struct KeyProbe {
    pub(super) d: Result<KeyMetadataResponse, CallError>,
    pub(super) st: Option<Result<GetKeyRotationStatusResponse, CallError>>,
    pub(super) rot: Option<Result<ListKeyRotationsResponse, CallError>>,
}

/// Which probe disagreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Probe {
    State,
    DeletionDate,
    RotationStatus,
    Rotations,
    Aliases,
}

fn rule_for_probe(
    a: &Action,
    probe: Probe,
    expected: Option<KeyState>,
    observed: Option<KeyState>,
    protocol: Option<&str>,
) -> (String, String) {
    if let Some(op) = protocol {
        return rule(
            format!("{op} answers in the AWS JSON protocol"),
            "AWS JSON 1.1 (reference §8)",
        );
    }
    match (*a, probe) {
        (Action::Advance(_), Probe::DeletionDate) => {
            rule("deletion at DeletionDate, at most 24 h late", "§6")
        }
        (Action::Advance(_), Probe::State) => match (expected, observed) {
            (Some(KeyState::Deleted), _) => {
                rule("deletion at DeletionDate, at most 24 h late", "§6")
            }
            (_, None) => rule("no deletion before DeletionDate", "§6"),
            (Some(KeyState::PendingImport), _) => {
                rule("imported material expires at ValidTo", "§5")
            }
            _ => rule("clock-driven state changes", "§10"),
        },
        (Action::Advance(_), Probe::RotationStatus | Probe::Rotations) => {
            rule("automatic rotation at NextRotationDate", "§4")
        }
        (Action::Advance(_), Probe::Aliases) => {
            rule("deleting a key deletes its aliases", "§2, §9")
        }
        (Action::CancelKeyDeletion { .. }, Probe::State | Probe::DeletionDate) => {
            rule("CancelKeyDeletion yields Disabled", "§2")
        }
        (Action::ScheduleKeyDeletion { .. }, Probe::State | Probe::DeletionDate) => rule(
            "ScheduleKeyDeletion yields PendingDeletion with its DeletionDate",
            "§2, §6",
        ),
        (Action::DisableKey { .. }, Probe::State) => rule("DisableKey yields Disabled", "§2"),
        (Action::EnableKey { .. }, Probe::State) => rule("EnableKey yields Enabled", "§2"),
        (Action::EnableKey { .. }, _) => rule("catch-up rotation on EnableKey", "§4"),
        (Action::ImportKeyMaterial { .. }, Probe::State) => rule(
            "a successful import makes a PendingImport key Enabled",
            "§2, §5",
        ),
        (Action::DeleteImportedKeyMaterial { .. }, Probe::State) => {
            rule("deleting imported material → PendingImport", "§2, §5")
        }
        (Action::CreateKey { .. } | Action::UseManagedAlias, _) => {
            rule("a new key's state and rotation settings", "§2, §4")
        }
        (
            Action::CreateAlias { .. } | Action::UpdateAlias { .. } | Action::DeleteAlias { .. },
            _,
        ) => rule("alias targets", "§9"),
        (_, Probe::State | Probe::DeletionDate) => {
            rule(format!("key state after {}", a.kind()), "§2")
        }
        (_, Probe::Aliases) => rule("alias targets", "§9"),
        (_, Probe::RotationStatus | Probe::Rotations) => rule(
            format!("rotation settings and ListKeyRotations after {}", a.kind()),
            "§4",
        ),
    }
}

// ---------------------------------------------------------------------------
// One replay
// ---------------------------------------------------------------------------

/// When a replay stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// At its first divergence.
    First,
    /// At the first divergence of this rule (shrinking); re-anchors after others.
    Rule(String),
    /// Never: re-anchors after every divergence (generated sequences).
    Never,
}

pub(super) struct Replay {
    pub(super) api: Box<dyn KmsApi>,
    pub(super) rules: model::Rules,
    pub(super) states: Vec<State>,
    pub(super) time: TimeBase,
    pub(super) clock: bool,
    pub(super) keys: Vec<String>,
    pub(super) cts: Vec<(Vec<u8>, Vec<u8>)>,
    pub(super) tokens: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    prefix: String,
    service: String,
    /// The target's account, as its keys report it (for the concrete key
    /// policies and AWS's default one).
    account: String,
    pub(super) executed: Vec<Action>,
    pub(super) log: Vec<StepReport>,
    /// For each executed action: the key and the ciphertext it made.
    pub(super) made: Vec<(Option<u8>, Option<u8>)>,
    /// Operations found missing in this run (shared by its replays).
    pub(super) missing: SharedMissing,
    /// Keys and alias slots no model state explains any more.
    pub(super) retired: BTreeSet<u8>,
    pub(super) retired_aliases: BTreeSet<u8>,
    /// Keys whose GetKeyRotationStatus / ListKeyRotations answers are no
    /// longer checked (they diverged and no state explains them).
    pub(super) blind_status: BTreeSet<u8>,
    pub(super) blind_rotations: BTreeSet<u8>,
    /// Every divergence so far, in order.
    pub(super) divergences: Vec<Divergence>,
    pub(super) stop: Stop,
    /// Divergences after which the replay went on.
    pub(super) reanchored: usize,
    /// How long a probe of a real service may wait for an eventually
    /// consistent answer (RotateKeyOnDemand, ListAliases).
    pub(super) settle: Duration,
}

/// What a replay did.
pub(super) struct ReplayResult {
    pub(super) executed: Vec<Action>,
    pub(super) log: Vec<StepReport>,
    pub(super) made: Vec<(Option<u8>, Option<u8>)>,
    /// Every divergence, in order (the last one ends the replay unless it
    /// re-anchored).
    pub(super) divergences: Vec<Divergence>,
    pub(super) clock: bool,
    pub(super) reanchored: usize,
}

/// Most states kept in the consistent set.
const MAX_STATES: usize = 64;

fn nonce() -> String {
    let mut b = [0u8; 6];
    crate::crypto::random_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// How a replay starts.
pub(super) struct Start<'a> {
    pub(super) rules: model::Rules,
    pub(super) alias_slots: usize,
    pub(super) namespace: Option<&'a str>,
    pub(super) missing: SharedMissing,
    pub(super) stop: Stop,
    pub(super) settle: Duration,
}

impl Replay {
    pub(super) fn start(api: Box<dyn KmsApi>, how: Start<'_>) -> Result<Self, Divergence> {
        let Start {
            rules,
            alias_slots,
            namespace,
            missing,
            stop,
            settle,
        } = how;
        let mut api: Box<dyn KmsApi> = Box::new(Watched::new(api, missing.clone()));
        let (time, clock) = match api.clock_now() {
            Some(Ok(t)) => (TimeBase::Exact(t), true),
            Some(Err(e)) => {
                return Err(Divergence {
                    rule: "clock control (KmsLifecycle.GetClock) works".into(),
                    section: "§10".into(),
                    step: 0,
                    call: "KmsLifecycle.GetClock".into(),
                    expected: "ok: the time".into(),
                    observed: e.to_string(),
                });
            }
            None => (TimeBase::Approx(SystemClock.now()), false),
        };
        let n = namespace.map_or_else(nonce, str::to_string);
        Ok(Self {
            api,
            rules,
            states: vec![State::initial(alias_slots)],
            time,
            clock,
            keys: Vec::new(),
            cts: Vec::new(),
            tokens: Vec::new(),
            prefix: format!("alias/conform-{n}-"),
            // A fresh AWS managed key per replay needs a fresh service name
            // (spec §3 decision: any name). Without clock control the
            // managed key's dates are only checked within a tolerance, so a
            // predefined service that real emulators know is used instead.
            service: if clock {
                format!("conform{n}")
            } else {
                "ebs".into()
            },
            account: "111122223333".into(),
            executed: Vec::new(),
            log: Vec::new(),
            made: Vec::new(),
            missing,
            retired: BTreeSet::new(),
            retired_aliases: BTreeSet::new(),
            blind_status: BTreeSet::new(),
            blind_rotations: BTreeSet::new(),
            divergences: Vec::new(),
            stop,
            reanchored: 0,
            settle,
        })
    }

    pub(super) fn finish(self) -> ReplayResult {
        ReplayResult {
            executed: self.executed,
            log: self.log,
            made: self.made,
            divergences: self.divergences,
            clock: self.clock,
            reanchored: self.reanchored,
        }
    }

    fn key(&self, k: u8) -> String {
        self.keys[k as usize].clone()
    }

    fn alias(&self, slot: u8) -> String {
        format!("{}slot{slot}", self.prefix)
    }

    fn kref(&self, r: KeyRef) -> String {
        match r {
            KeyRef::Key(k) => self.key(k),
            KeyRef::Alias(a) => self.alias(a),
        }
    }

    fn index_of(&self, id: &str) -> Option<u8> {
        let id = norm_id(id);
        self.keys.iter().position(|k| k == id).map(|i| i as u8)
    }

    fn push_key(&mut self, id: &str) -> u8 {
        let id = norm_id(id).to_string();
        if let Some(i) = self.index_of(&id) {
            return i;
        }
        self.keys.push(id);
        self.tokens.push(Vec::new());
        (self.keys.len() - 1) as u8
    }

    /// Performs `a` on the implementation.
    /// The `KeyMaterialId` that `m` names on key `k`, as the implementation
    /// lists it (ListKeyRotations with ALL_KEY_MATERIAL).
    fn material_id(&mut self, k: u8, m: MaterialRef) -> Result<String, CallError> {
        // Under `classic` any KeyMaterialId is ValidationException.
        if m == MaterialRef::Unknown || !self.rules.key_material_ids {
            return Ok(api::UNKNOWN_KEY_MATERIAL_ID.into());
        }
        let listed = self.api.list_key_rotations(ListKeyRotationsRequest::all(
            self.key(k),
            IncludeKeyMaterial::AllKeyMaterial,
        ))?;
        let (permanent, pending) = listed.material_ids();
        let id = match m {
            MaterialRef::Version(v) => permanent.get(v as usize).copied(),
            _ => pending,
        };
        id.map(str::to_string).ok_or_else(|| {
            CallError::Protocol(format!(
                "ListKeyRotations(ALL_KEY_MATERIAL) of k{k} does not list the material {m:?}"
            ))
        })
    }

    fn perform(&mut self, a: &Action) -> Obs {
        let model_now = self.states[0].now;
        let req = |s: String| KeyIdRequest::new(s);
        Ok(match *a {
            Action::CreateKey { origin } => {
                let r = self.api.create_key(CreateKeyRequest {
                    origin: Some(match origin {
                        Origin::AwsKms => api::Origin::AwsKms,
                        Origin::External => api::Origin::External,
                    }),
                    description: Some("kms-lifecycle conform".into()),
                    ..Default::default()
                })?;
                let k = self.push_key(&r.key_metadata.key_id);
                self.account = r.key_metadata.aws_account_id.clone();
                ObsOk::Key(Some(k), model_state(r.key_metadata.key_state))
            }
            Action::UseManagedAlias => {
                let r = self
                    .api
                    .describe_key(req(format!("alias/aws/{}", self.service)))?;
                let known = self.index_of(&r.key_metadata.key_id).is_some();
                let k = self.push_key(&r.key_metadata.key_id);
                if !known {
                    let earlier = self.missing.borrow().tainted(&r.key_metadata.key_id);
                    self.retire_if_preexisting(a, Some(r.key_metadata.creation_date.0), earlier);
                }
                ObsOk::Key(Some(k), model_state(r.key_metadata.key_state))
            }
            Action::DescribeKey { key } => {
                let r = self.api.describe_key(req(self.kref(key)))?;
                ObsOk::Key(
                    self.index_of(&r.key_metadata.key_id),
                    model_state(r.key_metadata.key_state),
                )
            }
            Action::Encrypt { key, ctx } => {
                let pt = format!("plaintext {}", self.cts.len()).into_bytes();
                let r = self.api.encrypt(EncryptRequest {
                    key_id: self.kref(key),
                    plaintext: SecretBlob::new(pt.clone()),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                self.cts.push((r.ciphertext_blob.0, pt));
                ObsOk::Encrypted(self.index_of(&r.key_id))
            }
            Action::GenerateDataKey { key } => {
                let r = self.api.generate_data_key(GenerateDataKeyRequest {
                    key_id: self.kref(key),
                    key_spec: Some(DataKeySpec::Aes256),
                    encryption_context: Some(ctx_of(Ctx::A)),
                    ..Default::default()
                })?;
                let Some(pt) = r.plaintext else {
                    return Err(CallError::Protocol(
                        "GenerateDataKey response without Plaintext".into(),
                    ));
                };
                self.cts.push((r.ciphertext_blob.0, pt.expose().to_vec()));
                ObsOk::Encrypted(self.index_of(&r.key_id))
            }
            Action::Decrypt { ct, ctx, key } => {
                let (blob, pt) = self.cts[ct as usize].clone();
                let r = self.api.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(blob),
                    key_id: key.map(|k| self.kref(k)),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                ObsOk::Decrypted(
                    self.index_of(&r.key_id),
                    r.plaintext.expose() == pt.as_slice(),
                )
            }
            Action::DecryptTampered { ct } => {
                let (mut blob, pt) = self.cts[ct as usize].clone();
                let ctx = self.states[0].ciphertexts[ct as usize].ctx;
                if let Some(last) = blob.last_mut() {
                    *last ^= 0x01;
                }
                let r = self.api.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(blob),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                ObsOk::Decrypted(
                    self.index_of(&r.key_id),
                    r.plaintext.expose() == pt.as_slice(),
                )
            }
            Action::ReEncrypt { ct, dest } => {
                let (blob, pt) = self.cts[ct as usize].clone();
                let ctx = self.states[0].ciphertexts[ct as usize].ctx;
                let r = self.api.re_encrypt(ReEncryptRequest {
                    ciphertext_blob: Blob(blob),
                    source_encryption_context: Some(ctx_of(ctx)),
                    destination_key_id: self.kref(dest),
                    destination_encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                self.cts.push((r.ciphertext_blob.0, pt));
                ObsOk::Encrypted(self.index_of(&r.key_id))
            }
            Action::EnableKey { key } => {
                self.api.enable_key(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::DisableKey { key } => {
                self.api.disable_key(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::EnableKeyRotation { key, period_days } => {
                self.api.enable_key_rotation(EnableKeyRotationRequest {
                    key_id: self.key(key),
                    rotation_period_in_days: period_days.map(i64::from),
                })?;
                ObsOk::Plain
            }
            Action::DisableKeyRotation { key } => {
                self.api.disable_key_rotation(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::GetKeyRotationStatus { key } => {
                ObsOk::Status(self.api.get_key_rotation_status(req(self.key(key)))?)
            }
            Action::RotateKeyOnDemand { key } => {
                self.api.rotate_key_on_demand(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::ScheduleKeyDeletion { key, window_days } => {
                ObsOk::Scheduled(self.api.schedule_key_deletion(ScheduleKeyDeletionRequest {
                    key_id: self.key(key),
                    pending_window_in_days: window_days.map(i64::from),
                })?)
            }
            Action::CancelKeyDeletion { key } => {
                self.api.cancel_key_deletion(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::GetParametersForImport { key } => {
                let r = self
                    .api
                    .get_parameters_for_import(GetParametersForImportRequest {
                        key_id: self.key(key),
                        wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                        wrapping_key_spec: WrappingKeySpec::Rsa2048,
                    })?;
                self.tokens[key as usize].push((r.import_token.0, r.public_key.0));
                ObsOk::Params(r.parameters_valid_to.0)
            }
            Action::ImportKeyMaterial {
                key,
                token,
                material: m,
                import_type,
                expires,
            } => {
                let pair = match token {
                    TokenRef::Latest => self.tokens[key as usize].last().cloned(),
                    TokenRef::Superseded => self.tokens[key as usize].first().cloned(),
                    TokenRef::OtherKey => self
                        .tokens
                        .iter()
                        .enumerate()
                        .find(|(i, t)| *i != key as usize && !t.is_empty())
                        .and_then(|(_, t)| t.last().cloned()),
                    TokenRef::Forged => Some((
                        vec![0x54; 98],
                        self.tokens
                            .iter()
                            .flatten()
                            .next()
                            .map(|t| t.1.clone())
                            .unwrap_or_default(),
                    )),
                };
                let (tok, public) = pair.unwrap_or_default();
                let wrapped =
                    wrap_key_material(&public, WrappingAlgorithm::RsaesOaepSha256, &material(m))
                        .unwrap_or_else(|_| vec![0x42; 256]);
                let now = self.time.at(model_now);
                let slack = if self.clock { 0 } else { 600 };
                let (expiration_model, valid_to) = match expires {
                    ValidToChoice::DoesNotExpire => {
                        (ExpirationModel::KeyMaterialDoesNotExpire, None)
                    }
                    ValidToChoice::In(s) => (ExpirationModel::KeyMaterialExpires, Some(now + s)),
                    ValidToChoice::TooFar => (
                        ExpirationModel::KeyMaterialExpires,
                        Some(now + 365 * DAY + 1 + slack),
                    ),
                    ValidToChoice::Past => (ExpirationModel::KeyMaterialExpires, Some(now - slack)),
                    ValidToChoice::MissingValidTo => (ExpirationModel::KeyMaterialExpires, None),
                };
                self.api.import_key_material(ImportKeyMaterialRequest {
                    key_id: self.key(key),
                    import_token: Blob(tok),
                    encrypted_key_material: Blob(wrapped),
                    expiration_model: Some(expiration_model),
                    valid_to: valid_to.map(Timestamp),
                    import_type: import_type.map(|t| match t {
                        ImportType::NewKeyMaterial => api::ImportType::NewKeyMaterial,
                        ImportType::ExistingKeyMaterial => api::ImportType::ExistingKeyMaterial,
                    }),
                })?;
                ObsOk::Plain
            }
            Action::DeleteImportedKeyMaterial { key, material } => {
                let key_material_id = match material {
                    None => None,
                    Some(m) => Some(self.material_id(key, m)?),
                };
                self.api
                    .delete_imported_key_material(DeleteImportedKeyMaterialRequest {
                        key_id: self.key(key),
                        key_material_id,
                    })?;
                ObsOk::Plain
            }
            Action::CreateAlias { alias, key } => {
                let name = match alias {
                    AliasName::Slot(n) => self.alias(n),
                    // Per replay, so that a shared endpoint that accepted
                    // them once does not answer AlreadyExistsException later.
                    AliasName::Reserved => {
                        self.prefix.replacen("alias/", "alias/aws/", 1) + "reserved"
                    }
                    AliasName::Malformed => format!("{}bad name!", self.prefix),
                };
                self.api.create_alias(AliasRequest {
                    alias_name: name,
                    target_key_id: self.key(key),
                })?;
                ObsOk::Plain
            }
            Action::UpdateAlias { alias, key } => {
                self.api.update_alias(AliasRequest {
                    alias_name: self.alias(alias),
                    target_key_id: self.key(key),
                })?;
                ObsOk::Plain
            }
            Action::DeleteAlias { alias } => {
                self.api.delete_alias(DeleteAliasRequest {
                    alias_name: self.alias(alias),
                })?;
                ObsOk::Plain
            }
            Action::GetKeyPolicy { key } => ObsOk::Policy(
                self.api
                    .get_key_policy(GetKeyPolicyRequest {
                        key_id: self.key(key),
                        policy_name: Some("default".into()),
                    })?
                    .policy,
            ),
            Action::ListKeyPolicies { key } => ObsOk::PolicyNames(
                self.api
                    .list_key_policies(ListKeyPoliciesRequest::new(self.key(key)))?
                    .policy_names,
            ),
            Action::PutKeyPolicy {
                key,
                policy,
                bypass,
            } => {
                // (Managed is never generated: AWS writes that text.)
                let text = policy.document(&self.account).unwrap_or_default();
                self.api.put_key_policy(PutKeyPolicyRequest {
                    key_id: self.key(key),
                    policy_name: Some("default".into()),
                    policy: text,
                    bypass_policy_lockout_safety_check: Some(bypass),
                })?;
                ObsOk::Plain
            }
            Action::Advance(d) => match self.api.advance_clock(d) {
                Some(r) => {
                    r?;
                    ObsOk::Plain
                }
                None => {
                    return Err(CallError::Protocol(
                        "the implementation offers no clock control".into(),
                    ));
                }
            },
        })
    }

    fn time_opt_matches(&self, model_t: Option<Time>, observed: Option<Timestamp>) -> bool {
        match (model_t, observed) {
            (None, None) => true,
            (Some(m), Some(o)) => self.time.matches(m, o.0),
            _ => false,
        }
    }

    fn consistent(&self, resp: &Response, obs: &Obs) -> bool {
        match (&resp.outcome, obs) {
            // AWS answers an alias name that breaks the pattern with
            // ValidationException although its model names
            // InvalidAliasNameException (reference facts §6): both are accepted.
            (Err(Exception::InvalidAliasNameException), Err(CallError::Exception { name, .. }))
                if name == "ValidationException" =>
            {
                true
            }
            (Err(e), Err(CallError::Exception { name, .. })) => e.name() == name,
            (Ok(sum), Ok(o)) => match (sum, o) {
                (OkSummary::Key { key, state }, ObsOk::Key(k, s)) => Some(*key) == *k && state == s,
                (OkSummary::Encrypted { key, .. }, ObsOk::Encrypted(k)) => Some(*key) == *k,
                (OkSummary::Decrypted { key, .. }, ObsOk::Decrypted(k, pt)) => {
                    *pt && Some(*key) == *k
                }
                (
                    OkSummary::RotationStatus {
                        enabled,
                        next,
                        period_days,
                    },
                    ObsOk::Status(s),
                ) => {
                    s.key_rotation_enabled == *enabled
                        && self.time_opt_matches(*next, s.next_rotation_date)
                        && s.rotation_period_in_days == *period_days
                }
                (
                    OkSummary::Scheduled {
                        deletion_date,
                        window_days,
                        ..
                    },
                    ObsOk::Scheduled(s),
                ) => {
                    s.pending_window_in_days == *window_days
                        && self.time.matches(*deletion_date, s.deletion_date.0)
                }
                (OkSummary::ImportParameters { valid_to, .. }, ObsOk::Params(t)) => {
                    self.time.matches(*valid_to, *t)
                }
                // An AWS managed key's policy is AWS's text (it names the
                // service): any JSON document; every other one byte for byte.
                (OkSummary::KeyPolicy { policy, .. }, ObsOk::Policy(text)) => {
                    match policy.document(&self.account) {
                        Some(doc) => doc == *text,
                        None => serde_json::from_str::<serde_json::Value>(text)
                            .is_ok_and(|v| v.is_object()),
                    }
                }
                (OkSummary::PolicyNames { .. }, ObsOk::PolicyNames(n)) => n == &["default"],
                (
                    OkSummary::Done { .. }
                    | OkSummary::Rotated { .. }
                    | OkSummary::Imported { .. }
                    | OkSummary::AliasDone
                    | OkSummary::Advanced { .. },
                    ObsOk::Plain,
                ) => true,
                _ => false,
            },
            _ => false,
        }
    }

    /// Runs one action; `Err` is a divergence that ends the replay (see
    /// [`Stop`]); after any other the replay re-anchors (`anchor.rs`).
    pub(super) fn step(&mut self, a: &Action) -> Result<(), Divergence> {
        if !model::applicable(&self.states[0], a)
            || !self.missing.borrow().allows(a, self.rules.key_material_ids)
        {
            return Ok(());
        }
        let before = self.states.clone();
        let config = Config { lenient: true };
        let outs: Vec<Vec<(Response, State)>> = self
            .states
            .iter()
            .map(|s| {
                let mut o = model::step_with(&self.rules, &config, s, a);
                let more: Vec<_> = o
                    .iter()
                    .filter_map(|(r, n)| super::lenient::more_outcomes(a, s, r, n))
                    .collect();
                o.extend(more);
                o
            })
            .collect();
        let (nk, nc) = (self.keys.len(), self.cts.len());
        let obs = self.perform(a);
        self.made.push((
            (self.keys.len() > nk).then_some(nk as u8),
            (self.cts.len() > nc).then_some(nc as u8),
        ));
        if let Err(CallError::Unimplemented(_)) = obs {
            self.made.pop();
            // Recorded as missing; the call did nothing.
            self.cts.truncate(self.states[0].ciphertexts.len());
            return Ok(());
        }
        self.executed.push(*a);
        let step = self.executed.len() - 1;
        self.log.push(StepReport {
            call: describe_action(a),
            observed: fmt_obs(&obs, &self.time),
        });
        let obs_name = obs.as_ref().err().and_then(|e| e.exception_name());
        let mut next: Vec<State> = outs
            .iter()
            .zip(&before)
            .flat_map(|(o, b)| o.iter().map(move |x| (x, b)))
            .filter(|((r, _), b)| {
                self.consistent(r, &obs)
                    || obs_name.is_some_and(|n| super::lenient::also_refused(a, b, r, n))
                    || (matches!(obs, Ok(ObsOk::Plain)) && super::lenient::also_ok(a, b, r))
            })
            .map(|((_, s), _)| s.clone())
            .collect();
        if let Ok(ObsOk::Key(Some(k), _)) = obs
            && next.is_empty()
            && matches!(a, Action::UseManagedAlias)
            && self.retired.contains(&k)
        {
            // An AWS managed key that existed before this replay: any state.
            next = outs.iter().flatten().map(|(_, s)| s.clone()).collect();
            next.retain(|s| s.keys.len() == self.keys.len());
        }
        self.taint_managed(a, &obs);
        if next.is_empty() {
            let first = &outs[0][0].0;
            let (rule, section) = rule_for_answer(a, &self.states[0], first, &obs);
            let d = Divergence {
                rule,
                section,
                step,
                call: describe_action(a),
                expected: join_alternatives(
                    outs.iter()
                        .flatten()
                        .map(|(r, _)| fmt_response(r))
                        .collect(),
                ),
                observed: fmt_obs(&obs, &self.time),
            };
            return self.answer_diverged(a, &before, &outs, &obs, d);
        }
        next.sort();
        next.dedup();
        next.truncate(MAX_STATES);
        self.states = next;
        self.probe(a, step)
    }

    /// The keys whose observable state `a` may have changed (live ones).
    pub(super) fn probed_keys(&self, a: &Action) -> (Vec<u8>, bool) {
        let nk = self.states[0].keys.len() as u8;
        let (keys, aliases) = match *a {
            Action::Advance(_) => ((0..nk).collect(), true),
            Action::CreateKey { .. } | Action::UseManagedAlias => {
                (nk.checked_sub(1).into_iter().collect(), false)
            }
            Action::CreateAlias { .. }
            | Action::UpdateAlias { .. }
            | Action::DeleteAlias { .. } => (Vec::new(), true),
            _ if is_crypto(a) => (Vec::new(), false),
            Action::DescribeKey { .. }
            | Action::GetKeyRotationStatus { .. }
            | Action::GetKeyPolicy { .. }
            | Action::ListKeyPolicies { .. } => (Vec::new(), false),
            _ => (a.direct_key().into_iter().collect(), false),
        };
        let keys = keys
            .into_iter()
            .filter(|k| !self.retired.contains(k))
            .collect();
        (keys, aliases)
    }

    pub(super) fn probe(&mut self, a: &Action, step: usize) -> Result<(), Divergence> {
        let (keys, aliases) = self.probed_keys(a);
        for k in keys {
            self.probe_key(a, step, k)?;
        }
        if aliases && !self.states[0].aliases.is_empty() {
            self.probe_aliases(a, step)?;
        }
        Ok(())
    }

    /// DescribeKey, GetKeyRotationStatus and ListKeyRotations of key `k`
    /// (the last two unless missing).
    pub(super) fn read_key(&mut self, k: u8) -> KeyProbe {
        let id = self.key(k);
        let d = self.api.describe_key(KeyIdRequest::new(id.clone()));
        let missing = |s: &Self, op: &str| s.missing.borrow().has(op);
        let st = (!missing(self, "GetKeyRotationStatus"))
            .then(|| {
                self.api
                    .get_key_rotation_status(KeyIdRequest::new(id.clone()))
            })
            .filter(|r| !matches!(r, Err(CallError::Unimplemented(_))));
        let rot = (!missing(self, "ListKeyRotations"))
            .then(|| {
                self.api.list_key_rotations(ListKeyRotationsRequest {
                    key_id: id.clone(),
                    limit: Some(1000),
                    ..Default::default()
                })
            })
            .filter(|r| !matches!(r, Err(CallError::Unimplemented(_))));
        KeyProbe { d, st, rot }
    }

    /// The states of `states` that allow probe `p` of key `k`, and the first
    /// disagreement.
    pub(super) fn filter_key(
        &self,
        states: &[State],
        k: u8,
        p: &KeyProbe,
    ) -> (Vec<State>, Option<(Probe, String)>) {
        let mut first_mismatch = None;
        let mut keep = Vec::new();
        for s in states {
            match self.key_matches(s, k, p) {
                Ok(()) => keep.push(s.clone()),
                Err(m) => {
                    if first_mismatch.is_none() {
                        first_mismatch = Some(m);
                    }
                }
            }
        }
        (keep, first_mismatch)
    }

    /// Probes key `k`; on a real service, waits up to `settle` for an answer
    /// that some state allows (eventual consistency).
    pub(super) fn probe_settled(
        &mut self,
        k: u8,
    ) -> (KeyProbe, Vec<State>, Option<(Probe, String)>) {
        let deadline = Instant::now() + self.settle;
        loop {
            let p = self.read_key(k);
            let (keep, m) = self.filter_key(&self.states, k, &p);
            if !keep.is_empty() || self.clock || Instant::now() >= deadline {
                return (p, keep, m);
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn probe_key(&mut self, a: &Action, step: usize, k: u8) -> Result<(), Divergence> {
        let (p, keep, first_mismatch) = self.probe_settled(k);
        if !keep.is_empty() {
            self.states = keep;
            return Ok(());
        }
        let KeyProbe { d, st, rot } = &p;
        let protocol = [
            ("DescribeKey", d.as_ref().err()),
            (
                "GetKeyRotationStatus",
                st.as_ref().and_then(|r| r.as_ref().err()),
            ),
            (
                "ListKeyRotations",
                rot.as_ref().and_then(|r| r.as_ref().err()),
            ),
        ]
        .into_iter()
        .find(|(_, e)| matches!(e, Some(CallError::Protocol(_))))
        .map(|(op, _)| op);
        let (probe, expected) = first_mismatch.unwrap_or((Probe::State, String::new()));
        let model_state = self.states[0].keys[k as usize].state;
        let observed_state = d.as_ref().ok().map(model_state_of);
        if super::lenient::open_choice(a, model_state, observed_state) {
            self.retire_key(k);
            return Ok(());
        }
        let (rule, section) = rule_for_probe(
            a,
            probe,
            Some(model_state),
            if d.as_ref().err().and_then(|e| e.exception_name()) == Some("NotFoundException") {
                None
            } else {
                observed_state.or(Some(model_state))
            },
            protocol,
        );
        let observed = match probe {
            Probe::State | Probe::DeletionDate => match d {
                Ok(r) => format!(
                    "DescribeKey(k{k}): {}, DeletionDate {}",
                    r.key_metadata.key_state,
                    r.key_metadata
                        .deletion_date
                        .map(|t| self.time.show(t.0))
                        .unwrap_or_else(|| "none".into())
                ),
                Err(e) => format!("DescribeKey(k{k}): {e}"),
            },
            Probe::RotationStatus => match st {
                Some(Ok(s)) => format!(
                    "GetKeyRotationStatus(k{k}): {}",
                    fmt_obs(&Ok(ObsOk::Status(s.clone())), &self.time)
                ),
                Some(Err(e)) => format!("GetKeyRotationStatus(k{k}): {e}"),
                None => format!("GetKeyRotationStatus(k{k}): not called"),
            },
            Probe::Rotations => match rot {
                Some(Ok(r)) => format!(
                    "ListKeyRotations(k{k}): {} rotation(s) {:?}",
                    r.rotations.len(),
                    r.rotations
                        .iter()
                        .map(|x| format!(
                            "{} at {}",
                            x.rotation_type.map_or("-", |t| t.as_str()),
                            x.rotation_date.map_or("-".into(), |t| self.time.show(t.0))
                        ))
                        .collect::<Vec<_>>()
                ),
                Some(Err(e)) => format!("ListKeyRotations(k{k}): {e}"),
                None => format!("ListKeyRotations(k{k}): not called"),
            },
            Probe::Aliases => String::new(),
        };
        let d = Divergence {
            rule,
            section,
            step,
            call: format!("probe after {}", describe_action(a)),
            expected,
            observed,
        };
        self.key_diverged(k, &p, d)
    }

    /// Whether state `s` allows what the probes of key `k` showed; else the
    /// probe that disagreed and what `s` expected.
    pub(super) fn key_matches(
        &self,
        s: &State,
        k: u8,
        p: &KeyProbe,
    ) -> Result<(), (Probe, String)> {
        let KeyProbe { d, st, rot } = p;
        let st = if self.blind_status.contains(&k) {
            &None
        } else {
            st
        };
        let rot = if self.blind_rotations.contains(&k) {
            &None
        } else {
            rot
        };
        let obs = model::observe(s, k as usize);
        let not_found =
            |r: Option<&CallError>| r.and_then(|e| e.exception_name()) == Some("NotFoundException");
        if obs.state == KeyState::Deleted {
            let want = format!(
                "k{k} deleted: NotFoundException from DescribeKey, GetKeyRotationStatus, ListKeyRotations"
            );
            if !not_found(d.as_ref().err()) {
                return Err((Probe::State, want));
            }
            if st.as_ref().is_some_and(|r| !not_found(r.as_ref().err())) {
                return Err((Probe::RotationStatus, want));
            }
            if rot.as_ref().is_some_and(|r| !not_found(r.as_ref().err())) {
                return Err((Probe::Rotations, want));
            }
            return Ok(());
        }
        let fmt_date = |t: Option<Time>| t.map(model::fmt_time).unwrap_or_else(|| "none".into());
        let want_state = format!(
            "DescribeKey(k{k}): {}, DeletionDate {}",
            obs.state.name(),
            fmt_date(obs.deletion_date)
        );
        let m = match d {
            Ok(r) => &r.key_metadata,
            Err(_) => return Err((Probe::State, want_state)),
        };
        if model_state(m.key_state) != obs.state || m.enabled != obs.enabled {
            return Err((Probe::State, want_state));
        }
        if !self.time_opt_matches(obs.deletion_date, m.deletion_date) {
            return Err((Probe::DeletionDate, want_state));
        }
        match (obs.origin, st) {
            (_, None) => {}
            (Origin::External, Some(Err(e)))
                if e.exception_name() == Some("UnsupportedOperationException") => {}
            (Origin::External, _) => {
                return Err((
                    Probe::RotationStatus,
                    format!(
                        "GetKeyRotationStatus(k{k}): UnsupportedOperationException (EXTERNAL key)"
                    ),
                ));
            }
            (Origin::AwsKms, Some(Ok(r)))
                if r.key_rotation_enabled == obs.rotation_enabled
                    && self.time_opt_matches(obs.next_rotation_date, r.next_rotation_date)
                    && r.rotation_period_in_days == obs.rotation_period_days => {}
            (Origin::AwsKms, _) => {
                return Err((
                    Probe::RotationStatus,
                    format!(
                        "GetKeyRotationStatus(k{k}): ok: KeyRotationEnabled={}, NextRotationDate={}, RotationPeriodInDays={}",
                        obs.rotation_enabled,
                        fmt_date(obs.next_rotation_date),
                        obs.rotation_period_days
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "none".into())
                    ),
                ));
            }
        }
        let want_rot = || {
            format!(
                "ListKeyRotations(k{k}): {} rotation(s) {:?}",
                obs.rotations.len(),
                obs.rotations
                    .iter()
                    .map(|r| format!(
                        "{} at {}",
                        match r.rotation_type {
                            model::RotationType::Automatic => "AUTOMATIC",
                            model::RotationType::OnDemand => "ON_DEMAND",
                        },
                        model::fmt_time(r.date)
                    ))
                    .collect::<Vec<_>>()
            )
        };
        let r = match rot {
            None => return Ok(()),
            Some(Ok(r)) => r,
            Some(Err(_)) => return Err((Probe::Rotations, want_rot())),
        };
        let same = r.rotations.len() == obs.rotations.len()
            && r.rotations.iter().zip(&obs.rotations).all(|(g, w)| {
                let ty = match w.rotation_type {
                    model::RotationType::Automatic => RotationType::Automatic,
                    model::RotationType::OnDemand => RotationType::OnDemand,
                };
                g.rotation_type == Some(ty)
                    && g.rotation_date
                        .is_some_and(|t| self.time.matches(w.date, t.0))
            });
        if !same {
            return Err((Probe::Rotations, want_rot()));
        }
        Ok(())
    }

    /// ListAliases, all pages: the slot targets seen (`None`: absent) and the
    /// slots naming a key the replay does not know.
    pub(super) fn read_aliases(&mut self) -> Result<(Vec<Option<u8>>, Vec<usize>), CallError> {
        let mut seen: Vec<Option<u8>> = vec![None; self.states[0].aliases.len()];
        let mut unknown = Vec::new();
        let mut marker = None;
        for _page in 0..50 {
            let r = self.api.list_aliases(ListRequest {
                limit: Some(100),
                marker: marker.clone(),
                ..Default::default()
            })?;
            for e in &r.aliases {
                if let Some(slot) = e
                    .alias_name
                    .strip_prefix(&self.prefix)
                    .and_then(|s| s.strip_prefix("slot"))
                    .and_then(|s| s.parse::<usize>().ok())
                    && slot < seen.len()
                {
                    match e.target_key_id.as_deref().and_then(|t| self.index_of(t)) {
                        Some(k) => seen[slot] = Some(k),
                        None => unknown.push(slot),
                    }
                }
            }
            if !r.truncated || r.next_marker.is_none() {
                break;
            }
            marker = r.next_marker;
        }
        Ok((seen, unknown))
    }

    /// Whether state `s` has the alias targets seen (retired slots aside).
    pub(super) fn aliases_match(&self, s: &State, seen: &[Option<u8>], unknown: &[usize]) -> bool {
        (0..seen.len()).all(|i| {
            self.retired_aliases.contains(&(i as u8))
                || (!unknown.contains(&i) && s.aliases.get(i) == Some(&seen[i]))
        })
    }

    fn probe_aliases(&mut self, a: &Action, step: usize) -> Result<(), Divergence> {
        if self.missing.borrow().has("ListAliases") {
            return Ok(());
        }
        let deadline = Instant::now() + self.settle;
        let (seen, unknown) = loop {
            let (seen, unknown) = match self.read_aliases() {
                Ok(r) => r,
                Err(CallError::Unimplemented(_)) => return Ok(()),
                Err(e) => {
                    let (rule, section) = match &e {
                        CallError::Protocol(_) => rule(
                            "ListAliases answers in the AWS JSON protocol",
                            "AWS JSON 1.1 (reference §8)",
                        ),
                        _ => rule("ListAliases allowed", "§3, §9"),
                    };
                    return self.record(Divergence {
                        rule,
                        section,
                        step,
                        call: format!("probe after {}: ListAliases", describe_action(a)),
                        expected: "ok".into(),
                        observed: e.to_string(),
                    });
                }
            };
            let matched = self
                .states
                .iter()
                .any(|s| self.aliases_match(s, &seen, &unknown));
            if matched || self.clock || Instant::now() >= deadline {
                break (seen, unknown);
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        let fmt = |v: &[Option<u8>], unknown: &[usize]| {
            v.iter()
                .enumerate()
                .map(|(i, t)| {
                    if unknown.contains(&i) {
                        format!("alias/slot{i} → an unknown key")
                    } else {
                        match t {
                            Some(k) => format!("alias/slot{i} → k{k}"),
                            None => format!("alias/slot{i} absent"),
                        }
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let keep: Vec<State> = self
            .states
            .iter()
            .filter(|s| self.aliases_match(s, &seen, &unknown))
            .cloned()
            .collect();
        if keep.is_empty() {
            let (rule, section) = rule_for_probe(a, Probe::Aliases, None, None, None);
            let d = Divergence {
                rule,
                section,
                step,
                call: format!("probe after {}: ListAliases", describe_action(a)),
                expected: fmt(&self.states[0].aliases, &[]),
                observed: fmt(&seen, &unknown),
            };
            return self.aliases_diverged(&seen, &unknown, d);
        }
        self.states = keep;
        Ok(())
    }
}

fn model_state_of(r: &KeyMetadataResponse) -> KeyState {
    model_state(r.key_metadata.key_state)
}
