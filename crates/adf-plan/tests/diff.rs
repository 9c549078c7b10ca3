//! The diff: actions, normalisation, triggers, secrets, destroy.

mod common;

use adf_core::{Kind, RuntimeStatePolicy, TriggerRuntimeState};
use adf_plan::{Action, LiveResource, LiveState, PlanOptions};
use common::*;
use serde_json::json;

/// Plans `desired` against `live` and compares the outline of the active changes.
fn check(desired: &adf_core::DesiredState, live: &LiveState, options: PlanOptions, expected: &str) {
    let plan = adf_plan::plan(desired, live, &options);
    assert_eq!(outline(&plan), expected.trim(), "\nfull plan: {plan:#?}");
}

fn apply(desired: &adf_core::DesiredState, live: &LiveState) -> LiveState {
    let plan = adf_plan::plan(desired, live, &PlanOptions::apply());
    apply_in_memory(&plan, desired, live)
}

#[test]
fn nothing_live_creates_everything_in_dependency_order() {
    check(
        &seed_lab(),
        &LiveState::empty(),
        PlanOptions::apply(),
        "
+ resourceGroup/adf-lab-rg
+ factory/adf-lab-factory
+ linkedService/AzureStorageLinkedService
+ dataset/InputDataset
+ dataset/OutputDataset
+ pipeline/copyPipeline
+ trigger/dailyTrigger",
    );
}

#[test]
fn applied_state_replans_to_no_changes() {
    let desired = seed_lab();
    let live = applied(&desired);
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    assert!(!plan.has_changes(), "{plan:#?}");
    assert_eq!(plan.summary().noop, 7);
    // The trigger was started after its PUT.
    let trigger = live
        .get(&adf_core::ResourceAddress::new(
            Kind::Trigger,
            "dailyTrigger",
        ))
        .expect("trigger");
    assert_eq!(trigger.runtime_state(), Some(TriggerRuntimeState::Started));
}

#[test]
fn a_change_behind_our_back_is_exactly_one_update() {
    let desired = seed_lab_without_secrets();
    let mut live = applied(&desired);
    edit_live(
        &mut live,
        "pipeline/copyPipeline",
        "/properties/activities/0/typeProperties/sink/type",
        json!("ParquetSink"),
    );
    check(
        &desired,
        &live,
        PlanOptions::apply(),
        "~ pipeline/copyPipeline",
    );
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    let change = plan
        .get(&adf_core::ResourceAddress::new(
            Kind::Pipeline,
            "copypipeline",
        ))
        .expect("change");
    assert!(change.body_changed);
    assert!(change.live_etag.is_some());
}

