//! The transitions of spec §2's table: what each step did to a key's state
//! (coverage and the diagram).

use super::*;

/// What made a key change (or keep) its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    /// CreateKey with Origin AWS_KMS (the key starts Enabled).
    CreateKeyAwsKms,
    /// CreateKey with Origin EXTERNAL (the key starts PendingImport).
    CreateKeyExternal,
    /// The first use of `alias/aws/<service>`: the AWS managed key is created.
    UseManagedAlias,
    /// ImportKeyMaterial succeeded.
    ImportKeyMaterial,
    /// EnableKey succeeded.
    EnableKey,
    /// DisableKey succeeded.
    DisableKey,
    /// ScheduleKeyDeletion succeeded.
    ScheduleKeyDeletion,
    /// CancelKeyDeletion succeeded.
    CancelKeyDeletion,
    /// DeleteImportedKeyMaterial succeeded.
    DeleteImportedKeyMaterial,
    /// RotateKeyOnDemand succeeded.
    RotateKeyOnDemand,
    /// Clock: DeletionDate reached.
    DeletionDate,
    /// Clock: a material's ValidTo reached.
    ValidTo,
    /// Clock: NextRotationDate reached.
    AutomaticRotation,
}

impl Cause {
    /// The label in diagrams.
    pub fn label(&self) -> &'static str {
        match self {
            Cause::CreateKeyAwsKms => "CreateKey (AWS_KMS)",
            Cause::CreateKeyExternal => "CreateKey (EXTERNAL)",
            Cause::UseManagedAlias => "first use of alias/aws/*",
            Cause::ImportKeyMaterial => "ImportKeyMaterial",
            Cause::EnableKey => "EnableKey",
            Cause::DisableKey => "DisableKey",
            Cause::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Cause::CancelKeyDeletion => "CancelKeyDeletion",
            Cause::DeleteImportedKeyMaterial => "DeleteImportedKeyMaterial",
            Cause::RotateKeyOnDemand => "RotateKeyOnDemand",
            Cause::DeletionDate => "(clock) DeletionDate",
            Cause::ValidTo => "(clock) ValidTo",
            Cause::AutomaticRotation => "(clock) NextRotationDate",
        }
    }
    /// A clock event (not an operation).
    pub fn is_clock(&self) -> bool {
        matches!(
            self,
            Cause::DeletionDate | Cause::ValidTo | Cause::AutomaticRotation
        )
    }
}

/// One key's move: `from` is `None` for creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Transition {
    /// The key's state before the step; `None` when the step created the key.
    pub from: Option<KeyState>,
    /// The operation or clock event that moved (or kept) it.
    pub cause: Cause,
    /// The key's state after the step.
    pub to: KeyState,
}

impl Transition {
    /// `Enabled --DisableKey--> Disabled`.
    pub fn label(&self) -> String {
        format!(
            "{} --{}--> {}",
            self.from.map_or("(none)", |s| s.name()),
            self.cause.label(),
            self.to.name()
        )
    }
}

const fn tr(from: Option<KeyState>, cause: Cause, to: KeyState) -> Transition {
    Transition { from, cause, to }
}

