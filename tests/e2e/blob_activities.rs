//! The blob activities end to end: a spec applied with `adfctl apply` and run with `adfctl run`
//! against the emulator process and a real Azurite (skipped, saying so, without `npm ci`):
//! GetMetadata, Lookup over Json, a ForEach of Copy activities from DelimitedText on Blob
//! storage to Json on ADLS Gen2 (`AzureBlobFS`) with a column mapping, and Delete.

use crate::support::{EmulatorProcess, text};
use adf_emulator::blob::{BlobAccount, BlobClient};
use adf_testkit::Azurite;
use std::process::Output;

/// Azurite's documented development key.
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const SPEC: &str = r#"
subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {name: blob-activities-rg, location: eastus, managed: true}
factory: {name: adfctl-blob-activities, location: eastus}

linkedServices:
  storage:
    type: AzureBlobStorage
    typeProperties:
      connectionString: {secretFromEnv: STORAGE_CONNECTION_STRING}
  lake:
    type: AzureBlobFS
    typeProperties:
      url: https://devstoreaccount1.dfs.core.windows.net
      accountKey: {secretFromEnv: LAKE_KEY}

datasets:
  incomingFolder:
    type: Binary
    linkedServiceName: storage
    typeProperties:
      location: {type: AzureBlobStorageLocation, container: landing, folderPath: incoming}
  incomingCsv:
    type: DelimitedText
    linkedServiceName: storage
    parameters:
      file: {type: String}
    typeProperties:
      location:
        type: AzureBlobStorageLocation
        container: landing
        folderPath: incoming
        fileName: {value: "@dataset().file", type: Expression}
      columnDelimiter: ";"
      firstRowAsHeader: true
  config:
    type: Json
    linkedServiceName: storage
    typeProperties:
      location: {type: AzureBlobStorageLocation, container: landing, folderPath: config, fileName: tables.json}
  curated:
    type: Json
    linkedServiceName: lake
    parameters:
      target: {type: String}
    typeProperties:
      location:
        type: AzureBlobFSLocation
        fileSystem: curated
        folderPath: {value: "@dataset().target", type: Expression}
        fileName: sales.json

pipelines:
  ingest:
    variables:
      seen: {type: String}
    activities:
      - name: listIncoming
        type: GetMetadata
        typeProperties:
          dataset: incomingFolder
          fieldList: [exists, childItems]
      - name: readConfig
        type: Lookup
        typeProperties:
          source: {type: JsonSource}
          dataset: config
          firstRowOnly: false
      - name: eachTable
        type: ForEach
        dependsOn:
          - {activity: listIncoming, dependencyConditions: [Succeeded]}
          - {activity: readConfig, dependencyConditions: [Succeeded]}
        typeProperties:
          items: {value: "@activity('readConfig').output.value", type: Expression}
          activities:
            - name: copyTable
              type: Copy
              inputs:
                - {referenceName: incomingCsv, type: DatasetReference, parameters: {file: "@item().file"}}
              outputs:
                - {referenceName: curated, type: DatasetReference, parameters: {target: "@item().target"}}
              typeProperties:
                source: {type: DelimitedTextSource}
                sink: {type: JsonSink, formatSettings: {type: JsonWriteSettings, filePattern: setOfObjects}}
                translator:
                  type: TabularTranslator
                  mappings:
                    - {source: {name: region}, sink: {name: Region}}
                    - {source: {name: amount}, sink: {name: Amount}}
      - name: remember
        type: SetVariable
        dependsOn:
          - {activity: eachTable, dependencyConditions: [Succeeded]}
        typeProperties:
          variableName: seen
          value: "@string(length(activity('listIncoming').output.childItems))"
      - name: cleanUp
        type: Delete
        dependsOn:
          - {activity: remember, dependencyConditions: [Succeeded]}
        typeProperties:
          dataset: incomingFolder
          storeSettings: {type: AzureBlobStorageReadSettings, recursive: true}
          enableLogging: false

  probe:
    parameters:
      fields: {type: Array}
    activities:
      - name: probeFile
        type: GetMetadata
        typeProperties:
          dataset: {referenceName: incomingCsv, type: DatasetReference, parameters: {file: gone.csv}}
          fieldList: {value: "@pipeline().parameters.fields", type: Expression}
"#;

fn env() -> [(&'static str, &'static str); 3] {
    [
        ("STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"),
        ("LAKE_KEY", DEV_KEY),
        ("NO_COLOR", "1"),
    ]
}

fn run_json(emulator: &EmulatorProcess, args: &[&str]) -> (Output, serde_json::Value) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let output = emulator.adfctl(&all, &env());
    let (stdout, _) = text(&output);
    let document = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (output, document)
}

