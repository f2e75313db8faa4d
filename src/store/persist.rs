//! The store's side of durability (feature `durable`): what changed since the
//! last commit, a record of each key's full state, and the restore of a
//! whole store from those records.
//!
//! The store only tracks and renders; [`crate::durable`] seals the records
//! under the root key and writes them to disk. Every key's record carries its
//! state, origin, every backing-key version (secret bytes, id, expiry), the
//! pending material, rotation settings and history, deletion date, import
//! generation and the key's current import parameters (RSA wrapping key as
//! PKCS#8 DER). Secrets in a record are [`Secret`]s: hex inside a zeroized
//! buffer, never a plain `String` or `Vec` that could be left in freed memory.
//! The event queue and the key index are not stored: both are rebuilt from
//! the keys on restore.

use super::*;
use crate::ids::lower_hex;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// What changed since the last [`Kms::drain_changes`] (tracked only after
/// [`Kms::track_changes`]).
#[derive(Default)]
pub(crate) struct Journal {
    keys: BTreeSet<u32>,
    aliases: BTreeSet<String>,
}

impl Kms {
    pub(super) fn touch_key(&mut self, idx: u32) {
        if let Some(j) = &mut self.journal {
            j.keys.insert(idx);
        }
    }

    pub(super) fn touch_alias(&mut self, name: &str) {
        if let Some(j) = &mut self.journal
            && !j.aliases.contains(name)
        {
            j.aliases.insert(name.to_string());
        }
    }

    /// Aliases of key `idx` (for [`Kms::touch_alias`] before they are
    /// dropped with their key).
    pub(super) fn touch_aliases_of(&mut self, idx: u32) {
        if self.journal.is_some() {
            let names: Vec<String> = self
                .aliases
                .iter()
                .filter(|(_, a)| a.target == idx)
                .map(|(n, _)| n.clone())
                .collect();
            for n in names {
                self.touch_alias(&n);
            }
        }
    }
}

