//! Router-level tests: every ARM/ADF behaviour of the emulator, one test each, no socket.
#![allow(clippy::unwrap_used)]

mod common;

use adf_emulator::{ActivityRunRecord, RunStatus};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use serde_json::{Value, json};

fn ls_body() -> Value {
    json!({"properties": {"type": "AzureStorage", "typeProperties": {
        "connectionString": {"type": "SecureString", "value": "DefaultEndpointsProtocol=https;AccountKey=hunter2"}}}})
}

fn ds_body(ls: &str) -> Value {
    json!({"properties": {"type": "AzureBlob", "typeProperties": {"folderPath": "in"},
        "linkedServiceName": {"referenceName": ls, "type": "LinkedServiceReference"}}})
}

fn pipeline_body(dataset: Option<&str>) -> Value {
    let activities = match dataset {
        Some(ds) => json!([{"name": "copy", "type": "Copy",
            "inputs": [{"referenceName": ds, "type": "DatasetReference"}],
            "outputs": [{"referenceName": ds, "type": "DatasetReference"}],
            "typeProperties": {"source": {"type": "BlobSource"}, "sink": {"type": "BlobSink"}}}]),
        None => {
            json!([{"name": "wait", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}])
        }
    };
    json!({"properties": {"activities": activities, "parameters": {"p": {"type": "String"}}}})
}

fn trigger_body(pipeline: &str) -> Value {
    json!({"properties": {"type": "ScheduleTrigger",
        "typeProperties": {"recurrence": {"frequency": "Minute", "interval": 5, "startTime": "2026-01-01T00:00:00Z"}},
        "pipelines": [{"pipelineReference": {"referenceName": pipeline, "type": "PipelineReference"}, "parameters": {"p": "x"}}]}})
}

// ---------------- resource groups ----------------

