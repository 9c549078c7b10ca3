//! Secret-bearing properties of linked services, resolved one way for every store: a plain
//! string, a `SecureString` (`{"type": "SecureString", "value": ...}`), or a Key Vault reference
//! (`{"type": "AzureKeyVaultSecret", "store": {"referenceName": KV, "parameters": {...}},
//! "secretName": NAME, "secretVersion": ...}`), whose value comes from the Key Vault secrets the
//! emulator was configured with ([`crate::KeyVaultSecrets`]), never from Azure.
//!
//! Source of the reference's shape: "Store credential in Azure Key Vault",
//! https://learn.microsoft.com/azure/data-factory/store-credentials-in-key-vault ("Reference
//! secret stored in key vault": `type`, `secretName`, `secretVersion`, `store`), and the
//! PostgreSQL connectors' "Store password in Azure Key Vault" examples.
//!
//! A value is never logged, never put in an error and never recorded: the activity that asked
//! for it is the only reader. `secretVersion` is ignored (one value per secret).

use crate::key_vault::{KeyVaultSecrets, vault_name};
use crate::runtime::context::{ActivityError, Run};
use crate::state::EmulatorState;
use crate::store::Scope;
use adf_core::Kind;
use serde_json::{Map, Value, json};

/// The value of a secret-bearing property of a linked service, in a run: `None` when absent.
/// `what` names the property in errors (`password`, `connectionString`).
pub(crate) fn resolve(
    run: &Run,
    value: Option<&Value>,
    what: &str,
) -> Result<Option<String>, ActivityError> {
    resolve_in(&run.state, Some(&run.scope), value, what)
}

/// [`resolve`] outside a run (test fixtures): the Key Vault linked service is looked up in
/// `scope` when there is one; without one, a vault is known by its linked service's name only.
pub(crate) fn resolve_in(
    state: &EmulatorState,
    scope: Option<&Scope>,
    value: Option<&Value>,
    what: &str,
) -> Result<Option<String>, ActivityError> {
    let object = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => return Ok(Some(s.clone())),
        Some(Value::Number(n)) => return Ok(Some(n.to_string())),
        Some(Value::Object(object)) => object,
        Some(other) => {
            return Err(ActivityError::user(
                "2200",
                format!("{what} is not a string or a secret reference but {other}."),
            ));
        }
    };
    match object.get("type").and_then(Value::as_str) {
        Some("SecureString") => Ok(object
            .get("value")
            .and_then(Value::as_str)
            .map(str::to_owned)),
        Some("AzureKeyVaultSecret") => key_vault_secret(state, scope, object, what).map(Some),
        Some(other) => Err(ActivityError::user(
            "NotSupportedByEmulator",
            format!("not supported by the emulator: {what} of type {other}"),
        )),
        None => Ok(None),
    }
}

