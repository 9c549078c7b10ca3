//! A YAML reader that keeps the position of every key and value.
//!
//! saphyr-parser produces events with spans; this module folds them into a small tree
//! ([`Node`]) without recursion, resolving scalars with the YAML 1.2 core schema (`yes`/`on`
//! stay strings, quoted scalars stay strings), expanding aliases within a node budget, and
//! refusing duplicate keys, deep nesting and oversized input.

use crate::limits::{MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::Number;
use std::collections::HashMap;

/// Where a node starts in which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    /// Index into the list of sources.
    pub file: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Byte offset.
    pub offset: usize,
    /// Byte length of the text this position covers.
    pub length: usize,
}

/// A mapping key: always a string (scalar keys keep their source text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub text: String,
    pub pos: Pos,
}

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(Number),
    /// `plain` is true for an unquoted plain scalar (its type may be re-resolved after
    /// variable substitution).
    String {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Node {
        Node { value, pos }
    }

    /// The entries if this is a mapping.
    pub fn as_map(&self) -> Option<&Vec<(Key, Node)>> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value under `key` if this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| v)
    }

    /// The key entry under `key` if this is a mapping holding it.
    pub fn get_entry(&self, key: &str) -> Option<&(Key, Node)> {
        self.as_map()?.iter().find(|(k, _)| k.text == key)
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String { .. } => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A problem found while reading YAML.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlError {
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

/// Maps saphyr's character positions to byte offsets.
struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// Whether each line (its newline included) is ASCII: there a character column is a byte
    /// column, found in constant time (a generated spec's flow mappings make lines of
    /// thousands of characters, and counting characters for every node was quadratic).
    ascii_lines: Vec<bool>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        let mut ascii_lines = Vec::new();
        let mut ascii = true;
        for (i, b) in text.bytes().enumerate() {
            ascii &= b.is_ascii();
            if b == b'\n' {
                line_starts.push(i + 1);
                ascii_lines.push(ascii);
                ascii = true;
            }
        }
        ascii_lines.push(ascii);
        LineIndex {
            text,
            line_starts,
            ascii_lines,
        }
    }

    /// Byte offset of the 1-based `line`, 0-based character `col`.
    fn offset(&self, line: usize, col: usize) -> usize {
        let index = line.saturating_sub(1);
        let start = self
            .line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len());
        let line_end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        if self.ascii_lines.get(index) == Some(&true) && start + col <= line_end {
            // Within an ASCII line (or at its end: the next line's first byte, or the end of
            // the text), characters are bytes; the same answer as counting them below.
            return start + col;
        }
        let rest = self.text.get(start..).unwrap_or("");
        rest.char_indices()
            .nth(col)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    fn pos(&self, file: usize, span: &Span) -> Pos {
        let offset = self.offset(span.start.line(), span.start.col());
        let end = if span.end.line() == span.start.line() {
            self.offset(span.end.line(), span.end.col())
        } else {
            // A multi-line span: cover the first line only (enough for a snippet label).
            let rest = self.text.get(offset..).unwrap_or("");
            offset + rest.find('\n').unwrap_or(rest.len())
        };
        Pos {
            file,
            line: span.start.line().max(1),
            column: span.start.col() + 1,
            offset,
            length: end.saturating_sub(offset),
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        /// Key → index in `entries`, for duplicate detection in constant time.
        keys: HashMap<String, usize>,
        pending_key: Option<Key>,
        /// Indexes in `entries` of merge keys: a plain `<<` (a quoted `"<<"` is a string key).
        merges: Vec<usize>,
        pos: Pos,
        anchor: usize,
    },
}

/// Reads one YAML document. An empty file is an empty mapping.
pub(crate) fn parse(text: &str, file: usize) -> Result<Node, YamlError> {
    let start = Pos {
        file,
        line: 1,
        column: 1,
        offset: 0,
        length: 0,
    };
    if text.len() > MAX_FILE_BYTES {
        return Err(YamlError {
            pos: start,
            message: format!(
                "the file has {} bytes, more than the limit of {} bytes",
                text.len(),
                MAX_FILE_BYTES
            ),
            hint: Some("split the spec into several files, or move large scripts out".into()),
        });
    }
    let index = LineIndex::new(text);
    let mut builder = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        documents: 0,
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        match event {
            Ok((event, span)) => {
                let pos = index.pos(file, &span);
                if !builder.event(event, pos)? {
                    break;
                }
            }
            Err(error) => {
                let marker = error.marker();
                let pos = index.pos(
                    file,
                    &Span {
                        start: *marker,
                        end: *marker,
                    },
                );
                return Err(YamlError {
                    pos,
                    message: format!("invalid YAML: {}", error.info()),
                    hint: None,
                });
            }
        }
    }
    Ok(builder
        .root
        .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), start)))
}

