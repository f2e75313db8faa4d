//! The grammar: the forms of Statement and Principal, elements without effect.

use super::*;

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
