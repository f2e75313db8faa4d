//! The executable specification of the AWS KMS key lifecycle.
//!
//! This crate is the abstract model of `../shared/spec/lifecycle.md` (cited as
//! "spec §N") and `docs/decisions.md`. It has no cryptography and no I/O: keys,
//! backing keys, key material, import tokens and ciphertexts are small
//! abstract values. [`step`] is the single source of truth: the stateright
//! model ([`checker`]), the differential tests and the oracle all call it.
//!
//! Time is whole seconds since the model's epoch 0; an implementation maps
//! model time `t` to its manual clock's start + `t`.

#![forbid(unsafe_code)]

#[cfg(feature = "checker")]
pub mod checker;
#[cfg(feature = "checker")]
pub mod cli;
#[cfg(feature = "checker")]
pub mod diagram;
#[cfg(feature = "checker")]
pub mod features;
#[cfg(feature = "checker")]
pub mod properties;
pub mod table;

use serde::{Deserialize, Serialize};

/// Instants and durations, in whole seconds since the model's epoch 0.
pub type Time = u64;
/// One day, in seconds.
pub const DAY: Time = 86_400;
/// Lifetime of the parameters returned by GetParametersForImport (spec §5).
pub const IMPORT_TOKEN_LIFETIME: Time = 86_400;
/// RotateKeyOnDemand answers ConflictException when an automatic rotation is
/// due within this many seconds (inclusive; decisions.md).
pub const CONFLICT_WINDOW: Time = 1_200;
/// ValidTo may be at most this far in the future (spec §5).
pub const MAX_VALID_TO: Time = 365 * DAY;
/// The default PendingWindowInDays of ScheduleKeyDeletion (spec §6).
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;
/// The inclusive range of PendingWindowInDays (spec §6).
pub const MIN_PENDING_WINDOW_DAYS: u32 = 7;
/// The inclusive range of PendingWindowInDays (spec §6).
pub const MAX_PENDING_WINDOW_DAYS: u32 = 30;
/// How late an implementation may delete a key after its DeletionDate (spec §6);
/// used only by the lenient (oracle) mode.
pub const DELETION_GRACE: Time = DAY;

// ---------------------------------------------------------------------------
// Rules (spec §1)
// ---------------------------------------------------------------------------

/// The differences between the two rule sets of spec §1, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rules {
    /// `current`: `RotationPeriodInDays` accepted; `classic`: ValidationException.
    pub rotation_period_configurable: bool,
    /// Smallest accepted `RotationPeriodInDays`.
    pub min_rotation_days: u32,
    /// Largest accepted `RotationPeriodInDays`.
    pub max_rotation_days: u32,
    /// Period used when none is given (and the only one under `classic`).
    pub default_rotation_days: u32,
    /// Rotation period of AWS managed keys.
    pub managed_rotation_days: u32,
    /// RotateKeyOnDemand available.
    pub on_demand_rotation: bool,
    /// Maximum number of on-demand rotations per key.
    pub on_demand_limit: u32,
    /// `ImportType=NEW_KEY_MATERIAL` (rotation of imported keys) available.
    pub new_key_material_import: bool,
    /// Wrapping key specs RSA_3072 and RSA_4096 accepted.
    pub large_wrapping_keys: bool,
    /// Wrapping algorithms RSA_AES_KEY_WRAP_SHA_1/256 accepted.
    pub aes_key_wrap_algorithms: bool,
    /// Wrapping algorithm RSAES_PKCS1_V1_5 accepted.
    pub pkcs1_v15_allowed: bool,
    /// `CurrentKeyMaterialId` / `KeyMaterialId` in responses.
    pub key_material_ids: bool,
}

impl Rules {
    /// The course's rules.
    pub const fn classic() -> Rules {
        Rules {
            rotation_period_configurable: false,
            min_rotation_days: 365,
            max_rotation_days: 365,
            default_rotation_days: 365,
            managed_rotation_days: 1095,
            on_demand_rotation: false,
            on_demand_limit: 0,
            new_key_material_import: false,
            large_wrapping_keys: false,
            aes_key_wrap_algorithms: false,
            pkcs1_v15_allowed: true,
            key_material_ids: false,
        }
    }

    /// AWS as of 2026.
    pub const fn current() -> Rules {
        Rules {
            rotation_period_configurable: true,
            min_rotation_days: 90,
            max_rotation_days: 2560,
            default_rotation_days: 365,
            managed_rotation_days: 365,
            on_demand_rotation: true,
            on_demand_limit: 25,
            new_key_material_import: true,
            large_wrapping_keys: true,
            aes_key_wrap_algorithms: true,
            pkcs1_v15_allowed: false,
            key_material_ids: true,
        }
    }

    /// `"classic"` or `"current"`.
    pub fn by_name(name: &str) -> Option<Rules> {
        match name {
            "classic" => Some(Rules::classic()),
            "current" => Some(Rules::current()),
            _ => None,
        }
    }

    /// The name of the preset this is, or is derived from (by the
    /// checker's lowered on-demand limit), e.g. `"current (on-demand limit 2)"`.
    pub fn name_or_base(&self) -> String {
        let mut base = *self;
        base.on_demand_limit = Rules::current().on_demand_limit;
        if *self == Rules::classic() || *self == Rules::current() {
            self.name().to_string()
        } else if base == Rules::current() {
            format!("current (on-demand limit {})", self.on_demand_limit)
        } else {
            "custom".to_string()
        }
    }

    /// The preset's name; `"custom"` for anything else.
    pub fn name(&self) -> &'static str {
        if *self == Rules::classic() {
            "classic"
        } else if *self == Rules::current() {
            "current"
        } else {
            "custom"
        }
    }
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

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
}

