//! Normalisation: the form in which desired and live bodies are compared and displayed.
//!
//! Each rule is listed, with its reason, in `docs/plan-format.md` ("Normalisation").

use crate::fingerprint;
use adf_core::Kind;
use adf_core::secret::{self, connection_string};
use serde_json::{Map, Value};

/// Top-level fields ARM adds to every resource (the name comes from the URL).
const SERVER_TOP_LEVEL: [&str; 5] = ["id", "name", "type", "etag", "eTag"];

/// Read-only fields under `properties` of the factory.
/// `factoryStatistics` appears on GET (Azure CLI test_datafactory_main recording, 2021).
const FACTORY_READ_ONLY_PROPERTIES: [&str; 4] = [
    "provisioningState",
    "createTime",
    "version",
    "factoryStatistics",
];

/// Read-only fields under a factory's (or a user-assigned identity's) `identity`.
const IDENTITY_READ_ONLY: [&str; 3] = ["principalId", "tenantId", "clientId"];

/// `East US` → `eastus`: ARM's location names compare without case or spaces.
pub use adf_core::rules::location;

/// Normalises a body of `kind` for comparison and display.
///
/// `desired` is the desired body this one is compared with, when there is one: some
/// server-added fields are dropped only when the desired body does not set them.
///
/// Plain connection strings are compared and shown without their credential parts and
/// without a trailing `;` (ARM removes the credentials: ARM-FACTS §12); the credentials are
/// compared through the secrets' fingerprint instead.
pub fn normalise(kind: Kind, body: &Value, desired: Option<&Value>) -> Value {
    let mut body = body.clone();
    normalise_in_place(kind, &mut body, desired);
    body
}

/// [`normalise`] without the copy: `body` itself becomes the normalised form.
pub fn normalise_in_place(kind: Kind, body: &mut Value, desired: Option<&Value>) {
    strip_server_fields(kind, body, desired);
    match kind {
        Kind::LinkedService => {
            secret::for_each_connection_string(body, &mut connection_string::comparable);
        }
        Kind::GlobalParameters => pascal_case_global_parameter_types(body),
        _ => {}
    }
    canonicalise(body);
}

/// ARM accepts global parameter types in any case; ADF Studio writes `int`, and the official
/// example `GlobalParameters_Create.json` answers `int` with `Int`: compared as documented.
fn pascal_case_global_parameter_types(body: &mut Value) {
    let Some(Value::Object(parameters)) = body.get_mut("properties") else {
        return;
    };
    for parameter in parameters.values_mut() {
        if let Some(Value::String(text)) = parameter.get_mut("type")
            && let Some(known) = adf_core::rules::global_parameter_type(text)
        {
            *text = known.to_owned();
        }
    }
}

/// Removes the fields the server owns and normalises `location`, without reordering anything.
pub fn strip_server_fields(kind: Kind, body: &mut Value, desired: Option<&Value>) {
    strip(kind, body, desired, true);
}

