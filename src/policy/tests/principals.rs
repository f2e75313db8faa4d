//! Principals, delegation to IAM and Deny precedence: who is allowed, and
//! the forms of AccessDeniedException messages.

use super::*;

#[test]
fn default_policy_delegates_to_iam() {
    let doc = default_policy();
    let with_iam = user(USER_A, vec![iam_allow_all()]);
    let without_iam = user(USER_B, vec![]);
    assert_eq!(
        doc.allows(&with_iam, "kms:Encrypt", &ctx()),
        Decision::Allow
    );
    assert_eq!(
        doc.allows(&without_iam, "kms:Encrypt", &ctx()),
        Decision::ImplicitDeny(PolicyType::IdentityBased)
    );
    // The root user needs no IAM policy.
    assert_eq!(
        doc.allows(&Principal::root(ACCOUNT), "kms:PutKeyPolicy", &ctx()),
        Decision::Allow
    );
    // Another account's principals are not delegated to.
    let stranger = user("arn:aws:iam::444455556666:user/C", vec![iam_allow_all()]);
    assert_eq!(
        doc.allows(&stranger, "kms:Encrypt", &ctx()),
        Decision::ImplicitDeny(PolicyType::ResourceBased)
    );
    // The account may be named by its bare id, too.
    let bare = key_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#,
    );
    assert_eq!(
        bare.allows(&with_iam, "kms:Encrypt", &ctx()),
        Decision::Allow
    );
}

#[test]
fn iam_policy_counts_only_for_its_actions_and_resources() {
    let doc = default_policy();
    let encrypt_only = user(
        USER_A,
        vec![iam(&format!(
            r#"{{"Effect":"Allow","Action":"kms:Encrypt","Resource":"{KEY}"}}"#
        ))],
    );
    assert_eq!(
        doc.allows(&encrypt_only, "kms:Encrypt", &ctx()),
        Decision::Allow
    );
    assert_eq!(
        doc.allows(&encrypt_only, "kms:Decrypt", &ctx()),
        Decision::ImplicitDeny(PolicyType::IdentityBased)
    );
    let other_key = "arn:aws:kms:us-east-1:111122223333:key/other";
    assert_eq!(
        doc.allows(
            &encrypt_only,
            "kms:Encrypt",
            &RequestContext::new(other_key)
        ),
        Decision::ImplicitDeny(PolicyType::IdentityBased)
    );
}

#[test]
fn key_policy_naming_a_principal_allows_it_without_iam_and_refuses_others() {
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","Resource":"*"}}"#
    ));
    let a = user(USER_A, vec![]);
    let b = user(USER_B, vec![iam_allow_all()]);
    for action in ["kms:Encrypt", "kms:DisableKey", "kms:ScheduleKeyDeletion"] {
        assert_eq!(doc.allows(&a, action, &ctx()), Decision::Allow, "{action}");
        // B's IAM allow does not help: the key policy does not delegate.
        assert_eq!(
            doc.allows(&b, action, &ctx()),
            Decision::ImplicitDeny(PolicyType::ResourceBased),
            "{action}"
        );
    }
    // Even the root user is locked out by such a policy.
    assert_ne!(
        doc.allows(&Principal::root(ACCOUNT), "kms:Encrypt", &ctx()),
        Decision::Allow
    );
}

#[test]
fn anyone_principal_allows_every_caller_of_the_account() {
    let doc =
        key_policy(r#"{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"}"#);
    assert_eq!(
        doc.allows(&user(USER_B, vec![]), "kms:Encrypt", &ctx()),
        Decision::Allow
    );
    let doc = key_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*"}"#,
    );
    assert_eq!(
        doc.allows(&user(USER_B, vec![]), "kms:Encrypt", &ctx()),
        Decision::Allow
    );
}

#[test]
fn service_principals_never_match_a_caller() {
    let doc = key_policy(
        r#"{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:*","Resource":"*"}"#,
    );
    assert_eq!(
        doc.allows(&Principal::root(ACCOUNT), "kms:Encrypt", &ctx()),
        Decision::ImplicitDeny(PolicyType::ResourceBased)
    );
}

