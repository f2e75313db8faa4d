//! Backing keys and the ciphertext blob (spec §4, §7).
//!
//! Nothing outside this module touches raw backing-key bytes.
//!
//! Ciphertext blob, version 1 (all integers big-endian):
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 1 | magic `0x4B` |
//! | 1 | 1 | format version `0x01` |
//! | 2 | 16 | key id (the UUID's 16 bytes) |
//! | 18 | 4 | backing-key version (index into the key's materials) |
//! | 22 | 12 | random nonce |
//! | 34 | n + 16 | AES-256-GCM ciphertext and tag |
//!
//! The associated data is the whole 34-byte header followed by the canonical
//! encoding of the encryption context, so a change to any byte of the blob, or
//! any other context, fails authentication. The version field indexes a vector,
//! so finding the backing key costs the same after any number of rotations.

use crate::api::EncryptionContext;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

const MAGIC: u8 = 0x4B;
const FORMAT_VERSION: u8 = 0x01;
/// Length of the authenticated cleartext header.
pub const HEADER_LEN: usize = 34;
const TAG_LEN: usize = 16;
/// What a blob adds to its plaintext: the header and the tag.
pub const BLOB_OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// Overwrites `buf` with zeros that the compiler may not elide: `zeroize`'s
/// volatile stores and fence, on the aligned middle viewed as `u128` words (16
/// bytes per store) and on the unaligned ends byte by byte. `zeroize` on a
/// `[u8]` stores one byte at a time: 0.73 µs for 4 KiB here, a third of
/// sealing them (docs/performance.md).
pub fn wipe(buf: &mut [u8]) {
    let (head, words, tail) = bytemuck::pod_align_to_mut::<u8, u128>(buf);
    head.zeroize();
    words.zeroize();
    tail.zeroize();
}

/// Secret bytes of any length (plaintext, data keys): wiped with [`wipe`],
/// the whole allocation included, when dropped. No `Debug`: wrap it in
/// [`crate::api::SecretBlob`] to show it redacted.
///
/// The secret may start past the front of its buffer (`start`): a
/// plaintext decrypted in its blob's buffer keeps the blob header in front
/// of it, and the wire layer decodes a plaintext behind room for a header,
/// so that Encrypt seals it where it lies. Only `&buf[start..]` is the value.
#[derive(Clone, Default)]
pub struct SecretBytes {
    buf: Vec<u8>,
    start: usize,
}

impl SecretBytes {
    /// Takes ownership of `bytes`, which are wiped when this is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self {
            buf: bytes,
            start: 0,
        }
    }

    /// An empty value behind [`HEADER_LEN`] bytes of room, with capacity for
    /// `len` bytes and a tag: Encrypt seals it in place, without moving it.
    pub(crate) fn with_blob_room(len: usize) -> Self {
        let mut buf = Vec::with_capacity(HEADER_LEN + len + TAG_LEN);
        buf.resize(HEADER_LEN, 0);
        Self {
            buf,
            start: HEADER_LEN,
        }
    }

    /// The buffer, to append to (what is appended is part of the value and
    /// wiped with the rest).
    pub(crate) fn vec_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for SecretBytes {}

impl std::ops::Deref for SecretBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl std::ops::DerefMut for SecretBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..]
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        // The spare capacity may hold secret bytes from an earlier length.
        let cap = self.buf.capacity();
        self.buf.resize(cap, 0);
        wipe(&mut self.buf);
    }
}

/// Fills `buf` from the operating system's RNG.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    // The OS RNG failing is not recoverable for a KMS: there is no safe answer.
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

/// Lowercase hex (the durable store's root key file, SigV4's digests; ids
/// have their own rendering, [`crate::ids`]).
#[cfg(any(feature = "durable", feature = "conform", test))]
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let out: Vec<u8> = bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .collect();
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// A 256-bit AES-GCM backing key (one key material version).
#[derive(Clone)]
pub struct BackingKey {
    secret: Zeroizing<[u8; 32]>,
    material_id: [u8; 32],
}

