//! ADF Studio's git layout as a spec source: one JSON file per entity, in a folder per kind,
//! as ADF's git integration writes them (`linkedService/ls.json` holds
//! `{"name": "ls", "type": "Microsoft.DataFactory/factories/linkedservices", "properties": {...}}`).
//!
//! Each file is read as YAML (JSON is YAML) and turned into the spec fragment it stands for
//! (`linkedServices: {ls: {...}}`), keeping every node's position in the JSON file, so that
//! diagnostics name the file, line and column. The fragments merge like overlays; the target
//! (subscription, resource group, factory name and location) comes from a YAML overlay given
//! after the repository.

use crate::sink::Sink;
use crate::yaml::{Key, Node, Pos, Value};
use adf_core::Kind;

/// The folder a JSON file of an ADF Studio repository is in, which says what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StudioFolder {
    /// `factory/<factory name>.json`: `{name, location, identity, tags, properties}`.
    Factory,
    /// `globalParameters/<name>.json`: `{name: default, properties: {name: {type, value}}}`.
    GlobalParameters,
    /// `linkedService/`, `dataset/`, `pipeline/`, `trigger/`, `dataflow/`,
    /// `integrationRuntime/`, `credential/`, `adfcdc/`, `managedVirtualNetwork/` (its
    /// `default.json`, without properties) and `managedVirtualNetwork/default/managedPrivateEndpoint/`:
    /// `{name, type?, properties}`.
    Entity(Kind),
}

impl StudioFolder {
    /// The folders adfctl reads, in the order their files are merged (each kind's
    /// [`Kind::studio_folder`], in apply order).
    pub fn folders() -> impl Iterator<Item = &'static str> {
        Kind::ALL.into_iter().filter_map(Kind::studio_folder)
    }

    /// The meaning of a folder name (exact, as ADF writes it; `/`-separated for the private
    /// endpoints' `managedVirtualNetwork/default/managedPrivateEndpoint`), or `None` for
    /// folders adfctl does not read (such as `linkedTemplates`).
    pub fn from_folder(name: &str) -> Option<StudioFolder> {
        let kind = Kind::ALL
            .into_iter()
            .find(|kind| kind.studio_folder() == Some(name))?;
        Some(match kind {
            Kind::Factory => StudioFolder::Factory,
            Kind::GlobalParameters => StudioFolder::GlobalParameters,
            kind => StudioFolder::Entity(kind),
        })
    }
}

/// Server-set fields of a factory's `identity`, which ADF Studio writes to git too.
const IDENTITY_READ_ONLY: [&str; 3] = ["principalId", "tenantId", "clientId"];

/// ADF's git JSON indents with tabs, which YAML does not allow for indentation. Outside
/// strings a tab is only whitespace, and valid JSON has none inside strings (they are
/// escaped), so each becomes one space: offsets, lines and columns stay the same.
pub(crate) fn detab(text: &str) -> String {
    text.replace('\t', " ")
}

fn key(text: &str, pos: Pos) -> Key {
    Key {
        text: text.to_owned(),
        pos,
    }
}

fn map(entries: Vec<(Key, Node)>, pos: Pos) -> Node {
    Node::new(Value::Map(entries), pos)
}

/// ADF's JSON is literal: `${` in it is not a spec variable. Writes `$${` (read back as `${`).
fn escape_variables(node: &mut Node) {
    match &mut node.value {
        Value::String { text, .. } if text.contains("${") => {
            *text = text.replace("${", "$${");
        }
        Value::Map(entries) => entries.iter_mut().for_each(|(_, v)| escape_variables(v)),
        Value::Seq(items) => items.iter_mut().for_each(escape_variables),
        _ => {}
    }
}

fn take(entries: &mut Vec<(Key, Node)>, name: &str) -> Option<(Key, Node)> {
    let index = entries.iter().position(|(k, _)| k.text == name)?;
    Some(entries.remove(index))
}

