//! The AWS KMS JSON 1.1 protocol without HTTP: a target name and a JSON body
//! in, a status, a JSON body out. The server ([`crate::server`], feature
//! `server`) is a thin HTTP shell around [`dispatch`], which is also what the
//! fuzz targets drive.

use crate::error::KmsError;
use crate::store::Kms;
use serde::Serialize;
use serde::de::DeserializeOwned;

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
    serde_json::from_slice(body).map_err(|e| {
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
    })
}

fn call<Req: DeserializeOwned, Resp: Serialize>(
    body: &[u8],
    f: impl FnOnce(Req) -> Result<Resp, KmsError>,
) -> WireResponse {
    match parse_body::<Req>(body) {
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

/// Runs one AWS KMS operation (`operation` without the `TrentService.`
/// prefix) on `kms`. Unknown operations answer `UnknownOperationException`.
pub fn dispatch(kms: &mut Kms, operation: &str, body: &[u8]) -> WireResponse {
    match operation {
        "CreateKey" => call(body, |r| kms.create_key(r)),
        "DescribeKey" => call(body, |r| kms.describe_key(r)),
        "ListKeys" => call(body, |r| kms.list_keys(r)),
        "UpdateKeyDescription" => call(body, |r| kms.update_key_description(r)),
        "TagResource" => call(body, |r| kms.tag_resource(r)),
        "UntagResource" => call(body, |r| kms.untag_resource(r)),
        "ListResourceTags" => call(body, |r| kms.list_resource_tags(r)),
        "EnableKey" => call(body, |r| kms.enable_key(r)),
        "DisableKey" => call(body, |r| kms.disable_key(r)),
        "Encrypt" => call(body, |r| kms.encrypt(r)),
        "Decrypt" => call(body, |r| kms.decrypt(r)),
        "ReEncrypt" => call(body, |r| kms.re_encrypt(r)),
        "GenerateDataKey" => call(body, |r| kms.generate_data_key(r)),
        "GenerateDataKeyWithoutPlaintext" => {
            call(body, |r| kms.generate_data_key_without_plaintext(r))
        }
        "EnableKeyRotation" => call(body, |r| kms.enable_key_rotation(r)),
        "DisableKeyRotation" => call(body, |r| kms.disable_key_rotation(r)),
        "GetKeyRotationStatus" => call(body, |r| kms.get_key_rotation_status(r)),
        "RotateKeyOnDemand" => call(body, |r| kms.rotate_key_on_demand(r)),
        "ListKeyRotations" => call(body, |r| kms.list_key_rotations(r)),
        "ScheduleKeyDeletion" => call(body, |r| kms.schedule_key_deletion(r)),
        "CancelKeyDeletion" => call(body, |r| kms.cancel_key_deletion(r)),
        "GetParametersForImport" => call(body, |r| kms.get_parameters_for_import(r)),
        "ImportKeyMaterial" => call(body, |r| kms.import_key_material(r)),
        "DeleteImportedKeyMaterial" => call(body, |r| kms.delete_imported_key_material(r)),
        "CreateAlias" => call(body, |r| kms.create_alias(r)),
        "UpdateAlias" => call(body, |r| kms.update_alias(r)),
        "DeleteAlias" => call(body, |r| kms.delete_alias(r)),
        "ListAliases" => call(body, |r| kms.list_aliases(r)),
        other => WireResponse::error(
            400,
            "UnknownOperationException",
            &format!("Unknown operation TrentService.{}", other.escape_default()),
        ),
    }
}
