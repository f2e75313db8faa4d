//! The clock-driven events (spec §10), the event queue, and the run of one
//! operation: due events first, then the operation, then its audit record.

use super::*;

impl Kms {
    /// Applies every clock-driven event due at or before the clock's time, each
    /// at its own instant, in time order (spec §10). Every operation does this
    /// first; call it to make time pass without an operation.
    pub fn tick(&mut self) {
        let now = self.clock.now();
        while let Some(&(t, kind, idx)) = self.queue.first() {
            if t > now {
                break;
            }
            self.queue.pop_first();
            self.fire(t, kind, idx);
        }
    }

    pub(super) fn fire(&mut self, t: u64, kind: u8, idx: u32) {
        match kind {
            // Expired parameters: drop (and so zeroize) the RSA key.
            EV_PARAMS if self.params.get(&idx).is_some_and(|p| p.valid_to == t) => {
                self.params.remove(&idx);
                self.touch_key(idx);
            }
            EV_DELETE => {
                let due = matches!(&self.keys[idx as usize],
                    AnyKey::PendingDeletion(k) if k.deletion_date() == t)
                    || matches!(&self.keys[idx as usize],
                    AnyKey::ExtPendingDeletion(k) if k.deletion_date() == t);
                if due {
                    self.delete_key_now(idx, t);
                }
            }
            EV_EXPIRE => {
                let k = self.take(idx);
                let (k, expired) = match k {
                    AnyKey::ExtEnabled(k) => match k.expire_material(t) {
                        Ok(k) => (AnyKey::ExtPendingImport(k), true),
                        Err(k) => (AnyKey::ExtEnabled(k), false),
                    },
                    AnyKey::ExtDisabled(k) => match k.expire_material(t) {
                        Ok(k) => (AnyKey::ExtPendingImport(k), true),
                        Err(k) => (AnyKey::ExtDisabled(k), false),
                    },
                    AnyKey::ExtPendingDeletion(mut k) => {
                        let before = k.core.has_all_material();
                        k.expire_material(t);
                        let changed = before != k.core.has_all_material();
                        (AnyKey::ExtPendingDeletion(k), changed)
                    }
                    AnyKey::ExtPendingImport(mut k) => {
                        let before = k
                            .core
                            .materials
                            .iter()
                            .filter(|m| m.backing.is_some())
                            .count();
                        k.expire_material(t);
                        let after = k
                            .core
                            .materials
                            .iter()
                            .filter(|m| m.backing.is_some())
                            .count();
                        (AnyKey::ExtPendingImport(k), before != after)
                    }
                    other => (other, false),
                };
                self.put(idx, k);
                if expired {
                    self.internal_event(t, "DeleteExpiredKeyMaterial", idx, None);
                }
            }
            EV_ROTATE => {
                let k = self.take(idx);
                let k = match k {
                    AnyKey::Enabled(k) if k.rotation_schedule().is_some_and(|r| r.next == t) => {
                        let k = k.rotate_automatically(t);
                        let mid = k.core.current_material().map(|m| m.id);
                        self.internal_event(t, "RotateKey", idx, mid);
                        AnyKey::Enabled(k)
                    }
                    AnyKey::Disabled(k)
                        if self
                            .bugs
                            .has(crate::bugs::PlantedBug::RotationWhileDisabled)
                            && k.rotation_schedule().is_some_and(|r| r.next == t) =>
                    {
                        // Planted bug: the catch-up path run while Disabled.
                        AnyKey::Disabled(k.enable(t).disable())
                    }
                    // Not due (Disabled, PendingDeletion, schedule moved):
                    // dropped. Putting it back without rescheduling, since
                    // rescheduling a Disabled key's past NextRotationDate
                    // would queue this same event again, forever.
                    other => {
                        self.keys[idx as usize] = other;
                        return;
                    }
                };
                self.put(idx, k);
            }
            _ => {}
        }
    }

