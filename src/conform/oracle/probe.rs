//! The probes after a call: DescribeKey, GetKeyRotationStatus and
//! ListKeyRotations of the keys it may have changed, and ListAliases; each
//! filters the consistent model states.

use super::super::CallError;
use super::Divergence;
use super::describe::describe_action;
use super::observe::{ObsOk, fmt_obs, model_state};
use super::replay::Replay;
use super::rules::{rule, rule_for_probe};
use crate::api::*;
use kms_lifecycle_model as model;
use model::{Action, KeyState, Origin, State, Time};
use std::time::{Duration, Instant};

/// What the probes of one key answered (`None`: the operation is missing).
pub(in crate::conform) struct KeyProbe {
    pub(in crate::conform) d: Result<KeyMetadataResponse, CallError>,
    pub(in crate::conform) st: Option<Result<GetKeyRotationStatusResponse, CallError>>,
    pub(in crate::conform) rot: Option<Result<ListKeyRotationsResponse, CallError>>,
}

/// Which probe disagreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::conform) enum Probe {
    State,
    DeletionDate,
    RotationStatus,
    Rotations,
    Aliases,
}
impl Replay {
    /// The keys whose observable state `a` may have changed (live ones).
    pub(in crate::conform) fn probed_keys(&self, a: &Action) -> (Vec<u8>, bool) {
        let nk = self.states[0].keys.len() as u8;
        let (keys, aliases) = match *a {
            Action::Advance(_) => ((0..nk).collect(), true),
            Action::CreateKey { .. } | Action::UseManagedAlias => {
                (nk.checked_sub(1).into_iter().collect(), false)
            }
            Action::CreateAlias { .. }
            | Action::UpdateAlias { .. }
            | Action::DeleteAlias { .. } => (Vec::new(), true),
            _ if a.is_crypto() => (Vec::new(), false),
            Action::DescribeKey { .. }
            | Action::GetKeyRotationStatus { .. }
            | Action::GetKeyPolicy { .. }
            | Action::ListKeyPolicies { .. } => (Vec::new(), false),
            _ => (a.direct_key().into_iter().collect(), false),
        };
        let keys = keys
            .into_iter()
            .filter(|k| !self.retired.contains(k))
            .collect();
        (keys, aliases)
    }

    pub(in crate::conform) fn probe(&mut self, a: &Action, step: usize) -> Result<(), Divergence> {
        let (keys, aliases) = self.probed_keys(a);
        for k in keys {
            self.probe_key(a, step, k)?;
        }
        if aliases && !self.states[0].aliases.is_empty() {
            self.probe_aliases(a, step)?;
        }
        Ok(())
    }

    /// DescribeKey, GetKeyRotationStatus and ListKeyRotations of key `k`
    /// (the last two unless missing).
    pub(in crate::conform) fn read_key(&mut self, k: u8) -> KeyProbe {
        let id = self.key(k);
        let d = self.api.describe_key(KeyIdRequest::new(id.clone()));
        let missing = |s: &Self, op: &str| s.missing.borrow().has(op);
        let st = (!missing(self, "GetKeyRotationStatus"))
            .then(|| {
                self.api
                    .get_key_rotation_status(KeyIdRequest::new(id.clone()))
            })
            .filter(|r| !matches!(r, Err(CallError::Unimplemented(_))));
        let rot = (!missing(self, "ListKeyRotations"))
            .then(|| {
                self.api.list_key_rotations(ListKeyRotationsRequest {
                    key_id: id.clone(),
                    limit: Some(1000),
                    ..Default::default()
                })
            })
            .filter(|r| !matches!(r, Err(CallError::Unimplemented(_))));
        KeyProbe { d, st, rot }
    }

    /// The states of `states` that allow probe `p` of key `k`, and the first
    /// disagreement.
    pub(in crate::conform) fn filter_key(
        &self,
        states: &[State],
        k: u8,
        p: &KeyProbe,
    ) -> (Vec<State>, Option<(Probe, String)>) {
        let mut first_mismatch = None;
        let mut keep = Vec::new();
        for s in states {
            match self.key_matches(s, k, p) {
                Ok(()) => keep.push(s.clone()),
                Err(m) => {
                    if first_mismatch.is_none() {
                        first_mismatch = Some(m);
                    }
                }
            }
        }
        (keep, first_mismatch)
    }

