//! Spec files to a [`DesiredState`](adf_core::DesiredState), in three steps:
//!
//! 1. each file is parsed ([`yaml`], or [`studio`] for an ADF
//!    Studio JSON file) into a positioned tree, and the trees are merged in order;
//! 2. the [`reader`] reads adfctl's own keys and turns each entity into JSON
//!    with a [`SourceMap`](crate::sourcemap::SourceMap), checking each entity as written;
//! 3. the [`checks`] that need the whole spec run on the entities' JSON.
//!
//! Every diagnostic goes to one [`Sink`], which sorts them by file, line and column.

use crate::arm;
use crate::checks;
use crate::diagnostic::Diagnostic;
use crate::merge::merge;
use crate::overrides::Overrides;
use crate::reader;
use crate::sink::Sink;
use crate::source::{LoadOptions, Loaded, SourceForm, SpecSource};
use crate::studio::{self, StudioFolder};
use crate::yaml::{self, Node, Pos, Value};

/// Loads and validates spec files (merged in order) into a desired state.
///
/// Pure: the files' text and the environment are inputs. Returns every error at once (with
/// the warnings), sorted by file, line and column.
pub fn load(sources: &[SpecSource], options: &LoadOptions) -> Result<Loaded, Vec<Diagnostic>> {
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut sink = Sink::new(&names);
    if sources.is_empty() {
        sink.error(
            "no-files",
            Pos::default(),
            "no spec files given",
            Some("pass one or more spec files with -f FILE".into()),
        );
        return Err(sink.finish());
    }
    let mut overrides = Overrides::default();
    let Some(root) = parse_and_merge(sources, &mut overrides, &mut sink) else {
        if sink.error_count() == 0 {
            // Only ARM parameters files: values with nothing to use them.
            sink.error(
                "no-files",
                Pos { file: 0, line: 1, column: 1, offset: 0, length: 0 },
                "no spec, ADF Studio repository or ARM template among the files (an ARM parameters file only gives a template's values)",
                Some("pass the template too: -f ARMTemplateForFactory.json (its parameters file beside it is read with it)".into()),
            );
        }
        return Err(sink.finish());
    };
    let studio_files: Vec<bool> = sources.iter().map(|s| s.form != SourceForm::Spec).collect();
    let root_pos = root.pos;
    let read = reader::read(root, options, &studio_files, &mut sink, &mut overrides);
    let applied = overrides.finish(&mut sink);
    checks::spec(&mut sink, &read.entities, &read.external);
    let prune_keep = read.prune_keep.clone();
    let (scope_include, scope_exclude) = read.scope.clone();
    let state = read.into_desired();
    if state.is_none() && sink.error_count() == 0 {
        // Every path that gives up reports why; this keeps the promise if one ever does not.
        sink.error("incomplete", root_pos, "the spec could not be loaded", None);
    }
    let diagnostics = sink.finish();
    match state {
        Some(desired) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Loaded {
            desired,
            warnings: diagnostics,
            prune_keep,
            scope_include,
            scope_exclude,
            overrides: applied,
        }),
        _ => Err(diagnostics),
    }
}

