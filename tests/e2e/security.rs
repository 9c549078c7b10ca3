//! Security: planted secrets never appear in any byte adfctl writes (stdout, stderr with
//! `RUST_LOG=trace`, saved plans, any file under the working directory) across a full plan,
//! apply, run and destroy cycle; access tokens are never logged; plain-http endpoints that are
//! not loopback are refused; destroy and `--prune` need confirmation.

use crate::support::{EmulatorProcess, adfctl_bin, http_request, run_bounded, text};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Planted secret values. Each has a distinctive core that is searched for on its own too, so
/// that a partial or re-encoded leak (a substring, a different quoting) is caught.
const STORAGE_KEY: &str =
    "DefaultEndpointsProtocol=https;AccountName=sec;AccountKey=PLANTED-9f3a1c-storage==";
const STORAGE_KEY_ROTATED: &str =
    "DefaultEndpointsProtocol=https;AccountName=sec;AccountKey=PLANTED-51d7e0-rotated==";
const SQL_PASSWORD: &str = "Pa55-PLANTED-b2e8d4-sql";
const CLIENT_SECRET: &str = "client-secret-PLANTED-77c0aa";
const OIDC_REQUEST_TOKEN: &str = "oidc-request-token-PLANTED-3e9b12";
const CORES: [&str; 5] = ["9f3a1c", "51d7e0", "b2e8d4", "77c0aa", "3e9b12"];

const SPEC: &str = r#"
subscription: 00000000-0000-0000-0000-00000000005e
resourceGroup: {name: security-rg, location: westeurope}
factory: {name: security-factory, location: westeurope, identity: {type: SystemAssigned}}
linkedServices:
  vault:
    type: AzureKeyVault
    typeProperties: {baseUrl: "https://security-kv.vault.azure.net/"}
  vaulted:
    type: AzureSqlDatabase
    typeProperties:
      connectionString: "Server=tcp:vaulted.database.windows.net;Database=d;"
      password: {type: AzureKeyVaultSecret, store: vault, secretName: vaulted-password}
  storage:
    type: AzureBlobStorage
    typeProperties:
      connectionString: {secretFromEnv: SECURITY_STORAGE_KEY}
  sql:
    type: AzureSqlDatabase
    typeProperties:
      connectionString: "Server=tcp:sql.database.windows.net;Database=d;"
      password: {type: SecureString, value: "${env:SECURITY_SQL_PASSWORD}"}
datasets:
  table:
    type: AzureSqlTable
    linkedServiceName: sql
    typeProperties: {schema: dbo, table: Orders}
pipelines:
  pause:
    activities:
      - {name: wait, type: Wait, typeProperties: {waitTimeInSeconds: 1}}
  lookup:
    activities:
      - {name: look, type: Lookup, typeProperties: {source: {type: AzureSqlSource}, dataset: table}}
triggers:
  hourly:
    type: ScheduleTrigger
    runtimeState: Started
    typeProperties: {recurrence: {frequency: Hour, interval: 1, startTime: "2026-01-01T00:00:00Z", timeZone: UTC}}
    pipelines: [pause]
"#;

struct Workspace {
    dir: tempfile::TempDir,
    transcript: Vec<(String, Output)>,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("spec.yaml"), SPEC).expect("write spec");
        Workspace {
            dir,
            transcript: Vec::new(),
        }
    }

    /// Runs adfctl in the workspace with `RUST_LOG=trace` and the planted secrets in its
    /// environment; keeps every byte of its output.
    fn run(&mut self, endpoint: &str, args: &[&str], storage_key: &str) -> Output {
        let mut command = Command::new(adfctl_bin());
        command.args(args);
        if args.first() != Some(&"validate") {
            command.args(["--endpoint", endpoint]);
        }
        command
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .env("RUST_LOG", "trace")
            .env("NO_COLOR", "1")
            .env("SECURITY_STORAGE_KEY", storage_key)
            .env("SECURITY_SQL_PASSWORD", SQL_PASSWORD)
            .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", OIDC_REQUEST_TOKEN);
        let output = run_bounded(command, Duration::from_secs(90));
        self.transcript.push((args.join(" "), output.clone()));
        output
    }
}

fn describe(output: &Output) -> String {
    let (stdout, stderr) = text(output);
    let tail: String = stderr
        .lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "exit {:?}\n--- stdout\n{stdout}\n--- stderr (last lines)\n{tail}",
        output.status.code()
    )
}

fn needles() -> Vec<&'static str> {
    let mut needles = vec![
        STORAGE_KEY,
        STORAGE_KEY_ROTATED,
        SQL_PASSWORD,
        CLIENT_SECRET,
        OIDC_REQUEST_TOKEN,
    ];
    needles.extend(CORES);
    needles
}

