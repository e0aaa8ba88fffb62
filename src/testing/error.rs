//! Problems in a test suite file. Every variant has a stable code, a label
//! on the offending span of the suite and, where one helps, a fix.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// An error (or warning) found in a `.mfatest` suite before any case runs.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum TestError {
    /// A line that does not parse.
    #[error("{message}")]
    #[diagnostic(code(mfapol::test_syntax))]
    Syntax {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label text.
        label: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },

    /// A `policy` or `event` line is missing.
    #[error("{message}")]
    #[diagnostic(code(mfapol::test_missing))]
    Missing {
        /// What is missing.
        message: String,
        /// Where it was needed.
        #[label("{label}")]
        span: SourceSpan,
        /// The label text.
        label: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },

    /// An override path that is not a field of the event.
    #[error("{message}")]
    #[diagnostic(code(mfapol::test_unknown_path))]
    UnknownPath {
        /// What the checker said.
        message: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label text.
        label: String,
        /// Did you mean.
        #[help]
        help: Option<String>,
    },

    /// An override value that does not fit the field's type.
    #[error("{message}")]
    #[diagnostic(code(mfapol::test_bad_value))]
    BadValue {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label text.
        label: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },

    /// `expect rule NAME` (or `expect applied`) with a name the policy does not have.
    #[error("the policy has no rule `{rule}`")]
    #[diagnostic(code(mfapol::test_unknown_rule))]
    UnknownRule {
        /// The name as written.
        rule: String,
        /// Where.
        #[label("no such rule")]
        span: SourceSpan,
        /// Did you mean / the rules there are.
        #[help]
        help: Option<String>,
    },

    /// An expectation that can never hold (an unknown provider or factor).
    #[error("{message}")]
    #[diagnostic(code(mfapol::test_bad_expectation))]
    BadExpectation {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label text.
        label: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },

    /// The policy under test does not check.
    #[error("policy `{policy}` has {count} error{plural}; no case was run", plural = if *count == 1 { "" } else { "s" })]
    #[diagnostic(
        code(mfapol::test_policy_errors),
        help("run `mfapol check` on the policy")
    )]
    PolicyErrors {
        /// The policy path as written.
        policy: String,
        /// How many errors.
        count: usize,
        /// The `policy` line.
        #[label("this policy does not check")]
        span: SourceSpan,
    },

    /// A base event that is not a JSON object.
    #[error("event `{event}`: {reason}")]
    #[diagnostic(
        code(mfapol::test_bad_event),
        help("an event is one JSON object, as Auth0 passes it to a post-login Action")
    )]
    BadEvent {
        /// The event path as written.
        event: String,
        /// What the JSON reader said, with line and column.
        reason: String,
        /// The `event` line.
        #[label("invalid event")]
        span: SourceSpan,
    },

    /// A policy or event file that cannot be read.
    #[error("{message}")]
    #[diagnostic(code(mfapol::test_io))]
    Io {
        /// What went wrong.
        message: String,
        /// The line naming the file.
        #[label("cannot read this file")]
        span: SourceSpan,
    },

    /// A `set` or `unset` of a metadata key that no rule of the policy
    /// reads (warning): the override cannot change the decision.
    #[error("the policy never reads `{path}`")]
    #[diagnostic(code(mfapol::test_unread_key), severity(Warning))]
    UnreadKey {
        /// The key's full path.
        path: String,
        /// The override's path.
        #[label("this override cannot change the decision")]
        span: SourceSpan,
        /// The keys the policy reads, never a `declare` of this one.
        #[help]
        help: Option<String>,
    },
}

impl TestError {
    /// Whether this is only a warning (the suite still runs).
    pub fn is_warning(&self) -> bool {
        matches!(self, TestError::UnreadKey { .. })
    }

    /// Whether this error comes from a file that could not be read (exit code 2).
    pub fn is_io(&self) -> bool {
        matches!(self, TestError::Io { .. })
    }

    /// The stable code, as a string.
    pub fn code_str(&self) -> String {
        self.code().map(|c| c.to_string()).unwrap_or_default()
    }
}

/// A diagnostic from another parser (an expression parsed from part of a
/// line), moved to its place in the suite: message, span, label and help.
pub(crate) fn relocate(
    diag: &dyn Diagnostic,
    base: usize,
) -> (String, SourceSpan, String, Option<String>) {
    let first = diag.labels().and_then(|mut l| l.next());
    let (offset, len, label) = match first {
        Some(l) => (l.offset(), l.len(), l.label().unwrap_or("here").to_string()),
        None => (0, 0, "here".to_string()),
    };
    (
        diag.to_string(),
        SourceSpan::new(base.saturating_add(offset).into(), len),
        label,
        diag.help().map(|h| h.to_string()),
    )
}

/// A span from byte offsets.
pub(crate) fn span(start: usize, end: usize) -> SourceSpan {
    SourceSpan::new(start.into(), end.saturating_sub(start))
}
