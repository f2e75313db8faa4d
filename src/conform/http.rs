//! [`HttpKms`]: a blocking client of the AWS KMS JSON 1.1 protocol, signing
//! with SigV4 (AWS4-HMAC-SHA256, service `kms`).
//!
//! Every response that is not the AWS JSON protocol (HTML, an HTTP error
//! without an AWS error body, undecodable JSON, a missing field that the
//! oracle needs, a transport failure) becomes [`CallError::Protocol`]; nothing
//! here panics on what a server sends. Response members that AWS's own model
//! marks optional and that the oracle does not check are filled with neutral
//! defaults when absent, so that a terse but valid server is not flagged for
//! them.

use super::{CallError, CallResult, KmsApi};
use crate::api::*;
use crate::clock::{Clock, SystemClock};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// SigV4 credentials. Any value works against servers that do not check
/// signatures; real AWS needs real ones.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token (`X-Amz-Security-Token`), if any.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Default for Credentials {
    /// The documentation example credentials (accepted by emulators).
    fn default() -> Self {
        Self {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }
}

/// An AWS KMS endpoint reached over HTTP(S).
pub struct HttpKms {
    /// e.g. `http://127.0.0.1:4599`.
    pub endpoint: String,
    /// Signing region.
    pub region: String,
    /// Signing credentials.
    pub credentials: Credentials,
    agent: ureq::Agent,
    host: String,
    clock_support: Option<bool>,
}

impl std::fmt::Debug for HttpKms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpKms")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// The region in a `kms.<region>.amazonaws.com` style endpoint.
pub fn region_from_endpoint(endpoint: &str) -> Option<String> {
    let host = authority(endpoint)?;
    let host = host.split(':').next()?;
    let mut parts = host.split('.');
    match (parts.next(), parts.next()) {
        (Some("kms" | "kms-fips"), Some(r)) if host.contains(".amazonaws.") => Some(r.to_string()),
        _ => None,
    }
}

fn authority(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let auth = rest.split('/').next()?;
    if auth.is_empty() {
        return None;
    }
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    Some(auth.strip_suffix(default_port).unwrap_or(auth).to_string())
}

impl HttpKms {
    /// A client of `endpoint` (`http://` or `https://`); the region defaults
    /// to the one in an AWS endpoint name, else `us-east-1`. Errors when the
    /// endpoint is not an absolute http(s) URL.
    pub fn new(
        endpoint: &str,
        region: Option<&str>,
        credentials: Credentials,
    ) -> Result<Self, String> {
        let host = authority(endpoint)
            .ok_or_else(|| format!("not an http:// or https:// URL: {endpoint:?}"))?;
        let region = region
            .map(str::to_string)
            .or_else(|| region_from_endpoint(endpoint))
            .unwrap_or_else(|| "us-east-1".into());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            region,
            credentials,
            agent,
            host,
            clock_support: None,
        })
    }

    /// Sends one signed request with `X-Amz-Target: target`; returns the HTTP
    /// status, the `X-Amzn-ErrorType` header and the body.
    fn send(&self, target: &str, body: &[u8]) -> Result<(u16, Option<String>, Vec<u8>), String> {
        let now = SystemClock.now();
        let amz_date = amz_date(now);
        let content_type = "application/x-amz-json-1.1";
        let mut headers: Vec<(&str, String)> = vec![
            ("content-type", content_type.into()),
            ("host", self.host.clone()),
            ("x-amz-date", amz_date.clone()),
            ("x-amz-target", target.into()),
        ];
        if let Some(t) = &self.credentials.session_token {
            headers.push(("x-amz-security-token", t.clone()));
        }
        let authorization = sign(
            &self.credentials,
            &self.region,
            "kms",
            &amz_date,
            &headers,
            body,
        );
        let mut req = self
            .agent
            .post(format!("{}/", self.endpoint))
            .header("Authorization", authorization);
        for (k, v) in &headers {
            req = req.header(*k, v.as_str());
        }
        let mut resp = req.send(body).map_err(|e| format!("transport: {e}"))?;
        let status = resp.status().as_u16();
        let errtype = resp
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp
            .body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_vec()
            .map_err(|e| format!("reading the body of an HTTP {status} response: {e}"))?;
        Ok((status, errtype, body))
    }

    /// One operation: serialize, send, decode (see the module docs).
    fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        target: &str,
        req: &Req,
    ) -> CallResult<Resp> {
        let body = serde_json::to_vec(req)
            .map_err(|e| CallError::Protocol(format!("cannot serialize the request: {e}")))?;
        let (status, errtype, body) = self.send(target, &body).map_err(CallError::Protocol)?;
        decode(target, status, errtype.as_deref(), &body)
    }
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(160)]);
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > 160 {
        format!("{s}…")
    } else {
        s
    }
}

