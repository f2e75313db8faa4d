use kms_lifecycle::key::{External, Key, PendingImport};
use std::collections::BTreeMap;

fn main() {
    let key = Key::<PendingImport, External>::create(0);
    key.encrypt(b"secret", &BTreeMap::new());
}
