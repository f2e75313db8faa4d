//! The transition function: [`step`] and, by operation family, what each
//! action does (each family cites its spec section).

use crate::clock::advance_outcomes;
use crate::*;

macro_rules! fail {
    ($e:expr) => {
        return Response::err($e)
    };
}

mod aliases;
pub(crate) mod crypto;
mod deletion;
mod import;
mod keys;
mod policy;
pub(crate) mod rotation;

use rotation::rotate;

/// How strict [`step_with`] is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Config {
    /// Oracle mode: also allow DisabledException for cryptography on a key
    /// pending deletion, and deletion at any instant of
    /// `[DeletionDate, DeletionDate + 24 h]` (spec §6).
    pub lenient: bool,
}

/// The reference's behaviour: [`step_with`] with the strict [`Config`].
///
/// Returns the allowed outcomes, the reference's choice first (in strict mode
/// exactly one). Returns an empty vector when the action is *not applicable*
/// in `state`: a key index ≥ `keys.len()`, a ciphertext index ≥
/// `ciphertexts.len()`, an alias slot ≥ `aliases.len()`, `TokenRef::Latest`
/// for a key without a token, `TokenRef::Superseded` with fewer than two
/// tokens issued, `TokenRef::OtherKey` when no other key has a token, or an
/// `Advance(0)`.
pub fn step(rules: &Rules, state: &State, action: &Action) -> Vec<(Response, State)> {
    step_with(rules, &Config::default(), state, action)
}

/// [`step`] with an explicit strictness.
pub fn step_with(
    rules: &Rules,
    config: &Config,
    state: &State,
    action: &Action,
) -> Vec<(Response, State)> {
    if !applicable(state, action) {
        return Vec::new();
    }
    if let Action::Advance(d) = *action {
        return advance_outcomes(rules, config, state, state.now + d);
    }
    let mut next = state.clone();
    let resp = apply(rules, &mut next, action);
    let mut out = vec![(resp, next)];
    if config.lenient
        && resp.outcome == Err(Exception::KMSInvalidStateException)
        && resp.alarm
        && action.is_crypto()
    {
        // AWS also answers DisabledException for cryptography on a key pending deletion.
        let mut alt = out[0].clone();
        alt.0.outcome = Err(Exception::DisabledException);
        out.push(alt);
    }
    out
}

/// Whether `step` gives an answer for `action` in `state` (see [`step`]).
pub fn applicable(state: &State, action: &Action) -> bool {
    let nk = state.keys.len();
    let key_ok = |k: u8| (k as usize) < nk;
    let ref_ok = |r: KeyRef| match r {
        KeyRef::Key(k) => key_ok(k),
        KeyRef::Alias(a) => (a as usize) < state.aliases.len(),
    };
    let ct_ok = |c: u8| (c as usize) < state.ciphertexts.len();
    match *action {
        Action::CreateKey { .. } | Action::UseManagedAlias => true,
        Action::DescribeKey { key }
        | Action::Encrypt { key, .. }
        | Action::GenerateDataKey { key } => ref_ok(key),
        Action::Decrypt { ct, key, .. } => ct_ok(ct) && key.is_none_or(ref_ok),
        Action::DecryptTampered { ct } => ct_ok(ct),
        Action::ReEncrypt { ct, dest } => ct_ok(ct) && ref_ok(dest),
        Action::ImportKeyMaterial { key, token, .. } => {
            key_ok(key) && {
                let k = &state.keys[key as usize];
                match token {
                    TokenRef::Latest => k.token.is_some(),
                    TokenRef::Superseded => k.tokens_issued >= 2,
                    TokenRef::OtherKey => other_key_token(state, key).is_some(),
                    TokenRef::Forged => true,
                }
            }
        }
        Action::CreateAlias { alias, key } => {
            key_ok(key)
                && match alias {
                    AliasName::Slot(a) => (a as usize) < state.aliases.len(),
                    _ => true,
                }
        }
        Action::DeleteImportedKeyMaterial { key, material } => {
            key_ok(key)
                && match material {
                    Some(MaterialRef::Version(v)) => {
                        (v as usize) < state.keys[key as usize].materials.len()
                    }
                    Some(MaterialRef::Pending) => state.keys[key as usize].pending.is_some(),
                    Some(MaterialRef::Unknown) | None => true,
                }
        }
        Action::UpdateAlias { alias, key } => key_ok(key) && (alias as usize) < state.aliases.len(),
        Action::DeleteAlias { alias } => (alias as usize) < state.aliases.len(),
        Action::Advance(d) => d > 0,
        _ => action.direct_key().is_some_and(key_ok),
    }
}

fn other_key_token(state: &State, key: u8) -> Option<usize> {
    state
        .keys
        .iter()
        .enumerate()
        .position(|(i, k)| i != key as usize && k.token.is_some())
}

