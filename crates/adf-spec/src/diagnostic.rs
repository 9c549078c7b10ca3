//! Diagnostics: what is wrong, where (file:line:column) and what to do next.

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec cannot be used.
    Error,
    /// The spec works, but something looks wrong.
    Warning,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found in a spec, with its position.
///
/// Its `Display` form is the stable plain-text rendering:
///
/// ```text
/// specs/x.yaml:12:7: error: dataset `ds_in` references linked service `storageLS`, which the spec does not define
///   hint: did you mean `storageLinkedService`?
/// ```
///
/// A diagnostic never contains a secret value: messages quote names, keys and positions only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable identifier of the kind of problem (`unknown-key`, `dangling-reference`, ...).
    pub code: &'static str,
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line; 0 when the diagnostic is about the whole file (it cannot be read).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Byte offset of the offending text in the file (for a source snippet).
    #[serde(skip)]
    pub offset: usize,
    /// Length in bytes of the offending text (0 when it is a point).
    #[serde(skip)]
    pub length: usize,
}

impl Diagnostic {
    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.file, self.severity, self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.column, self.severity, self.message
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Renders diagnostics as plain text, one after another, each ending with a newline.
pub fn render_plain(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&diagnostic.to_string());
        out.push('\n');
    }
    out
}
