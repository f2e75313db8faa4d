//! What the server's authorization (`serve --identities`, src/authz/) asks of
//! the store before dispatching a request: which key a `KeyId` names, and that
//! key's policy. Nothing here changes a key or records a call.

use super::*;

impl Kms {
    /// The ARN of the key that a `KeyId` parameter (key id, key ARN, alias
    /// name or alias ARN) names. `Ok(None)`: an `alias/aws/<service>` whose
    /// AWS managed key does not exist yet. `Err`: the error the operation
    /// itself will answer (the caller then dispatches without authorizing).
    pub fn key_arn_for(&mut self, key_id: &str) -> KmsResult<Option<String>> {
        self.tick();
        let mut trail = Trail::default();
        match self.lookup("keyId", key_id, Accept::KeyOrAlias, &mut trail)? {
            Target::Key(idx) => Ok(Some(self.arn_idx(idx))),
            Target::NewManaged(_) => Ok(None),
        }
    }

    /// The ARN of the key that made a ciphertext blob, if the blob is one of
    /// this store's formats and its key exists.
    pub fn key_arn_of_ciphertext(&mut self, blob: &[u8]) -> Option<String> {
        let parsed = parse_ciphertext(blob)?;
        self.tick();
        let idx = *self.index.get(&KeyId::from_bytes(parsed.key_id))?;
        Some(self.arn_idx(idx))
    }
}

impl Kms {
    /// Sets the principal that makes the following calls (`serve
    /// --identities` sets it for each request); `None`: the account's root
    /// user. PutKeyPolicy and CreateKey check the policy lockout for it, and
    /// the key policy operations authorize it.
    pub fn set_caller(&mut self, caller: Option<crate::policy::Principal>) {
        self.caller = caller;
    }

    /// The key policy of the key `key_arn` (`None`: no such key): the text
    /// PutKeyPolicy or CreateKey set, AWS's default key policy, or an AWS
    /// managed key's policy (src/store/policy.rs).
    pub fn key_policy_text(&mut self, key_arn: &str) -> Option<String> {
        self.tick();
        let mut trail = Trail::default();
        match self
            .lookup("keyId", key_arn, Accept::KeyOrAlias, &mut trail)
            .ok()?
        {
            Target::Key(idx) if self.keys[idx as usize].core().is_some() => {
                Some(self.policy_text(idx))
            }
            _ => None,
        }
    }

    /// The ARN of an alias name (`alias/...`) or alias ARN.
    pub fn alias_arn_of(&self, alias: &str) -> String {
        if alias.starts_with("arn:") {
            alias.to_string()
        } else {
            self.alias_arn(alias)
        }
    }

    /// The policy the AWS managed key of `alias/aws/<service>` will get
    /// (alias name or alias ARN).
    pub fn managed_key_policy_for(&self, alias: &str) -> String {
        let service = alias.rsplit_once("alias/aws/").map_or("", |(_, s)| s);
        managed_key_policy(&self.account, &self.region, service)
    }
}
