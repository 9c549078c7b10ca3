//! Wire interpretation: what a response, as it came off the wire, means. Success bodies become
//! an [`ArmResponse`], error statuses and bodies a typed [`ArmError`]; headers (`Retry-After`,
//! request ids, `ETag`), whether a 201/202 started a long-running operation and where to poll
//! it, operation status bodies and list pages are read here. Pure functions: no I/O, no
//! retries. Errors never include a body (it may hold secrets).

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::endpoint;
use crate::error::ArmError;

/// A response as it came off the wire.
pub(crate) struct Raw {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Raw {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    }

    pub(crate) fn request_id(&self) -> Option<String> {
        self.header("x-ms-request-id")
    }

    /// `Retry-After`, when present and valid.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .as_deref()
            .and_then(parse_retry_after)
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Parses `Retry-After` as integer seconds, the only form ARM uses (RPC). Anything else is ignored.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A successful ARM response.
#[derive(Clone, Debug, PartialEq)]
pub struct ArmResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body; `Value::Null` when the body was empty.
    pub body: Value,
    /// The `ETag` header, else the body's `etag`/`eTag` (factories say `eTag`).
    pub etag: Option<String>,
    /// `x-ms-request-id`.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id`.
    pub correlation_id: Option<String>,
    /// `Location`, when present.
    pub location: Option<String>,
    /// `Azure-AsyncOperation`, when present.
    pub async_operation: Option<String>,
    /// `Retry-After`, when present and valid.
    pub retry_after: Option<Duration>,
}

/// What a response body must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A JSON object (GET, PUT, PATCH of a resource).
    Object,
    /// Empty, or any JSON (DELETE, POST actions, LRO polls).
    Optional,
}

/// Turns a response into an `ArmResponse` (2xx) or an error.
pub(crate) fn interpret(
    raw: Raw,
    method: &Method,
    url: &Url,
    expect: Expect,
) -> Result<ArmResponse, ArmError> {
    if !raw.is_success() {
        return Err(error_from(raw, method, url));
    }
    let body = parse_body(&raw, method, url, expect)?;
    Ok(response_from(raw, body))
}

/// Parses a 2xx body. Never includes the body in an error (it may hold secrets).
pub(crate) fn parse_body(
    raw: &Raw,
    method: &Method,
    url: &Url,
    expect: Expect,
) -> Result<Value, ArmError> {
    let malformed = |detail: String| malformed(raw, method, url, detail);
    if raw.body.iter().all(u8::is_ascii_whitespace) {
        return match expect {
            Expect::Object if raw.status != StatusCode::NO_CONTENT.as_u16() => Err(malformed(
                "empty body where a JSON object was expected".to_string(),
            )),
            _ => Ok(Value::Null),
        };
    }
    let mut deserializer = serde_json::Deserializer::from_slice(&raw.body);
    let parsed = serde::de::DeserializeSeed::deserialize(compact::Compact, &mut deserializer)
        .and_then(|body| deserializer.end().map(|()| body));
    let body: Value = parsed.map_err(|error| {
        malformed(format!(
            "body is not valid JSON: {error} ({})",
            describe_body(raw)
        ))
    })?;
    if expect == Expect::Object && !body.is_object() {
        return Err(malformed(format!(
            "body is {}, expected a JSON object",
            json_type(&body)
        )));
    }
    Ok(body)
}

/// JSON to a [`Value`] whose objects and arrays have no spare capacity.
///
/// `serde_json::from_slice` grows each object's map by inserts, which leaves up to half its
/// entries' room unused (an `IndexMap` under `preserve_order` grows its entries to its hash
/// table's capacity); live state is thousands of small objects, kept for a whole plan, so
/// each is collected first and then built at its exact size. Same values, same key order;
/// a repeated key keeps its first position and its last value, as `serde_json` does.
mod compact {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Number, Value};
    use std::fmt;

    /// The seed: deserializes one JSON value, compactly.
    pub(crate) struct Compact;

    impl<'de> DeserializeSeed<'de> for Compact {
        type Value = Value;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
            deserializer.deserialize_any(Compact)
        }
    }

    impl<'de> Visitor<'de> for Compact {
        type Value = Value;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("any JSON value")
        }

        fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
            Ok(Value::Bool(value))
        }

        fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
            Ok(Value::Number(value.into()))
        }

        fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
            Ok(Value::Number(value.into()))
        }

        fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
            Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
        }

        fn visit_str<E>(self, value: &str) -> Result<Value, E> {
            Ok(Value::String(value.to_owned()))
        }

        fn visit_string<E>(self, value: String) -> Result<Value, E> {
            Ok(Value::String(value))
        }

        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
            Compact.deserialize(deserializer)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element_seed(Compact)? {
                items.push(item);
            }
            items.shrink_to_fit();
            Ok(Value::Array(items))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
            let mut entries: Vec<(String, Value)> = Vec::new();
            while let Some(key) = access.next_key::<String>()? {
                let value = access.next_value_seed(Compact)?;
                entries.push((key, value));
            }
            let mut map = Map::with_capacity(entries.len());
            for (key, value) in entries {
                map.insert(key, value);
            }
            Ok(Value::Object(map))
        }
    }
}

