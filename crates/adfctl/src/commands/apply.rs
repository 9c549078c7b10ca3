//! `adfctl apply`: plan and apply a spec, or apply a saved plan exactly.

use super::plan::{PlanFormat, print_plan};
use super::scope_args::ScopeArgs;
use super::session::{self, Session};
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_core::Kind;
use adf_plan::{Action, PlanMode, saved::SavedPlan};
use std::path::PathBuf;

/// Arguments of `adfctl apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A plan saved by `adfctl plan --out FILE`: apply exactly that plan. It is refused if live
    /// state changed since it was made.
    #[arg(value_name = "PLANFILE", required_unless_present_any = ["files", "targets"], conflicts_with = "targets")]
    planfile: Option<PathBuf>,

    /// Spec file to read; repeat to merge several in order (a base spec, then overlays).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Set the spec variable KEY (used as `${var:KEY}`). Repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = super::spec_args::parse_var)]
    vars: Vec<(String, String)>,

    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    targets: super::multi::TargetsArgs,

    #[command(flatten)]
    scope: ScopeArgs,

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

    /// How long to wait for an event trigger's Event Grid subscription to settle: Disabled
    /// after a stop (before its update), Enabled after a start.
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = super::run::parse_duration)]
    event_subscription_timeout: std::time::Duration,
}

impl ApplyArgs {
    fn apply_options(&self) -> adf_engine::ApplyOptions {
        let mut options = adf_engine::ApplyOptions::with_parallelism(usize::from(self.parallelism));
        options.event_subscription.timeout = self.event_subscription_timeout;
        options
    }
}

/// Runs `adfctl apply`.
pub fn run(args: ApplyArgs) -> Outcome {
    match &args.planfile {
        Some(_) if !args.scope.include.is_empty() || !args.scope.exclude.is_empty() => {
            Err(CliError::with_hint(
                "--include and --exclude select from a spec; a saved plan is applied as it was made",
                "give them to `adfctl plan --out` instead",
            ))
        }
        Some(path) => apply_saved(&args, path),
        None if args.targets.targets.is_some() => {
            let base = spec_of(&args);
            let request = super::multi::Request {
                base: &base,
                targets: &args.targets,
                connect: &args.target,
                scope: &args.scope,
                mode: PlanMode::Apply,
                prune: args.prune,
            };
            super::multi::execute(
                &request,
                super::multi::Execution {
                    auto_approve: args.auto_approve,
                    allow_replace: args.allow_replace,
                    options: args.apply_options(),
                },
            )
        }
        None => apply_spec(&args),
    }
}

fn spec_of(args: &ApplyArgs) -> SpecArgs {
    SpecArgs {
        files: args.files.clone(),
        vars: args.vars.clone(),
        secrets_optional: false,
        env: Vec::new(),
    }
}

/// Refuses a plan that replaces anything without `--allow-replace`, saying what each
/// replacement costs: the factory or the group takes everything in it; a managed private
/// endpoint comes back unapproved (its private link waits for the target's owner again).
pub(super) fn refuse_replacements(plan: &adf_plan::Plan, allowed: bool) -> Result<(), CliError> {
    if !plan.has_replacements() || allowed {
        return Ok(());
    }
    let replaced: Vec<&adf_core::ResourceAddress> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Replace)
        .map(|c| &c.address)
        .collect();
    let hint = "if that is really what you want, run again with --allow-replace";
    if replaced
        .iter()
        .any(|a| matches!(a.kind, Kind::Factory | Kind::ResourceGroup))
    {
        return Err(CliError::with_hint(
            "the plan replaces the factory or the resource group, which deletes everything in it",
            hint,
        ));
    }
    let endpoints: Vec<String> = replaced
        .iter()
        .filter(|a| a.kind == Kind::ManagedPrivateEndpoint)
        .map(|a| a.to_string())
        .collect();
    if !endpoints.is_empty() {
        return Err(CliError::with_hint(
            format!(
                "the plan replaces {} ({}): a managed private endpoint cannot change in place, and the new one stays Pending until the owner of its target resource approves it again",
                if endpoints.len() == 1 {
                    "a managed private endpoint"
                } else {
                    "managed private endpoints"
                },
                endpoints.join(", ")
            ),
            hint,
        ));
    }
    let names: Vec<String> = replaced.iter().map(|a| a.to_string()).collect();
    Err(CliError::with_hint(
        format!(
            "the plan replaces {} (deleted, then created again)",
            names.join(", ")
        ),
        hint,
    ))
}

