//! Key Vault secrets for the run engine, configured by the caller: linked services that reference
//! `{"type": "AzureKeyVaultSecret", "store": {"referenceName": KV_LINKED_SERVICE}, "secretName":
//! NAME}` get their value from here, never from Azure.
//!
//! One scheme, two sources, looked up in this order:
//! 1. the environment the caller hands over (the CLI passes its own): `ADFCTL_KV_<VAULT>_<SECRET>`,
//!    VAULT and SECRET upper-cased with every character other than a letter or a digit made `_`
//!    (vault `kv-sales-dev`, secret `pg-password`: `ADFCTL_KV_KV_SALES_DEV_PG_PASSWORD`);
//! 2. a document (the CLI reads it from `--key-vault-secrets FILE`, JSON or YAML): a map whose
//!    keys are vaults, each a map of secret names to values, or secret names with a value
//!    directly, for any vault: `{"kv-sales-dev": {"pg-password": "..."}, "api-key": "..."}`.
//!
//! A vault is named by its vault name (the first label of the Key Vault linked service's
//! `baseUrl`, `https://kv-sales-dev.vault.azure.net/`) or by that linked service's name; both are
//! tried, vault name first. Vault and secret names compare without case, as Key Vault's do.
//!
//! Values never leave this type except to the activity that asked for them: its `Debug` shows
//! counts, and errors name the vault and the secret, never a value.

use std::collections::BTreeMap;

/// Environment variables of this prefix carry Key Vault secrets.
pub const KEY_VAULT_ENV_PREFIX: &str = "ADFCTL_KV_";

/// Key Vault secrets the emulator may hand to linked services.
#[derive(Clone, Default)]
pub struct KeyVaultSecrets {
    /// (folded vault, folded secret) → value; the vault is empty for "any vault".
    entries: BTreeMap<(String, String), String>,
    /// `ADFCTL_KV_*` variable → value.
    environment: BTreeMap<String, String>,
}

impl std::fmt::Debug for KeyVaultSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVaultSecrets")
            .field("configured", &self.entries.len())
            .field("from_environment", &self.environment.len())
            .finish()
    }
}

impl KeyVaultSecrets {
    /// No secret at all (every Key Vault reference fails, naming the secret).
    pub fn new() -> Self {
        KeyVaultSecrets::default()
    }

    /// Reads a document: `{VAULT: {SECRET: VALUE}}` and/or `{SECRET: VALUE}` (any vault).
    /// Values are strings (numbers and booleans are taken as their text). Errors name the key,
    /// never a value.
    pub fn from_document(document: &serde_json::Value) -> Result<Self, String> {
        use serde_json::Value;
        let mut secrets = KeyVaultSecrets::new();
        let Some(top) = document.as_object() else {
            return Err(
                "the Key Vault secrets must be a map: vault → {secret → value}, or secret → value"
                    .into(),
            );
        };
        let scalar = |value: &Value| match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        for (key, value) in top {
            if let Some(text) = scalar(value) {
                secrets.insert(None, key, text);
                continue;
            }
            let Some(vault) = value.as_object() else {
                return Err(format!(
                    "`{key}`: expected a secret's value (a string) or a vault (a map of secret names to values)"
                ));
            };
            for (secret, value) in vault {
                let text = scalar(value).ok_or_else(|| {
                    format!("`{key}.{secret}`: a secret's value must be a string")
                })?;
                secrets.insert(Some(key), secret, text);
            }
        }
        Ok(secrets)
    }

    /// Adds the `ADFCTL_KV_*` variables among `variables` (others are ignored); they take
    /// precedence over the document's entries.
    pub fn with_environment(
        mut self,
        variables: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        for (name, value) in variables {
            if name.starts_with(KEY_VAULT_ENV_PREFIX) {
                self.environment.insert(name, value);
            }
        }
        self
    }

    /// Sets one secret, of one vault or (`None`) of any vault.
    pub fn insert(&mut self, vault: Option<&str>, secret: &str, value: impl Into<String>) {
        self.entries.insert(
            (
                vault.map(str::to_lowercase).unwrap_or_default(),
                secret.to_lowercase(),
            ),
            value.into(),
        );
    }

