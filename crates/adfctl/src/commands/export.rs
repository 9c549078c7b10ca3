//! `adfctl export`: a spec from a live factory.

use super::session;
use super::target::TargetArgs;
use crate::error::{CliError, Outcome};
use crate::exit::ExitStatus;
use adf_core::FactoryTarget;
use adf_spec::export::Layout;
use std::path::{Path, PathBuf};

/// Arguments of `adfctl export`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    adfctl export --subscription $AZURE_SUBSCRIPTION_ID --resource-group rg --factory my-factory -o spec.yaml\n  \
    adfctl export --subscription $AZURE_SUBSCRIPTION_ID --resource-group rg --factory my-factory -o factory/\n  \
    adfctl export --local --subscription 00000000-0000-0000-0000-000000000000 --resource-group rg --factory f\n")]
pub struct ExportArgs {
    /// The subscription id.
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", value_name = "ID")]
    subscription: String,

    /// The resource group the factory is in.
    #[arg(long, value_name = "NAME")]
    resource_group: String,

    /// The factory to export.
    #[arg(long, value_name = "NAME")]
    factory: String,

    /// Where to write: a `.yaml`/`.yml` file, or a directory (`factory.yaml` and one file per
    /// entity kind; `-f DIR` reads them all). Default: stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR")]
    output: Option<PathBuf>,

    /// With a directory: one file per entity (`DIR/pipelines/NAME.yaml`) instead of per kind.
    #[arg(long, requires = "output")]
    per_entity: bool,

    /// What to write: `spec` (adfctl's YAML) or `arm` (`ARMTemplateForFactory.json` and
    /// `ARMTemplateParametersForFactory.json` in the `-o` directory, as ADF's publish writes
    /// them; `-f DIR/ARMTemplateForFactory.json` reads them back).
    #[arg(long, value_enum, default_value_t = ExportFormat::Spec)]
    format: ExportFormat,

    /// Write `managed: true` for the resource group (adfctl may then create and delete it).
    /// Without it the export says `managed: false`: adopting a factory does not adopt its group.
    #[arg(long)]
    manage_resource_group: bool,

    #[command(flatten)]
    target: TargetArgs,
}

/// What `adfctl export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// adfctl's spec (YAML).
    Spec,
    /// An ARM template and its parameters file, as ADF's publish writes them.
    Arm,
}

/// Runs `adfctl export`.
pub fn run(args: ExportArgs) -> Outcome {
    let target = FactoryTarget {
        subscription: args.subscription.clone(),
        resource_group: args.resource_group.clone(),
        factory: args.factory.clone(),
    };
    let input = session::connected(&args.target, async |connection| {
        adf_engine::export::read_factory(&connection.client, &target, args.manage_resource_group)
            .await
            .map_err(|error| CliError::new(error.to_string()))
    })?;
    let Some(input) = input else {
        return Err(CliError::with_hint(
            format!(
                "factory `{}` does not exist in resource group `{}` (subscription {})",
                target.factory, target.resource_group, target.subscription
            ),
            "check --subscription, --resource-group and --factory",
        ));
    };
    if args.format == ExportFormat::Arm {
        return write_arm(&args, &input);
    }
    let layout = match &args.output {
        None => Layout::SingleFile,
        Some(path) if is_file_path(path) => Layout::SingleFile,
        Some(_) if args.per_entity => Layout::PerEntity,
        Some(_) => Layout::PerKind,
    };
    let exported = adf_spec::export::export(&input, layout);
    let written = match &args.output {
        None => {
            for (_, text) in &exported.files {
                print!("{text}");
            }
            Vec::new()
        }
        Some(path) => write_files(path, layout, &exported.files)?,
    };
    eprintln!(
        "Exported factory {} ({} entit{}).",
        target.factory,
        input.entities.len(),
        if input.entities.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    if !exported.variables.is_empty() {
        eprintln!(
            "ARM never returns secret values. Set these environment variables to the secrets before plan or apply:"
        );
        for variable in &exported.variables {
            eprintln!(
                "  {}  ({} {})",
                variable.name, variable.address, variable.pointer
            );
        }
    }
    // A folder is read whole by `-f DIR`, in an order that merges it as written.
    let spec = match (&args.output, layout) {
        (Some(directory), Layout::PerKind | Layout::PerEntity) => {
            Some(directory.display().to_string())
        }
        _ => written.first().cloned(),
    };
    if let Some(spec) = spec {
        eprintln!("hint: adfctl plan -f {spec}");
    }
    Ok(ExitStatus::Success)
}

/// `--format arm`: the template and its parameters file, in the `-o` directory.
fn write_arm(args: &ExportArgs, input: &adf_spec::export::ExportInput) -> Outcome {
    let Some(directory) = args.output.as_ref().filter(|path| !is_file_path(path)) else {
        return Err(CliError::with_hint(
            "`--format arm` writes two files and needs a directory",
            "add `-o DIR`",
        ));
    };
    let exported = adf_spec::export::export_arm(input);
    // ARM's documented limits of one template; ADF's publish splits bigger factories into
    // linked templates, which adfctl does not write.
    let resources = input.entities.len() + 1;
    let bytes = exported.files.first().map_or(0, |(_, text)| text.len());
    if resources > 800 || bytes > 4 * 1024 * 1024 {
        eprintln!(
            "warning: the template has {resources} resources and {bytes} bytes; ARM deploys at most 800 resources and 4 MB in one template (adfctl reads it whole)"
        );
    }
    let written = write_files(directory, Layout::PerKind, &exported.files)?;
    eprintln!(
        "Exported factory {} ({} entit{}) as an ARM template.",
        args.factory,
        input.entities.len(),
        if input.entities.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    if !exported.parameters.is_empty() {
        eprintln!(
            "ARM never returns secret values. Give these parameters their values in {} before deploying (adfctl also reads an empty one from the environment variable of its name):",
            adf_spec::arm::PARAMETERS_FILE
        );
        for parameter in &exported.parameters {
            eprintln!(
                "  {}  ({} {})",
                parameter.name, parameter.address, parameter.pointer
            );
        }
    }
    if let Some(template) = written.first() {
        eprintln!("hint: adfctl plan -f {template} -f TARGET.yaml");
    }
    Ok(ExitStatus::Success)
}

fn is_file_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn write_files(
    path: &Path,
    layout: Layout,
    files: &[(String, String)],
) -> Result<Vec<String>, CliError> {
    let mut written = Vec::new();
    for (name, text) in files {
        let file = if layout == Layout::SingleFile {
            path.to_path_buf()
        } else {
            path.join(name)
        };
        if let Some(parent) = file.parent()
            && !parent.as_os_str().is_empty()
            && let Err(error) = std::fs::create_dir_all(parent)
        {
            return Err(CliError::new(format!(
                "cannot create {}: {error}",
                parent.display()
            )));
        }
        if let Err(error) = std::fs::write(&file, text) {
            return Err(CliError::new(format!(
                "cannot write {}: {error}",
                file.display()
            )));
        }
        written.push(file.display().to_string());
    }
    Ok(written)
}
