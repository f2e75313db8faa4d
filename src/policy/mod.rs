//! Key policies and IAM policies: the policy language, its validation and its
//! evaluation, as AWS KMS applies them.
//!
//! Pure library code (no I/O). The pieces:
//!
//! - [`Document::parse`] reads a key policy (CreateKey / PutKeyPolicy `Policy`)
//!   and validates it with AWS's errors; [`Document::parse_identity_policy`]
//!   reads an IAM policy of a principal.
//! - [`Document::allows`] evaluates a request as KMS does: an explicit `Deny`
//!   in the key policy or in an IAM policy of the caller wins; otherwise the
//!   key policy must allow the caller directly, or allow the caller's account
//!   (its root principal), which delegates to IAM, and then an IAM policy of
//!   the caller must allow. Cross-account callers need both.
//! - [`would_lock_out`] / [`lockout_safety_check`]: the policy lockout safety
//!   check of CreateKey and PutKeyPolicy, evaluated for the calling principal.
//!
//! ```
//! use kms_lifecycle::policy::{Decision, Document, Principal, RequestContext};
//! let policy = Document::parse(r#"{"Version":"2012-10-17","Statement":[{
//!     "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/A"},
//!     "Action":"kms:Encrypt","Resource":"*"}]}"#).unwrap();
//! let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
//! let a = Principal::new("arn:aws:iam::111122223333:user/A", vec![]).unwrap();
//! let b = Principal::new("arn:aws:iam::111122223333:user/B", vec![]).unwrap();
//! let request = RequestContext::new(key);
//! assert_eq!(policy.allows(&a, "kms:Encrypt", &request), Decision::Allow);
//! let denied = policy.allows(&b, "kms:Encrypt", &request);
//! assert_eq!(denied.into_error(&b, "kms:Encrypt", key).unwrap().name(), "AccessDeniedException");
//! ```

mod condition;
mod document;
mod evaluate;
mod pattern;
mod stored;
#[cfg(test)]
mod tests;

pub use condition::{Condition, ConditionKey, Operator, SetQualifier};
pub use document::{Document, Effect, Patterns, PolicyKind, PrincipalEntry, Statement};
pub use evaluate::{Decision, PolicyType, evaluate_identity_only};
pub(crate) use stored::StoredPolicy;

use crate::api::EncryptionContext;
use crate::error::KmsError;

/// The key policy quota: 32 KB (32,768 bytes) per key policy, not adjustable
/// (AWS KMS Developer Guide, "Resource quotas"). Larger: `LimitExceededException`.
pub const SIZE_LIMIT_BYTES: usize = 32_768;

/// The API's length constraint on `Policy` (1 to 131,072 characters).
/// Longer: `ValidationException`, before the size quota is considered.
pub const LENGTH_LIMIT_CHARS: usize = 131_072;

/// AWS's message when a new key policy fails the lockout safety check.
pub const LOCKOUT_MESSAGE: &str =
    "The new key policy will not allow you to update the key policy in the future.";

pub(crate) fn malformed(message: impl Into<String>) -> KmsError {
    KmsError::MalformedPolicyDocumentException(message.into())
}

/// The calling principal: who makes a request, and its IAM policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The principal's ARN (`arn:aws:iam::<account>:user/<name>`, `...:role/<name>`,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>` or `...:root`).
    pub arn: String,
    /// The principal's 12-digit account.
    pub account: String,
    /// The identity-based policies attached to the principal.
    pub identity_policies: Vec<Document>,
}