struct Builder {
    file: usize,
    stack: Vec<Frame>,
    /// anchor id → (node, its node count)
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
}

impl Builder {
    /// Handles one event; `Ok(false)` stops reading.
    fn event(&mut self, event: Event<'_>, pos: Pos) -> Result<bool, YamlError> {
        match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::StreamEnd => return Ok(false),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(YamlError {
                        pos,
                        message: "a spec file holds one YAML document; this is a second one".into(),
                        hint: Some(
                            "put each document in its own file and pass each with -f".into(),
                        ),
                    });
                }
            }
            Event::Alias(id) => {
                let Some(count) = self.anchors.get(&id).map(|(_, count)| *count) else {
                    return Err(error(pos, "an alias refers to an unknown anchor"));
                };
                // Count first: a copy is made only when it fits in the budget.
                self.count(count, pos)?;
                let Some(mut node) = self.anchors.get(&id).map(|(node, _)| node.clone()) else {
                    return Err(error(pos, "an alias refers to an unknown anchor"));
                };
                node.pos = pos;
                self.push(node)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, pos)?;
                let value = scalar(&text, style, tag.as_deref(), pos)?;
                let node = Node::new(value, pos);
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.push(node)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.count(1, pos)?;
                self.collection_tag(tag.as_deref(), "seq", pos)?;
                self.open(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                })?;
            }
            Event::MappingStart(anchor, tag) => {
                self.count(1, pos)?;
                self.collection_tag(tag.as_deref(), "map", pos)?;
                self.open(Frame::Map {
                    entries: Vec::new(),
                    keys: HashMap::new(),
                    pending_key: None,
                    merges: Vec::new(),
                    pos,
                    anchor,
                })?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(error(pos, "unbalanced YAML structure"));
                };
                let (node, anchor) = match frame {
                    Frame::Seq { items, pos, anchor } => {
                        (Node::new(Value::Seq(items), pos), anchor)
                    }
                    Frame::Map {
                        entries,
                        merges,
                        pos,
                        anchor,
                        ..
                    } => (
                        Node::new(Value::Map(merge_keys(entries, &merges)), pos),
                        anchor,
                    ),
                };
                if anchor > 0 {
                    let count = count_nodes(&node);
                    self.anchors.insert(anchor, (node.clone(), count));
                }
                self.push(node)?;
            }
        }
        Ok(true)
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(YamlError {
                pos,
                message: format!(
                    "the file expands to more than {MAX_NODES} YAML nodes (counting what aliases copy)"
                ),
                hint: Some(
                    "a spec this large is almost certainly an alias bomb or a mistake".into(),
                ),
            });
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            let pos = match &frame {
                Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
            };
            return Err(YamlError {
                pos,
                message: format!("nesting is deeper than the limit of {MAX_DEPTH} levels"),
                hint: None,
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    fn collection_tag(&self, tag: Option<&Tag>, core: &str, pos: Pos) -> Result<(), YamlError> {
        match tag {
            None => Ok(()),
            Some(tag) if tag.is_yaml_core_schema() && tag.suffix == core => Ok(()),
            Some(tag) => Err(unsupported_tag(tag, pos)),
        }
    }

    fn push(&mut self, node: Node) -> Result<(), YamlError> {
        let _ = self.file;
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                keys,
                pending_key,
                merges,
                ..
            }) => match pending_key.take() {
                Some(key) => {
                    entries.push((key, node));
                    Ok(())
                }
                None => {
                    if matches!(&node.value, Value::String { text, plain: true } if text == "<<") {
                        merges.push(entries.len());
                    }
                    let text = match node.value {
                        Value::String { text, .. } => text,
                        Value::Null => String::new(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(YamlError {
                                pos: node.pos,
                                message:
                                    "mapping keys must be plain strings, not lists or mappings"
                                        .into(),
                                hint: None,
                            });
                        }
                    };
                    if let Some((first, _)) = keys.get(&text).and_then(|&i| entries.get(i)) {
                        return Err(YamlError {
                            pos: node.pos,
                            message: format!("duplicate key `{text}`"),
                            hint: Some(format!(
                                "`{text}` is already defined at line {}, column {}",
                                first.pos.line, first.pos.column
                            )),
                        });
                    }
                    keys.insert(text.clone(), entries.len());
                    *pending_key = Some(Key {
                        text,
                        pos: node.pos,
                    });
                    Ok(())
                }
            },
        }
    }
}

