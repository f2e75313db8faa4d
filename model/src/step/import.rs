//! GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial
//! (spec §5).

use super::*;

/// GetParametersForImport: a new token valid for 24 h; only the latest is
/// kept (spec §5).
pub(super) fn get_parameters_for_import(s: &mut State, key: u8) -> Response {
    let now = s.now;
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    let kk = &s.keys[key as usize];
    if kk.origin == Origin::AwsKms {
        fail!(Exception::UnsupportedOperationException)
    }
    if kk.state == KeyState::PendingDeletion {
        return refuse(s, key, Exception::KMSInvalidStateException, true);
    }
    let k = &mut s.keys[key as usize];
    let valid_to = now + IMPORT_TOKEN_LIFETIME;
    k.token = Some(Token::Valid { valid_to });
    k.tokens_issued = (k.tokens_issued + 1).min(2);
    Response::ok(OkSummary::ImportParameters { key, valid_to })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn import(
    rules: &Rules,
    s: &mut State,
    key: u8,
    token: TokenRef,
    material: u8,
    import_type: Option<ImportType>,
    expires: ValidToChoice,
) -> Response {
    let now = s.now;
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    // Validation of the arguments: ImportType exists only under `current`.
    if import_type.is_some() && !rules.new_key_material_import {
        fail!(Exception::ValidationException)
    }
    let kk = &s.keys[key as usize];
    if kk.origin == Origin::AwsKms {
        fail!(Exception::UnsupportedOperationException)
    }
    if kk.state == KeyState::PendingDeletion {
        return refuse(s, key, Exception::KMSInvalidStateException, true);
    }
    // Token checks, in order (decisions.md).
    match token {
        TokenRef::Forged | TokenRef::OtherKey | TokenRef::Superseded => {
            fail!(Exception::InvalidImportTokenException)
        }
        TokenRef::Latest => match kk.token {
            Some(Token::Valid { valid_to }) if now < valid_to => {}
            _ => fail!(Exception::ExpiredImportTokenException),
        },
    }
    // Material.
    let associated = kk.materials.iter().position(|m| m.id == material);
    enum Target {
        First,
        Existing(usize),
        Pending,
    }
    let target = if kk.materials.is_empty() {
        match import_type {
            Some(ImportType::ExistingKeyMaterial) => {
                fail!(Exception::IncorrectKeyMaterialException)
            }
            _ => Target::First,
        }
    } else if !rules.new_key_material_import {
        match associated {
            Some(i) => Target::Existing(i),
            None => fail!(Exception::IncorrectKeyMaterialException),
        }
    } else {
        match import_type.unwrap_or(ImportType::ExistingKeyMaterial) {
            ImportType::ExistingKeyMaterial => match associated {
                Some(i) => Target::Existing(i),
                None => fail!(Exception::IncorrectKeyMaterialException),
            },
            ImportType::NewKeyMaterial => {
                // decisions.md: a PendingImport key that had material waits for
                // its own material; then "another material pending" is checked
                // before "material already known".
                if kk.state == KeyState::PendingImport {
                    fail!(Exception::IncorrectKeyMaterialException)
                }
                if kk.pending.is_some() {
                    fail!(Exception::KMSInvalidStateException)
                }
                if associated.is_some() {
                    fail!(Exception::IncorrectKeyMaterialException)
                }
                Target::Pending
            }
        }
    };
    // ExpirationModel / ValidTo.
    let valid_to = match expires {
        ValidToChoice::DoesNotExpire => None,
        ValidToChoice::In(d) if d > 0 && d <= MAX_VALID_TO => Some(now + d),
        ValidToChoice::In(_)
        | ValidToChoice::TooFar
        | ValidToChoice::Past
        | ValidToChoice::MissingValidTo => fail!(Exception::ValidationException),
    };
    let m = Material {
        id: material,
        present: true,
        valid_to,
    };
    let k = &mut s.keys[key as usize];
    let version = match target {
        Target::First => {
            k.materials.push(m);
            k.versions = 1;
            Some(0)
        }
        Target::Existing(i) => {
            k.materials[i] = m;
            Some(i as u8)
        }
        Target::Pending => {
            k.pending = Some(m);
            None
        }
    };
    if k.state == KeyState::PendingImport && k.all_material_present() {
        k.state = KeyState::Enabled;
    }
    Response::ok(OkSummary::Imported {
        key,
        version,
        state: k.state,
    })
}

/// DeleteImportedKeyMaterial (spec §2, §3, §5; decisions.md): deletes exactly
/// the named material (default: the current one) and nothing else. Deleting a
/// permanently associated material (CURRENT or NON_CURRENT) puts an Enabled or
/// Disabled key in PendingImport; PendingDeletion and PendingImport keys keep
/// their state; deleting PENDING_ROTATION material changes no state.
pub(super) fn delete_material(
    rules: &Rules,
    s: &mut State,
    key: u8,
    material: Option<MaterialRef>,
) -> Response {
    if let Err(e) = resolve(s, KeyRef::Key(key)) {
        fail!(e)
    }
    // Argument validation: KeyMaterialId exists only under `current`
    // (after the key, before origin, as ImportType).
    if material.is_some() && !rules.key_material_ids {
        fail!(Exception::ValidationException)
    }
    let k = &mut s.keys[key as usize];
    if k.origin == Origin::AwsKms {
        fail!(Exception::UnsupportedOperationException)
    }
    let permanent = match material {
        None => k.materials.len().checked_sub(1),
        Some(MaterialRef::Version(v)) if (v as usize) < k.materials.len() => Some(v as usize),
        Some(MaterialRef::Pending) if k.pending.is_some() => {
            k.pending = None;
            None
        }
        Some(_) => fail!(Exception::NotFoundException),
    };
    if let Some(i) = permanent {
        let m = &mut k.materials[i];
        m.present = false;
        m.valid_to = None;
        if matches!(k.state, KeyState::Enabled | KeyState::Disabled) {
            k.state = KeyState::PendingImport;
        }
    }
    Response::ok(OkSummary::Done {
        key,
        state: k.state,
    })
}
