//! `adfctl test-connection` through the real binary against a real emulator process: blob
//! storage against Azurite (started here; skipped, saying so, when `npm ci` has not installed
//! it), PostgreSQL (`adf_testkit::Postgres`; skipped when PostgreSQL is absent), an endpoint
//! that does not answer, types the emulator cannot reach (skipped), parameters, JSON output,
//! names with did-you-mean, and no secret in any output.

use crate::support::{EmulatorProcess, text};
use adf_testkit::{Azurite, Postgres};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Azurite's well-known development key (public, documented by Microsoft).
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// A well-formed key that is not the account's.
const WRONG_KEY: &str = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
const SQL_PASSWORD: &str = "Sql-Passw0rd-never-shown";

fn header(factory: &str) -> String {
    format!(
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {{name: tc-rg, location: eastus, managed: true}}\nfactory: {{name: {factory}, location: eastus}}\n"
    )
}

fn write_spec(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("spec.yaml");
    std::fs::write(&path, text).expect("write spec");
    path
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

fn connection(key: &str, port: u16) -> String {
    format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
}

fn run(emulator: &EmulatorProcess, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output: Output = emulator.adfctl(args, env);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn apply(emulator: &EmulatorProcess, spec: &str, env: &[(&str, &str)]) {
    let (code, stdout, stderr) = run(emulator, &["apply", "-f", spec, "--auto-approve"], env);
    assert_eq!(code, 0, "apply\nstdout:\n{stdout}\nstderr:\n{stderr}");
}

fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no line for {name}:\n{stdout}"))
}

fn assert_no_secret(outputs: &[&str], secrets: &[&str]) {
    for output in outputs {
        for secret in secrets {
            assert!(!output.contains(secret), "a secret was printed:\n{output}");
        }
    }
}

/// No outside process needed: types the emulator cannot reach are skipped (exit 0), a blob
/// endpoint that does not answer fails (exit 1), names are checked with did-you-mean, and the
/// JSON report is versioned.
#[test]
fn skipped_types_a_stopped_endpoint_names_and_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = closed_port();
    let spec = write_spec(
        dir.path(),
        &format!(
            r#"{header}
linkedServices:
  sql:
    type: AzureSqlDatabase
    typeProperties:
      connectionString: {{secretFromEnv: SQL_CONNECTION}}
  vault:
    type: AzureKeyVault
    typeProperties: {{baseUrl: "https://tc-vault.vault.azure.net/"}}
  stoppedBlob:
    type: AzureBlobStorage
    typeProperties:
      connectionString: {{secretFromEnv: STOPPED_CONNECTION}}
"#,
            header = header("tcfactory1")
        ),
    );
    let spec = spec.to_string_lossy();
    let sql =
        format!("Server=tcp:x.database.windows.net;Database=d;User ID=u;Password={SQL_PASSWORD}");
    let stopped = connection(WRONG_KEY, port);
    let env = [
        ("NO_COLOR", "1"),
        ("SQL_CONNECTION", sql.as_str()),
        ("STOPPED_CONNECTION", stopped.as_str()),
    ];
    let emulator = EmulatorProcess::start(&[]);
    apply(&emulator, &spec, &env);

    // Skipped only: exit 0.
    let (code, stdout, stderr) = run(
        &emulator,
        &["test-connection", "-f", &spec, "sql", "vault"],
        &env,
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(
        line(&stdout, "sql"),
        "skipped  sql    AzureSqlDatabase: not testable locally: AzureSqlDatabase"
    );
    assert!(line(&stdout, "vault").starts_with("skipped"), "{stdout}");
    assert!(
        stderr.contains("2 linked services tested: 0 passed, 0 failed, 2 skipped."),
        "{stderr}"
    );

    // Every linked service: the stopped endpoint fails, so exit 1.
    let (code, stdout, stderr) = run(&emulator, &["test-connection", "-f", &spec], &env);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let failed = line(&stdout, "stoppedBlob");
    assert!(failed.starts_with("failed"), "{stdout}");
    assert!(
        failed.contains(&format!("127.0.0.1:{port}")),
        "names the endpoint: {failed}"
    );
    assert_no_secret(&[&stdout, &stderr], &[WRONG_KEY, SQL_PASSWORD]);

    // JSON.
    let (code, stdout, stderr) = run(
        &emulator,
        &["test-connection", "-f", &spec, "--format", "json"],
        &env,
    );
    assert_eq!(code, 1, "stderr:\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["format_version"], "1", "{report:#}");
    assert_eq!(
        report["summary"],
        serde_json::json!({"passed": 0, "failed": 1, "skipped": 2})
    );
    let entries = report["linkedServices"].as_array().expect("entries");
    let entry = |name: &str| {
        entries
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {report:#}"))
    };
    assert_eq!(entry("sql")["result"], "skipped");
    assert_eq!(entry("sql")["code"], "NotTestableLocally");
    assert_eq!(entry("sql")["type"], "AzureSqlDatabase");
    assert_eq!(entry("stoppedBlob")["result"], "failed");
    assert_no_secret(&[&stdout], &[WRONG_KEY, SQL_PASSWORD]);

    // A typo: did-you-mean, nothing sent.
    let (code, _, stderr) = run(
        &emulator,
        &["test-connection", "-f", &spec, "stopedBlob"],
        &env,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("the spec defines no linked service `stopedBlob`")
            && stderr.contains("did you mean `stoppedBlob`?"),
        "{stderr}"
    );
    // A parameter the linked service does not declare.
    let (code, _, stderr) = run(
        &emulator,
        &["test-connection", "-f", &spec, "--param", "sql.port=1"],
        &env,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("linked service `sql` has no parameter `port`"),
        "{stderr}"
    );
}

/// Blob storage against Azurite: the right key passes, a wrong key fails with Azurite's
/// message, a parameterised endpoint passes once `--param` points it at Azurite; no key is
/// ever printed.
#[test]
fn blob_storage_against_azurite() {
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    let azurite_port: u16 = azurite
        .endpoint()
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = write_spec(
        dir.path(),
        &format!(
            r#"{header}
linkedServices:
  blob:
    type: AzureBlobStorage
    typeProperties:
      connectionString: {{secretFromEnv: GOOD_CONNECTION}}
  lake:
    type: AzureBlobFS
    typeProperties:
      url: "http://127.0.0.1:{azurite_port}/devstoreaccount1"
      accountKey: {{secretFromEnv: DEV_KEY}}
  wrongKey:
    type: AzureStorage
    typeProperties:
      connectionString: {{secretFromEnv: WRONG_CONNECTION}}
  byPort:
    type: AzureBlobStorage
    parameters:
      port: {{type: String, defaultValue: "{closed}"}}
    typeProperties:
      serviceEndpoint: "http://127.0.0.1:@{{linkedService().port}}/devstoreaccount1"
      accountKey: {{secretFromEnv: DEV_KEY}}
"#,
            header = header("tcfactory2"),
            closed = closed_port()
        ),
    );
    let spec = spec.to_string_lossy();
    let good = connection(DEV_KEY, azurite_port);
    let wrong = connection(WRONG_KEY, azurite_port);
    let env = [
        ("NO_COLOR", "1"),
        ("GOOD_CONNECTION", good.as_str()),
        ("WRONG_CONNECTION", wrong.as_str()),
        ("DEV_KEY", DEV_KEY),
    ];
    let emulator = EmulatorProcess::start(&["--blob-endpoint", &azurite.endpoint()]);
    apply(&emulator, &spec, &env);

    let (code, stdout, stderr) = run(
        &emulator,
        &["test-connection", "-f", &spec, "blob", "lake"],
        &env,
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(line(&stdout, "blob"), "passed   blob  AzureBlobStorage");
    assert_eq!(line(&stdout, "lake"), "passed   lake  AzureBlobFS");

    let (code, stdout, stderr) = run(
        &emulator,
        &["test-connection", "-f", &spec, "wrongKey"],
        &env,
    );
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let failed = line(&stdout, "wrongKey");
    assert!(
        failed.starts_with("failed") && failed.contains("403"),
        "{failed}"
    );
    assert_no_secret(&[&stdout, &stderr], &[WRONG_KEY, DEV_KEY]);

    // The parameter's default points nowhere; --param points it at Azurite.
    let (code, stdout, _) = run(&emulator, &["test-connection", "-f", &spec, "byPort"], &env);
    assert_eq!(code, 1, "{stdout}");
    let port = azurite_port.to_string();
    let param = format!("byPort.port={port}");
    let (code, stdout, stderr) = run(
        &emulator,
        &[
            "test-connection",
            "-f",
            &spec,
            "byPort",
            "--param",
            &param,
            "--format",
            "json",
        ],
        &env,
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(
        report["linkedServices"][0]["result"], "passed",
        "{report:#}"
    );
    assert_no_secret(&[&stdout, &stderr], &[DEV_KEY]);

    // Azurite stopped: the same linked service now fails.
    drop(azurite);
    let (code, stdout, _) = run(&emulator, &["test-connection", "-f", &spec, "blob"], &env);
    assert_eq!(code, 1, "{stdout}");
    assert!(line(&stdout, "blob").starts_with("failed"), "{stdout}");
    assert_no_secret(&[&stdout], &[DEV_KEY]);
}

/// PostgreSQL: the right password passes, a wrong one fails with the server's message, and
/// neither password is printed.
#[test]
fn postgres_passes_and_a_wrong_password_fails() {
    let Some(server) = Postgres::start(module_path!()) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = write_spec(
        dir.path(),
        &format!(
            r#"{header}
linkedServices:
  pg:
    type: PostgreSqlV2
    typeProperties:
      server: 127.0.0.1
      port: {port}
      database: {database}
      username: {user}
      password: {{secretFromEnv: PG_PASSWORD}}
      sslMode: 2
      authenticationType: Basic
  pgWrong:
    type: AzurePostgreSql
    typeProperties:
      connectionString: "host=127.0.0.1;port={port};database={database};uid={user};"
      password: {{secretFromEnv: PG_WRONG_PASSWORD}}
"#,
            header = header("tcfactory3"),
            port = server.port(),
            database = Postgres::DATABASE,
            user = Postgres::USER,
        ),
    );
    let spec = spec.to_string_lossy();
    let wrong = "Wr0ng-pg-password-never-shown";
    let env = [
        ("NO_COLOR", "1"),
        ("PG_PASSWORD", Postgres::PASSWORD),
        ("PG_WRONG_PASSWORD", wrong),
    ];
    let emulator = EmulatorProcess::start(&[]);
    apply(&emulator, &spec, &env);
    let (code, stdout, stderr) = run(&emulator, &["test-connection", "-f", &spec], &env);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(line(&stdout, "pg"), "passed   pg       PostgreSqlV2");
    let failed = line(&stdout, "pgWrong");
    assert!(
        failed.starts_with("failed") && failed.contains("password"),
        "{failed}"
    );
    assert_no_secret(&[&stdout, &stderr], &[wrong, Postgres::PASSWORD]);
}
