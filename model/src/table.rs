//! Spec §3's table, as data, and the rules that hold [`crate::step`] to it.
//!
//! [`crate::step`] decides every answer with code; the properties in
//! [`crate::properties`] mostly state what must never happen. This module
//! states, independently of `step` and without calling any of its helpers,
//! which exception each cell of the table in spec §3 gives, and a few other
//! answers fixed by the spec's numbers (the deletion window and date, §6;
//! IncorrectKeyException, §7; the on-demand conflict window, §1). The
//! transition rules at the end compare every step the checker explores with
//! these tables, so a `step` that answers a cell with the wrong exception, or
//! lets an operation through where the table refuses it, is caught even when
//! no other property mentions that operation.
//!
//! [`Coverage`] records which cells the explored steps hit, so that a
//! configuration's claim to cover §3 is measured (`check` prints it;
//! `check --config all` fails on a cell no configuration reaches).

use crate::{
    Action, DAY, Exception, Key, KeyRef, KeyState, Manager, OkSummary, Origin, Response, Rules,
    State, Time,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// What one cell of spec §3 says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// ✓: the key's state does not refuse the operation (other arguments
    /// still may).
    Allowed,
    /// The state (or origin, or AWS management) refuses it with this.
    Refused(Exception),
}

use Exception::{
    DisabledException as Disabled, KMSInvalidStateException as InvalidState,
    NotFoundException as NotFound, UnsupportedOperationException as Unsupported,
};
use Expect::{Allowed, Refused};

/// The rows of spec §3, in its order. Each row: the operations, then its
/// cells for Enabled, Disabled, PendingDeletion, PendingImport. Origin
/// conditions of the table ("AWS_KMS origin only", "EXTERNAL: ✓") and the
/// paragraph on AWS managed keys are the overrides in [`cell`].
const ROWS: &[(&[&str], [Expect; 4])] = &[
    // "Encrypt, Decrypt, ReEncrypt, GenerateDataKey, …: ✓ | DisabledException
    // | KMSInvalidStateException (Decision) | KMSInvalidStateException"
    (
        &["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey"],
        [
            Allowed,
            Refused(Disabled),
            Refused(InvalidState),
            Refused(InvalidState),
        ],
    ),
    // "DescribeKey, ListAliases, ListResourceTags, GetKeyPolicy: ✓ ✓ ✓ ✓";
    // ListKeyPolicies and PutKeyPolicy likewise (AWS's key-state table,
    // decisions.md, Key policies). Whether the policy lets the caller in is
    // not the state's business: AccessDenied is an "other" error here,
    // pinned by the policy rules of crate::properties.
    (
        &[
            "DescribeKey",
            "GetKeyPolicy",
            "ListKeyPolicies",
            "PutKeyPolicy",
        ],
        [Allowed, Allowed, Allowed, Allowed],
    ),
    // "EnableKey, DisableKey: ✓ | ✓ | KMSInvalidStateException | KMSInvalidStateException"
    (
        &["EnableKey", "DisableKey"],
        [
            Allowed,
            Allowed,
            Refused(InvalidState),
            Refused(InvalidState),
        ],
    ),
    // "EnableKeyRotation, DisableKeyRotation: ✓ (AWS_KMS origin only) |
    // DisabledException | KMSInvalidStateException | UnsupportedOperationException"
    (
        &["EnableKeyRotation", "DisableKeyRotation"],
        [
            Allowed,
            Refused(Disabled),
            Refused(InvalidState),
            Refused(Unsupported),
        ],
    ),
    // "GetKeyRotationStatus: ✓ | ✓ | ✓ | UnsupportedOperationException
    // (EXTERNAL keys in every state)"
    (
        &["GetKeyRotationStatus"],
        [Allowed, Allowed, Allowed, Refused(Unsupported)],
    ),
    // "RotateKeyOnDemand (current only): ✓ | DisabledException |
    // KMSInvalidStateException | KMSInvalidStateException"
    (
        &["RotateKeyOnDemand"],
        [
            Allowed,
            Refused(Disabled),
            Refused(InvalidState),
            Refused(InvalidState),
        ],
    ),
    // "ScheduleKeyDeletion: ✓ | ✓ | KMSInvalidStateException | ✓"
    (
        &["ScheduleKeyDeletion"],
        [Allowed, Allowed, Refused(InvalidState), Allowed],
    ),
    // "CancelKeyDeletion: KMSInvalidStateException | same | ✓ | same"
    (
        &["CancelKeyDeletion"],
        [
            Refused(InvalidState),
            Refused(InvalidState),
            Allowed,
            Refused(InvalidState),
        ],
    ),
    // "GetParametersForImport, ImportKeyMaterial: EXTERNAL ✓ (AWS_KMS:
    // UnsupportedOperationException) | EXTERNAL ✓ | KMSInvalidStateException | ✓"
    (
        &["GetParametersForImport", "ImportKeyMaterial"],
        [Allowed, Allowed, Refused(InvalidState), Allowed],
    ),
    // "DeleteImportedKeyMaterial: EXTERNAL ✓ | EXTERNAL ✓ | EXTERNAL ✓ | ✓"
    (
        &["DeleteImportedKeyMaterial"],
        [Allowed, Allowed, Allowed, Allowed],
    ),
    // "CreateAlias, UpdateAlias (as the new target), TagResource, …: ✓ | ✓ |
    // KMSInvalidStateException | ✓"
    (
        &["CreateAlias", "UpdateAlias"],
        [Allowed, Allowed, Refused(InvalidState), Allowed],
    ),
];

