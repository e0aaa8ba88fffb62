//! Expressions, effects, types and literals on one line, with parentheses
//! only where the grammar needs them to read the same tree back.

use crate::syntax::ast::{
    BinOp, Effect, Expr, ExprKind, Factors, IndexKey, Lit, Quantifier, ThenStep, TypeExpr, Using,
};
use std::fmt::Write as _;

/// Binding strength, loosest first, as the parser folds it (SPEC §6).
///
/// A quantifier's body extends as far right as it can, so it binds loosest of
/// all: as an operand of any operator it is parenthesized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prec {
    /// `any x in L: ...`, `all x in L: ...`
    Quant,
    /// `a or b`
    Or,
    /// `a and b`
    And,
    /// `not a`
    Not,
    /// comparisons, membership, string tests
    Cmp,
    /// `+`, `-`
    Add,
    /// operands: literals, names, accessors, lists, calls
    Atom,
}

/// How tightly an expression binds when printed without parentheses.
pub(crate) fn prec(e: &ExprKind) -> Prec {
    match e {
        ExprKind::Quant(..) => Prec::Quant,
        ExprKind::Or(_) => Prec::Or,
        ExprKind::And(_) => Prec::And,
        ExprKind::Not(_) => Prec::Not,
        ExprKind::Binary(op, ..) => match op.node {
            BinOp::Add | BinOp::Sub => Prec::Add,
            _ => Prec::Cmp,
        },
        _ => Prec::Atom,
    }
}

/// The loosest an operand of `and` / `or` may bind without parentheses.
pub(crate) fn operand_prec(is_and: bool) -> Prec {
    if is_and {
        Prec::Not
    } else {
        Prec::And
    }
}

/// An expression as a whole condition or value.
pub(crate) fn expr(e: &Expr) -> String {
    expr_at(e, Prec::Quant)
}

/// An expression where only operators binding at least as tight as `min`
/// may stand without parentheses.
pub(crate) fn expr_at(e: &Expr, min: Prec) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, min);
    out
}

// INVARIANT: recursion follows the tree, whose depth the parser bounds
// (`syntax::MAX_DEPTH` levels of operators plus as many of brackets).
fn write_expr(out: &mut String, e: &Expr, min: Prec) {
    // An `and` inside an `or` needs no parentheses, but the ones its author
    // wrote make the grouping plain to a reviewer: they stay.
    let kept = min == Prec::And && matches!(e.node, ExprKind::And(_)) && written_in_parens(e);
    if prec(&e.node) < min || kept {
        out.push('(');
        write_bare(out, e);
        out.push(')');
    } else {
        write_bare(out, e);
    }
}

thread_local! {
    /// The text being formatted, so a literal can be kept as written.
    static SOURCE: std::cell::RefCell<Option<std::sync::Arc<str>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `text` as the source that literals are read back from.
pub(super) fn with_source<T>(text: &str, f: impl FnOnce() -> T) -> T {
    SOURCE.with(|s| *s.borrow_mut() = Some(std::sync::Arc::from(text)));
    let out = f();
    SOURCE.with(|s| *s.borrow_mut() = None);
    out
}

/// Whether the source text of `e` is one parenthesised group, `( ... )`
/// (not `(a) and (b)`, whose first and last parentheses do not match).
fn written_in_parens(e: &Expr) -> bool {
    SOURCE.with(|s| {
        let s = s.borrow();
        let Some(text) = s
            .as_deref()
            .and_then(|t| t.get(e.span.start as usize..e.span.end as usize))
        else {
            return false;
        };
        if !(text.starts_with('(') && text.ends_with(')')) {
            return false;
        }
        let (mut depth, mut in_str, mut escaped, mut comment) = (0usize, false, false, false);
        for (i, c) in text.char_indices() {
            if comment {
                comment = c != '\n';
                continue;
            }
            if in_str {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '#' => comment = true,
                '(' => depth = depth.saturating_add(1),
                ')' => {
                    depth = depth.saturating_sub(1);
                    // The group opened first closes before the end: not one group.
                    if depth == 0 && i.saturating_add(1) < text.len() {
                        return false;
                    }
                }
                _ => {}
            }
        }
        depth == 0
    })
}

/// A duration literal as written (`24h`, `120s`), when the source text at
/// its span is a valid duration of the same length.
fn duration_as_written(e: &Expr, secs: i64) -> Option<String> {
    SOURCE.with(|s| {
        let s = s.borrow();
        let mut text = s
            .as_deref()?
            .get(e.span.start as usize..e.span.end as usize)?
            .trim();
        // A parenthesised literal's span includes its parentheses (`(0m).x`,
        // which fmt itself writes for an accessor on a duration).
        while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
            text = inner.trim();
        }
        let cut = text.len().checked_sub(1)?;
        let (num, unit) = (text.get(..cut)?, text.get(cut..)?);
        let n: i64 = num.parse().ok()?;
        let mult = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return None,
        };
        (n.checked_mul(mult)? == secs).then(|| text.to_string())
    })
}

