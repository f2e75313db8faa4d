//! The stall probe of `scripts/bench-server` (issue 17, item 3): how long
//! DescribeKey takes against a running `kms-lifecycle serve`, first alone,
//! then while `--importers` other connections ask for RSA_4096 wrapping keys
//! (GetParametersForImport) in a loop. Prints one `RESULT` line:
//! `RESULT idle_p50_ms idle_p99_ms loaded_p50_ms loaded_p99_ms describes wrapping_keys`.
//!
//! `cargo run --release --example stall_probe -- 127.0.0.1:4599 [--seconds 10] [--importers 2]`
//!
//! Bounded: each phase lasts `--seconds` (at most 120) and stops by itself.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn new(addr: &str) -> Conn {
        let s = TcpStream::connect(addr).expect("connect to the server");
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        Conn {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }

    /// One call; the status and the body.
    fn call(&mut self, op: &str, body: &str) -> (u16, String) {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: TrentService.{op}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut len = 0;
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).unwrap();
            if h == "\r\n" || h.is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).unwrap();
        (status, String::from_utf8_lossy(&buf).into_owned())
    }
}

fn key_id(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("JSON");
    v["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("KeyId")
        .to_string()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// DescribeKey latencies (ms, sorted) for `seconds`.
fn describe_for(c: &mut Conn, key: &str, seconds: u64) -> Vec<f64> {
    let body = format!("{{\"KeyId\":\"{key}\"}}");
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut lat = Vec::new();
    while Instant::now() < end && lat.len() < 2_000_000 {
        let t = Instant::now();
        let (status, _) = c.call("DescribeKey", &body);
        assert_eq!(status, 200, "DescribeKey failed");
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        // About 1,000 calls a second: a latency probe, not a load.
        std::thread::sleep(Duration::from_micros(900));
    }
    lat.sort_by(f64::total_cmp);
    lat
}

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4599".into());
    let (mut seconds, mut importers) = (10u64, 2usize);
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--seconds", Some(v)) => seconds = v.clamp(1, 120),
            ("--importers", Some(v)) => importers = v.clamp(1, 16) as usize,
            _ => {
                eprintln!("usage: stall_probe ADDR [--seconds N] [--importers N]");
                std::process::exit(2);
            }
        }
    }
    let mut c = Conn::new(&addr);
    let key = key_id(&c.call("CreateKey", "{}").1);
    let idle = describe_for(&mut c, &key, seconds);

    let stop = Arc::new(AtomicBool::new(false));
    let generated = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..importers)
        .map(|_| {
            let (addr, stop, generated) = (addr.clone(), stop.clone(), generated.clone());
            std::thread::spawn(move || {
                let mut c = Conn::new(&addr);
                let key = key_id(&c.call("CreateKey", "{\"Origin\":\"EXTERNAL\"}").1);
                let body = format!(
                    "{{\"KeyId\":\"{key}\",\"WrappingAlgorithm\":\"RSAES_OAEP_SHA_256\",\"WrappingKeySpec\":\"RSA_4096\"}}"
                );
                while !stop.load(Ordering::Relaxed) {
                    let (status, _) = c.call("GetParametersForImport", &body);
                    assert_eq!(status, 200, "GetParametersForImport failed");
                    generated.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Let the importers' first requests reach the generator.
    std::thread::sleep(Duration::from_millis(200));
    let loaded = describe_for(&mut c, &key, seconds);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("importer");
    }
    println!(
        "RESULT {:.3} {:.3} {:.3} {:.3} {} {}",
        percentile(&idle, 0.5),
        percentile(&idle, 0.99),
        percentile(&loaded, 0.5),
        percentile(&loaded, 0.99),
        loaded.len(),
        generated.load(Ordering::Relaxed)
    );
}
