//! `mfapol eval --explain`: every rule, whether it applied and why, with
//! the event values each comparison read. The deciding rule comes first.

use super::escape::escape;
use mfapol::eval::{Check, Explanation, RuleTrace, Truth, LOCAL_KEY, SPAN_KEY};
use mfapol::ir::{Expr, ExprKind, Policy};
use mfapol::source::{SourceFile, Span};
use serde_json::{json, Value as Json};

/// Rules in explanation order: the deciding rule, the other applying rules,
/// then the rest, each group in source order.
fn ordered(ex: &Explanation) -> Vec<&RuleTrace> {
    let deciding = ex.decision.deciding;
    let mut out: Vec<&RuleTrace> = ex
        .rules
        .iter()
        .filter(|r| Some(r.index) == deciding)
        .collect();
    out.extend(
        ex.rules
            .iter()
            .filter(|r| r.applied && Some(r.index) != deciding),
    );
    out.extend(ex.rules.iter().filter(|r| !r.applied));
    out
}

fn why(policy: &Policy, r: &RuleTrace) -> String {
    let skip = policy
        .rules
        .get(r.index)
        .is_some_and(|rule| rule.effect.lowers_requirements());
    let unless = r
        .unless
        .map(|u| format!(", unless is {}", u.as_str()))
        .unwrap_or_default();
    let fail_closed = if r.applied && (r.when == Truth::Unknown || r.unless == Some(Truth::Unknown))
    {
        " (a run-time error fails closed)"
    } else if !r.applied && skip && (r.when == Truth::Unknown || r.unless == Some(Truth::Unknown)) {
        " (a run-time error never lets a skip rule apply)"
    } else {
        ""
    };
    format!("when is {}{unless}{fail_closed}", r.when.as_str())
}

fn mark(t: Truth) -> &'static str {
    match t {
        Truth::True => "✓",
        Truth::False => "✗",
        Truth::Unknown => "?",
    }
}

/// One line of source text for a span, whitespace collapsed.
fn excerpt(src: &SourceFile, span: mfapol::source::Span) -> String {
    src.slice(span)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`excerpt`] for people: control and bidi characters escaped.
fn shown(src: &SourceFile, span: mfapol::source::Span) -> String {
    escape(&excerpt(src, span)).into_owned()
}

/// What the explainer knows of the policy's expressions: `not`s (so a
/// negated check is shown as written) and quantifiers (for their variable
/// names and empty lists).
#[derive(Default)]
struct Shapes {
    /// Spans of the operands of `not`, with the span of the `not`.
    negated: Vec<(Span, Span)>,
    /// Quantifiers: whole span, list span, slot, `all`.
    quants: Vec<(Span, Span, u16, bool)>,
}

impl Shapes {
    fn of(policy: &Policy) -> Shapes {
        let mut s = Shapes::default();
        for r in &policy.rules {
            s.walk(&r.when);
            if let Some(u) = &r.unless {
                s.walk(u);
            }
        }
        for l in &policy.lets {
            s.walk(&l.value);
        }
        s
    }

    fn walk(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Not(x) => self.negated.push((x.span, e.span)),
            ExprKind::Eq { negated: true, .. } => {}
            ExprKind::Quant {
                all, slot, list, ..
            } => self.quants.push((e.span, list.span, *slot, *all)),
            _ => {}
        }
        for c in e.children() {
            self.walk(c);
        }
    }

    /// The `not` written around a check, if any.
    fn not_of(&self, span: Span) -> Option<Span> {
        self.negated
            .iter()
            .find(|(inner, _)| *inner == span)
            .map(|(_, outer)| *outer)
    }

    /// The quantifier whose list is this span.
    fn quant_of_list(&self, span: Span) -> Option<(Span, bool)> {
        self.quants
            .iter()
            .find(|(_, list, _, _)| *list == span)
            .map(|(whole, _, _, all)| (*whole, *all))
    }

    /// The name of the variable in `slot` of the innermost quantifier
    /// around `at`.
    fn variable(&self, src: &SourceFile, slot: u16, at: Span) -> Option<String> {
        let (whole, _, _, _) = self
            .quants
            .iter()
            .filter(|(w, _, s, _)| *s == slot && w.start <= at.start && at.end <= w.end)
            .min_by_key(|(w, _, _, _)| w.end.saturating_sub(w.start))?;
        src.slice(*whole)
            .split_whitespace()
            .nth(1)
            .map(str::to_string)
    }

    /// A stored value's key as a person reads it: a path, a variable's
    /// name, or the source text of a computed operand.
    fn key(&self, src: &SourceFile, key: &str, at: Span) -> String {
        if let Some(slot) = key.strip_prefix(LOCAL_KEY) {
            if let Some(name) = slot.parse().ok().and_then(|s| self.variable(src, s, at)) {
                return name;
            }
        }
        if let Some(range) = key.strip_prefix(SPAN_KEY) {
            let mut it = range.split(':').map(|n| n.parse::<usize>().ok());
            if let (Some(Some(a)), Some(Some(b))) = (it.next(), it.next()) {
                return excerpt(src, Span::new(a, b));
            }
        }
        key.to_string()
    }
}

