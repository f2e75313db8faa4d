//! The key store: [`Kms`], one method per AWS KMS operation.
//!
//! It holds keys of every state in one enum over the typed keys ([`AnyKey`]),
//! aliases, import parameters, the clock-driven event queue and the audit
//! trail. Data flows one way: a typed request is validated, the store resolves
//! the key, applies every clock-driven event due (spec §10), asks the typed key
//! to act, and records the call in the audit trail (spec §8).

mod aliases;
mod authz;
mod cryptography;
mod deletion;
mod events;
mod import;
mod keys;
pub mod persist;
mod policy;
mod resolve;
mod retention;
mod rotation;
mod validation;

use aliases::*;
pub use policy::{MAX_POLICY_BYTES, POLICY_NAME, default_key_policy, managed_key_policy};
pub use retention::{EventPage, MAX_MESSAGE, Retention};
use validation::*;

use crate::api::*;
use crate::audit::{Alarm, AuditEvent};
use crate::clock::{Clock, DAY, ManualClock};
use crate::crypto::{SecretBytes, parse_ciphertext, random_bytes};
use crate::error::{KmsError, KmsResult};
use crate::ids::{KeyId, KeyMaterialId};
use crate::import::{FreshWrappingKeys, ImportParameters, TokenSigner, WrappingKeySource};
use crate::key::*;
use crate::rules::Rules;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A key of any state and origin, as the store holds it (the rustls shape:
/// typed states inside one enum).
#[derive(Debug)]
pub enum AnyKey {
    /// `Key<Enabled, AwsKms>`.
    Enabled(Key<Enabled, AwsKms>),
    /// `Key<Disabled, AwsKms>`.
    Disabled(Key<Disabled, AwsKms>),
    /// `Key<PendingDeletion, AwsKms>`.
    PendingDeletion(Key<PendingDeletion, AwsKms>),
    /// `Key<Enabled, External>`.
    ExtEnabled(Key<Enabled, External>),
    /// `Key<Disabled, External>`.
    ExtDisabled(Key<Disabled, External>),
    /// `Key<PendingDeletion, External>`.
    ExtPendingDeletion(Key<PendingDeletion, External>),
    /// `Key<PendingImport, External>`.
    ExtPendingImport(Key<PendingImport, External>),
    /// The tombstone of a deleted key.
    Deleted(Deleted),
}

impl AnyKey {
    fn duplicate(&self) -> AnyKey {
        match self {
            AnyKey::Enabled(k) => AnyKey::Enabled(k.duplicate()),
            AnyKey::Disabled(k) => AnyKey::Disabled(k.duplicate()),
            AnyKey::PendingDeletion(k) => AnyKey::PendingDeletion(k.duplicate()),
            AnyKey::ExtEnabled(k) => AnyKey::ExtEnabled(k.duplicate()),
            AnyKey::ExtDisabled(k) => AnyKey::ExtDisabled(k.duplicate()),
            AnyKey::ExtPendingDeletion(k) => AnyKey::ExtPendingDeletion(k.duplicate()),
            AnyKey::ExtPendingImport(k) => AnyKey::ExtPendingImport(k.duplicate()),
            AnyKey::Deleted(d) => AnyKey::Deleted(*d),
        }
    }

    fn core(&self) -> Option<&KeyCore> {
        Some(match self {
            Self::Enabled(k) => &k.core,
            Self::Disabled(k) => &k.core,
            Self::PendingDeletion(k) => &k.core,
            Self::ExtEnabled(k) => &k.core,
            Self::ExtDisabled(k) => &k.core,
            Self::ExtPendingDeletion(k) => &k.core,
            Self::ExtPendingImport(k) => &k.core,
            Self::Deleted(_) => return None,
        })
    }
    fn core_mut(&mut self) -> Option<&mut KeyCore> {
        Some(match self {
            Self::Enabled(k) => &mut k.core,
            Self::Disabled(k) => &mut k.core,
            Self::PendingDeletion(k) => &mut k.core,
            Self::ExtEnabled(k) => &mut k.core,
            Self::ExtDisabled(k) => &mut k.core,
            Self::ExtPendingDeletion(k) => &mut k.core,
            Self::ExtPendingImport(k) => &mut k.core,
            Self::Deleted(_) => return None,
        })
    }
    /// The key's state; `None` once deleted.
    pub fn state(&self) -> Option<KeyState> {
        Some(match self {
            Self::Enabled(_) | Self::ExtEnabled(_) => KeyState::Enabled,
            Self::Disabled(_) | Self::ExtDisabled(_) => KeyState::Disabled,
            Self::PendingDeletion(_) | Self::ExtPendingDeletion(_) => KeyState::PendingDeletion,
            Self::ExtPendingImport(_) => KeyState::PendingImport,
            Self::Deleted(_) => return None,
        })
    }
    /// The key's origin; `None` once deleted.
    pub fn origin(&self) -> Option<Origin> {
        Some(match self {
            Self::Enabled(_) | Self::Disabled(_) | Self::PendingDeletion(_) => Origin::AwsKms,
            Self::Deleted(_) => return None,
            _ => Origin::External,
        })
    }
    fn id(&self) -> KeyId {
        match self {
            Self::Deleted(d) => d.id,
            k => k.core().map(|c| c.id).unwrap_or_default(),
        }
    }
}

/// An Enabled key of either origin, for cryptography.
enum EnabledRef<'a> {
    Aws(&'a Key<Enabled, AwsKms>),
    Ext(&'a Key<Enabled, External>),
}

impl EnabledRef<'_> {
    fn encrypt(&self, pt: &[u8], ctx: &EncryptionContext) -> Vec<u8> {
        match self {
            Self::Aws(k) => k.encrypt(pt, ctx),
            Self::Ext(k) => k.encrypt(pt, ctx),
        }
    }
    fn encrypt_owned(&self, pt: SecretBytes, ctx: &EncryptionContext) -> Vec<u8> {
        match self {
            Self::Aws(k) => k.encrypt_owned(pt, ctx),
            Self::Ext(k) => k.encrypt_owned(pt, ctx),
        }
    }
    fn decrypt(&self, blob: Vec<u8>, ctx: &EncryptionContext) -> Option<SecretBytes> {
        match self {
            Self::Aws(k) => k.decrypt_owned(blob, ctx).ok(),
            Self::Ext(k) => k.decrypt_owned(blob, ctx).ok(),
        }
    }
    fn material_raw(&self, version: u32) -> Option<KeyMaterialId> {
        let core = match self {
            Self::Aws(k) => &k.core,
            Self::Ext(k) => &k.core,
        };
        core.materials.get(version as usize).map(|m| m.id)
    }
    fn material_id(&self, version: u32) -> Option<String> {
        match self {
            Self::Aws(k) => k.material_id(version),
            Self::Ext(k) => k.material_id(version),
        }
    }
    fn current(&self) -> u32 {
        match self {
            Self::Aws(k) => k.core.current,
            Self::Ext(k) => k.core.current,
        }
    }
}

#[derive(Clone, Debug)]
struct AliasEntry {
    target: u32,
    created: u64,
    updated: u64,
}

/// Kinds of clock-driven events, in the order they apply at one instant
/// (spec §10: deletion, material expiry, rotation).
const EV_DELETE: u8 = 0;
const EV_EXPIRE: u8 = 1;
const EV_ROTATE: u8 = 2;
const EV_PARAMS: u8 = 3;

/// What one call touched, for its audit record.
#[derive(Default)]
struct Trail {
    key: Option<u32>,
    material: Option<KeyMaterialId>,
}

/// One audit record as stored: compact, with no allocation for a successful
/// call; rendered into an [`AuditEvent`] (ARN, hex material id) when read.
#[derive(Clone)]
struct Record {
    time: u64,
    name: &'static str,
    key: Option<u32>,
    material: Option<KeyMaterialId>,
    error: Option<Box<KmsError>>,
    internal: bool,
}

/// Where a key parameter leads.
enum Target {
    /// A live key.
    Key(u32),
    /// `alias/aws/<service>` whose AWS managed key does not exist yet: using
    /// the alias creates it.
    NewManaged(String),
}

/// Which identifiers an operation accepts for its key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Accept {
    /// Key id or key ARN only (management operations).
    KeyOnly,
    /// Also alias name or alias ARN (cryptographic operations, DescribeKey).
    KeyOrAlias,
}

