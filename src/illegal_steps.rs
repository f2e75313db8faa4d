//! Illegal lifecycle steps do not compile (issue 2, item 2).
//!
//! Each item below holds one program that uses the typestate API in a way
//! spec §3 forbids, as a `compile_fail` doctest pinned to the compiler's error
//! code (E0599: the method does not exist in that state; E0382: the consumed
//! key is used again). Beside it, a twin that compiles and runs shows the same
//! method on a state that allows it, so the error cannot come from a misspelt
//! method or a missing import. `cargo test --doc` runs both; the module exists
//! only under `cfg(doctest)`.
//!
//! (These were trybuild tests; trybuild compiled every dependency a second
//! time in its own target directory, four to five minutes of each CI run.
//! Doctests link the library already built.)

/// CancelKeyDeletion of a key that is not pending deletion.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0);
/// let _ = key.cancel_deletion();
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0).schedule_deletion(0, 7);
/// let _ = key.cancel_deletion();
/// ```
pub struct CancelDeletionOfEnabledKey;

/// Decrypt with a key pending deletion.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{AwsKms, Key};
/// use std::collections::BTreeMap;
/// let key = Key::<_, AwsKms>::create(0);
/// let blob = key.encrypt(b"secret", &BTreeMap::new());
/// let key = key.schedule_deletion(0, 7);
/// let _ = key.decrypt(&blob, &BTreeMap::new());
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// use std::collections::BTreeMap;
/// let key = Key::<_, AwsKms>::create(0);
/// let blob = key.encrypt(b"secret", &BTreeMap::new());
/// assert!(key.decrypt(&blob, &BTreeMap::new()).is_ok());
/// ```
pub struct DecryptWithKeyPendingDeletion;

/// Only a key pending deletion can be deleted (at its DeletionDate).
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0);
/// let _ = key.delete();
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0).schedule_deletion(0, 7);
/// let _ = key.delete();
/// ```
pub struct DeleteEnabledKeyImmediately;

/// DeleteImportedKeyMaterial of a key with AWS_KMS origin.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{AwsKms, Key, MaterialSlot};
/// let key = Key::<_, AwsKms>::create(0).disable();
/// let _ = key.delete_material(MaterialSlot::Version(1));
/// ```
/// ```
/// use kms_lifecycle::api::ExpirationModel;
/// use kms_lifecycle::key::{External, ImportOutcome, ImportedMaterial, Key, MaterialSlot, PendingImport};
/// let key = Key::<PendingImport, External>::create(0);
/// let material = ImportedMaterial::new(
///     &key.id(), &[7; 32], ExpirationModel::KeyMaterialDoesNotExpire, None);
/// let ImportOutcome::Enabled(key) = key.import_material(material) else { panic!() };
/// let slot = key.current_slot().unwrap();
/// assert!(key.disable().delete_material(slot).is_ok());
/// ```
pub struct DeleteMaterialOfAwsKmsKey;

/// DisableKey of a key pending import.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{External, Key, PendingImport};
/// let key = Key::<PendingImport, External>::create(0);
/// let _ = key.disable();
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// let _ = Key::<_, AwsKms>::create(0).disable();
/// ```
pub struct DisableKeyPendingImport;

/// EnableKey of a key pending deletion.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0).schedule_deletion(0, 7);
/// let _ = key.enable(1);
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// let _ = Key::<_, AwsKms>::create(0).disable().enable(1);
/// ```
pub struct EnableKeyPendingDeletion;

/// Automatic rotation of an imported (EXTERNAL) key cannot be turned on.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{Enabled, External, Key};
/// fn turn_on(mut key: Key<Enabled, External>) {
///     key.enable_rotation(365, 0);
/// }
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// let mut key = Key::<_, AwsKms>::create(0);
/// key.enable_rotation(365, 0);
/// ```
pub struct EnableRotationOfImportedKey;

/// Encrypt with a disabled key.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{AwsKms, Key};
/// use std::collections::BTreeMap;
/// let key = Key::<_, AwsKms>::create(0).disable();
/// key.encrypt(b"secret", &BTreeMap::new());
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// use std::collections::BTreeMap;
/// let key = Key::<_, AwsKms>::create(0).disable().enable(1);
/// key.encrypt(b"secret", &BTreeMap::new());
/// ```
pub struct EncryptWithDisabledKey;

