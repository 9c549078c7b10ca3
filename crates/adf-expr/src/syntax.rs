//! Parsing: a property string into a [`Template`] (literal, `@expression` or text with
//! `@{...}` interpolations), and an expression into an [`Expr`] tree.
//!
//! Positions are character offsets in the whole property string, so an error can point at
//! the exact character the user wrote. Function names and argument counts are checked here,
//! so a syntax check (the validator's) reports them without evaluating anything.

use crate::error::ExprError;
use crate::functions::{self, FunctionSpec};

/// Deepest nesting of calls and indexes an expression may have.
pub const MAX_DEPTH: usize = 100;
/// Longest property string (in characters) the parser accepts.
pub const MAX_LENGTH: usize = 1_000_000;

/// A parsed property string.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    body: Body,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// Plain text (after unescaping a leading `@@`).
    Literal(String),
    /// `@expr`: evaluates to any JSON value.
    Expression(Expr),
    /// Text with `@{expr}` parts: evaluates to a string.
    Interpolation(Vec<Part>),
}

#[derive(Debug, Clone)]
pub(crate) enum Part {
    Text(String),
    Expression(Expr),
}

/// One node of an expression, with the character offset where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub position: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Call {
        function: &'static FunctionSpec,
        args: Vec<Expr>,
    },
    /// `.name`, `['name']`, `[0]`, and their null-safe forms `?.name`, `?[...]`.
    Member {
        target: Box<Expr>,
        key: Key,
        null_safe: bool,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Key {
    Name(String),
    Index(Box<Expr>),
}

/// What an expression refers to in its context, for validators that check names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference {
    /// `pipeline().parameters.NAME`
    PipelineParameter(String),
    /// `pipeline().globalParameters.NAME`
    GlobalParameter(String),
    /// `variables('NAME')`
    Variable(String),
    /// `activity('NAME')`
    Activity(String),
    /// `dataset().NAME`
    DatasetParameter(String),
    /// `linkedService().NAME`
    LinkedServiceParameter(String),
    /// `item()`
    Item,
}

impl Template {
    /// The property string this template was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the string holds no expression at all (evaluating it returns the text,
    /// with a leading `@@` unescaped).
    pub fn is_literal(&self) -> bool {
        matches!(self.body, Body::Literal(_))
    }

    /// True for `@expr` (the result may be of any type); false for literals and
    /// interpolations (whose result is always a string).
    pub fn is_single_expression(&self) -> bool {
        matches!(self.body, Body::Expression(_))
    }

