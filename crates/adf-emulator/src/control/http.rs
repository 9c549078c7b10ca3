//! The HTTP edge: authentication, throttling, fault injection, latency, common headers and
//! statistics around the synchronous service (through [`crate::control::dispatch`], which
//! picks a store connection and carries out the side effects), on a blocking thread.

use crate::control::arm::{ArmRequest, Reply, Route, parse_query, percent_decode};
use crate::state::EmulatorState;
use crate::stats::Injected;
use crate::throttle::{Category, Take};
use crate::wire::ArmError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::pin::Pin;
use std::task::{Context, Poll};

/// ARM's request size limit (4 MB).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A response body that fails on its first poll: hyper then closes the connection without
/// sending a response, which is how the fault knobs drop a connection.
struct AbortBody;

impl http_body::Body for AbortBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "adf-emulator: injected dropped connection",
        ))))
    }
}

fn dropped_connection() -> Response {
    Response::new(Body::new(AbortBody))
}

/// What the client gets.
enum Outcome {
    Reply(Reply),
    Drop,
}

/// Identifiers echoed or generated on every response (ARM-FACTS §4).
struct Ids {
    request: String,
    correlation: String,
    client: Option<String>,
}

impl Ids {
    fn from(headers: &HeaderMap) -> Ids {
        let request = uuid::Uuid::new_v4().to_string();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ids {
            correlation: header("x-ms-correlation-request-id").unwrap_or_else(|| request.clone()),
            client: header("x-ms-client-request-id"),
            request,
        }
    }
}

/// `GET /_emulator/stats`: counts by method and status (not subject to auth or faults).
pub(crate) async fn stats(State(state): State<EmulatorState>) -> Response {
    let body = state.stats_json();
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// Every ARM request.
pub(crate) async fn arm_entry(State(state): State<EmulatorState>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (outcome, injected) = handle(&state, request).await;
    let status = match &outcome {
        Outcome::Reply(reply) => reply.status.as_u16().to_string(),
        Outcome::Drop => "dropped".to_owned(),
    };
    // Paths carry names, never secrets; bodies are not logged.
    tracing::debug!(%method, %path, %status, ?injected, "emulator request");
    state.record(method.as_str(), &status, injected);
    match outcome {
        Outcome::Reply(reply) => render(reply, &method),
        Outcome::Drop => dropped_connection(),
    }
}

fn render(reply: Reply, method: &Method) -> Response {
    let text = match (reply.text, &reply.body) {
        (Some(text), _) => Some(text),
        (None, Some(body)) => Some(body.to_string()),
        (None, None) => None,
    };
    let mut response = match (text, method) {
        (Some(text), m) if m != Method::HEAD => {
            let mut response = Response::new(Body::from(text));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        _ => Response::new(Body::empty()),
    };
    *response.status_mut() = reply.status;
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

async fn handle(state: &EmulatorState, request: Request) -> (Outcome, Injected) {
    let config = state.config();
    let (parts, body) = request.into_parts();
    let ids = Ids::from(&parts.headers);
    let category = Category::of(&parts.method);
    let segments: Vec<String> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let route = Route::parse(&segments);
    let subscription = route.subscription().unwrap_or_default().to_owned();
    let mut remaining = state.with_throttle(|t| t.capacity(category));

    let finish = |reply: Reply, remaining: u32, injected: Injected| {
        let mut reply = reply
            .with_header("x-ms-request-id", ids.request.clone())
            .with_header("x-ms-correlation-request-id", ids.correlation.clone())
            .with_header("x-content-type-options", "nosniff")
            .with_header(category.header(), remaining.to_string());
        if let Some(client) = &ids.client {
            reply = reply.with_header("x-ms-client-request-id", client.clone());
        }
        (Outcome::Reply(reply), injected)
    };

    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }

    // Authentication: any bearer token is accepted (ARM-FACTS §3 wording for a missing header).
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match authorization {
        None => {
            let error = ArmError::arm(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            );
            return finish(error.into(), remaining, Injected::None);
        }
        Some(value)
            if !value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("bearer ") =>
        {
            // UNVERIFIED wording.
            let error = ArmError::arm(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            );
            return finish(error.into(), remaining, Injected::None);
        }
        Some(_) => {}
    }

    if config.throttle {
        let now = tokio::time::Instant::now();
        match state.with_throttle(|t| t.take(&subscription, category, now)) {
            Take::Allowed(left) => remaining = left,
            Take::Refused(seconds) => {
                // UNVERIFIED wording; code, status and headers are ARM's (ARM-FACTS §4).
                let error = ArmError::arm(
                    StatusCode::TOO_MANY_REQUESTS,
                    "SubscriptionRequestsThrottled",
                    format!(
                        "Number of '{}' requests for subscription '{subscription}' exceeded. Please try again after '{seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
                        category.word()
                    ),
                )
                .with_header("retry-after", seconds.to_string());
                return finish(error.into(), 0, Injected::Throttled);
            }
        }
    }

    let (fault, lost) = state.with_rng(|rng| {
        let fault = rng.chance(config.fault_rate).then(|| rng.next_u64() % 4);
        let lost =
            (fault.is_none() && rng.chance(config.lost_response_rate)).then(|| rng.next_u64() % 2);
        (fault, lost)
    });
    match fault {
        Some(0) => {
            let error = ArmError::arm(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Encountered internal server error (injected by the emulator's --fault-rate).",
            );
            return finish(error.into(), remaining, Injected::Fault);
        }
        Some(1) => {
            let error = ArmError::arm(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is temporarily unavailable (injected by the emulator's --fault-rate).",
            );
            return finish(error.into(), remaining, Injected::Fault);
        }
        Some(2) => {
            let error = ArmError::arm(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests (injected by the emulator's --fault-rate).",
            )
            .with_header("retry-after", "1");
            return finish(error.into(), remaining, Injected::Fault);
        }
        Some(_) => return (Outcome::Drop, Injected::Fault),
        None => {}
    }

    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            // UNVERIFIED code and wording.
            let error = ArmError::arm(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestContentTooLarge",
                "The request content size exceeds the maximum of 4 MB.",
            );
            return finish(error.into(), remaining, Injected::None);
        }
    };
    let header_text = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let host = header_text(header::HOST).unwrap_or_else(|| "127.0.0.1".to_owned());
    let request = ArmRequest {
        method: parts.method.clone(),
        query: parse_query(parts.uri.query().unwrap_or("")),
        if_match: header_text(header::IF_MATCH),
        if_none_match: header_text(header::IF_NONE_MATCH),
        base_url: format!("http://{host}"),
        path: parts.uri.path().to_owned(),
        body,
    };
    let worker_state = state.clone();
    let reply =
        tokio::task::spawn_blocking(move || super::dispatch(&worker_state, &request, &route))
            .await
            .unwrap_or_else(|e| Err(ArmError::internal(&e)));
    let reply = reply.unwrap_or_else(Reply::from);

    match lost {
        Some(0) => {
            let error = ArmError::arm(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Encountered internal server error (injected by the emulator's --lost-response-rate).",
            );
            finish(error.into(), remaining, Injected::LostResponse)
        }
        Some(_) => (Outcome::Drop, Injected::LostResponse),
        None => finish(reply, remaining, Injected::None),
    }
}
