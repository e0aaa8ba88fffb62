//! The interpreter proper: conditions and values over checked IR and the
//! event JSON. Public entry points are in the parent module.

use super::message::{describe, describe_item, path_text, prefix_text};
use super::value::{equal, from_const, from_json, order, parse_ip, show_json, Value};
use super::{Check, RuntimeError, Truth, MAX_CHECKS_PER_RULE};
use crate::ir::{self, ArithOp, Expr, ExprKind as K, Func, OrderOp, Policy, Root, Step, StrOp};
use crate::schema::Type;
use serde_json::Value as Json;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::sync::Arc;

/// Marker: the value is unknown because of a run-time error (already recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Unknown;

type R<'a> = Result<Value<'a>, Unknown>;

pub(super) struct Cx<'a, 'e> {
    pub(super) policy: &'a Policy,
    pub(super) event: &'a Json,
    pub(super) now: i64,
    pub(super) locals: SmallVec<[Value<'a>; 4]>,
    /// Where run-time errors go; `None` on the fast path, which only counts them.
    pub(super) errors: Option<&'e mut Vec<RuntimeError>>,
    pub(super) error_count: usize,
    /// The rule being evaluated, for error records.
    pub(super) rule: Option<Arc<str>>,
    /// Where comparisons are recorded when explaining; `None` on the fast path.
    pub(super) trace: Option<&'e mut Vec<Check>>,
}

impl<'a> Cx<'a, '_> {
    /// Whether a rule applies, with the truth of its `when` and `unless`.
    pub(super) fn applies(&mut self, rule: &'a ir::Rule) -> (bool, Truth, Option<Truth>) {
        let when = self.truth(&rule.when);
        // Fail closed: a raised `when` applies a require/deny rule, a raised
        // `unless` does not exempt it; a skip rule needs both evaluated
        // without error. `unless` is only evaluated when `when` lets the rule
        // apply, as an `if` would.
        let strict = matches!(rule.effect, ir::Effect::Skip);
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
        let values = operands
            .iter()
            .filter_map(|(x, v)| path_text(x).map(|p| (p, super::trace::stored(v))))
            .collect();
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
        self.error_count += 1;
        if let Some(errors) = self.errors.as_deref_mut() {
            errors.push(RuntimeError {
                rule: self.rule.clone().unwrap_or_else(|| Arc::from("")),
                message: message(),
                path,
                span,
            });
        }
        Unknown
    }

