//! ADF's function library: every documented function's name and argument count (so the
//! parser can check calls), and the implementations the emulator runs.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime, Time};

use crate::context::Context;
use crate::value::{self, Num, canonical_key, equal, float_value, to_text, type_name};
use crate::{datetime, timezone, xml as xmldoc};

/// Results longer than this (in bytes) are refused, so no expression can exhaust memory.
pub const MAX_RESULT_BYTES: usize = 64 * 1024 * 1024;
/// The most items `range()` may produce (ADF's ForEach limit).
pub const MAX_RANGE: i64 = 100_000;

/// How the evaluator runs a function.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Imp {
    /// Arguments are evaluated first, then the function runs on their values.
    Pure(fn(&Call<'_>) -> Result<Value, Fail>),
    /// Lazily evaluated: only the branch taken / the operands needed.
    If,
    And,
    Or,
    /// Context accessors.
    Pipeline,
    Variables,
    Activity,
    Item,
    Dataset,
    LinkedService,
    Trigger,
    /// A valid ADF function the emulator does not run (none today; kept so that a function ADF
    /// adds can be declared before it is implemented).
    #[allow(dead_code)]
    Unsupported,
}

/// One function of the language.
#[derive(Debug)]
pub struct FunctionSpec {
    /// The documented spelling (lookup ignores case, as ADF does).
    pub name: &'static str,
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments; `None` for any number.
    pub max: Option<usize>,
    /// How a call looks, for hints.
    pub usage: &'static str,
    pub(crate) imp: Imp,
}

impl FunctionSpec {
    /// True when the emulator can evaluate this function.
    pub fn is_supported(&self) -> bool {
        !matches!(self.imp, Imp::Unsupported)
    }

    pub(crate) fn arity_error(&self, given: usize) -> Option<String> {
        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
        match self.max {
            Some(max) if self.min == max && given != max => Some(format!(
                "the function '{}' expects {max} {} but was given {given}",
                self.name,
                plural(max)
            )),
            Some(max) if given < self.min || given > max => Some(format!(
                "the function '{}' expects {} to {max} arguments but was given {given}",
                self.name, self.min
            )),
            None if given < self.min => Some(format!(
                "the function '{}' expects at least {} {} but was given {given}",
                self.name,
                self.min,
                plural(self.min)
            )),
            _ => None,
        }
    }
}

const fn spec(
    name: &'static str,
    min: usize,
    max: Option<usize>,
    usage: &'static str,
    imp: Imp,
) -> FunctionSpec {
    FunctionSpec {
        name,
        min,
        max,
        usage,
        imp,
    }
}

const ANY: Option<usize> = None;
const fn upto(n: usize) -> Option<usize> {
    Some(n)
}

/// Every function of ADF's pipeline expression language, as documented.
pub static FUNCTIONS: &[FunctionSpec] = &[
    // Context accessors.
    spec(
        "pipeline",
        0,
        upto(0),
        "pipeline().parameters.name",
        Imp::Pipeline,
    ),
    spec("variables", 1, upto(1), "variables('name')", Imp::Variables),
    spec(
        "activity",
        1,
        upto(1),
        "activity('name').output",
        Imp::Activity,
    ),
    spec("item", 0, upto(0), "item()", Imp::Item),
    spec(
        "dataset",
        0,
        upto(0),
        "dataset().parameterName",
        Imp::Dataset,
    ),
    spec(
        "linkedService",
        0,
        upto(0),
        "linkedService().parameterName",
        Imp::LinkedService,
    ),
    spec(
        "trigger",
        0,
        upto(0),
        "trigger().outputs.windowStartTime",
        Imp::Trigger,
    ),
    // String functions.
    spec("concat", 1, ANY, "concat('a', 'b', ...)", Imp::Pure(concat)),
    spec(
        "endsWith",
        2,
        upto(2),
        "endsWith('text', 'searchText')",
        Imp::Pure(ends_with),
    ),
    spec("guid", 0, upto(1), "guid('format'?)", Imp::Pure(guid)),
    spec(
        "indexOf",
        2,
        upto(2),
        "indexOf('text', 'searchText')",
        Imp::Pure(index_of),
    ),
    spec(
        "lastIndexOf",
        2,
        upto(2),
        "lastIndexOf('text', 'searchText')",
        Imp::Pure(last_index_of),
    ),
    spec(
        "replace",
        3,
        upto(3),
        "replace('text', 'oldText', 'newText')",
        Imp::Pure(replace),
    ),
    spec(
        "split",
        2,
        upto(2),
        "split('text', 'delimiter')",
        Imp::Pure(split),
    ),
    spec(
        "startsWith",
        2,
        upto(2),
        "startsWith('text', 'searchText')",
        Imp::Pure(starts_with),
    ),
    spec(
        "substring",
        2,
        upto(3),
        "substring('text', startIndex, length)",
        Imp::Pure(substring),
    ),
    spec(
        "toLower",
        1,
        upto(1),
        "toLower('text')",
        Imp::Pure(to_lower),
    ),
    spec(
        "toUpper",
        1,
        upto(1),
        "toUpper('text')",
        Imp::Pure(to_upper),
    ),
    spec("trim", 1, upto(1), "trim('text')", Imp::Pure(trim)),
    // Collection functions.
    spec(
        "contains",
        2,
        upto(2),
        "contains(collection, value)",
        Imp::Pure(contains),
    ),
    spec("empty", 1, upto(1), "empty(collection)", Imp::Pure(empty)),
    spec("first", 1, upto(1), "first(collection)", Imp::Pure(first)),
    spec(
        "intersection",
        1,
        ANY,
        "intersection(collection1, collection2, ...)",
        Imp::Pure(intersection),
    ),
    spec(
        "join",
        2,
        upto(2),
        "join(array, 'delimiter')",
        Imp::Pure(join),
    ),
    spec("last", 1, upto(1), "last(collection)", Imp::Pure(last)),
    spec(
        "length",
        1,
        upto(1),
        "length(collection)",
        Imp::Pure(length),
    ),
    spec(
        "skip",
        2,
        upto(2),
        "skip(collection, count)",
        Imp::Pure(skip),
    ),
    spec(
        "take",
        2,
        upto(2),
        "take(collection, count)",
        Imp::Pure(take),
    ),
    spec(
        "union",
        1,
        ANY,
        "union(collection1, collection2, ...)",
        Imp::Pure(union),
    ),
    // Logical functions.
    spec("and", 2, ANY, "and(expression1, expression2)", Imp::And),
    spec(
        "equals",
        2,
        upto(2),
        "equals(value1, value2)",
        Imp::Pure(equals),
    ),
    spec(
        "greater",
        2,
        upto(2),
        "greater(value, compareTo)",
        Imp::Pure(greater),
    ),
    spec(
        "greaterOrEquals",
        2,
        upto(2),
        "greaterOrEquals(value, compareTo)",
        Imp::Pure(greater_or_equals),
    ),
    spec(
        "if",
        3,
        upto(3),
        "if(condition, valueIfTrue, valueIfFalse)",
        Imp::If,
    ),
    spec(
        "less",
        2,
        upto(2),
        "less(value, compareTo)",
        Imp::Pure(less),
    ),
    spec(
        "lessOrEquals",
        2,
        upto(2),
        "lessOrEquals(value, compareTo)",
        Imp::Pure(less_or_equals),
    ),
    spec("not", 1, upto(1), "not(expression)", Imp::Pure(not)),
    spec("or", 2, ANY, "or(expression1, expression2)", Imp::Or),
    // Conversion functions.
    spec("array", 1, upto(1), "array(value)", Imp::Pure(array)),
    spec("base64", 1, upto(1), "base64('text')", Imp::Pure(base64)),
    spec(
        "base64ToBinary",
        1,
        upto(1),
        "base64ToBinary('base64')",
        Imp::Pure(base64_to_binary),
    ),
    spec(
        "base64ToString",
        1,
        upto(1),
        "base64ToString('base64')",
        Imp::Pure(base64_to_string),
    ),
    spec("binary", 1, upto(1), "binary('text')", Imp::Pure(binary)),
    spec("bool", 1, upto(1), "bool(value)", Imp::Pure(boolean)),
    spec(
        "coalesce",
        1,
        ANY,
        "coalesce(value1, value2, ...)",
        Imp::Pure(coalesce),
    ),
    spec(
        "createArray",
        0,
        ANY,
        "createArray(value1, value2, ...)",
        Imp::Pure(create_array),
    ),
    spec(
        "dataUri",
        1,
        upto(1),
        "dataUri('text')",
        Imp::Pure(data_uri),
    ),
    spec(
        "dataUriToBinary",
        1,
        upto(1),
        "dataUriToBinary('dataUri')",
        Imp::Pure(data_uri_to_binary),
    ),
    spec(
        "dataUriToString",
        1,
        upto(1),
        "dataUriToString('dataUri')",
        Imp::Pure(data_uri_to_string),
    ),
    spec(
        "decodeBase64",
        1,
        upto(1),
        "decodeBase64('base64')",
        Imp::Pure(base64_to_string),
    ),
    spec(
        "decodeDataUri",
        1,
        upto(1),
        "decodeDataUri('dataUri')",
        Imp::Pure(data_uri_to_binary),
    ),
    spec(
        "decodeUriComponent",
        1,
        upto(1),
        "decodeUriComponent('text')",
        Imp::Pure(uri_component_to_string),
    ),
    spec(
        "encodeUriComponent",
        1,
        upto(1),
        "encodeUriComponent('text')",
        Imp::Pure(uri_component),
    ),
    spec("float", 1, upto(1), "float('10.5')", Imp::Pure(float)),
    spec("int", 1, upto(1), "int('10')", Imp::Pure(int)),
    spec("json", 1, upto(1), "json('{\"a\": 1}')", Imp::Pure(json)),
    spec("string", 1, upto(1), "string(value)", Imp::Pure(string)),
    spec(
        "uriComponent",
        1,
        upto(1),
        "uriComponent('text')",
        Imp::Pure(uri_component),
    ),
    spec(
        "uriComponentToBinary",
        1,
        upto(1),
        "uriComponentToBinary('text')",
        Imp::Pure(uri_component_to_binary),
    ),
    spec(
        "uriComponentToString",
        1,
        upto(1),
        "uriComponentToString('text')",
        Imp::Pure(uri_component_to_string),
    ),
    spec("xml", 1, upto(1), "xml('text')", Imp::Pure(xml)),
    spec("xpath", 2, upto(2), "xpath(xml, 'xpath')", Imp::Pure(xpath)),
    // Math functions.
    spec("add", 2, upto(2), "add(number1, number2)", Imp::Pure(add)),
    spec("div", 2, upto(2), "div(dividend, divisor)", Imp::Pure(div)),
    spec(
        "max",
        1,
        ANY,
        "max(number1, number2, ...) or max(array)",
        Imp::Pure(max),
    ),
    spec(
        "min",
        1,
        ANY,
        "min(number1, number2, ...) or min(array)",
        Imp::Pure(min),
    ),
    spec(
        "mod",
        2,
        upto(2),
        "mod(dividend, divisor)",
        Imp::Pure(modulo),
    ),
    spec("mul", 2, upto(2), "mul(number1, number2)", Imp::Pure(mul)),
    spec(
        "rand",
        2,
        upto(2),
        "rand(minValue, maxValue)",
        Imp::Pure(rand),
    ),
    spec(
        "range",
        2,
        upto(2),
        "range(startIndex, count)",
        Imp::Pure(range),
    ),
    spec(
        "sub",
        2,
        upto(2),
        "sub(minuend, subtrahend)",
        Imp::Pure(sub),
    ),
    // Date functions.
    spec(
        "addDays",
        2,
        upto(3),
        "addDays('timestamp', days, 'format'?)",
        Imp::Pure(add_days),
    ),
    spec(
        "addHours",
        2,
        upto(3),
        "addHours('timestamp', hours, 'format'?)",
        Imp::Pure(add_hours),
    ),
    spec(
        "addMinutes",
        2,
        upto(3),
        "addMinutes('timestamp', minutes, 'format'?)",
        Imp::Pure(add_minutes),
    ),
    spec(
        "addSeconds",
        2,
        upto(3),
        "addSeconds('timestamp', seconds, 'format'?)",
        Imp::Pure(add_seconds),
    ),
    spec(
        "addToTime",
        3,
        upto(4),
        "addToTime('timestamp', interval, 'timeUnit', 'format'?)",
        Imp::Pure(add_to_time),
    ),
    spec(
        "convertFromUtc",
        2,
        upto(3),
        "convertFromUtc('timestamp', 'destinationTimeZone', 'format'?)",
        Imp::Pure(convert_from_utc),
    ),
    spec(
        "convertTimeZone",
        3,
        upto(4),
        "convertTimeZone('timestamp', 'sourceTimeZone', 'destinationTimeZone', 'format'?)",
        Imp::Pure(convert_time_zone),
    ),
    spec(
        "convertToUtc",
        2,
        upto(3),
        "convertToUtc('timestamp', 'sourceTimeZone', 'format'?)",
        Imp::Pure(convert_to_utc),
    ),
    spec(
        "dayOfMonth",
        1,
        upto(1),
        "dayOfMonth('timestamp')",
        Imp::Pure(day_of_month),
    ),
    spec(
        "dayOfWeek",
        1,
        upto(1),
        "dayOfWeek('timestamp')",
        Imp::Pure(day_of_week),
    ),
    spec(
        "dayOfYear",
        1,
        upto(1),
        "dayOfYear('timestamp')",
        Imp::Pure(day_of_year),
    ),
    spec(
        "formatDateTime",
        1,
        upto(2),
        "formatDateTime('timestamp', 'format'?)",
        Imp::Pure(format_date_time),
    ),
    spec(
        "getFutureTime",
        2,
        upto(3),
        "getFutureTime(interval, 'timeUnit', 'format'?)",
        Imp::Pure(get_future_time),
    ),
    spec(
        "getPastTime",
        2,
        upto(3),
        "getPastTime(interval, 'timeUnit', 'format'?)",
        Imp::Pure(get_past_time),
    ),
    spec(
        "startOfDay",
        1,
        upto(2),
        "startOfDay('timestamp', 'format'?)",
        Imp::Pure(start_of_day),
    ),
    spec(
        "startOfHour",
        1,
        upto(2),
        "startOfHour('timestamp', 'format'?)",
        Imp::Pure(start_of_hour),
    ),
    spec(
        "startOfMonth",
        1,
        upto(2),
        "startOfMonth('timestamp', 'format'?)",
        Imp::Pure(start_of_month),
    ),
    spec(
        "subtractFromTime",
        3,
        upto(4),
        "subtractFromTime('timestamp', interval, 'timeUnit', 'format'?)",
        Imp::Pure(subtract_from_time),
    ),
    spec("ticks", 1, upto(1), "ticks('timestamp')", Imp::Pure(ticks)),
    spec(
        "utcNow",
        0,
        upto(1),
        "utcNow('format'?)",
        Imp::Pure(utc_now),
    ),
];

/// The function called `name`, ignoring case (`utcnow` is `utcNow`).
pub fn lookup(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS
        .iter()
        .find(|function| function.name.eq_ignore_ascii_case(name))
}

/// The known function closest to a misspelt name.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    value::closest(name, FUNCTIONS.iter().map(|function| function.name))
}