/// The key an operation names through a [`KeyRef`], or NotFoundException.
pub(crate) fn resolve(state: &State, r: KeyRef) -> Result<u8, Exception> {
    let k = match r {
        KeyRef::Key(k) => k,
        KeyRef::Alias(a) => state.aliases[a as usize].ok_or(Exception::NotFoundException)?,
    };
    if state.keys[k as usize].state == KeyState::Deleted {
        Err(Exception::NotFoundException)
    } else {
        Ok(k)
    }
}

/// The state error of spec §3 for cryptography and most other operations.
/// Sets `alarm` when the refusal names a key pending deletion.
pub(crate) fn state_error(key: &Key, disabled_is_error: bool) -> Option<(Exception, bool)> {
    match key.state {
        KeyState::Enabled => None,
        KeyState::Disabled if disabled_is_error => Some((Exception::DisabledException, false)),
        KeyState::Disabled => None,
        KeyState::PendingDeletion => Some((Exception::KMSInvalidStateException, true)),
        KeyState::PendingImport => Some((Exception::KMSInvalidStateException, false)),
        KeyState::Deleted => Some((Exception::NotFoundException, false)),
    }
}

/// Refuse because of the key's state; record the pending-deletion alarm.
pub(crate) fn refuse(_state: &mut State, _k: u8, e: Exception, alarm: bool) -> Response {
    Response {
        outcome: Err(e),
        alarm,
    }
}

/// Apply a non-time action deterministically (the reference's choice).
fn apply(rules: &Rules, s: &mut State, action: &Action) -> Response {
    match *action {
        Action::CreateKey { origin } => keys::create_key(s, origin),
        Action::UseManagedAlias => keys::use_managed_alias(rules, s),
        Action::DescribeKey { key } => keys::describe_key(s, key),
        Action::EnableKey { key } => keys::enable_key(s, key),
        Action::DisableKey { key } => keys::disable_key(s, key),
        Action::Encrypt { key, ctx } => crypto::encrypt(s, key, ctx),
        Action::GenerateDataKey { key } => crypto::encrypt(s, key, Ctx::A),
        Action::Decrypt { ct, ctx, key } => crypto::decrypt_call(s, ct, ctx, key),
        Action::DecryptTampered { ct } => crypto::decrypt_tampered(s, ct),
        Action::ReEncrypt { ct, dest } => crypto::re_encrypt(s, ct, dest),
        Action::EnableKeyRotation { key, period_days } => {
            rotation::enable_key_rotation(rules, s, key, period_days)
        }
        Action::DisableKeyRotation { key } => rotation::disable_key_rotation(s, key),
        Action::GetKeyRotationStatus { key } => rotation::get_key_rotation_status(s, key),
        Action::RotateKeyOnDemand { key } => rotation::rotate_key_on_demand(rules, s, key),
        Action::ScheduleKeyDeletion { key, window_days } => {
            deletion::schedule_key_deletion(s, key, window_days)
        }
        Action::CancelKeyDeletion { key } => deletion::cancel_key_deletion(s, key),
        Action::GetParametersForImport { key } => import::get_parameters_for_import(s, key),
        Action::ImportKeyMaterial {
            key,
            token,
            material,
            import_type,
            expires,
        } => import::import(rules, s, key, token, material, import_type, expires),
        Action::DeleteImportedKeyMaterial { key, material } => {
            import::delete_material(rules, s, key, material)
        }
        Action::CreateAlias { alias, key } => aliases::create_alias(s, alias, key),
        Action::UpdateAlias { alias, key } => aliases::update_alias(s, alias, key),
        Action::DeleteAlias { alias } => aliases::delete_alias(s, alias),
        Action::GetKeyPolicy { key } | Action::ListKeyPolicies { key } => {
            policy::read_key_policy(s, key, action)
        }
        Action::PutKeyPolicy {
            key,
            policy,
            bypass,
        } => policy::put_key_policy(s, key, policy, bypass),
        Action::Advance(_) => unreachable!("handled by advance_outcomes"),
    }
}

// Here rather than in action.rs: step runs it, and scripts/mutants-model
// mutates what step runs (model/src/step/).
impl Action {
    /// Whether this is a cryptographic operation (Encrypt, GenerateDataKey,
    /// Decrypt, ReEncrypt): spec §3's DisabledException column, and the
    /// operations whose refusals an eventually consistent service may
    /// answer late.
    pub fn is_crypto(&self) -> bool {
        matches!(
            self,
            Action::Encrypt { .. }
                | Action::GenerateDataKey { .. }
                | Action::Decrypt { .. }
                | Action::DecryptTampered { .. }
                | Action::ReEncrypt { .. }
        )
    }
}
