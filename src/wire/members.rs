//! The members of each request as AWS's request validation sees them
//! ([`Member`], [`Shape`]), the member lists of the operations, and what
//! decoding left of a request's members ([`Decoded`]).

use crate::api::*;

/// One member of a request, as AWS's request validation sees it: before the
/// body is decoded into the request type and before the service (the store)
/// sees the call. A missing member cannot be told from an empty one once
/// decoded (`KeyId` decodes to `""`), so this is the layer that can answer
/// `Value null at 'keyId'` as AWS does.
#[derive(Clone, Copy)]
pub(super) struct Member {
    /// The JSON name (PascalCase).
    pub(super) name: &'static str,
    /// AWS's name of the member in validation messages (camelCase).
    pub(super) path: &'static str,
    /// Must be present and not `null`.
    pub(super) required: bool,
    pub(super) shape: Shape,
}

/// The JSON shape of a member. A value of another JSON type is left to the
/// decoder (SerializationException, which AWS also answers before it
/// validates).
#[derive(Clone, Copy)]
pub(super) enum Shape {
    /// A string (blobs are base64 strings).
    Str,
    /// A string of one of these values.
    Enum(&'static [&'static str]),
    /// A JSON integer.
    Int,
    /// A JSON number (timestamps).
    Num,
    /// `true` or `false`.
    Bool,
    /// A list of strings.
    StrList,
    /// An object of string values (encryption context).
    StrMap,
    /// A list of `{"TagKey": .., "TagValue": ..}`, both required.
    Tags,
}

pub(super) const fn required(name: &'static str, path: &'static str, shape: Shape) -> Member {
    Member {
        name,
        path,
        required: true,
        shape,
    }
}

const fn optional(name: &'static str, path: &'static str, shape: Shape) -> Member {
    Member {
        name,
        path,
        required: false,
        shape,
    }
}

// The members of each request, in the order of the AWS service model (which is
// the order in which several errors are listed).
const KEY_ID: Member = required("KeyId", "keyId", Shape::Str);
const GRANT_TOKENS: Member = optional("GrantTokens", "grantTokens", Shape::StrList);
const ENCRYPTION_CONTEXT: Member =
    optional("EncryptionContext", "encryptionContext", Shape::StrMap);
const DRY_RUN: Member = optional("DryRun", "dryRun", Shape::Bool);
const LIMIT: Member = optional("Limit", "limit", Shape::Int);
const MARKER: Member = optional("Marker", "marker", Shape::Str);

pub(super) const KEY_ID_ONLY: &[Member] = &[KEY_ID];
pub(super) const LIST: &[Member] = &[LIMIT, MARKER];
pub(super) const LIST_BY_KEY: &[Member] = &[KEY_ID, LIMIT, MARKER];
pub(super) const LIST_KEY_ROTATIONS: &[Member] = &[
    KEY_ID,
    optional(
        "IncludeKeyMaterial",
        "includeKeyMaterial",
        Shape::Enum(IncludeKeyMaterial::VALUES),
    ),
    LIMIT,
    MARKER,
];
pub(super) const DELETE_IMPORTED_KEY_MATERIAL: &[Member] = &[
    KEY_ID,
    optional("KeyMaterialId", "keyMaterialId", Shape::Str),
];
pub(super) const LIST_ALIASES: &[Member] = &[optional("KeyId", "keyId", Shape::Str), LIMIT, MARKER];
pub(super) const CREATE_KEY: &[Member] = &[
    optional("Policy", "policy", Shape::Str),
    optional("Description", "description", Shape::Str),
    optional("KeyUsage", "keyUsage", Shape::Enum(KeyUsage::VALUES)),
    optional(
        "CustomerMasterKeySpec",
        "customerMasterKeySpec",
        Shape::Enum(CustomerMasterKeySpec::VALUES),
    ),
    optional("KeySpec", "keySpec", Shape::Enum(KeySpec::VALUES)),
    optional("Origin", "origin", Shape::Enum(Origin::VALUES)),
    optional(
        "BypassPolicyLockoutSafetyCheck",
        "bypassPolicyLockoutSafetyCheck",
        Shape::Bool,
    ),
    optional("Tags", "tags", Shape::Tags),
    optional("MultiRegion", "multiRegion", Shape::Bool),
];
const POLICY_NAME: Member = optional("PolicyName", "policyName", Shape::Str);
pub(super) const GET_KEY_POLICY: &[Member] = &[KEY_ID, POLICY_NAME];
pub(super) const PUT_KEY_POLICY: &[Member] = &[
    KEY_ID,
    POLICY_NAME,
    required("Policy", "policy", Shape::Str),
    optional(
        "BypassPolicyLockoutSafetyCheck",
        "bypassPolicyLockoutSafetyCheck",
        Shape::Bool,
    ),
];
pub(super) const UPDATE_KEY_DESCRIPTION: &[Member] =
    &[KEY_ID, required("Description", "description", Shape::Str)];
