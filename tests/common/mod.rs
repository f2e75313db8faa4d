//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kms_lifecycle::api::*;
use kms_lifecycle::import::{WrappingKeyPool, wrap_key_material};
use kms_lifecycle::{Kms, KmsError, KmsResult, ManualClock, Rules};
use std::sync::LazyLock;

/// A fixed start time (2023-11-14T22:13:20Z).
pub const T0: u64 = 1_700_000_000;
pub const DAY: u64 = 86_400;

/// One RSA key per spec for the whole test binary: RSA generation is slow.
pub static POOL: LazyLock<WrappingKeyPool> = LazyLock::new(WrappingKeyPool::new);

/// A store with `rules`, a manual clock at [`T0`] and the shared wrapping keys.
pub fn store(rules: Rules) -> (Kms, ManualClock) {
    let clock = ManualClock::new(T0);
    let kms = Kms::builder()
        .rules(rules)
        .clock(clock.clone())
        .wrapping_keys(POOL.clone())
        .build();
    (kms, clock)
}

/// CreateKey (AWS_KMS); returns the metadata.
pub fn create(kms: &mut Kms) -> KeyMetadata {
    kms.create_key(CreateKeyRequest::default())
        .expect("CreateKey")
        .key_metadata
}

/// CreateKey (EXTERNAL); returns the metadata.
pub fn create_external(kms: &mut Kms) -> KeyMetadata {
    kms.create_key(CreateKeyRequest {
        origin: Some(Origin::External),
        ..Default::default()
    })
    .expect("CreateKey EXTERNAL")
    .key_metadata
}

pub fn encrypt_ctx(
    kms: &mut Kms,
    key: &str,
    pt: &[u8],
    ctx: Option<EncryptionContext>,
) -> KmsResult<EncryptResponse> {
    kms.encrypt(EncryptRequest {
        key_id: key.into(),
        plaintext: pt.into(),
        encryption_context: ctx,
        ..Default::default()
    })
}

pub fn try_encrypt(kms: &mut Kms, key: &str, pt: &[u8]) -> KmsResult<EncryptResponse> {
    encrypt_ctx(kms, key, pt, None)
}

/// Encrypt that must succeed; returns the blob.
pub fn encrypt(kms: &mut Kms, key: &str, pt: &[u8]) -> Vec<u8> {
    try_encrypt(kms, key, pt)
        .expect("Encrypt")
        .ciphertext_blob
        .0
}

pub fn decrypt(kms: &mut Kms, blob: &[u8]) -> KmsResult<DecryptResponse> {
    kms.decrypt(DecryptRequest {
        ciphertext_blob: Blob(blob.to_vec()),
        ..Default::default()
    })
}

pub fn decrypt_ctx(
    kms: &mut Kms,
    blob: &[u8],
    ctx: Option<EncryptionContext>,
) -> KmsResult<DecryptResponse> {
    kms.decrypt(DecryptRequest {
        ciphertext_blob: Blob(blob.to_vec()),
        encryption_context: ctx,
        ..Default::default()
    })
}

/// Decrypt that must succeed; returns the plaintext.
pub fn decrypt_ok(kms: &mut Kms, blob: &[u8]) -> Vec<u8> {
    decrypt(kms, blob)
        .expect("Decrypt")
        .plaintext
        .expose()
        .to_vec()
}

pub fn describe(kms: &mut Kms, key: &str) -> KmsResult<KeyMetadata> {
    kms.describe_key(KeyIdRequest::new(key))
        .map(|r| r.key_metadata)
}

pub fn state(kms: &mut Kms, key: &str) -> KeyState {
    describe(kms, key).expect("DescribeKey").key_state
}

pub fn rotations(kms: &mut Kms, key: &str) -> Vec<RotationsListEntry> {
    kms.list_key_rotations(ListKeyRotationsRequest {
        key_id: key.into(),
        limit: Some(1000),
        ..Default::default()
    })
    .expect("ListKeyRotations")
    .rotations
}

pub fn rotation_status(kms: &mut Kms, key: &str) -> GetKeyRotationStatusResponse {
    kms.get_key_rotation_status(KeyIdRequest::new(key))
        .expect("GetKeyRotationStatus")
}

pub fn enable_rotation(kms: &mut Kms, key: &str, period: Option<i64>) -> KmsResult<Empty> {
    kms.enable_key_rotation(EnableKeyRotationRequest {
        key_id: key.into(),
        rotation_period_in_days: period,
    })
}

