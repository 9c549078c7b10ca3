//! The markdown rendering, for pull-request comments.

use super::{DiffLine, body_lines, pipeline_charge_line, summary_line, trigger_steps};
use crate::{Action, Plan};
use std::fmt::Write;

/// The plan as a pull-request comment: a heading, a summary table, one table row per change,
/// then a collapsible diff per change.
pub fn markdown(plan: &Plan) -> String {
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
    if !changes.is_empty() {
        let _ = writeln!(out, "| | Resource | Action | Reason |");
        let _ = writeln!(out, "|---|---|---|---|");
        for change in &changes {
            let reason: Vec<String> = change
                .reason
                .iter()
                .cloned()
                .chain(trigger_steps(change))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} |",
                change.action.symbol(),
                code(&change.address.to_string()),
                change.action.as_str(),
                escape(&reason.join("; "))
            );
        }
        out.push('\n');
    }
    for change in &changes {
        let lines = body_lines(change);
        if lines.is_empty() && change.changed_secrets.is_empty() {
            // Nothing to unfold (a delete): the table row says it all.
            continue;
        }
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
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "Unmanaged (not in the spec, left alone; `--prune` deletes them): {}\n",
            plan.unmanaged
                .iter()
                .map(|a| format!("`{}`", code(&a.to_string())))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for note in &plan.notes {
        let _ = writeln!(out, "> note: {}", escape(note));
    }
    if !plan.notes.is_empty() {
        out.push('\n');
    }
    if let Some(line) = pipeline_charge_line(plan) {
        // `$` pairs would render as math on GitHub.
        let _ = writeln!(out, "{}", escape(&line).replace('$', "\\$"));
    }
    if let Some(line) = crate::cost::plan_line(plan) {
        let _ = writeln!(out, "\n{}", escape(&line).replace('$', "\\$"));
    }
    out
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
