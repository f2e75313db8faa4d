//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (spec §9).

use super::*;

impl Kms {
    pub(super) fn alias_target_checks(&self, idx: u32) -> KmsResult<()> {
        // An alias names a customer managed key (AWS: "TargetKeyId must be a
        // customer managed key"); AWS managed keys have their `alias/aws/` one.
        if self.is_managed(idx) {
            return Err(self.managed_error(idx));
        }
        self.not_pending(idx)
    }

    /// CreateAlias (spec §9).
    pub fn create_alias(&mut self, req: AliasRequest) -> KmsResult<Empty> {
        self.run("CreateAlias", |kms, trail| {
            // The target is resolved first (docs/decisions.md, order of checks).
            let idx =
                kms.resolve_member("targetKeyId", &req.target_key_id, Accept::KeyOnly, trail)?;
            check_alias_name(&req.alias_name)?;
            if req.alias_name.starts_with("alias/aws/") {
                return Err(reserved_alias());
            }
            kms.alias_target_checks(idx)?;
            if kms.aliases.contains_key(&req.alias_name) {
                return Err(KmsError::AlreadyExistsException(format!(
                    "An alias with the name {} already exists",
                    kms.alias_arn(&req.alias_name)
                )));
            }
            let now = kms.clock.now();
            kms.touch_alias(&req.alias_name);
            kms.aliases.insert(
                req.alias_name.clone(),
                AliasEntry {
                    target: idx,
                    created: now,
                    updated: now,
                },
            );
            Ok(Empty {})
        })
    }

    /// UpdateAlias: re-points an alias; the new target must not be pending
    /// deletion.
    pub fn update_alias(&mut self, req: AliasRequest) -> KmsResult<Empty> {
        self.run("UpdateAlias", |kms, trail| {
            let idx =
                kms.resolve_member("targetKeyId", &req.target_key_id, Accept::KeyOnly, trail)?;
            check_alias_name(&req.alias_name)?;
            if req.alias_name.starts_with("alias/aws/") {
                return Err(reserved_alias());
            }
            if !kms.aliases.contains_key(&req.alias_name) {
                return Err(KmsError::NotFoundException(format!(
                    "Alias {} is not found.",
                    kms.alias_arn(&req.alias_name)
                )));
            }
            kms.alias_target_checks(idx)?;
            let now = kms.clock.now();
            kms.touch_alias(&req.alias_name);
            if let Some(a) = kms.aliases.get_mut(&req.alias_name) {
                a.target = idx;
                a.updated = now;
            }
            Ok(Empty {})
        })
    }

    /// DeleteAlias: allowed whatever the key's state.
    pub fn delete_alias(&mut self, req: DeleteAliasRequest) -> KmsResult<Empty> {
        self.run("DeleteAlias", |kms, trail| {
            check_alias_name(&req.alias_name)?;
            if req.alias_name.starts_with("alias/aws/") {
                return Err(reserved_alias());
            }
            match kms.aliases.remove(&req.alias_name) {
                Some(a) => {
                    kms.touch_alias(&req.alias_name);
                    trail.key = Some(a.target);
                    Ok(Empty {})
                }
                None => Err(KmsError::NotFoundException(format!(
                    "Alias {} is not found.",
                    kms.alias_arn(&req.alias_name)
                ))),
            }
        })
    }

    /// ListAliases: all aliases, or those of one key, sorted by name.
    pub fn list_aliases(&mut self, req: ListRequest) -> KmsResult<ListAliasesResponse> {
        self.run("ListAliases", |kms, trail| {
            let only = match &req.key_id {
                Some(k) => Some(kms.resolve(k, Accept::KeyOnly, trail)?),
                None => None,
            };
            let (start, limit) = page(&req)?;
            let all: Vec<AliasListEntry> = kms
                .aliases
                .iter()
                .filter(|(_, a)| only.is_none_or(|i| a.target == i))
                .map(|(name, a)| AliasListEntry {
                    alias_name: name.clone(),
                    alias_arn: kms.alias_arn(name),
                    target_key_id: Some(kms.keys[a.target as usize].id().to_string()),
                    creation_date: Some(Timestamp(a.created)),
                    last_updated_date: Some(Timestamp(a.updated)),
                })
                .collect();
            let end = start.saturating_add(limit).min(all.len());
            let truncated = end < all.len();
            Ok(ListAliasesResponse {
                aliases: all[start.min(end)..end].to_vec(),
                truncated,
                next_marker: truncated.then(|| end.to_string()),
            })
        })
    }

    /// The alias names that name a key (by key id), sorted. For tests.
    pub fn aliases_of(&self, key_id: &str) -> Vec<String> {
        let Some(id) = KeyId::parse(key_id) else {
            return vec![];
        };
        let Some(&idx) = self.index.get(&id) else {
            return vec![];
        };
        self.aliases
            .iter()
            .filter(|(_, a)| a.target == idx)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

pub(super) fn is_managed_alias(name: &str) -> bool {
    name.strip_prefix("alias/aws/").is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    })
}

pub(super) fn reserved_alias() -> KmsError {
    KmsError::NotAuthorizedException(
        "Alias names that begin with alias/aws/ are reserved for AWS managed keys.".into(),
    )
}

/// Alias naming rules (spec §9).
pub(super) fn check_alias_name(name: &str) -> KmsResult<()> {
    if name.is_empty() {
        return Err(KmsError::empty("aliasName"));
    }
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(KmsError::ValidationException(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".into(),
        ));
    };
    if name.len() > 256 {
        return Err(KmsError::validation(
            "aliasName",
            name,
            "Member must have length less than or equal to 256",
        ));
    }
    if rest.is_empty()
        || !rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-'))
    {
        return Err(KmsError::InvalidAliasNameException(format!(
            "Alias name {} contains invalid characters: only [a-zA-Z0-9/_-] are allowed after alias/.",
            name.escape_default()
        )));
    }
    Ok(())
}
