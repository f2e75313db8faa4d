//! `kms-lifecycle conform`: the oracle's command line.

use super::cleanup::{self, SharedCreated};
use super::credentials;
use super::oracle::{Oracle, OracleConfig, Target};
use super::report;
use kms_lifecycle_model as model;
use std::io::Write as _;
use std::time::Duration;

const HELP: &str =
    "usage: kms-lifecycle conform [--endpoint URL|aws] [--region R] [--profile P] [--cleanup]
       [--rules classic|current] [--seed S] [--sequences N] [--max-length L]
       [--report FILE] [--time-budget SECONDS] [--shrink-replays N] [--settle SECONDS]

Checks a KMS implementation against the lifecycle model: generated sequences of
calls, every answer checked against the model (accepting every answer AWS
permits), divergences grouped by violated rule, each with a shrunk reproducing
sequence. Without --endpoint it checks the in-process reference.

With an endpoint that offers the KmsLifecycle.GetClock/AdvanceClock operations
(`kms-lifecycle serve --clock manual`) time-driven rules are checked too;
otherwise the report lists them as not checked.

A sequence goes on after a divergence (from the model states consistent with
what the implementation did, or with fresh keys); operations the endpoint does
not implement are reported once and left out.

Real services: `--endpoint aws` is https://kms.<region>.amazonaws.com.
Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
else the shared credentials and config files (--profile, else AWS_PROFILE,
else default); the region from --region, AWS_REGION, AWS_DEFAULT_REGION or the
profile. --cleanup deletes every alias the run created and schedules every key
it created for deletion (7 days) at the end, also after Ctrl-C. --settle
(default 0 on loopback, 30 elsewhere) is how long a probe waits for an
eventually consistent answer (an asynchronous RotateKeyOnDemand, a stale list).

Writes FILE.md and FILE.json (default conform-report). Exit status: 0 no
divergence, 1 divergences found, 2 bad arguments.";

/// Runs the command; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let mut cfg = OracleConfig::default();
    let mut endpoint: Option<String> = None;
    let mut region: Option<String> = None;
    let mut report_base = "conform-report".to_string();
    let mut profile: Option<String> = None;
    let mut settle: Option<Duration> = None;
    let cleanup = args.iter().any(|a| a == "--cleanup");
    let args: Vec<String> = args.iter().filter(|a| *a != "--cleanup").cloned().collect();
    let parsed = crate::args::parse(&args, HELP, |flag, value| {
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
            "--shrink-replays" => value.parse().map(|n| cfg.max_shrink_replays = n).is_ok(),
            "--settle" => value
                .parse::<u64>()
                .map(|s| settle = Some(Duration::from_secs(s)))
                .is_ok(),
            "--profile" => {
                profile = Some(value.clone());
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
    let created: SharedCreated = Default::default();
    let mut http: Option<(String, String, super::http::Credentials)> = None;
    let mut target = match &endpoint {
        None => Target::in_process(&cfg.rules),
        Some(url) => {
            let found = credentials::resolve(profile.as_deref());
            let region = region.clone().or(found.region.clone());
            let url = if url == "aws" {
                format!(
                    "https://kms.{}.amazonaws.com",
                    region.as_deref().unwrap_or("us-east-1")
                )
            } else {
                url.clone()
            };
            eprintln!("credentials: {}", found.source);
            let loopback = ["://127.", "://localhost", "://[::1]"]
                .iter()
                .any(|h| url.contains(h));
            cfg.settle = settle.unwrap_or(Duration::from_secs(if loopback { 0 } else { 30 }));
            let track = cleanup.then(|| created.clone());
            match Target::http_with(&url, region.as_deref(), found.credentials.clone(), track) {
                Ok(t) => {
                    http = Some((url, region.unwrap_or_default(), found.credentials));
                    t
                }
                Err(e) => {
                    eprintln!("--endpoint: {e}");
                    return 2;
                }
            }
        }
    };
    super::interrupt::install();
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
    if super::interrupt::requested() {
        eprintln!("interrupted: reporting what was found so far");
    }
    if cleanup && let Some((url, region, creds)) = &http {
        let region = (!region.is_empty()).then_some(region.as_str());
        match super::HttpKms::new(url, region, creds.clone()) {
            Ok(mut api) => {
                let (aliases, keys, failures) = cleanup::clean(&mut api, &created);
                eprintln!(
                    "cleanup: {aliases} alias(es) deleted, {keys} key(s) scheduled for deletion in 7 days"
                );
                for f in failures {
                    eprintln!("cleanup failed: {f}");
                }
            }
            Err(e) => eprintln!("cleanup: {e}"),
        }
    }
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
