//! Performing an action on the implementation: the call (or calls) it
//! makes and what they showed.

use super::super::CallError;
use super::observe::{Obs, ObsOk, model_state};
use super::replay::Replay;
use crate::api::{self, *};
use crate::import::wrap_key_material;
use kms_lifecycle_model as model;
use model::{
    Action, AliasName, Ctx, DAY, ImportType, MaterialRef, Origin, TokenRef, ValidToChoice,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

impl Replay {
    /// Performs `a` on the implementation.
    /// The `KeyMaterialId` that `m` names on key `k`, as the implementation
    /// lists it (ListKeyRotations with ALL_KEY_MATERIAL).
    fn material_id(&mut self, k: u8, m: MaterialRef) -> Result<String, CallError> {
        // Under `classic` any KeyMaterialId is ValidationException.
        if m == MaterialRef::Unknown || !self.rules.key_material_ids {
            return Ok(api::UNKNOWN_KEY_MATERIAL_ID.into());
        }
        let listed = self.api.list_key_rotations(ListKeyRotationsRequest::all(
            self.key(k),
            IncludeKeyMaterial::AllKeyMaterial,
        ))?;
        let (permanent, pending) = listed.material_ids();
        let id = match m {
            MaterialRef::Version(v) => permanent.get(v as usize).copied(),
            _ => pending,
        };
        id.map(str::to_string).ok_or_else(|| {
            CallError::Protocol(format!(
                "ListKeyRotations(ALL_KEY_MATERIAL) of k{k} does not list the material {m:?}"
            ))
        })
    }

    pub(super) fn perform(&mut self, a: &Action) -> Obs {
        let model_now = self.states[0].now;
        let req = |s: String| KeyIdRequest::new(s);
        Ok(match *a {
            Action::CreateKey { origin } => {
                let r = self.api.create_key(CreateKeyRequest {
                    origin: Some(match origin {
                        Origin::AwsKms => api::Origin::AwsKms,
                        Origin::External => api::Origin::External,
                    }),
                    description: Some("kms-lifecycle conform".into()),
                    ..Default::default()
                })?;
                let k = self.push_key(&r.key_metadata.key_id);
                self.account = r.key_metadata.aws_account_id.clone();
                ObsOk::Key(Some(k), model_state(r.key_metadata.key_state))
            }
            Action::UseManagedAlias => {
                let r = self
                    .api
                    .describe_key(req(format!("alias/aws/{}", self.service)))?;
                let known = self.index_of(&r.key_metadata.key_id).is_some();
                let k = self.push_key(&r.key_metadata.key_id);
                if !known {
                    let earlier = self.missing.borrow().tainted(&r.key_metadata.key_id);
                    self.retire_if_preexisting(a, Some(r.key_metadata.creation_date.0), earlier);
                }
                ObsOk::Key(Some(k), model_state(r.key_metadata.key_state))
            }
            Action::DescribeKey { key } => {
                let r = self.api.describe_key(req(self.kref(key)))?;
                ObsOk::Key(
                    self.index_of(&r.key_metadata.key_id),
                    model_state(r.key_metadata.key_state),
                )
            }
            Action::Encrypt { key, ctx } => {
                let pt = format!("plaintext {}", self.cts.len()).into_bytes();
                let r = self.api.encrypt(EncryptRequest {
                    key_id: self.kref(key),
                    plaintext: SecretBlob::new(pt.clone()),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                self.cts.push((r.ciphertext_blob.0, pt));
                ObsOk::Encrypted(self.index_of(&r.key_id))
            }
            Action::GenerateDataKey { key } => {
                let r = self.api.generate_data_key(GenerateDataKeyRequest {
                    key_id: self.kref(key),
                    key_spec: Some(DataKeySpec::Aes256),
                    encryption_context: Some(ctx_of(Ctx::A)),
                    ..Default::default()
                })?;
                let Some(pt) = r.plaintext else {
                    return Err(CallError::Protocol(
                        "GenerateDataKey response without Plaintext".into(),
                    ));
                };
                self.cts.push((r.ciphertext_blob.0, pt.expose().to_vec()));
                ObsOk::Encrypted(self.index_of(&r.key_id))
            }
            Action::Decrypt { ct, ctx, key } => {
                let (blob, pt) = self.cts[ct as usize].clone();
                let r = self.api.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(blob),
                    key_id: key.map(|k| self.kref(k)),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                ObsOk::Decrypted(
                    self.index_of(&r.key_id),
                    r.plaintext.expose() == pt.as_slice(),
                )
            }
            Action::DecryptTampered { ct } => {
                let (mut blob, pt) = self.cts[ct as usize].clone();
                let ctx = self.states[0].ciphertexts[ct as usize].ctx;
                if let Some(last) = blob.last_mut() {
                    *last ^= 0x01;
                }
                let r = self.api.decrypt(DecryptRequest {
                    ciphertext_blob: Blob(blob),
                    encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                ObsOk::Decrypted(
                    self.index_of(&r.key_id),
                    r.plaintext.expose() == pt.as_slice(),
                )
            }
            Action::ReEncrypt { ct, dest } => {
                let (blob, pt) = self.cts[ct as usize].clone();
                let ctx = self.states[0].ciphertexts[ct as usize].ctx;
                let r = self.api.re_encrypt(ReEncryptRequest {
                    ciphertext_blob: Blob(blob),
                    source_encryption_context: Some(ctx_of(ctx)),
                    destination_key_id: self.kref(dest),
                    destination_encryption_context: Some(ctx_of(ctx)),
                    ..Default::default()
                })?;
                self.cts.push((r.ciphertext_blob.0, pt));
                ObsOk::Encrypted(self.index_of(&r.key_id))
            }
            Action::EnableKey { key } => {
                self.api.enable_key(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::DisableKey { key } => {
                self.api.disable_key(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::EnableKeyRotation { key, period_days } => {
                self.api.enable_key_rotation(EnableKeyRotationRequest {
                    key_id: self.key(key),
                    rotation_period_in_days: period_days.map(i64::from),
                })?;
                ObsOk::Plain
            }
            Action::DisableKeyRotation { key } => {
                self.api.disable_key_rotation(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::GetKeyRotationStatus { key } => {
                ObsOk::Status(self.api.get_key_rotation_status(req(self.key(key)))?)
            }
            Action::RotateKeyOnDemand { key } => {
                self.api.rotate_key_on_demand(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::ScheduleKeyDeletion { key, window_days } => {
                ObsOk::Scheduled(self.api.schedule_key_deletion(ScheduleKeyDeletionRequest {
                    key_id: self.key(key),
                    pending_window_in_days: window_days.map(i64::from),
                })?)
            }
            Action::CancelKeyDeletion { key } => {
                self.api.cancel_key_deletion(req(self.key(key)))?;
                ObsOk::Plain
            }
            Action::GetParametersForImport { key } => {
                let r = self
                    .api
                    .get_parameters_for_import(GetParametersForImportRequest {
                        key_id: self.key(key),
                        wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                        wrapping_key_spec: WrappingKeySpec::Rsa2048,
                    })?;
                self.tokens[key as usize].push((r.import_token.0, r.public_key.0));
                ObsOk::Params(r.parameters_valid_to.0)
            }
            Action::ImportKeyMaterial {
                key,
                token,
                material: m,
                import_type,
                expires,
            } => {
                let pair = match token {
                    TokenRef::Latest => self.tokens[key as usize].last().cloned(),
                    TokenRef::Superseded => self.tokens[key as usize].first().cloned(),
                    TokenRef::OtherKey => self
                        .tokens
                        .iter()
                        .enumerate()
                        .find(|(i, t)| *i != key as usize && !t.is_empty())
                        .and_then(|(_, t)| t.last().cloned()),
                    TokenRef::Forged => Some((
                        vec![0x54; 98],
                        self.tokens
                            .iter()
                            .flatten()
                            .next()
                            .map(|t| t.1.clone())
                            .unwrap_or_default(),
                    )),
                };
                let (tok, public) = pair.unwrap_or_default();
                let wrapped =
                    wrap_key_material(&public, WrappingAlgorithm::RsaesOaepSha256, &material(m))
                        .unwrap_or_else(|_| vec![0x42; 256]);
                let now = self.time.at(model_now);
                let slack = if self.clock { 0 } else { 600 };
                let (expiration_model, valid_to) = match expires {
                    ValidToChoice::DoesNotExpire => {
                        (ExpirationModel::KeyMaterialDoesNotExpire, None)
                    }
                    ValidToChoice::In(s) => (ExpirationModel::KeyMaterialExpires, Some(now + s)),
                    ValidToChoice::TooFar => (
                        ExpirationModel::KeyMaterialExpires,
                        Some(now + 365 * DAY + 1 + slack),
                    ),
                    ValidToChoice::Past => (ExpirationModel::KeyMaterialExpires, Some(now - slack)),
                    ValidToChoice::MissingValidTo => (ExpirationModel::KeyMaterialExpires, None),
                };
                self.api.import_key_material(ImportKeyMaterialRequest {
                    key_id: self.key(key),
                    import_token: Blob(tok),
                    encrypted_key_material: Blob(wrapped),
                    expiration_model: Some(expiration_model),
                    valid_to: valid_to.map(Timestamp),
                    import_type: import_type.map(|t| match t {
                        ImportType::NewKeyMaterial => api::ImportType::NewKeyMaterial,
                        ImportType::ExistingKeyMaterial => api::ImportType::ExistingKeyMaterial,
                    }),
                })?;
                ObsOk::Plain
            }
            Action::DeleteImportedKeyMaterial { key, material } => {
                let key_material_id = match material {
                    None => None,
                    Some(m) => Some(self.material_id(key, m)?),
                };
                self.api
                    .delete_imported_key_material(DeleteImportedKeyMaterialRequest {
                        key_id: self.key(key),
                        key_material_id,
                    })?;
                ObsOk::Plain
            }
            Action::CreateAlias { alias, key } => {
                let name = match alias {
                    AliasName::Slot(n) => self.alias(n),
                    // Per replay, so that a shared endpoint that accepted
                    // them once does not answer AlreadyExistsException later.
                    AliasName::Reserved => {
                        self.prefix.replacen("alias/", "alias/aws/", 1) + "reserved"
                    }
                    AliasName::Malformed => format!("{}bad name!", self.prefix),
                };
                self.api.create_alias(AliasRequest {
                    alias_name: name,
                    target_key_id: self.key(key),
                })?;
                ObsOk::Plain
            }
            Action::UpdateAlias { alias, key } => {
                self.api.update_alias(AliasRequest {
                    alias_name: self.alias(alias),
                    target_key_id: self.key(key),
                })?;
                ObsOk::Plain
            }
            Action::DeleteAlias { alias } => {
                self.api.delete_alias(DeleteAliasRequest {
                    alias_name: self.alias(alias),
                })?;
                ObsOk::Plain
            }
            Action::GetKeyPolicy { key } => ObsOk::Policy(
                self.api
                    .get_key_policy(GetKeyPolicyRequest {
                        key_id: self.key(key),
                        policy_name: Some("default".into()),
                    })?
                    .policy,
            ),
            Action::ListKeyPolicies { key } => ObsOk::PolicyNames(
                self.api
                    .list_key_policies(ListKeyPoliciesRequest::new(self.key(key)))?
                    .policy_names,
            ),
            Action::PutKeyPolicy {
                key,
                policy,
                bypass,
            } => {
                // (Managed is never generated: AWS writes that text.)
                let text = policy.document(&self.account).unwrap_or_default();
                self.api.put_key_policy(PutKeyPolicyRequest {
                    key_id: self.key(key),
                    policy_name: Some("default".into()),
                    policy: text,
                    bypass_policy_lockout_safety_check: Some(bypass),
                })?;
                ObsOk::Plain
            }
            Action::Advance(d) => match self.api.advance_clock(d) {
                Some(r) => {
                    r?;
                    ObsOk::Plain
                }
                None => {
                    return Err(CallError::Protocol(
                        "the implementation offers no clock control".into(),
                    ));
                }
            },
        })
    }
}

fn ctx_of(c: Ctx) -> EncryptionContext {
    let mut m = BTreeMap::new();
    match c {
        Ctx::A => m.insert("ab".to_string(), "c".to_string()),
        Ctx::B => m.insert("a".to_string(), "bc".to_string()),
    };
    m
}

fn material(m: u8) -> Vec<u8> {
    Sha256::digest([b"conform-material".as_slice(), &[m]].concat()).to_vec()
}