/// Operations that only keys of one origin support, and what the other
/// origin gets (checked before the state: the table's PendingDeletion cell
/// of GetParametersForImport is for EXTERNAL keys).
fn origin_override(op: &str, origin: Origin) -> Option<Expect> {
    match (op, origin) {
        // "✓ (AWS_KMS origin only)"; "UnsupportedOperationException (EXTERNAL
        // keys in every state)".
        ("EnableKeyRotation" | "DisableKeyRotation" | "GetKeyRotationStatus", Origin::External) => {
            Some(Refused(Unsupported))
        }
        // "AWS_KMS: UnsupportedOperationException (`<arn> origin is AWS_KMS
        // which is not valid for this operation.`)"; DeleteImportedKeyMaterial
        // likewise (issue 12, decisions.md).
        (
            "GetParametersForImport" | "ImportKeyMaterial" | "DeleteImportedKeyMaterial",
            Origin::AwsKms,
        ) => Some(Refused(Unsupported)),
        _ => None,
    }
}

/// "AWS managed keys … their rotation is not manageable (Enable/
/// DisableKeyRotation and RotateKeyOnDemand → UnsupportedOperationException
/// …), and they cannot be disabled or scheduled for deletion
/// (UnsupportedOperationException)"; an alias's target must be a customer
/// managed key (decisions.md, AWS managed keys).
fn managed_override(op: &str) -> Option<Expect> {
    match op {
        "EnableKeyRotation"
        | "DisableKeyRotation"
        | "RotateKeyOnDemand"
        | "DisableKey"
        | "ScheduleKeyDeletion"
        | "CreateAlias"
        | "UpdateAlias" => Some(Refused(Unsupported)),
        _ => None,
    }
}

/// The cell of `op` for `key`: spec §2's "Deleted: every operation →
/// NotFoundException", then the managed-key paragraph, the origin conditions,
/// then the state columns. `None` for an operation the table has no row for.
pub fn cell(rules: &Rules, op: &str, key: &Key) -> Option<Expect> {
    if key.state == KeyState::Deleted {
        return Some(Refused(NotFound));
    }
    // Spec §1: "on-demand rotation: not available (classic) →
    // UnsupportedOperationException".
    if op == "RotateKeyOnDemand" && !rules.on_demand_rotation {
        return Some(Refused(Unsupported));
    }
    if key.manager == Manager::Aws
        && let Some(e) = managed_override(op)
    {
        return Some(e);
    }
    if let Some(e) = origin_override(op, key.origin) {
        return Some(e);
    }
    let (_, cells) = ROWS.iter().find(|(ops, _)| ops.contains(&op))?;
    Some(
        cells[match key.state {
            KeyState::Enabled => 0,
            KeyState::Disabled => 1,
            KeyState::PendingDeletion => 2,
            KeyState::PendingImport => 3,
            KeyState::Deleted => unreachable!("handled above"),
        }],
    )
}

