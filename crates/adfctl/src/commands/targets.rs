//! `--targets FILE|DIR`: the several spec sets one `plan`, `apply` or `destroy` works on.
//!
//! A targets file lists them:
//!
//! ```yaml
//! targets:
//!   - name: sales-dev                      # optional: the last file's name without extension
//!     files: [sales/factory.yaml, envs/dev.yaml]
//!     vars: {env: dev}
//! ```
//!
//! A directory holds one target per entry: each sub-directory (read as `-f DIR` reads one) and
//! each spec file at its top level, in name order. Paths in a targets file are relative to
//! the file. Files given with `-f` beside `--targets` are read first in every target (a shared
//! base); `--var` applies to every target, and a target's own `vars` win over it.

use super::spec_args::SpecArgs;
use crate::error::CliError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One target: a name and the spec set that describes it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Unique among the targets; names the target in every line of output.
    pub name: String,
    /// Its spec set: the shared `-f` files, its own files, the variables.
    pub spec: SpecArgs,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    targets: Vec<TargetEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    name: Option<String>,
    files: Vec<PathBuf>,
    #[serde(default)]
    vars: BTreeMap<String, serde_yaml::Value>,
}

/// Reads `--targets PATH` (a targets file or a directory), with `base` (the `-f` files and
/// `--var` values given beside it) in every target.
pub fn read(path: &Path, base: &SpecArgs) -> Result<Vec<Target>, CliError> {
    let targets = if path.is_dir() {
        from_directory(path, base)?
    } else {
        from_file(path, base)?
    };
    if targets.is_empty() {
        return Err(CliError::with_hint(
            format!("{} names no target", path.display()),
            "list them under `targets:` (a file), or give a directory with one sub-directory or spec file per target",
        ));
    }
    let mut seen: BTreeMap<String, &Target> = BTreeMap::new();
    for target in &targets {
        if let Some(first) = seen.insert(target.name.to_lowercase(), target) {
            return Err(CliError::with_hint(
                format!(
                    "{}: two targets are named `{}` ({} and {})",
                    path.display(),
                    target.name,
                    first.spec.display_files(),
                    target.spec.display_files()
                ),
                "give each a `name:` of its own",
            ));
        }
    }
    Ok(targets)
}

fn with_base(base: &SpecArgs, files: Vec<PathBuf>, vars: Vec<(String, String)>) -> SpecArgs {
    SpecArgs {
        files: base.files.iter().cloned().chain(files).collect(),
        vars: base.vars.iter().cloned().chain(vars).collect(),
        ..base.clone()
    }
}

