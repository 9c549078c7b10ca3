//! Override rules: per-environment changes by path, deep inside an entity, without copying it.
//!
//! ```yaml
//! overrides:
//!   - target: pipeline/PL_Load*            # an entity pattern (adf_core::pattern), @FOLDER too
//!     set:                                 # replace values that exist
//!       activities[CopySales].policy.timeout: "0.02:00:00"
//!     add:                                 # new keys; or append to a list
//!       parameters.region: {type: String, defaultValue: "${var:region}"}
//!     remove:                              # keys or list elements that exist
//!       - activities[DebugDump]
//!     optional: true                       # no error when nothing matches
//! ```
//!
//! A path is relative to the entity's `properties` (a leading `properties.` or `$.properties.`,
//! as azure.datafactory.tools writes it, is accepted). `.` steps into a mapping; `[N]` picks a
//! list element by position, `[Name]` by its `name`. A pipeline's activity names are unique
//! across the pipeline, so `activities[Name]` also finds an activity nested in a ForEach,
//! If Condition, Switch or Until.
//!
//! The rules of every file are collected before the files merge (a later file's list would
//! replace an earlier one's otherwise), and run after the merge, in the order of the files and
//! of the rules, on each entity as written (short references expanded, before `${...}`
//! substitution: a rule's value may use `${env:...}` and `${var:...}`, and positions in the
//! entity point at the rule). A rule whose target matches nothing, or whose path matches nothing
//! in an entity it targets, is an error unless it is `optional`.

use crate::sink::Sink;
use crate::suggest;
use crate::yaml::{Key, Node, Pos, Value};
use adf_core::pattern::PatternError;
use adf_core::{AppliedOverride, EntityPattern, Kind, OverrideOp, ResourceAddress};

/// The keys of one rule.
const RULE_KEYS: [&str; 5] = ["target", "set", "add", "remove", "optional"];

/// Every rule of a spec, and what they matched.
#[derive(Default)]
pub(crate) struct Overrides {
    rules: Vec<Rule>,
    /// The entities read so far (for "matches nothing" hints).
    seen: Vec<ResourceAddress>,
    /// What the rules did, in order.
    applied: Vec<AppliedOverride>,
}

struct Rule {
    target: EntityPattern,
    target_pos: Pos,
    optional: bool,
    operations: Vec<Operation>,
    matched: usize,
}

struct Operation {
    op: OverrideOp,
    /// The path as written.
    text: String,
    segments: Vec<Segment>,
    pos: Pos,
    /// The value (`set` and `add`).
    value: Option<Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
    Named(String),
}

/// One step of a located path.
#[derive(Debug, Clone, Copy)]
enum Step {
    Key(usize),
    Index(usize),
}

impl Overrides {
    /// Reads the rules of one file's `overrides:` list, reporting what is malformed.
    pub fn read(&mut self, list: &Node, sink: &mut Sink<'_>) {
        let Value::Seq(items) = &list.value else {
            sink.error(
                "wrong-type",
                list.pos,
                format!("`overrides` must be a list of rules, not {}", list.type_name()),
                Some("write `overrides:` then `- target: pipeline/NAME` with `set:`, `add:` or `remove:` below".into()),
            );
            return;
        };
        for item in items {
            if let Some(rule) = read_rule(item, sink) {
                self.rules.push(rule);
            }
        }
    }

