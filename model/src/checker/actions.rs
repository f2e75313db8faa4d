//! The actions the checker tries in a state: the bounded argument values of
//! each operation, the import histories and the clock steps of a configuration.

use super::*;

impl LifecycleModel {
    pub(super) fn customer_keys(s: &State) -> usize {
        s.keys
            .iter()
            .filter(|k| k.manager == Manager::Customer)
            .count()
    }

    pub(super) fn managed_keys(s: &State) -> usize {
        s.keys.iter().filter(|k| k.manager == Manager::Aws).count()
    }

    /// The actions offered in `s`, in a deterministic order.
    pub fn actions_of(&self, s: &State, out: &mut Vec<Action>) {
        let nk = s.keys.len() as u8;
        if Self::customer_keys(s) < self.keys {
            out.push(Action::CreateKey {
                origin: Origin::AwsKms,
            });
            if s.keys
                .iter()
                .filter(|k| k.origin == Origin::External)
                .count()
                < self.max_external
            {
                out.push(Action::CreateKey {
                    origin: Origin::External,
                });
            }
        }
        if self.managed && Self::managed_keys(s) == 0 {
            out.push(Action::UseManagedAlias);
        }
        for k in 0..nk {
            let key = &s.keys[k as usize];
            // Every operation, also on a deleted key (NotFoundException) and
            // on a key of the wrong origin: each is a cell of spec §3's table
            // that the table rule checks (crate::table). None of these adds
            // a state: DescribeKey and the refusals change nothing, and
            // GenerateDataKey leaves the state Encrypt with context A leaves.
            out.push(Action::DescribeKey {
                key: KeyRef::Key(k),
            });
            out.push(Action::GetKeyPolicy { key: k });
            out.push(Action::ListKeyPolicies { key: k });
            if self.policies {
                use crate::Policy as P;
                for (policy, bypass) in [
                    (P::AllowAll, false),
                    (P::Default, false),
                    (P::DenyPut, false),
                    (P::DenyPut, true),
                    (P::NoAdmin, false),
                    (P::NoAdmin, true),
                    (P::Malformed, false),
                ] {
                    out.push(Action::PutKeyPolicy {
                        key: k,
                        policy,
                        bypass,
                    });
                }
            }
            out.push(Action::Encrypt {
                key: KeyRef::Key(k),
                ctx: Ctx::A,
            });
            out.push(Action::GenerateDataKey {
                key: KeyRef::Key(k),
            });
            out.push(Action::EnableKey { key: k });
            out.push(Action::DisableKey { key: k });
            for &p in &self.periods {
                out.push(Action::EnableKeyRotation {
                    key: k,
                    period_days: p,
                });
            }
            out.push(Action::DisableKeyRotation { key: k });
            out.push(Action::GetKeyRotationStatus { key: k });
            out.push(Action::RotateKeyOnDemand { key: k });
            for &w in &self.windows {
                out.push(Action::ScheduleKeyDeletion {
                    key: k,
                    window_days: w,
                });
            }
            out.push(Action::CancelKeyDeletion { key: k });
            if !matches!(key.token, Some(Token::Valid { .. })) || key.tokens_issued == 1 {
                out.push(Action::GetParametersForImport { key: k });
            }
            out.push(Action::DeleteImportedKeyMaterial {
                key: k,
                material: None,
            });
            if self.rules.key_material_ids && key.origin == Origin::External {
                // Naming a material: each non-current one (the current one
                // is what `None` deletes), the pending one, an unknown id.
                for v in 0..key.materials.len().saturating_sub(1) as u8 {
                    out.push(Action::DeleteImportedKeyMaterial {
                        key: k,
                        material: Some(crate::MaterialRef::Version(v)),
                    });
                }
                if key.pending.is_some() {
                    out.push(Action::DeleteImportedKeyMaterial {
                        key: k,
                        material: Some(crate::MaterialRef::Pending),
                    });
                }
                if k == 0 {
                    out.push(Action::DeleteImportedKeyMaterial {
                        key: k,
                        material: Some(crate::MaterialRef::Unknown),
                    });
                }
            }
            if key.origin == Origin::External {
                self.import_actions(s, k, out);
            } else {
                out.push(Action::ImportKeyMaterial {
                    key: k,
                    token: TokenRef::Forged,
                    material: 0,
                    import_type: None,
                    expires: ValidToChoice::DoesNotExpire,
                });
            }
            for a in 0..s.aliases.len() as u8 {
                out.push(Action::CreateAlias {
                    alias: AliasName::Slot(a),
                    key: k,
                });
                out.push(Action::UpdateAlias { alias: a, key: k });
            }
            if k == 0 {
                out.push(Action::CreateAlias {
                    alias: AliasName::Reserved,
                    key: k,
                });
                out.push(Action::CreateAlias {
                    alias: AliasName::Malformed,
                    key: k,
                });
            }
        }
        for a in 0..s.aliases.len() as u8 {
            out.push(Action::Encrypt {
                key: KeyRef::Alias(a),
                ctx: Ctx::A,
            });
            out.push(Action::DeleteAlias { alias: a });
        }
        for c in 0..s.ciphertexts.len() as u8 {
            let ct = s.ciphertexts[c as usize];
            out.push(Action::Decrypt {
                ct: c,
                ctx: ct.ctx,
                key: None,
            });
            out.push(Action::Decrypt {
                ct: c,
                ctx: if ct.ctx == Ctx::A { Ctx::B } else { Ctx::A },
                key: None,
            });
            if let Some(other) =
                (0..nk).find(|&o| o != ct.key && s.keys[o as usize].state != KeyState::Deleted)
            {
                out.push(Action::Decrypt {
                    ct: c,
                    ctx: ct.ctx,
                    key: Some(KeyRef::Key(other)),
                });
            }
            out.push(Action::DecryptTampered { ct: c });
            for d in 0..nk {
                out.push(Action::ReEncrypt {
                    ct: c,
                    dest: KeyRef::Key(d),
                });
            }
        }
        // Time steps.
        let now = s.now;
        if self.jump && now < self.horizon {
            out.push(Action::Advance(self.horizon - now));
        }
        let deadline = self.next_instant(s);
        if let Some(d) = deadline
            && d <= self.horizon
        {
            out.push(Action::Advance(d - now));
        }
        if let Some(d) = deadline
            && d - 1 > now
            && d - 1 <= self.horizon
        {
            out.push(Action::Advance(d - 1 - now));
        }
        let t = now + self.small_step;
        if self.small_step > 0
            && t <= self.small_step * self.small_steps as Time
            && t <= self.horizon
            && deadline.is_none_or(|d| t < d - 1)
        {
            out.push(Action::Advance(self.small_step));
        }
    }

