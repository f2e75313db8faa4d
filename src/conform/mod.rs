//! The oracle (feature `conform`): checks any other KMS implementation against
//! the model of `kms-lifecycle-model`.
//!
//! - [`KmsApi`] has one method per AWS KMS operation, with the request and
//!   response types of [`crate::api`]. It is implemented by the in-process
//!   reference ([`Kms`], and [`InProcess`] which also moves its manual clock)
//!   and by [`HttpKms`], a blocking client of the AWS KMS JSON 1.1 protocol
//!   that signs its requests with SigV4.
//! - [`oracle`] runs generated sequences of model actions against a
//!   [`KmsApi`], checks every observed response against the model in lenient
//!   mode (the set of model states consistent with what was observed so far),
//!   groups divergences by the rule they violate and shrinks each to a
//!   shortest reproducing sequence.
//! - [`report`] renders the result as Markdown and JSON; [`cli`] is the
//!   `kms-lifecycle conform` command.

mod anchor;
pub mod cleanup;
pub mod cli;
pub mod credentials;
pub mod drive;
pub mod http;
pub mod interrupt;
mod lenient;
pub mod missing;
pub mod oracle;
pub mod report;
mod run;
pub mod severity;

pub use http::HttpKms;
pub use oracle::{Divergence, Oracle, OracleConfig, Outcome, RuleFinding, Target};

use crate::api::*;
use crate::clock::{Clock, ManualClock};
use crate::error::KmsError;
use crate::store::Kms;
use std::fmt;

/// What went wrong in one call, as seen by a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// An AWS exception: its name (the `__type` with any `ns#` prefix and `:`
    /// suffix stripped) and its message.
    Exception {
        /// e.g. `DisabledException`.
        name: String,
        /// The message (may be empty).
        message: String,
    },
    /// A response that is not the AWS JSON protocol: HTML, an HTTP error
    /// without an error body, undecodable JSON, a missing field, a transport
    /// failure. Always a divergence.
    Protocol(String),
    /// The implementation does not offer the operation at all: HTTP 501 or
    /// 404, an unknown-operation error, or an HTML page where an AWS error
    /// was due. The oracle reports the operation once, as missing, and then
    /// leaves it out (see [`missing`]).
    Unimplemented(String),
}

impl CallError {
    /// The exception name, or `None` for a protocol divergence.
    pub fn exception_name(&self) -> Option<&str> {
        match self {
            CallError::Exception { name, .. } => Some(name),
            CallError::Protocol(_) | CallError::Unimplemented(_) => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Exception { name, message } if message.is_empty() => f.write_str(name),
            CallError::Exception { name, message } => write!(f, "{name}: {message}"),
            CallError::Protocol(m) => write!(f, "protocol divergence: {m}"),
            CallError::Unimplemented(m) => write!(f, "not implemented: {m}"),
        }
    }
}

impl std::error::Error for CallError {}

impl From<KmsError> for CallError {
    fn from(e: KmsError) -> Self {
        CallError::Exception {
            name: e.name().to_string(),
            message: e.message().to_string(),
        }
    }
}

/// The result of one call.
pub type CallResult<T> = Result<T, CallError>;

macro_rules! kms_api {
    ($( $method:ident ( $op:literal, $req:ty, $members:ident ) -> $resp:ty ;)+) => {
        /// One method per AWS KMS operation, with the request and response
        /// types of [`crate::api`], plus optional clock control (the
        /// `KmsLifecycle.` operations of `kms-lifecycle serve --clock manual`).
        pub trait KmsApi {
            $(
                #[doc = concat!("The `", $op, "` operation.")]
                fn $method(&mut self, req: $req) -> CallResult<$resp>;
            )+
            /// The implementation's current time (epoch seconds), or `None`
            /// when it offers no clock control.
            fn clock_now(&mut self) -> Option<CallResult<u64>> {
                None
            }
            /// Moves the implementation's clock forward by `seconds` and
            /// returns the new time; `None` when it offers no clock control.
            fn advance_clock(&mut self, seconds: u64) -> Option<CallResult<u64>> {
                let _ = seconds;
                None
            }
            /// A short description of the implementation (for reports).
            fn describe(&self) -> String {
                "an implementation".to_string()
            }
        }

        impl KmsApi for Kms {
            $(
                fn $method(&mut self, req: $req) -> CallResult<$resp> {
                    Kms::$method(self, req).map_err(CallError::from)
                }
            )+
            fn describe(&self) -> String {
                format!("the in-process reference (rules {}, its own clock)", self.rules().name_or_base())
            }
        }

        impl KmsApi for InProcess {
            $(
                fn $method(&mut self, req: $req) -> CallResult<$resp> {
                    self.kms.$method(req).map_err(CallError::from)
                }
            )+
            fn clock_now(&mut self) -> Option<CallResult<u64>> {
                self.kms.tick();
                Some(Ok(self.clock.now()))
            }
            fn advance_clock(&mut self, seconds: u64) -> Option<CallResult<u64>> {
                let t = self.clock.advance(seconds);
                self.kms.tick();
                Some(Ok(t))
            }
            fn describe(&self) -> String {
                format!("the in-process reference (rules {}, manual clock)", self.kms.rules().name_or_base())
            }
        }

        /// Every operation of [`KmsApi`] as `(method, AWS operation name)`.
        pub const OPERATIONS: &[(&str, &str)] = &[$((stringify!($method), $op)),+];
    };
}

crate::with_kms_operations!(kms_api);

/// The in-process reference with a [`ManualClock`] that the oracle moves.
pub struct InProcess {
    /// The store.
    pub kms: Kms,
    /// Its clock.
    pub clock: ManualClock,
}

impl InProcess {
    /// A fresh reference with `rules`, its clock at `start` (epoch seconds),
    /// and a shared pool of RSA wrapping keys (key generation is slow).
    pub fn new(rules: crate::Rules, start: u64) -> Self {
        let clock = ManualClock::new(start);
        let kms = Kms::builder()
            .rules(rules)
            .clock(clock.clone())
            .wrapping_keys(shared_wrapping_keys())
            .build();
        Self { kms, clock }
    }
}

/// One pool of RSA wrapping keys per process, for in-process targets.
pub fn shared_wrapping_keys() -> crate::import::WrappingKeyPool {
    static POOL: std::sync::OnceLock<crate::import::WrappingKeyPool> = std::sync::OnceLock::new();
    POOL.get_or_init(crate::import::WrappingKeyPool::new)
        .clone()
}

/// Model time 0 on in-process targets: 2026-01-01T00:00:00Z.
pub const DEFAULT_START: u64 = crate::clock::DEFAULT_START;
