//! `serve --identities`: SigV4 verification and authorization over HTTP.
//! Requests are signed with the oracle's own SigV4 signer (src/conform/http.rs,
//! written independently of the `aws-sigv4` verifier), so a pass means two
//! implementations agree. The server binds 127.0.0.1 only.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(all(feature = "server", feature = "conform"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kms_lifecycle::authz::Identities;
use kms_lifecycle::conform::http::{Credentials, amz_date, sign};
use kms_lifecycle::server::{ServerConfig, spawn};
use serde_json::{Value, json};

const A_KEY: &str = "AKIAAAAAAAAAAAAAAAAA";
const A_SECRET: &str = "secret-of-principal-a/0123456789";
const B_KEY: &str = "AKIABBBBBBBBBBBBBBBB";
const B_SECRET: &str = "secret-of-principal-b/0123456789";
const A_ARN: &str = "arn:aws:iam::111122223333:user/A";
const B_ARN: &str = "arn:aws:iam::111122223333:user/B";

fn server() -> SocketAddr {
    let ids = json!({"Principals": [
        {"Arn": A_ARN, "AccessKeyId": A_KEY, "SecretAccessKey": A_SECRET,
         "Policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]},
        {"Arn": B_ARN, "AccessKeyId": B_KEY, "SecretAccessKey": B_SECRET,
         "Policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]}
    ]});
    let identities = Identities::parse(&ids.to_string()).expect("identities file");
    spawn(ServerConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        identities: Some(Arc::new(identities)),
        ..ServerConfig::default()
    })
    .expect("server")
}

fn creds(key: &str, secret: &str) -> Credentials {
    Credentials {
        access_key_id: key.into(),
        secret_access_key: secret.into(),
        session_token: None,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One request on a fresh connection: (status, JSON body or raw text).
fn send(addr: SocketAddr, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "POST / HTTP/1.1\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let code = status.split(' ').nth(1).unwrap().parse().unwrap();
    let mut len = 0;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut buf = vec![0; len];
    r.read_exact(&mut buf).unwrap();
    (code, String::from_utf8(buf).unwrap())
}

/// Signed headers of a KMS call (the signature over `signed_body`).
fn signed(
    addr: SocketAddr,
    c: &Credentials,
    target: &str,
    signed_body: &[u8],
    date: &str,
) -> Vec<(&'static str, String)> {
    let mut hs = vec![
        ("host", format!("127.0.0.1:{}", addr.port())),
        ("content-type", "application/x-amz-json-1.1".to_string()),
        ("x-amz-date", date.to_string()),
        ("x-amz-target", target.to_string()),
    ];
    let auth = sign(c, "us-east-1", "kms", date, &hs, signed_body);
    hs.push(("authorization", auth));
    hs
}

fn call(addr: SocketAddr, c: &Credentials, op: &str, body: Value) -> (u16, Value) {
    let body = body.to_string();
    let hs = signed(
        addr,
        c,
        &format!("TrentService.{op}"),
        body.as_bytes(),
        &amz_date(now()),
    );
    let (status, text) = send(addr, &hs, body.as_bytes());
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn kind(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

#[test]
fn a_valid_signature_is_accepted_and_every_bad_one_refused() {
    let addr = server();
    let a = creds(A_KEY, A_SECRET);
    let (status, v) = call(addr, &a, "CreateKey", json!({}));
    assert_eq!(status, 200, "{v}");
    let key = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let before = call(addr, &a, "ListKeys", json!({})).1["Keys"]
        .as_array()
        .unwrap()
        .len();

    // The right access key with a wrong secret.
    let (status, v) = call(
        addr,
        &creds(A_KEY, "not-the-secret"),
        "CreateKey",
        json!({}),
    );
    assert_eq!(
        (status, kind(&v)),
        (400, "InvalidSignatureException"),
        "{v}"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("The request signature we calculated does not match")
    );
    // An access key id the file does not have.
    let (status, v) = call(
        addr,
        &creds("AKIAUNKNOWNUNKNOWN00", A_SECRET),
        "CreateKey",
        json!({}),
    );
    assert_eq!(
        (status, kind(&v)),
        (400, "UnrecognizedClientException"),
        "{v}"
    );
    // A body changed after signing.
    let date = amz_date(now());
    let hs = signed(
        addr,
        &a,
        "TrentService.ScheduleKeyDeletion",
        br#"{"KeyId":"x"}"#,
        &date,
    );
    let tampered = json!({"KeyId": key, "PendingWindowInDays": 7}).to_string();
    let (status, text) = send(addr, &hs, tampered.as_bytes());
    assert_eq!(status, 400);
    assert!(text.contains("InvalidSignatureException"), "{text}");
    // A signed header changed after signing (the target).
    let body = json!({"KeyId": key}).to_string();
    let mut hs = signed(addr, &a, "TrentService.DescribeKey", body.as_bytes(), &date);
    hs[3].1 = "TrentService.DisableKey".into();
    let (_, text) = send(addr, &hs, body.as_bytes());
    assert!(text.contains("InvalidSignatureException"), "{text}");
    // A signature made an hour ago.
    let old = amz_date(now() - 3600);
    let hs = signed(addr, &a, "TrentService.CreateKey", b"{}", &old);
    let (_, text) = send(addr, &hs, b"{}");
    assert!(
        text.contains("InvalidSignatureException") && text.contains("15 minutes"),
        "{text}"
    );
    // No Authorization header at all.
    let (status, text) = send(
        addr,
        &[
            ("content-type", "application/x-amz-json-1.1".into()),
            ("x-amz-target", "TrentService.CreateKey".into()),
        ],
        b"{}",
    );
    assert_eq!(status, 400);
    assert!(
        text.contains("MissingAuthenticationTokenException"),
        "{text}"
    );
    // None of the refused requests did anything.
    let after = call(addr, &a, "ListKeys", json!({})).1["Keys"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
    let (_, v) = call(addr, &a, "DescribeKey", json!({"KeyId": key}));
    assert_eq!(v["KeyMetadata"]["KeyState"], "Enabled", "{v}");
}

#[test]
fn a_key_policy_for_a_alone_refuses_b_and_the_caller_is_checked_for_lockout() {
    let addr = server();
    let (a, b) = (creds(A_KEY, A_SECRET), creds(B_KEY, B_SECRET));
    let only_a = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": A_ARN}, "Action": "kms:*", "Resource": "*"}]})
    .to_string();
    // B creating a key whose policy leaves B out: the lockout check (for B).
    let (_, v) = call(addr, &b, "CreateKey", json!({"Policy": only_a}));
    assert_eq!(kind(&v), "MalformedPolicyDocumentException", "{v}");
    assert_eq!(
        v["message"],
        "The new key policy will not allow you to update the key policy in the future."
    );
    // A may.
    let (status, v) = call(addr, &a, "CreateKey", json!({"Policy": only_a}));
    assert_eq!(status, 200, "{v}");
    let key = v["KeyMetadata"]["Arn"].as_str().unwrap().to_string();
    let (status, v) = call(
        addr,
        &a,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "aGVsbG8="}),
    );
    assert_eq!(status, 200, "{v}");
    let (_, v) = call(
        addr,
        &b,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "aGVsbG8="}),
    );
    assert_eq!(kind(&v), "AccessDeniedException", "{v}");
    assert_eq!(
        v["message"],
        format!(
            "User: {B_ARN} is not authorized to perform: kms:Encrypt on resource: {key} because no resource-based policy allows the kms:Encrypt action"
        )
    );
    // A policy naming a principal that is not in the identities file.
    let ghost = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [A_ARN, "arn:aws:iam::111122223333:user/Ghost"]}, "Action": "kms:*", "Resource": "*"}]})
    .to_string();
    let (_, v) = call(
        addr,
        &a,
        "PutKeyPolicy",
        json!({"KeyId": key, "PolicyName": "default", "Policy": ghost}),
    );
    assert_eq!(kind(&v), "MalformedPolicyDocumentException", "{v}");
    assert_eq!(
        v["message"],
        "Policy contains a statement with one or more invalid principals."
    );
}

