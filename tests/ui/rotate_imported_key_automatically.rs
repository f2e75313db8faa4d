use kms_lifecycle::api::RotationType;
use kms_lifecycle::key::{Enabled, External, Key};

// Imported keys never rotate automatically (spec §4).
fn yearly(key: Key<Enabled, External>) -> Key<Enabled, External> {
    key.rotate(365, RotationType::Automatic)
}

fn main() {
    let _ = yearly;
}
