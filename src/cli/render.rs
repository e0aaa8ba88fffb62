//! Rendering diagnostics: miette graphics for people, JSON for machines.

use mfapol::source::SourceFile;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, SourceSpan};
use serde_json::json;
use std::io::IsTerminal;
use thiserror::Error;

/// Errors that only the command line can have.
#[derive(Debug, Error, Diagnostic)]
pub enum CliError {
    /// A policy or event file that is not UTF-8.
    #[error("`{file}` is not valid UTF-8")]
    #[diagnostic(code(mfapol::invalid_utf8), help("save the file as UTF-8"))]
    InvalidUtf8 {
        /// The file.
        file: String,
        /// The first invalid byte.
        #[label("invalid byte here")]
        span: SourceSpan,
    },
}

/// Whether stderr gets colour: a terminal, and `NO_COLOR` unset or empty.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// A diagnostic as miette draws it, against its source.
pub fn render(source: &SourceFile, diag: &dyn Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    render_with(source.named_source(), diag, theme)
}

/// Renders against any miette source, with a given theme.
pub fn render_with<S: miette::SourceCode>(
    src: S,
    diag: &dyn Diagnostic,
    theme: GraphicalTheme,
) -> String {
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let report = WithSource { inner: diag, src };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{diag}\n");
    }
    out
}

/// Attaches a source to a borrowed diagnostic for rendering.
struct WithSource<'a, S> {
    inner: &'a dyn Diagnostic,
    src: S,
}

impl<S> std::fmt::Debug for WithSource<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.inner, f)
    }
}

impl<S> std::fmt::Display for WithSource<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.inner, f)
    }
}

impl<S> std::error::Error for WithSource<'_, S> {}

impl<S: miette::SourceCode> Diagnostic for WithSource<'_, S> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.help()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.inner.labels()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
}

/// One diagnostic in the documented JSON shape of `check --format json`.
pub fn json(file: &str, src: &SourceFile, diag: &dyn Diagnostic) -> serde_json::Value {
    let (start, len) = diag
        .labels()
        .and_then(|mut l| l.next())
        .map_or((0, 0), |l| (l.offset(), l.len()));
    let index = src.lines();
    let (line, column) = index.line_col(&src.text, start);
    let (end_line, end_column) = index.line_col(&src.text, start.saturating_add(len));
    let severity = match diag.severity() {
        Some(miette::Severity::Warning) => "warning",
        Some(miette::Severity::Advice) => "advice",
        _ => "error",
    };
    json!({
        "file": file,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "severity": severity,
        "code": diag.code().map(|c| c.to_string()),
        "message": diag.to_string(),
        "help": diag.help().map(|h| h.to_string()),
    })
}

/// Decodes UTF-8 or locates the first invalid byte (handing the bytes back
/// for rendering the diagnostic against them).
pub fn utf8(file: &str, bytes: Vec<u8>) -> Result<String, (CliError, Vec<u8>)> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let err = CliError::InvalidUtf8 {
            file: file.to_string(),
            span: SourceSpan::new(at.into(), 1),
        };
        (err, e.into_bytes())
    })
}

/// The text of a file that is not UTF-8, for locating a diagnostic: bytes
/// before the first invalid one are unchanged, so its offset still holds.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
