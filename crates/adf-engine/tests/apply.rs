//! The engine against a recording fake ARM (wiremock): ordering, failure handling, triggers.

mod common;

use adf_core::{
    DesiredResource, DesiredState, FactoryTarget, Kind, ResourceAddress, RuntimeStatePolicy,
};
use adf_engine::{ApplyOptions, Phase, StepStatus};
use adf_plan::{LiveResource, LiveState, PlanOptions};
use common::client;
use serde_json::{Value, json};
use std::sync::Arc;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn target() -> FactoryTarget {
    FactoryTarget {
        subscription: "sub".into(),
        resource_group: "rg".into(),
        factory: "f".into(),
    }
}

fn child(kind: Kind, name: &str, properties: Value) -> DesiredResource {
    DesiredResource {
        address: ResourceAddress::new(kind, name),
        path: target().resource_path(kind, name),
        body: json!({ "properties": properties }),
        secrets: Vec::new(),
        runtime_state: (kind == Kind::Trigger).then_some(RuntimeStatePolicy::Started),
    }
}

fn desired() -> DesiredState {
    let factory = DesiredResource {
        address: ResourceAddress::new(Kind::Factory, "f"),
        path: target().factory_path(),
        body: json!({"location": "eastus"}),
        secrets: Vec::new(),
        runtime_state: None,
    };
    DesiredState {
        target: target(),
        resource_group_managed: false,
        factory_managed: true,
        external: Vec::new(),
        resources: vec![
            factory,
            child(
                Kind::LinkedService,
                "ls",
                json!({"type": "AzureBlobStorage", "typeProperties": {}}),
            ),
            child(
                Kind::Dataset,
                "ds",
                json!({"type": "Binary", "linkedServiceName": {"referenceName": "ls", "type": "LinkedServiceReference"}}),
            ),
            child(Kind::Pipeline, "standalone", json!({"activities": []})),
        ],
    }
}

fn live_factory() -> LiveState {
    LiveState {
        resources: vec![LiveResource::new(
            ResourceAddress::new(Kind::Factory, "f"),
            json!({"name": "f", "location": "eastus", "eTag": "\"1\"", "properties": {"provisioningState": "Succeeded"}}),
        )],
        other_resources_in_group: None,
    }
}

#[tokio::test]
async fn a_failure_skips_its_dependents_and_lets_the_rest_finish() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path_regex("/linkedservices/ls$"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"code": "BadRequest", "message": "the linked service is broken"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"name": "x", "properties": {}})),
        )
        .mount(&server)
        .await;
    let desired = desired();
    let live = live_factory();
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    let client = client(&server);
    let steps =
        adf_plan::compile(&plan, &desired, &live, &mut adf_engine::random_salt).expect("steps");
    let report =
        adf_engine::apply(&client, &steps, &ApplyOptions::default(), Arc::new(|_| {})).await;

    assert!(!report.succeeded());
    let status_of = |name: &str| {
        report
            .outcomes
            .iter()
            .find(|o| o.address.name == name && o.phase == Phase::Change)
            .map(|o| o.status.clone())
    };
    assert!(
        matches!(status_of("ls"), Some(StepStatus::Failed(m)) if m.contains("BadRequest") && m.contains("the linked service is broken"))
    );
    assert!(
        matches!(status_of("ds"), Some(StepStatus::Skipped(m)) if m.contains("linkedService/ls"))
    );
    assert_eq!(status_of("standalone"), Some(StepStatus::Applied));
    assert_eq!(report.counts(), (1, 1, 1));

    // The dataset was never sent.
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| !r.url.path().ends_with("/datasets/ds"))
    );
}

#[tokio::test]
async fn changes_run_in_dependency_order_and_a_started_trigger_is_stopped_first() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"name": "x", "properties": {}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let mut desired = desired();
    desired.resources.push(child(
        Kind::Trigger,
        "hourly",
        json!({"type": "ScheduleTrigger", "pipelines": [{"pipelineReference": {"referenceName": "standalone", "type": "PipelineReference"}}], "typeProperties": {"recurrence": {"frequency": "Hour", "interval": 2}}}),
    ));
    let mut live = live_factory();
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Trigger, "hourly"),
        json!({"name": "hourly", "etag": "1", "properties": {"type": "ScheduleTrigger", "runtimeState": "Started", "pipelines": [{"pipelineReference": {"referenceName": "standalone", "type": "PipelineReference"}}], "typeProperties": {"recurrence": {"frequency": "Hour", "interval": 1}}}}),
    ));
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    let client = client(&server);
    let steps =
        adf_plan::compile(&plan, &desired, &live, &mut adf_engine::random_salt).expect("steps");
    let report = adf_engine::apply(
        &client,
        &steps,
        &ApplyOptions::with_parallelism(1),
        Arc::new(|_| {}),
    )
    .await;
    assert!(report.succeeded(), "{report:?}");

    let requests = server.received_requests().await.unwrap_or_default();
    let sequence: Vec<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.url
                    .path()
                    .rsplit("/factories/f")
                    .next()
                    .unwrap_or_default()
            )
        })
        .collect();
    let position = |needle: &str| {
        sequence
            .iter()
            .position(|s| s == needle)
            .unwrap_or_else(|| panic!("{needle} not sent: {sequence:?}"))
    };
    assert!(
        position("PUT /linkedservices/ls") < position("PUT /datasets/ds"),
        "{sequence:?}"
    );
    assert!(
        position("POST /triggers/hourly/stop") < position("PUT /triggers/hourly"),
        "{sequence:?}"
    );
    assert!(
        position("PUT /triggers/hourly") < position("POST /triggers/hourly/start"),
        "{sequence:?}"
    );
    assert!(
        position("PUT /pipelines/standalone") < position("POST /triggers/hourly/start"),
        "{sequence:?}"
    );
}