/// 32 or more secret bytes in a record: serialized as lowercase hex written
/// straight into the output, read back from the input into a buffer of exact
/// size that is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    fn from_slice(b: &[u8]) -> Self {
        let mut v = Zeroizing::new(Vec::with_capacity(b.len()));
        v.extend_from_slice(b);
        Self(v)
    }
    fn array32(&self) -> Option<Zeroizing<[u8; 32]>> {
        let mut out = Zeroizing::new([0u8; 32]);
        if self.0.len() != 32 {
            return None;
        }
        out.copy_from_slice(&self.0);
        Some(out)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hexed = Zeroizing::new(String::with_capacity(self.0.len() * 2));
        for b in self.0.iter() {
            hexed.push(DIGITS[usize::from(b >> 4)] as char);
            hexed.push(DIGITS[usize::from(b & 15)] as char);
        }
        s.serialize_str(&hexed)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("hex digits")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Secret, E> {
                let b = s.as_bytes();
                if !b.len().is_multiple_of(2) {
                    return Err(E::custom("odd number of hex digits"));
                }
                let mut v = Zeroizing::new(Vec::with_capacity(b.len() / 2));
                for pair in b.chunks(2) {
                    match (lower_hex(pair[0]), lower_hex(pair[1])) {
                        (Some(h), Some(l)) => v.push(h << 4 | l),
                        _ => return Err(E::custom("not a hex digit")),
                    }
                }
                Ok(Secret(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// One backing-key version.
#[derive(Debug, Serialize, Deserialize)]
struct MaterialRecord {
    secret: Option<Secret>,
    id: [u8; 32],
    valid_to: Option<u64>,
    expiration_model: Option<ExpirationModel>,
}

impl MaterialRecord {
    fn of(m: &Material) -> Self {
        Self {
            secret: m.backing.as_ref().map(|b| Secret::from_slice(b.secret())),
            id: *m.id.as_bytes(),
            valid_to: m.valid_to,
            expiration_model: m.expiration_model,
        }
    }
    fn restore(&self) -> Result<Material, String> {
        let backing = match &self.secret {
            Some(s) => Some(crate::crypto::BackingKey::from_parts(
                s.array32().ok_or("a key material is not 32 bytes")?,
                self.id,
            )),
            None => None,
        };
        Ok(Material {
            backing,
            id: KeyMaterialId::from_bytes(self.id),
            valid_to: self.valid_to,
            expiration_model: self.expiration_model,
        })
    }
}

/// The current import parameters of a key.
#[derive(Debug, Serialize, Deserialize)]
struct ParamsRecord {
    generation: u64,
    algorithm: WrappingAlgorithm,
    valid_to: u64,
    /// The RSA wrapping private key, PKCS#8 DER.
    private_key: Secret,
}

/// Everything a live key has.
#[derive(Debug, Serialize, Deserialize)]
struct CoreRecord {
    creation_date: u64,
    description: String,
    manager: KeyManager,
    tags: BTreeMap<String, String>,
    materials: Vec<MaterialRecord>,
    current: u32,
    pending_material: Option<MaterialRecord>,
    /// (RotationPeriodInDays, NextRotationDate).
    rotation: Option<(u32, u64)>,
    /// (version, date, type) of each completed rotation.
    rotations: Vec<(u32, u64, RotationType)>,
    on_demand_rotations: u32,
    deletion_date: Option<u64>,
    pending_window_days: u32,
    import_generation: u64,
    /// The key policy PutKeyPolicy or CreateKey set (`None`: AWS's default,
    /// or an AWS managed key's, rendered on read). Absent in records written
    /// before key policies: the default.
    #[serde(default)]
    policy: Option<String>,
}

/// One key's full state (a tombstone for a deleted key): what the durable
/// layer seals under the root key, one record per key.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyRecord {
    id: [u8; 16],
    /// `None` for a deleted key.
    state: Option<KeyState>,
    origin: Option<Origin>,
    core: Option<CoreRecord>,
    params: Option<ParamsRecord>,
}

impl KeyRecord {
    /// The key id's bytes (the durable layer's additional data when sealing).
    pub fn id(&self) -> [u8; 16] {
        self.id
    }

    fn of(kms: &Kms, idx: u32) -> Self {
        let k = &kms.keys[idx as usize];
        let core = k.core().map(|c| CoreRecord {
            creation_date: c.creation_date,
            description: c.description.clone(),
            manager: c.manager,
            tags: c.tags.clone(),
            materials: c.materials.iter().map(MaterialRecord::of).collect(),
            current: c.current,
            pending_material: c.pending_material.as_deref().map(MaterialRecord::of),
            rotation: c.rotation.map(|r| (r.period_days, r.next)),
            rotations: c
                .rotations
                .iter()
                .map(|r| (r.version, r.date, r.kind))
                .collect(),
            on_demand_rotations: c.on_demand_rotations,
            deletion_date: c.deletion_date,
            pending_window_days: c.pending_window_days,
            import_generation: c.import_generation,
            policy: c.policy.as_ref().map(|p| p.text().to_owned()),
        });
        let params = kms.params.get(&idx).and_then(|p| {
            Some(ParamsRecord {
                generation: p.generation,
                algorithm: p.algorithm,
                valid_to: p.valid_to,
                private_key: Secret(p.private_key_der()?),
            })
        });
        KeyRecord {
            id: *k.id().as_bytes(),
            state: k.state(),
            origin: k.origin(),
            core,
            params,
        }
    }

    fn restore(&self) -> Result<(AnyKey, Option<ImportParameters>), String> {
        let Some(c) = &self.core else {
            return Ok((
                AnyKey::Deleted(Deleted {
                    id: KeyId::from_bytes(self.id),
                }),
                None,
            ));
        };
        let materials = c
            .materials
            .iter()
            .map(MaterialRecord::restore)
            .collect::<Result<Vec<_>, _>>()?;
        let pending_material = match &c.pending_material {
            Some(m) => Some(Box::new(m.restore()?)),
            None => None,
        };
        if (c.current as usize) >= materials.len().max(1) {
            return Err("a key's current version is out of range".into());
        }
        let core = KeyCore {
            id: KeyId::from_bytes(self.id),
            creation_date: c.creation_date,
            description: c.description.clone(),
            manager: c.manager,
            tags: c.tags.clone(),
            materials,
            current: c.current,
            pending_material,
            rotation: c
                .rotation
                .map(|(period_days, next)| RotationSchedule { period_days, next }),
            rotations: c
                .rotations
                .iter()
                .map(|&(version, date, kind)| Rotation {
                    version,
                    date,
                    kind,
                })
                .collect(),
            on_demand_rotations: c.on_demand_rotations,
            deletion_date: c.deletion_date,
            pending_window_days: c.pending_window_days,
            import_generation: c.import_generation,
            policy: match c.policy.as_deref() {
                Some(text) => Some(
                    crate::policy::StoredPolicy::parse(text)
                        .map_err(|_| "a key policy does not parse")?,
                ),
                None => None,
            },
        };
        let enabled_ok = core.current_material().is_some_and(|m| m.backing.is_some());
        let key = match (self.state, self.origin) {
            (Some(KeyState::Enabled), Some(Origin::AwsKms)) if enabled_ok => {
                AnyKey::Enabled(Key::from_core(core))
            }
            (Some(KeyState::Disabled), Some(Origin::AwsKms)) => {
                AnyKey::Disabled(Key::from_core(core))
            }
            (Some(KeyState::PendingDeletion), Some(Origin::AwsKms)) => {
                AnyKey::PendingDeletion(Key::from_core(core))
            }
            (Some(KeyState::Enabled), Some(Origin::External)) if enabled_ok => {
                AnyKey::ExtEnabled(Key::from_core(core))
            }
            (Some(KeyState::Disabled), Some(Origin::External)) => {
                AnyKey::ExtDisabled(Key::from_core(core))
            }
            (Some(KeyState::PendingDeletion), Some(Origin::External)) => {
                AnyKey::ExtPendingDeletion(Key::from_core(core))
            }
            (Some(KeyState::PendingImport), Some(Origin::External)) => {
                AnyKey::ExtPendingImport(Key::from_core(core))
            }
            (s, o) => return Err(format!("a key record has state {s:?} and origin {o:?}")),
        };
        let params = match &self.params {
            Some(p) => Some(
                ImportParameters::restore(&p.private_key.0, p.generation, p.algorithm, p.valid_to)
                    .ok_or("an import wrapping key is not an RSA private key")?,
            ),
            None => None,
        };
        Ok((key, params))
    }
}

/// One alias.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// Index of the key it points to (the durable layer's key number).
    pub target: u32,
    /// CreationDate.
    pub created: u64,
    /// LastUpdatedDate.
    pub updated: u64,
}

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    time: u64,
    name: String,
    key: Option<u32>,
    material: Option<[u8; 32]>,
    /// (exception name, message) of a failed call.
    error: Option<(String, String)>,
    internal: bool,
}

/// One pending-deletion alarm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmRecord {
    time: u64,
    key_arn: String,
    operation: String,
}

