//! Test files: YAML beside the spec (`*.test.yaml`), read into [`TestFile`]. See
//! docs/testing.md for the format; `adfctl schema --tests` prints its JSON Schema.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// One test file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TestFile {
    /// The spec files to test, relative to the test file (`-f` on the command line wins).
    #[serde(default)]
    pub spec: Vec<String>,
    /// Environment values the spec reads (`${env:NAME}`, `secretFromEnv`), over the process's.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Spec variables (`${var:key}`), as `--var` gives them.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The tests, run in order.
    pub tests: Vec<TestCase>,
}

/// One test: a pipeline run and what must hold after it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TestCase {
    /// What it checks, in words.
    pub name: String,
    /// The pipeline to run.
    pub pipeline: String,
    /// Pipeline parameters.
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// Global parameters to set before the run (name → value), over the spec's.
    #[serde(default)]
    pub global_parameters: Map<String, Value>,
    /// What to load before the run.
    #[serde(default)]
    pub fixtures: Fixtures,
    /// Activities not to run but to give an outcome.
    #[serde(default)]
    pub mocks: Vec<Mock>,
    /// How long the run may take (`90s`, `5m`; default 5 minutes).
    #[serde(default)]
    pub timeout: Option<String>,
    /// What must hold.
    #[serde(default)]
    pub expect: Expect,
}

/// An activity not run but given an outcome (the emulator's mock format, `/_emulator/mocks`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mock {
    /// The activity's name (a name wins over a type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// Every activity of this type (`DatabricksNotebook`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    /// Only in this pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// `Succeeded` (default) or `Failed`.
    #[serde(default)]
    pub status: MockStatus,
    /// The activity's output.
    #[serde(default)]
    pub output: Value,
    /// A failure's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<MockError>,
    /// How long the activity seems to take, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// A mocked failure: ADF's `errorCode` and `message`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MockError {
    /// ADF's error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// How a mocked activity ends.
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
pub enum MockStatus {
    /// It succeeds with the mock's output.
    #[default]
    Succeeded,
    /// It fails with the mock's error.
    Failed,
}

/// Data to load before a run.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fixtures {
    /// Blobs, written to the local blob storage (Azurite, the emulator's development storage).
    #[serde(default)]
    pub blobs: Vec<Blob>,
    /// SQL run first, through a PostgreSQL linked service (`CREATE TABLE IF NOT EXISTS ...`).
    #[serde(default)]
    pub sql: Vec<Sql>,
    /// Tables whose rows are replaced (emptied, then these rows inserted).
    #[serde(default)]
    pub tables: Vec<Table>,
}

/// SQL to run through one of the spec's PostgreSQL linked services.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sql {
    /// The linked service.
    pub linked_service: String,
    /// The statements.
    pub statement: String,
}

/// A table's rows, through one of the spec's PostgreSQL linked services.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Table {
    /// The linked service.
    pub linked_service: String,
    /// The table (`public.orders`).
    pub table: String,
    /// The rows (column → value).
    #[serde(default)]
    pub rows: Vec<Map<String, Value>>,
    /// For an expectation: the order to read the rows in (SQL, `id`); else the table's.
    #[serde(default)]
    pub order_by: Option<String>,
}

/// A blob: `container` and `path`, and its content as text (or `null`: must not exist).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Blob {
    /// The container (created when missing).
    pub container: String,
    /// The blob's path in the container.
    pub path: String,
    /// The content, as text; for an expectation, `null` means the blob must not exist.
    #[serde(default)]
    pub content: Option<String>,
}

/// What must hold after the run.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// The run's status: `Succeeded` (default), `Failed` or `Cancelled`.
    #[serde(default)]
    pub status: Option<String>,
    /// Per activity (by name).
    #[serde(default)]
    pub activities: BTreeMap<String, ExpectActivity>,
    /// Variable values at the end of the run.
    #[serde(default)]
    pub variables: Map<String, Value>,
    /// Blobs after the run.
    #[serde(default)]
    pub blobs: Vec<Blob>,
    /// Table rows after the run (all of them, in `orderBy` order).
    #[serde(default)]
    pub tables: Vec<Table>,
}

/// What must hold of one activity.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExpectActivity {
    /// Whether it ran at all (`false`: it must not have run).
    #[serde(default)]
    pub ran: Option<bool>,
    /// Its status (the last attempt's): `Succeeded`, `Failed`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// JSON pointer into its output (`/firstRow/id`, `""` for all of it) → the expected
    /// value, or an `@` expression over `item()` (the actual value) that must be true.
    #[serde(default)]
    pub output: BTreeMap<String, Value>,
    /// Part of its error message (a failed activity).
    #[serde(default)]
    pub error: Option<String>,
}

