//! The `Condition` element: operators, set qualifiers, `...IfExists`, and the
//! condition keys this KMS knows.
//!
//! Only what is listed here is accepted; any other operator or key is refused
//! when the policy is parsed (`MalformedPolicyDocumentException`), never
//! silently treated as absent, so that a policy never grants more (or less)
//! than its author meant without saying so.

use serde_json::Value;

use super::pattern;
use super::{Principal, RequestContext, malformed};
use crate::error::KmsError;

/// A condition operator (IAM "condition operators", the subset KMS users write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// Exact, case-sensitive string match.
    StringEquals,
    /// Negation of [`Operator::StringEquals`].
    StringNotEquals,
    /// String match ignoring case.
    StringEqualsIgnoreCase,
    /// Negation of [`Operator::StringEqualsIgnoreCase`].
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match with `*` and `?` wildcards.
    StringLike,
    /// Negation of [`Operator::StringLike`].
    StringNotLike,
    /// Boolean match (`"true"` / `"false"`).
    Bool,
    /// `"true"`: the key is absent from the request; `"false"`: it is present.
    Null,
    /// ARN match (wildcards allowed, as in AWS).
    ArnEquals,
    /// Negation of [`Operator::ArnEquals`].
    ArnNotEquals,
    /// ARN match with wildcards.
    ArnLike,
    /// Negation of [`Operator::ArnLike`].
    ArnNotLike,
}

impl Operator {
    const ALL: [(&'static str, Operator); 12] = [
        ("StringEquals", Self::StringEquals),
        ("StringNotEquals", Self::StringNotEquals),
        ("StringEqualsIgnoreCase", Self::StringEqualsIgnoreCase),
        ("StringNotEqualsIgnoreCase", Self::StringNotEqualsIgnoreCase),
        ("StringLike", Self::StringLike),
        ("StringNotLike", Self::StringNotLike),
        ("Bool", Self::Bool),
        ("Null", Self::Null),
        ("ArnEquals", Self::ArnEquals),
        ("ArnNotEquals", Self::ArnNotEquals),
        ("ArnLike", Self::ArnLike),
        ("ArnNotLike", Self::ArnNotLike),
    ];

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
    }

    /// True for the `...Not...` operators: they hold when no policy value matches.
    fn is_negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    /// Does one request value match one policy value (before negation)?
    fn matches(self, policy: &str, request: &str) -> bool {
        match self {
            Self::StringEquals | Self::StringNotEquals => policy == request,
            Self::StringEqualsIgnoreCase | Self::StringNotEqualsIgnoreCase => {
                policy.to_lowercase() == request.to_lowercase()
            }
            Self::StringLike | Self::StringNotLike => pattern::matches(policy, request),
            Self::ArnEquals | Self::ArnNotEquals | Self::ArnLike | Self::ArnNotLike => {
                pattern::matches(policy, request)
            }
            Self::Bool => policy.eq_ignore_ascii_case(request),
            // Null never compares values (see `Condition::holds`).
            Self::Null => false,
        }
    }
}

/// `ForAnyValue:` / `ForAllValues:` in front of an operator (multi-valued keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    /// At least one request value must satisfy the operator.
    ForAnyValue,
    /// Every request value must satisfy the operator (true when there are none).
    ForAllValues,
}

/// A condition key this KMS can evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConditionKey {
    /// `kms:EncryptionContext:<key>`: the value of one encryption-context pair
    /// (the `<key>` part is matched ignoring case, as AWS documents).
    EncryptionContext(String),
    /// `kms:EncryptionContextKeys`: the keys of the encryption context
    /// (multi-valued; absent when the request has no encryption context).
    EncryptionContextKeys,
    /// `kms:CallerAccount`: the account of the calling principal.
    CallerAccount,
    /// `aws:PrincipalArn`: the ARN of the calling principal.
    PrincipalArn,
    /// `aws:PrincipalAccount`: the account of the calling principal.
    PrincipalAccount,
    /// `kms:BypassPolicyLockoutSafetyCheck` (CreateKey, PutKeyPolicy only).
    BypassPolicyLockoutSafetyCheck,
    /// `kms:ViaService`: never present here, since no AWS service calls this
    /// KMS on a caller's behalf (so a condition on it is evaluated, not ignored).
    ViaService,
}

impl ConditionKey {
    fn parse(name: &str) -> Result<Self, KmsError> {
        const PREFIX: &str = "kms:encryptioncontext:";
        let lower = name.to_ascii_lowercase();
        if lower.starts_with(PREFIX) {
            let context_key = &name[PREFIX.len()..];
            if context_key.is_empty() {
                return Err(malformed(format!(
                    "Condition key '{name}' names no encryption context key."
                )));
            }
            return Ok(Self::EncryptionContext(context_key.to_string()));
        }
        Ok(match lower.as_str() {
            "kms:encryptioncontextkeys" => Self::EncryptionContextKeys,
            "kms:calleraccount" => Self::CallerAccount,
            "aws:principalarn" => Self::PrincipalArn,
            "aws:principalaccount" => Self::PrincipalAccount,
            "kms:bypasspolicylockoutsafetycheck" => Self::BypassPolicyLockoutSafetyCheck,
            "kms:viaservice" => Self::ViaService,
            _ => {
                return Err(malformed(format!(
                    "Condition key '{name}' is not supported by this KMS; supported keys: \
                     kms:EncryptionContext:<key>, kms:EncryptionContextKeys, kms:CallerAccount, \
                     kms:BypassPolicyLockoutSafetyCheck, kms:ViaService, aws:PrincipalArn, \
                     aws:PrincipalAccount."
                )));
            }
        })
    }

