//! The durable store of `kms-lifecycle serve --data-dir DIR` (feature
//! `durable`): one redb database, `DIR/kms.redb`, written in one ACID write
//! transaction per call and committed (fsync) before the call's response is
//! sent.
//!
//! Tables (format version [`FORMAT_VERSION`]):
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `format` | the format version, decimal text |
//! | `meta` | `root-check` | a constant sealed under the root key |
//! | `meta` | `identity` | JSON: rule set, Region, account |
//! | `meta` | `clock` | JSON: the manual clock's time (absent with the system clock) |
//! | `meta` | `store` | sealed JSON: token secret, import generation, counts |
//! | `keys` | key number | sealed JSON of one key's full state ([`KeyRecord`]) |
//! | `aliases` | alias name | JSON: target key number, dates |
//! | `audit` | sequence number | JSON of one audit record |
//! | `alarms` | sequence number | JSON of one pending-deletion alarm |
//!
//! "Sealed" is AES-256-GCM under the operator's root key (`--root-key-file`,
//! 64 hex digits), with a random 96-bit nonce and the record's table and key
//! as associated data, so a record moved to another row does not open:
//! `0x01 | nonce (12) | ciphertext | tag (16)`. Key material, import wrapping
//! keys and the token secret are only ever written sealed.
//!
//! A directory of another format version, of another root key, or of
//! another rule set, Region or account is refused, never overwritten.

use crate::store::persist::{
    AlarmRecord, AliasRecord, AuditRecord, Changes, Image, KeyRecord, MetaRecord,
};
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use redb::{Database, Durability, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The version of the data directory's format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The database file inside the data directory.
pub const DB_FILE: &str = "kms.redb";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const KEYS: TableDefinition<u32, &[u8]> = TableDefinition::new("keys");
const ALIASES: TableDefinition<&str, &[u8]> = TableDefinition::new("aliases");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
const ALARMS: TableDefinition<u64, &[u8]> = TableDefinition::new("alarms");

const SEAL_VERSION: u8 = 0x01;
/// The database's page cache.
const CACHE_BYTES: usize = 16 << 20;
/// At most this many commits in a row do not wait for the disk.
const DURABLE_EVERY: u32 = 256;
const ROOT_CHECK: &[u8] = b"kms-lifecycle data directory root key check";

/// Why the data directory cannot be opened or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurableError(pub String);

impl fmt::Display for DurableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DurableError {}

fn err(context: &str, e: impl fmt::Display) -> DurableError {
    DurableError(format!("{context}: {e}"))
}

/// What a data directory belongs to: opening it with other values is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The rule set's name.
    pub rules: String,
    /// The Region in ARNs.
    pub region: String,
    /// The account in ARNs.
    pub account: String,
}

#[derive(Serialize, Deserialize)]
struct ClockRecord {
    manual: u64,
}

/// The operator's root key: 32 bytes, never written anywhere but its file.
struct RootKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(..)")
    }
}

impl RootKey {
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&*self.0).into())
    }

    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS RNG failed");
        let mut out = Vec::with_capacity(1 + 12 + plaintext.len() + 16);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher()
            .encrypt_inout_detached(&Nonce::from(nonce), aad, (&mut out[13..]).into())
            .expect("AES-GCM encryption of a record cannot fail");
        out.extend_from_slice(&tag);
        out
    }

    fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < 1 + 12 + 16 || sealed[0] != SEAL_VERSION {
            return None;
        }
        let nonce: [u8; 12] = sealed[1..13].try_into().ok()?;
        let n = sealed.len() - 16;
        let tag = Tag::try_from(&sealed[n..]).ok()?;
        let mut buf = Zeroizing::new(Vec::with_capacity(n - 13));
        buf.extend_from_slice(&sealed[13..n]);
        self.cipher()
            .decrypt_inout_detached(&Nonce::from(nonce), aad, (&mut buf[..]).into(), &tag)
            .ok()?;
        Some(buf)
    }
}

