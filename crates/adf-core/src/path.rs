//! ARM paths of the resources adfctl manages.

use crate::kind::Kind;
use crate::{ADF_API_VERSION, RESOURCES_API_VERSION};
use serde::{Deserialize, Serialize};

/// The factory a spec targets: subscription, resource group and factory name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactoryTarget {
    /// Subscription id.
    pub subscription: String,
    /// Resource group name.
    pub resource_group: String,
    /// Factory name.
    pub factory: String,
}

impl FactoryTarget {
    /// `/subscriptions/{sub}`
    pub fn subscription_path(&self) -> String {
        format!("/subscriptions/{}", self.subscription)
    }

    /// `/subscriptions/{sub}/resourcegroups/{rg}`
    pub fn resource_group_path(&self) -> String {
        format!(
            "{}/resourcegroups/{}",
            self.subscription_path(),
            self.resource_group
        )
    }

    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataFactory/factories/{f}`
    pub fn factory_path(&self) -> String {
        format!(
            "{}/resourceGroups/{}/providers/Microsoft.DataFactory/factories/{}",
            self.subscription_path(),
            self.resource_group,
            self.factory
        )
    }

    /// The collection path of a child kind (`…/factories/{f}/pipelines`).
    /// `None` for the resource group and the factory.
    pub fn collection_path(&self, kind: Kind) -> Option<String> {
        Some(format!("{}/{}", self.factory_path(), kind.arm_segment()?))
    }

    /// The ARM path of any resource of this target. For the resource group and the factory the
    /// name is ignored (the target names them).
    pub fn resource_path(&self, kind: Kind, name: &str) -> String {
        match kind {
            Kind::ResourceGroup => self.resource_group_path(),
            Kind::Factory => self.factory_path(),
            _ => format!(
                "{}/{}/{}",
                self.factory_path(),
                kind.arm_segment().unwrap_or_default(),
                name
            ),
        }
    }
}

/// The api-version to send for requests about `kind`.
pub fn api_version(kind: Kind) -> &'static str {
    match kind {
        Kind::ResourceGroup => RESOURCES_API_VERSION,
        _ => ADF_API_VERSION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_swagger() {
        let target = FactoryTarget {
            subscription: "sub".into(),
            resource_group: "rg".into(),
            factory: "f".into(),
        };
        assert_eq!(
            target.resource_group_path(),
            "/subscriptions/sub/resourcegroups/rg"
        );
        assert_eq!(
            target.resource_path(Kind::LinkedService, "ls"),
            "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f/linkedservices/ls"
        );
        assert_eq!(
            target.collection_path(Kind::IntegrationRuntime).as_deref(),
            Some(
                "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f/integrationRuntimes"
            )
        );
        assert_eq!(target.collection_path(Kind::Factory), None);
        assert_eq!(api_version(Kind::ResourceGroup), RESOURCES_API_VERSION);
    }
}
