//! `adfctl apply`: plan and apply a spec, or apply a saved plan exactly.

use super::plan::{PlanFormat, print_plan};
use super::session::{self, fail, fail_with_hint};
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use crate::exit::ExitStatus;
use adf_plan::{Action, PlanOptions, saved::SavedPlan};
use std::path::PathBuf;

/// Arguments of `adfctl apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A plan saved by `adfctl plan --out FILE`: apply exactly that plan. It is refused if live
    /// state changed since it was made.
    #[arg(value_name = "PLANFILE", required_unless_present = "files")]
    planfile: Option<PathBuf>,

    /// Spec file to read; repeat to merge several in order (a base spec, then overlays).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Set the spec variable KEY (used as `${var:KEY}`). Repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = super::spec_args::parse_var)]
    vars: Vec<(String, String)>,

    #[command(flatten)]
    target: TargetArgs,

    /// Apply without asking for confirmation (needed without a terminal).
    #[arg(long)]
    auto_approve: bool,

    /// Also delete live entities the spec does not define.
    #[arg(long)]
    prune: bool,

    /// Allow replacing (deleting and creating again) the factory or the resource group, when
    /// their location changes. Everything in them is lost.
    #[arg(long)]
    allow_replace: bool,

    /// How many independent changes may run at once.
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    parallelism: u16,
}

/// Runs `adfctl apply`.
pub fn run(args: ApplyArgs) -> ExitStatus {
    let runtime = match session::runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    match &args.planfile {
        Some(path) => runtime.block_on(apply_saved(&args, path)),
        None => runtime.block_on(apply_spec(&args)),
    }
}

async fn apply_spec(args: &ApplyArgs) -> ExitStatus {
    let spec = SpecArgs {
        files: args.files.clone(),
        vars: args.vars.clone(),
    };
    let loaded = match spec.load() {
        Ok(loaded) => loaded,
        Err(status) => return status,
    };
    let connection = match args.target.connect().await {
        Ok(connection) => connection,
        Err(message) => return fail(&message),
    };
    let options = PlanOptions {
        prune: args.prune,
        ..PlanOptions::apply()
    };
    let status = async {
        let (live, plan) = match session::make_plan(&connection, &loaded.desired, &options).await {
            Ok(made) => made,
            Err(status) => return status,
        };
        print_plan(&plan, PlanFormat::Human);
        if !plan.has_changes() {
            return ExitStatus::Success;
        }
        if plan.has_replacements() && !args.allow_replace {
            return fail_with_hint(
                "the plan replaces the factory or the resource group, which deletes everything in it",
                "if that is really what you want, run again with --allow-replace",
            );
        }
        if !args.auto_approve {
            match session::confirm("Do you want to perform these actions?") {
                Ok(true) => {}
                Ok(false) => {
                    eprintln!("Apply cancelled.");
                    return ExitStatus::Failure;
                }
                Err(status) => return status,
            }
        }
        session::execute(&connection, &plan, &loaded.desired, &live, usize::from(args.parallelism)).await
    }
    .await;
    connection.close().await;
    status
}

async fn apply_saved(args: &ApplyArgs, path: &PathBuf) -> ExitStatus {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            return fail_with_hint(
                &format!("cannot read the plan file {}: {error}", path.display()),
                "make one with `adfctl plan -f SPEC --out FILE`",
            );
        }
    };
    let saved = match SavedPlan::from_file_str(&text) {
        Ok(saved) => saved,
        Err(error) => return fail(&format!("{}: {error}", path.display())),
    };
    if !args.files.is_empty() {
        let spec = SpecArgs {
            files: args.files.clone(),
            vars: args.vars.clone(),
        };
        let loaded = match spec.load() {
            Ok(loaded) => loaded,
            Err(status) => return status,
        };
        if let Err(error) = saved.check_target(&loaded.desired.target) {
            return fail(&error.to_string());
        }
        if !saved.matches_desired(&loaded.desired) {
            return fail_with_hint(
                "the spec changed since the plan was made",
                "make a new plan with `adfctl plan --out`",
            );
        }
    }
    let desired = match saved.desired_state(|name| std::env::var(name).ok()) {
        Ok(desired) => desired,
        Err(error) => return fail(&format!("{}: {error}", path.display())),
    };
    if saved.plan.has_replacements() && !args.allow_replace {
        return fail_with_hint(
            "the plan replaces the factory or the resource group, which deletes everything in it",
            "if that is really what you want, run again with --allow-replace",
        );
    }
    let connection = match args.target.connect().await {
        Ok(connection) => connection,
        Err(message) => return fail(&message),
    };
    let status = async {
        let list_group = saved.plan.mode == adf_plan::PlanMode::Destroy;
        let live = match session::refresh(&connection, &desired, list_group).await {
            Ok(live) => live,
            Err(status) => return status,
        };
        if let Err(error) = saved.check_live(&live) {
            return fail(&format!("refusing to apply {}: {error}", path.display()));
        }
        print_plan(&saved.plan, PlanFormat::Human);
        if !saved.plan.has_changes() {
            return ExitStatus::Success;
        }
        let deletes = saved
            .plan
            .changes
            .iter()
            .any(|c| c.action == Action::Delete);
        if deletes && !args.auto_approve {
            match session::confirm(
                "This plan deletes resources. Do you want to perform these actions?",
            ) {
                Ok(true) => {}
                Ok(false) => {
                    eprintln!("Apply cancelled.");
                    return ExitStatus::Failure;
                }
                Err(status) => return status,
            }
        }
        session::execute(
            &connection,
            &saved.plan,
            &desired,
            &live,
            usize::from(args.parallelism),
        )
        .await
    }
    .await;
    connection.close().await;
    status
}
