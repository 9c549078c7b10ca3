//! ADF Studio git JSON files as spec sources: what they become, and where diagnostics point.
#![allow(clippy::unwrap_used)]

use adf_core::{Kind, ResourceAddress, RuntimeStatePolicy};
use adf_spec::{LoadOptions, SpecSource, StudioFolder, load};
use serde_json::json;

const TARGET: &str = "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: prod-factory}\n";

fn studio(folder: &str, file: &str, text: &str) -> SpecSource {
    SpecSource::new(format!("repo/{folder}/{file}"), text)
        .studio(StudioFolder::from_folder(folder).unwrap())
}

fn repository() -> Vec<SpecSource> {
    vec![
        studio(
            "factory",
            "dev-factory.json",
            "{\n\t\"name\": \"dev-factory\",\n\t\"location\": \"westeurope\",\n\t\"identity\": {\"type\": \"SystemAssigned\", \"principalId\": \"p\", \"tenantId\": \"t\"},\n\t\"properties\": {\"globalParameters\": {\"env\": {\"type\": \"String\", \"value\": \"dev\"}}, \"repoConfiguration\": {\"type\": \"FactoryGitHubConfiguration\"}}\n}",
        ),
        studio(
            "linkedService",
            "storage.json",
            "{\n\t\"name\": \"storage\",\n\t\"type\": \"Microsoft.DataFactory/factories/linkedservices\",\n\t\"properties\": {\n\t\t\"type\": \"AzureBlobStorage\",\n\t\t\"typeProperties\": {\"connectionString\": \"UseDevelopmentStorage=true;${notAVariable}\"}\n\t}\n}",
        ),
        studio(
            "pipeline",
            "p.json",
            "{\"name\": \"p\", \"properties\": {\"activities\": [{\"name\": \"w\", \"type\": \"Wait\", \"typeProperties\": {\"waitTimeInSeconds\": 1}}]}}",
        ),
        studio(
            "trigger",
            "t.json",
            "{\"name\": \"t\", \"properties\": {\"type\": \"ScheduleTrigger\", \"runtimeState\": \"Stopped\", \"pipelines\": [{\"pipelineReference\": {\"referenceName\": \"p\", \"type\": \"PipelineReference\"}}]}}",
        ),
    ]
}

#[test]
fn a_repository_with_a_target_overlay_loads() {
    let mut sources = repository();
    sources.push(SpecSource::new(
        "prod.yaml",
        format!("{TARGET}linkedServices:\n  storage:\n    description: prod\n"),
    ));
    let loaded = load(&sources, &LoadOptions::default()).unwrap();
    let desired = &loaded.desired;
    assert_eq!(desired.target.factory, "prod-factory");
    let factory = desired
        .get(&ResourceAddress::new(Kind::Factory, "prod-factory"))
        .unwrap();
    // Location from the file; server-set identity ids and the git link dropped.
    assert_eq!(
        factory.body,
        json!({"location": "westeurope", "identity": {"type": "SystemAssigned"}})
    );
    let globals = desired
        .get(&ResourceAddress::new(Kind::GlobalParameters, "default"))
        .unwrap();
    assert_eq!(
        globals.body,
        json!({"properties": {"env": {"type": "String", "value": "dev"}}})
    );
    let storage = desired
        .get(&ResourceAddress::new(Kind::LinkedService, "storage"))
        .unwrap();
    assert_eq!(
        storage.body["properties"]["typeProperties"]["connectionString"],
        "UseDevelopmentStorage=true;${notAVariable}",
        "ADF's JSON is literal"
    );
    assert_eq!(storage.body["properties"]["description"], "prod");
    let trigger = desired
        .get(&ResourceAddress::new(Kind::Trigger, "t"))
        .unwrap();
    assert_eq!(trigger.runtime_state, Some(RuntimeStatePolicy::Stopped));
}

#[test]
fn diagnostics_name_the_json_file_line_and_column() {
    let mut sources = repository();
    sources.push(studio(
        "dataset",
        "d.json",
        "{\n\t\"name\": \"d\",\n\t\"properties\": {\n\t\t\"type\": \"Binary\",\n\t\t\"linkedServiceName\": {\"referenceName\": \"missing\", \"type\": \"LinkedServiceReference\"}\n\t}\n}",
    ));
    sources.push(studio(
        "dataset",
        "wrong.json",
        "{\"name\": \"wrong\", \"type\": \"Microsoft.DataFactory/factories/pipelines\", \"properties\": {}}",
    ));
    sources.push(studio("dataset", "nameless.json", "{\"properties\": {}}"));
    sources.push(SpecSource::new("prod.yaml", TARGET));
    let errors = load(&sources, &LoadOptions::default()).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let find = |file: &str| {
        errors
            .iter()
            .find(|d| d.file == file && d.is_error())
            .unwrap_or_else(|| panic!("no error in {file}: {text:?}"))
    };
    let missing = find("repo/dataset/d.json");
    assert_eq!((missing.line, missing.column), (5, 42), "{text:?}"); // at `"missing"`
    assert!(missing.message.contains("missing"), "{text:?}");
    let wrong = errors
        .iter()
        .find(|d| d.file == "repo/dataset/wrong.json" && d.message.contains("is not a dataset"))
        .unwrap_or_else(|| panic!("{text:?}"));
    assert_eq!((wrong.line, wrong.column), (1, 27), "at the type");
    assert!(
        find("repo/dataset/nameless.json")
            .message
            .contains("no `name`")
    );
}

