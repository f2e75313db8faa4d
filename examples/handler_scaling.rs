//! Throughput of the server's request path with 1 and 2 worker threads,
//! without the HTTP load generator (issue 17, item 3; `scripts/bench-server`).
//!
//! On a 2-core machine a load generator on the same machine takes about one
//! core itself (wrk: ~90 % of a core at 40k requests/s), so an HTTP figure
//! cannot show whether the server scales past one core. This drives
//! `ServerState::handle` (the JSON decode, the store's lock, the AES-GCM call,
//! the JSON encode: everything of a request but the socket) from T threads
//! for a bounded time, alternating Encrypt and Decrypt of 1 KiB, and prints
//! `RESULT calls_per_s_1 calls_per_s_2 ratio`.
//!
//! `cargo run --release --features server --example handler_scaling -- [--seconds 5]`
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::server::{ServerConfig, ServerState};
use std::sync::Arc;
use std::time::{Duration, Instant};

const JSON: &str = "application/x-amz-json-1.1";

fn call(s: &ServerState, op: &str, body: &str) -> serde_json::Value {
    let r = s.handle(
        Some(&format!("TrentService.{op}")),
        Some(JSON),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{op} failed");
    serde_json::from_slice(&r.body).expect("JSON")
}

/// Calls per second from `threads` threads for `seconds`.
fn run(state: &Arc<ServerState>, key: &str, ct: &str, threads: usize, seconds: u64) -> f64 {
    let pt = B64.encode([b'p'; 1024]);
    let enc = format!("{{\"KeyId\":\"{key}\",\"Plaintext\":\"{pt}\"}}");
    let dec = format!("{{\"CiphertextBlob\":\"{ct}\"}}");
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (state, enc, dec) = (state.clone(), enc.clone(), dec.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < end && n < 100_000_000 {
                    let (op, body) = if n.is_multiple_of(2) {
                        ("Encrypt", &enc)
                    } else {
                        ("Decrypt", &dec)
                    };
                    let r = state.handle(
                        Some(&format!("TrentService.{op}")),
                        Some(JSON),
                        body.as_bytes(),
                    );
                    assert_eq!(r.status, 200);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let calls: u64 = workers.into_iter().map(|w| w.join().expect("worker")).sum();
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut seconds = 5u64;
    while let Some(flag) = args.next() {
        match (
            flag.as_str(),
            args.next().and_then(|v| v.parse::<u64>().ok()),
        ) {
            ("--seconds", Some(v)) => seconds = v.clamp(1, 60),
            _ => {
                eprintln!("usage: handler_scaling [--seconds N]");
                std::process::exit(2);
            }
        }
    }
    let state = Arc::new(ServerState::new(&ServerConfig {
        manual_clock_start: Some(1_767_225_600),
        // The audit trail keeps a bounded number of records, as `serve` does.
        ..ServerConfig::default()
    }));
    let key = call(&state, "CreateKey", "{}")["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("KeyId")
        .to_string();
    let pt = B64.encode([b'p'; 1024]);
    let ct = call(
        &state,
        "Encrypt",
        &format!("{{\"KeyId\":\"{key}\",\"Plaintext\":\"{pt}\"}}"),
    )["CiphertextBlob"]
        .as_str()
        .expect("CiphertextBlob")
        .to_string();
    let one = run(&state, &key, &ct, 1, seconds);
    let two = run(&state, &key, &ct, 2, seconds);
    println!("RESULT {one:.0} {two:.0} {:.2}", two / one);
}
