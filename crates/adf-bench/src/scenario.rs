//! The measurements: one fresh in-process emulator per factory size, the real spec loader,
//! refresh, planner and engine, and request counts from the client's own counters.

use crate::bounds;
use crate::factory::{self, SECRET_ENV};
use adf_arm::{ArmClient, ArmClientOptions};
use adf_core::{DesiredState, Kind, path::api_version};
use adf_engine::{ApplyEvent, ApplyOptions, Observer};
use adf_plan::{Action, LiveState, Plan, PlanOptions};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Factory sizes.
    pub sizes: Vec<usize>,
    /// Latency the emulator adds to each request.
    pub latency: Duration,
    /// Apply's parallelism.
    pub parallelism: usize,
    /// Items per list page.
    pub page_size: usize,
    /// The largest size whose sequential baseline is measured (larger ones extrapolate).
    pub sequential_up_to: usize,
    /// Entities of the throttling run, if any.
    pub throttle_entities: Option<usize>,
    /// Where the emulator's store goes: `/dev/shm` (memory) unless this is set.
    pub durable_store: bool,
    /// Only the memory measurements (the largest size's factory is applied first, unmeasured).
    pub memory_only: bool,
}

/// Wall time and requests of one operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timed {
    /// Wall time.
    pub wall: Duration,
    /// Requests sent (retries included).
    pub requests: u64,
    /// Of which writes (PUT, POST, DELETE, PATCH).
    pub writes: u64,
    /// For a plan: the part spent reading live state (the rest is the diff).
    pub refresh: Duration,
}

/// One engine wave: how many changes, and when its first step started and its last ended,
/// relative to the start of the apply.
#[derive(Debug, Clone, Default)]
pub struct WaveProfile {
    /// Changes in the wave.
    pub changes: usize,
    /// First start (ms from the apply's start).
    pub start_ms: f64,
    /// Last end (ms from the apply's start).
    pub end_ms: f64,
}

/// An apply and what bounds it.
#[derive(Debug, Clone, Default)]
pub struct ApplyResult {
    /// Time and requests.
    pub timed: Timed,
    /// Changes in the plan (no-ops excluded).
    pub changes: usize,
    /// Changes per dependency level.
    pub levels: Vec<usize>,
    /// The lower bound.
    pub bound: Duration,
    /// Steps that failed or were skipped.
    pub failed_steps: usize,
    /// The engine's waves.
    pub waves: Vec<WaveProfile>,
}

/// The sequential baseline.
#[derive(Debug, Clone, Copy)]
pub struct Sequential {
    /// Wall time (measured, or extrapolated).
    pub wall: Duration,
    /// PUTs.
    pub requests: u64,
    /// Whether `wall` is extrapolated from a smaller measured run.
    pub extrapolated: bool,
}

/// Everything measured for one size.
#[derive(Debug, Clone)]
pub struct SizeResult {
    /// Entities in the factory.
    pub n: usize,
    /// Plan of the populated factory.
    pub plan: Timed,
    /// Its lower bound.
    pub plan_bound: Duration,
    /// Pages of every list (one per kind at least).
    pub list_pages: usize,
    /// Pages of the largest list.
    pub largest_list_pages: usize,
    /// Apply of all creates.
    pub create: ApplyResult,
    /// The no-op apply.
    pub noop: Timed,
    /// The apply of 10 % changes.
    pub change: ApplyResult,
    /// Whether a plan after the changed apply shows no changes.
    pub converged: bool,
    /// The sequential baseline.
    pub sequential: Option<Sequential>,
}

/// The throttling run.
#[derive(Debug, Clone)]
pub struct ThrottleResult {
    /// Entities applied.
    pub entities: usize,
    /// The apply.
    pub timed: Timed,
    /// Steps that failed (must be 0).
    pub failed_steps: usize,
    /// 429 responses the client received (and retried).
    pub throttled: u64,
    /// Requests the client spaced out because ARM's remaining count was low.
    pub paced: u64,
    /// The write bucket.
    pub burst: u32,
    /// Its refill rate (tokens per second).
    pub rate: f64,
    /// Writes beyond the burst, per second, as a fraction of `rate`.
    pub fraction: f64,
}

