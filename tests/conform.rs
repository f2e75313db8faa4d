//! The oracle (`kms_lifecycle::conform`, feature `conform`): it finds nothing
//! in the reference, in process and over HTTP, and it is not blind: a dozen
//! deliberately faulty implementations are each reported with a short
//! reproducing sequence.
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "conform")]

use kms_lifecycle::api::*;
use kms_lifecycle::conform::{
    CallError, CallResult, InProcess, KmsApi, Oracle, OracleConfig, Target,
};
use kms_lifecycle_model as model;
use std::collections::BTreeMap;
use std::time::Duration;

fn config(rules: model::Rules, sequences: usize) -> OracleConfig {
    OracleConfig {
        rules,
        seed: 7,
        sequences,
        max_length: 24,
        time_budget: Some(Duration::from_secs(90)),
        ..Default::default()
    }
}

fn show(o: &kms_lifecycle::conform::Outcome) -> String {
    kms_lifecycle::conform::report::markdown(o)
}

#[test]
fn the_reference_in_process_conforms() {
    for rules in [model::Rules::current(), model::Rules::classic()] {
        let oracle = Oracle::new(config(rules, 200));
        let mut target = Target::in_process(&rules);
        let o = oracle.run(&mut target, |_| {});
        assert_eq!(o.sequences, 200);
        assert!(o.clock_control);
        assert!(o.findings.is_empty(), "{}", show(&o));
    }
}

#[cfg(feature = "server")]
#[test]
fn the_reference_server_conforms() {
    use kms_lifecycle::server::{ServerConfig, spawn};
    let addr = spawn(ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        manual_clock_start: Some(kms_lifecycle::conform::DEFAULT_START),
        ..Default::default()
    })
    .expect("server starts");
    let oracle = Oracle::new(config(model::Rules::current(), 40));
    let mut target = Target::http(&format!("http://{addr}"), None).unwrap();
    let o = oracle.run(&mut target, |_| {});
    assert_eq!(o.sequences, 40, "{}", show(&o));
    assert!(
        o.clock_control,
        "the server's clock operations are detected"
    );
    assert!(o.findings.is_empty(), "{}", show(&o));
}

#[cfg(feature = "server")]
#[test]
fn an_endpoint_without_clock_control_is_checked_without_time() {
    use kms_lifecycle::server::{ServerConfig, spawn};
    let addr = spawn(ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        manual_clock_start: None,
        ..Default::default()
    })
    .expect("server starts");
    let oracle = Oracle::new(config(model::Rules::current(), 15));
    let mut target = Target::http(&format!("http://{addr}"), None).unwrap();
    let o = oracle.run(&mut target, |_| {});
    assert!(!o.clock_control);
    assert!(!o.unchecked.is_empty());
    assert!(o.findings.is_empty(), "{}", show(&o));
}

#[test]
fn an_unreachable_endpoint_is_a_divergence_not_a_panic() {
    // Port 9 on loopback: nothing listens (connection refused).
    let oracle = Oracle::new(OracleConfig {
        sequences: 2,
        ..config(model::Rules::current(), 2)
    });
    let mut target = Target::http("http://127.0.0.1:9", None).unwrap();
    let o = oracle.run(&mut target, |_| {});
    assert!(!o.findings.is_empty());
    assert!(
        o.findings[0].rule.contains("AWS JSON protocol"),
        "{}",
        show(&o)
    );
}

// ---------------------------------------------------------------------------
// Faulty implementations
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    DisabledKeyEncrypts,
    CancelLeavesEnabled,
    NeverDeleted,
    SixDayWindowAccepted,
    ImportTokenNeverExpires,
    DecryptIgnoresContext,
    RotationLosesOldBackingKeys,
    DescribeReportsWrongState,
    AliasSurvivesKeyDeletion,
    DefaultWindowSevenDays,
    RotationPeriodUnchecked,
    HtmlErrorPage,
    /// A shared endpoint without clock control whose AWS managed key an
    /// earlier client left pending deletion, made long before the run: the
    /// oracle must retire it, not report it.
    ManagedKeyLeftPendingDeletion,
    /// DeleteImportedKeyMaterial with a KeyMaterialId the key does not have
    /// succeeds (fakecloud 0.51.0 does this).
    UnknownMaterialIdAccepted,
    /// PutKeyPolicy accepts every document and never checks the caller
    /// (LocalStack 2026.3.0 does this): answers ok and changes nothing.
    PolicyNeverChecked,
}

