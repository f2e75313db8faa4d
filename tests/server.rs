//! The wire server over real HTTP: protocol errors, STS GetCallerIdentity,
//! request ids, ListResourceTags paging, and a bounded load test
//! (16 concurrent clients, mixed operations) that checks linearizability
//! witnesses: every ciphertext decrypts, no unexpected error, and the audit
//! trail holds every call.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::Rules;
use kms_lifecycle::server::{ServerConfig, spawn};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn start() -> SocketAddr {
    spawn(ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        rules: Rules::current(),
        manual_clock_start: Some(kms_lifecycle::clock::DEFAULT_START),
        ..ServerConfig::default()
    })
    .expect("server starts")
}

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Self {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }

    fn raw(&mut self, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
        let (status, _, body) = self.raw_text(headers, body);
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// The status, the Content-Type and the body as text.
    fn raw_text(&mut self, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, String) {
        let (status, h, body) = self.raw_headers(headers, body);
        let content_type = h
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        (status, content_type, body)
    }

    /// The status, the response headers (names lowercase) and the body as text.
    fn raw_headers(
        &mut self,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, String) {
        let mut req = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.writer.write_all(req.as_bytes()).unwrap();
        self.writer.write_all(body).unwrap();
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).unwrap();
        let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0usize;
        let mut response_headers = vec![];
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            let (k, v) = line.split_once(':').unwrap();
            let (k, v) = (k.to_ascii_lowercase(), v.trim().to_owned());
            if k == "content-length" {
                len = v.parse().unwrap();
            }
            response_headers.push((k, v));
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).unwrap();
        (status, response_headers, String::from_utf8(buf).unwrap())
    }

    fn call(&mut self, target: &str, body: Value) -> (u16, Value) {
        self.raw(
            &[
                ("X-Amz-Target", target),
                ("Content-Type", "application/x-amz-json-1.1"),
            ],
            body.to_string().as_bytes(),
        )
    }

    fn kms(&mut self, op: &str, body: Value) -> Result<Value, (String, String)> {
        let (status, v) = self.call(&format!("TrentService.{op}"), body);
        if status == 200 {
            Ok(v)
        } else {
            Err((
                v["__type"].as_str().unwrap_or("?").to_string(),
                v["message"].as_str().unwrap_or("").to_string(),
            ))
        }
    }
}

