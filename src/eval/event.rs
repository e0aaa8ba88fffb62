//! Reading an event from JSON text, with located errors and a depth bound.

use miette::{Diagnostic, SourceSpan};
use serde_json::Value as Json;
use thiserror::Error;

/// serde_json's own nesting limit; deeper input is refused with a location.
pub const MAX_JSON_DEPTH: usize = 128;

/// Why an event could not be read.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum EventError {
    /// Not valid JSON (or nested deeper than [`MAX_JSON_DEPTH`]).
    #[error("invalid JSON at line {line}, column {column}: {reason}")]
    #[diagnostic(
        code(mfapol::invalid_event_json),
        help("an event is one JSON object, as Auth0 passes it to a post-login Action")
    )]
    InvalidJson {
        /// What the JSON parser said.
        reason: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Where.
        #[label("here")]
        span: SourceSpan,
    },
    /// Valid JSON that is not an object.
    #[error("the event must be a JSON object, found {found} at line {line}, column {column}")]
    #[diagnostic(
        code(mfapol::event_not_object),
        help("an event is one JSON object, as Auth0 passes it to a post-login Action")
    )]
    NotAnObject {
        /// The kind of JSON value found.
        found: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Where.
        #[label("not an object")]
        span: SourceSpan,
    },
}

/// Parses an event: valid JSON, an object at the top.
pub fn parse_event(text: &str) -> Result<Json, EventError> {
    let text = strip_bom(text);
    let v: Json = serde_json::from_str(text).map_err(|e| located(text, &e))?;
    require_object(text, v)
}

/// The text without a leading UTF-8 byte order mark (some editors write one).
pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A JSON syntax error with its line, column and span.
pub(crate) fn located(text: &str, e: &serde_json::Error) -> EventError {
    let (line, column) = (e.line().max(1), e.column().max(1));
    let offset = offset_of(text, line, column);
    let reason = e.to_string();
    let reason = match reason.rfind(" at line ") {
        Some(i) => reason[..i].to_string(),
        None => reason,
    };
    EventError::InvalidJson {
        reason,
        line,
        column,
        span: SourceSpan::new(offset.into(), 0),
    }
}

/// The event if it is an object, else a located error.
pub(crate) fn require_object(text: &str, v: Json) -> Result<Json, EventError> {
    if v.is_object() {
        return Ok(v);
    }
    let start = text.len().saturating_sub(text.trim_start().len());
    let (line, column) = crate::source::line_col(text, start);
    let found = super::value::json_kind(&v);
    Err(EventError::NotAnObject {
        found,
        line,
        column,
        span: SourceSpan::new(start.into(), 1),
    })
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off: usize = 0;
    for (l, n) in text.split_inclusive('\n').zip(1..) {
        if n == line {
            let col_bytes: usize = l
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return off.saturating_add(col_bytes).min(text.len());
        }
        off = off.saturating_add(l.len());
    }
    text.len()
}
