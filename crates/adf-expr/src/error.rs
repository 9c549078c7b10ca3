//! The one error type of the crate: what went wrong, in which property string, and where.

use std::fmt;

/// Whether an error was found while parsing (the validator reports these) or while evaluating
/// (the emulator's activity fails with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not a valid expression: bad syntax, an unknown function, a wrong argument count.
    Syntax,
    /// The expression is valid but could not be evaluated against the given context: a missing
    /// parameter or property, a value of the wrong type, a function the emulator cannot run.
    Evaluation,
}

/// An expression error. It names the whole property string, the character offset of the
/// problem in it, and, where one helps, a hint.
///
/// Messages never quote runtime values (a pipeline parameter may be a secure string); they
/// name types, property names, indexes and the expression text only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExprError {
    /// Syntax or evaluation.
    pub kind: ErrorKind,
    /// What is wrong, without the expression text (`Display` adds it).
    pub message: String,
    /// The whole property string the error is in, e.g. `@concat('a', )`.
    pub expression: String,
    /// 0-based character (not byte) offset of the problem in `expression`.
    pub position: usize,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
    /// JSON pointer of the property inside the evaluated document (`/typeProperties/source`),
    /// set by [`crate::evaluate_value`]; empty otherwise.
    pub path: String,
}

/// Expressions longer than this are shown as an excerpt around the position.
const SHOWN_CHARS: usize = 160;

impl ExprError {
    pub(crate) fn syntax(expression: &str, position: usize, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Syntax, expression, position, message)
    }

    pub(crate) fn evaluation(
        expression: &str,
        position: usize,
        message: impl Into<String>,
    ) -> Self {
        Self::new(ErrorKind::Evaluation, expression, position, message)
    }

    fn new(kind: ErrorKind, expression: &str, position: usize, message: impl Into<String>) -> Self {
        ExprError {
            kind,
            message: message.into(),
            expression: expression.to_string(),
            position,
            hint: None,
            path: String::new(),
        }
    }

    pub(crate) fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Two lines: the expression (or an excerpt of it) and a caret under the position.
    pub fn pointer(&self) -> String {
        let (shown, offset) = excerpt(&self.expression, self.position);
        format!("{shown}\n{}^", " ".repeat(offset))
    }
}

/// The expression, or a window of it around `position` when it is long, and the caret offset
/// inside what is shown.
fn excerpt(expression: &str, position: usize) -> (String, usize) {
    let chars: Vec<char> = expression.chars().collect();
    if chars.len() <= SHOWN_CHARS {
        return (expression.to_string(), position.min(chars.len()));
    }
    let position = position.min(chars.len());
    let start = position.saturating_sub(SHOWN_CHARS / 2);
    let end = (start + SHOWN_CHARS).min(chars.len());
    let mut shown = String::new();
    let mut offset = position - start;
    if start > 0 {
        shown.push('…');
        offset += 1;
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, offset)
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (shown, _) = excerpt(&self.expression, self.position);
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(
            f,
            "in \"{shown}\": {} at position {}",
            self.message, self.position
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExprError {}