/// Peak memory of a plan, stage by stage.
#[derive(Debug, Clone)]
pub struct MemoryResult {
    /// What was planned: `5000` (the generated factory) or a real repository's folder name.
    pub label: String,
    /// Entities planned (resource group and factory included).
    pub entities: usize,
    /// The target: peak under this many MB.
    pub target_mb: f64,
    /// VmHWM of the fresh process after each stage (kB): `start`, `read` (the files' text in
    /// memory), `load` (the desired state; the text dropped), `refresh` (live state), `plan`.
    pub stages: Vec<(String, u64)>,
    /// VmHWM at the end: the figure the target is about (kB).
    pub peak_kb: u64,
    /// Wall time of `adf_plan::plan` alone (the diff, after the refresh), in the child.
    pub plan: Duration,
}

/// All results.
#[derive(Debug, Clone)]
pub struct Results {
    /// The settings.
    pub settings: Settings,
    /// Per size.
    pub sizes: Vec<SizeResult>,
    /// Throttling.
    pub throttle: Option<ThrottleResult>,
    /// Memory: the largest generated size, then the real repository (when present).
    pub memory: Vec<MemoryResult>,
    /// Memory measurements skipped, and why.
    pub memory_skipped: Vec<String>,
    /// CPU, cores, load average before and after.
    pub machine: Value,
}

/// A data directory for an emulator: in memory (`/dev/shm`) unless `durable`. The emulator
/// syncs every write (SQLite `synchronous=FULL`); on this shared disk that costs several ms per
/// write, serialised, which measures the disk rather than adfctl.
pub fn store_dir(durable: bool) -> Result<tempfile::TempDir, String> {
    let shm = Path::new("/dev/shm");
    if !durable && shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .map_err(|e| format!("temp dir: {e}"))
}

/// A runtime of its own for an emulator in this process, so that its work and the client's
/// are scheduled apart.
pub fn emulator_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("emulator")
        .build()
        .map_err(|e| format!("emulator runtime: {e}"))
}

/// An emulator on its own runtime, so that its work and the client's are scheduled apart.
struct Emulator {
    runtime: tokio::runtime::Runtime,
    running: Option<adf_emulator::RunningEmulator>,
    url: url::Url,
    _data: tempfile::TempDir,
}

impl Emulator {
    fn start(settings: &Settings, throttle: bool) -> Result<Emulator, String> {
        // The emulator syncs every write to disk (SQLite synchronous=FULL); on this shared disk
        // that costs several ms per write, serialised, which measures the disk rather than
        // adfctl. A store in memory keeps the emulator's cost close to ARM's: the latency.
        let data = store_dir(settings.durable_store)?;
        let runtime = emulator_runtime()?;
        let mut config = adf_emulator::EmulatorConfig::new(data.path());
        config.latency = settings.latency;
        config.page_size = settings.page_size;
        config.throttle = throttle;
        config.seed = Some(6);
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let running = runtime
            .block_on(adf_emulator::start(config, listen))
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let url = url::Url::parse(&running.base_url()).map_err(|e| e.to_string())?;
        Ok(Emulator {
            runtime,
            running: Some(running),
            url,
            _data: data,
        })
    }

    fn client(&self) -> Result<ArmClient, String> {
        ArmClient::new(ArmClientOptions::new(self.url.clone())).map_err(|e| e.to_string())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(running.shutdown());
        }
    }
}

/// Loads generated spec text through the real spec loader.
pub fn load(text: &str) -> Result<DesiredState, String> {
    load_sources(vec![adf_spec::SpecSource::new("bench.yaml", text)])
}

fn client_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))
}

