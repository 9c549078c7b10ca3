//! Generated factories: a spec (YAML text) of `n` entities, with bodies shaped like the official
//! ARM examples (`../shared/arm-examples/datafactory/*_Create.json`) and dependency chains
//! several levels deep: a Key Vault linked service → linked services that read their secrets
//! from it → datasets → copy pipelines → three levels of `ExecutePipeline` orchestrators →
//! schedule triggers.

use serde_json::{Value, json};
use std::fmt::Write as _;

/// The environment variable the one `secretFromEnv` linked service reads.
pub const SECRET_ENV: &str = "ADF_BENCH_STORAGE_KEY";

/// How many entities of each kind a factory of `n` entities has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Linked services other than the Key Vault one.
    pub linked_services: usize,
    /// Datasets.
    pub datasets: usize,
    /// Pipelines per level: copy pipelines, then orchestrators calling the level below.
    pub pipelines: [usize; 4],
    /// Schedule triggers.
    pub triggers: usize,
}

impl Shape {
    /// The mix for `n` entities (at least 12): 6 % linked services (one of them Key Vault),
    /// 34 % datasets, 10 % triggers, the rest pipelines in four levels (55/25/12/8 %).
    pub fn of(n: usize) -> Shape {
        let n = n.max(12);
        let linked_services = (n * 6 / 100).max(3) - 1;
        let datasets = (n * 34 / 100).max(2);
        let triggers = (n / 10).max(1);
        let pipelines = n - 1 - linked_services - datasets - triggers;
        let level0 = (pipelines * 55 / 100).max(1);
        let level1 = (pipelines * 25 / 100).max(1);
        let level2 = (pipelines * 12 / 100).max(1);
        let level3 = pipelines - level0 - level1 - level2;
        Shape {
            linked_services,
            datasets,
            pipelines: [level0, level1, level2, level3],
            triggers,
        }
    }

    /// All entities, the Key Vault linked service included.
    #[cfg(test)]
    pub fn total(&self) -> usize {
        1 + self.linked_services
            + self.datasets
            + self.pipelines.iter().sum::<usize>()
            + self.triggers
    }
}

/// The factory's name for `n` entities.
pub fn factory_name(n: usize, tag: &str) -> String {
    format!("adf-bench-{tag}-{n}")
}

/// The spec of a factory of `n` entities. `revision` 0 is the base; revision r > 0 changes the
/// description of every tenth entity (by its position in the spec), so 10 % of the entities
/// differ from revision 0.
pub fn spec_yaml(n: usize, factory: &str, revision: u32) -> String {
    let shape = Shape::of(n);
    let mut out = String::with_capacity(n * 700);
    let _ = writeln!(
        out,
        "subscription: 00000000-0000-0000-0000-00000000b001\n\
         resourceGroup:\n  name: adf-bench-rg\n  location: westeurope\n\
         factory:\n  name: {factory}\n  location: westeurope\n  identity: {{type: SystemAssigned}}\n  tags: {{purpose: benchmark}}"
    );
    let mut index = 0usize;
    let mut describe = |what: String| -> String {
        let changed = revision > 0 && index.is_multiple_of(10);
        index += 1;
        if changed {
            format!("{what} (revision {revision})")
        } else {
            what
        }
    };
    let entry = |out: &mut String, name: &str, body: Value| {
        let _ = writeln!(out, "  {name}: {body}");
    };

    out.push_str("linkedServices:\n");
    let description = describe("The vault that holds every connection secret.".into());
    entry(
        &mut out,
        "kv",
        json!({"type": "AzureKeyVault", "description": description,
               "typeProperties": {"baseUrl": "https://adf-bench-kv.vault.azure.net/"}}),
    );
    for i in 0..shape.linked_services {
        let description = describe(format!("Store {i}"));
        let body = linked_service(i, description);
        entry(&mut out, &linked_service_name(i), body);
    }

    out.push_str("datasets:\n");
    for i in 0..shape.datasets {
        let ls = i % shape.linked_services;
        let description = describe(format!("Table or folder {i}"));
        entry(&mut out, &dataset_name(i), dataset(i, ls, description));
    }

    out.push_str("pipelines:\n");
    for level in 0..shape.pipelines.len() {
        for i in 0..shape.pipelines[level] {
            let description = describe(format!("Level {level} pipeline {i}"));
            let body = if level == 0 {
                copy_pipeline(i, &shape, description)
            } else {
                orchestrator(level, i, &shape, description)
            };
            entry(&mut out, &pipeline_name(level, i), body);
        }
    }

    out.push_str("triggers:\n");
    for i in 0..shape.triggers {
        let description = describe(format!("Nightly run {i}"));
        // The top two levels are what a schedule starts.
        let level = if i % 2 == 0 { 3 } else { 2 };
        let level = if shape.pipelines[level] == 0 {
            1
        } else {
            level
        };
        let target = pipeline_name(level, i % shape.pipelines[level].max(1));
        entry(
            &mut out,
            &format!("tr_{i:04}"),
            json!({
                "type": "ScheduleTrigger",
                "runtimeState": "Stopped",
                "description": description,
                "typeProperties": {"recurrence": {
                    "frequency": "Hour", "interval": 1 + i % 24,
                    "startTime": "2026-01-01T00:00:00Z", "timeZone": "UTC"}},
                "pipelines": [{
                    "pipelineReference": {"referenceName": target, "type": "PipelineReference"},
                    "parameters": {"OutputBlobNameList": [format!("trigger-{i}.csv")]}
                }]
            }),
        );
    }
    out
}

