//! The kinds of resource adfctl manages.

use serde::{Deserialize, Serialize};

/// A kind of resource: the resource group, the factory, or one of the factory's child entities.
///
/// The declaration order is the default apply order (a kind may only reference kinds declared
/// before it, except pipelines and linked services, which may reference their own kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// `Microsoft.Resources/resourceGroups`
    ResourceGroup,
    /// `Microsoft.DataFactory/factories`
    Factory,
    /// `…/factories/globalParameters` (a single entity named `default`)
    GlobalParameters,
    /// `…/factories/managedVirtualNetworks` (ADF allows one, named `default`)
    ManagedVirtualNetwork,
    /// `…/factories/managedVirtualNetworks/default/managedPrivateEndpoints`: always under the
    /// factory's one managed virtual network, `default`, so the name alone identifies one.
    ManagedPrivateEndpoint,
    /// `…/factories/credentials` (user-assigned managed identities linked services use)
    Credential,
    /// `…/factories/integrationRuntimes`
    IntegrationRuntime,
    /// `…/factories/linkedservices`
    LinkedService,
    /// `…/factories/datasets`
    Dataset,
    /// `…/factories/dataflows`
    DataFlow,
    /// `…/factories/pipelines`
    Pipeline,
    /// `…/factories/adfcdcs` (change data capture)
    ChangeDataCapture,
    /// `…/factories/triggers`
    Trigger,
}

/// The URL segment of the managed private endpoints' collection under a factory: always the
/// factory's one managed virtual network, `default` (ADF allows no other).
pub const MANAGED_PRIVATE_ENDPOINTS_SEGMENT: &str =
    "managedVirtualNetworks/default/managedPrivateEndpoints";

/// The name of a factory's one managed virtual network.
pub const MANAGED_VIRTUAL_NETWORK_NAME: &str = "default";

impl Kind {
    /// Every kind, in default apply order.
    pub const ALL: [Kind; 13] = [
        Kind::ResourceGroup,
        Kind::Factory,
        Kind::GlobalParameters,
        Kind::ManagedVirtualNetwork,
        Kind::ManagedPrivateEndpoint,
        Kind::Credential,
        Kind::IntegrationRuntime,
        Kind::LinkedService,
        Kind::Dataset,
        Kind::DataFlow,
        Kind::Pipeline,
        Kind::ChangeDataCapture,
        Kind::Trigger,
    ];

    /// The factory's child entity kinds, in default apply order.
    pub const CHILDREN: [Kind; 11] = [
        Kind::GlobalParameters,
        Kind::ManagedVirtualNetwork,
        Kind::ManagedPrivateEndpoint,
        Kind::Credential,
        Kind::IntegrationRuntime,
        Kind::LinkedService,
        Kind::Dataset,
        Kind::DataFlow,
        Kind::Pipeline,
        Kind::ChangeDataCapture,
        Kind::Trigger,
    ];

    /// The kinds a spec defines as maps of entities (`linkedServices: {name: …}`), in the
    /// order a spec lists them.
    pub const ENTITIES: [Kind; 10] = [
        Kind::LinkedService,
        Kind::Dataset,
        Kind::Pipeline,
        Kind::Trigger,
        Kind::DataFlow,
        Kind::IntegrationRuntime,
        Kind::ManagedVirtualNetwork,
        Kind::ManagedPrivateEndpoint,
        Kind::Credential,
        Kind::ChangeDataCapture,
    ];

