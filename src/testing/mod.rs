//! Policy test suites (`.mfatest`, SPEC §9): a base event, per-case field
//! overrides checked against the same schema as policies, and expected
//! decisions. The format is documented in `docs/testing.md`.
//!
//! The library does no IO: [`run_suite`] gets the suite's text and reads the
//! files it names through a [`Loader`].
//!
//! ```
//! use mfapol::testing::{run_suite, Loaded};
//! use mfapol::{schema, source::SourceFile};
//!
//! let suite = SourceFile::new(
//!     "corp.mfatest",
//!     "policy corp.mfapolicy\nevent login.json\n\
//!      case \"corp user\"\n  set connection.name = \"corp-ad\"\n  expect require_mfa\n",
//! );
//! let mut files = |path: &str| match path {
//!     "corp.mfapolicy" => Ok(Loaded { name: path.into(), text: "rule corp: require mfa when connection == \"corp-ad\"\n".into() }),
//!     "login.json" => Ok(Loaded { name: path.into(), text: r#"{"connection": {"name": "db"}}"#.into() }),
//!     _ => Err(format!("no file `{path}`")),
//! };
//! let report = run_suite(&suite, &mut files, schema::auth0_post_login(), 0);
//! assert!(!report.has_errors());
//! assert_eq!((report.passed(), report.failed()), (1, 0));
//! ```

mod error;
mod expect;
mod format;
mod run;
mod unread;
mod value;

pub use error::TestError;
pub use format::{parse_suite, Case, Expect, Located, Override, OverrideValue, RuleRef, Suite};
pub use run::{run_suite, CaseReport, Loaded, Loader, Mismatch, SuiteReport};
pub use value::{apply, check_override, Seg, Target, Val};

/// The extension of suite files.
pub const EXTENSION: &str = "mfatest";

#[cfg(test)]
mod tests;
