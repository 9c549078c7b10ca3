//! Reliability: apply against an unreliable ARM (injected faults, lost responses), an adfctl
//! killed mid-apply, an emulator killed and restarted mid-apply, and two concurrent applies.
//! Every test ends with a plan that shows no changes, and checks that nothing was duplicated or
//! lost. Each is bounded in time (`run_bounded`, and bounded waits).

use crate::support::{
    EmulatorProcess, adfctl_bin, http_get_json, run_bounded, spawn_emulator, text, workspace_root,
};
use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SECRET_VARIABLE: &str = "RELIABILITY_STORAGE_KEY";
const SECRET_VALUE: &str = "reliability-secret-7c41d2";
const SUBSCRIPTION: &str = "00000000-0000-0000-0000-0000000000e6";
const GROUP: &str = "reliability-rg";

/// A generated spec: a Key Vault linked service, linked services that use it, datasets,
/// three levels of pipelines (copy, then ExecutePipeline callers) and triggers (two Started).
/// Returns the YAML and the expected entity names per ARM collection.
fn generated_spec(factory: &str) -> (String, Vec<(&'static str, BTreeSet<String>)>) {
    let mut yaml = format!(
        "subscription: {SUBSCRIPTION}\nresourceGroup: {{name: {GROUP}, location: westeurope}}\n\
         factory: {{name: {factory}, location: westeurope}}\nlinkedServices:\n"
    );
    let mut linked = BTreeSet::new();
    let mut datasets = BTreeSet::new();
    let mut pipelines = BTreeSet::new();
    let mut triggers = BTreeSet::new();
    yaml.push_str(
        "  kv: {type: AzureKeyVault, typeProperties: {baseUrl: 'https://rel-kv.vault.azure.net/'}}\n",
    );
    linked.insert("kv".to_owned());
    yaml.push_str(&format!(
        "  blob: {{type: AzureBlobStorage, typeProperties: {{connectionString: {{secretFromEnv: {SECRET_VARIABLE}}}}}}}\n"
    ));
    linked.insert("blob".to_owned());
    for i in 0..6 {
        yaml.push_str(&format!(
            "  sql{i}: {{type: AzureSqlDatabase, typeProperties: {{connectionString: 'Server=tcp:s{i}.database.windows.net;Database=d{i};', \
             password: {{type: AzureKeyVaultSecret, store: kv, secretName: sql-{i}}}}}}}\n"
        ));
        linked.insert(format!("sql{i}"));
    }
    yaml.push_str("datasets:\n");
    for i in 0..24 {
        let body = if i % 2 == 0 {
            format!(
                "{{type: AzureSqlTable, linkedServiceName: sql{}, typeProperties: {{schema: dbo, table: T{i}}}}}",
                i % 6
            )
        } else {
            format!(
                "{{type: DelimitedText, linkedServiceName: blob, typeProperties: {{location: {{type: AzureBlobStorageLocation, container: c, fileName: f{i}.csv}}, columnDelimiter: ','}}}}"
            )
        };
        yaml.push_str(&format!("  ds{i}: {body}\n"));
        datasets.insert(format!("ds{i}"));
    }
    yaml.push_str("pipelines:\n");
    for i in 0..20 {
        yaml.push_str(&format!(
            "  copy{i}: {{activities: [{{name: copy, type: Copy, inputs: [ds{}], outputs: [ds{}], \
             typeProperties: {{source: {{type: AzureSqlSource}}, sink: {{type: DelimitedTextSink}}}}}}]}}\n",
            (2 * i) % 24,
            (2 * i + 1) % 24
        ));
        pipelines.insert(format!("copy{i}"));
    }
    for level in 1..=2 {
        for i in 0..6 {
            let callee = if level == 1 {
                format!("copy{}", i * 3)
            } else {
                format!("run1_{}", (i + 1) % 6)
            };
            yaml.push_str(&format!(
                "  run{level}_{i}: {{activities: [{{name: call, type: ExecutePipeline, typeProperties: {{pipeline: {callee}, waitOnCompletion: true}}}}]}}\n"
            ));
            pipelines.insert(format!("run{level}_{i}"));
        }
    }
    yaml.push_str("triggers:\n");
    for i in 0..6 {
        let state = if i < 2 { "Started" } else { "Stopped" };
        yaml.push_str(&format!(
            "  nightly{i}: {{type: ScheduleTrigger, runtimeState: {state}, typeProperties: {{recurrence: {{frequency: Day, interval: 1, \
             startTime: '2026-01-01T02:00:00Z', timeZone: UTC}}}}, pipelines: [{{pipelineReference: run2_{i}}}]}}\n"
        ));
        triggers.insert(format!("nightly{i}"));
    }
    let expected = vec![
        ("linkedservices", linked),
        ("datasets", datasets),
        ("pipelines", pipelines),
        ("triggers", triggers),
    ];
    (yaml, expected)
}

/// A spec written to a temp dir.
struct Spec {
    dir: tempfile::TempDir,
    factory: String,
    expected: Vec<(&'static str, BTreeSet<String>)>,
}

impl Spec {
    fn new(factory: &str) -> Spec {
        let dir = tempfile::tempdir().expect("temp dir");
        let (yaml, expected) = generated_spec(factory);
        std::fs::write(dir.path().join("spec.yaml"), yaml).expect("write spec");
        Spec {
            dir,
            factory: factory.to_owned(),
            expected,
        }
    }

    fn path(&self) -> String {
        self.dir.path().join("spec.yaml").display().to_string()
    }

    fn entity_count(&self) -> usize {
        self.expected.iter().map(|(_, names)| names.len()).sum()
    }
}

fn envs() -> [(&'static str, &'static str); 2] {
    [(SECRET_VARIABLE, SECRET_VALUE), ("NO_COLOR", "1")]
}

fn adfctl(endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(adfctl_bin());
    command
        .args(args)
        .args(["--endpoint", endpoint])
        .current_dir(workspace_root())
        .stdin(Stdio::null());
    for (key, value) in envs() {
        command.env(key, value);
    }
    command
}

fn apply(endpoint: &str, spec: &Spec) -> Output {
    run_bounded(
        adfctl(endpoint, &["apply", "-f", &spec.path(), "--auto-approve"]),
        Duration::from_secs(90),
    )
}

fn describe(output: &Output) -> String {
    let (stdout, stderr) = text(output);
    format!(
        "exit {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status.code()
    )
}

/// `plan --detailed-exitcode` exits 0 (no changes), and every expected entity exists exactly
/// once, with nothing else in the factory.
fn assert_converged(endpoint: &str, spec: &Spec) {
    let output = run_bounded(
        adfctl(
            endpoint,
            &["plan", "-f", &spec.path(), "--detailed-exitcode"],
        ),
        Duration::from_secs(60),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "a plan after apply must show no changes\n{}",
        describe(&output)
    );
    let factory_url = format!(
        "{endpoint}/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.DataFactory/factories/{}",
        spec.factory
    );
    for (collection, expected) in &spec.expected {
        let mut names = Vec::new();
        let mut next = Some(format!("{factory_url}/{collection}?api-version=2018-06-01"));
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            assert!(pages < 100, "too many pages listing {collection}");
            let page = get_json_retrying(&url);
            for item in page["value"].as_array().expect("value array") {
                names.push(item["name"].as_str().expect("name").to_owned());
            }
            next = page["nextLink"].as_str().map(str::to_owned);
        }
        let unique: BTreeSet<String> = names.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "{collection} listed twice: {names:?}"
        );
        assert_eq!(&unique, expected, "{collection}: lost or extra entities");
    }
    let started: Vec<String> = (0..6)
        .filter(|i| {
            let url = format!("{factory_url}/triggers/nightly{i}?api-version=2018-06-01");
            get_json_retrying(&url)["properties"]["runtimeState"] == "Started"
        })
        .map(|i| format!("nightly{i}"))
        .collect();
    assert_eq!(started, ["nightly0", "nightly1"], "trigger runtime states");
}

