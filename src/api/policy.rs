//! Key policies: GetKeyPolicy, PutKeyPolicy and ListKeyPolicies.

use serde::{Deserialize, Serialize};

/// GetKeyPolicy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetKeyPolicyRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// `default` (the default, and the only name a key policy has).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
}

impl GetKeyPolicyRequest {
    /// The `default` policy of `key_id`.
    pub fn new(key_id: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
            policy_name: None,
        }
    }
}

/// GetKeyPolicy's response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse {
    /// The policy document, exactly as stored (or AWS's default text).
    pub policy: String,
    /// Always `default`.
    pub policy_name: String,
}

/// PutKeyPolicy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PutKeyPolicyRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// `default` (the default, and the only valid name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// The new policy document.
    pub policy: String,
    /// Skip the check that the new policy lets the caller call PutKeyPolicy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

impl PutKeyPolicyRequest {
    /// Sets `policy` on `key_id`, with the lock-out check.
    pub fn new(key_id: impl Into<String>, policy: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
            policy_name: None,
            policy: policy.into(),
            bypass_policy_lockout_safety_check: None,
        }
    }
}

/// ListKeyPolicies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListKeyPoliciesRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// 1–1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl ListKeyPoliciesRequest {
    /// The policy names of `key_id`, first page.
    pub fn new(key_id: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
            limit: None,
            marker: None,
        }
    }
}

/// ListKeyPolicies' response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyPoliciesResponse {
    /// `["default"]` (or empty past the end).
    pub policy_names: Vec<String>,
    /// More pages.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