#[test]
fn role_principal_covers_its_sessions() {
    let doc = key_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"kms:*","Resource":"*"}"#,
    );
    let session = user("arn:aws:sts::111122223333:assumed-role/R/s1", vec![]);
    assert_eq!(session.account, ACCOUNT);
    assert_eq!(doc.allows(&session, "kms:Encrypt", &ctx()), Decision::Allow);
    let other = user("arn:aws:sts::111122223333:assumed-role/Q/s1", vec![]);
    assert_ne!(doc.allows(&other, "kms:Encrypt", &ctx()), Decision::Allow);
}

#[test]
fn explicit_deny_in_key_policy_wins_over_kms_star() {
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","Resource":"*"}},
           {{"Effect":"Deny","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}}"#
    ));
    let a = user(USER_A, vec![]);
    assert_eq!(doc.allows(&a, "kms:Encrypt", &ctx()), Decision::Allow);
    assert_eq!(
        doc.allows(&a, "kms:ScheduleKeyDeletion", &ctx()),
        Decision::ExplicitDeny(PolicyType::ResourceBased)
    );
}

#[test]
fn deny_for_the_account_applies_to_all_its_principals() {
    let doc = key_policy(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
           {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:Decrypt","Resource":"*"}"#,
    );
    assert_eq!(
        doc.allows(&user(USER_B, vec![]), "kms:Decrypt", &ctx()),
        Decision::ExplicitDeny(PolicyType::ResourceBased)
    );
    assert_eq!(
        doc.allows(&user(USER_B, vec![]), "kms:Encrypt", &ctx()),
        Decision::Allow
    );
}

#[test]
fn explicit_deny_in_an_iam_policy_wins_over_a_direct_key_policy_allow() {
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","Resource":"*"}}"#
    ));
    let a = user(
        USER_A,
        vec![
            iam_allow_all(),
            iam(r#"{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}"#),
        ],
    );
    assert_eq!(doc.allows(&a, "kms:Encrypt", &ctx()), Decision::Allow);
    assert_eq!(
        doc.allows(&a, "kms:Decrypt", &ctx()),
        Decision::ExplicitDeny(PolicyType::IdentityBased)
    );
}

#[test]
fn cross_account_callers_need_key_policy_and_iam() {
    let stranger_arn = "arn:aws:iam::444455556666:user/C";
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":["{stranger_arn}","444455556666"]}},"Action":"kms:Encrypt","Resource":"*"}}"#
    ));
    assert_eq!(
        doc.allows(&user(stranger_arn, vec![]), "kms:Encrypt", &ctx()),
        Decision::ImplicitDeny(PolicyType::IdentityBased)
    );
    assert_eq!(
        doc.allows(
            &user(stranger_arn, vec![iam_allow_all()]),
            "kms:Encrypt",
            &ctx()
        ),
        Decision::Allow
    );
}

#[test]
fn access_denied_messages_have_aws_forms() {
    let b = user(USER_B, vec![]);
    let e = Decision::ImplicitDeny(PolicyType::ResourceBased)
        .into_error(&b, "kms:Encrypt", KEY)
        .unwrap();
    assert_eq!(e.name(), "AccessDeniedException");
    assert_eq!(
        e.message(),
        format!(
            "User: {USER_B} is not authorized to perform: kms:Encrypt on resource: {KEY} because no resource-based policy allows the kms:Encrypt action"
        )
    );
    let e = Decision::ImplicitDeny(PolicyType::IdentityBased)
        .into_error(&b, "kms:Decrypt", KEY)
        .unwrap();
    assert!(
        e.message()
            .ends_with("because no identity-based policy allows the kms:Decrypt action")
    );
    let e = Decision::ExplicitDeny(PolicyType::ResourceBased)
        .into_error(&b, "kms:Decrypt", KEY)
        .unwrap();
    assert_eq!(
        e.message(),
        format!(
            "User: {USER_B} is not authorized to perform: kms:Decrypt on resource: {KEY} with an explicit deny in a resource-based policy"
        )
    );
    let e = Decision::ExplicitDeny(PolicyType::IdentityBased)
        .into_error(&b, "kms:Decrypt", KEY)
        .unwrap();
    assert!(
        e.message()
            .ends_with("with an explicit deny in an identity-based policy"),
        "{e}"
    );
    assert!(Decision::Allow.into_error(&b, "kms:Decrypt", KEY).is_none());
}
