//! Bounded memory (issue 17, item 4): the audit trail and alarms are kept
//! within a count and an age (in memory and on disk), ListEvents pages with
//! Limit and Marker, and caller text echoed in errors is cut to a fixed
//! length in the answer and in the trail.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use kms_lifecycle::api::*;
use kms_lifecycle::server::{ServerConfig, ServerState};
use kms_lifecycle::store::{MAX_MESSAGE, Retention};
use kms_lifecycle::{Kms, ManualClock, Rules};
use serde_json::{Value, json};

const START: u64 = kms_lifecycle::clock::DEFAULT_START;
const CT: &str = "application/x-amz-json-1.1";

fn store(r: Retention) -> (Kms, ManualClock) {
    let clock = ManualClock::new(START);
    let kms = Kms::builder()
        .rules(Rules::current())
        .clock(clock.clone())
        .retention(r)
        .build();
    (kms, clock)
}

fn missing(kms: &mut Kms, n: usize) {
    for i in 0..n {
        let _ = kms.describe_key(KeyIdRequest {
            key_id: format!("alias/missing-{i}"),
        });
    }
}

#[test]
fn the_trail_keeps_at_most_max_records_the_newest() {
    let (mut kms, _) = store(Retention {
        max_records: 10,
        max_age: 1_000_000,
        ..Retention::default()
    });
    missing(&mut kms, 50);
    let events = kms.events();
    assert_eq!(events.len(), 10);
    assert!(
        events[0]
            .error_message
            .as_deref()
            .unwrap()
            .contains("alias/missing-40"),
        "{:?}",
        events[0]
    );
    // Alarms too.
    let k = kms
        .create_key(CreateKeyRequest::default())
        .unwrap()
        .key_metadata
        .key_id;
    kms.schedule_key_deletion(ScheduleKeyDeletionRequest {
        key_id: k.clone(),
        pending_window_in_days: Some(7),
    })
    .unwrap();
    for _ in 0..30 {
        let _ = kms.disable_key(KeyIdRequest { key_id: k.clone() });
    }
    assert_eq!(kms.alarms().len(), 10);
}

#[test]
fn records_older_than_max_age_are_dropped() {
    let (mut kms, clock) = store(Retention {
        max_records: 1000,
        max_age: 3600,
        ..Retention::default()
    });
    missing(&mut kms, 5);
    clock.advance(3000);
    missing(&mut kms, 3);
    assert_eq!(kms.events().len(), 8);
    clock.advance(1000);
    missing(&mut kms, 1);
    let events = kms.events();
    assert_eq!(events.len(), 4, "the first five are over an hour old");
    assert!(events.iter().all(|e| e.event_time >= START + 4000 - 3600));
}

fn call(s: &ServerState, target: &str, body: Value) -> (u16, Value) {
    let r = s.handle(Some(target), Some(CT), body.to_string().as_bytes());
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

fn server() -> ServerState {
    ServerState::new(&ServerConfig {
        manual_clock_start: Some(START),
        ..ServerConfig::default()
    })
}

#[test]
fn list_events_pages_with_limit_and_marker() {
    let s = server();
    for i in 0..25 {
        call(
            &s,
            "TrentService.DescribeKey",
            json!({"KeyId": format!("alias/x{i}")}),
        );
    }
    let (_, all) = call(&s, "KmsLifecycle.ListEvents", json!({}));
    let all = all["Events"].as_array().unwrap().clone();
    assert_eq!(all.len(), 25);
    assert_eq!(
        call(&s, "KmsLifecycle.ListEvents", json!({}))
            .1
            .get("Truncated"),
        Some(&json!(false))
    );
    let mut got = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = json!({"Limit": 10});
        if let Some(m) = &marker {
            q["Marker"] = json!(m);
        }
        let (st, v) = call(&s, "KmsLifecycle.ListEvents", q);
        assert_eq!(st, 200, "{v}");
        pages += 1;
        let page = v["Events"].as_array().unwrap();
        assert!(page.len() <= 10);
        got.extend(page.iter().cloned());
        match v["NextMarker"].as_str() {
            Some(m) => {
                assert_eq!(v["Truncated"], true);
                marker = Some(m.to_string())
            }
            None => {
                assert_eq!(v["Truncated"], false);
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(got, all, "the pages make the whole trail, in order");
    let (st, v) = call(
        &s,
        "KmsLifecycle.ListEvents",
        json!({"Marker": "not-a-marker"}),
    );
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("InvalidMarkerException"))
    );
    let (st, v) = call(&s, "KmsLifecycle.ListEvents", json!({"Marker": "99999999"}));
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("InvalidMarkerException"))
    );
    for bad in [0, 1001, -1] {
        let (st, v) = call(&s, "KmsLifecycle.ListEvents", json!({"Limit": bad}));
        assert_eq!(
            (st, v["__type"].as_str()),
            (400, Some("ValidationException")),
            "{bad}"
        );
    }
}

