//! Import of key material: GetParametersForImport, ImportKeyMaterial and
//! DeleteImportedKeyMaterial.

use super::{Blob, ExpirationModel, ImportType, Timestamp, WrappingAlgorithm, WrappingKeySpec};
use serde::{Deserialize, Serialize};

/// A well-formed `KeyMaterialId` that no key has (64 lowercase hex digits):
/// what tests and the oracle send to ask for NotFoundException.
pub const UNKNOWN_KEY_MATERIAL_ID: &str =
    "00000000000000000000000000000000000000000000000000000000000000ff";

/// GetParametersForImport.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportRequest {
    /// Key id or ARN of an EXTERNAL key.
    pub key_id: String,
    /// Wrapping algorithm (the rule set decides which are accepted).
    pub wrapping_algorithm: WrappingAlgorithm,
    /// Wrapping key spec (the rule set decides which are accepted).
    pub wrapping_key_spec: WrappingKeySpec,
}

/// GetParametersForImport's response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse {
    /// Key ARN.
    pub key_id: String,
    /// Token to pass to ImportKeyMaterial.
    pub import_token: Blob,
    /// RSA public key, DER SubjectPublicKeyInfo.
    pub public_key: Blob,
    /// now + 24 h.
    pub parameters_valid_to: Timestamp,
}

/// ImportKeyMaterial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImportKeyMaterialRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// From GetParametersForImport.
    pub import_token: Blob,
    /// Material wrapped with the public key.
    pub encrypted_key_material: Blob,
    /// Default `KEY_MATERIAL_EXPIRES`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// Required with `KEY_MATERIAL_EXPIRES`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// `current` rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_type: Option<ImportType>,
}

/// DeleteImportedKeyMaterial.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteImportedKeyMaterialRequest {
    /// Key id or ARN.
    pub key_id: String,
    /// The material to delete (64 lowercase hex digits, `current` rules);
    /// default: the current material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

impl DeleteImportedKeyMaterialRequest {
    /// Deletes the current material of `key_id`.
    pub fn current(key_id: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
            key_material_id: None,
        }
    }
}

/// ImportKeyMaterial's and DeleteImportedKeyMaterial's response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyMaterialResponse {
    /// Key ARN.
    pub key_id: String,
    /// The material's id (`current` rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}