    /// Applies every rule that targets this entity to its `properties`, in order; whether any
    /// operation changed it.
    pub fn apply(
        &mut self,
        kind: Kind,
        name: &Key,
        properties: &mut Node,
        sink: &mut Sink<'_>,
    ) -> bool {
        let address = ResourceAddress::new(kind, name.text.clone());
        self.seen.push(address.clone());
        let applied_before = self.applied.len();
        for rule in &mut self.rules {
            let folder = properties
                .get("folder")
                .and_then(|f| f.get("name"))
                .and_then(Node::as_str)
                .map(str::to_owned);
            if !rule.target.matches(&address, folder.as_deref()) {
                continue;
            }
            rule.matched += 1;
            for operation in &rule.operations {
                match operation.run(kind, properties) {
                    Ok(()) => self.applied.push(AppliedOverride {
                        address: address.clone(),
                        op: operation.op,
                        path: operation.text.clone(),
                        origin: format!(
                            "{}:{}:{}",
                            sink.file_name(operation.pos.file),
                            operation.pos.line,
                            operation.pos.column
                        ),
                    }),
                    Err(_) if rule.optional => {}
                    Err(miss) => sink.error(
                        "override-path",
                        operation.pos,
                        format!(
                            "override of {} `{}`: `{}` {}",
                            kind.label(),
                            name.text,
                            operation.text,
                            miss.message
                        ),
                        miss.hint,
                    ),
                }
            }
        }
        self.applied.len() > applied_before
    }

    /// Reports the rules that matched no entity, and returns what the rules did.
    pub fn finish(self, sink: &mut Sink<'_>) -> Vec<AppliedOverride> {
        for rule in &self.rules {
            if rule.matched > 0 || rule.optional {
                continue;
            }
            let candidates: Vec<&str> = self
                .seen
                .iter()
                .filter(|a| rule.target.kind().is_none_or(|k| k == a.kind))
                .map(|a| a.name.as_str())
                .collect();
            let name = rule
                .target
                .as_str()
                .split_once(['/', '.'])
                .map_or("", |(_, n)| n.split('@').next().unwrap_or(n));
            let hint = suggest::did_you_mean(name, candidates.iter().copied())
                .map(|best| format!("did you mean `{best}`? (or add `optional: true` to the rule when the entity may be absent)"))
                .unwrap_or_else(|| "check the pattern (`KIND/NAME`, `*` for any characters, `@FOLDER`); add `optional: true` when the entity may be absent".into());
            sink.error(
                "override-target",
                rule.target_pos,
                format!(
                    "override target `{}` matches no entity of the spec",
                    rule.target
                ),
                Some(hint),
            );
        }
        self.applied
    }
}

