//! The run engine: picks up Queued pipeline runs and executes their activities (see
//! [`crate::runtime::activities`] for what each activity does).
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
//! marked Failed at the next start.

use crate::ledger::{ActivityRunRecord, PipelineRun, RunStatus};
use crate::runtime::activities::{self, humanize, name_of, number_of, parse_timespan};
use crate::runtime::context::{ActivityError, BoxFuture, EngineHooks, Outcome, Run, lock};
use crate::state::EmulatorState;
use crate::store::Scope;
use adf_core::Kind;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// ADF's default activity timeout (12 hours).
const DEFAULT_ACTIVITY_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

/// What activities call back into: nested blocks and child pipeline runs.
static HOOKS: EngineHooks = EngineHooks {
    run_block,
    run_pipeline: execute_pipeline_run,
};

// ---------- the engine loop ----------

/// Runs until `shutdown` turns true: executes Queued runs as they appear.
pub(crate) async fn engine_loop(state: EmulatorState, mut shutdown: watch::Receiver<bool>) {
    // Nothing survives a restart: a run InProgress now was interrupted by the last stop.
    if let Ok(stale) = state.runs_with_status(RunStatus::InProgress) {
        for (_, run) in stale {
            let _ = state.set_pipeline_run_status(
                &run.run_id,
                RunStatus::Failed,
                "The emulator stopped while this run was in progress; it was not resumed.",
            );
        }
    }
    let mut tasks = JoinSet::new();
    loop {
        match state.runs_with_status(RunStatus::Queued) {
            Ok(queued) => {
                for (scope, run) in queued {
                    // Claim it before spawning, so the next poll does not start it twice.
                    if state.transition_run(
                        &run.run_id,
                        &[RunStatus::Queued],
                        RunStatus::InProgress,
                        "",
                    ) {
                        tasks.spawn(execute_pipeline_run(state.clone(), scope, run, 0));
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
fn typed_parameters(pipeline: &Value, given: &Map<String, Value>) -> Map<String, Value> {
    let given = given.clone();
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
    document: PipelineRun,
    depth: usize,
) -> BoxFuture<RunStatus> {
    Box::pin(async move {
        let run_id = document.run_id.clone();
        let pipeline_name = document.pipeline_name.clone();
        let mut cancel = state.register_run(&run_id);
        // A cancel between the claim (Queued → InProgress) and the registration above found
        // nothing to signal: the run is already Canceling or Cancelled, and must not start.
        let status = state.pipeline_run(&run_id).map(|run| run.status);
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
        let invoked_by = &document.invoked_by;
        let mut system = Map::new();
        system.insert("RunId".into(), json!(run_id));
        system.insert("GroupId".into(), json!(document.run_group_id));
        system.insert("Pipeline".into(), json!(pipeline.name));
        system.insert("DataFactory".into(), json!(factory_name(&state, &scope)));
        system.insert("TriggerTime".into(), json!(document.run_start));
        system.insert("TriggerType".into(), json!(invoked_by.invoked_by_type));
        system.insert("TriggerName".into(), json!(invoked_by.name));
        system.insert("TriggerId".into(), json!(invoked_by.id));
        if let Some(parent) = &invoked_by.pipeline_name {
            system.insert("TriggeredByPipelineName".into(), json!(parent));
        }
        if let Some(parent) = &invoked_by.pipeline_run_id {
            system.insert("TriggeredByPipelineRunId".into(), json!(parent));
        }
        let variables = pipeline
            .body
            .get("variables")
            .and_then(Value::as_object)
            .map(|declared| {
                declared
                    .iter()
                    .map(|(name, d)| {
                        // A variable without a default starts as its type's empty value, as
                        // data-factory-testing-framework's functional test
                        // `variables_default_value` has it ("", 0, false, []).
                        let default = d.get("defaultValue").cloned().unwrap_or_else(|| {
                            match d.get("type").and_then(Value::as_str) {
                                Some("Array") => json!([]),
                                Some("String") => json!(""),
                                Some("Integer") => json!(0),
                                Some("Boolean") => json!(false),
                                _ => Value::Null,
                            }
                        });
                        (name.clone(), default)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let run = Arc::new(Run {
            parameters: typed_parameters(&pipeline.body, &document.parameters),
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
            engine: &HOOKS,
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
        let variables = lock(&run.variables).clone();
        state.with_harness(|harness| harness.save_variables(&run_id, variables));
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
            let mock = run.state.with_harness(|harness| {
                harness.mock_for(&run.scope, &run.pipeline_name, &name, &activity_type)
            });
            let work = async {
                match &mock {
                    Some(mock) => mock
                        .outcome()
                        .await
                        .map_err(|(code, message)| ActivityError::user(code, message)),
                    None => {
                        activities::execute(run.clone(), &activity, &activity_type, item.as_ref())
                            .await
                    }
                }
            };
            let result = match tokio::time::timeout(timeout, work).await {
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

/// The activity run's `input`: its type properties, secure strings masked.
fn activity_input(activity: &Value) -> Value {
    let properties = activity.get("typeProperties").cloned().unwrap_or(json!({}));
    let pointers = adf_core::secret::secure_string_pointers(&properties);
    adf_core::secret::redact(&properties, &pointers)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
        let given = json!({"list": "[\"a\",\"b\"]", "n": "3", "s": "[1]"});
        let typed = typed_parameters(&pipeline, given.as_object().unwrap());
        assert_eq!(typed["list"], json!(["a", "b"]));
        assert_eq!(typed["n"], json!(3));
        assert_eq!(typed["s"], json!("[1]"));
        assert_eq!(typed["d"], json!("x"));
    }
}