#[test]
fn a_repository_alone_asks_for_a_target_overlay() {
    let errors = load(&repository(), &LoadOptions::default()).unwrap_err();
    assert!(
        errors.iter().any(|d| d
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("YAML overlay"))),
        "{errors:?}"
    );
}

#[test]
fn lower_case_global_parameter_types_load_as_adf_writes_them() {
    // ADF Studio and ADF's publish write `string`, `int`, … (kvapac-gitadfadbplt001,
    // adftools-BigFactorySample2 in ../shared/realworld); ARM accepts either case.
    let mut sources = vec![studio(
        "factory",
        "f.json",
        r#"{"name": "f", "location": "eastus", "properties": {"globalParameters": {
            "s": {"type": "string", "value": "x"}, "i": {"type": "int", "value": 2},
            "f": {"type": "float", "value": 3.1}, "b": {"type": "bool", "value": true},
            "a": {"type": "array", "value": [1]}, "o": {"type": "object", "value": {"k": 1}},
            "p": {"type": "String", "value": "y"}}}}"#,
    )];
    sources.push(SpecSource::new("t.yaml", TARGET));
    let loaded = load(&sources, &LoadOptions::default()).unwrap();
    let globals = loaded
        .desired
        .get(&ResourceAddress::new(Kind::GlobalParameters, "default"))
        .unwrap();
    assert_eq!(
        globals.body["properties"]["i"]["type"], "int",
        "sent as written"
    );
    // A type that is no type in any case is still an error, with its hint.
    let mut sources = vec![studio(
        "factory",
        "f.json",
        r#"{"name": "f", "location": "eastus", "properties": {"globalParameters": {"s": {"type": "strng", "value": "x"}}}}"#,
    )];
    sources.push(SpecSource::new("t.yaml", TARGET));
    let errors = load(&sources, &LoadOptions::default()).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|d| d.is_error() && d.message.contains("`strng`")),
        "{errors:?}"
    );
}

#[test]
fn a_second_factory_file_is_a_warning_naming_both_files() {
    let mut sources = repository();
    sources.insert(
        1,
        studio(
            "factory",
            "old-factory.json",
            "{\"name\": \"old\", \"location\": \"eastus\"}",
        ),
    );
    sources.push(SpecSource::new("prod.yaml", TARGET));
    let loaded = load(&sources, &LoadOptions::default()).unwrap();
    let warning = loaded
        .warnings
        .iter()
        .find(|d| d.code == "several-factory-files")
        .unwrap_or_else(|| panic!("{:?}", loaded.warnings));
    assert_eq!(warning.file, "repo/factory/old-factory.json");
    assert!(warning.message.contains("repo/factory/dev-factory.json"));
}

#[test]
fn a_spec_wide_trigger_policy_replaces_the_state_saved_in_studio_files_not_an_overlays() {
    let policy = |overlay: &str| {
        let mut sources = repository();
        sources.push(SpecSource::new("prod.yaml", format!("{TARGET}{overlay}")));
        let loaded = load(&sources, &LoadOptions::default()).unwrap();
        loaded
            .desired
            .get(&ResourceAddress::new(Kind::Trigger, "t"))
            .unwrap()
            .runtime_state
    };
    // The file's `Stopped` is the development factory's state when it was saved.
    assert_eq!(policy(""), Some(RuntimeStatePolicy::Stopped));
    assert_eq!(
        policy("triggerRuntimeState: Keep\n"),
        Some(RuntimeStatePolicy::Keep)
    );
    assert_eq!(
        policy("triggerRuntimeState: Keep\ntriggers:\n  t: {runtimeState: Started}\n"),
        Some(RuntimeStatePolicy::Started)
    );
}

#[test]
fn managed_network_credential_and_cdc_folders_load() {
    let mut sources = repository();
    sources.push(studio(
        "managedVirtualNetwork",
        "default.json",
        "{\n\t\"name\": \"default\",\n\t\"type\": \"Microsoft.DataFactory/factories/managedvirtualnetworks\"\n}",
    ));
    sources.push(studio(
        "managedVirtualNetwork/default/managedPrivateEndpoint",
        "pe.json",
        "{\"name\": \"pe\", \"properties\": {\"privateLinkResourceId\": \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st\", \"groupId\": \"blob\"}}",
    ));
    sources.push(studio(
        "credential",
        "uami.json",
        "{\"name\": \"uami\", \"properties\": {\"type\": \"ManagedIdentity\", \"typeProperties\": {\"resourceId\": \"/x\"}}}",
    ));
    sources.push(studio(
        "adfcdc",
        "cdc.json",
        "{\"name\": \"cdc\", \"properties\": {\"SourceConnectionsInfo\": [], \"TargetConnectionsInfo\": [], \"Policy\": {\"mode\": \"Microbatch\"}}}",
    ));
    sources.push(SpecSource::new("prod.yaml", TARGET));
    let loaded = load(&sources, &LoadOptions::default()).unwrap();
    let desired = &loaded.desired;
    for (kind, name) in [
        (Kind::ManagedVirtualNetwork, "default"),
        (Kind::ManagedPrivateEndpoint, "pe"),
        (Kind::Credential, "uami"),
        (Kind::ChangeDataCapture, "cdc"),
    ] {
        assert!(
            desired.get(&ResourceAddress::new(kind, name)).is_some(),
            "{kind}/{name}"
        );
    }
    assert_eq!(
        desired
            .get(&ResourceAddress::new(
                Kind::ManagedVirtualNetwork,
                "default"
            ))
            .unwrap()
            .body,
        json!({"properties": {}})
    );
}
