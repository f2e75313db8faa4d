//! Deletion: ScheduleKeyDeletion and CancelKeyDeletion (spec §6).

use super::*;

impl Kms {
    /// ScheduleKeyDeletion: 7–30 days, default 30 (spec §6).
    pub fn schedule_key_deletion(
        &mut self,
        req: ScheduleKeyDeletionRequest,
    ) -> KmsResult<ScheduleKeyDeletionResponse> {
        self.run("ScheduleKeyDeletion", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let window = match req.pending_window_in_days {
                None => 30,
                Some(w) if w < 7 => {
                    if kms.bugs.has(crate::bugs::PlantedBug::ShortWindowAccepted) && w >= 1 {
                        w as u32
                    } else {
                        return Err(KmsError::validation(
                            "pendingWindowInDays",
                            w,
                            "Member must have value greater than or equal to 7",
                        ));
                    }
                }
                Some(w) if w > 30 => {
                    return Err(KmsError::validation(
                        "pendingWindowInDays",
                        w,
                        "Member must have value less than or equal to 30",
                    ));
                }
                Some(w) => w as u32,
            };
            if kms.is_managed(idx) {
                return Err(kms.managed_error(idx));
            }
            let now = kms.clock.now();
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::Enabled(k) => (
                    AnyKey::PendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::Disabled(k) => (
                    AnyKey::PendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::ExtEnabled(k) => (
                    AnyKey::ExtPendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::ExtDisabled(k) => (
                    AnyKey::ExtPendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::ExtPendingImport(k) => (
                    AnyKey::ExtPendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                k @ (AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_)) => {
                    (k, Err(KmsError::pending_deletion(&arn)))
                }
                k @ AnyKey::Deleted(_) => (k, Err(KmsError::not_found(&arn))),
            };
            kms.put(idx, k);
            r?;
            #[allow(unused_mut)]
            let mut deletion_date = now + u64::from(window) * DAY;
            if kms
                .bugs
                .has(crate::bugs::PlantedBug::DeletionOneSecondEarly)
            {
                deletion_date -= 1;
                if let Some(c) = kms.keys[idx as usize].core_mut() {
                    c.deletion_date = Some(deletion_date);
                }
                kms.schedule(idx);
            }
            Ok(ScheduleKeyDeletionResponse {
                key_id: arn,
                deletion_date: Timestamp(deletion_date),
                key_state: KeyState::PendingDeletion,
                pending_window_in_days: window,
            })
        })
    }

    /// CancelKeyDeletion: PendingDeletion → Disabled (PendingImport for an
    /// EXTERNAL key whose material is gone), never Enabled.
    pub fn cancel_key_deletion(&mut self, req: KeyIdRequest) -> KmsResult<KeyIdResponse> {
        self.run("CancelKeyDeletion", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::PendingDeletion(k) => {
                    let k = k.cancel_deletion();
                    if kms.bugs.has(crate::bugs::PlantedBug::CancelGivesEnabled) {
                        let now = kms.clock.now();
                        (AnyKey::Enabled(k.enable(now)), Ok(()))
                    } else {
                        (AnyKey::Disabled(k), Ok(()))
                    }
                }
                AnyKey::ExtPendingDeletion(k) => match k.cancel_deletion() {
                    CancelledExternal::Disabled(k) => (AnyKey::ExtDisabled(k), Ok(())),
                    CancelledExternal::PendingImport(k) => (AnyKey::ExtPendingImport(k), Ok(())),
                },
                k => (k, Err(KmsError::not_pending_deletion(&arn))),
            };
            kms.put(idx, k);
            r?;
            Ok(KeyIdResponse { key_id: arn })
        })
    }
}