/// Decodes a response of operation `target` (public for tests of strange
/// responses).
pub fn decode<Resp: DeserializeOwned>(
    target: &str,
    status: u16,
    errtype: Option<&str>,
    body: &[u8],
) -> CallResult<Resp> {
    // An empty body, or a bare `null` (moto sends one for operations without
    // output), is an object whose members are all absent.
    let trimmed = body.trim_ascii();
    let parsed: Option<Value> = if trimmed.is_empty() || trimmed == b"null" {
        Some(json!({}))
    } else {
        serde_json::from_slice(body).ok()
    };
    if (200..300).contains(&status) {
        let Some(mut v) = parsed.filter(Value::is_object) else {
            return Err(CallError::Protocol(format!(
                "HTTP {status} whose body is not a JSON object: {}",
                snippet(body)
            )));
        };
        strip_nulls(&mut v);
        fill_defaults(target, &mut v);
        return serde_json::from_value(v).map_err(|e| {
            CallError::Protocol(format!(
                "HTTP {status} with an undecodable {} response ({e}): {}",
                target.rsplit('.').next().unwrap_or(target),
                snippet(body)
            ))
        });
    }
    let op = target.rsplit('.').next().unwrap_or(target);
    if status == 501 || status == 404 {
        return Err(CallError::Unimplemented(format!(
            "{op}: HTTP {status}: {}",
            snippet(body)
        )));
    }
    if parsed.is_none() && trimmed.first() == Some(&b'<') {
        // An HTML page instead of an AWS error: the operation is not served
        // (moto answers unimplemented operations so). The oracle counts it as
        // missing only while the operation never answered in the protocol.
        return Err(CallError::Unimplemented(format!(
            "{op}: HTTP {status} with an HTML page: {}",
            snippet(body)
        )));
    }
    let obj = parsed.as_ref().and_then(Value::as_object);
    let ty = obj
        .and_then(|o| o.get("__type").or_else(|| o.get("code")))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| errtype.map(str::to_string));
    let Some(ty) = ty else {
        return Err(CallError::Protocol(format!(
            "HTTP {status} without an AWS error body: {}",
            snippet(body)
        )));
    };
    let name = ty.rsplit('#').next().unwrap_or(&ty);
    let name = name.split(':').next().unwrap_or(name).trim().to_string();
    let message = obj
        .and_then(|o| o.get("message").or_else(|| o.get("Message")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if UNKNOWN_OPERATION.contains(&name.as_str()) {
        return Err(CallError::Unimplemented(format!("{op}: {name}: {message}")));
    }
    if name.is_empty() {
        return Err(CallError::Protocol(format!(
            "HTTP {status} with an empty error type: {}",
            snippet(body)
        )));
    }
    Err(CallError::Exception { name, message })
}

/// Error types with which servers say that they do not know the operation.
const UNKNOWN_OPERATION: &[&str] = &[
    "UnknownOperationException",
    "UnknownOperation",
    "InvalidAction",
    "NotImplemented",
    "NotImplementedException",
];

/// A JSON `null` member is an absent member (AWS JSON 1.1).
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, x| !x.is_null());
            o.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

fn fill(obj: &mut Value, defaults: &[(&str, Value)]) {
    if let Some(o) = obj.as_object_mut() {
        for (k, v) in defaults {
            o.entry(k.to_string()).or_insert_with(|| v.clone());
        }
    }
}

