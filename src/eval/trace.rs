//! What `mfapol eval --explain` records: per rule, whether it applied, the
//! truth of its conditions and each comparison with the event values it
//! read. The interpreter fills these in when asked ([`super::explain`]).

use super::{Decision, Truth};
use serde_json::Value as Json;
use std::sync::Arc;

/// The most comparisons recorded per rule (quantifiers can repeat a body).
pub const MAX_CHECKS_PER_RULE: usize = 64;

/// What `explain` records about one rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleTrace {
    /// Index of the rule in the policy.
    pub index: usize,
    /// Whether it applied.
    pub applied: bool,
    /// The truth of its `when`.
    pub when: Truth,
    /// The truth of its `unless`, if it has one.
    pub unless: Option<Truth>,
    /// The comparisons evaluated, in order.
    pub checks: Vec<Check>,
}

/// One evaluated comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The comparison in the policy source.
    pub span: crate::source::Span,
    /// Its outcome.
    pub truth: Truth,
    /// The event values it read: (path, value as JSON).
    pub values: Vec<(Arc<str>, Json)>,
}

/// A decision with its trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The decision, exactly as [`evaluate`] makes it.
    pub decision: Decision,
    /// One trace per rule, in source order.
    pub rules: Vec<RuleTrace>,
}

impl Truth {
    /// `true`, `false` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "error",
        }
    }
}
