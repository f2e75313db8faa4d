use kms_lifecycle::api::ExpirationModel;
use kms_lifecycle::key::{AwsKms, ImportedMaterial, Key};

fn main() {
    let key = Key::<_, AwsKms>::create(0);
    let material = ImportedMaterial::new(
        &key.id_bytes(),
        &[7; 32],
        ExpirationModel::KeyMaterialDoesNotExpire,
        None,
    );
    let _ = key.import_material(material);
}
