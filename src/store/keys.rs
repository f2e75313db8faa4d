//! Operations on keys: CreateKey, DescribeKey, ListKeys, descriptions, tags,
//! EnableKey and DisableKey (spec §2, §3).

use super::*;

impl Kms {
    /// CreateKey: a symmetric encryption key, Enabled (AWS_KMS) or
    /// PendingImport (EXTERNAL) (spec §2).
    pub fn create_key(&mut self, req: CreateKeyRequest) -> KmsResult<KeyMetadataResponse> {
        self.run("CreateKey", |kms, trail| {
            // Valid AWS values outside this reference's scope. (Unknown
            // values never get here: the wire layer answers them.)
            let specs = [
                req.key_spec.map(KeySpec::as_str),
                req.customer_master_key_spec.map(CustomerMasterKeySpec::as_str),
            ];
            if let Some(spec) = specs.into_iter().flatten().find(|s| *s != ALGORITHM) {
                return Err(KmsError::UnsupportedOperationException(format!(
                    "KeySpec {spec} is not supported: this reference implements symmetric encryption keys (SYMMETRIC_DEFAULT) only."
                )));
            }
            if let Some(u) = req.key_usage
                && u != KeyUsage::EncryptDecrypt
            {
                return Err(KmsError::UnsupportedOperationException(format!(
                    "KeyUsage {u} is not supported: this reference implements ENCRYPT_DECRYPT keys only."
                )));
            }
            let external = match req.origin {
                None | Some(Origin::AwsKms) => false,
                Some(Origin::External) => true,
                Some(o @ (Origin::AwsCloudhsm | Origin::ExternalKeyStore)) => {
                    return Err(KmsError::UnsupportedOperationException(format!(
                        "Origin {o} is not supported: custom key stores are out of scope."
                    )));
                }
            };
            if req.multi_region == Some(true) {
                return Err(KmsError::UnsupportedOperationException(
                    "Multi-Region keys are not supported by this reference.".into(),
                ));
            }
            let description = req.description.clone().unwrap_or_default();
            check_description(&description)?;
            let tags = check_tags(req.tags.as_deref().unwrap_or(&[]))?;
            // The id is drawn first so that the lockout check sees the new
            // key's ARN (ids are random: one a failed call drew is simply
            // never used).
            let id = kms.fresh_id();
            let policy = match &req.policy {
                Some(p) => {
                    let arn = kms.arn(&id);
                    let bypass = req.bypass_policy_lockout_safety_check == Some(true);
                    Some(kms.check_policy(p, bypass, &arn)?)
                }
                None => None,
            };
            let now = kms.clock.now();
            let mut k = if external {
                AnyKey::ExtPendingImport(Key::<PendingImport, External>::create_with_id(id, now))
            } else {
                AnyKey::Enabled(Key::<Enabled, AwsKms>::create_with_id(id, now))
            };
            let core = k.core_mut().expect("new key");
            core.description = description;
            core.tags = tags;
            core.policy = policy;
            let idx = kms.insert_key(k);
            trail.key = Some(idx);
            trail.material = kms.core(idx).current_material().map(|m| m.id);
            Ok(KeyMetadataResponse {
                key_metadata: kms.metadata(idx),
            })
        })
    }

