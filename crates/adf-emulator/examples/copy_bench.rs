//! Copy benchmark: the emulator's Copy activity on one big blob, next to Azurite's own upload
//! and download speed for the same blob. For Binary copies, `adf-bench --copy-only` measures
//! more carefully (alternate rounds against the best single-stream upload, and many small
//! files); this example remains for the row path (`csv`).
//!
//! ```sh
//! npm ci                                   # Azurite, once
//! cargo run --release -p adf-emulator --example copy_bench -- [SIZE_MIB] [BLOCK_MIB] [csv]
//! ```
//!
//! SIZE_MIB defaults to 1024 (1 GiB), BLOCK_MIB (the copy's block size) to 4. With `csv`, the
//! blob is delimited text (32-byte lines of four fields) copied between DelimitedText datasets,
//! row by row (parsed and written again), instead of bytes between Binary datasets. It starts
//! Azurite on a free port with a temporary store, uploads SIZE_MIB of pseudo-random bytes in
//! 8 MiB blocks (Azurite's upload speed), downloads them (its download speed), then runs an
//! in-process emulator, copies the blob with a pipeline run, and prints the copy's throughput and
//! the process's peak RSS during the copy (Linux `VmHWM`, reset through `/proc/self/clear_refs`
//! before the copy), to show that memory does not grow with the blob size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use adf_emulator::blob::{BlobAccount, BlobClient, block_id};
use adf_emulator::{EmulatorConfig, start};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;
const UPLOAD_BLOCK: usize = 8 * MIB;

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Delimited text: 32-byte lines of four 7-letter fields (the block size is a multiple of 32).
fn fill_csv(block: &mut [u8]) {
    for (i, byte) in block.iter_mut().enumerate() {
        *byte = match i % 32 {
            31 => b'\n',
            x if x % 8 == 7 => b',',
            x => b'a' + (x % 26) as u8,
        };
    }
}

