//! Syntax errors.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// Anything that stops a file from parsing. Parsing stops at the first one.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum SyntaxError {
    /// The text does not follow the grammar.
    #[error("{message}")]
    #[diagnostic(code(mfapol::syntax))]
    Unexpected {
        /// What was expected, in words.
        message: String,
        /// Where the parser gave up.
        #[label("{label}")]
        span: SourceSpan,
        /// The label text.
        label: String,
        /// How to fix it, where we can tell.
        #[help]
        help: Option<String>,
    },

    /// A reserved keyword where a rule, `let` or assertion name goes
    /// (`rule mfa: ...`).
    #[error("`{word}` is a reserved keyword and cannot name {what}")]
    #[diagnostic(code(mfapol::keyword_as_name))]
    KeywordAsName {
        /// The keyword as written.
        word: String,
        /// "a rule", "a `let`" or "an assertion".
        what: String,
        /// Where the name stands.
        #[label("a reserved keyword")]
        span: SourceSpan,
        /// Another name to use.
        #[help]
        help: Option<String>,
    },

    /// Brackets or operators nested deeper than the parser allows.
    #[error("expression nested too deeply (more than {limit} levels)")]
    #[diagnostic(
        code(mfapol::nesting_too_deep),
        help("split the condition into `let` definitions")
    )]
    TooDeep {
        /// The configured bound.
        limit: usize,
        /// The place where the bound was crossed.
        #[label("nesting passes the limit here")]
        span: SourceSpan,
    },

    /// A string escape that is not one of `\" \\ \n \t \u{XXXX}`.
    #[error("invalid escape `{text}` in string")]
    #[diagnostic(
        code(mfapol::invalid_escape),
        help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{{XXXX}}` with a Unicode scalar value; in a regex pattern, double the backslash: `\"\\\\d+\"`")
    )]
    InvalidEscape {
        /// The escape as written.
        text: String,
        /// Where it stands.
        #[label("not a valid escape")]
        span: SourceSpan,
    },

    /// A number that does not fit a 64-bit integer.
    #[error("number `{text}` is out of range")]
    #[diagnostic(
        code(mfapol::number_out_of_range),
        help("integers and durations must fit in a signed 64-bit integer")
    )]
    NumberOutOfRange {
        /// The literal as written.
        text: String,
        /// Where it stands.
        #[label("too large")]
        span: SourceSpan,
    },
}
