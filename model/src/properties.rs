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

use crate::checker::{CheckState, LifecycleModel};
use crate::{
    Action, Ctx, Exception, KeyRef, KeyState, Manager, OkSummary, Origin, Response, RotationType,
    Rules, State, TokenRef,
};
use stateright::Property;

// ---------------------------------------------------------------------------
// Transitions of spec §2 (coverage and diagram)
// ---------------------------------------------------------------------------

/// What made a key change (or keep) its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    CreateKeyAwsKms,
    CreateKeyExternal,
    UseManagedAlias,
    ImportKeyMaterial,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    DeleteImportedKeyMaterial,
    RotateKeyOnDemand,
    /// Clock: DeletionDate reached.
    DeletionDate,
    /// Clock: a material's ValidTo reached.
    ValidTo,
    /// Clock: NextRotationDate reached.
    AutomaticRotation,
}

impl Cause {
    /// The label in diagrams.
    pub fn label(&self) -> &'static str {
        match self {
            Cause::CreateKeyAwsKms => "CreateKey (AWS_KMS)",
            Cause::CreateKeyExternal => "CreateKey (EXTERNAL)",
            Cause::UseManagedAlias => "first use of alias/aws/*",
            Cause::ImportKeyMaterial => "ImportKeyMaterial",
            Cause::EnableKey => "EnableKey",
            Cause::DisableKey => "DisableKey",
            Cause::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Cause::CancelKeyDeletion => "CancelKeyDeletion",
            Cause::DeleteImportedKeyMaterial => "DeleteImportedKeyMaterial",
            Cause::RotateKeyOnDemand => "RotateKeyOnDemand",
            Cause::DeletionDate => "(clock) DeletionDate",
            Cause::ValidTo => "(clock) ValidTo",
            Cause::AutomaticRotation => "(clock) NextRotationDate",
        }
    }
    /// A clock event (not an operation).
    pub fn is_clock(&self) -> bool {
        matches!(
            self,
            Cause::DeletionDate | Cause::ValidTo | Cause::AutomaticRotation
        )
    }
}

/// One key's move: `from` is `None` for creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Transition {
    pub from: Option<KeyState>,
    pub cause: Cause,
    pub to: KeyState,
}

impl Transition {
    /// `Enabled --DisableKey--> Disabled`.
    pub fn label(&self) -> String {
        format!(
            "{} --{}--> {}",
            self.from.map_or("(none)", |s| s.name()),
            self.cause.label(),
            self.to.name()
        )
    }
}

const fn tr(from: Option<KeyState>, cause: Cause, to: KeyState) -> Transition {
    Transition { from, cause, to }
}

use KeyState::{Deleted, Disabled, Enabled, PendingDeletion as PD, PendingImport as PI};

/// Every row of spec §2's table (expanded per source state).
pub const REQUIRED_TRANSITIONS: &[Transition] = &[
    tr(None, Cause::CreateKeyAwsKms, Enabled),
    tr(None, Cause::CreateKeyExternal, PI),
    tr(None, Cause::UseManagedAlias, Enabled),
    tr(Some(PI), Cause::ImportKeyMaterial, Enabled),
    tr(Some(Enabled), Cause::DisableKey, Disabled),
    tr(Some(Disabled), Cause::DisableKey, Disabled),
    tr(Some(Enabled), Cause::EnableKey, Enabled),
    tr(Some(Disabled), Cause::EnableKey, Enabled),
    tr(Some(Enabled), Cause::ScheduleKeyDeletion, PD),
    tr(Some(Disabled), Cause::ScheduleKeyDeletion, PD),
    tr(Some(PI), Cause::ScheduleKeyDeletion, PD),
    tr(Some(PD), Cause::CancelKeyDeletion, Disabled),
    tr(Some(PD), Cause::CancelKeyDeletion, PI),
    tr(Some(PD), Cause::DeletionDate, Deleted),
    tr(Some(Enabled), Cause::DeleteImportedKeyMaterial, PI),
    tr(Some(Disabled), Cause::DeleteImportedKeyMaterial, PI),
    tr(Some(Enabled), Cause::ValidTo, PI),
    tr(Some(Disabled), Cause::ValidTo, PI),
    tr(Some(PD), Cause::DeleteImportedKeyMaterial, PD),
    tr(Some(PD), Cause::ValidTo, PD),
    tr(Some(PI), Cause::DeleteImportedKeyMaterial, PI),
    // Deleting PENDING_ROTATION material (`current`) changes no state.
    tr(Some(Enabled), Cause::DeleteImportedKeyMaterial, Enabled),
    tr(Some(Disabled), Cause::DeleteImportedKeyMaterial, Disabled),
    tr(Some(Enabled), Cause::AutomaticRotation, Enabled),
    tr(Some(Enabled), Cause::RotateKeyOnDemand, Enabled),
];

