//! Lookup, Script and Copy against a real PostgreSQL 15 (started here in a temporary directory
//! by `adf_testkit::Postgres`; skipped, saying so, when it is not installed), through the real
//! binary and the emulator's run engine; and Key Vault references resolved from the secrets
//! the emulator is given (`--key-vault-secrets FILE`, `ADFCTL_KV_<VAULT>_<SECRET>`).

use crate::support::{EmulatorProcess, adfctl_bin, run_bounded, text, workspace_root};
use adf_emulator::blob::{BlobAccount, BlobClient};
use adf_testkit::{Azurite, Postgres};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn ok(output: &Output) -> (String, String) {
    let (stdout, stderr) = text(output);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    (stdout, stderr)
}

fn env() -> Vec<(&'static str, &'static str)> {
    vec![("NO_COLOR", "1"), ("PG_PASSWORD", Postgres::PASSWORD)]
}

/// `adfctl run ... --format json`: (output, the run document).
fn json_run(emulator: &EmulatorProcess, spec: &Path, pipeline: &str) -> (Output, Value) {
    let spec = spec.to_string_lossy();
    let output = emulator.adfctl(&["run", "-f", &spec, pipeline, "--format", "json"], &env());
    let (stdout, _) = text(&output);
    (output, serde_json::from_str(&stdout).unwrap_or(Value::Null))
}

/// The output of the activity run named `name`.
fn activity<'a>(document: &'a Value, name: &str) -> &'a Value {
    document["activityRuns"]
        .as_array()
        .and_then(|runs| runs.iter().find(|a| a["activityName"] == name))
        .unwrap_or_else(|| panic!("no activity run {name}: {document:#}"))
}

/// The factory header of every spec here.
fn header(factory: &str) -> String {
    format!(
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {{name: pg-rg, location: eastus, managed: true}}\nfactory: {{name: {factory}, location: eastus}}\n"
    )
}

fn write_spec(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write spec");
    path
}

