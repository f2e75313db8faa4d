//! Tests added for mutants that survived the rest of the suite
//! (docs/verification.md, "Mutation testing"): the exact boundaries of
//! `crypto::parse_ciphertext`, seen through the order of Decrypt's checks
//! (decisions.md, Decrypt: a blob that is not ours is InvalidCiphertext before
//! any key is looked at; one of ours names a key whose state is checked before
//! authentication).

mod common;

use common::*;
use kms_lifecycle::Rules;
use kms_lifecycle::api::*;
use kms_lifecycle::crypto::HEADER_LEN;

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

/// EnableKeyRotation again with the same period changes nothing: it cannot
/// postpone a due rotation (decisions.md, Rotation; mutant of the guard in
/// `Key<Enabled, AwsKms>::enable_rotation`, key.rs).
#[test]
fn enable_key_rotation_again_with_the_same_period_keeps_next_rotation_date() {
    let (mut kms, clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let enable = |kms: &mut kms_lifecycle::Kms, p: i64| {
        kms.enable_key_rotation(EnableKeyRotationRequest {
            key_id: key.clone(),
            rotation_period_in_days: Some(p),
        })
        .unwrap();
        kms.get_key_rotation_status(KeyIdRequest::new(&key))
            .unwrap()
            .next_rotation_date
    };
    let first = enable(&mut kms, 90);
    clock.advance(10 * 86_400);
    assert_eq!(enable(&mut kms, 90), first, "same period: no change");
    let changed = enable(&mut kms, 100).unwrap();
    assert_eq!(
        changed.0,
        kms.now() + 100 * 86_400,
        "new period: now + period"
    );
}

/// The typed key's accessors report what the transitions did (key.rs
/// `id`, `versions`, `rotations`).
#[test]
fn typed_key_accessors_follow_the_transitions() {
    use kms_lifecycle::api::RotationType;
    use kms_lifecycle::key::{AwsKms, Key};
    let key = Key::<_, AwsKms>::create(5);
    let id = key.id();
    assert_ne!(*id.as_bytes(), [0; 16]);
    assert_ne!(*id.as_bytes(), [1; 16]);
    assert_eq!(key.versions(), 1);
    assert!(key.rotations().is_empty());
    let key = key
        .rotate(7, RotationType::OnDemand)
        .rotate(9, RotationType::OnDemand);
    assert_eq!(key.id(), id, "rotation keeps the id");
    assert_eq!(key.versions(), 3);
    let dates: Vec<u64> = key.rotations().iter().map(|r| r.date).collect();
    assert_eq!(dates, vec![7, 9]);
    let text = format!("{key:?}");
    assert!(
        text.contains("Enabled") && text.contains("versions: 3"),
        "{text}"
    );
}

const DAY: u64 = 86_400;

/// Reimporting the same material resets its expiry (key.rs
/// `reimport_material`): the key outlives the first ValidTo.
#[test]
fn reimport_of_the_same_material_moves_its_expiry() {
    let (mut kms, clock) = store(Rules::current());
    let key = create_external(&mut kms).key_id;
    let material = [4u8; 32];
    let now = kms.now();
    import(&mut kms, &key, &material, Expiry::At(now + DAY)).unwrap();
    let p = prepare(&mut kms, &key, &material);
    import_prepared(&mut kms, &key, &p, Expiry::At(now + 10 * DAY), None).unwrap();
    clock.advance(2 * DAY);
    assert_eq!(
        state(&mut kms, &key),
        KeyState::Enabled,
        "the later ValidTo holds"
    );
    clock.advance(8 * DAY);
    assert_eq!(
        state(&mut kms, &key),
        KeyState::PendingImport,
        "at the new ValidTo"
    );
}

/// Pending-rotation material expires alone at its ValidTo; the current
/// material and the key's state are untouched (key.rs `expire_at`).
#[test]
fn pending_material_expires_alone_at_its_valid_to() {
    let (mut kms, clock) = store(Rules::current());
    let key = imported_key(&mut kms, &[5u8; 32]).key_id;
    let p = prepare(&mut kms, &key, &[6u8; 32]);
    let now = kms.now();
    import_prepared(
        &mut kms,
        &key,
        &p,
        Expiry::At(now + DAY),
        Some(ImportType::NewKeyMaterial),
    )
    .unwrap();
    clock.advance(DAY - 1);
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
    clock.advance(1);
    assert_eq!(
        state(&mut kms, &key),
        KeyState::Enabled,
        "only the pending material expired"
    );
    assert_err_name(
        kms.rotate_key_on_demand(KeyIdRequest::new(&key)),
        "KMSInvalidStateException",
    );
}

/// On-demand rotations of an imported key count towards the limit of 25
/// (key.rs `rotate_to_pending`).
#[test]
fn imported_key_on_demand_rotations_count_towards_the_limit() {
    let (mut kms, _clock) = store(Rules::current());
    let key = imported_key(&mut kms, &[0u8; 32]).key_id;
    let p0 = prepare(&mut kms, &key, &[1u8; 32]);
    for i in 1..=26u8 {
        let wrapped = kms_lifecycle::import::wrap_key_material(
            &p0.public_key,
            WrappingAlgorithm::RsaesOaepSha256,
            &[i; 32],
        )
        .unwrap();
        let p = Prepared {
            token: p0.token.clone(),
            public_key: p0.public_key.clone(),
            wrapped,
            valid_to: p0.valid_to,
        };
        import_prepared(
            &mut kms,
            &key,
            &p,
            Expiry::Never,
            Some(ImportType::NewKeyMaterial),
        )
        .unwrap();
        let r = kms.rotate_key_on_demand(KeyIdRequest::new(&key));
        if i <= 25 {
            r.unwrap();
        } else {
            assert_err_name(r, "LimitExceededException");
        }
    }
}

/// The audit trail names the key material each call used: Encrypt the current
/// one, Decrypt the one the blob names, across a rotation (store.rs
/// `EnabledRef::material_raw`, `EnabledRef::current`; spec §8).
#[test]
fn audit_records_name_the_material_each_call_used() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let old = encrypt(&mut kms, &key, b"before");
    kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    let new = encrypt(&mut kms, &key, b"after");
    let m_old = decrypt(&mut kms, &old).unwrap().key_material_id.unwrap();
    let m_new = decrypt(&mut kms, &new).unwrap().key_material_id.unwrap();
    assert_ne!(m_old, m_new, "rotation made new material");
    let used: Vec<(&str, Option<String>)> = kms
        .events()
        .into_iter()
        .filter(|e| matches!(e.event_name, "Encrypt" | "Decrypt"))
        .map(|e| (e.event_name, e.key_material_id))
        .collect();
    assert_eq!(
        used,
        vec![
            ("Encrypt", Some(m_old.clone())),
            ("Encrypt", Some(m_new.clone())),
            ("Decrypt", Some(m_old)),
            ("Decrypt", Some(m_new)),
        ]
    );
}

