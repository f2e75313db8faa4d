//! Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, and the
//! policy of CreateKey (issue 16; docs/decisions.md, "Key policies").
//!
//! A key's policy is part of its state in every state (it lives in the key's
//! core, which every transition moves). A key created without a policy has
//! AWS's default key policy, byte for byte as AWS serialises it; an AWS
//! managed key has the policy AWS gives its service's key.

use super::*;
use crate::policy::{Principal, RequestContext, StoredPolicy};

/// The only policy name a key policy has (AWS: "The only valid name is
/// default").
pub const POLICY_NAME: &str = "default";

/// Largest key policy AWS accepts: the 32 KiB quota of the developer guide
/// (larger: LimitExceededException).
pub const MAX_POLICY_BYTES: usize = crate::policy::SIZE_LIMIT_BYTES;

/// AWS's default key policy for `account`, as GetKeyPolicy returns it (the
/// `"key" : value` layout of AWS's serialiser).
pub fn default_key_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// The key policy of the AWS managed key `alias/aws/<service>`: use through
/// the service for every principal of the account, and direct read access
/// to the key's metadata for the account (docs/decisions.md).
pub fn managed_key_policy(account: &str, region: &str, service: &str) -> String {
    // (policy id, the service's name in the statement id, kms:ViaService prefix)
    let (id, name, via) = match service {
        "ebs" => ("auto-ebs-2".to_string(), "EBS", "ec2"),
        "lambda" => ("auto-awslambda".to_string(), "AWS Lambda", "lambda"),
        s => (format!("auto-{s}"), s, s),
    };
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"{id}\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Allow access through {name} for all principals in the account that are authorized to use {name}\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"*\"\n    }},\n    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", \"kms:GenerateDataKey*\", \"kms:CreateGrant\", \"kms:DescribeKey\" ],\n    \"Resource\" : \"*\",\n    \"Condition\" : {{\n      \"StringEquals\" : {{\n        \"kms:CallerAccount\" : \"{account}\",\n        \"kms:ViaService\" : \"{via}.{region}.amazonaws.com\"\n      }}\n    }}\n  }}, {{\n    \"Sid\" : \"Allow direct access to key metadata to the account\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\", \"kms:RevokeGrant\" ],\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// The `PolicyName` member: 1–128 word characters (AWS's pattern `[\w]+`),
/// else ValidationException; a name other than `default` is not found.
fn check_policy_name(name: Option<&str>) -> KmsResult<()> {
    let Some(name) = name else { return Ok(()) };
    let shown = || {
        name.chars()
            .take(128)
            .collect::<String>()
            .escape_default()
            .to_string()
    };
    if name.is_empty() {
        return Err(KmsError::empty("policyName"));
    }
    if name.chars().count() > 128 {
        return Err(KmsError::validation(
            "policyName",
            shown(),
            "Member must have length less than or equal to 128",
        ));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(KmsError::validation(
            "policyName",
            shown(),
            "Member must satisfy regular expression pattern: [\\w]+",
        ));
    }
    if name != POLICY_NAME {
        return Err(KmsError::NotFoundException(format!(
            "Policy '{}' does not exist. The only valid policy name is default.",
            name.escape_default()
        )));
    }
    Ok(())
}

impl Kms {
    /// The caller of every call: the principal set with [`Kms::set_caller`]
    /// (`serve --identities`), else the account's root user.
    pub(super) fn caller(&self) -> Principal {
        self.caller
            .clone()
            .unwrap_or_else(|| Principal::root(&self.account))
    }

    /// The policy of key `idx` as GetKeyPolicy returns it.
    pub(super) fn policy_text(&self, idx: u32) -> String {
        self.policy_of(idx).text().to_owned()
    }

    /// The policy of key `idx`: the one set, else AWS's default key policy.
    fn policy_of(&self, idx: u32) -> &StoredPolicy {
        self.core(idx)
            .policy
            .as_ref()
            .unwrap_or(&self.default_policy)
    }

    /// AccessDeniedException unless the policy of key `idx` allows the caller
    /// `action` (src/policy/: a Deny statement wins over every Allow).
    pub(super) fn authorize(&self, idx: u32, action: &str) -> KmsResult<()> {
        let caller = self.caller();
        let arn = self.arn_idx(idx);
        let decision =
            self.policy_of(idx)
                .document()
                .allows(&caller, action, &RequestContext::new(&arn));
        match decision.into_error(&caller, action, &arn) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Checks a policy document for CreateKey or PutKeyPolicy of the key
    /// `key_arn`: its length, size, characters and grammar
    /// ([`Document::parse`]), and unless `bypass`, that it still lets the
    /// caller call PutKeyPolicy ([`crate::policy::lockout_safety_check`]).
    pub(super) fn check_policy(
        &self,
        text: &str,
        bypass: bool,
        key_arn: &str,
    ) -> KmsResult<StoredPolicy> {
        let policy = StoredPolicy::parse(text)?;
        crate::policy::lockout_safety_check(policy.document(), &self.caller(), key_arn, bypass)?;
        Ok(policy)
    }

    /// GetKeyPolicy: allowed in every state (AWS key-state table).
    pub fn get_key_policy(&mut self, req: GetKeyPolicyRequest) -> KmsResult<GetKeyPolicyResponse> {
        self.run("GetKeyPolicy", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            kms.authorize(idx, "kms:GetKeyPolicy")?;
            check_policy_name(req.policy_name.as_deref())?;
            Ok(GetKeyPolicyResponse {
                policy: kms.policy_text(idx),
                policy_name: POLICY_NAME.into(),
            })
        })
    }

    /// PutKeyPolicy: allowed in every state (AWS key-state table); changes
    /// the policy and nothing else. AWS managed keys keep their policy.
    pub fn put_key_policy(&mut self, req: PutKeyPolicyRequest) -> KmsResult<Empty> {
        self.run("PutKeyPolicy", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            // The key's policy must allow the caller PutKeyPolicy (an AWS
            // managed key's policy allows nobody).
            kms.authorize(idx, "kms:PutKeyPolicy")?;
            check_policy_name(req.policy_name.as_deref())?;
            let bypass = req.bypass_policy_lockout_safety_check == Some(true);
            let policy = kms.check_policy(&req.policy, bypass, &kms.arn_idx(idx))?;
            if kms.bugs.has(crate::bugs::PlantedBug::PutKeyPolicyIgnored) {
                return Ok(Empty {});
            }
            kms.keys[idx as usize].core_mut().expect("live").policy = Some(policy);
            Ok(Empty {})
        })
    }

    /// ListKeyPolicies: `default`, paged by Limit and Marker; allowed in
    /// every state (AWS key-state table).
    pub fn list_key_policies(
        &mut self,
        req: ListKeyPoliciesRequest,
    ) -> KmsResult<ListKeyPoliciesResponse> {
        self.run("ListKeyPolicies", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            kms.authorize(idx, "kms:ListKeyPolicies")?;
            let (start, limit) = page(&ListRequest {
                key_id: None,
                limit: req.limit,
                marker: req.marker.clone(),
            })?;
            let names = [POLICY_NAME];
            let end = start.saturating_add(limit).min(names.len());
            let truncated = end < names.len();
            Ok(ListKeyPoliciesResponse {
                policy_names: names[start.min(end)..end]
                    .iter()
                    .map(|n| n.to_string())
                    .collect(),
                truncated,
                next_marker: truncated.then(|| end.to_string()),
            })
        })
    }
}
