//! The differential test has teeth: for each deliberate bug of `src/bugs.rs`
//! (feature `test-bugs`), the generator of the differential test, run with a
//! fixed seed against a `Kms` with that bug planted, finds a divergence, and
//! proptest shrinks it to at most 6 operations. The search gets [`SEEDS`]
//! fixed seeds of [`CASES`] sequences each: some bugs need a specific 5–6
//! step sequence, which one seed's 2,000 sequences may miss.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(all(feature = "test-bugs", feature = "conform"))]

mod harness;

use harness::Sut;
use harness::generator::{ALIASES, ClassicRef, CurrentImportRef, CurrentRef};
use harness::minimize::minimize;
use kms_lifecycle::testing::bugs::{Bugs, PlantedBug};
use kms_lifecycle_model as model;
use model::Action;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sequences tried per bug and seed (the search stops at the first failure).
const CASES: u32 = 2_000;
/// Seeds tried, one after the other, until one finds the bug.
const SEEDS: u8 = 6;
/// The longest acceptable shrunk sequence.
const MAX_SHRUNK: usize = 6;

/// Runs the generator of `R` against a `Kms` with `bugs` planted; returns the
/// shrunk failing sequence and the divergence, or `None` if every case passed.
fn hunt<R>(rules: model::Rules, bugs: Bugs, seed: u8) -> Option<(Vec<Action>, String)>
where
    R: ReferenceStateMachine<Transition = Action>,
{
    let config = Config {
        cases: CASES,
        max_shrink_iters: 4096,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = R::sequential_strategy(1..40);
    let result = runner.run(
        &strategy,
        |(_, actions, seen): (R::State, Vec<Action>, Option<Arc<AtomicUsize>>)| {
            let mut sut = Sut::new(&rules);
            sut.sys.kms.plant_bugs(bugs);
            for a in &actions {
                // Tell the strategy how far the run got (it first drops the
                // transitions after the failure when shrinking).
                if let Some(c) = &seen {
                    c.fetch_add(1, Ordering::SeqCst);
                }
                if let Err(e) = sut.step_and_compare(&rules, a) {
                    return Err(TestCaseError::fail(e));
                }
            }
            Ok(())
        },
    );
    match result {
        Ok(()) => None,
        Err(TestError::Fail(reason, (_, actions, _))) => Some((actions, format!("{reason}"))),
        Err(TestError::Abort(reason)) => panic!("the search was aborted: {reason}"),
    }
}

fn caught(name: &str, bugs: Bugs) {
    caught_under(name, bugs, true)
}

/// [`caught`], under `current` only when `classic` is false (a bug that only
/// the `current` rules can show).
fn caught_under(name: &str, bugs: Bugs, classic: bool) {
    let classic_found =
        || (0..SEEDS).find_map(|i| hunt::<ClassicRef>(model::Rules::classic(), bugs, 1 + 2 * i));
    let current =
        || (0..SEEDS).find_map(|i| hunt::<CurrentRef>(model::Rules::current(), bugs, 2 + 2 * i));
    let mut runs = Vec::new();
    if classic {
        runs.push((model::Rules::classic(), classic_found()));
    }
    runs.push((model::Rules::current(), current()));
    for (rules, found) in runs {
        let rn = rules.name();
        let Some((shrunk, reason)) = found else {
            panic!("planted bug {name} not caught under {rn} in {SEEDS} × {CASES} sequences");
        };
        let fails = |actions: &[Action]| {
            harness::run_sequence(&rules, actions, |k| k.plant_bugs(bugs)).is_err()
        };
        // The shrunk sequence fails again, and only because of the bug.
        assert!(
            fails(&shrunk),
            "planted bug {name} ({rn}): the shrunk sequence does not fail again"
        );
        assert!(
            harness::run_sequence(&rules, &shrunk, |_| {}).is_ok(),
            "planted bug {name} ({rn}): the shrunk sequence fails without the bug"
        );
        // proptest-state-machine cannot delete a CreateKey that later actions
        // depend on; the second pass renumbers (harness/minimize.rs).
        let minimal = minimize(&rules, ALIASES, &shrunk, fails);
        eprintln!(
            "{name} ({rn}): caught; proptest shrank it to {} operations, renumbering to {}: {minimal:?}",
            shrunk.len(),
            minimal.len()
        );
        assert!(
            minimal.len() <= MAX_SHRUNK,
            "planted bug {name} ({rn}): shrunk to {} operations, more than {MAX_SHRUNK}:\n{minimal:#?}\n{reason}",
            minimal.len()
        );
    }
}

macro_rules! planted {
    ($($test:ident: $bug:ident,)*) => {
        $(
            #[test]
            fn $test() {
                caught(PlantedBug::$bug.name(), Bugs::only(PlantedBug::$bug));
            }
        )*
        /// The bugs the tests above hunt with the broad generator.
        const HUNTED: &[PlantedBug] = &[$(PlantedBug::$bug),*];
    };
}

planted! {
    rotation_while_disabled_is_caught: RotationWhileDisabled,
    cancel_gives_enabled_is_caught: CancelGivesEnabled,
    deletion_one_second_early_is_caught: DeletionOneSecondEarly,
    token_accepted_after_24h_is_caught: TokenAcceptedAfter24h,
    different_material_accepted_is_caught: DifferentMaterialAccepted,
    alias_survives_key_is_caught: AliasSurvivesKey,
    catch_up_rotation_missing_is_caught: CatchUpRotationMissing,
    short_window_accepted_is_caught: ShortWindowAccepted,
    put_key_policy_ignored_is_caught: PutKeyPolicyIgnored,
}

/// No bug of the catalogue that the implementation can plant goes unhunted:
/// each has a test above, or the import-history test below.
#[test]
fn every_implementation_bug_of_the_catalogue_is_hunted() {
    let unhunted: Vec<_> = PlantedBug::in_reference()
        .filter(|b| !HUNTED.contains(b) && *b != PlantedBug::DeletedMaterialKeptWhilePendingImport)
        .map(|b| b.name())
        .collect();
    assert!(unhunted.is_empty(), "no planted-bug test for {unhunted:?}");
}

/// The escaped defect of issue 12 (deleted material kept while the key is
/// already PendingImport) needs two materials, so `current` only, and a
/// nine-call import history: the broad generator does not find it in
/// 3 × 2,000 sequences (measured, docs/verification.md); the import-history
/// mode must.
#[test]
fn deleted_material_kept_while_pending_import_is_caught_by_the_import_history_generator() {
    let bug = PlantedBug::DeletedMaterialKeptWhilePendingImport;
    let name = bug.name();
    let bugs = Bugs::only(bug);
    let rules = model::Rules::current();
    let Some((shrunk, reason)) =
        (0..SEEDS).find_map(|i| hunt::<CurrentImportRef>(rules, bugs, 2 + 2 * i))
    else {
        panic!(
            "planted bug {name} not caught by the import-history generator in {SEEDS} × {CASES} sequences"
        );
    };
    let fails = |actions: &[Action]| {
        harness::run_sequence(&rules, actions, |k| k.plant_bugs(bugs)).is_err()
    };
    assert!(
        fails(&shrunk),
        "{name}: the shrunk sequence does not fail again"
    );
    assert!(
        harness::run_sequence(&rules, &shrunk, |_| {}).is_ok(),
        "{name}: the shrunk sequence fails without the bug"
    );
    let minimal = minimize(&rules, ALIASES, &shrunk, fails);
    eprintln!(
        "{name} (current, import histories): caught; proptest shrank it to {} operations, renumbering to {}: {minimal:?}\n{reason}",
        shrunk.len(),
        minimal.len()
    );
    // The defect needs 9 calls by hand (issue 12); GetParametersForImport
    // once serves every import, so 8 may do.
    assert!(
        minimal.len() <= 10,
        "{name}: shrunk to {} operations:\n{minimal:#?}",
        minimal.len()
    );
}
