//! `adfctl plan`

use super::scope_args::ScopeArgs;
use super::session::{self, Session};
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_plan::{Plan, PlanMode, saved::SavedPlan};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Output formats of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Terraform-like text with property-level diffs.
    Human,
    /// Versioned JSON (`format_version`), for scripts.
    Json,
    /// Markdown, for pull-request comments.
    Markdown,
}

/// Arguments of `adfctl plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    spec: SpecArgs,

    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    targets: super::multi::TargetsArgs,

    #[command(flatten)]
    scope: ScopeArgs,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: PlanFormat,

    /// Exit 0 when nothing would change, 2 when something would, 1 on error.
    #[arg(long)]
    detailed_exitcode: bool,

    /// Count live entities the spec does not define (made in ADF Studio, say) as drift: exit 2
    /// with --detailed-exitcode, else fail. For the scheduled drift check.
    #[arg(long)]
    fail_on_unmanaged: bool,

    /// Human format: one line per changed resource with the paths that change, instead of
    /// every change in full.
    #[arg(long)]
    compact: bool,

    /// Save the plan to FILE, for `adfctl apply FILE` (secrets are not saved: apply reads
    /// them from the environment again). One target only.
    #[arg(long, value_name = "FILE", conflicts_with = "targets")]
    out: Option<PathBuf>,

    /// Also delete live entities the spec does not define (without it they are listed as
    /// unmanaged and left alone).
    #[arg(long)]
    prune: bool,

    /// Plan a destroy instead of an apply.
    #[arg(long)]
    destroy: bool,
}

/// Runs `adfctl plan`.
pub fn run(args: PlanArgs) -> Outcome {
    let mode = if args.destroy {
        PlanMode::Destroy
    } else {
        PlanMode::Apply
    };
    if args.targets.targets.is_some() {
        let request = super::multi::Request {
            base: &args.spec,
            targets: &args.targets,
            connect: &args.target,
            scope: &args.scope,
            mode,
            prune: args.prune && !args.destroy,
        };
        return super::multi::plan(
            &request,
            args.format,
            args.detailed_exitcode,
            args.fail_on_unmanaged,
            args.compact,
        );
    }
    let session = Session::open(&args.spec)?;
    let options = session.plan_options(mode, args.prune && !args.destroy, &args.scope)?;
    let (_live, plan) = session.connected(&args.target, async |connection, loaded| {
        session::make_plan(&connection.client, &loaded.desired, &options).await
    })?;
    if let Some(path) = &args.out {
        let saved = SavedPlan::new(
            &plan,
            &session.loaded.desired,
            &options,
            uuid::Uuid::new_v4().as_bytes(),
        );
        std::fs::write(path, saved.to_file_string()).map_err(|error| {
            CliError::new(format!(
                "cannot write the plan to {}: {error}",
                path.display()
            ))
        })?;
        eprintln!(
            "Saved the plan to {}; apply it with `adfctl apply {}`.",
            path.display(),
            path.display()
        );
    }
    if args.compact && args.format == PlanFormat::Human {
        print!("{}", adf_plan::render::compact(&plan, style()));
    } else {
        print_plan(&plan, args.format);
    }
    let unmanaged = args.fail_on_unmanaged && !plan.unmanaged.is_empty();
    if unmanaged && !args.detailed_exitcode {
        return Err(CliError::with_hint(
            format!(
                "{} live resource{} not in the spec (--fail-on-unmanaged)",
                plan.unmanaged.len(),
                if plan.unmanaged.len() == 1 {
                    " is"
                } else {
                    "s are"
                }
            ),
            "add them to the spec, delete them in the factory, or plan with --prune to delete them",
        ));
    }
    if args.detailed_exitcode && (plan.has_changes() || unmanaged) {
        Ok(ExitStatus::Changes)
    } else {
        Ok(ExitStatus::Success)
    }
}

/// Prints a plan on stdout in `format`.
pub fn print_plan(plan: &Plan, format: PlanFormat) {
    let text = match format {
        PlanFormat::Human => adf_plan::render::human(plan, style()),
        PlanFormat::Json => {
            let json = adf_plan::render::json(plan);
            serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
        }
        PlanFormat::Markdown => adf_plan::render::markdown(plan),
    };
    print!("{text}");
}

/// Colour on stdout only for a terminal without `NO_COLOR`.
pub fn style() -> adf_plan::render::Style {
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    adf_plan::render::Style { colour: color }
}
