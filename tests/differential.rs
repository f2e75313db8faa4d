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
//! `PROPTEST_CASES` sets the number of sequences per rule set (default 64);
//! the soak command is in docs/verification.md.

mod harness;

use harness::generator::{ClassicImportRef, ClassicRef, CurrentImportRef, CurrentRef, RefState};
use harness::{Sut, model_rules};
use kms_lifecycle_model as model;
use model::Action;
use proptest::prelude::*;
use proptest_state_machine::{StateMachineTest, prop_state_machine};

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
machine!(ClassicImportRef, ClassicImportTest);
machine!(CurrentImportRef, CurrentImportTest);

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        // Actions whose preconditions fail are rejected and redrawn: about
        // 1.4 per sequence, which passes proptest's default limit (65,536)
        // in a soak of 100,000 sequences.
        max_local_rejects: 10_000_000,
        max_shrink_iters: 2048,
        max_shrink_time: 60_000,
        // Failure seeds in the top-level proptest-regressions/ folder.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/differential.txt"),
        )),
        .. ProptestConfig::default()
    })]

    #[test]
    fn implementation_matches_model_classic(sequential 1..120 => ClassicTest);

    #[test]
    fn implementation_matches_model_current(sequential 1..120 => CurrentTest);

    /// Import histories on purpose (generator mode `ImportHistory`): long
    /// sequences of imports, rotations, expiries, deletions and reimports.
    #[test]
    fn implementation_matches_model_on_import_histories_classic(sequential 1..200 => ClassicImportTest);

    #[test]
    fn implementation_matches_model_on_import_histories_current(sequential 1..200 => CurrentImportTest);
}

#[test]
fn rules_presets_agree_between_model_and_implementation() {
    for name in ["classic", "current"] {
        let m = model::Rules::by_name(name).unwrap();
        let i = model_rules(&m);
        assert_eq!(i.name, name);
        assert_eq!(i.default_rotation_days, m.default_rotation_days);
        assert_eq!(i.managed_rotation_days, m.managed_rotation_days);
        assert_eq!(i.on_demand_rotation, m.on_demand_rotation);
    }
}
