//! `POST /_emulator/webhooks/{id}`: the callback a WebHook activity's endpoint calls when its
//! work is done. Like ADF's callBackUri it needs no authorization (the id is the secret); the
//! body (JSON, or empty) goes to the waiting activity.
//!
//! Answers 200 with no body when an activity was waiting, 404 when none is (unknown id,
//! already called back, or timed out). UNVERIFIED: what ADF answers for those cases.

use crate::state::EmulatorState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

/// Delivers the callback `id`.
pub(crate) async fn callback(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };
    if state.webhooks().deliver(&id, body) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}
