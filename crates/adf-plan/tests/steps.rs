//! The plan compiled to the requests apply sends (`adf_plan::compile`).

mod common;

use adf_core::{Kind, ResourceAddress, RuntimeStatePolicy};
use adf_plan::{Action, Phase, PlanOptions, Request, Steps};
use common::*;
use serde_json::json;

fn compiled(desired: &adf_core::DesiredState, live: &adf_plan::LiveState) -> Steps {
    let plan = adf_plan::plan(desired, live, &PlanOptions::apply());
    adf_plan::compile(&plan, desired, live, &mut || SALT.to_vec()).expect("steps")
}

/// `METHOD address` per step, phase by phase.
fn outline(steps: &Steps) -> Vec<String> {
    let line = |step: &adf_plan::Step| {
        let method = match &step.request {
            Request::Post { path } => format!("POST {}", path.rsplit('/').next().unwrap_or("")),
            Request::Delete { .. } => "DELETE".into(),
            Request::Put { .. } => "PUT".into(),
            Request::DeleteThenPut { .. } => "DELETE+PUT".into(),
        };
        format!("{} {method} {}", step.phase.as_str(), step.address)
    };
    steps
        .stops
        .iter()
        .chain(steps.waves.iter().flatten())
        .chain(&steps.starts)
        .map(line)
        .collect()
}

#[test]
fn a_started_trigger_that_changes_is_stopped_written_and_started_and_nothing_else_is_sent() {
    let desired = seed_lab_without_secrets();
    let mut live = applied(&desired);
    edit_live(
        &mut live,
        "trigger/dailyTrigger",
        "/properties/typeProperties/recurrence/interval",
        json!(12),
    );
    let steps = compiled(&desired, &live);
    assert_eq!(
        outline(&steps),
        [
            "stop POST stop trigger/dailyTrigger",
            "change PUT trigger/dailyTrigger",
            "start POST start trigger/dailyTrigger"
        ]
    );
    assert!(steps.stops[0].api_version.starts_with("2018"));
    // A converged factory compiles to nothing.
    assert!(compiled(&desired, &applied(&desired)).is_empty());
}

#[test]
fn a_runtime_state_change_alone_is_a_stop_without_a_put() {
    let mut desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let trigger = desired
        .resources
        .iter_mut()
        .find(|r| r.address.kind == Kind::Trigger)
        .expect("trigger");
    trigger.runtime_state = Some(RuntimeStatePolicy::Stopped);
    assert_eq!(
        outline(&compiled(&desired, &live)),
        ["stop POST stop trigger/dailyTrigger"]
    );
}

#[test]
fn children_recreated_with_their_factory_carry_no_old_credential() {
    let mut desired = seed_lab_without_secrets();
    let live_credential = json!("ew0KIkNyZWRlbnRpYWxJZCI6ICJPTEQifQ==");
    let mut live = applied(&desired);
    edit_live(
        &mut live,
        "linkedService/AzureStorageLinkedService",
        "/properties/typeProperties",
        json!({"serviceEndpoint": "https://adflab.blob.core.windows.net/", "encryptedCredential": live_credential}),
    );
    // Edited in place: the live credential is sent back.
    desired.resources[2].body["properties"]["description"] = json!("edited");
    let steps = compiled(&desired, &live);
    let put = steps
        .waves
        .iter()
        .flatten()
        .find(|s| s.address.kind == Kind::LinkedService)
        .expect("linked service step");
    let Request::Put { body, .. } = &put.request else {
        panic!("{put:?}")
    };
    assert_eq!(
        body.pointer("/properties/typeProperties/encryptedCredential"),
        Some(&live_credential)
    );
    // Recreated with a factory that moves: nothing of the deleted one is kept.
    desired.resources[1].body["location"] = json!("West US");
    let steps = compiled(&desired, &live);
    let replaced = steps
        .waves
        .iter()
        .flatten()
        .find(|s| {
            s.address == ResourceAddress::new(Kind::LinkedService, "AzureStorageLinkedService")
        })
        .expect("linked service step");
    assert_eq!(replaced.action, Action::Replace);
    let Request::DeleteThenPut { body, .. } = &replaced.request else {
        panic!("{replaced:?}")
    };
    assert!(
        body.pointer("/properties/typeProperties/encryptedCredential")
            .is_none()
    );
    // Debug never shows a body.
    assert!(!format!("{steps:?}").contains("serviceEndpoint"));
    assert!(
        steps
            .waves
            .iter()
            .flatten()
            .all(|s| s.phase == Phase::Change)
    );
}

#[test]
fn stops_and_starts_of_event_triggers_are_marked_and_the_plan_says_the_waits() {
    let mut desired = seed_lab_without_secrets();
    let schedule = compiled(&desired, &{
        let mut live = applied(&desired);
        edit_live(
            &mut live,
            "trigger/dailyTrigger",
            "/properties/typeProperties/recurrence/interval",
            json!(12),
        );
        live
    });
    assert!(
        schedule
            .stops
            .iter()
            .chain(&schedule.starts)
            .all(|s| !s.event_trigger)
    );

    let trigger = desired
        .resources
        .iter_mut()
        .find(|r| r.address.kind == Kind::Trigger)
        .expect("trigger");
    trigger.body["properties"]["type"] = json!("BlobEventsTrigger");
    trigger.body["properties"]["typeProperties"] = json!({
        "blobPathBeginsWith": "/in/blobs/a/",
        "scope": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
        "events": ["Microsoft.Storage.BlobCreated"]});
    let mut live = applied(&desired);
    edit_live(
        &mut live,
        "trigger/dailyTrigger",
        "/properties/typeProperties/blobPathBeginsWith",
        json!("/in/blobs/b/"),
    );
    let steps = compiled(&desired, &live);
    assert_eq!(
        outline(&steps),
        [
            "stop POST stop trigger/dailyTrigger",
            "change PUT trigger/dailyTrigger",
            "start POST start trigger/dailyTrigger"
        ]
    );
    assert!(steps.stops[0].event_trigger && steps.starts[0].event_trigger);
    assert!(
        !steps.waves[0][0].event_trigger,
        "a PUT needs no wait of its own"
    );

    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    let text = adf_plan::render::human(&plan, adf_plan::render::Style::plain());
    assert!(
        text.contains(
            "# trigger: stop → wait for event subscription Disabled → write → start → wait for event subscription Enabled"
        ),
        "{text}"
    );
    assert!(adf_plan::is_event_trigger(
        &json!({"properties": {"type": "CustomEventsTrigger"}})
    ));
}
