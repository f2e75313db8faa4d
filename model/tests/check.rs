//! Bounded exhaustive checks of both rule sets, pinned state counts, and the
//! planted bugs.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kms_lifecycle_model::checker::{
    LifecycleModel, PlantedBug, RunReport, format_counterexample, run, shortest_counterexample,
};
use kms_lifecycle_model::{Exception, Rules};
use stateright::{Checker, HasDiscoveries, Model};

fn check(m: &LifecycleModel, symmetry: bool) -> RunReport {
    run(m, 1, symmetry, None, &mut |_, _, _| {})
}

fn failures(r: &RunReport, allowed: &[&str]) -> Vec<String> {
    r.verdicts
        .iter()
        .filter(|(n, _, ok)| !ok && !allowed.iter().any(|a| n.contains(a)))
        .map(|(n, _, _)| n.clone())
        .collect()
}

const INCORRECT_KEY: &str = "IncorrectKeyException";

fn one_key(rules: Rules, pinned: usize) {
    let m = LifecycleModel::test_config(rules);
    let r = check(&m, false);
    assert!(
        r.violations.is_empty(),
        "{:?}",
        r.violations.iter().map(|v| v.0).collect::<Vec<_>>()
    );
    assert_eq!(failures(&r, &[INCORRECT_KEY]), Vec::<String>::new());
    assert_eq!(
        r.unique, pinned,
        "unique states of the one-key test configuration changed"
    );
}

fn two_keys(rules: Rules, pinned: usize, pinned_sym: usize) {
    let m = LifecycleModel::test_config_two_keys(rules);
    let r = check(&m, false);
    assert!(
        r.violations.is_empty(),
        "{:?}",
        r.violations.iter().map(|v| v.0).collect::<Vec<_>>()
    );
    let incorrect = r
        .verdicts
        .iter()
        .find(|(n, _, _)| n.contains(INCORRECT_KEY))
        .unwrap();
    assert!(incorrect.2, "IncorrectKeyException never answered");
    assert!(r.verdicts.iter().filter(|v| v.1).all(|v| v.2));
    assert_eq!(
        r.unique, pinned,
        "unique states of the two-key test configuration changed"
    );
    let s = check(&m, true);
    assert!(s.violations.is_empty());
    assert_eq!(s.unique, pinned_sym, "unique states with symmetry changed");
    assert!(s.unique < r.unique);
}

#[test]
fn classic_one_key_exhaustive() {
    one_key(Rules::classic(), 5883);
}

#[test]
fn current_one_key_exhaustive() {
    one_key(Rules::current(), 48645);
}

#[test]
fn classic_two_keys_exhaustive_and_symmetry() {
    two_keys(Rules::classic(), 43961, 22393);
}

#[test]
fn current_two_keys_exhaustive_and_symmetry() {
    two_keys(Rules::current(), 43204, 21900);
}

#[test]
fn every_exception_is_required_somewhere() {
    // The union of both test configurations requires every exception of §3;
    // the key policy exceptions where PutKeyPolicy is offered (issue 16).
    let mut m = LifecycleModel::test_config(Rules::current());
    assert_eq!(m.required_errors().len(), Exception::ALL.len() - 2);
    m.policies = true;
    assert_eq!(m.required_errors().len(), Exception::ALL.len());
}

#[test]
fn planted_bugs_are_caught_with_shortest_counterexamples() {
    for bug in PlantedBug::in_model_checker() {
        let m = LifecycleModel::test_config(bug.rules()).with_bug(Some(bug));
        let c = m
            .fresh()
            .checker()
            .finish_when(HasDiscoveries::AnyFailures)
            .spawn_bfs()
            .join();
        let props = m.properties();
        let (name, path) = props
            .iter()
            .filter(|p| matches!(p.expectation, stateright::Expectation::Always))
            .find_map(|p| c.discovery(p.name).map(|d| (p.name, d)))
            .unwrap_or_else(|| panic!("planted bug {} not caught", bug.name()));
        let shortest = shortest_counterexample(&m, name, path.clone().into_actions().len(), 1)
            .expect("the counterexample is found again by iterative deepening");
        let n = shortest.clone().into_actions().len();
        assert!(n >= 1 && n <= path.into_actions().len());
        // Without the bug, the same model has no counterexample for this property.
        let text = format_counterexample(&m, &shortest);
        assert!(text.contains(" 1. "), "{text}");
        eprintln!("{} caught by \"{name}\" in {n} steps", bug.name());
    }
}
