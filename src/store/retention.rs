//! Bounded memory (issue 17, item 4): the audit trail and the alarms are kept
//! within a count and an age, the trail is read a page at a time, caller
//! text echoed in error messages is cut to a fixed length, and the AWS
//! managed keys that `alias/aws/<name>` makes on first use are counted.

use super::*;

/// How much the store keeps of what callers can make grow: the audit trail,
/// the alarms, and the AWS managed keys made on first use of an alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// At most this many audit records (and, separately, alarms).
    pub max_records: usize,
    /// Records older than this many seconds (by the store's clock) are dropped.
    pub max_age: u64,
    /// At most this many AWS managed keys. An AWS managed key can never be
    /// deleted, and any `alias/aws/<name>` makes one on first use (spec §9
    /// decision); once this many exist, a further new `alias/aws/<name>` is
    /// `NotFoundException: Alias <arn> is not found.`, as AWS answers a name
    /// it has no service for. The ones that exist keep working.
    pub max_managed_keys: usize,
}

impl Retention {
    /// Everything kept: the library's default ([`Kms::builder`]), so that a
    /// store used as a reference keeps its whole trail.
    pub const UNBOUNDED: Retention = Retention {
        max_records: usize::MAX,
        max_age: u64::MAX,
        max_managed_keys: usize::MAX,
    };
}

impl Default for Retention {
    /// `serve`'s default: 100 000 records, 90 days (as long as CloudTrail's
    /// event history), 10 000 AWS managed keys (AWS has about a hundred
    /// services with an `alias/aws/` key; the oracle with clock control
    /// invents one service name per sequence, and a key with its policy
    /// takes a few KB).
    fn default() -> Self {
        Self {
            max_records: 100_000,
            max_age: 90 * DAY,
            max_managed_keys: 10_000,
        }
    }
}

/// Longest error message kept (and answered), in bytes: longer ones are cut
/// at a character boundary and end with `...`. Caller input echoed in a
/// message (alias names, markers, spec strings, key ids) is what makes one
/// long; AWS's own messages are far shorter.
pub const MAX_MESSAGE: usize = 512;

/// `e` with its message cut to [`MAX_MESSAGE`] bytes.
pub(super) fn truncate_error(e: KmsError) -> KmsError {
    if e.message().len() <= MAX_MESSAGE {
        return e;
    }
    let m = e.message();
    let mut cut = MAX_MESSAGE - 3;
    while !m.is_char_boundary(cut) {
        cut -= 1;
    }
    let short = format!("{}...", &m[..cut]);
    KmsError::from_parts(e.name(), short).unwrap_or(e)
}

/// One page of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    /// The records, oldest first.
    pub events: Vec<AuditEvent>,
    /// Where the next page starts, when there is one.
    pub next_marker: Option<String>,
}

impl Kms {
    /// Sets the retention of the audit trail and alarms.
    pub fn set_retention(&mut self, r: Retention) {
        self.retention = r;
        self.trim(self.clock.now());
    }

    /// Drops what is beyond the retention bounds.
    pub(super) fn trim(&mut self, now: u64) {
        let cutoff = now.saturating_sub(self.retention.max_age);
        let max = self.retention.max_records;
        while self.audit.len() > max || self.audit.front().is_some_and(|r| r.time < cutoff) {
            self.audit.pop_front();
        }
        while self.alarms.len() > max || self.alarms.front().is_some_and(|a| a.time < cutoff) {
            self.alarms.pop_front();
        }
        // `Kms::alarms` answers a slice. Alarms are rare (attempted uses of
        // keys pending deletion): the copy this may cost is paid by them.
        if !self.alarms.as_slices().1.is_empty() {
            self.alarms.make_contiguous();
        }
    }

    /// At most `limit` audit records at or after `since` (epoch seconds),
    /// from `marker` (a previous page's `next_marker`) on. A marker that is
    /// not one of this store's is `InvalidMarkerException`... answered as a
    /// `ValidationException`-shaped error by the caller.
    pub fn events_page(
        &self,
        since: u64,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, String> {
        let first = self.audit_total - self.audit.len() as u64;
        let from = match marker {
            None => first,
            Some(m) => m
                .parse::<u64>()
                .ok()
                .filter(|&s| s <= self.audit_total)
                .ok_or_else(|| "Invalid marker".to_string())?
                .max(first),
        };
        let mut events = Vec::new();
        let mut next = None;
        for (i, r) in self.audit.iter().enumerate().skip((from - first) as usize) {
            if r.time < since {
                continue;
            }
            if events.len() == limit {
                next = Some((first + i as u64).to_string());
                break;
            }
            events.push(self.render(r));
        }
        Ok(EventPage {
            events,
            next_marker: next,
        })
    }
}
