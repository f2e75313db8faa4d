//! Unit tests of the policy language: grammar, validation errors, operators,
//! wildcards, Deny precedence, delegation to IAM, the lockout check.

use std::collections::BTreeMap;

use super::*;

const ACCOUNT: &str = "111122223333";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const USER_A: &str = "arn:aws:iam::111122223333:user/A";
const USER_B: &str = "arn:aws:iam::111122223333:user/B";

fn key_policy(statements: &str) -> Document {
    Document::parse(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
    ))
    .unwrap_or_else(|e| panic!("policy should parse: {e}"))
}

fn iam(statements: &str) -> Document {
    Document::parse_identity_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
    ))
    .unwrap_or_else(|e| panic!("IAM policy should parse: {e}"))
}

fn user(arn: &str, policies: Vec<Document>) -> Principal {
    Principal::new(arn, policies).unwrap()
}

fn err(text: &str) -> KmsError {
    Document::parse(text).expect_err("policy should be refused")
}

fn statement_err(statement: &str) -> KmsError {
    err(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#
    ))
}

/// The default key policy of programmatically created keys: the account root
/// gets kms:*, which delegates to IAM.
fn default_policy() -> Document {
    key_policy(
        r#"{"Sid":"Enable IAM User Permissions","Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#,
    )
}

fn iam_allow_all() -> Document {
    iam(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#)
}

fn ctx() -> RequestContext<'static> {
    RequestContext::new(KEY)
}

fn ec(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ----- grammar -----

#[test]
fn statement_may_be_an_object_or_an_array() {
    let single = Document::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
    )
    .unwrap();
    assert_eq!(single.statements.len(), 1);
    assert_eq!(single.version, None);
    let two = key_policy(
        r#"{"Sid":"one","Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"},
           {"Sid":"with spaces","Effect":"Deny","Principal":{"AWS":["111122223333"]},"Action":["kms:Decrypt","kms:Re*"],"Resource":"*"}"#,
    );
    assert_eq!(two.statements.len(), 2);
    assert_eq!(two.statements[1].sid.as_deref(), Some("with spaces"));
    assert_eq!(two.statements[1].effect, Effect::Deny);
    assert_eq!(
        two.statements[1].principals,
        Some(vec![PrincipalEntry::Account(ACCOUNT.into())])
    );
    assert_eq!(
        two.statements[1].actions,
        Some(Patterns::Only(vec!["kms:Decrypt".into(), "kms:Re*".into()]))
    );
}

#[test]
fn principal_forms_parse_to_their_entries() {
    let doc = key_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":["*","111122223333","arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:user/A","arn:aws:iam::111122223333:role/path/R",
            "arn:aws:sts::111122223333:assumed-role/R/session"],"Service":"cloudtrail.amazonaws.com"},
            "Action":"kms:*","Resource":"*"}"#,
    );
    let entries = doc.statements[0].principals.clone().unwrap();
    assert_eq!(
        entries,
        vec![
            PrincipalEntry::Anyone,
            PrincipalEntry::Account(ACCOUNT.into()),
            PrincipalEntry::Account(ACCOUNT.into()),
            PrincipalEntry::Arn(USER_A.into()),
            PrincipalEntry::Arn("arn:aws:iam::111122223333:role/path/R".into()),
            PrincipalEntry::Arn("arn:aws:sts::111122223333:assumed-role/R/session".into()),
            PrincipalEntry::Service("cloudtrail.amazonaws.com".into()),
        ]
    );
}

