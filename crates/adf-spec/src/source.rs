//! The loader's inputs and outputs: the files ([`SpecSource`], [`SourceForm`]), what loading
//! needs besides them ([`LoadOptions`]), and what a successful load gives ([`Loaded`],
//! described in one line by [`summary`]).

use crate::diagnostic::Diagnostic;
use crate::limits;
use crate::studio::StudioFolder;
use adf_core::{DesiredState, Kind};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// One spec file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSource {
    /// The path as the user wrote it; diagnostics name the file this way.
    pub name: String,
    /// The file's text.
    pub text: String,
    /// What the text is: a spec file, or a JSON file of an ADF Studio repository.
    pub form: SourceForm,
}

/// What a [`SpecSource`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceForm {
    /// A spec file (YAML).
    #[default]
    Spec,
    /// One JSON file of an ADF Studio git repository, from the folder that says what it is.
    Studio(StudioFolder),
    /// A factory's ARM template (`ARMTemplateForFactory.json`), see [`crate::arm`].
    ArmTemplate,
    /// An ARM deployment parameters file (`ARMTemplateParametersForFactory.json`): the values
    /// of the templates' parameters, not a spec of its own.
    ArmParameters,
}

impl SpecSource {
    /// A source from its name and text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SpecSource {
            name: name.into(),
            text: text.into(),
            form: SourceForm::Spec,
        }
    }

    /// The same text, read as a JSON file of an ADF Studio repository's `folder`.
    pub fn studio(mut self, folder: StudioFolder) -> Self {
        self.form = SourceForm::Studio(folder);
        self
    }

    /// The same text, read as `form`.
    pub fn with_form(mut self, form: SourceForm) -> Self {
        self.form = form;
        self
    }

    /// A source from raw bytes: refuses files over [`limits::MAX_FILE_BYTES`] and text that
    /// is not UTF-8, with a diagnostic pointing at the first bad byte.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self, Box<Diagnostic>> {
        let name = name.into();
        let fail = |line: usize, column: usize, offset: usize, message: String, hint: &str| {
            Box::new(Diagnostic {
                severity: crate::Severity::Error,
                code: "unreadable",
                file: name.clone(),
                line,
                column,
                message,
                hint: Some(hint.into()),
                offset,
                length: 0,
            })
        };
        if bytes.len() > limits::MAX_FILE_BYTES {
            return Err(fail(
                1,
                1,
                0,
                format!(
                    "the file has {} bytes, more than the limit of {} bytes",
                    bytes.len(),
                    limits::MAX_FILE_BYTES
                ),
                "is this the right file? A spec is a YAML text file",
            ));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SpecSource {
                name,
                text,
                form: SourceForm::Spec,
            }),
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let good = &error.as_bytes()[..offset];
                let line = good.iter().filter(|b| **b == b'\n').count() + 1;
                let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
                Err(fail(
                    line,
                    column,
                    offset,
                    format!("the file is not UTF-8 text (invalid byte at offset {offset})"),
                    "is this the right file? A spec is a YAML text file in UTF-8",
                ))
            }
        }
    }
}

/// What loading needs besides the files: the environment and `--var` values.
///
/// Its `Debug` form lists variable names only: the environment holds secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The environment (`${env:...}`, `secretFromEnv`). The CLI passes the process environment.
    pub env: BTreeMap<String, String>,
    /// `--var key=value`: override the spec's `vars:` block.
    pub vars: BTreeMap<String, String>,
    /// A `secretFromEnv` variable that is not set is a warning, not an error (its secret is
    /// then empty): `validate` and `destroy` need no secret values, and a pull request from a
    /// fork has none.
    pub secrets_optional: bool,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("secrets_optional", &self.secrets_optional)
            .finish()
    }
}

