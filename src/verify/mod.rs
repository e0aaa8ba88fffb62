//! `mfapol verify` (SPEC §12) and `mfapol diff --prove` (SPEC §13): proofs
//! over every event the schema allows, or concrete counterexamples.
//!
//! # The procedure
//!
//! 1. Every condition is split into its `and`/`or`/`not` structure over
//!    *atoms*: the comparisons, membership tests, quantifiers and calls
//!    under it. Equal atoms (same text after checking) are one atom.
//! 2. [`scan`] records every event field an atom reads (a *variable*) and
//!    every way it is read (a *use*). [`complete`] decides, by an explicit
//!    allow-list of (value kind, use, constant kind), whether the
//!    variable's [`candidates`] stand for every value the field can hold.
//! 3. Each atom's outcome (true, false, or a raised run-time error) on each
//!    combination of its variables' candidates is computed by the
//!    interpreter itself ([`crate::eval::condition`]), so the encoding has
//!    exactly the interpreter's semantics for null, absent values and
//!    errors. The connectives, the fail-closed rule semantics, "strongest
//!    effect wins" and the first deciding rule are encoded as clauses
//!    ([`engine`]), and a SAT solver (varisat) searches for an event that
//!    violates what is asked ([`search`]).
//!
//! # Soundness
//!
//! An atom over a variable the allow-list does not accept is left
//! unconstrained, which can only add behaviours: so "no violating
//! assignment" still proves the claim. A satisfying assignment is turned
//! into a concrete event and run through the interpreter; only a confirmed
//! violation is reported. When an unconstrained atom made the assignment
//! spurious, the search learns the atom's real outcome on those candidates
//! and goes on, and a final "no assignment" is then `unknown`, never
//! `proved`.
//!
//! Assumptions, stated in the output's docs: the fields Auth0 types (all
//! but metadata and `dynamic` values) hold values of their type or are
//! absent; metadata may hold any JSON. `now` is fixed at
//! [`FIXED_NOW_MS`] when no absolute time is compared (every comparison
//! is then relative to `now`, so one `now` stands for all); otherwise the
//! atoms that read `now` are left unconstrained. Events are within the
//! interpreter's step budget.

mod atoms;
mod candidates;
mod cnf;
mod complete;
mod engine;
mod finding;
mod layout;
mod scan;
mod search;

pub use finding::{error_findings, findings, Finding};

use crate::eval::strength::{self, Movement};
use crate::eval::{self, Decision, DecisionKind, Truth};
use crate::ir::{AssertMode, Assertion, Effect, Policy};
use engine::Engine;
use search::Found;
use serde_json::Value as Json;
use varisat::Lit;

pub use candidates::NOW_MS as FIXED_NOW_MS;

/// What `verify` and `diff --prove` assume, in words (printed with results).
pub const ASSUMPTIONS: [&str; 4] = [
    "fields Auth0 types hold a value of their type or are absent",
    "metadata and dynamic values may hold any JSON",
    "one `now` for the whole login (fixed when the policy compares times only relative to `now`)",
    "events stay within the interpreter's step budget",
];

/// A time as event text (RFC 3339; a signed year beyond 0000–9999).
pub fn time_text(ms: i64) -> String {
    candidates::time_text(ms)
}

/// What `verify` found for one policy.
#[derive(Debug)]
pub struct Report {
    /// One result per assertion, in source order.
    pub assertions: Vec<Verdict>,
    /// Rules that can never apply or never decide.
    pub warnings: Vec<RuleWarning>,
}

/// The result for one claim.
#[derive(Debug)]
pub enum Verdict {
    /// Holds for every event.
    Proved,
    /// A confirmed counterexample.
    Refuted(Box<Counterexample>),
    /// Could not be decided, with the reason.
    Unknown(String),
}

