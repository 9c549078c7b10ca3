//! The other direction: a live factory's bodies to spec YAML (`adfctl export`).
//!
//! Pure: the caller refreshes the factory and removes the fields the server owns (adf-plan's
//! normalisation) before calling [`export`]. What this module does:
//!
//! - every `SecureString` (ARM masks their values) becomes `{secretFromEnv: NAME}`, with a
//!   derived variable name such as `LS_STORAGELINKEDSERVICE_CONNECTIONSTRING`; the variables
//!   are listed in [`Exported::variables`] and in a comment at the top of the file(s);
//! - references use the short form (a bare name) wherever the spec accepts one, and keep the
//!   full form where they carry `parameters`;
//! - keys come in a stable order (`name`, `type`, then alphabetical), so that exporting again
//!   gives the same text and diffs stay small;
//! - strings that contain `${` are written with `$${`, so nothing is read as a variable.

use crate::emit;
pub use crate::export_arm::{ArmExported, export_arm};
use adf_core::secret::secure_string_pointers;
use adf_core::{FactoryTarget, Kind, ResourceAddress, TriggerRuntimeState};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// What to export: the target and the live bodies (server-owned fields already removed).
#[derive(Clone, PartialEq)]
pub struct ExportInput {
    /// Subscription, resource group and factory.
    pub target: FactoryTarget,
    /// The resource group's body (`location`, `tags`), when it was read.
    pub resource_group: Option<Value>,
    /// Write `managed: true` (adfctl owns the group) instead of `managed: false`.
    pub manage_resource_group: bool,
    /// The factory's body (`location`, `tags`, `identity`, `properties`).
    pub factory: Value,
    /// The factory's children, each `{"properties": ...}`.
    pub entities: Vec<ExportEntity>,
}

/// Bodies hold masked secrets only, but stay out of Debug output anyway.
impl std::fmt::Debug for ExportInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportInput")
            .field("target", &self.target)
            .field("entities", &self.entities.len())
            .finish_non_exhaustive()
    }
}

/// One child entity of the factory.
#[derive(Clone, PartialEq)]
pub struct ExportEntity {
    /// Its kind (not the resource group or the factory).
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// `{"properties": ...}` as read, server-owned fields removed.
    pub body: Value,
    /// Triggers: whether it runs now.
    pub runtime_state: Option<TriggerRuntimeState>,
}

impl std::fmt::Debug for ExportEntity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportEntity")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// How to split the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One file, `spec.yaml`.
    SingleFile,
    /// `factory.yaml` (subscription, group, factory, global parameters) and one file per
    /// entity kind (`linkedServices.yaml`, ...), merged with `-f factory.yaml -f ...`.
    PerKind,
    /// `factory.yaml` and one file per entity, `<kind>/<name>.yaml`.
    PerEntity,
}

/// A variable the exported spec reads with `secretFromEnv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVariable {
    /// The environment variable's name.
    pub name: String,
    /// The entity whose secret it holds.
    pub address: ResourceAddress,
    /// Where in the entity's body (a JSON pointer to the `SecureString`'s `value`).
    pub pointer: String,
}

/// The exported spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// (relative file name, YAML text), in the order to pass them with `-f`.
    pub files: Vec<(String, String)>,
    /// The variables to set before `plan` or `apply`, in file order.
    pub variables: Vec<SecretVariable>,
}

