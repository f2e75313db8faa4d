//! ScheduleKeyDeletion and CancelKeyDeletion (spec §6). The deletion itself
//! is a clock event (`crate::clock`).

use super::*;

/// ScheduleKeyDeletion: a window of 7–30 days (default 30); DeletionDate =
/// now + window (spec §6).
pub(super) fn schedule_key_deletion(s: &mut State, key: u8, window_days: Option<u32>) -> Response {
    let now = s.now;
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let w = window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
    if !(MIN_PENDING_WINDOW_DAYS..=MAX_PENDING_WINDOW_DAYS).contains(&w) {
        fail!(Exception::ValidationException)
    }
    let kk = &s.keys[key as usize];
    if kk.is_managed() {
        fail!(Exception::UnsupportedOperationException)
    }
    if kk.state == KeyState::PendingDeletion {
        return refuse(s, key, Exception::KMSInvalidStateException, true);
    }
    let k = &mut s.keys[key as usize];
    let dd = now + w as Time * DAY;
    k.state = KeyState::PendingDeletion;
    k.deletion_date = Some(dd);
    Response::ok(OkSummary::Scheduled {
        key,
        deletion_date: dd,
        window_days: w,
    })
}

/// CancelKeyDeletion: back to Disabled, or PendingImport when material is
/// missing (spec §6).
pub(super) fn cancel_key_deletion(s: &mut State, key: u8) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let k = &mut s.keys[key as usize];
    if k.state != KeyState::PendingDeletion {
        fail!(Exception::KMSInvalidStateException)
    }
    k.deletion_date = None;
    k.state = if k.all_material_present() {
        KeyState::Disabled
    } else {
        KeyState::PendingImport
    };
    Response::ok(OkSummary::Done {
        key,
        state: k.state,
    })
}
