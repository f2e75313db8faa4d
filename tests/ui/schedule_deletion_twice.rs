use kms_lifecycle::key::{AwsKms, Key};

fn main() {
    let key = Key::<_, AwsKms>::create(0).schedule_deletion(0, 7);
    let _ = key.schedule_deletion(0, 30);
}
