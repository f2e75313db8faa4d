//! Secret buffers: wiped when dropped, never rendered.

use super::blob::{HEADER_LEN, TAG_LEN};
use zeroize::Zeroize;

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
    pub(super) buf: Vec<u8>,
    pub(super) start: usize,
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
