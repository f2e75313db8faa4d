//! Entry points of the fuzz targets (`fuzz/`), kept in the library so that
//! `tests/fuzz_corpus.rs` replays every committed corpus file through exactly
//! the same code on stable Rust in `cargo test`. Each must never panic,
//! whatever the bytes.
#![doc(hidden)]

use crate::api::*;
use crate::import::WrappingKeyPool;
use crate::store::Kms;
use crate::{ManualClock, Rules};
use std::sync::{LazyLock, Mutex};

struct World {
    kms: Kms,
    clock: ManualClock,
    keys: Vec<String>,
    external: String,
    token: Vec<u8>,
}

fn world() -> World {
    static POOL: LazyLock<WrappingKeyPool> = LazyLock::new(WrappingKeyPool::new);
    let clock = ManualClock::new(crate::clock::DEFAULT_START);
    let mut kms = Kms::builder()
        .rules(Rules::current())
        .clock(clock.clone())
        .wrapping_keys(POOL.clone())
        .build();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let k = kms.create_key(CreateKeyRequest::default()).expect("create");
        keys.push(k.key_metadata.key_id);
    }
    kms.create_alias(AliasRequest {
        alias_name: "alias/fuzz".into(),
        target_key_id: keys[0].clone(),
    })
    .expect("alias");
    let external = kms
        .create_key(CreateKeyRequest {
            origin: Some(Origin::External),
            ..Default::default()
        })
        .expect("create external")
        .key_metadata
        .key_id;
    let token = kms
        .get_parameters_for_import(GetParametersForImportRequest {
            key_id: external.clone(),
            wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
            wrapping_key_spec: WrappingKeySpec::Rsa2048,
        })
        .expect("parameters")
        .import_token
        .0;
    World {
        kms,
        clock,
        keys,
        external,
        token,
    }
}

// One store per process, reused across inputs (fuzzers run millions of them).
static WORLD: LazyLock<Mutex<World>> = LazyLock::new(|| Mutex::new(world()));

/// The store, renewed when its audit trail or key count has grown large: the
/// trail keeps every call by design, which a fuzzer would otherwise see as a
/// leak.
fn store() -> std::sync::MutexGuard<'static, World> {
    let mut w = WORLD.lock().unwrap_or_else(|p| p.into_inner());
    if w.kms.event_count() > 200_000 || w.kms.key_count() > 1_000 {
        *w = world();
    }
    w
}

/// Ciphertext decoding and Decrypt: arbitrary bytes as a blob, with and
/// without a KeyId, with an empty and a non-empty context.
pub fn decrypt(data: &[u8]) {
    let _ = crate::crypto::parse_ciphertext(data);
    let mut w = store();
    let key = w.keys[0].clone();
    for key_id in [None, Some(key), Some("alias/fuzz".to_string())] {
        let r = w.kms.decrypt(DecryptRequest {
            ciphertext_blob: Blob(data.to_vec()),
            key_id,
            encryption_context: Some([("k".to_string(), "v".to_string())].into()),
            ..Default::default()
        });
        if let Ok(d) = r {
            // Only a genuine blob decrypts, and its length says so.
            assert_eq!(
                d.plaintext.expose().len() + crate::crypto::HEADER_LEN + 16,
                data.len()
            );
        }
    }
}

/// The wire protocol: the first byte picks the operation, the rest is the
/// JSON body.
pub fn wire(data: &[u8]) {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let ops = crate::wire::OPERATIONS;
    let name = ops[op as usize % ops.len()];
    let mut w = store();
    let r = crate::wire::dispatch(&mut w.kms, name, body);
    assert!(matches!(r.status, 200 | 400), "{name}: status {}", r.status);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_ok());
    // Keep time from standing still.
    w.clock.advance(u64::from(op % 4) * 3_600);
}

/// Import: the first byte splits the input into an import token and wrapped
/// material; also tried with the real token.
pub fn import(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = (split as usize).min(rest.len());
    let (token, material) = rest.split_at(at);
    let mut w = store();
    let real = w.token.clone();
    let external = w.external.clone();
    for tok in [token.to_vec(), real] {
        let r = w.kms.import_key_material(ImportKeyMaterialRequest {
            key_id: external.clone(),
            import_token: Blob(tok),
            encrypted_key_material: Blob(material.to_vec()),
            expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
            ..Default::default()
        });
        // Random bytes never unwrap to material under our RSA key.
        assert!(
            r.is_err(),
            "arbitrary bytes were accepted as wrapped key material"
        );
    }
}