/// A problem in a test file: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file.
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Reads a test file's text.
pub fn read(file: &str, text: &str) -> Result<TestFile, FileError> {
    let parsed: TestFile = serde_yaml::from_str(text).map_err(|error| FileError {
        file: file.to_owned(),
        position: error.location().map(|l| (l.line(), l.column())),
        message: error.to_string(),
    })?;
    let problem = |message: String| FileError {
        file: file.to_owned(),
        position: None,
        message,
    };
    for case in &parsed.tests {
        if let Some(mock) = case
            .mocks
            .iter()
            .find(|m| m.activity.is_none() && m.activity_type.is_none())
        {
            return Err(problem(format!(
                "test `{}`: a mock names neither an `activity` nor a `type` ({mock:?}); say which activities it replaces",
                case.name
            )));
        }
    }
    if parsed.tests.is_empty() {
        return Err(problem("the file has no tests (`tests:` is empty)".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for case in &parsed.tests {
        if !seen.insert(case.name.as_str()) {
            return Err(problem(format!(
                "two tests are named `{}`: give each its own name",
                case.name
            )));
        }
        if let Some(status) = &case.expect.status
            && !["Succeeded", "Failed", "Cancelled"].contains(&status.as_str())
        {
            return Err(problem(format!(
                "test `{}`: `expect.status` is `{status}`; write Succeeded, Failed or Cancelled",
                case.name
            )));
        }
        if let Some(timeout) = &case.timeout
            && parse_duration(timeout).is_none()
        {
            return Err(problem(format!(
                "test `{}`: `timeout: {timeout}` is not a duration; write `90s`, `5m` or `1h`",
                case.name
            )));
        }
    }
    Ok(parsed)
}

/// `90s`, `5m`, `1h`, `250ms`.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => return Some(std::time::Duration::from_millis(number)),
        "s" => number,
        "m" => number.checked_mul(60)?,
        "h" => number.checked_mul(3600)?,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_test_file_reads_and_its_mistakes_say_where() {
        let text = "spec: [../quickstart.yaml]\nenv: {STORAGE: UseDevelopmentStorage=true}\ntests:\n  - name: copies\n    pipeline: copyPipeline\n    fixtures:\n      blobs: [{container: c, path: in/a.txt, content: hi}]\n    mocks: [{type: DatabricksNotebook, output: {x: 1}}]\n    expect:\n      activities:\n        copy: {status: Succeeded, output: {/dataWritten: 2}}\n      blobs: [{container: c, path: out/a.txt, content: hi}]\n";
        let file = read("t.test.yaml", text).unwrap();
        assert_eq!(file.tests[0].pipeline, "copyPipeline");
        assert_eq!(
            file.tests[0].expect.activities["copy"].output["/dataWritten"],
            2
        );

        let typo = "tests:\n  - name: x\n    pipeline: p\n    expct: {}\n";
        let error = read("t.test.yaml", typo).unwrap_err();
        assert_eq!(error.position.map(|p| p.0), Some(4), "{error}");
        assert!(
            error.to_string().contains("unknown field `expct`"),
            "{error}"
        );

        let twice = "tests:\n  - {name: x, pipeline: p}\n  - {name: x, pipeline: q}\n";
        assert!(
            read("t", twice)
                .unwrap_err()
                .message
                .contains("two tests are named `x`")
        );
        let typo = "tests:\n  - {name: x, pipeline: p, mocks: [{type: T, status: Faild}]}\n";
        assert!(
            read("t", typo)
                .unwrap_err()
                .message
                .contains("unknown variant `Faild`")
        );
        let status = "tests:\n  - {name: x, pipeline: p, expect: {status: Success}}\n";
        assert!(
            read("t", status)
                .unwrap_err()
                .message
                .contains("Succeeded, Failed or Cancelled")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("90s"),
            Some(std::time::Duration::from_secs(90))
        );
        assert_eq!(
            parse_duration("5m"),
            Some(std::time::Duration::from_secs(300))
        );
        assert_eq!(
            parse_duration("250ms"),
            Some(std::time::Duration::from_millis(250))
        );
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("99999999999999999h"), None);
    }
}

/// The JSON Schema (draft 2020-12) of a test file, for editors (`adfctl schema --tests`).
pub fn json_schema() -> Value {
    let string_map =
        serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}});
    let blob = serde_json::json!({
        "type": "object", "additionalProperties": false, "required": ["container", "path"],
        "properties": {
            "container": {"type": "string", "description": "The container (created when missing)."},
            "path": {"type": "string", "description": "The blob's path in the container."},
            "content": {"type": ["string", "null"], "description": "The content as text; in `expect`, null: the blob must not exist."}
        }
    });
    let table = serde_json::json!({
        "type": "object", "additionalProperties": false, "required": ["linkedService", "table"],
        "properties": {
            "linkedService": {"type": "string", "description": "One of the spec's PostgreSQL linked services."},
            "table": {"type": "string", "description": "The table (`public.orders`)."},
            "rows": {"type": "array", "items": {"type": "object"}},
            "orderBy": {"type": "string", "description": "In `expect`: the order to read the rows in (SQL)."}
        }
    });
    let activity = serde_json::json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "ran": {"type": "boolean", "description": "false: the activity must not have run."},
            "status": {"type": "string", "description": "Its (last attempt's) status: Succeeded, Failed, ..."},
            "output": {"type": "object", "description": "JSON pointer into its output (`/firstRow/id`) → the expected value, or an `@` expression over item() (the actual value) that must be true."},
            "error": {"type": "string", "description": "Part of its error message."}
        }
    });
    let mock = serde_json::json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "activity": {"type": "string", "description": "The activity's name (a name wins over a type)."},
            "type": {"type": "string", "description": "Every activity of this type (`DatabricksNotebook`)."},
            "pipeline": {"type": "string", "description": "Only in this pipeline."},
            "status": {"enum": ["Succeeded", "Failed"]},
            "output": {"description": "The activity's output."},
            "error": {"type": "object", "additionalProperties": false, "properties": {"errorCode": {"type": "string"}, "message": {"type": "string"}}},
            "durationMs": {"type": "integer", "minimum": 0}
        }
    });
    let case = serde_json::json!({
        "type": "object", "additionalProperties": false, "required": ["name", "pipeline"],
        "properties": {
            "name": {"type": "string", "description": "What the test checks, in words (unique in the file)."},
            "pipeline": {"type": "string", "description": "The pipeline to run."},
            "parameters": {"type": "object", "description": "Pipeline parameters."},
            "globalParameters": {"type": "object", "description": "Global parameter values over the spec's, for this test."},
            "fixtures": {"type": "object", "additionalProperties": false, "properties": {
                "blobs": {"type": "array", "items": blob},
                "sql": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["linkedService", "statement"],
                    "properties": {"linkedService": {"type": "string"}, "statement": {"type": "string"}}}},
                "tables": {"type": "array", "items": table}
            }},
            "mocks": {"type": "array", "items": mock},
            "timeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
            "expect": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "status": {"enum": ["Succeeded", "Failed", "Cancelled"]},
                    "activities": {"type": "object", "additionalProperties": activity},
                    "variables": {"type": "object"},
                    "blobs": {"type": "array", "items": blob},
                    "tables": {"type": "array", "items": table}
                }
            }
        }
    });
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:adfctl:schema:tests:1",
        "title": "adfctl test file",
        "description": "Pipeline tests for `adfctl test` (`*.test.yaml`). See docs/testing.md.",
        "type": "object", "additionalProperties": false, "required": ["tests"],
        "properties": {
            "spec": {"type": "array", "items": {"type": "string"}, "description": "The spec files, relative to this file (`-f` wins)."},
            "env": string_map,
            "vars": string_map,
            "tests": {"type": "array", "minItems": 1, "items": case}
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod schema_tests {
    use super::*;

    /// Every key the reader accepts is in the schema, and the schema names no other: walks a
    /// test file that uses every key.
    #[test]
    fn the_schema_lists_exactly_the_readers_keys() {
        let full = "spec: [s.yaml]\nenv: {A: b}\nvars: {k: v}\ntests:\n  - name: n\n    pipeline: p\n    parameters: {x: 1}\n    globalParameters: {g: 1}\n    timeout: 5m\n    fixtures: {blobs: [{container: c, path: p, content: t}], sql: [{linkedService: l, statement: s}], tables: [{linkedService: l, table: t, rows: [{a: 1}]}]}\n    mocks: [{activity: a, type: t, pipeline: p, status: Failed, output: 1, error: {errorCode: e, message: m}, durationMs: 1}]\n    expect:\n      status: Failed\n      activities: {a: {ran: true, status: Failed, output: {/x: 1}, error: m}}\n      variables: {v: 1}\n      blobs: [{container: c, path: p, content: null}]\n      tables: [{linkedService: l, table: t, orderBy: a, rows: []}]\n";
        let file = read("t", full).unwrap();
        // The mock is free JSON for the reader; check it against the emulator's fields here.
        let mock = serde_json::to_value(&file.tests[0].mocks[0]).unwrap();
        let mock_keys: Vec<&String> = mock.as_object().unwrap().keys().collect();
        let schema = json_schema();
        let mock_props = schema
            .pointer("/properties/tests/items/properties/mocks/items/properties")
            .and_then(Value::as_object)
            .unwrap();
        let mut listed: Vec<&String> = mock_props.keys().collect();
        listed.sort();
        let mut used = mock_keys.clone();
        used.sort();
        assert_eq!(listed, used);
        let case_props = schema
            .pointer("/properties/tests/items/properties")
            .and_then(Value::as_object)
            .unwrap();
        assert_eq!(case_props.len(), 8);
        let parsed: Value = serde_yaml::from_str(full).unwrap();
        let case_keys = parsed
            .pointer("/tests/0")
            .and_then(Value::as_object)
            .unwrap();
        for key in case_keys.keys() {
            assert!(case_props.contains_key(key), "{key}");
        }
    }
}