/// One check as shown: its mark, its text and its values; a check that
/// is the operand of a `not` is shown with the `not` and the `not`'s
/// outcome; the list of a quantifier that was empty says what that means.
fn shown_check(
    shapes: &Shapes,
    src: &SourceFile,
    c: &Check,
) -> (Truth, String, Vec<(String, Json)>, Option<String>) {
    let values: Vec<(String, Json)> = c
        .values
        .iter()
        .map(|(k, v)| (shapes.key(src, k, c.span), v.clone()))
        .collect();
    if let Some((whole, all)) = shapes.quant_of_list(c.span) {
        let note = if all {
            "the list is empty: `all` is true, there is no element to fail"
        } else {
            "the list is empty: `any` is false, there is no element to match"
        };
        return (c.truth, excerpt(src, whole), values, Some(note.to_string()));
    }
    if let Some(outer) = shapes.not_of(c.span) {
        let t = match c.truth {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        };
        return (t, excerpt(src, outer), values, None);
    }
    (c.truth, excerpt(src, c.span), values, None)
}

/// The readable explanation.
pub fn human(policy: &Policy, src: &SourceFile, ex: &Explanation) -> String {
    let mut out = ex.decision.summary(policy);
    let shapes = Shapes::of(policy);
    for r in ordered(ex) {
        let Some(rule) = policy.rules.get(r.index) else {
            continue;
        };
        let status = if r.applied {
            "applied"
        } else {
            "did not apply"
        };
        out.push_str(&format!(
            "\nrule {} ({}:{}): {status}: {}\n",
            escape(&rule.name),
            escape(&policy.file),
            rule.line,
            why(policy, r)
        ));
        for c in &r.checks {
            let (truth, text, values, note) = shown_check(&shapes, src, c);
            let values: Vec<String> = values
                .iter()
                .map(|(p, v)| format!("{} = {}", escape(p), escape(&v.to_string())))
                .collect();
            let values = if values.is_empty() {
                String::new()
            } else {
                format!("    [{}]", values.join(", "))
            };
            let note = note.map(|n| format!("    ({n})")).unwrap_or_default();
            out.push_str(&format!(
                "  {} {}{values}{note}\n",
                mark(truth),
                escape(&text)
            ));
        }
        for e in ex.decision.errors.iter().filter(|e| e.rule == rule.name) {
            let (line, col) = src.line_col(e.span.start);
            out.push_str(&format!(
                "  ? {}    [run-time error at {}:{line}:{col}: {}]\n",
                shown(src, e.span),
                escape(&policy.file),
                escape(&e.message)
            ));
        }
    }
    if ex.decision.deciding.is_none() {
        out.push_str(&format!(
            "\nno rule applied: {}\n",
            if ex.decision.by_default {
                "the default decides"
            } else {
                "no default, so the policy has no opinion"
            }
        ));
    }
    out
}