impl Exception {
    /// Every exception, in declaration order.
    pub const ALL: [Exception; 15] = [
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

/// One KMS key. Index in [`State::keys`] = creation order = key id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub state: KeyState,
    pub origin: Origin,
    pub manager: Manager,
    /// Automatic rotation, when enabled (DisableKeyRotation clears it).
    pub rotation: Option<RotationSetting>,
    /// Number of backing-key versions (0 = no material yet); the current one
    /// is `versions - 1`.
    pub versions: u8,
    /// Versions below this are gone. Always 0 in the correct model (backing
    /// keys are never destroyed while the key exists, spec §4).
    pub oldest_retained: u8,
    /// Every rotation (ListKeyRotations), oldest first.
    pub rotations: Vec<RotationRecord>,
    /// RotateKeyOnDemand successes.
    pub on_demand_count: u8,
    /// EXTERNAL keys: the material of each version (index = version).
    pub materials: Vec<Material>,
    /// EXTERNAL keys, `current`: imported with NEW_KEY_MATERIAL, waiting for
    /// RotateKeyOnDemand (PENDING_ROTATION).
    pub pending: Option<Material>,
    /// The latest import parameters.
    pub token: Option<Token>,
    /// How many times GetParametersForImport succeeded, saturating at 2 (≥ 2
    /// means a superseded token exists).
    pub tokens_issued: u8,
    /// Set iff PendingDeletion.
    pub deletion_date: Option<Time>,
}

impl Key {
    fn new(origin: Origin, manager: Manager) -> Key {
        Key {
            state: match origin {
                Origin::AwsKms => KeyState::Enabled,
                Origin::External => KeyState::PendingImport,
            },
            origin,
            manager,
            rotation: None,
            versions: match origin {
                Origin::AwsKms => 1,
                Origin::External => 0,
            },
            oldest_retained: 0,
            rotations: Vec::new(),
            on_demand_count: 0,
            materials: Vec::new(),
            pending: None,
            token: None,
            tokens_issued: 0,
            deletion_date: None,
        }
    }

    /// The tombstone left by deletion: only origin and manager are kept.
    fn tombstone(&self) -> Key {
        let mut k = Key::new(self.origin, self.manager);
        k.state = KeyState::Deleted;
        k.versions = 0;
        k
    }

    /// The backing-key version `v` exists and its material is present.
    pub fn version_usable(&self, v: u8) -> bool {
        v < self.versions
            && v >= self.oldest_retained
            && match self.origin {
                Origin::AwsKms => true,
                Origin::External => self.materials.get(v as usize).is_some_and(|m| m.present),
            }
    }

    /// Every permanently associated material is present (EXTERNAL), or AWS_KMS.
    pub fn all_material_present(&self) -> bool {
        match self.origin {
            Origin::AwsKms => true,
            Origin::External => {
                !self.materials.is_empty() && self.materials.iter().all(|m| m.present)
            }
        }
    }

    /// The period that applies to automatic rotation of this key.
    fn is_managed(&self) -> bool {
        self.manager == Manager::Aws
    }
}

/// An abstract ciphertext: which key, which backing key, which context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ciphertext {
    pub key: u8,
    pub version: u8,
    pub ctx: Ctx,
}

/// An abstract encryption context: `A` is the one used for encryption in the
/// checker, `B` a different one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ctx {
    A,
    B,
}

/// The whole abstract system.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct State {
    pub now: Time,
    /// Keys by creation order; ids are never reused (deleted keys stay as tombstones).
    pub keys: Vec<Key>,
    /// Alias slots: `aliases[a]` names the key it points to, or `None`.
    pub aliases: Vec<Option<u8>>,
    /// Ciphertexts by creation order.
    pub ciphertexts: Vec<Ciphertext>,
}

