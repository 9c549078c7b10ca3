//! A PostgreSQL server of its own for tests: `initdb` into a temporary directory, started with
//! `pg_ctl` on a free port of 127.0.0.1 (its Unix socket in that directory too), with a
//! database and a password-authenticated user; stopped and removed on drop. `adfctl test`
//! starts one when a test file has table fixtures or expectations; adfctl's own test suite
//! uses it through `adf_testkit::postgres`.
//!
//! The binaries are `ADFCTL_POSTGRES_BIN`'s, else PostgreSQL 15's
//! (`/usr/lib/postgresql/15/bin`, as on this project's machines and CI), else any
//! `/usr/lib/postgresql/*/bin`, else `initdb` on the `PATH`.
//!
//! PostgreSQL refuses to run as root, and CI jobs often are root. Then (on Unix) the server
//! runs as the `postgres` user the distribution's packages create (else as `nobody`): the
//! temporary directory is made under `/tmp` and given to that user, and `initdb` and `pg_ctl`
//! start with that user's uid and gid (no `su`, `sudo` or password). The caller stays root and
//! talks to the server over TCP or the socket.
//!
//! Local (socket) connections are trusted, for the administrator (`postgres`); TCP
//! connections need a password (SCRAM-SHA-256), as against a real server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running server; stopped (immediately) and its directory removed on drop.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
    _dir: tempfile::TempDir,
}

impl Postgres {
    /// The user (owner of [`Postgres::DATABASE`]).
    pub const USER: &'static str = "adf";
    /// The user's password.
    pub const PASSWORD: &'static str = "adf-test-password";
    /// The database.
    pub const DATABASE: &'static str = "adf";

    /// The PostgreSQL bin directory (see the module's documentation), given the caller's
    /// environment; `None` when PostgreSQL is not installed.
    pub fn find(var: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
        postgres_bin(var)
    }

    /// What to say when [`Postgres::find`] finds nothing.
    pub const NOT_INSTALLED: &'static str = "PostgreSQL is not installed (no /usr/lib/postgresql/15/bin/initdb, no initdb on the PATH); install it, or set ADFCTL_POSTGRES_BIN to its bin directory";

