//! Evaluation of a parsed [`Template`] against a [`Context`].

use serde_json::{Map, Value};

use crate::context::{Context, Scope};
use crate::error::ExprError;
use crate::functions::{Call, Imp, MAX_RESULT_BYTES};
use crate::syntax::{Body, Expr, ExprKind, Key, Part, Template};
use crate::value::{closest, get_key, to_text, type_name};

/// Evaluates a parsed property string: a literal gives its text, `@expr` gives the
/// expression's value (of any type), an interpolation gives a string.
pub fn evaluate(template: &Template, context: &dyn Context) -> Result<Value, ExprError> {
    let evaluator = Evaluator {
        source: template.source(),
        context,
    };
    match template.body() {
        Body::Literal(text) => Ok(Value::String(text.clone())),
        Body::Expression(expr) => evaluator.eval(expr),
        Body::Interpolation(parts) => {
            let mut text = String::new();
            for part in parts {
                match part {
                    Part::Text(literal) => text.push_str(literal),
                    Part::Expression(expr) => text.push_str(&to_text(&evaluator.eval(expr)?)),
                }
                if text.len() > MAX_RESULT_BYTES {
                    return Err(ExprError::evaluation(
                        evaluator.source,
                        0,
                        format!("the interpolated string is larger than {MAX_RESULT_BYTES} bytes"),
                    ));
                }
            }
            Ok(Value::String(text))
        }
    }
}

struct Evaluator<'a> {
    source: &'a str,
    context: &'a dyn Context,
}

fn scope_object(context: &dyn Context, scope: Scope) -> Map<String, Value> {
    context
        .names(scope)
        .into_iter()
        .filter_map(|name| context.lookup(scope, &name).map(|value| (name, value)))
        .collect()
}

fn did_you_mean(wanted: &str, names: &[String]) -> Option<String> {
    closest(wanted, names.iter().map(String::as_str)).map(|name| format!("did you mean '{name}'?"))
}

fn quoted_list(names: &[String]) -> String {
    names.join(", ")
}

