//! `adfctl run` against the emulator's run engine, with real Blob copies through Azurite
//! (started here on a free port from `node_modules/.bin/azurite-blob`; skipped, saying so,
//! when `npm ci` has not installed it).

use crate::support::{EmulatorProcess, text};
use adf_emulator::blob::{BlobAccount, BlobClient};
use std::process::Output;
use std::time::{Duration, Instant};

use adf_testkit::Azurite;

/// What the tests do with Azurite: an emulator pointed at it, and its blobs.
trait AzuriteExt {
    fn emulator(&self) -> EmulatorProcess;
    fn blobs(&self) -> Blobs;
}

impl AzuriteExt for Azurite {
    /// An emulator whose `UseDevelopmentStorage=true` points at this Azurite.
    fn emulator(&self) -> EmulatorProcess {
        EmulatorProcess::start(&["--blob-endpoint", &self.endpoint()])
    }

    fn blobs(&self) -> Blobs {
        let account =
            BlobAccount::from_connection_string("UseDevelopmentStorage=true", &self.endpoint())
                .expect("account");
        Blobs {
            client: BlobClient::connect(account).expect("client"),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        }
    }
}

/// Blocking helpers over the emulator crate's Blob client.
struct Blobs {
    client: BlobClient,
    runtime: tokio::runtime::Runtime,
}

impl Blobs {
    fn upload(&self, container: &str, blob: &str, data: &[u8]) {
        self.runtime.block_on(async {
            self.client
                .create_container(container)
                .await
                .expect("container");
            self.client
                .put_blob(container, blob, data.to_vec())
                .await
                .expect("upload");
        });
    }

    fn download(&self, container: &str, blob: &str) -> Vec<u8> {
        self.runtime.block_on(async {
            let mut response = self.client.get(container, blob).await.expect("download");
            let mut out = Vec::new();
            while let Some(chunk) = response.chunk().await.expect("chunk") {
                out.extend_from_slice(&chunk);
            }
            out
        })
    }
}

const ENV: &[(&str, &str)] = &[
    ("STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"),
    ("NO_COLOR", "1"),
];

fn ok(output: &Output) -> (String, String) {
    let (stdout, stderr) = text(output);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    (stdout, stderr)
}

fn apply(emulator: &EmulatorProcess, spec: &str) {
    ok(&emulator.adfctl(&["apply", "-f", spec, "--auto-approve"], ENV));
}

fn json_run(emulator: &EmulatorProcess, args: &[&str]) -> (Output, serde_json::Value) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let output = emulator.adfctl(&all, ENV);
    let (stdout, _) = text(&output);
    let document: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    if !document.is_null() {
        assert_eq!(document["format_version"], "1", "{document:#}");
        assert!(document["runId"].is_string(), "{document:#}");
    }
    (output, document)
}

/// The seed lab: copy adfv2tutorial/input/input.txt to adfv2tutorial/output, byte for byte.
#[test]
fn the_seed_scenario_copies_the_file_byte_for_byte() {
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    let blobs = azurite.blobs();
    let input = b"Hello, Data Lab!\r\n";
    assert_eq!(input.len(), 18);
    blobs.upload("adfv2tutorial", "input/input.txt", input);
    let emulator = azurite.emulator();
    apply(&emulator, "specs/quickstart.yaml");

    let (output, document) = json_run(&emulator, &["-f", "specs/quickstart.yaml", "copyPipeline"]);
    let (_, stderr) = ok(&output);
    assert!(stderr.contains("Started run"), "{stderr}");
    assert_eq!(document["run"]["status"], "Succeeded", "{document:#}");
    let activities = document["activityRuns"].as_array().expect("activity runs");
    assert_eq!(activities.len(), 1);
    let copy = &activities[0];
    assert_eq!(copy["activityName"], "copyBlobtoBlob");
    assert_eq!(copy["activityType"], "Copy");
    assert_eq!(copy["output"]["dataRead"], input.len());
    assert_eq!(copy["output"]["dataWritten"], input.len());
    assert_eq!(copy["output"]["filesWritten"], 1);
    assert_eq!(blobs.download("adfv2tutorial", "output/input.txt"), input);

    // The human form: the activity table with the copy's numbers.
    let output = emulator.adfctl(&["run", "-f", "specs/quickstart.yaml", "copyPipeline"], ENV);
    let (stdout, stderr) = ok(&output);
    assert!(
        stdout.contains("copyBlobtoBlob") && stdout.contains(": Succeeded in "),
        "{stdout}"
    );
    assert!(stdout.contains("read 18 B, written 18 B"), "{stdout}");
    // The end is told once, with the run's own duration: stderr follows, stdout concludes.
    assert!(!stderr.contains("Succeeded"), "{stderr}");
}

