//! `mfapol eval --explain`: every rule, whether it applied and why, with
//! the event values each comparison read. The deciding rule comes first.

use super::escape::escape;
use mfapol::eval::{Explanation, RuleTrace, Truth};
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use serde_json::json;

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

/// The readable explanation.
pub fn human(policy: &Policy, src: &SourceFile, ex: &Explanation) -> String {
    let mut out = ex.decision.summary(policy);
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
            let values: Vec<String> = c
                .values
                .iter()
                .map(|(p, v)| format!("{} = {}", escape(p), escape(&v.to_string())))
                .collect();
            let values = if values.is_empty() {
                String::new()
            } else {
                format!("    [{}]", values.join(", "))
            };
            out.push_str(&format!(
                "  {} {}{values}\n",
                mark(c.truth),
                shown(src, c.span)
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
    let rules: Vec<serde_json::Value> = ordered(ex)
        .into_iter()
        .filter_map(|r| {
            let rule = policy.rules.get(r.index)?;
            let mut checks: Vec<serde_json::Value> = r
                .checks
                .iter()
                .map(|c| {
                    let (line, column) = src.line_col(c.span.start);
                    let values: serde_json::Map<String, serde_json::Value> = c
                        .values
                        .iter()
                        .map(|(p, v)| (p.to_string(), v.clone()))
                        .collect();
                    json!({
                        "expr": excerpt(src, c.span),
                        "result": c.truth.as_str(),
                        "line": line,
                        "column": column,
                        "values": values,
                    })
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
