//! Running the checker within bounds (states, memory, time), and the shortest
//! counterexample of a violated property.

use super::*;

/// Bounds on one run of the checker (`check --max-states`, `--max-memory-mb`).
/// A run that reaches one is stopped ([`Stop`]): its verdicts are not a
/// verdict on the configuration, except a violation found before the stop,
/// which is a real counterexample.
///
/// stateright 0.31's own `target_state_count` is not used: it counts
/// generated states (repeats included, 136 M for the default `current` run
/// against 2.9 M unique), it is checked only between blocks of 1,500 states
/// per thread, and a checker stopped by it looks like one that finished (its
/// threads drop their queues and `is_done` turns true). The bounds here are
/// checked by [`run_within`] every 20 ms; when one is reached it sets
/// [`LifecycleModel::stop`], after which no state is expanded, and the run is
/// reported as stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Stop once this many unique states have been generated.
    pub max_states: usize,
    /// Stop once the process's resident memory reaches this many MiB
    /// (`VmRSS` of `/proc/self/status`; not checked where it cannot be read).
    pub max_memory_mb: u64,
}

impl Limits {
    /// The default state bound: about 7 × the default `current` run
    /// (3,567,792 unique states).
    pub const DEFAULT_MAX_STATES: usize = 20_000_000;
    /// The default memory bound (the default `current` run peaks at 45 MB).
    pub const DEFAULT_MAX_MEMORY_MB: u64 = 2048;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_states: Limits::DEFAULT_MAX_STATES,
            max_memory_mb: Limits::DEFAULT_MAX_MEMORY_MB,
        }
    }
}

/// Why a run was stopped before it finished (not a verdict).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `unique` unique states had been generated when the bound was noticed.
    States {
        /// The bound: [`Limits::max_states`] (`--max-states`).
        bound: usize,
        /// Unique states generated when the bound was noticed.
        unique: usize,
    },
    /// `resident_mb` MiB were resident when the bound was noticed.
    Memory {
        /// The bound: [`Limits::max_memory_mb`] (`--max-memory-mb`), in MiB.
        bound_mb: u64,
        /// Resident memory (`VmRSS`) when the bound was noticed, in MiB.
        resident_mb: u64,
    },
}

impl Stop {
    /// The `check` option that raises the bound.
    pub fn flag(&self) -> &'static str {
        match self {
            Stop::States { .. } => "--max-states",
            Stop::Memory { .. } => "--max-memory-mb",
        }
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::States { bound, unique } => write!(
                f,
                "the state bound {bound} (unique states) was reached ({unique} unique)"
            ),
            Stop::Memory {
                bound_mb,
                resident_mb,
            } => write!(
                f,
                "the memory bound {bound_mb} MB was reached ({resident_mb} MB resident)"
            ),
        }
    }
}

/// The resident memory of this process in MiB (`VmRSS` of
/// `/proc/self/status`), or `None` where it cannot be read.
pub fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Wait for a spawned checker, polling every 20 ms; when a bound is reached,
/// set `stop` (no state is expanded from then on, so the threads drain their
/// queues). Joins the threads, then clears `stop` again: stateright rebuilds
/// the paths of its discoveries by replaying `actions`. Returns the bound
/// reached, if any, and the peak resident memory sampled.
fn drive(
    checker: &mut dyn Checker<LifecycleModel>,
    stop: &AtomicBool,
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize, usize),
) -> (Option<Stop>, Option<u64>) {
    let start = std::time::Instant::now();
    let mut last_report = start;
    let mut stopped = None;
    let mut peak = resident_mb();
    while !checker.is_done() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let rss = resident_mb();
        if let Some(r) = rss {
            peak = Some(peak.map_or(r, |p| p.max(r)));
        }
        if stopped.is_none() {
            let unique = checker.unique_state_count();
            if unique >= limits.max_states {
                stopped = Some(Stop::States {
                    bound: limits.max_states,
                    unique,
                });
            } else if let Some(r) = rss
                && r >= limits.max_memory_mb
            {
                stopped = Some(Stop::Memory {
                    bound_mb: limits.max_memory_mb,
                    resident_mb: r,
                });
            }
            if stopped.is_some() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        if last_report.elapsed() >= std::time::Duration::from_secs(1) {
            last_report = std::time::Instant::now();
            progress(
                checker.state_count(),
                checker.unique_state_count(),
                checker.max_depth(),
            );
        }
    }
    for h in checker.handles() {
        h.join().expect("a checker thread panicked");
    }
    stop.store(false, Ordering::Relaxed);
    (stopped, peak)
}

