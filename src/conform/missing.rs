//! Operations an implementation does not offer.
//!
//! An operation whose first answers are HTTP 501 or 404, an unknown-operation
//! error or an HTML page ([`CallError::Unimplemented`]) is recorded once as
//! missing; from then on the oracle generates no action that needs it and
//! leaves it out of its probes, and the report lists it with the rules that
//! could only be checked with it. An operation that already answered in the
//! AWS protocol and then sends such a page has crashed: that is a protocol
//! divergence, not a missing operation.

use super::{CallError, CallResult, KmsApi};
use crate::api::*;
use kms_lifecycle_model::{Action, MaterialRef};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// One operation the implementation does not offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingOperation {
    /// The AWS operation, e.g. `ListKeyRotations`.
    pub operation: String,
    /// Its first answer.
    pub answer: String,
    /// The rules that could only be checked with it.
    pub unchecked_rules: Vec<String>,
}

/// What one run learned about the operations of its target (shared by every
/// replay of the run).
#[derive(Debug, Default)]
pub struct Missing {
    missing: BTreeMap<String, String>,
    answered: BTreeSet<String>,
    /// AWS managed keys whose state a replay of the run changed (a shared
    /// endpoint keeps them between replays).
    tainted: BTreeSet<String>,
}

/// The run's [`Missing`], shared by the replays.
pub type SharedMissing = Rc<RefCell<Missing>>;

impl Missing {
    /// Whether a replay of the run changed AWS managed key `id`.
    pub fn tainted(&self, id: &str) -> bool {
        self.tainted.contains(id.rsplit('/').next().unwrap_or(id))
    }

    /// Records that a replay changed AWS managed key `id`.
    pub fn taint(&mut self, id: &str) {
        self.tainted
            .insert(id.rsplit('/').next().unwrap_or(id).to_string());
    }

    /// Whether `op` is known to be missing.
    pub fn has(&self, op: &str) -> bool {
        self.missing.contains_key(op)
    }

    /// Judges one answer of `op`: an unimplemented answer of an operation that
    /// never answered in the protocol records it as missing; one of an
    /// operation that did becomes a protocol divergence.
    fn judge<T>(&mut self, op: &str, r: CallResult<T>) -> CallResult<T> {
        match r {
            Err(CallError::Unimplemented(m)) => {
                if self.answered.contains(op) {
                    Err(CallError::Protocol(m))
                } else {
                    self.missing.entry(op.to_string()).or_insert(m.clone());
                    Err(CallError::Unimplemented(m))
                }
            }
            Err(CallError::Protocol(m)) => Err(CallError::Protocol(m)),
            other => {
                if !self.missing.contains_key(op) {
                    self.answered.insert(op.to_string());
                }
                other
            }
        }
    }

    /// Whether every operation `a` needs is offered.
    pub fn allows(&self, a: &Action, key_material_ids: bool) -> bool {
        operations_of(a, key_material_ids)
            .iter()
            .all(|op| !self.has(op))
    }

    /// The missing operations, for the report.
    pub fn report(&self) -> Vec<MissingOperation> {
        self.missing
            .iter()
            .map(|(op, answer)| MissingOperation {
                operation: op.clone(),
                answer: answer.clone(),
                unchecked_rules: rules_needing(op),
            })
            .collect()
    }
}

/// The AWS operations performing `a` calls (not its probes).
pub fn operations_of(a: &Action, key_material_ids: bool) -> Vec<&'static str> {
    match *a {
        Action::Advance(_) => Vec::new(),
        Action::UseManagedAlias => vec!["DescribeKey"],
        Action::ImportKeyMaterial { .. } => vec!["GetParametersForImport", "ImportKeyMaterial"],
        Action::DeleteImportedKeyMaterial {
            material: Some(m), ..
        } if m != MaterialRef::Unknown && key_material_ids => {
            vec!["DeleteImportedKeyMaterial", "ListKeyRotations"]
        }
        _ => vec![a.kind()],
    }
}

