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
    pub s: State,
    pub broken: u64,
    /// Time steps taken so far (bounded by [`LifecycleModel::max_ticks`]).
    pub ticks: u8,
    /// Feature configurations with [`LifecycleModel::track_reexpiry`] only
    /// (one key): the materials that expired earlier on the path, a bit each.
    pub expired: u8,
}

/// A deliberate bug, planted by perturbing [`step`]'s result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlantedBug {
    /// A Disabled key rotates when the clock reaches its NextRotationDate.
    RotationWhileDisabled,
    /// CancelKeyDeletion leaves the key Enabled.
    CancelGivesEnabled,
    /// The key is deleted one second before its DeletionDate.
    DeletionOneSecondEarly,
    /// The key is not deleted at its DeletionDate (only at a later clock step).
    DeletionLate,
    /// A rotation destroys the older backing keys.
    BackingKeyDroppedOnRotation,
    /// An expired import token is accepted.
    TokenAcceptedAfter24h,
    /// Different key material is accepted as a reimport.
    DifferentMaterialAccepted,
    /// Deleting a key leaves its aliases pointing at the tombstone.
    AliasSurvivesKey,
    /// EnableKey does not perform the overdue (catch-up) rotation.
    CatchUpRotationMissing,
    /// Decrypt succeeds on a Disabled key.
    DecryptWhileDisabled,
    /// RotateKeyOnDemand ignores the limit.
    OnDemandBeyondLimit,
}

