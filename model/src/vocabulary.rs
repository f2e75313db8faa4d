//! The vocabulary: AWS exceptions, key states, origins, rotation records,
//! import tokens and key material, named as AWS names them.

use crate::*;
use serde::{Deserialize, Serialize};

/// The AWS exceptions the lifecycle can answer, named exactly as AWS names them.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Exception {
    /// The key, alias, KeyMaterialId or ciphertext's key does not exist (a
    /// deleted key included).
    NotFoundException,
    /// The key is Disabled (cryptography and rotation operations).
    DisabledException,
    /// The key's state does not allow the operation (PendingDeletion,
    /// PendingImport, or e.g. CancelKeyDeletion of a key not pending deletion).
    KMSInvalidStateException,
    /// The operation does not apply to the key's origin or manager, or the rule
    /// set does not have it (RotateKeyOnDemand under `classic`).
    UnsupportedOperationException,
    /// A parameter is out of range or not supported by the rule set
    /// (PendingWindowInDays, RotationPeriodInDays, ValidTo, ImportType,
    /// KeyMaterialId).
    ValidationException,
    /// The ciphertext cannot be decrypted: another encryption context, a
    /// tampered body, or its backing key's material is missing.
    InvalidCiphertextException,
    /// Decrypt named a KeyId that is not the ciphertext's key.
    IncorrectKeyException,
    /// ImportKeyMaterial: the bytes are not the material the key expects for
    /// this ImportType.
    IncorrectKeyMaterialException,
    /// ImportKeyMaterial with the key's latest import token after its
    /// ParametersValidTo.
    ExpiredImportTokenException,
    /// ImportKeyMaterial with a forged, superseded or another key's import token.
    InvalidImportTokenException,
    /// A quota is reached (in the model: the key's on-demand rotations,
    /// [`Rules::on_demand_limit`]).
    LimitExceededException,
    /// RotateKeyOnDemand while an automatic rotation is due within
    /// [`CONFLICT_WINDOW`].
    ConflictException,
    /// CreateAlias of a name that already names a key.
    AlreadyExistsException,
    /// CreateAlias of a reserved `alias/aws/...` name.
    NotAuthorizedException,
    /// CreateAlias of a malformed alias name.
    InvalidAliasNameException,
    /// A key policy that would lock the caller out (or is not a policy).
    MalformedPolicyDocumentException,
    /// The key policy does not allow the caller the operation.
    AccessDeniedException,
}

impl Exception {
    /// Every exception, in declaration order.
    pub const ALL: [Exception; 17] = [
        Exception::NotFoundException,
        Exception::DisabledException,
        Exception::KMSInvalidStateException,
        Exception::UnsupportedOperationException,
        Exception::ValidationException,
        Exception::InvalidCiphertextException,
        Exception::IncorrectKeyException,
        Exception::IncorrectKeyMaterialException,
        Exception::ExpiredImportTokenException,
        Exception::InvalidImportTokenException,
        Exception::LimitExceededException,
        Exception::ConflictException,
        Exception::AlreadyExistsException,
        Exception::NotAuthorizedException,
        Exception::InvalidAliasNameException,
        Exception::MalformedPolicyDocumentException,
        Exception::AccessDeniedException,
    ];

    /// The exception's AWS name (the `__type` on the wire).
    pub fn name(&self) -> &'static str {
        match self {
            Exception::NotFoundException => "NotFoundException",
            Exception::DisabledException => "DisabledException",
            Exception::KMSInvalidStateException => "KMSInvalidStateException",
            Exception::UnsupportedOperationException => "UnsupportedOperationException",
            Exception::ValidationException => "ValidationException",
            Exception::InvalidCiphertextException => "InvalidCiphertextException",
            Exception::IncorrectKeyException => "IncorrectKeyException",
            Exception::IncorrectKeyMaterialException => "IncorrectKeyMaterialException",
            Exception::ExpiredImportTokenException => "ExpiredImportTokenException",
            Exception::InvalidImportTokenException => "InvalidImportTokenException",
            Exception::LimitExceededException => "LimitExceededException",
            Exception::ConflictException => "ConflictException",
            Exception::AlreadyExistsException => "AlreadyExistsException",
            Exception::NotAuthorizedException => "NotAuthorizedException",
            Exception::InvalidAliasNameException => "InvalidAliasNameException",
            Exception::MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
            Exception::AccessDeniedException => "AccessDeniedException",
        }
    }
}

