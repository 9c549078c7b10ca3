//! The run engine: picks up Queued pipeline runs and executes their activities.
//!
//! Expected flow: createRun (or a trigger) stores a Queued run and wakes the engine; the engine
//! moves it to InProgress, runs its activities in dependency order (independent ones
//! concurrently), records one activity run per attempt, and ends the run Succeeded, Failed or
//! Cancelled. Cancel (the runs API) signals the run's task, which stops at its next await point
//! (a Copy stops between blocks), and cascades to the child runs of ExecutePipeline.
//!
//! Outcome rule (ADF's): a run fails when an activity failed and no activity depends on it
//! with a `Failed` or `Completed` condition (an unhandled failure); an activity whose
//! dependency conditions are not met is Skipped.
//!
//! Caveats: nothing survives a restart; a run that was InProgress when the emulator stopped is
//! marked Failed at the next start. Activity types the engine cannot execute fail with
//! "not supported by the emulator: TYPE"; nothing is ever reported as succeeded without having
//! been done.

use crate::EmulatorState;
use crate::copy;
use crate::runs::{ActivityRunRecord, RunStatus};
use crate::store::Scope;
use adf_core::Kind;
use adf_expr::Bindings;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Nesting limit of ExecutePipeline (a pipeline that calls itself must not run forever).
const MAX_DEPTH: usize = 16;
/// Upper bound of ForEach's batchCount, as in ADF.
const MAX_BATCH: usize = 50;
/// ADF's default activity timeout (12 hours) and Until timeout (7 days).
const DEFAULT_ACTIVITY_TIMEOUT: Duration = Duration::from_secs(12 * 3600);
const DEFAULT_UNTIL_TIMEOUT: Duration = Duration::from_secs(7 * 86_400);

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why an activity failed: ADF's `error` object.
#[derive(Debug, Clone)]
pub(crate) struct ActivityError {
    pub code: String,
    pub message: String,
    pub failure_type: String,
}

impl ActivityError {
    pub fn user(code: impl Into<String>, message: impl Into<String>) -> Self {
        ActivityError {
            code: code.into(),
            message: message.into(),
            failure_type: "UserError".into(),
        }
    }

    pub fn system(code: impl Into<String>, message: impl Into<String>) -> Self {
        ActivityError {
            code: code.into(),
            message: message.into(),
            failure_type: "SystemError".into(),
        }
    }

