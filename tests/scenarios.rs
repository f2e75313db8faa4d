//! The course's scenarios (issue 2, item 8), each a named test.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use common::*;
use kms_lifecycle::Rules;
use kms_lifecycle::api::*;
use kms_lifecycle::crypto::parse_ciphertext;

fn version_of(blob: &[u8]) -> u32 {
    parse_ciphertext(blob).expect("our blob").version
}

fn current_material(kms: &mut kms_lifecycle::Kms, key: &str) -> String {
    describe(kms, key)
        .unwrap()
        .current_key_material_id
        .expect("current rules report CurrentKeyMaterialId")
}

fn hundred_documents(kms: &mut kms_lifecycle::Kms, key: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..100)
        .map(|i| {
            let pt = format!("object number {i}").into_bytes();
            let blob = encrypt(kms, key, &pt);
            (pt, blob)
        })
        .collect()
}

#[test]
fn hundred_objects_survive_on_demand_rotation_and_new_ones_use_the_new_backing_key() {
    let (mut kms, _clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let before = current_material(&mut kms, &key);
    let docs = hundred_documents(&mut kms, &key);

    kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    let after = current_material(&mut kms, &key);
    assert_ne!(before, after, "rotation makes a new backing key current");
    let rots = rotations(&mut kms, &key);
    assert_eq!(rots.len(), 1);
    assert_eq!(rots[0].rotation_type, Some(RotationType::OnDemand));
    assert_eq!(rots[0].key_material_id.as_deref(), Some(after.as_str()));
    assert_eq!(rots[0].rotation_date.map(|t| t.0), Some(T0));

    for (pt, blob) in &docs {
        let r = decrypt(&mut kms, blob).unwrap();
        assert_eq!(r.plaintext.expose(), &pt[..]);
        assert_eq!(r.key_material_id.as_deref(), Some(before.as_str()));
    }
    let fresh = encrypt(&mut kms, &key, b"new object");
    let r = decrypt(&mut kms, &fresh).unwrap();
    assert_eq!(r.plaintext.expose(), b"new object");
    assert_eq!(r.key_material_id.as_deref(), Some(after.as_str()));
}

#[test]
fn hundred_objects_survive_automatic_yearly_rotation_under_classic() {
    let (mut kms, clock) = store(Rules::classic());
    let key = create(&mut kms).key_id;
    enable_rotation(&mut kms, &key, None).unwrap();
    let docs = hundred_documents(&mut kms, &key);
    assert!(docs.iter().all(|(_, b)| version_of(b) == 0));

    clock.advance(365 * DAY - 1);
    assert!(
        rotations(&mut kms, &key).is_empty(),
        "not yet: one second early"
    );
    assert_eq!(version_of(&encrypt(&mut kms, &key, b"x")), 0);

    clock.advance(1);
    let rots = rotations(&mut kms, &key);
    assert_eq!(rots.len(), 1);
    assert_eq!(rots[0].rotation_type, Some(RotationType::Automatic));
    assert_eq!(rots[0].rotation_date.map(|t| t.0), Some(T0 + 365 * DAY));
    assert_eq!(
        rots[0].key_material_id, None,
        "classic rules have no material ids"
    );

    for (pt, blob) in &docs {
        assert_eq!(decrypt_ok(&mut kms, blob), *pt);
    }
    let fresh = encrypt(&mut kms, &key, b"new object");
    assert_eq!(version_of(&fresh), 1, "new objects use the new backing key");
    assert_eq!(decrypt_ok(&mut kms, &fresh), b"new object");
    assert_eq!(
        rotation_status(&mut kms, &key).next_rotation_date,
        Some(Timestamp(T0 + 730 * DAY))
    );
}

#[test]
fn manual_rotation_with_update_alias_then_disabling_the_old_key_breaks_only_old_documents() {
    let (mut kms, _clock) = store(Rules::classic());
    let old = create(&mut kms);
    alias(&mut kms, "alias/app", &old.key_id).unwrap();
    let doc1 = encrypt(&mut kms, "alias/app", b"document one");

    let new = create(&mut kms);
    kms.update_alias(AliasRequest {
        alias_name: "alias/app".into(),
        target_key_id: new.key_id.clone(),
    })
    .unwrap();
    let r = try_encrypt(&mut kms, "alias/app", b"document two").unwrap();
    assert_eq!(r.key_id, new.arn, "the alias now names the new key");
    let doc2 = r.ciphertext_blob.0;
    assert_eq!(decrypt(&mut kms, &doc1).unwrap().key_id, old.arn);
    assert_eq!(decrypt_ok(&mut kms, &doc1), b"document one");

    kms.disable_key(KeyIdRequest::new(&old.key_id)).unwrap();
    assert_err(
        decrypt(&mut kms, &doc1),
        "DisabledException",
        &format!("{} is disabled.", old.arn),
    );
    assert_eq!(decrypt_ok(&mut kms, &doc2), b"document two");

    kms.enable_key(KeyIdRequest::new(&old.key_id)).unwrap();
    assert_eq!(decrypt_ok(&mut kms, &doc1), b"document one");
}

fn four_step_import(rules: Rules, alg: WrappingAlgorithm, spec: WrappingKeySpec) {
    let material_ids = rules.key_material_ids;
    let (mut kms, _clock) = store(rules);
    // 1. CreateKey Origin=EXTERNAL.
    let md = create_external(&mut kms);
    assert_eq!(md.key_state, KeyState::PendingImport);
    assert_eq!(md.origin, Origin::External);
    assert_err(
        try_encrypt(&mut kms, &md.key_id, b"too early"),
        "KMSInvalidStateException",
        &format!("{} is pending import.", md.arn),
    );
    // 2. GetParametersForImport.
    let p = params(&mut kms, &md.key_id, alg, spec).unwrap();
    assert_eq!(p.key_id, md.arn);
    assert_eq!(p.parameters_valid_to, Timestamp(T0 + DAY));
    // 3. Wrap 32 bytes with the public key (DER SubjectPublicKeyInfo).
    let material = [0x5a; 32];
    let wrapped =
        kms_lifecycle::import::wrap_key_material(&p.public_key.0, alg, &material).unwrap();
    // 4. ImportKeyMaterial.
    let r = kms
        .import_key_material(ImportKeyMaterialRequest {
            key_id: md.key_id.clone(),
            import_token: p.import_token.clone(),
            encrypted_key_material: Blob(wrapped),
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.key_id, md.arn);
    assert_eq!(r.key_material_id.is_some(), material_ids);
    let after = describe(&mut kms, &md.key_id).unwrap();
    assert_eq!(after.key_state, KeyState::Enabled);
    assert_eq!(
        after.expiration_model,
        Some(ExpirationModel::KeyMaterialDoesNotExpire)
    );
    assert_eq!(after.current_key_material_id, r.key_material_id);

    let blob = encrypt(&mut kms, &md.key_id, b"imported key works");
    assert_eq!(decrypt_ok(&mut kms, &blob), b"imported key works");
}

#[test]
fn import_with_rsaes_oaep_sha_256_under_classic() {
    four_step_import(
        Rules::classic(),
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    );
}

#[test]
fn import_with_rsaes_oaep_sha_1_under_classic() {
    four_step_import(
        Rules::classic(),
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingKeySpec::Rsa2048,
    );
}

#[test]
fn import_with_rsaes_pkcs1_v1_5_under_classic() {
    four_step_import(
        Rules::classic(),
        WrappingAlgorithm::RsaesPkcs1V15,
        WrappingKeySpec::Rsa2048,
    );
}

#[test]
fn import_with_rsaes_oaep_sha_256_under_current() {
    four_step_import(
        Rules::current(),
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    );
}

#[test]
fn import_with_rsaes_oaep_sha_1_under_current() {
    four_step_import(
        Rules::current(),
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingKeySpec::Rsa2048,
    );
}

#[test]
fn import_with_rsa_aes_key_wrap_sha_256_under_current() {
    four_step_import(
        Rules::current(),
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa2048,
    );
}

#[test]
fn import_with_rsa_aes_key_wrap_sha_1_under_current() {
    four_step_import(
        Rules::current(),
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingKeySpec::Rsa2048,
    );
}

#[test]
fn import_with_an_rsa_3072_wrapping_key_under_current() {
    four_step_import(
        Rules::current(),
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa3072,
    );
}

#[test]
fn import_with_an_rsa_4096_wrapping_key_under_current() {
    four_step_import(
        Rules::current(),
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa4096,
    );
}

#[test]
fn rules_refuse_the_wrapping_choices_of_the_other_rule_set() {
    let (mut kms, _c) = store(Rules::current());
    let k = create_external(&mut kms).key_id;
    assert_err_name(
        params(
            &mut kms,
            &k,
            WrappingAlgorithm::RsaesPkcs1V15,
            WrappingKeySpec::Rsa2048,
        ),
        "ValidationException",
    );
    let (mut kms, _c) = store(Rules::classic());
    let k = create_external(&mut kms).key_id;
    assert_err_name(
        params(
            &mut kms,
            &k,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            WrappingKeySpec::Rsa2048,
        ),
        "ValidationException",
    );
    assert_err_name(
        params(
            &mut kms,
            &k,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa3072,
        ),
        "ValidationException",
    );
}

fn expiry_then_reimport(rules: Rules) {
    let (mut kms, clock) = store(rules);
    let md = create_external(&mut kms);
    let key = md.key_id.clone();
    let material = [7u8; 32];
    let valid_to = T0 + 10 * DAY;
    import(&mut kms, &key, &material, Expiry::At(valid_to)).unwrap();
    assert_eq!(
        describe(&mut kms, &key).unwrap().valid_to,
        Some(Timestamp(valid_to))
    );
    let doc = encrypt(&mut kms, &key, b"old ciphertext");

    clock.set(valid_to - 1);
    assert_eq!(
        state(&mut kms, &key),
        KeyState::Enabled,
        "one second before ValidTo"
    );
    clock.advance(1);
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport, "at ValidTo");
    let expired: Vec<_> = kms
        .events()
        .into_iter()
        .filter(|e| e.event_name == "DeleteExpiredKeyMaterial")
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].event_time, valid_to);
    assert_eq!(expired[0].key_arn.as_deref(), Some(md.arn.as_str()));
    assert_err(
        decrypt(&mut kms, &doc),
        "KMSInvalidStateException",
        &format!("{} is pending import.", md.arn),
    );

    // Different material is refused and changes nothing.
    let e = import(&mut kms, &key, &[8u8; 32], Expiry::Never);
    assert_err_name(e, "IncorrectKeyMaterialException");
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);

    // The same material restores the key and its old ciphertext.
    import(&mut kms, &key, &material, Expiry::Never).unwrap();
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
    assert_eq!(decrypt_ok(&mut kms, &doc), b"old ciphertext");

    // Once restored, different material is still refused.
    assert_err_name(
        import(&mut kms, &key, &[9u8; 32], Expiry::Never),
        "IncorrectKeyMaterialException",
    );
    assert_eq!(decrypt_ok(&mut kms, &doc), b"old ciphertext");
}