pub(super) const TAG_RESOURCE: &[Member] = &[KEY_ID, required("Tags", "tags", Shape::Tags)];
pub(super) const UNTAG_RESOURCE: &[Member] =
    &[KEY_ID, required("TagKeys", "tagKeys", Shape::StrList)];
const ENCRYPTION_ALGORITHM: Shape = Shape::Enum(EncryptionAlgorithm::VALUES);
pub(super) const ENCRYPT: &[Member] = &[
    KEY_ID,
    required("Plaintext", "plaintext", Shape::Str),
    ENCRYPTION_CONTEXT,
    GRANT_TOKENS,
    optional(
        "EncryptionAlgorithm",
        "encryptionAlgorithm",
        ENCRYPTION_ALGORITHM,
    ),
    DRY_RUN,
];
pub(super) const DECRYPT: &[Member] = &[
    required("CiphertextBlob", "ciphertextBlob", Shape::Str),
    ENCRYPTION_CONTEXT,
    GRANT_TOKENS,
    optional("KeyId", "keyId", Shape::Str),
    optional(
        "EncryptionAlgorithm",
        "encryptionAlgorithm",
        ENCRYPTION_ALGORITHM,
    ),
    DRY_RUN,
];
pub(super) const RE_ENCRYPT: &[Member] = &[
    required("CiphertextBlob", "ciphertextBlob", Shape::Str),
    optional(
        "SourceEncryptionContext",
        "sourceEncryptionContext",
        Shape::StrMap,
    ),
    optional("SourceKeyId", "sourceKeyId", Shape::Str),
    required("DestinationKeyId", "destinationKeyId", Shape::Str),
    optional(
        "DestinationEncryptionContext",
        "destinationEncryptionContext",
        Shape::StrMap,
    ),
    optional(
        "SourceEncryptionAlgorithm",
        "sourceEncryptionAlgorithm",
        ENCRYPTION_ALGORITHM,
    ),
    optional(
        "DestinationEncryptionAlgorithm",
        "destinationEncryptionAlgorithm",
        ENCRYPTION_ALGORITHM,
    ),
    GRANT_TOKENS,
    DRY_RUN,
];
pub(super) const GENERATE_DATA_KEY: &[Member] = &[
    KEY_ID,
    ENCRYPTION_CONTEXT,
    optional("NumberOfBytes", "numberOfBytes", Shape::Int),
    optional("KeySpec", "keySpec", Shape::Enum(DataKeySpec::VALUES)),
    GRANT_TOKENS,
    DRY_RUN,
];
pub(super) const ENABLE_KEY_ROTATION: &[Member] = &[
    KEY_ID,
    optional("RotationPeriodInDays", "rotationPeriodInDays", Shape::Int),
];
pub(super) const SCHEDULE_KEY_DELETION: &[Member] = &[
    KEY_ID,
    optional("PendingWindowInDays", "pendingWindowInDays", Shape::Int),
];
pub(super) const GET_PARAMETERS_FOR_IMPORT: &[Member] = &[
    KEY_ID,
    required(
        "WrappingAlgorithm",
        "wrappingAlgorithm",
        Shape::Enum(WrappingAlgorithm::VALUES),
    ),
    required(
        "WrappingKeySpec",
        "wrappingKeySpec",
        Shape::Enum(WrappingKeySpec::VALUES),
    ),
];
pub(super) const IMPORT_KEY_MATERIAL: &[Member] = &[
    KEY_ID,
    required("ImportToken", "importToken", Shape::Str),
    required("EncryptedKeyMaterial", "encryptedKeyMaterial", Shape::Str),
    optional("ValidTo", "validTo", Shape::Num),
    optional(
        "ExpirationModel",
        "expirationModel",
        Shape::Enum(ExpirationModel::VALUES),
    ),
    optional("ImportType", "importType", Shape::Enum(ImportType::VALUES)),
];
pub(super) const ALIAS: &[Member] = &[
    required("AliasName", "aliasName", Shape::Str),
    required("TargetKeyId", "targetKeyId", Shape::Str),
];
pub(super) const DELETE_ALIAS: &[Member] = &[required("AliasName", "aliasName", Shape::Str)];