/// Runs every measurement.
pub fn run_all(settings: &Settings) -> Result<Results, String> {
    let machine_before = machine();
    let runtime = client_runtime()?;
    let mut sizes = Vec::new();
    let mut memory = Vec::new();
    let mut memory_skipped = Vec::new();
    let largest = settings.sizes.iter().copied().max().unwrap_or(0);
    // Per-PUT time of the largest measured sequential run, for extrapolation.
    let mut sequential_per_put: Option<Duration> = None;
    for &n in &settings.sizes {
        if settings.memory_only && n != largest {
            continue;
        }
        let emulator = Emulator::start(settings, false)?;
        if settings.memory_only {
            eprintln!("N = {n}: applying the factory (not measured)...");
            let name = factory::factory_name(n, "main");
            let desired = load(&factory::spec_yaml(n, &name, 1))?;
            runtime.block_on(populate(&emulator, &desired, settings))?;
        } else {
            eprintln!("N = {n}: generating, planning, applying...");
            let result = runtime.block_on(measure_size(
                &emulator,
                settings,
                n,
                &mut sequential_per_put,
            ))?;
            sizes.push(result);
        }
        if n == largest {
            eprintln!("N = {n}: peak memory of a plan, in a fresh process...");
            memory.push(measure_memory(&emulator, n)?);
        }
    }
    match realworld_folder() {
        Some(folder) => {
            eprintln!(
                "{REALWORLD}: applying it, then the peak memory of a plan, in a fresh process..."
            );
            memory.push(measure_realworld_memory(&runtime, settings, &folder)?);
        }
        None => {
            let skipped =
                format!("memory of {REALWORLD} skipped: ../shared/realworld/{REALWORLD} is absent");
            eprintln!("SKIPPED {skipped}");
            memory_skipped.push(skipped);
        }
    }
    let throttle = match settings.throttle_entities {
        Some(entities) if !settings.memory_only => {
            eprintln!("throttling: applying {entities} entities with --throttle...");
            let emulator = Emulator::start(settings, true)?;
            Some(runtime.block_on(measure_throttle(&emulator, settings, entities))?)
        }
        _ => None,
    };
    Ok(Results {
        settings: settings.clone(),
        sizes,
        throttle,
        memory,
        memory_skipped,
        machine: json!({"before": machine_before, "after": machine()}),
    })
}

/// Plans `desired` against the emulator and applies it (unmeasured), so that the memory child
/// plans a populated factory.
async fn populate(
    emulator: &Emulator,
    desired: &DesiredState,
    settings: &Settings,
) -> Result<(), String> {
    let client = emulator.client()?;
    let (live, plan, _) = plan_timed(&client, desired).await?;
    let applied = apply_timed(&client, &plan, desired, &live, settings).await;
    if applied.failed_steps > 0 {
        return Err(format!(
            "applying the factory to measure: {} steps failed",
            applied.failed_steps
        ));
    }
    Ok(())
}

/// Plans of the populated factory measured; the median is reported.
const PLAN_REPEATS: usize = 5;

async fn plan_timed(
    client: &ArmClient,
    desired: &DesiredState,
) -> Result<(LiveState, Plan, Timed), String> {
    let before = client.stats();
    let started = Instant::now();
    let live = adf_engine::refresh(client, &desired.target, false)
        .await
        .map_err(|e| e.to_string())?;
    let refresh = started.elapsed();
    let plan = adf_plan::plan(desired, &live, &PlanOptions::apply());
    let wall = started.elapsed();
    let after = client.stats();
    Ok((
        live,
        plan,
        Timed {
            wall,
            requests: after.total() - before.total(),
            writes: after.writes() - before.writes(),
            refresh,
        },
    ))
}

/// When a wave's first step started and its last step ended.
type WaveSpan = (Option<Instant>, Option<Instant>);

async fn apply_timed(
    client: &ArmClient,
    plan: &Plan,
    desired: &DesiredState,
    live: &LiveState,
    settings: &Settings,
) -> ApplyResult {
    let levels = bounds::dependency_levels(plan);
    let waves = plan.waves();
    let wave_of: HashMap<_, _> = waves
        .iter()
        .enumerate()
        .flat_map(|(i, wave)| wave.iter().map(move |c| (c.address.clone(), i)))
        .collect();
    let profile: Arc<Mutex<Vec<WaveSpan>>> = Arc::new(Mutex::new(vec![(None, None); waves.len()]));
    let recorder = profile.clone();
    let observer: Observer = Arc::new(move |event: &ApplyEvent| {
        let now = Instant::now();
        let (address, is_start) = match event {
            ApplyEvent::Started { address, .. } => (address, true),
            ApplyEvent::Finished(outcome) => (&outcome.address, false),
        };
        if let (Some(&wave), Ok(mut profile)) = (wave_of.get(address), recorder.lock()) {
            let slot = &mut profile[wave];
            if is_start {
                slot.0 = Some(slot.0.map_or(now, |t: Instant| t.min(now)));
            } else {
                slot.1 = Some(slot.1.map_or(now, |t: Instant| t.max(now)));
            }
        }
    });
    let steps = adf_plan::compile(plan, desired, live, &mut adf_engine::random_salt)
        .expect("the benchmark's plan belongs to its spec");
    let before = client.stats();
    let started = Instant::now();
    let options = ApplyOptions::with_parallelism(settings.parallelism);
    let report = adf_engine::apply(client, &steps, &options, observer).await;
    let wall = started.elapsed();
    let after = client.stats();
    let ms = |t: Option<Instant>| {
        t.map_or(0.0, |t| {
            t.saturating_duration_since(started).as_secs_f64() * 1000.0
        })
    };
    let waves = profile
        .lock()
        .map(|profile| {
            profile
                .iter()
                .zip(&waves)
                .map(|((start, end), wave)| WaveProfile {
                    changes: wave.len(),
                    start_ms: ms(*start),
                    end_ms: ms(*end),
                })
                .collect()
        })
        .unwrap_or_default();
    ApplyResult {
        timed: Timed {
            wall,
            requests: after.total() - before.total(),
            writes: after.writes() - before.writes(),
            refresh: Duration::ZERO,
        },
        changes: plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .count(),
        bound: bounds::apply_lower_bound(&levels, settings.parallelism, settings.latency),
        levels,
        failed_steps: report.problems().count(),
        waves,
    }
}

