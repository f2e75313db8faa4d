//! Request and response types of the AWS KMS JSON 1.1 protocol.
//!
//! Field names are AWS's (PascalCase on the wire); blobs are base64 strings;
//! timestamps are epoch seconds. Plaintext and data keys are [`SecretBlob`]s:
//! zeroized on drop and redacted in `Debug`.

use crate::crypto::SecretBytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A binary value, base64 on the wire (ciphertexts, import tokens, public keys).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        B64.decode(s.as_bytes())
            .map(Blob)
            .map_err(|_| serde::de::Error::custom("invalid base64 blob"))
    }
}

/// A secret binary value (plaintext, data key, key material): zeroized when
/// dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretBlob(pub SecretBytes);

impl SecretBlob {
    /// Wraps secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(SecretBytes::new(bytes))
    }
    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for SecretBlob {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

impl From<&[u8]> for SecretBlob {
    fn from(v: &[u8]) -> Self {
        Self::new(v.to_vec())
    }
}

impl fmt::Debug for SecretBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBlob(<redacted {} bytes>)", self.0.len())
    }
}

impl Serialize for SecretBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = B64.encode(&*self.0);
        let r = s.serialize_str(&encoded);
        drop(SecretBytes::new(encoded.into_bytes()));
        r
    }
}

impl<'de> Deserialize<'de> for SecretBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = SecretBytes::new(String::deserialize(d)?.into_bytes());
        // Room for a ciphertext blob's header and tag, so that Encrypt can
        // seal in this very buffer (crypto::BackingKey::seal_owned).
        let mut out = SecretBytes::with_blob_room(base64::decoded_len_estimate(s.len()));
        B64.decode_vec(&*s, out.vec_mut())
            .map_err(|_| serde::de::Error::custom("invalid base64 blob"))?;
        Ok(SecretBlob(out))
    }
}

/// Epoch seconds on the wire. AWS sends numbers like `1568289600.0`; both
/// integers and floats are accepted, fractions are truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() || !(0.0..=253_402_300_799.0).contains(&v) {
            return Err(serde::de::Error::custom("timestamp out of range"));
        }
        Ok(Timestamp(v as u64))
    }
}

/// Encryption context: non-secret string pairs bound to a ciphertext (spec §7).
pub type EncryptionContext = BTreeMap<String, String>;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $wire)] $variant),+
        }
        impl $name {
            /// Every AWS wire spelling, in the order AWS lists them in a
            /// `ValidationException` (docs/decisions.md, request validation).
            pub const VALUES: &'static [&'static str] = &[$($wire),+];
            /// The AWS wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }
            /// Parses the AWS wire spelling.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some(Self::$variant),)+ _ => None }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

wire_enum!(
    /// `KeyState` of a key (spec §2).
    KeyState {
        /// Usable for cryptography.
        Enabled = "Enabled",
        /// Not usable; EnableKey restores it.
        Disabled = "Disabled",
        /// Scheduled for deletion.
        PendingDeletion = "PendingDeletion",
        /// EXTERNAL key without (all of) its material.
        PendingImport = "PendingImport",
    }
);

wire_enum!(
    /// Where the key material comes from (AWS's `OriginType`). This reference
    /// makes `AWS_KMS` and `EXTERNAL` keys; CreateKey answers the custom key
    /// store origins with UnsupportedOperationException.
    Origin {
        /// A CloudHSM key store (not supported).
        AwsCloudhsm = "AWS_CLOUDHSM",
        /// Imported by the customer.
        External = "EXTERNAL",
        /// Generated by KMS.
        AwsKms = "AWS_KMS",
        /// An external key store (not supported).
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
);

wire_enum!(
    /// Who manages the key.
    KeyManager {
        /// Customer managed.
        Customer = "CUSTOMER",
        /// AWS managed (`alias/aws/<service>`).
        Aws = "AWS",
    }
);

wire_enum!(
    /// Wrapping key spec for import (spec §5). The rule set decides which are
    /// accepted ([`crate::Rules::wrapping_key_specs`]); `SM2` (China Regions)
    /// never is.
    WrappingKeySpec {
        /// 2048-bit RSA.
        Rsa2048 = "RSA_2048",
        /// 3072-bit RSA.
        Rsa3072 = "RSA_3072",
        /// 4096-bit RSA.
        Rsa4096 = "RSA_4096",
        /// SM2 (China Regions; not supported).
        Sm2 = "SM2",
    }
);

impl WrappingKeySpec {
    /// RSA modulus size in bits; `None` for SM2, which is not RSA.
    pub fn bits(self) -> Option<usize> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            Self::Sm2 => None,
        }
    }
}

wire_enum!(
    /// Algorithm used to wrap key material for import (spec §5; AWS's
    /// `AlgorithmSpec`). The rule set decides which are accepted
    /// ([`crate::Rules::wrapping_algorithms`]); `SM2PKE` never is.
    WrappingAlgorithm {
        /// RSAES-PKCS1-v1_5 (course only).
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5",
        /// RSA-OAEP, SHA-1 and MGF1-SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA-OAEP, SHA-256 and MGF1-SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// RSA-OAEP-SHA-1 of an ephemeral AES key, then AES key wrap with padding.
        RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
        /// RSA-OAEP-SHA-256 of an ephemeral AES key, then AES key wrap with padding.
        RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256",
        /// SM2 public-key encryption (China Regions; not supported).
        Sm2pke = "SM2PKE",
    }
);