/// Writes the spec for `input`.
pub fn export(input: &ExportInput, layout: Layout) -> Exported {
    let mut names = VariableNames::default();
    let mut variables = Vec::new();

    let mut head = Map::new();
    head.insert(
        "subscription".into(),
        Value::String(input.target.subscription.clone()),
    );
    head.insert("resourceGroup".into(), resource_group(input));
    let factory_address = ResourceAddress::new(Kind::Factory, &input.target.factory);
    let mut factory_body = input.factory.clone();
    placeholders(
        &mut factory_body,
        &factory_address,
        &mut names,
        &mut variables,
    );
    let mut factory = factory_spec(&input.target.factory, &factory_body);
    if let Some(globals) = input
        .entities
        .iter()
        .find(|e| e.kind == Kind::GlobalParameters)
    {
        let address = ResourceAddress::new(Kind::GlobalParameters, &globals.name);
        let mut body = globals.body.clone();
        placeholders(&mut body, &address, &mut names, &mut variables);
        if let Some(properties) = body.get("properties").filter(|p| !is_empty(p)) {
            factory.insert("globalParameters".into(), properties.clone());
        }
    }
    head.insert("factory".into(), Value::Object(factory));

    // (kind, name, properties) of every other entity, kinds in apply order, names sorted.
    let mut entities: Vec<&ExportEntity> = input
        .entities
        .iter()
        .filter(|e| e.kind.spec_key().is_some())
        .collect();
    entities.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    let mut sections: Vec<(Kind, Vec<(String, Value)>)> = Vec::new();
    for entity in entities {
        let address = ResourceAddress::new(entity.kind, &entity.name);
        let mut body = entity.body.clone();
        placeholders(&mut body, &address, &mut names, &mut variables);
        let mut properties = body.get("properties").cloned().unwrap_or_else(|| json!({}));
        shorten_entity(entity.kind, &mut properties);
        if entity.kind == Kind::Trigger
            && let Value::Object(map) = &mut properties
        {
            let state = match entity.runtime_state {
                Some(TriggerRuntimeState::Stopped) => "Stopped",
                _ => "Started",
            };
            map.insert("runtimeState".into(), Value::String(state.into()));
        }
        match sections.last_mut() {
            Some((kind, items)) if *kind == entity.kind => {
                items.push((entity.name.clone(), properties))
            }
            _ => sections.push((entity.kind, vec![(entity.name.clone(), properties)])),
        }
    }

    let header = header(input, &variables);
    let files = match layout {
        Layout::SingleFile => {
            let mut text = header;
            text.push_str(&head_text(&head));
            for (kind, items) in &sections {
                text.push('\n');
                text.push_str(&section(*kind, items));
            }
            vec![("spec.yaml".to_owned(), text)]
        }
        Layout::PerKind => {
            let mut files = vec![("factory.yaml".to_owned(), header + &head_text(&head))];
            for (kind, items) in &sections {
                let key = kind.spec_key().unwrap_or_default();
                files.push((format!("{key}.yaml"), section(*kind, items)));
            }
            files
        }
        Layout::PerEntity => {
            let mut files = vec![("factory.yaml".to_owned(), header + &head_text(&head))];
            for (kind, items) in &sections {
                let key = kind.spec_key().unwrap_or_default();
                for item in items {
                    let file = format!("{key}/{}.yaml", file_stem(&item.0));
                    files.push((file, section(*kind, std::slice::from_ref(item))));
                }
            }
            files
        }
    };
    Exported { files, variables }
}

/// `subscription`, `resourceGroup` and `factory`, in that order.
fn head_text(head: &Map<String, Value>) -> String {
    head.iter()
        .map(|(key, value)| emit::document(&json!({ key: value })))
        .collect()
}

/// `kindKey:` and its entities, as a spec fragment.
fn section(kind: Kind, items: &[(String, Value)]) -> String {
    let key = kind.spec_key().unwrap_or_default();
    // Entities keep the (sorted) order given; only their contents use the writer's key order.
    let mut out = format!("{key}:\n");
    for (name, properties) in items {
        out.push_str(&emit::document(&json!({ name: properties })).lines().fold(
            String::new(),
            |mut acc, line| {
                acc.push_str("  ");
                acc.push_str(line);
                acc.push('\n');
                acc
            },
        ));
    }
    out
}