/// Removes the read-only fields the server owns; `location` is normalised only when asked
/// (a PUT body keeps the user's spelling).
pub(crate) fn strip(kind: Kind, body: &mut Value, desired: Option<&Value>, fold_location: bool) {
    let Some(map) = body.as_object_mut() else {
        return;
    };
    for key in SERVER_TOP_LEVEL {
        map.remove(key);
    }
    if fold_location && let Some(Value::String(text)) = map.get("location") {
        let normalised = location(text);
        map.insert("location".into(), Value::String(normalised));
    }
    match kind {
        Kind::ResourceGroup => {
            remove_in(map, "properties", &["provisioningState"]);
        }
        Kind::Factory => {
            remove_in(map, "properties", &FACTORY_READ_ONLY_PROPERTIES);
            remove_in(map, "identity", &IDENTITY_READ_ONLY);
            if let Some(Value::Object(users)) = map
                .get_mut("identity")
                .and_then(|identity| identity.get_mut("userAssignedIdentities"))
            {
                for user in users.values_mut() {
                    if let Some(user) = user.as_object_mut() {
                        for key in IDENTITY_READ_ONLY {
                            user.remove(key);
                        }
                    }
                }
            }
        }
        _ => {
            let desired_has = |key: &str| {
                desired
                    .and_then(|d| d.pointer(&format!("/properties/{key}")))
                    .is_some()
            };
            let schema_added = kind == Kind::Dataset && !desired_has("schema");
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                properties.remove("runtimeState");
                properties.remove("lastPublishTime");
                if kind == Kind::IntegrationRuntime {
                    // Read-only (`Initial`, `Started`, `Stopped`…): PS
                    // TestSsisAzureIntegrationRuntime; readOnly in the swagger.
                    properties.remove("state");
                }
                if kind == Kind::IntegrationRuntime
                    && properties.get("description").and_then(Value::as_str) == Some("")
                {
                    // adfctl writes its fingerprint there: an empty one equals none.
                    properties.remove("description");
                }
                if let Some(Value::String(description)) = properties.get("description")
                    && description.contains(fingerprint::PREFIX)
                {
                    match fingerprint::description_without_fingerprint(description) {
                        Some(kept) => {
                            properties.insert("description".into(), Value::String(kept));
                        }
                        None => {
                            properties.remove("description");
                        }
                    }
                }
                if schema_added {
                    properties.remove("schema");
                }
                match kind {
                    // Read-only in the swagger (ManagedVirtualNetwork.json).
                    Kind::ManagedVirtualNetwork => {
                        properties.remove("vNetId");
                        properties.remove("alias");
                    }
                    // Read-only in the swagger (ManagedPrivateEndpoint.json): the approval
                    // state is the target resource owner's, not the spec's. ADF fills in
                    // `fqdns` when the spec leaves them out.
                    Kind::ManagedPrivateEndpoint => {
                        properties.remove("provisioningState");
                        properties.remove("connectionState");
                        properties.remove("isReserved");
                        if !desired_has("fqdns") {
                            properties.remove("fqdns");
                        }
                    }
                    _ => {}
                }
                if let Some(Value::Object(type_properties)) = properties.get_mut("typeProperties") {
                    type_properties.remove("encryptedCredential");
                }
                if let Some(Value::Array(annotations)) = properties.get_mut("annotations") {
                    annotations.retain(|a| {
                        !a.as_str()
                            .is_some_and(|text| text.starts_with(fingerprint::PREFIX))
                    });
                }
            }
        }
    }
}

fn remove_in(map: &mut Map<String, Value>, key: &str, fields: &[&str]) {
    if let Some(Value::Object(inner)) = map.get_mut(key) {
        for field in fields {
            inner.remove(*field);
        }
    }
}

/// The canonical form: object members that are `null`, `{}` or `[]` removed (recursively, so
/// an object emptied that way goes too), and integral floats written as integers. Keys keep
/// their order (the spec's, shown to reviewers as written; object equality ignores order)
/// and array elements their positions.
pub fn canonical(value: &Value) -> Value {
    let mut copy = value.clone();
    canonicalise(&mut copy);
    copy
}

/// [`canonical`] in place.
pub fn canonicalise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                canonicalise(child);
            }
            // `retain` keeps the order of what stays.
            map.retain(|_, child| !is_empty(child));
        }
        Value::Array(items) => items.iter_mut().for_each(canonicalise),
        Value::Number(number) => {
            if let Some(float) = number.as_f64()
                && !number.is_i64()
                && !number.is_u64()
                && float.fract() == 0.0
                && float.abs() < 9.0e15
            {
                *value = Value::from(float as i64);
            }
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locations_compare_without_case_or_spaces() {
        assert_eq!(location("East US 2"), "eastus2");
        assert_eq!(location("eastus"), "eastus");
    }

    #[test]
    fn canonical_sorts_drops_empties_and_integral_floats() {
        let value = json!({"b": 1.0, "a": {"x": null, "y": []}, "c": [null, {}], "d": 1.5});
        assert_eq!(
            canonical(&value).to_string(),
            r#"{"b":1,"c":[null,{}],"d":1.5}"#
        );
    }

    #[test]
    fn dataset_schema_is_dropped_only_when_the_desired_body_has_none() {
        let live = json!({"properties": {"type": "AzureBlob", "schema": [{"name": "c"}]}});
        let without = normalise(Kind::Dataset, &live, Some(&json!({"properties": {}})));
        assert!(without.pointer("/properties/schema").is_none());
        let with = normalise(
            Kind::Dataset,
            &live,
            Some(&json!({"properties": {"schema": []}})),
        );
        assert!(with.pointer("/properties/schema").is_some());
    }
}

#[cfg(test)]
mod key_order {
    /// What keeping the spec's key order relies on.
    #[test]
    fn object_equality_ignores_key_order() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).unwrap_or_default();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"b":{"d":3,"c":2},"a":1}"#).unwrap_or_default();
        assert_eq!(a, b);
    }
}
