//! The store's identifiers as types (issue 15): a key's id and a key
//! material's id are both byte strings, and as newtypes one cannot be passed
//! where the other is meant, nor either confused with other bytes.
//!
//! ```
//! use kms_lifecycle::ids::{KeyId, KeyMaterialId};
//!
//! let id = KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap();
//! assert_eq!(id.to_string(), "1234abcd-12ab-34cd-56ef-1234567890ab");
//! assert_eq!(KeyId::parse("1234abcd"), None);
//!
//! let m = KeyMaterialId::from_bytes([0xab; 32]);
//! assert_eq!(KeyMaterialId::parse(&m.to_string()), Some(m));
//! assert_eq!(KeyMaterialId::parse(&"AB".repeat(32)), None); // lowercase only
//! ```

use std::fmt;

/// A KMS key's id: 16 random bytes, written as AWS writes key ids, a
/// lowercase 8-4-4-4-12 UUID.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 16]);

impl KeyId {
    /// The id with these bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Its 16 bytes (as a ciphertext blob carries them).
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// A fresh id from the operating system's random number generator.
    pub fn random() -> Self {
        let mut id = [0u8; 16];
        crate::crypto::random_bytes(&mut id);
        Self(id)
    }

    /// The id a lowercase 8-4-4-4-12 UUID names; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
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
            let hi = lower_hex(b[i])?;
            let lo = lower_hex(*b.get(i + 1)?)?;
            out[n] = hi << 4 | lo;
            n += 1;
            i += 2;
        }
        (n == 16).then_some(Self(out))
    }

    /// Appends the UUID form to `s` (no intermediate string: every response
    /// carries an ARN, docs/performance.md).
    pub fn push_to(&self, s: &mut String) {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push(DIGITS[usize::from(b >> 4)] as char);
            s.push(DIGITS[usize::from(b & 15)] as char);
        }
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(36);
        self.push_to(&mut s);
        f.write_str(&s)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A key material's id (AWS's `KeyMaterialId`): 32 bytes, written as 64
/// lowercase hex digits. It names material without revealing it (a digest,
/// [`crate::crypto`]), so it may be shown, logged and listed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyMaterialId([u8; 32]);

impl KeyMaterialId {
    /// The id with these bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The id 64 lowercase hex digits name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (pair, o) in b.chunks(2).zip(out.iter_mut()) {
            *o = lower_hex(pair[0])? << 4 | lower_hex(pair[1])?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for KeyMaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyMaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterialId({self})")
    }
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The value of a lowercase hex digit.
pub(crate) fn lower_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_round_trip_and_refuse_anything_but_a_lowercase_uuid() {
        for _ in 0..100 {
            let id = KeyId::random();
            assert_eq!(KeyId::parse(&id.to_string()), Some(id));
        }
        let good = "0123abcd-4567-89ab-cdef-0123456789ab";
        assert!(KeyId::parse(good).is_some());
        for bad in [
            "",
            "0123ABCD-4567-89ab-cdef-0123456789ab",
            "0123abcd-4567-89ab-cdef-0123456789a",
            "0123abcd-4567-89ab-cdef-0123456789abc",
            "0123abcd44567-89ab-cdef-0123456789ab",
            "0123abcd-4567-89ab-cdef-0123456789ag",
            "0123abcd-4567-89ab-cdef-0123456789é",
        ] {
            assert_eq!(KeyId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn material_ids_are_64_lowercase_hex_digits() {
        let m = KeyMaterialId::from_bytes(std::array::from_fn(|i| i as u8 * 7));
        let s = m.to_string();
        assert_eq!(s.len(), 64);
        assert_eq!(KeyMaterialId::parse(&s), Some(m));
        assert_eq!(KeyMaterialId::parse(&s[..62]), None);
        assert_eq!(KeyMaterialId::parse(&s.to_uppercase()), None);
        assert_eq!(KeyMaterialId::parse(&"g".repeat(64)), None);
        assert_eq!(KeyMaterialId::parse(&"é".repeat(32)), None);
    }
}
