//! XML for `xml()`, `xpath()` and `json()` of XML: parsing (roxmltree), serialising nodes as
//! .NET's `XmlNode.OuterXml` does, converting between XML and JSON as Json.NET does, and an
//! XPath 1.0 evaluator.
//!
//! How ADF represents XML: its evaluator (the one data-factory-testing-framework runs) gives
//! `xml()` and each node `xpath()` selects as a content object,
//! `{"$content-type": "application/xml;charset=utf-8", "$content": "<base64 of the XML>"}`
//! (the framework's `tests/functional/xml`). `string()` and interpolation turn one back into
//! its text. Whitespace-only text nodes are dropped, as `XmlDocument` does by default.
//!
//! The XPath subset: location paths (absolute, relative, `//`), the axes `child`,
//! `descendant`, `descendant-or-self`, `self`, `parent`, `ancestor`, `ancestor-or-self`,
//! `attribute` (`@`), `following-sibling`, `preceding-sibling`, `.` and `..`; node tests by
//! name (unprefixed names match elements in no namespace, as XPath 1.0 says: use
//! `*[local-name()="x"]` for a default namespace), `*`, `text()`, `node()`, `comment()`;
//! predicates (positions and conditions); `|`; `or`, `and`, `=`, `!=`, `<`, `<=`, `>`, `>=`,
//! `+`, `-`, `*`, `div`, `mod`, unary minus; string and number literals; the functions
//! `last`, `position`, `count`, `name`, `local-name`, `namespace-uri`, `string`, `concat`,
//! `starts-with`, `contains`, `substring-before`, `substring-after`, `substring`,
//! `string-length`, `normalize-space`, `translate`, `boolean`, `not`, `true`, `false`,
//! `number`, `sum`, `floor`, `ceiling`, `round`. Not supported: variables (`$x`), prefixed
//! name tests (there is no way to bind a prefix), the `following`, `preceding` and `namespace`
//! axes, `id()`, `lang()`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use roxmltree::{Document, Node, NodeType};
use serde_json::{Map, Value};

/// The content type of XML values.
pub(crate) const XML_CONTENT_TYPE: &str = "application/xml;charset=utf-8";

/// Deepest XML element nesting and longest XPath expression accepted.
const MAX_XPATH_LENGTH: usize = 10_000;
const MAX_XPATH_DEPTH: usize = 100;

/// A content object holding `text` as XML.
pub(crate) fn xml_value(text: &str) -> Value {
    content_value(XML_CONTENT_TYPE, text.as_bytes())
}

/// A content object: `{"$content-type": ..., "$content": base64}`.
pub(crate) fn content_value(content_type: &str, bytes: &[u8]) -> Value {
    let mut object = Map::new();
    object.insert("$content-type".into(), Value::String(content_type.into()));
    object.insert("$content".into(), Value::String(BASE64.encode(bytes)));
    Value::Object(object)
}

/// The content type and bytes of a content object.
pub(crate) fn content_of(value: &Value) -> Option<(&str, Vec<u8>)> {
    let object = value.as_object()?;
    if object.len() != 2 {
        return None;
    }
    let content_type = object.get("$content-type")?.as_str()?;
    let content = object.get("$content")?.as_str()?;
    Some((content_type, BASE64.decode(content).ok()?))
}

/// Parses XML text the way `xml()` accepts it (a leading byte-order mark is allowed).
pub(crate) fn parse(text: &str) -> Result<Document<'_>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Document::parse(text).map_err(|error| error.to_string())
}

fn is_blank_text(node: &Node<'_, '_>) -> bool {
    node.is_text() && node.text().is_some_and(|t| t.trim().is_empty())
}

fn escape(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' if !attribute => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
}

fn qualified(prefix: Option<&str>, local: &str) -> String {
    match prefix {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{local}"),
        _ => local.to_string(),
    }
}

/// A node's XML text, as .NET's `OuterXml` writes it: namespace declarations added where the
/// written text needs them, empty elements as `<a />`.
pub(crate) fn outer_xml(node: Node<'_, '_>) -> String {
    let mut out = String::new();
    let mut scope: Vec<(String, String)> = Vec::new();
    write_node(node, &mut scope, &mut out);
    out
}

fn declare(
    prefix: Option<&str>,
    uri: &str,
    scope: &mut Vec<(String, String)>,
    added: &mut usize,
    out: &mut String,
) {
    let prefix = prefix.unwrap_or("");
    if prefix == "xml" {
        return;
    }
    let bound = scope
        .iter()
        .rev()
        .find(|(p, _)| p == prefix)
        .map(|(_, u)| u.as_str());
    if bound == Some(uri) || (bound.is_none() && uri.is_empty()) {
        return;
    }
    if prefix.is_empty() {
        out.push_str(" xmlns=\"");
    } else {
        out.push_str(&format!(" xmlns:{prefix}=\""));
    }
    escape(uri, true, out);
    out.push('"');
    scope.push((prefix.to_string(), uri.to_string()));
    *added += 1;
}

