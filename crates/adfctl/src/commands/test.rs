//! `adfctl test`: runs pipeline test files (`*.test.yaml`) against an emulator in this process.

use super::session;
use super::spec_args::{SpecArgs, parse_var};
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_test::file::{self, TestFile};
use adf_test::report::{self, Suite};
use adf_test::runner::{self, CaseResult};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `adfctl test`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    adfctl test                                  # every *.test.yaml below this folder\n  \
    adfctl test specs/quickstart.test.yaml --junit report.xml\n  \
    adfctl test -f adf-repo -f envs/test.yaml tests/\n\n\
The format of a test file is in docs/testing.md; `adfctl schema --tests` prints its JSON Schema.")]
pub struct TestArgs {
    /// Test files, or folders searched for `*.test.yaml` (default: this folder).
    #[arg(value_name = "TESTS")]
    tests: Vec<PathBuf>,

    /// The spec to test (repeatable, merged in order, as for `plan`); without it each test
    /// file names its own (`spec:`).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Set the spec variable KEY (used as `${var:KEY}`). Repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,

    /// Also write a JUnit XML report to FILE (for CI test reports).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,

    /// Key Vault secrets the spec's linked services reference (`AzureKeyVaultSecret`), as for
    /// `adfctl emulator --key-vault-secrets` (`ADFCTL_KV_<VAULT>_<SECRET>` variables too).
    #[arg(long, value_name = "FILE")]
    key_vault_secrets: Option<PathBuf>,

    /// How many test files run at once, each with its own emulator (and Azurite); the tests
    /// of one file run in order.
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    jobs: u16,
}

/// Runs `adfctl test`.
pub fn run(args: TestArgs) -> Outcome {
    let files = discover(&args.tests)?;
    if files.is_empty() {
        return Err(CliError::with_hint(
            "no test files found",
            "name test files `*.test.yaml`, or give their paths: `adfctl test path/to/x.test.yaml`",
        ));
    }
    let mut outcomes: Vec<(String, Vec<CaseResult>)> = Vec::new();
    for batch in files.chunks(usize::from(args.jobs)) {
        let results: Vec<Result<Vec<CaseResult>, CliError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|path| {
                    let args = &args;
                    scope.spawn(move || Ok(session::runtime()?.block_on(run_file(path, args))))
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err(CliError::new("a test file's thread panicked")))
                })
                .collect()
        });
        for (path, results) in batch.iter().zip(results) {
            outcomes.push((path.display().to_string(), results?));
        }
    }
    let (mut passed, mut failed) = (0, 0);
    for (file, results) in &outcomes {
        for result in results {
            if result.passed() {
                passed += 1;
            } else {
                failed += 1;
                eprintln!("\n--- FAIL {file}: {}", result.name);
                for failure in &result.failures {
                    eprintln!("  {failure}");
                }
            }
        }
    }
    if let Some(path) = &args.junit {
        let suites: Vec<Suite<'_>> = outcomes
            .iter()
            .map(|(file, results)| Suite { file, results })
            .collect();
        std::fs::write(path, report::junit(&suites))
            .map_err(|error| CliError::new(format!("cannot write {}: {error}", path.display())))?;
    }
    println!(
        "\n{} passed, {} failed ({} test file{})",
        passed,
        failed,
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" }
    );
    if failed == 0 {
        Ok(ExitStatus::Success)
    } else {
        Err(CliError::shown(ExitStatus::Failure))
    }
}

