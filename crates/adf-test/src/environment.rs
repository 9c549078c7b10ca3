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
    /// Starts the emulator (with these Key Vault secrets), and Azurite when given its program
    /// ([`azurite_program`]).
    pub async fn start(
        azurite_program: Option<&Path>,
        key_vault_secrets: adf_emulator::KeyVaultSecrets,
    ) -> Result<Environment, String> {
        let dir =
            tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let azurite = match azurite_program {
            Some(program) => Some(Azurite::start(program, &dir.path().join("azurite"))?),
            None => None,
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
    fn start(program: &Path, location: &Path) -> Result<Azurite, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .map_err(|error| format!("cannot find a free port: {error}"))?;
        let child = Command::new(program)
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

/// The Azurite version installed when none is found (the one the quickstart pins).
pub const AZURITE_VERSION: &str = "3.37.0";

/// Where to look for programs: the caller's environment (`var`) and working folder. The
/// library reads neither itself.
pub struct Lookup<'a> {
    /// An environment variable's value.
    pub var: &'a dyn Fn(&str) -> Option<std::ffi::OsString>,
    /// The folder to search `node_modules` from (and up).
    pub cwd: PathBuf,
}

impl Lookup<'_> {
    fn var(&self, name: &str) -> Option<std::ffi::OsString> {
        (self.var)(name).filter(|v| !v.is_empty())
    }

    /// `name` in a folder of `PATH`.
    pub fn on_path(&self, name: &str) -> Option<PathBuf> {
        self.var("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
    }
}

/// Azurite's blob service program: found ([`find_azurite`]), else installed with npm into
/// adfctl's cache (`$ADFCTL_CACHE`, else `$XDG_CACHE_HOME/adfctl`, else `~/.cache/adfctl`), as
/// the quickstart installs it; `note` is told before a download starts.
pub fn azurite_program(lookup: &Lookup<'_>, note: impl Fn(&str)) -> Result<PathBuf, String> {
    if let Some(program) = find_azurite(lookup) {
        return Ok(program);
    }
    let not_found = "this test needs blob storage, and Azurite (`azurite-blob`) is not installed";
    let npm = lookup.on_path(if cfg!(windows) { "npm.cmd" } else { "npm" }).ok_or_else(|| {
        format!("{not_found}, nor npm to install it: install Node.js and npm, or `npm install azurite`, or set ADFCTL_AZURITE to azurite-blob")
    })?;
    let dir = cache_dir(lookup)
        .ok_or_else(|| {
            format!("{not_found}, and there is no cache folder to install it in: set ADFCTL_CACHE")
        })?
        .join(format!("azurite-{AZURITE_VERSION}"));
    let program = dir.join("node_modules").join(".bin").join(bin_name());
    if program.is_file() {
        return Ok(program);
    }
    note(&format!(
        "Installing Azurite {AZURITE_VERSION} (npm) into {}",
        dir.display()
    ));
    install_azurite(&npm, &dir)?;
    if program.is_file() {
        Ok(program)
    } else {
        Err(format!(
            "npm installed Azurite, but {} is not there",
            program.display()
        ))
    }
}

/// `npm install azurite@VERSION` into `dir`.
fn install_azurite(npm: &Path, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|error| format!("cannot make {}: {error}", dir.display()))?;
    let output = Command::new(npm)
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(dir)
        .arg(format!("azurite@{AZURITE_VERSION}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run {}: {error}", npm.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "npm could not install Azurite: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn cache_dir(lookup: &Lookup<'_>) -> Option<PathBuf> {
    let var = |name: &str| lookup.var(name).map(PathBuf::from);
    var("ADFCTL_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("adfctl")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("adfctl")))
        .or_else(|| var("LOCALAPPDATA").map(|d| d.join("adfctl")))
}

fn bin_name() -> &'static str {
    if cfg!(windows) {
        "azurite-blob.cmd"
    } else {
        "azurite-blob"
    }
}

/// `ADFCTL_AZURITE`, else `node_modules/.bin/azurite-blob` here or in a folder above, else
/// `azurite-blob` on `PATH`.
fn find_azurite(lookup: &Lookup<'_>) -> Option<PathBuf> {
    if let Some(path) = lookup.var("ADFCTL_AZURITE") {
        return Some(PathBuf::from(path));
    }
    let mut dir = Some(lookup.cwd.clone());
    while let Some(here) = dir {
        let candidate = here.join("node_modules").join(".bin").join(bin_name());
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = here.parent().map(Path::to_path_buf);
    }
    lookup.on_path(bin_name())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The install runs `npm install ... --prefix DIR azurite@VERSION` (a stand-in npm records
    /// its arguments), and npm's own complaint is what a failure says.
    #[test]
    fn azurite_is_installed_with_npm_into_the_cache() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let npm = dir.path().join("npm");
        let log = dir.path().join("args");
        std::fs::write(
            &npm,
            format!(
                "#!/bin/sh\necho \"$@\" > {}\nmkdir -p \"$6/node_modules/.bin\"\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
        let target = dir.path().join("cache/azurite");
        install_azurite(&npm, &target).unwrap();
        let args = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            args.trim(),
            format!(
                "install --no-audit --no-fund --loglevel=error --prefix {} azurite@{AZURITE_VERSION}",
                target.display()
            )
        );
        assert!(target.join("node_modules/.bin").is_dir());

        std::fs::write(&npm, "#!/bin/sh\necho 'E404 offline' >&2\nexit 1\n").unwrap();
        let error = install_azurite(&npm, &target).unwrap_err();
        assert_eq!(error, "npm could not install Azurite: E404 offline");
    }
}
