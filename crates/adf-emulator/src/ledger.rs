//! The run ledger: the one module that reads and writes run documents (pipeline, activity and
//! trigger runs).
//!
//! Runs are stored as the JSON documents the runs API returns, with the fields, spellings and
//! order of real ones (PS TestPipelineRunV2, 2020; Azure CLI test_datafactory_main, 2021). The
//! ledger maps them to typed structs ([`PipelineRun`], [`ActivityRunDocument`], [`TriggerRun`]):
//! everyone else (the runs API, the run engine, the scheduler, the state's hooks) works with
//! those and never with string keys. The query filters (RunFilterParameters) are here too: they
//! name document fields.

use crate::error::EmulatorError;
use crate::store::{EntityRow, Scope, Store};
use crate::wire::{ArmError, decode_offset, encode_offset, factory_id, timestamp, us_time};
use adf_core::Kind;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use adf_core::RunStatus;

// ---------- the public views (part of the crate's API) ----------

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

impl ActivityRunRecord {
    /// Closes an open activity run as cancelled (the runs API's cancel).
    pub(crate) fn cancel(&mut self, now: OffsetDateTime) {
        self.status = RunStatus::Cancelled;
        self.end = Some(now);
        self.error = Some(json!({
            "errorCode": "Cancelled",
            "message": "The activity was cancelled.",
            "failureType": "UserError",
            "target": self.activity_name,
        }));
    }
}

// ---------- the documents ----------

/// `status` is written as its wire spelling.
mod status_text {
    use super::RunStatus;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(status: &RunStatus, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(status.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<RunStatus, D::Error> {
        let text = String::deserialize(deserializer)?;
        RunStatus::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown run status '{text}'")))
    }
}

/// Who started a pipeline run (`invokedBy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvokedBy {
    pub id: String,
    pub name: String,
    pub invoked_by_type: Option<String>,
    /// ExecutePipeline: the parent run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_run_id: Option<String>,
}

impl InvokedBy {
    /// createRun through the API.
    pub fn manual() -> Self {
        InvokedBy {
            id: uuid::Uuid::new_v4().simple().to_string(),
            name: "Manual".into(),
            invoked_by_type: Some("Manual".into()),
            pipeline_name: None,
            pipeline_run_id: None,
        }
    }

    /// An ExecutePipeline activity of the run `parent_run_id`.
    pub fn pipeline_activity(activity: &str, parent_pipeline: &str, parent_run_id: &str) -> Self {
        InvokedBy {
            id: uuid::Uuid::new_v4().simple().to_string(),
            name: activity.to_owned(),
            invoked_by_type: Some("PipelineActivity".into()),
            pipeline_name: Some(parent_pipeline.to_owned()),
            pipeline_run_id: Some(parent_run_id.to_owned()),
        }
    }
}

/// A pipeline run document, field for field and in the recorded order: `id` is the upper-cased
/// factory path with a lower-case `pipelineruns/<runId>`, `message` is null while Queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineRun {
    pub id: String,
    pub run_id: String,
    pub debug_run_id: Option<String>,
    pub run_group_id: String,
    pub pipeline_name: String,
    /// Run parameters come back as strings (ARM-FACTS §8).
    pub parameters: Map<String, Value>,
    pub invoked_by: InvokedBy,
    pub run_start: String,
    pub run_end: Option<String>,
    pub duration_in_ms: Option<i64>,
    #[serde(with = "status_text")]
    pub status: RunStatus,
    pub message: Option<String>,
    pub last_updated: String,
    pub annotations: Value,
    pub run_dimension: Map<String, Value>,
    pub is_latest: bool,
}

impl PipelineRun {
    /// Moves the run to `status`, stamping `lastUpdated` and, when it ends, `runEnd` and
    /// `durationInMs`.
    pub fn set_status(&mut self, status: RunStatus, message: &str, now: OffsetDateTime) {
        let at = timestamp(now);
        self.status = status;
        self.message = Some(message.to_owned());
        self.last_updated = at.clone();
        if status.is_terminal() {
            self.run_end = Some(at);
            if let Ok(started) = OffsetDateTime::parse(&self.run_start, &Rfc3339) {
                self.duration_in_ms = Some((now - started).whole_milliseconds().max(0) as i64);
            }
        }
    }

    /// The document as the API returns it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn from_json(document: Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(document)
    }
}