    /// The truth of a condition.
    fn truth(&mut self, e: &'a Expr) -> Truth {
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
            _ => {
                let t = match self.eval(e) {
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
                };
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

    fn quantifier(&mut self, all: bool, slot: u16, list: &'a Expr, body: &'a Expr) -> Truth {
        let lv = match self.eval(list) {
            Ok(v) => v,
            Err(Unknown) => return Truth::Unknown,
        };
        let (hit, miss) = if all {
            (Truth::False, Truth::True)
        } else {
            (Truth::True, Truth::False)
        };
        let n = match self.list_len(list, &lv) {
            Ok(n) => n,
            Err(Unknown) => return Truth::Unknown,
        };
        for i in 0..n {
            let item = match self.list_item(list, &lv, i) {
                Ok(v) => v,
                Err(Unknown) => return Truth::Unknown,
            };
            if let Some(slot) = self.locals.get_mut(slot as usize) {
                *slot = item;
            }
            let t = self.truth(body);
            match if all { not(t) } else { t } {
                Truth::True => return hit,
                Truth::Unknown => return Truth::Unknown,
                Truth::False => {}
            }
        }
        miss
    }

    fn list_len(&mut self, e: &Expr, v: &Value<'a>) -> Result<usize, Unknown> {
        match v {
            Value::Null => Ok(0),
            Value::ConstList(items) => Ok(items.len()),
            Value::JsonList(items, _) => Ok(items.len()),
            Value::Json(Json::Array(items)) => Ok(items.len()),
            Value::Json(Json::Null) => Ok(0),
            Value::Json(j) => Err(self.fail(
                || {
                    format!(
                        "{} should be a list but holds {}",
                        describe(e),
                        show_json(j)
                    )
                },
                path_text(e),
                e.span,
            )),
            _ => Err(self.fail(
                || format!("{} is not a list", describe(e)),
                path_text(e),
                e.span,
            )),
        }
    }

    fn list_item(&mut self, e: &Expr, v: &Value<'a>, i: usize) -> R<'a> {
        match v {
            Value::ConstList(items) => Ok(items.get(i).map_or(Value::Null, from_const)),
            Value::JsonList(items, ty) => match items.get(i) {
                None => Ok(Value::Null),
                Some(j) => from_json(j, ty).map_err(|want| {
                    self.fail(
                        || {
                            format!(
                                "{} should be {want} but holds {}",
                                describe_item(e, i),
                                show_json(j)
                            )
                        },
                        path_text(e),
                        e.span,
                    )
                }),
            },
            Value::Json(Json::Array(items)) => Ok(items.get(i).map_or(Value::Null, Value::Json)),
            _ => Ok(Value::Null),
        }
    }

    fn eval(&mut self, e: &'a Expr) -> R<'a> {
        match &e.kind {
            K::Const(c) => Ok(from_const(c)),
            K::Now => Ok(Value::Time(self.now)),
            K::Path(p) => self.read(p, &e.ty, e),
            K::Local(slot) => Ok(self
                .locals
                .get(*slot as usize)
                .cloned()
                .unwrap_or(Value::Null)),
            K::Let(i) => match self.policy.lets.get(*i as usize) {
                Some(l) => self.eval(&l.value),
                None => Ok(Value::Null),
            },
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
                let sign = if *op == ArithOp::Add { 1 } else { -1 };
                Ok(match (a, b) {
                    (Value::Time(t), Value::Dur(d)) => Value::Time(t.saturating_add(sign * d)),
                    (Value::Dur(d), Value::Time(t)) => Value::Time(t.saturating_add(d)),
                    (Value::Time(x), Value::Time(y)) => Value::Dur(x.saturating_sub(y)),
                    (Value::Dur(x), Value::Dur(y)) => Value::Dur(x.saturating_add(sign * y)),
                    _ => Value::Null,
                })
            }
            K::Call(f, args) => self.call(*f, args),
        }
    }

    /// Returns a comparison's result, recording it when explaining.
    fn noted(&mut self, e: &Expr, operands: &[(&Expr, &Value<'a>)], r: bool) -> R<'a> {
        if self.trace.is_some() {
            self.note(e, operands, if r { Truth::True } else { Truth::False });
        }
        Ok(Value::Bool(r))
    }

    fn call(&mut self, f: Func, args: &'a [Expr]) -> R<'a> {
        let Some(arg) = args.first() else {
            return Ok(Value::Null);
        };
        match f {
            Func::Exists => {
                // Presence only: a present value that misfits its type still exists.
                if let K::Path(p) = &arg.kind {
                    return Ok(Value::Bool(self.raw(p, arg)?.is_some_and(|j| !j.is_null())));
                }
                Ok(Value::Bool(!self.eval(arg)?.is_null()))
            }
            Func::Len => {
                let v = self.eval(arg)?;
                Ok(Value::Int(match &v {
                    Value::Str(s) => s.chars().count() as i64,
                    Value::Json(Json::String(s)) => s.chars().count() as i64,
                    _ => self.list_len(arg, &v)? as i64,
                }))
            }
            Func::Lower => {
                let v = self.eval(arg)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let s = self.string(arg, &v)?;
                Ok(Value::Str(Cow::Owned(s.to_lowercase())))
            }
        }
    }

    fn string<'v>(&mut self, e: &Expr, v: &'v Value<'a>) -> Result<Cow<'v, str>, Unknown> {
        match v {
            Value::Str(s) => Ok(Cow::Borrowed(s.as_ref())),
            Value::Json(Json::String(s)) => Ok(Cow::Borrowed(s.as_str())),
            Value::Json(j) => Err(self.fail(
                || {
                    format!(
                        "{} should be a string but holds {}",
                        describe(e),
                        show_json(j)
                    )
                },
                path_text(e),
                e.span,
            )),
            _ => Err(self.fail(
                || format!("{} is not a string", describe(e)),
                path_text(e),
                e.span,
            )),
        }
    }

    /// `needle in list`: equality with each element; an address is also
    /// in a network.
    fn member(
        &mut self,
        needle: &Value<'a>,
        list_expr: &Expr,
        list: &Value<'a>,
    ) -> Result<bool, Unknown> {
        if needle.is_null() {
            return Ok(false);
        }
        // The common case, a string in a list of string constants, compares
        // in place without building a value per element.
        if let (Value::Str(s), Value::ConstList(items)) = (needle, list) {
            // One pass: a match among string constants is a match; anything
            // else in the list falls back to the general comparison below.
            let mut only_strings = true;
            for c in items.iter() {
                match c {
                    ir::Const::Str(t) if t.as_ref() == s.as_ref() => return Ok(true),
                    ir::Const::Str(_) => {}
                    _ => {
                        only_strings = false;
                        break;
                    }
                }
            }
            if only_strings {
                return Ok(false);
            }
        }
        let n = self.list_len(list_expr, list)?;
        let mut unknown = false;
        for i in 0..n {
            let item = match self.list_item(list_expr, list, i) {
                Ok(v) => v,
                Err(Unknown) => {
                    unknown = true;
                    continue;
                }
            };
            let hit = match (needle, &item) {
                (Value::Ip(a), Value::Cidr(net)) => {
                    net.contains(&ir::normalize_ip(*a)) || net.contains(a)
                }
                _ => equal(needle, &item),
            };
            if hit {
                return Ok(true);
            }
        }
        if unknown {
            Err(Unknown)
        } else {
            Ok(false)
        }
    }

    /// The raw JSON at a path: `None` when absent, `Err` when the event's
    /// shape misfits the schema.
    fn raw(&mut self, p: &'a ir::Path, e: &Expr) -> Result<Option<&'a Json>, Unknown> {
        let mut cur: &'a Json = match p.root {
            Root::Event => self.event,
            Root::Local(slot) => match self.locals.get(slot as usize) {
                Some(Value::Json(j)) => j,
                _ => return Ok(None),
            },
        };
        for (i, step) in p.steps.iter().enumerate() {
            let next = match (step, cur) {
                (_, Json::Null) => return Ok(None),
                (Step::Key(k), Json::Object(m)) => m.get(k.as_ref()),
                (Step::Index(n), Json::Array(a)) => a.get(*n),
                (_, other) if i < p.strict => {
                    let want = if matches!(step, Step::Key(_)) {
                        "an object"
                    } else {
                        "a list"
                    };
                    return Err(self.fail(
                        || {
                            format!(
                                "`{}` should be {want} but holds {}",
                                prefix_text(p, i),
                                show_json(other)
                            )
                        },
                        Some(p.text.clone()),
                        e.span,
                    ));
                }
                _ => return Ok(None),
            };
            match next {
                Some(j) => cur = j,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }

    fn read(&mut self, p: &'a ir::Path, ty: &'a Type, e: &Expr) -> R<'a> {
        let Some(j) = self.raw(p, e)? else {
            return Ok(Value::Null);
        };
        from_json(j, ty).map_err(|want| {
            self.fail(
                || format!("`{}` should be {want} but holds {}", p.text, show_json(j)),
                Some(p.text.clone()),
                e.span,
            )
        })
    }
}

fn not(t: Truth) -> Truth {
    match t {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown => Truth::Unknown,
    }
}
