//! `adfctl test-connection`: asks the factory to test each linked service of the spec, as ADF
//! Studio's "Test connection" does (see `adf_engine::connectivity`), and reports pass, fail or
//! skipped (not testable where it runs) for each.

use super::session::Session;
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_core::Kind;
use adf_engine::connectivity::{
    self, ConnectionReport, ConnectionRequest, ConnectionSummary, ConnectionTest, Verdict,
};
use serde_json::{Map, Value};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestConnectionFormat {
    /// One line per linked service.
    Human,
    /// A versioned JSON document (`format_version: "1"`).
    Json,
}

/// Arguments of `adfctl test-connection`.
#[derive(Debug, clap::Args)]
pub struct TestConnectionArgs {
    #[command(flatten)]
    spec: SpecArgs,

    #[command(flatten)]
    target: TargetArgs,

    /// The linked services to test (default: every linked service of the spec).
    #[arg(value_name = "NAME")]
    names: Vec<String>,

    /// A value for a parameter of a parameterised linked service, sent as that parameter's
    /// `defaultValue` (the others keep theirs). Parsed as JSON when it is JSON, else taken as
    /// a string. Repeatable.
    #[arg(long = "param", value_name = "NAME.KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String, Value)>,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: TestConnectionFormat,
}

/// `NAME.KEY=VALUE` → (linked service, parameter, value).
fn parse_param(text: &str) -> Result<(String, String, Value), String> {
    let invalid = || format!("`{text}` is not NAME.KEY=VALUE (linked service, parameter, value)");
    let (left, value) = text.split_once('=').ok_or_else(invalid)?;
    let (name, key) = left.split_once('.').ok_or_else(invalid)?;
    if name.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    let parsed = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), key.to_owned(), parsed))
}

/// Runs `adfctl test-connection`.
pub fn run(args: TestConnectionArgs) -> Outcome {
    let session = Session::open(&args.spec)?;
    let requests = requests(&session, &args)?;
    if requests.is_empty() {
        eprintln!("The spec defines no linked services: nothing to test.");
        return Ok(ExitStatus::Success);
    }
    let tests = session.connected(&args.target, async |connection, loaded| {
        connectivity::test_connections(&connection.client, &loaded.desired.target, requests)
            .await
            .map_err(|(name, error)| {
                CliError::new(format!("cannot test linked service `{name}`: {}", error))
            })
    })?;
    match args.format {
        TestConnectionFormat::Human => print!("{}", render(&tests)),
        TestConnectionFormat::Json => {
            let document = serde_json::to_string_pretty(&ConnectionReport::new(&tests))
                .map_err(|error| CliError::new(format!("cannot write the report: {error}")))?;
            println!("{document}");
        }
    }
    let summary = ConnectionSummary::of(&tests);
    eprintln!(
        "{} linked service{} tested: {} passed, {} failed, {} skipped.",
        tests.len(),
        if tests.len() == 1 { "" } else { "s" },
        summary.passed,
        summary.failed,
        summary.skipped
    );
    if summary.failed > 0 {
        Err(CliError::shown(ExitStatus::Failure))
    } else {
        Ok(ExitStatus::Success)
    }
}

