//! The policy document grammar: JSON text to typed statements, with AWS's
//! validation rules.

use serde_json::{Map, Value};

use super::condition::Condition;
use super::{LENGTH_LIMIT_CHARS, SIZE_LIMIT_BYTES, malformed};
use crate::error::KmsError;

/// Which kind of policy a document is: the grammar differs in `Principal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// A key policy (resource-based): every statement names principals.
    Key,
    /// An IAM policy attached to a principal (identity-based): no `Principal`.
    Identity,
}

/// `Effect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`.
    Deny,
}

/// One entry of a statement's `Principal` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: every principal.
    Anyone,
    /// An account: `"111122223333"` or `"arn:aws:iam::111122223333:root"`.
    /// Names the account's root user and delegates to the account's IAM policies.
    Account(String),
    /// An IAM user or role ARN, or an STS assumed-role session ARN.
    Arn(String),
    /// `{"Service": "..."}`: an AWS service principal. No caller of this KMS
    /// is a service, so it never matches (parsed so that real policies load).
    Service(String),
}

/// `Action` / `NotAction` (or `Resource` / `NotResource`): patterns with `*` and `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Patterns {
    /// `Action` / `Resource`: matches what any pattern matches.
    Only(Vec<String>),
    /// `NotAction` / `NotResource`: matches what no pattern matches.
    Not(Vec<String>),
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`, if given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` (key policies); `None` in identity-based policies.
    pub principals: Option<Vec<PrincipalEntry>>,
    /// `Action` / `NotAction`. `None` when missing: AWS accepts such a key
    /// policy statement, and it has no effect.
    pub actions: Option<Patterns>,
    /// `Resource` / `NotResource`. `None` when missing (no effect, as above).
    pub resources: Option<Patterns>,
    /// The tests of `Condition`, all of which must hold.
    pub conditions: Vec<Condition>,
}

/// A parsed, validated policy document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Key or identity-based policy.
    pub kind: PolicyKind,
    /// `Version` (`2012-10-17` or `2008-10-17`), if given.
    pub version: Option<String>,
    /// `Id`, if given.
    pub id: Option<String>,
    /// The statements, in document order (at least one).
    pub statements: Vec<Statement>,
}

/// AWS's message for a principal that is malformed or does not exist.
pub(crate) const INVALID_PRINCIPALS: &str =
    "Policy contains a statement with one or more invalid principals.";

impl Document {
    /// Parses and validates a key policy (the `Policy` of CreateKey and
    /// PutKeyPolicy).
    ///
    /// Errors, in the order checked: `ValidationException` for an empty text
    /// or one longer than 131,072 characters (the API's length constraint);
    /// `LimitExceededException` past 32,768 bytes (the key policy quota);
    /// `MalformedPolicyDocumentException` for characters outside tab, line
    /// feed, carriage return and U+0020..U+00FF, for text that is not JSON,
    /// for missing or misspelt elements, for invalid principals and for
    /// condition operators or keys this KMS does not support.
    ///
    /// ```
    /// use kms_lifecycle::policy::Document;
    /// let doc = Document::parse(r#"{"Version":"2012-10-17","Statement":[{
    ///     "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
    ///     "Action":"kms:*","Resource":"*"}]}"#).unwrap();
    /// assert_eq!(doc.statements.len(), 1);
    /// let err = Document::parse(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},
    ///     "Action":"kms:*","Resource":"*"}]}"#).unwrap_err();
    /// assert_eq!(err.name(), "MalformedPolicyDocumentException");
    /// ```
    pub fn parse(text: &str) -> Result<Document, KmsError> {
        Self::parse_as(text, PolicyKind::Key)
    }

    /// Parses and validates an identity-based (IAM) policy, as given in the
    /// identities file: statements have no `Principal` but must have an action
    /// and a resource element. Same size and character rules as key policies.
    pub fn parse_identity_policy(text: &str) -> Result<Document, KmsError> {
        Self::parse_as(text, PolicyKind::Identity)
    }