impl State {
    /// Epoch 0, no keys, `alias_slots` unused alias names.
    pub fn initial(alias_slots: usize) -> State {
        State {
            now: 0,
            keys: Vec::new(),
            aliases: vec![None; alias_slots],
            ciphertexts: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

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
    /// Let this many seconds pass, applying every clock event due (spec §10).
    Advance(Time),
}

impl Action {
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
            | Action::UpdateAlias { key: k, .. } => Some(k),
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
    fn ok(s: OkSummary) -> Response {
        Response {
            outcome: Ok(s),
            alarm: false,
        }
    }
    fn err(e: Exception) -> Response {
        Response {
            outcome: Err(e),
            alarm: false,
        }
    }
}

// ---------------------------------------------------------------------------
// The transition function
// ---------------------------------------------------------------------------

/// How strict [`step_with`] is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Config {
    /// Oracle mode: also allow DisabledException for cryptography on a key
    /// pending deletion, and deletion at any instant of
    /// `[DeletionDate, DeletionDate + 24 h]` (spec §6).
    pub lenient: bool,
}

/// The reference's behaviour: [`step_with`] with the strict [`Config`].
///
/// Returns the allowed outcomes, the reference's choice first (in strict mode
/// exactly one). Returns an empty vector when the action is *not applicable*
/// in `state`: a key index ≥ `keys.len()`, a ciphertext index ≥
/// `ciphertexts.len()`, an alias slot ≥ `aliases.len()`, `TokenRef::Latest`
/// for a key without a token, `TokenRef::Superseded` with fewer than two
/// tokens issued, `TokenRef::OtherKey` when no other key has a token, or an
/// `Advance(0)`.
pub fn step(rules: &Rules, state: &State, action: &Action) -> Vec<(Response, State)> {
    step_with(rules, &Config::default(), state, action)
}

/// [`step`] with an explicit strictness.
pub fn step_with(
    rules: &Rules,
    config: &Config,
    state: &State,
    action: &Action,
) -> Vec<(Response, State)> {
    if !applicable(state, action) {
        return Vec::new();
    }
    if let Action::Advance(d) = *action {
        return advance_outcomes(rules, config, state, state.now + d);
    }
    let mut next = state.clone();
    let resp = apply(rules, &mut next, action);
    let mut out = vec![(resp, next)];
    if config.lenient
        && resp.outcome == Err(Exception::KMSInvalidStateException)
        && resp.alarm
        && is_crypto(action)
    {
        // AWS also answers DisabledException for cryptography on a key pending deletion.
        let mut alt = out[0].clone();
        alt.0.outcome = Err(Exception::DisabledException);
        out.push(alt);
    }
    out
}

fn is_crypto(a: &Action) -> bool {
    matches!(
        a,
        Action::Encrypt { .. }
            | Action::GenerateDataKey { .. }
            | Action::Decrypt { .. }
            | Action::DecryptTampered { .. }
            | Action::ReEncrypt { .. }
    )
}

/// Whether `step` gives an answer for `action` in `state` (see [`step`]).
pub fn applicable(state: &State, action: &Action) -> bool {
    let nk = state.keys.len();
    let key_ok = |k: u8| (k as usize) < nk;
    let ref_ok = |r: KeyRef| match r {
        KeyRef::Key(k) => key_ok(k),
        KeyRef::Alias(a) => (a as usize) < state.aliases.len(),
    };
    let ct_ok = |c: u8| (c as usize) < state.ciphertexts.len();
    match *action {
        Action::CreateKey { .. } | Action::UseManagedAlias => true,
        Action::DescribeKey { key }
        | Action::Encrypt { key, .. }
        | Action::GenerateDataKey { key } => ref_ok(key),
        Action::Decrypt { ct, key, .. } => ct_ok(ct) && key.is_none_or(ref_ok),
        Action::DecryptTampered { ct } => ct_ok(ct),
        Action::ReEncrypt { ct, dest } => ct_ok(ct) && ref_ok(dest),
        Action::ImportKeyMaterial { key, token, .. } => {
            key_ok(key) && {
                let k = &state.keys[key as usize];
                match token {
                    TokenRef::Latest => k.token.is_some(),
                    TokenRef::Superseded => k.tokens_issued >= 2,
                    TokenRef::OtherKey => other_key_token(state, key).is_some(),
                    TokenRef::Forged => true,
                }
            }
        }
        Action::CreateAlias { alias, key } => {
            key_ok(key)
                && match alias {
                    AliasName::Slot(a) => (a as usize) < state.aliases.len(),
                    _ => true,
                }
        }
        Action::DeleteImportedKeyMaterial { key, material } => {
            key_ok(key)
                && match material {
                    Some(MaterialRef::Version(v)) => {
                        (v as usize) < state.keys[key as usize].materials.len()
                    }
                    Some(MaterialRef::Pending) => state.keys[key as usize].pending.is_some(),
                    Some(MaterialRef::Unknown) | None => true,
                }
        }
        Action::UpdateAlias { alias, key } => key_ok(key) && (alias as usize) < state.aliases.len(),
        Action::DeleteAlias { alias } => (alias as usize) < state.aliases.len(),
        Action::Advance(d) => d > 0,
        _ => action.direct_key().is_some_and(key_ok),
    }
}

fn other_key_token(state: &State, key: u8) -> Option<usize> {
    state
        .keys
        .iter()
        .enumerate()
        .position(|(i, k)| i != key as usize && k.token.is_some())
}

/// The key an operation names through a [`KeyRef`], or NotFoundException.
fn resolve(state: &State, r: KeyRef) -> Result<u8, Exception> {
    let k = match r {
        KeyRef::Key(k) => k,
        KeyRef::Alias(a) => state.aliases[a as usize].ok_or(Exception::NotFoundException)?,
    };
    if state.keys[k as usize].state == KeyState::Deleted {
        Err(Exception::NotFoundException)
    } else {
        Ok(k)
    }
}

/// The period of automatic rotation for a newly enabled setting.
fn rotation_days(rules: &Rules, key: &Key, requested: Option<u32>) -> u32 {
    if key.is_managed() {
        rules.managed_rotation_days
    } else {
        requested.unwrap_or(rules.default_rotation_days)
    }
}

/// A new backing key becomes current (spec §4).
fn rotate(key: &mut Key, now: Time, t: RotationType) -> u8 {
    let v = key.versions;
    key.versions += 1;
    key.rotations.push(RotationRecord {
        version: v,
        date: now,
        rotation_type: t,
    });
    v
}

/// The state error of spec §3 for cryptography and most other operations.
/// Sets `alarm` when the refusal names a key pending deletion.
fn state_error(key: &Key, disabled_is_error: bool) -> Option<(Exception, bool)> {
    match key.state {
        KeyState::Enabled => None,
        KeyState::Disabled if disabled_is_error => Some((Exception::DisabledException, false)),
        KeyState::Disabled => None,
        KeyState::PendingDeletion => Some((Exception::KMSInvalidStateException, true)),
        KeyState::PendingImport => Some((Exception::KMSInvalidStateException, false)),
        KeyState::Deleted => Some((Exception::NotFoundException, false)),
    }
}

macro_rules! fail {
    ($e:expr) => {
        return Response::err($e)
    };
}

/// Refuse because of the key's state; record the pending-deletion alarm.
fn refuse(_state: &mut State, _k: u8, e: Exception, alarm: bool) -> Response {
    Response {
        outcome: Err(e),
        alarm,
    }
}

/// Apply a non-time action deterministically (the reference's choice).
fn apply(rules: &Rules, s: &mut State, action: &Action) -> Response {
    let now = s.now;
    match *action {
        Action::CreateKey { origin } => {
            s.keys.push(Key::new(origin, Manager::Customer));
            let k = (s.keys.len() - 1) as u8;
            Response::ok(OkSummary::Key {
                key: k,
                state: s.keys[k as usize].state,
            })
        }
        Action::UseManagedAlias => {
            let k = match s.keys.iter().position(|k| k.manager == Manager::Aws) {
                Some(i) => i as u8,
                None => {
                    let mut key = Key::new(Origin::AwsKms, Manager::Aws);
                    key.rotation = Some(RotationSetting {
                        period_days: rules.managed_rotation_days,
                        next: now + rules.managed_rotation_days as Time * DAY,
                    });
                    s.keys.push(key);
                    (s.keys.len() - 1) as u8
                }
            };
            Response::ok(OkSummary::Key {
                key: k,
                state: s.keys[k as usize].state,
            })
        }
        Action::DescribeKey { key } => match resolve(s, key) {
            Ok(k) => Response::ok(OkSummary::Key {
                key: k,
                state: s.keys[k as usize].state,
            }),
            Err(e) => Response::err(e),
        },
        Action::Encrypt { key, ctx } => encrypt(s, key, ctx),
        Action::GenerateDataKey { key } => encrypt(s, key, Ctx::A),
        Action::Decrypt { ct, ctx, key } => match decrypt(s, ct, ctx, key, false) {
            Ok((k, v)) => Response::ok(OkSummary::Decrypted { key: k, version: v }),
            Err(r) => r,
        },
        Action::DecryptTampered { ct } => {
            match decrypt(s, ct, s.ciphertexts[ct as usize].ctx, None, true) {
                Ok((k, v)) => Response::ok(OkSummary::Decrypted { key: k, version: v }),
                Err(r) => r,
            }
        }
        Action::ReEncrypt { ct, dest } => {
            // (a) every KeyId given is resolved first.
            let d = match resolve(s, dest) {
                Ok(d) => d,
                Err(e) => fail!(e),
            };
            let c = s.ciphertexts[ct as usize];
            if let Err(r) = decrypt(s, ct, c.ctx, None, false) {
                return r;
            }
            if let Some((e, alarm)) = state_error(&s.keys[d as usize], true) {
                return refuse(s, d, e, alarm);
            }
            let v = s.keys[d as usize].versions - 1;
            s.ciphertexts.push(Ciphertext {
                key: d,
                version: v,
                ctx: c.ctx,
            });
            Response::ok(OkSummary::Encrypted {
                ct: (s.ciphertexts.len() - 1) as u8,
                key: d,
                version: v,
            })
        }
        Action::EnableKey { key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let kk = &s.keys[key as usize];
            if kk.is_managed() {
                return Response::ok(OkSummary::Done {
                    key,
                    state: kk.state,
                });
            }
            if let Some((e, alarm)) = state_error(kk, false) {
                return refuse(s, key, e, alarm);
            }
            let k = &mut s.keys[key as usize];
            k.state = KeyState::Enabled;
            // Catch-up rotation (spec §4).
            if let Some(r) = k.rotation
                && r.next <= now
            {
                rotate(k, now, RotationType::Automatic);
                k.rotation = Some(RotationSetting {
                    period_days: r.period_days,
                    next: now + r.period_days as Time * DAY,
                });
            }
            Response::ok(OkSummary::Done {
                key,
                state: KeyState::Enabled,
            })
        }
        Action::DisableKey { key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let kk = &s.keys[key as usize];
            if kk.is_managed() {
                fail!(Exception::UnsupportedOperationException)
            }
            if let Some((e, alarm)) = state_error(kk, false) {
                return refuse(s, key, e, alarm);
            }
            s.keys[key as usize].state = KeyState::Disabled;
            Response::ok(OkSummary::Done {
                key,
                state: KeyState::Disabled,
            })
        }
        Action::EnableKeyRotation { key, period_days } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            if let Some(p) = period_days
                && (!rules.rotation_period_configurable
                    || p < rules.min_rotation_days
                    || p > rules.max_rotation_days)
            {
                fail!(Exception::ValidationException)
            }
            let kk = &s.keys[key as usize];
            if kk.is_managed() || kk.origin == Origin::External {
                fail!(Exception::UnsupportedOperationException)
            }
            if let Some((e, alarm)) = state_error(kk, true) {
                return refuse(s, key, e, alarm);
            }
            let period = rotation_days(rules, kk, period_days);
            let k = &mut s.keys[key as usize];
            match k.rotation {
                Some(r) if period_days.is_none() || period_days == Some(r.period_days) => {}
                _ => {
                    k.rotation = Some(RotationSetting {
                        period_days: period,
                        next: now + period as Time * DAY,
                    })
                }
            }
            Response::ok(OkSummary::Done {
                key,
                state: k.state,
            })
        }
        Action::DisableKeyRotation { key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let kk = &s.keys[key as usize];
            if kk.is_managed() || kk.origin == Origin::External {
                fail!(Exception::UnsupportedOperationException)
            }
            if let Some((e, alarm)) = state_error(kk, true) {
                return refuse(s, key, e, alarm);
            }
            let k = &mut s.keys[key as usize];
            k.rotation = None;
            Response::ok(OkSummary::Done {
                key,
                state: k.state,
            })
        }
        Action::GetKeyRotationStatus { key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let k = &s.keys[key as usize];
            if k.origin == Origin::External {
                fail!(Exception::UnsupportedOperationException)
            }
            let (enabled, next, period) = rotation_report(k);
            Response::ok(OkSummary::RotationStatus {
                enabled,
                next,
                period_days: period,
            })
        }
        Action::RotateKeyOnDemand { key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            if !rules.on_demand_rotation {
                fail!(Exception::UnsupportedOperationException)
            }
            let kk = &s.keys[key as usize];
            if kk.is_managed() {
                fail!(Exception::UnsupportedOperationException)
            }
            if let Some((e, alarm)) = state_error(kk, true) {
                return refuse(s, key, e, alarm);
            }
            if kk.origin == Origin::External && kk.pending.is_none() {
                fail!(Exception::KMSInvalidStateException)
            }
            if kk.on_demand_count as u32 >= rules.on_demand_limit {
                fail!(Exception::LimitExceededException)
            }
            if let Some(r) = kk.rotation
                && r.next <= now + CONFLICT_WINDOW
            {
                fail!(Exception::ConflictException)
            }
            let k = &mut s.keys[key as usize];
            if let Some(p) = k.pending.take() {
                k.materials.push(p);
            }
            let v = rotate(k, now, RotationType::OnDemand);
            k.on_demand_count += 1;
            Response::ok(OkSummary::Rotated { key, version: v })
        }
        Action::ScheduleKeyDeletion { key, window_days } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let w = window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
            if !(MIN_PENDING_WINDOW_DAYS..=MAX_PENDING_WINDOW_DAYS).contains(&w) {
                fail!(Exception::ValidationException)
            }
            let kk = &s.keys[key as usize];
            if kk.is_managed() {
                fail!(Exception::UnsupportedOperationException)
            }
            if kk.state == KeyState::PendingDeletion {
                return refuse(s, key, Exception::KMSInvalidStateException, true);
            }
            let k = &mut s.keys[key as usize];
            let dd = now + w as Time * DAY;
            k.state = KeyState::PendingDeletion;
            k.deletion_date = Some(dd);
            Response::ok(OkSummary::Scheduled {
                key,
                deletion_date: dd,
                window_days: w,
            })
        }
        Action::CancelKeyDeletion { key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let k = &mut s.keys[key as usize];
            if k.state != KeyState::PendingDeletion {
                fail!(Exception::KMSInvalidStateException)
            }
            k.deletion_date = None;
            k.state = if k.all_material_present() {
                KeyState::Disabled
            } else {
                KeyState::PendingImport
            };
            Response::ok(OkSummary::Done {
                key,
                state: k.state,
            })
        }
        Action::GetParametersForImport { key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let kk = &s.keys[key as usize];
            if kk.origin == Origin::AwsKms {
                fail!(Exception::UnsupportedOperationException)
            }
            if kk.state == KeyState::PendingDeletion {
                return refuse(s, key, Exception::KMSInvalidStateException, true);
            }
            let k = &mut s.keys[key as usize];
            let valid_to = now + IMPORT_TOKEN_LIFETIME;
            k.token = Some(Token::Valid { valid_to });
            k.tokens_issued = (k.tokens_issued + 1).min(2);
            Response::ok(OkSummary::ImportParameters { key, valid_to })
        }
        Action::ImportKeyMaterial {
            key,
            token,
            material,
            import_type,
            expires,
        } => import(rules, s, key, token, material, import_type, expires),
        Action::DeleteImportedKeyMaterial { key, material } => {
            delete_material(rules, s, key, material)
        }
        Action::CreateAlias { alias, key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            let slot = match alias {
                AliasName::Malformed => fail!(Exception::InvalidAliasNameException),
                AliasName::Reserved => fail!(Exception::NotAuthorizedException),
                AliasName::Slot(a) => a,
            };
            let kk = &s.keys[key as usize];
            if kk.is_managed() {
                fail!(Exception::UnsupportedOperationException)
            }
            if kk.state == KeyState::PendingDeletion {
                return refuse(s, key, Exception::KMSInvalidStateException, true);
            }
            if s.aliases[slot as usize].is_some() {
                fail!(Exception::AlreadyExistsException)
            }
            s.aliases[slot as usize] = Some(key);
            Response::ok(OkSummary::AliasDone)
        }
        Action::UpdateAlias { alias, key } => {
            if let Err(e) = resolve(s, KeyRef::Key(key)) {
                fail!(e)
            }
            if s.aliases[alias as usize].is_none() {
                fail!(Exception::NotFoundException)
            }
            let kk = &s.keys[key as usize];
            if kk.is_managed() {
                fail!(Exception::UnsupportedOperationException)
            }
            if kk.state == KeyState::PendingDeletion {
                return refuse(s, key, Exception::KMSInvalidStateException, true);
            }
            s.aliases[alias as usize] = Some(key);
            Response::ok(OkSummary::AliasDone)
        }
        Action::DeleteAlias { alias } => {
            if s.aliases[alias as usize].take().is_none() {
                fail!(Exception::NotFoundException)
            }
            Response::ok(OkSummary::AliasDone)
        }
        Action::Advance(_) => unreachable!("handled by advance_outcomes"),
    }
}