fn activity<'a>(document: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    document["activityRuns"]
        .as_array()
        .and_then(|runs| runs.iter().find(|r| r["activityName"] == name))
        .unwrap_or_else(|| panic!("no activity run of {name} in {document:#}"))
}

struct Blobs {
    client: BlobClient,
    runtime: tokio::runtime::Runtime,
}

impl Blobs {
    fn new(azurite: &Azurite) -> Blobs {
        let account =
            BlobAccount::from_connection_string("UseDevelopmentStorage=true", &azurite.endpoint())
                .expect("account");
        Blobs {
            client: BlobClient::connect(account).expect("client"),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        }
    }

    fn upload(&self, container: &str, blob: &str, data: &str) {
        self.runtime.block_on(async {
            self.client
                .create_container(container)
                .await
                .expect("container");
            self.client
                .put_blob(container, blob, data.as_bytes().to_vec())
                .await
                .expect("upload");
        });
    }

    fn download(&self, container: &str, blob: &str) -> String {
        self.runtime.block_on(async {
            let mut response = self.client.get(container, blob).await.expect("download");
            let mut out = Vec::new();
            while let Some(chunk) = response.chunk().await.expect("chunk") {
                out.extend_from_slice(&chunk);
            }
            String::from_utf8(out).expect("utf-8")
        })
    }

    fn names(&self, container: &str, prefix: &str) -> Vec<String> {
        self.runtime.block_on(async {
            self.client
                .list(container, prefix)
                .await
                .expect("list")
                .into_iter()
                .map(|b| b.name)
                .collect()
        })
    }
}

#[test]
fn a_landing_zone_pipeline_lists_looks_up_copies_and_cleans_up() {
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    let blobs = Blobs::new(&azurite);
    blobs.upload(
        "landing",
        "incoming/2026-01.csv",
        "region;amount\nnorth;10\nsouth;20\n",
    );
    blobs.upload(
        "landing",
        "incoming/2026-02.csv",
        "region;amount\r\neast;30\r\n",
    );
    blobs.upload(
        "landing",
        "config/tables.json",
        r#"[{"file": "2026-01.csv", "target": "jan"}, {"file": "2026-02.csv", "target": "feb"}]"#,
    );
    let emulator = EmulatorProcess::start(&["--blob-endpoint", &azurite.endpoint()]);
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("blobs.yaml");
    std::fs::write(&spec, SPEC).expect("spec");
    let spec = spec.display().to_string();
    let applied = emulator.adfctl(&["apply", "-f", &spec, "--auto-approve"], &env());
    let (stdout, stderr) = text(&applied);
    assert!(applied.status.success(), "{stdout}\n{stderr}");

    let (output, document) = run_json(&emulator, &["-f", &spec, "ingest"]);
    let (_, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}\n{document:#}");
    assert_eq!(document["run"]["status"], "Succeeded", "{document:#}");
    assert_eq!(
        activity(&document, "listIncoming")["output"]["childItems"],
        serde_json::json!([{"name": "2026-01.csv", "type": "File"}, {"name": "2026-02.csv", "type": "File"}])
    );
    assert_eq!(activity(&document, "readConfig")["output"]["count"], 2);
    assert_eq!(activity(&document, "remember")["output"]["value"], "2");
    assert_eq!(activity(&document, "cleanUp")["output"]["filesDeleted"], 2);
    assert_eq!(
        blobs.download("curated", "jan/sales.json"),
        "{\"Region\":\"north\",\"Amount\":\"10\"}\n{\"Region\":\"south\",\"Amount\":\"20\"}\n"
    );
    assert_eq!(
        blobs.download("curated", "feb/sales.json"),
        "{\"Region\":\"east\",\"Amount\":\"30\"}\n"
    );
    assert!(blobs.names("landing", "incoming/").is_empty());
    assert_eq!(blobs.names("landing", "config/"), ["config/tables.json"]);

    // `exists` in the field list: a missing file is `exists: false`, not a failure.
    let (output, document) = run_json(
        &emulator,
        &["-f", &spec, "probe", "--param", r#"fields=["exists"]"#],
    );
    assert!(output.status.success(), "{document:#}");
    assert_eq!(
        activity(&document, "probeFile")["output"]["exists"],
        false,
        "{document:#}"
    );
    // Without it, the activity, the run and the CLI fail, saying why.
    let (output, document) = run_json(
        &emulator,
        &["-f", &spec, "probe", "--param", r#"fields=["size"]"#],
    );
    let (_, stderr) = text(&output);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(document["run"]["status"], "Failed");
    assert!(
        stderr.contains("activity `probeFile` failed")
            && stderr.contains("The required Blob is missing"),
        "{stderr}"
    );
}
