//! Short references: a bare name wherever ADF expects `{referenceName, type}`, expanded to the
//! ADF form on the spanned tree (so positions survive), and the walk over (nested) activities.

use crate::yaml::{Key, Node, Value};
use adf_core::Kind;

/// Replaces a string node by `{referenceName: <it>, type: <reference_type>}`.
fn expand(node: &mut Node, reference_type: &str) {
    if let Value::String { .. } = node.value {
        let pos = node.pos;
        let name = std::mem::replace(node, Node::new(Value::Null, pos));
        *node = Node::new(
            Value::Map(vec![
                (key("referenceName", pos), name),
                (
                    key("type", pos),
                    Node::new(
                        Value::String {
                            text: reference_type.to_owned(),
                            plain: false,
                        },
                        pos,
                    ),
                ),
            ]),
            pos,
        );
    }
}

fn key(text: &str, pos: crate::yaml::Pos) -> Key {
    Key {
        text: text.to_owned(),
        pos,
    }
}

fn get_mut<'a>(node: &'a mut Node, name: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|(k, _)| k.text == name)
            .map(|(_, v)| v),
        _ => None,
    }
}

fn expand_at(node: &mut Node, name: &str, reference_type: &str) {
    if let Some(child) = get_mut(node, name) {
        expand(child, reference_type);
    }
}

fn items_mut(node: Option<&mut Node>) -> &mut [Node] {
    match node.map(|n| &mut n.value) {
        Some(Value::Seq(items)) => items,
        _ => &mut [],
    }
}

/// Expands every short reference in an entity's `properties` of `kind`.
pub(crate) fn expand_entity(kind: Kind, properties: &mut Node) {
    expand_key_vault_stores(properties, 0);
    expand_at(properties, "connectVia", "IntegrationRuntimeReference");
    match kind {
        Kind::Dataset => expand_at(properties, "linkedServiceName", "LinkedServiceReference"),
        Kind::IntegrationRuntime => {
            expand_at(
                properties,
                "managedVirtualNetwork",
                "ManagedVirtualNetworkReference",
            );
        }
        Kind::LinkedService => {
            if let Some(type_properties) = get_mut(properties, "typeProperties") {
                expand_at(type_properties, "credential", "CredentialReference");
            }
        }
        Kind::Pipeline => {
            for_each_activity_mut(get_mut(properties, "activities"), 0, &mut expand_activity);
        }
        Kind::Trigger => {
            for item in items_mut(get_mut(properties, "pipelines")) {
                expand_pipeline_reference(item);
            }
            if let Some(pipeline) = get_mut(properties, "pipeline") {
                expand_pipeline_reference(pipeline);
            }
        }
        Kind::DataFlow => {
            if let Some(type_properties) = get_mut(properties, "typeProperties") {
                for list in ["sources", "sinks", "transformations"] {
                    for item in items_mut(get_mut(type_properties, list)) {
                        expand_at(item, "dataset", "DatasetReference");
                        expand_at(item, "linkedService", "LinkedServiceReference");
                        expand_at(item, "schemaLinkedService", "LinkedServiceReference");
                        expand_at(item, "rejectedDataLinkedService", "LinkedServiceReference");
                        expand_at(item, "flowlet", "DataFlowReference");
                    }
                }
            }
        }
        _ => {}
    }
}

/// A trigger's pipeline entry: a bare name, or `{pipelineReference: name, parameters}`.
fn expand_pipeline_reference(item: &mut Node) {
    if let Value::String { .. } = item.value {
        let pos = item.pos;
        let name = std::mem::replace(item, Node::new(Value::Null, pos));
        *item = Node::new(Value::Map(vec![(key("pipelineReference", pos), name)]), pos);
    }
    expand_at(item, "pipelineReference", "PipelineReference");
}

fn expand_activity(activity: &mut Node) {
    for list in ["inputs", "outputs"] {
        for item in items_mut(get_mut(activity, list)) {
            expand(item, "DatasetReference");
        }
    }
    expand_at(activity, "linkedServiceName", "LinkedServiceReference");
    let activity_type = activity
        .get("type")
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_owned();
    let Some(type_properties) = get_mut(activity, "typeProperties") else {
        return;
    };
    match activity_type.as_str() {
        "ExecutePipeline" => expand_at(type_properties, "pipeline", "PipelineReference"),
        "ExecuteDataFlow" | "ExecuteWranglingDataflow" => {
            expand_at(type_properties, "dataFlow", "DataFlowReference");
            expand_at(
                type_properties,
                "integrationRuntime",
                "IntegrationRuntimeReference",
            );
        }
        "Lookup" | "GetMetadata" | "Delete" | "Validation" => {
            expand_at(type_properties, "dataset", "DatasetReference");
        }
        _ => {}
    }
}

/// The keys under an activity's `typeProperties` that hold nested activities.
pub(crate) const NESTED_ACTIVITY_LISTS: [&str; 4] = [
    "activities",
    "ifTrueActivities",
    "ifFalseActivities",
    "defaultActivities",
];

/// Depth bound for nested containers (ADF allows far less; the YAML depth limit bounds it too).
const MAX_CONTAINER_DEPTH: usize = 64;