/// Whether a required transition can happen in this configuration.
pub fn transition_applies(t: &Transition, m: &LifecycleModel) -> bool {
    match t.cause {
        Cause::UseManagedAlias => m.managed,
        Cause::RotateKeyOnDemand => m.rules.on_demand_rotation,
        Cause::DeleteImportedKeyMaterial if t.from == Some(t.to) && t.to != PI && t.to != PD => {
            m.rules.new_key_material_import && m.max_external > 0
        }
        _ => true,
    }
}

/// The key transitions one step made (operations that succeeded, clock events).
pub fn transitions(before: &State, a: &Action, r: &Response, after: &State) -> Vec<Transition> {
    let mut out = Vec::new();
    for i in before.keys.len()..after.keys.len() {
        let k = &after.keys[i];
        let cause = match (a, k.origin) {
            (Action::UseManagedAlias, _) => Cause::UseManagedAlias,
            (_, Origin::AwsKms) => Cause::CreateKeyAwsKms,
            (_, Origin::External) => Cause::CreateKeyExternal,
        };
        out.push(tr(None, cause, k.state));
    }
    if let Action::Advance(_) = a {
        for (i, bk) in before.keys.iter().enumerate() {
            let ak = &after.keys[i];
            if bk.state == Deleted {
                continue;
            }
            if ak.state == Deleted {
                out.push(tr(Some(bk.state), Cause::DeletionDate, Deleted));
                continue;
            }
            let present = |k: &crate::Key| k.materials.iter().filter(|m| m.present).count();
            if present(ak) < present(bk) {
                out.push(tr(Some(bk.state), Cause::ValidTo, ak.state));
            }
            if ak.rotations.len() > bk.rotations.len() {
                out.push(tr(Some(bk.state), Cause::AutomaticRotation, ak.state));
            }
        }
        return out;
    }
    if r.outcome.is_err() {
        return out;
    }
    let cause = match a {
        Action::ImportKeyMaterial { .. } => Cause::ImportKeyMaterial,
        Action::EnableKey { .. } => Cause::EnableKey,
        Action::DisableKey { .. } => Cause::DisableKey,
        Action::ScheduleKeyDeletion { .. } => Cause::ScheduleKeyDeletion,
        Action::CancelKeyDeletion { .. } => Cause::CancelKeyDeletion,
        Action::DeleteImportedKeyMaterial { .. } => Cause::DeleteImportedKeyMaterial,
        Action::RotateKeyOnDemand { .. } => Cause::RotateKeyOnDemand,
        _ => return out,
    };
    if let Some(k) = a.direct_key() {
        let k = k as usize;
        out.push(tr(Some(before.keys[k].state), cause, after.keys[k].state));
    }
    out
}

// ---------------------------------------------------------------------------
// State invariants
// ---------------------------------------------------------------------------

fn live(s: &State) -> impl Iterator<Item = (usize, &crate::Key)> {
    s.keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.state != Deleted)
}

/// §2/§6: DeletionDate is set exactly while the key is PendingDeletion.
fn deletion_date_iff_pending_deletion(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys
        .iter()
        .all(|k| k.deletion_date.is_some() == (k.state == PD))
}

/// §6 (bounded "eventually deleted"): no key is still PendingDeletion at or
/// after its DeletionDate.
fn deleted_by_deletion_date(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys
        .iter()
        .all(|k| k.state != PD || k.deletion_date.is_some_and(|d| c.s.now < d))
}

/// §4: an Enabled key with rotation on has its NextRotationDate in the future
/// (automatic rotation is never skipped, catch-up included).
fn no_overdue_rotation_while_enabled(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| k.state != Enabled || k.rotation.is_none_or(|r| r.next > c.s.now))
}

