//! The interpreter: SPEC §6–§7 over a checked [`ir::Policy`] and an event.
//!
//! Conditions evaluate left to right with short-circuit `and`/`or` and
//! quantifiers that stop at the first deciding element, as the JavaScript
//! they replace would. A run-time error *raises*: it is recorded and stops
//! the whole condition (the condition's truth is [`Truth::Unknown`]), like an
//! exception. At the rule, a raised condition fails closed (SPEC §7): a
//! `require`/`deny` rule whose `when` raises applies, and a raised `unless`
//! does not exempt it; a `skip` rule whose `when` or `unless` raises does
//! not apply. So an error can only make a decision stronger.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

mod decision;
mod event;
mod interp;
mod message;
mod project;
mod trace;
mod value;

pub use decision::{Decision, DecisionKind, RuntimeError};
pub use event::{parse_event, EventError, MAX_JSON_DEPTH};
pub use project::Projection;
pub use trace::{Check, Explanation, RuleTrace, LOCAL_KEY, MAX_CHECKS_PER_RULE, SPAN_KEY};
pub use value::{parse_time, Value};

use crate::ir::Policy;
use interp::Cx;
pub use interp::MAX_STEPS;
use serde_json::Value as Json;

/// A three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// Definitely true.
    True,
    /// Definitely false (null counts as false).
    False,
    /// A run-time error was raised; the condition has no value.
    Unknown,
}

/// Evaluates a policy on an event. `now_ms` is the evaluation time in
/// milliseconds since the Unix epoch; the library never reads the clock.
pub fn evaluate(policy: &Policy, event: &Json, now_ms: i64) -> Decision {
    run(policy, event, now_ms, None)
}

/// Evaluates like [`evaluate`], and also records for every rule whether it
/// applied, the truth of its conditions, and each comparison with the
/// event values it read (`mfapol eval --explain`).
pub fn explain(policy: &Policy, event: &Json, now_ms: i64) -> Explanation {
    let mut rules = Vec::with_capacity(policy.rules.len());
    let decision = run(policy, event, now_ms, Some(&mut rules));
    Explanation { decision, rules }
}

fn run(
    policy: &Policy,
    event: &Json,
    now_ms: i64,
    mut traces: Option<&mut Vec<RuleTrace>>,
) -> Decision {
    let mut errors = Vec::new();
    let mut applied = Vec::new();
    let mut best: Option<usize> = None;
    let mut checks = Vec::new();
    {
        let mut cx = Cx::new(
            policy,
            event,
            now_ms,
            Some(&mut errors),
            traces.is_some().then_some(&mut checks),
        );
        for (i, rule) in policy.rules.iter().enumerate() {
            cx.start_rule(&rule.name);
            let (applies, when, unless) = cx.applies(rule);
            if let (Some(t), Some(checks)) = (traces.as_deref_mut(), cx.trace.as_deref_mut()) {
                t.push(RuleTrace {
                    index: i,
                    applied: applies,
                    when,
                    unless,
                    checks: std::mem::take(checks),
                });
            }
            if applies {
                applied.push(i);
                if stronger(policy, best, i) {
                    best = Some(i);
                }
            }
        }
    }
    Decision::new(policy, best, applied, errors)
}

/// Whether rule `i` beats the best so far: strictly stronger, so among
/// equals the first in source order stays the deciding rule.
fn stronger(policy: &Policy, best: Option<usize>, i: usize) -> bool {
    let strength = |j: usize| policy.rules.get(j).map(|r| r.effect.strength());
    best.is_none_or(|b| strength(i) > strength(b))
}

/// The truth of one condition of `policy` (a rule's `when` or `unless`, an
/// assertion's condition, or any sub-condition of them) on an event, with
/// the interpreter's own semantics: `mfapol verify` uses it to learn what
/// each atomic comparison does on a candidate event, and to confirm a
/// counterexample.
pub fn condition(policy: &Policy, cond: &crate::ir::Expr, event: &Json, now_ms: i64) -> Truth {
    Cx::new(policy, event, now_ms, None, None).condition(cond)
}

/// The decision without its report: what an identity provider needs per
/// login. Same kind and deciding rule as [`evaluate`]; rules that cannot
/// change the decision are not evaluated, so `errors` counts only the
/// run-time errors of the rules that were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The effect.
    pub kind: DecisionKind,
    /// Index of the deciding rule; `None` for the default or no opinion.
    pub deciding: Option<usize>,
    /// How many run-time errors occurred in the rules evaluated.
    pub errors: usize,
}

/// The allocation-free fast path of [`evaluate`]: rules are tried strongest
/// effect first and evaluation stops at the first that applies; run-time
/// errors are counted and their messages never built; quantifier variables
/// live on the stack.
pub fn decide(policy: &Policy, event: &Json, now_ms: i64) -> Outcome {
    let mut cx = Cx::new(policy, event, now_ms, None, None);
    // Strongest effect first: the first applying rule of the strongest
    // effect decides, so nothing after it can change the decision.
    let mut best = None;
    'strength: for strength in crate::ir::Effect::STRENGTHS {
        for (i, rule) in policy.rules.iter().enumerate() {
            if rule.effect.strength() == strength && cx.applies(rule).0 {
                best = Some(i);
                break 'strength;
            }
        }
    }
    let kind = match best
        .and_then(|i| policy.rules.get(i))
        .map(|r| &r.effect)
        .or(policy.default.as_ref())
    {
        Some(e) => DecisionKind::of(e),
        None => DecisionKind::None,
    };
    Outcome {
        kind,
        deciding: best,
        errors: cx.error_count,
    }
}
