//! The AWS KMS JSON 1.1 protocol without HTTP: a target name and a JSON body
//! in, a status, a JSON body out. The server ([`crate::server`], feature
//! `server`) is a thin HTTP shell around [`dispatch`], which is also what the
//! fuzz targets drive.

use crate::api::*;
use crate::error::KmsError;
use crate::store::Kms;
use serde::Serialize;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::fmt;

/// The target prefix of AWS KMS operations.
pub const KMS_PREFIX: &str = "TrentService.";
/// The target prefix of the clock-control operations.
pub const CLOCK_PREFIX: &str = "KmsLifecycle.";

/// A protocol-level answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireResponse {
    /// 200, 400, 413 or 500.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
}

impl WireResponse {
    /// A 200 response with `value` as JSON.
    pub fn ok<T: Serialize>(value: &T) -> Self {
        // Encrypt and Decrypt responses of 1 KiB take about 1.5 KiB: one
        // allocation instead of growing from serde_json's default.
        let mut body = Vec::with_capacity(2048);
        match serde_json::to_writer(&mut body, value) {
            Ok(()) => Self { status: 200, body },
            Err(_) => Self::error(
                500,
                "KMSInternalException",
                "Could not serialize the response.",
            ),
        }
    }
    /// An AWS JSON error body `{"__type": .., "message": ..}`.
    pub fn error(status: u16, kind: &str, message: &str) -> Self {
        let body = serde_json::to_vec(&serde_json::json!({ "__type": kind, "message": message }))
            .unwrap_or_else(|_| b"{}".to_vec());
        Self { status, body }
    }
    /// The response of a KMS exception (400, or 500 for faults).
    pub fn from_kms_error(e: &KmsError) -> Self {
        Self::error(if e.is_fault() { 500 } else { 400 }, e.name(), e.message())
    }
}

/// Parses a JSON body into a request, with an AWS-style error that never
/// echoes the input (it may hold plaintext).
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, WireResponse> {
    let body = json_object(body)?;
    serde_json::from_slice(body).map_err(|e| serialization_error(&e))
}

/// [`parse_body`] for an operation whose members are `members`, with AWS's
/// request validation ([`validate`]) where decoding does not settle it.
/// Decoding refuses a `null` required member or an unknown enum value with a
/// serde error, and decodes a missing `KeyId` as `""`: only then is the body
/// scanned, so a well-formed request costs one pass.
fn parse_request<T: DeserializeOwned + Decoded>(
    body: &[u8],
    members: &[Member],
) -> Result<T, WireResponse> {
    let body = json_object(body)?;
    let decoded = serde_json::from_slice::<T>(body);
    let suspect = match &decoded {
        Ok(r) => members.iter().any(|m| m.required && r.lacks(m.name)),
        Err(_) => true,
    };
    if suspect && let Some(e) = validate(body, members) {
        return Err(WireResponse::from_kms_error(&e));
    }
    decoded.map_err(|e| serialization_error(&e))
}

/// The body, if it is a UTF-8 JSON object (an empty body is `{}`).
fn json_object(body: &[u8]) -> Result<&[u8], WireResponse> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    if std::str::from_utf8(body).is_err() {
        return Err(WireResponse::error(
            400,
            "SerializationException",
            "The request body is not valid UTF-8.",
        ));
    }
    // serde would also read a struct from a JSON array: only objects are requests.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(WireResponse::error(
            400,
            "SerializationException",
            "The request body must be a JSON object.",
        ));
    }
    Ok(body)
}

fn serialization_error(e: &serde_json::Error) -> WireResponse {
    let what = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "The request body is not valid JSON"
        }
        serde_json::error::Category::Data => {
            "A member of the request has the wrong type, an invalid value (such as bad base64), or a required member is missing"
        }
        serde_json::error::Category::Io => "The request body could not be read",
    };
    WireResponse::error(
        400,
        "SerializationException",
        &format!("{what} (line {}, column {}).", e.line(), e.column()),
    )
}

fn call<Req: DeserializeOwned + Decoded, Resp: Serialize>(
    body: &[u8],
    members: &[Member],
    f: impl FnOnce(Req) -> Result<Resp, KmsError>,
) -> WireResponse {
    match parse_request::<Req>(body, members) {
        Ok(req) => match f(req) {
            Ok(resp) => WireResponse::ok(&resp),
            Err(e) => WireResponse::from_kms_error(&e),
        },
        Err(r) => r,
    }
}

/// The AWS KMS operations served, in the order of the AWS API reference.
pub const OPERATIONS: &[&str] = &[
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "ListAliases",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ReEncrypt",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
];

