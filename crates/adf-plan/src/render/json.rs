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
    /// The same changes in the shape Terraform's JSON plan gives them, for tools that read it.
    resource_changes: Vec<TerraformChange>,
    unmanaged: Vec<String>,
    /// Live entities not in the spec that `prune.keep` says are owned elsewhere.
    kept_unmanaged: Vec<String>,
    /// Live entities the spec declares `external`: referenced, owned elsewhere, never changed.
    external: Vec<String>,
    /// With `--include`/`--exclude`: what the selection pulled in and left alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<JsonScope>,
    notes: Vec<String>,
    /// The inactive-pipeline charge now and after (see `crate::cost`).
    inactive_pipeline_charge: JsonCharge,
}

#[derive(Serialize)]
struct JsonOverride {
    address: String,
    op: &'static str,
    path: String,
    origin: String,
}

impl From<&adf_core::AppliedOverride> for JsonOverride {
    fn from(applied: &adf_core::AppliedOverride) -> Self {
        JsonOverride {
            address: applied.address.to_string(),
            op: applied.op.as_str(),
            path: applied.path.clone(),
            origin: applied.origin.clone(),
        }
    }
}

#[derive(Serialize)]
struct JsonScope {
    dependencies: Vec<String>,
    excluded_dependencies: Vec<String>,
    out_of_scope: Vec<String>,
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
    /// What the spec's override rules did to this entity: `{address, op, path, origin}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    overrides: Vec<JsonOverride>,
    before: Option<Value>,
    after: Option<Value>,
}

#[derive(Serialize)]
struct TerraformChange {
    address: String,
    mode: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    change: TerraformBody,
}

#[derive(Serialize)]
struct TerraformBody {
    /// `["create"]`, `["update"]`, `["delete", "create"]` (a replace), `["delete"]`, `["no-op"]`.
    actions: Vec<&'static str>,
    before: Option<Value>,
    after: Option<Value>,
    /// `true` where the value is a secret (shown as `(sensitive value)`), mirroring the body.
    before_sensitive: Value,
    after_sensitive: Value,
}

/// Terraform's sensitivity map of a body: `true` at every redacted value, objects and arrays
/// holding only what has one, `false` when nothing is.
fn sensitive(value: Option<&Value>) -> Value {
    fn walk(value: &Value) -> Option<Value> {
        match value {
            Value::String(text) if text == adf_core::secret::REDACTED => Some(Value::Bool(true)),
            Value::Object(map) => {
                let inner: serde_json::Map<String, Value> = map
                    .iter()
                    .filter_map(|(k, v)| walk(v).map(|s| (k.clone(), s)))
                    .collect();
                (!inner.is_empty()).then_some(Value::Object(inner))
            }
            Value::Array(items) => {
                let inner: Vec<Value> = items
                    .iter()
                    .map(|v| walk(v).unwrap_or(Value::Bool(false)))
                    .collect();
                inner
                    .iter()
                    .any(|v| v != &Value::Bool(false))
                    .then_some(Value::Array(inner))
            }
            _ => None,
        }
    }
    value.and_then(walk).unwrap_or(Value::Bool(false))
}

fn terraform(change: &ResourceChange) -> TerraformChange {
    let actions = match change.action {
        crate::Action::Create => vec!["create"],
        crate::Action::Update => vec!["update"],
        crate::Action::Replace => vec!["delete", "create"],
        crate::Action::Delete => vec!["delete"],
        crate::Action::NoOp => vec!["no-op"],
    };
    let noop = change.action == crate::Action::NoOp;
    TerraformChange {
        address: change.address.to_string(),
        mode: "managed",
        kind: change.kind().arm_type(),
        name: change.address.name.clone(),
        change: TerraformBody {
            actions,
            before: change.before.as_deref().filter(|_| !noop).cloned(),
            after: change.after.as_deref().filter(|_| !noop).cloned(),
            before_sensitive: sensitive(change.before.as_deref()),
            after_sensitive: sensitive(change.after.as_deref()),
        },
    }
}

#[derive(Serialize)]
struct JsonRuntimeState {
    before: Option<&'static str>,
    after: Option<&'static str>,
    stop: bool,
    start: bool,
    /// `runtimeState: Keep`: `after` is the live state, kept (stopped for a new trigger).
    kept: bool,
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
                kept: change.runtime_state_kept,
            }),
        overrides: change.overrides.iter().map(JsonOverride::from).collect(),
        // A no-op's bodies say nothing a reviewer needs: left out (null).
        before: change
            .before
            .as_deref()
            .filter(|_| change.action != crate::Action::NoOp)
            .cloned(),
        after: change
            .after
            .as_deref()
            .filter(|_| change.action != crate::Action::NoOp)
            .cloned(),
    }
}

/// The plan as versioned JSON: `format_version`, `mode`, `target`, `summary`
/// {create, update, replace, delete, noop}, `changes[]` {address, kind, name, action, reason,
/// changed_secrets, depends_on, runtime_state?, before, after} in execution order (no-ops
/// last), `unmanaged`, `kept_unmanaged`, `external`, `notes` and `inactive_pipeline_charge`
/// {now, after: {monthly_usd,
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
        resource_changes: plan.changes.iter().map(terraform).collect(),
        unmanaged: plan.unmanaged.iter().map(ToString::to_string).collect(),
        kept_unmanaged: plan.kept.iter().map(ToString::to_string).collect(),
        external: plan.external.iter().map(ToString::to_string).collect(),
        scope: plan.scope.as_ref().map(|scope| {
            let names =
                |list: &[adf_core::ResourceAddress]| list.iter().map(ToString::to_string).collect();
            JsonScope {
                dependencies: names(&scope.dependencies),
                excluded_dependencies: names(&scope.excluded_dependencies),
                out_of_scope: names(&scope.out_of_scope),
            }
        }),
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
