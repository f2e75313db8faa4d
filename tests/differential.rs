//! Differential tests: the implementation held to the model.
//!
//! One generator of operation sequences drives the model's `step` (the
//! reference) and the real `Kms` with a manual clock (the system under test),
//! for both rule sets. After every step the response class, the observable
//! state of every key (DescribeKey, GetKeyRotationStatus, ListKeyRotations,
//! aliases) and every ciphertext made so far (decrypted for real, with
//! AES-GCM) are compared. proptest shrinks a failure to a minimal sequence and
//! persists its seed in `proptest-regressions/differential.txt`.
//!
//! Sequences: 1–119 calls (broad), 1–199 (import histories).
//! `PROPTEST_CASES` sets the number of sequences per rule set (default 512),
//! `PROPTEST_RNG_SEED` their seed (default fixed, [`DEFAULT_SEED`]); the soak
//! command is in docs/verification.md.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
// The harness drives the store through the oracle's driver (feature `conform`).
#![cfg(feature = "conform")]

mod harness;

use harness::generator::{ClassicMixedRef, ClassicRef, CurrentMixedRef, CurrentRef, RefState};
use harness::{CELLS, Sut};
use kms_lifecycle_model as model;
use model::Action;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

macro_rules! machine {
    ($refm:ident, $test:ident) => {
        struct $test;
        impl StateMachineTest for $test {
            type SystemUnderTest = Sut;
            type Reference = $refm;
            fn init_test(r: &RefState) -> Sut {
                Sut::new(&r.rules)
            }
            fn apply(mut sut: Sut, r: &RefState, a: Action) -> Sut {
                if let Err(e) = sut.step_and_compare(&r.rules, &a) {
                    panic!("the implementation differs from the model: {e}");
                }
                debug_assert_eq!(sut.prev, r.state);
                sut
            }
        }
    };
}

machine!(ClassicRef, ClassicTest);
machine!(CurrentRef, CurrentTest);
machine!(ClassicMixedRef, ClassicImportTest);
machine!(CurrentMixedRef, CurrentImportTest);

/// The seed of the default run. The §3 coverage gate below is a claim about
/// this run, so `cargo test` draws the same sequences every time and a miss
/// or a failure reproduces; soaks draw fresh ones with
/// `PROPTEST_RNG_SEED=<any u64>` (docs/verification.md).
const DEFAULT_SEED: u64 = 13;

fn config() -> ProptestConfig {
    let from_env = ProptestConfig::default();
    let set = |var: &str| std::env::var_os(var).is_some();
    ProptestConfig {
        // 512 sequences per generator mode: with fewer, some §3 cells of
        // EXTERNAL keys with material (a short window) go unhit for some
        // seeds (64: 4–18 of 200 missed under classic; 256: 0–1).
        cases: if set("PROPTEST_CASES") {
            from_env.cases
        } else {
            512
        },
        rng_seed: if set("PROPTEST_RNG_SEED") {
            from_env.rng_seed
        } else {
            proptest::test_runner::RngSeed::Fixed(DEFAULT_SEED)
        },
        // Actions whose preconditions fail are rejected and redrawn: about
        // 1.4 per sequence, which passes proptest's default limit (65,536)
        // in a soak of 100,000 sequences.
        max_local_rejects: 10_000_000,
        max_shrink_iters: 2048,
        max_shrink_time: 60_000,
        // Failure seeds in the top-level proptest-regressions/ folder.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/differential.txt",
            ),
        )),
        ..from_env
    }
}

/// Runs one machine's sequences (`PROPTEST_CASES` of them, default 512) with
/// proptest's shrinking and failure persistence, as `prop_state_machine!`
/// does, on this thread.
fn run<T>(sizes: std::ops::Range<usize>)
where
    T: StateMachineTest<SystemUnderTest = Sut>,
    T::Reference: ReferenceStateMachine<State = RefState, Transition = Action>,
{
    proptest!(config(), |((initial, transitions, seen) in T::Reference::sequential_strategy(sizes.clone()))| {
        T::test_sequential(config(), initial, transitions, seen)
    });
}

/// The differential run of one rule set: broad sequences (1–119 calls), then
/// import histories on purpose (generator mode `ImportHistoryMixed`, 1–199 calls:
/// imports, rotations, expiries, deletions with and without KeyMaterialId,
/// reimports). Then its reach is measured: every spec §3 cell (operation ×
/// key state × origin × AWS managed, `model::table`) that a key of these
/// sequences can be in must have been hit by some step, or the test fails
/// and names the cells missed.
fn differential_run<Broad, Import>(rules: model::Rules)
where
    Broad: StateMachineTest<SystemUnderTest = Sut>,
    Broad::Reference: ReferenceStateMachine<State = RefState, Transition = Action>,
    Import: StateMachineTest<SystemUnderTest = Sut>,
    Import::Reference: ReferenceStateMachine<State = RefState, Transition = Action>,
{
    run::<Broad>(1..120);
    run::<Import>(1..200);
    let hit = CELLS.with(|c| c.hit());
    let wanted = model::table::possible_cells(&rules);
    let missed = model::table::missed(&wanted, &hit);
    eprintln!(
        "{}: spec §3 cells hit by the differential run: {} of {}",
        rules.name(),
        wanted.len() - missed.len(),
        wanted.len()
    );
    assert!(
        missed.is_empty(),
        "{}: the differential run never reached these spec §3 cells (a generator \
         that cannot reach a cell cannot find a defect in it): {}",
        rules.name(),
        missed
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join("; ")
    );
}

#[test]
fn implementation_matches_model_classic() {
    differential_run::<ClassicTest, ClassicImportTest>(model::Rules::classic());
}

#[test]
fn implementation_matches_model_current() {
    differential_run::<CurrentTest, CurrentImportTest>(model::Rules::current());
}
