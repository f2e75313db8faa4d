//! Importing key material (spec §5): RSA wrapping keys, import tokens and
//! unwrapping.
//!
//! - A fresh RSA wrapping key per GetParametersForImport, handed out as DER
//!   SubjectPublicKeyInfo.
//! - The import token is authenticated with HMAC-SHA-256 under a secret of the
//!   store, and binds the key id, the parameters' generation (so a later
//!   GetParametersForImport supersedes it), the expiry and the SHA-256 of the
//!   wrapping public key.
//! - Unwrapping supports each algorithm of both rule sets. The RSA private key
//!   is zeroized on drop (rsa 0.10's `PrivateKey: ZeroizeOnDrop`), and rsa
//!   0.10's decryption is constant-time with blinding (RUSTSEC-2023-0071 notes
//!   in SECURITY.md).

use crate::api::{WrappingAlgorithm, WrappingKeySpec};
use crate::crypto::random_bytes;
use aes_kw::KwpAes256;
use hmac::{Hmac, KeyInit, Mac};
use rsa::PrivateKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// Where RSA wrapping keys come from. The default generates a fresh key for
/// every GetParametersForImport, as AWS does. Tests and benchmarks may supply a
/// [`WrappingKeyPool`] of keys generated once, because RSA key generation is
/// slow (tens of milliseconds to seconds).
pub trait WrappingKeySource: Send + Sync {
    /// A private key of the given size. The store asks only for the RSA
    /// specs (those with [`WrappingKeySpec::bits`]).
    fn wrapping_key(&self, spec: WrappingKeySpec) -> PrivateKey;
}

/// Generates a fresh RSA key per call (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct FreshWrappingKeys;

impl WrappingKeySource for FreshWrappingKeys {
    /// Panics for SM2, which is not RSA (the store never asks for it).
    fn wrapping_key(&self, spec: WrappingKeySpec) -> PrivateKey {
        let bits = spec.bits().expect("an RSA wrapping key spec");
        PrivateKey::new(&mut getrandom::SysRng, bits)
            .expect("RSA key generation with the OS RNG failed")
    }
}

/// Hands out keys from a pool, generating (and keeping) one per spec on first
/// use. Only for tests and benchmarks: every parameters set of one store then
/// shares its wrapping key; tokens stay bound to their key and generation.
#[derive(Clone, Default)]
pub struct WrappingKeyPool(Arc<Mutex<Vec<(WrappingKeySpec, PrivateKey)>>>);

impl fmt::Debug for WrappingKeyPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrappingKeyPool")
    }
}

impl WrappingKeyPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }
}

impl WrappingKeySource for WrappingKeyPool {
    fn wrapping_key(&self, spec: WrappingKeySpec) -> PrivateKey {
        let mut pool = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, k)) = pool.iter().find(|(s, _)| *s == spec) {
            return k.clone();
        }
        let k = FreshWrappingKeys.wrapping_key(spec);
        pool.push((spec, k.clone()));
        k
    }
}

/// The parameters of the latest GetParametersForImport of a key.
#[derive(Clone)]
pub(crate) struct ImportParameters {
    pub generation: u64,
    pub algorithm: WrappingAlgorithm,
    pub valid_to: u64,
    private_key: PrivateKey,
    spki_hash: [u8; 32],
}

impl fmt::Debug for ImportParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportParameters")
            .field("generation", &self.generation)
            .field("algorithm", &self.algorithm)
            .field("valid_to", &self.valid_to)
            .finish_non_exhaustive()
    }
}

impl ImportParameters {
    /// New parameters; returns them and the public key's SPKI DER.
    pub(crate) fn new(
        private_key: PrivateKey,
        generation: u64,
        algorithm: WrappingAlgorithm,
        valid_to: u64,
    ) -> (Self, Vec<u8>) {
        let spki = private_key
            .to_public_key()
            .to_public_key_der()
            .expect("DER encoding of an RSA public key cannot fail")
            .as_bytes()
            .to_vec();
        let spki_hash = Sha256::digest(&spki).into();
        (
            Self {
                generation,
                algorithm,
                valid_to,
                private_key,
                spki_hash,
            },
            spki,
        )
    }