impl Verdict {
    /// `proved`, `refuted` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Proved => "proved",
            Verdict::Refuted(_) => "refuted",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

/// An event (and `now`) on which the interpreter's decision violates an
/// assertion.
#[derive(Debug)]
pub struct Counterexample {
    /// The event, with only the fields that matter.
    pub event: Json,
    /// The evaluation time.
    pub now_ms: i64,
    /// What the interpreter decided on it.
    pub decision: Decision,
}

/// A rule that cannot matter.
#[derive(Debug, PartialEq, Eq)]
pub enum RuleWarning {
    /// No event makes the rule apply.
    NeverApplies {
        /// Index into `policy.rules`.
        rule: usize,
    },
    /// Whenever the rule applies, a stronger or earlier rule decides.
    NeverDecides {
        /// Index into `policy.rules`.
        rule: usize,
        /// Rules that apply whenever this one does and outrank it (at most
        /// [`MAX_WINNERS`], the earliest); when no single rule does
        /// (`together`), some of the rules that outrank it on one login, as
        /// examples.
        winners: Vec<usize>,
        /// Whether no single rule always wins: several do, together.
        together: bool,
    },
}

/// At most this many winning rules are named for a shadowed rule.
pub const MAX_WINNERS: usize = 3;

/// Verifies every assertion of a checked policy and looks for rules that
/// cannot matter.
pub fn verify(policy: &Policy) -> Report {
    match Engine::build(&[policy]) {
        Ok(mut engine) => {
            let warnings = rule_warnings(&mut engine);
            let assertions = (0..policy.asserts.len())
                .map(|i| assertion(&mut engine, i))
                .collect();
            Report {
                assertions,
                warnings,
            }
        }
        Err(why) => Report {
            assertions: policy
                .asserts
                .iter()
                .map(|_| Verdict::Unknown(why.clone()))
                .collect(),
            warnings: Vec::new(),
        },
    }
}

/// Whether a decision violates an assertion (SPEC §12, v3): `exactly`
/// compares the kind and what the assertion names (provider, factors,
/// steps, `remember_browser`); `at least` accepts that or stronger by §9's
/// strength; `never require mfa` is violated by any MFA prompt.
pub fn violates(a: &Assertion, got: &Decision) -> bool {
    violates_effect(a, (got.kind, got.effect.as_ref()))
}

fn violates_effect(a: &Assertion, got: (DecisionKind, Option<&Effect>)) -> bool {
    let want = (DecisionKind::of(&a.effect), Some(&a.effect));
    match a.mode {
        AssertMode::Exactly => !strength::matches(want, got),
        AssertMode::AtLeast => !strength::at_least(want, got),
        AssertMode::Never => strength::forbidden_by_never(want, got),
    }
}

fn assertion(engine: &mut Engine<'_>, index: usize) -> Verdict {
    let Some(policy) = engine.policies.first().copied() else {
        return Verdict::Unknown("internal error: no policy".into());
    };
    let (Some(a), Some(cond)) = (
        policy.asserts.get(index),
        engine
            .sides
            .first()
            .and_then(|s| s.asserts.get(index))
            .copied(),
    ) else {
        return Verdict::Unknown("internal error: the assertion is missing".into());
    };
    let bad = bad_decisions(engine, 0, &|k, e| violates_effect(a, (k, e)));
    let goal = engine.cnf.and(&[cond.t, bad]);
    let confirm = |ev: &Json| -> Option<Decision> {
        if eval::condition(policy, &a.when, ev, FIXED_NOW_MS) != Truth::True {
            return None;
        }
        let d = eval::evaluate(policy, ev, FIXED_NOW_MS);
        violates(a, &d).then_some(d)
    };
    match engine.search(&[goal], &confirm) {
        Found::Nothing => Verdict::Proved,
        Found::Unknown(why) => Verdict::Unknown(why),
        Found::Event(event, decision) => Verdict::Refuted(Box::new(Counterexample {
            event,
            now_ms: FIXED_NOW_MS,
            decision,
        })),
    }
}

/// The literal "side `side` decides something `bad` accepts".
fn bad_decisions(
    engine: &mut Engine<'_>,
    side: usize,
    bad: &dyn Fn(DecisionKind, Option<&Effect>) -> bool,
) -> Lit {
    let classes = match engine.sides.get(side) {
        Some(s) => s.decisions(&mut engine.cnf),
        None => Vec::new(),
    };
    let lits: Vec<Lit> = classes
        .iter()
        .filter(|(k, e, _)| bad(*k, e.as_ref()))
        .map(|(_, _, l)| *l)
        .collect();
    engine.cnf.or(&lits)
}

fn rule_warnings(engine: &mut Engine<'_>) -> Vec<RuleWarning> {
    let Some(side) = engine.sides.first() else {
        return Vec::new();
    };
    let policy = side.policy;
    let apply = side.apply.clone();
    let deciding = side.deciding.clone();
    let mut solver = engine.cnf.solver();
    let mut out = Vec::new();
    // Solves under assumptions; the model's rule applications and choices
    // when satisfiable.
    let mut sat = |lits: &[Lit]| -> Option<Option<(Vec<bool>, Json)>> {
        solver.assume(lits);
        match solver.solve() {
            Ok(true) => {
                let model = solver.model().unwrap_or_default();
                let truth = |l: Lit| model.get(l.var().index()).is_some_and(|m| *m == l);
                let ev = engine.event(&engine.choices(&truth));
                Some(Some((apply.iter().map(|l| truth(*l)).collect(), ev)))
            }
            Ok(false) => Some(None),
            Err(_) => None,
        }
    };
    let strengths: Vec<u8> = policy.rules.iter().map(|r| r.effect.strength()).collect();
    for (i, &apply_i) in apply.iter().enumerate() {
        // One solve for a rule that can decide (the common case).
        let Some(&dec) = deciding.get(i) else {
            continue;
        };
        if sat(&[dec]) != Some(None) {
            continue;
        }
        let Some(first) = sat(&[apply_i]) else {
            continue;
        };
        let Some((first, witness)) = first else {
            out.push(RuleWarning::NeverApplies { rule: i });
            continue;
        };
        // A shadowed rule is only reported with a login that shows it: one
        // where the interpreter applies it and another rule decides.
        let d = eval::evaluate(policy, &witness, FIXED_NOW_MS);
        if !d.applied.contains(&i) || d.deciding == Some(i) {
            continue;
        }
        let s = strengths.get(i).copied().unwrap_or(0);
        let outranks = |j: usize| {
            let t = strengths.get(j).copied().unwrap_or(0);
            t > s || (t == s && j < i)
        };
        // A rule that always wins over this one applies in every model
        // of it: start from the rules applying in one model, drop those
        // a model without them shows, and confirm the rest.
        let mut candidates: Vec<usize> = (0..first.len())
            .filter(|&j| outranks(j) && first.get(j).copied().unwrap_or(false))
            .collect();
        let seen = candidates.clone();
        let mut winners = Vec::new();
        // Earliest first; a few winners are enough to name.
        candidates.reverse();
        while let Some(j) = candidates.pop() {
            if winners.len() >= MAX_WINNERS {
                break;
            }
            let Some(&aj) = apply.get(j) else {
                continue;
            };
            match sat(&[apply_i, !aj]) {
                Some(None) => winners.push(j),
                Some(Some((model, _))) => {
                    candidates.retain(|k| model.get(*k).copied().unwrap_or(false));
                }
                None => {}
            }
        }
        winners.sort_unstable();
        let together = winners.is_empty();
        if together {
            // No single rule: name the ones seen winning, as examples.
            winners = seen;
        }
        out.push(RuleWarning::NeverDecides {
            rule: i,
            winners,
            together,
        });
    }
    out
}

// ---- never errors (SPEC §13) ----

/// Whether a rule's or an assertion's condition can raise a run-time error.
#[derive(Debug)]
pub struct ErrorCheck {
    /// Index into `policy.rules`, or into `policy.asserts` for an assertion.
    pub index: usize,
    /// The rule's or assertion's name.
    pub name: String,
    /// 1-based line.
    pub line: u32,
    /// Whether it is an assertion.
    pub assertion: bool,
    /// `proved` (never raises), `refuted` (an event on which it raises) or
    /// `unknown`.
    pub verdict: ErrorVerdict,
}

/// The result of one never-errors check.
#[derive(Debug)]
pub enum ErrorVerdict {
    /// No event makes it raise.
    Proved,
    /// It raises on this event (with `now`), with this message.
    Refuted {
        /// The event.
        event: Json,
        /// The evaluation time.
        now_ms: i64,
        /// The run-time error, in words.
        error: String,
    },
    /// Not decided, with the reason.
    Unknown(String),
}

impl ErrorVerdict {
    /// `proved`, `refuted` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorVerdict::Proved => "proved",
            ErrorVerdict::Refuted { .. } => "refuted",
            ErrorVerdict::Unknown(_) => "unknown",
        }
    }
}

