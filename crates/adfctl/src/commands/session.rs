//! What plan, apply and destroy share: load the spec, connect, refresh, plan, and the
//! execution of a plan with progress on stderr.

use super::scope_args::ScopeArgs;
use super::spec_args::SpecArgs;
use super::target::{Connection, TargetArgs};
use crate::error::CliError;
use crate::exit::ExitStatus;
use adf_arm::ArmClient;
use adf_core::DesiredState;
use adf_engine::{ApplyEvent, ApplyOptions, ApplyReport, Phase, StepStatus};
use adf_plan::{LiveState, Plan, PlanMode, PlanOptions};
use adf_spec::Loaded;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

/// What the commands that talk to ARM share: the spec, loaded and validated (its warnings
/// printed), and a connection for the length of one [`Session::connected`] call.
pub struct Session {
    /// The loaded spec.
    pub loaded: Loaded,
}

impl Session {
    /// Loads the spec, printing its diagnostics.
    pub fn open(spec: &SpecArgs) -> Result<Session, CliError> {
        Ok(Session {
            loaded: spec.load()?,
        })
    }

    /// How to plan this spec: `mode`, `--prune`, the spec's `prune.keep` and override
    /// records, and the `--include`/`--exclude` selection.
    pub fn plan_options(
        &self,
        mode: PlanMode,
        prune: bool,
        scope: &ScopeArgs,
    ) -> Result<PlanOptions, CliError> {
        Ok(PlanOptions {
            mode,
            prune,
            keep_unmanaged: self.loaded.prune_keep.clone(),
            scope: scope.scope(&self.loaded)?,
            overrides: self.loaded.overrides.clone(),
        })
    }

    /// [`connected`], with the loaded spec.
    pub fn connected<T>(
        &self,
        target: &TargetArgs,
        body: impl AsyncFnOnce(&Connection, &Loaded) -> Result<T, CliError>,
    ) -> Result<T, CliError> {
        connected(target, async |connection| {
            body(connection, &self.loaded).await
        })
    }
}

/// Starts the async runtime, connects to `target`, runs `body` with the connection, and closes
/// it (also when `body` fails).
pub fn connected<T>(
    target: &TargetArgs,
    body: impl AsyncFnOnce(&Connection) -> Result<T, CliError>,
) -> Result<T, CliError> {
    runtime()?.block_on(async {
        let connection = target.connect().await.map_err(CliError::new)?;
        let result = body(&connection).await;
        connection.close().await;
        result
    })
}

/// Builds the runtime the async commands run on.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::new(format!("cannot start the async runtime: {error}")))
}

/// Reads live state for the desired state's target.
pub async fn refresh(
    client: &ArmClient,
    desired: &DesiredState,
    list_group: bool,
) -> Result<LiveState, CliError> {
    adf_engine::refresh(client, &desired.target, list_group)
        .await
        .map_err(|error| {
            let unreachable = matches!(
                &error,
                adf_engine::EngineError::Refresh {
                    source: adf_arm::ArmError::Transport { connect: true, .. },
                    ..
                }
            );
            if unreachable {
                CliError::with_hint(
                    error.to_string(),
                    format!(
                        "nothing answers at {}: check --endpoint (is `adfctl emulator` running there?), or use --local",
                        client.endpoint()
                    ),
                )
            } else {
                CliError::new(error.to_string())
            }
        })
}

/// Refreshes and plans.
pub async fn make_plan(
    client: &ArmClient,
    desired: &DesiredState,
    options: &PlanOptions,
) -> Result<(LiveState, Plan), CliError> {
    let list_group = options.mode == adf_plan::PlanMode::Destroy;
    let live = refresh(client, desired, list_group).await?;
    check_preconditions(desired, &live, options.mode)?;
    let plan = adf_plan::plan(desired, &live, options);
    report_unmet(adf_plan::unmet_scope(&plan, &live))?;
    Ok((live, plan))
}

/// Refuses what adfctl may not create and that does not exist live (an unmanaged group or
/// factory, the spec's `external` entities: [`adf_plan::unmet_preconditions`]), before
/// anything is applied. Every unmet precondition is reported, each with its hint.
pub fn check_preconditions(
    desired: &DesiredState,
    live: &LiveState,
    mode: PlanMode,
) -> Result<(), CliError> {
    report_unmet(adf_plan::unmet_preconditions(desired, live, mode))
}

/// Reports every unmet precondition, each with its hint; `Ok` when there is none.
fn report_unmet(unmet: Vec<adf_plan::Unmet>) -> Result<(), CliError> {
    match unmet.as_slice() {
        [] => Ok(()),
        [unmet] => Err(CliError::with_hint(&unmet.message, &unmet.hint)),
        all => {
            for unmet in all {
                eprintln!("error: {}\n  hint: {}", unmet.message, unmet.hint);
            }
            Err(CliError::shown(ExitStatus::Failure))
        }
    }
}

