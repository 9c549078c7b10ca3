//! `adfctl validate` end to end: the real binary on every example, a broken spec and junk.

use assert_cmd::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn adfctl() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adfctl"));
    command
        .current_dir(ROOT)
        .env("STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
        .env("NO_COLOR", "1");
    command
}

#[test]
fn every_example_is_valid() {
    let sets = crate::support::spec_sets();
    assert!(sets.len() >= 5, "{sets:?}");
    for files in sets {
        let mut command = adfctl();
        command.arg("validate");
        for file in &files {
            command.args(["-f", file]);
        }
        let output = command.output().expect("run adfctl");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{files:?}:\n{stderr}");
        assert!(stdout.starts_with(&files.join(" + ")), "{stdout}");
        assert!(
            stdout.contains(": valid (") && stdout.contains("1 factory"),
            "{stdout}"
        );
        assert!(
            !stdout.contains("UseDevelopmentStorage") && !stderr.contains("UseDevelopmentStorage")
        );
    }
}

#[test]
fn quickstart_summary() {
    let output = adfctl()
        .args(["validate", "-f", "specs/quickstart.yaml"])
        .output()
        .expect("run adfctl");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "specs/quickstart.yaml: valid (1 resource group, 1 factory, 1 linked service, 2 datasets, 1 pipeline)\n"
    );
}

#[test]
fn a_missing_secret_variable_is_an_error_for_plan_and_a_warning_for_validate() {
    // plan needs the value (it fails while loading, before connecting anywhere).
    let output = adfctl()
        .env_remove("STORAGE_CONNECTION_STRING")
        .args([
            "plan",
            "-f",
            "specs/quickstart.yaml",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .output()
        .expect("run adfctl");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("specs/quickstart.yaml:23:41: error: environment variable `STORAGE_CONNECTION_STRING` (a secret) is not set"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  hint: export STORAGE_CONNECTION_STRING="),
        "{stderr}"
    );
    // validate does not (a pull request from a fork has no secrets): a warning.
    let output = adfctl()
        .env_remove("STORAGE_CONNECTION_STRING")
        .args(["validate", "-f", "specs/quickstart.yaml"])
        .output()
        .expect("run adfctl");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("specs/quickstart.yaml:23:41: warning: environment variable `STORAGE_CONNECTION_STRING` (a secret) is not set"),
        "{stderr}"
    );
}

#[test]
fn a_broken_spec_fails_with_positions_and_hints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("broken.yaml");
    std::fs::write(
        &spec,
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: fac, location: eastus}\n\
         datasets:\n  ds:\n    type: Binary\n    linkedServiceName: nope\npipelnes: {}\n",
    )
    .expect("write spec");
    let output = adfctl()
        .arg("validate")
        .arg("-f")
        .arg(&spec)
        .output()
        .expect("run adfctl");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let name = spec.display().to_string();
    assert!(
        stderr.contains(&format!("{name}:7:24: error: dataset `ds` references linked service `nope`, which the spec does not define")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:8:1: error: unknown key `pipelnes` at the top level of a spec\n  hint: did you mean `pipelines`?")),
        "{stderr}"
    );
    assert!(stderr.contains("2 errors found in"), "{stderr}");

    let output = adfctl()
        .arg("validate")
        .arg("-f")
        .arg(&spec)
        .args(["--format", "json"])
        .output()
        .expect("run adfctl");
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(report["format_version"], "1");
    assert_eq!(report["valid"], false);
    assert_eq!(report["diagnostics"][0]["code"], "dangling-reference");
    assert_eq!(report["diagnostics"][0]["line"], 7);
    assert_eq!(report["diagnostics"][0]["column"], 24);
}

#[test]
fn junk_input_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    bytes.extend_from_slice(b"\xff\xfe\x00");
    let junk = dir.path().join("junk.yaml");
    std::fs::write(&junk, &bytes).expect("write junk");
    let text_junk = dir.path().join("junk2.yaml");
    std::fs::write(&text_junk, "{{{{[[[[&a *b !c ::: ---\n\t- ]]\n".repeat(50))
        .expect("write junk");
    let bomb = dir.path().join("bomb.yaml");
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    std::fs::write(&bomb, text).expect("write bomb");
    for file in [&junk, &text_junk, &bomb, &dir.path().join("missing.yaml")] {
        let output = adfctl()
            .arg("validate")
            .arg("-f")
            .arg(file)
            .output()
            .expect("run adfctl");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("error:"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn vars_on_the_command_line_override_the_spec() {
    let output = adfctl()
        .args([
            "validate",
            "-f",
            "specs/overlay/base.yaml",
            "-f",
            "specs/overlay/dev.yaml",
            "--var",
            "env=qa",
            "--format",
            "json",
        ])
        .output()
        .expect("run adfctl");
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let resources = report["resources"].as_array().expect("resources");
    assert!(
        resources.iter().any(|r| r == "factory/adfctl-qa-factory"),
        "{resources:?}"
    );
}
