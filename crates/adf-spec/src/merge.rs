//! Deep merge of several spec files: mappings merge key by key, recursively; scalars and lists
//! replace; a `null` in a later file removes the key. Every node keeps the position (file,
//! line, column) of the file it came from.

use crate::yaml::{Node, Value};

/// Merges `overlay` into `base`.
pub(crate) fn merge(base: Node, overlay: Node) -> Node {
    match (base.value, overlay.value) {
        (Value::Map(mut entries), Value::Map(overlay_entries)) => {
            for (key, value) in overlay_entries {
                match entries.iter().position(|(k, _)| k.text == key.text) {
                    Some(index) if value.value == Value::Null => {
                        entries.remove(index);
                    }
                    Some(index) => {
                        let (_, old) = entries.remove(index);
                        entries.insert(index, (key, merge(old, value)));
                    }
                    None if value.value == Value::Null => {}
                    None => entries.push((key, value)),
                }
            }
            Node::new(Value::Map(entries), base.pos)
        }
        (_, value) => Node::new(value, overlay.pos),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn merges_maps_and_replaces_the_rest() {
        let base = parse("a: {x: 1, y: [1, 2], z: 3}\nb: 1\n", 0).unwrap();
        let overlay = parse("a: {y: [9], z: null, w: 4}\nc: 2\n", 1).unwrap();
        let merged = merge(base, overlay);
        let a = merged.get("a").unwrap();
        let keys: Vec<&str> = a
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.text.as_str())
            .collect();
        assert_eq!(keys, ["x", "y", "w"]);
        assert_eq!(a.get("x").unwrap().pos.file, 0);
        assert_eq!(a.get("y").unwrap().pos.file, 1);
        assert_eq!(a.get("y").unwrap().pos.line, 1);
        assert!(merged.get("b").is_some() && merged.get("c").is_some());
    }
}
