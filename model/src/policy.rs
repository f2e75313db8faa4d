//! Key policies, abstracted to the documents that matter for the lifecycle
//! (issue 16).

use serde::{Deserialize, Serialize};

/// A key policy, abstracted to the few documents that matter for the
/// lifecycle (issue 16). The caller of every call is the account's root
/// user; each document is a concrete JSON text in the tests and the oracle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Policy {
    /// AWS's default key policy: the account may do everything (`kms:*`).
    Default,
    /// The policy AWS gives an AWS managed key: use through the service, and
    /// read access (`kms:Describe*`, `kms:Get*`, `kms:List*`) for the account.
    Managed,
    /// A customer policy that allows the account everything (another text
    /// than the default).
    AllowAll,
    /// [`Policy::AllowAll`] plus a Deny of `kms:PutKeyPolicy` to the
    /// account: the Deny wins, so nobody can change the policy again.
    DenyPut,
    /// Every KMS action for the account but `kms:PutKeyPolicy`: no statement
    /// allows anybody to change the policy again.
    NoAdmin,
    /// Not a policy document (bad JSON): PutKeyPolicy and CreateKey refuse it
    /// with MalformedPolicyDocumentException; never stored.
    Malformed,
}

impl Policy {
    /// Whether the policy allows the caller (the account) `operation`
    /// (AWS's name); a Deny statement wins over every Allow.
    pub fn allows(self, operation: &str) -> bool {
        match self {
            Policy::Default | Policy::AllowAll => true,
            Policy::DenyPut | Policy::NoAdmin => operation != "PutKeyPolicy",
            Policy::Managed => {
                operation.starts_with("Describe")
                    || operation.starts_with("Get")
                    || operation.starts_with("List")
            }
            Policy::Malformed => false,
        }
    }

    /// Whether, under this policy, nobody may call PutKeyPolicy again (the
    /// lock-out the safety check refuses without the bypass flag).
    pub fn locks_out(self) -> bool {
        !self.allows("PutKeyPolicy")
    }

    /// The documents PutKeyPolicy may be given, in a fixed order.
    pub const PUTTABLE: [Policy; 5] = [
        Policy::Default,
        Policy::AllowAll,
        Policy::DenyPut,
        Policy::NoAdmin,
        Policy::Malformed,
    ];

    /// The concrete document of this abstract policy for `account`, as the
    /// differential test and the oracle send it. `None` for
    /// [`Policy::Managed`], whose text AWS writes (and which names the
    /// service and Region). [`Policy::Default`] is AWS's default key policy,
    /// byte for byte.
    pub fn document(self, account: &str) -> Option<String> {
        let root = format!("{{\"AWS\":\"arn:aws:iam::{account}:root\"}}");
        Some(match self {
            Policy::Default => format!(
                "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
            ),
            Policy::Managed => return None,
            Policy::AllowAll => format!(
                "{{\"Version\":\"2012-10-17\",\"Id\":\"kms-lifecycle-allow-all\",\"Statement\":[{{\"Sid\":\"AllowAccount\",\"Effect\":\"Allow\",\"Principal\":{root},\"Action\":\"kms:*\",\"Resource\":\"*\"}}]}}"
            ),
            Policy::DenyPut => format!(
                "{{\"Version\":\"2012-10-17\",\"Id\":\"kms-lifecycle-deny-put\",\"Statement\":[{{\"Sid\":\"AllowAccount\",\"Effect\":\"Allow\",\"Principal\":{root},\"Action\":\"kms:*\",\"Resource\":\"*\"}},{{\"Sid\":\"DenyPolicyChanges\",\"Effect\":\"Deny\",\"Principal\":{root},\"Action\":\"kms:PutKeyPolicy\",\"Resource\":\"*\"}}]}}"
            ),
            Policy::NoAdmin => format!(
                "{{\"Version\":\"2012-10-17\",\"Id\":\"kms-lifecycle-no-admin\",\"Statement\":[{{\"Sid\":\"AllowAllButPolicyChanges\",\"Effect\":\"Allow\",\"Principal\":{root},\"Action\":[\"kms:Create*\",\"kms:Describe*\",\"kms:Enable*\",\"kms:List*\",\"kms:Update*\",\"kms:Revoke*\",\"kms:Disable*\",\"kms:Get*\",\"kms:Delete*\",\"kms:TagResource\",\"kms:UntagResource\",\"kms:ScheduleKeyDeletion\",\"kms:CancelKeyDeletion\",\"kms:RotateKeyOnDemand\",\"kms:ImportKeyMaterial\",\"kms:Encrypt\",\"kms:Decrypt\",\"kms:ReEncrypt*\",\"kms:GenerateDataKey*\"],\"Resource\":\"*\"}}]}}"
            ),
            Policy::Malformed => "{\"Version\":\"2012-10-17\",\"Statement\":[".to_string(),
        })
    }
}
