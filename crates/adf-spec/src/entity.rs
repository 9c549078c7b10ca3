//! One entity as the reader gives it to the checks: its JSON body from the start, with the
//! [`SourceMap`] of where each value in it came from.

use crate::sourcemap::SourceMap;
use crate::yaml::Pos;
use adf_core::{Kind, ResourceAddress, RuntimeStatePolicy, SecretSlot};
use serde_json::Value as Json;

/// One entity as loaded, before the whole-spec checks.
pub(crate) struct Entity {
    pub kind: Kind,
    pub name: String,
    /// The position of the entity's name (its key in the spec).
    pub name_pos: Pos,
    /// The request body: `{"properties": ...}`.
    pub body: Json,
    /// Positions of the values in `body`, by JSON pointer (`/properties/...`).
    pub source_map: SourceMap,
    pub secrets: Vec<SecretSlot>,
    pub runtime_state: Option<RuntimeStatePolicy>,
}

impl Entity {
    /// The entities this one references (`referenceName`s in its body).
    pub fn body_references(&self) -> Vec<ResourceAddress> {
        adf_core::desired::references(&self.body)
    }
}