#[test]
fn material_expiry_then_reimport_of_the_same_material_restores_old_ciphertext_classic() {
    expiry_then_reimport(Rules::classic());
}

#[test]
fn material_expiry_then_reimport_of_the_same_material_restores_old_ciphertext_current() {
    expiry_then_reimport(Rules::current());
}

#[test]
fn delete_imported_key_material_then_reimport_restores_old_ciphertext() {
    let (mut kms, _clock) = store(Rules::classic());
    let md = imported_key(&mut kms, &[3; 32]);
    let doc = encrypt(&mut kms, &md.key_id, b"doc");
    kms.delete_imported_key_material(DeleteImportedKeyMaterialRequest::current(&md.key_id))
        .unwrap();
    assert_eq!(state(&mut kms, &md.key_id), KeyState::PendingImport);
    assert_err_name(
        import(&mut kms, &md.key_id, &[4; 32], Expiry::Never),
        "IncorrectKeyMaterialException",
    );
    import(&mut kms, &md.key_id, &[3; 32], Expiry::Never).unwrap();
    assert_eq!(decrypt_ok(&mut kms, &doc), b"doc");
}

fn schedule_cancel_enable(window: i64) {
    let (mut kms, clock) = store(Rules::classic());
    let md = create(&mut kms);
    let doc = encrypt(&mut kms, &md.key_id, b"keep me");
    clock.advance(1234);
    let now = T0 + 1234;
    let r = schedule_deletion(&mut kms, &md.key_id, Some(window)).unwrap();
    assert_eq!(r.key_id, md.arn);
    assert_eq!(r.key_state, KeyState::PendingDeletion);
    assert_eq!(r.pending_window_in_days, window as u32);
    assert_eq!(r.deletion_date, Timestamp(now + window as u64 * DAY));
    let d = describe(&mut kms, &md.key_id).unwrap();
    assert_eq!(d.key_state, KeyState::PendingDeletion);
    assert_eq!(d.deletion_date, Some(r.deletion_date));
    assert!(!d.enabled);

    clock.advance(window as u64 * DAY - 1);
    let r = kms
        .cancel_key_deletion(KeyIdRequest::new(&md.key_id))
        .unwrap();
    assert_eq!(r.key_id, md.arn);
    let d = describe(&mut kms, &md.key_id).unwrap();
    assert_eq!(
        d.key_state,
        KeyState::Disabled,
        "cancelled deletion leaves the key Disabled"
    );
    assert_eq!(d.deletion_date, None);
    assert_err_name(decrypt(&mut kms, &doc), "DisabledException");

    clock.advance(60 * DAY);
    assert_eq!(
        state(&mut kms, &md.key_id),
        KeyState::Disabled,
        "never deleted after cancel"
    );
    kms.enable_key(KeyIdRequest::new(&md.key_id)).unwrap();
    assert_eq!(state(&mut kms, &md.key_id), KeyState::Enabled);
    assert_eq!(decrypt_ok(&mut kms, &doc), b"keep me");
}

