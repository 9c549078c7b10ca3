//! Coexisting with other owners, end to end: entities declared `external`, a factory the
//! spec does not manage (`factory.managed: false`), and triggers whose runtime state
//! operations own (`runtimeState: Keep`).

use crate::support::{EmulatorProcess, http_request, text};
use serde_json::{Value, json};

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

fn run(emulator: &EmulatorProcess, args: &[&str]) -> (i32, String, String) {
    let output = emulator.adfctl(args, &[("NO_COLOR", "1")]);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

/// `…/resourcegroups/GROUP`, and the factory's URL in it (no api-version).
fn urls(emulator: &EmulatorProcess, group: &str, factory: &str) -> (String, String) {
    let group = format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourcegroups/{group}",
        emulator.endpoint
    );
    let factory = format!("{group}/providers/Microsoft.DataFactory/factories/{factory}");
    (group, factory)
}

/// A raw PUT, as another owner (a platform team, ADF Studio) would send it.
fn put(url: &str, api_version: &str, body: Value) {
    let (status, text) = http_request(
        "PUT",
        &format!("{url}?api-version={api_version}"),
        Some(&body),
    );
    assert!(status == 200 || status == 201, "{url}: {status} {text}");
}

fn get(url: &str) -> (u16, Value) {
    let (status, body) = http_request("GET", &format!("{url}?api-version=2018-06-01"), None);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn spec_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write spec");
    path.display().to_string()
}

