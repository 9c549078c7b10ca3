//! Test helpers shared by the integration tests: builders for desired state, an in-memory
//! "ARM" that turns PUT bodies into what a GET returns, and an in-memory apply that enforces
//! ADF's rules (references must exist, referenced entities cannot be deleted, started
//! triggers cannot be written or deleted).
#![allow(dead_code)]

use adf_core::secret;
use adf_core::{
    DesiredResource, DesiredState, FactoryTarget, Kind, ResourceAddress, SecretSlot,
    TriggerRuntimeState,
};
use adf_plan::{Action, LiveResource, LiveState, Plan, Request};
use serde_json::{Value, json};

/// The secret values planted in test specs; no output may contain them.
pub const STORAGE_SECRET: &str =
    "DefaultEndpointsProtocol=https;AccountName=adflab;AccountKey=S3cr3tK3y-PLANTED-0001";
/// A second planted secret.
pub const SQL_SECRET: &str = "Pa55w0rd-PLANTED-0002";

pub const SALT: &[u8] = b"fixed-test-salt!";

pub fn target() -> FactoryTarget {
    FactoryTarget {
        subscription: "00000000-0000-0000-0000-000000000000".into(),
        resource_group: "adf-lab-rg".into(),
        factory: "adf-lab-factory".into(),
    }
}

pub fn resource(kind: Kind, name: &str, body: Value) -> DesiredResource {
    DesiredResource {
        address: ResourceAddress::new(kind, name),
        path: target().resource_path(kind, name),
        body,
        secrets: Vec::new(),
        runtime_state: None,
    }
}

/// A child entity: `properties` wraps the given object.
pub fn child(kind: Kind, name: &str, properties: Value) -> DesiredResource {
    resource(kind, name, json!({ "properties": properties }))
}

pub fn trigger(
    name: &str,
    properties: Value,
    state: Option<TriggerRuntimeState>,
) -> DesiredResource {
    let mut trigger = child(Kind::Trigger, name, properties);
    trigger.runtime_state = state.map(Into::into);
    trigger
}

/// A linked service whose connection string is a SecureString from `variable`.
pub fn storage_linked_service(name: &str, secret_value: &str, variable: &str) -> DesiredResource {
    let mut ls = child(
        Kind::LinkedService,
        name,
        json!({
            "type": "AzureBlobStorage",
            "typeProperties": {"connectionString": {"type": "SecureString", "value": secret_value}}
        }),
    );
    ls.secrets = vec![SecretSlot {
        pointer: "/properties/typeProperties/connectionString/value".into(),
        from_env: Some(variable.into()),
    }];
    ls
}

pub fn group(location: &str) -> DesiredResource {
    resource(
        Kind::ResourceGroup,
        &target().resource_group,
        json!({"location": location}),
    )
}

pub fn factory(location: &str) -> DesiredResource {
    resource(
        Kind::Factory,
        &target().factory,
        json!({"location": location}),
    )
}

pub fn state(resources: Vec<DesiredResource>) -> DesiredState {
    DesiredState {
        target: target(),
        resource_group_managed: true,
        factory_managed: true,
        external: Vec::new(),
        resources,
    }
}

pub fn blob_dataset(name: &str, folder: &str, file: Option<&str>) -> DesiredResource {
    let mut location = json!({"type": "AzureBlobStorageLocation", "container": "adfv2tutorial", "folderPath": folder});
    if let Some(file) = file {
        location["fileName"] = json!(file);
    }
    child(
        Kind::Dataset,
        name,
        json!({
            "type": "Binary",
            "linkedServiceName": {"referenceName": "AzureStorageLinkedService", "type": "LinkedServiceReference"},
            "typeProperties": {"location": location}
        }),
    )
}

pub fn copy_pipeline(name: &str, input: &str, output: &str) -> DesiredResource {
    child(
        Kind::Pipeline,
        name,
        json!({
            "activities": [{
                "name": "copyBlobtoBlob",
                "type": "Copy",
                "inputs": [{"referenceName": input, "type": "DatasetReference"}],
                "outputs": [{"referenceName": output, "type": "DatasetReference"}],
                "typeProperties": {"source": {"type": "BinarySource"}, "sink": {"type": "BinarySink"}}
            }]
        }),
    )
}

pub fn execute_pipeline(name: &str, callee: &str) -> DesiredResource {
    child(
        Kind::Pipeline,
        name,
        json!({"activities": [{
            "name": format!("run-{callee}"),
            "type": "ExecutePipeline",
            "typeProperties": {"pipeline": {"referenceName": callee, "type": "PipelineReference"}, "waitOnCompletion": true}
        }]}),
    )
}

