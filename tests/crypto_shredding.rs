//! Crypto-shredding (spec §5): DeleteImportedKeyMaterial deletes exactly the
//! material it names, and that material never decrypts again until the same
//! material is reimported. Also ListKeyRotations(IncludeKeyMaterial) through
//! an import history.
//!
//! The first test is the escaped defect of issue 12, call for call; with the
//! planted bug `deleted_material_kept_while_pending_import` (feature
//! `test-bugs`) the same calls show the defect again.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use common::*;
use kms_lifecycle::api::*;
use kms_lifecycle::{Kms, Rules};

const M0: [u8; 32] = [0x10; 32];
const M1: [u8; 32] = [0x11; 32];

/// Steps 1–6 of issue 12: M0 expiring, M1 as NEW material made current,
/// a ciphertext under M1, M0 expires, DeleteImportedKeyMaterial(KeyId), M0
/// reimported. Returns the key id, the ciphertext and the id the delete named.
fn escaped_defect_calls(
    kms: &mut Kms,
    clock: &kms_lifecycle::ManualClock,
) -> (String, Vec<u8>, String) {
    let key = create_external(kms).key_id;
    let now = kms.now();
    import(kms, &key, &M0, Expiry::At(now + 2 * DAY)).expect("import M0");
    let p = prepare(kms, &key, &M1);
    let m1 = import_prepared(
        kms,
        &key,
        &p,
        Expiry::Never,
        Some(ImportType::NewKeyMaterial),
    )
    .expect("import M1 as NEW_KEY_MATERIAL")
    .key_material_id
    .expect("a material id under current");
    kms.rotate_key_on_demand(KeyIdRequest::new(&key))
        .expect("M1 becomes current");
    let blob = encrypt(kms, &key, b"secret under m1");
    clock.advance(2 * DAY);
    assert_eq!(state(kms, &key), KeyState::PendingImport, "M0 expired");
    let named = kms
        .delete_imported_key_material(DeleteImportedKeyMaterialRequest::current(&key))
        .expect("DeleteImportedKeyMaterial")
        .key_material_id
        .expect("the response names the deleted material");
    assert_eq!(named, m1, "the delete names the current material, M1");
    import(kms, &key, &M0, Expiry::Never).expect("reimport M0");
    (key, blob, named)
}

#[test]
fn material_that_delete_imported_key_material_names_never_decrypts_again_until_that_same_material_is_reimported()
 {
    let (mut kms, clock) = store(Rules::current());
    let (key, blob, _) = escaped_defect_calls(&mut kms, &clock);
    assert_eq!(
        state(&mut kms, &key),
        KeyState::PendingImport,
        "M1 is still missing"
    );
    assert_err_name(decrypt(&mut kms, &blob), "KMSInvalidStateException");
    let listed = kms
        .list_key_rotations(ListKeyRotationsRequest::all(
            &key,
            IncludeKeyMaterial::AllKeyMaterial,
        ))
        .unwrap();
    let import_states: Vec<_> = listed.rotations.iter().map(|e| e.import_state).collect();
    assert_eq!(
        import_states,
        [
            Some(ImportState::Imported),
            Some(ImportState::PendingImport)
        ],
        "M0 back, M1 deleted"
    );
    // Reimporting M1 too brings the key and the ciphertext back.
    import(&mut kms, &key, &M1, Expiry::Never).expect("reimport M1");
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
    assert_eq!(decrypt_ok(&mut kms, &blob), b"secret under m1");
}

/// The planted bug brings the escaped defect back, and the calls above see it.
#[cfg(feature = "test-bugs")]
#[test]
fn the_planted_escaped_defect_is_seen_by_the_crypto_shredding_scenario() {
    let (mut kms, clock) = store(Rules::current());
    kms.plant_bugs(kms_lifecycle::testing::bugs::Bugs::only(
        kms_lifecycle::testing::bugs::PlantedBug::DeletedMaterialKeptWhilePendingImport,
    ));
    let (key, blob, _) = escaped_defect_calls(&mut kms, &clock);
    assert_eq!(
        state(&mut kms, &key),
        KeyState::Enabled,
        "the defect: M1 was kept"
    );
    assert_eq!(decrypt_ok(&mut kms, &blob), b"secret under m1");
}

/// A key with M0 (first), M1 (rotated in, current) and M2 pending rotation.
fn three_materials(kms: &mut Kms) -> (String, Vec<String>) {
    let key = create_external(kms).key_id;
    let mut ids = Vec::new();
    ids.push(
        import(kms, &key, &M0, Expiry::Never)
            .unwrap()
            .key_material_id
            .unwrap(),
    );
    for m in [M1, [0x12; 32]] {
        let p = prepare(kms, &key, &m);
        ids.push(
            import_prepared(
                kms,
                &key,
                &p,
                Expiry::Never,
                Some(ImportType::NewKeyMaterial),
            )
            .unwrap()
            .key_material_id
            .unwrap(),
        );
        if m == M1 {
            kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
        }
    }
    (key, ids)
}

