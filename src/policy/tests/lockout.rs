//! The lockout safety check and the actions that need an IAM allow.

use super::*;

#[test]
fn lockout_check_is_evaluated_for_the_caller() {
    let a = user(USER_A, vec![]);
    let b = user(USER_B, vec![iam_allow_all()]);
    let only_a = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","Resource":"*"}}"#
    ));
    assert!(!would_lock_out(&only_a, &a, KEY));
    assert!(would_lock_out(&only_a, &b, KEY));
    assert!(would_lock_out(&only_a, &Principal::root(ACCOUNT), KEY));
    let e = lockout_safety_check(&only_a, &b, KEY, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy in the future."
    );
    assert!(lockout_safety_check(&only_a, &b, KEY, true).is_ok());
    assert!(lockout_safety_check(&only_a, &a, KEY, false).is_ok());
    // The default policy keeps the root user and IAM-allowed users in.
    assert!(!would_lock_out(
        &default_policy(),
        &Principal::root(ACCOUNT),
        KEY
    ));
    assert!(!would_lock_out(&default_policy(), &b, KEY));
    assert!(would_lock_out(
        &default_policy(),
        &user(USER_A, vec![]),
        KEY
    ));
    // A policy allowing everything but PutKeyPolicy locks out.
    let no_put = key_policy(
        r#"{"Effect":"Allow","Principal":"*","NotAction":"kms:PutKeyPolicy","Resource":"*"}"#,
    );
    assert!(would_lock_out(&no_put, &Principal::root(ACCOUNT), KEY));
    let denied = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
           {"Effect":"Deny","Principal":"*","Action":"kms:Put*","Resource":"*"}"#,
    );
    assert!(would_lock_out(&denied, &Principal::root(ACCOUNT), KEY));
}

#[test]
fn identity_only_actions_need_an_iam_allow() {
    let any = RequestContext::new("*");
    assert_eq!(
        evaluate_identity_only(&Principal::root(ACCOUNT), "kms:CreateKey", &any),
        Decision::Allow
    );
    assert_eq!(
        evaluate_identity_only(&user(USER_A, vec![iam_allow_all()]), "kms:CreateKey", &any),
        Decision::Allow
    );
    assert_eq!(
        evaluate_identity_only(&user(USER_B, vec![]), "kms:CreateKey", &any),
        Decision::ImplicitDeny(PolicyType::IdentityBased)
    );
    // A statement scoped to key ARNs does not cover resource "*".
    let scoped = user(
        USER_A,
        vec![iam(
            r#"{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/*"}"#,
        )],
    );
    assert_eq!(
        evaluate_identity_only(&scoped, "kms:ListKeys", &any),
        Decision::ImplicitDeny(PolicyType::IdentityBased)
    );
    let denied = user(
        USER_A,
        vec![
            iam_allow_all(),
            iam(r#"{"Effect":"Deny","Action":"kms:CreateKey","Resource":"*"}"#),
        ],
    );
    assert_eq!(
        evaluate_identity_only(&denied, "kms:CreateKey", &any),
        Decision::ExplicitDeny(PolicyType::IdentityBased)
    );
    assert_eq!(
        evaluate_identity_only(&denied, "kms:ListKeys", &any),
        Decision::Allow
    );
}
