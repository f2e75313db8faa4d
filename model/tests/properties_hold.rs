//! Every property holds, and every claim is reached, on the small
//! configurations: the test that measures how tightly the properties pin
//! `step` down (`scripts/mutants-model`, docs/verification.md §5a).
//!
//! It asserts only verdicts of the properties, never a state count: a mutant
//! of `step` that changes the size of the graph but breaks no stated rule
//! must survive here, so that the mutation score measures the properties and
//! not the pins of `tests/check.rs`.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kms_lifecycle_model::checker::{LifecycleModel, RunReport, run};
use kms_lifecycle_model::features::configurations;
use kms_lifecycle_model::table::{OPERATIONS, missed, possible_cells};
use kms_lifecycle_model::{Origin, Rules};

fn check(m: &LifecycleModel) -> RunReport {
    run(m, 1, true, None, &mut |_, _, _| {})
}

/// The verdicts that failed, and the §3 cells the configuration's keys can be
/// in that no step hit. A `sometimes` whose name contains one of `unreachable`
/// may go unfound (the configuration cannot reach it); an `always` must hold.
fn failures(name: &str, m: &LifecycleModel, unreachable: &[&str]) -> Vec<String> {
    let r = check(m);
    let mut out: Vec<String> = r
        .verdicts
        .iter()
        .filter(|(n, always, ok)| !ok && (*always || !unreachable.iter().any(|a| n.contains(a))))
        .map(|(n, _, _)| format!("{name} ({}): {n}", m.rules.name()))
        .collect();
    if let Some(s) = &r.stopped {
        out.push(format!("{name}: stopped: {s:?}"));
    }
    let wanted: Vec<_> = possible_cells(&m.rules)
        .into_iter()
        .filter(|c| {
            (m.managed || !c.managed)
                && (m.max_external > 0 || c.origin == Origin::AwsKms)
                && (m.policies || OPERATIONS[c.op] != "PutKeyPolicy")
        })
        .collect();
    if m.full_coverage {
        out.extend(
            missed(&wanted, &r.cells)
                .iter()
                .map(|c| format!("{name} ({}): cell never hit: {}", m.rules.name(), c.label())),
        );
    }
    out
}

