//! Table-driven evaluation tests: every function and accessor, interpolation, escaping,
//! nested calls and property paths. Expected values follow Microsoft's function reference
//! (control-flow-expression-language-functions) where it gives examples.
#![allow(clippy::unwrap_used)] // tests: a panic is a failure with its message

mod common;

use common::{check, error};
use serde_json::{Value, json};

fn table(cases: &[(&str, Value)]) {
    for (text, expected) in cases {
        check(text, expected.clone());
    }
}

#[test]
fn literals_and_escapes() {
    table(&[
        ("parameters", json!("parameters")),
        ("parameters[1]", json!("parameters[1]")),
        ("@@", json!("@")),
        (" @", json!(" @")),
        ("@@concat('a')", json!("@concat('a')")),
        ("user@example.com", json!("user@example.com")),
        ("a@@b", json!("a@@b")),
        (
            "Answer is: @@{pipeline().parameters.count}",
            json!("Answer is: @{pipeline().parameters.count}"),
        ),
        ("@'it''s'", json!("it's")),
        (
            "@concat('Baba', '''s ', 'book store')",
            json!("Baba's book store"),
        ),
        ("@''", json!("")),
        ("@42", json!(42)),
        ("@-7", json!(-7)),
        ("@2.5", json!(2.5)),
        ("@.5", json!(0.5)),
        ("@1e3", json!(1000.0)),
        ("@true", json!(true)),
        ("@false", json!(false)),
        ("@null", json!(null)),
        ("@  concat( 'a' ,'b' )  ", json!("ab")),
        ("", json!("")),
    ]);
}

#[test]
fn interpolation_always_gives_a_string() {
    table(&[
        ("@pipeline().parameters.name", json!("sales")),
        ("@{pipeline().parameters.name}", json!("sales")),
        ("@pipeline().parameters.count", json!(3)),
        ("@{pipeline().parameters.count}", json!("3")),
        (
            "Answer is: @{pipeline().parameters.count}",
            json!("Answer is: 3"),
        ),
        (
            "@concat('Answer is: ', string(pipeline().parameters.count))",
            json!("Answer is: 3"),
        ),
        (
            "out/@{pipeline().RunId}/@{item().name}",
            json!("out/run-1/f1.csv"),
        ),
        ("@{pipeline().parameters.flag}", json!("True")),
        ("[@{pipeline().parameters.nothing}]", json!("[]")),
        ("@{pipeline().parameters.ratio}", json!("2.5")),
        (
            "@{pipeline().parameters.files}",
            json!("[\"a.csv\",\"b.csv\"]"),
        ),
        // Braces inside string literals do not end the interpolation.
        ("x@{concat('}', '{')}y", json!("x}{y")),
        ("@{'@{not nested}'}", json!("@{not nested}")),
        ("@{ toUpper('a') }-@{toLower('B')}", json!("A-b")),
        // The documented dynamic-content example.
        (
            "{ \"type\": \"@{if(equals(1, 2), 'Blob', 'Table' )}\", \"name\": \"@{toUpper('myData')}\" }",
            json!("{ \"type\": \"Table\", \"name\": \"MYDATA\" }"),
        ),
    ]);
}

