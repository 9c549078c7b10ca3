//! Event triggers end to end: apply settles a BlobEventsTrigger's Event Grid subscription
//! around its update (stop, wait for Disabled, PUT, start, wait for Enabled) against an
//! emulator whose subscriptions take time to change, and names the trigger and the state when
//! a bounded wait runs out.

use crate::support::{EmulatorProcess, http_request, text};
use std::path::Path;
use std::time::{Duration, Instant};

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

fn spec(folder: &str) -> String {
    format!(
        r#"subscription: {SUBSCRIPTION}
resourceGroup: {{name: rg-events, location: eastus, managed: true}}
factory: {{name: events-df, location: eastus}}
pipelines:
  ingest:
    activities:
      - name: settle
        type: Wait
        typeProperties: {{waitTimeInSeconds: 1}}
triggers:
  onBlob:
    type: BlobEventsTrigger
    typeProperties:
      blobPathBeginsWith: /landing/blobs/{folder}/
      ignoreEmptyBlobs: true
      scope: /subscriptions/{SUBSCRIPTION}/resourceGroups/rg-storage/providers/Microsoft.Storage/storageAccounts/landingacct
      events: [Microsoft.Storage.BlobCreated]
    pipelines:
      - pipelineReference: ingest
"#
    )
}

fn trigger_url(emulator: &EmulatorProcess, suffix: &str) -> String {
    format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-events/providers/Microsoft.DataFactory/factories/events-df/triggers/onBlob{suffix}?api-version=2018-06-01",
        emulator.endpoint
    )
}

fn subscription_status(emulator: &EmulatorProcess) -> serde_json::Value {
    let (status, body) = http_request(
        "POST",
        &trigger_url(emulator, "/getEventSubscriptionStatus"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("status JSON")
}

fn apply(
    emulator: &EmulatorProcess,
    spec_file: &Path,
    folder: &str,
    extra: &[&str],
) -> (i32, String, String) {
    std::fs::write(spec_file, spec(folder)).expect("write spec");
    let file = spec_file.display().to_string();
    let mut args = vec!["apply", "-f", &file, "--auto-approve"];
    args.extend_from_slice(extra);
    let output = emulator.adfctl(&args, &[("NO_COLOR", "1")]);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

#[test]
fn an_event_trigger_update_waits_for_its_subscription_on_both_sides() {
    let emulator = EmulatorProcess::start(&["--event-subscription-delay", "1s"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_file = dir.path().join("events.yaml");

    // Created and started: the start subscribes, and apply returns once it is Enabled.
    let (code, stdout, stderr) = apply(&emulator, &spec_file, "a", &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("trigger: write → start → wait for event subscription Enabled"),
        "{stdout}"
    );
    assert_eq!(
        subscription_status(&emulator),
        serde_json::json!({"triggerName": "onBlob", "status": "Enabled"})
    );

    // Changed: stop (unsubscribes), wait for Disabled, PUT, start, wait for Enabled. Without
    // the waits the PUT would meet "Resource cannot be updated during provisioning".
    let began = Instant::now();
    let (code, stdout, stderr) = apply(&emulator, &spec_file, "b", &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "trigger: stop → wait for event subscription Disabled → write → start → wait for event subscription Enabled"
        ),
        "{stdout}"
    );
    for line in [
        "trigger/onBlob: stopped",
        "trigger/onBlob: updated",
        "trigger/onBlob: started",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    assert!(
        began.elapsed() >= Duration::from_secs(2),
        "both subscription changes take the emulator's delay: {:?}",
        began.elapsed()
    );
    assert_eq!(subscription_status(&emulator)["status"], "Enabled");
    let (status, body) = http_request("GET", &trigger_url(&emulator, ""), None);
    assert_eq!(status, 200, "{body}");
    let trigger: serde_json::Value = serde_json::from_str(&body).expect("trigger JSON");
    assert_eq!(trigger["properties"]["runtimeState"], "Started");
    assert_eq!(
        trigger["properties"]["typeProperties"]["blobPathBeginsWith"],
        "/landing/blobs/b/"
    );

    // Converged: nothing left to do.
    let (code, stdout, stderr) = apply(&emulator, &spec_file, "b", &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stderr.contains("trigger/onBlob"), "{stderr}");
}

#[test]
fn a_subscription_that_never_settles_fails_naming_the_trigger_and_its_state() {
    // The subscription stays Provisioning for an hour: apply's bounded waits run out.
    let emulator = EmulatorProcess::start(&["--event-subscription-delay", "1h"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_file = dir.path().join("events.yaml");
    let bound = ["--event-subscription-timeout", "2s"];

    let (code, stdout, stderr) = apply(&emulator, &spec_file, "a", &bound);
    assert_ne!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("trigger/onBlob: started FAILED")
            && stderr.contains("trigger 'onBlob'")
            && stderr.contains("still Provisioning after 2s (waiting for Enabled)"),
        "{stderr}"
    );
    assert_eq!(subscription_status(&emulator)["status"], "Provisioning");

    // An update now: ADF refuses the stop while provisioning; apply waits for the subscription
    // to settle, within its bound, then gives up before the PUT, naming the state.
    let (code, stdout, stderr) = apply(&emulator, &spec_file, "b", &bound);
    assert_ne!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("trigger/onBlob: stopped FAILED")
            && stderr.contains("trigger 'onBlob'")
            && stderr.contains("still Provisioning"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped"),
        "the PUT and the start are skipped: {stderr}"
    );
    let (status, body) = http_request("GET", &trigger_url(&emulator, ""), None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("/landing/blobs/a/"), "not updated: {body}");
}