/// A function call being evaluated: its already-evaluated arguments and the context.
pub(crate) struct Call<'a> {
    pub name: &'static str,
    pub args: &'a [Value],
    pub context: &'a dyn Context,
}

/// Why a function failed, and which argument (if one) is to blame.
pub(crate) struct Fail {
    pub message: String,
    pub argument: Option<usize>,
    pub hint: Option<String>,
}

type Out = Result<Value, Fail>;

fn ordinal(index: usize) -> &'static str {
    ["first", "second", "third", "fourth", "fifth"]
        .get(index)
        .copied()
        .unwrap_or("next")
}

impl Call<'_> {
    fn arg(&self, index: usize) -> &Value {
        self.args.get(index).unwrap_or(&Value::Null)
    }

    fn fail(&self, argument: Option<usize>, message: impl Into<String>) -> Fail {
        Fail {
            message: message.into(),
            argument,
            hint: None,
        }
    }

    /// "The function 'x' expects its first parameter to be WHAT; the provided value is of type 'T'."
    fn expects(&self, index: usize, what: &str) -> Fail {
        self.fail(
            Some(index),
            format!(
                "the function '{}' expects its {} parameter to be {what}; the provided value is of type '{}'",
                self.name,
                ordinal(index),
                type_name(self.arg(index))
            ),
        )
    }

    fn string(&self, index: usize) -> Result<&str, Fail> {
        match self.arg(index) {
            Value::String(text) => Ok(text),
            _ => Err(self.expects(index, "a string")),
        }
    }

    /// A string's UTF-8 bytes, or a binary or XML value's content.
    fn bytes(&self, index: usize) -> Result<Vec<u8>, Fail> {
        match self.arg(index) {
            Value::String(text) => Ok(text.as_bytes().to_vec()),
            other => match xmldoc::content_of(other) {
                Some((_, bytes)) => Ok(bytes),
                None => Err(self.expects(index, "a string or a binary value")),
            },
        }
    }

    fn integer(&self, index: usize) -> Result<i64, Fail> {
        match Num::of(self.arg(index)) {
            Some(Num::Int(int)) => Ok(int),
            _ => Err(self.expects(index, "an integer")),
        }
    }

    fn number(&self, index: usize) -> Result<Num, Fail> {
        Num::of(self.arg(index)).ok_or_else(|| self.expects(index, "a number"))
    }

    fn boolean(&self, index: usize) -> Result<bool, Fail> {
        match self.arg(index) {
            Value::Bool(flag) => Ok(*flag),
            _ => Err(self.expects(index, "a Boolean")),
        }
    }

    fn optional_format(&self, index: usize) -> Result<Option<&str>, Fail> {
        match self.args.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.expects(index, "a format string")),
        }
    }

    fn timestamp(&self, index: usize) -> Result<OffsetDateTime, Fail> {
        let text = self.string(index)?;
        datetime::parse(text).ok_or_else(|| Fail {
            message: format!(
                "the function '{}' expects its {} parameter to be a timestamp; the provided string is not one",
                self.name,
                ordinal(index)
            ),
            argument: Some(index),
            hint: Some("use ISO 8601, e.g. '2018-03-15T13:00:00Z'".to_string()),
        })
    }

    fn formatted(&self, timestamp: OffsetDateTime, format_index: usize) -> Out {
        let format = self.optional_format(format_index)?;
        datetime::format(timestamp, format)
            .map(Value::String)
            .map_err(|reason| Fail {
                message: format!(
                    "the function '{}' cannot use its format: {reason}",
                    self.name
                ),
                argument: Some(format_index),
                hint: Some(
                    "see docs/expressions.md for the supported format specifiers".to_string(),
                ),
            })
    }

    fn out_of_range(&self) -> Fail {
        self.fail(
            None,
            format!(
                "the function '{}' produced a timestamp out of range",
                self.name
            ),
        )
    }

    fn checked_text(&self, text: String) -> Out {
        if text.len() > MAX_RESULT_BYTES {
            return Err(self.too_large());
        }
        Ok(Value::String(text))
    }

    fn too_large(&self) -> Fail {
        self.fail(
            None,
            format!(
                "the function '{}' would produce a result larger than {MAX_RESULT_BYTES} bytes",
                self.name
            ),
        )
    }
}

