//! Entry points of the fuzz targets (`fuzz/`), kept in the library so that
//! `tests/fuzz_corpus.rs` replays every committed corpus file through exactly
//! the same code on stable Rust in `cargo test`. Each must never panic,
//! whatever the bytes.
#![doc(hidden)]

use crate::api::*;
use crate::import::WrappingKeyPool;
use crate::store::Kms;
use crate::{ManualClock, Rules};
use std::sync::{LazyLock, Mutex};

struct World {
    kms: Kms,
    clock: ManualClock,
    keys: Vec<String>,
    external: String,
    token: Vec<u8>,
}

fn world() -> World {
    static POOL: LazyLock<WrappingKeyPool> = LazyLock::new(WrappingKeyPool::new);
    let clock = ManualClock::new(1_767_225_600);
    let mut kms = Kms::builder()
        .rules(Rules::current())
        .clock(clock.clone())
        .wrapping_keys(POOL.clone())
        .build();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let k = kms.create_key(CreateKeyRequest::default()).expect("create");
        keys.push(k.key_metadata.key_id);
    }
    kms.create_alias(AliasRequest {
        alias_name: "alias/fuzz".into(),
        target_key_id: keys[0].clone(),
    })
    .expect("alias");
    let external = kms
        .create_key(CreateKeyRequest {
            origin: Some("EXTERNAL".into()),
            ..Default::default()
        })
        .expect("create external")
        .key_metadata
        .key_id;
    let token = kms
        .get_parameters_for_import(GetParametersForImportRequest {
            key_id: external.clone(),
            wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
            wrapping_key_spec: "RSA_2048".into(),
        })
        .expect("parameters")
        .import_token
        .0;
    World {
        kms,
        clock,
        keys,
        external,
        token,
    }
}

// One store per process, reused across inputs (fuzzers run millions of them).
static WORLD: LazyLock<Mutex<World>> = LazyLock::new(|| Mutex::new(world()));

/// The store, renewed when its audit trail or key count has grown large: the
/// trail keeps every call by design, which a fuzzer would otherwise see as a
/// leak.
fn store() -> std::sync::MutexGuard<'static, World> {
    let mut w = WORLD.lock().unwrap_or_else(|p| p.into_inner());
    if w.kms.event_count() > 200_000 || w.kms.key_count() > 1_000 {
        *w = world();
    }
    w
}

/// Ciphertext decoding and Decrypt: arbitrary bytes as a blob, with and
/// without a KeyId, with an empty and a non-empty context.
pub fn decrypt(data: &[u8]) {
    let _ = crate::crypto::parse_ciphertext(data);
    let mut w = store();
    let key = w.keys[0].clone();
    for key_id in [None, Some(key), Some("alias/fuzz".to_string())] {
        let r = w.kms.decrypt(DecryptRequest {
            ciphertext_blob: Blob(data.to_vec()),
            key_id,
            encryption_context: Some([("k".to_string(), "v".to_string())].into()),
            ..Default::default()
        });
        if let Ok(d) = r {
            // Only a genuine blob decrypts, and its length says so.
            assert_eq!(
                d.plaintext.expose().len() + crate::crypto::HEADER_LEN + 16,
                data.len()
            );
        }
    }
}

/// The wire protocol: the first byte picks the operation, the rest is the
/// JSON body.
pub fn wire(data: &[u8]) {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let ops = crate::wire::OPERATIONS;
    let name = ops[op as usize % ops.len()];
    let mut w = store();
    let r = crate::wire::dispatch(&mut w.kms, name, body);
    assert!(matches!(r.status, 200 | 400), "{name}: status {}", r.status);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_ok());
    // Keep time from standing still.
    w.clock.advance(u64::from(op % 4) * 3_600);
}

/// Import: the first byte splits the input into an import token and wrapped
/// material; also tried with the real token.
pub fn import(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = (split as usize).min(rest.len());
    let (token, material) = rest.split_at(at);
    let mut w = store();
    let real = w.token.clone();
    let external = w.external.clone();
    for tok in [token.to_vec(), real] {
        let r = w.kms.import_key_material(ImportKeyMaterialRequest {
            key_id: external.clone(),
            import_token: Blob(tok),
            encrypted_key_material: Blob(material.to_vec()),
            expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
            ..Default::default()
        });
        // Random bytes never unwrap to material under our RSA key.
        assert!(
            r.is_err(),
            "arbitrary bytes were accepted as wrapped key material"
        );
    }
}