/// Asks "yes?" on the terminal, after `question`. `Ok(())` when the answer is yes; an error
/// otherwise, and without a terminal (which cannot answer: `--auto-approve` is the way).
pub fn confirm(question: &str, what: &str) -> Result<(), CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::with_hint(
            "cannot ask for confirmation: standard input is not a terminal",
            "review the plan, then run again with --auto-approve",
        ));
    }
    eprint!("{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| CliError::new(format!("cannot read the answer: {error}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        eprintln!("{what} cancelled.");
        Err(CliError::shown(ExitStatus::Failure))
    }
}

/// Executes a plan with progress on stderr (a progress bar on a terminal, plain lines
/// otherwise), then prints the outcome. Returns `Success` only when every step was applied.
/// SIGINT or SIGTERM stops it starting new steps.
pub async fn execute(
    client: &ArmClient,
    plan: &Plan,
    desired: &DesiredState,
    live: &LiveState,
    options: ApplyOptions,
) -> Result<ExitStatus, CliError> {
    let watcher = stop_on_interrupt(options.stop.clone());
    let report = execute_steps(client, plan, desired, live, &options, None).await;
    watcher.abort();
    let interrupted = options.stop.load(std::sync::atomic::Ordering::SeqCst);
    print_report(&report?, plan.mode, interrupted, None)
}

/// Stops the apply of `stop` on SIGINT or SIGTERM (until the task is aborted).
pub fn stop_on_interrupt(stop: Arc<std::sync::atomic::AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        interrupt_signal().await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        eprintln!("Interrupted: no new step starts; waiting for the requests in flight...");
    })
}

/// Executes a plan's steps with progress on stderr: a progress bar on a terminal (when
/// `label` is `None`), else one line per step, prefixed with `label: ` when there is one (a
/// target of a multi-target command).
pub async fn execute_steps(
    client: &ArmClient,
    plan: &Plan,
    desired: &DesiredState,
    live: &LiveState,
    options: &ApplyOptions,
    label: Option<&str>,
) -> Result<ApplyReport, CliError> {
    let steps = match adf_plan::compile(plan, desired, live, &mut adf_engine::random_salt) {
        Ok(steps) => steps,
        Err(error) => return Err(CliError::new(format!("cannot apply this plan: {error}"))),
    };
    let changes: usize = steps.waves.iter().map(Vec::len).sum();
    let bar = if label.is_none() && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(changes as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let bar_for_events = bar.clone();
    let prefix = label.map(|label| format!("{label}: ")).unwrap_or_default();
    let observer: adf_engine::Observer = Arc::new(move |event: &ApplyEvent| {
        let line = match event {
            ApplyEvent::Started { address, phase, .. } => {
                if let Some(bar) = &bar_for_events {
                    bar.set_message(format!("{} {address}", verb(*phase, None)));
                }
                return;
            }
            ApplyEvent::Finished(outcome) => {
                let verb = verb(outcome.phase, Some(outcome.action));
                match &outcome.status {
                    StepStatus::Applied => format!("{prefix}{}: {verb}", outcome.address),
                    StepStatus::Failed(why) => {
                        format!("{prefix}{}: {verb} FAILED: {why}", outcome.address)
                    }
                    // Not started because of an interrupt: counted in the report, not listed.
                    StepStatus::Skipped(why) if why == adf_engine::INTERRUPTED => return,
                    StepStatus::Skipped(why) => {
                        format!("{prefix}{}: skipped ({why})", outcome.address)
                    }
                }
            }
        };
        match &bar_for_events {
            Some(bar) => {
                bar.println(&line);
                if let ApplyEvent::Finished(outcome) = event
                    && outcome.phase == Phase::Change
                {
                    bar.inc(1);
                }
            }
            None => eprintln!("{line}"),
        }
    });
    let report = adf_engine::apply(client, &steps, options, observer).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(report)
}

/// After an apply: one line on stderr per managed private endpoint of the plan (not deleted)
/// with its approval state, so a deploy says which private links still wait for the owner of
/// their target resource. Endpoints the plan wrote are read again (one GET each, through
/// [`adf_engine::private_endpoints::read_approvals`]); the others' state is the one the
/// refresh read. Informational: it never changes the exit status.
pub async fn report_private_endpoints(client: &ArmClient, plan: &Plan, live: &LiveState) {
    use adf_engine::private_endpoints::{self, ApprovalReading};
    if plan.mode != PlanMode::Apply {
        return;
    }
    let endpoints: Vec<&adf_plan::ResourceChange> = plan
        .changes
        .iter()
        .filter(|change| change.address.kind == adf_core::Kind::ManagedPrivateEndpoint)
        .filter(|change| change.action != adf_plan::Action::Delete)
        .collect();
    if endpoints.is_empty() {
        return;
    }
    let written: Vec<(adf_core::ResourceAddress, String)> = endpoints
        .iter()
        .filter(|change| change.action != adf_plan::Action::NoOp)
        .map(|change| (change.address.clone(), change.path.clone()))
        .collect();
    let mut readings = private_endpoints::read_approvals(client, &written).await;
    for change in endpoints
        .iter()
        .filter(|change| change.action == adf_plan::Action::NoOp)
    {
        let reading = live
            .get(&change.address)
            .map_or(ApprovalReading::Missing, |resource| {
                private_endpoints::reading_of(&resource.body)
            });
        readings.push((change.address.clone(), reading));
    }
    readings.sort_by_key(|(address, _)| address.to_string());
    for (address, reading) in &readings {
        eprintln!("{address}: {}", approval_text(reading));
    }
}

/// `Pending (approve it on the target resource: …)`, `Approved`, …
fn approval_text(reading: &adf_engine::private_endpoints::ApprovalReading) -> String {
    use adf_engine::private_endpoints::ApprovalReading;
    match reading {
        ApprovalReading::Read(approval) => {
            let target = approval
                .target
                .as_deref()
                .unwrap_or("its privateLinkResourceId");
            match approval.status.to_ascii_lowercase().as_str() {
                "approved" => approval.status.clone(),
                "pending" => format!(
                    "{} (approve it on the target resource: {target})",
                    approval.status
                ),
                _ if approval.description.is_empty() => format!(
                    "{} (no data flows through it; see the private endpoint connections of {target})",
                    approval.status
                ),
                _ => format!(
                    "{} ({}; no data flows through it)",
                    approval.status, approval.description
                ),
            }
        }
        ApprovalReading::Unknown => "approval state not reported".to_owned(),
        ApprovalReading::Missing => "not found after apply".to_owned(),
        ApprovalReading::Failed(why) => {
            format!("approval state unknown (reading it failed: {why})")
        }
    }
}

/// SIGINT (Ctrl-C) or SIGTERM (what a cancelled CI job sends first).
async fn interrupt_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn verb(phase: Phase, action: Option<adf_plan::Action>) -> &'static str {
    match (phase, action) {
        (Phase::Stop, _) => "stopped",
        (Phase::Start, _) => "started",
        (Phase::Change, Some(adf_plan::Action::Create)) => "created",
        (Phase::Change, Some(adf_plan::Action::Update)) => "updated",
        (Phase::Change, Some(adf_plan::Action::Replace)) => "replaced",
        (Phase::Change, Some(adf_plan::Action::Delete)) => "deleted",
        (Phase::Change, _) => "applied",
    }
}