#[test]
fn every_property_holds_and_every_claim_is_reached_on_the_small_configurations() {
    let mut bad = Vec::new();
    for rules in [Rules::classic(), Rules::current()] {
        // One key: a Decrypt naming another key cannot happen there.
        bad.extend(failures(
            "one key",
            &LifecycleModel::test_config(rules),
            &["IncorrectKeyException"],
        ));
        // Two AWS_KMS keys and one clock step: nothing imported, and under
        // `current` no second automatic rotation.
        bad.extend(failures(
            "two keys",
            &LifecycleModel::test_config_two_keys(rules),
            &[
                "PendingImport",
                "imported",
                "EXTERNAL",
                "ImportKeyMaterial",
                "DeleteImportedKeyMaterial",
                "ValidTo",
                "KeyMaterialException",
                "ImportTokenException",
                "two automatic rotations",
            ],
        ));
        for (name, m) in configurations(rules) {
            bad.extend(failures(name, &m, &[]));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// What the checker cannot reach (its actions are enumerated in range and it
/// runs `step` strictly), pinned directly: the first survivors of
/// `scripts/mutants-model` (docs/verification.md §5a).
#[test]
fn step_answers_nothing_out_of_range_and_the_oracle_mode_allows_both_answers() {
    use kms_lifecycle_model::{
        Action, Config, Ctx, Exception, KeyRef, State, TokenRef, ValidToChoice, step, step_with,
    };
    let rules = Rules::current();
    let one = |s: &State, a: Action| step(&rules, s, &a).remove(0).1;
    let empty = State::initial(1);
    let s = one(
        &empty,
        Action::CreateKey {
            origin: Origin::AwsKms,
        },
    );
    // Out of range: a ciphertext or an alias slot that does not exist.
    for a in [
        Action::Decrypt {
            ct: 0,
            ctx: Ctx::A,
            key: None,
        },
        Action::Decrypt {
            ct: 0,
            ctx: Ctx::A,
            key: Some(KeyRef::Key(0)),
        },
        Action::UpdateAlias { alias: 1, key: 0 },
        Action::UpdateAlias { alias: 0, key: 1 },
    ] {
        assert!(
            step(&rules, &s, &a).is_empty(),
            "{a:?} must not be applicable"
        );
    }
    // Cryptography on a key pending deletion: KMSInvalidStateException, and
    // in the oracle's lenient mode DisabledException too (spec §3, §6).
    let pd = one(
        &s,
        Action::ScheduleKeyDeletion {
            key: 0,
            window_days: Some(7),
        },
    );
    let enc = Action::Encrypt {
        key: KeyRef::Key(0),
        ctx: Ctx::A,
    };
    let answers = |c: &Config| {
        step_with(&rules, c, &pd, &enc)
            .iter()
            .map(|(r, _)| r.outcome.err())
            .collect::<Vec<_>>()
    };
    let strict = answers(&Config::default());
    assert_eq!(strict, vec![Some(Exception::KMSInvalidStateException)]);
    let lenient = answers(&Config { lenient: true });
    assert_eq!(
        lenient,
        vec![
            Some(Exception::KMSInvalidStateException),
            Some(Exception::DisabledException)
        ]
    );
    // An import token of another key (spec §5) is offered only where another
    // key holds one: two EXTERNAL keys, only key 0 with parameters.
    let ext = Action::CreateKey {
        origin: Origin::External,
    };
    let two = one(&one(&empty, ext), ext);
    let with_token = one(&two, Action::GetParametersForImport { key: 0 });
    let other = |key: u8| Action::ImportKeyMaterial {
        key,
        token: TokenRef::OtherKey,
        material: 0,
        import_type: None,
        expires: ValidToChoice::DoesNotExpire,
    };
    assert!(
        step(&rules, &with_token, &other(0)).is_empty(),
        "no other key holds a token: OtherKey must not be applicable for key 0"
    );
    let answer = step(&rules, &with_token, &other(1));
    assert_eq!(
        answer
            .iter()
            .map(|(r, _)| r.outcome.err())
            .collect::<Vec<_>>(),
        vec![Some(Exception::InvalidImportTokenException)],
        "key 0's token for key 1"
    );
    // A management operation on it is not cryptography: one answer.
    let en = Action::EnableKey { key: 0 };
    assert_eq!(
        step_with(&rules, &Config { lenient: true }, &pd, &en).len(),
        1
    );
}

/// The clock steps the generators draw from, and the oracle mode's late
/// deletion (spec §6: AWS deletes within 24 hours after DeletionDate), as
/// their documentation states them: the checker never runs the lenient mode
/// and never calls `deadline_steps`, so its properties cannot pin either.
#[test]
fn the_clock_steps_and_the_oracle_modes_late_deletion_are_as_documented() {
    use kms_lifecycle_model::{
        Action, Config, DAY, DELETION_GRACE, KeyState, State, deadline_steps, step, step_with,
    };
    let rules = Rules::classic();
    let one = |s: &State, a: Action| step(&rules, s, &a).remove(0).1;
    let create = Action::CreateKey {
        origin: Origin::AwsKms,
    };
    let schedule = |key: u8| Action::ScheduleKeyDeletion {
        key,
        window_days: Some(7),
    };
    let menu = vec![60, 20 * 60, DAY, 7 * DAY, 365 * DAY];
    // No deadline (rotation is off for a new key): the fixed menu only.
    let s = one(&one(&State::initial(1), create), Action::Advance(5));
    assert_eq!(deadline_steps(&s), menu);
    // DeletionDate 7 days ahead: on it (twice), one second after, one before.
    let pd = one(&s, schedule(0));
    let gap = 7 * DAY;
    let mut expected = menu.clone();
    expected.extend([gap, gap, gap + 1, gap - 1]);
    assert_eq!(deadline_steps(&pd), expected);
    // Strict: deleted exactly at DeletionDate, one answer.
    let strict: Vec<_> = step(&rules, &pd, &Action::Advance(gap))
        .into_iter()
        .map(|(_, s)| s.keys[0].state)
        .collect();
    assert_eq!(strict, vec![KeyState::Deleted]);
    // Lenient: from DeletionDate until the grace is over, deleted or not yet.
    let lenient = |s: &State, d: u64| {
        step_with(&rules, &Config { lenient: true }, s, &Action::Advance(d))
            .into_iter()
            .map(|(_, s)| s.keys.iter().map(|k| k.state).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    use KeyState::{Deleted, PendingDeletion};
    assert_eq!(lenient(&pd, gap - 1), vec![vec![PendingDeletion]]);
    assert_eq!(
        lenient(&pd, gap),
        vec![vec![Deleted], vec![PendingDeletion]]
    );
    assert_eq!(
        lenient(&pd, gap + DELETION_GRACE - 1),
        vec![vec![Deleted], vec![PendingDeletion]]
    );
    assert_eq!(lenient(&pd, gap + DELETION_GRACE), vec![vec![Deleted]]);
    // Two keys due at the same instant: each may be late on its own.
    let two = one(&one(&one(&s, create), schedule(0)), schedule(1));
    let mut outcomes = lenient(&two, gap);
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![
            vec![PendingDeletion, PendingDeletion],
            vec![PendingDeletion, Deleted],
            vec![Deleted, PendingDeletion],
            vec![Deleted, Deleted],
        ]
        .into_iter()
        .map(|v| v.into_iter().collect::<Vec<_>>())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
}

/// `applicable` is exactly its documented domain (`step`'s documentation):
/// every index in range and every token reference that names a token, and
/// nothing else. The checker enumerates only applicable actions, so its
/// properties cannot see this; each case sits on a boundary.
#[test]
fn applicable_is_exactly_the_documented_domain() {
    use kms_lifecycle_model::{
        Action, AliasName, Ctx, ImportType, KeyRef, MaterialRef, State, TokenRef, ValidToChoice,
        applicable, step,
    };
    let rules = Rules::current();
    let one = |s: &State, a: Action| step(&rules, s, &a).remove(0).1;
    let import = |key: u8, token: TokenRef| Action::ImportKeyMaterial {
        key,
        token,
        material: 0,
        import_type: None,
        expires: ValidToChoice::DoesNotExpire,
    };
    let delete = |key: u8, material: Option<MaterialRef>| Action::DeleteImportedKeyMaterial {
        key,
        material,
    };
    // k0 EXTERNAL with one token issued, k1 AWS_KMS, one ciphertext under
    // k1, one alias slot.
    let mut s = State::initial(1);
    for a in [
        Action::CreateKey {
            origin: Origin::External,
        },
        Action::CreateKey {
            origin: Origin::AwsKms,
        },
        Action::Encrypt {
            key: KeyRef::Key(1),
            ctx: Ctx::A,
        },
        Action::GetParametersForImport { key: 0 },
    ] {
        s = one(&s, a);
    }
    let cases = [
        (
            Action::DescribeKey {
                key: KeyRef::Key(1),
            },
            true,
        ),
        (
            Action::DescribeKey {
                key: KeyRef::Key(2),
            },
            false,
        ),
        (
            Action::DescribeKey {
                key: KeyRef::Alias(0),
            },
            true,
        ),
        (
            Action::DescribeKey {
                key: KeyRef::Alias(1),
            },
            false,
        ),
        (
            Action::Encrypt {
                key: KeyRef::Key(2),
                ctx: Ctx::A,
            },
            false,
        ),
        (
            Action::GenerateDataKey {
                key: KeyRef::Key(2),
            },
            false,
        ),
        (
            Action::Decrypt {
                ct: 0,
                ctx: Ctx::A,
                key: None,
            },
            true,
        ),
        (
            Action::Decrypt {
                ct: 1,
                ctx: Ctx::A,
                key: None,
            },
            false,
        ),
        (
            Action::Decrypt {
                ct: 0,
                ctx: Ctx::A,
                key: Some(KeyRef::Key(2)),
            },
            false,
        ),
        (
            Action::Decrypt {
                ct: 0,
                ctx: Ctx::A,
                key: Some(KeyRef::Alias(1)),
            },
            false,
        ),
        (Action::DecryptTampered { ct: 0 }, true),
        (Action::DecryptTampered { ct: 1 }, false),
        (
            Action::ReEncrypt {
                ct: 0,
                dest: KeyRef::Key(1),
            },
            true,
        ),
        (
            Action::ReEncrypt {
                ct: 1,
                dest: KeyRef::Key(1),
            },
            false,
        ),
        (
            Action::ReEncrypt {
                ct: 0,
                dest: KeyRef::Key(2),
            },
            false,
        ),
        (import(0, TokenRef::Latest), true),
        (import(1, TokenRef::Latest), false),
        (import(0, TokenRef::Superseded), false),
        (import(0, TokenRef::Forged), true),
        (import(2, TokenRef::Forged), false),
        (import(1, TokenRef::OtherKey), true),
        (import(0, TokenRef::OtherKey), false),
        (
            Action::CreateAlias {
                alias: AliasName::Slot(0),
                key: 1,
            },
            true,
        ),
        (
            Action::CreateAlias {
                alias: AliasName::Slot(1),
                key: 1,
            },
            false,
        ),
        (
            Action::CreateAlias {
                alias: AliasName::Malformed,
                key: 1,
            },
            true,
        ),
        (
            Action::CreateAlias {
                alias: AliasName::Malformed,
                key: 2,
            },
            false,
        ),
        (delete(0, Some(MaterialRef::Version(0))), false),
        (delete(0, Some(MaterialRef::Pending)), false),
        (delete(0, Some(MaterialRef::Unknown)), true),
        (delete(0, None), true),
        (delete(2, None), false),
        (Action::UpdateAlias { alias: 0, key: 1 }, true),
        (Action::UpdateAlias { alias: 1, key: 1 }, false),
        (Action::UpdateAlias { alias: 0, key: 2 }, false),
        (Action::DeleteAlias { alias: 0 }, true),
        (Action::DeleteAlias { alias: 1 }, false),
        (Action::Advance(0), false),
        (Action::Advance(1), true),
        (Action::EnableKey { key: 1 }, true),
        (Action::EnableKey { key: 2 }, false),
    ];
    let check = |s: &State, cases: &[(Action, bool)]| {
        for (a, expected) in cases {
            assert_eq!(applicable(s, a), *expected, "applicable({a:?})");
            assert_eq!(
                !step(&rules, s, a).is_empty(),
                *expected,
                "step answers {a:?} iff applicable"
            );
        }
    };
    check(&s, &cases);
    // A second token makes the first superseded; material 0 imported gives
    // version 0 (and no version 1, no pending material).
    let s = one(&s, Action::GetParametersForImport { key: 0 });
    check(&s, &[(import(0, TokenRef::Superseded), true)]);
    let s = one(&s, import(0, TokenRef::Latest));
    check(
        &s,
        &[
            (delete(0, Some(MaterialRef::Version(0))), true),
            (delete(0, Some(MaterialRef::Version(1))), false),
            (delete(0, Some(MaterialRef::Pending)), false),
        ],
    );
    // New material 1 waits as PENDING_ROTATION.
    let s = one(&s, Action::GetParametersForImport { key: 0 });
    let s = one(
        &s,
        Action::ImportKeyMaterial {
            key: 0,
            token: TokenRef::Latest,
            material: 1,
            import_type: Some(ImportType::NewKeyMaterial),
            expires: ValidToChoice::DoesNotExpire,
        },
    );
    assert!(
        s.keys[0].pending.is_some(),
        "material 1 is pending rotation"
    );
    check(&s, &[(delete(0, Some(MaterialRef::Pending)), true)]);
}

/// Import arguments the checker does not offer (it gives a first import no
/// `ImportType`), answered as docs/decisions.md decides: EXISTING_KEY_MATERIAL
/// into a key that never had material is IncorrectKeyMaterialException, and
/// changes nothing.
#[test]
fn a_first_import_as_existing_key_material_is_incorrect_key_material() {
    use kms_lifecycle_model::{
        Action, Exception, ImportType, KeyState, State, TokenRef, ValidToChoice, step,
    };
    let rules = Rules::current();
    let one = |s: &State, a: Action| step(&rules, s, &a).remove(0);
    let s = external_key_with_parameters(&rules);
    let import = |import_type| Action::ImportKeyMaterial {
        key: 0,
        token: TokenRef::Latest,
        material: 0,
        import_type,
        expires: ValidToChoice::DoesNotExpire,
    };
    let (r, after) = one(&s, import(Some(ImportType::ExistingKeyMaterial)));
    assert_eq!(
        r.outcome.err(),
        Some(Exception::IncorrectKeyMaterialException)
    );
    assert_eq!(after, s, "a refused import changes nothing");
    // Without ImportType, or as NEW_KEY_MATERIAL, the first import succeeds.
    for t in [None, Some(ImportType::NewKeyMaterial)] {
        let (r, after) = one(&s, import(t));
        assert!(r.outcome.is_ok(), "{t:?}: {r:?}");
        assert_eq!(after.keys[0].state, KeyState::Enabled, "{t:?}");
    }
}

/// EnableKeyRotation's RotationPeriodInDays at every bound of spec §1
/// (current: 90–2560 inclusive; classic: never accepted). The checker offers
/// only "none" and minimum − 1, so the upper bound and the accepted edge
/// values are pinned here.
#[test]
fn rotation_period_bounds_are_those_of_the_rule_set() {
    use kms_lifecycle_model::{Action, Exception, State, step};
    for rules in [Rules::classic(), Rules::current()] {
        let created = step(
            &rules,
            &State::initial(0),
            &Action::CreateKey {
                origin: Origin::AwsKms,
            },
        )
        .remove(0)
        .1;
        for p in [1, 89, 90, 365, 2560, 2561, u32::MAX] {
            let (r, after) = step(
                &rules,
                &created,
                &Action::EnableKeyRotation {
                    key: 0,
                    period_days: Some(p),
                },
            )
            .remove(0);
            let accepted = rules.rotation_period_configurable && (90..=2560).contains(&p);
            if accepted {
                assert!(r.outcome.is_ok(), "{} period {p}: {r:?}", rules.name());
                let rot = after.keys[0].rotation.expect("rotation on");
                assert_eq!(rot.period_days, p, "{} period {p}", rules.name());
            } else {
                assert_eq!(
                    r.outcome.err(),
                    Some(Exception::ValidationException),
                    "{} period {p}",
                    rules.name()
                );
                assert_eq!(after, created, "a refused call changes nothing");
            }
        }
    }
}

/// A repeated EnableKeyRotation (docs/decisions.md, Rotation): no period or
/// the same period changes nothing (NextRotationDate stays); another period
/// sets it and restarts NextRotationDate from now. The checker offers no
/// accepted period under `current`, so this is pinned here.
#[test]
fn a_repeated_enable_key_rotation_changes_the_schedule_only_for_another_period() {
    use kms_lifecycle_model::{Action, DAY, State};
    let rules = Rules::current();
    let one = |s: &State, a: Action| ok_step(&rules, s, a);
    let enable = |period_days| Action::EnableKeyRotation {
        key: 0,
        period_days,
    };
    let s = one(
        &State::initial(0),
        Action::CreateKey {
            origin: Origin::AwsKms,
        },
    );
    let on = one(&s, enable(None));
    let first = on.keys[0].rotation.expect("rotation on");
    assert_eq!((first.period_days, first.next), (365, 365 * DAY));
    let later = one(&on, Action::Advance(10 * DAY));
    for same in [None, Some(365)] {
        let again = one(&later, enable(same));
        assert_eq!(again.keys[0].rotation, Some(first), "{same:?}");
    }
    let other = one(&later, enable(Some(90)));
    let r = other.keys[0].rotation.expect("rotation on");
    assert_eq!((r.period_days, r.next), (90, 10 * DAY + 90 * DAY));
}

/// Material pending rotation with a ValidTo (spec §5, §10) survives every
/// clock event before its ValidTo and is dropped at it, leaving the key's
/// state alone. The checker's pending imports do not expire, so this is
/// pinned here (a survivor of mutants-model in `apply_events_at`).
#[test]
fn pending_material_expires_exactly_at_its_valid_to() {
    use kms_lifecycle_model::{Action, DAY, ImportType, KeyState, State, TokenRef, ValidToChoice};
    let rules = Rules::current();
    let one = |s: &State, a: Action| ok_step(&rules, s, a);
    let import = |material, import_type, expires| Action::ImportKeyMaterial {
        key: 0,
        token: TokenRef::Latest,
        material,
        import_type,
        expires,
    };
    let mut s = State::initial(0);
    for a in [
        Action::CreateKey {
            origin: Origin::External,
        },
        Action::GetParametersForImport { key: 0 },
        import(0, None, ValidToChoice::DoesNotExpire),
        Action::GetParametersForImport { key: 0 },
        import(
            1,
            Some(ImportType::NewKeyMaterial),
            ValidToChoice::In(10 * DAY),
        ),
        // A fresh token: its expiry at 24 h is a clock event before ValidTo.
        Action::GetParametersForImport { key: 0 },
    ] {
        s = one(&s, a);
    }
    assert_eq!(s.keys[0].pending.map(|p| p.valid_to), Some(Some(10 * DAY)));
    let before = one(&s, Action::Advance(10 * DAY - 1));
    assert!(
        before.keys[0].pending.is_some(),
        "pending material survives the token's expiry and lasts until its ValidTo"
    );
    let at = one(&before, Action::Advance(1));
    assert!(at.keys[0].pending.is_none(), "dropped at its ValidTo");
    assert_eq!(
        at.keys[0].state,
        KeyState::Enabled,
        "the key keeps its state"
    );
}

/// ValidTo at every bound (spec §5, docs/decisions.md: now < ValidTo <= now +
/// 365 days): the checker offers only named choices (past, too far, missing),
/// never the edge instants, so these are pinned here.
#[test]
fn valid_to_bounds_are_now_exclusive_to_365_days_inclusive() {
    use kms_lifecycle_model::{Action, DAY, Exception, State, TokenRef, ValidToChoice, step};
    let rules = Rules::current();
    let one = |s: &State, a: Action| step(&rules, s, &a).remove(0);
    let s = external_key_with_parameters(&rules);
    let import = |expires| Action::ImportKeyMaterial {
        key: 0,
        token: TokenRef::Latest,
        material: 0,
        import_type: None,
        expires,
    };
    for (choice, accepted) in [
        (ValidToChoice::In(0), false),
        (ValidToChoice::In(1), true),
        (ValidToChoice::In(365 * DAY), true),
        (ValidToChoice::In(365 * DAY + 1), false),
        (ValidToChoice::TooFar, false),
        (ValidToChoice::Past, false),
        (ValidToChoice::MissingValidTo, false),
        (ValidToChoice::DoesNotExpire, true),
    ] {
        let (r, after) = one(&s, import(choice));
        if accepted {
            assert!(r.outcome.is_ok(), "{choice:?}: {r:?}");
        } else {
            assert_eq!(
                r.outcome.err(),
                Some(Exception::ValidationException),
                "{choice:?}"
            );
            assert_eq!(after, s, "{choice:?}: a refused import changes nothing");
        }
    }
}

/// The AWS managed key of `alias/aws/<service>` (spec §2, docs/decisions.md):
/// the first use creates it, an AWS managed key with rotation on; every later
/// use names that same key; a customer managed key is never it. And
/// DeleteImportedKeyMaterial naming an existing version deletes it (spec
/// §5). Survivors of mutants-model shard 1/7: no property read which key
/// UseManagedAlias names, and the checker's deletions name no version here.
#[test]
fn the_managed_alias_names_one_aws_managed_key_and_a_named_version_is_deleted() {
    use kms_lifecycle_model::{
        Action, KeyState, Manager, MaterialRef, OkSummary, State, TokenRef, ValidToChoice, step,
    };
    let rules = Rules::current();
    let one = |s: &State, a: Action| {
        let (r, s) = step(&rules, s, &a).remove(0);
        assert!(r.outcome.is_ok(), "{a:?}: {r:?}");
        (r, s)
    };
    let (_, s) = one(
        &State::initial(0),
        Action::CreateKey {
            origin: Origin::External,
        },
    );
    let (r, s) = one(&s, Action::UseManagedAlias);
    assert!(
        matches!(
            r.outcome,
            Ok(OkSummary::Key {
                key: 1,
                state: KeyState::Enabled
            })
        ),
        "{r:?}"
    );
    assert_eq!(s.keys.len(), 2);
    assert_eq!(s.keys[1].manager, Manager::Aws);
    assert!(s.keys[1].rotation.is_some(), "AWS managed keys rotate");
    let (r, again) = one(&s, Action::UseManagedAlias);
    assert!(
        matches!(r.outcome, Ok(OkSummary::Key { key: 1, .. })),
        "{r:?}"
    );
    assert_eq!(again, s, "a later use creates nothing");
    // A named version of imported material is deleted.
    let (_, s) = one(&s, Action::GetParametersForImport { key: 0 });
    let (_, s) = one(
        &s,
        Action::ImportKeyMaterial {
            key: 0,
            token: TokenRef::Latest,
            material: 0,
            import_type: None,
            expires: ValidToChoice::DoesNotExpire,
        },
    );
    assert_eq!(s.keys[0].state, KeyState::Enabled);
    let (_, deleted) = one(
        &s,
        Action::DeleteImportedKeyMaterial {
            key: 0,
            material: Some(MaterialRef::Version(0)),
        },
    );
    assert!(!deleted.keys[0].materials[0].present, "version 0 deleted");
    assert_eq!(deleted.keys[0].state, KeyState::PendingImport);
}

/// One EXTERNAL key, no material yet, with import parameters (a valid token).
fn external_key_with_parameters(rules: &Rules) -> kms_lifecycle_model::State {
    use kms_lifecycle_model::{Action, State, step};
    let one = |s: &State, a: Action| step(rules, s, &a).remove(0).1;
    let created = one(
        &State::initial(0),
        Action::CreateKey {
            origin: Origin::External,
        },
    );
    one(&created, Action::GetParametersForImport { key: 0 })
}

/// One clock step across several automatic rotations (spec §4, §10): each
/// rotation happens at its own NextRotationDate, in order, and the next date
/// is the last one plus the period in days. The checker's clock steps stop at
/// each deadline, so a jump over two rotations of one key is pinned here (two
/// survivors of mutants-model in `advance_inner` and `apply_events_at`).
#[test]
fn one_clock_step_across_two_rotation_dates_rotates_twice_on_schedule() {
    use kms_lifecycle_model::{Action, DAY, RotationType, State};
    let rules = Rules::current();
    let one = |s: &State, a: Action| ok_step(&rules, s, a);
    let mut s = State::initial(0);
    for a in [
        Action::CreateKey {
            origin: Origin::AwsKms,
        },
        Action::EnableKeyRotation {
            key: 0,
            period_days: Some(90),
        },
    ] {
        s = one(&s, a);
    }
    let after = one(&s, Action::Advance(200 * DAY));
    let k = &after.keys[0];
    let dates: Vec<_> = k
        .rotations
        .iter()
        .map(|r| (r.date, r.rotation_type))
        .collect();
    assert_eq!(
        dates,
        vec![
            (90 * DAY, RotationType::Automatic),
            (180 * DAY, RotationType::Automatic)
        ]
    );
    assert_eq!(
        k.rotation.map(|r| (r.period_days, r.next)),
        Some((90, 270 * DAY))
    );
    assert_eq!(after.now, 200 * DAY);
}

/// The AWS managed key made by the first use of its alias rotates every
/// `managed_rotation_days` from its creation (spec §1, §4: 1095 days under
/// `classic`, 365 under `current`): its NextRotationDate is creation plus
/// that many days, and the rotation happens then, not a second earlier.
/// The checker's managed configuration never lets a year pass (a survivor
/// of mutants-model in `use_managed_alias`).
#[test]
fn the_aws_managed_key_rotates_every_managed_period_from_its_creation() {
    use kms_lifecycle_model::{Action, DAY, RotationType, State};
    for (rules, days) in [(Rules::classic(), 1095), (Rules::current(), 365)] {
        let one = |s: &State, a: Action| ok_step(&rules, s, a);
        let later = one(&State::initial(0), Action::Advance(5 * DAY));
        let made = one(&later, Action::UseManagedAlias);
        let r = made.keys[0].rotation.expect("rotation on");
        assert_eq!((r.period_days, r.next), (days, 5 * DAY + days as u64 * DAY));
        let before = one(&made, Action::Advance(days as u64 * DAY - 1));
        assert!(before.keys[0].rotations.is_empty(), "{days}");
        let at = one(&before, Action::Advance(1));
        let dates: Vec<_> = at.keys[0]
            .rotations
            .iter()
            .map(|r| (r.date, r.rotation_type))
            .collect();
        assert_eq!(
            dates,
            vec![(5 * DAY + days as u64 * DAY, RotationType::Automatic)]
        );
    }
}

/// The clock-step menu one second before a deadline (spec §10): the fixed
/// steps, then on the deadline (twice) and one second after it; "one second
/// before" would be a zero step, which is no step at all, so it is left out.
/// A survivor of mutants-model in `deadline_steps` (`gap > 1` → `>=`).
#[test]
fn one_second_before_a_deadline_the_clock_steps_have_no_zero_step() {
    use kms_lifecycle_model::{Action, DAY, State, deadline_steps, next_deadline, step};
    let rules = Rules::current();
    let one = |s: &State, a: Action| step(&rules, s, &a).remove(0).1;
    let key = one(
        &State::initial(0),
        Action::CreateKey {
            origin: Origin::External,
        },
    );
    let token = one(&key, Action::GetParametersForImport { key: 0 });
    let near = one(&token, Action::Advance(DAY - 1));
    assert_eq!(next_deadline(&near), Some(near.now + 1));
    assert_eq!(
        deadline_steps(&near),
        vec![60, 20 * 60, DAY, 7 * DAY, 365 * DAY, 1, 1, 2]
    );
}

/// `advance_to` (public, for users driving the model by absolute time) is
/// the strict outcome of `Advance`: the same state at every instant across a
/// rotation, a deletion and an import token's expiry. A survivor of
/// mutants-model (`advance_to -> Default::default()`): nothing in the crate
/// calls it.
#[test]
fn advance_to_is_the_state_an_advance_step_reaches() {
    use kms_lifecycle_model::{Action, DAY, State, advance_to, step};
    let rules = Rules::current();
    let one = |s: &State, a: Action| step(&rules, s, &a).remove(0).1;
    let mut s = State::initial(0);
    for a in [
        Action::CreateKey {
            origin: Origin::AwsKms,
        },
        Action::EnableKeyRotation {
            key: 0,
            period_days: Some(90),
        },
        Action::CreateKey {
            origin: Origin::External,
        },
        Action::GetParametersForImport { key: 1 },
        Action::ScheduleKeyDeletion {
            key: 1,
            window_days: Some(7),
        },
    ] {
        s = one(&s, a);
    }
    for d in [1, DAY, 7 * DAY, 90 * DAY, 200 * DAY] {
        let stepped = one(&s, Action::Advance(d));
        assert_eq!(advance_to(&rules, &s, s.now + d), stepped, "{d}");
        assert_eq!(stepped.now, s.now + d);
    }
}

/// One step of `a` from `s` that must succeed; its state.
fn ok_step(
    rules: &Rules,
    s: &kms_lifecycle_model::State,
    a: kms_lifecycle_model::Action,
) -> kms_lifecycle_model::State {
    let (r, next) = kms_lifecycle_model::step(rules, s, &a).remove(0);
    assert!(r.outcome.is_ok(), "{a:?}: {r:?}");
    next
}
