//! Cryptographic operations through `Kms`, next to raw AES-256-GCM sealing of
//! the same bytes with the same kind of key (the limit). `scripts/bench-report`
//! turns these into ratios.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kms_lifecycle::api::*;
use kms_lifecycle::import::{WrappingKeyPool, wrap_key_material};
use kms_lifecycle::{Kms, Rules};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [(&str, usize); 3] = [("32", 32), ("1k", 1024), ("4k", 4096)];

/// A new AWS_KMS key's id.
fn new_key(kms: &mut Kms) -> String {
    kms.create_key(CreateKeyRequest::default())
        .unwrap()
        .key_metadata
        .key_id
}

fn store() -> (Kms, String) {
    let (mut kms, _) = Kms::with_manual_clock(Rules::current(), 1_767_225_600);
    let key = new_key(&mut kms);
    (kms, key)
}

fn encrypt_req(key: &str, n: usize) -> EncryptRequest {
    EncryptRequest {
        key_id: key.to_string(),
        plaintext: SecretBlob::new(vec![0x5A; n]),
        ..Default::default()
    }
}

fn crypto(c: &mut Criterion) {
    let (mut kms, key) = store();
    let raw_key = [7u8; 32];
    let mut g = c.benchmark_group("crypto");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, n) in SIZES {
        g.throughput(Throughput::Bytes(n as u64));
        let pt = vec![0x5A; n];
        // The limit: a fresh random nonce and AES-256-GCM sealing with a
        // cipher built from the key, as the store does per call.
        g.bench_with_input(BenchmarkId::new("raw_aesgcm_seal", name), &pt, |b, pt| {
            b.iter(|| {
                let mut nonce = [0u8; 12];
                getrandom::fill(&mut nonce).unwrap();
                let cipher = Aes256Gcm::new((&raw_key).into());
                black_box(
                    cipher
                        .encrypt(
                            &Nonce::from(nonce),
                            Payload {
                                msg: pt,
                                aad: &[0u8; 38],
                            },
                        )
                        .unwrap(),
                )
            })
        });
        let sealed = Aes256Gcm::new((&raw_key).into())
            .encrypt(
                &Nonce::from([1u8; 12]),
                Payload {
                    msg: &pt,
                    aad: &[0u8; 38],
                },
            )
            .unwrap();
        g.bench_with_input(
            BenchmarkId::new("raw_aesgcm_open", name),
            &sealed,
            |b, ct| {
                b.iter(|| {
                    let cipher = Aes256Gcm::new((&raw_key).into());
                    black_box(
                        cipher
                            .decrypt(
                                &Nonce::from([1u8; 12]),
                                Payload {
                                    msg: ct,
                                    aad: &[0u8; 38],
                                },
                            )
                            .unwrap(),
                    )
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("kms_encrypt", name), &n, |b, &n| {
            b.iter_batched(
                || encrypt_req(&key, n),
                // The response is dropped inside the measurement, as the raw
                // baseline's output is (`iter` drops it per iteration).
                // Returning it would let criterion keep a whole batch of
                // blobs alive: the heap then grows and page-faults, 30 % of
                // this benchmark's samples under perf (docs/performance.md).
                |req| drop(black_box(kms.encrypt(req).unwrap())),
                criterion::BatchSize::SmallInput,
            )
        });
        // The request as the wire layer decodes it (JSON, base64): the
        // plaintext lies behind room for the blob header and is sealed where
        // it lies, with nothing to copy or wipe. Decoding is setup.
        let json = serde_json::to_string(&encrypt_req(&key, n)).unwrap();
        g.bench_with_input(
            BenchmarkId::new("kms_encrypt_wire_decoded", name),
            &json,
            |b, json| {
                b.iter_batched(
                    || serde_json::from_str::<EncryptRequest>(json).unwrap(),
                    |req| drop(black_box(kms.encrypt(req).unwrap())),
                    criterion::BatchSize::SmallInput,
                )
            },
        );
        let blob = kms.encrypt(encrypt_req(&key, n)).unwrap().ciphertext_blob;
        g.bench_with_input(BenchmarkId::new("kms_decrypt", name), &blob, |b, blob| {
            b.iter_batched(
                || DecryptRequest {
                    ciphertext_blob: blob.clone(),
                    ..Default::default()
                },
                // Dropped inside, as above; the drop wipes the plaintext.
                |req| drop(black_box(kms.decrypt(req).unwrap())),
                criterion::BatchSize::SmallInput,
            )
        });
    }
    // What the store does per call beyond AES-GCM, measured apart so that
    // docs/performance.md can account for the ratios.
    g.throughput(Throughput::Bytes(4096));
    // `zeroize` on a Vec<u8> (one volatile byte store at a time), next to
    // the store's own wipe (volatile 16-byte stores).
    g.bench_function("zeroize_drop_4k", |b| {
        b.iter_batched(
            || zeroize::Zeroizing::new(vec![0x5Au8; 4096]),
            drop,
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("secret_bytes_drop_4k", |b| {
        b.iter_batched(
            || kms_lifecycle::crypto::SecretBytes::new(vec![0x5Au8; 4096]),
            drop,
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("response_strings", |b| {
        let id = [0xABu8; 16];
        let mid = [0xCDu8; 32];
        b.iter(|| {
            let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
            black_box((
                format!(
                    "arn:aws:kms:us-east-1:111122223333:key/{}",
                    hex(black_box(&id))
                ),
                hex(black_box(&mid)),
            ))
        })
    });
    g.finish();
}

fn rotations(c: &mut Criterion) {
    let mut g = c.benchmark_group("decrypt_after_rotations");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for rotations in [0usize, 10, 1000] {
        // The oldest ciphertext, made under version 0, decrypted after every rotation.
        let (mut kms, blob) = automatic_rotations(rotations);
        g.bench_with_input(BenchmarkId::from_parameter(rotations), &blob, |b, blob| {
            b.iter_batched(
                || DecryptRequest {
                    ciphertext_blob: blob.clone(),
                    ..Default::default()
                },
                // Dropped inside, as above; the drop wipes the plaintext.
                |req| drop(black_box(kms.decrypt(req).unwrap())),
                criterion::BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// A key rotated `n` times automatically (90-day period, clock moved).
fn automatic_rotations(n: usize) -> (Kms, Blob) {
    let (mut kms, clock) = Kms::with_manual_clock(Rules::current(), 1_767_225_600);
    let key = new_key(&mut kms);
    let blob = kms
        .encrypt(encrypt_req(&key, 1024))
        .unwrap()
        .ciphertext_blob;
    kms.enable_key_rotation(EnableKeyRotationRequest {
        key_id: key.clone(),
        rotation_period_in_days: Some(90),
    })
    .unwrap();
    clock.advance(90 * 86_400 * n as u64);
    kms.tick();
    let done = kms
        .list_key_rotations(ListKeyRotationsRequest {
            key_id: key,
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap()
        .rotations
        .len();
    assert_eq!(done, n, "the key rotated {n} times");
    (kms, blob)
}

fn operations(c: &mut Criterion) {
    let (mut kms, key) = store();
    let mut g = c.benchmark_group("operations");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("generate_data_key", |b| {
        b.iter(|| {
            black_box(
                kms.generate_data_key(GenerateDataKeyRequest {
                    key_id: key.clone(),
                    key_spec: Some(DataKeySpec::Aes256),
                    ..Default::default()
                })
                .unwrap(),
            )
        })
    });
    let other = new_key(&mut kms);
    let blob = kms
        .encrypt(encrypt_req(&key, 1024))
        .unwrap()
        .ciphertext_blob;
    g.bench_function("re_encrypt", |b| {
        b.iter(|| {
            black_box(
                kms.re_encrypt(ReEncryptRequest {
                    ciphertext_blob: blob.clone(),
                    destination_key_id: other.clone(),
                    ..Default::default()
                })
                .unwrap(),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("import");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    // Fresh RSA-2048 key generation per call, as AWS does.
    let (mut kms, _) = Kms::with_manual_clock(Rules::current(), 1_767_225_600);
    let ext = kms
        .create_key(CreateKeyRequest {
            origin: Some(Origin::External),
            ..Default::default()
        })
        .unwrap()
        .key_metadata
        .key_id;
    g.bench_function("get_parameters_for_import_rsa2048", |b| {
        b.iter(|| {
            black_box(
                kms.get_parameters_for_import(GetParametersForImportRequest {
                    key_id: ext.clone(),
                    wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                    wrapping_key_spec: WrappingKeySpec::Rsa2048,
                })
                .unwrap(),
            )
        })
    });
    // ImportKeyMaterial (reimport of the same material): RSA-OAEP unwrap.
    let pool = WrappingKeyPool::new();
    let mut kms = Kms::builder()
        .rules(Rules::current())
        .clock(kms_lifecycle::ManualClock::new(1_767_225_600))
        .wrapping_keys(pool)
        .build();
    let ext = kms
        .create_key(CreateKeyRequest {
            origin: Some(Origin::External),
            ..Default::default()
        })
        .unwrap()
        .key_metadata
        .key_id;
    let p = kms
        .get_parameters_for_import(GetParametersForImportRequest {
            key_id: ext.clone(),
            wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
            wrapping_key_spec: WrappingKeySpec::Rsa2048,
        })
        .unwrap();
    let wrapped = wrap_key_material(
        &p.public_key.0,
        WrappingAlgorithm::RsaesOaepSha256,
        &[3u8; 32],
    )
    .unwrap();
    g.bench_function("import_key_material_rsa2048", |b| {
        b.iter(|| {
            black_box(
                kms.import_key_material(ImportKeyMaterialRequest {
                    key_id: ext.clone(),
                    import_token: p.import_token.clone(),
                    encrypted_key_material: Blob(wrapped.clone()),
                    expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
                    ..Default::default()
                })
                .unwrap(),
            )
        })
    });
    g.finish();
}

fn big_store(c: &mut Criterion) {
    let (mut kms, _) = store();
    for _ in 0..100_000 {
        kms.create_key(CreateKeyRequest::default()).unwrap();
    }
    let mut g = c.benchmark_group("store");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("create_key_into_100k", |b| {
        b.iter(|| black_box(kms.create_key(CreateKeyRequest::default()).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, crypto, rotations, operations, big_store);
criterion_main!(benches);
