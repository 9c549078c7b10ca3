//! Control-flow activities: Wait, IfCondition, Switch, ForEach, Until, Filter and Fail. The ones with
//! inner activities run them as blocks through the engine ([`Run::run_block`]).

use super::{activities_at, evaluated, humanize, number_of, parse_timespan, property};
use crate::runtime::context::{ActivityError, Outcome, Run};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Upper bound of ForEach's batchCount, as in ADF.
const MAX_BATCH: usize = 50;
/// ADF's default Until timeout (7 days).
const DEFAULT_UNTIL_TIMEOUT: Duration = Duration::from_secs(7 * 86_400);

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

/// Wait: sleeps `waitTimeInSeconds`.
pub(super) async fn wait(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
    let seconds = number_of(Some(&evaluated("waitTimeInSeconds")?))
        .ok_or_else(|| ActivityError::user("BadRequest", "waitTimeInSeconds must be a number"))?;
    tokio::time::sleep(Duration::from_secs_f64(seconds.max(0.0))).await;
    Ok(json!({}))
}

/// IfCondition: runs one of its two branches.
pub(super) async fn if_condition(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
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
    let outcome = run
        .run_block(activities_at(activity, branch), item.cloned())
        .await;
    if outcome.failure.is_some() {
        return Err(inner_failure(&outcome));
    }
    Ok(json!({"ifExpressionResult": condition}))
}

/// Switch: runs the activities of the case whose `value` equals the evaluated `on` expression,
/// else `defaultActivities`.
///
/// ADF's JSON names the expression `on` (the docs' page shows `expression`; the REST API, ADF
/// Studio's JSON and every public factory use `on`, so both are read). It "must evaluate to a
/// string" (learn.microsoft.com/azure/data-factory/control-flow-switch-activity); a value of
/// another type fails the activity, as data-factory-testing-framework's SwitchActivity does.
/// Cases compare as strings, ordinally and case-sensitively (no source says otherwise; the
/// framework compares with `==`); the first matching case runs. A failure inside fails the
/// Switch the way it fails an IfCondition. Output: `{}` (UNVERIFIED: no recorded run shows
/// what ADF reports for a Switch).
pub(super) async fn switch(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let key = if property(activity, "on").is_some() {
        "on"
    } else {
        "expression"
    };
    let on = evaluated(&run, activity, key, item)?;
    let Some(on) = on.as_str() else {
        return Err(ActivityError::user(
            "InvalidTemplate",
            "The Switch expression must evaluate to a string.",
        ));
    };
    let cases = property(activity, "cases")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let chosen = cases
        .iter()
        .find(|case| case.get("value").and_then(Value::as_str) == Some(on))
        .map(|case| {
            case.get("activities")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .unwrap_or_else(|| activities_at(activity, "defaultActivities"));
    let outcome = run.run_block(chosen, item.cloned()).await;
    if outcome.failure.is_some() {
        return Err(inner_failure(&outcome));
    }
    Ok(json!({}))
}

/// ForEach: runs its body once per item, `batchCount` at a time (one at a time when sequential); the first failing iteration (by index) fails it.
pub(super) async fn for_each(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
    let items = items_of(evaluated("items")?, "ForEach")?;
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
        let permit = semaphore
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ActivityError::system("InternalError", "ForEach batch closed"))?;
        let run = run.clone();
        let body = body.clone();
        iterations.spawn(async move {
            let outcome = run.run_block(body, Some(element)).await;
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

/// Until: runs its body until the expression holds, or its timeout.
pub(super) async fn until(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
    let timeout = property(activity, "timeout")
        .and_then(Value::as_str)
        .and_then(parse_timespan)
        .unwrap_or(DEFAULT_UNTIL_TIMEOUT);
    let body = activities_at(activity, "activities");
    let deadline = tokio::time::Instant::now() + timeout;
    let mut iterations = 0u64;
    loop {
        let outcome = run.run_block(body.clone(), item.cloned()).await;
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

/// Fail: fails with the given message and code.
pub(super) async fn fail(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
    let message = evaluated("message")?;
    let code = evaluated("errorCode")?;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Err(ActivityError::user(text(&code), text(&message)))
}

/// Filter: keeps the items for which the condition holds.
pub(super) async fn filter(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
    let items = items_of(evaluated("items")?, "Filter")?;
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

/// The evaluated `items` of a ForEach or a Filter (`activity_type`), which must be an array.
fn items_of(items: Value, activity_type: &str) -> Result<Vec<Value>, ActivityError> {
    match items {
        Value::Array(items) => Ok(items),
        _ => Err(ActivityError::user(
            "InvalidTemplate",
            format!("The {activity_type} items expression must evaluate to an array."),
        )),
    }
}
