//! The oracle's report: Markdown for people, JSON for tools.

use super::oracle::Outcome;
use super::severity;
use std::fmt::Write as _;

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown: a summary, then one section per violated rule
/// with its count and its shortest reproducing sequence.
pub fn markdown(o: &Outcome) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Conformance report: {}\n", o.target);
    if !o.findings.is_empty() || !o.missing.is_empty() {
        let _ = writeln!(out, "What is most wrong, most severe first:\n");
        for (i, f) in o.findings.iter().enumerate() {
            let _ = writeln!(out, "{}. {}", i + 1, md_escape(&severity::sentence(f)));
        }
        if !o.missing.is_empty() {
            let _ = writeln!(
                out,
                "{}. **missing** — operations not implemented: {}.",
                o.findings.len() + 1,
                o.missing
                    .iter()
                    .map(|m| format!("`{}`", m.operation))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Checked against the lifecycle model (`kms-lifecycle-model`, lenient oracle mode), rules `{}`, seed {}: {} sequences, {} calls of model actions, {:.1} s. Clock control: {}.\n",
        o.rules,
        o.seed,
        o.sequences,
        o.actions,
        o.elapsed_secs,
        if o.clock_control {
            "yes (`KmsLifecycle.` operations), time-driven rules checked"
        } else {
            "no, time-driven rules not checked"
        }
    );
    if o.findings.is_empty() {
        let _ = writeln!(out, "**No divergence found.**\n");
    } else {
        let _ = writeln!(
            out,
            "**{} divergent sequence(s), {} rule(s) violated.** Sequences go on after a divergence (re-anchored {} time(s); up to {} distinct rules in one sequence).\n",
            o.divergences(),
            o.findings.len(),
            o.reanchored,
            o.most_rules_in_a_sequence
        );
        let _ = writeln!(
            out,
            "| severity | rule | spec | sequences | shortest reproduction | rests on |"
        );
        let _ = writeln!(out, "|---|---|---|---:|---:|---|");
        for f in &o.findings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} calls | {} |",
                severity::of(f).label,
                md_escape(&f.rule),
                f.section,
                f.count,
                f.sequence.len(),
                md_escape(severity::basis(&f.rule))
            );
        }
        out.push('\n');
        for (i, f) in o.findings.iter().enumerate() {
            let _ = writeln!(
                out,
                "## {}. {} ({}, {})\n",
                i + 1,
                f.rule,
                f.section,
                severity::of(f).label
            );
            let _ = writeln!(out, "Rests on: {}.\n", severity::basis(&f.rule));
            let _ = writeln!(
                out,
                "Seen in {} sequence(s). Shortest reproducing sequence (shrunk):\n",
                f.count
            );
            let _ = writeln!(out, "| # | call | observed |");
            let _ = writeln!(out, "|---:|---|---|");
            for (n, s) in f.sequence.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} |",
                    n + 1,
                    md_escape(&s.call),
                    md_escape(&s.observed)
                );
            }
            let d = &f.divergence;
            let _ = writeln!(
                out,
                "\nDivergence at call {}, {}:\n",
                d.step + 1,
                md_escape(&d.call)
            );
            let _ = writeln!(out, "- expected (model): {}", md_escape(&d.expected));
            let _ = writeln!(out, "- observed: {}\n", md_escape(&d.observed));
        }
    }
    if !o.missing.is_empty() {
        let _ = writeln!(
            out,
            "## Operations not implemented\n\nEach answered as an operation the endpoint does not offer (HTTP 501 or 404, an unknown operation, or an HTML page) on its first call; the oracle then left it out of generation and of its probes. These rules could therefore not be checked:\n"
        );
        for m in &o.missing {
            let _ = writeln!(
                out,
                "- `{}`, first answer: {}",
                m.operation,
                md_escape(&m.answer)
            );
            for r in &m.unchecked_rules {
                let _ = writeln!(out, "  - not checked: {}", md_escape(r));
            }
        }
        out.push('\n');
    }
    if !o.unchecked.is_empty() {
        let _ = writeln!(
            out,
            "## Not checked\n\nThe endpoint offers no clock control (`KmsLifecycle.GetClock` / `KmsLifecycle.AdvanceClock`), so these rules, which need time to pass, were not checked:\n"
        );
        for r in &o.unchecked {
            let _ = writeln!(out, "- {r}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Keys are named `k0`, `k1`, ... in creation order and ciphertexts `ct0`, `ct1`, ...; times are relative to the start of the sequence. Reproduce with `kms-lifecycle conform --rules {} --seed {} --sequences {}`{}.",
        o.rules,
        o.seed,
        o.sequences,
        if o.target.starts_with("in-process") {
            String::new()
        } else {
            " --endpoint <URL>".to_string()
        }
    );
    out
}

/// The report as pretty-printed JSON.
pub fn json(o: &Outcome) -> String {
    serde_json::to_string_pretty(o).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
