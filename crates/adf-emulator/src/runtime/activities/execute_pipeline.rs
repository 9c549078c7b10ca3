//! ExecutePipeline: child runs, queued or executed in the parent's task.

use super::{name_of, property};
use crate::ledger::{InvokedBy, RunStatus};
use crate::runtime::context::{ActivityError, Run};
use serde_json::{Value, json};
use std::sync::Arc;

/// Nesting limit of ExecutePipeline (a pipeline that calls itself must not run forever).
const MAX_DEPTH: usize = 16;

/// ExecutePipeline: starts a child run of the referenced pipeline; with `waitOnCompletion`, runs
/// it in this task (through the engine) and fails when it does not succeed.
pub(super) async fn execute_pipeline(
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
    let invoked_by =
        InvokedBy::pipeline_activity(&name_of(activity), &run.pipeline_name, &run.run_id);
    let status = if wait {
        RunStatus::InProgress
    } else {
        RunStatus::Queued
    };
    let child = run
        .state
        .create_child_run(&run.scope, &reference, &parameters, invoked_by, status)
        .map_err(|e| ActivityError::system("InternalError", e.to_string()))?;
    let Some((child, pipeline_name)) = child else {
        return Err(ActivityError::user(
            "PipelineNotFound",
            format!("The pipeline '{reference}' does not exist."),
        ));
    };
    let child_id = child.run_id.clone();
    run.state.add_child_run(&run.run_id, &child_id);
    let output = json!({"pipelineName": pipeline_name, "pipelineRunId": child_id});
    if !wait {
        run.state.wake_engine();
        return Ok(output);
    }
    let status = run.run_child_pipeline(child).await;
    match status {
        RunStatus::Succeeded => Ok(output),
        other => {
            let message = run
                .state
                .pipeline_run(&child_id)
                .and_then(|child| child.message)
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
