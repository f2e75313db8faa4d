//! Dispatch: the AWS KMS operations served ([`OPERATIONS`]), each decoded,
//! run on the store ([`WithStore`]) and encoded.

use super::WireResponse;
use super::members::{
    ALIAS, CREATE_KEY, DECRYPT, DELETE_ALIAS, DELETE_IMPORTED_KEY_MATERIAL, Decoded,
    ENABLE_KEY_ROTATION, ENCRYPT, GENERATE_DATA_KEY, GET_KEY_POLICY, GET_PARAMETERS_FOR_IMPORT,
    IMPORT_KEY_MATERIAL, KEY_ID_ONLY, LIST, LIST_ALIASES, LIST_BY_KEY, LIST_KEY_ROTATIONS, Member,
    PUT_KEY_POLICY, RE_ENCRYPT, SCHEDULE_KEY_DELETION, TAG_RESOURCE, UNTAG_RESOURCE,
    UPDATE_KEY_DESCRIPTION,
};
use super::parse::{parse_body, parse_request};
use crate::api::*;
use crate::error::KmsError;
use crate::store::Kms;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn call<Req: DeserializeOwned + Decoded, Resp: Serialize>(
    body: &[u8],
    members: &[Member],
    f: impl FnOnce(Req) -> Result<Resp, KmsError>,
) -> WireResponse {
    match parse_request::<Req>(body, members) {
        Ok(req) => match f(req) {
            Ok(resp) => WireResponse::ok(&resp),
            Err(e) => WireResponse::from_kms_error(&e),
        },
        Err(r) => r,
    }
}

/// The AWS KMS operations served, in the order of the AWS API reference.
pub const OPERATIONS: &[&str] = &[
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "ListAliases",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "PutKeyPolicy",
    "ReEncrypt",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
];

/// Access to the store for one call: [`dispatch_with`] decodes and validates
/// the request first, runs only the store's operation inside
/// [`WithStore::with_store`], and encodes the response after it. The server
/// implements it with its lock, so that the lock covers the state transition
/// and nothing else.
pub trait WithStore {
    /// Runs `f` on the store.
    fn with_store<R>(&self, f: impl FnOnce(&mut Kms) -> R) -> R;
}

struct Exclusive<'a>(std::cell::RefCell<&'a mut Kms>);

impl WithStore for Exclusive<'_> {
    fn with_store<R>(&self, f: impl FnOnce(&mut Kms) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }
}

/// Runs one AWS KMS operation (`operation` without the `TrentService.`
/// prefix) on `kms`. Unknown operations answer `UnknownOperationException`.
pub fn dispatch(kms: &mut Kms, operation: &str, body: &[u8]) -> WireResponse {
    dispatch_with(&Exclusive(std::cell::RefCell::new(kms)), operation, body)
}

