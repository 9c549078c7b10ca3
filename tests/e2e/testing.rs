//! `adfctl test`: pipeline tests run on an in-process emulator (and Azurite when they need
//! blobs), with mocks, fixtures and assertions; JUnit reports; readable failures.

use crate::support::{adfctl_bin, run_bounded, text, workspace_root};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn adfctl_test(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(adfctl_bin());
    command
        .arg("test")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    let output = run_bounded(command, Duration::from_secs(300));
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

const SPEC: &str = r#"subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {name: test-rg, location: eastus}
factory:
  name: test-factory
  location: eastus
  globalParameters:
    threshold: {type: Int, value: 10}
pipelines:
  score:
    parameters:
      amount: {type: Int, defaultValue: 1}
    variables:
      verdict: {type: String}
    activities:
      - name: scoreNotebook
        type: DatabricksNotebook
        typeProperties: {notebookPath: /score}
      - name: decide
        type: IfCondition
        dependsOn: [{activity: scoreNotebook, dependencyConditions: [Succeeded]}]
        typeProperties:
          expression:
            value: "@greater(pipeline().parameters.amount, pipeline().globalParameters.threshold)"
            type: Expression
          ifTrueActivities:
            - name: big
              type: SetVariable
              typeProperties: {variableName: verdict, value: "@concat('big:', activity('scoreNotebook').output.score)"}
          ifFalseActivities:
            - name: small
              type: SetVariable
              typeProperties: {variableName: verdict, value: small}
"#;

const TESTS: &str = r#"spec: [factory.yaml]
tests:
  - name: a large amount is big
    pipeline: score
    parameters: {amount: 50}
    mocks:
      - {type: DatabricksNotebook, output: {score: 7}}
    expect:
      activities:
        scoreNotebook: {status: Succeeded, output: {/score: 7}}
        big: {status: Succeeded}
        small: {ran: false}
      variables: {verdict: "big:7"}
  - name: a global parameter decides too
    pipeline: score
    parameters: {amount: 50}
    globalParameters: {threshold: 100}
    mocks:
      - {activity: scoreNotebook, output: {score: 1}}
    expect:
      variables: {verdict: small}
  - name: a failing notebook stops the pipeline
    pipeline: score
    mocks:
      - {activity: scoreNotebook, status: Failed, error: {errorCode: "3204", message: cluster gone}}
    expect:
      status: Failed
      activities:
        scoreNotebook: {status: Failed, error: cluster gone}
        decide: {ran: false}
"#;

#[test]
fn tests_with_mocks_variables_and_global_parameters_pass_and_report_junit() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("factory.yaml"), SPEC).expect("spec");
    std::fs::write(dir.path().join("score.test.yaml"), TESTS).expect("tests");
    let (code, stdout, stderr) = adfctl_test(dir.path(), &["--junit", "report.xml"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for name in [
        "ok   ./score.test.yaml: a large amount is big (",
        "ok   ./score.test.yaml: a global parameter decides too (",
        "ok   ./score.test.yaml: a failing notebook stops the pipeline (",
    ] {
        assert!(stdout.contains(name), "{stdout}");
    }
    assert!(
        stdout.ends_with("3 passed, 0 failed (1 test file)\n"),
        "{stdout}"
    );
    let junit = std::fs::read_to_string(dir.path().join("report.xml")).expect("junit");
    assert!(
        junit.contains("<testsuite name=\"./score.test.yaml\" tests=\"3\" failures=\"0\""),
        "{junit}"
    );

    // Without its mock, the notebook cannot run locally, and the failure says why.
    let unmocked = TESTS.replace(
        "      - {type: DatabricksNotebook, output: {score: 7}}\n",
        "",
    );
    std::fs::write(dir.path().join("score.test.yaml"), unmocked).expect("tests");
    let (code, stdout, stderr) = adfctl_test(dir.path(), &["score.test.yaml"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("--- FAIL score.test.yaml: a large amount is big\n  run: expected Succeeded, got Failed: Operation on target scoreNotebook failed: not supported by the emulator: DatabricksNotebook\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  activity `big`: it did not run\n"),
        "{stderr}"
    );
}

#[test]
fn a_wrong_expectation_is_a_readable_failure_and_a_broken_file_says_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("factory.yaml"), SPEC).expect("spec");
    let wrong = r#"spec: [factory.yaml]
tests:
  - name: expects the wrong things
    pipeline: score
    parameters: {amount: 50}
    mocks: [{type: DatabricksNotebook, output: {score: 7}}]
    expect:
      activities:
        scoreNotebook: {output: {/score: "@greater(item(), 10)", /missing: 1}}
        bigg: {status: Succeeded}
      variables: {verdict: huge, nothing: 1}
"#;
    std::fs::write(dir.path().join("wrong.test.yaml"), wrong).expect("tests");
    let (code, _, stderr) = adfctl_test(dir.path(), &["wrong.test.yaml"]);
    assert_eq!(code, 1, "{stderr}");
    let failures: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("--- FAIL"))
        .collect();
    assert_eq!(
        failures,
        [
            "--- FAIL wrong.test.yaml: expects the wrong things",
            "  activity `bigg`: it did not run",
            "  activity `scoreNotebook` output /missing: absent (the output is {\"score\":7})",
            "  activity `scoreNotebook` output /score: @greater(item(), 10) is false for 7",
            "  variable `verdict`: expected \"huge\", got \"big:7\"",
            "  variable `nothing`: the pipeline has no such variable (it has `verdict`)",
        ]
    );

    let broken = "spec: [factory.yaml]\ntests:\n  - name: x\n    pipeline: score\n    expext: {}\n";
    std::fs::write(dir.path().join("wrong.test.yaml"), broken).expect("tests");
    let (code, stdout, _) = adfctl_test(dir.path(), &["wrong.test.yaml"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "FAIL wrong.test.yaml: wrong.test.yaml:5:5: tests[0]: unknown field `expext`"
        ),
        "{stdout}"
    );
}

