//! A small YAML writer for specs: block style, keys in a stable order (`name`, `referenceName` and `type`
//! first, then alphabetical), strings quoted whenever the reader could take them for anything
//! but that string, and `${` escaped as `$${` so that no value is read as a variable.

use serde_json::Value;
use std::fmt::Write;

/// Keys written first, in this order, in every mapping; the rest follow alphabetically.
const FIRST_KEYS: [&str; 3] = ["name", "referenceName", "type"];

/// Writes `value` (a mapping) as a YAML block at indentation 0.
pub(crate) fn document(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, value, 0),
        other => {
            let _ = writeln!(out, "{}", inline(other));
        }
    }
    out
}

/// The keys of a mapping in the order they are written.
pub(crate) fn ordered_keys(map: &serde_json::Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| {
        let rank = |k: &str| {
            FIRST_KEYS
                .iter()
                .position(|f| *f == k)
                .unwrap_or(FIRST_KEYS.len())
        };
        rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
    });
    keys
}

fn mapping(out: &mut String, value: &Value, indent: usize) {
    let Value::Object(map) = value else { return };
    for key in ordered_keys(map) {
        let child = &map[key];
        let pad = " ".repeat(indent);
        let _ = write!(out, "{pad}{}:", key_text(key));
        block_value(out, child, indent);
    }
}

/// Writes what follows `key:` (or `- `): inline for scalars and empty collections, a nested
/// block otherwise.
fn block_value(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, value, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent);
        }
        other => {
            let _ = writeln!(out, " {}", inline(other));
        }
    }
}

/// Sequence items at the parent key's indentation (`key:\n- item`), as the examples do.
fn sequence(out: &mut String, items: &[Value], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Value::Object(map) if !map.is_empty() => {
                // `- first: ...` then the other keys aligned under it.
                let keys = ordered_keys(map);
                for (index, key) in keys.iter().enumerate() {
                    let lead = if index == 0 {
                        format!("{pad}- ")
                    } else {
                        format!("{pad}  ")
                    };
                    let _ = write!(out, "{lead}{}:", key_text(key));
                    block_value(out, &map[*key], indent + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                let _ = write!(out, "{pad}-");
                // A nested list: a flow sequence keeps it on one line and unambiguous.
                let _ = writeln!(out, " {}", inline(item));
                let _ = inner;
            }
            other => {
                let _ = writeln!(out, "{pad}- {}", inline(other));
            }
        }
    }
}

/// A value on one line: scalars, or a flow collection (JSON syntax, which is YAML).
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(text) => string(text),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            ordered_keys(map)
                .into_iter()
                .map(|k| format!("{}: {}", json_quote(k), inline(&map[k])))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string value: `${` escaped, then plain when that reads back as the same string, JSON
/// double-quoted otherwise.
pub(crate) fn string(text: &str) -> String {
    let text = text.replace("${", "$${");
    if is_plain_safe(&text) {
        text
    } else {
        json_quote(&text)
    }
}

fn key_text(key: &str) -> String {
    // Keys are never substituted, so no `$${` here.
    if is_plain_safe(key) {
        key.to_owned()
    } else {
        json_quote(key)
    }
}

fn json_quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{}\"", text.escape_default()))
}

/// Conservative: a letter or `_` first, then letters, digits and `_ - . /` and single inner
/// spaces; and not a word YAML (any version) reads as something else.
fn is_plain_safe(text: &str) -> bool {
    const WORDS: [&str; 11] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "nan",
    ];
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    if text.ends_with(' ') || text.contains("  ") {
        return false;
    }
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(text)) {
        return false;
    }
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_what_would_read_back_differently() {
        for (text, expected) in [
            ("copyPipeline", "copyPipeline"),
            ("adfv2tutorial/input", "adfv2tutorial/input"),
            ("true", "\"true\""),
            ("No", "\"No\""),
            ("12", "\"12\""),
            ("@pipeline().parameters.x", "\"@pipeline().parameters.x\""),
            ("a: b", "\"a: b\""),
            ("", "\"\""),
            ("${env:X}", "\"$${env:X}\""),
            ("line\nbreak", "\"line\\nbreak\""),
        ] {
            assert_eq!(string(text), expected, "{text}");
        }
    }

    #[test]
    fn writes_blocks_with_name_and_type_first() {
        let value = json!({"pipelines": {"p": {"activities": [
            {"typeProperties": {"waitTimeInSeconds": 1}, "type": "Wait", "name": "w", "dependsOn": []}
        ], "parameters": {}}}});
        assert_eq!(
            document(&value),
            "pipelines:\n  p:\n    activities:\n    - name: w\n      type: Wait\n      dependsOn: []\n      typeProperties:\n        waitTimeInSeconds: 1\n    parameters: {}\n"
        );
    }
}
