//! Secret handling shared by every output path: finding, redacting and masking secret values.
//!
//! A secret is any JSON value a [`crate::DesiredResource`] lists in its `secrets` pointers, and
//! any `value` of an ADF `{"type": "SecureString", "value": …}` object wherever it appears.

use serde_json::Value;

/// What adfctl prints in place of a secret value.
pub const REDACTED: &str = "(sensitive value)";

/// What ARM returns in place of a `SecureString` value on GET and list (ten asterisks).
pub const ARM_MASK: &str = "**********";

/// Whether `value` is an ADF `SecureString` object.
pub fn is_secure_string(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("SecureString")
}

/// JSON pointers (RFC 6901) to the `value` of every `SecureString` object inside `body`.
pub fn secure_string_pointers(body: &Value) -> Vec<String> {
    let mut pointers = Vec::new();
    walk(body, &mut String::new(), &mut pointers);
    pointers
}

fn walk(value: &Value, pointer: &mut String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if is_secure_string(value) && map.contains_key("value") {
                out.push(format!("{pointer}/value"));
                return;
            }
            for (key, child) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(key));
                walk(child, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                walk(child, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Escapes one JSON-pointer reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A copy of `body` with every value at `pointers`, and every `SecureString` value, replaced by
/// [`REDACTED`]. This is the only form of a body that may reach a log, a plan or an error.
pub fn redact(body: &Value, pointers: &[String]) -> Value {
    replace_all(body, pointers, REDACTED)
}

/// A copy of `body` as ARM would return it: every secret value replaced by [`ARM_MASK`].
pub fn mask_like_arm(body: &Value, pointers: &[String]) -> Value {
    replace_all(body, pointers, ARM_MASK)
}

fn replace_all(body: &Value, pointers: &[String], with: &str) -> Value {
    let mut copy = body.clone();
    for pointer in pointers.iter().cloned().chain(secure_string_pointers(body)) {
        if let Some(slot) = copy.pointer_mut(&pointer) {
            *slot = Value::String(with.to_owned());
        }
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_and_redacts_secure_strings_and_listed_pointers() {
        let body = json!({"properties": {"typeProperties": {
            "connectionString": {"type": "SecureString", "value": "AccountKey=abc"},
            "password": "p@ss",
            "a/b": [{"type": "SecureString", "value": "x"}]
        }}});
        assert_eq!(
            secure_string_pointers(&body),
            vec![
                "/properties/typeProperties/connectionString/value".to_string(),
                "/properties/typeProperties/a~1b/0/value".to_string()
            ]
        );
        let redacted = redact(&body, &["/properties/typeProperties/password".into()]);
        let text = redacted.to_string();
        assert!(!text.contains("abc") && !text.contains("p@ss") && !text.contains("\"x\""));
        assert_eq!(
            redacted["properties"]["typeProperties"]["password"],
            REDACTED
        );
        let masked = mask_like_arm(&body, &[]);
        assert_eq!(
            masked["properties"]["typeProperties"]["connectionString"]["value"],
            ARM_MASK
        );
    }
}