/// The `ArmResponse` of a 2xx and its parsed body.
pub(crate) fn response_from(raw: Raw, body: Value) -> ArmResponse {
    let etag = raw.header("etag").or_else(|| {
        ["etag", "eTag"]
            .iter()
            .find_map(|key| body.get(key).and_then(Value::as_str).map(str::to_string))
    });
    ArmResponse {
        status: raw.status,
        etag,
        request_id: raw.request_id(),
        correlation_id: raw.header("x-ms-correlation-request-id"),
        location: raw.header("location"),
        async_operation: raw.header("azure-asyncoperation"),
        retry_after: raw.retry_after(),
        body,
    }
}

/// The error for a non-2xx response: [`ArmError::Api`] with ARM's code, message and target
/// (or the HTTP reason when the body is empty), else [`ArmError::MalformedResponse`].
pub(crate) fn error_from(raw: Raw, method: &Method, url: &Url) -> ArmError {
    let bad = |detail: String| malformed(&raw, method, url, detail);
    if !(400..600).contains(&raw.status) {
        return bad(format!("unexpected status {}", raw.status));
    }
    let cloud_error = if raw.body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&raw.body) {
            Ok(body) => match parse_cloud_error(&body) {
                Some(error) => Some(error),
                None => {
                    return bad(format!(
                        "error body is JSON but not an ARM error ({})",
                        describe_body(&raw)
                    ));
                }
            },
            Err(error) => {
                return bad(format!(
                    "error body is not JSON: {error} ({})",
                    describe_body(&raw)
                ));
            }
        }
    };
    let (code, message, target) = match cloud_error {
        Some(error) => (error.code, error.message, error.target),
        None => (
            status_code_name(raw.status),
            "(no error details in the response)".to_string(),
            None,
        ),
    };
    ArmError::Api {
        status: raw.status,
        code,
        message,
        target,
        request_id: raw.request_id(),
        correlation_id: raw.header("x-ms-correlation-request-id"),
        method: method.to_string(),
        path: url.path().to_string(),
    }
}

/// The parts of an ARM error body we keep.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CloudError {
    code: String,
    message: String,
    target: Option<String>,
}

/// Reads `{"error":{"code","message","target"}}` (ARM/RPC and ADF's CloudError) or the bare
/// `{"code","message"}` some resource providers send. `None` when the value has neither shape.
fn parse_cloud_error(body: &Value) -> Option<CloudError> {
    let inner = match body.get("error") {
        Some(error) if error.is_object() => error,
        Some(_) => return None,
        None => body,
    };
    let code = inner.get("code")?.as_str()?.to_string();
    let message = match inner.get("message") {
        Some(Value::String(text)) => text.trim_end().to_string(),
        None | Some(Value::Null) => String::new(),
        Some(_) => return None,
    };
    let target = inner
        .get("target")
        .and_then(|target| target.as_str())
        .map(str::to_string);
    Some(CloudError {
        code,
        message,
        target,
    })
}

/// The HTTP reason phrase as a code: 404 -> `NotFound`.
fn status_code_name(status: u16) -> String {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .map(|reason| reason.split_whitespace().collect::<String>())
        .unwrap_or_else(|| format!("Http{status}"))
}

/// True when the answer to a PUT or PATCH started a long-running operation: a 202, or a 201
/// with an `Azure-AsyncOperation` to poll.
pub(crate) fn write_is_pending(raw: &Raw) -> bool {
    raw.status == 202 || (raw.status == 201 && raw.headers.contains_key("azure-asyncoperation"))
}

/// True when the answer to a POST started a long-running operation: a 202 that names something
/// to poll. A 202 that names nothing is the answer itself: the 2017 preview API answered
/// createRun so (arm-recordings, test_pipeline_create).
pub(crate) fn post_is_pending(raw: &Raw) -> bool {
    let to_poll = raw.header("location").is_some() || raw.header("azure-asyncoperation").is_some();
    raw.status == 202 && to_poll
}

/// Where a started long-running operation is followed.
#[derive(Debug)]
pub(crate) enum Monitor {
    /// `Azure-AsyncOperation`: a status resource, with the `Location` when there was one.
    AsyncOperation { url: Url, location: Option<Url> },
    /// `Location` only: polled until it stops answering 202.
    Location(Url),
}