/// Deterministic filler (xorshift), so the data does not compress or dedupe.
fn fill(block: &mut [u8], state: &mut u64) {
    for chunk in block.chunks_mut(8) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let bytes = state.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB as f64 / elapsed.as_secs_f64().max(1e-9)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size_mib: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let block_mib: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let csv = args.get(2).is_some_and(|a| a == "csv");
    let (format, source_type, sink_type) = if csv {
        ("DelimitedText", "DelimitedTextSource", "DelimitedTextSink")
    } else {
        ("Binary", "BinarySource", "BinarySink")
    };
    let size = size_mib * MIB;

    let azurite_bin =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/azurite-blob");
    if !azurite_bin.exists() {
        eprintln!("Azurite is not installed: run `npm ci` at the workspace root first.");
        std::process::exit(2);
    }
    let azurite_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut azurite = Command::new(azurite_bin)
        .args(["--silent", "--location"])
        .arg(azurite_dir.path())
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .args(["--skipApiVersionCheck", "--loose", "--disableTelemetry"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Azurite");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let blob_endpoint = format!("http://127.0.0.1:{port}/devstoreaccount1");
    let account =
        BlobAccount::from_connection_string("UseDevelopmentStorage=true", &blob_endpoint).unwrap();
    let blobs = BlobClient::connect(account).unwrap();
    blobs.create_container("bench").await.unwrap();

    eprintln!("uploading {size_mib} MiB to Azurite...");
    let started = Instant::now();
    let mut ids = Vec::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; UPLOAD_BLOCK];
    let mut sent = 0;
    while sent < size {
        let length = UPLOAD_BLOCK.min(size - sent);
        if csv {
            fill_csv(&mut block[..length]);
        } else {
            fill(&mut block[..length], &mut state);
        }
        let id = block_id(ids.len());
        blobs
            .put_block("bench", "in/big.bin", &id, block[..length].to_vec())
            .await
            .unwrap();
        ids.push(id);
        sent += length;
    }
    blobs
        .put_block_list("bench", "in/big.bin", &ids)
        .await
        .unwrap();
    let upload = started.elapsed();

    eprintln!("downloading it from Azurite...");
    let started = Instant::now();
    let mut response = blobs.get("bench", "in/big.bin").await.unwrap();
    let mut received = 0u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len() as u64;
    }
    let download = started.elapsed();
    assert_eq!(received, size as u64);

    // The emulator, in this process.
    let data = tempfile::tempdir().unwrap();
    let mut config = EmulatorConfig::new(data.path());
    config.development_blob_endpoint = blob_endpoint.clone();
    config.copy_block_size = block_mib * MIB;
    config.executor_poll = Duration::from_millis(50);
    let emulator = start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = emulator.base_url();
    let http = reqwest::Client::new();
    let factory = format!(
        "{base}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.DataFactory/factories/copy-bench"
    );
    let call = |method: reqwest::Method, url: String, body: Value| {
        let http = http.clone();
        async move {
            let response = http
                .request(method, url)
                .bearer_auth("bench")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{:?}", response.status());
            response.json::<Value>().await.unwrap_or(Value::Null)
        }
    };
    let adf = "api-version=2018-06-01";
    call(
        reqwest::Method::PUT,
        format!("{base}/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/bench?api-version=2021-04-01"),
        json!({"location": "eastus"}),
    )
    .await;
    call(
        reqwest::Method::PUT,
        format!("{factory}?{adf}"),
        json!({"location": "eastus"}),
    )
    .await;
    call(
        reqwest::Method::PUT,
        format!("{factory}/linkedservices/azurite?{adf}"),
        json!({"properties": {"type": "AzureBlobStorage", "typeProperties": {"connectionString": "UseDevelopmentStorage=true"}}}),
    )
    .await;
    for (name, folder) in [("source", "in"), ("sink", "out")] {
        call(
            reqwest::Method::PUT,
            format!("{factory}/datasets/{name}?{adf}"),
            json!({"properties": {"type": format,
                "linkedServiceName": {"referenceName": "azurite", "type": "LinkedServiceReference"},
                "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "bench", "folderPath": folder}}}}),
        )
        .await;
    }
    call(
        reqwest::Method::PUT,
        format!("{factory}/pipelines/copyBig?{adf}"),
        json!({"properties": {"activities": [{"name": "copy", "type": "Copy",
            "inputs": [{"referenceName": "source", "type": "DatasetReference"}],
            "outputs": [{"referenceName": "sink", "type": "DatasetReference"}],
            "typeProperties": {"source": {"type": source_type}, "sink": {"type": sink_type}}}]}}),
    )
    .await;

    let rss_before = status_kib("VmRSS:").unwrap_or(0);
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    eprintln!("copying with the emulator (blocks of {block_mib} MiB, {format} datasets)...");
    let started = Instant::now();
    let run = call(
        reqwest::Method::POST,
        format!("{factory}/pipelines/copyBig/createRun?{adf}"),
        json!({}),
    )
    .await;
    let run_id = run["runId"].as_str().unwrap().to_owned();
    let final_run = loop {
        let run = http
            .get(format!("{factory}/pipelineruns/{run_id}?{adf}"))
            .bearer_auth("bench")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        if ["Succeeded", "Failed", "Cancelled"].contains(&run["status"].as_str().unwrap_or("")) {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let copy_wall = started.elapsed();
    let peak = status_kib("VmHWM:").unwrap_or(0);
    let activities = call(
        reqwest::Method::POST,
        format!("{factory}/pipelineruns/{run_id}/queryActivityruns?{adf}"),
        json!({"lastUpdatedAfter": "2000-01-01T00:00:00Z", "lastUpdatedBefore": "2100-01-01T00:00:00Z"}),
    )
    .await;
    let output = activities["value"][0]["output"].clone();
    assert_eq!(final_run["status"], "Succeeded", "{activities:#}");
    assert_eq!(output["dataRead"], size as u64);

    println!("blob size                      {size_mib} MiB");
    println!(
        "Azurite upload (8 MiB blocks)  {:.1} MiB/s",
        mib_per_s(size as u64, upload)
    );
    println!(
        "Azurite download               {:.1} MiB/s",
        mib_per_s(size as u64, download)
    );
    println!(
        "emulator copy                  {:.1} MiB/s wall ({:.1} s); activity throughput {} KB/s, copyDuration {} s",
        mib_per_s(size as u64, copy_wall),
        copy_wall.as_secs_f64(),
        output["throughput"],
        output["copyDuration"]
    );
    println!(
        "emulator peak RSS during copy  {:.1} MiB{} (RSS before the copy {:.1} MiB; copy block {block_mib} MiB)",
        peak as f64 / 1024.0,
        if reset {
            ""
        } else {
            " (VmHWM could not be reset: peak of the whole process)"
        },
        rss_before as f64 / 1024.0
    );

    emulator.shutdown().await.unwrap();
    let _ = azurite.kill();
    let _ = azurite.wait();
}
