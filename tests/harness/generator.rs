//! The generator of operation sequences shared by the differential test and
//! the planted-bug tests: a proptest-state-machine reference machine whose
//! state is the model's, biased toward deadlines (one second before, on and
//! after), keys in every state, re-pointed aliases and bad arguments.

use kms_lifecycle_model as model;
use model::{
    Action, AliasName, Ctx, DAY, ImportType, KeyRef, KeyState, MaterialRef, Origin, TokenRef,
    ValidToChoice,
};
use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;

/// The reference state: rules and the model's abstract state.
#[derive(Clone, Debug)]
pub struct RefState {
    pub rules: model::Rules,
    pub state: model::State,
    /// Deadlines of earlier states (at most [`STALE`], newest last): a
    /// schedule that was changed or switched off leaves its old instant
    /// behind, and nothing may happen then (a stale rotation event).
    pub stale: Vec<u64>,
    /// What the generator aims at.
    pub mode: Mode,
}

/// Generator modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every operation, weighted toward deadlines and bad arguments.
    Broad,
    /// Import histories on purpose: EXTERNAL keys, several materials (NEW
    /// imports and on-demand rotations), expiring imports and the clock
    /// moved to their ValidTo, deletions with and without `KeyMaterialId`,
    /// reimports, and cryptography in between (issue 13, "differential
    /// reach").
    ImportHistory,
    /// [`Mode::ImportHistory`] with broad operations mixed in while an
    /// EXTERNAL key has material, so that every §3 cell of EXTERNAL keys is
    /// met (the differential test's coverage gate). Kept apart from the pure
    /// mode: mixing dilutes the long import histories that the planted-bug
    /// hunt for the escaped defect needs (measured: with the mix, 6 × 2,000
    /// sequences no longer found it).
    ImportHistoryMixed,
}

/// How many earlier deadlines the generator remembers.
pub const STALE: usize = 8;

/// Every deadline of `st`: rotation of any live key (Enabled or not),
/// DeletionDate, ValidTo, import token expiry.
fn deadlines(st: &model::State) -> Vec<u64> {
    let mut out = Vec::new();
    for k in &st.keys {
        if k.state == model::KeyState::Deleted {
            continue;
        }
        out.extend(k.rotation.map(|r| r.next));
        out.extend(k.deletion_date);
        out.extend(
            k.materials
                .iter()
                .chain(k.pending.iter())
                .filter_map(|m| m.valid_to),
        );
        if let Some(model::Token::Valid { valid_to }) = k.token {
            out.push(valid_to);
        }
    }
    out
}

/// Alias slots in the differential test.
pub const ALIASES: usize = 2;

pub fn action_strategy(s: &RefState) -> BoxedStrategy<Action> {
    if s.mode != Mode::Broad {
        return import_history_strategy(s);
    }
    broad_strategy(s)
}