/// Lookup (query and whole table, first row and all rows), Script (non-query with named
/// parameters, query with a positional one, a procedure's output parameters, notices in the
/// logs) through a PostgreSqlV2 and an AzurePostgreSql 1.0 linked service; outputs read by a
/// later activity's expression.
#[test]
fn lookup_and_script_run_against_postgres() {
    let Some(server) = Postgres::start(module_path!()) else {
        return;
    };
    server.psql(
        "CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), placed timestamptz, shipped boolean);
         INSERT INTO orders (customer, amount, placed, shipped) VALUES
           ('Ann', 10.50, '2024-03-01 10:00:00+00', true),
           ('Bob', 20.00, '2024-03-02 12:30:00+02', false);
         ALTER TABLE orders OWNER TO adf",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = format!(
        r#"{header}
linkedServices:
  pg:
    type: PostgreSqlV2
    typeProperties:
      server: 127.0.0.1
      port: {port}
      database: adf
      username: adf
      password: {{secretFromEnv: PG_PASSWORD}}
      sslMode: 2
      authenticationType: Basic
  pgClassic:
    type: AzurePostgreSql
    typeProperties:
      connectionString: "host=127.0.0.1;port={port};database=adf;uid=adf;"
      password: {{secretFromEnv: PG_PASSWORD}}
datasets:
  orders:
    type: PostgreSqlV2Table
    linkedServiceName: pg
    typeProperties: {{schema: public, table: orders}}
pipelines:
  database:
    variables:
      firstCustomer: {{type: String}}
    activities:
      - name: firstOrder
        type: Lookup
        typeProperties:
          source: {{type: PostgreSqlV2Source, query: "SELECT * FROM orders ORDER BY id"}}
          dataset: {{referenceName: orders, type: DatasetReference}}
      - name: allOrders
        type: Lookup
        typeProperties:
          source: {{type: PostgreSqlV2Source}}
          dataset: {{referenceName: orders, type: DatasetReference}}
          firstRowOnly: false
      - name: note
        type: SetVariable
        dependsOn: [{{activity: firstOrder, dependencyConditions: [Succeeded]}}]
        typeProperties:
          variableName: firstCustomer
          value: "@{{activity('firstOrder').output.firstRow.customer}} paid @{{activity('firstOrder').output.firstRow.amount}}"
      - name: work
        type: Script
        dependsOn: [{{activity: allOrders, dependencyConditions: [Succeeded]}}]
        linkedServiceName: {{referenceName: pgClassic, type: LinkedServiceReference}}
        typeProperties:
          scripts:
            - type: NonQuery
              text: "INSERT INTO orders (customer, amount, shipped) VALUES (@customer, @amount, false); UPDATE orders SET shipped = true WHERE customer = @customer"
              parameters:
                - {{name: customer, type: String, value: "O'Hara", direction: Input}}
                - {{name: amount, type: Decimal, value: 99.95, direction: Input}}
            - type: Query
              text: "SELECT count(*) AS n, sum(amount) AS total FROM orders WHERE amount > $1"
              parameters:
                - {{name: null, type: Int32, value: 15, direction: Input}}
            - type: NonQuery
              text: "CREATE OR REPLACE PROCEDURE swap_proc (input1 IN TEXT, input2 IN BIGINT, output1 OUT BIGINT, output2 OUT TEXT) LANGUAGE plpgsql AS $$ BEGIN output2 := input1; output1 := input2; END $$"
            - type: Query
              text: "CALL swap_proc(@input1, @input2, null, null)"
              parameters:
                - {{name: input1, type: String, value: "Hello world", direction: Input}}
                - {{name: input2, type: Int64, value: 1234, direction: Input}}
                - {{name: output10, type: Int64, direction: Output}}
                - {{name: output20, type: String, direction: Output}}
            - type: NonQuery
              text: "DO $$ BEGIN RAISE NOTICE 'Hello'; RAISE NOTICE 'World!'; END $$"
          logSettings: {{logDestination: ActivityOutput}}
"#,
        header = header("adfctl-pg-e2e"),
        port = server.port()
    );
    let spec = write_spec(dir.path(), "database.yaml", &spec);
    let emulator = EmulatorProcess::start(&[]);
    ok(&emulator.adfctl(
        &["apply", "-f", &spec.to_string_lossy(), "--auto-approve"],
        &env(),
    ));
    let (output, document) = json_run(&emulator, &spec, "database");
    ok(&output);
    assert_eq!(document["run"]["status"], "Succeeded", "{document:#}");

    let first = &activity(&document, "firstOrder")["output"];
    assert_eq!(
        first["firstRow"],
        json!({"id": 1, "customer": "Ann", "amount": 10.5, "placed": "2024-03-01T10:00:00Z", "shipped": true}),
        "{first:#}"
    );
    let all = &activity(&document, "allOrders")["output"];
    assert_eq!(all["count"], 2, "{all:#}");
    assert_eq!(all["value"][1]["placed"], "2024-03-02T10:30:00Z");
    assert_eq!(all["value"][1]["shipped"], false);

    let script = &activity(&document, "work")["output"];
    assert_eq!(script["resultSetCount"], 2, "{script:#}");
    assert_eq!(script["recordsAffected"], 2, "{script:#}");
    assert_eq!(
        script["resultSets"][0],
        json!({"rowCount": 1, "rows": [{"n": 2, "total": 119.95}]})
    );
    assert_eq!(
        script["outputParameters"],
        json!({"output10": 1234, "output20": "Hello world"}),
        "{script:#}"
    );
    assert_eq!(script["outputLogs"], "Hello\nWorld!");
    assert_eq!(
        server.psql("SELECT customer, amount, shipped FROM orders WHERE id = 3"),
        "O'Hara|99.95|t"
    );

    // The activity output is typed: an expression reads it.
    let note = activity(&document, "note");
    assert_eq!(note["status"], "Succeeded", "{note:#}");

    // The password is nowhere in what the run reports.
    assert!(!document.to_string().contains(Postgres::PASSWORD));
}

