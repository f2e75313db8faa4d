//! CreateAlias, UpdateAlias and DeleteAlias (spec §9).

use super::*;

/// CreateAlias: a well-formed, unreserved, unused name for a customer key
/// not pending deletion (spec §9).
pub(super) fn create_alias(s: &mut State, alias: AliasName, key: u8) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let slot = match alias {
        AliasName::Malformed => fail!(Exception::InvalidAliasNameException),
        AliasName::Reserved => fail!(Exception::NotAuthorizedException),
        AliasName::Slot(a) => a,
    };
    let kk = &s.keys[key as usize];
    if kk.is_managed() {
        fail!(Exception::UnsupportedOperationException)
    }
    if kk.state == KeyState::PendingDeletion {
        return refuse(s, key, Exception::KMSInvalidStateException, true);
    }
    if s.aliases[slot as usize].is_some() {
        fail!(Exception::AlreadyExistsException)
    }
    s.aliases[slot as usize] = Some(key);
    Response::ok(OkSummary::AliasDone)
}

/// UpdateAlias: an existing alias to another customer key (spec §9).
pub(super) fn update_alias(s: &mut State, alias: u8, key: u8) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    if s.aliases[alias as usize].is_none() {
        fail!(Exception::NotFoundException)
    }
    let kk = &s.keys[key as usize];
    if kk.is_managed() {
        fail!(Exception::UnsupportedOperationException)
    }
    if kk.state == KeyState::PendingDeletion {
        return refuse(s, key, Exception::KMSInvalidStateException, true);
    }
    s.aliases[alias as usize] = Some(key);
    Response::ok(OkSummary::AliasDone)
}

/// DeleteAlias (spec §9).
pub(super) fn delete_alias(s: &mut State, alias: u8) -> Response {
    if s.aliases[alias as usize].take().is_none() {
        fail!(Exception::NotFoundException)
    }
    Response::ok(OkSummary::AliasDone)
}
