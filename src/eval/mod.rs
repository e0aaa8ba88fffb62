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
pub mod strength;
mod trace;
mod value;

pub use decision::{Decision, DecisionKind, RuntimeError};
pub use event::{parse_event, EventError, MAX_JSON_DEPTH};
pub use project::Projection;
pub use trace::{Check, Explanation, RuleTrace, LOCAL_KEY, MAX_CHECKS_PER_RULE, SPAN_KEY};
pub(crate) use value::{
    equal as value_equal, from_const as const_value, from_json as value_from_json,
    order as value_order,
};
pub use value::{parse_ip, parse_time, Value};

use crate::ir::{Effect, Policy};
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

/// Whether the rules of this strength lower requirements
/// ([`Effect::lowers_requirements`]: `skip`, `exempt`), so that they apply
/// only on conditions without error.
fn lowers_at(strength: u8) -> bool {
    strength == Effect::Skip.strength() || strength == Effect::Exempt.strength()
}

/// For a policy of at most 64 rules, per strength (index = strength) the
/// set of its rules as bits, so each pass visits only its own rules; bit
/// `s` of the last entry says whether strength `s` has any rule.
fn by_strength(policy: &Policy) -> Option<[u64; 5]> {
    if policy.rules.len() > 64 {
        return None;
    }
    let mut masks = [0u64; 5];
    // Rule `i`'s bit, shifted along (no checked shift per rule: at most 64).
    let mut bit = 1u64;
    let mut present = 0u64;
    for rule in &policy.rules {
        let s = rule.effect.strength();
        if let Some(m) = masks.get_mut(usize::from(s)) {
            *m |= bit;
        }
        present |= 1u64.wrapping_shl(u32::from(s));
        bit = bit.wrapping_shl(1);
    }
    // Strength 0 is no strength: its slot carries the strengths present.
    if let Some(m) = masks.first_mut() {
        *m = present;
    }
    Some(masks)
}

/// Strongest effect first: the first applying rule of the strongest effect
/// decides, so nothing after it can change the decision. Only the
/// strengths that have rules are visited.
#[inline(always)]
fn first_applying<'a>(cx: &mut Cx<'a, '_>, policy: &'a Policy, masks: &[u64; 5]) -> Option<usize> {
    let mut present = masks.first().copied().unwrap_or(0) & !1;
    while present != 0 {
        // The strongest strength left (1 to 4).
        let strength = 63u32.wrapping_sub(present.leading_zeros());
        present &= !1u64.wrapping_shl(strength);
        let strength = u8::try_from(strength).unwrap_or(0);
        let strict = lowers_at(strength);
        let mut m = masks.get(usize::from(strength)).copied().unwrap_or(0);
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            m &= m.wrapping_sub(1);
            if policy
                .rules
                .get(i)
                .is_some_and(|r| cx.applies_as(r, strict))
            {
                return Some(i);
            }
        }
    }
    None
}

/// Whether no rule is stronger than one before it (most policies: all
/// `require`, or `deny` rules first). Then source order is strength order,
/// and rules can be tried in turn with no per-strength sets.
#[inline(always)]
fn in_strength_order(policy: &Policy) -> bool {
    let mut prev = u8::MAX;
    for rule in &policy.rules {
        let s = rule.effect.strength();
        if s > prev {
            return false;
        }
        prev = s;
    }
    true
}

/// [`first_applying`] for a policy [`in_strength_order`]: the same rules
/// tried in the same order.
#[inline(always)]
fn first_applying_in_order<'a>(cx: &mut Cx<'a, '_>, policy: &'a Policy) -> Option<usize> {
    for (i, rule) in policy.rules.iter().enumerate() {
        if cx.applies_as(rule, rule.effect.lowers_requirements()) {
            return Some(i);
        }
    }
    None
}

/// [`first_applying`] for a policy of more than 64 rules.
fn first_applying_slow<'a>(cx: &mut Cx<'a, '_>, policy: &'a Policy) -> Option<usize> {
    for strength in Effect::STRENGTHS {
        let strict = lowers_at(strength);
        for (i, rule) in policy.rules.iter().enumerate() {
            if rule.effect.strength() == strength && cx.applies_as(rule, strict) {
                return Some(i);
            }
        }
    }
    None
}

/// The truth of one condition of `policy` (a rule's `when` or `unless`, an
/// assertion's condition, or any sub-condition of them) on an event, with
/// the interpreter's own semantics: `mfapol verify` uses it to learn what
/// each atomic comparison does on a candidate event, and to confirm a
/// counterexample.
pub fn condition(policy: &Policy, cond: &crate::ir::Expr, event: &Json, now_ms: i64) -> Truth {
    Cx::new(policy, event, now_ms, None, None).condition(cond)
}

/// Evaluates one condition like [`condition`] and also returns the first
/// run-time error it raised, in words (`verify --never-errors`).
pub fn condition_error(
    policy: &Policy,
    cond: &crate::ir::Expr,
    event: &Json,
    now_ms: i64,
) -> (Truth, Option<String>) {
    let mut errors = Vec::new();
    let t = Cx::new(policy, event, now_ms, Some(&mut errors), None).condition(cond);
    (t, errors.into_iter().next().map(|e| e.message))
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
    let best = if in_strength_order(policy) {
        first_applying_in_order(&mut cx, policy)
    } else {
        match by_strength(policy) {
            Some(masks) => first_applying(&mut cx, policy, &masks),
            None => first_applying_slow(&mut cx, policy),
        }
    };
    let kind = match best
        .and_then(|i| policy.rules.get(i))
        .map(|r| &r.effect)
        .or(policy.default.as_ref())
    {
        Some(e) => DecisionKind::of(e),
        None => DecisionKind::None,
    };
    let errors = cx.error_count;
    // Most decisions make no per-event state: then the context holds only
    // references and counters, and dropping it (an out-of-line call) can
    // be skipped.
    if !cx.has_scratch() {
        std::mem::forget(cx);
    }
    Outcome {
        kind,
        deciding: best,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{Challenge, Effect, FactorStep, StepKind};

    #[test]
    fn a_strength_tells_whether_its_rules_lower_requirements() {
        let effects = [
            Effect::Deny { reason: None },
            Effect::Exempt,
            Effect::Skip,
            Effect::Require(Challenge::Provider {
                provider: "any".into(),
                remember_browser: false,
            }),
            Effect::Require(Challenge::Factors(vec!["otp".into()])),
            Effect::Require(Challenge::Steps(vec![FactorStep {
                kind: StepKind::Enroll,
                factors: vec!["otp".into()],
            }])),
        ];
        for e in effects {
            assert_eq!(
                super::lowers_at(e.strength()),
                e.lowers_requirements(),
                "{e:?}"
            );
            assert!(Effect::STRENGTHS.contains(&e.strength()), "{e:?}");
        }
    }
}
