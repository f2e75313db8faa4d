//! Planted bugs: deliberate defects made by perturbing the first outcome of
//! [`step`], to show that the properties notice them.

use super::*;

/// A deliberate bug, planted by perturbing [`step`]'s result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlantedBug {
    /// A Disabled key rotates when the clock reaches its NextRotationDate.
    RotationWhileDisabled,
    /// CancelKeyDeletion leaves the key Enabled.
    CancelGivesEnabled,
    /// The key is deleted one second before its DeletionDate.
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
}

impl PlantedBug {
    /// Every planted bug.
    pub fn all() -> &'static [PlantedBug] {
        &[
            PlantedBug::RotationWhileDisabled,
            PlantedBug::CancelGivesEnabled,
            PlantedBug::DeletionOneSecondEarly,
            PlantedBug::DeletionLate,
            PlantedBug::BackingKeyDroppedOnRotation,
            PlantedBug::TokenAcceptedAfter24h,
            PlantedBug::DifferentMaterialAccepted,
            PlantedBug::AliasSurvivesKey,
            PlantedBug::CatchUpRotationMissing,
            PlantedBug::DecryptWhileDisabled,
            PlantedBug::OnDemandBeyondLimit,
            PlantedBug::LockoutWithoutBypass,
        ]
    }

    /// The CLI name.
    pub fn name(&self) -> &'static str {
        match self {
            PlantedBug::RotationWhileDisabled => "rotation-while-disabled",
            PlantedBug::CancelGivesEnabled => "cancel-gives-enabled",
            PlantedBug::DeletionOneSecondEarly => "deletion-one-second-early",
            PlantedBug::DeletionLate => "deletion-late",
            PlantedBug::BackingKeyDroppedOnRotation => "backing-key-dropped-on-rotation",
            PlantedBug::TokenAcceptedAfter24h => "token-accepted-after-24h",
            PlantedBug::DifferentMaterialAccepted => "different-material-accepted",
            PlantedBug::AliasSurvivesKey => "alias-survives-key",
            PlantedBug::CatchUpRotationMissing => "catch-up-rotation-missing",
            PlantedBug::DecryptWhileDisabled => "decrypt-while-disabled",
            PlantedBug::OnDemandBeyondLimit => "on-demand-beyond-limit",
            PlantedBug::LockoutWithoutBypass => "lockout-without-bypass",
        }
    }

    /// Look a bug up by its CLI name.
    pub fn by_name(name: &str) -> Option<PlantedBug> {
        PlantedBug::all().iter().copied().find(|b| b.name() == name)
    }

    /// One line for `--list-planted-bugs`.
    pub fn description(&self) -> &'static str {
        match self {
            PlantedBug::RotationWhileDisabled => "a Disabled key rotates at its NextRotationDate",
            PlantedBug::CancelGivesEnabled => "CancelKeyDeletion leaves the key Enabled",
            PlantedBug::DeletionOneSecondEarly => "deletion one second before DeletionDate",
            PlantedBug::DeletionLate => "no deletion at DeletionDate (only at a later clock step)",
            PlantedBug::BackingKeyDroppedOnRotation => "a rotation destroys older backing keys",
            PlantedBug::TokenAcceptedAfter24h => "an expired import token is accepted",
            PlantedBug::DifferentMaterialAccepted => "reimport of different material accepted",
            PlantedBug::AliasSurvivesKey => "aliases survive the deletion of their key",
            PlantedBug::CatchUpRotationMissing => "EnableKey skips the overdue rotation",
            PlantedBug::DecryptWhileDisabled => "Decrypt succeeds on a Disabled key",
            PlantedBug::OnDemandBeyondLimit => "RotateKeyOnDemand ignores the limit",
            PlantedBug::LockoutWithoutBypass => {
                "PutKeyPolicy accepts a lock-out policy without the bypass flag"
            }
        }
    }

    /// The rule set under which the bug can show (it is caught there).
    pub fn rules(&self) -> Rules {
        match self {
            PlantedBug::OnDemandBeyondLimit => Rules::current(),
            _ => Rules::classic(),
        }
    }
}

pub(super) fn perturb(
    bug: PlantedBug,
    rules: &Rules,
    before: &State,
    a: &Action,
    mut out: Vec<(Response, State)>,
) -> Vec<(Response, State)> {
    let (resp, after) = &mut out[0];
    match bug {
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
