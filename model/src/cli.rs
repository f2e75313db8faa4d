//! The `check` and `explore` commands (`kms-lifecycle check ...`,
//! `kms-lifecycle explore ...`). The only module that prints.

use crate::checker::{
    LifecycleModel, Limits, PlantedBug, format_counterexample, resident_mb, run_within,
    shortest_counterexample_within,
};
use crate::{DAY, Origin, Rules};
use stateright::Model;
use std::time::Instant;

const CHECK_USAGE: &str = "usage: kms-lifecycle check [--rules classic|current|both] [--keys N] \
[--horizon-days D] [--ticks N] [--full] [--max-depth N] [--max-states N] [--max-memory-mb M] \
[--threads N] [--symmetry|--no-symmetry] [--expect-unique-states RULES=N[,RULES=N]] \
[--plant-bug NAME] [--list-planted-bugs] [--config NAME|all] [--list-configs]

Explores every interleaving of the lifecycle's operations and clock steps
(docs/model.md) and checks every property.

  --rules R       classic, current or both (default both)
  --keys N        customer managed keys (default 2)
  --horizon-days D  the clock stops at D days + 1 s (default 730)
  --ticks N       time steps per path (default 2)
  --full          every argument choice and on-demand limit 2 (much larger)
  --max-depth N   bounded run: paths of at most N - 2 operations
  --max-states N  stop a run (each rule set, and each run of the shortest-
                  counterexample search) once N unique states have been
                  generated (default 20000000; the default configuration has
                  330631 / 3567792)
  --max-memory-mb M  stop a run once the process has M MB resident (default
                  2048; the default configuration needs about 45 MB)
  --threads N     checker threads (default: every core)
  --expect-unique-states classic=N,current=M
                  fail unless the unique state count of each rule set is
                  exactly this (a change to the model's size is deliberate)
  --plant-bug NAME  run with a deliberate bug (--list-planted-bugs)
  --config NAME   run a feature configuration instead of the default one
                  (all: every one); each claims features the default cannot
                  reach (an AWS managed key, ReEncrypt, three clock steps,
                  jumps and coinciding deadlines, expire-reimport-expire, the
                  real on-demand limit) and fails unless it reaches them
  --list-configs  which configuration covers which feature

A state that breaks an always-property is reported and not expanded further
(its successors are not explored); without a violation this changes nothing.

Exit status:
  0  every always-property holds, every sometimes-property was found (with
     --max-depth: those not reached within the depth are reported as
     \"not reached within depth N\" and do not fail the run), and every
     --expect-unique-states count matched
  1  an always-property is violated (the shortest counterexample is printed;
     also when a bound stopped the run afterwards: a counterexample found
     before the stop is real), a sometimes-property was not found in a run
     that finished without --max-depth, or a unique state count differs from
     --expect-unique-states
  2  bad arguments
  3  stopped: a bound (--max-states, --max-memory-mb) was reached before the
     search finished and nothing above failed; this is not a verdict (the
     properties not yet violated or found are reported as undecided)
  101  a checker thread panicked (a bug in the model): never a verdict";

const EXPLORE_USAGE: &str = "usage: kms-lifecycle explore [--rules classic|current] [--keys N] \
[--horizon-days D] [--ticks N] [--addr HOST:PORT] [--plant-bug NAME]";

struct Options {
    rules: Vec<Rules>,
    keys: Option<usize>,
    horizon_days: Option<u64>,
    ticks: Option<u8>,
    max_depth: Option<usize>,
    threads: usize,
    symmetry: bool,
    bug: Option<PlantedBug>,
    list_bugs: bool,
    full: bool,
    config: Option<String>,
    list_configs: bool,
    expect: Vec<(String, usize)>,
    limits: Limits,
    addr: String,
}

fn parse(args: &[String], explore: bool) -> Result<Options, String> {
    let mut o = Options {
        rules: vec![Rules::classic(), Rules::current()],
        keys: None,
        horizon_days: None,
        ticks: None,
        max_depth: None,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        symmetry: true,
        bug: None,
        list_bugs: false,
        full: false,
        config: None,
        list_configs: false,
        expect: Vec::new(),
        limits: Limits::default(),
        addr: "127.0.0.1:3000".to_string(),
    };
    let mut it = args.iter();
    fn num<T: std::str::FromStr>(flag: &str, v: Option<&String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse()
            .map_err(|_| format!("{flag}: not a valid number: {v:?}"))
    }
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rules" => {
                let v = it.next().ok_or("--rules needs a value")?;
                o.rules = match v.as_str() {
                    "both" if !explore => vec![Rules::classic(), Rules::current()],
                    name => vec![Rules::by_name(name).ok_or_else(|| {
                        format!(
                            "--rules: unknown rule set {name:?} (classic, current{})",
                            if explore { "" } else { ", both" }
                        )
                    })?],
                };
            }
            "--keys" => {
                let k: usize = num(a, it.next())?;
                if !(1..=4).contains(&k) {
                    return Err("--keys must be between 1 and 4".into());
                }
                o.keys = Some(k);
            }
            "--horizon-days" => o.horizon_days = Some(num(a, it.next())?),
            "--ticks" => o.ticks = Some(num(a, it.next())?),
            "--max-depth" => {
                let d: usize = num(a, it.next())?;
                if d < 2 {
                    return Err("--max-depth must be at least 2".into());
                }
                o.max_depth = Some(d);
            }
            "--max-states" if !explore => {
                let n: usize = num(a, it.next())?;
                if n == 0 {
                    return Err("--max-states must be at least 1".into());
                }
                o.limits.max_states = n;
            }
            "--max-memory-mb" if !explore => {
                let n: u64 = num(a, it.next())?;
                if n == 0 {
                    return Err("--max-memory-mb must be at least 1".into());
                }
                o.limits.max_memory_mb = n;
            }
            "--threads" => {
                let t: usize = num(a, it.next())?;
                if t == 0 {
                    return Err("--threads must be at least 1".into());
                }
                o.threads = t;
            }
            "--symmetry" => o.symmetry = true,
            "--no-symmetry" => o.symmetry = false,
            "--plant-bug" => {
                let v = it.next().ok_or("--plant-bug needs a name")?;
                let bug = PlantedBug::by_name(v).ok_or_else(|| {
                    format!("--plant-bug: unknown bug {v:?} (see --list-planted-bugs)")
                })?;
                if !bug.in_model() {
                    return Err(format!(
                        "--plant-bug: {v} is planted in the implementation only (feature \
                         test-bugs, tests/planted_bugs.rs); see --list-planted-bugs"
                    ));
                }
                o.bug = Some(bug);
            }
            "--list-planted-bugs" => o.list_bugs = true,
            "--full" => o.full = true,
            "--config" if !explore => {
                let v = it
                    .next()
                    .ok_or("--config needs a name (see --list-configs)")?;
                let known: Vec<&str> = crate::features::configurations(Rules::current())
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect();
                if v != "all" && !known.contains(&v.as_str()) {
                    return Err(format!(
                        "--config: unknown configuration {v:?} (all, {})",
                        known.join(", ")
                    ));
                }
                o.config = Some(v.clone());
            }
            "--list-configs" if !explore => o.list_configs = true,
            "--expect-unique-states" if !explore => {
                let v = it
                    .next()
                    .ok_or("--expect-unique-states needs RULES=N[,RULES=N]")?;
                for part in v.split(',') {
                    let (name, n) = part.split_once('=').ok_or_else(|| {
                        format!("--expect-unique-states: expected RULES=N, got {part:?}")
                    })?;
                    if Rules::by_name(name).is_none() {
                        return Err(format!("--expect-unique-states: unknown rule set {name:?}"));
                    }
                    let n: usize = n.parse().map_err(|_| {
                        format!("--expect-unique-states: not a valid number: {n:?}")
                    })?;
                    o.expect.push((name.to_string(), n));
                }
            }
            "--addr" if explore => o.addr = it.next().ok_or("--addr needs a value")?.clone(),
            "-h" | "--help" => return Err("help".into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(o)
}

fn model_for(o: &Options, rules: Rules) -> LifecycleModel {
    let base = if o.full {
        LifecycleModel::full(rules)
    } else {
        LifecycleModel::new(rules)
    };
    let mut m = base.with_bug(o.bug);
    if let Some(k) = o.keys {
        m.keys = k;
        m.max_external = m.max_external.min(k);
    }
    if let Some(d) = o.horizon_days {
        m.horizon = d * DAY + 1;
    }
    if let Some(t) = o.ticks {
        m.max_ticks = t;
    }
    m
}

/// `check --list-configs`: every configuration and what it covers.
fn list_configs() {
    println!("configuration     rules            covers");
    println!(
        "(default)         classic, current every transition of §2, every exception of §3, every sometimes-property"
    );
    for (name, m) in crate::features::configurations(Rules::current()) {
        let rules = if crate::features::configurations(Rules::classic())
            .iter()
            .any(|(n, _)| *n == name)
        {
            "classic, current"
        } else {
            "current"
        };
        let claims: Vec<&str> = m.claims.iter().map(|f| f.label()).collect();
        println!("{name:<17} {rules:<16} {}", claims.join("; "));
    }
}

fn describe(m: &LifecycleModel) -> String {
    format!(
        "rules={} keys={} (EXTERNAL ≤ {}) aliases={} ciphertexts={} horizon={} time-steps≤{} on-demand-limit={}{}",
        m.rules.name_or_base(),
        m.keys,
        m.max_external,
        m.aliases,
        m.ciphertexts,
        crate::fmt_time(m.horizon),
        m.max_ticks,
        m.rules.on_demand_limit,
        m.planted
            .map(|b| format!(" planted-bug={}", b.name()))
            .unwrap_or_default()
    )
}

/// `kms-lifecycle check ...`: exit 0 when every property holds and every
/// `sometimes` was found, 1 on a violation (after printing the shortest
/// counterexample) or a missing example, 2 on bad arguments, 3 when a bound
/// (`--max-states`, `--max-memory-mb`) stopped a run and nothing failed.
pub fn check_main(args: &[String]) -> i32 {
    let o = match parse(args, false) {
        Ok(o) => o,
        Err(e) if e == "help" => {
            println!("{CHECK_USAGE}");
            return 0;
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("{CHECK_USAGE}");
            return 2;
        }
    };
    if o.list_bugs {
        // The model's bugs can be planted here; the others only in the
        // implementation (feature test-bugs; tests/planted_bugs.rs).
        for b in PlantedBug::all() {
            let place = match (b.in_model(), b.in_implementation()) {
                (true, true) => "model and implementation",
                (true, false) => "model",
                _ => "implementation only",
            };
            println!(
                "{:<44} {} (rules: {}; {place})",
                b.name(),
                b.description(),
                b.rules().name()
            );
        }
        return 0;
    }
    if o.list_configs {
        list_configs();
        return 0;
    }
    let mut runs: Vec<(Rules, Option<&'static str>, LifecycleModel)> = Vec::new();
    for &rules in &o.rules {
        match &o.config {
            None => runs.push((rules, None, model_for(&o, rules))),
            Some(want) => {
                for (name, m) in crate::features::configurations(rules) {
                    if want == "all" || want == name {
                        runs.push((rules, Some(name), m.with_bug(o.bug)));
                    }
                }
            }
        }
    }
    let mut failed = false;
    let mut stopped = false;
    let all_configs = o.config.as_deref() == Some("all");
    // Spec §3 cells hit, per rule set, over the runs of this command.
    let mut cells_hit: Vec<(Rules, Vec<crate::table::CellId>)> = Vec::new();
    for (rules, config, m) in runs {
        match config {
            None => println!("== check {}", describe(&m)),
            Some(name) => println!("== check --config {name}: {}", describe(&m)),
        }
        println!(
            "   exploration: {} ({} thread{}){}; bounds: {} unique states, {} MB resident",
            if o.symmetry {
                "DFS with symmetry reduction over key ids"
            } else {
                "BFS"
            },
            o.threads,
            if o.threads == 1 { "" } else { "s" },
            o.max_depth
                .map(|d| format!(", max depth {d}"))
                .unwrap_or_default(),
            o.limits.max_states,
            o.limits.max_memory_mb,
        );
        let start = Instant::now();
        let r = run_within(
            &m,
            o.threads,
            o.symmetry,
            o.max_depth,
            &o.limits,
            &mut |states, unique, depth| {
                let secs = start.elapsed().as_secs_f64();
                println!(
                    "   progress: states={states} unique={unique} depth={depth} states/s={:.0} elapsed={secs:.0}s{}",
                    states as f64 / secs.max(1e-9),
                    resident_mb()
                        .map(|mb| format!(" resident={mb}MB"))
                        .unwrap_or_default()
                );
            },
        );
        let secs = r.elapsed.as_secs_f64();
        println!("   states generated: {}", r.states);
        println!("   unique states:    {}", r.unique);
        println!("   max depth:        {}", r.max_depth);
        println!(
            "   states/s:         {:.0}",
            r.states as f64 / secs.max(1e-9)
        );
        println!("   elapsed:          {secs:.2}s");
        if let Some(mb) = r.peak_memory_mb {
            println!("   peak resident:    {mb} MB (sampled)");
        }
        if let Some(stop) = r.stopped {
            println!(
                "   stopped: {stop} after {secs:.1}s ({} states generated, max depth {}); this is not a verdict: raise {} to explore further",
                r.states,
                r.max_depth,
                stop.flag()
            );
        }
        let mut not_reached = 0;
        for (name, always, ok) in &r.verdicts {
            let verdict = match (always, ok, o.max_depth) {
                (true, false, _) => "VIOLATED".to_string(),
                (false, true, _) => "found".to_string(),
                _ if r.stopped.is_some() => "undecided".to_string(),
                (true, true, _) => "holds".to_string(),
                (false, false, None) => "NOT FOUND".to_string(),
                (false, false, Some(d)) => {
                    not_reached += 1;
                    format!("not reached within depth {d}")
                }
            };
            println!(
                "   [{verdict:>9}] {}{name}",
                if *always { "always " } else { "" }
            );
        }
        // Spec §3's table: which cells this run's steps hit. A default
        // configuration must hit every cell its keys can be in (no managed
        // key, or no EXTERNAL key, removes theirs).
        let wanted: Vec<_> = crate::table::possible_cells(&m.rules)
            .into_iter()
            .filter(|c| {
                (m.managed || !c.managed)
                    && (m.max_external > 0 || c.origin == Origin::AwsKms)
                    && (m.policies || crate::table::OPERATIONS[c.op] != "PutKeyPolicy")
            })
            .collect();
        let unhit = crate::table::missed(&wanted, &r.cells);
        println!(
            "   §3 table cells:   {} of the {} this configuration's keys can be in{}",
            wanted.len() - unhit.len(),
            wanted.len(),
            if unhit.is_empty() {
                String::new()
            } else {
                format!(
                    "; not hit: {}",
                    unhit
                        .iter()
                        .map(|c| c.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        if m.full_coverage && !unhit.is_empty() && r.stopped.is_none() && o.max_depth.is_none() {
            println!("   §3 TABLE CELLS NOT HIT by a default configuration (above)");
            failed = true;
        }
        match cells_hit.iter_mut().find(|(r, _)| r.name() == rules.name()) {
            Some((_, hit)) => hit.extend(r.cells.iter().copied()),
            None => cells_hit.push((rules, r.cells.clone())),
        }
        let violated = r.violated();
        let missing = r.stopped.is_none() && o.max_depth.is_none() && !r.ok() && !violated;
        if violated || missing {
            failed = true;
        }
        if violated {
            println!(
                "   note: states that break an always-property are not expanded, so the other verdicts cover the states reached without breaking one"
            );
        }
        if r.stopped.is_some() && !violated {
            stopped = true;
        }
        if not_reached > 0 {
            println!(
                "   note: {not_reached} sometimes-propert{} not reached within depth {} (not a failure of a bounded run)",
                if not_reached == 1 { "y" } else { "ies" },
                o.max_depth.unwrap_or_default()
            );
        }
        if let Some((_, n)) = o
            .expect
            .iter()
            .find(|(name, _)| config.is_none() && name == rules.name())
        {
            if r.stopped.is_some() {
                println!(
                    "   unique states not compared with the expected {n}: the run was stopped"
                );
            } else if r.unique == *n {
                println!("   unique states match the expected {n}");
            } else {
                println!(
                    "   UNIQUE STATES CHANGED: expected {n}, got {} (update the pinned count if the change is deliberate)",
                    r.unique
                );
                failed = true;
            }
        }
        if !r.violations.is_empty() {
            let names: Vec<&'static str> = r.violations.iter().map(|(n, _)| *n).collect();
            // The shortest of the paths the run found (DFS: not the shortest).
            let (known_name, known) = r
                .violations
                .iter()
                .min_by_key(|(_, p)| p.clone().into_actions().len())
                .expect("a violation");
            let len = known.clone().into_actions().len();
            println!(
                "   searching the shortest counterexample to {} (iterative deepening, BFS)...",
                if names.len() == 1 {
                    format!("\"{}\"", names[0])
                } else {
                    format!("any of the {} violated properties", names.len())
                }
            );
            let s = shortest_counterexample_within(&m, &names, len, o.threads, &o.limits);
            let (name, p) = s.path.unwrap_or_else(|| (known_name, known.clone()));
            let note = match s.stopped {
                Some(stop) => format!(
                    "; not proven shortest: the search stopped, {stop} (raise {})",
                    stop.flag()
                ),
                None => String::new(),
            };
            println!(
                "   shortest counterexample, to \"{name}\" ({} steps{note}):",
                p.clone().into_actions().len()
            );
            print!("{}", format_counterexample(&m, &p));
        }
    }
    if all_configs && !stopped && o.max_depth.is_none() {
        // The feature configurations together: every cell a key can be in.
        for (rules, hit) in &cells_hit {
            let unhit = crate::table::missed(&crate::table::possible_cells(rules), hit);
            if unhit.is_empty() {
                println!(
                    "== §3 table cells under {}: every possible cell hit by some configuration",
                    rules.name()
                );
            } else {
                println!(
                    "== §3 TABLE CELLS NOT HIT under {} by any configuration: {}",
                    rules.name(),
                    unhit
                        .iter()
                        .map(|c| c.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                failed = true;
            }
        }
    }
    if failed {
        println!("FAILED");
        1
    } else if stopped {
        println!(
            "STOPPED: a bound was reached before the search finished; not a verdict (exit 3; raise --max-states or --max-memory-mb)"
        );
        3
    } else {
        println!(
            "OK: every property holds and every example was found{}",
            if o.max_depth.is_some() {
                " (or not reached within the depth)"
            } else {
                ""
            }
        );
        0
    }
}

/// `kms-lifecycle explore ...`: serve stateright's Explorer on 127.0.0.1.
pub fn explore_main(args: &[String]) -> i32 {
    let o = match parse(args, true) {
        Ok(o) => o,
        Err(e) if e == "help" => {
            println!("{EXPLORE_USAGE}");
            return 0;
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("{EXPLORE_USAGE}");
            return 2;
        }
    };
    let host = o.addr.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        eprintln!("error: --addr must be a loopback address (127.0.0.1:PORT)");
        return 2;
    }
    let m = model_for(&o, o.rules[0]);
    println!("explore {} on http://{}", describe(&m), o.addr);
    m.checker().threads(o.threads).serve(o.addr.as_str());
    0
}