/// A file name for an entity: its name, with characters file systems dislike replaced.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn header(input: &ExportInput, variables: &[SecretVariable]) -> String {
    let mut out = format!(
        "# Exported by `adfctl export` from factory {} (resource group {}).\n",
        input.target.factory, input.target.resource_group
    );
    if variables.is_empty() {
        out.push_str("# It reads no secrets from the environment.\n");
    } else {
        out.push_str(
            "# ARM never returns secret values: set these environment variables to the secrets\n# before `adfctl plan` or `apply`:\n",
        );
        for variable in variables {
            out.push_str(&format!(
                "#   {}  ({} {})\n",
                variable.name, variable.address, variable.pointer
            ));
        }
    }
    out.push('\n');
    out
}

fn resource_group(input: &ExportInput) -> Value {
    let mut group = Map::new();
    group.insert(
        "name".into(),
        Value::String(input.target.resource_group.clone()),
    );
    if let Some(body) = &input.resource_group {
        for key in ["location", "tags"] {
            if let Some(value) = body.get(key).filter(|v| !is_empty(v)) {
                group.insert(key.into(), value.clone());
            }
        }
    }
    if !input.manage_resource_group {
        group.insert("managed".into(), Value::Bool(false));
    }
    Value::Object(group)
}

/// The `factory:` block: the spec's own keys for the factory's ARM fields.
fn factory_spec(name: &str, body: &Value) -> Map<String, Value> {
    const PROPERTY_KEYS: [&str; 4] = [
        "publicNetworkAccess",
        "repoConfiguration",
        "encryption",
        "purviewConfiguration",
    ];
    let mut factory = Map::new();
    factory.insert("name".into(), Value::String(name.to_owned()));
    for key in ["location", "tags", "identity"] {
        if let Some(value) = body.get(key).filter(|v| !is_empty(v)) {
            factory.insert(key.into(), value.clone());
        }
    }
    if let Some(Value::Object(properties)) = body.get("properties") {
        let mut rest = Map::new();
        for (key, value) in properties {
            if key == "globalParameters" || is_empty(value) {
                // Managed as the `globalParameters/default` entity.
                continue;
            }
            if PROPERTY_KEYS.contains(&key.as_str()) {
                factory.insert(key.clone(), value.clone());
            } else {
                rest.insert(key.clone(), value.clone());
            }
        }
        if !rest.is_empty() {
            factory.insert("properties".into(), Value::Object(rest));
        }
    }
    factory
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

// ----- secrets --------------------------------------------------------------------------------

/// Variable names handed out so far (each used once).
#[derive(Default)]
struct VariableNames {
    used: BTreeSet<String>,
}

impl VariableNames {
    fn claim(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut n = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }
}

fn kind_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::ResourceGroup => "RG",
        Kind::Factory => "FACTORY",
        Kind::GlobalParameters => "GP",
        Kind::ManagedVirtualNetwork => "VNET",
        Kind::ManagedPrivateEndpoint => "MPE",
        Kind::Credential => "CRED",
        Kind::ChangeDataCapture => "CDC",
        Kind::IntegrationRuntime => "IR",
        Kind::LinkedService => "LS",
        Kind::Dataset => "DS",
        Kind::DataFlow => "DF",
        Kind::Pipeline => "PL",
        Kind::Trigger => "TR",
    }
}