/// What GetKeyRotationStatus reports: (enabled, NextRotationDate, period).
fn rotation_report(k: &Key) -> (bool, Option<Time>, Option<u32>) {
    if k.state == KeyState::PendingDeletion && !k.is_managed() {
        return (false, None, None);
    }
    match k.rotation {
        Some(r) => (true, Some(r.next), Some(r.period_days)),
        None => (false, None, None),
    }
}

fn encrypt(s: &mut State, key: KeyRef, ctx: Ctx) -> Response {
    let k = match resolve(s, key) {
        Ok(k) => k,
        Err(e) => fail!(e),
    };
    if let Some((e, alarm)) = state_error(&s.keys[k as usize], true) {
        return refuse(s, k, e, alarm);
    }
    let v = s.keys[k as usize].versions - 1;
    s.ciphertexts.push(Ciphertext {
        key: k,
        version: v,
        ctx,
    });
    Response::ok(OkSummary::Encrypted {
        ct: (s.ciphertexts.len() - 1) as u8,
        key: k,
        version: v,
    })
}

/// Decrypt in the order of decisions.md: (a) given key resolved, (b) parse,
/// (c) IncorrectKey, (d) the ciphertext's key deleted, (e) state, (f) authentication.
fn decrypt(
    s: &mut State,
    ct: u8,
    ctx: Ctx,
    key: Option<KeyRef>,
    tampered: bool,
) -> Result<(u8, u8), Response> {
    let given = match key.map(|r| resolve(s, r)) {
        Some(Err(e)) => return Err(Response::err(e)),
        Some(Ok(k)) => Some(k),
        None => None,
    };
    let c = s.ciphertexts[ct as usize];
    if given.is_some_and(|g| g != c.key) {
        return Err(Response::err(Exception::IncorrectKeyException));
    }
    let kk = &s.keys[c.key as usize];
    if kk.state == KeyState::Deleted {
        return Err(Response::err(Exception::NotFoundException));
    }
    if let Some((e, alarm)) = state_error(kk, true) {
        return Err(refuse(s, c.key, e, alarm));
    }
    if tampered || ctx != c.ctx || !kk.version_usable(c.version) {
        return Err(Response::err(Exception::InvalidCiphertextException));
    }
    Ok((c.key, c.version))
}

