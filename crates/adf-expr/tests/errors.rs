//! What users read when an expression is wrong: syntax errors (the validator reports these)
//! and evaluation errors (an emulated activity fails with these). Snapshotted with insta.
#![allow(clippy::unwrap_used)] // tests: a panic is a failure with its message

mod common;

use adf_expr::{ErrorKind, check_syntax};
use common::eval;

fn render(cases: &[&str]) -> String {
    let mut out = String::new();
    for text in cases {
        match eval(text) {
            Ok(value) => panic!("{text}: expected an error, got {value}"),
            Err(error) => {
                let kind = match error.kind {
                    ErrorKind::Syntax => "syntax",
                    ErrorKind::Evaluation => "evaluation",
                };
                out.push_str(&format!("{kind}: {error}\n{}\n\n", error.pointer()));
            }
        }
    }
    out
}

#[test]
fn syntax_errors() {
    insta::assert_snapshot!(render(&[
        "@concat('a', )",
        "@concat('a' 'b')",
        "@concat('a'",
        "@concat('it's')",
        "@concatt('a', 'b')",
        "@utcnw()",
        "@toUpper()",
        "@equals(1, 2, 3)",
        "@substring('abc')",
        "@pipeline.parameters.x",
        "@pipeline().parameters.",
        "@pipeline().parameters.x extra",
        "@concat(\"a\", 'b')",
        "@concat(@pipeline().RunId)",
        "@",
        "out/@{pipeline().RunId",
        "out/@{}",
        "out/@{item() item()}",
        "@item()[0",
        "@item()?name",
        "@hello",
        "@1.",
        "@99999999999999999999",
        "@12abc",
        "@'unterminated",
        "@concat('a', 'b'))",
    ]));
}

#[test]
fn evaluation_errors() {
    insta::assert_snapshot!(render(&[
        "@pipeline().parameters.nam",
        "@pipeline().parameters.missing",
        "@activity('Copy data').output.filesWritten",
        "@activity('Copy dat').output",
        "@variables('countr')",
        "@item().name.first",
        "@pipeline().parameters.files[2]",
        "@pipeline().parameters.files.name",
        "@pipeline().parameters.nothing.x",
        "@length(1)",
        "@length(pipeline().parameters.config)",
        "@add('1', 2)",
        "@div(1, 0)",
        "@add(9223372036854775807, 1)",
        "@int('ten')",
        "@if('yes', 1, 2)",
        "@and(true, 'false')",
        "@greater('a', 1)",
        "@substring('hello', 3, 5)",
        "@json('{not json}')",
        "@formatDateTime('yesterday')",
        "@formatDateTime('2018-03-15T13:00:00Z', 'Q')",
        "@addToTime('2018-03-15T13:00:00Z', 1, 'Fortnight')",
        "@union(createArray(1), json('{}'))",
        "@range(0, 1000000)",
        "@xpath(xml('<a/>'), '/a[')",
        "@xml('<a>')",
        "@convertFromUtc(utcNow(), 'Pacific Standard Tme')",
        "@convertFromUtc(utcNow(), 'Israel Standard Time')",
        "@convertToUtc('2018-03-11 02:30:00', 'Pacific Standard Time')",
        "@rand(5, 5)",
        "@base64ToString('***')",
        "@replace('abc', '', 'x')",
        "@guid('Y')",
        "@trigger().outputs.windowEndTime",
    ]));
}

#[test]
fn syntax_check_does_not_evaluate() {
    // Valid syntax with names the validator cannot know about passes the syntax check.
    for text in [
        "@pipeline().parameters.anything",
        "@activity('Not Yet Run').output.value[0].x",
        "@variables('later')",
        "@xpath(xml(activity('Web').output), '/a')",
        "prefix @{item()} suffix",
        "plain text",
        "@@not an expression",
    ] {
        assert_eq!(check_syntax(text), Ok(()), "{text}");
    }
    let error = check_syntax("@concat('a', )").unwrap_err();
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert_eq!(error.position, 13);
    assert_eq!(error.expression, "@concat('a', )");
}

#[test]
fn long_expressions_are_shown_as_an_excerpt_around_the_position() {
    let text = format!("@concat('{}', )", "x".repeat(500));
    let error = check_syntax(&text).unwrap_err();
    let rendered = error.to_string();
    assert!(rendered.len() < 400, "{rendered}");
    assert!(rendered.contains("…"), "{rendered}");
    assert_eq!(error.position, 512);
    let pointer = error.pointer();
    let lines: Vec<&str> = pointer.lines().collect();
    let caret = lines[1].chars().count() - 1;
    assert_eq!(lines[0].chars().nth(caret), Some(')'), "{pointer}");
}

#[test]
fn messages_never_quote_runtime_values() {
    // A secure parameter's value must not leak through an error message.
    let mut bindings = common::bindings();
    bindings
        .pipeline_parameters
        .insert("password".into(), serde_json::json!("hunter2-secret"));
    for text in [
        "@int(pipeline().parameters.password)",
        "@json(pipeline().parameters.password)",
        "@formatDateTime(pipeline().parameters.password)",
        "@pipeline().parameters.password.x",
        "@add(pipeline().parameters.password, 1)",
        "@base64ToString(pipeline().parameters.password)",
        "@substring(pipeline().parameters.password, 1, 99)",
    ] {
        let template = adf_expr::parse(text).unwrap();
        let error = adf_expr::evaluate(&template, &bindings).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("hunter2"), "{text}: {shown}");
    }
    assert!(!format!("{bindings:?}").contains("hunter2"));
}
