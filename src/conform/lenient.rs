//! Answers the oracle accepts beyond the model's lenient mode, where AWS's
//! documentation leaves the choice open and the model's choice is a decision
//! of this project (`docs/decisions.md`):
//!
//! - the order of checks when two refusals apply: CreateAlias of a name that
//!   exists, to a target that also fails a check, may answer
//!   AlreadyExistsException; Decrypt naming another key may answer the state
//!   exception (DisabledException, KMSInvalidStateException) of either key
//!   instead of IncorrectKeyException;
//! - Decrypt of a ciphertext that would also fail authentication (one byte
//!   flipped, or the wrong encryption context), where the model refuses
//!   first on the key's state or on a KeyId naming another key
//!   (docs/decisions.md, Decrypt (c), (e) before (f)): AWS documents each
//!   exception but not which check comes first, so InvalidCiphertextException
//!   is accepted too;
//! - CreateAlias of a reserved `alias/aws/` name: AWS reserves the prefix
//!   but documents no exception for it (the model's NotAuthorizedException
//!   is a decision), so InvalidAliasNameException and ValidationException
//!   are accepted too, and so is the refusal the target's own state would
//!   give if the target is checked first (KMSInvalidStateException while
//!   PendingDeletion); success is still a divergence;
//! - ImportKeyMaterial with bytes that are no token, where the model refuses
//!   on the key's origin or state first: InvalidImportTokenException (the
//!   token checked first) is accepted too;
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
    TokenRef,
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
    if observed == "InvalidCiphertextException"
        && matches!(
            e,
            Exception::DisabledException
                | Exception::KMSInvalidStateException
                | Exception::IncorrectKeyException
        )
        && fails_authentication(a, before)
    {
        return true;
    }
    match *a {
        Action::CreateAlias {
            alias: AliasName::Reserved,
            key,
        } if e == Exception::NotAuthorizedException => match observed {
            "InvalidAliasNameException" | "ValidationException" => true,
            "KMSInvalidStateException" => {
                before.keys.get(key as usize).map(|k| k.state) == Some(KeyState::PendingDeletion)
            }
            _ => false,
        },
        Action::ImportKeyMaterial {
            token: TokenRef::Forged,
            ..
        } if matches!(
            e,
            Exception::UnsupportedOperationException | Exception::KMSInvalidStateException
        ) =>
        {
            observed == "InvalidImportTokenException"
        }
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

/// Whether `a` decrypts a ciphertext that authentication would refuse: one
/// whose body was changed, or one given another encryption context.
fn fails_authentication(a: &Action, before: &State) -> bool {
    match *a {
        Action::DecryptTampered { .. } => true,
        Action::Decrypt { ct, ctx, .. } => before
            .ciphertexts
            .get(ct as usize)
            .is_some_and(|c| c.ctx != ctx),
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

#[cfg(test)]
mod tests {
    use super::also_refused;
    use kms_lifecycle_model::{
        Action, AliasName, Exception, ImportType, Origin, Response, Rules, State, TokenRef,
        ValidToChoice, step,
    };

    fn run(s: &State, a: Action) -> (Response, State) {
        step(&Rules::current(), s, &a).remove(0)
    }

    fn refused(e: Exception) -> Response {
        let mut r = run(
            &State::initial(1),
            Action::CreateKey {
                origin: Origin::AwsKms,
            },
        )
        .0;
        r.outcome = Err(e);
        r
    }

    /// A reserved alias name: any documented name refusal, or the target's
    /// state refusal when the target is pending deletion; never success or
    /// an internal error, and never the state refusal of a key that has none.
    #[test]
    fn a_reserved_alias_name_may_be_refused_by_name_or_by_the_targets_state() {
        let (_, enabled) = run(
            &State::initial(1),
            Action::CreateKey {
                origin: Origin::AwsKms,
            },
        );
        let (_, pending) = run(
            &enabled,
            Action::ScheduleKeyDeletion {
                key: 0,
                window_days: Some(30),
            },
        );
        let a = Action::CreateAlias {
            alias: AliasName::Reserved,
            key: 0,
        };
        let expected = refused(Exception::NotAuthorizedException);
        for name in ["InvalidAliasNameException", "ValidationException"] {
            assert!(also_refused(&a, &enabled, &expected, name), "{name}");
        }
        assert!(also_refused(
            &a,
            &pending,
            &expected,
            "KMSInvalidStateException"
        ));
        assert!(!also_refused(
            &a,
            &enabled,
            &expected,
            "KMSInvalidStateException"
        ));
        assert!(!also_refused(&a, &pending, &expected, "InternalError"));
        assert!(!also_refused(&a, &pending, &expected, "NotFoundException"));
    }

    /// A ciphertext that would fail authentication, under a Disabled key or
    /// with a KeyId naming another key: InvalidCiphertextException (the
    /// ciphertext checked first) is accepted, but not for a ciphertext that
    /// authenticates, and not in place of another refusal.
    #[test]
    fn a_ciphertext_that_fails_authentication_may_be_refused_before_the_state() {
        use kms_lifecycle_model::{Ctx, KeyRef};
        let mut s = State::initial(1);
        for a in [
            Action::CreateKey {
                origin: Origin::AwsKms,
            },
            Action::CreateKey {
                origin: Origin::AwsKms,
            },
            Action::Encrypt {
                key: KeyRef::Key(0),
                ctx: Ctx::A,
            },
            Action::DisableKey { key: 0 },
        ] {
            s = run(&s, a).1;
        }
        let disabled = refused(Exception::DisabledException);
        let wrong_ctx = Action::Decrypt {
            ct: 0,
            ctx: Ctx::B,
            key: None,
        };
        let right_ctx = Action::Decrypt {
            ct: 0,
            ctx: Ctx::A,
            key: None,
        };
        let tampered = Action::DecryptTampered { ct: 0 };
        assert!(also_refused(
            &wrong_ctx,
            &s,
            &disabled,
            "InvalidCiphertextException"
        ));
        assert!(also_refused(
            &tampered,
            &s,
            &disabled,
            "InvalidCiphertextException"
        ));
        assert!(!also_refused(
            &right_ctx,
            &s,
            &disabled,
            "InvalidCiphertextException"
        ));
        let other_key = Action::Decrypt {
            ct: 0,
            ctx: Ctx::B,
            key: Some(KeyRef::Key(1)),
        };
        let incorrect = refused(Exception::IncorrectKeyException);
        assert!(also_refused(
            &other_key,
            &s,
            &incorrect,
            "InvalidCiphertextException"
        ));
        let not_found = refused(Exception::NotFoundException);
        assert!(!also_refused(
            &wrong_ctx,
            &s,
            &not_found,
            "InvalidCiphertextException"
        ));
    }

    /// A forged token where the model refuses on the origin: the token
    /// checked first (InvalidImportTokenException) is accepted, LocalStack's
    /// NotFoundException is not.
    #[test]
    fn a_forged_token_may_be_refused_before_the_origin() {
        let (_, s) = run(
            &State::initial(1),
            Action::CreateKey {
                origin: Origin::AwsKms,
            },
        );
        let a = Action::ImportKeyMaterial {
            key: 0,
            token: TokenRef::Forged,
            material: 0,
            import_type: Some(ImportType::NewKeyMaterial),
            expires: ValidToChoice::DoesNotExpire,
        };
        let expected = refused(Exception::UnsupportedOperationException);
        assert!(also_refused(
            &a,
            &s,
            &expected,
            "InvalidImportTokenException"
        ));
        assert!(!also_refused(&a, &s, &expected, "NotFoundException"));
        let other = refused(Exception::InvalidImportTokenException);
        assert!(!also_refused(&a, &s, &other, "InvalidImportTokenException"));
    }
}
