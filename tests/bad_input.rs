//! Bad input gets a clear AWS error and changes nothing (issue 2, item 9).
//!
//! Every refusal is checked against a snapshot of the store taken before the
//! call (every key's metadata, ListKeys, ListAliases, rotations, tags,
//! alarms). The property tests at the end feed random input to every
//! operation: the library never panics and answers only documented errors.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use common::*;
use kms_lifecycle::api::*;
use kms_lifecycle::crypto::HEADER_LEN;
use kms_lifecycle::{Kms, KmsError, KmsResult, ManualClock, Rules};
use proptest::prelude::*;

#[derive(Debug, PartialEq)]
struct Snapshot {
    keys: ListKeysResponse,
    metadata: Vec<KeyMetadata>,
    rotations: Vec<Vec<RotationsListEntry>>,
    tags: Vec<ListResourceTagsResponse>,
    aliases: ListAliasesResponse,
    alarms: usize,
}

fn snapshot(kms: &mut Kms) -> Snapshot {
    let keys = kms
        .list_keys(ListRequest {
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<String> = keys.keys.iter().map(|k| k.key_id.clone()).collect();
    Snapshot {
        metadata: ids.iter().map(|k| describe(kms, k).unwrap()).collect(),
        rotations: ids.iter().map(|k| rotations(kms, k)).collect(),
        tags: ids
            .iter()
            .map(|k| kms.list_resource_tags(KeyIdRequest::new(k)).unwrap())
            .collect(),
        aliases: kms
            .list_aliases(ListRequest {
                limit: Some(1000),
                ..Default::default()
            })
            .unwrap(),
        alarms: kms.alarms().len(),
        keys,
    }
}

/// Runs `f`, asserts it fails with `name` and that the store is unchanged.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    kms: &mut Kms,
    name: &str,
    f: impl FnOnce(&mut Kms) -> KmsResult<T>,
) -> KmsError {
    let before = snapshot(kms);
    let e = assert_err_name(f(kms), name);
    assert_eq!(snapshot(kms), before, "a refused call changes nothing");
    e
}

/// A store with an Enabled AWS_KMS key (alias/app, rotation on, a tag), and
/// an Enabled EXTERNAL key.
struct World {
    kms: Kms,
    clock: ManualClock,
    key: String,
    arn: String,
    ext: String,
}

fn world(rules: Rules) -> World {
    let (mut kms, clock) = store(rules);
    let md = create(&mut kms);
    alias(&mut kms, "alias/app", &md.key_id).unwrap();
    enable_rotation(&mut kms, &md.key_id, None).unwrap();
    kms.tag_resource(TagResourceRequest {
        key_id: md.key_id.clone(),
        tags: vec![Tag {
            tag_key: "team".into(),
            tag_value: "a".into(),
        }],
    })
    .unwrap();
    let ext = imported_key(&mut kms, &[9; 32]).key_id;
    World {
        kms,
        clock,
        key: md.key_id,
        arn: md.arn,
        ext,
    }
}

const UNKNOWN: &str = "0b6a3c2e-1f4d-4e5a-9c8b-7d6e5f4a3b2c";

// ----- key ids -------------------------------------------------------------

#[test]
fn unknown_key_id_is_not_found_with_its_arn() {
    let mut w = world(Rules::current());
    let msg = format!("Key 'arn:aws:kms:us-east-1:111122223333:key/{UNKNOWN}' does not exist");
    for id in [UNKNOWN.to_string(), w.kms.arn_of(UNKNOWN)] {
        let e = refused(&mut w.kms, "NotFoundException", |k| describe(k, &id));
        assert_eq!(e.message(), msg);
        let e = refused(&mut w.kms, "NotFoundException", |k| {
            try_encrypt(k, &id, b"x")
        });
        assert_eq!(e.message(), msg);
        let e = refused(&mut w.kms, "NotFoundException", |k| {
            k.disable_key(KeyIdRequest::new(&id))
        });
        assert_eq!(e.message(), msg);
        let e = refused(&mut w.kms, "NotFoundException", |k| {
            schedule_deletion(k, &id, Some(7))
        });
        assert_eq!(e.message(), msg);
        refused(&mut w.kms, "NotFoundException", |k| {
            alias(k, "alias/new", &id)
        });
    }
}

#[test]
fn malformed_key_ids_are_invalid_key_id() {
    let mut w = world(Rules::current());
    let upper = w.key.to_uppercase();
    let short = w.key[..35].to_string();
    let braces = format!("{{{}}}", w.key);
    let no_dashes = w.key.replace('-', "");
    let key_prefix = format!("key/{}", w.key);
    let arn_bad_resource = format!("arn:aws:kms:us-east-1:111122223333:keys/{}", w.key);
    let arn_bad_id = "arn:aws:kms:us-east-1:111122223333:key/xyz".to_string();
    // (An empty key id is a ValidationException: `empty_key_ids_...` below.)
    for id in [
        "not-a-key",
        upper.as_str(),
        short.as_str(),
        braces.as_str(),
        no_dashes.as_str(),
        key_prefix.as_str(),
        arn_bad_resource.as_str(),
        arn_bad_id.as_str(),
        " ",
        "ключ",
    ] {
        let msg = format!("Invalid keyId '{id}'");
        let e = refused(&mut w.kms, "NotFoundException", |k| describe(k, id));
        assert_eq!(e.message(), msg);
        let e = refused(&mut w.kms, "NotFoundException", |k| {
            k.enable_key(KeyIdRequest::new(id))
        });
        assert_eq!(e.message(), msg);
        let e = refused(&mut w.kms, "NotFoundException", |k| {
            try_encrypt(k, id, b"x")
        });
        assert_eq!(e.message(), msg);
    }
}

#[test]
fn arns_of_other_regions_partitions_and_accounts_are_not_found() {
    let mut w = world(Rules::current());
    for arn in [
        w.arn.replace("us-east-1", "eu-west-1"),
        w.arn.replace("111122223333", "444455556666"),
        w.arn.replace("arn:aws:", "arn:aws-cn:"),
        "arn:aws:kms:eu-west-1:111122223333:alias/app".to_string(),
    ] {
        let e = refused(&mut w.kms, "NotFoundException", |k| describe(k, &arn));
        assert_eq!(e.message(), format!("Key '{arn}' does not exist"));
        refused(&mut w.kms, "NotFoundException", |k| {
            try_encrypt(k, &arn, b"x")
        });
        refused(&mut w.kms, "NotFoundException", |k| {
            k.schedule_key_deletion(ScheduleKeyDeletionRequest {
                key_id: arn.clone(),
                pending_window_in_days: Some(7),
            })
        });
    }
    // The key itself, by its real ARN, is fine.
    assert_eq!(describe(&mut w.kms, &w.arn).unwrap().key_id, w.key);
}

#[test]
fn aliases_are_refused_by_management_operations() {
    let mut w = world(Rules::current());
    let alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/app";
    for name in ["alias/app", alias_arn] {
        let msg = format!("Invalid keyId '{name}'");
        let e = refused(&mut w.kms, "NotFoundException", |k| {
            k.disable_key(KeyIdRequest::new(name))
        });
        assert_eq!(e.message(), msg);
        refused(&mut w.kms, "NotFoundException", |k| {
            schedule_deletion(k, name, Some(7))
        });
        refused(&mut w.kms, "NotFoundException", |k| {
            k.rotate_key_on_demand(KeyIdRequest::new(name))
        });
        // ... and accepted by cryptographic operations and DescribeKey.
        assert_eq!(describe(&mut w.kms, name).unwrap().key_id, w.key);
    }
}

#[test]
fn unknown_alias_is_not_found() {
    let mut w = world(Rules::current());
    let e = refused(&mut w.kms, "NotFoundException", |k| {
        try_encrypt(k, "alias/nope", b"x")
    });
    assert_eq!(
        e.message(),
        "Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found."
    );
    refused(&mut w.kms, "NotFoundException", |k| {
        k.update_alias(AliasRequest {
            alias_name: "alias/nope".into(),
            target_key_id: w.key.clone(),
        })
    });
    refused(&mut w.kms, "NotFoundException", |k| {
        k.delete_alias(DeleteAliasRequest {
            alias_name: "alias/nope".into(),
        })
    });
}

/// A KeyId longer than AWS's 2,048 characters is a ValidationException that
/// does not echo it (store.rs `Kms::resolve`, the length bound).
#[test]
fn key_ids_over_2048_characters_are_refused_without_echo() {
    let (mut kms, _clock) = store(Rules::current());
    for len in [2049, 5000] {
        let id = "k".repeat(len);
        let e = describe(&mut kms, &id).unwrap_err();
        assert_eq!(e.name(), "ValidationException", "{len}");
        assert!(e.message().contains("2048"), "{}", e.message());
        assert!(!e.message().contains(&id[..100]), "echoed");
    }
    // At the bound: an ordinary NotFound for an unknown alias-less name.
    let e = describe(&mut kms, &"k".repeat(2048)).unwrap_err();
    assert_ne!(
        e.name(),
        "ValidationException",
        "2048 characters are allowed"
    );
}

/// Key ids are version-4 UUIDs (RFC 9562): version nibble 4, variant 10xx
/// (store.rs `Kms::fresh_id`).
#[test]
fn key_ids_are_version_4_uuids() {
    let (mut kms, _clock) = store(Rules::current());
    for _ in 0..32 {
        let id = create(&mut kms).key_id;
        let b = id.as_bytes();
        assert_eq!(b[14], b'4', "{id}");
        assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "{id}");
    }
}