/// §4: imported (EXTERNAL) keys never rotate automatically.
fn imported_keys_never_rotate_automatically(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys.iter().all(|k| {
        k.origin == Origin::AwsKms
            || (k.rotation.is_none()
                && k.rotations
                    .iter()
                    .all(|r| r.rotation_type == RotationType::OnDemand))
    })
}

/// §4: a backing key is never destroyed while its key exists (every version
/// from the first is retained, one per rotation).
fn backing_keys_never_dropped(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| {
        k.oldest_retained == 0
            && match k.origin {
                Origin::AwsKms => k.versions as usize == k.rotations.len() + 1,
                Origin::External => {
                    k.versions as usize == k.materials.len()
                        && k.rotations.len() == k.materials.len().saturating_sub(1)
                }
            }
    })
}

/// §2 (decision): an Enabled or Disabled key never lacks material; a
/// PendingImport key is an EXTERNAL key lacking some.
fn enabled_or_disabled_keys_have_material(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| match k.state {
        Enabled | Disabled => k.all_material_present(),
        PI => k.origin == Origin::External && !k.all_material_present(),
        _ => true,
    })
}

/// §5: at most one pending-rotation material, only under `current`, only on
/// a key that has material, never one of the key's own materials.
fn at_most_one_pending_material(m: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| match k.pending {
        None => true,
        Some(p) => {
            m.rules.new_key_material_import
                && !k.materials.is_empty()
                && k.materials.iter().all(|x| x.id != p.id)
        }
    })
}

/// §1: on-demand rotations never exceed the limit (and each is recorded).
fn on_demand_rotations_within_limit(m: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys.iter().all(|k| {
        let n = k
            .rotations
            .iter()
            .filter(|r| r.rotation_type == RotationType::OnDemand)
            .count();
        k.on_demand_count as u32 <= m.rules.on_demand_limit
            && (k.state == Deleted || n == k.on_demand_count as usize)
    })
}

/// §3: AWS managed keys are never Disabled or PendingDeletion, and always rotate.
fn managed_keys_never_disabled_or_pending_deletion(m: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys.iter().all(|k| {
        k.manager == Manager::Customer
            || (k.state == Enabled
                && k.rotation
                    .is_some_and(|r| r.period_days == m.rules.managed_rotation_days))
    })
}

/// §9: an alias never names a deleted key.
fn alias_never_names_deleted_key(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.aliases.iter().flatten().all(|&k| {
        c.s.keys
            .get(k as usize)
            .is_some_and(|k| k.state != Deleted && k.manager == Manager::Customer)
    })
}

/// §4, §7: every ciphertext decrypts (with its context) exactly when its key
/// is Enabled and its backing key is present; after deletion NotFoundException.
fn ciphertext_decrypts_iff_key_enabled_and_backing_key_present(
    m: &LifecycleModel,
    c: &CheckState,
) -> bool {
    c.s.ciphertexts.iter().enumerate().all(|(i, ct)| {
        let k = &c.s.keys[ct.key as usize];
        let expected_ok = k.state == Enabled && k.version_usable(ct.version);
        let got = m
            .outcomes(
                &c.s,
                &Action::Decrypt {
                    ct: i as u8,
                    ctx: ct.ctx,
                    key: None,
                },
            )
            .into_iter()
            .next()
            .map(|(r, _)| r.outcome);
        match got {
            Some(Ok(OkSummary::Decrypted { key, version })) => {
                expected_ok && key == ct.key && version == ct.version
            }
            Some(Err(Exception::NotFoundException)) => k.state == Deleted,
            Some(Err(_)) => !expected_ok,
            _ => false,
        }
    })
}

/// §7: a ciphertext never decrypts with another encryption context.
fn wrong_context_never_decrypts(m: &LifecycleModel, c: &CheckState) -> bool {
    c.s.ciphertexts.iter().enumerate().all(|(i, ct)| {
        let other = if ct.ctx == Ctx::A { Ctx::B } else { Ctx::A };
        m.outcomes(
            &c.s,
            &Action::Decrypt {
                ct: i as u8,
                ctx: other,
                key: None,
            },
        )
        .into_iter()
        .all(|(r, _)| r.outcome.is_err())
    })
}

