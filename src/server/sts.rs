//! STS over the AWS query protocol: `GetCallerIdentity` answers the root
//! user of the configured account ([`sts_query`]).

use super::listener::request_id;

/// An answer of the STS query protocol: status and XML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsResponse {
    /// 200 or 400.
    pub status: u16,
    /// `text/xml` body.
    pub body: String,
    /// The `RequestId` of the body, also sent as `x-amzn-RequestId`.
    pub request_id: String,
}

/// Whether a request is one of the AWS query protocol (STS): a form-encoded
/// body and no `X-Amz-Target`. The JSON protocol of KMS always names its
/// target.
pub fn is_query_protocol(target: Option<&str>, content_type: Option<&str>) -> bool {
    target.is_none()
        && content_type.is_some_and(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// STS over the query protocol (`Action=GetCallerIdentity&Version=2011-06-15`,
/// form-encoded): the caller is the root user of `account`, since the server
/// authenticates nobody. Every other action answers `InvalidAction`, a
/// missing or other `Version` `InvalidParameterValue`, as STS does.
pub fn sts_query(account: &str, body: &[u8]) -> StsResponse {
    let request_id = request_id();
    let error = |code: &str, message: &str| StsResponse {
        status: 400,
        body: format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(message),
        ),
        request_id: request_id.clone(),
    };
    let Ok(body) = std::str::from_utf8(body) else {
        return error(
            "MalformedQueryString",
            "The request body is not valid UTF-8.",
        );
    };
    let mut action = None;
    let mut version = None;
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (form_decode(k).as_deref(), form_decode(v)) {
            (Some("Action"), Some(v)) => action = Some(v),
            (Some("Version"), Some(v)) => version = Some(v),
            (Some(_), Some(_)) => {}
            _ => {
                return error(
                    "MalformedQueryString",
                    "The request body is not a valid form.",
                );
            }
        }
    }
    let Some(action) = action else {
        return error(
            "MissingAction",
            "Missing Action: this endpoint serves the STS query protocol (Action=GetCallerIdentity) and the AWS KMS JSON protocol (X-Amz-Target: TrentService.<Operation>).",
        );
    };
    if action != "GetCallerIdentity" {
        return error(
            "InvalidAction",
            &format!(
                "Could not find operation {} for version {}: of STS only GetCallerIdentity is served.",
                action,
                version.as_deref().unwrap_or("NO_VERSION_SPECIFIED")
            ),
        );
    }
    if version.as_deref() != Some("2011-06-15") {
        return error(
            "InvalidParameterValue",
            "Version must be 2011-06-15 for GetCallerIdentity.",
        );
    }
    let account = xml_escape(account);
    StsResponse {
        status: 200,
        body: format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:root</Arn><UserId>{account}</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        ),
        request_id,
    }
}

/// One `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` a byte; `None` for a bad escape or bytes that are not UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
