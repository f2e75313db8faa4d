//! Feature configurations (issue 13, "configurations that reach every
//! feature"): small checker configurations, each of which *claims* features
//! that the default configuration cannot reach, and a `sometimes` verdict per
//! claim, so that a property that needs the feature is known not to hold
//! vacuously. `check --config NAME` runs one, `check --config all` every one,
//! `check --list-configs` prints which configuration covers which feature.

use crate::checker::LifecycleModel;
use crate::{
    Action, DAY, Exception, KeyState, Manager, Origin, Response, RotationType, Rules, State, Time,
    Token,
};

/// A situation a configuration claims to reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// An AWS managed key rotated automatically at the rule set's managed
    /// period (1095 days under `classic`, 365 under `current`).
    ManagedKeyRotated,
    /// A successful ReEncrypt (its new ciphertext is inside the boundary).
    ReEncryptSucceeded,
    /// A path with at least three clock steps.
    ThreeClockSteps,
    /// One clock step across at least two distinct deadline instants.
    JumpAcrossDeadlines,
    /// Two clock events due at the same instant, applied in spec §10's order.
    CoincidingDeadlines,
    /// A material expired, was reimported with an expiry, and expired again.
    ExpireReimportExpire,
    /// LimitExceededException from RotateKeyOnDemand at the real limit (25).
    RealOnDemandLimit,
    /// A key policy that locks everybody out, accepted with
    /// BypassPolicyLockoutSafetyCheck (issue 16).
    BypassedLockout,
    /// PutKeyPolicy refused because a Deny statement of the key's policy
    /// wins over its Allow statements (issue 16).
    DenyWins,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 9] = [
        Feature::ManagedKeyRotated,
        Feature::ReEncryptSucceeded,
        Feature::ThreeClockSteps,
        Feature::JumpAcrossDeadlines,
        Feature::CoincidingDeadlines,
        Feature::ExpireReimportExpire,
        Feature::RealOnDemandLimit,
        Feature::BypassedLockout,
        Feature::DenyWins,
    ];

    /// The verdict's wording.
    pub fn label(self) -> &'static str {
        match self {
            Feature::ManagedKeyRotated => "an AWS managed key rotated at the managed period",
            Feature::ReEncryptSucceeded => "a successful ReEncrypt",
            Feature::ThreeClockSteps => "three clock steps on one path",
            Feature::JumpAcrossDeadlines => "one clock step across several deadlines",
            Feature::CoincidingDeadlines => "two deadlines at the same instant",
            Feature::ExpireReimportExpire => "expire, reimport, expire again",
            Feature::RealOnDemandLimit => "the real on-demand limit (25) reached",
            Feature::BypassedLockout => "a lock-out key policy accepted with the bypass flag",
            Feature::DenyWins => "PutKeyPolicy denied by a Deny statement over an Allow",
        }
    }

    pub(crate) fn bit(self) -> u64 {
        1 << (self as u64)
    }
}

/// The clock events due in `s` (instant, kind, key), as spec §10 lists them:
/// deletion, material expiry, token expiry, automatic rotation.
fn events(s: &State) -> Vec<(Time, u8, usize)> {
    let mut out = Vec::new();
    for (i, k) in s.keys.iter().enumerate() {
        if k.state == KeyState::Deleted {
            continue;
        }
        if let Some(d) = k.deletion_date {
            out.push((d, 0, i));
        }
        for m in k.materials.iter().chain(k.pending.iter()) {
            if m.present
                && let Some(v) = m.valid_to
            {
                out.push((v, 1, i));
            }
        }
        if let Some(Token::Valid { valid_to }) = k.token {
            out.push((valid_to, 2, i));
        }
        if k.state == KeyState::Enabled
            && let Some(r) = k.rotation
        {
            out.push((r.next, 3, i));
        }
    }
    out
}

