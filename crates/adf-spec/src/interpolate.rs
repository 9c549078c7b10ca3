//! `${env:NAME}`, `${env:NAME:-default}`, `${var:key}` and `$${` (a literal `${`).

use crate::sink::Sink;
use crate::suggest;
use crate::yaml::Pos;
use std::collections::BTreeMap;

/// The environment and the variables substitutions read from.
pub(crate) struct Scope<'a> {
    pub env: &'a BTreeMap<String, String>,
    /// `None` while the `vars:` block itself is being resolved (it may not use `${var:...}`).
    pub vars: Option<&'a BTreeMap<String, String>>,
}

/// The result of substituting a string.
pub(crate) struct Substituted {
    pub text: String,
    /// The whole string was one `${...}` expression.
    pub sole: bool,
    /// The environment variables read.
    pub env_used: Vec<String>,
}

/// Substitutes every `${...}` in `text`. Problems are reported to `sink` at `pos`; the
/// substituted text is still returned (with the failed expressions left empty).
pub(crate) fn substitute(
    text: &str,
    scope: &Scope<'_>,
    pos: Pos,
    sink: &mut Sink<'_>,
) -> Substituted {
    let mut out = String::with_capacity(text.len());
    let mut env_used = Vec::new();
    let mut rest = text;
    let mut expressions = 0;
    let mut literal = false;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
            literal = true;
            continue;
        }
        if !after.starts_with("${") {
            out.push('$');
            rest = &after[1..];
            continue;
        }
        let Some(end) = after.find('}') else {
            sink.error(
                "bad-variable",
                pos,
                "`${` is not closed by `}`",
                Some("write `$${` for a literal `${`".into()),
            );
            out.push_str(after);
            rest = "";
            break;
        };
        expressions += 1;
        let expression = &after[2..end];
        out.push_str(&evaluate(expression, scope, pos, sink, &mut env_used));
        rest = &after[end + 1..];
    }
    let prefix_empty = text.starts_with("${") && !literal;
    out.push_str(rest);
    Substituted {
        sole: expressions == 1
            && prefix_empty
            && text.ends_with('}')
            && text.find('}') == Some(text.len() - 1),
        text: out,
        env_used,
    }
}

fn evaluate(
    expression: &str,
    scope: &Scope<'_>,
    pos: Pos,
    sink: &mut Sink<'_>,
    env_used: &mut Vec<String>,
) -> String {
    let (source, rest) = expression.split_once(':').unwrap_or((expression, ""));
    let (name, default) = match rest.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (rest, None),
    };
    match source {
        "env" => {
            if !is_variable_name(name) {
                sink.error(
                    "bad-variable",
                    pos,
                    format!("`${{{expression}}}` does not name an environment variable"),
                    Some("write `${env:NAME}` or `${env:NAME:-default}`".into()),
                );
                return String::new();
            }
            env_used.push(name.to_owned());
            match (scope.env.get(name), default) {
                (Some(value), _) => value.clone(),
                (None, Some(default)) => default.to_owned(),
                (None, None) => {
                    sink.error(
                        "unset-env",
                        pos,
                        format!("environment variable `{name}` is not set"),
                        Some(format!(
                            "export {name}=..., or give a default: `${{env:{name}:-default}}`"
                        )),
                    );
                    String::new()
                }
            }
        }
        "var" => {
            let Some(vars) = scope.vars else {
                sink.error(
                    "bad-variable",
                    pos,
                    format!("`${{{expression}}}`: a variable cannot refer to another variable"),
                    Some("use `${env:...}` or a literal value in `vars:`".into()),
                );
                return String::new();
            };
            match (vars.get(name), default) {
                (Some(value), _) => value.clone(),
                (None, Some(default)) => default.to_owned(),
                (None, None) => {
                    let names: Vec<&str> = vars.keys().map(String::as_str).collect();
                    let hint = suggest::did_you_mean(name, names.iter().copied())
                        .map(|best| format!("did you mean `{best}`?"))
                        .unwrap_or_else(|| {
                            format!("define `{name}` under `vars:` or pass `--var {name}=VALUE`")
                        });
                    sink.error(
                        "unknown-var",
                        pos,
                        format!("variable `{name}` is not defined"),
                        Some(hint),
                    );
                    String::new()
                }
            }
        }
        _ => {
            sink.error(
                "bad-variable",
                pos,
                format!("`${{{expression}}}` is not a variable reference"),
                Some("write `${env:NAME}`, `${env:NAME:-default}` or `${var:key}`; `$${` is a literal `${`".into()),
            );
            String::new()
        }
    }
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(text: &str, env: &[(&str, &str)], vars: &[(&str, &str)]) -> (String, bool, Vec<String>) {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let names = vec!["f".to_string()];
        let mut sink = Sink::new(&names);
        let result = substitute(
            text,
            &Scope {
                env: &env,
                vars: Some(&vars),
            },
            Pos::default(),
            &mut sink,
        );
        let errors = sink.finish().into_iter().map(|d| d.message).collect();
        (result.text, result.sole, errors)
    }

    #[test]
    fn substitutes_env_and_vars() {
        assert_eq!(run("a-${env:X}-b", &[("X", "1")], &[]).0, "a-1-b");
        assert_eq!(run("${env:X:-def}", &[], &[]), ("def".into(), true, vec![]));
        assert_eq!(
            run("${var:k}", &[], &[("k", "v")]),
            ("v".into(), true, vec![])
        );
        assert_eq!(run("$${env:X} $5", &[], &[]).0, "${env:X} $5");
        assert!(!run("${var:k}${var:k}", &[], &[("k", "v")]).1);
    }

    #[test]
    fn reports_problems() {
        assert_eq!(
            run("${env:NOPE}", &[], &[]).2,
            ["environment variable `NOPE` is not set"]
        );
        assert_eq!(
            run("${var:nope}", &[], &[]).2,
            ["variable `nope` is not defined"]
        );
        assert_eq!(run("${oops", &[], &[]).2.len(), 1);
        assert_eq!(run("${foo:x}", &[], &[]).2.len(), 1);
    }
}
