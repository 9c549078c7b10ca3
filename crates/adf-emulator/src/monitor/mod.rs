//! The monitor page: pipelines, runs and activity runs in a browser, the way ADF Studio's
//! Monitor shows them.
//!
//! Three files embedded in the binary (`index.html`, `monitor.css`, `monitor.js`: no build step,
//! no CDN, works offline), served at `/`, `/monitor` and every `/monitor/...` path (the script
//! reads the path: `/monitor/subscriptions/S/resourceGroups/G/factories/F[/pipelines/P | /runs/R]`).
//!
//! Beside the two rooms, as the router is: the page is read-only and shows only what the
//! emulator's own ARM API answers. The script calls the same ARM paths and api-version any
//! client uses (with a bearer token of its own: the emulator accepts any, as before, so nothing
//! is opened that was closed), so secrets stay masked exactly as ARM masks them. The one thing
//! ARM cannot tell it is where to start: which subscriptions hold factories.
//! `GET /_emulator/subscriptions` answers that (ids only), like the other `/_emulator/` endpoints.

use crate::state::EmulatorState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const INDEX_HTML: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("monitor.js");
const STYLE: &str = include_str!("monitor.css");

/// Where the page's script and style sheet are served.
pub(crate) const SCRIPT_PATH: &str = "/monitor/assets/monitor.js";
/// See [`SCRIPT_PATH`].
pub(crate) const STYLE_PATH: &str = "/monitor/assets/monitor.css";

/// Only the page's own files, and `fetch` to its own origin: nothing inline, nothing remote.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The binary's own files change only with the binary; revalidating is cheap on loopback.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// `GET /`, `GET /monitor` and `GET /monitor/...`: the page (the script picks the view from
/// the path).
pub(crate) async fn page() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /monitor/assets/monitor.js`.
pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /monitor/assets/monitor.css`.
pub(crate) async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// `GET /_emulator/subscriptions`: the subscriptions that hold at least one factory, in the
/// shape of ARM's Subscriptions - List (`{"value": [{"id", "subscriptionId"}]}`), so that the
/// page knows where to start; everything else it reads from ARM paths.
pub(crate) async fn subscriptions(State(state): State<EmulatorState>) -> Response {
    let factories = state.with_store(|_, store| store.factories(None, None));
    let factories = match factories {
        Ok(factories) => factories,
        Err(error) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read the store: {error}"),
            )
                .into_response();
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for (subscription, _, _) in factories {
        if !seen.iter().any(|s| s.eq_ignore_ascii_case(&subscription)) {
            seen.push(subscription);
        }
    }
    let value: Vec<Value> = seen
        .iter()
        .map(|s| json!({ "id": format!("/subscriptions/{s}"), "subscriptionId": s }))
        .collect();
    let mut response = json!({ "value": value }).to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// The monitor page of one pipeline run, on an emulator at `base_url` (`http://HOST:PORT`):
/// `BASE/monitor/subscriptions/S/resourceGroups/G/factories/F/runs/RUN_ID`.
pub fn run_page_url(
    base_url: &str,
    subscription: &str,
    resource_group: &str,
    factory: &str,
    run_id: &str,
) -> String {
    format!(
        "{}/monitor/subscriptions/{}/resourceGroups/{}/factories/{}/runs/{}",
        base_url.trim_end_matches('/'),
        encode_segment(subscription),
        encode_segment(resource_group),
        encode_segment(factory),
        encode_segment(run_id)
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters (group names may hold
/// parentheses, dots and non-ASCII letters).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_page_urls_encode_their_segments() {
        assert_eq!(
            run_page_url("http://127.0.0.1:4000/", "sub", "My RG(1)", "df", "r-1"),
            "http://127.0.0.1:4000/monitor/subscriptions/sub/resourceGroups/My%20RG%281%29/factories/df/runs/r-1"
        );
        assert_eq!(encode_segment("Gruppe-ä"), "Gruppe-%C3%A4");
    }

    #[test]
    fn the_page_loads_nothing_but_its_own_files() {
        assert!(INDEX_HTML.contains(SCRIPT_PATH) && INDEX_HTML.contains(STYLE_PATH));
        // The one absolute URL is SVG's namespace name, which is never fetched.
        let script = SCRIPT.replace("\"http://www.w3.org/2000/svg\"", "");
        for text in [INDEX_HTML, &script, STYLE] {
            assert!(!text.contains("http://") && !text.contains("https://"));
            assert!(!text.contains("//cdn") && !text.contains("@import"));
        }
        // No inline script or style: the Content-Security-Policy would block it.
        assert!(!INDEX_HTML.contains("<script>") && !INDEX_HTML.contains("style="));
    }
}