impl PlantedBug {
    /// Every planted bug.
    pub fn all() -> &'static [PlantedBug] {
        &[
            PlantedBug::RotationWhileDisabled,
            PlantedBug::CancelGivesEnabled,
            PlantedBug::DeletionOneSecondEarly,
            PlantedBug::DeletionLate,
            PlantedBug::BackingKeyDroppedOnRotation,
            PlantedBug::TokenAcceptedAfter24h,
            PlantedBug::DifferentMaterialAccepted,
            PlantedBug::AliasSurvivesKey,
            PlantedBug::CatchUpRotationMissing,
            PlantedBug::DecryptWhileDisabled,
            PlantedBug::OnDemandBeyondLimit,
        ]
    }

    /// The CLI name.
    pub fn name(&self) -> &'static str {
        match self {
            PlantedBug::RotationWhileDisabled => "rotation-while-disabled",
            PlantedBug::CancelGivesEnabled => "cancel-gives-enabled",
            PlantedBug::DeletionOneSecondEarly => "deletion-one-second-early",
            PlantedBug::DeletionLate => "deletion-late",
            PlantedBug::BackingKeyDroppedOnRotation => "backing-key-dropped-on-rotation",
            PlantedBug::TokenAcceptedAfter24h => "token-accepted-after-24h",
            PlantedBug::DifferentMaterialAccepted => "different-material-accepted",
            PlantedBug::AliasSurvivesKey => "alias-survives-key",
            PlantedBug::CatchUpRotationMissing => "catch-up-rotation-missing",
            PlantedBug::DecryptWhileDisabled => "decrypt-while-disabled",
            PlantedBug::OnDemandBeyondLimit => "on-demand-beyond-limit",
        }
    }

    /// Look a bug up by its CLI name.
    pub fn by_name(name: &str) -> Option<PlantedBug> {
        PlantedBug::all().iter().copied().find(|b| b.name() == name)
    }

    /// One line for `--list-planted-bugs`.
    pub fn description(&self) -> &'static str {
        match self {
            PlantedBug::RotationWhileDisabled => "a Disabled key rotates at its NextRotationDate",
            PlantedBug::CancelGivesEnabled => "CancelKeyDeletion leaves the key Enabled",
            PlantedBug::DeletionOneSecondEarly => "deletion one second before DeletionDate",
            PlantedBug::DeletionLate => "no deletion at DeletionDate (only at a later clock step)",
            PlantedBug::BackingKeyDroppedOnRotation => "a rotation destroys older backing keys",
            PlantedBug::TokenAcceptedAfter24h => "an expired import token is accepted",
            PlantedBug::DifferentMaterialAccepted => "reimport of different material accepted",
            PlantedBug::AliasSurvivesKey => "aliases survive the deletion of their key",
            PlantedBug::CatchUpRotationMissing => "EnableKey skips the overdue rotation",
            PlantedBug::DecryptWhileDisabled => "Decrypt succeeds on a Disabled key",
            PlantedBug::OnDemandBeyondLimit => "RotateKeyOnDemand ignores the limit",
        }
    }

    /// The rule set under which the bug can show (it is caught there).
    pub fn rules(&self) -> Rules {
        match self {
            PlantedBug::OnDemandBeyondLimit => Rules::current(),
            _ => Rules::classic(),
        }
    }
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

    /// With a planted bug.
    pub fn with_bug(mut self, bug: Option<PlantedBug>) -> LifecycleModel {
        self.planted = bug;
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

    fn customer_keys(s: &State) -> usize {
        s.keys
            .iter()
            .filter(|k| k.manager == Manager::Customer)
            .count()
    }

    fn managed_keys(s: &State) -> usize {
        s.keys.iter().filter(|k| k.manager == Manager::Aws).count()
    }

    /// The actions offered in `s`, in a deterministic order.
    pub fn actions_of(&self, s: &State, out: &mut Vec<Action>) {
        let nk = s.keys.len() as u8;
        if Self::customer_keys(s) < self.keys {
            out.push(Action::CreateKey {
                origin: Origin::AwsKms,
            });
            if s.keys
                .iter()
                .filter(|k| k.origin == Origin::External)
                .count()
                < self.max_external
            {
                out.push(Action::CreateKey {
                    origin: Origin::External,
                });
            }
        }
        if self.managed && Self::managed_keys(s) == 0 {
            out.push(Action::UseManagedAlias);
        }
        for k in 0..nk {
            let key = &s.keys[k as usize];
            // Every operation, also on a deleted key (NotFoundException) and
            // on a key of the wrong origin: each is a cell of spec §3's table
            // that the table rule checks (crate::table). None of these adds
            // a state: DescribeKey and the refusals change nothing, and
            // GenerateDataKey leaves the state Encrypt with context A leaves.
            out.push(Action::DescribeKey {
                key: KeyRef::Key(k),
            });
            out.push(Action::Encrypt {
                key: KeyRef::Key(k),
                ctx: Ctx::A,
            });
            out.push(Action::GenerateDataKey {
                key: KeyRef::Key(k),
            });
            out.push(Action::EnableKey { key: k });
            out.push(Action::DisableKey { key: k });
            for &p in &self.periods {
                out.push(Action::EnableKeyRotation {
                    key: k,
                    period_days: p,
                });
            }
            out.push(Action::DisableKeyRotation { key: k });
            out.push(Action::GetKeyRotationStatus { key: k });
            out.push(Action::RotateKeyOnDemand { key: k });
            for &w in &self.windows {
                out.push(Action::ScheduleKeyDeletion {
                    key: k,
                    window_days: w,
                });
            }
            out.push(Action::CancelKeyDeletion { key: k });
            if !matches!(key.token, Some(Token::Valid { .. })) || key.tokens_issued == 1 {
                out.push(Action::GetParametersForImport { key: k });
            }
            out.push(Action::DeleteImportedKeyMaterial {
                key: k,
                material: None,
            });
            if self.rules.key_material_ids && key.origin == Origin::External {
                // Naming a material: each non-current one (the current one
                // is what `None` deletes), the pending one, an unknown id.
                for v in 0..key.materials.len().saturating_sub(1) as u8 {
                    out.push(Action::DeleteImportedKeyMaterial {
                        key: k,
                        material: Some(crate::MaterialRef::Version(v)),
                    });
                }
                if key.pending.is_some() {
                    out.push(Action::DeleteImportedKeyMaterial {
                        key: k,
                        material: Some(crate::MaterialRef::Pending),
                    });
                }
                if k == 0 {
                    out.push(Action::DeleteImportedKeyMaterial {
                        key: k,
                        material: Some(crate::MaterialRef::Unknown),
                    });
                }
            }
            if key.origin == Origin::External {
                self.import_actions(s, k, out);
            } else {
                out.push(Action::ImportKeyMaterial {
                    key: k,
                    token: TokenRef::Forged,
                    material: 0,
                    import_type: None,
                    expires: ValidToChoice::DoesNotExpire,
                });
            }
            for a in 0..s.aliases.len() as u8 {
                out.push(Action::CreateAlias {
                    alias: AliasName::Slot(a),
                    key: k,
                });
                out.push(Action::UpdateAlias { alias: a, key: k });
            }
            if k == 0 {
                out.push(Action::CreateAlias {
                    alias: AliasName::Reserved,
                    key: k,
                });
                out.push(Action::CreateAlias {
                    alias: AliasName::Malformed,
                    key: k,
                });
            }
        }
        for a in 0..s.aliases.len() as u8 {
            out.push(Action::Encrypt {
                key: KeyRef::Alias(a),
                ctx: Ctx::A,
            });
            out.push(Action::DeleteAlias { alias: a });
        }
        for c in 0..s.ciphertexts.len() as u8 {
            let ct = s.ciphertexts[c as usize];
            out.push(Action::Decrypt {
                ct: c,
                ctx: ct.ctx,
                key: None,
            });
            out.push(Action::Decrypt {
                ct: c,
                ctx: if ct.ctx == Ctx::A { Ctx::B } else { Ctx::A },
                key: None,
            });
            if let Some(other) =
                (0..nk).find(|&o| o != ct.key && s.keys[o as usize].state != KeyState::Deleted)
            {
                out.push(Action::Decrypt {
                    ct: c,
                    ctx: ct.ctx,
                    key: Some(KeyRef::Key(other)),
                });
            }
            out.push(Action::DecryptTampered { ct: c });
            for d in 0..nk {
                out.push(Action::ReEncrypt {
                    ct: c,
                    dest: KeyRef::Key(d),
                });
            }
        }
        // Time steps.
        let now = s.now;
        if self.jump && now < self.horizon {
            out.push(Action::Advance(self.horizon - now));
        }
        let deadline = self.next_instant(s);
        if let Some(d) = deadline
            && d <= self.horizon
        {
            out.push(Action::Advance(d - now));
        }
        if let Some(d) = deadline
            && d - 1 > now
            && d - 1 <= self.horizon
        {
            out.push(Action::Advance(d - 1 - now));
        }
        let t = now + self.small_step;
        if self.small_step > 0
            && t <= self.small_step * self.small_steps as Time
            && t <= self.horizon
            && deadline.is_none_or(|d| t < d - 1)
        {
            out.push(Action::Advance(self.small_step));
        }
    }

    /// The next instant worth stopping at: [`crate::next_deadline`], or the
    /// NextRotationDate of a key that is not Enabled (to test catch-up).
    pub fn next_instant(&self, s: &State) -> Option<Time> {
        let mut d = crate::next_deadline(s);
        for k in &s.keys {
            if k.state != KeyState::Enabled
                && k.state != KeyState::Deleted
                && let Some(r) = k.rotation
                && r.next > s.now
                && d.is_none_or(|x| r.next < x)
            {
                d = Some(r.next);
            }
        }
        d
    }

    fn import_actions(&self, s: &State, k: u8, out: &mut Vec<Action>) {
        let key = &s.keys[k as usize];
        let current = self.rules.new_key_material_import;
        let imp = |token, material, import_type, expires| Action::ImportKeyMaterial {
            key: k,
            token,
            material,
            import_type,
            expires,
        };
        if key.token.is_some() {
            // Material ids are abstract: the first material a key receives is
            // always #0 (importing #1 first is the same state up to renaming
            // the key's material ids), and #1 is "different material" once the
            // key has some.
            let fresh = key.materials.is_empty();
            out.push(imp(TokenRef::Latest, 0, None, ValidToChoice::DoesNotExpire));
            out.push(imp(
                TokenRef::Latest,
                0,
                None,
                ValidToChoice::In(self.valid_to_short),
            ));
            if !fresh {
                out.push(imp(TokenRef::Latest, 1, None, ValidToChoice::DoesNotExpire));
            }
            out.push(imp(TokenRef::Latest, 0, None, ValidToChoice::TooFar));
            out.push(imp(TokenRef::Latest, 0, None, ValidToChoice::Past));
            out.push(imp(
                TokenRef::Latest,
                0,
                None,
                ValidToChoice::MissingValidTo,
            ));
            if current {
                if !fresh {
                    out.push(imp(
                        TokenRef::Latest,
                        1,
                        Some(ImportType::NewKeyMaterial),
                        ValidToChoice::DoesNotExpire,
                    ));
                }
                out.push(imp(
                    TokenRef::Latest,
                    0,
                    Some(ImportType::NewKeyMaterial),
                    ValidToChoice::DoesNotExpire,
                ));
                out.push(imp(
                    TokenRef::Latest,
                    if fresh { 0 } else { 1 },
                    Some(ImportType::ExistingKeyMaterial),
                    ValidToChoice::DoesNotExpire,
                ));
            } else {
                out.push(imp(
                    TokenRef::Latest,
                    0,
                    Some(ImportType::NewKeyMaterial),
                    ValidToChoice::DoesNotExpire,
                ));
            }
        }
        if key.tokens_issued >= 2 {
            out.push(imp(
                TokenRef::Superseded,
                0,
                None,
                ValidToChoice::DoesNotExpire,
            ));
        }
        if s.keys
            .iter()
            .enumerate()
            .any(|(i, o)| i != k as usize && o.token.is_some())
        {
            out.push(imp(
                TokenRef::OtherKey,
                0,
                None,
                ValidToChoice::DoesNotExpire,
            ));
        }
        out.push(imp(TokenRef::Forged, 0, None, ValidToChoice::DoesNotExpire));
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

// ---------------------------------------------------------------------------
// Symmetry over key identities
// ---------------------------------------------------------------------------

impl Representative for CheckState {
    fn representative(&self) -> Self {
        let n = self.s.keys.len();
        let mut order: Vec<usize> = (0..n).collect();
        // Ties between equal keys are broken by what names them (alias slots,
        // then ciphertexts), so that the representative is canonical: two
        // states equal up to a renaming of keys have the same representative,
        // and the unique state count does not depend on the exploration order.
        let named_by = |k: usize| {
            let k = k as u8;
            (
                self.s
                    .aliases
                    .iter()
                    .map(|a| *a == Some(k))
                    .collect::<Vec<_>>(),
                self.s
                    .ciphertexts
                    .iter()
                    .map(|c| c.key == k)
                    .collect::<Vec<_>>(),
            )
        };
        order.sort_by(|&a, &b| {
            self.s.keys[a]
                .cmp(&self.s.keys[b])
                .then_with(|| named_by(a).cmp(&named_by(b)))
        });
        // new_index[old] = position in the sorted order.
        let mut new_index = vec![0u8; n];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new as u8;
        }
        let keys: Vec<Key> = order.iter().map(|&i| self.s.keys[i].clone()).collect();
        let aliases = self
            .s
            .aliases
            .iter()
            .map(|a| a.map(|k| new_index[k as usize]))
            .collect();
        let ciphertexts = self
            .s
            .ciphertexts
            .iter()
            .map(|c| crate::Ciphertext {
                key: new_index[c.key as usize],
                ..*c
            })
            .collect();
        CheckState {
            s: State {
                now: self.s.now,
                keys,
                aliases,
                ciphertexts,
            },
            broken: self.broken,
            ticks: self.ticks,
            expired: self.expired,
        }
    }
}

// ---------------------------------------------------------------------------
// Planted bugs: perturb step's first outcome
// ---------------------------------------------------------------------------

fn perturb(
    bug: PlantedBug,
    rules: &Rules,
    before: &State,
    a: &Action,
    mut out: Vec<(Response, State)>,
) -> Vec<(Response, State)> {
    let (resp, after) = &mut out[0];
    match bug {
        PlantedBug::RotationWhileDisabled => {
            if let Action::Advance(_) = a {
                for (i, k) in before.keys.iter().enumerate() {
                    let ak = &mut after.keys[i];
                    if k.state == KeyState::Disabled
                        && ak.state == KeyState::Disabled
                        && let Some(r) = k.rotation
                        && r.next > before.now
                        && r.next <= after.now
                    {
                        let v = ak.versions;
                        ak.versions += 1;
                        ak.rotations.push(crate::RotationRecord {
                            version: v,
                            date: r.next,
                            rotation_type: crate::RotationType::Automatic,
                        });
                        ak.rotation = Some(crate::RotationSetting {
                            period_days: r.period_days,
                            next: r.next + r.period_days as Time * DAY,
                        });
                    }
                }
            }
        }
        PlantedBug::CancelGivesEnabled => {
            if let (Action::CancelKeyDeletion { key }, Ok(_)) = (a, resp.outcome) {
                let k = &mut after.keys[*key as usize];
                if k.state == KeyState::Disabled {
                    k.state = KeyState::Enabled;
                }
            }
        }
        PlantedBug::DeletionOneSecondEarly => {
            if let Action::Advance(_) = a {
                for i in 0..after.keys.len() {
                    let k = &after.keys[i];
                    if k.state == KeyState::PendingDeletion
                        && k.deletion_date == Some(after.now + 1)
                    {
                        after.keys[i] = k.tombstone();
                        for al in after.aliases.iter_mut() {
                            if *al == Some(i as u8) {
                                *al = None;
                            }
                        }
                    }
                }
            }
        }
        PlantedBug::DeletionLate => {
            if let Action::Advance(_) = a {
                for (i, k) in before.keys.iter().enumerate() {
                    if k.state == KeyState::PendingDeletion
                        && after.keys[i].state == KeyState::Deleted
                        && k.deletion_date == Some(after.now)
                    {
                        after.keys[i] = k.clone();
                        for (al, bl) in after.aliases.iter_mut().zip(&before.aliases) {
                            if *bl == Some(i as u8) {
                                *al = *bl;
                            }
                        }
                    }
                }
            }
        }
        PlantedBug::BackingKeyDroppedOnRotation => {
            for (i, k) in before.keys.iter().enumerate() {
                let ak = &mut after.keys[i];
                if ak.state != KeyState::Deleted && k.versions >= 1 && ak.versions > k.versions {
                    ak.oldest_retained = ak.versions - 1;
                }
            }
        }
        PlantedBug::TokenAcceptedAfter24h => {
            if let (
                Action::ImportKeyMaterial { key, .. },
                Err(Exception::ExpiredImportTokenException),
            ) = (a, resp.outcome)
            {
                let mut fresh = before.clone();
                fresh.keys[*key as usize].token = Some(Token::Valid {
                    valid_to: before.now + 1,
                });
                if let Some((r, mut s)) = step(rules, &fresh, a).into_iter().next() {
                    s.keys[*key as usize].token = before.keys[*key as usize].token;
                    *resp = r;
                    *after = s;
                }
            }
        }
        PlantedBug::DifferentMaterialAccepted => {
            if let (
                Action::ImportKeyMaterial { key, material, .. },
                Err(Exception::IncorrectKeyMaterialException),
            ) = (a, resp.outcome)
            {
                let k = &mut after.keys[*key as usize];
                if let Some(m) = k.materials.last_mut() {
                    m.id = *material;
                    m.present = true;
                    m.valid_to = None;
                    if k.state == KeyState::PendingImport && k.all_material_present() {
                        k.state = KeyState::Enabled;
                    }
                    let v = (k.materials.len() - 1) as u8;
                    *resp = Response {
                        outcome: Ok(crate::OkSummary::Imported {
                            key: *key,
                            version: Some(v),
                            state: k.state,
                        }),
                        alarm: false,
                    };
                }
            }
        }
        PlantedBug::AliasSurvivesKey => {
            if let Action::Advance(_) = a {
                for (i, k) in before.keys.iter().enumerate() {
                    if k.state != KeyState::Deleted && after.keys[i].state == KeyState::Deleted {
                        for (al, bl) in after.aliases.iter_mut().zip(&before.aliases) {
                            if *bl == Some(i as u8) {
                                *al = *bl;
                            }
                        }
                    }
                }
            }
        }
        PlantedBug::CatchUpRotationMissing => {
            if let (Action::EnableKey { key }, Ok(_)) = (a, resp.outcome) {
                let (bk, ak) = (&before.keys[*key as usize], &mut after.keys[*key as usize]);
                if ak.rotations.len() > bk.rotations.len() {
                    ak.rotations.pop();
                    ak.versions -= 1;
                }
            }
        }
        PlantedBug::DecryptWhileDisabled => {
            if let (Action::Decrypt { ct, ctx, .. }, Err(Exception::DisabledException)) =
                (a, resp.outcome)
            {
                let c = before.ciphertexts[*ct as usize];
                if *ctx == c.ctx {
                    *resp = Response {
                        outcome: Ok(crate::OkSummary::Decrypted {
                            key: c.key,
                            version: c.version,
                        }),
                        alarm: false,
                    };
                }
            }
        }
        PlantedBug::OnDemandBeyondLimit => {
            if let (Action::RotateKeyOnDemand { .. }, Err(Exception::LimitExceededException)) =
                (a, resp.outcome)
            {
                let mut lax = *rules;
                lax.on_demand_limit = u32::MAX;
                if let Some((r, s)) = step(&lax, before, a).into_iter().next() {
                    *resp = r;
                    *after = s;
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Running the checker, shortest counterexamples
// ---------------------------------------------------------------------------

/// Bounds on one run of the checker (`check --max-states`, `--max-memory-mb`).
/// A run that reaches one is stopped ([`Stop`]): its verdicts are not a
/// verdict on the configuration, except a violation found before the stop,
/// which is a real counterexample.
///
/// stateright 0.31's own `target_state_count` is not used: it counts
/// generated states (repeats included, 136 M for the default `current` run
/// against 2.9 M unique), it is checked only between blocks of 1,500 states
/// per thread, and a checker stopped by it looks like one that finished (its
/// threads drop their queues and `is_done` turns true). The bounds here are
/// checked by [`run_within`] every 20 ms; when one is reached it sets
/// [`LifecycleModel::stop`], after which no state is expanded, and the run is
/// reported as stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Stop once this many unique states have been generated.
    pub max_states: usize,
    /// Stop once the process's resident memory reaches this many MiB
    /// (`VmRSS` of `/proc/self/status`; not checked where it cannot be read).
    pub max_memory_mb: u64,
}

impl Limits {
    /// The default state bound: about 7 × the default `current` run
    /// (2,940,198 unique states).
    pub const DEFAULT_MAX_STATES: usize = 20_000_000;
    /// The default memory bound (the default `current` run peaks at 45 MB).
    pub const DEFAULT_MAX_MEMORY_MB: u64 = 2048;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_states: Limits::DEFAULT_MAX_STATES,
            max_memory_mb: Limits::DEFAULT_MAX_MEMORY_MB,
        }
    }
}

/// Why a run was stopped before it finished (not a verdict).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `unique` unique states had been generated when the bound was noticed.
    States { bound: usize, unique: usize },
    /// `resident_mb` MiB were resident when the bound was noticed.
    Memory { bound_mb: u64, resident_mb: u64 },
}

impl Stop {
    /// The `check` option that raises the bound.
    pub fn flag(&self) -> &'static str {
        match self {
            Stop::States { .. } => "--max-states",
            Stop::Memory { .. } => "--max-memory-mb",
        }
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::States { bound, unique } => write!(
                f,
                "the state bound {bound} (unique states) was reached ({unique} unique)"
            ),
            Stop::Memory {
                bound_mb,
                resident_mb,
            } => write!(
                f,
                "the memory bound {bound_mb} MB was reached ({resident_mb} MB resident)"
            ),
        }
    }
}

