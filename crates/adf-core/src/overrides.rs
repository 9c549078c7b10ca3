//! What an override rule did to one entity: the record `validate` lists and the plan shows
//! next to the change it explains (the rules themselves are the spec's: `adf_spec`).

use crate::ResourceAddress;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One operation of one rule, applied to one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedOverride {
    /// The entity it changed.
    pub address: ResourceAddress,
    /// `set`, `add` or `remove`.
    pub op: OverrideOp,
    /// The path as the rule wrote it, relative to the entity's `properties`
    /// (`activities[CopySales].policy.timeout`).
    pub path: String,
    /// Where the rule's operation is written: `overlay/prod.yaml:12:7`.
    pub origin: String,
}

/// What an override operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverrideOp {
    /// Replaces a value that exists.
    Set,
    /// Adds a key that does not exist, or appends to (or inserts into) a list.
    Add,
    /// Removes a key or a list element that exists.
    Remove,
}

impl OverrideOp {
    /// `set`, `add` or `remove`: the key a rule writes it with.
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideOp::Set => "set",
            OverrideOp::Add => "add",
            OverrideOp::Remove => "remove",
        }
    }
}

impl fmt::Display for AppliedOverride {
    /// `set activities[CopySales].policy.timeout (overlay/prod.yaml:12:7)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.op.as_str(), self.path, self.origin)
    }
}