/// §2: a deleted key is a tombstone: no material, no rotation, no dates.
fn deleted_keys_are_tombstones(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys.iter().filter(|k| k.state == Deleted).all(|k| {
        k.versions == 0
            && k.materials.is_empty()
            && k.pending.is_none()
            && k.rotation.is_none()
            && k.deletion_date.is_none()
            && k.token.is_none()
    })
}

/// §4: ListKeyRotations is consistent: versions 1, 2, ... in order, dates
/// non-decreasing and not in the future.
fn rotation_history_consistent(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| {
        k.rotations
            .iter()
            .enumerate()
            .all(|(i, r)| r.version as usize == i + 1 && r.date <= c.s.now)
            && k.rotations.windows(2).all(|w| w[0].date <= w[1].date)
    })
}

/// §1, §4: the rotation period is within the rule set's bounds and
/// NextRotationDate is at most one period ahead.
fn rotation_period_within_rules(m: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| {
        k.rotation.is_none_or(|r| {
            let ok_period = if k.manager == Manager::Aws {
                r.period_days == m.rules.managed_rotation_days
            } else {
                (m.rules.min_rotation_days..=m.rules.max_rotation_days).contains(&r.period_days)
            };
            ok_period && r.next <= c.s.now + r.period_days as u64 * crate::DAY
        })
    })
}

/// §5: an expired import token is marked expired (never valid past 24 h).
fn import_tokens_expire_after_24h(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| match k.token {
        Some(crate::Token::Valid { valid_to }) => {
            c.s.now < valid_to && valid_to <= c.s.now + crate::IMPORT_TOKEN_LIFETIME
        }
        _ => true,
    })
}

/// §5: a material's ValidTo is in the future and at most 365 days ahead.
fn material_valid_to_in_range(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| {
        k.materials.iter().chain(k.pending.iter()).all(|mt| {
            mt.valid_to
                .is_none_or(|v| mt.present && c.s.now < v && v <= c.s.now + crate::MAX_VALID_TO)
        })
    })
}

/// §7: every ciphertext names an existing key id and one of its versions
/// at the time it was made.
fn ciphertexts_name_real_backing_keys(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.ciphertexts.iter().all(|ct| {
        c.s.keys
            .get(ct.key as usize)
            .is_some_and(|k| k.state == Deleted || ct.version < k.versions)
    })
}

// ---------------------------------------------------------------------------
// Transition rules
// ---------------------------------------------------------------------------

/// A rule about one step.
pub type TransitionRule = fn(&Rules, &State, &Action, &Response, &State) -> bool;

/// §4: no rotation of any kind unless the key is Enabled (EnableKey's
/// catch-up happens once the key is Enabled).
fn no_rotation_unless_enabled(_: &Rules, b: &State, a: &Action, _: &Response, af: &State) -> bool {
    b.keys.iter().enumerate().all(|(i, bk)| {
        let ak = &af.keys[i];
        if ak.state == Deleted || ak.rotations.len() <= bk.rotations.len() {
            return true;
        }
        match *a {
            Action::Advance(_) => {
                bk.state == Enabled
                    && (ak.state == Enabled
                        || ak.rotations[bk.rotations.len()..]
                            .iter()
                            .all(|r| r.date < af.now))
            }
            Action::EnableKey { key } => key as usize == i && ak.state == Enabled,
            Action::RotateKeyOnDemand { key } => {
                key as usize == i && bk.state == Enabled && ak.state == Enabled
            }
            _ => false,
        }
    })
}

/// §2: CancelKeyDeletion succeeds only from PendingDeletion and never yields
/// Enabled; nothing else leaves PendingDeletion except deletion.
fn cancel_only_from_pending_deletion_never_enabled(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    if let Action::CancelKeyDeletion { key } = *a {
        let (bk, ak) = (&b.keys[key as usize], &af.keys[key as usize]);
        if r.outcome.is_ok() {
            return bk.state == PD && matches!(ak.state, Disabled | PI);
        }
        return bk.state != PD || ak.state == PD;
    }
    b.keys
        .iter()
        .zip(&af.keys)
        .all(|(bk, ak)| bk.state != PD || matches!(ak.state, PD | Deleted))
}

