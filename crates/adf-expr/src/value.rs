//! JSON values as ADF's expression language sees them: type names, numbers, equality and
//! the string form used by `string()` and `@{...}` interpolation.

use serde_json::{Number, Value};

/// ADF's name for a value's type, as its error messages use it.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(number) if number.is_f64() => "Float",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

/// A number: integers stay integers (ADF's `div` of two integers is integer division).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub(crate) fn of(value: &Value) -> Option<Num> {
        match value {
            Value::Number(number) => Some(match number.as_i64() {
                Some(int) => Num::Int(int),
                None => Num::Float(number.as_f64().unwrap_or(f64::NAN)),
            }),
            _ => None,
        }
    }

    /// The number as an integer when it is one exactly (`2.0` is `2`, `2.5` is not).
    pub(crate) fn as_exact_int(self) -> Option<i64> {
        match self {
            Num::Int(int) => Some(int),
            Num::Float(float) if float.fract() == 0.0 && float.abs() < 9.2e18 => Some(float as i64),
            Num::Float(_) => None,
        }
    }

    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Num::Int(int) => int as f64,
            Num::Float(float) => float,
        }
    }
}

/// A float as a JSON value; `None` for NaN and infinities, which JSON cannot hold.
pub(crate) fn float_value(float: f64) -> Option<Value> {
    Number::from_f64(float).map(Value::Number)
}

/// Deep equality as `equals`, `contains`, `union` and `intersection` use it: numbers compare by
/// value across integer and float, strings ordinally (case-sensitive), arrays element-wise,
/// objects key-wise. Following the ADF documentation (`equals(true, 1)` is true), a Boolean
/// equals the number 1 (true) or 0 (false).
pub(crate) fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(_), Value::Number(_)) => match (Num::of(left), Num::of(right)) {
            (Some(Num::Float(a)), Some(Num::Float(b))) => a == b,
            (Some(a), Some(b)) => {
                a.as_exact_int().is_some() && a.as_exact_int() == b.as_exact_int()
            }
            _ => false,
        },
        (Value::Bool(flag), Value::Number(_)) | (Value::Number(_), Value::Bool(flag)) => {
            let number = if matches!(left, Value::Number(_)) {
                left
            } else {
                right
            };
            Num::of(number).and_then(Num::as_exact_int) == Some(i64::from(*flag))
        }
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, x)| b.get(key).is_some_and(|y| equal(x, y)))
        }
        _ => false,
    }
}

/// A hashable key that two values share exactly when [`equal`] says they are equal.
pub(crate) fn canonical_key(value: &Value) -> String {
    let mut key = String::new();
    write_key(value, &mut key);
    key
}

fn write_key(value: &Value, key: &mut String) {
    match value {
        Value::Null => key.push('z'),
        Value::Bool(flag) => key.push_str(if *flag { "n1;" } else { "n0;" }),
        Value::Number(_) => match Num::of(value) {
            Some(number) => match number.as_exact_int() {
                Some(int) => key.push_str(&format!("n{int};")),
                None => key.push_str(&format!("f{};", number.as_f64().to_bits())),
            },
            None => key.push_str("f?;"),
        },
        Value::String(text) => key.push_str(&format!("s{}:{text}", text.len())),
        Value::Array(items) => {
            key.push('[');
            items.iter().for_each(|item| write_key(item, key));
            key.push(']');
        }
        Value::Object(object) => {
            let mut entries: Vec<_> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            key.push('{');
            for (name, item) in entries {
                key.push_str(&format!("{}:{name}", name.len()));
                write_key(item, key);
            }
            key.push('}');
        }
    }
}

/// A float the way .NET prints it for the common cases: integral values without a decimal
/// point (`10`), others in their shortest round-trip form (`2.5`).
pub(crate) fn format_float(float: f64) -> String {
    if float.fract() == 0.0 && float.abs() < 1e15 {
        format!("{}", float as i64)
    } else {
        format!("{float}")
    }
}

/// The string form of a value: strings as they are, numbers in decimal, Booleans as .NET
/// prints them (`True`, `False`), null as the empty string, arrays and objects as compact JSON,
/// binary and XML content objects as their content.
pub(crate) fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(_) => match Num::of(value) {
            Some(Num::Int(int)) => int.to_string(),
            Some(Num::Float(float)) => format_float(float),
            None => String::new(),
        },
        Value::String(text) => text.clone(),
        // Binary and XML values (`binary()`, `xml()`, `xpath()`) read as their content.
        Value::Object(_) => match crate::xml::content_of(value) {
            Some((_, bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            None => value.to_string(),
        },
        Value::Array(_) => value.to_string(),
    }
}

/// Looks a key up exactly, then ignoring ASCII case (ADF property names are case-insensitive).
pub(crate) fn get_key<'a>(
    object: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Option<&'a Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(key))
            .map(|(_, value)| value)
    })
}

/// The closest of `candidates` to `wanted` (case-insensitive edit distance, at most a third
/// of the length), for "did you mean" hints.
pub(crate) fn closest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&wanted_lower, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Small values from a small domain, so that equal pairs are common.
    fn small_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1i64..3).prop_map(Value::from),
            prop::sample::select(vec![0.0, -0.0, 1.0, 1.5, 2.0]).prop_map(|f| json!(f)),
            prop::sample::select(vec!["", "a", "A", "1"]).prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map(prop::sample::select(vec!["a", "b"]), inner, 0..3)
                    .prop_map(|map| {
                        Value::Object(map.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                    }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn canonical_key_agrees_with_equal(a in small_value(), b in small_value()) {
            prop_assert_eq!(equal(&a, &b), canonical_key(&a) == canonical_key(&b), "{} vs {}", a, b);
            prop_assert!(equal(&a, &a));
        }
    }

    #[test]
    fn equality_across_number_types() {
        assert!(equal(&json!(1), &json!(1.0)));
        assert!(equal(&json!(true), &json!(1)));
        assert!(!equal(&json!(true), &json!(2)));
        assert!(!equal(
            &json!(9_007_199_254_740_993_i64),
            &json!(9_007_199_254_740_992.0)
        ));
        assert!(!equal(&json!("1"), &json!(1)));
    }
}