#[test]
fn server_only_fields_case_location_and_key_order_do_not_diff() {
    let desired = state(vec![
        group("East US"),
        factory("East US"),
        child(
            Kind::Pipeline,
            "P",
            json!({"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}),
        ),
    ]);
    let live = LiveState {
        resources: vec![
            LiveResource::new(
                adf_core::ResourceAddress::new(Kind::ResourceGroup, "ADF-LAB-RG"),
                json!({"id": "/subscriptions/x/resourceGroups/ADF-LAB-RG", "name": "ADF-LAB-RG", "type": "Microsoft.Resources/resourceGroups",
                       "location": "eastus", "managedBy": null, "tags": {}, "properties": {"provisioningState": "Succeeded"}}),
            ),
            LiveResource::new(
                adf_core::ResourceAddress::new(Kind::Factory, "adf-lab-factory"),
                json!({"name": "adf-lab-factory", "id": "/x", "type": "Microsoft.DataFactory/factories", "location": "eastus",
                       "eTag": "\"0000\"", "tags": {},
                       "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
                       "properties": {"provisioningState": "Succeeded", "createTime": "2026-01-01T00:00:00Z", "version": "2018-06-01",
                                      "repoConfiguration": {"type": "FactoryGitHubConfiguration", "accountName": "someone"}}}),
            ),
            LiveResource::new(
                adf_core::ResourceAddress::new(Kind::Pipeline, "p"),
                json!({"id": "/x/pipelines/p", "name": "p", "type": "Microsoft.DataFactory/factories/pipelines", "etag": "e1",
                       "properties": {"annotations": [], "lastPublishTime": "2026-01-01T00:00:00Z",
                                      "activities": [{"typeProperties": {"waitTimeInSeconds": 1.0}, "type": "Wait", "name": "w",
                                                      "dependsOn": [], "userProperties": []}]}}),
            ),
        ],
        other_resources_in_group: None,
    };
    check(&desired, &live, PlanOptions::apply(), "");
}

#[test]
fn a_property_removed_from_the_spec_is_an_update() {
    let with = state(vec![
        group("eastus"),
        factory("eastus"),
        child(
            Kind::Pipeline,
            "p",
            json!({"description": "old", "activities": []}),
        ),
    ]);
    let live = applied(&with);
    let without = state(vec![
        group("eastus"),
        factory("eastus"),
        child(Kind::Pipeline, "p", json!({})),
    ]);
    check(&without, &live, PlanOptions::apply(), "~ pipeline/p");
    // Adding one is an update too.
    let more = state(vec![
        group("eastus"),
        factory("eastus"),
        child(
            Kind::Pipeline,
            "p",
            json!({"description": "old", "folder": {"name": "x"}}),
        ),
    ]);
    check(&more, &live, PlanOptions::apply(), "~ pipeline/p");
}

#[test]
fn factory_settings_the_spec_does_not_manage_are_kept_and_not_diffed() {
    let desired = state(vec![group("eastus"), factory("eastus")]);
    let mut live = applied(&desired);
    edit_live(
        &mut live,
        "factory/adf-lab-factory",
        "/properties",
        json!({
        "provisioningState": "Succeeded", "globalParameters": {"env": {"type": "String", "value": "dev"}}}),
    );
    check(&desired, &live, PlanOptions::apply(), "");
    // A tag the spec sets is managed whole.
    let tagged = state(vec![
        group("eastus"),
        resource(
            Kind::Factory,
            "adf-lab-factory",
            json!({"location": "eastus", "tags": {"team": "data"}}),
        ),
    ]);
    check(
        &tagged,
        &live,
        PlanOptions::apply(),
        "~ factory/adf-lab-factory",
    );
    let plan = adf_plan::plan(&tagged, &live, &PlanOptions::apply());
    let after = plan
        .changes
        .iter()
        .find(|c| c.kind() == Kind::Factory)
        .and_then(|c| c.after.clone())
        .expect("after");
    assert_eq!(
        after["properties"]["globalParameters"]["env"]["value"], "dev",
        "merged body keeps unmanaged settings"
    );
}

#[test]
fn location_change_replaces_the_factory_and_recreates_its_children() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let mut moved = desired.clone();
    moved.resources[1].body["location"] = json!("West US");
    let mut live_with_extra = live.clone();
    live_with_extra.resources.push(LiveResource::new(
        adf_core::ResourceAddress::new(Kind::Dataset, "legacy"),
        json!({"properties": {"type": "Binary", "linkedServiceName": {"referenceName": "AzureStorageLinkedService", "type": "LinkedServiceReference"}}}),
    ));
    check(
        &moved,
        &live_with_extra,
        PlanOptions::apply(),
        "
-/+ factory/adf-lab-factory: location cannot change in place (eastus → westus)
- dataset/legacy: deleted with factory/adf-lab-factory
-/+ linkedService/AzureStorageLinkedService: recreated with factory/adf-lab-factory
-/+ dataset/InputDataset: recreated with factory/adf-lab-factory
-/+ dataset/OutputDataset: recreated with factory/adf-lab-factory
-/+ pipeline/copyPipeline: recreated with factory/adf-lab-factory
-/+ trigger/dailyTrigger: recreated with factory/adf-lab-factory",
    );
    let plan = adf_plan::plan(&moved, &live_with_extra, &PlanOptions::apply());
    assert!(plan.has_replacements());
    let after = apply_in_memory(&plan, &moved, &live_with_extra);
    assert!(!adf_plan::plan(&moved, &after, &PlanOptions::apply()).has_changes());
}

#[test]
fn an_unmanaged_resource_group_in_another_location_is_left_alone() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let mut moved = desired.clone();
    moved.resource_group_managed = false;
    moved.resources[0].body["location"] = json!("westeurope");
    let plan = adf_plan::plan(&moved, &live, &PlanOptions::apply());
    assert!(!plan.has_changes());
    assert!(plan.notes[0].contains("not managed"), "{:?}", plan.notes);
}

