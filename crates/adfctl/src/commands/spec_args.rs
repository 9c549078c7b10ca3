//! Shared spec arguments (`-f`, `--var`) and loading, flattened into every command that reads a spec.

use crate::error::CliError;
use crate::exit::ExitStatus;
use adf_core::Kind;
use adf_spec::{
    Diagnostic, LoadOptions, Loaded, Severity, SourceForm, SpecSource, StudioFolder, limits,
};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

/// The spec files and variables of a command (`#[command(flatten)]` it).
#[derive(Debug, Clone, clap::Args)]
pub struct SpecArgs {
    /// Spec file to read; repeat to merge several in order (a base spec, then overlays).
    /// `-` reads standard input. A factory's ARM template (`ARMTemplateForFactory.json`) is
    /// read as one, with the `ARMTemplateParametersForFactory.json` beside it unless a
    /// parameters file is given too (give the target in an overlay after it). A directory is read as an ADF Studio git repository when it
    /// has its `pipeline/`, `dataset/`, ... folders (give the target in an overlay after it),
    /// else as a folder of spec files, such as `adfctl export -o DIR` writes (`factory.yaml`
    /// first, then the other `*.yaml`/`*.yml` files sorted by path). Required (plan, apply and
    /// destroy: unless --targets is given; with it, these files are read first in every target).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Set the spec variable KEY (used as `${var:KEY}`), overriding the spec's `vars:` block.
    /// Repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Set by the commands that need no secret values (validate, destroy): an unset
    /// `secretFromEnv` variable is then a warning.
    #[arg(skip)]
    pub secrets_optional: bool,

    /// Environment values over the process's (a test file's `env:`).
    #[arg(skip)]
    pub env: Vec<(String, String)>,
}

/// What loading produced: the sources read (for snippets) and the result.
pub struct LoadOutcome {
    /// The files that could be read.
    pub sources: Vec<SpecSource>,
    /// The desired state and warnings, or every diagnostic.
    pub result: Result<Loaded, Vec<Diagnostic>>,
}

impl SpecArgs {
    /// Reads and loads the spec, printing every diagnostic (warnings too) to stderr.
    /// `Err(Failure)` when there is any error.
    pub fn load(&self) -> Result<Loaded, CliError> {
        if self.files.is_empty() {
            return Err(CliError::with_hint(
                "no spec given",
                "name the spec files with -f FILE (repeat it to add overlays)",
            ));
        }
        let outcome = self.load_quietly();
        match outcome.result {
            Ok(loaded) => {
                print_diagnostics(&loaded.warnings, &outcome.sources);
                Ok(loaded)
            }
            Err(diagnostics) => {
                print_diagnostics(&diagnostics, &outcome.sources);
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                eprintln!(
                    "{} {} found in {}",
                    errors,
                    if errors == 1 { "error" } else { "errors" },
                    self.display_files()
                );
                Err(CliError::shown(ExitStatus::Failure))
            }
        }
    }

    /// Reads and loads the spec without printing anything.
    pub fn load_quietly(&self) -> LoadOutcome {
        let mut sources = Vec::new();
        let mut unreadable = Vec::new();
        for path in &self.files {
            if path.is_dir() {
                match read_directory(path) {
                    Ok(found) => sources.extend(found),
                    Err(diagnostics) => unreadable.extend(diagnostics),
                }
                continue;
            }
            match read_source(path) {
                Ok(source) => sources.push(with_arm_form(source)),
                Err(diagnostic) => unreadable.push(*diagnostic),
            }
        }
        add_arm_parameters_files(&mut sources, &mut unreadable);
        if !unreadable.is_empty() {
            return LoadOutcome {
                sources,
                result: Err(unreadable),
            };
        }
        let result = adf_spec::load(&sources, &self.options());
        LoadOutcome { sources, result }
    }