#[test]
fn schedule_deletion_with_seven_days_then_cancel_gives_disabled_then_enable() {
    schedule_cancel_enable(7);
}

#[test]
fn schedule_deletion_with_thirty_days_then_cancel_gives_disabled_then_enable() {
    schedule_cancel_enable(30);
}

#[test]
fn schedule_deletion_defaults_to_thirty_days() {
    let (mut kms, _clock) = store(Rules::current());
    let md = create(&mut kms);
    let r = schedule_deletion(&mut kms, &md.key_id, None).unwrap();
    assert_eq!(r.pending_window_in_days, 30);
    assert_eq!(r.deletion_date, Timestamp(T0 + 30 * DAY));
}

fn deletion_exactly_at_deletion_date(window: u64) {
    let (mut kms, clock) = store(Rules::current());
    let md = create(&mut kms);
    let other = create(&mut kms);
    alias(&mut kms, "alias/doomed", &md.key_id).unwrap();
    alias(&mut kms, "alias/doomed-too", &md.key_id).unwrap();
    alias(&mut kms, "alias/survivor", &other.key_id).unwrap();
    let doc = encrypt(&mut kms, &md.key_id, b"soon unreadable");
    schedule_deletion(&mut kms, &md.key_id, Some(window as i64)).unwrap();
    let deletion_date = T0 + window * DAY;

    clock.set(deletion_date - 1);
    assert_eq!(state(&mut kms, &md.key_id), KeyState::PendingDeletion);
    assert_eq!(kms.aliases_of(&md.key_id).len(), 2);

    clock.advance(1);
    let gone = format!("Key '{}' does not exist", md.arn);
    assert_err(describe(&mut kms, &md.key_id), "NotFoundException", &gone);
    assert_err(describe(&mut kms, &md.arn), "NotFoundException", &gone);
    assert_err(decrypt(&mut kms, &doc), "NotFoundException", &gone);
    assert_err(
        kms.enable_key(KeyIdRequest::new(&md.key_id)),
        "NotFoundException",
        &gone,
    );
    assert_err(
        kms.cancel_key_deletion(KeyIdRequest::new(&md.key_id)),
        "NotFoundException",
        &gone,
    );
    assert_err_name(describe(&mut kms, "alias/doomed"), "NotFoundException");
    let names: Vec<String> = kms
        .list_aliases(ListRequest::default())
        .unwrap()
        .aliases
        .into_iter()
        .map(|a| a.alias_name)
        .collect();
    assert_eq!(names, vec!["alias/survivor".to_string()]);
    let keys = kms.list_keys(ListRequest::default()).unwrap().keys;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].key_id, other.key_id);
    let deletions: Vec<_> = kms
        .events()
        .into_iter()
        .filter(|e| e.event_name == "DeleteKey")
        .collect();
    assert_eq!(deletions.len(), 1);
    assert_eq!(deletions[0].event_time, deletion_date);
    assert_eq!(deletions[0].key_arn.as_deref(), Some(md.arn.as_str()));
    // The alias name is free again.
    alias(&mut kms, "alias/doomed", &other.key_id).unwrap();
}

