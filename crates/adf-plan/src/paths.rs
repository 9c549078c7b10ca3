//! Property-level differences between two normalised bodies: what a reviewer reads.
//!
//! Paths are written the way people name things in ADF: `activities[CopySales].policy.timeout`
//! (array elements that have a `name` are named by it, nested activities included), `[2]` for
//! the others; a child entity's leading `properties.` is left out. Named elements that were
//! added, removed, renamed or moved are reported as such, not as a cascade of index shifts.
//! Pure; the bodies are already redacted, so nothing here can show a secret.

use serde_json::{Map, Value};

/// One difference.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyChange {
    /// A value that changed.
    Changed {
        /// Where.
        path: String,
        /// The live value.
        before: Value,
        /// The desired value.
        after: Value,
    },
    /// A property or named element only the desired body has.
    Added {
        /// Where.
        path: String,
        /// The desired value.
        value: Value,
    },
    /// A property or named element only the live body has.
    Removed {
        /// Where.
        path: String,
        /// The live value.
        value: Value,
    },
    /// A named element that only changed its name (everything else equal).
    Renamed {
        /// The array.
        path: String,
        /// The live name.
        from: String,
        /// The desired name.
        to: String,
    },
    /// A named element at another position among the elements both sides have.
    Moved {
        /// The element (`activities[Copy]`).
        path: String,
        /// Its live position (0-based).
        from: usize,
        /// Its desired position (0-based).
        to: usize,
    },
}

impl PropertyChange {
    /// The path the change is at.
    pub fn path(&self) -> &str {
        match self {
            PropertyChange::Changed { path, .. }
            | PropertyChange::Added { path, .. }
            | PropertyChange::Removed { path, .. }
            | PropertyChange::Renamed { path, .. }
            | PropertyChange::Moved { path, .. } => path,
        }
    }
}

/// The differences from `before` (live) to `after` (desired), in the desired body's key order.
pub fn property_changes(before: &Value, after: &Value) -> Vec<PropertyChange> {
    let mut out = Vec::new();
    walk(String::new(), before, after, &mut out);
    for change in &mut out {
        let path = match change {
            PropertyChange::Changed { path, .. }
            | PropertyChange::Added { path, .. }
            | PropertyChange::Removed { path, .. }
            | PropertyChange::Renamed { path, .. }
            | PropertyChange::Moved { path, .. } => path,
        };
        if let Some(rest) = path.strip_prefix("properties.") {
            *path = rest.to_owned();
        } else if let Some(rest) = path.strip_prefix("properties")
            && rest.starts_with('[')
        {
            *path = rest.to_owned();
        }
    }
    out
}

/// The changed paths, each once, in order.
pub fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for change in property_changes(before, after) {
        if !paths.iter().any(|p| p == change.path()) {
            paths.push(change.path().to_owned());
        }
    }
    paths
}

fn join(path: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    match (path.is_empty(), simple) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", serde_json::Value::String(key.to_owned())),
    }
}