/// The store-wide values: the token secret, the import generation, the
/// number of keys and the manual clock.
#[derive(Debug, Serialize, Deserialize)]
pub struct MetaRecord {
    /// The HMAC secret of import tokens (sealed by the durable layer).
    pub token_secret: Secret,
    /// Generation counter of GetParametersForImport.
    pub import_generation: u64,
    /// Number of key records (deleted ones included).
    pub key_count: u32,
    /// Sequence number of the next audit record.
    pub audit_next: u64,
    /// Sequence number of the next alarm.
    pub alarms_next: u64,
}

/// What changed since the last drain, ready to write.
#[derive(Debug, Default)]
pub struct Changes {
    /// (key number, full record) of every key changed.
    pub keys: Vec<(u32, KeyRecord)>,
    /// (alias name, record, or `None` when deleted).
    pub aliases: Vec<(String, Option<AliasRecord>)>,
    /// New audit records, with their sequence numbers.
    pub audit: Vec<(u64, AuditRecord)>,
    /// Audit records below this sequence number are no longer kept.
    pub audit_first: u64,
    /// New alarms, with their sequence numbers.
    pub alarms: Vec<(u64, AlarmRecord)>,
    /// Alarms below this sequence number are no longer kept.
    pub alarms_first: u64,
    /// The store-wide values after the change.
    pub meta: Option<MetaRecord>,
}