    /// Whether no secret is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.environment.is_empty()
    }

    /// The environment variable that holds `secret` of `vault`:
    /// `ADFCTL_KV_<VAULT>_<SECRET>`.
    pub fn environment_variable(vault: &str, secret: &str) -> String {
        let part = |text: &str| -> String {
            text.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        format!("{KEY_VAULT_ENV_PREFIX}{}_{}", part(vault), part(secret))
    }

    /// The value of `secret` in the first of `vaults` (names the vault may go by) that has it,
    /// the environment first, then the document's vaults, then its secrets of any vault.
    pub fn lookup(&self, vaults: &[&str], secret: &str) -> Option<&str> {
        let vaults: Vec<&str> = vaults.iter().copied().filter(|v| !v.is_empty()).collect();
        for vault in &vaults {
            if let Some(value) = self
                .environment
                .get(&Self::environment_variable(vault, secret))
            {
                return Some(value);
            }
        }
        let secret = secret.to_lowercase();
        for vault in &vaults {
            if let Some(value) = self.entries.get(&(vault.to_lowercase(), secret.clone())) {
                return Some(value);
            }
        }
        self.entries
            .get(&(String::new(), secret))
            .map(String::as_str)
    }
}

/// The vault name of a Key Vault `baseUrl`: the first label of its host
/// (`https://kv-sales.vault.azure.net/` → `kv-sales`); empty when there is none.
pub(crate) fn vault_name(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let host = rest.split(['/', ':', '?']).next().unwrap_or_default();
    host.split('.').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_name_vaults_or_any_vault() {
        let secrets = KeyVaultSecrets::from_document(&json!({
            "kv-sales-dev": {"pg-password": "p1", "Port": 5432},
            "api-key": "k",
        }))
        .unwrap();
        assert_eq!(secrets.lookup(&["kv-sales-dev"], "pg-password"), Some("p1"));
        assert_eq!(secrets.lookup(&["KV-Sales-Dev"], "PG-PASSWORD"), Some("p1"));
        assert_eq!(secrets.lookup(&["kv-sales-dev"], "port"), Some("5432"));
        // A secret of any vault.
        assert_eq!(secrets.lookup(&["other"], "api-key"), Some("k"));
        // The second name a vault goes by (its linked service's).
        assert_eq!(
            secrets.lookup(&["unknown", "kv-sales-dev"], "pg-password"),
            Some("p1")
        );
        assert_eq!(secrets.lookup(&["other"], "pg-password"), None);
    }

    #[test]
    fn the_environment_wins() {
        let secrets = KeyVaultSecrets::from_document(&json!({"kv-a": {"s": "file"}}))
            .unwrap()
            .with_environment([
                ("ADFCTL_KV_KV_A_S".to_owned(), "env".to_owned()),
                ("HOME".to_owned(), "/root".to_owned()),
            ]);
        assert_eq!(secrets.lookup(&["kv-a"], "s"), Some("env"));
        assert_eq!(
            KeyVaultSecrets::environment_variable("kv-sales.dev", "pg-password"),
            "ADFCTL_KV_KV_SALES_DEV_PG_PASSWORD"
        );
        assert!(!format!("{secrets:?}").contains("env\""));
        assert!(!format!("{secrets:?}").contains("file"));
    }

    #[test]
    fn bad_documents_name_the_key_not_the_value() {
        let error = KeyVaultSecrets::from_document(&json!({"kv": {"s": ["hunter2"]}})).unwrap_err();
        assert!(
            error.contains("kv.s") && !error.contains("hunter2"),
            "{error}"
        );
        assert!(KeyVaultSecrets::from_document(&json!(["x"])).is_err());
    }

    #[test]
    fn vault_names() {
        assert_eq!(vault_name("https://kv-sales.vault.azure.net/"), "kv-sales");
        assert_eq!(vault_name("https://kv.vault.azure.cn"), "kv");
        assert_eq!(vault_name(""), "");
    }
}
