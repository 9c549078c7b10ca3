//! The inactive-pipeline charge: what ADF bills per month for pipelines that nothing runs.
//!
//! ADF bills [`INACTIVE_PIPELINE_MONTHLY_USD`] a month for each pipeline that has no trigger
//! associated with it and no run in the month. adfctl cannot see runs ahead of time, so the
//! estimate counts a pipeline as *active* when a **started** trigger names it (in `pipelines[]`
//! or, for a tumbling window trigger, `pipeline`), or when an active pipeline runs it through
//! an `ExecutePipeline` activity (at any depth, transitively). Every other pipeline counts as
//! inactive. Pure: the same bodies always give the same estimate.
//!
//! Three views: [`of_desired`] (the spec), [`of_live`] (a refreshed factory) and [`of_plan`]
//! (now and after, from a plan's `before` and `after` bodies).

use crate::{Action, INACTIVE_PIPELINE_MONTHLY_USD, LiveState, Plan};
use adf_core::{DesiredState, Kind, TriggerRuntimeState};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The estimate for one state of a factory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimate {
    /// How many pipelines the state has.
    pub pipelines: usize,
    /// The names of the pipelines counted as inactive, sorted (case-insensitively).
    pub inactive: Vec<String>,
}

/// `adfctl cost --format json`: the spec's estimate, and the live one when asked.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CostReport {
    /// `"1"`: a new version only when a field changes meaning or goes away.
    pub format_version: &'static str,
    /// The factory's name.
    pub factory: String,
    /// What ADF bills per inactive pipeline and month (US dollars).
    pub monthly_usd_per_inactive_pipeline: f64,
    /// What the spec would cost.
    pub spec: EstimateReport,
    /// What the live factory costs (`cost --live`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<EstimateReport>,
}

/// One estimate in a [`CostReport`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EstimateReport {
    /// The monthly charge, rounded to cents.
    pub monthly_usd: f64,
    /// How many pipelines there are.
    pub pipelines: usize,
    /// The pipelines counted as inactive.
    pub inactive_pipelines: Vec<String>,
}

impl CostReport {
    /// The report of `spec` (and `live`) estimates for `factory`.
    pub fn new(factory: &str, spec: &Estimate, live: Option<&Estimate>) -> CostReport {
        CostReport {
            format_version: "1",
            factory: factory.to_owned(),
            monthly_usd_per_inactive_pipeline: INACTIVE_PIPELINE_MONTHLY_USD,
            spec: spec.report(),
            live: live.map(Estimate::report),
        }
    }
}

impl Estimate {
    /// The estimate as reported in JSON (cents rounded).
    pub(crate) fn report(&self) -> EstimateReport {
        EstimateReport {
            monthly_usd: (self.monthly_usd() * 100.0).round() / 100.0,
            pipelines: self.pipelines,
            inactive_pipelines: self.inactive.clone(),
        }
    }

    /// The monthly charge in US dollars: inactive pipelines × [`INACTIVE_PIPELINE_MONTHLY_USD`].
    pub fn monthly_usd(&self) -> f64 {
        self.inactive.len() as f64 * INACTIVE_PIPELINE_MONTHLY_USD
    }

    /// How many pipelines are active (triggered, directly or through `ExecutePipeline`).
    pub fn active(&self) -> usize {
        self.pipelines - self.inactive.len()
    }
}

/// The estimate before and after a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanEstimate {
    /// The live factory now.
    pub now: Estimate,
    /// The factory once the plan is applied.
    pub after: Estimate,
}

impl PlanEstimate {
    /// Whether either side has any pipeline (otherwise there is nothing to say).
    pub fn is_relevant(&self) -> bool {
        self.now.pipelines > 0 || self.after.pipelines > 0
    }
}

/// The facts the estimate needs, collected from bodies of any origin.
#[derive(Debug, Default)]
struct Facts {
    /// Pipeline name (lower case) → (name as written, the pipelines it executes, lower case).
    pipelines: BTreeMap<String, (String, Vec<String>)>,
    /// Pipelines named by started triggers (lower case).
    triggered: Vec<String>,
}

impl Facts {
    fn pipeline(&mut self, name: &str, body: &Value) {
        self.pipeline_calling(name, pipeline_names(body));
    }

    fn pipeline_calling(&mut self, name: &str, calls: Vec<String>) {
        self.pipelines
            .insert(name.to_lowercase(), (name.to_owned(), calls));
    }

    fn trigger(&mut self, body: &Value, started: bool) {
        self.trigger_calling(pipeline_names(body), started);
    }

    fn trigger_calling(&mut self, calls: Vec<String>, started: bool) {
        if started {
            self.triggered.extend(calls);
        }
    }

