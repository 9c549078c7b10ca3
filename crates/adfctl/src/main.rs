//! `adfctl`: the command-line entry. Argument structs live in `commands::*`; each command
//! resolves its arguments into settings and calls into the library crates. No business logic
//! lives here.

mod commands;
mod error;
mod exit;

use clap::{CommandFactory, Parser, Subcommand};

/// Manage Azure Data Factory declaratively.
///
/// Describe a resource group, a data factory and its linked services, datasets, pipelines and
/// triggers in YAML; adfctl shows what would change and converges Azure to match.
#[derive(Debug, Parser)]
#[command(
    name = "adfctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// More log output on stderr (-v: debug, -vv: trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check spec files for mistakes without contacting Azure.
    Validate(commands::validate::ValidateArgs),
    /// Show what apply would change: a property-level diff against live state.
    Plan(commands::plan::PlanArgs),
    /// Converge live state to the spec (or apply a saved plan exactly).
    Apply(commands::apply::ApplyArgs),
    /// Delete what the spec manages: triggers stopped first, then in reverse dependency order.
    Destroy(commands::destroy::DestroyArgs),
    /// Start a pipeline run and follow it to the end.
    Run(commands::run::RunArgs),
    /// List recent pipeline runs.
    Runs(commands::run::RunsArgs),
    /// Run the local ARM-compatible Data Factory emulator.
    Emulator(commands::emulator::EmulatorArgs),
    /// Serve the monitor page (pipelines, runs, activity runs) of `--local`'s state until Ctrl-C.
    Monitor(commands::monitor::MonitorArgs),
    /// Write a spec from a live factory (secrets become secretFromEnv placeholders).
    Export(commands::export::ExportArgs),
    /// Estimate the monthly inactive-pipeline charge of a spec (and of the live factory).
    Cost(commands::cost::CostArgs),
    /// Run pipeline tests (`*.test.yaml`) on a local emulator, with fixtures and mocks.
    Test(commands::test::TestArgs),
    /// Ask the factory to test each linked service's connection (ADF Studio's "Test connection").
    TestConnection(commands::test_connection::TestConnectionArgs),
    /// Evaluate one ADF expression with given parameters, variables and activity outputs.
    Eval(commands::eval::EvalArgs),
    /// Print the JSON Schema of a spec file, for editors.
    Schema(commands::schema::SchemaArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(commands::completions::CompletionsArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let outcome = match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Destroy(args) => commands::destroy::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Runs(args) => commands::run::list(args),
        Command::Emulator(args) => commands::emulator::run(args),
        Command::Monitor(args) => commands::monitor::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Cost(args) => commands::cost::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::TestConnection(args) => commands::test_connection::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Schema(args) => commands::schema::run(args),
        Command::Completions(args) => commands::completions::run(args, Cli::command()),
    };
    match outcome {
        Ok(status) => status.into(),
        Err(error) => {
            error.print();
            error.status().into()
        }
    }
}

/// Logs go to stderr so that stdout carries only data.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    // tokio-postgres logs every statement at debug level, and the emulator inlines Script
    // parameters (which may come from SecureString pipeline parameters) into statements: its
    // logs stay at info unless RUST_LOG asks otherwise.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{default},tokio_postgres=info"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(
            std::env::var_os("NO_COLOR").is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
        .init();
}