fn delete(kms: &mut Kms, key: &str, id: Option<&str>) -> KmsResult<ImportKeyMaterialResponse> {
    kms.delete_imported_key_material(DeleteImportedKeyMaterialRequest {
        key_id: key.into(),
        key_material_id: id.map(str::to_string),
    })
}

use kms_lifecycle::KmsResult;

#[test]
fn deleting_a_non_current_material_makes_the_key_pending_import_and_shreds_only_its_ciphertexts() {
    let (mut kms, _) = store(Rules::current());
    let key = create_external(&mut kms).key_id;
    let m0 = import(&mut kms, &key, &M0, Expiry::Never)
        .unwrap()
        .key_material_id
        .unwrap();
    let old = encrypt(&mut kms, &key, b"under m0");
    let p = prepare(&mut kms, &key, &M1);
    import_prepared(
        &mut kms,
        &key,
        &p,
        Expiry::Never,
        Some(ImportType::NewKeyMaterial),
    )
    .unwrap();
    kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    let new = encrypt(&mut kms, &key, b"under m1");
    let r = delete(&mut kms, &key, Some(&m0)).unwrap();
    assert_eq!(r.key_material_id.as_deref(), Some(m0.as_str()));
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
    assert_err_name(decrypt(&mut kms, &new), "KMSInvalidStateException");
    import(&mut kms, &key, &M0, Expiry::Never).unwrap();
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
    assert_eq!(decrypt_ok(&mut kms, &old), b"under m0");
    assert_eq!(decrypt_ok(&mut kms, &new), b"under m1");
}

#[test]
fn deleting_pending_rotation_material_changes_no_state_and_leaves_nothing_to_rotate_to() {
    let (mut kms, _) = store(Rules::current());
    let (key, ids) = three_materials(&mut kms);
    delete(&mut kms, &key, Some(&ids[2])).unwrap();
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
    assert_err(
        kms.rotate_key_on_demand(KeyIdRequest::new(&key)),
        "KMSInvalidStateException",
        &format!(
            "No available key material pending rotation for the key: {}.",
            kms.arn_of(&key)
        ),
    );
}

#[test]
fn deleting_the_current_material_keeps_the_pending_one() {
    let (mut kms, _) = store(Rules::current());
    let (key, ids) = three_materials(&mut kms);
    let r = delete(&mut kms, &key, None).unwrap();
    assert_eq!(
        r.key_material_id.as_deref(),
        Some(ids[1].as_str()),
        "M1 is current"
    );
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
    let listed = kms
        .list_key_rotations(ListKeyRotationsRequest::all(
            &key,
            IncludeKeyMaterial::AllKeyMaterial,
        ))
        .unwrap();
    let got: Vec<_> = listed
        .rotations
        .iter()
        .map(|e| {
            (
                e.key_material_id.clone().unwrap(),
                e.key_material_state,
                e.import_state,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                ids[0].clone(),
                Some(KeyMaterialState::NonCurrent),
                Some(ImportState::Imported)
            ),
            (
                ids[1].clone(),
                Some(KeyMaterialState::Current),
                Some(ImportState::PendingImport)
            ),
            (
                ids[2].clone(),
                Some(KeyMaterialState::PendingRotation),
                Some(ImportState::Imported)
            ),
        ]
    );
}

#[test]
fn a_key_material_id_the_key_does_not_have_is_not_found_and_changes_nothing() {
    let (mut kms, _) = store(Rules::current());
    let (key, _) = three_materials(&mut kms);
    let (other, other_ids) = three_materials(&mut kms);
    let before = kms
        .list_key_rotations(ListKeyRotationsRequest::all(
            &key,
            IncludeKeyMaterial::AllKeyMaterial,
        ))
        .unwrap();
    for id in [UNKNOWN_KEY_MATERIAL_ID, other_ids[0].as_str()] {
        assert_err(
            delete(&mut kms, &key, Some(id)),
            "NotFoundException",
            &format!(
                "Key material '{id}' does not exist in key '{}'",
                kms.arn_of(&key)
            ),
        );
    }
    let after = kms
        .list_key_rotations(ListKeyRotationsRequest::all(
            &key,
            IncludeKeyMaterial::AllKeyMaterial,
        ))
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
    assert_eq!(state(&mut kms, &other), KeyState::Enabled);
}

#[test]
fn a_malformed_key_material_id_is_a_validation_error() {
    let (mut kms, _) = store(Rules::current());
    let (key, ids) = three_materials(&mut kms);
    for bad in [
        "",
        "abc",
        &ids[0].to_uppercase(),
        &format!("{}0", ids[0]),
        &"g".repeat(64),
    ] {
        assert_err_name(delete(&mut kms, &key, Some(bad)), "ValidationException");
    }
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
}

