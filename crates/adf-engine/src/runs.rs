//! Pipeline runs through ARM: start, follow, cancel, query (ARM-FACTS §8).

use adf_arm::{ArmClient, ArmError, Idempotency};
use adf_core::{ADF_API_VERSION, FactoryTarget, RunStatus};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A pipeline run as ARM reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineRun {
    /// The run id.
    pub run_id: String,
    /// The pipeline.
    pub pipeline_name: String,
    /// As ARM wrote it: one of [`RunStatus`] (see [`PipelineRun::state`]).
    pub status: String,
    /// ADF's message (the error of a failed run).
    pub message: String,
    /// Start time (RFC 3339), if started.
    pub run_start: Option<String>,
    /// End time (RFC 3339), if ended.
    pub run_end: Option<String>,
    /// Duration, once ended.
    pub duration_ms: Option<u64>,
    /// The whole body, for `--format json`.
    pub raw: Value,
}

impl PipelineRun {
    fn from_json(raw: Value) -> PipelineRun {
        let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
        PipelineRun {
            run_id: text("runId").unwrap_or_default(),
            pipeline_name: text("pipelineName").unwrap_or_default(),
            status: text("status").unwrap_or_default(),
            message: text("message").unwrap_or_default(),
            run_start: text("runStart"),
            run_end: text("runEnd"),
            duration_ms: raw.get("durationInMs").and_then(Value::as_u64),
            raw,
        }
    }

    /// The status, when it is one ADF documents.
    pub fn state(&self) -> Option<RunStatus> {
        RunStatus::parse(&self.status)
    }

    /// Whether the run has ended (Succeeded, Failed or Cancelled).
    pub fn is_terminal(&self) -> bool {
        self.state().is_some_and(RunStatus::is_terminal)
    }
}

/// An activity run as ARM reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRun {
    /// The activity's name.
    pub activity_name: String,
    /// Its type (`Copy`, `Wait`, ...).
    pub activity_type: String,
    /// Its status.
    pub status: String,
    /// Start time (RFC 3339).
    pub start: Option<String>,
    /// Duration, once ended.
    pub duration_ms: Option<u64>,
    /// The activity's output (Copy: dataRead, dataWritten, filesRead, ...).
    pub output: Value,
    /// The error message, when it failed.
    pub error_message: Option<String>,
    /// The whole body, for `--format json`.
    pub raw: Value,
}

impl ActivityRun {
    fn from_json(raw: Value) -> ActivityRun {
        let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
        let error_message = raw
            .pointer("/error/message")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        ActivityRun {
            activity_name: text("activityName").unwrap_or_default(),
            activity_type: text("activityType").unwrap_or_default(),
            status: text("status").unwrap_or_default(),
            start: text("activityRunStart"),
            duration_ms: raw.get("durationInMs").and_then(Value::as_u64),
            output: raw.get("output").cloned().unwrap_or(Value::Null),
            error_message,
            raw,
        }
    }
}

/// Starts a run of `pipeline` with `parameters`; returns the run id. Never retried blindly
/// (a retried createRun could start the pipeline twice).
pub async fn start_run(
    client: &ArmClient,
    target: &FactoryTarget,
    pipeline: &str,
    parameters: &Map<String, Value>,
) -> Result<String, ArmError> {
    let path = format!("{}/pipelines/{pipeline}/createRun", target.factory_path());
    let body = Value::Object(parameters.clone());
    let response = client
        .post(
            &path,
            ADF_API_VERSION,
            Some(&body),
            Idempotency::NonIdempotent,
        )
        .await?;
    Ok(response
        .body
        .get("runId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned())
}

/// Reads a run.
pub async fn get_run(
    client: &ArmClient,
    target: &FactoryTarget,
    run_id: &str,
) -> Result<PipelineRun, ArmError> {
    let path = format!("{}/pipelineruns/{run_id}", target.factory_path());
    let response = client.get(&path, ADF_API_VERSION).await?;
    Ok(PipelineRun::from_json(response.body))
}

/// Asks ADF to cancel a run (and, recursively, the runs it started).
pub async fn cancel_run(
    client: &ArmClient,
    target: &FactoryTarget,
    run_id: &str,
) -> Result<(), ArmError> {
    let path = format!(
        "{}/pipelineruns/{run_id}/cancel?isRecursive=true",
        target.factory_path()
    );
    client
        .post(&path, ADF_API_VERSION, None, Idempotency::Idempotent)
        .await
        .map(|_| ())
}

/// The version of the run documents `adfctl run` and `adfctl runs` print as JSON.
pub const REPORT_FORMAT_VERSION: &str = "1";

/// `adfctl run --format json`: the run as ARM reports it, and its activity runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// `"1"`; the run and activity-run objects are ARM's own.
    #[serde(rename = "format_version")]
    pub format_version: &'static str,
    /// The run id.
    pub run_id: String,
    /// The pipeline run document (`status`, `runStart`, `message`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<Value>,
    /// Its activity runs (`activityName`, `status`, `output`, `error`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_runs: Option<Vec<Value>>,
}

impl RunReport {
    /// A run just started (`run --no-wait`): its id only.
    pub fn started(run_id: &str) -> RunReport {
        RunReport {
            format_version: REPORT_FORMAT_VERSION,
            run_id: run_id.to_owned(),
            run: None,
            activity_runs: None,
        }
    }

    /// A run that ended, with its activity runs.
    pub fn finished(run: &PipelineRun, activities: &[ActivityRun]) -> RunReport {
        RunReport {
            format_version: REPORT_FORMAT_VERSION,
            run_id: run.run_id.clone(),
            run: Some(run.raw.clone()),
            activity_runs: Some(activities.iter().map(|a| a.raw.clone()).collect()),
        }
    }
}

/// `adfctl runs --format json`: the runs found, newest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunList {
    /// `"1"`.
    pub format_version: &'static str,
    /// ARM's run documents.
    pub runs: Vec<Value>,
}

