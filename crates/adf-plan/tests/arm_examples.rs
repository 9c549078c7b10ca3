//! Real GET shapes: every create/update request body of the official ARM examples, as the
//! desired body, against its response body as the live one, must plan as no change.
//! Runs against `../shared/arm-examples` in place; skips (passing, with a message) when absent.

mod common;

use adf_core::{DesiredResource, DesiredState, Kind, ResourceAddress};
use adf_plan::{Action, LiveResource, LiveState, PlanOptions, fingerprint, plan};
use serde_json::Value;
use std::path::PathBuf;

fn examples_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/arm-examples"
    ));
    dir.is_dir().then_some(dir)
}

/// (file, kind, the parameter holding the name, the parameter holding the body).
const CASES: &[(&str, Kind, &str, &str)] = &[
    (
        "resources/CreateResourceGroup.json",
        Kind::ResourceGroup,
        "resourceGroupName",
        "parameters",
    ),
    (
        "datafactory/Factories_CreateOrUpdate.json",
        Kind::Factory,
        "factoryName",
        "factory",
    ),
    (
        "datafactory/GlobalParameters_Create.json",
        Kind::GlobalParameters,
        "globalParameterName",
        "default",
    ),
    (
        "datafactory/GlobalParameters_Update.json",
        Kind::GlobalParameters,
        "globalParameterName",
        "default",
    ),
    (
        "datafactory/IntegrationRuntimes_Create.json",
        Kind::IntegrationRuntime,
        "integrationRuntimeName",
        "integrationRuntime",
    ),
    (
        "datafactory/LinkedServices_Create.json",
        Kind::LinkedService,
        "linkedServiceName",
        "linkedService",
    ),
    (
        "datafactory/LinkedServices_Update.json",
        Kind::LinkedService,
        "linkedServiceName",
        "linkedService",
    ),
    (
        "datafactory/Datasets_Create.json",
        Kind::Dataset,
        "datasetName",
        "dataset",
    ),
    (
        "datafactory/Datasets_Update.json",
        Kind::Dataset,
        "datasetName",
        "dataset",
    ),
    (
        "datafactory/DataFlows_Create.json",
        Kind::DataFlow,
        "dataFlowName",
        "dataFlow",
    ),
    (
        "datafactory/DataFlows_Update.json",
        Kind::DataFlow,
        "dataFlowName",
        "dataFlow",
    ),
    (
        "datafactory/Pipelines_Create.json",
        Kind::Pipeline,
        "pipelineName",
        "pipeline",
    ),
    (
        "datafactory/Pipelines_Update.json",
        Kind::Pipeline,
        "pipelineName",
        "pipeline",
    ),
    (
        "datafactory/Triggers_Create.json",
        Kind::Trigger,
        "triggerName",
        "trigger",
    ),
    (
        "datafactory/Triggers_Update.json",
        Kind::Trigger,
        "triggerName",
        "trigger",
    ),
];

/// Examples whose response omits a field the request sent: the hand-written example is
/// inconsistent (the swagger's Pipeline has `policy`, and the service stores it). Losing a
/// field the spec sets is real drift, so the plan shows it; the test pins that it is the
/// only difference.
const RESPONSE_OMITS: &[(&str, &str)] = &[
    ("datafactory/Pipelines_Create.json", "/properties/policy"),
    ("datafactory/Pipelines_Update.json", "/properties/policy"),
];

struct Example {
    file: &'static str,
    desired: DesiredState,
    live: LiveState,
}

fn load(
    dir: &std::path::Path,
    file: &'static str,
    kind: Kind,
    name_key: &str,
    body_key: &str,
) -> Example {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let example: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let parameters = &example["parameters"];
    let name = parameters[name_key]
        .as_str()
        .or_else(|| (kind == Kind::GlobalParameters).then_some("default"))
        .unwrap_or_else(|| panic!("{file}: no {name_key}"));
    let request = parameters[body_key].clone();
    assert!(request.is_object(), "{file}: no request body at {body_key}");
    let response = example["responses"]["200"]["body"].clone();
    assert!(response.is_object(), "{file}: no 200 body");
    let address = ResourceAddress::new(kind, name);
    let target = common::target();
    let mut resource = DesiredResource {
        address: address.clone(),
        path: target.resource_path(kind, name),
        body: request,
        secrets: Vec::new(),
        runtime_state: None,
    };
    let mut live_body = response;
    if kind == Kind::Trigger {
        // The example's trigger is stopped after create; the spec says the same.
        resource.runtime_state = Some(adf_core::RuntimeStatePolicy::Stopped);
    }
    let desired = DesiredState {
        target,
        resource_group_managed: true,
        factory_managed: true,
        external: Vec::new(),
        resources: vec![resource],
    };
    // adfctl would have written its secrets fingerprint with the body; ARM echoes it back.
    if let Some(annotation) = fingerprint::of_resource(&desired.resources[0], common::SALT) {
        live_body = fingerprint::with_fingerprint(
            desired.resources[0].address.kind,
            &live_body,
            annotation,
        );
    }
    Example {
        file,
        desired,
        live: LiveState {
            resources: vec![LiveResource::new(address, live_body)],
            other_resources_in_group: None,
        },
    }
}

