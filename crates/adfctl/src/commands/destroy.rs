//! `adfctl destroy`: delete what the spec manages.

use super::plan::{PlanFormat, print_plan};
use super::scope_args::ScopeArgs;
use super::session::{self, Session};
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use crate::error::Outcome;
use crate::exit::ExitStatus;
use adf_plan::PlanMode;

/// Arguments of `adfctl destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    spec: SpecArgs,

    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    targets: super::multi::TargetsArgs,

    #[command(flatten)]
    scope: ScopeArgs,

    /// Destroy without asking for confirmation (needed without a terminal).
    #[arg(long)]
    auto_approve: bool,

    /// How many independent deletes may run at once.
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    parallelism: u16,
}

/// Runs `adfctl destroy`.
pub fn run(mut args: DestroyArgs) -> Outcome {
    // Deletes need no bodies, so no secret values either.
    args.spec.secrets_optional = true;
    if args.targets.targets.is_some() {
        let request = super::multi::Request {
            base: &args.spec,
            targets: &args.targets,
            connect: &args.target,
            scope: &args.scope,
            mode: PlanMode::Destroy,
            prune: false,
        };
        let options = adf_engine::ApplyOptions::with_parallelism(usize::from(args.parallelism));
        return super::multi::execute(
            &request,
            super::multi::Execution {
                auto_approve: args.auto_approve,
                allow_replace: false,
                options,
            },
        );
    }
    let session = Session::open(&args.spec)?;
    let options = session.plan_options(PlanMode::Destroy, false, &args.scope)?;
    session.connected(&args.target, async |connection, loaded| {
        let (live, plan) =
            session::make_plan(&connection.client, &loaded.desired, &options).await?;
        print_plan(&plan, PlanFormat::Human);
        if !plan.has_changes() {
            return Ok(ExitStatus::Success);
        }
        if !args.auto_approve {
            session::confirm("Do you really want to destroy these resources?", "Destroy")?;
        }
        let options = adf_engine::ApplyOptions::with_parallelism(usize::from(args.parallelism));
        session::execute(&connection.client, &plan, &loaded.desired, &live, options).await
    })
}
