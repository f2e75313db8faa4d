//! The vocabulary: AWS exceptions, key states, origins, rotation records,
//! import tokens and key material, named as AWS names them.

use crate::*;
use serde::{Deserialize, Serialize};

/// The AWS exceptions the lifecycle can answer, named exactly as AWS names them.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Exception {
    NotFoundException,
    DisabledException,
    KMSInvalidStateException,
    UnsupportedOperationException,
    ValidationException,
    InvalidCiphertextException,
    IncorrectKeyException,
    IncorrectKeyMaterialException,
    ExpiredImportTokenException,
    InvalidImportTokenException,
    LimitExceededException,
    ConflictException,
    AlreadyExistsException,
    NotAuthorizedException,
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
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
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
    AwsKms,
    External,
}

/// `CUSTOMER` or `AWS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Manager {
    Customer,
    Aws,
}

/// `AUTOMATIC` or `ON_DEMAND` (spec §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RotationType {
    Automatic,
    OnDemand,
}

/// One entry of ListKeyRotations: the backing-key version that became
/// current, when, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RotationRecord {
    pub version: u8,
    pub date: Time,
    pub rotation_type: RotationType,
}

/// Automatic rotation while enabled: the period and NextRotationDate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RotationSetting {
    pub period_days: u32,
    pub next: Time,
}

/// The latest import parameters of a key (spec §5). Only the latest is kept;
/// `tokens_issued` on the key tells whether superseded ones exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Token {
    /// Usable until `valid_to` (exclusive: `now >= valid_to` is expired).
    Valid { valid_to: Time },
    /// Its 24 h are over (a clock event at ParametersValidTo).
    Expired,
}

/// One imported key material of an EXTERNAL key. `id` is the abstract
/// identity of the 32 bytes (material 0, material 1, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Material {
    pub id: u8,
    pub present: bool,
    /// ValidTo of the current import; `None`: KEY_MATERIAL_DOES_NOT_EXPIRE or not present.
    pub valid_to: Option<Time>,
}
