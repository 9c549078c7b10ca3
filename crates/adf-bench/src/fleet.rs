//! Many factories in one run: `adfctl apply --targets` of F factories of N entities each
//! (default 50 × 200), all in one subscription, against one emulator with ARM's throttling on.
//!
//! The real binary runs (`adfctl` beside `adf-bench`: `cargo build --release -p adfctl`), as a
//! user would run it; the emulator runs in this process. The buckets are ARM's shape (a burst,
//! then a steady refill per subscription) with faster refills than ARM's defaults (writes 200
//! then 200/s instead of 10/s), so that the run takes a minute rather than seventeen and the
//! buckets, not the 25 ms latency, still bind: 50 targets × 16 requests in flight could send
//! 32,000 requests per second.
//!
//! Bound: ARM's buckets let at most `burst + rate × t` requests of a kind through in `t`
//! seconds, so a run that needs `n` requests of a kind takes at least `(n − burst) / rate`;
//! the bound is the largest over reads, writes and deletes, from the emulator's own counts of
//! the requests it accepted. Target: 0 requests refused (429) or failed, and the run within
//! 1.3 × the bound.

use crate::factory;
use crate::report::Row;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Throughput of the whole run: at most this × the bucket-rate bound.
pub const FLEET_RATIO_TARGET: f64 = 1.3;

/// What to measure.
#[derive(Debug, Clone)]
pub struct FleetSettings {
    /// Factories (targets).
    pub factories: usize,
    /// Entities of each.
    pub entities: usize,
    /// Added to every ARM request.
    pub latency: Duration,
    /// Items per list page.
    pub page_size: usize,
    /// The refill of the writes bucket per second (reads refill 2.5 times as fast, deletes as
    /// writes: ARM's proportions).
    pub write_rate: f64,
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct FleetResult {
    pub settings: FleetSettings,
    /// adfctl's exit code.
    pub exit_code: i32,
    /// The targets adfctl's summary reports converged.
    pub converged: usize,
    /// Wall time of the whole `adfctl apply --targets` process.
    pub wall: Duration,
    /// Requests the emulator accepted, per bucket: reads, writes, deletes.
    pub accepted: [u64; 3],
    /// Requests refused with 429.
    pub throttled: u64,
    /// Responses with a 5xx status.
    pub server_errors: u64,
    /// The bucket-rate bound and which bucket sets it.
    pub bound: Duration,
    pub binding: &'static str,
    /// The buckets: (burst, per second) for reads, writes, deletes.
    pub limits: [(u32, f64); 3],
}

impl FleetResult {
    /// Wall time over the bound.
    pub fn ratio(&self) -> f64 {
        if self.bound.is_zero() {
            f64::INFINITY
        } else {
            self.wall.as_secs_f64() / self.bound.as_secs_f64()
        }
    }

    /// Whether every target converged with no request refused or failed.
    pub fn clean(&self) -> bool {
        self.exit_code == 0
            && self.converged == self.settings.factories
            && self.throttled == 0
            && self.server_errors == 0
    }

    /// The report's rows: the run's failures, and its time against the bound.
    pub fn rows(&self) -> Vec<Row> {
        let n = format!("{}x{}", self.settings.factories, self.settings.entities);
        let [reads, writes, deletes] = self.accepted;
        let (burst, rate) = self.limits[1];
        vec![
            Row {
                n: n.clone(),
                measure: "apply --targets: failed".into(),
                measured: (self.throttled + self.server_errors).to_string(),
                reference: format!(
                    "{} x 429, {} x 5xx; {} of {} converged, exit {}",
                    self.throttled,
                    self.server_errors,
                    self.converged,
                    self.settings.factories,
                    self.exit_code
                ),
                ratio: String::new(),
                target: "= 0".into(),
                met: Some(self.clean()),
            },
            Row {
                n,
                measure: "apply --targets (wall)".into(),
                measured: format!("{:.2} s", self.wall.as_secs_f64()),
                reference: format!(
                    "bound {:.2} s ({}: {reads} reads, {writes} writes, {deletes} deletes; writes {burst} + {rate}/s)",
                    self.bound.as_secs_f64(),
                    self.binding
                ),
                ratio: format!("{:.2}x", self.ratio()),
                target: format!("<= {FLEET_RATIO_TARGET}x"),
                met: Some(self.ratio() <= FLEET_RATIO_TARGET),
            },
        ]
    }

    /// The raw figures.
    pub fn json(&self) -> serde_json::Value {
        let buckets: Vec<serde_json::Value> = ["reads", "writes", "deletes"]
            .iter()
            .zip(self.limits)
            .map(|(name, (burst, rate))| {
                serde_json::json!({"bucket": name, "burst": burst, "per_second": rate})
            })
            .collect();
        serde_json::json!({
            "factories": self.settings.factories,
            "entities_each": self.settings.entities,
            "latency_ms": self.settings.latency.as_millis() as u64,
            "exit_code": self.exit_code,
            "converged": self.converged,
            "wall_ms": self.wall.as_millis() as u64,
            "accepted": {"reads": self.accepted[0], "writes": self.accepted[1], "deletes": self.accepted[2]},
            "throttled": self.throttled,
            "server_errors": self.server_errors,
            "buckets": buckets,
            "bound_ms": self.bound.as_millis() as u64,
            "binding": self.binding,
            "ratio": self.ratio(),
        })
    }
}

/// The `adfctl` binary beside this one.
fn adfctl_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let binary = exe.with_file_name("adfctl");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "{} is missing: build it with `cargo build --release -p adfctl` (the fleet run runs the real binary)",
            binary.display()
        ))
    }
}

