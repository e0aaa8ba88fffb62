//! What `verify` reports, as diagnostics located in the policy: refuted and
//! undecided assertions (errors), rules that cannot matter (warnings).

use super::{Report, RuleWarning, Verdict};
use crate::ir::Policy;
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A finding of `mfapol verify`.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum Finding {
    /// An event violates the assertion (confirmed by the interpreter).
    #[error("assertion `{name}` is refuted: this login gets {got}")]
    #[diagnostic(code(mfapol::assert_refuted))]
    Refuted {
        /// The assertion.
        name: String,
        /// The decision on the counterexample, with its rule.
        got: String,
        /// Where.
        #[label("refuted")]
        span: SourceSpan,
        /// The counterexample and how to replay it.
        #[help]
        help: String,
    },

    /// Neither proved nor refuted.
    #[error("assertion `{name}` is unknown (not decided): {reason}")]
    #[diagnostic(
        code(mfapol::assert_unknown),
        help("verify decides comparisons with constants, ranges, prefixes and suffixes, and times relative to `now` exactly; write the assertion over such conditions, or cover it with `.mfatest` cases")
    )]
    Unknown {
        /// The assertion.
        name: String,
        /// Why.
        reason: String,
        /// Where.
        #[label("undecided")]
        span: SourceSpan,
    },

    /// No login makes the rule apply.
    #[error("rule `{name}` can never apply (a dead rule)")]
    #[diagnostic(
        code(mfapol::rule_never_applies),
        severity(Warning),
        help("no event satisfies its `when` (and not its `unless`); correct the condition, or delete the rule")
    )]
    NeverApplies {
        /// The rule.
        name: String,
        /// Where.
        #[label("no login reaches this rule")]
        span: SourceSpan,
    },

    /// Whenever the rule applies, another rule decides.
    #[error("rule `{name}` is shadowed: it never decides, {winners}")]
    #[diagnostic(
        code(mfapol::rule_never_decides),
        severity(Warning),
        help("its effect never reaches a login; delete it, or narrow the rules that win over it")
    )]
    NeverDecides {
        /// The rule.
        name: String,
        /// Which rules always win over it.
        winners: String,
        /// Where.
        #[label("always outranked")]
        span: SourceSpan,
    },
}

impl Finding {
    /// Whether this is only a warning.
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Finding::NeverApplies { .. } | Finding::NeverDecides { .. }
        )
    }
}

fn quoted(policy: &Policy, rules: &[usize]) -> String {
    let names: Vec<String> = rules
        .iter()
        .filter_map(|i| policy.rules.get(*i))
        .map(|r| format!("`{}`", r.name))
        .collect();
    names.join(", ")
}

/// The findings of a report, in source order of what they are about.
/// `file` is how the policy is named in the replay command.
pub fn findings(policy: &Policy, report: &Report, file: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (a, v) in policy.asserts.iter().zip(&report.assertions) {
        match v {
            Verdict::Proved => {}
            Verdict::Refuted(cx) => {
                let got = match cx.decision.rule_name(policy) {
                    Some(r) => format!("`{}` (rule `{r}`)", cx.decision.kind.as_str()),
                    None => format!("`{}` (no rule applies)", cx.decision.kind.as_str()),
                };
                let now = super::scan::time_text(cx.now_ms);
                out.push(Finding::Refuted {
                    name: a.name.to_string(),
                    got,
                    span: a.span.into(),
                    help: format!(
                        "counterexample: save this event as event.json and run `mfapol eval {file} event.json --now {now}`:\n{}",
                        cx.event
                    ),
                });
            }
            Verdict::Unknown(reason) => out.push(Finding::Unknown {
                name: a.name.to_string(),
                reason: reason.clone(),
                span: a.span.into(),
            }),
        }
    }
    for w in &report.warnings {
        match w {
            RuleWarning::NeverApplies { rule } => {
                if let Some(r) = policy.rules.get(*rule) {
                    out.push(Finding::NeverApplies {
                        name: r.name.to_string(),
                        span: r.span.into(),
                    });
                }
            }
            RuleWarning::NeverDecides {
                rule,
                winners,
                together,
            } => {
                if let Some(r) = policy.rules.get(*rule) {
                    let names = quoted(policy, winners);
                    let winners = if *together {
                        format!("whenever it applies, a rule that outranks it applies too (such as {names})")
                    } else if winners.len() == 1 {
                        format!("{names} applies whenever it does and outranks it")
                    } else {
                        let more = if winners.len() >= super::MAX_WINNERS {
                            " (and maybe others)"
                        } else {
                            ""
                        };
                        format!("{names} each apply whenever it does and outrank it{more}")
                    };
                    out.push(Finding::NeverDecides {
                        name: r.name.to_string(),
                        winners,
                        span: r.span.into(),
                    });
                }
            }
        }
    }
    out
}