// ----- alias names -----------------------------------------------------------

#[test]
fn alias_names_that_break_the_naming_rules_are_refused() {
    let mut w = world(Rules::current());
    let key = w.key.clone();
    let too_long = format!("alias/{}", "a".repeat(251));
    assert_eq!(too_long.len(), 257);
    for (name, exception) in [
        ("app2", "ValidationException"),
        ("Alias/app2", "ValidationException"),
        ("", "ValidationException"),
        (too_long.as_str(), "ValidationException"),
        ("alias/", "InvalidAliasNameException"),
        ("alias/with space", "InvalidAliasNameException"),
        ("alias/semi;colon", "InvalidAliasNameException"),
        ("alias/ünicode", "InvalidAliasNameException"),
        ("alias/dot.ted", "InvalidAliasNameException"),
        ("alias/aws/mine", "NotAuthorizedException"),
        ("alias/aws/s3", "NotAuthorizedException"),
    ] {
        refused(&mut w.kms, exception, |k| alias(k, name, &key));
        refused(&mut w.kms, exception, |k| {
            k.update_alias(AliasRequest {
                alias_name: name.into(),
                target_key_id: key.clone(),
            })
        });
        refused(&mut w.kms, exception, |k| {
            k.delete_alias(DeleteAliasRequest {
                alias_name: name.into(),
            })
        });
    }
    let e = refused(&mut w.kms, "AlreadyExistsException", |k| {
        alias(k, "alias/app", &key)
    });
    assert_eq!(
        e.message(),
        "An alias with the name arn:aws:kms:us-east-1:111122223333:alias/app already exists"
    );
    // The limits themselves are accepted.
    let longest = format!("alias/{}", "a".repeat(250));
    alias(&mut w.kms, &longest, &key).unwrap();
    alias(&mut w.kms, "alias/A-z_0/9", &key).unwrap();
}

/// An `alias/aws/<service>` name of lowercase letters, digits and hyphens
/// names an AWS managed key (made on first use); any other character, or an
/// empty service, does not (store.rs `is_managed_alias`).
#[test]
fn managed_alias_names() {
    let (mut kms, _clock) = store(Rules::current());
    for name in ["alias/aws/my-service2", "alias/aws/ebs"] {
        let md = describe(&mut kms, name).unwrap();
        assert_eq!(md.key_manager, KeyManager::Aws, "{name}");
    }
    for name in ["alias/aws/My-Service", "alias/aws/a_b", "alias/aws/"] {
        let e = describe(&mut kms, name).unwrap_err();
        assert_eq!(e.name(), "NotFoundException", "{name}: {}", e.message());
    }
}

// ----- plaintext, data keys --------------------------------------------------

#[test]
fn plaintext_of_0_or_4097_bytes_is_a_validation_error() {
    let mut w = world(Rules::current());
    for pt in [vec![], vec![7u8; 4097]] {
        refused(&mut w.kms, "ValidationException", |k| {
            try_encrypt(k, &w.key, &pt)
        });
    }
    for pt in [vec![1u8], vec![7u8; 4096]] {
        let blob = encrypt(&mut w.kms, &w.key, &pt);
        assert_eq!(decrypt_ok(&mut w.kms, &blob), pt);
    }
}

#[test]
fn generate_data_key_needs_exactly_one_valid_size() {
    let mut w = world(Rules::current());
    let req = |spec: Option<DataKeySpec>, n: Option<i64>| GenerateDataKeyRequest {
        key_id: w.key.clone(),
        key_spec: spec,
        number_of_bytes: n,
        ..Default::default()
    };
    // (Unknown key specs cannot be typed: tests/wire_bad_input.rs.)
    for (spec, n) in [
        (Some(DataKeySpec::Aes256), Some(32)),
        (None, None),
        (None, Some(0)),
        (None, Some(1025)),
        (None, Some(-1)),
    ] {
        refused(&mut w.kms, "ValidationException", |k| {
            k.generate_data_key(req(spec, n))
        });
        refused(&mut w.kms, "ValidationException", |k| {
            k.generate_data_key_without_plaintext(req(spec, n))
        });
    }
    for (spec, n, len) in [
        (None, Some(1), 1),
        (None, Some(1024), 1024),
        (Some(DataKeySpec::Aes128), None, 16),
        (Some(DataKeySpec::Aes256), None, 32),
    ] {
        let r = w.kms.generate_data_key(req(spec, n)).unwrap();
        assert_eq!(r.plaintext.unwrap().expose().len(), len);
    }
}

/// GenerateDataKey's NumberOfBytes bounds, each with its own message
/// (store.rs `Kms::data_key`).
#[test]
fn data_key_number_of_bytes_bounds() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let mut gen_n = |n: i64| {
        kms.generate_data_key(GenerateDataKeyRequest {
            key_id: key.clone(),
            number_of_bytes: Some(n),
            ..Default::default()
        })
    };
    for n in [1, 1024] {
        let dk = gen_n(n).unwrap();
        assert_eq!(dk.plaintext.unwrap().expose().len(), n as usize);
    }
    for n in [0, -1, i64::MIN] {
        let e = gen_n(n).unwrap_err();
        assert_eq!(e.name(), "ValidationException");
        assert!(
            e.message().contains("greater than or equal to 1"),
            "{n}: {}",
            e.message()
        );
    }
    for n in [1025, i64::MAX] {
        let e = gen_n(n).unwrap_err();
        assert_eq!(e.name(), "ValidationException");
        assert!(
            e.message().contains("less than or equal to 1024"),
            "{n}: {}",
            e.message()
        );
    }
}

/// A KeySpec other than AES_256 / AES_128 is a ValidationException about
/// keySpec (store.rs `Kms::data_key`).
#[test]
fn data_key_spec_must_be_aes() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    for (spec, len) in [(DataKeySpec::Aes256, 32), (DataKeySpec::Aes128, 16)] {
        let dk = kms
            .generate_data_key(GenerateDataKeyRequest {
                key_id: key.clone(),
                key_spec: Some(spec),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(dk.plaintext.unwrap().expose().len(), len);
    }
    // AES_512 cannot be typed: it is refused on the wire.
    let body = format!(r#"{{"KeyId":"{key}","KeySpec":"AES_512"}}"#);
    let r = kms_lifecycle::wire::dispatch(&mut kms, "GenerateDataKey", body.as_bytes());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "ValidationException");
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("keySpec"), "{message}");
}

// ----- ciphertext --------------------------------------------------------------

#[test]
fn truncated_ciphertext_is_invalid_at_every_length() {
    let mut w = world(Rules::current());
    let blob = encrypt(&mut w.kms, &w.key, b"short");
    refused(&mut w.kms, "ValidationException", |k| decrypt(k, &[]));
    for len in 1..blob.len() {
        let e = refused(&mut w.kms, "InvalidCiphertextException", |k| {
            decrypt(k, &blob[..len])
        });
        assert_eq!(e.message(), "", "AWS sends no message");
    }
    assert_eq!(decrypt_ok(&mut w.kms, &blob), b"short");
}

#[test]
fn flipped_bit_in_every_byte_of_a_short_ciphertext_is_invalid() {
    let mut w = world(Rules::current());
    let blob = encrypt(&mut w.kms, &w.key, b"ab");
    for i in 0..blob.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = blob.clone();
            bad[i] ^= bit;
            refused(&mut w.kms, "InvalidCiphertextException", |k| {
                decrypt(k, &bad)
            });
            refused(&mut w.kms, "InvalidCiphertextException", |k| {
                k.re_encrypt(ReEncryptRequest {
                    ciphertext_blob: Blob(bad.clone()),
                    destination_key_id: w.key.clone(),
                    ..Default::default()
                })
            });
        }
    }
    let mut longer = blob.clone();
    longer.push(0);
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        decrypt(k, &longer)
    });
    assert_eq!(decrypt_ok(&mut w.kms, &blob), b"ab");
}

#[test]
fn a_flipped_version_byte_after_rotation_is_still_invalid() {
    let mut w = world(Rules::current());
    let blob = encrypt(&mut w.kms, &w.key, b"v0");
    w.kms
        .rotate_key_on_demand(KeyIdRequest::new(&w.key))
        .unwrap();
    let mut bad = blob.clone();
    bad[21] ^= 1; // version 0 -> 1, which exists now
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        decrypt(k, &bad)
    });
}

