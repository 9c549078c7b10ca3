//! The ARM wire format, a leaf module: the error body shape, ids, timestamps and paging
//! tokens, as the control plane writes them and the run ledger records them.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use time::OffsetDateTime;

/// An error reply in ARM's shape: `{"error": {"code", "message", …}}`.
#[derive(Debug, Clone)]
pub(crate) struct ArmError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// ADF-service errors carry `target` and `details` (often as explicit nulls, ARM-FACTS §3);
    /// ARM front-door errors carry only code and message.
    pub adf: Option<Option<String>>,
    /// Headers to add (`Retry-After` on 429).
    pub headers: Vec<(&'static str, String)>,
}

impl ArmError {
    /// An error raised by ARM itself (code and message only).
    pub fn arm(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_owned(),
            message: message.into(),
            adf: None,
            headers: Vec::new(),
        }
    }

    /// An error raised by the Data Factory service (`target` and `details` present).
    pub fn adf(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        target: Option<String>,
    ) -> Self {
        ArmError {
            status,
            code: code.to_owned(),
            message: message.into(),
            adf: Some(target),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the reply.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        match &self.adf {
            None => json!({"error": {"code": self.code, "message": self.message}}),
            Some(target) => json!({"error": {
                "code": self.code, "message": self.message, "target": target, "details": null
            }}),
        }
    }

    /// 500 for a failure inside the emulator (the store); the cause is logged, not sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!("emulator internal error: {cause}");
        ArmError::arm(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Encountered internal server error in the emulator.",
        )
    }
}

impl From<rusqlite::Error> for ArmError {
    fn from(error: rusqlite::Error) -> Self {
        ArmError::internal(&error)
    }
}

impl From<serde_json::Error> for ArmError {
    fn from(error: serde_json::Error) -> Self {
        ArmError::internal(&error)
    }
}

/// A factory's ARM id (adf-core's one spelling of it).
pub(crate) fn factory_id(subscription: &str, group: &str, factory: &str) -> String {
    adf_core::FactoryTarget {
        subscription: subscription.to_owned(),
        resource_group: group.to_owned(),
        factory: factory.to_owned(),
    }
    .factory_path()
}

/// ADF-style timestamps: `2018-06-16T00:37:44.6257014Z`.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

pub(crate) fn unix_ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Opaque paging tokens: a base64 offset.
pub(crate) fn encode_offset(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

pub(crate) fn decode_offset(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

/// ADF's trigger-run properties use US-style local times (`6/16/2018 12:43:15 AM`).
pub(crate) fn us_time(at: OffsetDateTime) -> String {
    let (hour, half) = match at.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        u8::from(at.month()),
        at.day(),
        at.year(),
        hour,
        at.minute(),
        at.second(),
        half
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_and_garbage_is_rejected() {
        assert_eq!(decode_offset(&encode_offset(150)), Some(150));
        assert_eq!(decode_offset("nonsense"), None);
    }

    #[test]
    fn timestamps_have_seven_fraction_digits() {
        let at = time::macros::datetime!(2018-06-16 00:37:44.6257014 UTC);
        assert_eq!(timestamp(at), "2018-06-16T00:37:44.6257014Z");
    }
}