/// The features one step shows (`expired`: the (key, material) pairs that
/// expired earlier on the path, a bit each; updated here).
pub(crate) fn observe(
    m: &LifecycleModel,
    before: &State,
    a: &Action,
    r: &Response,
    after: &State,
    ticks: u8,
    expired: &mut u8,
) -> u64 {
    let mut bits = 0;
    if ticks >= 3 {
        bits |= Feature::ThreeClockSteps.bit();
    }
    match *a {
        Action::ReEncrypt { .. } if r.outcome.is_ok() => bits |= Feature::ReEncryptSucceeded.bit(),
        Action::PutKeyPolicy {
            policy,
            bypass: true,
            ..
        } if r.outcome.is_ok() && policy.locks_out() => bits |= Feature::BypassedLockout.bit(),
        Action::PutKeyPolicy { key, .. }
            if r.outcome == Err(Exception::AccessDeniedException)
                && before.keys[key as usize].policy == crate::Policy::DenyPut =>
        {
            bits |= Feature::DenyWins.bit()
        }
        Action::RotateKeyOnDemand { .. }
            if r.outcome == Err(Exception::LimitExceededException)
                && m.rules.on_demand_limit >= Rules::current().on_demand_limit =>
        {
            bits |= Feature::RealOnDemandLimit.bit()
        }
        Action::Advance(_) => {
            let due: Vec<(Time, u8, usize)> = events(before)
                .into_iter()
                .filter(|&(t, _, _)| before.now < t && t <= after.now)
                .collect();
            let mut instants: Vec<Time> = due.iter().map(|e| e.0).collect();
            instants.sort_unstable();
            instants.dedup();
            if instants.len() >= 2 {
                bits |= Feature::JumpAcrossDeadlines.bit();
            }
            if instants.len() < due.len() {
                bits |= Feature::CoincidingDeadlines.bit();
            }
            for (i, (bk, ak)) in before.keys.iter().zip(&after.keys).enumerate() {
                if bk.manager == Manager::Aws
                    && ak.rotations.len() > bk.rotations.len()
                    && ak
                        .rotations
                        .last()
                        .is_some_and(|x| x.rotation_type == RotationType::Automatic)
                {
                    bits |= Feature::ManagedKeyRotated.bit();
                }
                if bk.origin == Origin::External && ak.state != KeyState::Deleted && i < 2 {
                    for (x, y) in bk.materials.iter().zip(&ak.materials) {
                        if x.present && !y.present && x.id < 4 {
                            let b = 1u8 << (i * 4 + x.id as usize);
                            if *expired & b != 0 {
                                bits |= Feature::ExpireReimportExpire.bit();
                            }
                            *expired |= b;
                        }
                    }
                }
            }
        }
        _ => {}
    }
    bits
}

/// The named feature configurations of a rule set, with what each claims.
pub fn configurations(rules: Rules) -> Vec<(&'static str, LifecycleModel)> {
    let base = |claims: &[Feature]| {
        let mut m = LifecycleModel::test_config(rules);
        m.full_coverage = false;
        m.claims = claims.to_vec();
        m
    };
    let mut out = Vec::new();
    // An AWS managed key beside one customer key, for the managed period.
    let mut managed = base(&[Feature::ManagedKeyRotated]);
    managed.managed = true;
    managed.max_external = 0;
    managed.horizon = u64::from(rules.managed_rotation_days) * DAY + 1;
    managed.max_ticks = 2;
    out.push(("managed", managed));
    // Two AWS_KMS keys and two ciphertext slots: ReEncrypt succeeds.
    let mut two = base(&[Feature::ReEncryptSucceeded]);
    two.keys = 2;
    two.max_external = 0;
    two.ciphertexts = 2;
    two.max_ticks = 1;
    out.push(("two-ciphertexts", two));
    // One EXTERNAL key whose material expires after the deletion window:
    // ValidTo = DeletionDate possible; a step to the horizon crosses them all.
    let mut clock = base(&[
        Feature::ThreeClockSteps,
        Feature::JumpAcrossDeadlines,
        Feature::CoincidingDeadlines,
    ]);
    clock.max_external = 1;
    clock.windows = vec![Some(7)];
    clock.valid_to_short = 7 * DAY;
    clock.max_ticks = 3;
    clock.jump = true;
    clock.horizon = 30 * DAY;
    out.push(("clock", clock));
    // One EXTERNAL key: expire, reimport, expire again.
    let mut history = base(&[Feature::ExpireReimportExpire]);
    history.max_external = 1;
    history.track_reexpiry = true;
    history.max_ticks = 4;
    history.windows = vec![Some(7)];
    history.horizon = 30 * DAY;
    out.push(("import-history", history));
    // Key policies (issue 16): PutKeyPolicy with every abstract document,
    // with and without the bypass flag, on one customer key of either origin
    // in every state, and on the AWS managed key.
    let mut policies = base(&[Feature::BypassedLockout, Feature::DenyWins]);
    policies.policies = true;
    policies.keys = 1;
    policies.managed = true;
    policies.ciphertexts = 0;
    policies.max_ticks = 1;
    policies.windows = vec![Some(7)];
    policies.horizon = 7 * DAY + 1;
    out.push(("policies", policies));
    // The real on-demand limit: one AWS_KMS key, no clock.
    if rules.on_demand_rotation {
        let mut limit = base(&[Feature::RealOnDemandLimit]);
        limit.rules.on_demand_limit = Rules::current().on_demand_limit;
        limit.max_external = 0;
        limit.max_ticks = 0;
        limit.aliases = 0;
        out.push(("on-demand-limit", limit));
    }
    out
}
