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
//! Architecture invariant: a pure function of its inputs. The files' text and the environment
//! are passed in; this crate never reads the process environment, files or the clock.

mod convert;
mod diagnostic;
mod emit;
pub mod export;
mod interpolate;
pub mod limits;
mod load;
mod merge;
mod refs;
pub mod schema;
mod sink;
mod studio;
mod suggest;
mod yaml;

pub use diagnostic::{Diagnostic, Severity, render_plain};
pub use load::{
    FACTORY_KEYS, LoadOptions, Loaded, RESOURCE_GROUP_KEYS, SourceForm, SpecSource, load, summary,
    top_level_keys,
};
pub use studio::StudioFolder;