impl Changes {
    /// True when nothing but audit records (and alarms) were added: the
    /// durable layer may then commit without waiting for the disk.
    pub fn only_audit(&self) -> bool {
        self.keys.is_empty() && self.aliases.is_empty()
    }
}

/// A whole store as read back from disk.
#[derive(Debug, Default)]
pub struct Image {
    /// Every key record, in key-number order (0, 1, ...).
    pub keys: Vec<KeyRecord>,
    /// Every alias.
    pub aliases: Vec<(String, AliasRecord)>,
    /// The kept audit records, oldest first, with their sequence numbers.
    pub audit: Vec<(u64, AuditRecord)>,
    /// The kept alarms, oldest first, with their sequence numbers.
    pub alarms: Vec<(u64, AlarmRecord)>,
    /// The store-wide values.
    pub meta: Option<MetaRecord>,
}

macro_rules! operation_names {
    ($($method:ident($name:literal, $req:ty, $members:ident) -> $resp:ty;)*) => {
        &[$($name),*]
    };
}

/// Every name an audit record or alarm can carry.
const OPERATION_NAMES: &[&str] = crate::with_kms_operations!(operation_names);
const INTERNAL_NAMES: &[&str] = &["DeleteKey", "RotateKey", "DeleteExpiredKeyMaterial"];

fn static_name(name: &str) -> Result<&'static str, String> {
    OPERATION_NAMES
        .iter()
        .chain(INTERNAL_NAMES)
        .find(|n| **n == name)
        .copied()
        .ok_or_else(|| {
            format!(
                "unknown operation name {:?} in a record",
                name.escape_debug()
            )
        })
}

impl Kms {
    /// Starts tracking changes for [`Kms::drain_changes`]; the first drain
    /// then carries every key and alias (a full image).
    pub fn track_changes(&mut self) {
        let mut j = Journal::default();
        j.keys.extend(0..self.keys.len() as u32);
        j.aliases.extend(self.aliases.keys().cloned());
        self.journal = Some(Box::new(j));
        self.audit_saved = self.audit_total - self.audit.len() as u64;
        self.alarms_saved = self.alarms_total - self.alarms.len() as u64;
    }

    /// What changed since the last drain (or since [`Kms::track_changes`]).
    pub fn drain_changes(&mut self) -> Changes {
        let Some(mut j) = self.journal.take() else {
            return Changes::default();
        };
        let keys = std::mem::take(&mut j.keys)
            .into_iter()
            .map(|idx| (idx, KeyRecord::of(self, idx)))
            .collect();
        let aliases = std::mem::take(&mut j.aliases)
            .into_iter()
            .map(|name| {
                let rec = self.aliases.get(&name).map(|a| AliasRecord {
                    target: a.target,
                    created: a.created,
                    updated: a.updated,
                });
                (name, rec)
            })
            .collect();
        self.journal = Some(j);
        let audit_first = self.audit_total - self.audit.len() as u64;
        let audit = self
            .audit
            .iter()
            .enumerate()
            .map(|(i, r)| (audit_first + i as u64, r))
            .filter(|(seq, _)| *seq >= self.audit_saved)
            .map(|(seq, r)| {
                (
                    seq,
                    AuditRecord {
                        time: r.time,
                        name: r.name.to_string(),
                        key: r.key,
                        material: r.material.map(|m| *m.as_bytes()),
                        error: r
                            .error
                            .as_ref()
                            .map(|e| (e.name().to_string(), e.message().to_string())),
                        internal: r.internal,
                    },
                )
            })
            .collect();
        let alarms_first = self.alarms_total - self.alarms.len() as u64;
        let alarms = self
            .alarms
            .iter()
            .enumerate()
            .map(|(i, a)| (alarms_first + i as u64, a))
            .filter(|(seq, _)| *seq >= self.alarms_saved)
            .map(|(seq, a)| {
                (
                    seq,
                    AlarmRecord {
                        time: a.time,
                        key_arn: a.key_arn.clone(),
                        operation: a.operation.to_string(),
                    },
                )
            })
            .collect();
        self.audit_saved = self.audit_total;
        self.alarms_saved = self.alarms_total;
        Changes {
            keys,
            aliases,
            audit,
            audit_first,
            alarms,
            alarms_first,
            meta: Some(MetaRecord {
                token_secret: Secret::from_slice(self.signer.secret()),
                import_generation: self.import_generation,
                key_count: self.keys.len() as u32,
                audit_next: self.audit_total,
                alarms_next: self.alarms_total,
            }),
        }
    }