/// The spec fragment a Studio JSON file stands for, or `None` (with a diagnostic).
pub(crate) fn to_spec(folder: StudioFolder, mut root: Node, sink: &mut Sink<'_>) -> Option<Node> {
    escape_variables(&mut root);
    let pos = root.pos;
    let Value::Map(mut entries) = root.value else {
        sink.error(
            "not-a-mapping",
            pos,
            format!(
                "an ADF Studio JSON file holds one object, not {}",
                Node::new(root.value, pos).type_name()
            ),
            Some("is this file from ADF's git integration?".into()),
        );
        return None;
    };
    match folder {
        StudioFolder::Entity(kind) => {
            let spec_key = kind.spec_key()?;
            let Some((_, name)) = entries.iter().find(|(k, _)| k.text == "name") else {
                sink.error(
                    "missing-key",
                    pos,
                    format!("this {} file has no `name`", kind.label()),
                    Some("ADF's git files are `{\"name\": ..., \"properties\": {...}}`".into()),
                );
                return None;
            };
            let Some(name_text) = name.as_str().map(str::to_owned) else {
                sink.error(
                    "wrong-type",
                    name.pos,
                    format!("`name` must be a string, not {}", name.type_name()),
                    None,
                );
                return None;
            };
            let name_pos = name.pos;
            if let Some((_, kind_node)) = entries.iter().find(|(k, _)| k.text == "type")
                && let Some(text) = kind_node.as_str()
                && !text.eq_ignore_ascii_case(kind.arm_type())
            {
                sink.error(
                    "wrong-kind",
                    kind_node.pos,
                    format!(
                        "`{text}` is not a {}, but the file is in a {} folder",
                        kind.label(),
                        kind.label()
                    ),
                    Some(format!(
                        "move the file to the folder of its kind; here the type is `{}`",
                        kind.arm_type()
                    )),
                );
            }
            for (extra, _) in &entries {
                if !["name", "type", "properties", "id", "etag"].contains(&extra.text.as_str()) {
                    sink.warning(
                        "ignored-key",
                        extra.pos,
                        format!(
                            "`{}` is not used: only `name` and `properties` are",
                            extra.text
                        ),
                        None,
                    );
                }
            }
            // The spec's form (the `properties`), so that overlays use the spec's form too.
            let entity = match take(&mut entries, "properties") {
                Some((_, entity)) => Some(entity),
                // ADF Studio writes `managedVirtualNetwork/default.json` without properties.
                None if kind == Kind::ManagedVirtualNetwork => {
                    Some(Node::new(Value::Map(Vec::new()), pos))
                }
                None => None,
            };
            let Some(entity) = entity else {
                sink.error(
                    "missing-key",
                    pos,
                    format!("{} `{name_text}` has no `properties`", kind.label()),
                    Some("ADF's git files are `{\"name\": ..., \"properties\": {...}}`".into()),
                );
                return None;
            };
            Some(map(
                vec![(
                    key(spec_key, pos),
                    map(vec![(key(&name_text, name_pos), entity)], pos),
                )],
                pos,
            ))
        }
        StudioFolder::GlobalParameters => {
            let (properties_key, properties) = take(&mut entries, "properties")?;
            let _ = properties_key;
            Some(factory_fragment(
                vec![(key("globalParameters", properties.pos), properties)],
                pos,
            ))
        }
        StudioFolder::Factory => {
            let mut factory = Vec::new();
            for field in ["name", "location", "tags"] {
                if let Some(entry) = take(&mut entries, field) {
                    factory.push(entry);
                }
            }
            if let Some((identity_key, mut identity)) = take(&mut entries, "identity") {
                if let Value::Map(fields) = &mut identity.value {
                    fields.retain(|(k, _)| !IDENTITY_READ_ONLY.contains(&k.text.as_str()));
                }
                factory.push((identity_key, identity));
            }
            if let Some((properties_key, mut properties)) = take(&mut entries, "properties") {
                if let Value::Map(fields) = &mut properties.value {
                    if let Some(globals) = take(fields, "globalParameters") {
                        factory.push(globals);
                    }
                    // The git link belongs to the development factory, not to the ones this
                    // repository is deployed to; an overlay can set it.
                    fields.retain(|(k, _)| k.text != "repoConfiguration");
                    if !fields.is_empty() {
                        factory.push((properties_key, properties));
                    }
                } else {
                    factory.push((properties_key, properties));
                }
            }
            // `type`, `id`, `etag`: ARM's, not the spec's. Anything else is reported.
            for (extra, _) in entries {
                if !["type", "id", "etag", "eTag"].contains(&extra.text.as_str()) {
                    sink.warning(
                        "ignored-key",
                        extra.pos,
                        format!("`{}` in the factory file is not used", extra.text),
                        None,
                    );
                }
            }
            Some(factory_fragment(factory, pos))
        }
    }
}

fn factory_fragment(factory: Vec<(Key, Node)>, pos: Pos) -> Node {
    map(vec![(key("factory", pos), map(factory, pos))], pos)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn folders_map_to_kinds() {
        for folder in StudioFolder::folders() {
            assert!(StudioFolder::from_folder(folder).is_some(), "{folder}");
        }
        assert_eq!(StudioFolder::from_folder("linkedTemplates"), None);
        assert_eq!(
            StudioFolder::from_folder("managedVirtualNetwork/default/managedPrivateEndpoint"),
            Some(StudioFolder::Entity(Kind::ManagedPrivateEndpoint))
        );
        assert_eq!(
            StudioFolder::from_folder("adfcdc"),
            Some(StudioFolder::Entity(Kind::ChangeDataCapture))
        );
        assert_eq!(
            StudioFolder::from_folder("pipeline"),
            Some(StudioFolder::Entity(Kind::Pipeline))
        );
    }

    #[test]
    fn tabs_become_spaces_of_the_same_length() {
        let text = "{\n\t\"name\": \"a\\tb\"\n}";
        assert_eq!(detab(text).len(), text.len());
        assert!(crate::yaml::parse(&detab(text), 0).is_ok());
    }
}
