//! The crypto-shredding transition rules can fail: each holds on the correct
//! step and is broken by a step that keeps or revives deleted material (the
//! escaped defect of issue 12, written as a model step).
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kms_lifecycle_model::{
    Action, DAY, ImportType, MaterialRef, Origin, Rules, State, TokenRef, ValidToChoice,
};

mod common;
use common::{rule, run};

fn import(material: u8, import_type: Option<ImportType>, expires: ValidToChoice) -> Action {
    Action::ImportKeyMaterial {
        key: 0,
        token: TokenRef::Latest,
        material,
        import_type,
        expires,
    }
}

/// Issue 12's calls up to the delete: M0 expiring in 2 days, M1 made
/// current, M0 expired (the key PendingImport).
fn before_delete(rules: &Rules) -> State {
    let mut s = State::initial(1);
    for a in [
        Action::CreateKey {
            origin: Origin::External,
        },
        Action::GetParametersForImport { key: 0 },
        import(0, None, ValidToChoice::In(2 * DAY)),
        import(
            1,
            Some(ImportType::NewKeyMaterial),
            ValidToChoice::DoesNotExpire,
        ),
        Action::RotateKeyOnDemand { key: 0 },
        Action::Advance(2 * DAY),
    ] {
        s = run(rules, &s, a).1;
    }
    s
}

const DELETES: &str = "§5 DeleteImportedKeyMaterial deletes exactly the material it names";
const RETURNS: &str = "§5 deleted material returns only by reimport of the same material";

#[test]
fn deleting_while_pending_import_must_delete_the_named_material() {
    let rules = Rules::current();
    let b = before_delete(&rules);
    let a = Action::DeleteImportedKeyMaterial {
        key: 0,
        material: None,
    };
    let (r, af) = run(&rules, &b, a);
    assert!(
        rule(DELETES)(&rules, &b, &a, &r, &af),
        "the model's step obeys it"
    );
    assert!(!af.keys[0].materials[1].present, "M1 deleted");
    let mut kept = af.clone();
    kept.keys[0].materials[1].present = true;
    assert!(
        !rule(DELETES)(&rules, &b, &a, &r, &kept),
        "keeping M1 breaks it"
    );
    // Deleting another material than the one named breaks it too.
    let named = Action::DeleteImportedKeyMaterial {
        key: 0,
        material: Some(MaterialRef::Version(1)),
    };
    let mut wrong = b.clone();
    wrong.keys[0].materials[0].present = false;
    assert!(!rule(DELETES)(&rules, &b, &named, &r, &wrong));
}

#[test]
fn deleted_material_comes_back_only_by_its_own_reimport() {
    let rules = Rules::current();
    let b = before_delete(&rules);
    let deleted = run(
        &rules,
        &b,
        Action::DeleteImportedKeyMaterial {
            key: 0,
            material: None,
        },
    )
    .1;
    let a = import(0, None, ValidToChoice::DoesNotExpire);
    let (r, af) = run(&rules, &deleted, a);
    assert!(rule(RETURNS)(&rules, &deleted, &a, &r, &af));
    assert!(
        !af.keys[0].materials[1].present,
        "reimporting M0 does not bring M1 back"
    );
    let mut revived = af.clone();
    revived.keys[0].materials[1].present = true;
    assert!(
        !rule(RETURNS)(&rules, &deleted, &a, &r, &revived),
        "reviving M1 breaks it"
    );
}
