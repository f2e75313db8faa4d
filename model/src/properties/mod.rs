//! The properties the checker verifies, each named after its rule and citing
//! the spec section (`../shared/spec/lifecycle.md`, "§N").
//!
//! Three kinds:
//! - state invariants (`always`), functions of one state;
//! - transition rules (`always`), functions of one step (before, action,
//!   response, after), evaluated by the checker in `next_state` and reported
//!   as `always` properties through [`crate::checker::CheckState::broken`];
//! - reachability (`sometimes`): every key state and some interesting
//!   situations, plus (through [`crate::checker::Coverage`]) every transition
//!   of spec §2's table and every exception of §3.
//!
//! "Eventually deleted by DeletionDate" is expressed as the bounded `always`
//! "no key is PendingDeletion at or after its DeletionDate" (stateright's
//! `eventually` is unsound on DAG joins).

mod invariants;
mod material;
mod policy;
mod reach;
mod rules;
mod transitions;

use invariants::*;
use material::*;
use policy::*;
use reach::*;
use rules::*;
pub use transitions::*;

use crate::checker::{CheckState, LifecycleModel};
use crate::{
    Action, Ctx, Exception, KeyRef, KeyState, Manager, OkSummary, Origin, Policy, Response,
    RotationType, Rules, State, TokenRef,
};
use KeyState::{Deleted, Disabled, Enabled, PendingDeletion as PD, PendingImport as PI};
use stateright::Property;

/// A rule about one step.
pub type TransitionRule = fn(&Rules, &State, &Action, &Response, &State) -> bool;

/// Every transition rule, by name (the bit index is the position).
pub const TRANSITION_RULES: &[(&str, TransitionRule)] = &[
    ("§4 no rotation unless Enabled", no_rotation_unless_enabled),
    (
        "§2 CancelKeyDeletion only from PendingDeletion and never yields Enabled",
        cancel_only_from_pending_deletion_never_enabled,
    ),
    (
        "§6 deletion never before DeletionDate",
        deletion_never_before_deletion_date,
    ),
    (
        "§2 Deleted is terminal and ids are never reused",
        deleted_is_terminal_ids_never_reused,
    ),
    (
        "§5 import tokens never work after 24 h or for another key",
        import_tokens_never_work_after_24h_or_for_another_key,
    ),
    (
        "§5 the key material of a version never changes",
        key_material_of_a_version_never_changes,
    ),
    (
        "§4 automatic rotation exactly at NextRotationDate while Enabled",
        automatic_rotation_exactly_at_next_rotation_date,
    ),
    (
        "§4 catch-up rotation on EnableKey",
        catch_up_rotation_on_enable_key,
    ),
    (
        "§4 on-demand rotation changes only the backing key",
        on_demand_rotation_changes_only_the_backing_key,
    ),
    (
        "§8 refusals for a key pending deletion raise the alarm",
        pending_deletion_refusals_raise_the_alarm,
    ),
    (
        "§3 operations succeed only where the state table allows",
        operations_succeed_only_where_spec_table_allows,
    ),
    (
        "§5 material lost only at ValidTo or by DeleteImportedKeyMaterial",
        material_lost_only_at_valid_to_or_by_deletion,
    ),
    (
        "§5 DeleteImportedKeyMaterial deletes exactly the material it names",
        delete_imported_material_deletes_exactly_what_it_names,
    ),
    (
        "§5 deleted material returns only by reimport of the same material",
        deleted_material_returns_only_by_reimport_of_the_same,
    ),
    // The four below state the spec's answers as data, independently of
    // `step` (crate::table).
    (
        "§3 every operation answers what its cell of the state table says",
        crate::table::answers_follow_the_table,
    ),
    (
        "§6 deletion window 7-30 (default 30), DeletionDate = now + window",
        crate::table::deletion_window_and_date,
    ),
    (
        "§7 Decrypt naming another key answers IncorrectKeyException",
        crate::table::decrypt_naming_another_key_is_incorrect_key,
    ),
    (
        "§1 on-demand rotation: the limit, then the 20-minute conflict window",
        crate::table::on_demand_limit_and_conflict,
    ),
    (
        "issue 16 PutKeyPolicy changes exactly the policy",
        put_key_policy_changes_exactly_the_policy,
    ),
    (
        "issue 16 a Deny statement is never overridden",
        deny_statement_never_overridden,
    ),
    (
        "issue 16 no policy operation succeeds for a caller the policy does not allow",
        policy_operations_only_for_allowed_callers,
    ),
    (
        "issue 16 a policy operation the key's policy allows succeeds",
        allowed_policy_operations_succeed,
    ),
    (
        "issue 16 GetKeyPolicy answers the key's policy",
        get_key_policy_answers_the_policy,
    ),
    (
        "§7 encryption adds exactly the ciphertext its response names",
        encryption_adds_exactly_the_named_ciphertext,
    ),
    (
        "§4 GetKeyRotationStatus reports the rotation setting",
        rotation_status_reports_the_setting,
    ),
];

