use kms_lifecycle::key::{AwsKms, Key};
use std::collections::BTreeMap;

fn main() {
    let key = Key::<_, AwsKms>::create(0);
    let _disabled = key.disable();
    // The Enabled key was consumed by the transition.
    key.encrypt(b"secret", &BTreeMap::new());
}
