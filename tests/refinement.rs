//! Whole-graph refinement: every edge of a bounded model graph is executed on
//! the implementation.
//!
//! The exhaustive replay (`tests/exhaustive.rs`) replays one path per model
//! state, so an edge into a state already reached by another path is never
//! executed: the escaped defect of issue 12 hid behind exactly that
//! (docs/verification.md, section 4a). Here a breadth-first search walks the
//! reachable states of a checker configuration; each state carries an
//! implementation in the corresponding state (`Sut::fork`, a deep copy of the
//! `Kms` on its own manual clock), and at every state *every* action the
//! checker offers is executed on a fresh copy and compared with the model
//! (`Sut::step_and_compare`: response, alarm, every key's DescribeKey, rotation
//! status, ListKeyRotations with and without ALL_KEY_MATERIAL, aliases, and
//! real decryption of every ciphertext). Edges into states outside the
//! configuration's boundary (a second ciphertext, ...) are executed and
//! compared too; only their targets are not expanded. Model values map to
//! real ones by fixed tables: materials by `harness::material`, wrapping keys
//! from one pool per test binary.
//!
//! Breadth-first order makes the first divergence found one of the shortest.
//! `REFINEMENT_CONFIG=default` runs the default `check` configuration instead
//! of the one-key test configuration (too large for `cargo test`;
//! docs/verification.md records how far it gets in 10 minutes), and
//! `REFINEMENT_MAX_EDGES` bounds the run.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(all(feature = "checker", feature = "conform"))]

mod harness;

use harness::Sut;
use kms_lifecycle::Kms;
use kms_lifecycle_model as model;
use model::checker::{CheckState, LifecycleModel};
use stateright::Model;
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

/// What a run covered.
#[derive(Debug, Default)]
struct Reach {
    /// Model states expanded.
    states: usize,
    /// Edges executed and compared.
    edges: usize,
    /// Edges whose target lies outside the boundary (compared, not expanded).
    beyond_boundary: usize,
    /// The largest level (implementations held at once).
    max_frontier: usize,
    seconds: f64,
}

/// Walks every reachable state of `m` and executes every edge; the first
/// divergence, with the path that reached it, is the error.
///
/// Level by level (breadth first): each level's states are shared among the
/// machine's cores (at most 4 threads), each thread expanding its part on its
/// own copies of the implementation; a state is kept by the first thread that
/// reaches it (one `seen` set under a lock). The edges executed are the same
/// as with one thread; which of two equivalent paths to a state is kept (and
/// so which path a divergence report shows) may differ between runs.
fn refine(m: &LifecycleModel, plant: impl Fn(&mut Kms), max_edges: usize) -> Result<Reach, String> {
    let start = Instant::now();
    let rules = m.rules;
    let init = m.init_states().remove(0);
    let mut sut = Sut::with_aliases(&rules, m.aliases);
    plant(&mut sut.sys.kms);
    let seen: Mutex<HashSet<CheckState>> = Mutex::new(HashSet::from([init.clone()]));
    let mut level = vec![(init, sut)];
    let mut reach = Reach::default();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    while !level.is_empty() && reach.edges < max_edges {
        let part = level.len().div_ceil(threads);
        let expanded: Vec<Result<Expanded, String>> = std::thread::scope(|scope| {
            let workers: Vec<_> = level
                .chunks(part)
                .map(|chunk| scope.spawn(|| expand(m, chunk, &seen)))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("a refinement worker panicked"))
                .collect()
        });
        let mut next_level = Vec::new();
        for e in expanded {
            let e = e?;
            reach.states += e.states;
            reach.edges += e.edges;
            reach.beyond_boundary += e.beyond_boundary;
            next_level.extend(e.successors);
        }
        reach.max_frontier = reach.max_frontier.max(next_level.len());
        level = next_level;
    }
    reach.seconds = start.elapsed().as_secs_f64();
    Ok(reach)
}

/// What one thread did with its part of a level.
#[derive(Default)]
struct Expanded {
    states: usize,
    edges: usize,
    beyond_boundary: usize,
    /// States reached first by this thread, with their implementations.
    successors: Vec<(CheckState, Sut)>,
}

