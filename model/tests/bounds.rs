//! The bounds of a checker run (`check --max-states`, `--max-memory-mb`) stop
//! the search with their own outcome (not a verdict, exit 3), and a state that
//! breaks an `always` property is not expanded, so a bug that makes the space
//! infinite is still finished. Small configurations only: each test runs in
//! well under a second.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kms_lifecycle_model::checker::{
    LifecycleModel, Limits, PlantedBug, Stop, resident_mb, run_within,
    shortest_counterexample_within,
};
use kms_lifecycle_model::cli::check_main;
use kms_lifecycle_model::{Rules, properties};

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn limits(max_states: usize) -> Limits {
    Limits {
        max_states,
        ..Limits::default()
    }
}

/// 41,221 unique states when run to the end (model/tests/check.rs).
fn small() -> LifecycleModel {
    LifecycleModel::test_config(Rules::current())
}

#[test]
fn the_state_bound_stops_the_search_without_a_verdict() {
    let r = run_within(&small(), 1, true, None, &limits(1_000), &mut |_, _, _| {});
    match r.stopped {
        Some(Stop::States { bound, unique }) => {
            assert_eq!(bound, 1_000);
            assert!(unique >= 1_000, "{unique}");
        }
        other => panic!("expected the state bound, got {other:?}"),
    }
    // Stopped before the end (41,221 unique states, about 0.85 s on one
    // thread): the bound is noticed within a poll (20 ms) and nothing is
    // expanded after it.
    assert!(r.unique < 41_221, "{}", r.unique);
    assert!(!r.ok(), "a stopped run is not a pass");
    assert!(!r.violated(), "and not a violation either");
}

#[test]
fn the_same_configuration_finishes_under_the_default_bounds() {
    let r = run_within(
        &small(),
        1,
        true,
        None,
        &Limits::default(),
        &mut |_, _, _| {},
    );
    assert_eq!(r.stopped, None);
    assert!(r.verdicts.iter().filter(|v| v.1).all(|v| v.2));
}

#[test]
fn the_memory_bound_stops_the_search() {
    if resident_mb().is_none() {
        eprintln!("no /proc/self/status: the memory bound is not checked here");
        return;
    }
    let l = Limits {
        max_memory_mb: 1,
        ..Limits::default()
    };
    let r = run_within(&small(), 1, true, None, &l, &mut |_, _, _| {});
    assert!(
        matches!(r.stopped, Some(Stop::Memory { bound_mb: 1, .. })),
        "{:?}",
        r.stopped
    );
    assert!(!r.ok());
}

#[test]
fn check_exits_3_when_the_state_bound_is_reached() {
    let code = check_main(&args(&[
        "--rules",
        "classic",
        "--keys",
        "1",
        "--threads",
        "1",
        "--max-states",
        "500",
    ]));
    assert_eq!(
        code, 3,
        "stopped: not a verdict, distinct from 1 (violated)"
    );
    // A zero bound is a bad argument.
    assert_eq!(check_main(&args(&["--max-states", "0"])), 2);
    assert_eq!(check_main(&args(&["--max-memory-mb", "x"])), 2);
}

#[test]
fn an_infinite_bug_is_finished_because_broken_states_are_not_expanded() {
    // RotateKeyOnDemand ignoring the limit adds a backing key per call without
    // end; the first state over the limit breaks "§1 on-demand rotations within
    // the limit" and is not expanded, so the run ends by itself.
    let m = small().with_bug(Some(PlantedBug::OnDemandBeyondLimit));
    let r = run_within(&m, 1, true, None, &limits(1_000_000), &mut |_, _, _| {});
    assert_eq!(
        r.stopped, None,
        "finished, not stopped ({} unique)",
        r.unique
    );
    let names: Vec<_> = r.violations.iter().map(|v| v.0).collect();
    // The state invariant, and the rule that states the limit as data
    // (crate::table), independently of `step`.
    assert_eq!(
        names,
        [
            "§1 on-demand rotations within the limit",
            "§1 on-demand rotation: the limit, then the 20-minute conflict window"
        ]
    );
    let s = shortest_counterexample_within(&m, &names, 64, 1, &Limits::default());
    assert_eq!(s.stopped, None);
    let (name, path) = s.path.expect("found");
    assert_eq!(name, names[0]);
    assert_eq!(path.into_actions().len(), 3);
}

#[test]
fn a_stopped_counterexample_search_says_so() {
    // A property that holds: the first bounded BFS (depth 14) explores the
    // whole configuration and is stopped by the bound long before its end.
    let s = shortest_counterexample_within(
        &small(),
        &["§2 deleted keys are tombstones"],
        12,
        1,
        &limits(1_000),
    );
    assert!(s.path.is_none());
    assert!(matches!(s.stopped, Some(Stop::States { .. })), "{s:?}");
}

#[test]
fn every_state_invariant_is_an_always_property() {
    let props = properties::all_properties();
    for (name, _) in properties::STATE_INVARIANTS {
        assert!(
            props.iter().any(
                |p| p.name == *name && matches!(p.expectation, stateright::Expectation::Always)
            ),
            "{name}"
        );
    }
}

/// Every transition rule is checked: one `always` property per entry of the
/// table, in table order. The last rule of the table was once left out of a
/// hand-kept index list and held vacuously (docs/verification.md §5a, shard 6).
#[test]
fn every_transition_rule_is_an_always_property() {
    let props = properties::all_properties();
    let always: Vec<&str> = props
        .iter()
        .filter(|p| matches!(p.expectation, stateright::Expectation::Always))
        .map(|p| p.name)
        .collect();
    for (name, _) in properties::TRANSITION_RULES {
        assert!(always.contains(name), "transition rule not checked: {name}");
    }
    assert_eq!(
        always.len(),
        properties::STATE_INVARIANTS.len() + properties::TRANSITION_RULES.len()
    );
}