/// A spec that loaded without errors.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// What the spec asks for.
    pub desired: DesiredState,
    /// Warnings (the spec is usable, but something looks wrong).
    pub warnings: Vec<Diagnostic>,
    /// `prune.keep`: patterns (`pipeline/Legacy*`) of live entities the spec does not define
    /// but that are owned elsewhere; planning passes them on
    /// (`adf_plan::PlanOptions::keep_unmanaged`).
    pub prune_keep: Vec<adf_core::EntityPattern>,
    /// `scope.include`: the spec's own `--include` patterns (the flags add to them).
    pub scope_include: Vec<adf_core::EntityPattern>,
    /// `scope.exclude`: the spec's own `--exclude` patterns (the flags add to them).
    pub scope_exclude: Vec<adf_core::EntityPattern>,
    /// What the `overrides:` rules did, entity by entity, in the order they ran.
    pub overrides: Vec<adf_core::AppliedOverride>,
}

/// A one-line summary of what a desired state holds: `1 resource group, 1 factory, 2 datasets`.
pub fn summary(desired: &DesiredState) -> String {
    let mut parts = Vec::new();
    for kind in Kind::ALL {
        let count = if kind == Kind::GlobalParameters {
            desired
                .of_kind(kind)
                .filter_map(|r| r.body.get("properties").and_then(Json::as_object))
                .map(Map::len)
                .sum()
        } else {
            desired.of_kind(kind).count()
        };
        if count == 0 {
            continue;
        }
        let singular = match kind {
            Kind::GlobalParameters => "global parameter",
            _ => kind.label(),
        };
        let plural = kind.plural_label();
        parts.push(format!(
            "{count} {}",
            if count == 1 { singular } else { plural }
        ));
    }
    parts.join(", ")
}

/// `adfctl validate --format json`: whether the spec is valid, what it defines, and every
/// diagnostic (errors, or the warnings of a valid spec).
#[derive(Debug, serde::Serialize)]
pub struct ValidationReport<'a> {
    /// `"1"`: a new version only when a field changes meaning or goes away.
    pub format_version: &'static str,
    /// Whether the spec loaded without errors.
    pub valid: bool,
    /// The files given, in order.
    pub files: Vec<String>,
    /// What the spec defines (`1 factory, 3 pipelines`), when valid.
    pub summary: Option<String>,
    /// The addresses it defines (`pipeline/copyPipeline`), when valid.
    pub resources: Vec<String>,
    /// Every diagnostic, with file, line, column and hint.
    pub diagnostics: &'a [crate::Diagnostic],
    /// What the spec's `overrides:` rules did: `{address, op, path, origin}`, when valid.
    pub overrides: Vec<OverrideReport>,
}

/// One override operation in a [`ValidationReport`] (its own type: the report is versioned).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OverrideReport {
    /// The entity (`pipeline/PL_Load`).
    pub address: String,
    /// `set`, `add` or `remove`.
    pub op: &'static str,
    /// The path as the rule wrote it.
    pub path: String,
    /// Where the rule is written (`envs/prod.yaml:8:7`).
    pub origin: String,
}

impl<'a> ValidationReport<'a> {
    /// The report of a load of `files`.
    pub fn new(files: Vec<String>, result: &'a Result<Loaded, Vec<crate::Diagnostic>>) -> Self {
        let overrides = result
            .as_ref()
            .map(|loaded| {
                loaded
                    .overrides
                    .iter()
                    .map(|applied| OverrideReport {
                        address: applied.address.to_string(),
                        op: applied.op.as_str(),
                        path: applied.path.clone(),
                        origin: applied.origin.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (valid, summary, resources, diagnostics) = match result {
            Ok(loaded) => (
                true,
                Some(summary(&loaded.desired)),
                loaded
                    .desired
                    .resources
                    .iter()
                    .map(|r| r.address.to_string())
                    .collect(),
                loaded.warnings.as_slice(),
            ),
            Err(diagnostics) => (false, None, Vec::new(), diagnostics.as_slice()),
        };
        ValidationReport {
            format_version: "1",
            valid,
            files,
            summary,
            resources,
            diagnostics,
            overrides,
        }
    }
}
