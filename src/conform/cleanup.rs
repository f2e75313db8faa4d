//! `--cleanup`: what the oracle created on a shared or real service, removed
//! at the end (also after an interrupt): every alias it created is deleted and
//! every key it created is scheduled for deletion with the shortest window
//! (7 days).

use super::{CallResult, KmsApi};
use crate::api::*;
use std::sync::{Arc, Mutex};

/// Key ids and alias names created through a [`Tracked`] implementation.
#[derive(Debug, Default)]
pub struct Created {
    /// Key ids, in creation order.
    pub keys: Vec<String>,
    /// Alias names.
    pub aliases: Vec<String>,
}

/// The run's [`Created`], shared by every replay.
pub type SharedCreated = Arc<Mutex<Created>>;

/// A [`KmsApi`] that records the keys and aliases it creates.
pub struct Tracked {
    inner: Box<dyn KmsApi>,
    created: SharedCreated,
}

impl Tracked {
    /// Tracks what `inner` creates into `created`.
    pub fn new(inner: Box<dyn KmsApi>, created: SharedCreated) -> Self {
        Self { inner, created }
    }
}

macro_rules! tracked_ops {
    ($( $method:ident ( $op:literal, $req:ty, $members:ident ) -> $resp:ty ;)+) => {
        impl KmsApi for Tracked {
            $(
                fn $method(&mut self, req: $req) -> CallResult<$resp> {
                    tracked_ops!(@call self, $method, req)
                }
            )+
            fn clock_now(&mut self) -> Option<CallResult<u64>> {
                self.inner.clock_now()
            }
            fn advance_clock(&mut self, seconds: u64) -> Option<CallResult<u64>> {
                self.inner.advance_clock(seconds)
            }
            fn describe(&self) -> String {
                self.inner.describe()
            }
        }
    };
    (@call $s:ident, create_key, $req:ident) => {{
        let r = $s.inner.create_key($req);
        if let Ok(k) = &r
            && let Ok(mut c) = $s.created.lock()
        {
            c.keys.push(k.key_metadata.key_id.clone());
        }
        r
    }};
    (@call $s:ident, create_alias, $req:ident) => {{
        let name = $req.alias_name.clone();
        let r = $s.inner.create_alias($req);
        if r.is_ok()
            && let Ok(mut c) = $s.created.lock()
        {
            c.aliases.push(name);
        }
        r
    }};
    (@call $s:ident, $method:ident, $req:ident) => {
        $s.inner.$method($req)
    };
}

crate::with_kms_operations!(tracked_ops);

/// Deletes the aliases and schedules the deletion of the keys in `created`
/// through `api`; returns (aliases deleted, keys scheduled, failures).
pub fn clean(api: &mut dyn KmsApi, created: &SharedCreated) -> (usize, usize, Vec<String>) {
    let (aliases, keys) = match created.lock() {
        Ok(mut c) => (std::mem::take(&mut c.aliases), std::mem::take(&mut c.keys)),
        Err(_) => {
            return (
                0,
                0,
                vec!["the list of created resources is poisoned".into()],
            );
        }
    };
    let mut failures = Vec::new();
    let mut deleted = 0;
    for a in aliases {
        match api.delete_alias(DeleteAliasRequest {
            alias_name: a.clone(),
        }) {
            Ok(_) => deleted += 1,
            Err(e) if e.exception_name() == Some("NotFoundException") => {}
            Err(e) => failures.push(format!("DeleteAlias({a}): {e}")),
        }
    }
    let mut scheduled = 0;
    for k in keys {
        match api.schedule_key_deletion(ScheduleKeyDeletionRequest {
            key_id: k.clone(),
            pending_window_in_days: Some(7),
        }) {
            Ok(_) => scheduled += 1,
            // Already pending deletion or deleted: nothing to do.
            Err(e)
                if matches!(
                    e.exception_name(),
                    Some("KMSInvalidStateException" | "NotFoundException")
                ) => {}
            Err(e) => failures.push(format!("ScheduleKeyDeletion({k}): {e}")),
        }
    }
    (deleted, scheduled, failures)
}
