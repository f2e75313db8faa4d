//! How bad a violated rule is, in one sentence, and what the rule rests on.
//!
//! Order: a key that still does cryptography it must refuse (critical), then
//! lifecycle rules not enforced or key states wrong (high), then legal calls
//! refused, settings and validation (medium), then a different refusal than
//! the one AWS documents (low), then the shape of the answers (protocol).

use super::oracle::RuleFinding;

/// A finding's severity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Severity {
    /// 0 (critical) to 4 (protocol); lower is worse.
    pub rank: u8,
    /// `critical`, `high`, `medium`, `low` or `protocol`.
    pub label: &'static str,
}

const LABELS: [&str; 5] = ["critical", "high", "medium", "low", "protocol"];

fn sev(rank: u8) -> Severity {
    Severity {
        rank,
        label: LABELS[rank as usize],
    }
}

fn is_ok(s: &str) -> bool {
    s.starts_with("ok") || s.contains("): ok")
}

/// The rules whose violation means cryptography that must be refused.
const CRYPTO_GUARDS: &[&str] = &[
    "crypto refused while",
    "the encryption context must match exactly",
    "a tampered ciphertext is refused",
    "Decrypt naming another key",
    "ciphertext of deleted or expired material does not decrypt",
    "a deleted key or a removed alias is not found",
];

/// The severity of finding `f`.
pub fn of(f: &RuleFinding) -> Severity {
    let d = &f.divergence;
    let rule = f.rule.as_str();
    let probe = d.call.starts_with("probe after");
    if rule.contains("AWS JSON protocol") {
        return sev(4);
    }
    if rule.contains("internal error") {
        return sev(2);
    }
    let observed_ok = is_ok(&d.observed);
    let expected_ok = d.expected.split(" | ").any(is_ok);
    if CRYPTO_GUARDS.iter().any(|g| rule.starts_with(g)) {
        return sev(if observed_ok && !probe { 0 } else { 3 });
    }
    if probe {
        let state = [
            "state",
            "yields",
            "deletion",
            "CreateKey",
            "a new key",
            "import",
        ];
        return sev(if state.iter().any(|w| rule.contains(w)) {
            1
        } else {
            2
        });
    }
    match (expected_ok, observed_ok) {
        // Accepted what must be refused.
        (false, true) => sev(
            if rule.contains("validated")
                || rule.contains("RotationPeriodInDays")
                || rule.contains("PendingWindowInDays")
                || rule.contains("reserved")
                || rule.contains("KeyMaterialId")
                || rule.contains("policy document")
            {
                2
            } else {
                1
            },
        ),
        // Refused what must succeed.
        (true, false) => sev(if rule.contains("decrypts") { 1 } else { 2 }),
        // A different refusal, or a different success.
        _ => sev(3),
    }
}

/// One sentence on what finding `f` shows.
pub fn sentence(f: &RuleFinding) -> String {
    let s = of(f);
    let d = &f.divergence;
    let clip = |t: &str| {
        let t: String = t.chars().take(140).collect();
        t
    };
    format!(
        "**{}** — {} ({}): {} answered `{}` where the model requires `{}` ({} sequence(s), shortest reproduction {} call(s)).",
        s.label,
        f.rule,
        f.section,
        clip(&d.call),
        clip(&d.observed),
        clip(&d.expected),
        f.count,
        f.sequence.len()
    )
}

