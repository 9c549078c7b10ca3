//! WebActivity and WebHook: real HTTP calls to the endpoint a pipeline names.
//!
//! Sources: "Web activity in Azure Data Factory and Azure Synapse Analytics"
//! (learn.microsoft.com/azure/data-factory/control-flow-web-activity: `method`, `url`,
//! `headers`, `body`, `authentication`, `httpRequestTimeout` default 1 minute,
//! `disableCertValidation`, the 4 MB limit of the response payload) and "Webhook activity"
//! (learn.microsoft.com/azure/data-factory/control-flow-webhook-activity: the `callBackUri`
//! added to the body, `timeout` default 10 minutes, `reportStatusOnCallBack` with
//! `StatusCode`/`Error` in the callback's body).
//!
//! The output of a WebActivity is the response's JSON object with
//! `ADFWebActivityResponseHeaders` added; a body that is not a JSON object is
//! `{"Response": "<body text>"}` (as ADF shows it for text and arrays; UNVERIFIED for arrays).
//! A response outside 2xx fails the activity with error code 2108 and the response body as
//! the message, or "Error calling the endpoint ..." when the body is empty (UNVERIFIED: the
//! code and wording are those users report, not a documented contract).
//!
//! Authentication: none, and `Basic` (`username`, `password` as a string, a `SecureString` or
//! a Key Vault reference). The other types fail with "not supported by the emulator:
//! authentication TYPE". `disableCertValidation`, `connectVia`, `datasets` and
//! `linkedServices` are ignored. Messages quote the URL without its query string (which may
//! hold a SAS token or a key) and never a header or a password.

use super::{evaluated, parse_timespan, property};
use crate::runtime::context::{ActivityError, Run};
use crate::runtime::secrets;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// ADF's default `httpRequestTimeout` of a WebActivity.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// ADF's default `timeout` of a WebHook.
const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest response body ADF accepts (4 MB).
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The URL for messages: scheme, host and path, never the query (SAS tokens, keys).
fn shown_url(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_string()
}

/// The request a WebActivity or a WebHook sends, its properties evaluated.
struct Request {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    basic: Option<(String, String)>,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn request(run: &Run, activity: &Value, item: Option<&Value>) -> Result<Request, ActivityError> {
    let evaluated = |key: &str| evaluated(run, activity, key, item);
    let method_text = match evaluated("method")? {
        Value::Null => "GET".to_string(),
        other => text_of(&other).to_ascii_uppercase(),
    };
    let method = reqwest::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
        ActivityError::user("BadRequest", "The method of the web request is not valid.")
    })?;
    let url = text_of(&evaluated("url")?);
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ActivityError::user(
            "BadRequest",
            "The url of the web request must be an absolute http or https URL.",
        ));
    }
    let mut headers = Vec::new();
    match evaluated("headers")? {
        Value::Object(object) => {
            for (name, value) in object {
                headers.push((
                    name,
                    secrets::resolve(run, Some(&value), "a header")?.unwrap_or_default(),
                ));
            }
        }
        // The newer JSON form: [{"name": ..., "value": ...}].
        Value::Array(items) => {
            for header in items {
                let name = header.get("name").map(text_of).unwrap_or_default();
                let value =
                    secrets::resolve(run, header.get("value"), "a header")?.unwrap_or_default();
                if !name.is_empty() {
                    headers.push((name, value));
                }
            }
        }
        _ => {}
    }
    let body = match evaluated("body")? {
        Value::Null => None,
        other => Some(other),
    };
    let basic = match property(activity, "authentication") {
        None | Some(Value::Null) => None,
        Some(_) => {
            let authentication = evaluated("authentication")?;
            let kind = authentication.get("type").map(text_of).unwrap_or_default();
            match kind.to_ascii_lowercase().as_str() {
                "" | "none" | "anonymous" => None,
                "basic" => {
                    let username = authentication
                        .get("username")
                        .map(text_of)
                        .unwrap_or_default();
                    let password =
                        secrets::resolve(run, authentication.get("password"), "password")?
                            .unwrap_or_default();
                    Some((username, password))
                }
                _ => {
                    return Err(ActivityError::user(
                        "NotSupportedByEmulator",
                        format!("not supported by the emulator: authentication {kind}"),
                    ));
                }
            }
        }
    };
    Ok(Request {
        method,
        url,
        headers,
        body,
        basic,
    })
}