#[test]
fn context_accessors() {
    table(&[
        ("@pipeline().RunId", json!("run-1")),
        ("@pipeline().runid", json!("run-1")),
        ("@pipeline().Pipeline", json!("copyPipeline")),
        ("@pipeline().DataFactory", json!("factory1")),
        ("@pipeline().TriggerTime", json!("2026-11-28T07:30:00.5Z")),
        ("@pipeline().TriggerType", json!("Manual")),
        ("@pipeline().TriggerId", json!("trigger-id")),
        ("@pipeline().TriggerName", json!("manual")),
        ("@pipeline().GroupId", json!("group-1")),
        ("@pipeline().globalParameters.env", json!("dev")),
        // A name with `-` after `.`, as in azure.datafactory.tools' BigFactorySample2
        // (pipeline/PL_Wait5sec.json): ADF has no infix operators, so it is one name.
        ("@pipeline().globalParameters.GP-Int", json!(2000000)),
        ("@{pipeline().globalParameters.GP-Int}", json!("2000000")),
        ("@pipeline().parameters['My Param']", json!("spaced")),
        (
            "@pipeline().parameters.config[pipeline().parameters.key]",
            json!("in"),
        ),
        (
            "@pipeline().parameters.config.nested.x[2].deep",
            json!("yes"),
        ),
        ("@pipeline().parameters.config['nested']['x'][0]", json!(1)),
        ("@pipeline().parameters.files[1]", json!("b.csv")),
        ("@json('{\"größe\": 1}').größe", json!(1)),
        ("@pipeline().parameters.nothing", json!(null)),
        ("@variables('counter')", json!(5)),
        ("@variables('list')", json!(["x"])),
        ("@activity('Copy data').output.dataRead", json!(1024)),
        ("@activity('Copy data').output.rows[1].id", json!(2)),
        ("@activity('Copy data').status", json!("Succeeded")),
        ("@activity('Lookup').output.firstRow.col", json!("v")),
        ("@activity('Failing').error.message", json!("boom")),
        ("@activity('Failing').Error.errorCode", json!("2200")),
        ("@item()", json!({"name": "f1.csv", "size": 10})),
        ("@item().name", json!("f1.csv")),
        ("@dataset().path", json!("container/dir")),
        ("@linkedService().account", json!("acct")),
        ("@trigger().scheduledTime", json!("2026-11-28T07:00:00Z")),
        (
            "@trigger().outputs.windowStartTime",
            json!("2026-11-28T06:00:00Z"),
        ),
    ]);
}

#[test]
fn null_safe_selection() {
    table(&[
        ("@activity('Copy data').output?.filesWritten", json!(null)),
        ("@activity('Copy data').output?.filesRead", json!(1)),
        ("@pipeline().parameters.nothing?.x", json!(null)),
        ("@pipeline().parameters.files?[5]", json!(null)),
        (
            "@coalesce(activity('Lookup').output?.missing, 'default')",
            json!("default"),
        ),
        ("@pipeline().parameters?['config']?.folder", json!("in")),
    ]);
}

#[test]
fn string_functions() {
    table(&[
        ("@concat('Hello', 'World')", json!("HelloWorld")),
        ("@concat('n=', 3, ' ', true, null)", json!("n=3 True")),
        ("@concat('a')", json!("a")),
        ("@endsWith('hello world', 'world')", json!(true)),
        ("@endsWith('hello world', 'WORLD')", json!(true)),
        ("@endsWith('hello world', 'universe')", json!(false)),
        ("@startsWith('hello world', 'hello')", json!(true)),
        ("@startsWith('hello world', 'HELLO')", json!(true)),
        ("@startsWith('hello world', 'greetings')", json!(false)),
        ("@startsWith('', '')", json!(true)),
        ("@indexOf('hello world', 'world')", json!(6)),
        ("@indexOf('hello world', 'WORLD')", json!(6)),
        ("@indexOf('hello world', 'nope')", json!(-1)),
        ("@indexOf('héllo wörld', 'wö')", json!(6)),
        ("@lastIndexOf('hello world world', 'world')", json!(12)),
        ("@lastIndexOf('abc', 'z')", json!(-1)),
        (
            "@replace('the old string', 'old', 'new')",
            json!("the new string"),
        ),
        ("@replace('Old old', 'old', 'new')", json!("Old new")),
        ("@split('a_b_c', '_')", json!(["a", "b", "c"])),
        ("@split('a', ',')", json!(["a"])),
        ("@split('a,,b', ',')", json!(["a", "", "b"])),
        ("@substring('hello world', 6, 5)", json!("world")),
        ("@substring('hello world', 6)", json!("world")),
        ("@substring('hello', 0, 0)", json!("")),
        ("@substring('héllo', 1, 1)", json!("é")),
        ("@toLower('Hello World')", json!("hello world")),
        ("@toUpper('Hello World')", json!("HELLO WORLD")),
        ("@trim(' Hello World  ')", json!("Hello World")),
        ("@guid()", json!("00000000-0000-4000-8000-000000000001")),
        ("@guid('N')", json!("00000000000040008000000000000001")),
        (
            "@guid('B')",
            json!("{00000000-0000-4000-8000-000000000001}"),
        ),
        (
            "@guid('P')",
            json!("(00000000-0000-4000-8000-000000000001)"),
        ),
        (
            "@concat(guid(), ' ', guid())",
            json!("00000000-0000-4000-8000-000000000001 00000000-0000-4000-8000-000000000002"),
        ),
    ]);
}

