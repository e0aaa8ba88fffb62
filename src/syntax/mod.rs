//! Parsing: text -> [`ast::Policy`].

pub mod ast;
mod diagnose;
mod error;
mod parse;

pub use error::SyntaxError;
pub use parse::{parse, parse_expr, MAX_DEPTH};
