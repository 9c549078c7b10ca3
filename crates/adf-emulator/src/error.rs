//! Errors: [`EmulatorError`] for starting and running the emulator (ARM error replies are
//! [`crate::wire::ArmError`]).

use crate::wire::ArmError;
use std::path::PathBuf;

/// Why the emulator could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Another emulator holds the data directory.
    #[error(
        "the data directory {} is in use by another emulator{}; stop it or pass another --data directory",
        dir.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    DataDirInUse {
        /// The directory.
        dir: PathBuf,
        /// The pid recorded by the emulator that holds it, if readable.
        pid: Option<u32>,
    },
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The SQLite store failed.
    #[error("emulator store {context}: {source}")]
    Store {
        /// What was being done.
        context: String,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A stored document could not be read back.
    #[error("emulator store holds an unreadable document: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The emulator's server task ended abnormally.
    #[error("emulator server failed: {0}")]
    Server(String),
}

impl EmulatorError {
    pub(crate) fn store(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Self {
        let context = context.into();
        move |source| EmulatorError::Store { context, source }
    }
}

impl From<EmulatorError> for ArmError {
    fn from(error: EmulatorError) -> Self {
        ArmError::internal(&error)
    }
}
