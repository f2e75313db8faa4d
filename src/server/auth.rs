//! SigV4 authentication of a request in identities mode (`--identities`).

use crate::authz::{self, Identities, sigv4};

/// What an authenticated request is.
pub(super) enum Authenticated<'i> {
    /// A KMS (or clock) request signed for service `kms`.
    Kms(&'i authz::Identity),
    /// STS GetCallerIdentity signed for service `sts`.
    CallerIdentity(&'i authz::Identity),
}

/// Verifies the SigV4 signature of a request (identities mode).
pub(super) fn authenticate<'i>(
    ids: &'i Identities,
    region: &str,
    parts: &hyper::http::request::Parts,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Authenticated<'i>, sigv4::AuthError> {
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let request = sigv4::IncomingRequest {
        method: parts.method.as_str(),
        path_and_query: path,
        headers: &headers,
        body,
    };
    let now = std::time::SystemTime::now();
    if parts.headers.get("x-amz-target").is_none()
        && authz::is_get_caller_identity(content_type, body)
    {
        sigv4::verify(ids, &request, region, "sts", now).map(Authenticated::CallerIdentity)
    } else {
        sigv4::verify(ids, &request, region, "kms", now).map(Authenticated::Kms)
    }
}
