//! The markdown rendering, for pull-request comments.

use super::{
    DiffLine, body_lines, kept_runtime_state, pipeline_charge_line, summary_line, trigger_steps,
};
use crate::{Action, Plan, ResourceChange};
use adf_core::Kind;
use serde_json::Value;
use std::fmt::Write;

/// The most characters GitHub accepts in a comment body.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What the footer may need after the cut (the truncation note and the charge lines).
const FOOTER_RESERVE: usize = 2_000;

/// At most this many activities in a pipeline's graph; larger pipelines get none.
const GRAPH_MAX_ACTIVITIES: usize = 60;

/// The plan as a pull-request comment that fits GitHub's limit ([`GITHUB_COMMENT_LIMIT`]).
pub fn markdown(plan: &Plan) -> String {
    markdown_within(plan, GITHUB_COMMENT_LIMIT)
}

/// The plan as a pull-request comment of at most `limit` characters: a heading, a summary
/// table, one table row per change, then per change a collapsible section with its property
/// changes (and, for a pipeline, a Mermaid graph of its activities with the changed ones
/// marked). What does not fit is left out, with a line that says how much and where the whole
/// plan is.
pub fn markdown_within(plan: &Plan, limit: usize) -> String {
    let budget = limit.saturating_sub(FOOTER_RESERVE);
    let mut out = String::new();
    let target = &plan.target;
    let _ = writeln!(
        out,
        "### adfctl {} plan: `{}` / `{}`\n",
        plan.mode.as_str(),
        code(&target.resource_group),
        code(&target.factory)
    );
    let _ = writeln!(out, "**{}**\n", escape(&summary_line(plan)));
    let s = plan.summary();
    let _ = writeln!(out, "| Create | Update | Replace | Delete | Unchanged |");
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} |\n",
        s.create, s.update, s.replace, s.delete, s.noop
    );
    let changes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let mut rows_shown = 0;
    if !changes.is_empty() {
        let _ = writeln!(out, "| | Resource | Action | Reason |");
        let _ = writeln!(out, "|---|---|---|---|");
        for change in &changes {
            let reason: Vec<String> = change
                .reason
                .iter()
                .cloned()
                .chain(kept_runtime_state(change))
                .chain(trigger_steps(change))
                .collect();
            let row = format!(
                "| `{}` | `{}` | {} | {} |\n",
                change.action.symbol(),
                code(&change.address.to_string()),
                change.action.as_str(),
                escape(&reason.join("; "))
            );
            if out.len() + row.len() > budget {
                break;
            }
            out.push_str(&row);
            rows_shown += 1;
        }
        out.push('\n');
    }
    let mut details_shown = 0;
    let mut with_details = 0;
    for change in &changes {
        let Some(section) = details(change) else {
            continue;
        };
        with_details += 1;
        if out.len() + section.len() > budget {
            continue;
        }
        out.push_str(&section);
        details_shown += 1;
    }
    if rows_shown < changes.len() || details_shown < with_details {
        let _ = writeln!(
            out,
            "> **Cut to fit a comment:** {rows_shown} of {} changes listed, {details_shown} of {with_details} shown in detail. The whole plan: `adfctl plan --format json` (keep it as a CI artifact) or the job log.\n",
            changes.len()
        );
    }
    let mut footer = String::new();
    if !plan.unmanaged.is_empty() {
        let listed: Vec<String> = plan
            .unmanaged
            .iter()
            .take(50)
            .map(|a| format!("`{}`", code(&a.to_string())))
            .collect();
        let more = plan.unmanaged.len().saturating_sub(listed.len());
        let _ = writeln!(
            footer,
            "Unmanaged (not in the spec, left alone; `--prune` deletes them): {}{}\n",
            listed.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(
            footer,
            "Kept (not in the spec, owned elsewhere: `prune.keep`): {} resource{}\n",
            plan.kept.len(),
            super::plural(plan.kept.len())
        );
    }
    if !plan.external.is_empty() {
        let listed: Vec<String> = plan
            .external
            .iter()
            .take(50)
            .map(|a| format!("`{}`", code(&a.to_string())))
            .collect();
        let more = plan.external.len().saturating_sub(listed.len());
        let _ = writeln!(
            footer,
            "External (owned elsewhere, referenced, never changed): {}{}\n",
            listed.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    for line in super::scope_lines(plan) {
        if !line.is_empty() {
            let _ = writeln!(footer, "{}\n", escape(&line));
        }
    }
    for note in plan.notes.iter().take(20) {
        let _ = writeln!(footer, "> note: {}", escape(note));
    }
    if !plan.notes.is_empty() {
        footer.push('\n');
    }
    if let Some(line) = pipeline_charge_line(plan) {
        // `$` pairs would render as math on GitHub.
        let _ = writeln!(footer, "{}", escape(&line).replace('$', "\\$"));
    }
    if let Some(line) = crate::cost::plan_line(plan) {
        let _ = writeln!(footer, "\n{}", escape(&line).replace('$', "\\$"));
    }
    if out.len() + footer.len() <= limit {
        out.push_str(&footer);
    }
    out
}

/// A change's collapsible section, or `None` when there is nothing to unfold (a delete).
fn details(change: &ResourceChange) -> Option<String> {
    let lines = body_lines(change);
    if lines.is_empty() && change.changed_secrets.is_empty() {
        return None;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<details><summary><code>{} {}</code> ({})</summary>\n",
        escape(change.action.symbol()),
        escape(&change.address.to_string()),
        change.action.as_str()
    );
    if let Some(reason) = &change.reason {
        let _ = writeln!(out, "Reason: {}\n", escape(reason));
    }
    if let Some(steps) = trigger_steps(change) {
        let _ = writeln!(out, "{}\n", escape(&steps));
    }
    for applied in &change.overrides {
        let _ = writeln!(out, "Override: `{}`\n", code(&applied.to_string()));
    }
    if let Some(graph) = pipeline_graph(change) {
        let _ = writeln!(out, "```mermaid\n{graph}```\n");
    }
    let mut body = String::new();
    for line in &lines {
        let _ = match line {
            DiffLine::Context(text) => writeln!(body, "  {text}"),
            DiffLine::Removed(text) => writeln!(body, "- {text}"),
            DiffLine::Added(text) => writeln!(body, "+ {text}"),
            DiffLine::Gap => writeln!(body, "@@ … @@"),
            DiffLine::Changed(text) => writeln!(body, "! {text}"),
        };
    }
    for pointer in &change.changed_secrets {
        let _ = writeln!(body, "! {pointer}: (secret changed)");
    }
    if !body.is_empty() {
        let fence = fence(&body);
        let _ = writeln!(out, "{fence}diff\n{body}{fence}\n");
    }
    let _ = writeln!(out, "</details>\n");
    Some(out)
}

/// A Mermaid graph of a changed pipeline's top-level activities and their dependencies
/// (edges labelled with their conditions when not just `Succeeded`), the added and changed
/// activities marked; `None` for other kinds, deletes, and pipelines over
/// [`GRAPH_MAX_ACTIVITIES`] activities.
fn pipeline_graph(change: &ResourceChange) -> Option<String> {
    if change.kind() != Kind::Pipeline || change.action == Action::Delete {
        return None;
    }
    let activities = change
        .after
        .as_ref()?
        .pointer("/properties/activities")?
        .as_array()?;
    if activities.is_empty() || activities.len() > GRAPH_MAX_ACTIVITIES {
        return None;
    }
    let names: Vec<&str> = activities
        .iter()
        .map(|a| a.get("name").and_then(Value::as_str).unwrap_or("?"))
        .collect();
    // (added, changed) top-level activities, from the property changes.
    let (mut added, mut changed) = (Vec::new(), Vec::new());
    match (&change.before, &change.after) {
        (Some(before), Some(after)) if change.action != Action::Create => {
            for property in crate::paths::property_changes(before, after) {
                if let crate::paths::PropertyChange::Renamed { to, .. } = &property {
                    changed.push(to.clone());
                    continue;
                }
                let Some(rest) = property.path().strip_prefix("activities[") else {
                    continue;
                };
                let Some((name, tail)) = rest.split_once(']') else {
                    continue;
                };
                let whole = tail.is_empty();
                match property {
                    crate::paths::PropertyChange::Added { .. } if whole => {
                        added.push(name.to_owned());
                    }
                    _ => changed.push(name.to_owned()),
                }
            }
        }
        _ => added = names.iter().map(|n| (*n).to_owned()).collect(),
    }
    let mut graph = String::from("graph TD\n");
    for (index, name) in names.iter().enumerate() {
        let class = if added.iter().any(|n| n == name) {
            ":::added"
        } else if changed.iter().any(|n| n == name) {
            ":::changed"
        } else {
            ""
        };
        let kind = activities[index]
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let _ = writeln!(
            graph,
            "  a{index}[\"{}<br/><i>{}</i>\"]{class}",
            mermaid_text(name),
            mermaid_text(kind)
        );
    }
    for (index, activity) in activities.iter().enumerate() {
        for dependency in activity
            .get("dependsOn")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(from) = dependency
                .get("activity")
                .and_then(Value::as_str)
                .and_then(|d| names.iter().position(|n| *n == d))
            else {
                continue;
            };
            let conditions: Vec<&str> = dependency
                .get("dependencyConditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if conditions.is_empty() || conditions == ["Succeeded"] {
                let _ = writeln!(graph, "  a{from} --> a{index}");
            } else {
                let _ = writeln!(
                    graph,
                    "  a{from} -- {} --> a{index}",
                    mermaid_text(&conditions.join(", "))
                );
            }
        }
    }
    graph.push_str("  classDef added fill:#d4f8d4,stroke:#2a2;\n");
    graph.push_str("  classDef changed fill:#fff3c4,stroke:#c90;\n");
    Some(graph)
}

/// Text safe inside a Mermaid label.
fn mermaid_text(text: &str) -> String {
    without_controls(text)
        .replace('&', "&amp;")
        .replace('"', "#quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code fence longer than any run of backticks in `body`.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Text for inside an inline code span (backticks cannot appear in names; drop them anyway).
fn code(text: &str) -> String {
    without_controls(text).replace('`', "'").replace('|', "\\|")
}

/// Control characters (from names ARM returned) shown escaped.
fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Text for table cells and HTML: no markup, no table breaks.
fn escape(text: &str) -> String {
    without_controls(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', " ")
}