fn read_rule(item: &Node, sink: &mut Sink<'_>) -> Option<Rule> {
    let Some(entries) = item.as_map() else {
        sink.error(
            "wrong-type",
            item.pos,
            format!(
                "an override rule must be a mapping, not {}",
                item.type_name()
            ),
            Some("write `- target: pipeline/NAME` and `set:`, `add:` or `remove:`".into()),
        );
        return None;
    };
    for (key, _) in entries {
        if !RULE_KEYS.contains(&key.text.as_str()) {
            sink.error(
                "unknown-key",
                key.pos,
                format!("unknown key `{}` in an override rule", key.text),
                suggest::hint(&key.text, &RULE_KEYS),
            );
        }
    }
    let Some((target_key, target)) = item.get_entry("target") else {
        sink.error(
            "missing-key",
            item.pos,
            "an override rule has no `target`",
            Some("add `target: pipeline/NAME` (a pattern: `*` for any characters, `@FOLDER` for a Studio folder)".into()),
        );
        return None;
    };
    let pattern = match target.as_str().map(EntityPattern::parse) {
        Some(Ok(pattern)) => pattern,
        Some(Err(error)) => {
            sink.error(
                "invalid-value",
                target.pos,
                error.to_string(),
                Some(PatternError::hint()),
            );
            return None;
        }
        None => {
            sink.error(
                "wrong-type",
                target.pos,
                format!("`target` must be a string, not {}", target.type_name()),
                Some(PatternError::hint()),
            );
            return None;
        }
    };
    let _ = target_key;
    let optional = match item.get("optional").map(|n| &n.value) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            let pos = item.get("optional").map_or(item.pos, |n| n.pos);
            sink.error(
                "wrong-type",
                pos,
                "`optional` must be `true` or `false`",
                None,
            );
            false
        }
    };
    let mut operations = Vec::new();
    for (key, node) in entries {
        let op = match key.text.as_str() {
            "set" => OverrideOp::Set,
            "add" => OverrideOp::Add,
            "remove" => OverrideOp::Remove,
            _ => continue,
        };
        match (&node.value, op) {
            (Value::Map(paths), OverrideOp::Set | OverrideOp::Add) => {
                for (path, value) in paths {
                    if let Some(segments) = read_path(&path.text, path.pos, sink) {
                        operations.push(Operation {
                            op,
                            text: path.text.clone(),
                            segments,
                            pos: path.pos,
                            value: Some(value.clone()),
                        });
                    }
                }
            }
            (Value::Seq(paths), OverrideOp::Remove) => {
                for path in paths {
                    let Some(text) = path.as_str() else {
                        sink.error(
                            "wrong-type",
                            path.pos,
                            format!(
                                "a path to remove must be a string, not {}",
                                path.type_name()
                            ),
                            None,
                        );
                        continue;
                    };
                    if let Some(segments) = read_path(text, path.pos, sink) {
                        operations.push(Operation {
                            op,
                            text: text.to_owned(),
                            segments,
                            pos: path.pos,
                            value: None,
                        });
                    }
                }
            }
            (_, OverrideOp::Remove) => sink.error(
                "wrong-type",
                node.pos,
                format!("`remove` must be a list of paths, not {}", node.type_name()),
                Some("write `remove:` then `- activities[DebugDump]` indented below".into()),
            ),
            _ => sink.error(
                "wrong-type",
                node.pos,
                format!(
                    "`{}` must be a mapping from path to value, not {}",
                    key.text,
                    node.type_name()
                ),
                Some(format!(
                    "write `{}:` then `activities[CopySales].policy.timeout: VALUE` indented below",
                    key.text
                )),
            ),
        }
    }
    if operations.is_empty()
        && !entries
            .iter()
            .any(|(k, _)| ["set", "add", "remove"].contains(&k.text.as_str()))
    {
        sink.error(
            "missing-key",
            item.pos,
            format!("override rule for `{pattern}` has no `set`, `add` or `remove`"),
            Some("add `set:` or `add:` with `PATH: VALUE` lines below, or `remove:` with `- PATH` lines (block style: `[` and `]` in a path do not fit in `{...}`)".into()),
        );
        return None;
    }
    Some(Rule {
        target: pattern,
        target_pos: target.pos,
        optional,
        operations,
        matched: 0,
    })
}

/// Parses `a.b[Name].c[0]` (a leading `properties.` or `$.properties.` dropped).
fn read_path(text: &str, pos: Pos, sink: &mut Sink<'_>) -> Option<Vec<Segment>> {
    match parse_path(text) {
        Ok(segments) => Some(segments),
        Err(reason) => {
            sink.error(
                "invalid-path",
                pos,
                format!("`{text}` is not a path: {reason}"),
                Some("write keys separated by `.`, and `[N]` or `[Name]` for a list element: `activities[CopySales].policy.timeout`".into()),
            );
            None
        }
    }
}

fn parse_path(text: &str) -> Result<Vec<Segment>, String> {
    let rest = text
        .strip_prefix("$.properties.")
        .or_else(|| text.strip_prefix("properties."))
        .unwrap_or(text);
    let mut segments = Vec::new();
    let mut chars = rest.chars().peekable();
    let mut key = String::new();
    let mut after_bracket = false;
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if key.is_empty() && !after_bracket {
                    return Err("it has an empty key (`..`, or a `.` at an end)".into());
                }
                if !key.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut key)));
                }
                after_bracket = false;
                if chars.peek().is_none() {
                    return Err("it ends with `.`".into());
                }
            }
            '[' => {
                if !key.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut key)));
                }
                let mut inner = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == ']' {
                        closed = true;
                        break;
                    }
                    inner.push(c);
                }
                if !closed {
                    return Err("a `[` is not closed".into());
                }
                let inner = inner.trim();
                let quoted = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
                segments.push(match (quoted, inner.parse::<usize>()) {
                    (Some(name), _) => Segment::Named(name.to_owned()),
                    (None, Ok(index)) => Segment::Index(index),
                    (None, Err(_)) if inner.is_empty() => {
                        return Err("`[]` names no element".into());
                    }
                    (None, Err(_)) => Segment::Named(inner.to_owned()),
                });
                after_bracket = true;
                if chars.peek().is_some_and(|c| *c != '.' && *c != '[') {
                    return Err("a `]` must be followed by `.`, `[` or the end".into());
                }
            }
            ']' => return Err("a `]` has no `[`".into()),
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        segments.push(Segment::Key(key));
    }
    if segments.is_empty() {
        return Err("it is empty".into());
    }
    Ok(segments)
}