#[test]
fn foreign_ciphertext_is_invalid() {
    let mut w = world(Rules::current());
    let (mut other, _c) = store(Rules::current());
    let other_key = create(&mut other).key_id;
    let foreign = encrypt(&mut other, &other_key, b"elsewhere");
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        decrypt(k, &foreign)
    });
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        decrypt(k, &[0x42; 80])
    });
    refused(&mut w.kms, "ValidationException", |k| {
        decrypt(k, &[0x4b; 6145])
    });
}

const TAG_LEN: usize = 16;

fn disabled_key_ciphertext() -> (kms_lifecycle::Kms, Vec<u8>) {
    let (mut kms, _clock) = store(Rules::classic());
    let key = create(&mut kms).key_id;
    let blob = encrypt(&mut kms, &key, b"secret");
    kms.disable_key(KeyIdRequest::new(&key)).unwrap();
    (kms, blob)
}

/// Only the magic byte wrong: not ours (mutant `||` → `&&`, crypto.rs:196).
#[test]
fn wrong_magic_alone_is_not_ours() {
    let (mut kms, mut blob) = disabled_key_ciphertext();
    assert_err_name(decrypt(&mut kms, &blob), "DisabledException");
    blob[0] ^= 0xff;
    assert_err_name(decrypt(&mut kms, &blob), "InvalidCiphertextException");
}

/// Only the format version wrong: not ours either.
#[test]
fn wrong_version_alone_is_not_ours() {
    let (mut kms, mut blob) = disabled_key_ciphertext();
    blob[1] ^= 0xff;
    assert_err_name(decrypt(&mut kms, &blob), "InvalidCiphertextException");
}

/// A header and a tag with nothing between them (the shortest blob that can
/// be ours) names its key: the Disabled key answers first. One byte shorter is
/// not ours (mutant `<` → `<=`, crypto.rs:196).
#[test]
fn shortest_blob_is_parsed_one_shorter_is_not() {
    let (mut kms, blob) = disabled_key_ciphertext();
    let mut shortest = blob[..HEADER_LEN].to_vec();
    shortest.extend([0u8; TAG_LEN]);
    assert_err_name(decrypt(&mut kms, &shortest), "DisabledException");
    shortest.pop();
    assert_err_name(decrypt(&mut kms, &shortest), "InvalidCiphertextException");
}

/// A ciphertext blob of 6,144 bytes is within AWS's limit (not ours, so
/// InvalidCiphertext); 6,145 is a ValidationException (store.rs
/// `check_blob`). `rules()` names the rule set the store was built with.
#[test]
fn blob_length_bound_and_rules() {
    // Rules::default() is current: classic shows that rules() is the store's.
    assert_eq!(store(Rules::classic()).0.rules().name(), "classic");
    let (mut kms, _clock) = store(Rules::current());
    assert_eq!(kms.rules().name(), "current");
    assert_eq!(
        decrypt(&mut kms, &[7u8; 6144]).unwrap_err().name(),
        "InvalidCiphertextException"
    );
    assert_eq!(
        decrypt(&mut kms, &[7u8; 6145]).unwrap_err().name(),
        "ValidationException"
    );
}

#[test]
fn decrypt_naming_another_key_is_incorrect_key() {
    let mut w = world(Rules::current());
    let blob = encrypt(&mut w.kms, &w.key, b"mine");
    let ext = w.ext.clone();
    refused(&mut w.kms, "IncorrectKeyException", |k| {
        k.decrypt(DecryptRequest {
            ciphertext_blob: Blob(blob.clone()),
            key_id: Some(ext.clone()),
            ..Default::default()
        })
    });
    let r = w
        .kms
        .decrypt(DecryptRequest {
            ciphertext_blob: Blob(blob),
            key_id: Some("alias/app".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.plaintext.expose(), b"mine");
}

#[test]
fn wrong_encryption_context_is_invalid_ciphertext() {
    let mut w = world(Rules::current());
    let c = ctx(&[("ab", "c")]);
    let blob = encrypt_ctx(&mut w.kms, &w.key, b"bound", Some(c.clone()))
        .unwrap()
        .ciphertext_blob
        .0;
    for wrong in [
        None,
        Some(ctx(&[("a", "bc")])),
        Some(ctx(&[("ab", "C")])),
        Some(ctx(&[("ab", "c"), ("x", "y")])),
        Some(ctx(&[("abc", "")])),
        Some(ctx(&[])),
    ] {
        refused(&mut w.kms, "InvalidCiphertextException", |k| {
            decrypt_ctx(k, &blob, wrong.clone())
        });
    }
    let ok = decrypt_ctx(&mut w.kms, &blob, Some(c)).unwrap();
    assert_eq!(ok.plaintext.expose(), b"bound");
    // A blob made without context does not decrypt with an empty-string pair.
    let plain = encrypt(&mut w.kms, &w.key, b"none");
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        decrypt_ctx(k, &plain, Some(ctx(&[("", "")])))
    });
}

/// The encryption context's size is the sum of its keys' and values' lengths,
/// at most 8,192 bytes (store.rs `check_context`).
#[test]
fn encryption_context_size_is_the_sum_of_lengths() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let ctx = |v: usize| -> EncryptionContext { [("a".to_string(), "v".repeat(v))].into() };
    assert!(
        encrypt_ctx_result(&mut kms, &key, ctx(8191)).is_ok(),
        "1 + 8191"
    );
    let e = encrypt_ctx_result(&mut kms, &key, ctx(8192)).unwrap_err();
    assert_eq!(e.name(), "ValidationException", "1 + 8192");
}

fn encrypt_ctx_result(
    kms: &mut kms_lifecycle::Kms,
    key: &str,
    ctx: EncryptionContext,
) -> kms_lifecycle::KmsResult<EncryptResponse> {
    kms.encrypt(EncryptRequest {
        key_id: key.into(),
        plaintext: SecretBlob::new(b"x".to_vec()),
        encryption_context: Some(ctx),
        ..Default::default()
    })
}

// ----- windows and periods ---------------------------------------------------

#[test]
fn pending_windows_outside_7_to_30_are_validation_errors() {
    let mut w = world(Rules::current());
    for days in [6, 31, 0, -1, i64::MAX, i64::MIN] {
        refused(&mut w.kms, "ValidationException", |k| {
            schedule_deletion(k, &w.key, Some(days))
        });
    }
    // Validation comes before the state check (docs/decisions.md example).
    w.kms.disable_key(KeyIdRequest::new(&w.key)).unwrap();
    refused(&mut w.kms, "ValidationException", |k| {
        schedule_deletion(k, &w.key, Some(6))
    });
}

#[test]
fn rotation_periods_outside_90_to_2560_are_validation_errors() {
    let mut w = world(Rules::current());
    for p in [89, 2561, 0, -365, i64::MAX] {
        refused(&mut w.kms, "ValidationException", |k| {
            enable_rotation(k, &w.key, Some(p))
        });
    }
    enable_rotation(&mut w.kms, &w.key, Some(90)).unwrap();
    enable_rotation(&mut w.kms, &w.key, Some(2560)).unwrap();
}

#[test]
fn any_rotation_period_is_a_validation_error_under_classic() {
    let mut w = world(Rules::classic());
    for p in [365, 90, 2560, 89] {
        refused(&mut w.kms, "ValidationException", |k| {
            enable_rotation(k, &w.key, Some(p))
        });
    }
}

// ----- import ------------------------------------------------------------------

/// An EXTERNAL key in PendingImport, and the material to import.
fn pending_import_key(w: &mut World) -> String {
    create_external(&mut w.kms).key_id
}

const M: [u8; 32] = [0x11; 32];

#[test]
fn forged_import_tokens_are_invalid() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let p = prepare(&mut w.kms, &key, &M);
    let mut forged = vec![];
    for i in [0, 5, 20, p.token.len() - 1] {
        let mut t = p.token.clone();
        t[i] ^= 1;
        forged.push(t);
    }
    forged.push(p.token[..p.token.len() - 1].to_vec());
    forged.push(vec![0u8; p.token.len()]);
    forged.push(b"token".to_vec());
    for token in forged {
        let bad = Prepared {
            token,
            public_key: p.public_key.clone(),
            wrapped: p.wrapped.clone(),
            valid_to: p.valid_to,
        };
        let e = refused(&mut w.kms, "InvalidImportTokenException", |k| {
            import_prepared(k, &key, &bad, Expiry::Never, None)
        });
        assert_eq!(
            e.message(),
            "The import token is invalid or does not match this KMS key."
        );
    }
    import_prepared(&mut w.kms, &key, &p, Expiry::Never, None).unwrap();
}

