//! Rotation: automatic rotation settings, RotateKeyOnDemand, ListKeyRotations
//! (spec §4, §5).

use super::*;

impl Kms {
    pub(super) fn rotation_checks(&self, idx: u32) -> KmsResult<()> {
        let arn = self.arn_idx(idx);
        if self.is_managed(idx) {
            return Err(self.managed_error(idx));
        }
        match &self.keys[idx as usize] {
            AnyKey::Enabled(_) => Ok(()),
            AnyKey::Disabled(_) => Err(KmsError::disabled(&arn)),
            AnyKey::PendingDeletion(_) => Err(KmsError::pending_deletion(&arn)),
            AnyKey::Deleted(_) => Err(KmsError::not_found(&arn)),
            _ => Err(KmsError::wrong_origin(&arn, "EXTERNAL")),
        }
    }

    /// EnableKeyRotation: AWS_KMS customer managed keys, Enabled only (spec §3,
    /// §4). `RotationPeriodInDays` only under `current`.
    pub fn enable_key_rotation(&mut self, req: EnableKeyRotationRequest) -> KmsResult<Empty> {
        self.run("EnableKeyRotation", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let rules = &kms.rules;
            let period = match req.rotation_period_in_days {
                None => rules.default_rotation_days,
                Some(_) if !rules.rotation_period_configurable => {
                    return Err(KmsError::ValidationException(
                        "RotationPeriodInDays is not supported: the rotation period is fixed at 365 days.".into(),
                    ));
                }
                Some(p) if p < i64::from(rules.min_rotation_days) => {
                    return Err(KmsError::validation(
                        "rotationPeriodInDays",
                        p,
                        &format!("Member must have value greater than or equal to {}", rules.min_rotation_days),
                    ));
                }
                Some(p) if p > i64::from(rules.max_rotation_days) => {
                    return Err(KmsError::validation(
                        "rotationPeriodInDays",
                        p,
                        &format!("Member must have value less than or equal to {}", rules.max_rotation_days),
                    ));
                }
                Some(p) => p as u32,
            };
            kms.rotation_checks(idx)?;
            let now = kms.clock.now();
            if let AnyKey::Enabled(k) = &mut kms.keys[idx as usize] {
                // No period given while rotation is on: no change (decisions.md).
                let period = match (req.rotation_period_in_days, k.rotation_schedule()) {
                    (None, Some(r)) => r.period_days,
                    _ => period,
                };
                k.enable_rotation(period, now);
            }
            kms.schedule(idx);
            Ok(Empty {})
        })
    }

    /// DisableKeyRotation.
    pub fn disable_key_rotation(&mut self, req: KeyIdRequest) -> KmsResult<Empty> {
        self.run("DisableKeyRotation", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            kms.rotation_checks(idx)?;
            if let AnyKey::Enabled(k) = &mut kms.keys[idx as usize] {
                k.disable_rotation();
            }
            Ok(Empty {})
        })
    }

    /// GetKeyRotationStatus: EXTERNAL keys → UnsupportedOperationException; a
    /// key pending deletion reports false.
    pub fn get_key_rotation_status(
        &mut self,
        req: KeyIdRequest,
    ) -> KmsResult<GetKeyRotationStatusResponse> {
        self.run("GetKeyRotationStatus", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let arn = kms.arn_idx(idx);
            if kms.keys[idx as usize].origin() == Some(Origin::External) {
                return Err(KmsError::wrong_origin(&arn, "EXTERNAL"));
            }
            let core = kms.core(idx);
            let pending = kms.keys[idx as usize].state() == Some(KeyState::PendingDeletion);
            let r = if pending { None } else { core.rotation };
            Ok(GetKeyRotationStatusResponse {
                key_rotation_enabled: r.is_some(),
                key_id: arn,
                rotation_period_in_days: r.map(|r| r.period_days),
                next_rotation_date: r.map(|r| Timestamp(r.next)),
            })
        })
    }

    /// RotateKeyOnDemand (`current` rules): AWS_KMS keys get a new backing key;
    /// EXTERNAL keys make their pending material current (spec §4, §5).
    pub fn rotate_key_on_demand(&mut self, req: KeyIdRequest) -> KmsResult<KeyIdResponse> {
        self.run("RotateKeyOnDemand", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let arn = kms.arn_idx(idx);
            if !kms.rules.on_demand_rotation {
                return Err(KmsError::UnsupportedOperationException(
                    "On-demand rotation is not available under the classic rules.".into(),
                ));
            }
            if kms.is_managed(idx) {
                return Err(kms.managed_error(idx));
            }
            match &kms.keys[idx as usize] {
                AnyKey::Enabled(_) | AnyKey::ExtEnabled(_) => {}
                AnyKey::Disabled(_) | AnyKey::ExtDisabled(_) => return Err(KmsError::disabled(&arn)),
                AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_) => {
                    return Err(KmsError::pending_deletion(&arn));
                }
                AnyKey::ExtPendingImport(_) => return Err(KmsError::pending_import(&arn)),
                AnyKey::Deleted(_) => return Err(KmsError::not_found(&arn)),
            }
            if let AnyKey::ExtEnabled(k) = &kms.keys[idx as usize]
                && !k.has_pending_material()
            {
                return Err(KmsError::state(format!(
                    "No available key material pending rotation for the key: {arn}."
                )));
            }
            let core = kms.core(idx);
            if core.on_demand_rotations >= kms.rules.on_demand_limit {
                return Err(KmsError::LimitExceededException(format!(
                    "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {arn}"
                )));
            }
            let now = kms.clock.now();
            if let Some(r) = core.rotation
                && r.next <= now + 1_200
            {
                return Err(KmsError::ConflictException(format!(
                    "An automatic rotation of {arn} is scheduled within the next 20 minutes."
                )));
            }
            let k = kms.take(idx);
            let k = match k {
                AnyKey::Enabled(k) => AnyKey::Enabled(k.rotate(now, RotationType::OnDemand)),
                AnyKey::ExtEnabled(k) => match k.rotate_to_pending(now) {
                    Ok(k) | Err(k) => AnyKey::ExtEnabled(k),
                },
                other => other,
            };
            kms.put(idx, k);
            trail.material = kms.core(idx).current_material().map(|m| m.id);
            Ok(KeyIdResponse { key_id: arn })
        })
    }

    /// ListKeyRotations: every rotation, oldest first.
    pub fn list_key_rotations(
        &mut self,
        req: ListKeyRotationsRequest,
    ) -> KmsResult<ListKeyRotationsResponse> {
        self.run("ListKeyRotations", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let (start, limit) = page(&ListRequest {
                key_id: None,
                limit: req.limit,
                marker: req.marker.clone(),
            })?;
            let all = matches!(
                req.include_key_material,
                Some(IncludeKeyMaterial::AllKeyMaterial)
            );
            let arn = kms.arn_idx(idx);
            let core = kms.core(idx);
            let external = kms.keys[idx as usize].origin() == Some(Origin::External);
            let ids = kms.rules.key_material_ids;
            // One entry per material in version order, then the pending one;
            // ROTATIONS_ONLY keeps the materials that a rotation made.
            let entry = |m: &Material, state: KeyMaterialState, rotation: Option<&Rotation>| {
                RotationsListEntry {
                    key_id: arn.clone(),
                    key_material_id: ids.then(|| m.id.to_string()),
                    key_material_state: ids.then_some(state),
                    import_state: (ids && external).then_some(if m.backing.is_some() {
                        ImportState::Imported
                    } else {
                        ImportState::PendingImport
                    }),
                    expiration_model: if ids && external {
                        m.expiration_model
                    } else {
                        None
                    },
                    valid_to: if ids && external {
                        m.valid_to.map(Timestamp)
                    } else {
                        None
                    },
                    rotation_date: rotation.map(|r| Timestamp(r.date)),
                    rotation_type: rotation.map(|r| r.kind),
                }
            };
            let mut entries: Vec<RotationsListEntry> = core
                .materials
                .iter()
                .enumerate()
                .filter_map(|(v, m)| {
                    let rotation = core.rotations.iter().find(|r| r.version as usize == v);
                    let state = if v == core.current as usize {
                        KeyMaterialState::Current
                    } else {
                        KeyMaterialState::NonCurrent
                    };
                    (all || rotation.is_some()).then(|| entry(m, state, rotation))
                })
                .collect();
            if all && let Some(p) = core.pending_material.as_deref() {
                entries.push(entry(p, KeyMaterialState::PendingRotation, None));
            }
            let end = start.saturating_add(limit).min(entries.len());
            let truncated = end < entries.len();
            entries.truncate(end);
            let rotations = entries.split_off(start.min(end));
            Ok(ListKeyRotationsResponse {
                rotations,
                truncated,
                next_marker: truncated.then(|| end.to_string()),
            })
        })
    }
}
