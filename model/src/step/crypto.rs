//! Encrypt, GenerateDataKey, Decrypt and ReEncrypt (spec §3, §7; the order
//! of checks is decisions.md's).

use super::*;

pub(crate) fn encrypt(s: &mut State, key: KeyRef, ctx: Ctx) -> Response {
    let k = match resolve(s, key) {
        Ok(k) => k,
        Err(e) => fail!(e),
    };
    if let Some((e, alarm)) = state_error(&s.keys[k as usize], true) {
        return refuse(s, k, e, alarm);
    }
    let v = s.keys[k as usize].versions - 1;
    s.ciphertexts.push(Ciphertext {
        key: k,
        version: v,
        ctx,
    });
    Response::ok(OkSummary::Encrypted {
        ct: (s.ciphertexts.len() - 1) as u8,
        key: k,
        version: v,
    })
}

/// Decrypt in the order of decisions.md: (a) given key resolved, (b) parse,
/// (c) IncorrectKey, (d) the ciphertext's key deleted, (e) state, (f) authentication.
pub(crate) fn decrypt(
    s: &mut State,
    ct: u8,
    ctx: Ctx,
    key: Option<KeyRef>,
    tampered: bool,
) -> Result<(u8, u8), Response> {
    let given = match key.map(|r| resolve(s, r)) {
        Some(Err(e)) => return Err(Response::err(e)),
        Some(Ok(k)) => Some(k),
        None => None,
    };
    let c = s.ciphertexts[ct as usize];
    if given.is_some_and(|g| g != c.key) {
        return Err(Response::err(Exception::IncorrectKeyException));
    }
    let kk = &s.keys[c.key as usize];
    if kk.state == KeyState::Deleted {
        return Err(Response::err(Exception::NotFoundException));
    }
    if let Some((e, alarm)) = state_error(kk, true) {
        return Err(refuse(s, c.key, e, alarm));
    }
    if tampered || ctx != c.ctx || !kk.version_usable(c.version) {
        return Err(Response::err(Exception::InvalidCiphertextException));
    }
    Ok((c.key, c.version))
}

/// Decrypt as a call: the outcome of [`decrypt`] as a response.
pub(super) fn decrypt_call(s: &mut State, ct: u8, ctx: Ctx, key: Option<KeyRef>) -> Response {
    match decrypt(s, ct, ctx, key, false) {
        Ok((k, v)) => Response::ok(OkSummary::Decrypted { key: k, version: v }),
        Err(r) => r,
    }
}

/// Decrypt of a ciphertext whose authentication tag was changed.
pub(super) fn decrypt_tampered(s: &mut State, ct: u8) -> Response {
    match decrypt(s, ct, s.ciphertexts[ct as usize].ctx, None, true) {
        Ok((k, v)) => Response::ok(OkSummary::Decrypted { key: k, version: v }),
        Err(r) => r,
    }
}

/// ReEncrypt: decrypt under the source key, encrypt under `dest`.
pub(super) fn re_encrypt(s: &mut State, ct: u8, dest: KeyRef) -> Response {
    // (a) every KeyId given is resolved first.
    let d = match resolve(s, dest) {
        Ok(d) => d,
        Err(e) => fail!(e),
    };
    let c = s.ciphertexts[ct as usize];
    if let Err(r) = decrypt(s, ct, c.ctx, None, false) {
        return r;
    }
    if let Some((e, alarm)) = state_error(&s.keys[d as usize], true) {
        return refuse(s, d, e, alarm);
    }
    let v = s.keys[d as usize].versions - 1;
    s.ciphertexts.push(Ciphertext {
        key: d,
        version: v,
        ctx: c.ctx,
    });
    Response::ok(OkSummary::Encrypted {
        ct: (s.ciphertexts.len() - 1) as u8,
        key: d,
        version: v,
    })
}