#[test]
fn import_token_expires_exactly_at_parameters_valid_to() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let p = prepare(&mut w.kms, &key, &M);
    assert_eq!(p.valid_to, T0 + DAY);
    w.clock.set(p.valid_to);
    refused(&mut w.kms, "ExpiredImportTokenException", |k| {
        import_prepared(k, &key, &p, Expiry::Never, None)
    });
    // One second before it is still valid.
    let (mut kms, clock) = store(Rules::current());
    let key = create_external(&mut kms).key_id;
    let p = prepare(&mut kms, &key, &M);
    clock.set(p.valid_to - 1);
    import_prepared(&mut kms, &key, &p, Expiry::Never, None).unwrap();
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
}

#[test]
fn superseded_import_token_is_invalid() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let old = prepare(&mut w.kms, &key, &M);
    let new = prepare(&mut w.kms, &key, &M);
    refused(&mut w.kms, "InvalidImportTokenException", |k| {
        import_prepared(k, &key, &old, Expiry::Never, None)
    });
    import_prepared(&mut w.kms, &key, &new, Expiry::Never, None).unwrap();
}

#[test]
fn import_token_of_another_key_or_store_is_invalid() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let other = pending_import_key(&mut w);
    let _mine = prepare(&mut w.kms, &key, &M);
    let theirs = prepare(&mut w.kms, &other, &M);
    refused(&mut w.kms, "InvalidImportTokenException", |k| {
        import_prepared(k, &key, &theirs, Expiry::Never, None)
    });
    let (mut elsewhere, _c) = store(Rules::current());
    let ek = create_external(&mut elsewhere).key_id;
    let foreign = prepare(&mut elsewhere, &ek, &M);
    refused(&mut w.kms, "InvalidImportTokenException", |k| {
        import_prepared(k, &key, &foreign, Expiry::Never, None)
    });
}

/// An import token issued for another key is InvalidImportToken, even when
/// both keys are at the same import generation. (The mutant `|| → &&` of the
/// token's key id check in store.rs `Kms::import_key_material` survives this
/// test: the import parameters check that follows refuses the token with the
/// same exception, docs/verification.md.)
#[test]
fn a_token_for_another_key_is_invalid() {
    let (mut kms, _clock) = store(Rules::current());
    let a = create_external(&mut kms).key_id;
    let b = create_external(&mut kms).key_id;
    let _pa = prepare(&mut kms, &a, &[1u8; 32]);
    let pb = prepare(&mut kms, &b, &[1u8; 32]);
    let e = import_prepared(&mut kms, &a, &pb, Expiry::Never, None).unwrap_err();
    assert_eq!(e.name(), "InvalidImportTokenException", "{}", e.message());
    assert_eq!(state(&mut kms, &a), KeyState::PendingImport);
}

fn wrapped_for(w: &mut World, key: &str, material: &[u8]) -> Prepared {
    prepare(&mut w.kms, key, material)
}

#[test]
fn wrapped_material_of_the_wrong_size_is_incorrect_key_material() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    for len in [16usize, 31, 33, 1] {
        let p = wrapped_for(&mut w, &key, &vec![5u8; len]);
        let e = refused(&mut w.kms, "IncorrectKeyMaterialException", |k| {
            import_prepared(k, &key, &p, Expiry::Never, None)
        });
        assert!(e.message().contains("32 bytes"), "{}", e.message());
    }
    for alg in [
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingAlgorithm::RsaesOaepSha1,
    ] {
        let p = prepare_with(&mut w.kms, &key, &[5u8; 16], alg, WrappingKeySpec::Rsa2048);
        refused(&mut w.kms, "IncorrectKeyMaterialException", |k| {
            import_prepared(k, &key, &p, Expiry::Never, None)
        });
    }
}

#[test]
fn material_that_cannot_be_unwrapped_is_invalid_ciphertext() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let mut p = prepare(&mut w.kms, &key, &M);
    p.wrapped[10] ^= 1;
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        import_prepared(k, &key, &p, Expiry::Never, None)
    });
    p.wrapped = vec![1; 7];
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        import_prepared(k, &key, &p, Expiry::Never, None)
    });
    p.wrapped = vec![];
    refused(&mut w.kms, "ValidationException", |k| {
        import_prepared(k, &key, &p, Expiry::Never, None)
    });
}

#[test]
fn valid_to_must_be_in_the_future_and_at_most_365_days_ahead() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let p = prepare(&mut w.kms, &key, &M);
    for t in [T0 - 1, T0, T0 + 365 * DAY + 1, 0, u64::MAX] {
        refused(&mut w.kms, "ValidationException", |k| {
            import_prepared(k, &key, &p, Expiry::At(t), None)
        });
    }
    import_prepared(&mut w.kms, &key, &p, Expiry::At(T0 + 365 * DAY), None).unwrap();
    assert_eq!(
        describe(&mut w.kms, &key).unwrap().valid_to,
        Some(Timestamp(T0 + 365 * DAY))
    );
}

#[test]
fn expiration_model_and_valid_to_must_agree() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let p = prepare(&mut w.kms, &key, &M);
    let req = |model: Option<ExpirationModel>, valid_to: Option<u64>| ImportKeyMaterialRequest {
        key_id: key.clone(),
        import_token: Blob(p.token.clone()),
        encrypted_key_material: Blob(p.wrapped.clone()),
        expiration_model: model,
        valid_to: valid_to.map(Timestamp),
        import_type: None,
    };
    // (An unknown ExpirationModel cannot be typed: tests/wire_bad_input.rs.)
    for (model, vt) in [
        (
            Some(ExpirationModel::KeyMaterialDoesNotExpire),
            Some(T0 + DAY),
        ),
        (Some(ExpirationModel::KeyMaterialExpires), None),
        (None, None),
    ] {
        refused(&mut w.kms, "ValidationException", |k| {
            k.import_key_material(req(model, vt))
        });
    }
    // ExpirationModel defaults to KEY_MATERIAL_EXPIRES.
    w.kms
        .import_key_material(req(None, Some(T0 + DAY)))
        .unwrap();
    assert_eq!(
        describe(&mut w.kms, &key).unwrap().expiration_model,
        Some(ExpirationModel::KeyMaterialExpires)
    );
}

#[test]
fn existing_key_material_for_a_key_that_never_had_any_is_incorrect() {
    let mut w = world(Rules::current());
    let key = pending_import_key(&mut w);
    let p = prepare(&mut w.kms, &key, &M);
    refused(&mut w.kms, "IncorrectKeyMaterialException", |k| {
        import_prepared(
            k,
            &key,
            &p,
            Expiry::Never,
            Some(ImportType::ExistingKeyMaterial),
        )
    });
}

#[test]
fn different_material_is_refused_before_a_bad_valid_to() {
    // docs/decisions.md: the material is checked before ExpirationModel/ValidTo.
    let mut w = world(Rules::classic());
    let ext = w.ext.clone();
    let p = prepare(&mut w.kms, &ext, &[0x77; 32]);
    refused(&mut w.kms, "IncorrectKeyMaterialException", |k| {
        import_prepared(k, &ext, &p, Expiry::At(T0 - 5), None)
    });
}

/// AWS's wrapping algorithms and specs that the rule set does not accept are
/// ValidationExceptions listing the rule set's values. (Values AWS does not
/// know cannot be typed: tests/wire_bad_input.rs.)
#[test]
fn wrapping_algorithms_and_specs_outside_the_rule_set_are_validation_errors() {
    use WrappingAlgorithm as A;
    use WrappingKeySpec as S;
    for (rules, alg, spec, message) in [
        (
            Rules::current(),
            A::RsaesPkcs1V15,
            S::Rsa2048,
            "1 validation error detected: Value 'RSAES_PKCS1_V1_5' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, RSA_AES_KEY_WRAP_SHA_1]",
        ),
        (
            Rules::current(),
            A::Sm2pke,
            S::Rsa2048,
            "1 validation error detected: Value 'SM2PKE' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, RSA_AES_KEY_WRAP_SHA_1]",
        ),
        (
            Rules::current(),
            A::RsaesOaepSha256,
            S::Sm2,
            "1 validation error detected: Value 'SM2' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096]",
        ),
        (
            Rules::classic(),
            A::RsaAesKeyWrapSha256,
            S::Rsa2048,
            "1 validation error detected: Value 'RSA_AES_KEY_WRAP_SHA_256' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSAES_PKCS1_V1_5]",
        ),
        (
            Rules::classic(),
            A::RsaesOaepSha256,
            S::Rsa4096,
            "1 validation error detected: Value 'RSA_4096' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048]",
        ),
    ] {
        let mut w = world(rules);
        let key = pending_import_key(&mut w);
        let e = refused(&mut w.kms, "ValidationException", |k| {
            params(k, &key, alg, spec)
        });
        assert_eq!(e.message(), message);
    }
}

// ----- order of checks -------------------------------------------------------

