//! `adfctl validate`

use crate::commands::spec_args::{SpecArgs, print_diagnostics};
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;

/// Arguments of `adfctl validate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  \
        adfctl validate -f specs/quickstart.yaml\n  \
        adfctl validate -f specs/overlay/base.yaml -f specs/overlay/prod.yaml\n  \
        adfctl validate -f spec.yaml --var env=dev --format json\n",
    after_long_help = "Reads the files given with -f (merged in order: a base spec, then overlays), \
        resolves ${env:...} and ${var:...}, and reports every problem at once, each with \
        file:line:column and a hint: unknown keys, missing types, invalid names, references to \
        entities the spec does not define, reference cycles, unset environment variables and \
        ADF's limits. Nothing contacts Azure. The spec language is described in docs/spec.md.\n\n\
        Exit status: 0 when the spec is valid (warnings allowed), 1 otherwise.\n\n\
        Examples:\n  \
        adfctl validate -f specs/quickstart.yaml\n  \
        adfctl validate -f specs/overlay/base.yaml -f specs/overlay/prod.yaml\n  \
        adfctl validate -f spec.yaml --var env=dev --format json\n"
)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub spec: SpecArgs,

    /// Output format: `text` (a summary on stdout, diagnostics on stderr) or `json` (one JSON
    /// document on stdout, for scripts and editors).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable.
    Text,
    /// Machine-readable JSON on stdout.
    Json,
}

/// Runs `adfctl validate`.
pub fn run(mut args: ValidateArgs) -> Outcome {
    // Validation needs no secret values (a pull request from a fork has none).
    args.spec.secrets_optional = true;
    match args.format {
        Format::Text => {
            let loaded = args.spec.load()?;
            println!(
                "{}: valid ({})",
                args.spec.display_files(),
                adf_spec::summary(&loaded.desired)
            );
            if !loaded.overrides.is_empty() {
                println!("Overrides applied ({}):", loaded.overrides.len());
                for applied in &loaded.overrides {
                    println!("  {}: {applied}", applied.address);
                }
            }
            Ok(ExitStatus::Success)
        }
        Format::Json => {
            let outcome = args.spec.load_quietly();
            let files: Vec<String> = args
                .spec
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            let document = adf_spec::ValidationReport::new(files, &outcome.result);
            let valid = document.valid;
            let diagnostics = document.diagnostics;
            match serde_json::to_string_pretty(&document) {
                Ok(text) => println!("{text}"),
                Err(error) => {
                    print_diagnostics(diagnostics, &outcome.sources);
                    return Err(CliError::new(format!("cannot render JSON: {error}")));
                }
            }
            if valid {
                Ok(ExitStatus::Success)
            } else {
                Err(CliError::shown(ExitStatus::Failure))
            }
        }
    }
}
