//! State invariants: `always` properties of one state.

use super::*;

pub(super) fn live(s: &State) -> impl Iterator<Item = (usize, &crate::Key)> {
    s.keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.state != Deleted)
}

/// §2/§6: DeletionDate is set exactly while the key is PendingDeletion.
pub(super) fn deletion_date_iff_pending_deletion(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys
        .iter()
        .all(|k| k.deletion_date.is_some() == (k.state == PD))
}

/// §6 (bounded "eventually deleted"): no key is still PendingDeletion at or
/// after its DeletionDate.
pub(super) fn deleted_by_deletion_date(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys
        .iter()
        .all(|k| k.state != PD || k.deletion_date.is_some_and(|d| c.s.now < d))
}

/// §4: an Enabled key with rotation on has its NextRotationDate in the future
/// (automatic rotation is never skipped, catch-up included).
pub(super) fn no_overdue_rotation_while_enabled(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| k.state != Enabled || k.rotation.is_none_or(|r| r.next > c.s.now))
}

/// §4: imported (EXTERNAL) keys never rotate automatically.
pub(super) fn imported_keys_never_rotate_automatically(_: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn backing_keys_never_dropped(_: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn enabled_or_disabled_keys_have_material(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| match k.state {
        Enabled | Disabled => k.all_material_present(),
        PI => k.origin == Origin::External && !k.all_material_present(),
        _ => true,
    })
}

/// §5: at most one pending-rotation material, only under `current`, only on
/// a key that has material, never one of the key's own materials.
pub(super) fn at_most_one_pending_material(m: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn on_demand_rotations_within_limit(m: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn managed_keys_never_disabled_or_pending_deletion(
    m: &LifecycleModel,
    c: &CheckState,
) -> bool {
    c.s.keys.iter().all(|k| {
        k.manager == Manager::Customer
            || (k.state == Enabled
                && k.rotation
                    .is_some_and(|r| r.period_days == m.rules.managed_rotation_days))
    })
}

/// §9: an alias never names a deleted key.
pub(super) fn alias_never_names_deleted_key(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.aliases.iter().flatten().all(|&k| {
        c.s.keys
            .get(k as usize)
            .is_some_and(|k| k.state != Deleted && k.manager == Manager::Customer)
    })
}

/// §4, §7: every ciphertext decrypts (with its context) exactly when its key
/// is Enabled and its backing key is present; after deletion NotFoundException.
pub(super) fn ciphertext_decrypts_iff_key_enabled_and_backing_key_present(
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
pub(super) fn wrong_context_never_decrypts(m: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn deleted_keys_are_tombstones(_: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn rotation_history_consistent(_: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn rotation_period_within_rules(m: &LifecycleModel, c: &CheckState) -> bool {
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
pub(super) fn import_tokens_expire_after_24h(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| match k.token {
        Some(crate::Token::Valid { valid_to }) => {
            c.s.now < valid_to && valid_to <= c.s.now + crate::IMPORT_TOKEN_LIFETIME
        }
        _ => true,
    })
}

/// §5: a material's ValidTo is in the future and at most 365 days ahead.
pub(super) fn material_valid_to_in_range(_: &LifecycleModel, c: &CheckState) -> bool {
    live(&c.s).all(|(_, k)| {
        k.materials.iter().chain(k.pending.iter()).all(|mt| {
            mt.valid_to
                .is_none_or(|v| mt.present && c.s.now < v && v <= c.s.now + crate::MAX_VALID_TO)
        })
    })
}

/// §7: every ciphertext names an existing key id and one of its versions
/// at the time it was made.
pub(super) fn ciphertexts_name_real_backing_keys(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.ciphertexts.iter().all(|ct| {
        c.s.keys
            .get(ct.key as usize)
            .is_some_and(|k| k.state == Deleted || ct.version < k.versions)
    })
}

/// Issue 16: a customer key's policy that lets nobody call PutKeyPolicy was
/// accepted with BypassPolicyLockoutSafetyCheck (AWS managed keys have AWS's
/// own policy, which nobody may change).
pub(super) fn no_lockout_without_bypass(_: &LifecycleModel, c: &CheckState) -> bool {
    c.s.keys.iter().all(|k| {
        k.state == Deleted
            || k.manager == Manager::Aws
            || !k.policy.locks_out()
            || k.lockout_bypassed
    })
}