    /// The prefix of this kind's addresses, as in `pipeline/copyPipeline`.
    pub fn address_prefix(self) -> &'static str {
        match self {
            Kind::ResourceGroup => "resourceGroup",
            Kind::Factory => "factory",
            Kind::GlobalParameters => "globalParameters",
            Kind::ManagedVirtualNetwork => "managedVirtualNetwork",
            Kind::ManagedPrivateEndpoint => "managedPrivateEndpoint",
            Kind::Credential => "credential",
            Kind::ChangeDataCapture => "changeDataCapture",
            Kind::IntegrationRuntime => "integrationRuntime",
            Kind::LinkedService => "linkedService",
            Kind::Dataset => "dataset",
            Kind::DataFlow => "dataFlow",
            Kind::Pipeline => "pipeline",
            Kind::Trigger => "trigger",
        }
    }

    /// Parses an address prefix (case-insensitive).
    pub fn from_address_prefix(prefix: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.address_prefix().eq_ignore_ascii_case(prefix))
    }

    /// The top-level key of the spec that holds entities of this kind, if any.
    pub fn spec_key(self) -> Option<&'static str> {
        match self {
            Kind::ResourceGroup => Some("resourceGroup"),
            Kind::Factory => Some("factory"),
            Kind::GlobalParameters => None,
            Kind::ManagedVirtualNetwork => Some("managedVirtualNetworks"),
            Kind::ManagedPrivateEndpoint => Some("managedPrivateEndpoints"),
            Kind::Credential => Some("credentials"),
            Kind::ChangeDataCapture => Some("changeDataCaptures"),
            Kind::IntegrationRuntime => Some("integrationRuntimes"),
            Kind::LinkedService => Some("linkedServices"),
            Kind::Dataset => Some("datasets"),
            Kind::DataFlow => Some("dataFlows"),
            Kind::Pipeline => Some("pipelines"),
            Kind::Trigger => Some("triggers"),
        }
    }

    /// The URL segment of this kind's collection under a factory, as the swagger spells it.
    /// `None` for the resource group and the factory itself.
    pub fn arm_segment(self) -> Option<&'static str> {
        match self {
            Kind::ResourceGroup | Kind::Factory => None,
            Kind::GlobalParameters => Some("globalParameters"),
            Kind::ManagedVirtualNetwork => Some("managedVirtualNetworks"),
            // One managed VNet per factory, `default`: its endpoints' collection is a fixed path.
            Kind::ManagedPrivateEndpoint => Some(MANAGED_PRIVATE_ENDPOINTS_SEGMENT),
            Kind::Credential => Some("credentials"),
            Kind::ChangeDataCapture => Some("adfcdcs"),
            Kind::IntegrationRuntime => Some("integrationRuntimes"),
            Kind::LinkedService => Some("linkedservices"),
            Kind::Dataset => Some("datasets"),
            Kind::DataFlow => Some("dataflows"),
            Kind::Pipeline => Some("pipelines"),
            Kind::Trigger => Some("triggers"),
        }
    }

    /// Finds the child kind whose URL segment is `segment` (case-insensitive, as ARM routes).
    pub fn from_arm_segment(segment: &str) -> Option<Kind> {
        Kind::CHILDREN.into_iter().find(|k| {
            k.arm_segment()
                .is_some_and(|s| s.eq_ignore_ascii_case(segment))
        })
    }

    /// The ARM resource `type` string the service returns for this kind.
    pub fn arm_type(self) -> &'static str {
        match self {
            Kind::ResourceGroup => "Microsoft.Resources/resourceGroups",
            Kind::Factory => "Microsoft.DataFactory/factories",
            Kind::GlobalParameters => "Microsoft.DataFactory/factories/globalParameters",
            Kind::ManagedVirtualNetwork => "Microsoft.DataFactory/factories/managedVirtualNetworks",
            Kind::ManagedPrivateEndpoint => {
                "Microsoft.DataFactory/factories/managedVirtualNetworks/managedPrivateEndpoints"
            }
            Kind::Credential => "Microsoft.DataFactory/factories/credentials",
            Kind::ChangeDataCapture => "Microsoft.DataFactory/factories/adfcdcs",
            Kind::IntegrationRuntime => "Microsoft.DataFactory/factories/integrationruntimes",
            Kind::LinkedService => "Microsoft.DataFactory/factories/linkedservices",
            Kind::Dataset => "Microsoft.DataFactory/factories/datasets",
            Kind::DataFlow => "Microsoft.DataFactory/factories/dataflows",
            Kind::Pipeline => "Microsoft.DataFactory/factories/pipelines",
            Kind::Trigger => "Microsoft.DataFactory/factories/triggers",
        }
    }

    /// The `type` ADF expects in a `{referenceName, type}` reference to this kind, if any.
    pub fn reference_type(self) -> Option<&'static str> {
        match self {
            Kind::ManagedVirtualNetwork => Some("ManagedVirtualNetworkReference"),
            Kind::Credential => Some("CredentialReference"),
            Kind::IntegrationRuntime => Some("IntegrationRuntimeReference"),
            Kind::LinkedService => Some("LinkedServiceReference"),
            Kind::Dataset => Some("DatasetReference"),
            Kind::DataFlow => Some("DataFlowReference"),
            Kind::Pipeline => Some("PipelineReference"),
            Kind::Trigger => Some("TriggerReference"),
            _ => None,
        }
    }

    /// Finds the kind a reference `type` such as `DatasetReference` points at.
    pub fn from_reference_type(reference_type: &str) -> Option<Kind> {
        Kind::CHILDREN
            .into_iter()
            .find(|k| k.reference_type() == Some(reference_type))
    }

    /// Whether this kind lives under a factory.
    pub fn is_factory_child(self) -> bool {
        !matches!(self, Kind::ResourceGroup | Kind::Factory)
    }

    /// The folder of an ADF Studio git repository that holds this kind's entities, one JSON
    /// file each (`linkedService/ls.json`); the factory's is `factory/`.
    pub fn studio_folder(self) -> Option<&'static str> {
        match self {
            Kind::ResourceGroup => None,
            Kind::Factory => Some("factory"),
            Kind::GlobalParameters => Some("globalParameters"),
            Kind::ManagedVirtualNetwork => Some("managedVirtualNetwork"),
            Kind::ManagedPrivateEndpoint => {
                Some("managedVirtualNetwork/default/managedPrivateEndpoint")
            }
            Kind::Credential => Some("credential"),
            Kind::ChangeDataCapture => Some("adfcdc"),
            Kind::IntegrationRuntime => Some("integrationRuntime"),
            Kind::LinkedService => Some("linkedService"),
            Kind::Dataset => Some("dataset"),
            Kind::DataFlow => Some("dataflow"),
            Kind::Pipeline => Some("pipeline"),
            Kind::Trigger => Some("trigger"),
        }
    }

    /// A human label, plural (`linked services`; `global parameters` counts parameters).
    pub fn plural_label(self) -> &'static str {
        match self {
            Kind::ResourceGroup => "resource groups",
            Kind::Factory => "factories",
            Kind::GlobalParameters => "global parameters",
            Kind::ManagedVirtualNetwork => "managed virtual networks",
            Kind::ManagedPrivateEndpoint => "managed private endpoints",
            Kind::Credential => "credentials",
            Kind::ChangeDataCapture => "change data captures",
            Kind::IntegrationRuntime => "integration runtimes",
            Kind::LinkedService => "linked services",
            Kind::Dataset => "datasets",
            Kind::DataFlow => "data flows",
            Kind::Pipeline => "pipelines",
            Kind::Trigger => "triggers",
        }
    }

    /// A human label, singular (`linked service`).
    pub fn label(self) -> &'static str {
        match self {
            Kind::ResourceGroup => "resource group",
            Kind::Factory => "factory",
            Kind::GlobalParameters => "global parameters",
            Kind::ManagedVirtualNetwork => "managed virtual network",
            Kind::ManagedPrivateEndpoint => "managed private endpoint",
            Kind::Credential => "credential",
            Kind::ChangeDataCapture => "change data capture",
            Kind::IntegrationRuntime => "integration runtime",
            Kind::LinkedService => "linked service",
            Kind::Dataset => "dataset",
            Kind::DataFlow => "data flow",
            Kind::Pipeline => "pipeline",
            Kind::Trigger => "trigger",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.address_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_prefixes_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_address_prefix(kind.address_prefix()), Some(kind));
            if let Some(segment) = kind.arm_segment() {
                assert_eq!(Kind::from_arm_segment(segment), Some(kind));
                assert_eq!(Kind::from_arm_segment(&segment.to_uppercase()), Some(kind));
            }
            if let Some(reference) = kind.reference_type() {
                assert_eq!(Kind::from_reference_type(reference), Some(kind));
            }
        }
    }
}