    /// A store from `builder` holding exactly `image`; the event queue is
    /// rebuilt from the keys, and nothing is applied yet (call
    /// [`Kms::tick`] to apply what fell due while the store was down).
    pub fn restore(builder: KmsBuilder, image: &Image) -> Result<Kms, String> {
        let mut kms = builder.build();
        let Some(meta) = &image.meta else {
            return Ok(kms);
        };
        if image.keys.len() != meta.key_count as usize {
            return Err(format!(
                "{} key records found where {} were written",
                image.keys.len(),
                meta.key_count
            ));
        }
        kms.signer = TokenSigner::from_secret(
            meta.token_secret
                .array32()
                .ok_or("the import token secret is not 32 bytes")?,
        );
        kms.import_generation = meta.import_generation;
        for (idx, rec) in image.keys.iter().enumerate() {
            let (key, params) = rec.restore()?;
            if kms.index.insert(key.id(), idx as u32).is_some() {
                return Err("two key records have the same key id".into());
            }
            kms.keys.push(key);
            if let Some(p) = params {
                kms.queue.insert((p.valid_to, EV_PARAMS, idx as u32));
                kms.params.insert(idx as u32, p);
            }
            kms.schedule(idx as u32);
        }
        for (name, a) in &image.aliases {
            if a.target as usize >= kms.keys.len() {
                return Err(format!("alias {name} points to no key record"));
            }
            kms.aliases.insert(
                name.clone(),
                AliasEntry {
                    target: a.target,
                    created: a.created,
                    updated: a.updated,
                },
            );
        }
        for (_, r) in &image.audit {
            let error = match &r.error {
                Some((name, msg)) => Some(Box::new(
                    KmsError::from_parts(name, msg.clone())
                        .ok_or_else(|| format!("unknown exception {name:?} in a record"))?,
                )),
                None => None,
            };
            kms.audit.push_back(Record {
                time: r.time,
                name: static_name(&r.name)?,
                key: r.key.filter(|&k| (k as usize) < kms.keys.len()),
                material: r.material.map(KeyMaterialId::from_bytes),
                error,
                internal: r.internal,
            });
        }
        kms.audit_total = meta.audit_next;
        for (_, a) in &image.alarms {
            kms.alarms.push_back(Alarm {
                time: a.time,
                key_arn: a.key_arn.clone(),
                operation: static_name(&a.operation)?,
            });
        }
        kms.alarms_total = meta.alarms_next;
        kms.alarms.make_contiguous();
        if (kms.audit.len() as u64) > kms.audit_total
            || (kms.alarms.len() as u64) > kms.alarms_total
        {
            return Err("more audit records than were written".into());
        }
        Ok(kms)
    }
}

#[cfg(feature = "test-bugs")]
impl Kms {
    /// Every secret the store holds (backing-key bytes, pending material,
    /// import wrapping keys as PKCS#8 DER, the token secret). Feature
    /// `test-bugs` only: for the test that scans a data directory for them.
    #[doc(hidden)]
    pub fn secrets_for_tests(&self) -> Vec<Vec<u8>> {
        let mut out = vec![self.signer.secret().to_vec()];
        for k in &self.keys {
            if let Some(c) = k.core() {
                for m in c.materials.iter().chain(c.pending_material.as_deref()) {
                    if let Some(b) = &m.backing {
                        out.push(b.secret().to_vec());
                    }
                }
            }
        }
        for p in self.params.values() {
            if let Some(der) = p.private_key_der() {
                out.push(der.to_vec());
            }
        }
        out
    }
}
