//! The key store: [`Kms`], one method per AWS KMS operation.
//!
//! It holds keys of every state in one enum over the typed keys ([`AnyKey`]),
//! aliases, import parameters, the clock-driven event queue and the audit
//! trail. Data flows one way: a typed request is validated, the store resolves
//! the key, applies every clock-driven event due (spec §10), asks the typed key
//! to act, and records the call in the audit trail (spec §8).

use crate::api::*;
use crate::audit::{Alarm, AuditEvent};
use crate::clock::{Clock, DAY, ManualClock};
use crate::crypto::{SecretBytes, hex, parse_ciphertext, random_bytes};
use crate::error::{KmsError, KmsResult};
use crate::import::{FreshWrappingKeys, ImportParameters, TokenSigner, WrappingKeySource};
use crate::key::*;
use crate::rules::Rules;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    fn id(&self) -> [u8; 16] {
        match self {
            Self::Deleted(d) => d.id,
            k => k.core().map(|c| c.id).unwrap_or([0; 16]),
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
    fn material_raw(&self, version: u32) -> Option<[u8; 32]> {
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
    material: Option<[u8; 32]>,
}

/// One audit record as stored: compact, with no allocation for a successful
/// call; rendered into an [`AuditEvent`] (ARN, hex material id) when read.
#[derive(Clone)]
struct Record {
    time: u64,
    name: &'static str,
    key: Option<u32>,
    material: Option<[u8; 32]>,
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
    index: HashMap<[u8; 16], u32, std::hash::BuildHasherDefault<IdHasher>>,
    aliases: BTreeMap<String, AliasEntry>,
    params: HashMap<u32, ImportParameters>,
    import_generation: u64,
    queue: BTreeSet<(u64, u8, u32)>,
    audit: Vec<Record>,
    alarms: Vec<Alarm>,
    signer: TokenSigner,
    wrapping: Arc<dyn WrappingKeySource>,
    #[cfg(feature = "test-bugs")]
    bugs: crate::bugs::Bugs,
}

impl fmt::Debug for Kms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kms")
            .field("rules", &self.rules.name)
            .field("keys", &self.keys.len())
            .field("aliases", &self.aliases.len())
            // RSA wrapping keys held for import tokens still valid.
            .field("import_parameters", &self.params.len())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Kms`].
pub struct KmsBuilder {
    rules: Rules,
    clock: Arc<dyn Clock>,
    region: String,
    account: String,
    wrapping: Arc<dyn WrappingKeySource>,
}

impl KmsBuilder {
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
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
    /// The account in ARNs (default `111122223333`).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = account.into();
        self
    }
    /// Where RSA wrapping keys come from (default: fresh per call).
    pub fn wrapping_keys(mut self, source: impl WrappingKeySource + 'static) -> Self {
        self.wrapping = Arc::new(source);
        self
    }
    /// The store.
    pub fn build(self) -> Kms {
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
            audit: Vec::new(),
            alarms: Vec::new(),
            signer: TokenSigner::new(),
            wrapping: self.wrapping,
            #[cfg(feature = "test-bugs")]
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

fn key_id_string(id: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    push_uuid(&mut s, id);
    s
}

/// Appends the 8-4-4-4-12 lowercase form of a key id (no intermediate
/// strings: every response carries an ARN, docs/performance.md).
fn push_uuid(s: &mut String, id: &[u8; 16]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in id.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut n = 0;
    let mut i = 0;
    while i < 36 {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b[i] != b'-' {
                return None;
            }
            i += 1;
            continue;
        }
        let hi = hexval(b[i])?;
        let lo = hexval(*b.get(i + 1)?)?;
        out[n] = hi << 4 | lo;
        n += 1;
        i += 2;
    }
    (n == 16).then_some(out)
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

const ALGORITHM: &str = "SYMMETRIC_DEFAULT";

impl Kms {
    /// A builder with the defaults: `current` rules, system clock, `us-east-1`,
    /// account `111122223333`, fresh RSA wrapping keys.
    pub fn builder() -> KmsBuilder {
        KmsBuilder {
            rules: Rules::current(),
            clock: Arc::new(crate::clock::SystemClock),
            region: "us-east-1".into(),
            account: "111122223333".into(),
            wrapping: Arc::new(FreshWrappingKeys),
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
            rules: self.rules.clone(),
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
            signer: self.signer.clone(),
            wrapping: self.wrapping.clone(),
            #[cfg(feature = "test-bugs")]
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

    fn arn(&self, id: &[u8; 16]) -> String {
        // One allocation: the same string as `arn_of(&key_id_string(id))`.
        let mut s = String::with_capacity(self.region.len() + self.account.len() + 18 + 36);
        s.push_str("arn:aws:kms:");
        s.push_str(&self.region);
        s.push(':');
        s.push_str(&self.account);
        s.push_str(":key/");
        push_uuid(&mut s, id);
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
                r.material.map(|m| hex(&m))
            } else {
                None
            },
            error_code: r.error.as_ref().map(|e| e.name()),
            error_message: r.error.as_ref().map(|e| e.message().to_string()),
            invoked_by: r.internal.then_some("AWS Internal"),
        }
    }

    /// The pending-deletion alarms (spec §6, §8), oldest first.
    pub fn alarms(&self) -> &[Alarm] {
        &self.alarms
    }

    /// The state of a key by id, without recording a call; `None` when the key
    /// does not exist or was deleted. For tests and the oracle.
    pub fn key_state(&mut self, key_id: &str) -> Option<KeyState> {
        self.tick();
        let id = parse_uuid(key_id)?;
        let idx = *self.index.get(&id)?;
        self.keys[idx as usize].state()
    }

    /// Number of keys ever created (deleted ones included).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Applies every clock-driven event due at or before the clock's time, each
    /// at its own instant, in time order (spec §10). Every operation does this
    /// first; call it to make time pass without an operation.
    pub fn tick(&mut self) {
        let now = self.clock.now();
        while let Some(&(t, kind, idx)) = self.queue.first() {
            if t > now {
                break;
            }
            self.queue.pop_first();
            self.fire(t, kind, idx);
        }
    }

    fn fire(&mut self, t: u64, kind: u8, idx: u32) {
        match kind {
            // Expired parameters: drop (and so zeroize) the RSA key.
            EV_PARAMS if self.params.get(&idx).is_some_and(|p| p.valid_to == t) => {
                self.params.remove(&idx);
            }
            EV_DELETE => {
                let due = matches!(&self.keys[idx as usize],
                    AnyKey::PendingDeletion(k) if k.deletion_date() == t)
                    || matches!(&self.keys[idx as usize],
                    AnyKey::ExtPendingDeletion(k) if k.deletion_date() == t);
                if due {
                    self.delete_key_now(idx, t);
                }
            }
            EV_EXPIRE => {
                let k = self.take(idx);
                let (k, expired) = match k {
                    AnyKey::ExtEnabled(k) => match k.expire_material(t) {
                        Ok(k) => (AnyKey::ExtPendingImport(k), true),
                        Err(k) => (AnyKey::ExtEnabled(k), false),
                    },
                    AnyKey::ExtDisabled(k) => match k.expire_material(t) {
                        Ok(k) => (AnyKey::ExtPendingImport(k), true),
                        Err(k) => (AnyKey::ExtDisabled(k), false),
                    },
                    AnyKey::ExtPendingDeletion(mut k) => {
                        let before = k.core.has_all_material();
                        k.expire_material(t);
                        let changed = before != k.core.has_all_material();
                        (AnyKey::ExtPendingDeletion(k), changed)
                    }
                    AnyKey::ExtPendingImport(mut k) => {
                        let before = k
                            .core
                            .materials
                            .iter()
                            .filter(|m| m.backing.is_some())
                            .count();
                        k.expire_material(t);
                        let after = k
                            .core
                            .materials
                            .iter()
                            .filter(|m| m.backing.is_some())
                            .count();
                        (AnyKey::ExtPendingImport(k), before != after)
                    }
                    other => (other, false),
                };
                self.put(idx, k);
                if expired {
                    self.internal_event(t, "DeleteExpiredKeyMaterial", idx, None);
                }
            }
            EV_ROTATE => {
                let k = self.take(idx);
                let k = match k {
                    AnyKey::Enabled(k) if k.rotation_schedule().is_some_and(|r| r.next == t) => {
                        let k = k.rotate_automatically(t);
                        let mid = k.core.current_material().map(|m| m.id);
                        self.internal_event(t, "RotateKey", idx, mid);
                        AnyKey::Enabled(k)
                    }
                    #[cfg(feature = "test-bugs")]
                    AnyKey::Disabled(k)
                        if self.bugs.rotation_while_disabled
                            && k.rotation_schedule().is_some_and(|r| r.next == t) =>
                    {
                        // Planted bug: the catch-up path run while Disabled.
                        AnyKey::Disabled(k.enable(t).disable())
                    }
                    // Not due (Disabled, PendingDeletion, schedule moved):
                    // dropped. Putting it back without rescheduling, since
                    // rescheduling a Disabled key's past NextRotationDate
                    // would queue this same event again, forever.
                    other => {
                        self.keys[idx as usize] = other;
                        return;
                    }
                };
                self.put(idx, k);
            }
            _ => {}
        }
    }

    fn delete_key_now(&mut self, idx: u32, t: u64) {
        let id = self.keys[idx as usize].id();
        self.keys[idx as usize] = AnyKey::Deleted(Deleted { id });
        self.params.remove(&idx);
        #[cfg(feature = "test-bugs")]
        let keep_aliases = self.bugs.alias_survives_deletion;
        #[cfg(not(feature = "test-bugs"))]
        let keep_aliases = false;
        if !keep_aliases {
            self.aliases.retain(|_, a| a.target != idx);
        }
        self.internal_event(t, "DeleteKey", idx, None);
    }

    fn internal_event(&mut self, t: u64, name: &'static str, idx: u32, material: Option<[u8; 32]>) {
        self.audit.push(Record {
            time: t,
            name,
            key: Some(idx),
            material,
            error: None,
            internal: true,
        });
    }

    /// Puts every deadline of key `idx` in the event queue.
    fn schedule(&mut self, idx: u32) {
        let k = &self.keys[idx as usize];
        match k {
            AnyKey::PendingDeletion(k) => {
                self.queue.insert((k.deletion_date(), EV_DELETE, idx));
            }
            AnyKey::ExtPendingDeletion(k) => {
                self.queue.insert((k.deletion_date(), EV_DELETE, idx));
            }
            AnyKey::Enabled(k) => {
                if let Some(r) = k.rotation_schedule() {
                    self.queue.insert((r.next, EV_ROTATE, idx));
                }
            }
            // Queued while Disabled too: the event is dropped unless the key is
            // Enabled when it fires (EnableKey catches up).
            AnyKey::Disabled(k) => {
                if let Some(r) = k.rotation_schedule() {
                    self.queue.insert((r.next, EV_ROTATE, idx));
                }
            }
            _ => {}
        }
        if let Some(core) = self.keys[idx as usize].core() {
            let expiries: Vec<u64> = core
                .materials
                .iter()
                .chain(core.pending_material.as_deref())
                .filter(|m| m.backing.is_some())
                .filter_map(|m| m.valid_to)
                .collect();
            for t in expiries {
                self.queue.insert((t, EV_EXPIRE, idx));
            }
        }
    }

    fn take(&mut self, idx: u32) -> AnyKey {
        let id = self.keys[idx as usize].id();
        std::mem::replace(
            &mut self.keys[idx as usize],
            AnyKey::Deleted(Deleted { id }),
        )
    }

    fn put(&mut self, idx: u32, k: AnyKey) {
        self.keys[idx as usize] = k;
        self.schedule(idx);
    }

    /// Runs one operation: applies due events, runs it, records it.
    fn run<T>(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&mut Self, &mut Trail) -> KmsResult<T>,
    ) -> KmsResult<T> {
        self.tick();
        let mut trail = Trail::default();
        let r = f(self, &mut trail);
        let now = self.clock.now();
        let error = r.as_ref().err().map(|e| Box::new(e.clone()));
        if let Some(e) = &error
            && e.message().ends_with(" is pending deletion.")
        {
            self.alarms.push(Alarm {
                time: now,
                key_arn: trail.key.map(|i| self.arn_idx(i)).unwrap_or_default(),
                operation: op,
            });
        }
        self.audit.push(Record {
            time: now,
            name: op,
            key: trail.key,
            material: trail.material,
            error,
            internal: false,
        });
        r
    }

    // ----- resolution -------------------------------------------------------

    /// Resolves a `KeyId` parameter to a live key index (spec §9, decisions).
    fn resolve(&mut self, key_id: &str, accept: Accept, trail: &mut Trail) -> KmsResult<u32> {
        self.resolve_member("keyId", key_id, accept, trail)
    }

    /// Resolves the key parameter `member` (`keyId`, `targetKeyId`, ...),
    /// creating an AWS managed key on first use of its alias.
    fn resolve_member(
        &mut self,
        member: &str,
        key_id: &str,
        accept: Accept,
        trail: &mut Trail,
    ) -> KmsResult<u32> {
        match self.lookup(member, key_id, accept, trail)? {
            Target::Key(idx) => Ok(idx),
            Target::NewManaged(alias) => {
                let idx = self.create_managed_key(&alias);
                trail.key = Some(idx);
                Ok(idx)
            }
        }
    }

    /// Resolution for the cryptographic operations, which take `DryRun`: a
    /// dry run does not create the AWS managed key of an `alias/aws/<service>`
    /// used for the first time (`None`: that key would be new, and Enabled).
    fn resolve_crypto(
        &mut self,
        member: &str,
        key_id: &str,
        trail: &mut Trail,
        dry_run: bool,
    ) -> KmsResult<Option<u32>> {
        if !dry_run {
            return self
                .resolve_member(member, key_id, Accept::KeyOrAlias, trail)
                .map(Some);
        }
        Ok(
            match self.lookup(member, key_id, Accept::KeyOrAlias, trail)? {
                Target::Key(idx) => Some(idx),
                Target::NewManaged(_) => None,
            },
        )
    }

    /// Finds the key a key parameter names, changing nothing.
    fn lookup(
        &mut self,
        member: &str,
        key_id: &str,
        accept: Accept,
        trail: &mut Trail,
    ) -> KmsResult<Target> {
        // AWS's KeyIdType: 1–2048 characters. Longer input is not echoed.
        if key_id.is_empty() {
            return Err(KmsError::empty(member));
        }
        if key_id.len() > 2048 {
            return Err(KmsError::ValidationException(format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to 2048"
            )));
        }
        let local = key_id
            .strip_prefix("arn:aws:kms:")
            .and_then(|r| r.strip_prefix(self.region.as_str()))
            .and_then(|r| r.strip_prefix(':'))
            .and_then(|r| r.strip_prefix(self.account.as_str()))
            .and_then(|r| r.strip_prefix(':'));
        let (is_alias, name) = if let Some(rest) = local {
            if let Some(id) = rest.strip_prefix("key/") {
                (false, id)
            } else if rest.starts_with("alias/") {
                (true, rest)
            } else {
                return Err(KmsError::invalid_key_id(key_id));
            }
        } else if key_id.starts_with("arn:") {
            // Another partition, Region or account: no such key here.
            return Err(KmsError::NotFoundException(format!(
                "Key '{key_id}' does not exist"
            )));
        } else if key_id.starts_with("alias/") {
            (true, key_id)
        } else {
            (false, key_id)
        };
        let idx = if is_alias {
            if accept == Accept::KeyOnly {
                return Err(KmsError::invalid_key_id(key_id));
            }
            match self.aliases.get(name) {
                Some(a) => a.target,
                None if is_managed_alias(name) => return Ok(Target::NewManaged(name.to_string())),
                None => {
                    return Err(KmsError::NotFoundException(format!(
                        "Alias {} is not found.",
                        self.alias_arn(name)
                    )));
                }
            }
        } else {
            let id = parse_uuid(name).ok_or_else(|| KmsError::invalid_key_id(key_id))?;
            match self.index.get(&id) {
                Some(&i) => i,
                None => return Err(KmsError::not_found(&self.arn(&id))),
            }
        };
        let id = self.keys[idx as usize].id();
        trail.key = Some(idx);
        if matches!(self.keys[idx as usize], AnyKey::Deleted(_)) {
            return Err(KmsError::not_found(&self.arn(&id)));
        }
        Ok(Target::Key(idx))
    }

    fn fresh_id(&self) -> [u8; 16] {
        loop {
            let mut id = [0u8; 16];
            random_bytes(&mut id);
            id[6] = (id[6] & 0x0f) | 0x40;
            id[8] = (id[8] & 0x3f) | 0x80;
            if !self.index.contains_key(&id) {
                return id;
            }
        }
    }

    fn insert_key(&mut self, k: AnyKey) -> u32 {
        let idx = self.keys.len() as u32;
        self.index.insert(k.id(), idx);
        self.keys.push(k);
        self.schedule(idx);
        idx
    }

    fn create_managed_key(&mut self, alias: &str) -> u32 {
        let now = self.clock.now();
        let id = self.fresh_id();
        let mut k = Key::<Enabled, AwsKms>::create_with_id(id, now);
        k.core.manager = KeyManager::Aws;
        k.core.description = format!(
            "Default key that protects my {} resources when no other key is defined",
            alias.trim_start_matches("alias/aws/")
        );
        k.enable_rotation(self.rules.managed_rotation_days, now);
        let idx = self.insert_key(AnyKey::Enabled(k));
        self.aliases.insert(
            alias.to_string(),
            AliasEntry {
                target: idx,
                created: now,
                updated: now,
            },
        );
        idx
    }

    fn core(&self, idx: u32) -> &KeyCore {
        self.keys[idx as usize]
            .core()
            .expect("resolve() returns live keys only")
    }

    fn arn_idx(&self, idx: u32) -> String {
        self.arn(&self.keys[idx as usize].id())
    }

    /// The state errors of spec §3 for cryptographic operations.
    fn enabled(&self, idx: u32) -> KmsResult<EnabledRef<'_>> {
        let arn = || self.arn_idx(idx);
        match &self.keys[idx as usize] {
            AnyKey::Enabled(k) => Ok(EnabledRef::Aws(k)),
            AnyKey::ExtEnabled(k) => Ok(EnabledRef::Ext(k)),
            AnyKey::Disabled(_) | AnyKey::ExtDisabled(_) => Err(KmsError::disabled(&arn())),
            AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_) => {
                Err(KmsError::pending_deletion(&arn()))
            }
            AnyKey::ExtPendingImport(_) => Err(KmsError::pending_import(&arn())),
            AnyKey::Deleted(_) => Err(KmsError::not_found(&arn())),
        }
    }

    /// The state errors shared by management operations (EnableKey, ...).
    fn not_pending(&self, idx: u32) -> KmsResult<()> {
        match self.keys[idx as usize].state() {
            Some(KeyState::PendingDeletion) => Err(KmsError::pending_deletion(&self.arn_idx(idx))),
            _ => Ok(()),
        }
    }

    fn is_managed(&self, idx: u32) -> bool {
        self.core(idx).manager == KeyManager::Aws
    }

    fn managed_error(&self, idx: u32) -> KmsError {
        KmsError::UnsupportedOperationException(format!(
            "{} is an AWS managed key which is not valid for this operation.",
            self.arn_idx(idx)
        ))
    }

    fn metadata(&self, idx: u32) -> KeyMetadata {
        let k = &self.keys[idx as usize];
        let core = self.core(idx);
        let state = k.state().unwrap_or(KeyState::Disabled);
        let origin = k.origin().unwrap_or(Origin::AwsKms);
        let id = key_id_string(&core.id);
        let (valid_to, expiration_model) = if origin == Origin::External {
            let cur = core.current_material().filter(|m| m.backing.is_some());
            (core.valid_to(), cur.and_then(|m| m.expiration_model))
        } else {
            (None, None)
        };
        KeyMetadata {
            aws_account_id: self.account.clone(),
            arn: self.arn_of(&id),
            key_id: id,
            creation_date: Timestamp(core.creation_date),
            enabled: state == KeyState::Enabled,
            description: core.description.clone(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            key_state: state,
            deletion_date: core.deletion_date.map(Timestamp),
            valid_to: valid_to.map(Timestamp),
            origin,
            expiration_model,
            key_manager: core.manager,
            customer_master_key_spec: ALGORITHM.into(),
            key_spec: ALGORITHM.into(),
            encryption_algorithms: vec![ALGORITHM.into()],
            multi_region: false,
            current_key_material_id: if self.rules.key_material_ids {
                core.current_material().map(|m| hex(&m.id))
            } else {
                None
            },
        }
    }

    fn material_id_out(&self, id: Option<String>) -> Option<String> {
        if self.rules.key_material_ids {
            id
        } else {
            None
        }
    }

    // ----- operations: keys -------------------------------------------------

    /// CreateKey: a symmetric encryption key, Enabled (AWS_KMS) or
    /// PendingImport (EXTERNAL) (spec §2).
    pub fn create_key(&mut self, req: CreateKeyRequest) -> KmsResult<KeyMetadataResponse> {
        self.run("CreateKey", |kms, trail| {
            // Valid AWS values outside this reference's scope. (Unknown
            // values never get here: the wire layer answers them.)
            let specs = [
                req.key_spec.map(KeySpec::as_str),
                req.customer_master_key_spec.map(CustomerMasterKeySpec::as_str),
            ];
            if let Some(spec) = specs.into_iter().flatten().find(|s| *s != ALGORITHM) {
                return Err(KmsError::UnsupportedOperationException(format!(
                    "KeySpec {spec} is not supported: this reference implements symmetric encryption keys (SYMMETRIC_DEFAULT) only."
                )));
            }
            if let Some(u) = req.key_usage
                && u != KeyUsage::EncryptDecrypt
            {
                return Err(KmsError::UnsupportedOperationException(format!(
                    "KeyUsage {u} is not supported: this reference implements ENCRYPT_DECRYPT keys only."
                )));
            }
            let external = match req.origin {
                None | Some(Origin::AwsKms) => false,
                Some(Origin::External) => true,
                Some(o @ (Origin::AwsCloudhsm | Origin::ExternalKeyStore)) => {
                    return Err(KmsError::UnsupportedOperationException(format!(
                        "Origin {o} is not supported: custom key stores are out of scope."
                    )));
                }
            };
            if req.multi_region == Some(true) {
                return Err(KmsError::UnsupportedOperationException(
                    "Multi-Region keys are not supported by this reference.".into(),
                ));
            }
            let description = req.description.clone().unwrap_or_default();
            check_description(&description)?;
            let tags = check_tags(req.tags.as_deref().unwrap_or(&[]))?;
            let now = kms.clock.now();
            let id = kms.fresh_id();
            let mut k = if external {
                AnyKey::ExtPendingImport(Key::<PendingImport, External>::create_with_id(id, now))
            } else {
                AnyKey::Enabled(Key::<Enabled, AwsKms>::create_with_id(id, now))
            };
            let core = k.core_mut().expect("new key");
            core.description = description;
            core.tags = tags;
            let idx = kms.insert_key(k);
            trail.key = Some(idx);
            trail.material = kms.core(idx).current_material().map(|m| m.id);
            Ok(KeyMetadataResponse {
                key_metadata: kms.metadata(idx),
            })
        })
    }

    /// DescribeKey: allowed in every state; accepts aliases; creates an AWS
    /// managed key on first use of `alias/aws/<service>`.
    pub fn describe_key(&mut self, req: KeyIdRequest) -> KmsResult<KeyMetadataResponse> {
        self.run("DescribeKey", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOrAlias, trail)?;
            Ok(KeyMetadataResponse {
                key_metadata: kms.metadata(idx),
            })
        })
    }

    /// ListKeys: every key not deleted, in creation order.
    pub fn list_keys(&mut self, req: ListRequest) -> KmsResult<ListKeysResponse> {
        self.run("ListKeys", |kms, _| {
            let (start, limit) = page(&req)?;
            let live: Vec<&AnyKey> = kms
                .keys
                .iter()
                .filter(|k| !matches!(k, AnyKey::Deleted(_)))
                .collect();
            let end = start.saturating_add(limit).min(live.len());
            let keys = live[start.min(end)..end]
                .iter()
                .map(|k| {
                    let id = key_id_string(&k.id());
                    KeyListEntry {
                        key_arn: kms.arn_of(&id),
                        key_id: id,
                    }
                })
                .collect();
            let truncated = end < live.len();
            Ok(ListKeysResponse {
                keys,
                truncated,
                next_marker: truncated.then(|| end.to_string()),
            })
        })
    }

    /// UpdateKeyDescription: not while PendingDeletion.
    pub fn update_key_description(&mut self, req: UpdateKeyDescriptionRequest) -> KmsResult<Empty> {
        self.run("UpdateKeyDescription", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            check_description(&req.description)?;
            kms.not_pending(idx)?;
            kms.keys[idx as usize].core_mut().expect("live").description = req.description.clone();
            Ok(Empty {})
        })
    }

    /// TagResource: not while PendingDeletion.
    pub fn tag_resource(&mut self, req: TagResourceRequest) -> KmsResult<Empty> {
        self.run("TagResource", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let tags = check_tags(&req.tags)?;
            kms.not_pending(idx)?;
            kms.keys[idx as usize]
                .core_mut()
                .expect("live")
                .tags
                .extend(tags);
            Ok(Empty {})
        })
    }

    /// UntagResource: not while PendingDeletion.
    pub fn untag_resource(&mut self, req: UntagResourceRequest) -> KmsResult<Empty> {
        self.run("UntagResource", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            kms.not_pending(idx)?;
            let core = kms.keys[idx as usize].core_mut().expect("live");
            for k in &req.tag_keys {
                core.tags.remove(k);
            }
            Ok(Empty {})
        })
    }

    /// ListResourceTags: allowed in every state.
    pub fn list_resource_tags(&mut self, req: KeyIdRequest) -> KmsResult<ListResourceTagsResponse> {
        self.run("ListResourceTags", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            Ok(ListResourceTagsResponse {
                tags: kms
                    .core(idx)
                    .tags
                    .iter()
                    .map(|(k, v)| Tag {
                        tag_key: k.clone(),
                        tag_value: v.clone(),
                    })
                    .collect(),
                truncated: false,
            })
        })
    }

    /// EnableKey: Enabled or Disabled → Enabled, with the catch-up rotation of
    /// spec §4.
    pub fn enable_key(&mut self, req: KeyIdRequest) -> KmsResult<Empty> {
        self.run("EnableKey", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let now = kms.clock.now();
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::Disabled(k) => {
                    #[cfg(feature = "test-bugs")]
                    let k = if kms.bugs.no_catch_up_rotation {
                        let mut k = k;
                        if let Some(r) = k.core.rotation.as_mut()
                            && r.next <= now
                        {
                            r.next = now + u64::from(r.period_days) * DAY;
                        }
                        k
                    } else {
                        k
                    };
                    let before = k.core.rotations.len();
                    let k = k.enable(now);
                    if k.core.rotations.len() > before {
                        let mid = k.core.current_material().map(|m| m.id);
                        kms.internal_event(now, "RotateKey", idx, mid);
                    }
                    (AnyKey::Enabled(k), Ok(Empty {}))
                }
                AnyKey::ExtDisabled(k) => (AnyKey::ExtEnabled(k.enable(now)), Ok(Empty {})),
                k @ (AnyKey::Enabled(_) | AnyKey::ExtEnabled(_)) => (k, Ok(Empty {})),
                k @ (AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_)) => {
                    (k, Err(KmsError::pending_deletion(&arn)))
                }
                k @ AnyKey::ExtPendingImport(_) => (k, Err(KmsError::pending_import(&arn))),
                k @ AnyKey::Deleted(_) => (k, Err(KmsError::not_found(&arn))),
            };
            kms.put(idx, k);
            r
        })
    }

    /// DisableKey: Enabled or Disabled → Disabled. AWS managed keys cannot be
    /// disabled.
    pub fn disable_key(&mut self, req: KeyIdRequest) -> KmsResult<Empty> {
        self.run("DisableKey", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            if kms.is_managed(idx) {
                return Err(kms.managed_error(idx));
            }
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::Enabled(k) => (AnyKey::Disabled(k.disable()), Ok(Empty {})),
                AnyKey::ExtEnabled(k) => (AnyKey::ExtDisabled(k.disable()), Ok(Empty {})),
                k @ (AnyKey::Disabled(_) | AnyKey::ExtDisabled(_)) => (k, Ok(Empty {})),
                k @ (AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_)) => {
                    (k, Err(KmsError::pending_deletion(&arn)))
                }
                k @ AnyKey::ExtPendingImport(_) => (k, Err(KmsError::pending_import(&arn))),
                k @ AnyKey::Deleted(_) => (k, Err(KmsError::not_found(&arn))),
            };
            kms.put(idx, k);
            r
        })
    }

    // ----- operations: cryptography ------------------------------------------

    /// Encrypt: 1–4096 bytes under the current backing key (spec §7).
    /// `DryRun`: every check, then DryRunOperationException instead of a
    /// ciphertext.
    pub fn encrypt(&mut self, req: EncryptRequest) -> KmsResult<EncryptResponse> {
        self.run("Encrypt", |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            // The key is resolved before the arguments are validated
            // (docs/decisions.md, order of checks).
            let idx = kms.resolve_crypto("keyId", &req.key_id, trail, dry_run)?;
            check_algorithm("encryptionAlgorithm", req.encryption_algorithm)?;
            check_plaintext(req.plaintext.expose())?;
            let ctx = req.encryption_context.as_ref().unwrap_or(&EMPTY_CONTEXT);
            check_context(ctx)?;
            // None: a new AWS managed key, which would be Enabled.
            let Some(idx) = idx else {
                return Err(KmsError::dry_run());
            };
            let arn = kms.arn_idx(idx);
            let key = kms.enabled(idx)?;
            if dry_run {
                return Err(KmsError::dry_run());
            }
            let blob = key.encrypt_owned(req.plaintext.0, ctx);
            trail.material = key.material_raw(key.current());
            Ok(EncryptResponse {
                ciphertext_blob: Blob(blob),
                key_id: arn,
                encryption_algorithm: ALGORITHM.into(),
            })
        })
    }

    /// The decryption path shared by Decrypt and ReEncrypt (docs/decisions.md
    /// order (a)–(f)). Returns the key index, plaintext and material id.
    /// The blob's buffer becomes the plaintext (decrypted in place).
    /// `key_id` is the optional key parameter (`member` names it); under
    /// `dry_run` it does not create an AWS managed key.
    fn open_ciphertext(
        &mut self,
        blob: Vec<u8>,
        (member, key_id): (&str, Option<&str>),
        ctx: &EncryptionContext,
        trail: &mut Trail,
        dry_run: bool,
    ) -> KmsResult<(u32, SecretBytes, Option<String>)> {
        // Some(None): an AWS managed key not created yet, which made no
        // ciphertext.
        let given = match key_id {
            Some(k) => Some(self.resolve_crypto(member, k, trail, dry_run)?),
            None => None,
        };
        check_blob("ciphertextBlob", &blob)?;
        check_context(ctx)?;
        let parsed = parse_ciphertext(&blob).ok_or_else(KmsError::invalid_ciphertext)?;
        let (key_id, version) = (parsed.key_id, parsed.version);
        let idx = *self
            .index
            .get(&key_id)
            .ok_or_else(KmsError::invalid_ciphertext)?;
        if given.is_some_and(|g| g != Some(idx)) {
            return Err(KmsError::IncorrectKeyException(
                "The key ID in the request does not identify a CMK that can perform this operation."
                    .into(),
            ));
        }
        trail.key = Some(idx);
        if matches!(self.keys[idx as usize], AnyKey::Deleted(_)) {
            return Err(KmsError::not_found(&self.arn_idx(idx)));
        }
        let key = self.enabled(idx)?;
        let pt = key
            .decrypt(blob, ctx)
            .ok_or_else(KmsError::invalid_ciphertext)?;
        let mid = key.material_id(version);
        trail.material = key.material_raw(version);
        Ok((idx, pt, mid))
    }

    /// Decrypt: with the backing key named in the blob; the context must match
    /// exactly (spec §7). `DryRun`: every check, authentication included,
    /// then DryRunOperationException instead of the plaintext.
    pub fn decrypt(&mut self, req: DecryptRequest) -> KmsResult<DecryptResponse> {
        self.run("Decrypt", |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            check_algorithm("encryptionAlgorithm", req.encryption_algorithm)?;
            let ctx = req.encryption_context.as_ref().unwrap_or(&EMPTY_CONTEXT);
            let (idx, pt, mid) = kms.open_ciphertext(
                req.ciphertext_blob.0,
                ("keyId", req.key_id.as_deref()),
                ctx,
                trail,
                dry_run,
            )?;
            if dry_run {
                // The plaintext is wiped as it is dropped.
                drop(pt);
                return Err(KmsError::dry_run());
            }
            Ok(DecryptResponse {
                key_id: kms.arn_idx(idx),
                plaintext: SecretBlob(pt),
                encryption_algorithm: ALGORITHM.into(),
                key_material_id: kms.material_id_out(mid),
            })
        })
    }

    /// ReEncrypt: decrypt under the source, encrypt under the destination.
    /// `DryRun`: every check of both halves, then DryRunOperationException.
    pub fn re_encrypt(&mut self, req: ReEncryptRequest) -> KmsResult<ReEncryptResponse> {
        self.run("ReEncrypt", |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            let mut dest_trail = Trail::default();
            let dest = kms.resolve_crypto(
                "destinationKeyId",
                &req.destination_key_id,
                &mut dest_trail,
                dry_run,
            )?;
            check_algorithm("sourceEncryptionAlgorithm", req.source_encryption_algorithm)?;
            check_algorithm(
                "destinationEncryptionAlgorithm",
                req.destination_encryption_algorithm,
            )?;
            let sctx = req
                .source_encryption_context
                .as_ref()
                .unwrap_or(&EMPTY_CONTEXT);
            let dctx = req
                .destination_encryption_context
                .as_ref()
                .unwrap_or(&EMPTY_CONTEXT);
            check_context(dctx)?;
            let (src, pt, smid) = kms.open_ciphertext(
                req.ciphertext_blob.0,
                ("sourceKeyId", req.source_key_id.as_deref()),
                sctx,
                trail,
                dry_run,
            )?;
            trail.key = dest_trail.key;
            // None: a new AWS managed key, which would be Enabled.
            let Some(dest) = dest else {
                return Err(KmsError::dry_run());
            };
            let key = kms.enabled(dest)?;
            if dry_run {
                return Err(KmsError::dry_run());
            }
            let blob = key.encrypt(&pt, dctx);
            let dmid = key.material_id(key.current());
            Ok(ReEncryptResponse {
                ciphertext_blob: Blob(blob),
                source_key_id: kms.arn_idx(src),
                key_id: kms.arn_idx(dest),
                source_encryption_algorithm: ALGORITHM.into(),
                destination_encryption_algorithm: ALGORITHM.into(),
                source_key_material_id: kms.material_id_out(smid),
                destination_key_material_id: kms.material_id_out(dmid),
            })
        })
    }

    fn data_key(
        &mut self,
        op: &'static str,
        req: GenerateDataKeyRequest,
        with_plaintext: bool,
    ) -> KmsResult<GenerateDataKeyResponse> {
        self.run(op, |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            // Resolve first (docs/decisions.md, order of checks).
            let idx = kms.resolve_crypto("keyId", &req.key_id, trail, dry_run)?;
            let len = match (req.key_spec, req.number_of_bytes) {
                (Some(DataKeySpec::Aes256), None) => 32,
                (Some(DataKeySpec::Aes128), None) => 16,
                (None, Some(n)) if (1..=1024).contains(&n) => n as usize,
                (None, Some(n)) if n < 1 => {
                    return Err(KmsError::validation(
                        "numberOfBytes",
                        n,
                        "Member must have value greater than or equal to 1",
                    ));
                }
                (None, Some(n)) => {
                    return Err(KmsError::validation(
                        "numberOfBytes",
                        n,
                        "Member must have value less than or equal to 1024",
                    ));
                }
                _ => {
                    return Err(KmsError::ValidationException(
                        "Please specify either number of bytes or key spec.".into(),
                    ));
                }
            };
            let ctx = req.encryption_context.as_ref().unwrap_or(&EMPTY_CONTEXT);
            check_context(ctx)?;
            // None: a new AWS managed key, which would be Enabled.
            let Some(idx) = idx else {
                return Err(KmsError::dry_run());
            };
            let arn = kms.arn_idx(idx);
            let key = kms.enabled(idx)?;
            if dry_run {
                return Err(KmsError::dry_run());
            }
            let mut data_key = SecretBytes::new(vec![0u8; len]);
            random_bytes(&mut data_key);
            let blob = key.encrypt(&data_key, ctx);
            let mid = key.material_id(key.current());
            trail.material = key.material_raw(key.current());
            Ok(GenerateDataKeyResponse {
                ciphertext_blob: Blob(blob),
                plaintext: with_plaintext.then(|| SecretBlob(data_key)),
                key_id: arn,
                key_material_id: kms.material_id_out(mid),
            })
        })
    }

    /// GenerateDataKey: a random data key, returned in plaintext and encrypted.
    pub fn generate_data_key(
        &mut self,
        req: GenerateDataKeyRequest,
    ) -> KmsResult<GenerateDataKeyResponse> {
        self.data_key("GenerateDataKey", req, true)
    }

    /// GenerateDataKeyWithoutPlaintext: only the encrypted data key.
    pub fn generate_data_key_without_plaintext(
        &mut self,
        req: GenerateDataKeyRequest,
    ) -> KmsResult<GenerateDataKeyResponse> {
        self.data_key("GenerateDataKeyWithoutPlaintext", req, false)
    }

    // ----- operations: rotation ----------------------------------------------

    fn rotation_checks(&self, idx: u32) -> KmsResult<()> {
        let arn = self.arn_idx(idx);
        if self.is_managed(idx) {
            return Err(self.managed_error(idx));
        }
        match &self.keys[idx as usize] {
            AnyKey::Enabled(_) => Ok(()),
            AnyKey::Disabled(_) => Err(KmsError::disabled(&arn)),
            AnyKey::PendingDeletion(_) => Err(KmsError::pending_deletion(&arn)),
            AnyKey::Deleted(_) => Err(KmsError::not_found(&arn)),
            _ => Err(KmsError::wrong_origin(&arn, "EXTERNAL")),
        }
    }

    /// EnableKeyRotation: AWS_KMS customer managed keys, Enabled only (spec §3,
    /// §4). `RotationPeriodInDays` only under `current`.
    pub fn enable_key_rotation(&mut self, req: EnableKeyRotationRequest) -> KmsResult<Empty> {
        self.run("EnableKeyRotation", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let rules = &kms.rules;
            let period = match req.rotation_period_in_days {
                None => rules.default_rotation_days,
                Some(_) if !rules.rotation_period_configurable => {
                    return Err(KmsError::ValidationException(
                        "RotationPeriodInDays is not supported: the rotation period is fixed at 365 days.".into(),
                    ));
                }
                Some(p) if p < i64::from(rules.min_rotation_days) => {
                    return Err(KmsError::validation(
                        "rotationPeriodInDays",
                        p,
                        &format!("Member must have value greater than or equal to {}", rules.min_rotation_days),
                    ));
                }
                Some(p) if p > i64::from(rules.max_rotation_days) => {
                    return Err(KmsError::validation(
                        "rotationPeriodInDays",
                        p,
                        &format!("Member must have value less than or equal to {}", rules.max_rotation_days),
                    ));
                }
                Some(p) => p as u32,
            };
            kms.rotation_checks(idx)?;
            let now = kms.clock.now();
            if let AnyKey::Enabled(k) = &mut kms.keys[idx as usize] {
                // No period given while rotation is on: no change (decisions.md).
                let period = match (req.rotation_period_in_days, k.rotation_schedule()) {
                    (None, Some(r)) => r.period_days,
                    _ => period,
                };
                k.enable_rotation(period, now);
            }
            kms.schedule(idx);
            Ok(Empty {})
        })
    }

    /// DisableKeyRotation.
    pub fn disable_key_rotation(&mut self, req: KeyIdRequest) -> KmsResult<Empty> {
        self.run("DisableKeyRotation", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            kms.rotation_checks(idx)?;
            if let AnyKey::Enabled(k) = &mut kms.keys[idx as usize] {
                k.disable_rotation();
            }
            Ok(Empty {})
        })
    }

    /// GetKeyRotationStatus: EXTERNAL keys → UnsupportedOperationException; a
    /// key pending deletion reports false.
    pub fn get_key_rotation_status(
        &mut self,
        req: KeyIdRequest,
    ) -> KmsResult<GetKeyRotationStatusResponse> {
        self.run("GetKeyRotationStatus", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let arn = kms.arn_idx(idx);
            if kms.keys[idx as usize].origin() == Some(Origin::External) {
                return Err(KmsError::wrong_origin(&arn, "EXTERNAL"));
            }
            let core = kms.core(idx);
            let pending = kms.keys[idx as usize].state() == Some(KeyState::PendingDeletion);
            let r = if pending { None } else { core.rotation };
            Ok(GetKeyRotationStatusResponse {
                key_rotation_enabled: r.is_some(),
                key_id: arn,
                rotation_period_in_days: r.map(|r| r.period_days),
                next_rotation_date: r.map(|r| Timestamp(r.next)),
            })
        })
    }

    /// RotateKeyOnDemand (`current` rules): AWS_KMS keys get a new backing key;
    /// EXTERNAL keys make their pending material current (spec §4, §5).
    pub fn rotate_key_on_demand(&mut self, req: KeyIdRequest) -> KmsResult<KeyIdResponse> {
        self.run("RotateKeyOnDemand", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let arn = kms.arn_idx(idx);
            if !kms.rules.on_demand_rotation {
                return Err(KmsError::UnsupportedOperationException(
                    "On-demand rotation is not available under the classic rules.".into(),
                ));
            }
            if kms.is_managed(idx) {
                return Err(kms.managed_error(idx));
            }
            match &kms.keys[idx as usize] {
                AnyKey::Enabled(_) | AnyKey::ExtEnabled(_) => {}
                AnyKey::Disabled(_) | AnyKey::ExtDisabled(_) => return Err(KmsError::disabled(&arn)),
                AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_) => {
                    return Err(KmsError::pending_deletion(&arn));
                }
                AnyKey::ExtPendingImport(_) => return Err(KmsError::pending_import(&arn)),
                AnyKey::Deleted(_) => return Err(KmsError::not_found(&arn)),
            }
            if let AnyKey::ExtEnabled(k) = &kms.keys[idx as usize]
                && !k.has_pending_material()
            {
                return Err(KmsError::KMSInvalidStateException(format!(
                    "No available key material pending rotation for the key: {arn}."
                )));
            }
            let core = kms.core(idx);
            if core.on_demand_rotations >= kms.rules.on_demand_limit {
                return Err(KmsError::LimitExceededException(format!(
                    "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {arn}"
                )));
            }
            let now = kms.clock.now();
            if let Some(r) = core.rotation
                && r.next <= now + 1_200
            {
                return Err(KmsError::ConflictException(format!(
                    "An automatic rotation of {arn} is scheduled within the next 20 minutes."
                )));
            }
            let k = kms.take(idx);
            let k = match k {
                AnyKey::Enabled(k) => AnyKey::Enabled(k.rotate(now, RotationType::OnDemand)),
                AnyKey::ExtEnabled(k) => match k.rotate_to_pending(now) {
                    Ok(k) | Err(k) => AnyKey::ExtEnabled(k),
                },
                other => other,
            };
            kms.put(idx, k);
            trail.material = kms.core(idx).current_material().map(|m| m.id);
            Ok(KeyIdResponse { key_id: arn })
        })
    }

    /// ListKeyRotations: every rotation, oldest first.
    pub fn list_key_rotations(
        &mut self,
        req: ListKeyRotationsRequest,
    ) -> KmsResult<ListKeyRotationsResponse> {
        self.run("ListKeyRotations", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let (start, limit) = page(&ListRequest {
                key_id: None,
                limit: req.limit,
                marker: req.marker.clone(),
            })?;
            let all = matches!(
                req.include_key_material,
                Some(IncludeKeyMaterial::AllKeyMaterial)
            );
            let arn = kms.arn_idx(idx);
            let core = kms.core(idx);
            let external = kms.keys[idx as usize].origin() == Some(Origin::External);
            let ids = kms.rules.key_material_ids;
            // One entry per material in version order, then the pending one;
            // ROTATIONS_ONLY keeps the materials that a rotation made.
            let entry = |m: &Material, state: KeyMaterialState, rotation: Option<&Rotation>| {
                RotationsListEntry {
                    key_id: arn.clone(),
                    key_material_id: ids.then(|| hex(&m.id)),
                    key_material_state: ids.then_some(state),
                    import_state: (ids && external).then_some(if m.backing.is_some() {
                        ImportState::Imported
                    } else {
                        ImportState::PendingImport
                    }),
                    expiration_model: if ids && external {
                        m.expiration_model
                    } else {
                        None
                    },
                    valid_to: if ids && external {
                        m.valid_to.map(Timestamp)
                    } else {
                        None
                    },
                    rotation_date: rotation.map(|r| Timestamp(r.date)),
                    rotation_type: rotation.map(|r| r.kind),
                }
            };
            let mut entries: Vec<RotationsListEntry> = core
                .materials
                .iter()
                .enumerate()
                .filter_map(|(v, m)| {
                    let rotation = core.rotations.iter().find(|r| r.version as usize == v);
                    let state = if v == core.current as usize {
                        KeyMaterialState::Current
                    } else {
                        KeyMaterialState::NonCurrent
                    };
                    (all || rotation.is_some()).then(|| entry(m, state, rotation))
                })
                .collect();
            if all && let Some(p) = core.pending_material.as_deref() {
                entries.push(entry(p, KeyMaterialState::PendingRotation, None));
            }
            let end = start.saturating_add(limit).min(entries.len());
            let truncated = end < entries.len();
            entries.truncate(end);
            let rotations = entries.split_off(start.min(end));
            Ok(ListKeyRotationsResponse {
                rotations,
                truncated,
                next_marker: truncated.then(|| end.to_string()),
            })
        })
    }

    // ----- operations: deletion ----------------------------------------------

    /// ScheduleKeyDeletion: 7–30 days, default 30 (spec §6).
    pub fn schedule_key_deletion(
        &mut self,
        req: ScheduleKeyDeletionRequest,
    ) -> KmsResult<ScheduleKeyDeletionResponse> {
        self.run("ScheduleKeyDeletion", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let window = match req.pending_window_in_days {
                None => 30,
                Some(w) if w < 7 => {
                    #[cfg(feature = "test-bugs")]
                    if kms.bugs.short_window_accepted && w >= 1 {
                        w as u32
                    } else {
                        return Err(KmsError::validation(
                            "pendingWindowInDays",
                            w,
                            "Member must have value greater than or equal to 7",
                        ));
                    }
                    #[cfg(not(feature = "test-bugs"))]
                    return Err(KmsError::validation(
                        "pendingWindowInDays",
                        w,
                        "Member must have value greater than or equal to 7",
                    ));
                }
                Some(w) if w > 30 => {
                    return Err(KmsError::validation(
                        "pendingWindowInDays",
                        w,
                        "Member must have value less than or equal to 30",
                    ));
                }
                Some(w) => w as u32,
            };
            if kms.is_managed(idx) {
                return Err(kms.managed_error(idx));
            }
            let now = kms.clock.now();
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::Enabled(k) => (
                    AnyKey::PendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::Disabled(k) => (
                    AnyKey::PendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::ExtEnabled(k) => (
                    AnyKey::ExtPendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::ExtDisabled(k) => (
                    AnyKey::ExtPendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                AnyKey::ExtPendingImport(k) => (
                    AnyKey::ExtPendingDeletion(k.schedule_deletion(now, window)),
                    Ok(()),
                ),
                k @ (AnyKey::PendingDeletion(_) | AnyKey::ExtPendingDeletion(_)) => {
                    (k, Err(KmsError::pending_deletion(&arn)))
                }
                k @ AnyKey::Deleted(_) => (k, Err(KmsError::not_found(&arn))),
            };
            kms.put(idx, k);
            r?;
            #[allow(unused_mut)]
            let mut deletion_date = now + u64::from(window) * DAY;
            #[cfg(feature = "test-bugs")]
            if kms.bugs.deletion_one_second_early {
                deletion_date -= 1;
                if let Some(c) = kms.keys[idx as usize].core_mut() {
                    c.deletion_date = Some(deletion_date);
                }
                kms.schedule(idx);
            }
            Ok(ScheduleKeyDeletionResponse {
                key_id: arn,
                deletion_date: Timestamp(deletion_date),
                key_state: KeyState::PendingDeletion,
                pending_window_in_days: window,
            })
        })
    }

    /// CancelKeyDeletion: PendingDeletion → Disabled (PendingImport for an
    /// EXTERNAL key whose material is gone), never Enabled.
    pub fn cancel_key_deletion(&mut self, req: KeyIdRequest) -> KmsResult<KeyIdResponse> {
        self.run("CancelKeyDeletion", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let arn = kms.arn_idx(idx);
            let k = kms.take(idx);
            let (k, r) = match k {
                AnyKey::PendingDeletion(k) => {
                    let k = k.cancel_deletion();
                    #[cfg(feature = "test-bugs")]
                    if kms.bugs.cancel_gives_enabled {
                        let now = kms.clock.now();
                        (AnyKey::Enabled(k.enable(now)), Ok(()))
                    } else {
                        (AnyKey::Disabled(k), Ok(()))
                    }
                    #[cfg(not(feature = "test-bugs"))]
                    (AnyKey::Disabled(k), Ok(()))
                }
                AnyKey::ExtPendingDeletion(k) => match k.cancel_deletion() {
                    CancelledExternal::Disabled(k) => (AnyKey::ExtDisabled(k), Ok(())),
                    CancelledExternal::PendingImport(k) => (AnyKey::ExtPendingImport(k), Ok(())),
                },
                k => (k, Err(KmsError::not_pending_deletion(&arn))),
            };
            kms.put(idx, k);
            r?;
            Ok(KeyIdResponse { key_id: arn })
        })
    }

    // ----- operations: import ------------------------------------------------

    fn import_state_checks(&self, idx: u32) -> KmsResult<()> {
        let arn = self.arn_idx(idx);
        match &self.keys[idx as usize] {
            AnyKey::Enabled(_) | AnyKey::Disabled(_) | AnyKey::PendingDeletion(_) => {
                Err(KmsError::wrong_origin(&arn, "AWS_KMS"))
            }
            AnyKey::ExtPendingDeletion(_) => Err(KmsError::pending_deletion(&arn)),
            AnyKey::Deleted(_) => Err(KmsError::not_found(&arn)),
            _ => Ok(()),
        }
    }

    /// GetParametersForImport: a fresh RSA wrapping key and an import token,
    /// valid 24 hours; supersedes the key's earlier parameters (spec §5).
    pub fn get_parameters_for_import(
        &mut self,
        req: GetParametersForImportRequest,
    ) -> KmsResult<GetParametersForImportResponse> {
        self.run("GetParametersForImport", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            // AWS values the rule set does not accept (RSAES_PKCS1_V1_5 under
            // `current`, SM2PKE and SM2 always) are answered with the rule
            // set's values.
            let algorithm = Some(req.wrapping_algorithm)
                .filter(|a| kms.rules.wrapping_algorithms.contains(a))
                .ok_or_else(|| {
                    KmsError::validation(
                        "wrappingAlgorithm",
                        req.wrapping_algorithm,
                        &format!(
                            "Member must satisfy enum value set: [{}]",
                            kms.rules
                                .wrapping_algorithms
                                .iter()
                                .map(|a| a.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            let spec = Some(req.wrapping_key_spec)
                .filter(|s| kms.rules.wrapping_key_specs.contains(s) && s.bits().is_some())
                .ok_or_else(|| {
                    KmsError::validation(
                        "wrappingKeySpec",
                        req.wrapping_key_spec,
                        &format!(
                            "Member must satisfy enum value set: [{}]",
                            kms.rules
                                .wrapping_key_specs
                                .iter()
                                .map(|a| a.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            kms.import_state_checks(idx)?;
            let now = kms.clock.now();
            kms.import_generation += 1;
            let generation = kms.import_generation;
            let valid_to = now + DAY;
            let sk = kms.wrapping.wrapping_key(spec);
            let (params, spki) = ImportParameters::new(sk, generation, algorithm, valid_to);
            let id = kms.keys[idx as usize].id();
            let token = kms.signer.issue(&id, &params);
            kms.params.insert(idx, params);
            kms.keys[idx as usize]
                .core_mut()
                .expect("live")
                .import_generation = generation;
            kms.queue.insert((valid_to, EV_PARAMS, idx));
            Ok(GetParametersForImportResponse {
                key_id: kms.arn_idx(idx),
                import_token: Blob(token),
                public_key: Blob(spki),
                parameters_valid_to: Timestamp(valid_to),
            })
        })
    }

    /// ImportKeyMaterial (spec §5; check order in docs/decisions.md).
    pub fn import_key_material(
        &mut self,
        req: ImportKeyMaterialRequest,
    ) -> KmsResult<ImportKeyMaterialResponse> {
        self.run("ImportKeyMaterial", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let model = req
                .expiration_model
                .unwrap_or(ExpirationModel::KeyMaterialExpires);
            let import_type = match req.import_type {
                Some(t) if !kms.rules.new_key_material_import => {
                    return Err(KmsError::ValidationException(format!(
                        "ImportType {t} is not supported: only the same key material can be imported under the classic rules."
                    )));
                }
                t => t,
            };
            check_blob("importToken", &req.import_token.0)?;
            check_blob("encryptedKeyMaterial", &req.encrypted_key_material.0)?;
            kms.import_state_checks(idx)?;
            let now = kms.clock.now();
            let id = kms.keys[idx as usize].id();
            // The token: authentic, for this key, the latest, not expired.
            let invalid = || {
                KmsError::InvalidImportTokenException(
                    "The import token is invalid or does not match this KMS key.".into(),
                )
            };
            let claims = kms.signer.verify(&req.import_token.0).ok_or_else(invalid)?;
            if claims.key_id != id || claims.generation != kms.core(idx).import_generation {
                return Err(invalid());
            }
            #[cfg(feature = "test-bugs")]
            let token_never_expires = kms.bugs.token_never_expires;
            #[cfg(not(feature = "test-bugs"))]
            let token_never_expires = false;
            if now >= claims.valid_to && !token_never_expires {
                return Err(KmsError::ExpiredImportTokenException(
                    "The import token has expired. Call GetParametersForImport for a new one.".into(),
                ));
            }
            let params = kms
                .params
                .get(&idx)
                .filter(|p| p.matches(&claims))
                .ok_or_else(invalid)?;
            let material = params
                .unwrap(&req.encrypted_key_material.0)
                .ok_or_else(KmsError::invalid_ciphertext)?;
            let material: Zeroizing<[u8; 32]> = Zeroizing::new(
                material.as_slice().try_into().map_err(|_| {
                    KmsError::IncorrectKeyMaterialException(
                        "The key material must be 256 bits (32 bytes) for a symmetric encryption key."
                            .into(),
                    )
                })?,
            );
            // Checked after the material (docs/decisions.md), so kept as a result.
            let validity: KmsResult<Option<u64>> = (|| Ok(match (model, req.valid_to) {
                (ExpirationModel::KeyMaterialExpires, None) => {
                    return Err(KmsError::ValidationException(
                        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES".into(),
                    ));
                }
                (ExpirationModel::KeyMaterialExpires, Some(t)) => {
                    if t.0 <= now || t.0 > now + 365 * DAY {
                        return Err(KmsError::ValidationException(format!(
                            "ValidTo {} must be in the future and at most 365 days from now.",
                            t.0
                        )));
                    }
                    Some(t.0)
                }
                (ExpirationModel::KeyMaterialDoesNotExpire, Some(_)) => {
                    return Err(KmsError::ValidationException(
                        "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE".into(),
                    ));
                }
                (ExpirationModel::KeyMaterialDoesNotExpire, None) => None,
            }))();
            let imported = ImportedMaterial::new(&id, &material, model, None);
            let mid = imported.backing.material_id_hex();
            trail.material = Some(imported.backing.material_id());
            kms.apply_import(idx, imported, import_type, validity)?;
            Ok(ImportKeyMaterialResponse {
                key_id: kms.arn_idx(idx),
                key_material_id: kms.material_id_out(Some(mid)),
            })
        })
    }

    fn apply_import(
        &mut self,
        idx: u32,
        mut m: ImportedMaterial,
        import_type: Option<ImportType>,
        validity: KmsResult<Option<u64>>,
    ) -> KmsResult<()> {
        let arn = self.arn_idx(idx);
        let incorrect = || {
            KmsError::IncorrectKeyMaterialException(
                "The key material is not the key material previously imported into this KMS key."
                    .into(),
            )
        };
        #[cfg(feature = "test-bugs")]
        let any_material = self.bugs.different_material_accepted;
        #[cfg(not(feature = "test-bugs"))]
        let any_material = false;
        let k = self.take(idx);
        let (k, r) = match k {
            AnyKey::ExtPendingImport(k) => {
                let matched = k.match_material(&m);
                let ok = match (matched, import_type) {
                    // EXISTING_KEY_MATERIAL names material the key already has.
                    (MaterialMatch::First, Some(ImportType::ExistingKeyMaterial)) => false,
                    (MaterialMatch::First, _) => true,
                    (MaterialMatch::Existing(_), Some(ImportType::NewKeyMaterial)) => false,
                    (MaterialMatch::Existing(_), _) => true,
                    (MaterialMatch::Different, _) => any_material,
                };
                let validity = if ok { validity } else { Err(incorrect()) };
                match validity {
                    Err(e) => (AnyKey::ExtPendingImport(k), Err(e)),
                    Ok(vt) => {
                        m.valid_to = vt;
                        match k.import_material(m) {
                            ImportOutcome::Enabled(k) => (AnyKey::ExtEnabled(k), Ok(())),
                            ImportOutcome::PendingImport(k) => {
                                (AnyKey::ExtPendingImport(k), Ok(()))
                            }
                        }
                    }
                }
            }
            AnyKey::ExtEnabled(mut k) => {
                let r = import_into(&mut k, m, import_type, &arn, any_material, validity);
                (AnyKey::ExtEnabled(k), r)
            }
            AnyKey::ExtDisabled(mut k) => {
                let r = import_into(&mut k, m, import_type, &arn, any_material, validity);
                (AnyKey::ExtDisabled(k), r)
            }
            other => (
                other,
                Err(KmsError::KMSInternalException(
                    "unexpected key state".into(),
                )),
            ),
        };
        self.put(idx, k);
        r
    }

    /// DeleteImportedKeyMaterial (spec §2, §5; decisions.md): deletes exactly
    /// the material `KeyMaterialId` names (default: the current one) and
    /// nothing else. A CURRENT or NON_CURRENT material makes an Enabled or
    /// Disabled key PendingImport; PENDING_ROTATION material changes no state.
    pub fn delete_imported_key_material(
        &mut self,
        req: DeleteImportedKeyMaterialRequest,
    ) -> KmsResult<ImportKeyMaterialResponse> {
        self.run("DeleteImportedKeyMaterial", |kms, trail| {
            let idx = kms.resolve(&req.key_id, Accept::KeyOnly, trail)?;
            let wanted = match &req.key_material_id {
                None => None,
                Some(_) if !kms.rules.key_material_ids => {
                    return Err(KmsError::ValidationException(
                        "KeyMaterialId is not supported by the classic rules".into(),
                    ));
                }
                Some(id) => Some(parse_material_id(id)?),
            };
            let arn = kms.arn_idx(idx);
            let slot = match &kms.keys[idx as usize] {
                AnyKey::ExtEnabled(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                AnyKey::ExtDisabled(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                AnyKey::ExtPendingDeletion(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                AnyKey::ExtPendingImport(k) => lookup_slot(k, wanted.as_ref(), &arn)?,
                _ => return Err(KmsError::wrong_origin(&arn, "AWS_KMS")),
            };
            let mid = slot.map(|(_, id)| id);
            trail.material = mid;
            #[cfg(feature = "test-bugs")]
            let keep_current = kms.bugs.deleted_material_kept_while_pending_import;
            #[cfg(not(feature = "test-bugs"))]
            let keep_current = false;
            let k = kms.take(idx);
            let k = match (k, slot) {
                (k, None) => k,
                (AnyKey::ExtEnabled(k), Some((slot, _))) => match k.delete_material(slot) {
                    Ok(k) => AnyKey::ExtPendingImport(k),
                    Err(k) => AnyKey::ExtEnabled(k),
                },
                (AnyKey::ExtDisabled(k), Some((slot, _))) => match k.delete_material(slot) {
                    Ok(k) => AnyKey::ExtPendingImport(k),
                    Err(k) => AnyKey::ExtDisabled(k),
                },
                (AnyKey::ExtPendingDeletion(mut k), Some((slot, _))) => {
                    k.delete_material(slot);
                    AnyKey::ExtPendingDeletion(k)
                }
                (AnyKey::ExtPendingImport(mut k), Some((slot, _))) => {
                    // The planted bug (test-bugs only) keeps the material.
                    if !(keep_current && req.key_material_id.is_none()) {
                        k.delete_material(slot);
                    }
                    AnyKey::ExtPendingImport(k)
                }
                (other, _) => other,
            };
            kms.put(idx, k);
            Ok(ImportKeyMaterialResponse {
                key_id: arn,
                key_material_id: kms.material_id_out(mid.map(|m| hex(&m))),
            })
        })
    }

    // ----- operations: aliases -----------------------------------------------

    fn alias_target_checks(&self, idx: u32) -> KmsResult<()> {
        // An alias names a customer managed key (AWS: "TargetKeyId must be a
        // customer managed key"); AWS managed keys have their `alias/aws/` one.
        if self.is_managed(idx) {
            return Err(self.managed_error(idx));
        }
        self.not_pending(idx)
    }

    /// CreateAlias (spec §9).
    pub fn create_alias(&mut self, req: AliasRequest) -> KmsResult<Empty> {
        self.run("CreateAlias", |kms, trail| {
            // The target is resolved first (docs/decisions.md, order of checks).
            let idx =
                kms.resolve_member("targetKeyId", &req.target_key_id, Accept::KeyOnly, trail)?;
            check_alias_name(&req.alias_name)?;
            if req.alias_name.starts_with("alias/aws/") {
                return Err(reserved_alias());
            }
            kms.alias_target_checks(idx)?;
            if kms.aliases.contains_key(&req.alias_name) {
                return Err(KmsError::AlreadyExistsException(format!(
                    "An alias with the name {} already exists",
                    kms.alias_arn(&req.alias_name)
                )));
            }
            let now = kms.clock.now();
            kms.aliases.insert(
                req.alias_name.clone(),
                AliasEntry {
                    target: idx,
                    created: now,
                    updated: now,
                },
            );
            Ok(Empty {})
        })
    }

    /// UpdateAlias: re-points an alias; the new target must not be pending
    /// deletion.
    pub fn update_alias(&mut self, req: AliasRequest) -> KmsResult<Empty> {
        self.run("UpdateAlias", |kms, trail| {
            let idx =
                kms.resolve_member("targetKeyId", &req.target_key_id, Accept::KeyOnly, trail)?;
            check_alias_name(&req.alias_name)?;
            if req.alias_name.starts_with("alias/aws/") {
                return Err(reserved_alias());
            }
            if !kms.aliases.contains_key(&req.alias_name) {
                return Err(KmsError::NotFoundException(format!(
                    "Alias {} is not found.",
                    kms.alias_arn(&req.alias_name)
                )));
            }
            kms.alias_target_checks(idx)?;
            let now = kms.clock.now();
            if let Some(a) = kms.aliases.get_mut(&req.alias_name) {
                a.target = idx;
                a.updated = now;
            }
            Ok(Empty {})
        })
    }

    /// DeleteAlias: allowed whatever the key's state.
    pub fn delete_alias(&mut self, req: DeleteAliasRequest) -> KmsResult<Empty> {
        self.run("DeleteAlias", |kms, trail| {
            check_alias_name(&req.alias_name)?;
            if req.alias_name.starts_with("alias/aws/") {
                return Err(reserved_alias());
            }
            match kms.aliases.remove(&req.alias_name) {
                Some(a) => {
                    trail.key = Some(a.target);
                    Ok(Empty {})
                }
                None => Err(KmsError::NotFoundException(format!(
                    "Alias {} is not found.",
                    kms.alias_arn(&req.alias_name)
                ))),
            }
        })
    }

    /// ListAliases: all aliases, or those of one key, sorted by name.
    pub fn list_aliases(&mut self, req: ListRequest) -> KmsResult<ListAliasesResponse> {
        self.run("ListAliases", |kms, trail| {
            let only = match &req.key_id {
                Some(k) => Some(kms.resolve(k, Accept::KeyOnly, trail)?),
                None => None,
            };
            let (start, limit) = page(&req)?;
            let all: Vec<AliasListEntry> = kms
                .aliases
                .iter()
                .filter(|(_, a)| only.is_none_or(|i| a.target == i))
                .map(|(name, a)| AliasListEntry {
                    alias_name: name.clone(),
                    alias_arn: kms.alias_arn(name),
                    target_key_id: Some(key_id_string(&kms.keys[a.target as usize].id())),
                    creation_date: Some(Timestamp(a.created)),
                    last_updated_date: Some(Timestamp(a.updated)),
                })
                .collect();
            let end = start.saturating_add(limit).min(all.len());
            let truncated = end < all.len();
            Ok(ListAliasesResponse {
                aliases: all[start.min(end)..end].to_vec(),
                truncated,
                next_marker: truncated.then(|| end.to_string()),
            })
        })
    }

    /// The alias names that name a key (by key id), sorted. For tests.
    pub fn aliases_of(&self, key_id: &str) -> Vec<String> {
        let Some(id) = parse_uuid(key_id) else {
            return vec![];
        };
        let Some(&idx) = self.index.get(&id) else {
            return vec![];
        };
        self.aliases
            .iter()
            .filter(|(_, a)| a.target == idx)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

fn import_into<S: WithMaterial>(
    k: &mut Key<S, External>,
    mut m: ImportedMaterial,
    import_type: Option<ImportType>,
    arn: &str,
    any_material: bool,
    validity: KmsResult<Option<u64>>,
) -> KmsResult<()> {
    let incorrect = || {
        KmsError::IncorrectKeyMaterialException(
            "The key material is not the key material previously imported into this KMS key."
                .into(),
        )
    };
    match import_type.unwrap_or(ImportType::ExistingKeyMaterial) {
        ImportType::ExistingKeyMaterial => match k.match_material(&m) {
            MaterialMatch::Existing(_) | MaterialMatch::First => {
                m.valid_to = validity?;
                k.reimport_material(m);
                Ok(())
            }
            MaterialMatch::Different if any_material => {
                m.valid_to = validity?;
                k.reimport_material(m);
                Ok(())
            }
            MaterialMatch::Different => Err(incorrect()),
        },
        ImportType::NewKeyMaterial => {
            if k.has_pending_material() {
                return Err(KmsError::KMSInvalidStateException(format!(
                    "New key material cannot be imported into KMS key {arn}, because another key material is pending rotation."
                )));
            }
            if k.match_material(&m) != MaterialMatch::Different {
                return Err(incorrect());
            }
            m.valid_to = validity?;
            k.import_pending_material(m);
            Ok(())
        }
    }
}

fn is_managed_alias(name: &str) -> bool {
    name.strip_prefix("alias/aws/").is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    })
}

fn reserved_alias() -> KmsError {
    KmsError::NotAuthorizedException(
        "Alias names that begin with alias/aws/ are reserved for AWS managed keys.".into(),
    )
}

/// Alias naming rules (spec §9).
fn check_alias_name(name: &str) -> KmsResult<()> {
    if name.is_empty() {
        return Err(KmsError::empty("aliasName"));
    }
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(KmsError::ValidationException(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".into(),
        ));
    };
    if name.len() > 256 {
        return Err(KmsError::validation(
            "aliasName",
            name,
            "Member must have length less than or equal to 256",
        ));
    }
    if rest.is_empty()
        || !rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-'))
    {
        return Err(KmsError::InvalidAliasNameException(format!(
            "Alias name {} contains invalid characters: only [a-zA-Z0-9/_-] are allowed after alias/.",
            name.escape_default()
        )));
    }
    Ok(())
}

fn check_description(d: &str) -> KmsResult<()> {
    if d.chars().count() > 8192 {
        return Err(KmsError::ValidationException(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192".into(),
        ));
    }
    Ok(())
}

fn check_tags(tags: &[Tag]) -> KmsResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for t in tags {
        let n = t.tag_key.chars().count();
        if n == 0 || n > 128 {
            return Err(KmsError::ValidationException(
                "1 validation error detected: Value at 'tags.member.tagKey' failed to satisfy constraint: Member must have length between 1 and 128".into(),
            ));
        }
        if t.tag_value.chars().count() > 256 {
            return Err(KmsError::ValidationException(
                "1 validation error detected: Value at 'tags.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256".into(),
            ));
        }
        out.insert(t.tag_key.clone(), t.tag_value.clone());
    }
    Ok(out)
}

fn check_plaintext(pt: &[u8]) -> KmsResult<()> {
    // The value itself is secret: never echo it.
    if pt.is_empty() {
        return Err(KmsError::ValidationException(
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ));
    }
    if pt.len() > 4096 {
        return Err(KmsError::ValidationException(
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096".into(),
        ));
    }
    Ok(())
}

/// A `KeyMaterialId`: 64 lowercase hex digits (AWS's `BackingKeyIdType`).
fn parse_material_id(id: &str) -> KmsResult<[u8; 32]> {
    let bytes = id.as_bytes();
    let mut out = [0u8; 32];
    let ok = bytes.len() == 64
        && bytes.chunks(2).zip(out.iter_mut()).all(|(pair, o)| {
            match (lower_hex(pair[0]), lower_hex(pair[1])) {
                (Some(h), Some(l)) => {
                    *o = h << 4 | l;
                    true
                }
                _ => false,
            }
        });
    if ok {
        Ok(out)
    } else {
        Err(KmsError::ValidationException(
            "1 validation error detected: Value at 'keyMaterialId' failed to satisfy constraint: \
             Member must have length 64 and satisfy regular expression pattern: ^[a-f0-9]+$"
                .into(),
        ))
    }
}

fn lower_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The material DeleteImportedKeyMaterial names, with its id: the one with
/// `wanted`'s id, or the current one; `None` when the key never had material.
fn lookup_slot<S: crate::key::State>(
    k: &Key<S, External>,
    wanted: Option<&[u8; 32]>,
    arn: &str,
) -> KmsResult<Option<(MaterialSlot, [u8; 32])>> {
    let slot = match wanted {
        None => match k.current_slot() {
            Some(s) => s,
            None => return Ok(None),
        },
        Some(id) => k.find_material(id).ok_or_else(|| {
            KmsError::NotFoundException(format!(
                "Key material '{}' does not exist in key '{arn}'",
                hex(id)
            ))
        })?,
    };
    Ok(k.material_id_of(slot).map(|id| (slot, id)))
}

fn check_blob(field: &str, b: &[u8]) -> KmsResult<()> {
    if b.is_empty() || b.len() > 6144 {
        return Err(KmsError::ValidationException(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length between 1 and 6144"
        )));
    }
    Ok(())
}

fn check_context(ctx: &EncryptionContext) -> KmsResult<()> {
    let total: usize = ctx.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > 8192 {
        return Err(KmsError::ValidationException(
            "Encryption context must be at most 8192 bytes.".into(),
        ));
    }
    Ok(())
}

/// The algorithms of asymmetric keys are refused for symmetric keys.
fn check_algorithm(member: &str, a: Option<EncryptionAlgorithm>) -> KmsResult<()> {
    match a {
        None | Some(EncryptionAlgorithm::SymmetricDefault) => Ok(()),
        Some(a) => Err(KmsError::validation(
            member,
            a,
            "Member must satisfy enum value set: [SYMMETRIC_DEFAULT]",
        )),
    }
}

/// Offset and page size of a List request.
fn page(req: &ListRequest) -> KmsResult<(usize, usize)> {
    let limit = match req.limit {
        None => 100,
        Some(l) if (1..=1000).contains(&l) => l as usize,
        Some(l) => {
            return Err(KmsError::validation(
                "limit",
                l,
                "Member must have value between 1 and 1000",
            ));
        }
    };
    let start = match &req.marker {
        None => 0,
        Some(m) => m.parse::<usize>().map_err(|_| {
            KmsError::ValidationException(format!("Invalid marker '{}'", m.escape_default()))
        })?,
    };
    Ok((start, limit))
}
