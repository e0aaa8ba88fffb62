//! Parsing: text -> [`ast::Policy`].

pub mod ast;
mod diagnose;
mod error;
mod parse;
mod slips;

pub use error::SyntaxError;
pub use parse::{parse, parse_expr, MAX_DEPTH};

/// The reserved words (SPEC §3): never a name. Contextual words (`include`,
/// `enroll`, `then`, `challenge`, `exempt`, `assert`, `at`, `least`,
/// `never`) are not among them.
pub const RESERVED: &[&str] = &[
    "rule",
    "let",
    "declare",
    "default",
    "require",
    "skip",
    "deny",
    "mfa",
    "when",
    "unless",
    "using",
    "with",
    "and",
    "or",
    "not",
    "in",
    "true",
    "false",
    "null",
    "any",
    "all",
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "now",
    "factors",
    "remember_browser",
];