pub fn schedule_deletion(
    kms: &mut Kms,
    key: &str,
    days: Option<i64>,
) -> KmsResult<ScheduleKeyDeletionResponse> {
    kms.schedule_key_deletion(ScheduleKeyDeletionRequest {
        key_id: key.into(),
        pending_window_in_days: days,
    })
}

pub fn params(
    kms: &mut Kms,
    key: &str,
    alg: WrappingAlgorithm,
    spec: WrappingKeySpec,
) -> KmsResult<GetParametersForImportResponse> {
    kms.get_parameters_for_import(GetParametersForImportRequest {
        key_id: key.into(),
        wrapping_algorithm: alg,
        wrapping_key_spec: spec,
    })
}

/// The parameters and the material wrapped for them, ready for ImportKeyMaterial.
pub struct Prepared {
    pub token: Vec<u8>,
    pub public_key: Vec<u8>,
    pub wrapped: Vec<u8>,
    pub valid_to: u64,
}

/// GetParametersForImport (RSAES_OAEP_SHA_256, RSA_2048) and wraps `material`.
pub fn prepare(kms: &mut Kms, key: &str, material: &[u8]) -> Prepared {
    prepare_with(
        kms,
        key,
        material,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    )
}

pub fn prepare_with(
    kms: &mut Kms,
    key: &str,
    material: &[u8],
    alg: WrappingAlgorithm,
    spec: WrappingKeySpec,
) -> Prepared {
    let p = params(kms, key, alg, spec).expect("GetParametersForImport");
    let wrapped = wrap_key_material(&p.public_key.0, alg, material).expect("wrap");
    Prepared {
        token: p.import_token.0,
        public_key: p.public_key.0,
        wrapped,
        valid_to: p.parameters_valid_to.0,
    }
}

/// How the imported material expires.
#[derive(Clone, Copy, Debug)]
pub enum Expiry {
    Never,
    At(u64),
}

pub fn import_prepared(
    kms: &mut Kms,
    key: &str,
    p: &Prepared,
    expiry: Expiry,
    import_type: Option<ImportType>,
) -> KmsResult<ImportKeyMaterialResponse> {
    let (model, valid_to) = match expiry {
        Expiry::Never => (ExpirationModel::KeyMaterialDoesNotExpire, None),
        Expiry::At(t) => (ExpirationModel::KeyMaterialExpires, Some(Timestamp(t))),
    };
    kms.import_key_material(ImportKeyMaterialRequest {
        key_id: key.into(),
        import_token: Blob(p.token.clone()),
        encrypted_key_material: Blob(p.wrapped.clone()),
        expiration_model: Some(model),
        valid_to,
        import_type,
    })
}

/// The whole import (parameters, wrap, ImportKeyMaterial) with OAEP-SHA-256.
pub fn import(
    kms: &mut Kms,
    key: &str,
    material: &[u8],
    expiry: Expiry,
) -> KmsResult<ImportKeyMaterialResponse> {
    let p = prepare(kms, key, material);
    import_prepared(kms, key, &p, expiry, None)
}

/// An EXTERNAL key with `material` imported (never expires): Enabled.
pub fn imported_key(kms: &mut Kms, material: &[u8; 32]) -> KeyMetadata {
    let md = create_external(kms);
    import(kms, &md.key_id, material, Expiry::Never).expect("ImportKeyMaterial");
    md
}

pub fn alias(kms: &mut Kms, name: &str, target: &str) -> KmsResult<Empty> {
    kms.create_alias(AliasRequest {
        alias_name: name.into(),
        target_key_id: target.into(),
    })
}

pub fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Asserts an error with exactly this exception name and message.
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(r: KmsResult<T>, name: &str, message: &str) {
    match r {
        Ok(v) => panic!("expected {name}({message:?}), got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.name(), name, "exception name (message {:?})", e.message());
            assert_eq!(e.message(), message, "message of {name}");
        }
    }
}

/// Asserts an error with this exception name (any message).
#[track_caller]
pub fn assert_err_name<T: std::fmt::Debug>(r: KmsResult<T>, name: &str) -> KmsError {
    match r {
        Ok(v) => panic!("expected {name}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.name(), name, "exception name (message {:?})", e.message());
            e
        }
    }
}