#[allow(clippy::too_many_arguments)]
fn import(
    rules: &Rules,
    s: &mut State,
    key: u8,
    token: TokenRef,
    material: u8,
    import_type: Option<ImportType>,
    expires: ValidToChoice,
) -> Response {
    let now = s.now;
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    // Validation of the arguments: ImportType exists only under `current`.
    if import_type.is_some() && !rules.new_key_material_import {
        fail!(Exception::ValidationException)
    }
    let kk = &s.keys[key as usize];
    if kk.origin == Origin::AwsKms {
        fail!(Exception::UnsupportedOperationException)
    }
    if kk.state == KeyState::PendingDeletion {
        return refuse(s, key, Exception::KMSInvalidStateException, true);
    }
    // Token checks, in order (decisions.md).
    match token {
        TokenRef::Forged | TokenRef::OtherKey | TokenRef::Superseded => {
            fail!(Exception::InvalidImportTokenException)
        }
        TokenRef::Latest => match kk.token {
            Some(Token::Valid { valid_to }) if now < valid_to => {}
            _ => fail!(Exception::ExpiredImportTokenException),
        },
    }
    // Material.
    let associated = kk.materials.iter().position(|m| m.id == material);
    enum Target {
        First,
        Existing(usize),
        Pending,
    }
    let target = if kk.materials.is_empty() {
        match import_type {
            Some(ImportType::ExistingKeyMaterial) => {
                fail!(Exception::IncorrectKeyMaterialException)
            }
            _ => Target::First,
        }
    } else if !rules.new_key_material_import {
        match associated {
            Some(i) => Target::Existing(i),
            None => fail!(Exception::IncorrectKeyMaterialException),
        }
    } else {
        match import_type.unwrap_or(ImportType::ExistingKeyMaterial) {
            ImportType::ExistingKeyMaterial => match associated {
                Some(i) => Target::Existing(i),
                None => fail!(Exception::IncorrectKeyMaterialException),
            },
            ImportType::NewKeyMaterial => {
                // decisions.md: a PendingImport key that had material waits for
                // its own material; then "another material pending" is checked
                // before "material already known".
                if kk.state == KeyState::PendingImport {
                    fail!(Exception::IncorrectKeyMaterialException)
                }
                if kk.pending.is_some() {
                    fail!(Exception::KMSInvalidStateException)
                }
                if associated.is_some() {
                    fail!(Exception::IncorrectKeyMaterialException)
                }
                Target::Pending
            }
        }
    };
    // ExpirationModel / ValidTo.
    let valid_to = match expires {
        ValidToChoice::DoesNotExpire => None,
        ValidToChoice::In(d) if d > 0 && d <= MAX_VALID_TO => Some(now + d),
        ValidToChoice::In(_)
        | ValidToChoice::TooFar
        | ValidToChoice::Past
        | ValidToChoice::MissingValidTo => fail!(Exception::ValidationException),
    };
    let m = Material {
        id: material,
        present: true,
        valid_to,
    };
    let k = &mut s.keys[key as usize];
    let version = match target {
        Target::First => {
            k.materials.push(m);
            k.versions = 1;
            Some(0)
        }
        Target::Existing(i) => {
            k.materials[i] = m;
            Some(i as u8)
        }
        Target::Pending => {
            k.pending = Some(m);
            None
        }
    };
    if k.state == KeyState::PendingImport && k.all_material_present() {
        k.state = KeyState::Enabled;
    }
    Response::ok(OkSummary::Imported {
        key,
        version,
        state: k.state,
    })
}

