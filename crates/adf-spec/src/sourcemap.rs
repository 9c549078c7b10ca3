//! Where each part of an entity's JSON came from: a map from JSON pointer (within the
//! entity's body, such as `/properties/activities/0/typeProperties/pipeline/referenceName`)
//! to the file, line and column of the YAML value it was converted from.
//!
//! [`Converter`](crate::convert::Converter) records it while it turns a positioned node into
//! JSON, so that checks can run on the JSON (which holds substituted values) and still point
//! at the text the user wrote.

use crate::yaml::Pos;

/// JSON pointer → position of the value it was converted from.
///
/// Compact, as it exists for every value of every entity until the whole-spec checks have
/// run: the pointers one after the other in one string, and per value the range of its
/// pointer and its position in 32-bit fields (files are limited to
/// [`crate::limits::MAX_FILE_BYTES`]), sorted by [`SourceMap::finish`] for binary search.
/// A `HashMap<String, Pos>` took about three times the memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceMap {
    pointers: String,
    entries: Vec<Entry>,
    /// `entries` sorted by pointer, duplicates dropped (the first record kept).
    sorted: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    file: u32,
    line: u32,
    column: u32,
    offset: u32,
    length: u32,
}

impl Entry {
    fn pos(&self) -> Pos {
        Pos {
            file: self.file as usize,
            line: self.line as usize,
            column: self.column as usize,
            offset: self.offset as usize,
            length: self.length as usize,
        }
    }
}

/// A field of a position that does not fit 32 bits (never, within the file size limit) is
/// saturated rather than wrapped.
fn narrow(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl SourceMap {
    /// Records that the value at `pointer` came from `pos` (the first record wins).
    pub fn record(&mut self, pointer: &str, pos: Pos) {
        let start = narrow(self.pointers.len());
        self.pointers.push_str(pointer);
        self.entries.push(Entry {
            start,
            len: narrow(pointer.len()),
            file: narrow(pos.file),
            line: narrow(pos.line),
            column: narrow(pos.column),
            offset: narrow(pos.offset),
            length: narrow(pos.length),
        });
        self.sorted = false;
    }

    /// Sorts the records for lookups, keeps the first of each pointer, and frees the spare
    /// capacity. Lookups work without it, in linear time.
    pub fn finish(&mut self) {
        let pointers = &self.pointers;
        let text = |e: &Entry| &pointers[e.start as usize..(e.start + e.len) as usize];
        // Stable: among equal pointers the first record stays first, and dedup keeps it.
        self.entries.sort_by(|a, b| text(a).cmp(text(b)));
        self.entries
            .dedup_by(|later, first| text(later) == text(first));
        self.entries.shrink_to_fit();
        self.pointers.shrink_to_fit();
        self.sorted = true;
    }

    /// The position of the value at `pointer`, if it came from the spec's text.
    pub fn get(&self, pointer: &str) -> Option<Pos> {
        let text = |e: &Entry| &self.pointers[e.start as usize..(e.start + e.len) as usize];
        if self.sorted {
            let at = self
                .entries
                .binary_search_by(|e| text(e).cmp(pointer))
                .ok()?;
            Some(self.entries[at].pos())
        } else {
            self.entries
                .iter()
                .find(|e| text(e) == pointer)
                .map(Entry::pos)
        }
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
        let mut sorted = map.clone();
        sorted.finish();
        for pointer in [
            "/properties",
            "/properties/a~1b",
            "/properties/list/0",
            "/properties/list/1/tilde~0",
            "/properties/secret",
            "/properties/missing",
        ] {
            assert_eq!(sorted.get(pointer), map.get(pointer), "{pointer}");
        }
    }

    #[test]
    fn the_first_record_of_a_pointer_wins() {
        let pos = |line| crate::yaml::Pos {
            line,
            ..Default::default()
        };
        let mut map = SourceMap::default();
        map.record("/b", pos(1));
        map.record("/a", pos(2));
        map.record("/b", pos(3));
        assert_eq!(map.get("/b").map(|p| p.line), Some(1));
        map.finish();
        assert_eq!(map.get("/b").map(|p| p.line), Some(1));
        assert_eq!(map.get("/a").map(|p| p.line), Some(2));
        assert_eq!(map.get("/c"), None);
    }
}