/// Proves, per rule and assertion, that its condition raises on no event,
/// or finds an event on which it does (SPEC §13 `verify --never-errors`).
pub fn never_errors(policy: &Policy) -> Vec<ErrorCheck> {
    let mut items: Vec<(String, u32, bool, Vec<&crate::ir::Expr>)> = Vec::new();
    for r in &policy.rules {
        let mut conds = vec![&r.when];
        conds.extend(r.unless.as_ref());
        items.push((r.name.to_string(), r.line, false, conds));
    }
    for a in &policy.asserts {
        items.push((a.name.to_string(), a.line, true, vec![&a.when]));
    }
    let engine = Engine::build(&[policy]);
    let mut solver = engine.as_ref().ok().map(|e| e.cnf.solver());
    let mut out = Vec::new();
    for (i, (name, line, assertion, conds)) in items.into_iter().enumerate() {
        let verdict = match &engine {
            Err(why) => ErrorVerdict::Unknown(why.clone()),
            Ok(engine) => {
                let goal = engine.sides.first().and_then(|s| {
                    if assertion {
                        s.asserts
                            .get(i.saturating_sub(policy.rules.len()))
                            .map(|t| vec![t.e])
                    } else {
                        s.raises.get(i).map(|(w, u)| {
                            let mut v = vec![*w];
                            v.extend(*u);
                            v
                        })
                    }
                });
                match (goal, solver.as_mut()) {
                    (Some(raising), Some(solver)) => {
                        raises(engine, solver, policy, &raising, &conds)
                    }
                    _ => ErrorVerdict::Unknown("internal error: a rule is missing".into()),
                }
            }
        };
        out.push(ErrorCheck {
            index: if assertion {
                i.saturating_sub(policy.rules.len())
            } else {
                i
            },
            name,
            line,
            assertion,
            verdict,
        });
    }
    out
}

