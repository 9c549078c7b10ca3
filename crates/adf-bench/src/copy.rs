//! The Copy activity against Azurite (issue 14, "Performance at the limit"): one large blob
//! beside the best single-stream upload a client achieves, and a ForEach of many small file
//! copies beside the best a plain client does with as many workers; memory during the large
//! copy.
//!
//! Both references are measured against the same Azurite in the same run, alternately with the
//! emulator's copy, in rounds; the ratio reported is the median of the rounds' ratios (each
//! copy against the reference measured just before it), so that the load of a shared machine
//! falls on both sides:
//! - one blob: the best single-stream upload of as many bytes: Put Block, one request at a
//!   time, each block with its `Content-MD5` (what makes Azurite fast, see the emulator's
//!   blob client), the next block hashed while the current one uploads, with 4 and 8 MiB
//!   blocks, the faster of the two per round. The service alone (one buffer hashed once and
//!   sent again and again, no client work at all) is shown beside it;
//! - many files: the same operations the Copy does (Get Blob, then Put Blob with its
//!   `Content-MD5`) for every file, by `batch` workers of a plain client.
//!
//! Azurite is found as the tests find it (`ADFCTL_AZURITE`, `node_modules/.bin` from the
//! working folder up, `PATH`) and started on a free port with a temporary store; without it
//! the measurements are skipped with a message.

use crate::report::Row;
use adf_emulator::blob::{BlobAccount, BlobClient, block_id, content_md5};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;
const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
const API: &str = "api-version=2018-06-01";

/// One blob: the copy's rate at least this fraction of the single-stream upload's.
pub const SINGLE_FRACTION_TARGET: f64 = 0.95;
/// Many files: the pipeline's wall time at most this × the plain client's.
pub const MANY_RATIO_TARGET: f64 = 1.5;
/// One blob: the process's peak RSS during the copy at most this much above its RSS before.
/// The copy holds `copy_parallel_blocks + 2` blocks (6 × 4 MiB = 24 MiB by default), reused
/// from block to block, plus HTTP buffers and the hashing threads' stacks; 64 MiB is an eighth
/// of the default 512 MiB blob and a sixteenth of 1 GiB, so a copy whose memory grew with the
/// blob would miss it.
pub const RSS_GROWTH_TARGET_MIB: f64 = 64.0;

/// What to measure.
#[derive(Debug, Clone)]
pub struct CopySettings {
    /// Size of the large blob, MiB (0 skips it).
    pub mib: usize,
    /// Number of small files (0 skips them).
    pub files: usize,
    /// Size of each small file, KiB.
    pub file_kib: usize,
    /// The ForEach's batchCount, and the plain client's workers.
    pub batch: usize,
    /// Rounds of (reference, copy); the median of the rounds' ratios is reported.
    pub rounds: usize,
    /// Keep the emulator's store on disk (synced on every write) instead of in /dev/shm.
    pub durable_store: bool,
}

/// The large blob's figures.
#[derive(Debug, Clone)]
pub struct Single {
    pub mib: usize,
    /// MiB/s of each round.
    pub copy: Vec<f64>,
    pub reference: Vec<f64>,
    /// MiB/s of the service alone (one buffer hashed once, 8 MiB blocks), for comparison.
    pub service: Vec<f64>,
    /// Peak RSS growth during each copy, KiB (Linux `VmHWM` after `clear_refs`).
    pub rss_growth_kb: Vec<u64>,
    pub block_mib: usize,
    pub parallel_blocks: usize,
}

/// The small files' figures.
#[derive(Debug, Clone)]
pub struct Many {
    pub files: usize,
    pub file_kib: usize,
    pub batch: usize,
    pub pipeline: Vec<Duration>,
    pub reference: Vec<Duration>,
}

