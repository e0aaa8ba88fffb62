//! The outcome of evaluating a policy on one event.

use crate::ir::{Challenge, Effect, Policy};
use crate::source::Span;
use serde::Serialize;
use std::sync::Arc;

/// The decision's effect (SPEC §8 `decision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// The policy has no opinion: no rule applied and there is no default.
    None,
    /// Explicitly no MFA.
    SkipMfa,
    /// Challenge with MFA.
    RequireMfa,
    /// Enroll in an MFA factor first (as strong as `RequireMfa`).
    EnrollMfa,
    /// Refuse the login.
    Deny,
    /// Not a policy's decision: an existing Action threw or timed out
    /// (`diff --from-action`, SPEC §11); Auth0 fails the login.
    Error,
}

impl DecisionKind {
    /// How the decision is written in JSON and in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::None => "none",
            DecisionKind::SkipMfa => "skip_mfa",
            DecisionKind::RequireMfa => "require_mfa",
            DecisionKind::EnrollMfa => "enroll_mfa",
            DecisionKind::Deny => "deny",
            DecisionKind::Error => "error",
        }
    }

    /// The kind a rule with this effect decides.
    pub fn of(effect: &Effect) -> Self {
        match effect {
            Effect::Deny { .. } => DecisionKind::Deny,
            Effect::Require(c) if c.enrolls_first() => DecisionKind::EnrollMfa,
            Effect::Require(_) => DecisionKind::RequireMfa,
            Effect::Skip | Effect::Exempt => DecisionKind::SkipMfa,
        }
    }
}

/// A run-time error met while evaluating a rule (SPEC §8 `errors`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuntimeError {
    /// The rule being evaluated.
    pub rule: Arc<str>,
    /// What went wrong.
    pub message: String,
    /// The event path involved, when there is one.
    pub path: Option<Arc<str>>,
    /// Where in the policy.
    #[serde(skip)]
    pub span: Span,
}

/// The decision for one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The effect.
    pub kind: DecisionKind,
    /// Index of the deciding rule in the policy; `None` for the default or no opinion.
    pub deciding: Option<usize>,
    /// Whether the `default` decided.
    pub by_default: bool,
    /// The effect that decided (provider, factors, reason), if any.
    pub effect: Option<Effect>,
    /// Indexes of every applying rule, in source order.
    pub applied: Vec<usize>,
    /// Every run-time error.
    pub errors: Vec<RuntimeError>,
}

impl Decision {
    pub(super) fn new(
        policy: &Policy,
        best: Option<usize>,
        applied: Vec<usize>,
        errors: Vec<RuntimeError>,
    ) -> Self {
        let (kind, effect, by_default) = match best.and_then(|i| policy.rules.get(i)) {
            Some(rule) => {
                let e = &rule.effect;
                (DecisionKind::of(e), Some(e.clone()), false)
            }
            None => match &policy.default {
                Some(e) => (DecisionKind::of(e), Some(e.clone()), true),
                None => (DecisionKind::None, None, false),
            },
        };
        Decision {
            kind,
            deciding: best,
            by_default,
            effect,
            applied,
            errors,
        }
    }