/// The reference KMS: keys, aliases, import parameters, the audit trail.
pub struct Kms {
    rules: Rules,
    clock: Arc<dyn Clock>,
    region: String,
    account: String,
    keys: Vec<AnyKey>,
    index: HashMap<KeyId, u32, std::hash::BuildHasherDefault<IdHasher>>,
    aliases: BTreeMap<String, AliasEntry>,
    params: HashMap<u32, ImportParameters>,
    import_generation: u64,
    queue: BTreeSet<(u64, u8, u32)>,
    audit: VecDeque<Record>,
    alarms: VecDeque<Alarm>,
    retention: Retention,
    /// Audit records and alarms ever made (the next one's sequence number).
    audit_total: u64,
    alarms_total: u64,
    /// Sequence numbers from which records are not yet drained.
    audit_saved: u64,
    alarms_saved: u64,
    /// Changes not yet drained ([`Kms::track_changes`]); `None`: not tracked.
    journal: Option<Box<persist::Journal>>,
    signer: TokenSigner,
    /// AWS's default key policy for `account`, parsed once: the policy of
    /// every key created without one.
    default_policy: crate::policy::StoredPolicy,
    wrapping: Arc<dyn WrappingKeySource>,
    /// The calling principal (`serve --identities`); `None`: the account root.
    caller: Option<crate::policy::Principal>,
    /// Planted bugs (none unless `plant_bugs`, feature `test-bugs`).
    bugs: crate::bugs::Bugs,
}