#[test]
fn live_children_not_in_the_spec_are_unmanaged_unless_pruned() {
    let desired = seed_lab_without_secrets();
    let mut live = applied(&desired);
    live.resources.push(LiveResource::new(
        adf_core::ResourceAddress::new(Kind::Pipeline, "madeInStudio"),
        json!({"etag": "x", "properties": {"activities": []}}),
    ));
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    assert!(!plan.has_changes());
    assert_eq!(plan.unmanaged.len(), 1);
    check(
        &desired,
        &live,
        PlanOptions::apply_with_prune(),
        "- pipeline/madeInStudio",
    );
}

#[test]
fn trigger_runtime_state_changes() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    // State only: Started → Stopped.
    let mut stopped = desired.clone();
    stopped.resources[6].runtime_state = Some(RuntimeStatePolicy::Stopped);
    check(
        &stopped,
        &live,
        PlanOptions::apply(),
        "~ trigger/dailyTrigger: runtimeState Started → Stopped",
    );
    let plan = adf_plan::plan(&stopped, &live, &PlanOptions::apply());
    let change = plan
        .changes
        .iter()
        .find(|c| c.kind() == Kind::Trigger)
        .expect("trigger");
    assert!(change.needs_stop && !change.needs_start && !change.body_changed);
    assert_eq!(
        change.runtime_state,
        Some((
            Some(TriggerRuntimeState::Started),
            Some(TriggerRuntimeState::Stopped)
        ))
    );

    // Body change on a started trigger: stop, write, start.
    let mut hourly = desired.clone();
    hourly.resources[6].body =
        json!({"properties": schedule_trigger("dailyTrigger", "copyPipeline", 1)});
    check(
        &hourly,
        &live,
        PlanOptions::apply(),
        "~ trigger/dailyTrigger",
    );
    let plan = adf_plan::plan(&hourly, &live, &PlanOptions::apply());
    let change = plan
        .changes
        .iter()
        .find(|c| c.kind() == Kind::Trigger)
        .expect("trigger");
    assert!(change.needs_stop && change.needs_start && change.body_changed);
    // The in-memory ARM refuses a PUT on a started trigger: this passes only if stopped first.
    let after = apply_in_memory(&plan, &hourly, &live);
    assert!(!adf_plan::plan(&hourly, &after, &PlanOptions::apply()).has_changes());

    // A trigger stopped behind our back is started again.
    let mut live_stopped = live.clone();
    edit_live(
        &mut live_stopped,
        "trigger/dailyTrigger",
        "/properties/runtimeState",
        json!("Disabled"),
    );
    check(
        &desired,
        &live_stopped,
        PlanOptions::apply(),
        "~ trigger/dailyTrigger: runtimeState Stopped → Started",
    );
}

#[test]
fn secrets_changed_unchanged_and_unfingerprinted() {
    let desired = seed_lab();
    let live = applied(&desired);
    // Unchanged secret: nothing.
    assert!(!adf_plan::plan(&desired, &live, &PlanOptions::apply()).has_changes());
    // Changed secret: an update that says so, and never shows the value.
    let mut rotated = desired.clone();
    rotated.resources[2].body["properties"]["typeProperties"]["connectionString"]["value"] =
        json!("rotated-PLANTED-0003");
    check(
        &rotated,
        &live,
        PlanOptions::apply(),
        "~ linkedService/AzureStorageLinkedService: (secret changed)",
    );
    let plan_rotated = adf_plan::plan(&rotated, &live, &PlanOptions::apply());
    let change = plan_rotated
        .changes
        .iter()
        .find(|c| c.kind() == Kind::LinkedService)
        .expect("ls");
    assert_eq!(
        change.changed_secrets,
        vec!["/properties/typeProperties/connectionString/value".to_string()]
    );
    assert_eq!(
        change.before, change.after,
        "only the secret differs, and it is redacted on both sides"
    );
    // Created outside adfctl: masked, no fingerprint: written once.
    let mut foreign = live.clone();
    edit_live(
        &mut foreign,
        "linkedService/AzureStorageLinkedService",
        "/properties/annotations",
        json!([]),
    );
    let plan_foreign = adf_plan::plan(&desired, &foreign, &PlanOptions::apply());
    let reason = outline(&plan_foreign);
    assert!(reason.contains("no adfctl fingerprint"), "{reason}");
    // After that write it converges.
    let after = apply_in_memory(&plan_foreign, &desired, &foreign);
    assert!(!adf_plan::plan(&desired, &after, &PlanOptions::apply()).has_changes());
}

