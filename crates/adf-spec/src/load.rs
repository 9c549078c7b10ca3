//! Spec files to a [`DesiredState`]: the schema of the keys adfctl owns, entity bodies, and the
//! validation that needs the whole spec (references, cycles, names, limits).

use crate::convert::{Converter, describe};
use crate::diagnostic::Diagnostic;
use crate::interpolate::{Scope, substitute};
use crate::limits;
use crate::merge::merge;
use crate::refs;
use crate::sink::Sink;
use crate::studio::{self, StudioFolder};
use crate::suggest;
use crate::yaml::{self, Key, Node, Pos, Value};
use adf_core::naming;
use adf_core::rules;
use adf_core::secret::connection_string;
use adf_core::{
    DesiredResource, DesiredState, FactoryTarget, Kind, ResourceAddress, SecretSlot,
    TriggerRuntimeState,
};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One spec file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSource {
    /// The path as the user wrote it; diagnostics name the file this way.
    pub name: String,
    /// The file's text.
    pub text: String,
    /// What the text is: a spec file, or a JSON file of an ADF Studio repository.
    pub form: SourceForm,
}

/// What a [`SpecSource`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceForm {
    /// A spec file (YAML).
    #[default]
    Spec,
    /// One JSON file of an ADF Studio git repository, from the folder that says what it is.
    Studio(StudioFolder),
}

impl SpecSource {
    /// A source from its name and text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SpecSource {
            name: name.into(),
            text: text.into(),
            form: SourceForm::Spec,
        }
    }

    /// The same text, read as a JSON file of an ADF Studio repository's `folder`.
    pub fn studio(mut self, folder: StudioFolder) -> Self {
        self.form = SourceForm::Studio(folder);
        self
    }

    /// A source from raw bytes: refuses files over [`limits::MAX_FILE_BYTES`] and text that
    /// is not UTF-8, with a diagnostic pointing at the first bad byte.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self, Box<Diagnostic>> {
        let name = name.into();
        let fail = |line: usize, column: usize, offset: usize, message: String, hint: &str| {
            Box::new(Diagnostic {
                severity: crate::Severity::Error,
                code: "unreadable",
                file: name.clone(),
                line,
                column,
                message,
                hint: Some(hint.into()),
                offset,
                length: 0,
            })
        };
        if bytes.len() > limits::MAX_FILE_BYTES {
            return Err(fail(
                1,
                1,
                0,
                format!(
                    "the file has {} bytes, more than the limit of {} bytes",
                    bytes.len(),
                    limits::MAX_FILE_BYTES
                ),
                "is this the right file? A spec is a YAML text file",
            ));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SpecSource {
                name,
                text,
                form: SourceForm::Spec,
            }),
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let good = &error.as_bytes()[..offset];
                let line = good.iter().filter(|b| **b == b'\n').count() + 1;
                let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
                Err(fail(
                    line,
                    column,
                    offset,
                    format!("the file is not UTF-8 text (invalid byte at offset {offset})"),
                    "is this the right file? A spec is a YAML text file in UTF-8",
                ))
            }
        }
    }
}

/// What loading needs besides the files: the environment and `--var` values.
///
/// Its `Debug` form lists variable names only: the environment holds secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The environment (`${env:...}`, `secretFromEnv`). The CLI passes the process environment.
    pub env: BTreeMap<String, String>,
    /// `--var key=value`: override the spec's `vars:` block.
    pub vars: BTreeMap<String, String>,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A spec that loaded without errors.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// What the spec asks for.
    pub desired: DesiredState,
    /// Warnings (the spec is usable, but something looks wrong).
    pub warnings: Vec<Diagnostic>,
}

/// The top-level keys of a spec.
pub fn top_level_keys() -> Vec<&'static str> {
    let mut keys = vec!["subscription", "vars", "resourceGroup", "factory"];
    keys.extend(Kind::ENTITIES.into_iter().filter_map(Kind::spec_key));
    keys
}

/// The keys of `resourceGroup:`.
pub const RESOURCE_GROUP_KEYS: [&str; 4] = ["name", "location", "tags", "managed"];

/// The keys of `factory:`. Those after `globalParameters` go into the factory's `properties`.
pub const FACTORY_KEYS: [&str; 10] = [
    "name",
    "location",
    "tags",
    "identity",
    "globalParameters",
    "properties",
    "publicNetworkAccess",
    "repoConfiguration",
    "encryption",
    "purviewConfiguration",
];

const FACTORY_PROPERTY_KEYS: [&str; 4] = [
    "publicNetworkAccess",
    "repoConfiguration",
    "encryption",
    "purviewConfiguration",
];

/// At most this many reference cycles are reported (each costs the length of its path).
const MAX_REPORTED_CYCLES: usize = 100;

/// Above this many candidates, no "did you mean" is computed (it compares with each).
const MAX_SUGGESTION_CANDIDATES: usize = 2_000;

