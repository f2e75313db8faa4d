//! The AWS KMS JSON 1.1 protocol over HTTP (feature `server`).
//!
//! `POST /` with `X-Amz-Target: TrentService.<Operation>` and
//! `Content-Type: application/x-amz-json-1.1`. Requests are not authenticated:
//! SigV4 signatures are accepted whatever the credentials. With a manual clock,
//! `KmsLifecycle.GetClock`, `KmsLifecycle.AdvanceClock` move time; with either
//! clock `KmsLifecycle.ListEvents` and `KmsLifecycle.ListAlarms` read the audit
//! trail.
//!
//! One mutex around the store makes every request atomic, so concurrent
//! clients see a linearizable store.

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::durable::{Durable, DurableError, Identity};
use crate::rules::Rules;
use crate::store::Kms;
use crate::wire::{self, CLOCK_PREFIX, KMS_PREFIX, WireResponse};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// Largest accepted request body.
pub const MAX_BODY: usize = 1 << 20;

/// Server settings (the flags of `kms-lifecycle serve`).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Listen address (default `127.0.0.1:4599`).
    pub addr: SocketAddr,
    /// Rule set.
    pub rules: Rules,
    /// `Some(start)` for a manual clock starting at `start`; `None` for the
    /// system clock.
    pub manual_clock_start: Option<u64>,
    /// Region in ARNs.
    pub region: String,
    /// Account in ARNs.
    pub account: String,
    /// `Some(dir)`: the store lives in `dir` and survives restarts
    /// (`--data-dir`, [`crate::durable`]); `None`: in memory only.
    pub data_dir: Option<std::path::PathBuf>,
    /// The root key that seals the data directory (`--root-key-file`;
    /// required with `data_dir`, made 0600 when absent).
    pub root_key_file: Option<std::path::PathBuf>,
    /// How much of the audit trail and alarms is kept (`--max-events`,
    /// `--max-event-age-days`; on disk too with `data_dir`).
    pub retention: crate::store::Retention,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 4599)),
            rules: Rules::current(),
            manual_clock_start: None,
            region: "us-east-1".into(),
            account: "111122223333".into(),
            data_dir: None,
            root_key_file: None,
            retention: crate::store::Retention::default(),
        }
    }
}

/// What the request handlers share.
pub struct ServerState {
    /// The store and the number of requests it has served. The request's
    /// number is its position in the linearization (everything runs under this
    /// one lock); it is returned in the `X-KmsLifecycle-Sequence` header so
    /// that tests can check a concurrent history against the model.
    kms: Mutex<(Kms, u64)>,
    clock: Option<ManualClock>,
    /// The data directory (`--data-dir`); locked only under `kms`.
    durable: Option<Mutex<Durable>>,
    /// Set when a commit failed: memory and disk may differ, so every later
    /// request is refused until a restart.
    failed: AtomicBool,
}

