//! Re-anchoring: going on after a divergence.
//!
//! After an answer that no model state allows, the replay does not stop. It
//! takes the model states that could describe what the implementation
//! actually did — the states before the call when the implementation refused
//! it or did something the model forbids, the model's successful outcomes
//! when it succeeded — and probes the keys involved (DescribeKey,
//! GetKeyRotationStatus, ListKeyRotations, ListAliases). States that the
//! probes contradict are *patched* where the model can represent what was
//! observed (a key state of Enabled, Disabled or PendingDeletion with its
//! DeletionDate, automatic-rotation settings, alias targets); where nothing
//! explains the observation, the keys (and alias slots) involved are
//! *retired*: never used again by generation, never probed again, while the
//! sequence goes on with fresh keys. The same happens after a probe that
//! contradicts every state.

// A divergence on the error path is rare: its size does not matter.
#![allow(clippy::result_large_err)]

use super::oracle::{Divergence, KeyProbe, Live, Obs, Replay, Stop, model_state};
use kms_lifecycle_model as model;
use model::{
    Action, KeyRef, KeyState, Manager, Origin, Response, RotationSetting, State, TokenRef,
};

/// Most states kept after re-anchoring.
const MAX_STATES: usize = 64;

fn dedup(mut v: Vec<State>) -> Vec<State> {
    v.sort();
    v.dedup();
    v.truncate(MAX_STATES);
    v
}

impl Replay {
    /// Records divergence `d`. `Err(d)` when the replay stops at it (see
    /// [`Stop`]); otherwise the caller re-anchors.
    pub(super) fn record(&mut self, d: Divergence) -> Result<(), Divergence> {
        self.divergences.push(d.clone());
        let stop = match &self.stop {
            Stop::First => true,
            Stop::Rule(r) => *r == d.rule,
            Stop::Never => false,
        };
        if stop {
            return Err(d);
        }
        if let Some(l) = self.log.get_mut(d.step)
            && !l.observed.contains("re-anchored")
        {
            l.observed
                .push_str(&format!(" (divergence: {}; re-anchored)", d.rule));
        }
        self.reanchored += 1;
        Ok(())
    }

    /// The keys, ciphertexts and alias slots generation may still use.
    pub(super) fn live(&self) -> Live {
        let st = &self.states[0];
        Live {
            keys: (0..st.keys.len() as u8)
                .filter(|k| !self.retired.contains(k))
                .collect(),
            cts: (0..st.ciphertexts.len())
                .filter(|&c| !self.retired.contains(&st.ciphertexts[c].key))
                .map(|c| c as u8)
                .collect(),
            aliases: (0..st.aliases.len() as u8)
                .filter(|a| !self.retired_aliases.contains(a))
                .collect(),
        }
    }

    /// Whether `a` would touch a retired key beyond what [`Live`] rules out:
    /// another key's import token, or the AWS managed key once it is retired
    /// (a pre-existing one: its state is not the model's fresh key's, so
    /// naming `alias/aws/<service>` again would compare it as if it were).
    pub(super) fn uses_retired(&self, a: &Action) -> bool {
        match a {
            Action::ImportKeyMaterial {
                token: TokenRef::OtherKey,
                ..
            } => !self.retired.is_empty(),
            Action::UseManagedAlias => self.states[0]
                .keys
                .iter()
                .enumerate()
                .any(|(i, k)| k.manager == Manager::Aws && self.retired.contains(&(i as u8))),
            _ => false,
        }
    }

    /// Whether `a` touches a retired key or alias slot at all. Generation
    /// never makes such an action; a shrinking replay can (it replays a
    /// fixed sequence), and then the action is skipped, as the key's
    /// answers are no longer compared with the model's.
    pub(super) fn touches_retired(&self, a: &Action) -> bool {
        if self.uses_retired(a) {
            return true;
        }
        if matches!(a, Action::CreateKey { .. } | Action::UseManagedAlias) {
            return false;
        }
        let before = &self.states[0];
        let slot = |r: KeyRef| match r {
            KeyRef::Alias(s) => Some(s),
            KeyRef::Key(_) => None,
        };
        let slots: Vec<u8> = match *a {
            Action::CreateAlias {
                alias: model::AliasName::Slot(s),
                ..
            } => vec![s],
            Action::UpdateAlias { alias, .. } | Action::DeleteAlias { alias } => vec![alias],
            Action::Encrypt { key, .. }
            | Action::GenerateDataKey { key }
            | Action::DescribeKey { key } => slot(key).into_iter().collect(),
            Action::Decrypt { key, .. } => key.and_then(slot).into_iter().collect(),
            Action::ReEncrypt { dest, .. } => slot(dest).into_iter().collect(),
            _ => Vec::new(),
        };
        slots.iter().any(|s| self.retired_aliases.contains(s))
            || self
                .involved(a, before)
                .iter()
                .any(|k| self.retired.contains(k))
    }