fn raises(
    engine: &Engine<'_>,
    solver: &mut varisat::Solver<'_>,
    policy: &Policy,
    raising: &[Lit],
    conds: &[&crate::ir::Expr],
) -> ErrorVerdict {
    // One solve per condition (a rule's `when` and `unless`).
    let mut unknown = None;
    for (&lit, cond) in raising.iter().zip(conds) {
        let confirm = |ev: &Json| -> Option<String> {
            match eval::condition_error(policy, cond, ev, FIXED_NOW_MS) {
                (Truth::Unknown, Some(e)) => Some(e),
                _ => None,
            }
        };
        match engine.search_in(solver, &[lit], &confirm) {
            Found::Nothing => {}
            Found::Unknown(why) => unknown = Some(why),
            Found::Event(event, error) => {
                return ErrorVerdict::Refuted {
                    event,
                    now_ms: FIXED_NOW_MS,
                    error,
                }
            }
        }
    }
    match unknown {
        Some(why) => ErrorVerdict::Unknown(why),
        None => ErrorVerdict::Proved,
    }
}

// ---- proofs about a change (SPEC §13) ----

/// What `diff --prove` looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// A login whose decision is weaker under the new policy (§9).
    Weaker,
    /// A login whose decision changes at all.
    Changed,
}

/// The result of `diff --prove`.
#[derive(Debug)]
pub enum DiffVerdict {
    /// No login is weaker (or changed).
    Proved,
    /// A login that is, with both decisions.
    Refuted(Box<DiffCounterexample>),
    /// Not decided, with the reason.
    Unknown(String),
}

