//! Ordering: dependency edges from references, waves, deletes in reverse, delete-after-update.

mod common;

use adf_core::{DesiredState, Kind, ResourceAddress, TriggerRuntimeState};
use adf_plan::{LiveResource, LiveState, Plan, PlanOptions, plan};
use common::*;
use serde_json::json;

/// The waves as text: one line per wave, addresses with their symbols.
fn waves(plan: &Plan) -> String {
    plan.waves()
        .iter()
        .map(|wave| {
            wave.iter()
                .map(|c| format!("{}{}", c.action.symbol(), c.address))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_waves(desired: &DesiredState, live: &LiveState, options: PlanOptions, expected: &str) {
    let plan = plan(desired, live, &options);
    assert_eq!(waves(&plan), expected.trim(), "\n{plan:#?}");
    // And the in-memory ARM accepts that order, and it converges.
    let after = apply_in_memory(&plan, desired, live);
    let again = adf_plan::plan(desired, &after, &options);
    assert!(!again.has_changes(), "{}", outline(&again));
}

fn base() -> Vec<adf_core::DesiredResource> {
    vec![group("eastus"), factory("eastus")]
}

fn with(mut resources: Vec<adf_core::DesiredResource>) -> DesiredState {
    let mut all = base();
    all.append(&mut resources);
    state(all)
}

fn wait_pipeline(name: &str) -> adf_core::DesiredResource {
    child(
        Kind::Pipeline,
        name,
        json!({"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}),
    )
}

#[test]
fn execute_pipeline_callees_are_created_first_and_deleted_last() {
    let desired = with(vec![
        execute_pipeline("a", "b"),
        execute_pipeline("b", "c"),
        wait_pipeline("c"),
    ]);
    check_waves(
        &desired,
        &LiveState::empty(),
        PlanOptions::apply(),
        "
+resourceGroup/adf-lab-rg
+factory/adf-lab-factory
+pipeline/c
+pipeline/b
+pipeline/a",
    );
    // Pruning all three deletes the callers first.
    let live = applied(&desired);
    let empty = with(vec![]);
    check_waves(
        &empty,
        &live,
        PlanOptions::apply_with_prune(),
        "
-pipeline/a
-pipeline/b
-pipeline/c",
    );
}

#[test]
fn a_pipeline_is_deleted_only_after_its_caller_drops_the_reference() {
    let before = with(vec![
        execute_pipeline("parent", "old"),
        wait_pipeline("old"),
    ]);
    let live = applied(&before);
    let after = with(vec![
        execute_pipeline("parent", "new"),
        wait_pipeline("new"),
    ]);
    check_waves(
        &after,
        &live,
        PlanOptions::apply_with_prune(),
        "
+pipeline/new
~pipeline/parent
-pipeline/old",
    );
    let plan = plan(&after, &live, &PlanOptions::apply_with_prune());
    let old = plan
        .get(&ResourceAddress::new(Kind::Pipeline, "old"))
        .expect("old");
    assert_eq!(
        old.depends_on,
        vec![ResourceAddress::new(Kind::Pipeline, "parent")]
    );
}

#[test]
fn a_started_trigger_is_stopped_and_repointed_before_its_old_pipeline_goes() {
    let before = with(vec![
        wait_pipeline("old"),
        trigger("t", schedule_trigger("t", "old", 1), None),
    ]);
    let live = applied(&before);
    assert_eq!(
        live.get(&ResourceAddress::new(Kind::Trigger, "t"))
            .and_then(|t| t.runtime_state()),
        Some(TriggerRuntimeState::Started)
    );
    let after = with(vec![
        wait_pipeline("new"),
        trigger("t", schedule_trigger("t", "new", 1), None),
    ]);
    check_waves(
        &after,
        &live,
        PlanOptions::apply_with_prune(),
        "
+pipeline/new
~trigger/t
-pipeline/old",
    );
    let plan = plan(&after, &live, &PlanOptions::apply_with_prune());
    let t = plan
        .get(&ResourceAddress::new(Kind::Trigger, "t"))
        .expect("t");
    assert!(t.needs_stop && t.needs_start);
}

#[test]
fn datasets_go_before_their_linked_service_and_independent_ones_share_a_wave() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let only_pipelineless = with(vec![]);
    check_waves(
        &only_pipelineless,
        &live,
        PlanOptions::apply_with_prune(),
        "
-trigger/dailyTrigger
-pipeline/copyPipeline
-dataset/InputDataset -dataset/OutputDataset
-linkedService/AzureStorageLinkedService",
    );
}

#[test]
fn key_vault_linked_services_and_integration_runtimes_come_before_their_users() {
    let desired = with(vec![
        child(
            Kind::LinkedService,
            "sql",
            json!({
                "type": "AzureSqlDatabase",
                "connectVia": {"referenceName": "selfHosted", "type": "IntegrationRuntimeReference"},
                "typeProperties": {"connectionString": "Server=x;", "password": {
                    "type": "AzureKeyVaultSecret", "secretName": "sql-password",
                    "store": {"referenceName": "vault", "type": "LinkedServiceReference"}}}
            }),
        ),
        child(
            Kind::LinkedService,
            "vault",
            json!({"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://v.vault.azure.net/"}}),
        ),
        child(
            Kind::IntegrationRuntime,
            "selfHosted",
            json!({"type": "SelfHosted"}),
        ),
    ]);
    check_waves(
        &desired,
        &LiveState::empty(),
        PlanOptions::apply(),
        "
+resourceGroup/adf-lab-rg
+factory/adf-lab-factory
+integrationRuntime/selfHosted +linkedService/vault
+linkedService/sql",
    );
}

#[test]
fn data_flows_come_after_their_datasets_and_before_their_pipelines() {
    let desired = with(vec![
        child(
            Kind::Pipeline,
            "runFlow",
            json!({"activities": [{"name": "flow", "type": "ExecuteDataFlow",
            "typeProperties": {"dataflow": {"referenceName": "flow", "type": "DataFlowReference"}}}]}),
        ),
        child(
            Kind::DataFlow,
            "flow",
            json!({"type": "MappingDataFlow", "typeProperties": {
            "sources": [{"name": "in", "dataset": {"referenceName": "ds", "type": "DatasetReference"}}]}}),
        ),
        child(
            Kind::Dataset,
            "ds",
            json!({"type": "Binary", "linkedServiceName": {"referenceName": "ls", "type": "LinkedServiceReference"}}),
        ),
        child(
            Kind::LinkedService,
            "ls",
            json!({"type": "AzureBlobStorage", "typeProperties": {"serviceEndpoint": "https://x/"}}),
        ),
    ]);
    check_waves(
        &desired,
        &LiveState::empty(),
        PlanOptions::apply(),
        "
+resourceGroup/adf-lab-rg
+factory/adf-lab-factory
+linkedService/ls
+dataset/ds
+dataFlow/flow
+pipeline/runFlow",
    );
}

#[test]
fn a_cycle_in_live_references_is_noted_and_still_ordered() {
    let desired = with(vec![]);
    let mut live = applied(&desired);
    for (name, callee) in [("ping", "pong"), ("pong", "ping")] {
        live.resources.push(LiveResource::new(
            ResourceAddress::new(Kind::Pipeline, name),
            json!({"etag": "e", "properties": {"activities": [{"name": "x", "type": "ExecutePipeline",
                "typeProperties": {"pipeline": {"referenceName": callee, "type": "PipelineReference"}}}]}}),
        ));
    }
    let plan = plan(&desired, &live, &PlanOptions::apply_with_prune());
    assert_eq!(plan.summary().delete, 2);
    assert!(
        plan.notes.iter().any(|n| n.contains("dependency cycle")),
        "{:?}",
        plan.notes
    );
    assert_eq!(plan.waves().len(), 2, "one at a time");
}

#[test]
fn a_kept_resource_that_references_a_deleted_one_is_noted() {
    // The spec is invalid (a dangling reference adf-spec would reject), but the plan must
    // still say what will go wrong instead of ordering blindly.
    let before = with(vec![
        execute_pipeline("kept", "gone"),
        wait_pipeline("gone"),
    ]);
    let live = applied(&before);
    let desired = with(vec![execute_pipeline("kept", "gone")]);
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply_with_prune());
    assert_eq!(outline(&plan), "- pipeline/gone");
    assert!(
        plan.notes
            .iter()
            .any(|n| n == "pipeline/kept still references pipeline/gone, which this plan deletes"),
        "{:?}",
        plan.notes
    );
}

#[test]
fn destroy_deletes_an_unmanaged_trigger_before_the_pipeline_it_points_at() {
    let desired = with(vec![wait_pipeline("kept")]);
    let mut live = applied(&desired);
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Pipeline, "gone"),
        json!({"etag": "e", "properties": {}}),
    ));
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Trigger, "studioTrigger"),
        json!({"etag": "e", "properties": schedule_trigger("x", "gone", 1)}),
    ));
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    assert!(!plan.has_changes());
    assert_eq!(plan.unmanaged.len(), 2);
    let destroy = adf_plan::plan(&desired, &live, &PlanOptions::destroy());
    let order: Vec<String> = destroy
        .changes
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    let trigger_at = order
        .iter()
        .position(|a| a == "trigger/studioTrigger")
        .expect("trigger");
    let pipeline_at = order
        .iter()
        .position(|a| a == "pipeline/gone")
        .expect("pipeline");
    assert!(trigger_at < pipeline_at, "{order:?}");
    let after = apply_in_memory(&destroy, &desired, &live);
    assert!(
        after
            .resources
            .iter()
            .all(|r| r.address.kind == Kind::ResourceGroup),
        "group kept: contents not listed"
    );
}

