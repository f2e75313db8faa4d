//! The crash test of `serve --data-dir` (issue 17, item 2).
//!
//! A bounded loop: start the real binary on one data directory, run a mixed
//! concurrent load (create, encrypt, rotate, disable, enable, schedule and
//! cancel deletion, import, aliases, clock moves) from [`WORKERS`] clients,
//! SIGKILL the server at a random moment, restart it on the same directory,
//! and check that every acknowledged call's effect is there:
//!
//! - every acknowledged key exists, in the state its acknowledged calls left
//!   it in, or in the state the one call in flight at the kill (if any) would
//!   have left it in;
//! - its on-demand rotation count is that of its acknowledged rotations (plus
//!   possibly the one in flight);
//! - every acknowledged alias exists and names its key, every acknowledged
//!   DeleteAlias holds;
//! - imported material is there (the key is Enabled and decrypts);
//! - every acknowledged ciphertext decrypts to its plaintext;
//! - the manual clock is at least the sum of acknowledged advances and at
//!   most that plus the one in flight.
//!
//! Each client works on its own keys and makes one call at a time, so the
//! acknowledged history plus at most one call in flight per client is the
//! whole history: the state checked is that of a prefix of the history that
//! contains every acknowledged call (the in-flight calls included or not,
//! each independently). This is checked by the per-key expectations above,
//! not by replaying the model crate's `step`.
//!
//! `CRASH_CYCLES` (default 10) sets the number of kill/restart cycles;
//! `CRASH_SEED` the random seed (default: from the OS). The documented run
//! (SECURITY.md) is `CRASH_CYCLES=100`.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::api::WrappingAlgorithm;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WORKERS: usize = 4;
const START: u64 = kms_lifecycle::clock::DEFAULT_START;
/// Keys a client keeps working on; older ones are left alone (still checked).
const LIVE_KEYS: usize = 6;

/// A small deterministic PRNG (xorshift64*), seeded per cycle and client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One HTTP/1.1 call on a fresh connection. `Err` when no complete answer
/// came back (the server died): the call's outcome is then unknown.
fn call(addr: SocketAddr, target: &str, body: &Value) -> Result<(u16, Value), String> {
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let body = body.to_string();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&resp);
    let (head, payload) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no status")?;
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .ok_or("no content-length")?;
    if payload.len() != len {
        return Err("truncated body".into());
    }
    let v = serde_json::from_str(payload).map_err(|e| e.to_string())?;
    Ok((status, v))
}

fn kms(addr: SocketAddr, op: &str, body: Value) -> Result<(u16, Value), String> {
    call(addr, &format!("TrentService.{op}"), &body)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
}

impl St {
    fn parse(s: &str) -> Option<St> {
        Some(match s {
            "Enabled" => St::Enabled,
            "Disabled" => St::Disabled,
            "PendingDeletion" => St::PendingDeletion,
            "PendingImport" => St::PendingImport,
            _ => return None,
        })
    }
}

/// What the acknowledged calls say about one key.
#[derive(Clone, Debug)]
struct KeyModel {
    id: String,
    external: bool,
    state: St,
    rotations: usize,
    blobs: Vec<(String, Vec<u8>)>,
    aliases: BTreeSet<String>,
}

/// The call in flight when the server died, and what it would have changed.
#[derive(Clone, Debug)]
enum InFlight {
    State(usize, St),
    Rotate(usize),
    AliasCreate(usize, String),
    AliasDelete(usize, String),
    Clock(u64),
    /// No effect to check (an Encrypt, or a CreateKey whose id is unknown).
    Nothing,
}

#[derive(Default)]
struct Client {
    keys: Vec<KeyModel>,
    in_flight: Option<InFlight>,
    acked: u64,
    deleted_aliases: BTreeSet<String>,
}

struct Shared {
    addr: SocketAddr,
    stop: AtomicBool,
    clock_acked: AtomicU64,
}

