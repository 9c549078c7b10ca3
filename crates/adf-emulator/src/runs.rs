//! The runs API (ARM-FACTS §8): createRun, pipeline run get/cancel, the run queries.
//!
//! Runs are stored as the JSON documents the API returns. A run stays `Queued` until the run
//! engine (`executor.rs`, or any other executor) moves it on through
//! [`crate::EmulatorState::set_pipeline_run_status`] and records activity runs with
//! [`crate::EmulatorState::add_activity_run`]; [`crate::EmulatorState::fire_trigger`] records
//! a trigger run and the pipeline runs it starts.

use crate::arm::Reply;
use crate::config::EmulatorConfig;
use crate::error::ArmError;
use crate::service::{decode_offset, encode_offset, timestamp};
use crate::store::{EntityRow, Scope, Store};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use adf_core::RunStatus;

/// A pipeline run waiting for (or under) execution, as an executor sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineRunInfo {
    /// Subscription id.
    pub subscription: String,
    /// Resource group (lowercased key).
    pub resource_group: String,
    /// Factory (lowercased key).
    pub factory: String,
    /// The run id.
    pub run_id: String,
    /// The pipeline name.
    pub pipeline_name: String,
    /// The run document as the API returns it.
    pub document: Value,
}

/// One activity run an executor reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRunRecord {
    /// The activity's name.
    pub activity_name: String,
    /// The activity's type (`Copy`, `Wait`, …).
    pub activity_type: String,
    /// Its status.
    pub status: RunStatus,
    /// Start time.
    pub start: OffsetDateTime,
    /// End time, once finished.
    pub end: Option<OffsetDateTime>,
    /// The activity's input.
    pub input: Value,
    /// The activity's output (for Copy: dataRead, rowsCopied, …).
    pub output: Value,
    /// `{errorCode, message, failureType, target}`; empty strings on success.
    pub error: Option<Value>,
    /// The linked service the activity used, if any.
    pub linked_service_name: String,
    /// The retry attempt (1, 2, ...) or `None` for the first attempt.
    pub retry_attempt: Option<u32>,
}

pub(crate) struct RunContext<'a> {
    pub store: &'a mut Store,
    pub config: &'a EmulatorConfig,
    pub now: OffsetDateTime,
}

fn run_not_found(run_id: &str) -> ArmError {
    // UNVERIFIED: the GET of an unknown run id (no recording has one); the cancel of one is
    // below.
    ArmError::adf(
        StatusCode::NOT_FOUND,
        "PipelineRunNotFound",
        format!("Pipeline run '{run_id}' does not exist."),
        None,
    )
}

/// Cancel of an unknown run id: 400, as recorded (PS TestCancelRunNegativeV2, 2018).
fn cancel_run_not_found(run_id: &str) -> ArmError {
    ArmError::adf(
        StatusCode::BAD_REQUEST,
        "ReferencedPipelineRunNotFound",
        format!("Referenced pipeline run id {run_id} does not exist."),
        Some("pipelinerun".into()),
    )
}

fn bad_filter(message: impl Into<String>) -> ArmError {
    // UNVERIFIED wording.
    ArmError::adf(StatusCode::BAD_REQUEST, "BadRequest", message, None)
}

/// Run parameters come back as strings: strings as they are, anything else as JSON text
/// (`["a.csv"]` → `"[\"a.csv\"]"`, ARM-FACTS §8).
fn stringify_parameters(parameters: &Value) -> Value {
    let map = parameters
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), Value::String(text))
                })
                .collect::<Map<_, _>>()
        })
        .unwrap_or_default();
    Value::Object(map)
}

/// `runDimensions` of the pipeline, evaluated for the simple `@pipeline().parameters.X` form.
fn run_dimension(pipeline: &Value, parameters: &Value) -> Value {
    let mut out = Map::new();
    if let Some(Value::Object(dimensions)) = pipeline.get("runDimensions") {
        for (key, value) in dimensions {
            let expression = value.get("value").and_then(Value::as_str).unwrap_or("");
            let resolved = expression
                .strip_prefix("@pipeline().parameters.")
                .and_then(|p| parameters.get(p))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .or_else(|| value.as_str().map(str::to_owned))
                .unwrap_or_default();
            out.insert(key.clone(), json!(resolved));
        }
    }
    Value::Object(out)
}

