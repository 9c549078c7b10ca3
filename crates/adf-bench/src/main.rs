//! `adf-bench`: plan and apply against the in-process emulator (25 ms per request), set beside
//! their lower bounds and a sequential baseline, plus throttling and memory. Issue 6; see
//! `docs/performance.md`.
//!
//! ```sh
//! cargo run --release -p adf-bench            # N = 100, 1,000, 5,000 (several minutes)
//! cargo run --release -p adf-bench -- --quick # N = 100, a small throttling run
//! cargo run --release -p adf-bench -- --copy-only # the Copy against Azurite (issue 14)
//! ```

mod bounds;
mod copy;
mod emulator_load;
mod factory;
mod fleet;
mod report;
mod scenario;

use clap::Parser;
use std::path::PathBuf;

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "adf-bench",
    about = "Benchmarks plan and apply against the local emulator"
)]
struct Args {
    /// A small run: N = 100 only, throttling with 300 entities, memory at N = 100.
    #[arg(long)]
    quick: bool,

    /// Factory sizes to measure (default 100,1000,5000; with --quick, 100).
    #[arg(long, value_delimiter = ',')]
    sizes: Option<Vec<usize>>,

    /// Latency the emulator adds to every request, in milliseconds.
    #[arg(long, default_value_t = 25)]
    latency_ms: u64,

    /// Apply's parallelism. adfctl's default, 16 (8 would cap any apply at 8 times faster than
    /// one request after the other, below the ≥ 10× target).
    #[arg(long, default_value_t = 16)]
    parallelism: usize,

    /// Items per list page (ADF's).
    #[arg(long, default_value_t = 50)]
    page_size: usize,

    /// Measure the sequential baseline up to this many entities; above it, extrapolate from the
    /// largest measured one (and say so).
    #[arg(long, default_value_t = 1000)]
    sequential_up_to: usize,

    /// Entities of the throttling run (default 1,000; with --quick, 300).
    #[arg(long)]
    throttle_entities: Option<usize>,

    /// Keep the emulator's store on disk (synced on every write) instead of in /dev/shm.
    #[arg(long)]
    durable_store: bool,

    /// Skip the throttling run.
    #[arg(long)]
    no_throttle: bool,

    /// Only the emulator's own throughput and latency, with 1 and 16 concurrent clients.
    #[arg(long)]
    emulator_load: bool,

    /// Skip the emulator's throughput and latency run (part of the full run).
    #[arg(long, conflicts_with = "emulator_load")]
    no_emulator_load: bool,

    /// Where the raw results go, as JSON.
    #[arg(long, default_value = "target/adf-bench.json")]
    json: PathBuf,

    /// Only the memory measurements: the largest size (its factory applied first, unmeasured)
    /// and the real repository, when ../shared/realworld holds it.
    #[arg(long)]
    memory_only: bool,

    /// Internal: plan the spec in FILE (repeated: merged in order; a directory is an ADF
    /// Studio repository) against --endpoint in this fresh process and print its peak RSS,
    /// stage by stage, as JSON (the memory measurement runs itself this way).
    #[arg(long, value_name = "FILE", hide = true, requires = "endpoint")]
    memory_child: Vec<PathBuf>,

    /// Factories of the many-factories run (`adfctl apply --targets`, throttled); 0 skips it.
    #[arg(long, default_value_t = 50)]
    fleet_factories: usize,

    /// Entities of each factory of the many-factories run.
    #[arg(long, default_value_t = 200)]
    fleet_entities: usize,

    /// The emulator's write refill per second in the many-factories run (ARM's is 10).
    #[arg(long, default_value_t = 200.0)]
    fleet_write_rate: f64,

    /// Only the many-factories run.
    #[arg(long)]
    fleet_only: bool,

    /// Skip the Copy measurements against Azurite (part of the full run).
    #[arg(long)]
    no_copy: bool,

    /// Only the Copy measurements against Azurite.
    #[arg(long, conflicts_with = "no_copy")]
    copy_only: bool,

    /// The Copy's large blob, MiB (0 skips it).
    #[arg(long, default_value_t = 512)]
    copy_mib: usize,

    /// The Copy's many small files, copied by a ForEach (0 skips them).
    #[arg(long, default_value_t = 1000)]
    copy_files: usize,

    /// Size of each small file, KiB.
    #[arg(long, default_value_t = 16)]
    copy_file_kib: usize,

    /// Rounds of the Copy measurements (each against its reference; medians are reported).
    #[arg(long, default_value_t = 3)]
    copy_rounds: usize,

