//! `adfctl validate`

use crate::exit::ExitStatus;
use std::path::PathBuf;

/// Arguments of `adfctl validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Spec files, merged in order (a base spec, then overlays).
    #[arg(short = 'f', long = "file", required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs `adfctl validate`.
pub fn run(args: ValidateArgs) -> ExitStatus {
    eprintln!(
        "error: validate is not built yet ({} files given)",
        args.files.len()
    );
    ExitStatus::Failure
}