fn write_bare(out: &mut String, e: &Expr) {
    match &e.node {
        ExprKind::Lit(Lit::Duration(secs)) => match duration_as_written(e, *secs) {
            Some(t) => out.push_str(&t),
            None => duration(out, *secs),
        },
        ExprKind::Lit(l) => lit(out, l),
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Now => out.push_str("now"),
        ExprKind::Field(base, name) => {
            accessor_base(out, base);
            out.push('.');
            out.push_str(&name.node);
        }
        ExprKind::Index(base, key) => {
            accessor_base(out, base);
            out.push('[');
            match &key.node {
                IndexKey::Int(i) => {
                    let _ = write!(out, "{i}");
                }
                IndexKey::Str(s) => string(out, s),
            }
            out.push(']');
        }
        ExprKind::List(items) => {
            out.push('[');
            join(out, items, ", ", Prec::Quant);
            out.push(']');
        }
        ExprKind::Call(name, args) => {
            out.push_str(&name.node);
            out.push('(');
            join(out, args, ", ", Prec::Quant);
            out.push(')');
        }
        ExprKind::Not(x) => {
            out.push_str("not ");
            write_expr(out, x, Prec::Not);
        }
        ExprKind::And(v) => join(out, v, " and ", operand_prec(true)),
        ExprKind::Or(v) => join(out, v, " or ", operand_prec(false)),
        ExprKind::Binary(op, l, r) => {
            let p = prec(&e.node);
            write_expr(out, l, p);
            out.push(' ');
            out.push_str(op.node.as_str());
            out.push(' ');
            // Left-associative: an operator of the same strength on the right
            // needs parentheses.
            let right = if p == Prec::Add {
                Prec::Atom
            } else {
                Prec::Add
            };
            write_expr(out, r, right);
        }
        ExprKind::Quant(q, var, list, body) => {
            out.push_str(match q {
                Quantifier::Any => "any ",
                Quantifier::All => "all ",
            });
            out.push_str(&var.node);
            out.push_str(" in ");
            // The list is an operand followed by `:`; a literal there (an
            // IPv6 address could swallow the colon) is kept in parentheses.
            if matches!(list.node, ExprKind::Lit(_)) {
                out.push('(');
                write_bare(out, list);
                out.push(')');
            } else {
                write_expr(out, list, Prec::Atom);
            }
            out.push_str(": ");
            // A body joined by `and`/`or` is kept in parentheses, so the
            // layout shows that the whole of it is inside the quantifier.
            if matches!(body.node, ExprKind::And(_) | ExprKind::Or(_)) {
                out.push('(');
                write_bare(out, body);
                out.push(')');
            } else {
                write_expr(out, body, Prec::Quant);
            }
        }
    }
}

