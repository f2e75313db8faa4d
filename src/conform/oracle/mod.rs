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
//!
//! The parts: generation (`generate`), the readable forms of actions and
//! answers (`describe`), observations and the time base (`observe`), the
//! rule an unexpected answer or probe violates (`rules`), and one replay
//! (`replay`), with its calls (`perform`) and its probes (`probe`). Running
//! the sequences and shrinking are in `run.rs`, re-anchoring in `anchor.rs`.

// A divergence ends the sequence: its size on the error path does not matter.
#![allow(clippy::result_large_err)]

mod describe;
mod generate;
mod observe;
mod perform;
mod probe;
mod replay;
mod rules;

pub use describe::describe_action;
pub(super) use generate::{Live, Rng, gen_action};
pub(super) use observe::{Obs, model_state};
pub(super) use probe::KeyProbe;
pub(super) use replay::{Replay, ReplayResult, Start, Stop};

use super::KmsApi;
use super::missing::MissingOperation;
use kms_lifecycle_model as model;
use model::Action;
use serde::Serialize;
use std::time::Duration;

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
        let r = *rules;
        Self::new(
            "in-process reference".to_string(),
            move || -> Box<dyn KmsApi> { Box::new(super::InProcess::new(r, super::DEFAULT_START)) },
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
