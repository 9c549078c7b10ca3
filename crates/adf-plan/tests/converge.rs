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

/// Arbitrary JSON (no nulls or empty containers at the leaves of objects, which normalise
/// away by design).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i32>().prop_map(serde_json::Value::from),
        "[a-z@ ]{1,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 1..5)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

/// The same value with every object's keys in reverse order.
fn reversed(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(reversed).collect())
        }
        other => other.clone(),
    }
}

/// Changes one leaf (the first found, depth first).
fn perturbed(value: &serde_json::Value) -> Option<serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                if let Some(changed) = perturbed(child) {
                    let mut copy = map.clone();
                    copy.insert(key.clone(), changed);
                    return Some(serde_json::Value::Object(copy));
                }
            }
            None
        }
        serde_json::Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                if let Some(changed) = perturbed(child) {
                    let mut copy = items.clone();
                    copy[index] = changed;
                    return Some(serde_json::Value::Array(copy));
                }
            }
            None
        }
        serde_json::Value::Bool(b) => Some(json!(!b)),
        serde_json::Value::Number(n) => Some(json!(n.as_i64().unwrap_or(0).wrapping_add(1))),
        serde_json::Value::String(s) => Some(json!(format!("{s}!"))),
        serde_json::Value::Null => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Key order, server fields and empty annotations never make a diff; any changed leaf does.
    #[test]
    fn normalisation_ignores_order_and_server_fields_but_not_values(properties in json_value()) {
        let desired = state(vec![child(Kind::Pipeline, "p", json!({"body": properties.clone()}))]);
        let live_body = json!({
            "etag": "e1", "type": "Microsoft.DataFactory/factories/pipelines", "name": "P",
            "id": "/x", "properties": {"annotations": [], "body": reversed(&properties)}
        });
        let live = LiveState {
            resources: vec![adf_plan::LiveResource::new(
                adf_core::ResourceAddress::new(Kind::Pipeline, "P"),
                live_body,
            )],
            other_resources_in_group: None,
        };
        let same = plan(&desired, &live, &PlanOptions::apply());
        prop_assert_eq!(same.get(&adf_core::ResourceAddress::new(Kind::Pipeline, "p")).map(|c| c.action), Some(adf_plan::Action::NoOp));
        if let Some(changed) = perturbed(&properties) {
            let other = state(vec![child(Kind::Pipeline, "p", json!({"body": changed}))]);
            let diff = plan(&other, &live, &PlanOptions::apply());
            prop_assert_eq!(diff.get(&adf_core::ResourceAddress::new(Kind::Pipeline, "p")).map(|c| c.action), Some(adf_plan::Action::Update));
        }
    }
}
