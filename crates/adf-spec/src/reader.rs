//! The reader of adfctl's own keys: the top level, `vars`, `subscription`, `resourceGroup`,
//! `factory` (with `globalParameters`) and the entity sections with their wrappers
//! (`{name, type, properties}` as ADF Studio shows it, a trigger's `runtimeState`, short
//! references). It substitutes `${...}`, takes secrets, and turns each entity's body into
//! JSON with its [`SourceMap`]. The ADF checks of one entity
//! ([`checks::entity`]) run on each entity as it is read; the whole-spec checks come after.

use crate::checks::{self, type_hint};
use crate::convert::{Converter, describe};
use crate::entity::Entity;
use crate::interpolate::{Scope, substitute};
use crate::overrides::Overrides;
use crate::refs;
use crate::sink::Sink;
use crate::source::LoadOptions;
use crate::sourcemap::SourceMap;
use crate::suggest;
use crate::yaml::{Key, Node, Pos, Value};
use adf_core::kind::MANAGED_VIRTUAL_NETWORK_NAME;
use adf_core::naming;
use adf_core::pattern::PatternError;
use adf_core::rules;
use adf_core::{
    DesiredResource, DesiredState, EntityPattern, FactoryTarget, Kind, ResourceAddress,
    RuntimeStatePolicy, SecretSlot,
};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// The top-level keys of a spec.
pub fn top_level_keys() -> Vec<&'static str> {
    let mut keys = vec!["subscription", "vars", "resourceGroup", "factory"];
    keys.extend(Kind::ENTITIES.into_iter().filter_map(Kind::spec_key));
    keys.push("prune");
    keys.push("scope");
    keys.push("external");
    keys.push("triggerRuntimeState");
    keys.push("overrides");
    keys
}

/// The keys of `resourceGroup:`.
pub const RESOURCE_GROUP_KEYS: [&str; 4] = ["name", "location", "tags", "managed"];

/// The keys of `factory:`. Those after `globalParameters` go into the factory's `properties`.
pub const FACTORY_KEYS: [&str; 11] = [
    "name",
    "location",
    "tags",
    "identity",
    "managed",
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

/// The hint for a missing target key when only an ADF Studio repository was given.
const STUDIO_TARGET_HINT: &str = "an ADF Studio repository does not say where to deploy: add a YAML overlay after it (`-f REPO -f target.yaml`) with `subscription`, `resourceGroup: {name, location}` and `factory: {name}`";

/// What the reader found: each part is `None` when it could not be read (and said why).
pub(crate) struct Read {
    subscription: Option<String>,
    group: Option<Group>,
    factory: Option<FactorySpec>,
    /// The factory's global parameters (if any), then the entities in section order.
    pub entities: Vec<Entity>,
    /// `prune.keep`: patterns of live entities owned elsewhere.
    pub prune_keep: Vec<EntityPattern>,
    /// `scope.include` and `scope.exclude`.
    pub scope: (Vec<EntityPattern>, Vec<EntityPattern>),
    /// `external`: the entities another owner manages, each with where it is declared.
    pub external: Vec<(ResourceAddress, Pos)>,
}

struct Group {
    name: String,
    managed: bool,
    body: Json,
    secrets: Vec<SecretSlot>,
}

struct FactorySpec {
    name: String,
    /// `factory.managed`: when `false`, the body is not part of the desired state.
    managed: bool,
    body: Json,
    secrets: Vec<SecretSlot>,
    globals: Option<Entity>,
}

/// Reads the merged spec tree `root`. `studio_files`: for each source, whether it is an ADF
/// Studio JSON file (when all are, the target must come from an overlay).
///
/// The tree is consumed: each entity's part of it is dropped as soon as the entity is
/// converted, so that the whole tree and every entity's JSON and source map are never held
/// at once (the tree takes several times the memory of the JSON).
pub(crate) fn read(
    root: Node,
    options: &LoadOptions,
    studio_files: &[bool],
    sink: &mut Sink<'_>,
    overrides: &mut Overrides,
) -> Read {
    let mut reader = Reader {
        sink,
        overrides,
        env: &options.env,
        vars: BTreeMap::new(),
        studio_only: studio_files.iter().all(|studio| *studio),
        studio_files: studio_files.to_vec(),
        trigger_default: None,
        secrets_optional: options.secrets_optional,
    };
    reader.spec(root, options)
}

impl Read {
    /// The desired state, when the target (subscription, resource group, factory) was read.
    pub fn into_desired(self) -> Option<DesiredState> {
        let (subscription, group, factory) = (self.subscription?, self.group?, self.factory?);
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
        if factory.managed {
            resources.push(DesiredResource {
                address: ResourceAddress::new(Kind::Factory, factory.name.clone()),
                path: target.resource_path(Kind::Factory, &factory.name),
                body: factory.body,
                secrets: factory.secrets,
                runtime_state: None,
            });
        }
        for entity in self.entities {
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
            factory_managed: factory.managed,
            external: self
                .external
                .into_iter()
                .map(|(address, _)| address)
                .collect(),
            resources,
        })
    }
}

