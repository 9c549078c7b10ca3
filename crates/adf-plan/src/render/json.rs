//! The versioned JSON rendering (`--format json`). Its own serde types: a promise to scripts,
//! independent of the internal structs.

use crate::{Plan, ResourceChange};
use serde::Serialize;
use serde_json::Value;

/// The version of the JSON plan format. Bump it when a field changes meaning or goes away;
/// adding fields keeps it.
pub const FORMAT_VERSION: &str = "1";

#[derive(Serialize)]
struct JsonPlan {
    format_version: &'static str,
    mode: &'static str,
    target: JsonTarget,
    summary: JsonSummary,
    changes: Vec<JsonChange>,
    unmanaged: Vec<String>,
    notes: Vec<String>,
    /// The inactive-pipeline charge now and after (see `crate::cost`).
    inactive_pipeline_charge: JsonCharge,
}

#[derive(Serialize)]
struct JsonCharge {
    now: crate::cost::EstimateReport,
    after: crate::cost::EstimateReport,
    monthly_usd_per_inactive_pipeline: f64,
}

#[derive(Serialize)]
struct JsonTarget {
    subscription: String,
    resource_group: String,
    factory: String,
}

#[derive(Serialize)]
struct JsonSummary {
    create: usize,
    update: usize,
    replace: usize,
    delete: usize,
    noop: usize,
}

#[derive(Serialize)]
struct JsonChange {
    address: String,
    kind: &'static str,
    name: String,
    action: &'static str,
    reason: Option<String>,
    /// The changed properties' paths (`activities[Copy].policy.timeout`), for updates and
    /// replacements.
    changed_paths: Vec<String>,
    changed_secrets: Vec<String>,
    depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime_state: Option<JsonRuntimeState>,
    before: Option<Value>,
    after: Option<Value>,
}

#[derive(Serialize)]
struct JsonRuntimeState {
    before: Option<&'static str>,
    after: Option<&'static str>,
    stop: bool,
    start: bool,
}

fn change(change: &ResourceChange) -> JsonChange {
    let state = |s| crate::diff::state_name(Some(s));
    JsonChange {
        address: change.address.to_string(),
        kind: change.kind().address_prefix(),
        name: change.address.name.clone(),
        action: change.action.as_str(),
        reason: change.reason.clone(),
        changed_paths: match (&change.before, &change.after) {
            (Some(before), Some(after)) => crate::paths::changed_paths(before, after),
            _ => Vec::new(),
        },
        changed_secrets: change.changed_secrets.clone(),
        depends_on: change.depends_on.iter().map(ToString::to_string).collect(),
        runtime_state: change
            .runtime_state
            .map(|(before, after)| JsonRuntimeState {
                before: before.map(state),
                after: after.map(state),
                stop: change.needs_stop,
                start: change.needs_start,
            }),
        before: change.before.clone(),
        after: change.after.clone(),
    }
}

/// The plan as versioned JSON: `format_version`, `mode`, `target`, `summary`
/// {create, update, replace, delete, noop}, `changes[]` {address, kind, name, action, reason,
/// changed_secrets, depends_on, runtime_state?, before, after} in execution order (no-ops
/// last), `unmanaged`, `notes` and `inactive_pipeline_charge` {now, after: {monthly_usd,
/// pipelines, inactive_pipelines}, monthly_usd_per_inactive_pipeline}.
pub fn json(plan: &Plan) -> Value {
    let summary = plan.summary();
    let document = JsonPlan {
        format_version: FORMAT_VERSION,
        mode: plan.mode.as_str(),
        target: JsonTarget {
            subscription: plan.target.subscription.clone(),
            resource_group: plan.target.resource_group.clone(),
            factory: plan.target.factory.clone(),
        },
        summary: JsonSummary {
            create: summary.create,
            update: summary.update,
            replace: summary.replace,
            delete: summary.delete,
            noop: summary.noop,
        },
        changes: plan.changes.iter().map(change).collect(),
        unmanaged: plan.unmanaged.iter().map(ToString::to_string).collect(),
        notes: plan.notes.clone(),
        inactive_pipeline_charge: {
            let charge = crate::cost::of_plan(plan);
            JsonCharge {
                now: charge.now.report(),
                after: charge.after.report(),
                monthly_usd_per_inactive_pipeline: crate::INACTIVE_PIPELINE_MONTHLY_USD,
            }
        },
    };
    serde_json::to_value(document).unwrap_or(Value::Null)
}
