//! What a caller can do ([`Action`]) and what the model answers ([`Response`]).

use crate::*;
use serde::{Deserialize, Serialize};

/// How a cryptographic operation names its key: a key id or an alias slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KeyRef {
    Key(u8),
    Alias(u8),
}

/// The alias name given to CreateAlias.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AliasName {
    /// A valid, user-creatable name: alias slot `n`.
    Slot(u8),
    /// `alias/aws/...`: reserved (NotAuthorizedException, spec §9).
    Reserved,
    /// Not `alias/` + `[a-zA-Z0-9/_-]` (InvalidAliasNameException).
    Malformed,
}

/// Which import token ImportKeyMaterial presents (spec §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TokenRef {
    /// The key's latest token (not applicable when it has none).
    Latest,
    /// An earlier token of the key (applicable when ≥ 2 were issued).
    Superseded,
    /// The latest token of another key (applicable when one exists).
    OtherKey,
    /// Bytes that are no token.
    Forged,
}

/// ImportType (`current` only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ImportType {
    NewKeyMaterial,
    ExistingKeyMaterial,
}

/// Which material DeleteImportedKeyMaterial names with `KeyMaterialId`
/// (spec §5, `current` only; without it the current material is deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MaterialRef {
    /// The permanently associated material of this version (CURRENT or
    /// NON_CURRENT; applicable when the version exists).
    Version(u8),
    /// The material waiting as PENDING_ROTATION (applicable when one waits).
    Pending,
    /// A well-formed id the key does not have (NotFoundException,
    /// decisions.md).
    Unknown,
}

/// ExpirationModel/ValidTo combination given to ImportKeyMaterial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ValidToChoice {
    /// KEY_MATERIAL_DOES_NOT_EXPIRE, no ValidTo.
    DoesNotExpire,
    /// KEY_MATERIAL_EXPIRES, ValidTo = now + the given seconds (must be 1..=MAX_VALID_TO).
    In(Time),
    /// KEY_MATERIAL_EXPIRES, ValidTo = now + 365 days + 1 s (ValidationException).
    TooFar,
    /// KEY_MATERIAL_EXPIRES, ValidTo = now (not in the future: ValidationException).
    Past,
    /// KEY_MATERIAL_EXPIRES without ValidTo (ValidationException).
    MissingValidTo,
}

/// Every operation of the lifecycle, with abstracted arguments, and time steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    CreateKey {
        origin: Origin,
    },
    /// DescribeKey through `alias/aws/<service>`: creates the AWS managed key
    /// on first use (spec §3), then describes it.
    UseManagedAlias,
    DescribeKey {
        key: KeyRef,
    },
    Encrypt {
        key: KeyRef,
        ctx: Ctx,
    },
    GenerateDataKey {
        key: KeyRef,
    },
    /// Decrypt ciphertext `ct` with context `ctx`, optionally naming a key.
    Decrypt {
        ct: u8,
        ctx: Ctx,
        key: Option<KeyRef>,
    },
    /// Decrypt ciphertext `ct` with its right context after one byte of its
    /// encrypted body (not its header) was flipped: the key is found and its
    /// state checked, then authentication fails (decisions.md, Decrypt (f)).
    DecryptTampered {
        ct: u8,
    },
    /// ReEncrypt ciphertext `ct` (right context) under `dest`.
    ReEncrypt {
        ct: u8,
        dest: KeyRef,
    },
    EnableKey {
        key: u8,
    },
    DisableKey {
        key: u8,
    },
    EnableKeyRotation {
        key: u8,
        period_days: Option<u32>,
    },
    DisableKeyRotation {
        key: u8,
    },
    GetKeyRotationStatus {
        key: u8,
    },
    RotateKeyOnDemand {
        key: u8,
    },
    ScheduleKeyDeletion {
        key: u8,
        window_days: Option<u32>,
    },
    CancelKeyDeletion {
        key: u8,
    },
    GetParametersForImport {
        key: u8,
    },
    ImportKeyMaterial {
        key: u8,
        token: TokenRef,
        /// The abstract identity of the 32 bytes imported.
        material: u8,
        import_type: Option<ImportType>,
        expires: ValidToChoice,
    },
    /// DeleteImportedKeyMaterial, naming a material with `KeyMaterialId` or
    /// not (`None`: the current one).
    DeleteImportedKeyMaterial {
        key: u8,
        material: Option<MaterialRef>,
    },
    CreateAlias {
        alias: AliasName,
        key: u8,
    },
    UpdateAlias {
        alias: u8,
        key: u8,
    },
    DeleteAlias {
        alias: u8,
    },
    /// GetKeyPolicy (PolicyName `default`).
    GetKeyPolicy {
        key: u8,
    },
    /// ListKeyPolicies.
    ListKeyPolicies {
        key: u8,
    },
    /// PutKeyPolicy of the document `policy`, with or without
    /// `BypassPolicyLockoutSafetyCheck`.
    PutKeyPolicy {
        key: u8,
        policy: Policy,
        bypass: bool,
    },
    /// Let this many seconds pass, applying every clock event due (spec §10).
    Advance(Time),
}