#[test]
fn collection_functions() {
    table(&[
        ("@contains('hello world', 'world')", json!(true)),
        ("@contains('hello world', 'WORLD')", json!(false)),
        ("@contains('hello world', 'universe')", json!(false)),
        (
            "@contains(pipeline().parameters.files, 'a.csv')",
            json!(true),
        ),
        ("@contains(createArray(1, 2), 2.0)", json!(true)),
        (
            "@contains(pipeline().parameters.config, 'folder')",
            json!(true),
        ),
        (
            "@contains(activity('Copy data').output, 'filesRead')",
            json!(true),
        ),
        (
            "@contains(activity('Copy data').output, 'filesWritten')",
            json!(false),
        ),
        ("@empty('')", json!(true)),
        ("@empty('abc')", json!(false)),
        ("@empty(createArray())", json!(true)),
        ("@empty(json('{}'))", json!(true)),
        ("@empty(json('[1]'))", json!(false)),
        ("@empty(null)", json!(true)),
        ("@empty(pipeline().parameters.nothing)", json!(true)),
        ("@first('hello')", json!("h")),
        ("@first(createArray(0, 1, 2))", json!(0)),
        ("@first('')", json!(null)),
        ("@last('abcd')", json!("d")),
        ("@last(createArray(0, 1, 2, 3))", json!(3)),
        ("@last(json('[]'))", json!(null)),
        ("@length('abcd')", json!(4)),
        ("@length('héllo')", json!(5)),
        ("@length(createArray(0, 1, 2, 3))", json!(4)),
        ("@length(activity('Copy data').output.rows)", json!(2)),
        ("@take('abcde', 3)", json!("abc")),
        ("@take(createArray(0, 1, 2, 3, 4), 3)", json!([0, 1, 2])),
        ("@take(createArray(0, 1), 5)", json!([0, 1])),
        ("@skip(createArray(0, 1, 2, 3), 1)", json!([1, 2, 3])),
        ("@skip('abc', 1)", json!("bc")),
        ("@skip(createArray(0), 9)", json!([])),
        ("@join(createArray('a', 'b', 'c'), '.')", json!("a.b.c")),
        (
            "@join(createArray(1, true, 'x'), ', ')",
            json!("1, True, x"),
        ),
        ("@join(json('[]'), ',')", json!("")),
        (
            "@union(createArray(1, 2, 3), createArray(1, 2, 10, 101))",
            json!([1, 2, 3, 10, 101]),
        ),
        (
            "@union(json('{\"a\": 1, \"b\": 2}'), json('{\"b\": 3, \"c\": 4}'))",
            json!({"a": 1, "b": 3, "c": 4}),
        ),
        (
            "@intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))",
            json!([1, 2]),
        ),
        (
            "@intersection(json('{\"a\": 1, \"b\": 2}'), json('{\"b\": 3, \"c\": 4}'))",
            json!({"b": 3}),
        ),
        ("@range(1, 4)", json!([1, 2, 3, 4])),
        ("@range(0, 0)", json!([])),
        ("@range(-2, 3)", json!([-2, -1, 0])),
    ]);
}

#[test]
fn logical_functions() {
    table(&[
        ("@and(true, true)", json!(true)),
        ("@and(false, true)", json!(false)),
        ("@and(false, false)", json!(false)),
        ("@and(equals(1, 1), equals(2, 2))", json!(true)),
        ("@and(true, true, false)", json!(false)),
        ("@or(true, false)", json!(true)),
        ("@or(false, false)", json!(false)),
        ("@or(equals(1, 2), equals(1, 3))", json!(false)),
        ("@not(false)", json!(true)),
        ("@not(equals(1, 1))", json!(false)),
        ("@if(equals(1, 1), 'yes', 'no')", json!("yes")),
        ("@if(equals(1, 2), 'yes', createArray(1))", json!([1])),
        ("@equals('abc', 'abc')", json!(true)),
        ("@equals('abc', 'abcd')", json!(false)),
        ("@equals('abc', 'ABC')", json!(false)),
        ("@equals(1, 1.0)", json!(true)),
        ("@equals(true, 1)", json!(true)),
        ("@equals(false, 0)", json!(true)),
        ("@equals('1', 1)", json!(false)),
        ("@equals(null, null)", json!(true)),
        (
            "@equals(createArray(1, 'a'), json('[1, \"a\"]'))",
            json!(true),
        ),
        (
            "@equals(json('{\"a\": [1]}'), json('{\"a\": [1]}'))",
            json!(true),
        ),
        ("@equals(pipeline().parameters.name, 'sales')", json!(true)),
        ("@greater(10, 5)", json!(true)),
        ("@greater('apple', 'banana')", json!(false)),
        ("@greater(2.5, 2)", json!(true)),
        ("@greaterOrEquals(5, 5)", json!(true)),
        ("@greaterOrEquals('apple', 'banana')", json!(false)),
        ("@less(5, 10)", json!(true)),
        ("@less('banana', 'apple')", json!(false)),
        ("@lessOrEquals(10, 10)", json!(true)),
        ("@lessOrEquals('apply', 'apple')", json!(false)),
    ]);
}