/// Writes the targets: one spec file per factory (each in its own resource group) and the
/// targets file listing them.
fn write_targets(dir: &Path, settings: &FleetSettings) -> Result<PathBuf, String> {
    let mut list = String::from("targets:\n");
    for index in 0..settings.factories {
        let name = factory::factory_name(settings.entities, &format!("fleet{index:02}"));
        let spec = factory::spec_yaml(settings.entities, &name, 0).replace(
            "name: adf-bench-rg",
            &format!("name: adf-bench-fleet-rg-{index:02}"),
        );
        let file = format!("{name}.yaml");
        std::fs::write(dir.join(&file), spec).map_err(|e| e.to_string())?;
        list.push_str(&format!("  - {{name: f{index:02}, files: [{file}]}}\n"));
    }
    let path = dir.join("targets.yaml");
    std::fs::write(&path, list).map_err(|e| e.to_string())?;
    Ok(path)
}

fn count(stats: &serde_json::Value, section: &str, key: &str) -> u64 {
    stats[section][key].as_u64().unwrap_or(0)
}

/// Runs the fleet apply and measures it.
pub fn measure(settings: &FleetSettings) -> Result<FleetResult, String> {
    let binary = adfctl_binary()?;
    let limits = adf_emulator::ThrottleLimits {
        reads: adf_emulator::BucketLimit {
            burst: 250,
            per_second: settings.write_rate * 2.5,
        },
        writes: adf_emulator::BucketLimit {
            burst: 200,
            per_second: settings.write_rate,
        },
        deletes: adf_emulator::BucketLimit {
            burst: 200,
            per_second: settings.write_rate,
        },
    };
    let data = crate::scenario::store_dir(false)?;
    let specs = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let targets = write_targets(specs.path(), settings)?;

    let runtime = crate::scenario::emulator_runtime()?;
    let mut config = adf_emulator::EmulatorConfig::new(data.path());
    config.latency = settings.latency;
    config.page_size = settings.page_size;
    config.throttle = true;
    config.throttle_limits = limits;
    config.run_engine = false;
    config.seed = Some(6);
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let running = runtime
        .block_on(adf_emulator::start(config, listen))
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let endpoint = running.base_url();

    eprintln!(
        "fleet: adfctl apply --targets of {} factories x {} entities (writes {} + {}/s)...",
        settings.factories, settings.entities, limits.writes.burst, limits.writes.per_second
    );
    let started = Instant::now();
    let output = std::process::Command::new(&binary)
        .args(["apply", "--auto-approve", "--targets"])
        .arg(&targets)
        .args(["--concurrent-targets", &settings.factories.to_string()])
        .args(["--endpoint", &endpoint])
        .env(factory::SECRET_ENV, "bench-secret-value")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let wall = started.elapsed();
    let stats = emulator_stats(running.addr());
    let _ = runtime.block_on(running.shutdown());
    let stats = stats?;

    let stderr = String::from_utf8_lossy(&output.stderr);
    let converged = stderr
        .lines()
        .filter(|line| line.split_whitespace().nth(1) == Some("converged"))
        .count();
    if !output.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        eprintln!(
            "fleet: adfctl failed; the end of its output:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let accepted_of =
        |methods: &[&str]| -> u64 { methods.iter().map(|m| count(&stats, "byMethod", m)).sum() };
    let throttled = stats["throttled"].as_u64().unwrap_or(0);
    let server_errors: u64 = stats["byStatus"]
        .as_object()
        .map(|statuses| {
            statuses
                .iter()
                .filter(|(status, _)| status.starts_with('5'))
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0);
    // byMethod counts every request, refused ones too: the bound counts what got through.
    let accepted = [
        accepted_of(&["GET", "HEAD"]),
        accepted_of(&["PUT", "PATCH", "POST"]),
        accepted_of(&["DELETE"]),
    ];
    let limits_of = [
        (limits.reads.burst, limits.reads.per_second),
        (limits.writes.burst, limits.writes.per_second),
        (limits.deletes.burst, limits.deletes.per_second),
    ];
    let names = ["reads", "writes", "deletes"];
    let (bound, binding) = accepted
        .iter()
        .zip(limits_of)
        .zip(names)
        .map(|((n, (burst, rate)), name)| {
            let seconds = (*n as f64 - f64::from(burst)).max(0.0) / rate;
            (Duration::from_secs_f64(seconds), name)
        })
        .max_by_key(|(bound, _)| *bound)
        .unwrap_or((Duration::ZERO, "writes"));
    Ok(FleetResult {
        settings: settings.clone(),
        exit_code: output.status.code().unwrap_or(-1),
        converged,
        wall,
        accepted,
        throttled,
        server_errors,
        bound,
        binding,
        limits: limits_of,
    })
}

/// `GET /_emulator/stats` (plain HTTP/1.0 over a socket: one request needs no client).
fn emulator_stats(addr: std::net::SocketAddr) -> Result<serde_json::Value, String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /_emulator/stats HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .ok_or("the emulator's stats response has no body")?;
    serde_json::from_str(body).map_err(|e| format!("the emulator's stats: {e}"))
}