/// Runs one test file: loads its spec, starts an emulator (and Azurite when a test has blobs),
/// deploys, runs each test in order, printing a line per test. A file that cannot run gives
/// one failed result that says why.
async fn run_file(path: &Path, args: &TestArgs) -> Vec<CaseResult> {
    let shown = path.display().to_string();
    let failed = |why: String| {
        println!("FAIL {shown}: {why}");
        vec![CaseResult {
            name: "(the test file)".into(),
            failures: vec![why],
            duration: std::time::Duration::ZERO,
            run_id: None,
        }]
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => return failed(format!("cannot read it: {error}")),
    };
    let test_file = match file::read(&shown, &text) {
        Ok(test_file) => test_file,
        Err(error) => return failed(error.to_string()),
    };
    // PostgreSQL, when a test loads or checks tables: started first, so that the spec can
    // point its linked services at it (`${env:PGHOST}`, `${env:PGPORT}`, ...).
    let needs_postgres = test_file.tests.iter().any(|t| {
        !t.fixtures.sql.is_empty() || !t.fixtures.tables.is_empty() || !t.expect.tables.is_empty()
    });
    let postgres = if needs_postgres {
        let Some(bin) = adf_test::postgres::Postgres::find(&|name| std::env::var_os(name)) else {
            return failed(format!(
                "this file's tests need PostgreSQL: {}",
                adf_test::postgres::Postgres::NOT_INSTALLED
            ));
        };
        match tokio::task::spawn_blocking(move || adf_test::postgres::Postgres::start(&bin)).await {
            Ok(Ok(server)) => Some(server),
            Ok(Err(why)) => return failed(format!("this file's tests need PostgreSQL: {why}")),
            Err(error) => return failed(format!("cannot start PostgreSQL: {error}")),
        }
    } else {
        None
    };
    let mut spec = spec_args(path, &test_file, args);
    if let Some(server) = &postgres {
        let mut env = server.environment();
        env.append(&mut spec.env);
        spec.env = env;
    }
    if spec.files.is_empty() {
        return failed(
            "no spec to test: give `spec: [path/to/spec.yaml]` in the file, or `-f SPEC`".into(),
        );
    }
    let loaded = match spec.load() {
        Ok(loaded) => loaded,
        Err(_) => {
            return failed(format!(
                "the spec {} does not load (see above)",
                spec.display_files()
            ));
        }
    };
    let needs_blobs = test_file
        .tests
        .iter()
        .any(|t| !t.fixtures.blobs.is_empty() || !t.expect.blobs.is_empty())
        || uses_blob_storage(&loaded.desired);
    let secrets = match super::target::key_vault_secrets(args.key_vault_secrets.as_deref()) {
        Ok(secrets) => secrets,
        Err(why) => return failed(why),
    };
    let azurite = if needs_blobs {
        let lookup = adf_test::environment::Lookup {
            var: &|name| std::env::var_os(name),
            cwd: std::env::current_dir().unwrap_or_default(),
        };
        match adf_test::environment::azurite_program(&lookup, |note| eprintln!("{note}")) {
            Ok(program) => Some(program),
            Err(why) => return failed(why),
        }
    } else {
        None
    };
    let environment =
        match adf_test::environment::Environment::start(azurite.as_deref(), secrets).await {
            Ok(environment) => environment,
            Err(why) => return failed(why),
        };
    if let Err(why) = adf_test::deploy(&environment.client, &loaded.desired).await {
        environment.stop().await;
        return failed(why);
    }
    let http = environment.http.clone();
    let containers = runner::containers(&test_file.tests);
    let target = runner::Target {
        containers: &containers,
        resets_global_parameters: test_file
            .tests
            .iter()
            .any(|t| !t.global_parameters.is_empty()),
        client: &environment.client,
        emulator: &environment.url,
        factory: &loaded.desired.target,
        desired: &loaded.desired,
        blobs: environment.blobs.as_ref(),
        http: &http,
    };
    let mut results = Vec::new();
    for case in &test_file.tests {
        let started = Instant::now();
        let result = runner::run_case(&target, case).await;
        println!(
            "{} {shown}: {} ({:.1} s)",
            if result.passed() { "ok  " } else { "FAIL" },
            case.name,
            started.elapsed().as_secs_f64()
        );
        results.push(result);
    }
    environment.stop().await;
    drop(postgres);
    results
}

/// The spec of a test file: `-f` when given, else the file's `spec:` (relative to it).
fn spec_args(path: &Path, test_file: &TestFile, args: &TestArgs) -> SpecArgs {
    let base = path.parent().unwrap_or(Path::new("."));
    let files = if args.files.is_empty() {
        test_file.spec.iter().map(|s| base.join(s)).collect()
    } else {
        args.files.clone()
    };
    let mut vars: Vec<(String, String)> = test_file
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    vars.extend(args.vars.iter().cloned());
    SpecArgs {
        files,
        vars,
        secrets_optional: false,
        env: test_file
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// Whether the spec has a linked service on blob storage (so its pipelines may need Azurite).
fn uses_blob_storage(desired: &adf_core::DesiredState) -> bool {
    desired.of_kind(adf_core::Kind::LinkedService).any(|ls| {
        matches!(
            ls.body.pointer("/properties/type").and_then(|t| t.as_str()),
            Some("AzureStorage" | "AzureBlobStorage" | "AzureBlobFS")
        )
    })
}

/// The test files: each file given, and the `*.test.yaml`/`*.test.yml` below each folder
/// (default `.`), sorted; `node_modules`, `target` and hidden folders are skipped.
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut found = Vec::new();
    for root in roots {
        if root.is_file() {
            found.push(root);
        } else if root.is_dir() {
            walk(&root, &mut found);
        } else {
            return Err(CliError::with_hint(
                format!("{}: no such file or folder", root.display()),
                "give test files (`*.test.yaml`) or folders that hold them",
            ));
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        // A symbolic link to a folder is not followed (a link cycle would never end).
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if !name.starts_with('.') && name != "node_modules" && name != "target" {
                walk(&path, found);
            }
        } else if name.ends_with(".test.yaml") || name.ends_with(".test.yml") {
            found.push(path);
        }
    }
}
