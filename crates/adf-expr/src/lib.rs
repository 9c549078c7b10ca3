//! Azure Data Factory's expression language, as a pure library.
//!
//! A string property is a literal, an expression (`"@pipeline().parameters.path"`, whose value
//! may be of any JSON type) or text with interpolations (`"out/@{pipeline().RunId}.csv"`, always
//! a string). `@@` at the start, and `@@{` anywhere, escape a literal `@`. ADF's object form
//! `{"value": "@...", "type": "Expression"}` is an expression too.
//!
//! - [`parse`] and [`check_syntax`]: the validator's entry points. Function names and argument
//!   counts are checked at parse time.
//! - [`evaluate`] and [`evaluate_value`]: the emulator's, against a [`Context`] (or the map-based
//!   [`Bindings`]).
//!
//! ```
//! use adf_expr::{Bindings, evaluate, parse};
//! use serde_json::json;
//!
//! let mut bindings = Bindings::new(time::macros::datetime!(2026-11-28 07:31:00 UTC));
//! bindings.pipeline_parameters.insert("name".into(), json!("sales"));
//! let template = parse("@concat(toUpper(pipeline().parameters.name), '_', utcNow('yyyyMMdd'))").unwrap();
//! assert_eq!(evaluate(&template, &bindings).unwrap(), json!("SALES_20261128"));
//! ```
//!
//! Architecture invariant: no I/O, no clock, no randomness: `utcNow()` and `guid()` read the
//! context. Every input is bounded (length, nesting depth, result size), so no input panics or
//! exhausts memory. Error messages never quote runtime values, which may be secrets.
//!
//! What the emulator supports, and what it does not, is in `docs/expressions.md`.

mod context;
mod datetime;
mod error;
mod eval;
mod functions;
mod syntax;
mod timezone;
mod value;
mod xml;

use serde_json::Value;

pub use context::{Bindings, Context, GuidSource, Scope};
pub use error::{ErrorKind, ExprError};
pub use eval::evaluate;
pub use functions::{
    FUNCTIONS, FunctionSpec, MAX_RANGE, MAX_RESULT_BYTES, lookup as lookup_function,
};
pub use syntax::{MAX_DEPTH, MAX_LENGTH, Reference, Template, parse};

/// Checks a property string's syntax, function names and argument counts without evaluating it.
pub fn check_syntax(text: &str) -> Result<(), ExprError> {
    parse(text).map(|_| ())
}

/// The string inside ADF's `{"value": "...", "type": "Expression"}` form, if `object` is one.
fn expression_object(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    if object.len() == 2 && object.get("type").and_then(Value::as_str) == Some("Expression") {
        object.get("value").and_then(Value::as_str)
    } else {
        None
    }
}

fn is_secure_string(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("SecureString")
}

/// True when evaluating `value` would run an expression: a string starting with a single `@`
/// or holding an `@{...}` part (including an invalid one), or an
/// `{"value": ..., "type": "Expression"}` object. Not recursive.
pub fn is_expression(value: &Value) -> bool {
    match value {
        Value::String(text) => parse(text).map_or(true, |template| !template.is_literal()),
        other => expression_object(other).is_some(),
    }
}

/// Evaluates every expression in a JSON document (e.g. an activity's `typeProperties`):
/// strings are parsed and evaluated (literals come back unescaped), expression objects are
/// replaced by their value, `{"type": "SecureString", ...}` objects and everything else are
/// copied unchanged. An error's `path` is the JSON pointer
/// of the failing property.
///
/// It evaluates everything it is given: pass the properties of one activity, not the nested
/// activities of a ForEach or IfCondition, whose expressions need their own context.
pub fn evaluate_value(value: &Value, context: &dyn Context) -> Result<Value, ExprError> {
    let mut path = String::new();
    walk(value, context, &mut path)
}

fn walk(value: &Value, context: &dyn Context, path: &mut String) -> Result<Value, ExprError> {
    let at_path = |mut error: ExprError, path: &str| {
        error.path = path.to_string();
        error
    };
    if let Some(text) = expression_object(value) {
        let template = parse(text).map_err(|error| at_path(error, path))?;
        return evaluate(&template, context).map_err(|error| at_path(error, path));
    }
    if is_secure_string(value) {
        // A secret is a literal: never parse it (and never echo it in an error).
        return Ok(value.clone());
    }
    match value {
        Value::String(text) => {
            let template = parse(text).map_err(|error| at_path(error, path))?;
            evaluate(&template, context).map_err(|error| at_path(error, path))
        }
        Value::Array(items) => {
            let mut result = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("/{index}"));
                result.push(walk(item, context, path)?);
                path.truncate(length);
            }
            Ok(Value::Array(result))
        }
        Value::Object(object) => {
            let mut result = serde_json::Map::new();
            for (key, item) in object {
                let length = path.len();
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                result.insert(key.clone(), walk(item, context, path)?);
                path.truncate(length);
            }
            Ok(Value::Object(result))
        }
        other => Ok(other.clone()),
    }
}
