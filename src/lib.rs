//! mfapol
#![deny(clippy::print_stdout, clippy::print_stderr)]
pub mod source;
pub mod schema;
pub mod syntax;
