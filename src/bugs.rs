//! Deliberate bugs, planted only in builds with the `test-bugs` feature, so
//! that tests can prove the differential tests catch each of them. Each
//! mirrors a planted bug of the model (`kms-lifecycle check --plant-bug`).

/// Which bugs are planted (all off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Automatic rotation also fires while the key is Disabled.
    pub rotation_while_disabled: bool,
    /// CancelKeyDeletion leaves the key Enabled.
    pub cancel_gives_enabled: bool,
    /// DeletionDate is one second before now + window.
    pub deletion_one_second_early: bool,
    /// Import tokens never expire.
    pub token_never_expires: bool,
    /// Reimport of different material is accepted.
    pub different_material_accepted: bool,
    /// Aliases survive the deletion of their key.
    pub alias_survives_deletion: bool,
    /// EnableKey skips the catch-up rotation.
    pub no_catch_up_rotation: bool,
    /// PendingWindowInDays below 7 is accepted.
    pub short_window_accepted: bool,
    /// The escaped defect of issue 12: DeleteImportedKeyMaterial on a key
    /// already PendingImport (another material expired) names the current
    /// material but keeps it, so reimporting the other one decrypts again.
    pub deleted_material_kept_while_pending_import: bool,
    /// PutKeyPolicy answers success but keeps the old policy.
    pub put_key_policy_ignored: bool,
}
