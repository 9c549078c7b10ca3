//! Renderings of a [`Plan`]: human (Terraform-like), JSON (versioned) and markdown (for pull
//! requests). None of them can show a secret value: `before` and `after` are redacted when
//! the plan is made, and changed secrets are shown as `(secret changed)`.

mod human;
mod json;
mod markdown;

pub use human::{compact, human};
pub use json::{FORMAT_VERSION, json};
pub use markdown::{GITHUB_COMMENT_LIMIT, markdown, markdown_within};

use crate::{Action, Plan, PlanMode, ResourceChange, Summary};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// How the human rendering looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// ANSI colours (only when the caller decided the terminal wants them: a TTY and no
    /// `NO_COLOR`).
    pub colour: bool,
}

impl Style {
    /// Plain text.
    pub fn plain() -> Self {
        Style { colour: false }
    }

    /// With ANSI colours.
    pub fn coloured() -> Self {
        Style { colour: true }
    }
}

/// `Plan: 1 to create, 2 to update, 0 to replace, 1 to delete.` or `No changes. …`.
pub fn summary_line(plan: &Plan) -> String {
    let Summary {
        create,
        update,
        replace,
        delete,
        noop,
    } = plan.summary();
    if !plan.has_changes() {
        return match plan.mode {
            PlanMode::Apply => format!(
                "No changes. Live state matches the spec ({noop} resource{} checked).",
                plural(noop)
            ),
            PlanMode::Destroy => "No changes. Nothing to destroy.".to_owned(),
        };
    }
    format!(
        "Plan: {create} to create, {update} to update, {replace} to replace, {delete} to delete."
    )
}

/// The line that counts the pipelines a plan deletes (the charge itself is on the
/// inactive-pipeline charge line that follows, see [`crate::cost::plan_line`]).
pub(crate) fn pipeline_charge_line(plan: &Plan) -> Option<String> {
    let count = plan.pipelines_deleted();
    (count > 0).then(|| {
        format!(
            "{count} pipeline{} go{} away.",
            plural(count),
            if count == 1 { "es" } else { "" }
        )
    })
}

/// How many names a scope line lists before it says `and N more`.
const SCOPE_NAMES_SHOWN: usize = 10;

/// The lines that say what `--include`/`--exclude` pulled in and left alone (none without a
/// scope), and the overrides applied to resources the plan leaves unchanged (those with a
/// change show theirs with the change).
pub(crate) fn scope_lines(plan: &Plan) -> Vec<String> {
    let mut lines = Vec::new();
    let list = |addresses: &[adf_core::ResourceAddress]| {
        let mut names: Vec<String> = addresses
            .iter()
            .take(SCOPE_NAMES_SHOWN)
            .map(ToString::to_string)
            .collect();
        if addresses.len() > SCOPE_NAMES_SHOWN {
            names.push(format!("and {} more", addresses.len() - SCOPE_NAMES_SHOWN));
        }
        names.join(", ")
    };
    if let Some(scope) = &plan.scope {
        if !scope.dependencies.is_empty() {
            lines.push(format!(
                "Scope: {} dependenc{} pulled in (the selection needs them): {}",
                scope.dependencies.len(),
                if scope.dependencies.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                list(&scope.dependencies)
            ));
        }
        if !scope.excluded_dependencies.is_empty() {
            lines.push(format!(
                "Scope: {} excluded dependenc{} not deployed (must exist live): {}",
                scope.excluded_dependencies.len(),
                if scope.excluded_dependencies.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                list(&scope.excluded_dependencies)
            ));
        }
        lines.push(format!(
            "Scope: {} resource{} out of scope (--include/--exclude), left alone{}{}",
            scope.out_of_scope.len(),
            plural(scope.out_of_scope.len()),
            if scope.out_of_scope.is_empty() {
                ""
            } else {
                ": "
            },
            list(&scope.out_of_scope)
        ));
    }
    let unchanged: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::NoOp)
        .flat_map(|c| {
            c.overrides
                .iter()
                .map(move |o| format!("{}: {o}", c.address))
        })
        .collect();
    if !unchanged.is_empty() {
        lines.push(format!(
            "Overrides on unchanged resources ({}):",
            unchanged.len()
        ));
        lines.extend(unchanged.into_iter().map(|line| format!("    {line}")));
    }
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

pub(crate) fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Pretty JSON (in the body's key order), one value per line.
pub(crate) fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// One line of a rendered diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiffLine {
    /// Unchanged context.
    Context(String),
    /// Only in the live body.
    Removed(String),
    /// Only in the desired body.
    Added(String),
    /// Unchanged lines left out between hunks.
    Gap,
    /// A property changed in place, renamed or moved (`path: before → after`).
    Changed(String),
}

