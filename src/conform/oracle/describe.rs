//! Describing actions and the model's answers: the readable forms shown in
//! reports ([`describe_action`]) and in the expected side of a divergence.

use kms_lifecycle_model as model;
use model::{
    Action, AliasName, Ctx, ImportType, KeyRef, MaterialRef, OkSummary, Origin, Response, TokenRef,
    ValidToChoice,
};

fn kref_str(r: KeyRef) -> String {
    match r {
        KeyRef::Key(k) => format!("k{k}"),
        KeyRef::Alias(a) => format!("alias/slot{a}"),
    }
}

fn ctx_str(c: Ctx) -> &'static str {
    match c {
        Ctx::A => r#"{"ab":"c"}"#,
        Ctx::B => r#"{"a":"bc"}"#,
    }
}

/// A readable form of an action as the call(s) it makes: keys are `k0`,
/// `k1`, ... in creation order, ciphertexts `ct0`, `ct1`, ...
pub fn describe_action(a: &Action) -> String {
    match *a {
        Action::CreateKey { origin } => format!(
            "CreateKey(Origin={})",
            match origin {
                Origin::AwsKms => "AWS_KMS",
                Origin::External => "EXTERNAL",
            }
        ),
        Action::UseManagedAlias => "DescribeKey(alias/aws/<service>) (AWS managed key)".into(),
        Action::DescribeKey { key } => format!("DescribeKey({})", kref_str(key)),
        Action::Encrypt { key, ctx } => {
            format!(
                "Encrypt({}, EncryptionContext={})",
                kref_str(key),
                ctx_str(ctx)
            )
        }
        Action::GenerateDataKey { key } => format!(
            "GenerateDataKey({}, AES_256, EncryptionContext={})",
            kref_str(key),
            ctx_str(Ctx::A)
        ),
        Action::Decrypt { ct, ctx, key } => format!(
            "Decrypt(ct{ct}, EncryptionContext={}{})",
            ctx_str(ctx),
            key.map(|k| format!(", KeyId={}", kref_str(k)))
                .unwrap_or_default()
        ),
        Action::DecryptTampered { ct } => format!("Decrypt(ct{ct} with one byte flipped)"),
        Action::ReEncrypt { ct, dest } => {
            format!("ReEncrypt(ct{ct}, DestinationKeyId={})", kref_str(dest))
        }
        Action::EnableKey { key } => format!("EnableKey(k{key})"),
        Action::DisableKey { key } => format!("DisableKey(k{key})"),
        Action::EnableKeyRotation { key, period_days } => match period_days {
            Some(p) => format!("EnableKeyRotation(k{key}, RotationPeriodInDays={p})"),
            None => format!("EnableKeyRotation(k{key})"),
        },
        Action::DisableKeyRotation { key } => format!("DisableKeyRotation(k{key})"),
        Action::GetKeyRotationStatus { key } => format!("GetKeyRotationStatus(k{key})"),
        Action::RotateKeyOnDemand { key } => format!("RotateKeyOnDemand(k{key})"),
        Action::ScheduleKeyDeletion { key, window_days } => match window_days {
            Some(w) => format!("ScheduleKeyDeletion(k{key}, PendingWindowInDays={w})"),
            None => format!("ScheduleKeyDeletion(k{key})"),
        },
        Action::CancelKeyDeletion { key } => format!("CancelKeyDeletion(k{key})"),
        Action::GetParametersForImport { key } => {
            format!("GetParametersForImport(k{key}, RSAES_OAEP_SHA_256, RSA_2048)")
        }
        Action::ImportKeyMaterial {
            key,
            token,
            material,
            import_type,
            expires,
        } => format!(
            "ImportKeyMaterial(k{key}, token={}, material #{material}{}, {})",
            match token {
                TokenRef::Latest => "latest",
                TokenRef::Superseded => "superseded",
                TokenRef::OtherKey => "another key's",
                TokenRef::Forged => "forged",
            },
            match import_type {
                None => "",
                Some(ImportType::NewKeyMaterial) => ", NEW_KEY_MATERIAL",
                Some(ImportType::ExistingKeyMaterial) => ", EXISTING_KEY_MATERIAL",
            },
            match expires {
                ValidToChoice::DoesNotExpire => "KEY_MATERIAL_DOES_NOT_EXPIRE".to_string(),
                ValidToChoice::In(s) => format!("ValidTo=now+{}", model::fmt_time(s)),
                // Without clock control the oracle widens both by 600 s
                // (perform.rs), so that clock skew cannot make them valid.
                ValidToChoice::TooFar => {
                    "ValidTo=now+365d+1s (+600 s without clock control)".to_string()
                }
                ValidToChoice::Past => "ValidTo=now (−600 s without clock control)".to_string(),
                ValidToChoice::MissingValidTo => "KEY_MATERIAL_EXPIRES without ValidTo".to_string(),
            }
        ),
        Action::DeleteImportedKeyMaterial { key, material } => match material {
            None => format!("DeleteImportedKeyMaterial(k{key})"),
            Some(MaterialRef::Version(v)) => {
                format!("DeleteImportedKeyMaterial(k{key}, KeyMaterialId=material of version {v})")
            }
            Some(MaterialRef::Pending) => {
                format!("DeleteImportedKeyMaterial(k{key}, KeyMaterialId=the pending material)")
            }
            Some(MaterialRef::Unknown) => {
                format!(
                    "DeleteImportedKeyMaterial(k{key}, KeyMaterialId=an id the key does not have)"
                )
            }
        },
        Action::CreateAlias { alias, key } => format!(
            "CreateAlias({}, k{key})",
            match alias {
                AliasName::Slot(n) => format!("alias/slot{n}"),
                AliasName::Reserved => "alias/aws/reserved".into(),
                AliasName::Malformed => "\"alias/bad name!\"".into(),
            }
        ),
        Action::UpdateAlias { alias, key } => format!("UpdateAlias(alias/slot{alias}, k{key})"),
        Action::DeleteAlias { alias } => format!("DeleteAlias(alias/slot{alias})"),
        Action::GetKeyPolicy { key } => format!("GetKeyPolicy(k{key}, PolicyName=default)"),
        Action::ListKeyPolicies { key } => format!("ListKeyPolicies(k{key})"),
        Action::PutKeyPolicy {
            key,
            policy,
            bypass,
        } => format!(
            "PutKeyPolicy(k{key}, Policy={}{})",
            policy_label(policy),
            if bypass {
                ", BypassPolicyLockoutSafetyCheck=true"
            } else {
                ""
            }
        ),
        Action::Advance(d) => format!("AdvanceClock {}", model::fmt_time(d)),
    }
}

