//! Deep merge of several spec files: mappings merge key by key, recursively; scalars and lists
//! replace; a `null` in a later file removes the key. Every node keeps the position (file,
//! line, column) of the file it came from.

use crate::yaml::{Key, Node, Value};
use std::collections::HashMap;

/// Merges `overlay` into `base`.
pub(crate) fn merge(base: Node, overlay: Node) -> Node {
    match (base.value, overlay.value) {
        (Value::Map(entries), Value::Map(overlay_entries)) => {
            // Slots keep the base order; keys new in the overlay are appended.
            let mut slots: Vec<Option<(Key, Node)>> = entries.into_iter().map(Some).collect();
            let mut index: HashMap<String, usize> = slots
                .iter()
                .enumerate()
                .filter_map(|(i, slot)| slot.as_ref().map(|(k, _)| (k.text.clone(), i)))
                .collect();
            for (key, value) in overlay_entries {
                let removing = value.value == Value::Null;
                match index.get(&key.text).copied() {
                    Some(i) if removing => {
                        slots[i] = None;
                        index.remove(&key.text);
                    }
                    Some(i) => {
                        if let Some((_, old)) = slots[i].take() {
                            slots[i] = Some((key, merge(old, value)));
                        }
                    }
                    None if removing => {}
                    None => {
                        index.insert(key.text.clone(), slots.len());
                        slots.push(Some((key, value)));
                    }
                }
            }
            Node::new(Value::Map(slots.into_iter().flatten().collect()), base.pos)
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