    fn parse_as(text: &str, kind: PolicyKind) -> Result<Document, KmsError> {
        if text.is_empty() {
            return Err(KmsError::empty("policy"));
        }
        if text.chars().count() > LENGTH_LIMIT_CHARS {
            return Err(KmsError::ValidationException(format!(
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: \
                 Member must have length less than or equal to {LENGTH_LIMIT_CHARS}"
            )));
        }
        if text.len() > SIZE_LIMIT_BYTES {
            return Err(KmsError::LimitExceededException(format!(
                "The key policy is {} bytes long; the limit is {SIZE_LIMIT_BYTES} bytes.",
                text.len()
            )));
        }
        if let Some(bad) = text
            .chars()
            .find(|&c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
        {
            return Err(malformed(format!(
                "The policy contains the character U+{:04X}; a policy may contain only tab, \
                 line feed, carriage return and the characters U+0020 to U+00FF.",
                bad as u32
            )));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| malformed(format!("The policy is not valid JSON: {e}.")))?;
        let Value::Object(top) = value else {
            return Err(malformed("The policy must be a JSON object."));
        };
        reject_unknown(&top, &["Version", "Id", "Statement"], "policy")?;
        let version = match top.get("Version") {
            None => None,
            Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => Some(v.clone()),
            Some(_) => {
                return Err(malformed(
                    "The policy Version must be \"2012-10-17\" or \"2008-10-17\".",
                ));
            }
        };
        let id = optional_string(&top, "Id")?;
        let statements = match top.get("Statement") {
            None => return Err(malformed("The policy has no Statement element.")),
            Some(Value::Array(items)) if items.is_empty() => {
                return Err(malformed("The policy's Statement element is empty."));
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| parse_statement(s, kind))
                .collect::<Result<Vec<_>, _>>()?,
            Some(single @ Value::Object(_)) => vec![parse_statement(single, kind)?],
            Some(_) => {
                return Err(malformed(
                    "The policy's Statement element must be an object or an array of objects.",
                ));
            }
        };
        Ok(Document {
            kind,
            version,
            id,
            statements,
        })
    }

    /// Checks that every IAM user, role and assumed-role principal the
    /// document names exists, as AWS does ("The principals in the key policy
    /// must exist"). `exists` is asked with each such ARN; account principals
    /// and `"*"` are always accepted. Error: AWS's
    /// `MalformedPolicyDocumentException: Policy contains a statement with one
    /// or more invalid principals.`
    pub fn check_principals_exist(&self, exists: impl Fn(&str) -> bool) -> Result<(), KmsError> {
        let unknown = self
            .statements
            .iter()
            .flat_map(|s| s.principals.iter().flatten())
            .any(|p| matches!(p, PrincipalEntry::Arn(arn) if !exists(arn)));
        if unknown {
            Err(malformed(INVALID_PRINCIPALS))
        } else {
            Ok(())
        }
    }
}

const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement(value: &Value, kind: PolicyKind) -> Result<Statement, KmsError> {
    let Value::Object(st) = value else {
        return Err(malformed("Each policy statement must be a JSON object."));
    };
    reject_unknown(st, &STATEMENT_ELEMENTS, "statement")?;
    let sid = optional_string(st, "Sid")?;
    let effect = match st.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(_) => {
            return Err(malformed(
                "A statement's Effect must be \"Allow\" or \"Deny\".",
            ));
        }
        None => return Err(malformed("A policy statement has no Effect element.")),
    };
    if st.contains_key("NotPrincipal") {
        return Err(malformed(
            "NotPrincipal is not supported by this KMS; name the principals in Principal instead.",
        ));
    }
    let principals = match (kind, st.get("Principal")) {
        (PolicyKind::Key, Some(p)) => Some(parse_principal(p)?),
        (PolicyKind::Key, None) => {
            return Err(malformed(
                "A key policy statement has no Principal element; each statement must contain \
                 one or more principals.",
            ));
        }
        (PolicyKind::Identity, Some(_)) => {
            return Err(malformed(
                "An identity-based policy statement cannot have a Principal element.",
            ));
        }
        (PolicyKind::Identity, None) => None,
    };
    let actions = either(st, "Action", "NotAction", validate_action)?;
    let resources = either(st, "Resource", "NotResource", validate_resource)?;
    if kind == PolicyKind::Identity && (actions.is_none() || resources.is_none()) {
        return Err(malformed(
            "An identity-based policy statement must have Action (or NotAction) and Resource \
             (or NotResource) elements.",
        ));
    }
    let conditions = match st.get("Condition") {
        None => Vec::new(),
        Some(c) => Condition::parse_block(c)?,
    };
    Ok(Statement {
        sid,
        effect,
        principals,
        actions,
        resources,
        conditions,
    })
}