// ---- strings ----

fn concat(call: &Call<'_>) -> Out {
    let mut text = String::new();
    for (index, arg) in call.args.iter().enumerate() {
        match arg {
            Value::Object(_) if xmldoc::content_of(arg).is_some() => text.push_str(&to_text(arg)),
            Value::Array(_) | Value::Object(_) => {
                return Err(call.expects(index, "a string (or a number, a Boolean or null)"));
            }
            other => text.push_str(&to_text(other)),
        }
        if text.len() > MAX_RESULT_BYTES {
            return Err(call.too_large());
        }
    }
    Ok(Value::String(text))
}

/// One character in lowercase, when its lowercase is one character (so positions are kept).
fn fold_char(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// Character index of `needle` in `haystack`, ignoring case; first or last occurrence.
/// Linear time: both are case-folded character for character, then searched as strings.
fn find_ignoring_case(haystack: &str, needle: &str, last: bool) -> Option<usize> {
    let (haystack, needle) = (fold(haystack), fold(needle));
    let byte = if last {
        haystack.rfind(&needle)
    } else {
        haystack.find(&needle)
    }?;
    Some(haystack[..byte].chars().count())
}

fn starts_with(call: &Call<'_>) -> Out {
    Ok(Value::Bool(
        fold(call.string(0)?).starts_with(&fold(call.string(1)?)),
    ))
}

fn ends_with(call: &Call<'_>) -> Out {
    Ok(Value::Bool(
        fold(call.string(0)?).ends_with(&fold(call.string(1)?)),
    ))
}

fn index_of(call: &Call<'_>) -> Out {
    let found = find_ignoring_case(call.string(0)?, call.string(1)?, false);
    Ok(Value::from(found.map_or(-1, |index| index as i64)))
}

fn last_index_of(call: &Call<'_>) -> Out {
    let found = find_ignoring_case(call.string(0)?, call.string(1)?, true);
    Ok(Value::from(found.map_or(-1, |index| index as i64)))
}

fn replace(call: &Call<'_>) -> Out {
    let text = call.string(0)?;
    let old = call.string(1)?;
    let new = call.string(2)?;
    if old.is_empty() {
        return Err(call.fail(
            Some(1),
            "the function 'replace' expects its second parameter to be a non-empty string",
        ));
    }
    let count = text.matches(old).count();
    if text.len() - count * old.len() + count * new.len() > MAX_RESULT_BYTES {
        return Err(call.too_large());
    }
    Ok(Value::String(text.replace(old, new)))
}

fn split(call: &Call<'_>) -> Out {
    let text = call.string(0)?;
    let delimiter = call.string(1)?;
    if delimiter.is_empty() {
        return Ok(Value::Array(vec![Value::String(text.to_string())]));
    }
    Ok(Value::Array(
        text.split(delimiter)
            .map(|part| Value::String(part.to_string()))
            .collect(),
    ))
}

fn substring(call: &Call<'_>) -> Out {
    let text: Vec<char> = call.string(0)?.chars().collect();
    let start = call.integer(1)?;
    let length = match call.args.get(2) {
        Some(_) => call.integer(2)?,
        None => (text.len() as i64).saturating_sub(start),
    };
    let fits = start >= 0
        && length >= 0
        && start
            .checked_add(length)
            .is_some_and(|end| end <= text.len() as i64);
    if !fits {
        return Err(call.fail(
            None,
            format!(
                "the function 'substring' parameters are out of range: 'startIndex' ({start}) and 'length' ({length}) must be non-negative and their sum no larger than the length of the string ({})",
                text.len()
            ),
        ));
    }
    let start = start as usize;
    Ok(Value::String(
        text[start..start + length as usize].iter().collect(),
    ))
}

fn to_lower(call: &Call<'_>) -> Out {
    Ok(Value::String(call.string(0)?.to_lowercase()))
}

fn to_upper(call: &Call<'_>) -> Out {
    Ok(Value::String(call.string(0)?.to_uppercase()))
}

fn trim(call: &Call<'_>) -> Out {
    Ok(Value::String(call.string(0)?.trim().to_string()))
}

fn guid(call: &Call<'_>) -> Out {
    let format = call
        .optional_format(0)?
        .filter(|format| !format.is_empty())
        .unwrap_or("D");
    let generated = call.context.new_guid();
    let hex: String = generated
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_lowercase();
    if hex.len() != 32 {
        return Err(call.fail(
            None,
            "the context produced a GUID that is not 32 hexadecimal digits",
        ));
    }
    let dashed = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    );
    let formatted = match format {
        "N" | "n" => hex,
        "D" | "d" => dashed,
        "B" | "b" => format!("{{{dashed}}}"),
        "P" | "p" => format!("({dashed})"),
        "X" | "x" => {
            let byte = |i: usize| format!("0x{}", &hex[i..i + 2]);
            let tail: Vec<String> = (16..32).step_by(2).map(byte).collect();
            format!(
                "{{0x{},0x{},0x{},{{{}}}}}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                tail.join(",")
            )
        }
        _ => {
            return Err(call.fail(
                Some(0),
                "the function 'guid' supports the formats 'N', 'D', 'B', 'P' and 'X'",
            ));
        }
    };
    Ok(Value::String(formatted))
}

