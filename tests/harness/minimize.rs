//! A second shrinking pass after proptest's: greedy one-at-a-time deletion
//! that renumbers the keys and ciphertexts of the later actions.
//!
//! proptest-state-machine deletes transitions once, back to front, and never
//! renumbers: a `CreateKey` cannot go while a later action names a key created
//! after it, so its shrunk sequences keep unneeded keys. Here deleting the
//! action that created key `j` (or ciphertext `c`) drops the later actions on
//! that key (ciphertext) and shifts the higher indices down by one.

use kms_lifecycle_model as model;
use model::Action;

/// Deletes actions from `actions` while `fails` still holds, to a fixpoint.
/// `fails(actions)` must hold on entry. Every returned action is applicable
/// in the model after its prefix.
pub fn minimize(
    rules: &model::Rules,
    aliases: usize,
    actions: &[Action],
    fails: impl Fn(&[Action]) -> bool,
) -> Vec<Action> {
    let mut best = applicable_only(rules, aliases, actions);
    'outer: loop {
        for i in 0..best.len() {
            let candidate = without(rules, aliases, &best, i);
            if candidate.len() < best.len() && fails(&candidate) {
                best = candidate;
                continue 'outer;
            }
        }
        return best;
    }
}

/// The applicable actions of `actions`, in order (as `run_sequence` runs them).
fn applicable_only(rules: &model::Rules, aliases: usize, actions: &[Action]) -> Vec<Action> {
    let mut s = model::State::initial(aliases);
    let mut out = Vec::new();
    for a in actions {
        if model::applicable(&s, a) {
            s = model::step(rules, &s, a).swap_remove(0).1;
            out.push(*a);
        }
    }
    out
}

/// `actions` without action `i`, renumbered, non-applicable actions dropped.
fn without(rules: &model::Rules, aliases: usize, actions: &[Action], i: usize) -> Vec<Action> {
    let mut s = model::State::initial(aliases);
    for a in &actions[..i] {
        s = model::step(rules, &s, a).swap_remove(0).1;
    }
    let after = model::step(rules, &s, &actions[i]).swap_remove(0).1;
    let key = (after.keys.len() > s.keys.len()).then_some(s.keys.len() as u8);
    let ct = (after.ciphertexts.len() > s.ciphertexts.len()).then_some(s.ciphertexts.len() as u8);
    let rest: Vec<Action> = actions[i + 1..]
        .iter()
        .filter_map(|a| a.without(key, ct))
        .collect();
    let mut all = actions[..i].to_vec();
    all.extend(rest);
    applicable_only(rules, aliases, &all)
}