/// Access to the store for one call: [`dispatch_with`] decodes and validates
/// the request first, runs only the store's operation inside
/// [`WithStore::with_store`], and encodes the response after it. The server
/// implements it with its lock, so that the lock covers the state transition
/// and nothing else.
pub trait WithStore {
    /// Runs `f` on the store.
    fn with_store<R>(&self, f: impl FnOnce(&mut Kms) -> R) -> R;
}

struct Exclusive<'a>(std::cell::RefCell<&'a mut Kms>);

impl WithStore for Exclusive<'_> {
    fn with_store<R>(&self, f: impl FnOnce(&mut Kms) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }
}

/// Runs one AWS KMS operation (`operation` without the `TrentService.`
/// prefix) on `kms`. Unknown operations answer `UnknownOperationException`.
pub fn dispatch(kms: &mut Kms, operation: &str, body: &[u8]) -> WireResponse {
    dispatch_with(&Exclusive(std::cell::RefCell::new(kms)), operation, body)
}

/// [`dispatch`] on a store reached through `store` (see [`WithStore`]).
pub fn dispatch_with(store: &impl WithStore, operation: &str, body: &[u8]) -> WireResponse {
    match operation {
        "CreateKey" => call(body, CREATE_KEY, |r| {
            store.with_store(|kms| kms.create_key(r))
        }),
        "DescribeKey" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.describe_key(r))
        }),
        "ListKeys" => call(body, LIST, |r| store.with_store(|kms| kms.list_keys(r))),
        "UpdateKeyDescription" => call(body, UPDATE_KEY_DESCRIPTION, |r| {
            store.with_store(|kms| kms.update_key_description(r))
        }),
        "TagResource" => call(body, TAG_RESOURCE, |r| {
            store.with_store(|kms| kms.tag_resource(r))
        }),
        "UntagResource" => call(body, UNTAG_RESOURCE, |r| {
            store.with_store(|kms| kms.untag_resource(r))
        }),
        "ListResourceTags" => call(body, LIST_BY_KEY, |r| {
            store.with_store(|kms| kms.list_resource_tags(r))
        }),
        "EnableKey" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.enable_key(r))
        }),
        "DisableKey" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.disable_key(r))
        }),
        "Encrypt" => call(body, ENCRYPT, |r| store.with_store(|kms| kms.encrypt(r))),
        "Decrypt" => call(body, DECRYPT, |r| store.with_store(|kms| kms.decrypt(r))),
        "ReEncrypt" => call(body, RE_ENCRYPT, |r| {
            store.with_store(|kms| kms.re_encrypt(r))
        }),
        "GenerateDataKey" => call(body, GENERATE_DATA_KEY, |r| {
            store.with_store(|kms| kms.generate_data_key(r))
        }),
        "GenerateDataKeyWithoutPlaintext" => call(body, GENERATE_DATA_KEY, |r| {
            store.with_store(|kms| kms.generate_data_key_without_plaintext(r))
        }),
        "EnableKeyRotation" => call(body, ENABLE_KEY_ROTATION, |r| {
            store.with_store(|kms| kms.enable_key_rotation(r))
        }),
        "DisableKeyRotation" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.disable_key_rotation(r))
        }),
        "GetKeyRotationStatus" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.get_key_rotation_status(r))
        }),
        "RotateKeyOnDemand" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.rotate_key_on_demand(r))
        }),
        "ListKeyRotations" => call(body, LIST_KEY_ROTATIONS, |r| {
            store.with_store(|kms| kms.list_key_rotations(r))
        }),
        "ScheduleKeyDeletion" => call(body, SCHEDULE_KEY_DELETION, |r| {
            store.with_store(|kms| kms.schedule_key_deletion(r))
        }),
        "CancelKeyDeletion" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.cancel_key_deletion(r))
        }),
        "GetParametersForImport" => call(body, GET_PARAMETERS_FOR_IMPORT, |r| {
            store.with_store(|kms| kms.get_parameters_for_import(r))
        }),
        "ImportKeyMaterial" => call(body, IMPORT_KEY_MATERIAL, |r| {
            store.with_store(|kms| kms.import_key_material(r))
        }),
        "DeleteImportedKeyMaterial" => call(body, DELETE_IMPORTED_KEY_MATERIAL, |r| {
            store.with_store(|kms| kms.delete_imported_key_material(r))
        }),
        "CreateAlias" => call(body, ALIAS, |r| store.with_store(|kms| kms.create_alias(r))),
        "UpdateAlias" => call(body, ALIAS, |r| store.with_store(|kms| kms.update_alias(r))),
        "DeleteAlias" => call(body, DELETE_ALIAS, |r| {
            store.with_store(|kms| kms.delete_alias(r))
        }),
        "ListAliases" => call(body, LIST_ALIASES, |r| {
            store.with_store(|kms| kms.list_aliases(r))
        }),
        other => WireResponse::error(
            400,
            "UnknownOperationException",
            &format!("Unknown operation TrentService.{}", other.escape_default()),
        ),
    }
}