/// The resident memory of this process in MiB (`VmRSS` of
/// `/proc/self/status`), or `None` where it cannot be read.
pub fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Wait for a spawned checker, polling every 20 ms; when a bound is reached,
/// set `stop` (no state is expanded from then on, so the threads drain their
/// queues). Joins the threads, then clears `stop` again: stateright rebuilds
/// the paths of its discoveries by replaying `actions`. Returns the bound
/// reached, if any, and the peak resident memory sampled.
fn drive(
    checker: &mut dyn Checker<LifecycleModel>,
    stop: &AtomicBool,
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize, usize),
) -> (Option<Stop>, Option<u64>) {
    let start = std::time::Instant::now();
    let mut last_report = start;
    let mut stopped = None;
    let mut peak = resident_mb();
    while !checker.is_done() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let rss = resident_mb();
        if let Some(r) = rss {
            peak = Some(peak.map_or(r, |p| p.max(r)));
        }
        if stopped.is_none() {
            let unique = checker.unique_state_count();
            if unique >= limits.max_states {
                stopped = Some(Stop::States {
                    bound: limits.max_states,
                    unique,
                });
            } else if let Some(r) = rss
                && r >= limits.max_memory_mb
            {
                stopped = Some(Stop::Memory {
                    bound_mb: limits.max_memory_mb,
                    resident_mb: r,
                });
            }
            if stopped.is_some() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        if last_report.elapsed() >= std::time::Duration::from_secs(1) {
            last_report = std::time::Instant::now();
            progress(
                checker.state_count(),
                checker.unique_state_count(),
                checker.max_depth(),
            );
        }
    }
    for h in checker.handles() {
        h.join().expect("a checker thread panicked");
    }
    stop.store(false, Ordering::Relaxed);
    (stopped, peak)
}

