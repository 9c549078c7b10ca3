//! Typed errors. They keep ARM's error code, message and request id, and never carry request
//! bodies or `Authorization` headers (bodies may hold secrets).

use std::fmt;
use std::time::Duration;

use crate::credential::CredentialError;

/// Everything that can go wrong talking to ARM.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with an error status and a (possibly empty) ARM error body.
    #[error("ARM returned {status} {code}: {message} ({})", RequestIdText(request_id.as_deref()))]
    Api {
        /// HTTP status.
        status: u16,
        /// ARM's error code (`ResourceNotFound`, `TriggerEnabledCannotUpdate`), or the HTTP
        /// reason (`NotFound`) when the body had none.
        code: String,
        /// ARM's message, trailing whitespace trimmed.
        message: String,
        /// ARM's `target`, when present.
        target: Option<String>,
        /// `x-ms-request-id`.
        request_id: Option<String>,
        /// `x-ms-correlation-request-id`.
        correlation_id: Option<String>,
        /// HTTP method of the failed request.
        method: String,
        /// ARM path of the failed request (no query, no host).
        path: String,
    },
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error(
        "ARM operation {method} {path} ended {status}: {code}: {message} ({})",
        RequestIdText(request_id.as_deref())
    )]
    OperationFailed {
        /// The terminal status (`Failed`, `Canceled`).
        status: String,
        /// The operation's error code.
        code: String,
        /// The operation's error message.
        message: String,
        /// `x-ms-request-id` of the last poll.
        request_id: Option<String>,
        /// HTTP method of the request that started the operation.
        method: String,
        /// ARM path of the request that started the operation.
        path: String,
    },
    /// The request did not complete: DNS, connect, TLS, reset, body read.
    #[error("{method} {path} failed: {detail}")]
    Transport {
        /// HTTP method.
        method: String,
        /// ARM path.
        path: String,
        /// What went wrong (no URL query, no headers).
        detail: String,
        /// True when the connection could not be established, so the request never reached ARM.
        connect: bool,
    },
    /// The request timed out (see `ArmClientOptions::timeout`), or an operation did not finish in time.
    #[error("{method} {path} timed out after {}s", after.as_secs_f64())]
    Timeout {
        /// HTTP method.
        method: String,
        /// ARM path.
        path: String,
        /// The limit that was reached.
        after: Duration,
    },
    /// The response could not be understood: truncated or non-JSON body, an HTML page from a
    /// proxy, an empty body where JSON was expected, fields of the wrong type, a `nextLink` loop.
    #[error(
        "malformed ARM response to {method} {path} (status {status}, {}): {detail}",
        RequestIdText(request_id.as_deref())
    )]
    MalformedResponse {
        /// HTTP method.
        method: String,
        /// ARM path.
        path: String,
        /// HTTP status of the response.
        status: u16,
        /// `x-ms-request-id`, when present.
        request_id: Option<String>,
        /// What was wrong. Never the body itself.
        detail: String,
    },
    /// No token could be obtained.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The client options are unusable (e.g. an `http://` endpoint that is not loopback).
    #[error("{0}")]
    Config(String),
}

struct RequestIdText<'a>(Option<&'a str>);

impl fmt::Display for RequestIdText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, "request id {id}"),
            None => f.write_str("no request id"),
        }
    }
}

impl ArmError {
    /// The HTTP status, for `Api` and `MalformedResponse`.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Api { status, .. } | ArmError::MalformedResponse { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// ARM's error code, for `Api` and `OperationFailed`.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Api { code, .. } | ArmError::OperationFailed { code, .. } => Some(code),
            _ => None,
        }
    }

    /// ARM's error message, for `Api` and `OperationFailed`.
    pub fn message(&self) -> Option<&str> {
        match self {
            ArmError::Api { message, .. } | ArmError::OperationFailed { message, .. } => {
                Some(message)
            }
            _ => None,
        }
    }

    /// `x-ms-request-id` of the response, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ArmError::Api { request_id, .. }
            | ArmError::OperationFailed { request_id, .. }
            | ArmError::MalformedResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// True for an ARM 404 (resource, or its parent, does not exist).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ArmError::Api { status: 404, .. })
    }

    /// True for 412: an `If-Match` etag no longer matches.
    pub fn is_precondition_failed(&self) -> bool {
        matches!(self, ArmError::Api { status: 412, .. })
    }

    /// True for 429 (throttled; returned only after the retries ran out).
    pub fn is_throttled(&self) -> bool {
        matches!(self, ArmError::Api { status: 429, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_code_message_and_request_id() {
        let error = ArmError::Api {
            status: 400,
            code: "TriggerEnabledCannotUpdate".into(),
            message: "Cannot update enabled Trigger; the trigger needs to be disabled first."
                .into(),
            target: None,
            request_id: Some("1234".into()),
            correlation_id: None,
            method: "PUT".into(),
            path: "/subscriptions/s/x".into(),
        };
        assert_eq!(
            error.to_string(),
            "ARM returned 400 TriggerEnabledCannotUpdate: Cannot update enabled Trigger; the trigger needs to be disabled first. (request id 1234)"
        );
        assert_eq!(error.code(), Some("TriggerEnabledCannotUpdate"));
        assert_eq!(error.status(), Some(400));
        assert!(!error.is_not_found());
    }
}