pub fn schedule_trigger(name: &str, pipeline: &str, interval: u32) -> Value {
    let _ = name;
    json!({
        "type": "ScheduleTrigger",
        "typeProperties": {"recurrence": {"frequency": "Hour", "interval": interval, "startTime": "2026-01-01T00:00:00Z", "timeZone": "UTC"}},
        "pipelines": [{"pipelineReference": {"referenceName": pipeline, "type": "PipelineReference"}}]
    })
}

/// The seed lab (specs/quickstart.yaml): a resource group, a factory, a blob storage linked
/// service with a secret connection string, an input and an output dataset, a copy pipeline
/// and a daily trigger.
pub fn seed_lab() -> DesiredState {
    state(vec![
        group("eastus"),
        factory("eastus"),
        storage_linked_service(
            "AzureStorageLinkedService",
            STORAGE_SECRET,
            "STORAGE_CONNECTION_STRING",
        ),
        blob_dataset("InputDataset", "input", Some("input.txt")),
        blob_dataset("OutputDataset", "output", None),
        copy_pipeline("copyPipeline", "InputDataset", "OutputDataset"),
        trigger(
            "dailyTrigger",
            schedule_trigger("dailyTrigger", "copyPipeline", 24),
            None,
        ),
    ])
}

/// The seed lab with a managed-identity linked service instead of a secret (secret
/// fingerprints cost about a second each in debug builds: tests that are not about secrets
/// use this one).
pub fn seed_lab_without_secrets() -> DesiredState {
    let mut lab = seed_lab();
    lab.resources[2] = child(
        Kind::LinkedService,
        "AzureStorageLinkedService",
        json!({"type": "AzureBlobStorage", "typeProperties": {"serviceEndpoint": "https://adflab.blob.core.windows.net/"}}),
    );
    lab
}

/// What ARM returns on GET after a PUT of `body`: server fields added, secrets masked,
/// an encrypted credential for linked services with secrets, a schema for datasets without
/// one, a runtime state for triggers.
pub fn as_arm_returns(
    address: &ResourceAddress,
    body: &Value,
    secret_pointers: &[String],
    etag: u64,
    runtime_state: Option<TriggerRuntimeState>,
) -> Value {
    let target = target();
    let mut out = secret::mask_like_arm(body, secret_pointers);
    let map = out.as_object_mut().expect("object body");
    map.insert(
        "id".into(),
        json!(target.resource_path(address.kind, &address.name)),
    );
    map.insert("name".into(), json!(address.name));
    map.insert("type".into(), json!(address.kind.arm_type()));
    match address.kind {
        Kind::ResourceGroup => {
            map.insert(
                "properties".into(),
                json!({"provisioningState": "Succeeded"}),
            );
        }
        Kind::Factory => {
            map.insert("eTag".into(), json!(format!("\"{etag:08x}-0000\"")));
            map.entry("tags").or_insert(json!({}));
            let properties = map.entry("properties").or_insert(json!({}));
            properties["provisioningState"] = json!("Succeeded");
            properties["createTime"] = json!("2026-01-01T00:00:00Z");
            properties["version"] = json!("2018-06-01");
        }
        kind => {
            map.insert("etag".into(), json!(format!("{etag:08x}-0000")));
            let properties = map.entry("properties").or_insert(json!({}));
            if kind == Kind::LinkedService && !secret_pointers.is_empty() {
                properties["typeProperties"]["encryptedCredential"] = json!("ZW5jcnlwdGVk");
            }
            if kind == Kind::Dataset && properties.get("schema").is_none() {
                properties["schema"] = json!([{"name": "col1", "type": "String"}]);
            }
            if kind == Kind::Trigger {
                let state = match runtime_state {
                    Some(TriggerRuntimeState::Started) => "Started",
                    _ => "Stopped",
                };
                properties["runtimeState"] = json!(state);
            }
        }
    }
    out
}

/// The live state after adfctl applied `desired` to nothing (triggers in their desired
/// state).
pub fn applied(desired: &DesiredState) -> LiveState {
    let plan = adf_plan::plan(
        desired,
        &LiveState::empty(),
        &adf_plan::PlanOptions::apply(),
    );
    apply_in_memory(&plan, desired, &LiveState::empty())
}