/// The bitmask of transition rules one step breaks.
pub fn transition_violations(
    rules: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> u64 {
    let mut bits = 0;
    for (i, (_, f)) in TRANSITION_RULES.iter().enumerate() {
        if !f(rules, b, a, r, af) {
            bits |= 1 << i;
        }
    }
    bits
}

fn transition_rule_holds<const I: usize>(_: &LifecycleModel, c: &CheckState) -> bool {
    c.broken & (1 << I) == 0
}

// One bit of `CheckState::broken` per transition rule.
const _: () = assert!(TRANSITION_RULES.len() <= u64::BITS as usize);

/// One `always` property per entry of [`TRANSITION_RULES`], however many
/// there are: the macro lists every bit of `broken` and keeps those with a
/// rule, so a rule added to the table is checked without another edit (a
/// hand-kept index list once left the last rule unchecked).
macro_rules! transition_properties {
    ($($i:literal),*) => {
        [$(($i, transition_rule_holds::<$i> as fn(&LifecycleModel, &CheckState) -> bool)),*]
            .into_iter()
            .filter(|&(i, _)| i < TRANSITION_RULES.len())
            .map(|(i, f)| Property::always(TRANSITION_RULES[i].0, f))
    };
}

/// A state invariant: an `always` property of one state.
pub type StateInvariant = fn(&LifecycleModel, &CheckState) -> bool;

/// The state invariants (`always` properties of one state), in report order.
/// [`crate::checker::LifecycleModel`] does not expand a state that breaks one
/// (see [`state_invariants_hold`]).
pub const STATE_INVARIANTS: &[(&str, StateInvariant)] = &[
    (
        "§2 DeletionDate present iff PendingDeletion",
        deletion_date_iff_pending_deletion,
    ),
    (
        "§6 deleted by DeletionDate (bounded eventually)",
        deleted_by_deletion_date,
    ),
    (
        "§4 no overdue rotation while Enabled",
        no_overdue_rotation_while_enabled,
    ),
    (
        "§4 imported keys never rotate automatically",
        imported_keys_never_rotate_automatically,
    ),
    (
        "§4 backing keys never dropped while the key exists",
        backing_keys_never_dropped,
    ),
    (
        "§2 Enabled/Disabled keys never lack material",
        enabled_or_disabled_keys_have_material,
    ),
    (
        "§5 at most one pending-rotation material",
        at_most_one_pending_material,
    ),
    (
        "§1 on-demand rotations within the limit",
        on_demand_rotations_within_limit,
    ),
    (
        "§3 managed keys never disabled or pending deletion",
        managed_keys_never_disabled_or_pending_deletion,
    ),
    (
        "§9 an alias never names a deleted key",
        alias_never_names_deleted_key,
    ),
    (
        "§4 §7 a ciphertext decrypts iff its key is Enabled and its backing key present",
        ciphertext_decrypts_iff_key_enabled_and_backing_key_present,
    ),
    (
        "§7 a wrong encryption context never decrypts",
        wrong_context_never_decrypts,
    ),
    (
        "§2 deleted keys are tombstones",
        deleted_keys_are_tombstones,
    ),
    (
        "§4 rotation history consistent",
        rotation_history_consistent,
    ),
    (
        "§1 §4 rotation period within the rule set",
        rotation_period_within_rules,
    ),
    (
        "§5 import tokens valid at most 24 h",
        import_tokens_expire_after_24h,
    ),
    (
        "§5 ValidTo in the future and at most 365 days ahead",
        material_valid_to_in_range,
    ),
    (
        "§7 ciphertexts name real backing keys",
        ciphertexts_name_real_backing_keys,
    ),
    (
        "issue 16 without the bypass flag no key policy lets nobody call PutKeyPolicy",
        no_lockout_without_bypass,
    ),
];

/// Whether every state invariant holds in `c`. The checker calls it before
/// expanding a state: a state that already breaks an `always` property is a
/// counterexample (stateright records it) and its successors are not explored,
/// as for a broken transition rule ([`CheckState::broken`]). In a run without
/// violations this changes nothing; with a violation, the run fails, and the
/// other verdicts cover the states reached without breaking a property first.
pub fn state_invariants_hold(m: &LifecycleModel, c: &CheckState) -> bool {
    STATE_INVARIANTS.iter().all(|(_, f)| f(m, c))
}

/// Every property stateright checks (coverage of §2/§3 is reported separately).
pub fn all_properties() -> Vec<Property<LifecycleModel>> {
    let mut v: Vec<Property<LifecycleModel>> = STATE_INVARIANTS
        .iter()
        .map(|&(name, f)| Property::always(name, f))
        .collect();
    v.extend(transition_properties!(
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
        48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
    ));
    v.extend([
        Property::sometimes("sometimes §2 a key Enabled", reach_enabled),
        Property::sometimes("sometimes §2 a key Disabled", reach_disabled),
        Property::sometimes("sometimes §2 a key PendingDeletion", reach_pending_deletion),
        Property::sometimes("sometimes §2 a key PendingImport", reach_pending_import),
        Property::sometimes("sometimes §2 a key Deleted", reach_deleted),
        Property::sometimes(
            "sometimes §4 two automatic rotations",
            reach_two_automatic_rotations,
        ),
        Property::sometimes(
            "sometimes §4 an old ciphertext decrypts after rotation",
            reach_old_ciphertext_decryptable,
        ),
        Property::sometimes(
            "sometimes §5 an imported key Enabled",
            reach_imported_key_enabled,
        ),
        Property::sometimes("sometimes §9 an alias in use", reach_alias_in_use),
    ]);
    v
}