#[cfg(feature = "conform")]
pub use foreign::{foreign, foreign_seed};

/// The oracle fed another implementation's responses: every response the
/// oracle asks for is taken from the fuzz input, decoded as the HTTP client
/// decodes a foreign server's answer, and judged against the model; the
/// outcome is rendered as Markdown and JSON.
///
/// Input framing, one frame per response: a kind byte, a little-endian `u16`
/// length and that many bytes of body. `kind % 8` picks the HTTP status (200,
/// 400, 400, 500, 403, 413, 200, 302); `kind & 8` adds an `X-Amzn-ErrorType`
/// header (`kind & 16`: a well-formed one, else the body's first 40 bytes);
/// for the clock calls, `kind & 32` means no clock control and otherwise the
/// body's first 8 bytes are the big-endian time. Past the end of the input
/// every call fails as a transport error.
#[cfg(feature = "conform")]
mod foreign {
    use crate::api::*;
    use crate::conform::http::decode;
    use crate::conform::{
        CallError, CallResult, InProcess, KmsApi, Oracle, OracleConfig, Target, report,
    };
    use std::cell::RefCell;
    use std::rc::Rc;

    const STATUS: [u16; 8] = [200, 400, 400, 500, 403, 413, 200, 302];
    const NO_CLOCK: u8 = 32;

    struct Frames {
        data: Vec<u8>,
        at: usize,
    }

    impl Frames {
        fn next(&mut self) -> Option<(u8, &[u8])> {
            let rest = self.data.get(self.at..)?;
            let (&kind, rest) = rest.split_first()?;
            let len = match rest {
                [a, b, ..] => usize::from(u16::from_le_bytes([*a, *b])),
                _ => return None,
            };
            let body = &rest[2..];
            let body = &body[..len.min(body.len())];
            self.at += 3 + body.len();
            Some((kind, body))
        }
    }

    /// A foreign implementation whose answers are the fuzz input.
    struct Foreign(Rc<RefCell<Frames>>);

    fn exhausted() -> CallError {
        CallError::Protocol("end of the fuzz input (a transport error)".into())
    }

    impl Foreign {
        fn answer<R: serde::de::DeserializeOwned>(&self, op: &str) -> CallResult<R> {
            let mut frames = self.0.borrow_mut();
            let (kind, body) = frames.next().ok_or_else(exhausted)?;
            let status = STATUS[usize::from(kind % 8)];
            let header = if kind & 16 != 0 {
                Some("ThrottlingException:http://internal.amazon.com/coral".to_string())
            } else {
                Some(String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned())
            };
            let errtype = if kind & 8 != 0 {
                header.as_deref()
            } else {
                None
            };
            decode(&format!("TrentService.{op}"), status, errtype, body)
        }

        fn clock(&self) -> Option<CallResult<u64>> {
            let mut frames = self.0.borrow_mut();
            let Some((kind, body)) = frames.next() else {
                return Some(Err(exhausted()));
            };
            if kind & NO_CLOCK != 0 {
                return None;
            }
            Some(match body.get(..8) {
                Some(b) => Ok(u64::from_be_bytes(b.try_into().expect("8 bytes"))),
                None => Err(CallError::Protocol("short clock answer".into())),
            })
        }
    }

    macro_rules! foreign_ops {
        ($( $method:ident ( $op:literal, $req:ty, $members:ident ) -> $resp:ty ;)+) => {
            impl KmsApi for Foreign {
                $(
                    fn $method(&mut self, _req: $req) -> CallResult<$resp> {
                        self.answer($op)
                    }
                )+
                fn clock_now(&mut self) -> Option<CallResult<u64>> {
                    self.clock()
                }
                fn advance_clock(&mut self, _seconds: u64) -> Option<CallResult<u64>> {
                    self.clock()
                }
            }

            impl KmsApi for Recorder {
                $(
                    fn $method(&mut self, req: $req) -> CallResult<$resp> {
                        let r = self.inner.$method(req);
                        self.record(&r);
                        r
                    }
                )+
                fn clock_now(&mut self) -> Option<CallResult<u64>> {
                    let t = self.inner.clock_now();
                    self.record_clock(&t);
                    t
                }
                fn advance_clock(&mut self, seconds: u64) -> Option<CallResult<u64>> {
                    let t = self.inner.advance_clock(seconds);
                    self.record_clock(&t);
                    t
                }
            }
        };
    }

