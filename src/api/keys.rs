//! Key management: CreateKey, DescribeKey (the key metadata), ListKeys,
//! UpdateKeyDescription, tags, ScheduleKeyDeletion, and the requests and
//! responses several operations share (a key id, an empty answer,
//! pagination).

use super::{
    CustomerMasterKeySpec, ExpirationModel, KeyManager, KeySpec, KeyState, KeyUsage, Origin,
    Timestamp,
};
use serde::{Deserialize, Serialize};

/// A resource tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub tag_key: String,
    /// Tag value.
    pub tag_value: String,
}

/// CreateKey.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateKeyRequest {
    /// Description, 0–8192 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Only `ENCRYPT_DECRYPT` is supported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<KeyUsage>,
    /// Only `SYMMETRIC_DEFAULT` is supported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<KeySpec>,
    /// Deprecated twin of KeySpec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<CustomerMasterKeySpec>,
    /// `AWS_KMS` (default) or `EXTERNAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// The key policy (default: AWS's default key policy). Checked as
    /// PutKeyPolicy checks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Skip the check that the policy lets the caller call PutKeyPolicy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// Multi-Region keys are not supported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<bool>,
}

/// DescribeKey's `KeyMetadata`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// Account.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    /// Key id (UUID).
    pub key_id: String,
    /// Key ARN.
    pub arn: String,
    /// Creation time.
    pub creation_date: Timestamp,
    /// True exactly when KeyState is Enabled.
    pub enabled: bool,
    /// Description.
    pub description: String,
    /// Always `ENCRYPT_DECRYPT`.
    pub key_usage: String,
    /// State.
    pub key_state: KeyState,
    /// Only while PendingDeletion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<Timestamp>,
    /// EXTERNAL keys whose material expires: earliest expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// Origin.
    pub origin: Origin,
    /// EXTERNAL keys with material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// Manager.
    pub key_manager: KeyManager,
    /// Always `SYMMETRIC_DEFAULT`.
    pub customer_master_key_spec: String,
    /// Always `SYMMETRIC_DEFAULT`.
    pub key_spec: String,
    /// `["SYMMETRIC_DEFAULT"]`.
    pub encryption_algorithms: Vec<String>,
    /// Always false.
    pub multi_region: bool,
    /// Current key material id (`current` rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

/// Response of CreateKey and DescribeKey.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse {
    /// The key.
    pub key_metadata: KeyMetadata,
}

/// A request that names one key (DescribeKey, EnableKey, DisableKey, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyIdRequest {
    /// Key id, key ARN, or (where AWS accepts it) alias name or alias ARN.
    pub key_id: String,
}

impl KeyIdRequest {
    /// A request for `key_id`.
    pub fn new(key_id: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
        }
    }
}

/// An empty response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Pagination input of the List operations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListRequest {
    /// For ListAliases, ListResourceTags, ListKeyRotations: the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// 1–1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// ListKeys entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// Key id.
    pub key_id: String,
    /// Key ARN.
    pub key_arn: String,
}

/// ListKeys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// Keys (deleted keys are not listed).
    pub keys: Vec<KeyListEntry>,
    /// More pages.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// UpdateKeyDescription.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateKeyDescriptionRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// New description.
    pub description: String,
}

/// TagResource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TagResourceRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// Tags to add or replace.
    pub tags: Vec<Tag>,
}

/// UntagResource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UntagResourceRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// Tag keys to remove.
    pub tag_keys: Vec<String>,
}

/// ListResourceTags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse {
    /// Tags, sorted by key.
    pub tags: Vec<Tag>,
    /// Always false: the library lists every tag (the wire layer pages by
    /// `Limit` and `Marker`).
    pub truncated: bool,
}

/// A response that carries only the key ARN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse {
    /// Key ARN.
    pub key_id: String,
}

/// ScheduleKeyDeletion.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScheduleKeyDeletionRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// 7–30, default 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_window_in_days: Option<i64>,
}

/// ScheduleKeyDeletion's response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    /// Key ARN.
    pub key_id: String,
    /// When the key will be deleted.
    pub deletion_date: Timestamp,
    /// `PendingDeletion`.
    pub key_state: KeyState,
    /// The window.
    pub pending_window_in_days: u32,
}