fn list_pages(desired: &DesiredState, page_size: usize) -> (usize, usize) {
    let mut total = 0;
    let mut largest = 0;
    for kind in Kind::CHILDREN {
        let pages = bounds::pages(desired.of_kind(kind).count(), page_size);
        total += pages;
        largest = largest.max(pages);
    }
    (total, largest)
}

async fn measure_size(
    emulator: &Emulator,
    settings: &Settings,
    n: usize,
    sequential_per_put: &mut Option<Duration>,
) -> Result<SizeResult, String> {
    let name = factory::factory_name(n, "main");
    let desired = load(&factory::spec_yaml(n, &name, 0))?;
    let changed = load(&factory::spec_yaml(n, &name, 1))?;
    let client = emulator.client()?;

    // Apply of all creates.
    let (live, plan, _) = plan_timed(&client, &desired).await?;
    let create = apply_timed(&client, &plan, &desired, &live, settings).await;

    // Plan of the populated factory (the median of five: one plan is a few hundred
    // milliseconds on a shared machine), then a no-op apply of it.
    let (live, plan, first) = plan_timed(&client, &desired).await?;
    let mut timings = vec![first];
    for _ in 1..PLAN_REPEATS {
        timings.push(plan_timed(&client, &desired).await?.2);
    }
    timings.sort_by_key(|timed| timed.wall);
    let plan_timing = timings.swap_remove(PLAN_REPEATS / 2);
    let (list_pages, largest_list_pages) = list_pages(&desired, settings.page_size);
    let noop = apply_timed(&client, &plan, &desired, &live, settings).await;

    // 10 % changes.
    let (live, plan, _) = plan_timed(&client, &changed).await?;
    let change = apply_timed(&client, &plan, &changed, &live, settings).await;
    let (_, after, _) = plan_timed(&client, &changed).await?;
    let converged = !after.has_changes();

    // The sequential baseline, on a second factory in the same emulator.
    let sequential = if n <= settings.sequential_up_to {
        let name = factory::factory_name(n, "seq");
        let desired = load(&factory::spec_yaml(n, &name, 0))?;
        let measured = sequential_puts(&client, &desired).await?;
        *sequential_per_put = Some(measured.wall / measured.requests.max(1) as u32);
        Some(measured)
    } else {
        sequential_per_put.map(|per_put| {
            let requests = (n + 2) as u64;
            Sequential {
                wall: per_put * requests as u32,
                requests,
                extrapolated: true,
            }
        })
    };

    Ok(SizeResult {
        n,
        plan: plan_timing,
        plan_bound: bounds::plan_lower_bound(largest_list_pages, settings.latency),
        list_pages,
        largest_list_pages,
        create,
        noop: noop.timed,
        change,
        converged,
        sequential,
    })
}

