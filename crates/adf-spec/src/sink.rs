//! Collects diagnostics with their positions while loading.

use crate::diagnostic::{Diagnostic, Severity};
use crate::yaml::Pos;

/// Every diagnostic found so far, with the position to sort them by.
pub(crate) struct Sink<'a> {
    names: &'a [String],
    found: Vec<(Pos, Diagnostic)>,
}

impl<'a> Sink<'a> {
    pub fn new(names: &'a [String]) -> Self {
        Sink {
            names,
            found: Vec::new(),
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        pos: Pos,
        message: String,
        hint: Option<String>,
    ) {
        let file = self
            .names
            .get(pos.file)
            .cloned()
            .unwrap_or_else(|| "<spec>".into());
        self.found.push((
            pos,
            Diagnostic {
                severity,
                code,
                file,
                line: pos.line,
                column: pos.column,
                message,
                hint,
                offset: pos.offset,
                length: pos.length,
            },
        ));
    }

    /// Records an error.
    pub fn error(
        &mut self,
        code: &'static str,
        pos: Pos,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.push(Severity::Error, code, pos, message.into(), hint);
    }

    /// Records a warning.
    pub fn warning(
        &mut self,
        code: &'static str,
        pos: Pos,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.push(Severity::Warning, code, pos, message.into(), hint);
    }

    /// How many errors were recorded so far.
    pub fn error_count(&self) -> usize {
        self.found.iter().filter(|(_, d)| d.is_error()).count()
    }

    /// The name of the file at `index`.
    pub fn file_name(&self, index: usize) -> &str {
        self.names.get(index).map_or("<spec>", String::as_str)
    }

    /// All diagnostics, in file order, then line and column (stable for equal positions).
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.found
            .sort_by_key(|(pos, _)| (pos.file, pos.line, pos.column));
        self.found.into_iter().map(|(_, d)| d).collect()
    }
}
