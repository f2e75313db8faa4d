//! Observation: what an implementation must agree on about a key, its
//! materials and its ciphertexts (the differential tests and the oracle).

use crate::step::{crypto::decrypt, rotation::rotation_report};
use crate::*;
use serde::{Deserialize, Serialize};

/// What an implementation must agree on about one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyObservation {
    /// DescribeKey's `KeyState`.
    pub state: KeyState,
    /// DescribeKey's `Origin`: AWS_KMS or EXTERNAL.
    pub origin: Origin,
    /// DescribeKey's `KeyManager`: CUSTOMER or AWS.
    pub manager: Manager,
    /// DescribeKey's `Enabled` (true iff Enabled).
    pub enabled: bool,
    /// DescribeKey's `DeletionDate` (model seconds): set iff the key is
    /// PendingDeletion.
    pub deletion_date: Option<Time>,
    /// As GetKeyRotationStatus reports it (false for EXTERNAL keys and keys
    /// pending deletion; always true for AWS managed keys).
    pub rotation_enabled: bool,
    /// GetKeyRotationStatus's `NextRotationDate` (model seconds), while
    /// rotation is reported enabled.
    pub next_rotation_date: Option<Time>,
    /// GetKeyRotationStatus's `RotationPeriodInDays`, while rotation is
    /// reported enabled.
    pub rotation_period_days: Option<u32>,
    /// ListKeyRotations.
    pub rotations: Vec<RotationRecord>,
    /// `None` while the key never had material.
    pub current_version: Option<u8>,
    /// The number of backing-key versions (0 while the key never had material).
    pub versions: u8,
    /// The alias slots that name the key.
    pub aliases: Vec<u8>,
    /// ListKeyRotations(IncludeKeyMaterial=ALL_KEY_MATERIAL): every material
    /// in version order, then the one pending rotation (spec §5).
    pub materials: Vec<MaterialObservation>,
    /// DescribeKey's `ValidTo`: the earliest expiry among the permanently
    /// associated materials that are present (EXTERNAL keys).
    pub valid_to: Option<Time>,
}

/// `KeyMaterialState` of a ListKeyRotations entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MaterialState {
    /// `KeyMaterialState::CURRENT`: the current backing key's material.
    Current,
    /// `KeyMaterialState::NON_CURRENT`: an earlier backing key's material.
    NonCurrent,
    /// `KeyMaterialState::PENDING_ROTATION`: imported with NEW_KEY_MATERIAL,
    /// waiting for RotateKeyOnDemand.
    PendingRotation,
}

/// One ListKeyRotations(ALL_KEY_MATERIAL) entry as the model predicts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaterialObservation {
    /// The backing-key version; `None` for material pending rotation.
    pub version: Option<u8>,
    /// Its `KeyMaterialState`.
    pub state: MaterialState,
    /// EXTERNAL keys: `ImportState` IMPORTED (true) or PENDING_IMPORT (false);
    /// `None` for AWS_KMS keys.
    pub imported: Option<bool>,
    /// EXTERNAL keys with imported material: `Some(valid_to)` where
    /// `valid_to` is `Some` for KEY_MATERIAL_EXPIRES and `None` for
    /// KEY_MATERIAL_DOES_NOT_EXPIRE; `None` when no material is imported.
    pub expiration: Option<Option<Time>>,
    /// The rotation that made it (RotationDate, RotationType); `None` for the
    /// first material and for pending material.
    pub rotation: Option<(Time, RotationType)>,
}

/// The materials of key `k` as ListKeyRotations(ALL_KEY_MATERIAL) lists them.
pub fn observe_materials(k: &Key) -> Vec<MaterialObservation> {
    if k.state == KeyState::Deleted {
        return Vec::new();
    }
    let current = k.versions.checked_sub(1);
    let rotation = |v: u8| {
        k.rotations
            .iter()
            .find(|r| r.version == v)
            .map(|r| (r.date, r.rotation_type))
    };
    let state = |v: u8| {
        if Some(v) == current {
            MaterialState::Current
        } else {
            MaterialState::NonCurrent
        }
    };
    let mut out: Vec<MaterialObservation> = match k.origin {
        Origin::AwsKms => (0..k.versions)
            .map(|v| MaterialObservation {
                version: Some(v),
                state: state(v),
                imported: None,
                expiration: None,
                rotation: rotation(v),
            })
            .collect(),
        Origin::External => k
            .materials
            .iter()
            .enumerate()
            .map(|(v, m)| MaterialObservation {
                version: Some(v as u8),
                state: state(v as u8),
                imported: Some(m.present),
                expiration: m.present.then_some(m.valid_to),
                rotation: rotation(v as u8),
            })
            .collect(),
    };
    if let Some(p) = k.pending {
        out.push(MaterialObservation {
            version: None,
            state: MaterialState::PendingRotation,
            imported: Some(true),
            expiration: Some(p.valid_to),
            rotation: None,
        });
    }
    out
}

