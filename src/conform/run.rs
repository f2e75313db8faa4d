//! Running the generated sequences and shrinking each violated rule's
//! reproduction.
//!
//! A generated sequence does not end at its first divergence: the replay
//! re-anchors (`anchor.rs`) and goes on, so one sequence can show several
//! rules. Each rule's reproduction is the prefix of the first sequence that
//! showed it, up to that divergence, shrunk by delta debugging: candidates
//! are replayed from scratch and stop at the first divergence of that rule
//! (re-anchoring after any other).

// A divergence on the error path is rare: its size does not matter.
#![allow(clippy::result_large_err)]

use super::missing::{Missing, SharedMissing};
use super::oracle::{
    Divergence, Live, Oracle, OracleConfig, Outcome, Progress, Replay, ReplayResult, Rng,
    RuleFinding, Start, StepReport, Stop, TIME_RULES, Target, gen_action,
};
use super::severity;
use kms_lifecycle_model::Action;
use std::collections::BTreeSet;
use std::time::Instant;

/// Most keys one sequence creates (retired keys included).
const MAX_KEYS: usize = 64;

impl Oracle {
    /// An oracle with `config`.
    pub fn new(config: OracleConfig) -> Self {
        Self { config }
    }

    fn start(
        &self,
        target: &mut Target,
        missing: &SharedMissing,
        stop: Stop,
    ) -> Result<Replay, Divergence> {
        Replay::start(
            target.fresh(),
            Start {
                rules: self.config.rules,
                alias_slots: self.config.alias_slots,
                namespace: self.config.namespace.as_deref(),
                missing: missing.clone(),
                stop,
                settle: self.config.settle,
            },
        )
    }

    fn failed_start(d: Divergence) -> ReplayResult {
        ReplayResult {
            executed: Vec::new(),
            log: Vec::new(),
            made: Vec::new(),
            divergences: vec![d],
            clock: false,
            reanchored: 0,
        }
    }

    /// Runs `actions` from scratch on a fresh implementation of `target`,
    /// skipping actions that are not applicable (or need a missing operation).
    fn replay(
        &self,
        target: &mut Target,
        missing: &SharedMissing,
        actions: &[Action],
        stop: Stop,
    ) -> ReplayResult {
        let mut r = match self.start(target, missing, stop) {
            Ok(r) => r,
            Err(d) => return Self::failed_start(d),
        };
        for a in actions {
            if super::interrupt::requested() {
                break;
            }
            if matches!(a, Action::Advance(_)) && !r.clock {
                continue;
            }
            if r.step(a).is_err() {
                break;
            }
        }
        r.finish()
    }

    /// Replays a fixed sequence on a fresh implementation and returns the
    /// first divergence, with the calls made. For tests and regression seeds.
    pub fn check_sequence(
        &self,
        target: &mut Target,
        actions: &[Action],
    ) -> (Vec<StepReport>, Option<Divergence>) {
        let missing = SharedMissing::default();
        let r = self.replay(target, &missing, actions, Stop::First);
        (r.log, r.divergences.into_iter().next())
    }

    /// Replays a fixed sequence, re-anchoring after every divergence, and
    /// returns the calls made and every divergence in order.
    pub fn check_sequence_all(
        &self,
        target: &mut Target,
        actions: &[Action],
    ) -> (Vec<StepReport>, Vec<Divergence>) {
        let missing = SharedMissing::default();
        let r = self.replay(target, &missing, actions, Stop::Never);
        (r.log, r.divergences)
    }

    /// Runs one generated sequence.
    fn generated(
        &self,
        target: &mut Target,
        missing: &SharedMissing,
        index: usize,
    ) -> ReplayResult {
        let mut rng = Rng::new(
            self.config
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(index as u64),
        );
        let mut r = match self.start(target, missing, Stop::Never) {
            Ok(r) => r,
            Err(d) => return Self::failed_start(d),
        };
        let mut attempts = 0;
        while r.executed.len() < self.config.max_length
            && attempts < self.config.max_length * 4
            && r.states[0].keys.len() < MAX_KEYS
            && !super::interrupt::requested()
        {
            attempts += 1;
            let live: Live = r.live();
            let a = gen_action(&mut rng, &r.states[0], &live, r.clock);
            if r.uses_retired(&a) {
                continue;
            }
            if r.step(&a).is_err() {
                break;
            }
        }
        r.finish()
    }

