//! The ADF checks: what Azure Data Factory would refuse or misread, beyond the keys adfctl
//! owns. Two sets, by what they need:
//!
//! - [`written`]: one entity as written (before `${...}` substitution), on its positioned
//!   tree, while the reader reads it: required `type`s, activities (names, `dependsOn`,
//!   per-pipeline limits), expression syntax, credentials in plain connection strings.
//! - [`whole_spec`]: every entity's JSON, positioned by its
//!   [`SourceMap`](crate::sourcemap::SourceMap): duplicate names, references, reference
//!   cycles and size limits.

mod whole_spec;
mod written;

pub(crate) use whole_spec::spec;
pub(crate) use written::{entity, inline_credentials};

use adf_core::Kind;

/// Above this many candidates, no "did you mean" is computed (it compares with each).
const MAX_SUGGESTION_CANDIDATES: usize = 2_000;

/// The hint for a missing `type`, for the kinds that need one.
pub(crate) fn type_hint(kind: Kind) -> Option<&'static str> {
    if !adf_core::rules::required_properties(kind).contains(&"type") {
        return None;
    }
    match kind {
        Kind::LinkedService => Some("add the connector type, such as `type: AzureBlobStorage`"),
        Kind::Dataset => {
            Some("add the dataset type, such as `type: DelimitedText`, `Binary` or `AzureBlob`")
        }
        Kind::Trigger => Some("add the trigger type, such as `type: ScheduleTrigger`"),
        Kind::IntegrationRuntime => {
            Some("add the runtime type: `type: Managed` or `type: SelfHosted`")
        }
        Kind::DataFlow => Some("add the data flow type, such as `type: MappingDataFlow`"),
        _ => None,
    }
}
