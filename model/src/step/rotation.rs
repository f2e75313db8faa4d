//! Automatic and on-demand rotation (spec §4).

use super::*;

/// The period of automatic rotation for a newly enabled setting.
pub(crate) fn rotation_days(rules: &Rules, key: &Key, requested: Option<u32>) -> u32 {
    if key.is_managed() {
        rules.managed_rotation_days
    } else {
        requested.unwrap_or(rules.default_rotation_days)
    }
}

/// A new backing key becomes current (spec §4).
pub(crate) fn rotate(key: &mut Key, now: Time, t: RotationType) -> u8 {
    let v = key.versions;
    key.versions += 1;
    key.rotations.push(RotationRecord {
        version: v,
        date: now,
        rotation_type: t,
    });
    v
}

/// EnableKeyRotation (spec §4): never on EXTERNAL or AWS managed keys; the
/// period is configurable only under `current`.
pub(super) fn enable_key_rotation(
    rules: &Rules,
    s: &mut State,
    key: u8,
    period_days: Option<u32>,
) -> Response {
    let now = s.now;
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    if let Some(p) = period_days
        && (!rules.rotation_period_configurable
            || p < rules.min_rotation_days
            || p > rules.max_rotation_days)
    {
        fail!(Exception::ValidationException)
    }
    let kk = &s.keys[key as usize];
    if kk.is_managed() || kk.origin == Origin::External {
        fail!(Exception::UnsupportedOperationException)
    }
    if let Some((e, alarm)) = state_error(kk, true) {
        return refuse(s, key, e, alarm);
    }
    let period = rotation_days(rules, kk, period_days);
    let k = &mut s.keys[key as usize];
    match k.rotation {
        Some(r) if period_days.is_none() || period_days == Some(r.period_days) => {}
        _ => {
            k.rotation = Some(RotationSetting {
                period_days: period,
                next: now + period as Time * DAY,
            })
        }
    }
    Response::ok(OkSummary::Done {
        key,
        state: k.state,
    })
}

/// DisableKeyRotation (spec §4).
pub(super) fn disable_key_rotation(s: &mut State, key: u8) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let kk = &s.keys[key as usize];
    if kk.is_managed() || kk.origin == Origin::External {
        fail!(Exception::UnsupportedOperationException)
    }
    if let Some((e, alarm)) = state_error(kk, true) {
        return refuse(s, key, e, alarm);
    }
    let k = &mut s.keys[key as usize];
    k.rotation = None;
    Response::ok(OkSummary::Done {
        key,
        state: k.state,
    })
}

/// GetKeyRotationStatus (spec §4): UnsupportedOperation for EXTERNAL keys.
pub(super) fn get_key_rotation_status(s: &mut State, key: u8) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let k = &s.keys[key as usize];
    if k.origin == Origin::External {
        fail!(Exception::UnsupportedOperationException)
    }
    let (enabled, next, period) = rotation_report(k);
    Response::ok(OkSummary::RotationStatus {
        enabled,
        next,
        period_days: period,
    })
}

/// RotateKeyOnDemand (spec §4): the limit, the conflict window, and for
/// EXTERNAL keys the pending material becoming current.
pub(super) fn rotate_key_on_demand(rules: &Rules, s: &mut State, key: u8) -> Response {
    let now = s.now;
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    if !rules.on_demand_rotation {
        fail!(Exception::UnsupportedOperationException)
    }
    let kk = &s.keys[key as usize];
    if kk.is_managed() {
        fail!(Exception::UnsupportedOperationException)
    }
    if let Some((e, alarm)) = state_error(kk, true) {
        return refuse(s, key, e, alarm);
    }
    if kk.origin == Origin::External && kk.pending.is_none() {
        fail!(Exception::KMSInvalidStateException)
    }
    if kk.on_demand_count as u32 >= rules.on_demand_limit {
        fail!(Exception::LimitExceededException)
    }
    if let Some(r) = kk.rotation
        && r.next <= now + CONFLICT_WINDOW
    {
        fail!(Exception::ConflictException)
    }
    let k = &mut s.keys[key as usize];
    if let Some(p) = k.pending.take() {
        k.materials.push(p);
    }
    let v = rotate(k, now, RotationType::OnDemand);
    k.on_demand_count += 1;
    Response::ok(OkSummary::Rotated { key, version: v })
}

/// What GetKeyRotationStatus reports: (enabled, NextRotationDate, period).
pub(crate) fn rotation_report(k: &Key) -> (bool, Option<Time>, Option<u32>) {
    if k.state == KeyState::PendingDeletion && !k.is_managed() {
        return (false, None, None);
    }
    match k.rotation {
        Some(r) => (true, Some(r.next), Some(r.period_days)),
        None => (false, None, None),
    }
}
