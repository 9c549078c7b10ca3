//! `plan`, `apply` and `destroy` over several targets (`--targets`): each target loaded,
//! planned and applied on its own, several at once, through one ARM client, so that every
//! target writing to one subscription is paced by one budget (`adf_arm`'s pacing is kept per
//! subscription and shared by the client's clones). A target that fails (its spec, its
//! refresh, a refused replacement, a failed step) does not stop the others; the summary says
//! which converged.

use super::plan::{PlanFormat, style};
use super::scope_args::ScopeArgs;
use super::session::{self, Session, plural};
use super::spec_args::SpecArgs;
use super::target::TargetArgs;
use super::targets::{self, Target};
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_arm::ArmClient;
use adf_engine::ApplyOptions;
use adf_plan::{LiveState, Plan, PlanMode, PlanOptions};
use adf_spec::Loaded;
use serde_json::{Value, json};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

/// The multi-target arguments of plan, apply and destroy.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetsArgs {
    /// Work on several targets in one run: a targets file (`targets:`, a list of `{name,
    /// files, vars}`) or a directory (one target per sub-directory or spec file). Each target
    /// is planned and applied on its own, several at once; `-f` files given too are read first
    /// in every target.
    #[arg(long, value_name = "FILE|DIR")]
    pub targets: Option<PathBuf>,

    /// With --targets: how many targets are planned and applied at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrent_targets: u16,
}

/// What a multi-target plan, apply or destroy is asked to do.
pub struct Request<'a> {
    /// The shared `-f` files and `--var` values.
    pub base: &'a SpecArgs,
    /// `--targets`.
    pub targets: &'a TargetsArgs,
    /// Where ARM is.
    pub connect: &'a TargetArgs,
    /// `--include` / `--exclude`, applied in every target.
    pub scope: &'a ScopeArgs,
    /// Apply or destroy.
    pub mode: PlanMode,
    /// `--prune`.
    pub prune: bool,
}

/// A target loaded and planned (or why not).
struct Planned {
    name: String,
    result: Result<Ready, CliError>,
}

struct Ready {
    loaded: Loaded,
    live: LiveState,
    plan: Plan,
}

/// How a target ended.
enum Ended {
    /// Planned; nothing to change.
    NoChanges,
    /// Planned, with changes (plan only).
    Changes(adf_plan::Summary),
    /// Every step applied.
    Converged(usize),
    /// Some steps failed or were skipped (the report was printed).
    Incomplete { applied: usize, failed: usize },
    /// Not planned or not applied: why.
    Failed(String),
}

/// Loads every target (each prints its own diagnostics), connects once, and plans every
/// loaded target, `--concurrent-targets` at a time.
async fn plan_all(request: &Request<'_>, client: &ArmClient, loaded: Vec<Loading>) -> Vec<Planned> {
    let client = client.clone();
    let names: Vec<String> = loaded.iter().map(|l| l.name.clone()).collect();
    concurrently(
        loaded,
        usize::from(request.targets.concurrent_targets),
        move |loading| {
            let client = client.clone();
            async move {
                let result = match loading.result {
                    Err(error) => Err(error),
                    Ok((loaded, options)) => session::make_plan(&client, &loaded.desired, &options)
                        .await
                        .map(|(live, plan)| Ready { loaded, live, plan }),
                };
                Planned {
                    name: loading.name,
                    result,
                }
            }
        },
    )
    .await
    .into_iter()
    .zip(names)
    .map(|(planned, name)| {
        planned.unwrap_or_else(|| Planned {
            name,
            result: Err(CliError::new("planning this target stopped unexpectedly")),
        })
    })
    .collect()
}

struct Loading {
    name: String,
    result: Result<(Loaded, PlanOptions), CliError>,
}

/// Reads `--targets` and loads each target's spec. `Err` only when the targets themselves
/// cannot be read, or two targets manage one factory.
fn load_all(request: &Request<'_>, secrets_optional: bool) -> Result<Vec<Loading>, CliError> {
    let path = request
        .targets
        .targets
        .as_ref()
        .ok_or_else(|| CliError::new("--targets is missing"))?;
    let targets = targets::read(path, request.base)?;
    let mut loadings = Vec::new();
    for Target { name, mut spec } in targets {
        spec.secrets_optional = secrets_optional;
        let result = Session::open(&spec).and_then(|session| {
            let options = session.plan_options(request.mode, request.prune, request.scope)?;
            Ok((session.loaded, options))
        });
        loadings.push(Loading { name, result });
    }
    refuse_shared_factories(&loadings)?;
    Ok(loadings)
}

