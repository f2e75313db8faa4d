//! Key creation, description, EnableKey and DisableKey (spec §2, §3).

use super::*;

/// CreateKey: a new customer managed key (spec §2).
pub(super) fn create_key(s: &mut State, origin: Origin) -> Response {
    s.keys.push(Key::new(origin, Manager::Customer));
    let k = (s.keys.len() - 1) as u8;
    Response::ok(OkSummary::Key {
        key: k,
        state: s.keys[k as usize].state,
    })
}

/// The first use of an `alias/aws/...` alias creates the AWS managed key,
/// with rotation on at the managed period (spec §2, §4).
pub(super) fn use_managed_alias(rules: &Rules, s: &mut State) -> Response {
    let now = s.now;
    let k = match s.keys.iter().position(|k| k.manager == Manager::Aws) {
        Some(i) => i as u8,
        None => {
            let mut key = Key::new(Origin::AwsKms, Manager::Aws);
            key.rotation = Some(RotationSetting {
                period_days: rules.managed_rotation_days,
                next: now + rules.managed_rotation_days as Time * DAY,
            });
            s.keys.push(key);
            (s.keys.len() - 1) as u8
        }
    };
    Response::ok(OkSummary::Key {
        key: k,
        state: s.keys[k as usize].state,
    })
}

/// DescribeKey: allowed in every state but Deleted (spec §3).
pub(super) fn describe_key(s: &mut State, key: KeyRef) -> Response {
    match resolve(s, key) {
        Ok(k) => Response::ok(OkSummary::Key {
            key: k,
            state: s.keys[k as usize].state,
        }),
        Err(e) => Response::err(e),
    }
}

/// EnableKey: Disabled → Enabled, with the catch-up rotation of spec §4; a
/// no-op on an AWS managed key (spec §3).
pub(super) fn enable_key(s: &mut State, key: u8) -> Response {
    let now = s.now;
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let kk = &s.keys[key as usize];
    if kk.is_managed() {
        return Response::ok(OkSummary::Done {
            key,
            state: kk.state,
        });
    }
    if let Some((e, alarm)) = state_error(kk, false) {
        return refuse(s, key, e, alarm);
    }
    let k = &mut s.keys[key as usize];
    k.state = KeyState::Enabled;
    // Catch-up rotation (spec §4).
    if let Some(r) = k.rotation
        && r.next <= now
    {
        rotate(k, now, RotationType::Automatic);
        k.rotation = Some(RotationSetting {
            period_days: r.period_days,
            next: now + r.period_days as Time * DAY,
        });
    }
    Response::ok(OkSummary::Done {
        key,
        state: KeyState::Enabled,
    })
}

/// DisableKey: Enabled → Disabled; never on an AWS managed key (spec §3).
pub(super) fn disable_key(s: &mut State, key: u8) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let kk = &s.keys[key as usize];
    if kk.is_managed() {
        fail!(Exception::UnsupportedOperationException)
    }
    if let Some((e, alarm)) = state_error(kk, false) {
        return refuse(s, key, e, alarm);
    }
    s.keys[key as usize].state = KeyState::Disabled;
    Response::ok(OkSummary::Done {
        key,
        state: KeyState::Disabled,
    })
}
