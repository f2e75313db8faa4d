//! Transition rules of key policies (issue 16; docs/decisions.md, "Key
//! policies").

use super::*;

/// Issue 16: PutKeyPolicy changes the key's policy and nothing else (on
/// success: exactly that key's policy becomes the document; refused: nothing
/// changes); GetKeyPolicy and ListKeyPolicies change nothing. Stated from the
/// issue, not from `step`'s code.
pub(super) fn put_key_policy_changes_exactly_the_policy(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    match *a {
        Action::PutKeyPolicy { key, policy, .. } if r.outcome.is_ok() => {
            let mut expect = b.clone();
            expect.keys[key as usize].policy = policy;
            expect.keys[key as usize].lockout_bypassed = af.keys[key as usize].lockout_bypassed;
            *af == expect
        }
        Action::PutKeyPolicy { .. }
        | Action::GetKeyPolicy { .. }
        | Action::ListKeyPolicies { .. } => af == b,
        _ => b
            .keys
            .iter()
            .zip(&af.keys)
            .all(|(x, y)| y.state == Deleted || x.policy == y.policy),
    }
}

/// Issue 16: a Deny statement is never overridden: PutKeyPolicy never
/// succeeds on a key whose policy denies it to the caller, though another
/// statement of that policy allows the caller everything (`kms:*`).
pub(super) fn deny_statement_never_overridden(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    match *a {
        Action::PutKeyPolicy { key, .. } if b.keys[key as usize].policy == Policy::DenyPut => {
            r.outcome.is_err()
        }
        _ => true,
    }
}

/// Issue 16: no key policy operation succeeds for a caller the key's policy
/// does not allow it to (the caller is the account's root user).
pub(super) fn policy_operations_only_for_allowed_callers(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    match *a {
        Action::PutKeyPolicy { key, .. }
        | Action::GetKeyPolicy { key }
        | Action::ListKeyPolicies { key }
            if r.outcome.is_ok() =>
        {
            b.keys[key as usize].policy.allows(a.kind())
        }
        _ => true,
    }
}

/// Issue 16, the other half of the rule above: a key policy operation the
/// key's current policy allows the caller is not refused for it. GetKeyPolicy
/// and ListKeyPolicies then succeed on every key not deleted (AWS's
/// key-state table: ✓ in every state); PutKeyPolicy succeeds unless the new
/// document is no policy, or would lock the caller out without the bypass
/// flag (docs/decisions.md, key policies).
pub(super) fn allowed_policy_operations_succeed(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    let (key, refusable) = match *a {
        Action::GetKeyPolicy { key } | Action::ListKeyPolicies { key } => (key, false),
        Action::PutKeyPolicy {
            key,
            policy,
            bypass,
        } => (
            key,
            policy == Policy::Malformed || (policy.locks_out() && !bypass),
        ),
        _ => return true,
    };
    let k = &b.keys[key as usize];
    if k.state == KeyState::Deleted || !k.policy.allows(a.kind()) || refusable {
        return true;
    }
    r.outcome.is_ok()
}

/// Issue 16: GetKeyPolicy answers the key's policy, the one the last
/// successful PutKeyPolicy (or CreateKey) set.
pub(super) fn get_key_policy_answers_the_policy(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    match (*a, r.outcome) {
        (Action::GetKeyPolicy { key }, Ok(ok)) => {
            ok == OkSummary::KeyPolicy {
                key,
                policy: b.keys[key as usize].policy,
            }
        }
        _ => true,
    }
}
