//! Recording replay: real ARM traffic against the emulator (router level, no socket).
//!
//! 1. The Python SDK's vcrpy cassettes in `../shared/arm-recordings` (ARM dogfood, api-version
//!    2017-09-01-preview, 2017) are replayed request by request, in order, against one fresh
//!    emulator per cassette: same path (the sanitised zero subscription included), the
//!    api-version the emulator speaks, the recorded body. Each answer must have the recorded
//!    status and the recorded body's shape ([`shape_differences`]). The emulator speaks
//!    2018-06-01, so every way a 2017 answer legitimately differs is listed in [`LISTED`] with
//!    its reason; anything else fails, and so does a listed difference no replay shows any more.
//! 2. The sequences the Azure PowerShell and Azure CLI recordings settle (api-version
//!    2018-06-01; ARM-FACTS §12; PS = Azure/azure-powershell
//!    `src/DataFactory/DataFactoryV2.Test/SessionRecords/<class>/<Test>.json`, CLI =
//!    Azure/azure-cli-extensions `src/datafactory/azext_datafactory/tests/latest/recordings/`)
//!    are written out below as replay cases ([`Step`] tables), each citing its recording. They
//!    need nothing from `../shared`, so they run everywhere.
#![allow(clippy::unwrap_used)]

mod common;

use adf_emulator::Clock;
use adf_testkit::cassette::{self, Interaction};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{ADF, Answer, Emu, RES, SUB};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

// ------------------------------------------------------------------------------------------
// 1. The cassettes
// ------------------------------------------------------------------------------------------

/// Members whose values differ between two runs of the same calls: only their presence is
/// compared. Everything else is compared by value, resource `id`s included: a replay uses the
/// recording's own (sanitised, all-zero) subscription, resource group, factory and entity
/// names, so the ids are deterministic echoes.
const VOLATILE_KEYS: &[&str] = &[
    // A new one on every write.
    "etag",
    "eTag",
    // Timestamps and timings.
    "createTime",
    "runStart",
    "runEnd",
    "lastUpdated",
    "activityRunStart",
    "activityRunEnd",
    "durationInMs",
    // Generated run ids (a recorded run id met in a later request path or body is replaced by
    // the emulator's, so the run is found).
    "runId",
    "runGroupId",
    "pipelineRunId",
    "activityRunId",
    // Opaque, issued by the service.
    "encryptedCredential",
];

/// Volatile values under a key that is compared elsewhere: the run's `invokedBy.id` is random
/// per run, while `id` is otherwise a resource id.
const VOLATILE_POINTER_SUFFIXES: &[&str] = &["/invokedBy/id"];

fn is_volatile(key: &str, pointer: &str) -> bool {
    VOLATILE_KEYS.contains(&key)
        || VOLATILE_POINTER_SUFFIXES
            .iter()
            .any(|suffix| pointer.ends_with(suffix))
}

/// How `actual` differs from `recorded`: `missing /p` (a recorded member the answer lacks),
/// `extra /p` (a member the recording lacks), `value /p: got, recorded` (a differing scalar,
/// volatile members excepted), `length /p: …` (arrays of different lengths; items compared
/// pairwise). Each string starts with that key, then `: ` and details where there are any.
fn shape_differences(recorded: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    compare(recorded, actual, "", &mut out);
    out
}

fn compare(recorded: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (recorded, actual) {
        (Value::Object(r), Value::Object(a)) => {
            for (key, recorded_value) in r {
                let child = format!("{at}/{key}");
                match a.get(key) {
                    None => out.push(format!("missing {child}")),
                    Some(_) if is_volatile(key, &child) => {}
                    Some(actual_value) => compare(recorded_value, actual_value, &child, out),
                }
            }
            for key in a.keys().filter(|key| !r.contains_key(*key)) {
                out.push(format!("extra {at}/{key}"));
            }
        }
        (Value::Array(r), Value::Array(a)) => {
            if r.len() != a.len() {
                out.push(format!(
                    "length {at}: {} items, recorded {}",
                    a.len(),
                    r.len()
                ));
            }
            for (index, (recorded_item, actual_item)) in r.iter().zip(a).enumerate() {
                compare(recorded_item, actual_item, &format!("{at}/{index}"), out);
            }
        }
        (r, a) if r == a => {}
        (r, a) => out.push(format!("value {at}: {a}, recorded {r}")),
    }
}

/// A known, legitimate difference between a recorded answer and the emulator's.
struct Listed {
    /// Operations (`METHOD what`, see `RecordedRequest::operation`) it applies to.
    operations: &'static [&'static str],
    /// The difference, as [`shape_differences`] (or the status check) names it, up to the `:`.
    difference: &'static str,
    reason: &'static str,
}

impl Listed {
    fn covers(&self, operation: &str, difference: &str) -> bool {
        self.operations.contains(&operation)
            && (difference == self.difference
                || difference
                    .strip_prefix(self.difference)
                    .is_some_and(|rest| rest.starts_with(':')))
    }
}

const FACTORY_READS: &[&str] = &["PUT factory", "GET factory"];
const RUN_QUERY: &[&str] = &["POST pipelineruns"];