impl fmt::Debug for BackingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackingKey({})", self.material_id())
    }
}

impl BackingKey {
    /// A fresh random backing key; its material id is random too.
    pub(crate) fn generate() -> Self {
        let mut secret = Zeroizing::new([0u8; 32]);
        random_bytes(&mut secret[..]);
        let mut material_id = [0u8; 32];
        random_bytes(&mut material_id);
        Self {
            secret,
            material_id,
        }
    }

    /// Imported material. As AWS does, its id is a hash of the key id and the
    /// material, so reimporting the same bytes yields the same id.
    pub(crate) fn imported(key_id: &[u8; 16], material: &[u8; 32]) -> Self {
        Self {
            secret: Zeroizing::new(*material),
            material_id: imported_material_id(key_id, material),
        }
    }

    /// The secret bytes, for sealing under the root key (feature `durable`).
    pub(crate) fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// A backing key restored from its sealed record (feature `durable`).
    pub(crate) fn from_parts(secret: Zeroizing<[u8; 32]>, material_id: [u8; 32]) -> Self {
        Self {
            secret,
            material_id,
        }
    }

    /// The 64-hex-digit key material id.
    pub(crate) fn material_id(&self) -> crate::ids::KeyMaterialId {
        crate::ids::KeyMaterialId::from_bytes(self.material_id)
    }

    /// Encrypts under this backing key, producing a complete blob.
    pub(crate) fn seal(
        &self,
        key_id: &[u8; 16],
        version: u32,
        plaintext: &[u8],
        ctx: &EncryptionContext,
    ) -> Vec<u8> {
        let mut blob = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        blob.resize(HEADER_LEN, 0);
        blob.extend_from_slice(plaintext);
        self.seal_framed(key_id, version, blob, ctx)
    }

    /// [`Self::seal`] in the plaintext's own buffer when it has room for the
    /// header and the tag: the plaintext is overwritten by its ciphertext, so
    /// no copy of it is left to wipe. A plaintext the wire layer decoded lies
    /// behind room for the header already ([`SecretBytes::with_blob_room`])
    /// and is sealed where it is; one at the front of a buffer with spare
    /// room is first moved up; otherwise it is sealed into a new buffer and
    /// its own wiped.
    pub(crate) fn seal_owned(
        &self,
        key_id: &[u8; 16],
        version: u32,
        mut plaintext: SecretBytes,
        ctx: &EncryptionContext,
    ) -> Vec<u8> {
        let spare = plaintext.buf.capacity() - plaintext.buf.len();
        let blob = match plaintext.start {
            HEADER_LEN if spare >= TAG_LEN => std::mem::take(&mut plaintext.buf),
            0 if spare >= BLOB_OVERHEAD => {
                let v = &mut plaintext.buf;
                let n = v.len();
                v.resize(HEADER_LEN + n, 0);
                v.copy_within(..n, HEADER_LEN);
                // Every plaintext byte is now under the header or in the body,
                // which the seal overwrites with ciphertext.
                std::mem::take(v)
            }
            _ => return self.seal(key_id, version, &plaintext, ctx),
        };
        self.seal_framed(key_id, version, blob, ctx)
    }

