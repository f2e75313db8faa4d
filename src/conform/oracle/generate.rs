//! A small deterministic generator and the generated actions: [`Rng`],
//! the live keys, ciphertexts and alias slots ([`Live`]), [`gen_action`].

use kms_lifecycle_model as model;
use model::{
    Action, AliasName, Ctx, DAY, ImportType, KeyRef, MaterialRef, Origin, State, TokenRef,
    ValidToChoice,
};

pub(in crate::conform) struct Rng(u64);

impl Rng {
    pub(in crate::conform) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn pick<T: Copy>(&mut self, weighted: &[(u32, T)]) -> T {
        let total: u64 = weighted.iter().map(|(w, _)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (w, t) in weighted {
            if r < u64::from(*w) {
                return *t;
            }
            r -= u64::from(*w);
        }
        weighted[weighted.len() - 1].1
    }
}

/// The keys, ciphertexts and alias slots that generation may use: all but
/// those retired after a divergence no model state explains (`anchor.rs`).
pub(in crate::conform) struct Live {
    pub(in crate::conform) keys: Vec<u8>,
    pub(in crate::conform) cts: Vec<u8>,
    pub(in crate::conform) aliases: Vec<u8>,
}

/// One generated action for `st` (the differential test's distribution) on
/// the live keys, ciphertexts and alias slots.
pub(in crate::conform) fn gen_action(
    rng: &mut Rng,
    st: &State,
    live: &Live,
    clock: bool,
) -> Action {
    let nk = live.keys.len() as u64;
    let nct = live.cts.len() as u64;
    let na = live.aliases.len() as u64;
    #[derive(Clone, Copy)]
    enum K {
        Create,
        Time,
        Encrypt,
        Gdk,
        Describe,
        Enable,
        Disable,
        EnableRot,
        DisableRot,
        RotStatus,
        OnDemand,
        Schedule,
        Cancel,
        Params,
        Import,
        DeleteMat,
        CreateAlias,
        UpdateAlias,
        DeleteAlias,
        Decrypt,
        Tampered,
        ReEncrypt,
        GetPolicy,
        ListPolicies,
        PutPolicy,
    }
    let mut choices: Vec<(u32, K)> = vec![(if nk < 4 { 6 } else { 1 }, K::Create)];
    if clock {
        choices.push((4, K::Time));
    }
    if nk > 0 {
        choices.extend([
            (6, K::Encrypt),
            (1, K::Gdk),
            (1, K::Describe),
            (2, K::Enable),
            (2, K::Disable),
            (2, K::EnableRot),
            (1, K::DisableRot),
            (1, K::RotStatus),
            (2, K::OnDemand),
            (2, K::Schedule),
            (2, K::Cancel),
            (2, K::Params),
            (4, K::Import),
            (2, K::DeleteMat),
            (2, K::CreateAlias),
            (1, K::GetPolicy),
            (1, K::ListPolicies),
            (2, K::PutPolicy),
        ]);
        if na > 0 {
            choices.extend([(2, K::UpdateAlias), (1, K::DeleteAlias)]);
        }
    }
    if nct > 0 {
        choices.extend([(5, K::Decrypt), (1, K::Tampered)]);
        if nk > 0 {
            choices.push((2, K::ReEncrypt));
        }
    }
    let key = |r: &mut Rng| live.keys[r.below(nk) as usize];
    let slot = |r: &mut Rng| live.aliases[r.below(na) as usize];
    let ct = |r: &mut Rng| live.cts[r.below(nct) as usize];
    let kref = |r: &mut Rng| {
        if r.below(5) < 4 || na == 0 {
            KeyRef::Key(key(r))
        } else {
            KeyRef::Alias(slot(r))
        }
    };
    let ctx = |r: &mut Rng| r.pick(&[(3, Ctx::A), (1, Ctx::B)]);
    match rng.pick(&choices) {
        K::Create => rng.pick(&[
            (
                3,
                Action::CreateKey {
                    origin: Origin::AwsKms,
                },
            ),
            (
                2,
                Action::CreateKey {
                    origin: Origin::External,
                },
            ),
            (1, Action::UseManagedAlias),
        ]),
        K::Time => {
            let steps = model::deadline_steps(st);
            Action::Advance(steps[rng.below(steps.len() as u64) as usize])
        }
        K::Encrypt => Action::Encrypt {
            key: kref(rng),
            ctx: ctx(rng),
        },
        K::Gdk => Action::GenerateDataKey { key: kref(rng) },
        K::Describe => Action::DescribeKey { key: kref(rng) },
        K::Enable => Action::EnableKey { key: key(rng) },
        K::Disable => Action::DisableKey { key: key(rng) },
        K::EnableRot => Action::EnableKeyRotation {
            key: key(rng),
            period_days: rng.pick(&[
                (1, None),
                (1, Some(90)),
                (1, Some(365)),
                (1, Some(89)),
                (1, Some(2561)),
            ]),
        },
        K::DisableRot => Action::DisableKeyRotation { key: key(rng) },
        K::RotStatus => Action::GetKeyRotationStatus { key: key(rng) },
        K::OnDemand => Action::RotateKeyOnDemand { key: key(rng) },
        K::Schedule => Action::ScheduleKeyDeletion {
            key: key(rng),
            window_days: rng.pick(&[
                (1, Some(7)),
                (1, Some(30)),
                (1, None),
                (1, Some(6)),
                (1, Some(31)),
            ]),
        },
        K::Cancel => Action::CancelKeyDeletion { key: key(rng) },
        K::Params => Action::GetParametersForImport { key: key(rng) },
        K::Import => Action::ImportKeyMaterial {
            key: key(rng),
            token: rng.pick(&[
                (6, TokenRef::Latest),
                (1, TokenRef::Superseded),
                (1, TokenRef::OtherKey),
                (1, TokenRef::Forged),
            ]),
            material: rng.pick(&[(4, 0u8), (1, 1u8)]),
            import_type: rng.pick(&[
                (3, None),
                (1, Some(ImportType::NewKeyMaterial)),
                (1, Some(ImportType::ExistingKeyMaterial)),
            ]),
            expires: rng.pick(&[
                (3, ValidToChoice::DoesNotExpire),
                (if clock { 3 } else { 1 }, ValidToChoice::In(2 * DAY)),
                (1, ValidToChoice::TooFar),
                (1, ValidToChoice::Past),
                (1, ValidToChoice::MissingValidTo),
            ]),
        },
        K::DeleteMat => Action::DeleteImportedKeyMaterial {
            key: key(rng),
            // Under `classic` a KeyMaterialId is ValidationException.
            material: rng.pick(&[
                (4, None),
                (2, Some(MaterialRef::Version(0))),
                (1, Some(MaterialRef::Version(1))),
                (2, Some(MaterialRef::Pending)),
                (1, Some(MaterialRef::Unknown)),
            ]),
        },
        K::CreateAlias => {
            let mut names: Vec<(u32, AliasName)> = live
                .aliases
                .iter()
                .map(|&a| (6, AliasName::Slot(a)))
                .collect();
            names.extend([(1, AliasName::Reserved), (1, AliasName::Malformed)]);
            Action::CreateAlias {
                alias: rng.pick(&names),
                key: key(rng),
            }
        }
        K::UpdateAlias => Action::UpdateAlias {
            alias: slot(rng),
            key: key(rng),
        },
        K::DeleteAlias => Action::DeleteAlias { alias: slot(rng) },
        K::GetPolicy => Action::GetKeyPolicy { key: key(rng) },
        K::ListPolicies => Action::ListKeyPolicies { key: key(rng) },
        K::PutPolicy => Action::PutKeyPolicy {
            key: key(rng),
            policy: rng.pick(&[
                (2, model::Policy::AllowAll),
                (1, model::Policy::Default),
                (2, model::Policy::DenyPut),
                (2, model::Policy::NoAdmin),
                (1, model::Policy::Malformed),
            ]),
            bypass: rng.pick(&[(2, false), (1, true)]),
        },
        K::Decrypt => Action::Decrypt {
            ct: ct(rng),
            ctx: rng.pick(&[(4, Ctx::A), (1, Ctx::B)]),
            key: if nk > 0 && rng.below(5) == 0 {
                Some(KeyRef::Key(key(rng)))
            } else {
                None
            },
        },
        K::Tampered => Action::DecryptTampered { ct: ct(rng) },
        K::ReEncrypt => Action::ReEncrypt {
            ct: ct(rng),
            dest: KeyRef::Key(key(rng)),
        },
    }
}