/// Calls `f` on every activity in `activities` and in the containers nested in them.
pub(crate) fn for_each_activity_mut(
    activities: Option<&mut Node>,
    depth: usize,
    f: &mut dyn FnMut(&mut Node),
) {
    if depth > MAX_CONTAINER_DEPTH {
        return;
    }
    for activity in items_mut(activities) {
        f(activity);
        let Some(type_properties) = get_mut(activity, "typeProperties") else {
            continue;
        };
        for list in NESTED_ACTIVITY_LISTS {
            for_each_activity_mut(get_mut(type_properties, list), depth + 1, f);
        }
        for case in items_mut(get_mut(type_properties, "cases")) {
            for_each_activity_mut(get_mut(case, "activities"), depth + 1, f);
        }
    }
}

/// Calls `f` on every activity list (the top one and each nested one), with its depth.
pub(crate) fn for_each_activity_list<'a>(
    activities: Option<&'a Node>,
    depth: usize,
    f: &mut dyn FnMut(&'a Node),
) {
    let Some(list) = activities else { return };
    if depth > MAX_CONTAINER_DEPTH {
        return;
    }
    f(list);
    let Value::Seq(items) = &list.value else {
        return;
    };
    for activity in items {
        let Some(type_properties) = activity.get("typeProperties") else {
            continue;
        };
        for name in NESTED_ACTIVITY_LISTS {
            for_each_activity_list(type_properties.get(name), depth + 1, f);
        }
        if let Some(Value::Seq(cases)) = type_properties.get("cases").map(|c| &c.value) {
            for case in cases {
                for_each_activity_list(case.get("activities"), depth + 1, f);
            }
        }
    }
}

/// `{type: AzureKeyVaultSecret, store: name}` anywhere: the store is a linked service.
fn expand_key_vault_stores(node: &mut Node, depth: usize) {
    if depth > crate::limits::MAX_DEPTH {
        return;
    }
    match &mut node.value {
        Value::Map(entries) => {
            let is_secret = entries
                .iter()
                .any(|(k, v)| k.text == "type" && v.as_str() == Some("AzureKeyVaultSecret"));
            for (k, v) in entries.iter_mut() {
                if is_secret && k.text == "store" {
                    expand(v, "LinkedServiceReference");
                } else {
                    expand_key_vault_stores(v, depth + 1);
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|item| expand_key_vault_stores(item, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn expanded(kind: Kind, text: &str) -> Node {
        let mut node = parse(text, 0).unwrap();
        expand_entity(kind, &mut node);
        node
    }

    fn reference(node: &Node) -> (String, String) {
        (
            node.get("referenceName")
                .and_then(Node::as_str)
                .unwrap()
                .to_owned(),
            node.get("type").and_then(Node::as_str).unwrap().to_owned(),
        )
    }

    #[test]
    fn expands_dataset_and_activity_references() {
        let dataset = expanded(
            Kind::Dataset,
            "type: Binary\nlinkedServiceName: ls\nconnectVia: ir1",
        );
        assert_eq!(
            reference(dataset.get("linkedServiceName").unwrap()),
            ("ls".into(), "LinkedServiceReference".into())
        );
        assert_eq!(
            reference(dataset.get("connectVia").unwrap()).1,
            "IntegrationRuntimeReference"
        );
        let pipeline = expanded(
            Kind::Pipeline,
            "activities:\n- name: each\n  type: ForEach\n  typeProperties:\n    activities:\n    - name: run\n      type: ExecutePipeline\n      typeProperties: {pipeline: child}\n    - name: copy\n      type: Copy\n      inputs: [a]\n      outputs: [{referenceName: b, type: DatasetReference}]\n",
        );
        let inner = &pipeline.get("activities").unwrap();
        let Value::Seq(items) = &inner.value else {
            panic!()
        };
        let nested = items[0]
            .get("typeProperties")
            .unwrap()
            .get("activities")
            .unwrap();
        let Value::Seq(nested) = &nested.value else {
            panic!()
        };
        assert_eq!(
            reference(
                nested[0]
                    .get("typeProperties")
                    .unwrap()
                    .get("pipeline")
                    .unwrap()
            )
            .0,
            "child"
        );
        let Value::Seq(inputs) = &nested[1].get("inputs").unwrap().value else {
            panic!()
        };
        assert_eq!(
            reference(&inputs[0]),
            ("a".into(), "DatasetReference".into())
        );
    }

    #[test]
    fn expands_trigger_pipelines_and_key_vault_stores() {
        let trigger = expanded(
            Kind::Trigger,
            "type: ScheduleTrigger\npipelines: [p1, {pipelineReference: p2, parameters: {x: 1}}]",
        );
        let Value::Seq(items) = &trigger.get("pipelines").unwrap().value else {
            panic!()
        };
        assert_eq!(
            reference(items[0].get("pipelineReference").unwrap()).0,
            "p1"
        );
        assert_eq!(
            reference(items[1].get("pipelineReference").unwrap()).0,
            "p2"
        );
        let ls = expanded(
            Kind::LinkedService,
            "type: AzureSqlDatabase\ntypeProperties:\n  password: {type: AzureKeyVaultSecret, store: kv, secretName: pw}",
        );
        let password = ls.get("typeProperties").unwrap().get("password").unwrap();
        assert_eq!(
            reference(password.get("store").unwrap()),
            ("kv".into(), "LinkedServiceReference".into())
        );
    }
}
