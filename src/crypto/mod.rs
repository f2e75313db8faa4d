//! Backing keys (spec §4, §7), the ciphertext blob (`blob.rs`: its format and
//! parser) and secret buffers (`secret.rs`).
//!
//! Nothing outside this module touches raw backing-key bytes.

mod blob;
mod secret;

pub use blob::{BLOB_OVERHEAD, HEADER_LEN, ParsedCiphertext, canonical_context, parse_ciphertext};
use blob::{FORMAT_VERSION, MAGIC, TAG_LEN, with_associated_data};
pub use secret::{SecretBytes, wipe};

use crate::api::EncryptionContext;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

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
