//! Replays the official ARM example responses (../shared/arm-examples) through the client:
//! every real response shape for GET, PUT, PATCH, list, DELETE (with its LRO), HEAD and
//! createRun must be understood, with the request id kept. Skips, saying so, when ../shared
//! is absent.

use std::path::{Path, PathBuf};

use adf_arm::{ArmClient, ArmClientOptions, Idempotency};
use serde_json::Value;
use url::Url;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");
const PATH: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Call {
    Get,
    Put,
    Patch,
    List,
    Delete,
    Head,
    CreateRun,
}

fn call_for(name: &str) -> Option<Call> {
    let stem = name.trim_end_matches(".json");
    if stem.ends_with("_IfNoneMatch") {
        return None;
    }
    let call = match stem {
        "GetResourceGroups" | "ResourceGroups_Get" => Call::Get,
        "CreateResourceGroup" => Call::Put,
        "UpdateResourceGroups" | "Factories_Update" => Call::Patch,
        "ListResourceGroups" | "ListResources" => Call::List,
        "CheckExistenceResourceGroups" => Call::Head,
        "ForceDeleteVMsInResourceGroup" | "ForceDeleteVMsAndVMSSInResourceGroup" => Call::Delete,
        "Pipelines_CreateRun" => Call::CreateRun,
        _ if stem.ends_with("_Get") => Call::Get,
        _ if stem.ends_with("_Create") || stem.ends_with("_CreateOrUpdate") => Call::Put,
        _ if stem.ends_with("_Update") => Call::Put,
        _ if stem.ends_with("_ListByFactory")
            || stem.ends_with("_List")
            || stem.ends_with("_ListByResourceGroup") =>
        {
            Call::List
        }
        _ if stem.ends_with("_Delete") => Call::Delete,
        _ => return None,
    };
    Some(call)
}

fn template(status: u16, response: &Value, server: &str) -> ResponseTemplate {
    let mut template = ResponseTemplate::new(status);
    if let Some(headers) = response.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            let value = value.as_str().unwrap_or_default();
            // Operation links point at management.azure.com; serve them from the mock instead.
            let value = value.replace("https://management.azure.com", server);
            let value = if name.eq_ignore_ascii_case("retry-after") {
                "0".to_string()
            } else {
                value
            };
            template = template.insert_header(name.as_str(), value.as_str());
        }
    }
    match response.get("body") {
        Some(body) if !body.is_null() => template.set_body_json(body),
        _ => template,
    }
}

async fn replay(file: &Path, call: Call) -> usize {
    let example: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("json");
    let responses = example["responses"].as_object().expect("responses");
    let mut checked = 0;
    for (status, response) in responses {
        let Ok(status) = status.parse::<u16>() else {
            continue;
        };
        if status == 304 {
            continue; // only with If-None-Match, which the client does not send
        }
        if status == 202 {
            // DELETE: replayed together with its final 200 below. Others (debug sessions)
            // are operations this client does not start.
            continue;
        }
        let server = MockServer::start().await;
        let uri = server.uri();
        if call == Call::Delete {
            if let Some(accepted) = responses.get("202") {
                Mock::given(wiremock::matchers::method("DELETE"))
                    .respond_with(template(202, accepted, &uri))
                    .mount(&server)
                    .await;
                Mock::given(wiremock::matchers::method("GET"))
                    .respond_with(template(status, response, &uri))
                    .mount(&server)
                    .await;
            } else {
                Mock::given(wiremock::matchers::any())
                    .respond_with(template(status, response, &uri))
                    .mount(&server)
                    .await;
            }
        } else {
            Mock::given(wiremock::matchers::any())
                .respond_with(template(status, response, &uri))
                .mount(&server)
                .await;
        }
        let mut options = ArmClientOptions::new(Url::parse(&uri).expect("url"));
        options.retry.max_retries = 0;
        options.timeout = std::time::Duration::from_secs(20);
        options.lro.timeout = std::time::Duration::from_secs(20);
        let client = ArmClient::new(options).expect("client");
        let body = response.get("body").cloned().unwrap_or(Value::Null);
        let request_id = response["headers"]
            .get("x-ms-request-id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let what = format!("{} ({status})", file.display());
        match call {
            Call::Get | Call::Put | Call::Patch => {
                let result = match call {
                    Call::Get => client.get(PATH, "v").await,
                    Call::Put => client.put(PATH, "v", &Value::Null, None).await,
                    _ => client.patch(PATH, "v", &Value::Null, None).await,
                };
                let result = result.unwrap_or_else(|error| panic!("{what}: {error}"));
                assert_eq!(result.body, body, "{what}");
                assert_eq!(result.request_id, request_id, "{what}");
            }
            Call::List => {
                let items = client
                    .list(PATH, "v")
                    .await
                    .unwrap_or_else(|error| panic!("{what}: {error}"));
                let expected = body["value"].as_array().map_or(0, Vec::len);
                assert_eq!(items.len(), expected, "{what}");
            }
            Call::Delete => client
                .delete(PATH, "v")
                .await
                .unwrap_or_else(|error| panic!("{what}: {error}")),
            Call::Head => {
                let exists = client
                    .head_exists(PATH, "v")
                    .await
                    .unwrap_or_else(|error| panic!("{what}: {error}"));
                assert_eq!(exists, status == 204, "{what}");
            }
            Call::CreateRun => {
                let result = client
                    .post(PATH, "v", Some(&Value::Null), Idempotency::NonIdempotent)
                    .await
                    .unwrap_or_else(|error| panic!("{what}: {error}"));
                assert!(result.body["runId"].is_string(), "{what}");
            }
        }
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn every_official_example_response_is_understood() {
    let shared = PathBuf::from(SHARED);
    let roots = [
        shared.join("arm-examples/datafactory"),
        shared.join("arm-examples/resources"),
    ];
    if !roots.iter().all(|root| root.is_dir()) {
        adf_testkit::skip(
            module_path!(),
            &format!("{} not found", shared.join("arm-examples").display()),
        );
        return;
    }
    let mut checked = 0;
    for root in roots {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("read_dir")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            if let Some(call) = call_for(name) {
                checked += replay(&file, call).await;
            }
        }
    }
    println!("replayed {checked} example responses");
    assert!(checked >= 60, "only {checked} example responses replayed");
}