impl fmt::Debug for Kms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kms")
            .field("rules", &self.rules.name_or_base())
            .field("keys", &self.keys.len())
            .field("aliases", &self.aliases.len())
            // RSA wrapping keys held for import tokens still valid.
            .field("import_parameters", &self.params.len())
            .finish_non_exhaustive()
    }
}

/// An AWS Region name as ARNs and policies hold it: `[a-z0-9-]+`.
pub fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The account in ARNs unless the builder names another.
pub const DEFAULT_ACCOUNT: &str = "111122223333";

/// An AWS account id: 12 ASCII digits.
pub fn valid_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Builds a [`Kms`].
pub struct KmsBuilder {
    rules: Rules,
    clock: Arc<dyn Clock>,
    region: String,
    account: String,
    wrapping: Arc<dyn WrappingKeySource>,
    retention: Retention,
}

impl KmsBuilder {
    /// How much of the audit trail and alarms is kept (default
    /// [`Retention::UNBOUNDED`]; `serve` uses [`Retention::default`]).
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }
    /// The rule set (default `current`).
    pub fn rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }
    /// The clock (default the system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
    /// The Region in ARNs (default `us-east-1`).
    ///
    /// # Panics
    /// When `region` is empty or has a character other than `a-z`, `0-9`
    /// and `-` (it is written into ARNs and key policies).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        let region = region.into();
        assert!(valid_region(&region), "not an AWS Region name: {region:?}");
        self.region = region;
        self
    }
    /// The account in ARNs (default `111122223333`).
    ///
    /// # Panics
    /// When `account` is not an AWS account id: 12 ASCII digits.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        let account = account.into();
        assert!(
            valid_account(&account),
            "not an AWS account id: {account:?}"
        );
        self.account = account;
        self
    }
    /// Where RSA wrapping keys come from (default: fresh per call).
    pub fn wrapping_keys(mut self, source: impl WrappingKeySource + 'static) -> Self {
        self.wrapping = Arc::new(source);
        self
    }
    /// The store.
    pub fn build(self) -> Kms {
        let default_policy = crate::policy::StoredPolicy::parse(&default_key_policy(&self.account))
            .expect("AWS's default key policy parses");
        Kms {
            rules: self.rules,
            clock: self.clock,
            region: self.region,
            account: self.account,
            keys: Vec::new(),
            index: HashMap::default(),
            aliases: BTreeMap::new(),
            params: HashMap::new(),
            import_generation: 0,
            queue: BTreeSet::new(),
            audit: VecDeque::new(),
            alarms: VecDeque::new(),
            retention: self.retention,
            audit_total: 0,
            alarms_total: 0,
            audit_saved: 0,
            alarms_saved: 0,
            journal: None,
            signer: TokenSigner::new(),
            default_policy,
            wrapping: self.wrapping,
            caller: None,
            bugs: Default::default(),
        }
    }
}