#[tokio::test]
async fn resource_group_put_is_201_then_200_and_location_is_immutable() {
    let emu = Emu::new();
    let first = emu
        .put(
            &group_uri("MyRG"),
            json!({"location": "westus", "tags": {"a": "1"}}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(
        first.body["id"],
        format!("/subscriptions/{SUB}/resourceGroups/MyRG")
    );
    assert_eq!(first.body["type"], "Microsoft.Resources/resourceGroups");
    assert_eq!(first.body["properties"]["provisioningState"], "Succeeded");
    let second = emu
        .put(&group_uri("myrg"), json!({"location": "West US"}))
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["name"], "MyRG", "original casing is kept");
    let moved = emu
        .put(&group_uri("MyRG"), json!({"location": "eastus"}))
        .await;
    assert_eq!(moved.status, StatusCode::CONFLICT);
    assert_eq!(moved.code(), "InvalidResourceGroupLocation");
    let missing = emu.put(&group_uri("Other"), json!({"tags": {}})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn resource_group_get_head_patch_and_list() {
    let emu = Emu::new();
    assert_eq!(
        emu.get(&group_uri("rg1")).await.code(),
        "ResourceGroupNotFound"
    );
    let head = emu.call(Method::HEAD, &group_uri("rg1"), None, &[]).await;
    assert_eq!(head.status, StatusCode::NOT_FOUND);
    assert!(head.text.is_empty());
    emu.put(&group_uri("rg1"), json!({"location": "eastus"}))
        .await;
    let head = emu.call(Method::HEAD, &group_uri("RG1"), None, &[]).await;
    assert_eq!(head.status, StatusCode::NO_CONTENT);
    let patched = emu
        .call(
            Method::PATCH,
            &group_uri("rg1"),
            Some(json!({"tags": {"env": "dev"}})),
            &[],
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["tags"], json!({"env": "dev"}));
    assert_eq!(emu.get(&group_uri("rg1")).await.body["tags"]["env"], "dev");
    emu.put(&group_uri("rg2"), json!({"location": "eastus"}))
        .await;
    let list = emu
        .get(&format!("/subscriptions/{SUB}/resourcegroups?{RES}"))
        .await;
    let names: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rg1", "rg2"]);
}

#[tokio::test]
async fn resource_group_lists_its_resources() {
    let emu = Emu::new();
    emu.factory("rg", "fac-one").await;
    let list = emu
        .get(&format!(
            "/subscriptions/{SUB}/resourceGroups/rg/resources?{RES}"
        ))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let item = &list.body["value"][0];
    assert_eq!(item["type"], "Microsoft.DataFactory/factories");
    assert_eq!(item["name"], "fac-one");
    assert_eq!(item["location"], "East US");
    assert!(
        emu.get(&format!(
            "/subscriptions/{SUB}/resourceGroups/none/resources?{RES}"
        ))
        .await
        .status
            == StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn resource_group_delete_is_a_long_running_operation() {
    let emu = Emu::with(|c| c.delete_polls = 2);
    let factory = emu.factory("rg", "fac-del").await;
    emu.put(&format!("{factory}/linkedservices/ls?{ADF}"), ls_body())
        .await;
    let accepted = emu.delete(&group_uri("rg")).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    assert!(accepted.text.is_empty());
    let location = accepted.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!(
            "http://127.0.0.1:4000/subscriptions/{SUB}/operationresults/"
        )),
        "{location}"
    );
    assert!(location.contains("api-version=2021-04-01"));
    assert_eq!(accepted.header("retry-after"), Some("1"));
    assert_eq!(
        emu.get(&group_uri("rg")).await.body["properties"]["provisioningState"],
        "Deleting"
    );
    let poll_path = location.trim_start_matches("http://127.0.0.1:4000");
    assert_eq!(emu.get(poll_path).await.status, StatusCode::ACCEPTED);
    assert_eq!(emu.get(poll_path).await.status, StatusCode::ACCEPTED);
    // Still there while the operation runs.
    assert_eq!(
        emu.get(&format!("{factory}?{ADF}")).await.status,
        StatusCode::OK
    );
    let done = emu.get(poll_path).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.text.is_empty());
    assert_eq!(
        emu.get(&group_uri("rg")).await.code(),
        "ResourceGroupNotFound"
    );
    // Everything in the group is gone: recreating the group shows no factory.
    emu.put(&group_uri("rg"), json!({"location": "eastus"}))
        .await;
    assert_eq!(
        emu.get(&format!("{factory}?{ADF}")).await.code(),
        "ResourceNotFound"
    );
    assert_eq!(
        emu.get(poll_path).await.status,
        StatusCode::OK,
        "a finished operation stays finished"
    );
    assert_eq!(
        emu.delete(&group_uri("nope")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn resource_group_deletion_completes_after_its_delay_without_polling() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::sync::Arc::new(std::sync::Mutex::new(
        time::macros::datetime!(2026-01-01 00:00 UTC),
    ));
    let clock_now = now.clone();
    let mut config = common::config(dir.path());
    config.clock = adf_emulator::Clock::from_fn(move || *clock_now.lock().unwrap());
    config.delete_delay = std::time::Duration::from_secs(5);
    let state = adf_emulator::EmulatorState::open(config).unwrap();
    let call = |method: Method, uri: String, body: Option<Value>| {
        let state = state.clone();
        async move {
            use tower::ServiceExt;
            let mut request = Request::builder()
                .method(method)
                .uri(uri)
                .header("authorization", "Bearer x");
            if body.is_some() {
                request = request.header("content-type", "application/json");
            }
            let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
            adf_emulator::router(state)
                .oneshot(request.body(body).unwrap())
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        call(
            Method::PUT,
            group_uri("rg"),
            Some(json!({"location": "eastus"}))
        )
        .await,
        StatusCode::CREATED
    );
    assert_eq!(
        call(Method::DELETE, group_uri("rg"), None).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        call(Method::GET, group_uri("rg"), None).await,
        StatusCode::OK
    );
    *now.lock().unwrap() += time::Duration::seconds(6);
    assert_eq!(
        call(Method::GET, group_uri("rg"), None).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn writes_into_a_deleting_group_are_refused() {
    let emu = Emu::new();
    emu.factory("rg", "fac-x").await;
    emu.delete(&group_uri("rg")).await;
    let answer = emu
        .put(
            &format!("{}?{ADF}", factory_path("rg", "fac-y")),
            json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "ResourceGroupBeingDeleted");
}

// ---------------- factories ----------------

#[tokio::test]
async fn factory_crud_status_codes_and_shape() {
    let emu = Emu::new();
    let path = emu.factory("rg", "DianesDF").await;
    let got = emu.get(&format!("{path}?{ADF}")).await;
    assert_eq!(got.status, StatusCode::OK);
    let body = &got.body;
    assert_eq!(body["name"], "DianesDF");
    assert_eq!(body["id"], path);
    assert_eq!(body["type"], "Microsoft.DataFactory/factories");
    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(body["properties"]["version"], "2018-06-01");
    assert_eq!(
        body["properties"]["createTime"],
        "2026-01-02T03:04:05.5000000Z"
    );
    assert_eq!(body["tags"], json!({}));
    let etag = body["eTag"].as_str().unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "factory eTag is quoted: {etag}"
    );
    assert!(body.get("etag").is_none());
    let patched = emu
        .call(
            Method::PATCH,
            &format!("{path}?{ADF}"),
            Some(json!({"tags": {"k": "v"}})),
            &[],
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["tags"]["k"], "v");
    assert_ne!(patched.body["eTag"], body["eTag"]);
    assert_eq!(
        emu.delete(&format!("{path}?{ADF}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        emu.delete(&format!("{path}?{ADF}")).await.status,
        StatusCode::NO_CONTENT
    );
    let missing = emu.get(&format!("{path}?{ADF}")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "ResourceNotFound");
    assert!(
        missing.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.DataFactory/factories/DianesDF")
    );
}

#[tokio::test]
async fn factory_put_into_a_missing_group_is_resource_group_not_found() {
    let emu = Emu::new();
    let answer = emu
        .put(
            &format!("{}?{ADF}", factory_path("ghost", "fac")),
            json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "ResourceGroupNotFound");
    assert_eq!(
        answer.body["error"]["message"],
        "Resource group 'ghost' could not be found."
    );
}

#[tokio::test]
async fn factory_names_are_global_and_checked() {
    let emu = Emu::new();
    emu.factory("rg1", "shared-name").await;
    emu.put(&group_uri("rg2"), json!({"location": "eastus"}))
        .await;
    let clash = emu
        .put(
            &format!("{}?{ADF}", factory_path("rg2", "Shared-Name")),
            json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.code(), "DataFactoryNameInUse");
    let invalid = emu
        .put(
            &format!("{}?{ADF}", factory_path("rg2", "a--b")),
            json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn factory_lists_by_group_and_subscription() {
    let emu = Emu::new();
    emu.factory("rg1", "fac-a").await;
    emu.factory("rg2", "fac-b").await;
    let by_group = emu.get(&format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.DataFactory/factories?{ADF}")).await;
    assert_eq!(by_group.body["value"].as_array().unwrap().len(), 1);
    let all = emu
        .get(&format!(
            "/subscriptions/{SUB}/providers/Microsoft.DataFactory/factories?{ADF}"
        ))
        .await;
    let names: Vec<&str> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fac-a", "fac-b"]);
}

#[tokio::test]
async fn system_assigned_identity_gains_principal_and_tenant() {
    let emu = Emu::new();
    emu.put(&group_uri("rg"), json!({"location": "eastus"}))
        .await;
    let answer = emu
        .put(
            &format!("{}?{ADF}", factory_path("rg", "fac-id")),
            json!({"location": "eastus", "identity": {"type": "SystemAssigned"}}),
        )
        .await;
    assert!(answer.body["identity"]["principalId"].is_string());
    assert!(answer.body["identity"]["tenantId"].is_string());
}

// ---------------- child entities ----------------

#[tokio::test]
async fn child_entities_have_ids_names_types_and_unquoted_etags() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let cases = [
        (
            "linkedservices/ls1",
            ls_body(),
            "linkedservices",
            "Microsoft.DataFactory/factories/linkedservices",
        ),
        (
            "datasets/ds1",
            ds_body("ls1"),
            "datasets",
            "Microsoft.DataFactory/factories/datasets",
        ),
        (
            "pipelines/p1",
            pipeline_body(Some("ds1")),
            "pipelines",
            "Microsoft.DataFactory/factories/pipelines",
        ),
        (
            "triggers/t1",
            trigger_body("p1"),
            "triggers",
            "Microsoft.DataFactory/factories/triggers",
        ),
        (
            "dataflows/df1",
            json!({"properties": {"type": "MappingDataFlow"}}),
            "dataflows",
            "Microsoft.DataFactory/factories/dataflows",
        ),
        (
            "integrationRuntimes/ir-1",
            json!({"properties": {"type": "SelfHosted"}}),
            "integrationruntimes",
            "Microsoft.DataFactory/factories/integrationruntimes",
        ),
        (
            "globalParameters/default",
            json!({"properties": {"w": {"type": "Int", "value": 5}}}),
            "globalParameters",
            "Microsoft.DataFactory/factories/globalParameters",
        ),
    ];
    for (path, body, collection, kind_type) in cases {
        let put = emu.put(&format!("{f}/{path}?{ADF}"), body).await;
        assert_eq!(put.status, StatusCode::OK, "{path}: {}", put.text);
        let name = path.rsplit('/').next().unwrap();
        assert_eq!(put.body["id"], format!("{f}/{collection}/{name}"));
        assert_eq!(put.body["name"], name);
        assert_eq!(put.body["type"], kind_type);
        let etag = put.body["etag"].as_str().unwrap();
        assert!(!etag.starts_with('"'), "child etags are unquoted");
        assert!(put.body.get("eTag").is_none());
        let got = emu.get(&format!("{f}/{path}?{ADF}")).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body["etag"], etag);
    }
}

#[tokio::test]
async fn child_etags_change_on_every_write() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let uri = format!("{f}/pipelines/p?{ADF}");
    let first = emu.put(&uri, pipeline_body(None)).await.body["etag"].clone();
    let second = emu.put(&uri, pipeline_body(None)).await.body["etag"].clone();
    assert_ne!(first, second);
}

#[tokio::test]
async fn child_get_missing_is_404_and_delete_is_200_then_204() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    assert_eq!(
        emu.get(&format!("{f}/pipelines/nope?{ADF}")).await.status,
        StatusCode::NOT_FOUND
    );
    emu.put(&format!("{f}/pipelines/p?{ADF}"), pipeline_body(None))
        .await;
    assert_eq!(
        emu.delete(&format!("{f}/pipelines/p?{ADF}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        emu.delete(&format!("{f}/pipelines/p?{ADF}")).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn child_put_into_a_missing_factory_is_resource_not_found() {
    let emu = Emu::new();
    emu.put(&group_uri("rg"), json!({"location": "eastus"}))
        .await;
    let answer = emu
        .put(
            &format!("{}/pipelines/p?{ADF}", factory_path("rg", "ghost")),
            pipeline_body(None),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "ResourceNotFound");
}

#[tokio::test]
async fn if_match_is_honoured_with_or_without_quotes() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let uri = format!("{f}/pipelines/p?{ADF}");
    let etag = emu.put(&uri, pipeline_body(None)).await.body["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    let stale = emu
        .call(
            Method::PUT,
            &uri,
            Some(pipeline_body(None)),
            &[("if-match", "\"00000000-0000-0000-0000-000000000000\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let quoted = format!("\"{etag}\"");
    let ok = emu
        .call(
            Method::PUT,
            &uri,
            Some(pipeline_body(None)),
            &[("if-match", quoted.as_str())],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let new_etag = ok.body["etag"].as_str().unwrap().to_owned();
    let bare = emu
        .call(
            Method::PUT,
            &uri,
            Some(pipeline_body(None)),
            &[("if-match", new_etag.as_str())],
        )
        .await;
    assert_eq!(bare.status, StatusCode::OK);
    let star = emu
        .call(
            Method::PUT,
            &uri,
            Some(pipeline_body(None)),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(star.status, StatusCode::OK);
    // Factories too (quoted eTag).
    let fac = emu.get(&format!("{f}?{ADF}")).await;
    let fac_etag = fac.body["eTag"].as_str().unwrap().to_owned();
    let fac_ok = emu
        .call(
            Method::PUT,
            &format!("{f}?{ADF}"),
            Some(json!({"location": "East US"})),
            &[("if-match", fac_etag.as_str())],
        )
        .await;
    assert_eq!(fac_ok.status, StatusCode::OK);
    let fac_stale = emu
        .call(
            Method::PUT,
            &format!("{f}?{ADF}"),
            Some(json!({"location": "East US"})),
            &[("if-match", fac_etag.as_str())],
        )
        .await;
    assert_eq!(fac_stale.status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn if_none_match_gives_304_without_a_body() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let uri = format!("{f}/pipelines/p?{ADF}");
    let etag = emu.put(&uri, pipeline_body(None)).await.body["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    let cached = emu
        .call(Method::GET, &uri, None, &[("if-none-match", etag.as_str())])
        .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.text.is_empty());
    let other = emu
        .call(Method::GET, &uri, None, &[("if-none-match", "other")])
        .await;
    assert_eq!(other.status, StatusCode::OK);
    let fac_etag = emu.get(&format!("{f}?{ADF}")).await.body["eTag"]
        .as_str()
        .unwrap()
        .to_owned();
    let fac = emu
        .call(
            Method::GET,
            &format!("{f}?{ADF}"),
            None,
            &[("if-none-match", fac_etag.as_str())],
        )
        .await;
    assert_eq!(fac.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn secrets_are_masked_and_linked_services_gain_encrypted_credential() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let put = emu
        .put(&format!("{f}/linkedservices/ls?{ADF}"), ls_body())
        .await;
    for answer in [put, emu.get(&format!("{f}/linkedservices/ls?{ADF}")).await] {
        assert!(!answer.text.contains("hunter2"), "{}", answer.text);
        let tp = &answer.body["properties"]["typeProperties"];
        assert_eq!(tp["connectionString"]["value"], "**********");
        assert_eq!(tp["connectionString"]["type"], "SecureString");
        assert!(tp["encryptedCredential"].is_string());
    }
    let list = emu.get(&format!("{f}/linkedservices?{ADF}")).await;
    assert!(!list.text.contains("hunter2"));
    assert_eq!(
        list.body["value"][0]["properties"]["typeProperties"]["connectionString"]["value"],
        "**********"
    );
    // Without secrets, no encryptedCredential.
    let plain = emu.put(&format!("{f}/linkedservices/kv?{ADF}"), json!({"properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://kv.vault.azure.net"}}})).await;
    assert!(
        plain.body["properties"]["typeProperties"]
            .get("encryptedCredential")
            .is_none()
    );
}

#[tokio::test]
async fn names_and_paths_match_case_insensitively_and_keep_casing() {
    let emu = Emu::new();
    let f = emu.factory("MyRG", "MyFactory").await;
    emu.put(
        &format!("{f}/pipelines/CopyData?{ADF}"),
        pipeline_body(None),
    )
    .await;
    let lower = format!(
        "/subscriptions/{SUB}/resourcegroups/myrg/providers/microsoft.datafactory/factories/myfactory/PIPELINES/copydata?{ADF}"
    );
    let got = emu.get(&lower).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["name"], "CopyData");
    assert!(got.body["id"].as_str().unwrap().contains("/MyRG/"));
    // A second PUT with other casing updates the same entity.
    emu.put(&lower, pipeline_body(None)).await;
    let list = emu.get(&format!("{f}/pipelines?{ADF}")).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["value"][0]["name"], "CopyData");
}

#[tokio::test]
async fn lists_page_with_an_absolute_next_link() {
    let emu = Emu::with(|c| c.page_size = 2);
    let f = emu.factory("rg", "fac").await;
    for i in 0..5 {
        emu.put(&format!("{f}/pipelines/p{i}?{ADF}"), pipeline_body(None))
            .await;
    }
    let mut uri = format!("{f}/pipelines?{ADF}");
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let page = emu.get(&uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        pages += 1;
        for item in page.body["value"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_owned());
        }
        match page.body["nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with("http://127.0.0.1:4000/"), "{next}");
                assert!(
                    next.contains("api-version=2018-06-01") && next.contains("%24skipToken="),
                    "{next}"
                );
                uri = next.trim_start_matches("http://127.0.0.1:4000").to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
}

// ---------------- ADF rules ----------------

#[tokio::test]
async fn references_must_exist_on_put() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let dataset = emu
        .put(&format!("{f}/datasets/ds?{ADF}"), ds_body("MissingLS"))
        .await;
    assert_eq!(dataset.status, StatusCode::BAD_REQUEST);
    assert_eq!(dataset.code(), "BadRequest");
    assert_eq!(
        dataset.body["error"]["message"],
        "The document creation or update failed because of invalid reference 'missingls'."
    );
    let pipeline = emu
        .put(
            &format!("{f}/pipelines/p?{ADF}"),
            pipeline_body(Some("nods")),
        )
        .await;
    assert_eq!(pipeline.status, StatusCode::BAD_REQUEST);
    let trigger = emu
        .put(&format!("{f}/triggers/t?{ADF}"), trigger_body("nopipe"))
        .await;
    assert_eq!(trigger.status, StatusCode::BAD_REQUEST);
    // The built-in runtime needs no definition.
    let mut with_ir = ls_body();
    with_ir["properties"]["connectVia"] = json!({"referenceName": "AutoResolveIntegrationRuntime", "type": "IntegrationRuntimeReference"});
    assert_eq!(
        emu.put(&format!("{f}/linkedservices/ls?{ADF}"), with_ir)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        emu.put(&format!("{f}/datasets/ds?{ADF}"), ds_body("LS"))
            .await
            .status,
        StatusCode::OK,
        "references match case-insensitively"
    );
}

#[tokio::test]
async fn a_reference_in_another_case_or_with_non_ascii_letters_still_protects() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    for name in ["kelvin", "größe"] {
        emu.put(&format!("{f}/linkedservices/{name}?{ADF}"), ls_body())
            .await;
    }
    // `\u{212A}` (the Kelvin sign) folds to `k`; `GRÖSSE` is not `größe`, `GRÖßE` is.
    emu.put(&format!("{f}/datasets/d1?{ADF}"), ds_body("\u{212A}ELVIN"))
        .await;
    emu.put(&format!("{f}/datasets/d2?{ADF}"), ds_body("GRÖßE"))
        .await;
    for name in ["kelvin", "gr%C3%B6%C3%9Fe"] {
        let answer = emu
            .delete(&format!("{f}/linkedservices/{name}?{ADF}"))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{name}: {:?}",
            answer.body
        );
    }
}

#[tokio::test]
async fn deleting_a_referenced_entity_fails_with_referenced_by() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    emu.put(&format!("{f}/linkedservices/ls?{ADF}"), ls_body())
        .await;
    emu.put(&format!("{f}/datasets/ds?{ADF}"), ds_body("ls"))
        .await;
    let answer = emu.delete(&format!("{f}/linkedservices/ls?{ADF}")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body["error"]["message"],
        "The document cannot be deleted since it is referenced by ds."
    );
    assert_eq!(
        answer.body["error"]["target"],
        "/Microsoft.DataFactory/factories/fac/linkedservices/ls"
    );
    assert!(answer.body["error"]["details"].is_null());
    assert_eq!(
        emu.delete(&format!("{f}/datasets/ds?{ADF}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        emu.delete(&format!("{f}/linkedservices/ls?{ADF}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn triggers_are_created_stopped_and_refuse_changes_while_started() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    emu.put(&format!("{f}/pipelines/p?{ADF}"), pipeline_body(None))
        .await;
    let uri = format!("{f}/triggers/t?{ADF}");
    let created = emu.put(&uri, trigger_body("p")).await;
    assert_eq!(created.body["properties"]["runtimeState"], "Stopped");
    let start = emu
        .post(&format!("{f}/triggers/t/start?{ADF}"), json!(null))
        .await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.text.is_empty());
    assert_eq!(
        emu.get(&uri).await.body["properties"]["runtimeState"],
        "Started"
    );
    for answer in [
        emu.put(&uri, trigger_body("p")).await,
        emu.delete(&uri).await,
    ] {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.code(), "TriggerEnabledCannotUpdate");
        assert_eq!(
            answer.body["error"]["message"],
            "Cannot update enabled Trigger; the trigger needs to be disabled first. "
        );
    }
    assert_eq!(
        emu.post(&format!("{f}/triggers/t/stop?{ADF}"), json!(null))
            .await
            .status,
        StatusCode::OK
    );
    let updated = emu.put(&uri, trigger_body("p")).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["properties"]["runtimeState"], "Stopped");
    assert_eq!(emu.delete(&uri).await.status, StatusCode::OK);
    assert_eq!(
        emu.post(&format!("{f}/triggers/none/start?{ADF}"), json!(null))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn naming_rules_and_size_limits_are_enforced() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let bad = emu
        .put(
            &format!("{f}/pipelines/bad.name?{ADF}"),
            pipeline_body(None),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let long = "p".repeat(261);
    assert_eq!(
        emu.put(&format!("{f}/pipelines/{long}?{ADF}"), pipeline_body(None))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let bad_ir = emu
        .put(
            &format!("{f}/integrationRuntimes/ir_1?{ADF}"),
            json!({"properties": {"type": "SelfHosted"}}),
        )
        .await;
    assert_eq!(bad_ir.status, StatusCode::BAD_REQUEST);
    let bad_group = emu
        .put(&group_uri("rg."), json!({"location": "eastus"}))
        .await;
    assert_eq!(bad_group.status, StatusCode::BAD_REQUEST);
    let mut big = ls_body();
    big["properties"]["description"] = json!("x".repeat(101 * 1024));
    let too_big = emu.put(&format!("{f}/linkedservices/big?{ADF}"), big).await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    let no_type = emu
        .put(
            &format!("{f}/linkedservices/nt?{ADF}"),
            json!({"properties": {}}),
        )
        .await;
    assert_eq!(no_type.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn api_version_is_required_and_checked() {
    let emu = Emu::new();
    let missing = emu
        .get(&format!("/subscriptions/{SUB}/resourcegroups/rg"))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.code(), "MissingApiVersionParameter");
    assert_eq!(
        missing.body["error"]["message"],
        "The api-version query parameter (?api-version=) is required for all requests."
    );
    let wrong = emu
        .get(&format!(
            "{}?api-version=2017-01-01",
            factory_path("rg", "fac")
        ))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.code(), "InvalidApiVersionParameter");
    assert!(
        wrong.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The api-version '2017-01-01' is invalid. The supported versions are '")
    );
    let adf_on_groups = emu
        .get(&format!("/subscriptions/{SUB}/resourcegroups/rg?{ADF}"))
        .await;
    assert_eq!(adf_on_groups.code(), "InvalidApiVersionParameter");
    for version in ["2021-04-01", "2024-03-01", "2025-03-01"] {
        let ok = emu
            .get(&format!(
                "/subscriptions/{SUB}/resourcegroups?api-version={version}"
            ))
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{version}");
    }
}

#[tokio::test]
async fn authorization_is_required_but_any_bearer_is_accepted() {
    let emu = Emu::new();
    let request = Request::builder()
        .uri(group_uri("rg"))
        .body(Body::empty())
        .unwrap();
    let answer = emu.raw(request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "AuthenticationFailed");
    assert_eq!(
        answer.body["error"]["message"],
        "Authentication failed. The 'Authorization' header is missing."
    );
    assert!(answer.header("x-ms-request-id").is_some());
    let basic = Request::builder()
        .uri(group_uri("rg"))
        .header("authorization", "Basic abc")
        .body(Body::empty())
        .unwrap();
    assert_eq!(emu.raw(basic).await.status, StatusCode::UNAUTHORIZED);
    let any = Request::builder()
        .uri(format!("/subscriptions/{SUB}/resourcegroups?{RES}"))
        .header("authorization", "Bearer anything-at-all")
        .body(Body::empty())
        .unwrap();
    assert_eq!(emu.raw(any).await.status, StatusCode::OK);
}

#[tokio::test]
async fn errors_have_arm_shape_and_responses_carry_arm_headers() {
    let emu = Emu::new();
    let answer = emu
        .call(
            Method::GET,
            &group_uri("none"),
            None,
            &[
                ("x-ms-client-request-id", "client-1"),
                ("x-ms-correlation-request-id", "corr-1"),
            ],
        )
        .await;
    let error = answer.body["error"].as_object().unwrap();
    assert!(error["code"].is_string() && error["message"].is_string());
    assert_eq!(answer.header("x-ms-client-request-id"), Some("client-1"));
    assert_eq!(answer.header("x-ms-correlation-request-id"), Some("corr-1"));
    assert!(uuid::Uuid::parse_str(answer.header("x-ms-request-id").unwrap()).is_ok());
    assert!(
        answer
            .header("x-ms-ratelimit-remaining-subscription-reads")
            .is_some()
    );
    assert!(
        answer.header("retry-after").is_none(),
        "no Retry-After on 4xx other than 429"
    );
    let write = emu
        .put(&group_uri("rg"), json!({"location": "eastus"}))
        .await;
    assert!(
        write
            .header("x-ms-ratelimit-remaining-subscription-writes")
            .is_some()
    );
    let generated = write.header("x-ms-correlation-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok());
    let delete = emu.delete(&group_uri("rg")).await;
    assert!(
        delete
            .header("x-ms-ratelimit-remaining-subscription-deletes")
            .is_some()
    );
    // ADF-service errors carry target and details.
    let f = emu.factory("rg2", "fac").await;
    let adf = emu
        .put(&format!("{f}/datasets/ds?{ADF}"), ds_body("none"))
        .await;
    let adf_error = adf.body["error"].as_object().unwrap();
    assert!(adf_error.contains_key("target") && adf_error.contains_key("details"));
}

#[tokio::test]
async fn unknown_resource_types_are_404() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let answer = emu
        .get(&format!("{f}/privateEndPointConnections?{ADF}"))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "InvalidResourceType");
}

#[tokio::test]
async fn private_endpoints_live_under_their_managed_network() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let endpoint = json!({"properties": {"privateLinkResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st", "groupId": "blob"}});
    // No network yet: neither the endpoint nor the list exists.
    let refused = emu
        .put(
            &format!("{f}/managedVirtualNetworks/default/managedPrivateEndpoints/pe?{ADF}"),
            endpoint.clone(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let network = emu
        .put(
            &format!("{f}/managedVirtualNetworks/default?{ADF}"),
            json!({"properties": {}}),
        )
        .await;
    assert_eq!(network.status, StatusCode::OK);
    assert!(network.body["properties"]["vNetId"].is_string());
    let created = emu
        .put(
            &format!("{f}/managedVirtualNetworks/default/managedPrivateEndpoints/pe?{ADF}"),
            endpoint.clone(),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["name"], "pe");
    assert_eq!(
        created.body["properties"]["connectionState"]["status"],
        "Pending"
    );
    // Same body again: fine; a changed one: refused (no update in place).
    let again = emu
        .put(
            &format!("{f}/managedVirtualNetworks/default/managedPrivateEndpoints/pe?{ADF}"),
            endpoint,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let changed = emu
        .put(
            &format!("{f}/managedVirtualNetworks/default/managedPrivateEndpoints/pe?{ADF}"),
            json!({"properties": {"privateLinkResourceId": "/x", "groupId": "dfs"}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::BAD_REQUEST);
    let listed = emu
        .get(&format!(
            "{f}/managedVirtualNetworks/default/managedPrivateEndpoints?{ADF}"
        ))
        .await;
    assert_eq!(listed.body["value"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_test_api_approves_or_rejects_a_private_endpoint() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let endpoint_uri =
        format!("{f}/managedVirtualNetworks/default/managedPrivateEndpoints/pe?{ADF}");
    let endpoint = json!({"properties": {"privateLinkResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st", "groupId": "blob"}});
    emu.put(
        &format!("{f}/managedVirtualNetworks/default?{ADF}"),
        json!({"properties": {}}),
    )
    .await;
    emu.put(&endpoint_uri, endpoint.clone()).await;
    let missing = emu
        .post(
            &format!("/_emulator/privateEndpoints/approve?factory={f}&name=other"),
            json!({}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let approved = emu
        .post(
            &format!("/_emulator/privateEndpoints/approve?factory={f}&name=pe"),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    let got = emu.get(&endpoint_uri).await;
    assert_eq!(
        got.body["properties"]["connectionState"]["status"],
        "Approved"
    );
    // The same PUT again keeps the approval (it is the target owner's, not the caller's).
    let again = emu.put(&endpoint_uri, endpoint).await;
    assert_eq!(
        again.body["properties"]["connectionState"]["status"],
        "Approved"
    );
    emu.post(
        &format!("/_emulator/privateEndpoints/reject?factory={f}&name=pe"),
        json!({}),
    )
    .await;
    let got = emu.get(&endpoint_uri).await;
    assert_eq!(
        got.body["properties"]["connectionState"]["status"],
        "Rejected"
    );
}

#[tokio::test]
async fn a_change_data_capture_starts_stops_and_reports_its_status() {
    let emu = Emu::new();
    let f = emu.factory("rg", "fac").await;
    let cdc = format!("{f}/adfcdcs/orders");
    let body = json!({"properties": {"SourceConnectionsInfo": [], "TargetConnectionsInfo": [],
        "Policy": {"mode": "Microbatch", "recurrence": {"frequency": "Minute", "interval": 15}}}});
    assert_eq!(
        emu.put(&format!("{cdc}?{ADF}"), body.clone()).await.status,
        StatusCode::OK
    );
    let status = emu.get(&format!("{cdc}/status?{ADF}")).await;
    assert_eq!(
        (status.status, status.body.clone()),
        (StatusCode::OK, json!("Stopped"))
    );
    let started = emu.post(&format!("{cdc}/start?{ADF}"), json!({})).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    assert_eq!(
        emu.get(&format!("{cdc}/status?{ADF}")).await.body,
        json!("Running")
    );
    // The state is not in the resource's body, and a PUT keeps it.
    let got = emu.get(&format!("{cdc}?{ADF}")).await;
    assert_eq!(got.body["properties"], body["properties"]);
    emu.put(&format!("{cdc}?{ADF}"), body).await;
    assert_eq!(
        emu.get(&format!("{cdc}/status?{ADF}")).await.body,
        json!("Running")
    );
    let stopped = emu.post(&format!("{cdc}/stop?{ADF}"), json!({})).await;
    assert_eq!(stopped.status, StatusCode::OK);
    assert_eq!(
        emu.get(&format!("{cdc}/status?{ADF}")).await.body,
        json!("Stopped")
    );
    let missing = emu.get(&format!("{f}/adfcdcs/nope/status?{ADF}")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

// ---------------- runs ----------------

async fn with_pipeline(emu: &Emu) -> String {
    let f = emu.factory("rg", "fac").await;
    let mut body = pipeline_body(None);
    body["properties"]["runDimensions"] =
        json!({"JobId": {"value": "@pipeline().parameters.p", "type": "Expression"}});
    emu.put(&format!("{f}/pipelines/p?{ADF}"), body).await;
    f
}

#[tokio::test]
async fn create_run_returns_a_run_id_and_the_run_is_queued() {
    let emu = Emu::new();
    let f = with_pipeline(&emu).await;
    let created = emu
        .post(
            &format!("{f}/pipelines/p/createRun?{ADF}"),
            json!({"p": "v", "list": ["a.csv"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let run_id = created.body["runId"].as_str().unwrap().to_owned();
    assert_eq!(created.body.as_object().unwrap().len(), 1);
    let run = emu.get(&format!("{f}/pipelineruns/{run_id}?{ADF}")).await;
    assert_eq!(run.status, StatusCode::OK);
    assert_eq!(run.body["status"], "Queued");
    assert_eq!(run.body["pipelineName"], "p");
    assert_eq!(run.body["parameters"]["list"], "[\"a.csv\"]");
    assert_eq!(run.body["parameters"]["p"], "v");
    assert_eq!(run.body["invokedBy"]["name"], "Manual");
    assert!(run.body["runEnd"].is_null() && run.body["durationInMs"].is_null());
    assert_eq!(run.body["runDimension"]["JobId"], "v");
    assert_eq!(
        emu.post(&format!("{f}/pipelines/missing/createRun?{ADF}"), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        emu.get(&format!("{f}/pipelineruns/nope?{ADF}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad_reference = emu
        .post(
            &format!("{f}/pipelines/p/createRun?{ADF}&referencePipelineRunId=bogus"),
            json!({}),
        )
        .await;
    assert_eq!(bad_reference.code(), "ReferencedPipelineRunNotValid");
}

#[tokio::test]
async fn cancel_moves_a_run_to_cancelled() {
    let emu = Emu::new();
    let f = with_pipeline(&emu).await;
    let run_id = emu
        .post(&format!("{f}/pipelines/p/createRun?{ADF}"), json!({}))
        .await
        .body["runId"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancel = emu
        .post(
            &format!("{f}/pipelineruns/{run_id}/cancel?{ADF}&isRecursive=true"),
            json!(null),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK);
    assert!(cancel.text.is_empty());
    let run = emu.get(&format!("{f}/pipelineruns/{run_id}?{ADF}")).await;
    assert_eq!(run.body["status"], "Cancelled");
    assert!(run.body["runEnd"].is_string());
}

#[tokio::test]
async fn query_pipeline_runs_filters_orders_and_pages() {
    let emu = Emu::with(|c| c.run_page_size = 2);
    let f = with_pipeline(&emu).await;
    emu.put(&format!("{f}/pipelines/other?{ADF}"), pipeline_body(None))
        .await;
    for i in 0..3 {
        emu.post(
            &format!("{f}/pipelines/p/createRun?{ADF}"),
            json!({"p": format!("v{i}")}),
        )
        .await;
    }
    emu.post(&format!("{f}/pipelines/other/createRun?{ADF}"), json!({}))
        .await;
    let window = json!({"lastUpdatedAfter": "2026-01-01T00:00:00Z", "lastUpdatedBefore": "2026-01-03T00:00:00Z"});
    let mut filter = window.clone();
    filter["filters"] = json!([{"operand": "PipelineName", "operator": "Equals", "values": ["p"]}]);
    filter["orderBy"] = json!([{"orderBy": "RunStart", "order": "DESC"}]);
    let first = emu
        .post(&format!("{f}/queryPipelineRuns?{ADF}"), filter.clone())
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["value"].as_array().unwrap().len(), 2);
    let token = first.body["continuationToken"].as_str().unwrap().to_owned();
    filter["continuationToken"] = json!(token);
    let second = emu
        .post(&format!("{f}/queryPipelineRuns?{ADF}"), filter)
        .await;
    assert_eq!(second.body["value"].as_array().unwrap().len(), 1);
    assert!(second.body.get("continuationToken").is_none());
    let mut not_p = window.clone();
    not_p["filters"] =
        json!([{"operand": "PipelineName", "operator": "NotEquals", "values": ["p"]}]);
    let others = emu
        .post(&format!("{f}/queryPipelineRuns?{ADF}"), not_p)
        .await;
    assert_eq!(others.body["value"].as_array().unwrap().len(), 1);
    let mut outside = window;
    outside["lastUpdatedAfter"] = json!("2026-01-02T04:00:00Z");
    assert_eq!(
        emu.post(&format!("{f}/queryPipelineRuns?{ADF}"), outside)
            .await
            .body["value"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let missing_window = emu
        .post(&format!("{f}/queryPipelineRuns?{ADF}"), json!({}))
        .await;
    assert_eq!(missing_window.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn query_activity_runs_pages_with_a_continuation_token() {
    let emu = Emu::with(|c| c.run_page_size = 1);
    let f = with_pipeline(&emu).await;
    let run_id = emu
        .post(&format!("{f}/pipelines/p/createRun?{ADF}"), json!({}))
        .await
        .body["runId"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = time::macros::datetime!(2026-01-02 03:04:06 UTC);
    for name in ["a1", "a2"] {
        let record = ActivityRunRecord {
            activity_name: name.into(),
            activity_type: "Wait".into(),
            status: RunStatus::Succeeded,
            start: at,
            end: Some(at + time::Duration::seconds(1)),
            input: json!({}),
            output: json!({}),
            error: None,
            linked_service_name: String::new(),
            retry_attempt: None,
        };
        assert!(
            emu.state
                .add_activity_run(&run_id, &record)
                .unwrap()
                .is_some()
        );
    }
    let window = json!({"lastUpdatedAfter": "2026-01-01T00:00:00Z", "lastUpdatedBefore": "2026-01-03T00:00:00Z"});
    let uri = format!("{f}/pipelineruns/{run_id}/queryActivityruns?{ADF}");
    let first = emu.post(&uri, window.clone()).await;
    assert_eq!(first.body["value"][0]["activityName"], "a1");
    assert_eq!(first.body["value"][0]["durationInMs"], 1000);
    let mut next = window;
    next["continuationToken"] = first.body["continuationToken"].clone();
    let second = emu.post(&uri, next).await;
    assert_eq!(second.body["value"][0]["activityName"], "a2");
    assert!(second.body.get("continuationToken").is_none());
}

#[tokio::test]
async fn executor_hooks_move_runs_along() {
    let emu = Emu::new();
    let f = with_pipeline(&emu).await;
    let run_id = emu
        .post(&format!("{f}/pipelines/p/createRun?{ADF}"), json!({}))
        .await
        .body["runId"]
        .as_str()
        .unwrap()
        .to_owned();
    let queued = emu
        .state
        .pipeline_runs_with_status(RunStatus::Queued)
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].run_id, run_id);
    assert!(
        emu.state
            .set_pipeline_run_status(&run_id, RunStatus::Succeeded, "")
            .unwrap()
    );
    let run = emu.get(&format!("{f}/pipelineruns/{run_id}?{ADF}")).await;
    assert_eq!(run.body["status"], "Succeeded");
    assert_eq!(run.body["durationInMs"], 0);
    assert!(
        emu.state
            .pipeline_runs_with_status(RunStatus::Queued)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn trigger_runs_are_recorded_and_queried() {
    let emu = Emu::new();
    let f = with_pipeline(&emu).await;
    emu.put(&format!("{f}/triggers/t?{ADF}"), trigger_body("p"))
        .await;
    let fired = emu
        .state
        .fire_trigger(SUB, "rg", "fac", "t")
        .unwrap()
        .unwrap();
    let window = json!({"lastUpdatedAfter": "2026-01-01T00:00:00Z", "lastUpdatedBefore": "2026-01-03T00:00:00Z",
        "filters": [{"operand": "TriggerName", "operator": "Equals", "values": ["t"]}]});
    let runs = emu
        .post(&format!("{f}/queryTriggerRuns?{ADF}"), window)
        .await;
    assert_eq!(runs.status, StatusCode::OK);
    let run = &runs.body["value"][0];
    assert_eq!(run["triggerRunId"], fired);
    assert_eq!(run["triggerType"], "ScheduleTrigger");
    let pipeline_run = run["triggeredPipelines"]["p"].as_str().unwrap();
    let started = emu
        .get(&format!("{f}/pipelineruns/{pipeline_run}?{ADF}"))
        .await;
    assert_eq!(started.body["invokedBy"]["name"], "t");
    assert_eq!(started.body["parameters"]["p"], "x");
}

#[tokio::test]
async fn query_triggers_lists_the_factory_triggers() {
    let emu = Emu::new();
    let f = with_pipeline(&emu).await;
    emu.put(&format!("{f}/triggers/t?{ADF}"), trigger_body("p"))
        .await;
    let answer = emu
        .post(&format!("{f}/querytriggers?{ADF}"), json!({}))
        .await;
    assert_eq!(answer.body["value"][0]["name"], "t");
}

// ---------------- knobs ----------------

#[tokio::test]
async fn stats_count_requests_by_method_and_status_without_auth() {
    let emu = Emu::new();
    emu.put(&group_uri("rg"), json!({"location": "eastus"}))
        .await;
    emu.get(&group_uri("rg")).await;
    emu.get(&group_uri("nope")).await;
    let request = Request::builder()
        .uri("/_emulator/stats")
        .body(Body::empty())
        .unwrap();
    let stats = emu.raw(request).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.body["total"], 3);
    assert_eq!(stats.body["byMethod"]["GET"], 2);
    assert_eq!(stats.body["byMethod"]["PUT"], 1);
    assert_eq!(stats.body["byStatus"]["201"], 1);
    assert_eq!(stats.body["byStatus"]["404"], 1);
}

#[tokio::test]
async fn fault_rate_fails_before_taking_effect() {
    let emu = Emu::with(|c| c.fault_rate = 1.0);
    let mut outcomes = std::collections::BTreeSet::new();
    for i in 0..40 {
        let answer = emu
            .put(&group_uri(&format!("rg{i}")), json!({"location": "eastus"}))
            .await;
        outcomes.insert(if answer.dropped {
            "dropped".to_owned()
        } else {
            answer.status.as_str().to_owned()
        });
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(answer.header("retry-after"), Some("1"));
        }
        if answer.status.is_server_error() {
            assert!(answer.header("retry-after").is_none());
        }
    }
    assert_eq!(
        outcomes.into_iter().collect::<Vec<_>>(),
        ["429", "500", "503", "dropped"]
    );
    assert_eq!(emu.state.stats_json()["faultsInjected"], 40);
    assert!(
        emu.state.stats_json()["byStatus"]["dropped"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Nothing took effect.
    let clean = emu.reopen_clean();
    assert_eq!(
        clean
            .get(&format!("/subscriptions/{SUB}/resourcegroups?{RES}"))
            .await
            .body["value"],
        json!([])
    );
}

#[tokio::test]
async fn lost_responses_take_effect() {
    let emu = Emu::with(|c| c.lost_response_rate = 1.0);
    let mut outcomes = std::collections::BTreeSet::new();
    for i in 0..20 {
        let answer = emu
            .put(&group_uri(&format!("rg{i}")), json!({"location": "eastus"}))
            .await;
        outcomes.insert(if answer.dropped {
            "dropped".to_owned()
        } else {
            answer.status.as_str().to_owned()
        });
    }
    assert_eq!(outcomes.into_iter().collect::<Vec<_>>(), ["500", "dropped"]);
    assert_eq!(emu.state.stats_json()["lostResponses"], 20);
    // Every write took effect.
    let clean = emu.reopen_clean();
    let list = clean
        .get(&format!("/subscriptions/{SUB}/resourcegroups?{RES}"))
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn faults_are_deterministic_under_a_seed() {
    let run = || async {
        let emu = Emu::with(|c| c.fault_rate = 0.5);
        let mut seen = Vec::new();
        for i in 0..20 {
            let answer = emu
                .put(&group_uri(&format!("rg{i}")), json!({"location": "eastus"}))
                .await;
            seen.push((answer.status.as_u16(), answer.dropped));
        }
        seen
    };
    let first = run().await;
    assert_eq!(first, run().await);
    assert!(first.iter().any(|(s, d)| *s == 201 && !d) && first.iter().any(|(s, _)| *s != 201));
}

#[tokio::test(start_paused = true)]
async fn throttle_enforces_token_buckets_with_retry_after() {
    let emu = Emu::with(|c| {
        c.throttle = true;
        c.throttle_limits.writes = adf_emulator::BucketLimit {
            burst: 3,
            per_second: 1.0,
        };
    });
    let mut remaining = Vec::new();
    for i in 0..3 {
        let answer = emu
            .put(&group_uri(&format!("rg{i}")), json!({"location": "eastus"}))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED);
        remaining.push(
            answer
                .header("x-ms-ratelimit-remaining-subscription-writes")
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let throttled = emu
        .put(&group_uri("rg9"), json!({"location": "eastus"}))
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.header("retry-after"), Some("1"));
    assert_eq!(throttled.code(), "SubscriptionRequestsThrottled");
    // Reads have their own bucket.
    assert_eq!(emu.get(&group_uri("rg0")).await.status, StatusCode::OK);
    tokio::time::advance(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        emu.put(&group_uri("rg9"), json!({"location": "eastus"}))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(emu.state.stats_json()["throttled"], 1);
}

#[tokio::test(start_paused = true)]
async fn latency_is_added_to_every_request() {
    let emu = Emu::with(|c| c.latency = std::time::Duration::from_millis(250));
    let before = tokio::time::Instant::now();
    emu.get(&format!("/subscriptions/{SUB}/resourcegroups?{RES}"))
        .await;
    assert!(tokio::time::Instant::now() - before >= std::time::Duration::from_millis(250));
}

#[tokio::test]
async fn a_second_emulator_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = adf_emulator::EmulatorState::open(common::config(dir.path())).unwrap();
    let second = adf_emulator::EmulatorState::open(common::config(dir.path())).unwrap_err();
    let message = second.to_string();
    assert!(message.contains("in use by another emulator"), "{message}");
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    drop(first);
    assert!(
        adf_emulator::EmulatorState::open(common::config(dir.path())).is_ok(),
        "released on close"
    );
}

#[tokio::test]
async fn the_store_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let state = adf_emulator::EmulatorState::open(common::config(dir.path())).unwrap();
        let emu_state = state.clone();
        use tower::ServiceExt;
        let request = Request::builder()
            .method(Method::PUT)
            .uri(group_uri("kept"))
            .header("authorization", "Bearer x")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"location":"eastus"}"#))
            .unwrap();
        let response = adf_emulator::router(emu_state)
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let state = adf_emulator::EmulatorState::open(common::config(dir.path())).unwrap();
    use tower::ServiceExt;
    let request = Request::builder()
        .uri(group_uri("KEPT"))
        .header("authorization", "Bearer x")
        .body(Body::empty())
        .unwrap();
    let response = adf_emulator::router(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_huge_page_size_does_not_overflow() {
    let emu = Emu::with(|c| {
        c.page_size = usize::MAX;
        c.run_page_size = usize::MAX;
    });
    let f = with_pipeline(&emu).await;
    let list = emu.get(&format!("{f}/pipelines?{ADF}")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.get("nextLink").is_none());
    emu.post(&format!("{f}/pipelines/p/createRun?{ADF}"), json!({}))
        .await;
    let window = json!({"lastUpdatedAfter": "2026-01-01T00:00:00Z", "lastUpdatedBefore": "2026-01-03T00:00:00Z"});
    let runs = emu
        .post(&format!("{f}/queryPipelineRuns?{ADF}"), window)
        .await;
    assert_eq!(runs.body["value"].as_array().unwrap().len(), 1);
}
