//! Unit tests of the policy language: grammar, validation errors, operators,
//! wildcards, Deny precedence, delegation to IAM, the lockout check.
//!
//! The shared fixtures are here; the tests are grouped by behaviour in the
//! submodules.

mod conditions;
mod grammar;
mod lockout;
mod principals;
mod validation;
mod wildcards;

use std::collections::BTreeMap;

use super::*;

const ACCOUNT: &str = "111122223333";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const USER_A: &str = "arn:aws:iam::111122223333:user/A";
const USER_B: &str = "arn:aws:iam::111122223333:user/B";

fn key_policy(statements: &str) -> Document {
    Document::parse(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
    ))
    .unwrap_or_else(|e| panic!("policy should parse: {e}"))
}

fn iam(statements: &str) -> Document {
    Document::parse_identity_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
    ))
    .unwrap_or_else(|e| panic!("IAM policy should parse: {e}"))
}

fn user(arn: &str, policies: Vec<Document>) -> Principal {
    Principal::new(arn, policies).unwrap()
}

fn err(text: &str) -> KmsError {
    Document::parse(text).expect_err("policy should be refused")
}

fn statement_err(statement: &str) -> KmsError {
    err(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#
    ))
}

/// The default key policy of programmatically created keys: the account root
/// gets kms:*, which delegates to IAM.
fn default_policy() -> Document {
    key_policy(
        r#"{"Sid":"Enable IAM User Permissions","Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#,
    )
}

fn iam_allow_all() -> Document {
    iam(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#)
}

fn ctx() -> RequestContext<'static> {
    RequestContext::new(KEY)
}

fn ec(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