#[test]
fn destroy_deletes_children_then_factory_then_a_managed_empty_group() {
    let desired = seed_lab_without_secrets();
    let mut live = applied(&desired);
    live.other_resources_in_group = Some(vec![]);
    check(
        &desired,
        &live,
        PlanOptions::destroy(),
        "
- trigger/dailyTrigger
- pipeline/copyPipeline
- dataset/InputDataset
- dataset/OutputDataset
- linkedService/AzureStorageLinkedService
- factory/adf-lab-factory
- resourceGroup/adf-lab-rg",
    );
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::destroy());
    let trigger = plan
        .changes
        .iter()
        .find(|c| c.kind() == Kind::Trigger)
        .expect("trigger");
    assert!(
        trigger.needs_stop,
        "a started trigger is stopped before its delete"
    );
    assert_eq!(plan.pipelines_deleted(), 1);
    let after = apply_in_memory(&plan, &desired, &live);
    assert!(after.resources.is_empty());
    // Then a plan shows only creates.
    let again = adf_plan::plan(&desired, &after, &PlanOptions::apply());
    assert!(again.changes.iter().all(|c| c.action == Action::Create));
}

#[test]
fn destroy_keeps_a_group_that_holds_something_else_or_is_not_managed() {
    let desired = seed_lab_without_secrets();
    let mut live = applied(&desired);
    live.other_resources_in_group = Some(vec!["storageAccounts/adflabstorage".into()]);
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::destroy());
    let group = plan
        .changes
        .iter()
        .find(|c| c.kind() == Kind::ResourceGroup)
        .expect("group");
    assert_eq!(group.action, Action::NoOp);
    assert!(
        plan.notes[0].contains("holds 1 other resource"),
        "{:?}",
        plan.notes
    );
    let mut unmanaged = desired.clone();
    unmanaged.resource_group_managed = false;
    live.other_resources_in_group = Some(vec![]);
    let plan = adf_plan::plan(&unmanaged, &live, &PlanOptions::destroy());
    assert!(plan.notes[0].contains("managed: false"), "{:?}", plan.notes);
    assert_eq!(plan.summary().delete, 6);
}

#[test]
fn destroy_of_nothing_is_no_changes() {
    let plan = adf_plan::plan(&seed_lab(), &LiveState::empty(), &PlanOptions::destroy());
    assert!(!plan.has_changes());
    assert!(plan.changes.is_empty());
}

#[test]
fn plans_are_deterministic() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let mut changed = desired.clone();
    changed.resources[4].body["properties"]["typeProperties"]["location"]["folderPath"] =
        json!("out2");
    let a = adf_plan::plan(&changed, &live, &PlanOptions::apply());
    let b = adf_plan::plan(&changed, &live, &PlanOptions::apply());
    assert_eq!(a, b);
    let _ = apply(&changed, &live);
}

#[test]
fn a_managed_group_in_another_location_is_replaced_with_everything_in_it() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let mut moved = desired.clone();
    moved.resources[0].body["location"] = json!("northeurope");
    let plan = adf_plan::plan(&moved, &live, &PlanOptions::apply());
    assert_eq!(plan.summary().replace, 7, "{}", outline(&plan));
    assert!(outline(&plan).starts_with(
        "-/+ resourceGroup/adf-lab-rg: location cannot change in place (eastus → northeurope)\n-/+ factory/adf-lab-factory: recreated with resourceGroup/adf-lab-rg"
    ));
    let after = apply_in_memory(&plan, &moved, &live);
    assert!(!adf_plan::plan(&moved, &after, &PlanOptions::apply()).has_changes());
}