    /// The in-process reference, its answers written down in the framing
    /// above (the seed corpus: real responses of a conforming implementation).
    struct Recorder {
        inner: InProcess,
        out: Rc<RefCell<Vec<u8>>>,
    }

    impl Recorder {
        fn frame(&self, kind: u8, body: &[u8]) {
            let len = u16::try_from(body.len()).expect("a response under 64 KiB");
            let mut out = self.out.borrow_mut();
            out.push(kind);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(body);
        }

        fn record<R: serde::Serialize>(&self, r: &CallResult<R>) {
            match r {
                Ok(v) => self.frame(0, &serde_json::to_vec(v).expect("responses serialize")),
                Err(CallError::Exception { name, message }) => {
                    let body = serde_json::json!({ "__type": name, "message": message });
                    self.frame(1, body.to_string().as_bytes())
                }
                Err(CallError::Protocol(m) | CallError::Unimplemented(m)) => {
                    self.frame(3, m.as_bytes())
                }
            }
        }

        fn record_clock(&self, t: &Option<CallResult<u64>>) {
            match t {
                Some(Ok(t)) => self.frame(0, &t.to_be_bytes()),
                Some(Err(_)) => self.frame(0, b""),
                None => self.frame(NO_CLOCK, b""),
            }
        }
    }

    crate::with_kms_operations!(foreign_ops);

    fn config(rules: bool) -> OracleConfig {
        OracleConfig {
            rules: if rules {
                kms_lifecycle_model::Rules::classic()
            } else {
                kms_lifecycle_model::Rules::current()
            },
            seed: 1,
            sequences: 1,
            max_length: 16,
            alias_slots: 1,
            max_shrink_replays: 8,
            time_budget: None,
            namespace: Some("fuzz".into()),
            settle: std::time::Duration::ZERO,
        }
    }

    /// The fuzz target: the first byte picks the rule set (bit 0), the rest
    /// is the framed responses. Must never panic; returns the number of
    /// sequences that diverged (for the seed test).
    pub fn foreign(data: &[u8]) -> usize {
        let Some((&first, rest)) = data.split_first() else {
            return 0;
        };
        let frames = Rc::new(RefCell::new(Frames {
            data: rest.to_vec(),
            at: 0,
        }));
        let oracle = Oracle::new(config(first & 1 == 1));
        let shared = frames.clone();
        let mut target = Target::new("fuzz input", move || -> Box<dyn KmsApi> {
            Box::new(Foreign(shared.clone()))
        });
        let outcome = oracle.run(&mut target, |_| {});
        let md = report::markdown(&outcome);
        let json = report::json(&outcome);
        assert!(md.starts_with('#'), "a Markdown report");
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "the JSON report parses"
        );
        outcome.divergences()
    }

    /// A seed input for [`foreign`]: the reference's own answers to the
    /// oracle's first sequence under the classic (`classic == true`) or
    /// current rules.
    pub fn foreign_seed(classic: bool) -> Vec<u8> {
        let out = Rc::new(RefCell::new(vec![u8::from(classic)]));
        let oracle = Oracle::new(config(classic));
        let rules = if classic {
            crate::Rules::classic()
        } else {
            crate::Rules::current()
        };
        let sink = out.clone();
        let mut target = Target::new("recorder", move || -> Box<dyn KmsApi> {
            Box::new(Recorder {
                inner: InProcess::new(rules, crate::conform::DEFAULT_START),
                out: sink.clone(),
            })
        });
        let outcome = oracle.run(&mut target, |_| {});
        assert_eq!(outcome.divergences(), 0, "the reference conforms");
        out.take()
    }
}
