//! Hostile and malformed requests over the wire protocol (issue 8): each gets
//! its AWS exception, and the store is unchanged afterwards.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::Rules;
use kms_lifecycle::server::{ServerConfig, ServerState};
use serde_json::{Value, json};

const CT: &str = "application/x-amz-json-1.1";

struct World {
    server: ServerState,
    key: String,
    ext: String,
    blob: String,
}

fn call(s: &ServerState, target: &str, body: &[u8]) -> (u16, Value) {
    let r = s.handle(Some(target), Some(CT), body);
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

fn ok(s: &ServerState, op: &str, body: Value) -> Value {
    let (status, v) = call(
        s,
        &format!("TrentService.{op}"),
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{op}: {v}");
    v
}

fn world() -> World {
    let server = ServerState::new(&ServerConfig {
        rules: Rules::current(),
        manual_clock_start: Some(kms_lifecycle::clock::DEFAULT_START),
        ..ServerConfig::default()
    });
    let key = ok(&server, "CreateKey", json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let ext = ok(&server, "CreateKey", json!({"Origin": "EXTERNAL"}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &server,
        "CreateAlias",
        json!({"AliasName": "alias/test", "TargetKeyId": key}),
    );
    let blob = ok(
        &server,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": B64.encode(b"secret"), "EncryptionContext": {"ab": "c"}}),
    )["CiphertextBlob"]
        .as_str()
        .unwrap()
        .to_string();
    World {
        server,
        key,
        ext,
        blob,
    }
}

/// Everything observable about the store except the audit trail.
fn snapshot(w: &World) -> Value {
    let s = &w.server;
    let keys = ok(s, "ListKeys", json!({}));
    let mut described = Vec::new();
    for k in keys["Keys"].as_array().unwrap() {
        let id = k["KeyId"].as_str().unwrap();
        described.push(ok(s, "DescribeKey", json!({"KeyId": id})));
        described.push(ok(s, "ListKeyRotations", json!({"KeyId": id})));
        described.push(ok(s, "ListResourceTags", json!({"KeyId": id})));
    }
    json!({
        "keys": keys,
        "described": described,
        "aliases": ok(s, "ListAliases", json!({})),
    })
}

fn nested(depth: usize) -> Vec<u8> {
    let mut v = b"{\"KeyId\":".to_vec();
    v.extend(std::iter::repeat_n(b'[', depth));
    v.extend(std::iter::repeat_n(b']', depth));
    v.push(b'}');
    v
}

#[test]
fn sixty_hostile_requests_get_their_aws_exception_and_change_nothing() {
    let w = world();
    let (key, ext, blob) = (w.key.clone(), w.ext.clone(), w.blob.clone());
    let other_region = format!("arn:aws:kms:eu-west-1:111122223333:key/{key}");
    let other_account = format!("arn:aws:kms:us-east-1:999999999999:key/{key}");
    let big_blob = B64.encode(vec![7u8; 6145]);
    let big_plain = B64.encode(vec![7u8; 4097]);
    let mut flipped = B64.decode(&blob).unwrap();
    flipped[40] ^= 1;
    let flipped = B64.encode(flipped);
    let truncated = B64.encode(&B64.decode(&blob).unwrap()[..30]);
    let huge_key_id = format!(r#"{{"KeyId":"{}"}}"#, "a".repeat(2 << 20)).into_bytes();
    // (name, target, body, expected __type)
    let cases: Vec<(&str, String, Vec<u8>, &str)> = vec![
        ("key id of wrong type", "DescribeKey".into(), br#"{"KeyId": 5}"#.to_vec(), "SerializationException"),
        ("plaintext of wrong type", "Encrypt".into(), format!(r#"{{"KeyId":"{key}","Plaintext":5}}"#).into(), "SerializationException"),
        ("window as string", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":"7"}}"#).into(), "SerializationException"),
        ("bytes as string", "GenerateDataKey".into(), format!(r#"{{"KeyId":"{key}","NumberOfBytes":"32"}}"#).into(), "SerializationException"),
        ("limit as bool", "ListKeys".into(), br#"{"Limit": true}"#.to_vec(), "SerializationException"),
        ("context of wrong type", "Encrypt".into(), format!(r#"{{"KeyId":"{key}","Plaintext":"eA==","EncryptionContext":["a"]}}"#).into(), "SerializationException"),
        ("context value number", "Encrypt".into(), format!(r#"{{"KeyId":"{key}","Plaintext":"eA==","EncryptionContext":{{"a":1}}}}"#).into(), "SerializationException"),
        ("tags not a list", "TagResource".into(), format!(r#"{{"KeyId":"{key}","Tags":{{"a":"b"}}}}"#).into(), "SerializationException"),
        ("window 1e30", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":1e30}}"#).into(), "SerializationException"),
        ("window i64 max", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":9223372036854775807}}"#).into(), "ValidationException"),
        ("window i64 min", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":-9223372036854775808}}"#).into(), "ValidationException"),
        ("window 0", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":0}}"#).into(), "ValidationException"),
        ("window 6", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":6}}"#).into(), "ValidationException"),
        ("window 31", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":31}}"#).into(), "ValidationException"),
        ("window overflowing u64", "ScheduleKeyDeletion".into(), format!(r#"{{"KeyId":"{key}","PendingWindowInDays":18446744073709551616}}"#).into(), "SerializationException"),
        ("bytes huge", "GenerateDataKey".into(), format!(r#"{{"KeyId":"{key}","NumberOfBytes":9223372036854775807}}"#).into(), "ValidationException"),
        ("bytes negative", "GenerateDataKey".into(), format!(r#"{{"KeyId":"{key}","NumberOfBytes":-1}}"#).into(), "ValidationException"),
        ("both spec and bytes", "GenerateDataKey".into(), format!(r#"{{"KeyId":"{key}","NumberOfBytes":32,"KeySpec":"AES_256"}}"#).into(), "ValidationException"),
        ("neither spec nor bytes", "GenerateDataKey".into(), format!(r#"{{"KeyId":"{key}"}}"#).into(), "ValidationException"),
        ("bad key spec", "GenerateDataKey".into(), format!(r#"{{"KeyId":"{key}","KeySpec":"AES_512"}}"#).into(), "ValidationException"),
        ("period huge", "EnableKeyRotation".into(), format!(r#"{{"KeyId":"{key}","RotationPeriodInDays":9223372036854775807}}"#).into(), "ValidationException"),
        ("period negative", "EnableKeyRotation".into(), format!(r#"{{"KeyId":"{key}","RotationPeriodInDays":-365}}"#).into(), "ValidationException"),
        ("limit 0", "ListKeys".into(), br#"{"Limit": 0}"#.to_vec(), "ValidationException"),
        ("limit huge", "ListAliases".into(), br#"{"Limit": 99999999999}"#.to_vec(), "ValidationException"),
        ("marker garbage", "ListKeys".into(), br#"{"Marker": "not-a-marker"}"#.to_vec(), "ValidationException"),
        ("negative ValidTo", "ImportKeyMaterial".into(), format!(r#"{{"KeyId":"{ext}","ImportToken":"eA==","EncryptedKeyMaterial":"eA==","ValidTo":-1}}"#).into(), "SerializationException"),
        ("overflowing ValidTo", "ImportKeyMaterial".into(), format!(r#"{{"KeyId":"{ext}","ImportToken":"eA==","EncryptedKeyMaterial":"eA==","ValidTo":1e300}}"#).into(), "SerializationException"),
        ("ValidTo as string", "ImportKeyMaterial".into(), format!(r#"{{"KeyId":"{ext}","ImportToken":"eA==","EncryptedKeyMaterial":"eA==","ValidTo":"tomorrow"}}"#).into(), "SerializationException"),
        ("forged import token", "ImportKeyMaterial".into(), format!(r#"{{"KeyId":"{ext}","ImportToken":"eA==","EncryptedKeyMaterial":"eA==","ExpirationModel":"KEY_MATERIAL_DOES_NOT_EXPIRE"}}"#).into(), "InvalidImportTokenException"),
        ("bad expiration model", "ImportKeyMaterial".into(), format!(r#"{{"KeyId":"{ext}","ImportToken":"eA==","EncryptedKeyMaterial":"eA==","ExpirationModel":"SOMETIMES"}}"#).into(), "ValidationException"),
        ("bad import type", "ImportKeyMaterial".into(), format!(r#"{{"KeyId":"{ext}","ImportToken":"eA==","EncryptedKeyMaterial":"eA==","ImportType":"OLD"}}"#).into(), "ValidationException"),
        ("import token 7000 bytes", "ImportKeyMaterial".into(), format!(r#"{{"KeyId":"{ext}","ImportToken":"{}","EncryptedKeyMaterial":"eA=="}}"#, B64.encode(vec![1u8; 7000])).into(), "ValidationException"),
        ("bad wrapping algorithm", "GetParametersForImport".into(), format!(r#"{{"KeyId":"{ext}","WrappingAlgorithm":"ROT13","WrappingKeySpec":"RSA_2048"}}"#).into(), "ValidationException"),
        ("pkcs1 under current", "GetParametersForImport".into(), format!(r#"{{"KeyId":"{ext}","WrappingAlgorithm":"RSAES_PKCS1_V1_5","WrappingKeySpec":"RSA_2048"}}"#).into(), "ValidationException"),
        ("bad wrapping key spec", "GetParametersForImport".into(), format!(r#"{{"KeyId":"{ext}","WrappingAlgorithm":"RSAES_OAEP_SHA_256","WrappingKeySpec":"RSA_1024"}}"#).into(), "ValidationException"),
        ("ciphertext 6145 bytes", "Decrypt".into(), format!(r#"{{"CiphertextBlob":"{big_blob}"}}"#).into(), "ValidationException"),
        ("plaintext 4097 bytes", "Encrypt".into(), format!(r#"{{"KeyId":"{key}","Plaintext":"{big_plain}"}}"#).into(), "ValidationException"),
        ("empty plaintext", "Encrypt".into(), format!(r#"{{"KeyId":"{key}","Plaintext":""}}"#).into(), "ValidationException"),
        ("empty ciphertext", "Decrypt".into(), br#"{"CiphertextBlob":""}"#.to_vec(), "ValidationException"),
        ("invalid base64 plaintext", "Encrypt".into(), format!(r#"{{"KeyId":"{key}","Plaintext":"!!!"}}"#).into(), "SerializationException"),
        ("invalid base64 ciphertext", "Decrypt".into(), br#"{"CiphertextBlob":"a==b"}"#.to_vec(), "SerializationException"),
        ("flipped ciphertext byte", "Decrypt".into(), format!(r#"{{"CiphertextBlob":"{flipped}","EncryptionContext":{{"ab":"c"}}}}"#).into(), "InvalidCiphertextException"),
        ("truncated ciphertext", "Decrypt".into(), format!(r#"{{"CiphertextBlob":"{truncated}","EncryptionContext":{{"ab":"c"}}}}"#).into(), "InvalidCiphertextException"),
        ("foreign ciphertext", "Decrypt".into(), format!(r#"{{"CiphertextBlob":"{}"}}"#, B64.encode(vec![0x4B; 80])).into(), "InvalidCiphertextException"),
        ("ambiguous context", "Decrypt".into(), format!(r#"{{"CiphertextBlob":"{blob}","EncryptionContext":{{"a":"bc"}}}}"#).into(), "InvalidCiphertextException"),
        ("missing context", "Decrypt".into(), format!(r#"{{"CiphertextBlob":"{blob}"}}"#).into(), "InvalidCiphertextException"),
        ("invalid UTF-8 body", "DescribeKey".into(), b"{\"KeyId\": \"\xff\xfe\"}".to_vec(), "SerializationException"),
        ("duplicate JSON keys", "DescribeKey".into(), format!(r#"{{"KeyId":"{key}","KeyId":"{key}"}}"#).into(), "SerializationException"),
        ("deep nesting", "DescribeKey".into(), nested(100_000), "SerializationException"),
        ("truncated JSON", "DescribeKey".into(), br#"{"KeyId": "#.to_vec(), "SerializationException"),
        ("JSON array body", "DescribeKey".into(), b"[]".to_vec(), "SerializationException"),
        ("JSON null body", "DescribeKey".into(), b"null".to_vec(), "SerializationException"),
        ("empty body", "DescribeKey".into(), Vec::new(), "ValidationException"),
        ("key of another region", "DescribeKey".into(), format!(r#"{{"KeyId":"{other_region}"}}"#).into(), "NotFoundException"),
        ("key of another account", "Encrypt".into(), format!(r#"{{"KeyId":"{other_account}","Plaintext":"eA=="}}"#).into(), "NotFoundException"),
        ("alias ARN of another region", "Encrypt".into(), br#"{"KeyId":"arn:aws:kms:eu-west-1:111122223333:alias/test","Plaintext":"eA=="}"#.to_vec(), "NotFoundException"),
        ("alias to a management operation", "DisableKey".into(), br#"{"KeyId":"alias/test"}"#.to_vec(), "NotFoundException"),
        ("alias ARN to a management operation", "ScheduleKeyDeletion".into(), br#"{"KeyId":"arn:aws:kms:us-east-1:111122223333:alias/test"}"#.to_vec(), "NotFoundException"),
        ("uppercase key id", "DescribeKey".into(), format!(r#"{{"KeyId":"{}"}}"#, key.to_uppercase()).into(), "NotFoundException"),
        ("unknown key id", "DescribeKey".into(), br#"{"KeyId":"00000000-0000-4000-8000-000000000000"}"#.to_vec(), "NotFoundException"),
        ("unicode look-alike alias", "CreateAlias".into(), format!("{{\"AliasName\":\"alias/t\u{0435}st\",\"TargetKeyId\":\"{key}\"}}").into(), "InvalidAliasNameException"),
        ("fullwidth alias", "CreateAlias".into(), format!("{{\"AliasName\":\"alias/\u{ff54}est\",\"TargetKeyId\":\"{key}\"}}").into(), "InvalidAliasNameException"),
        ("alias without prefix", "CreateAlias".into(), format!(r#"{{"AliasName":"test2","TargetKeyId":"{key}"}}"#).into(), "ValidationException"),
        ("alias too long", "CreateAlias".into(), format!(r#"{{"AliasName":"alias/{}","TargetKeyId":"{key}"}}"#, "a".repeat(251)).into(), "ValidationException"),
        ("reserved alias", "CreateAlias".into(), format!(r#"{{"AliasName":"alias/aws/s3","TargetKeyId":"{key}"}}"#).into(), "NotAuthorizedException"),
        ("duplicate alias", "CreateAlias".into(), format!(r#"{{"AliasName":"alias/test","TargetKeyId":"{key}"}}"#).into(), "AlreadyExistsException"),
        ("alias with NUL", "CreateAlias".into(), format!(r#"{{"AliasName":"alias/te\u0000st","TargetKeyId":"{key}"}}"#).into(), "InvalidAliasNameException"),
        ("unknown operation", "Explode".into(), b"{}".to_vec(), "UnknownOperationException"),
        ("unsupported key spec", "CreateKey".into(), br#"{"KeySpec":"ECC_NIST_P256"}"#.to_vec(), "UnsupportedOperationException"),
        ("invalid origin", "CreateKey".into(), br#"{"Origin":"MOON"}"#.to_vec(), "ValidationException"),
        ("tag key too long", "TagResource".into(), format!(r#"{{"KeyId":"{key}","Tags":[{{"TagKey":"{}","TagValue":"v"}}]}}"#, "k".repeat(129)).into(), "ValidationException"),
        ("description too long", "UpdateKeyDescription".into(), format!(r#"{{"KeyId":"{key}","Description":"{}"}}"#, "d".repeat(8193)).into(), "ValidationException"),
        ("bad encryption algorithm", "Encrypt".into(), format!(r#"{{"KeyId":"{key}","Plaintext":"eA==","EncryptionAlgorithm":"RSAES_OAEP_SHA_1"}}"#).into(), "ValidationException"),
        ("2 MiB key id", "DescribeKey".into(), huge_key_id, "ValidationException"),
        ("2049-character key id", "Encrypt".into(), format!(r#"{{"KeyId":"{}","Plaintext":"eA=="}}"#, "k".repeat(2049)).into(), "ValidationException"),
    ];
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let before = snapshot(&w);
    for (name, op, body, expected) in &cases {
        let (status, v) = call(&w.server, &format!("TrentService.{op}"), body);
        assert_eq!(status, 400, "{name}: status {status}, body {v}");
        assert_eq!(v["__type"].as_str(), Some(*expected), "{name}: {v}");
        assert!(v["message"].is_string(), "{name}: a message is given");
        let after = snapshot(&w);
        assert_eq!(before, after, "{name}: the store changed");
    }
    // Protocol-level refusals: no target, wrong content type, unknown prefix.
    let r = w.server.handle(None, Some(CT), b"{}");
    assert_eq!(r.status, 400);
    let r = w
        .server
        .handle(Some("TrentService.CreateKey"), Some("text/xml"), b"{}");
    assert_eq!(r.status, 400);
    let r = w.server.handle(Some("Other.CreateKey"), Some(CT), b"{}");
    assert_eq!(r.status, 400);
    assert_eq!(before, snapshot(&w), "protocol refusals changed the store");
}

#[test]
fn unknown_members_are_ignored_as_aws_json_services_do() {
    let w = world();
    let v = ok(
        &w.server,
        "DescribeKey",
        json!({"KeyId": w.key, "Bogus": {"nested": [1, 2]}}),
    );
    assert_eq!(v["KeyMetadata"]["KeyId"], w.key.as_str());
}

// ----- request validation (issue 12) -------------------------------------------

use kms_lifecycle::Kms;
use kms_lifecycle::wire::{OPERATIONS, dispatch};

/// A store straight behind the wire layer (what the server runs), with an
/// Enabled key, an EXTERNAL key, alias/test and a blob of the key.
struct Store {
    kms: Kms,
    key: String,
    ext: String,
    blob: String,
}

fn store() -> Store {
    let (mut kms, _clock) =
        Kms::with_manual_clock(Rules::current(), kms_lifecycle::clock::DEFAULT_START);
    let key = kms
        .create_key(Default::default())
        .unwrap()
        .key_metadata
        .key_id;
    let ext = kms
        .create_key(kms_lifecycle::api::CreateKeyRequest {
            origin: Some(kms_lifecycle::api::Origin::External),
            ..Default::default()
        })
        .unwrap()
        .key_metadata
        .key_id;
    let mut s = Store {
        kms,
        key,
        ext,
        blob: String::new(),
    };
    let key = s.key.clone();
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/test", "TargetKeyId": key}),
    );
    let r = s.ok(
        "Encrypt",
        json!({"KeyId": key, "Plaintext": B64.encode(b"secret")}),
    );
    s.blob = r["CiphertextBlob"].as_str().unwrap().to_string();
    s
}

impl Store {
    fn send(&mut self, op: &str, body: &[u8]) -> (u16, Value) {
        let r = dispatch(&mut self.kms, op, body);
        (r.status, serde_json::from_slice(&r.body).unwrap())
    }
    fn call(&mut self, op: &str, body: Value) -> (u16, Value) {
        self.send(op, body.to_string().as_bytes())
    }
    fn ok(&mut self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 200, "{op}: {v}");
        v
    }
    /// Asserts `__type` and `message`, and that the call never reached the
    /// store (no audit record).
    #[track_caller]
    fn refused_before_the_store(&mut self, op: &str, body: &[u8], kind: &str, message: &str) {
        let events = self.kms.event_count();
        let (status, v) = self.send(op, body);
        assert_eq!(status, 400, "{op} {}: {v}", String::from_utf8_lossy(body));
        assert_eq!(
            v["__type"],
            kind,
            "{op} {}: {v}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(
            v["message"],
            message,
            "{op} {}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(
            self.kms.event_count(),
            events,
            "{op}: the call reached the store"
        );
    }
}

fn null(member: &str) -> String {
    format!("Value null at '{member}' failed to satisfy constraint: Member must not be null")
}

fn coral(errors: &[String]) -> String {
    let n = errors.len();
    let s = if n == 1 { "" } else { "s" };
    format!("{n} validation error{s} detected: {}", errors.join("; "))
}

fn nulls(members: &[&str]) -> String {
    coral(&members.iter().map(|m| null(m)).collect::<Vec<_>>())
}

#[test]
fn an_empty_body_names_the_missing_required_members_of_every_operation() {
    let mut s = store();
    let cases: &[(&str, &[&str])] = &[
        ("CancelKeyDeletion", &["keyId"]),
        ("CreateAlias", &["aliasName", "targetKeyId"]),
        ("CreateKey", &[]),
        ("Decrypt", &["ciphertextBlob"]),
        ("DeleteAlias", &["aliasName"]),
        ("DeleteImportedKeyMaterial", &["keyId"]),
        ("DescribeKey", &["keyId"]),
        ("DisableKey", &["keyId"]),
        ("DisableKeyRotation", &["keyId"]),
        ("EnableKey", &["keyId"]),
        ("EnableKeyRotation", &["keyId"]),
        ("Encrypt", &["keyId", "plaintext"]),
        ("GenerateDataKey", &["keyId"]),
        ("GenerateDataKeyWithoutPlaintext", &["keyId"]),
        ("GetKeyPolicy", &["keyId"]),
        ("GetKeyRotationStatus", &["keyId"]),
        (
            "GetParametersForImport",
            &["keyId", "wrappingAlgorithm", "wrappingKeySpec"],
        ),
        (
            "ImportKeyMaterial",
            &["keyId", "importToken", "encryptedKeyMaterial"],
        ),
        ("ListAliases", &[]),
        ("ListKeyPolicies", &["keyId"]),
        ("ListKeyRotations", &["keyId"]),
        ("ListKeys", &[]),
        ("ListResourceTags", &["keyId"]),
        ("PutKeyPolicy", &["keyId", "policy"]),
        ("ReEncrypt", &["ciphertextBlob", "destinationKeyId"]),
        ("RotateKeyOnDemand", &["keyId"]),
        ("ScheduleKeyDeletion", &["keyId"]),
        ("TagResource", &["keyId", "tags"]),
        ("UntagResource", &["keyId", "tagKeys"]),
        ("UpdateAlias", &["aliasName", "targetKeyId"]),
        ("UpdateKeyDescription", &["keyId", "description"]),
    ];
    assert_eq!(
        cases.iter().map(|c| c.0).collect::<Vec<_>>(),
        OPERATIONS,
        "every operation, in the order of the table"
    );
    for (op, missing) in cases {
        if missing.is_empty() {
            // Nothing is required: `{}` is a valid request.
            assert_eq!(s.send(op, b"{}").0, 200, "{op}");
            continue;
        }
        for body in [&b"{}"[..], b"", b"  \n", br#"{"Unknown": 1}"#] {
            s.refused_before_the_store(op, body, "ValidationException", &nulls(missing));
        }
        // An explicit null is a missing member too.
        let body: serde_json::Map<String, Value> = missing
            .iter()
            .map(|m| {
                let mut name = m.to_string();
                name[..1].make_ascii_uppercase();
                (name, Value::Null)
            })
            .collect();
        s.refused_before_the_store(
            op,
            Value::Object(body).to_string().as_bytes(),
            "ValidationException",
            &nulls(missing),
        );
    }
    assert_eq!(
        nulls(&["keyId"]),
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    );
}

/// Member name as AWS's messages spell it.
fn camel(name: &str) -> String {
    let mut s = name.to_string();
    s[..1].make_ascii_lowercase();
    s
}

#[test]
fn each_required_member_left_out_of_a_valid_request_is_named() {
    let mut s = store();
    let (key, ext, blob) = (s.key.clone(), s.ext.clone(), s.blob.clone());
    let cases = [
        ("DescribeKey", json!({"KeyId": key})),
        (
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "eA==", "DryRun": true}),
        ),
        ("Decrypt", json!({"CiphertextBlob": blob, "DryRun": true})),
        (
            "ReEncrypt",
            json!({"CiphertextBlob": blob, "DestinationKeyId": key, "DryRun": true}),
        ),
        (
            "GenerateDataKey",
            json!({"KeyId": key, "NumberOfBytes": 16, "DryRun": true}),
        ),
        (
            "UpdateKeyDescription",
            json!({"KeyId": key, "Description": ""}),
        ),
        (
            "TagResource",
            json!({"KeyId": key, "Tags": [{"TagKey": "a", "TagValue": ""}]}),
        ),
        ("UntagResource", json!({"KeyId": key, "TagKeys": ["a"]})),
        (
            "GetParametersForImport",
            json!({"KeyId": ext, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
        ),
        (
            "ImportKeyMaterial",
            json!({"KeyId": ext, "ImportToken": "eA==", "EncryptedKeyMaterial": "eA==", "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
        ),
        (
            "CreateAlias",
            json!({"AliasName": "alias/other", "TargetKeyId": key}),
        ),
        (
            "UpdateAlias",
            json!({"AliasName": "alias/test", "TargetKeyId": key}),
        ),
        ("DeleteAlias", json!({"AliasName": "alias/test"})),
        ("ListKeyRotations", json!({"KeyId": key})),
    ];
    for (op, body) in cases {
        let members: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        for m in members {
            if matches!(m.as_str(), "DryRun" | "NumberOfBytes" | "ExpirationModel") {
                continue;
            }
            for value in [None, Some(Value::Null)] {
                let mut b = body.clone();
                match &value {
                    None => b.as_object_mut().unwrap().remove(&m),
                    Some(v) => b.as_object_mut().unwrap().insert(m.clone(), v.clone()),
                };
                s.refused_before_the_store(
                    op,
                    b.to_string().as_bytes(),
                    "ValidationException",
                    &nulls(&[&camel(&m)]),
                );
            }
        }
    }
    // Inside a tag list: the tag's position, counted from 1.
    s.refused_before_the_store(
        "TagResource",
        json!({"KeyId": key, "Tags": [{"TagKey": "a", "TagValue": "b"}, {"TagKey": "c"}]})
            .to_string()
            .as_bytes(),
        "ValidationException",
        &nulls(&["tags.2.member.tagValue"]),
    );
    s.refused_before_the_store(
        "CreateKey",
        json!({"Tags": [{"TagValue": "b"}, {"TagKey": null, "TagValue": null}]})
            .to_string()
            .as_bytes(),
        "ValidationException",
        &nulls(&[
            "tags.1.member.tagKey",
            "tags.2.member.tagKey",
            "tags.2.member.tagValue",
        ]),
    );
    // Bad base64 is found when the blob is decoded, after validation
    // (docs/decisions.md).
    s.refused_before_the_store(
        "Encrypt",
        br#"{"Plaintext": "!!!"}"#,
        "ValidationException",
        &nulls(&["keyId"]),
    );
    // A member of the wrong type is the decoder's SerializationException,
    // even when another is missing (AWS decodes before it validates).
    for (op, body) in [
        ("Encrypt", json!({"Plaintext": 5})),
        ("TagResource", json!({"Tags": {"a": "b"}})),
        ("CreateAlias", json!({"AliasName": ["alias/x"]})),
        (
            "ReEncrypt",
            json!({"DestinationKeyId": key, "SourceEncryptionContext": {"a": 1}}),
        ),
        (
            "ImportKeyMaterial",
            json!({"KeyId": ext, "ValidTo": "tomorrow"}),
        ),
        (
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "eA==", "DryRun": "yes"}),
        ),
    ] {
        let events = s.kms.event_count();
        let (status, v) = s.call(op, body.clone());
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some("SerializationException")),
            "{op} {body}: {v}"
        );
        assert_eq!(s.kms.event_count(), events);
    }
}

#[test]
fn an_empty_key_id_is_a_validation_error_of_the_store() {
    let mut s = store();
    let blob = s.blob.clone();
    let key = s.key.clone();
    let empty = |member: &str| {
        format!(
            "1 validation error detected: Value '' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    };
    for (op, body, member) in [
        ("DescribeKey", json!({"KeyId": ""}), "keyId"),
        ("ListKeyRotations", json!({"KeyId": ""}), "keyId"),
        ("DeleteImportedKeyMaterial", json!({"KeyId": ""}), "keyId"),
        (
            "Encrypt",
            json!({"KeyId": "", "Plaintext": "eA=="}),
            "keyId",
        ),
        (
            "Decrypt",
            json!({"CiphertextBlob": blob, "KeyId": ""}),
            "keyId",
        ),
        (
            "ReEncrypt",
            json!({"CiphertextBlob": blob, "DestinationKeyId": ""}),
            "destinationKeyId",
        ),
        (
            "ReEncrypt",
            json!({"CiphertextBlob": blob, "SourceKeyId": "", "DestinationKeyId": key}),
            "sourceKeyId",
        ),
        (
            "CreateAlias",
            json!({"AliasName": "alias/x", "TargetKeyId": ""}),
            "targetKeyId",
        ),
        (
            "CreateAlias",
            json!({"AliasName": "", "TargetKeyId": key}),
            "aliasName",
        ),
        ("DeleteAlias", json!({"AliasName": ""}), "aliasName"),
        ("ListAliases", json!({"KeyId": ""}), "keyId"),
    ] {
        let events = s.kms.event_count();
        let (status, v) = s.call(op, body.clone());
        assert_eq!(status, 400, "{op} {body}: {v}");
        assert_eq!(v["__type"], "ValidationException", "{op} {body}");
        assert_eq!(v["message"], empty(member), "{op} {body}");
        // Present but empty: the store judges it, and records the refusal.
        assert_eq!(s.kms.event_count(), events + 1, "{op}");
    }
}

#[test]
fn unknown_enum_values_are_validation_errors_that_list_aws_values() {
    let mut s = store();
    let (key, ext, blob) = (s.key.clone(), s.ext.clone(), s.blob.clone());
    let bad = |value: &str, member: &str, set: &str| {
        format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{set}]"
        )
    };
    const ORIGINS: &str = "AWS_CLOUDHSM, EXTERNAL, AWS_KMS, EXTERNAL_KEY_STORE";
    const KEY_USAGES: &str =
        "SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, ENCAPSULATE_DECAPSULATE";
    const KEY_SPECS: &str = "RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024";
    const CMK_SPECS: &str = "RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2";
    const ALGORITHMS: &str = "SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE";
    const WRAPPING: &str = "RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, SM2PKE";
    let cases: Vec<(&str, Value, Vec<String>)> = vec![
        (
            "CreateKey",
            json!({"Origin": "BOGUS"}),
            vec![bad("BOGUS", "origin", ORIGINS)],
        ),
        (
            "CreateKey",
            json!({"Origin": "external"}),
            vec![bad("external", "origin", ORIGINS)],
        ),
        (
            "CreateKey",
            json!({"Origin": ""}),
            vec![bad("", "origin", ORIGINS)],
        ),
        (
            "CreateKey",
            json!({"KeyUsage": "DECRYPT_ONLY"}),
            vec![bad("DECRYPT_ONLY", "keyUsage", KEY_USAGES)],
        ),
        (
            "CreateKey",
            json!({"KeySpec": "AES_512"}),
            vec![bad("AES_512", "keySpec", KEY_SPECS)],
        ),
        (
            "CreateKey",
            json!({"CustomerMasterKeySpec": "ML_DSA_44"}),
            vec![bad("ML_DSA_44", "customerMasterKeySpec", CMK_SPECS)],
        ),
        (
            "CreateKey",
            json!({"Origin": "MOON", "KeySpec": "AES_512", "Tags": [{"TagKey": "a"}]}),
            vec![
                bad("AES_512", "keySpec", KEY_SPECS),
                bad("MOON", "origin", ORIGINS),
                null("tags.1.member.tagValue"),
            ],
        ),
        (
            "GenerateDataKey",
            json!({"KeyId": key, "KeySpec": "AES_512"}),
            vec![bad("AES_512", "keySpec", "AES_256, AES_128")],
        ),
        (
            "GenerateDataKeyWithoutPlaintext",
            json!({"KeySpec": "aes_256"}),
            vec![null("keyId"), bad("aes_256", "keySpec", "AES_256, AES_128")],
        ),
        (
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "eA==", "EncryptionAlgorithm": "AES_GCM"}),
            vec![bad("AES_GCM", "encryptionAlgorithm", ALGORITHMS)],
        ),
        (
            "Decrypt",
            json!({"CiphertextBlob": blob, "EncryptionAlgorithm": "X"}),
            vec![bad("X", "encryptionAlgorithm", ALGORITHMS)],
        ),
        (
            "ReEncrypt",
            json!({"CiphertextBlob": blob, "DestinationKeyId": key, "SourceEncryptionAlgorithm": "X", "DestinationEncryptionAlgorithm": "Y"}),
            vec![
                bad("X", "sourceEncryptionAlgorithm", ALGORITHMS),
                bad("Y", "destinationEncryptionAlgorithm", ALGORITHMS),
            ],
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": ext, "WrappingAlgorithm": "ROT13", "WrappingKeySpec": "RSA_1024"}),
            vec![
                bad("ROT13", "wrappingAlgorithm", WRAPPING),
                bad(
                    "RSA_1024",
                    "wrappingKeySpec",
                    "RSA_2048, RSA_3072, RSA_4096, SM2",
                ),
            ],
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": ext, "WrappingAlgorithm": "RSAES_OAEP_SHA_256"}),
            vec![null("wrappingKeySpec")],
        ),
        (
            "ImportKeyMaterial",
            json!({"KeyId": ext, "ImportToken": "eA==", "EncryptedKeyMaterial": "eA==", "ExpirationModel": "SOMETIMES", "ImportType": "OLD"}),
            vec![
                bad(
                    "SOMETIMES",
                    "expirationModel",
                    "KEY_MATERIAL_EXPIRES, KEY_MATERIAL_DOES_NOT_EXPIRE",
                ),
                bad(
                    "OLD",
                    "importType",
                    "NEW_KEY_MATERIAL, EXISTING_KEY_MATERIAL",
                ),
            ],
        ),
        (
            "CreateKey",
            json!({"Origin": "EXTERNAL\n\u{1}é"}),
            vec![bad("EXTERNAL\\n\\u{1}\\u{e9}", "origin", ORIGINS)],
        ),
    ];
    for (op, body, errors) in cases {
        s.refused_before_the_store(
            op,
            body.to_string().as_bytes(),
            "ValidationException",
            &coral(&errors),
        );
    }
    // A very long value is not echoed.
    let long = "X".repeat(300);
    s.refused_before_the_store(
        "CreateKey",
        json!({"Origin": long}).to_string().as_bytes(),
        "ValidationException",
        &coral(&[format!(
            "Value at 'origin' failed to satisfy constraint: Member must satisfy enum value set: [{ORIGINS}]"
        )]),
    );
    // AWS's own values outside this reference's scope keep their answers.
    for (op, body, kind) in [
        (
            "CreateKey",
            json!({"Origin": "AWS_CLOUDHSM"}),
            "UnsupportedOperationException",
        ),
        (
            "CreateKey",
            json!({"Origin": "EXTERNAL_KEY_STORE"}),
            "UnsupportedOperationException",
        ),
        (
            "CreateKey",
            json!({"KeySpec": "RSA_2048"}),
            "UnsupportedOperationException",
        ),
        (
            "CreateKey",
            json!({"KeySpec": "ML_KEM_768"}),
            "UnsupportedOperationException",
        ),
        (
            "CreateKey",
            json!({"CustomerMasterKeySpec": "HMAC_256"}),
            "UnsupportedOperationException",
        ),
        (
            "CreateKey",
            json!({"KeyUsage": "SIGN_VERIFY"}),
            "UnsupportedOperationException",
        ),
        (
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "eA==", "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
            "ValidationException",
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": ext, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "RSA_2048"}),
            "ValidationException",
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": ext, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "SM2"}),
            "ValidationException",
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": ext, "WrappingAlgorithm": "RSAES_PKCS1_V1_5", "WrappingKeySpec": "RSA_2048"}),
            "ValidationException",
        ),
    ] {
        let events = s.kms.event_count();
        let (status, v) = s.call(op, body.clone());
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some(kind)),
            "{op} {body}: {v}"
        );
        // These reach the store, which answers them.
        assert_eq!(s.kms.event_count(), events + 1, "{op} {body}");
    }
    // The valid values are accepted.
    for (op, body) in [
        (
            "CreateKey",
            json!({"Origin": "AWS_KMS", "KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"}),
        ),
        (
            "GenerateDataKey",
            json!({"KeyId": key, "KeySpec": "AES_128"}),
        ),
        (
            "Encrypt",
            json!({"KeyId": key, "Plaintext": "eA==", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
        ),
    ] {
        s.ok(op, body);
    }
}

#[test]
fn dry_run_on_the_wire_answers_dry_run_operation_exception_and_changes_nothing() {
    let mut s = store();
    let (key, blob) = (s.key.clone(), s.blob.clone());
    let bodies = |dry_run: Value| {
        [
            (
                "Encrypt",
                json!({"KeyId": key, "Plaintext": "eA==", "DryRun": dry_run}),
            ),
            (
                "Decrypt",
                json!({"CiphertextBlob": blob, "DryRun": dry_run}),
            ),
            (
                "ReEncrypt",
                json!({"CiphertextBlob": blob, "DestinationKeyId": "alias/test", "DryRun": dry_run}),
            ),
            (
                "GenerateDataKey",
                json!({"KeyId": key, "KeySpec": "AES_256", "DryRun": dry_run}),
            ),
            (
                "GenerateDataKeyWithoutPlaintext",
                json!({"KeyId": key, "NumberOfBytes": 64, "DryRun": dry_run}),
            ),
        ]
    };
    for (op, body) in bodies(json!(true)) {
        let before = s.kms.event_count();
        let (status, v) = s.call(op, body);
        assert_eq!(status, 400, "{op}: {v}");
        assert_eq!(
            v,
            json!({
                "__type": "DryRunOperationException",
                "message": "The request would have succeeded, but the DryRun option is set."
            }),
            "{op}: no ciphertext, no plaintext"
        );
        let events = s.kms.events();
        assert_eq!(events.len(), before + 1, "{op}: one audit record");
        let e = events.last().unwrap();
        assert_eq!(
            (e.event_name, e.error_code),
            (op, Some("DryRunOperationException"))
        );
    }
    for dry_run in [json!(false), Value::Null] {
        for (op, body) in bodies(dry_run) {
            s.ok(op, body);
        }
    }
    // A disabled key: the real error.
    s.ok("DisableKey", json!({"KeyId": key}));
    for (op, body) in bodies(json!(true)) {
        let (status, v) = s.call(op, body);
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some("DisabledException")),
            "{op}: {v}"
        );
    }
}