#[test]
fn lazy_evaluation_skips_the_branch_not_taken() {
    table(&[
        (
            "@if(true, 'left', pipeline().parameters.missing)",
            json!("left"),
        ),
        ("@if(false, variables('missing'), 'right')", json!("right")),
        (
            "@or(true, equals(pipeline().parameters.missing, 1))",
            json!(true),
        ),
        (
            "@and(false, equals(pipeline().parameters.missing, 1))",
            json!(false),
        ),
    ]);
    assert!(
        error("@if(true, pipeline().parameters.missing, 'right')")
            .contains("'missing' doesn't exist")
    );
    assert!(
        error("@and(true, equals(pipeline().parameters.missing, 1))")
            .contains("'missing' doesn't exist")
    );
}

#[test]
fn conversion_functions() {
    table(&[
        ("@array('hello')", json!(["hello"])),
        (
            "@createArray('h', 'e', 'l', 'l', 'o')",
            json!(["h", "e", "l", "l", "o"]),
        ),
        ("@createArray(1, 'a', null)", json!([1, "a", null])),
        ("@base64('hello')", json!("aGVsbG8=")),
        ("@base64ToString('aGVsbG8=')", json!("hello")),
        ("@decodeBase64('aGVsbG8=')", json!("hello")),
        (
            "@dataUri('hello')",
            json!("data:text/plain;charset=utf-8;base64,aGVsbG8="),
        ),
        (
            "@dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')",
            json!("hello"),
        ),
        (
            "@uriComponent('https://contoso.com')",
            json!("https%3A%2F%2Fcontoso.com"),
        ),
        ("@encodeUriComponent('a b&c')", json!("a%20b%26c")),
        (
            "@uriComponentToString('http%3A%2F%2Fcontoso.com')",
            json!("http://contoso.com"),
        ),
        ("@decodeUriComponent('%C3%A9')", json!("é")),
        ("@bool(1)", json!(true)),
        ("@bool(0)", json!(false)),
        ("@bool('true')", json!(true)),
        ("@bool('False')", json!(false)),
        ("@bool(true)", json!(true)),
        ("@coalesce(null, true, false)", json!(true)),
        ("@coalesce(null, 'hello', 'world')", json!("hello")),
        ("@coalesce(null, null, null)", json!(null)),
        ("@coalesce('', 'x')", json!("")),
        ("@float('10.333')", json!(10.333)),
        ("@float(3)", json!(3.0)),
        ("@int('10')", json!(10)),
        ("@int(' -4 ')", json!(-4)),
        ("@int(7)", json!(7)),
        ("@int(7.0)", json!(7)),
        ("@json('[1, 2, 3]')", json!([1, 2, 3])),
        (
            "@json('{\"fullName\": \"Sophia Owen\"}')",
            json!({"fullName": "Sophia Owen"}),
        ),
        ("@json('{\"a\": {\"b\": [10]}}').a.b[0]", json!(10)),
        (
            "@json('[[{\"f\": \"v0\"}, {\"f\": \"v1\"}]]')[0][1].f",
            json!("v1"),
        ),
        ("@json(null)", json!({})),
        ("@json('\"text\"')", json!("text")),
        ("@string(10)", json!("10")),
        ("@string(2.5)", json!("2.5")),
        ("@string(true)", json!("True")),
        ("@string(null)", json!("")),
        (
            "@string(json('{\"name\": \"Sophie Owen\"}'))",
            json!("{\"name\":\"Sophie Owen\"}"),
        ),
        ("@string('x')", json!("x")),
    ]);
}

