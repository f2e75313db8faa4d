//! Observations: what a call showed ([`ObsOk`], [`Obs`]) and how it reads,
//! key states, and how model time maps to the implementation's clock
//! ([`TimeBase`]).

use super::super::CallError;
use crate::api::{self, *};
use crate::clock::{Clock, SystemClock};
use kms_lifecycle_model as model;
use model::{KeyState, Time};

/// What a successful call showed, abstracted like the model's `OkSummary`.
#[derive(Clone, Debug)]
pub(in crate::conform) enum ObsOk {
    /// CreateKey / DescribeKey: the key index (None: unknown id) and state.
    Key(Option<u8>, KeyState),
    /// Encrypt / GenerateDataKey / ReEncrypt: the key named in KeyId.
    Encrypted(Option<u8>),
    /// Decrypt: the key named in KeyId, and whether the plaintext was right.
    Decrypted(Option<u8>, bool),
    Status(GetKeyRotationStatusResponse),
    Scheduled(ScheduleKeyDeletionResponse),
    Params(u64),
    /// GetKeyPolicy: the policy text.
    Policy(String),
    /// ListKeyPolicies: the names listed.
    PolicyNames(Vec<String>),
    Plain,
}

pub(in crate::conform) type Obs = Result<ObsOk, CallError>;

pub(super) fn fmt_obs(o: &Obs, tb: &TimeBase) -> String {
    match o {
        Err(e) => e.to_string(),
        Ok(ObsOk::Key(k, s)) => format!(
            "ok: {} {}",
            k.map(|k| format!("k{k}"))
                .unwrap_or_else(|| "an unknown key".into()),
            s.name()
        ),
        Ok(ObsOk::Encrypted(k)) => format!(
            "ok: ciphertext under {}",
            k.map(|k| format!("k{k}"))
                .unwrap_or_else(|| "an unknown key".into())
        ),
        Ok(ObsOk::Decrypted(k, pt)) => format!(
            "ok: decrypted by {}{}",
            k.map(|k| format!("k{k}"))
                .unwrap_or_else(|| "an unknown key".into()),
            if *pt {
                ""
            } else {
                ", to a different plaintext"
            }
        ),
        Ok(ObsOk::Status(s)) => format!(
            "ok: KeyRotationEnabled={}, NextRotationDate={}, RotationPeriodInDays={}",
            s.key_rotation_enabled,
            s.next_rotation_date
                .map(|t| tb.show(t.0))
                .unwrap_or_else(|| "none".into()),
            s.rotation_period_in_days
                .map(|p| p.to_string())
                .unwrap_or_else(|| "none".into())
        ),
        Ok(ObsOk::Scheduled(s)) => format!(
            "ok: PendingWindowInDays={}, DeletionDate={}",
            s.pending_window_in_days,
            tb.show(s.deletion_date.0)
        ),
        Ok(ObsOk::Params(t)) => format!("ok: ParametersValidTo={}", tb.show(*t)),
        Ok(ObsOk::Policy(p)) => format!("ok: Policy={}", p.escape_default()),
        Ok(ObsOk::PolicyNames(n)) => format!("ok: PolicyNames={n:?}"),
        Ok(ObsOk::Plain) => "ok".into(),
    }
}

pub(in crate::conform) fn model_state(s: api::KeyState) -> KeyState {
    s.into()
}

/// How model time maps to the implementation's clock.
#[derive(Clone, Copy, Debug)]
pub(in crate::conform) enum TimeBase {
    /// Clock control: model time `t` is exactly `base + t`.
    Exact(u64),
    /// No clock control: the implementation's time is about the system time
    /// at the start of the replay plus the model time, within this tolerance.
    Approx(u64),
}

/// Allowed difference without clock control, seconds.
const TOLERANCE: u64 = 900;

impl TimeBase {
    pub(in crate::conform) fn base(&self) -> u64 {
        match *self {
            TimeBase::Exact(b) | TimeBase::Approx(b) => b,
        }
    }
    pub(super) fn matches(&self, model_t: Time, observed: u64) -> bool {
        match *self {
            TimeBase::Exact(b) => observed == b + model_t,
            TimeBase::Approx(b) => (b + model_t).abs_diff(observed) <= TOLERANCE,
        }
    }
    /// Model time of an observed instant, for messages.
    pub(super) fn show(&self, observed: u64) -> String {
        let b = self.base();
        if observed >= b {
            model::fmt_time(observed - b)
        } else {
            format!("-{}", model::fmt_time(b - observed))
        }
    }
    /// The implementation's idea of model time `t` (for ValidTo arguments).
    pub(super) fn at(&self, t: Time) -> u64 {
        match *self {
            TimeBase::Exact(b) => b + t,
            TimeBase::Approx(b) => b.max(SystemClock.now()) + t,
        }
    }
}