#[test]
fn a_tumbling_window_start_time_change_replaces_the_trigger() {
    let window = |start: &str| {
        json!({"type": "TumblingWindowTrigger",
               "typeProperties": {"frequency": "Hour", "interval": 1, "startTime": start, "maxConcurrency": 1},
               "pipeline": {"pipelineReference": {"referenceName": "copyPipeline", "type": "PipelineReference"}}})
    };
    let mut desired = seed_lab_without_secrets();
    desired.resources[6] = trigger("window", window("2026-01-01T00:00:00Z"), None);
    // A second trigger after it, unchanged, and a live-only one: neither is affected.
    desired
        .resources
        .push(trigger("zz", window("2026-01-01T00:00:00Z"), None));
    let mut live = applied(&desired);
    live.resources.push(LiveResource::new(
        adf_core::ResourceAddress::new(Kind::Trigger, "zzz"),
        json!({"etag": "e", "properties": window("2020-01-01T00:00:00Z")}),
    ));
    let mut later = desired.clone();
    later.resources[6] = trigger("window", window("2026-02-01T00:00:00Z"), None);
    check(
        &later,
        &live,
        PlanOptions::apply(),
        "-/+ trigger/window: a tumbling window trigger's startTime cannot change in place (2026-01-01T00:00:00Z → 2026-02-01T00:00:00Z)",
    );
    let plan = adf_plan::plan(&later, &live, &PlanOptions::apply());
    let change = plan
        .changes
        .iter()
        .find(|c| c.kind() == Kind::Trigger)
        .expect("trigger");
    assert!(change.needs_stop && change.needs_start && change.body_changed);
    let after = apply_in_memory(&plan, &later, &live);
    assert!(!adf_plan::plan(&later, &after, &PlanOptions::apply()).has_changes());
    // Other changes to it are updates.
    let mut busier = desired.clone();
    busier.resources[6].body["properties"]["typeProperties"]["maxConcurrency"] = json!(4);
    check(&busier, &live, PlanOptions::apply(), "~ trigger/window");
}

#[test]
fn prune_keep_patterns_protect_entities_owned_elsewhere() {
    let desired = seed_lab_without_secrets();
    let mut live = applied(&desired);
    for name in ["teamB_ingest", "legacy_1", "madeInStudio"] {
        live.resources.push(LiveResource::new(
            adf_core::ResourceAddress::new(Kind::Pipeline, name),
            json!({"properties": {"activities": []}}),
        ));
    }
    let options = PlanOptions {
        keep_unmanaged: ["*/TEAMB_*", "pipeline/legacy*"]
            .into_iter()
            .map(|p| adf_core::EntityPattern::parse(p).unwrap())
            .collect(),
        ..PlanOptions::apply_with_prune()
    };
    check(&desired, &live, options.clone(), "- pipeline/madeInStudio");
    let plan = adf_plan::plan(&desired, &live, &options);
    let kept: Vec<String> = plan.kept.iter().map(ToString::to_string).collect();
    assert_eq!(kept, ["pipeline/legacy_1", "pipeline/teamB_ingest"]);
    // Without --prune, kept entities are not listed as unmanaged (they are no drift).
    let plan = adf_plan::plan(
        &desired,
        &live,
        &PlanOptions {
            prune: false,
            ..options
        },
    );
    let unmanaged: Vec<String> = plan.unmanaged.iter().map(ToString::to_string).collect();
    assert_eq!(unmanaged, ["pipeline/madeInStudio"]);
}

/// The seed lab plus `extra` live entities named `kind/name`, applied.
fn with_live(desired: &adf_core::DesiredState, extra: &[(Kind, &str)]) -> LiveState {
    let mut live = applied(desired);
    for (kind, name) in extra {
        live.resources.push(LiveResource::new(
            adf_core::ResourceAddress::new(*kind, *name),
            json!({"etag": "x", "properties": {"type": "AzureKeyVault", "activities": []}}),
        ));
    }
    live
}