/// What the rule rests on: AWS documentation (the tags of
/// `aws-kms-facts.md`) or a decision of this project (`docs/decisions.md`).
pub fn basis(rule: &str) -> &'static str {
    let table: &[(&str, &str)] = &[
        (
            "crypto refused while Disabled",
            "AWS: key-state table, footnote [1] (DisabledException)",
        ),
        (
            "crypto refused while PendingDeletion",
            "AWS: key-state table, footnotes [2]/[3] (both exceptions accepted)",
        ),
        (
            "crypto refused while PendingImport",
            "AWS: key-state table, footnote [5]",
        ),
        (
            "the encryption context must match exactly",
            "AWS: exact, case-sensitive match, else InvalidCiphertextException ([DG23] concepts, [M] Encrypt)",
        ),
        (
            "a tampered ciphertext is refused",
            "AWS: the ciphertext is authenticated ([CD], [M] InvalidCiphertextException)",
        ),
        (
            "Decrypt naming another key",
            "AWS: IncorrectKeyException ([M] Decrypt)",
        ),
        (
            "DeleteImportedKeyMaterial: a KeyMaterialId the key does not have",
            "project decision: docs/decisions.md, import (a well-formed id that is none of the key's materials → NotFoundException; AWS does not document which error); a refusal because the key is PendingDeletion is not AWS's either way: the key-state table allows DeleteImportedKeyMaterial while PendingDeletion (footnote [9])",
        ),
        (
            "a deleted key or a removed alias is not found",
            "project decision: AWS documents NotFoundException only for keys that never existed (facts §10, open point 5)",
        ),
        (
            "CreateKey:",
            "AWS: transition table (EXTERNAL keys are created PendingImport)",
        ),
        (
            "a new key's state and rotation settings",
            "AWS: rotation off on new customer managed keys, always on for AWS managed keys, UnsupportedOperationException for EXTERNAL keys (key-state table [6], [M])",
        ),
        (
            "RotationPeriodInDays",
            "AWS: 90–2560 days ([M] RotationPeriodInDaysType); the exception name (ValidationException) is a project decision (facts §10, open point 4)",
        ),
        (
            "PendingWindowInDays",
            "AWS: 7–30 days ([M], [DG23]); the exception name is a project decision (open point 4)",
        ),
        (
            "ScheduleKeyDeletion default window",
            "AWS: default 30 days ([M])",
        ),
        (
            "CancelKeyDeletion",
            "AWS: key-state table, footnote [4]; Disabled after cancelling ([M] CancelKeyDeletion)",
        ),
        (
            "alias/aws/ is reserved",
            "AWS reserves the prefix ([M], [DG23]); the exception (NotAuthorizedException) is a project decision (docs/decisions.md, CreateAlias): AWS's documented CreateAlias errors do not name it; refusing the name before looking at the target key's state is a project decision too (docs/decisions.md, order of checks 2)",
        ),
        (
            "alias names are validated",
            "AWS: [M] AliasNameType pattern; InvalidAliasNameException or ValidationException accepted",
        ),
        (
            "import only into EXTERNAL keys",
            "AWS: key-state table, footnote [9]; checking the origin before the state is a project decision (docs/decisions.md, order of checks 4)",
        ),
        (
            "GetParametersForImport",
            "AWS: key-state table ([9] for AWS_KMS keys)",
        ),
        (
            "DeleteImportedKeyMaterial",
            "AWS: key-state table, footnote [9] (UnsupportedOperationException for keys without imported material), [M] DeleteImportedKeyMaterial",
        ),
        (
            "deleting imported material",
            "AWS: [M] DeleteImportedKeyMaterial (state becomes PendingImport)",
        ),
        (
            "only the key's own material can be reimported",
            "AWS: IncorrectKeyMaterialException ([M] ImportKeyMaterial)",
        ),
        (
            "an import token is bound",
            "AWS: InvalidImportTokenException ([M] ImportKeyMaterial); that only the latest token is valid is a project decision (docs/decisions.md, import)",
        ),
        ("ImportKeyMaterial succeeds", "AWS: [M] ImportKeyMaterial"),
        (
            "rotation settings and ListKeyRotations after",
            "AWS for keys pending deletion (GetKeyRotationStatus false, [M], [DG23]); NextRotationDate after DisableKeyRotation or a repeated EnableKeyRotation is a project decision (docs/decisions.md, rotation)",
        ),
        (
            "rotation settings refused unless Enabled",
            "AWS: key-state table, footnotes [1]/[3]/[6]",
        ),
        (
            "rotation settings allowed while Enabled",
            "AWS: [M] EnableKeyRotation",
        ),
        (
            "rotation not manageable",
            "AWS: key-state table, footnotes [6]/[7]",
        ),
        (
            "no rotation status for EXTERNAL keys",
            "AWS: key-state table, footnote [6]",
        ),
        (
            "EnableKey/DisableKey refused",
            "AWS: key-state table, footnotes [3]/[5]",
        ),
        ("EnableKey/DisableKey allowed", "AWS: key-state table"),
        (
            "old ciphertext decrypts after rotation",
            "AWS: previous material is kept until the key is deleted ([DG23] rotate-keys)",
        ),
        (
            "ciphertext of a usable key decrypts",
            "AWS: [M] Decrypt, ReEncrypt",
        ),
        (
            "does not fail with an internal error",
            "AWS: KMSInternalException is a transient server fault ([M]); a deterministic failure of a valid request is not AWS behaviour",
        ),
        ("AWS JSON protocol", "AWS JSON 1.1 ([SMITHY], [M] metadata)"),
        ("RotateKeyOnDemand", "AWS: [M] RotateKeyOnDemand"),
        (
            "no alias to a key pending deletion",
            "AWS: key-state table, footnote [3]/[10]",
        ),
        (
            "alias names are unique",
            "AWS: AlreadyExistsException ([M] CreateAlias)",
        ),
        (
            "CreateAlias as the model",
            "AWS: the target must be a customer managed key not pending deletion ([M] CreateAlias, key-state table [3]); the exception for an AWS managed key target (UnsupportedOperationException) is a project decision (docs/decisions.md, AWS managed keys)",
        ),
        (
            "ExpirationModel and ValidTo are validated",
            "AWS: ValidTo required iff KEY_MATERIAL_EXPIRES, in the future, at most 365 days ahead ([M] ImportKeyMaterial, [DG23], [LS]); checking it after the token and the material is a project decision (docs/decisions.md, token checks)",
        ),
        (
            "import parameters are valid for 24 h",
            "AWS: the public key and token are valid for 24 hours ([M] GetParametersForImport, [DG23])",
        ),
        (
            "AWS managed key made on first use",
            "AWS: DescribeKey on a predefined alias/aws/<service> creates the AWS managed key ([M] DescribeKey, [DG23]); that any alias/aws/<name> and the cryptographic operations do so too is a project decision (docs/decisions.md, AWS managed keys)",
        ),
        (
            "GetKeyRotationStatus reports the rotation settings",
            "AWS: [M] GetKeyRotationStatus (KeyRotationEnabled, RotationPeriodInDays, NextRotationDate; false while PendingDeletion, [DG23])",
        ),
        (
            "on-demand rotation refused unless Enabled",
            "AWS: key-state table, RotateKeyOnDemand row (inferred: DisabledException while Disabled, KMSInvalidStateException while PendingDeletion or PendingImport; [M] error list, [LS 2025-03], [LS 2025-11])",
        ),
        (
            "no import while PendingDeletion",
            "AWS: key-state table, footnotes [8]/[9] (GetParametersForImport and ImportKeyMaterial refused while PendingDeletion); checking the state before the import token is a project decision (docs/decisions.md, order of checks 5 and 6)",
        ),
        (
            "key policy operations are allowed in every key state",
            "AWS: key-state table (PutKeyPolicy, GetKeyPolicy, ListKeyPolicies ✓ in every state)",
        ),
        (
            "a key policy must be a policy document",
            "AWS: MalformedPolicyDocumentException ([M] PutKeyPolicy errors); which texts are documents is this project's parser (docs/decisions.md, key policies)",
        ),
        (
            "without the bypass flag no key policy lets nobody call PutKeyPolicy",
            "AWS: without BypassPolicyLockoutSafetyCheck the new policy must allow the caller a later PutKeyPolicy ([M] PutKeyPolicy, CreateKey); the exception (MalformedPolicyDocumentException) is AWS's documented one for a refused policy",
        ),
        (
            "a Deny statement is never overridden",
            "AWS: IAM policy evaluation (an explicit Deny overrides every Allow), applied to the key's current policy; checking the current policy before the new document is a project decision (docs/decisions.md, key policies, order of checks)",
        ),
        (
            "no policy operation succeeds for a caller the policy does not allow",
            "AWS: the key policy is the primary access control of a key ([DG] key policies); an AWS managed key's policy cannot be changed by anyone; the caller is the account's root user (docs/decisions.md, key policies, the caller)",
        ),
        (
            "PutKeyPolicy changes exactly the policy",
            "AWS: [M] PutKeyPolicy attaches the policy; that GetKeyPolicy then answers it byte for byte is a project decision (docs/decisions.md, key policies)",
        ),
        (
            "GetKeyPolicy answers the key's policy",
            "AWS: [M] GetKeyPolicy; the default policy's text is AWS's as recorded (docs/decisions.md, default key policy)",
        ),
        (
            "ListKeyPolicies lists the one policy",
            "AWS: [M] ListKeyPolicies (the only policy name is default)",
        ),
    ];
    table
        .iter()
        .find(|(p, _)| rule.starts_with(p) || rule.contains(p))
        .map(|(_, b)| *b)
        .unwrap_or(SPEC_SECTION)
}