    /// Retires key `k` and the alias slots that name it in any state.
    pub(super) fn retire_key(&mut self, k: u8) {
        self.retired.insert(k);
        for s in &self.states {
            for (i, t) in s.aliases.iter().enumerate() {
                if *t == Some(k) {
                    self.retired_aliases.insert(i as u8);
                }
            }
        }
    }

    /// The keys `a` involves (directly, through an alias or a ciphertext, or
    /// as the key it created).
    fn involved(&self, a: &Action, before: &State) -> Vec<u8> {
        let mut v: Vec<u8> = a.direct_key().into_iter().collect();
        let via = |r: KeyRef| match r {
            KeyRef::Key(k) => Some(k),
            KeyRef::Alias(s) => before.aliases.get(s as usize).copied().flatten(),
        };
        match *a {
            Action::CreateKey { .. } | Action::UseManagedAlias => {
                if let Some(k) = self.drive.keys.len().checked_sub(1) {
                    v.push(k as u8);
                }
            }
            Action::Encrypt { key, .. }
            | Action::GenerateDataKey { key }
            | Action::DescribeKey { key } => v.extend(via(key)),
            Action::Decrypt { ct, key, .. } => {
                v.extend(before.ciphertexts.get(ct as usize).map(|c| c.key));
                v.extend(key.and_then(via));
            }
            Action::DecryptTampered { ct } => {
                v.extend(before.ciphertexts.get(ct as usize).map(|c| c.key))
            }
            Action::ReEncrypt { ct, dest } => {
                v.extend(before.ciphertexts.get(ct as usize).map(|c| c.key));
                v.extend(via(dest));
            }
            _ => {}
        }
        v.sort();
        v.dedup();
        v
    }

    /// After an answer that no state allows: records `d`, then goes on from
    /// the states consistent with what the implementation did.
    pub(super) fn answer_diverged(
        &mut self,
        a: &Action,
        before: &[State],
        outs: &[Vec<(Response, State)>],
        obs: &Obs,
        d: Divergence,
    ) -> Result<(), Divergence> {
        self.record(d.clone())?;
        let import = matches!(
            a,
            Action::GetParametersForImport { .. }
                | Action::ImportKeyMaterial { .. }
                | Action::DeleteImportedKeyMaterial { .. }
        );
        let mut cands: Vec<State> = Vec::new();
        let mut retire_involved = false;
        if obs.is_ok() {
            cands.extend(
                outs.iter()
                    .flatten()
                    .filter(|(r, _)| r.outcome.is_ok())
                    .map(|(_, s)| s.clone()),
            );
            if !import {
                cands.extend(before.iter().cloned());
            } else if cands.is_empty() {
                // An import the model refuses made tokens or materials the
                // model cannot represent: the key is retired.
                cands.extend(before.iter().cloned());
                retire_involved = true;
            }
        } else {
            cands.extend(before.iter().cloned());
        }
        cands.retain(|s| s.keys.len() == self.drive.keys.len());
        let same: Vec<State> = cands
            .iter()
            .filter(|s| s.ciphertexts.len() == self.drive.cts.len())
            .cloned()
            .collect();
        if same.is_empty() {
            // Ciphertexts the model would not have made are dropped.
            let n = cands
                .iter()
                .map(|s| s.ciphertexts.len())
                .filter(|&n| n < self.drive.cts.len())
                .max();
            cands.retain(|s| Some(s.ciphertexts.len()) == n);
            if let Some(n) = n {
                self.drive.cts.truncate(n);
                if let Some(m) = self.made.last_mut() {
                    m.1 = m.1.filter(|&c| (c as usize) < n);
                }
            }
        } else {
            cands = same;
        }
        if cands.is_empty() {
            // No state has the keys the implementation has: stop here.
            self.reanchored -= 1;
            return Err(d);
        }
        let involved = self.involved(a, &before[0]);
        let mut cands = dedup(cands);
        self.states = cands.clone();
        let (probed, aliases) = self.probed_keys(a);
        if retire_involved {
            for k in &involved {
                self.retire_key(*k);
            }
        }
        // The keys the call may have changed: the probed ones, and the one
        // it names even when the model expected no change.
        let mut keys: Vec<u8> = probed;
        keys.extend(a.direct_key().filter(|k| !self.retired.contains(k)));
        keys.sort();
        keys.dedup();
        for k in keys {
            if self.retired.contains(&k) {
                continue;
            }
            let p = self.read_key(k);
            let (keep, _) = self.filter_key(&cands, k, &p);
            if !keep.is_empty() {
                cands = keep;
                continue;
            }
            match self.salvage(&cands, k, &p) {
                Some(v) => cands = v,
                None => self.retire_key(k),
            }
        }
        self.states = cands;
        if aliases || matches!(a, Action::CreateAlias { .. }) {
            self.reanchor_aliases();
        }
        Ok(())
    }

