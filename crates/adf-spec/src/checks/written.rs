//! The checks of one entity as written: they run on its positioned tree (after short
//! references are expanded, before `${...}` substitution), while the reader reads it.

use super::{MAX_SUGGESTION_CANDIDATES, type_hint};
use crate::limits;
use crate::refs;
use crate::sink::Sink;
use crate::suggest;
use crate::yaml::{Key, Node, Pos, Value};
use adf_core::Kind;
use adf_core::secret::connection_string;
use std::collections::{HashMap, HashSet};

/// Checks one entity's `properties` as written: required fields, activities, ADF's
/// per-object limits, expression syntax.
pub(crate) fn entity(sink: &mut Sink<'_>, kind: Kind, name: &Key, properties: &Node) {
    Checker { sink }.check_entity(kind, name, properties);
}

/// Warns about credentials written into a plain connection string of a linked service.
pub(crate) fn inline_credentials(sink: &mut Sink<'_>, name: &Key, properties: &Node) {
    Checker { sink }.warn_inline_credentials(name, properties);
}

struct Checker<'s, 'b> {
    sink: &'s mut Sink<'b>,
}

impl Checker<'_, '_> {
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
        let others = adf_core::rules::required_properties(kind)
            .iter()
            .filter(|field| **field != "type");
        for field in others {
            if properties.get(field).is_none() {
                let hint = match *field {
                    "linkedServiceName" => "name the linked service that holds the data, as in `linkedServiceName: storageLinkedService`".to_owned(),
                    field => format!("add `{field}:`"),
                };
                self.sink.error(
                    "missing-key",
                    name.pos,
                    format!("{label} `{}` has no `{field}`", name.text),
                    Some(hint),
                );
            }
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
}

/// The activity names of one activity list.
struct Siblings<'a> {
    set: HashSet<&'a str>,
    /// For suggestions (empty when the list is huge).
    names: Vec<&'a str>,
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