fn find_leaks(label: &str, bytes: &[u8], leaks: &mut Vec<String>) {
    let haystack = String::from_utf8_lossy(bytes);
    for needle in needles() {
        if haystack.contains(needle) {
            leaks.push(format!("{label} contains {needle:?}"));
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry"))
    {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn planted_secrets_never_appear_in_output_logs_plans_or_files() {
    let emulator = EmulatorProcess::start(&[]);
    let endpoint = emulator.endpoint.clone();
    let mut workspace = Workspace::new();
    let key = STORAGE_KEY;

    let output = workspace.run(&endpoint, &["validate", "-f", "spec.yaml"], key);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    for format in ["human", "json", "markdown"] {
        let output = workspace.run(
            &endpoint,
            &["plan", "-f", "spec.yaml", "--format", format],
            key,
        );
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    }
    let output = workspace.run(
        &endpoint,
        &["plan", "-f", "spec.yaml", "--out", "first.plan"],
        key,
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let output = workspace.run(&endpoint, &["apply", "first.plan"], key);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let output = workspace.run(
        &endpoint,
        &["plan", "-f", "spec.yaml", "--detailed-exitcode"],
        key,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "converged\n{}",
        describe(&output)
    );

    // Rotate a secret: the plan says a secret changed, never what it was or became.
    let rotated = STORAGE_KEY_ROTATED;
    let output = workspace.run(
        &endpoint,
        &[
            "plan",
            "-f",
            "spec.yaml",
            "--detailed-exitcode",
            "--out",
            "rotated.plan",
        ],
        rotated,
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let output = workspace.run(
        &endpoint,
        &["plan", "-f", "spec.yaml", "--format", "json"],
        rotated,
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let output = workspace.run(
        &endpoint,
        &["apply", "-f", "spec.yaml", "--auto-approve"],
        rotated,
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    // A stale saved plan is refused, and the refusal shows no secret either.
    let output = workspace.run(&endpoint, &["apply", "rotated.plan"], key);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));

    // A run (it may not finish: the timeout cancels it), and the run list.
    let output = workspace.run(
        &endpoint,
        &["run", "-f", "spec.yaml", "pause", "--timeout", "5s"],
        rotated,
    );
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        describe(&output)
    );
    let output = workspace.run(&endpoint, &["runs", "-f", "spec.yaml"], rotated);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));

    let output = workspace.run(
        &endpoint,
        &[
            "plan",
            "-f",
            "spec.yaml",
            "--destroy",
            "--out",
            "destroy.plan",
        ],
        rotated,
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let output = workspace.run(
        &endpoint,
        &["destroy", "-f", "spec.yaml", "--auto-approve"],
        rotated,
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));

    let mut leaks = Vec::new();
    let mut logged = 0;
    for (command, output) in &workspace.transcript {
        find_leaks(
            &format!("stdout of `{command}`"),
            &output.stdout,
            &mut leaks,
        );
        find_leaks(
            &format!("stderr of `{command}`"),
            &output.stderr,
            &mut leaks,
        );
        logged += output.stderr.len();
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The bearer token sent to the emulator is an access token like any other.
        if stderr.contains(adf_arm::LOCAL_TOKEN) || stderr.to_ascii_lowercase().contains("bearer ")
        {
            leaks.push(format!("stderr of `{command}` shows the access token"));
        }
    }
    let mut files = Vec::new();
    files_under(workspace.dir.path(), &mut files);
    for file in &files {
        let bytes = std::fs::read(file).expect("read file");
        find_leaks(&file.display().to_string(), &bytes, &mut leaks);
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    // The scan covered real output: trace logs, and the saved plans.
    assert!(
        logged > 10_000,
        "RUST_LOG=trace produced only {logged} bytes of logs"
    );
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in ["first.plan", "rotated.plan", "destroy.plan"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
}

/// A `tracing` writer that keeps everything in memory.
#[test]
fn a_static_access_token_is_never_logged_even_at_trace() {
    const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.PLANTED-token-c0ffee.sig";
    let emulator = EmulatorProcess::start(&[]);
    let endpoint = url::Url::parse(&emulator.endpoint).expect("url");
    let mut options = adf_arm::ArmClientOptions::new(endpoint.clone());
    options.credential = adf_arm::Credential::Static(adf_arm::SecretString::new(TOKEN.to_owned()));
    options.retry.max_retries = 1;
    options.retry.initial_delay = Duration::from_millis(10);
    let debug = format!("{options:?}");
    assert!(!debug.contains("c0ffee"), "Debug of the options: {debug}");

    let captured = adf_testkit::CapturedLogs::default();
    let subscriber = captured.subscriber();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let client = adf_arm::ArmClient::new(options).expect("client");
            let group =
                "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/token-rg";
            client
                .put(
                    group,
                    adf_core::RESOURCES_API_VERSION,
                    &serde_json::json!({"location": "westeurope"}),
                    None,
                )
                .await
                .expect("put group");
            client
                .get(group, adf_core::RESOURCES_API_VERSION)
                .await
                .expect("get group");
            let missing =
                format!("{group}/providers/Microsoft.DataFactory/factories/missing-factory");
            let error = client
                .get(&missing, adf_core::ADF_API_VERSION)
                .await
                .expect_err("404");
            assert!(!error.to_string().contains("c0ffee"), "{error}");
            let _ = client
                .list(
                    &format!("{group}/resources"),
                    adf_core::RESOURCES_API_VERSION,
                )
                .await;
            // A refused connection, retried, then reported.
            let mut closed =
                adf_arm::ArmClientOptions::new(url::Url::parse("http://127.0.0.1:9").expect("url"));
            closed.credential =
                adf_arm::Credential::Static(adf_arm::SecretString::new(TOKEN.to_owned()));
            closed.retry.max_retries = 1;
            closed.retry.initial_delay = Duration::from_millis(10);
            let closed = adf_arm::ArmClient::new(closed).expect("client");
            let error = closed
                .get(group, adf_core::RESOURCES_API_VERSION)
                .await
                .expect_err("refused");
            assert!(
                !format!("{error} {error:?}").contains("c0ffee"),
                "{error:?}"
            );
            assert!(!format!("{client:?}").contains("c0ffee"));
        });
    });
    let logs = captured.text();
    assert!(!logs.is_empty(), "trace logging captured nothing");
    assert!(
        !logs.contains("c0ffee") && !logs.contains(TOKEN),
        "the token is in the logs:\n{logs}"
    );
}

#[test]
fn plain_http_endpoints_that_are_not_loopback_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("spec.yaml"), SPEC).expect("write spec");
    for endpoint in ["http://example.com", "http://10.1.2.3:4000/"] {
        let mut command = Command::new(adfctl_bin());
        command
            .args(["plan", "-f", "spec.yaml", "--endpoint", endpoint])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .env("NO_COLOR", "1")
            .env("SECURITY_STORAGE_KEY", STORAGE_KEY)
            .env("SECURITY_SQL_PASSWORD", SQL_PASSWORD);
        let output = run_bounded(command, Duration::from_secs(30));
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
        assert!(
            stderr.contains("plain http") && stderr.contains("https"),
            "a clear error that says what to do: {stderr}"
        );
    }
}

