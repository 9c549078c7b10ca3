//! One module per subcommand: its clap arguments and a `run` that resolves them into settings.

pub mod apply;
pub mod completions;
pub mod cost;
pub mod destroy;
pub mod emulator;
pub mod eval;
pub mod export;
pub mod monitor;
pub mod multi;
pub mod plan;
pub mod run;
pub mod schema;
pub mod scope_args;
pub mod session;
pub mod spec_args;
pub mod target;
pub mod targets;
pub mod test;
pub mod test_connection;
pub mod validate;
