//! The blob activities against a real Azurite, through the router and the run engine: Lookup,
//! GetMetadata and Delete, Copy between DelimitedText and Json with format settings and column
//! mappings, and ADLS Gen2 (`AzureBlobFS`) linked services on Azurite's blob endpoint. Each
//! test starts its own Azurite (skipped, saying so, when `node_modules` is missing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use adf_emulator::blob::{BlobAccount, BlobClient};
use adf_testkit::Azurite;
use common::running::Running;
use serde_json::{Value, json};
use std::io::Write as _;
/// Azurite's documented development key.
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// An emulator with its run engine, pointed at an Azurite, and a Blob client of that Azurite.
struct Lab {
    running: Running,
    blobs: BlobClient,
    _azurite: Azurite,
}

impl Lab {
    async fn start(test: &str) -> Option<Lab> {
        Lab::with(test, |_| {}).await
    }

    async fn with(
        test: &str,
        adjust: impl FnOnce(&mut adf_emulator::EmulatorConfig),
    ) -> Option<Lab> {
        let azurite = Azurite::start(test)?;
        let endpoint = azurite.endpoint();
        let running = Running::with("blobsdf", |c| {
            c.development_blob_endpoint = endpoint.clone();
            adjust(c);
        })
        .await;
        let account =
            BlobAccount::from_connection_string("UseDevelopmentStorage=true", &endpoint).unwrap();
        let lab = Lab {
            running,
            blobs: BlobClient::new(reqwest::Client::new(), account),
            _azurite: azurite,
        };
        lab.put(
            "linkedservices",
            "dev",
            json!({"type": "AzureBlobStorage", "typeProperties": {
                "connectionString": {"type": "SecureString", "value": "UseDevelopmentStorage=true"}}}),
        )
        .await;
        Some(lab)
    }

    async fn put(&self, kind: &str, name: &str, properties: Value) {
        self.running.put(kind, name, properties).await;
    }

    /// A dataset on the `dev` linked service (or `service`), with `container`, `folder` and
    /// `file` parameters.
    async fn dataset(&self, name: &str, kind: &str, service: &str, format: Value) {
        let mut properties = json!({
            "location": {"type": "AzureBlobStorageLocation",
                "container": {"value": "@dataset().container", "type": "Expression"},
                "folderPath": {"value": "@dataset().folder", "type": "Expression"},
                "fileName": {"value": "@dataset().file", "type": "Expression"}},
        });
        if let (Some(target), Some(extra)) = (properties.as_object_mut(), format.as_object()) {
            for (key, value) in extra {
                target.insert(key.clone(), value.clone());
            }
        }
        self.put(
            "datasets",
            name,
            json!({"type": kind,
                "linkedServiceName": {"referenceName": service, "type": "LinkedServiceReference"},
                "parameters": {"container": {"type": "String"}, "folder": {"type": "String", "defaultValue": ""},
                               "file": {"type": "String", "defaultValue": ""}},
                "typeProperties": properties}),
        )
        .await;
    }

    async fn upload(&self, container: &str, blob: &str, data: impl Into<Vec<u8>>) {
        self.blobs.create_container(container).await.unwrap();
        self.blobs
            .put_blob(container, blob, data.into())
            .await
            .unwrap();
    }

    async fn download(&self, container: &str, blob: &str) -> Vec<u8> {
        let mut response = self.blobs.get(container, blob).await.unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = response.chunk().await.unwrap() {
            out.extend_from_slice(&chunk);
        }
        out
    }

    async fn names(&self, container: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .blobs
            .list(container, "")
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        names.sort();
        names
    }

    /// Runs a one-pipeline factory; returns the run and its activity runs.
    async fn run(&self, activities: Value) -> (Value, Vec<Value>) {
        self.put(
            "pipelines",
            "p",
            json!({"activities": activities, "variables": {"v": {"type": "String"}}}),
        )
        .await;
        self.running.run("p", json!({})).await
    }

    /// Runs one activity; returns its activity run.
    async fn one(&self, activity: Value) -> Value {
        let name = activity["name"].as_str().unwrap().to_owned();
        let (_, runs) = self.run(json!([activity])).await;
        runs.into_iter()
            .find(|r| r["activityName"] == name)
            .unwrap_or_else(|| panic!("no activity run of {name}"))
    }

    async fn stop(self) {
        self.running.stop().await;
    }
}

fn ds(name: &str, parameters: Value) -> Value {
    json!({"referenceName": name, "type": "DatasetReference", "parameters": parameters})
}

fn lookup(name: &str, dataset: Value, first_row_only: bool) -> Value {
    json!({"name": name, "type": "Lookup", "typeProperties": {
        "source": {"type": "DelimitedTextSource"}, "dataset": dataset, "firstRowOnly": first_row_only}})
}

fn succeeded(run: &Value) -> &Value {
    assert_eq!(run["status"], "Succeeded", "{run:#}");
    &run["output"]
}

