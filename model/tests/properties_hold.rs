//! Every property holds, and every claim is reached, on the small
//! configurations: the test that measures how tightly the properties pin
//! `step` down (`scripts/mutants-model`, docs/verification.md §5a).
//!
//! It asserts only verdicts of the properties, never a state count: a mutant
//! of `step` that changes the size of the graph but breaks no stated rule
//! must survive here, so that the mutation score measures the properties and
//! not the pins of `tests/check.rs`.

use kms_lifecycle_model::checker::{LifecycleModel, RunReport, run};
use kms_lifecycle_model::features::configurations;
use kms_lifecycle_model::table::{OPERATIONS, missed, possible_cells};
use kms_lifecycle_model::{Origin, Rules};

fn check(m: &LifecycleModel) -> RunReport {
    run(m, 1, true, None, &mut |_, _, _| {})
}

/// The verdicts that failed, and the §3 cells the configuration's keys can be
/// in that no step hit. A `sometimes` whose name contains one of `unreachable`
/// may go unfound (the configuration cannot reach it); an `always` must hold.
fn failures(name: &str, m: &LifecycleModel, unreachable: &[&str]) -> Vec<String> {
    let r = check(m);
    let mut out: Vec<String> = r
        .verdicts
        .iter()
        .filter(|(n, always, ok)| !ok && (*always || !unreachable.iter().any(|a| n.contains(a))))
        .map(|(n, _, _)| format!("{name} ({}): {n}", m.rules.name()))
        .collect();
    if let Some(s) = &r.stopped {
        out.push(format!("{name}: stopped: {s:?}"));
    }
    let wanted: Vec<_> = possible_cells(&m.rules)
        .into_iter()
        .filter(|c| {
            (m.managed || !c.managed)
                && (m.max_external > 0 || c.origin == Origin::AwsKms)
                && (m.policies || OPERATIONS[c.op] != "PutKeyPolicy")
        })
        .collect();
    if m.full_coverage {
        out.extend(
            missed(&wanted, &r.cells)
                .iter()
                .map(|c| format!("{name} ({}): cell never hit: {}", m.rules.name(), c.label())),
        );
    }
    out
}

#[test]
fn every_property_holds_and_every_claim_is_reached_on_the_small_configurations() {
    let mut bad = Vec::new();
    for rules in [Rules::classic(), Rules::current()] {
        // One key: a Decrypt naming another key cannot happen there.
        bad.extend(failures(
            "one key",
            &LifecycleModel::test_config(rules),
            &["IncorrectKeyException"],
        ));
        // Two AWS_KMS keys and one clock step: nothing imported, and under
        // `current` no second automatic rotation.
        bad.extend(failures(
            "two keys",
            &LifecycleModel::test_config_two_keys(rules),
            &[
                "PendingImport",
                "imported",
                "EXTERNAL",
                "ImportKeyMaterial",
                "DeleteImportedKeyMaterial",
                "ValidTo",
                "KeyMaterialException",
                "ImportTokenException",
                "two automatic rotations",
            ],
        ));
        for (name, m) in configurations(rules) {
            bad.extend(failures(name, &m, &[]));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