#[test]
fn protocol_errors_are_clear_and_leave_the_server_serving() {
    let addr = start();
    let mut c = Conn::new(addr);
    let (s, v) = c.raw(&[("Content-Type", "application/x-amz-json-1.1")], b"{}");
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (s, v) = c.call("TrentService.NoSuchOperation", json!({}));
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (s, v) = c.raw(
        &[
            ("X-Amz-Target", "TrentService.CreateKey"),
            ("Content-Type", "text/plain"),
        ],
        b"{}",
    );
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    let (s, v) = c.raw(
        &[
            ("X-Amz-Target", "TrentService.CreateKey"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        b"{not json",
    );
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (s, v) = c.call(
        "TrentService.Encrypt",
        json!({"KeyId": "x", "Plaintext": "***not base64***"}),
    );
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    assert!(
        !v["message"].as_str().unwrap().contains("not base64"),
        "input is never echoed"
    );
    let (s, v) = c.call(
        "TrentService.Encrypt",
        json!({"KeyId": "x", "Plaintext": 12345}),
    );
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    assert!(
        !v["message"].as_str().unwrap().contains("12345"),
        "input is never echoed"
    );
    // A body over 1 MiB is refused on a fresh connection.
    let mut big = Conn::new(addr);
    let (s, v) = big.raw(
        &[
            ("X-Amz-Target", "TrentService.CreateKey"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        &vec![b' '; (1 << 20) + 1],
    );
    assert_eq!(
        (s, v["__type"].as_str()),
        (413, Some("RequestEntityTooLargeException"))
    );
    // Still serving.
    let mut c = Conn::new(addr);
    let key = c.kms("CreateKey", json!({})).unwrap();
    assert_eq!(key["KeyMetadata"]["KeyState"], "Enabled");
    let (s, v) = c.call("KmsLifecycle.AdvanceClock", json!({"Seconds": -1}));
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    let (s, v) = c.call("KmsLifecycle.AdvanceClock", json!({"Seconds": 86400}));
    assert_eq!(
        (s, v["Now"].as_u64()),
        (200, Some(kms_lifecycle::clock::DEFAULT_START + 86_400))
    );
}

/// The text of the first `<tag>` element of an XML body.
fn xml_element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..end])
}

/// STS `GetCallerIdentity` over the query protocol, as the Terraform AWS
/// provider sends it (form-encoded, no X-Amz-Target): the root user of the
/// configured account. Other actions and a wrong version get STS's XML errors,
/// and the same connection still serves KMS.
#[test]
fn sts_get_caller_identity_answers_the_configured_account() {
    let addr = spawn(ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        account: "444455556666".into(),
        ..ServerConfig::default()
    })
    .unwrap();
    let mut c = Conn::new(addr);
    let form = [(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    let (s, ct, body) = c.raw_text(&form, b"Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!((s, ct.as_str()), (200, "text/xml"), "{body}");
    assert!(
        body.starts_with(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ),
        "{body}"
    );
    assert_eq!(xml_element(&body, "Account"), Some("444455556666"));
    assert_eq!(xml_element(&body, "UserId"), Some("444455556666"));
    assert_eq!(
        xml_element(&body, "Arn"),
        Some("arn:aws:iam::444455556666:root")
    );
    let id = xml_element(&body, "RequestId").unwrap();
    assert_eq!((id.len(), id.matches('-').count()), (36, 4), "{id}");
    // Percent-encoded and reordered members are the same request.
    let (s, _, body) = c.raw_text(&form, b"Version=2011%2D06%2D15&Action=GetCallerIdentity");
    assert_eq!(
        (s, xml_element(&body, "Account")),
        (200, Some("444455556666"))
    );

    for (req, code) in [
        (
            &b"Action=AssumeRole&Version=2011-06-15"[..],
            "InvalidAction",
        ),
        (b"Action=GetCallerIdentity", "InvalidParameterValue"),
        (
            b"Action=GetCallerIdentity&Version=2010-01-01",
            "InvalidParameterValue",
        ),
        (b"Version=2011-06-15", "MissingAction"),
        (b"Action=GetCaller%ZZIdentity", "MalformedQueryString"),
        (b"Action=\xff", "MalformedQueryString"),
    ] {
        let (s, ct, body) = c.raw_text(&form, req);
        assert_eq!(
            (s, ct.as_str(), xml_element(&body, "Code")),
            (400, "text/xml", Some(code)),
            "{}",
            String::from_utf8_lossy(req)
        );
        assert!(body.starts_with("<ErrorResponse"), "{body}");
        assert!(!xml_element(&body, "Message").unwrap().is_empty());
    }
    // A JSON request without a target is still KMS's protocol error.
    let (s, v) = c.raw(&[("Content-Type", "application/x-amz-json-1.1")], b"{}");
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let key = c.kms("CreateKey", json!({})).unwrap();
    assert_eq!(key["KeyMetadata"]["AWSAccountId"], "444455556666", "{key}");
}

/// A request on a connection: status, headers, body.
type Call = dyn Fn(&mut Conn) -> (u16, Vec<(String, String)>, String);

/// Every answer, success or error, KMS or STS, carries an
/// `x-amzn-RequestId` (SDKs print it in their errors), different each time.
#[test]
fn every_response_carries_a_fresh_request_id() {
    let addr = start();
    let mut c = Conn::new(addr);
    let json = |t: &'static str| {
        move |c: &mut Conn| {
            c.raw_headers(
                &[
                    ("X-Amz-Target", t),
                    ("Content-Type", "application/x-amz-json-1.1"),
                ],
                b"{}",
            )
        }
    };
    let sts = |c: &mut Conn| {
        c.raw_headers(
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"Action=GetCallerIdentity&Version=2011-06-15",
        )
    };
    let mut ids = std::collections::HashSet::new();
    let calls: [(&str, &Call); 4] = [
        ("CreateKey", &json("TrentService.CreateKey")),
        (
            "DescribeKey without KeyId",
            &json("TrentService.DescribeKey"),
        ),
        ("unknown operation", &json("TrentService.CreateGrant")),
        ("GetCallerIdentity", &sts),
    ];
    for (what, call) in calls {
        let (_, headers, body) = call(&mut c);
        let id = headers
            .iter()
            .find(|(k, _)| k == "x-amzn-requestid")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{what}: no x-amzn-RequestId in {headers:?}"));
        assert_eq!((id.len(), id.matches('-').count()), (36, 4), "{what}: {id}");
        assert!(
            ids.insert(id.clone()),
            "{what}: a request id is never reused"
        );
        if what == "GetCallerIdentity" {
            assert!(
                body.contains(&format!("<RequestId>{id}</RequestId>")),
                "{body}"
            );
        }
    }
}

/// ListResourceTags pages as AWS does (Limit 1-50, default 50; NextMarker
/// while Truncated), so a paginating client (the Terraform provider's
/// ListResourceTags paginator) reads every tag exactly once.
#[test]
fn list_resource_tags_pages_by_limit_and_marker() {
    let addr = start();
    let mut c = Conn::new(addr);
    let tags: Vec<Value> = (0..60)
        .map(|i| json!({"TagKey": format!("k{i:02}"), "TagValue": format!("v{i}")}))
        .collect();
    let key = c.kms("CreateKey", json!({ "Tags": tags })).unwrap();
    let id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let keys = |v: &Value| -> Vec<String> {
        v["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["TagKey"].as_str().unwrap().to_owned())
            .collect()
    };
    let all: Vec<String> = (0..60).map(|i| format!("k{i:02}")).collect();

    // Default limit 50, then the remaining 10.
    let p1 = c.kms("ListResourceTags", json!({ "KeyId": id })).unwrap();
    assert_eq!(
        (keys(&p1), p1["Truncated"].as_bool()),
        (all[..50].to_vec(), Some(true))
    );
    let marker = p1["NextMarker"]
        .as_str()
        .expect("NextMarker while truncated");
    let p2 = c
        .kms("ListResourceTags", json!({ "KeyId": id, "Marker": marker }))
        .unwrap();
    assert_eq!(
        (keys(&p2), p2["Truncated"].as_bool()),
        (all[50..].to_vec(), Some(false))
    );
    assert!(p2.get("NextMarker").is_none(), "{p2}");

    // Following NextMarker with Limit 7 visits every tag once, in order.
    let mut seen = vec![];
    let mut marker: Option<String> = None;
    for _ in 0..20 {
        let mut req = json!({ "KeyId": id, "Limit": 7 });
        if let Some(m) = &marker {
            req["Marker"] = json!(m);
        }
        let p = c.kms("ListResourceTags", req).unwrap();
        assert!(keys(&p).len() <= 7);
        seen.extend(keys(&p));
        marker = p["NextMarker"].as_str().map(str::to_owned);
        assert_eq!(p["Truncated"].as_bool(), Some(marker.is_some()), "{p}");
        if marker.is_none() {
            break;
        }
    }
    assert_eq!(seen, all);

    // Limit above 50 lists 50; out of the model's range, or a foreign marker, is refused.
    let p = c
        .kms("ListResourceTags", json!({ "KeyId": id, "Limit": 1000 }))
        .unwrap();
    assert_eq!(keys(&p).len(), 50);
    for (req, needle) in [
        (
            json!({ "KeyId": id, "Limit": 0 }),
            "Member must have value between 1 and 1000",
        ),
        (
            json!({ "KeyId": id, "Limit": 1001 }),
            "Member must have value between 1 and 1000",
        ),
        (
            json!({ "KeyId": id, "Marker": "not-a-marker" }),
            "Invalid marker",
        ),
    ] {
        let (kind, message) = c.kms("ListResourceTags", req.clone()).unwrap_err();
        assert_eq!(kind, "ValidationException", "{req}");
        assert!(message.contains(needle), "{req}: {message}");
    }
    // A missing key id is still the model's validation error, an unknown key NotFound.
    let (kind, message) = c
        .kms("ListResourceTags", json!({ "Limit": 5 }))
        .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert!(message.contains("Value null at 'keyId'"), "{message}");
    let (kind, _) = c
        .kms(
            "ListResourceTags",
            json!({ "KeyId": "11111111-2222-3333-4444-555555555555" }),
        )
        .unwrap_err();
    assert_eq!(kind, "NotFoundException");
}

#[test]
fn clock_operations_answer_unsupported_with_the_system_clock() {
    let addr = spawn(ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    })
    .unwrap();
    let mut c = Conn::new(addr);
    for op in ["GetClock", "AdvanceClock"] {
        let (s, v) = c.call(&format!("KmsLifecycle.{op}"), json!({"Seconds": 1}));
        assert_eq!(
            (s, v["__type"].as_str()),
            (400, Some("UnsupportedOperationException")),
            "{op}"
        );
    }
    let (s, v) = c.call("KmsLifecycle.ListEvents", json!({}));
    assert_eq!(s, 200);
    assert!(v["Events"].is_array());
}

/// 16 clients × mixed operations for a bounded time (KMS_LOAD_SECONDS, default
/// 20) and at most 5,000 calls each; clock advances interleave.
#[test]
fn load_sixteen_clients_mixed_operations_no_lost_update() {
    let secs: u64 = std::env::var("KMS_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let addr = start();
    let mut setup = Conn::new(addr);
    let shared = setup.kms("CreateKey", json!({})).unwrap()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    setup
        .kms(
            "CreateAlias",
            json!({"AliasName": "alias/load", "TargetKeyId": shared}),
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let handles: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = Conn::new(addr);
                let mine = c.kms("CreateKey", json!({})).unwrap()["KeyMetadata"]["KeyId"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let mut calls = 1u64;
                let mut cts: Vec<(String, Vec<u8>)> = Vec::new();
                let mut unexpected = Vec::new();
                let mut i = 0u64;
                while Instant::now() < deadline && i < 5_000 {
                    i += 1;
                    let pt: Vec<u8> = format!("client {t} message {i}").into_bytes();
                    let target = if i.is_multiple_of(2) {
                        "alias/load".to_string()
                    } else {
                        mine.clone()
                    };
                    let r = match i % 10 {
                        0 => c
                            .kms("RotateKeyOnDemand", json!({"KeyId": mine}))
                            .map(|_| ()),
                        1 => c.kms("DisableKey", json!({"KeyId": mine})).and_then(|_| {
                            calls += 1;
                            c.kms("EnableKey", json!({"KeyId": mine})).map(|_| ())
                        }),
                        2 if t == 0 => {
                            let (s, _) =
                                c.call("KmsLifecycle.AdvanceClock", json!({"Seconds": 3600}));
                            assert_eq!(s, 200);
                            Ok(())
                        }
                        3 => c
                            .kms(
                                "GenerateDataKey",
                                json!({"KeyId": target, "KeySpec": "AES_256"}),
                            )
                            .map(|_| ()),
                        _ => c
                            .kms(
                                "Encrypt",
                                json!({"KeyId": target, "Plaintext": B64.encode(&pt)}),
                            )
                            .map(|v| {
                                cts.push((
                                    v["CiphertextBlob"].as_str().unwrap().to_string(),
                                    pt.clone(),
                                ))
                            }),
                    };
                    if !(i % 10 == 2 && t == 0) {
                        calls += 1;
                    }
                    match r {
                        Ok(()) => {}
                        // Expected: the 26th on-demand rotation of a key.
                        Err((e, _)) if e == "LimitExceededException" => {}
                        Err(e) => unexpected.push(e),
                    }
                }
                // Every ciphertext made decrypts to its plaintext.
                for (ct, pt) in &cts {
                    let v = c
                        .kms("Decrypt", json!({"CiphertextBlob": ct}))
                        .expect("decrypts");
                    calls += 1;
                    assert_eq!(B64.decode(v["Plaintext"].as_str().unwrap()).unwrap(), *pt);
                }
                (calls, cts.len(), unexpected)
            })
        })
        .collect();
    let mut total_calls = 2u64; // setup
    let mut total_cts = 0;
    for h in handles {
        let (calls, cts, unexpected) = h.join().expect("client thread");
        assert!(unexpected.is_empty(), "unexpected errors: {unexpected:?}");
        total_calls += calls;
        total_cts += cts;
    }
    assert!(
        total_cts > 100,
        "the load test did real work ({total_cts} ciphertexts)"
    );
    let (_, v) = setup.call("KmsLifecycle.ListEvents", json!({}));
    let calls_recorded = v["Events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("InvokedBy").is_none())
        .count() as u64;
    assert_eq!(
        calls_recorded, total_calls,
        "the audit trail holds every call"
    );
    eprintln!(
        "load: {total_calls} calls in {secs} s ({:.0} calls/s), {total_cts} ciphertexts",
        total_calls as f64 / secs as f64
    );
}