    /// Starts a server from the binaries in `bin` and waits until it accepts connections.
    pub fn start(bin: &Path) -> Result<Postgres, String> {
        let bin = bin.to_path_buf();
        let run_as = if current_uid() == Some(0) {
            Some(unprivileged_user().ok_or(
                "running as root, and there is no `postgres` or `nobody` user to run PostgreSQL as",
            )?)
        } else {
            None
        };
        let builder = {
            let mut builder = tempfile::Builder::new();
            builder.prefix("adfctl-pg-");
            builder
        };
        let dir = match run_as {
            Some(_) => builder.tempdir_in("/tmp"),
            None => builder.tempdir(),
        }
        .map_err(|error| format!("cannot make a temporary directory: {error}"))?;
        give_to(dir.path(), run_as)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("cannot find a free port: {error}"))?
            .port();
        let server = Postgres {
            bin,
            data: dir.path().join("data"),
            socket_dir: dir.path().to_path_buf(),
            port,
            run_as,
            _dir: dir,
        };
        let log = server.socket_dir.join("server.log");
        server
            .run(
                Command::new(server.bin.join("initdb"))
                    .arg("-D")
                    .arg(&server.data)
                    .args([
                        "-U",
                        "postgres",
                        "--auth-local=trust",
                        "--auth-host=scram-sha-256",
                    ])
                    .args(["--encoding=UTF8", "--locale=C", "--no-sync"]),
            )
            .map_err(|output| format!("initdb failed: {output}"))?;
        let options = format!(
            "-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            server.socket_dir.display()
        );
        if let Err(output) = server.run(
            Command::new(server.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&server.data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"]),
        ) {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("pg_ctl start failed: {output}\nserver log:\n{log}"));
        }
        // Two calls: `psql -c` runs its text as one transaction, which CREATE DATABASE refuses.
        server.psql_as_admin(
            "postgres",
            &format!(
                "CREATE ROLE {} LOGIN PASSWORD '{}'",
                Self::USER,
                Self::PASSWORD
            ),
        )?;
        server.psql_as_admin(
            "postgres",
            &format!("CREATE DATABASE {} OWNER {}", Self::DATABASE, Self::USER),
        )?;
        Ok(server)
    }

    /// The TCP port (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// An `AzurePostgreSql` version 1.0 connection string for the user and database.
    pub fn connection_string(&self) -> String {
        format!(
            "host={};port={};database={};uid={};password={}",
            self.host(),
            self.port,
            Self::DATABASE,
            Self::USER,
            Self::PASSWORD
        )
    }

    /// libpq's variables for the server (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
    /// `PGDATABASE`): `adfctl test` sets them for the spec (`${env:PGHOST}`).
    pub fn environment(&self) -> Vec<(String, String)> {
        [
            ("PGHOST", self.host().to_owned()),
            ("PGPORT", self.port.to_string()),
            ("PGUSER", Self::USER.to_owned()),
            ("PGPASSWORD", Self::PASSWORD.to_owned()),
            ("PGDATABASE", Self::DATABASE.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Runs SQL in the database as the administrator (over the socket, `psql -At`: one line
    /// per row, columns separated by `|`).
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        self.psql_as_admin(Self::DATABASE, sql)
    }

    fn psql_as_admin(&self, database: &str, sql: &str) -> Result<String, String> {
        let output = Command::new(self.bin.join("psql"))
            .arg("-h")
            .arg(&self.socket_dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
            ])
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run psql: {error}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout)
                .trim_end()
                .to_owned())
        } else {
            Err(format!(
                "psql failed on {sql}: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Runs a server binary (as the unprivileged user when this process is root).
    fn run(&self, command: &mut Command) -> Result<(), String> {
        command
            .current_dir(&self.socket_dir)
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        as_user(command, self.run_as);
        let output = command.output().map_err(|error| error.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.run(
            Command::new(self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "immediate", "-w", "stop"]),
        );
    }
}

#[cfg(unix)]
fn as_user(command: &mut Command, run_as: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = run_as {
        command.uid(uid).gid(gid);
    }
}

#[cfg(not(unix))]
fn as_user(_command: &mut Command, _run_as: Option<(u32, u32)>) {}

#[cfg(unix)]
fn give_to(dir: &Path, run_as: Option<(u32, u32)>) -> Result<(), String> {
    match run_as {
        Some((uid, gid)) => std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|error| {
            format!(
                "cannot give {} to the PostgreSQL user: {error}",
                dir.display()
            )
        }),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
fn give_to(_dir: &Path, _run_as: Option<(u32, u32)>) -> Result<(), String> {
    Ok(())
}

/// The PostgreSQL bin directory (see the module's documentation).
fn postgres_bin(var: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let has_initdb = |dir: &PathBuf| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let mut candidates = vec![PathBuf::from("/usr/lib/postgresql/15/bin")];
    if let Some(dir) = var("ADFCTL_POSTGRES_BIN") {
        candidates.insert(0, PathBuf::from(dir));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    if let Some(path) = var("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates.into_iter().find(has_initdb)
}

/// This process's user id (`id -u`); `None` where there is no `id`.
fn current_uid() -> Option<u32> {
    let output = Command::new("id").arg("-u").output().ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// (uid, gid) of `postgres`, else of `nobody`.
fn unprivileged_user() -> Option<(u32, u32)> {
    let id = |flag: &str, user: &str| -> Option<u32> {
        let output = Command::new("id").args([flag, user]).output().ok()?;
        if !output.status.success() {
            return None;
        }
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    };
    ["postgres", "nobody"]
        .into_iter()
        .find_map(|user| Some((id("-u", user)?, id("-g", user)?)))
}
