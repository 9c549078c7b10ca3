//! Shared harness: a real `adfctl emulator` process on a free port, and `adfctl` invocations
//! against it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn adfctl_bin() -> &'static str {
    env!("CARGO_BIN_EXE_adfctl")
}

/// The workspace root (where `specs/` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running emulator process, killed on drop.
pub struct EmulatorProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// Its data directory (kept alive as long as the process).
    _data: tempfile::TempDir,
}

impl EmulatorProcess {
    /// Starts `adfctl emulator --listen 127.0.0.1:0` with a fresh data directory and waits until
    /// it prints the address it listens on.
    pub fn start(extra_args: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let (child, endpoint) = spawn_emulator(data.path(), extra_args);
        EmulatorProcess {
            child,
            endpoint,
            _data: data,
        }
    }

    /// Request counts from `GET /_emulator/stats`.
    pub fn stats(&self) -> serde_json::Value {
        let url = format!("{}/_emulator/stats", self.endpoint);
        http_get_json(&url)
    }

    /// Runs `adfctl` with `args` and `-f FILE` for each of `files` against this emulator,
    /// without colour: (exit code, stdout, stderr).
    pub fn adfctl_files(&self, args: &[&str], files: &[&Path]) -> (i32, String, String) {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        for file in files {
            all.push("-f".into());
            all.push(file.display().to_string());
        }
        let borrowed: Vec<&str> = all.iter().map(String::as_str).collect();
        let output = self.adfctl(&borrowed, &[("NO_COLOR", "1")]);
        let (stdout, stderr) = text(&output);
        (output.status.code().unwrap_or(-1), stdout, stderr)
    }

    /// Runs `adfctl` with `args` against this emulator (`--endpoint` appended).
    pub fn adfctl(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut command = Command::new(adfctl_bin());
        command
            .args(args)
            .args(["--endpoint", &self.endpoint])
            .current_dir(workspace_root())
            .stdin(Stdio::null());
        for (key, value) in envs {
            command.env(key, value);
        }
        run_bounded(command, Duration::from_secs(120))
    }
}

/// Starts `adfctl emulator --listen 127.0.0.1:0 --data DATA EXTRA…` and waits until it prints
/// the address it listens on: (the process, `http://127.0.0.1:PORT`). The caller owns the
/// process (and may kill and restart it on the same data directory).
pub fn spawn_emulator(data: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(adfctl_bin())
        .args(["emulator", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn emulator");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(start) = line.find("http://") {
                let endpoint = line[start..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let _ = sender.send(endpoint);
                sent = true;
            }
        }
    });
    let endpoint = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("the emulator printed its address");
    (child, endpoint)
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command, killing it if it outlives `limit`. Its output is read while it runs (a
/// plan of a real factory is far larger than a pipe's buffer).
pub fn run_bounded(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.join().unwrap_or_default();
            panic!(
                "command timed out after {limit:?}\nstderr:\n{}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// A minimal blocking HTTP/1.1 GET on loopback, returning the JSON body.
pub fn http_get_json(url: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer test\r\nConnection: close\r\n\r\n").expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("http response");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("bad JSON from {url}: {e}: {body}"))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// stdout and stderr as text.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Sends one HTTP/1.1 request on loopback and returns (status, body).
pub fn http_request(method: &str, url: &str, body: Option<&serde_json::Value>) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

/// The spec sets under `specs/`: every top-level `*.yaml` alone, and for every folder with a
/// `base.yaml`, the base with each of the folder's other files as an overlay.
pub fn spec_sets() -> Vec<Vec<String>> {
    let root = workspace_root().join("specs");
    let mut sets = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .expect("specs/")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && path.join("base.yaml").exists() {
            let mut overlays: Vec<_> = std::fs::read_dir(&path)
                .expect("overlay dir")
                .map(|e| e.expect("entry").path())
                .filter(|p| p.file_name().is_some_and(|n| n != "base.yaml"))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            overlays.sort();
            for overlay in overlays {
                sets.push(vec![relative(&path.join("base.yaml")), relative(&overlay)]);
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && !path.to_string_lossy().contains(".test.")
        {
            // (`*.test.yaml` files are `adfctl test` files, run by tests/e2e/testing.rs.)
            sets.push(vec![relative(&path)]);
        }
    }
    sets
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `-f a -f b` arguments for a spec set.
pub fn file_args(set: &[String]) -> Vec<String> {
    set.iter()
        .flat_map(|f| ["-f".to_owned(), f.clone()])
        .collect()
}

/// The environment the example specs need, with recognisable secret values.
pub const SPEC_ENV: &[(&str, &str)] = &[
    (
        "STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleS1lMmUtcGxhbnRlZA==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
    ),
    ("NO_COLOR", "1"),
];
