//! Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey*
//! (spec §7).

use super::*;

impl Kms {
    /// Encrypt: 1–4096 bytes under the current backing key (spec §7).
    /// `DryRun`: every check, then DryRunOperationException instead of a
    /// ciphertext.
    pub fn encrypt(&mut self, req: EncryptRequest) -> KmsResult<EncryptResponse> {
        self.run("Encrypt", |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            // The key is resolved before the arguments are validated
            // (docs/decisions.md, order of checks).
            let idx = kms.resolve_crypto("keyId", &req.key_id, trail, dry_run)?;
            check_algorithm("encryptionAlgorithm", req.encryption_algorithm)?;
            check_plaintext(req.plaintext.expose())?;
            let ctx = req.encryption_context.as_ref().unwrap_or(&EMPTY_CONTEXT);
            check_context(ctx)?;
            // None: a new AWS managed key, which would be Enabled.
            let Some(idx) = idx else {
                return Err(KmsError::dry_run());
            };
            let arn = kms.arn_idx(idx);
            let key = kms.enabled(idx)?;
            if dry_run {
                return Err(KmsError::dry_run());
            }
            let blob = key.encrypt_owned(req.plaintext.0, ctx);
            trail.material = key.material_raw(key.current());
            Ok(EncryptResponse {
                ciphertext_blob: Blob(blob),
                key_id: arn,
                encryption_algorithm: ALGORITHM.into(),
            })
        })
    }

    /// The decryption path shared by Decrypt and ReEncrypt (docs/decisions.md
    /// order (a)–(f)). Returns the key index, plaintext and material id.
    /// The blob's buffer becomes the plaintext (decrypted in place).
    /// `key_id` is the optional key parameter (`member` names it); under
    /// `dry_run` it does not create an AWS managed key.
    pub(super) fn open_ciphertext(
        &mut self,
        blob: Vec<u8>,
        (member, key_id): (&str, Option<&str>),
        ctx: &EncryptionContext,
        trail: &mut Trail,
        dry_run: bool,
    ) -> KmsResult<(u32, SecretBytes, Option<String>)> {
        // Some(None): an AWS managed key not created yet, which made no
        // ciphertext.
        let given = match key_id {
            Some(k) => Some(self.resolve_crypto(member, k, trail, dry_run)?),
            None => None,
        };
        check_blob("ciphertextBlob", &blob)?;
        check_context(ctx)?;
        let parsed = parse_ciphertext(&blob).ok_or_else(KmsError::invalid_ciphertext)?;
        let (key_id, version) = (parsed.key_id, parsed.version);
        let idx = *self
            .index
            .get(&KeyId::from_bytes(key_id))
            .ok_or_else(KmsError::invalid_ciphertext)?;
        if given.is_some_and(|g| g != Some(idx)) {
            return Err(KmsError::IncorrectKeyException(
                "The key ID in the request does not identify a CMK that can perform this operation."
                    .into(),
            ));
        }
        trail.key = Some(idx);
        if matches!(self.keys[idx as usize], AnyKey::Deleted(_)) {
            return Err(KmsError::not_found(&self.arn_idx(idx)));
        }
        let key = self.enabled(idx)?;
        let pt = key
            .decrypt(blob, ctx)
            .ok_or_else(KmsError::invalid_ciphertext)?;
        let mid = key.material_id(version);
        trail.material = key.material_raw(version);
        Ok((idx, pt, mid))
    }

    /// Decrypt: with the backing key named in the blob; the context must match
    /// exactly (spec §7). `DryRun`: every check, authentication included,
    /// then DryRunOperationException instead of the plaintext.
    pub fn decrypt(&mut self, req: DecryptRequest) -> KmsResult<DecryptResponse> {
        self.run("Decrypt", |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            check_algorithm("encryptionAlgorithm", req.encryption_algorithm)?;
            let ctx = req.encryption_context.as_ref().unwrap_or(&EMPTY_CONTEXT);
            let (idx, pt, mid) = kms.open_ciphertext(
                req.ciphertext_blob.0,
                ("keyId", req.key_id.as_deref()),
                ctx,
                trail,
                dry_run,
            )?;
            if dry_run {
                // The plaintext is wiped as it is dropped.
                drop(pt);
                return Err(KmsError::dry_run());
            }
            Ok(DecryptResponse {
                key_id: kms.arn_idx(idx),
                plaintext: SecretBlob(pt),
                encryption_algorithm: ALGORITHM.into(),
                key_material_id: kms.material_id_out(mid),
            })
        })
    }

    /// ReEncrypt: decrypt under the source, encrypt under the destination.
    /// `DryRun`: every check of both halves, then DryRunOperationException.
    pub fn re_encrypt(&mut self, req: ReEncryptRequest) -> KmsResult<ReEncryptResponse> {
        self.run("ReEncrypt", |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            let mut dest_trail = Trail::default();
            let dest = kms.resolve_crypto(
                "destinationKeyId",
                &req.destination_key_id,
                &mut dest_trail,
                dry_run,
            )?;
            check_algorithm("sourceEncryptionAlgorithm", req.source_encryption_algorithm)?;
            check_algorithm(
                "destinationEncryptionAlgorithm",
                req.destination_encryption_algorithm,
            )?;
            let sctx = req
                .source_encryption_context
                .as_ref()
                .unwrap_or(&EMPTY_CONTEXT);
            let dctx = req
                .destination_encryption_context
                .as_ref()
                .unwrap_or(&EMPTY_CONTEXT);
            check_context(dctx)?;
            let (src, pt, smid) = kms.open_ciphertext(
                req.ciphertext_blob.0,
                ("sourceKeyId", req.source_key_id.as_deref()),
                sctx,
                trail,
                dry_run,
            )?;
            trail.key = dest_trail.key;
            // None: a new AWS managed key, which would be Enabled.
            let Some(dest) = dest else {
                return Err(KmsError::dry_run());
            };
            let key = kms.enabled(dest)?;
            if dry_run {
                return Err(KmsError::dry_run());
            }
            let blob = key.encrypt(&pt, dctx);
            let dmid = key.material_id(key.current());
            Ok(ReEncryptResponse {
                ciphertext_blob: Blob(blob),
                source_key_id: kms.arn_idx(src),
                key_id: kms.arn_idx(dest),
                source_encryption_algorithm: ALGORITHM.into(),
                destination_encryption_algorithm: ALGORITHM.into(),
                source_key_material_id: kms.material_id_out(smid),
                destination_key_material_id: kms.material_id_out(dmid),
            })
        })
    }

    pub(super) fn data_key(
        &mut self,
        op: &'static str,
        req: GenerateDataKeyRequest,
        with_plaintext: bool,
    ) -> KmsResult<GenerateDataKeyResponse> {
        self.run(op, |kms, trail| {
            let dry_run = req.dry_run == Some(true);
            // Resolve first (docs/decisions.md, order of checks).
            let idx = kms.resolve_crypto("keyId", &req.key_id, trail, dry_run)?;
            let len = match (req.key_spec, req.number_of_bytes) {
                (Some(DataKeySpec::Aes256), None) => 32,
                (Some(DataKeySpec::Aes128), None) => 16,
                (None, Some(n)) if (1..=1024).contains(&n) => n as usize,
                (None, Some(n)) if n < 1 => {
                    return Err(KmsError::validation(
                        "numberOfBytes",
                        n,
                        "Member must have value greater than or equal to 1",
                    ));
                }
                (None, Some(n)) => {
                    return Err(KmsError::validation(
                        "numberOfBytes",
                        n,
                        "Member must have value less than or equal to 1024",
                    ));
                }
                _ => {
                    return Err(KmsError::ValidationException(
                        "Please specify either number of bytes or key spec.".into(),
                    ));
                }
            };
            let ctx = req.encryption_context.as_ref().unwrap_or(&EMPTY_CONTEXT);
            check_context(ctx)?;
            // None: a new AWS managed key, which would be Enabled.
            let Some(idx) = idx else {
                return Err(KmsError::dry_run());
            };
            let arn = kms.arn_idx(idx);
            let key = kms.enabled(idx)?;
            if dry_run {
                return Err(KmsError::dry_run());
            }
            let mut data_key = SecretBytes::new(vec![0u8; len]);
            random_bytes(&mut data_key);
            let blob = key.encrypt(&data_key, ctx);
            let mid = key.material_id(key.current());
            trail.material = key.material_raw(key.current());
            Ok(GenerateDataKeyResponse {
                ciphertext_blob: Blob(blob),
                plaintext: with_plaintext.then(|| SecretBlob(data_key)),
                key_id: arn,
                key_material_id: kms.material_id_out(mid),
            })
        })
    }

    /// GenerateDataKey: a random data key, returned in plaintext and encrypted.
    pub fn generate_data_key(
        &mut self,
        req: GenerateDataKeyRequest,
    ) -> KmsResult<GenerateDataKeyResponse> {
        self.data_key("GenerateDataKey", req, true)
    }

    /// GenerateDataKeyWithoutPlaintext: only the encrypted data key.
    pub fn generate_data_key_without_plaintext(
        &mut self,
        req: GenerateDataKeyRequest,
    ) -> KmsResult<GenerateDataKeyResponse> {
        self.data_key("GenerateDataKeyWithoutPlaintext", req, false)
    }
}