/// A failing statement fails the Script (and its run) with PostgreSQL's message; a block of
/// several statements is all or nothing.
#[test]
fn a_failing_script_block_rolls_back_and_fails_the_run() {
    let Some(server) = Postgres::start(module_path!()) else {
        return;
    };
    server.psql("CREATE TABLE t (a int); ALTER TABLE t OWNER TO adf");
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = format!(
        r#"{header}
linkedServices:
  pg:
    type: AzurePostgreSql
    typeProperties:
      server: 127.0.0.1
      port: {port}
      database: adf
      username: adf
      password: {{secretFromEnv: PG_PASSWORD}}
      sslMode: 0
pipelines:
  broken:
    activities:
      - name: half
        type: Script
        linkedServiceName: {{referenceName: pg, type: LinkedServiceReference}}
        typeProperties:
          scripts:
            - {{type: NonQuery, text: "INSERT INTO t VALUES (1); INSERT INTO missing VALUES (2)"}}
"#,
        header = header("adfctl-pg-fail"),
        port = server.port()
    );
    let spec = write_spec(dir.path(), "broken.yaml", &spec);
    let emulator = EmulatorProcess::start(&[]);
    ok(&emulator.adfctl(
        &["apply", "-f", &spec.to_string_lossy(), "--auto-approve"],
        &env(),
    ));
    let (output, document) = json_run(&emulator, &spec, "broken");
    assert_ne!(output.status.code(), Some(0));
    assert_eq!(document["run"]["status"], "Failed", "{document:#}");
    let error = &activity(&document, "half")["error"];
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("42P01: relation \"missing\" does not exist")),
        "{error:#}"
    );
    assert_eq!(server.psql("SELECT count(*) FROM t"), "0");
}

