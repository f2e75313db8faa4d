//! The rule (name and spec section) that an unexpected answer
//! ([`rule_for_answer`]) or probe ([`rule_for_probe`]) violates.

use super::super::CallError;
use super::observe::Obs;
use super::probe::Probe;
use kms_lifecycle_model as model;
use model::{Action, Exception, KeyState, Response, State};

/// The "section" of the key-policy rules: the spec has none, they are
/// decided in docs/decisions.md ("Key policies", issue 16).
const POLICIES: &str = "key policies";

pub(super) fn rule(name: impl Into<String>, section: &str) -> (String, String) {
    (name.into(), section.to_string())
}

/// The rule an unexpected answer to `a` violates, from the action kind and
/// the model's answer in `st` (the first consistent state).
pub(super) fn rule_for_answer(
    a: &Action,
    st: &State,
    expected: &Response,
    observed: &Obs,
) -> (String, String) {
    use Exception as E;
    if let Err(CallError::Protocol(_)) = observed {
        return rule(
            format!("{} answers in the AWS JSON protocol", a.kind()),
            "AWS JSON 1.1 (reference §8)",
        );
    }
    let e = expected.outcome;
    let obs_name = observed.as_ref().err().and_then(|c| c.exception_name());
    if obs_name.is_some_and(|n| n.contains("Internal") || n.contains("ServiceUnavailable")) {
        return rule(
            format!("{} does not fail with an internal error", a.kind()),
            "§3, §7",
        );
    }
    if a.is_crypto() {
        return match e {
            Err(E::DisabledException) => rule("crypto refused while Disabled", "§3"),
            Err(E::KMSInvalidStateException) if expected.alarm => {
                rule("crypto refused while PendingDeletion", "§3, §6")
            }
            Err(E::KMSInvalidStateException) => {
                rule("crypto refused while PendingImport", "§3, §5")
            }
            Err(E::NotFoundException) => {
                rule("a deleted key or a removed alias is not found", "§2, §9")
            }
            Err(E::IncorrectKeyException) => {
                rule("Decrypt naming another key → IncorrectKeyException", "§7")
            }
            Err(E::InvalidCiphertextException) => match *a {
                Action::DecryptTampered { .. } => rule("a tampered ciphertext is refused", "§7"),
                Action::Decrypt { ct, ctx, .. } if st.ciphertexts[ct as usize].ctx != ctx => {
                    rule("the encryption context must match exactly", "§7")
                }
                _ => rule(
                    "ciphertext of deleted or expired material does not decrypt",
                    "§5",
                ),
            },
            Ok(_) => match *a {
                Action::Decrypt { ct, .. } | Action::ReEncrypt { ct, .. } => {
                    let c = st.ciphertexts[ct as usize];
                    if st.keys[c.key as usize].versions > c.version + 1 {
                        rule("old ciphertext decrypts after rotation", "§4")
                    } else {
                        rule(
                            "ciphertext of a usable key decrypts to its plaintext",
                            "§3, §7",
                        )
                    }
                }
                _ => rule("crypto allowed while Enabled", "§3"),
            },
            Err(_) => rule(format!("{} answers as the model", a.kind()), "§3"),
        };
    }
    match (*a, e) {
        // An unknown KeyMaterialId: the key is there, its material is not.
        (
            Action::DeleteImportedKeyMaterial {
                material: Some(_), ..
            },
            Err(E::NotFoundException),
        ) => rule(
            "DeleteImportedKeyMaterial: a KeyMaterialId the key does not have is not found",
            "§5",
        ),
        (_, Err(E::NotFoundException)) => {
            rule("a deleted key or a removed alias is not found", "§2, §9")
        }
        (Action::CreateKey { .. }, _) => rule(
            "CreateKey: AWS_KMS → Enabled, EXTERNAL → PendingImport",
            "§2",
        ),
        (Action::UseManagedAlias, _) => rule(
            "AWS managed key made on first use of alias/aws/<service>",
            "§3",
        ),
        (Action::DescribeKey { .. }, _) => {
            rule("DescribeKey reports the key and its state", "§2, §3")
        }
        (Action::ScheduleKeyDeletion { .. }, Err(E::ValidationException)) => {
            rule("PendingWindowInDays 7–30", "§6")
        }
        (
            Action::ScheduleKeyDeletion {
                window_days: None, ..
            },
            Ok(_),
        ) if observed.is_ok() => rule("ScheduleKeyDeletion default window 30 days", "§6"),
        (Action::ScheduleKeyDeletion { .. }, Ok(_)) if observed.is_ok() => {
            rule("DeletionDate = now + PendingWindowInDays", "§6")
        }
        (Action::ScheduleKeyDeletion { .. }, Err(E::KMSInvalidStateException)) => {
            rule("no ScheduleKeyDeletion while PendingDeletion", "§3")
        }
        (
            Action::ScheduleKeyDeletion { .. } | Action::DisableKey { .. },
            Err(E::UnsupportedOperationException),
        ) => rule("AWS managed keys cannot be disabled or deleted", "§3"),
        (Action::ScheduleKeyDeletion { .. }, _) => rule(
            "ScheduleKeyDeletion allowed in Enabled, Disabled, PendingImport",
            "§3",
        ),
        (Action::CancelKeyDeletion { .. }, Err(_)) => {
            rule("CancelKeyDeletion only while PendingDeletion", "§3")
        }
        (Action::CancelKeyDeletion { .. }, Ok(_)) => {
            rule("CancelKeyDeletion allowed while PendingDeletion", "§3")
        }
        (Action::ImportKeyMaterial { .. }, Err(E::ExpiredImportTokenException)) => {
            rule("import token expires after 24 h", "§5")
        }
        (Action::ImportKeyMaterial { .. }, Err(E::InvalidImportTokenException)) => rule(
            "an import token is bound to its key and only the latest is valid",
            "§5",
        ),
        (Action::ImportKeyMaterial { .. }, Err(E::IncorrectKeyMaterialException)) => {
            rule("only the key's own material can be reimported", "§5")
        }
        (Action::ImportKeyMaterial { .. }, Err(E::ValidationException)) => {
            rule("ExpirationModel and ValidTo are validated", "§5")
        }
        (
            Action::ImportKeyMaterial { .. } | Action::GetParametersForImport { .. },
            Err(E::UnsupportedOperationException),
        ) => rule("import only into EXTERNAL keys", "§3"),
        (
            Action::ImportKeyMaterial { .. } | Action::GetParametersForImport { .. },
            Err(E::KMSInvalidStateException),
        ) => rule("no import while PendingDeletion", "§3, §5"),
        (Action::ImportKeyMaterial { .. }, _) => rule(
            "ImportKeyMaterial succeeds with a valid token and material",
            "§5",
        ),
        (Action::GetParametersForImport { .. }, Ok(_)) if observed.is_ok() => {
            rule("import parameters are valid for 24 h", "§5")
        }
        (Action::GetParametersForImport { .. }, _) => {
            rule("GetParametersForImport allowed for EXTERNAL keys", "§3, §5")
        }
        (Action::DeleteImportedKeyMaterial { .. }, _) => {
            rule("DeleteImportedKeyMaterial", "§2, §3, §5")
        }
        (Action::EnableKeyRotation { .. }, Err(E::ValidationException)) => rule(
            "RotationPeriodInDays 90–2560 (current) / not accepted (classic)",
            "§1",
        ),
        (
            Action::EnableKeyRotation { .. } | Action::DisableKeyRotation { .. },
            Err(E::UnsupportedOperationException),
        ) => rule(
            "rotation not manageable for EXTERNAL or AWS managed keys",
            "§3",
        ),
        (Action::EnableKeyRotation { .. } | Action::DisableKeyRotation { .. }, Err(_)) => {
            rule("rotation settings refused unless Enabled", "§3")
        }
        (Action::EnableKeyRotation { .. } | Action::DisableKeyRotation { .. }, Ok(_)) => {
            rule("rotation settings allowed while Enabled", "§3, §4")
        }
        (Action::GetKeyRotationStatus { .. }, Err(E::UnsupportedOperationException)) => {
            rule("no rotation status for EXTERNAL keys", "§3")
        }
        (Action::GetKeyRotationStatus { .. }, _) => rule(
            "GetKeyRotationStatus reports the rotation settings",
            "§3, §4",
        ),
        (Action::RotateKeyOnDemand { .. }, Err(E::UnsupportedOperationException)) => rule(
            "no on-demand rotation under classic rules or for AWS managed keys",
            "§1, §3",
        ),
        (Action::RotateKeyOnDemand { .. }, Err(E::LimitExceededException)) => {
            rule("at most 25 on-demand rotations per key", "§1")
        }
        (Action::RotateKeyOnDemand { .. }, Err(E::ConflictException)) => rule(
            "ConflictException when an automatic rotation is due within 20 minutes",
            "§1",
        ),
        (Action::RotateKeyOnDemand { .. }, Err(_)) => {
            rule("on-demand rotation refused unless Enabled", "§3, §5")
        }
        (Action::RotateKeyOnDemand { .. }, Ok(_)) => {
            rule("RotateKeyOnDemand allowed while Enabled", "§1, §4")
        }
        (Action::EnableKey { .. } | Action::DisableKey { .. }, Err(_)) => rule(
            "EnableKey/DisableKey refused while PendingDeletion or PendingImport",
            "§3",
        ),
        (Action::EnableKey { .. } | Action::DisableKey { .. }, Ok(_)) => rule(
            "EnableKey/DisableKey allowed in Enabled and Disabled",
            "§2, §3",
        ),
        (Action::CreateAlias { .. }, Err(E::NotAuthorizedException)) => {
            rule("alias/aws/ is reserved", "§9")
        }
        (
            Action::CreateAlias { .. },
            Err(E::InvalidAliasNameException | E::ValidationException),
        ) => rule("alias names are validated", "§9"),
        (Action::CreateAlias { .. }, Err(E::AlreadyExistsException)) => {
            rule("alias names are unique", "§9")
        }
        (
            Action::CreateAlias { .. } | Action::UpdateAlias { .. },
            Err(E::KMSInvalidStateException),
        ) => rule("no alias to a key pending deletion", "§3, §9"),
        (Action::CreateAlias { .. }, Ok(_)) if obs_name == Some("AlreadyExistsException") => {
            rule("deleting a key or an alias frees the alias name", "§2, §9")
        }
        (
            Action::CreateAlias { .. } | Action::UpdateAlias { .. } | Action::DeleteAlias { .. },
            _,
        ) => rule(format!("{} as the model", a.kind()), "§9"),
        (
            Action::GetKeyPolicy { .. }
            | Action::ListKeyPolicies { .. }
            | Action::PutKeyPolicy { .. },
            Err(E::KMSInvalidStateException | E::DisabledException),
        ) => rule(
            "key policy operations are allowed in every key state",
            "key policies, AWS key-state table",
        ),
        (
            Action::PutKeyPolicy {
                policy: model::Policy::Malformed,
                ..
            },
            Err(E::MalformedPolicyDocumentException),
        ) => rule("a key policy must be a policy document", POLICIES),
        (Action::PutKeyPolicy { .. }, Err(E::MalformedPolicyDocumentException)) => rule(
            "without the bypass flag no key policy lets nobody call PutKeyPolicy",
            POLICIES,
        ),
        (Action::PutKeyPolicy { key, .. }, Err(E::AccessDeniedException))
            if st.keys[key as usize].policy == model::Policy::DenyPut =>
        {
            rule("a Deny statement is never overridden", POLICIES)
        }
        (
            Action::PutKeyPolicy { .. }
            | Action::GetKeyPolicy { .. }
            | Action::ListKeyPolicies { .. },
            Err(E::AccessDeniedException),
        ) => rule(
            "no policy operation succeeds for a caller the policy does not allow",
            POLICIES,
        ),
        (Action::PutKeyPolicy { .. }, _) => {
            rule("PutKeyPolicy changes exactly the policy", POLICIES)
        }
        (Action::GetKeyPolicy { .. }, _) => rule(
            "GetKeyPolicy answers the key's policy byte for byte (AWS's default without one)",
            POLICIES,
        ),
        (Action::ListKeyPolicies { .. }, _) => {
            rule("ListKeyPolicies lists the one policy, default", POLICIES)
        }
        (Action::Advance(_), _) => rule("clock control (KmsLifecycle.AdvanceClock) works", "§10"),
        _ => rule(format!("{} answers as the model", a.kind()), "§3"),
    }
}