#[test]
fn deletion_happens_exactly_at_deletion_date_after_seven_days() {
    deletion_exactly_at_deletion_date(7);
}

#[test]
fn deletion_happens_exactly_at_deletion_date_after_thirty_days() {
    deletion_exactly_at_deletion_date(30);
}

#[test]
fn deletion_happens_without_any_call_in_between_and_before_later_events() {
    // One big jump past DeletionDate: the key is gone, and a rotation that
    // was due after the deletion never happens.
    let (mut kms, clock) = store(Rules::current());
    let md = create(&mut kms);
    enable_rotation(&mut kms, &md.key_id, Some(90)).unwrap();
    clock.advance(85 * DAY);
    schedule_deletion(&mut kms, &md.key_id, Some(7)).unwrap();
    clock.advance(400 * DAY);
    assert_err_name(describe(&mut kms, &md.key_id), "NotFoundException");
    assert!(kms.events().iter().all(|e| e.event_name != "RotateKey"));
}

#[test]
fn no_rotation_while_disabled_and_catch_up_rotation_on_enable() {
    let (mut kms, clock) = store(Rules::classic());
    let md = create(&mut kms);
    enable_rotation(&mut kms, &md.key_id, None).unwrap();
    let doc = encrypt(&mut kms, &md.key_id, b"before");
    clock.advance(100 * DAY);
    kms.disable_key(KeyIdRequest::new(&md.key_id)).unwrap();
    clock.advance(400 * DAY);
    assert!(
        rotations(&mut kms, &md.key_id).is_empty(),
        "no rotation while Disabled"
    );
    assert!(kms.events().iter().all(|e| e.event_name != "RotateKey"));

    let enable_at = T0 + 500 * DAY;
    kms.enable_key(KeyIdRequest::new(&md.key_id)).unwrap();
    let rots = rotations(&mut kms, &md.key_id);
    assert_eq!(rots.len(), 1, "the catch-up rotation");
    assert_eq!(rots[0].rotation_date.map(|t| t.0), Some(enable_at));
    assert_eq!(rots[0].rotation_type, Some(RotationType::Automatic));
    let st = rotation_status(&mut kms, &md.key_id);
    assert!(st.key_rotation_enabled);
    assert_eq!(
        st.next_rotation_date,
        Some(Timestamp(enable_at + 365 * DAY))
    );
    let fresh = encrypt(&mut kms, &md.key_id, b"after");
    assert_eq!(version_of(&fresh), 1);
    assert_eq!(decrypt_ok(&mut kms, &doc), b"before");

    // And the schedule continues from the catch-up instant.
    clock.set(enable_at + 365 * DAY - 1);
    assert_eq!(rotations(&mut kms, &md.key_id).len(), 1);
    clock.advance(1);
    let rots = rotations(&mut kms, &md.key_id);
    assert_eq!(rots.len(), 2);
    assert_eq!(
        rots[1].rotation_date.map(|t| t.0),
        Some(enable_at + 365 * DAY)
    );
}