/// DeleteImportedKeyMaterial (spec §2, §3, §5; decisions.md): deletes exactly
/// the named material (default: the current one) and nothing else. Deleting a
/// permanently associated material (CURRENT or NON_CURRENT) puts an Enabled or
/// Disabled key in PendingImport; PendingDeletion and PendingImport keys keep
/// their state; deleting PENDING_ROTATION material changes no state.
fn delete_material(
    rules: &Rules,
    s: &mut State,
    key: u8,
    material: Option<MaterialRef>,
) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    // Argument validation: KeyMaterialId exists only under `current`
    // (after the key, before origin, as ImportType).
    if material.is_some() && !rules.key_material_ids {
        fail!(Exception::ValidationException)
    }
    let k = &mut s.keys[key as usize];
    if k.origin == Origin::AwsKms {
        fail!(Exception::UnsupportedOperationException)
    }
    let permanent = match material {
        None => k.materials.len().checked_sub(1),
        Some(MaterialRef::Version(v)) if (v as usize) < k.materials.len() => Some(v as usize),
        Some(MaterialRef::Pending) if k.pending.is_some() => {
            k.pending = None;
            None
        }
        Some(_) => fail!(Exception::NotFoundException),
    };
    if let Some(i) = permanent {
        let m = &mut k.materials[i];
        m.present = false;
        m.valid_to = None;
        if matches!(k.state, KeyState::Enabled | KeyState::Disabled) {
            k.state = KeyState::PendingImport;
        }
    }
    Response::ok(OkSummary::Done {
        key,
        state: k.state,
    })
}

// ---------------------------------------------------------------------------
// The clock (spec §10)
// ---------------------------------------------------------------------------

/// Clock steps worth taking from `state`: a minute, twenty minutes, a day, a
/// week and a year, then one second before, on (twice, for weight) and one
/// second after the next deadline ([`next_deadline`]), where the rules change.
/// The differential generator and the oracle both draw from these, so they
/// probe the same instants.
pub fn deadline_steps(state: &State) -> Vec<Time> {
    let mut steps = vec![60, 20 * 60, DAY, 7 * DAY, 365 * DAY];
    if let Some(d) = next_deadline(state)
        && d > state.now
    {
        let gap = d - state.now;
        steps.extend([gap, gap, gap + 1]);
        if gap > 1 {
            steps.push(gap - 1);
        }
    }
    steps
}

