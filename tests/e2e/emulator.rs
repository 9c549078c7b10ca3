//! `adfctl emulator` end to end: the real binary serving on a socket, with a temporary store.
//! Every child process is killed by a drop guard, whatever the test's outcome.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

const SUB: &str = "00000000-0000-0000-0000-0000000000e2";
const RES: &str = "api-version=2021-04-01";

/// A running `adfctl emulator`; killed (SIGKILL) and reaped on drop.
struct Emulator {
    child: Child,
    addr: SocketAddr,
    stderr_rest: Arc<Mutex<String>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(data: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_adfctl"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn adfctl emulator")
}

/// Starts the emulator and parses the address it prints on stderr.
fn start(data: &Path, extra: &[&str]) -> Emulator {
    let mut child = spawn(data, extra);
    let stderr = child.stderr.take().expect("stderr is piped");
    let (sender, receiver) = mpsc::channel();
    let rest = Arc::new(Mutex::new(String::new()));
    let rest_writer = rest.clone();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(address) = line
                .strip_prefix("adfctl emulator listening on http://")
                .and_then(|rest| rest.split_whitespace().next())
            {
                let _ = sender.send(Ok(address.to_owned()));
                break;
            }
            let _ = sender.send(Err(line));
        }
        for line in lines.map_while(Result::ok) {
            rest_writer.lock().expect("stderr buffer").push_str(&line);
        }
    });
    let mut seen = Vec::new();
    let addr = loop {
        match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(address)) => break address.parse().expect("a socket address"),
            Ok(Err(line)) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("the emulator did not report its address; stderr: {seen:?}");
            }
        }
    };
    Emulator {
        child,
        addr,
        stderr_rest: rest,
    }
}

/// One HTTP/1.1 request on its own connection. `Ok(None)`: the connection was dropped before
/// a complete response.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<Option<(u16, String)>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer e2e\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(None),
        Err(e) => return Err(e),
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, rest)) = text.split_once("\r\n\r\n") else {
        return Ok(None);
    };
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok(Some((status, body)))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

fn group_path(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourcegroups/{name}?{RES}")
}

fn group_names(addr: SocketAddr) -> Vec<String> {
    let (status, body) = http(
        addr,
        "GET",
        &format!("/subscriptions/{SUB}/resourcegroups?{RES}"),
        None,
    )
    .expect("list groups")
    .expect("a response");
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    body["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|g| g["name"].as_str().expect("a name").to_owned())
        .collect()
}

#[test]
fn kill_9_during_a_write_burst_loses_no_acknowledged_write() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut emulator = start(data.path(), &["--page-size", "100000"]);
    let addr = emulator.addr;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("rg-{writer}-{i}");
                    i += 1;
                    match http(
                        addr,
                        "PUT",
                        &group_path(&name),
                        Some(r#"{"location":"eastus"}"#),
                    ) {
                        Ok(Some((201, _))) => acknowledged.lock().expect("acks").push(name),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Kill once a good number of writes are acknowledged and more are in flight.
    for _ in 0..6000 {
        if acknowledged.lock().expect("acks").len() >= 60 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    emulator.child.kill().expect("kill -9");
    emulator.child.wait().expect("reap");
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("writer thread");
    }
    let acknowledged = acknowledged.lock().expect("acks").clone();
    assert!(
        acknowledged.len() >= 60,
        "only {} writes acknowledged",
        acknowledged.len()
    );
    drop(emulator);

    let restarted = start(data.path(), &["--page-size", "100000"]);
    let stored = group_names(restarted.addr);
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !stored.contains(n))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
}

#[test]
fn a_second_emulator_on_the_same_directory_is_refused() {
    let data = tempfile::tempdir().expect("temp dir");
    let first = start(data.path(), &[]);
    let second = spawn(data.path(), &[])
        .wait_with_output()
        .expect("run the second emulator");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("is in use by another emulator")
            && stderr.contains(&format!("pid {}", first.child.id())),
        "{stderr}"
    );
    // What users read, with the directory and pid filtered.
    let message = stderr
        .replace(&data.path().display().to_string(), "[DATA]")
        .replace(&first.child.id().to_string(), "[PID]");
    insta::assert_snapshot!("second_emulator_refused", message);
    // The first one still serves.
    assert!(group_names(first.addr).is_empty());
}