/// The decision JSON with an `explain` array.
pub fn json(policy: &Policy, src: &SourceFile, ex: &Explanation) -> serde_json::Value {
    let mut v = ex.decision.to_json(policy);
    let shapes = Shapes::of(policy);
    let rules: Vec<serde_json::Value> = ordered(ex)
        .into_iter()
        .filter_map(|r| {
            let rule = policy.rules.get(r.index)?;
            let mut checks: Vec<serde_json::Value> = r
                .checks
                .iter()
                .map(|c| {
                    let (truth, text, values, note) = shown_check(&shapes, src, c);
                    let start = shapes.not_of(c.span).map_or(c.span.start, |s| s.start);
                    let (line, column) = src.line_col(start);
                    let values: serde_json::Map<String, serde_json::Value> =
                        values.into_iter().collect();
                    let mut o = json!({
                        "expr": text,
                        "result": truth.as_str(),
                        "line": line,
                        "column": column,
                        "values": values,
                    });
                    if let (Some(n), serde_json::Value::Object(m)) = (note, &mut o) {
                        m.insert("note".into(), json!(n));
                    }
                    o
                })
                .collect();
            // The check that raised a run-time error, as the human form
            // shows it (`? expr [run-time error at ...]`).
            for e in ex.decision.errors.iter().filter(|e| e.rule == rule.name) {
                let (line, column) = src.line_col(e.span.start);
                checks.push(json!({
                    "expr": excerpt(src, e.span),
                    "result": Truth::Unknown.as_str(),
                    "line": line,
                    "column": column,
                    "values": {},
                    "error": e.message,
                }));
            }
            Some(json!({
                "rule": rule.name.as_ref(),
                "line": rule.line,
                "applied": r.applied,
                "when": r.when.as_str(),
                "unless": r.unless.map(|u| u.as_str()),
                "checks": checks,
            }))
        })
        .collect();
    if let serde_json::Value::Object(m) = &mut v {
        // Each run-time error with its source span, as the human form has it.
        if let Some(serde_json::Value::Array(errs)) = m.get_mut("errors") {
            for (j, e) in errs.iter_mut().zip(&ex.decision.errors) {
                if let serde_json::Value::Object(o) = j {
                    let (line, column) = src.line_col(e.span.start);
                    let (end_line, end_column) = src.line_col(e.span.end);
                    o.insert("line".into(), json!(line));
                    o.insert("column".into(), json!(column));
                    o.insert("end_line".into(), json!(end_line));
                    o.insert("end_column".into(), json!(end_column));
                    o.insert("expr".into(), json!(excerpt(src, e.span)));
                }
            }
        }
        m.insert("explain".into(), serde_json::Value::Array(rules));
    }
    v
}

/// What each assertion says about this login (SPEC §12): shown by
/// `--explain`, never part of the decision.
fn assertion_states<'p>(
    policy: &'p Policy,
    event: &serde_json::Value,
    now: i64,
    got: &mfapol::eval::Decision,
) -> Vec<(&'p mfapol::ir::Assertion, Option<bool>)> {
    policy
        .asserts
        .iter()
        .map(|a| {
            let about = mfapol::eval::condition(policy, &a.when, event, now) == Truth::True;
            (a, about.then(|| !mfapol::verify::violates(a, got)))
        })
        .collect()
}

/// The assertions' lines of the readable explanation (empty without any).
pub fn assertions_human(
    policy: &Policy,
    event: &serde_json::Value,
    now: i64,
    ex: &Explanation,
) -> String {
    let states = assertion_states(policy, event, now, &ex.decision);
    if states.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nassertions (checked by `mfapol verify`; they do not affect the decision):\n",
    );
    for (a, state) in states {
        let what = match state {
            None => "not about this login (its condition is not true)".to_string(),
            Some(true) => "holds for this login".to_string(),
            Some(false) => format!(
                "VIOLATED: this login gets {}, the assertion says {}{}",
                ex.decision.kind.as_str(),
                a.mode.prefix(),
                mfapol::eval::DecisionKind::of(&a.effect).as_str()
            ),
        };
        out.push_str(&format!(
            "  assert {} ({}:{}): {what}\n",
            escape(&a.name),
            escape(&policy.file),
            a.line
        ));
    }
    out
}

/// The assertions for the JSON explanation.
pub fn assertions_json(
    policy: &Policy,
    event: &serde_json::Value,
    now: i64,
    ex: &Explanation,
) -> serde_json::Value {
    let states = assertion_states(policy, event, now, &ex.decision);
    serde_json::Value::Array(
        states
            .into_iter()
            .map(|(a, state)| {
                json!({
                    "name": a.name.as_ref(),
                    "line": a.line,
                    "about_this_login": state.is_some(),
                    "holds": state,
                })
            })
            .collect(),
    )
}
