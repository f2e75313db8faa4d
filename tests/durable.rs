//! The durable store of `serve --data-dir` (issue 17, item 1): a restart
//! keeps every key, material, alias, rotation, deletion date, import
//! parameters, the manual clock and the audit trail; events that fell due
//! while the server was down are applied at start, in order; a directory of
//! another root key or format is refused and left unchanged; no secret is
//! ever written to the directory in plaintext.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::Rules;
use kms_lifecycle::api::WrappingAlgorithm;
use kms_lifecycle::server::{ServerConfig, ServerState};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const CT: &str = "application/x-amz-json-1.1";
const START: u64 = kms_lifecycle::clock::DEFAULT_START;
const DAY: u64 = 86_400;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let mut r = [0u8; 8];
        getrandom::fill(&mut r).unwrap();
        let p = std::env::temp_dir().join(format!(
            "kms-durable-{tag}-{}-{}",
            std::process::id(),
            r.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    fn root(&self) -> PathBuf {
        self.0.join("root.key")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(t: &TempDir, start: u64) -> ServerConfig {
    ServerConfig {
        rules: Rules::current(),
        manual_clock_start: Some(start),
        data_dir: Some(t.data()),
        root_key_file: Some(t.root()),
        ..ServerConfig::default()
    }
}

fn call(s: &ServerState, target: &str, body: Value) -> (u16, Value) {
    let r = s.handle(Some(target), Some(CT), body.to_string().as_bytes());
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

fn ok(s: &ServerState, op: &str, body: Value) -> Value {
    let (status, v) = call(s, &format!("TrentService.{op}"), body);
    assert_eq!(status, 200, "{op}: {v}");
    v
}

fn clock(s: &ServerState, op: &str, body: Value) -> Value {
    let (status, v) = call(s, &format!("KmsLifecycle.{op}"), body);
    assert_eq!(status, 200, "{op}: {v}");
    v
}

fn create(s: &ServerState, body: Value) -> String {
    ok(s, "CreateKey", body)["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Everything a client can read about the store.
fn observe(s: &ServerState) -> Value {
    let keys = ok(s, "ListKeys", json!({"Limit": 1000}));
    let mut per_key = Vec::new();
    for k in keys["Keys"].as_array().unwrap() {
        let id = k["KeyId"].as_str().unwrap();
        let d = ok(s, "DescribeKey", json!({"KeyId": id}));
        let live = d["KeyMetadata"]["KeyState"] != "PendingDeletion";
        per_key.push(json!({
            "describe": d,
            "tags": ok(s, "ListResourceTags", json!({"KeyId": id})),
            "policy": call(s, "TrentService.GetKeyPolicy", json!({"KeyId": id})),
            "rotations": call(s, "TrentService.ListKeyRotations", json!({"KeyId": id})),
            "rotation_status": if live {
                call(s, "TrentService.GetKeyRotationStatus", json!({"KeyId": id}))
            } else {
                (0, Value::Null)
            },
        }));
    }
    json!({
        "keys": keys,
        "per_key": per_key,
        "aliases": ok(s, "ListAliases", json!({"Limit": 100})),
        "clock": clock(s, "GetClock", json!({})),
        "alarms": clock(s, "ListAlarms", json!({})),
    })
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap()).unwrap()
}

/// Imports `material` into `key`; returns nothing, panics on failure.
fn import(s: &ServerState, key: &str, material: &[u8; 32], valid_to: Option<u64>) {
    let p = ok(
        s,
        "GetParametersForImport",
        json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let wrapped = kms_lifecycle::import::wrap_key_material(
        &b64(&p["PublicKey"]),
        WrappingAlgorithm::RsaesOaepSha256,
        material,
    )
    .unwrap();
    let mut body = json!({
        "KeyId": key,
        "ImportToken": p["ImportToken"],
        "EncryptedKeyMaterial": B64.encode(wrapped),
    });
    match valid_to {
        Some(t) => body["ValidTo"] = json!(t),
        None => body["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
    }
    ok(s, "ImportKeyMaterial", body);
}

fn encrypt(s: &ServerState, key: &str, pt: &[u8]) -> String {
    ok(
        s,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": B64.encode(pt), "EncryptionContext": {"app": "db"}}),
    )["CiphertextBlob"]
        .as_str()
        .unwrap()
        .to_string()
}

fn decrypt(s: &ServerState, blob: &str) -> Vec<u8> {
    b64(&ok(
        s,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"app": "db"}}),
    )["Plaintext"])
}

struct Built {
    aws: String,
    managed_blob: String,
    blobs: Vec<(String, Vec<u8>)>,
    ext: String,
    pending: String,
    token: Value,
    public_key: Vec<u8>,
    doomed: String,
}

/// A store with every kind of state a restart must keep.
fn build(s: &ServerState) -> Built {
    let aws = create(
        s,
        json!({"Description": "db key", "Tags": [{"TagKey": "team", "TagValue": "a"}]}),
    );
    let mut blobs = vec![(
        encrypt(s, &aws, b"before rotation"),
        b"before rotation".to_vec(),
    )];
    ok(s, "RotateKeyOnDemand", json!({"KeyId": aws}));
    blobs.push((
        encrypt(s, &aws, b"after rotation"),
        b"after rotation".to_vec(),
    ));
    ok(
        s,
        "EnableKeyRotation",
        json!({"KeyId": aws, "RotationPeriodInDays": 90}),
    );
    ok(
        s,
        "CreateAlias",
        json!({"AliasName": "alias/db", "TargetKeyId": aws}),
    );
    // A key policy of its own (the other keys keep AWS's default).
    ok(
        s,
        "PutKeyPolicy",
        json!({"KeyId": aws, "PolicyName": "default", "Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"kept\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}),
    );
    // An AWS managed key, made by its first use.
    let managed_blob = ok(
        s,
        "Encrypt",
        json!({"KeyId": "alias/aws/s3", "Plaintext": B64.encode(b"managed")}),
    )["CiphertextBlob"]
        .as_str()
        .unwrap()
        .to_string();
    // An imported key whose material expires in 10 days.
    let ext = create(s, json!({"Origin": "EXTERNAL"}));
    import(s, &ext, &[7u8; 32], Some(START + 10 * DAY));
    blobs.push((encrypt(s, &ext, b"imported"), b"imported".to_vec()));
    // An EXTERNAL key with import parameters outstanding.
    let pending = create(s, json!({"Origin": "EXTERNAL"}));
    let p = ok(
        s,
        "GetParametersForImport",
        json!({"KeyId": pending, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    // A key pending deletion in 7 days, and a disabled one.
    let doomed = create(s, json!({}));
    ok(
        s,
        "CreateAlias",
        json!({"AliasName": "alias/doomed", "TargetKeyId": doomed}),
    );
    ok(
        s,
        "ScheduleKeyDeletion",
        json!({"KeyId": doomed, "PendingWindowInDays": 7}),
    );
    // An attempted use of it raises an alarm.
    let (status, _) = call(
        s,
        "TrentService.Encrypt",
        json!({"KeyId": doomed, "Plaintext": B64.encode(b"x")}),
    );
    assert_eq!(status, 400);
    let disabled = create(s, json!({}));
    ok(s, "DisableKey", json!({"KeyId": disabled}));
    clock(s, "AdvanceClock", json!({"Seconds": 3600}));
    Built {
        aws,
        managed_blob,
        blobs,
        ext,
        pending,
        token: p["ImportToken"].clone(),
        public_key: b64(&p["PublicKey"]),
        doomed,
    }
}

#[test]
fn a_restart_keeps_keys_materials_aliases_deadlines_clock_and_events() {
    let t = TempDir::new("restart");
    let s = ServerState::open(&config(&t, START)).unwrap();
    let b = build(&s);
    let before = observe(&s);
    let events_before = clock(&s, "ListEvents", json!({}));
    drop(s);

    let s = ServerState::open(&config(&t, START)).unwrap();
    assert_eq!(observe(&s), before, "the restored store reads the same");
    let events_after = clock(&s, "ListEvents", json!({}));
    // The events of the observation calls themselves come after.
    let n = events_before["Events"].as_array().unwrap().len();
    assert_eq!(
        events_after["Events"].as_array().unwrap()[..n],
        events_before["Events"].as_array().unwrap()[..],
        "the audit trail survives"
    );
    assert_eq!(clock(&s, "GetClock", json!({}))["Now"], START + 3600);
    for (blob, pt) in &b.blobs {
        assert_eq!(&decrypt(&s, blob), pt, "every material survives");
    }
    assert_eq!(
        b64(&ok(&s, "Decrypt", json!({"CiphertextBlob": b.managed_blob}))["Plaintext"]),
        b"managed"
    );
    // The AWS managed key is the same one (not made again).
    let m = ok(&s, "DescribeKey", json!({"KeyId": "alias/aws/s3"}));
    assert_eq!(m["KeyMetadata"]["KeyManager"], "AWS");
    // The import token issued before the restart is still good.
    let wrapped = kms_lifecycle::import::wrap_key_material(
        &b.public_key,
        WrappingAlgorithm::RsaesOaepSha256,
        &[9u8; 32],
    )
    .unwrap();
    ok(
        &s,
        "ImportKeyMaterial",
        json!({"KeyId": b.pending, "ImportToken": b.token, "EncryptedKeyMaterial": B64.encode(wrapped),
               "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
    );
    // Deadlines survive: after 7 days the key is deleted (and its alias
    // gone), after 10 the imported material expires.
    clock(&s, "AdvanceClock", json!({"Seconds": 7 * DAY}));
    let (status, v) = call(&s, "TrentService.DescribeKey", json!({"KeyId": b.doomed}));
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("NotFoundException"))
    );
    clock(&s, "AdvanceClock", json!({"Seconds": 3 * DAY}));
    let d = ok(&s, "DescribeKey", json!({"KeyId": b.ext}));
    assert_eq!(d["KeyMetadata"]["KeyState"], "PendingImport");
    // And all of that survives a second restart.
    let before = observe(&s);
    drop(s);
    let s = ServerState::open(&config(&t, START)).unwrap();
    assert_eq!(observe(&s), before);
    let aliases = ok(&s, "ListAliases", json!({}));
    let names: Vec<&str> = aliases["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AliasName"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"alias/db") && !names.contains(&"alias/doomed"),
        "{names:?}"
    );
    assert_eq!(&decrypt(&s, &b.blobs[0].0), b"before rotation");
    let _ = b.aws;
}

#[test]
fn events_that_fell_due_while_down_are_applied_at_start_in_order() {
    let t = TempDir::new("downtime");
    let s = ServerState::open(&config(&t, START)).unwrap();
    let a = create(&s, json!({}));
    ok(
        &s,
        "ScheduleKeyDeletion",
        json!({"KeyId": a, "PendingWindowInDays": 7}),
    );
    let r = create(&s, json!({}));
    ok(
        &s,
        "EnableKeyRotation",
        json!({"KeyId": r, "RotationPeriodInDays": 90}),
    );
    drop(s);
    // Down for 200 days: the deletion (day 7), then two rotations (days 90,
    // 180) fell due. The next start is at day 200.
    // (The trail keeps 90 days by default: keep a year here.)
    let mut c = config(&t, START + 200 * DAY);
    c.retention.max_age = 365 * DAY;
    let s = ServerState::open(&c).unwrap();
    let events = clock(&s, "ListEvents", json!({"Since": START + DAY}));
    let internal: Vec<(String, u64)> = events["Events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["InvokedBy"] == "AWS Internal")
        .map(|e| {
            (
                e["EventName"].as_str().unwrap().to_string(),
                e["EventTime"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        internal,
        vec![
            ("DeleteKey".to_string(), START + 7 * DAY),
            ("RotateKey".to_string(), START + 90 * DAY),
            ("RotateKey".to_string(), START + 180 * DAY),
        ],
        "each event at its own instant, in order"
    );
    let (status, _) = call(&s, "TrentService.DescribeKey", json!({"KeyId": a}));
    assert_eq!(status, 400);
    let rot = ok(&s, "ListKeyRotations", json!({"KeyId": r}));
    assert_eq!(rot["Rotations"].as_array().unwrap().len(), 2);
    // The clock never goes back: an earlier --start resumes at day 200.
    drop(s);
    let s = ServerState::open(&config(&t, START)).unwrap();
    assert_eq!(clock(&s, "GetClock", json!({}))["Now"], START + 200 * DAY);
}

fn files_digest(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn another_root_key_is_refused_and_the_directory_left_unchanged() {
    let t = TempDir::new("rootkey");
    let s = ServerState::open(&config(&t, START)).unwrap();
    let k = create(&s, json!({}));
    drop(s);
    let before = files_digest(&t.data());
    // Another root key.
    std::fs::write(t.root(), format!("{}\n", "ab".repeat(32))).unwrap();
    let e = ServerState::open(&config(&t, START))
        .err()
        .expect("refused");
    assert!(e.0.contains("another root key"), "{e}");
    assert_eq!(files_digest(&t.data()), before, "left unchanged");
    // A missing root key file is not silently replaced by a new key.
    std::fs::remove_file(t.root()).unwrap();
    let e = ServerState::open(&config(&t, START))
        .err()
        .expect("refused");
    assert!(e.0.contains("did not exist"), "{e}");
    assert_eq!(files_digest(&t.data()), before, "left unchanged");
    // A malformed root key file.
    std::fs::write(t.root(), "not hex").unwrap();
    let e = ServerState::open(&config(&t, START))
        .err()
        .expect("refused");
    assert!(e.0.contains("64 hex digits"), "{e}");
    let _ = k;
}

#[test]
fn an_unknown_format_version_or_a_foreign_file_is_refused_and_left_unchanged() {
    let t = TempDir::new("format");
    drop(ServerState::open(&config(&t, START)).unwrap());
    // Rewrite the format version as a later build would.
    {
        let db = redb::Database::create(t.data().join("kms.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
            let mut m = tx.open_table(def).unwrap();
            m.insert("format", &b"2"[..]).unwrap();
        }
        tx.commit().unwrap();
    }
    let before = files_digest(&t.data());
    let e = ServerState::open(&config(&t, START))
        .err()
        .expect("refused");
    assert!(e.0.contains("format version 2"), "{e}");
    assert_eq!(files_digest(&t.data()), before, "left unchanged");

    let t = TempDir::new("foreign");
    std::fs::create_dir_all(t.data()).unwrap();
    std::fs::write(t.data().join("kms.redb"), b"SQLite format 3\0 not ours").unwrap();
    let before = files_digest(&t.data());
    let e = ServerState::open(&config(&t, START))
        .err()
        .expect("refused");
    assert!(e.0.contains("cannot open"), "{e}");
    assert_eq!(files_digest(&t.data()), before, "left unchanged");
}

#[test]
fn another_rule_set_region_or_account_is_refused() {
    let t = TempDir::new("identity");
    drop(ServerState::open(&config(&t, START)).unwrap());
    let mut c = config(&t, START);
    c.region = "eu-west-1".into();
    let e = ServerState::open(&c).err().expect("refused");
    assert!(e.0.contains("eu-west-1"), "{e}");
    let mut c = config(&t, START);
    c.rules = Rules::classic();
    assert!(ServerState::open(&c).is_err());
}

#[cfg(unix)]
#[test]
fn the_root_key_file_is_made_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let t = TempDir::new("mode");
    drop(ServerState::open(&config(&t, START)).unwrap());
    let mode = std::fs::metadata(t.root()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(t.root()).unwrap();
    assert_eq!(text.trim().len(), 64);
    assert!(text.trim().bytes().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn data_dir_without_root_key_file_is_refused() {
    let t = TempDir::new("noroot");
    let mut c = config(&t, START);
    c.root_key_file = None;
    let e = ServerState::open(&c).err().expect("refused");
    assert!(e.0.contains("--root-key-file"), "{e}");
}

/// Every secret the store made (generated and imported backing keys, import
/// wrapping keys, the token secret) is looked for in every file of the data
/// directory, raw and as hex: none is there.
#[cfg(feature = "test-bugs")]
#[test]
fn no_secret_is_in_the_data_directory_in_plaintext() {
    use kms_lifecycle::durable::{Durable, Identity};
    use kms_lifecycle::{Kms, ManualClock};
    let t = TempDir::new("scan");
    let identity = Identity {
        rules: "current".into(),
        region: "us-east-1".into(),
        account: "111122223333".into(),
    };
    let opened = Durable::open(&t.data(), &t.root(), &identity).unwrap();
    let mut d = opened.durable;
    let clock = ManualClock::new(START);
    let mut kms = Kms::builder()
        .rules(Rules::current())
        .clock(clock.clone())
        .build();
    kms.track_changes();
    // Keys of both origins, rotations, imports and outstanding parameters,
    // through the store directly, with a commit after every call as the
    // server does.
    use kms_lifecycle::api::*;
    let mut secrets_seen: Vec<Vec<u8>> = Vec::new();
    let commit = |kms: &mut Kms, d: &mut Durable, seen: &mut Vec<Vec<u8>>| {
        seen.extend(kms.secrets_for_tests());
        d.commit(&kms.drain_changes(), Some(START)).unwrap();
    };
    for _ in 0..3 {
        let k = kms
            .create_key(CreateKeyRequest::default())
            .unwrap()
            .key_metadata
            .key_id;
        commit(&mut kms, &mut d, &mut secrets_seen);
        kms.rotate_key_on_demand(KeyIdRequest { key_id: k.clone() })
            .unwrap();
        commit(&mut kms, &mut d, &mut secrets_seen);
    }
    for material in [[0x5au8; 32], [0xa5u8; 32]] {
        let k = kms
            .create_key(CreateKeyRequest {
                origin: Some(Origin::External),
                ..CreateKeyRequest::default()
            })
            .unwrap()
            .key_metadata
            .key_id;
        commit(&mut kms, &mut d, &mut secrets_seen);
        let p = kms
            .get_parameters_for_import(GetParametersForImportRequest {
                key_id: k.clone(),
                wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                wrapping_key_spec: WrappingKeySpec::Rsa2048,
            })
            .unwrap();
        commit(&mut kms, &mut d, &mut secrets_seen);
        let wrapped = kms_lifecycle::import::wrap_key_material(
            &p.public_key.0,
            WrappingAlgorithm::RsaesOaepSha256,
            &material,
        )
        .unwrap();
        kms.import_key_material(ImportKeyMaterialRequest {
            key_id: k.clone(),
            import_token: p.import_token.clone(),
            encrypted_key_material: Blob(wrapped),
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            ..ImportKeyMaterialRequest::default()
        })
        .unwrap();
        commit(&mut kms, &mut d, &mut secrets_seen);
        // Outstanding parameters (an RSA private key) for the scan too.
        kms.get_parameters_for_import(GetParametersForImportRequest {
            key_id: k,
            wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
            wrapping_key_spec: WrappingKeySpec::Rsa2048,
        })
        .unwrap();
        commit(&mut kms, &mut d, &mut secrets_seen);
        secrets_seen.push(material.to_vec());
    }
    drop(d);
    secrets_seen.sort();
    secrets_seen.dedup();
    assert!(
        secrets_seen.len() >= 11, // token secret, 6 generated, 2 imported, 2+ RSA keys
        "{}",
        secrets_seen.len()
    );
    let files = files_digest(&t.data());
    assert!(!files.is_empty());
    let scanner = Scanner::new(&secrets_seen);
    // The scanner finds a secret when there is one (a control).
    let mut planted = vec![0u8; 100];
    planted.extend_from_slice(&secrets_seen[1][..20]);
    assert!(scanner.finds_in(&planted));
    let mut planted_hex = b"xx".to_vec();
    planted_hex.extend(hexed(&secrets_seen[2][..16]).bytes());
    assert!(scanner.finds_in(&planted_hex));
    for (path, bytes) in &files {
        assert!(
            !scanner.finds_in(bytes),
            "{} holds secret bytes in plaintext",
            path.display()
        );
    }
    // And the store restored from these files holds the same secrets.
    let opened = Durable::open(&t.data(), &t.root(), &identity).unwrap();
    let restored = Kms::restore(
        Kms::builder()
            .rules(Rules::current())
            .clock(ManualClock::new(START)),
        &opened.image,
    )
    .unwrap();
    let mut now = restored.secrets_for_tests();
    let mut then = kms.secrets_for_tests();
    now.sort();
    then.sort();
    assert_eq!(now, then);
}

fn hexed(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Finds any 16-byte run of a secret, raw or as 32 hex digits.
struct Scanner {
    raw: std::collections::HashSet<[u8; 16]>,
    hex: std::collections::HashSet<Vec<u8>>,
}

impl Scanner {
    fn new(secrets: &[Vec<u8>]) -> Self {
        let mut raw = std::collections::HashSet::new();
        let mut hex = std::collections::HashSet::new();
        for s in secrets {
            for w in s.windows(16) {
                raw.insert(<[u8; 16]>::try_from(w).unwrap());
                hex.insert(hexed(w).into_bytes());
            }
        }
        Self { raw, hex }
    }
    fn finds_in(&self, bytes: &[u8]) -> bool {
        bytes
            .windows(16)
            .any(|w| self.raw.contains(<&[u8; 16]>::try_from(w).unwrap()))
            || bytes.windows(32).any(|w| self.hex.contains(w))
    }
}