/// What the seed lab's script does: create or update every resource, one request after the
/// other, in dependency order, with no reads.
async fn sequential_puts(client: &ArmClient, desired: &DesiredState) -> Result<Sequential, String> {
    let plan = adf_plan::plan(desired, &LiveState::empty(), &PlanOptions::apply());
    let started = Instant::now();
    let mut requests = 0;
    for change in plan.changes.iter().filter(|c| c.action.writes()) {
        let Some(resource) = desired.get(&change.address) else {
            continue;
        };
        let body = adf_plan::merge::put_body(resource, None);
        client
            .put(&change.path, api_version(change.kind()), &body, None)
            .await
            .map_err(|e| format!("sequential PUT of {}: {e}", change.address))?;
        requests += 1;
    }
    Ok(Sequential {
        wall: started.elapsed(),
        requests,
        extrapolated: false,
    })
}

async fn measure_throttle(
    emulator: &Emulator,
    settings: &Settings,
    entities: usize,
) -> Result<ThrottleResult, String> {
    let name = factory::factory_name(entities, "throttle");
    let desired = load(&factory::spec_yaml(entities, &name, 0))?;
    let client = emulator.client()?;
    let (live, plan, _) = plan_timed(&client, &desired).await?;
    let before = client.stats();
    let applied = apply_timed(&client, &plan, &desired, &live, settings).await;
    let after = client.stats();
    let limits = adf_emulator::ThrottleLimits::default();
    let burst = limits.writes.burst;
    let rate = limits.writes.per_second;
    let throttled = after.throttled - before.throttled;
    let accepted = applied.timed.writes.saturating_sub(throttled) as f64;
    let wall = applied.timed.wall.as_secs_f64();
    let fraction = if wall > 0.0 {
        ((accepted - f64::from(burst)).max(0.0) / wall) / rate
    } else {
        0.0
    };
    Ok(ThrottleResult {
        entities,
        timed: applied.timed,
        failed_steps: applied.failed_steps,
        throttled,
        paced: after.paced - before.paced,
        burst,
        rate,
        fraction,
    })
}

fn measure_memory(emulator: &Emulator, n: usize) -> Result<MemoryResult, String> {
    let name = factory::factory_name(n, "main");
    let spec = tempfile::Builder::new()
        .suffix(".yaml")
        .tempfile()
        .map_err(|e| e.to_string())?;
    std::fs::write(spec.path(), factory::spec_yaml(n, &name, 1)).map_err(|e| e.to_string())?;
    memory_of_child(
        n.to_string(),
        crate::report::MEMORY_TARGET_MB,
        &[spec.path()],
        emulator,
    )
}

/// The real repository the memory target of a real factory is measured on.
const REALWORLD: &str = "cosmotech-Datafact";