/// Creates a Queued run document and stores it. Returns the run id.
pub(crate) fn insert_run(
    store: &Store,
    scope: &Scope,
    pipeline: &EntityRow,
    parameters: &Value,
    invoked_by: Value,
    now: OffsetDateTime,
) -> Result<String, ArmError> {
    let run_id = uuid::Uuid::new_v4().to_string();
    let at = timestamp(now);
    // The fields and their order as real runs have them (PS TestPipelineRunV2, 2020; Azure
    // CLI test_datafactory_main, 2021): `id` is the upper-cased factory path with a
    // lower-case `pipelineruns/<runId>`, `message` is null while Queued.
    let id = format!(
        "{}/pipelineruns/{run_id}",
        crate::service::factory_id(&scope.subscription, &scope.group, &scope.factory)
            .to_uppercase()
    );
    let document = json!({
        "id": id,
        "runId": run_id,
        "debugRunId": null,
        "runGroupId": run_id,
        "pipelineName": pipeline.name,
        "parameters": stringify_parameters(parameters),
        "invokedBy": invoked_by,
        "runStart": at,
        "runEnd": null,
        "durationInMs": null,
        "status": RunStatus::Queued.as_str(),
        "message": null,
        "lastUpdated": at,
        "annotations": pipeline.body.get("annotations").cloned().unwrap_or_else(|| json!([])),
        "runDimension": run_dimension(&pipeline.body, parameters),
        "isLatest": true,
    });
    store.insert_pipeline_run(scope, &run_id, &document)?;
    Ok(run_id)
}

pub(crate) fn create_run(
    ctx: RunContext<'_>,
    scope: &Scope,
    pipeline: &EntityRow,
    parameters: Value,
    reference_run: Option<&str>,
) -> Result<Reply, ArmError> {
    if let Some(reference) = reference_run.filter(|r| !r.is_empty()) {
        let known = ctx
            .store
            .pipeline_run(reference)?
            .is_some_and(|(s, _)| s.factory == scope.factory && s.group == scope.group);
        if !known {
            // Live wording and target (ARM-FACTS §3).
            return Err(ArmError::adf(
                StatusCode::BAD_REQUEST,
                "ReferencedPipelineRunNotValid",
                format!("Referenced pipeline run id {reference} is not a valid run id."),
                Some(format!("pipeline/{}/", pipeline.name)),
            ));
        }
    }
    let parameters = if parameters.is_null() {
        json!({})
    } else {
        parameters
    };
    let invoked_by = json!({
        "id": uuid::Uuid::new_v4().simple().to_string(),
        "name": "Manual",
        "invokedByType": "Manual",
    });
    let run_id = insert_run(ctx.store, scope, pipeline, &parameters, invoked_by, ctx.now)?;
    Ok(Reply::json(StatusCode::OK, json!({ "runId": run_id })))
}

fn run_in_scope(store: &Store, scope: &Scope, run_id: &str) -> Result<Value, ArmError> {
    store
        .pipeline_run(run_id)?
        .filter(|(s, _)| {
            s.subscription == scope.subscription
                && s.group == scope.group
                && s.factory == scope.factory
        })
        .map(|(_, document)| document)
        .ok_or_else(|| run_not_found(run_id))
}

pub(crate) fn get_pipeline_run(
    store: &Store,
    scope: &Scope,
    run_id: &str,
) -> Result<Reply, ArmError> {
    Ok(Reply::json(
        StatusCode::OK,
        run_in_scope(store, scope, run_id)?,
    ))
}

/// Moves a run to `status`, stamping `lastUpdated` and, when it ends, `runEnd` and
/// `durationInMs`.
pub(crate) fn set_status(
    document: &mut Value,
    status: RunStatus,
    message: &str,
    now: OffsetDateTime,
) {
    let at = timestamp(now);
    document["status"] = json!(status.as_str());
    document["message"] = json!(message);
    document["lastUpdated"] = json!(at);
    if status.is_terminal() {
        document["runEnd"] = json!(at);
        let started = document
            .get("runStart")
            .and_then(Value::as_str)
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
        if let Some(started) = started {
            let duration = (now - started).whole_milliseconds().max(0) as i64;
            document["durationInMs"] = json!(duration);
        }
    }
}

