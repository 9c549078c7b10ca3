//! Runs test cases against a factory deployed to the emulator: mocks and fixtures first, then
//! the pipeline run, then every expectation, each failure said in words.

use crate::file::{Blob, ExpectActivity, TestCase, parse_duration};
use adf_arm::ArmClient;
use adf_core::{ADF_API_VERSION, DesiredState, FactoryTarget, Kind, ResourceAddress, RunStatus};
use adf_emulator::blob::BlobClient;
use adf_engine::runs::{self, ActivityRun, FollowEnd};
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

/// How long a run may take unless the test says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// What the runner talks to: the emulator (ARM and its test endpoints) and, when a test needs
/// it, the local blob storage.
pub struct Target<'a> {
    /// The ARM client for the emulator.
    pub client: &'a ArmClient,
    /// The emulator's base URL (`http://127.0.0.1:PORT`), for its `/_emulator/` endpoints.
    pub emulator: &'a str,
    /// The factory under test.
    pub factory: &'a FactoryTarget,
    /// The spec (for global parameters' declared types).
    pub desired: &'a DesiredState,
    /// The local blob storage (Azurite's development account), when started.
    pub blobs: Option<&'a BlobClient>,
    /// A plain HTTP client for the emulator's test endpoints.
    pub http: &'a reqwest::Client,
    /// The containers the file's tests load or check: emptied before each test, so that no
    /// test sees another's blobs.
    pub containers: &'a [String],
    /// Whether a test of the file sets global parameters: then every test writes them (the
    /// spec's, with its own over them), so that none sees another's.
    pub resets_global_parameters: bool,
}

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The test's name.
    pub name: String,
    /// Each expectation that did not hold (empty: passed).
    pub failures: Vec<String>,
    /// How long it took.
    pub duration: Duration,
    /// The run's id, when it started.
    pub run_id: Option<String>,
}