fn from_directory(directory: &Path, base: &SpecArgs) -> Result<Vec<Target>, CliError> {
    let entries = std::fs::read_dir(directory).map_err(|error| {
        CliError::new(format!(
            "cannot read the targets directory {}: {error}",
            directory.display()
        ))
    })?;
    let mut targets = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let path = entry.path();
        let target_name = if name.starts_with('.') {
            continue;
        } else if path.is_dir() {
            name
        } else if path.is_file() && super::spec_args::is_spec_file(&name) {
            stem(&path)
        } else {
            continue;
        };
        targets.push(Target {
            name: target_name,
            spec: with_base(base, vec![path], Vec::new()),
        });
    }
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(targets)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn from_file(path: &Path, base: &SpecArgs) -> Result<Vec<Target>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::with_hint(
            format!("cannot read the targets file {}: {error}", path.display()),
            "give --targets a file listing the targets, or a directory with one entry per target",
        )
    })?;
    let file: TargetsFile = serde_yaml::from_str(&text).map_err(|error| {
        let at = error
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        CliError::with_hint(
            format!("{}{at}: {error}", path.display()),
            "a targets file is `targets:` and a list of {name, files: [...], vars: {...}}",
        )
    })?;
    let folder = path.parent().unwrap_or(Path::new(""));
    let mut targets = Vec::new();
    for (index, entry) in file.targets.into_iter().enumerate() {
        if entry.files.is_empty() && base.files.is_empty() {
            return Err(CliError::with_hint(
                format!("{}: target {} has no files", path.display(), index + 1),
                "list its spec files under `files:`",
            ));
        }
        let files: Vec<PathBuf> = entry.files.iter().map(|f| folder.join(f)).collect();
        let name = match entry.name {
            Some(name) if !name.trim().is_empty() => name,
            _ => files
                .last()
                .map_or_else(|| format!("{}", index + 1), |f| stem(f)),
        };
        let mut vars = Vec::new();
        for (key, value) in entry.vars {
            let value = match value {
                serde_yaml::Value::String(text) => text,
                serde_yaml::Value::Bool(_) | serde_yaml::Value::Number(_) => {
                    serde_yaml::to_string(&value)
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                }
                _ => {
                    return Err(CliError::with_hint(
                        format!(
                            "{}: target `{name}`: variable `{key}` is not a string, number or boolean",
                            path.display()
                        ),
                        "spec variables are text: quote the value",
                    ));
                }
            };
            vars.push((key, value));
        }
        targets.push(Target {
            name,
            spec: with_base(base, files, vars),
        });
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(files: &[&str]) -> SpecArgs {
        SpecArgs {
            files: files.iter().map(PathBuf::from).collect(),
            vars: vec![("region".into(), "weu".into())],
            secrets_optional: false,
            env: Vec::new(),
        }
    }

    #[test]
    fn a_targets_file_lists_spec_sets_relative_to_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("targets.yaml");
        std::fs::write(
            &file,
            "targets:\n  - name: sales-dev\n    files: [sales.yaml, envs/dev.yaml]\n    vars: {env: dev, copies: 3}\n  - files: [hr.yaml]\n",
        )
        .expect("write");
        let targets = read(&file, &base(&["shared.yaml"])).expect("targets");
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["sales-dev", "hr"]);
        assert_eq!(
            targets[0].spec.files,
            [
                PathBuf::from("shared.yaml"),
                dir.path().join("sales.yaml"),
                dir.path().join("envs/dev.yaml")
            ]
        );
        assert_eq!(
            targets[0].spec.vars,
            [
                ("region".to_owned(), "weu".to_owned()),
                ("copies".to_owned(), "3".to_owned()),
                ("env".to_owned(), "dev".to_owned())
            ]
        );
    }

    #[test]
    fn a_directory_holds_a_target_per_folder_and_spec_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("prod")).expect("mkdir");
        std::fs::write(dir.path().join("dev.yaml"), "").expect("write");
        std::fs::write(dir.path().join("notes.txt"), "").expect("write");
        std::fs::write(dir.path().join("dev.test.yaml"), "").expect("write");
        let targets = read(dir.path(), &base(&[])).expect("targets");
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dev", "prod"]);
        assert_eq!(targets[1].spec.files, [dir.path().join("prod")]);
    }

    #[test]
    fn mistakes_are_reported_with_where_and_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("targets.yaml");
        let error_of = |text: &str| {
            std::fs::write(&file, text).expect("write");
            let error = read(&file, &base(&[])).expect_err("refused");
            format!("{error:?}")
        };
        let twice = error_of("targets:\n  - files: [a/x.yaml]\n  - files: [b/X.yaml]\n");
        assert!(twice.contains("two targets are named `X`"), "{twice}");
        let unknown = error_of("targets:\n  - file: [a.yaml]\n");
        assert!(
            unknown.contains("targets.yaml:2:5") && unknown.contains("unknown field `file`"),
            "{unknown}"
        );
        let empty = error_of("targets: []\n");
        assert!(empty.contains("names no target"), "{empty}");
        let no_files = error_of("targets:\n  - name: a\n    files: []\n");
        assert!(no_files.contains("target 1 has no files"), "{no_files}");
        let nested = error_of("targets:\n  - files: [a.yaml]\n    vars: {a: [1]}\n");
        assert!(nested.contains("variable `a` is not a string"), "{nested}");
    }
}