#[test]
fn a_key_material_id_for_an_aws_kms_key_is_unsupported() {
    let (mut kms, _) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let id = kms
        .describe_key(KeyIdRequest::new(&key))
        .unwrap()
        .key_metadata
        .current_key_material_id
        .unwrap();
    for named in [None, Some(id.as_str()), Some(UNKNOWN_KEY_MATERIAL_ID)] {
        assert_err(
            delete(&mut kms, &key, named),
            "UnsupportedOperationException",
            &format!(
                "{} origin is AWS_KMS which is not valid for this operation.",
                kms.arn_of(&key)
            ),
        );
    }
}

#[test]
fn the_classic_rules_have_no_key_material_id() {
    let (mut kms, _) = store(Rules::classic());
    let key = imported_key(&mut kms, &M0).key_id;
    assert_err_name(
        delete(&mut kms, &key, Some(UNKNOWN_KEY_MATERIAL_ID)),
        "ValidationException",
    );
    assert_eq!(state(&mut kms, &key), KeyState::Enabled);
    delete(&mut kms, &key, None).unwrap();
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
}

#[test]
fn deleting_material_while_pending_deletion_keeps_the_state_and_cancel_gives_pending_import() {
    let (mut kms, _) = store(Rules::current());
    let (key, ids) = three_materials(&mut kms);
    schedule_deletion(&mut kms, &key, Some(7)).unwrap();
    delete(&mut kms, &key, Some(&ids[0])).unwrap();
    assert_eq!(state(&mut kms, &key), KeyState::PendingDeletion);
    kms.cancel_key_deletion(KeyIdRequest::new(&key)).unwrap();
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
}

#[test]
fn list_key_rotations_shows_every_material_through_import_rotation_expiry_and_deletion() {
    let (mut kms, clock) = store(Rules::current());
    let key = create_external(&mut kms).key_id;
    let all = |kms: &mut Kms| {
        kms.list_key_rotations(ListKeyRotationsRequest::all(
            &key,
            IncludeKeyMaterial::AllKeyMaterial,
        ))
        .unwrap()
        .rotations
        .iter()
        .map(|e| {
            (
                e.key_material_state,
                e.import_state,
                e.expiration_model,
                e.valid_to.map(|t| t.0),
                e.rotation_type,
            )
        })
        .collect::<Vec<_>>()
    };
    let only = |kms: &mut Kms| rotations(kms, &key).len();
    assert!(all(&mut kms).is_empty(), "no material yet");
    let t0 = kms.now();
    import(&mut kms, &key, &M0, Expiry::At(t0 + 3 * DAY)).unwrap();
    use ExpirationModel::*;
    use ImportState::*;
    use KeyMaterialState::*;
    assert_eq!(
        all(&mut kms),
        [(
            Some(Current),
            Some(Imported),
            Some(KeyMaterialExpires),
            Some(t0 + 3 * DAY),
            None
        )]
    );
    assert_eq!(only(&mut kms), 0, "ROTATIONS_ONLY lists no first material");
    let p = prepare(&mut kms, &key, &M1);
    import_prepared(
        &mut kms,
        &key,
        &p,
        Expiry::Never,
        Some(ImportType::NewKeyMaterial),
    )
    .unwrap();
    assert_eq!(
        all(&mut kms),
        [
            (
                Some(Current),
                Some(Imported),
                Some(KeyMaterialExpires),
                Some(t0 + 3 * DAY),
                None
            ),
            (
                Some(PendingRotation),
                Some(Imported),
                Some(KeyMaterialDoesNotExpire),
                None,
                None
            ),
        ]
    );
    assert_eq!(
        describe(&mut kms, &key).unwrap().valid_to,
        Some(Timestamp(t0 + 3 * DAY))
    );
    kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    let rotated = Some(RotationType::OnDemand);
    assert_eq!(
        all(&mut kms),
        [
            (
                Some(NonCurrent),
                Some(Imported),
                Some(KeyMaterialExpires),
                Some(t0 + 3 * DAY),
                None
            ),
            (
                Some(Current),
                Some(Imported),
                Some(KeyMaterialDoesNotExpire),
                None,
                rotated
            ),
        ]
    );
    assert_eq!(only(&mut kms), 1);
    clock.advance(3 * DAY);
    assert_eq!(state(&mut kms, &key), KeyState::PendingImport);
    assert_eq!(
        all(&mut kms),
        [
            (Some(NonCurrent), Some(PendingImport), None, None, None),
            (
                Some(Current),
                Some(Imported),
                Some(KeyMaterialDoesNotExpire),
                None,
                rotated
            ),
        ]
    );
    assert_eq!(describe(&mut kms, &key).unwrap().valid_to, None);
    delete(&mut kms, &key, None).unwrap();
    assert_eq!(
        all(&mut kms),
        [
            (Some(NonCurrent), Some(PendingImport), None, None, None),
            (Some(Current), Some(PendingImport), None, None, rotated),
        ]
    );
}

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
