//! The stateright model: [`LifecycleModel`] explores every interleaving of the
//! operations of [`crate::Action`] over a discrete clock, using [`crate::step`]
//! (the reference's choice) as its transition function.
//!
//! Transition properties (rules about what one step may do) are evaluated in
//! `next_state` on (before, action, response, after) and recorded as a bit in
//! [`CheckState::broken`], which is 0 in every correct state, so they add no
//! states; stateright then reports the first state with the bit set as the
//! counterexample. Coverage of spec §2's transitions and §3's exceptions is
//! recorded in atomics shared with the caller ([`Coverage`]).

mod actions;
mod planted;
mod run;
mod symmetry;

pub use crate::bugs::PlantedBug;
use planted::perturb;
pub use run::*;

use crate::properties;
use crate::{
    Action, AliasName, Ctx, DAY, Exception, ImportType, Key, KeyRef, KeyState, Manager, Origin,
    Response, Rules, State, Time, Token, TokenRef, ValidToChoice, step,
};
use serde::{Deserialize, Serialize};
use stateright::{Checker, HasDiscoveries, Model, Path, Property, Representative};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The checker's state: the abstract [`State`] and the transition rules broken
/// on the way here (a bit per entry of [`properties::TRANSITION_RULES`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CheckState {
    /// The abstract KMS state reached.
    pub s: State,
    /// The transition rules broken on the path here: bit `i` set iff entry `i`
    /// of [`properties::TRANSITION_RULES`] was broken (0 in every correct state).
    pub broken: u64,
    /// Time steps taken so far (bounded by [`LifecycleModel::max_ticks`]).
    pub ticks: u8,
    /// Feature configurations with [`LifecycleModel::track_reexpiry`] only
    /// (one key): the materials that expired earlier on the path, a bit each.
    pub expired: u8,
}

/// Which transitions and exceptions the exploration observed (spec §2, §3).
#[derive(Debug, Default)]
pub struct Coverage {
    transitions: [AtomicU64; 4],
    errors: AtomicU64,
    features: AtomicU64,
    /// The cells of spec §3's table the explored steps hit.
    pub cells: crate::table::Coverage,
}

impl Coverage {
    fn mark_transition(&self, t: &properties::Transition) {
        if let Some(i) = properties::REQUIRED_TRANSITIONS.iter().position(|r| r == t) {
            let (w, b) = (i / 64, i % 64);
            if self.transitions[w].load(Ordering::Relaxed) & (1 << b) == 0 {
                self.transitions[w].fetch_or(1 << b, Ordering::Relaxed);
            }
        }
    }
    fn mark_error(&self, e: Exception) {
        let b = 1u64 << (e as u64);
        if self.errors.load(Ordering::Relaxed) & b == 0 {
            self.errors.fetch_or(b, Ordering::Relaxed);
        }
    }
    /// Whether the transition was taken.
    pub fn transition_seen(&self, t: &properties::Transition) -> bool {
        match properties::REQUIRED_TRANSITIONS.iter().position(|r| r == t) {
            Some(i) => self.transitions[i / 64].load(Ordering::Relaxed) & (1 << (i % 64)) != 0,
            None => false,
        }
    }
    /// Whether the exception was answered.
    pub fn error_seen(&self, e: Exception) -> bool {
        self.errors.load(Ordering::Relaxed) & (1u64 << (e as u64)) != 0
    }
    /// Whether the feature was reached ([`crate::features`]).
    pub fn feature_seen(&self, f: crate::features::Feature) -> bool {
        self.features.load(Ordering::Relaxed) & f.bit() != 0
    }
}

