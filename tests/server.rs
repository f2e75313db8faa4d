//! The wire server over real HTTP: protocol errors, and a bounded load test
//! (16 concurrent clients, mixed operations) that checks linearizability
//! witnesses: every ciphertext decrypts, no unexpected error, and the audit
//! trail holds every call.
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
        manual_clock_start: Some(1_767_225_600),
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
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).unwrap();
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
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
    assert_eq!((s, v["Now"].as_u64()), (200, Some(1_767_225_600 + 86_400)));
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
