//! A live factory to the ARM template ADF's publish writes (`adfctl export --format arm`):
//! `ARMTemplateForFactory.json` and `ARMTemplateParametersForFactory.json`, for teams whose
//! policy requires ARM deployments. What [`crate::arm`] reads back.
//!
//! - the factory's name is the parameter `factoryName` (default: the exported factory); each
//!   child is named `[concat(parameters('factoryName'), '/NAME')]`;
//! - every `SecureString`'s value (ARM masks them) is a `secureString` parameter, empty in the
//!   parameters file, as ADF's publish leaves it;
//! - `dependsOn` lists the factory and the entities each body references;
//! - strings that start with `[` are written `[[`, so ARM reads them as text.

use crate::arm::{PARAMETERS_FILE, TEMPLATE_FILE};
use crate::export::{ExportInput, SecretVariable};
use adf_core::secret::secure_string_pointers;
use adf_core::{Kind, ResourceAddress, TriggerRuntimeState};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The API version of Data Factory's resources, as ADF's publish writes it.
const API_VERSION: &str = "2018-06-01";

/// The template and its parameters file: `(file name, JSON text)` each, and the secure-string
/// parameters to give values to in the parameters file before deploying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmExported {
    /// `ARMTemplateForFactory.json` and `ARMTemplateParametersForFactory.json`.
    pub files: Vec<(String, String)>,
    /// Each secure-string parameter: its name (in `name`), the entity and where its value goes.
    pub parameters: Vec<SecretVariable>,
}

/// `[concat(parameters('factoryName'), '/NAME')]`, quotes doubled as ARM's strings need.
fn child_name(kind: Kind, name: &str) -> String {
    let name = name.replace('\'', "''");
    let path = if kind == Kind::ManagedPrivateEndpoint {
        format!("{}/{name}", adf_core::kind::MANAGED_VIRTUAL_NETWORK_NAME)
    } else {
        name
    };
    format!("[concat(parameters('factoryName'), '/{path}')]")
}

/// `[concat(variables('factoryId'), '/SEGMENT/NAME')]`, as ADF's publish writes `dependsOn`.
fn dependency(address: &ResourceAddress) -> Option<String> {
    let segment = address.kind.arm_segment()?;
    Some(format!(
        "[concat(variables('factoryId'), '/{segment}/{}')]",
        address.name.replace('\'', "''")
    ))
}

/// Writes `[[` for every string that starts with `[`: ARM would read it as an expression.
fn escape_brackets(value: &mut Value) {
    match value {
        Value::String(text) if text.starts_with('[') => text.insert(0, '['),
        Value::Object(map) => map.values_mut().for_each(escape_brackets),
        Value::Array(items) => items.iter_mut().for_each(escape_brackets),
        _ => {}
    }
}

/// A parameter name ARM accepts: letters, digits and `_`.
fn parameter_token(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The template and parameters file of `input`'s factory.
pub fn export_arm(input: &ExportInput) -> ArmExported {
    let mut parameters = Map::new();
    parameters.insert(
        "factoryName".into(),
        json!({"type": "string", "metadata": "Data Factory name", "defaultValue": input.target.factory}),
    );
    let mut parameter_values = Map::new();
    parameter_values.insert("factoryName".into(), json!({"value": input.target.factory}));
    let mut secure = Vec::new();
    let mut used = BTreeSet::new();

    let mut entities: Vec<_> = input
        .entities
        .iter()
        .filter(|e| e.kind.is_factory_child())
        .collect();
    entities.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    let exported: BTreeSet<ResourceAddress> = entities
        .iter()
        .map(|e| ResourceAddress::new(e.kind, &e.name))
        .collect();

    let mut factory = Map::new();
    factory.insert("name".into(), json!("[parameters('factoryName')]"));
    factory.insert("type".into(), json!(Kind::Factory.arm_type()));
    factory.insert("apiVersion".into(), json!(API_VERSION));
    for key in ["location", "tags", "identity"] {
        if let Some(value) = input.factory.get(key).filter(|v| !v.is_null()) {
            factory.insert(key.into(), value.clone());
        }
    }
    if let Some(Value::Object(properties)) = input.factory.get("properties") {
        let mut rest = properties.clone();
        // Global parameters are their own resource; the git link is the development factory's.
        rest.remove("globalParameters");
        rest.remove("repoConfiguration");
        if !rest.is_empty() {
            factory.insert("properties".into(), Value::Object(rest));
        }
    }
    let mut factory = Value::Object(factory);
    escape_brackets(&mut factory);
    // The name is an expression: set after the escape.
    factory["name"] = json!("[parameters('factoryName')]");
    let mut resources = vec![factory];

    for entity in entities {
        let address = ResourceAddress::new(entity.kind, &entity.name);
        let mut body = entity.body.clone();
        escape_brackets(&mut body);
        for pointer in secure_string_pointers(&body) {
            let field = pointer
                .trim_end_matches("/value")
                .rsplit('/')
                .find(|t| !t.is_empty() && !t.chars().all(|c| c.is_ascii_digit()))
                .unwrap_or("secret")
                .to_owned();
            let base = parameter_token(&format!("{}_{field}", entity.name));
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            if let Some(slot) = body.pointer_mut(&pointer) {
                *slot = json!(format!("[parameters('{name}')]"));
            }
            parameters.insert(
                name.clone(),
                json!({"type": "secureString", "metadata": format!("Secure string for '{field}' of '{}'", entity.name)}),
            );
            parameter_values.insert(name.clone(), json!({"value": ""}));
            secure.push(SecretVariable {
                name,
                address: address.clone(),
                pointer,
            });
        }
        let mut properties = body.get("properties").cloned().unwrap_or_else(|| json!({}));
        if entity.kind == Kind::Trigger
            && let Value::Object(map) = &mut properties
        {
            let state = match entity.runtime_state {
                Some(TriggerRuntimeState::Stopped) => "Stopped",
                _ => "Started",
            };
            map.insert("runtimeState".into(), json!(state));
        }
        let mut depends_on = vec![json!("[variables('factoryId')]")];
        let mut seen = BTreeSet::new();
        let mut references = adf_core::desired::references(&entity.body);
        if entity.kind == Kind::ManagedPrivateEndpoint {
            references.insert(
                0,
                ResourceAddress::new(
                    Kind::ManagedVirtualNetwork,
                    adf_core::kind::MANAGED_VIRTUAL_NETWORK_NAME,
                ),
            );
        }
        for reference in references {
            if reference != address
                && exported.contains(&reference)
                && seen.insert(reference.clone())
                && let Some(text) = dependency(&reference)
            {
                depends_on.push(json!(text));
            }
        }
        let mut resource = Map::new();
        resource.insert("name".into(), json!(child_name(entity.kind, &entity.name)));
        resource.insert("type".into(), json!(entity.kind.arm_type()));
        resource.insert("apiVersion".into(), json!(API_VERSION));
        resource.insert("properties".into(), properties);
        resource.insert("dependsOn".into(), Value::Array(depends_on));
        resources.push(Value::Object(resource));
    }

    let template = json!({
        "$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": parameters,
        "variables": {
            "factoryId": "[concat('Microsoft.DataFactory/factories/', parameters('factoryName'))]"
        },
        "resources": resources,
    });
    let parameters_file = json!({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": parameter_values,
    });
    let text = |value: &Value| {
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        text
    };
    ArmExported {
        files: vec![
            (TEMPLATE_FILE.to_owned(), text(&template)),
            (PARAMETERS_FILE.to_owned(), text(&parameters_file)),
        ],
        parameters: secure,
    }
}