#[test]
fn resolving_the_key_comes_before_validating_arguments() {
    // docs/decisions.md, order of checks: NotFoundException first.
    let mut w = world(Rules::current());
    refused(&mut w.kms, "NotFoundException", |k| {
        schedule_deletion(k, UNKNOWN, Some(6))
    });
    refused(&mut w.kms, "NotFoundException", |k| {
        enable_rotation(k, UNKNOWN, Some(1))
    });
    refused(&mut w.kms, "NotFoundException", |k| {
        try_encrypt(k, UNKNOWN, b"")
    });
    refused(&mut w.kms, "NotFoundException", |k| {
        k.generate_data_key(GenerateDataKeyRequest {
            key_id: UNKNOWN.into(),
            ..Default::default()
        })
    });
    refused(&mut w.kms, "NotFoundException", |k| {
        alias(k, "bad name", UNKNOWN)
    });
}

// ----- request validation (issue 12) -------------------------------------------

/// `Value '' at '<member>' ...`: AWS's message for an empty required string.
fn empty_message(member: &str) -> String {
    format!(
        "1 validation error detected: Value '' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1"
    )
}

#[test]
fn empty_key_ids_are_validation_errors_in_every_operation() {
    let mut w = world(Rules::current());
    let blob = encrypt(&mut w.kms, &w.key, b"x");
    let before = snapshot(&mut w.kms);
    let results = every_operation(&mut w.kms, "", &blob);
    assert_eq!(results.len(), 25);
    for (op, result) in results {
        assert_eq!(result, "ValidationException", "{op} with an empty key id");
    }
    assert_eq!(snapshot(&mut w.kms), before, "nothing changed");
    // The message names the member that is empty.
    let e = refused(&mut w.kms, "ValidationException", |k| describe(k, ""));
    assert_eq!(e.message(), empty_message("keyId"));
    let e = refused(&mut w.kms, "ValidationException", |k| {
        try_encrypt(k, "", b"x")
    });
    assert_eq!(e.message(), empty_message("keyId"));
    let e = refused(&mut w.kms, "ValidationException", |k| {
        k.decrypt(DecryptRequest {
            ciphertext_blob: Blob(blob.clone()),
            key_id: Some(String::new()),
            ..Default::default()
        })
    });
    assert_eq!(e.message(), empty_message("keyId"));
    let e = refused(&mut w.kms, "ValidationException", |k| {
        k.re_encrypt(ReEncryptRequest {
            ciphertext_blob: Blob(blob.clone()),
            destination_key_id: String::new(),
            ..Default::default()
        })
    });
    assert_eq!(e.message(), empty_message("destinationKeyId"));
    let e = refused(&mut w.kms, "ValidationException", |k| {
        k.re_encrypt(ReEncryptRequest {
            ciphertext_blob: Blob(blob.clone()),
            source_key_id: Some(String::new()),
            destination_key_id: w.key.clone(),
            ..Default::default()
        })
    });
    assert_eq!(e.message(), empty_message("sourceKeyId"));
    let e = refused(&mut w.kms, "ValidationException", |k| {
        alias(k, "alias/new", "")
    });
    assert_eq!(e.message(), empty_message("targetKeyId"));
    let e = refused(&mut w.kms, "ValidationException", |k| {
        k.list_aliases(ListRequest {
            key_id: Some(String::new()),
            ..Default::default()
        })
    });
    assert_eq!(e.message(), empty_message("keyId"));
    // An empty alias name, in the three alias operations.
    let key = w.key.clone();
    let e = refused(&mut w.kms, "ValidationException", |k| alias(k, "", &key));
    assert_eq!(e.message(), empty_message("aliasName"));
    let e = refused(&mut w.kms, "ValidationException", |k| {
        k.update_alias(AliasRequest {
            alias_name: String::new(),
            target_key_id: key.clone(),
        })
    });
    assert_eq!(e.message(), empty_message("aliasName"));
    let e = w
        .kms
        .delete_alias(DeleteAliasRequest {
            alias_name: String::new(),
        })
        .unwrap_err();
    assert_eq!(e.message(), empty_message("aliasName"));
    // The refusal is recorded like any other (the call reached the store).
    let last = w.kms.events().pop().unwrap();
    assert_eq!(
        (last.event_name, last.error_code, last.key_arn),
        ("DeleteAlias", Some("ValidationException"), None)
    );
}

#[test]
fn aws_values_outside_the_scope_keep_their_answers() {
    let mut w = world(Rules::current());
    let create = |k: &mut Kms, req: CreateKeyRequest| k.create_key(req);
    for spec in KeySpec::VALUES.iter().filter_map(|v| KeySpec::parse(v)) {
        if spec == KeySpec::SymmetricDefault {
            continue;
        }
        let e = refused(&mut w.kms, "UnsupportedOperationException", |k| {
            create(
                k,
                CreateKeyRequest {
                    key_spec: Some(spec),
                    ..Default::default()
                },
            )
        });
        assert!(e.message().contains(spec.as_str()), "{}", e.message());
    }
    for spec in CustomerMasterKeySpec::VALUES
        .iter()
        .filter_map(|v| CustomerMasterKeySpec::parse(v))
        .filter(|s| *s != CustomerMasterKeySpec::SymmetricDefault)
    {
        refused(&mut w.kms, "UnsupportedOperationException", |k| {
            create(
                k,
                CreateKeyRequest {
                    customer_master_key_spec: Some(spec),
                    ..Default::default()
                },
            )
        });
    }
    for usage in KeyUsage::VALUES
        .iter()
        .filter_map(|v| KeyUsage::parse(v))
        .filter(|u| *u != KeyUsage::EncryptDecrypt)
    {
        refused(&mut w.kms, "UnsupportedOperationException", |k| {
            create(
                k,
                CreateKeyRequest {
                    key_usage: Some(usage),
                    ..Default::default()
                },
            )
        });
    }
    for origin in [Origin::AwsCloudhsm, Origin::ExternalKeyStore] {
        let e = refused(&mut w.kms, "UnsupportedOperationException", |k| {
            create(
                k,
                CreateKeyRequest {
                    origin: Some(origin),
                    ..Default::default()
                },
            )
        });
        assert_eq!(
            e.message(),
            format!("Origin {origin} is not supported: custom key stores are out of scope.")
        );
    }
    // The asymmetric encryption algorithms, on a symmetric key.
    let blob = encrypt(&mut w.kms, &w.key, b"x");
    for alg in [
        EncryptionAlgorithm::RsaesOaepSha1,
        EncryptionAlgorithm::RsaesOaepSha256,
        EncryptionAlgorithm::Sm2pke,
    ] {
        let msg = |member: &str| {
            format!(
                "1 validation error detected: Value '{alg}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT]"
            )
        };
        let e = refused(&mut w.kms, "ValidationException", |k| {
            k.encrypt(EncryptRequest {
                key_id: w.key.clone(),
                plaintext: b"x".as_slice().into(),
                encryption_algorithm: Some(alg),
                ..Default::default()
            })
        });
        assert_eq!(e.message(), msg("encryptionAlgorithm"));
        let e = refused(&mut w.kms, "ValidationException", |k| {
            k.decrypt(DecryptRequest {
                ciphertext_blob: Blob(blob.clone()),
                encryption_algorithm: Some(alg),
                ..Default::default()
            })
        });
        assert_eq!(e.message(), msg("encryptionAlgorithm"));
        let e = refused(&mut w.kms, "ValidationException", |k| {
            k.re_encrypt(ReEncryptRequest {
                ciphertext_blob: Blob(blob.clone()),
                destination_key_id: w.key.clone(),
                source_encryption_algorithm: Some(alg),
                ..Default::default()
            })
        });
        assert_eq!(e.message(), msg("sourceEncryptionAlgorithm"));
        let e = refused(&mut w.kms, "ValidationException", |k| {
            k.re_encrypt(ReEncryptRequest {
                ciphertext_blob: Blob(blob.clone()),
                destination_key_id: w.key.clone(),
                destination_encryption_algorithm: Some(alg),
                ..Default::default()
            })
        });
        assert_eq!(e.message(), msg("destinationEncryptionAlgorithm"));
    }
    // SYMMETRIC_DEFAULT, given explicitly, is fine everywhere.
    let sym = Some(EncryptionAlgorithm::SymmetricDefault);
    w.kms
        .re_encrypt(ReEncryptRequest {
            ciphertext_blob: Blob(blob),
            destination_key_id: w.key.clone(),
            source_encryption_algorithm: sym,
            destination_encryption_algorithm: sym,
            ..Default::default()
        })
        .unwrap();
}

