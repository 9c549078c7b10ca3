//! One module per subcommand: its clap arguments and a `run` that resolves them into settings.

pub mod apply;
pub mod destroy;
pub mod emulator;
pub mod plan;
pub mod run;
pub mod session;
pub mod spec_args;
pub mod target;
pub mod validate;