/// Everything measured, or why not.
#[derive(Debug, Clone, Default)]
pub struct CopyResults {
    pub single: Option<Single>,
    pub many: Option<Many>,
    /// Why the copy measurements did not run (Azurite not found or not started).
    pub skipped: Option<String>,
    /// The load average before and after.
    pub loadavg: (String, String),
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn seconds(durations: &[Duration]) -> Vec<f64> {
    durations.iter().map(Duration::as_secs_f64).collect()
}

impl CopyResults {
    /// The rows of the report table.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        if let Some(single) = &self.single {
            let copy = median(&single.copy);
            let reference = median(&single.reference);
            // The median of each round's ratio: a round against its own reference, so that a
            // slow spell of this shared machine (or of Azurite's garbage collection) falls on
            // one round's pair rather than on one side of the medians.
            let ratios: Vec<f64> = single
                .copy
                .iter()
                .zip(&single.reference)
                .map(|(copy, reference)| {
                    if *reference > 0.0 {
                        copy / reference
                    } else {
                        0.0
                    }
                })
                .collect();
            let fraction = median(&ratios);
            rows.push(Row {
                n: format!("{} MiB", single.mib),
                measure: "Copy 1 blob (median rate)".into(),
                measured: format!("{copy:.1} MiB/s"),
                reference: format!(
                    "1-stream upload {reference:.1} MiB/s (service alone {:.1})",
                    median(&single.service)
                ),
                ratio: format!("{:.0}%", fraction * 100.0),
                target: format!(">= {:.0}%", SINGLE_FRACTION_TARGET * 100.0),
                met: Some(fraction >= SINGLE_FRACTION_TARGET),
            });
            let growth = single.rss_growth_kb.iter().copied().max().unwrap_or(0) as f64 / 1024.0;
            rows.push(Row {
                n: format!("{} MiB", single.mib),
                measure: "Copy 1 blob (peak RSS growth)".into(),
                measured: format!("{growth:.1} MiB"),
                reference: format!(
                    "blocks {} x {} MiB in flight",
                    single.parallel_blocks + 2,
                    single.block_mib
                ),
                ratio: String::new(),
                target: format!("< {RSS_GROWTH_TARGET_MIB:.0} MiB"),
                met: Some(growth < RSS_GROWTH_TARGET_MIB),
            });
        }
        if let Some(many) = &self.many {
            let pipeline = median(&seconds(&many.pipeline));
            let reference = median(&seconds(&many.reference));
            let ratios: Vec<f64> = many
                .pipeline
                .iter()
                .zip(&many.reference)
                .map(|(pipeline, reference)| {
                    if reference.is_zero() {
                        f64::INFINITY
                    } else {
                        pipeline.as_secs_f64() / reference.as_secs_f64()
                    }
                })
                .collect();
            let ratio = median(&ratios);
            rows.push(Row {
                n: format!("{} x {} KiB", many.files, many.file_kib),
                measure: format!("ForEach of Copy, batch {} (wall)", many.batch),
                measured: format!("{pipeline:.2} s"),
                reference: format!("{} workers {reference:.2} s", many.batch),
                ratio: format!("{ratio:.2}x"),
                target: format!("<= {MANY_RATIO_TARGET}x"),
                met: Some(ratio <= MANY_RATIO_TARGET),
            });
        }
        rows
    }

    /// The raw figures, as JSON.
    pub fn json(&self) -> Value {
        json!({
            "skipped": self.skipped,
            "loadavg": {"before": self.loadavg.0, "after": self.loadavg.1},
            "single": self.single.as_ref().map(|s| json!({
                "mib": s.mib,
                "copy_mib_per_s": s.copy,
                "reference_mib_per_s": s.reference,
                "service_alone_mib_per_s": s.service,
                "rss_growth_kb": s.rss_growth_kb,
                "block_mib": s.block_mib,
                "parallel_blocks": s.parallel_blocks,
            })),
            "many": self.many.as_ref().map(|m| json!({
                "files": m.files,
                "file_kib": m.file_kib,
                "batch": m.batch,
                "pipeline_s": seconds(&m.pipeline),
                "reference_s": seconds(&m.reference),
            })),
        })
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Azurite's blob service program: `ADFCTL_AZURITE`, else `node_modules/.bin/azurite-blob`
/// in the working folder or a parent, else on `PATH`.
fn find_azurite() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ADFCTL_AZURITE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let name = if cfg!(windows) {
        "azurite-blob.cmd"
    } else {
        "azurite-blob"
    };
    let mut dir = std::env::current_dir().ok();
    while let Some(here) = dir {
        let candidate = here.join("node_modules").join(".bin").join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = here.parent().map(Path::to_path_buf);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|p| p.join(name))
        .find(|p| p.is_file())
}