/// The requests to send, with their bodies: every linked service the names select (all by
/// default), each with its `--param` values. Every unknown name, parameter and unbound
/// parameter is reported at once.
fn requests(
    session: &Session,
    args: &TestConnectionArgs,
) -> Result<Vec<(ConnectionRequest, Value)>, CliError> {
    let desired = &session.loaded.desired;
    let all: Vec<&adf_core::DesiredResource> = desired.of_kind(Kind::LinkedService).collect();
    let names: Vec<&str> = all.iter().map(|r| r.address.name.as_str()).collect();
    let find = |name: &str| {
        all.iter()
            .find(|r| adf_core::naming::fold(&r.address.name) == adf_core::naming::fold(name))
    };
    let mut problems: Vec<(String, String)> = Vec::new();
    let unknown = |name: &str| {
        (
            format!("the spec defines no linked service `{name}`"),
            adf_spec::suggest::hint(name, &names)
                .unwrap_or_else(|| "name one under `linkedServices:` in the spec".into()),
        )
    };
    let selected: Vec<&adf_core::DesiredResource> = if args.names.is_empty() {
        all.clone()
    } else {
        let mut selected = Vec::new();
        for name in &args.names {
            match find(name) {
                Some(resource) if !selected.contains(resource) => selected.push(*resource),
                Some(_) => {}
                None => problems.push(unknown(name)),
            }
        }
        selected
    };
    let mut given: Vec<(&adf_core::DesiredResource, Map<String, Value>)> =
        selected.iter().map(|r| (*r, Map::new())).collect();
    for (name, key, value) in &args.params {
        match find(name) {
            None => problems.push(unknown(name)),
            Some(resource) => {
                if let Some((_, values)) = given.iter_mut().find(|(r, _)| r == resource) {
                    values.insert(key.clone(), value.clone());
                }
            }
        }
    }
    let mut requests = Vec::new();
    for (resource, parameters) in given {
        let request = ConnectionRequest {
            resource: resource.clone(),
            parameters,
        };
        let name = &resource.address.name;
        for unbound in connectivity::unbound_parameters(&request) {
            problems.push((
                format!("parameter `{unbound}` of linked service `{name}` has no default value"),
                format!("give it a value: --param {name}.{unbound}=VALUE"),
            ));
        }
        match connectivity::request_body(&request) {
            Ok(body) => requests.push((request, body)),
            Err(wrong) => {
                let declared: Vec<&str> = wrong.declared.iter().map(String::as_str).collect();
                problems.push((
                    format!(
                        "linked service `{name}` has no parameter `{}`",
                        wrong.parameter
                    ),
                    adf_spec::suggest::hint(&wrong.parameter, &declared).unwrap_or_else(|| {
                        if declared.is_empty() {
                            format!("`{name}` declares no parameters: drop its --param")
                        } else {
                            format!("its parameters: {}", declared.join(", "))
                        }
                    }),
                ));
            }
        }
    }
    match problems.as_slice() {
        [] => Ok(requests),
        [(message, hint)] => Err(CliError::with_hint(message, hint)),
        all => {
            for (message, hint) in all {
                eprintln!("error: {message}\n  hint: {hint}");
            }
            Err(CliError::shown(ExitStatus::Failure))
        }
    }
}

/// One line per linked service: `passed  NAME (TYPE)`, or with ADF's message.
fn render(tests: &[ConnectionTest]) -> String {
    let width = tests
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for test in tests {
        let head = format!(
            "{:<7}  {:<width$}  {}",
            test.verdict.as_str(),
            test.name,
            test.kind
        );
        match (&test.verdict, &test.message) {
            (Verdict::Passed, _) | (_, None) => out.push_str(head.trim_end()),
            (_, Some(message)) => out.push_str(&format!("{head}: {message}")),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn params_name_the_linked_service_and_the_parameter() {
        assert_eq!(
            parse_param("blob.account=dev1"),
            Ok(("blob".into(), "account".into(), json!("dev1")))
        );
        assert_eq!(
            parse_param("pg.port=5433"),
            Ok(("pg".into(), "port".into(), json!(5433)))
        );
        assert!(parse_param("blob=dev1").is_err());
        assert!(parse_param(".k=v").is_err());
        assert!(parse_param("blob.k").is_err());
    }

    #[test]
    fn lines_show_the_verdict_and_the_message() {
        let test = |name: &str, verdict, message: Option<&str>| ConnectionTest {
            name: name.into(),
            kind: "AzureBlobStorage".into(),
            verdict,
            code: None,
            message: message.map(str::to_owned),
        };
        let text = render(&[
            test("blob", Verdict::Passed, None),
            test(
                "other",
                Verdict::Failed,
                Some("403 AuthenticationFailed: no"),
            ),
        ]);
        assert_eq!(
            text,
            "passed   blob   AzureBlobStorage\nfailed   other  AzureBlobStorage: 403 AuthenticationFailed: no\n"
        );
    }
}
