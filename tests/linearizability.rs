//! Linearizability under load (issue 8, issue 17 item 3): concurrent clients
//! send random mixed operations and clock advances to the server, with calls
//! that overlap in time. Each call's invocation and response are stamped from
//! one shared counter (taken before the request is sent and after the response
//! is read), which gives the real-time order: a call precedes another iff it
//! returned before the other was invoked. The recorded history is then
//! checked by the Wing–Gong search (with Lowe's memoisation of visited
//! (linearized set, model state) pairs) for a total order that respects real
//! time and in which the model's `step` gives every answer the clients saw
//! (outcome class, exception, key state of DescribeKey, decrypted plaintext).
//! Nothing the server reports about its own ordering is used.
//!
//! Afterwards every key's state and every ciphertext agree with the model
//! state the linearization reached, and the audit trail holds exactly the
//! calls made. Two small hand-made histories show the checker can fail: a
//! Disable that returned before an Encrypt began, with the Encrypt accepted,
//! has no linearization; the same two calls overlapping have one.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::Rules;
use kms_lifecycle::server::{ServerConfig, spawn};
use kms_lifecycle_model as model;
use model::{Action, Ctx, KeyRef, OkSummary};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const START: u64 = kms_lifecycle::clock::DEFAULT_START;
const CLIENTS: usize = 8;
/// Each client makes at most this many ciphertexts (the model indexes them
/// with a u8).
const CTS_PER_CLIENT: usize = 15;

// ----- the checker: Wing–Gong search with memoisation ----------------------------

/// A sequential specification: the states an object may be in after `op`
/// answered `ret` (none if `ret` is not a possible answer).
trait Spec: Clone + Eq + Hash {
    type Op;
    type Ret;
    fn step(&self, op: &Self::Op, ret: &Self::Ret) -> Vec<Self>;
}

/// One completed call: invoked and returned at these stamps of one counter.
#[derive(Clone, Debug)]
struct Event<O, R> {
    client: usize,
    invoked: u64,
    returned: u64,
    op: O,
    ret: R,
}

#[derive(Debug)]
enum Verdict {
    /// A linearization: indices into the history, in order.
    Linearizable(Vec<usize>),
    /// No order exists; the longest linearizable prefix found, and the calls
    /// that could come next but whose answers the specification refuses.
    NotLinearizable {
        longest_prefix: usize,
        refused: Vec<usize>,
    },
    /// The search visited more than its bound of nodes.
    Undecided { visited: usize },
}

/// Wing and Gong's algorithm: depth-first over the calls that may come next
/// (invoked before every pending call returned), backtracking when the
/// specification refuses an answer; Lowe's cache of (linearized set, state)
/// pairs already explored keeps it polynomial on the histories met in
/// practice.
fn linearize<S: Spec>(init: &S, history: &[Event<S::Op, S::Ret>], max_nodes: usize) -> Verdict {
    let n = history.len();
    let mut by_invocation: Vec<usize> = (0..n).collect();
    by_invocation.sort_by_key(|&i| history[i].invoked);
    let words = n.div_ceil(64);
    let mut done = vec![0u64; words];
    let is_done = |d: &[u64], i: usize| d[i / 64] >> (i % 64) & 1 == 1;
    let candidates = |d: &[u64]| -> Vec<usize> {
        let pending = by_invocation.iter().copied().filter(|&i| !is_done(d, i));
        let first_return = pending.clone().map(|i| history[i].returned).min();
        match first_return {
            None => Vec::new(),
            Some(r) => pending.take_while(|&i| history[i].invoked < r).collect(),
        }
    };
    /// The (call, state after it) pairs still to try at one depth.
    struct Frame<S> {
        next: Vec<(usize, S)>,
    }
    let expand = |state: &S, d: &[u64]| -> Vec<(usize, S)> {
        let mut out = Vec::new();
        for c in candidates(d) {
            for s in state.step(&history[c].op, &history[c].ret) {
                out.push((c, s));
            }
        }
        out.reverse(); // popped from the end: try the earliest invoked first
        out
    };
    let mut seen: HashSet<(Vec<u64>, S)> = HashSet::new();
    let mut path: Vec<usize> = Vec::new();
    let mut longest = (0usize, Vec::new());
    let mut stack = vec![Frame {
        next: expand(init, &done),
    }];
    let mut visited = 0usize;
    while let Some(top) = stack.last_mut() {
        if path.len() == n {
            return Verdict::Linearizable(path);
        }
        match top.next.pop() {
            Some((c, state)) => {
                done[c / 64] |= 1 << (c % 64);
                if seen.insert((done.clone(), state.clone())) {
                    visited += 1;
                    if visited > max_nodes {
                        return Verdict::Undecided { visited };
                    }
                    path.push(c);
                    let next = expand(&state, &done);
                    if path.len() > longest.0 {
                        longest = (path.len(), Vec::new());
                    }
                    stack.push(Frame { next });
                } else {
                    done[c / 64] &= !(1 << (c % 64));
                }
            }
            None => {
                if path.len() == longest.0 && path.len() < n {
                    // Dead end at the deepest level: which calls were possible.
                    longest.1 = candidates(&done);
                }
                stack.pop();
                if let Some(c) = path.pop() {
                    done[c / 64] &= !(1 << (c % 64));
                }
            }
        }
    }
    Verdict::NotLinearizable {
        longest_prefix: longest.0,
        refused: longest.1,
    }
}

