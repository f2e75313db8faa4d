#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The AWS KMS operations of this crate, one line each: `method("Operation",
/// Request) -> Response;`. Hands the table to a macro, so the oracle's trait
/// and its HTTP client are generated from one list.
#[doc(hidden)]
#[macro_export]
macro_rules! with_kms_operations {
    ($callback:ident) => {
        $callback! {
            create_key("CreateKey", CreateKeyRequest) -> KeyMetadataResponse;
            describe_key("DescribeKey", KeyIdRequest) -> KeyMetadataResponse;
            list_keys("ListKeys", ListRequest) -> ListKeysResponse;
            update_key_description("UpdateKeyDescription", UpdateKeyDescriptionRequest) -> Empty;
            tag_resource("TagResource", TagResourceRequest) -> Empty;
            untag_resource("UntagResource", UntagResourceRequest) -> Empty;
            list_resource_tags("ListResourceTags", KeyIdRequest) -> ListResourceTagsResponse;
            enable_key("EnableKey", KeyIdRequest) -> Empty;
            disable_key("DisableKey", KeyIdRequest) -> Empty;
            encrypt("Encrypt", EncryptRequest) -> EncryptResponse;
            decrypt("Decrypt", DecryptRequest) -> DecryptResponse;
            re_encrypt("ReEncrypt", ReEncryptRequest) -> ReEncryptResponse;
            generate_data_key("GenerateDataKey", GenerateDataKeyRequest) -> GenerateDataKeyResponse;
            generate_data_key_without_plaintext("GenerateDataKeyWithoutPlaintext", GenerateDataKeyRequest) -> GenerateDataKeyResponse;
            enable_key_rotation("EnableKeyRotation", EnableKeyRotationRequest) -> Empty;
            disable_key_rotation("DisableKeyRotation", KeyIdRequest) -> Empty;
            get_key_rotation_status("GetKeyRotationStatus", KeyIdRequest) -> GetKeyRotationStatusResponse;
            rotate_key_on_demand("RotateKeyOnDemand", KeyIdRequest) -> KeyIdResponse;
            list_key_rotations("ListKeyRotations", ListKeyRotationsRequest) -> ListKeyRotationsResponse;
            schedule_key_deletion("ScheduleKeyDeletion", ScheduleKeyDeletionRequest) -> ScheduleKeyDeletionResponse;
            cancel_key_deletion("CancelKeyDeletion", KeyIdRequest) -> KeyIdResponse;
            get_parameters_for_import("GetParametersForImport", GetParametersForImportRequest) -> GetParametersForImportResponse;
            import_key_material("ImportKeyMaterial", ImportKeyMaterialRequest) -> ImportKeyMaterialResponse;
            delete_imported_key_material("DeleteImportedKeyMaterial", DeleteImportedKeyMaterialRequest) -> ImportKeyMaterialResponse;
            create_alias("CreateAlias", AliasRequest) -> Empty;
            update_alias("UpdateAlias", AliasRequest) -> Empty;
            delete_alias("DeleteAlias", DeleteAliasRequest) -> Empty;
            list_aliases("ListAliases", ListRequest) -> ListAliasesResponse;
            get_key_policy("GetKeyPolicy", GetKeyPolicyRequest) -> GetKeyPolicyResponse;
            put_key_policy("PutKeyPolicy", PutKeyPolicyRequest) -> Empty;
            list_key_policies("ListKeyPolicies", ListKeyPoliciesRequest) -> ListKeyPoliciesResponse;
        }
    };
}

pub mod api;
pub mod args;
pub mod audit;
#[cfg(feature = "server")]
pub mod authz;
#[cfg(feature = "test-bugs")]
pub mod bugs;
pub mod clock;
#[cfg(feature = "conform")]
pub mod conform;
pub mod crypto;
#[cfg(feature = "durable")]
pub mod durable;
pub mod error;
pub mod fuzzing;
#[cfg(doctest)]
pub mod illegal_steps;
pub mod import;
pub mod key;
pub mod policy;
pub mod rules;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{KmsError, KmsResult, StateRefusal};
pub use rules::Rules;
pub use store::{AnyKey, Kms, KmsBuilder};
#[cfg(feature = "server")]
pub mod server;
pub mod wire;