/// Observe key `key_index`. Panics when the index is out of range.
pub fn observe(state: &State, key_index: usize) -> KeyObservation {
    let k = &state.keys[key_index];
    let (rotation_enabled, next, period) = if k.state == KeyState::Deleted {
        (false, None, None)
    } else {
        rotation_report(k)
    };
    KeyObservation {
        state: k.state,
        origin: k.origin,
        manager: k.manager,
        enabled: k.state == KeyState::Enabled,
        deletion_date: k.deletion_date,
        rotation_enabled,
        next_rotation_date: next,
        rotation_period_days: period,
        rotations: k.rotations.clone(),
        current_version: k.versions.checked_sub(1),
        versions: k.versions,
        aliases: state
            .aliases
            .iter()
            .enumerate()
            .filter(|(_, a)| **a == Some(key_index as u8))
            .map(|(i, _)| i as u8)
            .collect(),
        materials: observe_materials(k),
        valid_to: k
            .materials
            .iter()
            .filter(|m| m.present)
            .filter_map(|m| m.valid_to)
            .min(),
    }
}

/// What Decrypt of ciphertext `ct_index` with context `ctx` (no KeyId) answers
/// now: the backing-key version, or the exception. Panics when out of range.
pub fn decrypt_outcome(state: &State, ct_index: usize, ctx: Ctx) -> Result<u8, Exception> {
    let mut s = state.clone();
    match decrypt(&mut s, ct_index as u8, ctx, None, false) {
        Ok((_, v)) => Ok(v),
        Err(r) => Err(r.outcome.expect_err("decrypt failure is an error")),
    }
}

/// A one-line summary of the state, for counterexamples.
pub fn summary(state: &State) -> String {
    use std::fmt::Write;
    let mut out = format!("t={}", fmt_time(state.now));
    for (i, k) in state.keys.iter().enumerate() {
        let _ = write!(
            out,
            " | k{i}:{}{}{}",
            k.state.name(),
            if k.origin == Origin::External {
                ",EXT"
            } else {
                ""
            },
            if k.is_managed() { ",AWS" } else { "" },
        );
        if k.state == KeyState::Deleted {
            continue;
        }
        let _ = write!(out, ",v{}", k.versions);
        if k.oldest_retained > 0 {
            let _ = write!(out, ",oldest={}", k.oldest_retained);
        }
        if let Some(r) = k.rotation {
            let _ = write!(out, ",rot={}d@{}", r.period_days, fmt_time(r.next));
        }
        if let Some(d) = k.deletion_date {
            let _ = write!(out, ",del@{}", fmt_time(d));
        }
        for (v, m) in k.materials.iter().enumerate() {
            let _ = write!(
                out,
                ",m{v}=#{}{}",
                m.id,
                if !m.present {
                    "(gone)".to_string()
                } else if let Some(t) = m.valid_to {
                    format!("(to {})", fmt_time(t))
                } else {
                    String::new()
                }
            );
        }
        if let Some(p) = k.pending {
            let _ = write!(out, ",pending=#{}", p.id);
        }
        match k.token {
            Some(Token::Valid { valid_to }) => {
                let _ = write!(out, ",token<{}", fmt_time(valid_to));
            }
            Some(Token::Expired) => out.push_str(",token expired"),
            None => {}
        }
        if k.on_demand_count > 0 {
            let _ = write!(out, ",od={}", k.on_demand_count);
        }
    }
    for (a, t) in state.aliases.iter().enumerate() {
        if let Some(k) = t {
            let _ = write!(out, " | alias{a}->k{k}");
        }
    }
    if !state.ciphertexts.is_empty() {
        out.push_str(" | ct:");
        for c in &state.ciphertexts {
            let _ = write!(out, " k{}v{}{:?}", c.key, c.version, c.ctx);
        }
    }
    out
}

/// `12d+3600s` style.
pub fn fmt_time(t: Time) -> String {
    let (d, r) = (t / DAY, t % DAY);
    match (d, r) {
        (0, r) => format!("{r}s"),
        (d, 0) => format!("{d}d"),
        (d, r) => format!("{d}d+{r}s"),
    }
}
