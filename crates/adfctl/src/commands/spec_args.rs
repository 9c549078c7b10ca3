//! Shared spec arguments (`-f`, `--var`) and loading, flattened into every command that reads a spec.

use crate::error::CliError;
use crate::exit::ExitStatus;
use adf_spec::{Diagnostic, LoadOptions, Loaded, Severity, SpecSource, StudioFolder, limits};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

/// The spec files and variables of a command (`#[command(flatten)]` it).
#[derive(Debug, Clone, clap::Args)]
pub struct SpecArgs {
    /// Spec file to read; repeat to merge several in order (a base spec, then overlays).
    /// `-` reads standard input. A directory is read as an ADF Studio git repository (its
    /// `pipeline/`, `dataset/`, ... JSON files); give the target in an overlay after it.
    #[arg(short = 'f', long = "file", value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Set the spec variable KEY (used as `${var:KEY}`), overriding the spec's `vars:` block.
    /// Repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Set by the commands that need no secret values (validate, destroy): an unset
    /// `secretFromEnv` variable is then a warning.
    #[arg(skip)]
    pub secrets_optional: bool,
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
                match read_studio_repository(path) {
                    Ok(found) => sources.extend(found),
                    Err(diagnostics) => unreadable.extend(diagnostics),
                }
                continue;
            }
            match read_source(path) {
                Ok(source) => sources.push(source),
                Err(diagnostic) => unreadable.push(*diagnostic),
            }
        }
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

/// Reads an ADF Studio git repository (the folder given as the repository's root folder):
/// the `*.json` files of the folders adfctl knows ([`StudioFolder::folders`], in that order,
/// files sorted by name), each a source of its folder's form. Other folders (such as
/// `managedVirtualNetwork/`) are skipped with a note on stderr; `publish_config.json` and
/// other files at the top are not read.
fn read_studio_repository(root: &Path) -> Result<Vec<SpecSource>, Vec<Diagnostic>> {
    let root_name = root.display().to_string();
    let entries = std::fs::read_dir(root).map_err(|error| {
        vec![*file_error(
            &root_name,
            format!("cannot read the directory: {error}"),
            "check the path given with -f",
        )]
    })?;
    let mut folders: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    folders.sort();
    if !folders
        .iter()
        .any(|f| StudioFolder::from_folder(f).is_some())
    {
        return Err(vec![*file_error(
            &root_name,
            "this directory is not an ADF Studio git repository (it has none of the folders factory/, linkedService/, dataset/, pipeline/, trigger/, dataflow/, integrationRuntime/, globalParameters/)".into(),
            "pass the repository's root folder (as set in ADF Studio's git configuration), or each YAML spec file with its own -f",
        )]);
    }
    for folder in &folders {
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
                        "pass each YAML file with its own -f, or an ADF Studio git repository's root folder",
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
    fn vars_parse_as_key_value() {
        assert_eq!(parse_var("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_var("novalue").is_err());
        assert!(parse_var("=x").is_err());
    }
}
