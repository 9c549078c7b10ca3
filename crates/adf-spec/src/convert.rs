//! Spanned YAML nodes to JSON: variable substitution, `secretFromEnv`, secret slots, and the
//! [`SourceMap`] of where each JSON value came from.

use crate::interpolate::{Scope, substitute};
use crate::sink::Sink;
use crate::sourcemap::SourceMap;
use crate::yaml::{self, Node, Value};
use adf_core::SecretSlot;
use adf_core::secret::escape_pointer_token;
use serde_json::{Map, Value as Json};

/// The key that takes a secret from the environment: `{secretFromEnv: NAME}`.
pub(crate) const SECRET_FROM_ENV: &str = "secretFromEnv";

/// Converts nodes to JSON, collecting the secret slots it creates and the position of every
/// value it converts.
pub(crate) struct Converter<'s, 'a, 'b> {
    pub scope: &'s Scope<'a>,
    pub sink: &'s mut Sink<'b>,
    pub secrets: Vec<SecretSlot>,
    pub source_map: SourceMap,
    /// An unset secret variable is a warning ([`crate::LoadOptions::secrets_optional`]).
    pub secrets_optional: bool,
}

impl Converter<'_, '_, '_> {
    /// Converts `node`, whose JSON pointer in the final body is `pointer`.
    pub fn convert(&mut self, node: &Node, pointer: &mut String) -> Json {
        self.source_map.record(pointer, node.pos);
        match &node.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String { text, plain } => self.string(node, text, *plain).0,
            Value::Seq(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        let len = pointer.len();
                        pointer.push('/');
                        pointer.push_str(&index.to_string());
                        let value = self.convert(item, pointer);
                        pointer.truncate(len);
                        value
                    })
                    .collect(),
            ),
            Value::Map(entries) => {
                if let Some((key, value)) = entries.iter().find(|(k, _)| k.text == SECRET_FROM_ENV)
                {
                    return self.secret_from_env(entries.len(), key.pos, value, pointer);
                }
                let secure = entries
                    .iter()
                    .any(|(k, v)| k.text == "type" && v.as_str() == Some("SecureString"));
                // Exactly sized: a map grown by inserts keeps up to half its entries spare.
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer_token(&key.text));
                    let json = if secure && key.text == "value" {
                        self.secure_value(value, pointer)
                    } else {
                        self.convert(value, pointer)
                    };
                    pointer.truncate(len);
                    map.insert(key.text.clone(), json);
                }
                Json::Object(map)
            }
        }
    }

    /// A string with `${...}` substituted; a plain scalar that was a single `${...}` is
    /// resolved again (so `batchCount: ${var:n}` gives a number). Returns the environment
    /// variables read.
    fn string(&mut self, node: &Node, text: &str, plain: bool) -> (Json, Vec<String>) {
        if !text.contains('$') {
            return (Json::String(text.to_owned()), Vec::new());
        }
        let result = substitute(text, self.scope, node.pos, self.sink);
        let json = if plain && result.sole {
            match yaml::resolve_plain(&result.text) {
                Value::Null => Json::Null,
                Value::Bool(b) => Json::Bool(b),
                Value::Number(n) => Json::Number(n),
                _ => Json::String(result.text),
            }
        } else {
            Json::String(result.text)
        };
        (json, result.env_used)
    }

    fn secure_value(&mut self, node: &Node, pointer: &str) -> Json {
        let Value::String { text, plain } = &node.value else {
            let mut pointer = pointer.to_owned();
            return self.convert(node, &mut pointer);
        };
        self.source_map.record(pointer, node.pos);
        let (json, env_used) = self.string(node, text, *plain);
        if !env_used.is_empty() {
            let from_env = (env_used.len() == 1
                && text.trim() == format!("${{env:{}}}", env_used[0]))
            .then(|| env_used[0].clone());
            self.secrets.push(SecretSlot {
                pointer: pointer.to_owned(),
                from_env,
            });
        }
        // A secret is always a string, even if it looks like a number.
        match json {
            Json::String(_) => json,
            Json::Null => Json::String(String::new()),
            other => Json::String(other.to_string()),
        }
    }

    fn secret_from_env(
        &mut self,
        entries: usize,
        pos: yaml::Pos,
        value: &Node,
        pointer: &str,
    ) -> Json {
        if entries != 1 {
            self.sink.error(
                "bad-secret",
                pos,
                format!("`{SECRET_FROM_ENV}` must be the only key of its mapping"),
                Some(format!(
                    "write `{{{SECRET_FROM_ENV}: NAME}}` where the secret goes"
                )),
            );
        }
        let name = value.as_str().unwrap_or_default();
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let mut secret = String::new();
        if !valid {
            self.sink.error(
                "bad-secret",
                value.pos,
                format!(
                    "`{SECRET_FROM_ENV}` needs the name of an environment variable, not {}",
                    describe(value)
                ),
                Some(format!(
                    "for example `{{{SECRET_FROM_ENV}: STORAGE_CONNECTION_STRING}}`"
                )),
            );
        } else {
            match self.scope.env.get(name) {
                Some(value) => secret.clone_from(value),
                None if self.secrets_optional => self.sink.warning(
                    "unset-env",
                    value.pos,
                    format!("environment variable `{name}` (a secret) is not set"),
                    Some(format!(
                        "fine here; plan and apply need it: export {name}=... before them"
                    )),
                ),
                None => self.sink.error(
                    "unset-env",
                    value.pos,
                    format!("environment variable `{name}` (a secret) is not set"),
                    Some(format!("export {name}=... before running adfctl")),
                ),
            }
        }
        self.secrets.push(SecretSlot {
            pointer: format!("{pointer}/value"),
            from_env: valid.then(|| name.to_owned()),
        });
        serde_json::json!({"type": "SecureString", "value": secret})
    }
}

/// `a string` / `a mapping` ... for messages; never quotes a value (it might be a secret).
pub(crate) fn describe(node: &Node) -> String {
    match node.as_str() {
        Some("") => "an empty string".into(),
        Some(text)
            if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && text.len() <= 64 =>
        {
            format!("`{text}`")
        }
        _ => node.type_name().into(),
    }
}