/// Material that expires while its key is PendingDeletion is deleted with a
/// `DeleteExpiredKeyMaterial` record, exactly once (store.rs `Kms::fire`,
/// the PendingDeletion arm's "changed" test).
#[test]
fn material_expiring_while_pending_deletion_is_recorded_once() {
    use kms_lifecycle::clock::DAY;
    let (mut kms, clock) = store(Rules::current());
    let md = create_external(&mut kms);
    let t0 = kms.now();
    import(&mut kms, &md.key_id, &[9u8; 32], Expiry::At(t0 + DAY)).unwrap();
    schedule_deletion(&mut kms, &md.key_id, Some(30)).unwrap();
    clock.set(t0 + 2 * DAY);
    assert_eq!(state(&mut kms, &md.key_id), KeyState::PendingDeletion);
    let expired: Vec<_> = kms
        .events()
        .into_iter()
        .filter(|e| e.event_name == "DeleteExpiredKeyMaterial")
        .collect();
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0].event_time, t0 + DAY);
    assert_eq!(expired[0].key_arn.as_deref(), Some(md.arn.as_str()));
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

/// `key_state` (for tests and the oracle) and `event_count` agree with the
/// store's answers (store.rs `Kms::key_state`, `Kms::event_count`).
#[test]
fn key_state_and_event_count_agree_with_the_store() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    assert_eq!(kms.key_state(&key), Some(KeyState::Enabled));
    kms.disable_key(KeyIdRequest::new(&key)).unwrap();
    assert_eq!(kms.key_state(&key), Some(KeyState::Disabled));
    assert_eq!(kms.key_state("00000000-0000-4000-8000-000000000000"), None);
    assert_eq!(kms.key_state("not a key id"), None);
    assert_eq!(kms.event_count(), kms.events().len());
    assert_eq!(kms.event_count(), 2);
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

