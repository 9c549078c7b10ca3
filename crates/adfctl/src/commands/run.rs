//! `adfctl run` (start a pipeline run and follow it) and `adfctl runs` (list recent runs).

use super::session::Session;
use super::spec_args::SpecArgs;
use super::target::{Connection, TargetArgs};
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_core::RunStatus;
use adf_engine::runs::{self, ActivityRun, FollowEnd, PipelineRun, RunList, RunReport};
use serde_json::{Map, Value};
use std::time::Duration;

/// Output formats of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// A table of activity runs.
    Human,
    /// The run and its activity runs as JSON.
    Json,
}

/// Arguments of `adfctl run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    spec: SpecArgs,

    #[command(flatten)]
    target: TargetArgs,

    /// The pipeline to run.
    #[arg(value_name = "PIPELINE")]
    pipeline: String,

    /// A pipeline parameter; the value is parsed as JSON when it is JSON (`[1,2]`, `3`,
    /// `true`), else taken as a string. Repeatable.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, Value)>,

    /// Print the run id and exit without following the run.
    #[arg(long)]
    no_wait: bool,

    /// Give up following (and cancel the run) after this long: `90s`, `10m`, `2h`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1h")]
    timeout: Duration,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: RunFormat,

    /// Print the link to the run's page on stderr once it starts: the emulator's monitor page
    /// (for `--local`, the one `adfctl monitor --local` serves), or ADF Studio's on Azure.
    #[arg(long)]
    open: bool,
}

/// Arguments of `adfctl runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    #[command(flatten)]
    spec: SpecArgs,

    #[command(flatten)]
    target: TargetArgs,

    /// Only runs of this pipeline.
    #[arg(long, value_name = "PIPELINE")]
    pipeline: Option<String>,

    /// Only runs with this status (Queued, InProgress, Succeeded, Failed, Cancelled).
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,

    /// How many days back to look.
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    days: i64,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: RunFormat,
}

fn parse_param(text: &str) -> Result<(String, Value), String> {
    let Some((key, value)) = text.split_once('=').filter(|(k, _)| !k.is_empty()) else {
        return Err(format!("`{text}` is not KEY=VALUE"));
    };
    let parsed = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((key.to_owned(), parsed))
}

/// Parses `90s`, `10m`, `2h`, `1h30m` or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("`{text}` is not a duration; write it like 90s, 10m or 2h");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(invalid()),
        };
        let value: u64 = number.parse().map_err(|_| invalid())?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(invalid());
    }
    Ok(Duration::from_secs(total))
}

/// Runs `adfctl run`.
pub fn run(args: RunArgs) -> Outcome {
    let session = Session::open(&args.spec)?;
    let address = adf_core::ResourceAddress::new(adf_core::Kind::Pipeline, &args.pipeline);
    if session.loaded.desired.get(&address).is_none() {
        let pipelines: Vec<&str> = session
            .loaded
            .desired
            .of_kind(adf_core::Kind::Pipeline)
            .map(|r| r.address.name.as_str())
            .collect();
        return Err(CliError::with_hint(
            format!("the spec defines no pipeline `{}`", args.pipeline),
            adf_spec::suggest::hint(&args.pipeline, &pipelines).unwrap_or_else(|| {
                "run one of the pipelines under `pipelines:` in the spec".into()
            }),
        ));
    }
    session.connected(&args.target, async |connection, loaded| {
        follow(connection, &loaded.desired.target, &args).await
    })
}

