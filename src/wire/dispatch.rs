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

macro_rules! operation_names {
    ($( $method:ident ( $op:literal, $req:ty, $members:ident ) -> $resp:ty ;)+) => {
        &[$($op),+]
    };
}

/// The AWS KMS operations served, in the order of the AWS API reference
/// (generated from the crate's operation table, `with_kms_operations!`).
pub const OPERATIONS: &[&str] = crate::with_kms_operations!(operation_names);

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

macro_rules! dispatch_table {
    ($( $method:ident ( $op:literal, $req:ty, $members:ident ) -> $resp:ty ;)+) => {
        /// [`dispatch`] on a store reached through `store` (see [`WithStore`]).
        pub fn dispatch_with(store: &impl WithStore, operation: &str, body: &[u8]) -> WireResponse {
            // The one operation whose paging is this layer's, not the store's.
            if operation == "ListResourceTags" {
                return list_resource_tags(store, body);
            }
            match operation {
                $( $op => call(body, $members, |r: $req| store.with_store(|kms| kms.$method(r))), )+
                other => WireResponse::error(
                    400,
                    "UnknownOperationException",
                    &format!("Unknown operation TrentService.{}", other.escape_default()),
                ),
            }
        }
    };
}

crate::with_kms_operations!(dispatch_table);

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
