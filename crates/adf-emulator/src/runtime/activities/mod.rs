//! The activities the engine executes, one module per family: control flow
//! ([`control_flow`]), variables ([`variables`]), ExecutePipeline ([`execute_pipeline`]) and
//! Copy ([`copy`]). Activity types the emulator cannot execute fail with "not supported by the
//! emulator: TYPE"; nothing is ever reported as succeeded without having been done.

mod control_flow;
mod copy;
mod database;
mod delete;
mod execute_pipeline;
mod get_metadata;
mod lookup;
mod script;
mod variables;
mod web;

use crate::runtime::context::{ActivityError, Run};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Executes one activity (one attempt) by its type.
pub(crate) async fn execute(
    run: Arc<Run>,
    activity: &Value,
    activity_type: &str,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    match activity_type {
        "Wait" => control_flow::wait(run, activity, item).await,
        "SetVariable" => variables::set_variable(run, activity, item).await,
        "AppendVariable" => variables::append_variable(run, activity, item).await,
        "IfCondition" => control_flow::if_condition(run, activity, item).await,
        "Switch" => control_flow::switch(run, activity, item).await,
        "WebActivity" => web::web_activity(run, activity, item).await,
        "WebHook" => web::webhook(run, activity, item).await,
        "ForEach" => control_flow::for_each(run, activity, item).await,
        "Until" => control_flow::until(run, activity, item).await,
        "Fail" => control_flow::fail(run, activity, item).await,
        "Filter" => control_flow::filter(run, activity, item).await,
        "ExecutePipeline" => execute_pipeline::execute_pipeline(run, activity, item).await,
        "Copy" => copy::execute(run, activity, item).await,
        "Lookup" => lookup::execute(run, activity, item).await,
        "GetMetadata" => get_metadata::execute(run, activity, item).await,
        "Delete" => delete::execute(run, activity, item).await,
        "Script" => script::execute(run, activity, item).await,
        other => Err(ActivityError::user(
            "NotSupportedByEmulator",
            format!("not supported by the emulator: {other}"),
        )),
    }
}

/// A type property, its expressions evaluated (`null` when absent).
fn evaluated(
    run: &Run,
    activity: &Value,
    key: &str,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    match property(activity, key) {
        Some(value) => run.eval(value, item),
        None => Ok(Value::Null),
    }
}

pub(crate) fn property<'a>(activity: &'a Value, key: &str) -> Option<&'a Value> {
    activity.get("typeProperties").and_then(|p| p.get(key))
}

fn activities_at(activity: &Value, key: &str) -> Vec<Value> {
    property(activity, key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

pub(crate) fn name_of(activity: &Value) -> String {
    activity
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn number_of(value: Option<&Value>) -> Option<f64> {
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

pub(crate) fn humanize(duration: Duration) -> String {
    format!("{}s", duration.as_secs())
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
}
