//! One module per subcommand: its clap arguments and a `run` that resolves them into settings.

pub mod emulator;
pub mod spec_args;
pub mod validate;