/// Parses every file into a positioned tree and merges the trees in order. `None` when a
/// file could not be read or no file gave a spec (each reported; every file is still parsed,
/// so that every problem shows at once).
fn parse_and_merge(
    sources: &[SpecSource],
    overrides: &mut Overrides,
    sink: &mut Sink<'_>,
) -> Option<Node> {
    let mut merged: Option<Node> = None;
    let mut unreadable = false;
    let mut first_factory_file: Option<&str> = None;
    // The ARM parameters files' values, which every template given reads.
    let mut arm_values = std::collections::HashMap::new();
    for (index, source) in sources.iter().enumerate() {
        if source.form != SourceForm::ArmParameters {
            continue;
        }
        match yaml::parse(&studio::detab(&source.text), index) {
            Ok(root) => arm_values.extend(arm::parameter_values(&root, sink)),
            Err(error) => {
                unreadable = true;
                sink.error("yaml", error.pos, error.message, error.hint);
            }
        }
    }
    for (index, source) in sources.iter().enumerate() {
        if source.form == SourceForm::Studio(StudioFolder::Factory) {
            match first_factory_file {
                None => first_factory_file = Some(&source.name),
                Some(first) => sink.warning(
                    "several-factory-files",
                    Pos { file: index, line: 1, column: 1, offset: 0, length: 0 },
                    format!(
                        "a second file in the repository's `factory/` folder: its fields merge over those of {first}"
                    ),
                    Some("ADF Studio writes one file per factory; delete or rename (not *.json) the ones that are not this factory's".into()),
                ),
            }
        }
        let parsed = match source.form {
            SourceForm::Spec => yaml::parse(&source.text, index).map(Some),
            SourceForm::Studio(folder) => yaml::parse(&studio::detab(&source.text), index)
                .map(|root| studio::to_spec(folder, root, sink)),
            SourceForm::ArmTemplate => yaml::parse(&studio::detab(&source.text), index)
                .map(|root| arm::to_spec(root, &arm_values, sink)),
            // Read above.
            SourceForm::ArmParameters => continue,
        };
        let parsed = match parsed {
            Ok(Some(root)) => Ok(root),
            // Reported; the other files are still checked, so every problem shows at once.
            Ok(None) => continue,
            Err(error) => Err(error),
        };
        match parsed {
            Ok(mut root) if root.as_map().is_some() => {
                // Each file's rules, before a later file's list could replace them.
                if let Value::Map(entries) = &mut root.value
                    && let Some(at) = entries.iter().position(|(k, _)| k.text == "overrides")
                {
                    overrides.read(&entries.remove(at).1, sink);
                }
                merged = Some(match merged {
                    None => root,
                    Some(base) => {
                        if source.form == SourceForm::Spec {
                            check_patches(&base, &root, sink);
                        }
                        merge(base, root)
                    }
                });
            }
            Ok(root) => {
                unreadable = true;
                sink.error(
                    "not-a-mapping",
                    root.pos,
                    format!(
                        "a spec must be a mapping with keys such as `factory:` and `pipelines:`, not {}",
                        root.type_name()
                    ),
                    Some("see docs/spec.md for the layout of a spec".into()),
                );
            }
            Err(error) => {
                unreadable = true;
                sink.error("yaml", error.pos, error.message, error.hint);
            }
        }
    }
    merged.filter(|_| !unreadable)
}

/// An overlay that patches a pipeline no earlier file defines (no `activities`, no full ADF
/// form) is an error: a typo in the name would otherwise deploy an empty pipeline. (The other
/// kinds need a `type`, whose absence is reported anyway.)
fn check_patches(base: &Node, overlay: &Node, sink: &mut Sink<'_>) {
    let kind = adf_core::Kind::Pipeline;
    let Some(section) = kind.spec_key() else {
        return;
    };
    let Some(entries) = overlay.get(section).and_then(Node::as_map) else {
        return;
    };
    let defined: Vec<&str> = base
        .get(section)
        .and_then(Node::as_map)
        .map(|entries| entries.iter().map(|(k, _)| k.text.as_str()).collect())
        .unwrap_or_default();
    for (name, body) in entries {
        let is_patch = body.as_map().is_some()
            && body.get("activities").is_none()
            && body.get("properties").is_none();
        if is_patch && !defined.contains(&name.text.as_str()) {
            let hint = crate::suggest::hint(&name.text, &defined).map_or_else(
                || "define it fully (with `activities`) in this file, or fix the name".to_owned(),
                |suggestion| format!("{suggestion} (or define it fully, with `activities`)"),
            );
            sink.error(
                "patch-of-nothing",
                name.pos,
                format!(
                    "{} `{}` is patched here, but no earlier file defines it",
                    kind.label(),
                    name.text
                ),
                Some(hint),
            );
        }
    }
}