/// Why a path matches nothing, and what would.
#[derive(Debug)]
struct Miss {
    message: String,
    hint: Option<String>,
}

impl Operation {
    fn run(&self, kind: Kind, properties: &mut Node) -> Result<(), Miss> {
        let value = || {
            self.value
                .clone()
                .unwrap_or_else(|| Node::new(Value::Null, self.pos))
        };
        if self.op == OverrideOp::Add {
            let (parent, last) = self.segments.split_at(self.segments.len() - 1);
            let steps = locate(properties, parent, kind)?;
            return add(walk_mut(properties, &steps), &last[0], value());
        }
        let mut steps = locate(properties, &self.segments, kind)?;
        let Some(last) = steps.pop() else {
            return Ok(());
        };
        let parent = walk_mut(properties, &steps);
        match (self.op, &mut parent.value, last) {
            (OverrideOp::Set, _, _) => *child_mut(parent, last) = value(),
            (_, Value::Map(entries), Step::Key(i)) => {
                entries.remove(i);
            }
            (_, Value::Seq(items), Step::Index(i)) => {
                items.remove(i);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Adds `value` at `segment` of `parent`: a new key, an element inserted at an index, or
/// (for a key holding a list) elements appended.
fn add(parent: &mut Node, segment: &Segment, value: Node) -> Result<(), Miss> {
    match (segment, &mut parent.value) {
        (Segment::Key(key), Value::Map(entries)) => {
            match entries.iter_mut().find(|(k, _)| &k.text == key) {
                None => {
                    entries.push((
                        Key {
                            text: key.clone(),
                            pos: value.pos,
                        },
                        value,
                    ));
                    Ok(())
                }
                Some((_, Node { value: Value::Seq(items), .. })) => {
                    match value.value {
                        Value::Seq(more) => items.extend(more),
                        _ => items.push(value),
                    }
                    Ok(())
                }
                Some(_) => Err(Miss {
                    message: "already exists".into(),
                    hint: Some("use `set` to change a value that exists; `add` adds a key, or appends to a list".into()),
                }),
            }
        }
        (Segment::Index(index), Value::Seq(items)) if *index <= items.len() => {
            items.insert(*index, value);
            Ok(())
        }
        (Segment::Index(index), Value::Seq(items)) => Err(Miss {
            message: format!(
                "matches nothing: the list has {} elements, so `[{index}]` is past its end",
                items.len()
            ),
            hint: Some(format!(
                "insert at `[0]`..`[{}]`, or name the list itself to append",
                items.len()
            )),
        }),
        (Segment::Named(name), Value::Seq(_)) => Err(Miss {
            message: format!("cannot add at `[{name}]`: an element is added by position"),
            hint: Some(
                "name the list itself (`activities`) to append, or `[N]` to insert at N".into(),
            ),
        }),
        (_, _) => Err(Miss {
            message: format!(
                "matches nothing: {} holds no {}",
                parent.type_name(),
                describe(segment)
            ),
            hint: None,
        }),
    }
}

fn describe(segment: &Segment) -> String {
    match segment {
        Segment::Key(key) => format!("key `{key}`"),
        Segment::Index(index) => format!("element `[{index}]`"),
        Segment::Named(name) => format!("element `[{name}]`"),
    }
}

/// Follows `segments` from `root`, returning the steps taken.
fn locate(root: &Node, segments: &[Segment], kind: Kind) -> Result<Vec<Step>, Miss> {
    let mut steps = Vec::new();
    let mut node = root;
    for segment in segments {
        let step = step_in_ref(node, segment, &steps, kind)?;
        match step {
            Found::Direct(step) => {
                steps.push(step);
                node = child(node, step);
            }
            Found::Nested(path) => {
                // `activities[Name]` found in a nested activity list: `path` leads there from
                // the pipeline's properties.
                steps = path;
                node = walk(root, &steps);
            }
        }
    }
    Ok(steps)
}

enum Found {
    Direct(Step),
    Nested(Vec<Step>),
}

/// One step from `node` (reached by `steps`), resolving a pipeline's `activities[Name]`
/// anywhere in the pipeline.
fn step_in_ref(node: &Node, segment: &Segment, steps: &[Step], kind: Kind) -> Result<Found, Miss> {
    match (segment, &node.value) {
        (Segment::Key(key), Value::Map(entries)) => entries
            .iter()
            .position(|(k, _)| &k.text == key)
            .map(|i| Found::Direct(Step::Key(i)))
            .ok_or_else(|| {
                let keys: Vec<&str> = entries.iter().map(|(k, _)| k.text.as_str()).collect();
                Miss {
                    message: format!("matches nothing: there is no key `{key}`"),
                    hint: suggest::hint(key, &keys),
                }
            }),
        // `['a.b']`: a key that holds a dot.
        (Segment::Named(key), Value::Map(entries)) => entries
            .iter()
            .position(|(k, _)| &k.text == key)
            .map(|i| Found::Direct(Step::Key(i)))
            .ok_or_else(|| Miss {
                message: format!("matches nothing: there is no key `{key}`"),
                hint: None,
            }),
        (Segment::Index(index), Value::Seq(items)) => {
            if *index < items.len() {
                Ok(Found::Direct(Step::Index(*index)))
            } else {
                Err(Miss {
                    message: format!("matches nothing: the list has {} elements", items.len()),
                    hint: None,
                })
            }
        }
        (Segment::Named(name), Value::Seq(items)) => {
            if let Some(i) = items.iter().position(|item| named(item) == Some(name)) {
                return Ok(Found::Direct(Step::Index(i)));
            }
            // A pipeline's top-level `activities[Name]`: the name may be nested.
            let at_pipeline_activities = kind == Kind::Pipeline && steps.len() == 1;
            if at_pipeline_activities {
                let mut path = steps.to_vec();
                if let Some(found) = find_nested(node, name, &mut path) {
                    return Ok(Found::Nested(found));
                }
            }
            let mut names = Vec::new();
            collect_names(node, &mut names, at_pipeline_activities);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            Err(Miss {
                message: format!("matches nothing: no element is named `{name}`"),
                hint: suggest::hint(name, &names),
            })
        }
        (_, _) => Err(Miss {
            message: format!(
                "matches nothing: {} holds no {}",
                node.type_name(),
                describe(segment)
            ),
            hint: None,
        }),
    }
}

fn named(item: &Node) -> Option<&String> {
    match &item.get("name")?.value {
        Value::String { text, .. } => Some(text),
        _ => None,
    }
}

/// The keys under which activities nest in a container activity (ForEach, Until, If
/// Condition, Switch and its cases).
const NESTING_KEYS: [&str; 6] = [
    "typeProperties",
    "activities",
    "ifTrueActivities",
    "ifFalseActivities",
    "defaultActivities",
    "cases",
];

/// Depth-first search below a list of activities for an element named `name` in any nested
/// list of activities (`activities`, `ifTrueActivities`, `cases[].activities`, ...).
fn find_nested(list: &Node, name: &str, path: &mut Vec<Step>) -> Option<Vec<Step>> {
    match &list.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                if named(item).is_some_and(|n| n == name) {
                    return Some(path.clone());
                }
                if let Some(found) = find_nested(item, name, path) {
                    return Some(found);
                }
                path.pop();
            }
            None
        }
        Value::Map(entries) => {
            for (i, (key, value)) in entries.iter().enumerate() {
                // Only where activities nest: not into, say, a Script's named parameters.
                if NESTING_KEYS.contains(&key.text.as_str())
                    && matches!(value.value, Value::Map(_) | Value::Seq(_))
                {
                    path.push(Step::Key(i));
                    if let Some(found) = find_nested(value, name, path) {
                        return Some(found);
                    }
                    path.pop();
                }
            }
            None
        }
        _ => None,
    }
}

/// The names of the elements of a list (and, for a pipeline's activities, of nested ones).
fn collect_names(node: &Node, names: &mut Vec<String>, deep: bool) {
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                if let Some(name) = named(item) {
                    names.push(name.clone());
                }
                if deep {
                    collect_names(item, names, deep);
                }
            }
        }
        Value::Map(entries) if deep => {
            for (key, value) in entries {
                if NESTING_KEYS.contains(&key.text.as_str()) {
                    collect_names(value, names, deep);
                }
            }
        }
        _ => {}
    }
}