async fn follow(
    connection: &Connection,
    target: &adf_core::FactoryTarget,
    args: &RunArgs,
) -> Outcome {
    let parameters: Map<String, Value> = args.params.iter().cloned().collect();
    let run_id = runs::start_run(&connection.client, target, &args.pipeline, &parameters)
        .await
        .map_err(|error| {
            CliError::new(format!(
                "cannot start pipeline `{}`: {error}",
                args.pipeline
            ))
        })?;
    if args.open {
        match run_page(connection, &args.target, target, &run_id) {
            Ok(link) => eprintln!("Run page: {link}"),
            Err(reason) => eprintln!("Run page: not available ({reason})."),
        }
    }
    if args.no_wait {
        match args.format {
            RunFormat::Human => println!("{run_id}"),
            RunFormat::Json => print_json(serde_json::to_value(RunReport::started(&run_id))),
        }
        return Ok(ExitStatus::Success);
    }
    eprintln!("Started run {run_id} of pipeline {}.", args.pipeline);
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("Interrupted: cancelling run {run_id}...");
    };
    // The end is printed once, with the run's own duration (ARM's `durationInMs`), not
    // this client's clock as well.
    let print_status = |run: &PipelineRun, after: Duration| {
        if !run.is_terminal() {
            eprintln!("  {} after {:.1}s", run.status, after.as_secs_f64());
        }
    };
    let end = runs::follow_run(
        &connection.client,
        target,
        &run_id,
        args.timeout,
        interrupt,
        print_status,
    )
    .await
    .map_err(|error| CliError::new(format!("cannot read run {run_id}: {error}")))?;
    let run = match end {
        FollowEnd::Finished(run) => run,
        FollowEnd::TimedOut => {
            return Err(CliError::with_hint(
                format!(
                    "run {run_id} did not finish within {:?}; it was cancelled",
                    args.timeout
                ),
                "raise --timeout, or use --no-wait and `adfctl runs` to check on it later",
            ));
        }
        FollowEnd::Interrupted(Ok(())) => {
            eprintln!("Run {run_id} cancelled.");
            return Ok(ExitStatus::Interrupted);
        }
        FollowEnd::Interrupted(Err(error)) => {
            return Err(CliError::new(format!(
                "cannot cancel run {run_id}: {error}"
            )));
        }
    };
    let activities = runs::activity_runs(&connection.client, target, &run_id)
        .await
        .map_err(|error| {
            CliError::new(format!(
                "cannot read the activity runs of {run_id}: {error}"
            ))
        })?;
    match args.format {
        RunFormat::Human => print!("{}", render_run(&run, &activities)),
        RunFormat::Json => print_json(serde_json::to_value(RunReport::finished(&run, &activities))),
    }
    if run.state() == Some(RunStatus::Succeeded) {
        return Ok(ExitStatus::Success);
    }
    let failing = activities
        .iter()
        .find(|a| RunStatus::parse(&a.status) == Some(RunStatus::Failed));
    Err(CliError::new(match failing {
        Some(activity) => format!(
            "run {run_id} {}: activity `{}` failed: {}",
            run.status.to_lowercase(),
            activity.activity_name,
            activity.error_message.as_deref().unwrap_or("(no message)")
        ),
        None => format!(
            "run {run_id} {}: {}",
            run.status.to_lowercase(),
            run.message
        ),
    }))
}

/// The link `--open` prints: the emulator's monitor page of the run, or ADF Studio's monitoring
/// page on Azure's public cloud; `Err` says why there is none.
fn run_page(
    connection: &Connection,
    target_args: &TargetArgs,
    target: &adf_core::FactoryTarget,
    run_id: &str,
) -> Result<String, String> {
    let page = |base: &str| {
        adf_emulator::monitor::run_page_url(
            base,
            &target.subscription,
            &target.resource_group,
            &target.factory,
            run_id,
        )
    };
    if connection.emulator.is_some() {
        // This process's emulator stops with the command; `adfctl monitor --local` serves the
        // same state on a fixed port.
        let base = format!("http://{}", super::monitor::DEFAULT_LISTEN);
        return Ok(format!(
            "{} (serve it with `adfctl monitor --local --local-dir {}`)",
            page(&base),
            target_args.local_dir.display()
        ));
    }
    let endpoint = connection.client.endpoint();
    let azure = [
        adf_arm::Cloud::Public,
        adf_arm::Cloud::China,
        adf_arm::Cloud::UsGovernment,
    ]
    .into_iter()
    .find(|cloud| {
        url::Url::parse(cloud.endpoint())
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            == endpoint.host_str().map(str::to_ascii_lowercase)
    });
    match azure {
        // Any endpoint that is not Azure Resource Manager is taken for an emulator.
        None => Ok(page(endpoint.as_str())),
        // ADF Studio's own link to a run (UNVERIFIED: the form ADF Studio's address bar shows).
        Some(adf_arm::Cloud::Public) => Ok(studio_run_url(target, run_id)),
        Some(cloud) => Err(format!(
            "adfctl knows ADF Studio's address in Azure's public cloud only, not in {}",
            cloud.name()
        )),
    }
}

/// ADF Studio's monitoring page of a run (UNVERIFIED: the form ADF Studio's address bar shows).
fn studio_run_url(target: &adf_core::FactoryTarget, run_id: &str) -> String {
    format!(
        "https://adf.azure.com/en/monitoring/pipelineruns/{run_id}?factory={}",
        url::form_urlencoded::byte_serialize(target.factory_path().as_bytes()).collect::<String>()
    )
}

