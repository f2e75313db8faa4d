//! Aliases: CreateAlias, UpdateAlias, DeleteAlias and ListAliases.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// CreateAlias and UpdateAlias.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AliasRequest {
    /// `alias/...`.
    pub alias_name: String,
    /// Key id or ARN.
    pub target_key_id: String,
}

/// DeleteAlias.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteAliasRequest {
    /// `alias/...`.
    pub alias_name: String,
}

/// ListAliases entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// `alias/...`.
    pub alias_name: String,
    /// Alias ARN.
    pub alias_arn: String,
    /// Key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// Created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<Timestamp>,
    /// Last re-pointed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<Timestamp>,
}

/// ListAliases' response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// Aliases sorted by name.
    pub aliases: Vec<AliasListEntry>,
    /// More pages.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
