//! The ciphertext blob (spec §7): its format, its associated data and its
//! parser. Sealing and opening are the backing key's ([`super::BackingKey`]).
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

pub(super) const MAGIC: u8 = 0x4B;
pub(super) const FORMAT_VERSION: u8 = 0x01;
/// Length of the authenticated cleartext header.
pub const HEADER_LEN: usize = 34;
pub(super) const TAG_LEN: usize = 16;
/// What a blob adds to its plaintext: the header and the tag.
pub const BLOB_OVERHEAD: usize = HEADER_LEN + TAG_LEN;

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
pub(super) fn with_associated_data<R>(
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
    pub(super) nonce: [u8; 12],
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