#[test]
fn an_external_entity_must_exist_live_and_is_never_touched() {
    let emulator = EmulatorProcess::start(&[]);
    let (group, factory) = urls(&emulator, "sharedRG", "shared-factory");
    put(&group, "2021-04-01", json!({"location": "eastus"}));
    put(&factory, "2018-06-01", json!({"location": "eastus"}));
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = spec_file(
        &dir,
        "team.yaml",
        &format!(
            r#"subscription: {SUBSCRIPTION}
resourceGroup: {{name: sharedRG, managed: false}}
factory: {{name: shared-factory, location: eastus}}
external: [linkedService/ls_shared, integrationRuntime/SharedSHIR]
linkedServices:
  onPremises:
    type: FileServer
    connectVia: SharedSHIR
    typeProperties: {{host: "\\\\fileserver\\share", userId: reader}}
datasets:
  sales:
    type: DelimitedText
    linkedServiceName: ls_shared
    typeProperties:
      location: {{type: AzureBlobStorageLocation, container: sales}}
pipelines:
  load:
    activities:
      - {{name: look, type: Lookup, typeProperties: {{dataset: sales, source: {{type: DelimitedTextSource}}}}}}
"#
        ),
    );

    // Missing live: refused before anything is applied, each one naming who needs it.
    let (code, stdout, stderr) = run(&emulator, &["plan", "-f", &spec]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: external linkedService `ls_shared` does not exist in factory `shared-factory`; dataset/sales references it\n  hint: its owners must create it first"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: external integrationRuntime `SharedSHIR` does not exist in factory `shared-factory`; linkedService/onPremises references it\n"),
        "{stderr}"
    );
    put(
        &format!("{factory}/integrationRuntimes/SharedSHIR"),
        "2018-06-01",
        json!({"properties": {"type": "SelfHosted", "description": "the data platform team's"}}),
    );
    let (code, _, stderr) = run(&emulator, &["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        get(&format!("{factory}/datasets/sales")).0,
        404,
        "nothing applied"
    );

    // Its owners create it: now the plan passes, and lists it.
    let shared = format!("{factory}/linkedservices/ls_shared");
    put(
        &shared,
        "2018-06-01",
        json!({"properties": {"type": "AzureBlobStorage", "description": "owned by the data platform team",
            "typeProperties": {"serviceEndpoint": "https://shared.blob.core.windows.net/"}}}),
    );
    let (_, before) = get(&shared);
    let (code, stdout, stderr) = run(&emulator, &["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("External: 2 live resources owned elsewhere (spec `external`), referenced and never changed:\n    integrationRuntime/SharedSHIR\n    linkedService/ls_shared\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("linkedService/ls_shared ("),
        "no change for it: {stdout}"
    );
    let (code, stdout, stderr) = run(&emulator, &["plan", "-f", &spec, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&stdout).expect("json plan");
    assert_eq!(
        plan["external"],
        json!(["integrationRuntime/SharedSHIR", "linkedService/ls_shared"])
    );
    assert_eq!(plan["unmanaged"], json!([]));

    let (code, stdout, stderr) = run(&emulator, &["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stderr.contains("ls_shared"), "{stderr}");
    assert_eq!(get(&shared), (200, before.clone()), "never written");

    // Neither drift nor pruned.
    for args in [
        vec![
            "plan",
            "-f",
            &spec,
            "--detailed-exitcode",
            "--fail-on-unmanaged",
        ],
        vec!["plan", "-f", &spec, "--detailed-exitcode", "--prune"],
    ] {
        let (code, stdout, stderr) = run(&emulator, &args);
        assert_eq!(code, 0, "{args:?}\n{stdout}\n{stderr}");
    }
    let (code, stdout, stderr) = run(
        &emulator,
        &["apply", "-f", &spec, "--prune", "--auto-approve"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(get(&shared), (200, before), "not pruned");
}

#[test]
fn a_factory_adfctl_does_not_manage_must_exist_keeps_its_settings_and_outlives_destroy() {
    let emulator = EmulatorProcess::start(&[]);
    let (group, factory) = urls(&emulator, "platformRG", "platform-factory");
    let dir = tempfile::tempdir().expect("temp dir");
    // No location anywhere: the group's `managed` follows the factory's.
    let spec = spec_file(
        &dir,
        "team.yaml",
        &format!(
            r#"subscription: {SUBSCRIPTION}
resourceGroup: {{name: platformRG}}
factory:
  name: platform-factory
  managed: false
  globalParameters:
    environment: {{type: String, value: test}}
pipelines:
  ours:
    activities:
      - {{name: wait, type: Wait, typeProperties: {{waitTimeInSeconds: 1}}}}
"#
        ),
    );

    put(&group, "2021-04-01", json!({"location": "westeurope"}));
    let (code, stdout, stderr) = run(&emulator, &["plan", "-f", &spec]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: factory `platform-factory` does not exist in resource group `platformRG`, and the spec says `factory.managed: false`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  hint: ask its owners to create it"),
        "{stderr}"
    );

    // Its owners create it, with settings of their own, and a pipeline of their own.
    let settings = json!({"location": "westeurope", "tags": {"owner": "platform", "costCenter": "4711"},
                          "identity": {"type": "SystemAssigned"}});
    put(&factory, "2018-06-01", settings);
    put(
        &format!("{factory}/pipelines/theirs"),
        "2018-06-01",
        json!({"properties": {"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}}),
    );
    let (_, before) = get(&factory);

    let (code, stdout, stderr) = run(&emulator, &["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("+ pipeline/ours (create)"), "{stdout}");
    assert!(
        stdout.contains("+ globalParameters/default (create)"),
        "{stdout}"
    );
    assert!(!stdout.contains("factory/platform-factory"), "{stdout}");
    let (_, after) = get(&factory);
    assert_eq!(after["tags"], before["tags"], "its tags are untouched");
    assert_eq!(after["location"], "westeurope");
    assert_eq!(after["identity"]["type"], "SystemAssigned");
    assert_eq!(
        get(&format!("{factory}/globalParameters/default")).1["properties"]["environment"]["value"],
        "test"
    );
    let (code, stdout, stderr) = run(&emulator, &["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    // Destroy removes what the spec defines, nothing else.
    let (code, stdout, stderr) = run(&emulator, &["destroy", "-f", &spec, "--auto-approve"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("note: factory/platform-factory is kept: the spec does not manage it (factory.managed: false)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Plan: 0 to create, 0 to update, 0 to replace, 2 to delete."),
        "{stdout}"
    );
    assert_eq!(get(&format!("{factory}/pipelines/ours")).0, 404);
    assert_eq!(get(&format!("{factory}/globalParameters/default")).0, 404);
    assert_eq!(
        get(&format!("{factory}/pipelines/theirs")).0,
        200,
        "not ours to delete"
    );
    let (status, kept) = get(&factory);
    assert_eq!(status, 200, "the factory stays");
    assert_eq!(kept["tags"], before["tags"]);
    let (status, _) = http_request("GET", &format!("{group}?api-version=2021-04-01"), None);
    assert_eq!(status, 200, "and so does its group");
}

fn keep_spec(interval: u32, spec_wide: &str) -> String {
    format!(
        r#"subscription: {SUBSCRIPTION}
resourceGroup: {{name: keepRG, location: eastus}}
factory: {{name: keep-factory, location: eastus}}
{spec_wide}
pipelines:
  waitPipeline:
    activities:
      - {{name: wait, type: Wait, typeProperties: {{waitTimeInSeconds: 1}}}}
triggers:
  everyHour:
    type: ScheduleTrigger
    pipelines: [waitPipeline]
    typeProperties:
      recurrence: {{frequency: Hour, interval: {interval}, startTime: "2026-01-01T00:00:00Z", timeZone: UTC}}
"#
    )
}

#[test]
fn a_kept_trigger_paused_by_operations_stays_paused_through_a_deploy() {
    let emulator = EmulatorProcess::start(&[]);
    let (_, factory) = urls(&emulator, "keepRG", "keep-factory");
    let trigger = format!("{factory}/triggers/everyHour");
    let dir = tempfile::tempdir().expect("temp dir");
    let apply = |interval: u32, spec_wide: &str| {
        let spec = spec_file(&dir, "keep.yaml", &keep_spec(interval, spec_wide));
        let (code, stdout, stderr) = run(&emulator, &["apply", "-f", &spec, "--auto-approve"]);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        (spec, stdout, stderr)
    };
    let state = || get(&trigger).1["properties"]["runtimeState"].clone();
    // What operations do in ADF Studio: stop or start the trigger by hand.
    let operations = |action: &str| {
        let url = format!("{trigger}/{action}?api-version=2018-06-01");
        let (status, body) = http_request("POST", &url, None);
        assert_eq!(status, 200, "{body}");
    };

    // Deployed as today: started.
    let (_, _, stderr) = apply(1, "");
    assert!(stderr.contains("trigger/everyHour: started"), "{stderr}");

    // Operations pause it; the next deploy, under `Keep`, changes it and leaves it paused.
    operations("stop");
    let (spec, stdout, stderr) = apply(2, "triggerRuntimeState: Keep");
    assert!(
        stdout.contains("~ trigger/everyHour (update)\n      # runtime state: Stopped (kept)\n"),
        "{stdout}"
    );
    assert!(stderr.contains("trigger/everyHour: updated"), "{stderr}");
    assert!(!stderr.contains("trigger/everyHour: started"), "{stderr}");
    assert_eq!(state(), "Stopped");
    assert_eq!(
        get(&trigger).1["properties"]["typeProperties"]["recurrence"]["interval"],
        2
    );
    let (code, stdout, _) = run(&emulator, &["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(code, 0, "a paused trigger is no drift under Keep: {stdout}");

    // Started again by operations: the deploy stops it to write it, then starts it again.
    operations("start");
    let (_, stdout, stderr) = apply(3, "triggerRuntimeState: Keep");
    assert!(
        stdout.contains("# runtime state: Started (kept)"),
        "{stdout}"
    );
    let stop = stderr
        .find("trigger/everyHour: stopped")
        .expect("stopped first");
    let update = stderr
        .find("trigger/everyHour: updated")
        .expect("then updated");
    let start = stderr
        .find("trigger/everyHour: started")
        .expect("then started");
    assert!(stop < update && update < start, "{stderr}");
    assert_eq!(state(), "Started");
}
