//! GetKeyPolicy, ListKeyPolicies and PutKeyPolicy (issue 16).

use super::*;

/// GetKeyPolicy and ListKeyPolicies.
pub(super) fn read_key_policy(s: &mut State, key: u8, action: &Action) -> Response {
    // Allowed in every state (AWS key-state table); Deleted is NotFound.
    let kk = &s.keys[key as usize];
    if kk.state == KeyState::Deleted {
        fail!(Exception::NotFoundException)
    }
    if !kk.policy.allows(action.kind()) {
        fail!(Exception::AccessDeniedException)
    }
    Response::ok(match action {
        Action::GetKeyPolicy { .. } => OkSummary::KeyPolicy {
            key,
            policy: kk.policy,
        },
        _ => OkSummary::PolicyNames { key },
    })
}

/// PutKeyPolicy, with the lock-out safety check.
pub(super) fn put_key_policy(s: &mut State, key: u8, policy: Policy, bypass: bool) -> Response {
    // Allowed in every state (AWS key-state table). The caller must be
    // allowed PutKeyPolicy by the current policy (a Deny wins); the
    // new document must be a policy, and unless `bypass` it must
    // still allow the caller PutKeyPolicy (the lock-out safety check).
    let kk = &mut s.keys[key as usize];
    if kk.state == KeyState::Deleted {
        fail!(Exception::NotFoundException)
    }
    if !kk.policy.allows("PutKeyPolicy") {
        fail!(Exception::AccessDeniedException)
    }
    if policy == Policy::Malformed {
        fail!(Exception::MalformedPolicyDocumentException)
    }
    if policy.locks_out() && !bypass {
        fail!(Exception::MalformedPolicyDocumentException)
    }
    kk.policy = policy;
    kk.lockout_bypassed = policy.locks_out();
    Response::ok(OkSummary::Done {
        key,
        state: kk.state,
    })
}