/// The hasher of the key index. Key ids come from the OS RNG (`fresh_id`),
/// never from a caller, so their bytes are already uniform and no one can
/// choose colliding ids: mixing them with SipHash (the default) only costs
/// time on every call that names a key (docs/performance.md).
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 =
            (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The context of a request that has none (borrowed, not cloned, per call).
static EMPTY_CONTEXT: EncryptionContext = BTreeMap::new();

const ALGORITHM: &str = "SYMMETRIC_DEFAULT";

impl Kms {
    /// A builder with the defaults: `current` rules, system clock, `us-east-1`,
    /// account `111122223333`, fresh RSA wrapping keys.
    pub fn builder() -> KmsBuilder {
        KmsBuilder {
            rules: Rules::current(),
            clock: Arc::new(crate::clock::SystemClock),
            region: "us-east-1".into(),
            account: DEFAULT_ACCOUNT.into(),
            wrapping: Arc::new(FreshWrappingKeys),
            retention: Retention::UNBOUNDED,
        }
    }

    /// A store with `rules` and a manual clock at `start`; returns the clock
    /// handle to move time.
    pub fn with_manual_clock(rules: Rules, start: u64) -> (Self, ManualClock) {
        let clock = ManualClock::new(start);
        (
            Self::builder().rules(rules).clock(clock.clone()).build(),
            clock,
        )
    }

    /// Plants deliberate bugs (feature `test-bugs` only), so that tests can
    /// prove the differential tests and the oracle catch them.
    #[cfg(feature = "test-bugs")]
    pub fn plant_bugs(&mut self, bugs: crate::bugs::Bugs) {
        self.bugs = bugs;
    }

    /// A deep copy of the whole store (keys, material, aliases, import
    /// parameters, the token secret, the audit trail and the pending events)
    /// that runs on `clock` from now on: a snapshot to explore from, as the
    /// whole-graph refinement test does. Both copies hold the same key
    /// material and accept each other's import tokens and ciphertexts.
    pub fn fork(&self, clock: impl Clock + 'static) -> Kms {
        Kms {
            rules: self.rules,
            clock: Arc::new(clock),
            region: self.region.clone(),
            account: self.account.clone(),
            keys: self.keys.iter().map(AnyKey::duplicate).collect(),
            index: self.index.clone(),
            aliases: self.aliases.clone(),
            params: self.params.clone(),
            import_generation: self.import_generation,
            queue: self.queue.clone(),
            audit: self.audit.clone(),
            alarms: self.alarms.clone(),
            retention: self.retention,
            audit_total: self.audit_total,
            alarms_total: self.alarms_total,
            audit_saved: self.audit_saved,
            alarms_saved: self.alarms_saved,
            journal: None,
            signer: self.signer.clone(),
            default_policy: self.default_policy.clone(),
            wrapping: self.wrapping.clone(),
            caller: self.caller.clone(),
            bugs: self.bugs,
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The current time of the store's clock.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The ARN of a key id.
    pub fn arn_of(&self, key_id: &str) -> String {
        format!(
            "arn:aws:kms:{}:{}:key/{}",
            self.region, self.account, key_id
        )
    }

    fn arn(&self, id: &KeyId) -> String {
        // One allocation: the same string as `arn_of(&id.to_string())`.
        let mut s = String::with_capacity(self.region.len() + self.account.len() + 18 + 36);
        s.push_str("arn:aws:kms:");
        s.push_str(&self.region);
        s.push(':');
        s.push_str(&self.account);
        s.push_str(":key/");
        id.push_to(&mut s);
        s
    }

    fn alias_arn(&self, name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{}", self.region, self.account, name)
    }

    /// The audit trail (spec §8), oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events_since(0)
    }

    /// The audit records at or after `since` (epoch seconds).
    pub fn events_since(&self, since: u64) -> Vec<AuditEvent> {
        self.audit
            .iter()
            .filter(|r| r.time >= since)
            .map(|r| self.render(r))
            .collect()
    }

    /// Number of audit records.
    pub fn event_count(&self) -> usize {
        self.audit.len()
    }

    fn render(&self, r: &Record) -> AuditEvent {
        AuditEvent {
            event_time: r.time,
            event_name: r.name,
            key_arn: r.key.map(|i| self.arn_idx(i)),
            key_material_id: if self.rules.key_material_ids {
                r.material.map(|m| m.to_string())
            } else {
                None
            },
            error_code: r.error.as_ref().map(|e| e.name()),
            error_message: r.error.as_ref().map(|e| e.message().to_string()),
            invoked_by: r.internal.then_some("AWS Internal"),
        }
    }

    /// The pending-deletion alarms (spec §6, §8), oldest first (those kept:
    /// [`Retention`]).
    pub fn alarms(&self) -> &[Alarm] {
        // Kept contiguous by every change (`trim`), so this is all of them.
        debug_assert!(self.alarms.as_slices().1.is_empty());
        self.alarms.as_slices().0
    }

    /// The state of a key by id, without recording a call; `None` when the key
    /// does not exist or was deleted. For tests and the oracle.
    pub fn key_state(&mut self, key_id: &str) -> Option<KeyState> {
        self.tick();
        let id = KeyId::parse(key_id)?;
        let idx = *self.index.get(&id)?;
        self.keys[idx as usize].state()
    }

    /// Number of keys ever created (deleted ones included).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}