fn error(pos: Pos, message: &str) -> YamlError {
    YamlError {
        pos,
        message: message.into(),
        hint: None,
    }
}

fn unsupported_tag(tag: &Tag, pos: Pos) -> YamlError {
    YamlError {
        pos,
        message: format!("unsupported YAML tag `{tag}`"),
        hint: Some("only the core tags !!str, !!int, !!float, !!bool, !!null, !!seq and !!map are supported".into()),
    }
}

/// Applies YAML merge keys (`<<: *base`): the merged mapping's entries come first unless the
/// mapping sets them itself.
fn merge_keys(entries: Vec<(Key, Node)>, merges: &[usize]) -> Vec<(Key, Node)> {
    if merges.is_empty() {
        return entries;
    }
    let mut own = Vec::new();
    let mut merged: Vec<(Key, Node)> = Vec::new();
    let mut merged_keys = std::collections::HashSet::new();
    for (index, (key, value)) in entries.into_iter().enumerate() {
        if !merges.contains(&index) {
            own.push((key, value));
            continue;
        }
        let sources = match value.value {
            Value::Map(map) => vec![map],
            Value::Seq(items) => items
                .into_iter()
                .filter_map(|item| match item.value {
                    Value::Map(map) => Some(map),
                    _ => None,
                })
                .collect(),
            other => {
                own.push((key, Node::new(other, value.pos)));
                continue;
            }
        };
        for source in sources {
            for (k, v) in source {
                if merged_keys.insert(k.text.clone()) {
                    merged.push((k, v));
                }
            }
        }
    }
    let own_keys: std::collections::HashSet<&str> =
        own.iter().map(|(k, _)| k.text.as_str()).collect();
    let mut result: Vec<(Key, Node)> = merged
        .into_iter()
        .filter(|(k, _)| !own_keys.contains(k.text.as_str()))
        .collect();
    result.extend(own);
    result
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0usize;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        count += 1;
        match &node.value {
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    count
}

fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>, pos: Pos) -> Result<Value, YamlError> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return Err(unsupported_tag(tag, pos));
        }
        let resolved = resolve_plain(text);
        let ok = match tag.suffix.as_str() {
            "str" => {
                return Ok(Value::String {
                    text: text.to_owned(),
                    plain: false,
                });
            }
            "int" => matches!(&resolved, Value::Number(n) if !n.is_f64()),
            "float" => matches!(resolved, Value::Number(_)),
            "bool" => matches!(resolved, Value::Bool(_)),
            "null" => matches!(resolved, Value::Null),
            _ => return Err(unsupported_tag(tag, pos)),
        };
        if !ok {
            return Err(YamlError {
                pos,
                message: format!("`{text}` is not a valid !!{}", tag.suffix),
                hint: None,
            });
        }
        return Ok(resolved);
    }
    Ok(match style {
        ScalarStyle::Plain => resolve_plain(text),
        _ => Value::String {
            text: text.to_owned(),
            plain: false,
        },
    })
}

/// Resolves a plain scalar with the YAML 1.2 core schema. Infinity and NaN, which JSON cannot
/// hold, stay strings.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(number) = resolve_number(text) {
        return Value::Number(number);
    }
    Value::String {
        text: text.to_owned(),
        plain: true,
    }
}