fn deletes(emulator: &EmulatorProcess) -> u64 {
    emulator.stats()["byMethod"]["DELETE"].as_u64().unwrap_or(0)
}

#[test]
fn destroy_and_prune_need_confirmation() {
    let emulator = EmulatorProcess::start(&[]);
    let endpoint = emulator.endpoint.clone();
    let mut workspace = Workspace::new();
    let key = STORAGE_KEY;
    let output = workspace.run(
        &endpoint,
        &["apply", "-f", "spec.yaml", "--auto-approve"],
        key,
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));

    // Something the spec does not manage, created behind adfctl's back.
    let factory = format!(
        "{endpoint}/subscriptions/00000000-0000-0000-0000-00000000005e/resourceGroups/security-rg/providers/Microsoft.DataFactory/factories/security-factory"
    );
    let stray = format!("{factory}/pipelines/stray?api-version=2018-06-01");
    let body = serde_json::json!({"properties": {"activities": []}});
    let (status, _) = http_request("PUT", &stray, Some(&body));
    assert_eq!(status, 200);

    // No terminal, no --auto-approve: refused, and nothing is deleted.
    let output = workspace.run(&endpoint, &["destroy", "-f", "spec.yaml"], key);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stderr.contains("--auto-approve"),
        "the refusal says what to do: {stderr}"
    );

    let output = workspace.run(&endpoint, &["apply", "-f", "spec.yaml", "--prune"], key);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(stderr.contains("--auto-approve"), "{stderr}");

    let output = workspace.run(
        &endpoint,
        &["plan", "-f", "spec.yaml", "--prune", "--out", "prune.plan"],
        key,
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let output = workspace.run(&endpoint, &["apply", "prune.plan"], key);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));

    assert_eq!(
        deletes(&emulator),
        0,
        "nothing may be deleted without confirmation"
    );
    let (status, _) = http_request("GET", &stray, None);
    assert_eq!(status, 200, "the unmanaged pipeline is still there");
    let output = workspace.run(
        &endpoint,
        &["plan", "-f", "spec.yaml", "--detailed-exitcode"],
        key,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "everything managed is still there\n{}",
        describe(&output)
    );
}