// ----- the KMS specification: the model ---------------------------------------

/// One call of the history, in terms the model understands.
#[derive(Clone, Debug)]
enum Op {
    Encrypt {
        key: usize,
        ctx: Ctx,
    },
    /// Decrypt of the ciphertext with this id (see [`Ret::Ciphertext`]),
    /// expecting the plaintext encrypted.
    Decrypt {
        blob: usize,
        ctx: Ctx,
        pt: Vec<u8>,
    },
    Enable(usize),
    Disable(usize),
    Schedule(usize),
    Cancel(usize),
    Rotate(usize),
    EnableRotation(usize),
    Describe(usize),
    Advance(u64),
}

/// What a call answered.
#[derive(Clone, Debug, PartialEq)]
enum Ret {
    Ok,
    /// Encrypt: the ciphertext, by its id in the history's blob table.
    Ciphertext(usize),
    Plaintext(Vec<u8>),
    KeyState(String),
    Exception(String),
}

/// The model's state, plus which of the history's ciphertexts are the
/// model's ciphertexts 0, 1, … in this linearization's order.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Model {
    state: model::State,
    blobs: Vec<usize>,
}

fn rules() -> model::Rules {
    model::Rules::current()
}

impl Spec for Model {
    type Op = Op;
    type Ret = Ret;
    fn step(&self, op: &Op, ret: &Ret) -> Vec<Model> {
        let action = match op {
            Op::Encrypt { key, ctx } => Action::Encrypt {
                key: KeyRef::Key(*key as u8),
                ctx: *ctx,
            },
            Op::Decrypt { blob, ctx, .. } => match self.blobs.iter().position(|b| b == blob) {
                Some(ct) => Action::Decrypt {
                    ct: ct as u8,
                    ctx: *ctx,
                    key: None,
                },
                // Not made yet in this order.
                None => return Vec::new(),
            },
            Op::Enable(k) => Action::EnableKey { key: *k as u8 },
            Op::Disable(k) => Action::DisableKey { key: *k as u8 },
            Op::Schedule(k) => Action::ScheduleKeyDeletion {
                key: *k as u8,
                window_days: Some(7),
            },
            Op::Cancel(k) => Action::CancelKeyDeletion { key: *k as u8 },
            Op::Rotate(k) => Action::RotateKeyOnDemand { key: *k as u8 },
            Op::EnableRotation(k) => Action::EnableKeyRotation {
                key: *k as u8,
                period_days: Some(90),
            },
            Op::Describe(k) => Action::DescribeKey {
                key: KeyRef::Key(*k as u8),
            },
            Op::Advance(s) => Action::Advance(*s),
        };
        let mut out = Vec::new();
        for (resp, next) in model::step(&rules(), &self.state, &action) {
            let mut blobs = self.blobs.clone();
            let fits = match (&resp.outcome, ret) {
                (Err(e), Ret::Exception(got)) => e.name() == got,
                (Ok(OkSummary::Encrypted { ct, .. }), Ret::Ciphertext(id)) => {
                    blobs.push(*id);
                    *ct as usize == blobs.len() - 1
                }
                (Ok(OkSummary::Decrypted { .. }), Ret::Plaintext(got)) => {
                    matches!(op, Op::Decrypt { pt, .. } if pt == got)
                }
                (Ok(OkSummary::Key { state, .. }), Ret::KeyState(got)) => state.name() == got,
                (Ok(_), Ret::Ok) => !matches!(
                    op,
                    Op::Encrypt { .. } | Op::Decrypt { .. } | Op::Describe(_)
                ),
                _ => false,
            };
            if fits {
                out.push(Model { state: next, blobs });
            }
        }
        out
    }
}