fn parse_principal(value: &Value) -> Result<Vec<PrincipalEntry>, KmsError> {
    match value {
        Value::String(s) if s == "*" => Ok(vec![PrincipalEntry::Anyone]),
        Value::Object(map) if !map.is_empty() => {
            let mut out = Vec::new();
            for (kind, names) in map {
                let names = string_list(names).ok_or_else(|| malformed(INVALID_PRINCIPALS))?;
                for name in names {
                    out.push(match kind.as_str() {
                        "AWS" => aws_principal(&name)?,
                        "Service" if is_service_name(&name) => PrincipalEntry::Service(name),
                        _ => return Err(malformed(INVALID_PRINCIPALS)),
                    });
                }
            }
            Ok(out)
        }
        _ => Err(malformed(INVALID_PRINCIPALS)),
    }
}

/// `"*"`, a 12-digit account, an account root ARN, an IAM user or role ARN,
/// or an STS assumed-role ARN. Wildcards elsewhere are invalid, as in AWS.
fn aws_principal(name: &str) -> Result<PrincipalEntry, KmsError> {
    if name == "*" {
        return Ok(PrincipalEntry::Anyone);
    }
    if is_account_id(name) {
        return Ok(PrincipalEntry::Account(name.to_string()));
    }
    let invalid = || malformed(INVALID_PRINCIPALS);
    let parts: Vec<&str> = name.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return Err(invalid());
    };
    if arn != "arn"
        || !partition.starts_with("aws")
        || !region.is_empty()
        || !is_account_id(account)
        || name.contains('*')
        || name.contains('?')
    {
        return Err(invalid());
    }
    let named = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
    };
    match service {
        "iam" if resource == "root" => Ok(PrincipalEntry::Account(account.to_string())),
        "iam" if named("user/") || named("role/") => Ok(PrincipalEntry::Arn(name.to_string())),
        "sts"
            if resource
                .strip_prefix("assumed-role/")
                .is_some_and(|r| matches!(r.split_once('/'), Some((role, session)) if !role.is_empty() && !session.is_empty())) =>
        {
            Ok(PrincipalEntry::Arn(name.to_string()))
        }
        _ => Err(invalid()),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_service_name(s: &str) -> bool {
    !s.is_empty()
        && s.contains('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// `kms:Encrypt`, `kms:*`, `kms:Describe*`, `*`: one colon, a service prefix
/// of letters, digits and hyphens, and a non-empty action pattern.
fn validate_action(action: &str) -> Result<(), KmsError> {
    if action == "*" {
        return Ok(());
    }
    let valid = match action.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && service
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !name.is_empty()
                && !name.contains(':')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(malformed(format!(
            "Action '{action}' is not valid; an action is \"*\" or \"<service>:<action>\" with \
             wildcards * and ?."
        )))
    }
}

/// `*` or an ARN pattern.
fn validate_resource(resource: &str) -> Result<(), KmsError> {
    if resource == "*" || resource.starts_with("arn:") {
        Ok(())
    } else {
        Err(malformed(format!(
            "Resource '{resource}' is not valid; a resource is \"*\" or an ARN."
        )))
    }
}

/// One of `positive` / `negative` (never both), each a string or string list.
fn either(
    st: &Map<String, Value>,
    positive: &str,
    negative: &str,
    validate: fn(&str) -> Result<(), KmsError>,
) -> Result<Option<Patterns>, KmsError> {
    let list = |name: &str, v: &Value| -> Result<Vec<String>, KmsError> {
        let items = string_list(v).ok_or_else(|| {
            malformed(format!(
                "A statement's {name} element must be a string or a non-empty list of strings."
            ))
        })?;
        items.iter().try_for_each(|i| validate(i))?;
        Ok(items)
    };
    match (st.get(positive), st.get(negative)) {
        (Some(_), Some(_)) => Err(malformed(format!(
            "A statement cannot have both {positive} and {negative} elements."
        ))),
        (Some(v), None) => Ok(Some(Patterns::Only(list(positive, v)?))),
        (None, Some(v)) => Ok(Some(Patterns::Not(list(negative, v)?))),
        (None, None) => Ok(None),
    }
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

fn optional_string(map: &Map<String, Value>, name: &str) -> Result<Option<String>, KmsError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(malformed(format!("The {name} element must be a string."))),
    }
}

fn reject_unknown(map: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), KmsError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(malformed(format!(
            "The {what} has an unknown element '{k}'."
        ))),
        None => Ok(()),
    }
}