/// What decoding left of a request's members.
pub(super) trait Decoded {
    /// Whether the member `name` decoded to nothing: absent, or the default
    /// an absent member also decodes to (`""`, no bytes, an empty list).
    fn lacks(&self, name: &str) -> bool;
}

impl Decoded for CreateKeyRequest {
    fn lacks(&self, _: &str) -> bool {
        false
    }
}

impl Decoded for KeyIdRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for ListKeyRotationsRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for DeleteImportedKeyMaterialRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for GetKeyPolicyRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for ListKeyPoliciesRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for PutKeyPolicyRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "KeyId" => self.key_id.is_empty(),
            "Policy" => self.policy.is_empty(),
            _ => false,
        }
    }
}

impl Decoded for ListRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.as_deref().is_none_or(str::is_empty)
    }
}

impl Decoded for UpdateKeyDescriptionRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "KeyId" => self.key_id.is_empty(),
            "Description" => self.description.is_empty(),
            _ => false,
        }
    }
}

impl Decoded for TagResourceRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "KeyId" => self.key_id.is_empty(),
            "Tags" => self.tags.is_empty(),
            _ => false,
        }
    }
}

impl Decoded for UntagResourceRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "KeyId" => self.key_id.is_empty(),
            "TagKeys" => self.tag_keys.is_empty(),
            _ => false,
        }
    }
}

impl Decoded for EncryptRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "KeyId" => self.key_id.is_empty(),
            "Plaintext" => self.plaintext.expose().is_empty(),
            _ => false,
        }
    }
}

impl Decoded for DecryptRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "CiphertextBlob" && self.ciphertext_blob.0.is_empty()
    }
}

impl Decoded for ReEncryptRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "CiphertextBlob" => self.ciphertext_blob.0.is_empty(),
            "DestinationKeyId" => self.destination_key_id.is_empty(),
            _ => false,
        }
    }
}

impl Decoded for GenerateDataKeyRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for EnableKeyRotationRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for ScheduleKeyDeletionRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for GetParametersForImportRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "KeyId" && self.key_id.is_empty()
    }
}

impl Decoded for ImportKeyMaterialRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "KeyId" => self.key_id.is_empty(),
            "ImportToken" => self.import_token.0.is_empty(),
            "EncryptedKeyMaterial" => self.encrypted_key_material.0.is_empty(),
            _ => false,
        }
    }
}

impl Decoded for AliasRequest {
    fn lacks(&self, name: &str) -> bool {
        match name {
            "AliasName" => self.alias_name.is_empty(),
            "TargetKeyId" => self.target_key_id.is_empty(),
            _ => false,
        }
    }
}

impl Decoded for DeleteAliasRequest {
    fn lacks(&self, name: &str) -> bool {
        name == "AliasName" && self.alias_name.is_empty()
    }
}
