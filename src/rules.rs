//! The two rule sets of spec §1, as data.
//!
//! `classic` is the behaviour of the course; `current` is AWS KMS in 2026. No
//! code tests which preset is in use: every difference is a field here.

use crate::api::{WrappingAlgorithm, WrappingKeySpec};

/// The rules a [`crate::Kms`] follows. Build one with [`Rules::classic`] or
/// [`Rules::current`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Preset name (`classic` or `current`).
    pub name: &'static str,
    /// Whether `RotationPeriodInDays` may be given (else ValidationException).
    pub rotation_period_configurable: bool,
    /// Smallest accepted `RotationPeriodInDays`.
    pub min_rotation_days: u32,
    /// Largest accepted `RotationPeriodInDays`.
    pub max_rotation_days: u32,
    /// Period of customer managed keys when none is given.
    pub default_rotation_days: u32,
    /// Period of AWS managed keys (1095 days in the course, 365 today).
    pub managed_rotation_days: u32,
    /// Whether `RotateKeyOnDemand` exists.
    pub on_demand_rotation: bool,
    /// At most this many on-demand rotations per key.
    pub on_demand_limit: u32,
    /// Whether symmetric EXTERNAL keys may import `NEW_KEY_MATERIAL`.
    pub new_key_material_import: bool,
    /// Accepted wrapping key specs.
    pub wrapping_key_specs: &'static [WrappingKeySpec],
    /// Accepted wrapping algorithms.
    pub wrapping_algorithms: &'static [WrappingAlgorithm],
    /// Whether responses carry key material ids.
    pub key_material_ids: bool,
}

impl Rules {
    /// The course's rules.
    pub fn classic() -> Self {
        Self {
            name: "classic",
            rotation_period_configurable: false,
            min_rotation_days: 365,
            max_rotation_days: 365,
            default_rotation_days: 365,
            managed_rotation_days: 1095,
            on_demand_rotation: false,
            on_demand_limit: 0,
            new_key_material_import: false,
            wrapping_key_specs: &[WrappingKeySpec::Rsa2048],
            wrapping_algorithms: &[
                WrappingAlgorithm::RsaesOaepSha256,
                WrappingAlgorithm::RsaesOaepSha1,
                WrappingAlgorithm::RsaesPkcs1V15,
            ],
            key_material_ids: false,
        }
    }

    /// AWS KMS as of 2026.
    pub fn current() -> Self {
        Self {
            name: "current",
            rotation_period_configurable: true,
            min_rotation_days: 90,
            max_rotation_days: 2560,
            default_rotation_days: 365,
            managed_rotation_days: 365,
            on_demand_rotation: true,
            on_demand_limit: 25,
            new_key_material_import: true,
            wrapping_key_specs: &[
                WrappingKeySpec::Rsa2048,
                WrappingKeySpec::Rsa3072,
                WrappingKeySpec::Rsa4096,
            ],
            wrapping_algorithms: &[
                WrappingAlgorithm::RsaesOaepSha256,
                WrappingAlgorithm::RsaesOaepSha1,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                WrappingAlgorithm::RsaAesKeyWrapSha1,
            ],
            key_material_ids: true,
        }
    }

    /// A preset by name: `classic` or `current`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "classic" => Some(Self::classic()),
            "current" => Some(Self::current()),
            _ => None,
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self::current()
    }
}
