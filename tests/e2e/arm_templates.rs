//! ARM templates as a spec source, end to end: the real publish output in
//! `../shared/realworld/arm-templates` (a template and the parameters file ADF writes beside
//! it, and a template alone), each with its target overlay in `tests/fixtures/realworld/`:
//! validate is clean, apply to the emulator, the next plan is clean. Skips, saying so,
//! without ../shared.

use crate::support::{EmulatorProcess, text, workspace_root};
use std::path::Path;

/// `adfctl validate -f FILE...` (it needs no factory): (exit code, stdout, stderr).
fn validate(files: &[&Path]) -> (i32, String, String) {
    let mut validate = std::process::Command::new(crate::support::adfctl_bin());
    validate.arg("validate");
    for file in files {
        validate.arg("-f").arg(file);
    }
    validate.env("NO_COLOR", "1").current_dir(workspace_root());
    let output = crate::support::run_bounded(validate, std::time::Duration::from_secs(120));
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn check(folder: &str, summary: &str) {
    let Some(shared) = adf_testkit::shared(
        &format!("arm_templates::{folder}"),
        &format!("realworld/arm-templates/{folder}"),
    ) else {
        return;
    };
    let template = shared.join("ARMTemplateForFactory.json");
    let overlay = workspace_root().join(format!("tests/fixtures/realworld/arm-{folder}.yaml"));
    let files = [template.as_path(), overlay.as_path()];
    let (code, stdout, stderr) = validate(&files);
    assert_eq!(code, 0, "validate:\n{stdout}\n{stderr}");
    assert!(stdout.contains(summary), "validate:\n{stdout}\n{stderr}");
    assert!(!stderr.contains("warning"), "validate:\n{stderr}");
    // The publish folder itself reads the same.
    let (code, stdout, stderr) = validate(&[shared.as_path(), overlay.as_path()]);
    assert_eq!(code, 0, "validate of the folder:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains(summary),
        "validate of the folder:\n{stdout}"
    );

    let emulator = EmulatorProcess::start(&[]);
    let run = |args: &[&str], files: &[&Path]| emulator.adfctl_files(args, files);

    let (code, stdout, stderr) = run(&["apply", "--auto-approve"], &files);
    assert_eq!(code, 0, "apply:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("+ pipeline/"),
        "apply created no pipeline:\n{stdout}"
    );
    let (code, stdout, stderr) = run(&["plan", "--detailed-exitcode"], &files);
    assert_eq!(
        code, 0,
        "the plan after apply is not clean:\n{stdout}\n{stderr}"
    );
}

#[test]
fn arm_template_with_parameters_file_applies_and_plans_clean() {
    // Parameters from the file beside the template; the empty secure string set by the overlay.
    check(
        "adftools-simpledeployment",
        "1 resource group, 1 factory, 3 linked services, 2 datasets, 1 pipeline",
    );
}

#[test]
fn arm_template_without_parameters_file_applies_and_plans_clean() {
    // Every parameter's default; the factory resource's global parameters.
    check(
        "adftools-issue-138",
        "1 resource group, 1 factory, 1 global parameter, 1 pipeline",
    );
}

/// spec → live factory → `export --format arm` → import of the template plans clean.
#[test]
fn an_arm_export_imports_and_plans_clean() {
    use crate::support::SPEC_ENV;
    let emulator = EmulatorProcess::start(&[]);
    let spec = workspace_root().join("specs/foreach.yaml");
    let (code, stdout, stderr) = {
        let mut args = vec!["apply", "--auto-approve", "-f"];
        let spec_text = spec.display().to_string();
        args.push(&spec_text);
        let output = emulator.adfctl(&args, SPEC_ENV);
        let (stdout, stderr) = text(&output);
        (output.status.code().unwrap_or(-1), stdout, stderr)
    };
    assert_eq!(code, 0, "apply:\n{stdout}\n{stderr}");

    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().display().to_string();
    let output = emulator.adfctl(
        &[
            "export",
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--resource-group",
            "adfctl-foreach-rg",
            "--factory",
            "adfctl-foreach-example",
            "--format",
            "arm",
            "-o",
            &dir,
        ],
        &[("NO_COLOR", "1")],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "export:\n{stdout}\n{stderr}");
    let secret = SPEC_ENV[0].1;
    let template_path = out.path().join("ARMTemplateForFactory.json");
    let parameters_path = out.path().join("ARMTemplateParametersForFactory.json");
    let template = std::fs::read_to_string(&template_path).expect("template");
    let parameters = std::fs::read_to_string(&parameters_path).expect("parameters");
    assert!(!template.contains(secret) && !parameters.contains(secret));
    for expected in [
        "[concat(parameters('factoryName'), '/copyOneFile')]",
        "[concat(variables('factoryId'), '/linkedservices/blobStorage')]",
        "\"type\": \"secureString\"",
        "\"runtimeState\": \"Stopped\"",
    ] {
        assert!(
            template.contains(expected),
            "missing `{expected}`:\n{template}"
        );
    }
    // The secure string is a parameter, empty in the parameters file: the team fills it in.
    let listed: Vec<String> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("ARM never returns secret values"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(listed, ["blobStorage_connectionString"], "{stderr}");
    let mut values: serde_json::Value = serde_json::from_str(&parameters).expect("json");
    values["parameters"]["blobStorage_connectionString"]["value"] = secret.into();
    std::fs::write(&parameters_path, values.to_string()).expect("write");

    let overlay = out.path().join("target.yaml");
    std::fs::write(
        &overlay,
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: adfctl-foreach-rg, location: eastus}\nfactory: {name: adfctl-foreach-example, location: eastus}\n",
    )
    .expect("write");
    let (code, stdout, stderr) = validate(&[template_path.as_path(), overlay.as_path()]);
    assert_eq!(code, 0, "validate:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("(1 resource group, 1 factory, 1 global parameter, 1 linked service, 1 dataset, 2 pipelines, 1 trigger)"),
        "{stdout}"
    );
    let plan = |env: &[(&str, &str)]| {
        let template = template_path.display().to_string();
        let overlay = overlay.display().to_string();
        let output = emulator.adfctl(
            &[
                "plan",
                "--detailed-exitcode",
                "-f",
                &template,
                "-f",
                &overlay,
            ],
            env,
        );
        let (stdout, stderr) = text(&output);
        (output.status.code().unwrap_or(-1), stdout, stderr)
    };
    // With the value in the parameters file.
    let (code, stdout, stderr) = plan(&[("NO_COLOR", "1")]);
    assert_eq!(
        code, 0,
        "the import of the export must plan clean:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("No changes"), "{stdout}");
    // Left empty, as ADF's publish leaves it: the environment variable of its name.
    std::fs::write(&parameters_path, &parameters).expect("write");
    let (code, _, stderr) = plan(&[("NO_COLOR", "1")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("blobStorage_connectionString"), "{stderr}");
    let (code, stdout, stderr) =
        plan(&[("NO_COLOR", "1"), ("blobStorage_connectionString", secret)]);
    assert_eq!(
        code, 0,
        "the import of the export must plan clean:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("No changes"), "{stdout}");
}
