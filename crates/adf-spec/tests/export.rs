//! Export round trips: what `adf_spec::export` writes loads back to the same bodies, for random
//! JSON (the YAML writer's quoting) and for every entity of the official ARM examples (short
//! references, secrets as `secretFromEnv`).
#![allow(clippy::unwrap_used)]

use adf_core::{FactoryTarget, Kind, ResourceAddress};
use adf_spec::export::{ExportEntity, ExportInput, Layout, export};
use adf_spec::{LoadOptions, SpecSource, load, render_plain};
use proptest::prelude::*;
use serde_json::{Value, json};

fn input(entities: Vec<ExportEntity>) -> ExportInput {
    ExportInput {
        target: FactoryTarget {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "rg".into(),
            factory: "fac".into(),
        },
        resource_group: Some(json!({"location": "eastus"})),
        manage_resource_group: true,
        factory: json!({"location": "eastus"}),
        entities,
    }
}

fn entity(kind: Kind, name: &str, body: Value) -> ExportEntity {
    ExportEntity {
        kind,
        name: name.into(),
        body,
        runtime_state: None,
    }
}

/// Exports, loads (with each secret variable set to the value it replaced) and returns the
/// loaded body of `kind/name`.
fn round_trip(entities: Vec<ExportEntity>, kind: Kind, name: &str) -> Value {
    let input = input(entities);
    let exported = export(&input, Layout::SingleFile);
    let mut options = LoadOptions::default();
    for variable in &exported.variables {
        let original = input
            .entities
            .iter()
            .find(|e| ResourceAddress::new(e.kind, &e.name) == variable.address)
            .and_then(|e| e.body.pointer(&variable.pointer))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        options.env.insert(variable.name.clone(), original);
    }
    let text = &exported.files[0].1;
    let loaded = load(&[SpecSource::new("export.yaml", text.clone())], &options)
        .unwrap_or_else(|d| panic!("{}\n{text}", render_plain(&d)));
    loaded
        .desired
        .get(&ResourceAddress::new(kind, name))
        .unwrap()
        .body
        .clone()
}

fn json_value() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        "\\PC{0,12}",
        "[ -~]{0,12}",
        Just("${env:HOME}".to_owned()),
        Just("$${x}".to_owned()),
        Just(" leading".to_owned()),
        Just("a: b # c".to_owned()),
        Just("- item".to_owned()),
        Just("yes".to_owned()),
        Just("0x1F".to_owned()),
        Just(".inf".to_owned()),
        Just("multi\nline\n".to_owned()),
        Just("tab\there".to_owned()),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(Value::from),
        text.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z_<:#@ -]{1,8}", inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_json_in_a_body_reads_back_the_same(value in json_value(), key in "[a-z]{1,6}") {
        let body = json!({"properties": {
            "activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}],
            "annotations": [value.clone()],
            "folder": {key: value},
        }});
        let loaded = round_trip(vec![entity(Kind::Pipeline, "p", body.clone())], Kind::Pipeline, "p");
        prop_assert_eq!(loaded, body);
    }
}

use adf_testkit::EXAMPLE_ENTITY_KINDS as KINDS;

fn stub(kind: Kind, name: &str) -> Option<ExportEntity> {
    let properties = match kind {
        Kind::LinkedService => json!({"type": "AzureBlobStorage", "typeProperties": {}}),
        Kind::Dataset => json!({"type": "Binary", "linkedServiceName":
            {"referenceName": "stubLinkedService", "type": "LinkedServiceReference"}}),
        Kind::Pipeline => json!({"activities": []}),
        Kind::DataFlow => json!({"type": "MappingDataFlow"}),
        Kind::IntegrationRuntime => json!({"type": "Managed"}),
        _ => return None,
    };
    Some(entity(kind, name, json!({ "properties": properties })))
}

#[test]
fn every_official_example_entity_exports_and_loads_back_the_same() {
    let Some(files) = adf_testkit::arm_examples(module_path!()) else {
        return;
    };
    let mut checked = 0;
    for (file, example) in &files {
        let Some((_, parameter, kind)) = KINDS
            .iter()
            .find(|(prefix, _, _)| file.starts_with(prefix))
            .copied()
        else {
            continue;
        };
        if !(file.contains("_Create") || file.contains("_Update")) {
            continue;
        }
        let Some(properties) = example["parameters"][parameter].get("properties") else {
            continue;
        };
        let body = json!({ "properties": properties });
        let mut entities = vec![entity(kind, "exported", body.clone())];
        entities.extend(stub(Kind::LinkedService, "stubLinkedService"));
        for reference in adf_core::desired::references(&body) {
            if !entities
                .iter()
                .any(|e| ResourceAddress::new(e.kind, &e.name) == reference)
            {
                entities.extend(stub(reference.kind, &reference.name));
            }
        }
        let loaded = round_trip(entities, kind, "exported");
        assert_eq!(loaded, body, "{file}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} examples checked");
}
