//! **Test-only public items: never use them in a real build.** They exist so
//! that the project's own tests, fuzz targets and benchmarks can reach inside
//! the store, as RustCrypto's crates mark such items `hazmat`. The module is
//! compiled only with feature `testing` (feature `test-bugs` implies it).
//!
//! - [`fuzzing`]: the fuzz targets' entry points (`fuzz/`), replayed on
//!   stable Rust by `tests/fuzz_corpus.rs`.
//! - `bugs` (feature `test-bugs`): deliberate bugs that tests plant with
//!   `Kms::plant_bugs`, to prove that the differential tests, the refinement
//!   and the oracle catch each of them.

pub mod fuzzing;

/// Deliberate bugs (feature `test-bugs`): the set a test plants with
/// `Kms::plant_bugs`, and the catalogue's names.
#[cfg(feature = "test-bugs")]
pub mod bugs {
    pub use crate::bugs::{Bugs, PlantedBug};
}
