//! Every example under `specs/` validates. New examples are picked up automatically: each
//! `specs/*.yaml` alone, and in each folder under `specs/`, `base.yaml` with each other file
//! of that folder as its overlay.
#![allow(clippy::unwrap_used)]

use adf_core::{Kind, RuntimeStatePolicy};
use adf_spec::{LoadOptions, Loaded, SpecSource, load, render_plain};
use std::path::{Path, PathBuf};

const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");

/// Dummy values for the variables the examples need (docs/spec.md lists them).
fn options() -> LoadOptions {
    let mut options = LoadOptions::default();
    options.env.insert(
        "STORAGE_CONNECTION_STRING".into(),
        "UseDevelopmentStorage=true".into(),
    );
    options
}

fn source(path: &Path) -> SpecSource {
    let name = path
        .strip_prefix(Path::new(SPECS).parent().unwrap())
        .unwrap_or(path)
        .display()
        .to_string();
    SpecSource::new(name, std::fs::read_to_string(path).unwrap())
}

fn load_files(files: &[PathBuf]) -> Loaded {
    let sources: Vec<SpecSource> = files.iter().map(|f| source(f)).collect();
    match load(&sources, &options()) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!(
            "{files:?} does not validate:\n{}",
            render_plain(&diagnostics)
        ),
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        // `*.test.yaml` files are `adfctl test` files, not specs.
        .filter(|p| !p.to_string_lossy().contains(".test."))
        .collect();
    files.sort();
    files
}

/// Every combination the examples are meant to be used in.
fn example_sets() -> Vec<Vec<PathBuf>> {
    let mut sets: Vec<Vec<PathBuf>> = yaml_files(Path::new(SPECS))
        .into_iter()
        .map(|f| vec![f])
        .collect();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(SPECS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let base = dir.join("base.yaml");
        if !base.exists() && dir.join("targets.yaml").exists() {
            // A targets file (`--targets`), not a spec: its spec sets are examples of their
            // own, and tests/e2e/targets.rs runs it.
            continue;
        }
        assert!(base.exists(), "{} has no base.yaml", dir.display());
        for overlay in yaml_files(&dir).into_iter().filter(|f| *f != base) {
            sets.push(vec![base.clone(), overlay]);
        }
    }
    sets
}

#[test]
fn every_example_validates_without_warnings() {
    let sets = example_sets();
    assert!(sets.len() >= 5, "{sets:?}");
    for files in sets {
        let loaded = load_files(&files);
        assert!(
            loaded.warnings.is_empty(),
            "{files:?}:\n{}",
            render_plain(&loaded.warnings)
        );
        assert!(loaded.desired.of_kind(Kind::Factory).count() == 1);
    }
}

#[test]
fn quickstart_is_the_seed_lab() {
    let loaded = load_files(&[Path::new(SPECS).join("quickstart.yaml")]);
    let desired = &loaded.desired;
    let addresses: Vec<String> = desired
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect();
    assert_eq!(
        addresses,
        [
            "resourceGroup/DianesRG",
            "factory/DianesDF",
            "linkedService/storageLinkedService",
            "dataset/ds_in",
            "dataset/ds_out",
            "pipeline/copyPipeline"
        ]
    );
    assert_eq!(
        desired.resources[1].body,
        serde_json::json!({"location": "eastus"})
    );
    let ls = &desired.resources[2];
    assert_eq!(ls.secrets.len(), 1);
    assert_eq!(
        ls.secrets[0].from_env.as_deref(),
        Some("STORAGE_CONNECTION_STRING")
    );
    assert_eq!(
        ls.body.pointer(&ls.secrets[0].pointer),
        Some(&serde_json::json!("UseDevelopmentStorage=true"))
    );
    assert!(!format!("{ls:?}").contains("UseDevelopmentStorage"));
    let ds_in = &desired.resources[3].body["properties"];
    assert_eq!(ds_in["typeProperties"]["folderPath"], "adfv2tutorial/input");
    assert_eq!(ds_in["typeProperties"]["fileName"], "input.txt");
    let copy = &desired.resources[5].body["properties"]["activities"][0];
    assert_eq!(copy["name"], "copyBlobtoBlob");
    assert_eq!(copy["type"], "Copy");
    assert_eq!(
        copy["inputs"][0],
        serde_json::json!({"referenceName": "ds_in", "type": "DatasetReference"})
    );
    assert_eq!(desired.target.factory, "DianesDF");
    assert!(
        desired.resources[5]
            .path
            .ends_with("/factories/DianesDF/pipelines/copyPipeline")
    );
}

#[test]
fn overlays_change_what_they_say() {
    let dir = Path::new(SPECS).join("overlay");
    let dev = load_files(&[dir.join("base.yaml"), dir.join("dev.yaml")]).desired;
    let prod = load_files(&[dir.join("base.yaml"), dir.join("prod.yaml")]).desired;
    assert_eq!(dev.target.factory, "adfctl-dev-factory");
    assert_eq!(prod.target.factory, "adfctl-prod-factory");
    assert!(dev.resource_group_managed);
    assert!(!prod.resource_group_managed);
    assert!(prod.of_kind(Kind::ResourceGroup).next().is_none());
    let trigger =
        |d: &adf_core::DesiredState| d.of_kind(Kind::Trigger).next().unwrap().runtime_state;
    assert_eq!(trigger(&dev), Some(RuntimeStatePolicy::Stopped));
    assert_eq!(trigger(&prod), Some(RuntimeStatePolicy::Started));
    let retention = |d: &adf_core::DesiredState| {
        d.of_kind(Kind::Pipeline).next().unwrap().body["properties"]["parameters"]["retentionDays"]
            ["defaultValue"]
            .clone()
    };
    assert_eq!(retention(&dev), serde_json::json!(7));
    assert_eq!(retention(&prod), serde_json::json!(30));
    let factory = prod.of_kind(Kind::Factory).next().unwrap();
    assert_eq!(
        factory.body["properties"]["publicNetworkAccess"],
        "Disabled"
    );
    assert_eq!(
        factory.body["tags"],
        serde_json::json!({"environment": "prod", "costCenter": "4711"})
    );
}

#[test]
fn foreach_example_has_every_convenience_expanded() {
    let desired = load_files(&[Path::new(SPECS).join("foreach.yaml")]).desired;
    let parent = desired
        .resources
        .iter()
        .find(|r| r.address.name == "copyAllFiles")
        .unwrap();
    let inner = &parent.body["properties"]["activities"][0]["typeProperties"]["activities"][0];
    assert_eq!(
        inner["typeProperties"]["pipeline"],
        serde_json::json!({"referenceName": "copyOneFile", "type": "PipelineReference"})
    );
    let trigger = desired.of_kind(Kind::Trigger).next().unwrap();
    assert!(trigger.body["properties"].get("runtimeState").is_none());
    assert_eq!(trigger.runtime_state, Some(RuntimeStatePolicy::Stopped));
    let globals = desired.of_kind(Kind::GlobalParameters).next().unwrap();
    assert_eq!(globals.address.name, "default");
    assert_eq!(
        globals.body["properties"]["environment"]["value"],
        "example"
    );
    let kinds: Vec<Kind> = desired.resources.iter().map(|r| r.address.kind).collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted, "resources come in kind order");
}
