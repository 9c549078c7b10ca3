//! Errors: [`EmulatorError`] for starting and running the emulator, and ARM error replies.

use axum::http::StatusCode;
use serde_json::{Value, json};
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

/// An error reply in ARM's shape: `{"error": {"code", "message", …}}`.
#[derive(Debug, Clone)]
pub(crate) struct ArmError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// ADF-service errors carry `target` and `details` (often as explicit nulls, ARM-FACTS §3);
    /// ARM front-door errors carry only code and message.
    pub adf: Option<Option<String>>,
    /// Headers to add (`Retry-After` on 429).
    pub headers: Vec<(&'static str, String)>,
}

impl ArmError {
    /// An error raised by ARM itself (code and message only).
    pub fn arm(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_owned(),
            message: message.into(),
            adf: None,
            headers: Vec::new(),
        }
    }

    /// An error raised by the Data Factory service (`target` and `details` present).
    pub fn adf(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        target: Option<String>,
    ) -> Self {
        ArmError {
            status,
            code: code.to_owned(),
            message: message.into(),
            adf: Some(target),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the reply.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        match &self.adf {
            None => json!({"error": {"code": self.code, "message": self.message}}),
            Some(target) => json!({"error": {
                "code": self.code, "message": self.message, "target": target, "details": null
            }}),
        }
    }

    /// 500 for a failure inside the emulator (the store); the cause is logged, not sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!("emulator internal error: {cause}");
        ArmError::arm(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Encountered internal server error in the emulator.",
        )
    }
}

impl From<rusqlite::Error> for ArmError {
    fn from(error: rusqlite::Error) -> Self {
        ArmError::internal(&error)
    }
}

impl From<EmulatorError> for ArmError {
    fn from(error: EmulatorError) -> Self {
        ArmError::internal(&error)
    }
}

impl From<serde_json::Error> for ArmError {
    fn from(error: serde_json::Error) -> Self {
        ArmError::internal(&error)
    }
}
