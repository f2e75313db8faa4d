#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod audit;
#[cfg(feature = "test-bugs")]
pub mod bugs;
pub mod clock;
#[cfg(feature = "conform")]
pub mod conform;
pub mod crypto;
pub mod error;
pub mod fuzzing;
pub mod import;
pub mod key;
pub mod rules;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{KmsError, KmsResult};
pub use rules::Rules;
pub use store::{AnyKey, Kms, KmsBuilder};
#[cfg(feature = "server")]
pub mod server;
pub mod wire;