// ---- collections ----

fn contains(call: &Call<'_>) -> Out {
    match call.arg(0) {
        Value::String(text) => Ok(Value::Bool(text.contains(call.string(1)?))),
        Value::Array(items) => Ok(Value::Bool(
            items.iter().any(|item| equal(item, call.arg(1))),
        )),
        Value::Object(object) => Ok(Value::Bool(object.contains_key(call.string(1)?))),
        _ => Err(call.expects(0, "a string, an array or an object")),
    }
}

fn empty(call: &Call<'_>) -> Out {
    Ok(Value::Bool(match call.arg(0) {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(object) => object.is_empty(),
        _ => return Err(call.expects(0, "a string, an array, an object or null")),
    }))
}

fn first(call: &Call<'_>) -> Out {
    match call.arg(0) {
        Value::String(text) => Ok(text
            .chars()
            .next()
            .map_or(Value::Null, |c| Value::String(c.to_string()))),
        Value::Array(items) => Ok(items.first().cloned().unwrap_or(Value::Null)),
        _ => Err(call.expects(0, "a string or an array")),
    }
}

fn last(call: &Call<'_>) -> Out {
    match call.arg(0) {
        Value::String(text) => Ok(text
            .chars()
            .last()
            .map_or(Value::Null, |c| Value::String(c.to_string()))),
        Value::Array(items) => Ok(items.last().cloned().unwrap_or(Value::Null)),
        _ => Err(call.expects(0, "a string or an array")),
    }
}

fn length(call: &Call<'_>) -> Out {
    match call.arg(0) {
        Value::String(text) => Ok(Value::from(text.chars().count() as i64)),
        Value::Array(items) => Ok(Value::from(items.len() as i64)),
        _ => Err(call.expects(0, "an array or a string")),
    }
}

fn count_argument(call: &Call<'_>) -> Result<usize, Fail> {
    let count = call.integer(1)?;
    usize::try_from(count).map_err(|_| {
        call.fail(
            Some(1),
            format!(
                "the function '{}' expects a count of zero or more",
                call.name
            ),
        )
    })
}

