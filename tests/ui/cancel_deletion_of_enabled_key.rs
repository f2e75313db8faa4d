use kms_lifecycle::key::{AwsKms, Key};

fn main() {
    let key = Key::<_, AwsKms>::create(0);
    let _ = key.cancel_deletion();
}