impl CaseResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The containers a file's tests load or check, once each.
pub fn containers(cases: &[TestCase]) -> Vec<String> {
    let mut names: Vec<String> = cases
        .iter()
        .flat_map(|case| case.fixtures.blobs.iter().chain(&case.expect.blobs))
        .map(|blob| blob.container.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Runs one test case.
pub async fn run_case(target: &Target<'_>, case: &TestCase) -> CaseResult {
    let started = Instant::now();
    let mut result = CaseResult {
        name: case.name.clone(),
        failures: Vec::new(),
        duration: Duration::ZERO,
        run_id: None,
    };
    if let Err(problem) = prepare(target, case).await {
        result.failures.push(problem);
        result.duration = started.elapsed();
        return result;
    }
    match execute(target, case).await {
        Ok((run_id, status, message, activities)) => {
            result.run_id = Some(run_id.clone());
            let variables = variables(target, &run_id).await;
            check(
                target,
                case,
                (&status, &message),
                &activities,
                variables,
                &mut result.failures,
            )
            .await;
        }
        Err(problem) => result.failures.push(problem),
    }
    result.duration = started.elapsed();
    result
}

/// Mocks, global parameters and fixtures.
async fn prepare(target: &Target<'_>, case: &TestCase) -> Result<(), String> {
    let url = format!(
        "{}/_emulator/mocks?factory={}",
        target.emulator,
        target.factory.factory_path()
    );
    let response = target
        .http
        .put(&url)
        .json(&case.mocks)
        .send()
        .await
        .map_err(|error| format!("cannot set the mocks: {error}"))?;
    if !response.status().is_success() {
        let text = response.text().await.unwrap_or_default();
        return Err(format!("the emulator refused the mocks: {text}"));
    }
    if target.resets_global_parameters || !case.global_parameters.is_empty() {
        set_global_parameters(target, &case.global_parameters).await?;
    }
    if let Some(client) = target.blobs {
        for container in target.containers {
            client.delete_container(container).await.map_err(|error| {
                format!("cannot empty container {container} before the test: {error}")
            })?;
        }
    }
    for sql in &case.fixtures.sql {
        postgres(
            target,
            "sql",
            json!({"linkedService": sql.linked_service, "statement": sql.statement}),
        )
        .await
        .map_err(|error| format!("fixture sql through {}: {error}", sql.linked_service))?;
    }
    for table in &case.fixtures.tables {
        postgres(
            target,
            "load",
            json!({"linkedService": table.linked_service, "table": table.table, "rows": table.rows}),
        )
        .await
        .map_err(|error| format!("fixture table {}: {error}", table.table))?;
    }
    for blob in &case.fixtures.blobs {
        let client = blob_client(target)?;
        let content = blob.content.clone().unwrap_or_default();
        let _ = client.create_container(&blob.container).await;
        client
            .put_blob(&blob.container, &blob.path, content.into_bytes())
            .await
            .map_err(|error| {
                format!(
                    "fixture blob {}/{}: cannot write it: {error}",
                    blob.container, blob.path
                )
            })?;
    }
    Ok(())
}

/// `POST /_emulator/postgres/ACTION`: the emulator's PostgreSQL fixtures, through the
/// factory's linked service.
async fn postgres(target: &Target<'_>, action: &str, body: Value) -> Result<Value, String> {
    let url = format!(
        "{}/_emulator/postgres/{action}?factory={}",
        target.emulator,
        target.factory.factory_path()
    );
    let response = target
        .http
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(text);
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn blob_client<'a>(target: &Target<'a>) -> Result<&'a BlobClient, String> {
    target
        .blobs
        .ok_or_else(|| "this test needs blob storage, and none was started".to_owned())
}

/// Writes the spec's global parameters with the test's values over them (always, so that one
/// test's values do not leak into the next).
async fn set_global_parameters(
    target: &Target<'_>,
    values: &Map<String, Value>,
) -> Result<(), String> {
    let address = ResourceAddress::new(Kind::GlobalParameters, "default");
    let declared = target
        .desired
        .get(&address)
        .and_then(|r| r.body.get("properties"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut properties = declared;
    for (name, value) in values {
        let kind = properties
            .get(name)
            .and_then(|p| p.get("type"))
            .cloned()
            .unwrap_or_else(|| json!(type_of(value)));
        properties.insert(name.clone(), json!({"type": kind, "value": value}));
    }
    let path = target
        .factory
        .resource_path(Kind::GlobalParameters, "default");
    target
        .client
        .put(
            &path,
            ADF_API_VERSION,
            &json!({"properties": properties}),
            None,
        )
        .await
        .map(|_| ())
        .map_err(|error| format!("cannot set the global parameters: {error}"))
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "Bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Int",
        Value::Number(_) => "Float",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
        _ => "String",
    }
}

type Finished = (String, String, String, Vec<ActivityRun>);

/// Starts the run and follows it to its end: (run id, status, message, activity runs).
async fn execute(target: &Target<'_>, case: &TestCase) -> Result<Finished, String> {
    let run_id = runs::start_run(
        target.client,
        target.factory,
        &case.pipeline,
        &case.parameters,
    )
    .await
    .map_err(|error| format!("cannot start pipeline `{}`: {error}", case.pipeline))?;
    let timeout = case
        .timeout
        .as_deref()
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_TIMEOUT);
    let end = runs::follow_run(
        target.client,
        target.factory,
        &run_id,
        timeout,
        std::future::pending::<()>(),
        |_, _| {},
    )
    .await
    .map_err(|error| format!("cannot follow run {run_id}: {error}"))?;
    let run = match end {
        FollowEnd::Finished(run) => run,
        FollowEnd::TimedOut => {
            return Err(format!(
                "the run did not finish within {timeout:?} (it was cancelled); raise the test's `timeout`"
            ));
        }
        FollowEnd::Interrupted(_) => return Err("the run was interrupted".into()),
    };
    let activities = runs::activity_runs(target.client, target.factory, &run_id)
        .await
        .map_err(|error| format!("cannot read the activity runs of {run_id}: {error}"))?;
    Ok((run_id, run.status, run.message, activities))
}

async fn variables(target: &Target<'_>, run_id: &str) -> Option<Map<String, Value>> {
    let url = format!("{}/_emulator/runs/{run_id}/variables", target.emulator);
    let response = target.http.get(&url).send().await.ok()?;
    let body: Value = response.json().await.ok()?;
    body.get("variables").and_then(Value::as_object).cloned()
}

async fn check(
    target: &Target<'_>,
    case: &TestCase,
    (status, message): (&str, &str),
    activities: &[ActivityRun],
    variables: Option<Map<String, Value>>,
    failures: &mut Vec<String>,
) {
    let expected = case.expect.status.as_deref().unwrap_or("Succeeded");
    if RunStatus::parse(status) != RunStatus::parse(expected) {
        let why = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        failures.push(format!("run: expected {expected}, got {status}{why}"));
    }
    for (name, expect) in &case.expect.activities {
        check_activity(name, expect, activities, failures);
    }
    if !case.expect.variables.is_empty() {
        match &variables {
            None => failures.push("variables: the emulator did not report them".into()),
            Some(actual) => {
                for (name, want) in &case.expect.variables {
                    match actual.get(name) {
                        None => failures.push(format!(
                            "variable `{name}`: the pipeline has no such variable (it has {})",
                            names(actual.keys())
                        )),
                        Some(got) => {
                            if let Some(problem) = compare(want, got) {
                                failures.push(format!("variable `{name}`: {problem}"));
                            }
                        }
                    }
                }
            }
        }
    }
    for blob in &case.expect.blobs {
        if let Some(problem) = check_blob(target, blob).await {
            failures.push(problem);
        }
    }
    for table in &case.expect.tables {
        if let Some(problem) = check_table(target, table).await {
            failures.push(problem);
        }
    }
}

async fn check_table(target: &Target<'_>, table: &crate::file::Table) -> Option<String> {
    let at = format!("table {}", table.table);
    let read = postgres(
        target,
        "read",
        json!({"linkedService": table.linked_service, "table": table.table, "orderBy": table.order_by}),
    )
    .await;
    let rows = match read {
        Ok(body) => body
            .get("rows")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Err(error) => return Some(format!("{at}: cannot read it: {error}")),
    };
    if rows.len() != table.rows.len() {
        return Some(format!(
            "{at}: expected {} rows, got {}: {}",
            table.rows.len(),
            rows.len(),
            short(&Value::Array(rows))
        ));
    }
    table
        .rows
        .iter()
        .zip(&rows)
        .enumerate()
        .find_map(|(i, (want, got))| {
            let want = Value::Object(want.clone());
            compare(&want, got).map(|problem| format!("{at} row {}: {problem}", i + 1))
        })
}

fn names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

fn check_activity(
    name: &str,
    expect: &ExpectActivity,
    activities: &[ActivityRun],
    failures: &mut Vec<String>,
) {
    // The last run of it (a retry, or a ForEach's last iteration).
    let last = activities
        .iter()
        .filter(|a| a.activity_name == name)
        .max_by(|a, b| a.start.cmp(&b.start));
    let Some(run) = last else {
        if expect.ran != Some(false) {
            let ran: Vec<&String> = activities.iter().map(|a| &a.activity_name).collect();
            let hint = did_you_mean(name, &ran);
            failures.push(format!("activity `{name}`: it did not run{hint}"));
        }
        return;
    };
    if expect.ran == Some(false) {
        failures.push(format!(
            "activity `{name}`: expected not to run, but it ran ({})",
            run.status
        ));
        return;
    }
    if let Some(status) = &expect.status
        && !status.eq_ignore_ascii_case(&run.status)
    {
        let why = run
            .error_message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        failures.push(format!(
            "activity `{name}`: expected {status}, got {}{why}",
            run.status
        ));
    }
    for (pointer, want) in &expect.output {
        let got = run.output.pointer(pointer);
        match got {
            None => failures.push(format!(
                "activity `{name}` output {pointer}: absent (the output is {})",
                short(&run.output)
            )),
            Some(got) => {
                if let Some(problem) = compare(want, got) {
                    failures.push(format!("activity `{name}` output {pointer}: {problem}"));
                }
            }
        }
    }
    if let Some(part) = &expect.error {
        let message = run.error_message.as_deref().unwrap_or("");
        if !message.contains(part.as_str()) {
            failures.push(format!(
                "activity `{name}` error: expected it to contain {part:?}, got {message:?}"
            ));
        }
    }
}

fn did_you_mean(name: &str, ran: &[&String]) -> String {
    let close = ran
        .iter()
        .find(|r| r.eq_ignore_ascii_case(name))
        .map(|r| format!(" (did you mean `{r}`?)"));
    close.unwrap_or_default()
}

/// `None` when `got` is what `want` says: equal (numbers by value), or, for an `@` expression,
/// true with `item()` bound to `got`.
fn compare(want: &Value, got: &Value) -> Option<String> {
    if let Value::String(text) = want
        && let Some(literal) = text.strip_prefix("@@")
    {
        // `@@` starts a literal `@`.
        let literal = Value::String(format!("@{literal}"));
        return (!same(&literal, got))
            .then(|| format!("expected {}, got {}", short(&literal), short(got)));
    }
    if let Value::String(text) = want
        && text.starts_with('@')
    {
        let mut bindings = adf_expr::Bindings::new(time::OffsetDateTime::now_utc());
        bindings.item = Some(got.clone());
        return match adf_expr::evaluate_value(want, &bindings) {
            Ok(Value::Bool(true)) => None,
            Ok(other) => Some(format!("{text} is {} for {}", short(&other), short(got))),
            Err(error) => Some(format!("{text} cannot be evaluated: {error}")),
        };
    }
    if same(want, got) {
        None
    } else {
        Some(format!("expected {}, got {}", short(want), short(got)))
    }
}

fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|other| same(v, other)))
        }
        _ => want == got,
    }
}