/// Encrypt with a key pending import.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{External, Key, PendingImport};
/// use std::collections::BTreeMap;
/// let key = Key::<PendingImport, External>::create(0);
/// key.encrypt(b"secret", &BTreeMap::new());
/// ```
/// ```
/// use kms_lifecycle::api::ExpirationModel;
/// use kms_lifecycle::key::{External, ImportOutcome, ImportedMaterial, Key, PendingImport};
/// use std::collections::BTreeMap;
/// let key = Key::<PendingImport, External>::create(0);
/// let material = ImportedMaterial::new(
///     &key.id(), &[7; 32], ExpirationModel::KeyMaterialDoesNotExpire, None);
/// let ImportOutcome::Enabled(key) = key.import_material(material) else { panic!() };
/// key.encrypt(b"secret", &BTreeMap::new());
/// ```
pub struct EncryptWithPendingImportKey;

/// ImportKeyMaterial into a key with AWS_KMS origin.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::api::ExpirationModel;
/// use kms_lifecycle::key::{AwsKms, ImportedMaterial, Key};
/// let key = Key::<_, AwsKms>::create(0);
/// let material = ImportedMaterial::new(
///     &key.id(), &[7; 32], ExpirationModel::KeyMaterialDoesNotExpire, None);
/// let _ = key.import_material(material);
/// ```
/// (The twin is the import in [`EncryptWithPendingImportKey`].)
pub struct ImportIntoAwsKmsKey;

/// RotateKeyOnDemand of a disabled key.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::api::RotationType;
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0).disable();
/// let _ = key.rotate(1, RotationType::OnDemand);
/// ```
/// ```
/// use kms_lifecycle::api::RotationType;
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0);
/// assert_eq!(key.rotate(1, RotationType::OnDemand).versions(), 2);
/// ```
pub struct RotateDisabledKey;

/// Imported keys never rotate automatically (spec §4).
///
/// ```compile_fail,E0599
/// use kms_lifecycle::api::RotationType;
/// use kms_lifecycle::key::{Enabled, External, Key};
/// fn yearly(key: Key<Enabled, External>) -> Key<Enabled, External> {
///     key.rotate(365, RotationType::Automatic)
/// }
/// ```
/// ```
/// use kms_lifecycle::api::RotationType;
/// use kms_lifecycle::key::{AwsKms, Enabled, Key};
/// fn yearly(key: Key<Enabled, AwsKms>) -> Key<Enabled, AwsKms> {
///     key.rotate(365, RotationType::Automatic)
/// }
/// let _ = yearly(Key::<_, AwsKms>::create(0));
/// ```
pub struct RotateImportedKeyAutomatically;

/// Rotation of a key pending deletion.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::api::RotationType;
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0).schedule_deletion(0, 30);
/// let _ = key.rotate(1, RotationType::Automatic);
/// ```
/// (The twin is the rotation in [`RotateDisabledKey`].)
pub struct RotateKeyPendingDeletion;

/// ScheduleKeyDeletion of a key already pending deletion.
///
/// ```compile_fail,E0599
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0).schedule_deletion(0, 7);
/// let _ = key.schedule_deletion(0, 30);
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// let key = Key::<_, AwsKms>::create(0).disable();
/// let _ = key.schedule_deletion(0, 30);
/// ```
pub struct ScheduleDeletionTwice;

/// A key consumed by a transition cannot be used again.
///
/// ```compile_fail,E0382
/// use kms_lifecycle::key::{AwsKms, Key};
/// use std::collections::BTreeMap;
/// let key = Key::<_, AwsKms>::create(0);
/// let _disabled = key.disable();
/// key.encrypt(b"secret", &BTreeMap::new());
/// ```
/// ```
/// use kms_lifecycle::key::{AwsKms, Key};
/// use std::collections::BTreeMap;
/// let key = Key::<_, AwsKms>::create(0);
/// key.encrypt(b"secret", &BTreeMap::new());
/// let _disabled = key.disable();
/// ```
pub struct UseAfterTransition;
