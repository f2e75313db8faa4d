use kms_lifecycle::key::{AwsKms, Key};
use std::collections::BTreeMap;

fn main() {
    let key = Key::<_, AwsKms>::create(0).disable();
    key.encrypt(b"secret", &BTreeMap::new());
}
