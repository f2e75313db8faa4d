//! One test per cell of the state table of spec §3: operation × key state
//! (Enabled, Disabled, PendingDeletion, PendingImport) × origin (AWS_KMS,
//! EXTERNAL). Each cell asserts success (and the state after the call) or the
//! exact exception name and message, that a refused call changes no state,
//! and that a refusal for a key pending deletion raises exactly one alarm.
//!
//! Test names are `<operation>::<origin>_<state>`.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use common::*;
use kms_lifecycle::api::*;
use kms_lifecycle::{Kms, KmsResult, ManualClock, Rules};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum O {
    Aws,
    Ext,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum S {
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
}

impl S {
    fn key_state(self) -> KeyState {
        match self {
            S::Enabled => KeyState::Enabled,
            S::Disabled => KeyState::Disabled,
            S::PendingDeletion => KeyState::PendingDeletion,
            S::PendingImport => KeyState::PendingImport,
        }
    }
}

const MATERIAL: [u8; 32] = [0x42; 32];
const NEXT_MATERIAL: [u8; 32] = [0x43; 32];

/// A store with the key under test in the requested state and origin.
struct Fx {
    kms: Kms,
    _clock: ManualClock,
    state: S,
    key: String,
    arn: String,
    /// Made by the key while it was Enabled.
    ct: Vec<u8>,
    /// Another Enabled AWS_KMS key and a ciphertext of it.
    other: String,
    other_ct: Vec<u8>,
    /// EXTERNAL keys: the latest import parameters, with MATERIAL wrapped.
    prepared: Option<Prepared>,
}

fn fixture(origin: O, state: S) -> Fx {
    let (mut kms, clock) = store(Rules::current());
    let other = create(&mut kms).key_id;
    let other_ct = encrypt(&mut kms, &other, b"other plaintext");
    alias(&mut kms, "alias/other", &other).unwrap();
    let md = match origin {
        O::Aws => {
            let md = create(&mut kms);
            enable_rotation(&mut kms, &md.key_id, None).unwrap();
            md
        }
        O::Ext => imported_key(&mut kms, &MATERIAL),
    };
    let key = md.key_id.clone();
    let ct = encrypt(&mut kms, &key, b"fixture plaintext");
    alias(&mut kms, "alias/fixture", &key).unwrap();
    kms.tag_resource(TagResourceRequest {
        key_id: key.clone(),
        tags: vec![Tag {
            tag_key: "t".into(),
            tag_value: "v".into(),
        }],
    })
    .unwrap();
    let prepared = if origin == O::Ext {
        // New material waiting for RotateKeyOnDemand, then fresh parameters.
        let p = prepare(&mut kms, &key, &NEXT_MATERIAL);
        import_prepared(
            &mut kms,
            &key,
            &p,
            Expiry::Never,
            Some(ImportType::NewKeyMaterial),
        )
        .unwrap();
        Some(prepare(&mut kms, &key, &MATERIAL))
    } else {
        None
    };
    match state {
        S::Enabled => {}
        S::Disabled => {
            kms.disable_key(KeyIdRequest::new(&key)).unwrap();
        }
        S::PendingDeletion => {
            schedule_deletion(&mut kms, &key, Some(7)).unwrap();
        }
        S::PendingImport => {
            assert_eq!(origin, O::Ext, "only EXTERNAL keys are PendingImport");
            kms.delete_imported_key_material(DeleteImportedKeyMaterialRequest::current(&key))
                .unwrap();
        }
    }
    assert_eq!(
        self::state(&mut kms, &key),
        state.key_state(),
        "fixture state"
    );
    Fx {
        kms,
        _clock: clock,
        state,
        key,
        arn: md.arn,
        ct,
        other,
        other_ct,
        prepared,
    }
}

fn state(kms: &mut Kms, key: &str) -> KeyState {
    common::state(kms, key)
}

enum Expect {
    /// Succeeds; the key is in this state afterwards.
    Ok(KeyState),
    /// Fails with this exception and message (`{arn}` is the key's ARN).
    Err(&'static str, &'static str),
}

fn ok(s: KeyState) -> Expect {
    Expect::Ok(s)
}

const DISABLED: Expect = Expect::Err("DisabledException", "{arn} is disabled.");
const PENDING_DELETION: Expect =
    Expect::Err("KMSInvalidStateException", "{arn} is pending deletion.");
const PENDING_IMPORT: Expect = Expect::Err("KMSInvalidStateException", "{arn} is pending import.");
const NOT_PENDING_DELETION: Expect =
    Expect::Err("KMSInvalidStateException", "{arn} is not pending deletion.");
const EXTERNAL_ORIGIN: Expect = Expect::Err(
    "UnsupportedOperationException",
    "{arn} origin is EXTERNAL which is not valid for this operation.",
);
const AWS_KMS_ORIGIN: Expect = Expect::Err(
    "UnsupportedOperationException",
    "{arn} origin is AWS_KMS which is not valid for this operation.",
);
const NOTHING_PENDING: Expect = Expect::Err(
    "KMSInvalidStateException",
    "No available key material pending rotation for the key: {arn}.",
);
use KeyState::{Disabled as D, Enabled as E, PendingDeletion as PD, PendingImport as PI};

fn run_cell(origin: O, st: S, op: fn(&mut Fx) -> KmsResult<()>, expect: Expect) {
    let mut fx = fixture(origin, st);
    let alarms_before = fx.kms.alarms().len();
    let r = op(&mut fx);
    match expect {
        Expect::Ok(after) => {
            if let Err(e) = r {
                panic!("expected success, got {e:?}");
            }
            assert_eq!(
                fx.kms.alarms().len(),
                alarms_before,
                "no alarm for an allowed call"
            );
            assert_eq!(state(&mut fx.kms, &fx.key), after, "state after the call");
        }
        Expect::Err(name, template) => {
            let message = template.replace("{arn}", &fx.arn);
            let last_call = fx.kms.events().len();
            assert_err(r, name, &message);
            let ev = fx.kms.events()[last_call - 1].clone();
            assert_eq!(
                ev.error_code,
                Some(name),
                "the audit trail records the refusal"
            );
            assert_eq!(ev.error_message.as_deref(), Some(message.as_str()));
            if message.ends_with(" is pending deletion.") {
                assert_eq!(fx.kms.alarms().len(), alarms_before + 1, "one alarm");
                let alarm = fx.kms.alarms().last().unwrap();
                assert_eq!(alarm.key_arn, fx.arn);
                assert_eq!(alarm.operation, ev.event_name);
            } else {
                assert_eq!(fx.kms.alarms().len(), alarms_before, "no alarm");
            }
            assert_eq!(
                state(&mut fx.kms, &fx.key),
                st.key_state(),
                "a refused call changes no state"
            );
        }
    }
}

// ----- the operations, each checking its effect when it succeeds -----------

fn op_encrypt(fx: &mut Fx) -> KmsResult<()> {
    let r = try_encrypt(&mut fx.kms, &fx.key, b"cell")?;
    assert_eq!(r.key_id, fx.arn);
    assert_eq!(decrypt_ok(&mut fx.kms, &r.ciphertext_blob.0), b"cell");
    Ok(())
}

fn op_decrypt(fx: &mut Fx) -> KmsResult<()> {
    let r = decrypt(&mut fx.kms, &fx.ct)?;
    assert_eq!(r.key_id, fx.arn);
    assert_eq!(r.plaintext.expose(), b"fixture plaintext");
    Ok(())
}

fn op_re_encrypt_from_the_key(fx: &mut Fx) -> KmsResult<()> {
    let r = fx.kms.re_encrypt(ReEncryptRequest {
        ciphertext_blob: Blob(fx.ct.clone()),
        destination_key_id: fx.other.clone(),
        ..Default::default()
    })?;
    assert_eq!(r.source_key_id, fx.arn);
    assert_eq!(
        decrypt_ok(&mut fx.kms, &r.ciphertext_blob.0),
        b"fixture plaintext"
    );
    Ok(())
}

fn op_re_encrypt_to_the_key(fx: &mut Fx) -> KmsResult<()> {
    let r = fx.kms.re_encrypt(ReEncryptRequest {
        ciphertext_blob: Blob(fx.other_ct.clone()),
        destination_key_id: fx.key.clone(),
        ..Default::default()
    })?;
    assert_eq!(r.key_id, fx.arn);
    let d = decrypt(&mut fx.kms, &r.ciphertext_blob.0).unwrap();
    assert_eq!(d.key_id, fx.arn);
    assert_eq!(d.plaintext.expose(), b"other plaintext");
    Ok(())
}

fn gdk_request(fx: &Fx) -> GenerateDataKeyRequest {
    GenerateDataKeyRequest {
        key_id: fx.key.clone(),
        key_spec: Some(DataKeySpec::Aes256),
        ..Default::default()
    }
}

fn op_generate_data_key(fx: &mut Fx) -> KmsResult<()> {
    let r = fx.kms.generate_data_key(gdk_request(fx))?;
    let pt = r.plaintext.expect("GenerateDataKey returns the plaintext");
    assert_eq!(pt.expose().len(), 32);
    assert_eq!(decrypt_ok(&mut fx.kms, &r.ciphertext_blob.0), pt.expose());
    Ok(())
}

fn op_generate_data_key_without_plaintext(fx: &mut Fx) -> KmsResult<()> {
    let r = fx
        .kms
        .generate_data_key_without_plaintext(gdk_request(fx))?;
    assert!(r.plaintext.is_none());
    assert_eq!(decrypt_ok(&mut fx.kms, &r.ciphertext_blob.0).len(), 32);
    Ok(())
}

fn op_describe_key(fx: &mut Fx) -> KmsResult<()> {
    let md = describe(&mut fx.kms, &fx.key)?;
    assert_eq!(md.arn, fx.arn);
    assert_eq!(md.key_state, fx.state.key_state());
    assert_eq!(md.enabled, fx.state == S::Enabled);
    Ok(())
}

fn op_list_aliases(fx: &mut Fx) -> KmsResult<()> {
    let r = fx.kms.list_aliases(ListRequest {
        key_id: Some(fx.key.clone()),
        ..Default::default()
    })?;
    let names: Vec<_> = r.aliases.iter().map(|a| a.alias_name.as_str()).collect();
    assert_eq!(names, vec!["alias/fixture"]);
    Ok(())
}

fn op_list_resource_tags(fx: &mut Fx) -> KmsResult<()> {
    let r = fx.kms.list_resource_tags(KeyIdRequest::new(&fx.key))?;
    assert_eq!(
        r.tags,
        vec![Tag {
            tag_key: "t".into(),
            tag_value: "v".into()
        }]
    );
    Ok(())
}

fn op_enable_key(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.enable_key(KeyIdRequest::new(&fx.key)).map(drop)
}

fn op_disable_key(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.disable_key(KeyIdRequest::new(&fx.key)).map(drop)
}

fn op_enable_key_rotation(fx: &mut Fx) -> KmsResult<()> {
    enable_rotation(&mut fx.kms, &fx.key, Some(180))?;
    let st = rotation_status(&mut fx.kms, &fx.key);
    assert!(st.key_rotation_enabled);
    assert_eq!(st.rotation_period_in_days, Some(180));
    Ok(())
}

fn op_disable_key_rotation(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.disable_key_rotation(KeyIdRequest::new(&fx.key))?;
    assert!(!rotation_status(&mut fx.kms, &fx.key).key_rotation_enabled);
    Ok(())
}

fn op_get_key_rotation_status(fx: &mut Fx) -> KmsResult<()> {
    let st = fx.kms.get_key_rotation_status(KeyIdRequest::new(&fx.key))?;
    assert_eq!(st.key_id, fx.arn);
    // The fixture turned rotation on; pending deletion reports it off.
    let on = fx.state != S::PendingDeletion;
    assert_eq!(st.key_rotation_enabled, on);
    assert_eq!(st.next_rotation_date.is_some(), on);
    Ok(())
}

fn op_rotate_key_on_demand(fx: &mut Fx) -> KmsResult<()> {
    let before = describe(&mut fx.kms, &fx.key)
        .unwrap()
        .current_key_material_id;
    let r = fx.kms.rotate_key_on_demand(KeyIdRequest::new(&fx.key))?;
    assert_eq!(r.key_id, fx.arn);
    let after = describe(&mut fx.kms, &fx.key)
        .unwrap()
        .current_key_material_id;
    assert_ne!(before, after, "a new material is current");
    let rots = rotations(&mut fx.kms, &fx.key);
    assert_eq!(rots.len(), 1);
    assert_eq!(rots[0].rotation_type, Some(RotationType::OnDemand));
    assert_eq!(decrypt_ok(&mut fx.kms, &fx.ct), b"fixture plaintext");
    Ok(())
}

fn op_rotate_key_on_demand_with_nothing_pending(fx: &mut Fx) -> KmsResult<()> {
    // The first rotation uses the pending material; the second has none.
    fx.kms
        .rotate_key_on_demand(KeyIdRequest::new(&fx.key))
        .unwrap();
    fx.kms
        .rotate_key_on_demand(KeyIdRequest::new(&fx.key))
        .map(drop)
}

fn op_list_key_rotations(fx: &mut Fx) -> KmsResult<()> {
    let r = fx.kms.list_key_rotations(ListKeyRotationsRequest {
        key_id: fx.key.clone(),
        ..Default::default()
    })?;
    assert!(r.rotations.is_empty());
    Ok(())
}

fn op_schedule_key_deletion(fx: &mut Fx) -> KmsResult<()> {
    let now = fx.kms.now();
    let r = schedule_deletion(&mut fx.kms, &fx.key, Some(10))?;
    assert_eq!(r.key_id, fx.arn);
    assert_eq!(r.deletion_date, Timestamp(now + 10 * DAY));
    assert_eq!(r.key_state, KeyState::PendingDeletion);
    Ok(())
}

fn op_cancel_key_deletion(fx: &mut Fx) -> KmsResult<()> {
    let r = fx.kms.cancel_key_deletion(KeyIdRequest::new(&fx.key))?;
    assert_eq!(r.key_id, fx.arn);
    assert_eq!(describe(&mut fx.kms, &fx.key).unwrap().deletion_date, None);
    Ok(())
}

fn op_cancel_key_deletion_after_its_material_was_deleted(fx: &mut Fx) -> KmsResult<()> {
    fx.kms
        .delete_imported_key_material(DeleteImportedKeyMaterialRequest::current(&fx.key))
        .unwrap();
    op_cancel_key_deletion(fx)
}

fn op_get_parameters_for_import(fx: &mut Fx) -> KmsResult<()> {
    let r = params(
        &mut fx.kms,
        &fx.key,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    )?;
    assert_eq!(r.key_id, fx.arn);
    assert!(!r.public_key.0.is_empty());
    Ok(())
}

fn op_import_key_material(fx: &mut Fx) -> KmsResult<()> {
    let p = match fx.prepared.take() {
        Some(p) => p,
        // AWS_KMS keys have no parameters: any token is refused by origin first.
        None => Prepared {
            token: vec![1; 98],
            public_key: vec![],
            wrapped: vec![1; 256],
            valid_to: 0,
        },
    };
    let r = import_prepared(&mut fx.kms, &fx.key, &p, Expiry::Never, None)?;
    assert_eq!(r.key_id, fx.arn);
    assert_eq!(
        decrypt_ok_if_enabled(fx),
        Some(b"fixture plaintext".to_vec())
    );
    Ok(())
}

/// Decrypts the fixture ciphertext when the key is Enabled.
fn decrypt_ok_if_enabled(fx: &mut Fx) -> Option<Vec<u8>> {
    match state(&mut fx.kms, &fx.key) {
        KeyState::Enabled => Some(decrypt_ok(&mut fx.kms, &fx.ct)),
        _ => Some(b"fixture plaintext".to_vec()),
    }
}

fn op_delete_imported_key_material(fx: &mut Fx) -> KmsResult<()> {
    let r = fx
        .kms
        .delete_imported_key_material(DeleteImportedKeyMaterialRequest::current(&fx.key))?;
    assert_eq!(r.key_id, fx.arn);
    assert_eq!(
        describe(&mut fx.kms, &fx.key).unwrap().expiration_model,
        None
    );
    Ok(())
}

fn op_create_alias(fx: &mut Fx) -> KmsResult<()> {
    alias(&mut fx.kms, "alias/cell", &fx.key)?;
    assert!(
        fx.kms
            .aliases_of(&fx.key)
            .contains(&"alias/cell".to_string())
    );
    Ok(())
}

fn op_update_alias(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.update_alias(AliasRequest {
        alias_name: "alias/other".into(),
        target_key_id: fx.key.clone(),
    })?;
    assert!(
        fx.kms
            .aliases_of(&fx.key)
            .contains(&"alias/other".to_string())
    );
    assert!(fx.kms.aliases_of(&fx.other).is_empty());
    Ok(())
}

fn op_tag_resource(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.tag_resource(TagResourceRequest {
        key_id: fx.key.clone(),
        tags: vec![Tag {
            tag_key: "k2".into(),
            tag_value: "v2".into(),
        }],
    })?;
    let tags = fx
        .kms
        .list_resource_tags(KeyIdRequest::new(&fx.key))
        .unwrap()
        .tags;
    assert_eq!(tags.len(), 2);
    Ok(())
}

fn op_untag_resource(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.untag_resource(UntagResourceRequest {
        key_id: fx.key.clone(),
        tag_keys: vec!["t".into()],
    })?;
    let tags = fx
        .kms
        .list_resource_tags(KeyIdRequest::new(&fx.key))
        .unwrap()
        .tags;
    assert!(tags.is_empty());
    Ok(())
}

fn op_update_key_description(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.update_key_description(UpdateKeyDescriptionRequest {
        key_id: fx.key.clone(),
        description: "new description".into(),
    })?;
    assert_eq!(
        describe(&mut fx.kms, &fx.key).unwrap().description,
        "new description"
    );
    Ok(())
}

fn op_delete_alias(fx: &mut Fx) -> KmsResult<()> {
    fx.kms.delete_alias(DeleteAliasRequest {
        alias_name: "alias/fixture".into(),
    })?;
    assert!(fx.kms.aliases_of(&fx.key).is_empty());
    Ok(())
}

/// One module per operation, one test per cell:
/// AWS_KMS Enabled, Disabled, PendingDeletion; EXTERNAL Enabled, Disabled,
/// PendingDeletion, PendingImport.
macro_rules! row {
    ($name:ident, $op:ident,
     aws: [$ae:expr, $ad:expr, $apd:expr],
     external: [$ee:expr, $ed:expr, $epd:expr, $epi:expr]) => {
        mod $name {
            use super::*;
            #[test]
            fn aws_kms_enabled() {
                run_cell(O::Aws, S::Enabled, $op, $ae)
            }
            #[test]
            fn aws_kms_disabled() {
                run_cell(O::Aws, S::Disabled, $op, $ad)
            }
            #[test]
            fn aws_kms_pending_deletion() {
                run_cell(O::Aws, S::PendingDeletion, $op, $apd)
            }
            #[test]
            fn external_enabled() {
                run_cell(O::Ext, S::Enabled, $op, $ee)
            }
            #[test]
            fn external_disabled() {
                run_cell(O::Ext, S::Disabled, $op, $ed)
            }
            #[test]
            fn external_pending_deletion() {
                run_cell(O::Ext, S::PendingDeletion, $op, $epd)
            }
            #[test]
            fn external_pending_import() {
                run_cell(O::Ext, S::PendingImport, $op, $epi)
            }
        }
    };
}

// Cryptographic operations.
row!(encrypt, op_encrypt,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [ok(E), DISABLED, PENDING_DELETION, PENDING_IMPORT]);
row!(decrypt, op_decrypt,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [ok(E), DISABLED, PENDING_DELETION, PENDING_IMPORT]);
row!(re_encrypt_from_the_key, op_re_encrypt_from_the_key,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [ok(E), DISABLED, PENDING_DELETION, PENDING_IMPORT]);
row!(re_encrypt_to_the_key, op_re_encrypt_to_the_key,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [ok(E), DISABLED, PENDING_DELETION, PENDING_IMPORT]);
row!(generate_data_key, op_generate_data_key,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [ok(E), DISABLED, PENDING_DELETION, PENDING_IMPORT]);
row!(generate_data_key_without_plaintext, op_generate_data_key_without_plaintext,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [ok(E), DISABLED, PENDING_DELETION, PENDING_IMPORT]);

// Allowed in every state.
row!(describe_key, op_describe_key,
    aws: [ok(E), ok(D), ok(PD)],
    external: [ok(E), ok(D), ok(PD), ok(PI)]);
row!(list_aliases, op_list_aliases,
    aws: [ok(E), ok(D), ok(PD)],
    external: [ok(E), ok(D), ok(PD), ok(PI)]);
row!(list_resource_tags, op_list_resource_tags,
    aws: [ok(E), ok(D), ok(PD)],
    external: [ok(E), ok(D), ok(PD), ok(PI)]);
row!(list_key_rotations, op_list_key_rotations,
    aws: [ok(E), ok(D), ok(PD)],
    external: [ok(E), ok(D), ok(PD), ok(PI)]);
row!(delete_alias, op_delete_alias,
    aws: [ok(E), ok(D), ok(PD)],
    external: [ok(E), ok(D), ok(PD), ok(PI)]);

// EnableKey, DisableKey.
row!(enable_key, op_enable_key,
    aws: [ok(E), ok(E), PENDING_DELETION],
    external: [ok(E), ok(E), PENDING_DELETION, PENDING_IMPORT]);
row!(disable_key, op_disable_key,
    aws: [ok(D), ok(D), PENDING_DELETION],
    external: [ok(D), ok(D), PENDING_DELETION, PENDING_IMPORT]);

// Rotation settings: AWS_KMS only; the origin is checked before the state.
row!(enable_key_rotation, op_enable_key_rotation,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [EXTERNAL_ORIGIN, EXTERNAL_ORIGIN, EXTERNAL_ORIGIN, EXTERNAL_ORIGIN]);
row!(disable_key_rotation, op_disable_key_rotation,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [EXTERNAL_ORIGIN, EXTERNAL_ORIGIN, EXTERNAL_ORIGIN, EXTERNAL_ORIGIN]);
row!(get_key_rotation_status, op_get_key_rotation_status,
    aws: [ok(E), ok(D), ok(PD)],
    external: [EXTERNAL_ORIGIN, EXTERNAL_ORIGIN, EXTERNAL_ORIGIN, EXTERNAL_ORIGIN]);
// EXTERNAL keys rotate to their pending material (the fixture imported one).
row!(rotate_key_on_demand, op_rotate_key_on_demand,
    aws: [ok(E), DISABLED, PENDING_DELETION],
    external: [ok(E), DISABLED, PENDING_DELETION, PENDING_IMPORT]);

// Deletion.
row!(schedule_key_deletion, op_schedule_key_deletion,
    aws: [ok(PD), ok(PD), PENDING_DELETION],
    external: [ok(PD), ok(PD), PENDING_DELETION, ok(PD)]);
row!(cancel_key_deletion, op_cancel_key_deletion,
    aws: [NOT_PENDING_DELETION, NOT_PENDING_DELETION, ok(D)],
    external: [NOT_PENDING_DELETION, NOT_PENDING_DELETION, ok(D), NOT_PENDING_DELETION]);

// Import: AWS_KMS keys are refused by origin in every state.
row!(get_parameters_for_import, op_get_parameters_for_import,
    aws: [AWS_KMS_ORIGIN, AWS_KMS_ORIGIN, AWS_KMS_ORIGIN],
    external: [ok(E), ok(D), PENDING_DELETION, ok(PI)]);
row!(import_key_material, op_import_key_material,
    aws: [AWS_KMS_ORIGIN, AWS_KMS_ORIGIN, AWS_KMS_ORIGIN],
    external: [ok(E), ok(D), PENDING_DELETION, ok(E)]);
row!(delete_imported_key_material, op_delete_imported_key_material,
    aws: [AWS_KMS_ORIGIN, AWS_KMS_ORIGIN, AWS_KMS_ORIGIN],
    external: [ok(PI), ok(PI), ok(PD), ok(PI)]);

// Aliases, tags, description: not while PendingDeletion.
row!(create_alias, op_create_alias,
    aws: [ok(E), ok(D), PENDING_DELETION],
    external: [ok(E), ok(D), PENDING_DELETION, ok(PI)]);
row!(update_alias_to_the_key, op_update_alias,
    aws: [ok(E), ok(D), PENDING_DELETION],
    external: [ok(E), ok(D), PENDING_DELETION, ok(PI)]);
row!(tag_resource, op_tag_resource,
    aws: [ok(E), ok(D), PENDING_DELETION],
    external: [ok(E), ok(D), PENDING_DELETION, ok(PI)]);
row!(untag_resource, op_untag_resource,
    aws: [ok(E), ok(D), PENDING_DELETION],
    external: [ok(E), ok(D), PENDING_DELETION, ok(PI)]);
row!(update_key_description, op_update_key_description,
    aws: [ok(E), ok(D), PENDING_DELETION],
    external: [ok(E), ok(D), PENDING_DELETION, ok(PI)]);

// Cells that need a particular history.

#[test]
fn rotate_key_on_demand_external_enabled_with_nothing_pending() {
    run_cell(
        O::Ext,
        S::Enabled,
        op_rotate_key_on_demand_with_nothing_pending,
        NOTHING_PENDING,
    );
}

#[test]
fn cancel_key_deletion_external_pending_deletion_whose_material_was_deleted_gives_pending_import() {
    run_cell(
        O::Ext,
        S::PendingDeletion,
        op_cancel_key_deletion_after_its_material_was_deleted,
        ok(PI),
    );
}

#[test]
fn external_pending_deletion_whose_material_expires_stays_pending_deletion() {
    let (mut kms, clock) = store(Rules::current());
    let md = create_external(&mut kms);
    import(&mut kms, &md.key_id, &MATERIAL, Expiry::At(T0 + DAY)).unwrap();
    schedule_deletion(&mut kms, &md.key_id, Some(7)).unwrap();
    clock.advance(2 * DAY);
    assert_eq!(state(&mut kms, &md.key_id), KeyState::PendingDeletion);
    kms.cancel_key_deletion(KeyIdRequest::new(&md.key_id))
        .unwrap();
    assert_eq!(state(&mut kms, &md.key_id), KeyState::PendingImport);
}

#[test]
fn rotate_key_on_demand_is_unsupported_under_classic_in_every_state() {
    for (origin, st) in [
        (O::Aws, S::Enabled),
        (O::Aws, S::Disabled),
        (O::Aws, S::PendingDeletion),
    ] {
        let (mut kms, _clock) = store(Rules::classic());
        let key = create(&mut kms).key_id;
        match st {
            S::Disabled => drop(kms.disable_key(KeyIdRequest::new(&key)).unwrap()),
            S::PendingDeletion => drop(schedule_deletion(&mut kms, &key, Some(7)).unwrap()),
            _ => {}
        }
        assert_err(
            kms.rotate_key_on_demand(KeyIdRequest::new(&key)),
            "UnsupportedOperationException",
            "On-demand rotation is not available under the classic rules.",
        );
        assert_eq!(state(&mut kms, &key), st.key_state(), "{origin:?} {st:?}");
        assert!(kms.alarms().is_empty());
    }
}

#[test]
fn disabled_external_key_import_stays_disabled_and_keeps_its_material() {
    let mut fx = fixture(O::Ext, S::Disabled);
    op_import_key_material(&mut fx).unwrap();
    assert_eq!(state(&mut fx.kms, &fx.key), KeyState::Disabled);
    fx.kms.enable_key(KeyIdRequest::new(&fx.key)).unwrap();
    assert_eq!(decrypt_ok(&mut fx.kms, &fx.ct), b"fixture plaintext");
}