/// The result of one run.
#[derive(Debug)]
pub struct RunReport {
    pub states: usize,
    pub unique: usize,
    pub max_depth: usize,
    pub elapsed: std::time::Duration,
    /// (property name, is it an `always`, held/found). When the run was
    /// stopped, "held" and "not found" mean only "not decided".
    pub verdicts: Vec<(String, bool, bool)>,
    /// Names of violated `always` properties, with the (not necessarily shortest) path.
    pub violations: Vec<(&'static str, Path<CheckState, Action>)>,
    /// Set when a bound of [`Limits`] stopped the run before it finished.
    pub stopped: Option<Stop>,
    /// The peak resident memory sampled during the run, in MiB.
    pub peak_memory_mb: Option<u64>,
    /// The cells of spec §3's table the run's steps hit.
    pub cells: Vec<crate::table::CellId>,
}

impl RunReport {
    /// The run finished, every `always` held and every `sometimes`
    /// (including coverage) was found.
    pub fn ok(&self) -> bool {
        self.stopped.is_none() && self.verdicts.iter().all(|(_, _, ok)| *ok)
    }

    /// An `always` property has a counterexample (a verdict even when the
    /// run was stopped).
    pub fn violated(&self) -> bool {
        !self.violations.is_empty()
    }
}

/// [`run_within`] with the default [`Limits`].
pub fn run(
    model: &LifecycleModel,
    threads: usize,
    symmetry: bool,
    max_depth: Option<usize>,
    progress: &mut dyn FnMut(usize, usize, usize),
) -> RunReport {
    run_within(
        model,
        threads,
        symmetry,
        max_depth,
        &Limits::default(),
        progress,
    )
}

/// Run the checker until it finishes or reaches a bound of `limits`, and
/// collect the verdicts, with coverage. `progress` is called about once a
/// second with (states, unique, depth).
pub fn run_within(
    model: &LifecycleModel,
    threads: usize,
    symmetry: bool,
    max_depth: Option<usize>,
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize, usize),
) -> RunReport {
    let model = model.fresh();
    let coverage = model.coverage.clone();
    let stop = model.stop.clone();
    let props = model.properties();
    let start = std::time::Instant::now();
    let mut builder = model.clone().checker().threads(threads.max(1));
    if let Some(d) = max_depth {
        builder = builder.target_max_depth(d);
    }
    let mut checker: Box<dyn Checker<LifecycleModel>> = if symmetry {
        Box::new(builder.symmetry().spawn_dfs())
    } else {
        Box::new(builder.spawn_bfs())
    };
    let (stopped, peak_memory_mb) = drive(checker.as_mut(), &stop, limits, progress);
    let elapsed = start.elapsed();
    let mut verdicts = Vec::new();
    let mut violations = Vec::new();
    for p in &props {
        let found = checker.discovery(p.name);
        let always = matches!(p.expectation, stateright::Expectation::Always);
        if always {
            if let Some(path) = found.clone() {
                violations.push((p.name, path));
            }
            verdicts.push((p.name.to_string(), true, found.is_none()));
        } else {
            verdicts.push((p.name.to_string(), false, found.is_some()));
        }
    }
    if !model.full_coverage {
        // A feature configuration answers for its claims, not for every
        // `sometimes` of the default configurations.
        let sometimes: Vec<String> = props
            .iter()
            .filter(|p| !matches!(p.expectation, stateright::Expectation::Always))
            .map(|p| p.name.to_string())
            .collect();
        verdicts.retain(|(n, always, _)| *always || !sometimes.contains(n));
    }
    for &f in &model.claims {
        verdicts.push((
            format!("sometimes feature: {}", f.label()),
            false,
            coverage.feature_seen(f),
        ));
    }
    for t in model.required_transitions() {
        verdicts.push((
            format!("sometimes transition §2: {}", t.label()),
            false,
            coverage.transition_seen(&t),
        ));
    }
    for e in model.required_errors() {
        verdicts.push((
            format!("sometimes error §3: {}", e.name()),
            false,
            coverage.error_seen(e),
        ));
    }
    RunReport {
        states: checker.state_count(),
        unique: checker.unique_state_count(),
        max_depth: checker.max_depth(),
        elapsed,
        verdicts,
        violations,
        stopped,
        peak_memory_mb,
        cells: coverage.cells.hit(),
    }
}