#[test]
fn enabling_before_the_rotation_date_does_not_rotate() {
    let (mut kms, clock) = store(Rules::current());
    let md = create(&mut kms);
    enable_rotation(&mut kms, &md.key_id, Some(90)).unwrap();
    kms.disable_key(KeyIdRequest::new(&md.key_id)).unwrap();
    clock.advance(30 * DAY);
    kms.enable_key(KeyIdRequest::new(&md.key_id)).unwrap();
    assert!(rotations(&mut kms, &md.key_id).is_empty());
    assert_eq!(
        rotation_status(&mut kms, &md.key_id).next_rotation_date,
        Some(Timestamp(T0 + 90 * DAY))
    );
    clock.advance(60 * DAY);
    assert_eq!(rotations(&mut kms, &md.key_id).len(), 1);
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

#[test]
fn no_rotation_while_pending_deletion_and_catch_up_on_the_enable_after_cancel() {
    let (mut kms, clock) = store(Rules::current());
    let md = create(&mut kms);
    enable_rotation(&mut kms, &md.key_id, Some(90)).unwrap();
    clock.advance(85 * DAY);
    schedule_deletion(&mut kms, &md.key_id, Some(30)).unwrap();
    let st = rotation_status(&mut kms, &md.key_id);
    assert!(
        !st.key_rotation_enabled,
        "pending deletion reports rotation off"
    );
    assert_eq!(st.next_rotation_date, None);
    clock.advance(20 * DAY); // past NextRotationDate (T0 + 90 d)
    assert!(
        rotations(&mut kms, &md.key_id).is_empty(),
        "no rotation while PendingDeletion"
    );

    kms.cancel_key_deletion(KeyIdRequest::new(&md.key_id))
        .unwrap();
    assert!(
        rotations(&mut kms, &md.key_id).is_empty(),
        "cancel leaves it Disabled: no rotation"
    );
    let st = rotation_status(&mut kms, &md.key_id);
    assert!(st.key_rotation_enabled, "cancel restores the setting");
    assert_eq!(st.rotation_period_in_days, Some(90));
    clock.advance(DAY);
    let enable_at = T0 + 106 * DAY;
    kms.enable_key(KeyIdRequest::new(&md.key_id)).unwrap();
    let rots = rotations(&mut kms, &md.key_id);
    assert_eq!(rots.len(), 1);
    assert_eq!(rots[0].rotation_date.map(|t| t.0), Some(enable_at));
    assert_eq!(
        rotation_status(&mut kms, &md.key_id).next_rotation_date,
        Some(Timestamp(enable_at + 90 * DAY))
    );
}

#[test]
fn advancing_800_days_applies_both_yearly_rotations_at_their_own_instants() {
    let (mut kms, clock) = store(Rules::classic());
    let md = create(&mut kms);
    clock.advance(5 * DAY);
    let enabled_at = T0 + 5 * DAY;
    enable_rotation(&mut kms, &md.key_id, None).unwrap();
    let doc = encrypt(&mut kms, &md.key_id, b"year zero");

    clock.advance(800 * DAY);
    let rots = rotations(&mut kms, &md.key_id);
    let dates: Vec<u64> = rots.iter().map(|r| r.rotation_date.unwrap().0).collect();
    assert_eq!(dates, vec![enabled_at + 365 * DAY, enabled_at + 730 * DAY]);
    assert!(
        rots.iter()
            .all(|r| r.rotation_type == Some(RotationType::Automatic))
    );
    let events: Vec<u64> = kms
        .events()
        .into_iter()
        .filter(|e| e.event_name == "RotateKey")
        .map(|e| {
            assert_eq!(e.key_arn.as_deref(), Some(md.arn.as_str()));
            assert_eq!(e.invoked_by, Some("AWS Internal"));
            e.event_time
        })
        .collect();
    assert_eq!(events, vec![enabled_at + 365 * DAY, enabled_at + 730 * DAY]);
    assert_eq!(
        rotation_status(&mut kms, &md.key_id).next_rotation_date,
        Some(Timestamp(enabled_at + 1095 * DAY))
    );
    assert_eq!(version_of(&encrypt(&mut kms, &md.key_id, b"now")), 2);
    assert_eq!(decrypt_ok(&mut kms, &doc), b"year zero");
}

#[test]
fn clock_events_apply_in_time_order_across_keys() {
    // Key A rotates at +365 d, key B is deleted at +7 d, key C's material
    // expires at +3 d: one jump of 400 days records them in time order.
    let (mut kms, clock) = store(Rules::classic());
    let a = create(&mut kms);
    enable_rotation(&mut kms, &a.key_id, None).unwrap();
    let b = create(&mut kms);
    schedule_deletion(&mut kms, &b.key_id, Some(7)).unwrap();
    let c = create_external(&mut kms);
    import(&mut kms, &c.key_id, &[1; 32], Expiry::At(T0 + 3 * DAY)).unwrap();
    clock.advance(400 * DAY);
    kms.tick();
    let all_events = kms.events();
    let internal: Vec<(&str, u64, Option<&str>)> = all_events
        .iter()
        .filter(|e| e.invoked_by.is_some())
        .map(|e| (e.event_name, e.event_time, e.key_arn.as_deref()))
        .collect();
    assert_eq!(
        internal,
        vec![
            (
                "DeleteExpiredKeyMaterial",
                T0 + 3 * DAY,
                Some(c.arn.as_str())
            ),
            ("DeleteKey", T0 + 7 * DAY, Some(b.arn.as_str())),
            ("RotateKey", T0 + 365 * DAY, Some(a.arn.as_str())),
        ]
    );
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

fn managed_key_rotates_on_its_period(rules: Rules, period_days: u64) {
    let (mut kms, clock) = store(rules);
    clock.advance(17);
    let created = T0 + 17;
    let md = describe(&mut kms, "alias/aws/s3").unwrap();
    assert_eq!(md.key_manager, KeyManager::Aws);
    assert_eq!(md.key_state, KeyState::Enabled);
    assert_eq!(md.creation_date, Timestamp(created));
    assert_eq!(kms.aliases_of(&md.key_id), vec!["alias/aws/s3".to_string()]);
    let st = rotation_status(&mut kms, &md.key_id);
    assert!(st.key_rotation_enabled);
    assert_eq!(st.rotation_period_in_days, Some(period_days as u32));
    assert_eq!(
        st.next_rotation_date,
        Some(Timestamp(created + period_days * DAY))
    );

    let r = try_encrypt(&mut kms, "alias/aws/s3", b"managed").unwrap();
    assert_eq!(r.key_id, md.arn, "the same managed key is used again");
    let doc = r.ciphertext_blob.0;
    assert_eq!(version_of(&doc), 0);

    clock.set(created + period_days * DAY - 1);
    assert!(rotations(&mut kms, &md.key_id).is_empty());
    clock.advance(1);
    let rots = rotations(&mut kms, &md.key_id);
    assert_eq!(rots.len(), 1);
    assert_eq!(
        rots[0].rotation_date,
        Some(Timestamp(created + period_days * DAY))
    );
    assert_eq!(rots[0].rotation_type, Some(RotationType::Automatic));
    assert_eq!(version_of(&encrypt(&mut kms, "alias/aws/s3", b"x")), 1);
    assert_eq!(decrypt_ok(&mut kms, &doc), b"managed");

    // Not manageable.
    let managed = format!(
        "{} is an AWS managed key which is not valid for this operation.",
        md.arn
    );
    assert_err(
        kms.disable_key(KeyIdRequest::new(&md.key_id)),
        "UnsupportedOperationException",
        &managed,
    );
    assert_err(
        schedule_deletion(&mut kms, &md.key_id, Some(7)),
        "UnsupportedOperationException",
        &managed,
    );
    assert_err(
        enable_rotation(&mut kms, &md.key_id, None),
        "UnsupportedOperationException",
        &managed,
    );
    assert_err(
        kms.disable_key_rotation(KeyIdRequest::new(&md.key_id)),
        "UnsupportedOperationException",
        &managed,
    );
    assert_eq!(state(&mut kms, &md.key_id), KeyState::Enabled);
    assert!(rotation_status(&mut kms, &md.key_id).key_rotation_enabled);
}

#[test]
fn managed_key_rotates_every_1095_days_under_classic() {
    managed_key_rotates_on_its_period(Rules::classic(), 1095);
}

#[test]
fn managed_key_rotates_every_365_days_under_current() {
    managed_key_rotates_on_its_period(Rules::current(), 365);
}

#[test]
fn managed_key_is_made_on_first_encrypt_through_its_alias() {
    let (mut kms, _clock) = store(Rules::current());
    assert!(
        kms.list_keys(ListRequest::default())
            .unwrap()
            .keys
            .is_empty()
    );
    let r = try_encrypt(&mut kms, "alias/aws/ebs", b"disk").unwrap();
    let md = describe(&mut kms, "alias/aws/ebs").unwrap();
    assert_eq!(r.key_id, md.arn);
    assert_eq!(md.key_manager, KeyManager::Aws);
    assert_err_name(
        kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id)),
        "UnsupportedOperationException",
    );
    assert_eq!(kms.list_keys(ListRequest::default()).unwrap().keys.len(), 1);
}