impl ServerState {
    /// A store built from `config`. Panics when `config.data_dir` cannot be
    /// opened; use [`Self::open`] to get the error.
    pub fn new(config: &ServerConfig) -> Self {
        Self::open(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A store built from `config`: in memory, or restored from
    /// `config.data_dir`, with every event that fell due while the server was
    /// down applied in order (spec §10) and committed.
    pub fn open(config: &ServerConfig) -> Result<Self, DurableError> {
        let b = Kms::builder()
            .rules(config.rules.clone())
            .region(config.region.clone())
            .account(config.account.clone())
            .retention(config.retention);
        let Some(dir) = &config.data_dir else {
            let (kms, clock) = match config.manual_clock_start {
                Some(start) => {
                    let clock = ManualClock::new(start);
                    (b.clock(clock.clone()).build(), Some(clock))
                }
                None => (b.clock(SystemClock).build(), None),
            };
            return Ok(Self {
                kms: Mutex::new((kms, 0)),
                clock,
                durable: None,
                failed: AtomicBool::new(false),
            });
        };
        let root = config.root_key_file.as_deref().ok_or_else(|| {
            DurableError("--data-dir needs --root-key-file (the root key that seals the store; made with permissions 0600 when absent)".into())
        })?;
        let identity = Identity {
            rules: config.rules.name.to_string(),
            region: config.region.clone(),
            account: config.account.clone(),
        };
        let opened = Durable::open(dir, root, &identity)?;
        // The manual clock resumes where it stopped (time never goes back).
        let clock = config
            .manual_clock_start
            .map(|start| ManualClock::new(opened.manual_clock.unwrap_or(0).max(start)));
        let b = match &clock {
            Some(c) => b.clock(c.clone()),
            None => b.clock(SystemClock),
        };
        let mut kms = Kms::restore(b, &opened.image)
            .map_err(|e| DurableError(format!("{}: {e}; it was left unchanged", dir.display())))?;
        kms.track_changes();
        kms.set_retention(config.retention);
        kms.tick();
        let mut durable = opened.durable;
        durable.commit(&kms.drain_changes(), clock.as_ref().map(|c| c.now()))?;
        Ok(Self {
            kms: Mutex::new((kms, 0)),
            clock,
            durable: Some(Mutex::new(durable)),
            failed: AtomicBool::new(false),
        })
    }

    /// Writes what the last request changed; an error response when the
    /// commit failed (the call is then not acknowledged).
    fn persist(&self, kms: &mut Kms) -> Result<(), WireResponse> {
        let Some(d) = &self.durable else {
            return Ok(());
        };
        let changes = kms.drain_changes();
        let mut d = d.lock().unwrap_or_else(|p| p.into_inner());
        d.commit(&changes, self.clock.as_ref().map(|c| c.now()))
            .map_err(|e| {
                self.failed.store(true, Ordering::SeqCst);
                eprintln!("kms-lifecycle: the data directory could not be written: {e}");
                store_failed()
            })
    }

    /// Handles one request: target header value, content type, body.
    pub fn handle(
        &self,
        target: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> WireResponse {
        self.handle_sequenced(target, content_type, body).0
    }

    /// [`Self::handle`], also returning the request's position in the
    /// linearization of all requests that reached the store (`None` when it
    /// was refused before).
    pub fn handle_sequenced(
        &self,
        target: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (WireResponse, Option<u64>) {
        let r = self.check_protocol(target, content_type);
        if let Err(r) = r {
            return (r, None);
        }
        let target = target.unwrap_or_default();
        let mut guard = self.kms.lock().unwrap_or_else(|p| p.into_inner());
        if self.failed.load(Ordering::SeqCst) {
            return (store_failed(), None);
        }
        let (kms, seq) = &mut *guard;
        *seq += 1;
        let n = *seq;
        let r = if let Some(op) = target.strip_prefix(KMS_PREFIX) {
            wire::dispatch(kms, op, body)
        } else if let Some(op) = target.strip_prefix(CLOCK_PREFIX) {
            self.clock_op(kms, op, body)
        } else {
            WireResponse::error(
                400,
                "UnknownOperationException",
                &format!("Unknown target {}", target.escape_default()),
            )
        };
        // Committed before the response exists (issue 17).
        if let Err(e) = self.persist(kms) {
            return (e, Some(n));
        }
        (r, Some(n))
    }

    fn check_protocol(
        &self,
        target: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<(), WireResponse> {
        if target.is_none() {
            return Err(WireResponse::error(
                400,
                "UnknownOperationException",
                "Missing X-Amz-Target header: expected TrentService.<Operation>.",
            ));
        }
        match content_type.map(|c| c.split(';').next().unwrap_or("").trim()) {
            Some("application/x-amz-json-1.1") | Some("application/json") => Ok(()),
            other => Err(WireResponse::error(
                400,
                "ValidationException",
                &format!(
                    "Unsupported Content-Type {:?}: use application/x-amz-json-1.1.",
                    other.unwrap_or("")
                ),
            )),
        }
    }

    fn clock_op(&self, kms: &mut Kms, op: &str, body: &[u8]) -> WireResponse {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Advance {
            seconds: i64,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "PascalCase", default)]
        struct Since {
            since: Option<crate::api::Timestamp>,
            limit: Option<i64>,
            marker: Option<String>,
        }
        let unsupported = || {
            WireResponse::error(
                400,
                "UnsupportedOperationException",
                "The clock can only be read or moved when the server runs with --clock manual.",
            )
        };
        match op {
            "GetClock" => match &self.clock {
                Some(_) => {
                    kms.tick();
                    WireResponse::ok(&serde_json::json!({ "Now": kms.now() }))
                }
                None => unsupported(),
            },
            "AdvanceClock" => {
                let Some(clock) = &self.clock else {
                    return unsupported();
                };
                let a: Advance = match wire::parse_body(body) {
                    Ok(a) => a,
                    Err(r) => return r,
                };
                // At most 100 years per call.
                if !(0..=3_153_600_000).contains(&a.seconds) {
                    return WireResponse::error(
                        400,
                        "ValidationException",
                        &format!(
                            "1 validation error detected: Value '{}' at 'seconds' failed to satisfy constraint: Member must have value between 0 and 3153600000",
                            a.seconds
                        ),
                    );
                }
                clock.advance(a.seconds as u64);
                kms.tick();
                WireResponse::ok(&serde_json::json!({ "Now": kms.now() }))
            }
            "ListEvents" => {
                let s: Since = match wire::parse_body(body) {
                    Ok(s) => s,
                    Err(r) => return r,
                };
                kms.tick();
                let since = s.since.map(|t| t.0).unwrap_or(0);
                // As AWS lists page: Limit 1..=1000 (default 1000), Marker
                // from the previous page's NextMarker.
                let limit = s.limit.unwrap_or(1000);
                if !(1..=1000).contains(&limit) {
                    return WireResponse::error(
                        400,
                        "ValidationException",
                        &format!(
                            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000"
                        ),
                    );
                }
                match kms.events_page(since, s.marker.as_deref(), limit as usize) {
                    Ok(page) => {
                        let mut v = serde_json::json!({
                            "Events": page.events,
                            "Truncated": page.next_marker.is_some(),
                        });
                        if let Some(m) = page.next_marker {
                            v["NextMarker"] = serde_json::json!(m);
                        }
                        WireResponse::ok(&v)
                    }
                    Err(m) => WireResponse::error(400, "InvalidMarkerException", &m),
                }
            }
            "ListAlarms" => WireResponse::ok(&serde_json::json!({ "Alarms": kms.alarms() })),
            other => WireResponse::error(
                400,
                "UnknownOperationException",
                &format!("Unknown operation KmsLifecycle.{}", other.escape_default()),
            ),
        }
    }
}

fn store_failed() -> WireResponse {
    WireResponse::error(
        500,
        "KMSInternalException",
        "The data directory could not be written; the server refuses requests until it is restarted.",
    )
}

fn to_http(r: WireResponse) -> Response<Full<Bytes>> {
    to_http_sequenced(r, None)
}

fn to_http_sequenced(r: WireResponse, seq: Option<u64>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
    if let Some(n) = seq {
        resp.headers_mut().insert(
            "x-kmslifecycle-sequence",
            hyper::header::HeaderValue::from(n),
        );
    }
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    resp
}

async fn handle(
    state: Arc<ServerState>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.method() != hyper::Method::POST {
        return Ok(to_http(WireResponse::error(
            400,
            "UnknownOperationException",
            "Only POST / is served (AWS JSON 1.1 protocol).",
        )));
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let target = header("x-amz-target");
    let content_type = header("content-type");
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(to_http(WireResponse::error(
                413,
                "RequestEntityTooLargeException",
                "Request bodies are limited to 1 MiB.",
            )));
        }
    };
    // Most operations take microseconds: run them on the reactor thread. The
    // two that use RSA (key generation, unwrapping: milliseconds) go to the
    // blocking pool so that they never stall other connections.
    let slow = target.as_deref().is_some_and(|t| {
        t.ends_with(".GetParametersForImport") || t.ends_with(".ImportKeyMaterial")
    });
    let (r, seq) = if slow {
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            st.handle_sequenced(target.as_deref(), content_type.as_deref(), &body)
        })
        .await
        .unwrap_or_else(|_| {
            (
                WireResponse::error(500, "KMSInternalException", "The request handler failed."),
                None,
            )
        })
    } else {
        state.handle_sequenced(target.as_deref(), content_type.as_deref(), &body)
    };
    Ok(to_http_sequenced(r, seq))
}

/// Serves on an already bound listener until the task is dropped.
pub async fn serve_listener(listener: TcpListener, state: Arc<ServerState>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let st = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(st.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds `config.addr` and serves until Ctrl-C.
pub fn run(config: ServerConfig) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let state = Arc::new(ServerState::open(&config).map_err(std::io::Error::other)?);
        let listener = TcpListener::bind(config.addr).await?;
        if let Some(dir) = &config.data_dir {
            let (kms, _) = &*state.kms.lock().unwrap_or_else(|p| p.into_inner());
            eprintln!(
                "kms-lifecycle: store in {} ({} keys restored)",
                dir.display(),
                kms.key_count()
            );
        }
        eprintln!(
            "kms-lifecycle serving the AWS KMS JSON protocol on http://{} (rules {}, clock {})",
            listener.local_addr()?,
            config.rules.name,
            if config.manual_clock_start.is_some() {
                "manual"
            } else {
                "system"
            }
        );
        tokio::select! {
            r = serve_listener(listener, state) => r,
            _ = tokio::signal::ctrl_c() => { eprintln!("shutting down"); Ok(()) }
        }
    })
}

/// Starts a server on a background thread bound to `127.0.0.1:0` (or
/// `config.addr`) and returns its address. The server lives until the process
/// ends. For tests.
pub fn spawn(config: ServerConfig) -> std::io::Result<SocketAddr> {
    let std_listener = std::net::TcpListener::bind(config.addr)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    std::thread::Builder::new()
        .name("kms-lifecycle-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                let state = Arc::new(ServerState::new(&config));
                let _ = serve_listener(listener, state).await;
            });
        })?;
    Ok(addr)
}