/// The lines to show under a change: a create shows its body, an update or a replace each
/// changed property at its path ([`crate::paths`]), a delete nothing.
pub(crate) fn body_lines(change: &ResourceChange) -> Vec<DiffLine> {
    match (change.action, &change.before, &change.after) {
        (Action::Create, _, Some(after)) => pretty(after)
            .lines()
            .map(|l| DiffLine::Added(l.to_owned()))
            .collect(),
        (Action::Update | Action::Replace, Some(before), Some(after)) => {
            property_lines(before, after)
        }
        _ => Vec::new(),
    }
}

/// At most this many characters of a value on one line.
const VALUE_WIDTH: usize = 120;

/// A value on one line: compact JSON, cut at [`VALUE_WIDTH`] characters.
fn one_line(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= VALUE_WIDTH {
        text
    } else {
        let head: String = text.chars().take(VALUE_WIDTH - 1).collect();
        format!("{head}…")
    }
}

/// One line per changed property; a changed multi-line string (a script, a long expression)
/// as a line diff under its path.
pub(crate) fn property_lines(before: &Value, after: &Value) -> Vec<DiffLine> {
    use crate::paths::{PropertyChange, property_changes};
    let mut lines = Vec::new();
    for change in property_changes(before, after) {
        match change {
            PropertyChange::Changed {
                path,
                before: Value::String(old),
                after: Value::String(new),
            } if old.contains('\n') || new.contains('\n') => {
                lines.push(DiffLine::Changed(format!("{path}:")));
                let diff = TextDiff::from_lines(&old, &new);
                for (index, group) in diff.grouped_ops(2).iter().enumerate() {
                    if index > 0 {
                        lines.push(DiffLine::Gap);
                    }
                    for op in group {
                        for line in diff.iter_changes(op) {
                            let text = format!("    {}", line.value().trim_end_matches('\n'));
                            lines.push(match line.tag() {
                                ChangeTag::Equal => DiffLine::Context(text),
                                ChangeTag::Delete => DiffLine::Removed(text),
                                ChangeTag::Insert => DiffLine::Added(text),
                            });
                        }
                    }
                }
            }
            PropertyChange::Changed {
                path,
                before,
                after,
            } => lines.push(DiffLine::Changed(format!(
                "{path}: {} → {}",
                one_line(&before),
                one_line(&after)
            ))),
            PropertyChange::Added { path, value } => {
                lines.push(DiffLine::Added(format!("{path}: {}", one_line(&value))));
            }
            PropertyChange::Removed { path, value } => {
                lines.push(DiffLine::Removed(format!("{path}: {}", one_line(&value))));
            }
            PropertyChange::Renamed { path, from, to } => {
                lines.push(DiffLine::Changed(format!("{path}: {from} renamed to {to}")));
            }
            PropertyChange::Moved { path, from, to } => lines.push(DiffLine::Changed(format!(
                "{path}: moved from position {} to {}",
                from + 1,
                to + 1
            ))),
        }
    }
    lines
}

/// The state a trigger under `runtimeState: Keep` ends in, said so:
/// `runtime state: Stopped (kept)`; `None` for other changes.
pub(crate) fn kept_runtime_state(change: &ResourceChange) -> Option<String> {
    if !change.runtime_state_kept {
        return None;
    }
    let (live, desired) = change.runtime_state?;
    let state = crate::diff::state_name(desired);
    Some(match live {
        Some(_) => format!("runtime state: {state} (kept)"),
        None => format!("runtime state: {state} (Keep: a new trigger is created stopped)"),
    })
}

/// The text describing a trigger's runtime-state handling, if any. An event trigger's steps
/// say the waits for its Event Grid subscription (see [`crate::steps::Step::event_trigger`]).
pub(crate) fn trigger_steps(change: &ResourceChange) -> Option<String> {
    let event = |body: &Option<std::sync::Arc<serde_json::Value>>| {
        body.as_deref().is_some_and(crate::steps::is_event_trigger)
    };
    let mut steps = Vec::new();
    if change.needs_stop {
        steps.push("stop");
        if event(&change.before) {
            steps.push("wait for event subscription Disabled");
        }
    }
    if change.body_changed && change.action.writes() {
        steps.push("write");
    }
    if change.action == Action::Delete {
        steps.push("delete");
    }
    if change.needs_start {
        steps.push("start");
        if event(&change.after) || (change.after.is_none() && event(&change.before)) {
            steps.push("wait for event subscription Enabled");
        }
    }
    (change.runtime_state.is_some() && (change.needs_stop || change.needs_start))
        .then(|| format!("trigger: {}", steps.join(" → ")))
}
