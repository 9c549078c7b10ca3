//! `adfctl emulator`: runs the local ARM-compatible Data Factory emulator until Ctrl-C or
//! SIGTERM. A thin wrapper: the arguments become an `EmulatorConfig`, `adf_emulator::start`
//! does the rest.

use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `adfctl emulator`.
#[derive(Debug, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,

    /// Directory of the emulator's SQLite store (created if missing; one emulator per directory).
    /// Default: $XDG_DATA_HOME/adfctl/emulator, else ~/.local/share/adfctl/emulator.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Items per page of list responses (ARM's nextLink paging; ADF uses 50).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: u64,

    /// Milliseconds added to every ARM request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,

    /// Fraction (0 to 1) of ARM requests that fail before taking effect
    /// (500, 503, 429 with Retry-After, or a dropped connection).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_rate: f64,

    /// Fraction (0 to 1) of ARM requests that take effect but whose response is lost
    /// (a 500 or a dropped connection), to test idempotency.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub lost_response_rate: f64,

    /// Enforce ARM's per-subscription token buckets (429 with Retry-After).
    #[arg(long)]
    pub throttle: bool,

    /// Seed of the fault generator, for reproducible runs.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Blob endpoint that `UseDevelopmentStorage=true` connection strings point at
    /// (Azurite, path-style, account included).
    #[arg(long, value_name = "URL", default_value = adf_emulator::DEVELOPMENT_BLOB_ENDPOINT)]
    pub blob_endpoint: String,

    /// Do not execute pipeline runs or fire schedule triggers (runs stay Queued).
    #[arg(long)]
    pub no_run_engine: bool,

    /// Key Vault secrets that linked services' AzureKeyVaultSecret references resolve to: a YAML
    /// or JSON file mapping vault names to {secret name: value} (or secret names to values, for
    /// any vault). ADFCTL_KV_<VAULT>_<SECRET> environment variables are read too, and win.
    #[arg(long, value_name = "FILE")]
    pub key_vault_secrets: Option<PathBuf>,

    /// How long an event trigger's Event Grid subscription stays Provisioning (after a start
    /// or subscribeToEvents) or Deprovisioning (after a stop or unsubscribeFromEvents); ADF
    /// refuses to update, start or delete the trigger meanwhile. `0` settles at once.
    #[arg(long, default_value = "1s", value_name = "DURATION", value_parser = super::run::parse_duration)]
    pub event_subscription_delay: Duration,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{rate} is not between 0 and 1"))
    }
}

/// The per-user default data directory.
fn default_data_dir() -> Option<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(xdg).join("adfctl").join("emulator"));
    }
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty())?;
    Some(
        PathBuf::from(home)
            .join(".local")
            .join("share")
            .join("adfctl")
            .join("emulator"),
    )
}

/// Runs `adfctl emulator`.
pub fn run(args: EmulatorArgs) -> Outcome {
    let Some(data_dir) = args.data.clone().or_else(default_data_dir) else {
        return Err(CliError::new(
            "no data directory: pass --data DIR (HOME is not set)",
        ));
    };
    let mut config = adf_emulator::EmulatorConfig::new(&data_dir);
    config.page_size = usize::try_from(args.page_size).unwrap_or(usize::MAX);
    config.latency = Duration::from_millis(args.latency_ms);
    config.fault_rate = args.fault_rate;
    config.lost_response_rate = args.lost_response_rate;
    config.throttle = args.throttle;
    config.seed = args.seed;
    config.development_blob_endpoint = args.blob_endpoint.clone();
    config.run_engine = !args.no_run_engine;
    config.event_subscription_delay = args.event_subscription_delay;
    config.key_vault_secrets = super::target::key_vault_secrets(args.key_vault_secrets.as_deref())
        .map_err(CliError::new)?;

    super::session::runtime()?.block_on(async move {
        let running = adf_emulator::start(config, args.listen)
            .await
            .map_err(|error| CliError::new(error.to_string()))?;
        // The first URL on this line is the address scripts and tests read; the page follows.
        eprintln!(
            "adfctl emulator listening on {} (data: {}; monitor page: {}/)",
            running.base_url(),
            data_dir.display(),
            running.base_url()
        );
        if !args.no_run_engine {
            eprintln!(
                "adfctl emulator: runs execute; UseDevelopmentStorage=true means {}",
                args.blob_endpoint
            );
        }
        wait_for_stop_signal().await;
        eprintln!("adfctl emulator: shutting down");
        running
            .shutdown()
            .await
            .map_err(|error| CliError::new(error.to_string()))?;
        Ok(ExitStatus::Success)
    })
}

/// Ctrl-C, or SIGTERM on Unix.
pub(crate) async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
