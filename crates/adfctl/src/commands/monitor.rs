//! `adfctl monitor --local`: serves the monitor page of `--local`'s state (`.adfctl/local`) on a
//! fixed port until Ctrl-C or SIGTERM. The page itself is the emulator's
//! (`adf_emulator::monitor`); against a running `adfctl emulator`, open its address instead.

use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The default address of `adfctl monitor --local`, which `adfctl run --local --open` links to.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4100";

/// Arguments of `adfctl monitor`.
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// Serve the state of the in-process emulator that `--local` commands use.
    #[arg(long)]
    pub local: bool,

    /// Where `--local` keeps its state.
    #[arg(long, value_name = "DIR", default_value = ".adfctl/local")]
    pub local_dir: PathBuf,

    /// Address to serve the page (and the emulator's ARM API) on; port 0 picks a free port.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Key Vault secrets for runs started meanwhile through `--endpoint` (as `--local` takes).
    #[arg(long, value_name = "FILE")]
    pub key_vault_secrets: Option<PathBuf>,
}

/// Runs `adfctl monitor`.
pub fn run(args: MonitorArgs) -> Outcome {
    if !args.local {
        return Err(CliError::with_hint(
            "adfctl monitor serves the page of `--local`'s state; say --local",
            "a running `adfctl emulator` serves the same page at its own address (printed when it starts)",
        ));
    }
    let mut config = adf_emulator::EmulatorConfig::new(&args.local_dir);
    config.key_vault_secrets = super::target::key_vault_secrets(args.key_vault_secrets.as_deref())
        .map_err(CliError::new)?;
    super::session::runtime()?.block_on(async move {
        let running = adf_emulator::start(config, args.listen)
            .await
            .map_err(|error| {
                CliError::with_hint(
                    format!(
                        "cannot serve the local state in {}: {error}",
                        args.local_dir.display()
                    ),
                    "pass --listen 127.0.0.1:0 for a free port if this one is taken",
                )
            })?;
        let url = format!("{}/", running.base_url());
        // The address is data (stdout); what to do with it is for people (stderr).
        println!("{url}");
        eprintln!(
            "adfctl monitor: serving {} at {url} until Ctrl-C; meanwhile it holds that directory, so point other commands at it with --endpoint {}",
            args.local_dir.display(),
            running.base_url()
        );
        super::emulator::wait_for_stop_signal().await;
        eprintln!("adfctl monitor: shutting down");
        running
            .shutdown()
            .await
            .map_err(|error| CliError::new(error.to_string()))?;
        Ok(ExitStatus::Success)
    })
}