#[test]
fn a_large_factory_plans_and_orders_without_blowing_up() {
    // 20 linked services, 400 datasets, 2000 pipelines (each calling the previous one every
    // tenth), 100 triggers: the ordering must stay near-linear.
    let mut resources = Vec::new();
    for l in 0..20 {
        resources.push(child(Kind::LinkedService, &format!("ls{l}"), json!({"type": "AzureBlobStorage", "typeProperties": {"serviceEndpoint": "https://x/"}})));
    }
    for d in 0..400 {
        resources.push(child(Kind::Dataset, &format!("ds{d}"), json!({"type": "Binary",
            "linkedServiceName": {"referenceName": format!("ls{}", d % 20), "type": "LinkedServiceReference"}})));
    }
    for p in 0..2000 {
        let mut activities = vec![json!({"name": "copy", "type": "Copy",
            "inputs": [{"referenceName": format!("ds{}", p % 400), "type": "DatasetReference"}],
            "outputs": [{"referenceName": format!("ds{}", (p + 1) % 400), "type": "DatasetReference"}]})];
        if p % 10 == 9 {
            activities.push(json!({"name": "call", "type": "ExecutePipeline",
                "typeProperties": {"pipeline": {"referenceName": format!("p{}", p - 1), "type": "PipelineReference"}}}));
        }
        resources.push(child(
            Kind::Pipeline,
            &format!("p{p}"),
            json!({"activities": activities}),
        ));
    }
    for t in 0..100 {
        resources.push(trigger(
            &format!("t{t}"),
            schedule_trigger("t", &format!("p{}", t * 20 + 9), 1),
            None,
        ));
    }
    let desired = with(resources);
    let first = plan(&desired, &LiveState::empty(), &PlanOptions::apply());
    assert_eq!(first.summary().create, 2 + 20 + 400 + 2000 + 100);
    // group, factory, linked services, datasets, callees, callers, triggers.
    assert_eq!(first.waves().len(), 7);
    let live = apply_in_memory(&first, &desired, &LiveState::empty());
    let again = plan(&desired, &live, &PlanOptions::apply());
    assert!(!again.has_changes());
    let destroy = plan(&desired, &live, &PlanOptions::destroy());
    assert_eq!(destroy.pipelines_deleted(), 2000);
    assert_eq!(
        destroy.waves().len(),
        6,
        "triggers, callers, callees, datasets, linked services, factory"
    );
}

