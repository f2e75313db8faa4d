//! The catalogue of deliberate bugs: one list, one name per bug, for the
//! two places they are planted. A bug planted in the model perturbs the
//! first outcome of [`crate::step`] (`kms-lifecycle check --plant-bug`,
//! feature `checker`); one planted in the implementation is a switch of the
//! reference `Kms` (its feature `test-bugs`). A bug planted in both is the
//! same defect on both sides: the model checker's properties must catch the
//! one, the differential tests and the refinement the other.

use crate::Rules;

/// A deliberate bug. [`PlantedBug::all`] lists every one; [`Self::in_model`]
/// and [`Self::in_implementation`] say where it can be planted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlantedBug {
    /// A Disabled key rotates when the clock reaches its NextRotationDate.
    RotationWhileDisabled,
    /// CancelKeyDeletion leaves the key Enabled.
    CancelGivesEnabled,
    /// The key is deleted one second before its DeletionDate (in the
    /// implementation: its DeletionDate is one second early).
    DeletionOneSecondEarly,
    /// The key is not deleted at its DeletionDate (only at a later clock step).
    DeletionLate,
    /// A rotation destroys the older backing keys.
    BackingKeyDroppedOnRotation,
    /// An expired import token is accepted.
    TokenAcceptedAfter24h,
    /// Different key material is accepted as a reimport.
    DifferentMaterialAccepted,
    /// Deleting a key leaves its aliases pointing at the tombstone.
    AliasSurvivesKey,
    /// EnableKey does not perform the overdue (catch-up) rotation.
    CatchUpRotationMissing,
    /// Decrypt succeeds on a Disabled key.
    DecryptWhileDisabled,
    /// RotateKeyOnDemand ignores the limit.
    OnDemandBeyondLimit,
    /// PutKeyPolicy skips the lock-out safety check (issue 16).
    LockoutWithoutBypass,
    /// ScheduleKeyDeletion accepts a PendingWindowInDays below 7.
    ShortWindowAccepted,
    /// The escaped defect of issue 12: DeleteImportedKeyMaterial on a key
    /// already PendingImport (another material expired) names the current
    /// material but keeps it, so reimporting the other one decrypts again.
    DeletedMaterialKeptWhilePendingImport,
    /// PutKeyPolicy answers success but keeps the old policy.
    PutKeyPolicyIgnored,
}

impl PlantedBug {
    /// Every planted bug, in both places.
    pub fn all() -> &'static [PlantedBug] {
        use PlantedBug as B;
        &[
            B::RotationWhileDisabled,
            B::CancelGivesEnabled,
            B::DeletionOneSecondEarly,
            B::DeletionLate,
            B::BackingKeyDroppedOnRotation,
            B::TokenAcceptedAfter24h,
            B::DifferentMaterialAccepted,
            B::AliasSurvivesKey,
            B::CatchUpRotationMissing,
            B::DecryptWhileDisabled,
            B::OnDemandBeyondLimit,
            B::LockoutWithoutBypass,
            B::ShortWindowAccepted,
            B::DeletedMaterialKeptWhilePendingImport,
            B::PutKeyPolicyIgnored,
        ]
    }

    /// The bugs the model checker can plant (`check --plant-bug`).
    pub fn in_model_checker() -> impl Iterator<Item = PlantedBug> {
        Self::all().iter().copied().filter(|b| b.in_model())
    }

    /// The bugs the reference implementation can plant (feature `test-bugs`).
    pub fn in_reference() -> impl Iterator<Item = PlantedBug> {
        Self::all()
            .iter()
            .copied()
            .filter(|b| b.in_implementation())
    }

    /// Whether the model checker can plant it (a perturbation of `step`).
    pub fn in_model(&self) -> bool {
        use PlantedBug as B;
        !matches!(
            self,
            B::ShortWindowAccepted
                | B::DeletedMaterialKeptWhilePendingImport
                | B::PutKeyPolicyIgnored
        )
    }

    /// Whether the reference implementation can plant it (feature `test-bugs`).
    pub fn in_implementation(&self) -> bool {
        use PlantedBug as B;
        !matches!(
            self,
            B::DeletionLate
                | B::BackingKeyDroppedOnRotation
                | B::DecryptWhileDisabled
                | B::OnDemandBeyondLimit
                | B::LockoutWithoutBypass
        )
    }

    /// The name, on the command line and in reports.
    pub fn name(&self) -> &'static str {
        use PlantedBug as B;
        match self {
            B::RotationWhileDisabled => "rotation-while-disabled",
            B::CancelGivesEnabled => "cancel-gives-enabled",
            B::DeletionOneSecondEarly => "deletion-one-second-early",
            B::DeletionLate => "deletion-late",
            B::BackingKeyDroppedOnRotation => "backing-key-dropped-on-rotation",
            B::TokenAcceptedAfter24h => "token-accepted-after-24h",
            B::DifferentMaterialAccepted => "different-material-accepted",
            B::AliasSurvivesKey => "alias-survives-key",
            B::CatchUpRotationMissing => "catch-up-rotation-missing",
            B::DecryptWhileDisabled => "decrypt-while-disabled",
            B::OnDemandBeyondLimit => "on-demand-beyond-limit",
            B::LockoutWithoutBypass => "lockout-without-bypass",
            B::ShortWindowAccepted => "short-window-accepted",
            B::DeletedMaterialKeptWhilePendingImport => {
                "deleted-material-kept-while-pending-import"
            }
            B::PutKeyPolicyIgnored => "put-key-policy-ignored",
        }
    }

    /// Look a bug up by its name.
    pub fn by_name(name: &str) -> Option<PlantedBug> {
        PlantedBug::all().iter().copied().find(|b| b.name() == name)
    }

    /// One line for `--list-planted-bugs`.
    pub fn description(&self) -> &'static str {
        use PlantedBug as B;
        match self {
            B::RotationWhileDisabled => "a Disabled key rotates at its NextRotationDate",
            B::CancelGivesEnabled => "CancelKeyDeletion leaves the key Enabled",
            B::DeletionOneSecondEarly => "deletion one second before DeletionDate",
            B::DeletionLate => "no deletion at DeletionDate (only at a later clock step)",
            B::BackingKeyDroppedOnRotation => "a rotation destroys older backing keys",
            B::TokenAcceptedAfter24h => "an expired import token is accepted",
            B::DifferentMaterialAccepted => "reimport of different material accepted",
            B::AliasSurvivesKey => "aliases survive the deletion of their key",
            B::CatchUpRotationMissing => "EnableKey skips the overdue rotation",
            B::DecryptWhileDisabled => "Decrypt succeeds on a Disabled key",
            B::OnDemandBeyondLimit => "RotateKeyOnDemand ignores the limit",
            B::LockoutWithoutBypass => {
                "PutKeyPolicy accepts a lock-out policy without the bypass flag"
            }
            B::ShortWindowAccepted => "ScheduleKeyDeletion accepts a window below 7 days",
            B::DeletedMaterialKeptWhilePendingImport => {
                "DeleteImportedKeyMaterial keeps the current material of a key already PendingImport"
            }
            B::PutKeyPolicyIgnored => "PutKeyPolicy answers success and keeps the old policy",
        }
    }

    /// The rule set under which it shows (and is caught).
    pub fn rules(&self) -> Rules {
        match self {
            PlantedBug::OnDemandBeyondLimit | PlantedBug::DeletedMaterialKeptWhilePendingImport => {
                Rules::current()
            }
            _ => Rules::classic(),
        }
    }
}