#[test]
fn imported_key_rotation_with_new_key_material_under_current() {
    let (mut kms, _clock) = store(Rules::current());
    let md = create_external(&mut kms);
    let key = md.key_id.clone();
    let first = import(&mut kms, &key, &[1; 32], Expiry::Never)
        .unwrap()
        .key_material_id
        .unwrap();
    let doc1 = encrypt(&mut kms, &key, b"first material");

    let p = prepare(&mut kms, &key, &[2; 32]);
    let second = import_prepared(
        &mut kms,
        &key,
        &p,
        Expiry::Never,
        Some(ImportType::NewKeyMaterial),
    )
    .unwrap()
    .key_material_id
    .unwrap();
    assert_ne!(first, second);
    assert_eq!(
        current_material(&mut kms, &key),
        first,
        "pending material is not used yet"
    );
    let doc_pending = encrypt(&mut kms, &key, b"still first");
    assert_eq!(
        decrypt(&mut kms, &doc_pending)
            .unwrap()
            .key_material_id
            .as_deref(),
        Some(first.as_str())
    );

    // A second NEW while one is pending.
    let p3 = prepare(&mut kms, &key, &[3; 32]);
    assert_err(
        import_prepared(
            &mut kms,
            &key,
            &p3,
            Expiry::Never,
            Some(ImportType::NewKeyMaterial),
        ),
        "KMSInvalidStateException",
        &format!(
            "New key material cannot be imported into KMS key {}, because another key material is pending rotation.",
            md.arn
        ),
    );

    let r = kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    assert_eq!(r.key_id, md.arn);
    assert_eq!(current_material(&mut kms, &key), second);
    let rots = rotations(&mut kms, &key);
    assert_eq!(rots.len(), 1);
    assert_eq!(rots[0].rotation_type, Some(RotationType::OnDemand));
    assert_eq!(rots[0].key_material_id.as_deref(), Some(second.as_str()));

    let old = decrypt(&mut kms, &doc1).unwrap();
    assert_eq!(old.plaintext.expose(), b"first material");
    assert_eq!(old.key_material_id.as_deref(), Some(first.as_str()));
    let doc2 = encrypt(&mut kms, &key, b"second material");
    assert_eq!(
        decrypt(&mut kms, &doc2).unwrap().key_material_id.as_deref(),
        Some(second.as_str())
    );

    assert_err(
        kms.rotate_key_on_demand(KeyIdRequest::new(&key)),
        "KMSInvalidStateException",
        &format!(
            "No available key material pending rotation for the key: {}.",
            md.arn
        ),
    );
    // Reimporting the old (now NON_CURRENT) material as EXISTING is accepted.
    import(&mut kms, &key, &[1; 32], Expiry::Never).unwrap();
    assert_eq!(current_material(&mut kms, &key), second);
}

