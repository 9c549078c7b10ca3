//! `adfctl cost`: the estimated inactive-pipeline charge of a spec, and of the live factory.

use super::session::{self, Session};
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_core::Kind;
use adf_engine::runs;
use adf_plan::cost::{self, Estimate};
use std::collections::BTreeSet;

/// Arguments of `adfctl cost`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    adfctl cost -f specs/foreach.yaml\n  \
    adfctl cost -f specs/foreach.yaml --live --local\n")]
pub struct CostArgs {
    #[command(flatten)]
    spec: SpecArgs,

    /// Also read the live factory the spec targets and estimate it.
    #[arg(long)]
    live: bool,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    format: CostFormat,

    #[command(flatten)]
    target: TargetArgs,
}

/// Output formats of `adfctl cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CostFormat {
    /// Lines for people.
    Text,
    /// JSON, for scripts.
    Json,
}

/// Runs `adfctl cost`.
pub fn run(args: CostArgs) -> Outcome {
    let session = Session::open(&args.spec)?;
    let loaded = &session.loaded;
    let desired = cost::of_desired(&loaded.desired);
    let live = if args.live {
        let (live, ran) = session.connected(&args.target, async |connection, loaded| {
            let live = session::refresh(&connection.client, &loaded.desired, false).await?;
            let has_factory = live
                .resources
                .iter()
                .any(|r| r.address.kind == Kind::Factory);
            let ran = if has_factory {
                runs::pipelines_run_this_month(&connection.client, &loaded.desired.target)
                    .await
                    .map_err(|error| {
                        CliError::new(format!("cannot read this month's pipeline runs: {error}"))
                    })?
            } else {
                BTreeSet::new()
            };
            Ok((live, ran))
        })?;
        Some(cost::of_live(&live, &ran))
    } else {
        None
    };
    let factory = &loaded.desired.target.factory;
    match args.format {
        CostFormat::Text => {
            print!("{}", text("Spec", factory, &desired));
            if let Some(live) = &live {
                print!("{}", text("Live", factory, live));
            }
            println!(
                "ADF bills ${:.2} a month for each pipeline that no trigger and no run uses; a pipeline counts as active here when a started trigger runs it, directly or through ExecutePipeline.",
                adf_plan::INACTIVE_PIPELINE_MONTHLY_USD
            );
            if live.is_some() {
                println!(
                    "Live, a pipeline that ran this month counts as active too, with the pipelines it executes."
                );
            }
        }
        CostFormat::Json => {
            let report = cost::CostReport::new(factory, &desired, live.as_ref());
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        }
    }
    Ok(ExitStatus::Success)
}

fn text(label: &str, factory: &str, estimate: &Estimate) -> String {
    let mut out = format!(
        "{label} (factory {factory}): estimated inactive-pipeline charge {}\n",
        cost::describe(estimate)
    );
    if !estimate.inactive.is_empty() {
        out.push_str(&format!("  inactive: {}\n", estimate.inactive.join(", ")));
    }
    out
}