    /// The next instant worth stopping at: [`crate::next_deadline`], or the
    /// NextRotationDate of a key that is not Enabled (to test catch-up).
    pub fn next_instant(&self, s: &State) -> Option<Time> {
        let mut d = crate::next_deadline(s);
        for k in &s.keys {
            if k.state != KeyState::Enabled
                && k.state != KeyState::Deleted
                && let Some(r) = k.rotation
                && r.next > s.now
                && d.is_none_or(|x| r.next < x)
            {
                d = Some(r.next);
            }
        }
        d
    }

    fn import_actions(&self, s: &State, k: u8, out: &mut Vec<Action>) {
        let key = &s.keys[k as usize];
        let current = self.rules.new_key_material_import;
        let imp = |token, material, import_type, expires| Action::ImportKeyMaterial {
            key: k,
            token,
            material,
            import_type,
            expires,
        };
        if key.token.is_some() {
            // Material ids are abstract: the first material a key receives is
            // always #0 (importing #1 first is the same state up to renaming
            // the key's material ids), and #1 is "different material" once the
            // key has some.
            let fresh = key.materials.is_empty();
            out.push(imp(TokenRef::Latest, 0, None, ValidToChoice::DoesNotExpire));
            out.push(imp(
                TokenRef::Latest,
                0,
                None,
                ValidToChoice::In(self.valid_to_short),
            ));
            if !fresh {
                out.push(imp(TokenRef::Latest, 1, None, ValidToChoice::DoesNotExpire));
            }
            out.push(imp(TokenRef::Latest, 0, None, ValidToChoice::TooFar));
            out.push(imp(TokenRef::Latest, 0, None, ValidToChoice::Past));
            out.push(imp(
                TokenRef::Latest,
                0,
                None,
                ValidToChoice::MissingValidTo,
            ));
            if current {
                if !fresh {
                    out.push(imp(
                        TokenRef::Latest,
                        1,
                        Some(ImportType::NewKeyMaterial),
                        ValidToChoice::DoesNotExpire,
                    ));
                }
                out.push(imp(
                    TokenRef::Latest,
                    0,
                    Some(ImportType::NewKeyMaterial),
                    ValidToChoice::DoesNotExpire,
                ));
                out.push(imp(
                    TokenRef::Latest,
                    if fresh { 0 } else { 1 },
                    Some(ImportType::ExistingKeyMaterial),
                    ValidToChoice::DoesNotExpire,
                ));
            } else {
                out.push(imp(
                    TokenRef::Latest,
                    0,
                    Some(ImportType::NewKeyMaterial),
                    ValidToChoice::DoesNotExpire,
                ));
            }
        }
        if key.tokens_issued >= 2 {
            out.push(imp(
                TokenRef::Superseded,
                0,
                None,
                ValidToChoice::DoesNotExpire,
            ));
        }
        if s.keys
            .iter()
            .enumerate()
            .any(|(i, o)| i != k as usize && o.token.is_some())
        {
            out.push(imp(
                TokenRef::OtherKey,
                0,
                None,
                ValidToChoice::DoesNotExpire,
            ));
        }
        out.push(imp(TokenRef::Forged, 0, None, ValidToChoice::DoesNotExpire));
    }
}
