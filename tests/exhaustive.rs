//! Bounded exhaustive conformance: every path of the model checker up to a
//! small depth, replayed from scratch through the implementation.
//!
//! The configuration is the model's default `check` configuration
//! (`LifecycleModel::new`: 2 keys, 1 alias, 1 ciphertext, bounded time steps,
//! on-demand limit lowered; see docs/model.md) bounded by `target_max_depth`.
//! stateright's visitor is called once per visited state with the path that
//! reached it, so every distinct (deduplicated) state is reached by one replayed
//! path, and every path of at most `DEPTH - 2` actions ends in a state that is
//! replayed. Each path runs on a fresh `Kms` through `harness::Sut`, which
//! compares the response, every key's observable state and every ciphertext
//! after every action; the first divergence fails the test with the path.
//!
//! `EXHAUSTIVE_DEPTH` overrides the depth (in stateright's unit: states on the
//! path, the initial state counting 1, so `d` replays paths of at most `d - 2`
//! actions; see crates.md §2.6). With the `test-bugs` feature,
//! `EXHAUSTIVE_PLANT=<bug>` (a name of the planted-bug catalogue, e.g.
//! `deleted-material-kept-while-pending-import`) plants that
//! bug, to measure whether the replay reaches it (docs/verification.md).
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(all(feature = "checker", feature = "conform"))]

mod harness;

use harness::run_sequence_with_aliases;
use kms_lifecycle_model as model;
use model::Action;
use model::checker::{CheckState, LifecycleModel};
use stateright::{Checker, Model, Path};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Paths of at most `DEPTH - 2` = 6 actions.
const DEPTH: usize = 8;

fn depth() -> usize {
    std::env::var("EXHAUSTIVE_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(DEPTH)
}

/// The bug `EXHAUSTIVE_PLANT` names (test-bugs builds), planted in each `Kms`.
fn plant(kms: &mut kms_lifecycle::Kms) {
    #[cfg(feature = "test-bugs")]
    if let Ok(name) = std::env::var("EXHAUSTIVE_PLANT") {
        // The catalogue's name; underscores for dashes are accepted too.
        use kms_lifecycle::testing::bugs::{Bugs, PlantedBug};
        let bug = PlantedBug::by_name(&name.replace('_', "-"))
            .filter(|b| b.in_implementation())
            .unwrap_or_else(|| panic!("EXHAUSTIVE_PLANT: no implementation bug {name:?}"));
        kms.plant_bugs(Bugs::only(bug));
    }
    let _ = kms;
}

/// Replays every path of the checker's bounded exploration; returns the number
/// of paths replayed.
fn replay_all(rules: model::Rules, min_paths: usize) -> usize {
    let m = LifecycleModel::new(rules);
    let rules = m.rules;
    let aliases = m.aliases;
    let replayed = Arc::new(AtomicUsize::new(0));
    let longest = Arc::new(AtomicUsize::new(0));
    let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let (r, l, f) = (replayed.clone(), longest.clone(), failure.clone());
    let start = Instant::now();
    let checker = m
        .checker()
        .threads(1)
        .target_max_depth(depth())
        .visitor(move |path: Path<CheckState, Action>| {
            if f.lock().unwrap().is_some() {
                return;
            }
            let actions = path.into_actions();
            r.fetch_add(1, Ordering::Relaxed);
            l.fetch_max(actions.len(), Ordering::Relaxed);
            if let Err(e) = run_sequence_with_aliases(&rules, aliases, &actions, plant) {
                *f.lock().unwrap() = Some(format!("path {actions:#?}\n{e}"));
            }
        })
        .spawn_bfs()
        .join();
    if let Some(e) = failure.lock().unwrap().take() {
        panic!(
            "{}: the implementation differs from the model on a checker path: {e}",
            rules.name_or_base()
        );
    }
    let n = replayed.load(Ordering::Relaxed);
    eprintln!(
        "{}: replayed {n} paths (longest {} actions, {} unique states, depth bound {}) in {:.1?}",
        rules.name_or_base(),
        longest.load(Ordering::Relaxed),
        checker.unique_state_count(),
        depth(),
        start.elapsed()
    );
    assert!(
        n >= min_paths,
        "{}: only {n} paths replayed (expected at least {min_paths})",
        rules.name_or_base()
    );
    assert_eq!(
        longest.load(Ordering::Relaxed),
        depth() - 2,
        "the depth bound no longer matches the path length"
    );
    n
}

#[test]
fn every_short_checker_path_conforms_classic() {
    replay_all(model::Rules::classic(), 4_000);
}

#[test]
fn every_short_checker_path_conforms_current() {
    replay_all(model::Rules::current(), 5_000);
}