struct Faulty {
    inner: InProcess,
    faults: Vec<Fault>,
    keys: Vec<String>,
    ghosts: BTreeMap<String, String>,
}

impl Faulty {
    fn new(fault: Fault) -> Self {
        Self::with(&[fault])
    }
    fn with(faults: &[Fault]) -> Self {
        // Without clock control the oracle takes the time of day as the
        // target's: the reference's manual clock then starts there.
        let start = if faults.contains(&Fault::ManagedKeyLeftPendingDeletion) {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        } else {
            kms_lifecycle::conform::DEFAULT_START
        };
        Self {
            inner: InProcess::new(kms_lifecycle::Rules::current(), start),
            faults: faults.to_vec(),
            keys: Vec::new(),
            ghosts: BTreeMap::new(),
        }
    }
    fn has(&self, f: Fault) -> bool {
        self.faults.contains(&f)
    }
    fn state(&mut self, id: &str) -> Option<KeyState> {
        self.inner.kms.key_state(id)
    }
}

fn invalid_ciphertext() -> CallError {
    CallError::Exception {
        name: "InvalidCiphertextException".into(),
        message: String::new(),
    }
}

macro_rules! faulty_impl {
    ( $( $m:ident ( $req:ty ) -> $resp:ty ; )* ; $($custom:item)* ) => {
        impl KmsApi for Faulty {
            $( fn $m(&mut self, req: $req) -> CallResult<$resp> { self.inner.$m(req) } )*
            $($custom)*
        }
    };
}

