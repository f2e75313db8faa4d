//! One replay: its state ([`Replay`]), how it starts and ends, and one step
//! (the call, then the model states consistent with its answer).

use super::super::drive::{Driver, Names};
use super::super::missing::{SharedMissing, Watched};
use super::super::{CallError, KmsApi};
use super::describe::{describe_action, fmt_response, join_alternatives};
use super::observe::{Obs, ObsOk, TimeBase, fmt_obs};
use super::rules::rule_for_answer;
use super::{Divergence, StepReport};
use crate::api::*;
use crate::clock::{Clock, SystemClock};
use kms_lifecycle_model as model;
use model::{Action, Config, Exception, OkSummary, Response, State, Time};
use std::collections::BTreeSet;
use std::time::Duration;

/// When a replay stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::conform) enum Stop {
    /// At its first divergence.
    First,
    /// At the first divergence of this rule (shrinking); re-anchors after others.
    Rule(String),
    /// Never: re-anchors after every divergence (generated sequences).
    Never,
}

pub(in crate::conform) struct Replay {
    pub(in crate::conform) api: Box<dyn KmsApi>,
    pub(in crate::conform) rules: model::Rules,
    pub(in crate::conform) states: Vec<State>,
    pub(in crate::conform) time: TimeBase,
    pub(in crate::conform) clock: bool,
    /// Key ids, ciphertexts and import tokens by model index, and how
    /// aliases and the managed key are named (the one driver of issue 15).
    pub(in crate::conform) drive: Driver,
    pub(in crate::conform) executed: Vec<Action>,
    pub(in crate::conform) log: Vec<StepReport>,
    /// For each executed action: the key and the ciphertext it made.
    pub(in crate::conform) made: Vec<(Option<u8>, Option<u8>)>,
    /// Operations found missing in this run (shared by its replays).
    pub(in crate::conform) missing: SharedMissing,
    /// Keys and alias slots no model state explains any more.
    pub(in crate::conform) retired: BTreeSet<u8>,
    pub(in crate::conform) retired_aliases: BTreeSet<u8>,
    /// Keys whose GetKeyRotationStatus / ListKeyRotations answers are no
    /// longer checked (they diverged and no state explains them).
    pub(in crate::conform) blind_status: BTreeSet<u8>,
    pub(in crate::conform) blind_rotations: BTreeSet<u8>,
    /// Every divergence so far, in order.
    pub(in crate::conform) divergences: Vec<Divergence>,
    pub(in crate::conform) stop: Stop,
    /// Divergences after which the replay went on.
    pub(in crate::conform) reanchored: usize,
    /// How long a probe of a real service may wait for an eventually
    /// consistent answer (RotateKeyOnDemand, ListAliases).
    pub(in crate::conform) settle: Duration,
}

/// What a replay did.
pub(in crate::conform) struct ReplayResult {
    pub(in crate::conform) executed: Vec<Action>,
    pub(in crate::conform) log: Vec<StepReport>,
    pub(in crate::conform) made: Vec<(Option<u8>, Option<u8>)>,
    /// Every divergence, in order (the last one ends the replay unless it
    /// re-anchored).
    pub(in crate::conform) divergences: Vec<Divergence>,
    pub(in crate::conform) clock: bool,
    pub(in crate::conform) reanchored: usize,
}

/// Most states kept in the consistent set.
const MAX_STATES: usize = 64;

fn nonce() -> String {
    let mut b = [0u8; 6];
    crate::crypto::random_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// How a replay starts.
pub(in crate::conform) struct Start<'a> {
    pub(in crate::conform) rules: model::Rules,
    pub(in crate::conform) alias_slots: usize,
    pub(in crate::conform) namespace: Option<&'a str>,
    pub(in crate::conform) missing: SharedMissing,
    pub(in crate::conform) stop: Stop,
    pub(in crate::conform) settle: Duration,
}