/// The bounded model of the lifecycle.
#[derive(Clone, Debug)]
pub struct LifecycleModel {
    /// The rule set (its `on_demand_limit` may be lowered; see [`LifecycleModel::new`]).
    pub rules: Rules,
    /// At most this many customer managed keys are created.
    pub keys: usize,
    /// At most this many of the customer keys are EXTERNAL.
    pub max_external: usize,
    /// Whether the AWS managed key (one) can be created through its alias.
    pub managed: bool,
    /// Alias slots.
    pub aliases: usize,
    /// At most this many ciphertexts exist.
    pub ciphertexts: usize,
    /// The clock never goes past this instant.
    pub horizon: Time,
    /// The small fixed time step.
    pub small_step: Time,
    /// The small step is offered only while `now + small_step <= small_step * small_steps`
    /// (it keeps the set of instants finite and small).
    pub small_steps: u32,
    /// At most this many time steps on any path (bounded model checking in time).
    pub max_ticks: u8,
    /// The `RotationPeriodInDays` choices of EnableKeyRotation.
    pub periods: Vec<Option<u32>>,
    /// The `PendingWindowInDays` choices of ScheduleKeyDeletion.
    pub windows: Vec<Option<u32>>,
    /// ValidTo = now + this, for the expiring import choice.
    pub valid_to_short: Time,
    /// Optional deliberate bug.
    pub planted: Option<PlantedBug>,
    /// What the exploration observed.
    pub coverage: Arc<Coverage>,
    /// Set by [`run`] when a bound of [`Limits`] is reached: from then on no
    /// state is expanded, so the checker's threads drain their queues and stop.
    pub stop: Arc<AtomicBool>,
    /// The features this configuration claims to reach (a `sometimes`
    /// verdict each; [`crate::features`]).
    pub claims: Vec<crate::features::Feature>,
    /// Whether every transition of §2, every exception of §3 and every
    /// `sometimes` property must be found (the default configurations); a
    /// feature configuration answers for its claims only.
    pub full_coverage: bool,
    /// Also offer one clock step to the horizon (across every deadline).
    pub jump: bool,
    /// Track which materials expired on the path (one-key configurations).
    pub track_reexpiry: bool,
    /// Offer PutKeyPolicy (the `policies` configuration; GetKeyPolicy and
    /// ListKeyPolicies, which change nothing, are always offered).
    pub policies: bool,
}

impl LifecycleModel {
    /// The default `check` configuration of a rule set (docs/model.md,
    /// "Configurations"): 2 customer keys (AWS_KMS or EXTERNAL; at most one
    /// EXTERNAL under `current`), 1 alias, 1 ciphertext, no managed key, a
    /// horizon of 2 × 365 days + 1 s, at most 2 time steps per path,
    /// PendingWindowInDays 6 (invalid) and 7, RotationPeriodInDays none (the
    /// default) and, under `current`, 89 (invalid), and the on-demand limit
    /// lowered to 1 (model-checking parameters, so that the space stays
    /// small enough to check exhaustively in a few minutes).
    pub fn new(rules: Rules) -> LifecycleModel {
        let mut rules = rules;
        rules.on_demand_limit = rules.on_demand_limit.min(1);
        let periods = if rules.rotation_period_configurable {
            vec![None, Some(rules.min_rotation_days - 1)]
        } else {
            vec![None, Some(rules.default_rotation_days)]
        };
        LifecycleModel {
            rules,
            keys: 2,
            // `current` (NEW_KEY_MATERIAL, on-demand rotation) has a much larger
            // space per EXTERNAL key: at most one of its two keys is EXTERNAL.
            max_external: if rules.new_key_material_import { 1 } else { 2 },
            managed: false,
            aliases: 1,
            ciphertexts: 1,
            horizon: 2 * 365 * DAY + 1,
            small_step: DAY,
            small_steps: 1,
            max_ticks: 2,
            periods,
            windows: vec![Some(6), Some(7)],
            valid_to_short: 2 * DAY,
            planted: None,
            coverage: Arc::new(Coverage::default()),
            stop: Arc::new(AtomicBool::new(false)),
            claims: Vec::new(),
            full_coverage: true,
            jump: false,
            track_reexpiry: false,
            policies: false,
        }
    }