faulty_impl! {
    list_keys(ListRequest) -> ListKeysResponse;
    update_key_description(UpdateKeyDescriptionRequest) -> Empty;
    tag_resource(TagResourceRequest) -> Empty;
    untag_resource(UntagResourceRequest) -> Empty;
    list_resource_tags(KeyIdRequest) -> ListResourceTagsResponse;
    enable_key(KeyIdRequest) -> Empty;
    disable_key(KeyIdRequest) -> Empty;
    generate_data_key_without_plaintext(GenerateDataKeyRequest) -> GenerateDataKeyResponse;
    disable_key_rotation(KeyIdRequest) -> Empty;
    rotate_key_on_demand(KeyIdRequest) -> KeyIdResponse;
    list_key_rotations(ListKeyRotationsRequest) -> ListKeyRotationsResponse;
    get_parameters_for_import(GetParametersForImportRequest) -> GetParametersForImportResponse;
    update_alias(AliasRequest) -> Empty;
    delete_alias(DeleteAliasRequest) -> Empty;
    get_key_policy(GetKeyPolicyRequest) -> GetKeyPolicyResponse;
    list_key_policies(ListKeyPoliciesRequest) -> ListKeyPoliciesResponse;
    ;
    fn create_key(&mut self, req: CreateKeyRequest) -> CallResult<KeyMetadataResponse> {
        let r = self.inner.create_key(req)?;
        self.keys.push(r.key_metadata.key_id.clone());
        Ok(r)
    }

    fn delete_imported_key_material(&mut self, req: DeleteImportedKeyMaterialRequest) -> CallResult<ImportKeyMaterialResponse> {
        let (key_id, material) = (req.key_id.clone(), req.key_material_id.clone());
        match self.inner.delete_imported_key_material(req) {
            Err(CallError::Exception { name, .. })
                if name == "NotFoundException" && material.is_some() && self.has(Fault::UnknownMaterialIdAccepted) =>
            {
                Ok(ImportKeyMaterialResponse { key_id, key_material_id: material })
            }
            r => r,
        }
    }

    fn put_key_policy(&mut self, req: PutKeyPolicyRequest) -> CallResult<Empty> {
        match self.inner.put_key_policy(req) {
            Err(CallError::Exception { name, .. })
                if self.has(Fault::PolicyNeverChecked)
                    && (name == "MalformedPolicyDocumentException" || name == "AccessDeniedException") =>
            {
                Ok(Empty {})
            }
            r => r,
        }
    }

    fn describe_key(&mut self, req: KeyIdRequest) -> CallResult<KeyMetadataResponse> {
        let managed = req.key_id.starts_with("alias/aws/");
        let mut r = self.inner.describe_key(req)?;
        if self.has(Fault::ManagedKeyLeftPendingDeletion) && managed {
            r.key_metadata.key_state = KeyState::PendingDeletion;
            r.key_metadata.enabled = false;
            r.key_metadata.creation_date.0 = 1_600_000_000;
        }
        if self.has(Fault::DescribeReportsWrongState) && r.key_metadata.key_state == KeyState::Disabled {
            r.key_metadata.key_state = KeyState::Enabled;
            r.key_metadata.enabled = true;
        }
        Ok(r)
    }

    fn encrypt(&mut self, mut req: EncryptRequest) -> CallResult<EncryptResponse> {
        if self.has(Fault::DecryptIgnoresContext) {
            req.encryption_context = None;
        }
        if self.has(Fault::DisabledKeyEncrypts) && self.state(&req.key_id) == Some(KeyState::Disabled) {
            let id = req.key_id.clone();
            self.inner.enable_key(KeyIdRequest::new(id.clone()))?;
            let r = self.inner.encrypt(req);
            self.inner.disable_key(KeyIdRequest::new(id))?;
            return r;
        }
        self.inner.encrypt(req)
    }

    fn generate_data_key(&mut self, mut req: GenerateDataKeyRequest) -> CallResult<GenerateDataKeyResponse> {
        if self.has(Fault::DecryptIgnoresContext) {
            req.encryption_context = None;
        }
        self.inner.generate_data_key(req)
    }

    fn re_encrypt(&mut self, mut req: ReEncryptRequest) -> CallResult<ReEncryptResponse> {
        if self.has(Fault::DecryptIgnoresContext) {
            req.source_encryption_context = None;
            req.destination_encryption_context = None;
        }
        self.inner.re_encrypt(req)
    }

    fn decrypt(&mut self, mut req: DecryptRequest) -> CallResult<DecryptResponse> {
        if self.has(Fault::DecryptIgnoresContext) {
            req.encryption_context = None;
        }
        let version = req.ciphertext_blob.0.get(18..22).map(|b| u32::from_be_bytes(b.try_into().unwrap()));
        let r = self.inner.decrypt(req)?;
        if self.has(Fault::RotationLosesOldBackingKeys) {
            let rotations = self
                .inner
                .list_key_rotations(ListKeyRotationsRequest { key_id: r.key_id.clone(), limit: Some(1000), ..Default::default() })?
                .rotations
                .len();
            if version.is_some_and(|v| (v as usize) < rotations) {
                return Err(invalid_ciphertext());
            }
        }
        Ok(r)
    }

    fn enable_key_rotation(&mut self, mut req: EnableKeyRotationRequest) -> CallResult<Empty> {
        if self.has(Fault::RotationPeriodUnchecked) {
            req.rotation_period_in_days = req.rotation_period_in_days.map(|p| p.clamp(90, 2560));
        }
        self.inner.enable_key_rotation(req)
    }

    fn get_key_rotation_status(&mut self, req: KeyIdRequest) -> CallResult<GetKeyRotationStatusResponse> {
        if self.has(Fault::HtmlErrorPage) && self.state(&req.key_id) == Some(KeyState::Disabled) {
            return Err(CallError::Protocol("HTTP 500 whose body is not a JSON object: <html><body>Internal Server Error</body></html>".into()));
        }
        self.inner.get_key_rotation_status(req)
    }

    fn schedule_key_deletion(&mut self, mut req: ScheduleKeyDeletionRequest) -> CallResult<ScheduleKeyDeletionResponse> {
        let asked = req.pending_window_in_days;
        if self.has(Fault::SixDayWindowAccepted) && asked == Some(6) {
            req.pending_window_in_days = Some(7);
        }
        if self.has(Fault::DefaultWindowSevenDays) && asked.is_none() {
            req.pending_window_in_days = Some(7);
        }
        let mut r = self.inner.schedule_key_deletion(req)?;
        if self.has(Fault::SixDayWindowAccepted) && asked == Some(6) {
            r.pending_window_in_days = 6;
            r.deletion_date.0 -= 86_400;
        }
        Ok(r)
    }

    fn cancel_key_deletion(&mut self, req: KeyIdRequest) -> CallResult<KeyIdResponse> {
        let id = req.key_id.clone();
        let r = self.inner.cancel_key_deletion(req)?;
        if self.has(Fault::CancelLeavesEnabled) {
            let _ = self.inner.enable_key(KeyIdRequest::new(id));
        }
        Ok(r)
    }

    fn import_key_material(&mut self, req: ImportKeyMaterialRequest) -> CallResult<ImportKeyMaterialResponse> {
        match self.inner.import_key_material(req.clone()) {
            Err(CallError::Exception { name, .. })
                if self.has(Fault::ImportTokenNeverExpires) && name == "ExpiredImportTokenException" =>
            {
                // The wrapping keys come from one shared pool: a fresh token
                // unwraps the same material.
                let p = self.inner.get_parameters_for_import(GetParametersForImportRequest {
                    key_id: req.key_id.clone(),
                    wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                    wrapping_key_spec: WrappingKeySpec::Rsa2048,
                })?;
                self.inner.import_key_material(ImportKeyMaterialRequest { import_token: p.import_token, ..req })
            }
            other => other,
        }
    }

    fn create_alias(&mut self, req: AliasRequest) -> CallResult<Empty> {
        if self.ghosts.contains_key(&req.alias_name) {
            return Err(CallError::Exception { name: "AlreadyExistsException".into(), message: "ghost".into() });
        }
        self.inner.create_alias(req)
    }

    fn list_aliases(&mut self, req: ListRequest) -> CallResult<ListAliasesResponse> {
        let mut r = self.inner.list_aliases(req)?;
        for (name, target) in &self.ghosts {
            r.aliases.push(AliasListEntry {
                alias_name: name.clone(),
                alias_arn: String::new(),
                target_key_id: Some(target.clone()),
                creation_date: None,
                last_updated_date: None,
            });
        }
        Ok(r)
    }

    fn clock_now(&mut self) -> Option<CallResult<u64>> {
        if self.has(Fault::ManagedKeyLeftPendingDeletion) {
            return None;
        }
        self.inner.clock_now()
    }

    fn advance_clock(&mut self, seconds: u64) -> Option<CallResult<u64>> {
        let target = self.inner.clock.now_plus(seconds);
        if self.has(Fault::NeverDeleted) {
            for id in self.keys.clone() {
                if let Ok(d) = self.inner.describe_key(KeyIdRequest::new(id.clone()))
                    && d.key_metadata.deletion_date.is_some_and(|t| t.0 <= target)
                {
                    let _ = self.inner.cancel_key_deletion(KeyIdRequest::new(id.clone()));
                    let _ = self.inner.schedule_key_deletion(ScheduleKeyDeletionRequest { key_id: id, pending_window_in_days: Some(30) });
                }
            }
        }
        let before = if self.has(Fault::AliasSurvivesKeyDeletion) {
            self.inner.list_aliases(ListRequest::default()).map(|r| r.aliases).unwrap_or_default()
        } else {
            Vec::new()
        };
        let r = self.inner.advance_clock(seconds);
        for a in before {
            if let Some(t) = a.target_key_id
                && self.inner.kms.key_state(&t).is_none()
            {
                self.ghosts.insert(a.alias_name, t);
            }
        }
        r
    }
}

