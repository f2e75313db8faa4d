//! The ceiling for `scripts/bench-server`: the same HTTP stack as
//! `kms-lifecycle serve` (tokio + hyper 1, HTTP/1.1 keep-alive, one task per
//! connection, the body read in full), answering every POST with a fixed
//! 1 KiB JSON body and doing nothing else.
//!
//! `cargo run --release --features server --example bare_server -- 127.0.0.1:4600`
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4600".into());
    let body: Bytes = {
        let filler = "x".repeat(1024 - 32);
        Bytes::from(format!(
            "{{\"CiphertextBlob\":\"{filler}\",\"KeyId\":\"k\"}}"
        ))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        eprintln!("bare endpoint on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let body = body.clone();
                    async move {
                        let _ = req.into_body().collect().await;
                        let mut resp = Response::new(Full::new(body));
                        resp.headers_mut().insert(
                            hyper::header::CONTENT_TYPE,
                            hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
                        );
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
