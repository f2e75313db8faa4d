//! What a caller can do ([`Action`]) and what the model answers ([`Response`]).

use crate::*;
use serde::{Deserialize, Serialize};

/// How a cryptographic operation names its key: a key id or an alias slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KeyRef {
    /// KeyId: the key with this index in [`State::keys`].
    Key(u8),
    /// An alias name: the alias slot with this index in [`State::aliases`]
    /// (NotFoundException when the slot names no key).
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
    /// `NEW_KEY_MATERIAL`: material for a new backing key, stored as
    /// PENDING_ROTATION until RotateKeyOnDemand makes it current.
    NewKeyMaterial,
    /// `EXISTING_KEY_MATERIAL`: reimport of material the key already has (how
    /// an omitted ImportType is treated once the key has material).
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
    /// CreateKey: a new customer managed key of the given origin.
    CreateKey {
        /// `Origin`: AWS_KMS (created Enabled, with material) or EXTERNAL
        /// (created PendingImport, without material).
        origin: Origin,
    },
    /// DescribeKey through `alias/aws/<service>`: creates the AWS managed key
    /// on first use (spec §3), then describes it.
    UseManagedAlias,
    /// DescribeKey of the key named by KeyId or alias.
    DescribeKey {
        /// The key or alias the call names.
        key: KeyRef,
    },
    /// Encrypt under the key's current backing key with an encryption context:
    /// a new ciphertext.
    Encrypt {
        /// The key or alias the call names.
        key: KeyRef,
        /// The encryption context it passes.
        ctx: Ctx,
    },
    /// GenerateDataKey: a new data key encrypted like Encrypt, with context
    /// [`Ctx::A`] (the encrypted data key is a new ciphertext).
    GenerateDataKey {
        /// The key or alias the call names.
        key: KeyRef,
    },
    /// Decrypt ciphertext `ct` with context `ctx`, optionally naming a key.
    Decrypt {
        /// The ciphertext it passes: an index in [`State::ciphertexts`].
        ct: u8,
        /// The encryption context it passes (InvalidCiphertextException unless it is
        /// the one the ciphertext was encrypted with).
        ctx: Ctx,
        /// The KeyId or alias it names, if any (IncorrectKeyException when that is
        /// not the ciphertext's key).
        key: Option<KeyRef>,
    },
    /// Decrypt ciphertext `ct` with its right context after one byte of its
    /// encrypted body (not its header) was flipped: the key is found and its
    /// state checked, then authentication fails (decisions.md, Decrypt (f)).
    DecryptTampered {
        /// The ciphertext it passes: an index in [`State::ciphertexts`].
        ct: u8,
    },
    /// ReEncrypt ciphertext `ct` (right context) under `dest`.
    ReEncrypt {
        /// The source ciphertext: an index in [`State::ciphertexts`].
        ct: u8,
        /// DestinationKeyId: the key or alias to encrypt under.
        dest: KeyRef,
    },
    /// EnableKey: Disabled → Enabled, with a catch-up rotation when an
    /// automatic rotation fell due while disabled.
    EnableKey {
        /// KeyId: the key to enable.
        key: u8,
    },
    /// DisableKey: Enabled → Disabled (never on an AWS managed key).
    DisableKey {
        /// KeyId: the key to disable.
        key: u8,
    },
    /// EnableKeyRotation: turn on automatic rotation (customer managed AWS_KMS
    /// keys only).
    EnableKeyRotation {
        /// KeyId: the key whose automatic rotation to turn on.
        key: u8,
        /// RotationPeriodInDays, if given (`current` only; without it the default
        /// period, or the current one when rotation is already on).
        period_days: Option<u32>,
    },
    /// DisableKeyRotation: turn off automatic rotation.
    DisableKeyRotation {
        /// KeyId: the key whose automatic rotation to turn off.
        key: u8,
    },
    /// GetKeyRotationStatus: whether automatic rotation is on, its
    /// NextRotationDate and RotationPeriodInDays.
    GetKeyRotationStatus {
        /// KeyId: the key whose rotation status to report.
        key: u8,
    },
    /// RotateKeyOnDemand (`current` only): a new backing key becomes current now
    /// (for an EXTERNAL key, the material pending rotation).
    RotateKeyOnDemand {
        /// KeyId: the key to rotate.
        key: u8,
    },
    /// ScheduleKeyDeletion: the key becomes PendingDeletion until its
    /// DeletionDate, now + the waiting period.
    ScheduleKeyDeletion {
        /// KeyId: the key to schedule for deletion.
        key: u8,
        /// PendingWindowInDays, if given (default 30; outside 7–30:
        /// ValidationException).
        window_days: Option<u32>,
    },
    /// CancelKeyDeletion: PendingDeletion → Disabled (PendingImport when key
    /// material is missing).
    CancelKeyDeletion {
        /// KeyId: the key whose scheduled deletion to cancel.
        key: u8,
    },
    /// GetParametersForImport: a new import token for an EXTERNAL key, valid
    /// for 24 h; it supersedes the key's previous token.
    GetParametersForImport {
        /// KeyId: the EXTERNAL key to get import parameters for.
        key: u8,
    },
    /// ImportKeyMaterial: import 32 bytes of key material into an EXTERNAL
    /// key with an import token.
    ImportKeyMaterial {
        /// KeyId: the EXTERNAL key to import into.
        key: u8,
        /// Which import token it presents.
        token: TokenRef,
        /// The abstract identity of the 32 bytes imported.
        material: u8,
        /// ImportType, if given (`current` only; ValidationException under
        /// `classic`).
        import_type: Option<ImportType>,
        /// The ExpirationModel and ValidTo it passes.
        expires: ValidToChoice,
    },
    /// DeleteImportedKeyMaterial, naming a material with `KeyMaterialId` or
    /// not (`None`: the current one).
    DeleteImportedKeyMaterial {
        /// KeyId: the EXTERNAL key whose material to delete.
        key: u8,
        /// The material named with KeyMaterialId (`current` only); `None`: the
        /// current material.
        material: Option<MaterialRef>,
    },
    /// CreateAlias: a new alias name for a customer managed key not pending
    /// deletion.
    CreateAlias {
        /// AliasName: the name to create.
        alias: AliasName,
        /// TargetKeyId: the key the new alias names.
        key: u8,
    },
    /// UpdateAlias: point an existing alias at another customer managed key.
    UpdateAlias {
        /// AliasName: the existing alias, an index in [`State::aliases`].
        alias: u8,
        /// TargetKeyId: the key the alias names afterwards.
        key: u8,
    },
    /// DeleteAlias: remove an alias (the key it named is unaffected).
    DeleteAlias {
        /// AliasName: the alias to delete, an index in [`State::aliases`].
        alias: u8,
    },
    /// GetKeyPolicy (PolicyName `default`).
    GetKeyPolicy {
        /// KeyId: the key whose policy to get.
        key: u8,
    },
    /// ListKeyPolicies.
    ListKeyPolicies {
        /// KeyId: the key whose policy names to list.
        key: u8,
    },
    /// PutKeyPolicy of the document `policy`, with or without
    /// `BypassPolicyLockoutSafetyCheck`.
    PutKeyPolicy {
        /// KeyId: the key whose policy to replace.
        key: u8,
        /// Policy: the document to put as the key's `default` policy.
        policy: Policy,
        /// BypassPolicyLockoutSafetyCheck: accept a policy that would lock the
        /// caller out of PutKeyPolicy.
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
    Key {
        /// KeyId: the key created or described.
        key: u8,
        /// Its KeyState afterwards.
        state: KeyState,
    },
    /// Encrypt, GenerateDataKey, ReEncrypt: the ciphertext created.
    Encrypted {
        /// The new ciphertext: its index in [`State::ciphertexts`].
        ct: u8,
        /// KeyId: the key it is encrypted under (ReEncrypt: the destination key).
        key: u8,
        /// The backing-key version it is encrypted under (that key's current one).
        version: u8,
    },
    /// Decrypt: which key and backing key decrypted.
    Decrypted {
        /// KeyId: the key that decrypted the ciphertext.
        key: u8,
        /// The backing-key version that decrypted it.
        version: u8,
    },
    /// EnableKey, DisableKey, CancelKeyDeletion, DeleteImportedKeyMaterial,
    /// EnableKeyRotation, DisableKeyRotation: the key's state afterwards.
    Done {
        /// KeyId: the key the call named.
        key: u8,
        /// Its KeyState afterwards.
        state: KeyState,
    },
    /// GetKeyRotationStatus.
    RotationStatus {
        /// KeyRotationEnabled: whether automatic rotation is on.
        enabled: bool,
        /// NextRotationDate (model seconds); `None` while rotation is off.
        next: Option<Time>,
        /// RotationPeriodInDays; `None` while rotation is off.
        period_days: Option<u32>,
    },
    /// RotateKeyOnDemand: the new current version.
    Rotated {
        /// KeyId: the key rotated.
        key: u8,
        /// The backing-key version that became current.
        version: u8,
    },
    /// ScheduleKeyDeletion.
    Scheduled {
        /// KeyId: the key now PendingDeletion.
        key: u8,
        /// DeletionDate: when the key will be deleted (model seconds).
        deletion_date: Time,
        /// PendingWindowInDays: the waiting period applied (30 when none was given).
        window_days: u32,
    },
    /// GetParametersForImport.
    ImportParameters {
        /// KeyId: the key the import token is for.
        key: u8,
        /// ParametersValidTo: when the import token expires (model seconds).
        valid_to: Time,
    },
    /// ImportKeyMaterial: the version it (re)stored, or `None` when stored as
    /// PENDING_ROTATION; and the key's state afterwards.
    Imported {
        /// KeyId: the key the material was imported into.
        key: u8,
        /// The backing-key version whose material was stored; `None`: stored
        /// as PENDING_ROTATION.
        version: Option<u8>,
        /// The key's state afterwards (a PendingImport key becomes Enabled once all
        /// its material is present).
        state: KeyState,
    },
    /// CreateAlias, UpdateAlias, DeleteAlias.
    AliasDone,
    /// GetKeyPolicy: the key's policy.
    KeyPolicy {
        /// KeyId: the key whose policy it is.
        key: u8,
        /// The key's `default` policy document.
        policy: Policy,
    },
    /// ListKeyPolicies: the key has its one policy, `default`.
    PolicyNames {
        /// KeyId: the key whose policy names were listed.
        key: u8,
    },
    /// Advance: the new time.
    Advanced {
        /// The model time after the advance (seconds since model time 0).
        now: Time,
    },
}

/// `Ok(summary)` or the AWS exception.
pub type Outcome = Result<OkSummary, Exception>;

/// A call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Response {
    /// The summary of a successful call, or the AWS exception it answered.
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