    /// A richer configuration for longer runs (`check --full`): every
    /// argument choice (periods none, minimum, minimum − 1; windows 6, 7, 30,
    /// 31) and the on-demand limit 2. Not exhaustively checkable in minutes
    /// under `current`.
    pub fn full(rules: Rules) -> LifecycleModel {
        let mut m = LifecycleModel::new(rules);
        m.rules.on_demand_limit = rules.on_demand_limit.min(2);
        m.windows = vec![Some(6), Some(7), Some(30), Some(31)];
        if rules.rotation_period_configurable {
            m.periods = vec![
                None,
                Some(rules.min_rotation_days),
                Some(rules.min_rotation_days - 1),
            ];
        }
        m
    }

    /// The first small configuration `cargo test` checks exhaustively: one key
    /// with every feature (AWS_KMS or EXTERNAL), one alias, one ciphertext, at
    /// most 3 time steps, on-demand limit 1. Everything but
    /// IncorrectKeyException (which needs two keys) is reachable.
    pub fn test_config(rules: Rules) -> LifecycleModel {
        let mut m = LifecycleModel::new(rules);
        m.keys = 1;
        m.max_external = 1;
        m.max_ticks = 3;
        m.ciphertexts = 1;
        m.windows = vec![Some(6), Some(7)];
        m.small_steps = 0;
        m.on_demand_limit(1);
        if m.rules.rotation_period_configurable {
            m.periods = vec![None, Some(m.rules.min_rotation_days - 1)];
        }
        m
    }

    /// The second small configuration `cargo test` checks exhaustively (and
    /// with symmetry reduction): two AWS_KMS keys, one alias, one ciphertext,
    /// at most 2 time steps (1 under `current`, whose on-demand rotations make
    /// the space larger).
    pub fn test_config_two_keys(rules: Rules) -> LifecycleModel {
        let mut m = LifecycleModel::test_config(rules);
        m.keys = 2;
        m.max_external = 0;
        m.max_ticks = if m.rules.on_demand_rotation { 1 } else { 2 };
        m
    }

    /// Lower the on-demand rotation limit (model-checking parameter).
    pub fn on_demand_limit(&mut self, n: u32) {
        self.rules.on_demand_limit = self.rules.on_demand_limit.min(n);
    }

    /// With a planted bug (a key policy bug also offers PutKeyPolicy, which
    /// is what shows it).
    ///
    /// Panics for a bug planted only in the implementation
    /// ([`PlantedBug::in_model`] is false): the model has nothing to perturb.
    pub fn with_bug(mut self, bug: Option<PlantedBug>) -> LifecycleModel {
        assert!(
            bug.is_none_or(|b| b.in_model()),
            "{} is planted in the implementation only",
            bug.map_or("", |b| b.name())
        );
        self.planted = bug;
        if bug == Some(PlantedBug::LockoutWithoutBypass) {
            self.policies = true;
        }
        self
    }

    /// A fresh coverage record and stop flag (for a new run of the same
    /// configuration).
    pub fn fresh(&self) -> LifecycleModel {
        let mut m = self.clone();
        m.coverage = Arc::new(Coverage::default());
        m.stop = Arc::new(AtomicBool::new(false));
        m
    }

    /// The allowed outcomes of `action`, with the planted bug applied.
    pub fn outcomes(&self, s: &State, a: &Action) -> Vec<(Response, State)> {
        let out = step(&self.rules, s, a);
        match self.planted {
            Some(bug) if !out.is_empty() => perturb(bug, &self.rules, s, a, out),
            _ => out,
        }
    }

    /// Record what the step covered (spec §2 transitions, §3 exceptions).
    fn record_coverage(&self, before: &State, a: &Action, r: &Response, after: &State) {
        if let Err(e) = r.outcome {
            self.coverage.mark_error(e);
        }
        self.coverage.cells.record(before, a);
        for t in properties::transitions(before, a, r, after) {
            self.coverage.mark_transition(&t);
        }
    }