// ----- request validation ------------------------------------------------------

/// One member of a request, as AWS's request validation sees it: before the
/// body is decoded into the request type and before the service (the store)
/// sees the call. A missing member cannot be told from an empty one once
/// decoded (`KeyId` decodes to `""`), so this is the layer that can answer
/// `Value null at 'keyId'` as AWS does.
#[derive(Clone, Copy)]
struct Member {
    /// The JSON name (PascalCase).
    name: &'static str,
    /// AWS's name of the member in validation messages (camelCase).
    path: &'static str,
    /// Must be present and not `null`.
    required: bool,
    shape: Shape,
}

/// The JSON shape of a member. A value of another JSON type is left to the
/// decoder (SerializationException, which AWS also answers before it
/// validates).
#[derive(Clone, Copy)]
enum Shape {
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

const fn required(name: &'static str, path: &'static str, shape: Shape) -> Member {
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

const KEY_ID_ONLY: &[Member] = &[KEY_ID];
const LIST: &[Member] = &[LIMIT, MARKER];
const LIST_BY_KEY: &[Member] = &[KEY_ID, LIMIT, MARKER];
const LIST_KEY_ROTATIONS: &[Member] = &[
    KEY_ID,
    optional(
        "IncludeKeyMaterial",
        "includeKeyMaterial",
        Shape::Enum(IncludeKeyMaterial::VALUES),
    ),
    LIMIT,
    MARKER,
];
const DELETE_IMPORTED_KEY_MATERIAL: &[Member] = &[
    KEY_ID,
    optional("KeyMaterialId", "keyMaterialId", Shape::Str),
];
const LIST_ALIASES: &[Member] = &[optional("KeyId", "keyId", Shape::Str), LIMIT, MARKER];
const CREATE_KEY: &[Member] = &[
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
    optional("Tags", "tags", Shape::Tags),
    optional("MultiRegion", "multiRegion", Shape::Bool),
];
const UPDATE_KEY_DESCRIPTION: &[Member] =
    &[KEY_ID, required("Description", "description", Shape::Str)];
const TAG_RESOURCE: &[Member] = &[KEY_ID, required("Tags", "tags", Shape::Tags)];
const UNTAG_RESOURCE: &[Member] = &[KEY_ID, required("TagKeys", "tagKeys", Shape::StrList)];
const ENCRYPTION_ALGORITHM: Shape = Shape::Enum(EncryptionAlgorithm::VALUES);
const ENCRYPT: &[Member] = &[
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
const DECRYPT: &[Member] = &[
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
const RE_ENCRYPT: &[Member] = &[
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
const GENERATE_DATA_KEY: &[Member] = &[
    KEY_ID,
    ENCRYPTION_CONTEXT,
    optional("NumberOfBytes", "numberOfBytes", Shape::Int),
    optional("KeySpec", "keySpec", Shape::Enum(DataKeySpec::VALUES)),
    GRANT_TOKENS,
    DRY_RUN,
];
const ENABLE_KEY_ROTATION: &[Member] = &[
    KEY_ID,
    optional("RotationPeriodInDays", "rotationPeriodInDays", Shape::Int),
];
const SCHEDULE_KEY_DELETION: &[Member] = &[
    KEY_ID,
    optional("PendingWindowInDays", "pendingWindowInDays", Shape::Int),
];
const GET_PARAMETERS_FOR_IMPORT: &[Member] = &[
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
const IMPORT_KEY_MATERIAL: &[Member] = &[
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
const ALIAS: &[Member] = &[
    required("AliasName", "aliasName", Shape::Str),
    required("TargetKeyId", "targetKeyId", Shape::Str),
];
const DELETE_ALIAS: &[Member] = &[required("AliasName", "aliasName", Shape::Str)];

/// What decoding left of a request's members.
trait Decoded {
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

/// Enum values longer than this are not echoed in a message.
const MAX_ECHOED: usize = 256;

/// AWS's request validation of a JSON object body: every required member
/// missing or `null`, every enum member whose value is not one of AWS's, in
/// one `ValidationException` worded as AWS words it. `None` when there is
/// nothing to say, and also when the body does not parse or a member has the
/// wrong JSON type: the decoder then answers (SerializationException).
fn validate(body: &[u8], members: &[Member]) -> Option<KmsError> {
    if members.is_empty() {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let seen = Scan(members).deserialize(&mut de).ok()?;
    de.end().ok()?;
    let mut errors = Vec::new();
    for (m, seen) in members.iter().zip(seen) {
        match seen {
            Seen::Absent | Seen::Null if m.required => errors.push(null_error(m.path)),
            Seen::BadEnum(value) => {
                if let Shape::Enum(values) = m.shape {
                    errors.push(enum_error(m.path, &value, values));
                }
            }
            Seen::TagsWithout(missing) => {
                for (i, field) in missing {
                    errors.push(null_error(&format!("{}.{i}.member.{field}", m.path)));
                }
            }
            _ => {}
        }
    }
    (!errors.is_empty()).then(|| KmsError::validation_errors(&errors))
}

fn null_error(path: &str) -> String {
    format!("Value null at '{path}' failed to satisfy constraint: Member must not be null")
}

fn enum_error(path: &str, value: &str, values: &[&str]) -> String {
    let constraint = format!(
        "failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        values.join(", ")
    );
    if value.chars().count() > MAX_ECHOED {
        format!("Value at '{path}' {constraint}")
    } else {
        format!(
            "Value '{}' at '{path}' {constraint}",
            value.escape_default()
        )
    }
}

/// What the scan saw of one member.
#[derive(Clone)]
enum Seen {
    Absent,
    Null,
    Present,
    /// An enum value that is not one of AWS's.
    BadEnum(String),
    /// Tags whose `TagKey` or `TagValue` is missing: (1-based index, member).
    TagsWithout(Vec<(usize, &'static str)>),
}

/// A scan of the body's top-level object. It decodes no value (nothing is
/// copied but the few bytes of a wrong enum value): a wrong JSON type, a
/// duplicate member or bad JSON ends it with an error.
struct Scan<'m>(&'m [Member]);

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = Vec<Seen>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = Vec<Seen>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a request object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = vec![Seen::Absent; self.0.len()];
        while let Some(i) = map.next_key_seed(MemberIndex(self.0))? {
            let Some(i) = i else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if !matches!(seen[i], Seen::Absent) {
                return Err(de::Error::custom("duplicate member"));
            }
            seen[i] = map.next_value_seed(Value(self.0[i].shape))?;
        }
        Ok(seen)
    }
}

/// A member name: its index among the known members, `None` for another.
struct MemberIndex<'m>(&'m [Member]);

impl<'de> DeserializeSeed<'de> for MemberIndex<'_> {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MemberIndex<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|m| m.name == v))
    }
}

/// One member's value, checked against its shape.
struct Value(Shape);

impl Value {
    fn wrong<T, E: de::Error>() -> Result<T, E> {
        Err(E::custom("a member of the wrong type"))
    }
}

impl<'de> DeserializeSeed<'de> for Value {
    type Value = Seen;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value {
    type Value = Seen;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Seen, E> {
        match self.0 {
            Shape::Bool => Ok(Seen::Present),
            _ => Self::wrong(),
        }
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Seen, E> {
        match self.0 {
            Shape::Int | Shape::Num => Ok(Seen::Present),
            _ => Self::wrong(),
        }
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Seen, E> {
        self.visit_i64(0)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Seen, E> {
        match self.0 {
            Shape::Num => Ok(Seen::Present),
            _ => Self::wrong(),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Seen, E> {
        match self.0 {
            Shape::Str => Ok(Seen::Present),
            Shape::Enum(values) if values.contains(&v) => Ok(Seen::Present),
            Shape::Enum(_) => Ok(Seen::BadEnum(v.chars().take(MAX_ECHOED + 1).collect())),
            _ => Self::wrong(),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        match self.0 {
            Shape::StrList => {
                // (A null element is left to the decoder.)
                while seq.next_element_seed(Value(Shape::Str))?.is_some() {}
                Ok(Seen::Present)
            }
            Shape::Tags => {
                let mut missing = Vec::new();
                let mut i = 0;
                while let Some(tag) = seq.next_element_seed(TagScan)? {
                    i += 1;
                    missing.extend(tag.into_iter().map(|field| (i, field)));
                }
                Ok(if missing.is_empty() {
                    Seen::Present
                } else {
                    Seen::TagsWithout(missing)
                })
            }
            _ => Self::wrong(),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        match self.0 {
            Shape::StrMap => {
                while map.next_key::<IgnoredAny>()?.is_some() {
                    map.next_value_seed(Value(Shape::Str))?;
                }
                Ok(Seen::Present)
            }
            _ => Self::wrong(),
        }
    }
}

/// One element of a tag list: the required members it lacks.
struct TagScan;

impl<'de> DeserializeSeed<'de> for TagScan {
    type Value = Vec<&'static str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TagScan {
    type Value = Vec<&'static str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tag")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        const TAG: &[Member] = &[
            required("TagKey", "tagKey", Shape::Str),
            required("TagValue", "tagValue", Shape::Str),
        ];
        let seen = Scan(TAG).visit_map(&mut map)?;
        Ok(TAG
            .iter()
            .zip(seen)
            .filter(|(_, s)| matches!(s, Seen::Absent | Seen::Null))
            .map(|(m, _)| m.path)
            .collect())
    }
}