fn take(call: &Call<'_>) -> Out {
    let count = count_argument(call)?;
    match call.arg(0) {
        Value::String(text) => Ok(Value::String(text.chars().take(count).collect())),
        Value::Array(items) => Ok(Value::Array(items.iter().take(count).cloned().collect())),
        _ => Err(call.expects(0, "a string or an array")),
    }
}

fn skip(call: &Call<'_>) -> Out {
    let count = count_argument(call)?;
    match call.arg(0) {
        Value::String(text) => Ok(Value::String(text.chars().skip(count).collect())),
        Value::Array(items) => Ok(Value::Array(items.iter().skip(count).cloned().collect())),
        _ => Err(call.expects(0, "a string or an array")),
    }
}

fn join(call: &Call<'_>) -> Out {
    let Value::Array(items) = call.arg(0) else {
        return Err(call.expects(0, "an array"));
    };
    let delimiter = call.string(1)?;
    let mut text = String::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            text.push_str(delimiter);
        }
        text.push_str(&to_text(item));
        if text.len() > MAX_RESULT_BYTES {
            return Err(call.too_large());
        }
    }
    call.checked_text(text)
}

/// All arrays or all objects, as `union` and `intersection` need.
enum Collections<'a> {
    Arrays(Vec<&'a Vec<Value>>),
    Objects(Vec<&'a Map<String, Value>>),
}

fn collections<'a>(call: &'a Call<'_>) -> Result<Collections<'a>, Fail> {
    match call.arg(0) {
        Value::Array(_) => call
            .args
            .iter()
            .enumerate()
            .map(|(index, arg)| match arg {
                Value::Array(items) => Ok(items),
                _ => Err(call.expects(index, "an array, like the first")),
            })
            .collect::<Result<_, _>>()
            .map(Collections::Arrays),
        Value::Object(_) => call
            .args
            .iter()
            .enumerate()
            .map(|(index, arg)| match arg {
                Value::Object(object) => Ok(object),
                _ => Err(call.expects(index, "an object, like the first")),
            })
            .collect::<Result<_, _>>()
            .map(Collections::Objects),
        _ => Err(call.expects(0, "an array or an object")),
    }
}

fn union(call: &Call<'_>) -> Out {
    match collections(call)? {
        Collections::Arrays(arrays) => {
            // Hashing canonical keys keeps this linear: union(range(0, 100000), ...) stays fast.
            let mut seen = HashSet::new();
            let result = arrays
                .into_iter()
                .flatten()
                .filter(|item| seen.insert(canonical_key(item)))
                .cloned()
                .collect();
            Ok(Value::Array(result))
        }
        Collections::Objects(objects) => {
            let mut result = Map::new();
            for (key, value) in objects.into_iter().flatten() {
                result.insert(key.clone(), value.clone());
            }
            Ok(Value::Object(result))
        }
    }
}

fn intersection(call: &Call<'_>) -> Out {
    match collections(call)? {
        Collections::Arrays(arrays) => {
            let others: Vec<HashSet<String>> = arrays[1..]
                .iter()
                .map(|array| array.iter().map(canonical_key).collect())
                .collect();
            let mut seen = HashSet::new();
            let result = arrays[0]
                .iter()
                .filter(|item| {
                    let key = canonical_key(item);
                    others.iter().all(|other| other.contains(&key)) && seen.insert(key)
                })
                .cloned()
                .collect();
            Ok(Value::Array(result))
        }
        Collections::Objects(objects) => {
            let mut result = Map::new();
            for key in objects[0].keys() {
                if objects.iter().all(|object| object.contains_key(key))
                    && let Some(value) = objects.last().and_then(|object| object.get(key))
                {
                    result.insert(key.clone(), value.clone());
                }
            }
            Ok(Value::Object(result))
        }
    }
}

// ---- logic ----

fn equals(call: &Call<'_>) -> Out {
    Ok(Value::Bool(equal(call.arg(0), call.arg(1))))
}

fn compare(call: &Call<'_>) -> Result<std::cmp::Ordering, Fail> {
    match (call.arg(0), call.arg(1)) {
        (Value::String(a), Value::String(b)) => Ok(a.cmp(b)),
        (left, right) => match (Num::of(left), Num::of(right)) {
            (Some(Num::Int(a)), Some(Num::Int(b))) => Ok(a.cmp(&b)),
            (Some(a), Some(b)) => a
                .as_f64()
                .partial_cmp(&b.as_f64())
                .ok_or_else(|| call.fail(None, "the values cannot be compared")),
            _ => Err(call.fail(
                None,
                format!(
                    "the function '{}' expects two numbers or two strings; the provided values are of types '{}' and '{}'",
                    call.name,
                    type_name(left),
                    type_name(right)
                ),
            )),
        },
    }
}

fn greater(call: &Call<'_>) -> Out {
    Ok(Value::Bool(compare(call)?.is_gt()))
}

fn greater_or_equals(call: &Call<'_>) -> Out {
    Ok(Value::Bool(compare(call)?.is_ge()))
}

fn less(call: &Call<'_>) -> Out {
    Ok(Value::Bool(compare(call)?.is_lt()))
}

fn less_or_equals(call: &Call<'_>) -> Out {
    Ok(Value::Bool(compare(call)?.is_le()))
}

fn not(call: &Call<'_>) -> Out {
    Ok(Value::Bool(!call.boolean(0)?))
}

// ---- conversions ----

fn array(call: &Call<'_>) -> Out {
    Ok(Value::Array(vec![call.arg(0).clone()]))
}

fn create_array(call: &Call<'_>) -> Out {
    Ok(Value::Array(call.args.to_vec()))
}

fn coalesce(call: &Call<'_>) -> Out {
    Ok(call
        .args
        .iter()
        .find(|arg| !arg.is_null())
        .cloned()
        .unwrap_or(Value::Null))
}

fn base64(call: &Call<'_>) -> Out {
    call.checked_text(BASE64.encode(call.bytes(0)?))
}

fn decode_base64_text(call: &Call<'_>, encoded: &str) -> Out {
    let bytes = BASE64.decode(encoded.trim()).map_err(|_| {
        call.fail(
            Some(0),
            format!(
                "the function '{}' was given a string that is not valid base64",
                call.name
            ),
        )
    })?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        call.fail(
            Some(0),
            format!(
                "the function '{}' decoded bytes that are not UTF-8 text",
                call.name
            ),
        )
    })
}

fn base64_to_string(call: &Call<'_>) -> Out {
    decode_base64_text(call, call.string(0)?)
}

fn data_uri(call: &Call<'_>) -> Out {
    call.checked_text(format!(
        "data:text/plain;charset=utf-8;base64,{}",
        BASE64.encode(call.string(0)?)
    ))
}

fn data_uri_to_string(call: &Call<'_>) -> Out {
    let uri = call.string(0)?;
    match uri
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
    {
        Some((header, data)) if header.ends_with(";base64") => decode_base64_text(call, data),
        Some((_, data)) => percent_decode(call, data),
        None => Err(call.fail(
            Some(0),
            "the function 'dataUriToString' expects a data URI ('data:...,...')",
        )),
    }
}

