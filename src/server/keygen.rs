//! The RSA wrapping keys of GetParametersForImport, generated before the
//! store's lock on one generator thread ([`KeyGenerator`]) and handed to the
//! store under it ([`Handoff`]).

use crate::api::WrappingKeySpec;
use crate::import::{FreshWrappingKeys, WrappingKeySource};
use rsa::PrivateKey;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::oneshot;

/// The RSA wrapping key generated for the GetParametersForImport being
/// served, handed to the store under the lock. The store asks its
/// [`WrappingKeySource`] for a key; this source gives the one generated
/// before the lock, and generates one itself (counted) only when none is
/// there, which a correct server never lets happen.
#[derive(Clone, Default)]
pub(super) struct Handoff {
    pub(super) slot: Arc<Mutex<Option<(WrappingKeySpec, PrivateKey)>>>,
    pub(super) generated_under_lock: Arc<AtomicU64>,
}

impl WrappingKeySource for Handoff {
    fn wrapping_key(&self, spec: WrappingKeySpec) -> PrivateKey {
        let ready = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        match ready {
            Some((s, key)) if s == spec => key,
            _ => {
                self.generated_under_lock.fetch_add(1, Ordering::Relaxed);
                FreshWrappingKeys.wrapping_key(spec)
            }
        }
    }
}

/// One thread that generates RSA wrapping keys, one at a time, for every
/// connection: however many clients ask for RSA_4096 keys at once, they use
/// at most one core, and the request handlers wait for their key without
/// blocking a runtime thread.
pub(super) struct KeyGenerator {
    jobs: Mutex<mpsc::Sender<(WrappingKeySpec, oneshot::Sender<PrivateKey>)>>,
}

impl KeyGenerator {
    pub(super) fn start() -> Self {
        let (tx, rx) = mpsc::channel::<(WrappingKeySpec, oneshot::Sender<PrivateKey>)>();
        // The thread ends when the server state (the sender) is dropped.
        let _ = std::thread::Builder::new()
            .name("kms-wrapping-keygen".into())
            .spawn(move || {
                for (spec, reply) in rx {
                    let _ = reply.send(FreshWrappingKeys.wrapping_key(spec));
                }
            });
        Self {
            jobs: Mutex::new(tx),
        }
    }

    /// A fresh key of `spec` (an RSA spec), or `None` if the generator
    /// thread is gone (the store then generates one under the lock).
    pub(super) async fn generate(&self, spec: WrappingKeySpec) -> Option<PrivateKey> {
        let (reply, key) = oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((spec, reply));
        sent.ok()?;
        key.await.ok()
    }
}

/// The RSA wrapping key spec a GetParametersForImport body asks for, if it is
/// one the store would generate (an RSA spec). Anything else is left to the
/// store's validation, which answers it without generating a key.
pub(super) fn requested_rsa_spec(body: &[u8]) -> Option<WrappingKeySpec> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let spec = WrappingKeySpec::parse(v.get("WrappingKeySpec")?.as_str()?)?;
    spec.bits().map(|_| spec)
}
