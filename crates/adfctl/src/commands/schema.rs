//! `adfctl schema`: the JSON Schema of a spec file, for editors.

use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;

/// Arguments of `adfctl schema`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    adfctl schema > adfctl.schema.json\n  \
    # then, first line of a spec: # yaml-language-server: $schema=./adfctl.schema.json\n")]
pub struct SchemaArgs {}

/// Prints the schema (JSON Schema draft 2020-12) on stdout.
pub fn run(_args: SchemaArgs) -> Outcome {
    let schema = adf_spec::schema::json_schema();
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|error| CliError::new(format!("cannot write the schema: {error}")))?;
    println!("{text}");
    Ok(ExitStatus::Success)
}
