//! The AWS KMS JSON 1.1 protocol over HTTP (feature `server`).
//!
//! `POST /` with `X-Amz-Target: TrentService.<Operation>` and
//! `Content-Type: application/x-amz-json-1.1`. Without `--identities`,
//! requests are not authenticated: SigV4 signatures are accepted whatever the
//! credentials. With [`ServerConfig::identities`], every request must carry a
//! valid SigV4 signature of a principal of the file, and is authorized as KMS
//! does it before dispatch ([`crate::authz`]). With a manual clock,
//! `KmsLifecycle.GetClock`, `KmsLifecycle.AdvanceClock` move time; with either
//! clock `KmsLifecycle.ListEvents` and `KmsLifecycle.ListAlarms` read the audit
//! trail.
//!
//! A form-encoded `POST /` without `X-Amz-Target` is the AWS query protocol
//! of STS: `GetCallerIdentity` answers the root user of the configured
//! account ([`sts_query`]), so that the Terraform AWS provider needs only its
//! `kms` and `sts` endpoints.
//!
//! One mutex around the store makes every call atomic, so concurrent clients
//! see a linearizable store (tests/linearizability.rs checks recorded
//! concurrent histories against the model). The lock is held only for the
//! state transition itself: the request is decoded and validated before it,
//! the response encoded after it, and the slow work of GetParametersForImport
//! (generating an RSA wrapping key, up to seconds for RSA_4096) happens before
//! the lock is taken, on one dedicated generator thread, so that it neither
//! stalls other calls nor occupies more than one core (docs/performance.md).
//!
//! The parts: the shared state and the dispatch of one call under the
//! store's lock (`state`), the RSA wrapping keys generated before the lock
//! (`keygen`), the `KmsLifecycle.*` clock and audit endpoints (`clock`), STS
//! over the query protocol (`sts`), SigV4 authentication (`auth`), and the
//! HTTP listener (`listener`).

mod auth;
mod clock;
mod keygen;
mod listener;
mod state;
mod sts;

pub use listener::{run, serve_listener, spawn};
pub use state::ServerState;
pub use sts::{StsResponse, is_query_protocol, sts_query};

use crate::authz::Identities;
use crate::rules::Rules;
use std::net::SocketAddr;
use std::sync::Arc;

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
    /// Worker threads of the runtime (`--threads`; `None`: one per core).
    pub threads: Option<usize>,
    /// `--identities FILE`: authenticate (SigV4) and authorize every request.
    /// `None`: no authentication, as before.
    pub identities: Option<Arc<Identities>>,
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
            threads: None,
            identities: None,
            data_dir: None,
            root_key_file: None,
            retention: crate::store::Retention::default(),
        }
    }
}
