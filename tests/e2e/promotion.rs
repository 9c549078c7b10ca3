//! Environment promotion on a real repository: ../shared/realworld/procfwk-DataFactory (an ADF
//! Studio git folder, MIT) promoted to a test and a production factory, each with an overlay of
//! override rules that reach deep inside activities (tests/fixtures/promotion/); and a subset
//! deploy with `--include`. Skips, saying so, without ../shared.

use crate::support::{EmulatorProcess, http_get_json, text};
use std::path::PathBuf;

const FACTORIES: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups";

fn repository() -> Option<PathBuf> {
    adf_testkit::shared("promotion", "realworld/procfwk-DataFactory")
}

fn overlay(environment: &str) -> PathBuf {
    crate::support::workspace_root().join(format!(
        "tests/fixtures/promotion/procfwk-{environment}.yaml"
    ))
}

/// One entity's live body in an environment's factory.
fn live(emulator: &EmulatorProcess, environment: &str, path: &str) -> serde_json::Value {
    http_get_json(&format!(
        "{}{FACTORIES}/rw-procfwk-{environment}-rg/providers/Microsoft.DataFactory/factories/rw-procfwk-{environment}/{}?api-version=2018-06-01",
        emulator.endpoint,
        path.replace(' ', "%20")
    ))
}

#[test]
fn one_repository_promoted_to_test_and_prod_with_overrides_deep_inside_activities() {
    let Some(repository) = repository() else {
        return;
    };
    let emulator = EmulatorProcess::start(&[]);
    for (environment, batch, timeout) in [("test", 10, "0.00:30:00"), ("prod", 40, "0.02:00:00")] {
        let files = [repository.as_path(), &overlay(environment)];

        // validate lists what each rule did, where.
        let mut validate = std::process::Command::new(crate::support::adfctl_bin());
        validate
            .arg("validate")
            .current_dir(crate::support::workspace_root());
        for file in files {
            validate.arg("-f").arg(file);
        }
        let output = crate::support::run_bounded(validate, std::time::Duration::from_secs(60));
        let (stdout, stderr) = text(&output);
        let code = output.status.code().unwrap_or(-1);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert!(
            stdout.lines().any(|line| line.starts_with(
                "  pipeline/02-Parent: set activities[Clean Up Previous Run].typeProperties.batchCount ("
            ) && line.contains(&format!("procfwk-{environment}.yaml:"))),
            "{stdout}"
        );

        // The plan shows each override next to the change it makes.
        let (code, stdout, stderr) = emulator.adfctl_files(&["plan"], &files);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert!(
            stdout.contains("# override: set activities[Pipeline Status Failed].policy.timeout ("),
            "{stdout}"
        );

        let (code, stdout, stderr) = emulator.adfctl_files(&["apply", "--auto-approve"], &files);
        assert_eq!(code, 0, "apply {environment}:\n{stdout}\n{stderr}");
        let (code, stdout, stderr) =
            emulator.adfctl_files(&["plan", "--detailed-exitcode"], &files);
        assert_eq!(
            code, 0,
            "plan after apply, {environment}:\n{stdout}\n{stderr}"
        );

        // What each environment holds: the overridden values, deep in the activities.
        let parent = live(&emulator, environment, "pipelines/02-Parent");
        let activities = parent["properties"]["activities"]
            .as_array()
            .expect("activities");
        let clean_up = activities
            .iter()
            .find(|a| a["name"] == "Clean Up Previous Run")
            .expect("Clean Up Previous Run");
        assert_eq!(clean_up["typeProperties"]["batchCount"], batch);
        let switch = clean_up["typeProperties"]["activities"]
            .as_array()
            .expect("nested activities")
            .iter()
            .find(|a| a["type"] == "Switch")
            .expect("the Switch");
        let failed = switch["typeProperties"]["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .flat_map(|c| c["activities"].as_array().cloned().unwrap_or_default())
            .find(|a| a["name"] == "Pipeline Status Failed")
            .expect("Pipeline Status Failed");
        assert_eq!(failed["policy"]["timeout"], timeout);
        // Everything else is the repository's: a sibling in the same case keeps its timeout.
        assert_eq!(activities.len(), 10);
        let annotations = &parent["properties"]["annotations"];
        assert!(
            annotations
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == environment)),
            "{annotations}"
        );
        let keys = live(&emulator, environment, "linkedservices/Keys");
        assert_eq!(
            keys["properties"]["typeProperties"]["baseUrl"],
            format!("https://frameworkkeys-{environment}.vault.azure.net/")
        );
        // A pipeline outside the `_ProcFwk` folder is not annotated.
        let worker = live(&emulator, environment, "pipelines/Wait 1");
        assert!(
            !worker["properties"]["annotations"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == environment)),
            "{worker}"
        );
    }
    let trigger = live(&emulator, "prod", "triggers/FunctionalTestingTrigger");
    assert_eq!(
        trigger["properties"]["runtimeState"], "Stopped",
        "{trigger}"
    );
}