fn uri_component(call: &Call<'_>) -> Out {
    let mut encoded = String::new();
    for byte in call.string(0)?.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    call.checked_text(encoded)
}

fn percent_decode(call: &Call<'_>, text: &str) -> Out {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes
                .get(index + 1..index + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok());
            match hex.and_then(|pair| u8::from_str_radix(pair, 16).ok()) {
                Some(byte) => {
                    decoded.push(byte);
                    index += 3;
                    continue;
                }
                None => {
                    return Err(call.fail(Some(0), format!("the function '{}' found a '%' that is not followed by two hexadecimal digits", call.name)));
                }
            }
        }
        decoded.push(bytes[index]);
        index += 1;
    }
    String::from_utf8(decoded).map(Value::String).map_err(|_| {
        call.fail(
            Some(0),
            format!(
                "the function '{}' decoded bytes that are not UTF-8 text",
                call.name
            ),
        )
    })
}

fn uri_component_to_string(call: &Call<'_>) -> Out {
    percent_decode(call, call.string(0)?)
}

fn not_convertible(call: &Call<'_>) -> Fail {
    Fail {
        message: format!(
            "the function '{}' was invoked with a parameter that is not valid: the value of type '{}' cannot be converted to the target type",
            call.name,
            type_name(call.arg(0))
        ),
        argument: Some(0),
        hint: None,
    }
}

fn int(call: &Call<'_>) -> Out {
    match call.arg(0) {
        Value::String(text) => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| not_convertible(call)),
        Value::Bool(flag) => Ok(Value::from(i64::from(*flag))),
        value => match Num::of(value) {
            Some(Num::Int(int)) => Ok(Value::from(int)),
            Some(Num::Float(float)) if float.fract() == 0.0 && float.abs() < 9.2e18 => {
                Ok(Value::from(float as i64))
            }
            _ => Err(not_convertible(call)),
        },
    }
}

fn float(call: &Call<'_>) -> Out {
    let parsed = match call.arg(0) {
        Value::String(text) => text.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        value => Num::of(value).map(Num::as_f64),
    };
    parsed
        .and_then(float_value)
        .ok_or_else(|| not_convertible(call))
}

fn boolean(call: &Call<'_>) -> Out {
    match call.arg(0) {
        Value::Bool(flag) => Ok(Value::Bool(*flag)),
        Value::String(text) if text.trim().eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Value::String(text) if text.trim().eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        value => match Num::of(value) {
            Some(number) => Ok(Value::Bool(number.as_f64() != 0.0)),
            None => Err(not_convertible(call)),
        },
    }
}

fn json(call: &Call<'_>) -> Out {
    if let Some((content_type, bytes)) = xmldoc::content_of(call.arg(0))
        && content_type.starts_with("application/xml")
    {
        return xmldoc::to_json(&String::from_utf8_lossy(&bytes)).map_err(|reason| {
            call.fail(
                Some(0),
                format!("the function 'json' cannot convert the XML: {reason}"),
            )
        });
    }
    match call.arg(0) {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::String(text) => serde_json::from_str(text).map_err(|error| {
            call.fail(
                Some(0),
                format!(
                    "the function 'json' parameter is not valid JSON (line {}, column {})",
                    error.line(),
                    error.column()
                ),
            )
        }),
        _ => Err(call.expects(0, "a string")),
    }
}

fn string(call: &Call<'_>) -> Out {
    call.checked_text(to_text(call.arg(0)))
}

// ---- math ----

fn arithmetic(
    call: &Call<'_>,
    on_ints: fn(i64, i64) -> Option<i64>,
    on_floats: fn(f64, f64) -> f64,
) -> Out {
    let (a, b) = (call.number(0)?, call.number(1)?);
    match (a, b) {
        (Num::Int(a), Num::Int(b)) => on_ints(a, b).map(Value::from).ok_or_else(|| {
            call.fail(
                None,
                format!("the function '{}' overflowed 64-bit integers", call.name),
            )
        }),
        _ => float_value(on_floats(a.as_f64(), b.as_f64())).ok_or_else(|| {
            call.fail(
                None,
                format!(
                    "the function '{}' produced a result that is not a finite number",
                    call.name
                ),
            )
        }),
    }
}

fn add(call: &Call<'_>) -> Out {
    arithmetic(call, i64::checked_add, |a, b| a + b)
}

fn sub(call: &Call<'_>) -> Out {
    arithmetic(call, i64::checked_sub, |a, b| a - b)
}

fn mul(call: &Call<'_>) -> Out {
    arithmetic(call, i64::checked_mul, |a, b| a * b)
}

fn check_divisor(call: &Call<'_>) -> Result<(), Fail> {
    if call.number(1)?.as_f64() == 0.0 {
        return Err(call.fail(
            Some(1),
            format!("the function '{}' cannot divide by zero", call.name),
        ));
    }
    Ok(())
}

fn div(call: &Call<'_>) -> Out {
    check_divisor(call)?;
    arithmetic(call, i64::checked_div, |a, b| a / b)
}

fn modulo(call: &Call<'_>) -> Out {
    check_divisor(call)?;
    arithmetic(call, i64::checked_rem, |a, b| a % b)
}

fn extreme(call: &Call<'_>, pick_greater: bool) -> Out {
    let numbers: Vec<(usize, &Value)> = match call.args {
        [Value::Array(items)] => items.iter().map(|item| (0, item)).collect(),
        args => args.iter().enumerate().collect(),
    };
    let mut best: Option<(Num, &Value)> = None;
    for (index, value) in numbers {
        let number =
            Num::of(value).ok_or_else(|| call.expects(index, "a number or an array of numbers"))?;
        let better = match best {
            None => true,
            Some((current, _)) => {
                let (x, y) = (number.as_f64(), current.as_f64());
                if pick_greater { x > y } else { x < y }
            }
        };
        if better {
            best = Some((number, value));
        }
    }
    best.map(|(_, value)| value.clone()).ok_or_else(|| {
        call.fail(
            Some(0),
            format!("the function '{}' was given an empty array", call.name),
        )
    })
}

fn max(call: &Call<'_>) -> Out {
    extreme(call, true)
}

fn min(call: &Call<'_>) -> Out {
    extreme(call, false)
}

fn range(call: &Call<'_>) -> Out {
    let start = call.integer(0)?;
    let count = call.integer(1)?;
    if !(0..=MAX_RANGE).contains(&count) {
        return Err(call.fail(
            Some(1),
            format!(
                "the function 'range' expects a count from 0 to {MAX_RANGE}, was given {count}"
            ),
        ));
    }
    if start.checked_add(count).is_none() {
        return Err(call.fail(None, "the function 'range' overflowed 64-bit integers"));
    }
    Ok(Value::Array(
        (start..start + count).map(Value::from).collect(),
    ))
}

