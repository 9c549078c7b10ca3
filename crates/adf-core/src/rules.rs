//! ADF's rules that more than one crate applies: the spec reports them as diagnostics, the
//! emulator as ARM errors, the planner compares by them. Each is stated once, here.

use crate::kind::Kind;

/// The integration runtime every factory has without defining it: references to it need no
/// entity.
pub const AUTO_RESOLVE_INTEGRATION_RUNTIME: &str = "AutoResolveIntegrationRuntime";

/// Whether `name` is [`AUTO_RESOLVE_INTEGRATION_RUNTIME`] (names compare without case).
pub fn is_auto_resolve_integration_runtime(name: &str) -> bool {
    crate::naming::same_name(name, AUTO_RESOLVE_INTEGRATION_RUNTIME)
}

/// Global parameter types as ARM documents them. ARM accepts them in any case: ADF Studio and
/// ADF's publish write them in lower case (`string`, `int`, …; ARM-FACTS §12), and the official
/// `GlobalParameters_Create` example answers `int` with `Int`.
pub const GLOBAL_PARAMETER_TYPES: [&str; 6] = ["String", "Int", "Float", "Bool", "Array", "Object"];

/// The documented spelling of a global parameter type written in any case; `None` when it is
/// no type ADF knows.
pub fn global_parameter_type(text: &str) -> Option<&'static str> {
    GLOBAL_PARAMETER_TYPES
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(text))
}

/// The largest object ADF documents for an entity of `kind`, in bytes of its JSON
/// (learn.microsoft.com, "Azure Data Factory limits": 200 KB per pipeline, 100 KB per dataset
/// or linked service); `None` for the kinds the page gives no limit.
pub fn max_object_bytes(kind: Kind) -> Option<usize> {
    match kind {
        Kind::Pipeline => Some(200 * 1024),
        Kind::Dataset | Kind::LinkedService => Some(100 * 1024),
        _ => None,
    }
}

/// The properties an entity of `kind` must have (the swagger's `required`, beyond the
/// name): `type` for every child kind but pipelines, global parameters and the managed
/// network kinds and change data capture, and a dataset's `linkedServiceName`.
pub fn required_properties(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::ResourceGroup
        | Kind::Factory
        | Kind::Pipeline
        | Kind::GlobalParameters
        | Kind::ManagedVirtualNetwork
        | Kind::ManagedPrivateEndpoint
        // The swagger requires `sourceConnectionsInfo`, `targetConnectionsInfo` and `policy`,
        // but ADF's own example writes them capitalised (`SourceConnectionsInfo`) and the
        // service accepts that, so no spelling is required here.
        | Kind::ChangeDataCapture => &[],
        Kind::Dataset => &["type", "linkedServiceName"],
        Kind::IntegrationRuntime
        | Kind::LinkedService
        | Kind::DataFlow
        | Kind::Trigger
        | Kind::Credential => &["type"],
    }
}

/// At most this many entities per factory (the same limits page).
pub const MAX_ENTITIES_PER_FACTORY: usize = 5_000;

/// A location as ARM compares it: `East US` is `eastus` (no case, no spaces).
pub fn location(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_compare_as_adf_does() {
        assert!(is_auto_resolve_integration_runtime(
            "autoresolveintegrationruntime"
        ));
        assert_eq!(global_parameter_type("int"), Some("Int"));
        assert_eq!(global_parameter_type("OBJECT"), Some("Object"));
        assert_eq!(global_parameter_type("strng"), None);
        assert_eq!(location("East US 2"), "eastus2");
        assert_eq!(max_object_bytes(Kind::LinkedService), Some(102_400));
        assert_eq!(max_object_bytes(Kind::Trigger), None);
        assert_eq!(
            required_properties(Kind::Dataset),
            ["type", "linkedServiceName"]
        );
        assert!(required_properties(Kind::Pipeline).is_empty());
    }
}