/// An activity run document, in the recorded order: a succeeded activity still has an `error`
/// of empty strings, `details` a string; the document ends with `id` (Azure CLI
/// test_datafactory.yaml recording, 2020).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActivityRunDocument {
    pub activity_run_end: Option<String>,
    pub activity_name: String,
    pub activity_run_start: String,
    pub activity_type: String,
    pub duration_in_ms: Option<i64>,
    pub retry_attempt: Option<u32>,
    pub error: Value,
    pub activity_run_id: String,
    pub iteration_hash: String,
    pub input: Value,
    pub linked_service_name: String,
    pub output: Value,
    pub user_properties: Map<String, Value>,
    pub pipeline_name: String,
    pub pipeline_run_id: String,
    #[serde(with = "status_text")]
    pub status: RunStatus,
    pub recovery_status: String,
    pub integration_runtime_names: Option<Vec<String>>,
    pub execution_details: Option<Value>,
    pub id: String,
}

impl ActivityRunDocument {
    /// The activity-run document for a record of `run`.
    pub fn new(run: &PipelineRun, record: &ActivityRunRecord, id: &str) -> Self {
        let duration = record
            .end
            .map(|e| (e - record.start).whole_milliseconds().max(0) as i64);
        let error = record.error.clone().unwrap_or_else(|| {
            json!({"errorCode": "", "message": "", "failureType": "", "target": record.activity_name, "details": ""})
        });
        let id = format!("{}/activityruns/{id}", run.id);
        let activity_run_id = id.rsplit('/').next().unwrap_or_default().to_owned();
        ActivityRunDocument {
            activity_run_end: record.end.map(timestamp),
            activity_name: record.activity_name.clone(),
            activity_run_start: timestamp(record.start),
            activity_type: record.activity_type.clone(),
            duration_in_ms: duration,
            retry_attempt: record.retry_attempt,
            error,
            activity_run_id,
            iteration_hash: String::new(),
            input: record.input.clone(),
            linked_service_name: record.linked_service_name.clone(),
            output: record.output.clone(),
            user_properties: Map::new(),
            pipeline_name: run.pipeline_name.clone(),
            pipeline_run_id: run.run_id.clone(),
            status: record.status,
            recovery_status: "None".into(),
            integration_runtime_names: None,
            execution_details: None,
            id,
        }
    }

    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// ADF's trigger-run `properties`: US-style local times (`6/16/2018 12:43:15 AM`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TriggerRunProperties {
    #[serde(rename = "TriggerTime")]
    pub trigger_time: String,
    #[serde(rename = "ScheduleTime")]
    pub schedule_time: String,
}

/// A trigger run document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TriggerRun {
    pub trigger_name: String,
    pub trigger_run_id: String,
    pub trigger_type: Option<String>,
    pub trigger_run_timestamp: String,
    #[serde(with = "status_text")]
    pub status: RunStatus,
    pub message: String,
    pub properties: TriggerRunProperties,
    /// Pipeline name → run id.
    pub triggered_pipelines: Map<String, Value>,
}

// ---------- pipeline runs ----------

/// Run parameters come back as strings: strings as they are, anything else as JSON text
/// (`["a.csv"]` → `"[\"a.csv\"]"`, ARM-FACTS §8).
fn stringify_parameters(parameters: &Value) -> Map<String, Value> {
    parameters
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
        .unwrap_or_default()
}

/// `runDimensions` of the pipeline, evaluated for the simple `@pipeline().parameters.X` form.
fn run_dimension(pipeline: &Value, parameters: &Value) -> Map<String, Value> {
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
    out
}

/// Creates a Queued run of `pipeline` and stores it. Returns the run id.
pub(crate) fn insert_run(
    store: &Store,
    scope: &Scope,
    pipeline: &EntityRow,
    parameters: &Value,
    invoked_by: InvokedBy,
    now: OffsetDateTime,
) -> Result<String, ArmError> {
    let run_id = uuid::Uuid::new_v4().to_string();
    let at = timestamp(now);
    let id = format!(
        "{}/pipelineruns/{run_id}",
        factory_id(&scope.subscription, &scope.group, &scope.factory).to_uppercase()
    );
    let run = PipelineRun {
        id,
        run_id: run_id.clone(),
        debug_run_id: None,
        run_group_id: run_id.clone(),
        pipeline_name: pipeline.name.clone(),
        parameters: stringify_parameters(parameters),
        invoked_by,
        run_start: at.clone(),
        run_end: None,
        duration_in_ms: None,
        status: RunStatus::Queued,
        message: None,
        last_updated: at,
        annotations: pipeline
            .body
            .get("annotations")
            .cloned()
            .unwrap_or_else(|| json!([])),
        run_dimension: run_dimension(&pipeline.body, parameters),
        is_latest: true,
    };
    store.insert_pipeline_run(scope, &run_id, &run.to_json())?;
    Ok(run_id)
}

