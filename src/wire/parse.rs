//! Decoding a request body: a JSON object, decoded into the request type,
//! with AWS's request validation where decoding does not settle it, and
//! AWS-style errors that never echo the input.

use super::WireResponse;
use super::members::{Decoded, Member};
use super::validate::validate;
use serde::de::DeserializeOwned;

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
pub(super) fn parse_request<T: DeserializeOwned + Decoded>(
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