impl Action {
    /// This action after key `key` and ciphertext `ct` were removed from the
    /// history (shrinking a counterexample: the differential harness's
    /// minimizer and the oracle's): `None` if it names one of them, else the
    /// action with the indices above them shifted down by one.
    pub fn without(&self, key: Option<u8>, ct: Option<u8>) -> Option<Action> {
        let shift = |gone: Option<u8>, x: u8| match gone {
            Some(g) if x == g => None,
            Some(g) if x > g => Some(x - 1),
            _ => Some(x),
        };
        let k = |x: u8| shift(key, x);
        let c = |x: u8| shift(ct, x);
        let r = |x: KeyRef| match x {
            KeyRef::Key(i) => k(i).map(KeyRef::Key),
            alias => Some(alias),
        };
        let mut a = *self;
        match &mut a {
            Action::CreateKey { .. }
            | Action::UseManagedAlias
            | Action::Advance(_)
            | Action::DeleteAlias { .. } => {}
            Action::DescribeKey { key }
            | Action::Encrypt { key, .. }
            | Action::GenerateDataKey { key } => *key = r(*key)?,
            Action::Decrypt { ct, key, .. } => {
                *ct = c(*ct)?;
                if let Some(x) = key {
                    *x = r(*x)?;
                }
            }
            Action::DecryptTampered { ct } => *ct = c(*ct)?,
            Action::ReEncrypt { ct, dest } => {
                *ct = c(*ct)?;
                *dest = r(*dest)?;
            }
            Action::EnableKey { key }
            | Action::DisableKey { key }
            | Action::EnableKeyRotation { key, .. }
            | Action::DisableKeyRotation { key }
            | Action::GetKeyRotationStatus { key }
            | Action::RotateKeyOnDemand { key }
            | Action::ScheduleKeyDeletion { key, .. }
            | Action::CancelKeyDeletion { key }
            | Action::GetParametersForImport { key }
            | Action::ImportKeyMaterial { key, .. }
            | Action::DeleteImportedKeyMaterial { key, .. }
            | Action::CreateAlias { key, .. }
            | Action::UpdateAlias { key, .. }
            | Action::GetKeyPolicy { key }
            | Action::ListKeyPolicies { key }
            | Action::PutKeyPolicy { key, .. } => *key = k(*key)?,
        }
        Some(a)
    }

