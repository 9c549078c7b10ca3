//! Several targets in one run (`--targets`): plan, apply and destroy of three factories from
//! one base spec and a targets file, one of which fails at apply (its factory name is taken
//! in another resource group, which ARM refuses with `DataFactoryNameInUse`), and a targets
//! directory.

use crate::support::{EmulatorProcess, http_get_json, text};
use std::path::Path;

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

const BASE: &str = "
subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {name: 'rg-${var:domain}-${var:env}', location: westeurope}
factory: {name: 'adf-${var:domain}-${var:env}', location: westeurope}
pipelines:
  wait:
    activities:
      - {name: pause, type: Wait, typeProperties: {waitTimeInSeconds: 1}}
  orchestrate:
    activities:
      - name: run-wait
        type: ExecutePipeline
        typeProperties: {pipeline: wait}
";

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn run(emulator: &EmulatorProcess, args: &[&str]) -> (i32, String, String) {
    let output = emulator.adfctl(args, &[("NO_COLOR", "1")]);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn pipelines(emulator: &EmulatorProcess, group: &str, factory: &str) -> Vec<String> {
    let list = http_get_json(&format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.DataFactory/factories/{factory}/pipelines?api-version=2018-06-01",
        emulator.endpoint
    ));
    let mut names: Vec<String> = list["value"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn three_targets_planned_and_applied_together_one_failing_without_stopping_the_others() {
    let emulator = EmulatorProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "base.yaml", BASE);
    // `adf-hr-prod` is taken by another resource group before the run.
    write(
        dir.path(),
        "squatter.yaml",
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg-other, location: westeurope}\nfactory: {name: adf-hr-prod, location: westeurope}\n",
    );
    let squatter = dir.path().join("squatter.yaml");
    let (code, stdout, stderr) = run(
        &emulator,
        &[
            "apply",
            "--auto-approve",
            "-f",
            &squatter.display().to_string(),
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    write(
        dir.path(),
        "targets.yaml",
        "targets:
  - name: sales-dev
    files: [base.yaml]
    vars: {domain: sales, env: dev}
  - name: sales-prod
    files: [base.yaml]
    vars: {domain: sales, env: prod}
  - name: hr-prod
    files: [base.yaml]
    vars: {domain: hr, env: prod}
",
    );
    let targets = dir.path().join("targets.yaml").display().to_string();

    // plan: every target's plan, then one summary; exit 2 (changes) with --detailed-exitcode.
    let (code, stdout, stderr) = run(
        &emulator,
        &["plan", "--targets", &targets, "--detailed-exitcode"],
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    for name in ["sales-dev", "sales-prod", "hr-prod"] {
        assert!(stdout.contains(&format!("=== {name} ===")), "{stdout}");
    }
    assert!(stdout.contains("Plan: 3 targets: 3 changes"), "{stdout}");
    assert!(
        stdout.contains(
            "sales-dev   changes     4 to create, 0 to update, 0 to replace, 0 to delete"
        ),
        "{stdout}"
    );

    // JSON: one document, each target's plan in the one-target format.
    let (code, stdout, stderr) = run(
        &emulator,
        &["plan", "--targets", &targets, "--format", "json"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(document["summary"]["targets"], 3);
    assert_eq!(document["summary"]["changes"], 3);
    assert_eq!(document["targets"][1]["name"], "sales-prod");
    assert_eq!(document["targets"][1]["plan"]["format_version"], "1");
    assert_eq!(document["targets"][1]["plan"]["summary"]["create"], 4);

    // Markdown: a summary table, then a section per target.
    let (code, stdout, stderr) = run(
        &emulator,
        &["plan", "--targets", &targets, "--format", "markdown"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("## adfctl plan: 3 targets"), "{stdout}");
    assert!(stdout.contains("| hr-prod | changes |"), "{stdout}");
    assert!(stdout.contains("### Target `hr-prod`"), "{stdout}");

    // apply: hr-prod fails (its factory name is taken), the two others converge.
    let (code, stdout, stderr) = run(
        &emulator,
        &["apply", "--targets", &targets, "--auto-approve"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Apply: 3 targets: 2 converged, 1 incomplete"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hr-prod: factory/adf-hr-prod: created FAILED"),
        "{stderr}"
    );
    assert!(stderr.contains("DataFactoryNameInUse"), "{stderr}");
    assert!(
        stderr.contains("sales-dev   converged   4 steps applied"),
        "{stderr}"
    );
    assert_eq!(
        pipelines(&emulator, "rg-sales-dev", "adf-sales-dev"),
        ["orchestrate", "wait"]
    );
    assert_eq!(
        pipelines(&emulator, "rg-sales-prod", "adf-sales-prod"),
        ["orchestrate", "wait"]
    );

    // A second plan: the converged targets have nothing to do; hr-prod still has.
    let (code, stdout, stderr) = run(
        &emulator,
        &["plan", "--targets", &targets, "--detailed-exitcode"],
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Plan: 3 targets: 2 no changes, 1 changes"),
        "{stdout}"
    );

    // destroy: the two converged targets go; hr-prod's group (created before its factory
    // failed) goes too, and the squatter's factory is untouched.
    let (code, stdout, stderr) = run(
        &emulator,
        &["destroy", "--targets", &targets, "--auto-approve"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("Destroy: 3 targets"), "{stderr}");
    let (code, stdout, stderr) = run(
        &emulator,
        &[
            "plan",
            "--targets",
            &targets,
            "--destroy",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(
        &emulator,
        &[
            "plan",
            "--detailed-exitcode",
            "-f",
            &squatter.display().to_string(),
        ],
    );
    assert_eq!(
        code, 0,
        "the other group's factory is untouched:\n{stdout}\n{stderr}"
    );
}

#[test]
fn a_targets_directory_with_a_shared_base_and_a_target_that_cannot_load() {
    let emulator = EmulatorProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "base.yaml", BASE);
    write(
        dir.path(),
        "envs/dev.yaml",
        "vars: {domain: fin, env: dev}\n",
    );
    write(
        dir.path(),
        "envs/test.yaml",
        "vars: {domain: fin, env: test}\n",
    );
    // A mistake in one target: a pipeline that runs one that does not exist.
    write(
        dir.path(),
        "envs/broken/spec.yaml",
        "vars: {domain: fin, env: broken}\npipelines:\n  orphan:\n    activities:\n      - {name: go, type: ExecutePipeline, typeProperties: {pipeline: missing}}\n",
    );
    let base = dir.path().join("base.yaml").display().to_string();
    let envs = dir.path().join("envs").display().to_string();
    let (code, stdout, stderr) = run(
        &emulator,
        &["apply", "-f", &base, "--targets", &envs, "--auto-approve"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Apply: 3 targets: 1 failed, 2 converged"),
        "{stderr}"
    );
    assert!(
        stderr.contains("missing"),
        "the broken target's error is shown:\n{stderr}"
    );
    assert_eq!(
        pipelines(&emulator, "rg-fin-dev", "adf-fin-dev"),
        ["orchestrate", "wait"]
    );
    assert_eq!(
        pipelines(&emulator, "rg-fin-test", "adf-fin-test"),
        ["orchestrate", "wait"]
    );
}

#[test]
fn targets_that_manage_one_factory_are_refused_before_anything_runs() {
    let emulator = EmulatorProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "base.yaml", BASE);
    write(
        dir.path(),
        "targets.yaml",
        "targets:\n  - {name: a, files: [base.yaml], vars: {domain: x, env: dev}}\n  - {name: b, files: [base.yaml], vars: {domain: x, env: dev}}\n",
    );
    let targets = dir.path().join("targets.yaml").display().to_string();
    let (code, stdout, stderr) = run(
        &emulator,
        &["apply", "--targets", &targets, "--auto-approve"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("targets `a` and `b` both manage factory adf-x-dev"),
        "{stderr}"
    );
    assert_eq!(emulator.stats()["byMethod"]["PUT"], serde_json::Value::Null);
}

#[test]
fn targets_in_one_subscription_share_its_arm_budget_and_none_is_throttled() {
    // ARM's buckets (writes: 200, then 10 per second, per subscription): six factories of 40
    // pipelines need 252 writes, more than the burst, so the run must be paced as a whole.
    let emulator = EmulatorProcess::start(&["--throttle"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pipelines_yaml = String::from("pipelines:\n");
    for index in 0..40 {
        pipelines_yaml.push_str(&format!(
            "  p{index:02}:\n    activities:\n      - {{name: pause, type: Wait, typeProperties: {{waitTimeInSeconds: 1}}}}\n"
        ));
    }
    let base = format!(
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {{name: 'rg-${{var:env}}', location: westeurope}}\nfactory: {{name: 'adf-budget-${{var:env}}', location: westeurope}}\n{pipelines_yaml}"
    );
    write(dir.path(), "base.yaml", &base);
    let mut list = String::from("targets:\n");
    for env in ["a", "b", "c", "d", "e", "f"] {
        list.push_str(&format!(
            "  - {{name: {env}, files: [base.yaml], vars: {{env: {env}}}}}\n"
        ));
    }
    write(dir.path(), "targets.yaml", &list);
    let targets = dir.path().join("targets.yaml").display().to_string();
    let (code, stdout, stderr) = run(
        &emulator,
        &["apply", "--targets", &targets, "--auto-approve"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("Apply: 6 targets: 6 converged"), "{stderr}");
    let stats = emulator.stats();
    assert_eq!(stats["throttled"], 0, "{stats}");
    assert!(
        stats["byMethod"]["PUT"].as_u64().unwrap_or(0) >= 252,
        "{stats}"
    );
}

#[test]
fn the_example_targets_file_plans_applies_and_converges() {
    // specs/fleet/targets.yaml: the overlay example's two environments in one run.
    let emulator = EmulatorProcess::start(&[]);
    let targets = "specs/fleet/targets.yaml";
    let output = emulator.adfctl(
        &["apply", "--targets", targets, "--auto-approve"],
        crate::support::SPEC_ENV,
    );
    let (stdout, stderr) = text(&output);
    // prod's group is `managed: false` and does not exist yet: prod fails, dev converges.
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Apply: 2 targets: 1 converged, 1 failed")
            && stderr.contains("prod: error: resource group `adfctl-prod-rg` does not exist"),
        "{stderr}"
    );
    // Its owners create it; the next run converges prod and leaves dev alone.
    let (status, body) = crate::support::http_request(
        "PUT",
        &format!(
            "{}/subscriptions/{SUBSCRIPTION}/resourcegroups/adfctl-prod-rg?api-version=2021-04-01",
            emulator.endpoint
        ),
        Some(&serde_json::json!({"location": "eastus"})),
    );
    assert!(status < 300, "{status} {body}");
    let output = emulator.adfctl(
        &["apply", "--targets", targets, "--auto-approve"],
        crate::support::SPEC_ENV,
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Apply: 2 targets: 1 no changes, 1 converged"),
        "{stderr}"
    );
    let output = emulator.adfctl(
        &["plan", "--targets", targets, "--detailed-exitcode"],
        crate::support::SPEC_ENV,
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Plan: 2 targets: 2 no changes"), "{stdout}");
    // A bad targets file: where, and what to do.
    let output = emulator.adfctl(&["plan", "--targets", "specs/fleet/missing.yaml"], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read the targets file specs/fleet/missing.yaml")
            && stderr.contains("hint:"),
        "{stderr}"
    );
}
