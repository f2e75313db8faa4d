//! Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, and the
//! policy of CreateKey (issue 16; docs/decisions.md, "Key policies").
//!
//! A key's policy is part of its state in every state (it lives in the key's
//! core, which every transition moves). A key created without a policy has
//! AWS's default key policy, byte for byte as AWS serialises it; an AWS
//! managed key has the policy AWS gives its service's key.

use super::*;

/// The only policy name a key policy has (AWS: "The only valid name is
/// default").
pub const POLICY_NAME: &str = "default";

/// Largest key policy AWS accepts: the 32 KiB quota of the developer guide
/// (larger: LimitExceededException).
pub const MAX_POLICY_BYTES: usize = 32_768;

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
    /// The caller of every call: without identities, the account's root
    /// user (the `authz` branch's decision).
    pub(super) fn caller_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account)
    }

    /// The policy of key `idx` as GetKeyPolicy returns it.
    pub(super) fn policy_text(&self, idx: u32) -> String {
        match &self.core(idx).policy {
            Some(p) => p.to_string(),
            None => default_key_policy(&self.account),
        }
    }

    /// AccessDeniedException unless the policy of key `idx` allows the caller
    /// `action` (a Deny statement wins over every Allow).
    pub(super) fn authorize(&self, idx: u32, action: &str) -> KmsResult<()> {
        let caller = self.caller_arn();
        let text = self.policy_text(idx);
        let verdict = match interim::parse(&text) {
            Ok(doc) => interim::evaluate(&doc, &caller, &self.account, action),
            Err(_) => interim::Verdict::Implicit,
        };
        let why = match verdict {
            interim::Verdict::Allow => return Ok(()),
            interim::Verdict::Deny => {
                "with an explicit deny in a resource-based policy".to_string()
            }
            interim::Verdict::Implicit => {
                format!("because no resource-based policy allows the {action} action")
            }
        };
        Err(KmsError::AccessDeniedException(format!(
            "User: {caller} is not authorized to perform: {action} on resource: {} {why}",
            self.arn_idx(idx)
        )))
    }

    /// Checks a policy document for CreateKey or PutKeyPolicy: its size, its
    /// syntax (MalformedPolicyDocumentException), and unless `bypass`, that
    /// it still lets the caller call PutKeyPolicy.
    pub(super) fn check_policy(&self, text: &str, bypass: bool) -> KmsResult<()> {
        if text.is_empty() {
            return Err(KmsError::empty("policy"));
        }
        if text.len() > MAX_POLICY_BYTES {
            return Err(KmsError::LimitExceededException(format!(
                "Policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
            )));
        }
        let doc = interim::parse(text)?;
        if !bypass && interim::locks_out(&doc, &self.caller_arn(), &self.account) {
            return Err(lockout_error());
        }
        Ok(())
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
            kms.check_policy(&req.policy, bypass)?;
            #[cfg(feature = "test-bugs")]
            if kms.bugs.put_key_policy_ignored {
                return Ok(Empty {});
            }
            kms.keys[idx as usize].core_mut().expect("live").policy =
                Some(req.policy.clone().into_boxed_str());
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

/// AWS's answer to a policy that would lock the caller out.
pub(super) fn lockout_error() -> KmsError {
    KmsError::MalformedPolicyDocumentException(
        "The new key policy will not allow you to update the key policy in the future.".into(),
    )
}

/// A narrow stand-in for the policy parser and lock-out check of the `authz`
/// branch (`src/policy/`), until that is merged: JSON syntax, and whether an
/// Allow (and no Deny) statement gives the caller `kms:PutKeyPolicy`.
mod interim {
    use super::*;
    use serde_json::Value;

    pub fn parse(text: &str) -> KmsResult<Value> {
        let doc: Value = serde_json::from_str(text).map_err(|_| {
            KmsError::MalformedPolicyDocumentException(
                "The policy document is not valid JSON.".into(),
            )
        })?;
        let statements = doc
            .get("Statement")
            .filter(|s| s.is_object() || s.is_array());
        if !doc.is_object() || statements.is_none() {
            return Err(KmsError::MalformedPolicyDocumentException(
                "Policy is missing required element - Statement".into(),
            ));
        }
        Ok(doc)
    }

    fn list(v: Option<&Value>) -> Vec<&str> {
        match v {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    fn glob(pattern: &str, s: &str) -> bool {
        let (p, s) = (pattern.to_ascii_lowercase(), s.to_ascii_lowercase());
        match p.split_once('*') {
            None => p == s,
            Some((head, tail)) => {
                s.starts_with(head) && (tail.is_empty() || s[head.len()..].contains(tail))
            }
        }
    }

    fn names_caller(principal: Option<&Value>, caller: &str, account: &str) -> bool {
        match principal {
            Some(Value::String(s)) => s == "*",
            Some(Value::Object(m)) => list(m.get("AWS"))
                .into_iter()
                .any(|p| p == "*" || p == caller || p == account),
            _ => false,
        }
    }

    /// What a policy says about the caller and one action.
    #[derive(PartialEq, Eq)]
    pub enum Verdict {
        Allow,
        Deny,
        Implicit,
    }

    pub fn locks_out(doc: &Value, caller: &str, account: &str) -> bool {
        evaluate(doc, caller, account, "kms:PutKeyPolicy") != Verdict::Allow
    }

    pub fn evaluate(doc: &Value, caller: &str, account: &str, action: &str) -> Verdict {
        let statements: Vec<&Value> = match doc.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(s) => vec![s],
            None => Vec::new(),
        };
        let applies = |s: &Value| {
            names_caller(s.get("Principal"), caller, account)
                && s.get("Condition").is_none()
                && list(s.get("Action")).into_iter().any(|a| glob(a, action))
        };
        let effect = |s: &Value, e: &str| s.get("Effect").and_then(Value::as_str) == Some(e);
        if statements.iter().any(|s| effect(s, "Deny") && applies(s)) {
            Verdict::Deny
        } else if statements.iter().any(|s| effect(s, "Allow") && applies(s)) {
            Verdict::Allow
        } else {
            Verdict::Implicit
        }
    }
}