fn linked_service_name(i: usize) -> String {
    format!("ls_{i:04}")
}

fn dataset_name(i: usize) -> String {
    format!("ds_{i:04}")
}

fn pipeline_name(level: usize, i: usize) -> String {
    format!("pl{level}_{i:04}")
}

fn key_vault_secret(name: String) -> Value {
    json!({"type": "AzureKeyVaultSecret",
           "store": {"referenceName": "kv", "type": "LinkedServiceReference"},
           "secretName": name})
}

fn linked_service(i: usize, description: String) -> Value {
    if i == 0 {
        // One secret from the environment, as the seed lab's storage account key.
        return json!({"type": "AzureBlobStorage", "description": description,
            "typeProperties": {"connectionString": {"secretFromEnv": SECRET_ENV}}});
    }
    match i % 3 {
        0 => json!({"type": "AzureSqlDatabase", "description": description,
            "typeProperties": {
                "connectionString": format!("Server=tcp:sql{i}.database.windows.net,1433;Database=sales{i};User ID=adf;"),
                "password": key_vault_secret(format!("sql-{i}-password"))}}),
        1 => json!({"type": "AzureBlobStorage", "description": description,
            "typeProperties": {"sasUri": key_vault_secret(format!("blob-{i}-sas"))}}),
        _ => json!({"type": "AzureBlobFS", "description": description,
            "typeProperties": {
                "url": format!("https://lake{i}.dfs.core.windows.net"),
                "accountKey": key_vault_secret(format!("lake-{i}-key"))}}),
    }
}

fn dataset(i: usize, ls: usize, description: String) -> Value {
    let reference =
        json!({"referenceName": linked_service_name(ls), "type": "LinkedServiceReference"});
    match ls % 3 {
        0 if ls != 0 => json!({"type": "AzureSqlTable", "description": description,
            "linkedServiceName": reference,
            "typeProperties": {"schema": "dbo", "table": format!("Orders{i}")}}),
        2 => json!({"type": "Parquet", "description": description,
            "linkedServiceName": reference,
            "typeProperties": {"location": {"type": "AzureBlobFSLocation",
                "fileSystem": "raw", "folderPath": format!("orders/{i}")},
                "compressionCodec": "snappy"}}),
        _ => json!({"type": "DelimitedText", "description": description,
            "linkedServiceName": reference,
            "parameters": {"MyFolderPath": {"type": "String"}, "MyFileName": {"type": "String"}},
            "typeProperties": {
                "location": {"type": "AzureBlobStorageLocation", "container": "examplecontainer",
                    "folderPath": {"value": "@dataset().MyFolderPath", "type": "Expression"},
                    "fileName": {"value": "@dataset().MyFileName", "type": "Expression"}},
                "columnDelimiter": ",", "firstRowAsHeader": true}}),
    }
}

fn dataset_reference(i: usize, shape: &Shape) -> Value {
    json!({"referenceName": dataset_name(i % shape.datasets), "type": "DatasetReference",
           "parameters": {"MyFolderPath": "examplecontainer", "MyFileName": format!("file{i}.csv")}})
}

