//! The executable specification of the AWS KMS key lifecycle.
//!
//! This crate is the abstract model of `../shared/spec/lifecycle.md` (cited as
//! "spec §N") and `docs/decisions.md`. It has no cryptography and no I/O: keys,
//! backing keys, key material, import tokens and ciphertexts are small
//! abstract values. [`step`] is the single source of truth: the stateright
//! model ([`checker`]), the differential tests and the oracle all call it.
//!
//! Time is whole seconds since the model's epoch 0; an implementation maps
//! model time `t` to its manual clock's start + `t`.

#![forbid(unsafe_code)]

#[cfg(feature = "checker")]
pub mod checker;
#[cfg(feature = "checker")]
pub mod cli;
#[cfg(feature = "checker")]
pub mod diagram;
#[cfg(feature = "checker")]
pub mod features;
#[cfg(feature = "checker")]
pub mod properties;
pub mod table;

mod action;
pub mod bugs;
mod clock;
mod observe;
mod policy;
mod rules;
mod state;
mod step;
mod vocabulary;

pub use action::*;
pub use bugs::PlantedBug;
pub use clock::{advance_to, deadline_steps, next_deadline};
pub use observe::*;
pub use policy::*;
pub use rules::*;
pub use state::*;
pub use step::{Config, applicable, step, step_with};
pub use vocabulary::*;

/// Instants and durations, in whole seconds since the model's epoch 0.
pub type Time = u64;
/// One day, in seconds.
pub const DAY: Time = 86_400;
/// Lifetime of the parameters returned by GetParametersForImport (spec §5).
pub const IMPORT_TOKEN_LIFETIME: Time = 86_400;
/// RotateKeyOnDemand answers ConflictException when an automatic rotation is
/// due within this many seconds (inclusive; decisions.md).
pub const CONFLICT_WINDOW: Time = 1_200;
/// ValidTo may be at most this far in the future (spec §5).
pub const MAX_VALID_TO: Time = 365 * DAY;
/// The default PendingWindowInDays of ScheduleKeyDeletion (spec §6).
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;
/// The inclusive range of PendingWindowInDays (spec §6).
pub const MIN_PENDING_WINDOW_DAYS: u32 = 7;
/// The inclusive range of PendingWindowInDays (spec §6).
pub const MAX_PENDING_WINDOW_DAYS: u32 = 30;
/// How late an implementation may delete a key after its DeletionDate (spec §6);
/// used only by the lenient (oracle) mode.
pub const DELETION_GRACE: Time = DAY;
