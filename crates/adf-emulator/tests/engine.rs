//! The run engine, through the router (no socket for the emulator): activities, dependency
//! conditions, retries, cancel, ExecutePipeline, the scheduler on a driven clock, and Copy
//! against a real Azurite (skipped, saying so, when `node_modules` is missing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use adf_emulator::blob::{BlobAccount, BlobClient};
use adf_emulator::{Clock, RunEngine, Scheduler};
use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::running::{Running, WINDOW, named, one, set};

/// The engine tests' pipelines declare two variables and two parameters.
trait Pipelines {
    async fn pipeline(&self, name: &str, activities: Value);
}

impl Pipelines for Running {
    async fn pipeline(&self, name: &str, activities: Value) {
        self.put(
            "pipelines",
            name,
            json!({"activities": activities, "variables": {"v": {"type": "String"}, "list": {"type": "Array"}},
                   "parameters": {"items": {"type": "Array", "defaultValue": []}, "n": {"type": "Int", "defaultValue": 0}}}),
        )
        .await;
    }
}

fn after(mut activity: Value, on: &str, conditions: &[&str]) -> Value {
    activity["dependsOn"] = json!([{"activity": on, "dependencyConditions": conditions}]);
    activity
}

fn fail(name: &str, message: &str) -> Value {
    json!({"name": name, "type": "Fail", "typeProperties": {"message": message, "errorCode": "E42"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_flow_activities_and_expressions() {
    let r = Running::new("enginedf").await;
    r.pipeline(
        "flow",
        json!([
            set("first", "v", json!("@concat('run-', string(pipeline().parameters.n))")),
            {"name": "each", "type": "ForEach", "dependsOn": [{"activity": "first", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"items": "@pipeline().parameters.items", "isSequential": true, "activities": [
                {"name": "append", "type": "AppendVariable", "typeProperties": {"variableName": "list", "value": "@toUpper(item())"}}]}},
            {"name": "keep", "type": "Filter", "dependsOn": [{"activity": "each", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"items": "@variables('list')", "condition": "@not(equals(item(), 'B'))"}},
            {"name": "branch", "type": "IfCondition", "dependsOn": [{"activity": "keep", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"expression": {"value": "@greater(activity('keep').output.FilteredItemsCount, 1)", "type": "Expression"},
                "ifTrueActivities": [set("yes", "v", json!("@{variables('v')} many"))],
                "ifFalseActivities": [set("no", "v", json!("few"))]}},
            {"name": "loop", "type": "Until", "dependsOn": [{"activity": "branch", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"expression": {"value": "@greater(length(variables('list')), 4)", "type": "Expression"}, "timeout": "0.00:01:00",
                "activities": [{"name": "grow", "type": "AppendVariable", "typeProperties": {"variableName": "list", "value": "x"}}]}},
            after(set("last", "v", json!("@{variables('v')}/@{length(variables('list'))}/@{pipeline().RunId}")), "loop", &["Succeeded"]),
            after(json!({"name": "pause", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 0}}), "last", &["Succeeded"]),
        ]),
    )
    .await;
    let (run, activities) = r
        .run("flow", json!({"items": ["a", "b", "c"], "n": 7}))
        .await;
    assert_eq!(run["status"], "Succeeded", "{run:#}");
    let run_id = run["runId"].as_str().unwrap();
    assert_eq!(named(&activities, "append").len(), 3);
    assert_eq!(
        one(&activities, "keep")["output"]["Value"],
        json!(["A", "C"])
    );
    assert_eq!(
        one(&activities, "branch")["output"]["ifExpressionResult"],
        true
    );
    assert_eq!(one(&activities, "yes")["output"]["value"], "run-7 many");
    assert!(named(&activities, "no").is_empty());
    assert_eq!(named(&activities, "grow").len(), 2);
    assert_eq!(
        one(&activities, "last")["output"]["value"],
        format!("run-7 many/5/{run_id}")
    );
    let wait = one(&activities, "pause");
    assert_eq!(wait["status"], "Succeeded");
    assert_eq!(wait["pipelineRunId"], run_id);
    assert!(wait["durationInMs"].is_number() && wait["activityRunEnd"].is_string());
    assert_eq!(wait["error"]["errorCode"], "");
    assert!(run["runEnd"].is_string() && run["durationInMs"].is_number());
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependency_conditions_and_handled_failures() {
    let r = Running::new("enginedf").await;
    r.pipeline(
        "handled",
        json!([
            fail("a", "boom"),
            after(set("onFailed", "v", json!("f")), "a", &["Failed"]),
            after(set("onSucceeded", "v", json!("s")), "a", &["Succeeded"]),
            after(set("onCompleted", "v", json!("c")), "a", &["Completed"]),
            after(
                set("onSkipped", "v", json!("k")),
                "onSucceeded",
                &["Skipped"]
            ),
        ]),
    )
    .await;
    let (run, activities) = r.run("handled", json!({})).await;
    assert_eq!(
        run["status"], "Succeeded",
        "a failure with a Failed path is handled: {run:#}"
    );
    assert_eq!(one(&activities, "a")["status"], "Failed");
    assert_eq!(one(&activities, "a")["error"]["errorCode"], "E42");
    assert_eq!(one(&activities, "a")["error"]["message"], "boom");
    assert_eq!(one(&activities, "onFailed")["status"], "Succeeded");
    assert_eq!(one(&activities, "onCompleted")["status"], "Succeeded");
    assert_eq!(one(&activities, "onSkipped")["status"], "Succeeded");
    assert!(
        named(&activities, "onSucceeded").is_empty(),
        "skipped activities do not run"
    );

    r.pipeline(
        "unhandled",
        json!([
            fail("a", "boom"),
            after(set("next", "v", json!("s")), "a", &["Succeeded"])
        ]),
    )
    .await;
    let (run, activities) = r.run("unhandled", json!({})).await;
    assert_eq!(run["status"], "Failed");
    assert_eq!(run["message"], "Operation on target a failed: boom");
    assert!(named(&activities, "next").is_empty());

    // An inactive activity does not run; its dependents see `onInactiveMarkAs`.
    let mut off = fail("off", "never runs");
    off["state"] = json!("Inactive");
    off["onInactiveMarkAs"] = json!("Succeeded");
    r.pipeline(
        "inactive",
        json!([
            off,
            after(set("next", "v", json!("ran")), "off", &["Succeeded"])
        ]),
    )
    .await;
    let (run, activities) = r.run("inactive", json!({})).await;
    assert_eq!(run["status"], "Succeeded");
    assert!(named(&activities, "off").is_empty());
    assert_eq!(one(&activities, "next")["status"], "Succeeded");

    r.pipeline(
        "unsupported",
        json!([{"name": "web", "type": "DatabricksNotebook", "typeProperties": {"notebookPath": "/x"}}]),
    )
    .await;
    let (run, activities) = r.run("unsupported", json!({})).await;
    assert_eq!(run["status"], "Failed");
    assert_eq!(
        one(&activities, "web")["error"]["message"],
        "not supported by the emulator: DatabricksNotebook"
    );

    r.pipeline(
        "badExpression",
        json!([set("s", "v", json!("@concat('a',"))]),
    )
    .await;
    let (run, activities) = r.run("badExpression", json!({})).await;
    assert_eq!(run["status"], "Failed");
    let message = one(&activities, "s")["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("position"), "{message}");
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_record_one_activity_run_per_attempt() {
    let r = Running::new("enginedf").await;
    let mut flaky = fail("flaky", "still broken");
    flaky["policy"] = json!({"retry": 2, "retryIntervalInSeconds": 0});
    r.pipeline("retry", json!([flaky])).await;
    let (run, activities) = r.run("retry", json!({})).await;
    assert_eq!(run["status"], "Failed");
    let attempts = named(&activities, "flaky");
    assert_eq!(attempts.len(), 3);
    let retry_numbers: Vec<Value> = attempts.iter().map(|a| a["retryAttempt"].clone()).collect();
    assert_eq!(retry_numbers, vec![Value::Null, json!(1), json!(2)]);
    assert!(attempts.iter().all(|a| a["status"] == "Failed"));

    // A retry that ends in success: the Until's body fails on its first attempt only.
    let until = json!({"name": "second", "type": "Until", "policy": {"retry": 1, "retryIntervalInSeconds": 0},
        "typeProperties": {"expression": {"value": "@true", "type": "Expression"}, "activities": [
            {"name": "grow", "type": "AppendVariable", "typeProperties": {"variableName": "list", "value": 1}},
            {"name": "check", "type": "IfCondition", "dependsOn": [{"activity": "grow", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"expression": {"value": "@equals(length(variables('list')), 1)", "type": "Expression"},
                "ifTrueActivities": [fail("failOnce", "first pass")]}}]}});
    r.pipeline("eventually", json!([until])).await;
    let (run, activities) = r.run("eventually", json!({})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    let attempts = named(&activities, "second");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["status"], "Failed");
    assert_eq!(attempts[1]["status"], "Succeeded");
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_run_and_its_child_runs() {
    let r = Running::new("enginedf").await;
    r.pipeline(
        "child",
        json!([{"name": "long", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 600}}]),
    )
    .await;
    r.pipeline(
        "parent",
        json!([{"name": "callChild", "type": "ExecutePipeline", "typeProperties": {
            "pipeline": {"referenceName": "child", "type": "PipelineReference"}, "waitOnCompletion": true}}]),
    )
    .await;
    let run_id = r.start_run("parent", json!({})).await;
    // Wait until the child's Wait is running.
    let deadline = Instant::now() + Duration::from_secs(60);
    let child_id = loop {
        let activities = r.activities(&run_id).await;
        if let Some(call) = activities.first()
            && let Some(child) = r
                .emu
                .post(
                    &format!("{}/queryPipelineRuns?{ADF}", r.factory),
                    json!({"lastUpdatedAfter": "2000-01-01T00:00:00Z", "lastUpdatedBefore": "2100-01-01T00:00:00Z",
                           "filters": [{"operand": "PipelineName", "operator": "Equals", "values": ["child"]}]}),
                )
                .await
                .body["value"]
                .as_array()
                .and_then(|runs| runs.first().cloned())
            && !r.activities(child["runId"].as_str().unwrap()).await.is_empty()
        {
            assert_eq!(call["status"], "InProgress");
            break child["runId"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "the child run did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let cancelled = r
        .emu
        .post(
            &format!("{}/pipelineruns/{run_id}/cancel?{ADF}", r.factory),
            json!({}),
        )
        .await;
    assert!(cancelled.status.is_success());
    let run = r.wait(&run_id).await;
    assert_eq!(run["status"], "Cancelled");
    let child = r.wait(&child_id).await;
    assert_eq!(child["status"], "Cancelled");
    assert_eq!(child["invokedBy"]["invokedByType"], "PipelineActivity");
    // The activity runs are closed as Cancelled (the engine does so when the task stops).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let activities = r.activities(&child_id).await;
        if activities.iter().all(|a| a["status"] == "Cancelled") {
            break;
        }
        assert!(Instant::now() < deadline, "{activities:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_pipeline_passes_parameters_and_reports_the_child() {
    let r = Running::new("enginedf").await;
    r.pipeline(
        "child",
        json!([set("echo", "v", json!("@string(pipeline().parameters.n)"))]),
    )
    .await;
    r.pipeline(
        "parent",
        json!([{"name": "call", "type": "ExecutePipeline", "typeProperties": {
            "pipeline": {"referenceName": "child", "type": "PipelineReference"},
            "parameters": {"n": "@add(pipeline().parameters.n, 1)"}, "waitOnCompletion": true}}]),
    )
    .await;
    let (run, activities) = r.run("parent", json!({"n": 41})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    let call = one(&activities, "call");
    let child_id = call["output"]["pipelineRunId"].as_str().unwrap();
    let child = r.wait(child_id).await;
    assert_eq!(child["status"], "Succeeded");
    assert_eq!(child["parameters"]["n"], "42");
    assert_eq!(
        one(&r.activities(child_id).await, "echo")["output"]["value"],
        "42"
    );
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreach_runs_batches_in_parallel() {
    let r = Running::with("enginedf", |c| c.clock = Clock::system()).await;
    r.pipeline(
        "fan",
        json!([{"name": "each", "type": "ForEach", "typeProperties": {
            "items": "@pipeline().parameters.items", "batchCount": 4, "activities": [
                {"name": "nap", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 3}}]}}]),
    )
    .await;
    let (run, activities) = r.run("fan", json!({"items": [1, 2, 3, 4]})).await;
    assert_eq!(run["status"], "Succeeded");
    let naps = named(&activities, "nap");
    assert_eq!(naps.len(), 4);
    // Parallel: some nap started before another one ended (sequential naps never overlap;
    // 3 s naps leave room for a slow scheduler).
    let time = |a: &Value, key: &str| {
        time::OffsetDateTime::parse(
            a[key].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let overlap = naps.iter().any(|a| {
        naps.iter().any(|b| {
            a["activityRunId"] != b["activityRunId"]
                && time(a, "activityRunStart") < time(b, "activityRunEnd")
                && time(b, "activityRunStart") < time(a, "activityRunEnd")
        })
    });
    assert!(overlap, "{naps:#?}");
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_progress_at_restart_is_marked_failed() {
    let r = Running::new("enginedf").await;
    r.pipeline(
        "long",
        json!([{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 600}}]),
    )
    .await;
    let run_id = r.start_run("long", json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while r.get_run(&run_id).await["status"] != "InProgress" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let emu = r.stop().await.reopen_clean();
    let engine = RunEngine::start(&emu.state);
    let path = factory_path("rg", "enginedf");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run = emu
            .get(&format!("{path}/pipelineruns/{run_id}?{ADF}"))
            .await
            .body;
        if run["status"] == "Failed" {
            assert!(
                run["message"]
                    .as_str()
                    .unwrap()
                    .contains("emulator stopped"),
                "{run:#}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{run:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_schedule_triggers_fire_on_the_clock() {
    let now = Arc::new(Mutex::new(time::macros::datetime!(2026-03-01 10:00:30 UTC)));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || *now.lock().unwrap())
    };
    let emu = Emu::with(|c| c.clock = clock);
    let f = emu.factory("rg", "enginedf").await;
    let put = |kind: &'static str, name: &'static str, body: Value| {
        let emu = &emu;
        let f = f.clone();
        async move {
            let answer = emu
                .put(
                    &format!("{f}/{kind}/{name}?{ADF}"),
                    json!({"properties": body}),
                )
                .await;
            assert!(answer.status.is_success(), "{}", answer.text);
        }
    };
    put(
        "pipelines",
        "p",
        json!({"activities": [], "parameters": {"when": {"type": "String"}}}),
    )
    .await;
    put("triggers", "every15", json!({"type": "ScheduleTrigger",
        "typeProperties": {"recurrence": {"frequency": "Minute", "interval": 15, "startTime": "2026-03-01T09:00:00Z", "timeZone": "UTC"}},
        "pipelines": [{"pipelineReference": {"referenceName": "p", "type": "PipelineReference"},
                       "parameters": {"when": "@trigger().scheduledTime"}}]})).await;
    put("triggers", "stopped", json!({"type": "ScheduleTrigger",
        "typeProperties": {"recurrence": {"frequency": "Minute", "interval": 1, "startTime": "2026-03-01T09:00:00Z"}},
        "pipelines": [{"pipelineReference": {"referenceName": "p", "type": "PipelineReference"}}]})).await;
    assert!(
        emu.post(&format!("{f}/triggers/every15/start?{ADF}"), json!({}))
            .await
            .status
            .is_success()
    );

    let mut scheduler = Scheduler::new();
    assert!(
        scheduler.tick(&emu.state).is_empty(),
        "no backfill on first sight"
    );
    *now.lock().unwrap() = time::macros::datetime!(2026-03-01 10:14:59 UTC);
    assert!(scheduler.tick(&emu.state).is_empty());
    *now.lock().unwrap() = time::macros::datetime!(2026-03-01 10:31:00 UTC);
    let fired = scheduler.tick(&emu.state);
    assert_eq!(fired.len(), 2, "10:15 and 10:30");
    let trigger_runs = emu
        .post(
            &format!("{f}/queryTriggerRuns?{ADF}"),
            serde_json::from_str(WINDOW).unwrap(),
        )
        .await
        .body["value"]
        .as_array()
        .cloned()
        .unwrap();
    assert_eq!(trigger_runs.len(), 2);
    assert!(trigger_runs.iter().all(|t| t["triggerName"] == "every15"));
    assert_eq!(
        trigger_runs[0]["properties"]["ScheduleTime"],
        "3/1/2026 10:15:00 AM"
    );
    let runs = emu
        .post(
            &format!("{f}/queryPipelineRuns?{ADF}"),
            serde_json::from_str(WINDOW).unwrap(),
        )
        .await
        .body["value"]
        .as_array()
        .cloned()
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["invokedBy"]["name"], "every15");
    assert_eq!(
        runs[0]["parameters"]["when"],
        "2026-03-01T10:15:00.0000000Z"
    );
    assert_eq!(
        runs[1]["parameters"]["when"],
        "2026-03-01T10:30:00.0000000Z"
    );

    // Stopped: nothing more fires.
    assert!(
        emu.post(&format!("{f}/triggers/every15/stop?{ADF}"), json!({}))
            .await
            .status
            .is_success()
    );
    *now.lock().unwrap() = time::macros::datetime!(2026-03-01 12:00:00 UTC);
    assert!(scheduler.tick(&emu.state).is_empty());
}

// ---------------- Copy against Azurite ----------------

use adf_testkit::Azurite;

/// A Blob client of Azurite's development account.
trait AzuriteClient {
    fn client(&self) -> BlobClient;
}

impl AzuriteClient for Azurite {
    fn client(&self) -> BlobClient {
        let account =
            BlobAccount::from_connection_string("UseDevelopmentStorage=true", &self.endpoint())
                .unwrap();
        BlobClient::new(reqwest::Client::new(), account)
    }
}

async fn download(client: &BlobClient, container: &str, blob: &str) -> Vec<u8> {
    let mut response = client.get(container, blob).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        out.extend_from_slice(&chunk);
    }
    out
}

fn copy_activity(name: &str, input: Value, output: Value, source: Value) -> Value {
    json!({"name": name, "type": "Copy", "inputs": [input], "outputs": [output],
           "typeProperties": {"source": source, "sink": {"type": "BinarySink"}}})
}

fn ds(name: &str) -> Value {
    json!({"referenceName": name, "type": "DatasetReference"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_between_blob_stores_through_azurite() {
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    let blobs = azurite.client();
    blobs.create_container("source").await.unwrap();
    let input = b"Hello, Azurite!!\r\n".to_vec();
    blobs
        .put_blob("source", "input/input.txt", input.clone())
        .await
        .unwrap();
    let csv = b"id,name\n1,a\n2,b\n3,c".to_vec();
    blobs
        .put_blob("source", "csv/2026/01/a.csv", csv.clone())
        .await
        .unwrap();
    blobs
        .put_blob("source", "csv/2026/02/b.csv", csv.clone())
        .await
        .unwrap();
    blobs
        .put_blob("source", "csv/2026/02/notes.txt", b"x".to_vec())
        .await
        .unwrap();
    // Bigger than one block, to go through Put Block / Put Block List.
    let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    blobs
        .put_blob("source", "big/big.bin", big.clone())
        .await
        .unwrap();

    let endpoint = azurite.endpoint();
    let r = Running::with("enginedf", |c| {
        c.development_blob_endpoint = endpoint.clone();
        c.copy_block_size = 64 * 1024;
    })
    .await;
    r.put(
        "linkedservices",
        "dev",
        json!({"type": "AzureStorage", "typeProperties": {
        "connectionString": {"type": "SecureString", "value": "UseDevelopmentStorage=true"}}}),
    )
    .await;
    let explicit = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint={endpoint};"
    );
    r.put(
        "linkedservices",
        "explicit",
        json!({"type": "AzureBlobStorage", "typeProperties": {"connectionString": explicit}}),
    )
    .await;
    r.put("linkedservices", "keyed", json!({"type": "AzureBlobStorage", "typeProperties": {
        "serviceEndpoint": endpoint, "accountKey": {"type": "SecureString",
        "value": "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="}}})).await;
    r.put(
        "linkedservices",
        "sas",
        json!({"type": "AzureBlobStorage", "typeProperties": {
        "sasUri": {"type": "SecureString", "value": format!("{endpoint}?{}", account_sas())}}}),
    )
    .await;
    let ls = |name: &str| json!({"referenceName": name, "type": "LinkedServiceReference"});
    r.put(
        "datasets",
        "legacyIn",
        json!({"type": "AzureBlob", "linkedServiceName": ls("dev"),
        "typeProperties": {"folderPath": "source/input", "fileName": "input.txt"}}),
    )
    .await;
    r.put(
        "datasets",
        "legacyOut",
        json!({"type": "AzureBlob", "linkedServiceName": ls("explicit"),
        "typeProperties": {"folderPath": "sink/legacy"}}),
    )
    .await;
    r.put("datasets", "binFolder", json!({"type": "Binary", "linkedServiceName": ls("keyed"),
        "parameters": {"folder": {"type": "String"}},
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "source", "folderPath": {"value": "@dataset().folder", "type": "Expression"}}}})).await;
    r.put("datasets", "binOut", json!({"type": "Binary", "linkedServiceName": ls("dev"),
        "parameters": {"folder": {"type": "String"}},
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "sink", "folderPath": {"value": "@dataset().folder", "type": "Expression"}}}})).await;
    r.put("datasets", "csvIn", json!({"type": "DelimitedText", "linkedServiceName": ls("dev"),
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "source", "folderPath": "csv"},
                           "columnDelimiter": ",", "firstRowAsHeader": true}})).await;
    r.put("datasets", "csvOut", json!({"type": "DelimitedText", "linkedServiceName": ls("dev"),
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "sink", "folderPath": "csv", "fileName": "merged-name.csv"},
                           "columnDelimiter": ",", "firstRowAsHeader": true}})).await;
    r.put(
        "datasets",
        "missing",
        json!({"type": "AzureBlob", "linkedServiceName": ls("dev"),
        "typeProperties": {"folderPath": "source/nowhere", "fileName": "input.txt"}}),
    )
    .await;

    // Single file, legacy datasets, sink without a file name keeps the source name.
    r.pipeline(
        "single",
        json!([copy_activity(
            "copy",
            ds("legacyIn"),
            ds("legacyOut"),
            json!({"type": "BlobSource"})
        )]),
    )
    .await;
    let (run, activities) = r.run("single", json!({})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    let output = &one(&activities, "copy")["output"];
    assert_eq!(output["dataRead"], input.len());
    assert_eq!(output["dataWritten"], input.len());
    assert_eq!(output["filesRead"], 1);
    assert_eq!(output["filesWritten"], 1);
    for field in [
        "copyDuration",
        "throughput",
        "sourcePeakConnections",
        "sinkPeakConnections",
        "usedDataIntegrationUnits",
        "usedParallelCopies",
    ] {
        assert!(output[field].is_number(), "{field} in {output:#}");
    }
    assert!(output["effectiveIntegrationRuntime"].is_string());
    assert!(output["executionDetails"][0]["detailedDurations"].is_object());
    assert!(
        output.get("rowsRead").is_none(),
        "no rows for binary copies"
    );
    assert_eq!(download(&blobs, "sink", "legacy/input.txt").await, input);

    // Folder copy (parameterised datasets), hierarchy preserved, several blocks.
    let mut folder = copy_activity(
        "folder",
        json!({"referenceName": "binFolder", "type": "DatasetReference", "parameters": {"folder": "big"}}),
        json!({"referenceName": "binOut", "type": "DatasetReference", "parameters": {"folder": "@concat('copied-', 'big')"}}),
        json!({"type": "BinarySource", "storeSettings": {"type": "AzureBlobStorageReadSettings", "recursive": true}}),
    );
    folder["typeProperties"]["sink"] =
        json!({"type": "BinarySink", "storeSettings": {"type": "AzureBlobStorageWriteSettings"}});
    r.pipeline("folder", json!([folder])).await;
    let (run, activities) = r.run("folder", json!({})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    assert_eq!(one(&activities, "folder")["output"]["dataRead"], big.len());
    assert_eq!(download(&blobs, "sink", "copied-big/big.bin").await, big);

    // Wildcards on a DelimitedText source: rows counted without the header; the files are
    // parsed and written again with the sink's settings (rows end with "\r\n" when written).
    r.put("datasets", "csvFlat", json!({"type": "DelimitedText", "linkedServiceName": ls("dev"),
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "sink", "folderPath": "flat"},
                           "firstRowAsHeader": true}})).await;
    let wildcard = json!({"name": "csv", "type": "Copy", "inputs": [ds("csvIn")], "outputs": [ds("csvFlat")],
        "typeProperties": {"source": {"type": "DelimitedTextSource", "storeSettings": {"type": "AzureBlobStorageReadSettings",
            "recursive": true, "wildcardFolderPath": "csv/2026/*", "wildcardFileName": "*.csv"}},
            "sink": {"type": "DelimitedTextSink", "storeSettings": {"copyBehavior": "FlattenHierarchy"}}}});
    r.pipeline("wildcard", json!([wildcard])).await;
    let (run, activities) = r.run("wildcard", json!({})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    let output = &one(&activities, "csv")["output"];
    assert_eq!(output["filesRead"], 2);
    assert_eq!(output["dataRead"], 2 * csv.len());
    assert_eq!(output["rowsRead"], 6);
    assert_eq!(output["rowsCopied"], 6);
    let rewritten = b"id,name\r\n1,a\r\n2,b\r\n3,c\r\n";
    assert_eq!(download(&blobs, "sink", "flat/a.csv").await, rewritten);
    assert_eq!(download(&blobs, "sink", "flat/b.csv").await, rewritten);

    // A sink file name with one source file renames it.
    r.put("datasets", "oneCsv", json!({"type": "DelimitedText", "linkedServiceName": ls("dev"),
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "source", "folderPath": "csv/2026/01", "fileName": "a.csv"}, "firstRowAsHeader": false}})).await;
    r.pipeline(
        "rename",
        json!([copy_activity(
            "rename",
            ds("oneCsv"),
            ds("csvOut"),
            json!({"type": "DelimitedTextSource"})
        )]),
    )
    .await;
    let (run, activities) = r.run("rename", json!({})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    assert_eq!(one(&activities, "rename")["output"]["rowsRead"], 4);
    // Without a header the source's columns are Prop_0, Prop_1; the sink writes them as its
    // header.
    assert_eq!(
        download(&blobs, "sink", "csv/merged-name.csv").await,
        b"Prop_0,Prop_1\r\nid,name\r\n1,a\r\n2,b\r\n3,c\r\n"
    );

    // A SAS linked service (account SAS signed with Azurite's key) on both sides.
    r.put("datasets", "sasIn", json!({"type": "Binary", "linkedServiceName": ls("sas"),
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "source", "folderPath": "input", "fileName": "input.txt"}}})).await;
    r.put("datasets", "sasOut", json!({"type": "Binary", "linkedServiceName": ls("sas"),
        "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "sink", "folderPath": "via-sas"}}})).await;
    r.pipeline(
        "sas",
        json!([copy_activity(
            "copy",
            ds("sasIn"),
            ds("sasOut"),
            json!({"type": "BinarySource"})
        )]),
    )
    .await;
    let (run, activities) = r.run("sas", json!({})).await;
    assert_eq!(run["status"], "Succeeded", "{activities:#?}");
    assert_eq!(download(&blobs, "sink", "via-sas/input.txt").await, input);

    // A missing source blob fails with ADF's error.
    r.pipeline(
        "missing",
        json!([copy_activity(
            "copy",
            ds("missing"),
            ds("legacyOut"),
            json!({"type": "BlobSource"})
        )]),
    )
    .await;
    let (run, activities) = r.run("missing", json!({})).await;
    assert_eq!(run["status"], "Failed");
    let error = &one(&activities, "copy")["error"];
    assert_eq!(error["errorCode"], "2200");
    assert_eq!(error["failureType"], "UserError");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("ErrorCode=UserErrorSourceBlobNotExist"),
        "{message}"
    );
    assert!(
        message.contains("BlobPrefix: nowhere/input.txt"),
        "{message}"
    );
    assert!(message.contains("ContainerExist: True"), "{message}");
    assert!(
        run["message"]
            .as_str()
            .unwrap()
            .starts_with("Operation on target copy failed: Failure happened on 'Source' side.")
    );

    // Secrets never leave through the activity runs.
    for activity in r.activities(run["runId"].as_str().unwrap()).await {
        assert!(!activity.to_string().contains("Eby8vdM02x"), "{activity}");
    }
    r.stop().await;
}

/// An account SAS (blob service, all resource types, read/write/list/create) signed with
/// Azurite's documented development key.
fn account_sas() -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
        .unwrap();
    let (permissions, services, types, expiry, version) =
        ("rwdlac", "b", "sco", "2099-01-01T00:00:00Z", "2021-08-06");
    let to_sign = format!(
        "devstoreaccount1\n{permissions}\n{services}\n{types}\n\n{expiry}\n\nhttps,http\n{version}\n\n"
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let encoded: String = signature
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_owned(),
            '/' => "%2F".to_owned(),
            '=' => "%3D".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!(
        "sv={version}&ss={services}&srt={types}&sp={permissions}&se={}&spr=https,http&sig={encoded}",
        expiry.replace(':', "%3A")
    )
}
