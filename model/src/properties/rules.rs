//! Transition rules of the lifecycle: `always` properties of one step
//! (before, action, response, after).

use super::*;

/// §4: no rotation of any kind unless the key is Enabled (EnableKey's
/// catch-up happens once the key is Enabled).
pub(super) fn no_rotation_unless_enabled(
    _: &Rules,
    b: &State,
    a: &Action,
    _: &Response,
    af: &State,
) -> bool {
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
pub(super) fn cancel_only_from_pending_deletion_never_enabled(
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
pub(super) fn deletion_never_before_deletion_date(
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
pub(super) fn deleted_is_terminal_ids_never_reused(
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
pub(super) fn import_tokens_never_work_after_24h_or_for_another_key(
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
pub(super) fn key_material_of_a_version_never_changes(
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
pub(super) fn automatic_rotation_exactly_at_next_rotation_date(
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
pub(super) fn catch_up_rotation_on_enable_key(
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
pub(super) fn on_demand_rotation_changes_only_the_backing_key(
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
pub(super) fn pending_deletion_refusals_raise_the_alarm(
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
pub(super) fn operations_succeed_only_where_spec_table_allows(
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
        // AWS key-state table: every state but Deleted.
        Action::GetKeyPolicy { key: k }
        | Action::ListKeyPolicies { key: k }
        | Action::PutKeyPolicy { key: k, .. } => st(k) != Deleted,
        _ => true,
    }
}

/// §7: a successful Encrypt, GenerateDataKey or ReEncrypt adds exactly one
/// ciphertext, the one its response names, under the response's key and
/// that key's current backing key, with the context it was given
/// (GenerateDataKey: the checker's context A; ReEncrypt: the source's);
/// no other step adds, drops or changes a ciphertext.
pub(super) fn encryption_adds_exactly_the_named_ciphertext(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    let n = b.ciphertexts.len();
    let kept = af.ciphertexts.get(..n) == Some(&b.ciphertexts[..]);
    match r.outcome {
        Ok(OkSummary::Encrypted { ct, key, version }) => {
            let ctx = match *a {
                Action::Encrypt { ctx, .. } => Some(ctx),
                Action::GenerateDataKey { .. } => Some(Ctx::A),
                Action::ReEncrypt { ct: src, .. } => b.ciphertexts.get(src as usize).map(|c| c.ctx),
                _ => None,
            };
            kept && af.ciphertexts.len() == n + 1
                && ct as usize == n
                && ctx
                    .is_some_and(|ctx| af.ciphertexts[n] == crate::Ciphertext { key, version, ctx })
                && af
                    .keys
                    .get(key as usize)
                    .is_some_and(|k| u32::from(version) + 1 == u32::from(k.versions))
        }
        _ => kept && af.ciphertexts.len() == n,
    }
}

/// §4: GetKeyRotationStatus reports the key's rotation setting: enabled, with
/// its NextRotationDate and period, while rotation is on; nothing while it is
/// off; and a customer managed key pending deletion reports disabled ([M],
/// [DG23]: "not rotated; GetKeyRotationStatus reports false").
pub(super) fn rotation_status_reports_the_setting(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    let (
        Action::GetKeyRotationStatus { key },
        Ok(OkSummary::RotationStatus {
            enabled,
            next,
            period_days,
        }),
    ) = (*a, r.outcome)
    else {
        return true;
    };
    let Some(k) = b.keys.get(key as usize) else {
        return false;
    };
    let pending_customer = k.state == KeyState::PendingDeletion && k.manager == Manager::Customer;
    match k.rotation.filter(|_| !pending_customer) {
        Some(setting) => {
            enabled && next == Some(setting.next) && period_days == Some(setting.period_days)
        }
        None => !enabled && next.is_none() && period_days.is_none(),
    }
}
