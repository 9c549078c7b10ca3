//! The public entry points as the emulator and the validator use them.
#![allow(clippy::unwrap_used)] // tests: a panic is a failure with its message

mod common;

use adf_expr::{
    Bindings, Context, ErrorKind, FUNCTIONS, Reference, Scope, evaluate, evaluate_value,
    is_expression, lookup_function, parse,
};
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

#[test]
fn evaluate_value_walks_activity_type_properties() {
    let type_properties = json!({
        "source": {"type": "BinarySource", "recursive": true},
        "sink": {"type": "BinarySink"},
        "folderPath": "@pipeline().parameters.config.folder",
        "fileName": {"value": "@concat(item().name, '.bak')", "type": "Expression"},
        "query": "select * from t where run = '@{pipeline().RunId}'",
        "literal": "@@keep",
        "count": "@pipeline().parameters.count",
        "list": ["@variables('message')", 1, null, "plain"],
        "password": {"type": "SecureString", "value": "@notAnExpression"}
    });
    let evaluated = evaluate_value(&type_properties, &common::bindings()).unwrap();
    assert_eq!(
        evaluated,
        json!({
            "source": {"type": "BinarySource", "recursive": true},
            "sink": {"type": "BinarySink"},
            "folderPath": "in",
            "fileName": "f1.csv.bak",
            "query": "select * from t where run = 'run-1'",
            "literal": "@keep",
            "count": 3,
            "list": ["hello", 1, null, "plain"],
            "password": {"type": "SecureString", "value": "@notAnExpression"}
        })
    );
}

#[test]
fn evaluate_value_errors_carry_the_json_pointer() {
    let document =
        json!({"sink": {"paths": ["ok", "@pipeline().parameters.nope"]}, "a/b": {"c~d": "@x("}});
    let error = evaluate_value(
        &json!({"sink": document["sink"].clone()}),
        &common::bindings(),
    )
    .unwrap_err();
    assert_eq!(error.path, "/sink/paths/1");
    assert_eq!(error.kind, ErrorKind::Evaluation);
    assert!(
        error
            .to_string()
            .starts_with("/sink/paths/1: in \"@pipeline().parameters.nope\""),
        "{error}"
    );
    let error = evaluate_value(
        &json!({"a/b": document["a/b"].clone()}),
        &common::bindings(),
    )
    .unwrap_err();
    assert_eq!(error.path, "/a~1b/c~0d");
    assert_eq!(error.kind, ErrorKind::Syntax);
}

#[test]
fn is_expression_distinguishes_expressions_from_literals() {
    for value in [
        json!("@pipeline().RunId"),
        json!("a @{item()} b"),
        json!("@{item()}"),
        json!("@concat("),
        json!({"value": "@item()", "type": "Expression"}),
    ] {
        assert!(is_expression(&value), "{value}");
    }
    for value in [
        json!("plain"),
        json!("@@escaped"),
        json!("mail@example.com"),
        json!("a @@{not} b"),
        json!(42),
        json!(null),
        json!({"value": "x", "type": "SecureString"}),
        json!({"value": "@x()", "type": "Expression", "extra": 1}),
    ] {
        assert!(!is_expression(&value), "{value}");
    }
}

#[test]
fn template_reports_its_shape_and_references() {
    let template = parse(
        "@concat(pipeline().parameters.a, pipeline().globalParameters['b'], variables('v'), activity('Copy').output.x, item(), dataset().d, linkedService().l, pipeline().RunId, variables(pipeline().parameters.a))",
    )
    .unwrap();
    assert!(template.is_single_expression());
    assert!(!template.is_literal());
    assert_eq!(
        template.references(),
        vec![
            Reference::PipelineParameter("a".into()),
            Reference::GlobalParameter("b".into()),
            Reference::Variable("v".into()),
            Reference::Activity("Copy".into()),
            Reference::DatasetParameter("d".into()),
            Reference::LinkedServiceParameter("l".into()),
            Reference::Item,
        ]
    );
    let interpolation = parse("x/@{variables('v')}/@{variables('v')}").unwrap();
    assert!(!interpolation.is_single_expression());
    assert_eq!(
        interpolation.references(),
        vec![Reference::Variable("v".into())]
    );
    assert_eq!(
        interpolation.source(),
        "x/@{variables('v')}/@{variables('v')}"
    );
    assert!(parse("@@x").unwrap().is_literal());
    assert!(parse("text").unwrap().references().is_empty());
}

