//! The emulator's own ARM throughput and latency under concurrent clients (issue 14): the floor
//! under every test and every `adfctl test` run.
//!
//! One in-process emulator (store in `/dev/shm` when there is one, no added latency, no
//! throttle) holds a factory of [`LoadSettings::entities`] pipelines. Then, for a fixed time
//! each, 1 and [`LoadSettings::clients`] clients, each its own keep-alive HTTP/1.1 connection
//! and its own loop (request, wait for the whole response, next), send:
//! - reads: GET of a random pipeline, and the next page of the pipelines list (50 items) in
//!   turn, walking the list over and over;
//! - writes: PUT of a random pipeline (an update: a new description);
//! - mixed: 80 % reads as above, 20 % writes.
//!
//! The client is a minimal HTTP/1.1 client over a TCP stream, so that the figures measure the
//! emulator rather than a client library's pooling. Clients and emulator share the machine's
//! cores: on a 2-core machine the clients' own work is a sizeable part of each figure.

use crate::report::Row;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// What to measure.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    /// Pipelines in the factory.
    pub entities: usize,
    /// Concurrent clients of the concurrent runs (each run is also measured with 1).
    pub clients: usize,
    /// How long each run sends requests.
    pub duration: Duration,
    /// Keep the store on disk (synced on every write) instead of in /dev/shm.
    pub durable_store: bool,
}

impl Default for LoadSettings {
    fn default() -> Self {
        LoadSettings {
            entities: 1000,
            clients: 16,
            duration: Duration::from_secs(4),
            durable_store: false,
        }
    }
}

/// Concurrent reads must reach this many times the read rate of one client.
///
/// Why 1.5 on the 2-core machine this is measured on: one client keeps about 0.8 of a core
/// busy (its requests and the emulator's answers, one after the other), so two cores bound the
/// gain near 2.5× whatever the emulator does, and the machine is shared with other builds
/// (load average 3 to 10 during these runs). Measured there (December 2026), the read-only
/// connections reached 1.51×, 1.54×, 1.80× and 1.83×; the same build with every read sent
/// through the writer's one lock, as reads were before, 1.14× and 1.55× (and 16-client read
/// p99/max 363/490 ms and 102/522 ms, against 61-97/101-178 ms). On a quiet machine the
/// margin is wider; on a busy one this target can be missed by noise: the load average is in
/// the report beside it.
pub const READ_SCALING_TARGET: f64 = 1.5;

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-0000000000be";
const ADF: &str = "api-version=2018-06-01";
const RESOURCES: &str = "api-version=2021-04-01";

/// The kind of traffic of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    Reads,
    Writes,
    /// Percent of writes.
    Mixed(u32),
}

impl Mix {
    fn label(self) -> String {
        match self {
            Mix::Reads => "reads".into(),
            Mix::Writes => "writes".into(),
            Mix::Mixed(writes) => format!("mixed {}/{writes}", 100 - writes),
        }
    }
}

/// One run's figures.
#[derive(Debug, Clone)]
struct RunResult {
    mix: Mix,
    clients: usize,
    requests: usize,
    failed: usize,
    /// The first failure, to say what went wrong.
    first_failure: Option<String>,
    wall: Duration,
    /// Sorted.
    latencies: Vec<Duration>,
}

impl RunResult {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index =
            ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[index]
    }

    fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }
}

/// The measurements, as table rows, and the raw figures as JSON.
pub struct LoadResults {
    /// For the printed table.
    pub rows: Vec<Row>,
    /// For the raw results file.
    pub json: Value,
}

