//! Key policies (issue 16, item 1): CreateKey's Policy and
//! BypassPolicyLockoutSafetyCheck, GetKeyPolicy, PutKeyPolicy,
//! ListKeyPolicies, in the store and on the wire.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use common::*;
use kms_lifecycle::api::*;
use kms_lifecycle::store::{MAX_POLICY_BYTES, default_key_policy};
use kms_lifecycle::wire::dispatch;
use kms_lifecycle::{Kms, Rules};

/// The default key policy exactly as AWS returns it (issue 16's research
/// summary), for the default account.
const AWS_DEFAULT: &str = "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";

const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Id":"custom","Statement":[{"Sid":"all","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
const DENY_PUT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:PutKeyPolicy","Resource":"*"}]}"#;
const NO_ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:Describe*","kms:Get*","kms:List*","kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}"#;

const LOCKOUT: &str =
    "The new key policy will not allow you to update the key policy in the future.";

fn policy(kms: &mut Kms, key: &str) -> String {
    kms.get_key_policy(GetKeyPolicyRequest::new(key))
        .unwrap()
        .policy
}

fn put(kms: &mut Kms, key: &str, doc: &str, bypass: bool) -> kms_lifecycle::KmsResult<Empty> {
    let mut r = PutKeyPolicyRequest::new(key, doc);
    r.bypass_policy_lockout_safety_check = bypass.then_some(true);
    kms.put_key_policy(r)
}

#[test]
fn a_key_without_a_policy_has_aws_default_policy_byte_for_byte() {
    let (mut kms, _) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let r = kms.get_key_policy(GetKeyPolicyRequest::new(&key)).unwrap();
    assert_eq!(r.policy, AWS_DEFAULT);
    assert_eq!(r.policy_name, "default");
    assert_eq!(default_key_policy("111122223333"), AWS_DEFAULT);
    assert!(default_key_policy("444455556666").contains("arn:aws:iam::444455556666:root"));
}

#[test]
fn put_key_policy_replaces_the_text_exactly_and_survives_every_transition() {
    let (mut kms, clock) = store(Rules::current());
    let key = create(&mut kms).key_id;
    put(&mut kms, &key, ALLOW_ALL, false).unwrap();
    assert_eq!(policy(&mut kms, &key), ALLOW_ALL);
    kms.disable_key(KeyIdRequest::new(&key)).unwrap();
    assert_eq!(policy(&mut kms, &key), ALLOW_ALL);
    kms.enable_key(KeyIdRequest::new(&key)).unwrap();
    kms.rotate_key_on_demand(KeyIdRequest::new(&key)).unwrap();
    assert_eq!(policy(&mut kms, &key), ALLOW_ALL);
    schedule_deletion(&mut kms, &key, Some(7)).unwrap();
    assert_eq!(policy(&mut kms, &key), ALLOW_ALL);
    // Allowed while PendingDeletion, and no alarm: the call is not refused.
    put(&mut kms, &key, AWS_DEFAULT, false).unwrap();
    assert!(kms.alarms().is_empty());
    kms.cancel_key_deletion(KeyIdRequest::new(&key)).unwrap();
    assert_eq!(policy(&mut kms, &key), AWS_DEFAULT);
    schedule_deletion(&mut kms, &key, Some(7)).unwrap();
    clock.advance(7 * DAY);
    let e = kms
        .get_key_policy(GetKeyPolicyRequest::new(&key))
        .unwrap_err();
    assert_eq!(e.name(), "NotFoundException");
    assert_eq!(
        put(&mut kms, &key, ALLOW_ALL, false).unwrap_err().name(),
        "NotFoundException"
    );
}

#[test]
fn policy_operations_work_on_a_key_pending_import() {
    let (mut kms, _) = store(Rules::current());
    let key = create_external(&mut kms).key_id;
    assert_eq!(policy(&mut kms, &key), AWS_DEFAULT);
    put(&mut kms, &key, ALLOW_ALL, false).unwrap();
    assert_eq!(policy(&mut kms, &key), ALLOW_ALL);
    let l = kms
        .list_key_policies(ListKeyPoliciesRequest::new(&key))
        .unwrap();
    assert_eq!(l.policy_names, vec!["default".to_string()]);
    assert!(!l.truncated);
}

#[test]
fn lockout_is_refused_without_the_bypass_flag_and_then_nothing_can_change_it() {
    let (mut kms, _) = store(Rules::current());
    let key = create(&mut kms).key_id;
    for doc in [DENY_PUT, NO_ADMIN] {
        assert_err(
            put(&mut kms, &key, doc, false),
            "MalformedPolicyDocumentException",
            LOCKOUT,
        );
        assert_eq!(
            policy(&mut kms, &key),
            AWS_DEFAULT,
            "a refused put changes nothing"
        );
    }
    put(&mut kms, &key, DENY_PUT, true).unwrap();
    assert_eq!(policy(&mut kms, &key), DENY_PUT);
    // The Deny wins over the Allow of kms:*: nobody can change it again.
    let e = put(&mut kms, &key, ALLOW_ALL, true).unwrap_err();
    assert_eq!(e.name(), "AccessDeniedException");
    assert!(e.message().contains("with an explicit deny"), "{e}");
    assert_eq!(policy(&mut kms, &key), DENY_PUT);

    let other = create(&mut kms).key_id;
    put(&mut kms, &other, NO_ADMIN, true).unwrap();
    let e = put(&mut kms, &other, ALLOW_ALL, false).unwrap_err();
    assert_eq!(e.name(), "AccessDeniedException");
    assert!(
        e.message()
            .contains("no resource-based policy allows the kms:PutKeyPolicy action")
    );
}