fn apply_spec(args: &ApplyArgs) -> Outcome {
    let session = Session::open(&spec_of(args))?;
    let options = session.plan_options(PlanMode::Apply, args.prune, &args.scope)?;
    session.connected(&args.target, async |connection, loaded| {
        let (live, plan) =
            session::make_plan(&connection.client, &loaded.desired, &options).await?;
        print_plan(&plan, PlanFormat::Human);
        if !plan.has_changes() {
            session::report_private_endpoints(&connection.client, &plan, &live).await;
            return Ok(ExitStatus::Success);
        }
        refuse_replacements(&plan, args.allow_replace)?;
        if !args.auto_approve {
            session::confirm("Do you want to perform these actions?", "Apply")?;
        }
        let outcome = session::execute(
            &connection.client,
            &plan,
            &loaded.desired,
            &live,
            args.apply_options(),
        )
        .await;
        session::report_private_endpoints(&connection.client, &plan, &live).await;
        outcome
    })
}

fn apply_saved(args: &ApplyArgs, path: &PathBuf) -> Outcome {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::with_hint(
            format!("cannot read the plan file {}: {error}", path.display()),
            "make one with `adfctl plan -f SPEC --out FILE`",
        )
    })?;
    let saved = SavedPlan::from_file_str(&text)
        .map_err(|error| CliError::new(format!("{}: {error}", path.display())))?;
    if !args.files.is_empty() {
        let loaded = spec_of(args).load()?;
        saved
            .check_target(&loaded.desired.target)
            .map_err(|error| CliError::new(error.to_string()))?;
        if !saved.matches_desired(&loaded.desired) {
            return Err(CliError::with_hint(
                "the spec changed since the plan was made",
                "make a new plan with `adfctl plan --out`",
            ));
        }
    }
    let desired = saved
        .desired_state(|name| std::env::var(name).ok())
        .map_err(|error| CliError::new(format!("{}: {error}", path.display())))?;
    refuse_replacements(&saved.plan, args.allow_replace)?;
    session::connected(&args.target, async |connection| {
        let list_group = saved.plan.mode == adf_plan::PlanMode::Destroy;
        let live = session::refresh(&connection.client, &desired, list_group).await?;
        if let Err(error) = saved.check_live(&live) {
            let outstanding = saved.outstanding(&desired, &live);
            if outstanding.is_empty() {
                eprintln!(
                    "Nothing to do: the changes of {} are already live (it was applied, or the same changes were made since).",
                    path.display()
                );
                return Ok(ExitStatus::Success);
            }
            return Err(CliError::with_hint(
                format!("refusing to apply {}: {error}", path.display()),
                format!(
                    "a plan made now would {}: review it with `adfctl plan -f SPEC`, and save a new one with `--out`",
                    describe_changes(&outstanding)
                ),
            ));
        }
        session::check_preconditions(&desired, &live, saved.plan.mode)?;
        print_plan(&saved.plan, PlanFormat::Human);
        if !saved.plan.has_changes() {
            session::report_private_endpoints(&connection.client, &saved.plan, &live).await;
            return Ok(ExitStatus::Success);
        }
        let deletes = saved
            .plan
            .changes
            .iter()
            .any(|c| c.action == Action::Delete);
        if deletes && !args.auto_approve {
            session::confirm(
                "This plan deletes resources. Do you want to perform these actions?",
                "Apply",
            )?;
        }
        let outcome = session::execute(
            &connection.client,
            &saved.plan,
            &desired,
            &live,
            args.apply_options(),
        )
        .await;
        session::report_private_endpoints(&connection.client, &saved.plan, &live).await;
        outcome
    })
}

/// `update pipeline/a, create dataset/b and 3 more`: what a plan would change, in short.
fn describe_changes(changes: &[adf_plan::ResourceChange]) -> String {
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = changes
        .iter()
        .take(SHOWN)
        .map(|change| format!("{} {}", change.action.as_str(), change.address))
        .collect();
    if changes.len() > SHOWN {
        parts.push(format!("{} more", changes.len() - SHOWN));
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use adf_core::{Kind, ResourceAddress};
    use adf_plan::ResourceChange;

    fn change(action: Action, name: &str) -> ResourceChange {
        ResourceChange::new(
            ResourceAddress::new(Kind::Pipeline, name),
            String::new(),
            action,
        )
    }

    #[test]
    fn changes_are_described_in_short() {
        let one = [change(Action::Update, "a")];
        assert_eq!(describe_changes(&one), "update pipeline/a");
        let two = [change(Action::Update, "a"), change(Action::Delete, "b")];
        assert_eq!(
            describe_changes(&two),
            "update pipeline/a and delete pipeline/b"
        );
        let many: Vec<ResourceChange> = (0..7)
            .map(|i| change(Action::Create, &format!("p{i}")))
            .collect();
        assert_eq!(
            describe_changes(&many),
            "create pipeline/p0, create pipeline/p1, create pipeline/p2, create pipeline/p3, create pipeline/p4 and 2 more"
        );
    }
}
