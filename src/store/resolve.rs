//! Resolution of `KeyId` parameters (key id, key ARN, alias name, alias
//! ARN; spec §9), key creation and the metadata every response shows.

use super::*;

impl Kms {
    /// Resolves a `KeyId` parameter to a live key index (spec §9, decisions).
    pub(super) fn resolve(
        &mut self,
        key_id: &str,
        accept: Accept,
        trail: &mut Trail,
    ) -> KmsResult<u32> {
        self.resolve_member("keyId", key_id, accept, trail)
    }

    /// Resolves the key parameter `member` (`keyId`, `targetKeyId`, ...),
    /// creating an AWS managed key on first use of its alias.
    pub(super) fn resolve_member(
        &mut self,
        member: &str,
        key_id: &str,
        accept: Accept,
        trail: &mut Trail,
    ) -> KmsResult<u32> {
        match self.lookup(member, key_id, accept, trail)? {
            Target::Key(idx) => Ok(idx),
            Target::NewManaged(alias) => {
                let idx = self.create_managed_key(&alias);
                trail.key = Some(idx);
                Ok(idx)
            }
        }
    }

    /// Resolution for the cryptographic operations, which take `DryRun`: a
    /// dry run does not create the AWS managed key of an `alias/aws/<service>`
    /// used for the first time (`None`: that key would be new, and Enabled).
    pub(super) fn resolve_crypto(
        &mut self,
        member: &str,
        key_id: &str,
        trail: &mut Trail,
        dry_run: bool,
    ) -> KmsResult<Option<u32>> {
        if !dry_run {
            return self
                .resolve_member(member, key_id, Accept::KeyOrAlias, trail)
                .map(Some);
        }
        Ok(
            match self.lookup(member, key_id, Accept::KeyOrAlias, trail)? {
                Target::Key(idx) => Some(idx),
                Target::NewManaged(_) => None,
            },
        )
    }