// ---- dates ----

fn shifted(call: &Call<'_>, unit_seconds: i64) -> Out {
    let timestamp = call.timestamp(0)?;
    let amount = call.integer(1)?;
    let shifted = amount
        .checked_mul(unit_seconds)
        .and_then(|seconds| timestamp.checked_add(Duration::seconds(seconds)))
        .ok_or_else(|| call.out_of_range())?;
    call.formatted(shifted, 2)
}

fn add_days(call: &Call<'_>) -> Out {
    shifted(call, 86_400)
}

fn add_hours(call: &Call<'_>) -> Out {
    shifted(call, 3600)
}

fn add_minutes(call: &Call<'_>) -> Out {
    shifted(call, 60)
}

fn add_seconds(call: &Call<'_>) -> Out {
    shifted(call, 1)
}

fn with_units(
    call: &Call<'_>,
    timestamp: OffsetDateTime,
    amount: i64,
    unit_index: usize,
    format_index: usize,
) -> Out {
    let unit = call.string(unit_index)?;
    match datetime::add_units(timestamp, amount, unit) {
        None => Err(Fail {
            message: format!(
                "the function '{}' does not know the time unit given",
                call.name
            ),
            argument: Some(unit_index),
            hint: Some(
                "use 'Second', 'Minute', 'Hour', 'Day', 'Week', 'Month' or 'Year'".to_string(),
            ),
        }),
        Some(Err(())) => Err(call.out_of_range()),
        Some(Ok(result)) => call.formatted(result, format_index),
    }
}

fn negated(call: &Call<'_>, index: usize) -> Result<i64, Fail> {
    call.integer(index)?
        .checked_neg()
        .ok_or_else(|| call.out_of_range())
}

fn add_to_time(call: &Call<'_>) -> Out {
    with_units(call, call.timestamp(0)?, call.integer(1)?, 2, 3)
}

fn subtract_from_time(call: &Call<'_>) -> Out {
    with_units(call, call.timestamp(0)?, negated(call, 1)?, 2, 3)
}

fn get_future_time(call: &Call<'_>) -> Out {
    with_units(call, call.context.now(), call.integer(0)?, 1, 2)
}

fn get_past_time(call: &Call<'_>) -> Out {
    with_units(call, call.context.now(), negated(call, 0)?, 1, 2)
}

fn start_of_day(call: &Call<'_>) -> Out {
    let timestamp = call.timestamp(0)?;
    call.formatted(timestamp.replace_time(Time::MIDNIGHT), 1)
}

fn start_of_hour(call: &Call<'_>) -> Out {
    let timestamp = call.timestamp(0)?;
    let hour = Time::from_hms(timestamp.hour(), 0, 0).map_err(|_| call.out_of_range())?;
    call.formatted(timestamp.replace_time(hour), 1)
}

fn start_of_month(call: &Call<'_>) -> Out {
    let timestamp = call.timestamp(0)?;
    let first = timestamp
        .date()
        .replace_day(1)
        .map_err(|_| call.out_of_range())?;
    call.formatted(
        timestamp.replace_date(first).replace_time(Time::MIDNIGHT),
        1,
    )
}

fn day_of_month(call: &Call<'_>) -> Out {
    Ok(Value::from(call.timestamp(0)?.day()))
}

fn day_of_week(call: &Call<'_>) -> Out {
    Ok(Value::from(
        call.timestamp(0)?.weekday().number_days_from_sunday(),
    ))
}

fn day_of_year(call: &Call<'_>) -> Out {
    Ok(Value::from(call.timestamp(0)?.ordinal()))
}

fn ticks(call: &Call<'_>) -> Out {
    let ticks = datetime::ticks(call.timestamp(0)?);
    i64::try_from(ticks)
        .map(Value::from)
        .map_err(|_| call.out_of_range())
}

fn format_date_time(call: &Call<'_>) -> Out {
    call.formatted(call.timestamp(0)?, 1)
}

fn utc_now(call: &Call<'_>) -> Out {
    call.formatted(call.context.now(), 0)
}

// ---- binary and XML ----
//
// ADF's evaluator represents binary and XML values as content objects,
// `{"$content-type": "...", "$content": "<base64>"}` (data-factory-testing-framework's
// `tests/functional/xml`: each node `xpath()` returns is one). The documentation's examples
// show bit strings ("0110...") for the binary functions instead; the content object is what
// Microsoft's evaluator gives, so that is what the emulator returns (UNVERIFIED for the binary
// functions, which the framework's tests do not exercise).

const OCTET_STREAM: &str = "application/octet-stream";

fn base64_to_binary(call: &Call<'_>) -> Out {
    let bytes = BASE64.decode(call.string(0)?.trim()).map_err(|_| {
        call.fail(
            Some(0),
            "the function 'base64ToBinary' was given a string that is not valid base64",
        )
    })?;
    Ok(xmldoc::content_value(OCTET_STREAM, &bytes))
}

fn binary(call: &Call<'_>) -> Out {
    if xmldoc::content_of(call.arg(0)).is_some() {
        return Ok(call.arg(0).clone());
    }
    Ok(xmldoc::content_value(OCTET_STREAM, &call.bytes(0)?))
}

fn data_uri_to_binary(call: &Call<'_>) -> Out {
    let uri = call.string(0)?;
    let Some((header, data)) = uri
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
    else {
        return Err(call.fail(
            Some(0),
            format!(
                "the function '{}' expects a data URI ('data:...,...')",
                call.name
            ),
        ));
    };
    let (media_type, bytes) = match header.strip_suffix(";base64") {
        Some(media_type) => (
            media_type,
            BASE64.decode(data.trim()).map_err(|_| {
                call.fail(
                    Some(0),
                    format!(
                        "the function '{}' was given a data URI whose data is not valid base64",
                        call.name
                    ),
                )
            })?,
        ),
        None => match percent_decode(call, data)? {
            Value::String(text) => (header, text.into_bytes()),
            _ => (header, Vec::new()),
        },
    };
    let media_type = if media_type.is_empty() {
        "text/plain;charset=US-ASCII"
    } else {
        media_type
    };
    Ok(xmldoc::content_value(media_type, &bytes))
}

fn uri_component_to_binary(call: &Call<'_>) -> Out {
    match percent_decode(call, call.string(0)?)? {
        Value::String(text) => Ok(xmldoc::content_value(OCTET_STREAM, text.as_bytes())),
        other => Ok(other),
    }
}