pub(super) fn rule_for_probe(
    a: &Action,
    probe: Probe,
    expected: Option<KeyState>,
    observed: Option<KeyState>,
    protocol: Option<&str>,
) -> (String, String) {
    if let Some(op) = protocol {
        return rule(
            format!("{op} answers in the AWS JSON protocol"),
            "AWS JSON 1.1 (reference §8)",
        );
    }
    match (*a, probe) {
        (Action::Advance(_), Probe::DeletionDate) => {
            rule("deletion at DeletionDate, at most 24 h late", "§6")
        }
        (Action::Advance(_), Probe::State) => match (expected, observed) {
            (Some(KeyState::Deleted), _) => {
                rule("deletion at DeletionDate, at most 24 h late", "§6")
            }
            (_, None) => rule("no deletion before DeletionDate", "§6"),
            (Some(KeyState::PendingImport), _) => {
                rule("imported material expires at ValidTo", "§5")
            }
            _ => rule("clock-driven state changes", "§10"),
        },
        (Action::Advance(_), Probe::RotationStatus | Probe::Rotations) => {
            rule("automatic rotation at NextRotationDate", "§4")
        }
        (Action::Advance(_), Probe::Aliases) => {
            rule("deleting a key deletes its aliases", "§2, §9")
        }
        (Action::CancelKeyDeletion { .. }, Probe::State | Probe::DeletionDate) => {
            rule("CancelKeyDeletion yields Disabled", "§2")
        }
        (Action::ScheduleKeyDeletion { .. }, Probe::State | Probe::DeletionDate) => rule(
            "ScheduleKeyDeletion yields PendingDeletion with its DeletionDate",
            "§2, §6",
        ),
        (Action::DisableKey { .. }, Probe::State) => rule("DisableKey yields Disabled", "§2"),
        (Action::EnableKey { .. }, Probe::State) => rule("EnableKey yields Enabled", "§2"),
        (Action::EnableKey { .. }, _) => rule("catch-up rotation on EnableKey", "§4"),
        (Action::ImportKeyMaterial { .. }, Probe::State) => rule(
            "a successful import makes a PendingImport key Enabled",
            "§2, §5",
        ),
        (Action::DeleteImportedKeyMaterial { .. }, Probe::State) => {
            rule("deleting imported material → PendingImport", "§2, §5")
        }
        (Action::CreateKey { .. } | Action::UseManagedAlias, _) => {
            rule("a new key's state and rotation settings", "§2, §4")
        }
        (
            Action::CreateAlias { .. } | Action::UpdateAlias { .. } | Action::DeleteAlias { .. },
            _,
        ) => rule("alias targets", "§9"),
        (_, Probe::State | Probe::DeletionDate) => {
            rule(format!("key state after {}", a.kind()), "§2")
        }
        (_, Probe::Aliases) => rule("alias targets", "§9"),
        (_, Probe::RotationStatus | Probe::Rotations) => rule(
            format!("rotation settings and ListKeyRotations after {}", a.kind()),
            "§4",
        ),
    }
}
