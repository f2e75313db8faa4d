//! The model checker's speed: states generated per second (criterion's
//! `Throughput::Elements`), on configurations that finish in well under a
//! second (the two-key and one-key test configurations, with symmetry
//! reduction, on 1 thread and on every core).
//!
//! The default `check` configuration takes 15 s (classic) and minutes
//! (current) per run, too long for criterion's ten samples in a routine
//! `cargo bench`; `MODEL_BENCH_DEFAULT=1 cargo bench --bench model_checker`
//! adds it (classic, every core, ten samples: about three minutes).
//! docs/model.md records the figures.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kms_lifecycle_model::Rules;
use kms_lifecycle_model::checker::{LifecycleModel, run};
use std::hint::black_box;
use std::time::Duration;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn bench_config(
    c: &mut Criterion,
    group: &str,
    configs: &[(&str, LifecycleModel)],
    threads: &[usize],
) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    for (name, model) in configs {
        for &t in threads {
            // One run to learn the (deterministic) number of states generated.
            let r = run(model, t, true, None, &mut |_, _, _| {});
            eprintln!(
                "{group}/{name}/{t}: {} states generated, {} unique, {:.2}s",
                r.states,
                r.unique,
                r.elapsed.as_secs_f64()
            );
            g.throughput(Throughput::Elements(r.states as u64));
            g.bench_with_input(
                BenchmarkId::new(*name, format!("{t}-threads")),
                &t,
                |b, &t| b.iter(|| black_box(run(model, t, true, None, &mut |_, _, _| {}).unique)),
            );
        }
    }
    g.finish();
}

fn small(c: &mut Criterion) {
    let configs = [
        (
            "classic-two-keys",
            LifecycleModel::test_config_two_keys(Rules::classic()),
        ),
        (
            "current-two-keys",
            LifecycleModel::test_config_two_keys(Rules::current()),
        ),
        (
            "current-one-key",
            LifecycleModel::test_config(Rules::current()),
        ),
    ];
    let mut threads = vec![1];
    if cores() > 1 {
        threads.push(cores());
    }
    bench_config(c, "model_checker_small", &configs, &threads);
}

fn default_config(c: &mut Criterion) {
    if std::env::var_os("MODEL_BENCH_DEFAULT").is_none() {
        return;
    }
    let configs = [("classic-default", LifecycleModel::new(Rules::classic()))];
    bench_config(c, "model_checker_default", &configs, &[cores()]);
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(10)).warm_up_time(Duration::from_secs(1));
    targets = small, default_config
}
criterion_main!(benches);
