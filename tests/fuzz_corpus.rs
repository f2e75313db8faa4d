//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`) through
//! the fuzz targets' entry points on stable Rust, so a crash found by fuzzing
//! stays fixed. `cargo test --test fuzz_corpus -- --ignored` (re)writes the
//! seed corpora.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
// The entry points are test-only items (`kms_lifecycle::testing`).
#![cfg(feature = "testing")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::api::*;
use kms_lifecycle::{Kms, Rules};
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let dir = corpus(target);
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let data = std::fs::read(&path).unwrap();
        f(&data);
        n += 1;
    }
    n
}

#[test]
fn decrypt_corpus_replays_without_panic() {
    assert!(replay("decrypt", kms_lifecycle::testing::fuzzing::decrypt) >= 5);
}

#[test]
fn wire_corpus_replays_without_panic() {
    assert!(replay("wire", kms_lifecycle::testing::fuzzing::wire) >= 28);
}

#[test]
fn import_corpus_replays_without_panic() {
    assert!(replay("import", kms_lifecycle::testing::fuzzing::import) >= 3);
}

#[cfg(feature = "conform")]
#[test]
fn foreign_corpus_replays_without_panic() {
    assert!(
        replay("foreign", |d| {
            kms_lifecycle::testing::fuzzing::foreign(d);
        }) >= 4
    );
}

/// The foreign-response target decodes and judges real answers faithfully:
/// the reference's recorded answers, fed back, show no divergence; cut short,
/// they do.
#[cfg(feature = "conform")]
#[test]
fn recorded_reference_answers_replay_without_divergence() {
    use kms_lifecycle::testing::fuzzing::{foreign, foreign_seed};
    for classic in [false, true] {
        let seed = foreign_seed(classic);
        assert!(seed.len() > 200, "a real recording");
        assert_eq!(foreign(&seed), 0, "classic={classic}");
        assert_eq!(foreign(&seed[..seed.len() / 2]), 1, "classic={classic}");
    }
}

#[test]
#[ignore = "writes the seed corpora; run once with --ignored"]
fn write_seed_corpora() {
    let (mut kms, _) =
        Kms::with_manual_clock(Rules::current(), kms_lifecycle::clock::DEFAULT_START);
    let key = kms
        .create_key(CreateKeyRequest::default())
        .unwrap()
        .key_metadata
        .key_id;
    let dir = corpus("decrypt");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (pt, ctx)) in [
        (b"x".to_vec(), vec![]),
        (vec![7u8; 100], vec![("k", "v")]),
        (vec![0u8; 4096], vec![("ab", "c")]),
    ]
    .into_iter()
    .enumerate()
    {
        let r = kms
            .encrypt(EncryptRequest {
                key_id: key.clone(),
                plaintext: SecretBlob::new(pt),
                encryption_context: Some(
                    ctx.into_iter()
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .collect(),
                ),
                ..Default::default()
            })
            .unwrap();
        std::fs::write(
            dir.join(format!("seed-ciphertext-{i}")),
            &r.ciphertext_blob.0,
        )
        .unwrap();
    }
    std::fs::write(dir.join("seed-empty"), b"").unwrap();
    std::fs::write(dir.join("seed-header-only"), [0x4B, 0x01]).unwrap();
    let dir = corpus("wire");
    std::fs::create_dir_all(&dir).unwrap();
    let blob = B64.encode([0x4Bu8, 1, 2, 3]);
    let bodies = [
        r#"{"KeyId":"alias/fuzz"}"#.to_string(),
        r#"{"KeyId":"alias/fuzz","Plaintext":"eA==","EncryptionContext":{"a":"b"}}"#.to_string(),
        format!(r#"{{"CiphertextBlob":"{blob}","KeyId":"alias/fuzz"}}"#),
        r#"{"KeyId":"alias/fuzz","NumberOfBytes":32}"#.to_string(),
        r#"{"KeyId":"alias/fuzz","PendingWindowInDays":7}"#.to_string(),
        r#"{"AliasName":"alias/x","TargetKeyId":"alias/fuzz"}"#.to_string(),
        r#"{"Origin":"EXTERNAL","Description":"d","Tags":[{"TagKey":"a","TagValue":"b"}]}"#.to_string(),
        r#"{"KeyId":"alias/fuzz","WrappingAlgorithm":"RSAES_OAEP_SHA_256","WrappingKeySpec":"RSA_2048"}"#.to_string(),
        r#"{"Limit":10,"Marker":"1"}"#.to_string(),
    ];
    for (op, _) in kms_lifecycle::wire::OPERATIONS.iter().enumerate() {
        let body = &bodies[op % bodies.len()];
        let mut data = vec![op as u8];
        data.extend_from_slice(body.as_bytes());
        std::fs::write(dir.join(format!("seed-op-{op:02}")), data).unwrap();
    }
    let dir = corpus("import");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("seed-empty-token"), [0u8, 1, 2, 3]).unwrap();
    let mut t = vec![98u8];
    t.extend(std::iter::repeat_n(0x54, 98));
    t.extend(std::iter::repeat_n(7, 256));
    std::fs::write(dir.join("seed-token-shaped"), t).unwrap();
    let mut w = vec![0u8];
    w.extend(std::iter::repeat_n(9, 256 + 40));
    std::fs::write(dir.join("seed-aes-wrap-shaped"), w).unwrap();
    #[cfg(feature = "conform")]
    {
        let dir = corpus("foreign");
        std::fs::create_dir_all(&dir).unwrap();
        for classic in [false, true] {
            let name = if classic { "classic" } else { "current" };
            std::fs::write(
                dir.join(format!("seed-reference-{name}")),
                kms_lifecycle::testing::fuzzing::foreign_seed(classic),
            )
            .unwrap();
        }
        // Clock control, then an HTML 500 page and an error without a body.
        let mut html = vec![0u8, 0, 8, 0];
        html.extend_from_slice(&kms_lifecycle::clock::DEFAULT_START.to_be_bytes());
        let page = b"<html><body>Internal Server Error</body></html>";
        html.push(3);
        html.extend_from_slice(&(page.len() as u16).to_le_bytes());
        html.extend_from_slice(page);
        html.extend_from_slice(&[8 | 1, 0, 0]);
        std::fs::write(dir.join("seed-html-500"), html).unwrap();
        std::fs::write(dir.join("seed-no-clock"), [0u8, 32, 0, 0]).unwrap();
    }
}