    /// DescribeKey: allowed in every state; accepts aliases; creates an AWS
    /// managed key on first use of `alias/aws/<service>`.
    pub fn describe_key(&mut self, req: KeyIdRequest) -> KmsResult<KeyMetadataResponse> {
        self.run("DescribeKey", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOrAlias, trail)?;
            Ok(KeyMetadataResponse {
                key_metadata: kms.metadata(idx),
            })
        })
    }

    /// ListKeys: every key not deleted, in creation order.
    pub fn list_keys(&mut self, req: ListRequest) -> KmsResult<ListKeysResponse> {
        self.run("ListKeys", |kms, _| {
            let (start, limit) = page(&req)?;
            let live: Vec<&AnyKey> = kms
                .keys
                .iter()
                .filter(|k| !matches!(k, AnyKey::Deleted(_)))
                .collect();
            let end = start.saturating_add(limit).min(live.len());
            let keys = live[start.min(end)..end]
                .iter()
                .map(|k| {
                    let id = k.id().to_string();
                    KeyListEntry {
                        key_arn: kms.arn_of(&id),
                        key_id: id,
                    }
                })
                .collect();
            let truncated = end < live.len();
            Ok(ListKeysResponse {
                keys,
                truncated,
                next_marker: truncated.then(|| end.to_string()),
            })
        })
    }

    /// UpdateKeyDescription: not while PendingDeletion.
    pub fn update_key_description(&mut self, req: UpdateKeyDescriptionRequest) -> KmsResult<Empty> {
        self.run("UpdateKeyDescription", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            check_description(&req.description)?;
            kms.not_pending(idx)?;
            kms.keys[idx as usize].core_mut().expect("live").description = req.description.clone();
            Ok(Empty {})
        })
    }

    /// TagResource: not while PendingDeletion.
    pub fn tag_resource(&mut self, req: TagResourceRequest) -> KmsResult<Empty> {
        self.run("TagResource", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let tags = check_tags(&req.tags)?;
            kms.not_pending(idx)?;
            kms.keys[idx as usize]
                .core_mut()
                .expect("live")
                .tags
                .extend(tags);
            Ok(Empty {})
        })
    }

    /// UntagResource: not while PendingDeletion.
    pub fn untag_resource(&mut self, req: UntagResourceRequest) -> KmsResult<Empty> {
        self.run("UntagResource", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            kms.not_pending(idx)?;
            let core = kms.keys[idx as usize].core_mut().expect("live");
            for k in &req.tag_keys {
                core.tags.remove(k);
            }
            Ok(Empty {})
        })
    }

    /// ListResourceTags: allowed in every state.
    pub fn list_resource_tags(&mut self, req: KeyIdRequest) -> KmsResult<ListResourceTagsResponse> {
        self.run("ListResourceTags", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            Ok(ListResourceTagsResponse {
                tags: kms
                    .core(idx)
                    .tags
                    .iter()
                    .map(|(k, v)| Tag {
                        tag_key: k.clone(),
                        tag_value: v.clone(),
                    })
                    .collect(),
                truncated: false,
            })
        })
    }

    /// EnableKey: Enabled or Disabled → Enabled, with the catch-up rotation of
    /// spec §4.
    pub fn enable_key(&mut self, req: KeyIdRequest) -> KmsResult<Empty> {
        self.run("EnableKey", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let now = kms.clock.now();
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::Disabled(k) => {
                    let k = if kms
                        .bugs
                        .has(crate::bugs::PlantedBug::CatchUpRotationMissing)
                    {
                        let mut k = k;
                        if let Some(r) = k.core.rotation.as_mut()
                            && r.next <= now
                        {
                            r.next = now + u64::from(r.period_days) * DAY;
                        }
                        k
                    } else {
                        k
                    };
                    let before = k.core.rotations.len();
                    let k = k.enable(now);
                    if k.core.rotations.len() > before {
                        let mid = k.core.current_material().map(|m| m.id);
                        kms.internal_event(now, "RotateKey", idx, mid);
                    }
                    (AnyKey::Enabled(k), Ok(Empty {}))
                }
                AnyKey::ExtDisabled(k) => (AnyKey::ExtEnabled(k.enable(now)), Ok(Empty {})),
                k @ (AnyKey::Enabled(_) | AnyKey::ExtEnabled(_)) => (k, Ok(Empty {})),
                k @ (AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_)) => {
                    (k, Err(KmsError::pending_deletion(&arn)))
                }
                k @ AnyKey::ExtPendingImport(_) => (k, Err(KmsError::pending_import(&arn))),
                k @ AnyKey::Deleted(_) => (k, Err(KmsError::not_found(&arn))),
            };
            kms.put(idx, k);
            r
        })
    }

    /// DisableKey: Enabled or Disabled → Disabled. AWS managed keys cannot be
    /// disabled.
    pub fn disable_key(&mut self, req: KeyIdRequest) -> KmsResult<Empty> {
        self.run("DisableKey", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            if kms.is_managed(idx) {
                return Err(kms.managed_error(idx));
            }
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::Enabled(k) => (AnyKey::Disabled(k.disable()), Ok(Empty {})),
                AnyKey::ExtEnabled(k) => (AnyKey::ExtDisabled(k.disable()), Ok(Empty {})),
                k @ (AnyKey::Disabled(_) | AnyKey::ExtDisabled(_)) => (k, Ok(Empty {})),
                k @ (AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_)) => {
                    (k, Err(KmsError::pending_deletion(&arn)))
                }
                k @ AnyKey::ExtPendingImport(_) => (k, Err(KmsError::pending_import(&arn))),
                k @ AnyKey::Deleted(_) => (k, Err(KmsError::not_found(&arn))),
            };
            kms.put(idx, k);
            r
        })
    }
}
