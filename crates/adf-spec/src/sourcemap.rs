//! Where each part of an entity's JSON came from: a map from JSON pointer (within the
//! entity's body, such as `/properties/activities/0/typeProperties/pipeline/referenceName`)
//! to the file, line and column of the YAML value it was converted from.
//!
//! [`Converter`](crate::convert::Converter) records it while it turns a positioned node into
//! JSON, so that checks can run on the JSON (which holds substituted values) and still point
//! at the text the user wrote.

use crate::yaml::Pos;
use std::collections::HashMap;

/// JSON pointer → position of the value it was converted from.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceMap {
    positions: HashMap<String, Pos>,
}

impl SourceMap {
    /// Records that the value at `pointer` came from `pos` (the first record wins).
    pub fn record(&mut self, pointer: &str, pos: Pos) {
        if !self.positions.contains_key(pointer) {
            self.positions.insert(pointer.to_owned(), pos);
        }
    }

    /// The position of the value at `pointer`, if it came from the spec's text.
    pub fn get(&self, pointer: &str) -> Option<Pos> {
        self.positions.get(pointer).copied()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::convert::Converter;
    use crate::interpolate::Scope;
    use crate::sink::Sink;
    use crate::sourcemap::SourceMap;
    use crate::yaml::parse;
    use std::collections::BTreeMap;

    #[test]
    fn conversion_records_the_position_of_every_value_by_json_pointer() {
        let text = "a/b: 1\nlist:\n- x\n- tilde~: ${var:v}\nsecret: {secretFromEnv: S}\n";
        let root = parse(text, 0).unwrap();
        let env = BTreeMap::from([("S".to_owned(), "hidden".to_owned())]);
        let vars = BTreeMap::from([("v".to_owned(), "substituted".to_owned())]);
        let scope = Scope {
            env: &env,
            vars: Some(&vars),
        };
        let names = vec!["spec.yaml".to_owned()];
        let mut sink = Sink::new(&names);
        let mut converter = Converter {
            scope: &scope,
            sink: &mut sink,
            secrets: Vec::new(),
            source_map: SourceMap::default(),
            secrets_optional: false,
        };
        let json = converter.convert(&root, &mut "/properties".to_owned());
        assert_eq!(json["list"][1]["tilde~"], "substituted");
        let map = converter.source_map;
        let at = |pointer: &str| map.get(pointer).map(|p| (p.line, p.column));
        assert_eq!(at("/properties"), Some((1, 1)));
        assert_eq!(at("/properties/a~1b"), Some((1, 6)));
        assert_eq!(at("/properties/list/0"), Some((3, 3)));
        assert_eq!(at("/properties/list/1/tilde~0"), Some((4, 11)));
        // A secret taken from the environment: the mapping that asked for it.
        assert_eq!(at("/properties/secret"), Some((5, 9)));
        assert_eq!(at("/properties/missing"), None);
    }
}