/// Reads the links of the 201/202 that started an operation on `url`. Each must point at
/// `endpoint`; a response with neither is malformed.
pub(crate) fn monitor(
    raw: &Raw,
    method: &Method,
    url: &Url,
    endpoint: &Url,
) -> Result<Monitor, ArmError> {
    let bad = |detail: String| malformed(raw, method, url, detail);
    let location = raw
        .header("location")
        .map(|link| {
            endpoint::follow_link(endpoint, &link)
                .map_err(|detail| bad(format!("Location: {detail}")))
        })
        .transpose()?;
    let async_operation = raw
        .header("azure-asyncoperation")
        .map(|link| {
            endpoint::follow_link(endpoint, &link)
                .map_err(|detail| bad(format!("Azure-AsyncOperation: {detail}")))
        })
        .transpose()?;
    match (async_operation, location) {
        (Some(url), location) => Ok(Monitor::AsyncOperation { url, location }),
        (None, Some(location)) => Ok(Monitor::Location(location)),
        (None, None) => Err(bad(
            "202 Accepted without a Location or Azure-AsyncOperation header".to_string(),
        )),
    }
}

/// What an `Azure-AsyncOperation` status body says.
#[derive(Debug, PartialEq)]
pub(crate) enum OperationStatus {
    /// `InProgress`, or any other non-terminal status.
    Running,
    /// `Succeeded`, with the status body.
    Succeeded(Value),
}

/// Reads the 2xx answer to a poll of `poll_url`. `Failed`/`Canceled` is an
/// [`ArmError::OperationFailed`] naming the request that started the operation.
pub(crate) fn operation_status(
    raw: &Raw,
    poll_url: &Url,
    started_method: &Method,
    started_path: &str,
) -> Result<OperationStatus, ArmError> {
    let body = parse_body(raw, &Method::GET, poll_url, Expect::Object)?;
    let status = match body.get("status") {
        Some(Value::String(status)) => status.clone(),
        other => {
            return Err(malformed(
                raw,
                &Method::GET,
                poll_url,
                format!(
                    "operation `status` is {}, expected a string",
                    other.map_or("missing", json_type)
                ),
            ));
        }
    };
    match status.to_ascii_lowercase().as_str() {
        "succeeded" => Ok(OperationStatus::Succeeded(body)),
        "failed" | "canceled" | "cancelled" => {
            let error = body.get("error");
            let field = |name: &str| {
                error
                    .and_then(|error| error.get(name))
                    .and_then(Value::as_str)
                    .map(|text| text.trim_end().to_string())
            };
            Err(ArmError::OperationFailed {
                code: field("code").unwrap_or_else(|| format!("Operation{status}")),
                message: field("message")
                    .unwrap_or_else(|| "(no error details in the response)".into()),
                status,
                request_id: raw.request_id(),
                method: started_method.to_string(),
                path: started_path.to_string(),
            })
        }
        _ => Ok(OperationStatus::Running),
    }
}

/// One page of an ARM list.
#[derive(Debug, PartialEq)]
pub(crate) struct Page {
    /// The page's `value` items (none when `value` is absent or null).
    pub items: Vec<Value>,
    /// The `nextLink`, checked to point at the endpoint; `None` on the last page.
    pub next: Option<Url>,
}

/// Interprets the answer to a GET of a list page at `url`.
pub(crate) fn page(raw: Raw, url: &Url, endpoint: &Url) -> Result<Page, ArmError> {
    let status = raw.status;
    let request_id = raw.request_id();
    let mut page = interpret(raw, &Method::GET, url, Expect::Object)?.body;
    let bad = |detail: String| ArmError::MalformedResponse {
        method: "GET".into(),
        path: url.path().to_string(),
        status,
        request_id: request_id.clone(),
        detail,
    };
    let items = match page.get_mut("value").map(Value::take) {
        Some(Value::Array(values)) => values,
        // The official examples (ListResourceGroups, ListResources) answer `{}`.
        None | Some(Value::Null) => Vec::new(),
        Some(other) => {
            return Err(bad(format!(
                "list `value` is {}, expected an array",
                json_type(&other)
            )));
        }
    };
    let next = match page.get("nextLink") {
        None | Some(Value::Null) => None,
        Some(Value::String(link)) if link.is_empty() => None,
        Some(Value::String(link)) => Some(endpoint::follow_link(endpoint, link).map_err(&bad)?),
        Some(other) => {
            return Err(bad(format!(
                "`nextLink` is {}, expected a string",
                json_type(other)
            )));
        }
    };
    Ok(Page { items, next })
}

/// The name of a JSON value's type, for error details (never the value itself).
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn describe_body(raw: &Raw) -> String {
    let content_type = raw
        .header("content-type")
        .unwrap_or_else(|| "no content-type".to_string());
    format!("{content_type}, {} bytes", raw.body.len())
}