/// Members that AWS's model marks optional and that the oracle does not
/// check: neutral defaults when a server omits them.
fn fill_defaults(target: &str, v: &mut Value) {
    let op = target.rsplit('.').next().unwrap_or(target);
    match op {
        "CreateKey" | "DescribeKey" => {
            if let Some(m) = v.get_mut("KeyMetadata") {
                let enabled = m.get("KeyState").and_then(Value::as_str) == Some("Enabled");
                fill(
                    m,
                    &[
                        ("AWSAccountId", json!("")),
                        ("Arn", json!("")),
                        ("CreationDate", json!(0)),
                        ("Enabled", json!(enabled)),
                        ("Description", json!("")),
                        ("KeyUsage", json!("ENCRYPT_DECRYPT")),
                        ("Origin", json!("AWS_KMS")),
                        ("KeyManager", json!("CUSTOMER")),
                        ("CustomerMasterKeySpec", json!("SYMMETRIC_DEFAULT")),
                        ("KeySpec", json!("SYMMETRIC_DEFAULT")),
                        ("EncryptionAlgorithms", json!([])),
                        ("MultiRegion", json!(false)),
                    ],
                );
            }
        }
        "Encrypt" => fill(v, &[("EncryptionAlgorithm", json!("SYMMETRIC_DEFAULT"))]),
        "Decrypt" => fill(v, &[("EncryptionAlgorithm", json!("SYMMETRIC_DEFAULT"))]),
        "ReEncrypt" => fill(
            v,
            &[
                ("SourceKeyId", json!("")),
                ("SourceEncryptionAlgorithm", json!("SYMMETRIC_DEFAULT")),
                ("DestinationEncryptionAlgorithm", json!("SYMMETRIC_DEFAULT")),
            ],
        ),
        "GetKeyRotationStatus"
        | "CancelKeyDeletion"
        | "RotateKeyOnDemand"
        | "GetParametersForImport"
        | "ImportKeyMaterial"
        | "DeleteImportedKeyMaterial" => fill(v, &[("KeyId", json!(""))]),
        "ScheduleKeyDeletion" => fill(
            v,
            &[("KeyId", json!("")), ("KeyState", json!("PendingDeletion"))],
        ),
        "ListKeyRotations" => {
            fill(v, &[("Truncated", json!(false)), ("Rotations", json!([]))]);
            if let Some(rs) = v.get_mut("Rotations").and_then(Value::as_array_mut) {
                for r in rs {
                    fill(r, &[("KeyId", json!(""))]);
                }
            }
        }
        "ListAliases" => {
            fill(v, &[("Truncated", json!(false)), ("Aliases", json!([]))]);
            if let Some(rs) = v.get_mut("Aliases").and_then(Value::as_array_mut) {
                for r in rs {
                    fill(r, &[("AliasArn", json!(""))]);
                }
            }
        }
        "ListKeys" => fill(v, &[("Truncated", json!(false)), ("Keys", json!([]))]),
        "ListResourceTags" => fill(v, &[("Truncated", json!(false)), ("Tags", json!([]))]),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// SigV4
// ---------------------------------------------------------------------------

use crate::crypto::hex;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// `YYYYMMDDTHHMMSSZ` of epoch seconds.
pub fn amz_date(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The `Authorization` header of a SigV4-signed `POST /` with the given
/// (lowercase-named) headers and body.
pub fn sign(
    creds: &Credentials,
    region: &str,
    service: &str,
    amz_date: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> String {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    hs.sort();
    let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = hs
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}",
        hex(&Sha256::digest(body))
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex(&hmac(&k_signing, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    )
}

macro_rules! http_ops {
    ($( $method:ident ( $op:literal, $req:ty, $members:ident ) -> $resp:ty ;)+) => {
        impl KmsApi for HttpKms {
            $(
                fn $method(&mut self, req: $req) -> CallResult<$resp> {
                    self.call(concat!("TrentService.", $op), &req)
                }
            )+
            fn clock_now(&mut self) -> Option<CallResult<u64>> {
                if self.clock_support == Some(false) {
                    return None;
                }
                let r = self.clock_call("KmsLifecycle.GetClock", &json!({}));
                if self.clock_support.is_none() {
                    self.clock_support = Some(r.is_ok());
                    if r.is_err() {
                        return None;
                    }
                }
                Some(r)
            }
            fn advance_clock(&mut self, seconds: u64) -> Option<CallResult<u64>> {
                if self.clock_support.is_none() {
                    self.clock_now()?.ok()?;
                }
                if self.clock_support != Some(true) {
                    return None;
                }
                Some(self.clock_call("KmsLifecycle.AdvanceClock", &json!({ "Seconds": seconds })))
            }
            fn describe(&self) -> String {
                format!("{} (region {})", self.endpoint, self.region)
            }
        }
    };
}

impl HttpKms {
    fn clock_call(&self, target: &str, body: &Value) -> CallResult<u64> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Now {
            now: Timestamp,
        }
        let r: Now = self.call(target, body)?;
        Ok(r.now.0)
    }
}

crate::with_kms_operations!(http_ops);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(1_767_225_600), "20260101T000000Z");
        assert_eq!(amz_date(951_827_696), "20000229T123456Z");
    }

    #[test]
    fn aws_sigv4_test_vector_key_derivation() {
        // The signing-key example of the AWS SigV4 documentation.
        let k_date = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20120215");
        let k = hmac(&hmac(&hmac(&k_date, b"us-east-1"), b"iam"), b"aws4_request");
        assert_eq!(
            hex(&k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn strange_responses_are_protocol_divergences() {
        let html = decode::<Empty>("TrentService.CreateAlias", 500, None, b"<html>oops</html>");
        assert!(matches!(html, Err(CallError::Unimplemented(_))));
        let html = decode::<Empty>("TrentService.CreateAlias", 200, None, b"<html>oops</html>");
        assert!(matches!(html, Err(CallError::Protocol(_))));
        let not_yet = decode::<Empty>(
            "TrentService.ListKeyRotations",
            501,
            None,
            br#"{"__type":"InternalFailure","message":"not yet emulated"}"#,
        );
        assert!(matches!(not_yet, Err(CallError::Unimplemented(_))));
        let unknown = decode::<Empty>(
            "TrentService.Encapsulate",
            400,
            None,
            br#"{"__type":"UnknownOperationException"}"#,
        );
        assert!(matches!(unknown, Err(CallError::Unimplemented(_))));
        let missing =
            decode::<EncryptResponse>("TrentService.Encrypt", 200, None, br#"{"KeyId":"x"}"#);
        assert!(matches!(missing, Err(CallError::Protocol(_))));
        let e = decode::<Empty>(
            "TrentService.EnableKey",
            400,
            None,
            br#"{"__type":"com.amazonaws.kms#DisabledException:http://x","message":"m"}"#,
        );
        assert_eq!(
            e,
            Err(CallError::Exception {
                name: "DisabledException".into(),
                message: "m".into()
            })
        );
        assert!(decode::<Empty>("TrentService.CreateAlias", 200, None, b"").is_ok());
    }
}
