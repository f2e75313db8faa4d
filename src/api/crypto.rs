//! The cryptographic operations: Encrypt, Decrypt, ReEncrypt,
//! GenerateDataKey and GenerateDataKeyWithoutPlaintext.

use super::{Blob, DataKeySpec, EncryptionAlgorithm, EncryptionContext, SecretBlob};
use serde::{Deserialize, Serialize};

/// Encrypt.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EncryptRequest {
    /// Key id, key ARN, alias name or alias ARN.
    pub key_id: String,
    /// 1–4096 bytes.
    pub plaintext: SecretBlob,
    /// Bound to the ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// Accepted and ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Only `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Check everything, change nothing: answers DryRunOperationException
    /// where the call would have succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Encrypt's response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// The ciphertext blob.
    pub ciphertext_blob: Blob,
    /// Key ARN.
    pub key_id: String,
    /// `SYMMETRIC_DEFAULT`.
    pub encryption_algorithm: String,
}

/// Decrypt.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DecryptRequest {
    /// The ciphertext blob.
    pub ciphertext_blob: Blob,
    /// Optional: the key that must have made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The context given to Encrypt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// Accepted and ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Only `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Check everything, change nothing: answers DryRunOperationException
    /// where the call would have succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Decrypt's response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    /// Key ARN.
    pub key_id: String,
    /// The plaintext.
    pub plaintext: SecretBlob,
    /// `SYMMETRIC_DEFAULT`.
    pub encryption_algorithm: String,
    /// Material that decrypted it (`current` rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// ReEncrypt.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReEncryptRequest {
    /// The ciphertext blob.
    pub ciphertext_blob: Blob,
    /// Optional: the key that must have made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_id: Option<String>,
    /// Its context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_encryption_context: Option<EncryptionContext>,
    /// The key to encrypt under.
    pub destination_key_id: String,
    /// The new context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_encryption_context: Option<EncryptionContext>,
    /// Only `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Only `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_encryption_algorithm: Option<EncryptionAlgorithm>,
    /// Accepted and ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check everything, change nothing: answers DryRunOperationException
    /// where the call would have succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// ReEncrypt's response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse {
    /// The new ciphertext.
    pub ciphertext_blob: Blob,
    /// Source key ARN.
    pub source_key_id: String,
    /// Destination key ARN.
    pub key_id: String,
    /// `SYMMETRIC_DEFAULT`.
    pub source_encryption_algorithm: String,
    /// `SYMMETRIC_DEFAULT`.
    pub destination_encryption_algorithm: String,
    /// `current` rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_material_id: Option<String>,
    /// `current` rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_key_material_id: Option<String>,
}

/// GenerateDataKey and GenerateDataKeyWithoutPlaintext.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GenerateDataKeyRequest {
    /// Key id, key ARN, alias name or alias ARN.
    pub key_id: String,
    /// `AES_128` or `AES_256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<DataKeySpec>,
    /// 1–1024.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_bytes: Option<i64>,
    /// Bound to the ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// Accepted and ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check everything, change nothing: answers DryRunOperationException
    /// where the call would have succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// GenerateDataKey's response (`plaintext` absent for ...WithoutPlaintext).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse {
    /// The data key encrypted under the KMS key.
    pub ciphertext_blob: Blob,
    /// The data key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<SecretBlob>,
    /// Key ARN.
    pub key_id: String,
    /// `current` rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}
