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
        let idx = *self.index.get(&parsed.key_id)?;
        Some(self.arn_idx(idx))
    }
}

impl Kms {
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

    /// The policy an AWS managed key of `alias/aws/<service>` gets: uses only
    /// through the service (`kms:ViaService`), direct reads of metadata for
    /// the account.
    pub fn managed_key_policy_for(&self, alias: &str) -> String {
        let service = alias.rsplit('/').next().unwrap_or_default();
        let (account, region) = (&self.account, &self.region);
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"],"Resource":"*","Condition":{{"StringEquals":{{"kms:CallerAccount":"{account}","kms:ViaService":"{service}.{region}.amazonaws.com"}}}}}},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}}]}}"#
        )
    }
}