/// The result of one run.
#[derive(Debug)]
pub struct RunReport {
    /// States generated, repeats included (stateright's `state_count`).
    pub states: usize,
    /// Unique states generated.
    pub unique: usize,
    /// The greatest depth (steps from the initial state) the search reached.
    pub max_depth: usize,
    /// Wall-clock time of the run.
    pub elapsed: std::time::Duration,
    /// (property name, is it an `always`, held/found). When the run was
    /// stopped, "held" and "not found" mean only "not decided".
    pub verdicts: Vec<(String, bool, bool)>,
    /// Names of violated `always` properties, with the (not necessarily shortest) path.
    pub violations: Vec<(&'static str, Path<CheckState, Action>)>,
    /// Set when a bound of [`Limits`] stopped the run before it finished.
    pub stopped: Option<Stop>,
    /// The peak resident memory sampled during the run, in MiB.
    pub peak_memory_mb: Option<u64>,
    /// The cells of spec §3's table the run's steps hit.
    pub cells: Vec<crate::table::CellId>,
}

impl RunReport {
    /// The run finished, every `always` held and every `sometimes`
    /// (including coverage) was found.
    pub fn ok(&self) -> bool {
        self.stopped.is_none() && self.verdicts.iter().all(|(_, _, ok)| *ok)
    }

    /// An `always` property has a counterexample (a verdict even when the
    /// run was stopped).
    pub fn violated(&self) -> bool {
        !self.violations.is_empty()
    }
}

/// [`run_within`] with the default [`Limits`].
pub fn run(
    model: &LifecycleModel,
    threads: usize,
    symmetry: bool,
    max_depth: Option<usize>,
    progress: &mut dyn FnMut(usize, usize, usize),
) -> RunReport {
    run_within(
        model,
        threads,
        symmetry,
        max_depth,
        &Limits::default(),
        progress,
    )
}

/// Run the checker until it finishes or reaches a bound of `limits`, and
/// collect the verdicts, with coverage. `progress` is called about once a
/// second with (states, unique, depth).
pub fn run_within(
    model: &LifecycleModel,
    threads: usize,
    symmetry: bool,
    max_depth: Option<usize>,
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize, usize),
) -> RunReport {
    let model = model.fresh();
    let coverage = model.coverage.clone();
    let stop = model.stop.clone();
    let props = model.properties();
    let start = std::time::Instant::now();
    let mut builder = model.clone().checker().threads(threads.max(1));
    if let Some(d) = max_depth {
        builder = builder.target_max_depth(d);
    }
    let mut checker: Box<dyn Checker<LifecycleModel>> = if symmetry {
        Box::new(builder.symmetry().spawn_dfs())
    } else {
        Box::new(builder.spawn_bfs())
    };
    let (stopped, peak_memory_mb) = drive(checker.as_mut(), &stop, limits, progress);
    let elapsed = start.elapsed();
    let mut verdicts = Vec::new();
    let mut violations = Vec::new();
    for p in &props {
        let found = checker.discovery(p.name);
        let always = matches!(p.expectation, stateright::Expectation::Always);
        if always {
            if let Some(path) = found.clone() {
                violations.push((p.name, path));
            }
            verdicts.push((p.name.to_string(), true, found.is_none()));
        } else {
            verdicts.push((p.name.to_string(), false, found.is_some()));
        }
    }
    if !model.full_coverage {
        // A feature configuration answers for its claims, not for every
        // `sometimes` of the default configurations.
        let sometimes: Vec<String> = props
            .iter()
            .filter(|p| !matches!(p.expectation, stateright::Expectation::Always))
            .map(|p| p.name.to_string())
            .collect();
        verdicts.retain(|(n, always, _)| *always || !sometimes.contains(n));
    }
    for &f in &model.claims {
        verdicts.push((
            format!("sometimes feature: {}", f.label()),
            false,
            coverage.feature_seen(f),
        ));
    }
    for t in model.required_transitions() {
        verdicts.push((
            format!("sometimes transition §2: {}", t.label()),
            false,
            coverage.transition_seen(&t),
        ));
    }
    for e in model.required_errors() {
        verdicts.push((
            format!("sometimes error §3: {}", e.name()),
            false,
            coverage.error_seen(e),
        ));
    }
    RunReport {
        states: checker.state_count(),
        unique: checker.unique_state_count(),
        max_depth: checker.max_depth(),
        elapsed,
        verdicts,
        violations,
        stopped,
        peak_memory_mb,
        cells: coverage.cells.hit(),
    }
}