/// The base of `.field` or `[index]`: a number or address literal would
/// lex together with the accessor (`5.x`, `::1.x`), so it keeps parentheses.
fn accessor_base(out: &mut String, base: &Expr) {
    let numeric = matches!(
        base.node,
        ExprKind::Lit(Lit::Int(_) | Lit::Float(_) | Lit::Duration(_) | Lit::Ip(_) | Lit::Cidr(_))
    );
    if numeric {
        out.push('(');
        write_bare(out, base);
        out.push(')');
    } else {
        write_expr(out, base, Prec::Atom);
    }
}

fn join(out: &mut String, items: &[Expr], sep: &str, min: Prec) {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_expr(out, e, min);
    }
}

fn lit(out: &mut String, l: &Lit) {
    match l {
        Lit::Str(s) => string(out, s),
        Lit::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Lit::Float(f) => {
            // `Display` for f64 never uses an exponent and prints the
            // shortest text that reads back as the same number.
            let text = f.to_string();
            out.push_str(&text);
            if !text.contains('.') {
                out.push_str(".0");
            }
        }
        Lit::Duration(secs) => duration(out, *secs),
        Lit::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Lit::Null => out.push_str("null"),
        Lit::Ip(t) | Lit::Cidr(t) => out.push_str(t),
    }
}

/// A duration in the largest unit that divides it exactly.
fn duration(out: &mut String, secs: i64) {
    let (n, unit) = if secs != 0 && secs % 86_400 == 0 {
        (secs / 86_400, 'd')
    } else if secs != 0 && secs % 3_600 == 0 {
        (secs / 3_600, 'h')
    } else if secs != 0 && secs % 60 == 0 {
        (secs / 60, 'm')
    } else {
        (secs, 's')
    };
    let _ = write!(out, "{n}{unit}");
}

/// A string literal with the canonical escapes: `\"`, `\\`, `\n`, `\t`, and
/// `\u{..}` for every other control character.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `require mfa ...`, `skip mfa`, `deny ...`.
pub(crate) fn effect(e: &Effect) -> String {
    let mut out = String::new();
    match e {
        Effect::Require {
            using,
            remember_browser,
            then,
        } => {
            out.push_str("require mfa");
            match using {
                Some(Using::Provider(p)) => {
                    out.push_str(" using ");
                    string(&mut out, &p.node);
                }
                Some(Using::Factors(list)) => factors(&mut out, &list.node),
                None => {}
            }
            then_steps(&mut out, then);
            if remember_browser.is_some() {
                out.push_str(" with remember_browser");
            }
        }
        Effect::Enroll { factors: fs, then } => {
            out.push_str("enroll mfa");
            factors(&mut out, &fs.node);
            then_steps(&mut out, then);
        }
        Effect::Skip => out.push_str("skip mfa"),
        Effect::Exempt => out.push_str("exempt"),
        Effect::Deny { reason } => {
            out.push_str("deny");
            if let Some(r) = reason {
                out.push(' ');
                string(&mut out, &r.node);
            }
        }
    }
    out
}

/// ` using factors [...]` or ` using factors NAME`.
fn factors(out: &mut String, fs: &Factors) {
    out.push_str(" using factors ");
    match fs {
        Factors::Let(name) => out.push_str(name),
        Factors::List(list) => {
            out.push('[');
            for (i, f) in list.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(out, &f.node);
            }
            out.push(']');
        }
    }
}

/// ` then challenge|enroll using factors ...` for each later step.
fn then_steps(out: &mut String, then: &[ThenStep]) {
    for t in then {
        out.push_str(" then ");
        out.push_str(t.kind.as_str());
        factors(out, &t.factors.node);
    }
}

/// A type as written after `declare PATH:`.
pub(crate) fn type_expr(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(n) => n.to_string(),
        TypeExpr::List(inner) => format!("list<{}>", type_expr(&inner.node)),
        TypeExpr::Optional(inner) => format!("{}?", type_expr(&inner.node)),
    }
}
