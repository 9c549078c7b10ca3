//! A fixed evaluation context for the tests: a pipeline run inside a ForEach iteration.

#![allow(dead_code)]

use adf_expr::{Bindings, ExprError, evaluate, parse};
use serde_json::{Value, json};
use time::macros::datetime;

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("fixture must be an object"),
    }
}

pub fn bindings() -> Bindings {
    let mut b = Bindings::new(datetime!(2026-11-28 07:31:00.1234567 UTC));
    b.pipeline_parameters = object(json!({
        "name": "sales",
        "count": 3,
        "ratio": 2.5,
        "flag": true,
        "files": ["a.csv", "b.csv"],
        "config": {"folder": "in", "nested": {"x": [1, 2, {"deep": "yes"}]}},
        "My Param": "spaced",
        "emptyText": "",
        "nothing": null,
        "key": "folder"
    }));
    b.global_parameters = object(json!({"env": "dev", "GP-Int": 2000000}));
    b.system = object(json!({
        "RunId": "run-1",
        "Pipeline": "copyPipeline",
        "DataFactory": "factory1",
        "TriggerType": "Manual",
        "TriggerId": "trigger-id",
        "TriggerName": "manual",
        "TriggerTime": "2026-11-28T07:30:00.5Z",
        "GroupId": "group-1"
    }));
    b.variables = object(json!({"counter": 5, "list": ["x"], "message": "hello"}));
    b.activities = object(json!({
        "Copy data": {
            "status": "Succeeded",
            "output": {"dataRead": 1024, "filesRead": 1, "rows": [{"id": 1}, {"id": 2}]}
        },
        "Lookup": {"status": "Succeeded", "output": {"firstRow": {"col": "v"}, "count": 0}},
        "Failing": {"status": "Failed", "error": {"message": "boom", "errorCode": "2200"}}
    }));
    b.dataset_parameters = object(json!({"path": "container/dir"}));
    b.linked_service_parameters = object(json!({"account": "acct"}));
    b.trigger = object(
        json!({"scheduledTime": "2026-11-28T07:00:00Z", "outputs": {"windowStartTime": "2026-11-28T06:00:00Z"}}),
    );
    b.item = Some(json!({"name": "f1.csv", "size": 10}));
    b
}

/// Parses and evaluates `text` against the fixture.
pub fn eval(text: &str) -> Result<Value, ExprError> {
    let template = parse(text)?;
    evaluate(&template, &bindings())
}

/// Asserts that `text` evaluates to `expected`.
#[track_caller]
pub fn check(text: &str, expected: Value) {
    match eval(text) {
        Ok(actual) => assert_eq!(actual, expected, "{text}"),
        Err(error) => panic!("{text}: unexpected error: {error}"),
    }
}

/// The error `text` produces, as `Display` renders it.
#[track_caller]
pub fn error(text: &str) -> String {
    match eval(text) {
        Ok(value) => panic!("{text}: expected an error, got {value}"),
        Err(error) => error.to_string(),
    }
}