fn managed_network(endpoint_group: &str) -> DesiredState {
    with(vec![
        child(Kind::ManagedVirtualNetwork, "default", json!({})),
        child(
            Kind::ManagedPrivateEndpoint,
            "pe_lake",
            json!({"privateLinkResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/lake", "groupId": endpoint_group}),
        ),
        child(
            Kind::Credential,
            "uami",
            json!({"type": "ManagedIdentity", "typeProperties": {"resourceId": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"}}),
        ),
        child(
            Kind::IntegrationRuntime,
            "vnetIr",
            json!({"type": "Managed", "managedVirtualNetwork": {"referenceName": "default", "type": "ManagedVirtualNetworkReference"}}),
        ),
        child(
            Kind::LinkedService,
            "lake",
            json!({"type": "AzureBlobFS", "typeProperties": {"url": "https://lake.dfs.core.windows.net", "credential": {"referenceName": "uami", "type": "CredentialReference"}}}),
        ),
    ])
}

#[test]
fn the_managed_network_comes_before_its_endpoints_and_runtimes_and_credentials_before_linked_services()
 {
    let desired = managed_network("dfs");
    let plan = plan(&desired, &LiveState::empty(), &PlanOptions::apply());
    let wave_of = |name: &str| {
        plan.waves()
            .iter()
            .position(|wave| wave.iter().any(|c| c.address.to_string() == name))
            .unwrap_or_else(|| panic!("{name} not in {}", waves(&plan)))
    };
    assert!(wave_of("managedVirtualNetwork/default") < wave_of("managedPrivateEndpoint/pe_lake"));
    assert!(wave_of("managedVirtualNetwork/default") < wave_of("integrationRuntime/vnetIr"));
    assert!(wave_of("credential/uami") < wave_of("linkedService/lake"));
    let after = apply_in_memory(&plan, &desired, &LiveState::empty());
    let again = adf_plan::plan(&desired, &after, &PlanOptions::apply());
    assert!(!again.has_changes(), "{}", outline(&again));
}

#[test]
fn a_changed_private_endpoint_is_replaced_and_the_network_is_never_pruned() {
    let live = applied(&managed_network("dfs"));
    let plan = plan(&managed_network("blob"), &live, &PlanOptions::apply());
    let endpoint = plan
        .changes
        .iter()
        .find(|c| c.address.kind == Kind::ManagedPrivateEndpoint)
        .unwrap();
    assert_eq!(endpoint.action, adf_plan::Action::Replace, "{plan:#?}");
    assert!(
        endpoint
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("cannot change in place")),
        "{endpoint:?}"
    );
    let after = apply_in_memory(&plan, &managed_network("blob"), &live);
    assert!(!adf_plan::plan(&managed_network("blob"), &after, &PlanOptions::apply()).has_changes());

    // Pruned from the spec: the endpoint goes, the network stays (ADF cannot delete it).
    let mut options = PlanOptions::apply();
    options.prune = true;
    let plan = plan_fn(&with(Vec::new()), &live, &options);
    let action_of = |kind: Kind| {
        plan.changes
            .iter()
            .find(|c| c.address.kind == kind)
            .map(|c| c.action)
    };
    assert_eq!(
        action_of(Kind::ManagedPrivateEndpoint),
        Some(adf_plan::Action::Delete)
    );
    assert_eq!(action_of(Kind::ManagedVirtualNetwork), None);
    assert!(plan.unmanaged.contains(&ResourceAddress::new(
        Kind::ManagedVirtualNetwork,
        "default"
    )));
}

fn plan_fn(desired: &DesiredState, live: &LiveState, options: &PlanOptions) -> Plan {
    plan(desired, live, options)
}
