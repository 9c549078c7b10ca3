//! The CLI's one error type: commands return it, and `main` prints it, once, on stderr.

use crate::exit::ExitStatus;

/// Why a command stopped: a message and a hint for the user, and the exit status.
#[derive(Debug)]
pub struct CliError {
    message: Option<String>,
    hint: Option<String>,
    status: ExitStatus,
}

/// What a command returns: how it ended, or why it stopped.
pub type Outcome = Result<ExitStatus, CliError>;

impl CliError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: Some(message.into()),
            hint: None,
            status: ExitStatus::Failure,
        }
    }

    /// An error with a message and what to do about it.
    pub fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> CliError {
        CliError {
            hint: Some(hint.into()),
            ..CliError::new(message)
        }
    }

    /// A failure already shown in full (diagnostics, an apply report): nothing more to print.
    pub fn shown(status: ExitStatus) -> CliError {
        CliError {
            message: None,
            hint: None,
            status,
        }
    }

    /// The message, unless the failure was already shown.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// What to do about it, if anything is known.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The exit status.
    pub fn status(&self) -> ExitStatus {
        self.status
    }

    /// Prints `error: MESSAGE` (and `  hint: HINT`) on stderr.
    pub fn print(&self) {
        if let Some(message) = &self.message {
            match &self.hint {
                Some(hint) => eprintln!("error: {message}\n  hint: {hint}"),
                None => eprintln!("error: {message}"),
            }
        }
    }
}