/// A value in one line, cut at 200 characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}

async fn check_blob(target: &Target<'_>, blob: &Blob) -> Option<String> {
    let client = match blob_client(target) {
        Ok(client) => client,
        Err(problem) => return Some(problem),
    };
    let at = format!("blob {}/{}", blob.container, blob.path);
    match client.get(&blob.container, &blob.path).await {
        Ok(response) => {
            let bytes = response.bytes().await.unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            match &blob.content {
                None => Some(format!("{at}: expected it not to exist, but it does")),
                Some(want) if want != &text => {
                    Some(format!("{at}: content differs\n{}", line_diff(want, &text)))
                }
                Some(_) => None,
            }
        }
        Err(error) if error.status == 404 => blob
            .content
            .as_ref()
            .map(|_| format!("{at}: it does not exist")),
        Err(error) => Some(format!("{at}: cannot read it: {error}")),
    }
}

/// `-`/`+` lines of what differs (expected, actual), at most 20 lines.
fn line_diff(want: &str, got: &str) -> String {
    let mut out = Vec::new();
    let (want_lines, got_lines): (Vec<&str>, Vec<&str>) =
        (want.lines().collect(), got.lines().collect());
    for i in 0..want_lines.len().max(got_lines.len()) {
        match (want_lines.get(i), got_lines.get(i)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => {
                if let Some(a) = a {
                    out.push(format!("    - {a}"));
                }
                if let Some(b) = b {
                    out.push(format!("    + {b}"));
                }
            }
        }
        if out.len() >= 20 {
            out.push("    …".into());
            break;
        }
    }
    if out.is_empty() {
        // Line endings or a final newline: show both with their escapes.
        format!(
            "    - {}\n    + {}",
            short(&Value::String(want.to_owned())),
            short(&Value::String(got.to_owned()))
        )
    } else {
        out.join("\n")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_by_value_and_by_expression() {
        assert_eq!(compare(&json!(18), &json!(18.0)), None);
        assert_eq!(compare(&json!({"a": [1]}), &json!({"a": [1.0]})), None);
        assert_eq!(
            compare(&json!("x"), &json!("y")).unwrap(),
            "expected \"x\", got \"y\""
        );
        assert_eq!(compare(&json!("@greater(item(), 3)"), &json!(5)), None);
        assert!(
            compare(&json!("@greater(item(), 3)"), &json!(2))
                .unwrap()
                .contains("is false for 2")
        );
        assert_eq!(compare(&json!("@@literal"), &json!("@literal")), None);
        assert!(compare(&json!("@@literal"), &json!("@@literal")).is_some());
    }

    #[test]
    fn line_diffs_show_what_differs() {
        assert_eq!(line_diff("a\nb\n", "a\nc\n"), "    - b\n    + c");
        assert_eq!(
            line_diff("a\n", "a\r\n"),
            "    - \"a\\n\"\n    + \"a\\r\\n\""
        );
    }
}
