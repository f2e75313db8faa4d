//! The memory soak of issue 17, item 4 (ignored by default: run it with
//! `cargo test --all-features --test soak -- --ignored --nocapture`).
//!
//! Starts the real binary (in memory, or on a data directory with
//! `SOAK_DATA_DIR=1`) with `--max-events 20000`, runs [`CLIENTS`] clients at
//! full speed for `SOAK_SECS` seconds (default 60): Encrypt, Decrypt,
//! DescribeKey of missing aliases, ListAliases with a 64 KiB marker it cannot
//! read (its echo is cut), DisableKey of a key pending deletion (an alarm),
//! ListEvents pages. It samples the server's resident set size every 5 s and
//! prints it; after warm-up (the first half) it must stay within 20 %.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.set_nodelay(true).unwrap();
        Self {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }
    fn call(&mut self, target: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let req = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut len = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).unwrap();
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
    }
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
#[ignore = "a 60 s soak: run it by hand (docs in the file)"]
fn memory_is_flat_under_16_clients_at_full_speed() {
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let base = std::env::temp_dir().join(format!("kms-soak-{}", std::process::id()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kms-lifecycle"));
    cmd.args(["serve", "--addr", &addr.to_string(), "--clock", "manual"])
        .args(["--max-events", "20000"]);
    let durable = std::env::var("SOAK_DATA_DIR").is_ok_and(|v| v == "1");
    if durable {
        cmd.arg("--data-dir")
            .arg(base.join("data"))
            .arg("--root-key-file")
            .arg(base.join("root.key"));
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let t0 = Instant::now();
    let mut setup = loop {
        if let Ok(s) = TcpStream::connect(addr) {
            drop(s);
            break Conn::new(addr);
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let doomed = setup.call("TrentService.CreateKey", &json!({})).1["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    setup.call(
        "TrentService.ScheduleKeyDeletion",
        &json!({"KeyId": doomed, "PendingWindowInDays": 30}),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let stop = stop.clone();
            let calls = calls.clone();
            let doomed = doomed.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let (_, v) = conn.call("TrentService.CreateKey", &json!({}));
                let key = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
                let marker = "M".repeat(64 * 1024);
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let (st, v) = conn.call(
                        "TrentService.Encrypt",
                        &json!({"KeyId": key, "Plaintext": B64.encode(format!("{c}-{i}"))}),
                    );
                    assert_eq!(st, 200, "{v}");
                    let (st, _) = conn.call(
                        "TrentService.Decrypt",
                        &json!({"CiphertextBlob": v["CiphertextBlob"]}),
                    );
                    assert_eq!(st, 200);
                    conn.call(
                        "TrentService.DescribeKey",
                        &json!({"KeyId": format!("alias/missing-{c}-{i}")}),
                    );
                    if i.is_multiple_of(4) {
                        let (st, _) =
                            conn.call("TrentService.ListAliases", &json!({"Marker": marker}));
                        assert_eq!(st, 400);
                        conn.call("TrentService.DisableKey", &json!({"KeyId": doomed}));
                        conn.call("KmsLifecycle.ListEvents", &json!({"Limit": 100}));
                    }
                    calls.fetch_add(if i.is_multiple_of(4) { 6 } else { 3 }, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(5));
        let s = (
            start.elapsed().as_secs(),
            rss_kib(pid),
            calls.load(Ordering::Relaxed),
        );
        let db = std::fs::metadata(base.join("data").join("kms.redb")).map_or(0, |m| m.len());
        if durable {
            eprintln!(
                "t={:>3} s  RSS {:>7} KiB  calls {:>9}  kms.redb {:>9} bytes",
                s.0, s.1, s.2, db
            );
        } else {
            eprintln!("t={:>3} s  RSS {:>7} KiB  calls {:>9}", s.0, s.1, s.2);
        }
        samples.push(s);
    }
    stop.store(true, Ordering::SeqCst);
    for h in handles {
        h.join().unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&base);
    let total = calls.load(Ordering::Relaxed);
    eprintln!(
        "soak: {CLIENTS} clients, {secs} s, {total} calls ({:.0}/s), store {}",
        total as f64 / secs as f64,
        if durable { "on disk" } else { "in memory" }
    );
    let half = samples.len() / 2;
    let warm = samples[half.saturating_sub(1)].1;
    let max_after = samples[half..].iter().map(|s| s.1).max().unwrap();
    assert!(
        (max_after as f64) <= warm as f64 * 1.2,
        "RSS grew after warm-up: {warm} KiB at {} s, {max_after} KiB later",
        samples[half.saturating_sub(1)].0
    );
}