fn write_node(node: Node<'_, '_>, scope: &mut Vec<(String, String)>, out: &mut String) {
    match node.node_type() {
        NodeType::Root => {
            for child in node.children() {
                write_node(child, scope, out);
            }
        }
        NodeType::Text => {
            if !is_blank_text(&node) {
                escape(node.text().unwrap_or_default(), false, out);
            }
        }
        NodeType::Comment => {
            out.push_str("<!--");
            out.push_str(node.text().unwrap_or_default());
            out.push_str("-->");
        }
        NodeType::PI => {
            if let Some(pi) = node.pi() {
                out.push_str("<?");
                out.push_str(pi.target);
                if let Some(value) = pi.value {
                    out.push(' ');
                    out.push_str(value);
                }
                out.push_str("?>");
            }
        }
        NodeType::Element => {
            let tag = node.tag_name();
            let prefix = tag.namespace().and_then(|uri| node.lookup_prefix(uri));
            let name = qualified(prefix, tag.name());
            out.push('<');
            out.push_str(&name);
            let mut added = 0;
            declare(
                prefix,
                tag.namespace().unwrap_or(""),
                scope,
                &mut added,
                out,
            );
            // The namespaces this element declares itself (those its parent does not have).
            let inherited: Vec<(Option<&str>, &str)> = node
                .parent_element()
                .map(|parent| {
                    parent
                        .namespaces()
                        .map(|ns| (ns.name(), ns.uri()))
                        .collect()
                })
                .unwrap_or_default();
            for ns in node.namespaces() {
                if !inherited.contains(&(ns.name(), ns.uri())) {
                    declare(ns.name(), ns.uri(), scope, &mut added, out);
                }
            }
            for attribute in node.attributes() {
                let attribute_prefix = attribute
                    .namespace()
                    .and_then(|uri| node.lookup_prefix(uri));
                if let (Some(prefix), Some(uri)) = (attribute_prefix, attribute.namespace()) {
                    declare(Some(prefix), uri, scope, &mut added, out);
                }
                out.push(' ');
                out.push_str(&qualified(attribute_prefix, attribute.name()));
                out.push_str("=\"");
                escape(attribute.value(), true, out);
                out.push('"');
            }
            let children: Vec<Node<'_, '_>> = node
                .children()
                .filter(|child| !is_blank_text(child))
                .collect();
            if children.is_empty() {
                out.push_str(" />");
            } else {
                out.push('>');
                for child in children {
                    write_node(child, scope, out);
                }
                out.push_str("</");
                out.push_str(&name);
                out.push('>');
            }
            scope.truncate(scope.len() - added);
        }
    }
}

// ---------- JSON <-> XML (Json.NET's conventions) ----------

