//! SigV4 verification of incoming requests (`AWS4-HMAC-SHA256` in the
//! `Authorization` header).
//!
//! The expected signature is computed by `aws-sigv4`, AWS's maintained signing
//! crate, from the request as received (method, path, the headers the client
//! listed in `SignedHeaders`, body) and the secret key of the access key id in
//! the credential scope; it is compared with the given one in constant time.
//! Errors are AWS's (`__type` and message) and never contain a secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use subtle::ConstantTimeEq;

use super::identities::{Identities, Identity};
use crate::wire::WireResponse;

/// How far the request's `X-Amz-Date` may be from the server's wall clock
/// (AWS: 15 minutes).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// A request as it arrived, for verification.
#[derive(Clone, Copy, Debug)]
pub struct IncomingRequest<'a> {
    /// `POST`.
    pub method: &'a str,
    /// Path and query, e.g. `/`.
    pub path_and_query: &'a str,
    /// Every header (name, value); names in any case.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

impl IncomingRequest<'_> {
    fn header_values<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request was not authenticated: AWS's exception name and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    /// `__type`.
    pub kind: &'static str,
    /// `message`.
    pub message: String,
}

impl AuthError {
    fn new(kind: &'static str, message: impl Into<String>) -> Self {
        AuthError {
            kind,
            message: message.into(),
        }
    }
    fn incomplete(message: impl Into<String>) -> Self {
        Self::new("IncompleteSignatureException", message)
    }
    fn invalid(message: impl Into<String>) -> Self {
        Self::new("InvalidSignatureException", message)
    }
    /// The 400 response.
    pub fn to_response(&self) -> WireResponse {
        WireResponse::error(400, self.kind, &self.message)
    }
}

/// AWS's message for a signature that does not match.
pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
     signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
     service documentation for details.";

/// Verifies the SigV4 signature of `request` for `service` in `region`,
/// against the wall clock `now`; returns the identity that signed it.
pub fn verify<'i>(
    identities: &'i Identities,
    request: &IncomingRequest<'_>,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<&'i Identity, AuthError> {
    let auth = request
        .header_values("authorization")
        .next()
        .ok_or_else(|| {
            AuthError::new(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )
        })?;
    let parts = parse_authorization(auth)?;
    let identity = identities
        .by_access_key(parts.access_key_id)
        .ok_or_else(|| {
            AuthError::new(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        })?;
    let amz_date = request.header_values("x-amz-date").next().ok_or_else(|| {
        AuthError::incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        AuthError::incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'.",
            amz_date.escape_default()
        ))
    })?;
    if parts.date != &amz_date[..8] {
        return Err(AuthError::invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            parts.date.escape_default(),
            &amz_date[..8],
            amz_date
        )));
    }
    let skew = match now.duration_since(signed_at) {
        Ok(behind) => behind,
        Err(ahead) => ahead.duration(),
    };
    if skew > MAX_SKEW {
        return Err(AuthError::invalid(format!(
            "Signature expired or not yet valid: {amz_date} is more than 15 minutes from the server's time {}.",
            format_amz_date(now)
        )));
    }
    if parts.region != region {
        return Err(AuthError::invalid(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            parts.region.escape_default()
        )));
    }
    if parts.service != service {
        return Err(AuthError::invalid(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if !parts.signed_headers.contains(&"host") {
        return Err(AuthError::invalid(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let expected = expected_signature(identity, request, &parts, region, service, signed_at)
        .ok_or_else(|| AuthError::invalid(SIGNATURE_MISMATCH))?;
    if bool::from(expected.as_bytes().ct_eq(parts.signature.as_bytes())) {
        Ok(identity)
    } else {
        Err(AuthError::invalid(SIGNATURE_MISMATCH))
    }
}

/// The fields of `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b;c, Signature=hex`.
#[derive(Debug)]
struct AuthorizationParts<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<AuthorizationParts<'_>, AuthError> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
        AuthError::incomplete("Authorization header must use the AWS4-HMAC-SHA256 algorithm.")
    })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for field in rest.split(',') {
        match field.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let missing = |what: &str| {
        AuthError::incomplete(format!(
            "Authorization header requires '{what}' parameter. Authorization=AWS4-HMAC-SHA256 ..."
        ))
    };
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(AuthError::incomplete(
            "Credential must have the form <AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request.",
        ));
    };
    if access_key_id.is_empty() || date.len() != 8 {
        return Err(AuthError::incomplete(
            "Credential must have the form <AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request.",
        ));
    }
    Ok(AuthorizationParts {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// The signature `aws-sigv4` computes for the request as received, with the
/// identity's secret key. `None` when the request cannot be signed at all
/// (a header value that is not valid, for instance): a mismatch.
fn expected_signature(
    identity: &Identity,
    request: &IncomingRequest<'_>,
    parts: &AuthorizationParts<'_>,
    region: &str,
    service: &str,
    signed_at: SystemTime,
) -> Option<String> {
    // Exactly the headers the client signed (x-amz-date is re-added by the
    // signer from the same instant); the host comes from the Host header.
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for name in &parts.signed_headers {
        let mut found = false;
        for value in request.header_values(name) {
            headers.push((name, value));
            found = true;
        }
        if !found {
            return None;
        }
    }
    let credentials = Credentials::new(
        identity.access_key_id.as_str(),
        identity.secret_access_key(),
        None,
        None,
        "kms-lifecycle identities file",
    );
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    // Sign what the client listed, nothing excluded.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(signed_at)
        .settings(settings)
        .build()
        .ok()?
        .into();
    if !request.path_and_query.starts_with('/') {
        return None;
    }
    let uri = format!("http://localhost{}", request.path_and_query);
    let signable = SignableRequest::new(
        request.method,
        uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body),
    )
    .ok()?;
    let output = sign(signable, &params).ok()?;
    Some(output.signature().to_string())
}

/// `YYYYMMDDTHHMMSSZ` to an instant.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    let secs = u64::try_from(secs).ok()?;
    let t = UNIX_EPOCH + Duration::from_secs(secs);
    // Reject dates that do not exist (e.g. 20260231): they do not round-trip.
    (format_amz_date(t) == s).then_some(t)
}

/// An instant as `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}
