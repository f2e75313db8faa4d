//! Policy evaluation as KMS applies it (AWS KMS Developer Guide, "Key
//! policies": the key policy is the primary resource for controlling access;
//! IAM policies count only when the key policy allows the account).

use super::document::{Document, Effect, Patterns, PrincipalEntry, Statement};
use super::pattern;
use super::{Principal, RequestContext};
use crate::error::KmsError;

/// Which kind of policy decided a denial (it shapes AWS's message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyType {
    /// The key policy.
    ResourceBased,
    /// An IAM policy of the caller.
    IdentityBased,
}

impl PolicyType {
    fn words(self) -> &'static str {
        match self {
            Self::ResourceBased => "resource-based",
            Self::IdentityBased => "identity-based",
        }
    }
}

/// The outcome of evaluating a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// A `Deny` statement of this kind of policy applies.
    ExplicitDeny(PolicyType),
    /// No statement allows: this kind of policy is the one missing an `Allow`.
    ImplicitDeny(PolicyType),
}

impl Decision {
    /// `None` for [`Decision::Allow`]; otherwise AWS's `AccessDeniedException`:
    /// `User: <caller> is not authorized to perform: <action> on resource:
    /// <key ARN> because no <kind> policy allows the <action> action`, or
    /// `... with an explicit deny in a <kind> policy`.
    pub fn into_error(self, caller: &Principal, action: &str, resource: &str) -> Option<KmsError> {
        let head = format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}",
            caller.arn
        );
        match self {
            Decision::Allow => None,
            Decision::ExplicitDeny(kind) => Some(KmsError::AccessDeniedException(format!(
                "{head} with an explicit deny in a{} {} policy",
                if kind == PolicyType::IdentityBased {
                    "n"
                } else {
                    ""
                },
                kind.words()
            ))),
            Decision::ImplicitDeny(kind) => Some(KmsError::AccessDeniedException(format!(
                "{head} because no {} policy allows the {action} action",
                kind.words()
            ))),
        }
    }
}

/// How a key policy statement's `Principal` covers the caller.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Covers {
    No,
    /// Through the caller's account: an `Allow` then needs an IAM allow too.
    ViaAccount,
    /// The caller itself (or everyone).
    Directly,
}

impl Document {
    /// Evaluates `action` (e.g. `"kms:Encrypt"`) by `caller` on the key
    /// `request.resource`, this document being the key policy and the
    /// caller's [`Principal::identity_policies`] its IAM policies.
    ///
    /// An explicit `Deny` (key policy first, then IAM) wins. Otherwise, for a
    /// caller in the key's account: allowed when a key policy statement allows
    /// the caller directly (its ARN, or `"*"`; the root user through the
    /// account principal), or allows the caller's account and an IAM policy
    /// allows. A caller from another account needs a key policy allow (direct
    /// or via its account) and an IAM allow.
    pub fn allows(
        &self,
        caller: &Principal,
        action: &str,
        request: &RequestContext<'_>,
    ) -> Decision {
        let mut key_allow = Covers::No;
        for st in self.applicable(caller, action, request) {
            let covers = covers(st, caller);
            match st.effect {
                Effect::Deny if covers != Covers::No => {
                    return Decision::ExplicitDeny(PolicyType::ResourceBased);
                }
                Effect::Allow => key_allow = key_allow.max(covers),
                Effect::Deny => {}
            }
        }
        let mut iam_allow = caller.is_root();
        for policy in &caller.identity_policies {
            for st in policy.applicable(caller, action, request) {
                match st.effect {
                    Effect::Deny => return Decision::ExplicitDeny(PolicyType::IdentityBased),
                    Effect::Allow => iam_allow = true,
                }
            }
        }
        let key_account = request.resource.split(':').nth(4).unwrap_or_default();
        let same_account = key_account.is_empty() || key_account == caller.account;
        match key_allow {
            Covers::Directly if same_account || iam_allow => Decision::Allow,
            Covers::Directly | Covers::ViaAccount if iam_allow => Decision::Allow,
            Covers::Directly | Covers::ViaAccount => {
                Decision::ImplicitDeny(PolicyType::IdentityBased)
            }
            Covers::No => Decision::ImplicitDeny(PolicyType::ResourceBased),
        }
    }

    /// The statements whose action, resource and conditions apply to the
    /// request (principals are checked by the caller of this function).
    fn applicable<'s>(
        &'s self,
        caller: &'s Principal,
        action: &'s str,
        request: &'s RequestContext<'_>,
    ) -> impl Iterator<Item = &'s Statement> + 's {
        self.statements.iter().filter(move |st| {
            // A statement without Action or Resource has no effect (AWS).
            let action_ok = st.actions.as_ref().is_some_and(|p| {
                patterns_match(p, |pat| pattern::matches_ignore_case(pat, action))
            });
            let resource_ok = st
                .resources
                .as_ref()
                .is_some_and(|p| patterns_match(p, |pat| pattern::matches(pat, request.resource)));
            action_ok && resource_ok && st.conditions.iter().all(|c| c.holds(caller, request))
        })
    }
}

fn patterns_match(patterns: &Patterns, matches: impl Fn(&str) -> bool) -> bool {
    match patterns {
        Patterns::Only(list) => list.iter().any(|p| matches(p)),
        Patterns::Not(list) => !list.iter().any(|p| matches(p)),
    }
}

fn covers(st: &Statement, caller: &Principal) -> Covers {
    let role = caller.role_of_session();
    st.principals
        .iter()
        .flatten()
        .map(|entry| match entry {
            PrincipalEntry::Anyone => Covers::Directly,
            PrincipalEntry::Account(account) if *account == caller.account => {
                if caller.is_root() {
                    Covers::Directly
                } else {
                    Covers::ViaAccount
                }
            }
            PrincipalEntry::Arn(arn) if *arn == caller.arn || role.as_deref() == Some(arn) => {
                Covers::Directly
            }
            _ => Covers::No,
        })
        .max()
        .unwrap_or(Covers::No)
}

/// Evaluates an action whose resource is not a key (`CreateKey`, `ListKeys`,
/// `ListAliases`: resource `"*"`): only the caller's IAM policies decide. The
/// root user is allowed; otherwise an explicit Deny wins and an Allow is needed.
pub fn evaluate_identity_only(
    caller: &Principal,
    action: &str,
    request: &RequestContext<'_>,
) -> Decision {
    let mut allowed = caller.is_root();
    for policy in &caller.identity_policies {
        for st in policy.applicable(caller, action, request) {
            match st.effect {
                Effect::Deny => return Decision::ExplicitDeny(PolicyType::IdentityBased),
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny(PolicyType::IdentityBased)
    }
}