    /// Delta debugging: removes chunks of actions while the same rule still
    /// diverges, replaying from scratch each time; then removes single
    /// actions that made a key or a ciphertext, renumbering the later ones.
    fn shrink(
        &self,
        target: &mut Target,
        missing: &SharedMissing,
        actions: Vec<Action>,
        d0: Divergence,
        deadline: Option<Instant>,
    ) -> Option<(Vec<Action>, Vec<StepReport>, Divergence)> {
        let rule = d0.rule.clone();
        let mut replays = 0;
        let mut attempt = |cand: &[Action], replays: &mut usize| -> Option<Shrunk> {
            *replays += 1;
            let r = self.replay(target, missing, cand, Stop::Rule(rule.clone()));
            let d = r.divergences.into_iter().find(|d| d.rule == rule)?;
            Some(Shrunk {
                actions: r.executed,
                log: r.log,
                made: r.made,
                divergence: d,
            })
        };
        // A clean log of the prefix (no notes of later divergences).
        let mut best = attempt(&actions, &mut replays)?;
        let out_of_budget = |replays: usize| {
            replays >= self.config.max_shrink_replays
                || deadline.is_some_and(|d| Instant::now() > d)
                || super::interrupt::requested()
        };
        let mut chunk = (best.actions.len() / 2).max(1);
        'outer: loop {
            let mut progressed = false;
            let mut i = 0;
            while i < best.actions.len() {
                if out_of_budget(replays) {
                    break 'outer;
                }
                let end = (i + chunk).min(best.actions.len());
                let mut cand = best.actions.clone();
                cand.drain(i..end);
                match attempt(&cand, &mut replays) {
                    Some(s) if s.actions.len() < best.actions.len() => {
                        best = s;
                        progressed = true;
                    }
                    _ => i += chunk,
                }
            }
            if !progressed {
                if chunk == 1 {
                    break;
                }
                chunk = (chunk / 2).max(1);
            }
        }
        'renumber: loop {
            for i in 0..best.actions.len() {
                if out_of_budget(replays) {
                    break 'renumber;
                }
                let (key, ct) = best.made.get(i).copied().unwrap_or_default();
                if key.is_none() && ct.is_none() {
                    continue;
                }
                let cand = without(&best.actions, i, key, ct);
                if let Some(s) = attempt(&cand, &mut replays)
                    && s.actions.len() < best.actions.len()
                {
                    best = s;
                    continue 'renumber;
                }
            }
            break;
        }
        Some((best.actions, best.log, best.divergence))
    }

    /// Runs the generated sequences against `target`, calling `progress`
    /// after each, and returns the findings grouped by rule, the most severe
    /// first.
    pub fn run(&self, target: &mut Target, mut progress: impl FnMut(&Progress)) -> Outcome {
        let started = Instant::now();
        let deadline = self.config.time_budget.map(|b| started + b);
        let missing: SharedMissing = Default::default();
        let mut findings: Vec<RuleFinding> = Vec::new();
        let (mut actions, mut done, mut divergent, mut reanchored, mut most) = (0, 0, 0, 0, 0);
        let mut clock_control = false;
        for index in 0..self.config.sequences {
            if deadline.is_some_and(|d| Instant::now() > d) || super::interrupt::requested() {
                break;
            }
            let r = self.generated(target, &missing, index);
            clock_control |= r.clock;
            actions += r.executed.len();
            reanchored += r.reanchored;
            done += 1;
            divergent += usize::from(!r.divergences.is_empty());
            let mut rules = BTreeSet::new();
            for d in &r.divergences {
                if !rules.insert(d.rule.clone()) {
                    continue;
                }
                let len = (d.step + 1).min(r.executed.len());
                let pos = findings.iter().position(|f| f.rule == d.rule);
                if let Some(p) = pos {
                    findings[p].count += 1;
                    if len >= findings[p].actions.len() {
                        continue;
                    }
                }
                let shrunk = self.shrink(
                    target,
                    &missing,
                    r.executed[..len].to_vec(),
                    d.clone(),
                    deadline,
                );
                let (acts, log, dv) = shrunk.unwrap_or_else(|| {
                    (r.executed[..len].to_vec(), r.log[..len].to_vec(), d.clone())
                });
                match pos {
                    None => findings.push(RuleFinding {
                        rule: dv.rule.clone(),
                        section: dv.section.clone(),
                        count: 1,
                        sequence: log,
                        divergence: dv,
                        actions: acts,
                    }),
                    Some(p) => {
                        let f = &mut findings[p];
                        if acts.len() < f.actions.len() || f.actions.is_empty() {
                            f.sequence = log;
                            f.divergence = dv;
                            f.actions = acts;
                        }
                    }
                }
            }
            most = most.max(rules.len());
            progress(&Progress {
                done,
                total: self.config.sequences,
                divergences: divergent,
                rules: findings.len(),
            });
        }
        findings.sort_by(|a, b| {
            severity::of(a)
                .rank
                .cmp(&severity::of(b).rank)
                .then(b.count.cmp(&a.count))
                .then(a.rule.cmp(&b.rule))
        });
        let missing = Missing::report(&missing.borrow());
        Outcome {
            target: target.name.clone(),
            rules: self.config.rules.name().to_string(),
            seed: self.config.seed,
            sequences: done,
            actions,
            clock_control,
            findings,
            unchecked: if clock_control {
                Vec::new()
            } else {
                TIME_RULES.iter().map(|s| s.to_string()).collect()
            },
            missing,
            divergent_sequences: divergent,
            reanchored,
            most_rules_in_a_sequence: most,
            elapsed_secs: started.elapsed().as_secs_f64(),
        }
    }
}

struct Shrunk {
    actions: Vec<Action>,
    log: Vec<StepReport>,
    made: Vec<(Option<u8>, Option<u8>)>,
    divergence: Divergence,
}

/// `actions` without action `i`, which made key `key` and ciphertext `ct`:
/// later actions on them are dropped, later indices above them renumbered.
fn without(actions: &[Action], i: usize, key: Option<u8>, ct: Option<u8>) -> Vec<Action> {
    actions
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .filter_map(|(j, a)| if j < i { Some(*a) } else { a.without(key, ct) })
        .collect()
}
