//! The interpreter proper: conditions and values over checked IR and the
//! event JSON. Public entry points are in the parent module.

mod call;
mod lists;
mod path;
mod quick;

use super::message::{describe, describe_item, path_text, prefix_text};
use super::value::{equal, from_const, from_json, order, parse_ip, show_json, Value};
use super::{Check, RuntimeError, Truth, MAX_CHECKS_PER_RULE};
use crate::ir::{self, ArithOp, Expr, ExprKind as K, Func, OrderOp, Policy, Root, Step, StrOp};
use crate::schema::Type;
use serde_json::Value as Json;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::sync::Arc;

/// Where a path leads in the event.
pub(super) enum Reach<'a> {
    /// A present value (possibly JSON `null`).
    Found(&'a Json),
    /// Absent: a missing key, a list too short, or null on the way.
    Absent,
    /// Step `i` meets this non-container where the schema promises one (a
    /// run-time error).
    Misfit(usize, &'a Json),
}

/// Per-event state made on first use (see [`Cx::scratch`]).
#[derive(Default)]
struct Scratch<'a> {
    /// The quantifier variables' current elements, by slot (all null until
    /// the first quantifier).
    locals: SmallVec<[Value<'a>; 4]>,
    /// Each `let`'s value once evaluated (a `let` sees no quantifier
    /// variable, so its value is the same wherever it is used).
    lets: SmallVec<[Option<R<'a>>; 4]>,
}

/// Marker: the value is unknown because of a run-time error (already recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Unknown;

type R<'a> = Result<Value<'a>, Unknown>;

pub(super) struct Cx<'a, 'e> {
    policy: &'a Policy,
    event: &'a Json,
    now: i64,
    /// Quantifier variables and `let` values; most decisions need neither,
    /// so it is made on first use (and costs nothing to make or drop before).
    scratch: Option<Scratch<'a>>,
    /// Evaluation steps taken for this event (see [`MAX_STEPS`]).
    steps: u64,
    /// Where run-time errors go; `None` on the fast path, which only counts them.
    errors: Option<&'e mut Vec<RuntimeError>>,
    pub(super) error_count: usize,
    /// The rule being evaluated, for error records (borrowed, so that
    /// the context has nothing to drop but its scratch).
    rule: Option<&'a Arc<str>>,
    /// Where comparisons are recorded when explaining; `None` on the fast path.
    pub(super) trace: Option<&'e mut Vec<Check>>,
}

/// The most evaluation steps (conditions, values and list elements visited)
/// one event may take. A policy that checks clean stays far below it (see
/// [`crate::check::MAX_RULE_COST`]); an event that would take more raises a
/// run-time error, which fails closed, so a login is decided in bounded time.
pub const MAX_STEPS: u64 = 4_000_000;

impl<'a, 'e> Cx<'a, 'e> {
    #[inline(always)]
    pub(super) fn new(
        policy: &'a Policy,
        event: &'a Json,
        now: i64,
        errors: Option<&'e mut Vec<RuntimeError>>,
        trace: Option<&'e mut Vec<Check>>,
    ) -> Self {
        Cx {
            policy,
            event,
            now,
            scratch: None,
            steps: 0,
            errors,
            error_count: 0,
            rule: None,
            trace,
        }
    }

    /// A quantifier variable's slot: null until a quantifier set it.
    fn local(&self, slot: u16) -> Option<&Value<'a>> {
        const NULL: &Value<'static> = &Value::Null;
        let i = usize::from(slot);
        match self.scratch.as_ref().and_then(|s| s.locals.get(i)) {
            Some(v) => Some(v),
            None if i < self.policy.max_locals => Some(NULL),
            None => None,
        }
    }

    /// Whether a `let` or a quantifier made per-event state, the only part
    /// of the context with anything to drop.
    #[inline(always)]
    pub(super) fn has_scratch(&self) -> bool {
        self.scratch.is_some()
    }

    /// Starts a rule. When errors and checks are recorded per rule, `let`
    /// values are evaluated again for each rule, so each rule's report
    /// shows what its `let`s read and raised.
    pub(super) fn start_rule(&mut self, name: &'a Arc<str>) {
        self.rule = Some(name);
        if self.errors.is_some() || self.trace.is_some() {
            if let Some(s) = &mut self.scratch {
                s.lets.iter_mut().for_each(|v| *v = None);
            }
        }
    }
}

impl<'a> Cx<'a, '_> {
    /// Whether a rule applies, with the truth of its `when` and `unless`.
    #[inline(always)]
    pub(super) fn applies(&mut self, rule: &'a ir::Rule) -> (bool, Truth, Option<Truth>) {
        self.applies_with(rule, rule.effect.lowers_requirements())
    }

    /// Whether a rule applies; `strict` is whether its effect lowers
    /// requirements ([`ir::Effect::lowers_requirements`]).
    #[inline(always)]
    pub(super) fn applies_as(&mut self, rule: &'a ir::Rule, strict: bool) -> bool {
        self.applies_with(rule, strict).0
    }

    #[inline(always)]
    fn applies_with(&mut self, rule: &'a ir::Rule, strict: bool) -> (bool, Truth, Option<Truth>) {
        let when = self.truth(&rule.when);
        // Fail closed: a raised `when` applies a require/deny rule, a raised
        // `unless` does not exempt it; a skip rule needs both evaluated
        // without error. `unless` is only evaluated when `when` lets the rule
        // apply, as an `if` would.
        let may_apply = if strict {
            when == Truth::True
        } else {
            when != Truth::False
        };
        if !may_apply {
            return (false, when, None);
        }
        let unless = rule.unless.as_ref().map(|u| self.truth(u));
        let exempt = match unless {
            None => false,
            Some(u) if strict => u != Truth::False,
            Some(u) => u == Truth::True,
        };
        (!exempt, when, unless)
    }

    /// Records a comparison and the event values it read, when explaining.
    fn note(&mut self, e: &Expr, operands: &[(&Expr, &Value<'a>)], result: Truth) {
        let Some(trace) = self.trace.as_deref_mut() else {
            return;
        };
        if trace.len() >= MAX_CHECKS_PER_RULE {
            return;
        }
        let mut values: Vec<_> = operands
            .iter()
            .filter_map(|(x, v)| super::trace::operand_key(x).map(|p| (p, super::trace::stored(v))))
            .collect();
        // The event paths inside a computed operand (`lower(email)`,
        // `user.created_at + 1d`), read again without failing.
        super::trace::inner_paths(self.event, operands, &mut values);
        trace.push(Check {
            span: e.span,
            truth: result,
            values,
        });
    }

    /// Records a run-time error. The message is only built when errors are
    /// being collected, so the fast path ([`decide`]) never allocates for it.
    fn fail(
        &mut self,
        message: impl FnOnce() -> String,
        path: Option<Arc<str>>,
        span: crate::source::Span,
    ) -> Unknown {
        self.error_count = self.error_count.saturating_add(1);
        if let Some(errors) = self.errors.as_deref_mut() {
            errors.push(RuntimeError {
                rule: self.rule.cloned().unwrap_or_else(|| Arc::from("")),
                message: message(),
                path,
                span,
            });
        }
        Unknown
    }

    /// Counts one step; past the budget, a run-time error.
    #[inline]
    fn step(&mut self, e: &Expr) -> Result<(), Unknown> {
        // No overflow to guard: `steps` stops growing past the budget but
        // for one step per condition still evaluated, far below `u64::MAX`.
        self.steps = self.steps.wrapping_add(1);
        if self.steps > MAX_STEPS {
            return Err(self.over_budget(e));
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn over_budget(&mut self, e: &Expr) -> Unknown {
        self.fail(
            || format!("evaluation took more than {MAX_STEPS} steps for this event"),
            None,
            e.span,
        )
    }

    /// An inconsistency between the checker and the interpreter: a bug,
    /// which raises (and so fails closed) rather than reading as null.
    fn internal(&mut self, e: &Expr, what: &'static str) -> Unknown {
        self.fail(
            || format!("internal error: {what}; this is a bug in mfapol"),
            None,
            e.span,
        )
    }

    /// The truth of one condition on its own (`mfapol verify`).
    pub(super) fn condition(&mut self, e: &'a Expr) -> Truth {
        self.truth(e)
    }

    /// The truth of a condition.
    #[inline(always)]
    fn truth(&mut self, e: &'a Expr) -> Truth {
        // Most conditions are comparisons of one field with constants, or
        // `and`s of them: decided in place, their steps included, when
        // nothing is unusual (see `quick`); the rest below.
        if self.trace.is_none() {
            // Tests in turn rather than a `match`: a compare and a branch
            // each, where a jump table costs about ten instructions.
            if let K::And(items) = &e.kind {
                if self.step(e).is_err() {
                    return Truth::Unknown;
                }
                for it in items {
                    let t = match self.quick(it) {
                        Some(true) => Truth::True,
                        Some(false) => Truth::False,
                        None => self.compound(it),
                    };
                    if t != Truth::True {
                        return t;
                    }
                }
                return Truth::True;
            }
            // `==` straight to its quick check; the other quick shapes in
            // `other_truth`, out of line: with four shapes tested here the
            // tests would become a jump table.
            if let K::Eq { negated, lhs, rhs } = &e.kind {
                if let Some(b) = self.quick_eq(*negated, lhs, rhs) {
                    return if b { Truth::True } else { Truth::False };
                }
            } else {
                return self.other_truth(e);
            }
        }
        self.compound(e)
    }

    /// The truth of a condition other than `and` and `==` on the fast
    /// path: `in` and `in NETS` decided in place when they can be, the
    /// rest by [`Cx::compound`].
    #[inline(never)]
    fn other_truth(&mut self, e: &'a Expr) -> Truth {
        match self.quick(e) {
            Some(true) => Truth::True,
            Some(false) => Truth::False,
            None => self.compound(e),
        }
    }

    /// The truth of a condition the quick path did not decide.
    #[inline(never)]
    fn compound(&mut self, e: &'a Expr) -> Truth {
        if self.step(e).is_err() {
            return Truth::Unknown;
        }
        match &e.kind {
            K::Not(x) => match self.truth(x) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown => Truth::Unknown,
            },
            K::And(items) => {
                for it in items {
                    match self.truth(it) {
                        Truth::True => {}
                        stop => return stop,
                    }
                }
                Truth::True
            }
            K::Or(items) => {
                for it in items {
                    match self.truth(it) {
                        Truth::False => {}
                        stop => return stop,
                    }
                }
                Truth::False
            }
            K::Quant {
                all,
                slot,
                list,
                body,
            } => self.quantifier(*all, *slot, list, body),
            _ => self.value_truth(e),
        }
    }

    /// The truth of an expression computed as a value (a comparison, a
    /// path, a `let`, a call): out of line, so that [`Cx::truth`], which
    /// runs for every condition, stays small.
    #[inline(never)]
    fn value_truth(&mut self, e: &'a Expr) -> Truth {
        match self.eval(e) {
            Err(Unknown) => Truth::Unknown,
            Ok(v) => {
                let t = match self.as_bool(e, &v) {
                    Ok(true) => Truth::True,
                    Ok(false) => Truth::False,
                    Err(Unknown) => Truth::Unknown,
                };
                // A bare path used as a condition is a check of its own.
                if self.trace.is_some() && matches!(e.kind, K::Path(_) | K::Let(_)) {
                    self.note(e, &[(e, &v)], t);
                }
                t
            }
        }
    }

    /// A value used as a condition: booleans, null as false, nothing else.
    fn as_bool(&mut self, e: &Expr, v: &Value<'a>) -> Result<bool, Unknown> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Null | Value::Json(Json::Null) => Ok(false),
            Value::Json(Json::Bool(b)) => Ok(*b),
            Value::Json(j) => Err(self.fail(
                || {
                    format!(
                        "{} is used as a condition but holds {}",
                        describe(e),
                        show_json(j)
                    )
                },
                path_text(e),
                e.span,
            )),
            _ => Err(self.fail(
                || format!("{} is not a condition", describe(e)),
                path_text(e),
                e.span,
            )),
        }
    }

    fn eval(&mut self, e: &'a Expr) -> R<'a> {
        self.step(e)?;
        match &e.kind {
            K::Const(c) => Ok(from_const(c)),
            K::Now => Ok(Value::Time(self.now)),
            K::Path(p) => self.read(p, &e.ty, e),
            K::Local(slot) => match self.local(*slot) {
                Some(v) => Ok(v.clone()),
                None => Err(self.internal(e, "a quantifier variable has no slot")),
            },
            K::Let(i) => self.let_value(e, *i as usize),
            K::Not(_) | K::And(_) | K::Or(_) | K::Quant { .. } => match self.truth(e) {
                Truth::True => Ok(Value::Bool(true)),
                Truth::False => Ok(Value::Bool(false)),
                Truth::Unknown => Err(Unknown),
            },
            K::Eq { negated, lhs, rhs } => {
                let a = self.eval(lhs);
                let b = self.eval(rhs);
                let (a, b) = (a?, b?);
                let r = equal(&a, &b) != *negated;
                self.noted(e, &[(lhs, &a), (rhs, &b)], r)
            }
            K::Order(op, lhs, rhs) => {
                let a = self.eval(lhs);
                let b = self.eval(rhs);
                let (a, b) = (a?, b?);
                if a.is_null() || b.is_null() {
                    return self.noted(e, &[(lhs, &a), (rhs, &b)], false);
                }
                let ord = match order(&a, &b) {
                    Ok(o) => o,
                    Err(want) => {
                        let culprit = if matches!(a, Value::Json(_)) {
                            lhs
                        } else {
                            rhs
                        };
                        let held = match (&a, &b) {
                            (Value::Json(j), _) | (_, Value::Json(j)) => show_json(j),
                            _ => "another kind of value".into(),
                        };
                        return Err(self.fail(
                            || {
                                format!(
                                    "{} should be {want} to be ordered but holds {held}",
                                    describe(culprit)
                                )
                            },
                            path_text(culprit),
                            culprit.span,
                        ));
                    }
                };
                use std::cmp::Ordering::*;
                let r = ord.is_some_and(|ord| match op {
                    OrderOp::Lt => ord == Less,
                    OrderOp::Le => ord != Greater,
                    OrderOp::Gt => ord == Greater,
                    OrderOp::Ge => ord != Less,
                });
                self.noted(e, &[(lhs, &a), (rhs, &b)], r)
            }
            K::In {
                negated,
                needle,
                list,
            } => {
                let n = self.eval(needle);
                let l = self.eval(list);
                let (n, l) = (n?, l?);
                let found = self.member(&n, list, &l)?;
                self.noted(e, &[(needle, &n), (list, &l)], found != *negated)
            }
            K::InNet {
                negated,
                needle,
                set,
            } => {
                let n = self.eval(needle)?;
                let found = match n {
                    Value::Ip(a) => set.contains(a),
                    Value::Json(Json::String(s)) => parse_ip(s).is_some_and(|a| set.contains(a)),
                    _ => false,
                };
                self.noted(e, &[(needle, &n)], found != *negated)
            }
            K::Str(op, lhs, rhs) => {
                let a = self.eval(lhs);
                let b = self.eval(rhs);
                let (a, b) = (a?, b?);
                if a.is_null() || b.is_null() {
                    return self.noted(e, &[(lhs, &a), (rhs, &b)], false);
                }
                // `dynamic contains x` on a JSON list is membership.
                if let (StrOp::Contains, Value::Json(Json::Array(_))) = (op, &a) {
                    let r = self.member(&b, lhs, &a)?;
                    return self.noted(e, &[(lhs, &a), (rhs, &b)], r);
                }
                let r = {
                    let s = self.string(lhs, &a)?;
                    let t = self.string(rhs, &b)?;
                    match op {
                        StrOp::StartsWith => s.starts_with(t.as_ref()),
                        StrOp::EndsWith => s.ends_with(t.as_ref()),
                        StrOp::Contains => s.contains(t.as_ref()),
                    }
                };
                self.noted(e, &[(lhs, &a), (rhs, &b)], r)
            }
            K::Matches(lhs, re) => {
                let a = self.eval(lhs)?;
                let r = !a.is_null() && re.is_match(&self.string(lhs, &a)?);
                self.noted(e, &[(lhs, &a)], r)
            }
            K::Arith(op, lhs, rhs) => {
                let a = self.eval(lhs);
                let b = self.eval(rhs);
                let (a, b) = (a?, b?);
                let add = *op == ArithOp::Add;
                let r = match (a, b) {
                    (Value::Time(t), Value::Dur(d)) if add => t.checked_add(d).map(Value::Time),
                    (Value::Time(t), Value::Dur(d)) => t.checked_sub(d).map(Value::Time),
                    (Value::Dur(d), Value::Time(t)) => t.checked_add(d).map(Value::Time),
                    (Value::Time(x), Value::Time(y)) => x.checked_sub(y).map(Value::Dur),
                    (Value::Dur(x), Value::Dur(y)) if add => x.checked_add(y).map(Value::Dur),
                    (Value::Dur(x), Value::Dur(y)) => x.checked_sub(y).map(Value::Dur),
                    _ => Some(Value::Null),
                };
                // Never wrap or saturate: a clamped time could make `now -
                // grace > created_at` true or false wrongly. Raising fails closed.
                r.ok_or_else(|| {
                    self.fail(
                        || "time arithmetic is out of range".to_string(),
                        path_text(lhs).or_else(|| path_text(rhs)),
                        e.span,
                    )
                })
            }
            K::Call(f, args) => self.call(*f, args),
        }
    }

    /// A `let`'s value: evaluated on first use, then reused.
    fn let_value(&mut self, e: &Expr, i: usize) -> R<'a> {
        let n = self.policy.lets.len();
        let lets = &mut self.scratch.get_or_insert_with(Scratch::default).lets;
        if lets.is_empty() {
            lets.resize(n, None);
        }
        match lets.get(i) {
            Some(Some(Ok(v))) => return Ok(v.clone()),
            Some(Some(Err(Unknown))) => {
                self.error_count = self.error_count.saturating_add(1);
                return Err(Unknown);
            }
            Some(None) => {}
            None => return Err(self.internal(e, "a `let` is missing")),
        }
        let policy = self.policy;
        let Some(def) = policy.lets.get(i) else {
            return Err(self.internal(e, "a `let` is missing"));
        };
        // A `let` sees no quantifier variable, but its own quantifiers use
        // slots numbered from 0: give it fresh slots so that it cannot
        // overwrite the variables of a quantifier it is used inside.
        let outer = self.scratch.as_mut().map(|s| std::mem::take(&mut s.locals));
        let v = self.eval(&def.value);
        let scratch = self.scratch.get_or_insert_with(Scratch::default);
        scratch.locals = outer.unwrap_or_default();
        if let Some(slot) = scratch.lets.get_mut(i) {
            *slot = Some(v.clone());
        }
        v
    }

    /// Returns a comparison's result, recording it when explaining.
    fn noted(&mut self, e: &Expr, operands: &[(&Expr, &Value<'a>)], r: bool) -> R<'a> {
        if self.trace.is_some() {
            self.note(e, operands, if r { Truth::True } else { Truth::False });
        }
        Ok(Value::Bool(r))
    }
}

fn not(t: Truth) -> Truth {
    match t {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown => Truth::Unknown,
    }
}
