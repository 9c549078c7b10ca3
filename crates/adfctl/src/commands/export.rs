//! `adfctl export`: a spec from a live factory.

use super::session::{self, fail, fail_with_hint};
use super::target::TargetArgs;
use crate::exit::ExitStatus;
use adf_core::{FactoryTarget, Kind};
use adf_plan::normalise;
use adf_spec::export::{ExportEntity, ExportInput, Layout};
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

    /// Where to write: a `.yaml`/`.yml` file, or a directory (one file per entity kind, to
    /// pass as `-f DIR/factory.yaml -f DIR/linkedServices.yaml ...`). Default: stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR")]
    output: Option<PathBuf>,

    /// With a directory: one file per entity (`DIR/pipelines/NAME.yaml`) instead of per kind.
    #[arg(long, requires = "output")]
    per_entity: bool,

    /// Write `managed: true` for the resource group (adfctl may then create and delete it).
    /// Without it the export says `managed: false`: adopting a factory does not adopt its group.
    #[arg(long)]
    manage_resource_group: bool,

    #[command(flatten)]
    target: TargetArgs,
}

/// Runs `adfctl export`.
pub fn run(args: ExportArgs) -> ExitStatus {
    let target = FactoryTarget {
        subscription: args.subscription.clone(),
        resource_group: args.resource_group.clone(),
        factory: args.factory.clone(),
    };
    let runtime = match session::runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    let live = runtime.block_on(async {
        let connection = match args.target.connect().await {
            Ok(connection) => connection,
            Err(message) => return Err(fail(&message)),
        };
        let result = adf_engine::refresh(&connection.client, &target, false).await;
        connection.close().await;
        result.map_err(|error| fail(&format!("{error}")))
    });
    let live = match live {
        Ok(live) => live,
        Err(status) => return status,
    };
    let Some(input) = export_input(&target, &live, args.manage_resource_group) else {
        return fail_with_hint(
            &format!(
                "factory `{}` does not exist in resource group `{}` (subscription {})",
                target.factory, target.resource_group, target.subscription
            ),
            "check --subscription, --resource-group and --factory",
        );
    };
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
        Some(path) => match write_files(path, layout, &exported.files) {
            Ok(written) => written,
            Err(status) => return status,
        },
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
    if !written.is_empty() {
        let files: Vec<String> = written.iter().map(|f| format!("-f {f}")).collect();
        eprintln!("hint: adfctl plan {}", files.join(" "));
    }
    ExitStatus::Success
}

fn is_file_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn write_files(
    path: &Path,
    layout: Layout,
    files: &[(String, String)],
) -> Result<Vec<String>, ExitStatus> {
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
            return Err(fail(&format!(
                "cannot create {}: {error}",
                parent.display()
            )));
        }
        if let Err(error) = std::fs::write(&file, text) {
            return Err(fail(&format!("cannot write {}: {error}", file.display())));
        }
        written.push(file.display().to_string());
    }
    Ok(written)
}

/// The live state as export input: server-owned fields removed (adf-plan's normalisation, with
/// the body itself as the "desired" side so that nothing the user set is dropped).
fn export_input(
    target: &FactoryTarget,
    live: &adf_plan::LiveState,
    manage_resource_group: bool,
) -> Option<ExportInput> {
    let factory = live
        .resources
        .iter()
        .find(|r| r.address.kind == Kind::Factory)?;
    let group = live
        .resources
        .iter()
        .find(|r| r.address.kind == Kind::ResourceGroup)
        .map(|r| normalise::normalise(Kind::ResourceGroup, &r.body, Some(&r.body)));
    let entities = live
        .resources
        .iter()
        .filter(|r| r.address.kind.is_factory_child())
        .map(|r| ExportEntity {
            kind: r.address.kind,
            name: r.address.name.clone(),
            body: normalise::normalise(r.address.kind, &r.body, Some(&r.body)),
            runtime_state: r
                .runtime_state()
                .filter(|_| r.address.kind == Kind::Trigger),
        })
        .collect();
    Some(ExportInput {
        target: FactoryTarget {
            factory: factory.address.name.clone(),
            ..target.clone()
        },
        resource_group: group,
        manage_resource_group,
        factory: normalise::normalise(Kind::Factory, &factory.body, Some(&factory.body)),
        entities,
    })
}