fn workspace_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/realworld/cosmotech-Datafact` beside the checkout, if it is there.
fn realworld_folder() -> Option<std::path::PathBuf> {
    let folder = workspace_root().join("../shared/realworld").join(REALWORLD);
    folder.is_dir().then_some(folder)
}

/// The real repository (an ADF Studio folder, with its target overlay from
/// `tests/fixtures/realworld/`): applied to a fresh emulator, then planned in a fresh process.
fn measure_realworld_memory(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    folder: &Path,
) -> Result<MemoryResult, String> {
    let overlay = workspace_root().join(format!("tests/fixtures/realworld/{REALWORLD}.yaml"));
    let files = [folder, overlay.as_path()];
    let desired = load_sources(read_sources(&files)?)?;
    let emulator = Emulator::start(settings, false)?;
    runtime.block_on(populate(&emulator, &desired, settings))?;
    drop(desired);
    memory_of_child(
        REALWORLD.to_owned(),
        crate::report::REALWORLD_MEMORY_TARGET_MB,
        &files,
        &emulator,
    )
}

/// Runs the memory child on `files` against `emulator` and reads what it printed.
fn memory_of_child(
    label: String,
    target_mb: f64,
    files: &[&Path],
    emulator: &Emulator,
) -> Result<MemoryResult, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // `ADF_BENCH_CHILD_WRAP=heaptrack` (or a script around `perf record`) runs the child under
    // a profiler: where its bytes and time go (docs/performance.md).
    let mut command = match std::env::var("ADF_BENCH_CHILD_WRAP") {
        Ok(wrap) => {
            let mut c = std::process::Command::new(wrap);
            c.arg(&exe);
            c
        }
        Err(_) => std::process::Command::new(exe),
    };
    for file in files {
        command.arg("--memory-child").arg(file);
    }
    let output = command
        .args(["--endpoint", emulator.url.as_str()])
        .output()
        .map_err(|e| format!("cannot run the memory child: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "the memory child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    // The JSON line (a profiler around the child may print lines of its own).
    let line = stdout
        .lines()
        .find(|line| line.starts_with('{'))
        .unwrap_or(stdout.trim());
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("the memory child printed {stdout:?}: {e}"))?;
    let stages = value["stages"]
        .as_array()
        .map(|stages| {
            stages
                .iter()
                .filter_map(|stage| {
                    Some((
                        stage["stage"].as_str()?.to_owned(),
                        stage["hwm_kb"].as_u64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(MemoryResult {
        label,
        entities: value["resources"].as_u64().unwrap_or(0) as usize,
        target_mb,
        stages,
        peak_kb: value["peak_kb"].as_u64().unwrap_or(0),
        plan: Duration::from_secs_f64(value["plan_ms"].as_f64().unwrap_or(0.0) / 1000.0),
    })
}

/// Reads spec files: a `.yaml` file as a spec, a directory as an ADF Studio repository (the
/// JSON files of the folders adfctl reads, in `StudioFolder::folders` order, sorted by name,
/// as `adfctl -f DIR` reads one).
fn read_sources(files: &[&Path]) -> Result<Vec<adf_spec::SpecSource>, String> {
    let mut sources = Vec::new();
    for file in files {
        if !file.is_dir() {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            sources.push(adf_spec::SpecSource::new(file.display().to_string(), text));
            continue;
        }
        for folder_name in adf_spec::StudioFolder::folders() {
            let Some(folder) = adf_spec::StudioFolder::from_folder(folder_name) else {
                continue;
            };
            let Ok(entries) = std::fs::read_dir(file.join(folder_name)) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
                .collect();
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                sources.push(
                    adf_spec::SpecSource::new(path.display().to_string(), text).studio(folder),
                );
            }
        }
    }
    Ok(sources)
}

/// Loads sources through the real spec loader, with the generated factory's secret set.
fn load_sources(sources: Vec<adf_spec::SpecSource>) -> Result<DesiredState, String> {
    let mut options = adf_spec::LoadOptions::default();
    options
        .env
        .insert(SECRET_ENV.into(), "c2VjcmV0LWJlbmNoLWtleQ==".into());
    adf_spec::load(&sources, &options)
        .map(|loaded| loaded.desired)
        .map_err(|diagnostics| {
            let first = diagnostics
                .first()
                .map(|d| format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message))
                .unwrap_or_default();
            format!(
                "the spec does not load ({} diagnostics; first {first})",
                diagnostics.len()
            )
        })
}

/// The `--memory-child` process: read, load, refresh and plan `files`, then report VmHWM after
/// each stage (and VmRSS, what is still held), and the diff's wall time.
pub fn memory_child(files: &[std::path::PathBuf], endpoint: &str) -> Result<String, String> {
    let mut stages = Vec::new();
    let mut stage = |name: &str| -> Result<(), String> {
        let (hwm_kb, rss_kb) = (status_kb("VmHWM")?, status_kb("VmRSS")?);
        stages.push(json!({"stage": name, "hwm_kb": hwm_kb, "rss_kb": rss_kb}));
        Ok(())
    };
    stage("start")?;
    let runtime = client_runtime()?;
    let files: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    let sources = read_sources(&files)?;
    stage("read")?;
    let desired = load_sources(sources)?;
    stage("load")?;
    let url = url::Url::parse(endpoint).map_err(|e| e.to_string())?;
    let client = ArmClient::new(ArmClientOptions::new(url)).map_err(|e| e.to_string())?;
    let live = runtime
        .block_on(adf_engine::refresh(&client, &desired.target, false))
        .map_err(|e| e.to_string())?;
    stage("refresh")?;
    let started = Instant::now();
    let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
    let plan_ms = started.elapsed().as_secs_f64() * 1000.0;
    stage("plan")?;
    let requests = client.stats().total();
    let peak_kb = status_kb("VmHWM")?;
    Ok(json!({
        "stages": stages,
        "peak_kb": peak_kb,
        "plan_ms": plan_ms,
        "resources": desired.resources.len(),
        "changes": plan.changes.iter().filter(|c| c.action != Action::NoOp).count(),
        "requests": requests,
    })
    .to_string())
}

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`).
fn status_kb(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    json!({"cpu": cpu, "cores": cores, "loadavg": load})
}