/// Every difference a replay may show, and why it is legitimate.
const LISTED: &[Listed] = &[
    Listed {
        operations: FACTORY_READS,
        difference: "missing /properties/loggingStorageAccountKey",
        reason: "a 2017-09-01-preview factory property; the 2018-06-01 Factory has none \
                 (arm-swagger/datafactory.json)",
    },
    Listed {
        operations: FACTORY_READS,
        difference: "extra /eTag",
        reason: "2018-06-01 factories carry a quoted `eTag` (ARM-FACTS §5; CLI \
                 test_datafactory_main); the preview API returned none",
    },
    Listed {
        operations: FACTORY_READS,
        difference: "value /properties/version",
        reason: "the API version the factory was created with: 2018-06-01 here, \
                 2017-09-01-preview in the recording",
    },
    Listed {
        operations: &[
            "PUT linkedservices",
            "PUT datasets",
            "GET datasets",
            "PUT pipelines",
            "PUT integrationruntimes",
        ],
        difference: "extra /type",
        reason: "2018-06-01 child resources carry `type` \
                 (Microsoft.DataFactory/factories/<collection>: PS and CLI recordings, ARM-FACTS \
                 §6); the 2017 preview bodies had none",
    },
    Listed {
        operations: &["PUT linkedservices"],
        difference: "extra /properties/typeProperties/encryptedCredential",
        reason: "2018+ answers a SecureString connection string with an `encryptedCredential` \
                 beside it (ARM-FACTS §12; PS TestPipelineRunV2, CLI test_datafactory_main); the \
                 2017 preview did not, and the emulator follows 2018-06-01",
    },
    Listed {
        operations: &["POST pipelines/createRun"],
        difference: "status 200, recorded 202",
        reason: "createRun answered 202 in the 2017 preview API; 2018-06-01 answers 200 \
                 (ARM-FACTS §1, §8; PS TestPipelineRunV2)",
    },
    Listed {
        operations: &["GET factory"],
        difference: "value /error/message",
        reason: "ARM has since appended \" For more details please go to \
                 https://aka.ms/ARMResourceNotFoundFix\" to the 2017 wording (ARM-FACTS §3, \
                 Azure/data-factory-deploy-action#1); code and the rest of the text are as \
                 recorded (checked in missing_factory_is_resource_not_found)",
    },
    Listed {
        operations: &["POST integrationruntimes/getStatus"],
        difference: "status 404, recorded 200",
        reason: "runtime status is not emulated (IntegrationRuntimes_GetStatus is listed in \
                 conformance.rs too)",
    },
    Listed {
        operations: &[
            "POST integrationruntimes/listAuthKeys",
            "POST integrationruntimes/regenerateAuthKey",
        ],
        difference: "status 404, recorded 200",
        reason: "self-hosted runtime keys are not emulated (no self-hosted node registers \
                 locally)",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "extra /value/0/id",
        reason: "2018-06-01 run documents carry `id`, `debugRunId`, `runGroupId`, \
                 `invokedBy.invokedByType`, `annotations`, `runDimension` and `isLatest` (PS \
                 TestPipelineRunV2, CLI test_datafactory_main); the preview API had none",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "extra /value/0/debugRunId",
        reason: "as /value/0/id",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "extra /value/0/runGroupId",
        reason: "as /value/0/id",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "extra /value/0/invokedBy/invokedByType",
        reason: "as /value/0/id",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "extra /value/0/annotations",
        reason: "as /value/0/id",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "extra /value/0/runDimension",
        reason: "as /value/0/id",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "extra /value/0/isLatest",
        reason: "as /value/0/id",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "value /value/0/status",
        reason: "no run engine in this replay: the run stays Queued (recorded InProgress)",
    },
    Listed {
        operations: RUN_QUERY,
        difference: "value /value/0/message",
        reason: "`message` is null while a run is Queued (PS TestPipelineRunV2); the recording \
                 shows \"\" for an InProgress run",
    },
    Listed {
        operations: &["GET pipelineruns/activityruns"],
        difference: "length /value",
        reason: "no run engine in this replay, so the Queued run has no activity runs yet",
    },
];

/// Preview-API operations the emulator does not serve under their 2017 path; the replay sends
/// their 2018-06-01 equivalent instead (see [`equivalent`]).
const TRANSLATED: &[(&str, &str)] = &[
    (
        "POST pipelineruns",
        "POST queryPipelineRuns (the same RunFilterParameters body)",
    ),
    (
        "GET pipelineruns/activityruns",
        "POST pipelineruns/{runId}/queryActivityruns (startTime/endTime as \
         lastUpdatedAfter/lastUpdatedBefore)",
    ),
];

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The 2018-06-01 request for a preview-only operation ([`TRANSLATED`]): method, path, body.
fn equivalent(
    operation: &str,
    path: &str,
    query: &str,
    body: Option<&str>,
) -> Option<(Method, String, Option<String>)> {
    let parent = path.rsplit_once('/').map_or(path, |(parent, _)| parent);
    match operation {
        "POST pipelineruns" => Some((
            Method::POST,
            format!("{parent}/queryPipelineRuns"),
            body.map(str::to_owned),
        )),
        "GET pipelineruns/activityruns" => {
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                    .map(percent_decode)
            };
            let window = json!({
                "lastUpdatedAfter": param("startTime"),
                "lastUpdatedBefore": param("endTime"),
            });
            Some((
                Method::POST,
                format!("{parent}/queryActivityruns"),
                Some(window.to_string()),
            ))
        }
        _ => None,
    }
}

