//! No input panics, recurses without bound or hangs: random strings, random expression-like
//! strings built from the language's own tokens, and adversarial nesting.
#![allow(clippy::unwrap_used)] // tests: a panic is a failure with its message

mod common;

use adf_expr::{MAX_DEPTH, MAX_LENGTH, check_syntax, evaluate, parse};
use proptest::prelude::*;

/// Parses and, when it parses, evaluates against the fixture; either way without panicking.
fn exercise(text: &str) {
    if let Ok(template) = parse(text) {
        let _ = evaluate(&template, &common::bindings());
    }
}

/// Fragments that combine into mostly-valid, often-wrong expressions.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "@",
        "@@",
        "@{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ".",
        "?.",
        "?[",
        ",",
        " ",
        "'",
        "''",
        "'a'",
        "0",
        "-1",
        "2.5",
        ".5",
        "1e9",
        "true",
        "null",
        "concat(",
        "pipeline()",
        "item()",
        "variables('counter')",
        "activity('Copy data')",
        ".output",
        ".parameters",
        ".files",
        "[0]",
        "[99]",
        "length(",
        "substring(",
        "formatDateTime(",
        "utcNow(",
        "'yyyy-MM-dd'",
        "'2018-03-15T13:00:00Z'",
        "json(",
        "'{\"a\":[1]}'",
        "split(",
        "'a,b'",
        "','",
        "add(",
        "div(",
        "mod(",
        "if(",
        "equals(",
        "and(",
        "range(",
        "take(",
        "skip(",
        "guid(",
        "base64ToString(",
        "uriComponentToString(",
        "'%'",
        "addToTime(",
        "'Month'",
        "int(",
        "float(",
        "createArray(",
        "union(",
        "join(",
        "'F'",
        "'fffffffff'",
        "9223372036854775807",
        "-9223372036854775808",
        "1e300",
        "getFutureTime(",
        "getPastTime(",
        "subtractFromTime(",
        "'Year'",
        "'Week'",
        "intersection(",
        "max(",
        "ticks(",
        "'9999-12-31T23:59:59Z'",
        "startOfMonth(",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        exercise(&text);
        exercise(&format!("@{text}"));
        exercise(&format!("x @{{{text}}} y"));
    }

    #[test]
    fn expression_like_strings_never_panic(parts in prop::collection::vec(fragment(), 0..40)) {
        let text: String = parts.concat();
        exercise(&text);
        exercise(&format!("@{text}"));
    }

    #[test]
    fn errors_point_inside_the_text(text in "@[a-z(),' .\\[\\]0-9?@{}]{0,40}") {
        if let Err(error) = check_syntax(&text) {
            prop_assert!(error.position <= text.chars().count(), "{error}");
            prop_assert_eq!(error.expression, text);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [MAX_DEPTH + 1, 10_000, 100_000] {
        let calls = format!("@{}1{}", "string(".repeat(depth), ")".repeat(depth));
        let error = check_syntax(&calls).unwrap_err();
        assert!(error.message.contains("nested too deeply"), "{error}");

        let brackets = format!("@createArray(1){}", "[0]".repeat(depth));
        let error = check_syntax(&brackets).unwrap_err();
        assert!(error.message.contains("nested too deeply"), "{error}");

        let selections = format!("@pipeline(){}", ".a".repeat(depth));
        let error = check_syntax(&selections).unwrap_err();
        assert!(error.message.contains("nested too deeply"), "{error}");

        let indexes = format!("@item(){}0{}", "[".repeat(depth), "]".repeat(depth));
        assert!(check_syntax(&indexes).is_err());
    }
    // Just inside the limit parses and evaluates.
    let text = format!(
        "@{}'x'{}",
        "string(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert_eq!(common::eval(&text).unwrap(), serde_json::json!("x"));
}

#[test]
fn oversized_input_and_results_are_refused() {
    let long = "a".repeat(MAX_LENGTH + 1);
    assert!(
        check_syntax(&long)
            .unwrap_err()
            .message
            .contains("too long")
    );
    // A result that would grow past the limit is refused instead of allocated.
    let big = format!("@join(range(0, 100000), '{}')", "x".repeat(1000));
    let error = common::eval(&big).unwrap_err();
    assert!(error.message.contains("larger than"), "{error}");
    let big = format!(
        "@replace('{}', 'a', '{}')",
        "a".repeat(10_000),
        "b".repeat(10_000)
    );
    assert!(
        common::eval(&big)
            .unwrap_err()
            .message
            .contains("larger than")
    );
}

#[test]
fn large_collections_and_strings_stay_linear() {
    // Quadratic algorithms would take minutes here; these finish in well under a second.
    let cases = [
        (
            "@length(union(range(0, 100000), range(50000, 100000)))",
            serde_json::json!(150_000),
        ),
        (
            "@length(intersection(range(0, 100000), range(50000, 100000)))",
            serde_json::json!(50_000),
        ),
        (
            "@contains(range(0, 100000), 99999)",
            serde_json::json!(true),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(common::eval(text).unwrap(), expected, "{text}");
    }
    let haystack = "ab".repeat(200_000);
    let needle = format!("{}c", "ab".repeat(100_000));
    let text = format!("@indexOf('{haystack}', '{needle}')");
    assert_eq!(common::eval(&text).unwrap(), serde_json::json!(-1));
}

#[test]
fn extreme_numbers_are_errors_not_overflows() {
    for text in [
        "@getFutureTime(9223372036854775807, 'Month')",
        "@getPastTime(-9223372036854775808, 'Year')",
        "@addToTime('2018-01-01T00:00:00Z', 9223372036854775807, 'Second')",
        "@addToTime('2018-01-01T00:00:00Z', -9223372036854775808, 'Week')",
        "@subtractFromTime('2018-01-01T00:00:00Z', -9223372036854775808, 'Day')",
        "@addDays('9999-12-31T00:00:00Z', 1)",
        "@addDays('2018-01-01T00:00:00Z', 9223372036854775807)",
        "@substring('abc', -9223372036854775808)",
        "@substring('abc', 1, 9223372036854775807)",
        "@range(9223372036854775807, 2)",
        "@mul(9223372036854775807, 2)",
        "@sub(-9223372036854775808, 1)",
        "@div(-9223372036854775808, -1)",
        "@mod(-9223372036854775808, -1)",
        "@take(createArray(1), -9223372036854775808)",
        "@createArray(1)[9223372036854775807]",
        "@createArray(1)[-1]",
        "@int(1e300)",
        "@mul(1e300, 1e300)",
        "@utcNow('yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy fffffffff')",
    ] {
        assert!(common::eval(text).is_err(), "{text} should be an error");
    }
    assert_eq!(
        common::eval("@addToTime('2018-01-31T00:00:00Z', -1, 'Month', 'yyyy-MM-dd')").unwrap(),
        "2017-12-31"
    );
}
