//! Rotation: EnableKeyRotation, GetKeyRotationStatus and ListKeyRotations.

use super::{
    ExpirationModel, ImportState, IncludeKeyMaterial, KeyMaterialState, RotationType, Timestamp,
};
use serde::{Deserialize, Serialize};

/// ListKeyRotations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListKeyRotationsRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// `ROTATIONS_ONLY` (default) or `ALL_KEY_MATERIAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_key_material: Option<IncludeKeyMaterial>,
    /// 1–1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl ListKeyRotationsRequest {
    /// Every entry of `key_id` in one page, with `include`.
    pub fn all(key_id: impl Into<String>, include: IncludeKeyMaterial) -> Self {
        Self {
            key_id: key_id.into(),
            include_key_material: Some(include),
            limit: Some(1000),
            marker: None,
        }
    }
}

/// EnableKeyRotation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EnableKeyRotationRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// 90–2560 (`current`); not accepted under `classic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<i64>,
}

/// GetKeyRotationStatus's response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyRotationStatusResponse {
    /// Whether automatic rotation is on (false while pending deletion).
    pub key_rotation_enabled: bool,
    /// Key ARN.
    pub key_id: String,
    /// Period, when rotation is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<u32>,
    /// Next automatic rotation, when rotation is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<Timestamp>,
}

/// ListKeyRotations entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationsListEntry {
    /// Key ARN.
    pub key_id: String,
    /// Material made current by this rotation (`current` rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
    /// CURRENT, NON_CURRENT or PENDING_ROTATION (`current` rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_state: Option<KeyMaterialState>,
    /// EXTERNAL keys: IMPORTED or PENDING_IMPORT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_state: Option<ImportState>,
    /// EXTERNAL keys whose material is imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// EXTERNAL keys whose material expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// When (absent for the first material and for pending material).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_date: Option<Timestamp>,
    /// How (absent for the first material and for pending material).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<RotationType>,
}

/// ListKeyRotations' response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    /// Rotations, oldest first.
    pub rotations: Vec<RotationsListEntry>,
    /// More pages.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

impl ListKeyRotationsResponse {
    /// The `KeyMaterialId` of each listed material that is permanently
    /// associated (CURRENT or NON_CURRENT), in list order, and of the one
    /// pending rotation. Meaningful for a complete `ALL_KEY_MATERIAL` page.
    pub fn material_ids(&self) -> (Vec<&str>, Option<&str>) {
        let mut permanent = Vec::new();
        let mut pending = None;
        for e in &self.rotations {
            let Some(id) = e.key_material_id.as_deref() else {
                continue;
            };
            if e.key_material_state == Some(KeyMaterialState::PendingRotation) {
                pending = Some(id);
            } else {
                permanent.push(id);
            }
        }
        (permanent, pending)
    }
}