    /// The operation's name (AWS's, or `Advance`/`UseManagedAlias`).
    pub fn kind(&self) -> &'static str {
        match self {
            Action::CreateKey { .. } => "CreateKey",
            Action::UseManagedAlias => "UseManagedAlias",
            Action::DescribeKey { .. } => "DescribeKey",
            Action::Encrypt { .. } => "Encrypt",
            Action::GenerateDataKey { .. } => "GenerateDataKey",
            Action::Decrypt { .. } | Action::DecryptTampered { .. } => "Decrypt",
            Action::ReEncrypt { .. } => "ReEncrypt",
            Action::EnableKey { .. } => "EnableKey",
            Action::DisableKey { .. } => "DisableKey",
            Action::EnableKeyRotation { .. } => "EnableKeyRotation",
            Action::DisableKeyRotation { .. } => "DisableKeyRotation",
            Action::GetKeyRotationStatus { .. } => "GetKeyRotationStatus",
            Action::RotateKeyOnDemand { .. } => "RotateKeyOnDemand",
            Action::ScheduleKeyDeletion { .. } => "ScheduleKeyDeletion",
            Action::CancelKeyDeletion { .. } => "CancelKeyDeletion",
            Action::GetParametersForImport { .. } => "GetParametersForImport",
            Action::ImportKeyMaterial { .. } => "ImportKeyMaterial",
            Action::DeleteImportedKeyMaterial { .. } => "DeleteImportedKeyMaterial",
            Action::CreateAlias { .. } => "CreateAlias",
            Action::UpdateAlias { .. } => "UpdateAlias",
            Action::DeleteAlias { .. } => "DeleteAlias",
            Action::GetKeyPolicy { .. } => "GetKeyPolicy",
            Action::ListKeyPolicies { .. } => "ListKeyPolicies",
            Action::PutKeyPolicy { .. } => "PutKeyPolicy",
            Action::Advance(_) => "Advance",
        }
    }

    /// The key index the action names directly (not through an alias or a ciphertext).
    pub fn direct_key(&self) -> Option<u8> {
        match *self {
            Action::DescribeKey {
                key: KeyRef::Key(k),
            }
            | Action::Encrypt {
                key: KeyRef::Key(k),
                ..
            }
            | Action::GenerateDataKey {
                key: KeyRef::Key(k),
            }
            | Action::EnableKey { key: k }
            | Action::DisableKey { key: k }
            | Action::EnableKeyRotation { key: k, .. }
            | Action::DisableKeyRotation { key: k }
            | Action::GetKeyRotationStatus { key: k }
            | Action::RotateKeyOnDemand { key: k }
            | Action::ScheduleKeyDeletion { key: k, .. }
            | Action::CancelKeyDeletion { key: k }
            | Action::GetParametersForImport { key: k }
            | Action::ImportKeyMaterial { key: k, .. }
            | Action::DeleteImportedKeyMaterial { key: k, .. }
            | Action::CreateAlias { key: k, .. }
            | Action::UpdateAlias { key: k, .. }
            | Action::GetKeyPolicy { key: k }
            | Action::ListKeyPolicies { key: k }
            | Action::PutKeyPolicy { key: k, .. } => Some(k),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// What a successful call returned, abstracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OkSummary {
    /// CreateKey / UseManagedAlias / DescribeKey: the key and its state afterwards.
    Key { key: u8, state: KeyState },
    /// Encrypt, GenerateDataKey, ReEncrypt: the ciphertext created.
    Encrypted { ct: u8, key: u8, version: u8 },
    /// Decrypt: which key and backing key decrypted.
    Decrypted { key: u8, version: u8 },
    /// EnableKey, DisableKey, CancelKeyDeletion, DeleteImportedKeyMaterial,
    /// EnableKeyRotation, DisableKeyRotation: the key's state afterwards.
    Done { key: u8, state: KeyState },
    /// GetKeyRotationStatus.
    RotationStatus {
        enabled: bool,
        next: Option<Time>,
        period_days: Option<u32>,
    },
    /// RotateKeyOnDemand: the new current version.
    Rotated { key: u8, version: u8 },
    /// ScheduleKeyDeletion.
    Scheduled {
        key: u8,
        deletion_date: Time,
        window_days: u32,
    },
    /// GetParametersForImport.
    ImportParameters { key: u8, valid_to: Time },
    /// ImportKeyMaterial: the version it (re)stored, or `None` when stored as
    /// PENDING_ROTATION; and the key's state afterwards.
    Imported {
        key: u8,
        version: Option<u8>,
        state: KeyState,
    },
    /// CreateAlias, UpdateAlias, DeleteAlias.
    AliasDone,
    /// GetKeyPolicy: the key's policy.
    KeyPolicy { key: u8, policy: Policy },
    /// ListKeyPolicies: the key has its one policy, `default`.
    PolicyNames { key: u8 },
    /// Advance: the new time.
    Advanced { now: Time },
}

/// `Ok(summary)` or the AWS exception.
pub type Outcome = Result<OkSummary, Exception>;

/// A call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Response {
    pub outcome: Outcome,
    /// The refusal named a key pending deletion: one alarm record (spec §8).
    pub alarm: bool,
}

impl Response {
    pub(crate) fn ok(s: OkSummary) -> Response {
        Response {
            outcome: Ok(s),
            alarm: false,
        }
    }
    pub(crate) fn err(e: Exception) -> Response {
        Response {
            outcome: Err(e),
            alarm: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_drops_actions_on_the_removed_key_or_ciphertext_and_shifts_the_rest() {
        let enc = |k| Action::Encrypt {
            key: KeyRef::Key(k),
            ctx: Ctx::A,
        };
        let dec = |ct, key: Option<u8>| Action::Decrypt {
            ct,
            ctx: Ctx::A,
            key: key.map(KeyRef::Key),
        };
        // Key 1 removed: actions on it go, key 2 becomes 1, key 0 stays.
        assert_eq!(enc(1).without(Some(1), None), None);
        assert_eq!(enc(2).without(Some(1), None), Some(enc(1)));
        assert_eq!(enc(0).without(Some(1), None), Some(enc(0)));
        // Ciphertext 0 removed: its decryptions go, ciphertext 1 becomes 0,
        // and the key it names is renumbered too.
        assert_eq!(dec(0, None).without(None, Some(0)), None);
        assert_eq!(
            dec(1, Some(2)).without(Some(0), Some(0)),
            Some(dec(0, Some(1)))
        );
        assert_eq!(dec(1, Some(0)).without(Some(0), None), None);
        // An alias is not a key index; actions naming no key are kept.
        let via_alias = Action::Encrypt {
            key: KeyRef::Alias(0),
            ctx: Ctx::B,
        };
        assert_eq!(via_alias.without(Some(0), Some(0)), Some(via_alias));
        assert_eq!(
            Action::Advance(5).without(Some(0), Some(0)),
            Some(Action::Advance(5))
        );
        assert_eq!(
            Action::ReEncrypt {
                ct: 2,
                dest: KeyRef::Key(3)
            }
            .without(Some(1), Some(1)),
            Some(Action::ReEncrypt {
                ct: 1,
                dest: KeyRef::Key(2)
            })
        );
    }
}