impl RunList {
    /// The list of `runs`.
    pub fn new(runs: &[PipelineRun]) -> RunList {
        RunList {
            format_version: REPORT_FORMAT_VERSION,
            runs: runs.iter().map(|r| r.raw.clone()).collect(),
        }
    }
}

/// How following a run ended.
#[derive(Debug)]
pub enum FollowEnd {
    /// The run reached Succeeded, Failed or Cancelled.
    Finished(PipelineRun),
    /// It outlived the timeout and was asked to cancel (a failed cancel is ignored: the run
    /// goes on, and the caller says so).
    TimedOut,
    /// The caller's interrupt fired; the cancel's result.
    Interrupted(Result<(), ArmError>),
}

/// Follows a run until it ends: reads it with a backoff (250 ms doubling up to 5 s), tells
/// `on_change` each new status with the time since following began, cancels it when
/// `timeout` passes or `interrupt` completes (Ctrl-C in the CLI).
pub async fn follow_run(
    client: &ArmClient,
    target: &FactoryTarget,
    run_id: &str,
    timeout: std::time::Duration,
    interrupt: impl std::future::Future<Output = ()>,
    mut on_change: impl FnMut(&PipelineRun, std::time::Duration),
) -> Result<FollowEnd, ArmError> {
    use std::time::{Duration, Instant};
    let started = Instant::now();
    let mut last_status = None;
    let mut delay = Duration::from_millis(250);
    tokio::pin!(interrupt);
    loop {
        let run = get_run(client, target, run_id).await?;
        if last_status.as_ref() != Some(&run.status) {
            on_change(&run, started.elapsed());
            last_status = Some(run.status.clone());
        }
        if run.is_terminal() {
            return Ok(FollowEnd::Finished(run));
        }
        if started.elapsed() >= timeout {
            let _ = cancel_run(client, target, run_id).await;
            return Ok(FollowEnd::TimedOut);
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = &mut interrupt => {
                return Ok(FollowEnd::Interrupted(cancel_run(client, target, run_id).await));
            }
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// The activity runs of a run, every page (`continuationToken`).
pub async fn activity_runs(
    client: &ArmClient,
    target: &FactoryTarget,
    run_id: &str,
) -> Result<Vec<ActivityRun>, ArmError> {
    let path = format!(
        "{}/pipelineruns/{run_id}/queryActivityruns",
        target.factory_path()
    );
    let items = query_all(client, &path, window(30), Vec::new(), "ActivityRunStart").await?;
    Ok(items.into_iter().map(ActivityRun::from_json).collect())
}

/// Recent pipeline runs (updated in the last `days` days), newest first, optionally filtered.
pub async fn recent_runs(
    client: &ArmClient,
    target: &FactoryTarget,
    days: i64,
    pipeline: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<PipelineRun>, ArmError> {
    let path = format!("{}/queryPipelineRuns", target.factory_path());
    let mut filters = Vec::new();
    if let Some(pipeline) = pipeline {
        filters
            .push(json!({"operand": "PipelineName", "operator": "Equals", "values": [pipeline]}));
    }
    if let Some(status) = status {
        filters.push(json!({"operand": "Status", "operator": "Equals", "values": [status]}));
    }
    let items = query_all(client, &path, window(days), filters, "RunStart").await?;
    Ok(items.into_iter().map(PipelineRun::from_json).collect())
}

/// The names of the pipelines with a run since the first of this month (UTC): ADF bills no
/// inactive-pipeline charge for a pipeline that ran in the month, whatever the run's outcome.
pub async fn pipelines_run_this_month(
    client: &ArmClient,
    target: &FactoryTarget,
) -> Result<std::collections::BTreeSet<String>, ArmError> {
    let now = OffsetDateTime::now_utc();
    let month_start = now
        .replace_day(1)
        .unwrap_or(now)
        .replace_time(time::Time::MIDNIGHT);
    let format = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let path = format!("{}/queryPipelineRuns", target.factory_path());
    let range = (format(month_start), format(now + time::Duration::days(1)));
    let items = query_all(client, &path, range, Vec::new(), "RunStart").await?;
    Ok(items
        .into_iter()
        .map(|item| PipelineRun::from_json(item).pipeline_name)
        .collect())
}

fn window(days: i64) -> (String, String) {
    let now = OffsetDateTime::now_utc();
    let format = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    (
        format(now - time::Duration::days(days)),
        format(now + time::Duration::days(1)),
    )
}

async fn query_all(
    client: &ArmClient,
    path: &str,
    (after, before): (String, String),
    filters: Vec<Value>,
    order_by: &str,
) -> Result<Vec<Value>, ArmError> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    // A bound on pages, so that a server repeating its token cannot loop us forever.
    for _ in 0..10_000 {
        let mut body = json!({
            "lastUpdatedAfter": after,
            "lastUpdatedBefore": before,
            "orderBy": [{"orderBy": order_by, "order": "DESC"}],
        });
        if !filters.is_empty() {
            body["filters"] = Value::Array(filters.clone());
        }
        if let Some(token) = &token {
            body["continuationToken"] = Value::String(token.clone());
        }
        let response = client
            .post(path, ADF_API_VERSION, Some(&body), Idempotency::Idempotent)
            .await?;
        if let Some(Value::Array(page)) = response.body.get("value") {
            items.extend(page.iter().cloned());
        }
        match response
            .body
            .get("continuationToken")
            .and_then(Value::as_str)
        {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned())
            }
            _ => return Ok(items),
        }
    }
    Ok(items)
}
