//! Deliberate bugs, planted only in builds with the `test-bugs` feature, so
//! that tests can prove the differential tests and the refinement catch each
//! of them. The bugs are the model crate's catalogue ([`PlantedBug`]): one
//! name per bug, whether it is planted here, in the model
//! (`kms-lifecycle check --plant-bug`) or in both.

// Without the feature nothing outside the store sees it and only `has` is
// called.
#![cfg_attr(not(feature = "test-bugs"), allow(dead_code, unreachable_pub))]

pub use kms_lifecycle_model::PlantedBug;

/// Which bugs are planted (none by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs(u32);

impl Bugs {
    /// `bug` alone. Panics for a bug the implementation cannot plant
    /// ([`PlantedBug::in_implementation`]): planting it would change nothing.
    pub fn only(bug: PlantedBug) -> Bugs {
        Bugs::default().with(bug)
    }

    /// These bugs and `bug` (same panic as [`Bugs::only`]).
    pub fn with(self, bug: PlantedBug) -> Bugs {
        assert!(
            bug.in_implementation(),
            "{} is planted in the model only",
            bug.name()
        );
        Bugs(self.0 | 1 << bug as u32)
    }

    /// Whether `bug` is planted: the one hook the store calls, once per bug
    /// and place. Always false without feature `test-bugs` (a constant the
    /// compiler folds, so no bug's branch is in a real build's code).
    #[inline]
    pub fn has(&self, bug: PlantedBug) -> bool {
        cfg!(feature = "test-bugs") && self.0 & (1 << bug as u32) != 0
    }
}