    /// Seals `blob` = `HEADER_LEN` bytes of room, then the plaintext.
    fn seal_framed(
        &self,
        key_id: &[u8; 16],
        version: u32,
        mut blob: Vec<u8>,
        ctx: &EncryptionContext,
    ) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        random_bytes(&mut nonce);
        blob[0] = MAGIC;
        blob[1] = FORMAT_VERSION;
        blob[2..18].copy_from_slice(key_id);
        blob[18..22].copy_from_slice(&version.to_be_bytes());
        blob[22..34].copy_from_slice(&nonce);
        let cipher = Aes256Gcm::new((&*self.secret).into());
        let (header, body) = blob.split_at_mut(HEADER_LEN);
        let tag = with_associated_data(header, ctx, |aad| {
            cipher.encrypt_inout_detached(&Nonce::from(nonce), aad, body.into())
        })
        .expect("AES-GCM encryption of at most 4 KiB cannot fail");
        blob.extend_from_slice(&tag);
        blob
    }

    /// Decrypts a blob made by this backing key in its own buffer: the
    /// plaintext takes the place of the ciphertext (no second buffer) and the
    /// buffer becomes [`SecretBytes`]. `None`, with the buffer dropped
    /// unchanged, when it is not a blob or does not authenticate (AES-GCM
    /// checks the tag before it decrypts a byte).
    pub(crate) fn open_owned(
        &self,
        mut blob: Vec<u8>,
        ctx: &EncryptionContext,
    ) -> Option<SecretBytes> {
        let nonce = parse_ciphertext(&blob)?.nonce;
        let n = blob.len() - HEADER_LEN - TAG_LEN;
        let tag = Tag::try_from(&blob[HEADER_LEN + n..]).ok()?;
        let cipher = Aes256Gcm::new((&*self.secret).into());
        let (header, rest) = blob.split_at_mut(HEADER_LEN);
        with_associated_data(header, ctx, |aad| {
            cipher.decrypt_inout_detached(&Nonce::from(nonce), aad, (&mut rest[..n]).into(), &tag)
        })
        .ok()?;
        // The plaintext stays where it was decrypted, behind the header.
        blob.truncate(HEADER_LEN + n);
        Some(SecretBytes {
            buf: blob,
            start: HEADER_LEN,
        })
    }
}

pub(crate) fn imported_material_id(key_id: &[u8; 16], material: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"kms-lifecycle imported key material id v1");
    h.update(key_id);
    h.update(material);
    h.finalize().into()
}

/// The canonical, unambiguous encoding of an encryption context: the number of
/// pairs, then each key and value length-prefixed, in sorted key order. So
/// `{"ab":"c"}` and `{"a":"bc"}` encode differently.
pub fn canonical_context(ctx: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::new();
    write_context(&mut out, ctx);
    out
}

fn write_context(out: &mut impl std::io::Write, ctx: &EncryptionContext) {
    let mut put = |bytes: &[u8]| {
        out.write_all(bytes)
            .expect("the associated data buffer is sized exactly")
    };
    put(&(ctx.len() as u32).to_be_bytes());
    for (k, v) in ctx {
        put(&(k.len() as u32).to_be_bytes());
        put(k.as_bytes());
        put(&(v.len() as u32).to_be_bytes());
        put(v.as_bytes());
    }
}

/// Calls `f` with the associated data (header, then canonical context): on
/// the stack when it fits in 256 bytes (an empty or small context, the
/// common case), else in one allocation.
fn with_associated_data<R>(
    header: &[u8],
    ctx: &EncryptionContext,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    let len = header.len()
        + 4
        + ctx
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>();
    if len <= 256 {
        let mut buf = [0u8; 256];
        let mut w = &mut buf[..];
        std::io::Write::write_all(&mut w, header).expect("fits");
        write_context(&mut w, ctx);
        f(&buf[..len])
    } else {
        let mut aad = Vec::with_capacity(len);
        aad.extend_from_slice(header);
        write_context(&mut aad, ctx);
        f(&aad)
    }
}

/// A blob split into its fields (not yet authenticated).
#[derive(Debug)]
pub struct ParsedCiphertext<'a> {
    /// Key id bytes.
    pub key_id: [u8; 16],
    /// Backing-key version.
    pub version: u32,
    nonce: [u8; 12],
    _blob: std::marker::PhantomData<&'a [u8]>,
}