/// The text of a property that may be an expression object already evaluated, or a string.
fn plain(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn key_vault_secret(
    state: &EmulatorState,
    scope: Option<&Scope>,
    reference: &Map<String, Value>,
    what: &str,
) -> Result<String, ActivityError> {
    let secret = plain(reference.get("secretName"));
    let store = plain(reference.get("store").and_then(|s| s.get("referenceName")));
    if secret.is_empty() || store.is_empty() {
        return Err(ActivityError::user(
            "2200",
            format!(
                "The Key Vault reference of {what} needs `store.referenceName` and `secretName`."
            ),
        ));
    }
    let vault = match scope {
        Some(scope) => vault_of_linked_service(
            state,
            scope,
            &store,
            reference
                .get("store")
                .and_then(|s| s.get("parameters"))
                .unwrap_or(&Value::Null),
        )?,
        None => String::new(),
    };
    let secrets: &KeyVaultSecrets = &state.config().key_vault_secrets;
    let names: Vec<&str> = [vault.as_str(), store.as_str()]
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect();
    secrets
        .lookup(&names, &secret)
        .map(str::to_owned)
        .ok_or_else(|| {
            let shown = names.first().copied().unwrap_or(store.as_str());
            ActivityError::user(
                "KeyVaultSecretNotConfigured",
                format!(
                    "{what} refers to secret '{secret}' of Key Vault '{shown}' (linked service '{store}'), which the emulator was not given: add it to the file of --key-vault-secrets ({shown}: {{{secret}: ...}}) or set {}",
                    KeyVaultSecrets::environment_variable(shown, &secret)
                ),
            )
        })
}

/// The vault name of a Key Vault linked service (`AzureKeyVault`, `typeProperties.baseUrl`,
/// which may use the linked service's parameters); empty when it cannot be told.
fn vault_of_linked_service(
    state: &EmulatorState,
    scope: &Scope,
    name: &str,
    given: &Value,
) -> Result<String, ActivityError> {
    let service = state
        .with_store(|_, store| store.entity(scope, Kind::LinkedService, name))
        .map_err(|e| ActivityError::system("InternalError", e.to_string()))?
        .map(|row| row.body)
        .ok_or_else(|| {
            ActivityError::user(
                "2200",
                format!("The Key Vault linked service '{name}' does not exist."),
            )
        })?;
    let Some(base_url) = service.pointer("/typeProperties/baseUrl") else {
        return Ok(String::new());
    };
    let mut bindings = adf_expr::Bindings::new(state.config().clock.now());
    let mut parameters = Map::new();
    if let Some(declared) = service.get("parameters").and_then(Value::as_object) {
        for (key, declaration) in declared {
            let value = given
                .get(key)
                .cloned()
                .or_else(|| declaration.get("defaultValue").cloned())
                .unwrap_or(Value::Null);
            parameters.insert(key.clone(), value);
        }
    }
    bindings.linked_service_parameters = parameters;
    let evaluated = adf_expr::evaluate_value(base_url, &bindings).unwrap_or_else(|_| json!(""));
    Ok(vault_name(&plain(Some(&evaluated))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;

    fn state_with(secrets: KeyVaultSecrets) -> (EmulatorState, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = EmulatorConfig::new(dir.path());
        config.run_engine = false;
        config.key_vault_secrets = secrets;
        (EmulatorState::open(config).unwrap(), dir)
    }

    #[test]
    fn plain_secure_and_key_vault_values() {
        let mut secrets = KeyVaultSecrets::new();
        secrets.insert(Some("ls_kv"), "pg-password", "s3cret");
        let (state, _dir) = state_with(secrets);
        let resolve = |value: Value| resolve_in(&state, None, Some(&value), "password");
        assert_eq!(resolve(json!("p")).unwrap().as_deref(), Some("p"));
        assert_eq!(
            resolve(json!({"type": "SecureString", "value": "q"}))
                .unwrap()
                .as_deref(),
            Some("q")
        );
        let reference = json!({
            "type": "AzureKeyVaultSecret",
            "store": {"referenceName": "ls_kv", "type": "LinkedServiceReference"},
            "secretName": "pg-password",
        });
        assert_eq!(resolve(reference).unwrap().as_deref(), Some("s3cret"));
        assert_eq!(resolve_in(&state, None, None, "password").unwrap(), None);
    }

    #[test]
    fn a_missing_secret_is_named_never_a_value() {
        let mut secrets = KeyVaultSecrets::new();
        secrets.insert(Some("ls_kv"), "other", "s3cret");
        let (state, _dir) = state_with(secrets);
        let reference = json!({
            "type": "AzureKeyVaultSecret",
            "store": {"referenceName": "ls_kv", "type": "LinkedServiceReference"},
            "secretName": "pg-password",
        });
        let error = resolve_in(&state, None, Some(&reference), "password").unwrap_err();
        assert_eq!(error.code, "KeyVaultSecretNotConfigured");
        assert!(
            error.message.contains("'pg-password'")
                && error.message.contains("ADFCTL_KV_LS_KV_PG_PASSWORD")
                && !error.message.contains("s3cret"),
            "{}",
            error.message
        );
    }
}