impl Evaluator<'_> {
    fn error(&self, position: usize, message: impl Into<String>) -> ExprError {
        ExprError::evaluation(self.source, position, message)
    }

    fn eval(&self, expr: &Expr) -> Result<Value, ExprError> {
        match &expr.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(flag) => Ok(Value::Bool(*flag)),
            ExprKind::Int(int) => Ok(Value::from(*int)),
            ExprKind::Float(float) => {
                Ok(serde_json::Number::from_f64(*float).map_or(Value::Null, Value::Number))
            }
            ExprKind::Str(text) => Ok(Value::String(text.clone())),
            ExprKind::Call { function, args } => {
                self.call(function.name, function.imp, args, expr.position)
            }
            ExprKind::Member {
                target,
                key,
                null_safe,
            } => {
                let target_value = self.eval(target)?;
                let key_value = match key {
                    Key::Name(name) => Value::String(name.clone()),
                    Key::Index(index) => self.eval(index)?,
                };
                self.select(target_value, &key_value, *null_safe, expr.position)
            }
        }
    }

    fn boolean(&self, function: &str, index: usize, arg: &Expr) -> Result<bool, ExprError> {
        match self.eval(arg)? {
            Value::Bool(flag) => Ok(flag),
            other => Err(self
                .error(
                    arg.position,
                    format!(
                        "the function '{function}' expects its {} parameter to be a Boolean; the provided value is of type '{}'",
                        ["first", "second", "third"].get(index).copied().unwrap_or("next"),
                        type_name(&other)
                    ),
                )
                .with_hint(Some("compare values with equals(), greater(), ... to get a Boolean".to_string()))),
        }
    }

    fn name_argument(&self, function: &str, arg: &Expr) -> Result<String, ExprError> {
        match self.eval(arg)? {
            Value::String(name) => Ok(name),
            other => Err(self.error(
                arg.position,
                format!(
                    "the function '{function}' expects its parameter to be a string; the provided value is of type '{}'",
                    type_name(&other)
                ),
            )),
        }
    }

    fn call(
        &self,
        name: &'static str,
        imp: Imp,
        args: &[Expr],
        position: usize,
    ) -> Result<Value, ExprError> {
        match imp {
            Imp::If => {
                let branch = if self.boolean(name, 0, &args[0])? { &args[1] } else { &args[2] };
                self.eval(branch)
            }
            Imp::And | Imp::Or => {
                let stop_at = matches!(imp, Imp::Or);
                for (index, arg) in args.iter().enumerate() {
                    if self.boolean(name, index, arg)? == stop_at {
                        return Ok(Value::Bool(stop_at));
                    }
                }
                Ok(Value::Bool(!stop_at))
            }
            Imp::Pipeline => {
                let mut object = scope_object(self.context, Scope::System);
                object.insert(
                    "parameters".to_string(),
                    Value::Object(scope_object(self.context, Scope::PipelineParameter)),
                );
                object.insert(
                    "globalParameters".to_string(),
                    Value::Object(scope_object(self.context, Scope::GlobalParameter)),
                );
                Ok(Value::Object(object))
            }
            Imp::Dataset => Ok(Value::Object(scope_object(self.context, Scope::DatasetParameter))),
            Imp::LinkedService => Ok(Value::Object(scope_object(self.context, Scope::LinkedServiceParameter))),
            Imp::Trigger => Ok(Value::Object(scope_object(self.context, Scope::Trigger))),
            Imp::Item => self.context.item().ok_or_else(|| {
                self.error(position, "item() has no value here")
                    .with_hint(Some("item() is only defined inside a ForEach activity's activities or a Filter's condition".to_string()))
            }),
            Imp::Variables => {
                let variable = self.name_argument(name, &args[0])?;
                self.context.lookup(Scope::Variable, &variable).ok_or_else(|| {
                    let names = self.context.names(Scope::Variable);
                    let message = if names.is_empty() {
                        format!("the variable '{variable}' is not defined; the pipeline declares no variables")
                    } else {
                        format!("the variable '{variable}' is not defined; declared variables are '{}'", quoted_list(&names))
                    };
                    self.error(args[0].position, message).with_hint(did_you_mean(&variable, &names))
                })
            }
            Imp::Activity => {
                let activity = self.name_argument(name, &args[0])?;
                self.context.lookup(Scope::Activity, &activity).ok_or_else(|| {
                    let names = self.context.names(Scope::Activity);
                    self.error(
                        args[0].position,
                        format!("the output of activity '{activity}' can't be referenced since it is either not an ancestor to the current activity or does not exist"),
                    )
                    .with_hint(did_you_mean(&activity, &names))
                })
            }
            Imp::Unsupported => Err(self
                .error(position, format!("the function '{name}' is not supported by the emulator"))
                .with_hint(Some("it is valid ADF and runs in Azure; docs/expressions.md lists what the emulator can run".to_string()))),
            Imp::Pure(function) => {
                let values = args.iter().map(|arg| self.eval(arg)).collect::<Result<Vec<_>, _>>()?;
                let call = Call {
                    name,
                    args: &values,
                    context: self.context,
                };
                function(&call).map_err(|fail| {
                    let at = fail.argument.and_then(|index| args.get(index)).map_or(position, |arg| arg.position);
                    self.error(at, fail.message).with_hint(fail.hint)
                })
            }
        }
    }

    fn select(
        &self,
        target: Value,
        key: &Value,
        null_safe: bool,
        position: usize,
    ) -> Result<Value, ExprError> {
        let key_text = match key {
            Value::String(text) => text.clone(),
            other => to_text(other),
        };
        match (target, key) {
            (Value::Object(object), Value::String(name)) => match get_key(&object, name) {
                Some(value) => Ok(value.clone()),
                None if null_safe => Ok(Value::Null),
                None => {
                    let names: Vec<String> = object.keys().cloned().collect();
                    let message = if names.is_empty() {
                        format!("property '{name}' doesn't exist, the object has no properties")
                    } else {
                        format!("property '{name}' doesn't exist, available properties are '{}'", quoted_list(&names))
                    };
                    let hint = did_you_mean(name, &names)
                        .or_else(|| Some("use '?.' (e.g. output?.name) to get null instead of an error when a property may be missing".to_string()));
                    Err(self.error(position, message).with_hint(hint))
                }
            },
            (Value::Array(items), Value::Number(number)) => {
                let index = number.as_i64().filter(|_| number.is_i64() || number.is_u64());
                match index.and_then(|i| usize::try_from(i).ok()).and_then(|i| items.get(i)) {
                    Some(value) => Ok(value.clone()),
                    None if null_safe => Ok(Value::Null),
                    None if number.is_f64() => Err(self.error(position, "an array index must be an integer")),
                    None if items.is_empty() => Err(self.error(position, format!("array index '{number}' is outside the bounds of an empty array"))),
                    None => Err(self.error(
                        position,
                        format!("array index '{number}' is outside bounds (0, {}) of array", items.len() - 1),
                    )),
                }
            }
            (Value::Null, _) if null_safe => Ok(Value::Null),
            (Value::Array(_), _) => Err(self
                .error(position, format!("property '{key_text}' cannot be selected: property selection is not supported on values of type 'Array'"))
                .with_hint(Some("select an element with an integer index like [0], or use first()".to_string()))),
            (Value::Object(_), other) => Err(self.error(
                position,
                format!("an object cannot be indexed with a value of type '{}'; use a property name", type_name(other)),
            )),
            (other, _) => {
                let hint = other
                    .is_null()
                    .then(|| "use '?.' or '?[...]' to get null instead of an error when a value may be null".to_string());
                Err(self
                    .error(
                        position,
                        format!(
                            "property '{key_text}' cannot be selected: property selection is not supported on values of type '{}'",
                            type_name(&other)
                        ),
                    )
                    .with_hint(hint))
            }
        }
    }
}