/// An event on which the two policies decide as `diff --prove` forbids.
#[derive(Debug)]
pub struct DiffCounterexample {
    /// The event, with only the fields that matter.
    pub event: Json,
    /// The evaluation time.
    pub now_ms: i64,
    /// The old policy's decision.
    pub old: Decision,
    /// The new policy's decision.
    pub new: Decision,
}

/// Whether a move from one decision to another is what `fail_on` forbids.
pub fn fails(fail_on: FailOn, m: Movement) -> bool {
    match fail_on {
        FailOn::Weaker => m == Movement::Weaker,
        FailOn::Changed => m != Movement::Same,
    }
}

/// Proves that no login gets a weaker (or, with [`FailOn::Changed`], any
/// different) decision under `new` than under `old`, or finds one.
pub fn prove_diff(old: &Policy, new: &Policy, fail_on: FailOn) -> DiffVerdict {
    let mut engine = match Engine::build(&[old, new]) {
        Ok(e) => e,
        Err(why) => return DiffVerdict::Unknown(why),
    };
    let (olds, news) = {
        let cnf = &mut engine.cnf;
        let a = engine.sides.first().map(|s| s.decisions(cnf));
        let b = engine.sides.get(1).map(|s| s.decisions(cnf));
        match (a, b) {
            (Some(a), Some(b)) => (a, b),
            _ => return DiffVerdict::Unknown("internal error: a policy is missing".into()),
        }
    };
    let mut pairs = Vec::new();
    for (ok, oe, ol) in &olds {
        for (nk, ne, nl) in &news {
            if fails(
                fail_on,
                strength::between((*ok, oe.as_ref()), (*nk, ne.as_ref())),
            ) {
                pairs.push(engine.cnf.and(&[*ol, *nl]));
            }
        }
    }
    let goal = engine.cnf.or(&pairs);
    let confirm = |ev: &Json| -> Option<(Decision, Decision)> {
        let a = eval::evaluate(old, ev, FIXED_NOW_MS);
        let b = eval::evaluate(new, ev, FIXED_NOW_MS);
        fails(fail_on, strength::movement(&a, &b)).then_some((a, b))
    };
    match engine.search(&[goal], &confirm) {
        Found::Nothing => DiffVerdict::Proved,
        Found::Unknown(why) => DiffVerdict::Unknown(why),
        Found::Event(event, (old, new)) => DiffVerdict::Refuted(Box::new(DiffCounterexample {
            event,
            now_ms: FIXED_NOW_MS,
            old,
            new,
        })),
    }
}

// ---- overlaps (SPEC §15) ----

/// For a rule and rules that may apply together with it, the ones that do
/// on some login, each with a login on which the interpreter applies both
/// (only these rules are encoded, so the search stays small). A pair the
/// search cannot decide is left out: a warning built on this is only ever
/// given with a login that shows it.
pub fn overlaps(policy: &Policy, rule: usize, others: &[usize]) -> Vec<(usize, Json)> {
    let Some(first) = policy.rules.get(rule) else {
        return Vec::new();
    };
    let mut rules = vec![first.clone()];
    rules.extend(others.iter().filter_map(|i| policy.rules.get(*i).cloned()));
    let sub = Policy {
        file: policy.file.clone(),
        rules,
        default: None,
        lets: policy.lets.clone(),
        max_locals: policy.max_locals,
        asserts: Vec::new(),
    };
    let Ok(engine) = Engine::build(&[&sub]) else {
        return Vec::new();
    };
    let Some(side) = engine.sides.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut solver = engine.cnf.solver();
    for (k, &other) in others.iter().enumerate() {
        let j = k.saturating_add(1);
        let (Some(&a), Some(&b)) = (side.apply.first(), side.apply.get(j)) else {
            continue;
        };
        let confirm = |ev: &Json| -> Option<()> {
            let d = eval::evaluate(&sub, ev, FIXED_NOW_MS);
            (d.applied.contains(&0) && d.applied.contains(&j)).then_some(())
        };
        if let Found::Event(ev, ()) = engine.search_in(&mut solver, &[a, b], &confirm) {
            out.push((other, ev));
        }
    }
    out
}