/// A pipeline run by id, with its scope.
pub(crate) fn pipeline_run(
    store: &Store,
    run_id: &str,
) -> Result<Option<(Scope, PipelineRun)>, EmulatorError> {
    match store
        .pipeline_run(run_id)
        .map_err(EmulatorError::store("cannot read a pipeline run"))?
    {
        Some((scope, document)) => Ok(Some((scope, PipelineRun::from_json(document)?))),
        None => Ok(None),
    }
}

/// A pipeline run of the factory `scope`, or 404.
fn run_in_scope(store: &Store, scope: &Scope, run_id: &str) -> Result<PipelineRun, ArmError> {
    pipeline_run(store, run_id)?
        .filter(|(s, _)| {
            s.subscription == scope.subscription
                && s.group == scope.group
                && s.factory == scope.factory
        })
        .map(|(_, run)| run)
        .ok_or_else(|| run_not_found(run_id))
}

/// Whether `run_id` is a run of the factory `scope` (createRun's `referencePipelineRunId`).
pub(crate) fn is_run_of_factory(
    store: &Store,
    scope: &Scope,
    run_id: &str,
) -> Result<bool, ArmError> {
    Ok(store
        .pipeline_run(run_id)?
        .is_some_and(|(s, _)| s.factory == scope.factory && s.group == scope.group))
}

/// The API's GET of a run.
pub(crate) fn pipeline_run_json(
    store: &Store,
    scope: &Scope,
    run_id: &str,
) -> Result<Value, ArmError> {
    Ok(run_in_scope(store, scope, run_id)?.to_json())
}

/// The pipeline runs in `status`, oldest first, with their scopes.
pub(crate) fn runs_with_status(
    store: &Store,
    status: RunStatus,
) -> Result<Vec<(Scope, PipelineRun)>, EmulatorError> {
    let mut found = Vec::new();
    for document in store
        .pipeline_runs(None)
        .map_err(EmulatorError::store("cannot list pipeline runs"))?
    {
        let run = PipelineRun::from_json(document)?;
        if run.status != status {
            continue;
        }
        // The scope comes with the row; the document is read again with it.
        if let Some((scope, run)) = pipeline_run(store, &run.run_id)? {
            found.push((scope, run));
        }
    }
    Ok(found)
}

/// Moves a run to `status`. Returns whether the run exists.
pub(crate) fn set_status(
    store: &Store,
    run_id: &str,
    status: RunStatus,
    message: &str,
    now: OffsetDateTime,
) -> Result<bool, EmulatorError> {
    let Some((_, mut run)) = pipeline_run(store, run_id)? else {
        return Ok(false);
    };
    run.set_status(status, message, now);
    store
        .update_pipeline_run(run_id, &run.to_json())
        .map_err(EmulatorError::store("cannot update a pipeline run"))
}

/// Moves a run from one of `from` to `to`; `false` (and no change) when it is in another
/// status, e.g. cancelled meanwhile.
pub(crate) fn transition(
    store: &Store,
    run_id: &str,
    from: &[RunStatus],
    to: RunStatus,
    message: &str,
    now: OffsetDateTime,
) -> bool {
    let Ok(Some((_, mut run))) = pipeline_run(store, run_id) else {
        return false;
    };
    if !from.contains(&run.status) {
        return false;
    }
    run.set_status(to, message, now);
    store
        .update_pipeline_run(run_id, &run.to_json())
        .unwrap_or(false)
}

/// The API's cancel: a run not yet ended becomes `Canceling` (message `""`); cancelling a
/// finished run is a no-op (UNVERIFIED: the service may answer 400).
pub(crate) fn request_cancel(
    store: &Store,
    scope: &Scope,
    run_id: &str,
    now: OffsetDateTime,
) -> Result<(), ArmError> {
    let mut run = run_in_scope(store, scope, run_id).map_err(|error| match error {
        error if error.status == StatusCode::NOT_FOUND => cancel_run_not_found(run_id),
        error => error,
    })?;
    if !(run.status.is_terminal() || run.status == RunStatus::Canceling) {
        run.set_status(RunStatus::Canceling, "", now);
        store.update_pipeline_run(run_id, &run.to_json())?;
    }
    Ok(())
}

