//! `adfctl eval`: evaluates one ADF expression with the values given on the command line and
//! prints the result as JSON. The evaluation is adf-expr's, the emulator's evaluator.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;

/// Arguments of `adfctl eval`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Values are parsed as JSON when they are JSON (`3`, `true`, `[1,2]`, \
    `{\"a\":1}`, `\"quoted\"`), else taken as strings.\n\n\
    Examples:\n  \
    adfctl eval \"@concat('out/', pipeline().parameters.name, '.csv')\" --param name=sales\n  \
    adfctl eval \"@formatDateTime(convertFromUtc(utcNow(), 'W. Europe Standard Time'), 'yyyy-MM-dd')\"\n  \
    adfctl eval \"@activity('Lookup').output.firstRow.id\" --activity-output 'Lookup={\"firstRow\":{\"id\":7}}'\n  \
    adfctl eval \"in/@{item().name}\" --item '{\"name\":\"a.csv\"}'\n"
)]
pub struct EvalArgs {
    /// The property string to evaluate, as in a pipeline's JSON: `@expression`, text with
    /// `@{...}` parts, or a literal.
    #[arg(value_name = "EXPRESSION")]
    expression: String,

    /// A pipeline parameter: `pipeline().parameters.KEY`.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_pair)]
    params: Vec<(String, Value)>,

    /// A global parameter: `pipeline().globalParameters.KEY`.
    #[arg(long = "global", value_name = "KEY=VALUE", value_parser = parse_pair)]
    globals: Vec<(String, Value)>,

    /// A pipeline variable: `variables('KEY')`.
    #[arg(long = "variable", value_name = "KEY=VALUE", value_parser = parse_pair)]
    variables: Vec<(String, Value)>,

    /// A system variable: `pipeline().KEY` (RunId, Pipeline, DataFactory, TriggerTime, ...).
    #[arg(long = "system", value_name = "KEY=VALUE", value_parser = parse_pair)]
    system: Vec<(String, Value)>,

    /// A succeeded activity's output: `activity('NAME').output`.
    #[arg(long = "activity-output", value_name = "NAME=JSON", value_parser = parse_pair)]
    activity_outputs: Vec<(String, Value)>,

    /// The ForEach item: `item()`.
    #[arg(long, value_name = "JSON", value_parser = parse_value)]
    item: Option<Value>,

    /// The time `utcNow()` reads (ISO 8601), instead of the clock.
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    now: Option<time::OffsetDateTime>,
}

/// `KEY=VALUE`, the value parsed as JSON when it is JSON (as `run --param` does).
fn parse_pair(text: &str) -> Result<(String, Value), String> {
    let Some((key, value)) = text.split_once('=').filter(|(k, _)| !k.is_empty()) else {
        return Err(format!("`{text}` is not KEY=VALUE"));
    };
    Ok((key.to_owned(), parse_value(value)?))
}

fn parse_value(text: &str) -> Result<Value, String> {
    Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

fn parse_now(text: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("`{text}` is not an ISO 8601 timestamp like 2026-01-31T08:00:00Z"))
}

/// Evaluates the expression and prints its value as JSON on stdout.
pub fn run(args: EvalArgs) -> Outcome {
    let now = args.now.unwrap_or_else(time::OffsetDateTime::now_utc);
    let mut bindings = adf_expr::Bindings::new(now)
        .with_guid_source(Arc::new(|| uuid::Uuid::new_v4().to_string()));
    let collect = |pairs: Vec<(String, Value)>| pairs.into_iter().collect::<Map<String, Value>>();
    bindings.pipeline_parameters = collect(args.params);
    bindings.global_parameters = collect(args.globals);
    bindings.variables = collect(args.variables);
    bindings.system = collect(args.system);
    bindings.activities = args
        .activity_outputs
        .into_iter()
        .map(|(name, output)| {
            let result = json!({"status": "Succeeded", "output": output, "error": null});
            (name, result)
        })
        .collect();
    bindings.item = args.item;
    let value = adf_expr::parse(&args.expression)
        .and_then(|template| {
            if template.is_literal() && !args.expression.is_empty() {
                eprintln!(
                    "note: this is a literal (it does not start with @ and has no @{{...}}); it evaluates to itself"
                );
            }
            adf_expr::evaluate(&template, &bindings)
        })
        .map_err(expression_error)?;
    let text = serde_json::to_string_pretty(&value)
        .map_err(|error| CliError::new(format!("cannot write the value: {error}")))?;
    println!("{text}");
    Ok(ExitStatus::Success)
}

/// The error with the expression and a caret under the position.
fn expression_error(error: adf_expr::ExprError) -> CliError {
    let kind = match error.kind {
        adf_expr::ErrorKind::Syntax => "syntax error",
        adf_expr::ErrorKind::Evaluation => "evaluation error",
    };
    let pointer = error
        .pointer()
        .lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n");
    let message = format!(
        "{kind}: {} at position {}\n{pointer}",
        error.message, error.position
    );
    match error.hint {
        Some(hint) => CliError::with_hint(message, hint),
        None => CliError::new(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_json_or_string() {
        assert_eq!(parse_pair("n=3"), Ok(("n".into(), json!(3))));
        assert_eq!(parse_pair("o={\"a\":1}"), Ok(("o".into(), json!({"a": 1}))));
        assert_eq!(parse_pair("s=hello"), Ok(("s".into(), json!("hello"))));
        assert_eq!(parse_pair("e="), Ok(("e".into(), json!(""))));
        assert!(parse_pair("=x").is_err());
        assert!(parse_pair("novalue").is_err());
    }
}
