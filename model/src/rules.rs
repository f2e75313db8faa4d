//! The two rule sets of spec §1, as data.

use serde::{Deserialize, Serialize};

/// The differences between the two rule sets of spec §1, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rules {
    /// `current`: `RotationPeriodInDays` accepted; `classic`: ValidationException.
    pub rotation_period_configurable: bool,
    /// Smallest accepted `RotationPeriodInDays`.
    pub min_rotation_days: u32,
    /// Largest accepted `RotationPeriodInDays`.
    pub max_rotation_days: u32,
    /// Period used when none is given (and the only one under `classic`).
    pub default_rotation_days: u32,
    /// Rotation period of AWS managed keys.
    pub managed_rotation_days: u32,
    /// RotateKeyOnDemand available.
    pub on_demand_rotation: bool,
    /// Maximum number of on-demand rotations per key.
    pub on_demand_limit: u32,
    /// `ImportType=NEW_KEY_MATERIAL` (rotation of imported keys) available.
    pub new_key_material_import: bool,
    /// Wrapping key specs RSA_3072 and RSA_4096 accepted.
    pub large_wrapping_keys: bool,
    /// Wrapping algorithms RSA_AES_KEY_WRAP_SHA_1/256 accepted.
    pub aes_key_wrap_algorithms: bool,
    /// Wrapping algorithm RSAES_PKCS1_V1_5 accepted.
    pub pkcs1_v15_allowed: bool,
    /// `CurrentKeyMaterialId` / `KeyMaterialId` in responses.
    pub key_material_ids: bool,
}

impl Rules {
    /// The course's rules.
    pub const fn classic() -> Rules {
        Rules {
            rotation_period_configurable: false,
            min_rotation_days: 365,
            max_rotation_days: 365,
            default_rotation_days: 365,
            managed_rotation_days: 1095,
            on_demand_rotation: false,
            on_demand_limit: 0,
            new_key_material_import: false,
            large_wrapping_keys: false,
            aes_key_wrap_algorithms: false,
            pkcs1_v15_allowed: true,
            key_material_ids: false,
        }
    }

    /// AWS as of 2026.
    pub const fn current() -> Rules {
        Rules {
            rotation_period_configurable: true,
            min_rotation_days: 90,
            max_rotation_days: 2560,
            default_rotation_days: 365,
            managed_rotation_days: 365,
            on_demand_rotation: true,
            on_demand_limit: 25,
            new_key_material_import: true,
            large_wrapping_keys: true,
            aes_key_wrap_algorithms: true,
            pkcs1_v15_allowed: false,
            key_material_ids: true,
        }
    }

    /// `"classic"` or `"current"`.
    pub fn by_name(name: &str) -> Option<Rules> {
        match name {
            "classic" => Some(Rules::classic()),
            "current" => Some(Rules::current()),
            _ => None,
        }
    }

    /// The name of the preset this is, or is derived from (by the
    /// checker's lowered on-demand limit), e.g. `"current (on-demand limit 2)"`.
    pub fn name_or_base(&self) -> String {
        let mut base = *self;
        base.on_demand_limit = Rules::current().on_demand_limit;
        if *self == Rules::classic() || *self == Rules::current() {
            self.name().to_string()
        } else if base == Rules::current() {
            format!("current (on-demand limit {})", self.on_demand_limit)
        } else {
            "custom".to_string()
        }
    }

    /// The preset's name; `"custom"` for anything else.
    pub fn name(&self) -> &'static str {
        if *self == Rules::classic() {
            "classic"
        } else if *self == Rules::current() {
            "current"
        } else {
            "custom"
        }
    }
}

/// AWS as of 2026 ([`Rules::current`]).
impl Default for Rules {
    fn default() -> Rules {
        Rules::current()
    }
}