fn env_token(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// `LS_<NAME>_<FIELD>`: the field is the last name in the pointer (with the list index when
/// the secret sits in a list).
fn variable_base(address: &ResourceAddress, pointer: &str) -> String {
    let tokens: Vec<&str> = pointer
        .trim_end_matches("/value")
        .split('/')
        .filter(|t| !t.is_empty())
        .collect();
    let mut field = Vec::new();
    for token in tokens.iter().rev() {
        field.push(env_token(token));
        if !token.chars().all(|c| c.is_ascii_digit()) {
            break;
        }
    }
    field.reverse();
    let mut parts = vec![kind_prefix(address.kind).to_owned()];
    if address.kind != Kind::GlobalParameters {
        parts.push(env_token(&address.name));
    }
    parts.extend(field.into_iter().filter(|f| !f.is_empty()));
    let name = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// Replaces every `SecureString` in `body` by `{secretFromEnv: NAME}`.
fn placeholders(
    body: &mut Value,
    address: &ResourceAddress,
    names: &mut VariableNames,
    variables: &mut Vec<SecretVariable>,
) {
    for pointer in secure_string_pointers(body) {
        let object_pointer = pointer.trim_end_matches("/value").to_owned();
        let name = names.claim(variable_base(address, &pointer));
        if let Some(slot) = body.pointer_mut(&object_pointer) {
            *slot = json!({ "secretFromEnv": name });
            variables.push(SecretVariable {
                name,
                address: address.clone(),
                pointer,
            });
        }
    }
}

// ----- short references -----------------------------------------------------------------------

/// `{referenceName: NAME, type: reference_type}` (and nothing else) → `NAME`.
fn shorten(value: &mut Value, reference_type: &str) {
    let Value::Object(map) = value else { return };
    if map.len() != 2 || map.get("type").and_then(Value::as_str) != Some(reference_type) {
        return;
    }
    if let Some(Value::String(name)) = map.get("referenceName") {
        *value = Value::String(name.clone());
    }
}

fn shorten_at(value: &mut Value, key: &str, reference_type: &str) {
    if let Some(child) = value.get_mut(key) {
        shorten(child, reference_type);
    }
}

fn items_mut(value: Option<&mut Value>) -> &mut [Value] {
    match value {
        Some(Value::Array(items)) => items,
        _ => &mut [],
    }
}

/// The inverse of the loader's expansion (`refs::expand_entity`), at the same places.
fn shorten_entity(kind: Kind, properties: &mut Value) {
    shorten_key_vault_stores(properties, 0);
    shorten_at(properties, "connectVia", "IntegrationRuntimeReference");
    match kind {
        Kind::Dataset => shorten_at(properties, "linkedServiceName", "LinkedServiceReference"),
        Kind::Pipeline => for_each_activity(properties.get_mut("activities"), 0),
        Kind::Trigger => {
            for item in items_mut(properties.get_mut("pipelines")) {
                shorten_at(item, "pipelineReference", "PipelineReference");
                let bare = match item {
                    Value::Object(map) if map.len() == 1 => map
                        .get("pipelineReference")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    _ => None,
                };
                if let Some(name) = bare {
                    *item = Value::String(name);
                }
            }
            if let Some(pipeline) = properties.get_mut("pipeline") {
                shorten_at(pipeline, "pipelineReference", "PipelineReference");
            }
        }
        Kind::DataFlow => {
            if let Some(type_properties) = properties.get_mut("typeProperties") {
                for list in ["sources", "sinks", "transformations"] {
                    for item in items_mut(type_properties.get_mut(list)) {
                        shorten_at(item, "dataset", "DatasetReference");
                        shorten_at(item, "linkedService", "LinkedServiceReference");
                        shorten_at(item, "schemaLinkedService", "LinkedServiceReference");
                        shorten_at(item, "rejectedDataLinkedService", "LinkedServiceReference");
                        shorten_at(item, "flowlet", "DataFlowReference");
                    }
                }
            }
        }
        _ => {}
    }
}

fn for_each_activity(activities: Option<&mut Value>, depth: usize) {
    if depth > 64 {
        return;
    }
    for activity in items_mut(activities) {
        shorten_activity(activity);
        let Some(type_properties) = activity.get_mut("typeProperties") else {
            continue;
        };
        for list in crate::refs::NESTED_ACTIVITY_LISTS {
            for_each_activity(type_properties.get_mut(list), depth + 1);
        }
        for case in items_mut(type_properties.get_mut("cases")) {
            for_each_activity(case.get_mut("activities"), depth + 1);
        }
    }
}

fn shorten_activity(activity: &mut Value) {
    for list in ["inputs", "outputs"] {
        for item in items_mut(activity.get_mut(list)) {
            shorten(item, "DatasetReference");
        }
    }
    shorten_at(activity, "linkedServiceName", "LinkedServiceReference");
    let activity_type = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let Some(type_properties) = activity.get_mut("typeProperties") else {
        return;
    };
    match activity_type.as_str() {
        "ExecutePipeline" => shorten_at(type_properties, "pipeline", "PipelineReference"),
        "ExecuteDataFlow" | "ExecuteWranglingDataflow" => {
            shorten_at(type_properties, "dataFlow", "DataFlowReference");
            shorten_at(
                type_properties,
                "integrationRuntime",
                "IntegrationRuntimeReference",
            );
        }
        "Lookup" | "GetMetadata" | "Delete" | "Validation" => {
            shorten_at(type_properties, "dataset", "DatasetReference");
        }
        _ => {}
    }
}

fn shorten_key_vault_stores(value: &mut Value, depth: usize) {
    if depth > crate::limits::MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            let is_secret = map.get("type").and_then(Value::as_str) == Some("AzureKeyVaultSecret");
            for (key, child) in map.iter_mut() {
                if is_secret && key == "store" {
                    shorten(child, "LinkedServiceReference");
                } else {
                    shorten_key_vault_stores(child, depth + 1);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| shorten_key_vault_stores(item, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{LoadOptions, SpecSource, load};

    fn target() -> FactoryTarget {
        FactoryTarget {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "rg".into(),
            factory: "my-factory".into(),
        }
    }

    fn entity(kind: Kind, name: &str, body: Value) -> ExportEntity {
        ExportEntity {
            kind,
            name: name.into(),
            body,
            runtime_state: (kind == Kind::Trigger).then_some(TriggerRuntimeState::Stopped),
        }
    }

    fn input() -> ExportInput {
        ExportInput {
            target: target(),
            resource_group: Some(json!({"location": "eastus"})),
            manage_resource_group: true,
            factory: json!({"location": "eastus", "identity": {"type": "SystemAssigned"},
                            "properties": {"publicNetworkAccess": "Enabled"}}),
            entities: vec![
                entity(
                    Kind::LinkedService,
                    "storage",
                    json!({"properties": {"type": "AzureBlobStorage",
                    "typeProperties": {"connectionString": {"type": "SecureString", "value": "**********"}}}}),
                ),
                entity(
                    Kind::LinkedService,
                    "kv",
                    json!({"properties": {"type": "AzureKeyVault",
                    "typeProperties": {"baseUrl": "https://kv.vault.azure.net/"}}}),
                ),
                entity(
                    Kind::LinkedService,
                    "sql",
                    json!({"properties": {"type": "AzureSqlDatabase",
                    "typeProperties": {"connectionString": "Server=x", "password": {"type": "AzureKeyVaultSecret",
                        "store": {"referenceName": "kv", "type": "LinkedServiceReference"}, "secretName": "pw"}}}}),
                ),
                entity(
                    Kind::Dataset,
                    "ds",
                    json!({"properties": {"type": "Binary",
                    "linkedServiceName": {"referenceName": "storage", "type": "LinkedServiceReference"},
                    "typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "${x}"}}}}),
                ),
                entity(
                    Kind::Pipeline,
                    "child",
                    json!({"properties": {"activities": [
                    {"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}}),
                ),
                entity(
                    Kind::Pipeline,
                    "parent",
                    json!({"properties": {"activities": [
                    {"name": "run", "type": "ExecutePipeline", "typeProperties": {
                        "pipeline": {"referenceName": "child", "type": "PipelineReference"}}},
                    {"name": "look", "type": "Lookup", "typeProperties": {
                        "dataset": {"referenceName": "ds", "type": "DatasetReference", "parameters": {"p": 1}}}}]}}),
                ),
                entity(
                    Kind::Trigger,
                    "hourly",
                    json!({"properties": {"type": "ScheduleTrigger",
                    "pipelines": [{"pipelineReference": {"referenceName": "parent", "type": "PipelineReference"}}],
                    "typeProperties": {"recurrence": {"frequency": "Hour", "interval": 1}}}}),
                ),
                entity(
                    Kind::GlobalParameters,
                    "default",
                    json!({"properties": {"env": {"type": "String", "value": "dev"}}}),
                ),
            ],
        }
    }

    #[test]
    fn secrets_become_placeholders_and_references_short() {
        let exported = export(&input(), Layout::SingleFile);
        assert_eq!(exported.files.len(), 1);
        let text = &exported.files[0].1;
        let names: Vec<&str> = exported.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["LS_STORAGE_CONNECTIONSTRING"]);
        assert!(
            text.contains("connectionString:\n        secretFromEnv: LS_STORAGE_CONNECTIONSTRING"),
            "{text}"
        );
        assert!(text.contains("#   LS_STORAGE_CONNECTIONSTRING"), "{text}");
        assert!(!text.contains("**********"), "{text}");
        assert!(text.contains("linkedServiceName: storage"), "{text}");
        assert!(text.contains("pipeline: child"), "{text}");
        assert!(text.contains("store: kv"), "{text}");
        assert!(text.contains("- parent"), "{text}");
        assert!(
            text.contains("referenceName: ds"),
            "parameters keep the full form: {text}"
        );
        assert!(text.contains("container: \"$${x}\""), "{text}");
        assert!(text.contains("runtimeState: Stopped"), "{text}");

        // It loads back to the same bodies (secrets aside).
        let mut options = LoadOptions::default();
        options
            .env
            .insert("LS_STORAGE_CONNECTIONSTRING".into(), "s3cret".into());
        let loaded = load(&[SpecSource::new("spec.yaml", text.clone())], &options)
            .unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        let desired = &loaded.desired;
        for original in &input().entities {
            let address = ResourceAddress::new(original.kind, &original.name);
            let resource = desired.get(&address).unwrap();
            let mut body = resource.body.clone();
            if let Some(slot) =
                body.pointer_mut("/properties/typeProperties/connectionString/value")
                && slot == "s3cret"
            {
                *slot = json!("**********");
            }
            assert_eq!(body, original.body, "{address}");
        }
        assert_eq!(
            desired
                .get(&ResourceAddress::new(Kind::Trigger, "hourly"))
                .unwrap()
                .runtime_state,
            Some(adf_core::RuntimeStatePolicy::Stopped)
        );
        // And exporting is deterministic.
        assert_eq!(export(&input(), Layout::SingleFile), exported);
    }

    #[test]
    fn per_kind_files_merge_to_the_single_file() {
        let single = export(&input(), Layout::SingleFile);
        for layout in [Layout::PerKind, Layout::PerEntity] {
            let split = export(&input(), layout);
            let names: Vec<&str> = split.files.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names[0], "factory.yaml");
            if layout == Layout::PerKind {
                assert_eq!(
                    names,
                    [
                        "factory.yaml",
                        "linkedServices.yaml",
                        "datasets.yaml",
                        "pipelines.yaml",
                        "triggers.yaml"
                    ]
                );
            } else {
                assert!(names.contains(&"pipelines/parent.yaml"), "{names:?}");
            }
            let mut options = LoadOptions::default();
            options
                .env
                .insert("LS_STORAGE_CONNECTIONSTRING".into(), "x".into());
            let sources: Vec<SpecSource> = split
                .files
                .iter()
                .map(|(n, t)| SpecSource::new(n.clone(), t.clone()))
                .collect();
            let merged = load(&sources, &options).unwrap();
            let whole = load(
                &[SpecSource::new("spec.yaml", single.files[0].1.clone())],
                &options,
            )
            .unwrap();
            assert_eq!(merged.desired, whole.desired);
        }
    }

    #[test]
    fn variable_names_are_derived_and_unique() {
        let address = ResourceAddress::new(Kind::LinkedService, "my-sql.db");
        assert_eq!(
            variable_base(&address, "/properties/typeProperties/password/value"),
            "LS_MY_SQL_DB_PASSWORD"
        );
        assert_eq!(
            variable_base(&address, "/properties/typeProperties/keys/0/value"),
            "LS_MY_SQL_DB_KEYS_0"
        );
        let mut names = VariableNames::default();
        assert_eq!(names.claim("A".into()), "A");
        assert_eq!(names.claim("A".into()), "A_2");
    }
}
