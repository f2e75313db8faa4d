use kms_lifecycle::key::{External, Key, PendingImport};

fn main() {
    let key = Key::<PendingImport, External>::create(0);
    let _ = key.disable();
}