#[test]
fn create_key_takes_a_policy_and_checks_it_like_put_key_policy() {
    let (mut kms, _) = store(Rules::current());
    let created = kms
        .create_key(CreateKeyRequest {
            policy: Some(ALLOW_ALL.into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(policy(&mut kms, &created.key_metadata.key_id), ALLOW_ALL);
    let before = kms.key_count();
    let r = kms.create_key(CreateKeyRequest {
        policy: Some(NO_ADMIN.into()),
        ..Default::default()
    });
    assert_err(r, "MalformedPolicyDocumentException", LOCKOUT);
    assert_eq!(
        kms.key_count(),
        before,
        "a refused CreateKey creates nothing"
    );
    let bypassed = kms
        .create_key(CreateKeyRequest {
            policy: Some(NO_ADMIN.into()),
            bypass_policy_lockout_safety_check: Some(true),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(policy(&mut kms, &bypassed.key_metadata.key_id), NO_ADMIN);
}

#[test]
fn malformed_empty_and_oversized_policies_are_refused_and_change_nothing() {
    let (mut kms, _) = store(Rules::current());
    let key = create(&mut kms).key_id;
    assert_eq!(
        put(&mut kms, &key, "{not json", false).unwrap_err().name(),
        "MalformedPolicyDocumentException"
    );
    assert_eq!(
        put(&mut kms, &key, r#"{"Version":"2012-10-17"}"#, false)
            .unwrap_err()
            .name(),
        "MalformedPolicyDocumentException"
    );
    assert_eq!(
        put(&mut kms, &key, "", false).unwrap_err().name(),
        "ValidationException"
    );
    let padding = " ".repeat(MAX_POLICY_BYTES);
    let big = format!("{ALLOW_ALL}{padding}");
    assert_eq!(
        put(&mut kms, &key, &big, false).unwrap_err().name(),
        "LimitExceededException"
    );
    // At the limit exactly: accepted.
    let exact = format!(
        "{ALLOW_ALL}{}",
        " ".repeat(MAX_POLICY_BYTES - ALLOW_ALL.len())
    );
    put(&mut kms, &key, &exact, false).unwrap();
    assert_eq!(policy(&mut kms, &key), exact);
}

#[test]
fn policy_name_other_than_default_is_refused() {
    let (mut kms, _) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let mut r = GetKeyPolicyRequest::new(&key);
    r.policy_name = Some("default".into());
    assert!(kms.get_key_policy(r.clone()).is_ok());
    r.policy_name = Some("other".into());
    assert_eq!(
        kms.get_key_policy(r.clone()).unwrap_err().name(),
        "NotFoundException"
    );
    r.policy_name = Some("bad-name".into());
    assert_eq!(
        kms.get_key_policy(r.clone()).unwrap_err().name(),
        "ValidationException"
    );
    r.policy_name = Some(String::new());
    assert_eq!(
        kms.get_key_policy(r).unwrap_err().name(),
        "ValidationException"
    );
    let mut p = PutKeyPolicyRequest::new(&key, ALLOW_ALL);
    p.policy_name = Some("other".into());
    assert_eq!(
        kms.put_key_policy(p).unwrap_err().name(),
        "NotFoundException"
    );
    assert_eq!(policy(&mut kms, &key), AWS_DEFAULT);
}

#[test]
fn list_key_policies_pages_by_limit_and_marker() {
    let (mut kms, _) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let mut r = ListKeyPoliciesRequest::new(&key);
    r.limit = Some(1);
    let page = kms.list_key_policies(r.clone()).unwrap();
    assert_eq!(page.policy_names, vec!["default".to_string()]);
    assert!(!page.truncated && page.next_marker.is_none());
    r.limit = Some(0);
    assert_eq!(
        kms.list_key_policies(r.clone()).unwrap_err().name(),
        "ValidationException"
    );
    r.limit = Some(1001);
    assert_eq!(
        kms.list_key_policies(r.clone()).unwrap_err().name(),
        "ValidationException"
    );
    r.limit = None;
    r.marker = Some("1".into());
    let past = kms.list_key_policies(r.clone()).unwrap();
    assert!(past.policy_names.is_empty() && !past.truncated);
    r.marker = Some("x".into());
    assert_eq!(
        kms.list_key_policies(r).unwrap_err().name(),
        "ValidationException"
    );
}

#[test]
fn aws_managed_keys_have_their_own_policy_which_nobody_may_change() {
    let (mut kms, _) = store(Rules::current());
    let managed = describe(&mut kms, "alias/aws/ebs").unwrap().key_id;
    let p = policy(&mut kms, &managed);
    assert!(p.contains("\"Id\" : \"auto-ebs-2\""), "{p}");
    assert!(
        p.contains("\"kms:ViaService\" : \"ec2.us-east-1.amazonaws.com\""),
        "{p}"
    );
    assert!(
        p.contains("\"kms:CallerAccount\" : \"111122223333\""),
        "{p}"
    );
    serde_json::from_str::<serde_json::Value>(&p).expect("the managed policy is JSON");
    let e = put(&mut kms, &managed, ALLOW_ALL, true).unwrap_err();
    assert_eq!(e.name(), "AccessDeniedException");
    assert_eq!(policy(&mut kms, &managed), p);
    let other = describe(&mut kms, "alias/aws/s3").unwrap().key_id;
    assert!(
        policy(&mut kms, &other).contains("\"kms:ViaService\" : \"s3.us-east-1.amazonaws.com\"")
    );
}

#[test]
fn the_wire_serves_the_policy_operations() {
    let (mut kms, _) = store(Rules::current());
    let key = create(&mut kms).key_id;
    let body = serde_json::json!({ "KeyId": key }).to_string();
    let r = dispatch(&mut kms, "GetKeyPolicy", body.as_bytes());
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["Policy"], AWS_DEFAULT);
    assert_eq!(v["PolicyName"], "default");

    let body = serde_json::json!({ "KeyId": key, "Policy": ALLOW_ALL, "PolicyName": "default" })
        .to_string();
    let r = dispatch(&mut kms, "PutKeyPolicy", body.as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(policy(&mut kms, &key), ALLOW_ALL);

    let r = dispatch(
        &mut kms,
        "PutKeyPolicy",
        serde_json::json!({ "KeyId": key }).to_string().as_bytes(),
    );
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "ValidationException");
    assert!(v["message"].as_str().unwrap().contains("'policy'"), "{v}");

    let body = serde_json::json!({ "KeyId": key, "Policy": NO_ADMIN, "BypassPolicyLockoutSafetyCheck": "yes" })
        .to_string();
    let r = dispatch(&mut kms, "PutKeyPolicy", body.as_bytes());
    assert_eq!(r.status, 400);
    assert_eq!(policy(&mut kms, &key), ALLOW_ALL);

    let r = dispatch(
        &mut kms,
        "ListKeyPolicies",
        serde_json::json!({ "KeyId": key, "Limit": 5 })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["PolicyNames"], serde_json::json!(["default"]));
    assert_eq!(v["Truncated"], false);

    let body = serde_json::json!({ "Policy": NO_ADMIN, "BypassPolicyLockoutSafetyCheck": true })
        .to_string();
    let r = dispatch(&mut kms, "CreateKey", body.as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = serde_json::json!({ "Policy": NO_ADMIN }).to_string();
    let r = dispatch(&mut kms, "CreateKey", body.as_bytes());
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["__type"], "MalformedPolicyDocumentException");
    assert_eq!(v["message"], LOCKOUT);
}

/// The model's abstract policies map to concrete documents that the store's
/// parser judges as the model does: `Default` is AWS's default text, the
/// lock-out ones are refused without the bypass flag, `Malformed` always.
#[test]
fn the_model_policy_documents_behave_as_the_model_says() {
    use kms_lifecycle_model::Policy;
    assert_eq!(
        Policy::Default.document("111122223333").as_deref(),
        Some(AWS_DEFAULT)
    );
    assert_eq!(Policy::Managed.document("111122223333"), None);
    for p in Policy::PUTTABLE {
        let (mut kms, _) = store(Rules::current());
        let key = create(&mut kms).key_id;
        let doc = p.document("111122223333").expect("a puttable document");
        let plain = put(&mut kms, &key, &doc, false);
        match p {
            Policy::Malformed => {
                assert_eq!(
                    plain.unwrap_err().name(),
                    "MalformedPolicyDocumentException"
                );
                let bypassed = put(&mut kms, &key, &doc, true);
                assert_eq!(
                    bypassed.unwrap_err().name(),
                    "MalformedPolicyDocumentException"
                );
            }
            p if p.locks_out() => {
                assert_err(plain, "MalformedPolicyDocumentException", LOCKOUT);
                put(&mut kms, &key, &doc, true).unwrap();
                let again = put(&mut kms, &key, ALLOW_ALL, true).unwrap_err();
                assert_eq!(again.name(), "AccessDeniedException", "{p:?}");
                // Everything but PutKeyPolicy stays allowed (cleanup works).
                schedule_deletion(&mut kms, &key, Some(7)).unwrap();
            }
            _ => {
                plain.unwrap();
                assert_eq!(policy(&mut kms, &key), doc);
            }
        }
    }
}
