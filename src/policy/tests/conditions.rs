//! Conditions: the string, null, set and boolean operators on the request
//! context (encryption context, caller, bypass flag).

use super::*;

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
