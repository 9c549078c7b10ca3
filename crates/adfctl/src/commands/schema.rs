//! `adfctl schema`: the JSON Schema of a spec file, for editors.

use crate::exit::ExitStatus;

/// Arguments of `adfctl schema`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    adfctl schema > adfctl.schema.json\n  \
    # then, first line of a spec: # yaml-language-server: $schema=./adfctl.schema.json\n")]
pub struct SchemaArgs {}

/// Prints the schema (JSON Schema draft 2020-12) on stdout.
pub fn run(_args: SchemaArgs) -> ExitStatus {
    let schema = adf_spec::schema::json_schema();
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => {
            println!("{text}");
            ExitStatus::Success
        }
        Err(error) => super::session::fail(&format!("cannot write the schema: {error}")),
    }
}