#[test]
fn caller_text_in_errors_and_events_is_cut_to_a_fixed_length() {
    let s = server();
    // ListAliases echoes the Marker it cannot read.
    let long = "A".repeat(200_000);
    let (st, v) = call(&s, "TrentService.ListAliases", json!({"Marker": long}));
    assert_eq!(st, 400);
    let m = v["message"].as_str().unwrap();
    assert!(
        m.len() <= MAX_MESSAGE && m.ends_with("..."),
        "{} bytes",
        m.len()
    );
    assert!(m.contains("AAAA"), "{m}");
    // A multi-byte character at the cut.
    let (st, v) = call(
        &s,
        "TrentService.ListAliases",
        json!({"Marker": "é".repeat(100_000)}),
    );
    assert_eq!(st, 400);
    let m = v["message"].as_str().unwrap();
    assert!(
        m.len() <= MAX_MESSAGE && m.ends_with("..."),
        "{} bytes",
        m.len()
    );
    let (_, e) = call(&s, "KmsLifecycle.ListEvents", json!({}));
    for ev in e["Events"].as_array().unwrap() {
        assert!(ev["ErrorMessage"].as_str().unwrap().len() <= MAX_MESSAGE);
    }
    // A short message is unchanged.
    let (_, v) = call(
        &s,
        "TrentService.DescribeKey",
        json!({"KeyId": "alias/short"}),
    );
    assert_eq!(
        v["message"],
        "Alias arn:aws:kms:us-east-1:111122223333:alias/short is not found."
    );
}

#[test]
fn the_retention_bound_holds_on_disk_across_a_restart() {
    let mut r = [0u8; 8];
    getrandom::fill(&mut r).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "kms-bounded-{}-{}",
        std::process::id(),
        u64::from_le_bytes(r)
    ));
    let cfg = ServerConfig {
        manual_clock_start: Some(START),
        data_dir: Some(dir.join("data")),
        root_key_file: Some(dir.join("root.key")),
        retention: Retention {
            max_records: 5,
            max_age: 1_000_000,
            ..Retention::default()
        },
        ..ServerConfig::default()
    };
    let s = ServerState::open(&cfg).unwrap();
    for i in 0..40 {
        call(
            &s,
            "TrentService.DescribeKey",
            json!({"KeyId": format!("alias/x{i}")}),
        );
    }
    // A change of state, so that the last commit waits for the disk.
    call(&s, "TrentService.CreateKey", json!({}));
    drop(s);
    {
        use redb::ReadableTableMetadata;
        let db = redb::Database::create(dir.join("data").join("kms.redb")).unwrap();
        let tx = db.begin_read().unwrap();
        let def: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("audit");
        let t = tx.open_table(def).unwrap();
        assert_eq!(t.len().unwrap(), 5, "only the kept records are on disk");
    }
    let s = ServerState::open(&cfg).unwrap();
    let (_, e) = call(&s, "KmsLifecycle.ListEvents", json!({}));
    let events = e["Events"].as_array().unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(events[4]["EventName"], "CreateKey");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// AWS managed keys can never be deleted, and any new `alias/aws/<name>`
/// makes one (spec §9 decision): `max_managed_keys` bounds how many. The
/// ones made keep working, a new name past the bound is not found (as AWS
/// answers a name it has no service for) and makes nothing.
#[test]
fn at_most_max_managed_keys_aws_managed_keys_are_made() {
    let (mut kms, _) = store(Retention {
        max_managed_keys: 3,
        ..Retention::default()
    });
    let describe = |kms: &mut Kms, name: &str| {
        kms.describe_key(KeyIdRequest {
            key_id: format!("alias/aws/{name}"),
        })
    };
    let made: Vec<String> = ["s3", "ebs", "lambda"]
        .iter()
        .map(|n| describe(&mut kms, n).unwrap().key_metadata.key_id)
        .collect();
    let keys = kms.key_count();
    let refused = describe(&mut kms, "rds").unwrap_err();
    assert_eq!(refused.name(), "NotFoundException");
    assert_eq!(
        refused.message(),
        "Alias arn:aws:kms:us-east-1:111122223333:alias/aws/rds is not found."
    );
    let encrypt = kms.encrypt(EncryptRequest {
        key_id: "alias/aws/sqs".into(),
        plaintext: b"x".to_vec().into(),
        ..Default::default()
    });
    assert_eq!(encrypt.unwrap_err().name(), "NotFoundException");
    assert_eq!(kms.key_count(), keys, "nothing made past the bound");
    for (name, id) in ["s3", "ebs", "lambda"].iter().zip(&made) {
        assert_eq!(&describe(&mut kms, name).unwrap().key_metadata.key_id, id);
    }
    let aliases = kms.list_aliases(ListRequest::default()).unwrap().aliases;
    let managed = aliases
        .iter()
        .filter(|a| a.alias_name.starts_with("alias/aws/"))
        .count();
    assert_eq!(managed, 3);
}

/// The library keeps the spec's behaviour by default: every new
/// `alias/aws/<name>` makes its key ([`Retention::UNBOUNDED`]); `serve`
/// bounds it ([`Retention::default`]).
#[test]
fn the_library_is_unbounded_and_serve_bounds_managed_keys() {
    assert_eq!(Retention::UNBOUNDED.max_managed_keys, usize::MAX);
    assert_eq!(Retention::default().max_managed_keys, 10_000);
    let (mut kms, _) = store(Retention::UNBOUNDED);
    for i in 0..300 {
        kms.describe_key(KeyIdRequest {
            key_id: format!("alias/aws/svc{i}"),
        })
        .unwrap();
    }
    assert_eq!(kms.key_count(), 300);
}
