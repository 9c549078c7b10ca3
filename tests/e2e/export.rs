//! Migration end to end: export a live factory and plan the export again (no changes), deploy an
//! ADF Studio git repository, and the cost command.

use crate::support::{EmulatorProcess, SPEC_ENV, file_args, http_request, spec_sets, text};

fn run(emulator: &EmulatorProcess, args: &[String], env: &[(&str, &str)]) -> (i32, String, String) {
    let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = emulator.adfctl(&borrowed, env);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The secret every example spec reads.
fn storage_secret() -> &'static str {
    SPEC_ENV
        .iter()
        .find(|(k, _)| *k == "STORAGE_CONNECTION_STRING")
        .map(|(_, v)| *v)
        .expect("SPEC_ENV has the storage secret")
}

/// The variable names export lists on stderr (`  NAME  (address pointer)`).
fn listed_variables(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("ARM never returns secret values"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A spec with `managed: false` needs its group to exist: create it when plan says so.
fn ensure_group(emulator: &EmulatorProcess, set: &[String]) {
    let mut args = vec!["plan".to_owned()];
    args.extend(file_args(set));
    let (code, _, stderr) = run(emulator, &args, SPEC_ENV);
    if code == 1 && stderr.contains("managed: false") {
        let group = stderr.split('`').nth(1).expect("the error names the group");
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
}

#[test]
fn an_export_of_every_example_plans_with_no_changes() {
    for set in spec_sets() {
        let label = set.join(" + ");
        let emulator = EmulatorProcess::start(&[]);
        ensure_group(&emulator, &set);
        let mut apply = vec!["apply".to_owned()];
        apply.extend(file_args(&set));
        apply.push("--auto-approve".into());
        let (code, stdout, stderr) = run(&emulator, &apply, SPEC_ENV);
        assert_eq!(code, 0, "{label}: apply\n{stdout}\n{stderr}");

        let mut plan = vec!["plan".to_owned()];
        plan.extend(file_args(&set));
        plan.extend(strings(&["--format", "json"]));
        let (code, stdout, stderr) = run(&emulator, &plan, SPEC_ENV);
        assert_eq!(code, 0, "{label}: {stderr}");
        let target: serde_json::Value = serde_json::from_str(&stdout).expect("json plan");
        let target = &target["target"];
        let field = |name: &str| target[name].as_str().expect("target field").to_owned();

        let out = tempfile::tempdir().expect("temp dir");
        for per_entity in [false, true] {
            let dir = out
                .path()
                .join(if per_entity { "entities" } else { "kinds" });
            let mut export = strings(&["export", "--subscription"]);
            export.extend([
                field("subscription"),
                "--resource-group".into(),
                field("resource_group"),
                "--factory".into(),
                field("factory"),
                "-o".into(),
                dir.display().to_string(),
            ]);
            if per_entity {
                export.push("--per-entity".into());
            }
            let (code, stdout, stderr) = run(&emulator, &export, &[("NO_COLOR", "1")]);
            assert_eq!(code, 0, "{label}: export\n{stdout}\n{stderr}");
            assert!(
                !stderr.contains(storage_secret()),
                "{label}: a secret leaked"
            );

            // Every example's secret is the storage connection string.
            let variables = listed_variables(&stderr);
            let mut env: Vec<(&str, &str)> = variables
                .iter()
                .map(|v| (v.as_str(), storage_secret()))
                .collect();
            env.push(("NO_COLOR", "1"));

            // The folder is the spec: one `-f DIR`, as the hint says.
            let hint = stderr
                .lines()
                .find_map(|l| l.strip_prefix("hint: adfctl plan "))
                .expect("export prints the plan command");
            assert_eq!(hint, format!("-f {}", dir.display()), "{label}");
            let mut files = Vec::new();
            files_under(&dir, &mut files);
            assert!(
                files.iter().any(|f| f.ends_with("factory.yaml")),
                "{label}: {files:?}"
            );
            for file in &files {
                let text = std::fs::read_to_string(file).expect("exported file");
                let file = file.display();
                assert!(
                    !text.contains(storage_secret()),
                    "{label}: secret in {file}"
                );
                assert!(!text.contains("**********"), "{label}: mask in {file}");
            }
            let mut plan = strings(&["plan", "--detailed-exitcode", "-f"]);
            plan.push(dir.display().to_string());
            let (code, stdout, stderr) = run(&emulator, &plan, &env);
            assert_eq!(
                code, 0,
                "{label}: the export must plan clean\n{stdout}\n{stderr}"
            );
            assert!(stdout.contains("No changes"), "{label}: {stdout}");
        }
    }
}

#[test]
fn exporting_the_same_factory_twice_gives_the_same_text() {
    let emulator = EmulatorProcess::start(&[]);
    let set = vec!["specs/foreach.yaml".to_owned()];
    let mut apply = vec!["apply".to_owned()];
    apply.extend(file_args(&set));
    apply.push("--auto-approve".into());
    assert_eq!(run(&emulator, &apply, SPEC_ENV).0, 0);
    let export = strings(&[
        "export",
        "--subscription",
        "00000000-0000-0000-0000-000000000000",
        "--resource-group",
        "adfctl-foreach-rg",
        "--factory",
        "adfctl-foreach-example",
    ]);
    let (code, first, stderr) = run(&emulator, &export, &[]);
    assert_eq!(code, 0, "{stderr}");
    let (_, second, _) = run(&emulator, &export, &[]);
    assert_eq!(first, second);
    insta::assert_snapshot!("export_foreach", first);
    // Short references, placeholders, the stopped trigger, and the variable list as a comment.
    for expected in [
        "linkedServiceName: blobStorage",
        "pipeline: copyOneFile",
        "secretFromEnv: LS_BLOBSTORAGE_CONNECTIONSTRING",
        "runtimeState: Stopped",
        "#   LS_BLOBSTORAGE_CONNECTIONSTRING",
        "managed: false",
    ] {
        assert!(first.contains(expected), "missing `{expected}`:\n{first}");
    }

    let (code, _, stderr) = run(
        &emulator,
        &strings(&[
            "export",
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--resource-group",
            "adfctl-foreach-rg",
            "--factory",
            "nope",
        ]),
        &[],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

const REPO: &str = "tests/fixtures/adf-git-repo/repo";
const OVERLAY: &str = "tests/fixtures/adf-git-repo/emulator.yaml";

#[test]
fn an_adf_studio_repository_deploys_and_plans_clean() {
    let emulator = EmulatorProcess::start(&[]);
    let files = strings(&["-f", REPO, "-f", OVERLAY]);
    let with = |command: &str, extra: &[&str]| {
        let mut args = vec![command.to_owned()];
        args.extend(files.iter().cloned());
        args.extend(strings(extra));
        args
    };
    let env = [("NO_COLOR", "1")];
    let (code, stdout, stderr) = run(&emulator, &with("plan", &["--detailed-exitcode"]), &env);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    for address in [
        "factory/adf-sales-emulator",
        "globalParameters/default",
        "integrationRuntime/selfHostedRuntime",
        "linkedService/keyVault",
        "linkedService/salesStorage",
        "linkedService/fileShare",
        "dataset/rawOrders",
        "dataset/cleanOrders",
        "dataFlow/cleanOrdersFlow",
        "pipeline/copyRawOrders",
        "pipeline/nightlySales",
        "trigger/nightly",
    ] {
        assert!(stdout.contains(address), "{address} missing:\n{stdout}");
    }
    // The overlay wins: the emulator's Key Vault and global parameter value.
    assert!(stdout.contains("sales-test-kv"), "{stdout}");
    assert!(stdout.contains("\"emulator\""), "{stdout}");

    let (code, stdout, stderr) = run(&emulator, &with("apply", &["--auto-approve"]), &env);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(&emulator, &with("plan", &["--detailed-exitcode"]), &env);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("No changes"), "{stdout}");
}

#[test]
fn a_broken_studio_file_is_reported_with_its_file_line_and_column() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = crate::support::workspace_root().join(REPO);
    for folder in ["factory", "linkedService", "pipeline"] {
        std::fs::create_dir_all(repo.path().join(folder)).expect("mkdir");
        for entry in std::fs::read_dir(root.join(folder)).expect("fixture folder") {
            let path = entry.expect("entry").path();
            std::fs::copy(
                &path,
                repo.path()
                    .join(folder)
                    .join(path.file_name().expect("name")),
            )
            .expect("copy");
        }
    }
    // A pipeline whose activity lost its type, and a dataset file in the pipeline folder.
    std::fs::write(
        repo.path().join("pipeline/broken.json"),
        "{\n\t\"name\": \"broken\",\n\t\"properties\": {\n\t\t\"activities\": [\n\t\t\t{\"name\": \"w\"}\n\t\t]\n\t}\n}\n",
    )
    .expect("write");
    std::fs::write(
        repo.path().join("pipeline/misplaced.json"),
        "{\"name\": \"misplaced\", \"type\": \"Microsoft.DataFactory/factories/datasets\", \"properties\": {}}",
    )
    .expect("write");
    std::fs::create_dir_all(repo.path().join("linkedTemplates")).expect("mkdir");
    let repo_arg = repo.path().display().to_string();
    let output = std::process::Command::new(crate::support::adfctl_bin())
        .args(["validate", "-f", &repo_arg, "-f"])
        .arg(crate::support::workspace_root().join(OVERLAY))
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let broken = format!("{repo_arg}/pipeline/broken.json:5:4: error:");
    assert!(stderr.contains(&broken), "{stderr}");
    let misplaced = format!("{repo_arg}/pipeline/misplaced.json:1:");
    assert!(
        stderr.contains(&misplaced) && stderr.contains("is not a pipeline"),
        "{stderr}"
    );
    assert!(
        stderr.contains("folder `linkedTemplates/` skipped"),
        "{stderr}"
    );
}

#[test]
fn cost_counts_pipelines_no_started_trigger_reaches() {
    let emulator = EmulatorProcess::start(&[]);
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["cost", "-f", "specs/foreach.yaml"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("cost_foreach", stdout);
    // foreach.yaml: two pipelines, its only trigger Stopped: both inactive.
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["cost", "-f", "specs/foreach.yaml", "--format", "json"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    let cost: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(cost["format_version"], "1");
    assert_eq!(cost["spec"]["pipelines"], 2);
    assert_eq!(cost["spec"]["monthly_usd"], 1.6);

    // The git repository: the overlay stops the trigger; the repository alone starts it, and
    // then nightlySales (triggered) and copyRawOrders (run by it) are active.
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["cost", "-f", REPO, "-f", OVERLAY]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("$1.60/month (2 of 2 pipelines inactive)"),
        "{stdout}"
    );
    let started = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        started.path(),
        "triggers:\n  nightly:\n    runtimeState: Started\n",
    )
    .expect("write");
    let started_path = started.path().display().to_string();
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["cost", "-f", REPO, "-f", OVERLAY, "-f", &started_path]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("$0.00/month (0 of 2 pipelines inactive)"),
        "{stdout}"
    );

    // --live, before and after apply; and the plan shows both figures.
    let args = strings(&[
        "cost",
        "-f",
        REPO,
        "-f",
        OVERLAY,
        "-f",
        &started_path,
        "--live",
    ]);
    let (code, stdout, stderr) = run(&emulator, &args, SPEC_ENV);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Live (factory adf-sales-emulator): estimated inactive-pipeline charge $0.00/month (0 of 0 pipelines inactive)"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["apply", "-f", REPO, "-f", OVERLAY, "--auto-approve"]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (_, stdout, _) = run(&emulator, &args, SPEC_ENV);
    assert!(
        stdout.contains("Live (factory adf-sales-emulator): estimated inactive-pipeline charge $1.60/month (2 of 2 pipelines inactive)"),
        "{stdout}"
    );
    // A pipeline that ran this month is billed no inactive charge, whatever the run's outcome.
    let (code, _, stderr) = run(
        &emulator,
        &strings(&[
            "run",
            "-f",
            REPO,
            "-f",
            OVERLAY,
            "copyRawOrders",
            "--no-wait",
        ]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, stdout, _) = run(&emulator, &args, SPEC_ENV);
    assert!(
        stdout.contains("Live (factory adf-sales-emulator): estimated inactive-pipeline charge $0.80/month (1 of 2 pipelines inactive)")
            && stdout.contains("  inactive: nightlySales\n"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["plan", "-f", REPO, "-f", OVERLAY, "-f", &started_path]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Estimated inactive-pipeline charge: $1.60/month now → $0.00/month after"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["plan", "--destroy", "-f", REPO, "-f", OVERLAY]),
        SPEC_ENV,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Estimated inactive-pipeline charge: $1.60/month now → $0.00/month after"),
        "{stdout}"
    );
}

#[test]
fn a_factory_adfctl_never_applied_shows_each_secret_changed_once() {
    let emulator = EmulatorProcess::start(&[]);
    let base = format!(
        "{}/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/adopted-rg",
        emulator.endpoint
    );
    let factory = format!("{base}/providers/Microsoft.DataFactory/factories/adopted-factory");
    let put = |url: String, body: serde_json::Value| {
        let (status, text) = http_request("PUT", &url, Some(&body));
        assert!(status == 200 || status == 201, "{url}: {status} {text}");
    };
    put(
        format!("{base}?api-version=2021-04-01"),
        serde_json::json!({"location": "eastus"}),
    );
    put(
        format!("{factory}?api-version=2018-06-01"),
        serde_json::json!({"location": "eastus"}),
    );
    put(
        format!("{factory}/linkedservices/storage?api-version=2018-06-01"),
        serde_json::json!({"properties": {"type": "AzureBlobStorage", "typeProperties": {
            "connectionString": {"type": "SecureString", "value": storage_secret()}}}}),
    );
    put(
        format!("{factory}/pipelines/wait?api-version=2018-06-01"),
        serde_json::json!({"properties": {"activities": [
            {"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}}),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("adopted.yaml").display().to_string();
    let (code, _, stderr) = run(
        &emulator,
        &strings(&[
            "export",
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--resource-group",
            "adopted-rg",
            "--factory",
            "adopted-factory",
            "-o",
            &file,
        ]),
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(listed_variables(&stderr), ["LS_STORAGE_CONNECTIONSTRING"]);
    let env = [
        ("LS_STORAGE_CONNECTIONSTRING", storage_secret()),
        ("NO_COLOR", "1"),
    ];
    let plan = strings(&["plan", "-f", &file, "--detailed-exitcode"]);
    let (code, stdout, stderr) = run(&emulator, &plan, &env);
    assert_eq!(
        code, 2,
        "no fingerprint yet: one update\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("(secret changed)"), "{stdout}");
    assert!(stdout.contains("0 to create, 1 to update"), "{stdout}");
    assert!(!stdout.contains(storage_secret()), "{stdout}");
    let (code, stdout, stderr) = run(
        &emulator,
        &strings(&["apply", "-f", &file, "--auto-approve"]),
        &env,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(&emulator, &plan, &env);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}
