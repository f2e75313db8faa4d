//! Answers the oracle accepts beyond the model's lenient mode, where AWS's
//! documentation leaves the choice open and the model's choice is a decision
//! of this project (`docs/decisions.md`):
//!
//! - the order of checks when two refusals apply: CreateAlias of a name that
//!   exists, to a target that also fails a check, may answer
//!   AlreadyExistsException; Decrypt naming another key may answer the state
//!   exception (DisabledException, KMSInvalidStateException) of either key
//!   instead of IncorrectKeyException;
//! - DeleteImportedKeyMaterial naming a KeyMaterialId the key does not have,
//!   on a key pending import, may succeed with no effect (AWS's key-state
//!   table: "✓ (No effect)" while PendingImport);
//! - CancelKeyDeletion of an EXTERNAL key without material may leave it
//!   Disabled (AWS documents Disabled unconditionally; the model's
//!   PendingImport is a decision): the key is then no longer checked;
//! - EnableKeyRotation with a new period on a key whose rotation is enabled
//!   may keep its NextRotationDate (AWS documents only that the period
//!   changes).

use kms_lifecycle_model::{
    Action, AliasName, Exception, KeyRef, KeyState, MaterialRef, Response, RotationSetting, State,
};

/// Whether success of `a` in `before` is also acceptable where the model
/// answers `expected` (the state then does not change).
pub(super) fn also_ok(a: &Action, before: &State, expected: &Response) -> bool {
    match *a {
        Action::DeleteImportedKeyMaterial {
            key,
            material: Some(MaterialRef::Unknown),
        } => {
            expected.outcome == Err(Exception::NotFoundException)
                && before.keys.get(key as usize).map(|k| k.state) == Some(KeyState::PendingImport)
        }
        _ => false,
    }
}

/// Whether a probe after `a` that shows key `k` in `observed` where the model
/// says `expected` shows a choice AWS leaves open that the model cannot
/// represent (the key is then retired without a divergence).
pub(super) fn open_choice(a: &Action, expected: KeyState, observed: Option<KeyState>) -> bool {
    matches!(a, Action::CancelKeyDeletion { .. })
        && expected == KeyState::PendingImport
        && observed == Some(KeyState::Disabled)
}

/// Whether refusal `observed` of `a` in `before` is also acceptable where the
/// model answers `expected`.
pub(super) fn also_refused(
    a: &Action,
    before: &State,
    expected: &Response,
    observed: &str,
) -> bool {
    let Err(e) = expected.outcome else {
        return false;
    };
    match *a {
        Action::CreateAlias {
            alias: AliasName::Slot(s),
            ..
        } => {
            observed == "AlreadyExistsException"
                && before.aliases.get(s as usize).is_some_and(|t| t.is_some())
        }
        Action::Decrypt {
            ct, key: Some(k), ..
        } if e == Exception::IncorrectKeyException => {
            let named = match k {
                KeyRef::Key(k) => Some(k),
                KeyRef::Alias(s) => before.aliases.get(s as usize).copied().flatten(),
            };
            let own = before.ciphertexts.get(ct as usize).map(|c| c.key);
            [named, own].into_iter().flatten().any(|k| {
                let st = before.keys.get(k as usize).map(|k| k.state);
                match observed {
                    "DisabledException" => {
                        matches!(st, Some(KeyState::Disabled | KeyState::PendingDeletion))
                    }
                    "KMSInvalidStateException" => {
                        matches!(
                            st,
                            Some(KeyState::PendingDeletion | KeyState::PendingImport)
                        )
                    }
                    _ => false,
                }
            })
        }
        _ => false,
    }
}

/// Further outcomes of `a` in `before` besides the model's `(r, after)`.
pub(super) fn more_outcomes(
    a: &Action,
    before: &State,
    r: &Response,
    after: &State,
) -> Option<(Response, State)> {
    let Action::EnableKeyRotation { key, .. } = *a else {
        return None;
    };
    let old = before.keys.get(key as usize)?.rotation?;
    let new = after.keys.get(key as usize)?.rotation?;
    if r.outcome.is_err() || old.period_days == new.period_days || old.next == new.next {
        return None;
    }
    let mut alt = after.clone();
    alt.keys[key as usize].rotation = Some(RotationSetting {
        period_days: new.period_days,
        next: old.next,
    });
    Some((*r, alt))
}
