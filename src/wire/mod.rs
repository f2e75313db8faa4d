//! The AWS KMS JSON 1.1 protocol without HTTP: a target name and a JSON body
//! in, a status, a JSON body out. The server ([`crate::server`], feature
//! `server`) is a thin HTTP shell around [`dispatch`], which is also what the
//! fuzz targets drive.
//!
//! The parts: the dispatch of an operation to the store (`dispatch`), the
//! decoding of a request body (`parse`), the members of each request and what
//! decoding left of them (`members`), and AWS's request validation of a body
//! (`validate`). [`WireResponse`] is the encoded answer.

mod dispatch;
mod members;
mod parse;
mod validate;

pub use dispatch::{OPERATIONS, WithStore, dispatch, dispatch_with};
pub use parse::parse_body;

use crate::error::KmsError;
use serde::Serialize;

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
