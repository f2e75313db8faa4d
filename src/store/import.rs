//! Importing key material: GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial (spec §5).

use super::*;
use crate::rules::{wrapping_algorithms, wrapping_key_specs};

impl Kms {
    pub(super) fn import_state_checks(&self, idx: u32) -> KmsResult<()> {
        let arn = self.arn_idx(idx);
        match &self.keys[idx as usize] {
            AnyKey::Enabled(_) | AnyKey::Disabled(_) | AnyKey::PendingDeletion(_) => {
                Err(KmsError::wrong_origin(&arn, "AWS_KMS"))
            }
            AnyKey::ExtPendingDeletion(_) => Err(KmsError::pending_deletion(&arn)),
            AnyKey::Deleted(_) => Err(KmsError::not_found(&arn)),
            _ => Ok(()),
        }
    }

    /// GetParametersForImport: a fresh RSA wrapping key and an import token,
    /// valid 24 hours; supersedes the key's earlier parameters (spec §5).
    pub fn get_parameters_for_import(
        &mut self,
        req: GetParametersForImportRequest,
    ) -> KmsResult<GetParametersForImportResponse> {
        self.run("GetParametersForImport", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            // AWS values the rule set does not accept (RSAES_PKCS1_V1_5 under
            // `current`, SM2PKE and SM2 always) are answered with the rule
            // set's values.
            let algorithm = Some(req.wrapping_algorithm)
                .filter(|a| wrapping_algorithms(&kms.rules).contains(a))
                .ok_or_else(|| {
                    KmsError::validation(
                        "wrappingAlgorithm",
                        req.wrapping_algorithm,
                        &format!(
                            "Member must satisfy enum value set: [{}]",
                            wrapping_algorithms(&kms.rules)
                                .iter()
                                .map(|a| a.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            let spec = Some(req.wrapping_key_spec)
                .filter(|s| wrapping_key_specs(&kms.rules).contains(s) && s.bits().is_some())
                .ok_or_else(|| {
                    KmsError::validation(
                        "wrappingKeySpec",
                        req.wrapping_key_spec,
                        &format!(
                            "Member must satisfy enum value set: [{}]",
                            wrapping_key_specs(&kms.rules)
                                .iter()
                                .map(|a| a.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            kms.import_state_checks(idx)?;
            let now = kms.clock.now();
            kms.import_generation += 1;
            let generation = kms.import_generation;
            let valid_to = now + DAY;
            let sk = kms.wrapping.wrapping_key(spec);
            let (params, spki) = ImportParameters::new(sk, generation, algorithm, valid_to);
            let id = kms.keys[idx as usize].id();
            let token = kms.signer.issue(id.as_bytes(), &params);
            kms.params.insert(idx, params);
            kms.keys[idx as usize]
                .core_mut()
                .expect("live")
                .import_generation = generation;
            kms.queue.insert((valid_to, EV_PARAMS, idx));
            Ok(GetParametersForImportResponse {
                key_id: kms.arn_idx(idx),
                import_token: Blob(token),
                public_key: Blob(spki),
                parameters_valid_to: Timestamp(valid_to),
            })
        })
    }

    /// ImportKeyMaterial (spec §5; check order in docs/decisions.md).
    pub fn import_key_material(
        &mut self,
        req: ImportKeyMaterialRequest,
    ) -> KmsResult<ImportKeyMaterialResponse> {
        self.run("ImportKeyMaterial", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let model = req
                .expiration_model
                .unwrap_or(ExpirationModel::KeyMaterialExpires);
            let import_type = match req.import_type {
                Some(t) if !kms.rules.new_key_material_import => {
                    return Err(KmsError::ValidationException(format!(
                        "ImportType {t} is not supported: only the same key material can be imported under the classic rules."
                    )));
                }
                t => t,
            };
            check_blob("importToken", &req.import_token.0)?;
            check_blob("encryptedKeyMaterial", &req.encrypted_key_material.0)?;
            kms.import_state_checks(idx)?;
            let now = kms.clock.now();
            let id = kms.keys[idx as usize].id();
            // The token: authentic, for this key, the latest, not expired.
            let invalid = || {
                KmsError::InvalidImportTokenException(
                    "The import token is invalid or does not match this KMS key.".into(),
                )
            };
            let claims = kms.signer.verify(&req.import_token.0).ok_or_else(invalid)?;
            if claims.key_id != *id.as_bytes() || claims.generation != kms.core(idx).import_generation {
                return Err(invalid());
            }
            let token_never_expires = kms.bugs.has(crate::bugs::PlantedBug::TokenAcceptedAfter24h);
            if now >= claims.valid_to && !token_never_expires {
                return Err(KmsError::ExpiredImportTokenException(
                    "The import token has expired. Call GetParametersForImport for a new one.".into(),
                ));
            }
            let params = kms
                .params
                .get(&idx)
                .filter(|p| p.matches(&claims))
                .ok_or_else(invalid)?;
            let material = params
                .unwrap(&req.encrypted_key_material.0)
                .ok_or_else(KmsError::invalid_ciphertext)?;
            let material: Zeroizing<[u8; 32]> = Zeroizing::new(
                material.as_slice().try_into().map_err(|_| {
                    KmsError::IncorrectKeyMaterialException(
                        "The key material must be 256 bits (32 bytes) for a symmetric encryption key."
                            .into(),
                    )
                })?,
            );
            // Checked after the material (docs/decisions.md), so kept as a result.
            let validity: KmsResult<Option<u64>> = (|| Ok(match (model, req.valid_to) {
                (ExpirationModel::KeyMaterialExpires, None) => {
                    return Err(KmsError::ValidationException(
                        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES".into(),
                    ));
                }
                (ExpirationModel::KeyMaterialExpires, Some(t)) => {
                    if t.0 <= now || t.0 > now + 365 * DAY {
                        return Err(KmsError::ValidationException(format!(
                            "ValidTo {} must be in the future and at most 365 days from now.",
                            t.0
                        )));
                    }
                    Some(t.0)
                }
                (ExpirationModel::KeyMaterialDoesNotExpire, Some(_)) => {
                    return Err(KmsError::ValidationException(
                        "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE".into(),
                    ));
                }
                (ExpirationModel::KeyMaterialDoesNotExpire, None) => None,
            }))();
            let imported = ImportedMaterial::new(&id, &material, model, None);
            let mid = imported.backing.material_id().to_string();
            trail.material = Some(imported.backing.material_id());
            kms.apply_import(idx, imported, import_type, validity)?;
            Ok(ImportKeyMaterialResponse {
                key_id: kms.arn_idx(idx),
                key_material_id: kms.material_id_out(Some(mid)),
            })
        })
    }

    pub(super) fn apply_import(
        &mut self,
        idx: u32,
        mut m: ImportedMaterial,
        import_type: Option<ImportType>,
        validity: KmsResult<Option<u64>>,
    ) -> KmsResult<()> {
        let arn = self.arn_idx(idx);
        let incorrect = || {
            KmsError::IncorrectKeyMaterialException(
                "The key material is not the key material previously imported into this KMS key."
                    .into(),
            )
        };
        let any_material = self
            .bugs
            .has(crate::bugs::PlantedBug::DifferentMaterialAccepted);
        let k = self.take(idx);
        let (k, r) = match k {
            AnyKey::ExtPendingImport(k) => {
                let matched = k.match_material(&m);
                let ok = match (matched, import_type) {
                    // EXISTING_KEY_MATERIAL names material the key already has.
                    (MaterialMatch::First, Some(ImportType::ExistingKeyMaterial)) => false,
                    (MaterialMatch::First, _) => true,
                    (MaterialMatch::Existing(_), Some(ImportType::NewKeyMaterial)) => false,
                    (MaterialMatch::Existing(_), _) => true,
                    (MaterialMatch::Different, _) => any_material,
                };
                let validity = if ok { validity } else { Err(incorrect()) };
                match validity {
                    Err(e) => (AnyKey::ExtPendingImport(k), Err(e)),
                    Ok(vt) => {
                        m.valid_to = vt;
                        match k.import_material(m) {
                            ImportOutcome::Enabled(k) => (AnyKey::ExtEnabled(k), Ok(())),
                            ImportOutcome::PendingImport(k) => {
                                (AnyKey::ExtPendingImport(k), Ok(()))
                            }
                        }
                    }
                }
            }
            AnyKey::ExtEnabled(mut k) => {
                let r = import_into(&mut k, m, import_type, &arn, any_material, validity);
                (AnyKey::ExtEnabled(k), r)
            }
            AnyKey::ExtDisabled(mut k) => {
                let r = import_into(&mut k, m, import_type, &arn, any_material, validity);
                (AnyKey::ExtDisabled(k), r)
            }
            other => (
                other,
                Err(KmsError::KMSInternalException(
                    "unexpected key state".into(),
                )),
            ),
        };
        self.put(idx, k);
        r
    }

    /// DeleteImportedKeyMaterial (spec §2, §5; decisions.md): deletes exactly
    /// the material `KeyMaterialId` names (default: the current one) and
    /// nothing else. A CURRENT or NON_CURRENT material makes an Enabled or
    /// Disabled key PendingImport; PENDING_ROTATION material changes no state.
    pub fn delete_imported_key_material(
        &mut self,
        req: DeleteImportedKeyMaterialRequest,
    ) -> KmsResult<ImportKeyMaterialResponse> {
        self.run("DeleteImportedKeyMaterial", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let wanted = match &req.key_material_id {
                None => None,
                Some(_) if !kms.rules.key_material_ids => {
                    return Err(KmsError::ValidationException(
                        "KeyMaterialId is not supported by the classic rules".into(),
                    ));
                }
                Some(id) => Some(parse_material_id(id)?),
            };
            let arn = kms.arn_idx(idx);
            let slot = match &kms.keys[idx as usize] {
                AnyKey::ExtEnabled(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                AnyKey::ExtDisabled(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                AnyKey::ExtPendingDeletion(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                AnyKey::ExtPendingImport(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                _ => return Err(KmsError::wrong_origin(&arn, "AWS_KMS")),
            };
            let mid = slot.map(|(_, id)| id);
            trail.material = mid;
            let keep_current = kms
                .bugs
                .has(crate::bugs::PlantedBug::DeletedMaterialKeptWhilePendingImport);
            let k = kms.take(idx);
            let k = match (k, slot) {
                (k, None) => k,
                (AnyKey::ExtEnabled(k), Some((slot, _))) => match k.delete_material(slot) {
                    Ok(k) => AnyKey::ExtPendingImport(k),
                    Err(k) => AnyKey::ExtEnabled(k),
                },
                (AnyKey::ExtDisabled(k), Some((slot, _))) => match k.delete_material(slot) {
                    Ok(k) => AnyKey::ExtPendingImport(k),
                    Err(k) => AnyKey::ExtDisabled(k),
                },
                (AnyKey::ExtPendingDeletion(mut k), Some((slot, _))) => {
                    k.delete_material(slot);
                    AnyKey::ExtPendingDeletion(k)
                }
                (AnyKey::ExtPendingImport(mut k), Some((slot, _))) => {
                    // The planted bug (test-bugs only) keeps the material.
                    if !(keep_current && req.key_material_id.is_none()) {
                        k.delete_material(slot);
                    }
                    AnyKey::ExtPendingImport(k)
                }
                (other, _) => other,
            };
            kms.put(idx, k);
            Ok(ImportKeyMaterialResponse {
                key_id: arn,
                key_material_id: kms.material_id_out(mid.map(|m| m.to_string())),
            })
        })
    }
}

pub(super) fn import_into<S: WithMaterial>(
    k: &mut Key<S, External>,
    mut m: ImportedMaterial,
    import_type: Option<ImportType>,
    arn: &str,
    any_material: bool,
    validity: KmsResult<Option<u64>>,
) -> KmsResult<()> {
    let incorrect = || {
        KmsError::IncorrectKeyMaterialException(
            "The key material is not the key material previously imported into this KMS key."
                .into(),
        )
    };
    match import_type.unwrap_or(ImportType::ExistingKeyMaterial) {
        ImportType::ExistingKeyMaterial => match k.match_material(&m) {
            MaterialMatch::Existing(_) | MaterialMatch::First => {
                m.valid_to = validity?;
                k.reimport_material(m);
                Ok(())
            }
            MaterialMatch::Different if any_material => {
                m.valid_to = validity?;
                k.reimport_material(m);
                Ok(())
            }
            MaterialMatch::Different => Err(incorrect()),
        },
        ImportType::NewKeyMaterial => {
            if k.has_pending_material() {
                return Err(KmsError::state(format!(
                    "New key material cannot be imported into KMS key {arn}, because another key material is pending rotation."
                )));
            }
            if k.match_material(&m) != MaterialMatch::Different {
                return Err(incorrect());
            }
            m.valid_to = validity?;
            k.import_pending_material(m);
            Ok(())
        }
    }
}

/// A `KeyMaterialId`: 64 lowercase hex digits (AWS's `BackingKeyIdType`).
pub(super) fn parse_material_id(id: &str) -> KmsResult<KeyMaterialId> {
    KeyMaterialId::parse(id).ok_or_else(|| {
        KmsError::ValidationException(
            "1 validation error detected: Value at 'keyMaterialId' failed to satisfy constraint: \
             Member must have length 64 and satisfy regular expression pattern: ^[a-f0-9]+$"
                .into(),
        )
    })
}

/// The material DeleteImportedKeyMaterial names, with its id: the one with
/// `wanted`'s id, or the current one; `None` when the key never had material.
pub(super) fn lookup_slot<S: crate::key::State>(
    k: &Key<S, External>,
    wanted: Option<&KeyMaterialId>,
    arn: &str,
) -> KmsResult<Option<(MaterialSlot, KeyMaterialId)>> {
    let slot = match wanted {
        None => match k.current_slot() {
            Some(s) => s,
            None => return Ok(None),
        },
        Some(id) => k.find_material(id).ok_or_else(|| {
            KmsError::NotFoundException(format!(
                "Key material '{id}' does not exist in key '{arn}'",
            ))
        })?,
    };
    Ok(k.material_id_of(slot).map(|id| (slot, id)))
}