/// [`dispatch`] on a store reached through `store` (see [`WithStore`]).
pub fn dispatch_with(store: &impl WithStore, operation: &str, body: &[u8]) -> WireResponse {
    match operation {
        "CreateKey" => call(body, CREATE_KEY, |r| {
            store.with_store(|kms| kms.create_key(r))
        }),
        "DescribeKey" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.describe_key(r))
        }),
        "ListKeys" => call(body, LIST, |r| store.with_store(|kms| kms.list_keys(r))),
        "UpdateKeyDescription" => call(body, UPDATE_KEY_DESCRIPTION, |r| {
            store.with_store(|kms| kms.update_key_description(r))
        }),
        "TagResource" => call(body, TAG_RESOURCE, |r| {
            store.with_store(|kms| kms.tag_resource(r))
        }),
        "UntagResource" => call(body, UNTAG_RESOURCE, |r| {
            store.with_store(|kms| kms.untag_resource(r))
        }),
        "ListResourceTags" => list_resource_tags(store, body),
        "EnableKey" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.enable_key(r))
        }),
        "DisableKey" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.disable_key(r))
        }),
        "Encrypt" => call(body, ENCRYPT, |r| store.with_store(|kms| kms.encrypt(r))),
        "Decrypt" => call(body, DECRYPT, |r| store.with_store(|kms| kms.decrypt(r))),
        "ReEncrypt" => call(body, RE_ENCRYPT, |r| {
            store.with_store(|kms| kms.re_encrypt(r))
        }),
        "GenerateDataKey" => call(body, GENERATE_DATA_KEY, |r| {
            store.with_store(|kms| kms.generate_data_key(r))
        }),
        "GenerateDataKeyWithoutPlaintext" => call(body, GENERATE_DATA_KEY, |r| {
            store.with_store(|kms| kms.generate_data_key_without_plaintext(r))
        }),
        "EnableKeyRotation" => call(body, ENABLE_KEY_ROTATION, |r| {
            store.with_store(|kms| kms.enable_key_rotation(r))
        }),
        "DisableKeyRotation" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.disable_key_rotation(r))
        }),
        "GetKeyRotationStatus" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.get_key_rotation_status(r))
        }),
        "RotateKeyOnDemand" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.rotate_key_on_demand(r))
        }),
        "ListKeyRotations" => call(body, LIST_KEY_ROTATIONS, |r| {
            store.with_store(|kms| kms.list_key_rotations(r))
        }),
        "ScheduleKeyDeletion" => call(body, SCHEDULE_KEY_DELETION, |r| {
            store.with_store(|kms| kms.schedule_key_deletion(r))
        }),
        "CancelKeyDeletion" => call(body, KEY_ID_ONLY, |r| {
            store.with_store(|kms| kms.cancel_key_deletion(r))
        }),
        "GetParametersForImport" => call(body, GET_PARAMETERS_FOR_IMPORT, |r| {
            store.with_store(|kms| kms.get_parameters_for_import(r))
        }),
        "ImportKeyMaterial" => call(body, IMPORT_KEY_MATERIAL, |r| {
            store.with_store(|kms| kms.import_key_material(r))
        }),
        "DeleteImportedKeyMaterial" => call(body, DELETE_IMPORTED_KEY_MATERIAL, |r| {
            store.with_store(|kms| kms.delete_imported_key_material(r))
        }),
        "CreateAlias" => call(body, ALIAS, |r| store.with_store(|kms| kms.create_alias(r))),
        "UpdateAlias" => call(body, ALIAS, |r| store.with_store(|kms| kms.update_alias(r))),
        "DeleteAlias" => call(body, DELETE_ALIAS, |r| {
            store.with_store(|kms| kms.delete_alias(r))
        }),
        "ListAliases" => call(body, LIST_ALIASES, |r| {
            store.with_store(|kms| kms.list_aliases(r))
        }),
        "GetKeyPolicy" => call(body, GET_KEY_POLICY, |r| {
            store.with_store(|kms| kms.get_key_policy(r))
        }),
        "PutKeyPolicy" => call(body, PUT_KEY_POLICY, |r| {
            store.with_store(|kms| kms.put_key_policy(r))
        }),
        "ListKeyPolicies" => call(body, LIST_BY_KEY, |r| {
            store.with_store(|kms| kms.list_key_policies(r))
        }),
        other => WireResponse::error(
            400,
            "UnknownOperationException",
            &format!("Unknown operation TrentService.{}", other.escape_default()),
        ),
    }
}

/// ListResourceTags with AWS's paging: `Limit` 1–50, default 50 (the service
/// model allows up to 1000; more than 50 lists 50), `Marker` the
/// `NextMarker` of the previous page. The store lists every tag of the key;
/// this layer cuts the page, as the store's typed request has no paging.
fn list_resource_tags(store: &impl WithStore, body: &[u8]) -> WireResponse {
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "PascalCase", default)]
    struct Page {
        limit: Option<i64>,
        marker: Option<String>,
    }
    let page = match parse_body::<Page>(body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let req = match parse_request::<KeyIdRequest>(body, LIST_BY_KEY) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let limit = match page.limit {
        None => 50,
        Some(l) if (1..=1000).contains(&l) => (l as usize).min(50),
        Some(l) => {
            return WireResponse::from_kms_error(&KmsError::validation(
                "limit",
                l,
                "Member must have value between 1 and 1000",
            ));
        }
    };
    let start = match &page.marker {
        None => 0,
        Some(m) => match m.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                return WireResponse::from_kms_error(&KmsError::ValidationException(format!(
                    "Invalid marker '{}'",
                    m.escape_default()
                )));
            }
        },
    };
    match store.with_store(|kms| kms.list_resource_tags(req)) {
        Ok(all) => {
            let end = start.saturating_add(limit).min(all.tags.len());
            let tags = all.tags.get(start..end).unwrap_or_default();
            let truncated = end < all.tags.len();
            let mut v = serde_json::json!({ "Tags": tags, "Truncated": truncated });
            if truncated {
                v["NextMarker"] = serde_json::Value::String(end.to_string());
            }
            WireResponse::ok(&v)
        }
        Err(e) => WireResponse::from_kms_error(&e),
    }
}