fn failed(run: &Value) -> (String, String) {
    assert_eq!(run["status"], "Failed", "{run:#}");
    (
        run["error"]["errorCode"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        run["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    decoder.write_all(data).unwrap();
    decoder.finish().unwrap()
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_returns_adf_shapes_over_delimited_text_and_json() {
    let Some(lab) = Lab::start(module_path!()).await else {
        return;
    };
    lab.upload(
        "lookup",
        "people.csv",
        "id;name\r\n1;\"Ann; A\"\r\n2;Bob\r\n\r\n3;\r\n",
    )
    .await;
    lab.upload("lookup", "plain.csv", "a,b\nc,d\n").await;
    lab.upload(
        "lookup",
        "zipped/people.csv.gz",
        gzip(b"id,name\n1,\"say \\\"hi\\\"\"\n"),
    )
    .await;
    lab.upload("lookup", "utf16.csv", utf16("\u{feff}id,name\r\n1,Zoë\r\n"))
        .await;
    lab.upload(
        "lookup",
        "json/a.json",
        r#"[{"id": 1, "tags": ["x"]}, {"id": 2, "tags": []}]"#,
    )
    .await;
    lab.upload("lookup", "json/b.json", "{\"id\": 3}\n{\"id\": 4}\n")
        .await;
    let many: String = std::iter::once("n\n".to_owned())
        .chain((0..5_100).map(|i| format!("{i}\n")))
        .collect();
    lab.upload("lookup", "many.csv", many).await;
    let wide = format!("x\n{}\n", "y".repeat(1_100_000)).repeat(4);
    lab.upload("lookup", "wide.csv", wide).await;

    lab.dataset(
        "semicolons",
        "DelimitedText",
        "dev",
        json!({"columnDelimiter": ";", "firstRowAsHeader": true}),
    )
    .await;
    lab.dataset(
        "csv",
        "DelimitedText",
        "dev",
        json!({"firstRowAsHeader": true}),
    )
    .await;
    lab.dataset("noHeader", "DelimitedText", "dev", json!({}))
        .await;
    lab.dataset(
        "zipped",
        "DelimitedText",
        "dev",
        json!({"firstRowAsHeader": true, "compressionCodec": "gzip"}),
    )
    .await;
    lab.dataset(
        "utf16",
        "DelimitedText",
        "dev",
        json!({"firstRowAsHeader": true, "encodingName": "UTF-16"}),
    )
    .await;
    lab.dataset("json", "Json", "dev", json!({})).await;
    lab.dataset(
        "sjis",
        "DelimitedText",
        "dev",
        json!({"encodingName": "SHIFT-JIS"}),
    )
    .await;

    let people = ds(
        "semicolons",
        json!({"container": "lookup", "file": "people.csv"}),
    );
    // The first row, and its use in the next activity.
    let (run, runs) = lab
        .run(json!([
            lookup("first", people.clone(), true),
            {"name": "use", "type": "SetVariable", "dependsOn": [{"activity": "first", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"variableName": "v", "value": "@activity('first').output.firstRow.name"}},
        ]))
        .await;
    assert_eq!(run["status"], "Succeeded", "{runs:#?}");
    let first = runs.iter().find(|r| r["activityName"] == "first").unwrap();
    assert_eq!(
        succeeded(first)["firstRow"],
        json!({"id": "1", "name": "Ann; A"})
    );
    assert!(first["output"].get("count").is_none());
    assert_eq!(
        first["output"]["effectiveIntegrationRuntime"],
        "AutoResolveIntegrationRuntime (Local emulator)"
    );
    let set = runs.iter().find(|r| r["activityName"] == "use").unwrap();
    assert_eq!(set["output"]["value"], "Ann; A");

    // All rows: strings, no type inference; an empty value is null; the blank line skipped.
    let all = lab.one(lookup("all", people, false)).await;
    assert_eq!(
        succeeded(&all)["value"],
        json!([{"id": "1", "name": "Ann; A"}, {"id": "2", "name": "Bob"}, {"id": "3", "name": null}])
    );
    assert_eq!(all["output"]["count"], 3);

    // Without a header: Prop_0, Prop_1.
    let plain = lab
        .one(lookup(
            "plain",
            ds(
                "noHeader",
                json!({"container": "lookup", "file": "plain.csv"}),
            ),
            false,
        ))
        .await;
    assert_eq!(
        succeeded(&plain)["value"],
        json!([{"Prop_0": "a", "Prop_1": "b"}, {"Prop_0": "c", "Prop_1": "d"}])
    );

    // gzip, and the default escape character (a backslash).
    let zipped = lab
        .one(lookup(
            "zipped",
            ds("zipped", json!({"container": "lookup", "folder": "zipped"})),
            true,
        ))
        .await;
    assert_eq!(
        succeeded(&zipped)["firstRow"],
        json!({"id": "1", "name": "say \"hi\""})
    );

    // UTF-16 with its byte-order mark.
    let utf16 = lab
        .one(lookup(
            "utf16",
            ds("utf16", json!({"container": "lookup", "file": "utf16.csv"})),
            true,
        ))
        .await;
    assert_eq!(
        succeeded(&utf16)["firstRow"],
        json!({"id": "1", "name": "Zoë"})
    );

    // Json: a folder of an array file and a JSON Lines file; values keep their types.
    let json_rows = lab
        .one(lookup(
            "json",
            ds("json", json!({"container": "lookup", "folder": "json"})),
            false,
        ))
        .await;
    assert_eq!(
        succeeded(&json_rows)["value"],
        json!([{"id": 1, "tags": ["x"]}, {"id": 2, "tags": []}, {"id": 3}, {"id": 4}])
    );

    // ADF's limits: the first 5,000 rows; more than 4 MB of output fails.
    let many = lab
        .one(lookup(
            "many",
            ds("csv", json!({"container": "lookup", "file": "many.csv"})),
            false,
        ))
        .await;
    assert_eq!(succeeded(&many)["count"], 5000);
    assert_eq!(many["output"]["value"][4999], json!({"n": "4999"}));
    let wide = lab
        .one(lookup(
            "wide",
            ds("csv", json!({"container": "lookup", "file": "wide.csv"})),
            false,
        ))
        .await;
    let (_, message) = failed(&wide);
    assert!(message.contains("over limit (around 4MB"), "{message}");

    // A missing file: the Copy engine's error, code 2100.
    let missing = lab
        .one(lookup(
            "missing",
            ds("csv", json!({"container": "lookup", "file": "nope.csv"})),
            true,
        ))
        .await;
    let (code, message) = failed(&missing);
    assert_eq!(code, "2100");
    assert!(
        message.contains("ErrorCode=UserErrorSourceBlobNotExist")
            && message.contains("ContainerExist: True, BlobPrefix: nope.csv"),
        "{message}"
    );

    // An encoding the emulator does not decode, and a dataset type it cannot look up.
    let sjis = lab
        .one(lookup(
            "sjis",
            ds("sjis", json!({"container": "lookup", "file": "plain.csv"})),
            true,
        ))
        .await;
    let (code, message) = failed(&sjis);
    assert_eq!(code, "NotSupportedByEmulator");
    assert!(message.contains("encodingName SHIFT-JIS") && message.contains("UNVERIFIED"));
    lab.put(
        "datasets",
        "table",
        json!({"type": "AzureSqlTable", "linkedServiceName": {"referenceName": "dev", "type": "LinkedServiceReference"},
               "typeProperties": {"tableName": "t"}}),
    )
    .await;
    let table = lab
        .one(lookup(
            "table",
            json!({"referenceName": "table", "type": "DatasetReference"}),
            true,
        ))
        .await;
    let (_, message) = failed(&table);
    assert_eq!(
        message,
        "not supported by the emulator: Lookup on dataset type AzureSqlTable"
    );
    lab.stop().await;
}

fn get_metadata(name: &str, dataset: Value, fields: Value) -> Value {
    json!({"name": name, "type": "GetMetadata", "typeProperties": {"dataset": dataset, "fieldList": fields}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_metadata_of_files_folders_and_containers() {
    let Some(lab) = Lab::start(module_path!()).await else {
        return;
    };
    lab.upload("meta", "data/a.csv", "x,y,z\n1,2,3\n").await;
    lab.upload("meta", "data/sub/b.txt", "b").await;
    lab.upload("meta", "data/c.json", "{}").await;
    lab.upload("meta", "raw.csv", "1,2\n").await;
    lab.dataset(
        "csv",
        "DelimitedText",
        "dev",
        json!({"firstRowAsHeader": true}),
    )
    .await;
    lab.dataset("noHeader", "DelimitedText", "dev", json!({}))
        .await;
    lab.dataset("bin", "Binary", "dev", json!({})).await;
    lab.dataset("json", "Json", "dev", json!({})).await;
    let file = ds(
        "csv",
        json!({"container": "meta", "folder": "data", "file": "a.csv"}),
    );

    let all = json!([
        "exists",
        "itemName",
        "itemType",
        "size",
        "lastModified",
        "contentMD5",
        "structure",
        "columnCount"
    ]);
    let meta = lab.one(get_metadata("file", file.clone(), all)).await;
    let output = succeeded(&meta);
    assert_eq!(output["exists"], true);
    assert_eq!(output["itemName"], "a.csv");
    assert_eq!(output["itemType"], "File");
    assert_eq!(output["size"], 12);
    let modified = output["lastModified"].as_str().unwrap();
    assert!(
        modified.len() == 20 && modified.ends_with('Z') && modified.as_bytes()[10] == b'T',
        "{modified}"
    );
    // Azurite computes the MD5 of a Put Blob.
    assert_eq!(
        output["contentMD5"].as_str().map(str::len),
        Some(24),
        "{output:#}"
    );
    assert_eq!(
        output["structure"],
        json!([{"name": "x", "type": "String"}, {"name": "y", "type": "String"}, {"name": "z", "type": "String"}])
    );
    assert_eq!(output["columnCount"], 3);
    // The output has the fields asked for, in that order, then the run-time fields.
    let keys: Vec<&String> = output.as_object().unwrap().keys().collect();
    assert_eq!(keys[0], "exists");
    assert_eq!(keys[7], "columnCount");

    // Without a header: Prop_N.
    let no_header = lab
        .one(get_metadata(
            "noHeader",
            ds("noHeader", json!({"container": "meta", "file": "raw.csv"})),
            json!(["structure", "columnCount"]),
        ))
        .await;
    assert_eq!(
        succeeded(&no_header)["structure"],
        json!([{"name": "Prop_0", "type": "String"}, {"name": "Prop_1", "type": "String"}])
    );

    // A folder: its children, files and folders, in name order.
    let folder = ds("bin", json!({"container": "meta", "folder": "data"}));
    let meta = lab
        .one(get_metadata(
            "folder",
            folder.clone(),
            json!(["itemName", "itemType", "childItems", "exists"]),
        ))
        .await;
    let output = succeeded(&meta);
    assert_eq!(output["itemName"], "data");
    assert_eq!(output["itemType"], "Folder");
    assert_eq!(
        output["childItems"],
        json!([{"name": "a.csv", "type": "File"}, {"name": "c.json", "type": "File"}, {"name": "sub", "type": "Folder"}])
    );
    // The container: its own lastModified (a virtual folder has none).
    let root = lab
        .one(get_metadata(
            "root",
            ds("bin", json!({"container": "meta"})),
            json!(["itemName", "lastModified", "childItems"]),
        ))
        .await;
    let output = succeeded(&root);
    assert_eq!(output["itemName"], "meta");
    assert!(output["lastModified"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        output["childItems"],
        json!([{"name": "data", "type": "Folder"}, {"name": "raw.csv", "type": "File"}])
    );
    // A last-modified window filters files and drops folders.
    let window = lab
        .one(json!({"name": "window", "type": "GetMetadata", "typeProperties": {
            "dataset": folder.clone(), "fieldList": ["childItems"],
            "storeSettings": {"type": "AzureBlobStorageReadSettings", "modifiedDatetimeStart": "2000-01-01T00:00:00Z"}}}))
        .await;
    assert_eq!(
        succeeded(&window)["childItems"],
        json!([{"name": "a.csv", "type": "File"}, {"name": "c.json", "type": "File"}])
    );
    let past = lab
        .one(json!({"name": "past", "type": "GetMetadata", "typeProperties": {
            "dataset": folder, "fieldList": ["childItems"],
            "storeSettings": {"type": "AzureBlobStorageReadSettings", "modifiedDatetimeEnd": "2000-01-01T00:00:00Z"}}}))
        .await;
    assert_eq!(succeeded(&past)["childItems"], json!([]));

    // Missing things: `exists: false` when asked, else a failure.
    for (name, dataset) in [
        (
            "missingFile",
            ds(
                "csv",
                json!({"container": "meta", "folder": "data", "file": "zz.csv"}),
            ),
        ),
        (
            "missingFolder",
            ds("bin", json!({"container": "meta", "folder": "nothing"})),
        ),
        (
            "missingContainer",
            ds("bin", json!({"container": "nocontainer"})),
        ),
    ] {
        let meta = lab
            .one(get_metadata(
                name,
                dataset.clone(),
                json!(["exists", "itemName"]),
            ))
            .await;
        let output = succeeded(&meta);
        assert_eq!(output["exists"], false, "{name}");
        assert!(output.get("itemName").is_none(), "{name}");
        let meta = lab
            .one(get_metadata(name, dataset, json!(["itemName"])))
            .await;
        let (_, message) = failed(&meta);
        assert!(
            message.contains("UserErrorSourceBlobNotExist"),
            "{name}: {message}"
        );
    }

    // ADF's errors: childItems of a file (azure-docs#29538), structure of JSON, created on
    // Blob storage, wildcards.
    let child_of_file = lab
        .one(get_metadata("childOfFile", file, json!(["childItems"])))
        .await;
    let (code, message) = failed(&child_of_file);
    assert_eq!(code, "3500");
    assert!(
        message.starts_with("Field 'childItems' failed with error:")
            && message.contains("Cannot navigate through the provided data source."),
        "{message}"
    );
    let json_structure = lab
        .one(get_metadata(
            "jsonStructure",
            ds(
                "json",
                json!({"container": "meta", "folder": "data", "file": "c.json"}),
            ),
            json!(["structure"]),
        ))
        .await;
    let (code, _) = failed(&json_structure);
    assert_eq!(code, "3500");
    let created = lab
        .one(get_metadata(
            "created",
            ds("bin", json!({"container": "meta", "file": "raw.csv"})),
            json!(["created"]),
        ))
        .await;
    failed(&created);
    let wildcard = lab
        .one(get_metadata(
            "wildcard",
            ds("bin", json!({"container": "meta", "file": "*.csv"})),
            json!(["exists"]),
        ))
        .await;
    let (_, message) = failed(&wildcard);
    assert!(message.contains("Wildcard filter on folders/files is not supported"));
    lab.stop().await;
}

/// The folder structure of the Delete page's examples.
const TREE: &[&str] = &[
    "Root/Folder_A_1/1.txt",
    "Root/Folder_A_1/2.txt",
    "Root/Folder_A_1/3.csv",
    "Root/Folder_A_2/4.txt",
    "Root/Folder_A_2/5.csv",
    "Root/Folder_A_2/Folder_B_1/6.txt",
    "Root/Folder_A_2/Folder_B_1/7.csv",
    "Root/Folder_A_2/Folder_B_2/8.txt",
];

fn delete(name: &str, dataset: Value, store_settings: Value) -> Value {
    json!({"name": name, "type": "Delete", "typeProperties": {
        "dataset": dataset, "storeSettings": store_settings, "enableLogging": false}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_follows_the_documented_examples() {
    let Some(lab) = Lab::start(module_path!()).await else {
        return;
    };
    lab.dataset("bin", "Binary", "dev", json!({})).await;
    // (folderPath, fileName, recursive) → what remains, as the page's table shows.
    let cases: [(&str, &str, bool, &[&str]); 4] = [
        (
            "Root/Folder_A_2",
            "",
            false,
            &[
                "Root/Folder_A_1/1.txt",
                "Root/Folder_A_1/2.txt",
                "Root/Folder_A_1/3.csv",
                "Root/Folder_A_2/Folder_B_1/6.txt",
                "Root/Folder_A_2/Folder_B_1/7.csv",
                "Root/Folder_A_2/Folder_B_2/8.txt",
            ],
        ),
        (
            "Root/Folder_A_2",
            "",
            true,
            &[
                "Root/Folder_A_1/1.txt",
                "Root/Folder_A_1/2.txt",
                "Root/Folder_A_1/3.csv",
            ],
        ),
        (
            "Root/Folder_A_2",
            "*.txt",
            false,
            &[
                "Root/Folder_A_1/1.txt",
                "Root/Folder_A_1/2.txt",
                "Root/Folder_A_1/3.csv",
                "Root/Folder_A_2/5.csv",
                "Root/Folder_A_2/Folder_B_1/6.txt",
                "Root/Folder_A_2/Folder_B_1/7.csv",
                "Root/Folder_A_2/Folder_B_2/8.txt",
            ],
        ),
        (
            "Root/Folder_A_2",
            "*.txt",
            true,
            &[
                "Root/Folder_A_1/1.txt",
                "Root/Folder_A_1/2.txt",
                "Root/Folder_A_1/3.csv",
                "Root/Folder_A_2/5.csv",
                "Root/Folder_A_2/Folder_B_1/7.csv",
            ],
        ),
    ];
    for (index, (folder, file, recursive, remaining)) in cases.iter().enumerate() {
        let container = format!("delete{index}");
        for name in TREE {
            lab.upload(&container, name, "x").await;
        }
        let run = lab
            .one(delete(
                "delete",
                ds(
                    "bin",
                    json!({"container": container, "folder": folder, "file": file}),
                ),
                json!({"type": "AzureBlobStorageReadSettings", "recursive": recursive}),
            ))
            .await;
        let output = succeeded(&run);
        assert_eq!(
            output["filesDeleted"],
            TREE.len() - remaining.len(),
            "case {index}"
        );
        assert_eq!(output["recursive"], *recursive);
        assert_eq!(output["isWildcardUsed"], !file.is_empty());
        assert_eq!(output["datasetName"], "bin");
        assert_eq!(lab.names(&container).await, *remaining, "case {index}");
    }

    // One file; wildcards in storeSettings; a last-modified window that excludes everything.
    for name in TREE {
        lab.upload("more", name, "x").await;
    }
    let one = lab
        .one(delete(
            "one",
            ds(
                "bin",
                json!({"container": "more", "folder": "Root/Folder_A_1", "file": "2.txt"}),
            ),
            json!({}),
        ))
        .await;
    assert_eq!(succeeded(&one)["filesDeleted"], 1);
    let none = lab
        .one(delete(
            "window",
            ds("bin", json!({"container": "more"})),
            json!({"recursive": true, "modifiedDatetimeEnd": "2000-01-01T00:00:00Z"}),
        ))
        .await;
    assert_eq!(succeeded(&none)["filesDeleted"], 0);
    let wild = lab
        .one(delete(
            "wild",
            ds("bin", json!({"container": "more"})),
            json!({"recursive": true, "wildcardFolderPath": "Root/*", "wildcardFileName": "*.csv"}),
        ))
        .await;
    assert_eq!(succeeded(&wild)["filesDeleted"], 3);
    assert_eq!(
        lab.names("more").await,
        [
            "Root/Folder_A_1/1.txt",
            "Root/Folder_A_2/4.txt",
            "Root/Folder_A_2/Folder_B_1/6.txt",
            "Root/Folder_A_2/Folder_B_2/8.txt"
        ]
    );

    // Failures: a missing file, a missing container, logging on.
    let missing = lab
        .one(delete(
            "missing",
            ds("bin", json!({"container": "more", "file": "nope.txt"})),
            json!({}),
        ))
        .await;
    let (_, message) = failed(&missing);
    assert!(
        message.contains("The required Blob is missing"),
        "{message}"
    );
    let no_container = lab
        .one(delete(
            "noContainer",
            ds("bin", json!({"container": "nowhere"})),
            json!({}),
        ))
        .await;
    failed(&no_container);
    let logging = lab
        .one(json!({"name": "logging", "type": "Delete", "typeProperties": {
            "dataset": ds("bin", json!({"container": "more"})), "enableLogging": true,
            "logStorageSettings": {"linkedServiceName": {"referenceName": "dev", "type": "LinkedServiceReference"}}}}))
        .await;
    let (code, message) = failed(&logging);
    assert_eq!(code, "NotSupportedByEmulator");
    assert!(message.contains("enableLogging"), "{message}");
    assert_eq!(lab.names("more").await.len(), 4);
    lab.stop().await;
}

fn copy(name: &str, input: Value, output: Value, type_properties: Value) -> Value {
    json!({"name": name, "type": "Copy", "inputs": [input], "outputs": [output],
           "typeProperties": type_properties})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_converts_between_delimited_text_and_json() {
    // Small blocks, so that a bigger file goes through Put Block / Put Block List.
    let Some(lab) = Lab::with(module_path!(), |c| c.copy_block_size = 64 * 1024).await else {
        return;
    };
    lab.upload(
        "copy",
        "in/people.csv.gz",
        gzip("skip me\nid;name;city\n1;\"Ann; A\";Oslo\n2;Bob;\n".as_bytes()),
    )
    .await;
    lab.upload(
        "copy",
        "in/orders.json",
        r#"[{"number": "01", "orders": [{"prod": "p1", "price": 23}, {"prod": "p2", "price": 13}], "city": [{"name": "Seattle"}]}]"#,
    )
    .await;
    lab.upload("copy", "in/noheader.csv", "7,x\n8,y\n").await;
    lab.upload("copy", "parts/1.csv", "k,v\n1,a\n").await;
    lab.upload("copy", "parts/2.csv", "k,v\n2,b\n").await;
    let big: String = std::iter::once("id,text\r\n".to_owned())
        .chain((0..20_000).map(|i| format!("{i},row number {i}\r\n")))
        .collect();
    lab.upload("copy", "in/big.csv", big.clone()).await;

    lab.dataset(
        "csvIn",
        "DelimitedText",
        "dev",
        json!({"columnDelimiter": ";", "firstRowAsHeader": true, "compressionCodec": "gzip"}),
    )
    .await;
    lab.dataset(
        "csv",
        "DelimitedText",
        "dev",
        json!({"firstRowAsHeader": true}),
    )
    .await;
    lab.dataset("noHeader", "DelimitedText", "dev", json!({}))
        .await;
    lab.dataset(
        "tsv16",
        "DelimitedText",
        "dev",
        json!({"columnDelimiter": "\t", "firstRowAsHeader": true, "encodingName": "UTF-16", "escapeChar": "\""}),
    )
    .await;
    lab.dataset("json", "Json", "dev", json!({})).await;
    lab.dataset("bin", "Binary", "dev", json!({})).await;

    // Gzipped semicolons (a line skipped) to JSON Lines, through a mapping.
    let run = lab
        .one(copy(
            "toJson",
            ds("csvIn", json!({"container": "copy", "folder": "in", "file": "people.csv.gz"})),
            ds("json", json!({"container": "copy", "folder": "out", "file": "people.json"})),
            json!({
                "source": {"type": "DelimitedTextSource", "formatSettings": {"type": "DelimitedTextReadSettings", "skipLineCount": 1}},
                "sink": {"type": "JsonSink", "formatSettings": {"type": "JsonWriteSettings"}},
                "translator": {"type": "TabularTranslator", "mappings": [
                    {"source": {"name": "id"}, "sink": {"name": "Id"}},
                    {"source": {"name": "name"}, "sink": {"name": "Name"}},
                    {"source": {"name": "city"}, "sink": {"path": "$['address']['city']"}}]}
            }),
        ))
        .await;
    let output = succeeded(&run);
    assert_eq!(output["rowsRead"], 2);
    assert_eq!(output["rowsCopied"], 2);
    assert_eq!(output["filesWritten"], 1);
    assert_eq!(
        String::from_utf8(lab.download("copy", "out/people.json").await).unwrap(),
        "{\"Id\":\"1\",\"Name\":\"Ann; A\",\"address\":{\"city\":\"Oslo\"}}\n{\"Id\":\"2\",\"Name\":\"Bob\",\"address\":{\"city\":null}}\n"
    );

    // JSON to CSV: the documented hierarchical example (collectionReference), all text quoted.
    let run = lab
        .one(copy(
            "toCsv",
            ds("json", json!({"container": "copy", "folder": "in", "file": "orders.json"})),
            ds("csv", json!({"container": "copy", "folder": "out", "file": "orders.csv"})),
            json!({
                "source": {"type": "JsonSource"},
                "sink": {"type": "DelimitedTextSink", "formatSettings": {"type": "DelimitedTextWriteSettings", "quoteAllText": true, "fileExtension": ".csv"}},
                "translator": {"type": "TabularTranslator", "collectionReference": "$['orders']", "mappings": [
                    {"source": {"path": "$['number']"}, "sink": {"name": "orderNumber"}},
                    {"source": {"path": "['prod']"}, "sink": {"name": "order_pd"}},
                    {"source": {"path": "['price']"}, "sink": {"name": "order_price"}},
                    {"source": {"path": "$['city'][0]['name']"}, "sink": {"name": "city"}}]}
            }),
        ))
        .await;
    let output = succeeded(&run);
    assert_eq!(output["rowsRead"], 1);
    assert_eq!(output["rowsCopied"], 2);
    assert_eq!(
        String::from_utf8(lab.download("copy", "out/orders.csv").await).unwrap(),
        "\"orderNumber\",\"order_pd\",\"order_price\",\"city\"\r\n\"01\",\"p1\",\"23\",\"Seattle\"\r\n\"01\",\"p2\",\"13\",\"Seattle\"\r\n"
    );

    // A file without header, by ordinal, to tab-separated UTF-16 with a header.
    let run = lab
        .one(copy(
            "ordinals",
            ds(
                "noHeader",
                json!({"container": "copy", "folder": "in", "file": "noheader.csv"}),
            ),
            ds(
                "tsv16",
                json!({"container": "copy", "folder": "out", "file": "ordinals.tsv"}),
            ),
            json!({
                "source": {"type": "DelimitedTextSource"}, "sink": {"type": "DelimitedTextSink"},
                "translator": {"type": "TabularTranslator", "mappings": [
                    {"source": {"ordinal": 2}, "sink": {"name": "letter"}},
                    {"source": {"ordinal": "1"}, "sink": {"name": "number"}}]}
            }),
        ))
        .await;
    succeeded(&run);
    let written = lab.download("copy", "out/ordinals.tsv").await;
    assert_eq!(written, utf16("letter\tnumber\r\nx\t7\r\ny\t8\r\n"));

    // A folder merged into one file (the header once).
    let run = lab
        .one(copy(
            "merge",
            ds("csv", json!({"container": "copy", "folder": "parts"})),
            ds("csv", json!({"container": "copy", "folder": "out", "file": "merged.csv"})),
            json!({"source": {"type": "DelimitedTextSource"},
                   "sink": {"type": "DelimitedTextSink", "storeSettings": {"copyBehavior": "MergeFiles"}}}),
        ))
        .await;
    let output = succeeded(&run);
    assert_eq!(output["filesRead"], 2);
    assert_eq!(output["filesWritten"], 1);
    assert_eq!(
        String::from_utf8(lab.download("copy", "out/merged.csv").await).unwrap(),
        "k,v\r\n1,a\r\n2,b\r\n"
    );

    // A bigger file, several blocks each way, gzipped on the way out and back to the same text.
    lab.dataset(
        "csvGz",
        "DelimitedText",
        "dev",
        json!({"firstRowAsHeader": true, "compressionCodec": "gzip", "compressionLevel": "Fastest"}),
    )
    .await;
    let run = lab
        .one(copy(
            "big",
            ds("csv", json!({"container": "copy", "folder": "in", "file": "big.csv"})),
            ds("csvGz", json!({"container": "copy", "folder": "out", "file": "big.csv.gz"})),
            json!({"source": {"type": "DelimitedTextSource"}, "sink": {"type": "DelimitedTextSink"}}),
        ))
        .await;
    let output = succeeded(&run);
    assert_eq!(output["rowsCopied"], 20_000);
    assert_eq!(output["dataRead"], big.len());
    let packed = lab.download("copy", "out/big.csv.gz").await;
    assert_eq!(output["dataWritten"], packed.len());
    assert_eq!(String::from_utf8(gunzip(&packed)).unwrap(), big);

    // Binary with a format dataset is refused, as ADF does.
    let run = lab
        .one(copy(
            "binary",
            ds(
                "bin",
                json!({"container": "copy", "folder": "in", "file": "noheader.csv"}),
            ),
            ds(
                "csv",
                json!({"container": "copy", "folder": "out", "file": "x.csv"}),
            ),
            json!({"source": {"type": "BinarySource"}, "sink": {"type": "DelimitedTextSink"}}),
        ))
        .await;
    let (code, message) = failed(&run);
    assert_eq!(code, "2200");
    assert!(
        message.contains("Binary dataset can only be copied"),
        "{message}"
    );
    // A malformed JSON source fails with ADF's code.
    lab.upload("copy", "in/broken.json", "{\"a\": 1,").await;
    let run = lab
        .one(copy(
            "broken",
            ds(
                "json",
                json!({"container": "copy", "folder": "in", "file": "broken.json"}),
            ),
            ds(
                "json",
                json!({"container": "copy", "folder": "out", "file": "broken.json"}),
            ),
            json!({"source": {"type": "JsonSource"}, "sink": {"type": "JsonSink"}}),
        ))
        .await;
    let (_, message) = failed(&run);
    assert!(
        message.contains("ErrorCode=JsonInvalidDataFormat"),
        "{message}"
    );
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adls_gen2_linked_services_work_on_the_blob_endpoint() {
    let Some(lab) = Lab::start(module_path!()).await else {
        return;
    };
    lab.upload("lake", "raw/2026/f.csv", "id,v\n1,a\n2,b\n")
        .await;
    // The development account's dfs URL means Azurite, as UseDevelopmentStorage does.
    lab.put(
        "linkedservices",
        "lake",
        json!({"type": "AzureBlobFS", "typeProperties": {
            "url": "https://devstoreaccount1.dfs.core.windows.net",
            "accountKey": {"type": "SecureString", "value": DEV_KEY}}}),
    )
    .await;
    // A path-style endpoint is used as it is.
    lab.put(
        "linkedservices",
        "lakeDirect",
        json!({"type": "AzureBlobFS", "typeProperties": {
            "url": lab.blobs.endpoint(), "accountKey": {"type": "SecureString", "value": DEV_KEY}}}),
    )
    .await;
    for (name, service) in [("fsCsv", "lake"), ("fsCsvDirect", "lakeDirect")] {
        lab.put(
            "datasets",
            name,
            json!({"type": "DelimitedText",
                "linkedServiceName": {"referenceName": service, "type": "LinkedServiceReference"},
                "parameters": {"fs": {"type": "String"}, "folder": {"type": "String"}, "file": {"type": "String", "defaultValue": ""}},
                "typeProperties": {"firstRowAsHeader": true, "location": {"type": "AzureBlobFSLocation",
                    "fileSystem": "@dataset().fs", "folderPath": "@dataset().folder", "fileName": "@dataset().file"}}}),
        )
        .await;
    }
    let (run, runs) = lab
        .run(json!([
            lookup("rows", ds("fsCsv", json!({"fs": "lake", "folder": "raw/2026", "file": "f.csv"})), false),
            {"name": "meta", "type": "GetMetadata", "typeProperties": {
                "dataset": ds("fsCsvDirect", json!({"fs": "lake", "folder": "raw"})), "fieldList": ["childItems", "itemType"]}},
            {"name": "copy", "type": "Copy", "dependsOn": [{"activity": "rows", "dependencyConditions": ["Succeeded"]}],
             "inputs": [ds("fsCsv", json!({"fs": "lake", "folder": "raw/2026", "file": "f.csv"}))],
             "outputs": [ds("fsCsvDirect", json!({"fs": "curated", "folder": "2026", "file": "f.csv"}))],
             "typeProperties": {"source": {"type": "DelimitedTextSource", "storeSettings": {"type": "AzureBlobFSReadSettings"}},
                                "sink": {"type": "DelimitedTextSink", "storeSettings": {"type": "AzureBlobFSWriteSettings"}}}},
            {"name": "delete", "type": "Delete", "dependsOn": [{"activity": "copy", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"dataset": ds("fsCsv", json!({"fs": "lake", "folder": "raw"})),
                                "storeSettings": {"type": "AzureBlobFSReadSettings", "recursive": true}, "enableLogging": false}},
            {"name": "missing", "type": "GetMetadata", "dependsOn": [{"activity": "delete", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"dataset": ds("fsCsv", json!({"fs": "lake", "folder": "raw/2026", "file": "f.csv"})), "fieldList": ["size"]}},
        ]))
        .await;
    let by = |name: &str| runs.iter().find(|r| r["activityName"] == name).unwrap();
    assert_eq!(succeeded(by("rows"))["count"], 2);
    assert_eq!(
        succeeded(by("meta"))["childItems"],
        json!([{"name": "2026", "type": "Folder"}])
    );
    let copy = succeeded(by("copy"));
    assert_eq!(copy["rowsCopied"], 2);
    assert_eq!(copy["executionDetails"][0]["source"]["type"], "AzureBlobFS");
    assert_eq!(
        lab.download("curated", "2026/f.csv").await,
        b"id,v\r\n1,a\r\n2,b\r\n"
    );
    assert_eq!(succeeded(by("delete"))["filesDeleted"], 1);
    assert!(lab.names("lake").await.is_empty());
    // ADLS Gen2's own error for a missing path (microsoft/finops-toolkit#2088).
    let (_, message) = failed(by("missing"));
    assert!(
        message
            .contains("ErrorCode: 'PathNotFound'. Message: 'The specified path does not exist.'"),
        "{message}"
    );
    assert_eq!(run["status"], "Failed");
    lab.stop().await;
}

/// The byte copy moves exactly the source's bytes whatever their size against the block size:
/// one Put Blob up to one block (also an empty blob), Put Block (several in flight) and Put
/// Block List above; the sink's container is created by the first write that finds it
/// missing; a missing source file is ADF's `UserErrorSourceBlobNotExist`, saying whether the
/// container exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_copy_is_exact_around_block_boundaries() {
    const BLOCK: usize = 64 * 1024;
    let Some(lab) = Lab::with(module_path!(), |c| {
        c.copy_block_size = BLOCK;
        c.copy_parallel_blocks = 3;
    })
    .await
    else {
        return;
    };
    lab.dataset("bin", "Binary", "dev", json!({})).await;
    let sizes = [
        0,
        1,
        BLOCK - 1,
        BLOCK,
        BLOCK + 1,
        3 * BLOCK,
        7 * BLOCK + 12_345,
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut data = Vec::new();
    for size in sizes {
        let bytes: Vec<u8> = (0..size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        lab.upload("sizes", &format!("in/{size}.bin"), bytes.clone())
            .await;
        data.push((size, bytes));
    }
    // Every size into a container that does not exist yet.
    let activities: Vec<Value> = sizes
        .iter()
        .map(|size| {
            copy(
                &format!("copy{size}"),
                ds(
                    "bin",
                    json!({"container": "sizes", "folder": "in", "file": format!("{size}.bin")}),
                ),
                ds("bin", json!({"container": "sized", "folder": "out"})),
                json!({"source": {"type": "BinarySource"}, "sink": {"type": "BinarySink"}}),
            )
        })
        .collect();
    let (run, runs) = lab.run(Value::Array(activities)).await;
    assert_eq!(run["status"], "Succeeded", "{runs:#?}");
    for (size, bytes) in &data {
        let activity = runs
            .iter()
            .find(|r| r["activityName"] == format!("copy{size}"))
            .unwrap();
        let output = succeeded(activity);
        assert_eq!(output["dataRead"], *size as u64, "{output:#}");
        assert_eq!(output["dataWritten"], *size as u64);
        assert_eq!(output["filesRead"], 1);
        assert_eq!(output["filesWritten"], 1);
        let copied = lab.download("sized", &format!("out/{size}.bin")).await;
        assert!(copied == *bytes, "size {size}: the copy differs");
    }
    // A folder copy (listed, then each file copied) over the same sizes.
    let run = lab
        .one(copy(
            "folder",
            ds("bin", json!({"container": "sizes", "folder": "in"})),
            ds("bin", json!({"container": "sizes", "folder": "again"})),
            json!({"source": {"type": "BinarySource"}, "sink": {"type": "BinarySink"}}),
        ))
        .await;
    let total: usize = sizes.iter().sum();
    assert_eq!(succeeded(&run)["dataWritten"], total as u64);
    for (size, bytes) in &data {
        let copied = lab.download("sizes", &format!("again/{size}.bin")).await;
        assert!(copied == *bytes, "size {size}: the folder copy differs");
    }
    // A missing file, then a missing container.
    for (container, exists) in [("sizes", "True"), ("nowhere", "False")] {
        let run = lab
            .one(copy(
                "missing",
                ds(
                    "bin",
                    json!({"container": container, "folder": "in", "file": "none.bin"}),
                ),
                ds("bin", json!({"container": "sized", "folder": "out"})),
                json!({"source": {"type": "BinarySource"}, "sink": {"type": "BinarySink"}}),
            ))
            .await;
        let (code, message) = failed(&run);
        assert_eq!(code, "2200");
        assert!(
            message.contains("ErrorCode=UserErrorSourceBlobNotExist")
                && message.contains(&format!("ContainerExist: {exists}"))
                && message.contains("BlobPrefix: in/none.bin"),
            "{message}"
        );
    }
    lab.stop().await;
}