/// specs/foreach.yaml: ForEach (batchCount 4) over a parameter array, ExecutePipeline per file.
#[test]
fn a_foreach_over_a_parameter_array_copies_several_files() {
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    let blobs = azurite.blobs();
    let files = [
        "january.csv",
        "february.csv",
        "march.csv",
        "april.csv",
        "may.csv",
    ];
    for (index, file) in files.iter().enumerate() {
        let body = format!("month,amount\n{file},{index}\n");
        blobs.upload("sales", &format!("incoming/{file}"), body.as_bytes());
    }
    let emulator = azurite.emulator();
    apply(&emulator, "specs/foreach.yaml");
    let param = format!("files={}", serde_json::json!(files));
    let (output, document) = json_run(
        &emulator,
        &[
            "-f",
            "specs/foreach.yaml",
            "copyAllFiles",
            "--param",
            &param,
        ],
    );
    ok(&output);
    assert_eq!(document["run"]["status"], "Succeeded", "{document:#}");
    let activities = document["activityRuns"].as_array().expect("activity runs");
    let calls = activities
        .iter()
        .filter(|a| a["activityType"] == "ExecutePipeline")
        .count();
    assert_eq!(calls, files.len());
    for (index, file) in files.iter().enumerate() {
        // DelimitedText to DelimitedText is parsed and written again: rows end with "\r\n",
        // the Copy activity's default row delimiter on write.
        let expected = format!("month,amount\r\n{file},{index}\r\n");
        assert_eq!(
            blobs.download("sales", &format!("processed/{file}")),
            expected.as_bytes()
        );
    }
    // Each child run copied one file with one data row.
    let child_runs = emulator.adfctl(
        &[
            "runs",
            "-f",
            "specs/foreach.yaml",
            "--pipeline",
            "copyOneFile",
            "--format",
            "json",
        ],
        ENV,
    );
    let (stdout, _) = ok(&child_runs);
    let runs: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let runs = runs["runs"].as_array().expect("array");
    assert_eq!(runs.len(), files.len());
    assert!(runs.iter().all(|r| r["status"] == "Succeeded"), "{runs:#?}");
}

/// The seed lab's own failure: the input blob is missing; the run fails, the CLI shows why.
#[test]
fn a_failing_activity_fails_the_run_and_the_cli() {
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    let emulator = azurite.emulator();
    apply(&emulator, "specs/quickstart.yaml");
    let (output, document) = json_run(&emulator, &["-f", "specs/quickstart.yaml", "copyPipeline"]);
    let (_, stderr) = text(&output);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(document["run"]["status"], "Failed");
    assert!(
        stderr.contains("activity `copyBlobtoBlob` failed")
            && stderr.contains("ErrorCode=UserErrorSourceBlobNotExist"),
        "{stderr}"
    );
    let error = &document["activityRuns"][0]["error"];
    assert_eq!(error["errorCode"], "2200");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ContainerExist: False")
    );
}

/// A Started schedule trigger fires on the emulator's clock and its pipeline runs.
#[test]
fn a_started_schedule_trigger_produces_runs() {
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    let emulator = azurite.emulator();
    let dir = tempfile::tempdir().expect("temp dir");
    // The first occurrence is a few seconds from now; no real minute passes (if a slow apply
    // misses it, the next one comes a minute later, within the deadline).
    let start = rfc3339_in(Duration::from_secs(10));
    let spec = format!(
        r#"
subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {{name: trigger-rg, location: eastus, managed: true}}
factory: {{name: adfctl-trigger-e2e, location: eastus}}
pipelines:
  tick:
    parameters:
      when: {{type: String}}
    activities:
      - name: note
        type: SetVariable
        typeProperties: {{variableName: v, value: "@pipeline().parameters.when"}}
    variables:
      v: {{type: String}}
triggers:
  everyMinute:
    type: ScheduleTrigger
    typeProperties:
      recurrence: {{frequency: Minute, interval: 1, startTime: "{start}", timeZone: UTC}}
    pipelines:
      - pipelineReference: tick
        parameters: {{when: "@trigger().scheduledTime"}}
"#
    );
    let path = dir.path().join("trigger.yaml");
    std::fs::write(&path, spec).expect("write spec");
    let path = path.to_string_lossy().into_owned();
    apply(&emulator, &path);
    let deadline = Instant::now() + Duration::from_secs(150);
    let runs = loop {
        let output = emulator.adfctl(&["runs", "-f", &path, "--format", "json"], ENV);
        let (stdout, _) = ok(&output);
        let runs: serde_json::Value = serde_json::from_str(&stdout).expect("json");
        assert_eq!(runs["format_version"], "1");
        let done: Vec<serde_json::Value> = runs["runs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["status"] == "Succeeded")
            .cloned()
            .collect();
        if !done.is_empty() {
            break done;
        }
        assert!(Instant::now() < deadline, "no run: {runs:#}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let run = &runs[0];
    assert_eq!(run["pipelineName"], "tick");
    assert_eq!(run["invokedBy"]["name"], "everyMinute");
    assert_eq!(run["invokedBy"]["invokedByType"], "ScheduleTrigger");
    assert!(
        run["parameters"]["when"]
            .as_str()
            .is_some_and(|w| w.starts_with(&start[..19])),
        "{run:#}"
    );
    ok(&emulator.adfctl(&["destroy", "-f", &path, "--auto-approve"], ENV));
}

/// Now plus `later`, as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
fn rfc3339_in(later: Duration) -> String {
    let seconds = (std::time::SystemTime::now() + later)
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
