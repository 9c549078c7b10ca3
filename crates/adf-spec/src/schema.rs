//! A JSON Schema (draft 2020-12) of one spec file, for editors (yaml-language-server) and
//! other tools: strict where the keys are adfctl's (the top level, `resourceGroup`, `factory`,
//! a global parameter, a trigger's `runtimeState`), open inside ADF's own bodies, with `type`
//! required where ADF requires it.
//!
//! A file may be an overlay, so nothing is required at the top level, any value may be `null`
//! (which removes the key when files merge), and entities are checked as patches; a file with
//! `subscription` and `factory.location` (a base spec) has its entities checked again with
//! ADF's required fields (`if`/`then`). `adfctl validate` checks the merged spec.
//! Values may be `${env:...}`/`${var:...}` strings wherever a number or boolean is expected.
//!
//! Keywords used (and nothing else): `$schema`, `$id`, `$defs`, `$ref`, `title`,
//! `description`, `type`, `properties`, `additionalProperties`, `required`, `enum`, `anyOf`,
//! `items`, `minLength`, `if`, `then`.

use crate::reader::{FACTORY_KEYS, RESOURCE_GROUP_KEYS, top_level_keys};
use adf_core::Kind;
use serde_json::{Map, Value, json};

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "urn:adfctl:schema:spec:1";

fn describe(mut schema: Value, text: &str) -> Value {
    if let Value::Object(map) = &mut schema {
        map.insert("description".into(), Value::String(text.into()));
    }
    schema
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// `schema`, or `null` (an overlay removing the key).
fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, {"type": "null"}] })
}

/// An object whose keys are all adfctl's.
fn strict(properties: Map<String, Value>) -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": properties })
}

/// A map of entity name → entity.
fn entity_map(definition: &str, what: &str) -> Value {
    describe(
        nullable(json!({
            "type": "object",
            "additionalProperties": nullable(reference(definition)),
        })),
        &format!(
            "Map: {what} name → its ADF `properties` (or the full `{{name, type, properties}}` form pasted from ADF Studio)."
        ),
    )
}

/// An entity: the full ADF form, or its `properties` with `required` ADF fields.
fn entity(required: &[&str], properties: Map<String, Value>) -> Value {
    json!({
        "anyOf": [
            reference("adfForm"),
            {
                "type": "object",
                "required": required,
                "properties": properties,
                "additionalProperties": true,
            }
        ]
    })
}

