//! The identities file of `serve --identities FILE` (docs/server.md).
//!
//! ```json
//! {"Principals": [
//!   {"Arn": "arn:aws:iam::111122223333:user/A",
//!    "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "SecretAccessKey": "...",
//!    "Policies": [{"Version": "2012-10-17", "Statement": [
//!        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]}
//! ]}
//! ```
//!
//! Secret keys are kept in wiped-on-drop strings and never shown by `Debug`.

use std::collections::HashMap;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::policy::{Document, Principal};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct File {
    principals: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Entry {
    arn: String,
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    policies: Vec<serde_json::Value>,
}

/// One principal of the file, with its credentials.
pub struct Identity {
    /// The principal (ARN, account, IAM policies) for policy evaluation.
    pub principal: Principal,
    /// The access key id.
    pub access_key_id: String,
    /// `UserId` of GetCallerIdentity.
    pub user_id: String,
    secret_access_key: Zeroizing<String>,
}

impl Identity {
    /// The secret access key (for computing the expected signature only).
    pub(crate) fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("arn", &self.principal.arn)
            .field("access_key_id", &self.access_key_id)
            .field("user_id", &self.user_id)
            .field("secret_access_key", &"** redacted **")
            .finish()
    }
}

/// The principals a server in identities mode knows, by access key id.
#[derive(Debug, Default)]
pub struct Identities {
    by_key: HashMap<String, Identity>,
}

impl Identities {
    /// Reads and validates the file at `path`. The error names the problem
    /// (never a secret).
    pub fn load(path: &std::path::Path) -> Result<Identities, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and validates the text of an identities file.
    pub fn parse(text: &str) -> Result<Identities, String> {
        let file: File = serde_json::from_str(text).map_err(|e| {
            // serde's message may quote a value (a secret): say where, not what.
            format!(
                "not a valid identities file at line {} column {} ({:?} error; expected \
                 {{\"Principals\": [{{\"Arn\", \"AccessKeyId\", \"SecretAccessKey\", \
                 \"Account\"?, \"UserId\"?, \"Policies\"?}}]}})",
                e.line(),
                e.column(),
                e.classify()
            )
        })?;
        let mut by_key = HashMap::new();
        for (i, entry) in file.principals.into_iter().enumerate() {
            let who = format!("principal {} ({})", i + 1, entry.arn.escape_default());
            let key_ok = (16..=128).contains(&entry.access_key_id.len())
                && entry
                    .access_key_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !key_ok {
                return Err(format!(
                    "{who}: AccessKeyId must be 16 to 128 letters, digits or underscores"
                ));
            }
            let secret = Zeroizing::new(entry.secret_access_key);
            if secret.is_empty() {
                return Err(format!("{who}: SecretAccessKey is empty"));
            }
            let mut policies = Vec::new();
            for (j, p) in entry.policies.iter().enumerate() {
                let text = match p {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                policies.push(
                    Document::parse_identity_policy(&text)
                        .map_err(|e| format!("{who}: policy {}: {e}", j + 1))?,
                );
            }
            let principal = Principal::new(&entry.arn, policies)
                .map_err(|_| format!("{who}: Arn is not an IAM user, role or root ARN"))?;
            if let Some(account) = &entry.account
                && *account != principal.account
            {
                return Err(format!(
                    "{who}: Account {} is not the account of the Arn",
                    account.escape_default()
                ));
            }
            let user_id = entry.user_id.clone().unwrap_or_else(|| {
                if principal.is_root() {
                    principal.account.clone()
                } else {
                    default_user_id(&principal.arn)
                }
            });
            let identity = Identity {
                principal,
                access_key_id: entry.access_key_id.clone(),
                user_id,
                secret_access_key: secret,
            };
            if by_key
                .insert(entry.access_key_id.clone(), identity)
                .is_some()
            {
                return Err(format!("{who}: AccessKeyId appears twice"));
            }
        }
        if by_key.is_empty() {
            return Err("the file lists no principals".into());
        }
        Ok(Identities { by_key })
    }

    /// The identity of an access key id.
    pub fn by_access_key(&self, access_key_id: &str) -> Option<&Identity> {
        self.by_key.get(access_key_id)
    }

    /// True when a user or role ARN (or an assumed-role session of a role)
    /// names a principal of the file: the principals that "exist".
    pub fn knows(&self, arn: &str) -> bool {
        self.by_key.values().any(|i| {
            i.principal.arn == arn || {
                // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION exists when
                // arn:aws:iam::ACCOUNT:role/ROLE does.
                let mut p = arn.splitn(6, ':');
                match (p.next(), p.next(), p.next(), p.next(), p.next(), p.next()) {
                    (Some("arn"), Some(part), Some("sts"), Some(""), Some(acct), Some(res)) => res
                        .strip_prefix("assumed-role/")
                        .and_then(|r| r.split('/').next())
                        .is_some_and(|role| {
                            i.principal.arn == format!("arn:{part}:iam::{acct}:role/{role}")
                        }),
                    _ => false,
                }
            }
        })
    }
}

/// A stable `AIDA...` id for an IAM principal without a `UserId` in the file.
fn default_user_id(arn: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(arn.as_bytes());
    let mut id = String::from("AIDA");
    for b in &digest[..9] {
        id.push_str(&format!("{b:02X}"));
    }
    id.truncate(21);
    id
}
