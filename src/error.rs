//! AWS KMS exceptions.
//!
//! One variant per AWS exception name, spelled exactly as on the wire
//! (`__type` of an AWS JSON 1.1 error body). Each carries AWS's message. The
//! messages for key states are the ones of the AWS key-state table (spec §3).

use std::fmt;

/// An AWS KMS exception: the variant is the AWS exception name, the payload its
/// message.
#[derive(Clone, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub enum KmsError {
    /// The key, alias or ciphertext's key does not exist (or was deleted).
    NotFoundException(String),
    /// The key is Disabled (or, as AWS also answers, pending deletion).
    DisabledException(String),
    /// The key's state does not allow the operation. The [`StateRefusal`]
    /// says whether the refusal names a key pending deletion, which raises
    /// the pending-deletion alarm (spec §8); it is not sent on the wire.
    KMSInvalidStateException(String, StateRefusal),
    /// The operation is not valid for this key's origin, manager or rule set.
    UnsupportedOperationException(String),
    /// Malformed or out-of-range input.
    ValidationException(String),
    /// The ciphertext (or its encryption context) is not authentic, or wrapped
    /// key material could not be unwrapped.
    InvalidCiphertextException(String),
    /// Decrypt or ReEncrypt named a key that did not make the ciphertext.
    IncorrectKeyException(String),
    /// Imported material is not the material this key had, or is not 32 bytes.
    IncorrectKeyMaterialException(String),
    /// The import token's 24 hours have passed.
    ExpiredImportTokenException(String),
    /// The import token is forged, superseded or for another key.
    InvalidImportTokenException(String),
    /// A quota was reached (on-demand rotations).
    LimitExceededException(String),
    /// An automatic rotation is due within 20 minutes.
    ConflictException(String),
    /// The alias already exists.
    AlreadyExistsException(String),
    /// The alias name breaks the naming rules.
    InvalidAliasNameException(String),
    /// The operation is reserved (the `alias/aws/` prefix).
    NotAuthorizedException(String),
    /// `DryRun` was set and the call would have succeeded (nothing changed).
    DryRunOperationException(String),
    /// An internal fault (never expected; the server maps it to HTTP 500).
    KMSInternalException(String),
    /// A key policy that is not valid JSON, lacks a required element, names
    /// an invalid principal, or would lock the caller out.
    MalformedPolicyDocumentException(String),
    /// The key policy does not allow the caller the operation.
    AccessDeniedException(String),
}