#[test]
fn help_documents_every_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_adfctl"))
        .args(["emulator", "--help"])
        .output()
        .expect("run adfctl emulator --help");
    assert!(output.status.success());
    insta::assert_snapshot!("emulator_help", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn fault_rate_over_a_socket_fails_requests_and_drops_connections() {
    let data = tempfile::tempdir().expect("temp dir");
    let emulator = start(data.path(), &["--fault-rate", "1", "--seed", "11"]);
    let mut outcomes = std::collections::BTreeSet::new();
    for i in 0..40 {
        let outcome = http(
            emulator.addr,
            "PUT",
            &group_path(&format!("rg{i}")),
            Some(r#"{"location":"eastus"}"#),
        );
        outcomes.insert(match outcome {
            Ok(Some((status, _))) => status.to_string(),
            Ok(None) | Err(_) => "dropped".to_owned(),
        });
    }
    assert_eq!(
        outcomes.into_iter().collect::<Vec<_>>(),
        ["429", "500", "503", "dropped"]
    );
    let (status, stats) = http(emulator.addr, "GET", "/_emulator/stats", None)
        .expect("stats")
        .expect("stats are never faulted");
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("JSON");
    assert_eq!(stats["faultsInjected"], 40);
    drop(emulator);
    // Nothing took effect.
    let clean = start(data.path(), &[]);
    assert!(group_names(clean.addr).is_empty());
}

#[test]
fn lost_responses_over_a_socket_take_effect() {
    let data = tempfile::tempdir().expect("temp dir");
    let emulator = start(data.path(), &["--lost-response-rate", "1", "--seed", "5"]);
    let mut outcomes = std::collections::BTreeSet::new();
    for i in 0..20 {
        let outcome = http(
            emulator.addr,
            "PUT",
            &group_path(&format!("rg{i}")),
            Some(r#"{"location":"eastus"}"#),
        );
        outcomes.insert(match outcome {
            Ok(Some((status, _))) => status.to_string(),
            Ok(None) | Err(_) => "dropped".to_owned(),
        });
    }
    assert_eq!(outcomes.into_iter().collect::<Vec<_>>(), ["500", "dropped"]);
    drop(emulator);
    let clean = start(data.path(), &[]);
    assert_eq!(group_names(clean.addr).len(), 20);
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut emulator = start(data.path(), &[]);
    let status = Command::new("kill")
        .args(["-TERM", &emulator.child.id().to_string()])
        .status();
    if status.is_err() {
        adf_testkit::skip(module_path!(), "no `kill` command to send SIGTERM");
        return;
    }
    let exit = emulator.child.wait().expect("wait");
    assert!(exit.success(), "{exit:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        emulator
            .stderr_rest
            .lock()
            .expect("stderr")
            .contains("shutting down"),
        "{}",
        emulator.stderr_rest.lock().expect("stderr")
    );
    // The directory is free again.
    let again = start(data.path(), &[]);
    assert!(group_names(again.addr).is_empty());
}

/// Microsoft's Python SDK (azure-mgmt-datafactory 9.3.0, azure-mgmt-resource) drives the
/// emulator: tests/python/sdk_conformance.py.
#[test]
fn the_python_sdk_drives_the_emulator() {
    let probe = Command::new("python3")
        .args(["-c", "import azure.mgmt.datafactory, azure.mgmt.resource"])
        .output();
    match probe {
        Err(_) => {
            adf_testkit::skip(module_path!(), "python3 is not installed");
            return;
        }
        Ok(output) if !output.status.success() => {
            adf_testkit::skip(
                module_path!(),
                "the Python SDK packages are missing (python3 -m pip install -r tests/python/requirements.txt)",
            );
            return;
        }
        Ok(_) => {}
    }
    let data = tempfile::tempdir().expect("temp dir");
    // The script checks the runs API's shapes on a Queued run: no engine moving it on.
    let emulator = start(data.path(), &["--no-run-engine"]);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/python/sdk_conformance.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .args(["--endpoint", &format!("http://{}", emulator.addr)])
        .output()
        .expect("run the SDK script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("sdk conformance: ok"), "{stdout}");
}
