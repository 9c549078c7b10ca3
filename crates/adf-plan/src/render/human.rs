//! The Terraform-like human rendering.

use super::{
    DiffLine, Style, body_lines, kept_runtime_state, pipeline_charge_line, summary_line,
    trigger_steps,
};
use crate::{Action, Plan, PlanMode};
use std::fmt::Write;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const DIM: &str = "\x1b[2m";

struct Painter {
    colour: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

fn action_colour(action: Action) -> &'static str {
    match action {
        Action::Create => GREEN,
        Action::Update => YELLOW,
        Action::Replace => MAGENTA,
        Action::Delete => RED,
        Action::NoOp => DIM,
    }
}

/// The plan as people read it in a terminal: one block per change (`+` create, `~` update
/// with the changed properties, `-/+` replace with its reason, `-` delete), no-ops counted,
/// then the summary line. Colour only when `style` asks for it.
pub fn human(plan: &Plan, style: Style) -> String {
    let painter = Painter {
        colour: style.colour,
    };
    let mut out = String::new();
    let target = &plan.target;
    let verb = match plan.mode {
        PlanMode::Apply => "apply",
        PlanMode::Destroy => "destroy",
    };
    let _ = writeln!(
        out,
        "{}",
        painter.paint(
            BOLD,
            &format!(
                "adfctl {verb} plan for factory {} in resource group {} (subscription {})",
                clean(&target.factory),
                clean(&target.resource_group),
                clean(&target.subscription)
            )
        )
    );
    if plan.has_changes() {
        let _ = writeln!(
            out,
            "Symbols: + create, ~ update in place, -/+ replace, - delete\n"
        );
    } else {
        out.push('\n');
    }
    for change in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let colour = action_colour(change.action);
        let header = format!(
            "{:>3} {} ({})",
            change.action.symbol(),
            clean(&change.address.to_string()),
            change.action.as_str()
        );
        let _ = writeln!(out, "{}", painter.paint(colour, &header));
        if let Some(reason) = &change.reason {
            let _ = writeln!(out, "      # {}", clean(reason));
        }
        if let Some(state) = kept_runtime_state(change) {
            let _ = writeln!(out, "      # {state}");
        }
        if let Some(steps) = trigger_steps(change) {
            let _ = writeln!(out, "      # {steps}");
        }
        for applied in &change.overrides {
            let _ = writeln!(out, "      # override: {}", clean(&applied.to_string()));
        }
        for line in body_lines(change) {
            let text = match line {
                DiffLine::Context(text) => format!("        {text}"),
                DiffLine::Removed(text) => painter.paint(RED, &format!("      - {text}")),
                DiffLine::Added(text) => painter.paint(GREEN, &format!("      + {text}")),
                DiffLine::Gap => painter.paint(DIM, "        ..."),
                DiffLine::Changed(text) => painter.paint(YELLOW, &format!("      ~ {text}")),
            };
            let _ = writeln!(out, "{text}");
        }
        for pointer in &change.changed_secrets {
            let _ = writeln!(
                out,
                "{}",
                painter.paint(
                    YELLOW,
                    &format!("      ~ {}: (secret changed)", clean(pointer))
                )
            );
        }
        out.push('\n');
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "Unmanaged: {} live resource{} not in the spec, left alone (--prune deletes them):",
            plan.unmanaged.len(),
            super::plural(plan.unmanaged.len())
        );
        for address in &plan.unmanaged {
            let _ = writeln!(out, "    {}", clean(&address.to_string()));
        }
        out.push('\n');
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(
            out,
            "Kept: {} live resource{} not in the spec but owned elsewhere (prune.keep), never pruned:",
            plan.kept.len(),
            super::plural(plan.kept.len())
        );
        for address in &plan.kept {
            let _ = writeln!(out, "    {}", clean(&address.to_string()));
        }
        out.push('\n');
    }
    if !plan.external.is_empty() {
        let _ = writeln!(
            out,
            "External: {} live resource{} owned elsewhere (spec `external`), referenced and never changed:",
            plan.external.len(),
            super::plural(plan.external.len())
        );
        for address in &plan.external {
            let _ = writeln!(out, "    {}", clean(&address.to_string()));
        }
        out.push('\n');
    }
    for line in super::scope_lines(plan) {
        let _ = writeln!(out, "{}", clean(&line));
    }
    for note in &plan.notes {
        let _ = writeln!(out, "note: {}", clean(note));
    }
    if !plan.notes.is_empty() {
        out.push('\n');
    }
    if plan.has_replacements() {
        let _ = writeln!(
            out,
            "{}",
            painter.paint(
                MAGENTA,
                "warning: this plan replaces resources (delete, then create): their history and anything not in the spec is lost."
            )
        );
    }
    if let Some(line) = pipeline_charge_line(plan) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(line) = crate::cost::plan_line(plan) {
        let _ = writeln!(out, "{line}");
    }
    let summary = plan.summary();
    let mut last = painter.paint(BOLD, &summary_line(plan));
    if plan.has_changes() && summary.noop > 0 {
        last.push_str(&format!(" {} unchanged.", summary.noop));
    }
    let _ = writeln!(out, "{last}");
    out
}

/// Names and reasons come from the spec and from ARM: control characters in them (a terminal
/// escape sequence in an entity name) are shown escaped, never sent to the terminal.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The plan in one line per change: `~ pipeline/x: activities[Copy].policy.timeout,
/// description` (updates name their changed paths, at most 8, then how many more), then the
/// summary line. For a quick read of a large plan; `human` has every value.
pub fn compact(plan: &Plan, style: Style) -> String {
    const PATHS_SHOWN: usize = 8;
    let painter = Painter {
        colour: style.colour,
    };
    let mut out = String::new();
    for change in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let mut what: Vec<String> = match (&change.before, &change.after) {
            (Some(before), Some(after)) if change.action != Action::Delete => {
                crate::paths::changed_paths(before, after)
            }
            _ => Vec::new(),
        };
        what.extend(
            change
                .changed_secrets
                .iter()
                .map(|pointer| format!("{pointer} (secret changed)")),
        );
        let more = what.len().saturating_sub(PATHS_SHOWN);
        what.truncate(PATHS_SHOWN);
        if more > 0 {
            what.push(format!("{more} more"));
        }
        if let Some(reason) = &change.reason
            && change.action != Action::Update
        {
            what.insert(0, reason.clone());
        }
        let line = if what.is_empty() {
            format!("{:>3} {}", change.action.symbol(), change.address)
        } else {
            format!(
                "{:>3} {}: {}",
                change.action.symbol(),
                change.address,
                what.join(", ")
            )
        };
        let _ = writeln!(
            out,
            "{}",
            painter.paint(action_colour(change.action), &clean(&line))
        );
    }
    let _ = writeln!(out, "{}", summary_line(plan));
    out
}