struct Reader<'a, 's, 'b> {
    sink: &'s mut Sink<'b>,
    /// The `overrides:` rules, applied to each entity as it is read.
    overrides: &'s mut Overrides,
    env: &'a BTreeMap<String, String>,
    vars: BTreeMap<String, String>,
    /// Only ADF Studio JSON files were given: the target must come from an overlay.
    studio_only: bool,
    /// For each source file, whether it is an ADF Studio JSON file.
    studio_files: Vec<bool>,
    /// `triggerRuntimeState`: the policy of triggers whose `runtimeState` no YAML file sets.
    trigger_default: Option<RuntimeStatePolicy>,
    /// See [`LoadOptions::secrets_optional`].
    secrets_optional: bool,
}

impl Reader<'_, '_, '_> {
    fn spec(&mut self, mut root: Node, options: &LoadOptions) -> Read {
        self.check_keys(&root, &top_level_keys(), "at the top level of a spec");
        self.read_vars(root.get("vars"));
        for (key, value) in &options.vars {
            self.vars.insert(key.clone(), value.clone());
        }

        let subscription = match root.get_entry("subscription") {
            Some((_, node)) => {
                let errors = self.sink.error_count();
                let subscription = self.string(node, "`subscription`");
                if let Some(id) = &subscription
                    && self.sink.error_count() == errors
                    && !is_guid(id)
                {
                    self.sink.warning(
                        "subscription-id",
                        node.pos,
                        format!("`subscription` is `{id}`, not a subscription id: Azure answers 400 InvalidSubscriptionId (only the local emulator takes any name)"),
                        Some("write the subscription's id, a GUID such as `00000000-0000-0000-0000-000000000000` (`az account show --query id`), or `${env:AZURE_SUBSCRIPTION_ID}`".into()),
                    );
                }
                subscription
            }
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
        // The group's `managed` defaults to the factory's, so the factory's is read first.
        let factory_managed = root
            .get("factory")
            .and_then(|factory| self.managed_flag(factory))
            .is_none_or(|(managed, _)| managed);
        let group = self.resource_group(&root, factory_managed);
        let mut factory = self.factory(&root, factory_managed);
        self.trigger_default = self.trigger_runtime_state(&root);

        let mut entities = Vec::new();
        if let Some(globals) = factory.as_mut().and_then(|f| f.globals.take()) {
            entities.push(globals);
        }
        for kind in Kind::CHILDREN {
            let Some(spec_key) = kind.spec_key() else {
                continue;
            };
            let Value::Map(sections) = &mut root.value else {
                continue;
            };
            let Some((key, node)) = sections.iter_mut().find(|(k, _)| k.text == spec_key) else {
                continue;
            };
            match &mut node.value {
                Value::Null => {}
                Value::Map(entries) => {
                    // Taken out of the tree: each entity's nodes go once it is converted.
                    for (name, value) in std::mem::take(entries) {
                        if let Some(entity) = self.entity(kind, &name, &value) {
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
        let prune_keep = self.prune_keep(root.get_entry("prune"));
        let scope = self.scope(root.get_entry("scope"));
        let external = self.external(root.get_entry("external"));
        Read {
            subscription,
            group,
            factory,
            entities,
            prune_keep,
            scope,
            external,
        }
    }

    /// `external: [KIND/NAME, ...]`: entities the spec references but another owner manages.
    /// Each is one exact address (no `*`, no `@FOLDER`) of a factory child.
    fn external(&mut self, entry: Option<&(Key, Node)>) -> Vec<(ResourceAddress, Pos)> {
        let Some((_, list)) = entry else {
            return Vec::new();
        };
        let items = match &list.value {
            Value::Seq(items) => items,
            Value::Null => return Vec::new(),
            _ => {
                self.sink.error(
                    "wrong-type",
                    list.pos,
                    format!(
                        "`external` must be a list of entity addresses, not {}",
                        list.type_name()
                    ),
                    Some(
                        "write `external: [integrationRuntime/SharedSHIR, linkedService/ls_keyvault]`"
                            .into(),
                    ),
                );
                return Vec::new();
            }
        };
        let mut external: Vec<(ResourceAddress, Pos)> = Vec::new();
        for item in items {
            let Some(text) = self.string(item, "an `external` entry") else {
                continue;
            };
            let address = match EntityPattern::parse(&text) {
                Err(error) => {
                    self.sink.error(
                        "invalid-value",
                        item.pos,
                        error.to_string(),
                        Some(PatternError::hint().replace(
                            "optionally @FOLDER: KIND is `*` or",
                            "one entity each: KIND is",
                        )),
                    );
                    continue;
                }
                Ok(pattern) => match pattern.address() {
                    Some(address) if address.kind != Kind::GlobalParameters => address,
                    Some(_) => {
                        self.sink.error(
                            "invalid-value",
                            item.pos,
                            format!("`{text}`: global parameters cannot be external"),
                            Some("they belong to the factory: define them under `factory.globalParameters`, or leave them out of the spec".into()),
                        );
                        continue;
                    }
                    None => {
                        self.sink.error(
                            "invalid-value",
                            item.pos,
                            format!("`{text}` is a pattern, but `external` takes the exact address of one entity"),
                            Some("write one KIND/NAME per entity, without `*`, `@FOLDER` or a `*` kind (as in `linkedService/ls_keyvault`); to leave a set of live entities alone, use `prune.keep`".into()),
                        );
                        continue;
                    }
                },
            };
            if let Err(error) = naming::check_name(address.kind, &address.name) {
                self.sink.error(
                    "invalid-name",
                    item.pos,
                    error.to_string(),
                    Some(format!(
                        "{} names have {}",
                        address.kind.label(),
                        error.rule
                    )),
                );
                continue;
            }
            if !external.iter().any(|(known, _)| *known == address) {
                external.push((address, item.pos));
            }
        }
        external
    }

    /// `triggerRuntimeState: Started | Stopped | Keep`: the policy of every trigger whose
    /// `runtimeState` no YAML file sets (a Studio file's `runtimeState` gives way to it).
    fn trigger_runtime_state(&mut self, root: &Node) -> Option<RuntimeStatePolicy> {
        let node = root.get("triggerRuntimeState")?;
        if node.value == Value::Null {
            return None;
        }
        self.runtime_state_policy(node, "triggerRuntimeState")
    }

    /// A `runtimeState` (or `triggerRuntimeState`) value: `Started`, `Stopped` or `Keep`.
    fn runtime_state_policy(&mut self, node: &Node, key: &str) -> Option<RuntimeStatePolicy> {
        let text = match &node.value {
            Value::String { text, .. } => self.substitute(text, node.pos),
            _ => String::new(),
        };
        let policy = RuntimeStatePolicy::parse(&text);
        if policy.is_none() {
            self.sink.error(
                "invalid-value",
                node.pos,
                format!(
                    "`{key}` must be `Started`, `Stopped` or `Keep`, not {}",
                    describe(node)
                ),
                suggest::hint(&text, &RuntimeStatePolicy::NAMES).or_else(|| {
                    Some("`Keep` leaves each trigger as it is live; see docs/spec.md, \"Triggers: `runtimeState`\"".into())
                }),
            );
        }
        policy
    }

    /// The `managed` flag of a `resourceGroup` or `factory` mapping, when it is written: a
    /// boolean, or a `${...}` that becomes `true` or `false` (a wrong value is reported, and
    /// counts as not written).
    fn managed_flag(&mut self, node: &Node) -> Option<(bool, Pos)> {
        let flag = node.get("managed")?;
        match &flag.value {
            Value::Bool(managed) => Some((*managed, flag.pos)),
            Value::String { text, .. } if text.contains("${") => {
                let errors = self.sink.error_count();
                match self.substitute(text, flag.pos).as_str() {
                    "true" => Some((true, flag.pos)),
                    "false" => Some((false, flag.pos)),
                    _ if self.sink.error_count() > errors => None,
                    other => {
                        self.sink.error(
                            "wrong-type",
                            flag.pos,
                            format!(
                                "`managed` must be `true` or `false`, and `{text}` is `{other}`"
                            ),
                            Some("give the variable the value `true` or `false`".into()),
                        );
                        None
                    }
                }
            }
            _ => {
                self.sink.error(
                    "wrong-type",
                    flag.pos,
                    "`managed` must be `true` or `false`",
                    None,
                );
                None
            }
        }
    }

    /// `prune: {keep: [KIND/NAME, ...]}`: live entities the spec does not define but that are
    /// owned elsewhere (`--prune` leaves them, they are no drift). `KIND` is an entity kind as
    /// in addresses (`pipeline`, `linkedService`, ...) or `*`; `NAME` may hold `*`.
    fn prune_keep(&mut self, entry: Option<&(Key, Node)>) -> Vec<EntityPattern> {
        let Some((key, node)) = entry else {
            return Vec::new();
        };
        let Some(node) = self.require_map(key, node, "`prune`") else {
            return Vec::new();
        };
        self.check_keys(node, &["keep"], "in `prune`");
        node.get("keep")
            .map(|list| self.patterns(list, "prune.keep"))
            .unwrap_or_default()
    }

    /// `scope: {include: [...], exclude: [...]}`: the part of the spec commands cover, as
    /// `--include`/`--exclude` (which add to it) would say.
    fn scope(&mut self, entry: Option<&(Key, Node)>) -> (Vec<EntityPattern>, Vec<EntityPattern>) {
        let Some((key, node)) = entry else {
            return Default::default();
        };
        let Some(node) = self.require_map(key, node, "`scope`") else {
            return Default::default();
        };
        self.check_keys(node, &["include", "exclude"], "in `scope`");
        let include = node
            .get("include")
            .map(|list| self.patterns(list, "scope.include"))
            .unwrap_or_default();
        let exclude = node
            .get("exclude")
            .map(|list| self.patterns(list, "scope.exclude"))
            .unwrap_or_default();
        (include, exclude)
    }

    /// A list of entity patterns (`pipeline/Legacy*`, `*.*@Staging`), each checked.
    fn patterns(&mut self, list: &Node, what: &str) -> Vec<EntityPattern> {
        let Value::Seq(items) = &list.value else {
            self.sink.error(
                "wrong-type",
                list.pos,
                format!(
                    "`{what}` must be a list of patterns, not {}",
                    list.type_name()
                ),
                Some("write one `- KIND/NAME` per line below it, as `- pipeline/Legacy*`".into()),
            );
            return Vec::new();
        };
        let mut patterns = Vec::new();
        for item in items {
            let Some(text) = self.string(item, &format!("a `{what}` pattern")) else {
                continue;
            };
            match EntityPattern::parse(&text) {
                Ok(pattern) => patterns.push(pattern),
                Err(error) => self.sink.error(
                    "invalid-value",
                    item.pos,
                    error.to_string(),
                    Some(PatternError::hint()),
                ),
            }
        }
        patterns
    }

    // ----- helpers ---------------------------------------------------------------------------

    /// Substitutes `${...}` in `text`, reporting problems at `pos`.
    fn substitute(&mut self, text: &str, pos: Pos) -> String {
        let scope = Scope {
            env: self.env,
            vars: Some(&self.vars),
        };
        substitute(text, &scope, pos, self.sink).text
    }

    /// Converts a node to JSON with substitution and secrets; pointers start at `pointer`.
    fn convert(&mut self, node: &Node, pointer: &str) -> (Json, Vec<SecretSlot>) {
        let (json, secrets, _) = self.convert_mapped(node, pointer);
        (json, secrets)
    }

    /// [`Self::convert`], with the source map of the JSON.
    fn convert_mapped(&mut self, node: &Node, pointer: &str) -> (Json, Vec<SecretSlot>, SourceMap) {
        let scope = Scope {
            env: self.env,
            vars: Some(&self.vars),
        };
        let mut converter = Converter {
            scope: &scope,
            sink: &mut *self.sink,
            secrets: Vec::new(),
            source_map: SourceMap::default(),
            secrets_optional: self.secrets_optional,
        };
        let mut pointer = pointer.to_owned();
        let json = converter.convert(node, &mut pointer);
        let mut source_map = converter.source_map;
        source_map.finish();
        (json, converter.secrets, source_map)
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
                    substitute(text, &scope, value.pos, self.sink).text
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

    /// `resourceGroup`; its `managed` defaults to `factory_managed`: a factory adfctl does not
    /// own lives in a group it may not delete.
    fn resource_group(&mut self, root: &Node, factory_managed: bool) -> Option<Group> {
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
        let managed = match self.managed_flag(node) {
            None => factory_managed,
            Some((true, pos)) if !factory_managed => {
                self.sink.error(
                    "invalid-value",
                    pos,
                    "`resourceGroup.managed: true` with `factory.managed: false`: destroy could delete the group, and with it a factory adfctl does not own",
                    Some("remove `resourceGroup.managed` (it then follows `factory.managed`), or set it to `false`".into()),
                );
                false
            }
            Some((managed, _)) => managed,
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

    /// `factory`. When not `managed`, its settings are read (and checked) but not desired:
    /// only its name and global parameters count.
    fn factory(&mut self, root: &Node, managed: bool) -> Option<FactorySpec> {
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
        let location = if managed {
            self.required_string(
                node,
                key,
                "location",
                "`factory`",
                "an Azure region such as `eastus`",
            )
        } else {
            node.get("location")
                .and_then(|n| self.string(n, "`location`"))
        };
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
            managed,
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
        let (json, secrets, source_map) = self.convert_mapped(node, "/properties");
        Some(Entity {
            kind: Kind::GlobalParameters,
            name: "default".into(),
            name_pos: key.pos,
            body: json!({ "properties": json }),
            source_map,
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
        if kind == Kind::ManagedVirtualNetwork && name.text != MANAGED_VIRTUAL_NETWORK_NAME {
            self.sink.error(
                "invalid-name",
                name.pos,
                format!(
                    "a factory's managed virtual network must be named `{MANAGED_VIRTUAL_NETWORK_NAME}`, not `{}`",
                    name.text
                ),
                Some(format!(
                    "ADF allows one managed virtual network per factory: write `managedVirtualNetworks: {{{MANAGED_VIRTUAL_NETWORK_NAME}: {{}}}}`"
                )),
            );
        }
        let mut properties = match &value.value {
            Value::Map(_) => self.unwrap_adf_form(kind, name, value),
            // A managed virtual network has no properties to set: `default:` alone is enough.
            Value::Null if kind == Kind::ManagedVirtualNetwork => {
                Node::new(Value::Map(Vec::new()), value.pos)
            }
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
        refs::expand_entity(kind, &mut properties);
        if self.overrides.apply(kind, name, &mut properties, self.sink) {
            // A rule's value may use the spec's short references too (idempotent).
            refs::expand_entity(kind, &mut properties);
        }
        let runtime_state = if kind == Kind::Trigger {
            Some(self.take_runtime_state(&mut properties))
        } else {
            None
        };
        checks::entity(self.sink, kind, name, &properties);
        if kind == Kind::LinkedService {
            checks::inline_credentials(self.sink, name, &properties);
        }
        let (json, secrets, source_map) = self.convert_mapped(&properties, "/properties");
        Some(Entity {
            kind,
            name: name.text.clone(),
            name_pos: name.pos,
            body: json!({ "properties": json }),
            source_map,
            secrets,
            runtime_state,
        })
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

    /// Takes a trigger's `runtimeState` out of its properties and decides its policy: a
    /// `runtimeState` written in a YAML file, else `triggerRuntimeState`, else the one in an
    /// ADF Studio file (the development factory's state when it was saved), else `Started`.
    fn take_runtime_state(&mut self, properties: &mut Node) -> RuntimeStatePolicy {
        let written = match &mut properties.value {
            Value::Map(entries) => entries
                .iter()
                .position(|(k, _)| k.text == "runtimeState")
                .map(|index| entries.remove(index).1),
            _ => None,
        };
        let default = self.trigger_default;
        let Some(node) = written else {
            return default.unwrap_or(RuntimeStatePolicy::Started);
        };
        let from_studio = self.studio_files.get(node.pos.file).copied() == Some(true);
        let policy = self.runtime_state_policy(&node, "runtimeState");
        match (policy, default) {
            (_, Some(default)) if from_studio => default,
            (Some(policy), _) => policy,
            (None, default) => default.unwrap_or(RuntimeStatePolicy::Started),
        }
    }
}

/// Whether `text` has a GUID's shape (`8-4-4-4-12` hexadecimal digits), as a subscription id does.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}