/// The rules that need `op` (beyond "`op` answers as the model").
pub(crate) fn rules_needing(op: &str) -> Vec<String> {
    let import = [
        "ImportKeyMaterial succeeds with a valid token and material (§5)",
        "an import token is bound to its key and only the latest is valid (§5)",
        "only the key's own material can be reimported (§5)",
        "ExpirationModel and ValidTo are validated (§5)",
        "a successful import makes a PendingImport key Enabled (§2, §5)",
        "import token expires after 24 h (§5)",
        "imported material expires at ValidTo (§5)",
    ];
    let mut v: Vec<&str> = match op {
        "ListKeyRotations" => vec![
            "ListKeyRotations lists every rotation, oldest first (§4)",
            "RotateKeyOnDemand adds an ON_DEMAND rotation (§4)",
            "automatic rotation at NextRotationDate, as ListKeyRotations shows it (§4)",
            "DeleteImportedKeyMaterial naming a KeyMaterialId (§5)",
        ],
        "GetKeyRotationStatus" => vec![
            "GetKeyRotationStatus reports the rotation settings (§3, §4)",
            "rotation settings after EnableKeyRotation, DisableKeyRotation, CreateKey (§4)",
            "no rotation status for EXTERNAL keys (§3)",
        ],
        "GetParametersForImport" => {
            let mut v = vec![
                "import only into EXTERNAL keys (§3)",
                "import parameters are valid for 24 h (§5)",
                "GetParametersForImport allowed for EXTERNAL keys (§3, §5)",
                "no import while PendingDeletion (§3, §5)",
            ];
            v.extend(import);
            v
        }
        "ImportKeyMaterial" => import.to_vec(),
        "DeleteImportedKeyMaterial" => vec![
            "DeleteImportedKeyMaterial (§2, §3, §5)",
            "deleting imported material → PendingImport (§2, §5)",
        ],
        "RotateKeyOnDemand" => vec![
            "RotateKeyOnDemand allowed while Enabled (§1, §4)",
            "on-demand rotation refused unless Enabled (§3, §5)",
            "at most 25 on-demand rotations per key (§1)",
        ],
        "ListAliases" => vec![
            "alias targets (§9)",
            "deleting a key deletes its aliases (§2, §9)",
        ],
        "PutKeyPolicy" => vec![
            "PutKeyPolicy changes exactly the policy (key policies)",
            "a key policy must be a policy document (key policies)",
            "without the bypass flag no key policy lets nobody call PutKeyPolicy (key policies)",
            "a Deny statement is never overridden (key policies)",
            "no policy operation succeeds for a caller the policy does not allow (key policies)",
        ],
        "GetKeyPolicy" => vec![
            "GetKeyPolicy answers the key's policy byte for byte (AWS's default without one) (key policies)",
        ],
        "ListKeyPolicies" => vec!["ListKeyPolicies lists the one policy, default (key policies)"],
        "ScheduleKeyDeletion" => vec![
            "PendingWindowInDays 7–30 (§6)",
            "deletion at DeletionDate, at most 24 h late (§6)",
        ],
        _ => Vec::new(),
    };
    let own = format!("{op} answers as the model");
    let mut out = vec![own];
    out.extend(v.drain(..).map(str::to_string));
    out
}

/// A [`KmsApi`] that tells the run's [`Missing`] about every answer.
pub struct Watched {
    inner: Box<dyn KmsApi>,
    missing: SharedMissing,
}

impl Watched {
    /// Watches `inner` for `missing`.
    pub fn new(inner: Box<dyn KmsApi>, missing: SharedMissing) -> Self {
        Self { inner, missing }
    }
}

macro_rules! watched_ops {
    ($( $method:ident ( $op:literal, $req:ty, $members:ident ) -> $resp:ty ;)+) => {
        impl KmsApi for Watched {
            $(
                fn $method(&mut self, req: $req) -> CallResult<$resp> {
                    let r = self.inner.$method(req);
                    self.missing.borrow_mut().judge($op, r)
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
}

crate::with_kms_operations!(watched_ops);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_after_real_answers_is_not_a_missing_operation() {
        let mut m = Missing::default();
        let ok: CallResult<()> = Ok(());
        assert!(m.judge("Encrypt", ok).is_ok());
        let crash: CallResult<()> = Err(CallError::Unimplemented("<html>".into()));
        assert!(matches!(
            m.judge("Encrypt", crash),
            Err(CallError::Protocol(_))
        ));
        let none: CallResult<()> = Err(CallError::Unimplemented("501".into()));
        assert!(matches!(
            m.judge("ListKeyRotations", none),
            Err(CallError::Unimplemented(_))
        ));
        assert!(m.has("ListKeyRotations") && !m.has("Encrypt"));
        assert_eq!(m.report()[0].operation, "ListKeyRotations");
    }
}
