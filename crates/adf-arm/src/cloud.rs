//! Azure clouds: the ARM endpoint, the Entra ID authority host and the token scope of each.

use std::fmt;
use std::str::FromStr;

/// An Azure cloud. Each has its own ARM endpoint, Entra ID authority host and token audience.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// Azure public cloud (`management.azure.com`).
    #[default]
    Public,
    /// Azure operated by 21Vianet in China (`management.chinacloudapi.cn`).
    China,
    /// Azure US Government (`management.usgovcloudapi.net`).
    UsGovernment,
}

impl Cloud {
    /// All clouds, in a stable order.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::China, Cloud::UsGovernment];

    /// The ARM endpoint, e.g. `https://management.azure.com`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::China => "https://management.chinacloudapi.cn",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net",
        }
    }

    /// The Entra ID (AAD) authority host, e.g. `https://login.microsoftonline.com`.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::China => "https://login.chinacloudapi.cn",
            Cloud::UsGovernment => "https://login.microsoftonline.us",
        }
    }

    /// The OAuth2 scope for ARM tokens, e.g. `https://management.azure.com/.default`.
    pub fn token_scope(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/.default",
            Cloud::China => "https://management.chinacloudapi.cn/.default",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net/.default",
        }
    }

    /// The name accepted by [`Cloud::from_str`] (`public`, `china`, `usgovernment`).
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::China => "china",
            Cloud::UsGovernment => "usgovernment",
        }
    }

    pub(crate) fn azure_configuration(self) -> azure_core::cloud::CloudConfiguration {
        use azure_core::cloud::CloudConfiguration;
        match self {
            Cloud::Public => CloudConfiguration::AzurePublic,
            Cloud::China => CloudConfiguration::AzureChina,
            Cloud::UsGovernment => CloudConfiguration::AzureGovernment,
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown cloud name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Azure cloud '{0}'; expected one of: public, china, usgovernment")]
pub struct UnknownCloud(pub String);

impl FromStr for Cloud {
    type Err = UnknownCloud;

    /// Accepts the short names and the names the Azure CLI uses (`AzureCloud`,
    /// `AzureChinaCloud`, `AzureUSGovernment`), case-insensitively.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "public" | "azurecloud" | "azurepublic" | "azurepubliccloud" => Ok(Cloud::Public),
            "china" | "azurechinacloud" | "azurechina" => Ok(Cloud::China),
            "usgovernment" | "usgov" | "azureusgovernment" | "azuregovernment" => {
                Ok(Cloud::UsGovernment)
            }
            _ => Err(UnknownCloud(text.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_is_https_and_parses_back_from_its_name() {
        for cloud in Cloud::ALL {
            assert!(cloud.endpoint().starts_with("https://"));
            assert!(cloud.authority_host().starts_with("https://"));
            assert!(cloud.token_scope().starts_with(cloud.endpoint()));
            assert!(cloud.token_scope().ends_with("/.default"));
            assert_eq!(cloud.name().parse::<Cloud>(), Ok(cloud));
        }
        assert_eq!(
            "AzureUSGovernment".parse::<Cloud>(),
            Ok(Cloud::UsGovernment)
        );
        assert_eq!("AzureChinaCloud".parse::<Cloud>(), Ok(Cloud::China));
        assert!("mars".parse::<Cloud>().is_err());
    }
}
