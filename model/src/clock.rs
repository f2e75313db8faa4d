//! The clock (spec §10): deadlines, the instants worth stepping to, and the
//! events that fire when time passes.

use crate::step::rotation::rotate;
use crate::*;

/// Clock steps worth taking from `state`: a minute, twenty minutes, a day, a
/// week and a year, then one second before, on (twice, for weight) and one
/// second after the next deadline ([`next_deadline`]), where the rules change.
/// The differential generator and the oracle both draw from these, so they
/// probe the same instants.
pub fn deadline_steps(state: &State) -> Vec<Time> {
    let mut steps = vec![60, 20 * 60, DAY, 7 * DAY, 365 * DAY];
    if let Some(d) = next_deadline(state)
        && d > state.now
    {
        let gap = d - state.now;
        steps.extend([gap, gap, gap + 1]);
        if gap > 1 {
            steps.push(gap - 1);
        }
    }
    steps
}

/// The earliest pending deadline after `now`: NextRotationDate of an Enabled
/// key with rotation on, DeletionDate, a material's ValidTo (current,
/// non-current or pending), an import token's expiry.
pub fn next_deadline(state: &State) -> Option<Time> {
    let now = state.now;
    let mut best: Option<Time> = None;
    let mut consider = |t: Time| {
        if t > now && best.is_none_or(|b| t < b) {
            best = Some(t);
        }
    };
    for k in &state.keys {
        if k.state == KeyState::Deleted {
            continue;
        }
        if k.state == KeyState::Enabled
            && let Some(r) = k.rotation
        {
            consider(r.next);
        }
        if let Some(d) = k.deletion_date {
            consider(d);
        }
        for m in k.materials.iter().chain(k.pending.iter()) {
            if let Some(v) = m.valid_to {
                consider(v);
            }
        }
        if let Some(Token::Valid { valid_to }) = k.token {
            consider(valid_to);
        }
    }
    best
}

/// The state at time `t ≥ now` (the reference's behaviour: every clock event
/// exactly at its instant).
pub fn advance_to(rules: &Rules, state: &State, t: Time) -> State {
    let mut s = state.clone();
    advance_inner(rules, &mut s, t, &[]);
    s
}

pub(crate) fn advance_outcomes(
    rules: &Rules,
    config: &Config,
    state: &State,
    t: Time,
) -> Vec<(Response, State)> {
    let resp = Response::ok(OkSummary::Advanced { now: t });
    let mut s = state.clone();
    advance_inner(rules, &mut s, t, &[]);
    let mut out = vec![(resp, s)];
    if config.lenient {
        // Keys whose deletion an implementation may still be late for at `t`.
        let late: Vec<usize> = state
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                k.state == KeyState::PendingDeletion
                    && k.deletion_date
                        .is_some_and(|d| d <= t && t < d + DELETION_GRACE)
            })
            .map(|(i, _)| i)
            .collect();
        for mask in 1u32..(1 << late.len()) {
            let keep: Vec<usize> = late
                .iter()
                .enumerate()
                .filter(|(b, _)| mask & (1 << b) != 0)
                .map(|(_, &i)| i)
                .collect();
            let mut s = state.clone();
            advance_inner(rules, &mut s, t, &keep);
            out.push((resp, s));
        }
    }
    out
}

/// Apply every event due in `(now, t]` in time order; at one instant:
/// deletion, material expiry, token expiry, rotation. Keys in `keep` are not
/// deleted (lenient mode only). A key already past its DeletionDate (possible
/// only in lenient mode) is deleted at the first instant processed.
fn advance_inner(rules: &Rules, s: &mut State, t: Time, keep: &[usize]) {
    let _ = rules;
    loop {
        let e = match next_deadline(s) {
            Some(e) if e <= t => e,
            _ => break,
        };
        s.now = e;
        apply_events_at(s, e, keep);
    }
    s.now = t;
    // Late deletions (lenient) that are now past their grace must happen.
    apply_events_at(s, t, keep);
}

fn apply_events_at(s: &mut State, e: Time, keep: &[usize]) {
    // 1. Deletion.
    for i in 0..s.keys.len() {
        let k = &s.keys[i];
        if k.state == KeyState::PendingDeletion
            && k.deletion_date.is_some_and(|d| d <= e)
            && !keep.contains(&i)
        {
            s.keys[i] = k.tombstone();
            for a in s.aliases.iter_mut() {
                if *a == Some(i as u8) {
                    *a = None;
                }
            }
        }
    }
    for k in s.keys.iter_mut() {
        if k.state == KeyState::Deleted {
            continue;
        }
        // 2. Material expiry.
        let mut lost = false;
        for m in k.materials.iter_mut() {
            if m.valid_to.is_some_and(|v| v <= e) {
                m.present = false;
                m.valid_to = None;
                lost = true;
            }
        }
        if k.pending
            .is_some_and(|p| p.valid_to.is_some_and(|v| v <= e))
        {
            k.pending = None;
        }
        if lost && matches!(k.state, KeyState::Enabled | KeyState::Disabled) {
            k.state = KeyState::PendingImport;
        }
        // Token expiry (not observable except through ExpiredImportTokenException).
        if let Some(Token::Valid { valid_to }) = k.token
            && valid_to <= e
        {
            k.token = Some(Token::Expired);
        }
        // 3. Rotation.
        if k.state == KeyState::Enabled
            && let Some(r) = k.rotation
            && r.next == e
        {
            rotate(k, e, RotationType::Automatic);
            k.rotation = Some(RotationSetting {
                period_days: r.period_days,
                next: r.next + r.period_days as Time * DAY,
            });
        }
    }
}