    /// After a probe of key `k` that no state allows: records `d`, then
    /// patches the states to what the probe showed, or retires the key.
    pub(super) fn key_diverged(
        &mut self,
        k: u8,
        p: &KeyProbe,
        d: Divergence,
    ) -> Result<(), Divergence> {
        self.record(d)?;
        let states = self.states.clone();
        match self.salvage(&states, k, p) {
            Some(v) => self.states = v,
            None => self.retire_key(k),
        }
        Ok(())
    }

    /// After a ListAliases that no state allows: records `d`, then takes the
    /// alias targets seen (slots naming an unknown or retired key are
    /// retired).
    pub(super) fn aliases_diverged(
        &mut self,
        seen: &[Option<u8>],
        unknown: &[usize],
        d: Divergence,
    ) -> Result<(), Divergence> {
        self.record(d)?;
        self.adopt_aliases(seen, unknown);
        Ok(())
    }

    fn reanchor_aliases(&mut self) {
        if self.missing.borrow().has("ListAliases") {
            return;
        }
        let Ok((seen, unknown)) = self.read_aliases() else {
            return;
        };
        let keep: Vec<State> = self
            .states
            .iter()
            .filter(|s| self.aliases_match(s, &seen, &unknown))
            .cloned()
            .collect();
        if keep.is_empty() {
            self.adopt_aliases(&seen, &unknown);
        } else {
            self.states = keep;
        }
    }

    fn adopt_aliases(&mut self, seen: &[Option<u8>], unknown: &[usize]) {
        for (i, t) in seen.iter().enumerate() {
            let slot = i as u8;
            if unknown.contains(&i) || t.is_some_and(|k| self.retired.contains(&k)) {
                self.retired_aliases.insert(slot);
            }
        }
        let retired = self.retired_aliases.clone();
        let states = std::mem::take(&mut self.states);
        self.states = dedup(
            states
                .into_iter()
                .map(|mut s| {
                    for (i, t) in seen.iter().enumerate() {
                        if i < s.aliases.len() && !retired.contains(&(i as u8)) {
                            s.aliases[i] = *t;
                        }
                    }
                    s
                })
                .collect(),
        );
    }

    /// The states of `cands`, patched to probe `p` of key `k` where needed,
    /// that agree with it; failing that, the same while no longer checking
    /// the key's rotation status, then its ListKeyRotations (an
    /// implementation that answers them wrongly keeps its key in the
    /// lifecycle checks); `None` when even its DescribeKey disagrees.
    fn salvage(&mut self, cands: &[State], k: u8, p: &KeyProbe) -> Option<Vec<State>> {
        let agree = |r: &Self| -> Vec<State> {
            cands
                .iter()
                .flat_map(|c| [Some(c.clone()), r.patch_key(c, k, p)])
                .flatten()
                .filter(|x| r.key_matches(x, k, p).is_ok())
                .collect()
        };
        let v = agree(self);
        if !v.is_empty() {
            return Some(dedup(v));
        }
        let (had_status, had_rotations) = (
            self.blind_status.contains(&k),
            self.blind_rotations.contains(&k),
        );
        self.blind_status.insert(k);
        let v = agree(self);
        if !v.is_empty() {
            return Some(dedup(v));
        }
        self.blind_rotations.insert(k);
        let v = agree(self);
        if !v.is_empty() {
            return Some(dedup(v));
        }
        if !had_status {
            self.blind_status.remove(&k);
        }
        if !had_rotations {
            self.blind_rotations.remove(&k);
        }
        None
    }