/// §6: deletion never happens before DeletionDate, only by the clock.
fn deletion_never_before_deletion_date(
    _: &Rules,
    b: &State,
    a: &Action,
    _: &Response,
    af: &State,
) -> bool {
    b.keys.iter().zip(&af.keys).all(|(bk, ak)| {
        bk.state == Deleted
            || ak.state != Deleted
            || (matches!(a, Action::Advance(_))
                && bk.state == PD
                && bk.deletion_date.is_some_and(|d| b.now < d && d <= af.now))
    })
}

/// §2: Deleted is terminal, ids are never reused, origin and manager never change.
fn deleted_is_terminal_ids_never_reused(
    _: &Rules,
    b: &State,
    _: &Action,
    _: &Response,
    af: &State,
) -> bool {
    af.keys.len() >= b.keys.len()
        && b.keys.iter().zip(&af.keys).all(|(bk, ak)| {
            (bk.state != Deleted || ak == bk) && bk.origin == ak.origin && bk.manager == ak.manager
        })
        && af.keys[b.keys.len()..].iter().all(|k| k.state != Deleted)
        && af.keys.len() <= b.keys.len() + 1
}

/// §5: an import succeeds only with the key's latest token, before its 24 h are over.
fn import_tokens_never_work_after_24h_or_for_another_key(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    match *a {
        Action::ImportKeyMaterial { key, token, .. } if r.outcome.is_ok() => {
            token == TokenRef::Latest
                && matches!(b.keys[key as usize].token,
                    Some(crate::Token::Valid { valid_to }) if b.now < valid_to)
        }
        _ => true,
    }
}

/// §5, §1: the material of a version never changes (only the same material
/// can be reimported); materials are never dissociated while the key exists.
fn key_material_of_a_version_never_changes(
    _: &Rules,
    b: &State,
    _: &Action,
    _: &Response,
    af: &State,
) -> bool {
    b.keys.iter().zip(&af.keys).all(|(bk, ak)| {
        ak.state == Deleted
            || (ak.materials.len() >= bk.materials.len()
                && bk
                    .materials
                    .iter()
                    .zip(&ak.materials)
                    .all(|(x, y)| x.id == y.id))
    })
}

/// §4: automatic rotation happens exactly at NextRotationDate while Enabled,
/// and moves NextRotationDate by one period.
fn automatic_rotation_exactly_at_next_rotation_date(
    _: &Rules,
    b: &State,
    a: &Action,
    _: &Response,
    af: &State,
) -> bool {
    b.keys.iter().zip(&af.keys).all(|(bk, ak)| {
        if ak.state == Deleted {
            return true;
        }
        let new_auto: Vec<_> = ak.rotations[bk.rotations.len().min(ak.rotations.len())..]
            .iter()
            .filter(|r| r.rotation_type == RotationType::Automatic)
            .collect();
        match *a {
            Action::Advance(_) => {
                let due = bk.state == Enabled
                    && bk
                        .rotation
                        .is_some_and(|r| b.now < r.next && r.next <= af.now);
                match (due, bk.rotation) {
                    (true, Some(r)) => {
                        // Due: it happened at r.next, unless material vanished at that very instant.
                        (ak.state != Enabled && new_auto.is_empty())
                            || (new_auto.first().is_some_and(|x| x.date == r.next)
                                && ak.rotation.is_some_and(|n| n.next > af.now))
                    }
                    _ => new_auto.is_empty(),
                }
            }
            Action::EnableKey { .. } => new_auto.iter().all(|x| x.date == b.now),
            _ => new_auto.is_empty(),
        }
    })
}

/// §4: EnableKey on a key whose NextRotationDate passed rotates at that instant
/// and sets NextRotationDate = now + period.
fn catch_up_rotation_on_enable_key(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    match *a {
        Action::EnableKey { key } if r.outcome.is_ok() => {
            let (bk, ak) = (&b.keys[key as usize], &af.keys[key as usize]);
            match bk.rotation {
                Some(rot) if rot.next <= b.now && bk.state != Enabled => {
                    ak.rotations.len() == bk.rotations.len() + 1
                        && ak.rotations.last().is_some_and(|x| {
                            x.date == b.now && x.rotation_type == RotationType::Automatic
                        })
                        && ak
                            .rotation
                            .is_some_and(|n| n.next == b.now + rot.period_days as u64 * crate::DAY)
                }
                _ => ak.rotations.len() == bk.rotations.len(),
            }
        }
        _ => true,
    }
}