/// EnableKey's catch-up rotation is recorded as an internal `RotateKey` at
/// the time of EnableKey, and only when it happens (store.rs
/// `Kms::enable_key`).
#[test]
fn catch_up_rotation_on_enable_is_recorded() {
    let (mut kms, clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    enable_rotation(&mut kms, &key, Some(90)).unwrap();
    kms.disable_key(KeyIdRequest::new(&key)).unwrap();
    kms.enable_key(KeyIdRequest::new(&key)).unwrap();
    let rotate_events = |kms: &kms_lifecycle::Kms| {
        kms.events()
            .into_iter()
            .filter(|e| e.event_name == "RotateKey")
            .map(|e| e.event_time)
            .collect::<Vec<_>>()
    };
    assert!(rotate_events(&kms).is_empty(), "nothing was due");
    kms.disable_key(KeyIdRequest::new(&key)).unwrap();
    clock.advance(100 * 86_400);
    let now = kms.now();
    kms.enable_key(KeyIdRequest::new(&key)).unwrap();
    assert_eq!(rotate_events(&kms), vec![now]);
    assert_eq!(rotations(&mut kms, &key).len(), 1);
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

/// A rotation event queued for an old schedule does nothing: not after
/// DisableKeyRotation, not after the period changed (store.rs `Kms::fire`,
/// the EV_ROTATE guard; queued events are not removed when a schedule
/// changes).
#[test]
fn stale_rotation_events_do_not_rotate() {
    const DAY: u64 = 86_400;
    let (mut kms, clock) = store(Rules::current());
    let off = create(&mut kms).key_id;
    let longer = create(&mut kms).key_id;
    let t0 = kms.now();
    for key in [&off, &longer] {
        enable_rotation(&mut kms, key, Some(90)).unwrap();
    }
    kms.disable_key_rotation(KeyIdRequest::new(&off)).unwrap();
    enable_rotation(&mut kms, &longer, Some(180)).unwrap();
    clock.set(t0 + 91 * DAY);
    assert!(rotations(&mut kms, &off).is_empty(), "rotation is off");
    assert!(
        rotations(&mut kms, &longer).is_empty(),
        "next is at 180 days"
    );
    clock.set(t0 + 180 * DAY);
    assert_eq!(rotations(&mut kms, &longer).len(), 1);
    assert!(rotations(&mut kms, &off).is_empty());
    // The audit trail too: one RotateKey, at 180 days; none at the stale
    // 90-day instant.
    let rotate_events: Vec<u64> = kms
        .events()
        .into_iter()
        .filter(|e| e.event_name == "RotateKey")
        .map(|e| e.event_time)
        .collect();
    assert_eq!(rotate_events, vec![t0 + 180 * DAY]);
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

/// Material that expires while its key is already PendingImport is recorded
/// too: one `DeleteExpiredKeyMaterial` per expiry (store.rs `Kms::fire`, the
/// PendingImport arm's "changed" test).
#[test]
fn each_material_expiry_is_recorded_even_when_already_pending_import() {
    let (mut kms, clock) = store(Rules::current());
    let md = create_external(&mut kms);
    let key = md.key_id.clone();
    let t0 = kms.now();
    import(&mut kms, &key, &[1u8; 32], Expiry::At(t0 + 10 * DAY)).unwrap();
    let p = prepare(&mut kms, &key, &[2u8; 32]);
    import_prepared(
        &mut kms,
        &key,
        &p,
        Expiry::At(t0 + DAY),
        Some(ImportType::NewKeyMaterial),
    )
    .unwrap();
    kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    clock.set(t0 + DAY);
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);

    clock.set(t0 + 20 * DAY);
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
    let expiries: Vec<u64> = kms
        .events()
        .into_iter()
        .filter(|e| e.event_name == "DeleteExpiredKeyMaterial")
        .map(|e| e.event_time)
        .collect();
    assert_eq!(expiries, vec![t0 + DAY, t0 + 10 * DAY]);
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

/// Import parameters (the RSA wrapping key) are dropped when their token
/// expires, 24 hours after GetParametersForImport, and the store's `Debug`
/// shows how many it holds (store.rs `Kms::fire`, EV_PARAMS).
#[test]
fn import_parameters_are_dropped_when_their_token_expires() {
    let (mut kms, clock) = store(Rules::current());
    let key = create_external(&mut kms).key_id;
    let t0 = kms.now();
    let _p = prepare(&mut kms, &key, &[3u8; 32]);
    assert!(
        format!("{kms:?}").contains("import_parameters: 1"),
        "{kms:?}"
    );
    clock.set(t0 + DAY - 1);
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
    assert!(
        format!("{kms:?}").contains("import_parameters: 1"),
        "{kms:?}"
    );
    clock.set(t0 + DAY);
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
    assert!(
        format!("{kms:?}").contains("import_parameters: 0"),
        "{kms:?}"
    );
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