#[test]
fn new_key_material_import_is_refused_under_classic() {
    let (mut kms, _clock) = store(Rules::classic());
    let md = imported_key(&mut kms, &[1; 32]);
    let p = prepare(&mut kms, &md.key_id, &[2; 32]);
    assert_err_name(
        import_prepared(
            &mut kms,
            &md.key_id,
            &p,
            Expiry::Never,
            Some(ImportType::NewKeyMaterial),
        ),
        "ValidationException",
    );
    assert_err(
        kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id)),
        "UnsupportedOperationException",
        "On-demand rotation is not available under the classic rules.",
    );
}

#[test]
fn on_demand_rotation_limit_is_25_then_limit_exceeded() {
    let (mut kms, _clock) = store(Rules::current());
    let md = create(&mut kms);
    for _ in 0..25 {
        kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id))
            .unwrap();
    }
    assert_err_name(
        kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id)),
        "LimitExceededException",
    );
    assert_eq!(rotations(&mut kms, &md.key_id).len(), 25);
    // Automatic rotations are not limited.
    enable_rotation(&mut kms, &md.key_id, Some(90)).unwrap();
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

#[test]
fn on_demand_rotation_conflicts_within_20_minutes_of_an_automatic_rotation() {
    let (mut kms, clock) = store(Rules::current());
    let md = create(&mut kms);
    enable_rotation(&mut kms, &md.key_id, Some(90)).unwrap();
    let next = T0 + 90 * DAY;
    clock.set(next - 1201);
    kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id))
        .unwrap();
    assert_eq!(
        rotation_status(&mut kms, &md.key_id).next_rotation_date,
        Some(Timestamp(next)),
        "on-demand rotation does not move NextRotationDate"
    );
    clock.advance(1);
    assert_err_name(
        kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id)),
        "ConflictException",
    );
    clock.set(next - 1);
    assert_err_name(
        kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id)),
        "ConflictException",
    );
    assert_eq!(rotations(&mut kms, &md.key_id).len(), 1);
    clock.advance(1);
    // The automatic rotation happened; the next one is 90 days away.
    kms.rotate_key_on_demand(KeyIdRequest::new(&md.key_id))
        .unwrap();
    let kinds: Vec<RotationType> = rotations(&mut kms, &md.key_id)
        .iter()
        .filter_map(|r| r.rotation_type)
        .collect();
    assert_eq!(
        kinds,
        vec![
            RotationType::OnDemand,
            RotationType::Automatic,
            RotationType::OnDemand
        ]
    );
}