/// The model after the sequential setup: `keys` AWS_KMS keys, 0, 1, ….
fn initial(keys: usize) -> Model {
    let mut state = model::State::initial(0);
    for _ in 0..keys {
        let out = model::step(
            &rules(),
            &state,
            &Action::CreateKey {
                origin: model::Origin::AwsKms,
            },
        );
        state = out.into_iter().next().unwrap().1;
    }
    Model {
        state,
        blobs: Vec::new(),
    }
}

// ----- the checker can fail -----------------------------------------------------

fn event(client: usize, invoked: u64, returned: u64, op: Op, ret: Ret) -> Event<Op, Ret> {
    Event {
        client,
        invoked,
        returned,
        op,
        ret,
    }
}

#[test]
fn a_disable_that_returned_before_an_accepted_encrypt_is_not_linearizable() {
    let init = initial(1);
    // Disable returned (stamp 1) before Encrypt was invoked (stamp 2), yet
    // the Encrypt was accepted.
    let sequential = [
        event(0, 0, 1, Op::Disable(0), Ret::Ok),
        event(
            1,
            2,
            3,
            Op::Encrypt {
                key: 0,
                ctx: Ctx::A,
            },
            Ret::Ciphertext(0),
        ),
    ];
    match linearize(&init, &sequential, 1_000) {
        Verdict::NotLinearizable {
            longest_prefix,
            refused,
        } => {
            assert_eq!(longest_prefix, 1);
            assert_eq!(
                refused,
                vec![1],
                "the Encrypt is the call no order explains"
            );
        }
        v => panic!("expected no linearization, got {v:?}"),
    }
    // The same calls overlapping: the Encrypt may take effect first.
    let overlapping = [
        event(0, 0, 2, Op::Disable(0), Ret::Ok),
        event(
            1,
            1,
            3,
            Op::Encrypt {
                key: 0,
                ctx: Ctx::A,
            },
            Ret::Ciphertext(0),
        ),
    ];
    match linearize(&init, &overlapping, 1_000) {
        Verdict::Linearizable(order) => assert_eq!(order, vec![1, 0]),
        v => panic!("expected a linearization, got {v:?}"),
    }
    // A stale read: DescribeKey invoked after DisableKey returned, answering
    // Enabled; and a decrypt to a plaintext that was never encrypted.
    let stale = [
        event(0, 0, 1, Op::Disable(0), Ret::Ok),
        event(1, 2, 3, Op::Describe(0), Ret::KeyState("Enabled".into())),
    ];
    assert!(matches!(
        linearize(&init, &stale, 1_000),
        Verdict::NotLinearizable { .. }
    ));
    let wrong_plaintext = [
        event(
            0,
            0,
            1,
            Op::Encrypt {
                key: 0,
                ctx: Ctx::A,
            },
            Ret::Ciphertext(7),
        ),
        event(
            1,
            2,
            3,
            Op::Decrypt {
                blob: 7,
                ctx: Ctx::A,
                pt: b"made".to_vec(),
            },
            Ret::Plaintext(b"other".to_vec()),
        ),
    ];
    assert!(matches!(
        linearize(&init, &wrong_plaintext, 1_000),
        Verdict::NotLinearizable { .. }
    ));
}

// ----- the load -------------------------------------------------------------------

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