    /// Internal: the emulator for --memory-child.
    #[arg(long, hide = true)]
    endpoint: Option<String>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let (false, Some(endpoint)) = (args.memory_child.is_empty(), &args.endpoint) {
        return match scenario::memory_child(&args.memory_child, endpoint) {
            Ok(line) => {
                println!("{line}");
                std::process::ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let fleet_settings = fleet::FleetSettings {
        factories: args.fleet_factories,
        entities: args.fleet_entities,
        latency: std::time::Duration::from_millis(args.latency_ms),
        page_size: args.page_size.max(1),
        write_rate: args.fleet_write_rate,
    };
    if args.fleet_only {
        let mut json = serde_json::json!({"format_version": 1});
        let met = fleet_report(&fleet_settings, &mut json);
        write_json(&args.json, &json);
        return exit_code(met);
    }
    let copy_settings = copy::CopySettings {
        mib: args.copy_mib,
        files: args.copy_files,
        file_kib: args.copy_file_kib.max(1),
        batch: 20,
        rounds: args.copy_rounds.max(1),
        durable_store: args.durable_store,
    };
    if args.copy_only {
        let mut json = serde_json::json!({"format_version": 1});
        let met = copy_report(&copy_settings, &mut json);
        write_json(&args.json, &json);
        return exit_code(met);
    }
    let load_settings = emulator_load::LoadSettings {
        durable_store: args.durable_store,
        ..emulator_load::LoadSettings::default()
    };
    if args.emulator_load {
        return match emulator_load::run(&load_settings) {
            Ok(load) => {
                print!("{}", report::rows_table(&load.rows));
                let json = serde_json::json!({"format_version": 1, "emulator_load": load.json});
                write_json(&args.json, &json);
                exit_code(load.rows.iter().all(|row| row.met != Some(false)))
            }
            Err(error) => {
                eprintln!("error: {error}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let settings = scenario::Settings {
        sizes: args.sizes.clone().unwrap_or_else(|| {
            if args.quick {
                vec![100]
            } else {
                vec![100, 1000, 5000]
            }
        }),
        latency: std::time::Duration::from_millis(args.latency_ms),
        parallelism: args.parallelism.max(1),
        page_size: args.page_size.max(1),
        sequential_up_to: args.sequential_up_to,
        durable_store: args.durable_store,
        memory_only: args.memory_only,
        throttle_entities: if args.no_throttle {
            None
        } else {
            Some(
                args.throttle_entities
                    .unwrap_or(if args.quick { 300 } else { 1000 }),
            )
        },
    };
    match scenario::run_all(&settings) {
        Ok(results) => {
            let (table, mut met) = report::table(&results);
            print!("{table}");
            let mut json = report::json(&results);
            if !args.no_emulator_load && !args.memory_only {
                match emulator_load::run(&load_settings) {
                    Ok(load) => {
                        print!("\nemulator load:\n{}", report::rows_table(&load.rows));
                        met &= load.rows.iter().all(|row| row.met != Some(false));
                        json["emulator_load"] = load.json;
                    }
                    Err(error) => {
                        eprintln!("error: emulator load: {error}");
                        met = false;
                    }
                }
            }
            if !args.no_copy && !args.memory_only {
                print!("\ncopy against Azurite:\n");
                met &= copy_report(&copy_settings, &mut json);
            }
            if fleet_settings.factories > 0 && !args.memory_only {
                print!("\nmany factories in one run:\n");
                met &= fleet_report(&fleet_settings, &mut json);
            }
            write_json(&args.json, &json);
            exit_code(met)
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the Copy measurements, prints their rows and adds their figures to `json`; whether
/// every target was met (skipped measurements miss none).
fn copy_report(settings: &copy::CopySettings, json: &mut serde_json::Value) -> bool {
    match copy::run(settings) {
        Ok(results) => {
            let rows = results.rows();
            if let Some(skipped) = &results.skipped {
                println!("SKIPPED {skipped}");
            } else {
                print!("{}", report::rows_table(&rows));
                println!(
                    "load average before {} / after {}",
                    results.loadavg.0, results.loadavg.1
                );
            }
            json["copy"] = results.json();
            rows.iter().all(|row| row.met != Some(false))
        }
        Err(error) => {
            eprintln!("error: copy: {error}");
            false
        }
    }
}

/// Runs the many-factories measurement, prints its rows and adds its figures to `json`;
/// whether every target was met.
fn fleet_report(settings: &fleet::FleetSettings, json: &mut serde_json::Value) -> bool {
    match fleet::measure(settings) {
        Ok(result) => {
            let rows = result.rows();
            print!("{}", report::rows_table(&rows));
            json["fleet"] = result.json();
            rows.iter().all(|row| row.met != Some(false))
        }
        Err(error) => {
            eprintln!("error: many factories: {error}");
            false
        }
    }
}

fn write_json(path: &std::path::Path, json: &serde_json::Value) {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(parent);
    }
    match std::fs::write(path, format!("{json:#}\n")) {
        Ok(()) => eprintln!("raw results: {}", path.display()),
        Err(error) => eprintln!("cannot write {}: {error}", path.display()),
    }
}

/// Failure when a target was missed, so that a script running the bench notices.
fn exit_code(met: bool) -> std::process::ExitCode {
    if met {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
