//! The model's state: keys, ciphertexts and alias slots (spec §2).

use crate::*;
use serde::{Deserialize, Serialize};

/// One KMS key. Index in [`State::keys`] = creation order = key id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    /// KeyState: where the key is in its lifecycle.
    pub state: KeyState,
    /// Origin: AWS_KMS (generated material) or EXTERNAL (imported material).
    pub origin: Origin,
    /// KeyManager: CUSTOMER (CreateKey) or AWS (an AWS managed key).
    pub manager: Manager,
    /// Automatic rotation, when enabled (DisableKeyRotation clears it).
    pub rotation: Option<RotationSetting>,
    /// Number of backing-key versions (0 = no material yet); the current one
    /// is `versions - 1`.
    pub versions: u8,
    /// Versions below this are gone. Always 0 in the correct model (backing
    /// keys are never destroyed while the key exists, spec §4).
    pub oldest_retained: u8,
    /// Every rotation (ListKeyRotations), oldest first.
    pub rotations: Vec<RotationRecord>,
    /// RotateKeyOnDemand successes.
    pub on_demand_count: u8,
    /// EXTERNAL keys: the material of each version (index = version).
    pub materials: Vec<Material>,
    /// EXTERNAL keys, `current`: imported with NEW_KEY_MATERIAL, waiting for
    /// RotateKeyOnDemand (PENDING_ROTATION).
    pub pending: Option<Material>,
    /// The latest import parameters.
    pub token: Option<Token>,
    /// How many times GetParametersForImport succeeded, saturating at 2 (≥ 2
    /// means a superseded token exists).
    pub tokens_issued: u8,
    /// Set iff PendingDeletion.
    pub deletion_date: Option<Time>,
    /// The key policy (part of the key in every state).
    pub policy: Policy,
    /// The policy locks out and was accepted with
    /// `BypassPolicyLockoutSafetyCheck` (false for every other policy).
    pub lockout_bypassed: bool,
}

impl Key {
    pub(crate) fn new(origin: Origin, manager: Manager) -> Key {
        Key {
            state: match origin {
                Origin::AwsKms => KeyState::Enabled,
                Origin::External => KeyState::PendingImport,
            },
            origin,
            manager,
            rotation: None,
            versions: match origin {
                Origin::AwsKms => 1,
                Origin::External => 0,
            },
            oldest_retained: 0,
            rotations: Vec::new(),
            on_demand_count: 0,
            materials: Vec::new(),
            pending: None,
            token: None,
            tokens_issued: 0,
            deletion_date: None,
            policy: match manager {
                Manager::Customer => Policy::Default,
                Manager::Aws => Policy::Managed,
            },
            lockout_bypassed: false,
        }
    }

    /// The tombstone left by deletion: only origin and manager are kept.
    pub(crate) fn tombstone(&self) -> Key {
        let mut k = Key::new(self.origin, self.manager);
        k.state = KeyState::Deleted;
        k.versions = 0;
        k
    }

    /// The backing-key version `v` exists and its material is present.
    pub fn version_usable(&self, v: u8) -> bool {
        v < self.versions
            && v >= self.oldest_retained
            && match self.origin {
                Origin::AwsKms => true,
                Origin::External => self.materials.get(v as usize).is_some_and(|m| m.present),
            }
    }

    /// Every permanently associated material is present (EXTERNAL), or AWS_KMS.
    pub fn all_material_present(&self) -> bool {
        match self.origin {
            Origin::AwsKms => true,
            Origin::External => {
                !self.materials.is_empty() && self.materials.iter().all(|m| m.present)
            }
        }
    }

    /// The period that applies to automatic rotation of this key.
    pub(crate) fn is_managed(&self) -> bool {
        self.manager == Manager::Aws
    }
}

/// An abstract ciphertext: which key, which backing key, which context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ciphertext {
    /// KeyId: the index of the key in [`State::keys`].
    pub key: u8,
    /// The backing-key version it was encrypted under.
    pub version: u8,
    /// The encryption context it was encrypted with (Decrypt must pass the
    /// same).
    pub ctx: Ctx,
}

/// An abstract encryption context: `A` is the one used for encryption in the
/// checker, `B` a different one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ctx {
    /// The encryption context used for encryption in the checker.
    A,
    /// A different encryption context (Decrypt with it of a ciphertext made
    /// under [`Ctx::A`] fails).
    B,
}

/// The whole abstract system.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct State {
    /// The model time now (seconds since model time 0).
    pub now: Time,
    /// Keys by creation order; ids are never reused (deleted keys stay as tombstones).
    pub keys: Vec<Key>,
    /// Alias slots: `aliases[a]` names the key it points to, or `None`.
    pub aliases: Vec<Option<u8>>,
    /// Ciphertexts by creation order.
    pub ciphertexts: Vec<Ciphertext>,
}

impl State {
    /// Epoch 0, no keys, `alias_slots` unused alias names.
    pub fn initial(alias_slots: usize) -> State {
        State {
            now: 0,
            keys: Vec::new(),
            aliases: vec![None; alias_slots],
            ciphertexts: Vec::new(),
        }
    }
}
