//! Test support shared by the workspace's test suites (a dev-dependency only).
//!
//! Tests that read the reference data beside the checkout (`../shared`: ARM examples, recorded
//! traffic, public ADF Studio repositories) run whenever it exists and skip, visibly, when it
//! does not, so that a fresh clone still passes. Cargo hides what a passing test prints, so a
//! skip is written straight to the process's standard error (which libtest does not capture)
//! and, when `ADFCTL_SKIP_LOG` names a file, appended to it: `scripts/test` prints that file's
//! lines as a summary after the run.

use std::io::Write;
use std::path::PathBuf;

/// The workspace root (the directory of the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `../shared/<relative>` beside the checkout, or `None` after reporting that `test` skipped.
pub fn shared(test: &str, relative: &str) -> Option<PathBuf> {
    let path = workspace_root().join("../shared").join(relative);
    if path.exists() {
        Some(path)
    } else {
        skip(test, &format!("../shared/{relative} is absent"));
        None
    }
}

/// Reports that `test` skipped (all or part of its work) and why, where the test command's
/// output shows it.
pub fn skip(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}\n");
    // `std::io::stderr()` written directly bypasses libtest's capture of `eprint!`.
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(log) = std::env::var_os("ADFCTL_SKIP_LOG") {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log);
        if let Ok(mut file) = file {
            let _ = file.write_all(line.as_bytes());
        }
    }
}
