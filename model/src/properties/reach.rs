//! Reachability: the `sometimes` properties.

use super::*;

pub(super) fn some_state(c: &CheckState, st: KeyState) -> bool {
    c.s.keys.iter().any(|k| k.state == st)
}
pub(super) fn reach_enabled(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, Enabled)
}
pub(super) fn reach_disabled(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, Disabled)
}
pub(super) fn reach_pending_deletion(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, PD)
}
pub(super) fn reach_pending_import(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, PI)
}
pub(super) fn reach_deleted(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, Deleted)
}
pub(super) fn reach_two_automatic_rotations(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys.iter().any(|k| {
        k.rotations
            .iter()
            .filter(|r| r.rotation_type == RotationType::Automatic)
            .count()
            >= 2
    })
}
pub(super) fn reach_old_ciphertext_decryptable(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.ciphertexts.iter().any(|ct| {
        let k = &c.s.keys[ct.key as usize];
        k.state == Enabled && ct.version + 1 < k.versions && k.version_usable(ct.version)
    })
}
pub(super) fn reach_imported_key_enabled(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys
        .iter()
        .any(|k| k.origin == Origin::External && k.state == Enabled)
}
pub(super) fn reach_alias_in_use(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.aliases.iter().any(|a| a.is_some())
}
