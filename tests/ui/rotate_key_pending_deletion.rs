use kms_lifecycle::api::RotationType;
use kms_lifecycle::key::{AwsKms, Key};

fn main() {
    let key = Key::<_, AwsKms>::create(0).schedule_deletion(0, 30);
    let _ = key.rotate(1, RotationType::Automatic);
}