#[test]
fn a_subset_deploys_with_what_it_needs_and_leaves_the_rest_alone() {
    let Some(repository) = repository() else {
        return;
    };
    let emulator = EmulatorProcess::start(&[]);
    let files = [repository.as_path(), &overlay("test")];

    // Only the Wait pipelines of the `_Workers` folder, but not Wait 10.
    let (code, stdout, stderr) = emulator.adfctl_files(
        &[
            "plan",
            "--include",
            "pipeline.Wait*@_Workers",
            "--exclude",
            "pipeline/Wait 10",
            "--format",
            "json",
        ],
        &files,
    );
    assert_eq!(code, 0, "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&stdout).expect("JSON plan");
    let created: Vec<&str> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] == "create" && c["kind"] == "pipeline")
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(created.len(), 9, "{created:?}");
    assert!(!created.contains(&"Wait 10"), "{created:?}");
    let out_of_scope = plan["scope"]["out_of_scope"]
        .as_array()
        .expect("out of scope");
    assert!(
        out_of_scope.iter().any(|a| a == "pipeline/02-Parent"),
        "{out_of_scope:?}"
    );

    // A pipeline that runs others pulls them, and the linked services they use, in.
    let (code, stdout, stderr) =
        emulator.adfctl_files(&["plan", "--include", "pipeline/01-Grandparent"], &files);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Scope: ") && stdout.contains("pulled in (the selection needs them): "),
        "{stdout}"
    );
    assert!(stdout.contains("+ pipeline/02-Parent (create)"), "{stdout}");

    // An excluded dependency must exist live.
    let (code, _, stderr) = emulator.adfctl_files(
        &[
            "plan",
            "--include",
            "pipeline/01-Grandparent",
            "--exclude",
            "pipeline/02-Parent",
        ],
        &files,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("pipeline/02-Parent")
            && stderr.contains("leaves out and which does not exist live"),
        "{stderr}"
    );

    // Apply the workers only; then a whole-spec plan with --prune would create the rest, and
    // a scoped destroy removes only the workers.
    let (code, stdout, stderr) = emulator.adfctl_files(
        &[
            "apply",
            "--auto-approve",
            "--include",
            "pipeline.Wait*@_Workers",
        ],
        &files,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = emulator.adfctl_files(
        &[
            "plan",
            "--detailed-exitcode",
            "--include",
            "pipeline.Wait*@_Workers",
        ],
        &files,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = emulator.adfctl_files(
        &["destroy", "--auto-approve", "--include", "pipeline/Wait 1"],
        &files,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("- pipeline/Wait 1 (delete)"), "{stdout}");
    assert!(!stdout.contains("factory/"), "{stdout}");
    let wait2 = live(&emulator, "test", "pipelines/Wait 2");
    assert_eq!(wait2["name"], "Wait 2", "{wait2}");
}