/// A copy pipeline in the shape of `Pipelines_Create.json`: a ForEach over file names with a
/// Copy activity inside, and a Lookup before it.
fn copy_pipeline(i: usize, shape: &Shape, description: String) -> Value {
    json!({
        "description": description,
        "parameters": {"OutputBlobNameList": {"type": "Array"}, "JobId": {"type": "String"}},
        "variables": {"TestVariableArray": {"type": "Array"}},
        "runDimensions": {"JobId": {"value": "@pipeline().parameters.JobId", "type": "Expression"}},
        "policy": {"elapsedTimeMetric": {"duration": "0.00:10:00"}},
        "activities": [
            {"name": "LookupWatermark", "type": "Lookup",
             "typeProperties": {"source": {"type": "DelimitedTextSource"},
                                "dataset": dataset_reference(i + 1, shape)}},
            {"name": "ExampleForeachActivity", "type": "ForEach",
             "dependsOn": [{"activity": "LookupWatermark", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {
                "isSequential": true,
                "items": {"value": "@pipeline().parameters.OutputBlobNameList", "type": "Expression"},
                "activities": [{
                    "name": "ExampleCopyActivity", "type": "Copy",
                    "typeProperties": {"source": {"type": "BlobSource"}, "sink": {"type": "BlobSink"},
                                       "dataIntegrationUnits": 32},
                    "inputs": [dataset_reference(i, shape)],
                    "outputs": [dataset_reference(i + 7, shape)]
                }]}}
        ]
    })
}

/// An orchestrator: calls two pipelines of the level below (`ExecutePipeline`), then waits.
fn orchestrator(level: usize, i: usize, shape: &Shape, description: String) -> Value {
    let below = shape.pipelines[level - 1].max(1);
    let call = |name: &str, callee: usize| {
        json!({"name": name, "type": "ExecutePipeline",
               "typeProperties": {
                   "pipeline": {"referenceName": pipeline_name(level - 1, callee % below),
                                "type": "PipelineReference"},
                   "waitOnCompletion": true,
                   "parameters": {"OutputBlobNameList": ["a.csv", "b.csv"],
                                  "JobId": {"value": "@pipeline().parameters.JobId", "type": "Expression"}}}})
    };
    let mut first = call("runFirst", 2 * i);
    first["policy"] = json!({"secureInput": false});
    let mut second = call("runSecond", 2 * i + 1);
    second["dependsOn"] = json!([{"activity": "runFirst", "dependencyConditions": ["Succeeded"]}]);
    json!({
        "description": description,
        "parameters": {"OutputBlobNameList": {"type": "Array"}, "JobId": {"type": "String"}},
        "activities": [first, second,
            {"name": "settle", "type": "Wait",
             "dependsOn": [{"activity": "runSecond", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"waitTimeInSeconds": 1}}]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use adf_core::Kind;

    fn load(text: &str) -> adf_core::DesiredState {
        let mut options = adf_spec::LoadOptions::default();
        options.env.insert(SECRET_ENV.into(), "c2VjcmV0".into());
        match adf_spec::load(&[adf_spec::SpecSource::new("bench.yaml", text)], &options) {
            Ok(loaded) => loaded.desired,
            Err(diagnostics) => panic!("the generated spec does not load: {diagnostics:#?}"),
        }
    }

    #[test]
    fn generated_specs_load_with_the_requested_number_of_entities() {
        for n in [12, 100, 1000] {
            let desired = load(&spec_yaml(n, &factory_name(n, "t"), 0));
            let children = desired
                .resources
                .iter()
                .filter(|r| r.address.kind.is_factory_child())
                .count();
            assert_eq!(children, n, "n = {n}");
            assert_eq!(Shape::of(n).total(), n);
            assert!(desired.of_kind(Kind::Trigger).count() >= 1);
        }
    }

    #[test]
    fn a_revision_changes_one_entity_in_ten() {
        let n = 200;
        let base = load(&spec_yaml(n, "adf-bench-t-200", 0));
        let changed = load(&spec_yaml(n, "adf-bench-t-200", 1));
        let differing = base
            .resources
            .iter()
            .zip(&changed.resources)
            .filter(|(a, b)| a.body != b.body)
            .count();
        assert_eq!(differing, n / 10);
    }
}