/// Executes every edge out of the states of `part`, each on a fresh copy of
/// its state's implementation, and compares it with the model.
fn expand(
    m: &LifecycleModel,
    part: &[(CheckState, Sut)],
    seen: &Mutex<HashSet<CheckState>>,
) -> Result<Expanded, String> {
    let rules = m.rules;
    let mut out = Expanded::default();
    let mut actions = Vec::new();
    for (state, sut) in part {
        out.states += 1;
        actions.clear();
        m.actions(state, &mut actions);
        for &a in &actions {
            let Some(next) = m.next_state(state, a) else {
                continue;
            };
            out.edges += 1;
            let mut copy = sut.fork();
            copy.step_and_compare(&rules, &a)?;
            if !m.within_boundary(&next) {
                out.beyond_boundary += 1;
                continue;
            }
            let first = seen
                .lock()
                .expect("a refinement worker panicked")
                .insert(next.clone());
            if first {
                out.successors.push((next, copy));
            }
        }
    }
    Ok(out)
}

fn max_edges() -> usize {
    std::env::var("REFINEMENT_MAX_EDGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX)
}

/// The configuration refined: by default the one-key test configuration,
/// with at most 2 clock steps per path under `current` (3 under `classic`),
/// so that `cargo test` stays within about a minute per rule set;
/// `REFINEMENT_CONFIG=one-key` keeps 3 clock steps under both (1.55 M edges
/// under `current`, docs/verification.md), `REFINEMENT_CONFIG=default` is the
/// default `check` configuration.
fn configuration(rules: model::Rules) -> LifecycleModel {
    match std::env::var("REFINEMENT_CONFIG").as_deref() {
        Ok("default") => LifecycleModel::new(rules),
        Ok("one-key") => LifecycleModel::test_config(rules),
        _ => cargo_test_configuration(rules),
    }
}

fn cargo_test_configuration(rules: model::Rules) -> LifecycleModel {
    let mut m = LifecycleModel::test_config(rules);
    if rules.on_demand_rotation {
        m.max_ticks = 2;
    }
    m
}

fn configuration_name() -> &'static str {
    match std::env::var("REFINEMENT_CONFIG").as_deref() {
        Ok("default") => "default check configuration",
        Ok("one-key") => "one-key test configuration",
        _ => "one-key test configuration, ≤ 2 clock steps under current",
    }
}

fn every_edge(rules: model::Rules, min_edges: usize) {
    let m = configuration(rules);
    let limit = max_edges();
    let reach = refine(&m, |_| {}, limit)
        .unwrap_or_else(|e| panic!("{}: an edge of the model graph diverges: {e}", rules.name()));
    eprintln!(
        "{} ({}): {} states expanded, {} edges executed ({} beyond the boundary), \
         largest level {}, {:.1} s, {:.0} edges/s",
        rules.name(),
        configuration_name(),
        reach.states,
        reach.edges,
        reach.beyond_boundary,
        reach.max_frontier,
        reach.seconds,
        reach.edges as f64 / reach.seconds
    );
    if limit == usize::MAX {
        assert!(
            reach.edges >= min_edges,
            "{}: only {} edges executed, expected at least {min_edges}",
            rules.name(),
            reach.edges
        );
    }
}

#[test]
fn every_edge_of_the_one_key_graph_refines_the_model_classic() {
    every_edge(model::Rules::classic(), 50_000);
}

#[test]
fn every_edge_of_the_one_key_graph_refines_the_model_current() {
    every_edge(model::Rules::current(), 100_000);
}

/// The `policies` feature configuration (issue 16): PutKeyPolicy with every
/// abstract document, with and without the bypass flag, GetKeyPolicy and
/// ListKeyPolicies, on a customer key of either origin in every key state
/// (Deleted included) and on the AWS managed key; every edge executed.
fn policies_configuration(rules: model::Rules) -> LifecycleModel {
    model::features::configurations(rules)
        .into_iter()
        .find(|(n, _)| *n == "policies")
        .expect("the policies configuration")
        .1
}

/// The `policies` configuration cut to what `cargo test` can walk edge by
/// edge: one customer key of either origin and no alias (`managed: false`),
/// or the AWS managed key alone (`managed: true`).
fn policies_refinement_configuration(rules: model::Rules, managed: bool) -> LifecycleModel {
    let mut m = policies_configuration(rules);
    m.aliases = 0;
    m.managed = managed;
    if managed {
        m.keys = 0;
    }
    m
}