/// Prints how an apply or destroy ended (each line prefixed with `label: ` when there is
/// one) and says which exit status that is.
pub fn print_report(
    report: &ApplyReport,
    mode: PlanMode,
    interrupted: bool,
    label: Option<&str>,
) -> Result<ExitStatus, CliError> {
    let what = match mode {
        PlanMode::Apply => "Apply",
        PlanMode::Destroy => "Destroy",
    };
    let prefix = label.map(|label| format!("{label}: ")).unwrap_or_default();
    let (applied, failed, skipped) = report.counts();
    if report.succeeded() {
        eprintln!(
            "{prefix}{what} complete: {applied} step{} applied.",
            plural(applied)
        );
        return Ok(ExitStatus::Success);
    }
    let not_started = report
        .problems()
        .filter(|o| matches!(&o.status, StepStatus::Skipped(why) if why == adf_engine::INTERRUPTED))
        .count();
    if interrupted {
        eprintln!(
            "{prefix}{what} interrupted: {applied} step{} applied, {failed} failed, {not_started} not started, {} skipped.",
            plural(applied),
            skipped - not_started
        );
    } else {
        eprintln!(
            "{prefix}{what} incomplete: {applied} step{} applied, {failed} failed, {skipped} skipped.",
            plural(applied)
        );
    }
    for outcome in report.problems() {
        match &outcome.status {
            StepStatus::Failed(why) => eprintln!(
                "{prefix}  failed:  {} ({}): {why}",
                outcome.address,
                outcome.phase.as_str()
            ),
            StepStatus::Skipped(why) if why == adf_engine::INTERRUPTED => {}
            StepStatus::Skipped(why) => {
                eprintln!("{prefix}  skipped: {} ({why})", outcome.address)
            }
            StepStatus::Applied => {}
        }
    }
    if label.is_none() {
        eprintln!(
            "  hint: fix the cause and run apply again; it converges from wherever this stopped."
        );
    }
    Err(CliError::shown(if interrupted {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Failure
    }))
}

/// `""` for one, `"s"` otherwise.
pub fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