#[test]
fn pending_deletion_use_raises_one_alarm_naming_the_key_and_operation() {
    let (mut kms, clock) = store(Rules::current());
    let md = create(&mut kms);
    let doc = encrypt(&mut kms, &md.key_id, b"x");
    schedule_deletion(&mut kms, &md.key_id, Some(7)).unwrap();
    assert!(kms.alarms().is_empty());
    clock.advance(60);
    assert_err(
        try_encrypt(&mut kms, &md.key_id, b"still in use?"),
        "KMSInvalidStateException",
        &format!("{} is pending deletion.", md.arn),
    );
    assert_eq!(kms.alarms().len(), 1);
    let a = &kms.alarms()[0];
    assert_eq!(a.key_arn, md.arn);
    assert_eq!(a.operation, "Encrypt");
    assert_eq!(a.time, T0 + 60);

    // Allowed calls raise none; another refused use raises another.
    describe(&mut kms, &md.key_id).unwrap();
    rotations(&mut kms, &md.key_id);
    assert_eq!(kms.alarms().len(), 1);
    assert_err_name(decrypt(&mut kms, &doc), "KMSInvalidStateException");
    assert_eq!(kms.alarms().len(), 2);
    assert_eq!(kms.alarms()[1].operation, "Decrypt");
    assert_eq!(kms.alarms()[1].key_arn, md.arn);
    kms.cancel_key_deletion(KeyIdRequest::new(&md.key_id))
        .unwrap();
    assert_eq!(kms.alarms().len(), 2);
}

#[test]
fn audit_trail_records_every_call_and_failed_ones_with_their_error() {
    let (mut kms, clock) = store(Rules::current());
    let md = create(&mut kms);
    clock.advance(5);
    let blob = encrypt(&mut kms, &md.key_id, b"top secret plaintext");
    kms.disable_key(KeyIdRequest::new(&md.key_id)).unwrap();
    clock.advance(5);
    let _ = decrypt(&mut kms, &blob);
    let _ = describe(&mut kms, "not-a-key");

    let ev = kms.events();
    let names: Vec<&str> = ev.iter().map(|e| e.event_name).collect();
    assert_eq!(
        names,
        vec![
            "CreateKey",
            "Encrypt",
            "DisableKey",
            "Decrypt",
            "DescribeKey"
        ]
    );
    let times: Vec<u64> = ev.iter().map(|e| e.event_time).collect();
    assert_eq!(times, vec![T0, T0 + 5, T0 + 5, T0 + 10, T0 + 10]);
    for e in &ev[..4] {
        assert_eq!(
            e.key_arn.as_deref(),
            Some(md.arn.as_str()),
            "{}",
            e.event_name
        );
        assert_eq!(e.invoked_by, None);
    }
    assert!(
        ev[..3]
            .iter()
            .all(|e| e.error_code.is_none() && e.error_message.is_none())
    );
    assert!(
        ev[1].key_material_id.is_some(),
        "Encrypt records the material used"
    );
    assert_eq!(ev[3].error_code, Some("DisabledException"));
    assert_eq!(
        ev[3].error_message,
        Some(format!("{} is disabled.", md.arn))
    );
    assert_eq!(ev[4].error_code, Some("NotFoundException"));
    assert_eq!(
        ev[4].error_message.as_deref(),
        Some("Invalid keyId 'not-a-key'")
    );

    // No plaintext, in any encoding, ever enters the trail.
    let json = serde_json::to_string(&kms.events()).unwrap();
    assert!(!json.contains("top secret"));
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(b"top secret plaintext");
    assert!(!json.contains(&b64[..16]));
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
