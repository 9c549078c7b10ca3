//! `adfctl destroy`: delete what the spec manages.

use super::plan::{PlanFormat, print_plan};
use super::session::{self, fail};
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use crate::exit::ExitStatus;
use adf_plan::PlanOptions;

/// Arguments of `adfctl destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    spec: SpecArgs,

    #[command(flatten)]
    target: TargetArgs,

    /// Destroy without asking for confirmation (needed without a terminal).
    #[arg(long)]
    auto_approve: bool,

    /// How many independent deletes may run at once.
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    parallelism: u16,
}

/// Runs `adfctl destroy`.
pub fn run(args: DestroyArgs) -> ExitStatus {
    let loaded = match args.spec.load() {
        Ok(loaded) => loaded,
        Err(status) => return status,
    };
    let runtime = match session::runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    runtime.block_on(async {
        let connection = match args.target.connect().await {
            Ok(connection) => connection,
            Err(message) => return fail(&message),
        };
        let status = async {
            let (live, plan) =
                match session::make_plan(&connection, &loaded.desired, &PlanOptions::destroy())
                    .await
                {
                    Ok(made) => made,
                    Err(status) => return status,
                };
            print_plan(&plan, PlanFormat::Human);
            if !plan.has_changes() {
                return ExitStatus::Success;
            }
            if !args.auto_approve {
                match session::confirm("Do you really want to destroy these resources?") {
                    Ok(true) => {}
                    Ok(false) => {
                        eprintln!("Destroy cancelled.");
                        return ExitStatus::Failure;
                    }
                    Err(status) => return status,
                }
            }
            session::execute(
                &connection,
                &plan,
                &loaded.desired,
                &live,
                usize::from(args.parallelism),
            )
            .await
        }
        .await;
        connection.close().await;
        status
    })
}