/// KeySpec SYMMETRIC_DEFAULT (either spelling of the field) is accepted; a
/// known asymmetric or HMAC spec is UnsupportedOperation; an unknown one is a
/// ValidationException (on the wire: the typed request cannot hold it);
/// origins of custom key stores are UnsupportedOperation (store.rs
/// `Kms::create_key`).
#[test]
fn create_key_specs_and_origins() {
    let (mut kms, _clock) = store(Rules::current());
    let with =
        |spec: Option<KeySpec>, cmk: Option<CustomerMasterKeySpec>, origin: Option<Origin>| {
            CreateKeyRequest {
                key_spec: spec,
                customer_master_key_spec: cmk,
                origin,
                ..Default::default()
            }
        };
    for req in [
        with(Some(KeySpec::SymmetricDefault), None, None),
        with(None, Some(CustomerMasterKeySpec::SymmetricDefault), None),
    ] {
        let md = kms.create_key(req).unwrap().key_metadata;
        assert_eq!(md.key_state, KeyState::Enabled);
    }
    for req in [
        with(Some(KeySpec::Rsa2048), None, None),
        with(None, Some(CustomerMasterKeySpec::Hmac256), None),
        with(
            Some(KeySpec::SymmetricDefault),
            Some(CustomerMasterKeySpec::Sm2),
            None,
        ),
        with(None, None, Some(Origin::AwsCloudhsm)),
        with(None, None, Some(Origin::ExternalKeyStore)),
    ] {
        let e = kms.create_key(req).unwrap_err();
        assert_eq!(e.name(), "UnsupportedOperationException", "{}", e.message());
    }
    for body in [
        r#"{"KeySpec":"AES_512"}"#,
        r#"{"CustomerMasterKeySpec":"ML_DSA_44"}"#,
        r#"{"Origin":"SOMEWHERE"}"#,
    ] {
        let r = kms_lifecycle::wire::dispatch(&mut kms, "CreateKey", body.as_bytes());
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            (r.status, v["__type"].as_str()),
            (400, Some("ValidationException")),
            "{body}: {v}"
        );
    }
}

/// KeyUsage ENCRYPT_DECRYPT is accepted, the other usages are unsupported
/// (store.rs `Kms::create_key`); `key_count` counts keys made.
#[test]
fn key_usage_and_key_count() {
    let (mut kms, _clock) = store(Rules::current());
    let usage = |u: KeyUsage| CreateKeyRequest {
        key_usage: Some(u),
        ..Default::default()
    };
    assert!(kms.create_key(usage(KeyUsage::EncryptDecrypt)).is_ok());
    for u in [
        KeyUsage::SignVerify,
        KeyUsage::GenerateVerifyMac,
        KeyUsage::KeyAgreement,
        KeyUsage::EncapsulateDecapsulate,
    ] {
        let e = kms.create_key(usage(u)).unwrap_err();
        assert_eq!(e.name(), "UnsupportedOperationException", "{u}");
    }
    // An unknown usage cannot be typed: it is refused on the wire.
    let r = kms_lifecycle::wire::dispatch(&mut kms, "CreateKey", br#"{"KeyUsage":"DECRYPT_ONLY"}"#);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "ValidationException");
    create(&mut kms);
    assert_eq!(kms.key_count(), 2);
}

/// Tag keys of 1–128 characters and values of at most 256 are accepted, and
/// nothing outside (store.rs `check_tags`).
#[test]
fn tag_length_bounds() {
    let (mut kms, _clock) = store(Rules::current());
    let tag = |k: usize, v: usize| CreateKeyRequest {
        tags: Some(vec![Tag {
            tag_key: "k".repeat(k),
            tag_value: "v".repeat(v),
        }]),
        ..Default::default()
    };
    for (k, v) in [(1, 0), (128, 256)] {
        assert!(kms.create_key(tag(k, v)).is_ok(), "key {k}, value {v}");
    }
    for (k, v) in [(0, 1), (129, 1), (1, 257)] {
        let e = kms.create_key(tag(k, v)).unwrap_err();
        assert_eq!(e.name(), "ValidationException", "key {k}, value {v}");
    }
}

/// Descriptions of up to 8,192 characters are accepted (store.rs
/// `check_description`).
#[test]
fn description_length_bound() {
    let (mut kms, _clock) = store(Rules::current());
    let with = |n: usize| CreateKeyRequest {
        description: Some("d".repeat(n)),
        ..Default::default()
    };
    assert!(kms.create_key(with(8192)).is_ok());
    assert_eq!(
        kms.create_key(with(8193)).unwrap_err().name(),
        "ValidationException"
    );
}

const DRY_RUN_MESSAGE: &str = "The request would have succeeded, but the DryRun option is set.";

/// The five operations with `DryRun`, each as a call on `key` (an id or an
/// alias) of a store whose `blob` was made by `key` with no context.
fn dry_run_calls(
    kms: &mut Kms,
    key: &str,
    blob: &[u8],
    dry_run: Option<bool>,
) -> Vec<(&'static str, KmsResult<()>)> {
    let gdk = || GenerateDataKeyRequest {
        key_id: key.into(),
        key_spec: Some(DataKeySpec::Aes256),
        dry_run,
        ..Default::default()
    };
    vec![
        (
            "Encrypt",
            kms.encrypt(EncryptRequest {
                key_id: key.into(),
                plaintext: b"secret".as_slice().into(),
                dry_run,
                ..Default::default()
            })
            .map(drop),
        ),
        (
            "Decrypt",
            kms.decrypt(DecryptRequest {
                ciphertext_blob: Blob(blob.to_vec()),
                key_id: Some(key.into()),
                dry_run,
                ..Default::default()
            })
            .map(drop),
        ),
        (
            "ReEncrypt",
            kms.re_encrypt(ReEncryptRequest {
                ciphertext_blob: Blob(blob.to_vec()),
                source_key_id: Some(key.into()),
                destination_key_id: key.into(),
                dry_run,
                ..Default::default()
            })
            .map(drop),
        ),
        ("GenerateDataKey", kms.generate_data_key(gdk()).map(drop)),
        (
            "GenerateDataKeyWithoutPlaintext",
            kms.generate_data_key_without_plaintext(gdk()).map(drop),
        ),
    ]
}

#[test]
fn dry_run_answers_dry_run_operation_exception_and_changes_nothing() {
    let mut w = world(Rules::current());
    let blob = encrypt(&mut w.kms, &w.key, b"secret");
    for key in [w.key.clone(), w.arn.clone(), "alias/app".to_string()] {
        let before = snapshot(&mut w.kms);
        let events = w.kms.event_count();
        let calls = dry_run_calls(&mut w.kms, &key, &blob, Some(true));
        // The audit trail has each call, refused.
        let trail = w.kms.events();
        assert_eq!(trail.len(), events + 5);
        for ((op, r), e) in calls.into_iter().zip(&trail[events..]) {
            assert_err(r, "DryRunOperationException", DRY_RUN_MESSAGE);
            assert_eq!(e.event_name, op);
            assert_eq!(e.error_code, Some("DryRunOperationException"));
            assert_eq!(e.error_message.as_deref(), Some(DRY_RUN_MESSAGE));
            assert_eq!(e.key_arn.as_deref(), Some(w.arn.as_str()), "{op}");
        }
        assert_eq!(snapshot(&mut w.kms), before, "a dry run changes nothing");
        // DryRun false (or absent) is the real call.
        for dry_run in [Some(false), None] {
            for (op, r) in dry_run_calls(&mut w.kms, &key, &blob, dry_run) {
                assert!(r.is_ok(), "{op}: {r:?}");
            }
        }
    }
}

#[test]
fn dry_run_of_a_call_that_would_fail_answers_its_real_error() {
    let mut w = world(Rules::current());
    let blob = encrypt(&mut w.kms, &w.key, b"secret");
    let arn = w.arn.clone();
    // Disabled: DisabledException, from every one of the five.
    w.kms.disable_key(KeyIdRequest::new(&w.key)).unwrap();
    let before = snapshot(&mut w.kms);
    for (op, r) in dry_run_calls(&mut w.kms, &w.key, &blob, Some(true)) {
        let e = assert_err_name(r, "DisabledException");
        assert_eq!(e.message(), format!("{arn} is disabled."), "{op}");
    }
    assert_eq!(snapshot(&mut w.kms), before);
    // Invalid arguments: the validation error.
    w.kms.enable_key(KeyIdRequest::new(&w.key)).unwrap();
    let e = refused(&mut w.kms, "ValidationException", |k| {
        k.encrypt(EncryptRequest {
            key_id: w.key.clone(),
            dry_run: Some(true),
            ..Default::default()
        })
    });
    assert!(e.message().contains("'plaintext'"), "{}", e.message());
    refused(&mut w.kms, "ValidationException", |k| {
        k.generate_data_key(GenerateDataKeyRequest {
            key_id: w.key.clone(),
            number_of_bytes: Some(1025),
            dry_run: Some(true),
            ..Default::default()
        })
    });
    // Decrypt authenticates: a wrong context is InvalidCiphertext.
    refused(&mut w.kms, "InvalidCiphertextException", |k| {
        k.decrypt(DecryptRequest {
            ciphertext_blob: Blob(blob.clone()),
            encryption_context: Some(ctx(&[("a", "b")])),
            dry_run: Some(true),
            ..Default::default()
        })
    });
    refused(&mut w.kms, "IncorrectKeyException", |k| {
        k.decrypt(DecryptRequest {
            ciphertext_blob: Blob(blob.clone()),
            key_id: Some(w.ext.clone()),
            dry_run: Some(true),
            ..Default::default()
        })
    });
    // ReEncrypt checks the destination's state too.
    let ext = w.ext.clone();
    w.kms.disable_key(KeyIdRequest::new(&ext)).unwrap();
    refused(&mut w.kms, "DisabledException", |k| {
        k.re_encrypt(ReEncryptRequest {
            ciphertext_blob: Blob(blob.clone()),
            destination_key_id: ext.clone(),
            dry_run: Some(true),
            ..Default::default()
        })
    });
    refused(&mut w.kms, "NotFoundException", |k| {
        k.encrypt(EncryptRequest {
            key_id: UNKNOWN.into(),
            plaintext: b"x".as_slice().into(),
            dry_run: Some(true),
            ..Default::default()
        })
    });
    // Pending deletion: KMSInvalidStateException, and the attempted use
    // raises the alarm like a real call.
    schedule_deletion(&mut w.kms, &w.key, Some(7)).unwrap();
    let alarms = w.kms.alarms().len();
    for (op, r) in dry_run_calls(&mut w.kms, &w.key, &blob, Some(true)) {
        let e = assert_err_name(r, "KMSInvalidStateException");
        assert_eq!(e.message(), format!("{arn} is pending deletion."), "{op}");
    }
    assert_eq!(w.kms.alarms().len(), alarms + 5);
}

#[test]
fn dry_run_does_not_create_an_aws_managed_key() {
    let mut w = world(Rules::current());
    let keys = w.kms.key_count();
    let managed = "alias/aws/dryrun";
    let before = snapshot(&mut w.kms);
    for r in [
        w.kms
            .encrypt(EncryptRequest {
                key_id: managed.into(),
                plaintext: b"x".as_slice().into(),
                dry_run: Some(true),
                ..Default::default()
            })
            .map(drop),
        w.kms
            .generate_data_key(GenerateDataKeyRequest {
                key_id: managed.into(),
                number_of_bytes: Some(32),
                dry_run: Some(true),
                ..Default::default()
            })
            .map(drop),
    ] {
        assert_err(r, "DryRunOperationException", DRY_RUN_MESSAGE);
    }
    let blob = encrypt(&mut w.kms, &w.key, b"x");
    let before_blob = snapshot(&mut w.kms);
    assert_eq!(before_blob.aliases, before.aliases);
    let r = w.kms.re_encrypt(ReEncryptRequest {
        ciphertext_blob: Blob(blob.clone()),
        destination_key_id: managed.into(),
        dry_run: Some(true),
        ..Default::default()
    });
    assert_err(r, "DryRunOperationException", DRY_RUN_MESSAGE);
    // The key that would be created made no ciphertext.
    let r = w.kms.decrypt(DecryptRequest {
        ciphertext_blob: Blob(blob),
        key_id: Some(managed.into()),
        dry_run: Some(true),
        ..Default::default()
    });
    assert_err_name(r, "IncorrectKeyException");
    assert_eq!(w.kms.key_count(), keys, "no AWS managed key was created");
    assert_eq!(snapshot(&mut w.kms), before_blob);
    // The real call creates it.
    try_encrypt(&mut w.kms, managed, b"x").unwrap();
    assert_eq!(w.kms.key_count(), keys + 1);
}

// ----- property tests ----------------------------------------------------------

/// Strings that look like key identifiers of every kind, and random ones.
fn key_id_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,80}",
        "[0-9a-f-]{30,40}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "alias/\\PC{0,40}",
        "arn:aws:kms:[a-z0-9-]{0,12}:[0-9]{0,12}:(key|alias)/\\PC{0,40}",
        "arn:aws:kms:us-east-1:111122223333:(key|alias)/[a-z0-9/_-]{0,40}",
    ]
    .prop_filter("managed aliases are created on use", |s| {
        !s.contains("alias/aws/")
    })
    .prop_filter("an empty key id is a ValidationException", |s| {
        !s.is_empty()
    })
}

