//! Where tests run: an emulator in this process (its own temporary store) and, when a test
//! needs blob storage, Azurite (Microsoft's storage emulator, from npm), found as the
//! quickstart finds it and stopped with the environment.

use adf_arm::{ArmClient, ArmClientOptions};
use adf_emulator::blob::{BlobAccount, BlobClient};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An emulator (and Azurite) for a test run; everything stops when it drops.
pub struct Environment {
    /// The ARM client for the emulator.
    pub client: ArmClient,
    /// The emulator's base URL.
    pub url: String,
    /// The local blob storage, when started.
    pub blobs: Option<BlobClient>,
    /// A plain HTTP client for the emulator's test endpoints.
    pub http: reqwest::Client,
    emulator: Option<adf_emulator::RunningEmulator>,
    azurite: Option<Azurite>,
    _dir: tempfile::TempDir,
}

impl Environment {
    /// Starts the emulator (with these Key Vault secrets), and Azurite when `with_blobs`.
    pub async fn start(
        with_blobs: bool,
        key_vault_secrets: adf_emulator::KeyVaultSecrets,
    ) -> Result<Environment, String> {
        let dir =
            tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let azurite = if with_blobs {
            Some(Azurite::start(&dir.path().join("azurite"))?)
        } else {
            None
        };
        let mut config = adf_emulator::EmulatorConfig::new(dir.path().join("emulator"));
        // Tests deploy and run at full speed: no ARM throttling.
        config.throttle = false;
        config.executor_poll = Duration::from_millis(50);
        config.key_vault_secrets = key_vault_secrets;
        if let Some(azurite) = &azurite {
            config.development_blob_endpoint = azurite.endpoint.clone();
        }
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let emulator = adf_emulator::start(config, listen)
            .await
            .map_err(|error| format!("cannot start the emulator: {error}"))?;
        let url = emulator.base_url();
        let endpoint =
            url::Url::parse(&url).map_err(|error| format!("the emulator's address: {error}"))?;
        let client =
            ArmClient::new(ArmClientOptions::new(endpoint)).map_err(|error| error.to_string())?;
        let blobs = match &azurite {
            Some(azurite) => {
                let account = BlobAccount::from_connection_string(
                    "UseDevelopmentStorage=true",
                    &azurite.endpoint,
                )
                .map_err(|error| error.to_string())?;
                Some(BlobClient::connect(account).map_err(|error| error.to_string())?)
            }
            None => None,
        };
        Ok(Environment {
            client,
            url,
            blobs,
            http: reqwest::Client::new(),
            emulator: Some(emulator),
            azurite,
            _dir: dir,
        })
    }

    /// Stops the emulator (its store closes) and Azurite.
    pub async fn stop(mut self) {
        if let Some(emulator) = self.emulator.take() {
            let _ = emulator.shutdown().await;
        }
        self.azurite.take();
    }
}

/// Azurite's blob service on a free port, killed on drop.
struct Azurite {
    child: Child,
    endpoint: String,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Azurite {
    fn start(location: &Path) -> Result<Azurite, String> {
        let program = find_azurite().ok_or_else(|| {
            "this test needs blob storage: Azurite (`azurite-blob`) is not installed; run `npm install azurite` in the project (or put azurite-blob on PATH, or set ADFCTL_AZURITE to it)".to_owned()
        })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .map_err(|error| format!("cannot find a free port: {error}"))?;
        let child = Command::new(&program)
            .args(["--silent", "--location"])
            .arg(location)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args(["--skipApiVersionCheck", "--loose", "--disableTelemetry"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", program.display()))?;
        let azurite = Azurite {
            child,
            endpoint: format!("http://127.0.0.1:{port}/devstoreaccount1"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "Azurite ({}) did not start within 30 s",
                    program.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(azurite)
    }
}

/// `ADFCTL_AZURITE`, else `node_modules/.bin/azurite-blob` here or in a folder above, else
/// `azurite-blob` on `PATH`.
fn find_azurite() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ADFCTL_AZURITE") {
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
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}