/// Two targets that manage one factory would race each other: refused before anything runs.
fn refuse_shared_factories(loadings: &[Loading]) -> Result<(), CliError> {
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for loading in loadings {
        let Ok((loaded, _)) = &loading.result else {
            continue;
        };
        let target = &loaded.desired.target;
        let key = format!(
            "{}/{}/{}",
            target.subscription.to_lowercase(),
            adf_core::naming::fold(&target.resource_group),
            adf_core::naming::fold(&target.factory)
        );
        if let Some(first) = seen.insert(key, &loading.name) {
            return Err(CliError::with_hint(
                format!(
                    "targets `{first}` and `{}` both manage factory {} in resource group {}",
                    loading.name, target.factory, target.resource_group
                ),
                "give each target its own factory, or merge the two spec sets into one target",
            ));
        }
    }
    Ok(())
}

/// Runs `plan --targets`: every target's plan on stdout in `format`, with a summary.
pub fn plan(
    request: &Request<'_>,
    format: PlanFormat,
    detailed_exitcode: bool,
    fail_on_unmanaged: bool,
    compact: bool,
) -> Outcome {
    let loadings = load_all(request, false)?;
    let planned = session::connected(request.connect, async |connection| {
        Ok(plan_all(request, &connection.client, loadings).await)
    })?;
    let ended: Vec<(String, Ended)> = planned
        .iter()
        .map(|target| {
            let ended = match &target.result {
                Err(error) => Ended::Failed(error_text(error)),
                Ok(ready) if ready.plan.has_changes() => Ended::Changes(ready.plan.summary()),
                Ok(_) => Ended::NoChanges,
            };
            (target.name.clone(), ended)
        })
        .collect();
    match format {
        PlanFormat::Json => {
            let document = plans_json(&planned, &ended);
            println!(
                "{}",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            );
        }
        PlanFormat::Markdown => print!("{}", plans_markdown(&planned, &ended)),
        PlanFormat::Human => {
            for target in &planned {
                println!("=== {} ===", target.name);
                match &target.result {
                    Ok(ready) if compact => {
                        print!("{}", adf_plan::render::compact(&ready.plan, style()))
                    }
                    Ok(ready) => print!("{}", adf_plan::render::human(&ready.plan, style())),
                    Err(error) => println!("{}", error_text(error)),
                }
                println!();
            }
            print!("{}", summary_text(&ended, "Plan"));
        }
    }
    for target in &planned {
        if let Err(error) = &target.result {
            print_error(&target.name, error);
        }
    }
    let failed = ended.iter().any(|(_, e)| matches!(e, Ended::Failed(_)));
    let changes = ended.iter().any(|(_, e)| matches!(e, Ended::Changes(_)));
    let unmanaged = fail_on_unmanaged
        && planned
            .iter()
            .filter_map(|t| t.result.as_ref().ok())
            .any(|ready| !ready.plan.unmanaged.is_empty());
    if failed {
        return Err(CliError::shown(ExitStatus::Failure));
    }
    if unmanaged && !detailed_exitcode {
        return Err(CliError::with_hint(
            "some targets have live resources their spec does not define (--fail-on-unmanaged)",
            "add them to the specs, delete them in the factories, or plan with --prune to delete them",
        ));
    }
    Ok(if detailed_exitcode && (changes || unmanaged) {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// What `apply --targets` and `destroy --targets` need beyond the request.
pub struct Execution {
    /// Ask no question.
    pub auto_approve: bool,
    /// `--allow-replace`.
    pub allow_replace: bool,
    /// Each target's apply options (the stop flag is shared by all).
    pub options: ApplyOptions,
}

/// Runs `apply --targets` or `destroy --targets`: plans every target, shows the plans, asks
/// once, then applies the targets with changes, several at once, and prints one summary.
pub fn execute(request: &Request<'_>, execution: Execution) -> Outcome {
    let loadings = load_all(request, request.mode == PlanMode::Destroy)?;
    session::connected(request.connect, async |connection| {
        let planned = plan_all(request, &connection.client, loadings).await;
        let order: Vec<String> = planned.iter().map(|t| t.name.clone()).collect();
        let mut ended: Vec<(String, Ended)> = Vec::new();
        let mut to_apply: Vec<(String, Ready)> = Vec::new();
        for target in planned {
            println!("=== {} ===", target.name);
            let ready = match target.result {
                Ok(ready) => ready,
                Err(error) => {
                    println!("{}\n", error_text(&error));
                    print_error(&target.name, &error);
                    ended.push((target.name, Ended::Failed(error_text(&error))));
                    continue;
                }
            };
            print!("{}", adf_plan::render::human(&ready.plan, style()));
            println!();
            if !ready.plan.has_changes() {
                ended.push((target.name, Ended::NoChanges));
                continue;
            }
            if let Err(error) =
                super::apply::refuse_replacements(&ready.plan, execution.allow_replace)
            {
                print_error(&target.name, &error);
                ended.push((target.name, Ended::Failed(error_text(&error))));
                continue;
            }
            to_apply.push((target.name, ready));
        }
        if !to_apply.is_empty() && !execution.auto_approve {
            let question = match request.mode {
                PlanMode::Apply => format!(
                    "Do you want to perform these actions in {} target{}?",
                    to_apply.len(),
                    plural(to_apply.len())
                ),
                PlanMode::Destroy => format!(
                    "Do you really want to destroy these resources in {} target{}?",
                    to_apply.len(),
                    plural(to_apply.len())
                ),
            };
            let what = match request.mode {
                PlanMode::Apply => "Apply",
                PlanMode::Destroy => "Destroy",
            };
            session::confirm(&question, what)?;
        }
        let stop = execution.options.stop.clone();
        let watcher = session::stop_on_interrupt(stop.clone());
        let client = connection.client.clone();
        let options = Arc::new(execution.options);
        let mode = request.mode;
        let names: Vec<String> = to_apply.iter().map(|(name, _)| name.clone()).collect();
        let applied = concurrently(
            to_apply,
            usize::from(request.targets.concurrent_targets),
            move |(name, ready)| {
                let client = client.clone();
                let options = options.clone();
                async move {
                    let report = session::execute_steps(
                        &client,
                        &ready.plan,
                        &ready.loaded.desired,
                        &ready.live,
                        &options,
                        Some(&name),
                    )
                    .await;
                    let interrupted = options.stop.load(std::sync::atomic::Ordering::SeqCst);
                    let ended = match report {
                        Err(error) => {
                            print_error(&name, &error);
                            Ended::Failed(error_text(&error))
                        }
                        Ok(report) => {
                            let (applied, failed, _) = report.counts();
                            match session::print_report(&report, mode, interrupted, Some(&name)) {
                                Ok(_) => Ended::Converged(applied),
                                Err(_) => Ended::Incomplete { applied, failed },
                            }
                        }
                    };
                    if mode == PlanMode::Apply {
                        session::report_private_endpoints(&client, &ready.plan, &ready.live).await;
                    }
                    ended
                }
            },
        )
        .await;
        watcher.abort();
        for (name, ended_target) in names.into_iter().zip(applied) {
            ended.push((
                name,
                ended_target.unwrap_or_else(|| Ended::Failed("stopped unexpectedly".into())),
            ));
        }
        // The summary lists the targets in their order, whichever ended first.
        ended.sort_by_key(|(name, _)| order.iter().position(|n| n == name));
        let interrupted = stop.load(std::sync::atomic::Ordering::SeqCst);
        let what = match request.mode {
            PlanMode::Apply => "Apply",
            PlanMode::Destroy => "Destroy",
        };
        eprint!("{}", summary_text(&ended, what));
        let all_good = ended
            .iter()
            .all(|(_, e)| matches!(e, Ended::NoChanges | Ended::Converged(_)));
        if all_good {
            Ok(ExitStatus::Success)
        } else {
            Err(CliError::shown(if interrupted {
                ExitStatus::Interrupted
            } else {
                ExitStatus::Failure
            }))
        }
    })
}

/// `error: MESSAGE (hint: HINT)` of a target, on one line; for an error already shown
/// (diagnostics, a report), where to look.
fn error_text(error: &CliError) -> String {
    match (error.message(), error.hint()) {
        (Some(message), Some(hint)) => format!("error: {message} (hint: {hint})"),
        (Some(message), None) => format!("error: {message}"),
        _ => "error: see the messages above".to_owned(),
    }
}

fn print_error(name: &str, error: &CliError) {
    if let Some(message) = error.message() {
        match error.hint() {
            Some(hint) => eprintln!("{name}: error: {message}\n{name}:   hint: {hint}"),
            None => eprintln!("{name}: error: {message}"),
        }
    }
}

fn status_word(ended: &Ended) -> &'static str {
    match ended {
        Ended::NoChanges => "no changes",
        Ended::Changes(_) => "changes",
        Ended::Converged(_) => "converged",
        Ended::Incomplete { .. } => "incomplete",
        Ended::Failed(_) => "failed",
    }
}

fn detail(ended: &Ended) -> String {
    match ended {
        Ended::NoChanges => String::new(),
        Ended::Changes(summary) => format!(
            "{} to create, {} to update, {} to replace, {} to delete",
            summary.create, summary.update, summary.replace, summary.delete
        ),
        Ended::Converged(applied) => format!("{applied} step{} applied", plural(*applied)),
        Ended::Incomplete { applied, failed } => format!(
            "{applied} step{} applied, {failed} failed",
            plural(*applied)
        ),
        Ended::Failed(why) => why.clone(),
    }
}

/// `Apply: 3 targets: 2 converged, 1 failed` and a line per target.
fn summary_text(ended: &[(String, Ended)], what: &str) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (_, e) in ended {
        let word = status_word(e);
        match counts.iter_mut().find(|(w, _)| *w == word) {
            Some((_, n)) => *n += 1,
            None => counts.push((word, 1)),
        }
    }
    let counted: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
    let width = ended.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut text = format!(
        "{what}: {} target{}: {}\n",
        ended.len(),
        plural(ended.len()),
        counted.join(", ")
    );
    for (name, e) in ended {
        let detail = detail(e);
        let line = format!("  {name:width$}  {:<10}  {detail}", status_word(e));
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// The JSON document of a multi-target plan: each target's plan in the one-target format
/// (`adf_plan::render::json`), or its error, and a summary.
fn plans_json(planned: &[Planned], ended: &[(String, Ended)]) -> Value {
    let targets: Vec<Value> = planned
        .iter()
        .zip(ended)
        .map(|(target, (_, e))| {
            json!({
                "name": target.name,
                "status": status_word(e),
                "plan": target.result.as_ref().ok().map(|ready| adf_plan::render::json(&ready.plan)),
                "error": target.result.as_ref().err().map(error_text),
            })
        })
        .collect();
    let count = |word: &str| ended.iter().filter(|(_, e)| status_word(e) == word).count();
    json!({
        "format_version": "1",
        "targets": targets,
        "summary": {
            "targets": ended.len(),
            "changes": count("changes"),
            "no_changes": count("no changes"),
            "failed": count("failed"),
        },
    })
}

/// The markdown of a multi-target plan: a summary table, then each target's plan, each cut
/// to its share of GitHub's comment limit.
fn plans_markdown(planned: &[Planned], ended: &[(String, Ended)]) -> String {
    let mut text = format!(
        "## adfctl plan: {} target{}\n\n| target | status | changes |\n|---|---|---|\n",
        ended.len(),
        plural(ended.len())
    );
    for (name, e) in ended {
        let detail = detail(e).replace('|', "\\|").replace('\n', " ");
        text.push_str(&format!("| {name} | {} | {detail} |\n", status_word(e)));
    }
    let share = adf_plan::render::GITHUB_COMMENT_LIMIT.saturating_sub(text.len() + 200)
        / planned.len().max(1);
    for target in planned {
        text.push_str(&format!("\n### Target `{}`\n\n", target.name));
        match &target.result {
            Ok(ready) => text.push_str(&adf_plan::render::markdown_within(&ready.plan, share)),
            Err(error) => text.push_str(&format!("{}\n", error_text(error))),
        }
    }
    text
}

/// Runs `f` on every item, at most `limit` at once, each as its own task; the results in the
/// items' order (`None` for a task that panicked).
async fn concurrently<T, R, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<Option<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    let semaphore = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let count = items.len();
    for (index, item) in items.into_iter().enumerate() {
        let semaphore = semaphore.clone();
        let future = f(item);
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            (index, future.await)
        });
    }
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined {
            results[index] = Some(result);
        }
    }
    results
}