/// Loads and validates spec files (merged in order) into a desired state.
///
/// Pure: the files' text and the environment are inputs. Returns every error at once (with
/// the warnings), sorted by file, line and column.
pub fn load(sources: &[SpecSource], options: &LoadOptions) -> Result<Loaded, Vec<Diagnostic>> {
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut sink = Sink::new(&names);
    if sources.is_empty() {
        sink.error(
            "no-files",
            Pos::default(),
            "no spec files given",
            Some("pass one or more spec files with -f FILE".into()),
        );
        return Err(sink.finish());
    }
    let mut merged: Option<Node> = None;
    let mut unreadable = false;
    let mut first_factory_file: Option<&str> = None;
    for (index, source) in sources.iter().enumerate() {
        if source.form == SourceForm::Studio(StudioFolder::Factory) {
            match first_factory_file {
                None => first_factory_file = Some(&source.name),
                Some(first) => sink.warning(
                    "several-factory-files",
                    Pos { file: index, line: 1, column: 1, offset: 0, length: 0 },
                    format!(
                        "a second file in the repository's `factory/` folder: its fields merge over those of {first}"
                    ),
                    Some("ADF Studio writes one file per factory; delete or rename (not *.json) the ones that are not this factory's".into()),
                ),
            }
        }
        let parsed = match source.form {
            SourceForm::Spec => yaml::parse(&source.text, index).map(Some),
            SourceForm::Studio(folder) => yaml::parse(&studio::detab(&source.text), index)
                .map(|root| studio::to_spec(folder, root, &mut sink)),
        };
        let parsed = match parsed {
            Ok(Some(root)) => Ok(root),
            // Reported; the other files are still checked, so every problem shows at once.
            Ok(None) => continue,
            Err(error) => Err(error),
        };
        match parsed {
            Ok(root) if root.as_map().is_some() => {
                merged = Some(match merged {
                    None => root,
                    Some(base) => merge(base, root),
                });
            }
            Ok(root) => {
                unreadable = true;
                sink.error(
                    "not-a-mapping",
                    root.pos,
                    format!(
                        "a spec must be a mapping with keys such as `factory:` and `pipelines:`, not {}",
                        root.type_name()
                    ),
                    Some("see docs/spec.md for the layout of a spec".into()),
                );
            }
            Err(error) => {
                unreadable = true;
                sink.error("yaml", error.pos, error.message, error.hint);
            }
        }
    }
    let Some(root) = merged.filter(|_| !unreadable) else {
        return Err(sink.finish());
    };
    let mut loader = Loader {
        sink,
        env: &options.env,
        vars: BTreeMap::new(),
        studio_only: sources
            .iter()
            .all(|s| matches!(s.form, SourceForm::Studio(_))),
    };
    let state = loader.spec(&root, options);
    if state.is_none() && loader.sink.error_count() == 0 {
        // Every path that gives up reports why; this keeps the promise if one ever does not.
        loader
            .sink
            .error("incomplete", root.pos, "the spec could not be loaded", None);
    }
    let diagnostics = loader.sink.finish();
    match state {
        Some(desired) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Loaded {
            desired,
            warnings: diagnostics,
        }),
        _ => Err(diagnostics),
    }
}

/// One entity as loaded, before the whole-spec checks.
struct Entity {
    kind: Kind,
    name: String,
    name_pos: Pos,
    properties: Node,
    body: Json,
    secrets: Vec<SecretSlot>,
    runtime_state: Option<TriggerRuntimeState>,
}

struct Loader<'a, 'b> {
    sink: Sink<'b>,
    env: &'a BTreeMap<String, String>,
    vars: BTreeMap<String, String>,
    /// Only ADF Studio JSON files were given: the target must come from an overlay.
    studio_only: bool,
}

/// The hint for a missing target key when only an ADF Studio repository was given.
const STUDIO_TARGET_HINT: &str = "an ADF Studio repository does not say where to deploy: add a YAML overlay after it (`-f REPO -f target.yaml`) with `subscription`, `resourceGroup: {name, location}` and `factory: {name}`";

impl Loader<'_, '_> {
    fn spec(&mut self, root: &Node, options: &LoadOptions) -> Option<DesiredState> {
        self.check_keys(root, &top_level_keys(), "at the top level of a spec");
        self.read_vars(root.get("vars"));
        for (key, value) in &options.vars {
            self.vars.insert(key.clone(), value.clone());
        }

        let subscription = match root.get_entry("subscription") {
            Some((_, node)) => self.string(node, "`subscription`"),
            None => {
                self.sink.error(
                    "missing-key",
                    root.pos,
                    "the spec does not say which subscription the factory lives in",
                    Some(if self.studio_only {
                        STUDIO_TARGET_HINT.into()
                    } else {
                        "add `subscription: ${env:AZURE_SUBSCRIPTION_ID}` at the top level".into()
                    }),
                );
                None
            }
        };
        let group = self.resource_group(root);
        let factory = self.factory(root);

        let mut entities = Vec::new();
        if let Some(factory) = &factory
            && let Some(globals) = &factory.globals
        {
            entities.push(globals.clone_entity());
        }
        for kind in Kind::CHILDREN {
            let Some(spec_key) = kind.spec_key() else {
                continue;
            };
            let Some((key, node)) = root.get_entry(spec_key) else {
                continue;
            };
            match &node.value {
                Value::Null => {}
                Value::Map(entries) => {
                    for (name, value) in entries {
                        if let Some(entity) = self.entity(kind, name, value) {
                            entities.push(entity);
                        }
                    }
                }
                _ => self.sink.error(
                    "wrong-type",
                    node.pos,
                    format!(
                        "`{spec_key}` must be a mapping from {} name to its properties, not {}",
                        kind.label(),
                        node.type_name()
                    ),
                    Some(format!(
                        "write `{spec_key}:` then one indented `name:` per {}",
                        kind.label()
                    )),
                ),
            }
            let _ = key;
        }
        self.check_names(&entities);
        self.check_references(&entities);
        self.check_cycles(&entities);
        self.check_limits(&entities);

        let (subscription, group, factory) = (subscription?, group?, factory?);
        let target = FactoryTarget {
            subscription,
            resource_group: group.name.clone(),
            factory: factory.name.clone(),
        };
        let mut resources = Vec::new();
        if group.managed {
            resources.push(DesiredResource {
                address: ResourceAddress::new(Kind::ResourceGroup, group.name.clone()),
                path: target.resource_path(Kind::ResourceGroup, &group.name),
                body: group.body,
                secrets: group.secrets,
                runtime_state: None,
            });
        }
        resources.push(DesiredResource {
            address: ResourceAddress::new(Kind::Factory, factory.name.clone()),
            path: target.resource_path(Kind::Factory, &factory.name),
            body: factory.body,
            secrets: factory.secrets,
            runtime_state: None,
        });
        for entity in entities {
            resources.push(DesiredResource {
                path: target.resource_path(entity.kind, &entity.name),
                address: ResourceAddress::new(entity.kind, entity.name),
                body: entity.body,
                secrets: entity.secrets,
                runtime_state: entity.runtime_state,
            });
        }
        Some(DesiredState {
            target,
            resource_group_managed: group.managed,
            resources,
        })
    }

    // ----- helpers ---------------------------------------------------------------------------

    /// Substitutes `${...}` in `text`, reporting problems at `pos`.
    fn substitute(&mut self, text: &str, pos: Pos) -> String {
        let scope = Scope {
            env: self.env,
            vars: Some(&self.vars),
        };
        substitute(text, &scope, pos, &mut self.sink).text
    }

