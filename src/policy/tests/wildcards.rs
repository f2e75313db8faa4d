//! Wildcards: patterns, actions (and their case), NotAction and NotResource,
//! resource patterns against the key ARN.

use super::*;

#[test]
fn wildcard_patterns() {
    use super::super::pattern::{matches, matches_ignore_case};
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
