#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The AWS KMS operations of this crate, one line each, in the order of the
/// AWS API reference: `method("Operation", Request, MEMBERS) -> Response;`,
/// where `MEMBERS` names the request's wire members (`wire::members`).
/// Hands the table to a macro, so the server's dispatch, the oracle's trait,
/// its HTTP client and the other per-operation lists are generated from one
/// list.
#[doc(hidden)]
#[macro_export]
macro_rules! with_kms_operations {
    ($callback:ident) => {
        $callback! {
            cancel_key_deletion("CancelKeyDeletion", KeyIdRequest, KEY_ID_ONLY) -> KeyIdResponse;
            create_alias("CreateAlias", AliasRequest, ALIAS) -> Empty;
            create_key("CreateKey", CreateKeyRequest, CREATE_KEY) -> KeyMetadataResponse;
            decrypt("Decrypt", DecryptRequest, DECRYPT) -> DecryptResponse;
            delete_alias("DeleteAlias", DeleteAliasRequest, DELETE_ALIAS) -> Empty;
            delete_imported_key_material("DeleteImportedKeyMaterial", DeleteImportedKeyMaterialRequest, DELETE_IMPORTED_KEY_MATERIAL) -> ImportKeyMaterialResponse;
            describe_key("DescribeKey", KeyIdRequest, KEY_ID_ONLY) -> KeyMetadataResponse;
            disable_key("DisableKey", KeyIdRequest, KEY_ID_ONLY) -> Empty;
            disable_key_rotation("DisableKeyRotation", KeyIdRequest, KEY_ID_ONLY) -> Empty;
            enable_key("EnableKey", KeyIdRequest, KEY_ID_ONLY) -> Empty;
            enable_key_rotation("EnableKeyRotation", EnableKeyRotationRequest, ENABLE_KEY_ROTATION) -> Empty;
            encrypt("Encrypt", EncryptRequest, ENCRYPT) -> EncryptResponse;
            generate_data_key("GenerateDataKey", GenerateDataKeyRequest, GENERATE_DATA_KEY) -> GenerateDataKeyResponse;
            generate_data_key_without_plaintext("GenerateDataKeyWithoutPlaintext", GenerateDataKeyRequest, GENERATE_DATA_KEY) -> GenerateDataKeyResponse;
            get_key_policy("GetKeyPolicy", GetKeyPolicyRequest, GET_KEY_POLICY) -> GetKeyPolicyResponse;
            get_key_rotation_status("GetKeyRotationStatus", KeyIdRequest, KEY_ID_ONLY) -> GetKeyRotationStatusResponse;
            get_parameters_for_import("GetParametersForImport", GetParametersForImportRequest, GET_PARAMETERS_FOR_IMPORT) -> GetParametersForImportResponse;
            import_key_material("ImportKeyMaterial", ImportKeyMaterialRequest, IMPORT_KEY_MATERIAL) -> ImportKeyMaterialResponse;
            list_aliases("ListAliases", ListRequest, LIST_ALIASES) -> ListAliasesResponse;
            list_key_policies("ListKeyPolicies", ListKeyPoliciesRequest, LIST_BY_KEY) -> ListKeyPoliciesResponse;
            list_key_rotations("ListKeyRotations", ListKeyRotationsRequest, LIST_KEY_ROTATIONS) -> ListKeyRotationsResponse;
            list_keys("ListKeys", ListRequest, LIST) -> ListKeysResponse;
            list_resource_tags("ListResourceTags", KeyIdRequest, LIST_BY_KEY) -> ListResourceTagsResponse;
            put_key_policy("PutKeyPolicy", PutKeyPolicyRequest, PUT_KEY_POLICY) -> Empty;
            re_encrypt("ReEncrypt", ReEncryptRequest, RE_ENCRYPT) -> ReEncryptResponse;
            rotate_key_on_demand("RotateKeyOnDemand", KeyIdRequest, KEY_ID_ONLY) -> KeyIdResponse;
            schedule_key_deletion("ScheduleKeyDeletion", ScheduleKeyDeletionRequest, SCHEDULE_KEY_DELETION) -> ScheduleKeyDeletionResponse;
            tag_resource("TagResource", TagResourceRequest, TAG_RESOURCE) -> Empty;
            untag_resource("UntagResource", UntagResourceRequest, UNTAG_RESOURCE) -> Empty;
            update_alias("UpdateAlias", AliasRequest, ALIAS) -> Empty;
            update_key_description("UpdateKeyDescription", UpdateKeyDescriptionRequest, UPDATE_KEY_DESCRIPTION) -> Empty;
        }
    };
}

pub mod api;
pub mod args;
pub mod audit;
#[cfg(feature = "server")]
pub mod authz;
// The planted bugs' one hook, `Bugs::has`, is compiled always and is false
// by construction without feature `test-bugs`; with it the module is public
// as `testing::bugs` (`Kms::plant_bugs`).
mod bugs;
pub mod clock;
#[cfg(feature = "conform")]
pub mod conform;
pub mod crypto;
#[cfg(feature = "durable")]
pub mod durable;
pub mod error;
pub mod ids;
#[cfg(doctest)]
pub mod illegal_steps;
pub mod import;
pub mod key;
pub mod policy;
pub mod rules;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{KmsError, KmsResult, StateRefusal};
pub use rules::Rules;
pub use store::{AnyKey, Kms, KmsBuilder};
#[cfg(feature = "server")]
pub mod server;
pub mod wire;