/// Every row of spec §2's table (expanded per source state).
pub const REQUIRED_TRANSITIONS: &[Transition] = &[
    tr(None, Cause::CreateKeyAwsKms, Enabled),
    tr(None, Cause::CreateKeyExternal, PI),
    tr(None, Cause::UseManagedAlias, Enabled),
    tr(Some(PI), Cause::ImportKeyMaterial, Enabled),
    tr(Some(Enabled), Cause::DisableKey, Disabled),
    tr(Some(Disabled), Cause::DisableKey, Disabled),
    tr(Some(Enabled), Cause::EnableKey, Enabled),
    tr(Some(Disabled), Cause::EnableKey, Enabled),
    tr(Some(Enabled), Cause::ScheduleKeyDeletion, PD),
    tr(Some(Disabled), Cause::ScheduleKeyDeletion, PD),
    tr(Some(PI), Cause::ScheduleKeyDeletion, PD),
    tr(Some(PD), Cause::CancelKeyDeletion, Disabled),
    tr(Some(PD), Cause::CancelKeyDeletion, PI),
    tr(Some(PD), Cause::DeletionDate, Deleted),
    tr(Some(Enabled), Cause::DeleteImportedKeyMaterial, PI),
    tr(Some(Disabled), Cause::DeleteImportedKeyMaterial, PI),
    tr(Some(Enabled), Cause::ValidTo, PI),
    tr(Some(Disabled), Cause::ValidTo, PI),
    tr(Some(PD), Cause::DeleteImportedKeyMaterial, PD),
    tr(Some(PD), Cause::ValidTo, PD),
    tr(Some(PI), Cause::DeleteImportedKeyMaterial, PI),
    // Deleting PENDING_ROTATION material (`current`) changes no state.
    tr(Some(Enabled), Cause::DeleteImportedKeyMaterial, Enabled),
    tr(Some(Disabled), Cause::DeleteImportedKeyMaterial, Disabled),
    tr(Some(Enabled), Cause::AutomaticRotation, Enabled),
    tr(Some(Enabled), Cause::RotateKeyOnDemand, Enabled),
];

/// Whether a required transition can happen in this configuration.
pub fn transition_applies(t: &Transition, m: &LifecycleModel) -> bool {
    match t.cause {
        Cause::UseManagedAlias => m.managed,
        Cause::RotateKeyOnDemand => m.rules.on_demand_rotation,
        Cause::DeleteImportedKeyMaterial if t.from == Some(t.to) && t.to != PI && t.to != PD => {
            m.rules.new_key_material_import && m.max_external > 0
        }
        _ => true,
    }
}

/// The key transitions one step made (operations that succeeded, clock events).
pub fn transitions(before: &State, a: &Action, r: &Response, after: &State) -> Vec<Transition> {
    let mut out = Vec::new();
    for i in before.keys.len()..after.keys.len() {
        let k = &after.keys[i];
        let cause = match (a, k.origin) {
            (Action::UseManagedAlias, _) => Cause::UseManagedAlias,
            (_, Origin::AwsKms) => Cause::CreateKeyAwsKms,
            (_, Origin::External) => Cause::CreateKeyExternal,
        };
        out.push(tr(None, cause, k.state));
    }
    if let Action::Advance(_) = a {
        for (i, bk) in before.keys.iter().enumerate() {
            let ak = &after.keys[i];
            if bk.state == Deleted {
                continue;
            }
            if ak.state == Deleted {
                out.push(tr(Some(bk.state), Cause::DeletionDate, Deleted));
                continue;
            }
            let present = |k: &crate::Key| k.materials.iter().filter(|m| m.present).count();
            if present(ak) < present(bk) {
                out.push(tr(Some(bk.state), Cause::ValidTo, ak.state));
            }
            if ak.rotations.len() > bk.rotations.len() {
                out.push(tr(Some(bk.state), Cause::AutomaticRotation, ak.state));
            }
        }
        return out;
    }
    if r.outcome.is_err() {
        return out;
    }
    let cause = match a {
        Action::ImportKeyMaterial { .. } => Cause::ImportKeyMaterial,
        Action::EnableKey { .. } => Cause::EnableKey,
        Action::DisableKey { .. } => Cause::DisableKey,
        Action::ScheduleKeyDeletion { .. } => Cause::ScheduleKeyDeletion,
        Action::CancelKeyDeletion { .. } => Cause::CancelKeyDeletion,
        Action::DeleteImportedKeyMaterial { .. } => Cause::DeleteImportedKeyMaterial,
        Action::RotateKeyOnDemand { .. } => Cause::RotateKeyOnDemand,
        _ => return out,
    };
    if let Some(k) = a.direct_key() {
        let k = k as usize;
        out.push(tr(Some(before.keys[k].state), cause, after.keys[k].state));
    }
    out
}