#[test]
fn math_functions() {
    table(&[
        ("@add(1, 1.5)", json!(2.5)),
        ("@add(1, 2)", json!(3)),
        (
            "@add(pipeline().parameters.count, variables('counter'))",
            json!(8),
        ),
        ("@sub(10, 3)", json!(7)),
        ("@sub(10.5, 0.5)", json!(10.0)),
        ("@mul(1, 2)", json!(2)),
        ("@mul(1.5, 2)", json!(3.0)),
        ("@div(10, 5)", json!(2)),
        ("@div(11, 5)", json!(2)),
        ("@div(-11, 5)", json!(-2)),
        ("@div(11.0, 5)", json!(2.2)),
        ("@mod(3, 2)", json!(1)),
        ("@mod(-7, 3)", json!(-1)),
        ("@mod(7.5, 2)", json!(1.5)),
        ("@max(1, 2, 3)", json!(3)),
        ("@max(createArray(1, 2, 3))", json!(3)),
        ("@max(1, 2.5)", json!(2.5)),
        ("@min(1, 2, 3)", json!(1)),
        ("@min(createArray(1, 2, 3))", json!(1)),
        ("@string(sub(10.5, 0.5))", json!("10")),
    ]);
}

#[test]
fn date_functions() {
    table(&[
        ("@utcNow()", json!("2026-11-28T07:31:00.1234567Z")),
        ("@utcnow()", json!("2026-11-28T07:31:00.1234567Z")),
        ("@UTCNOW('yyyy-MM-dd')", json!("2026-11-28")),
        ("@utcNow('o')", json!("2026-11-28T07:31:00.1234567Z")),
        ("@utcNow('s')", json!("2026-11-28T07:31:00")),
        ("@utcNow('u')", json!("2026-11-28 07:31:00Z")),
        ("@utcNow('D')", json!("Saturday, November 28, 2026")),
        ("@utcNow('d')", json!("11/28/2026")),
        ("@utcNow('t')", json!("7:31 AM")),
        (
            "@utcNow('yyyy/MM/dd HH:mm:ss.fff')",
            json!("2026/11/28 07:31:00.123"),
        ),
        (
            "@utcNow('yyyyMMddHHmmssfffffff')",
            json!("202611280731001234567"),
        ),
        (
            "@utcNow('dddd dd MMM yy, h:mm tt')",
            json!("Saturday 28 Nov 26, 7:31 AM"),
        ),
        (
            "@utcNow('''day'' d ''of'' MMMM')",
            json!("day 28 of November"),
        ),
        ("@utcNow('\"Y\"yyyy\\Q')", json!("Y2026Q")),
        ("@utcNow('%d')", json!("28")),
        ("@utcNow('HH:mm:ss.FFF')", json!("07:31:00.123")),
        (
            "@formatDateTime('2018-03-15T13:00:00Z', 'HH:mm:ss.FFF')",
            json!("13:00:00"),
        ),
        ("@utcNow('zzz K')", json!("+00:00 Z")),
        (
            "@formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')",
            json!("2018-03-15T12:00:00"),
        ),
        (
            "@formatDateTime('03/15/2018 1:05:00 PM', 'HH:mm')",
            json!("13:05"),
        ),
        (
            "@formatDateTime('2018-03-15T13:00:00Z')",
            json!("2018-03-15T13:00:00.0000000Z"),
        ),
        (
            "@formatDateTime('2018-03-15')",
            json!("2018-03-15T00:00:00.0000000Z"),
        ),
        (
            "@formatDateTime('2018-03-15 13:00:00')",
            json!("2018-03-15T13:00:00.0000000Z"),
        ),
        (
            "@formatDateTime('2018-03-15T13:00:00.123456789+02:00')",
            json!("2018-03-15T11:00:00.1234567Z"),
        ),
        (
            "@formatDateTime(pipeline().TriggerTime, 'yyyyMMdd-HHmmss')",
            json!("20261128-073000"),
        ),
        (
            "@addDays('2018-03-15T13:00:00Z', 10)",
            json!("2018-03-25T13:00:00.0000000Z"),
        ),
        (
            "@addDays('2018-03-15T00:00:00Z', -5)",
            json!("2018-03-10T00:00:00.0000000Z"),
        ),
        (
            "@addDays('2018-03-15T00:00:00Z', 1, 'yyyy-MM-dd')",
            json!("2018-03-16"),
        ),
        (
            "@addHours('2018-03-15T00:00:00Z', 10)",
            json!("2018-03-15T10:00:00.0000000Z"),
        ),
        (
            "@addHours('2018-03-15T15:00:00Z', -5)",
            json!("2018-03-15T10:00:00.0000000Z"),
        ),
        (
            "@addMinutes('2018-03-15T00:10:00Z', 10)",
            json!("2018-03-15T00:20:00.0000000Z"),
        ),
        (
            "@addMinutes('2018-03-15T00:20:00Z', -5)",
            json!("2018-03-15T00:15:00.0000000Z"),
        ),
        (
            "@addSeconds('2018-03-15T00:00:00Z', 10)",
            json!("2018-03-15T00:00:10.0000000Z"),
        ),
        (
            "@addSeconds('2018-03-15T00:00:30Z', -5)",
            json!("2018-03-15T00:00:25.0000000Z"),
        ),
        (
            "@addToTime('2018-01-01T00:00:00Z', 1, 'Day')",
            json!("2018-01-02T00:00:00.0000000Z"),
        ),
        (
            "@addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')",
            json!("Tuesday, January 2, 2018"),
        ),
        (
            "@addToTime('2018-01-31T00:00:00Z', 1, 'Month', 'yyyy-MM-dd')",
            json!("2018-02-28"),
        ),
        (
            "@addToTime('2020-02-29T00:00:00Z', 1, 'year', 'yyyy-MM-dd')",
            json!("2021-02-28"),
        ),
        (
            "@addToTime('2018-01-01T00:00:00Z', 2, 'Week', 'yyyy-MM-dd')",
            json!("2018-01-15"),
        ),
        (
            "@subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')",
            json!("2018-01-01T00:00:00.0000000Z"),
        ),
        (
            "@subtractFromTime('2018-03-31T00:00:00Z', 1, 'Month', 'yyyy-MM-dd')",
            json!("2018-02-28"),
        ),
        (
            "@getFutureTime(5, 'Day', 'yyyy-MM-dd')",
            json!("2026-12-03"),
        ),
        (
            "@getPastTime(1, 'Hour')",
            json!("2026-11-28T06:31:00.1234567Z"),
        ),
        (
            "@startOfDay('2018-03-15T13:30:30Z')",
            json!("2018-03-15T00:00:00.0000000Z"),
        ),
        (
            "@startOfHour('2018-03-15T13:30:30Z')",
            json!("2018-03-15T13:00:00.0000000Z"),
        ),
        (
            "@startOfMonth('2018-03-15T13:30:30Z')",
            json!("2018-03-01T00:00:00.0000000Z"),
        ),
        ("@dayOfMonth('2018-03-15T13:27:36Z')", json!(15)),
        ("@dayOfWeek('2018-03-15T13:27:36Z')", json!(4)),
        ("@dayOfYear('2018-03-15T13:27:36Z')", json!(74)),
        ("@ticks('0001-01-01T00:00:00Z')", json!(0)),
        (
            "@ticks('1970-01-01T00:00:00Z')",
            json!(621_355_968_000_000_000_i64),
        ),
        (
            "@ticks('2018-03-15T00:00:00.0000001Z')",
            json!(636_566_688_000_000_001_i64),
        ),
    ]);
}

#[test]
fn nested_calls_and_paths() {
    table(&[
        (
            "@concat('Test_', formatDateTime(utcnow(), 'yyyy-dd-MM'))",
            json!("Test_2026-28-11"),
        ),
        (
            "@concat(pipeline().parameters.config.folder, '/', toUpper(first(split(item().name, '.'))), '_', string(add(item().size, 1)))",
            json!("in/F1_11"),
        ),
        (
            "@activity('Copy data').output.rows[sub(length(activity('Copy data').output.rows), 1)].id",
            json!(2),
        ),
        ("@createArray(json('{\"a\": 1}'))[0].a", json!(1)),
        (
            "@if(greater(variables('counter'), 3), concat('big-', string(variables('counter'))), 'small')",
            json!("big-5"),
        ),
        (
            "@uriComponentToString(replace(uriComponent('Contoso-\nCorporation'), '%0A', ''))",
            json!("Contoso-Corporation"),
        ),
    ]);
}