/// Executes `plan`'s steps ([`adf_plan::compile`], what the engine sends) against an in-memory
/// ARM that enforces ADF's rules: a started trigger refuses PUT and DELETE, references must
/// exist when written, a referenced entity cannot be deleted, children need their factory.
/// Panics (failing the test) when the steps break one.
pub fn apply_in_memory(plan: &Plan, desired: &DesiredState, live: &LiveState) -> LiveState {
    let steps = adf_plan::compile(plan, desired, live, &mut || SALT.to_vec()).expect("steps");
    let mut resources: Vec<LiveResource> = live.resources.clone();
    let mut etag = 1000 + resources.len() as u64 * 7;
    let started = |resources: &[LiveResource], address: &ResourceAddress| {
        resources
            .iter()
            .find(|r| &r.address == address)
            .and_then(LiveResource::runtime_state)
            == Some(TriggerRuntimeState::Started)
    };
    let set_state = |resources: &mut Vec<LiveResource>, address: &ResourceAddress, state: &str| {
        let live = resources
            .iter_mut()
            .find(|r| &r.address == address)
            .unwrap_or_else(|| panic!("{address}: start or stop of a trigger that does not exist"));
        live.body["properties"]["runtimeState"] = json!(state);
    };
    for step in &steps.stops {
        set_state(&mut resources, &step.address, "Stopped");
    }
    for wave in &steps.waves {
        let start = resources.clone();
        let exists = |state: &[LiveResource], address: &ResourceAddress| {
            state.iter().any(|r| &r.address == address)
        };
        for step in wave {
            let address = &step.address;
            let (deletes, body) = match &step.request {
                Request::Delete { .. } => (true, None),
                Request::Put { body, .. } => (false, Some(body)),
                Request::DeleteThenPut { body, .. } => (true, Some(body)),
                Request::Post { path } => panic!("{address}: POST {path} inside a wave"),
            };
            if deletes {
                assert!(
                    !started(&resources, address),
                    "{address}: DELETE of a started trigger (TriggerEnabledCannotUpdate)"
                );
                if body.is_none() {
                    for other in &start {
                        if &other.address != address && other.address.kind.is_factory_child() {
                            assert!(
                                !adf_core::desired::references(&other.body).contains(address),
                                "{address} deleted while {} still references it",
                                other.address
                            );
                        }
                    }
                }
                remove(&mut resources, address);
            }
            let Some(put) = body else {
                continue;
            };
            assert!(
                !started(&resources, address),
                "{address}: PUT on a started trigger (TriggerEnabledCannotUpdate)"
            );
            let resource = desired.get(address).expect("desired resource");
            for reference in resource.references() {
                assert!(
                    &reference == address || exists(&start, &reference),
                    "{address} written before {reference} exists"
                );
            }
            if address.kind.is_factory_child() {
                assert!(
                    exists(
                        &start,
                        &ResourceAddress::new(Kind::Factory, &plan.target.factory)
                    ),
                    "{address} written before the factory exists"
                );
            }
            etag += 1;
            // ARM keeps a trigger's runtime state across a PUT (it can only be Stopped here).
            let body = as_arm_returns(
                address,
                put,
                &resource.all_secret_pointers(),
                etag,
                Some(TriggerRuntimeState::Stopped),
            );
            remove(&mut resources, address);
            resources.push(LiveResource::new(address.clone(), body));
        }
    }
    for step in &steps.starts {
        set_state(&mut resources, &step.address, "Started");
    }
    LiveState {
        resources,
        other_resources_in_group: live.other_resources_in_group.clone(),
    }
}

fn remove(resources: &mut Vec<LiveResource>, address: &ResourceAddress) {
    match address.kind {
        Kind::ResourceGroup => resources.clear(),
        Kind::Factory => resources.retain(|r| r.address.kind == Kind::ResourceGroup),
        _ => resources.retain(|r| &r.address != address),
    }
}

/// One line per active change (`~ pipeline/x: reason`), in plan order.
pub fn outline(plan: &Plan) -> String {
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| match &c.reason {
            Some(reason) => format!("{} {}: {reason}", c.action.symbol(), c.address),
            None => format!("{} {}", c.action.symbol(), c.address),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sets a live resource's body field (a change made behind adfctl's back).
pub fn edit_live(live: &mut LiveState, address: &str, pointer: &str, value: Value) {
    let address = ResourceAddress::parse(address).expect("address");
    let resource = live
        .resources
        .iter_mut()
        .find(|r| r.address == address)
        .expect("live resource");
    *resource.body.pointer_mut(pointer).expect("pointer") = value;
}