struct Answer {
    status: u16,
    body: Value,
}

impl Conn {
    fn new(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).expect("connect");
        // Generous: the final ListEvents returns the whole trail (debug build).
        s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
        Self {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }

    fn call(&mut self, target: &str, body: &Value) -> Answer {
        let body = body.to_string();
        let req = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).unwrap();
            if h == "\r\n" {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).unwrap();
        Answer {
            status,
            body: serde_json::from_slice(&buf).unwrap_or(Value::Null),
        }
    }
}

fn ctx_json(c: Ctx) -> Value {
    match c {
        Ctx::A => json!({"ab": "c"}),
        Ctx::B => json!({"a": "bc"}),
    }
}

/// Runs `op`; an Encrypt's ciphertext is returned beside the answer.
fn run_op(c: &mut Conn, keys: &[String], blobs: &[Vec<u8>], op: &Op) -> (Ret, Option<Vec<u8>>) {
    let (target, body) = match op {
        Op::Encrypt { key, ctx } => (
            "TrentService.Encrypt",
            json!({"KeyId": keys[*key], "Plaintext": B64.encode(plaintext(*key, blobs.len())), "EncryptionContext": ctx_json(*ctx)}),
        ),
        Op::Decrypt { blob, ctx, .. } => (
            "TrentService.Decrypt",
            json!({"CiphertextBlob": B64.encode(&blobs[*blob]), "EncryptionContext": ctx_json(*ctx)}),
        ),
        Op::Enable(k) => ("TrentService.EnableKey", json!({"KeyId": keys[*k]})),
        Op::Disable(k) => ("TrentService.DisableKey", json!({"KeyId": keys[*k]})),
        Op::Schedule(k) => (
            "TrentService.ScheduleKeyDeletion",
            json!({"KeyId": keys[*k], "PendingWindowInDays": 7}),
        ),
        Op::Cancel(k) => ("TrentService.CancelKeyDeletion", json!({"KeyId": keys[*k]})),
        Op::Rotate(k) => ("TrentService.RotateKeyOnDemand", json!({"KeyId": keys[*k]})),
        Op::EnableRotation(k) => (
            "TrentService.EnableKeyRotation",
            json!({"KeyId": keys[*k], "RotationPeriodInDays": 90}),
        ),
        Op::Describe(k) => ("TrentService.DescribeKey", json!({"KeyId": keys[*k]})),
        Op::Advance(s) => ("KmsLifecycle.AdvanceClock", json!({"Seconds": s})),
    };
    let a = c.call(target, &body);
    if a.status != 200 {
        return (
            Ret::Exception(a.body["__type"].as_str().unwrap_or("?").to_string()),
            None,
        );
    }
    match op {
        Op::Encrypt { .. } => {
            let blob = B64
                .decode(a.body["CiphertextBlob"].as_str().unwrap())
                .unwrap();
            (Ret::Ciphertext(usize::MAX), Some(blob))
        }
        Op::Decrypt { .. } => (
            Ret::Plaintext(B64.decode(a.body["Plaintext"].as_str().unwrap()).unwrap()),
            None,
        ),
        Op::Describe(_) => (
            Ret::KeyState(
                a.body["KeyMetadata"]["KeyState"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string(),
            ),
            None,
        ),
        _ => (Ret::Ok, None),
    }
}

/// The plaintext of a client's `n`-th ciphertext under key `key`.
fn plaintext(key: usize, n: usize) -> Vec<u8> {
    format!("key {key} secret {n}").into_bytes()
}

/// A small deterministic generator per client (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What one client recorded: its calls, with its own ciphertexts by local
/// index in `Ret::Ciphertext`/`Op::Decrypt` (renumbered globally after).
struct ClientLog {
    events: Vec<Event<Op, Ret>>,
    blobs: Vec<Vec<u8>>,
}

#[test]
fn concurrent_history_is_linearizable_against_the_model() {
    let secs: u64 = std::env::var("KMS_LINEARIZABILITY_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    // The count bound keeps `cargo test` short; raise it (with the seconds)
    // for a longer run.
    let max_calls_per_client: usize = std::env::var("KMS_LINEARIZABILITY_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let addr = spawn(ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        rules: Rules::current(),
        manual_clock_start: Some(START),
        // The trail is compared with every call made: keep all of it (the
        // clock moves years, and the calls may pass the default count).
        retention: kms_lifecycle::store::Retention {
            max_records: usize::MAX,
            max_age: u64::MAX,
            max_managed_keys: usize::MAX,
        },
        ..ServerConfig::default()
    })
    .unwrap();
    // Setup, sequentially: one key per client (model key index = client).
    let mut setup = Conn::new(addr);
    let mut keys = Vec::new();
    for _ in 0..CLIENTS {
        let a = setup.call("TrentService.CreateKey", &json!({}));
        assert_eq!(a.status, 200);
        keys.push(a.body["KeyMetadata"]["KeyId"].as_str().unwrap().to_string());
    }
    let stamps = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let deadline = began + Duration::from_secs(secs);
    let handles: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let keys = keys.clone();
            let stamps = stamps.clone();
            std::thread::spawn(move || {
                let mut c = Conn::new(addr);
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((client as u64 + 1) * 0x2545_F491));
                // This client's ciphertexts: (blob index, key, ctx).
                let mut mine: Vec<(usize, usize, Ctx)> = Vec::new();
                let mut log = ClientLog {
                    events: Vec::new(),
                    blobs: Vec::new(),
                };
                while Instant::now() < deadline && log.events.len() < max_calls_per_client {
                    let r = rng.below(100);
                    // Keys shared by neighbouring clients, so that calls on
                    // one key overlap.
                    let shared = (client + rng.below(2) as usize) % CLIENTS;
                    let ctx = if rng.below(4) == 0 { Ctx::B } else { Ctx::A };
                    let op = match r {
                        0..=29 if mine.len() < CTS_PER_CLIENT => Op::Encrypt { key: shared, ctx },
                        0..=54 if !mine.is_empty() => {
                            let (blob, key, right) = mine[rng.below(mine.len() as u64) as usize];
                            let ctx = if rng.below(8) == 0 {
                                if right == Ctx::A { Ctx::B } else { Ctx::A }
                            } else {
                                right
                            };
                            Op::Decrypt {
                                blob,
                                ctx,
                                pt: plaintext(key, blob),
                            }
                        }
                        55..=61 => Op::Disable(shared),
                        62..=69 => Op::Enable(shared),
                        70..=72 => Op::Schedule(shared),
                        73..=76 => Op::Cancel(shared),
                        77..=80 => Op::Rotate(shared),
                        81..=83 => Op::EnableRotation(shared),
                        84..=93 if client != 0 => Op::Describe(shared),
                        _ if client == 0 => {
                            Op::Advance([60, 3_600, 86_400, 3 * 86_400][rng.below(4) as usize])
                        }
                        _ => Op::Describe(shared),
                    };
                    let invoked = stamps.fetch_add(1, Ordering::SeqCst);
                    let (mut ret, blob) = run_op(&mut c, &keys, &log.blobs, &op);
                    let returned = stamps.fetch_add(1, Ordering::SeqCst);
                    if let (Op::Encrypt { key, ctx }, Some(blob)) = (&op, blob) {
                        ret = Ret::Ciphertext(log.blobs.len());
                        mine.push((log.blobs.len(), *key, *ctx));
                        log.blobs.push(blob);
                    }
                    log.events.push(event(client, invoked, returned, op, ret));
                }
                log
            })
        })
        .collect();
    let logs: Vec<ClientLog> = handles
        .into_iter()
        .map(|h| h.join().expect("client"))
        .collect();
    let elapsed = began.elapsed().as_secs_f64();
    // Renumber every client's ciphertexts into one table.
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    let mut history: Vec<Event<Op, Ret>> = Vec::new();
    for log in logs {
        let base = blobs.len();
        for mut e in log.events {
            if let Op::Decrypt { blob, .. } = &mut e.op {
                *blob += base;
            }
            if let Ret::Ciphertext(id) = &mut e.ret {
                *id += base;
            }
            history.push(e);
        }
        blobs.extend(log.blobs);
    }
    let total = history.len();
    assert!(total > 500, "the load did real work: {total} calls");
    // Calls that overlap a call of another client: what makes the check more
    // than a replay.
    let overlapping = history
        .iter()
        .filter(|a| {
            history
                .iter()
                .any(|b| a.client != b.client && a.invoked < b.returned && b.invoked < a.returned)
        })
        .count();
    assert!(
        overlapping * 2 > total,
        "most calls overlap another client's: {overlapping} of {total}"
    );

    let checked = Instant::now();
    let init = initial(CLIENTS);
    let order = match linearize(&init, &history, 5_000_000) {
        Verdict::Linearizable(order) => order,
        Verdict::Undecided { visited } => {
            panic!("the search gave up after {visited} nodes: raise its bound or shorten the run")
        }
        v => panic!("the server's history is not linearizable against the model: {v:?}"),
    };
    let search_secs = checked.elapsed().as_secs_f64();
    // The model state at the end of the linearization found.
    let mut spec = init;
    for &i in &order {
        spec = spec
            .step(&history[i].op, &history[i].ret)
            .into_iter()
            .next()
            .unwrap();
    }
    let advances = history
        .iter()
        .filter(|e| matches!(e.op, Op::Advance(_)))
        .count();
    assert!(advances > 0, "the clock moved during the run");

    // Final state: keys and every ciphertext, and the audit trail.
    let mut c = Conn::new(addr);
    for (i, id) in keys.iter().enumerate() {
        let obs = model::observe(&spec.state, i);
        let a = c.call("TrentService.DescribeKey", &json!({"KeyId": id}));
        if obs.state == model::KeyState::Deleted {
            assert_eq!(a.body["__type"], "NotFoundException", "key {i}");
        } else {
            assert_eq!(
                a.body["KeyMetadata"]["KeyState"],
                obs.state.name(),
                "key {i}"
            );
        }
    }
    let index: HashMap<usize, usize> = spec
        .blobs
        .iter()
        .enumerate()
        .map(|(ct, b)| (*b, ct))
        .collect();
    assert_eq!(
        index.len(),
        blobs.len(),
        "every ciphertext made is in the model"
    );
    for (b, blob) in blobs.iter().enumerate() {
        let ct = index[&b];
        let ctx = history
            .iter()
            .find_map(|e| match (&e.op, &e.ret) {
                (Op::Encrypt { ctx, .. }, Ret::Ciphertext(id)) if *id == b => Some(*ctx),
                _ => None,
            })
            .unwrap();
        let want = model::decrypt_outcome(&spec.state, ct, ctx);
        let a = c.call(
            "TrentService.Decrypt",
            &json!({"CiphertextBlob": B64.encode(blob), "EncryptionContext": ctx_json(ctx)}),
        );
        match want {
            Ok(_) => assert_eq!(a.status, 200, "ciphertext {b}"),
            Err(e) => assert_eq!(a.body["__type"], e.name(), "ciphertext {b}"),
        }
    }
    // ListEvents pages (1000 records each).
    let mut calls_in_trail = 0;
    let mut marker: Option<String> = None;
    loop {
        let mut q = json!({"Limit": 1000});
        if let Some(m) = &marker {
            q["Marker"] = json!(m);
        }
        let a = c.call("KmsLifecycle.ListEvents", &q);
        calls_in_trail += a.body["Events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("InvokedBy").is_none())
            .count();
        match a.body["NextMarker"].as_str() {
            Some(m) => marker = Some(m.to_string()),
            None => break,
        }
    }
    let kms_calls = total - advances + CLIENTS; // + the setup CreateKeys
    let final_checks = keys.len() + blobs.len();
    assert_eq!(
        calls_in_trail,
        kms_calls + final_checks,
        "the audit trail holds every call"
    );
    eprintln!(
        "linearizability: {total} calls from {CLIENTS} clients in {elapsed:.1} s ({:.0} calls/s; bounds {secs} s and {max_calls_per_client} calls per client), {overlapping} overlapping another client's call, {} ciphertexts, {advances} clock advances; a linearization against the model found in {search_secs:.2} s",
        total as f64 / elapsed,
        blobs.len()
    );
}