/// Calls every operation that takes a key id with `id` (other arguments
/// valid) and returns the results' exception names (`"Ok"` for success).
fn every_operation(kms: &mut Kms, id: &str, blob: &[u8]) -> Vec<(&'static str, &'static str)> {
    fn n<T>(r: KmsResult<T>) -> &'static str {
        match r {
            Ok(_) => "Ok",
            Err(e) => e.name(),
        }
    }
    let k = || KeyIdRequest::new(id);
    let list = || ListRequest {
        key_id: Some(id.into()),
        ..Default::default()
    };
    let gdk = || GenerateDataKeyRequest {
        key_id: id.into(),
        number_of_bytes: Some(16),
        ..Default::default()
    };
    vec![
        ("DescribeKey", n(kms.describe_key(k()))),
        ("EnableKey", n(kms.enable_key(k()))),
        ("DisableKey", n(kms.disable_key(k()))),
        ("Encrypt", n(try_encrypt(kms, id, b"p"))),
        (
            "Decrypt",
            n(kms.decrypt(DecryptRequest {
                ciphertext_blob: Blob(blob.to_vec()),
                key_id: Some(id.into()),
                ..Default::default()
            })),
        ),
        (
            "ReEncrypt",
            n(kms.re_encrypt(ReEncryptRequest {
                ciphertext_blob: Blob(blob.to_vec()),
                destination_key_id: id.into(),
                ..Default::default()
            })),
        ),
        ("GenerateDataKey", n(kms.generate_data_key(gdk()))),
        (
            "GenerateDataKeyWithoutPlaintext",
            n(kms.generate_data_key_without_plaintext(gdk())),
        ),
        ("EnableKeyRotation", n(enable_rotation(kms, id, None))),
        ("DisableKeyRotation", n(kms.disable_key_rotation(k()))),
        ("GetKeyRotationStatus", n(kms.get_key_rotation_status(k()))),
        ("RotateKeyOnDemand", n(kms.rotate_key_on_demand(k()))),
        (
            "ListKeyRotations",
            n(kms.list_key_rotations(ListKeyRotationsRequest {
                key_id: id.into(),
                ..Default::default()
            })),
        ),
        ("ListAliases", n(kms.list_aliases(list()))),
        ("ListResourceTags", n(kms.list_resource_tags(k()))),
        (
            "ScheduleKeyDeletion",
            n(schedule_deletion(kms, id, Some(7))),
        ),
        ("CancelKeyDeletion", n(kms.cancel_key_deletion(k()))),
        (
            "GetParametersForImport",
            n(params(
                kms,
                id,
                WrappingAlgorithm::RsaesOaepSha256,
                WrappingKeySpec::Rsa2048,
            )),
        ),
        (
            "ImportKeyMaterial",
            n(kms.import_key_material(ImportKeyMaterialRequest {
                key_id: id.into(),
                import_token: Blob(vec![1; 98]),
                encrypted_key_material: Blob(vec![1; 256]),
                expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
                ..Default::default()
            })),
        ),
        (
            "DeleteImportedKeyMaterial",
            n(kms.delete_imported_key_material(DeleteImportedKeyMaterialRequest::current(id))),
        ),
        ("CreateAlias", n(alias(kms, "alias/prop", id))),
        (
            "UpdateAlias",
            n(kms.update_alias(AliasRequest {
                alias_name: "alias/app".into(),
                target_key_id: id.into(),
            })),
        ),
        (
            "UpdateKeyDescription",
            n(kms.update_key_description(UpdateKeyDescriptionRequest {
                key_id: id.into(),
                description: "d".into(),
            })),
        ),
        (
            "TagResource",
            n(kms.tag_resource(TagResourceRequest {
                key_id: id.into(),
                tags: vec![],
            })),
        ),
        (
            "UntagResource",
            n(kms.untag_resource(UntagResourceRequest {
                key_id: id.into(),
                tag_keys: vec![],
            })),
        ),
    ]
}