fn resolve_number(text: &str) -> Option<Number> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Number::from);
    }
    if let Some(octal) = text.strip_prefix("0o") {
        return u64::from_str_radix(octal, 8).ok().map(Number::from);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let digits = text.strip_prefix('+').unwrap_or(text);
        if let Ok(n) = digits.parse::<i64>() {
            return Some(Number::from(n));
        }
        if let Ok(n) = digits.parse::<u64>() {
            return Some(Number::from(n));
        }
        return digits.parse::<f64>().ok().and_then(Number::from_f64);
    }
    if is_core_float(unsigned) {
        return text
            .strip_prefix('+')
            .unwrap_or(text)
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64);
    }
    None
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without sign.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        parse(text, 0).unwrap().value
    }

    fn num(n: i64) -> Value {
        Value::Number(Number::from(n))
    }

    #[test]
    fn byte_offsets_of_ascii_lines_match_counting_characters() {
        let text = "a: 1\nb: {c: d}\né: ü\n\nlast";
        let index = LineIndex::new(text);
        for line in 1..=7 {
            for col in 0..12 {
                let start = index
                    .line_starts
                    .get(line - 1)
                    .copied()
                    .unwrap_or(text.len());
                let counted = text[start..]
                    .char_indices()
                    .nth(col)
                    .map_or(text.len(), |(i, _)| start + i);
                assert_eq!(index.offset(line, col), counted, "line {line} col {col}");
            }
        }
    }

    #[test]
    fn core_schema_scalars() {
        assert_eq!(resolve_plain("12"), num(12));
        assert_eq!(resolve_plain("-3"), num(-3));
        assert_eq!(resolve_plain("0x1F"), num(31));
        assert_eq!(
            resolve_plain("1.5"),
            Value::Number(Number::from_f64(1.5).unwrap())
        );
        assert_eq!(
            resolve_plain("1e3"),
            Value::Number(Number::from_f64(1000.0).unwrap())
        );
        assert_eq!(resolve_plain("true"), Value::Bool(true));
        assert_eq!(resolve_plain("~"), Value::Null);
        for text in [
            "yes",
            "on",
            "off",
            "1.2.3",
            ".inf",
            "0x",
            "1e",
            "2018-06-16T00:39:13Z",
            "-",
        ] {
            assert!(
                matches!(resolve_plain(text), Value::String { .. }),
                "{text}"
            );
        }
    }

    #[test]
    fn quoted_numbers_stay_strings() {
        let node = parse("a: '12'\nb: \"true\"\nc: !!str 3\nd: 12", 0).unwrap();
        assert_eq!(node.get("a").unwrap().as_str(), Some("12"));
        assert_eq!(node.get("b").unwrap().as_str(), Some("true"));
        assert_eq!(node.get("c").unwrap().as_str(), Some("3"));
        assert_eq!(node.get("d").unwrap().value, num(12));
    }

    #[test]
    fn positions_are_one_based() {
        let node = parse("top:\n  key: value\n", 0).unwrap();
        let (key, value) = node.get("top").unwrap().get_entry("key").unwrap();
        assert_eq!((key.pos.line, key.pos.column), (2, 3));
        assert_eq!((value.pos.line, value.pos.column), (2, 8));
        assert_eq!(value.pos.offset, 12);
        assert_eq!(value.pos.length, 5);
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let node = parse("é: ü\n", 0).unwrap();
        let (_, value) = node.get_entry("é").unwrap();
        assert_eq!(value.pos.column, 4);
        assert_eq!(value.pos.offset, 4);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let error = parse("a: 1\nb: 2\na: 3\n", 0).unwrap_err();
        assert_eq!(error.pos.line, 3);
        assert!(error.message.contains("duplicate key `a`"));
    }

    #[test]
    fn aliases_and_merge_keys() {
        let node = parse("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", 0).unwrap();
        let other = node.get("other").unwrap();
        assert_eq!(other.get("x").unwrap().value, num(1));
        assert_eq!(other.get("y").unwrap().value, num(3));
        // A quoted "<<" is an ordinary key.
        let node = parse("\"<<\": [1]\nx: 2\n", 0).unwrap();
        assert!(node.get("<<").is_some() && node.get("x").is_some());
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let error = parse(&text, 0).unwrap_err();
        assert!(error.message.contains("YAML nodes"), "{}", error.message);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = "[".repeat(10_000);
        assert!(parse(&text, 0).is_err());
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&" ".repeat(i));
            text.push_str("k:\n");
        }
        let error = parse(&text, 0).unwrap_err();
        assert!(error.message.contains("nesting"), "{}", error.message);
    }

    #[test]
    fn empty_and_second_documents() {
        assert_eq!(value(""), Value::Map(Vec::new()));
        assert!(parse("a: 1\n---\nb: 2\n", 0).is_err());
    }

    #[test]
    fn unknown_tags_are_errors() {
        assert!(parse("a: !custom x", 0).is_err());
        assert!(parse("a: !!int x", 0).is_err());
        assert_eq!(value("!!int 5"), num(5));
    }
}
