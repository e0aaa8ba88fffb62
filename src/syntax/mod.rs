//! Parsing: text -> [`ast::Policy`].

pub mod ast;
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
mod diagnose;
mod error;
mod parse;

pub use error::SyntaxError;
pub use parse::{parse, parse_expr, MAX_DEPTH};