/// [`Mode::Broad`]: every operation, every argument class.
fn broad_strategy(s: &RefState) -> BoxedStrategy<Action> {
    let st = &s.state;
    let nk = st.keys.len() as u8;
    let nct = st.ciphertexts.len() as u8;
    let mut choices: Vec<(u32, BoxedStrategy<Action>)> = vec![
        (
            if nk < 4 { 6 } else { 1 },
            prop_oneof![
                3 => Just(Action::CreateKey { origin: Origin::AwsKms }),
                2 => Just(Action::CreateKey { origin: Origin::External }),
                1 => Just(Action::UseManagedAlias),
            ]
            .boxed(),
        ),
        (4, time_strategy(st, &s.stale)),
    ];
    if nk > 0 {
        let key = 0..nk;
        let kref = prop_oneof![
            4 => (0..nk).prop_map(KeyRef::Key),
            1 => (0..ALIASES as u8).prop_map(KeyRef::Alias),
        ];
        let ctx = prop_oneof![3 => Just(Ctx::A), 1 => Just(Ctx::B)];
        choices.extend([
            (
                6,
                (kref.clone(), ctx.clone())
                    .prop_map(|(key, ctx)| Action::Encrypt { key, ctx })
                    .boxed(),
            ),
            (1, kref.clone().prop_map(|key| Action::GenerateDataKey { key }).boxed()),
            (1, kref.clone().prop_map(|key| Action::DescribeKey { key }).boxed()),
            (2, key.clone().prop_map(|key| Action::EnableKey { key }).boxed()),
            (2, key.clone().prop_map(|key| Action::DisableKey { key }).boxed()),
            (
                2,
                (key.clone(), prop_oneof![Just(None), Just(Some(90)), Just(Some(365)), Just(Some(89)), Just(Some(2561))])
                    .prop_map(|(key, period_days)| Action::EnableKeyRotation { key, period_days })
                    .boxed(),
            ),
            (1, key.clone().prop_map(|key| Action::DisableKeyRotation { key }).boxed()),
            (1, key.clone().prop_map(|key| Action::GetKeyRotationStatus { key }).boxed()),
            // Key policies (issue 16): every abstract document, with and
            // without the bypass flag, in every key state.
            (1, key.clone().prop_map(|key| Action::GetKeyPolicy { key }).boxed()),
            (1, key.clone().prop_map(|key| Action::ListKeyPolicies { key }).boxed()),
            (
                2,
                (key.clone(), proptest::sample::select(model::Policy::PUTTABLE.to_vec()), prop_oneof![3 => Just(false), 1 => Just(true)])
                    .prop_map(|(key, policy, bypass)| Action::PutKeyPolicy { key, policy, bypass })
                    .boxed(),
            ),
            (2, key.clone().prop_map(|key| Action::RotateKeyOnDemand { key }).boxed()),
            (
                2,
                (key.clone(), prop_oneof![Just(Some(7)), Just(Some(30)), Just(None), Just(Some(6)), Just(Some(31))])
                    .prop_map(|(key, window_days)| Action::ScheduleKeyDeletion { key, window_days })
                    .boxed(),
            ),
            (2, key.clone().prop_map(|key| Action::CancelKeyDeletion { key }).boxed()),
            (2, key.clone().prop_map(|key| Action::GetParametersForImport { key }).boxed()),
            (
                4,
                (
                    key.clone(),
                    prop_oneof![6 => Just(TokenRef::Latest), 1 => Just(TokenRef::Superseded), 1 => Just(TokenRef::OtherKey), 1 => Just(TokenRef::Forged)],
                    prop_oneof![4 => Just(0u8), 1 => Just(1u8)],
                    prop_oneof![3 => Just(None), 1 => Just(Some(ImportType::NewKeyMaterial)), 1 => Just(Some(ImportType::ExistingKeyMaterial))],
                    prop_oneof![
                        3 => Just(ValidToChoice::DoesNotExpire),
                        3 => Just(ValidToChoice::In(2 * DAY)),
                        1 => Just(ValidToChoice::TooFar),
                        1 => Just(ValidToChoice::Past),
                        1 => Just(ValidToChoice::MissingValidTo),
                    ],
                )
                    .prop_map(|(key, token, material, import_type, expires)| Action::ImportKeyMaterial {
                        key,
                        token,
                        material,
                        import_type,
                        expires,
                    })
                    .boxed(),
            ),
            (
                2,
                (
                    key.clone(),
                    prop_oneof![
                        3 => Just(None),
                        2 => (0..3u8).prop_map(|v| Some(MaterialRef::Version(v))),
                        1 => Just(Some(MaterialRef::Pending)),
                        1 => Just(Some(MaterialRef::Unknown)),
                    ],
                )
                    .prop_map(|(key, material)| Action::DeleteImportedKeyMaterial { key, material })
                    .boxed(),
            ),
            (
                2,
                (
                    prop_oneof![6 => (0..ALIASES as u8).prop_map(AliasName::Slot), 1 => Just(AliasName::Reserved), 1 => Just(AliasName::Malformed)],
                    key.clone(),
                )
                    .prop_map(|(alias, key)| Action::CreateAlias { alias, key })
                    .boxed(),
            ),
            (
                2,
                (0..ALIASES as u8, key.clone())
                    .prop_map(|(alias, key)| Action::UpdateAlias { alias, key })
                    .boxed(),
            ),
            (1, (0..ALIASES as u8).prop_map(|alias| Action::DeleteAlias { alias }).boxed()),
        ]);
    }
    if nct > 0 {
        let ct = 0..nct;
        let keyopt = if nk > 0 {
            prop_oneof![4 => Just(None), 1 => (0..nk).prop_map(|k| Some(KeyRef::Key(k)))].boxed()
        } else {
            Just(None).boxed()
        };
        choices.extend([
            (
                5,
                (
                    ct.clone(),
                    prop_oneof![4 => Just(Ctx::A), 1 => Just(Ctx::B)],
                    keyopt,
                )
                    .prop_map(|(ct, ctx, key)| Action::Decrypt { ct, ctx, key })
                    .boxed(),
            ),
            (
                1,
                ct.clone()
                    .prop_map(|ct| Action::DecryptTampered { ct })
                    .boxed(),
            ),
        ]);
        if nk > 0 {
            choices.push((
                2,
                (ct, (0..nk).prop_map(KeyRef::Key))
                    .prop_map(|(ct, dest)| Action::ReEncrypt { ct, dest })
                    .boxed(),
            ));
        }
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// [`Mode::ImportHistory`]: mostly import operations on EXTERNAL keys (at
/// most 3 materials, so that histories repeat materials), the clock moved to
/// the deadlines, and encryption and decryption to observe the materials.
/// While an EXTERNAL key has material (Enabled or Disabled, a short window
/// between imports, expiries and deletions) about one step in three is a
/// broad one, so that every other operation also meets EXTERNAL keys in
/// those states (the §3 coverage gate of `tests/differential.rs` fails
/// without it).
fn import_history_strategy(s: &RefState) -> BoxedStrategy<Action> {
    let st = &s.state;
    let has_material = st.keys.iter().any(|k| {
        k.origin == Origin::External && matches!(k.state, KeyState::Enabled | KeyState::Disabled)
    });
    let nk = st.keys.len() as u8;
    let nct = st.ciphertexts.len() as u8;
    let mut choices: Vec<(u32, BoxedStrategy<Action>)> = vec![(
        if nk < 2 { 6 } else { 1 },
        prop_oneof![
            4 => Just(Action::CreateKey { origin: Origin::External }),
            1 => Just(Action::CreateKey { origin: Origin::AwsKms }),
        ]
        .boxed(),
    )];
    choices.push((4, time_strategy(st, &s.stale)));
    let mixed = s.mode == Mode::ImportHistoryMixed;
    if mixed {
        choices.push((if has_material { 16 } else { 2 }, broad_strategy(s)));
    }
    if nk > 0 {
        let key = 0..nk;
        choices.extend([
            (3, key.clone().prop_map(|key| Action::GetParametersForImport { key }).boxed()),
            (
                8,
                (
                    key.clone(),
                    prop_oneof![12 => Just(TokenRef::Latest), 1 => Just(TokenRef::Forged)],
                    0..3u8,
                    prop_oneof![2 => Just(None), 2 => Just(Some(ImportType::NewKeyMaterial)), 1 => Just(Some(ImportType::ExistingKeyMaterial))],
                    prop_oneof![
                        3 => Just(ValidToChoice::DoesNotExpire),
                        3 => Just(ValidToChoice::In(2 * DAY)),
                        1 => Just(ValidToChoice::In(DAY)),
                    ],
                )
                    .prop_map(|(key, token, material, import_type, expires)| Action::ImportKeyMaterial {
                        key,
                        token,
                        material,
                        import_type,
                        expires,
                    })
                    .boxed(),
            ),
            (3, key.clone().prop_map(|key| Action::RotateKeyOnDemand { key }).boxed()),
            (
                4,
                (
                    key.clone(),
                    prop_oneof![
                        3 => Just(None),
                        3 => (0..3u8).prop_map(|v| Some(MaterialRef::Version(v))),
                        2 => Just(Some(MaterialRef::Pending)),
                        1 => Just(Some(MaterialRef::Unknown)),
                    ],
                )
                    .prop_map(|(key, material)| Action::DeleteImportedKeyMaterial { key, material })
                    .boxed(),
            ),
            (
                3,
                key.clone()
                    .prop_map(|key| Action::Encrypt { key: KeyRef::Key(key), ctx: Ctx::A })
                    .boxed(),
            ),
            (if mixed && has_material { 4 } else { 1 }, key.clone().prop_map(|key| Action::DisableKey { key }).boxed()),
            (1, key.clone().prop_map(|key| Action::EnableKey { key }).boxed()),
            (
                1,
                key.clone()
                    .prop_map(|key| Action::ScheduleKeyDeletion { key, window_days: Some(7) })
                    .boxed(),
            ),
            (1, key.clone().prop_map(|key| Action::CancelKeyDeletion { key }).boxed()),
        ]);
    }
    if nct > 0 {
        choices.push((
            3,
            (0..nct)
                .prop_map(|ct| Action::Decrypt {
                    ct,
                    ctx: Ctx::A,
                    key: None,
                })
                .boxed(),
        ));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Time steps biased to land one second before, on, and one second after the
/// next deadline (`model::deadline_steps`: rotation, DeletionDate, token
/// expiry, ValidTo), on the NextRotationDate of keys that are not Enabled,
/// and on deadlines of earlier states.
pub fn time_strategy(st: &model::State, stale: &[u64]) -> BoxedStrategy<Action> {
    let mut steps = model::deadline_steps(st);
    // Deadlines of earlier states that are still ahead: on, and one second
    // after; drawn one time in five, so that the current deadlines keep
    // their weight.
    let stale_steps: Vec<u64> = stale
        .iter()
        .filter(|&&d| d > st.now)
        .flat_map(|&d| [d - st.now, d - st.now + 1])
        .collect();
    // The NextRotationDate of a key that is not Enabled: nothing may rotate
    // then, and EnableKey afterwards must catch up.
    for k in &st.keys {
        if k.state != model::KeyState::Enabled
            && k.state != model::KeyState::Deleted
            && let Some(r) = k.rotation
            && r.next > st.now
        {
            steps.push(r.next - st.now);
        }
    }
    let current = proptest::sample::select(steps).prop_map(Action::Advance);
    if stale_steps.is_empty() {
        return current.boxed();
    }
    prop_oneof![
        4 => current,
        1 => proptest::sample::select(stale_steps).prop_map(Action::Advance),
    ]
    .boxed()
}

macro_rules! reference {
    ($refm:ident, $rules:expr) => {
        reference!($refm, $rules, Mode::Broad);
    };
    ($refm:ident, $rules:expr, $mode:expr) => {
        /// The reference machine of one rule set.
        pub struct $refm;
        impl ReferenceStateMachine for $refm {
            type State = RefState;
            type Transition = Action;
            fn init_state() -> BoxedStrategy<RefState> {
                Just(RefState {
                    rules: $rules,
                    state: model::State::initial(ALIASES),
                    stale: Vec::new(),
                    mode: $mode,
                })
                .boxed()
            }
            fn transitions(s: &RefState) -> BoxedStrategy<Action> {
                action_strategy(s)
            }
            fn preconditions(s: &RefState, a: &Action) -> bool {
                model::applicable(&s.state, a)
            }
            fn apply(mut s: RefState, a: &Action) -> RefState {
                for d in deadlines(&s.state) {
                    if !s.stale.contains(&d) {
                        s.stale.push(d);
                    }
                }
                let excess = s.stale.len().saturating_sub(STALE);
                s.stale.drain(..excess);
                let mut out = model::step(&s.rules, &s.state, a);
                s.state = out.swap_remove(0).1;
                s
            }
        }
    };
}

reference!(ClassicRef, model::Rules::classic());
reference!(CurrentRef, model::Rules::current());
reference!(
    ClassicImportRef,
    model::Rules::classic(),
    Mode::ImportHistory
);
reference!(
    CurrentImportRef,
    model::Rules::current(),
    Mode::ImportHistory
);
reference!(
    ClassicMixedRef,
    model::Rules::classic(),
    Mode::ImportHistoryMixed
);
reference!(
    CurrentMixedRef,
    model::Rules::current(),
    Mode::ImportHistoryMixed
);