/// Whether `name` satisfies spec §9 (prefix, length, characters).
fn valid_alias_name(name: &str) -> bool {
    name.strip_prefix("alias/").is_some_and(|rest| {
        name.len() <= 256
            && !rest.is_empty()
            && rest
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-'))
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/bad_input.txt"),
        )),
        ..ProptestConfig::with_cases(128)
    })]

    #[test]
    fn random_key_ids_never_panic_and_are_not_found(id in key_id_strategy()) {
        let mut w = world(Rules::current());
        let blob = encrypt(&mut w.kms, &w.key, b"x");
        let before = snapshot(&mut w.kms);
        for (op, result) in every_operation(&mut w.kms, &id, &blob) {
            prop_assert_eq!(result, "NotFoundException", "{} with {:?}", op, id);
        }
        prop_assert_eq!(snapshot(&mut w.kms), before);
    }

    #[test]
    fn random_ciphertext_blobs_are_refused(blob in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut w = world(Rules::current());
        let before = snapshot(&mut w.kms);
        for r in [
            decrypt(&mut w.kms, &blob).map(drop),
            w.kms.re_encrypt(ReEncryptRequest {
                ciphertext_blob: Blob(blob.clone()),
                destination_key_id: w.key.clone(),
                ..Default::default()
            }).map(drop),
        ] {
            let e = r.expect_err("random bytes never decrypt");
            prop_assert!(
                matches!(e.name(), "InvalidCiphertextException" | "ValidationException"),
                "{e:?}"
            );
            prop_assert_eq!(e.name() == "ValidationException", blob.is_empty());
        }
        prop_assert_eq!(snapshot(&mut w.kms), before);
    }

    #[test]
    fn mutated_ciphertext_is_invalid(
        pt in proptest::collection::vec(any::<u8>(), 1..64),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let mut w = world(Rules::current());
        let blob = encrypt(&mut w.kms, &w.key, &pt);
        let mut bad = blob.clone();
        for (i, x) in &edits {
            let at = i.index(bad.len());
            bad[at] ^= x;
        }
        prop_assume!(bad != blob);
        let e = decrypt(&mut w.kms, &bad).expect_err("tampered ciphertext");
        prop_assert_eq!(e.name(), "InvalidCiphertextException");
    }

    #[test]
    fn random_alias_names_are_accepted_exactly_when_valid(name in prop_oneof![
        any::<String>(),
        "alias/[a-zA-Z0-9/_ .:-]{0,20}",
        "alias/[a-z]{250,252}",
        "[a-z/]{0,12}",
    ]) {
        prop_assume!(!name.starts_with("alias/aws/") && name != "alias/app");
        let mut w = world(Rules::current());
        let before = snapshot(&mut w.kms);
        let key = w.key.clone();
        match alias(&mut w.kms, &name, &key) {
            Ok(_) => {
                prop_assert!(valid_alias_name(&name), "accepted {:?}", name);
                prop_assert!(w.kms.aliases_of(&key).contains(&name));
            }
            Err(e) => {
                prop_assert!(!valid_alias_name(&name), "refused valid {:?}: {:?}", name, e);
                prop_assert!(
                    matches!(e.name(), "ValidationException" | "InvalidAliasNameException"),
                    "{e:?}"
                );
                prop_assert_eq!(snapshot(&mut w.kms), before);
            }
        }
        let e = w.kms.delete_alias(DeleteAliasRequest { alias_name: name.clone() });
        if !valid_alias_name(&name) {
            let e = e.expect_err("invalid name");
            prop_assert!(matches!(e.name(), "ValidationException" | "InvalidAliasNameException"));
        }
    }

    #[test]
    fn random_windows_periods_and_sizes_are_accepted_exactly_in_range(n in prop_oneof![
        any::<i64>(),
        -5i64..3000,
    ]) {
        let mut w = world(Rules::current());
        let r = schedule_deletion(&mut w.kms, &w.key, Some(n));
        prop_assert_eq!(r.is_ok(), (7..=30).contains(&n));
        if let Err(e) = r { prop_assert_eq!(e.name(), "ValidationException"); }
        let r = enable_rotation(&mut w.kms, &w.ext, Some(n));
        // EXTERNAL key: a valid period reaches the origin check.
        let want = if (90..=2560).contains(&n) { "UnsupportedOperationException" } else { "ValidationException" };
        prop_assert_eq!(r.unwrap_err().name(), want);
        let r = w.kms.generate_data_key(GenerateDataKeyRequest {
            key_id: "alias/app".into(),
            number_of_bytes: Some(n),
            ..Default::default()
        });
        // The key is pending deletion when the window was valid.
        let want = match ((1..=1024).contains(&n), (7..=30).contains(&n)) {
            (false, _) => "ValidationException",
            (true, true) => "KMSInvalidStateException",
            (true, false) => "Ok",
        };
        prop_assert_eq!(r.map(|_| "Ok").unwrap_or_else(|e| e.name()), want);
    }

    #[test]
    fn random_list_markers_and_limits_never_panic(
        marker in prop_oneof![any::<String>(), "[0-9]{1,25}"],
        limit in prop_oneof![any::<i64>(), 0i64..1002],
    ) {
        let mut w = world(Rules::current());
        let req = || ListRequest { limit: Some(limit), marker: Some(marker.clone()), ..Default::default() };
        let valid_limit = (1..=1000).contains(&limit);
        let valid_marker = marker.parse::<usize>().is_ok();
        let results = [
            w.kms.list_keys(req()).map(drop),
            w.kms.list_aliases(req()).map(drop),
            w.kms.list_key_rotations(ListKeyRotationsRequest { key_id: w.key.clone(), limit: Some(limit), marker: Some(marker.clone()), ..Default::default() }).map(drop),
        ];
        for r in results {
            prop_assert_eq!(r.is_ok(), valid_limit && valid_marker);
            if let Err(e) = r { prop_assert_eq!(e.name(), "ValidationException"); }
        }
    }

    #[test]
    fn random_import_tokens_and_wrapped_material_are_refused(
        token in proptest::collection::vec(any::<u8>(), 0..120),
        wrapped in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut w = world(Rules::current());
        let key = create_external(&mut w.kms).key_id;
        let _ = prepare(&mut w.kms, &key, &M);
        let before = snapshot(&mut w.kms);
        let p = Prepared { token: token.clone(), public_key: vec![], wrapped: wrapped.clone(), valid_to: 0 };
        let e = import_prepared(&mut w.kms, &key, &p, Expiry::Never, None).expect_err("forged");
        let want = if token.is_empty() || wrapped.is_empty() { "ValidationException" } else { "InvalidImportTokenException" };
        prop_assert_eq!(e.name(), want);
        prop_assert_eq!(snapshot(&mut w.kms), before);
    }
}

// ----- list pages ------------------------------------------------------------

#[test]
fn a_huge_list_marker_gives_an_empty_page_not_a_panic() {
    let mut w = world(Rules::current());
    let marker = usize::MAX.to_string();
    let req = || ListRequest {
        marker: Some(marker.clone()),
        ..Default::default()
    };
    let keys = w.kms.list_keys(req()).unwrap();
    assert!(keys.keys.is_empty() && !keys.truncated);
    let aliases = w.kms.list_aliases(req()).unwrap();
    assert!(aliases.aliases.is_empty() && !aliases.truncated);
    let rots = w
        .kms
        .list_key_rotations(ListKeyRotationsRequest {
            key_id: w.key.clone(),
            marker: Some(marker.clone()),
            ..Default::default()
        })
        .unwrap();
    assert!(rots.rotations.is_empty() && !rots.truncated);
}

/// ListKeys pages: `Truncated` and `NextMarker` exactly while keys remain
/// (store.rs `Kms::list_keys`).
#[test]
fn list_keys_pages_are_truncated_exactly_while_keys_remain() {
    let (mut kms, _clock) = store(Rules::current());
    let mut made: Vec<String> = (0..5).map(|_| create(&mut kms).key_id).collect();
    made.sort();
    let mut seen = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = kms
            .list_keys(ListRequest {
                limit: Some(2),
                marker: marker.clone(),
                ..Default::default()
            })
            .unwrap();
        pages += 1;
        seen.extend(page.keys.iter().map(|k| k.key_id.clone()));
        assert_eq!(page.truncated, seen.len() < 5, "page {pages}");
        assert_eq!(page.next_marker.is_some(), page.truncated);
        if !page.truncated {
            break;
        }
        marker = page.next_marker;
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(seen, made);
}

/// ListAliases pages like ListKeys: `Truncated` exactly while aliases remain
/// (store.rs `Kms::list_aliases`).
#[test]
fn list_aliases_pages_are_truncated_exactly_while_aliases_remain() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    for i in 0..3 {
        alias(&mut kms, &format!("alias/page-{i}"), &key).unwrap();
    }
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = kms
            .list_aliases(ListRequest {
                key_id: Some(key.clone()),
                limit: Some(2),
                marker: marker.clone(),
            })
            .unwrap();
        names.extend(page.aliases.iter().map(|a| a.alias_name.clone()));
        assert_eq!(page.truncated, names.len() < 3, "{names:?}");
        assert_eq!(page.next_marker.is_some(), page.truncated);
        if !page.truncated {
            break;
        }
        marker = page.next_marker;
    }
    assert_eq!(names.len(), 3);
}

/// ListKeyRotations pages: `Truncated` exactly while rotations remain
/// (store.rs `Kms::list_key_rotations`).
#[test]
fn list_key_rotations_pages_are_truncated_exactly_while_rotations_remain() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    for _ in 0..3 {
        kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    }
    let mut seen = 0;
    let mut marker = None;
    loop {
        let page = kms
            .list_key_rotations(ListKeyRotationsRequest {
                key_id: key.clone(),
                limit: Some(2),
                marker: marker.clone(),
                ..Default::default()
            })
            .unwrap();
        seen += page.rotations.len();
        assert_eq!(page.truncated, seen < 3, "after {seen}");
        assert_eq!(page.next_marker.is_some(), page.truncated);
        if !page.truncated {
            break;
        }
        marker = page.next_marker;
    }
    assert_eq!(seen, 3);
}
