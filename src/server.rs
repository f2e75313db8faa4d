//! The AWS KMS JSON 1.1 protocol over HTTP (feature `server`).
//!
//! `POST /` with `X-Amz-Target: TrentService.<Operation>` and
//! `Content-Type: application/x-amz-json-1.1`. Requests are not authenticated:
//! SigV4 signatures are accepted whatever the credentials. With a manual clock,
//! `KmsLifecycle.GetClock`, `KmsLifecycle.AdvanceClock` move time; with either
//! clock `KmsLifecycle.ListEvents` and `KmsLifecycle.ListAlarms` read the audit
//! trail.
//!
//! A form-encoded `POST /` without `X-Amz-Target` is the AWS query protocol
//! of STS: `GetCallerIdentity` answers the root user of the configured
//! account ([`sts_query`]), so that the Terraform AWS provider needs only its
//! `kms` and `sts` endpoints.
//!
//! One mutex around the store makes every request atomic, so concurrent
//! clients see a linearizable store.

use crate::clock::{ManualClock, SystemClock};
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 4599)),
            rules: Rules::current(),
            manual_clock_start: None,
            region: "us-east-1".into(),
            account: "111122223333".into(),
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
    /// The account of ARNs, which STS `GetCallerIdentity` answers.
    account: String,
}

impl ServerState {
    /// A store built from `config`.
    pub fn new(config: &ServerConfig) -> Self {
        let b = Kms::builder()
            .rules(config.rules.clone())
            .region(config.region.clone())
            .account(config.account.clone());
        match config.manual_clock_start {
            Some(start) => {
                let clock = ManualClock::new(start);
                Self {
                    kms: Mutex::new((b.clock(clock.clone()).build(), 0)),
                    clock: Some(clock),
                    account: config.account.clone(),
                }
            }
            None => Self {
                kms: Mutex::new((b.clock(SystemClock).build(), 0)),
                clock: None,
                account: config.account.clone(),
            },
        }
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
        (r, Some(n))
    }

    /// STS `GetCallerIdentity` over the AWS query protocol, for clients
    /// (the Terraform AWS provider) that ask who they are before they use
    /// KMS: see [`sts_query`].
    pub fn handle_sts(&self, body: &[u8]) -> StsResponse {
        sts_query(&self.account, body)
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
                let events = kms.events_since(since);
                WireResponse::ok(&serde_json::json!({ "Events": events }))
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

/// An answer of the STS query protocol: status and XML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsResponse {
    /// 200 or 400.
    pub status: u16,
    /// `text/xml` body.
    pub body: String,
    /// The `RequestId` of the body, also sent as `x-amzn-RequestId`.
    pub request_id: String,
}

/// Whether a request is one of the AWS query protocol (STS): a form-encoded
/// body and no `X-Amz-Target`. The JSON protocol of KMS always names its
/// target.
pub fn is_query_protocol(target: Option<&str>, content_type: Option<&str>) -> bool {
    target.is_none()
        && content_type.is_some_and(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// STS over the query protocol (`Action=GetCallerIdentity&Version=2011-06-15`,
/// form-encoded): the caller is the root user of `account`, since the server
/// authenticates nobody. Every other action answers `InvalidAction`, a
/// missing or other `Version` `InvalidParameterValue`, as STS does.
pub fn sts_query(account: &str, body: &[u8]) -> StsResponse {
    let request_id = request_id();
    let error = |code: &str, message: &str| StsResponse {
        status: 400,
        body: format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(message),
        ),
        request_id: request_id.clone(),
    };
    let Ok(body) = std::str::from_utf8(body) else {
        return error(
            "MalformedQueryString",
            "The request body is not valid UTF-8.",
        );
    };
    let mut action = None;
    let mut version = None;
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (form_decode(k).as_deref(), form_decode(v)) {
            (Some("Action"), Some(v)) => action = Some(v),
            (Some("Version"), Some(v)) => version = Some(v),
            (Some(_), Some(_)) => {}
            _ => {
                return error(
                    "MalformedQueryString",
                    "The request body is not a valid form.",
                );
            }
        }
    }
    let Some(action) = action else {
        return error(
            "MissingAction",
            "Missing Action: this endpoint serves the STS query protocol (Action=GetCallerIdentity) and the AWS KMS JSON protocol (X-Amz-Target: TrentService.<Operation>).",
        );
    };
    if action != "GetCallerIdentity" {
        return error(
            "InvalidAction",
            &format!(
                "Could not find operation {} for version {}: of STS only GetCallerIdentity is served.",
                action,
                version.as_deref().unwrap_or("NO_VERSION_SPECIFIED")
            ),
        );
    }
    if version.as_deref() != Some("2011-06-15") {
        return error(
            "InvalidParameterValue",
            "Version must be 2011-06-15 for GetCallerIdentity.",
        );
    }
    let account = xml_escape(account);
    StsResponse {
        status: 200,
        body: format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:root</Arn><UserId>{account}</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        ),
        request_id,
    }
}

/// One `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` a byte; `None` for a bad escape or bytes that are not UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A request id in the form of AWS's (a random UUID).
fn request_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        return "00000000-0000-4000-8000-000000000000".into();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn sts_to_http(r: StsResponse) -> Response<Full<Bytes>> {
    let id = hyper::header::HeaderValue::from_str(&r.request_id).ok();
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    if let Some(id) = id {
        resp.headers_mut().insert("x-amzn-requestid", id);
    }
    resp
}

/// AWS answers every request with an `x-amzn-RequestId` header, which SDKs
/// show in their errors (`RequestID: ...`); a fresh random UUID each time.
fn insert_request_id(resp: &mut Response<Full<Bytes>>) {
    if let Ok(v) = hyper::header::HeaderValue::from_str(&request_id()) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
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
    insert_request_id(&mut resp);
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
    if is_query_protocol(target.as_deref(), content_type.as_deref()) {
        return Ok(sts_to_http(state.handle_sts(&body)));
    }
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
        let listener = TcpListener::bind(config.addr).await?;
        let state = Arc::new(ServerState::new(&config));
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