    fn estimate(&self) -> Estimate {
        let mut active = BTreeSet::new();
        let mut queue: Vec<&String> = self.triggered.iter().collect();
        while let Some(name) = queue.pop() {
            if !active.insert(name.clone()) {
                continue;
            }
            if let Some((_, calls)) = self.pipelines.get(name) {
                queue.extend(calls.iter());
            }
        }
        let inactive = self
            .pipelines
            .iter()
            .filter(|(key, _)| !active.contains(*key))
            .map(|(_, (name, _))| name.clone())
            .collect();
        Estimate {
            pipelines: self.pipelines.len(),
            inactive,
        }
    }
}

/// The names (lower case) of every `PipelineReference` in a body: the pipelines a trigger
/// starts, or those a pipeline's `ExecutePipeline` activities run.
/// The pipelines a pipeline's or trigger's body references (lower case): what the estimate
/// reads of it ([`crate::ResourceChange::calls`] keeps it for a no-op without bodies).
pub(crate) fn calls(body: &Value) -> Vec<String> {
    pipeline_names(body)
}

fn pipeline_names(body: &Value) -> Vec<String> {
    adf_core::desired::references(body)
        .into_iter()
        .filter(|address| address.kind == Kind::Pipeline)
        .map(|address| address.name.to_lowercase())
        .collect()
}

/// The estimate for the state a spec describes (a trigger without `runtimeState` is started).
pub fn of_desired(desired: &DesiredState) -> Estimate {
    let mut facts = Facts::default();
    for resource in &desired.resources {
        match resource.address.kind {
            Kind::Pipeline => facts.pipeline(&resource.address.name, &resource.body),
            // Under `runtimeState: Keep` the live state decides, unknown here: counted as
            // started, so the estimate is an upper bound.
            Kind::Trigger => facts.trigger(
                &resource.body,
                resource.runtime_state != Some(adf_core::RuntimeStatePolicy::Stopped),
            ),
            _ => {}
        }
    }
    facts.estimate()
}

/// The estimate for a live factory: a trigger counts when ARM reports it `Started`, and a
/// pipeline in `ran` (names of the pipelines that ran this month) is active, as are those it
/// executes.
pub fn of_live(live: &LiveState, ran: &BTreeSet<String>) -> Estimate {
    let mut facts = Facts::default();
    facts
        .triggered
        .extend(ran.iter().map(|name| name.to_lowercase()));
    for resource in &live.resources {
        match resource.address.kind {
            Kind::Pipeline => facts.pipeline(&resource.address.name, &resource.body),
            Kind::Trigger => facts.trigger(
                &resource.body,
                resource.runtime_state() == Some(TriggerRuntimeState::Started),
            ),
            _ => {}
        }
    }
    facts.estimate()
}

/// The estimate now (the changes' `before` bodies and live runtime states) and after the plan
/// (their `after` bodies and desired runtime states; nothing for deletes). Live pipelines the
/// spec does not manage ([`Plan::unmanaged`]) exist on both sides; their bodies are not in the
/// plan, so they count as inactive on both sides (an upper bound), as do pipelines only an
/// unmanaged trigger starts.
pub fn of_plan(plan: &Plan) -> PlanEstimate {
    let mut now = Facts::default();
    let mut after = Facts::default();
    for change in &plan.changes {
        let name = &change.address.name;
        let (live_state, desired_state) = change.runtime_state.unwrap_or((None, None));
        let started =
            |state: Option<TriggerRuntimeState>| state == Some(TriggerRuntimeState::Started);
        let after_body = if change.action == Action::Delete {
            None
        } else {
            change.after.as_ref()
        };
        // A no-op without its bodies: the same on both sides, its references in `calls`.
        let slim = change.action == Action::NoOp && change.before.is_none();
        match change.kind() {
            Kind::Pipeline if slim => {
                now.pipeline_calling(name, change.calls.clone());
                after.pipeline_calling(name, change.calls.clone());
            }
            Kind::Pipeline => {
                if let Some(before) = &change.before {
                    now.pipeline(name, before);
                }
                if let Some(body) = after_body {
                    after.pipeline(name, body);
                }
            }
            Kind::Trigger if slim => {
                now.trigger_calling(change.calls.clone(), started(live_state));
                after.trigger_calling(change.calls.clone(), started(desired_state));
            }
            Kind::Trigger => {
                if let Some(before) = &change.before {
                    now.trigger(before, started(live_state));
                }
                if let Some(body) = after_body {
                    after.trigger(body, started(desired_state));
                }
            }
            _ => {}
        }
    }
    for address in plan.unmanaged.iter().filter(|a| a.kind == Kind::Pipeline) {
        now.pipeline(&address.name, &Value::Null);
        after.pipeline(&address.name, &Value::Null);
    }
    PlanEstimate {
        now: now.estimate(),
        after: after.estimate(),
    }
}

