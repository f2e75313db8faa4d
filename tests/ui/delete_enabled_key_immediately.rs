use kms_lifecycle::key::{AwsKms, Key};

fn main() {
    // Only a key pending deletion can be deleted (at its DeletionDate).
    let key = Key::<_, AwsKms>::create(0);
    let _ = key.delete();
}