/// The XML text of a string, an XML value or (converted as Json.NET does) a JSON object.
fn xml_text(call: &Call<'_>, index: usize) -> Result<String, Fail> {
    let invalid = |reason: String| {
        call.fail(
            Some(index),
            format!("the function '{}' {reason}", call.name),
        )
    };
    let text = match call.arg(index) {
        Value::String(text) => text.clone(),
        value @ Value::Object(_) => match xmldoc::content_of(value) {
            Some((_, bytes)) => String::from_utf8(bytes)
                .map_err(|_| invalid("was given content that is not UTF-8 text".to_string()))?,
            None => xmldoc::from_json(value)
                .map_err(|reason| invalid(format!("cannot convert its parameter: {reason}")))?,
        },
        _ => return Err(call.expects(index, "a string or an object")),
    };
    xmldoc::parse(&text).map_err(|reason| {
        invalid(format!(
            "was given a parameter that is not valid XML: {reason}"
        ))
    })?;
    Ok(text)
}

fn xml(call: &Call<'_>) -> Out {
    let text = xml_text(call, 0)?;
    if text.len() > MAX_RESULT_BYTES {
        return Err(call.too_large());
    }
    Ok(xmldoc::xml_value(&text))
}

fn xpath(call: &Call<'_>) -> Out {
    let text = xml_text(call, 0)?;
    let expression = call.string(1)?;
    let result = xmldoc::xpath(&text, expression).map_err(|reason| Fail {
        message: format!("the function 'xpath' cannot evaluate its XPath: {reason}"),
        argument: Some(1),
        hint: Some("docs/expressions.md lists the XPath subset the emulator supports".to_string()),
    })?;
    Ok(match result {
        xmldoc::XPathResult::Nodes(nodes) => {
            Value::Array(nodes.iter().map(|node| xmldoc::xml_value(node)).collect())
        }
        xmldoc::XPathResult::Number(number) => float_value(number).unwrap_or(Value::Null),
        xmldoc::XPathResult::Text(text) => Value::String(text),
        xmldoc::XPathResult::Boolean(flag) => Value::Bool(flag),
    })
}

// ---- random numbers ----

/// `rand(min, max)`: an integer from `min` (inclusive) to `max` (exclusive), as the Logic Apps
/// reference says. The randomness comes from the context's GUID source (the evaluator reads
/// no randomness of its own), so a context with deterministic GUIDs gives deterministic
/// numbers.
fn rand(call: &Call<'_>) -> Out {
    let (low, high) = (call.integer(0)?, call.integer(1)?);
    if low >= high {
        return Err(call.fail(
            None,
            "the function 'rand' expects its first parameter to be less than its second",
        ));
    }
    let hex: String = call
        .context
        .new_guid()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    // Mix all 128 bits into 64 (the version and variant digits are constant).
    let bits = u128::from_str_radix(&hex, 16).unwrap_or_default();
    let mixed = (bits as u64) ^ ((bits >> 64) as u64).rotate_left(17);
    let span = high.abs_diff(low);
    let offset = mixed % span;
    Ok(Value::from(low.wrapping_add(offset as i64)))
}

// ---- time zones ----

fn zone(call: &Call<'_>, index: usize) -> Result<timezone::TimeZone, Fail> {
    let name = call.string(index)?;
    timezone::find(name).map_err(|error| match error {
        timezone::ZoneError::Unknown => Fail {
            message: format!(
                "the function '{}' was given a time zone that is not a Windows time zone id",
                call.name
            ),
            argument: Some(index),
            hint: Some(match timezone::suggest(name) {
                Some(known) => format!("did you mean '{known}'?"),
                None => "use a Windows time zone id such as 'Pacific Standard Time' or 'W. Europe Standard Time'".to_string(),
            }),
        },
        timezone::ZoneError::NotModelled => Fail {
            message: format!(
                "the function '{}' was given a time zone whose daylight saving rules are not supported by the emulator",
                call.name
            ),
            argument: Some(index),
            hint: Some("it is valid ADF and runs in Azure; docs/expressions.md lists the zones the emulator knows".to_string()),
        },
    })
}

fn is_utc_zone(call: &Call<'_>, index: usize) -> bool {
    matches!(call.arg(index), Value::String(name) if name.trim().eq_ignore_ascii_case("UTC") || name.trim().eq_ignore_ascii_case("Coordinated Universal Time"))
}

/// A timestamp as UTC, reading a timestamp without an offset as the wall clock of `source`
/// (no source: UTC). A timestamp with an offset (`Z` included) names its instant itself, and
/// the source zone does not change it (UNVERIFIED: .NET's parsing rules here are not
/// documented for ADF).
fn instant(
    call: &Call<'_>,
    index: usize,
    source: Option<timezone::TimeZone>,
) -> Result<time::PrimitiveDateTime, Fail> {
    call.timestamp(index)?;
    let (local, offset) =
        datetime::parse_parts(call.string(index)?).ok_or_else(|| call.out_of_range())?;
    match (offset, source) {
        (Some(offset), _) => {
            let utc = local.assume_offset(offset).to_offset(time::UtcOffset::UTC);
            Ok(time::PrimitiveDateTime::new(utc.date(), utc.time()))
        }
        (None, None) => Ok(local),
        (None, Some(zone)) => zone.utc_time(local).map_err(|()| {
            call.fail(
                Some(index),
                format!(
                    "the function '{}' was given a local time that does not exist in the source time zone (it falls in the hour skipped when daylight saving time starts)",
                    call.name
                ),
            )
        }),
    }
}

fn formatted_wall_clock(
    call: &Call<'_>,
    timestamp: time::PrimitiveDateTime,
    utc: bool,
    format_index: usize,
) -> Out {
    let format = call.optional_format(format_index)?;
    datetime::format_wall_clock(timestamp, utc, format)
        .map(Value::String)
        .map_err(|reason| Fail {
            message: format!(
                "the function '{}' cannot use its format: {reason}",
                call.name
            ),
            argument: Some(format_index),
            hint: Some("see docs/expressions.md for the supported format specifiers".to_string()),
        })
}

fn convert_from_utc(call: &Call<'_>) -> Out {
    let destination = zone(call, 1)?;
    let utc = instant(call, 0, None)?;
    let local = destination
        .local_time(utc)
        .ok_or_else(|| call.out_of_range())?;
    formatted_wall_clock(call, local, is_utc_zone(call, 1), 2)
}

fn convert_to_utc(call: &Call<'_>) -> Out {
    let source = zone(call, 1)?;
    let utc = instant(call, 0, Some(source))?;
    formatted_wall_clock(call, utc, true, 2)
}

fn convert_time_zone(call: &Call<'_>) -> Out {
    let source = zone(call, 1)?;
    let destination = zone(call, 2)?;
    let utc = instant(call, 0, Some(source))?;
    let local = destination
        .local_time(utc)
        .ok_or_else(|| call.out_of_range())?;
    formatted_wall_clock(call, local, is_utc_zone(call, 2), 3)
}