/// Creates a child run of `pipeline` (ExecutePipeline) in `status` (Queued, or InProgress
/// when the caller executes it itself). Returns the run and the pipeline's stored name.
pub(crate) fn create_child_run(
    store: &Store,
    scope: &Scope,
    pipeline: &str,
    parameters: &Value,
    invoked_by: InvokedBy,
    status: RunStatus,
    now: OffsetDateTime,
) -> Result<Option<(PipelineRun, String)>, EmulatorError> {
    let context = "cannot create a child run";
    let Some(row) = store
        .entity(scope, Kind::Pipeline, pipeline)
        .map_err(EmulatorError::store(context))?
    else {
        return Ok(None);
    };
    let run_id = insert_run(store, scope, &row, parameters, invoked_by, now)
        .map_err(|e| EmulatorError::Server(format!("{context}: {}", e.message)))?;
    let Some((_, mut run)) = pipeline_run(store, &run_id)? else {
        return Ok(None);
    };
    if status != RunStatus::Queued {
        run.set_status(status, "", now);
        store
            .update_pipeline_run(&run_id, &run.to_json())
            .map_err(EmulatorError::store(context))?;
    }
    Ok(Some((run, row.name)))
}

// ---------- activity runs ----------

/// Records an activity run of a pipeline run; returns its id, or `None` if the run is unknown.
pub(crate) fn add_activity_run(
    store: &Store,
    run_id: &str,
    record: &ActivityRunRecord,
) -> Result<Option<String>, EmulatorError> {
    let Some((_, run)) = pipeline_run(store, run_id)? else {
        return Ok(None);
    };
    let id = uuid::Uuid::new_v4().to_string();
    let document = ActivityRunDocument::new(&run, record, &id);
    store
        .insert_activity_run(&id, run_id, &document.to_json())
        .map_err(EmulatorError::store("cannot record an activity run"))?;
    Ok(Some(id))
}

/// Replaces an activity run's document (status, end, output, error).
pub(crate) fn update_activity_run(
    store: &Store,
    id: &str,
    record: &ActivityRunRecord,
) -> Result<(), EmulatorError> {
    let context = "cannot update an activity run";
    let Some((run_id, _)) = store
        .activity_run(id)
        .map_err(EmulatorError::store(context))?
    else {
        return Ok(());
    };
    let Some((_, run)) = pipeline_run(store, &run_id)? else {
        return Ok(());
    };
    let document = ActivityRunDocument::new(&run, record, id);
    store
        .update_activity_run(id, &document.to_json())
        .map_err(EmulatorError::store(context))
}

// ---------- trigger runs ----------