/// Copy: a CSV blob into a table (pre-copy script, mapping by name), a query into a CSV blob and
/// a JSON blob, a table into another table with Upsert.
#[test]
fn copy_moves_rows_between_postgres_and_blobs() {
    let Some(server) = Postgres::start(module_path!()) else {
        return;
    };
    let Some(azurite) = Azurite::start(module_path!()) else {
        return;
    };
    server.psql(
        "CREATE TABLE customers (id int PRIMARY KEY, name text, balance numeric(10,2), vip boolean);
         INSERT INTO customers VALUES (99, 'stale', 0, false);
         CREATE TABLE archive (id int PRIMARY KEY, name text, balance numeric(10,2), vip boolean);
         INSERT INTO archive VALUES (1, 'old name', 0, false);
         ALTER TABLE customers OWNER TO adf; ALTER TABLE archive OWNER TO adf",
    );
    let account =
        BlobAccount::from_connection_string("UseDevelopmentStorage=true", &azurite.endpoint())
            .expect("account");
    let blobs = BlobClient::connect(account).expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        blobs.create_container("data").await.expect("container");
        blobs
            .put_blob(
                "data",
                "in/customers.csv",
                b"ID,Name,Balance,VIP\r\n1,Ann,10.50,true\r\n2,\"Bob, Jr\",20,false\r\n3,,,\r\n"
                    .to_vec(),
            )
            .await
            .expect("upload");
    });
    let download = |blob: &str| -> String {
        runtime.block_on(async {
            let mut response = blobs.get("data", blob).await.expect("download");
            let mut out = Vec::new();
            while let Some(chunk) = response.chunk().await.expect("chunk") {
                out.extend_from_slice(&chunk);
            }
            String::from_utf8(out).expect("utf-8")
        })
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = format!(
        r#"{header}
linkedServices:
  storage:
    type: AzureBlobStorage
    typeProperties:
      connectionString: {{secretFromEnv: STORAGE}}
  pg:
    type: AzurePostgreSql
    typeProperties:
      connectionString: "host=127.0.0.1;port={port};database=adf;uid=adf;"
      password: {{secretFromEnv: PG_PASSWORD}}
datasets:
  csvIn:
    type: DelimitedText
    linkedServiceName: storage
    typeProperties:
      location: {{type: AzureBlobStorageLocation, container: data, folderPath: in, fileName: customers.csv}}
      columnDelimiter: ","
      firstRowAsHeader: true
  csvOut:
    type: DelimitedText
    linkedServiceName: storage
    typeProperties:
      location: {{type: AzureBlobStorageLocation, container: data, folderPath: out, fileName: customers.csv}}
      columnDelimiter: ","
      firstRowAsHeader: true
  jsonOut:
    type: Json
    linkedServiceName: storage
    typeProperties:
      location: {{type: AzureBlobStorageLocation, container: data, folderPath: out, fileName: customers.json}}
  customers:
    type: AzurePostgreSqlTable
    linkedServiceName: pg
    typeProperties: {{tableName: public.customers}}
  archive:
    type: AzurePostgreSqlTable
    linkedServiceName: pg
    typeProperties: {{tableName: archive}}
pipelines:
  moves:
    activities:
      - name: load
        type: Copy
        inputs: [csvIn]
        outputs: [customers]
        typeProperties:
          source: {{type: DelimitedTextSource}}
          sink: {{type: AzurePostgreSQLSink, preCopyScript: "DELETE FROM customers", writeBatchSize: 2}}
      - name: exportCsv
        type: Copy
        dependsOn: [{{activity: load, dependencyConditions: [Succeeded]}}]
        inputs: [customers]
        outputs: [csvOut]
        typeProperties:
          source: {{type: AzurePostgreSqlSource, query: "SELECT id, name, balance, vip FROM customers ORDER BY id"}}
          sink: {{type: DelimitedTextSink, formatSettings: {{type: DelimitedTextWriteSettings, quoteAllText: false}}}}
      - name: exportJson
        type: Copy
        dependsOn: [{{activity: load, dependencyConditions: [Succeeded]}}]
        inputs: [customers]
        outputs: [jsonOut]
        typeProperties:
          source: {{type: AzurePostgreSqlSource, query: "SELECT * FROM customers ORDER BY id"}}
          sink: {{type: JsonSink}}
      - name: archiveAll
        type: Copy
        dependsOn: [{{activity: load, dependencyConditions: [Succeeded]}}]
        inputs: [customers]
        outputs: [archive]
        typeProperties:
          source: {{type: AzurePostgreSqlSource}}
          sink: {{type: AzurePostgreSQLSink, writeMethod: Upsert}}
"#,
        header = header("adfctl-pg-copy"),
        port = server.port()
    );
    let spec = write_spec(dir.path(), "moves.yaml", &spec);
    let emulator = EmulatorProcess::start(&["--blob-endpoint", &azurite.endpoint()]);
    let mut environment = env();
    environment.push(("STORAGE", "UseDevelopmentStorage=true"));
    ok(&emulator.adfctl(
        &["apply", "-f", &spec.to_string_lossy(), "--auto-approve"],
        &environment,
    ));
    let output = emulator.adfctl(
        &[
            "run",
            "-f",
            &spec.to_string_lossy(),
            "moves",
            "--format",
            "json",
        ],
        &environment,
    );
    let (stdout, _) = ok(&output);
    let document: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(document["run"]["status"], "Succeeded", "{document:#}");

    let load = &activity(&document, "load")["output"];
    assert_eq!(load["rowsRead"], 3, "{load:#}");
    assert_eq!(load["rowsCopied"], 3, "{load:#}");
    assert_eq!(load["filesRead"], 1, "{load:#}");
    assert_eq!(
        server.psql("SELECT id, coalesce(name, '~'), coalesce(balance::text, '~'), coalesce(vip::text, '~') FROM customers ORDER BY id"),
        "1|Ann|10.50|true\n2|Bob, Jr|20.00|false\n3|~|~|~"
    );

    assert_eq!(
        download("out/customers.csv"),
        "id,name,balance,vip\r\n1,Ann,10.50,True\r\n2,\"Bob, Jr\",20.00,False\r\n3,,,\r\n"
    );
    let exported = &activity(&document, "exportCsv")["output"];
    assert_eq!(exported["rowsCopied"], 3, "{exported:#}");
    assert_eq!(exported["filesWritten"], 1, "{exported:#}");

    let lines: Vec<Value> = download("out/customers.json")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(
        lines,
        [
            json!({"id": 1, "name": "Ann", "balance": 10.5, "vip": true}),
            json!({"id": 2, "name": "Bob, Jr", "balance": 20, "vip": false}),
            json!({"id": 3, "name": null, "balance": null, "vip": null}),
        ]
    );

    // Upsert on the primary key: row 1 updated, 2 and 3 inserted.
    assert_eq!(
        server.psql("SELECT id, coalesce(name, '~') FROM archive ORDER BY id"),
        "1|Ann\n2|Bob, Jr\n3|~"
    );
}

