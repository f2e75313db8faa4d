//! Helpers shared by the tests that show transition rules can fail.

use kms_lifecycle_model::properties::{TRANSITION_RULES, TransitionRule};
use kms_lifecycle_model::{Action, Response, Rules, State, step};

/// The transition rule called `name`.
pub fn rule(name: &str) -> TransitionRule {
    TRANSITION_RULES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no transition rule {name}"))
        .1
}

/// The one outcome of `a` in `s`.
pub fn run(rules: &Rules, s: &State, a: Action) -> (Response, State) {
    let mut out = step(rules, s, &a);
    assert_eq!(out.len(), 1, "{a:?} applicable, one outcome");
    out.remove(0)
}