    /// The transitions of spec §2 this configuration must take.
    pub fn required_transitions(&self) -> Vec<properties::Transition> {
        if !self.full_coverage {
            return Vec::new();
        }
        properties::REQUIRED_TRANSITIONS
            .iter()
            .copied()
            .filter(|t| properties::transition_applies(t, self))
            .collect()
    }

    /// The exceptions this configuration must answer at least once.
    pub fn required_errors(&self) -> Vec<Exception> {
        if !self.full_coverage {
            return Vec::new();
        }
        Exception::ALL
            .iter()
            .copied()
            .filter(|e| match e {
                Exception::LimitExceededException | Exception::ConflictException => {
                    self.rules.on_demand_rotation
                }
                Exception::MalformedPolicyDocumentException | Exception::AccessDeniedException => {
                    self.policies
                }
                _ => true,
            })
            .collect()
    }
}

impl Model for LifecycleModel {
    type State = CheckState;
    type Action = Action;

    fn init_states(&self) -> Vec<CheckState> {
        vec![CheckState {
            s: State::initial(self.aliases),
            broken: 0,
            ticks: 0,
            expired: 0,
        }]
    }

    fn actions(&self, state: &CheckState, actions: &mut Vec<Action>) {
        // A state that broke an `always` property (a transition rule, recorded
        // in `broken`, or a state invariant) is a counterexample: stateright
        // records it, and its successors are not explored. Without this, a bug
        // that makes the space infinite (on-demand-beyond-limit: a new backing
        // key per rotation) is never finished. A bound of `Limits` reached:
        // nothing more is expanded.
        if state.broken != 0
            || self.stop.load(Ordering::Relaxed)
            || !properties::state_invariants_hold(self, state)
        {
            return;
        }
        self.actions_of(&state.s, actions);
        if state.ticks >= self.max_ticks {
            actions.retain(|a| !matches!(a, Action::Advance(_)));
        }
    }

    fn next_state(&self, last: &CheckState, action: Action) -> Option<CheckState> {
        let outs = self.outcomes(&last.s, &action);
        let (resp, after) = outs.into_iter().next()?;
        self.record_coverage(&last.s, &action, &resp, &after);
        let broken = last.broken
            | properties::transition_violations(&self.rules, &last.s, &action, &resp, &after);
        let ticks = last.ticks + matches!(action, Action::Advance(_)) as u8;
        let mut expired = last.expired;
        if !self.claims.is_empty() {
            let seen = crate::features::observe(
                self,
                &last.s,
                &action,
                &resp,
                &after,
                ticks,
                &mut expired,
            );
            if seen != 0 {
                self.coverage.features.fetch_or(seen, Ordering::Relaxed);
            }
            if !self.track_reexpiry {
                expired = 0;
            }
        }
        Some(CheckState {
            s: after,
            broken,
            ticks,
            expired,
        })
    }

    fn within_boundary(&self, state: &CheckState) -> bool {
        let s = &state.s;
        s.now <= self.horizon
            && Self::customer_keys(s) <= self.keys
            && Self::managed_keys(s) <= 1
            && s.ciphertexts.len() <= self.ciphertexts
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all_properties()
    }

    fn format_action(&self, action: &Action) -> String {
        format_action(action)
    }

    fn format_step(&self, last: &CheckState, action: Action) -> Option<String> {
        let outs = self.outcomes(&last.s, &action);
        outs.into_iter()
            .next()
            .map(|(r, s)| format!("{:?} → {}", r.outcome, crate::summary(&s)))
    }
}

/// A readable action.
pub fn format_action(a: &Action) -> String {
    match a {
        Action::Advance(d) => format!("Advance {}", crate::fmt_time(*d)),
        other => format!("{other:?}"),
    }
}
