//! The rules of `crate::table` (spec §3's table as data, the §6 deletion
//! window, §7 IncorrectKeyException, the §1 on-demand limit and conflict)
//! can fail: each holds on the answer `step` gives and is broken by a step
//! that answers a cell with another exception, lets a call through that the
//! table refuses, or gets a number wrong. None of these wrong answers breaks
//! an older property that names the same operation, which is what these
//! rules add (issue 13, item 3).
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kms_lifecycle_model::properties::TRANSITION_RULES;
use kms_lifecycle_model::{
    Action, Ctx, DAY, Exception, KeyRef, OkSummary, Origin, Response, Rules, State,
};

mod common;
use common::{rule, run};

fn state(rules: &Rules, actions: &[Action]) -> State {
    let mut s = State::initial(1);
    for a in actions {
        s = run(rules, &s, *a).1;
    }
    s
}

fn err(e: Exception) -> Response {
    Response {
        outcome: Err(e),
        alarm: false,
    }
}

const TABLE: &str = "§3 every operation answers what its cell of the state table says";
const WINDOW: &str = "§6 deletion window 7-30 (default 30), DeletionDate = now + window";
const INCORRECT: &str = "§7 Decrypt naming another key answers IncorrectKeyException";
const ON_DEMAND: &str = "§1 on-demand rotation: the limit, then the 20-minute conflict window";

/// Every rule of the list except `name` holds on (b, a, r, after).
fn only_this_rule_breaks(
    name: &str,
    rules: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) {
    assert!(
        !rule(name)(rules, b, a, r, af),
        "{name} must refuse {r:?} for {a:?}"
    );
    for (n, f) in TRANSITION_RULES {
        if *n != name {
            assert!(f(rules, b, a, r, af), "{n} also refuses {r:?} for {a:?}");
        }
    }
}

#[test]
fn a_cell_answered_with_another_exception_breaks_only_the_table_rule() {
    let rules = Rules::current();
    let create = Action::CreateKey {
        origin: Origin::AwsKms,
    };
    let disabled = state(&rules, &[create, Action::DisableKey { key: 0 }]);
    let encrypt = Action::Encrypt {
        key: KeyRef::Key(0),
        ctx: Ctx::A,
    };
    let (right, after) = run(&rules, &disabled, encrypt);
    assert_eq!(right.outcome, Err(Exception::DisabledException));
    assert!(rule(TABLE)(&rules, &disabled, &encrypt, &right, &after));
    // "Disabled: DisabledException", not KMSInvalidStateException.
    let wrong = err(Exception::KMSInvalidStateException);
    only_this_rule_breaks(TABLE, &rules, &disabled, &encrypt, &wrong, &after);

    // EnableKeyRotation of a PendingImport EXTERNAL key: the origin answers
    // (UnsupportedOperationException), not the state.
    let external = state(
        &rules,
        &[Action::CreateKey {
            origin: Origin::External,
        }],
    );
    let rotation = Action::EnableKeyRotation {
        key: 0,
        period_days: None,
    };
    let (right, after) = run(&rules, &external, rotation);
    assert_eq!(right.outcome, Err(Exception::UnsupportedOperationException));
    assert!(rule(TABLE)(&rules, &external, &rotation, &right, &after));
    let wrong = err(Exception::KMSInvalidStateException);
    only_this_rule_breaks(TABLE, &rules, &external, &rotation, &wrong, &after);

    // DescribeKey of a deleted key: NotFoundException, never an answer.
    let deleted = state(
        &rules,
        &[
            create,
            Action::ScheduleKeyDeletion {
                key: 0,
                window_days: Some(7),
            },
            Action::Advance(7 * DAY),
        ],
    );
    let describe = Action::DescribeKey {
        key: KeyRef::Key(0),
    };
    let (right, after) = run(&rules, &deleted, describe);
    assert_eq!(right.outcome, Err(Exception::NotFoundException));
    assert!(rule(TABLE)(&rules, &deleted, &describe, &right, &after));
    let wrong = Response {
        outcome: Ok(OkSummary::Key {
            key: 0,
            state: kms_lifecycle_model::KeyState::Deleted,
        }),
        alarm: false,
    };
    only_this_rule_breaks(TABLE, &rules, &deleted, &describe, &wrong, &after);
}