#[test]
fn get_caller_identity_names_the_signer() {
    let addr = server();
    let b = creds(B_KEY, B_SECRET);
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let date = amz_date(now());
    let mut hs = vec![
        ("host", format!("127.0.0.1:{}", addr.port())),
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        ),
        ("x-amz-date", date.clone()),
    ];
    let auth = sign(&b, "us-east-1", "sts", &date, &hs, body);
    hs.push(("authorization", auth));
    let (status, text) = send(addr, &hs, body);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(&format!("<Arn>{B_ARN}</Arn>")), "{text}");
    assert!(text.contains("<Account>111122223333</Account>"), "{text}");
    assert!(!text.contains(B_SECRET));
}

#[test]
fn identities_file_errors_are_clear_and_never_show_secrets() {
    let bad = |v: Value| Identities::parse(&v.to_string()).unwrap_err();
    let e = bad(json!({"Principals": []}));
    assert!(e.contains("no principals"), "{e}");
    let e = bad(
        json!({"Principals": [{"Arn": "bob", "AccessKeyId": A_KEY, "SecretAccessKey": A_SECRET}]}),
    );
    assert!(e.contains("Arn is not"), "{e}");
    let e = bad(
        json!({"Principals": [{"Arn": A_ARN, "AccessKeyId": A_KEY, "SecretAccessKey": A_SECRET,
        "Policies": [{"Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}}]}]}),
    );
    assert!(
        e.contains("IpAddress") && e.contains("not supported"),
        "{e}"
    );
    let e = bad(json!({"Principals": [
        {"Arn": A_ARN, "AccessKeyId": A_KEY, "SecretAccessKey": A_SECRET},
        {"Arn": B_ARN, "AccessKeyId": A_KEY, "SecretAccessKey": B_SECRET}]}));
    assert!(e.contains("twice"), "{e}");
    // A secret of the wrong type: serde would quote it; the error must not.
    let e = Identities::parse(
        r#"{"Principals":[{"Arn":"x","AccessKeyId":"y","SecretAccessKey":123456789}]}"#,
    )
    .unwrap_err();
    assert!(!e.contains("123456789"), "{e}");
    let ids = Identities::parse(
        &json!({"Principals": [{"Arn": A_ARN, "AccessKeyId": A_KEY, "SecretAccessKey": A_SECRET}]})
            .to_string(),
    )
    .unwrap();
    assert!(!format!("{ids:?}").contains(A_SECRET));
}

#[test]
fn amz_dates_parse_exactly_and_agree_with_the_oracle_formatter() {
    use kms_lifecycle::authz::sigv4::{format_amz_date, parse_amz_date};
    for t in [0u64, 951_782_400, 1_767_225_600, 4_102_444_799] {
        let s = amz_date(t);
        let parsed = parse_amz_date(&s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(parsed, UNIX_EPOCH + Duration::from_secs(t), "{s}");
        assert_eq!(format_amz_date(parsed), s);
    }
    for bad in [
        "20260231T000000Z",
        "20261301T000000Z",
        "20260101T240000Z",
        "20260101 000000Z",
        "2026010T000000Z",
        "+0260101T000000Z",
        "",
    ] {
        assert!(parse_amz_date(bad).is_none(), "{bad}");
    }
}
