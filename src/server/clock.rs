//! The `KmsLifecycle.*` operations: the manual clock (GetClock,
//! AdvanceClock) and the audit trail (ListEvents, ListAlarms).

use super::state::ServerState;
use crate::store::Kms;
use crate::wire::{self, WireResponse};
use serde::Deserialize;

impl ServerState {
    pub(super) fn clock_op(&self, kms: &mut Kms, op: &str, body: &[u8]) -> WireResponse {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Advance {
            seconds: i64,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "PascalCase", default)]
        struct Since {
            since: Option<crate::api::Timestamp>,
            limit: Option<i64>,
            marker: Option<String>,
        }
        let unsupported = || {
            WireResponse::error(
                400,
                "UnsupportedOperationException",
                "The clock can only be read or moved when the server runs with --clock manual.",
            )
        };
        match op {
            "GetClock" => match &self.clock {
                Some(_) => {
                    kms.tick();
                    WireResponse::ok(&serde_json::json!({ "Now": kms.now() }))
                }
                None => unsupported(),
            },
            "AdvanceClock" => {
                let Some(clock) = &self.clock else {
                    return unsupported();
                };
                let a: Advance = match wire::parse_body(body) {
                    Ok(a) => a,
                    Err(r) => return r,
                };
                // At most 100 years per call.
                if !(0..=3_153_600_000).contains(&a.seconds) {
                    return WireResponse::error(
                        400,
                        "ValidationException",
                        &format!(
                            "1 validation error detected: Value '{}' at 'seconds' failed to satisfy constraint: Member must have value between 0 and 3153600000",
                            a.seconds
                        ),
                    );
                }
                clock.advance(a.seconds as u64);
                kms.tick();
                WireResponse::ok(&serde_json::json!({ "Now": kms.now() }))
            }
            "ListEvents" => {
                let s: Since = match wire::parse_body(body) {
                    Ok(s) => s,
                    Err(r) => return r,
                };
                kms.tick();
                let since = s.since.map(|t| t.0).unwrap_or(0);
                // As AWS lists page: Limit 1..=1000, Marker from the
                // previous page's NextMarker. Without Limit, every record
                // kept (at most the retention bound, `--max-events`), as
                // before pages existed.
                let limit = s.limit.unwrap_or(i64::MAX);
                if s.limit.is_some() && !(1..=1000).contains(&limit) {
                    return WireResponse::error(
                        400,
                        "ValidationException",
                        &format!(
                            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000"
                        ),
                    );
                }
                match kms.events_page(
                    since,
                    s.marker.as_deref(),
                    usize::try_from(limit).unwrap_or(usize::MAX),
                ) {
                    Ok(page) => {
                        let mut v = serde_json::json!({
                            "Events": page.events,
                            "Truncated": page.next_marker.is_some(),
                        });
                        if let Some(m) = page.next_marker {
                            v["NextMarker"] = serde_json::json!(m);
                        }
                        WireResponse::ok(&v)
                    }
                    Err(m) => WireResponse::error(400, "InvalidMarkerException", &m),
                }
            }
            "ListAlarms" => WireResponse::ok(&serde_json::json!({ "Alarms": kms.alarms() })),
            other => WireResponse::error(
                400,
                "UnknownOperationException",
                &format!("Unknown operation KmsLifecycle.{}", other.escape_default()),
            ),
        }
    }
}
