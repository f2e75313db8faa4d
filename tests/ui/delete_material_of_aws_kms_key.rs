use kms_lifecycle::key::{AwsKms, Key};

fn main() {
    let key = Key::<_, AwsKms>::create(0).disable();
    let _ = key.delete_material();
}