/// One client's load until the server dies or `stop`.
fn work(sh: &Shared, c: &mut Client, rng: &mut Rng, worker: usize) {
    let addr = sh.addr;
    let mut alias_n = rng.next() % 1_000_000;
    while !sh.stop.load(Ordering::SeqCst) {
        let live_from = c.keys.len().saturating_sub(LIVE_KEYS);
        let pick = |rng: &mut Rng, c: &Client| -> Option<usize> {
            (c.keys.len() > live_from)
                .then(|| live_from + rng.below((c.keys.len() - live_from) as u64) as usize)
        };
        let choice = rng.below(100);
        let r: Result<(), ()> = (|| {
            let fail = |c: &mut Client, f: InFlight| {
                c.in_flight = Some(f);
            };
            match (choice, pick(rng, c)) {
                (0..=9, _) | (_, None) => {
                    c.in_flight = Some(InFlight::Nothing);
                    let (st, v) = kms(
                        addr,
                        "CreateKey",
                        json!({"Description": format!("w{worker}")}),
                    )
                    .map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    c.keys.push(KeyModel {
                        id: v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string(),
                        external: false,
                        state: St::Enabled,
                        rotations: 0,
                        blobs: vec![],
                        aliases: BTreeSet::new(),
                    });
                }
                (10..=12, _) => {
                    // An imported key: create, parameters, import.
                    c.in_flight = Some(InFlight::Nothing);
                    let (st, v) =
                        kms(addr, "CreateKey", json!({"Origin": "EXTERNAL"})).map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    let id = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
                    c.keys.push(KeyModel {
                        id: id.clone(),
                        external: true,
                        state: St::PendingImport,
                        rotations: 0,
                        blobs: vec![],
                        aliases: BTreeSet::new(),
                    });
                    let i = c.keys.len() - 1;
                    let (st, p) = kms(
                        addr,
                        "GetParametersForImport",
                        json!({"KeyId": id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
                    )
                    .map_err(|_| ())?;
                    assert_eq!(st, 200, "{p}");
                    let mut material = [0u8; 32];
                    for b in material.iter_mut() {
                        *b = rng.next() as u8;
                    }
                    let wrapped = kms_lifecycle::import::wrap_key_material(
                        &B64.decode(p["PublicKey"].as_str().unwrap()).unwrap(),
                        WrappingAlgorithm::RsaesOaepSha256,
                        &material,
                    )
                    .unwrap();
                    fail(c, InFlight::State(i, St::Enabled));
                    let (st, v) = kms(
                        addr,
                        "ImportKeyMaterial",
                        json!({"KeyId": id, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": B64.encode(wrapped),
                               "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
                    )
                    .map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    c.keys[i].state = St::Enabled;
                }
                (13..=49, Some(i)) => {
                    if c.keys[i].state != St::Enabled {
                        return Ok(());
                    }
                    let pt = format!("w{worker}-{}", rng.next()).into_bytes();
                    fail(c, InFlight::Nothing);
                    let (st, v) = kms(
                        addr,
                        "Encrypt",
                        json!({"KeyId": c.keys[i].id, "Plaintext": B64.encode(&pt)}),
                    )
                    .map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    let blob = v["CiphertextBlob"].as_str().unwrap().to_string();
                    if c.keys[i].blobs.len() < 20 {
                        c.keys[i].blobs.push((blob, pt));
                    }
                }
                (50..=59, Some(i)) => {
                    let k = &c.keys[i];
                    if k.state != St::Enabled || k.external || k.rotations >= 8 {
                        return Ok(());
                    }
                    fail(c, InFlight::Rotate(i));
                    let (st, v) = kms(addr, "RotateKeyOnDemand", json!({"KeyId": c.keys[i].id}))
                        .map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    c.keys[i].rotations += 1;
                }
                (60..=69, Some(i)) => {
                    let (op, next) = match c.keys[i].state {
                        St::Enabled => ("DisableKey", St::Disabled),
                        St::Disabled => ("EnableKey", St::Enabled),
                        St::PendingDeletion => ("CancelKeyDeletion", St::Disabled),
                        St::PendingImport => return Ok(()),
                    };
                    fail(c, InFlight::State(i, next));
                    let (st, v) = kms(addr, op, json!({"KeyId": c.keys[i].id})).map_err(|_| ())?;
                    assert_eq!(st, 200, "{op}: {v}");
                    c.keys[i].state = next;
                }
                (70..=74, Some(i)) => {
                    if !matches!(c.keys[i].state, St::Enabled | St::Disabled) {
                        return Ok(());
                    }
                    fail(c, InFlight::State(i, St::PendingDeletion));
                    let (st, v) = kms(
                        addr,
                        "ScheduleKeyDeletion",
                        json!({"KeyId": c.keys[i].id, "PendingWindowInDays": 30}),
                    )
                    .map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    c.keys[i].state = St::PendingDeletion;
                }
                (75..=84, Some(i)) => {
                    if c.keys[i].state == St::PendingDeletion {
                        return Ok(());
                    }
                    alias_n += 1;
                    let name = format!("alias/crash-w{worker}-{alias_n}");
                    fail(c, InFlight::AliasCreate(i, name.clone()));
                    let (st, v) = kms(
                        addr,
                        "CreateAlias",
                        json!({"AliasName": name, "TargetKeyId": c.keys[i].id}),
                    )
                    .map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    c.keys[i].aliases.insert(name);
                }
                (85..=89, Some(i)) => {
                    let Some(name) = c.keys[i].aliases.iter().next().cloned() else {
                        return Ok(());
                    };
                    fail(c, InFlight::AliasDelete(i, name.clone()));
                    let (st, v) =
                        kms(addr, "DeleteAlias", json!({"AliasName": name})).map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    c.keys[i].aliases.remove(&name);
                    c.deleted_aliases.insert(name);
                }
                (90..=94, _) if worker == 0 => {
                    // Small moves only: no deletion (30 days) or rotation
                    // falls due within a run.
                    let secs = 1 + rng.below(120);
                    fail(c, InFlight::Clock(secs));
                    let (st, v) =
                        call(addr, "KmsLifecycle.AdvanceClock", &json!({"Seconds": secs}))
                            .map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                    sh.clock_acked.fetch_add(secs, Ordering::SeqCst);
                }
                _ => {
                    fail(c, InFlight::Nothing);
                    let (st, v) = kms(addr, "ListAliases", json!({"Limit": 10})).map_err(|_| ())?;
                    assert_eq!(st, 200, "{v}");
                }
            }
            c.in_flight = None;
            c.acked += 1;
            Ok(())
        })();
        if r.is_err() {
            return;
        }
    }
}

/// Kills the server when the test ends, even by a panic.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn start_server(data: &Path, root: &Path) -> (Child, SocketAddr) {
    for _ in 0..20 {
        let addr = free_addr();
        let child = Command::new(env!("CARGO_BIN_EXE_kms-lifecycle"))
            .args([
                "serve",
                "--addr",
                &addr.to_string(),
                "--clock",
                "manual",
                "--start",
            ])
            .arg(START.to_string())
            .arg("--data-dir")
            .arg(data)
            .arg("--root-key-file")
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        let mut child = child;
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(60) {
            if let Ok((200, _)) = call(addr, "KmsLifecycle.GetClock", &json!({})) {
                return (child, addr);
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                if err.contains("Address already in use")
                    || err.contains("in use") && !err.contains("another server")
                {
                    break; // port race: try another
                }
                panic!("the server exited with {status} on restart: {err}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("the server did not start");
}

/// Checks the restarted store against every client's acknowledged calls and
/// the call it had in flight; then adopts what was observed for in-flight
/// calls. Returns the number of facts checked.
fn verify(
    addr: SocketAddr,
    clients: &mut [Client],
    clock_acked: u64,
    clock_in_flight: u64,
) -> usize {
    let mut checked = 0;
    let (st, v) = call(addr, "KmsLifecycle.GetClock", &json!({})).unwrap();
    assert_eq!(st, 200);
    let now = v["Now"].as_u64().unwrap();
    assert!(
        now >= START + clock_acked && now <= START + clock_acked + clock_in_flight,
        "clock {now}: acknowledged advances {clock_acked}, in flight {clock_in_flight}"
    );
    checked += 1;
    // Every alias, by name.
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let mut body = json!({"Limit": 100});
        if let Some(m) = &marker {
            body["Marker"] = json!(m);
        }
        let (st, v) = kms(addr, "ListAliases", body).unwrap();
        assert_eq!(st, 200, "{v}");
        for a in v["Aliases"].as_array().unwrap() {
            if let Some(t) = a["TargetKeyId"].as_str() {
                aliases.insert(a["AliasName"].as_str().unwrap().to_string(), t.to_string());
            }
        }
        match v["NextMarker"].as_str() {
            Some(m) if v["Truncated"] == true => marker = Some(m.to_string()),
            _ => break,
        }
    }
    for c in clients.iter_mut() {
        let flight = c.in_flight.take();
        for (i, k) in c.keys.iter_mut().enumerate() {
            let (st, d) = kms(addr, "DescribeKey", json!({"KeyId": k.id})).unwrap();
            assert_eq!(st, 200, "an acknowledged key is missing: {d}");
            let got = St::parse(d["KeyMetadata"]["KeyState"].as_str().unwrap()).unwrap();
            match &flight {
                Some(InFlight::State(j, next)) if *j == i => {
                    assert!(
                        got == k.state || got == *next,
                        "key {}: {got:?}, expected {:?} or {next:?}",
                        k.id,
                        k.state
                    );
                    k.state = got;
                }
                _ => assert_eq!(got, k.state, "key {}", k.id),
            }
            checked += 1;
            if !k.external && k.state != St::PendingDeletion {
                let (st, r) = kms(
                    addr,
                    "ListKeyRotations",
                    json!({"KeyId": k.id, "Limit": 1000}),
                )
                .unwrap();
                assert_eq!(st, 200, "{r}");
                let n = r["Rotations"].as_array().unwrap().len();
                match &flight {
                    Some(InFlight::Rotate(j)) if *j == i => {
                        assert!(
                            n == k.rotations || n == k.rotations + 1,
                            "key {}: {n} rotations",
                            k.id
                        );
                        k.rotations = n;
                    }
                    _ => assert_eq!(n, k.rotations, "key {} rotations", k.id),
                }
                checked += 1;
            }
            match &flight {
                Some(InFlight::AliasCreate(j, name)) | Some(InFlight::AliasDelete(j, name))
                    if *j == i =>
                {
                    if aliases.contains_key(name) {
                        k.aliases.insert(name.clone());
                    } else {
                        k.aliases.remove(name);
                    }
                }
                _ => {}
            }
            for a in &k.aliases {
                assert_eq!(aliases.get(a), Some(&k.id), "alias {a} of key {}", k.id);
                checked += 1;
            }
            // Every ciphertext decrypts: bring the key back to Enabled first.
            if !k.blobs.is_empty() && k.state != St::Enabled {
                if k.state == St::PendingDeletion {
                    let (st, v) = kms(addr, "CancelKeyDeletion", json!({"KeyId": k.id})).unwrap();
                    assert_eq!(st, 200, "{v}");
                }
                let (st, v) = kms(addr, "EnableKey", json!({"KeyId": k.id})).unwrap();
                assert_eq!(st, 200, "{v}");
                k.state = St::Enabled;
            }
            for (blob, pt) in &k.blobs {
                let (st, v) = kms(addr, "Decrypt", json!({"CiphertextBlob": blob})).unwrap();
                assert_eq!(st, 200, "an acknowledged ciphertext does not decrypt: {v}");
                assert_eq!(&B64.decode(v["Plaintext"].as_str().unwrap()).unwrap(), pt);
                checked += 1;
            }
        }
        // No alias whose DeleteAlias was acknowledged is back.
        if let Some(InFlight::AliasDelete(_, name)) = &flight
            && !aliases.contains_key(name)
        {
            c.deleted_aliases.insert(name.clone());
        }
        for name in &c.deleted_aliases {
            assert!(!aliases.contains_key(name), "deleted alias {name} is back");
            checked += 1;
        }
    }
    checked
}

#[test]
fn kill_restart_cycles_lose_no_acknowledged_call() {
    let cycles: usize = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).unwrap();
            u64::from_le_bytes(b) | 1
        });
    eprintln!("crash test: {cycles} cycles, CRASH_SEED={seed}");
    let mut dir_name = [0u8; 8];
    getrandom::fill(&mut dir_name).unwrap();
    let base: PathBuf = std::env::temp_dir().join(format!(
        "kms-crash-{}-{}",
        std::process::id(),
        u64::from_le_bytes(dir_name)
    ));
    std::fs::create_dir_all(&base).unwrap();
    let data = base.join("data");
    let root = base.join("root.key");
    let mut rng = Rng(seed);
    let mut clients: Vec<Client> = (0..WORKERS).map(|_| Client::default()).collect();
    let mut clock_acked = 0u64;
    let mut total_acked = 0u64;
    let mut total_checked = 0usize;
    let mut in_flight_at_kill = 0usize;
    let t0 = Instant::now();
    let (child, mut addr) = start_server(&data, &root);
    let mut server = Server(child);
    for cycle in 0..cycles {
        let shared = Arc::new(Shared {
            addr,
            stop: AtomicBool::new(false),
            clock_acked: AtomicU64::new(0),
        });
        let taken: Vec<Client> = std::mem::take(&mut clients);
        let handles: Vec<_> = taken
            .into_iter()
            .enumerate()
            .map(|(w, mut c)| {
                let sh = shared.clone();
                let mut r = Rng(rng.next() | 1);
                std::thread::spawn(move || {
                    work(&sh, &mut c, &mut r, w);
                    c
                })
            })
            .collect();
        // Kill at a random moment of the load.
        let wait = 50 + rng.below(650);
        std::thread::sleep(Duration::from_millis(wait));
        server.0.kill().expect("SIGKILL the server");
        let _ = server.0.wait();
        shared.stop.store(true, Ordering::SeqCst);
        let results: Arc<Mutex<Vec<Client>>> = Arc::new(Mutex::new(Vec::new()));
        for h in handles {
            results
                .lock()
                .unwrap()
                .push(h.join().expect("a client panicked"));
        }
        clients = std::mem::take(&mut *results.lock().unwrap());
        clock_acked += shared.clock_acked.load(Ordering::SeqCst);
        let clock_in_flight = match &clients[0].in_flight {
            Some(InFlight::Clock(s)) => *s,
            _ => 0,
        };
        in_flight_at_kill += clients.iter().filter(|c| c.in_flight.is_some()).count();
        let (c2, a2) = start_server(&data, &root);
        server = Server(c2);
        addr = a2;
        total_checked += verify(addr, &mut clients, clock_acked, clock_in_flight);
        // The clock as observed becomes the acknowledged one.
        let (_, v) = call(addr, "KmsLifecycle.GetClock", &json!({})).unwrap();
        clock_acked = v["Now"].as_u64().unwrap() - START;
        let acked: u64 = clients.iter().map(|c| c.acked).sum();
        eprintln!(
            "cycle {}: killed after {wait} ms, {} acknowledged calls so far, {} keys, {} facts checked",
            cycle + 1,
            acked,
            clients.iter().map(|c| c.keys.len()).sum::<usize>(),
            total_checked
        );
        total_acked = acked;
    }
    drop(server);
    eprintln!(
        "crash test: {cycles} kill/restart cycles in {:.1} s, {total_acked} acknowledged calls, {in_flight_at_kill} calls in flight at a kill, {total_checked} facts checked, 0 lost",
        t0.elapsed().as_secs_f64()
    );
    assert!(total_acked > 0);
    let _ = std::fs::remove_dir_all(&base);
}