trait NowPlus {
    fn now_plus(&self, s: u64) -> u64;
}
impl NowPlus for kms_lifecycle::ManualClock {
    fn now_plus(&self, s: u64) -> u64 {
        use kms_lifecycle::Clock;
        self.now() + s
    }
}

/// LocalStack's rule 21 (docs/conformance/localstack.md, verdict c) was an
/// artefact: the pre-existing managed key was retired at its first use, and
/// a later UseManagedAlias compared it with the model's fresh key all the
/// same. A retired managed key is no longer named.
#[test]
fn a_preexisting_managed_key_is_retired_not_reported() {
    let oracle = Oracle::new(config(model::Rules::current(), 60));
    let mut target = Target::new("shared", || -> Box<dyn KmsApi> {
        Box::new(Faulty::new(Fault::ManagedKeyLeftPendingDeletion))
    });
    let o = oracle.run(&mut target, |_| {});
    assert!(!o.clock_control);
    assert_eq!(o.sequences, 60);
    assert!(o.findings.is_empty(), "{}", show(&o));
}

/// An unknown KeyMaterialId accepted is its own rule, not "a deleted key or
/// a removed alias is not found" (which the oracle filed it under before).
#[test]
fn an_unknown_key_material_id_accepted_is_its_own_rule() {
    let oracle = Oracle::new(config(model::Rules::current(), 300));
    let mut target = Target::new("UnknownMaterialIdAccepted", || -> Box<dyn KmsApi> {
        Box::new(Faulty::new(Fault::UnknownMaterialIdAccepted))
    });
    let o = oracle.run(&mut target, |_| {});
    let rules: Vec<&str> = o.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(
        rules.contains(
            &"DeleteImportedKeyMaterial: a KeyMaterialId the key does not have is not found"
        ),
        "{}",
        show(&o)
    );
    assert!(
        !rules.contains(&"a deleted key or a removed alias is not found"),
        "{}",
        show(&o)
    );
}