    /// Finds the key a key parameter names, changing nothing.
    pub(super) fn lookup(
        &mut self,
        member: &str,
        key_id: &str,
        accept: Accept,
        trail: &mut Trail,
    ) -> KmsResult<Target> {
        // AWS's KeyIdType: 1–2048 characters. Longer input is not echoed.
        if key_id.is_empty() {
            return Err(KmsError::empty(member));
        }
        if key_id.len() > 2048 {
            return Err(KmsError::ValidationException(format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to 2048"
            )));
        }
        let local = key_id
            .strip_prefix("arn:aws:kms:")
            .and_then(|r| r.strip_prefix(self.region.as_str()))
            .and_then(|r| r.strip_prefix(':'))
            .and_then(|r| r.strip_prefix(self.account.as_str()))
            .and_then(|r| r.strip_prefix(':'));
        let (is_alias, name) = if let Some(rest) = local {
            if let Some(id) = rest.strip_prefix("key/") {
                (false, id)
            } else if rest.starts_with("alias/") {
                (true, rest)
            } else {
                return Err(KmsError::invalid_key_id(key_id));
            }
        } else if key_id.starts_with("arn:") {
            // Another partition, Region or account: no such key here.
            return Err(KmsError::NotFoundException(format!(
                "Key '{key_id}' does not exist"
            )));
        } else if key_id.starts_with("alias/") {
            (true, key_id)
        } else {
            (false, key_id)
        };
        let idx = if is_alias {
            if accept == Accept::KeyOnly {
                return Err(KmsError::invalid_key_id(key_id));
            }
            match self.aliases.get(name) {
                Some(a) => a.target,
                None if is_managed_alias(name)
                    && self.managed_key_count() < self.retention.max_managed_keys =>
                {
                    return Ok(Target::NewManaged(name.to_string()));
                }
                None => {
                    return Err(KmsError::NotFoundException(format!(
                        "Alias {} is not found.",
                        self.alias_arn(name)
                    )));
                }
            }
        } else {
            let id = KeyId::parse(name).ok_or_else(|| KmsError::invalid_key_id(key_id))?;
            match self.index.get(&id) {
                Some(&i) => i,
                None => return Err(KmsError::not_found(&self.arn(&id))),
            }
        };
        let id = self.keys[idx as usize].id();
        trail.key = Some(idx);
        if matches!(self.keys[idx as usize], AnyKey::Deleted(_)) {
            return Err(KmsError::not_found(&self.arn(&id)));
        }
        Ok(Target::Key(idx))
    }

    /// How many AWS managed keys exist: one `alias/aws/` alias each, and
    /// neither the key nor its alias can be deleted.
    fn managed_key_count(&self) -> usize {
        self.aliases
            .range::<str, _>((
                std::ops::Bound::Included("alias/aws/"),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(name, _)| name.starts_with("alias/aws/"))
            .count()
    }

    pub(super) fn fresh_id(&self) -> KeyId {
        loop {
            let mut id = [0u8; 16];
            random_bytes(&mut id);
            id[6] = (id[6] & 0x0f) | 0x40;
            id[8] = (id[8] & 0x3f) | 0x80;
            let id = KeyId::from_bytes(id);
            if !self.index.contains_key(&id) {
                return id;
            }
        }
    }

    pub(super) fn insert_key(&mut self, k: AnyKey) -> u32 {
        let idx = self.keys.len() as u32;
        self.index.insert(k.id(), idx);
        self.keys.push(k);
        self.touch_key(idx);
        self.schedule(idx);
        idx
    }

    pub(super) fn create_managed_key(&mut self, alias: &str) -> u32 {
        let now = self.clock.now();
        let id = self.fresh_id();
        let mut k = Key::<Enabled, AwsKms>::create_with_id(id, now);
        k.core.manager = KeyManager::Aws;
        k.core.description = format!(
            "Default key that protects my {} resources when no other key is defined",
            alias.trim_start_matches("alias/aws/")
        );
        let policy = managed_key_policy(
            &self.account,
            &self.region,
            alias.trim_start_matches("alias/aws/"),
        );
        // Alias names are checked against `[a-zA-Z0-9:/_-]+` before any
        // managed key is made for one: nothing in them can break the JSON.
        k.core.policy =
            Some(crate::policy::StoredPolicy::parse(&policy).expect("a managed key policy parses"));
        k.enable_rotation(self.rules.managed_rotation_days, now);
        let idx = self.insert_key(AnyKey::Enabled(k));
        self.touch_alias(alias);
        self.aliases.insert(
            alias.to_string(),
            AliasEntry {
                target: idx,
                created: now,
                updated: now,
            },
        );
        idx
    }

    pub(super) fn core(&self, idx: u32) -> &KeyCore {
        self.keys[idx as usize]
            .core()
            .expect("resolve() returns live keys only")
    }

    pub(super) fn arn_idx(&self, idx: u32) -> String {
        self.arn(&self.keys[idx as usize].id())
    }

    /// The state errors of spec §3 for cryptographic operations.
    pub(super) fn enabled(&self, idx: u32) -> KmsResult<EnabledRef<'_>> {
        let arn = || self.arn_idx(idx);
        match &self.keys[idx as usize] {
            AnyKey::Enabled(k) => Ok(EnabledRef::Aws(k)),
            AnyKey::ExtEnabled(k) => Ok(EnabledRef::Ext(k)),
            AnyKey::Disabled(_) | AnyKey::ExtDisabled(_) => Err(KmsError::disabled(&arn())),
            AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_) => {
                Err(KmsError::pending_deletion(&arn()))
            }
            AnyKey::ExtPendingImport(_) => Err(KmsError::pending_import(&arn())),
            AnyKey::Deleted(_) => Err(KmsError::not_found(&arn())),
        }
    }

    /// The state errors shared by management operations (EnableKey, ...).
    pub(super) fn not_pending(&self, idx: u32) -> KmsResult<()> {
        match self.keys[idx as usize].state() {
            Some(KeyState::PendingDeletion) => Err(KmsError::pending_deletion(&self.arn_idx(idx))),
            _ => Ok(()),
        }
    }

    pub(super) fn is_managed(&self, idx: u32) -> bool {
        self.core(idx).manager == KeyManager::Aws
    }

    pub(super) fn managed_error(&self, idx: u32) -> KmsError {
        KmsError::UnsupportedOperationException(format!(
            "{} is an AWS managed key which is not valid for this operation.",
            self.arn_idx(idx)
        ))
    }

    pub(super) fn metadata(&self, idx: u32) -> KeyMetadata {
        let k = &self.keys[idx as usize];
        let core = self.core(idx);
        let state = k.state().unwrap_or(KeyState::Disabled);
        let origin = k.origin().unwrap_or(Origin::AwsKms);
        let id = core.id.to_string();
        let (valid_to, expiration_model) = if origin == Origin::External {
            let cur = core.current_material().filter(|m| m.backing.is_some());
            (core.valid_to(), cur.and_then(|m| m.expiration_model))
        } else {
            (None, None)
        };
        KeyMetadata {
            aws_account_id: self.account.clone(),
            arn: self.arn_of(&id),
            key_id: id,
            creation_date: Timestamp(core.creation_date),
            enabled: state == KeyState::Enabled,
            description: core.description.clone(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            key_state: state,
            deletion_date: core.deletion_date.map(Timestamp),
            valid_to: valid_to.map(Timestamp),
            origin,
            expiration_model,
            key_manager: core.manager,
            customer_master_key_spec: ALGORITHM.into(),
            key_spec: ALGORITHM.into(),
            encryption_algorithms: vec![ALGORITHM.into()],
            multi_region: false,
            current_key_material_id: if self.rules.key_material_ids {
                core.current_material().map(|m| m.id.to_string())
            } else {
                None
            },
        }
    }

    pub(super) fn material_id_out(&self, id: Option<String>) -> Option<String> {
        if self.rules.key_material_ids {
            id
        } else {
            None
        }
    }
}