fn malformed(raw: &Raw, method: &Method, url: &Url, detail: String) -> ArmError {
    ArmError::MalformedResponse {
        method: method.to_string(),
        path: url.path().to_string(),
        status: raw.status,
        request_id: raw.request_id(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(status: u16, headers: &[(&'static str, &str)], body: &str) -> Raw {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().expect("header value"));
        }
        Raw {
            status,
            headers: map,
            body: body.as_bytes().to_vec(),
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    #[test]
    fn parses_arm_adf_and_bare_error_shapes() {
        let adf = json!({"error":{"code":"TriggerEnabledCannotUpdate","message":"Cannot update enabled Trigger; the trigger needs to be disabled first. ","target":null,"details":null}});
        assert_eq!(
            parse_cloud_error(&adf),
            Some(CloudError {
                code: "TriggerEnabledCannotUpdate".into(),
                message: "Cannot update enabled Trigger; the trigger needs to be disabled first."
                    .into(),
                target: None
            })
        );
        let bare = json!({"code":"BadRequest","message":"nope","target":"pipeline/p"});
        assert_eq!(
            parse_cloud_error(&bare).map(|e| (e.code, e.target)),
            Some(("BadRequest".into(), Some("pipeline/p".into())))
        );
        assert_eq!(parse_cloud_error(&json!({"error":"text"})), None);
        assert_eq!(parse_cloud_error(&json!({"error":{"code":7}})), None);
        assert_eq!(parse_cloud_error(&json!([1, 2])), None);
    }

    #[test]
    fn status_names() {
        assert_eq!(status_code_name(404), "NotFound");
        assert_eq!(status_code_name(429), "TooManyRequests");
        assert_eq!(status_code_name(599), "Http599");
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("15"), Some(Duration::from_secs(15)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn which_answers_start_an_operation() {
        let operation = ("azure-asyncoperation", "https://arm/op");
        assert!(write_is_pending(&raw(202, &[], "")));
        assert!(write_is_pending(&raw(201, &[operation], "{}")));
        assert!(!write_is_pending(&raw(201, &[], "{}")));
        assert!(!write_is_pending(&raw(200, &[operation], "{}")));
        assert!(post_is_pending(&raw(
            202,
            &[("location", "https://arm/l")],
            ""
        )));
        assert!(post_is_pending(&raw(202, &[operation], "")));
        assert!(!post_is_pending(&raw(202, &[], "{}")));
        assert!(!post_is_pending(&raw(200, &[operation], "{}")));
    }

    #[test]
    fn the_status_monitor_comes_first_and_location_is_kept() {
        let endpoint = url("https://arm");
        let started = url("https://arm/x");
        let both = raw(
            202,
            &[
                ("location", "https://arm/result"),
                ("azure-asyncoperation", "https://arm/status"),
            ],
            "",
        );
        match monitor(&both, &Method::PUT, &started, &endpoint).expect("monitor") {
            Monitor::AsyncOperation { url, location } => {
                assert_eq!(url.path(), "/status");
                assert_eq!(
                    location.map(|l| l.path().to_string()),
                    Some("/result".into())
                );
            }
            other => panic!("{other:?}"),
        }
        let none = raw(202, &[], "");
        assert!(monitor(&none, &Method::DELETE, &started, &endpoint).is_err());
    }

    #[test]
    fn operation_statuses() {
        let poll = url("https://arm/status");
        let read = |body: &str| operation_status(&raw(200, &[], body), &poll, &Method::PUT, "/x");
        assert_eq!(
            read(r#"{"status":"InProgress"}"#).expect("running"),
            OperationStatus::Running
        );
        assert!(matches!(
            read(r#"{"status":"Succeeded"}"#),
            Ok(OperationStatus::Succeeded(_))
        ));
        match read(r#"{"status":"Canceled"}"#) {
            Err(ArmError::OperationFailed {
                code, method, path, ..
            }) => assert_eq!(
                (code.as_str(), method.as_str(), path.as_str()),
                ("OperationCanceled", "PUT", "/x")
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read(r#"{"status":7}"#),
            Err(ArmError::MalformedResponse { .. })
        ));
    }

    #[test]
    fn pages() {
        let endpoint = url("https://arm");
        let here = url("https://arm/list");
        let page_of = |body: &str| page(raw(200, &[], body), &here, &endpoint);
        assert_eq!(
            page_of(r#"{"value":[1,2],"nextLink":"https://arm/list?p=2"}"#).expect("page"),
            Page {
                items: vec![json!(1), json!(2)],
                next: Some(url("https://arm/list?p=2")),
            }
        );
        assert_eq!(
            page_of(r#"{"nextLink":""}"#).expect("page"),
            Page {
                items: Vec::new(),
                next: None
            }
        );
        assert!(page_of(r#"{"value":{}}"#).is_err());
        assert!(page_of(r#"{"value":[],"nextLink":"https://other/list"}"#).is_err());
    }
}