impl KmsError {
    /// The AWS exception name, as sent in `__type`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotFoundException(_) => "NotFoundException",
            Self::DisabledException(_) => "DisabledException",
            Self::KMSInvalidStateException(..) => "KMSInvalidStateException",
            Self::UnsupportedOperationException(_) => "UnsupportedOperationException",
            Self::ValidationException(_) => "ValidationException",
            Self::InvalidCiphertextException(_) => "InvalidCiphertextException",
            Self::IncorrectKeyException(_) => "IncorrectKeyException",
            Self::IncorrectKeyMaterialException(_) => "IncorrectKeyMaterialException",
            Self::ExpiredImportTokenException(_) => "ExpiredImportTokenException",
            Self::InvalidImportTokenException(_) => "InvalidImportTokenException",
            Self::LimitExceededException(_) => "LimitExceededException",
            Self::ConflictException(_) => "ConflictException",
            Self::AlreadyExistsException(_) => "AlreadyExistsException",
            Self::InvalidAliasNameException(_) => "InvalidAliasNameException",
            Self::NotAuthorizedException(_) => "NotAuthorizedException",
            Self::DryRunOperationException(_) => "DryRunOperationException",
            Self::KMSInternalException(_) => "KMSInternalException",
            Self::MalformedPolicyDocumentException(_) => "MalformedPolicyDocumentException",
            Self::AccessDeniedException(_) => "AccessDeniedException",
        }
    }

    /// The message, as sent in `message`.
    pub fn message(&self) -> &str {
        match self {
            Self::NotFoundException(m)
            | Self::DisabledException(m)
            | Self::KMSInvalidStateException(m, _)
            | Self::UnsupportedOperationException(m)
            | Self::ValidationException(m)
            | Self::InvalidCiphertextException(m)
            | Self::IncorrectKeyException(m)
            | Self::IncorrectKeyMaterialException(m)
            | Self::ExpiredImportTokenException(m)
            | Self::InvalidImportTokenException(m)
            | Self::LimitExceededException(m)
            | Self::ConflictException(m)
            | Self::AlreadyExistsException(m)
            | Self::InvalidAliasNameException(m)
            | Self::NotAuthorizedException(m)
            | Self::DryRunOperationException(m)
            | Self::KMSInternalException(m)
            | Self::MalformedPolicyDocumentException(m)
            | Self::AccessDeniedException(m) => m,
        }
    }

    /// The exception of that AWS name with that message (the inverse of
    /// [`Self::name`] and [`Self::message`]); `None` for an unknown name.
    pub fn from_parts(name: &str, message: String) -> Option<Self> {
        let m = message;
        Some(match name {
            "NotFoundException" => Self::NotFoundException(m),
            "DisabledException" => Self::DisabledException(m),
            "KMSInvalidStateException" => Self::KMSInvalidStateException(m, StateRefusal::Other),
            "UnsupportedOperationException" => Self::UnsupportedOperationException(m),
            "ValidationException" => Self::ValidationException(m),
            "InvalidCiphertextException" => Self::InvalidCiphertextException(m),
            "IncorrectKeyException" => Self::IncorrectKeyException(m),
            "IncorrectKeyMaterialException" => Self::IncorrectKeyMaterialException(m),
            "ExpiredImportTokenException" => Self::ExpiredImportTokenException(m),
            "InvalidImportTokenException" => Self::InvalidImportTokenException(m),
            "LimitExceededException" => Self::LimitExceededException(m),
            "ConflictException" => Self::ConflictException(m),
            "AlreadyExistsException" => Self::AlreadyExistsException(m),
            "InvalidAliasNameException" => Self::InvalidAliasNameException(m),
            "NotAuthorizedException" => Self::NotAuthorizedException(m),
            "DryRunOperationException" => Self::DryRunOperationException(m),
            "KMSInternalException" => Self::KMSInternalException(m),
            "MalformedPolicyDocumentException" => Self::MalformedPolicyDocumentException(m),
            "AccessDeniedException" => Self::AccessDeniedException(m),
            _ => return None,
        })
    }

    /// A KMSInvalidStateException for a reason other than a pending deletion.
    pub(crate) fn state(message: String) -> Self {
        Self::KMSInvalidStateException(message, StateRefusal::Other)
    }

    /// Whether this refusal names a key pending deletion: the
    /// pending-deletion alarm of spec §8 (data on the error, never read from
    /// its message).
    pub fn raises_pending_deletion_alarm(&self) -> bool {
        matches!(
            self,
            Self::KMSInvalidStateException(_, StateRefusal::PendingDeletion)
        )
    }

    /// True for faults of the service (HTTP 5xx), false for client errors.
    pub fn is_fault(&self) -> bool {
        matches!(self, Self::KMSInternalException(_))
    }

    // Constructors for the messages of the AWS key-state table (spec §3).

    pub(crate) fn not_found(arn: &str) -> Self {
        Self::NotFoundException(format!("Key '{arn}' does not exist"))
    }
    pub(crate) fn invalid_key_id(value: &str) -> Self {
        Self::NotFoundException(format!("Invalid keyId '{value}'"))
    }
    pub(crate) fn disabled(arn: &str) -> Self {
        Self::DisabledException(format!("{arn} is disabled."))
    }
    pub(crate) fn pending_deletion(arn: &str) -> Self {
        Self::KMSInvalidStateException(
            format!("{arn} is pending deletion."),
            StateRefusal::PendingDeletion,
        )
    }
    pub(crate) fn pending_import(arn: &str) -> Self {
        Self::state(format!("{arn} is pending import."))
    }
    pub(crate) fn not_pending_deletion(arn: &str) -> Self {
        Self::state(format!("{arn} is not pending deletion."))
    }
    pub(crate) fn wrong_origin(arn: &str, origin: &str) -> Self {
        Self::UnsupportedOperationException(format!(
            "{arn} origin is {origin} which is not valid for this operation."
        ))
    }
    pub(crate) fn validation(field: &str, value: impl fmt::Display, constraint: &str) -> Self {
        Self::ValidationException(format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ))
    }
    /// A required string or blob member given empty.
    pub(crate) fn empty(field: &str) -> Self {
        Self::validation(
            field,
            "",
            "Member must have length greater than or equal to 1",
        )
    }
    /// AWS's answer to `DryRun: true` where the call would have succeeded.
    pub(crate) fn dry_run() -> Self {
        Self::DryRunOperationException(
            "The request would have succeeded, but the DryRun option is set.".into(),
        )
    }
    /// Several validation errors in AWS's (Coral) wording:
    /// `N validation error(s) detected: <error>; <error>`.
    pub(crate) fn validation_errors(errors: &[String]) -> Self {
        let n = errors.len();
        Self::ValidationException(format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            errors.join("; ")
        ))
    }
    pub(crate) fn invalid_ciphertext() -> Self {
        // AWS answers InvalidCiphertextException with an empty message.
        Self::InvalidCiphertextException(String::new())
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl fmt::Debug for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.name(), self.message())
    }
}

impl std::error::Error for KmsError {}

/// Why a KMSInvalidStateException refused: because the key is pending
/// deletion (the pending-deletion alarm of spec §8), or for another state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateRefusal {
    /// The key is pending deletion: the refusal raises the alarm.
    PendingDeletion,
    /// Any other state refusal (pending import, not pending deletion, an
    /// EXTERNAL key without pending material, ...), or one read from the wire.
    Other,
}

/// Result of a KMS operation.
pub type KmsResult<T> = Result<T, KmsError>;
