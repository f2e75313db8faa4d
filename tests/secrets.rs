//! No secret leaves: a full scenario (encrypt, data keys, import with every
//! wrapping algorithm of `current`, rotation, expiry, deletion, failures), then
//! every audit event, alarm, error message, wire response other than the
//! plaintext fields themselves, and `Debug` rendering is searched for the bytes
//! of every plaintext, data key and key material, in raw, hex, base64 and
//! Debug-array form.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::api::*;
use kms_lifecycle::import::{WrappingKeyPool, wrap_key_material};
use kms_lifecycle::{Kms, Rules};
use std::collections::BTreeMap;

fn secret(tag: u8) -> Vec<u8> {
    // Distinctive, high-entropy-looking bytes that cannot occur by chance.
    (0..32u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(tag).rotate_left(3) ^ 0xA5)
        .collect()
}

/// Every way a secret could be written into text.
fn renderings(s: &[u8]) -> Vec<String> {
    let hex: String = s.iter().map(|b| format!("{b:02x}")).collect();
    let debug = format!("{:?}", &s[..8]);
    let debug_prefix = debug.trim_end_matches(']').to_string();
    vec![
        hex.clone(),
        hex.to_uppercase(),
        B64.encode(s),
        B64.encode(s).trim_end_matches('=').to_string(),
        debug_prefix,
        String::from_utf8_lossy(s).into_owned(),
    ]
}

#[test]
fn no_plaintext_data_key_or_key_material_in_events_errors_or_debug() {
    let pool = WrappingKeyPool::new();
    let clock = kms_lifecycle::ManualClock::new(kms_lifecycle::clock::DEFAULT_START);
    let mut kms = Kms::builder()
        .rules(Rules::current())
        .clock(clock.clone())
        .wrapping_keys(pool)
        .build();
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let ctx = BTreeMap::from([("purpose".to_string(), "secrets-test".to_string())]);

    let key = kms
        .create_key(CreateKeyRequest::default())
        .unwrap()
        .key_metadata
        .key_id;
    for tag in 0..4u8 {
        let pt = secret(tag);
        secrets.push(pt.clone());
        let enc = EncryptRequest {
            key_id: key.clone(),
            plaintext: SecretBlob::new(pt.clone()),
            encryption_context: Some(ctx.clone()),
            ..Default::default()
        };
        texts.push(format!("{enc:?}"));
        let r = kms.encrypt(enc).unwrap();
        texts.push(format!("{r:?}"));
        let d = kms
            .decrypt(DecryptRequest {
                ciphertext_blob: r.ciphertext_blob.clone(),
                encryption_context: Some(ctx.clone()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(d.plaintext.expose(), pt.as_slice());
        texts.push(format!("{d:?}"));
        // A failing decrypt (wrong context) and a failing encrypt (too long).
        let e = kms
            .decrypt(DecryptRequest {
                ciphertext_blob: r.ciphertext_blob,
                ..Default::default()
            })
            .unwrap_err();
        texts.push(format!("{e:?} {e}"));
        let mut long = pt.clone();
        long.resize(5000, tag);
        let e = kms
            .encrypt(EncryptRequest {
                key_id: key.clone(),
                plaintext: SecretBlob::new(long),
                ..Default::default()
            })
            .unwrap_err();
        texts.push(format!("{e:?} {e}"));
    }
    let dk = kms
        .generate_data_key(GenerateDataKeyRequest {
            key_id: key.clone(),
            key_spec: Some(DataKeySpec::Aes256),
            ..Default::default()
        })
        .unwrap();
    secrets.push(dk.plaintext.as_ref().unwrap().expose().to_vec());
    texts.push(format!("{dk:?}"));
    // The wire response of GenerateDataKey carries the data key in Plaintext
    // only: remove that field and nothing else may hold it.
    let mut wire = serde_json::to_value(&dk).unwrap();
    wire.as_object_mut().unwrap().remove("Plaintext");
    texts.push(wire.to_string());
    kms.rotate_key_on_demand(KeyIdRequest::new(key.clone()))
        .unwrap();

    // Import with each wrapping algorithm of `current`.
    for (i, alg) in [
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
    ]
    .into_iter()
    .enumerate()
    {
        let material = secret(100 + i as u8);
        secrets.push(material.clone());
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
                wrapping_algorithm: alg,
                wrapping_key_spec: WrappingKeySpec::Rsa2048,
            })
            .unwrap();
        texts.push(format!("{p:?}"));
        let wrapped = wrap_key_material(&p.public_key.0, alg, &material).unwrap();
        let req = ImportKeyMaterialRequest {
            key_id: ext.clone(),
            import_token: p.import_token.clone(),
            encrypted_key_material: Blob(wrapped),
            valid_to: Some(Timestamp(clock.now_for_test() + 86_400)),
            ..Default::default()
        };
        texts.push(format!("{req:?}"));
        let r = kms.import_key_material(req).unwrap();
        texts.push(format!("{r:?}"));
        // Different material refused: its error must not echo it either.
        let other = secret(200 + i as u8);
        secrets.push(other.clone());
        let wrapped = wrap_key_material(&p.public_key.0, alg, &other).unwrap();
        let e = kms
            .import_key_material(ImportKeyMaterialRequest {
                key_id: ext.clone(),
                import_token: p.import_token,
                encrypted_key_material: Blob(wrapped),
                expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.name(), "IncorrectKeyMaterialException");
        texts.push(format!("{e:?} {e}"));
    }
    // Expiry, deletion and use while pending deletion.
    clock.advance(86_400);
    kms.schedule_key_deletion(ScheduleKeyDeletionRequest {
        key_id: key.clone(),
        pending_window_in_days: Some(7),
    })
    .unwrap();
    let _ = kms.encrypt(EncryptRequest {
        key_id: key.clone(),
        plaintext: SecretBlob::new(secrets[0].clone()),
        ..Default::default()
    });
    clock.advance(8 * 86_400);
    kms.tick();

    texts.push(serde_json::to_string(&kms.events()).unwrap());
    texts.push(serde_json::to_string(kms.alarms()).unwrap());
    texts.push(format!("{:?}", kms.events()));
    texts.push(format!("{:?}", kms.alarms()));
    texts.push(format!("{kms:?}"));
    let names: Vec<&str> = kms.events().iter().map(|e| e.event_name).collect();
    for expected in [
        "DeleteExpiredKeyMaterial",
        "DeleteKey",
        "ImportKeyMaterial",
        "Encrypt",
    ] {
        assert!(
            names.contains(&expected),
            "the scenario produced a {expected} event"
        );
    }
    assert!(!kms.alarms().is_empty(), "the scenario raised an alarm");

    let haystack = texts.join("\n");
    assert!(
        haystack.len() > 5_000,
        "the scenario produced text to search"
    );
    for s in &secrets {
        for r in renderings(s) {
            assert!(
                !haystack.contains(&r),
                "a secret appears in an event, error or Debug rendering as {r:?}"
            );
        }
    }
    // The search itself has teeth: a rendering of a secret is found.
    let leaked = format!("{haystack}{}", B64.encode(&secrets[0]));
    assert!(renderings(&secrets[0]).iter().any(|r| leaked.contains(r)));
}

trait NowForTest {
    fn now_for_test(&self) -> u64;
}
impl NowForTest for kms_lifecycle::ManualClock {
    fn now_for_test(&self) -> u64 {
        use kms_lifecycle::Clock;
        self.now()
    }
}