/// Splits a blob; `None` when it cannot be one of ours.
pub fn parse_ciphertext(blob: &[u8]) -> Option<ParsedCiphertext<'_>> {
    if blob.len() < HEADER_LEN + TAG_LEN || blob[0] != MAGIC || blob[1] != FORMAT_VERSION {
        return None;
    }
    let key_id: [u8; 16] = blob[2..18].try_into().ok()?;
    let version = u32::from_be_bytes(blob[18..22].try_into().ok()?);
    let nonce: [u8; 12] = blob[22..34].try_into().ok()?;
    Some(ParsedCiphertext {
        key_id,
        version,
        nonce,
        _blob: std::marker::PhantomData,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Contexts whose associated data fits the stack buffer, fills it
    /// exactly, and overflows it all seal and open, and only with themselves.
    #[test]
    fn associated_data_on_the_stack_and_on_the_heap() {
        let key = BackingKey::generate();
        let id = [3u8; 16];
        // 34 + 4 = 38 bytes before the pairs; one pair costs 8 + k + v.
        let ctx_of =
            |v_len: usize| -> EncryptionContext { [("k".to_string(), "v".repeat(v_len))].into() };
        let sizes = [0, 1, 256 - 38 - 9, 256 - 38 - 8, 500];
        for (i, &n) in sizes.iter().enumerate() {
            let ctx = ctx_of(n);
            let blob = key.seal(&id, 0, b"plaintext", &ctx);
            assert_eq!(
                &*key.open_owned(blob.clone(), &ctx).unwrap(),
                b"plaintext",
                "size {n}"
            );
            let other = ctx_of(sizes[(i + 1) % sizes.len()]);
            assert!(key.open_owned(blob.clone(), &other).is_none(), "size {n}");
            assert!(key.open_owned(blob, &EncryptionContext::new()).is_none());
        }
    }

    /// Sealing in the plaintext's own buffer (when it has room) and into a
    /// new one give blobs that open to the plaintext; with room, no new
    /// buffer is made.
    #[test]
    fn seal_owned_in_place_and_copying() {
        let key = BackingKey::generate();
        let id = [5u8; 16];
        let ctx: EncryptionContext = [("a".to_string(), "b".to_string())].into();
        for n in [1usize, 15, 16, 17, 4096] {
            let pt: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let mut roomy = Vec::with_capacity(n + BLOB_OVERHEAD);
            roomy.extend_from_slice(&pt);
            let at = roomy.as_ptr();
            let blob = key.seal_owned(&id, 0, SecretBytes::new(roomy), &ctx);
            assert_eq!(blob.as_ptr(), at, "sealed in place");
            assert_eq!(blob.len(), n + BLOB_OVERHEAD);
            let tight = key.seal_owned(&id, 0, SecretBytes::new(pt.clone()), &ctx);
            // Decoded behind room for the header, as the wire layer does:
            // sealed where it lies.
            let mut behind = SecretBytes::with_blob_room(n);
            behind.vec_mut().extend_from_slice(&pt);
            assert_eq!(&*behind, &pt[..]);
            let at = behind.buf.as_ptr();
            let sealed = key.seal_owned(&id, 0, behind, &ctx);
            assert_eq!(sealed.as_ptr(), at, "sealed where it lies");
            for b in [blob, tight, sealed] {
                assert_eq!(parse_ciphertext(&b).unwrap().key_id, id);
                let at = b.as_ptr();
                let opened = key.open_owned(b, &ctx).unwrap();
                assert_eq!(&*opened, &pt[..], "{n}");
                assert_eq!(opened.buf.as_ptr(), at, "opened in the blob's buffer");
            }
        }
    }

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff, 0x10]), "000fabff10");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn wipe_zeroes_every_byte_whatever_the_length_and_alignment() {
        let mut backing = [0xA5u8; 200];
        for start in 0..17 {
            for len in [0, 1, 15, 16, 17, 33, 100, 150] {
                backing.fill(0xA5);
                wipe(&mut backing[start..start + len]);
                assert!(backing[start..start + len].iter().all(|&b| b == 0));
                assert!(backing[..start].iter().all(|&b| b == 0xA5), "before");
                assert!(backing[start + len..].iter().all(|&b| b == 0xA5), "after");
            }
        }
    }
}