/// Azurite on a free port with its own store, killed on drop.
struct Azurite {
    child: Child,
    endpoint: String,
    _store: tempfile::TempDir,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time a process has used so far (user + system), from `/proc/PID/stat` (Linux; zero
/// elsewhere).
fn process_cpu(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are the 14th and 15th fields, in clock ticks (100 per second on
    // Linux's usual USER_HZ).
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

impl Azurite {
    /// CPU time Azurite has used so far.
    fn cpu(&self) -> Duration {
        process_cpu(&self.child.id().to_string())
    }

    fn start(program: &Path) -> Result<Azurite, String> {
        let store = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .map_err(|e| format!("cannot find a free port: {e}"))?;
        let child = Command::new(program)
            .args(["--silent", "--location"])
            .arg(store.path())
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args(["--skipApiVersionCheck", "--loose", "--disableTelemetry"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let azurite = Azurite {
            child,
            endpoint: format!("http://127.0.0.1:{port}/devstoreaccount1"),
            _store: store,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("{} did not start within 30 s", program.display()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(azurite)
    }
}

/// Deterministic filler (xorshift), so that the data neither compresses nor dedupes.
fn fill(block: &mut [u8], state: &mut u64) {
    for chunk in block.chunks_mut(8) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let bytes = state.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

fn blob_error(what: &str) -> impl Fn(adf_emulator::blob::BlobError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// How the reference upload gets each block's `Content-MD5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hashing {
    /// As a client uploading the blob's bytes must: each block hashed, the next one while the
    /// current one uploads (single stream, hashing off its path).
    EachBlock,
    /// One buffer hashed once and sent again and again: no client work at all, the service's
    /// own single-stream rate.
    Once,
}

/// Uploads `size` bytes in blocks of `block`, one request at a time; MiB/s.
async fn reference_upload(
    blobs: &BlobClient,
    name: &str,
    size: usize,
    block: usize,
    hashing: Hashing,
) -> Result<f64, String> {
    // Distinct blocks (generated before the clock starts), cycled.
    let distinct = if hashing == Hashing::Once { 1 } else { 8 };
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let pool: Vec<bytes::Bytes> = (0..distinct)
        .map(|_| {
            let mut buffer = vec![0u8; block];
            fill(&mut buffer, &mut state);
            bytes::Bytes::from(buffer)
        })
        .collect();
    let count = size.div_ceil(block);
    let data = |index: usize| {
        let length = block.min(size - index * block);
        pool[index % pool.len()].slice(..length)
    };
    let once = match hashing {
        Hashing::Once => Some((
            content_md5(&data(0)).await,
            content_md5(&data(count - 1)).await,
        )),
        Hashing::EachBlock => None,
    };
    let hash_of = |index: usize| {
        let body = data(index);
        let known = once.as_ref().map(|(full, tail)| {
            if index + 1 == count {
                tail.clone()
            } else {
                full.clone()
            }
        });
        async move {
            match known {
                Some(hash) => hash,
                None => content_md5(&body).await,
            }
        }
    };
    let started = Instant::now();
    let mut ids = Vec::new();
    let mut hash = hash_of(0).await;
    for index in 0..count {
        let id = block_id(index);
        let upload = blobs.put_block_hashed("bench", name, &id, data(index), hash);
        let next = async {
            if index + 1 < count {
                hash_of(index + 1).await
            } else {
                String::new()
            }
        };
        let (uploaded, next) = tokio::join!(upload, next);
        uploaded.map_err(blob_error("reference upload"))?;
        hash = next;
        ids.push(id);
    }
    blobs
        .put_block_list("bench", name, &ids)
        .await
        .map_err(blob_error("reference upload"))?;
    let rate = size as f64 / MIB as f64 / started.elapsed().as_secs_f64().max(1e-9);
    blobs
        .delete_blob("bench", name)
        .await
        .map_err(blob_error("delete"))?;
    Ok(rate)
}

/// The emulator, in this process on its own runtime, and the ARM calls the measurements make.
struct Emulator {
    runtime: tokio::runtime::Runtime,
    running: Option<adf_emulator::RunningEmulator>,
    base: String,
    http: reqwest::Client,
    _data: tempfile::TempDir,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(running.shutdown());
        }
    }
}

impl Emulator {
    fn start(settings: &CopySettings, blob_endpoint: &str) -> Result<Emulator, String> {
        let data = crate::scenario::store_dir(settings.durable_store)?;
        let runtime = crate::scenario::emulator_runtime()?;
        let mut config = adf_emulator::EmulatorConfig::new(data.path());
        config.development_blob_endpoint = blob_endpoint.to_owned();
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let running = runtime
            .block_on(adf_emulator::start(config, listen))
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        Ok(Emulator {
            runtime,
            base: running.base_url(),
            running: Some(running),
            http: reqwest::Client::new(),
            _data: data,
        })
    }

    fn factory(&self) -> String {
        format!(
            "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/bench/providers/Microsoft.DataFactory/factories/copy-bench",
            self.base
        )
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: String,
        body: Value,
    ) -> Result<Value, String> {
        let response = self
            .http
            .request(method, &url)
            .bearer_auth("bench")
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!("{url}: {status}: {body}"));
        }
        Ok(body)
    }

    async fn put(&self, path: &str, body: Value) -> Result<(), String> {
        self.call(
            reqwest::Method::PUT,
            format!("{}/{path}?{API}", self.factory()),
            body,
        )
        .await
        .map(|_| ())
    }

    /// The factory: a linked service to Azurite, datasets and the two pipelines.
    async fn deploy(&self) -> Result<(), String> {
        self.call(
            reqwest::Method::PUT,
            format!(
                "{}/subscriptions/{SUBSCRIPTION}/resourcegroups/bench?api-version=2021-04-01",
                self.base
            ),
            json!({"location": "eastus"}),
        )
        .await?;
        self.call(
            reqwest::Method::PUT,
            format!("{}?{API}", self.factory()),
            json!({"location": "eastus"}),
        )
        .await?;
        self.put(
            "linkedservices/azurite",
            json!({"properties": {"type": "AzureBlobStorage",
                "typeProperties": {"connectionString": "UseDevelopmentStorage=true"}}}),
        )
        .await?;
        let service = json!({"referenceName": "azurite", "type": "LinkedServiceReference"});
        let dataset = |folder: &str, file: Value, parameters: Value| {
            let mut location = json!({"type": "AzureBlobStorageLocation", "container": "bench", "folderPath": folder});
            if !file.is_null() {
                location["fileName"] = file;
            }
            json!({"properties": {"type": "Binary", "linkedServiceName": service,
                "parameters": parameters, "typeProperties": {"location": location}}})
        };
        let name = json!({"name": {"type": "String"}});
        self.put(
            "datasets/file",
            dataset(
                "in",
                json!({"value": "@dataset().name", "type": "Expression"}),
                name.clone(),
            ),
        )
        .await?;
        self.put(
            "datasets/out",
            dataset(
                "out",
                json!({"value": "@dataset().name", "type": "Expression"}),
                name,
            ),
        )
        .await?;
        self.put("datasets/small", dataset("small", Value::Null, json!({})))
            .await?;
        self.put(
            "datasets/smallFile",
            dataset(
                "small",
                json!({"value": "@dataset().name", "type": "Expression"}),
                json!({"name": {"type": "String"}}),
            ),
        )
        .await?;
        self.put(
            "datasets/smallOut",
            dataset("small-out", Value::Null, json!({})),
        )
        .await?;
        let copy = |name: &str, input: Value, output: Value| {
            json!({"name": name, "type": "Copy", "inputs": [input], "outputs": [output],
                "typeProperties": {"source": {"type": "BinarySource"}, "sink": {"type": "BinarySink"}}})
        };
        let reference = |name: &str, parameters: Value| json!({"referenceName": name, "type": "DatasetReference", "parameters": parameters});
        self.put(
            "pipelines/copyOne",
            json!({"properties": {
            "parameters": {"source": {"type": "String"}, "target": {"type": "String"}},
            "activities": [copy(
                "copy",
                reference("file", json!({"name": "@pipeline().parameters.source"})),
                reference("out", json!({"name": "@pipeline().parameters.target"})),
            )]}}),
        )
        .await?;
        self.put(
            "pipelines/copyMany",
            json!({"properties": {
                "parameters": {"batch": {"type": "Int"}},
                "activities": [
                    {"name": "list", "type": "GetMetadata", "typeProperties": {
                        "dataset": reference("small", json!({})), "fieldList": ["childItems"]}},
                    {"name": "each", "type": "ForEach",
                        "dependsOn": [{"activity": "list", "dependencyConditions": ["Succeeded"]}],
                        "typeProperties": {
                            "items": {"value": "@activity('list').output.childItems", "type": "Expression"},
                            "isSequential": false,
                            "batchCount": "@pipeline().parameters.batch",
                            "activities": [copy(
                                "copyFile",
                                reference("smallFile", json!({"name": "@item().name"})),
                                reference("smallOut", json!({})),
                            )]}}]}}),
        )
        .await
    }

    /// Runs a pipeline to its end; its wall time from createRun to the observed end.
    async fn run(&self, pipeline: &str, parameters: Value) -> Result<Duration, String> {
        let factory = self.factory();
        let started = Instant::now();
        let run = self
            .call(
                reqwest::Method::POST,
                format!("{factory}/pipelines/{pipeline}/createRun?{API}"),
                parameters,
            )
            .await?;
        let run_id = run["runId"].as_str().unwrap_or_default().to_owned();
        loop {
            let run = self
                .call(
                    reqwest::Method::GET,
                    format!("{factory}/pipelineruns/{run_id}?{API}"),
                    Value::Null,
                )
                .await?;
            match run["status"].as_str().unwrap_or("") {
                "Succeeded" => return Ok(started.elapsed()),
                "Failed" | "Cancelled" => {
                    return Err(format!(
                        "the {pipeline} run ended {}: {}",
                        run["status"], run["message"]
                    ));
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
}

/// Runs the copy measurements.
pub fn run(settings: &CopySettings) -> Result<CopyResults, String> {
    let mut results = CopyResults {
        loadavg: (loadavg(), String::new()),
        ..CopyResults::default()
    };
    let Some(program) = find_azurite() else {
        results.skipped = Some(
            "copy: Azurite (azurite-blob) not found: run `npm ci` at the workspace root, or set ADFCTL_AZURITE".into(),
        );
        return Ok(results);
    };
    let azurite = match Azurite::start(&program) {
        Ok(azurite) => azurite,
        Err(error) => {
            results.skipped = Some(format!("copy: cannot start Azurite: {error}"));
            return Ok(results);
        }
    };
    let emulator = Emulator::start(settings, &azurite.endpoint)?;
    let client = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let account =
        BlobAccount::from_connection_string("UseDevelopmentStorage=true", &azurite.endpoint)
            .map_err(|e| e.to_string())?;
    let blobs = BlobClient::connect(account).map_err(|e| e.to_string())?;
    client.block_on(async {
        blobs
            .create_container("bench")
            .await
            .map_err(blob_error("create container"))?;
        emulator.deploy().await
    })?;
    if settings.mib > 0 {
        results.single =
            Some(client.block_on(measure_single(settings, &azurite, &emulator, &blobs))?);
    }
    if settings.files > 0 {
        results.many = Some(client.block_on(measure_many(settings, &azurite, &emulator, &blobs))?);
    }
    results.loadavg.1 = loadavg();
    Ok(results)
}

async fn measure_single(
    settings: &CopySettings,
    azurite: &Azurite,
    emulator: &Emulator,
    blobs: &BlobClient,
) -> Result<Single, String> {
    let size = settings.mib * MIB;
    eprintln!("copy: staging a {} MiB blob in Azurite...", settings.mib);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 8 * MIB];
    let mut ids = Vec::new();
    let mut sent = 0;
    while sent < size {
        let length = block.len().min(size - sent);
        fill(&mut block[..length], &mut state);
        let id = block_id(ids.len());
        blobs
            .put_block("bench", "in/big.bin", &id, block[..length].to_vec())
            .await
            .map_err(blob_error("staging"))?;
        ids.push(id);
        sent += length;
    }
    blobs
        .put_block_list("bench", "in/big.bin", &ids)
        .await
        .map_err(blob_error("staging"))?;
    drop(block);
    let config = adf_emulator::EmulatorConfig::new(".");
    let mut single = Single {
        mib: settings.mib,
        copy: Vec::new(),
        reference: Vec::new(),
        service: Vec::new(),
        rss_growth_kb: Vec::new(),
        block_mib: config.copy_block_size / MIB,
        parallel_blocks: config.copy_parallel_blocks,
    };
    for round in 0..settings.rounds.max(1) {
        let mut best: f64 = 0.0;
        let cpu = azurite.cpu();
        for block in [4 * MIB, 8 * MIB] {
            let rate = reference_upload(blobs, "ref/big.bin", size, block, Hashing::EachBlock);
            best = best.max(rate.await?);
        }
        let reference_cpu = (azurite.cpu() - cpu) / 2;
        let service = reference_upload(blobs, "ref/big.bin", size, 8 * MIB, Hashing::Once).await?;
        single.service.push(service);
        let cpu = azurite.cpu();
        let own_cpu = process_cpu("self");
        single.reference.push(best);
        let before = status_kb("VmRSS:").unwrap_or(0);
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let wall = emulator
            .run("copyOne", json!({"source": "big.bin", "target": "big.bin"}))
            .await?;
        let peak = status_kb("VmHWM:").unwrap_or(0);
        let copy_cpu = azurite.cpu() - cpu;
        let own_cpu = process_cpu("self") - own_cpu;
        let rate = size as f64 / MIB as f64 / wall.as_secs_f64().max(1e-9);
        single.copy.push(rate);
        if reset {
            single.rss_growth_kb.push(peak.saturating_sub(before));
        }
        blobs
            .delete_blob("bench", "out/big.bin")
            .await
            .map_err(blob_error("delete"))?;
        eprintln!(
            "copy: round {}: copy {rate:.1} MiB/s, single-stream upload {best:.1} MiB/s (service alone {service:.1}), peak RSS +{:.1} MiB; CPU: Azurite {:.2} s and emulator {:.2} s copying, Azurite {:.2} s per upload",
            round + 1,
            peak.saturating_sub(before) as f64 / 1024.0,
            copy_cpu.as_secs_f64(),
            own_cpu.as_secs_f64(),
            reference_cpu.as_secs_f64(),
        );
    }
    blobs
        .delete_blob("bench", "in/big.bin")
        .await
        .map_err(blob_error("delete"))?;
    Ok(single)
}

async fn measure_many(
    settings: &CopySettings,
    azurite: &Azurite,
    emulator: &Emulator,
    blobs: &BlobClient,
) -> Result<Many, String> {
    let files = settings.files;
    let size = settings.file_kib * 1024;
    let batch = settings.batch.max(1);
    eprintln!(
        "copy: staging {files} files of {} KiB...",
        settings.file_kib
    );
    let names: Vec<String> = (0..files).map(|i| format!("f{i:05}.bin")).collect();
    let mut state = 0x1234_5678_9ABC_DEF1u64;
    let mut staging = tokio::task::JoinSet::new();
    for chunk in names.chunks(files.div_ceil(batch).max(1)) {
        let mut data = Vec::new();
        for _ in chunk {
            let mut file = vec![0u8; size];
            fill(&mut file, &mut state);
            data.push(file);
        }
        let (blobs, chunk) = (blobs.clone(), chunk.to_vec());
        staging.spawn(async move {
            for (name, file) in chunk.iter().zip(data) {
                blobs
                    .put_blob("bench", &format!("small/{name}"), file)
                    .await?;
            }
            Ok::<(), adf_emulator::blob::BlobError>(())
        });
    }
    while let Some(done) = staging.join_next().await {
        done.map_err(|e| e.to_string())?
            .map_err(blob_error("staging"))?;
    }
    let mut many = Many {
        files,
        file_kib: settings.file_kib,
        batch,
        pipeline: Vec::new(),
        reference: Vec::new(),
    };
    for round in 0..settings.rounds.max(1) {
        let cpu = azurite.cpu();
        let reference = reference_copies(blobs, &names, batch).await?;
        let reference_cpu = azurite.cpu() - cpu;
        many.reference.push(reference);
        let cpu = azurite.cpu();
        let wall = emulator.run("copyMany", json!({"batch": batch})).await?;
        let pipeline_cpu = azurite.cpu() - cpu;
        many.pipeline.push(wall);
        eprintln!(
            "copy: round {}: ForEach {:.2} s, {batch} workers {:.2} s; Azurite CPU {:.2} s, {:.2} s",
            round + 1,
            wall.as_secs_f64(),
            reference.as_secs_f64(),
            pipeline_cpu.as_secs_f64(),
            reference_cpu.as_secs_f64(),
        );
    }
    Ok(many)
}

/// The same operations as the Copy of each file (Get Blob, Put Blob with its Content-MD5), by
/// `batch` workers of a plain client.
async fn reference_copies(
    blobs: &BlobClient,
    names: &[String],
    batch: usize,
) -> Result<Duration, String> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let names = std::sync::Arc::new(names.to_vec());
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..batch {
        let (blobs, names, next) = (blobs.clone(), names.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(name) = names.get(index) else {
                    return Ok::<(), String>(());
                };
                let body = blobs
                    .get("bench", &format!("small/{name}"))
                    .await
                    .map_err(blob_error("reference get"))?
                    .bytes()
                    .await
                    .map_err(|e| format!("reference get: {e}"))?;
                blobs
                    .put_blob("bench", &format!("small-ref/{name}"), body)
                    .await
                    .map_err(blob_error("reference put"))?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(started.elapsed())
}
