use kms_lifecycle::key::{AwsKms, Key};
use std::collections::BTreeMap;

fn main() {
    let key = Key::<_, AwsKms>::create(0);
    let blob = key.encrypt(b"secret", &BTreeMap::new());
    let key = key.schedule_deletion(0, 7);
    let _ = key.decrypt(&blob, &BTreeMap::new());
}