    /// The deciding rule's name: a rule, `"default"`, or `None`.
    pub fn rule_name<'p>(&self, policy: &'p Policy) -> Option<&'p str> {
        match self.deciding {
            Some(i) => policy.rules.get(i).map(|r| r.name.as_ref()),
            None if self.by_default => Some("default"),
            None => None,
        }
    }

    /// The SPEC §8 JSON object.
    pub fn to_json(&self, policy: &Policy) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let mut m = Map::new();
        m.insert("decision".into(), json!(self.kind.as_str()));
        m.insert("rule".into(), json!(self.rule_name(policy)));
        let mut factors = Value::Null;
        let mut steps = Value::Null;
        let mut reason = Value::Null;
        match &self.effect {
            Some(Effect::Require(Challenge::Provider {
                provider,
                remember_browser,
            })) => {
                m.insert("provider".into(), json!(provider.as_ref()));
                m.insert("remember_browser".into(), json!(remember_browser));
            }
            Some(Effect::Require(Challenge::Factors(fs))) => {
                factors = json!(fs.iter().map(|f| f.as_ref()).collect::<Vec<_>>());
                m.insert("remember_browser".into(), json!(false));
            }
            Some(Effect::Require(c @ Challenge::Steps(ss))) => {
                if let Some(fs) = c.first_factors() {
                    factors = json!(fs.iter().map(|f| f.as_ref()).collect::<Vec<_>>());
                }
                // SPEC §8: `steps` only for a sequence of 2+ steps; a lone
                // `enroll` is `null`, as a lone `require` is.
                steps = if ss.len() < 2 {
                    Value::Null
                } else {
                    Value::Array(
                    ss.iter()
                        .map(|s| {
                            json!({
                                "kind": s.kind.as_str(),
                                "factors": s.factors.iter().map(|f| f.as_ref()).collect::<Vec<_>>(),
                            })
                        })
                        .collect(),
                    )
                };
                m.insert("remember_browser".into(), json!(false));
            }
            Some(Effect::Deny { reason: r }) => reason = json!(r.as_deref()),
            _ => {}
        }
        m.insert("factors".into(), factors);
        m.insert("steps".into(), steps);
        m.insert("reason".into(), reason);
        let applied: Vec<&str> = self
            .applied
            .iter()
            .filter_map(|i| policy.rules.get(*i).map(|r| r.name.as_ref()))
            .collect();
        m.insert("applied".into(), json!(applied));
        m.insert("errors".into(), json!(self.errors));
        Value::Object(m)
    }
}

impl Decision {
    /// The decision as people read it: the effect with its provider,
    /// factors or reason, the deciding rule with `file:line`, the other
    /// applying rules and the run-time errors (`mfapol eval`'s output).
    pub fn summary(&self, policy: &Policy) -> String {
        summary(policy, self)
    }
}

fn rule_ref(policy: &Policy, i: usize) -> String {
    match policy.rules.get(i) {
        Some(r) => format!("{} ({}:{})", r.name, policy.file, r.line),
        None => String::new(),
    }
}

/// The decision, its deciding rule with file:line, the other applying rules and errors.
pub fn summary(policy: &Policy, d: &Decision) -> String {
    let mut out = String::new();
    let detail = match &d.effect {
        Some(Effect::Require(Challenge::Provider {
            provider,
            remember_browser,
        })) => format!(
            " (provider {provider}{})",
            if *remember_browser {
                ", remember browser"
            } else {
                ""
            }
        ),
        Some(Effect::Require(Challenge::Factors(fs))) => {
            let fs: Vec<&str> = fs.iter().map(|f| f.as_ref()).collect();
            format!(" (factors {})", fs.join(", "))
        }
        Some(Effect::Require(Challenge::Steps(ss))) => {
            let steps: Vec<String> = ss
                .iter()
                .map(|s| {
                    let fs: Vec<&str> = s.factors.iter().map(|f| f.as_ref()).collect();
                    format!("{} {}", s.kind.as_str(), fs.join(", "))
                })
                .collect();
            format!(" ({})", steps.join(", then "))
        }
        Some(Effect::Deny { reason: Some(r) }) => format!(" (reason: {r:?})"),
        _ => String::new(),
    };
    out.push_str(&format!("decision: {}{detail}\n", d.kind.as_str()));
    match (d.deciding, d.by_default) {
        (Some(i), _) => out.push_str(&format!("deciding rule: {}\n", rule_ref(policy, i))),
        (None, true) => out.push_str("deciding rule: default (no rule applied)\n"),
        (None, false) => out.push_str("deciding rule: none (no rule applied and no default)\n"),
    }
    let others: Vec<String> = d
        .applied
        .iter()
        .filter(|i| Some(**i) != d.deciding)
        .map(|i| rule_ref(policy, *i))
        .collect();
    if !others.is_empty() {
        out.push_str(&format!("also applied: {}\n", others.join(", ")));
    }
    for e in &d.errors {
        let path = e
            .path
            .as_ref()
            .map(|p| format!(" [{p}]"))
            .unwrap_or_default();
        out.push_str(&format!(
            "runtime error in {}{path}: {}\n",
            e.rule, e.message
        ));
    }
    out
}
