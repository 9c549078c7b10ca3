//! Every ARM response recorded in ../shared/arm-recordings (the Python SDK's vcrpy cassettes:
//! real ARM, api-version 2017-09-01-preview, 2017) served by a mock server to the ARM client,
//! with the recorded status, headers and body, through the call the SDK made (GET, PUT, POST,
//! DELETE): successes must come back as the recorded JSON, errors as typed `ArmError::Api`
//! keeping the recorded status, code and message. The ways a 2017 answer is legitimately not
//! understood are listed in [`LISTED`] with their reason. Skips, saying so, when ../shared is
//! absent.

use std::path::Path;

use adf_arm::{ArmClient, ArmClientOptions, ArmError, ArmResponse, Idempotency};
use adf_testkit::cassette::{self, Interaction, RecordedRequest, RecordedResponse};
use serde_json::Value;
use url::Url;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A known, legitimate way the client does not take a recorded response as recorded.
struct Listed {
    /// Operation (`METHOD what`, see `RecordedRequest::operation`).
    operation: &'static str,
    /// The difference, up to its `:`.
    difference: &'static str,
    reason: &'static str,
}

/// None left: the 2017 createRun 202 (a body, nothing to poll) is now the answer itself.
const LISTED: &[Listed] = &[];

fn header_text(value: &serde_yaml::Value) -> String {
    match value {
        serde_yaml::Value::String(text) => text.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// The recorded response, with `status` in place of the recorded one.
fn template(response: &RecordedResponse, status: u16) -> ResponseTemplate {
    let mut template = ResponseTemplate::new(status);
    let mut content_type = "application/json; charset=utf-8".to_owned();
    for (name, values) in &response.headers {
        let Some(value) = values.first().map(header_text) else {
            continue;
        };
        match name.to_ascii_lowercase().as_str() {
            // Framing is the mock server's.
            "content-length" | "transfer-encoding" | "connection" => {}
            "content-type" => content_type = value,
            _ => template = template.insert_header(name.as_str(), value.as_str()),
        }
    }
    if response.body.string.is_empty() {
        template
    } else {
        template.set_body_raw(response.body.string.clone().into_bytes(), &content_type)
    }
}

fn variant(error: &ArmError) -> &'static str {
    match error {
        ArmError::Api { .. } => "Api",
        ArmError::OperationFailed { .. } => "OperationFailed",
        ArmError::Transport { .. } => "Transport",
        ArmError::Timeout { .. } => "Timeout",
        ArmError::MalformedResponse { .. } => "MalformedResponse",
        ArmError::Credential(_) => "Credential",
        ArmError::Config(_) => "Config",
    }
}

/// Sends the recorded request through the client, to a server that answers `status` and the
/// recorded response.
async fn call(
    server: &MockServer,
    client: &ArmClient,
    request: &RecordedRequest,
    path: &str,
    response: &RecordedResponse,
    status: u16,
) -> Result<ArmResponse, ArmError> {
    server.reset().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(template(response, status))
        .mount(server)
        .await;
    let api_version = "2017-09-01-preview";
    let body: Option<Value> = request
        .body
        .as_deref()
        .map(|text| serde_json::from_str(text).expect("recorded request body"));
    match request.method.as_str() {
        "GET" => client.get(path, api_version).await,
        "PUT" => {
            let body = body.unwrap_or(Value::Null);
            client.put(path, api_version, &body, None).await
        }
        "POST" => {
            client
                .post(path, api_version, body.as_ref(), Idempotency::NonIdempotent)
                .await
        }
        "DELETE" => client.begin_delete(path, api_version).await?.wait().await,
        other => panic!("no client call for {other}"),
    }
}

/// How the client's result differs from the recorded response.
fn differences(
    response: &RecordedResponse,
    status: u16,
    result: &Result<ArmResponse, ArmError>,
) -> Vec<String> {
    let text = response.body.string.trim();
    match result {
        Ok(answer) if (200..300).contains(&status) => {
            let expected = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(text).expect("recorded response body")
            };
            let mut out = Vec::new();
            if answer.status != status {
                out.push(format!("status: {}, recorded {status}", answer.status));
            }
            if answer.body != expected {
                out.push(format!("body: {}, recorded {expected}", answer.body));
            }
            out
        }
        Err(error) if (200..300).contains(&status) => {
            vec![format!("rejected {status} as {}: {error}", variant(error))]
        }
        Ok(answer) => vec![format!(
            "accepted {status}: the client returned {} {}",
            answer.status, answer.body
        )],
        Err(error) => {
            let recorded: Value = serde_json::from_str(text).expect("recorded error body");
            let code = recorded["error"]["code"].as_str().unwrap_or_default();
            let message = recorded["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .trim_end();
            match error {
                ArmError::Api {
                    status: got_status,
                    code: got_code,
                    message: got_message,
                    ..
                } if *got_status == status && got_code == code && got_message == message => {
                    Vec::new()
                }
                other => vec![format!(
                    "error: {} {:?} {:?} {:?}, recorded {status} {code:?} {message:?}",
                    variant(other),
                    other.status(),
                    other.code(),
                    other.message()
                )],
            }
        }
    }
}

struct Outcome {
    operation: String,
    differences: Vec<String>,
}

async fn replay_cassette(file: &Path) -> Vec<Outcome> {
    let cassette = cassette::read(file);
    let server = MockServer::start().await;
    let mut options = ArmClientOptions::new(Url::parse(&server.uri()).expect("url"));
    options.retry.max_retries = 0;
    options.timeout = std::time::Duration::from_secs(20);
    options.lro.timeout = std::time::Duration::from_secs(20);
    let client = ArmClient::new(options).expect("client");
    let mut outcomes = Vec::new();
    for Interaction { request, response } in &cassette.interactions {
        if request.is_token_request() {
            continue;
        }
        let (_, path, _) = request.parts();
        let operation = request.operation();
        let status = response.status.code;
        let result = call(&server, &client, request, path, response, status).await;
        let mut found = differences(response, status, &result);
        if status == 202 && operation.ends_with("/createRun") {
            // The status 2018-06-01 answers (see LISTED): the body must then parse as recorded.
            let result = call(&server, &client, request, path, response, 200).await;
            found.extend(
                differences(response, 200, &result)
                    .into_iter()
                    .map(|difference| format!("as 200, {difference}")),
            );
        }
        outcomes.push(Outcome {
            operation,
            differences: found,
        });
    }
    outcomes
}

#[tokio::test]
async fn every_recorded_arm_response_is_understood() {
    let Some(files) = cassette::files(module_path!()) else {
        return;
    };
    let mut used = vec![0usize; LISTED.len()];
    let (mut replayed, mut parsed, mut listed) = (0, 0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let cassette = file
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        for outcome in replay_cassette(file).await {
            replayed += 1;
            if outcome.differences.is_empty() {
                parsed += 1;
                continue;
            }
            let mut unlisted = Vec::new();
            for difference in &outcome.differences {
                let entry = LISTED.iter().position(|entry| {
                    entry.operation == outcome.operation
                        && difference
                            .strip_prefix(entry.difference)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
                });
                match entry {
                    Some(index) => used[index] += 1,
                    None => unlisted.push(difference.as_str()),
                }
            }
            if unlisted.is_empty() {
                listed += 1;
            } else {
                failures.push(format!(
                    "{cassette}: {}\n    {}",
                    outcome.operation,
                    unlisted.join("\n    ")
                ));
            }
        }
    }
    adf_testkit::report(&format!(
        "recordings (ARM client): {replayed} responses replayed, {parsed} understood as recorded, \
         {listed} listed differences"
    ));
    for (entry, count) in LISTED.iter().zip(&used) {
        println!(
            "  listed ({count}x) {} | {}: {}",
            entry.operation, entry.difference, entry.reason
        );
    }
    assert!(
        failures.is_empty(),
        "{} recorded responses are not understood:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let stale: Vec<&str> = LISTED
        .iter()
        .zip(&used)
        .filter(|(_, count)| **count == 0)
        .map(|(entry, _)| entry.difference)
        .collect();
    assert!(
        stale.is_empty(),
        "listed differences no recording shows any more (remove them): {stale:?}"
    );
    assert!(
        replayed >= 40,
        "only {replayed} recorded responses replayed"
    );
}