fn props(entries: &[(&str, Value)]) -> Map<String, Value> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The JSON Schema of a spec file.
pub fn json_schema() -> Value {
    let string = json!({"type": "string"});
    let boolean = json!({"anyOf": [{"type": "boolean"}, reference("variable")]});

    let resource_group = strict(props(&[
        (
            "name",
            describe(
                json!({"type": "string", "minLength": 1}),
                "1-90 letters, digits, `_`, `-`, `.`, `(`, `)`; not ending with `.`.",
            ),
        ),
        (
            "location",
            describe(
                string.clone(),
                "Azure region, such as `eastus`. Needed when `managed`.",
            ),
        ),
        ("tags", reference("tags")),
        (
            "managed",
            describe(
                boolean.clone(),
                "Whether adfctl owns the group (default: `factory.managed`, so `true`): creates it, and may delete it on destroy.",
            ),
        ),
    ]));
    debug_assert_eq!(
        resource_group["properties"].as_object().map(Map::len),
        Some(RESOURCE_GROUP_KEYS.len())
    );

    let open_object = describe(json!({"type": "object"}), "As in ARM.");
    let factory = strict(props(&[
        (
            "name",
            describe(
                json!({"type": "string", "minLength": 1}),
                "Globally unique: 3-63 letters, digits and single dashes.",
            ),
        ),
        (
            "location",
            describe(string.clone(), "Azure region. Needed when `managed`."),
        ),
        ("tags", reference("tags")),
        (
            "managed",
            describe(
                boolean.clone(),
                "Whether adfctl owns the factory (default `true`). `false`: it must exist; adfctl never creates, changes or deletes it, and writes only the children the spec defines (global parameters included).",
            ),
        ),
        (
            "identity",
            describe(
                json!({"type": "object"}),
                "As in ARM, e.g. `{type: SystemAssigned}` (needed for Key Vault).",
            ),
        ),
        (
            "globalParameters",
            describe(
                nullable(json!({
                    "type": "object",
                    "additionalProperties": nullable(reference("globalParameter")),
                })),
                "Map: name → `{type, value}`; managed as the factory's `globalParameters/default` entity.",
            ),
        ),
        (
            "properties",
            describe(
                json!({"type": "object"}),
                "Any other field of the factory's ARM `properties`, passed through (not `globalParameters`).",
            ),
        ),
        (
            "publicNetworkAccess",
            json!({"enum": ["Enabled", "Disabled"]}),
        ),
        ("repoConfiguration", open_object.clone()),
        ("encryption", open_object.clone()),
        ("purviewConfiguration", open_object),
    ]));
    debug_assert_eq!(
        factory["properties"].as_object().map(Map::len),
        Some(FACTORY_KEYS.len())
    );

    let top = props(&[
        (
            "subscription",
            describe(
                string.clone(),
                "The Azure subscription id (a GUID), usually `${env:AZURE_SUBSCRIPTION_ID}`.",
            ),
        ),
        (
            "vars",
            describe(
                nullable(json!({
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                })),
                "Variables for `${var:name}`; `--var key=VALUE` wins.",
            ),
        ),
        (
            "prune",
            describe(
                nullable(strict(props(&[(
                    "keep",
                    describe(
                        json!({"type": "array", "items": {"type": "string", "minLength": 3}}),
                        "Entity patterns (`pipeline/Legacy*`, `*/teamB_*`, `*.*@Legacy`) of live entities the spec does not define but that are owned elsewhere: `--prune` leaves them, and they are no drift.",
                    ),
                )]))),
                "What `--prune` must leave alone.",
            ),
        ),
        (
            "scope",
            describe(
                nullable(strict(props(&[
                    (
                        "include",
                        describe(
                            json!({"type": "array", "items": {"type": "string", "minLength": 3}}),
                            "Entity patterns (`pipeline/Load*`, `pipeline.Load*`, `*.*@Staging`): commands cover only these, plus what they reference. `--include` adds to them.",
                        ),
                    ),
                    (
                        "exclude",
                        describe(
                            json!({"type": "array", "items": {"type": "string", "minLength": 3}}),
                            "Entity patterns commands leave alone, even when a covered entity references them (they must then exist live). `--exclude` adds to them.",
                        ),
                    ),
                ]))),
                "The part of the spec plan, apply and destroy cover.",
            ),
        ),
        (
            "overrides",
            describe(
                nullable(json!({"type": "array", "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["target"],
                    "properties": {
                        "target": {"type": "string", "minLength": 3, "description": "An entity pattern: `pipeline/PL_Load*`, `linkedService.LS_KeyVault`, `*.*@Staging`."},
                        "set": {"type": "object", "description": "PATH: VALUE. Replaces values that exist. A path is relative to `properties`: `activities[CopySales].policy.timeout`."},
                        "add": {"type": "object", "description": "PATH: VALUE. Adds keys that do not exist; appends to a list (or inserts at `[N]`)."},
                        "remove": {"type": "array", "items": {"type": "string"}, "description": "Paths of keys or list elements that exist."},
                        "optional": {"type": "boolean", "description": "No error when the target or a path matches nothing."}
                    }
                }})),
                "Per-environment changes by path, deep inside entities, run after every file is merged. See docs/spec.md, \"Promoting across environments\".",
            ),
        ),
        (
            "external",
            describe(
                nullable(json!({"type": "array", "items": {"type": "string", "minLength": 3}})),
                "Entities the spec references but another owner manages, each an exact KIND/NAME (`integrationRuntime/SharedSHIR`, `linkedService/ls_keyvault`): they must exist live; adfctl never creates, changes or deletes them.",
            ),
        ),
        (
            "triggerRuntimeState",
            describe(
                nullable(json!({"enum": ["Started", "Stopped", "Keep"]})),
                "The runtime state of every trigger whose `runtimeState` no YAML file sets (an ADF Studio file's gives way to it). `Keep`: leave each trigger as it is live; new ones are created stopped.",
            ),
        ),
        (
            "resourceGroup",
            describe(
                nullable(resource_group),
                "The resource group the factory lives in.",
            ),
        ),
        ("factory", describe(nullable(factory), "The data factory.")),
    ]);
    let mut top = top;
    for kind in Kind::ENTITIES {
        if let Some(spec_key) = kind.spec_key() {
            let patch = format!("{}Patch", kind.address_prefix());
            top.insert(spec_key.into(), entity_map(&patch, kind.label()));
        }
    }
    debug_assert_eq!(top.len(), top_level_keys().len());

    let type_string = describe(string.clone(), "The ADF type, such as `AzureBlobStorage`.");
    let connect_via = describe(
        reference("integrationRuntimeReference"),
        "The integration runtime: a bare name, or `{referenceName, type: IntegrationRuntimeReference}`.",
    );
    let activity_list = json!({"type": "array", "items": reference("activity")});

    let defs = props(&[
        (
            "variable",
            describe(
                json!({"type": "string"}),
                "`${env:NAME}` or `${var:key}`: replaced by its value, typed when written unquoted.",
            ),
        ),
        (
            "tags",
            describe(
                nullable(json!({"type": "object", "additionalProperties": {"type": "string"}})),
                "Map of tag name → string (quote numbers).",
            ),
        ),
        (
            "globalParameter",
            strict(props(&[
                (
                    "type",
                    describe(
                        json!({"enum": adf_core::rules::GLOBAL_PARAMETER_TYPES
                            .iter()
                            .flat_map(|t| [t.to_string(), t.to_lowercase()])
                            .collect::<Vec<_>>()}),
                        "ARM accepts either case; ADF Studio writes lower case.",
                    ),
                ),
                (
                    "value",
                    describe(json!({}), "The value, of the given type."),
                ),
            ])),
        ),
        (
            "adfForm",
            describe(
                strict(props(&[
                    ("name", string.clone()),
                    (
                        "type",
                        describe(string.clone(), "`Microsoft.DataFactory/factories/...`"),
                    ),
                    ("id", string.clone()),
                    ("etag", string.clone()),
                    ("properties", json!({"type": "object"})),
                ])),
                "The full ADF form, as ADF Studio's JSON view shows it; `properties` is used.",
            ),
        ),
        (
            "secretFromEnv",
            describe(
                strict(props(&[(
                    "secretFromEnv",
                    describe(
                        json!({"type": "string", "minLength": 1}),
                        "The environment variable that holds the secret.",
                    ),
                )])),
                "`{secretFromEnv: NAME}`: becomes `{type: SecureString, value: <$NAME>}`; never printed.",
            ),
        ),
        (
            "reference",
            describe(
                json!({"anyOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "object", "required": ["referenceName"], "properties": {"referenceName": {}, "type": string.clone(), "parameters": {"type": "object"}}},
                ]}),
                "A bare name (short form), or `{referenceName, type, parameters?}`.",
            ),
        ),
        ("integrationRuntimeReference", reference("reference")),
        (
            "linkedService",
            entity(
                &["type"],
                props(&[
                    ("type", type_string.clone()),
                    ("connectVia", connect_via.clone()),
                    (
                        "typeProperties",
                        describe(
                            json!({"type": "object"}),
                            "The connector's settings. Secrets: `{secretFromEnv: NAME}`, or `{type: AzureKeyVaultSecret, store: KEY_VAULT_LS, secretName: ...}`.",
                        ),
                    ),
                ]),
            ),
        ),
        (
            "dataset",
            entity(
                &["type", "linkedServiceName"],
                props(&[
                    ("type", type_string.clone()),
                    (
                        "linkedServiceName",
                        describe(
                            reference("reference"),
                            "The linked service: a bare name, or `{referenceName, type: LinkedServiceReference, parameters}`.",
                        ),
                    ),
                    ("typeProperties", json!({"type": "object"})),
                ]),
            ),
        ),
        (
            "activity",
            describe(
                json!({
                    "type": "object",
                    "required": ["name", "type"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "type": {"type": "string", "minLength": 1},
                        "inputs": {"type": "array", "items": reference("reference")},
                        "outputs": {"type": "array", "items": reference("reference")},
                        "linkedServiceName": reference("reference"),
                        "dependsOn": {"type": "array", "items": {"type": "object", "required": ["activity"]}},
                    },
                    "additionalProperties": true,
                }),
                "An activity; `name` unique within its pipeline. Short references work in `inputs`, `outputs`, `linkedServiceName` and the `typeProperties` of ExecutePipeline, ExecuteDataFlow, Lookup, GetMetadata, Delete and Validation.",
            ),
        ),
        (
            "pipeline",
            entity(
                &[],
                props(&[
                    ("activities", activity_list),
                    ("parameters", json!({"type": "object"})),
                ]),
            ),
        ),
        (
            "trigger",
            entity(
                &["type"],
                props(&[
                    (
                        "type",
                        describe(
                            string.clone(),
                            "ScheduleTrigger, TumblingWindowTrigger, BlobEventsTrigger, ...",
                        ),
                    ),
                    (
                        "runtimeState",
                        describe(
                            json!({"enum": ["Started", "Stopped", "Keep"]}),
                            "adfctl's key: whether the trigger runs (default `triggerRuntimeState`, else `Started`); `Keep` leaves it as it is live (a new trigger is created stopped).",
                        ),
                    ),
                    (
                        "pipelines",
                        describe(
                            json!({"type": "array", "items": {"anyOf": [
                                {"type": "string", "minLength": 1},
                                {"type": "object", "required": ["pipelineReference"]},
                            ]}}),
                            "The pipelines it starts: a bare name, or `{pipelineReference: NAME, parameters}`.",
                        ),
                    ),
                ]),
            ),
        ),
        (
            "dataFlow",
            entity(
                &["type"],
                props(&[(
                    "type",
                    describe(
                        string.clone(),
                        "MappingDataFlow, Flowlet or WranglingDataFlow.",
                    ),
                )]),
            ),
        ),
        (
            "integrationRuntime",
            entity(
                &["type"],
                props(&[
                    ("type", describe(string.clone(), "Managed or SelfHosted.")),
                    (
                        "managedVirtualNetwork",
                        describe(
                            reference("reference"),
                            "The factory's managed virtual network the runtime runs in: `default`, or `{referenceName: default, type: ManagedVirtualNetworkReference}`.",
                        ),
                    ),
                ]),
            ),
        ),
        (
            "managedVirtualNetwork",
            describe(
                entity(&[], props(&[])),
                "The factory's managed virtual network; ADF allows one, named `default`, with no properties to set (`default: {}` or `default:`).",
            ),
        ),
        (
            "managedPrivateEndpoint",
            describe(
                entity(
                    &[],
                    props(&[
                        (
                            "privateLinkResourceId",
                            describe(
                                string.clone(),
                                "The ARM id of the resource to reach privately, such as a storage account.",
                            ),
                        ),
                        (
                            "groupId",
                            describe(
                                string.clone(),
                                "The sub-resource of the private link: `blob`, `dfs`, `vault`, `sqlServer`, ...",
                            ),
                        ),
                        (
                            "fqdns",
                            json!({"type": "array", "items": {"type": "string"}}),
                        ),
                    ]),
                ),
                "A managed private endpoint in the factory's managed virtual network `default`. It cannot change in place: a change replaces it (`--allow-replace`), and the new endpoint needs approval again.",
            ),
        ),
        (
            "credential",
            entity(
                &["type"],
                props(&[
                    (
                        "type",
                        describe(
                            string.clone(),
                            "ManagedIdentity (a user-assigned identity) or ServicePrincipal.",
                        ),
                    ),
                    (
                        "typeProperties",
                        describe(
                            json!({"type": "object"}),
                            "For ManagedIdentity: `{resourceId: <the identity's ARM id>}`.",
                        ),
                    ),
                ]),
            ),
        ),
        (
            "changeDataCapture",
            describe(
                entity(&[], props(&[])),
                "A change data capture (ADF's `adfcdcs`): `sourceConnectionsInfo`, `targetConnectionsInfo`, `policy`, ... as ADF Studio writes them in `adfcdc/`.",
            ),
        ),
    ]);

    // In an overlay an entity may be a patch (`hourly: {runtimeState: Stopped}`): the top level
    // checks entities as patches, and a base spec (a file with `subscription` and
    // `factory.location`, which every base spec has) again with ADF's required fields.
    let mut defs = defs;
    let mut base = Map::new();
    for kind in Kind::ENTITIES {
        let (Some(spec_key), definition) = (kind.spec_key(), kind.address_prefix()) else {
            continue;
        };
        let mut patch = defs.get(definition).cloned().unwrap_or_else(|| json!({}));
        if let Some(Value::Object(body)) = patch.pointer_mut("/anyOf/1") {
            body.remove("required");
        }
        defs.insert(format!("{definition}Patch"), patch);
        base.insert(spec_key.into(), entity_map(definition, kind.label()));
    }

    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "adfctl spec",
        "description": "One adfctl spec file (a base spec or an overlay). See docs/spec.md.",
        "type": "object",
        "additionalProperties": false,
        "properties": top,
        "if": {
            "required": ["subscription", "factory"],
            "properties": {"factory": {"required": ["location"]}},
        },
        "then": {"properties": base},
        "$defs": defs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strict_blocks_list_exactly_the_loaders_keys() {
        let schema = json_schema();
        let keys = |pointer: &str| -> Vec<String> {
            let mut keys: Vec<String> = schema
                .pointer(pointer)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let sorted = |list: &[&str]| -> Vec<String> {
            let mut list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
            list.sort();
            list
        };
        assert_eq!(keys("/properties"), sorted(&top_level_keys()));
        assert_eq!(
            keys("/properties/resourceGroup/anyOf/0/properties"),
            sorted(&RESOURCE_GROUP_KEYS)
        );
        assert_eq!(
            keys("/properties/factory/anyOf/0/properties"),
            sorted(&FACTORY_KEYS)
        );
        assert_eq!(schema["additionalProperties"], false);
    }
}
