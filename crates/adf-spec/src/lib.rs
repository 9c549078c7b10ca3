//! The spec language: YAML files to a validated [`adf_core::DesiredState`], with every
//! diagnostic at once.
//!
//! ```
//! use adf_spec::{load, LoadOptions, SpecSource};
//! let spec = "subscription: 00000000-0000-0000-0000-000000000000
//! resourceGroup: {name: rg, location: eastus}
//! factory: {name: my-factory, location: eastus}
//! pipelines:
//!   hello:
//!     activities:
//!     - {name: wait, type: Wait, typeProperties: {waitTimeInSeconds: 1}}
//! ";
//! let loaded = load(&[SpecSource::new("spec.yaml", spec)], &LoadOptions::default()).unwrap();
//! assert_eq!(adf_spec::summary(&loaded.desired), "1 resource group, 1 factory, 1 pipeline");
//! ```
//!
//! # The loader, in three parts
//!
//! [`load()`] (module `load`) only orchestrates:
//!
//! 1. **Inputs** (`source`): [`SpecSource`] (a YAML spec, an ADF Studio JSON file or a
//!    factory's ARM template (module [`arm`]) and its parameters file, see
//!    [`SourceForm`]), [`LoadOptions`] (environment and `--var`s) and the output [`Loaded`].
//!    Each file is parsed into a positioned tree (`yaml`, or `studio` for Studio JSON) and the
//!    trees are merged in order (`merge`).
//! 2. **The reader of adfctl's own keys** (`reader`): the top level, `vars`, `subscription`,
//!    `resourceGroup`, `factory` (with `globalParameters`) and the entity sections with their
//!    wrappers. Short references are expanded on the tree (`refs`); then each entity's body
//!    becomes JSON (`convert`: `${...}` substitution, `secretFromEnv`, secret slots) while a
//!    source map (`sourcemap`) records the position of every value by JSON pointer. An entity
//!    (`entity`) is its JSON body and its source map; the tree is not kept (the reader consumes
//!    it, dropping each entity's nodes once the entity is converted).
//! 3. **The ADF checks** (`checks`): those of one entity as written (required types,
//!    activities, expression syntax, inline credentials) run on its tree while it is read, so
//!    that they see the text before substitution; those of the whole spec (duplicate names,
//!    references, cycles, size limits) run on the entities' JSON and take positions from the
//!    source maps.
//!
//! Every diagnostic goes to one sink (`sink`) that sorts them by file, line and column.
//! Besides loading: [`schema`] (the JSON schema of a spec) and [`export`] (a live factory
//! back to spec files).
//!
//! Architecture invariant: a pure function of its inputs. The files' text and the environment
//! are passed in; this crate never reads the process environment, files or the clock.

pub mod arm;
mod checks;
mod convert;
mod diagnostic;
mod emit;
mod entity;
pub mod export;
mod export_arm;
mod interpolate;
pub mod limits;
mod load;
mod merge;
mod overrides;
mod reader;
mod refs;
pub mod schema;
mod sink;
mod source;
mod sourcemap;
mod studio;
pub mod suggest;
mod yaml;

pub use diagnostic::{Diagnostic, Severity, render_plain};
pub use load::load;
pub use reader::{FACTORY_KEYS, RESOURCE_GROUP_KEYS, top_level_keys};
pub use source::{
    LoadOptions, Loaded, OverrideReport, SourceForm, SpecSource, ValidationReport, summary,
};
pub use studio::StudioFolder;
