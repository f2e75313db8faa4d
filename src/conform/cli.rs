//! `kms-lifecycle conform`: the oracle's command line.

use super::oracle::{Oracle, OracleConfig, Target};
use super::report;
use kms_lifecycle_model as model;
use std::io::Write as _;
use std::time::Duration;

const HELP: &str =
    "usage: kms-lifecycle conform [--endpoint URL] [--region R] [--rules classic|current]
       [--seed S] [--sequences N] [--max-length L] [--report FILE] [--time-budget SECONDS]

Checks a KMS implementation against the lifecycle model: generated sequences of
calls, every answer checked against the model (accepting every answer AWS
permits), divergences grouped by violated rule, each with a shrunk reproducing
sequence. Without --endpoint it checks the in-process reference.

With an endpoint that offers the KmsLifecycle.GetClock/AdvanceClock operations
(`kms-lifecycle serve --clock manual`) time-driven rules are checked too;
otherwise the report lists them as not checked.

Writes FILE.md and FILE.json (default conform-report). Exit status: 0 no
divergence, 1 divergences found, 2 bad arguments.";

/// Runs the command; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let mut cfg = OracleConfig::default();
    let mut endpoint: Option<String> = None;
    let mut region: Option<String> = None;
    let mut report_base = "conform-report".to_string();
    let parsed = crate::args::parse(args, HELP, |flag, value| {
        Some(match flag {
            "--endpoint" => {
                endpoint = Some(value.clone());
                true
            }
            "--region" => {
                region = Some(value.clone());
                !value.is_empty()
            }
            "--rules" => model::Rules::by_name(value)
                .map(|r| cfg.rules = r)
                .is_some(),
            "--seed" => value.parse().map(|s| cfg.seed = s).is_ok(),
            "--sequences" => value.parse().map(|n| cfg.sequences = n).is_ok(),
            "--max-length" => value
                .parse::<usize>()
                .ok()
                .filter(|&l| (1..=200).contains(&l))
                .map(|l| cfg.max_length = l)
                .is_some(),
            "--report" => {
                report_base = value
                    .strip_suffix(".md")
                    .or_else(|| value.strip_suffix(".json"))
                    .unwrap_or(value)
                    .to_string();
                !value.is_empty()
            }
            "--time-budget" => value
                .parse::<u64>()
                .map(|s| cfg.time_budget = Some(Duration::from_secs(s)))
                .is_ok(),
            _ => return None,
        })
    });
    if let Err(status) = parsed {
        return status;
    }
    let mut target = match &endpoint {
        None => Target::in_process(&cfg.rules),
        Some(url) => match Target::http(url, region.as_deref()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("--endpoint: {e}");
                return 2;
            }
        },
    };
    eprintln!(
        "kms-lifecycle conform: {} sequences of at most {} calls against {} (rules {}, seed {})",
        cfg.sequences,
        cfg.max_length,
        target.name,
        cfg.rules.name(),
        cfg.seed
    );
    let oracle = Oracle::new(cfg);
    let step = (oracle.config.sequences / 20).max(1);
    let outcome = oracle.run(&mut target, |p| {
        if p.done % step == 0 || p.done == p.total {
            eprintln!(
                "  {}/{} sequences, {} divergent, {} rule(s) violated",
                p.done, p.total, p.divergences, p.rules
            );
        }
    });
    let md = report::markdown(&outcome);
    let json = report::json(&outcome);
    let (md_path, json_path) = (format!("{report_base}.md"), format!("{report_base}.json"));
    for (path, text) in [(&md_path, &md), (&json_path, &json)] {
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("cannot write {path}: {e}");
        }
    }
    let mut stdout = std::io::stdout().lock();
    if outcome.findings.is_empty() {
        let _ = writeln!(
            stdout,
            "no divergence in {} sequences ({} calls)",
            outcome.sequences, outcome.actions
        );
    } else {
        let _ = writeln!(
            stdout,
            "{} divergent sequence(s), {} rule(s) violated:",
            outcome.divergences(),
            outcome.findings.len()
        );
        for f in &outcome.findings {
            let _ = writeln!(
                stdout,
                "  [{}] {} ({}): {} sequence(s), shortest {} calls",
                super::severity::of(f).label,
                f.rule,
                f.section,
                f.count,
                f.sequence.len()
            );
            for (i, s) in f.sequence.iter().enumerate() {
                let _ = writeln!(stdout, "      {}. {} → {}", i + 1, s.call, s.observed);
            }
            let _ = writeln!(
                stdout,
                "      expected {}; observed {}",
                f.divergence.expected, f.divergence.observed
            );
        }
    }
    for m in &outcome.missing {
        let _ = writeln!(stdout, "not implemented: {} ({})", m.operation, m.answer);
    }
    if !outcome.unchecked.is_empty() {
        let _ = writeln!(
            stdout,
            "not checked (no clock control): {}",
            outcome.unchecked.join("; ")
        );
    }
    let _ = writeln!(stdout, "report: {md_path}, {json_path}");
    i32::from(!outcome.findings.is_empty())
}