/// The earliest pending deadline after `now`: NextRotationDate of an Enabled
/// key with rotation on, DeletionDate, a material's ValidTo (current,
/// non-current or pending), an import token's expiry.
pub fn next_deadline(state: &State) -> Option<Time> {
    let now = state.now;
    let mut best: Option<Time> = None;
    let mut consider = |t: Time| {
        if t > now && best.is_none_or(|b| t < b) {
            best = Some(t);
        }
    };
    for k in &state.keys {
        if k.state == KeyState::Deleted {
            continue;
        }
        if k.state == KeyState::Enabled
            && let Some(r) = k.rotation
        {
            consider(r.next);
        }
        if let Some(d) = k.deletion_date {
            consider(d);
        }
        for m in k.materials.iter().chain(k.pending.iter()) {
            if let Some(v) = m.valid_to {
                consider(v);
            }
        }
        if let Some(Token::Valid { valid_to }) = k.token {
            consider(valid_to);
        }
    }
    best
}

/// The state at time `t ≥ now` (the reference's behaviour: every clock event
/// exactly at its instant).
pub fn advance_to(rules: &Rules, state: &State, t: Time) -> State {
    let mut s = state.clone();
    advance_inner(rules, &mut s, t, &[]);
    s
}

fn advance_outcomes(
    rules: &Rules,
    config: &Config,
    state: &State,
    t: Time,
) -> Vec<(Response, State)> {
    let resp = Response::ok(OkSummary::Advanced { now: t });
    let mut s = state.clone();
    advance_inner(rules, &mut s, t, &[]);
    let mut out = vec![(resp, s)];
    if config.lenient {
        // Keys whose deletion an implementation may still be late for at `t`.
        let late: Vec<usize> = state
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                k.state == KeyState::PendingDeletion
                    && k.deletion_date
                        .is_some_and(|d| d <= t && t < d + DELETION_GRACE)
            })
            .map(|(i, _)| i)
            .collect();
        for mask in 1u32..(1 << late.len()) {
            let keep: Vec<usize> = late
                .iter()
                .enumerate()
                .filter(|(b, _)| mask & (1 << b) != 0)
                .map(|(_, &i)| i)
                .collect();
            let mut s = state.clone();
            advance_inner(rules, &mut s, t, &keep);
            out.push((resp, s));
        }
    }
    out
}

/// Apply every event due in `(now, t]` in time order; at one instant:
/// deletion, material expiry, token expiry, rotation. Keys in `keep` are not
/// deleted (lenient mode only). A key already past its DeletionDate (possible
/// only in lenient mode) is deleted at the first instant processed.
fn advance_inner(rules: &Rules, s: &mut State, t: Time, keep: &[usize]) {
    let _ = rules;
    loop {
        let e = match next_deadline(s) {
            Some(e) if e <= t => e,
            _ => break,
        };
        s.now = e;
        apply_events_at(s, e, keep);
    }
    s.now = t;
    // Late deletions (lenient) that are now past their grace must happen.
    apply_events_at(s, t, keep);
}

