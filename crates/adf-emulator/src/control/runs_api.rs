//! The runs API (ARM-FACTS §8): createRun, pipeline run get/cancel, the run queries.
//!
//! A thin layer over the run ledger ([`crate::ledger`]), which owns the run documents. A run
//! stays `Queued` until the run engine (or any other executor, through
//! [`crate::EmulatorState::set_pipeline_run_status`]) moves it on.

use crate::config::EmulatorConfig;
use crate::control::arm::Reply;
use crate::ledger::{self, InvokedBy};
use crate::store::{EntityRow, Scope, Store};
use crate::wire::ArmError;
use axum::http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;

pub(crate) struct RunContext<'a> {
    pub store: &'a Store,
    pub config: &'a EmulatorConfig,
    pub now: OffsetDateTime,
}

pub(crate) fn create_run(
    ctx: RunContext<'_>,
    scope: &Scope,
    pipeline: &EntityRow,
    parameters: Value,
    reference_run: Option<&str>,
) -> Result<Reply, ArmError> {
    if let Some(reference) = reference_run.filter(|r| !r.is_empty())
        && !ledger::is_run_of_factory(ctx.store, scope, reference)?
    {
        // Live wording and target (ARM-FACTS §3).
        return Err(ArmError::adf(
            StatusCode::BAD_REQUEST,
            "ReferencedPipelineRunNotValid",
            format!("Referenced pipeline run id {reference} is not a valid run id."),
            Some(format!("pipeline/{}/", pipeline.name)),
        ));
    }
    let parameters = if parameters.is_null() {
        json!({})
    } else {
        parameters
    };
    let run_id = ledger::insert_run(
        ctx.store,
        scope,
        pipeline,
        &parameters,
        InvokedBy::manual(),
        ctx.now,
    )?;
    Ok(Reply::json(StatusCode::OK, json!({ "runId": run_id })))
}

pub(crate) fn get_pipeline_run(
    store: &Store,
    scope: &Scope,
    run_id: &str,
) -> Result<Reply, ArmError> {
    Ok(Reply::json(
        StatusCode::OK,
        ledger::pipeline_run_json(store, scope, run_id)?,
    ))
}

/// Cancel: 200 with an empty body; the run is `Canceling` (message `""`) until its execution
/// stops, then `Cancelled` (PS TestPipelineRunV2: it stays `Canceling` for seconds). The
/// service returns a `CancelRun` side effect, which stops the execution.
pub(crate) fn cancel(ctx: RunContext<'_>, scope: &Scope, run_id: &str) -> Result<Reply, ArmError> {
    ledger::request_cancel(ctx.store, scope, run_id, ctx.now)?;
    Ok(Reply::empty(StatusCode::OK))
}

pub(crate) fn query_pipeline_runs(
    ctx: RunContext<'_>,
    scope: &Scope,
    filter: &Value,
) -> Result<Reply, ArmError> {
    let body = ledger::query_pipeline_runs(ctx.store, scope, filter, ctx.config.run_page_size)?;
    Ok(Reply::json(StatusCode::OK, body))
}

pub(crate) fn query_trigger_runs(
    ctx: RunContext<'_>,
    scope: &Scope,
    filter: &Value,
) -> Result<Reply, ArmError> {
    let body = ledger::query_trigger_runs(ctx.store, scope, filter, ctx.config.run_page_size)?;
    Ok(Reply::json(StatusCode::OK, body))
}

pub(crate) fn query_activity_runs(
    ctx: RunContext<'_>,
    scope: &Scope,
    run_id: &str,
    filter: &Value,
) -> Result<Reply, ArmError> {
    let body =
        ledger::query_activity_runs(ctx.store, scope, run_id, filter, ctx.config.run_page_size)?;
    Ok(Reply::json(StatusCode::OK, body))
}