    fn to_json(&self, target: &str) -> Value {
        json!({
            "errorCode": self.code,
            "message": self.message,
            "failureType": self.failure_type,
            "target": target,
            "details": "",
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The run-time state of one pipeline run, shared by its activities.
pub(crate) struct Run {
    pub state: EmulatorState,
    pub scope: Scope,
    pub run_id: String,
    pub pipeline_name: String,
    parameters: Map<String, Value>,
    globals: Map<String, Value>,
    system: Map<String, Value>,
    variables: Mutex<Map<String, Value>>,
    /// `activity('x')` results: `{output, status, error}`.
    activities: Mutex<Map<String, Value>>,
    pub http: reqwest::Client,
    depth: usize,
    /// Last: drops after `state`, so that [`crate::RunEngine::stop`] can wait for it.
    _live: crate::LiveGuard,
}

impl Run {
    /// Evaluation context for the current state (and a ForEach item).
    pub fn bindings(&self, item: Option<&Value>) -> Bindings {
        let mut bindings = Bindings::new(self.state.config().clock.now())
            .with_guid_source(Arc::new(|| uuid::Uuid::new_v4().to_string()));
        bindings.pipeline_parameters = self.parameters.clone();
        bindings.global_parameters = self.globals.clone();
        bindings.system = self.system.clone();
        bindings.variables = lock(&self.variables).clone();
        bindings.activities = lock(&self.activities).clone();
        bindings.item = item.cloned();
        bindings
    }

    /// Evaluates every expression in `value`.
    pub fn eval(&self, value: &Value, item: Option<&Value>) -> Result<Value, ActivityError> {
        adf_expr::evaluate_value(value, &self.bindings(item)).map_err(|error| {
            ActivityError::user(
                "InvalidTemplate",
                format!("The expression cannot be evaluated: {error}"),
            )
        })
    }

    fn now(&self) -> OffsetDateTime {
        self.state.config().clock.now()
    }
}

/// Result of a block of activities (a pipeline, a ForEach iteration, an If branch).
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The first unhandled failure: (activity name, error).
    pub failure: Option<(String, ActivityError)>,
}

// ---------- the engine loop ----------

/// Runs until `shutdown` turns true: executes Queued runs as they appear.
pub(crate) async fn engine_loop(state: EmulatorState, mut shutdown: watch::Receiver<bool>) {
    // Nothing survives a restart: a run InProgress now was interrupted by the last stop.
    if let Ok(stale) = state.pipeline_runs_with_status(RunStatus::InProgress) {
        for run in stale {
            let _ = state.set_pipeline_run_status(
                &run.run_id,
                RunStatus::Failed,
                "The emulator stopped while this run was in progress; it was not resumed.",
            );
        }
    }
    let mut tasks = JoinSet::new();
    loop {
        match state.pipeline_runs_with_status(RunStatus::Queued) {
            Ok(queued) => {
                for run in queued {
                    // Claim it before spawning, so the next poll does not start it twice.
                    if state.transition_run(
                        &run.run_id,
                        &[RunStatus::Queued],
                        RunStatus::InProgress,
                        "",
                    ) {
                        let scope =
                            Scope::new(&run.subscription, &run.resource_group, &run.factory);
                        tasks.spawn(execute_pipeline_run(
                            state.clone(),
                            scope,
                            run.run_id,
                            run.pipeline_name,
                            run.document,
                            0,
                        ));
                    }
                }
            }
            Err(error) => tracing::warn!("run engine: cannot list queued runs: {error}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(state.config().executor_poll) => {}
            _ = state.inner_wake().notified() => {}
            _ = shutdown.changed() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    tasks.shutdown().await;
}

/// Typed pipeline parameters: the run document holds strings (ARM-FACTS §8); the pipeline's
/// declarations give the types back, and defaults fill the gaps.
fn typed_parameters(pipeline: &Value, document: &Value) -> Map<String, Value> {
    let given = document
        .get("parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = Map::new();
    let declared = pipeline
        .get("parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (name, declaration) in &declared {
        let kind = declaration
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("String")
            .to_ascii_lowercase();
        let value = match given.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            Some((_, Value::String(text))) => match kind.as_str() {
                "array" | "object" | "int" | "float" | "bool" => {
                    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
                }
                _ => Value::String(text.clone()),
            },
            Some((_, other)) => other.clone(),
            None => declaration
                .get("defaultValue")
                .cloned()
                .unwrap_or(Value::Null),
        };
        out.insert(name.clone(), value);
    }
    for (name, value) in given {
        if !out.keys().any(|k| k.eq_ignore_ascii_case(&name)) {
            out.insert(name, value);
        }
    }
    out
}

fn global_parameters(state: &EmulatorState, scope: &Scope) -> Map<String, Value> {
    let mut out = Map::new();
    if let Ok(rows) = state.with_store(|_, store| store.entities(scope, Kind::GlobalParameters)) {
        for row in rows {
            if let Some(map) = row.body.as_object() {
                for (name, declaration) in map {
                    out.insert(
                        name.clone(),
                        declaration.get("value").cloned().unwrap_or(Value::Null),
                    );
                }
            }
        }
    }
    out
}

/// Executes one pipeline run to its end (or until cancelled) and records its final status.
pub(crate) fn execute_pipeline_run(
    state: EmulatorState,
    scope: Scope,
    run_id: String,
    pipeline_name: String,
    document: Value,
    depth: usize,
) -> BoxFuture<RunStatus> {
    Box::pin(async move {
        let mut cancel = state.register_run(&run_id);
        // A cancel between the claim (Queued → InProgress) and the registration above found
        // nothing to signal: the run is already Canceling or Cancelled, and must not start.
        let status = state.pipeline_run_document(&run_id).and_then(|d| {
            d.get("status")
                .and_then(Value::as_str)
                .and_then(RunStatus::parse)
        });
        if status != Some(RunStatus::InProgress) {
            state.transition_run(&run_id, &[RunStatus::Canceling], RunStatus::Cancelled, "");
            state.unregister_run(&run_id);
            return RunStatus::Cancelled;
        }
        let pipeline = state
            .with_store(|_, store| store.entity(&scope, Kind::Pipeline, &pipeline_name))
            .ok()
            .flatten();
        let Some(pipeline) = pipeline else {
            let _ = state.set_pipeline_run_status(
                &run_id,
                RunStatus::Failed,
                &format!("The pipeline '{pipeline_name}' does not exist any more."),
            );
            state.unregister_run(&run_id);
            return RunStatus::Failed;
        };
        let invoked_by = document.get("invokedBy").cloned().unwrap_or(Value::Null);
        let mut system = Map::new();
        system.insert("RunId".into(), json!(run_id));
        system.insert(
            "GroupId".into(),
            document.get("runGroupId").cloned().unwrap_or(json!(run_id)),
        );
        system.insert("Pipeline".into(), json!(pipeline.name));
        system.insert("DataFactory".into(), json!(factory_name(&state, &scope)));
        system.insert(
            "TriggerTime".into(),
            document.get("runStart").cloned().unwrap_or(Value::Null),
        );
        system.insert(
            "TriggerType".into(),
            invoked_by
                .get("invokedByType")
                .cloned()
                .unwrap_or(json!("Manual")),
        );
        system.insert(
            "TriggerName".into(),
            invoked_by.get("name").cloned().unwrap_or(json!("Manual")),
        );
        system.insert(
            "TriggerId".into(),
            invoked_by.get("id").cloned().unwrap_or(Value::Null),
        );
        if let Some(parent) = invoked_by.get("pipelineName") {
            system.insert("TriggeredByPipelineName".into(), parent.clone());
        }
        if let Some(parent) = invoked_by.get("pipelineRunId") {
            system.insert("TriggeredByPipelineRunId".into(), parent.clone());
        }
        let variables = pipeline
            .body
            .get("variables")
            .and_then(Value::as_object)
            .map(|declared| {
                declared
                    .iter()
                    .map(|(name, d)| {
                        let default = d.get("defaultValue").cloned().unwrap_or_else(|| {
                            match d.get("type").and_then(Value::as_str) {
                                Some("Array") => json!([]),
                                _ => Value::Null,
                            }
                        });
                        (name.clone(), default)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let run = Arc::new(Run {
            parameters: typed_parameters(&pipeline.body, &document),
            globals: global_parameters(&state, &scope),
            system,
            variables: Mutex::new(variables),
            activities: Mutex::new(Map::new()),
            http: state.http_client(),
            state: state.clone(),
            scope,
            run_id: run_id.clone(),
            pipeline_name: pipeline.name.clone(),
            depth,
            _live: state.live_guard(),
        });
        let activities = pipeline
            .body
            .get("activities")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let status = tokio::select! {
            outcome = run_block(run.clone(), activities, None) => {
                match outcome.failure {
                    None => {
                        state.transition_run(&run_id, &[RunStatus::InProgress], RunStatus::Succeeded, "");
                        RunStatus::Succeeded
                    }
                    Some((activity, error)) => {
                        let message = format!("Operation on target {activity} failed: {}", error.message);
                        state.transition_run(&run_id, &[RunStatus::InProgress], RunStatus::Failed, &message);
                        RunStatus::Failed
                    }
                }
            }
            _ = cancelled(&mut cancel) => {
                // The runs API marked the run Cancelled and closed its open activity runs
                // (and its children's); dropping the block stops the work.
                let _ = state.set_pipeline_run_status(&run_id, RunStatus::Cancelled, "");
                RunStatus::Cancelled
            }
        };
        // A cancel that came while the run was finishing: the run ends `Cancelled`.
        let status =
            if state.transition_run(&run_id, &[RunStatus::Canceling], RunStatus::Cancelled, "") {
                RunStatus::Cancelled
            } else {
                status
            };
        state.unregister_run(&run_id);
        status
    })
}

async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    loop {
        if *cancel.borrow_and_update() {
            return;
        }
        if cancel.changed().await.is_err() {
            // The sender is gone: nobody can cancel any more.
            std::future::pending::<()>().await;
        }
    }
}

fn factory_name(state: &EmulatorState, scope: &Scope) -> String {
    state
        .with_store(|_, store| {
            store.entity(
                &Scope {
                    subscription: scope.subscription.clone(),
                    group: scope.group.clone(),
                    factory: String::new(),
                },
                Kind::Factory,
                &scope.factory,
            )
        })
        .ok()
        .flatten()
        .map(|row| row.name)
        .unwrap_or_else(|| scope.factory.clone())
}

// ---------- blocks and dependencies ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finished {
    Succeeded,
    Failed,
    Skipped,
}

fn dependencies(activity: &Value) -> Vec<(String, Vec<String>)> {
    activity
        .get("dependsOn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let name = d.get("activity")?.as_str()?.to_owned();
            let conditions = d
                .get("dependencyConditions")
                .and_then(Value::as_array)
                .map(|c| {
                    c.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_lowercase)
                        .collect()
                })
                .unwrap_or_else(|| vec!["succeeded".to_owned()]);
            Some((name, conditions))
        })
        .collect()
}

fn met(conditions: &[String], status: Finished) -> bool {
    conditions.iter().any(|c| match c.as_str() {
        "succeeded" => status == Finished::Succeeded,
        "failed" => status == Finished::Failed,
        "skipped" => status == Finished::Skipped,
        "completed" => matches!(status, Finished::Succeeded | Finished::Failed),
        _ => false,
    })
}

fn name_of(activity: &Value) -> String {
    activity
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Runs a block of activities in dependency order; independent ones run concurrently.
pub(crate) fn run_block(
    run: Arc<Run>,
    activities: Vec<Value>,
    item: Option<Value>,
) -> BoxFuture<Outcome> {
    Box::pin(async move {
        let mut finished: HashMap<String, Finished> = HashMap::new();
        let mut errors: HashMap<String, ActivityError> = HashMap::new();
        let mut started: HashSet<usize> = HashSet::new();
        let mut tasks: JoinSet<(usize, Result<Value, ActivityError>)> = JoinSet::new();
        let known: HashSet<String> = activities
            .iter()
            .map(|a| name_of(a).to_lowercase())
            .collect();
        loop {
            let mut progressed = true;
            while progressed {
                progressed = false;
                for (index, activity) in activities.iter().enumerate() {
                    if started.contains(&index) {
                        continue;
                    }
                    let deps = dependencies(activity);
                    // A dependency on an unknown activity can never be met.
                    let resolved: Option<Vec<bool>> = deps
                        .iter()
                        .map(|(name, conditions)| {
                            let key = name.to_lowercase();
                            if !known.contains(&key) {
                                return Some(false);
                            }
                            finished.get(&key).map(|status| met(conditions, *status))
                        })
                        .collect();
                    let Some(resolved) = resolved else { continue };
                    started.insert(index);
                    progressed = true;
                    let inactive = activity
                        .get("state")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("Inactive"));
                    if inactive {
                        // ADF does not run an inactive activity; it takes the status
                        // `onInactiveMarkAs` (Succeeded by default) for its dependents.
                        let marked = match activity.get("onInactiveMarkAs").and_then(Value::as_str)
                        {
                            Some("Failed") => Finished::Failed,
                            Some("Skipped") => Finished::Skipped,
                            _ => Finished::Succeeded,
                        };
                        let status = match marked {
                            Finished::Succeeded => "Succeeded",
                            Finished::Failed => "Failed",
                            Finished::Skipped => "Skipped",
                        };
                        finished.insert(name_of(activity).to_lowercase(), marked);
                        lock(&run.activities)
                            .insert(name_of(activity), json!({"status": status, "output": null}));
                    } else if resolved.iter().all(|ok| *ok) {
                        tasks.spawn({
                            let run = run.clone();
                            let activity = activity.clone();
                            let item = item.clone();
                            async move { (index, run_activity(run, activity, item).await) }
                        });
                    } else {
                        finished.insert(name_of(activity).to_lowercase(), Finished::Skipped);
                        lock(&run.activities).insert(
                            name_of(activity),
                            json!({"status": "Skipped", "output": null}),
                        );
                    }
                }
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            match joined {
                Ok((index, result)) => {
                    let name = name_of(&activities[index]).to_lowercase();
                    match result {
                        Ok(_) => {
                            finished.insert(name, Finished::Succeeded);
                        }
                        Err(error) => {
                            finished.insert(name.clone(), Finished::Failed);
                            errors.insert(name, error);
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!("run engine: an activity task ended abnormally: {error}");
                    return Outcome {
                        failure: Some((
                            String::new(),
                            ActivityError::system(
                                "InternalError",
                                "an activity task ended abnormally",
                            ),
                        )),
                    };
                }
            }
        }
        // A failure is handled when some activity depends on it with Failed or Completed.
        let mut failure = None;
        for activity in &activities {
            let name = name_of(activity);
            let key = name.to_lowercase();
            let Some(error) = errors.get(&key) else {
                continue;
            };
            let handled = activities.iter().any(|other| {
                dependencies(other).iter().any(|(dep, conditions)| {
                    dep.eq_ignore_ascii_case(&name)
                        && conditions.iter().any(|c| c == "failed" || c == "completed")
                })
            });
            if !handled {
                failure = Some((name, error.clone()));
                break;
            }
        }
        Outcome { failure }
    })
}

// ---------- one activity, with its retry policy ----------

fn number_of(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `d.hh:mm:ss` or `hh:mm:ss` (ADF's timespan format).
pub(crate) fn parse_timespan(text: &str) -> Option<Duration> {
    let (days, clock) = match text.split_once('.') {
        Some((days, rest)) if rest.contains(':') && !days.contains(':') => {
            (days.parse::<u64>().ok()?, rest)
        }
        _ => (0, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let hours: u64 = parts[0].parse().ok()?;
    let minutes: u64 = parts[1].parse().ok()?;
    let seconds: f64 = parts[2].parse().ok()?;
    let total = days * 86_400 + hours * 3600 + minutes * 60;
    Some(Duration::from_secs(total) + Duration::from_secs_f64(seconds.max(0.0)))
}

fn run_activity(
    run: Arc<Run>,
    activity: Value,
    item: Option<Value>,
) -> BoxFuture<Result<Value, ActivityError>> {
    Box::pin(async move {
        let name = name_of(&activity);
        let activity_type = activity
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let policy = activity.get("policy").cloned().unwrap_or(Value::Null);
        let retries = number_of(policy.get("retry")).unwrap_or(0.0).max(0.0) as u32;
        let interval = Duration::from_secs_f64(
            number_of(policy.get("retryIntervalInSeconds"))
                .unwrap_or(30.0)
                .max(0.0),
        );
        let timeout = policy
            .get("timeout")
            .and_then(Value::as_str)
            .and_then(parse_timespan)
            .unwrap_or(DEFAULT_ACTIVITY_TIMEOUT);
        let linked_service = activity
            .pointer("/linkedServiceName/referenceName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut attempt = 0u32;
        loop {
            let input = activity_input(&activity);
            let mut record = ActivityRunRecord {
                activity_name: name.clone(),
                activity_type: activity_type.clone(),
                status: RunStatus::InProgress,
                start: run.now(),
                end: None,
                input,
                output: Value::Null,
                error: None,
                linked_service_name: linked_service.clone(),
                retry_attempt: (attempt > 0).then_some(attempt),
            };
            let id = run
                .state
                .add_activity_run(&run.run_id, &record)
                .ok()
                .flatten();
            if let Some(id) = &id {
                run.state.open_activity(&run.run_id, id, &record);
            }
            let result = match tokio::time::timeout(
                timeout,
                execute(run.clone(), &activity, &activity_type, item.as_ref()),
            )
            .await
            {
                Ok(result) => result,
                Err(_) => Err(ActivityError::user(
                    "2103",
                    format!("Activity timed out after {}.", humanize(timeout)),
                )),
            };
            record.end = Some(run.now());
            match &result {
                Ok(output) => {
                    record.status = RunStatus::Succeeded;
                    record.output = output.clone();
                }
                Err(error) => {
                    record.status = RunStatus::Failed;
                    record.error = Some(error.to_json(&name));
                }
            }
            if let Some(id) = &id
                && run.state.close_activity(&run.run_id, id)
            {
                let _ = run.state.update_activity_run(id, &record);
            }
            let finished = match &result {
                Ok(output) => json!({"status": "Succeeded", "output": output, "error": null}),
                Err(error) => {
                    json!({"status": "Failed", "output": null, "error": error.to_json(&name)})
                }
            };
            lock(&run.activities).insert(name.clone(), finished);
            if result.is_ok() || attempt >= retries {
                return result;
            }
            attempt += 1;
            tokio::time::sleep(interval).await;
        }
    })
}

fn humanize(duration: Duration) -> String {
    format!("{}s", duration.as_secs())
}

/// The activity run's `input`: its type properties, secure strings masked.
fn activity_input(activity: &Value) -> Value {
    let properties = activity.get("typeProperties").cloned().unwrap_or(json!({}));
    let pointers = adf_core::secret::secure_string_pointers(&properties);
    adf_core::secret::redact(&properties, &pointers)
}

fn property<'a>(activity: &'a Value, key: &str) -> Option<&'a Value> {
    activity.get("typeProperties").and_then(|p| p.get(key))
}

fn activities_at(activity: &Value, key: &str) -> Vec<Value> {
    property(activity, key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn inner_failure(outcome: &Outcome) -> ActivityError {
    let (inner, error) = outcome
        .failure
        .clone()
        .unwrap_or_else(|| (String::new(), ActivityError::user("", "")));
    ActivityError {
        code: "ActivityFailed".into(),
        message: format!(
            "Activity failed because an inner activity failed; Inner activity name: {inner}, Error: {}",
            error.message
        ),
        failure_type: error.failure_type,
    }
}

async fn execute(
    run: Arc<Run>,
    activity: &Value,
    activity_type: &str,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| -> Result<Value, ActivityError> {
        match property(activity, key) {
            Some(value) => run.eval(value, item),
            None => Ok(Value::Null),
        }
    };
    match activity_type {
        "Wait" => {
            let seconds = number_of(Some(&evaluated("waitTimeInSeconds")?)).ok_or_else(|| {
                ActivityError::user("BadRequest", "waitTimeInSeconds must be a number")
            })?;
            tokio::time::sleep(Duration::from_secs_f64(seconds.max(0.0))).await;
            Ok(json!({}))
        }
        "SetVariable" => {
            if property(activity, "setSystemVariable").and_then(Value::as_bool) == Some(true) {
                return Err(ActivityError::user(
                    "NotSupportedByEmulator",
                    "not supported by the emulator: SetVariable of a pipeline return value",
                ));
            }
            let variable = evaluated("variableName")?;
            let value = evaluated("value")?;
            let Some(variable) = variable.as_str().filter(|v| !v.is_empty()) else {
                return Err(ActivityError::user(
                    "BadRequest",
                    "variableName is required",
                ));
            };
            lock(&run.variables).insert(variable.to_owned(), value.clone());
            Ok(json!({"name": variable, "value": value}))
        }
        "AppendVariable" => {
            let variable = evaluated("variableName")?;
            let value = evaluated("value")?;
            let Some(variable) = variable.as_str().filter(|v| !v.is_empty()) else {
                return Err(ActivityError::user(
                    "BadRequest",
                    "variableName is required",
                ));
            };
            let mut variables = lock(&run.variables);
            match variables.get_mut(variable) {
                Some(Value::Array(items)) => items.push(value),
                None | Some(Value::Null) => {
                    variables.insert(variable.to_owned(), json!([value]));
                }
                Some(_) => {
                    return Err(ActivityError::user(
                        "InvalidVariableType",
                        format!(
                            "The variable '{variable}' is not an Array; AppendVariable needs one."
                        ),
                    ));
                }
            }
            Ok(json!({}))
        }
        "IfCondition" => {
            let condition = evaluated("expression")?;
            let Some(condition) = condition.as_bool() else {
                return Err(ActivityError::user(
                    "InvalidTemplate",
                    "The IfCondition expression must evaluate to a boolean.",
                ));
            };
            let branch = if condition {
                "ifTrueActivities"
            } else {
                "ifFalseActivities"
            };
            let outcome =
                run_block(run.clone(), activities_at(activity, branch), item.cloned()).await;
            if outcome.failure.is_some() {
                return Err(inner_failure(&outcome));
            }
            Ok(json!({"ifExpressionResult": condition}))
        }
        "ForEach" => {
            let items = evaluated("items")?;
            let Value::Array(items) = items else {
                return Err(ActivityError::user(
                    "InvalidTemplate",
                    "The ForEach items expression must evaluate to an array.",
                ));
            };
            let sequential = evaluated("isSequential")?.as_bool().unwrap_or(false);
            let batch = if sequential {
                1
            } else {
                number_of(Some(&evaluated("batchCount")?))
                    .map(|n| n as usize)
                    .unwrap_or(20)
                    .clamp(1, MAX_BATCH)
            };
            let body = activities_at(activity, "activities");
            let semaphore = Arc::new(tokio::sync::Semaphore::new(batch));
            let mut iterations = JoinSet::new();
            for (index, element) in items.into_iter().enumerate() {
                let permit =
                    semaphore.clone().acquire_owned().await.map_err(|_| {
                        ActivityError::system("InternalError", "ForEach batch closed")
                    })?;
                let run = run.clone();
                let body = body.clone();
                iterations.spawn(async move {
                    let outcome = run_block(run, body, Some(element)).await;
                    drop(permit);
                    (index, outcome)
                });
            }
            let mut failure: Option<(usize, Outcome)> = None;
            while let Some(joined) = iterations.join_next().await {
                if let Ok((index, outcome)) = joined
                    && outcome.failure.is_some()
                    && failure.as_ref().is_none_or(|(i, _)| index < *i)
                {
                    failure = Some((index, outcome));
                }
            }
            match failure {
                Some((_, outcome)) => Err(inner_failure(&outcome)),
                None => Ok(json!({})),
            }
        }
        "Until" => {
            let timeout = property(activity, "timeout")
                .and_then(Value::as_str)
                .and_then(parse_timespan)
                .unwrap_or(DEFAULT_UNTIL_TIMEOUT);
            let body = activities_at(activity, "activities");
            let deadline = tokio::time::Instant::now() + timeout;
            let mut iterations = 0u64;
            loop {
                let outcome = run_block(run.clone(), body.clone(), item.cloned()).await;
                iterations += 1;
                if outcome.failure.is_some() {
                    return Err(inner_failure(&outcome));
                }
                let done = evaluated("expression")?;
                match done.as_bool() {
                    Some(true) => return Ok(json!({"iterations": iterations})),
                    Some(false) => {}
                    None => {
                        return Err(ActivityError::user(
                            "InvalidTemplate",
                            "The Until expression must evaluate to a boolean.",
                        ));
                    }
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(ActivityError::user(
                        "ActivityTimedOut",
                        format!("The Until activity timed out after {}.", humanize(timeout)),
                    ));
                }
                // An Until with an empty body must not hog a worker thread.
                tokio::task::yield_now().await;
            }
        }
        "Fail" => {
            let message = evaluated("message")?;
            let code = evaluated("errorCode")?;
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            Err(ActivityError::user(text(&code), text(&message)))
        }
        "Filter" => {
            let items = evaluated("items")?;
            let Value::Array(items) = items else {
                return Err(ActivityError::user(
                    "InvalidTemplate",
                    "The Filter items expression must evaluate to an array.",
                ));
            };
            let condition = property(activity, "condition")
                .cloned()
                .unwrap_or(json!(true));
            let mut kept = Vec::new();
            for element in &items {
                if run.eval(&condition, Some(element))?.as_bool() == Some(true) {
                    kept.push(element.clone());
                }
            }
            Ok(json!({
                "ItemsCount": items.len(),
                "FilteredItemsCount": kept.len(),
                "Value": kept,
            }))
        }
        "ExecutePipeline" => execute_pipeline(run, activity, item).await,
        "Copy" => copy::execute(run, activity, item).await,
        other => Err(ActivityError::user(
            "NotSupportedByEmulator",
            format!("not supported by the emulator: {other}"),
        )),
    }
}

async fn execute_pipeline(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let Some(reference) = property(activity, "pipeline")
        .and_then(|p| p.get("referenceName"))
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Err(ActivityError::user(
            "BadRequest",
            "pipeline.referenceName is required",
        ));
    };
    if run.depth + 1 > MAX_DEPTH {
        return Err(ActivityError::user(
            "BadRequest",
            format!("ExecutePipeline nesting is deeper than {MAX_DEPTH} levels."),
        ));
    }
    let parameters = match property(activity, "parameters") {
        Some(p) => run.eval(p, item)?,
        None => json!({}),
    };
    let wait = property(activity, "waitOnCompletion")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let invoked_by = json!({
        "id": uuid::Uuid::new_v4().simple().to_string(),
        "name": name_of(activity),
        "invokedByType": "PipelineActivity",
        "pipelineName": run.pipeline_name,
        "pipelineRunId": run.run_id,
    });
    let status = if wait {
        RunStatus::InProgress
    } else {
        RunStatus::Queued
    };
    let child = run
        .state
        .create_child_run(&run.scope, &reference, &parameters, invoked_by, status)
        .map_err(|e| ActivityError::system("InternalError", e.to_string()))?;
    let Some((child_id, document, pipeline_name)) = child else {
        return Err(ActivityError::user(
            "PipelineNotFound",
            format!("The pipeline '{reference}' does not exist."),
        ));
    };
    run.state.add_child_run(&run.run_id, &child_id);
    let output = json!({"pipelineName": pipeline_name, "pipelineRunId": child_id});
    if !wait {
        run.state.wake_engine();
        return Ok(output);
    }
    let status = execute_pipeline_run(
        run.state.clone(),
        run.scope.clone(),
        child_id.clone(),
        pipeline_name,
        document,
        run.depth + 1,
    )
    .await;
    match status {
        RunStatus::Succeeded => Ok(output),
        other => {
            let message = run
                .state
                .pipeline_run_document(&child_id)
                .and_then(|d| d.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            Err(ActivityError::user(
                "2011",
                format!(
                    "Operation on target pipeline run {child_id} {}: {message}",
                    other.as_str().to_lowercase()
                ),
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(
            parse_timespan("0.12:00:00"),
            Some(Duration::from_secs(12 * 3600))
        );
        assert_eq!(
            parse_timespan("7.00:00:00"),
            Some(Duration::from_secs(7 * 86_400))
        );
        assert_eq!(
            parse_timespan("00:00:01.5"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_timespan("soon"), None);
    }

    #[test]
    fn dependency_conditions() {
        let c = |s: &[&str]| s.iter().map(|x| x.to_lowercase()).collect::<Vec<_>>();
        assert!(met(&c(&["Succeeded"]), Finished::Succeeded));
        assert!(!met(&c(&["Succeeded"]), Finished::Failed));
        assert!(met(&c(&["Failed"]), Finished::Failed));
        assert!(met(&c(&["Skipped"]), Finished::Skipped));
        assert!(met(&c(&["Completed"]), Finished::Failed));
        assert!(met(&c(&["Completed"]), Finished::Succeeded));
        assert!(!met(&c(&["Completed"]), Finished::Skipped));
    }

    #[test]
    fn parameters_get_their_declared_types_back() {
        let pipeline = json!({"parameters": {
            "list": {"type": "Array"}, "n": {"type": "Int"}, "s": {"type": "String"},
            "d": {"type": "String", "defaultValue": "x"}}});
        let document = json!({"parameters": {"list": "[\"a\",\"b\"]", "n": "3", "s": "[1]"}});
        let typed = typed_parameters(&pipeline, &document);
        assert_eq!(typed["list"], json!(["a", "b"]));
        assert_eq!(typed["n"], json!(3));
        assert_eq!(typed["s"], json!("[1]"));
        assert_eq!(typed["d"], json!("x"));
    }
}