fn substitute(text: &str, run_ids: &[(String, String)]) -> String {
    run_ids
        .iter()
        .fold(text.to_owned(), |text, (recorded, ours)| {
            text.replace(recorded, ours)
        })
}

async fn send(emu: &Emu, method: Method, uri: &str, body: Option<String>) -> Answer {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1:4000")
        .header("authorization", "Bearer recording");
    let request = match body {
        Some(text) => builder
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(text)),
        None => builder.body(Body::empty()),
    };
    emu.raw(request.unwrap()).await
}

/// The differences between a recorded answer and the emulator's.
fn response_differences(recorded_status: u16, recorded_text: &str, answer: &Answer) -> Vec<String> {
    let status = answer.status.as_u16();
    if status != recorded_status {
        return vec![format!(
            "status {status}, recorded {recorded_status}: {}",
            answer.text
        )];
    }
    match (
        recorded_text.trim().is_empty(),
        answer.text.trim().is_empty(),
    ) {
        (true, true) => Vec::new(),
        (true, false) => vec![format!("body: {}, recorded empty", answer.text)],
        (false, true) => vec![format!("body: empty, recorded {recorded_text}")],
        (false, false) => match serde_json::from_str::<Value>(recorded_text) {
            Ok(recorded) => shape_differences(&recorded, &answer.body),
            Err(error) => vec![format!("body: the recorded body is not JSON ({error})")],
        },
    }
}

/// One replayed request.
struct Outcome {
    operation: String,
    request: String,
    differences: Vec<String>,
}

async fn replay_cassette(file: &Path) -> Vec<Outcome> {
    let cassette = cassette::read(file);
    // The recording's own time, so the run queries' windows (2017-09-10 .. 2027-07-20) hold it.
    let emu = Emu::with(|config| {
        config.clock = Clock::fixed(time::macros::datetime!(2017-09-14 00:40:00 UTC));
    });
    let mut group_created = false;
    let mut run_ids: Vec<(String, String)> = Vec::new();
    let mut outcomes = Vec::new();
    for Interaction { request, response } in cassette.interactions {
        if request.is_token_request() {
            continue;
        }
        let operation = request.operation();
        let (_, path, query) = request.parts();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if !group_created {
            // The SDK tests' resource group was created outside the recording.
            let created = emu
                .put(
                    &format!(
                        "/subscriptions/{}/resourcegroups/{}?{RES}",
                        segments[1], segments[3]
                    ),
                    json!({"location": "eastus2"}),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
            group_created = true;
        }
        let path = substitute(path, &run_ids);
        let body = request.body.as_deref().map(|b| substitute(b, &run_ids));
        let (method, path, body) = match equivalent(&operation, &path, query, body.as_deref()) {
            Some(translated) => translated,
            None => (request.method.parse::<Method>().unwrap(), path, body),
        };
        let api_version = if path
            .to_ascii_lowercase()
            .contains("/providers/microsoft.datafactory")
        {
            ADF
        } else {
            RES
        };
        let query: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.starts_with("api-version="))
            .collect();
        let uri = match (query.is_empty(), &method) {
            (false, &Method::GET) => format!("{path}?{api_version}&{}", query.join("&")),
            _ => format!("{path}?{api_version}"),
        };
        let answer = send(&emu, method.clone(), &uri, body).await;
        let recorded_text = substitute(&response.body.string, &run_ids);
        let differences = response_differences(response.status.code, &recorded_text, &answer);
        if operation.ends_with("/createRun")
            && let Ok(recorded) = serde_json::from_str::<Value>(&response.body.string)
            && let (Some(recorded_id), Some(our_id)) =
                (recorded["runId"].as_str(), answer.body["runId"].as_str())
        {
            run_ids.push((recorded_id.to_owned(), our_id.to_owned()));
        }
        outcomes.push(Outcome {
            operation,
            request: format!("{method} {uri}"),
            differences,
        });
    }
    outcomes
}