fn addresses(list: &[adf_core::ResourceAddress]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

#[test]
fn external_entities_are_never_written_pruned_or_drift() {
    let mut desired = seed_lab_without_secrets();
    desired.external = vec![adf_core::ResourceAddress::new(Kind::LinkedService, "ls_KV")];
    // The dataset uses the external linked service.
    desired.resources[3].body["properties"]["linkedServiceName"]["referenceName"] = json!("ls_KV");
    let live = with_live(
        &seed_lab_without_secrets(),
        &[
            (Kind::LinkedService, "ls_kv"),
            (Kind::Pipeline, "madeInStudio"),
        ],
    );
    check(
        &desired,
        &live,
        PlanOptions::apply_with_prune(),
        "- pipeline/madeInStudio\n~ dataset/InputDataset",
    );
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply_with_prune());
    assert_eq!(addresses(&plan.external), ["linkedService/ls_kv"]);
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    assert_eq!(addresses(&plan.unmanaged), ["pipeline/madeInStudio"]);
    assert_eq!(addresses(&plan.external), ["linkedService/ls_kv"]);
    assert!(adf_plan::unmet_preconditions(&desired, &live, adf_plan::PlanMode::Apply).is_empty());

    // Missing live: an unmet precondition that names who needs it.
    let without = with_live(&seed_lab_without_secrets(), &[]);
    let unmet = adf_plan::unmet_preconditions(&desired, &without, adf_plan::PlanMode::Apply);
    assert_eq!(unmet.len(), 1, "{unmet:?}");
    assert_eq!(
        unmet[0].message,
        "external linkedService `ls_KV` does not exist in factory `adf-lab-factory`; dataset/InputDataset references it"
    );

    // Destroying a factory the spec manages takes its externals too, and says so.
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::destroy());
    let external = plan
        .get(&adf_core::ResourceAddress::new(
            Kind::LinkedService,
            "ls_kv",
        ))
        .expect("deleted with the factory");
    assert_eq!(external.action, Action::Delete);
    assert_eq!(
        external.reason.as_deref(),
        Some("external (owned elsewhere), but it goes with the factory")
    );
    assert!(plan.external.is_empty());
}

/// The seed lab with a factory (and so a group) the spec does not manage.
fn unmanaged_factory_lab() -> adf_core::DesiredState {
    let mut desired = seed_lab_without_secrets();
    desired
        .resources
        .retain(|r| r.address.kind.is_factory_child());
    desired.resource_group_managed = false;
    desired.factory_managed = false;
    desired
}

#[test]
fn an_unmanaged_factory_is_never_written_and_destroy_keeps_it_and_what_is_not_ours() {
    let desired = unmanaged_factory_lab();
    let mut live = with_live(&seed_lab_without_secrets(), &[(Kind::Pipeline, "theirs")]);
    // Its owners tag it and move it: none of adfctl's business.
    edit_live(
        &mut live,
        "factory/adf-lab-factory",
        "/location",
        json!("westeurope"),
    );
    live.resources
        .iter_mut()
        .find(|r| r.address.kind == Kind::Factory)
        .expect("factory")
        .body["tags"] = json!({"owner": "platform"});
    check(&desired, &live, PlanOptions::apply(), "");
    let mut changed = desired.clone();
    changed.resources[3].body["properties"]["description"] = json!("new");
    let plan = adf_plan::plan(&changed, &live, &PlanOptions::apply());
    assert_eq!(outline(&plan), "~ pipeline/copyPipeline");
    assert!(plan.changes.iter().all(|c| c.kind().is_factory_child()));
    let steps = adf_plan::compile(&plan, &changed, &live, &mut || SALT.to_vec()).expect("steps");
    let written: Vec<String> = steps
        .waves
        .iter()
        .flatten()
        .map(|s| s.address.to_string())
        .collect();
    assert_eq!(written, ["pipeline/copyPipeline"]);
    assert!(adf_plan::unmet_preconditions(&desired, &live, adf_plan::PlanMode::Apply).is_empty());

    // Missing: refused before anything is applied.
    let mut gone = live.clone();
    gone.resources
        .retain(|r| r.address.kind == Kind::ResourceGroup);
    let unmet = adf_plan::unmet_preconditions(&desired, &gone, adf_plan::PlanMode::Apply);
    assert_eq!(unmet.len(), 1);
    assert!(
        unmet[0].message.contains("`factory.managed: false`"),
        "{unmet:?}"
    );

    // Destroy: the spec's entities only; the factory, the group and `pipeline/theirs` stay.
    let mut listed = live.clone();
    listed.other_resources_in_group = Some(Vec::new());
    let plan = adf_plan::plan(&desired, &listed, &PlanOptions::destroy());
    assert_eq!(
        outline(&plan),
        "- trigger/dailyTrigger\n- pipeline/copyPipeline\n- dataset/InputDataset\n- dataset/OutputDataset\n- linkedService/AzureStorageLinkedService"
    );
    assert_eq!(addresses(&plan.unmanaged), ["pipeline/theirs"]);
    let factory = plan
        .get(&adf_core::ResourceAddress::new(
            Kind::Factory,
            "adf-lab-factory",
        ))
        .expect("listed as kept");
    assert_eq!(factory.action, Action::NoOp);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("factory.managed: false")),
        "{:?}",
        plan.notes
    );
    let after = apply_in_memory(&plan, &desired, &listed);
    let left: Vec<String> = after
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect();
    assert_eq!(
        left,
        [
            "resourceGroup/adf-lab-rg",
            "factory/adf-lab-factory",
            "pipeline/theirs"
        ]
    );
}