/// Cancel: 200 with an empty body; the run is `Canceling` (message `""`) until its execution
/// stops, then `Cancelled` (PS TestPipelineRunV2: it stays `Canceling` for seconds). The run
/// engine finishes the cancel ([`crate::EmulatorState::signal_cancel`]).
pub(crate) fn cancel(ctx: RunContext<'_>, scope: &Scope, run_id: &str) -> Result<Reply, ArmError> {
    let mut document = run_in_scope(ctx.store, scope, run_id).map_err(|error| match error {
        error if error.status == StatusCode::NOT_FOUND => cancel_run_not_found(run_id),
        error => error,
    })?;
    let status = document
        .get("status")
        .and_then(Value::as_str)
        .and_then(RunStatus::parse);
    // Cancelling a finished run is a no-op (UNVERIFIED: the service may answer 400).
    if !status.is_some_and(|s| s.is_terminal() || s == RunStatus::Canceling) {
        set_status(&mut document, RunStatus::Canceling, "", ctx.now);
        ctx.store.update_pipeline_run(run_id, &document)?;
    }
    Ok(Reply::empty(StatusCode::OK))
}

/// Where a filter operand lives in a run document.
fn operand_key(operand: &str) -> Option<&'static str> {
    Some(match operand.to_ascii_lowercase().as_str() {
        "pipelinename" => "pipelineName",
        "status" => "status",
        "rungroupid" => "runGroupId",
        "runstart" => "runStart",
        "runend" => "runEnd",
        "latestonly" => "isLatest",
        "runid" => "runId",
        "lastupdated" => "lastUpdated",
        "triggername" => "triggerName",
        "triggerruntimestamp" => "triggerRunTimestamp",
        "activityname" => "activityName",
        "activitytype" => "activityType",
        "activityrunstart" => "activityRunStart",
        "activityrunend" => "activityRunEnd",
        _ => return None,
    })
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn parse_time(text: &str, field: &str) -> Result<OffsetDateTime, ArmError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        bad_filter(format!(
            "'{field}' must be an ISO 8601 date-time, not '{text}'."
        ))
    })
}

/// RunFilterParameters: the time window (required), filters, order and continuation token.
fn query(
    items: Vec<Value>,
    filter: &Value,
    time_key: &str,
    page_size: usize,
) -> Result<Value, ArmError> {
    let bound = |field: &str| -> Result<OffsetDateTime, ArmError> {
        let text = filter
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| bad_filter(format!("The '{field}' property is required.")))?;
        parse_time(text, field)
    };
    let after = bound("lastUpdatedAfter")?;
    let before = bound("lastUpdatedBefore")?;
    let mut selected = Vec::new();
    'items: for item in items {
        if let Some(Value::String(at)) = item.get(time_key)
            && let Ok(at) = OffsetDateTime::parse(at, &Rfc3339)
            && (at < after || at > before)
        {
            continue;
        }
        for condition in filter
            .get("filters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let operand = condition
                .get("operand")
                .and_then(Value::as_str)
                .unwrap_or("");
            let key = operand_key(operand)
                .ok_or_else(|| bad_filter(format!("Unknown filter operand '{operand}'.")))?;
            let operator = condition
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or("Equals")
                .to_ascii_lowercase();
            let values: Vec<String> = condition
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| text_of(Some(v)))
                .collect();
            let actual = text_of(item.get(key));
            let hit = values.iter().any(|v| v.eq_ignore_ascii_case(&actual));
            let keep = match operator.as_str() {
                "equals" | "in" => hit,
                "notequals" | "notin" => !hit,
                other => return Err(bad_filter(format!("Unknown filter operator '{other}'."))),
            };
            if !keep {
                continue 'items;
            }
        }
        selected.push(item);
    }
    let orders: Vec<(&'static str, bool)> = filter
        .get("orderBy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let key = operand_key(o.get("orderBy")?.as_str()?)?;
            let descending = o
                .get("order")
                .and_then(Value::as_str)
                .is_some_and(|d| d.eq_ignore_ascii_case("DESC"));
            Some((key, descending))
        })
        .collect();
    selected.sort_by(|a, b| {
        orders
            .iter()
            .fold(Ordering::Equal, |acc, (key, descending)| {
                acc.then_with(|| {
                    let ordering = text_of(a.get(*key)).cmp(&text_of(b.get(*key)));
                    if *descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                })
            })
    });
    let skip = filter
        .get("continuationToken")
        .and_then(Value::as_str)
        .map(|t| decode_offset(t).ok_or_else(|| bad_filter("The continuation token is invalid.")))
        .transpose()?
        .unwrap_or(0);
    let size = page_size.max(1);
    let total = selected.len();
    let value: Vec<Value> = selected.into_iter().skip(skip).take(size).collect();
    let mut body = json!({ "value": value });
    let next = skip.saturating_add(size);
    if next < total {
        body["continuationToken"] = json!(encode_offset(next));
    }
    Ok(body)
}

