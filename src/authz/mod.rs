//! Opt-in authentication and authorization of the server
//! (`kms-lifecycle serve --identities FILE`, feature `server`).
//!
//! - [`identities`]: the principals, their access keys and IAM policies.
//! - [`sigv4`]: SigV4 verification of each request (AWS's `aws-sigv4` crate
//!   computes the expected signature).
//! - [`authorize`]: before dispatch, each operation is evaluated as KMS does
//!   ([`crate::policy`]): the key policy of the key it names, with the
//!   caller's IAM policies, or the IAM policies alone for operations on no key.
//! - [`caller_identity`]: STS GetCallerIdentity for the signing principal.
//!
//! Without `--identities` none of this runs and the server behaves as before.

pub mod identities;
pub mod sigv4;

pub use identities::{Identities, Identity};

use serde_json::{Map, Value};

use crate::api::EncryptionContext;
use crate::error::KmsError;
use crate::policy::{self, Decision, Document, PolicyType, Principal, RequestContext};
use crate::store::Kms;

/// Where an operation's key comes from.
#[derive(Clone, Copy, Debug)]
enum KeyFrom {
    /// A `KeyId`-like member (`KeyId`, `TargetKeyId`, `DestinationKeyId`).
    Member(&'static str),
    /// `KeyId`-like member if given, else the key that made `CiphertextBlob`.
    MemberOrCiphertext(&'static str),
    /// The key an existing alias (member `AliasName`) points to.
    AliasTarget,
    /// No key: resource `"*"`, IAM policies only.
    Nothing,
}

/// One authorization an operation needs: action, key, and the member holding
/// the encryption context its conditions see.
struct Need {
    action: String,
    key: KeyFrom,
    context: Option<&'static str>,
}

fn need(action: &str, key: KeyFrom, context: Option<&'static str>) -> Need {
    Need {
        action: action.to_string(),
        key,
        context,
    }
}

/// What `operation` needs to be authorized (AWS's "Required permissions" of
/// each operation). An operation not listed here needs `kms:<Operation>` on
/// the key of its `KeyId` if it has one, or IAM permission otherwise: a new
/// operation is never let through unauthorized.
fn needs(operation: &str, body: &Map<String, Value>) -> Vec<Need> {
    use KeyFrom::*;
    let own = format!("kms:{operation}");
    match operation {
        "CreateKey" | "ListKeys" | "ListAliases" => vec![need(&own, Nothing, None)],
        "Encrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
            vec![need(&own, Member("KeyId"), Some("EncryptionContext"))]
        }
        "Decrypt" => vec![need(
            &own,
            MemberOrCiphertext("KeyId"),
            Some("EncryptionContext"),
        )],
        "ReEncrypt" => vec![
            need(
                "kms:ReEncryptFrom",
                MemberOrCiphertext("SourceKeyId"),
                Some("SourceEncryptionContext"),
            ),
            need(
                "kms:ReEncryptTo",
                Member("DestinationKeyId"),
                Some("DestinationEncryptionContext"),
            ),
        ],
        "CreateAlias" => vec![need(&own, Member("TargetKeyId"), None)],
        // The alias moves from its current key to the new target: both.
        "UpdateAlias" => vec![
            need(&own, AliasTarget, None),
            need(&own, Member("TargetKeyId"), None),
        ],
        "DeleteAlias" => vec![need(&own, AliasTarget, None)],
        _ if body.get("KeyId").is_some_and(Value::is_string) => {
            vec![need(&own, Member("KeyId"), None)]
        }
        _ => vec![need(&own, Nothing, None)],
    }
}

/// The key a need names: `Some(Some(arn))` a key, `Some(None)` an AWS managed
/// key not created yet, `None` no key can be found (the operation itself will
/// then fail, with its own error, before changing anything).
fn key_of(kms: &mut Kms, from: KeyFrom, body: &Map<String, Value>) -> Option<Option<String>> {
    let member = |name: &str| body.get(name).and_then(Value::as_str);
    match from {
        KeyFrom::Nothing => None,
        KeyFrom::Member(name) => kms.key_arn_for(member(name)?).ok(),
        KeyFrom::MemberOrCiphertext(name) => match member(name) {
            Some(id) => kms.key_arn_for(id).ok(),
            None => {
                use base64::Engine;
                let blob = base64::engine::general_purpose::STANDARD
                    .decode(member("CiphertextBlob")?)
                    .ok()?;
                Some(Some(kms.key_arn_of_ciphertext(&blob)?))
            }
        },
        KeyFrom::AliasTarget => {
            let alias = member("AliasName")?;
            if !alias.starts_with("alias/") {
                return None;
            }
            kms.key_arn_for(alias).ok()
        }
    }
}

/// Authorizes `operation` (with its JSON `body`) for `caller` before
/// dispatch. `Err` is the answer: `AccessDeniedException` in AWS's words, or
/// for CreateKey / PutKeyPolicy a `Policy` naming a user or role that is not
/// in the identities file (`MalformedPolicyDocumentException: Policy contains
/// a statement with one or more invalid principals.`).
pub fn authorize(
    kms: &mut Kms,
    identities: &Identities,
    caller: &Principal,
    operation: &str,
    body: &[u8],
) -> Result<(), KmsError> {
    // A body that is not a JSON object is refused by the operation itself;
    // authorize it as one without members (so a key is never skipped for an
    // operation that could succeed).
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let bypass = body
        .get("BypassPolicyLockoutSafetyCheck")
        .and_then(Value::as_bool);
    for need in needs(operation, &body) {
        let context: Option<EncryptionContext> = need
            .context
            .and_then(|m| body.get(m))
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let decide = |resource: &str, doc: Option<&Document>| {
            let mut request = RequestContext::new(resource);
            request.encryption_context = context.as_ref();
            request.bypass_policy_lockout_safety_check = bypass;
            match doc {
                Some(doc) => doc.allows(caller, &need.action, &request),
                None => policy::evaluate_identity_only(caller, &need.action, &request),
            }
        };
        let (resource, decision) = match need.key {
            KeyFrom::Nothing => ("*".to_string(), decide("*", None)),
            from => match key_of(kms, from, &body) {
                None => continue,
                Some(Some(arn)) => {
                    let decision = match kms.key_policy_text(&arn).map(|t| Document::parse(&t)) {
                        Some(Ok(doc)) => decide(&arn, Some(&doc)),
                        // A stored policy this evaluator cannot read allows nothing.
                        _ => Decision::ImplicitDeny(PolicyType::ResourceBased),
                    };
                    (arn, decision)
                }
                Some(None) => {
                    // First use of alias/aws/<service>: its AWS managed key
                    // does not exist yet; its policy allows direct calls only
                    // to read metadata, and uses only through the service.
                    let alias = body
                        .get("KeyId")
                        .or_else(|| body.get("TargetKeyId"))
                        .or_else(|| body.get("DestinationKeyId"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let resource = kms.alias_arn_of(alias);
                    let doc = Document::parse(&kms.managed_key_policy_for(alias)).ok();
                    let decision = match &doc {
                        Some(doc) => decide(&resource, Some(doc)),
                        None => Decision::ImplicitDeny(PolicyType::ResourceBased),
                    };
                    (resource, decision)
                }
            },
        };
        if let Some(e) = decision.into_error(caller, &need.action, &resource) {
            return Err(e);
        }
    }
    if matches!(operation, "CreateKey" | "PutKeyPolicy")
        && let Some(Ok(doc)) = body
            .get("Policy")
            .and_then(Value::as_str)
            .map(Document::parse)
    {
        doc.check_principals_exist(|arn| identities.knows(arn))?;
    }
    Ok(())
}

/// STS GetCallerIdentity (query protocol, XML) for `identity`.
pub fn caller_identity(identity: &Identity) -> String {
    let p = &identity.principal;
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  \
         <GetCallerIdentityResult>\n    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    \
         <Account>{}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    \
         <RequestId>00000000-0000-4000-8000-000000000000</RequestId>\n  </ResponseMetadata>\n\
         </GetCallerIdentityResponse>\n",
        xml_escape(&p.arn),
        xml_escape(&identity.user_id),
        xml_escape(&p.account)
    )
}

/// True for an STS query-protocol GetCallerIdentity body.
pub fn is_get_caller_identity(content_type: Option<&str>, body: &[u8]) -> bool {
    let form = content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| {
            c.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    form && std::str::from_utf8(body)
        .is_ok_and(|b| b.split('&').any(|kv| kv == "Action=GetCallerIdentity"))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
