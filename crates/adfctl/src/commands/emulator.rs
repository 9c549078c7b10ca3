//! `adfctl emulator`

use crate::exit::ExitStatus;

/// Arguments of `adfctl emulator`.
#[derive(Debug, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4000")]
    pub listen: String,
}

/// Runs `adfctl emulator`.
pub fn run(args: EmulatorArgs) -> ExitStatus {
    eprintln!(
        "error: the emulator is not built yet (listen {})",
        args.listen
    );
    ExitStatus::Failure
}