fn child(node: &Node, step: Step) -> &Node {
    match (&node.value, step) {
        (Value::Map(entries), Step::Key(i)) => &entries[i].1,
        (Value::Seq(items), Step::Index(i)) => &items[i],
        _ => node,
    }
}

fn child_mut(node: &mut Node, step: Step) -> &mut Node {
    match (&mut node.value, step) {
        (Value::Map(entries), Step::Key(i)) => &mut entries[i].1,
        (Value::Seq(items), Step::Index(i)) => &mut items[i],
        _ => unreachable_step(),
    }
}

#[track_caller]
fn unreachable_step() -> ! {
    // Steps come from `locate` on the same tree, unchanged since.
    panic!("an override step does not fit the tree it was located in")
}

fn walk<'a>(root: &'a Node, steps: &[Step]) -> &'a Node {
    steps.iter().fold(root, |node, step| child(node, *step))
}

fn walk_mut<'a>(root: &'a mut Node, steps: &[Step]) -> &'a mut Node {
    let mut node = root;
    for step in steps {
        node = child_mut(node, *step);
    }
    node
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_name_is_an_activity_and_a_quoted_key_may_hold_a_dot() {
        let text = "activities:\n  - name: Run\n    type: Script\n    typeProperties:\n      parameters: [{name: p1, value: 1}]\n      'a.b': 2\n";
        let mut node = crate::yaml::parse(text, 0).unwrap();
        let op = |path: &str| Operation {
            op: OverrideOp::Set,
            text: path.into(),
            segments: parse_path(path).unwrap(),
            pos: Pos::default(),
            value: Some(Node::new(Value::Bool(true), Pos::default())),
        };
        // `p1` names a Script parameter, not an activity.
        let miss = op("activities[p1].x")
            .run(Kind::Pipeline, &mut node)
            .unwrap_err();
        assert!(
            miss.message.contains("no element is named `p1`"),
            "{}",
            miss.message
        );
        op("activities[Run].typeProperties['a.b']")
            .run(Kind::Pipeline, &mut node)
            .unwrap();
        let set = node.get("activities").unwrap();
        let Value::Seq(items) = &set.value else {
            panic!()
        };
        assert_eq!(
            items[0]
                .get("typeProperties")
                .unwrap()
                .get("a.b")
                .unwrap()
                .value,
            Value::Bool(true)
        );
    }

    #[test]
    fn paths() {
        use Segment::*;
        assert_eq!(
            parse_path("activities[CopySales].policy.timeout").unwrap(),
            [
                Key("activities".into()),
                Named("CopySales".into()),
                Key("policy".into()),
                Key("timeout".into())
            ]
        );
        assert_eq!(
            parse_path("$.properties.activities[0].typeProperties['a.b']").unwrap(),
            [
                Key("activities".into()),
                Index(0),
                Key("typeProperties".into()),
                Named("a.b".into())
            ]
        );
        assert_eq!(parse_path("properties.x").unwrap(), [Key("x".into())]);
        for bad in ["", "a..b", "a.", "a[b", "a]", "a[]", "a[0]b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