/// Reads the root key from `path` (64 hex digits), or makes one there with
/// permissions 0600 when the file does not exist. Returns whether it was made.
fn root_key(path: &Path) -> Result<(RootKey, bool), DurableError> {
    let made = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode_0600()
        .open(path)
    {
        Ok(mut f) => {
            let mut key = Zeroizing::new([0u8; 32]);
            getrandom::fill(&mut key[..]).map_err(|e| err("the OS RNG failed", e))?;
            let mut hexed = Zeroizing::new(crate::crypto::hex(&key[..]));
            hexed.push('\n');
            f.write_all(hexed.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| {
                    err(
                        &format!("cannot write the root key file {}", path.display()),
                        e,
                    )
                })?;
            sync_parent(path);
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => {
            return Err(err(
                &format!("cannot create the root key file {}", path.display()),
                e,
            ));
        }
    };
    let text = Zeroizing::new(std::fs::read(path).map_err(|e| {
        err(
            &format!("cannot read the root key file {}", path.display()),
            e,
        )
    })?);
    let digits: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    let bad = || {
        DurableError(format!(
            "the root key file {} must hold exactly 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`",
            path.display()
        ))
    };
    if digits.len() != 64 {
        return Err(bad());
    }
    let mut key = Zeroizing::new([0u8; 32]);
    for (i, pair) in digits.chunks(2).enumerate() {
        let v = |c: u8| (c as char).to_digit(16);
        match (v(pair[0]), v(pair[1])) {
            (Some(h), Some(l)) => key[i] = (h << 4 | l) as u8,
            _ => return Err(bad()),
        }
    }
    warn_if_readable_by_others(path);
    Ok((RootKey(key), made))
}

trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for std::fs::OpenOptions {
    #[cfg(unix)]
    fn mode_0600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
    #[cfg(not(unix))]
    fn mode_0600(&mut self) -> &mut Self {
        self
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(path)
        && m.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "warning: the root key file {} can be read by other users (mode {:o}); chmod 600 it",
            path.display(),
            m.permissions().mode() & 0o777
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = d.sync_all();
    }
}

/// An open data directory.
pub struct Durable {
    db: Database,
    root: RootKey,
    path: PathBuf,
    /// Audit records and alarms below these sequence numbers are not on disk.
    audit_first: u64,
    alarms_first: u64,
    /// The manual clock's time as last written.
    clock_written: Option<u64>,
    /// Commits since the last one that waited for the disk.
    since_durable: u32,
}

impl fmt::Debug for Durable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Durable")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A data directory just opened: the store it holds (empty when new) and the
/// manual clock's saved time.
#[derive(Debug)]
pub struct Opened {
    /// The open directory, to commit to.
    pub durable: Durable,
    /// The store as last committed.
    pub image: Image,
    /// The manual clock's time as last committed (`None`: new directory, or
    /// run with the system clock).
    pub manual_clock: Option<u64>,
    /// True when the directory was new (nothing restored).
    pub fresh: bool,
    /// True when the root key file was made now.
    pub root_key_made: bool,
}

fn to_json<T: Serialize>(v: &T) -> Zeroizing<Vec<u8>> {
    // Measure first, so that the buffer never grows (a grown buffer would
    // leave an unwiped copy of the old one in freed memory).
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    serde_json::to_writer(&mut c, v).expect("records serialize");
    let mut out = Zeroizing::new(Vec::with_capacity(c.0));
    serde_json::to_writer(&mut *out, v).expect("records serialize");
    out
}

fn key_aad(idx: u32) -> Vec<u8> {
    let mut a = b"kms-lifecycle/1/keys/".to_vec();
    a.extend_from_slice(&idx.to_be_bytes());
    a
}

const STORE_AAD: &[u8] = b"kms-lifecycle/1/meta/store";
const CHECK_AAD: &[u8] = b"kms-lifecycle/1/meta/root-check";

impl Durable {
    /// Opens (or creates) the data directory `dir`, with the root key in
    /// `root_key_file` (made, 0600, when absent), for a store of `identity`.
    pub fn open(
        dir: &Path,
        root_key_file: &Path,
        identity: &Identity,
    ) -> Result<Opened, DurableError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            err(
                &format!("cannot create the data directory {}", dir.display()),
                e,
            )
        })?;
        let path = dir.join(DB_FILE);
        let existed = path.exists();
        let (root, root_key_made) = root_key(root_key_file)?;
        if existed && root_key_made {
            return Err(DurableError(format!(
                "{} holds a store but the root key file {} did not exist (a new key was made there, which cannot open this store); give the root key file this store was sealed under",
                dir.display(),
                root_key_file.display()
            )));
        }
        // redb caches up to 1 GiB by default: bound it, so that the server's
        // memory stays flat under load (issue 17, item 4).
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| {
            err(
                &format!("cannot open {} (not a kms-lifecycle data directory of this version, or in use by another server)", path.display()),
                e,
            )
        })?;
        let mut d = Durable {
            db,
            root,
            path,
            audit_first: 0,
            alarms_first: 0,
            clock_written: None,
            since_durable: 0,
        };
        let rtx = d.db.begin_read().map_err(|e| err("read", e))?;
        let format = match rtx.open_table(META) {
            Ok(t) => t
                .get("format")
                .map_err(|e| err("read", e))?
                .map(|v| v.value().to_vec()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(err("read", e)),
        };
        drop(rtx);
        let Some(format) = format else {
            d.initialise(identity)?;
            return Ok(Opened {
                durable: d,
                image: Image::default(),
                manual_clock: None,
                fresh: true,
                root_key_made,
            });
        };
        let version = std::str::from_utf8(&format)
            .ok()
            .and_then(|s| s.parse::<u32>().ok());
        if version != Some(FORMAT_VERSION) {
            return Err(DurableError(format!(
                "{} is in data format version {}, this build reads version {FORMAT_VERSION} only; it was left unchanged",
                d.path.display(),
                String::from_utf8_lossy(&format)
            )));
        }
        let (image, manual_clock) = d.load(identity)?;
        Ok(Opened {
            durable: d,
            image,
            manual_clock,
            fresh: false,
            root_key_made,
        })
    }

    fn initialise(&mut self, identity: &Identity) -> Result<(), DurableError> {
        let tx = self.db.begin_write().map_err(|e| err("write", e))?;
        {
            let mut meta = tx.open_table(META).map_err(|e| err("write", e))?;
            let check = self.root.seal(CHECK_AAD, ROOT_CHECK);
            let id = serde_json::to_vec(identity).expect("identity serializes");
            let v = FORMAT_VERSION.to_string();
            meta.insert("format", v.as_bytes())
                .map_err(|e| err("write", e))?;
            meta.insert("root-check", &check[..])
                .map_err(|e| err("write", e))?;
            meta.insert("identity", &id[..])
                .map_err(|e| err("write", e))?;
            tx.open_table(KEYS).map_err(|e| err("write", e))?;
            tx.open_table(ALIASES).map_err(|e| err("write", e))?;
            tx.open_table(AUDIT).map_err(|e| err("write", e))?;
            tx.open_table(ALARMS).map_err(|e| err("write", e))?;
        }
        tx.commit().map_err(|e| err("commit", e))
    }

    fn load(&mut self, identity: &Identity) -> Result<(Image, Option<u64>), DurableError> {
        let corrupt = |what: &str| {
            DurableError(format!(
                "{} is damaged ({what}); it was left unchanged",
                self.path.display()
            ))
        };
        let rtx = self.db.begin_read().map_err(|e| err("read", e))?;
        let meta = rtx.open_table(META).map_err(|e| err("read", e))?;
        let get = |k: &str| -> Result<Option<Vec<u8>>, DurableError> {
            Ok(meta
                .get(k)
                .map_err(|e| err("read", e))?
                .map(|v| v.value().to_vec()))
        };
        let check = get("root-check")?.ok_or_else(|| corrupt("no root key check"))?;
        if self.root.open(CHECK_AAD, &check).as_deref().map(|v| &v[..]) != Some(ROOT_CHECK) {
            return Err(DurableError(format!(
                "{} was sealed under another root key than the one in the root key file; it was left unchanged",
                self.path.display()
            )));
        }
        let stored: Identity = get("identity")?
            .and_then(|v| serde_json::from_slice(&v).ok())
            .ok_or_else(|| corrupt("no identity"))?;
        if &stored != identity {
            return Err(DurableError(format!(
                "{} holds a store of rules {}, Region {}, account {}, not of rules {}, Region {}, account {}; it was left unchanged",
                self.path.display(),
                stored.rules,
                stored.region,
                stored.account,
                identity.rules,
                identity.region,
                identity.account
            )));
        }
        let manual_clock = match get("clock")? {
            Some(v) => Some(
                serde_json::from_slice::<ClockRecord>(&v)
                    .map_err(|_| corrupt("clock"))?
                    .manual,
            ),
            None => None,
        };
        self.clock_written = manual_clock;
        let meta_rec: Option<MetaRecord> = match get("store")? {
            Some(v) => {
                let plain = self
                    .root
                    .open(STORE_AAD, &v)
                    .ok_or_else(|| corrupt("store record does not open"))?;
                Some(serde_json::from_slice(&plain).map_err(|e| corrupt(&e.to_string()))?)
            }
            None => None,
        };
        let mut image = Image {
            meta: meta_rec,
            ..Image::default()
        };
        let keys = rtx.open_table(KEYS).map_err(|e| err("read", e))?;
        for (n, e) in keys.iter().map_err(|e| err("read", e))?.enumerate() {
            let (k, v) = e.map_err(|e| err("read", e))?;
            let idx = k.value();
            if idx as usize != n {
                return Err(corrupt("key records are not numbered 0, 1, ..."));
            }
            let plain = self
                .root
                .open(&key_aad(idx), v.value())
                .ok_or_else(|| corrupt("a key record does not open"))?;
            let rec: KeyRecord =
                serde_json::from_slice(&plain).map_err(|e| corrupt(&e.to_string()))?;
            image.keys.push(rec);
        }
        let aliases = rtx.open_table(ALIASES).map_err(|e| err("read", e))?;
        for e in aliases.iter().map_err(|e| err("read", e))? {
            let (k, v) = e.map_err(|e| err("read", e))?;
            let rec: AliasRecord =
                serde_json::from_slice(v.value()).map_err(|e| corrupt(&e.to_string()))?;
            image.aliases.push((k.value().to_string(), rec));
        }
        let audit = rtx.open_table(AUDIT).map_err(|e| err("read", e))?;
        for e in audit.iter().map_err(|e| err("read", e))? {
            let (k, v) = e.map_err(|e| err("read", e))?;
            let rec: AuditRecord =
                serde_json::from_slice(v.value()).map_err(|e| corrupt(&e.to_string()))?;
            image.audit.push((k.value(), rec));
        }
        let alarms = rtx.open_table(ALARMS).map_err(|e| err("read", e))?;
        for e in alarms.iter().map_err(|e| err("read", e))? {
            let (k, v) = e.map_err(|e| err("read", e))?;
            let rec: AlarmRecord =
                serde_json::from_slice(v.value()).map_err(|e| corrupt(&e.to_string()))?;
            image.alarms.push((k.value(), rec));
        }
        self.audit_first = image
            .audit
            .first()
            .map(|r| r.0)
            .unwrap_or_else(|| image.meta.as_ref().map(|m| m.audit_next).unwrap_or(0));
        self.alarms_first = image
            .alarms
            .first()
            .map(|r| r.0)
            .unwrap_or_else(|| image.meta.as_ref().map(|m| m.alarms_next).unwrap_or(0));
        Ok((image, manual_clock))
    }

    /// Writes `changes` (and the manual clock's time, when it runs on one) in
    /// one transaction. It waits for the disk (fsync) unless nothing but
    /// audit records were added: those are then made durable by the next
    /// commit that waits (docs/decisions.md, issue 17).
    pub fn commit(
        &mut self,
        changes: &Changes,
        manual_clock: Option<u64>,
    ) -> Result<(), DurableError> {
        let clock_moved = manual_clock.is_some() && manual_clock != self.clock_written;
        let mut tx = self.db.begin_write().map_err(|e| err("write", e))?;
        // Pages freed by non-durable commits are reused only after a durable
        // one: wait for the disk at least every `DURABLE_EVERY` commits, so
        // that a read-only load does not grow the file.
        if changes.only_audit() && !clock_moved && self.since_durable < DURABLE_EVERY {
            tx.set_durability(Durability::None);
            self.since_durable += 1;
        } else {
            tx.set_durability(Durability::Immediate);
            self.since_durable = 0;
        }
        {
            let mut keys = tx.open_table(KEYS).map_err(|e| err("write", e))?;
            for (idx, rec) in &changes.keys {
                let plain = to_json(rec);
                let sealed = self.root.seal(&key_aad(*idx), &plain);
                keys.insert(*idx, &sealed[..])
                    .map_err(|e| err("write", e))?;
            }
            let mut aliases = tx.open_table(ALIASES).map_err(|e| err("write", e))?;
            for (name, rec) in &changes.aliases {
                match rec {
                    Some(r) => {
                        let v = serde_json::to_vec(r).expect("alias serializes");
                        aliases
                            .insert(name.as_str(), &v[..])
                            .map_err(|e| err("write", e))?;
                    }
                    None => {
                        aliases.remove(name.as_str()).map_err(|e| err("write", e))?;
                    }
                }
            }
            let mut audit = tx.open_table(AUDIT).map_err(|e| err("write", e))?;
            for (seq, rec) in &changes.audit {
                let v = serde_json::to_vec(rec).expect("audit record serializes");
                audit.insert(*seq, &v[..]).map_err(|e| err("write", e))?;
            }
            while self.audit_first < changes.audit_first {
                audit
                    .remove(self.audit_first)
                    .map_err(|e| err("write", e))?;
                self.audit_first += 1;
            }
            let mut alarms = tx.open_table(ALARMS).map_err(|e| err("write", e))?;
            for (seq, rec) in &changes.alarms {
                let v = serde_json::to_vec(rec).expect("alarm serializes");
                alarms.insert(*seq, &v[..]).map_err(|e| err("write", e))?;
            }
            while self.alarms_first < changes.alarms_first {
                alarms
                    .remove(self.alarms_first)
                    .map_err(|e| err("write", e))?;
                self.alarms_first += 1;
            }
            let mut meta = tx.open_table(META).map_err(|e| err("write", e))?;
            if let Some(m) = &changes.meta {
                let sealed = self.root.seal(STORE_AAD, &to_json(m));
                meta.insert("store", &sealed[..])
                    .map_err(|e| err("write", e))?;
            }
            if let Some(t) = manual_clock
                && clock_moved
            {
                let v = serde_json::to_vec(&ClockRecord { manual: t }).expect("clock serializes");
                meta.insert("clock", &v[..]).map_err(|e| err("write", e))?;
            }
        }
        tx.commit().map_err(|e| err("commit", e))?;
        if clock_moved {
            self.clock_written = manual_clock;
        }
        Ok(())
    }
}
