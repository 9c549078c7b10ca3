//! Round trip: every entity body in the official ARM examples (../shared/arm-examples),
//! written as a spec entity, validates and comes out byte-for-byte the same JSON. Both forms are
//! covered: the `properties` object of PUT requests, and the full ADF form (`{id, name, type,
//! properties, etag}`) of GET responses, as people paste it from ADF Studio.
#![allow(clippy::unwrap_used)]

use adf_core::{Kind, ResourceAddress};
use adf_spec::{LoadOptions, SpecSource, load, render_plain};
use serde_json::{Value, json};

use adf_testkit::EXAMPLE_ENTITY_KINDS as KINDS;

const NAME: &str = "roundTrip";

/// A spec defining `entity` (already JSON text) under `kind`, plus a minimal definition of
/// everything it references, so that it validates.
fn spec_for(kind: Kind, entity: &str, references: &[ResourceAddress]) -> String {
    let mut sections: Vec<(Kind, String)> = vec![(kind, format!("  {NAME}: {entity}\n"))];
    let mut stub = |kind: Kind, name: &str| {
        let body = match kind {
            Kind::LinkedService => json!({"type": "AzureBlobStorage", "typeProperties": {}}),
            Kind::Dataset => json!({"type": "Binary", "linkedServiceName": "stubLinkedService"}),
            Kind::Pipeline => json!({"activities": []}),
            Kind::DataFlow => json!({"type": "MappingDataFlow"}),
            Kind::IntegrationRuntime => json!({"type": "Managed"}),
            Kind::Trigger => json!({"type": "ScheduleTrigger"}),
            _ => return,
        };
        sections.push((
            kind,
            format!("  {}: {body}\n", serde_json::to_string(name).unwrap()),
        ));
    };
    stub(Kind::LinkedService, "stubLinkedService");
    for reference in references {
        if reference.name != NAME {
            stub(reference.kind, &reference.name);
        }
    }
    let mut spec = String::from(
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: fac, location: eastus}\n",
    );
    for section_kind in Kind::CHILDREN {
        let entries: Vec<&String> = sections
            .iter()
            .filter(|(k, _)| *k == section_kind)
            .map(|(_, t)| t)
            .collect();
        if entries.is_empty() {
            continue;
        }
        spec.push_str(section_kind.spec_key().unwrap());
        spec.push_str(":\n");
        for entry in entries {
            spec.push_str(entry);
        }
    }
    spec
}

fn body_after_load(kind: Kind, spec: &str, file: &str) -> adf_core::DesiredResource {
    let loaded = match load(&[SpecSource::new(file, spec)], &LoadOptions::default()) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!(
            "{file} does not validate:\n{}\n{spec}",
            render_plain(&diagnostics)
        ),
    };
    loaded
        .desired
        .get(&ResourceAddress::new(kind, NAME))
        .unwrap()
        .clone()
}

fn examples() -> Option<Vec<(String, Value)>> {
    adf_testkit::arm_examples(module_path!())
}

#[test]
fn request_bodies_round_trip_exactly() {
    let Some(files) = examples() else { return };
    let mut checked = Vec::new();
    for (file, example) in &files {
        for (prefix, parameter, kind) in KINDS {
            if !file.starts_with(prefix) {
                continue;
            }
            let Some(properties) = example["parameters"][parameter].get("properties") else {
                continue;
            };
            let references = adf_core::desired::references(&json!({ "properties": properties }));
            let spec = spec_for(
                kind,
                &serde_json::to_string(properties).unwrap(),
                &references,
            );
            let resource = body_after_load(kind, &spec, file);
            assert_eq!(
                &resource.body,
                &json!({ "properties": properties }),
                "{file}"
            );
            assert!(resource.secrets.is_empty(), "{file}");
            checked.push(file.clone());
        }
    }
    println!(
        "round-tripped {} request bodies: {checked:?}",
        checked.len()
    );
    for expected in [
        "LinkedServices_Create.json",
        "Datasets_Create.json",
        "Pipelines_Create.json",
        "Triggers_Create.json",
        "DataFlows_Create.json",
        "IntegrationRuntimes_Create.json",
    ] {
        assert!(
            checked.iter().any(|f| f == expected),
            "{expected} was not checked"
        );
    }
}

#[test]
fn full_adf_form_from_responses_round_trips() {
    let Some(files) = examples() else { return };
    let mut checked = 0;
    for (file, example) in &files {
        for (prefix, _, kind) in KINDS {
            if !file.starts_with(prefix) || !file.contains("_Get") {
                continue;
            }
            let body = &example["responses"]["200"]["body"];
            let Some(properties) = body.get("properties") else {
                continue;
            };
            let mut expected = properties.clone();
            let runtime_state = expected.as_object_mut().unwrap().remove("runtimeState");
            if kind != Kind::Trigger && runtime_state.is_some() {
                continue;
            }
            let mut pasted = body.clone();
            pasted["name"] = json!(NAME);
            let references = adf_core::desired::references(&json!({ "properties": &expected }));
            let spec = spec_for(kind, &serde_json::to_string(&pasted).unwrap(), &references);
            let resource = body_after_load(kind, &spec, file);
            assert_eq!(resource.body, json!({ "properties": expected }), "{file}");
            if kind == Kind::Trigger {
                let state = runtime_state
                    .as_ref()
                    .and_then(Value::as_str)
                    .unwrap_or("Started");
                assert_eq!(
                    format!("{:?}", resource.runtime_state.unwrap()),
                    state,
                    "{file}"
                );
            }
            checked += 1;
        }
    }
    println!("round-tripped {checked} pasted ADF documents");
    assert!(checked >= 6, "{checked}");
}