fn policy_edges_in_every_state(rules: model::Rules) {
    let managed = refine(
        &policies_refinement_configuration(rules, true),
        |_| {},
        usize::MAX,
    )
    .unwrap_or_else(|e| panic!("{}: a managed key policy edge diverges: {e}", rules.name()));
    eprintln!(
        "{} (policies configuration, the AWS managed key): {} states, {} edges, {:.1} s",
        rules.name(),
        managed.states,
        managed.edges,
        managed.seconds
    );
    let m = policies_refinement_configuration(rules, false);
    let reach = refine(&m, |_| {}, usize::MAX)
        .unwrap_or_else(|e| panic!("{}: a key policy edge diverges: {e}", rules.name()));
    eprintln!(
        "{} (policies configuration): {} states expanded, {} edges executed, {:.1} s",
        rules.name(),
        reach.states,
        reach.edges,
        reach.seconds
    );
    // Every key state (and Deleted) was the source of a PutKeyPolicy edge.
    let mut states = std::collections::BTreeSet::new();
    let mut seen = HashSet::new();
    let mut todo = VecDeque::from(m.init_states());
    let mut actions = Vec::new();
    while let Some(s) = todo.pop_front() {
        if !seen.insert(s.clone()) {
            continue;
        }
        actions.clear();
        m.actions(&s, &mut actions);
        for &a in &actions {
            if let model::Action::PutKeyPolicy { key, .. } = a {
                states.insert(s.s.keys[key as usize].state);
            }
            if let Some(n) = m.next_state(&s, a)
                && m.within_boundary(&n)
            {
                todo.push_back(n);
            }
        }
    }
    use model::KeyState::*;
    for st in [Enabled, Disabled, PendingDeletion, PendingImport] {
        assert!(
            states.contains(&st),
            "{}: no PutKeyPolicy edge from {st:?}",
            rules.name()
        );
    }
}

#[test]
fn every_key_policy_edge_refines_the_model_classic() {
    policy_edges_in_every_state(model::Rules::classic());
}

#[test]
fn every_key_policy_edge_refines_the_model_current() {
    policy_edges_in_every_state(model::Rules::current());
}

/// A PutKeyPolicy that answers success but keeps the old policy is caught
/// by the refinement of the `policies` configuration.
#[cfg(feature = "test-bugs")]
#[test]
fn a_put_key_policy_that_changes_nothing_is_caught() {
    let bug = kms_lifecycle::testing::bugs::Bugs::only(
        kms_lifecycle::testing::bugs::PlantedBug::PutKeyPolicyIgnored,
    );
    for rules in [model::Rules::classic(), model::Rules::current()] {
        let e = refine(
            &policies_configuration(rules),
            |k| k.plant_bugs(bug),
            usize::MAX,
        )
        .expect_err("the ignored PutKeyPolicy is caught");
        assert!(e.contains("PutKeyPolicy"), "{e}");
        assert!(e.contains("key policy model"), "{e}");
    }
}

/// Every planted implementation bug of `src/bugs.rs` is caught by the
/// refinement of the `cargo test` configuration, each with a shortest
/// counterexample (breadth-first), under each rule set that can show it.
#[cfg(feature = "test-bugs")]
#[test]
fn every_planted_bug_is_caught_by_the_whole_graph_refinement() {
    use kms_lifecycle::testing::bugs::{Bugs, PlantedBug};
    // Every bug of the catalogue the implementation can plant, but the
    // PutKeyPolicy one: the one-key configuration offers no PutKeyPolicy (the
    // `policies` configuration catches it, above).
    let bugs = PlantedBug::in_reference()
        .filter(|&b| b != PlantedBug::PutKeyPolicyIgnored)
        .map(|b| {
            (
                b.name(),
                Bugs::only(b),
                b.rules() == model::Rules::classic(),
            )
        });
    for (name, bug, under_classic) in bugs {
        let mut sets = vec![model::Rules::current()];
        if under_classic {
            sets.push(model::Rules::classic());
        }
        for rules in sets {
            let m = cargo_test_configuration(rules);
            let start = Instant::now();
            match refine(&m, |k| k.plant_bugs(bug), usize::MAX) {
                Ok(reach) => panic!(
                    "planted bug {name} not caught under {} by {} edges",
                    rules.name(),
                    reach.edges
                ),
                Err(e) => {
                    let calls = e
                        .split("after ")
                        .nth(1)
                        .and_then(|t| t.split(' ').next())
                        .unwrap_or("?");
                    eprintln!(
                        "{name} ({}): caught after {calls} actions in {:.1?}",
                        rules.name(),
                        start.elapsed()
                    );
                }
            }
        }
    }
}