/// The result of [`shortest_counterexample_within`].
#[derive(Debug)]
pub struct Shortest {
    /// The property violated and the shortest path to its violation, or,
    /// when `stopped` is set, the shortest one found before the search was
    /// stopped (not proven shortest).
    pub path: Option<(&'static str, Path<CheckState, Action>)>,
    /// Set when a bound stopped one of the bounded runs of the search.
    pub stopped: Option<Stop>,
}

/// [`shortest_counterexample_within`] for one property, with the default
/// [`Limits`].
pub fn shortest_counterexample(
    model: &LifecycleModel,
    name: &'static str,
    upper: usize,
    threads: usize,
) -> Option<Path<CheckState, Action>> {
    shortest_counterexample_within(model, &[name], upper, threads, &Limits::default())
        .path
        .map(|(_, p)| p)
}

/// The shortest path to a violation of any of the `always` properties
/// `names`, by iterative deepening over `target_max_depth` (stateright 0.31's
/// BFS does not keep the shortest path). `upper` is the length of a known
/// violating path. Depth `d` explores paths of at most `d - 2` actions; "one
/// of `names` is violated within depth `d`" is monotone in `d`, so a binary
/// search finds the least `d`. Each bounded run is held to `limits`; a run
/// stopped before it found a violation ends the search (a stopped run proves
/// nothing about its depth). When several properties are violated at the
/// least depth, the first in `names` is reported.
pub fn shortest_counterexample_within(
    model: &LifecycleModel,
    names: &[&'static str],
    upper: usize,
    threads: usize,
    limits: &Limits,
) -> Shortest {
    type Found = Option<(&'static str, Path<CheckState, Action>)>;
    let found_at = |d: usize| -> (Found, Option<Stop>) {
        let m = model.fresh();
        let stop = m.stop.clone();
        let mut c: Box<dyn Checker<LifecycleModel>> = Box::new(
            m.checker()
                .threads(threads.max(1))
                .target_max_depth(d)
                .finish_when(HasDiscoveries::AnyOf(names.iter().copied().collect()))
                .spawn_bfs(),
        );
        let (stopped, _) = drive(c.as_mut(), &stop, limits, &mut |_, _, _| {});
        let found = names
            .iter()
            .filter_map(|&n| c.discovery(n).map(|p| (n, p)))
            .min_by_key(|(_, p)| p.clone().into_actions().len());
        (found, stopped)
    };
    let (mut lo, mut hi) = (2usize, upper + 2);
    let mut best = match found_at(hi) {
        (Some(f), _) => f,
        (None, stopped) => {
            return Shortest {
                path: None,
                stopped,
            };
        }
    };
    while lo < hi {
        let mid = (lo + hi) / 2;
        match found_at(mid) {
            (Some(f), _) => {
                best = f;
                hi = mid;
            }
            (None, None) => lo = mid + 1,
            (None, Some(stop)) => {
                return Shortest {
                    path: Some(best),
                    stopped: Some(stop),
                };
            }
        }
    }
    Shortest {
        path: Some(best),
        stopped: None,
    }
}

/// A numbered list of the actions, with the response and the state after each.
pub fn format_counterexample(model: &LifecycleModel, path: &Path<CheckState, Action>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let steps = path.clone().into_vec();
    let _ = writeln!(out, "   0. (initial) {}", crate::summary(&steps[0].0.s));
    for (i, (state, action)) in steps.iter().enumerate() {
        if let Some(a) = action {
            let resp = model
                .outcomes(&state.s, a)
                .into_iter()
                .next()
                .map(|(r, _)| r);
            let next = &steps[i + 1].0;
            let _ = writeln!(
                out,
                "  {:>2}. {}\n      → {}{}\n      state: {}",
                i + 1,
                format_action(a),
                match resp {
                    Some(r) => match r.outcome {
                        Ok(ok) => format!("{ok:?}"),
                        Err(e) => e.name().to_string(),
                    },
                    None => "(not applicable)".to_string(),
                },
                if resp.is_some_and(|r| r.alarm) {
                    " [alarm]"
                } else {
                    ""
                },
                crate::summary(&next.s)
            );
        }
    }
    out
}
