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
    visit_pointers(body, &mut String::new(), &mut |pointer, value| {
        let secure = is_secure_string(value) && value.get("value").is_some();
        if secure {
            pointers.push(format!("{pointer}/value"));
        }
        !secure
    });
    pointers
}

/// Calls `visit` with the JSON pointer of every value inside `value` (itself included), depth
/// first; `visit` answers whether to look inside the value.
fn visit_pointers(
    value: &Value,
    pointer: &mut String,
    visit: &mut dyn FnMut(&str, &Value) -> bool,
) {
    if !visit(pointer, value) {
        return;
    }
    // Tokens are written into `pointer` itself: the planner walks every body, and a string
    // per key was most of that walk's time.
    let len = pointer.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointer.push('/');
                push_escaped_token(pointer, key);
                visit_pointers(child, pointer, visit);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                use std::fmt::Write as _;
                let _ = write!(pointer, "/{index}");
                visit_pointers(child, pointer, visit);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Appends `token` escaped as [`escape_pointer_token`] does, without a string of its own.
fn push_escaped_token(pointer: &mut String, token: &str) {
    if !token.contains(['~', '/']) {
        pointer.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Escapes one JSON-pointer reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A copy of `body` with every value at `pointers`, and every `SecureString` value, replaced by
/// [`REDACTED`], and the credential parts of plain connection strings too
/// (`AccountKey=(sensitive value)`). This is the only form of a body that may reach a log, a
/// plan or an error.
pub fn redact(body: &Value, pointers: &[String]) -> Value {
    let mut copy = body.clone();
    redact_in_place(&mut copy, pointers);
    copy
}

/// [`redact`] without the copy: `body` itself is redacted (the planner redacts the bodies it
/// has just normalised, which nothing else holds).
pub fn redact_in_place(body: &mut Value, pointers: &[String]) {
    // SecureString values first, then the pointers: the same result as replacing the pointers
    // first and then the SecureString values found in the body as it was.
    replace_secure_strings(body, REDACTED);
    for pointer in pointers {
        if let Some(slot) = body.pointer_mut(pointer) {
            *slot = Value::String(REDACTED.to_owned());
        }
    }
    for_each_connection_string(body, &mut |text| {
        connection_string::redact(text).unwrap_or_else(|| text.to_owned())
    });
}

/// Replaces the `value` of every `SecureString` object inside `value` (not looking inside a
/// replaced one), as [`secure_string_pointers`] finds them, without building their pointers.
fn replace_secure_strings(value: &mut Value, with: &str) {
    match value {
        Value::Object(map) => {
            let secure = map.get("type").and_then(Value::as_str) == Some("SecureString");
            if secure && let Some(slot) = map.get_mut("value") {
                *slot = Value::String(with.to_owned());
                return;
            }
            map.values_mut()
                .for_each(|child| replace_secure_strings(child, with));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| replace_secure_strings(child, with)),
        _ => {}
    }
}

/// A copy of `body` as ARM returns it: every secret value replaced by [`ARM_MASK`], and the
/// credential parts of plain connection strings removed (ARM-FACTS §12: ARM keeps them in the
/// linked service's `encryptedCredential` instead).
pub fn mask_like_arm(body: &Value, pointers: &[String]) -> Value {
    let mut copy = replace_all(body, pointers, ARM_MASK);
    strip_connection_string_credentials(&mut copy);
    copy
}

/// Removes the credential parts of every plain connection string in `body`, as ARM does.
pub fn strip_connection_string_credentials(body: &mut Value) {
    for_each_connection_string(body, &mut |text| {
        connection_string::strip(text).unwrap_or_else(|| text.to_owned())
    });
}

/// The credential parts of the plain connection strings in `body`, as (label, value) pairs:
/// the label is the JSON pointer of the string, `#`, and the part's key
/// (`/properties/typeProperties/connectionString#AccountKey`). Never print the values.
pub fn connection_string_credentials(body: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    walk_connection_strings(body, &mut |pointer, text| {
        for (key, value) in connection_string::credentials(text) {
            found.push((format!("{pointer}#{key}"), value.to_owned()));
        }
    });
    found
}

/// Calls `visit` with the JSON pointer and text of every plain-string `connectionString`.
pub fn walk_connection_strings(value: &Value, visit: &mut dyn FnMut(&str, &str)) {
    let suffix = format!("/{}", connection_string::KEY);
    visit_pointers(value, &mut String::new(), &mut |pointer, value| {
        match value {
            Value::String(text) if pointer.ends_with(&suffix) => visit(pointer, text),
            _ => {}
        }
        true
    });
}

/// Replaces every plain-string `connectionString` in `value` by what `rewrite` makes of it.
pub fn for_each_connection_string(value: &mut Value, rewrite: &mut dyn FnMut(&str) -> String) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if key == connection_string::KEY => {
                        *text = rewrite(text);
                    }
                    _ => for_each_connection_string(child, rewrite),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| for_each_connection_string(child, rewrite)),
        _ => {}
    }
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

/// Connection strings (`Key=value;Key=value;`) and the credential parts ARM takes out of them.
pub mod connection_string {
    /// The property name under which linked services hold a connection string.
    pub const KEY: &str = "connectionString";

    /// Keys (compared without case) whose values are credentials. ARM removes `AccountKey`
    /// and SQL passwords from a plain connection string and keeps them in the linked service's
    /// `encryptedCredential` (ARM-FACTS §12, PS TestPipelineV2 and
    /// TestSsisAzureIntegrationRuntime; terraform-provider-azurerm suppresses the diff of SQL
    /// passwords). The shared-access keys and signatures are treated alike: adfctl never shows
    /// them, and compares connection strings without them.
    pub const CREDENTIAL_KEYS: [&str; 5] = [
        "AccountKey",
        "Password",
        "Pwd",
        "SharedAccessKey",
        "SharedAccessSignature",
    ];

    /// One `key=value` part: byte ranges into the text, the separator excluded.
    struct Part {
        start: usize,
        end: usize,
        key_end: Option<usize>,
    }

    /// Splits on `;` outside quoted values: `Password="a;b"` and `'a;b'` (a doubled quote
    /// inside is a quote), and ODBC's `PWD={a;b}`.
    fn parts(text: &str) -> Vec<Part> {
        let mut parts = Vec::new();
        let bytes = text.as_bytes();
        let (mut start, mut index) = (0, 0);
        let mut key_end = None;
        let mut quote: Option<u8> = None;
        while index < bytes.len() {
            let byte = bytes[index];
            match quote {
                // A doubled quote is an escaped one (`"a""b"`, ODBC's `{a}}b}`), not the end.
                Some(q) if byte == q && bytes.get(index + 1) == Some(&q) => {
                    index += 1;
                }
                Some(q) if byte == q => quote = None,
                Some(_) => {}
                None => match byte {
                    b'=' if key_end.is_none() => {
                        key_end = Some(index);
                        let value_start = text[index + 1..]
                            .find(|c: char| !c.is_whitespace())
                            .map(|offset| index + 1 + offset);
                        if let Some(at) = value_start
                            && matches!(bytes[at], b'"' | b'\'' | b'{')
                        {
                            quote = Some(if bytes[at] == b'{' { b'}' } else { bytes[at] });
                            index = at;
                        }
                    }
                    b';' => {
                        parts.push(Part {
                            start,
                            end: index,
                            key_end,
                        });
                        start = index + 1;
                        key_end = None;
                    }
                    _ => {}
                },
            }
            index += 1;
        }
        if start < bytes.len() {
            parts.push(Part {
                start,
                end: bytes.len(),
                key_end,
            });
        }
        parts
    }

    fn is_credential(key: &str) -> bool {
        let key = key.trim();
        CREDENTIAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
    }

    /// The credential parts of `text`: (key as written, value).
    pub fn credentials(text: &str) -> Vec<(&str, &str)> {
        parts(text)
            .into_iter()
            .filter_map(|part| {
                let key_end = part.key_end?;
                let key = &text[part.start..key_end];
                is_credential(key).then(|| (key.trim(), &text[key_end + 1..part.end]))
            })
            .collect()
    }

    /// `text` with each credential part's value passed through `replace` (removed when it
    /// answers `None`), or `None` when it has no credential part.
    fn rewrite(text: &str, replace: impl Fn(&str) -> Option<String>) -> Option<String> {
        let parts = parts(text);
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        let mut cursor = 0;
        for part in &parts {
            let Some(key_end) = part.key_end else {
                continue;
            };
            if !is_credential(&text[part.start..key_end]) {
                continue;
            }
            changed = true;
            out.push_str(&text[cursor..part.start]);
            // The part and the `;` after it (if any).
            cursor = (part.end + 1).min(text.len());
            if let Some(value) = replace(&text[part.start..key_end]) {
                out.push_str(&text[part.start..=key_end]);
                out.push_str(&value);
                out.push_str(&text[part.end..cursor]);
            }
        }
        out.push_str(&text[cursor..]);
        changed.then_some(out)
    }

    /// `text` without its credential parts (each with its `;`), as ARM stores it; `None` when
    /// it has none.
    pub fn strip(text: &str) -> Option<String> {
        rewrite(text, |_| None)
    }

    /// `text` with each credential value replaced by [`super::REDACTED`]; `None` when it has
    /// none.
    pub fn redact(text: &str) -> Option<String> {
        rewrite(text, |_| Some(super::REDACTED.to_owned()))
    }

    /// The public cloud's storage endpoint suffix, which ARM appended to `AzureStorage`
    /// connection strings that had none (PS TestPipelineRunV2, 2020; not in 2018-2019
    /// recordings): a string with it means the same as one without.
    const DEFAULT_ENDPOINT_SUFFIX: &str = "EndpointSuffix=core.windows.net";

    /// The same connection string for comparison: credentials removed, the default endpoint
    /// suffix removed, and no trailing `;`.
    pub fn comparable(text: &str) -> String {
        let stripped = strip(text);
        let text = stripped.as_deref().unwrap_or(text);
        let mut out = String::with_capacity(text.len());
        for part in parts(text) {
            let piece = text[part.start..part.end].trim();
            if piece.is_empty() || piece.eq_ignore_ascii_case(DEFAULT_ENDPOINT_SUFFIX) {
                continue;
            }
            out.push_str(&text[part.start..part.end]);
            out.push(';');
        }
        out.trim_end_matches(';').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn connection_string_credentials_are_stripped_as_arm_does() {
        // PS TestPipelineV2 (ARM-FACTS §12): the key and its `;` go, the rest stays as sent.
        let sent = "DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey=myfakekey;";
        assert_eq!(
            connection_string::strip(sent).as_deref(),
            Some("DefaultEndpointsProtocol=https;AccountName=myaccount;")
        );
        assert_eq!(
            connection_string::strip("Server=s;User ID=u;password=\"p;w=d\";Encrypt=True")
                .as_deref(),
            Some("Server=s;User ID=u;Encrypt=True")
        );
        assert_eq!(
            connection_string::strip("A=1;AccountKey=k==").as_deref(),
            Some("A=1;")
        );
        // ODBC braces and doubled quotes keep a `;` inside the value.
        assert_eq!(
            connection_string::strip("Driver={x};PWD={p}}w;c};Server=s").as_deref(),
            Some("Driver={x};Server=s")
        );
        assert_eq!(
            connection_string::strip("Password=\"a\"\"b;c\";Server=s").as_deref(),
            Some("Server=s")
        );
        let odbc = connection_string::redact("PWD={p;w};Server=s").unwrap_or_default();
        assert!(!odbc.contains("p;w") && !odbc.contains("w}"), "{odbc}");
        assert_eq!(connection_string::strip("UseDevelopmentStorage=true"), None);
        assert_eq!(
            connection_string::redact(sent).as_deref(),
            Some(
                "DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey=(sensitive value);"
            )
        );
        assert_eq!(
            connection_string::comparable("A=1;AccountKey=k"),
            connection_string::comparable("A=1;")
        );
        // PS TestPipelineRunV2 (2020): ARM appended the default suffix.
        assert_eq!(
            connection_string::comparable(sent),
            connection_string::comparable(
                "DefaultEndpointsProtocol=https;AccountName=myaccount;EndpointSuffix=core.windows.net;"
            )
        );
        assert_ne!(
            connection_string::comparable("AccountName=a;EndpointSuffix=core.chinacloudapi.cn"),
            connection_string::comparable("AccountName=a")
        );
        let body = json!({"properties": {"typeProperties": {"connectionString": sent}}});
        assert_eq!(
            connection_string_credentials(&body),
            vec![(
                "/properties/typeProperties/connectionString#AccountKey".to_owned(),
                "myfakekey".to_owned()
            )]
        );
        let masked = mask_like_arm(&body, &[]);
        assert!(!masked.to_string().contains("myfakekey"));
        let redacted = redact(&body, &[]);
        assert!(!redacted.to_string().contains("myfakekey"));
        assert!(
            redacted
                .to_string()
                .contains("AccountKey=(sensitive value)")
        );
    }

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