/// The result of [`shortest_counterexample_within`].
#[derive(Debug)]
pub struct Shortest {
    /// The property violated and the shortest path to its violation, or,
    /// when `stopped` is set, the shortest one found before the search was
    /// stopped (not proven shortest).
    pub path: Option<(&'static str, Path<CheckState, Action>)>,
    /// Set when a bound stopped one of the bounded runs of the search.
    pub stopped: Option<Stop>,
}

/// [`shortest_counterexample_within`] for one property, with the default
/// [`Limits`].
pub fn shortest_counterexample(
    model: &LifecycleModel,
    name: &'static str,
    upper: usize,
    threads: usize,
) -> Option<Path<CheckState, Action>> {
    shortest_counterexample_within(model, &[name], upper, threads, &Limits::default())
        .path
        .map(|(_, p)| p)
}

/// The shortest path to a violation of any of the `always` properties
/// `names`, by iterative deepening over `target_max_depth` (stateright 0.31's
/// BFS does not keep the shortest path). `upper` is the length of a known
/// violating path. Depth `d` explores paths of at most `d - 2` actions; "one
/// of `names` is violated within depth `d`" is monotone in `d`, so a binary
/// search finds the least `d`. Each bounded run is held to `limits`; a run
/// stopped before it found a violation ends the search (a stopped run proves
/// nothing about its depth). When several properties are violated at the
/// least depth, the first in `names` is reported.
pub fn shortest_counterexample_within(
    model: &LifecycleModel,
    names: &[&'static str],
    upper: usize,
    threads: usize,
    limits: &Limits,
) -> Shortest {
    type Found = Option<(&'static str, Path<CheckState, Action>)>;
    let found_at = |d: usize| -> (Found, Option<Stop>) {
        let m = model.fresh();
        let stop = m.stop.clone();
        let mut c: Box<dyn Checker<LifecycleModel>> = Box::new(
            m.checker()
                .threads(threads.max(1))
                .target_max_depth(d)
                .finish_when(HasDiscoveries::AnyOf(names.iter().copied().collect()))
                .spawn_bfs(),
        );
        let (stopped, _) = drive(c.as_mut(), &stop, limits, &mut |_, _, _| {});
        let found = names
            .iter()
            .filter_map(|&n| c.discovery(n).map(|p| (n, p)))
            .min_by_key(|(_, p)| p.clone().into_actions().len());
        (found, stopped)
    };
    let (mut lo, mut hi) = (2usize, upper + 2);
    let mut best = match found_at(hi) {
        (Some(f), _) => f,
        (None, stopped) => {
            return Shortest {
                path: None,
                stopped,
            };
        }
    };
    while lo < hi {
        let mid = (lo + hi) / 2;
        match found_at(mid) {
            (Some(f), _) => {
                best = f;
                hi = mid;
            }
            (None, None) => lo = mid + 1,
            (None, Some(stop)) => {
                return Shortest {
                    path: Some(best),
                    stopped: Some(stop),
                };
            }
        }
    }
    Shortest {
        path: Some(best),
        stopped: None,
    }
}

/// A numbered list of the actions, with the response and the state after each.
pub fn format_counterexample(model: &LifecycleModel, path: &Path<CheckState, Action>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let steps = path.clone().into_vec();
    let _ = writeln!(out, "   0. (initial) {}", crate::summary(&steps[0].0.s));
    for (i, (state, action)) in steps.iter().enumerate() {
        if let Some(a) = action {
            let resp = model
                .outcomes(&state.s, a)
                .into_iter()
                .next()
                .map(|(r, _)| r);
            let next = &steps[i + 1].0;
            let _ = writeln!(
                out,
                "  {:>2}. {}\n      → {}{}\n      state: {}",
                i + 1,
                format_action(a),
                match resp {
                    Some(r) => match r.outcome {
                        Ok(ok) => format!("{ok:?}"),
                        Err(e) => e.name().to_string(),
                    },
                    None => "(not applicable)".to_string(),
                },
                if resp.is_some_and(|r| r.alarm) {
                    " [alarm]"
                } else {
                    ""
                },
                crate::summary(&next.s)
            );
        }
    }
    out
}
