use kms_lifecycle::key::{Enabled, External, Key};

fn turn_on(mut key: Key<Enabled, External>) {
    key.enable_rotation(365, 0);
}

fn main() {
    let _ = turn_on;
}