/// A PutKeyPolicy that accepts a text that is no policy at all is reported
/// under its own rule, not under the lockout check (LocalStack's report
/// filed it there before), and a policy that would lock the caller out is
/// still the lockout rule.
#[test]
fn a_policy_that_is_not_a_document_is_its_own_rule() {
    let oracle = Oracle::new(config(model::Rules::current(), 300));
    let mut target = Target::new("PolicyNeverChecked", || -> Box<dyn KmsApi> {
        Box::new(Faulty::new(Fault::PolicyNeverChecked))
    });
    let o = oracle.run(&mut target, |_| {});
    let find = |rule: &str| o.findings.iter().find(|f| f.rule == rule);
    let malformed =
        find("a key policy must be a policy document").unwrap_or_else(|| panic!("{}", show(&o)));
    assert!(
        malformed.divergence.call.contains("Policy=not JSON"),
        "{}",
        show(&o)
    );
    assert_eq!(malformed.section, "key policies");
    let lockout = find("without the bypass flag no key policy lets nobody call PutKeyPolicy")
        .unwrap_or_else(|| panic!("{}", show(&o)));
    assert!(
        !lockout.divergence.call.contains("Policy=not JSON"),
        "{}",
        show(&o)
    );
}

#[test]
fn faulty_implementations_are_each_reported_with_a_short_sequence() {
    let faults = [
        Fault::DisabledKeyEncrypts,
        Fault::CancelLeavesEnabled,
        Fault::NeverDeleted,
        Fault::SixDayWindowAccepted,
        Fault::ImportTokenNeverExpires,
        Fault::DecryptIgnoresContext,
        Fault::RotationLosesOldBackingKeys,
        Fault::DescribeReportsWrongState,
        Fault::AliasSurvivesKeyDeletion,
        Fault::DefaultWindowSevenDays,
        Fault::RotationPeriodUnchecked,
        Fault::HtmlErrorPage,
    ];
    let mut failures = Vec::new();
    for fault in faults {
        let oracle = Oracle::new(OracleConfig {
            time_budget: Some(Duration::from_secs(30)),
            ..config(model::Rules::current(), 400)
        });
        let mut target = Target::new(format!("{fault:?}"), move || -> Box<dyn KmsApi> {
            Box::new(Faulty::new(fault))
        });
        let o = oracle.run(&mut target, |_| {});
        let shortest = o.findings.iter().map(|f| f.sequence.len()).min();
        eprintln!("{fault:?}: {} sequences, findings:", o.sequences);
        for f in &o.findings {
            eprintln!(
                "  {} ({}) ×{}: {} calls",
                f.rule,
                f.section,
                f.count,
                f.sequence.len()
            );
            for s in &f.sequence {
                eprintln!("      {} → {}", s.call, s.observed);
            }
            eprintln!(
                "      expected {}; observed {}",
                f.divergence.expected, f.divergence.observed
            );
        }
        match shortest {
            Some(n) if n <= 6 => {}
            other => failures.push(format!("{fault:?}: shortest reproduction {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn one_sequence_shows_two_independent_divergences() {
    use model::{Action, Ctx, KeyRef, Origin};
    let oracle = Oracle::new(config(model::Rules::current(), 1));
    let mut target = Target::new("two faults", || -> Box<dyn KmsApi> {
        Box::new(Faulty::with(&[
            Fault::DisabledKeyEncrypts,
            Fault::SixDayWindowAccepted,
        ]))
    });
    let actions = [
        Action::CreateKey {
            origin: Origin::AwsKms,
        },
        Action::DisableKey { key: 0 },
        Action::Encrypt {
            key: KeyRef::Key(0),
            ctx: Ctx::A,
        },
        Action::CreateKey {
            origin: Origin::AwsKms,
        },
        Action::ScheduleKeyDeletion {
            key: 1,
            window_days: Some(6),
        },
        Action::Encrypt {
            key: KeyRef::Key(1),
            ctx: Ctx::A,
        },
    ];
    let (log, divergences) = oracle.check_sequence_all(&mut target, &actions);
    let rules: Vec<&str> = divergences.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["crypto refused while Disabled", "PendingWindowInDays 7–30"],
        "{log:#?}"
    );
    assert_eq!(log.len(), actions.len(), "the sequence went on: {log:#?}");
    // The first divergence alone stops a plain check.
    let (_, first) = oracle.check_sequence(&mut target, &actions);
    assert_eq!(first.unwrap().rule, "crypto refused while Disabled");
    // A generated run reports both rules, each with its own short reproduction.
    let o = Oracle::new(OracleConfig {
        time_budget: Some(Duration::from_secs(60)),
        ..config(model::Rules::current(), 300)
    })
    .run(&mut target, |_| {});
    for rule in ["crypto refused while Disabled", "PendingWindowInDays 7–30"] {
        let f = o.findings.iter().find(|f| f.rule == rule);
        assert!(
            f.is_some_and(|f| f.sequence.len() <= 4),
            "{rule}: {}",
            show(&o)
        );
    }
    assert!(o.most_rules_in_a_sequence >= 2, "{}", show(&o));
    assert!(o.reanchored > 0);
    // The most severe comes first: a disabled key that encrypts.
    assert_eq!(
        o.findings[0].rule,
        "crypto refused while Disabled",
        "{}",
        show(&o)
    );
    assert!(show(&o).contains("1. **critical**"), "{}", show(&o));
}

/// The reference without ListKeyRotations and without the import operations
/// (HTTP 501 / an HTML page, as LocalStack and moto answer).
struct WithoutOperations(InProcess);

fn not_implemented() -> CallError {
    CallError::Unimplemented("HTTP 501: not yet emulated".into())
}

macro_rules! without_impl {
    ( $( $m:ident ( $req:ty ) -> $resp:ty ; )* ) => {
        impl KmsApi for WithoutOperations {
            $( fn $m(&mut self, req: $req) -> CallResult<$resp> { self.0.$m(req) } )*
            fn list_key_rotations(&mut self, _: ListKeyRotationsRequest) -> CallResult<ListKeyRotationsResponse> {
                Err(not_implemented())
            }
            fn get_parameters_for_import(&mut self, _: GetParametersForImportRequest) -> CallResult<GetParametersForImportResponse> {
                Err(not_implemented())
            }
            fn clock_now(&mut self) -> Option<CallResult<u64>> {
                self.0.clock_now()
            }
            fn advance_clock(&mut self, seconds: u64) -> Option<CallResult<u64>> {
                self.0.advance_clock(seconds)
            }
        }
    };
}

without_impl! {
    create_key(CreateKeyRequest) -> KeyMetadataResponse;
    describe_key(KeyIdRequest) -> KeyMetadataResponse;
    list_keys(ListRequest) -> ListKeysResponse;
    update_key_description(UpdateKeyDescriptionRequest) -> Empty;
    tag_resource(TagResourceRequest) -> Empty;
    untag_resource(UntagResourceRequest) -> Empty;
    list_resource_tags(KeyIdRequest) -> ListResourceTagsResponse;
    enable_key(KeyIdRequest) -> Empty;
    disable_key(KeyIdRequest) -> Empty;
    encrypt(EncryptRequest) -> EncryptResponse;
    decrypt(DecryptRequest) -> DecryptResponse;
    re_encrypt(ReEncryptRequest) -> ReEncryptResponse;
    generate_data_key(GenerateDataKeyRequest) -> GenerateDataKeyResponse;
    generate_data_key_without_plaintext(GenerateDataKeyRequest) -> GenerateDataKeyResponse;
    enable_key_rotation(EnableKeyRotationRequest) -> Empty;
    disable_key_rotation(KeyIdRequest) -> Empty;
    get_key_rotation_status(KeyIdRequest) -> GetKeyRotationStatusResponse;
    rotate_key_on_demand(KeyIdRequest) -> KeyIdResponse;
    schedule_key_deletion(ScheduleKeyDeletionRequest) -> ScheduleKeyDeletionResponse;
    cancel_key_deletion(KeyIdRequest) -> KeyIdResponse;
    import_key_material(ImportKeyMaterialRequest) -> ImportKeyMaterialResponse;
    delete_imported_key_material(DeleteImportedKeyMaterialRequest) -> ImportKeyMaterialResponse;
    create_alias(AliasRequest) -> Empty;
    update_alias(AliasRequest) -> Empty;
    delete_alias(DeleteAliasRequest) -> Empty;
    list_aliases(ListRequest) -> ListAliasesResponse;
    get_key_policy(GetKeyPolicyRequest) -> GetKeyPolicyResponse;
    put_key_policy(PutKeyPolicyRequest) -> Empty;
    list_key_policies(ListKeyPoliciesRequest) -> ListKeyPoliciesResponse;
}

#[test]
fn missing_operations_are_reported_once_and_left_out() {
    let oracle = Oracle::new(config(model::Rules::current(), 60));
    let mut target = Target::new("without operations", || -> Box<dyn KmsApi> {
        Box::new(WithoutOperations(InProcess::new(
            kms_lifecycle::Rules::current(),
            kms_lifecycle::conform::DEFAULT_START,
        )))
    });
    let o = oracle.run(&mut target, |_| {});
    assert_eq!(o.sequences, 60);
    assert!(o.findings.is_empty(), "{}", show(&o));
    let ops: Vec<&str> = o.missing.iter().map(|m| m.operation.as_str()).collect();
    assert_eq!(
        ops,
        ["GetParametersForImport", "ListKeyRotations"],
        "{}",
        show(&o)
    );
    assert!(o.missing.iter().all(|m| !m.unchecked_rules.is_empty()));
    // Sequences are not cut short by the missing operations.
    assert!(o.actions > 60 * 10, "{} calls", o.actions);
    let md = show(&o);
    assert!(md.contains("## Operations not implemented"), "{md}");
}