/// The basis of a rule that the spec states and AWS's documentation backs
/// without a caveat worth a sentence.
const SPEC_SECTION: &str = "the rule's section of shared/spec/lifecycle.md";

#[cfg(test)]
mod tests {
    use super::basis;

    /// The rules the LocalStack report showed with only the generic basis
    /// (issue 14) now say what they rest on.
    #[test]
    fn every_rule_of_the_localstack_report_names_its_basis() {
        for rule in [
            "CreateAlias as the model",
            "ExpirationModel and ValidTo are validated",
            "import parameters are valid for 24 h",
            "AWS managed key made on first use of alias/aws/<service>",
            "GetKeyRotationStatus reports the rotation settings",
            "no import while PendingDeletion",
            "on-demand rotation refused unless Enabled",
        ] {
            let b = basis(rule);
            assert!(b.starts_with("AWS"), "{rule}: {b}");
        }
    }

    /// A rule outside the spec's sections (the key policies) cannot fall
    /// back to "the rule's section of the spec": it names what it rests on.
    #[test]
    fn every_rule_without_a_spec_section_names_its_basis() {
        let mut checked = 0;
        for op in crate::wire::OPERATIONS {
            for named in super::super::missing::rules_needing(op) {
                let Some((rule, section)) = named.rsplit_once(" (") else {
                    continue;
                };
                if section.contains('§') {
                    continue;
                }
                checked += 1;
                assert_ne!(basis(rule), super::SPEC_SECTION, "{rule} ({section}");
            }
        }
        assert!(checked >= 7, "only {checked} rules without a spec section");
    }
}
