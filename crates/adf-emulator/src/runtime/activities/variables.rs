//! Variable activities: SetVariable and AppendVariable.

use super::{evaluated, property};
use crate::runtime::context::{ActivityError, Run, lock};
use serde_json::{Value, json};
use std::sync::Arc;

/// SetVariable: sets a pipeline variable (not a pipeline return value).
pub(super) async fn set_variable(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
    if property(activity, "setSystemVariable").and_then(Value::as_bool) == Some(true) {
        return Err(ActivityError::user(
            "NotSupportedByEmulator",
            "not supported by the emulator: SetVariable of a pipeline return value",
        ));
    }
    let (variable, value) = name_and_value(&evaluated)?;
    let mut variables = lock(&run.variables);
    let variable = declared(&variables, &variable)?;
    variables.insert(variable.clone(), value.clone());
    Ok(json!({"name": variable, "value": value}))
}

/// AppendVariable: appends to an Array variable.
pub(super) async fn append_variable(
    run: Arc<Run>,
    activity: &Value,
    item: Option<&Value>,
) -> Result<Value, ActivityError> {
    let evaluated = |key: &str| evaluated(&run, activity, key, item);
    let (variable, value) = name_and_value(&evaluated)?;
    let mut variables = lock(&run.variables);
    let variable = declared(&variables, &variable)?;
    let variable = variable.as_str();
    match variables.get_mut(variable) {
        Some(Value::Array(items)) => items.push(value),
        None | Some(Value::Null) => {
            variables.insert(variable.to_owned(), json!([value]));
        }
        Some(_) => {
            return Err(ActivityError::user(
                "InvalidVariableType",
                format!("The variable '{variable}' is not an Array; AppendVariable needs one."),
            ));
        }
    }
    Ok(json!({}))
}

/// The declared variable `name` (its declared spelling; names match ignoring case as
/// `variables()` does). A variable the pipeline does not declare fails the activity, as it
/// does in data-factory-testing-framework ("Variable being evaluated does not exist"); ADF
/// refuses such a pipeline when it is published.
fn declared(
    variables: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<String, ActivityError> {
    if variables.contains_key(name) {
        return Ok(name.to_owned());
    }
    variables
        .keys()
        .find(|declared| declared.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(|| {
            ActivityError::user(
                "InvalidVariable",
                format!("The variable '{name}' is not declared by the pipeline."),
            )
        })
}

/// The evaluated `variableName` (required, not empty) and `value` of a variable activity.
fn name_and_value(
    evaluated: &dyn Fn(&str) -> Result<Value, ActivityError>,
) -> Result<(String, Value), ActivityError> {
    let variable = evaluated("variableName")?;
    let value = evaluated("value")?;
    match variable.as_str().filter(|v| !v.is_empty()) {
        Some(name) => Ok((name.to_owned(), value)),
        None => Err(ActivityError::user(
            "BadRequest",
            "variableName is required",
        )),
    }
}
