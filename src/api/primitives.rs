//! The wire values: base64 blobs ([`Blob`], the zeroized [`SecretBlob`]),
//! epoch-second [`Timestamp`]s and the [`EncryptionContext`].

use crate::crypto::SecretBytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A binary value, base64 on the wire (ciphertexts, import tokens, public keys).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        B64.decode(s.as_bytes())
            .map(Blob)
            .map_err(|_| serde::de::Error::custom("invalid base64 blob"))
    }
}

/// A secret binary value (plaintext, data key, key material): zeroized when
/// dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretBlob(pub SecretBytes);

impl SecretBlob {
    /// Wraps secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(SecretBytes::new(bytes))
    }
    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for SecretBlob {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

impl From<&[u8]> for SecretBlob {
    fn from(v: &[u8]) -> Self {
        Self::new(v.to_vec())
    }
}

impl fmt::Debug for SecretBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBlob(<redacted {} bytes>)", self.0.len())
    }
}

impl Serialize for SecretBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = B64.encode(&*self.0);
        let r = s.serialize_str(&encoded);
        drop(SecretBytes::new(encoded.into_bytes()));
        r
    }
}

impl<'de> Deserialize<'de> for SecretBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = SecretBytes::new(String::deserialize(d)?.into_bytes());
        // Room for a ciphertext blob's header and tag, so that Encrypt can
        // seal in this very buffer (crypto::BackingKey::seal_owned).
        let mut out = SecretBytes::with_blob_room(base64::decoded_len_estimate(s.len()));
        B64.decode_vec(&*s, out.vec_mut())
            .map_err(|_| serde::de::Error::custom("invalid base64 blob"))?;
        Ok(SecretBlob(out))
    }
}

/// Epoch seconds on the wire. AWS sends numbers like `1568289600.0`; both
/// integers and floats are accepted, fractions are truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() || !(0.0..=253_402_300_799.0).contains(&v) {
            return Err(serde::de::Error::custom("timestamp out of range"));
        }
        Ok(Timestamp(v as u64))
    }
}

/// Encryption context: non-secret string pairs bound to a ciphertext (spec §7).
pub type EncryptionContext = BTreeMap<String, String>;