#[test]
fn a_refused_cell_let_through_breaks_the_table_rule() {
    let rules = Rules::current();
    // CancelKeyDeletion of an Enabled key: "KMSInvalidStateException".
    let enabled = state(
        &rules,
        &[Action::CreateKey {
            origin: Origin::AwsKms,
        }],
    );
    let cancel = Action::CancelKeyDeletion { key: 0 };
    let (right, after) = run(&rules, &enabled, cancel);
    assert_eq!(right.outcome, Err(Exception::KMSInvalidStateException));
    let wrong = Response {
        outcome: Ok(OkSummary::Done {
            key: 0,
            state: kms_lifecycle_model::KeyState::Enabled,
        }),
        alarm: false,
    };
    assert!(!rule(TABLE)(&rules, &enabled, &cancel, &wrong, &after));
}

#[test]
fn a_wrong_deletion_date_or_window_breaks_the_window_rule() {
    let rules = Rules::current();
    let s = state(
        &rules,
        &[
            Action::CreateKey {
                origin: Origin::AwsKms,
            },
            Action::Advance(3 * DAY),
        ],
    );
    let schedule = Action::ScheduleKeyDeletion {
        key: 0,
        window_days: None,
    };
    let (right, after) = run(&rules, &s, schedule);
    assert_eq!(
        right.outcome,
        Ok(OkSummary::Scheduled {
            key: 0,
            deletion_date: 3 * DAY + 30 * DAY,
            window_days: 30,
        })
    );
    assert!(rule(WINDOW)(&rules, &s, &schedule, &right, &after));
    // A date counted from the key's creation rather than from now.
    let early = Response {
        outcome: Ok(OkSummary::Scheduled {
            key: 0,
            deletion_date: 30 * DAY,
            window_days: 30,
        }),
        alarm: false,
    };
    assert!(!rule(WINDOW)(&rules, &s, &schedule, &early, &after));
    // A window of 6 days accepted.
    let six = Action::ScheduleKeyDeletion {
        key: 0,
        window_days: Some(6),
    };
    let (right, after6) = run(&rules, &s, six);
    assert_eq!(right.outcome, Err(Exception::ValidationException));
    let accepted = Response {
        outcome: Ok(OkSummary::Scheduled {
            key: 0,
            deletion_date: 3 * DAY + 6 * DAY,
            window_days: 6,
        }),
        alarm: false,
    };
    assert!(!rule(WINDOW)(&rules, &s, &six, &accepted, &after6));
}

#[test]
fn decrypt_naming_another_key_must_be_incorrect_key() {
    let rules = Rules::current();
    let create = Action::CreateKey {
        origin: Origin::AwsKms,
    };
    let s = state(
        &rules,
        &[
            create,
            create,
            Action::Encrypt {
                key: KeyRef::Key(0),
                ctx: Ctx::A,
            },
        ],
    );
    let decrypt = Action::Decrypt {
        ct: 0,
        ctx: Ctx::A,
        key: Some(KeyRef::Key(1)),
    };
    let (right, after) = run(&rules, &s, decrypt);
    assert_eq!(right.outcome, Err(Exception::IncorrectKeyException));
    assert!(rule(INCORRECT)(&rules, &s, &decrypt, &right, &after));
    let wrong = err(Exception::InvalidCiphertextException);
    only_this_rule_breaks(INCORRECT, &rules, &s, &decrypt, &wrong, &after);
}

#[test]
fn on_demand_rotation_within_the_conflict_window_must_conflict() {
    let rules = Rules::current();
    // Rotation every 90 days, then 90 days less 10 minutes later: the
    // automatic rotation is due within 20 minutes.
    let s = state(
        &rules,
        &[
            Action::CreateKey {
                origin: Origin::AwsKms,
            },
            Action::EnableKeyRotation {
                key: 0,
                period_days: Some(90),
            },
            Action::Advance(90 * DAY - 600),
        ],
    );
    let rotate = Action::RotateKeyOnDemand { key: 0 };
    let (right, after) = run(&rules, &s, rotate);
    assert_eq!(right.outcome, Err(Exception::ConflictException));
    assert!(rule(ON_DEMAND)(&rules, &s, &rotate, &right, &after));
    let rotated = Response {
        outcome: Ok(OkSummary::Rotated { key: 0, version: 1 }),
        alarm: false,
    };
    assert!(!rule(ON_DEMAND)(&rules, &s, &rotate, &rotated, &after));
}