fn key_vault_spec(dir: &Path, port: u16) -> std::path::PathBuf {
    let spec = format!(
        r#"{header}
linkedServices:
  vault:
    type: AzureKeyVault
    typeProperties: {{baseUrl: "https://kv-adfctl-e2e.vault.azure.net/"}}
  pg:
    type: PostgreSqlV2
    typeProperties:
      server: 127.0.0.1
      port: {port}
      database: adf
      username: adf
      authenticationType: Basic
      password:
        type: AzureKeyVaultSecret
        store: {{referenceName: vault, type: LinkedServiceReference}}
        secretName: pg-password
datasets:
  one:
    type: PostgreSqlV2Table
    linkedServiceName: pg
    typeProperties: {{}}
pipelines:
  probe:
    activities:
      - name: ping
        type: Lookup
        typeProperties:
          source: {{type: PostgreSqlV2Source, query: "SELECT current_user AS who"}}
          dataset: {{referenceName: one, type: DatasetReference}}
"#,
        header = header("adfctl-pg-kv")
    );
    write_spec(dir, "kv.yaml", &spec)
}

/// A linked service's password in Key Vault: resolved from `--key-vault-secrets FILE`; a
/// missing secret fails the activity naming it, never showing a value.
#[test]
fn key_vault_references_resolve_from_the_secrets_file() {
    let Some(server) = Postgres::start(module_path!()) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = key_vault_spec(dir.path(), server.port());
    let secrets = dir.path().join("secrets.yaml");
    std::fs::write(
        &secrets,
        format!(
            "# vault name → secret name → value\nkv-adfctl-e2e:\n  pg-password: {}\n",
            Postgres::PASSWORD
        ),
    )
    .expect("write secrets");
    let emulator = EmulatorProcess::start(&["--key-vault-secrets", &secrets.to_string_lossy()]);
    ok(&emulator.adfctl(
        &["apply", "-f", &spec.to_string_lossy(), "--auto-approve"],
        &env(),
    ));
    let (output, document) = json_run(&emulator, &spec, "probe");
    ok(&output);
    assert_eq!(
        activity(&document, "ping")["output"]["firstRow"],
        json!({"who": "adf"})
    );

    // Without the secret: the activity fails, naming the vault, the secret and how to give it.
    let bare = EmulatorProcess::start(&[]);
    ok(&bare.adfctl(
        &["apply", "-f", &spec.to_string_lossy(), "--auto-approve"],
        &env(),
    ));
    let (output, document) = json_run(&bare, &spec, "probe");
    let (_, stderr) = text(&output);
    assert_ne!(output.status.code(), Some(0));
    let error = &activity(&document, "ping")["error"];
    assert_eq!(
        error["errorCode"], "KeyVaultSecretNotConfigured",
        "{error:#}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("'pg-password'")
            && message.contains("'kv-adfctl-e2e'")
            && message.contains("ADFCTL_KV_KV_ADFCTL_E2E_PG_PASSWORD"),
        "{message}"
    );
    assert!(!stderr.contains(Postgres::PASSWORD) && !message.contains(Postgres::PASSWORD));

    // A file that is not a map of secrets is refused at start, naming the key, not the value.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "kv-adfctl-e2e:\n  pg-password: [not-a-secret-value]\n",
    )
    .expect("write");
    let mut command = Command::new(adfctl_bin());
    command
        .args(["emulator", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--key-vault-secrets")
        .arg(&bad)
        .stdin(Stdio::null());
    let output = run_bounded(command, Duration::from_secs(60));
    let (_, stderr) = text(&output);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr.contains("kv-adfctl-e2e.pg-password") && !stderr.contains("not-a-secret-value"),
        "{stderr}"
    );
}

/// `--local`'s in-process emulator reads `ADFCTL_KV_<VAULT>_<SECRET>`.
#[test]
fn key_vault_references_resolve_from_the_environment_with_local() {
    let Some(server) = Postgres::start(module_path!()) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = key_vault_spec(dir.path(), server.port());
    let local = dir.path().join("local");
    let adfctl = |args: &[&str]| {
        let mut command = Command::new(adfctl_bin());
        command
            .args(args)
            .args(["--local", "--local-dir"])
            .arg(&local)
            .args(["-f", &spec.to_string_lossy()])
            .current_dir(workspace_root())
            .env("NO_COLOR", "1")
            .env("ADFCTL_KV_KV_ADFCTL_E2E_PG_PASSWORD", Postgres::PASSWORD)
            .stdin(Stdio::null());
        run_bounded(command, Duration::from_secs(120))
    };
    ok(&adfctl(&["apply", "--auto-approve"]));
    let output = adfctl(&["run", "probe", "--format", "json"]);
    let (stdout, _) = ok(&output);
    let document: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        activity(&document, "ping")["output"]["firstRow"],
        json!({"who": "adf"}),
        "{document:#}"
    );
}