#[test]
fn missing_action_or_resource_is_accepted_but_has_no_effect() {
    // AWS: "If either of the required Resource or Action elements are missing
    // from a key policy statement, the policy statement has no effect ... the
    // PutKeyPolicy API request succeeds".
    let no_resource = key_policy(r#"{"Effect":"Allow","Principal":"*","Action":"kms:*"}"#);
    let no_action = key_policy(r#"{"Effect":"Allow","Principal":"*","Resource":"*"}"#);
    let a = user(USER_A, vec![]);
    for doc in [no_resource, no_action] {
        assert_eq!(
            doc.allows(&a, "kms:Encrypt", &ctx()),
            Decision::ImplicitDeny(PolicyType::ResourceBased)
        );
    }
}

// ----- validation errors -----

fn assert_malformed(e: &KmsError, needle: &str) {
    assert_eq!(e.name(), "MalformedPolicyDocumentException", "{e}");
    assert!(
        e.message().contains(needle),
        "{e} should mention {needle:?}"
    );
}

#[test]
fn malformed_json_is_refused() {
    assert_malformed(&err("{\"Statement\": ["), "not valid JSON");
    assert_malformed(&err("[1,2]"), "must be a JSON object");
}

#[test]
fn missing_elements_are_refused() {
    assert_malformed(&err(r#"{"Version":"2012-10-17"}"#), "no Statement");
    assert_malformed(&err(r#"{"Statement":[]}"#), "Statement element is empty");
    assert_malformed(
        &statement_err(r#"{"Principal":"*","Action":"kms:*","Resource":"*"}"#),
        "no Effect",
    );
    assert_malformed(
        &statement_err(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#),
        "no Principal",
    );
}

#[test]
fn misspelt_or_wrongly_typed_elements_are_refused() {
    assert_malformed(
        &err(
            r#"{"Statment":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#,
        ),
        "unknown element 'Statment'",
    );
    assert_malformed(
        &statement_err(r#"{"Effect":"allow","Principal":"*","Action":"kms:*","Resource":"*"}"#),
        "Effect must be",
    );
    assert_malformed(
        &statement_err(r#"{"Effect":"Allow","Principal":"*","Actions":"kms:*","Resource":"*"}"#),
        "unknown element 'Actions'",
    );
    assert_malformed(
        &err(
            r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
        ),
        "Version",
    );
    assert_malformed(
        &statement_err(
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:Encrypt","Resource":"*"}"#,
        ),
        "both Action and NotAction",
    );
    assert_malformed(
        &statement_err(
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt:x","Resource":"*"}"#,
        ),
        "not valid",
    );
    assert_malformed(
        &statement_err(r#"{"Effect":"Allow","Principal":"*","Action":"Encrypt","Resource":"*"}"#),
        "not valid",
    );
    assert_malformed(
        &statement_err(r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"key/1"}"#),
        "Resource 'key/1'",
    );
    assert_malformed(
        &statement_err(r#"{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}"#),
        "non-empty list",
    );
}

#[test]
fn invalid_principals_get_aws_message() {
    for principal in [
        r#""bob""#,
        r#"{"AWS":"bob"}"#,
        r#"{"AWS":"11112222333"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:user/*"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:group/G"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:user/"}"#,
        r#"{"AWS":"arn:aws:iam:us-east-1:111122223333:root"}"#,
        r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/R"}"#,
        r#"{"Federated":"cognito-identity.amazonaws.com"}"#,
        r#"{}"#,
        r#"{"AWS":[]}"#,
    ] {
        let e = statement_err(&format!(
            r#"{{"Effect":"Allow","Principal":{principal},"Action":"kms:*","Resource":"*"}}"#
        ));
        assert_eq!(e.name(), "MalformedPolicyDocumentException", "{principal}");
        assert_eq!(
            e.message(),
            "Policy contains a statement with one or more invalid principals.",
            "{principal}"
        );
    }
}

#[test]
fn principals_that_do_not_exist_are_refused_when_checked() {
    let doc = key_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/A","111122223333"]},
            "Action":"kms:*","Resource":"*"}"#,
    );
    assert!(doc.check_principals_exist(|arn| arn == USER_A).is_ok());
    let e = doc.check_principals_exist(|arn| arn == USER_B).unwrap_err();
    assert_eq!(
        e.to_string(),
        "MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals."
    );
}

#[test]
fn not_principal_is_refused_clearly() {
    assert_malformed(
        &statement_err(
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#,
        ),
        "NotPrincipal is not supported",
    );
}

#[test]
fn characters_outside_the_allowed_set_are_refused() {
    let with = |c: char| {
        format!(
            "{{\"Statement\":{{\"Sid\":\"x{c}\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"*\"}}}}"
        )
    };
    // Allowed: tab, LF, CR, U+0020..U+00FF (Latin-1 included).
    assert!(Document::parse(&with('é')).is_ok());
    assert!(Document::parse(&with('\u{FF}')).is_ok());
    assert!(Document::parse("{\t\"Statement\":\r\n{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"*\"}}").is_ok());
    for c in ['\u{100}', '€', '\u{1}', '😀'] {
        assert_malformed(&err(&with(c)), &format!("U+{:04X}", c as u32));
    }
}

#[test]
fn size_limits() {
    let pad = |n: usize| {
        let doc = r#"{"Statement":{"Sid":"","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#;
        let sid = "s".repeat(n - doc.len());
        doc.replace(r#""Sid":"""#, &format!(r#""Sid":"{sid}""#))
    };
    assert_eq!(pad(SIZE_LIMIT_BYTES).len(), SIZE_LIMIT_BYTES);
    assert!(Document::parse(&pad(SIZE_LIMIT_BYTES)).is_ok());
    let e = Document::parse(&pad(SIZE_LIMIT_BYTES + 1)).unwrap_err();
    assert_eq!(e.name(), "LimitExceededException");
    // Two-byte Latin-1 characters count as two bytes.
    let latin = pad(SIZE_LIMIT_BYTES).replacen('s', "é", 1);
    assert_eq!(latin.len(), SIZE_LIMIT_BYTES + 1);
    assert_eq!(
        Document::parse(&latin).unwrap_err().name(),
        "LimitExceededException"
    );
    let e = Document::parse(&pad(LENGTH_LIMIT_CHARS + 1)).unwrap_err();
    assert_eq!(e.name(), "ValidationException");
    assert!(e.message().contains("131072"), "{e}");
    assert_eq!(
        Document::parse("").unwrap_err().name(),
        "ValidationException"
    );
}

#[test]
fn unsupported_condition_operators_and_keys_are_refused() {
    let cond = |c: &str| {
        statement_err(&format!(
            r#"{{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{c}}}"#
        ))
    };
    assert_malformed(
        &cond(r#"{"NumericLessThan":{"kms:RotationPeriodInDays":"90"}}"#),
        "operator 'NumericLessThan' is not supported",
    );
    assert_malformed(
        &cond(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
        "operator 'IpAddress' is not supported",
    );
    assert_malformed(
        &cond(r#"{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}"#),
        "key 'kms:KeySpec' is not supported",
    );
    assert_malformed(
        &cond(r#"{"StringEquals":{"kms:EncryptionContext:":"x"}}"#),
        "names no",
    );
    assert_malformed(
        &cond(r#"{"NullIfExists":{"kms:ViaService":"true"}}"#),
        "Null takes",
    );
    assert_malformed(
        &cond(r#"{"Bool":{"kms:BypassPolicyLockoutSafetyCheck":"yes"}}"#),
        "true or false",
    );
    assert_malformed(
        &cond(r#"{"StringEquals":{"kms:CallerAccount":[]}}"#),
        "non-empty list",
    );
    assert_malformed(
        &cond(r#"{"StringEquals":{"kms:CallerAccount":{"a":1}}}"#),
        "non-empty list",
    );
    assert_malformed(&cond(r#"{"StringEquals":{}}"#), "no condition keys");
    assert_malformed(&cond(r#"["StringEquals"]"#), "must be an object");
}

#[test]
fn identity_policies_have_no_principal_and_need_action_and_resource() {
    let e = Document::parse_identity_policy(
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
    )
    .unwrap_err();
    assert_malformed(&e, "cannot have a Principal");
    let e = Document::parse_identity_policy(r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#)
        .unwrap_err();
    assert_malformed(&e, "must have Action");
    assert_eq!(iam_allow_all().kind, PolicyKind::Identity);
}

#[test]
fn principal_new_reads_the_account_and_refuses_non_principals() {
    let a = user(USER_A, vec![]);
    assert_eq!(a.account, ACCOUNT);
    assert!(!a.is_root());
    let root = user("arn:aws:iam::111122223333:root", vec![]);
    assert_eq!(root, Principal::root(ACCOUNT));
    assert!(root.is_root());
    for bad in [
        "111122223333",
        "*",
        "arn:aws:iam::111122223333:user/*",
        "bob",
    ] {
        assert_eq!(
            Principal::new(bad, vec![]).unwrap_err().name(),
            "MalformedPolicyDocumentException",
            "{bad}"
        );
    }
}

// ----- wildcards -----

#[test]
fn wildcard_patterns() {
    use super::pattern::{matches, matches_ignore_case};
    assert!(matches("*", ""));
    assert!(matches("*", "anything"));
    assert!(matches("a*c", "abbbc"));
    assert!(matches("a*c", "ac"));
    assert!(!matches("a*c", "acb"));
    assert!(matches("a?c", "abc"));
    assert!(!matches("a?c", "ac"));
    assert!(matches("*b*b*", "abxbc"));
    assert!(!matches("abc", "ABC"));
    assert!(matches_ignore_case("kms:encrypt", "kms:Encrypt"));
    assert!(matches("é?", "éà"));
}

#[test]
fn action_wildcards_and_case() {
    let a = user(USER_A, vec![]);
    for (action_pattern, action, allowed) in [
        ("*", "kms:Encrypt", true),
        ("kms:*", "kms:ScheduleKeyDeletion", true),
        ("kms:Re*", "kms:ReEncryptFrom", true),
        ("kms:Re*", "kms:Encrypt", false),
        (
            "kms:GenerateDataKey*",
            "kms:GenerateDataKeyWithoutPlaintext",
            true,
        ),
        ("kms:?ncrypt", "kms:Encrypt", true),
        ("KMS:ENCRYPT", "kms:Encrypt", true),
        ("kms:Encrypt", "kms:Decrypt", false),
        ("s3:*", "kms:Encrypt", false),
    ] {
        let doc = key_policy(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"{action_pattern}","Resource":"*"}}"#
        ));
        assert_eq!(
            doc.allows(&a, action, &ctx()) == Decision::Allow,
            allowed,
            "{action_pattern} vs {action}"
        );
    }
}

#[test]
fn not_action_and_not_resource() {
    let a = user(USER_A, vec![]);
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"NotAction":["kms:ScheduleKeyDeletion","kms:Put*"],"Resource":"*"}}"#
    ));
    assert_eq!(doc.allows(&a, "kms:Encrypt", &ctx()), Decision::Allow);
    assert_ne!(
        doc.allows(&a, "kms:ScheduleKeyDeletion", &ctx()),
        Decision::Allow
    );
    assert_ne!(doc.allows(&a, "kms:PutKeyPolicy", &ctx()), Decision::Allow);
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/other"}}"#
    ));
    assert_eq!(doc.allows(&a, "kms:Encrypt", &ctx()), Decision::Allow);
    let other = "arn:aws:kms:us-east-1:111122223333:key/other";
    assert_ne!(
        doc.allows(&a, "kms:Encrypt", &RequestContext::new(other)),
        Decision::Allow
    );
}

#[test]
fn resource_patterns_match_the_key_arn() {
    let a = user(USER_A, vec![]);
    for (resource, allowed) in [
        ("*", true),
        (KEY, true),
        ("arn:aws:kms:us-east-1:111122223333:key/*", true),
        ("arn:aws:kms:*:111122223333:*", true),
        ("arn:aws:kms:eu-west-1:111122223333:key/*", false),
        ("arn:aws:kms:us-east-1:111122223333:key/other", false),
    ] {
        let doc = key_policy(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","Resource":"{resource}"}}"#
        ));
        assert_eq!(
            doc.allows(&a, "kms:Encrypt", &ctx()) == Decision::Allow,
            allowed,
            "{resource}"
        );
    }
}

// ----- principals, delegation, Deny precedence -----

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

// ----- conditions -----

/// A key policy allowing A `kms:*` under `condition`, and A's decision for
/// an Encrypt with `context`.
fn allowed_with(condition: &str, context: Option<&BTreeMap<String, String>>) -> bool {
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","Resource":"*","Condition":{condition}}}"#
    ));
    let mut request = ctx();
    request.encryption_context = context;
    doc.allows(&user(USER_A, vec![]), "kms:Encrypt", &request) == Decision::Allow
}

#[test]
fn string_equals_on_an_encryption_context_pair_allows_exactly_the_match() {
    let c = r#"{"StringEquals":{"kms:EncryptionContext:Department":"IT"}}"#;
    assert!(allowed_with(c, Some(&ec(&[("Department", "IT")]))));
    assert!(allowed_with(
        c,
        Some(&ec(&[("Department", "IT"), ("x", "y")]))
    ));
    assert!(!allowed_with(c, Some(&ec(&[("Department", "it")]))));
    assert!(!allowed_with(c, Some(&ec(&[("Department", "HR")]))));
    assert!(!allowed_with(c, Some(&ec(&[("Other", "IT")]))));
    assert!(!allowed_with(c, None));
    // The context key part of the condition key ignores case.
    assert!(allowed_with(c, Some(&ec(&[("department", "IT")]))));
    // Several values: any.
    let any = r#"{"StringEquals":{"kms:EncryptionContext:Department":["HR","IT"]}}"#;
    assert!(allowed_with(any, Some(&ec(&[("Department", "HR")]))));
}

#[test]
fn string_not_equals_and_ignore_case() {
    let c = r#"{"StringNotEquals":{"kms:EncryptionContext:Department":"HR"}}"#;
    assert!(allowed_with(c, Some(&ec(&[("Department", "IT")]))));
    assert!(!allowed_with(c, Some(&ec(&[("Department", "HR")]))));
    // A negated operator on an absent key holds (AWS).
    assert!(allowed_with(c, None));
    let c = r#"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:Department":"it"}}"#;
    assert!(allowed_with(c, Some(&ec(&[("Department", "IT")]))));
    assert!(!allowed_with(c, Some(&ec(&[("Department", "HR")]))));
    let c = r#"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:Department":"it"}}"#;
    assert!(!allowed_with(c, Some(&ec(&[("Department", "IT")]))));
    assert!(allowed_with(c, Some(&ec(&[("Department", "HR")]))));
}

#[test]
fn string_like_and_not_like() {
    let c = r#"{"StringLike":{"kms:EncryptionContext:Project":"alpha-*"}}"#;
    assert!(allowed_with(c, Some(&ec(&[("Project", "alpha-1")]))));
    assert!(!allowed_with(c, Some(&ec(&[("Project", "beta-1")]))));
    assert!(!allowed_with(c, None));
    let c = r#"{"StringNotLike":{"kms:EncryptionContext:Project":"alpha-?"}}"#;
    assert!(!allowed_with(c, Some(&ec(&[("Project", "alpha-1")]))));
    assert!(allowed_with(c, Some(&ec(&[("Project", "alpha-12")]))));
}

#[test]
fn if_exists_holds_when_the_key_is_absent() {
    let c = r#"{"StringEqualsIfExists":{"kms:EncryptionContext:Department":"IT"}}"#;
    assert!(allowed_with(c, None));
    assert!(allowed_with(c, Some(&ec(&[("Other", "x")]))));
    assert!(allowed_with(c, Some(&ec(&[("Department", "IT")]))));
    assert!(!allowed_with(c, Some(&ec(&[("Department", "HR")]))));
}

#[test]
fn null_tests_presence() {
    let absent = r#"{"Null":{"kms:EncryptionContext:Department":"true"}}"#;
    let present = r#"{"Null":{"kms:EncryptionContext:Department":"false"}}"#;
    assert!(allowed_with(absent, None));
    assert!(!allowed_with(absent, Some(&ec(&[("Department", "IT")]))));
    assert!(allowed_with(present, Some(&ec(&[("Department", "IT")]))));
    assert!(!allowed_with(present, None));
    // An empty encryption context has no keys.
    let no_keys = r#"{"Null":{"kms:EncryptionContextKeys":"true"}}"#;
    assert!(allowed_with(no_keys, Some(&ec(&[]))));
    // kms:ViaService is never present here.
    assert!(allowed_with(r#"{"Null":{"kms:ViaService":"true"}}"#, None));
    assert!(!allowed_with(
        r#"{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}"#,
        None
    ));
}

#[test]
fn for_all_values_and_for_any_value_on_context_keys() {
    let all =
        r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["AppName","FilePath"]}}"#;
    assert!(allowed_with(all, Some(&ec(&[("AppName", "a")]))));
    assert!(allowed_with(
        all,
        Some(&ec(&[("AppName", "a"), ("FilePath", "b")]))
    ));
    assert!(!allowed_with(
        all,
        Some(&ec(&[("AppName", "a"), ("Other", "b")]))
    ));
    // Vacuously true without an encryption context (AWS warns about this).
    assert!(allowed_with(all, None));
    let any = r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"AppName"}}"#;
    assert!(allowed_with(
        any,
        Some(&ec(&[("AppName", "a"), ("Other", "b")]))
    ));
    assert!(!allowed_with(any, Some(&ec(&[("Other", "b")]))));
    assert!(!allowed_with(any, None));
    let any_like = r#"{"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":"App*"}}"#;
    assert!(allowed_with(any_like, Some(&ec(&[("AppId", "a")]))));
    let all_not = r#"{"ForAllValues:StringNotEquals":{"kms:EncryptionContextKeys":"Secret"}}"#;
    assert!(allowed_with(all_not, Some(&ec(&[("a", "1"), ("b", "2")]))));
    assert!(!allowed_with(
        all_not,
        Some(&ec(&[("a", "1"), ("Secret", "2")]))
    ));
    let any_not = r#"{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"Secret"}}"#;
    assert!(allowed_with(
        any_not,
        Some(&ec(&[("a", "1"), ("Secret", "2")]))
    ));
    assert!(!allowed_with(any_not, Some(&ec(&[("Secret", "2")]))));
}

#[test]
fn caller_account_and_principal_arn() {
    assert!(allowed_with(
        r#"{"StringEquals":{"kms:CallerAccount":"111122223333"}}"#,
        None
    ));
    assert!(!allowed_with(
        r#"{"StringEquals":{"kms:CallerAccount":"444455556666"}}"#,
        None
    ));
    assert!(allowed_with(
        r#"{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
        None
    ));
    assert!(allowed_with(
        &format!(r#"{{"StringEquals":{{"aws:PrincipalArn":"{USER_A}"}}}}"#),
        None
    ));
    assert!(!allowed_with(
        &format!(r#"{{"StringEquals":{{"aws:PrincipalArn":"{USER_B}"}}}}"#),
        None
    ));
    assert!(allowed_with(
        r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}"#,
        None
    ));
    assert!(!allowed_with(
        r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/A"}}"#,
        None
    ));
    assert!(allowed_with(
        &format!(r#"{{"ArnEquals":{{"aws:PrincipalArn":"{USER_A}"}}}}"#),
        None
    ));
    assert!(allowed_with(
        &format!(r#"{{"ArnNotEquals":{{"aws:PrincipalArn":"{USER_B}"}}}}"#),
        None
    ));
    // Condition key names ignore case.
    assert!(allowed_with(
        r#"{"StringEquals":{"KMS:CALLERACCOUNT":"111122223333"}}"#,
        None
    ));
}

#[test]
fn bool_on_the_bypass_flag() {
    let doc = key_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{USER_A}"}},"Action":"kms:*","Resource":"*"}},
           {{"Effect":"Deny","Principal":"*","Action":["kms:PutKeyPolicy","kms:CreateKey"],"Resource":"*",
             "Condition":{{"Bool":{{"kms:BypassPolicyLockoutSafetyCheck":true}}}}}}"#
    ));
    let a = user(USER_A, vec![]);
    assert_eq!(
        doc.allows(&a, "kms:PutKeyPolicy", &ctx().with_bypass(false)),
        Decision::Allow
    );
    assert_eq!(
        doc.allows(&a, "kms:PutKeyPolicy", &ctx().with_bypass(true)),
        Decision::ExplicitDeny(PolicyType::ResourceBased)
    );
    // Absent flag (another operation): Bool does not hold, the Deny does not apply.
    assert_eq!(doc.allows(&a, "kms:PutKeyPolicy", &ctx()), Decision::Allow);
    assert!(allowed_with(
        r#"{"BoolIfExists":{"kms:BypassPolicyLockoutSafetyCheck":"false"}}"#,
        None
    ));
}

#[test]
fn all_conditions_must_hold() {
    let c = r#"{"StringEquals":{"kms:EncryptionContext:A":"1","kms:EncryptionContext:B":"2"},
                "StringLike":{"kms:CallerAccount":"1111*"}}"#;
    assert!(allowed_with(c, Some(&ec(&[("A", "1"), ("B", "2")]))));
    assert!(!allowed_with(c, Some(&ec(&[("A", "1")]))));
    assert!(!allowed_with(c, Some(&ec(&[("A", "1"), ("B", "3")]))));
}

// ----- lockout safety check -----

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