/// §4: RotateKeyOnDemand adds one ON_DEMAND rotation at now and changes
/// nothing else visible (state, NextRotationDate, aliases).
fn on_demand_rotation_changes_only_the_backing_key(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    match *a {
        Action::RotateKeyOnDemand { key } if r.outcome.is_ok() => {
            let (bk, ak) = (&b.keys[key as usize], &af.keys[key as usize]);
            ak.state == bk.state
                && ak.rotation == bk.rotation
                && b.aliases == af.aliases
                && ak.rotations.len() == bk.rotations.len() + 1
                && ak
                    .rotations
                    .last()
                    .is_some_and(|x| x.date == b.now && x.rotation_type == RotationType::OnDemand)
        }
        _ => true,
    }
}

/// §8: every refused use of a key pending deletion raises the alarm, and
/// only such refusals do.
fn pending_deletion_refusals_raise_the_alarm(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    if r.alarm && (r.outcome.is_ok() || !b.keys.iter().any(|k| k.state == PD)) {
        return false;
    }
    match (a.direct_key(), r.outcome) {
        (Some(k), Err(Exception::KMSInvalidStateException)) if b.keys[k as usize].state == PD => {
            r.alarm
        }
        _ => true,
    }
}

/// §3: an operation succeeds only in the states the table allows.
fn operations_succeed_only_where_spec_table_allows(
    rules: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    let Ok(ok) = r.outcome else { return true };
    let st = |k: u8| b.keys[k as usize].state;
    let key = |k: u8| &b.keys[k as usize];
    match *a {
        Action::Encrypt { .. } | Action::GenerateDataKey { .. } => match ok {
            OkSummary::Encrypted { key: k, .. } => st(k) == Enabled,
            _ => false,
        },
        Action::Decrypt { ct, .. } | Action::DecryptTampered { ct } => {
            st(b.ciphertexts[ct as usize].key) == Enabled
        }
        Action::ReEncrypt { ct, dest } => {
            st(b.ciphertexts[ct as usize].key) == Enabled
                && match dest {
                    KeyRef::Key(d) => st(d) == Enabled,
                    KeyRef::Alias(_) => true,
                }
        }
        Action::EnableKey { key: k } => matches!(st(k), Enabled | Disabled),
        Action::DisableKey { key: k } => {
            matches!(st(k), Enabled | Disabled) && key(k).manager == Manager::Customer
        }
        Action::EnableKeyRotation { key: k, .. } | Action::DisableKeyRotation { key: k } => {
            st(k) == Enabled
                && key(k).origin == Origin::AwsKms
                && key(k).manager == Manager::Customer
        }
        Action::RotateKeyOnDemand { key: k } => {
            rules.on_demand_rotation && st(k) == Enabled && key(k).manager == Manager::Customer
        }
        Action::ScheduleKeyDeletion { key: k, .. } => {
            matches!(st(k), Enabled | Disabled | PI) && key(k).manager == Manager::Customer
        }
        Action::CancelKeyDeletion { key: k } => st(k) == PD,
        Action::GetParametersForImport { key: k } | Action::ImportKeyMaterial { key: k, .. } => {
            matches!(st(k), Enabled | Disabled | PI) && key(k).origin == Origin::External
        }
        Action::GetKeyRotationStatus { key: k } => {
            key(k).origin == Origin::AwsKms && st(k) != Deleted
        }
        Action::DeleteImportedKeyMaterial { key: k, .. } => {
            key(k).origin == Origin::External && st(k) != Deleted
        }
        Action::CreateAlias { key: k, .. } | Action::UpdateAlias { key: k, .. } => {
            !matches!(st(k), PD | Deleted)
        }
        _ => true,
    }
}

/// §5: material disappears only at its ValidTo or by DeleteImportedKeyMaterial.
fn material_lost_only_at_valid_to_or_by_deletion(
    _: &Rules,
    b: &State,
    a: &Action,
    _: &Response,
    af: &State,
) -> bool {
    b.keys
        .iter()
        .zip(&af.keys)
        .enumerate()
        .all(|(i, (bk, ak))| {
            ak.state == Deleted
                || bk.materials.iter().zip(&ak.materials).all(|(x, y)| {
                    !x.present
                        || y.present
                        || match *a {
                            Action::Advance(_) => {
                                x.valid_to.is_some_and(|v| b.now < v && v <= af.now)
                            }
                            Action::DeleteImportedKeyMaterial { key, .. } => key as usize == i,
                            _ => false,
                        }
                })
        })
}

