//! `adf-bench`: plan and apply against the in-process emulator (25 ms per request), set beside
//! their lower bounds and a sequential baseline, plus throttling and memory. Issue 6; see
//! `docs/performance.md`.
//!
//! ```sh
//! cargo run --release -p adf-bench            # N = 100, 1,000, 5,000 (several minutes)
//! cargo run --release -p adf-bench -- --quick # N = 100, a small throttling run
//! ```

mod bounds;
mod factory;
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

    /// Where the raw results go, as JSON.
    #[arg(long, default_value = "target/adf-bench.json")]
    json: PathBuf,

    /// Internal: plan the spec in FILE against --endpoint in this fresh process and print its
    /// peak RSS as JSON (the memory measurement runs itself this way).
    #[arg(long, value_name = "FILE", hide = true, requires = "endpoint")]
    memory_child: Option<PathBuf>,

    /// Internal: the emulator for --memory-child.
    #[arg(long, hide = true)]
    endpoint: Option<String>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let (Some(spec), Some(endpoint)) = (&args.memory_child, &args.endpoint) {
        return match scenario::memory_child(spec, endpoint) {
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
            print!("{}", report::table(&results));
            let json = report::json(&results);
            if let Some(parent) = args.json.parent()
                && !parent.as_os_str().is_empty()
            {
                let _ = std::fs::create_dir_all(parent);
            }
            match std::fs::write(&args.json, format!("{json:#}\n")) {
                Ok(()) => eprintln!("raw results: {}", args.json.display()),
                Err(error) => eprintln!("cannot write {}: {error}", args.json.display()),
            }
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