    /// The RSA private key as PKCS#8 DER (zeroized on drop), for sealing
    /// under the root key (feature `durable`).
    pub(crate) fn private_key_der(&self) -> Option<Zeroizing<Vec<u8>>> {
        use rsa::pkcs8::EncodePrivateKey;
        let doc = self.private_key.to_pkcs8_der().ok()?;
        Some(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// Parameters restored from their sealed record (feature `durable`);
    /// `None` when the DER is not an RSA private key.
    pub(crate) fn restore(
        der: &[u8],
        generation: u64,
        algorithm: WrappingAlgorithm,
        valid_to: u64,
    ) -> Option<Self> {
        use rsa::pkcs8::DecodePrivateKey;
        let sk = PrivateKey::from_pkcs8_der(der).ok()?;
        Some(Self::new(sk, generation, algorithm, valid_to).0)
    }

    /// Unwraps `wrapped` with this wrapping key and algorithm. `None` when it
    /// cannot be unwrapped (InvalidCiphertextException).
    pub(crate) fn unwrap(&self, wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let sk = &self.private_key;
        let out = match self.algorithm {
            WrappingAlgorithm::RsaesOaepSha256 => sk.oaep_decrypt::<Sha256>(wrapped).ok()?,
            WrappingAlgorithm::RsaesOaepSha1 => sk.oaep_decrypt::<sha1::Sha1>(wrapped).ok()?,
            // rsa 0.10 uses implicit rejection: bad padding yields a synthetic
            // plaintext, not an error, so it surfaces as wrong material.
            WrappingAlgorithm::RsaesPkcs1V15 => sk.pkcs1v15_decrypt(wrapped).ok()?,
            WrappingAlgorithm::RsaAesKeyWrapSha256 | WrappingAlgorithm::RsaAesKeyWrapSha1 => {
                let n = sk.size();
                if wrapped.len() <= n {
                    return None;
                }
                let (rsa_part, kw_part) = wrapped.split_at(n);
                let aes_key = Zeroizing::new(match self.algorithm {
                    WrappingAlgorithm::RsaAesKeyWrapSha256 => {
                        sk.oaep_decrypt::<Sha256>(rsa_part).ok()?
                    }
                    _ => sk.oaep_decrypt::<sha1::Sha1>(rsa_part).ok()?,
                });
                let kwp = KwpAes256::new_from_slice(&aes_key).ok()?;
                let mut buf = Zeroizing::new(vec![0u8; kw_part.len()]);
                let len = kwp.unwrap_key(kw_part, &mut buf).ok()?.len();
                buf.truncate(len);
                return Some(buf);
            }
            // Not RSA: no rule set accepts it, nothing to unwrap with.
            WrappingAlgorithm::Sm2pke => return None,
        };
        Some(Zeroizing::new(out))
    }
}

/// What an authentic import token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TokenClaims {
    pub key_id: [u8; 16],
    pub generation: u64,
    pub valid_to: u64,
    pub spki_hash: [u8; 32],
}

const TOKEN_MAGIC: [u8; 2] = [0x54, 0x01];
const TOKEN_BODY: usize = 2 + 16 + 8 + 8 + 32;
const TOKEN_LEN: usize = TOKEN_BODY + 32;

/// Issues and verifies import tokens (HMAC-SHA-256 under a per-store secret).
#[derive(Clone)]
pub(crate) struct TokenSigner {
    secret: Zeroizing<[u8; 32]>,
}

impl TokenSigner {
    pub(crate) fn new() -> Self {
        let mut secret = Zeroizing::new([0u8; 32]);
        random_bytes(&mut secret[..]);
        Self { secret }
    }

