//! The lifecycle diagram, generated from the model's own transition function:
//! explore every reachable state of a one-key model (plus the AWS managed key)
//! under both rule sets, collect the (from-state, cause, to-state) triples of
//! every step ([`crate::properties::transitions`]) and render them as Graphviz
//! DOT and Mermaid. `docs/lifecycle.dot` and `docs/lifecycle.mmd` are this
//! output; a test fails when they differ (`UPDATE_DIAGRAMS=1 cargo test -p
//! kms-lifecycle-model diagram` rewrites them).

use crate::checker::{CheckState, LifecycleModel};
use crate::properties::{Cause, Transition, transitions};
use crate::{KeyState, Rules};
use stateright::Model;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

/// Every key transition reachable in the diagram's models.
pub fn collect_transitions() -> BTreeSet<Transition> {
    let mut out = BTreeSet::new();
    for rules in [Rules::classic(), Rules::current()] {
        let mut m = LifecycleModel::test_config(rules);
        m.managed = true;
        m.max_ticks = 2;
        let init = m.init_states();
        let mut seen: HashSet<CheckState> = init.iter().cloned().collect();
        let mut queue: VecDeque<CheckState> = init.into_iter().collect();
        let mut actions = Vec::new();
        while let Some(s) = queue.pop_front() {
            actions.clear();
            m.actions(&s, &mut actions);
            for a in actions.drain(..) {
                let Some((r, after)) = m.outcomes(&s.s, &a).into_iter().next() else {
                    continue;
                };
                out.extend(transitions(&s.s, &a, &r, &after));
                if let Some(n) = m.next_state(&s, a)
                    && m.within_boundary(&n)
                    && seen.insert(n.clone())
                {
                    queue.push_back(n);
                }
            }
        }
    }
    out
}

type Edges = BTreeMap<(Option<KeyState>, KeyState, bool), Vec<Cause>>;

fn edges(ts: &BTreeSet<Transition>) -> Edges {
    let mut e: Edges = BTreeMap::new();
    for t in ts {
        let v = e.entry((t.from, t.to, t.cause.is_clock())).or_default();
        if !v.contains(&t.cause) {
            v.push(t.cause);
        }
    }
    e
}

/// Graphviz DOT: operations solid, clock events dashed.
pub fn render_dot(ts: &BTreeSet<Transition>) -> String {
    let mut s = String::from(
        "// Generated from the model's step function by model/src/diagram.rs.\n\
         // Regenerate: UPDATE_DIAGRAMS=1 cargo test -p kms-lifecycle-model diagram\n\
         digraph kms_key_lifecycle {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n  \
         start [shape=point];\n",
    );
    for st in KeyState::ALL {
        s.push_str(&format!("  {};\n", st.name()));
    }
    for ((from, to, clock), causes) in edges(ts) {
        let label: Vec<&str> = causes.iter().map(|c| c.label()).collect();
        s.push_str(&format!(
            "  {} -> {} [label=\"{}\"{}];\n",
            from.map_or("start", |f| f.name()),
            to.name(),
            label.join("\\n"),
            if clock { ", style=dashed" } else { "" }
        ));
    }
    s.push_str("}\n");
    s
}

/// Mermaid `stateDiagram-v2`.
pub fn render_mermaid(ts: &BTreeSet<Transition>) -> String {
    let mut s = String::from(
        "%% Generated from the model's step function by model/src/diagram.rs.\n\
         %% Regenerate: UPDATE_DIAGRAMS=1 cargo test -p kms-lifecycle-model diagram\n\
         stateDiagram-v2\n",
    );
    for ((from, to, _), causes) in edges(ts) {
        let label: Vec<&str> = causes.iter().map(|c| c.label()).collect();
        s.push_str(&format!(
            "    {} --> {}: {}\n",
            from.map_or("[*]", |f| f.name()),
            to.name(),
            label.join(" / ")
        ));
    }
    s.push_str("    Deleted --> [*]\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagram_matches_committed_files() {
        let ts = collect_transitions();
        // Every row of spec §2 shows in the picture.
        for t in crate::properties::REQUIRED_TRANSITIONS {
            assert!(ts.contains(t), "missing from the diagram: {}", t.label());
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        for (file, text) in [
            ("lifecycle.dot", render_dot(&ts)),
            ("lifecycle.mmd", render_mermaid(&ts)),
        ] {
            let path = dir.join(file);
            if std::env::var_os("UPDATE_DIAGRAMS").is_some() {
                std::fs::write(&path, &text).expect("write diagram");
                continue;
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == text,
                "docs/{file} does not match the model; regenerate with \
                 UPDATE_DIAGRAMS=1 cargo test -p kms-lifecycle-model diagram"
            );
        }
    }
}