#[test]
fn every_create_example_response_plans_as_no_change() {
    let Some(dir) = examples_dir() else {
        adf_testkit::skip(module_path!(), "../shared/arm-examples is absent");
        return;
    };
    let mut checked = 0;
    for &(file, kind, name_key, body_key) in CASES {
        let example = load(&dir, file, kind, name_key, body_key);
        let plan = plan(&example.desired, &example.live, &PlanOptions::apply());
        let change = &plan.changes[0];
        match RESPONSE_OMITS.iter().find(|(f, _)| *f == example.file) {
            None => assert_eq!(
                change.action,
                Action::NoOp,
                "{}: {:?}\nbefore: {:#}\nafter: {:#}",
                example.file,
                change.reason,
                change.before.clone().unwrap_or_default(),
                change.after.clone().unwrap_or_default()
            ),
            Some((_, pointer)) => {
                assert_eq!(change.action, Action::Update, "{}", example.file);
                let mut after = change.after.as_deref().cloned().expect("after");
                let (parent, key) = pointer.rsplit_once('/').expect("pointer");
                after
                    .pointer_mut(parent)
                    .and_then(Value::as_object_mut)
                    .and_then(|m| m.remove(key))
                    .unwrap_or_else(|| {
                        panic!("{}: {pointer} not in the desired body", example.file)
                    });
                assert_eq!(
                    Some(&after),
                    change.before.as_deref(),
                    "{}: more differs than {pointer}",
                    example.file
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, CASES.len());
}

#[test]
fn a_masked_secret_without_fingerprint_is_written_once() {
    let Some(dir) = examples_dir() else {
        adf_testkit::skip(module_path!(), "../shared/arm-examples is absent");
        return;
    };
    let example = load(
        &dir,
        "datafactory/LinkedServices_Create.json",
        Kind::LinkedService,
        "linkedServiceName",
        "linkedService",
    );
    let mut live = example.live.clone();
    // Written by someone else: no fingerprint annotation.
    live.resources[0].body["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("annotations");
    let plan = plan(&example.desired, &live, &PlanOptions::apply());
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Update);
    assert_eq!(
        change.changed_secrets,
        vec!["/properties/typeProperties/connectionString/value".to_string()]
    );
    assert!(
        change
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("no adfctl fingerprint")
    );
    let text = adf_plan::render::human(&plan, adf_plan::render::Style::plain());
    assert!(!text.contains("AccountKey=<storage key>"), "{text}");
}

#[test]
fn a_factory_with_settings_the_spec_does_not_manage_plans_as_no_change() {
    let Some(dir) = examples_dir() else {
        adf_testkit::skip(module_path!(), "../shared/arm-examples is absent");
        return;
    };
    let mut bodies = Vec::new();
    let get: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("datafactory/Factories_Get.json")).expect("read"),
    )
    .expect("json");
    bodies.push(get["responses"]["200"]["body"].clone());
    let list: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("datafactory/Factories_ListByResourceGroup.json"))
            .expect("read"),
    )
    .expect("json");
    bodies.extend(
        list["responses"]["200"]["body"]["value"]
            .as_array()
            .expect("value")
            .iter()
            .cloned(),
    );
    assert!(bodies.len() >= 2);
    for body in bodies {
        let name = body["name"].as_str().expect("name").to_owned();
        // The spec states only the location, spelled differently.
        let location = body["location"]
            .as_str()
            .expect("location")
            .to_lowercase()
            .replace(' ', "");
        let mut target = common::target();
        target.factory = name.clone();
        let desired = DesiredState {
            target: target.clone(),
            resource_group_managed: false,
            factory_managed: true,
            external: Vec::new(),
            resources: vec![DesiredResource {
                address: ResourceAddress::new(Kind::Factory, &name),
                path: target.factory_path(),
                body: serde_json::json!({"location": location}),
                secrets: Vec::new(),
                runtime_state: None,
            }],
        };
        let live = LiveState {
            resources: vec![LiveResource::new(
                ResourceAddress::new(Kind::Factory, name.to_uppercase()),
                body.clone(),
            )],
            other_resources_in_group: None,
        };
        let plan = plan(&desired, &live, &PlanOptions::apply());
        assert!(!plan.has_changes(), "{name}: {:?}", plan.changes[0].reason);
        // And the body apply would PUT keeps everything the spec does not manage.
        let put = adf_plan::merge::put_body(&desired.resources[0], Some(&body));
        for key in [
            "repoConfiguration",
            "purviewConfiguration",
            "globalParameters",
            "encryption",
        ] {
            assert_eq!(
                put.pointer(&format!("/properties/{key}")),
                body.pointer(&format!("/properties/{key}")),
                "{name}: {key}"
            );
        }
    }
}