    /// The load options: the process environment (variables that are not Unicode are left
    /// out) and the `--var` values.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .chain(self.env.iter().cloned())
                .collect(),
            vars: self.vars.iter().cloned().collect(),
            secrets_optional: self.secrets_optional,
        }
    }

    /// The files as the user named them, joined with ` + `.
    pub fn display_files(&self) -> String {
        self.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// A `*.json` file given with `-f` that is a factory's ARM template or an ARM parameters file
/// is read as one ([`adf_spec::arm::detect`]); any other file stays a spec file.
fn with_arm_form(source: SpecSource) -> SpecSource {
    let is_json = Path::new(&source.name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    match is_json
        .then(|| adf_spec::arm::detect(&source.text))
        .flatten()
    {
        Some(form) => source.with_form(form),
        None => source,
    }
}

/// When ARM templates are given without a parameters file, reads the parameters file ADF
/// writes beside each (`ARMTemplateParametersForFactory.json`), if there is one.
fn add_arm_parameters_files(sources: &mut Vec<SpecSource>, unreadable: &mut Vec<Diagnostic>) {
    if sources.iter().any(|s| s.form == SourceForm::ArmParameters) {
        return;
    }
    let beside: Vec<PathBuf> = sources
        .iter()
        .filter(|s| s.form == SourceForm::ArmTemplate)
        .map(|s| {
            Path::new(&s.name)
                .parent()
                .unwrap_or(Path::new(""))
                .join(adf_spec::arm::PARAMETERS_FILE)
        })
        .filter(|path| path.is_file())
        .collect();
    for path in beside {
        match read_source(&path) {
            Ok(source) => sources.push(source.with_form(SourceForm::ArmParameters)),
            Err(diagnostic) => unreadable.push(*diagnostic),
        }
    }
}

/// Parses `KEY=VALUE` (`--var`).
pub fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// A diagnostic about a whole file (no position).
fn file_error(name: &str, message: String, hint: &str) -> Box<Diagnostic> {
    Box::new(Diagnostic {
        severity: Severity::Error,
        code: "unreadable",
        file: name.to_owned(),
        line: 0,
        column: 0,
        message,
        hint: Some(hint.to_owned()),
        offset: 0,
        length: 0,
    })
}

/// What a directory given with `-f` holds at its top level (hidden entries left out).
struct Listing {
    /// Its folders' names, sorted.
    folders: Vec<String>,
    /// Its `*.yaml`/`*.yml` files' names, sorted.
    spec_files: Vec<String>,
}

/// A `*.yaml`/`*.yml` file, except `adfctl test` files (`*.test.yaml`), which sit beside specs
/// but are not specs.
pub(crate) fn is_spec_file(name: &str) -> bool {
    let test_file = name.ends_with(".test.yaml") || name.ends_with(".test.yml");
    !test_file
        && Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn list_directory(directory: &Path) -> Result<Listing, Vec<Diagnostic>> {
    let entries = std::fs::read_dir(directory).map_err(|error| {
        vec![*file_error(
            &directory.display().to_string(),
            format!("cannot read the directory: {error}"),
            "check the path given with -f",
        )]
    })?;
    let mut listing = Listing {
        folders: Vec::new(),
        spec_files: Vec::new(),
    };
    for entry in entries.filter_map(Result::ok) {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            listing.folders.push(name);
        } else if path.is_file() && is_spec_file(&name) {
            listing.spec_files.push(name);
        }
    }
    listing.folders.sort();
    listing.spec_files.sort();
    Ok(listing)
}

/// Reads a directory given with `-f`: a publish folder when it holds
/// `ARMTemplateForFactory.json` (the template and the parameters file beside it), an ADF
/// Studio git repository when it has any of the Studio folders (whatever else it holds), else a folder of spec files when it has
/// `*.yaml`/`*.yml` files at its top level; an error when it has neither.
fn read_directory(root: &Path) -> Result<Vec<SpecSource>, Vec<Diagnostic>> {
    let listing = list_directory(root)?;
    // A publish folder (`adf_publish/<factory>/`): the template, with its parameters file.
    let template = root.join(adf_spec::arm::TEMPLATE_FILE);
    if template.is_file() {
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        match read_source(&template) {
            Ok(source) => sources.push(source.with_form(SourceForm::ArmTemplate)),
            Err(diagnostic) => problems.push(*diagnostic),
        }
        add_arm_parameters_files(&mut sources, &mut problems);
        return if problems.is_empty() {
            Ok(sources)
        } else {
            Err(problems)
        };
    }
    if listing
        .folders
        .iter()
        .any(|f| StudioFolder::from_folder(f).is_some())
    {
        return read_studio_repository(root, &listing.folders);
    }
    if !listing.spec_files.is_empty() {
        return read_spec_folder(root, &listing);
    }
    Err(vec![*file_error(
        &root.display().to_string(),
        "this directory holds neither spec files (`*.yaml`, `*.yml` at its top level) nor an ADF Studio git repository (none of the folders factory/, linkedService/, dataset/, pipeline/, trigger/, dataflow/, integrationRuntime/, globalParameters/, managedVirtualNetwork/, credential/, adfcdc/), nor a factory's ARM template (ARMTemplateForFactory.json)".into(),
        "pass a folder of spec files (such as `adfctl export -o DIR` writes), an ADF Studio repository's root folder (as set in ADF Studio's git configuration), or each spec file with its own -f",
    )])
}

/// The folders of a spec folder that are read too: the entity sections' names
/// (`pipelines/`, `datasets/`, ...), where `adfctl export --per-entity` writes one file per
/// entity.
fn section_folders() -> impl Iterator<Item = &'static str> {
    Kind::ALL
        .into_iter()
        .filter(|kind| kind.is_factory_child())
        .filter_map(Kind::spec_key)
}

/// The order in which the files of a spec folder (paths relative to it, `/`-separated) are
/// merged: the factory file first (`factory.yaml`, which `adfctl export -o DIR` writes with the
/// subscription, group and factory), then the others sorted by path, byte by byte, so that
/// the order is the same on every machine and file system.
fn spec_folder_order(mut files: Vec<String>) -> Vec<String> {
    let after_factory = |file: &String| !matches!(file.as_str(), "factory.yaml" | "factory.yml");
    files.sort_by(|a, b| (after_factory(a), a).cmp(&(after_factory(b), b)));
    files
}

/// Reads a folder of spec files (what `adfctl export -o DIR` writes): the `*.yaml`/`*.yml`
/// files at its top level and in its entity-section folders (`pipelines/`, ... what
/// `--per-entity` writes), in [`spec_folder_order`], each a spec source. Other folders are
/// skipped with a note on stderr.
fn read_spec_folder(root: &Path, listing: &Listing) -> Result<Vec<SpecSource>, Vec<Diagnostic>> {
    let mut files = listing.spec_files.clone();
    for folder in &listing.folders {
        if !section_folders().any(|section| section == folder) {
            eprintln!(
                "note: {}: folder `{folder}/` skipped (a folder of spec files is read at its top level and in {})",
                root.display(),
                section_folders()
                    .map(|s| format!("{s}/"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            continue;
        }
        let inner = list_directory(&root.join(folder))?;
        files.extend(
            inner
                .spec_files
                .iter()
                .map(|file| format!("{folder}/{file}")),
        );
    }
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for file in spec_folder_order(files) {
        match read_source(&root.join(&file)) {
            Ok(source) => sources.push(source),
            Err(diagnostic) => problems.push(*diagnostic),
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(problems)
    }
}

/// Reads an ADF Studio git repository (the folder given as the repository's root folder,
/// whose `folders` are listed): the `*.json` files of the folders adfctl knows
/// ([`StudioFolder::folders`], in that order, files sorted by name), each a source of its
/// folder's form (`managedVirtualNetwork/default/managedPrivateEndpoint/` included). Other
/// folders (such as `linkedTemplates/`) are skipped with a note on
/// stderr; `publish_config.json` and other files at the top are not read.
fn read_studio_repository(
    root: &Path,
    folders: &[String],
) -> Result<Vec<SpecSource>, Vec<Diagnostic>> {
    for folder in folders {
        if StudioFolder::from_folder(folder).is_none() {
            eprintln!(
                "note: {}: folder `{folder}/` skipped (adfctl does not manage what it holds)",
                root.display()
            );
        }
    }
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for folder_name in StudioFolder::folders() {
        let Some(folder) = StudioFolder::from_folder(folder_name) else {
            continue;
        };
        let directory = root.join(folder_name);
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            match read_source(&file) {
                Ok(source) => sources.push(source.studio(folder)),
                Err(diagnostic) => problems.push(*diagnostic),
            }
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(problems)
    }
}

/// Reads one spec file (or standard input for `-`), refusing files over the size limit.
fn read_source(path: &Path) -> Result<SpecSource, Box<Diagnostic>> {
    let name = path.display().to_string();
    let unreadable = |message: String, hint: &str| file_error(&name, message, hint);
    let limit = u64::try_from(limits::MAX_FILE_BYTES).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    let read = if name == "-" {
        std::io::stdin().take(limit + 1).read_to_end(&mut bytes)
    } else {
        match std::fs::File::open(path) {
            Ok(file) => {
                if file.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(unreadable(
                        "this is a directory, not a spec file".into(),
                        "pass each spec file with its own -f, a folder of spec files, or an ADF Studio git repository's root folder",
                    ));
                }
                file.take(limit + 1).read_to_end(&mut bytes)
            }
            Err(error) => Err(error),
        }
    };
    if let Err(error) = read {
        return Err(unreadable(
            format!("cannot read the file: {error}"),
            "check the path given with -f",
        ));
    }
    SpecSource::from_bytes(name, bytes)
}

/// Prints diagnostics to stderr: with source snippets (miette) when stderr is a terminal and
/// `NO_COLOR` is unset, as plain `file:line:col: error: message` lines otherwise.
pub fn print_diagnostics(diagnostics: &[Diagnostic], sources: &[SpecSource]) {
    let fancy = std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
    for diagnostic in diagnostics {
        let source = sources.iter().find(|s| s.name == diagnostic.file);
        match source {
            Some(source) if fancy && diagnostic.line > 0 => {
                eprintln!("{:?}", fancy_report(diagnostic, source));
            }
            _ => eprintln!("{diagnostic}"),
        }
    }
}

fn fancy_report(diagnostic: &Diagnostic, source: &SpecSource) -> miette::Report {
    let severity = match diagnostic.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let mut fancy = miette::MietteDiagnostic::new(diagnostic.message.clone())
        .with_severity(severity)
        .with_code(diagnostic.code)
        .with_label(miette::LabeledSpan::at(
            diagnostic.offset..diagnostic.offset + diagnostic.length,
            "here",
        ));
    if let Some(hint) = &diagnostic.hint {
        fancy = fancy.with_help(hint.clone());
    }
    miette::Report::new(fancy).with_source_code(miette::NamedSource::new(
        source.name.clone(),
        source.text.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_folder_is_read_factory_file_first_then_by_path() {
        let order =
            |files: &[&str]| spec_folder_order(files.iter().map(|f| (*f).to_owned()).collect());
        // What `export -o DIR` writes, in another order.
        assert_eq!(
            order(&[
                "triggers.yaml",
                "pipelines.yaml",
                "linkedServices.yaml",
                "factory.yaml",
                "datasets.yaml",
                "dataFlows.yaml",
                "integrationRuntimes.yaml",
            ]),
            [
                "factory.yaml",
                "dataFlows.yaml",
                "datasets.yaml",
                "integrationRuntimes.yaml",
                "linkedServices.yaml",
                "pipelines.yaml",
                "triggers.yaml",
            ]
        );
        // `--per-entity`, and a user's own files (byte order: capitals first).
        assert_eq!(
            order(&[
                "pipelines/b.yaml",
                "zz-overlay.yml",
                "pipelines/a.yaml",
                "Base.yaml",
                "factory.yml",
                "datasets/x.yaml",
            ]),
            [
                "factory.yml",
                "Base.yaml",
                "datasets/x.yaml",
                "pipelines/a.yaml",
                "pipelines/b.yaml",
                "zz-overlay.yml",
            ]
        );
    }

    /// A small live factory, as export's input: no secrets (the load reads this process's
    /// environment).
    fn export_input() -> adf_spec::export::ExportInput {
        use adf_spec::export::{ExportEntity, ExportInput};
        use serde_json::json;
        let entity = |kind, name: &str, properties| ExportEntity {
            kind,
            name: name.to_owned(),
            body: json!({ "properties": properties }),
            runtime_state: None,
        };
        ExportInput {
            target: adf_core::FactoryTarget {
                subscription: "00000000-0000-0000-0000-000000000000".into(),
                resource_group: "folder-rg".into(),
                factory: "folder-factory".into(),
            },
            resource_group: Some(json!({"location": "westeurope"})),
            manage_resource_group: false,
            factory: json!({"location": "westeurope", "properties": {}}),
            entities: vec![
                entity(
                    Kind::Pipeline,
                    "wait",
                    json!({"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}),
                ),
                entity(
                    Kind::LinkedService,
                    "storage",
                    json!({"type": "AzureBlobStorage", "typeProperties": {"serviceEndpoint": "https://a.blob.core.windows.net/"}}),
                ),
                entity(
                    Kind::Dataset,
                    "files",
                    json!({"type": "Binary", "linkedServiceName": {"referenceName": "storage", "type": "LinkedServiceReference"}, "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "c"}}}),
                ),
                entity(
                    Kind::Pipeline,
                    "copy",
                    json!({"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 2}}]}),
                ),
            ],
        }
    }

    #[test]
    fn an_export_folder_loads_as_its_files_in_export_order() {
        use adf_spec::export::{Layout, export};
        for layout in [Layout::PerKind, Layout::PerEntity] {
            let exported = export(&export_input(), layout);
            let dir = tempfile::tempdir().expect("temp dir");
            for (name, text) in &exported.files {
                let file = dir.path().join(name);
                std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
                std::fs::write(file, text).expect("write");
            }
            let args = SpecArgs {
                files: vec![dir.path().to_path_buf()],
                vars: Vec::new(),
                secrets_optional: false,
                env: Vec::new(),
            };
            let outcome = args.load_quietly();
            let read: Vec<String> = outcome
                .sources
                .iter()
                .map(|s| {
                    Path::new(&s.name)
                        .strip_prefix(dir.path())
                        .expect("inside the folder")
                        .to_string_lossy()
                        .replace('\\', "/")
                })
                .collect();
            assert_eq!(read[0], "factory.yaml", "{layout:?}");
            let mut written: Vec<String> = exported.files.iter().map(|(n, _)| n.clone()).collect();
            written.sort();
            let mut all = read.clone();
            all.sort();
            assert_eq!(all, written, "{layout:?}: every file, once");
            let from_folder = match outcome.result {
                Ok(loaded) => loaded.desired,
                Err(diagnostics) => panic!("{layout:?}: {diagnostics:#?}"),
            };
            // The same desired state as the files passed one by one, in export's order.
            let one_by_one: Vec<SpecSource> = exported
                .files
                .iter()
                .map(|(name, text)| SpecSource::new(name.clone(), text.clone()))
                .collect();
            let expected = adf_spec::load(&one_by_one, &args.options())
                .expect("export's files load")
                .desired;
            assert_eq!(from_folder, expected, "{layout:?}");
        }
    }

    #[test]
    fn a_folder_with_neither_form_says_both_are_accepted() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
        let Err(diagnostics) = read_directory(dir.path()) else {
            panic!("read");
        };
        let message = &diagnostics[0].message;
        assert!(
            message.contains("neither spec files") && message.contains("ADF Studio git repository"),
            "{message}"
        );
        // `adfctl test` files are not specs.
        std::fs::write(dir.path().join("spec.test.yaml"), "tests: []\n").expect("write");
        assert!(read_directory(dir.path()).is_err());
        std::fs::write(dir.path().join("spec.yaml"), "factory: {name: f}\n").expect("write");
        let names: Vec<String> = read_directory(dir.path())
            .expect("a spec folder")
            .iter()
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(names, [dir.path().join("spec.yaml").display().to_string()]);
        // A Studio folder wins over YAML files beside it.
        std::fs::create_dir(dir.path().join("pipeline")).expect("mkdir");
        std::fs::write(dir.path().join("target.yaml"), "factory: {name: f}\n").expect("write");
        assert_eq!(read_directory(dir.path()).map(|s| s.len()), Ok(0));
    }

    #[test]
    fn a_publish_folder_is_read_as_its_template_and_parameters() {
        let dir = tempfile::tempdir().expect("temp dir");
        let template = r#"{"$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#", "resources": [{"name": "[concat(parameters('factoryName'), '/p')]", "type": "Microsoft.DataFactory/factories/pipelines", "properties": {}}]}"#;
        let parameters = r#"{"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#", "parameters": {}}"#;
        std::fs::write(dir.path().join(adf_spec::arm::TEMPLATE_FILE), template).expect("write");
        // The old publish output's `globalParameters/` folder does not make it a Studio repository.
        std::fs::create_dir(dir.path().join("globalParameters")).expect("mkdir");
        let forms = |dir: &Path| -> Vec<SourceForm> {
            read_directory(dir)
                .expect("a publish folder")
                .iter()
                .map(|s| s.form)
                .collect()
        };
        assert_eq!(forms(dir.path()), [SourceForm::ArmTemplate]);
        std::fs::write(dir.path().join(adf_spec::arm::PARAMETERS_FILE), parameters).expect("write");
        assert_eq!(
            forms(dir.path()),
            [SourceForm::ArmTemplate, SourceForm::ArmParameters]
        );
        // The template given as a file finds the parameters file beside it too.
        let args = SpecArgs {
            files: vec![dir.path().join(adf_spec::arm::TEMPLATE_FILE)],
            vars: Vec::new(),
            secrets_optional: false,
            env: Vec::new(),
        };
        let outcome = args.load_quietly();
        let read: Vec<SourceForm> = outcome.sources.iter().map(|s| s.form).collect();
        assert_eq!(read, [SourceForm::ArmTemplate, SourceForm::ArmParameters]);
    }

    #[test]
    fn vars_parse_as_key_value() {
        assert_eq!(parse_var("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_var("novalue").is_err());
        assert!(parse_var("=x").is_err());
    }
}