/// XML text for a JSON object with one root property, as Json.NET's `DeserializeXmlNode`
/// writes it: objects become elements, arrays repeat their element, `@name` properties are
/// attributes, `#text` is text, `?xml` the declaration.
pub(crate) fn from_json(value: &Value) -> Result<String, String> {
    let Value::Object(object) = value else {
        return Err("only a JSON object can be converted to XML".into());
    };
    let mut out = String::new();
    let mut roots = 0;
    for (name, child) in object {
        if name == "?xml" {
            out.push_str("<?xml");
            if let Value::Object(attributes) = child {
                for (key, value) in attributes {
                    let key = key.strip_prefix('@').unwrap_or(key);
                    out.push_str(&format!(" {key}=\""));
                    escape(&json_text(value), true, &mut out);
                    out.push('"');
                }
            }
            out.push_str("?>");
            continue;
        }
        roots += 1;
        write_json_element(name, child, &mut out, 0)?;
    }
    if roots != 1 {
        return Err(
            "a JSON object converted to XML must have exactly one root property".to_string(),
        );
    }
    Ok(out)
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

fn write_json_element(
    name: &str,
    value: &Value,
    out: &mut String,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_XPATH_DEPTH {
        return Err("the JSON is nested too deeply to convert to XML".into());
    }
    if let Value::Array(items) = value {
        for item in items {
            write_json_element(name, item, out, depth + 1)?;
        }
        return Ok(());
    }
    out.push('<');
    out.push_str(name);
    match value {
        Value::Object(object) => {
            for (key, item) in object {
                if let Some(attribute) = key.strip_prefix('@') {
                    out.push_str(&format!(" {attribute}=\""));
                    escape(&json_text(item), true, out);
                    out.push('"');
                }
            }
            let content: Vec<_> = object.iter().filter(|(k, _)| !k.starts_with('@')).collect();
            if content.is_empty() {
                out.push_str(" />");
                return Ok(());
            }
            out.push('>');
            for (key, item) in content {
                if key == "#text" {
                    escape(&json_text(item), false, out);
                } else {
                    write_json_element(key, item, out, depth + 1)?;
                }
            }
        }
        Value::Null => {
            out.push_str(" />");
            return Ok(());
        }
        other => {
            out.push('>');
            escape(&json_text(other), false, out);
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    Ok(())
}

/// JSON for an XML document, as Json.NET's `SerializeXmlNode` writes it: `?xml` for the
/// declaration, `@name` for attributes, text-only elements as strings, repeated elements as
/// arrays, `#text` beside other content.
pub(crate) fn to_json(text: &str) -> Result<Value, String> {
    let document = parse(text)?;
    let mut object = Map::new();
    if let Some(declaration) = xml_declaration(text) {
        object.insert("?xml".into(), declaration);
    }
    let root = document.root_element();
    object.insert(qualified_name(root), element_json(root));
    Ok(Value::Object(object))
}

fn xml_declaration(text: &str) -> Option<Value> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let rest = text.strip_prefix("<?xml")?;
    let end = rest.find("?>")?;
    let mut object = Map::new();
    let mut body = &rest[..end];
    while let Some(equals) = body.find('=') {
        let key = body[..equals].trim();
        let after = body[equals + 1..].trim_start();
        let quote = after.chars().next()?;
        let close = after[1..].find(quote)?;
        object.insert(
            format!("@{key}"),
            Value::String(after[1..=close].to_string()),
        );
        body = &after[close + 2..];
    }
    Some(Value::Object(object))
}

fn qualified_name(node: Node<'_, '_>) -> String {
    let tag = node.tag_name();
    let prefix = tag.namespace().and_then(|uri| node.lookup_prefix(uri));
    qualified(prefix, tag.name())
}

fn element_json(node: Node<'_, '_>) -> Value {
    let mut object = Map::new();
    let parent_namespaces: Vec<(Option<&str>, &str)> = node
        .parent_element()
        .map(|p| p.namespaces().map(|ns| (ns.name(), ns.uri())).collect())
        .unwrap_or_default();
    for ns in node.namespaces() {
        if ns.name() != Some("xml") && !parent_namespaces.contains(&(ns.name(), ns.uri())) {
            let key = match ns.name() {
                Some(prefix) => format!("@xmlns:{prefix}"),
                None => "@xmlns".to_string(),
            };
            object.insert(key, Value::String(ns.uri().to_string()));
        }
    }
    for attribute in node.attributes() {
        let prefix = attribute
            .namespace()
            .and_then(|uri| node.lookup_prefix(uri));
        object.insert(
            format!("@{}", qualified(prefix, attribute.name())),
            Value::String(attribute.value().to_string()),
        );
    }
    let mut texts = Vec::new();
    for child in node.children() {
        match child.node_type() {
            NodeType::Element => {
                let name = qualified_name(child);
                let value = element_json(child);
                match object.get_mut(&name) {
                    Some(Value::Array(items)) => items.push(value),
                    Some(existing) => {
                        let first = existing.take();
                        *existing = Value::Array(vec![first, value]);
                    }
                    None => {
                        object.insert(name, value);
                    }
                }
            }
            NodeType::Text if !is_blank_text(&child) => {
                texts.push(child.text().unwrap_or_default().to_string());
            }
            _ => {}
        }
    }
    if object.is_empty() {
        return match texts.len() {
            0 => Value::Null,
            1 => Value::String(texts.remove(0)),
            _ => Value::Array(texts.into_iter().map(Value::String).collect()),
        };
    }
    match texts.len() {
        0 => {}
        1 => {
            object.insert("#text".into(), Value::String(texts.remove(0)));
        }
        _ => {
            object.insert(
                "#text".into(),
                Value::Array(texts.into_iter().map(Value::String).collect()),
            );
        }
    }
    Value::Object(object)
}

// ---------- XPath ----------

/// What `xpath()` gives: nodes (as OuterXml), or a number, a string or a Boolean.
#[derive(Debug, PartialEq)]
pub(crate) enum XPathResult {
    Nodes(Vec<String>),
    Number(f64),
    Text(String),
    Boolean(bool),
}

/// Evaluates `expression` against the XML `text`.
pub(crate) fn xpath(text: &str, expression: &str) -> Result<XPathResult, String> {
    if expression.chars().count() > MAX_XPATH_LENGTH {
        return Err(format!(
            "the XPath expression is longer than {MAX_XPATH_LENGTH} characters"
        ));
    }
    let document = parse(text)?;
    let tokens = tokenize(expression)?;
    let mut parser = Parser {
        tokens: &tokens,
        index: 0,
        depth: 0,
    };
    let expr = parser.expr()?;
    if parser.index != tokens.len() {
        return Err(format!(
            "the XPath expression has unexpected text at token {}",
            parser.index + 1
        ));
    }
    let context = Context {
        node: XNode::Node(document.root()),
        position: 1,
        size: 1,
    };
    Ok(match eval(&expr, &context)? {
        XValue::Nodes(nodes) => XPathResult::Nodes(
            nodes
                .into_iter()
                .map(|node| match node {
                    XNode::Node(node) => outer_xml(node),
                    XNode::Attr(element, index) => {
                        let mut out = String::new();
                        if let Some(attribute) = element.attributes().nth(index) {
                            let prefix = attribute
                                .namespace()
                                .and_then(|uri| element.lookup_prefix(uri));
                            out.push_str(&qualified(prefix, attribute.name()));
                            out.push_str("=\"");
                            escape(attribute.value(), true, &mut out);
                            out.push('"');
                        }
                        out
                    }
                })
                .collect(),
        ),
        XValue::Number(number) => XPathResult::Number(number),
        XValue::Text(text) => XPathResult::Text(text),
        XValue::Boolean(flag) => XPathResult::Boolean(flag),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Slash,
    DoubleSlash,
    OpenBracket,
    CloseBracket,
    OpenParen,
    CloseParen,
    At,
    Comma,
    Pipe,
    Dot,
    DoubleDot,
    AxisSep,
    Star,
    Operator(&'static str),
    Name(String),
    Literal(String),
    Number(f64),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    // Whether the previous token lets `*` and names like `and` be operators (XPath 1.0 §3.7).
    let operator_allowed = |tokens: &Vec<Token>| {
        matches!(
            tokens.last(),
            Some(
                Token::CloseBracket
                    | Token::CloseParen
                    | Token::Dot
                    | Token::DoubleDot
                    | Token::Star
                    | Token::Name(_)
                    | Token::Literal(_)
                    | Token::Number(_)
            )
        )
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '/' if next == Some('/') => {
                tokens.push(Token::DoubleSlash);
                i += 2;
                continue;
            }
            '/' => tokens.push(Token::Slash),
            '[' => tokens.push(Token::OpenBracket),
            ']' => tokens.push(Token::CloseBracket),
            '(' => tokens.push(Token::OpenParen),
            ')' => tokens.push(Token::CloseParen),
            '@' => tokens.push(Token::At),
            ',' => tokens.push(Token::Comma),
            '|' => tokens.push(Token::Pipe),
            ':' if next == Some(':') => {
                tokens.push(Token::AxisSep);
                i += 2;
                continue;
            }
            '.' if next == Some('.') => {
                tokens.push(Token::DoubleDot);
                i += 2;
                continue;
            }
            '.' if !next.is_some_and(|n| n.is_ascii_digit()) => tokens.push(Token::Dot),
            '*' => {
                if operator_allowed(&tokens) {
                    tokens.push(Token::Operator("*"));
                } else {
                    tokens.push(Token::Star);
                }
            }
            '=' => tokens.push(Token::Operator("=")),
            '!' if next == Some('=') => {
                tokens.push(Token::Operator("!="));
                i += 2;
                continue;
            }
            '<' | '>' => {
                let op = match (c, next) {
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                tokens.push(Token::Operator(op));
                i += op.len();
                continue;
            }
            '+' => tokens.push(Token::Operator("+")),
            '-' => tokens.push(Token::Operator("-")),
            '"' | '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == c)
                    .ok_or("the XPath expression has a string that is never closed")?;
                tokens.push(Token::Literal(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
                continue;
            }
            d if d.is_ascii_digit() || d == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let number: String = chars[start..i].iter().collect();
                tokens.push(Token::Number(
                    number
                        .parse()
                        .map_err(|_| "the XPath expression has a malformed number")?,
                ));
                continue;
            }
            n if n.is_alphabetic() || n == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.'))
                {
                    i += 1;
                }
                // A prefix: `p:name` or `p:*` (not `::`).
                if i + 1 < chars.len()
                    && chars[i] == ':'
                    && chars[i + 1] != ':'
                    && (chars[i + 1].is_alphabetic() || chars[i + 1] == '_' || chars[i + 1] == '*')
                {
                    i += 1;
                    if chars[i] == '*' {
                        i += 1;
                    } else {
                        while i < chars.len()
                            && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.'))
                        {
                            i += 1;
                        }
                    }
                }
                let name: String = chars[start..i].iter().collect();
                if operator_allowed(&tokens)
                    && matches!(name.as_str(), "and" | "or" | "div" | "mod")
                {
                    tokens.push(Token::Operator(match name.as_str() {
                        "and" => "and",
                        "or" => "or",
                        "div" => "div",
                        _ => "mod",
                    }));
                } else {
                    tokens.push(Token::Name(name));
                }
                continue;
            }
            '$' => return Err("XPath variables ($name) are not supported".into()),
            other => return Err(format!("the XPath expression has an unexpected '{other}'")),
        }
        i += 1;
    }
    Ok(tokens)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Itself,
    Parent,
    Ancestor,
    AncestorOrSelf,
    Attribute,
    FollowingSibling,
    PrecedingSibling,
}

impl Axis {
    fn reverse(self) -> bool {
        matches!(
            self,
            Axis::Parent | Axis::Ancestor | Axis::AncestorOrSelf | Axis::PrecedingSibling
        )
    }
}

#[derive(Debug, Clone)]
enum NodeTest {
    Name(String),
    Any,
    Text,
    Node,
    Comment,
}

#[derive(Debug, Clone)]
struct Step {
    axis: Axis,
    test: NodeTest,
    predicates: Vec<Expr>,
}

#[derive(Debug, Clone)]
enum Expr {
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    Union(Box<Expr>, Box<Expr>),
    Literal(String),
    Number(f64),
    Function(String, Vec<Expr>),
    /// `start` (or the document root when `absolute` and no start), then steps.
    Path {
        start: Option<Box<Expr>>,
        absolute: bool,
        steps: Vec<Step>,
    },
    Filter(Box<Expr>, Vec<Expr>),
}

struct Parser<'t> {
    tokens: &'t [Token],
    index: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.index)
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("the XPath expression lacks {what}"))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_XPATH_DEPTH {
            return Err("the XPath expression is nested too deeply".into());
        }
        let result = self.binary(0);
        self.depth -= 1;
        result
    }

    /// Binary operators by precedence level: or, and, equality, relational, additive,
    /// multiplicative.
    fn binary(&mut self, level: usize) -> Result<Expr, String> {
        const LEVELS: [&[&str]; 6] = [
            &["or"],
            &["and"],
            &["=", "!="],
            &["<", "<=", ">", ">="],
            &["+", "-"],
            &["*", "div", "mod"],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(Token::Operator(op)) = self.peek() {
            let op = *op;
            if !LEVELS[level].contains(&op) {
                break;
            }
            self.index += 1;
            let right = self.binary(level + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat(&Token::Operator("-")) {
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        let mut left = self.path()?;
        while self.eat(&Token::Pipe) {
            let right = self.path()?;
            left = Expr::Union(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn path(&mut self) -> Result<Expr, String> {
        let primary = match self.peek() {
            Some(Token::OpenParen) => {
                self.index += 1;
                let inner = self.expr()?;
                self.expect(&Token::CloseParen, "a ')'")?;
                Some(inner)
            }
            Some(Token::Literal(text)) => {
                let text = text.clone();
                self.index += 1;
                Some(Expr::Literal(text))
            }
            Some(Token::Number(number)) => {
                let number = *number;
                self.index += 1;
                Some(Expr::Number(number))
            }
            Some(Token::Name(name))
                if self.tokens.get(self.index + 1) == Some(&Token::OpenParen)
                    && !matches!(
                        name.as_str(),
                        "text" | "node" | "comment" | "processing-instruction"
                    ) =>
            {
                let name = name.clone();
                self.index += 2;
                let mut args = Vec::new();
                if !self.eat(&Token::CloseParen) {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(&Token::CloseParen) {
                            break;
                        }
                        self.expect(&Token::Comma, "a ',' or ')' in a function call")?;
                    }
                }
                Some(Expr::Function(name, args))
            }
            _ => None,
        };
        if let Some(primary) = primary {
            let mut predicates = Vec::new();
            while self.eat(&Token::OpenBracket) {
                predicates.push(self.expr()?);
                self.expect(&Token::CloseBracket, "a ']'")?;
            }
            let filtered = if predicates.is_empty() {
                primary
            } else {
                Expr::Filter(Box::new(primary), predicates)
            };
            let mut steps = Vec::new();
            if !self.more_steps(&mut steps)? {
                return Ok(filtered);
            }
            return Ok(Expr::Path {
                start: Some(Box::new(filtered)),
                absolute: false,
                steps,
            });
        }
        let mut steps = Vec::new();
        let absolute = match self.peek() {
            Some(Token::Slash) => {
                self.index += 1;
                if self.starts_step() {
                    steps.push(self.step()?);
                }
                true
            }
            Some(Token::DoubleSlash) => {
                self.index += 1;
                steps.push(descendant_or_self());
                steps.push(self.step()?);
                true
            }
            _ => {
                steps.push(self.step()?);
                false
            }
        };
        self.more_steps(&mut steps)?;
        Ok(Expr::Path {
            start: None,
            absolute,
            steps,
        })
    }

    /// `/step` and `//step` continuations; true when there was one.
    fn more_steps(&mut self, steps: &mut Vec<Step>) -> Result<bool, String> {
        let mut any = false;
        loop {
            if self.eat(&Token::Slash) {
                steps.push(self.step()?);
            } else if self.eat(&Token::DoubleSlash) {
                steps.push(descendant_or_self());
                steps.push(self.step()?);
            } else {
                return Ok(any);
            }
            any = true;
        }
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(Token::Name(_) | Token::Star | Token::At | Token::Dot | Token::DoubleDot)
        )
    }

    fn step(&mut self) -> Result<Step, String> {
        if self.eat(&Token::Dot) {
            return Ok(Step {
                axis: Axis::Itself,
                test: NodeTest::Node,
                predicates: Vec::new(),
            });
        }
        if self.eat(&Token::DoubleDot) {
            return Ok(Step {
                axis: Axis::Parent,
                test: NodeTest::Node,
                predicates: Vec::new(),
            });
        }
        let mut axis = Axis::Child;
        if self.eat(&Token::At) {
            axis = Axis::Attribute;
        } else if let (Some(Token::Name(name)), Some(Token::AxisSep)) =
            (self.peek(), self.tokens.get(self.index + 1))
        {
            axis = match name.as_str() {
                "child" => Axis::Child,
                "descendant" => Axis::Descendant,
                "descendant-or-self" => Axis::DescendantOrSelf,
                "self" => Axis::Itself,
                "parent" => Axis::Parent,
                "ancestor" => Axis::Ancestor,
                "ancestor-or-self" => Axis::AncestorOrSelf,
                "attribute" => Axis::Attribute,
                "following-sibling" => Axis::FollowingSibling,
                "preceding-sibling" => Axis::PrecedingSibling,
                other => return Err(format!("the XPath axis '{other}' is not supported")),
            };
            self.index += 2;
        }
        let test = match self.peek().cloned() {
            Some(Token::Star) => {
                self.index += 1;
                NodeTest::Any
            }
            Some(Token::Name(name)) => {
                self.index += 1;
                if self.eat(&Token::OpenParen) {
                    self.expect(&Token::CloseParen, "a ')' after a node type")?;
                    match name.as_str() {
                        "text" => NodeTest::Text,
                        "node" => NodeTest::Node,
                        "comment" => NodeTest::Comment,
                        other => {
                            return Err(format!(
                                "the XPath node test '{other}()' is not supported"
                            ));
                        }
                    }
                } else if name.contains(':') {
                    return Err(format!(
                        "the XPath name test '{name}' has a namespace prefix, which cannot be bound here; use *[local-name()=\"...\"]"
                    ));
                } else {
                    NodeTest::Name(name)
                }
            }
            _ => {
                return Err(
                    "the XPath expression lacks a step (a name, '*', '@', '.' or '..')".into(),
                );
            }
        };
        let mut predicates = Vec::new();
        while self.eat(&Token::OpenBracket) {
            predicates.push(self.expr()?);
            self.expect(&Token::CloseBracket, "a ']'")?;
        }
        Ok(Step {
            axis,
            test,
            predicates,
        })
    }
}

fn descendant_or_self() -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        test: NodeTest::Node,
        predicates: Vec::new(),
    }
}

/// A node of the XPath data model: a tree node, or an element's attribute by index.
#[derive(Debug, Clone, Copy, PartialEq)]
enum XNode<'a, 'i> {
    Node(Node<'a, 'i>),
    Attr(Node<'a, 'i>, usize),
}

impl<'a, 'i> XNode<'a, 'i> {
    fn order(self) -> (u32, usize) {
        match self {
            XNode::Node(node) => (node.id().get(), 0),
            XNode::Attr(node, index) => (node.id().get(), index + 1),
        }
    }

    fn string_value(self) -> String {
        match self {
            XNode::Attr(node, index) => node
                .attributes()
                .nth(index)
                .map(|a| a.value().to_string())
                .unwrap_or_default(),
            XNode::Node(node) => match node.node_type() {
                NodeType::Text | NodeType::Comment => node.text().unwrap_or_default().to_string(),
                NodeType::PI => node
                    .pi()
                    .and_then(|pi| pi.value)
                    .unwrap_or_default()
                    .to_string(),
                NodeType::Root | NodeType::Element => node
                    .descendants()
                    .filter(|d| d.is_text() && !is_blank_text(d))
                    .filter_map(|d| d.text())
                    .collect(),
            },
        }
    }

    fn names(self) -> (String, String, String) {
        match self {
            XNode::Attr(node, index) => match node.attributes().nth(index) {
                Some(attribute) => {
                    let prefix = attribute
                        .namespace()
                        .and_then(|uri| node.lookup_prefix(uri));
                    (
                        qualified(prefix, attribute.name()),
                        attribute.name().to_string(),
                        attribute.namespace().unwrap_or_default().to_string(),
                    )
                }
                None => Default::default(),
            },
            XNode::Node(node) if node.is_element() => (
                qualified_name(node),
                node.tag_name().name().to_string(),
                node.tag_name().namespace().unwrap_or_default().to_string(),
            ),
            XNode::Node(node) => match node.pi() {
                Some(pi) => (pi.target.to_string(), pi.target.to_string(), String::new()),
                None => Default::default(),
            },
        }
    }
}

#[derive(Debug, Clone)]
enum XValue<'a, 'i> {
    Nodes(Vec<XNode<'a, 'i>>),
    Number(f64),
    Text(String),
    Boolean(bool),
}

impl XValue<'_, '_> {
    fn boolean(&self) -> bool {
        match self {
            XValue::Nodes(nodes) => !nodes.is_empty(),
            XValue::Number(number) => *number != 0.0 && !number.is_nan(),
            XValue::Text(text) => !text.is_empty(),
            XValue::Boolean(flag) => *flag,
        }
    }

    fn number(&self) -> f64 {
        match self {
            XValue::Number(number) => *number,
            XValue::Boolean(flag) => f64::from(u8::from(*flag)),
            other => text_number(&other.text()),
        }
    }

    fn text(&self) -> String {
        match self {
            XValue::Nodes(nodes) => nodes.first().map(|n| n.string_value()).unwrap_or_default(),
            XValue::Number(number) => number_text(*number),
            XValue::Text(text) => text.clone(),
            XValue::Boolean(flag) => flag.to_string(),
        }
    }
}

fn text_number(text: &str) -> f64 {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return f64::NAN;
    }
    trimmed.parse().unwrap_or(f64::NAN)
}

fn number_text(number: f64) -> String {
    if number.is_nan() {
        "NaN".into()
    } else if number.is_infinite() {
        if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .into()
    } else if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

struct Context<'a, 'i> {
    node: XNode<'a, 'i>,
    position: usize,
    size: usize,
}

fn sort_unique(nodes: &mut Vec<XNode<'_, '_>>) {
    nodes.sort_by_key(|node| node.order());
    nodes.dedup_by_key(|node| node.order());
}

fn axis_nodes<'a, 'i>(node: XNode<'a, 'i>, axis: Axis) -> Vec<XNode<'a, 'i>> {
    let XNode::Node(tree) = node else {
        // An attribute has itself, its element and the element's ancestors; nothing else.
        let XNode::Attr(element, _) = node else {
            return vec![];
        };
        return match axis {
            Axis::Itself => vec![node],
            Axis::Parent => vec![XNode::Node(element)],
            Axis::Ancestor | Axis::AncestorOrSelf => {
                let mut all = if axis == Axis::AncestorOrSelf {
                    vec![node]
                } else {
                    vec![]
                };
                all.extend(element.ancestors().map(XNode::Node));
                all
            }
            _ => vec![],
        };
    };
    let visible = |n: &Node<'_, '_>| !is_blank_text(n);
    match axis {
        Axis::Child => tree.children().filter(visible).map(XNode::Node).collect(),
        Axis::Descendant => tree
            .descendants()
            .skip(1)
            .filter(visible)
            .map(XNode::Node)
            .collect(),
        Axis::DescendantOrSelf => tree
            .descendants()
            .filter(visible)
            .map(XNode::Node)
            .collect(),
        Axis::Itself => vec![node],
        Axis::Parent => tree.parent().map(XNode::Node).into_iter().collect(),
        Axis::Ancestor => tree.ancestors().skip(1).map(XNode::Node).collect(),
        Axis::AncestorOrSelf => tree.ancestors().map(XNode::Node).collect(),
        Axis::Attribute => (0..tree.attributes().len())
            .map(|index| XNode::Attr(tree, index))
            .collect(),
        Axis::FollowingSibling => tree
            .next_siblings()
            .skip(1)
            .filter(visible)
            .map(XNode::Node)
            .collect(),
        Axis::PrecedingSibling => tree
            .prev_siblings()
            .skip(1)
            .filter(visible)
            .map(XNode::Node)
            .collect(),
    }
}

fn matches_test(node: XNode<'_, '_>, axis: Axis, test: &NodeTest) -> bool {
    match (test, node) {
        (NodeTest::Node, _) => true,
        (NodeTest::Text, XNode::Node(n)) => n.is_text(),
        (NodeTest::Comment, XNode::Node(n)) => n.is_comment(),
        (NodeTest::Any, XNode::Attr(..)) => axis == Axis::Attribute,
        (NodeTest::Any, XNode::Node(n)) => n.is_element() && axis != Axis::Attribute,
        (NodeTest::Name(name), XNode::Attr(element, index)) => element
            .attributes()
            .nth(index)
            .is_some_and(|a| a.namespace().is_none() && a.name() == name),
        (NodeTest::Name(name), XNode::Node(n)) => {
            n.is_element() && n.tag_name().namespace().is_none() && n.tag_name().name() == name
        }
        _ => false,
    }
}

fn eval<'a, 'i>(expr: &Expr, context: &Context<'a, 'i>) -> Result<XValue<'a, 'i>, String> {
    Ok(match expr {
        Expr::Literal(text) => XValue::Text(text.clone()),
        Expr::Number(number) => XValue::Number(*number),
        Expr::Negate(inner) => XValue::Number(-eval(inner, context)?.number()),
        Expr::Union(left, right) => {
            let (XValue::Nodes(mut a), XValue::Nodes(b)) =
                (eval(left, context)?, eval(right, context)?)
            else {
                return Err("'|' joins node-sets only".into());
            };
            a.extend(b);
            sort_unique(&mut a);
            XValue::Nodes(a)
        }
        Expr::Binary(op, left, right) => binary(op, left, right, context)?,
        Expr::Function(name, args) => function(name, args, context)?,
        Expr::Filter(primary, predicates) => {
            let XValue::Nodes(nodes) = eval(primary, context)? else {
                return Err("a predicate ([...]) applies to a node-set only".into());
            };
            XValue::Nodes(filter(nodes, predicates)?)
        }
        Expr::Path {
            start,
            absolute,
            steps,
        } => {
            let mut nodes = match start {
                Some(start) => match eval(start, context)? {
                    XValue::Nodes(nodes) => nodes,
                    _ => return Err("a path ('/') continues a node-set only".into()),
                },
                None if *absolute => match context.node {
                    XNode::Node(node) => vec![XNode::Node(node.document().root())],
                    XNode::Attr(node, _) => vec![XNode::Node(node.document().root())],
                },
                None => vec![context.node],
            };
            for step in steps {
                let mut next = Vec::new();
                for node in &nodes {
                    let mut candidates: Vec<XNode<'a, 'i>> = axis_nodes(*node, step.axis)
                        .into_iter()
                        .filter(|candidate| matches_test(*candidate, step.axis, &step.test))
                        .collect();
                    // Proximity positions count backwards on reverse axes.
                    if step.axis.reverse() {
                        candidates.sort_by_key(|n| std::cmp::Reverse(n.order()));
                    }
                    let mut kept = filter(candidates, &step.predicates)?;
                    next.append(&mut kept);
                }
                sort_unique(&mut next);
                nodes = next;
            }
            XValue::Nodes(nodes)
        }
    })
}

fn filter<'a, 'i>(
    mut nodes: Vec<XNode<'a, 'i>>,
    predicates: &[Expr],
) -> Result<Vec<XNode<'a, 'i>>, String> {
    for predicate in predicates {
        let size = nodes.len();
        let mut kept = Vec::new();
        for (index, node) in nodes.iter().enumerate() {
            let context = Context {
                node: *node,
                position: index + 1,
                size,
            };
            let keep = match eval(predicate, &context)? {
                XValue::Number(number) => number == (index + 1) as f64,
                other => other.boolean(),
            };
            if keep {
                kept.push(*node);
            }
        }
        nodes = kept;
    }
    Ok(nodes)
}

fn compare(op: &str, a: &XValue<'_, '_>, b: &XValue<'_, '_>) -> bool {
    let numbers = |x: f64, y: f64| match op {
        "=" => x == y,
        "!=" => x != y,
        "<" => x < y,
        "<=" => x <= y,
        ">" => x > y,
        _ => x >= y,
    };
    let relational = !matches!(op, "=" | "!=");
    match (a, b) {
        (XValue::Nodes(left), XValue::Nodes(right)) => left.iter().any(|l| {
            let l = l.string_value();
            right.iter().any(|r| {
                let r = r.string_value();
                if relational {
                    numbers(text_number(&l), text_number(&r))
                } else {
                    (l == r) == (op == "=")
                }
            })
        }),
        (XValue::Nodes(nodes), other) | (other, XValue::Nodes(nodes)) => {
            let nodes_first = matches!(a, XValue::Nodes(_));
            match other {
                XValue::Boolean(flag) => {
                    let set = !nodes.is_empty();
                    let (x, y) = if nodes_first {
                        (set, *flag)
                    } else {
                        (*flag, set)
                    };
                    compare(op, &XValue::Boolean(x), &XValue::Boolean(y))
                }
                XValue::Number(number) => nodes.iter().any(|node| {
                    let value = text_number(&node.string_value());
                    if nodes_first {
                        numbers(value, *number)
                    } else {
                        numbers(*number, value)
                    }
                }),
                _ => {
                    let text = other.text();
                    nodes.iter().any(|node| {
                        let value = node.string_value();
                        if relational {
                            let (x, y) = (text_number(&value), text_number(&text));
                            if nodes_first {
                                numbers(x, y)
                            } else {
                                numbers(y, x)
                            }
                        } else {
                            (value == text) == (op == "=")
                        }
                    })
                }
            }
        }
        _ if relational => numbers(a.number(), b.number()),
        (XValue::Boolean(_), _) | (_, XValue::Boolean(_)) => {
            (a.boolean() == b.boolean()) == (op == "=")
        }
        (XValue::Number(_), _) | (_, XValue::Number(_)) => numbers(a.number(), b.number()),
        _ => (a.text() == b.text()) == (op == "="),
    }
}

fn binary<'a, 'i>(
    op: &str,
    left: &Expr,
    right: &Expr,
    context: &Context<'a, 'i>,
) -> Result<XValue<'a, 'i>, String> {
    Ok(match op {
        "or" => XValue::Boolean(eval(left, context)?.boolean() || eval(right, context)?.boolean()),
        "and" => XValue::Boolean(eval(left, context)?.boolean() && eval(right, context)?.boolean()),
        "=" | "!=" | "<" | "<=" | ">" | ">=" => {
            XValue::Boolean(compare(op, &eval(left, context)?, &eval(right, context)?))
        }
        _ => {
            let (a, b) = (
                eval(left, context)?.number(),
                eval(right, context)?.number(),
            );
            XValue::Number(match op {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "div" => a / b,
                _ => a % b,
            })
        }
    })
}

fn function<'a, 'i>(
    name: &str,
    args: &[Expr],
    context: &Context<'a, 'i>,
) -> Result<XValue<'a, 'i>, String> {
    let values = args
        .iter()
        .map(|arg| eval(arg, context))
        .collect::<Result<Vec<_>, _>>()?;
    let count = |min: usize, max: usize| {
        if values.len() < min || values.len() > max {
            Err(format!(
                "the XPath function '{name}' was given {} arguments",
                values.len()
            ))
        } else {
            Ok(())
        }
    };
    let text_arg = |index: usize| -> String {
        values
            .get(index)
            .map_or_else(|| context.node.string_value(), XValue::text)
    };
    let node_arg = |values: &[XValue<'a, 'i>]| -> Result<Option<XNode<'a, 'i>>, String> {
        match values.first() {
            None => Ok(Some(context.node)),
            Some(XValue::Nodes(nodes)) => Ok(nodes.first().copied()),
            Some(_) => Err(format!("the XPath function '{name}' expects a node-set")),
        }
    };
    Ok(match name {
        "last" => {
            count(0, 0)?;
            XValue::Number(context.size as f64)
        }
        "position" => {
            count(0, 0)?;
            XValue::Number(context.position as f64)
        }
        "count" => {
            count(1, 1)?;
            match &values[0] {
                XValue::Nodes(nodes) => XValue::Number(nodes.len() as f64),
                _ => return Err("the XPath function 'count' expects a node-set".into()),
            }
        }
        "name" | "local-name" | "namespace-uri" => {
            count(0, 1)?;
            let (qualified, local, uri) = node_arg(&values)?.map(XNode::names).unwrap_or_default();
            XValue::Text(match name {
                "name" => qualified,
                "local-name" => local,
                _ => uri,
            })
        }
        "string" => {
            count(0, 1)?;
            XValue::Text(text_arg(0))
        }
        "concat" => {
            if values.len() < 2 {
                return Err("the XPath function 'concat' expects at least 2 arguments".into());
            }
            XValue::Text(values.iter().map(XValue::text).collect())
        }
        "starts-with" => {
            count(2, 2)?;
            XValue::Boolean(text_arg(0).starts_with(&text_arg(1)))
        }
        "contains" => {
            count(2, 2)?;
            XValue::Boolean(text_arg(0).contains(&text_arg(1)))
        }
        "substring-before" => {
            count(2, 2)?;
            let (text, search) = (text_arg(0), text_arg(1));
            XValue::Text(
                text.find(&search)
                    .map(|i| text[..i].to_string())
                    .unwrap_or_default(),
            )
        }
        "substring-after" => {
            count(2, 2)?;
            let (text, search) = (text_arg(0), text_arg(1));
            XValue::Text(
                text.find(&search)
                    .map(|i| text[i + search.len()..].to_string())
                    .unwrap_or_default(),
            )
        }
        "substring" => {
            count(2, 3)?;
            let chars: Vec<char> = text_arg(0).chars().collect();
            let start = values[1].number().round();
            let end = match values.get(2) {
                Some(length) => start + length.number().round(),
                None => f64::INFINITY,
            };
            XValue::Text(
                chars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        let position = (*i + 1) as f64;
                        position >= start && position < end
                    })
                    .map(|(_, c)| *c)
                    .collect(),
            )
        }
        "string-length" => {
            count(0, 1)?;
            XValue::Number(text_arg(0).chars().count() as f64)
        }
        "normalize-space" => {
            count(0, 1)?;
            XValue::Text(text_arg(0).split_whitespace().collect::<Vec<_>>().join(" "))
        }
        "translate" => {
            count(3, 3)?;
            let from: Vec<char> = text_arg(1).chars().collect();
            let to: Vec<char> = text_arg(2).chars().collect();
            XValue::Text(
                text_arg(0)
                    .chars()
                    .filter_map(|c| match from.iter().position(|f| *f == c) {
                        Some(index) => to.get(index).copied(),
                        None => Some(c),
                    })
                    .collect(),
            )
        }
        "boolean" => {
            count(1, 1)?;
            XValue::Boolean(values[0].boolean())
        }
        "not" => {
            count(1, 1)?;
            XValue::Boolean(!values[0].boolean())
        }
        "true" | "false" => {
            count(0, 0)?;
            XValue::Boolean(name == "true")
        }
        "number" => {
            count(0, 1)?;
            XValue::Number(match values.first() {
                Some(value) => value.number(),
                None => text_number(&context.node.string_value()),
            })
        }
        "sum" => {
            count(1, 1)?;
            match &values[0] {
                XValue::Nodes(nodes) => {
                    XValue::Number(nodes.iter().map(|n| text_number(&n.string_value())).sum())
                }
                _ => return Err("the XPath function 'sum' expects a node-set".into()),
            }
        }
        "floor" | "ceiling" | "round" => {
            count(1, 1)?;
            let number = values[0].number();
            XValue::Number(match name {
                "floor" => number.floor(),
                "ceiling" => number.ceil(),
                _ => (number + 0.5).floor(),
            })
        }
        other => return Err(format!("the XPath function '{other}' is not supported")),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const PRODUCE: &str = "<?xml version=\"1.0\"?> <produce> <item> <name>Gala</name> <type>apple</type> <count>20</count> </item> <item> <name>Honeycrisp</name> <type>apple</type> <count>10</count> </item> </produce>";
    const FILE: &str = "<?xml version=\"1.0\"?><file xmlns=\"https://contoso.com\"><location>Paris</location></file>";

    fn nodes(text: &str, expression: &str) -> Vec<String> {
        match xpath(text, expression).unwrap() {
            XPathResult::Nodes(nodes) => nodes,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_documented_examples() {
        assert_eq!(
            nodes(PRODUCE, "/produce/item/name"),
            ["<name>Gala</name>", "<name>Honeycrisp</name>"]
        );
        assert_eq!(
            nodes(PRODUCE, "/produce/item/name[1]"),
            ["<name>Gala</name>", "<name>Honeycrisp</name>"]
        );
        assert_eq!(
            nodes(PRODUCE, "(/produce/item/name)[1]"),
            ["<name>Gala</name>"]
        );
        assert_eq!(
            nodes(PRODUCE, "/produce/item[last()]/name"),
            ["<name>Honeycrisp</name>"]
        );
        assert_eq!(
            xpath(PRODUCE, "sum(/produce/item/count)").unwrap(),
            XPathResult::Number(30.0)
        );
        assert_eq!(
            nodes(FILE, "/*[name()=\"file\"]/*[name()=\"location\"]"),
            ["<location xmlns=\"https://contoso.com\">Paris</location>"]
        );
        assert_eq!(
            nodes(
                FILE,
                "/*[local-name()=\"file\" and namespace-uri()=\"https://contoso.com\"]/*[local-name()=\"location\"]"
            ),
            ["<location xmlns=\"https://contoso.com\">Paris</location>"]
        );
        assert_eq!(
            xpath(FILE, "string(/*[name()=\"file\"]/*[name()=\"location\"])").unwrap(),
            XPathResult::Text("Paris".into())
        );
    }

    #[test]
    fn predicates_axes_and_attributes() {
        let text = "<root><person id=\"1\"><name>Sophia</name></person><person id=\"2\"><name>Owen</name></person></root>";
        assert_eq!(nodes(text, "//person[@id='2']/name"), ["<name>Owen</name>"]);
        assert_eq!(nodes(text, "//person/@id"), ["id=\"1\"", "id=\"2\""]);
        assert_eq!(
            xpath(text, "count(//person)").unwrap(),
            XPathResult::Number(2.0)
        );
        assert_eq!(
            xpath(text, "//name[.='Owen']/../@id = 2").unwrap(),
            XPathResult::Boolean(true)
        );
        assert_eq!(nodes(text, "//name/text()"), ["Sophia", "Owen"]);
        assert_eq!(
            nodes(text, "/root/person[2]/preceding-sibling::person/name"),
            ["<name>Sophia</name>"]
        );
        assert_eq!(xpath(text, "2 * 3 + 1").unwrap(), XPathResult::Number(7.0));
        assert!(xpath(text, "//p:person").is_err());
        assert!(xpath(text, "//person[").is_err());
    }

    #[test]
    fn json_and_xml_round_trips() {
        assert_eq!(
            from_json(&json!({"person": {"name": "Sophia Owens"}})).unwrap(),
            "<person><name>Sophia Owens</name></person>"
        );
        assert_eq!(
            from_json(&json!({"root": {"@id": 1, "item": ["a", "b"]}})).unwrap(),
            "<root id=\"1\"><item>a</item><item>b</item></root>"
        );
        assert!(from_json(&json!({"a": 1, "b": 2})).is_err());
        assert_eq!(
            to_json("<?xml version=\"1.0\"?> <root> <person id=\"1\"> <name>Sophia Owens</name> <occupation>Engineer</occupation> </person> </root>").unwrap(),
            json!({"?xml": {"@version": "1.0"}, "root": {"person": {"@id": "1", "name": "Sophia Owens", "occupation": "Engineer"}}})
        );
    }
}