    pub(super) fn delete_key_now(&mut self, idx: u32, t: u64) {
        let id = self.keys[idx as usize].id();
        self.keys[idx as usize] = AnyKey::Deleted(Deleted { id });
        self.params.remove(&idx);
        self.touch_key(idx);
        self.touch_aliases_of(idx);
        let keep_aliases = self.bugs.has(crate::bugs::PlantedBug::AliasSurvivesKey);
        if !keep_aliases {
            self.aliases.retain(|_, a| a.target != idx);
        }
        self.internal_event(t, "DeleteKey", idx, None);
    }

    pub(super) fn internal_event(
        &mut self,
        t: u64,
        name: &'static str,
        idx: u32,
        material: Option<KeyMaterialId>,
    ) {
        self.audit_total += 1;
        self.audit.push_back(Record {
            time: t,
            name,
            key: Some(idx),
            material,
            error: None,
            internal: true,
        });
        self.trim(self.clock.now());
    }

    /// Puts every deadline of key `idx` in the event queue.
    pub(super) fn schedule(&mut self, idx: u32) {
        let k = &self.keys[idx as usize];
        match k {
            AnyKey::PendingDeletion(k) => {
                self.queue.insert((k.deletion_date(), EV_DELETE, idx));
            }
            AnyKey::ExtPendingDeletion(k) => {
                self.queue.insert((k.deletion_date(), EV_DELETE, idx));
            }
            AnyKey::Enabled(k) => {
                if let Some(r) = k.rotation_schedule() {
                    self.queue.insert((r.next, EV_ROTATE, idx));
                }
            }
            // Queued while Disabled too: the event is dropped unless the key is
            // Enabled when it fires (EnableKey catches up).
            AnyKey::Disabled(k) => {
                if let Some(r) = k.rotation_schedule() {
                    self.queue.insert((r.next, EV_ROTATE, idx));
                }
            }
            _ => {}
        }
        if let Some(core) = self.keys[idx as usize].core() {
            let expiries: Vec<u64> = core
                .materials
                .iter()
                .chain(core.pending_material.as_deref())
                .filter(|m| m.backing.is_some())
                .filter_map(|m| m.valid_to)
                .collect();
            for t in expiries {
                self.queue.insert((t, EV_EXPIRE, idx));
            }
        }
    }

    pub(super) fn take(&mut self, idx: u32) -> AnyKey {
        let id = self.keys[idx as usize].id();
        std::mem::replace(
            &mut self.keys[idx as usize],
            AnyKey::Deleted(Deleted { id }),
        )
    }

    pub(super) fn put(&mut self, idx: u32, k: AnyKey) {
        self.keys[idx as usize] = k;
        self.touch_key(idx);
        self.schedule(idx);
    }

    /// Runs one operation: applies due events, runs it, records it.
    pub(super) fn run<T>(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&mut Self, &mut Trail) -> KmsResult<T>,
    ) -> KmsResult<T> {
        self.tick();
        let mut trail = Trail::default();
        let r = f(self, &mut trail).map_err(retention::truncate_error);
        // A call that only reads leaves its key as it was (a key it creates,
        // an AWS managed key, and every event it applied are tracked where
        // they happen).
        if let Some(idx) = trail.key
            && !READ_ONLY.contains(&op)
        {
            self.touch_key(idx);
        }
        let now = self.clock.now();
        let error = r.as_ref().err().map(|e| Box::new(e.clone()));
        if let Some(e) = &error
            && e.raises_pending_deletion_alarm()
        {
            self.alarms_total += 1;
            self.alarms.push_back(Alarm {
                time: now,
                key_arn: trail.key.map(|i| self.arn_idx(i)).unwrap_or_default(),
                operation: op,
            });
        }
        self.audit_total += 1;
        self.audit.push_back(Record {
            time: now,
            name: op,
            key: trail.key,
            material: trail.material,
            error,
            internal: false,
        });
        self.trim(now);
        r
    }
}

/// The operations that change no key of theirs (they may create an AWS
/// managed key, tracked by `insert_key`).
const READ_ONLY: &[&str] = &[
    "DescribeKey",
    "ListKeys",
    "ListResourceTags",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GetKeyRotationStatus",
    "ListKeyRotations",
    "ListAliases",
    "GetKeyPolicy",
    "ListKeyPolicies",
];