    /// State `s` with key `k` changed to what probe `p` showed, where the
    /// model can represent it; `None` where it cannot.
    pub(super) fn patch_key(&self, s: &State, k: u8, p: &KeyProbe) -> Option<State> {
        let m = &p.d.as_ref().ok()?.key_metadata;
        let base = self.time.base();
        let mut s2 = s.clone();
        let now = s.now;
        let key = s2.keys.get_mut(k as usize)?;
        if key.state == KeyState::Deleted {
            return None;
        }
        let observed = model_state(m.key_state);
        match observed {
            KeyState::Enabled | KeyState::Disabled => {
                if key.versions == 0 || !key.all_material_present() {
                    return None;
                }
                key.state = observed;
                key.deletion_date = None;
            }
            KeyState::PendingDeletion => {
                let t = m.deletion_date?.0.checked_sub(base)?;
                if t <= now {
                    return None;
                }
                key.state = observed;
                key.deletion_date = Some(t);
            }
            _ if observed == key.state => {}
            _ => return None,
        }
        if key.origin == Origin::AwsKms
            && key.manager == Manager::Customer
            && key.state != KeyState::PendingDeletion
            && let Some(Ok(r)) = &p.st
        {
            if r.key_rotation_enabled {
                let next = r.next_rotation_date?.0.checked_sub(base)?;
                let period = r.rotation_period_in_days.filter(|&p| p > 0)?;
                if next <= now {
                    return None;
                }
                key.rotation = Some(RotationSetting {
                    period_days: period,
                    next,
                });
            } else {
                key.rotation = None;
            }
        }
        Some(s2)
    }

    /// Records a successful call that may change an AWS managed key, so that
    /// later replays on the same endpoint do not take it for a fresh one.
    pub(super) fn taint_managed(&mut self, a: &Action, obs: &super::oracle::Obs) {
        let changes = !matches!(
            a,
            Action::DescribeKey { .. }
                | Action::GetKeyRotationStatus { .. }
                | Action::GetKeyPolicy { .. }
                | Action::ListKeyPolicies { .. }
                | Action::UseManagedAlias
                | Action::Encrypt { .. }
                | Action::GenerateDataKey { .. }
                | Action::Decrypt { .. }
                | Action::DecryptTampered { .. }
                | Action::ReEncrypt { .. }
        );
        // A protocol divergence may have changed the key too.
        let refused = matches!(
            obs,
            Err(super::CallError::Exception { .. } | super::CallError::Unimplemented(_))
        );
        if let (true, false, Some(k)) = (changes, refused, a.direct_key())
            && self.states[0].keys.get(k as usize).map(|k| k.manager) == Some(Manager::Aws)
            && let Some(id) = self.drive.keys.get(k as usize)
        {
            let id = id.clone();
            self.missing.borrow_mut().taint(&id);
        }
    }

    /// An AWS managed key that existed before the replay (made by an earlier
    /// replay of this run on a shared endpoint, `earlier`, or before the run
    /// in a real account): its state and dates are not the model's fresh
    /// key's, so it is retired without a divergence.
    pub(super) fn retire_if_preexisting(
        &mut self,
        a: &Action,
        created: Option<u64>,
        earlier: bool,
    ) {
        let start = self.time.base();
        if matches!(a, Action::UseManagedAlias)
            && !self.clock
            && (earlier || created.is_some_and(|c| c > 0 && c + 86_400 < start))
            && let Some(k) = self.drive.keys.len().checked_sub(1)
        {
            self.retire_key(k as u8);
        }
    }
}
