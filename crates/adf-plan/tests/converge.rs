//! Property: planning any desired state against any live state, then executing the plan in
//! memory (with ADF's rules enforced: references must exist, referenced entities cannot be
//! deleted, started triggers cannot be written or deleted), yields a live state whose re-plan
//! is all no-ops.
//!
//! Secrets are left out here (a fingerprint costs about a second in debug builds); the diff
//! tests cover their convergence.

mod common;

use adf_core::{DesiredResource, DesiredState, Kind, TriggerRuntimeState};
use adf_plan::{LiveState, PlanOptions, plan};
use common::*;
use proptest::prelude::*;
use serde_json::json;

/// Builds a valid desired state from a list of choices (every reference resolves, no cycles).
fn build(choices: &[u8], location: &str) -> DesiredState {
    let mut next = choices.iter().copied().cycle();
    let mut pick = move |n: u8| next.next().unwrap_or(0) % n;
    let mut resources: Vec<DesiredResource> = vec![group("eastus"), factory(location)];
    let mut linked = Vec::new();
    for name in ["ls1", "ls2"] {
        if pick(3) > 0 {
            let variant = pick(3);
            resources.push(child(
                Kind::LinkedService,
                name,
                json!({
                    "type": "AzureBlobStorage",
                    "description": format!("v{variant}"),
                    "typeProperties": {"serviceEndpoint": "https://x.blob.core.windows.net/"}
                }),
            ));
            linked.push(name);
        }
    }
    let mut datasets = Vec::new();
    if !linked.is_empty() {
        for name in ["d1", "d2", "d3"] {
            if pick(3) > 0 {
                let ls = linked[pick(linked.len() as u8) as usize];
                let mut properties = json!({
                    "type": "Binary",
                    "linkedServiceName": {"referenceName": ls, "type": "LinkedServiceReference"},
                    "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "folderPath": format!("f{}", pick(3))}}
                });
                if pick(2) == 0 {
                    properties["annotations"] = json!([]);
                }
                resources.push(child(Kind::Dataset, name, properties));
                datasets.push(name);
            }
        }
    }
    let mut pipelines: Vec<&str> = Vec::new();
    for name in ["p1", "p2", "p3"] {
        if pick(3) == 0 {
            continue;
        }
        let mut activities = vec![
            json!({"name": "wait", "type": "Wait", "typeProperties": {"waitTimeInSeconds": pick(3) + 1}}),
        ];
        if !datasets.is_empty() && pick(2) == 0 {
            let input = datasets[pick(datasets.len() as u8) as usize];
            let output = datasets[pick(datasets.len() as u8) as usize];
            activities.push(json!({"name": "copy", "type": "Copy",
                "inputs": [{"referenceName": input, "type": "DatasetReference"}],
                "outputs": [{"referenceName": output, "type": "DatasetReference"}]}));
        }
        if !pipelines.is_empty() && pick(2) == 0 {
            let callee = pipelines[pick(pipelines.len() as u8) as usize];
            activities.push(json!({"name": "call", "type": "ExecutePipeline",
                "typeProperties": {"pipeline": {"referenceName": callee, "type": "PipelineReference"}}}));
        }
        resources.push(child(
            Kind::Pipeline,
            name,
            json!({"activities": activities}),
        ));
        pipelines.push(name);
    }
    if !pipelines.is_empty() {
        for name in ["t1", "t2"] {
            if pick(3) > 0 {
                let pipeline = pipelines[pick(pipelines.len() as u8) as usize];
                let state = match pick(3) {
                    0 => Some(TriggerRuntimeState::Stopped),
                    1 => Some(TriggerRuntimeState::Started),
                    _ => None,
                };
                let interval = u32::from(pick(2)) + 1;
                resources.push(trigger(
                    name,
                    schedule_trigger(name, pipeline, interval),
                    state,
                ));
            }
        }
    }
    state(resources)
}

fn location(choice: u8) -> &'static str {
    if choice.is_multiple_of(5) {
        "westus"
    } else {
        "East US"
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn plan_then_apply_converges(
        before in proptest::collection::vec(any::<u8>(), 24),
        after in proptest::collection::vec(any::<u8>(), 24),
        before_location in any::<u8>(),
        after_location in any::<u8>(),
        stop_behind_our_back in any::<bool>(),
        prune in any::<bool>(),
    ) {
        let old = build(&before, location(before_location));
        let mut live = applied(&old);
        if stop_behind_our_back {
            for resource in live.resources.iter_mut().filter(|r| r.address.kind == Kind::Trigger) {
                resource.body["properties"]["runtimeState"] = json!("Stopped");
            }
        }
        let new = build(&after, location(after_location));
        let options = if prune { PlanOptions::apply_with_prune() } else { PlanOptions::apply() };
        let first = plan(&new, &live, &options);
        let converged = apply_in_memory(&first, &new, &live);
        let again = plan(&new, &converged, &options);
        prop_assert!(!again.has_changes(), "not converged:\n{}\nfirst plan:\n{}", outline(&again), outline(&first));

        // Destroy then empties everything the factory held.
        let mut emptied_group = converged.clone();
        emptied_group.other_resources_in_group = Some(Vec::new());
        let destroy = plan(&new, &emptied_group, &PlanOptions::destroy());
        let gone = apply_in_memory(&destroy, &new, &emptied_group);
        prop_assert!(gone.resources.is_empty(), "left: {:?}", gone.resources);
        prop_assert!(!plan(&new, &gone, &PlanOptions::destroy()).has_changes());
        let _ = LiveState::empty();
    }
}
