//! placeholder
pub mod api;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod import;
pub mod rules;
