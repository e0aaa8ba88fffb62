//! # mfapol
//!
//! Login security policy as code: a small, typed language that decides,
//! per login, whether an identity provider must ask for multi-factor
//! authentication, checked against the real Auth0 post-login event schema.
//!
//! The pipeline is visible in the modules: text -> [`syntax`] (an untyped,
//! spanned tree) -> [`check`] (a resolved, typed [`ir::Policy`]) -> [`eval`]
//! (a [`eval::Decision`]). The library does no IO: no files, no clock, no
//! printing; `now` is an input.
//!
//! ```
//! use mfapol::{compile, eval, schema, source::SourceFile};
//!
//! let src = SourceFile::new(
//!     "example.mfapolicy",
//!     "require mfa when connection == \"corp-ad\" and not ip in 203.0.113.0/24\n",
//! );
//! let compiled = compile(&src, schema::auth0_post_login());
//! let policy = compiled.policy.expect("the policy checks");
//! let event = eval::parse_event(r#"{"connection": {"name": "corp-ad"}, "request": {"ip": "198.51.100.7"}}"#)
//!     .expect("valid event");
//! let decision = eval::evaluate(&policy, &event, 0);
//! assert_eq!(decision.kind, eval::DecisionKind::RequireMfa);
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]
// Library code must not panic on hostile input (issue 7): no unchecked
// indexing, no arithmetic that can overflow, no silently truncating casts.
// A site proven safe carries an `#[expect]` with its reason.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
// Unit tests may index: a panic there is a failed test. The library itself
// is still linted by the non-test build (`cargo clippy --all-targets` runs
// both).
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation
    )
)]

pub mod action;
pub mod check;
pub mod eval;
pub mod fmt;
pub mod include;
pub mod ir;
// The language server uses the protocol crates, which only the command
// line's feature brings in.
#[cfg(feature = "cli")]
pub mod lsp;
pub mod replay;
pub mod schema;
pub mod source;
pub mod syntax;
pub mod testing;
pub mod verify;

use miette::Diagnostic;
use thiserror::Error;

/// Any problem found in a policy file: a syntax error or a check error/warning.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum PolicyError {
    /// The file does not parse.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] syntax::SyntaxError),
    /// The file parses but does not check.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] check::CheckError),
}

impl PolicyError {
    /// Whether this is only a warning.
    pub fn is_warning(&self) -> bool {
        matches!(self, PolicyError::Check(c) if c.is_warning())
    }
}

/// The result of parsing and checking one policy file.
#[derive(Debug)]
pub struct Compiled {
    /// The checked program, when there are no errors (warnings allowed).
    pub policy: Option<ir::Policy>,
    /// Every error and warning, sorted by position.
    pub diagnostics: Vec<PolicyError>,
}

/// Parses and checks a policy file against a schema.
pub fn compile(source: &source::SourceFile, schema: &schema::Schema) -> Compiled {
    compile_with(source, schema, &mut |_, _| {
        Err("no file loader: this caller cannot read included files".into())
    })
}

/// [`compile`] for a policy that may `include` other files, read through
/// `load` (see [`include::Loader`]), each loaded and checked once.
pub fn compile_with(
    source: &source::SourceFile,
    schema: &schema::Schema,
    load: &mut include::Loader<'_>,
) -> Compiled {
    compile_cached(source, schema, load, &mut include::Cache::new())
}

/// [`compile_with`] sharing `cache` with other compiles of the same run,
/// so a file that many policies include is loaded and checked once.
pub fn compile_cached(
    source: &source::SourceFile,
    schema: &schema::Schema,
    load: &mut include::Loader<'_>,
    cache: &mut include::Cache,
) -> Compiled {
    match syntax::parse(&source.text) {
        Err(e) => Compiled {
            policy: None,
            diagnostics: vec![PolicyError::Syntax(e)],
        },
        Ok(mut ast) => {
            let mut problems = Vec::new();
            include::resolve(source, &mut ast, schema, load, cache, &mut problems);
            if !problems.is_empty() {
                return Compiled {
                    policy: None,
                    diagnostics: problems,
                };
            }
            let checked = check::check(source, &ast, schema);
            Compiled {
                policy: checked.policy,
                diagnostics: checked
                    .diagnostics
                    .into_iter()
                    .map(PolicyError::Check)
                    .collect(),
            }
        }
    }
}