/// The example test files under `specs/` pass, with real blobs in Azurite.
#[test]
fn the_example_test_files_pass() {
    let root = workspace_root();
    if !root.join("node_modules/.bin/azurite-blob").exists() {
        adf_testkit::skip(
            "testing::the_example_test_files_pass",
            "Azurite is not installed (npm ci)",
        );
        return;
    }
    let (code, stdout, stderr) = adfctl_test(&root, &["specs"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("4 passed, 0 failed (2 test files)\n"),
        "{stdout}"
    );
}

/// Table fixtures and expectations: `adfctl test` starts its own PostgreSQL, the spec's linked
/// service points at it through libpq's variables, a Script and a Lookup run against it.
#[test]
fn table_fixtures_and_expectations_on_a_postgres_it_starts() {
    if adf_test::postgres::Postgres::find(&|name| std::env::var_os(name)).is_none() {
        adf_testkit::skip(
            "testing::table_fixtures_and_expectations_on_a_postgres_it_starts",
            "PostgreSQL is not installed",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = r#"subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {name: pg-test-rg, location: eastus}
factory: {name: pg-test-factory, location: eastus}
linkedServices:
  warehouse:
    type: PostgreSqlV2
    typeProperties:
      server: ${env:PGHOST}
      port: ${env:PGPORT}
      database: ${env:PGDATABASE}
      username: ${env:PGUSER}
      password: {secretFromEnv: PGPASSWORD}
      sslMode: 2
      authenticationType: Basic
datasets:
  orders:
    type: PostgreSqlV2Table
    linkedServiceName: warehouse
    typeProperties: {schema: public, table: orders}
pipelines:
  archiveBigOrders:
    parameters:
      threshold: {type: Int, defaultValue: 100}
    activities:
      - name: archive
        type: Script
        linkedServiceName: {referenceName: warehouse, type: LinkedServiceReference}
        typeProperties:
          scripts:
            - type: NonQuery
              text: "INSERT INTO archive (id, customer) SELECT id, customer FROM orders WHERE amount > @threshold"
              parameters:
                - {name: threshold, type: Int32, value: "@pipeline().parameters.threshold", direction: Input}
      - name: countLeft
        type: Lookup
        dependsOn: [{activity: archive, dependencyConditions: [Succeeded]}]
        typeProperties:
          source: {type: PostgreSqlV2Source, query: "SELECT count(*) AS n FROM orders WHERE amount <= 100"}
          dataset: {referenceName: orders, type: DatasetReference}
"#;
    let tests = r#"spec: [warehouse.yaml]
tests:
  - name: big orders are archived
    pipeline: archiveBigOrders
    fixtures:
      sql:
        - linkedService: warehouse
          statement: "CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, customer text, amount numeric); CREATE TABLE IF NOT EXISTS archive (id int, customer text)"
      tables:
        - linkedService: warehouse
          table: public.orders
          rows: [{id: 1, customer: Ann, amount: 50}, {id: 2, customer: Bob, amount: 500}, {id: 3, customer: Cy, amount: 900}]
        - {linkedService: warehouse, table: public.archive, rows: []}
    expect:
      activities:
        archive: {status: Succeeded, output: {/resultSets: "@equals(length(item()), 0)"}}
        countLeft: {output: {/firstRow/n: 1}}
      tables:
        - linkedService: warehouse
          table: public.archive
          orderBy: id
          rows: [{id: 2, customer: Bob}, {id: 3, customer: Cy}]
  - name: a higher threshold archives less, from a clean table
    pipeline: archiveBigOrders
    parameters: {threshold: 600}
    fixtures:
      tables:
        - linkedService: warehouse
          table: public.orders
          rows: [{id: 1, customer: Ann, amount: 50}, {id: 3, customer: Cy, amount: 900}]
        - {linkedService: warehouse, table: public.archive, rows: []}
    expect:
      tables:
        - {linkedService: warehouse, table: public.archive, rows: [{id: 3, customer: Cy}]}
"#;
    std::fs::write(dir.path().join("warehouse.yaml"), spec).expect("spec");
    std::fs::write(dir.path().join("warehouse.test.yaml"), tests).expect("tests");
    let (code, stdout, stderr) = adfctl_test(dir.path(), &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("2 passed, 0 failed (1 test file)\n"),
        "{stdout}"
    );
    assert!(!stdout.contains(adf_test::postgres::Postgres::PASSWORD));
    assert!(!stderr.contains(adf_test::postgres::Postgres::PASSWORD));
}

/// A real pipeline from ../shared/realworld (kvapac's Mbox_File_Copy: Lookup, SetVariable,
/// IfCondition, GetMetadata, Switch, Copy with an encoding, Delete on ADLS Gen2, ExecutePipeline)
/// runs green under `adfctl test`, with mocks only for its Snowflake Lookup and scripts.
#[test]
fn a_real_pipeline_runs_green_with_mocks_only_for_what_cannot_run_locally() {
    let Some(repository) = adf_testkit::shared(
        "testing::a_real_pipeline_runs_green_with_mocks_only_for_what_cannot_run_locally",
        "realworld/kvapac-gitadfadbplt001",
    ) else {
        return;
    };
    let root = workspace_root();
    if !root.join("node_modules/.bin/azurite-blob").exists() {
        adf_testkit::skip(
            "testing::a_real_pipeline_runs_green_with_mocks_only_for_what_cannot_run_locally",
            "Azurite is not installed (npm ci)",
        );
        return;
    }
    let repository = repository.display().to_string();
    let (code, stdout, stderr) = adfctl_test(
        &root,
        &[
            "-f",
            &repository,
            "-f",
            "tests/fixtures/realworld/kvapac-test.yaml",
            "tests/fixtures/realworld/kvapac-mbox.test.yaml",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("2 passed, 0 failed (1 test file)\n"),
        "{stdout}"
    );
}
