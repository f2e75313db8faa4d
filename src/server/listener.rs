//! The HTTP listener: hyper's connections, the translation of a request into
//! one call and of its answer into a response (`x-amzn-RequestId`), and
//! [`run`] / [`spawn`].

use super::auth::{Authenticated, authenticate};
use super::state::ServerState;
use super::sts::{StsResponse, is_query_protocol};
use super::{MAX_BODY, ServerConfig};
use crate::authz;
use crate::wire::WireResponse;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A request id in the form of AWS's (a random UUID).
pub(super) fn request_id() -> String {
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
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
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
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(to_http(WireResponse::error(
                413,
                "RequestEntityTooLargeException",
                "Request bodies are limited to 1 MiB.",
            )));
        }
    };
    // Identities mode: the request must be signed by a principal of the file.
    let caller = match &state.identities {
        None => None,
        Some(ids) => match authenticate(ids, &state.region, &parts, content_type.as_deref(), &body)
        {
            Ok(Authenticated::Kms(identity)) => Some(identity.principal.clone()),
            Ok(Authenticated::CallerIdentity(identity)) => {
                return Ok(to_http_xml(authz::caller_identity(identity)));
            }
            Err(e) => return Ok(to_http(e.to_response())),
        },
    };
    // STS over the query protocol (no X-Amz-Target, a form body): the
    // configured account's root user (in identities mode the signed
    // GetCallerIdentity was answered above).
    if is_query_protocol(target.as_deref(), content_type.as_deref()) {
        return Ok(sts_to_http(state.handle_sts(&body)));
    }
    // Most operations take microseconds: run them on the runtime thread.
    // ImportKeyMaterial unwraps with RSA (milliseconds, under the lock: the
    // unwrap needs the key's import parameters) on the blocking pool, so that
    // it never occupies a runtime thread; GetParametersForImport waits for
    // its key from the generator thread without occupying one either.
    let unwraps = target
        .as_deref()
        .is_some_and(|t| t.ends_with(".ImportKeyMaterial"));
    let r = if unwraps {
        let st = state.clone();
        tokio::task::spawn_blocking(move || {
            st.handle_as(
                caller.as_ref(),
                target.as_deref(),
                content_type.as_deref(),
                &body,
            )
        })
        .await
        .unwrap_or_else(|_| {
            WireResponse::error(500, "KMSInternalException", "The request handler failed.")
        })
    } else {
        state
            .serve_call_as(
                caller.as_ref(),
                target.as_deref(),
                content_type.as_deref(),
                &body,
            )
            .await
    };
    Ok(to_http(r))
}
fn to_http_xml(body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    resp
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
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt.enable_all().build()?;
    rt.block_on(async move {
        let state = Arc::new(ServerState::open(&config).map_err(std::io::Error::other)?);
        let listener = TcpListener::bind(config.addr).await?;
        if let Some(dir) = &config.data_dir {
            eprintln!(
                "kms-lifecycle: store in {} ({} keys restored)",
                dir.display(),
                state.key_count()
            );
        }
        eprintln!(
            "kms-lifecycle serving the AWS KMS JSON protocol on http://{} (rules {}, clock {}, {} worker threads)",
            listener.local_addr()?,
            config.rules.name_or_base(),
            if config.manual_clock_start.is_some() {
                "manual"
            } else {
                "system"
            },
            config
                .threads
                .map_or_else(|| "one per core".to_string(), |n| n.max(1).to_string())
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
                .worker_threads(config.threads.unwrap_or(2).max(1))
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
