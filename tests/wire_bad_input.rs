//! Hostile and malformed requests over the wire protocol (issue 8): each gets
//! its AWS exception, and the store is unchanged afterwards.
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
        manual_clock_start: Some(1_767_225_600),
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