#[test]
fn runtime_state_keep_leaves_each_trigger_as_it_is_live() {
    let mut desired = seed_lab_without_secrets();
    desired.resources[6].runtime_state = Some(RuntimeStatePolicy::Keep);
    let trigger_change = |plan: &adf_plan::Plan| {
        plan.changes
            .iter()
            .find(|c| c.kind() == Kind::Trigger)
            .expect("trigger")
            .clone()
    };

    // New: created stopped, never started.
    let plan = adf_plan::plan(&desired, &LiveState::empty(), &PlanOptions::apply());
    let created = trigger_change(&plan);
    assert_eq!(
        created.runtime_state,
        Some((None, Some(TriggerRuntimeState::Stopped)))
    );
    assert!(created.runtime_state_kept && !created.needs_start);

    // Started live (as the default left it), then paused by operations: no change.
    let started = applied(&seed_lab_without_secrets());
    let mut paused = started.clone();
    edit_live(
        &mut paused,
        "trigger/dailyTrigger",
        "/properties/runtimeState",
        json!("Stopped"),
    );
    check(&desired, &paused, PlanOptions::apply(), "");
    check(&desired, &started, PlanOptions::apply(), "");

    // A changed trigger that was paused: written, not started.
    let mut hourly = desired.clone();
    hourly.resources[6].body =
        json!({"properties": schedule_trigger("dailyTrigger", "copyPipeline", 1)});
    let plan = adf_plan::plan(&hourly, &paused, &PlanOptions::apply());
    let change = trigger_change(&plan);
    assert_eq!(
        change.runtime_state,
        Some((
            Some(TriggerRuntimeState::Stopped),
            Some(TriggerRuntimeState::Stopped)
        ))
    );
    assert!(change.body_changed && !change.needs_stop && !change.needs_start);
    let text = adf_plan::render::human(&plan, adf_plan::render::Style::plain());
    assert!(
        text.contains("      # runtime state: Stopped (kept)\n"),
        "{text}"
    );
    let json = adf_plan::render::json(&plan);
    let rendered = json["changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|c| c["kind"] == "trigger"))
        .expect("trigger change");
    assert_eq!(rendered["runtime_state"]["kept"], true);
    let after = apply_in_memory(&plan, &hourly, &paused);
    let trigger = after
        .get(&adf_core::ResourceAddress::new(
            Kind::Trigger,
            "dailyTrigger",
        ))
        .expect("trigger");
    assert_eq!(trigger.runtime_state(), Some(TriggerRuntimeState::Stopped));
    assert!(!adf_plan::plan(&hourly, &after, &PlanOptions::apply()).has_changes());

    // A changed trigger that was started: stopped to be written, started again (the in-memory
    // ARM refuses a PUT on a started trigger).
    let plan = adf_plan::plan(&hourly, &started, &PlanOptions::apply());
    let change = trigger_change(&plan);
    assert!(change.needs_stop && change.needs_start && change.runtime_state_kept);
    let after = apply_in_memory(&plan, &hourly, &started);
    let trigger = after
        .get(&adf_core::ResourceAddress::new(
            Kind::Trigger,
            "dailyTrigger",
        ))
        .expect("trigger");
    assert_eq!(trigger.runtime_state(), Some(TriggerRuntimeState::Started));

    // Recreated with its factory (a new location): started again only if it was started.
    let mut moved = desired.clone();
    moved.resources[0].body["location"] = json!("westeurope");
    moved.resources[1].body["location"] = json!("westeurope");
    for (live, expected) in [(&started, true), (&paused, false)] {
        let plan = adf_plan::plan(&moved, live, &PlanOptions::apply());
        let change = trigger_change(&plan);
        assert_eq!(change.action, Action::Replace);
        assert_eq!(change.needs_start, expected);
    }
}