/// The keys an action is checked against in the table, with the table's
/// operation name: the key it names (through an alias if it names one), or
/// the key of the ciphertext it decrypts. ReEncrypt has two (its source
/// ciphertext's key, then its destination). `None`: an alias that names no
/// key (NotFoundException). Empty for actions on no key, and for a Decrypt
/// naming a live key other than the ciphertext's (IncorrectKeyException,
/// §7, checked by its own rule).
pub fn cells_of(s: &State, a: &Action) -> Vec<(&'static str, Option<u8>)> {
    let via = |r: KeyRef| match r {
        KeyRef::Key(k) => Some(k),
        KeyRef::Alias(slot) => s.aliases.get(slot as usize).copied().flatten(),
    };
    let op = a.kind();
    let ct_key = |ct: u8| s.ciphertexts.get(ct as usize).map(|c| c.key);
    let live = |k: u8| {
        s.keys
            .get(k as usize)
            .is_some_and(|k| k.state != KeyState::Deleted)
    };
    let keys: Vec<Option<u8>> = match *a {
        Action::DescribeKey { key }
        | Action::Encrypt { key, .. }
        | Action::GenerateDataKey { key } => vec![via(key)],
        Action::Decrypt { ct, key: None, .. } | Action::DecryptTampered { ct } => vec![ct_key(ct)],
        Action::Decrypt {
            ct, key: Some(k), ..
        } => match via(k) {
            None => vec![None],
            Some(n) if Some(n) == ct_key(ct) => vec![Some(n)],
            Some(n) if !live(n) => vec![Some(n)],
            Some(_) => vec![],
        },
        Action::ReEncrypt { ct, dest } => vec![ct_key(ct), via(dest)],
        // Every other operation on a key names it directly (management,
        // import, aliases as the target, key policies); the rest name none.
        _ => a.direct_key().map(Some).into_iter().collect(),
    };
    keys.into_iter()
        .filter(|k| k.is_none_or(|k| (k as usize) < s.keys.len()))
        .map(|k| (op, k))
        .collect()
}

/// Errors that argument checks may give before the key's state is looked at
/// (spec §3 is about the state): a malformed argument, an alias name the
/// caller may not use, and, for UpdateAlias, an alias that does not exist;
/// for ReEncrypt, whatever its source ciphertext gives (its destination is
/// checked after it).
fn earlier_error(op: &str, e: Exception) -> bool {
    matches!(
        (op, e),
        (_, Exception::ValidationException)
            | (
                "CreateAlias",
                Exception::InvalidAliasNameException | Exception::NotAuthorizedException
            )
            | ("UpdateAlias", Exception::NotFoundException)
    )
}

/// Errors an allowed cell may still give for reasons other than the key's
/// state: each is a rule of the spec about the other arguments or about
/// counters (§1 limit and conflict, §5 tokens and material, §7 ciphertext and
/// context, §9 alias names).
fn other_error(op: &str, e: Exception) -> bool {
    use Exception::*;
    match e {
        ValidationException => true,
        InvalidCiphertextException => matches!(op, "Decrypt" | "ReEncrypt"),
        LimitExceededException | ConflictException => op == "RotateKeyOnDemand",
        // An EXTERNAL key with no material pending rotation (decisions.md).
        KMSInvalidStateException => matches!(op, "RotateKeyOnDemand" | "ImportKeyMaterial"),
        IncorrectKeyMaterialException
        | ExpiredImportTokenException
        | InvalidImportTokenException => op == "ImportKeyMaterial",
        // DeleteImportedKeyMaterial naming a material the key does not have.
        // UpdateAlias, DeleteAlias: an alias that does not exist.
        NotFoundException => matches!(
            op,
            "DeleteImportedKeyMaterial" | "UpdateAlias" | "DeleteAlias"
        ),
        InvalidAliasNameException | NotAuthorizedException | AlreadyExistsException => {
            op == "CreateAlias"
        }
        // Decrypt naming another key (its own rule checks when).
        IncorrectKeyException => op == "Decrypt",
        // The key policy refuses the caller, or the new document.
        AccessDeniedException => {
            matches!(op, "GetKeyPolicy" | "ListKeyPolicies" | "PutKeyPolicy")
        }
        MalformedPolicyDocumentException => op == "PutKeyPolicy",
        _ => false,
    }
}