fn walk(path: String, before: &Value, after: &Value, out: &mut Vec<PropertyChange>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => objects(&path, old, new, out),
        (Value::Array(old), Value::Array(new)) => arrays(&path, old, new, out),
        _ => out.push(PropertyChange::Changed {
            path,
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

fn objects(
    path: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    out: &mut Vec<PropertyChange>,
) {
    for (key, value) in new {
        let at = join(path, key);
        match old.get(key) {
            Some(previous) => walk(at, previous, value, out),
            None => out.push(PropertyChange::Added {
                path: at,
                value: value.clone(),
            }),
        }
    }
    for (key, value) in old {
        if !new.contains_key(key) {
            out.push(PropertyChange::Removed {
                path: join(path, key),
                value: value.clone(),
            });
        }
    }
}

/// The `name`s of an array's elements, when every element is an object with a distinct one.
fn names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|item| item.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == names.len()).then_some(names)
}

fn without_name(item: &Value) -> Value {
    let mut copy = item.clone();
    if let Some(map) = copy.as_object_mut() {
        map.remove("name");
    }
    copy
}

fn arrays(path: &str, old: &[Value], new: &[Value], out: &mut Vec<PropertyChange>) {
    let (Some(old_names), Some(new_names)) = (names(old), names(new)) else {
        positional(path, old, new, out);
        return;
    };
    let element = |name: &str| format!("{path}[{name}]");
    // Renames: a removed and an added element equal but for their name.
    let removed: Vec<usize> = (0..old.len())
        .filter(|&i| !new_names.contains(&old_names[i]))
        .collect();
    let added: Vec<usize> = (0..new.len())
        .filter(|&i| !old_names.contains(&new_names[i]))
        .collect();
    let mut renamed_from = Vec::new();
    let mut renamed_to = Vec::new();
    for &to in &added {
        if let Some(&from) = removed.iter().find(|&&from| {
            !renamed_from.contains(&from) && without_name(&old[from]) == without_name(&new[to])
        }) {
            renamed_from.push(from);
            renamed_to.push(to);
            out.push(PropertyChange::Renamed {
                path: path.to_owned(),
                from: old_names[from].to_owned(),
                to: new_names[to].to_owned(),
            });
        }
    }
    // Moves: the elements both sides have, out of their common order (those not on a longest
    // common subsequence of the two orders).
    let common_old: Vec<&str> = old_names
        .iter()
        .copied()
        .filter(|n| new_names.contains(n))
        .collect();
    let common_new: Vec<&str> = new_names
        .iter()
        .copied()
        .filter(|n| old_names.contains(n))
        .collect();
    let kept = longest_common_subsequence(&common_old, &common_new);
    for name in &common_new {
        if !kept.contains(name) {
            let from = old_names.iter().position(|n| n == name).unwrap_or(0);
            let to = new_names.iter().position(|n| n == name).unwrap_or(0);
            out.push(PropertyChange::Moved {
                path: element(name),
                from,
                to,
            });
        }
    }
    // Then each element in the desired order: changed, added; then the removed ones.
    for (index, item) in new.iter().enumerate() {
        let name = new_names[index];
        match old_names.iter().position(|n| *n == name) {
            Some(previous) => walk(element(name), &old[previous], item, out),
            None if renamed_to.contains(&index) => {}
            None => out.push(PropertyChange::Added {
                path: element(name),
                value: item.clone(),
            }),
        }
    }
    for index in removed {
        if !renamed_from.contains(&index) {
            out.push(PropertyChange::Removed {
                path: element(old_names[index]),
                value: old[index].clone(),
            });
        }
    }
}

fn positional(path: &str, old: &[Value], new: &[Value], out: &mut Vec<PropertyChange>) {
    if old.len() != new.len() && (old.iter().any(is_container) || new.iter().any(is_container)) {
        // Unnamed objects in a list that grew or shrank: positions say nothing; show the list.
        out.push(PropertyChange::Changed {
            path: path.to_owned(),
            before: Value::Array(old.to_vec()),
            after: Value::Array(new.to_vec()),
        });
        return;
    }
    for index in 0..old.len().max(new.len()) {
        let at = format!("{path}[{index}]");
        match (old.get(index), new.get(index)) {
            (Some(a), Some(b)) => walk(at, a, b, out),
            (None, Some(b)) => out.push(PropertyChange::Added {
                path: at,
                value: b.clone(),
            }),
            (Some(a), None) => out.push(PropertyChange::Removed {
                path: at,
                value: a.clone(),
            }),
            (None, None) => {}
        }
    }
}

fn is_container(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

/// The names on a longest common subsequence of `a` and `b` (small lists: quadratic is fine;
/// bounded for very long ones).
fn longest_common_subsequence<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    if a == b {
        return a.to_vec();
    }
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        // Beyond 2,000 × 2,000 elements: keep the common prefix, call the rest moved.
        return a
            .iter()
            .zip(b)
            .take_while(|(x, y)| x == y)
            .map(|(x, _)| *x)
            .collect();
    }
    let mut table = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(a[i]);
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn activity(name: &str, batch: u32) -> Value {
        json!({"name": name, "type": "ForEach", "typeProperties": {"batchCount": batch,
            "activities": [{"name": "Inner", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]}})
    }

    fn lines(before: &Value, after: &Value) -> Vec<String> {
        property_changes(before, after)
            .into_iter()
            .map(|change| match change {
                PropertyChange::Changed {
                    path,
                    before,
                    after,
                } => format!("~ {path}: {before} → {after}"),
                PropertyChange::Added { path, .. } => format!("+ {path}"),
                PropertyChange::Removed { path, .. } => format!("- {path}"),
                PropertyChange::Renamed { path, from, to } => {
                    format!("{path}: {from} renamed {to}")
                }
                PropertyChange::Moved { path, from, to } => format!("↕ {path}: {from} → {to}"),
            })
            .collect()
    }

    #[test]
    fn named_elements_are_paths_and_nested_activities_too() {
        let before = json!({"properties": {"activities": [activity("ForEachTable", 4), activity("Other", 1)]}});
        let mut after = before.clone();
        after["properties"]["activities"][0]["typeProperties"]["batchCount"] = json!(8);
        after["properties"]["activities"][0]["typeProperties"]["activities"][0]["typeProperties"]
            ["waitTimeInSeconds"] = json!(2);
        assert_eq!(
            lines(&before, &after),
            [
                "~ activities[ForEachTable].typeProperties.batchCount: 4 → 8",
                "~ activities[ForEachTable].typeProperties.activities[Inner].typeProperties.waitTimeInSeconds: 1 → 2"
            ]
        );
    }

    #[test]
    fn added_removed_renamed_and_moved_are_said_as_such() {
        let before = json!({"properties": {"activities": [
            activity("A", 1), activity("B", 2), activity("C", 3), activity("Old", 9)]}});
        let after = json!({"properties": {"activities": [
            activity("C", 3), activity("A", 1), activity("B", 2), activity("New", 9), activity("D", 4)]}});
        assert_eq!(
            lines(&before, &after),
            [
                "activities: Old renamed New",
                "↕ activities[C]: 2 → 0",
                "+ activities[D]"
            ]
        );
    }

    #[test]
    fn unnamed_lists_compare_by_position_and_odd_keys_are_quoted() {
        let before = json!({"properties": {"annotations": ["a", "b"], "odd key": 1}});
        let after = json!({"properties": {"annotations": ["a", "c"], "odd key": 2, "new": true}});
        assert_eq!(
            lines(&before, &after),
            [
                "~ annotations[1]: \"b\" → \"c\"",
                "~ [\"odd key\"]: 1 → 2",
                "+ new"
            ]
        );
        assert_eq!(changed_paths(&before, &after).len(), 3);
        assert!(property_changes(&before, &before).is_empty());
    }
}
