//! Where commands send their ARM requests: Azure (a cloud or `--endpoint`), or the in-process
//! local emulator (`--local`).

use adf_arm::{ArmClient, ArmClientOptions, ChainSettings, Cloud, Credential};
use std::path::{Path, PathBuf};

/// Target arguments, flattened into every command that talks to ARM.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// ARM endpoint to talk to, e.g. a running `adfctl emulator` (http is allowed on loopback
    /// only). Default: the cloud's Resource Manager endpoint.
    #[arg(
        long,
        env = "ADFCTL_ENDPOINT",
        value_name = "URL",
        conflicts_with = "local"
    )]
    pub endpoint: Option<String>,

    /// Azure cloud: public, china or usgovernment. Picks the ARM endpoint, the token authority
    /// and the token scope.
    #[arg(
        long,
        env = "ADFCTL_CLOUD",
        default_value = "public",
        value_name = "CLOUD"
    )]
    pub cloud: String,

    /// Target an emulator running inside this process, whose state lives in `--local-dir`.
    /// Needs no Azure account; state persists between commands.
    #[arg(long)]
    pub local: bool,

    /// Where `--local` keeps its state.
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".adfctl/local",
        requires = "local"
    )]
    pub local_dir: PathBuf,

    /// Key Vault secrets for `--local`'s emulator: a YAML or JSON file mapping vault names to
    /// {secret name: value} (or secret names to values, for any vault). `ADFCTL_KV_<VAULT>_<SECRET>`
    /// environment variables are read too, and win.
    #[arg(long, value_name = "FILE", requires = "local")]
    pub key_vault_secrets: Option<PathBuf>,
}

/// An ARM client, and the local emulator it talks to when `--local` (kept alive as long as
/// the connection).
pub struct Connection {
    /// The client.
    pub client: ArmClient,
    /// The in-process emulator, for `--local`.
    pub emulator: Option<adf_emulator::RunningEmulator>,
}

impl Connection {
    /// Stops the in-process emulator, if any, so that its store closes cleanly.
    pub async fn close(self) {
        if let Some(emulator) = self.emulator
            && let Err(error) = emulator.shutdown().await
        {
            tracing::warn!("the local emulator did not stop cleanly: {error}");
        }
    }
}

impl TargetArgs {
    /// Resolves the arguments (and the credential environment variables) into a client.
    pub async fn connect(&self) -> Result<Connection, String> {
        if self.local {
            let mut config = adf_emulator::EmulatorConfig::new(&self.local_dir);
            config.key_vault_secrets = key_vault_secrets(self.key_vault_secrets.as_deref())?;
            let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let emulator = adf_emulator::start(config, listen).await.map_err(|error| {
                format!(
                    "cannot start the local emulator in {}: {error}",
                    self.local_dir.display()
                )
            })?;
            let endpoint = url::Url::parse(&emulator.base_url())
                .map_err(|error| format!("the local emulator's address is not a URL: {error}"))?;
            let client = ArmClient::new(ArmClientOptions::new(endpoint))
                .map_err(|error| error.to_string())?;
            return Ok(Connection {
                client,
                emulator: Some(emulator),
            });
        }
        let cloud: Cloud = self.cloud.parse().map_err(|error| format!("{error}"))?;
        let chain = ChainSettings {
            cloud,
            ..ChainSettings::from_env(std::env::vars())
        };
        let mut options = ArmClientOptions::for_cloud(cloud, chain.clone());
        if let Some(endpoint) = &self.endpoint {
            let endpoint = url::Url::parse(endpoint).map_err(|error| {
                format!("--endpoint `{endpoint}` is not a URL ({error}); hint: write it as http://127.0.0.1:4000")
            })?;
            options.credential = Credential::for_endpoint(&endpoint, chain);
            let lro = ArmClientOptions::new(endpoint.clone()).lro;
            options.endpoint = endpoint;
            options.lro = lro;
        }
        let client = ArmClient::new(options).map_err(|error| error.to_string())?;
        Ok(Connection {
            client,
            emulator: None,
        })
    }
}

/// The Key Vault secrets an emulator resolves `AzureKeyVaultSecret` references with: the
/// `ADFCTL_KV_<VAULT>_<SECRET>` environment variables, over the entries of `file` (YAML or JSON:
/// `{VAULT: {SECRET: VALUE}}` and/or `{SECRET: VALUE}`). Errors name the file and the key, never
/// a value.
pub fn key_vault_secrets(file: Option<&Path>) -> Result<adf_emulator::KeyVaultSecrets, String> {
    let secrets = match file {
        None => adf_emulator::KeyVaultSecrets::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                format!(
                    "cannot read the Key Vault secrets file {}: {error}",
                    path.display()
                )
            })?;
            // YAML is a superset of JSON: one parser reads both. A parse error's message may
            // quote the line it failed on, so only its position is shown.
            let document: serde_json::Value = serde_yaml::from_str(&text).map_err(|error| {
                let at = error
                    .location()
                    .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
                    .unwrap_or_default();
                format!(
                    "the Key Vault secrets file {} is not valid YAML or JSON{at}",
                    path.display()
                )
            })?;
            adf_emulator::KeyVaultSecrets::from_document(&document)
                .map_err(|error| format!("{}: {error}", path.display()))?
        }
    };
    Ok(secrets.with_environment(std::env::vars()))
}
