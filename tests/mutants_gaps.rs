//! Tests added for mutants that survived the rest of the suite
//! (docs/verification.md, "Mutation testing"): the exact boundaries of
//! `crypto::parse_ciphertext`, seen through the order of Decrypt's checks
//! (decisions.md, Decrypt: a blob that is not ours is InvalidCiphertext before
//! any key is looked at; one of ours names a key whose state is checked before
//! authentication).

mod common;

use common::*;
use kms_lifecycle::Rules;
use kms_lifecycle::api::*;
use kms_lifecycle::crypto::HEADER_LEN;

const TAG_LEN: usize = 16;

fn disabled_key_ciphertext() -> (kms_lifecycle::Kms, Vec<u8>) {
    let (mut kms, _clock) = store(Rules::classic());
    let key = create(&mut kms).key_id;
    let blob = encrypt(&mut kms, &key, b"secret");
    kms.disable_key(KeyIdRequest::new(&key)).unwrap();
    (kms, blob)
}

/// Only the magic byte wrong: not ours (mutant `||` → `&&`, crypto.rs:196).
#[test]
fn wrong_magic_alone_is_not_ours() {
    let (mut kms, mut blob) = disabled_key_ciphertext();
    assert_err_name(decrypt(&mut kms, &blob), "DisabledException");
    blob[0] ^= 0xff;
    assert_err_name(decrypt(&mut kms, &blob), "InvalidCiphertextException");
}

/// Only the format version wrong: not ours either.
#[test]
fn wrong_version_alone_is_not_ours() {
    let (mut kms, mut blob) = disabled_key_ciphertext();
    blob[1] ^= 0xff;
    assert_err_name(decrypt(&mut kms, &blob), "InvalidCiphertextException");
}

/// A header and a tag with nothing between them (the shortest blob that can
/// be ours) names its key: the Disabled key answers first. One byte shorter is
/// not ours (mutant `<` → `<=`, crypto.rs:196).
#[test]
fn shortest_blob_is_parsed_one_shorter_is_not() {
    let (mut kms, blob) = disabled_key_ciphertext();
    let mut shortest = blob[..HEADER_LEN].to_vec();
    shortest.extend([0u8; TAG_LEN]);
    assert_err_name(decrypt(&mut kms, &shortest), "DisabledException");
    shortest.pop();
    assert_err_name(decrypt(&mut kms, &shortest), "InvalidCiphertextException");
}