    /// The HMAC secret, for sealing under the root key (feature `durable`).
    pub(crate) fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// A signer restored from its sealed secret (feature `durable`).
    pub(crate) fn from_secret(secret: Zeroizing<[u8; 32]>) -> Self {
        Self { secret }
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret[..])
            .expect("HMAC accepts any key length")
    }

    pub(crate) fn issue(&self, key_id: &[u8; 16], params: &ImportParameters) -> Vec<u8> {
        let mut t = Vec::with_capacity(TOKEN_LEN);
        t.extend_from_slice(&TOKEN_MAGIC);
        t.extend_from_slice(key_id);
        t.extend_from_slice(&params.generation.to_be_bytes());
        t.extend_from_slice(&params.valid_to.to_be_bytes());
        t.extend_from_slice(&params.spki_hash);
        let mut mac = self.mac();
        mac.update(&t);
        t.extend_from_slice(&mac.finalize().into_bytes());
        t
    }

    /// The claims of an authentic token, `None` for anything forged or malformed.
    pub(crate) fn verify(&self, token: &[u8]) -> Option<TokenClaims> {
        if token.len() != TOKEN_LEN || token[..2] != TOKEN_MAGIC {
            return None;
        }
        let (body, tag) = token.split_at(TOKEN_BODY);
        let mut mac = self.mac();
        mac.update(body);
        mac.verify_slice(tag).ok()?;
        Some(TokenClaims {
            key_id: body[2..18].try_into().ok()?,
            generation: u64::from_be_bytes(body[18..26].try_into().ok()?),
            valid_to: u64::from_be_bytes(body[26..34].try_into().ok()?),
            spki_hash: body[34..66].try_into().ok()?,
        })
    }
}

impl ImportParameters {
    /// Whether `claims` were issued for exactly these parameters.
    pub(crate) fn matches(&self, claims: &TokenClaims) -> bool {
        claims.generation == self.generation && claims.spki_hash == self.spki_hash
    }
}

/// Client side of the import, as an AWS user does it: wraps 32 bytes of
/// material with the public key from GetParametersForImport. Provided for
/// tests, examples and the oracle.
pub fn wrap_key_material(
    public_key_der: &[u8],
    algorithm: WrappingAlgorithm,
    material: &[u8],
) -> Result<Vec<u8>, String> {
    use rsa::pkcs8::DecodePublicKey;
    let pk = rsa::PublicKey::from_public_key_der(public_key_der).map_err(|e| e.to_string())?;
    match algorithm {
        WrappingAlgorithm::RsaesOaepSha256 => pk.oaep_encrypt::<Sha256>(material),
        WrappingAlgorithm::RsaesOaepSha1 => pk.oaep_encrypt::<sha1::Sha1>(material),
        WrappingAlgorithm::RsaesPkcs1V15 => pk.pkcs1v15_encrypt(material),
        WrappingAlgorithm::RsaAesKeyWrapSha256 | WrappingAlgorithm::RsaAesKeyWrapSha1 => {
            let mut aes_key = Zeroizing::new([0u8; 32]);
            random_bytes(&mut aes_key[..]);
            let mut out = if algorithm == WrappingAlgorithm::RsaAesKeyWrapSha256 {
                pk.oaep_encrypt::<Sha256>(&aes_key[..])
            } else {
                pk.oaep_encrypt::<sha1::Sha1>(&aes_key[..])
            }
            .map_err(|e| e.to_string())?;
            let kwp = KwpAes256::new_from_slice(&aes_key[..]).map_err(|e| e.to_string())?;
            let mut buf = vec![0u8; material.len() + 16];
            let wrapped = kwp
                .wrap_key(material, &mut buf)
                .map_err(|e| e.to_string())?;
            out.extend_from_slice(wrapped);
            return Ok(out);
        }
        WrappingAlgorithm::Sm2pke => return Err("SM2PKE is not supported".into()),
    }
    .map_err(|e| e.to_string())
}