/// Key states (spec §2). `Deleted` is the tombstone of a deleted key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KeyState {
    /// `Enabled`: usable for cryptography.
    Enabled,
    /// `Disabled`: refused for cryptography until EnableKey.
    Disabled,
    /// `PendingDeletion`: deleted at its DeletionDate unless CancelKeyDeletion
    /// comes first; unusable meanwhile.
    PendingDeletion,
    /// `PendingImport`: an EXTERNAL key missing key material (never imported,
    /// deleted or expired).
    PendingImport,
    /// Deleted at its DeletionDate: every call naming it gets NotFoundException.
    Deleted,
}

impl KeyState {
    /// Every state.
    pub const ALL: [KeyState; 5] = [
        KeyState::Enabled,
        KeyState::Disabled,
        KeyState::PendingDeletion,
        KeyState::PendingImport,
        KeyState::Deleted,
    ];
    /// The AWS spelling.
    pub fn name(&self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
            KeyState::Deleted => "Deleted",
        }
    }
}

/// `AWS_KMS` or `EXTERNAL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Origin {
    /// `AWS_KMS`: KMS generates the key material.
    AwsKms,
    /// `EXTERNAL`: the key material is imported (ImportKeyMaterial).
    External,
}

/// `CUSTOMER` or `AWS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Manager {
    /// `CUSTOMER`: a customer managed key (made by CreateKey).
    Customer,
    /// `AWS`: an AWS managed key, made by the first use of
    /// `alias/aws/<service>`.
    Aws,
}

/// `AUTOMATIC` or `ON_DEMAND` (spec §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RotationType {
    /// `AUTOMATIC`: at NextRotationDate (or EnableKey's catch-up rotation when
    /// it passed while the key was not Enabled).
    Automatic,
    /// `ON_DEMAND`: by RotateKeyOnDemand.
    OnDemand,
}

/// One entry of ListKeyRotations: the backing-key version that became
/// current, when, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RotationRecord {
    /// The backing-key version that became current.
    pub version: u8,
    /// RotationDate: when it became current (model seconds).
    pub date: Time,
    /// RotationType: automatic or on demand.
    pub rotation_type: RotationType,
}

/// Automatic rotation while enabled: the period and NextRotationDate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RotationSetting {
    /// RotationPeriodInDays: the days between automatic rotations.
    pub period_days: u32,
    /// NextRotationDate: when the next automatic rotation is due (model seconds).
    pub next: Time,
}

/// The latest import parameters of a key (spec §5). Only the latest is kept;
/// `tokens_issued` on the key tells whether superseded ones exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Token {
    /// Usable until `valid_to` (exclusive: `now >= valid_to` is expired).
    Valid {
        /// ParametersValidTo: when the token expires (model seconds).
        valid_to: Time,
    },
    /// Its 24 h are over (a clock event at ParametersValidTo).
    Expired,
}

/// One imported key material of an EXTERNAL key. `id` is the abstract
/// identity of the 32 bytes (material 0, material 1, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Material {
    /// The abstract identity of the 32 bytes (material 0, material 1, ...).
    pub id: u8,
    /// The material is imported now: ImportState IMPORTED (false once deleted
    /// or expired: PENDING_IMPORT).
    pub present: bool,
    /// ValidTo of the current import; `None`: KEY_MATERIAL_DOES_NOT_EXPIRE or not present.
    pub valid_to: Option<Time>,
}