/// Fires a trigger for the occurrence `scheduled` (`trigger().scheduledTime`): records a trigger
/// run and a Queued pipeline run for each pipeline it references, in one transaction. The
/// trigger's pipeline parameters may use `@trigger().scheduledTime` and `@trigger().startTime`.
/// Returns the trigger run id, or `None` when the trigger does not exist.
pub(crate) fn fire_trigger(
    store: &mut Store,
    scope: &Scope,
    trigger: &str,
    scheduled: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Option<String>, EmulatorError> {
    let context = "cannot fire a trigger";
    let Some(row) = store
        .entity(scope, Kind::Trigger, trigger)
        .map_err(EmulatorError::store(context))?
    else {
        return Ok(None);
    };
    let trigger_run_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let trigger_type = row
        .body
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut triggered = Map::new();
    let pipelines = row
        .body
        .get("pipelines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    store
        .transaction(|store| -> Result<(), ArmError> {
            for entry in &pipelines {
                let Some(name) = entry
                    .pointer("/pipelineReference/referenceName")
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let Some(pipeline) = store.entity(scope, Kind::Pipeline, name)? else {
                    continue;
                };
                let raw = entry.get("parameters").cloned().unwrap_or(json!({}));
                let mut bindings = adf_expr::Bindings::new(now);
                bindings
                    .trigger
                    .insert("scheduledTime".into(), json!(timestamp(scheduled)));
                bindings
                    .trigger
                    .insert("startTime".into(), json!(timestamp(now)));
                bindings.trigger.insert("name".into(), json!(row.name));
                // An expression that cannot be evaluated is passed on as written.
                let parameters = adf_expr::evaluate_value(&raw, &bindings).unwrap_or(raw);
                let invoked_by = InvokedBy {
                    id: trigger_run_id.clone(),
                    name: row.name.clone(),
                    invoked_by_type: trigger_type.clone(),
                    pipeline_name: None,
                    pipeline_run_id: None,
                };
                let run_id = insert_run(store, scope, &pipeline, &parameters, invoked_by, now)?;
                triggered.insert(pipeline.name.clone(), json!(run_id));
            }
            let document = TriggerRun {
                trigger_name: row.name.clone(),
                trigger_run_id: trigger_run_id.clone(),
                trigger_type: trigger_type.clone(),
                trigger_run_timestamp: timestamp(now),
                status: RunStatus::Succeeded,
                message: String::new(),
                properties: TriggerRunProperties {
                    trigger_time: us_time(now),
                    schedule_time: us_time(scheduled),
                },
                triggered_pipelines: triggered,
            };
            store.insert_trigger_run(scope, &trigger_run_id, &serde_json::to_value(&document)?)?;
            Ok(())
        })
        .map_err(|e| EmulatorError::Server(format!("{context}: {}", e.message)))?;
    Ok(Some(trigger_run_id))
}

// ---------- the run queries (RunFilterParameters) ----------

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

/// queryPipelineRuns: one page of the factory's pipeline runs.
pub(crate) fn query_pipeline_runs(
    store: &Store,
    scope: &Scope,
    filter: &Value,
    page_size: usize,
) -> Result<Value, ArmError> {
    let runs = store.pipeline_runs(Some(scope))?;
    query(runs, filter, "lastUpdated", page_size)
}

/// queryTriggerRuns: one page of the factory's trigger runs.
pub(crate) fn query_trigger_runs(
    store: &Store,
    scope: &Scope,
    filter: &Value,
    page_size: usize,
) -> Result<Value, ArmError> {
    let runs = store.trigger_runs(scope)?;
    query(runs, filter, "triggerRunTimestamp", page_size)
}

/// queryActivityRuns: one page of a run's activity runs.
pub(crate) fn query_activity_runs(
    store: &Store,
    scope: &Scope,
    run_id: &str,
    filter: &Value,
    page_size: usize,
) -> Result<Value, ArmError> {
    run_in_scope(store, scope, run_id)?;
    let runs = store.activity_runs(run_id)?;
    query(runs, filter, "activityRunStart", page_size)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_with_their_recorded_field_order() {
        let run = PipelineRun {
            id: "/X/pipelineruns/r".into(),
            run_id: "r".into(),
            debug_run_id: None,
            run_group_id: "r".into(),
            pipeline_name: "p".into(),
            parameters: Map::new(),
            invoked_by: InvokedBy::manual(),
            run_start: "2026-01-01T00:00:00.0000000Z".into(),
            run_end: None,
            duration_in_ms: None,
            status: RunStatus::Queued,
            message: None,
            last_updated: "2026-01-01T00:00:00.0000000Z".into(),
            annotations: json!([]),
            run_dimension: Map::new(),
            is_latest: true,
        };
        let document = run.to_json();
        let keys: Vec<&str> = document
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "runId",
                "debugRunId",
                "runGroupId",
                "pipelineName",
                "parameters",
                "invokedBy",
                "runStart",
                "runEnd",
                "durationInMs",
                "status",
                "message",
                "lastUpdated",
                "annotations",
                "runDimension",
                "isLatest"
            ]
        );
        assert_eq!(document["status"], json!("Queued"));
        assert_eq!(document["message"], Value::Null);
        assert_eq!(PipelineRun::from_json(document).unwrap(), run);
    }

    #[test]
    fn ending_a_run_stamps_its_end_and_duration() {
        let mut run: PipelineRun = serde_json::from_value(json!({
            "id": "x", "runId": "r", "debugRunId": null, "runGroupId": "r", "pipelineName": "p",
            "parameters": {}, "invokedBy": {"id": "i", "name": "Manual", "invokedByType": "Manual"},
            "runStart": "2026-01-01T00:00:00.0000000Z", "runEnd": null, "durationInMs": null,
            "status": "InProgress", "message": "", "lastUpdated": "2026-01-01T00:00:00.0000000Z",
            "annotations": [], "runDimension": {}, "isLatest": true
        }))
        .unwrap();
        run.set_status(
            RunStatus::Succeeded,
            "",
            time::macros::datetime!(2026-01-01 00:00:01.5 UTC),
        );
        assert_eq!(run.duration_in_ms, Some(1500));
        assert_eq!(run.run_end.as_deref(), Some("2026-01-01T00:00:01.5000000Z"));
    }
}