    /// Converts a node to JSON with substitution and secrets; pointers start at `pointer`.
    fn convert(&mut self, node: &Node, pointer: &str) -> (Json, Vec<SecretSlot>) {
        let scope = Scope {
            env: self.env,
            vars: Some(&self.vars),
        };
        let mut converter = Converter {
            scope: &scope,
            sink: &mut self.sink,
            secrets: Vec::new(),
        };
        let mut pointer = pointer.to_owned();
        let json = converter.convert(node, &mut pointer);
        (json, converter.secrets)
    }

    /// A scalar as a string (with substitution); an error for anything else.
    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::String { text, .. } => {
                let errors = self.sink.error_count();
                let text = self.substitute(text, node.pos);
                if text.is_empty() && self.sink.error_count() == errors {
                    self.sink
                        .error("empty", node.pos, format!("{what} is empty"), None);
                    return None;
                }
                Some(text)
            }
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.sink.error(
                    "wrong-type",
                    node.pos,
                    format!("{what} must be a string, not {}", node.type_name()),
                    None,
                );
                None
            }
        }
    }

    fn check_keys(&mut self, node: &Node, allowed: &[&str], context: &str) {
        let Some(entries) = node.as_map() else { return };
        for (key, _) in entries {
            if !allowed.contains(&key.text.as_str()) {
                self.sink.error(
                    "unknown-key",
                    key.pos,
                    format!("unknown key `{}` {context}", key.text),
                    suggest::hint(&key.text, allowed),
                );
            }
        }
    }

    fn require_map<'n>(&mut self, key: &Key, node: &'n Node, what: &str) -> Option<&'n Node> {
        match node.value {
            Value::Map(_) => Some(node),
            _ => {
                self.sink.error(
                    "wrong-type",
                    if node.value == Value::Null {
                        key.pos
                    } else {
                        node.pos
                    },
                    format!("{what} must be a mapping, not {}", node.type_name()),
                    None,
                );
                None
            }
        }
    }

    fn read_vars(&mut self, node: Option<&Node>) {
        let Some(node) = node else { return };
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return,
            _ => {
                self.sink.error(
                    "wrong-type",
                    node.pos,
                    format!(
                        "`vars` must be a mapping of names to values, not {}",
                        node.type_name()
                    ),
                    None,
                );
                return;
            }
        };
        for (key, value) in entries {
            let text = match &value.value {
                Value::String { text, .. } => {
                    let scope = Scope {
                        env: self.env,
                        vars: None,
                    };
                    substitute(text, &scope, value.pos, &mut self.sink).text
                }
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                _ => {
                    self.sink.error(
                        "wrong-type",
                        value.pos,
                        format!(
                            "variable `{}` must be a single value, not {}",
                            key.text,
                            value.type_name()
                        ),
                        None,
                    );
                    continue;
                }
            };
            self.vars.insert(key.text.clone(), text);
        }
    }

    fn tags(&mut self, node: &Node, what: &str) {
        let Some(entries) = node.as_map() else {
            if node.value != Value::Null {
                self.sink.error(
                    "wrong-type",
                    node.pos,
                    format!(
                        "{what} `tags` must be a mapping of names to strings, not {}",
                        node.type_name()
                    ),
                    None,
                );
            }
            return;
        };
        for (key, value) in entries {
            if !matches!(value.value, Value::String { .. }) {
                self.sink.error(
                    "wrong-type",
                    value.pos,
                    format!(
                        "tag `{}` must be a string, not {}",
                        key.text,
                        value.type_name()
                    ),
                    Some("quote the value, as in `costCenter: \"1234\"`".into()),
                );
            }
        }
    }

    // ----- resource group and factory ---------------------------------------------------------

    fn resource_group(&mut self, root: &Node) -> Option<Group> {
        let Some((key, node)) = root.get_entry("resourceGroup") else {
            self.sink.error(
                "missing-key",
                root.pos,
                "the spec has no `resourceGroup`",
                Some(if self.studio_only {
                    STUDIO_TARGET_HINT.into()
                } else {
                    "add `resourceGroup: {name: ..., location: ...}` at the top level".into()
                }),
            );
            return None;
        };
        let node = self.require_map(key, node, "`resourceGroup`")?;
        self.check_keys(node, &RESOURCE_GROUP_KEYS, "in `resourceGroup`");
        let managed = match node.get("managed").map(|n| (&n.value, n.pos)) {
            None => true,
            Some((Value::Bool(b), _)) => *b,
            Some((_, pos)) => {
                self.sink.error(
                    "wrong-type",
                    pos,
                    "`managed` must be `true` or `false`",
                    None,
                );
                true
            }
        };
        let name = self.required_string(
            node,
            key,
            "name",
            "`resourceGroup`",
            "the resource group's name",
        );
        if let Some(name) = &name
            && let Err(error) = naming::check_name(Kind::ResourceGroup, name)
            && let Some(pos) = node.get("name").map(|n| n.pos)
        {
            self.sink.error(
                "invalid-name",
                pos,
                error.to_string(),
                Some(format!("a resource group name has {}", error.rule)),
            );
        }
        let mut body = Map::new();
        let location = if managed {
            self.required_string(
                node,
                key,
                "location",
                "`resourceGroup`",
                "an Azure region such as `eastus`",
            )
        } else {
            node.get("location")
                .and_then(|n| self.string(n, "`location`"))
        };
        if let Some(location) = location {
            body.insert("location".into(), Json::String(location));
        }
        let mut secrets = Vec::new();
        if let Some(tags) = node.get("tags") {
            self.tags(tags, "resource group");
            let (json, found) = self.convert(tags, "/tags");
            secrets.extend(found);
            body.insert("tags".into(), json);
        }
        Some(Group {
            name: name?,
            managed,
            body: Json::Object(body),
            secrets,
        })
    }

    fn required_string(
        &mut self,
        node: &Node,
        key: &Key,
        field: &str,
        context: &str,
        example: &str,
    ) -> Option<String> {
        match node.get(field) {
            Some(value) => self.string(value, &format!("`{field}`")),
            None => {
                self.sink.error(
                    "missing-key",
                    key.pos,
                    format!("{context} has no `{field}`"),
                    Some(format!("add `{field}:` with {example}")),
                );
                None
            }
        }
    }

    fn factory(&mut self, root: &Node) -> Option<FactorySpec> {
        let Some((key, node)) = root.get_entry("factory") else {
            self.sink.error(
                "missing-key",
                root.pos,
                "the spec has no `factory`",
                Some("add `factory: {name: ..., location: ...}` at the top level".into()),
            );
            return None;
        };
        let node = self.require_map(key, node, "`factory`")?;
        self.check_keys(node, &FACTORY_KEYS, "in `factory`");
        let name = self.required_string(
            node,
            key,
            "name",
            "`factory`",
            "a globally unique name, 3-63 letters, digits and dashes",
        );
        if let Some(name) = &name
            && let Err(error) = naming::check_name(Kind::Factory, name)
            && let Some(pos) = node.get("name").map(|n| n.pos)
        {
            self.sink.error(
                "invalid-name",
                pos,
                error.to_string(),
                Some(format!("a factory name has {}", error.rule)),
            );
        }
        let location = self.required_string(
            node,
            key,
            "location",
            "`factory`",
            "an Azure region such as `eastus`",
        );
        let mut body = Map::new();
        let mut secrets = Vec::new();
        if let Some(location) = location {
            body.insert("location".into(), Json::String(location));
        }
        if let Some(tags) = node.get("tags") {
            self.tags(tags, "factory");
            let (json, found) = self.convert(tags, "/tags");
            secrets.extend(found);
            body.insert("tags".into(), json);
        }
        if let Some(identity) = node.get("identity") {
            let (json, found) = self.convert(identity, "/identity");
            secrets.extend(found);
            body.insert("identity".into(), json);
        }
        let mut properties = Map::new();
        if let Some((props_key, props)) = node.get_entry("properties")
            && let Some(props) = self.require_map(props_key, props, "`factory.properties`")
        {
            let (json, found) = self.convert(props, "/properties");
            secrets.extend(found);
            if let Json::Object(map) = json {
                properties = map;
            }
            if props.get("globalParameters").is_some() {
                self.sink.error(
                    "misplaced-key",
                    props.get_entry("globalParameters").map_or(props.pos, |(k, _)| k.pos),
                    "global parameters go in `factory.globalParameters`, not in `factory.properties`",
                    Some("move the block up one level: adfctl manages them as the factory's `globalParameters/default` entity".into()),
                );
            }
        }
        for field in FACTORY_PROPERTY_KEYS {
            if let Some((field_key, value)) = node.get_entry(field) {
                if properties.contains_key(field) {
                    self.sink.error(
                        "duplicate-key",
                        field_key.pos,
                        format!("`{field}` is given both in `factory` and in `factory.properties`"),
                        Some("keep one of them".into()),
                    );
                }
                let (json, found) = self.convert(value, &format!("/properties/{field}"));
                secrets.extend(found);
                properties.insert(field.into(), json);
            }
        }
        if !properties.is_empty() {
            body.insert("properties".into(), Json::Object(properties));
        }
        let globals = node
            .get_entry("globalParameters")
            .and_then(|(k, v)| self.global_parameters(k, v));
        Some(FactorySpec {
            name: name?,
            body: Json::Object(body),
            secrets,
            globals,
        })
    }

    fn global_parameters(&mut self, key: &Key, node: &Node) -> Option<Entity> {
        if node.value == Value::Null {
            return None;
        }
        let node = self.require_map(key, node, "`globalParameters`")?;
        for (name, parameter) in node.as_map().into_iter().flatten() {
            if let Err(error) = naming::check_name(Kind::GlobalParameters, &name.text) {
                self.sink.error(
                    "invalid-name",
                    name.pos,
                    error
                        .to_string()
                        .replace("global parameters name", "global parameter name"),
                    Some(format!("a global parameter name has {}", error.rule)),
                );
            }
            let Some(parameter) = self.require_map(
                name,
                parameter,
                &format!("global parameter `{}`", name.text),
            ) else {
                continue;
            };
            self.check_keys(
                parameter,
                &["type", "value"],
                &format!("in global parameter `{}`", name.text),
            );
            match parameter.get("type") {
                None => self.sink.error(
                    "missing-type",
                    name.pos,
                    format!("global parameter `{}` has no `type`", name.text),
                    Some(format!(
                        "add `type:`, one of {}",
                        rules::GLOBAL_PARAMETER_TYPES.join(", ")
                    )),
                ),
                Some(t) => {
                    let text = t.as_str().unwrap_or("");
                    if rules::global_parameter_type(text).is_none() {
                        self.sink.error(
                            "invalid-value",
                            t.pos,
                            format!(
                                "global parameter `{}` has type {}, which ADF does not know",
                                name.text,
                                describe(t)
                            ),
                            suggest::hint(text, &rules::GLOBAL_PARAMETER_TYPES),
                        );
                    }
                }
            }
            if parameter.get("value").is_none() {
                self.sink.error(
                    "missing-key",
                    name.pos,
                    format!("global parameter `{}` has no `value`", name.text),
                    Some("add `value:`".into()),
                );
            }
        }
        let (json, secrets) = self.convert(node, "/properties");
        Some(Entity {
            kind: Kind::GlobalParameters,
            name: "default".into(),
            name_pos: key.pos,
            properties: node.clone(),
            body: json!({ "properties": json }),
            secrets,
            runtime_state: None,
        })
    }

    // ----- entities ---------------------------------------------------------------------------

    fn entity(&mut self, kind: Kind, name: &Key, value: &Node) -> Option<Entity> {
        if let Err(error) = naming::check_name(kind, &name.text) {
            self.sink.error(
                "invalid-name",
                name.pos,
                error.to_string(),
                Some(format!("{} names have {}", kind.label(), error.rule)),
            );
        }
        if let Some(warning) = naming::dash_warning(kind, &name.text) {
            self.sink.warning(
                "dash-in-name",
                name.pos,
                warning,
                Some("use `_` instead of `-`".into()),
            );
        }
        let mut properties = match &value.value {
            Value::Map(_) => self.unwrap_adf_form(kind, name, value),
            Value::Null => {
                self.sink.error(
                    "empty-entity",
                    name.pos,
                    format!("{} `{}` is empty", kind.label(), name.text),
                    Some(
                        type_hint(kind)
                            .unwrap_or("add its ADF properties, such as `activities:`")
                            .into(),
                    ),
                );
                return None;
            }
            _ => {
                self.sink.error(
                    "wrong-type",
                    value.pos,
                    format!(
                        "{} `{}` must be a mapping of its ADF properties, not {}",
                        kind.label(),
                        name.text,
                        value.type_name()
                    ),
                    Some(format!(
                        "write `{}:` then its properties indented below",
                        name.text
                    )),
                );
                return None;
            }
        };
        let runtime_state = if kind == Kind::Trigger {
            Some(self.take_runtime_state(&mut properties))
        } else {
            None
        };
        refs::expand_entity(kind, &mut properties);
        self.check_entity(kind, name, &properties);
        if kind == Kind::LinkedService {
            self.warn_inline_credentials(name, &properties);
        }
        let (json, secrets) = self.convert(&properties, "/properties");
        Some(Entity {
            kind,
            name: name.text.clone(),
            name_pos: name.pos,
            properties,
            body: json!({ "properties": json }),
            secrets,
            runtime_state,
        })
    }

    /// Warns about credentials written into a plain connection string (`AccountKey=…`,
    /// `Password=…`): ARM takes them out and keeps them behind `encryptedCredential`
    /// (ARM-FACTS §12), and they sit in the spec's text. Never shows the value.
    fn warn_inline_credentials(&mut self, name: &Key, node: &Node) {
        match &node.value {
            Value::Map(entries) => {
                for (key, value) in entries {
                    if key.text == connection_string::KEY
                        && let Value::String { text, .. } = &value.value
                    {
                        let keys: Vec<&str> = connection_string::credentials(text)
                            .into_iter()
                            .map(|(k, _)| k)
                            .collect();
                        if !keys.is_empty() {
                            self.sink.warning(
                                "inline-credential",
                                value.pos,
                                format!(
                                    "linked service `{}` has {} in a plain connection string: ARM stores it apart and returns the string without it",
                                    name.text,
                                    keys.join(", ")
                                ),
                                Some("keep secrets out of the spec: `connectionString: {secretFromEnv: VAR}`, or a Key Vault reference (`type: AzureKeyVaultSecret`)".into()),
                            );
                        }
                    } else {
                        self.warn_inline_credentials(name, value);
                    }
                }
            }
            Value::Seq(items) => items
                .iter()
                .for_each(|item| self.warn_inline_credentials(name, item)),
            _ => {}
        }
    }

    /// Accepts the full ADF JSON form (`{name, type: Microsoft.DataFactory/..., properties}`),
    /// as ADF Studio shows it, and returns the `properties`.
    fn unwrap_adf_form(&mut self, kind: Kind, name: &Key, value: &Node) -> Node {
        const WRAPPER_KEYS: [&str; 5] = ["name", "properties", "type", "id", "etag"];
        let Some(entries) = value.as_map() else {
            return value.clone();
        };
        let Some(properties) = value.get("properties").filter(|p| p.as_map().is_some()) else {
            return value.clone();
        };
        let wrapper_type = value.get("type").and_then(Node::as_str);
        let is_wrapper = entries
            .iter()
            .all(|(k, _)| WRAPPER_KEYS.contains(&k.text.as_str()))
            && wrapper_type.is_none_or(|t| t.starts_with("Microsoft.DataFactory/"));
        if !is_wrapper {
            return value.clone();
        }
        if let Some(t) = wrapper_type
            && !t.eq_ignore_ascii_case(kind.arm_type())
            && let Some(node) = value.get("type")
        {
            self.sink.error(
                "wrong-kind",
                node.pos,
                format!(
                    "`{t}` is not a {}, but it is listed under `{}`",
                    kind.label(),
                    kind.spec_key().unwrap_or_default()
                ),
                Some(format!(
                    "move it to the section of its kind; here the type is `{}`",
                    kind.arm_type()
                )),
            );
        }
        if let Some(inner) = value.get("name")
            && let Some(inner_name) = inner.as_str()
            && inner_name != name.text
        {
            self.sink.warning(
                "name-mismatch",
                inner.pos,
                format!(
                    "the name inside (`{inner_name}`) differs from the key `{}`; the key is used",
                    name.text
                ),
                Some("remove the inner `name`, or make them equal".into()),
            );
        }
        properties.clone()
    }

    fn take_runtime_state(&mut self, properties: &mut Node) -> TriggerRuntimeState {
        let Value::Map(entries) = &mut properties.value else {
            return TriggerRuntimeState::Started;
        };
        let Some(index) = entries.iter().position(|(k, _)| k.text == "runtimeState") else {
            return TriggerRuntimeState::Started;
        };
        let (_, node) = entries.remove(index);
        let text = match &node.value {
            Value::String { text, .. } => self.substitute(text, node.pos),
            _ => String::new(),
        };
        match text.as_str() {
            "Started" => TriggerRuntimeState::Started,
            "Stopped" => TriggerRuntimeState::Stopped,
            _ => {
                self.sink.error(
                    "invalid-value",
                    node.pos,
                    format!(
                        "`runtimeState` must be `Started` or `Stopped`, not {}",
                        describe(&node)
                    ),
                    suggest::hint(&text, &["Started", "Stopped"]),
                );
                TriggerRuntimeState::Started
            }
        }
    }

    /// Checks that need one entity only: required fields, activities, ADF's per-object limits.
    fn check_entity(&mut self, kind: Kind, name: &Key, properties: &Node) {
        let label = kind.label();
        if let Some(hint) = type_hint(kind) {
            match properties.get("type") {
                None => self.sink.error(
                    "missing-type",
                    name.pos,
                    format!("{label} `{}` has no `type`", name.text),
                    Some(hint.into()),
                ),
                Some(t) if t.as_str().is_none_or(str::is_empty) => self.sink.error(
                    "wrong-type",
                    t.pos,
                    format!(
                        "the `type` of {label} `{}` must be a string, not {}",
                        name.text,
                        t.type_name()
                    ),
                    Some(hint.into()),
                ),
                Some(_) => {}
            }
        }
        if kind == Kind::Dataset && properties.get("linkedServiceName").is_none() {
            self.sink.error(
                "missing-key",
                name.pos,
                format!("dataset `{}` has no `linkedServiceName`", name.text),
                Some("name the linked service that holds the data, as in `linkedServiceName: storageLinkedService`".into()),
            );
        }
        if kind == Kind::Pipeline {
            self.check_pipeline(name, properties);
        }
    }

    fn check_pipeline(&mut self, name: &Key, properties: &Node) {
        if let Some((key, parameters)) = properties.get_entry("parameters")
            && let Some(entries) = parameters.as_map()
            && entries.len() > limits::MAX_PARAMETERS_PER_PIPELINE
        {
            self.sink.error(
                "limit",
                key.pos,
                format!(
                    "pipeline `{}` has {} parameters; ADF allows at most {}",
                    name.text,
                    entries.len(),
                    limits::MAX_PARAMETERS_PER_PIPELINE
                ),
                Some("pass an Object or Array parameter instead of many scalar ones".into()),
            );
        }
        let Some((activities_key, activities)) = properties.get_entry("activities") else {
            return;
        };
        if !matches!(activities.value, Value::Seq(_) | Value::Null) {
            self.sink.error(
                "wrong-type",
                activities.pos,
                format!(
                    "the `activities` of pipeline `{}` must be a list, not {}",
                    name.text,
                    activities.type_name()
                ),
                Some("write each activity as a list item: `- name: ...`".into()),
            );
            return;
        }
        let mut lists = Vec::new();
        refs::for_each_activity_list(Some(activities), 0, &mut |list| lists.push(list));
        let mut seen: HashMap<String, Pos> = HashMap::new();
        let mut total = 0usize;
        for list in lists {
            let Value::Seq(items) = &list.value else {
                if list.value != Value::Null {
                    self.sink.error(
                        "wrong-type",
                        list.pos,
                        format!("activities must be a list, not {}", list.type_name()),
                        None,
                    );
                }
                continue;
            };
            total += items.len();
            let names: Vec<&str> = items
                .iter()
                .filter_map(|a| a.get("name").and_then(Node::as_str))
                .collect();
            let siblings = Siblings {
                set: names.iter().copied().collect(),
                names: if names.len() > MAX_SUGGESTION_CANDIDATES {
                    Vec::new()
                } else {
                    names
                },
            };
            for activity in items {
                self.check_activity(name, activity, &siblings, &mut seen);
            }
        }
        if total > limits::MAX_ACTIVITIES_PER_PIPELINE {
            self.sink.error(
                "limit",
                activities_key.pos,
                format!(
                    "pipeline `{}` has {total} activities (counting those inside containers); ADF allows at most {}",
                    name.text,
                    limits::MAX_ACTIVITIES_PER_PIPELINE
                ),
                Some("split it into several pipelines called with ExecutePipeline".into()),
            );
        }
    }

    fn check_activity(
        &mut self,
        pipeline: &Key,
        activity: &Node,
        siblings: &Siblings<'_>,
        seen: &mut HashMap<String, Pos>,
    ) {
        if activity.as_map().is_none() {
            self.sink.error(
                "wrong-type",
                activity.pos,
                format!(
                    "an activity of pipeline `{}` must be a mapping, not {}",
                    pipeline.text,
                    activity.type_name()
                ),
                Some("each activity needs at least `name:` and `type:`".into()),
            );
            return;
        }
        let activity_name = match activity.get("name") {
            Some(node) => match node.as_str() {
                Some(text) if !text.is_empty() => Some(text.to_owned()),
                _ => {
                    self.sink.error(
                        "wrong-type",
                        node.pos,
                        "an activity `name` must be a non-empty string",
                        None,
                    );
                    None
                }
            },
            None => {
                self.sink.error(
                    "missing-key",
                    activity.pos,
                    format!("an activity of pipeline `{}` has no `name`", pipeline.text),
                    Some("add `name:`; names are unique within a pipeline".into()),
                );
                None
            }
        };
        let label = activity_name
            .as_deref()
            .map_or_else(|| "an activity".to_owned(), |n| format!("activity `{n}`"));
        if let Some(activity_name) = &activity_name
            && let Some(node) = activity.get("name")
        {
            if let Some(first) = seen.get(activity_name) {
                self.sink.error(
                    "duplicate-name",
                    node.pos,
                    format!("pipeline `{}` has two activities named `{activity_name}`", pipeline.text),
                    Some(format!("the first is at line {}, column {}; activity names are unique within a pipeline", first.line, first.column)),
                );
            } else {
                seen.insert(activity_name.clone(), node.pos);
            }
        }
        match activity.get("type") {
            None => self.sink.error(
                "missing-type",
                activity.pos,
                format!("{label} in pipeline `{}` has no `type`", pipeline.text),
                Some("add `type:`, such as `Copy`, `ForEach`, `ExecutePipeline` or `Wait`".into()),
            ),
            Some(t) if t.as_str().is_none_or(str::is_empty) => {
                self.sink.error(
                    "wrong-type",
                    t.pos,
                    format!(
                        "the `type` of {label} must be a string, not {}",
                        t.type_name()
                    ),
                    None,
                );
            }
            Some(_) => {}
        }
        for field in ["typeProperties", "inputs", "outputs", "linkedServiceName"] {
            if let Some(node) = activity.get(field) {
                self.check_expressions(node, &label, pipeline);
            }
        }
        if let Some(Value::Seq(dependencies)) = activity.get("dependsOn").map(|d| &d.value) {
            for dependency in dependencies {
                if let Some(target) = dependency.get("activity")
                    && let Some(target_name) = target.as_str()
                    && !siblings.set.contains(target_name)
                {
                    self.sink.error(
                        "dangling-reference",
                        target.pos,
                        format!("{label} depends on activity `{target_name}`, which is not in the same activity list"),
                        suggest::hint(target_name, &siblings.names).or_else(|| Some("dependsOn names an activity at the same level (not inside or outside a container)".into())),
                    );
                }
            }
        }
    }

    /// Checks the syntax of every ADF expression (`@...`, `@{...}`) in an activity's fields,
    /// with the parser the emulator runs. Nested activity lists are skipped (each nested
    /// activity is checked on its own) and so are `SecureString` values (never echoed).
    fn check_expressions(&mut self, node: &Node, label: &str, pipeline: &Key) {
        const NESTED_ACTIVITY_LISTS: [&str; 5] = [
            "activities",
            "ifTrueActivities",
            "ifFalseActivities",
            "cases",
            "defaultActivities",
        ];
        match &node.value {
            Value::String { text, .. } if text.starts_with('@') || text.contains("@{") => {
                if let Err(error) = adf_expr::check_syntax(text) {
                    self.sink.error(
                        "expression",
                        node.pos,
                        format!(
                            "{label} in pipeline `{}` has an invalid expression: {} (at character {} of `{}`)",
                            pipeline.text,
                            error.message,
                            error.position + 1,
                            excerpt(text)
                        ),
                        error
                            .hint
                            .clone()
                            .or_else(|| Some("see docs/expressions.md for the expression language".into())),
                    );
                }
            }
            Value::Seq(items) => {
                for item in items {
                    self.check_expressions(item, label, pipeline);
                }
            }
            Value::Map(entries) => {
                if node.get("type").and_then(Node::as_str) == Some("SecureString") {
                    return;
                }
                for (key, value) in entries {
                    if !NESTED_ACTIVITY_LISTS.contains(&key.text.as_str()) {
                        self.check_expressions(value, label, pipeline);
                    }
                }
            }
            _ => {}
        }
    }

    // ----- whole-spec checks ------------------------------------------------------------------

    fn check_names(&mut self, entities: &[Entity]) {
        let mut seen: HashMap<ResourceAddress, &Entity> = HashMap::new();
        for entity in entities {
            let address = ResourceAddress::new(entity.kind, entity.name.clone());
            match seen.get(&address) {
                Some(first) => self.sink.error(
                    "case-duplicate",
                    entity.name_pos,
                    format!(
                        "{} `{}` and `{}` differ only in case; ADF treats them as the same name",
                        entity.kind.label(),
                        first.name,
                        entity.name
                    ),
                    Some(format!(
                        "`{}` is defined at {}:{}:{}; rename one of them",
                        first.name,
                        self.sink.file_name(first.name_pos.file),
                        first.name_pos.line,
                        first.name_pos.column
                    )),
                ),
                None => {
                    seen.insert(address, entity);
                }
            }
        }
        let counted = entities
            .iter()
            .filter(|e| e.kind != Kind::GlobalParameters)
            .count();
        if counted > rules::MAX_ENTITIES_PER_FACTORY
            && let Some(last) = entities.last()
        {
            self.sink.error(
                "limit",
                last.name_pos,
                format!(
                    "the spec defines {counted} entities; ADF allows at most {} per factory",
                    rules::MAX_ENTITIES_PER_FACTORY
                ),
                Some("split the workload across several factories".into()),
            );
        }
    }

    fn check_references(&mut self, entities: &[Entity]) {
        // Exact names, and lower-cased names (ADF compares names ignoring case), per kind.
        let mut defined: HashMap<Kind, Vec<&str>> = HashMap::new();
        let mut exact: HashSet<(Kind, &str)> = HashSet::new();
        let mut folded: HashMap<(Kind, String), &str> = HashMap::new();
        for entity in entities {
            defined.entry(entity.kind).or_default().push(&entity.name);
            exact.insert((entity.kind, &entity.name));
            folded
                .entry((entity.kind, adf_core::naming::fold(&entity.name)))
                .or_insert(&entity.name);
        }
        for entity in entities {
            let positions = reference_positions(entity);
            for address in entity.body_references() {
                let pos = positions.get(&address).copied().unwrap_or(entity.name_pos);
                if exact.contains(&(address.kind, address.name.as_str())) {
                    continue;
                }
                if let Some(actual) = folded.get(&(address.kind, address.name.to_ascii_lowercase()))
                {
                    self.sink.warning(
                        "reference-case",
                        pos,
                        format!(
                            "{} `{}` is defined as `{actual}`; ADF matches names ignoring case",
                            address.kind.label(),
                            address.name
                        ),
                        Some(format!("write `{actual}` to match the definition")),
                    );
                    continue;
                }
                let names = defined
                    .get(&address.kind)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                // Suggestions compare against every name: skip them for huge specs.
                let names = if names.len() > MAX_SUGGESTION_CANDIDATES {
                    &[][..]
                } else {
                    names
                };
                if address.kind == Kind::IntegrationRuntime
                    && rules::is_auto_resolve_integration_runtime(&address.name)
                {
                    continue;
                }
                let section = address.kind.spec_key().unwrap_or_default();
                let hint = suggest::did_you_mean(&address.name, names.iter().copied())
                    .map(|best| format!("did you mean `{best}`?"))
                    .unwrap_or_else(|| {
                        format!("define it under `{section}:`, or correct the name")
                    });
                self.sink.error(
                    "dangling-reference",
                    pos,
                    format!(
                        "{} `{}` references {} `{}`, which the spec does not define",
                        entity.kind.label(),
                        entity.name,
                        address.kind.label(),
                        address.name
                    ),
                    Some(hint),
                );
            }
        }
    }

    /// Reference cycles (ExecutePipeline chains, linked services through Key Vault, data flows
    /// through flowlets), each reported once with its whole path.
    fn check_cycles(&mut self, entities: &[Entity]) {
        let index: HashMap<ResourceAddress, usize> = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (ResourceAddress::new(e.kind, e.name.clone()), i))
            .collect();
        let edges: Vec<Vec<usize>> = entities
            .iter()
            .map(|e| {
                e.body_references()
                    .iter()
                    .filter_map(|a| index.get(a).copied())
                    .collect()
            })
            .collect();
        // Iterative depth-first search: 0 = unvisited, 1 = on the path, 2 = done.
        let mut state = vec![0u8; entities.len()];
        let mut position_on_path = vec![0usize; entities.len()];
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        for start in 0..entities.len() {
            if state[start] != 0 {
                continue;
            }
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some((node, next)) = path.last_mut() {
                let node = *node;
                let Some(&target) = edges[node].get(*next) else {
                    state[node] = 2;
                    path.pop();
                    continue;
                };
                *next += 1;
                match state[target] {
                    0 => {
                        state[target] = 1;
                        position_on_path[target] = path.len();
                        path.push((target, 0));
                    }
                    1 if reported.len() < MAX_REPORTED_CYCLES => {
                        let from = position_on_path[target];
                        let cycle: Vec<usize> = path[from..].iter().map(|(n, _)| *n).collect();
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if reported.insert(key) {
                            self.report_cycle(entities, &cycle);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn report_cycle(&mut self, entities: &[Entity], cycle: &[usize]) {
        let Some(&first) = cycle.first() else { return };
        let mut names: Vec<String> = cycle
            .iter()
            .map(|&i| ResourceAddress::new(entities[i].kind, entities[i].name.clone()).to_string())
            .collect();
        names.push(names[0].clone());
        if names.len() > 24 {
            // A very long cycle: its start and its end are enough to find it.
            let omitted = names.len() - 20;
            names.splice(12..names.len() - 8, [format!("… ({omitted} more) …")]);
        }
        let entity = &entities[first];
        let next = cycle.get(1).map_or(first, |&i| i);
        let target = ResourceAddress::new(entities[next].kind, entities[next].name.clone());
        let pos = reference_positions(entity)
            .get(&target)
            .copied()
            .unwrap_or(entity.name_pos);
        let what = match entity.kind {
            Kind::Pipeline => "ExecutePipeline calls form a cycle",
            Kind::LinkedService => "linked services reference each other in a cycle",
            _ => "references form a cycle",
        };
        self.sink.error(
            "cycle",
            pos,
            format!("{what}: {}", names.join(" → ")),
            Some("ADF cannot create or run entities that reference each other in a loop; break the cycle".into()),
        );
    }

    fn check_limits(&mut self, entities: &[Entity]) {
        for entity in entities {
            let Some(limit) = rules::max_object_bytes(entity.kind) else {
                continue;
            };
            let size = serde_json::to_vec(&entity.body).map_or(0, |v| v.len());
            if size > limit {
                self.sink.error(
                    "limit",
                    entity.name_pos,
                    format!(
                        "{} `{}` is {} KB as JSON; ADF allows at most {} KB per {}",
                        entity.kind.label(),
                        entity.name,
                        size.div_ceil(1024),
                        limit / 1024,
                        entity.kind.label()
                    ),
                    Some("move large scripts or schemas out of the object, or split it".into()),
                );
            }
        }
    }
}

/// The activity names of one activity list.
struct Siblings<'a> {
    set: HashSet<&'a str>,
    /// For suggestions (empty when the list is huge).
    names: Vec<&'a str>,
}

struct Group {
    name: String,
    managed: bool,
    body: Json,
    secrets: Vec<SecretSlot>,
}

struct FactorySpec {
    name: String,
    body: Json,
    secrets: Vec<SecretSlot>,
    globals: Option<Entity>,
}

impl Entity {
    fn body_references(&self) -> Vec<ResourceAddress> {
        adf_core::desired::references(&self.body)
    }

    fn clone_entity(&self) -> Entity {
        Entity {
            kind: self.kind,
            name: self.name.clone(),
            name_pos: self.name_pos,
            properties: self.properties.clone(),
            body: self.body.clone(),
            secrets: self.secrets.clone(),
            runtime_state: self.runtime_state,
        }
    }
}

/// The position of each `referenceName` in an entity, found by walking its spanned tree and
/// its JSON side by side (the JSON holds substituted names).
fn reference_positions(entity: &Entity) -> HashMap<ResourceAddress, Pos> {
    let mut found = Vec::new();
    if let Some(json) = entity.body.get("properties") {
        walk_references(&entity.properties, json, &mut found, 0);
    }
    let mut first = HashMap::new();
    for (address, pos) in found {
        first.entry(address).or_insert(pos);
    }
    first
}

fn walk_references(
    node: &Node,
    json: &Json,
    found: &mut Vec<(ResourceAddress, Pos)>,
    depth: usize,
) {
    if depth > limits::MAX_DEPTH + 2 {
        return;
    }
    match (&node.value, json) {
        (Value::Map(entries), Json::Object(map)) => {
            if let (Some(Json::String(name)), Some(Json::String(reference_type))) =
                (map.get("referenceName"), map.get("type"))
                && let Some(kind) = Kind::from_reference_type(reference_type)
            {
                let pos = node.get("referenceName").map_or(node.pos, |n| n.pos);
                found.push((ResourceAddress::new(kind, name.clone()), pos));
            }
            for (key, child) in entries {
                if let Some(child_json) = map.get(&key.text) {
                    walk_references(child, child_json, found, depth + 1);
                }
            }
        }
        (Value::Seq(items), Json::Array(values)) => {
            for (item, value) in items.iter().zip(values) {
                walk_references(item, value, found, depth + 1);
            }
        }
        _ => {}
    }
}

/// The hint for a missing `type`, for the kinds that need one.
fn type_hint(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::LinkedService => Some("add the connector type, such as `type: AzureBlobStorage`"),
        Kind::Dataset => {
            Some("add the dataset type, such as `type: DelimitedText`, `Binary` or `AzureBlob`")
        }
        Kind::Trigger => Some("add the trigger type, such as `type: ScheduleTrigger`"),
        Kind::IntegrationRuntime => {
            Some("add the runtime type: `type: Managed` or `type: SelfHosted`")
        }
        Kind::DataFlow => Some("add the data flow type, such as `type: MappingDataFlow`"),
        _ => None,
    }
}

/// A one-line summary of what a desired state holds: `1 resource group, 1 factory, 2 datasets`.
pub fn summary(desired: &DesiredState) -> String {
    let mut parts = Vec::new();
    for kind in Kind::ALL {
        let count = if kind == Kind::GlobalParameters {
            desired
                .of_kind(kind)
                .filter_map(|r| r.body.get("properties").and_then(Json::as_object))
                .map(Map::len)
                .sum()
        } else {
            desired.of_kind(kind).count()
        };
        if count == 0 {
            continue;
        }
        let singular = match kind {
            Kind::GlobalParameters => "global parameter",
            _ => kind.label(),
        };
        let plural = kind.plural_label();
        parts.push(format!(
            "{count} {}",
            if count == 1 { singular } else { plural }
        ));
    }
    parts.join(", ")
}

/// At most 80 characters of an expression, for messages.
fn excerpt(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_owned()
    } else {
        let head: String = text.chars().take(77).collect();
        format!("{head}...")
    }
}