/// "§3 every operation answers what its cell of the state table says": a
/// key that does not exist (deleted, or an alias naming nothing) answers
/// NotFoundException before anything else (every KeyId is resolved first,
/// decisions.md); otherwise the first refusing cell, in order (ReEncrypt:
/// its source ciphertext's key, then its destination), gives the answer,
/// unless an argument check comes first; an operation every cell allows
/// answers no state refusal.
pub fn answers_follow_the_table(
    rules: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    let mut expected = None;
    for (op, k) in cells_of(b, a) {
        let e = match k {
            None => Some(Refused(NotFound)),
            Some(k) => cell(rules, op, &b.keys[k as usize]),
        };
        match e {
            Some(Refused(NotFound)) => {
                expected = Some(NotFound);
                break;
            }
            Some(Refused(e)) if expected.is_none() => expected = Some(e),
            _ => {}
        }
    }
    match (expected, r.outcome) {
        (Some(e), Err(got)) => got == e || (e != NotFound && earlier_error(a.kind(), got)),
        (Some(_), Ok(_)) => false,
        (None, Err(got)) => other_error(a.kind(), got),
        (None, Ok(_)) => true,
    }
}

/// "§6 ScheduleKeyDeletion(PendingWindowInDays): 7–30 inclusive, default 30;
/// outside → ValidationException. DeletionDate = now + window."
pub fn deletion_window_and_date(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    let Action::ScheduleKeyDeletion { key, window_days } = *a else {
        return true;
    };
    let w = window_days.unwrap_or(30);
    let valid = (7..=30).contains(&w);
    // A deleted key is not found before its arguments are looked at.
    if b.keys[key as usize].state == KeyState::Deleted {
        return r.outcome == Err(Exception::NotFoundException);
    }
    match r.outcome {
        Ok(OkSummary::Scheduled {
            key: k,
            deletion_date,
            window_days: answered,
        }) => {
            let dd = b.now + w as Time * DAY;
            valid
                && k == key
                && answered == w
                && deletion_date == dd
                && af.keys[key as usize].state == KeyState::PendingDeletion
                && af.keys[key as usize].deletion_date == Some(dd)
        }
        Ok(_) => false,
        Err(e) => valid || e == Exception::ValidationException,
    }
}

/// "§7 Decrypt with a KeyId that is not the key that made the ciphertext →
/// IncorrectKeyException" (once both exist).
pub fn decrypt_naming_another_key_is_incorrect_key(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    let Action::Decrypt {
        ct, key: Some(k), ..
    } = *a
    else {
        return true;
    };
    let named = match k {
        KeyRef::Key(k) => Some(k),
        KeyRef::Alias(slot) => b.aliases.get(slot as usize).copied().flatten(),
    };
    let made_by = b.ciphertexts.get(ct as usize).map(|c| c.key);
    match (named, made_by) {
        (Some(n), Some(m))
            if n != m
                && (n as usize) < b.keys.len()
                && b.keys[n as usize].state != KeyState::Deleted =>
        {
            r.outcome == Err(Exception::IncorrectKeyException)
        }
        _ => true,
    }
}

/// "§1 RotateKeyOnDemand: at most 25 per key (LimitExceededException);
/// ConflictException when an automatic rotation is due within 20 minutes"
/// (the limit is checked first, decisions.md), for a key the table allows.
pub fn on_demand_limit_and_conflict(
    rules: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    _: &State,
) -> bool {
    let Action::RotateKeyOnDemand { key } = *a else {
        return true;
    };
    let k = &b.keys[key as usize];
    if cell(rules, "RotateKeyOnDemand", k) != Some(Allowed) {
        return true;
    }
    let at_limit = k.on_demand_count as u32 >= rules.on_demand_limit;
    let conflict = k.rotation.is_some_and(|s| s.next <= b.now + 20 * 60);
    match r.outcome {
        Err(Exception::LimitExceededException) => at_limit,
        Err(Exception::ConflictException) => conflict && !at_limit,
        Ok(_) => !at_limit && !conflict,
        Err(_) => true,
    }
}

// ----- coverage -------------------------------------------------------------------

/// The table's operation names, in the order of the table's rows (a cell's index is
/// `op × 10 + state × 2 + origin`, with a managed key's cells after them).
pub const OPERATIONS: &[&str] = &[
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "DescribeKey",
    "EnableKey",
    "DisableKey",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "GetKeyRotationStatus",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
    "CreateAlias",
    "UpdateAlias",
    "GetKeyPolicy",
    "ListKeyPolicies",
    "PutKeyPolicy",
];

const STATES: [KeyState; 5] = [
    KeyState::Enabled,
    KeyState::Disabled,
    KeyState::PendingDeletion,
    KeyState::PendingImport,
    KeyState::Deleted,
];