wire_enum!(
    /// CreateKey's `KeyUsage`. Only `ENCRYPT_DECRYPT` is supported; the others
    /// are answered with UnsupportedOperationException.
    KeyUsage {
        /// Signing.
        SignVerify = "SIGN_VERIFY",
        /// Symmetric encryption (the default).
        EncryptDecrypt = "ENCRYPT_DECRYPT",
        /// HMAC.
        GenerateVerifyMac = "GENERATE_VERIFY_MAC",
        /// Key agreement.
        KeyAgreement = "KEY_AGREEMENT",
        /// Key encapsulation (ML-KEM).
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
);

wire_enum!(
    /// CreateKey's `KeySpec`. Only `SYMMETRIC_DEFAULT` is supported; the others
    /// are answered with UnsupportedOperationException.
    KeySpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// ECC P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// ECC P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// ECC P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// ECC secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// AES-256-GCM (the default).
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// HMAC-224.
        Hmac224 = "HMAC_224",
        /// HMAC-256.
        Hmac256 = "HMAC_256",
        /// HMAC-384.
        Hmac384 = "HMAC_384",
        /// HMAC-512.
        Hmac512 = "HMAC_512",
        /// SM2 (China Regions).
        Sm2 = "SM2",
        /// ML-DSA-44.
        MlDsa44 = "ML_DSA_44",
        /// ML-DSA-65.
        MlDsa65 = "ML_DSA_65",
        /// ML-DSA-87.
        MlDsa87 = "ML_DSA_87",
        /// Ed25519.
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
);

wire_enum!(
    /// CreateKey's deprecated `CustomerMasterKeySpec` (a smaller set than
    /// [`KeySpec`]). Only `SYMMETRIC_DEFAULT` is supported.
    CustomerMasterKeySpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// ECC P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// ECC P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// ECC P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// ECC secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// AES-256-GCM (the default).
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// HMAC-224.
        Hmac224 = "HMAC_224",
        /// HMAC-256.
        Hmac256 = "HMAC_256",
        /// HMAC-384.
        Hmac384 = "HMAC_384",
        /// HMAC-512.
        Hmac512 = "HMAC_512",
        /// SM2 (China Regions).
        Sm2 = "SM2",
    }
);

wire_enum!(
    /// GenerateDataKey's `KeySpec`: the length of the data key.
    DataKeySpec {
        /// 32 bytes.
        Aes256 = "AES_256",
        /// 16 bytes.
        Aes128 = "AES_128",
    }
);

wire_enum!(
    /// `EncryptionAlgorithm` of Encrypt, Decrypt and ReEncrypt. Symmetric keys
    /// take only `SYMMETRIC_DEFAULT`; the RSA and SM2 algorithms are answered
    /// with ValidationException.
    EncryptionAlgorithm {
        /// AES-256-GCM.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA-OAEP with SHA-1 (asymmetric keys only).
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA-OAEP with SHA-256 (asymmetric keys only).
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// SM2 (China Regions, asymmetric keys only).
        Sm2pke = "SM2PKE",
    }
);

wire_enum!(
    /// Whether imported material expires.
    ExpirationModel {
        /// Expires at `ValidTo`.
        KeyMaterialExpires = "KEY_MATERIAL_EXPIRES",
        /// Never expires.
        KeyMaterialDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
);

wire_enum!(
    /// Kind of import (`current` rules).
    ImportType {
        /// New material for on-demand rotation.
        NewKeyMaterial = "NEW_KEY_MATERIAL",
        /// Material the key already has.
        ExistingKeyMaterial = "EXISTING_KEY_MATERIAL",
    }
);

wire_enum!(
    /// How a rotation happened.
    RotationType {
        /// On NextRotationDate.
        Automatic = "AUTOMATIC",
        /// RotateKeyOnDemand.
        OnDemand = "ON_DEMAND",
    }
);

wire_enum!(
    /// State of one key material (ListKeyRotations).
    KeyMaterialState {
        /// Used to encrypt and decrypt.
        Current = "CURRENT",
        /// Decrypt only.
        NonCurrent = "NON_CURRENT",
        /// Imported, waiting for RotateKeyOnDemand.
        PendingRotation = "PENDING_ROTATION",
    }
);

wire_enum!(
    /// Whether an imported material is present.
    ImportState {
        /// Present.
        Imported = "IMPORTED",
        /// Deleted or expired; reimport it.
        PendingImport = "PENDING_IMPORT",
    }
);

wire_enum!(
    /// Which materials ListKeyRotations lists (spec §5).
    IncludeKeyMaterial {
        /// Completed rotations only (the default).
        RotationsOnly = "ROTATIONS_ONLY",
        /// Also the first material and any material pending rotation.
        AllKeyMaterial = "ALL_KEY_MATERIAL",
    }
);

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

/// A response that carries only the key ARN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse {
    /// Key ARN.
    pub key_id: String,
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

/// A well-formed `KeyMaterialId` that no key has (64 lowercase hex digits):
/// what tests and the oracle send to ask for NotFoundException.
pub const UNKNOWN_KEY_MATERIAL_ID: &str =
    "00000000000000000000000000000000000000000000000000000000000000ff";

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

/// CreateAlias and UpdateAlias.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AliasRequest {
    /// `alias/...`.
    pub alias_name: String,
    /// Key id or ARN.
    pub target_key_id: String,
}

/// DeleteAlias.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteAliasRequest {
    /// `alias/...`.
    pub alias_name: String,
}

/// ListAliases entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// `alias/...`.
    pub alias_name: String,
    /// Alias ARN.
    pub alias_arn: String,
    /// Key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// Created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<Timestamp>,
    /// Last re-pointed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<Timestamp>,
}

/// ListAliases' response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// Aliases sorted by name.
    pub aliases: Vec<AliasListEntry>,
    /// More pages.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

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