fn apply_events_at(s: &mut State, e: Time, keep: &[usize]) {
    // 1. Deletion.
    for i in 0..s.keys.len() {
        let k = &s.keys[i];
        if k.state == KeyState::PendingDeletion
            && k.deletion_date.is_some_and(|d| d <= e)
            && !keep.contains(&i)
        {
            s.keys[i] = k.tombstone();
            for a in s.aliases.iter_mut() {
                if *a == Some(i as u8) {
                    *a = None;
                }
            }
        }
    }
    for k in s.keys.iter_mut() {
        if k.state == KeyState::Deleted {
            continue;
        }
        // 2. Material expiry.
        let mut lost = false;
        for m in k.materials.iter_mut() {
            if m.valid_to.is_some_and(|v| v <= e) {
                m.present = false;
                m.valid_to = None;
                lost = true;
            }
        }
        if k.pending
            .is_some_and(|p| p.valid_to.is_some_and(|v| v <= e))
        {
            k.pending = None;
        }
        if lost && matches!(k.state, KeyState::Enabled | KeyState::Disabled) {
            k.state = KeyState::PendingImport;
        }
        // Token expiry (not observable except through ExpiredImportTokenException).
        if let Some(Token::Valid { valid_to }) = k.token
            && valid_to <= e
        {
            k.token = Some(Token::Expired);
        }
        // 3. Rotation.
        if k.state == KeyState::Enabled
            && let Some(r) = k.rotation
            && r.next == e
        {
            rotate(k, e, RotationType::Automatic);
            k.rotation = Some(RotationSetting {
                period_days: r.period_days,
                next: r.next + r.period_days as Time * DAY,
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Observation (for the differential tests)
// ---------------------------------------------------------------------------

/// What an implementation must agree on about one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyObservation {
    pub state: KeyState,
    pub origin: Origin,
    pub manager: Manager,
    /// DescribeKey's `Enabled` (true iff Enabled).
    pub enabled: bool,
    pub deletion_date: Option<Time>,
    /// As GetKeyRotationStatus reports it (false for EXTERNAL keys and keys
    /// pending deletion; always true for AWS managed keys).
    pub rotation_enabled: bool,
    pub next_rotation_date: Option<Time>,
    pub rotation_period_days: Option<u32>,
    /// ListKeyRotations.
    pub rotations: Vec<RotationRecord>,
    /// `None` while the key never had material.
    pub current_version: Option<u8>,
    pub versions: u8,
    /// The alias slots that name the key.
    pub aliases: Vec<u8>,
    /// ListKeyRotations(IncludeKeyMaterial=ALL_KEY_MATERIAL): every material
    /// in version order, then the one pending rotation (spec §5).
    pub materials: Vec<MaterialObservation>,
    /// DescribeKey's `ValidTo`: the earliest expiry among the permanently
    /// associated materials that are present (EXTERNAL keys).
    pub valid_to: Option<Time>,
}

/// `KeyMaterialState` of a ListKeyRotations entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MaterialState {
    Current,
    NonCurrent,
    PendingRotation,
}

/// One ListKeyRotations(ALL_KEY_MATERIAL) entry as the model predicts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaterialObservation {
    /// The backing-key version; `None` for material pending rotation.
    pub version: Option<u8>,
    pub state: MaterialState,
    /// EXTERNAL keys: `ImportState` IMPORTED (true) or PENDING_IMPORT (false);
    /// `None` for AWS_KMS keys.
    pub imported: Option<bool>,
    /// EXTERNAL keys with imported material: `Some(valid_to)` where
    /// `valid_to` is `Some` for KEY_MATERIAL_EXPIRES and `None` for
    /// KEY_MATERIAL_DOES_NOT_EXPIRE; `None` when no material is imported.
    pub expiration: Option<Option<Time>>,
    /// The rotation that made it (RotationDate, RotationType); `None` for the
    /// first material and for pending material.
    pub rotation: Option<(Time, RotationType)>,
}

/// The materials of key `k` as ListKeyRotations(ALL_KEY_MATERIAL) lists them.
pub fn observe_materials(k: &Key) -> Vec<MaterialObservation> {
    if k.state == KeyState::Deleted {
        return Vec::new();
    }
    let current = k.versions.checked_sub(1);
    let rotation = |v: u8| {
        k.rotations
            .iter()
            .find(|r| r.version == v)
            .map(|r| (r.date, r.rotation_type))
    };
    let state = |v: u8| {
        if Some(v) == current {
            MaterialState::Current
        } else {
            MaterialState::NonCurrent
        }
    };
    let mut out: Vec<MaterialObservation> = match k.origin {
        Origin::AwsKms => (0..k.versions)
            .map(|v| MaterialObservation {
                version: Some(v),
                state: state(v),
                imported: None,
                expiration: None,
                rotation: rotation(v),
            })
            .collect(),
        Origin::External => k
            .materials
            .iter()
            .enumerate()
            .map(|(v, m)| MaterialObservation {
                version: Some(v as u8),
                state: state(v as u8),
                imported: Some(m.present),
                expiration: m.present.then_some(m.valid_to),
                rotation: rotation(v as u8),
            })
            .collect(),
    };
    if let Some(p) = k.pending {
        out.push(MaterialObservation {
            version: None,
            state: MaterialState::PendingRotation,
            imported: Some(true),
            expiration: Some(p.valid_to),
            rotation: None,
        });
    }
    out
}

/// Observe key `key_index`. Panics when the index is out of range.
pub fn observe(state: &State, key_index: usize) -> KeyObservation {
    let k = &state.keys[key_index];
    let (rotation_enabled, next, period) = if k.state == KeyState::Deleted {
        (false, None, None)
    } else {
        rotation_report(k)
    };
    KeyObservation {
        state: k.state,
        origin: k.origin,
        manager: k.manager,
        enabled: k.state == KeyState::Enabled,
        deletion_date: k.deletion_date,
        rotation_enabled,
        next_rotation_date: next,
        rotation_period_days: period,
        rotations: k.rotations.clone(),
        current_version: k.versions.checked_sub(1),
        versions: k.versions,
        aliases: state
            .aliases
            .iter()
            .enumerate()
            .filter(|(_, a)| **a == Some(key_index as u8))
            .map(|(i, _)| i as u8)
            .collect(),
        materials: observe_materials(k),
        valid_to: k
            .materials
            .iter()
            .filter(|m| m.present)
            .filter_map(|m| m.valid_to)
            .min(),
    }
}

/// What Decrypt of ciphertext `ct_index` with context `ctx` (no KeyId) answers
/// now: the backing-key version, or the exception. Panics when out of range.
pub fn decrypt_outcome(state: &State, ct_index: usize, ctx: Ctx) -> Result<u8, Exception> {
    let mut s = state.clone();
    match decrypt(&mut s, ct_index as u8, ctx, None, false) {
        Ok((_, v)) => Ok(v),
        Err(r) => Err(r.outcome.expect_err("decrypt failure is an error")),
    }
}

/// A one-line summary of the state, for counterexamples.
pub fn summary(state: &State) -> String {
    use std::fmt::Write;
    let mut out = format!("t={}", fmt_time(state.now));
    for (i, k) in state.keys.iter().enumerate() {
        let _ = write!(
            out,
            " | k{i}:{}{}{}",
            k.state.name(),
            if k.origin == Origin::External {
                ",EXT"
            } else {
                ""
            },
            if k.is_managed() { ",AWS" } else { "" },
        );
        if k.state == KeyState::Deleted {
            continue;
        }
        let _ = write!(out, ",v{}", k.versions);
        if k.oldest_retained > 0 {
            let _ = write!(out, ",oldest={}", k.oldest_retained);
        }
        if let Some(r) = k.rotation {
            let _ = write!(out, ",rot={}d@{}", r.period_days, fmt_time(r.next));
        }
        if let Some(d) = k.deletion_date {
            let _ = write!(out, ",del@{}", fmt_time(d));
        }
        for (v, m) in k.materials.iter().enumerate() {
            let _ = write!(
                out,
                ",m{v}=#{}{}",
                m.id,
                if !m.present {
                    "(gone)".to_string()
                } else if let Some(t) = m.valid_to {
                    format!("(to {})", fmt_time(t))
                } else {
                    String::new()
                }
            );
        }
        if let Some(p) = k.pending {
            let _ = write!(out, ",pending=#{}", p.id);
        }
        match k.token {
            Some(Token::Valid { valid_to }) => {
                let _ = write!(out, ",token<{}", fmt_time(valid_to));
            }
            Some(Token::Expired) => out.push_str(",token expired"),
            None => {}
        }
        if k.on_demand_count > 0 {
            let _ = write!(out, ",od={}", k.on_demand_count);
        }
    }
    for (a, t) in state.aliases.iter().enumerate() {
        if let Some(k) = t {
            let _ = write!(out, " | alias{a}->k{k}");
        }
    }
    if !state.ciphertexts.is_empty() {
        out.push_str(" | ct:");
        for c in &state.ciphertexts {
            let _ = write!(out, " k{}v{}{:?}", c.key, c.version, c.ctx);
        }
    }
    out
}

/// `12d+3600s` style.
pub fn fmt_time(t: Time) -> String {
    let (d, r) = (t / DAY, t % DAY);
    match (d, r) {
        (0, r) => format!("{r}s"),
        (d, 0) => format!("{d}d"),
        (d, r) => format!("{d}d+{r}s"),
    }
}
