//! `adfctl schema` (every example validates, an unknown top-level key does not) and
//! `adfctl completions`.
//!
//! The validator here is a small one for exactly the JSON Schema keywords the schema uses
//! (listed in `adf_spec::schema`); it panics on any other keyword, so a schema that grows a
//! keyword it does not know cannot pass unchecked. When Python's `jsonschema` package is
//! installed, the same documents are also checked with it (draft 2020-12), as a cross-check
//! of this validator; otherwise that part says it skipped.

use crate::support::{adfctl_bin, spec_sets, workspace_root};
use serde_json::Value;
use std::process::Command;

const KEYWORDS: [&str; 16] = [
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "enum",
    "anyOf",
    "items",
    "minLength",
    "if",
    "then",
];

fn schema() -> Value {
    let output = Command::new(adfctl_bin())
        .arg("schema")
        .output()
        .expect("run adfctl schema");
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).expect("the schema is JSON")
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|f| f.fract() == 0.0),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("unknown type {other}"),
    }
}

/// Every error found, as `pointer: message`.
fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(map) = schema.as_object() else {
        assert!(schema.is_boolean(), "a schema is an object or a boolean");
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: not allowed"));
        }
        return;
    };
    for keyword in map.keys() {
        assert!(
            KEYWORDS.contains(&keyword.as_str()),
            "the validator does not know `{keyword}`"
        );
    }
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("a local $ref");
        let target = root.pointer(pointer).expect("the $ref resolves");
        validate(root, target, value, at, errors);
    }
    if let Some(kind) = map.get("type") {
        let ok = match kind {
            Value::String(name) => type_matches(name, value),
            Value::Array(names) => names
                .iter()
                .any(|n| type_matches(n.as_str().expect("type name"), value)),
            _ => panic!("bad type"),
        };
        if !ok {
            errors.push(format!("{at}: not of type {kind}"));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = map.get("enum")
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(text)) = (map.get("minLength").and_then(Value::as_u64), value.as_str())
        && (text.chars().count() as u64) < min
    {
        errors.push(format!("{at}: shorter than {min}"));
    }
    if let Some(Value::Array(options)) = map.get("anyOf") {
        let any = options.iter().any(|option| {
            let mut inner = Vec::new();
            validate(root, option, value, at, &mut inner);
            inner.is_empty()
        });
        if !any {
            errors.push(format!("{at}: matches none of anyOf"));
        }
    }
    if let (Some(condition), Some(then)) = (map.get("if"), map.get("then")) {
        let mut inner = Vec::new();
        validate(root, condition, value, at, &mut inner);
        if inner.is_empty() {
            validate(root, then, value, at, errors);
        }
    }
    if let Value::Object(object) = value {
        if let Some(Value::Array(required)) = map.get("required") {
            for name in required {
                let name = name.as_str().expect("required name");
                if !object.contains_key(name) {
                    errors.push(format!("{at}: `{name}` is required"));
                }
            }
        }
        let properties = map.get("properties").and_then(Value::as_object);
        for (key, child) in object {
            let path = format!("{at}/{key}");
            match properties.and_then(|p| p.get(key)) {
                Some(child_schema) => validate(root, child_schema, child, &path, errors),
                None => {
                    if let Some(additional) = map.get("additionalProperties") {
                        validate(root, additional, child, &path, errors);
                    }
                }
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, map.get("items")) {
        for (index, item) in items.iter().enumerate() {
            validate(root, item_schema, item, &format!("{at}/{index}"), errors);
        }
    }
}

fn errors_of(schema: &Value, document: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate(schema, schema, document, "", &mut errors);
    errors
}

fn yaml_file(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).expect("spec file");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under specs/ (base specs and overlays alike), and the git fixture's overlay.
fn example_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = spec_sets()
        .into_iter()
        .flatten()
        .map(|f| workspace_root().join(f))
        .collect();
    files.push(workspace_root().join("tests/fixtures/adf-git-repo/emulator.yaml"));
    files.sort();
    files.dedup();
    files
}

#[test]
fn the_schema_accepts_every_example_and_rejects_unknown_keys() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let files = example_files();
    assert!(files.len() >= 6, "{files:?}");
    for file in &files {
        let errors = errors_of(&schema, &yaml_file(file));
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }

    let base = yaml_file(&workspace_root().join("specs/quickstart.yaml"));
    let rejected = |mutate: &dyn Fn(&mut Value), expected: &str| {
        let mut document = base.clone();
        mutate(&mut document);
        let errors = errors_of(&schema, &document);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "expected `{expected}` in {errors:?}"
        );
    };
    rejected(
        &|d| d["pipeline"] = serde_json::json!({}),
        "/pipeline: not allowed",
    );
    rejected(
        &|d| d["factory"]["colour"] = serde_json::json!("blue"),
        "matches none of anyOf",
    );
    rejected(
        &|d| {
            d["linkedServices"]["storageLinkedService"]
                .as_object_mut()
                .expect("ls")
                .remove("type")
                .map(drop)
                .unwrap_or(())
        },
        "matches none of anyOf",
    );
    rejected(
        &|d| {
            d["triggers"] =
                serde_json::json!({"t": {"type": "ScheduleTrigger", "runtimeState": "Disabled"}})
        },
        "matches none of anyOf",
    );
    // An overlay (no `subscription`) may patch an entity without its `type`.
    let overlay =
        serde_json::json!({"linkedServices": {"storageLinkedService": {"description": "x"}}});
    assert_eq!(errors_of(&schema, &overlay), Vec::<String>::new());
    rejected(
        &|d| d["resourceGroup"]["managed"] = serde_json::json!(3),
        "matches none of anyOf",
    );
}

#[test]
fn python_jsonschema_agrees_when_installed() {
    let probe = Command::new("python3")
        .args(["-c", "import jsonschema; jsonschema.Draft202012Validator"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        adf_testkit::skip(
            module_path!(),
            "Python's jsonschema package is not installed (pip install jsonschema)",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let schema_path = dir.path().join("schema.json");
    std::fs::write(
        &schema_path,
        serde_json::to_string(&schema()).expect("json"),
    )
    .expect("write");
    let mut documents = Vec::new();
    for file in example_files() {
        documents.push((file.display().to_string(), yaml_file(&file), true));
    }
    let mut unknown = yaml_file(&workspace_root().join("specs/quickstart.yaml"));
    unknown["pipeline"] = serde_json::json!({});
    documents.push(("unknown top-level key".into(), unknown, false));
    for (index, (label, document, valid)) in documents.iter().enumerate() {
        let path = dir.path().join(format!("{index}.json"));
        std::fs::write(&path, serde_json::to_string(document).expect("json")).expect("write");
        let script = "import json, sys, jsonschema\n\
            schema = json.load(open(sys.argv[1]))\n\
            jsonschema.Draft202012Validator.check_schema(schema)\n\
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))\n\
            print(len(errors))\n";
        let output = Command::new("python3")
            .args(["-c", script])
            .arg(&schema_path)
            .arg(&path)
            .output()
            .expect("python3");
        assert!(
            output.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let count: usize = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("a count");
        assert_eq!(count == 0, *valid, "{label}: {count} errors");
    }
}

#[test]
fn completions_are_generated_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef adfctl"),
        ("fish", "complete -c adfctl"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = Command::new(adfctl_bin())
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(script.contains(marker), "{shell}: {marker}");
        for command in ["export", "schema", "cost", "plan"] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let output = Command::new(adfctl_bin())
        .args(["completions", "tcsh"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
}
