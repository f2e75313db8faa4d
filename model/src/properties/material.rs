//! Transition rules of imported key material (spec §5): what deletion,
//! expiry and reimport may do to it.

use super::*;

/// §5: material disappears only at its ValidTo or by DeleteImportedKeyMaterial.
pub(super) fn material_lost_only_at_valid_to_or_by_deletion(
    _: &Rules,
    b: &State,
    a: &Action,
    _: &Response,
    af: &State,
) -> bool {
    b.keys
        .iter()
        .zip(&af.keys)
        .enumerate()
        .all(|(i, (bk, ak))| {
            ak.state == Deleted
                || bk.materials.iter().zip(&ak.materials).all(|(x, y)| {
                    !x.present
                        || y.present
                        || match *a {
                            Action::Advance(_) => {
                                x.valid_to.is_some_and(|v| b.now < v && v <= af.now)
                            }
                            Action::DeleteImportedKeyMaterial { key, .. } => key as usize == i,
                            _ => false,
                        }
                })
        })
}

/// §5: DeleteImportedKeyMaterial deletes exactly the material it names (the
/// current one when no `KeyMaterialId` is given) and nothing else; deleting a
/// CURRENT or NON_CURRENT material makes an Enabled or Disabled key
/// PendingImport, deleting PENDING_ROTATION material changes no state.
/// Stated from the spec's sentences, not from `step`'s code.
pub(super) fn delete_imported_material_deletes_exactly_what_it_names(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    let Action::DeleteImportedKeyMaterial { key, material } = *a else {
        return true;
    };
    let i = key as usize;
    let (Some(bk), Some(ak)) = (b.keys.get(i), af.keys.get(i)) else {
        return true;
    };
    if r.outcome.is_err() {
        return bk == ak;
    }
    // Which material the call names, by the spec's words.
    let named: Option<Option<usize>> = match material {
        None => Some(bk.materials.len().checked_sub(1)),
        Some(crate::MaterialRef::Version(v)) => Some(Some(v as usize)),
        Some(crate::MaterialRef::Pending) => None,
        Some(crate::MaterialRef::Unknown) => return false, // must be refused
    };
    let others_unchanged = bk.materials.len() == ak.materials.len()
        && bk
            .materials
            .iter()
            .zip(&ak.materials)
            .enumerate()
            .all(|(j, (x, y))| named == Some(Some(j)) || x == y);
    match named {
        // PENDING_ROTATION: gone, nothing else changes.
        None => ak.pending.is_none() && others_unchanged && ak.state == bk.state,
        Some(target) => {
            let gone = target.is_none_or(|j| !ak.materials[j].present);
            let state_ok = match bk.state {
                Enabled | Disabled => ak.state == PI,
                s => ak.state == s,
            };
            gone && others_unchanged && ak.pending == bk.pending && state_ok
        }
    }
}

/// §5 crypto-shredding: a material that is not present becomes present again
/// only by an ImportKeyMaterial of that same material into that key.
pub(super) fn deleted_material_returns_only_by_reimport_of_the_same(
    _: &Rules,
    b: &State,
    a: &Action,
    r: &Response,
    af: &State,
) -> bool {
    b.keys
        .iter()
        .zip(&af.keys)
        .enumerate()
        .all(|(i, (bk, ak))| {
            bk.materials.iter().zip(&ak.materials).all(|(x, y)| {
                x.present
                    || !y.present
                    || (r.outcome.is_ok()
                        && matches!(*a, Action::ImportKeyMaterial { key, material, .. }
                        if key as usize == i && material == x.id))
            })
        })
}
