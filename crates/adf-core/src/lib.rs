//! The vocabulary every adfctl crate shares: entity kinds, resource addresses, ARM paths,
//! ADF naming rules, and the desired-state types that the spec produces and the planner reads.
//!
//! Architecture invariant: this crate does no I/O and knows nothing of HTTP, YAML or clocks.

pub mod address;
pub mod desired;
pub mod kind;
pub mod naming;
pub mod overrides;
pub mod path;
pub mod pattern;
pub mod rules;
pub mod run;
pub mod secret;

pub use address::ResourceAddress;
pub use desired::{
    DesiredResource, DesiredState, RuntimeStatePolicy, SecretSlot, TriggerRuntimeState,
};
pub use kind::Kind;
pub use overrides::{AppliedOverride, OverrideOp};
pub use path::FactoryTarget;
pub use pattern::EntityPattern;
pub use run::RunStatus;

/// The Data Factory REST api-version adfctl speaks.
pub const ADF_API_VERSION: &str = "2018-06-01";
/// The Resources (resource groups) api-version adfctl speaks.
pub const RESOURCES_API_VERSION: &str = "2021-04-01";
