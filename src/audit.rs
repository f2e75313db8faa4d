//! The audit trail and the pending-deletion alarm (spec §8).
//!
//! Records hold names, ARNs, key material ids, error codes and messages only:
//! never plaintext, key material or data keys (messages never echo secret
//! input).

use serde::Serialize;

/// One CloudTrail-style record: a call (successful or not) or a clock-driven
/// event (`RotateKey`, `DeleteKey`, `DeleteExpiredKeyMaterial`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditEvent {
    /// Epoch seconds: the call's time, or the event's own instant.
    pub event_time: u64,
    /// Operation or event name.
    pub event_name: &'static str,
    /// The key concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
    /// The key material used or made (`current` rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
    /// The exception name of a failed call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    /// Its message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `AWS Internal` for clock-driven events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<&'static str>,
}

/// An attempted use of a key pending deletion (spec §6): any call refused with
/// `<arn> is pending deletion.`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm {
    /// Epoch seconds.
    pub time: u64,
    /// The key pending deletion.
    pub key_arn: String,
    /// The operation attempted.
    pub operation: &'static str,
}