#[test]
fn function_table_is_consistent() {
    for function in FUNCTIONS {
        assert!(
            function.max.is_none_or(|max| max >= function.min),
            "{}",
            function.name
        );
        let found = lookup_function(&function.name.to_uppercase()).unwrap();
        assert_eq!(
            found.name, function.name,
            "names must be unique ignoring case"
        );
        assert!(
            function.usage.starts_with(function.name),
            "{}",
            function.name
        );
    }
    // Every function in issue 5's list runs in the emulator.
    for name in [
        "concat",
        "equals",
        "if",
        "and",
        "or",
        "not",
        "greater",
        "less",
        "add",
        "sub",
        "mul",
        "div",
        "length",
        "createArray",
        "utcnow",
        "formatDateTime",
        "toLower",
        "toUpper",
        "replace",
        "split",
        "json",
        "string",
        "int",
        "bool",
        "coalesce",
        "empty",
        "contains",
    ] {
        assert!(
            lookup_function(name).is_some_and(|f| f.is_supported()),
            "{name}"
        );
    }
}

/// A context implemented directly (as the emulator may, over its run state), with a
/// caller-chosen clock and GUID source.
struct RunState {
    started: OffsetDateTime,
}

impl Context for RunState {
    fn lookup(&self, scope: Scope, name: &str) -> Option<Value> {
        match (scope, name) {
            (Scope::PipelineParameter, "p") => Some(json!("value")),
            (Scope::System, "RunId") => Some(json!("abc")),
            _ => None,
        }
    }

    fn names(&self, scope: Scope) -> Vec<String> {
        match scope {
            Scope::PipelineParameter => vec!["p".into()],
            Scope::System => vec!["RunId".into()],
            _ => Vec::new(),
        }
    }

    fn item(&self) -> Option<Value> {
        None
    }

    fn now(&self) -> OffsetDateTime {
        self.started
    }

    fn new_guid(&self) -> String {
        "C2ECC88D88C84096912CD6F2E2B138CE".into()
    }
}

#[test]
fn a_custom_context_works() {
    let state = RunState {
        started: datetime!(2018-04-15 13:00:00 UTC),
    };
    let eval = |text: &str| evaluate(&parse(text).unwrap(), &state);
    assert_eq!(
        eval("@utcNow()").unwrap(),
        json!("2018-04-15T13:00:00.0000000Z")
    );
    assert_eq!(
        eval("@utcNow('D')").unwrap(),
        json!("Sunday, April 15, 2018")
    );
    assert_eq!(
        eval("@guid()").unwrap(),
        json!("c2ecc88d-88c8-4096-912c-d6f2e2b138ce")
    );
    assert_eq!(
        eval("@pipeline()").unwrap(),
        json!({"RunId": "abc", "parameters": {"p": "value"}, "globalParameters": {}})
    );
    assert_eq!(
        eval("@string(pipeline().parameters)").unwrap(),
        json!("{\"p\":\"value\"}")
    );
    let error = eval("@item()").unwrap_err();
    assert!(
        error.to_string().contains("item() has no value here"),
        "{error}"
    );
    let error = eval("@variables('x')").unwrap_err();
    assert!(
        error.to_string().contains("declares no variables"),
        "{error}"
    );
}

#[test]
fn bindings_guid_source_and_item() {
    let bindings =
        Bindings::new(datetime!(2026-01-01 00:00 UTC)).with_guid_source(Arc::new(|| {
            "11111111-2222-3333-4444-555555555555".to_string()
        }));
    let iteration = bindings.with_item(json!(7));
    assert_eq!(
        evaluate(&parse("@guid()").unwrap(), &iteration).unwrap(),
        json!("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(
        evaluate(&parse("@add(item(), 1)").unwrap(), &iteration).unwrap(),
        json!(8)
    );
    assert!(evaluate(&parse("@item()").unwrap(), &bindings).is_err());
}