/// Starts an emulator, fills a factory, and measures each mix with 1 client and with
/// `settings.clients`.
pub fn run(settings: &LoadSettings) -> Result<LoadResults, String> {
    let loadavg_before = loadavg();
    let data = crate::scenario::store_dir(settings.durable_store)?;
    let emulator_runtime = crate::scenario::emulator_runtime()?;
    let mut config = adf_emulator::EmulatorConfig::new(data.path());
    config.latency = Duration::ZERO;
    config.throttle = false;
    config.page_size = 50;
    config.seed = Some(14);
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let running = emulator_runtime
        .block_on(adf_emulator::start(config, listen))
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let address = running.base_url().trim_start_matches("http://").to_owned();
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    let measured = client_runtime.block_on(async {
        populate(&address, settings).await?;
        let mut results = Vec::new();
        for mix in [Mix::Reads, Mix::Writes, Mix::Mixed(20)] {
            for clients in [1, settings.clients.max(1)] {
                eprintln!(
                    "emulator load: {} with {clients} client(s) for {:.0} s...",
                    mix.label(),
                    settings.duration.as_secs_f64()
                );
                results.push(measure(&address, settings, mix, clients).await);
            }
        }
        Ok::<_, String>(results)
    });
    let _ = emulator_runtime.block_on(running.shutdown());
    let results = measured?;
    let loadavg_after = loadavg();
    Ok(LoadResults {
        rows: rows(settings, &results),
        json: json!({
            "entities": settings.entities,
            "clients": settings.clients,
            "duration_ms": settings.duration.as_secs_f64() * 1000.0,
            "store": if data.path().starts_with("/dev/shm") { "/dev/shm" } else { "disk" },
            "read_scaling_target": READ_SCALING_TARGET,
            "loadavg_before": loadavg_before,
            "loadavg_after": loadavg_after,
            "runs": results.iter().map(|r| json!({
                "mix": r.mix.label(),
                "clients": r.clients,
                "requests": r.requests,
                "failed": r.failed,
                "first_failure": r.first_failure,
                "wall_ms": r.wall.as_secs_f64() * 1000.0,
                "requests_per_s": r.rate(),
                "p50_ms": ms(r.percentile(0.50)),
                "p90_ms": ms(r.percentile(0.90)),
                "p99_ms": ms(r.percentile(0.99)),
                "max_ms": ms(r.max()),
            })).collect::<Vec<_>>(),
        }),
    })
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn rows(settings: &LoadSettings, results: &[RunResult]) -> Vec<Row> {
    let n = settings.entities.to_string();
    let mut rows = Vec::new();
    for result in results {
        let failed = result.failed > 0;
        rows.push(Row {
            n: n.clone(),
            measure: format!(
                "emulator {}, {} client{}",
                result.mix.label(),
                result.clients,
                if result.clients == 1 { "" } else { "s" }
            ),
            measured: format!("{:.0} req/s", result.rate()),
            reference: format!(
                "p50 {:.2} p90 {:.2} p99 {:.2} max {:.1} ms",
                ms(result.percentile(0.50)),
                ms(result.percentile(0.90)),
                ms(result.percentile(0.99)),
                ms(result.max())
            ),
            ratio: if failed {
                format!("{} failed", result.failed)
            } else {
                String::new()
            },
            target: "0 failed".into(),
            met: Some(!failed),
        });
        if let Some(failure) = &result.first_failure {
            eprintln!(
                "emulator load: {} with {} client(s): first failure: {failure}",
                result.mix.label(),
                result.clients
            );
        }
    }
    let rate = |clients: usize| {
        results
            .iter()
            .find(|r| r.mix == Mix::Reads && r.clients == clients)
            .map(RunResult::rate)
    };
    if let (Some(one), Some(many)) = (rate(1), rate(settings.clients.max(1))) {
        let scaling = if one > 0.0 { many / one } else { 0.0 };
        rows.push(Row {
            n,
            measure: format!("emulator reads, {} vs 1 client", settings.clients),
            measured: format!("{many:.0} req/s"),
            reference: format!("1 client {one:.0} req/s"),
            ratio: format!("{scaling:.2}x"),
            target: format!(">= {READ_SCALING_TARGET}x"),
            met: Some(scaling >= READ_SCALING_TARGET),
        });
    }
    rows
}

/// The resource group, the factory and its pipelines, created by 16 clients at once.
async fn populate(address: &str, settings: &LoadSettings) -> Result<(), String> {
    let mut client = Client::connect(address).await?;
    let group = format!("/subscriptions/{SUBSCRIPTION}/resourcegroups/load?{RESOURCES}");
    client
        .expect_success("PUT", &group, Some(json!({"location": "eastus"})))
        .await?;
    let factory = format!("{}?{ADF}", factory_path());
    client
        .expect_success("PUT", &factory, Some(json!({"location": "eastus"})))
        .await?;
    let mut tasks = tokio::task::JoinSet::new();
    let writers = 16.min(settings.entities.max(1));
    for writer in 0..writers {
        let address = address.to_owned();
        let entities = settings.entities;
        tasks.spawn(async move {
            let mut client = Client::connect(&address).await?;
            for i in (writer..entities).step_by(writers) {
                client
                    .expect_success("PUT", &pipeline_uri(i), Some(pipeline_body(i, 0)))
                    .await?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(task) = tasks.join_next().await {
        task.map_err(|e| format!("populating: {e}"))??;
    }
    Ok(())
}

fn factory_path() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/load/providers/Microsoft.DataFactory/factories/load-factory"
    )
}

fn pipeline_uri(i: usize) -> String {
    format!("{}/pipelines/pipeline{i:05}?{ADF}", factory_path())
}

/// A pipeline of a few activities, about the size of the benchmark factory's (~1 kB).
fn pipeline_body(i: usize, version: u64) -> Value {
    let activities: Vec<Value> = (0..3)
        .map(|a| {
            json!({
                "name": format!("wait{a}"),
                "type": "Wait",
                "dependsOn": if a == 0 { json!([]) } else {
                    json!([{"activity": format!("wait{}", a - 1), "dependencyConditions": ["Succeeded"]}])
                },
                "userProperties": [],
                "typeProperties": {"waitTimeInSeconds": 1},
            })
        })
        .collect();
    json!({
        "properties": {
            "description": format!("pipeline {i}, version {version}"),
            "activities": activities,
            "parameters": {"when": {"type": "String", "defaultValue": "@utcNow()"}},
            "annotations": ["load"],
        }
    })
}

/// One run: `clients` clients, each its own connection, for `settings.duration`.
async fn measure(address: &str, settings: &LoadSettings, mix: Mix, clients: usize) -> RunResult {
    let started = Instant::now();
    let deadline = started + settings.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for id in 0..clients {
        let address = address.to_owned();
        let entities = settings.entities.max(1);
        tasks.spawn(client_loop(address, id, entities, mix, deadline));
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut first_failure = None;
    while let Some(task) = tasks.join_next().await {
        match task {
            Ok(outcome) => {
                latencies.extend(outcome.latencies);
                failed += outcome.failed;
                if first_failure.is_none() {
                    first_failure = outcome.first_failure;
                }
            }
            Err(error) => {
                failed += 1;
                first_failure.get_or_insert_with(|| format!("client task: {error}"));
            }
        }
    }
    let wall = started.elapsed();
    latencies.sort_unstable();
    RunResult {
        mix,
        clients,
        requests: latencies.len(),
        failed,
        first_failure,
        wall,
        latencies,
    }
}

/// What one client saw.
struct ClientOutcome {
    latencies: Vec<Duration>,
    failed: usize,
    first_failure: Option<String>,
}

async fn client_loop(
    address: String,
    id: usize,
    entities: usize,
    mix: Mix,
    deadline: Instant,
) -> ClientOutcome {
    let mut outcome = ClientOutcome {
        latencies: Vec::new(),
        failed: 0,
        first_failure: None,
    };
    let fail = |outcome: &mut ClientOutcome, message: String| {
        outcome.failed += 1;
        outcome.first_failure.get_or_insert(message);
    };
    let mut client = match Client::connect(&address).await {
        Ok(client) => client,
        Err(error) => {
            fail(&mut outcome, error);
            return outcome;
        }
    };
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15 ^ (id as u64 + 1).wrapping_mul(0xff51));
    let first_page = format!("{}/pipelines?{ADF}", factory_path());
    let mut next_page = first_page.clone();
    let mut version = 0;
    let mut read_turn = 0u64;
    while Instant::now() < deadline {
        let write = match mix {
            Mix::Reads => false,
            Mix::Writes => true,
            Mix::Mixed(percent) => random.next() % 100 < u64::from(percent),
        };
        let i = (random.next() % entities as u64) as usize;
        let started = Instant::now();
        let result = if write {
            version += 1;
            client
                .send("PUT", &pipeline_uri(i), Some(pipeline_body(i, version)))
                .await
        } else {
            read_turn += 1;
            if read_turn.is_multiple_of(2) {
                client.send("GET", &pipeline_uri(i), None).await
            } else {
                let answer = client.send("GET", &next_page, None).await;
                if let Ok((200, body)) = &answer {
                    next_page = next_link(body, &address).unwrap_or_else(|| first_page.clone());
                }
                answer
            }
        };
        let elapsed = started.elapsed();
        match result {
            Ok((status, _)) if (200..300).contains(&status) => outcome.latencies.push(elapsed),
            Ok((status, body)) => {
                let text = String::from_utf8_lossy(&body);
                let text: String = text.chars().take(300).collect();
                fail(&mut outcome, format!("status {status}: {text}"));
            }
            Err(error) => {
                fail(&mut outcome, error);
                // The connection is in an unknown state: start a new one.
                match Client::connect(&address).await {
                    Ok(fresh) => client = fresh,
                    Err(error) => {
                        fail(&mut outcome, error);
                        return outcome;
                    }
                }
            }
        }
    }
    outcome
}

/// The path and query of a list page's `nextLink`, if any. Found by its key rather than by
/// parsing the page, so that the clients' share of the machine stays small.
fn next_link(body: &[u8], address: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.rfind("\"nextLink\":\"")? + "\"nextLink\":\"".len();
    let end = start + text[start..].find('"')?;
    let next = &text[start..end];
    Some(
        next.trim_start_matches("http://")
            .trim_start_matches(address)
            .to_owned(),
    )
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// A keep-alive HTTP/1.1 connection: one request at a time, the whole response read.
struct Client {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Client {
    async fn connect(address: &str) -> Result<Client, String> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|e| format!("connect {address}: {e}"))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("nodelay: {e}"))?;
        Ok(Client {
            stream: BufReader::new(stream),
            host: address.to_owned(),
        })
    }

    async fn expect_success(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(), String> {
        match self.send(method, path, body).await? {
            (status, _) if (200..300).contains(&status) => Ok(()),
            (status, body) => Err(format!(
                "{method} {path}: status {status}: {}",
                String::from_utf8_lossy(&body)
            )),
        }
    }

    /// Sends a request and reads its response: the status and the body.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Vec<u8>), String> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer load\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        let io = |e: std::io::Error| format!("{method} {path}: {e}");
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .map_err(io)?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await.map_err(io)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{method} {path}: bad status line {line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await.map_err(io)? == 0 {
                return Err(format!("{method} {path}: connection closed"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        let mut content = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await.map_err(io)?;
                let size = usize::from_str_radix(line.trim(), 16)
                    .map_err(|_| format!("{method} {path}: bad chunk size {line:?}"))?;
                let start = content.len();
                content.resize(start + size + 2, 0);
                self.stream
                    .read_exact(&mut content[start..])
                    .await
                    .map_err(io)?;
                content.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else {
            content.resize(length.unwrap_or(0), 0);
            self.stream.read_exact(&mut content).await.map_err(io)?;
        }
        Ok((status, content))
    }
}