/// A readable name of an abstract key policy.
fn policy_label(p: model::Policy) -> &'static str {
    match p {
        model::Policy::Default => "AWS's default key policy",
        model::Policy::Managed => "the AWS managed key's policy",
        model::Policy::AllowAll => "allow the account kms:*",
        model::Policy::DenyPut => "allow kms:*, deny kms:PutKeyPolicy",
        model::Policy::NoAdmin => "allow every kms action but kms:PutKeyPolicy",
        model::Policy::Malformed => "not JSON",
    }
}

pub(super) fn fmt_response(r: &Response) -> String {
    match r.outcome {
        Err(e) => e.name().to_string(),
        Ok(s) => match s {
            OkSummary::Key { key, state } => format!("ok: k{key} {}", state.name()),
            OkSummary::Encrypted { key, .. } => format!("ok: ciphertext under k{key}"),
            OkSummary::Decrypted { key, .. } => format!("ok: decrypted by k{key}"),
            OkSummary::Done { state, .. } => format!("ok (key then {})", state.name()),
            OkSummary::RotationStatus {
                enabled,
                next,
                period_days,
            } => format!(
                "ok: KeyRotationEnabled={enabled}, NextRotationDate={}, RotationPeriodInDays={}",
                next.map(model::fmt_time).unwrap_or_else(|| "none".into()),
                period_days
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "none".into())
            ),
            OkSummary::Rotated { .. } => "ok".into(),
            OkSummary::Scheduled {
                deletion_date,
                window_days,
                ..
            } => format!(
                "ok: PendingWindowInDays={window_days}, DeletionDate={}",
                model::fmt_time(deletion_date)
            ),
            OkSummary::ImportParameters { valid_to, .. } => {
                format!("ok: ParametersValidTo={}", model::fmt_time(valid_to))
            }
            OkSummary::Imported { state, .. } => format!("ok (key then {})", state.name()),
            OkSummary::AliasDone => "ok".into(),
            OkSummary::KeyPolicy { policy, .. } => format!("ok: {}", policy_label(policy)),
            OkSummary::PolicyNames { .. } => "ok: PolicyNames=[default]".into(),
            OkSummary::Advanced { now } => format!("ok: now {}", model::fmt_time(now)),
        },
    }
}

pub(super) fn join_alternatives(mut v: Vec<String>) -> String {
    v.sort();
    v.dedup();
    v.join(" | ")
}