/// One GET on loopback; `None` when the connection drops or the body is not JSON.
fn try_get_json(url: &str) -> Option<(u16, serde_json::Value)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/')?;
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer test\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            if size == 0 {
                break;
            }
            out.push_str(tail.get(..size)?);
            rest = tail.get(size..)?.trim_start_matches("\r\n");
        }
        out
    } else {
        body.to_owned()
    };
    Some((status, serde_json::from_str(&body).ok()?))
}

/// A GET that rides out the emulator's injected faults (they hit every ARM request).
fn get_json_retrying(url: &str) -> serde_json::Value {
    for _ in 0..50 {
        if let Some((200, body)) = try_get_json(url) {
            return body;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("GET {url} kept failing");
}

/// A tiny seeded generator (SplitMix64), for reproducible "random" kill points.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

fn writes_so_far(stats: &serde_json::Value) -> u64 {
    ["PUT", "POST", "DELETE", "PATCH"]
        .iter()
        .map(|m| stats["byMethod"][m].as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn apply_converges_in_one_run_under_injected_faults() {
    let spec = Spec::new("rel-faults");
    let emulator = EmulatorProcess::start(&["--fault-rate", "0.2", "--seed", "6"]);
    let output = apply(&emulator.endpoint, &spec);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stats = emulator.stats();
    assert!(
        stats["faultsInjected"].as_u64().unwrap_or(0) > 0,
        "faults were injected: {stats}"
    );
    assert_converged(&emulator.endpoint, &spec);
}

#[test]
fn apply_converges_in_one_run_when_responses_are_lost() {
    let spec = Spec::new("rel-lost");
    let emulator = EmulatorProcess::start(&["--lost-response-rate", "0.2", "--seed", "7"]);
    let output = apply(&emulator.endpoint, &spec);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stats = emulator.stats();
    assert!(
        stats["lostResponses"].as_u64().unwrap_or(0) > 0,
        "responses were lost: {stats}"
    );
    assert_converged(&emulator.endpoint, &spec);
}

#[test]
fn adfctl_killed_at_random_points_then_a_rerun_converges() {
    let spec = Spec::new("rel-sigkill");
    // 100 ms per request: an apply of this spec takes a few seconds, so kills land mid-apply.
    let emulator = EmulatorProcess::start(&["--latency-ms", "100"]);
    let mut rng = SplitMix(0x5EED_0006);
    let mut killed_mid_apply = 0;
    for round in 0..4 {
        let before = writes_so_far(&emulator.stats());
        let mut child = adfctl(
            &emulator.endpoint,
            &["apply", "-f", &spec.path(), "--auto-approve"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn adfctl");
        let delay = Duration::from_millis(300 + rng.below(1500));
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("try_wait").is_some();
        // Child::kill sends SIGKILL on Unix: no cleanup, no flush, no graceful anything.
        let _ = child.kill();
        let _ = child.wait();
        let after = writes_so_far(&emulator.stats());
        if !finished && after > before {
            killed_mid_apply += 1;
        }
        eprintln!(
            "round {round}: killed after {delay:?} (finished before: {finished}, writes {before} -> {after})"
        );
    }
    assert!(
        killed_mid_apply > 0,
        "at least one kill must land in the middle of an apply"
    );
    let output = apply(&emulator.endpoint, &spec);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_converged(&emulator.endpoint, &spec);
}

#[test]
fn emulator_killed_during_apply_is_reported_and_a_rerun_converges() {
    let spec = Spec::new("rel-restart");
    let data = tempfile::tempdir().expect("temp dir");
    // 300 ms per request: the kill lands while the first waves are in flight, so the failed
    // steps (each retried for ~25 s before giving up) stay few and the rest is skipped.
    let (mut emulator, endpoint) = spawn_emulator(data.path(), &["--latency-ms", "300"]);
    let mut apply_process = adfctl(&endpoint, &["apply", "-f", &spec.path(), "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn adfctl");
    let waiting = Instant::now();
    while writes_so_far(&http_get_json(&format!("{endpoint}/_emulator/stats"))) < 2 {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "the apply never wrote"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = emulator.kill();
    let _ = emulator.wait();

    let started = Instant::now();
    loop {
        if apply_process.try_wait().expect("try_wait").is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "apply did not give up after the emulator died"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = apply_process.wait_with_output().expect("output");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        stderr.contains("FAILED") && stderr.contains("error"),
        "the failure is reported, with what failed\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "no panic on a dead endpoint\n{stderr}"
    );

    // Same data directory: what was acknowledged before the kill is still there.
    let (mut emulator, endpoint) = spawn_emulator(data.path(), &[]);
    let output = apply(&endpoint, &spec);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_converged(&endpoint, &spec);
    let _ = emulator.kill();
    let _ = emulator.wait();
}

#[test]
fn two_concurrent_applies_of_the_same_spec_both_finish_cleanly() {
    let spec = Spec::new("rel-concurrent");
    let emulator = EmulatorProcess::start(&["--latency-ms", "5"]);
    let spawn = || {
        adfctl(
            &emulator.endpoint,
            &["apply", "-f", &spec.path(), "--auto-approve"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn adfctl")
    };
    let first = spawn();
    let second = spawn();
    let started = Instant::now();
    let mut outputs = Vec::new();
    for mut child in [first, second] {
        while child.try_wait().expect("try_wait").is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "concurrent applies hung"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        outputs.push(child.wait_with_output().expect("output"));
    }
    // Both must end on their own, without a panic. One may lose a race that ADF's rules make
    // unavoidable (the other apply started a trigger this one planned to create: ADF refuses
    // a PUT on a started trigger); then it must say so and exit 1. Neither may leave damage.
    for output in &outputs {
        let (_, stderr) = text(output);
        assert!(!stderr.contains("panicked"), "{}", describe(output));
        match output.status.code() {
            Some(0) => {}
            Some(1) => assert!(stderr.contains("FAILED"), "{}", describe(output)),
            _ => panic!("unexpected exit\n{}", describe(output)),
        }
    }
    assert!(
        outputs.iter().any(|o| o.status.code() == Some(0)),
        "at least one apply succeeds"
    );
    assert_converged(&emulator.endpoint, &spec);
    assert_eq!(spec.entity_count(), 8 + 24 + 32 + 6);
}

/// SIGINT (or SIGTERM: a cancelled CI job) during apply: no new step starts, the requests in
/// flight finish, the summary says what was and was not applied, exit 130; a rerun converges.
#[test]
fn an_interrupted_apply_finishes_what_is_in_flight_and_says_what_it_did() {
    let spec = Spec::new("rel-sigint");
    let emulator = EmulatorProcess::start(&["--latency-ms", "100"]);
    let mut interrupted = 0;
    for signal in ["-INT", "-TERM"] {
        let before = writes_so_far(&emulator.stats());
        let mut child = adfctl(
            &emulator.endpoint,
            &[
                "apply",
                "-f",
                &spec.path(),
                "--auto-approve",
                "--parallelism",
                "2",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn adfctl");
        let waiting = Instant::now();
        while writes_so_far(&emulator.stats()) < before + 2 {
            assert!(
                waiting.elapsed() < Duration::from_secs(60),
                "the apply never wrote"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        if !sent.is_ok_and(|s| s.success()) {
            let _ = child.kill();
            let _ = child.wait();
            adf_testkit::skip(module_path!(), "no `kill` command to send the signal");
            return;
        }
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            // The apply had already finished its last step: nothing to interrupt.
            continue;
        }
        assert_eq!(output.status.code(), Some(130), "{signal}: {stderr}");
        assert!(
            stderr.contains("Interrupted: no new step starts"),
            "{stderr}"
        );
        assert!(stderr.contains("Apply interrupted: "), "{stderr}");
        assert!(stderr.contains(" not started"), "{stderr}");
        assert!(
            !stderr.contains("interrupted before it started"),
            "not listed one by one: {stderr}"
        );
        interrupted += 1;
    }
    assert!(interrupted > 0, "no signal landed during an apply");
    let output = apply(&emulator.endpoint, &spec);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_converged(&emulator.endpoint, &spec);
}
