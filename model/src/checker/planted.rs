//! The model's planted bugs ([`crate::bugs`]): each is made by perturbing
//! the first outcome of [`step`], to show that the properties notice it.

use super::*;

pub(super) fn perturb(
    bug: PlantedBug,
    rules: &Rules,
    before: &State,
    a: &Action,
    mut out: Vec<(Response, State)>,
) -> Vec<(Response, State)> {
    let (resp, after) = &mut out[0];
    match bug {
        // Planted in the implementation only (`with_bug` refuses them).
        PlantedBug::ShortWindowAccepted
        | PlantedBug::DeletedMaterialKeptWhilePendingImport
        | PlantedBug::PutKeyPolicyIgnored => {}
        PlantedBug::RotationWhileDisabled => {
            if let Action::Advance(_) = a {
                for (i, k) in before.keys.iter().enumerate() {
                    let ak = &mut after.keys[i];
                    if k.state == KeyState::Disabled
                        && ak.state == KeyState::Disabled
                        && let Some(r) = k.rotation
                        && r.next > before.now
                        && r.next <= after.now
                    {
                        let v = ak.versions;
                        ak.versions += 1;
                        ak.rotations.push(crate::RotationRecord {
                            version: v,
                            date: r.next,
                            rotation_type: crate::RotationType::Automatic,
                        });
                        ak.rotation = Some(crate::RotationSetting {
                            period_days: r.period_days,
                            next: r.next + r.period_days as Time * DAY,
                        });
                    }
                }
            }
        }
        PlantedBug::CancelGivesEnabled => {
            if let (Action::CancelKeyDeletion { key }, Ok(_)) = (a, resp.outcome) {
                let k = &mut after.keys[*key as usize];
                if k.state == KeyState::Disabled {
                    k.state = KeyState::Enabled;
                }
            }
        }
        PlantedBug::DeletionOneSecondEarly => {
            if let Action::Advance(_) = a {
                for i in 0..after.keys.len() {
                    let k = &after.keys[i];
                    if k.state == KeyState::PendingDeletion
                        && k.deletion_date == Some(after.now + 1)
                    {
                        after.keys[i] = k.tombstone();
                        for al in after.aliases.iter_mut() {
                            if *al == Some(i as u8) {
                                *al = None;
                            }
                        }
                    }
                }
            }
        }
        PlantedBug::DeletionLate => {
            if let Action::Advance(_) = a {
                for (i, k) in before.keys.iter().enumerate() {
                    if k.state == KeyState::PendingDeletion
                        && after.keys[i].state == KeyState::Deleted
                        && k.deletion_date == Some(after.now)
                    {
                        after.keys[i] = k.clone();
                        for (al, bl) in after.aliases.iter_mut().zip(&before.aliases) {
                            if *bl == Some(i as u8) {
                                *al = *bl;
                            }
                        }
                    }
                }
            }
        }
        PlantedBug::BackingKeyDroppedOnRotation => {
            for (i, k) in before.keys.iter().enumerate() {
                let ak = &mut after.keys[i];
                if ak.state != KeyState::Deleted && k.versions >= 1 && ak.versions > k.versions {
                    ak.oldest_retained = ak.versions - 1;
                }
            }
        }
        PlantedBug::TokenAcceptedAfter24h => {
            if let (
                Action::ImportKeyMaterial { key, .. },
                Err(Exception::ExpiredImportTokenException),
            ) = (a, resp.outcome)
            {
                let mut fresh = before.clone();
                fresh.keys[*key as usize].token = Some(Token::Valid {
                    valid_to: before.now + 1,
                });
                if let Some((r, mut s)) = step(rules, &fresh, a).into_iter().next() {
                    s.keys[*key as usize].token = before.keys[*key as usize].token;
                    *resp = r;
                    *after = s;
                }
            }
        }
        PlantedBug::DifferentMaterialAccepted => {
            if let (
                Action::ImportKeyMaterial { key, material, .. },
                Err(Exception::IncorrectKeyMaterialException),
            ) = (a, resp.outcome)
            {
                let k = &mut after.keys[*key as usize];
                if let Some(m) = k.materials.last_mut() {
                    m.id = *material;
                    m.present = true;
                    m.valid_to = None;
                    if k.state == KeyState::PendingImport && k.all_material_present() {
                        k.state = KeyState::Enabled;
                    }
                    let v = (k.materials.len() - 1) as u8;
                    *resp = Response {
                        outcome: Ok(crate::OkSummary::Imported {
                            key: *key,
                            version: Some(v),
                            state: k.state,
                        }),
                        alarm: false,
                    };
                }
            }
        }
        PlantedBug::AliasSurvivesKey => {
            if let Action::Advance(_) = a {
                for (i, k) in before.keys.iter().enumerate() {
                    if k.state != KeyState::Deleted && after.keys[i].state == KeyState::Deleted {
                        for (al, bl) in after.aliases.iter_mut().zip(&before.aliases) {
                            if *bl == Some(i as u8) {
                                *al = *bl;
                            }
                        }
                    }
                }
            }
        }
        PlantedBug::CatchUpRotationMissing => {
            if let (Action::EnableKey { key }, Ok(_)) = (a, resp.outcome) {
                let (bk, ak) = (&before.keys[*key as usize], &mut after.keys[*key as usize]);
                if ak.rotations.len() > bk.rotations.len() {
                    ak.rotations.pop();
                    ak.versions -= 1;
                }
            }
        }
        PlantedBug::DecryptWhileDisabled => {
            if let (Action::Decrypt { ct, ctx, .. }, Err(Exception::DisabledException)) =
                (a, resp.outcome)
            {
                let c = before.ciphertexts[*ct as usize];
                if *ctx == c.ctx {
                    *resp = Response {
                        outcome: Ok(crate::OkSummary::Decrypted {
                            key: c.key,
                            version: c.version,
                        }),
                        alarm: false,
                    };
                }
            }
        }
        PlantedBug::LockoutWithoutBypass => {
            if let (
                Action::PutKeyPolicy {
                    key,
                    policy,
                    bypass: false,
                },
                Err(Exception::MalformedPolicyDocumentException),
            ) = (a, resp.outcome)
                && *policy != crate::Policy::Malformed
            {
                let k = &mut after.keys[*key as usize];
                k.policy = *policy;
                *resp = Response {
                    outcome: Ok(crate::OkSummary::Done {
                        key: *key,
                        state: k.state,
                    }),
                    alarm: false,
                };
            }
        }
        PlantedBug::OnDemandBeyondLimit => {
            if let (Action::RotateKeyOnDemand { .. }, Err(Exception::LimitExceededException)) =
                (a, resp.outcome)
            {
                let mut lax = *rules;
                lax.on_demand_limit = u32::MAX;
                if let Some((r, s)) = step(&lax, before, a).into_iter().next() {
                    *resp = r;
                    *after = s;
                }
            }
        }
    }
    out
}