/// `$1.60/month (2 of 3 pipelines inactive)`.
pub fn describe(estimate: &Estimate) -> String {
    format!(
        "${:.2}/month ({} of {} pipeline{} inactive)",
        estimate.monthly_usd(),
        estimate.inactive.len(),
        estimate.pipelines,
        if estimate.pipelines == 1 { "" } else { "s" }
    )
}

/// `Estimated inactive-pipeline charge: $1.60/month now → $0.80/month after.`, or `None` when
/// neither side has a pipeline.
pub fn plan_line(plan: &Plan) -> Option<String> {
    let estimate = of_plan(plan);
    estimate.is_relevant().then(|| {
        format!(
            "Estimated inactive-pipeline charge: ${:.2}/month now → ${:.2}/month after ({} → {} inactive pipeline{}, ${:.2} each).",
            estimate.now.monthly_usd(),
            estimate.after.monthly_usd(),
            estimate.now.inactive.len(),
            estimate.after.inactive.len(),
            if estimate.after.inactive.len() == 1 { "" } else { "s" },
            INACTIVE_PIPELINE_MONTHLY_USD
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LiveResource, PlanOptions};
    use adf_core::{DesiredResource, FactoryTarget, ResourceAddress};
    use serde_json::json;

    fn target() -> FactoryTarget {
        FactoryTarget {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "rg".into(),
            factory: "f".into(),
        }
    }

    fn desired_resource(
        kind: Kind,
        name: &str,
        body: Value,
        state: Option<TriggerRuntimeState>,
    ) -> DesiredResource {
        DesiredResource {
            address: ResourceAddress::new(kind, name),
            path: target().resource_path(kind, name),
            body,
            secrets: Vec::new(),
            runtime_state: state.map(Into::into),
        }
    }

    fn execute(child: &str) -> Value {
        json!({"name": format!("run {child}"), "type": "ExecutePipeline",
               "typeProperties": {"pipeline": {"referenceName": child, "type": "PipelineReference"}}})
    }

    fn pipeline(activities: Vec<Value>) -> Value {
        json!({"properties": {"activities": activities}})
    }

    fn schedule(pipelines: &[&str]) -> Value {
        let items: Vec<Value> = pipelines
            .iter()
            .map(
                |p| json!({"pipelineReference": {"referenceName": p, "type": "PipelineReference"}}),
            )
            .collect();
        json!({"properties": {"type": "ScheduleTrigger", "pipelines": items,
               "typeProperties": {"recurrence": {"frequency": "Hour", "interval": 1}}}})
    }

    /// parent (triggered) → child → grandchild (inside a ForEach); lonely; stopped-only;
    /// window (a tumbling window trigger, `pipeline.pipelineReference`).
    fn state() -> DesiredState {
        let foreach = json!({"name": "each", "type": "ForEach",
            "typeProperties": {"items": {"value": "@createArray(1)", "type": "Expression"},
                               "activities": [execute("grandchild")]}});
        let tumbling = json!({"properties": {"type": "TumblingWindowTrigger",
            "pipeline": {"pipelineReference": {"referenceName": "WINDOW", "type": "PipelineReference"}},
            "typeProperties": {"frequency": "Hour", "interval": 1}}});
        DesiredState {
            target: target(),
            resource_group_managed: true,
            factory_managed: true,
            external: Vec::new(),
            resources: vec![
                desired_resource(
                    Kind::Pipeline,
                    "parent",
                    pipeline(vec![execute("child")]),
                    None,
                ),
                desired_resource(Kind::Pipeline, "child", pipeline(vec![foreach]), None),
                desired_resource(Kind::Pipeline, "grandchild", pipeline(vec![]), None),
                desired_resource(Kind::Pipeline, "lonely", pipeline(vec![]), None),
                desired_resource(Kind::Pipeline, "stoppedOnly", pipeline(vec![]), None),
                desired_resource(Kind::Pipeline, "window", pipeline(vec![]), None),
                desired_resource(Kind::Trigger, "hourly", schedule(&["parent"]), None),
                desired_resource(
                    Kind::Trigger,
                    "paused",
                    schedule(&["stoppedOnly"]),
                    Some(TriggerRuntimeState::Stopped),
                ),
                desired_resource(
                    Kind::Trigger,
                    "windowed",
                    tumbling,
                    Some(TriggerRuntimeState::Started),
                ),
            ],
        }
    }

    #[test]
    fn triggered_and_transitively_executed_pipelines_are_active() {
        let estimate = of_desired(&state());
        assert_eq!(estimate.pipelines, 6);
        assert_eq!(estimate.inactive, ["lonely", "stoppedOnly"]);
        assert_eq!(estimate.active(), 4);
        assert!((estimate.monthly_usd() - 1.60).abs() < 1e-9);
        assert_eq!(
            describe(&estimate),
            "$1.60/month (2 of 6 pipelines inactive)"
        );
    }

    #[test]
    fn no_pipelines_cost_nothing_and_cycles_terminate() {
        let empty = DesiredState {
            target: target(),
            resource_group_managed: true,
            factory_managed: true,
            external: Vec::new(),
            resources: vec![],
        };
        assert_eq!(of_desired(&empty), Estimate::default());
        assert_eq!(of_desired(&empty).monthly_usd(), 0.0);
        let looping = DesiredState {
            resources: vec![
                desired_resource(Kind::Pipeline, "a", pipeline(vec![execute("b")]), None),
                desired_resource(Kind::Pipeline, "b", pipeline(vec![execute("a")]), None),
                desired_resource(Kind::Trigger, "t", schedule(&["a"]), None),
            ],
            ..empty
        };
        assert!(of_desired(&looping).inactive.is_empty());
    }

    fn live_of(desired: &DesiredState, started: &[&str]) -> LiveState {
        LiveState {
            resources: desired
                .resources
                .iter()
                .map(|r| {
                    let mut body = r.body.clone();
                    if r.address.kind == Kind::Trigger {
                        let state = if started.contains(&r.address.name.as_str()) {
                            "Started"
                        } else {
                            "Stopped"
                        };
                        body["properties"]["runtimeState"] = json!(state);
                    }
                    LiveResource::new(r.address.clone(), body)
                })
                .collect(),
            other_resources_in_group: None,
        }
    }

    #[test]
    fn live_state_counts_only_started_triggers() {
        let desired = state();
        let live = live_of(&desired, &["hourly"]);
        let estimate = of_live(&live, &BTreeSet::new());
        assert_eq!(estimate.inactive, ["lonely", "stoppedOnly", "window"]);
        let all_started = of_live(
            &live_of(&desired, &["hourly", "paused", "windowed"]),
            &BTreeSet::new(),
        );
        assert_eq!(all_started.inactive, ["lonely"]);
    }

    #[test]
    fn a_pipeline_that_ran_this_month_is_active_with_what_it_executes() {
        let live = live_of(&state(), &[]);
        assert_eq!(of_live(&live, &BTreeSet::new()).inactive.len(), 6);
        // A run of `parent` (any case) this month: it and what it executes are active; a run
        // of a pipeline since deleted changes nothing.
        let ran = BTreeSet::from(["PARENT".to_owned(), "gone-since".to_owned()]);
        let estimate = of_live(&live, &ran);
        assert_eq!(estimate.pipelines, 6);
        assert_eq!(estimate.inactive, ["lonely", "stoppedOnly", "window"]);
    }

    #[test]
    fn a_plan_shows_now_and_after() {
        let desired = state();
        // Live: nothing started yet, and one pipeline the spec no longer has.
        let mut live = live_of(&desired, &[]);
        live.resources.push(LiveResource::new(
            ResourceAddress::new(Kind::Pipeline, "old"),
            pipeline(vec![]),
        ));
        let plan = crate::plan(&desired, &live, &PlanOptions::apply_with_prune());
        let estimate = of_plan(&plan);
        assert_eq!(estimate.now.pipelines, 7);
        assert_eq!(estimate.now.inactive.len(), 7);
        assert_eq!(estimate.after, of_desired(&desired));
        assert_eq!(
            plan_line(&plan).as_deref(),
            Some(
                "Estimated inactive-pipeline charge: $5.60/month now → $1.60/month after (7 → 2 inactive pipelines, $0.80 each)."
            )
        );

        // Without --prune, `old` stays (unmanaged), inactive on both sides.
        let plan = crate::plan(&desired, &live, &PlanOptions::apply());
        let estimate = of_plan(&plan);
        assert_eq!(estimate.after.inactive, ["lonely", "old", "stoppedOnly"]);

        // Destroy: nothing is left after.
        let plan = crate::plan(&desired, &live, &PlanOptions::destroy());
        let estimate = of_plan(&plan);
        assert_eq!(estimate.now.pipelines, 7);
        assert_eq!(estimate.after, Estimate::default());
    }

    #[test]
    fn nothing_to_say_without_pipelines() {
        let desired = DesiredState {
            target: target(),
            resource_group_managed: true,
            factory_managed: true,
            external: Vec::new(),
            resources: vec![],
        };
        let plan = crate::plan(&desired, &LiveState::empty(), &PlanOptions::apply());
        assert_eq!(plan_line(&plan), None);
    }
}