#[tokio::test]
async fn recorded_arm_traffic_replays_against_the_emulator() {
    let Some(files) = cassette::files(module_path!()) else {
        return;
    };
    let mut used = vec![0usize; LISTED.len()];
    let (mut replayed, mut matched, mut listed) = (0, 0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let cassette = file.file_stem().unwrap().to_string_lossy().into_owned();
        for outcome in replay_cassette(file).await {
            replayed += 1;
            if outcome.differences.is_empty() {
                matched += 1;
                continue;
            }
            let mut unlisted = Vec::new();
            for difference in &outcome.differences {
                match LISTED
                    .iter()
                    .position(|entry| entry.covers(&outcome.operation, difference))
                {
                    Some(index) => used[index] += 1,
                    None => unlisted.push(difference.as_str()),
                }
            }
            if unlisted.is_empty() {
                listed += 1;
            } else {
                failures.push(format!(
                    "{cassette}: {} ({})\n    {}",
                    outcome.operation,
                    outcome.request,
                    unlisted.join("\n    ")
                ));
            }
        }
    }
    adf_testkit::report(&format!(
        "recordings: {replayed} requests replayed, {matched} matched, {listed} listed differences"
    ));
    for (entry, count) in LISTED.iter().zip(&used) {
        println!(
            "  listed ({count}x) {} | {}: {}",
            entry.operations.join(", "),
            entry.difference,
            entry.reason
        );
    }
    for (operation, instead) in TRANSLATED {
        println!("  preview-API {operation}: replayed as its 2018-06-01 equivalent {instead}");
    }
    assert!(
        failures.is_empty(),
        "{} recorded requests differ in ways not listed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let stale: Vec<String> = LISTED
        .iter()
        .zip(&used)
        .filter(|(_, count)| **count == 0)
        .map(|(entry, _)| format!("{:?} {}", entry.operations, entry.difference))
        .collect();
    assert!(
        stale.is_empty(),
        "listed differences no replay shows any more (remove them): {stale:?}"
    );
    assert!(replayed >= 40, "only {replayed} recorded requests replayed");
}

#[test]
fn shape_differences_name_members_values_and_lengths() {
    let recorded = json!({"id": "/a", "etag": "1", "properties": {"type": "X", "gone": 1},
        "value": [{"runId": "r1", "invokedBy": {"id": "abc", "name": "Manual"}}]});
    let actual = json!({"id": "/a", "etag": "2", "properties": {"type": "Y", "new": true},
        "value": [{"runId": "r2", "invokedBy": {"id": "def", "name": "Manual"}}, {}]});
    assert_eq!(
        shape_differences(&recorded, &actual),
        [
            "value /properties/type: \"Y\", recorded \"X\"",
            "missing /properties/gone",
            "extra /properties/new",
            "length /value: 2 items, recorded 1",
        ]
    );
    assert!(shape_differences(&recorded, &recorded).is_empty());
    let request = adf_testkit::cassette::RecordedRequest {
        method: "POST".into(),
        uri: "https://h/subscriptions/s/resourceGroups/g/providers/Microsoft.DataFactory/factories/f/integrationRuntimes/ir1/getStatus?api-version=x".into(),
        body: None,
    };
    assert_eq!(request.operation(), "POST integrationruntimes/getStatus");
}

// ------------------------------------------------------------------------------------------
// 2. The sequences the PowerShell and CLI recordings settle (2018-06-01)
// ------------------------------------------------------------------------------------------

/// One request of a replay case and what the recordings show it answers.
struct Step {
    method: Method,
    /// `{f}` is the case's factory path, `{g}` its resource group path, `{F}` the factory path
    /// upper-cased, `{factory}` the factory name; other `{name}`s are captured values.
    path: &'static str,
    /// Filled in like `path`.
    body: Option<Value>,
    status: u16,
    expect: Expect,
    /// Values to remember for later steps: (name, JSON pointer into the answer).
    capture: &'static [(&'static str, &'static str)],
}

/// What the answer's body must be. Strings are filled in like [`Step::path`]; strings starting
/// with `$` are patterns: `$string`, `$number`, `$absent` (the member must not be there),
/// `$prefix:TEXT`, `$not:TEXT`.
enum Expect {
    /// No body.
    Empty,
    /// These members, recursively; others may be there too.
    Members(Value),
    /// Exactly these members, recursively, in this order (the recordings' order).
    Exactly(Value),
}

fn step(
    method: Method,
    path: &'static str,
    body: Option<Value>,
    status: u16,
    expect: Expect,
) -> Step {
    Step {
        method,
        path,
        body,
        status,
        expect,
        capture: &[],
    }
}

impl Step {
    fn capture(mut self, capture: &'static [(&'static str, &'static str)]) -> Step {
        self.capture = capture;
        self
    }
}

fn fill(text: &str, vars: &HashMap<String, String>) -> String {
    vars.iter().fold(text.to_owned(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

fn fill_value(value: &Value, vars: &HashMap<String, String>) -> Value {
    serde_json::from_str(&fill(&value.to_string(), vars)).unwrap()
}

fn pattern(pattern: &str, actual: &Value) -> bool {
    match pattern {
        "$string" => actual.is_string(),
        "$number" => actual.is_number(),
        _ => match (
            pattern.strip_prefix("$prefix:"),
            pattern.strip_prefix("$not:"),
        ) {
            (Some(prefix), _) => actual.as_str().is_some_and(|a| a.starts_with(prefix)),
            (_, Some(other)) => actual.as_str() != Some(other),
            _ => panic!("unknown pattern {pattern}"),
        },
    }
}

fn expect_matches(expected: &Value, actual: &Value, at: &str, exact: bool, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::String(p), _) if p.starts_with('$') => {
            if !pattern(p, actual) {
                out.push(format!("{at}: {actual}, expected {p}"));
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for (key, expected_value) in e {
                let child = format!("{at}/{key}");
                match (expected_value.as_str(), a.get(key)) {
                    (Some("$absent"), None) => {}
                    (Some("$absent"), Some(v)) => {
                        out.push(format!("{child}: {v}, expected absent"))
                    }
                    (_, None) => out.push(format!("{child}: missing")),
                    (_, Some(v)) => expect_matches(expected_value, v, &child, exact, out),
                }
            }
            if exact {
                let expected_keys: Vec<&String> = e
                    .iter()
                    .filter(|(_, v)| v.as_str() != Some("$absent"))
                    .map(|(k, _)| k)
                    .collect();
                let actual_keys: Vec<&String> = a.keys().collect();
                if expected_keys != actual_keys {
                    out.push(format!(
                        "{at}: members {actual_keys:?}, expected {expected_keys:?}"
                    ));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!("{at}: {} items, expected {}", a.len(), e.len()));
            }
            for (index, (ev, av)) in e.iter().zip(a).enumerate() {
                expect_matches(ev, av, &format!("{at}/{index}"), exact, out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{at}: {a}, expected {e}")),
    }
}

/// Runs `steps` against a fresh emulator with factory `factory` in group `group`; panics with
/// every step that did not answer as recorded. Returns the emulator and the captured values.
async fn replay_case(
    group: &str,
    factory: &str,
    steps: Vec<Step>,
) -> (Emu, HashMap<String, String>) {
    let emu = Emu::new();
    let f = emu.factory(group, factory).await;
    let mut vars = HashMap::from([
        (
            "g".to_owned(),
            format!("/subscriptions/{SUB}/resourceGroups/{group}"),
        ),
        ("F".to_owned(), f.to_uppercase()),
        ("factory".to_owned(), factory.to_owned()),
        ("f".to_owned(), f),
    ]);
    let mut failures = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let path = fill(step.path, &vars);
        let body = step.body.as_ref().map(|b| fill_value(b, &vars));
        let answer = emu
            .call(step.method.clone(), &format!("{path}?{ADF}"), body, &[])
            .await;
        let what = format!("step {} ({} {path})", index + 1, step.method);
        if answer.status.as_u16() != step.status {
            failures.push(format!(
                "{what}: status {}, expected {}: {}",
                answer.status, step.status, answer.text
            ));
            continue;
        }
        let mut problems = Vec::new();
        match &step.expect {
            Expect::Empty if answer.text.is_empty() => {}
            Expect::Empty => problems.push(format!("a body {}, expected none", answer.text)),
            Expect::Members(expected) => {
                expect_matches(
                    &fill_value(expected, &vars),
                    &answer.body,
                    "",
                    false,
                    &mut problems,
                );
            }
            Expect::Exactly(expected) => {
                expect_matches(
                    &fill_value(expected, &vars),
                    &answer.body,
                    "",
                    true,
                    &mut problems,
                );
            }
        }
        for (name, pointer) in step.capture {
            match answer.body.pointer(pointer).and_then(Value::as_str) {
                Some(value) => {
                    vars.insert((*name).to_owned(), value.to_owned());
                }
                None => problems.push(format!("nothing to capture at {pointer}")),
            }
        }
        failures.extend(problems.into_iter().map(|p| format!("{what}: {p}")));
    }
    assert!(
        failures.is_empty(),
        "the emulator does not answer as recorded:\n{}",
        failures.join("\n")
    );
    (emu, vars)
}

/// A linked service's stored document, read from the emulator's store once it is closed (the
/// only way to see a secret: the API never returns one).
fn stored_linked_service(emu: Emu, name: &str) -> Value {
    let Emu { state, dir } = emu;
    drop(state);
    let connection = rusqlite::Connection::open(dir.path().join("emulator.sqlite3")).unwrap();
    let body: String = connection
        .query_row(
            "SELECT body FROM entities WHERE kind = 'linkedService' AND key = ?1",
            [name.to_lowercase()],
            |row| row.get(0),
        )
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

const GET: Method = Method::GET;
const PUT: Method = Method::PUT;
const POST: Method = Method::POST;
const DELETE: Method = Method::DELETE;

/// PS TestDatasetV2 (2018), TestDataFlow (2019), TestSsisAzureIntegrationRuntime (2019),
/// TestPipelineRunV2 (2020): a plain connection string loses its `AccountKey=…;` part, and
/// `typeProperties.encryptedCredential` appears beside it, on PUT and on every GET. (From 2020
/// the service also appends `EndpointSuffix=core.windows.net;`; the emulator keeps the
/// 2018-2019 form.)
#[tokio::test]
async fn plain_connection_string_loses_its_account_key() {
    let answer = json!({
        "id": "{f}/linkedservices/foo1",
        "name": "foo1",
        "type": "Microsoft.DataFactory/factories/linkedservices",
        "properties": {"type": "AzureStorage", "typeProperties": {
            "connectionString": "DefaultEndpointsProtocol=https;AccountName=myaccount;",
            "encryptedCredential": "$string"}},
        "etag": "$string",
    });
    let mut get = answer.clone();
    get["properties"]["typeProperties"]["encryptedCredential"] = json!("{cred}");
    replay_case(
        "ps9237",
        "ps6184",
        vec![
            step(
                PUT,
                "{f}/linkedservices/foo1",
                Some(json!({"properties": {"type": "AzureStorage", "typeProperties": {
                    "connectionString": "DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey=myfakekey;"}}})),
                200,
                Expect::Exactly(answer),
            )
            .capture(&[("cred", "/properties/typeProperties/encryptedCredential")]),
            step(GET, "{f}/linkedservices/foo1", None, 200, Expect::Exactly(get)),
        ],
    )
    .await;
}

/// CLI test_datafactory_main (2021): `linked-service update --description` GETs the linked
/// service, then PUTs back the masked `**********` value with the same `encryptedCredential`
/// and the description. The service answers 200, keeps the secret, and the
/// `encryptedCredential` stays byte-identical across create, update and get; the etag changes.
#[tokio::test]
async fn cli_update_with_the_masked_secret_keeps_it() {
    let secret =
        "DefaultEndpointsProtocol=https;AccountName=examplestorageaccount;AccountKey=c2VjcmV0";
    let created = json!({
        "id": "{f}/linkedservices/exampleLin000003",
        "name": "exampleLin000003",
        "type": "Microsoft.DataFactory/factories/linkedservices",
        "properties": {"type": "AzureStorage", "typeProperties": {
            "connectionString": {"type": "SecureString", "value": "**********"},
            "encryptedCredential": "$string"}},
        "etag": "$string",
    });
    let mut got = created.clone();
    got["properties"]["typeProperties"]["encryptedCredential"] = json!("{cred}");
    let updated = json!({
        "id": "{f}/linkedservices/exampleLin000003",
        "name": "exampleLin000003",
        "type": "Microsoft.DataFactory/factories/linkedservices",
        "properties": {"type": "AzureStorage", "description": "Example description",
            "typeProperties": {
                "connectionString": {"type": "SecureString", "value": "**********"},
                "encryptedCredential": "{cred}"}},
        "etag": "$not:{etag0}",
    });
    let (emu, _) = replay_case(
        "exampleRg",
        "exampleFa000001",
        vec![
            step(
                PUT,
                "{f}/linkedservices/exampleLin000003",
                Some(
                    json!({"properties": {"type": "AzureStorage", "typeProperties": {
                    "connectionString": {"type": "SecureString", "value": secret}}}}),
                ),
                200,
                Expect::Exactly(created),
            )
            .capture(&[
                ("cred", "/properties/typeProperties/encryptedCredential"),
                ("etag0", "/etag"),
            ]),
            step(
                GET,
                "{f}/linkedservices/exampleLin000003",
                None,
                200,
                Expect::Exactly(got),
            ),
            step(
                PUT,
                "{f}/linkedservices/exampleLin000003",
                Some(json!({"properties": {"type": "AzureStorage",
                    "description": "Example description",
                    "typeProperties": {
                        "connectionString": {"type": "SecureString", "value": "**********"},
                        "encryptedCredential": "{cred}"}}})),
                200,
                Expect::Exactly(updated.clone()),
            ),
            step(
                GET,
                "{f}/linkedservices/exampleLin000003",
                None,
                200,
                Expect::Exactly(updated),
            ),
        ],
    )
    .await;
    let stored = stored_linked_service(emu, "exampleLin000003");
    assert_eq!(
        stored["typeProperties"]["connectionString"]["value"], secret,
        "the update must keep the stored secret: {stored}"
    );
}

/// CLI test_datafactory_main (2021), PS TestSsisAzureIntegrationRuntime and
/// TestSelfHostedIntegrationRuntime (2019): a Managed runtime gains a read-only
/// `properties.state` of `Initial` (the last member) on PUT and GET; a SelfHosted one has no
/// `state`; `description` is echoed; ids use the lower-case `integrationruntimes` although
/// the request path says `integrationRuntimes`.
#[tokio::test]
async fn integration_runtimes_state_and_description() {
    let type_properties = json!({
        "computeProperties": {"location": "East US 2", "nodeSize": "Standard_D2_v3",
            "numberOfNodes": 1, "maxParallelExecutionsPerNode": 2},
        "ssisProperties": {"licenseType": "LicenseIncluded", "edition": "Standard"}});
    let managed = json!({
        "id": "{f}/integrationruntimes/exampleInteg000002",
        "name": "exampleInteg000002",
        "type": "Microsoft.DataFactory/factories/integrationruntimes",
        "properties": {"type": "Managed", "description": "Managed Integration Runtime",
            "typeProperties": type_properties, "state": "Initial"},
        "etag": "$string",
    });
    let self_hosted = json!({
        "id": "{f}/integrationruntimes/exampleInteg000003",
        "name": "exampleInteg000003",
        "type": "Microsoft.DataFactory/factories/integrationruntimes",
        "properties": {"type": "SelfHosted", "description": "A selfhosted integration runtime"},
        "etag": "$string",
    });
    replay_case(
        "exampleRg",
        "exampleFa000001",
        vec![
            step(
                PUT,
                "{f}/integrationRuntimes/exampleInteg000002",
                Some(json!({"properties": {"type": "Managed",
                    "description": "Managed Integration Runtime",
                    "typeProperties": type_properties}})),
                200,
                Expect::Exactly(managed.clone()),
            ),
            step(
                GET,
                "{f}/integrationRuntimes/exampleInteg000002",
                None,
                200,
                Expect::Exactly(managed),
            ),
            step(
                PUT,
                "{f}/integrationRuntimes/exampleInteg000003",
                Some(json!({"properties": {"type": "SelfHosted",
                    "description": "A selfhosted integration runtime"}})),
                200,
                Expect::Exactly(self_hosted.clone()),
            ),
            step(
                GET,
                "{f}/integrationRuntimes/exampleInteg000003",
                None,
                200,
                Expect::Exactly(self_hosted),
            ),
        ],
    )
    .await;
}

fn document_not_found(target: &str) -> Expect {
    Expect::Exactly(json!({"error": {
        "code": "NotFound",
        "message": "The document could not be retrieved because it does not exist.",
        "target": target,
        "details": null,
    }}))
}

/// PS TestPipelineV2 (2018), TestDataFlow (2019), TestSelfHostedIntegrationRuntime (2019):
/// deleting a child answers 200 with no body, deleting it again 204; a GET of the missing
/// child is 404 `NotFound` whose target is the full id as the caller spelled it, but for the
/// lower-case collection segment.
#[tokio::test]
async fn missing_children_are_not_found_and_deletes_are_200_then_204() {
    replay_case(
        "ps7225",
        "ps4295",
        vec![
            // PS TestPipelineV2.
            step(
                PUT,
                "{f}/pipelines/samplePipeline",
                Some(json!({"properties": {"activities": [
                    {"name": "Wait1", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 5}}]}})),
                200,
                Expect::Members(json!({"name": "samplePipeline"})),
            ),
            step(DELETE, "{f}/pipelines/samplePipeline", None, 200, Expect::Empty),
            step(DELETE, "{f}/pipelines/samplePipeline", None, 204, Expect::Empty),
            step(GET, "{f}/pipelines/samplePipeline", None, 404,
                document_not_found("{f}/pipelines/samplePipeline")),
            // PS TestDataFlow.
            step(
                PUT,
                "{f}/dataflows/sample",
                Some(json!({"properties": {"type": "MappingDataFlow", "typeProperties": {
                    "sources": [], "sinks": [], "transformations": [], "script": ""}}})),
                200,
                Expect::Members(json!({"properties": {"typeProperties": {"transformations": []}}})),
            ),
            step(DELETE, "{f}/dataflows/sample", None, 200, Expect::Empty),
            step(DELETE, "{f}/dataflows/sample", None, 204, Expect::Empty),
            step(GET, "{f}/dataflows/sample", None, 404, document_not_found("{f}/dataflows/sample")),
            // PS TestSelfHostedIntegrationRuntime: the request path in camelCase.
            step(
                PUT,
                "{f}/integrationRuntimes/selfhosted-test-integrationruntime",
                Some(json!({"properties": {"type": "SelfHosted"}})),
                200,
                Expect::Members(json!({"properties": {"type": "SelfHosted", "state": "$absent"}})),
            ),
            step(
                PUT,
                "{f}/integrationRuntimes/selfhosted-test-integrationruntime",
                Some(json!({"properties": {"type": "SelfHosted", "description": "description"}})),
                200,
                Expect::Members(json!({"properties": {"type": "SelfHosted", "description": "description"}})),
            ),
            step(DELETE, "{f}/integrationRuntimes/selfhosted-test-integrationruntime", None, 200, Expect::Empty),
            step(
                GET,
                "{f}/integrationRuntimes/selfhosted-test-integrationruntime",
                None,
                404,
                document_not_found("{f}/integrationruntimes/selfhosted-test-integrationruntime"),
            ),
        ],
    )
    .await;
}

/// PS TestDataFactoryPipingV2 (2018) and the Python SDK's test_get_nonexisitng_datafactory
/// (2017): a missing factory is the ARM gateway's 404 `ResourceNotFound`, code and message
/// only. ARM has since appended " For more details please go to
/// https://aka.ms/ARMResourceNotFoundFix" (ARM-FACTS §3), so the recorded text is a prefix.
#[tokio::test]
async fn missing_factory_is_resource_not_found() {
    replay_case(
        "ps8192",
        "ps1000",
        vec![step(
            GET,
            "{g}/providers/Microsoft.DataFactory/factories/ps2163",
            None,
            404,
            Expect::Exactly(json!({"error": {
                "code": "ResourceNotFound",
                "message": "$prefix:The Resource 'Microsoft.DataFactory/factories/ps2163' under resource group 'ps8192' was not found.",
            }})),
        )],
    )
    .await;
}

/// PS TestTrigger (2018), TestInvokeAndStopTriggerRun (2020), CLI test_datafactory_main (2021):
/// a trigger is created `Stopped` (`runtimeState` the last member of `properties`, nothing
/// else added); `start` and `stop` answer 200 with no body; the etag changes on each.
#[tokio::test]
async fn trigger_start_and_stop() {
    let trigger = json!({"type": "ScheduleTrigger",
        "typeProperties": {"recurrence": {"frequency": "Minute", "interval": 15,
            "startTime": "2018-07-13T19:50:00Z", "timeZone": "UTC"}},
        "pipelines": [{"pipelineReference": {"referenceName": "samplePipeline",
            "type": "PipelineReference"}, "parameters": {}}]});
    let mut stopped = trigger.clone();
    stopped["runtimeState"] = json!("Stopped");
    replay_case(
        "ps3600",
        "ps5300",
        vec![
            step(
                PUT,
                "{f}/pipelines/samplePipeline",
                Some(json!({"properties": {"activities": [
                    {"name": "Wait1", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 5}}]}})),
                200,
                Expect::Members(json!({})),
            ),
            step(
                PUT,
                "{f}/triggers/foo",
                Some(json!({"properties": trigger})),
                200,
                Expect::Exactly(json!({"id": "{f}/triggers/foo", "name": "foo",
                    "type": "Microsoft.DataFactory/factories/triggers",
                    "properties": stopped, "etag": "$string"})),
            )
            .capture(&[("etag0", "/etag")]),
            step(POST, "{f}/triggers/foo/start", None, 200, Expect::Empty),
            step(
                GET,
                "{f}/triggers/foo",
                None,
                200,
                Expect::Members(json!({"properties": {"runtimeState": "Started"}, "etag": "$not:{etag0}"})),
            )
            .capture(&[("etag1", "/etag")]),
            step(POST, "{f}/triggers/foo/stop", None, 200, Expect::Empty),
            step(
                GET,
                "{f}/triggers/foo",
                None,
                200,
                Expect::Members(json!({"properties": {"runtimeState": "Stopped"}, "etag": "$not:{etag1}"})),
            ),
        ],
    )
    .await;
}

/// PS TestPipelineRunV2 (2020), CLI test_datafactory_main (2021), PS TestCancelRunNegativeV2
/// (2018). createRun answers 200 `{runId}`; the run right after (no run engine here, as in the
/// router tests) is `Queued` with `message` null and exactly the recorded members, in order,
/// `id` being the upper-cased factory path with a lower-case `pipelineruns/<runId>`. Cancel
/// answers 200 with no body; with no engine executing the run, the cancel completes at once
/// (`Cancelled`; an executing run passes through `Canceling`, runs.rs `cancel` and lib.rs
/// `signal_cancel`). Cancelling an unknown run id is 400 `ReferencedPipelineRunNotFound`.
#[tokio::test]
async fn pipeline_run_get_and_cancel() {
    replay_case(
        "ps9237",
        "ps6184",
        vec![
            step(
                PUT,
                "{f}/pipelines/samplePipeline",
                Some(json!({"properties": {
                    "activities": [{"name": "Wait1", "type": "Wait",
                        "typeProperties": {"waitTimeInSeconds": 5}}],
                    "parameters": {"OutputBlobName": {"type": "String"}}}})),
                200,
                Expect::Members(json!({})),
            ),
            step(
                POST,
                "{f}/pipelines/samplePipeline/createRun",
                Some(json!({"OutputBlobName": "test"})),
                200,
                Expect::Exactly(json!({"runId": "$string"})),
            )
            .capture(&[("runId", "/runId")]),
            step(
                GET,
                "{f}/pipelineruns/{runId}",
                None,
                200,
                Expect::Exactly(json!({
                    "id": "{F}/pipelineruns/{runId}",
                    "runId": "{runId}",
                    "debugRunId": null,
                    "runGroupId": "{runId}",
                    "pipelineName": "samplePipeline",
                    "parameters": {"OutputBlobName": "test"},
                    "invokedBy": {"id": "$string", "name": "Manual", "invokedByType": "Manual"},
                    "runStart": "$string",
                    "runEnd": null,
                    "durationInMs": null,
                    "status": "Queued",
                    "message": null,
                    "lastUpdated": "$string",
                    "annotations": [],
                    "runDimension": {},
                    "isLatest": true,
                })),
            ),
            step(
                POST,
                "{f}/pipelineruns/{runId}/cancel",
                None,
                200,
                Expect::Empty,
            ),
            step(
                GET,
                "{f}/pipelineruns/{runId}",
                None,
                200,
                Expect::Members(json!({"runId": "{runId}", "status": "Cancelled",
                    "runEnd": "$string", "durationInMs": "$number"})),
            ),
            // PS TestCancelRunNegativeV2.
            step(
                POST,
                "{f}/pipelineruns/someGuid/cancel",
                None,
                400,
                Expect::Exactly(json!({"error": {
                    "code": "ReferencedPipelineRunNotFound",
                    "message": "Referenced pipeline run id someGuid does not exist.",
                    "target": "pipelinerun",
                    "details": null,
                }})),
            ),
        ],
    )
    .await;
}

/// ARM-FACTS §12 (live wording, liprec/azurebi-docs#102): deleting a linked service a dataset
/// references is 400 `BadRequest` "The document cannot be deleted since it is referenced by
/// NAME.", target `/Microsoft.DataFactory/factories/F/linkedservices/N`.
#[tokio::test]
async fn deleting_a_referenced_linked_service_is_refused() {
    replay_case(
        "ps8192",
        "ps2163",
        vec![
            step(
                PUT,
                "{f}/linkedservices/foo1",
                Some(json!({"properties": {"type": "AzureStorage", "typeProperties": {
                    "connectionString": "DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey=myfakekey;"}}})),
                200,
                Expect::Members(json!({})),
            ),
            step(
                PUT,
                "{f}/datasets/dsin",
                Some(json!({"properties": {"type": "AzureBlob",
                    "linkedServiceName": {"referenceName": "foo1", "type": "LinkedServiceReference"},
                    "typeProperties": {"folderPath": "adf/input"}}})),
                200,
                Expect::Members(json!({})),
            ),
            step(
                DELETE,
                "{f}/linkedservices/foo1",
                None,
                400,
                Expect::Exactly(json!({"error": {
                    "code": "BadRequest",
                    "message": "The document cannot be deleted since it is referenced by dsin.",
                    "target": "/Microsoft.DataFactory/factories/{factory}/linkedservices/foo1",
                    "details": null,
                }})),
            ),
            step(DELETE, "{f}/datasets/dsin", None, 200, Expect::Empty),
            step(DELETE, "{f}/linkedservices/foo1", None, 200, Expect::Empty),
            step(DELETE, "{f}/linkedservices/foo1", None, 204, Expect::Empty),
        ],
    )
    .await;
}
