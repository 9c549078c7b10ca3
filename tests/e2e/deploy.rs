//! plan, apply and destroy end to end: the real binary against a real emulator process.

use crate::support::{EmulatorProcess, SPEC_ENV, file_args, http_request, spec_sets, text};

fn args<'a>(command: &'a str, set: &'a [String], extra: &'a [&'a str]) -> Vec<String> {
    let mut all = vec![command.to_owned()];
    all.extend(file_args(set));
    all.extend(extra.iter().map(|s| (*s).to_owned()));
    all
}

fn run(emulator: &EmulatorProcess, args: &[String], env: &[(&str, &str)]) -> (i32, String, String) {
    let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = emulator.adfctl(&borrowed, env);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn writes(emulator: &EmulatorProcess) -> u64 {
    let stats = emulator.stats();
    ["PUT", "DELETE", "POST", "PATCH"]
        .iter()
        .map(|m| stats["byMethod"][m].as_u64().unwrap_or(0))
        .sum()
}

/// A spec with `managed: false` needs its group to exist (its owners create it): do that, as
/// they would, with the location the spec gives the factory.
fn create_unmanaged_group(emulator: &EmulatorProcess, set: &[String]) {
    let spec_text: String = set
        .iter()
        .map(|f| std::fs::read_to_string(crate::support::workspace_root().join(f)).expect("spec"))
        .collect();
    if !spec_text.contains("managed: false") {
        return;
    }
    let (code, stdout, stderr) = run(emulator, &args("plan", set, &[]), SPEC_ENV);
    assert_eq!(
        code, 1,
        "an unmanaged, missing group must be refused\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("managed: false"), "{stderr}");
    let group = stderr
        .split('`')
        .nth(1)
        .expect("the error names the group")
        .to_owned();
    let url = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/{group}?api-version=2021-04-01",
        emulator.endpoint
    );
    let (status, body) = http_request(
        "PUT",
        &url,
        Some(&serde_json::json!({"location": "westeurope"})),
    );
    assert_eq!(status, 201, "{body}");
}

/// An emulator with `specs/quickstart.yaml` applied, and that spec's file set.
fn applied_quickstart() -> (EmulatorProcess, Vec<String>) {
    let emulator = EmulatorProcess::start(&[]);
    let set = vec!["specs/quickstart.yaml".to_owned()];
    let (code, _, stderr) = run(
        &emulator,
        &args("apply", &set, &["--auto-approve"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    (emulator, set)
}

#[test]
fn every_example_spec_plans_applies_converges_and_destroys() {
    let sets = spec_sets();
    assert!(
        sets.len() >= 4,
        "expected the example specs, found {sets:?}"
    );
    for set in sets {
        let emulator = EmulatorProcess::start(&[]);
        let label = set.join(" + ");
        create_unmanaged_group(&emulator, &set);

        let (code, stdout, stderr) = run(
            &emulator,
            &args("plan", &set, &["--detailed-exitcode"]),
            SPEC_ENV,
        );
        assert_eq!(
            code, 2,
            "{label}: first plan should have changes\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains("to create"), "{label}: {stdout}");

        let (code, stdout, stderr) = run(
            &emulator,
            &args("apply", &set, &["--auto-approve"]),
            SPEC_ENV,
        );
        assert_eq!(code, 0, "{label}: apply failed\n{stdout}\n{stderr}");

        let writes_before = writes(&emulator);
        let (code, stdout, stderr) = run(
            &emulator,
            &args("plan", &set, &["--detailed-exitcode"]),
            SPEC_ENV,
        );
        assert_eq!(
            code, 0,
            "{label}: plan after apply should be clean\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains("No changes"), "{label}: {stdout}");

        let (code, stdout, stderr) = run(
            &emulator,
            &args("apply", &set, &["--auto-approve"]),
            SPEC_ENV,
        );
        assert_eq!(code, 0, "{label}: second apply failed\n{stdout}\n{stderr}");
        assert_eq!(
            writes(&emulator),
            writes_before,
            "{label}: a no-op apply must issue no writes"
        );

        let (code, stdout, stderr) = run(
            &emulator,
            &args("destroy", &set, &["--auto-approve"]),
            SPEC_ENV,
        );
        assert_eq!(code, 0, "{label}: destroy failed\n{stdout}\n{stderr}");

        let (code, stdout, stderr) = run(
            &emulator,
            &args("plan", &set, &["--format", "json"]),
            SPEC_ENV,
        );
        assert_eq!(code, 0, "{label}: {stderr}");
        let plan: serde_json::Value = serde_json::from_str(&stdout).expect("json plan");
        let summary = &plan["summary"];
        assert!(
            summary["create"].as_u64().unwrap_or(0) > 0,
            "{label}: {summary}"
        );
        for action in ["update", "replace", "delete", "noop"] {
            assert_eq!(
                summary[action], 0,
                "{label}: after destroy only creates remain: {summary}"
            );
        }
    }
}

#[test]
fn a_change_behind_our_back_shows_as_exactly_that_update() {
    let (emulator, set) = applied_quickstart();

    let url = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/DianesRG/providers/Microsoft.DataFactory/factories/DianesDF/pipelines/copyPipeline?api-version=2018-06-01",
        emulator.endpoint
    );
    let body = serde_json::json!({"properties": {"activities": [], "description": "edited in the portal"}});
    let (status, response) = http_request("PUT", &url, Some(&body));
    assert_eq!(status, 200, "{response}");

    let (code, stdout, stderr) = run(
        &emulator,
        &args("plan", &set, &["--format", "json", "--detailed-exitcode"]),
        SPEC_ENV,
    );
    assert_eq!(code, 2, "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&stdout).expect("json plan");
    let changed: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["address"].as_str().unwrap_or(""),
                c["action"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(changed, [("pipeline/copyPipeline", "update")], "{stdout}");
}

#[test]
fn a_saved_plan_goes_stale_when_live_state_changes() {
    let (emulator, set) = applied_quickstart();
    let dir = tempfile::tempdir().expect("temp dir");
    let planfile = dir.path().join("plan.json");
    let planfile_arg = planfile.display().to_string();

    // A plan with one change, saved.
    let url = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/DianesRG/providers/Microsoft.DataFactory/factories/DianesDF/datasets/ds_out?api-version=2018-06-01",
        emulator.endpoint
    );
    let drifted = serde_json::json!({"properties": {"type": "AzureBlob", "linkedServiceName": {"referenceName": "storageLinkedService", "type": "LinkedServiceReference"}, "typeProperties": {"folderPath": "elsewhere"}}});
    assert_eq!(http_request("PUT", &url, Some(&drifted)).0, 200);
    let (code, _, stderr) = run(
        &emulator,
        &args("plan", &set, &["--out", &planfile_arg]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    let saved = std::fs::read_to_string(&planfile).expect("saved plan");
    assert!(
        !saved.contains(SPEC_ENV[0].1),
        "the saved plan holds a secret"
    );

    // Live state changes again: the saved plan is refused.
    let drifted_again = serde_json::json!({"properties": {"type": "AzureBlob", "linkedServiceName": {"referenceName": "storageLinkedService", "type": "LinkedServiceReference"}, "typeProperties": {"folderPath": "elsewhere/again"}}});
    assert_eq!(http_request("PUT", &url, Some(&drifted_again)).0, 200);
    let (code, stdout, stderr) = run(
        &emulator,
        &[
            "apply".into(),
            planfile_arg.clone(),
            "--auto-approve".into(),
        ],
        SPEC_ENV,
    );
    assert_eq!(code, 1, "a stale plan must be refused\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("changed since the plan was made"),
        "{stderr}"
    );
    // It says what changed, and what a plan made now would do about it.
    assert!(stderr.contains("dataset/ds_out: etag changed"), "{stderr}");
    assert!(
        stderr.contains("hint: a plan made now would update dataset/ds_out"),
        "{stderr}"
    );

    // A fresh plan applies.
    let (code, _, stderr) = run(
        &emulator,
        &args("plan", &set, &["--out", &planfile_arg]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(
        &emulator,
        &["apply".into(), planfile_arg, "--auto-approve".into()],
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, _) = run(
        &emulator,
        &args("plan", &set, &["--detailed-exitcode"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn a_saved_plan_applied_again_says_its_changes_are_live() {
    let (emulator, set) = applied_quickstart();
    let dir = tempfile::tempdir().expect("temp dir");
    let planfile = dir.path().join("plan.json");
    let planfile_arg = planfile.display().to_string();
    let apply_file = || vec!["apply".to_owned(), planfile_arg.clone()];

    // Drift, so that the saved plan has a change to make.
    let url = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/DianesRG/providers/Microsoft.DataFactory/factories/DianesDF/datasets/ds_out?api-version=2018-06-01",
        emulator.endpoint
    );
    let drifted = serde_json::json!({"properties": {"type": "AzureBlob", "linkedServiceName": {"referenceName": "storageLinkedService", "type": "LinkedServiceReference"}, "typeProperties": {"folderPath": "elsewhere"}}});
    assert_eq!(http_request("PUT", &url, Some(&drifted)).0, 200);
    let (code, _, stderr) = run(
        &emulator,
        &args("plan", &set, &["--out", &planfile_arg]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");

    // A secret variable that holds another value is named, its value never shown.
    let rotated = "AccountKey=cm90YXRlZC1QTEFOVEVELWtleQ==";
    let (code, stdout, stderr) = run(
        &emulator,
        &apply_file(),
        &[("STORAGE_CONNECTION_STRING", rotated), ("NO_COLOR", "1")],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "the value of environment variable STORAGE_CONNECTION_STRING is not the one the plan was made with"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(rotated) && !stderr.contains(SPEC_ENV[0].1));

    let (code, stdout, stderr) = run(&emulator, &apply_file(), SPEC_ENV);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("dataset/ds_out"), "{stdout}");

    // Again: every etag it saw changed (it wrote them), yet nothing is left to do.
    let before = writes(&emulator);
    let (code, stdout, stderr) = run(&emulator, &apply_file(), SPEC_ENV);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "Nothing to do: the changes of {planfile_arg} are already live (it was applied, or the same changes were made since)."
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("refusing"), "{stderr}");
    assert_eq!(writes(&emulator), before, "nothing may be written");

    // The same for a destroy of a selection, which leaves the factory alone.
    let (code, _, stderr) = run(
        &emulator,
        &args(
            "plan",
            &set,
            &[
                "--destroy",
                "--include",
                "pipeline/copyPipeline",
                "--out",
                &planfile_arg,
            ],
        ),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    let mut approved = apply_file();
    approved.push("--auto-approve".into());
    let (code, stdout, stderr) = run(&emulator, &approved, SPEC_ENV);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(&emulator, &approved, SPEC_ENV);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("Nothing to do"), "{stderr}");
}

#[test]
fn secrets_never_leak_and_a_changed_secret_shows_as_changed() {
    let emulator = EmulatorProcess::start(&[]);
    let set = vec!["specs/quickstart.yaml".to_owned()];
    let secret = "AccountKey=cGxhbnRlZC1zZWNyZXQtb25l";
    let env_one = [
        ("STORAGE_CONNECTION_STRING", secret),
        ("RUST_LOG", "trace"),
        ("NO_COLOR", "1"),
    ];
    let mut outputs = Vec::new();
    for command in [
        args("plan", &set, &[]),
        args("apply", &set, &["--auto-approve"]),
        args("plan", &set, &["--format", "json"]),
        args("plan", &set, &["--format", "markdown"]),
    ] {
        let (code, stdout, stderr) = run(&emulator, &command, &env_one);
        assert_eq!(code, 0, "{stderr}");
        outputs.push(stdout);
        outputs.push(stderr);
    }
    let new_secret = "AccountKey=cGxhbnRlZC1zZWNyZXQtdHdv";
    let env_two = [
        ("STORAGE_CONNECTION_STRING", new_secret),
        ("RUST_LOG", "trace"),
        ("NO_COLOR", "1"),
    ];
    let (code, stdout, stderr) = run(
        &emulator,
        &args("plan", &set, &["--detailed-exitcode"]),
        &env_two,
    );
    assert_eq!(code, 2, "a changed secret is a change\n{stdout}\n{stderr}");
    assert!(stdout.contains("secret changed"), "{stdout}");
    assert!(
        stdout.contains("linkedService/storageLinkedService"),
        "{stdout}"
    );
    outputs.push(stdout);
    outputs.push(stderr);
    let (code, stdout, stderr) = run(
        &emulator,
        &args("destroy", &set, &["--auto-approve"]),
        &env_two,
    );
    assert_eq!(code, 0, "{stderr}");
    outputs.push(stdout);
    outputs.push(stderr);
    for output in &outputs {
        for planted in ["cGxhbnRlZC1zZWNyZXQtb25l", "cGxhbnRlZC1zZWNyZXQtdHdv"] {
            assert!(!output.contains(planted), "a secret leaked:\n{output}");
        }
    }
}

#[test]
fn destroy_keeps_a_resource_group_that_holds_something_else() {
    let (emulator, set) = applied_quickstart();
    let other = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/DianesRG/providers/Microsoft.DataFactory/factories/SomeoneElsesFactory?api-version=2018-06-01",
        emulator.endpoint
    );
    assert_eq!(
        http_request(
            "PUT",
            &other,
            Some(&serde_json::json!({"location": "eastus"}))
        )
        .0,
        200
    );

    let (code, stdout, stderr) = run(
        &emulator,
        &args("destroy", &set, &["--auto-approve"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let group = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/DianesRG?api-version=2021-04-01",
        emulator.endpoint
    );
    assert_eq!(
        http_request("GET", &group, None).0,
        200,
        "the group must be kept"
    );
    assert_eq!(
        http_request("GET", &other, None).0,
        200,
        "the other factory must be kept"
    );
    let ours = other.replace("SomeoneElsesFactory", "DianesDF");
    assert_eq!(
        http_request("GET", &ours, None).0,
        404,
        "our factory must be gone"
    );
}

fn trigger_spec(interval: u32) -> String {
    format!(
        r#"subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {{name: triggerRG, location: eastus}}
factory: {{name: trigger-factory, location: eastus}}
pipelines:
  waitPipeline:
    activities:
      - name: wait
        type: Wait
        typeProperties: {{waitTimeInSeconds: 1}}
triggers:
  everyHour:
    type: ScheduleTrigger
    runtimeState: Started
    pipelines: [waitPipeline]
    typeProperties:
      recurrence: {{frequency: Hour, interval: {interval}, startTime: "2026-01-01T00:00:00Z", timeZone: UTC}}
"#
    )
}

#[test]
fn a_started_trigger_that_changes_is_stopped_updated_and_started_again() {
    let emulator = EmulatorProcess::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("trigger.yaml");
    std::fs::write(&spec, trigger_spec(1)).expect("write spec");
    let set = vec![spec.display().to_string()];
    let (code, stdout, stderr) = run(
        &emulator,
        &args("apply", &set, &["--auto-approve"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("trigger/everyHour: started"), "{stderr}");

    std::fs::write(&spec, trigger_spec(2)).expect("write spec");
    let (code, stdout, stderr) = run(
        &emulator,
        &args("apply", &set, &["--auto-approve"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
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

    let url = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/triggerRG/providers/Microsoft.DataFactory/factories/trigger-factory/triggers/everyHour?api-version=2018-06-01",
        emulator.endpoint
    );
    let (status, body) = http_request("GET", &url, None);
    assert_eq!(status, 200);
    let trigger: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(trigger["properties"]["runtimeState"], "Started");
    assert_eq!(
        trigger["properties"]["typeProperties"]["recurrence"]["interval"],
        2
    );
    let (code, stdout, _) = run(
        &emulator,
        &args("plan", &set, &["--detailed-exitcode"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}");
}

/// Every create body of the official ARM examples, applied and planned again, shows no changes.
#[test]
fn every_official_create_example_applies_and_plans_clean() {
    let examples = crate::support::workspace_root().join("../shared/arm-examples/datafactory");
    if !examples.is_dir() {
        adf_testkit::skip(
            module_path!(),
            &format!(
                "{} is absent (the official ARM examples)",
                examples.display()
            ),
        );
        return;
    }
    let read = |file: &str, entity: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(examples.join(file)).expect("example");
        let example: serde_json::Value = serde_json::from_str(&text).expect("json");
        example["parameters"][entity]["properties"].clone()
    };
    let stub_dataset = serde_json::json!({
        "type": "Binary",
        "linkedServiceName": {"referenceName": "exampleLinkedService", "type": "LinkedServiceReference"}
    });
    let spec = serde_json::json!({
        "subscription": "12345678-1234-1234-1234-12345678abc",
        "resourceGroup": {"name": "exampleResourceGroup", "location": "eastus"},
        "factory": {"name": "exampleFactoryName", "location": "East US"},
        "integrationRuntimes": {"exampleIntegrationRuntime": read("IntegrationRuntimes_Create.json", "integrationRuntime")},
        "linkedServices": {"exampleLinkedService": read("LinkedServices_Create.json", "linkedService")},
        "datasets": {
            "exampleDataset": read("Datasets_Create.json", "dataset"),
            "CurrencyDatasetUSD": stub_dataset,
            "CurrencyDatasetCAD": stub_dataset,
            "USDOutput": stub_dataset,
            "CADOutput": stub_dataset,
        },
        "dataFlows": {"exampleDataFlow": read("DataFlows_Create.json", "dataFlow")},
        "pipelines": {"examplePipeline": read("Pipelines_Create.json", "pipeline")},
        "triggers": {"exampleTrigger": read("Triggers_Create.json", "trigger")},
    });
    for (kind, entities) in spec.as_object().expect("object") {
        if let Some(map) = entities.as_object() {
            for (name, body) in map {
                assert!(!body.is_null(), "{kind}/{name}: the example has no body");
            }
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("examples.yaml");
    // JSON is YAML: the bodies go in exactly as the examples have them.
    std::fs::write(&path, serde_json::to_string_pretty(&spec).expect("json")).expect("write");
    let set = vec![path.display().to_string()];
    let emulator = EmulatorProcess::start(&[]);
    let (code, stdout, stderr) = run(
        &emulator,
        &args("apply", &set, &["--auto-approve"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(
        &emulator,
        &args("plan", &set, &["--detailed-exitcode"]),
        SPEC_ENV,
    );
    assert_eq!(
        code, 0,
        "the examples must plan clean after apply\n{stdout}\n{stderr}"
    );
}

/// A pipeline made in ADF Studio fails the drift check with `--fail-on-unmanaged`, and destroy
/// says it goes although the spec does not have it.
#[test]
fn an_entity_made_outside_the_spec_fails_the_drift_check_when_asked() {
    let (emulator, set) = applied_quickstart();
    let url = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/DianesRG/providers/Microsoft.DataFactory/factories/DianesDF/pipelines/madeInStudio?api-version=2018-06-01",
        emulator.endpoint
    );
    let body = serde_json::json!({"properties": {"activities": []}});
    assert_eq!(http_request("PUT", &url, Some(&body)).0, 200);

    let plan = |extra: &[&str]| run(&emulator, &args("plan", &set, extra), SPEC_ENV);
    let (code, stdout, _) = plan(&["--detailed-exitcode"]);
    assert_eq!(code, 0, "listed, not drift, by default:\n{stdout}");
    assert!(stdout.contains("pipeline/madeInStudio"), "{stdout}");
    let (code, _, _) = plan(&["--detailed-exitcode", "--fail-on-unmanaged"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = plan(&["--fail-on-unmanaged"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("1 live resource is not in the spec"),
        "{stderr}"
    );

    let (code, stdout, stderr) = run(&emulator, &args("plan", &set, &["--destroy"]), SPEC_ENV);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "pipeline/madeInStudio (delete)\n      # not in the spec; goes with the factory"
        ),
        "{stdout}"
    );
}

/// Destroy needs no secret values (deletes send no bodies): a CI job without them can clean up.
#[test]
fn destroy_works_without_the_secret_values() {
    let (emulator, set) = applied_quickstart();
    if std::env::var_os("STORAGE_CONNECTION_STRING").is_some() {
        adf_testkit::skip(
            module_path!(),
            "STORAGE_CONNECTION_STRING is set in the test's environment",
        );
        return;
    }
    let (code, stdout, stderr) = run(&emulator, &args("destroy", &set, &["--auto-approve"]), &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("warning: environment variable `STORAGE_CONNECTION_STRING`"),
        "{stderr}"
    );
    assert!(stderr.contains("Destroy complete"), "{stderr}");
}