pub(crate) fn query_pipeline_runs(
    ctx: RunContext<'_>,
    scope: &Scope,
    filter: &Value,
) -> Result<Reply, ArmError> {
    let runs = ctx.store.pipeline_runs(Some(scope))?;
    let body = query(runs, filter, "lastUpdated", ctx.config.run_page_size)?;
    Ok(Reply::json(StatusCode::OK, body))
}

pub(crate) fn query_trigger_runs(
    ctx: RunContext<'_>,
    scope: &Scope,
    filter: &Value,
) -> Result<Reply, ArmError> {
    let runs = ctx.store.trigger_runs(scope)?;
    let body = query(
        runs,
        filter,
        "triggerRunTimestamp",
        ctx.config.run_page_size,
    )?;
    Ok(Reply::json(StatusCode::OK, body))
}

pub(crate) fn query_activity_runs(
    ctx: RunContext<'_>,
    scope: &Scope,
    run_id: &str,
    filter: &Value,
) -> Result<Reply, ArmError> {
    run_in_scope(ctx.store, scope, run_id)?;
    let runs = ctx.store.activity_runs(run_id)?;
    let body = query(runs, filter, "activityRunStart", ctx.config.run_page_size)?;
    Ok(Reply::json(StatusCode::OK, body))
}

/// The activity-run document for a record.
pub(crate) fn activity_document(run: &Value, record: &ActivityRunRecord, id: &str) -> Value {
    let start = timestamp(record.start);
    let end = record.end.map(timestamp);
    let duration = record
        .end
        .map(|e| (e - record.start).whole_milliseconds().max(0) as i64);
    // A succeeded activity still has an `error` of empty strings, `details` a string; the
    // document ends with `id` (Azure CLI test_datafactory.yaml recording, 2020).
    let error = record.error.clone().unwrap_or_else(|| {
        json!({"errorCode": "", "message": "", "failureType": "", "target": record.activity_name, "details": ""})
    });
    let id = format!(
        "{}/activityruns/{id}",
        run.get("id").and_then(Value::as_str).unwrap_or_default()
    );
    let activity_run_id = id.rsplit('/').next().unwrap_or_default().to_owned();
    json!({
        "activityRunEnd": end,
        "activityName": record.activity_name,
        "activityRunStart": start,
        "activityType": record.activity_type,
        "durationInMs": duration,
        "retryAttempt": record.retry_attempt,
        "error": error,
        "activityRunId": activity_run_id,
        "iterationHash": "",
        "input": record.input,
        "linkedServiceName": record.linked_service_name,
        "output": record.output,
        "userProperties": {},
        "pipelineName": run.get("pipelineName").cloned().unwrap_or(Value::Null),
        "pipelineRunId": run.get("runId").cloned().unwrap_or(Value::Null),
        "status": record.status.as_str(),
        "recoveryStatus": "None",
        "integrationRuntimeNames": null,
        "executionDetails": null,
        "id": id,
    })
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