    /// Probes key `k`; on a real service, waits up to `settle` for an answer
    /// that some state allows (eventual consistency).
    pub(in crate::conform) fn probe_settled(
        &mut self,
        k: u8,
    ) -> (KeyProbe, Vec<State>, Option<(Probe, String)>) {
        let deadline = Instant::now() + self.settle;
        loop {
            let p = self.read_key(k);
            let (keep, m) = self.filter_key(&self.states, k, &p);
            if !keep.is_empty() || self.clock || Instant::now() >= deadline {
                return (p, keep, m);
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn probe_key(&mut self, a: &Action, step: usize, k: u8) -> Result<(), Divergence> {
        let (p, keep, first_mismatch) = self.probe_settled(k);
        if !keep.is_empty() {
            self.states = keep;
            return Ok(());
        }
        let KeyProbe { d, st, rot } = &p;
        let protocol = [
            ("DescribeKey", d.as_ref().err()),
            (
                "GetKeyRotationStatus",
                st.as_ref().and_then(|r| r.as_ref().err()),
            ),
            (
                "ListKeyRotations",
                rot.as_ref().and_then(|r| r.as_ref().err()),
            ),
        ]
        .into_iter()
        .find(|(_, e)| matches!(e, Some(CallError::Protocol(_))))
        .map(|(op, _)| op);
        let (probe, expected) = first_mismatch.unwrap_or((Probe::State, String::new()));
        let model_state = self.states[0].keys[k as usize].state;
        let observed_state = d.as_ref().ok().map(model_state_of);
        if super::super::lenient::open_choice(a, model_state, observed_state) {
            self.retire_key(k);
            return Ok(());
        }
        let (rule, section) = rule_for_probe(
            a,
            probe,
            Some(model_state),
            if d.as_ref().err().and_then(|e| e.exception_name()) == Some("NotFoundException") {
                None
            } else {
                observed_state.or(Some(model_state))
            },
            protocol,
        );
        let observed = match probe {
            Probe::State | Probe::DeletionDate => match d {
                Ok(r) => format!(
                    "DescribeKey(k{k}): {}, DeletionDate {}",
                    r.key_metadata.key_state,
                    r.key_metadata
                        .deletion_date
                        .map(|t| self.time.show(t.0))
                        .unwrap_or_else(|| "none".into())
                ),
                Err(e) => format!("DescribeKey(k{k}): {e}"),
            },
            Probe::RotationStatus => match st {
                Some(Ok(s)) => format!(
                    "GetKeyRotationStatus(k{k}): {}",
                    fmt_obs(&Ok(ObsOk::Status(s.clone())), &self.time)
                ),
                Some(Err(e)) => format!("GetKeyRotationStatus(k{k}): {e}"),
                None => format!("GetKeyRotationStatus(k{k}): not called"),
            },
            Probe::Rotations => match rot {
                Some(Ok(r)) => format!(
                    "ListKeyRotations(k{k}): {} rotation(s) {:?}",
                    r.rotations.len(),
                    r.rotations
                        .iter()
                        .map(|x| format!(
                            "{} at {}",
                            x.rotation_type.map_or("-", |t| t.as_str()),
                            x.rotation_date.map_or("-".into(), |t| self.time.show(t.0))
                        ))
                        .collect::<Vec<_>>()
                ),
                Some(Err(e)) => format!("ListKeyRotations(k{k}): {e}"),
                None => format!("ListKeyRotations(k{k}): not called"),
            },
            Probe::Aliases => String::new(),
        };
        let d = Divergence {
            rule,
            section,
            step,
            call: format!("probe after {}", describe_action(a)),
            expected,
            observed,
        };
        self.key_diverged(k, &p, d)
    }

    /// Whether state `s` allows what the probes of key `k` showed; else the
    /// probe that disagreed and what `s` expected.
    pub(in crate::conform) fn key_matches(
        &self,
        s: &State,
        k: u8,
        p: &KeyProbe,
    ) -> Result<(), (Probe, String)> {
        let KeyProbe { d, st, rot } = p;
        let st = if self.blind_status.contains(&k) {
            &None
        } else {
            st
        };
        let rot = if self.blind_rotations.contains(&k) {
            &None
        } else {
            rot
        };
        let obs = model::observe(s, k as usize);
        let not_found =
            |r: Option<&CallError>| r.and_then(|e| e.exception_name()) == Some("NotFoundException");
        if obs.state == KeyState::Deleted {
            let want = format!(
                "k{k} deleted: NotFoundException from DescribeKey, GetKeyRotationStatus, ListKeyRotations"
            );
            if !not_found(d.as_ref().err()) {
                return Err((Probe::State, want));
            }
            if st.as_ref().is_some_and(|r| !not_found(r.as_ref().err())) {
                return Err((Probe::RotationStatus, want));
            }
            if rot.as_ref().is_some_and(|r| !not_found(r.as_ref().err())) {
                return Err((Probe::Rotations, want));
            }
            return Ok(());
        }
        let fmt_date = |t: Option<Time>| t.map(model::fmt_time).unwrap_or_else(|| "none".into());
        let want_state = format!(
            "DescribeKey(k{k}): {}, DeletionDate {}",
            obs.state.name(),
            fmt_date(obs.deletion_date)
        );
        let m = match d {
            Ok(r) => &r.key_metadata,
            Err(_) => return Err((Probe::State, want_state)),
        };
        if model_state(m.key_state) != obs.state || m.enabled != obs.enabled {
            return Err((Probe::State, want_state));
        }
        if !self.time_opt_matches(obs.deletion_date, m.deletion_date) {
            return Err((Probe::DeletionDate, want_state));
        }
        match (obs.origin, st) {
            (_, None) => {}
            (Origin::External, Some(Err(e)))
                if e.exception_name() == Some("UnsupportedOperationException") => {}
            (Origin::External, _) => {
                return Err((
                    Probe::RotationStatus,
                    format!(
                        "GetKeyRotationStatus(k{k}): UnsupportedOperationException (EXTERNAL key)"
                    ),
                ));
            }
            (Origin::AwsKms, Some(Ok(r)))
                if r.key_rotation_enabled == obs.rotation_enabled
                    && self.time_opt_matches(obs.next_rotation_date, r.next_rotation_date)
                    && r.rotation_period_in_days == obs.rotation_period_days => {}
            (Origin::AwsKms, _) => {
                return Err((
                    Probe::RotationStatus,
                    format!(
                        "GetKeyRotationStatus(k{k}): ok: KeyRotationEnabled={}, NextRotationDate={}, RotationPeriodInDays={}",
                        obs.rotation_enabled,
                        fmt_date(obs.next_rotation_date),
                        obs.rotation_period_days
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "none".into())
                    ),
                ));
            }
        }
        let want_rot = || {
            format!(
                "ListKeyRotations(k{k}): {} rotation(s) {:?}",
                obs.rotations.len(),
                obs.rotations
                    .iter()
                    .map(|r| format!(
                        "{} at {}",
                        match r.rotation_type {
                            model::RotationType::Automatic => "AUTOMATIC",
                            model::RotationType::OnDemand => "ON_DEMAND",
                        },
                        model::fmt_time(r.date)
                    ))
                    .collect::<Vec<_>>()
            )
        };
        let r = match rot {
            None => return Ok(()),
            Some(Ok(r)) => r,
            Some(Err(_)) => return Err((Probe::Rotations, want_rot())),
        };
        let same = r.rotations.len() == obs.rotations.len()
            && r.rotations.iter().zip(&obs.rotations).all(|(g, w)| {
                let ty = match w.rotation_type {
                    model::RotationType::Automatic => RotationType::Automatic,
                    model::RotationType::OnDemand => RotationType::OnDemand,
                };
                g.rotation_type == Some(ty)
                    && g.rotation_date
                        .is_some_and(|t| self.time.matches(w.date, t.0))
            });
        if !same {
            return Err((Probe::Rotations, want_rot()));
        }
        Ok(())
    }

    /// ListAliases, all pages: the slot targets seen (`None`: absent) and the
    /// slots naming a key the replay does not know.
    pub(in crate::conform) fn read_aliases(
        &mut self,
    ) -> Result<(Vec<Option<u8>>, Vec<usize>), CallError> {
        let mut seen: Vec<Option<u8>> = vec![None; self.states[0].aliases.len()];
        let mut unknown = Vec::new();
        let mut marker = None;
        for _page in 0..50 {
            let r = self.api.list_aliases(ListRequest {
                limit: Some(100),
                marker: marker.clone(),
                ..Default::default()
            })?;
            for e in &r.aliases {
                if let Some(slot) = e
                    .alias_name
                    .strip_prefix(&self.drive.names.alias_prefix)
                    .and_then(|s| s.strip_prefix("slot"))
                    .and_then(|s| s.parse::<usize>().ok())
                    && slot < seen.len()
                {
                    match e.target_key_id.as_deref().and_then(|t| self.index_of(t)) {
                        Some(k) => seen[slot] = Some(k),
                        None => unknown.push(slot),
                    }
                }
            }
            if !r.truncated || r.next_marker.is_none() {
                break;
            }
            marker = r.next_marker;
        }
        Ok((seen, unknown))
    }

    /// Whether state `s` has the alias targets seen (retired slots aside).
    pub(in crate::conform) fn aliases_match(
        &self,
        s: &State,
        seen: &[Option<u8>],
        unknown: &[usize],
    ) -> bool {
        (0..seen.len()).all(|i| {
            self.retired_aliases.contains(&(i as u8))
                || (!unknown.contains(&i) && s.aliases.get(i) == Some(&seen[i]))
        })
    }

    fn probe_aliases(&mut self, a: &Action, step: usize) -> Result<(), Divergence> {
        if self.missing.borrow().has("ListAliases") {
            return Ok(());
        }
        let deadline = Instant::now() + self.settle;
        let (seen, unknown) = loop {
            let (seen, unknown) = match self.read_aliases() {
                Ok(r) => r,
                Err(CallError::Unimplemented(_)) => return Ok(()),
                Err(e) => {
                    let (rule, section) = match &e {
                        CallError::Protocol(_) => rule(
                            "ListAliases answers in the AWS JSON protocol",
                            "AWS JSON 1.1 (reference §8)",
                        ),
                        _ => rule("ListAliases allowed", "§3, §9"),
                    };
                    return self.record(Divergence {
                        rule,
                        section,
                        step,
                        call: format!("probe after {}: ListAliases", describe_action(a)),
                        expected: "ok".into(),
                        observed: e.to_string(),
                    });
                }
            };
            let matched = self
                .states
                .iter()
                .any(|s| self.aliases_match(s, &seen, &unknown));
            if matched || self.clock || Instant::now() >= deadline {
                break (seen, unknown);
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        let fmt = |v: &[Option<u8>], unknown: &[usize]| {
            v.iter()
                .enumerate()
                .map(|(i, t)| {
                    if unknown.contains(&i) {
                        format!("alias/slot{i} → an unknown key")
                    } else {
                        match t {
                            Some(k) => format!("alias/slot{i} → k{k}"),
                            None => format!("alias/slot{i} absent"),
                        }
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let keep: Vec<State> = self
            .states
            .iter()
            .filter(|s| self.aliases_match(s, &seen, &unknown))
            .cloned()
            .collect();
        if keep.is_empty() {
            let (rule, section) = rule_for_probe(a, Probe::Aliases, None, None, None);
            let d = Divergence {
                rule,
                section,
                step,
                call: format!("probe after {}: ListAliases", describe_action(a)),
                expected: fmt(&self.states[0].aliases, &[]),
                observed: fmt(&seen, &unknown),
            };
            return self.aliases_diverged(&seen, &unknown, d);
        }
        self.states = keep;
        Ok(())
    }
}

fn model_state_of(r: &KeyMetadataResponse) -> KeyState {
    model_state(r.key_metadata.key_state)
}