    /// The parameters, variables, activities and items the template refers to by a constant
    /// name, sorted and without duplicates. Names computed at run time are not listed.
    pub fn references(&self) -> Vec<Reference> {
        let mut found = Vec::new();
        match &self.body {
            Body::Literal(_) => {}
            Body::Expression(expr) => collect_references(expr, &mut found),
            Body::Interpolation(parts) => {
                for part in parts {
                    if let Part::Expression(expr) = part {
                        collect_references(expr, &mut found);
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    pub(crate) fn body(&self) -> &Body {
        &self.body
    }
}

fn constant_string(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Str(text) => Some(text),
        _ => None,
    }
}

fn key_name(key: &Key) -> Option<&str> {
    match key {
        Key::Name(name) => Some(name),
        Key::Index(expr) => constant_string(expr),
    }
}

fn collect_references(expr: &Expr, found: &mut Vec<Reference>) {
    match &expr.kind {
        ExprKind::Call { function, args } => {
            let first = args.first().and_then(constant_string);
            match (function.name, first) {
                ("variables", Some(name)) => found.push(Reference::Variable(name.to_string())),
                ("activity", Some(name)) => found.push(Reference::Activity(name.to_string())),
                ("item", _) => found.push(Reference::Item),
                _ => {}
            }
            for arg in args {
                collect_references(arg, found);
            }
        }
        ExprKind::Member { target, key, .. } => {
            if let Some(name) = key_name(key) {
                if let ExprKind::Call { function, .. } = &target.kind {
                    match function.name {
                        "dataset" => found.push(Reference::DatasetParameter(name.to_string())),
                        "linkedService" => {
                            found.push(Reference::LinkedServiceParameter(name.to_string()))
                        }
                        _ => {}
                    }
                }
                if let ExprKind::Member {
                    target: inner,
                    key: inner_key,
                    ..
                } = &target.kind
                    && let ExprKind::Call { function, .. } = &inner.kind
                    && function.name == "pipeline"
                {
                    match key_name(inner_key) {
                        Some(scope) if scope.eq_ignore_ascii_case("parameters") => {
                            found.push(Reference::PipelineParameter(name.to_string()))
                        }
                        Some(scope) if scope.eq_ignore_ascii_case("globalParameters") => {
                            found.push(Reference::GlobalParameter(name.to_string()))
                        }
                        _ => {}
                    }
                }
            }
            collect_references(target, found);
            if let Key::Index(index) = key {
                collect_references(index, found);
            }
        }
        _ => {}
    }
}

/// Parses a whole property string.
pub fn parse(text: &str) -> Result<Template, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_LENGTH {
        return Err(ExprError::syntax(
            text,
            MAX_LENGTH,
            format!(
                "the string is too long to parse ({} characters; the limit is {MAX_LENGTH})",
                chars.len()
            ),
        ));
    }
    let mut parser = Parser {
        chars: &chars,
        source: text,
        position: 0,
        depth: 0,
    };
    let body = parser.template()?;
    Ok(Template {
        source: text.to_string(),
        body,
    })
}

struct Parser<'a> {
    chars: &'a [char],
    source: &'a str,
    position: usize,
    depth: usize,
}

fn describe(c: char) -> String {
    match c {
        '\'' => "quote \"'\"".to_string(),
        c if c.is_whitespace() => format!("whitespace {:?}", c),
        c => format!("'{c}'"),
    }
}

fn is_identifier_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_identifier_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.position + offset).copied()
    }

    fn starts_with(&self, prefix: &str) -> bool {
        (self.position..)
            .zip(prefix.chars())
            .all(|(index, expected)| self.chars.get(index) == Some(&expected))
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn error(&self, position: usize, message: impl Into<String>) -> ExprError {
        ExprError::syntax(self.source, position, message)
    }

    fn template(&mut self) -> Result<Body, ExprError> {
        if self.starts_with("@@") {
            // A leading `@@` is a literal `@`; the rest may still interpolate.
            self.position = 2;
            return self.interpolation(String::from("@"));
        }
        if self.starts_with("@") && !self.starts_with("@{") {
            self.position = 1;
            let expr = self.expression()?;
            self.skip_whitespace();
            if let Some(c) = self.peek() {
                if c == ')' {
                    return Err(
                        self.error(self.position, "unexpected ')': there are more ')' than '('")
                    );
                }
                return Err(self
                    .error(self.position, format!("unexpected {} after the end of the expression", describe(c)))
                    .with_hint(Some(
                        "a string that starts with '@' holds exactly one expression; to mix text and expressions write text with @{...} parts, e.g. \"@{pipeline().RunId}.csv\"".to_string(),
                    )));
            }
            return Ok(Body::Expression(expr));
        }
        self.interpolation(String::new())
    }

    fn interpolation(&mut self, mut text: String) -> Result<Body, ExprError> {
        let mut parts = Vec::new();
        let mut saw_expression = false;
        while let Some(c) = self.peek() {
            if self.starts_with("@{") {
                let open = self.position;
                self.position += 2;
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                self.skip_whitespace();
                if self.peek() == Some('}') {
                    return Err(self.error(self.position, "empty expression in '@{}'"));
                }
                let expr = self.expression()?;
                self.skip_whitespace();
                match self.peek() {
                    Some('}') => self.position += 1,
                    Some(other) => {
                        return Err(self
                            .error(
                                self.position,
                                format!(
                                    "expected '}}' to close the '@{{' at position {open}, found {}",
                                    describe(other)
                                ),
                            )
                            .with_hint(Some(
                                "an '@{...}' part holds exactly one expression".to_string(),
                            )));
                    }
                    None => {
                        return Err(self.error(open, "'@{' is never closed").with_hint(Some(
                            "end the expression with '}'; write '@@{' for a literal '@{'"
                                .to_string(),
                        )));
                    }
                }
                parts.push(Part::Expression(expr));
                saw_expression = true;
            } else if self.starts_with("@@{") {
                text.push_str("@{");
                self.position += 3;
            } else {
                text.push(c);
                self.position += 1;
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        if !saw_expression {
            let literal = parts
                .into_iter()
                .map(|part| match part {
                    Part::Text(text) => text,
                    Part::Expression(_) => String::new(),
                })
                .collect();
            return Ok(Body::Literal(literal));
        }
        Ok(Body::Interpolation(parts))
    }

    /// One expression: a literal or a call, then any number of property selections.
    fn expression(&mut self) -> Result<Expr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                self.position,
                format!("the expression is nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        let entry_depth = self.depth;
        self.skip_whitespace();
        let mut expr = self.primary()?;
        if matches!(expr.kind, ExprKind::Call { .. }) {
            loop {
                self.skip_whitespace();
                let start = self.position;
                if matches!(self.peek(), Some('.' | '[' | '?')) {
                    // Each selection nests the tree one level deeper, so it counts too.
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(self.error(
                            start,
                            format!(
                                "the expression is nested too deeply (more than {MAX_DEPTH} levels)"
                            ),
                        ));
                    }
                }
                let null_safe = self.peek() == Some('?');
                if null_safe {
                    match self.peek_at(1) {
                        Some('.') | Some('[') => self.position += 1,
                        _ => {
                            return Err(self
                                .error(start, "unexpected '?'")
                                .with_hint(Some("'?' is only valid before '.' or '[' (null-safe property selection)".to_string())));
                        }
                    }
                }
                let key = match self.peek() {
                    Some('.') => {
                        self.position += 1;
                        self.skip_whitespace();
                        let name_start = self.position;
                        if !self.peek().is_some_and(is_identifier_start) {
                            let found = self
                                .peek()
                                .map_or("the end of the text".to_string(), describe);
                            return Err(self
                                .error(
                                    name_start,
                                    format!("expected a property name after '.', found {found}"),
                                )
                                .with_hint(Some(
                                    "select properties with unusual names as ['name']".to_string(),
                                )));
                        }
                        Key::Name(self.property_name())
                    }
                    Some('[') => {
                        self.position += 1;
                        let index = self.expression()?;
                        self.skip_whitespace();
                        match self.peek() {
                            Some(']') => self.position += 1,
                            Some(other) => {
                                return Err(self.error(
                                    self.position,
                                    format!("expected ']' to close the '[' at position {start}, found {}", describe(other)),
                                ));
                            }
                            None => return Err(self.error(start, "'[' is never closed")),
                        }
                        Key::Index(Box::new(index))
                    }
                    _ => break,
                };
                expr = Expr {
                    kind: ExprKind::Member {
                        target: Box::new(expr),
                        key,
                        null_safe,
                    },
                    position: start,
                };
            }
        }
        self.depth = entry_depth - 1;
        Ok(expr)
    }

    fn identifier(&mut self) -> String {
        let start = self.position;
        while self.peek().is_some_and(is_identifier_continue) {
            self.position += 1;
        }
        self.chars[start..self.position].iter().collect()
    }

    /// A property name after `.`: an identifier that may also hold `-` between its
    /// characters (`globalParameters.GP-Int`, as ADF Studio writes for such a global parameter).
    /// ADF's language has no infix operators, so a `-` there cannot mean anything else.
    fn property_name(&mut self) -> String {
        let start = self.position;
        loop {
            self.identifier();
            let dash_then_name = self.peek() == Some('-')
                && self
                    .chars
                    .get(self.position + 1)
                    .is_some_and(|c| is_identifier_continue(*c));
            if !dash_then_name {
                break;
            }
            self.position += 1;
        }
        self.chars[start..self.position].iter().collect()
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let start = self.position;
        let Some(c) = self.peek() else {
            return Err(self.error(start, "expected an expression, but the text ended"));
        };
        let kind = match c {
            '\'' => ExprKind::Str(self.string_literal()?),
            '"' => {
                return Err(self.error(start, "unexpected '\"'").with_hint(Some(
                    "string literals use single quotes: 'text' (write '' for a quote inside)"
                        .to_string(),
                )));
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.number()?,
            c if is_identifier_start(c) => return self.word(start),
            '@' => {
                return Err(self
                    .error(start, "unexpected '@' inside an expression")
                    .with_hint(Some("function calls inside an expression take no '@': write concat(a, b), not @concat(a, @b)".to_string())));
            }
            ')' | ',' => {
                return Err(self
                    .error(start, format!("expected an argument, found '{c}'"))
                    .with_hint(Some(
                        "an argument is missing; remove the extra ',' or add a value".to_string(),
                    )));
            }
            other => return Err(self.error(start, format!("unexpected {}", describe(other)))),
        };
        Ok(Expr {
            kind,
            position: start,
        })
    }

    fn string_literal(&mut self) -> Result<String, ExprError> {
        let open = self.position;
        self.position += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self
                        .error(open, "string literal is never closed")
                        .with_hint(Some(
                            "close it with ' (write '' for a quote inside a string)".to_string(),
                        )));
                }
                Some('\'') if self.peek_at(1) == Some('\'') => {
                    text.push('\'');
                    self.position += 2;
                }
                Some('\'') => {
                    self.position += 1;
                    return Ok(text);
                }
                Some(c) => {
                    text.push(c);
                    self.position += 1;
                }
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.position;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.position += 1;
        }
        self.position - start
    }

    fn number(&mut self) -> Result<ExprKind, ExprError> {
        let start = self.position;
        if matches!(self.peek(), Some('-') | Some('+')) {
            self.position += 1;
        }
        let integer_digits = self.digits();
        let mut is_float = false;
        if self.peek() == Some('.') {
            self.position += 1;
            is_float = true;
            if self.digits() == 0 {
                return Err(self.error(self.position, "expected a digit after the decimal point"));
            }
        } else if integer_digits == 0 {
            return Err(self.error(start, format!("unexpected {}", describe(self.chars[start]))));
        }
        if matches!(self.peek(), Some('e') | Some('E')) {
            self.position += 1;
            if matches!(self.peek(), Some('-') | Some('+')) {
                self.position += 1;
            }
            if self.digits() == 0 {
                return Err(self.error(self.position, "expected a digit in the exponent"));
            }
            is_float = true;
        }
        if self.peek().is_some_and(is_identifier_start) {
            return Err(self.error(
                self.position,
                format!(
                    "unexpected {} after a number",
                    describe(self.chars[self.position])
                ),
            ));
        }
        let text: String = self.chars[start..self.position].iter().collect();
        if is_float {
            match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(ExprKind::Float(value)),
                _ => Err(self.error(start, "number literal is out of range")),
            }
        } else {
            text.parse::<i64>()
                .map(ExprKind::Int)
                .map_err(|_| self.error(start, "integer literal is out of range (64-bit)"))
        }
    }

    /// A keyword (`true`, `false`, `null`) or a function call.
    fn word(&mut self, start: usize) -> Result<Expr, ExprError> {
        let name = self.identifier();
        let after_name = self.position;
        self.skip_whitespace();
        if self.peek() != Some('(') {
            self.position = after_name;
            let kind = match name.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                _ => {
                    let hint = if functions::lookup(&name).is_some() {
                        format!("'{name}' is a function: call it as {name}(...)")
                    } else {
                        format!("string literals use single quotes: '{name}'")
                    };
                    return Err(self
                        .error(start, format!("unexpected word '{name}'"))
                        .with_hint(Some(hint)));
                }
            };
            return Ok(Expr {
                kind,
                position: start,
            });
        }
        let Some(function) = functions::lookup(&name) else {
            let hint =
                functions::suggest(&name).map(|suggestion| format!("did you mean '{suggestion}'?"));
            return Err(self
                .error(start, format!("the function '{name}' is not defined"))
                .with_hint(hint));
        };
        let open = self.position;
        self.position += 1;
        let mut args = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(')') {
            self.position += 1;
        } else {
            loop {
                args.push(self.expression()?);
                self.skip_whitespace();
                match self.peek() {
                    Some(',') => self.position += 1,
                    Some(')') => {
                        self.position += 1;
                        break;
                    }
                    Some(other) => {
                        let after_quote =
                            self.position > 0 && self.chars[self.position - 1] == '\'';
                        return Err(self
                            .error(
                                self.position,
                                format!(
                                    "expected ',' or ')' after an argument of '{}', found {}",
                                    function.name,
                                    describe(other)
                                ),
                            )
                            .with_hint(if other == '\'' || after_quote {
                                Some("write '' for a quote inside a string literal".to_string())
                            } else {
                                None
                            }));
                    }
                    None => {
                        return Err(self
                            .error(
                                open,
                                format!(
                                    "the '(' of the call to '{}' is never closed",
                                    function.name
                                ),
                            )
                            .with_hint(Some("add ')'".to_string())));
                    }
                }
            }
        }
        if let Some(message) = function.arity_error(args.len()) {
            return Err(self
                .error(start, message)
                .with_hint(Some(format!("usage: {}", function.usage))));
        }
        Ok(Expr {
            kind: ExprKind::Call { function, args },
            position: start,
        })
    }
}
