//! Validation errors: malformed documents, elements, principals, characters,
//! sizes, condition operators and keys, identity policies.

use super::*;

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