impl Principal {
    /// A principal from its ARN (the account is read from the ARN). Error:
    /// `MalformedPolicyDocumentException` ("invalid principals") when the ARN
    /// is not an IAM user, role, root or assumed-role ARN.
    pub fn new(arn: &str, identity_policies: Vec<Document>) -> Result<Self, KmsError> {
        let probe = format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":{}}},"Action":"*","Resource":"*"}}}}"#,
            serde_json::Value::String(arn.to_string())
        );
        let parsed = Document::parse(&probe)?;
        let entry = parsed.statements[0]
            .principals
            .as_ref()
            .and_then(|p| p.first().cloned());
        let account = match entry {
            Some(PrincipalEntry::Account(a)) if arn.starts_with("arn:") => a,
            Some(PrincipalEntry::Arn(a)) => a.split(':').nth(4).unwrap_or_default().to_string(),
            _ => return Err(malformed(document::INVALID_PRINCIPALS)),
        };
        Ok(Principal {
            arn: arn.to_string(),
            account,
            identity_policies,
        })
    }

    /// The account's root user, `arn:aws:iam::<account>:root`: the caller of
    /// every request when the server runs without `--identities`.
    pub fn root(account: &str) -> Self {
        Principal {
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_string(),
            identity_policies: Vec::new(),
        }
    }

    /// True for the account's root user (not subject to IAM policies).
    pub fn is_root(&self) -> bool {
        self.arn.ends_with(":root")
    }

    /// For an assumed-role session, the ARN of its role.
    fn role_of_session(&self) -> Option<String> {
        let rest = self
            .arn
            .strip_prefix("arn:")?
            .split_once(":sts::")
            .map(|(partition, rest)| (partition.to_string(), rest.to_string()))?;
        let (partition, rest) = rest;
        let (account, resource) = rest.split_once(':')?;
        let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
        Some(format!("arn:{partition}:iam::{account}:role/{role}"))
    }
}

/// What a request brings to policy evaluation besides the caller and the action.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestContext<'a> {
    /// The ARN of the KMS key the request is for (matched against `Resource`;
    /// its account decides whether the call is cross-account).
    pub resource: &'a str,
    /// The request's encryption context, if it has one
    /// (`kms:EncryptionContext:<key>`, `kms:EncryptionContextKeys`).
    pub encryption_context: Option<&'a EncryptionContext>,
    /// `BypassPolicyLockoutSafetyCheck` of CreateKey / PutKeyPolicy, if the
    /// request is one of those (`kms:BypassPolicyLockoutSafetyCheck`).
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

impl<'a> RequestContext<'a> {
    /// A request on `resource` with no encryption context and no bypass flag.
    pub fn new(resource: &'a str) -> Self {
        RequestContext {
            resource,
            ..Default::default()
        }
    }

    /// The same request with an encryption context.
    pub fn with_encryption_context(self, context: &'a EncryptionContext) -> Self {
        RequestContext {
            encryption_context: Some(context),
            ..self
        }
    }

    /// The same request with `BypassPolicyLockoutSafetyCheck` given.
    pub fn with_bypass(self, bypass: bool) -> Self {
        RequestContext {
            bypass_policy_lockout_safety_check: Some(bypass),
            ..self
        }
    }
}

/// The lockout safety check: true when the new key policy `doc` would not
/// let `caller` make a subsequent `kms:PutKeyPolicy` request on the key
/// `key_arn` (the caller's IAM policies count, as for any request; the future
/// request is taken without the bypass flag, i.e. `false`).
pub fn would_lock_out(doc: &Document, caller: &Principal, key_arn: &str) -> bool {
    let future = RequestContext::new(key_arn).with_bypass(false);
    doc.allows(caller, "kms:PutKeyPolicy", &future) != Decision::Allow
}

/// The lockout safety check as CreateKey / PutKeyPolicy apply it: unless
/// `bypass` is set, a policy that would lock the caller out is refused with
/// AWS's `MalformedPolicyDocumentException: The new key policy will not allow
/// you to update the key policy in the future.`
pub fn lockout_safety_check(
    doc: &Document,
    caller: &Principal,
    key_arn: &str,
    bypass: bool,
) -> Result<(), KmsError> {
    if !bypass && would_lock_out(doc, caller, key_arn) {
        Err(malformed(LOCKOUT_MESSAGE))
    } else {
        Ok(())
    }
}
