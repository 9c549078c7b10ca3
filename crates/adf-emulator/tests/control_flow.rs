//! Control flow through the run engine (router, no socket): Switch, and the control-flow cases
//! of microsoft/data-factory-testing-framework (the "framework") ported as runs.
//!
//! Ported from https://github.com/microsoft/data-factory-testing-framework, commit d72a73c,
//! MIT License, Copyright (c) Microsoft Corporation: `tests/functional/switch_activity_pipeline`
//! (pipeline `switchtest`), `tests/functional/filter_activity_pipeline`,
//! `tests/functional/append_variable_pipeline`, `tests/functional/variables_default_value`,
//! and `tests/unit/models/activities/` (control_activities/test_switch_activity.py,
//! test_if_condition_activity.py, test_for_each_activity.py, test_until_activity.py,
//! test_filter_activity.py; test_set_variable_activity.py, test_append_variable_activity.py,
//! test_fail_activity.py). The framework evaluates control activities without running them;
//! here the same pipelines run, and the assertions read the activity runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::{Value, json};

use common::running::{Running, named, one, set};

/// The framework's `switchtest` pipeline (tests/functional/switch_activity_pipeline).
fn switch_test() -> Value {
    json!({
        "activities": [{
            "name": "Switch1", "type": "Switch", "dependsOn": [], "userProperties": [],
            "typeProperties": {
                "on": {"value": "@pipeline().parameters.current_value", "type": "Expression"},
                "cases": [
                    {"value": "case_1", "activities": [set("Set variable2", "case_hit", json!("case_1_hit"))]},
                    {"value": "case_2", "activities": [set("Set variable3", "case_hit", json!("case_2_hit"))]}
                ],
                "defaultActivities": [set("Set variable1", "case_hit", json!("default_hit"))]
            }
        }],
        "parameters": {"current_value": {"type": "string", "defaultValue": "case_1"}},
        "variables": {"case_hit": {"type": "String"}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_runs_the_matching_case_or_the_default() {
    let r = Running::new("flowdf").await;
    r.put("pipelines", "switchtest", switch_test()).await;
    for (on, expected, activity) in [
        ("case_1", "case_1_hit", "Set variable2"),
        ("case_2", "case_2_hit", "Set variable3"),
        ("case_3", "default_hit", "Set variable1"),
        ("case_4", "default_hit", "Set variable1"),
        ("case_anything", "default_hit", "Set variable1"),
        // Cases compare case-sensitively.
        ("CASE_1", "default_hit", "Set variable1"),
    ] {
        let (run, activities) = r.run("switchtest", json!({"current_value": on})).await;
        assert_eq!(run["status"], "Succeeded", "{on}: {run:#}");
        assert_eq!(activities.len(), 2, "{on}: {activities:#?}");
        assert_eq!(
            one(&activities, activity)["output"]["value"],
            expected,
            "{on}"
        );
        assert_eq!(one(&activities, "Switch1")["output"], json!({}));
    }
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_failures_propagate_like_if_condition() {
    let r = Running::new("flowdf").await;
    // A failure inside the chosen case fails the Switch as an IfCondition fails.
    r.put("pipelines", 
        "inner",
        json!({"activities": [
            {"name": "route", "type": "Switch", "typeProperties": {
                "on": "@pipeline().parameters.kind",
                "cases": [{"value": "bad", "activities": [
                    {"name": "boom", "type": "Fail", "typeProperties": {"message": "no good", "errorCode": "500"}}]}],
                "defaultActivities": []}},
            {"name": "handled", "type": "SetVariable", "dependsOn": [{"activity": "route", "dependencyConditions": ["Failed"]}],
             "typeProperties": {"variableName": "v", "value": "@activity('route').error.message"}}
        ],
        "parameters": {"kind": {"type": "String"}},
        "variables": {"v": {"type": "String"}}}),
    )
    .await;
    let (run, activities) = r.run("inner", json!({"kind": "bad"})).await;
    assert_eq!(run["status"], "Succeeded", "handled: {run:#}");
    let route = one(&activities, "route");
    assert_eq!(route["status"], "Failed");
    assert_eq!(route["error"]["errorCode"], "ActivityFailed");
    assert_eq!(
        one(&activities, "handled")["output"]["value"],
        "Activity failed because an inner activity failed; Inner activity name: boom, Error: no good"
    );
    // No case and no default: nothing runs, the Switch succeeds.
    let (run, activities) = r.run("inner", json!({"kind": "other"})).await;
    assert_eq!(run["status"], "Succeeded");
    assert_eq!(activities.len(), 1, "{activities:#?}");

    // `on` must be a string (framework: test_evaluated_raises_error_when_evaluated_value_is_not_a_str).
    r.put(
        "pipelines",
        "typed",
        json!({"activities": [{"name": "route", "type": "Switch", "typeProperties": {
            "on": "@pipeline().parameters.value", "cases": [], "defaultActivities": []}}],
            "parameters": {"value": {"type": "Object"}}}),
    )
    .await;
    for value in [json!(1), json!(1.1), json!(true), json!({}), json!([])] {
        let (run, activities) = r.run("typed", json!({"value": value})).await;
        assert_eq!(run["status"], "Failed", "{value}");
        assert_eq!(
            one(&activities, "route")["error"]["message"],
            "The Switch expression must evaluate to a string."
        );
    }
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_control_activity_cases() {
    let r = Running::new("flowdf").await;
    // IfCondition: the branch taken (test_if_condition_activity), and a non-Boolean fails.
    r.put("pipelines", 
        "branch",
        json!({"activities": [{"name": "IfConditionActivity", "type": "IfCondition", "typeProperties": {
            "expression": {"value": "@pipeline().parameters.condition", "type": "Expression"},
            "ifTrueActivities": [set("setVariableActivity1", "variable", json!("dummy"))],
            "ifFalseActivities": [set("setVariableActivity2", "variable", json!("dummy"))]}}],
            "parameters": {"condition": {"type": "Object"}},
            "variables": {"variable": {"type": "String", "defaultValue": ""}}}),
    )
    .await;
    for (condition, expected) in [
        (true, "setVariableActivity1"),
        (false, "setVariableActivity2"),
    ] {
        let (run, activities) = r.run("branch", json!({"condition": condition})).await;
        assert_eq!(run["status"], "Succeeded");
        assert_eq!(activities.len(), 2);
        one(&activities, expected);
    }
    for value in [
        json!(1),
        json!(1.1),
        json!("string-value"),
        json!({}),
        json!([]),
    ] {
        let (run, _) = r.run("branch", json!({"condition": value})).await;
        assert_eq!(run["status"], "Failed", "{value}");
    }

    // ForEach: the body once per item, item() evaluated (test_for_each_activity); a
    // non-array fails.
    r.put("pipelines", 
        "loop",
        json!({"activities": [{"name": "ForEachActivity", "type": "ForEach", "typeProperties": {
            "items": {"value": "@pipeline().parameters.items", "type": "Expression"}, "isSequential": true,
            "activities": [set("setVariable", "variable", json!("@item()"))]}}],
            "parameters": {"items": {"type": "Object"}},
            "variables": {"variable": {"type": "String"}}}),
    )
    .await;
    let (run, activities) = r.run("loop", json!({"items": ["a", "b", "c"]})).await;
    assert_eq!(run["status"], "Succeeded");
    let mut values: Vec<String> = named(&activities, "setVariable")
        .iter()
        .map(|a| a["output"]["value"].as_str().unwrap().to_owned())
        .collect();
    values.sort();
    assert_eq!(values, ["a", "b", "c"]);
    for value in [
        json!(1),
        json!(1.1),
        json!("string-value"),
        json!({}),
        json!(true),
    ] {
        let (run, _) = r.run("loop", json!({"items": value})).await;
        assert_eq!(run["status"], "Failed", "{value}");
    }

    // Until: repeats its body until the expression holds (test_until_activity); a
    // non-Boolean expression fails.
    r.put("pipelines", 
        "repeat",
        json!({"activities": [{"name": "UntilActivity", "type": "Until", "typeProperties": {
            "expression": {"value": "@if(equals(pipeline().parameters.stop, 'never'), greaterOrEquals(length(variables('list')), 2), pipeline().parameters.stop)", "type": "Expression"},
            "timeout": "0.00:01:00",
            "activities": [{"name": "grow", "type": "AppendVariable", "typeProperties": {"variableName": "list", "value": "1"}}]}}],
            "parameters": {"stop": {"type": "Object", "defaultValue": "never"}},
            "variables": {"list": {"type": "Array"}}}),
    )
    .await;
    let (run, activities) = r.run("repeat", json!({})).await;
    assert_eq!(run["status"], "Succeeded");
    assert_eq!(named(&activities, "grow").len(), 2);
    assert_eq!(one(&activities, "UntilActivity")["output"]["iterations"], 2);
    for value in [
        json!(1),
        json!(1.1),
        json!("string-value"),
        json!({}),
        json!([]),
    ] {
        let (run, _) = r.run("repeat", json!({"stop": value})).await;
        assert_eq!(run["status"], "Failed", "{value}");
    }

    // Filter: items <= 3 (test_filter_activity and the functional filter-test pipeline).
    r.put("pipelines", 
        "filter-test",
        json!({"activities": [
            {"name": "FilterActivity", "type": "Filter", "typeProperties": {
                "items": {"value": "@pipeline().parameters.input_values", "type": "Expression"},
                "condition": {"value": "@lessOrEquals(item(), 3)", "type": "Expression"}}},
            {"name": "Set variable", "type": "SetVariable", "dependsOn": [{"activity": "FilterActivity", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"variableName": "filtered_values", "value": "@activity('FilterActivity').output.value"}}],
            "parameters": {"input_values": {"type": "Array", "defaultValue": []}},
            "variables": {"filtered_values": {"type": "Array"}}}),
    )
    .await;
    for (input, expected) in [
        (json!([1, 2, 3, 4, 5]), json!([1, 2, 3])),
        (json!([]), json!([])),
        (json!([4]), json!([])),
        (json!([3, 4, 5, 6]), json!([3])),
        (json!([4, 5, 6]), json!([])),
        (json!([-1, 3, 4]), json!([-1, 3])),
    ] {
        let (run, activities) = r.run("filter-test", json!({"input_values": input})).await;
        assert_eq!(run["status"], "Succeeded", "{input}");
        assert_eq!(
            one(&activities, "FilterActivity")["output"]["Value"],
            expected
        );
        assert_eq!(
            one(&activities, "Set variable")["output"]["value"],
            expected
        );
    }
    for value in [
        json!(1),
        json!(1.1),
        json!("string-value"),
        json!({}),
        json!(true),
    ] {
        let (run, _) = r.run("filter-test", json!({"input_values": value})).await;
        assert_eq!(run["status"], "Failed", "{value}");
    }
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_variable_and_fail_cases() {
    let r = Running::new("flowdf").await;
    // AppendVariable (the functional append-variable-test pipeline): the initial array, then
    // the appended value, typed as given.
    r.put("pipelines", 
        "append-variable-test",
        json!({"activities": [
            {"name": "Set variable", "type": "SetVariable", "typeProperties": {
                "variableName": "values", "value": "@pipeline().parameters.initial_value"}},
            {"name": "Append variable", "type": "AppendVariable", "dependsOn": [{"activity": "Set variable", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"variableName": "values", "value": "@pipeline().parameters.appended_value"}},
            {"name": "Read", "type": "SetVariable", "dependsOn": [{"activity": "Append variable", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"variableName": "copy", "value": "@variables('values')"}}],
            "parameters": {"initial_value": {"type": "Array"}, "appended_value": {"type": "Int"}},
            "variables": {"values": {"type": "Array"}, "copy": {"type": "Array"}}}),
    )
    .await;
    for (initial, appended, expected) in [
        (json!([1, 2]), 3, json!([1, 2, 3])),
        (json!([]), 1, json!([1])),
        (json!([4]), 5, json!([4, 5])),
    ] {
        let (run, activities) = r
            .run(
                "append-variable-test",
                json!({"initial_value": initial, "appended_value": appended}),
            )
            .await;
        assert_eq!(run["status"], "Succeeded");
        assert_eq!(one(&activities, "Set variable")["output"]["value"], initial);
        assert_eq!(one(&activities, "Read")["output"]["value"], expected);
    }

    // SetVariable and AppendVariable of a variable the pipeline does not declare fail
    // (framework: "Variable being evaluated does not exist: TestVariable").
    r.put("pipelines", 
        "undeclared",
        json!({"activities": [
            set("SetVariableActivity", "TestVariable", json!("TestValue")),
            {"name": "AppendVariableActivity", "type": "AppendVariable", "typeProperties": {"variableName": "TestVariable", "value": "TestValue"}}]}),
    )
    .await;
    let (run, activities) = r.run("undeclared", json!({})).await;
    assert_eq!(run["status"], "Failed");
    for name in ["SetVariableActivity", "AppendVariableActivity"] {
        assert_eq!(
            one(&activities, name)["error"]["message"],
            "The variable 'TestVariable' is not declared by the pipeline."
        );
    }

    // Variables without a default start as their type's empty value
    // (tests/functional/variables_default_value, pipeline default_variables).
    r.put("pipelines", 
        "default_variables",
        json!({"activities": [
            set("Set outputStringVar", "out", json!("@if(equals(variables('stringVar'), null), 'is null', concat('is not null: ', variables('stringVar')))")),
            set("Set outputIntVar", "out", json!("@if(equals(variables('intVar'), null), 'is null', concat('is not null: ', variables('intVar')))")),
            set("Set outputBoolVar", "out", json!("@if(equals(variables('boolVar'), null), 'is null', concat('is not null: ', variables('boolVar')))")),
            set("Set outputArrayVar", "out", json!("@if(equals(variables('arrayVar'), null), 'is null', concat('is not null: ', string(variables('arrayVar'))))"))],
            "variables": {"stringVar": {"type": "String"}, "intVar": {"type": "Integer"},
                          "boolVar": {"type": "Boolean"}, "arrayVar": {"type": "Array"}, "out": {"type": "String"}}}),
    )
    .await;
    let (run, activities) = r.run("default_variables", json!({})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    for (name, expected) in [
        ("Set outputStringVar", "is not null: "),
        ("Set outputIntVar", "is not null: 0"),
        ("Set outputBoolVar", "is not null: False"),
        ("Set outputArrayVar", "is not null: []"),
    ] {
        assert_eq!(
            one(&activities, name)["output"]["value"],
            expected,
            "{name}"
        );
    }

    // Fail: the evaluated message and the error code (test_fail_activity).
    r.put(
        "pipelines",
        "failing",
        json!({"activities": [{"name": "FailActivity", "type": "Fail", "typeProperties": {
            "message": "@concat('Error code: ', '500')", "errorCode": "500"}}]}),
    )
    .await;
    let (run, activities) = r.run("failing", json!({})).await;
    assert_eq!(run["status"], "Failed");
    assert_eq!(
        run["message"],
        "Operation on target FailActivity failed: Error code: 500"
    );
    let fail = one(&activities, "FailActivity");
    assert_eq!(fail["error"]["errorCode"], "500");
    assert_eq!(fail["error"]["message"], "Error code: 500");
    r.stop().await;
}