/// A response: status, headers as ADF reports them, and the body text.
struct Response {
    status: reqwest::StatusCode,
    headers: Map<String, Value>,
    text: String,
}

async fn send(run: &Run, request: &Request, timeout: Duration) -> Result<Response, ActivityError> {
    let mut builder = run
        .http
        .request(request.method.clone(), &request.url)
        .timeout(timeout);
    let mut has_content_type = false;
    for (name, value) in &request.headers {
        has_content_type |= name.eq_ignore_ascii_case("content-type");
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some((username, password)) = &request.basic {
        builder = builder.basic_auth(username, Some(password));
    }
    match &request.body {
        None => {}
        Some(Value::String(text)) => builder = builder.body(text.clone()),
        Some(other) => {
            if !has_content_type {
                builder = builder.header("Content-Type", "application/json");
            }
            builder = builder.body(other.to_string());
        }
    }
    let shown = shown_url(&request.url);
    let response = builder.send().await.map_err(|error| {
        let reason = if error.is_timeout() {
            format!("the request timed out after {}s", timeout.as_secs())
        } else if error.is_connect() {
            "the endpoint cannot be reached".to_string()
        } else {
            "the request failed".to_string()
        };
        ActivityError::user(
            "2108",
            format!("Error calling the endpoint '{shown}'. Response status code: 'NA - Unknown'. More details: {reason}."),
        )
    })?;
    let status = response.status();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    let bytes = response.bytes().await.map_err(|_| {
        ActivityError::user(
            "2108",
            format!("Error calling the endpoint '{shown}': the response body could not be read."),
        )
    })?;
    if bytes.len() > MAX_RESPONSE_BYTES {
        return Err(ActivityError::user(
            "2108",
            format!(
                "The response of the endpoint '{shown}' is larger than the 4 MB a web activity accepts."
            ),
        ));
    }
    Ok(Response {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Fails on a status outside 2xx.
fn check_status(request: &Request, response: &Response) -> Result<(), ActivityError> {
    if response.status.is_success() {
        return Ok(());
    }
    let message = if response.text.trim().is_empty() {
        format!(
            "Error calling the endpoint '{}'. Response status code: '{} - {}'.",
            shown_url(&request.url),
            response.status.as_u16(),
            response.status.canonical_reason().unwrap_or("Unknown")
        )
    } else {
        response.text.clone()
    };
    Err(ActivityError::user("2108", message))
}

/// The fields ADF adds to every activity's output (as Copy's output has them).
fn runtime_fields(output: &mut Map<String, Value>, started: std::time::Instant) {
    output.insert(
        "effectiveIntegrationRuntime".into(),
        json!("AutoResolveIntegrationRuntime (Local emulator)"),
    );
    output.insert(
        "executionDuration".into(),
        json!(started.elapsed().as_secs()),
    );
    output.insert(
        "durationInQueue".into(),
        json!({"integrationRuntimeQueue": 0}),
    );
}

/// WebActivity: one request; its response is the output.
pub(super) async fn web_activity(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let started = std::time::Instant::now();
    let request = request(&run, activity, item)?;
    let timeout = match evaluated(&run, activity, "httpRequestTimeout", item)? {
        Value::String(text) => parse_timespan(&text).unwrap_or(DEFAULT_REQUEST_TIMEOUT),
        _ => DEFAULT_REQUEST_TIMEOUT,
    };
    let response = send(&run, &request, timeout).await?;
    check_status(&request, &response)?;
    let mut output = match serde_json::from_str::<Value>(&response.text) {
        Ok(Value::Object(object)) => object,
        _ => {
            let mut object = Map::new();
            object.insert("Response".into(), Value::String(response.text.clone()));
            object
        }
    };
    output.insert(
        "ADFWebActivityResponseHeaders".into(),
        Value::Object(response.headers),
    );
    runtime_fields(&mut output, started);
    Ok(Value::Object(output))
}

/// Removes the callback registration when the activity ends, however it ends (a cancel drops
/// the future mid-wait).
struct Registration<'a> {
    run: &'a Run,
    id: String,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.run.state.webhooks().forget(&self.id);
    }
}

/// WebHook: sends the request with a `callBackUri` in its body, then waits for a POST to that
/// URI (the emulator's `/_emulator/webhooks/{id}`) or its `timeout`.
pub(super) async fn webhook(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let started = std::time::Instant::now();
    let mut request = request(&run, activity, item)?;
    let timeout = match evaluated(&run, activity, "timeout", item)? {
        Value::String(text) => parse_timespan(&text).unwrap_or(DEFAULT_WEBHOOK_TIMEOUT),
        _ => DEFAULT_WEBHOOK_TIMEOUT,
    };
    let report_status = evaluated(&run, activity, "reportStatusOnCallBack", item)?
        .as_bool()
        .unwrap_or(false);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let callback_uri = run.state.webhooks().callback_uri(&id);
    // The body is a JSON object (ADF requires one); a string holding one is read as JSON.
    let mut body = match request.body.take() {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(object)) => object,
        Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => object,
            _ => {
                return Err(ActivityError::user(
                    "BadRequest",
                    "The body of a WebHook activity must be a JSON object: the emulator adds callBackUri to it.",
                ));
            }
        },
        Some(_) => {
            return Err(ActivityError::user(
                "BadRequest",
                "The body of a WebHook activity must be a JSON object: the emulator adds callBackUri to it.",
            ));
        }
    };
    body.insert("callBackUri".into(), Value::String(callback_uri));
    request.body = Some(Value::Object(body));
    // Registered before the call: an endpoint may call back before it answers.
    let receiver = run.state.webhooks().register(&id);
    let _registration = Registration {
        run: &run,
        id: id.clone(),
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let response = send(&run, &request, timeout.min(DEFAULT_REQUEST_TIMEOUT)).await?;
    check_status(&request, &response)?;
    let callback = match tokio::time::timeout_at(deadline, receiver).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) | Err(_) => {
            return Err(ActivityError::user(
                "2108",
                format!(
                    "The WebHook activity timed out after {}s without a call to its callBackUri.",
                    timeout.as_secs()
                ),
            ));
        }
    };
    if report_status {
        let status = callback
            .get("StatusCode")
            .or_else(|| callback.get("statusCode"))
            .and_then(|code| match code {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            });
        let error = callback.get("Error").or_else(|| callback.get("error"));
        if status.is_some_and(|code| code >= 400) || error.is_some_and(|e| !e.is_null()) {
            let field = |name: &str, alternative: &str| {
                error
                    .and_then(|e| e.get(name).or_else(|| e.get(alternative)))
                    .map(text_of)
                    .unwrap_or_default()
            };
            let code = field("ErrorCode", "errorCode");
            let message = field("Message", "message");
            return Err(ActivityError::user(
                if code.is_empty() {
                    "2108".to_string()
                } else {
                    code
                },
                if message.is_empty() {
                    format!(
                        "The WebHook callback reported status code {}.",
                        status.unwrap_or_default()
                    )
                } else {
                    message
                },
            ));
        }
    }
    // The callback's body is the output (its `Output` when status is reported); UNVERIFIED.
    let mut output = match (report_status, &callback) {
        (true, Value::Object(object)) if object.contains_key("Output") => {
            match object.get("Output") {
                Some(Value::Object(inner)) => inner.clone(),
                Some(other) => {
                    let mut wrapped = Map::new();
                    wrapped.insert("Output".into(), other.clone());
                    wrapped
                }
                None => Map::new(),
            }
        }
        (_, Value::Object(object)) => object.clone(),
        (_, Value::Null) => Map::new(),
        (_, other) => {
            let mut wrapped = Map::new();
            wrapped.insert("Response".into(), Value::String(text_of(other)));
            wrapped
        }
    };
    runtime_fields(&mut output, started);
    Ok(Value::Object(output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_query() {
        assert_eq!(
            shown_url("https://a.example/x/y?sig=secret&sv=1"),
            "https://a.example/x/y"
        );
        assert_eq!(shown_url("http://h/p#frag"), "http://h/p");
        assert_eq!(shown_url("http://h/p"), "http://h/p");
    }
}