/// §5: DeleteImportedKeyMaterial deletes exactly the material it names (the
/// current one when no `KeyMaterialId` is given) and nothing else; deleting a
/// CURRENT or NON_CURRENT material makes an Enabled or Disabled key
/// PendingImport, deleting PENDING_ROTATION material changes no state.
/// Stated from the spec's sentences, not from `step`'s code.
fn delete_imported_material_deletes_exactly_what_it_names(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    let Action::DeleteImportedKeyMaterial { key, material } = *a else {
        return true;
    };
    let i = key as usize;
    let (Some(bk), Some(ak)) = (b.keys.get(i), af.keys.get(i)) else {
        return true;
    };
    if r.outcome.is_err() {
        return bk == ak;
    }
    // Which material the call names, by the spec's words.
    let named: Option<Option<usize>> = match material {
        None => Some(bk.materials.len().checked_sub(1)),
        Some(crate::MaterialRef::Version(v)) => Some(Some(v as usize)),
        Some(crate::MaterialRef::Pending) => None,
        Some(crate::MaterialRef::Unknown) => return false, // must be refused
    };
    let others_unchanged = bk.materials.len() == ak.materials.len()
        && bk
            .materials
            .iter()
            .zip(&ak.materials)
            .enumerate()
            .all(|(j, (x, y))| named == Some(Some(j)) || x == y);
    match named {
        // PENDING_ROTATION: gone, nothing else changes.
        None => ak.pending.is_none() && others_unchanged && ak.state == bk.state,
        Some(target) => {
            let gone = target.is_none_or(|j| !ak.materials[j].present);
            let state_ok = match bk.state {
                Enabled | Disabled => ak.state == PI,
                s => ak.state == s,
            };
            gone && others_unchanged && ak.pending == bk.pending && state_ok
        }
    }
}

/// §5 crypto-shredding: a material that is not present becomes present again
/// only by an ImportKeyMaterial of that same material into that key.
fn deleted_material_returns_only_by_reimport_of_the_same(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    b.keys
        .iter()
        .zip(&af.keys)
        .enumerate()
        .all(|(i, (bk, ak))| {
            bk.materials.iter().zip(&ak.materials).all(|(x, y)| {
                x.present
                    || !y.present
                    || (r.outcome.is_ok()
                        && matches!(*a, Action::ImportKeyMaterial { key, material, .. }
                        if key as usize == i && material == x.id))
            })
        })
}

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

macro_rules! transition_properties {
    ($($i:literal),*) => {
        vec![$(Property::always(TRANSITION_RULES[$i].0, transition_rule_holds::<$i>)),*]
    };
}

// ---------------------------------------------------------------------------
// Reachability
// ---------------------------------------------------------------------------

fn some_state(c: &CheckState, st: KeyState) -> bool {
    c.s.keys.iter().any(|k| k.state == st)
}
fn reach_enabled(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, Enabled)
}
fn reach_disabled(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, Disabled)
}
fn reach_pending_deletion(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, PD)
}
fn reach_pending_import(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, PI)
}
fn reach_deleted(_: &LifecycleModel, c: &CheckState) -> bool {
    some_state(c, Deleted)
}
fn reach_two_automatic_rotations(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys.iter().any(|k| {
        k.rotations
            .iter()
            .filter(|r| r.rotation_type == RotationType::Automatic)
            .count()
            >= 2
    })
}
fn reach_old_ciphertext_decryptable(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.ciphertexts.iter().any(|ct| {
        let k = &c.s.keys[ct.key as usize];
        k.state == Enabled && ct.version + 1 < k.versions && k.version_usable(ct.version)
    })
}
fn reach_imported_key_enabled(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys
        .iter()
        .any(|k| k.origin == Origin::External && k.state == Enabled)
}
fn reach_alias_in_use(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.aliases.iter().any(|a| a.is_some())
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
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
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
