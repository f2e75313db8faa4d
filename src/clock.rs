//! The one injected clock (spec §10): whole seconds since the Unix epoch.
//!
//! Nothing in the crate reads the system time except [`SystemClock`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A source of time in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> u64;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to. Clones share the same time, so a test
/// can keep one handle and give another to a [`crate::Kms`].
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A manual clock standing at `start` (epoch seconds).
    pub fn new(start: u64) -> Self {
        Self(Arc::new(AtomicU64::new(start)))
    }
    /// Moves the clock forward by `seconds` (saturating) and returns the new time.
    pub fn advance(&self, seconds: u64) -> u64 {
        let mut cur = self.0.load(Ordering::SeqCst);
        loop {
            let next = cur.saturating_add(seconds);
            match self
                .0
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return next,
                Err(actual) => cur = actual,
            }
        }
    }
    /// Sets the clock to `t` if `t` is not in the past; time never goes back.
    pub fn set(&self, t: u64) -> u64 {
        self.0.fetch_max(t, Ordering::SeqCst).max(t)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// The instant every manual clock of the project's checks starts at, and
/// model time 0 on in-process targets: 2026-01-01T00:00:00Z. The one place
/// the start epoch is written ([`crate::conform::DEFAULT_START`] is this).
pub const DEFAULT_START: u64 = 1_767_225_600;
