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
//!
//! [`step`] answers an action in a state with every response the spec allows
//! and the state after each; a property is a function of a step (or of a
//! state) that the checker evaluates on every edge of the bounded graph.
//! Here, CancelKeyDeletion returns a key to Disabled (spec §2, §6), the
//! transition rules hold on each step, and a step that answered Enabled
//! instead would break one:
//!
//! ```
//! use kms_lifecycle_model::{step, Action, KeyState, Origin, Rules, State};
//! # #[cfg(feature = "checker")]
//! use kms_lifecycle_model::properties::{transition_violations, TRANSITION_RULES};
//!
//! let rules = Rules::current();
//! let mut s = State::initial(1);
//! for a in [
//!     Action::CreateKey { origin: Origin::AwsKms },
//!     Action::ScheduleKeyDeletion { key: 0, window_days: Some(7) },
//!     Action::CancelKeyDeletion { key: 0 },
//! ] {
//!     let (response, after) = step(&rules, &s, &a).swap_remove(0);
//!     assert!(response.outcome.is_ok(), "{a:?}: {response:?}");
//!     # #[cfg(feature = "checker")]
//!     assert_eq!(transition_violations(&rules, &s, &a, &response, &after), 0);
//!     if let Action::CancelKeyDeletion { .. } = a {
//!         assert_eq!(after.keys[0].state, KeyState::Disabled);
//!         # #[cfg(feature = "checker")]
//!         {
//!             // The same step, had it answered Enabled:
//!             let mut wrong = after.clone();
//!             wrong.keys[0].state = KeyState::Enabled;
//!             let broken = transition_violations(&rules, &s, &a, &response, &wrong);
//!             let names: Vec<_> = (0..TRANSITION_RULES.len())
//!                 .filter(|i| broken & (1 << i) != 0)
//!                 .map(|i| TRANSITION_RULES[i].0)
//!                 .collect();
//!             assert!(names.contains(
//!                 &"§2 CancelKeyDeletion only from PendingDeletion and never yields Enabled"
//!             ));
//!         }
//!     }
//!     s = after;
//! }
//! ```

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