impl Replay {
    pub(in crate::conform) fn start(
        api: Box<dyn KmsApi>,
        how: Start<'_>,
    ) -> Result<Self, Divergence> {
        let Start {
            rules,
            alias_slots,
            namespace,
            missing,
            stop,
            settle,
        } = how;
        let mut api: Box<dyn KmsApi> = Box::new(Watched::new(api, missing.clone()));
        let (time, clock) = match api.clock_now() {
            Some(Ok(t)) => (TimeBase::Exact(t), true),
            Some(Err(e)) => {
                return Err(Divergence {
                    rule: "clock control (KmsLifecycle.GetClock) works".into(),
                    section: "§10".into(),
                    step: 0,
                    call: "KmsLifecycle.GetClock".into(),
                    expected: "ok: the time".into(),
                    observed: e.to_string(),
                });
            }
            None => (TimeBase::Approx(SystemClock.now()), false),
        };
        let n = namespace.map_or_else(nonce, str::to_string);
        Ok(Self {
            api,
            rules,
            states: vec![State::initial(alias_slots)],
            time,
            clock,
            drive: Driver::new(
                &rules,
                Names {
                    alias_prefix: format!("alias/conform-{n}-"),
                    // A fresh AWS managed key per replay needs a fresh
                    // service name (spec §3 decision: any name). Without
                    // clock control the managed key's dates are only checked
                    // within a tolerance, so a predefined service that real
                    // emulators know is used instead.
                    managed_service: if clock {
                        format!("conform{n}")
                    } else {
                        "ebs".into()
                    },
                    description: Some("kms-lifecycle conform".into()),
                    // Until a key reports the target's account.
                    account: crate::store::DEFAULT_ACCOUNT.into(),
                },
            ),
            executed: Vec::new(),
            log: Vec::new(),
            made: Vec::new(),
            missing,
            retired: BTreeSet::new(),
            retired_aliases: BTreeSet::new(),
            blind_status: BTreeSet::new(),
            blind_rotations: BTreeSet::new(),
            divergences: Vec::new(),
            stop,
            reanchored: 0,
            settle,
        })
    }

    pub(in crate::conform) fn finish(self) -> ReplayResult {
        ReplayResult {
            executed: self.executed,
            log: self.log,
            made: self.made,
            divergences: self.divergences,
            clock: self.clock,
            reanchored: self.reanchored,
        }
    }

    pub(super) fn key(&self, k: u8) -> String {
        self.drive.key(k)
    }

    pub(super) fn index_of(&self, id: &str) -> Option<u8> {
        self.drive.index_of(id)
    }

    pub(super) fn time_opt_matches(
        &self,
        model_t: Option<Time>,
        observed: Option<Timestamp>,
    ) -> bool {
        match (model_t, observed) {
            (None, None) => true,
            (Some(m), Some(o)) => self.time.matches(m, o.0),
            _ => false,
        }
    }

    fn consistent(&self, resp: &Response, obs: &Obs) -> bool {
        match (&resp.outcome, obs) {
            // AWS answers an alias name that breaks the pattern with
            // ValidationException although its model names
            // InvalidAliasNameException (reference facts §6): both are accepted.
            (Err(Exception::InvalidAliasNameException), Err(CallError::Exception { name, .. }))
                if name == "ValidationException" =>
            {
                true
            }
            (Err(e), Err(CallError::Exception { name, .. })) => e.name() == name,
            (Ok(sum), Ok(o)) => match (sum, o) {
                (OkSummary::Key { key, state }, ObsOk::Key(k, s)) => Some(*key) == *k && state == s,
                (OkSummary::Encrypted { key, .. }, ObsOk::Encrypted(k)) => Some(*key) == *k,
                (OkSummary::Decrypted { key, .. }, ObsOk::Decrypted(k, pt)) => {
                    *pt && Some(*key) == *k
                }
                (
                    OkSummary::RotationStatus {
                        enabled,
                        next,
                        period_days,
                    },
                    ObsOk::Status(s),
                ) => {
                    s.key_rotation_enabled == *enabled
                        && self.time_opt_matches(*next, s.next_rotation_date)
                        && s.rotation_period_in_days == *period_days
                }
                (
                    OkSummary::Scheduled {
                        deletion_date,
                        window_days,
                        ..
                    },
                    ObsOk::Scheduled(s),
                ) => {
                    s.pending_window_in_days == *window_days
                        && self.time.matches(*deletion_date, s.deletion_date.0)
                }
                (OkSummary::ImportParameters { valid_to, .. }, ObsOk::Params(t)) => {
                    self.time.matches(*valid_to, *t)
                }
                // An AWS managed key's policy is AWS's text (it names the
                // service): any JSON document; every other one byte for byte.
                (OkSummary::KeyPolicy { policy, .. }, ObsOk::Policy(text)) => {
                    match policy.document(&self.drive.names.account) {
                        Some(doc) => doc == *text,
                        None => serde_json::from_str::<serde_json::Value>(text)
                            .is_ok_and(|v| v.is_object()),
                    }
                }
                (OkSummary::PolicyNames { .. }, ObsOk::PolicyNames(n)) => n == &["default"],
                (
                    OkSummary::Done { .. }
                    | OkSummary::Rotated { .. }
                    | OkSummary::Imported { .. }
                    | OkSummary::AliasDone
                    | OkSummary::Advanced { .. },
                    ObsOk::Plain,
                ) => true,
                _ => false,
            },
            _ => false,
        }
    }

