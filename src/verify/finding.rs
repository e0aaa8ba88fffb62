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

    /// A rule's or an assertion's condition raises a run-time error on
    /// some login (`verify --never-errors`).
    #[error("{what} `{name}` can raise a run-time error: {error}")]
    #[diagnostic(code(mfapol::condition_may_raise))]
    MayRaise {
        /// `rule` or `assertion`.
        what: &'static str,
        /// Its name.
        name: String,
        /// The run-time error, in words.
        error: String,
        /// Where.
        #[label("raises on the login below")]
        span: SourceSpan,
        /// What the error does and how to replay it.
        #[help]
        help: String,
    },

    /// Whether a condition can raise was not decided.
    #[error("{what} `{name}`: whether it can raise a run-time error is unknown: {reason}")]
    #[diagnostic(
        code(mfapol::raise_unknown),
        help("write the condition over typed fields or declared metadata, or cover it with `.mfatest` cases that hold values of other types")
    )]
    RaiseUnknown {
        /// `rule` or `assertion`.
        what: &'static str,
        /// Its name.
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
    #[diagnostic(code(mfapol::rule_never_decides), severity(Warning))]
    NeverDecides {
        /// The rule.
        name: String,
        /// Which rules always win over it.
        winners: String,
        /// Where.
        #[label("always outranked")]
        span: SourceSpan,
        /// What to do: never narrowing a `deny` rule (SPEC §15).
        #[help]
        help: String,
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

fn rules_of(w: &RuleWarning) -> &[usize] {
    match w {
        RuleWarning::NeverDecides { winners, .. } => winners,
        RuleWarning::NeverApplies { .. } => &[],
    }
}

/// Whether any of these rules denies.
fn winners_deny(policy: &Policy, rules: &[usize]) -> bool {
    rules.iter().any(|i| {
        policy
            .rules
            .get(*i)
            .is_some_and(|r| matches!(r.effect, crate::ir::Effect::Deny { .. }))
    })
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
                let now = super::time_text(cx.now_ms);
                out.push(Finding::Refuted {
                    name: a.name.to_string(),
                    got,
                    span: a.span.into(),
                    help: format!(
                        "the counterexample is the event on the next line: save it as event.json and run `mfapol eval {file} event.json --now {now}`"
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
                    let denies = winners_deny(policy, rules_of(w));
                    let help = if denies {
                        "its effect never reaches a login (a `deny` rule decides them, as intended when logins are refused); delete it, which changes no decision".to_string()
                    } else {
                        "its effect never reaches a login; delete it (no decision changes), or narrow the rules that win over it if it should decide".to_string()
                    };
                    out.push(Finding::NeverDecides {
                        name: r.name.to_string(),
                        winners,
                        span: r.span.into(),
                        help,
                    });
                }
            }
        }
    }
    out
}

/// The findings of `verify --never-errors`: one per condition that can
/// raise, or whose raising was not decided. `file` is how the policy is
/// named in the replay command.
pub fn error_findings(policy: &Policy, checks: &[super::ErrorCheck], file: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in checks {
        let what = if c.assertion { "assertion" } else { "rule" };
        let (span, effect) = if c.assertion {
            match policy.asserts.get(c.index) {
                Some(a) => (a.span, None),
                None => continue,
            }
        } else {
            match policy.rules.get(c.index) {
                Some(r) => (r.span, Some(&r.effect)),
                None => continue,
            }
        };
        match &c.verdict {
            super::ErrorVerdict::Proved => {}
            super::ErrorVerdict::Refuted { now_ms, error, .. } => {
                let consequence = match effect {
                    Some(e) if e.lowers_requirements() => {
                        "the rule then does not apply (errors fail closed): logins it meant to spare are prompted"
                    }
                    Some(crate::ir::Effect::Deny { .. }) => {
                        "the rule then applies (errors fail closed): those logins are denied"
                    }
                    Some(_) => "the rule then applies (errors fail closed): those logins are prompted",
                    None => "the assertion is then not about that login",
                };
                let now = super::time_text(*now_ms);
                out.push(Finding::MayRaise {
                    what,
                    name: c.name.clone(),
                    error: error.clone(),
                    span: span.into(),
                    help: format!(
                        "{consequence}; the login is the event on the next line: save it as event.json and run `mfapol eval {file} event.json --now {now} --explain`"
                    ),
                });
            }
            super::ErrorVerdict::Unknown(reason) => out.push(Finding::RaiseUnknown {
                what,
                name: c.name.clone(),
                reason: reason.clone(),
                span: span.into(),
            }),
        }
    }
    out
}