/// One cell a step can hit: operation, key state, origin, AWS managed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellId {
    /// Index into [`OPERATIONS`].
    pub op: usize,
    /// The key's state.
    pub state: KeyState,
    /// The key's origin.
    pub origin: Origin,
    /// An AWS managed key.
    pub managed: bool,
}

impl CellId {
    fn index(&self) -> usize {
        let st = STATES.iter().position(|s| *s == self.state).unwrap_or(0);
        let origin = usize::from(self.origin == Origin::External);
        (self.op * STATES.len() + st) * 2 + origin + usize::from(self.managed) * CELLS
    }

    fn from_index(i: usize) -> CellId {
        let managed = i >= CELLS;
        let i = i % CELLS;
        CellId {
            op: i / (STATES.len() * 2),
            state: STATES[(i / 2) % STATES.len()],
            origin: if i % 2 == 1 {
                Origin::External
            } else {
                Origin::AwsKms
            },
            managed,
        }
    }

    /// Cells a key can be in at all: AWS_KMS keys are never PendingImport,
    /// AWS managed keys are AWS_KMS keys that are always Enabled (spec §3),
    /// RotateKeyOnDemand exists under `current` only.
    pub fn possible(&self, rules: &Rules) -> bool {
        let op = OPERATIONS[self.op];
        !(self.origin == Origin::AwsKms && self.state == KeyState::PendingImport)
            && !(self.managed
                && (self.origin == Origin::External || self.state != KeyState::Enabled))
            && (op != "RotateKeyOnDemand" || rules.on_demand_rotation)
    }

    /// "RotateKeyOnDemand on a PendingDeletion EXTERNAL key" and the like.
    pub fn label(&self) -> String {
        format!(
            "{} on a {}{} {} key",
            OPERATIONS[self.op],
            if self.managed { "managed " } else { "" },
            self.state.name(),
            match self.origin {
                Origin::AwsKms => "AWS_KMS",
                Origin::External => "EXTERNAL",
            }
        )
    }
}

const CELLS: usize = 21 * 5 * 2;

/// Every cell a key can be in under `rules` ([`CellId::possible`]).
pub fn possible_cells(rules: &Rules) -> Vec<CellId> {
    (0..2 * CELLS)
        .map(CellId::from_index)
        .filter(|c| c.possible(rules))
        .collect()
}

/// The cells of `wanted` that `hit` misses.
pub fn missed(wanted: &[CellId], hit: &[CellId]) -> Vec<CellId> {
    wanted
        .iter()
        .filter(|c| !hit.contains(c))
        .copied()
        .collect()
}
const WORDS: usize = (2 * CELLS).div_ceil(64);

/// Which cells the explored steps hit (shared by the checker's threads).
#[derive(Debug, Default)]
pub struct Coverage([AtomicU64; WORDS]);

impl Coverage {
    /// Records the cells of one step.
    pub fn record(&self, s: &State, a: &Action) {
        for (op, k) in cells_of(s, a) {
            let (Some(op), Some(k)) = (OPERATIONS.iter().position(|o| *o == op), k) else {
                continue;
            };
            let key = &s.keys[k as usize];
            let i = CellId {
                op,
                state: key.state,
                origin: key.origin,
                managed: key.manager == Manager::Aws,
            }
            .index();
            let (w, bit) = (i / 64, 1u64 << (i % 64));
            if self.0[w].load(Ordering::Relaxed) & bit == 0 {
                self.0[w].fetch_or(bit, Ordering::Relaxed);
            }
        }
    }

    /// The cells hit.
    pub fn hit(&self) -> Vec<CellId> {
        (0..2 * CELLS)
            .filter(|&i| self.0[i / 64].load(Ordering::Relaxed) >> (i % 64) & 1 == 1)
            .map(CellId::from_index)
            .collect()
    }

    /// Adds another run's cells.
    pub fn merge(&self, other: &Coverage) {
        for (a, b) in self.0.iter().zip(&other.0) {
            a.fetch_or(b.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_ids_round_trip() {
        for i in 0..2 * CELLS {
            assert_eq!(CellId::from_index(i).index(), i);
        }
        assert_eq!(OPERATIONS.len() * STATES.len() * 2, CELLS);
        // Every operation of the table has a row.
        for op in OPERATIONS {
            assert!(ROWS.iter().any(|(ops, _)| ops.contains(op)), "{op}");
        }
    }
}