    /// Runs one action; `Err` is a divergence that ends the replay (see
    /// [`Stop`]); after any other the replay re-anchors (`anchor.rs`).
    pub(in crate::conform) fn step(&mut self, a: &Action) -> Result<(), Divergence> {
        if !model::applicable(&self.states[0], a)
            || !self.missing.borrow().allows(a, self.rules.key_material_ids)
            || self.touches_retired(a)
        {
            return Ok(());
        }
        let before = self.states.clone();
        let config = Config { lenient: true };
        let outs: Vec<Vec<(Response, State)>> = self
            .states
            .iter()
            .map(|s| {
                let mut o = model::step_with(&self.rules, &config, s, a);
                let more: Vec<_> = o
                    .iter()
                    .filter_map(|(r, n)| super::super::lenient::more_outcomes(a, s, r, n))
                    .collect();
                o.extend(more);
                o
            })
            .collect();
        let (nk, nc) = (self.drive.keys.len(), self.drive.cts.len());
        let obs = self.perform(a);
        self.made.push((
            (self.drive.keys.len() > nk).then_some(nk as u8),
            (self.drive.cts.len() > nc).then_some(nc as u8),
        ));
        if let Err(CallError::Unimplemented(_)) = obs {
            self.made.pop();
            // Recorded as missing; the call did nothing.
            self.drive.cts.truncate(self.states[0].ciphertexts.len());
            return Ok(());
        }
        self.executed.push(*a);
        let step = self.executed.len() - 1;
        self.log.push(StepReport {
            call: describe_action(a),
            observed: fmt_obs(&obs, &self.time),
        });
        let obs_name = obs.as_ref().err().and_then(|e| e.exception_name());
        let mut next: Vec<State> = outs
            .iter()
            .zip(&before)
            .flat_map(|(o, b)| o.iter().map(move |x| (x, b)))
            .filter(|((r, _), b)| {
                self.consistent(r, &obs)
                    || obs_name.is_some_and(|n| super::super::lenient::also_refused(a, b, r, n))
                    || (matches!(obs, Ok(ObsOk::Plain)) && super::super::lenient::also_ok(a, b, r))
            })
            .map(|((_, s), _)| s.clone())
            .collect();
        if let Ok(ObsOk::Key(Some(k), _)) = obs
            && next.is_empty()
            && matches!(a, Action::UseManagedAlias)
            && self.retired.contains(&k)
        {
            // An AWS managed key that existed before this replay: any state.
            next = outs.iter().flatten().map(|(_, s)| s.clone()).collect();
            next.retain(|s| s.keys.len() == self.drive.keys.len());
        }
        self.taint_managed(a, &obs);
        if next.is_empty() {
            let first = &outs[0][0].0;
            let (rule, section) = rule_for_answer(a, &self.states[0], first, &obs);
            let d = Divergence {
                rule,
                section,
                step,
                call: describe_action(a),
                expected: join_alternatives(
                    outs.iter()
                        .flatten()
                        .map(|(r, _)| fmt_response(r))
                        .collect(),
                ),
                observed: fmt_obs(&obs, &self.time),
            };
            return self.answer_diverged(a, &before, &outs, &obs, d);
        }
        next.sort();
        next.dedup();
        next.truncate(MAX_STATES);
        self.states = next;
        self.probe(a, step)
    }
}
