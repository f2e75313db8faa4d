//! The differential test's speed: generated operation sequences replayed
//! through the model (`step`) and the real `Kms` with every comparison of
//! `tests/harness` after every step, per second. Generation is done once,
//! outside the measurement. `scripts/bench-report` prints
//! `differential_sequences_per_s`.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

// The harness allows its own dead code (each test binary uses a part).
#[path = "../tests/harness/mod.rs"]
mod harness;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harness::generator::{ClassicRef, CurrentRef};
use kms_lifecycle_model as model;
use model::Action;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use std::time::Duration;

/// `n` sequences of 1–39 operations from the differential test's generator.
fn sequences<R: ReferenceStateMachine<Transition = Action>>(
    n: usize,
    seed: u8,
) -> Vec<Vec<Action>> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = R::sequential_strategy(1..40);
    (0..n)
        .map(|_| {
            let (_, actions, _) = strategy
                .new_tree(&mut runner)
                .expect("a sequence")
                .current();
            actions
        })
        .collect()
}

fn differential(c: &mut Criterion) {
    let mut g = c.benchmark_group("differential");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for (rules, seqs) in [
        (model::Rules::classic(), sequences::<ClassicRef>(200, 1)),
        (model::Rules::current(), sequences::<CurrentRef>(200, 2)),
    ] {
        let mut i = 0;
        g.bench_function(format!("sequence_{}", rules.name()), |b| {
            b.iter(|| {
                let s = &seqs[i % seqs.len()];
                i += 1;
                harness::run_sequence(&rules, s, |_| {}).expect("the implementation agrees")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, differential);
criterion_main!(benches);
