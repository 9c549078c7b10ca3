//! Test support shared by the workspace's test suites (a dev-dependency only).
//!
//! Tests that read the reference data beside the checkout (`../shared`: ARM examples, recorded
//! traffic, public ADF Studio repositories) run whenever it exists and skip, visibly, when it
//! does not, so that a fresh clone still passes. Cargo hides what a passing test prints, so a
//! skip is written straight to the process's standard error (which libtest does not capture)
//! and, when `ADFCTL_SKIP_LOG` names a file, appended to it: `scripts/test` prints that file's
//! lines as a summary after the run.

use std::io::Write;
use std::path::PathBuf;

/// The workspace root (the directory of the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `../shared/<relative>` beside the checkout, or `None` after reporting that `test` skipped.
pub fn shared(test: &str, relative: &str) -> Option<PathBuf> {
    let path = workspace_root().join("../shared").join(relative);
    if path.exists() {
        Some(path)
    } else {
        skip(test, &format!("../shared/{relative} is absent"));
        None
    }
}

/// Prints a figure a test measured (a count, a timing) where the test command's output shows
/// it, as [`skip`] does, even when the test passes.
pub fn report(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// Reports that `test` skipped (all or part of its work) and why, where the test command's
/// output shows it.
pub fn skip(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}\n");
    // `std::io::stderr()` written directly bypasses libtest's capture of `eprint!`.
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(log) = std::env::var_os("ADFCTL_SKIP_LOG") {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log);
        if let Ok(mut file) = file {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

/// The Python SDK's recorded cassettes of real ARM traffic (`../shared/arm-recordings`): vcrpy
/// YAML, only the parts the replays use.
pub mod cassette {
    use serde::Deserialize;
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// One cassette: the interactions in recorded order.
    #[derive(Deserialize)]
    pub struct Cassette {
        /// Requests and their responses.
        pub interactions: Vec<Interaction>,
    }

    /// A request and the response ARM gave.
    #[derive(Deserialize)]
    pub struct Interaction {
        /// What was sent.
        pub request: RecordedRequest,
        /// What came back.
        pub response: RecordedResponse,
    }

    /// A recorded request.
    #[derive(Deserialize)]
    pub struct RecordedRequest {
        /// `GET`, `PUT`, …
        pub method: String,
        /// The absolute URI, query included.
        pub uri: String,
        /// The body, if any.
        pub body: Option<String>,
    }

    impl RecordedRequest {
        /// (host, path, query) of the URI.
        pub fn parts(&self) -> (&str, &str, &str) {
            let uri = self.uri.as_str();
            let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
            let (host, path_and_query) = match rest.find('/') {
                Some(at) => rest.split_at(at),
                None => (rest, ""),
            };
            let (path, query) = path_and_query
                .split_once('?')
                .unwrap_or((path_and_query, ""));
            (host, path, query)
        }

        /// An AAD token request (the cassettes start with them), not ARM.
        pub fn is_token_request(&self) -> bool {
            let (host, path, _) = self.parts();
            host.starts_with("login.") || path.contains("/oauth2/")
        }

        /// `METHOD what`: `factory`, the lower-case collection of a child
        /// (`integrationruntimes`), or `collection/action` (`pipelines/createRun`).
        pub fn operation(&self) -> String {
            let (_, path, _) = self.parts();
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let what = match segments
                .iter()
                .position(|s| s.eq_ignore_ascii_case("factories"))
            {
                None => path.to_owned(),
                Some(at) => match segments.get(at + 2..).unwrap_or_default() {
                    [] => "factory".to_owned(),
                    [collection] | [collection, _] => collection.to_ascii_lowercase(),
                    [collection, _, action] => {
                        format!("{}/{action}", collection.to_ascii_lowercase())
                    }
                    rest => rest.join("/"),
                },
            };
            format!("{} {what}", self.method)
        }
    }

    /// A recorded response.
    #[derive(Deserialize)]
    pub struct RecordedResponse {
        /// The status.
        pub status: RecordedStatus,
        /// Headers, each with its values.
        #[serde(default)]
        pub headers: BTreeMap<String, Vec<serde_yaml::Value>>,
        /// The body.
        pub body: RecordedBody,
    }

    /// A recorded status line.
    #[derive(Deserialize)]
    pub struct RecordedStatus {
        /// The status code.
        pub code: u16,
    }

    /// A recorded body (`{string: '…'}`).
    #[derive(Deserialize)]
    pub struct RecordedBody {
        /// The text (empty when there was none).
        #[serde(default)]
        pub string: String,
    }

    /// The cassette files, sorted, or `None` after reporting that `test` skipped.
    pub fn files(test: &str) -> Option<Vec<PathBuf>> {
        let dir = super::shared(test, "arm-recordings/azure-sdk-for-python")?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        Some(files)
    }

    /// Reads one cassette; panics (failing the test) when it cannot.
    pub fn read(path: &Path) -> Cassette {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        serde_yaml::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }
}

/// Azurite's blob service (from `node_modules`, installed by `npm ci`) on a free port, in a
/// temporary directory, killed on drop.
pub struct Azurite {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Azurite {
    /// Starts it and waits until it listens; `None` after reporting that `test` skipped when
    /// Azurite is not installed.
    pub fn start(test: &str) -> Option<Azurite> {
        use std::time::{Duration, Instant};
        let bin = workspace_root().join("node_modules/.bin/azurite-blob");
        if !bin.exists() {
            skip(
                test,
                &format!(
                    "Azurite is not installed ({} is missing); run `npm ci` at the workspace root",
                    bin.display()
                ),
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let child = std::process::Command::new(bin)
            .args(["--silent", "--location"])
            .arg(dir.path())
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args(["--skipApiVersionCheck", "--loose", "--disableTelemetry"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn azurite");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Azurite did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Azurite {
            child,
            port,
            _dir: dir,
        })
    }

    /// The blob endpoint of the development account: `http://127.0.0.1:PORT/devstoreaccount1`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/devstoreaccount1", self.port)
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL server of its own for a test: [`adf_test::postgres::Postgres`] (`initdb` into a
/// temporary directory, `pg_ctl` on a free port, a database and a password-authenticated user,
/// stopped and removed on drop), which skips, saying so, when PostgreSQL is not installed and
/// panics, failing the test, on what should not fail.
pub struct Postgres(adf_test::postgres::Postgres);

impl Postgres {
    /// The test user (owner of [`Postgres::DATABASE`]).
    pub const USER: &'static str = adf_test::postgres::Postgres::USER;
    /// The test user's password.
    pub const PASSWORD: &'static str = adf_test::postgres::Postgres::PASSWORD;
    /// The test database.
    pub const DATABASE: &'static str = adf_test::postgres::Postgres::DATABASE;

    /// Starts a server; `None` after reporting that `test` skipped when PostgreSQL is not
    /// installed.
    pub fn start(test: &str) -> Option<Postgres> {
        let Some(bin) = adf_test::postgres::Postgres::find(&|name| std::env::var_os(name)) else {
            skip(test, adf_test::postgres::Postgres::NOT_INSTALLED);
            return None;
        };
        let server =
            adf_test::postgres::Postgres::start(&bin).unwrap_or_else(|error| panic!("{error}"));
        Some(Postgres(server))
    }

    /// The TCP port (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        self.0.host()
    }

    /// An `AzurePostgreSql` version 1.0 connection string for the test user and database.
    pub fn connection_string(&self) -> String {
        self.0.connection_string()
    }

    /// Runs SQL in the test database as the administrator (`psql -At`: one line per row,
    /// columns separated by `|`); panics, failing the test, on an SQL error.
    pub fn psql(&self, sql: &str) -> String {
        self.0.psql(sql).unwrap_or_else(|error| panic!("{error}"))
    }
}

/// Everything a TRACE-level tracing subscriber writes, kept for a test to search (for secrets
/// that must never be logged, say).
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// A subscriber that writes every event, at every level, into these logs (no colour).
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// (file-name prefix, request parameter holding the body, kind) of the official examples of
/// each entity kind (`../shared/arm-examples/datafactory/LinkedServices_Create.json`, …).
pub const EXAMPLE_ENTITY_KINDS: [(&str, &str, adf_core::Kind); 6] = [
    (
        "LinkedServices_",
        "linkedService",
        adf_core::Kind::LinkedService,
    ),
    ("Datasets_", "dataset", adf_core::Kind::Dataset),
    ("Pipelines_", "pipeline", adf_core::Kind::Pipeline),
    ("Triggers_", "trigger", adf_core::Kind::Trigger),
    ("DataFlows_", "dataFlow", adf_core::Kind::DataFlow),
    (
        "IntegrationRuntimes_",
        "integrationRuntime",
        adf_core::Kind::IntegrationRuntime,
    ),
];

/// The official Data Factory REST examples (`../shared/arm-examples/datafactory/*.json`) as
/// (file name, document), sorted by name; `None` after reporting that `test` skipped.
pub fn arm_examples(test: &str) -> Option<Vec<(String, serde_json::Value)>> {
    let dir = shared(test, "arm-examples/datafactory")?;
    let mut files: Vec<(String, serde_json::Value)> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let document = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            (name, document)
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Some(files)
}