    /// The request's values for this key; `None` when the key is absent.
    fn values(&self, principal: &Principal, request: &RequestContext<'_>) -> Option<Vec<String>> {
        match self {
            Self::EncryptionContext(wanted) => {
                let values: Vec<String> = request
                    .encryption_context?
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(wanted))
                    .map(|(_, v)| v.clone())
                    .collect();
                (!values.is_empty()).then_some(values)
            }
            Self::EncryptionContextKeys => {
                let keys: Vec<String> = request.encryption_context?.keys().cloned().collect();
                (!keys.is_empty()).then_some(keys)
            }
            Self::CallerAccount | Self::PrincipalAccount => Some(vec![principal.account.clone()]),
            Self::PrincipalArn => Some(vec![principal.arn.clone()]),
            Self::BypassPolicyLockoutSafetyCheck => request
                .bypass_policy_lockout_safety_check
                .map(|b| vec![b.to_string()]),
            Self::ViaService => None,
        }
    }
}

/// One test of a `Condition` block: `"<qualifier>:<Operator><IfExists>": {"<key>": [values]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// `ForAnyValue` / `ForAllValues`, if given.
    pub qualifier: Option<SetQualifier>,
    /// The `...IfExists` suffix: true when the key is absent.
    pub if_exists: bool,
    /// The condition key.
    pub key: ConditionKey,
    /// The policy values (any one may match).
    pub values: Vec<String>,
}

impl Condition {
    /// Parses a whole `Condition` element (an object of operator blocks).
    pub(crate) fn parse_block(value: &Value) -> Result<Vec<Condition>, KmsError> {
        let Value::Object(blocks) = value else {
            return Err(malformed("The Condition element must be an object."));
        };
        let mut out = Vec::new();
        for (op_name, keys) in blocks {
            let (qualifier, operator, if_exists) = parse_operator(op_name)?;
            let Value::Object(keys) = keys else {
                return Err(malformed(format!(
                    "Condition operator '{op_name}' must map condition keys to values."
                )));
            };
            if keys.is_empty() {
                return Err(malformed(format!(
                    "Condition operator '{op_name}' has no condition keys."
                )));
            }
            for (key_name, values) in keys {
                let key = ConditionKey::parse(key_name)?;
                let values = parse_values(key_name, values)?;
                let not_bool = |v: &&String| {
                    !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false")
                };
                if matches!(operator, Operator::Bool | Operator::Null)
                    && let Some(bad) = values.iter().find(not_bool)
                {
                    return Err(malformed(format!(
                        "Condition operator '{op_name}' takes true or false, not '{bad}'."
                    )));
                }
                out.push(Condition {
                    operator,
                    qualifier,
                    if_exists,
                    key,
                    values,
                });
            }
        }
        Ok(out)
    }

    /// Does the condition hold for this caller and request?
    pub(crate) fn holds(&self, principal: &Principal, request: &RequestContext<'_>) -> bool {
        let present = self.key.values(principal, request);
        if self.operator == Operator::Null {
            // "true" asks for absence, "false" for presence; several values: any.
            return self
                .values
                .iter()
                .any(|v| v.eq_ignore_ascii_case("true") == present.is_none());
        }
        let Some(request_values) = present else {
            return match (self.if_exists, self.qualifier) {
                (true, _) => true,
                (false, Some(SetQualifier::ForAllValues)) => true,
                (false, Some(SetQualifier::ForAnyValue)) => false,
                (false, None) => self.operator.is_negated(),
            };
        };
        // A request value "satisfies" the operator when some policy value
        // matches it (positive operators) or none does (negated ones).
        let satisfies = |rv: &String| {
            let any = self.values.iter().any(|pv| self.operator.matches(pv, rv));
            any != self.operator.is_negated()
        };
        match (self.qualifier, self.operator.is_negated()) {
            (Some(SetQualifier::ForAllValues), _) => request_values.iter().all(satisfies),
            (Some(SetQualifier::ForAnyValue), _) => request_values.iter().any(satisfies),
            // Unqualified: a positive operator needs one matching value, a
            // negated one needs that no request value matches.
            (None, false) => request_values.iter().any(satisfies),
            (None, true) => request_values.iter().all(satisfies),
        }
    }
}

fn parse_operator(name: &str) -> Result<(Option<SetQualifier>, Operator, bool), KmsError> {
    let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (Some(SetQualifier::ForAnyValue), rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (Some(SetQualifier::ForAllValues), rest)
    } else {
        (None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let Some(operator) = Operator::from_name(base) else {
        return Err(malformed(format!(
            "Condition operator '{name}' is not supported by this KMS; supported operators: \
             StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, \
             StringLike, StringNotLike, Bool, Null, ArnEquals, ArnNotEquals, ArnLike, ArnNotLike \
             (with ...IfExists and ForAnyValue:/ForAllValues:)."
        )));
    };
    if operator == Operator::Null && (if_exists || qualifier.is_some()) {
        return Err(malformed(format!(
            "Condition operator '{name}' is not valid: Null takes neither IfExists nor a set qualifier."
        )));
    }
    Ok((qualifier, operator, if_exists))
}

fn parse_values(key: &str, value: &Value) -> Result<Vec<String>, KmsError> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let values = match value {
        Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
        other => scalar(other).map(|s| vec![s]),
    };
    match values {
        Some(values) if !values.is_empty() => Ok(values),
        _ => Err(malformed(format!(
            "Condition key '{key}' must have a string, boolean or number value, or a non-empty list of them."
        ))),
    }
}