/// The run summary and its activity table.
pub fn render_run(run: &PipelineRun, activities: &[ActivityRun]) -> String {
    let mut out = format!(
        "Pipeline {} run {}: {}{}\n\n",
        run.pipeline_name,
        run.run_id,
        run.status,
        run.duration_ms
            .map(|ms| format!(" in {}", seconds(ms)))
            .unwrap_or_default()
    );
    let mut rows = vec![["ACTIVITY", "TYPE", "STATUS", "DURATION", "DETAILS"].map(str::to_owned)];
    let mut ordered: Vec<&ActivityRun> = activities.iter().collect();
    ordered.sort_by(|a, b| a.start.cmp(&b.start));
    for activity in ordered {
        rows.push([
            activity.activity_name.clone(),
            activity.activity_type.clone(),
            activity.status.clone(),
            activity
                .duration_ms
                .map(seconds)
                .unwrap_or_else(|| "-".into()),
            details(activity),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<width$}", width = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

fn details(activity: &ActivityRun) -> String {
    if let Some(message) = &activity.error_message {
        return message.clone();
    }
    if activity.activity_type != "Copy" {
        return String::new();
    }
    let number = |key: &str| activity.output.get(key).and_then(Value::as_f64);
    let mut parts = Vec::new();
    if let Some(read) = number("dataRead") {
        parts.push(format!("read {}", bytes(read)));
    }
    if let Some(written) = number("dataWritten") {
        parts.push(format!("written {}", bytes(written)));
    }
    if let (Some(files_read), Some(files_written)) = (number("filesRead"), number("filesWritten")) {
        parts.push(format!("files {files_read}/{files_written}"));
    }
    if let Some(rows) = number("rowsCopied") {
        parts.push(format!("rows {rows}"));
    }
    if let Some(throughput) = number("throughput") {
        parts.push(format!("{throughput:.1} KB/s"));
    }
    parts.join(", ")
}

fn bytes(value: f64) -> String {
    if value < 1024.0 {
        format!("{value} B")
    } else if value < 1024.0 * 1024.0 {
        format!("{:.1} KiB", value / 1024.0)
    } else {
        format!("{:.1} MiB", value / (1024.0 * 1024.0))
    }
}

/// Runs `adfctl runs`.
pub fn list(args: RunsArgs) -> Outcome {
    let session = Session::open(&args.spec)?;
    let found = session.connected(&args.target, async |connection, loaded| {
        runs::recent_runs(
            &connection.client,
            &loaded.desired.target,
            args.days,
            args.pipeline.as_deref(),
            args.status.as_deref(),
        )
        .await
        .map_err(|error| CliError::new(format!("cannot query runs: {error}")))
    })?;
    match args.format {
        RunFormat::Json => print_json(serde_json::to_value(RunList::new(&found))),
        RunFormat::Human => {
            if found.is_empty() {
                eprintln!("No runs in the last {} days.", args.days);
            } else {
                println!(
                    "{:<36}  {:<24} {:<10} {:<28} DURATION",
                    "RUN ID", "PIPELINE", "STATUS", "STARTED"
                );
            }
            for run in &found {
                println!(
                    "{}  {:<24} {:<10} {:<28} {}",
                    run.run_id,
                    run.pipeline_name,
                    run.status,
                    run.run_start.as_deref().unwrap_or("-"),
                    run.duration_ms.map(seconds).unwrap_or_else(|| "-".into())
                );
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// Prints a versioned JSON document (one of adf-engine's report types) on stdout.
fn print_json(document: Result<Value, serde_json::Error>) {
    let text = document.and_then(|document| serde_json::to_string_pretty(&document));
    println!("{}", text.unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn studio_links_name_the_run_and_the_factory() {
        let target = adf_core::FactoryTarget {
            subscription: "sub".into(),
            resource_group: "rg".into(),
            factory: "df".into(),
        };
        assert_eq!(
            studio_run_url(&target, "r1"),
            "https://adf.azure.com/en/monitoring/pipelineruns/r1?factory=%2Fsubscriptions%2Fsub%2FresourceGroups%2Frg%2Fproviders%2FMicrosoft.DataFactory%2Ffactories%2Fdf"
        );
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn params_parse_json_or_string() {
        assert_eq!(parse_param("n=3"), Ok(("n".into(), json!(3))));
        assert_eq!(
            parse_param("files=[\"a\",\"b\"]"),
            Ok(("files".into(), json!(["a", "b"])))
        );
        assert_eq!(
            parse_param("name=hello"),
            Ok(("name".into(), json!("hello")))
        );
        assert!(parse_param("=x").is_err());
    }
}
