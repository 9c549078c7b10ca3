//! `adfctl schema`: the JSON Schema of a spec file, for editors.

use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;

/// Arguments of `adfctl schema`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    adfctl schema > adfctl.schema.json\n  \
    # then, first line of a spec: # yaml-language-server: $schema=./adfctl.schema.json\n  \
    adfctl schema --tests > adfctl-tests.schema.json\n")]
pub struct SchemaArgs {
    /// The schema of `adfctl test` files (`*.test.yaml`) instead of specs.
    #[arg(long)]
    tests: bool,
}

/// Prints the schema (JSON Schema draft 2020-12) on stdout.
pub fn run(args: SchemaArgs) -> Outcome {
    let schema = if args.tests {
        adf_test::file::json_schema()
    } else {
        adf_spec::schema::json_schema()
    };
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|error| CliError::new(format!("cannot write the schema: {error}")))?;
    println!("{text}");
    Ok(ExitStatus::Success)
}
