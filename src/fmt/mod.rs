//! The canonical formatter behind `mfapol fmt` (SPEC §9).
//!
//! [`format`] parses a policy and prints its tree in one layout, described in
//! `docs/formatting.md`, keeping every comment. The syntax tree has no
//! comments, so they are found in the text (`#` outside a string, to the end
//! of the line) and attached by position: a comment on the line where an
//! item ends trails it; other comments lead the next item. Inside an item,
//! comments between the top-level `and`/`or` operands of a condition, and
//! between the elements of a `let` list, stay where they are; any other
//! comment inside an item moves above the item.
//!
//! The result is idempotent (`format(format(x)) == format(x)`), reads back as
//! the same tree (`parse(format(x)) == parse(x)`) and keeps the comments in
//! their order.
//!
//! ```
//! let messy = "let office=[10.0.0.0/8 ,192.168.0.0/16]\nrule r : require  mfa when not(ip in office) # outside\n";
//! assert_eq!(
//!     mfapol::fmt::format(messy).unwrap(),
//!     "let office = [10.0.0.0/8, 192.168.0.0/16]\n\nrule r:\n  require mfa when not ip in office  # outside\n",
//! );
//! ```

mod comments;
mod expr;

use crate::source::Span;
use crate::syntax::ast::{Expr, ExprKind, Item, Let, Policy, Rule};
use crate::syntax::{self, SyntaxError};
use comments::{Attached, Comment, Placed};

/// The line width the formatter keeps to where it can break a line.
pub const MAX_WIDTH: usize = 100;

/// Indentation of a named rule's body under `rule NAME:`.
const RULE_INDENT: usize = 2;

/// Indentation of a continuation line relative to the line it continues.
const CONTINUATION: usize = 4;

/// Formats a policy file in the canonical layout, keeping every comment.
///
/// Fails only when the text does not parse. The output uses `\n` line endings
/// and ends with one newline (an empty policy formats to the empty string).
pub fn format(text: &str) -> Result<String, SyntaxError> {
    let policy = syntax::parse(text)?;
    // A duration literal keeps the unit it was written in (`24h` stays `24h`).
    Ok(expr::with_source(text, || print_policy(text, &policy)))
}

fn print_policy(text: &str, policy: &Policy) -> String {
    let all = comments::scan(text);
    let cx = Cx { text, all: &all };
    let spans: Vec<_> = policy.items.iter().map(|i| cx.item_span(i)).collect();
    let att = comments::attach(text, all.clone(), &spans, None);
    let mut out = Lines::default();
    let mut prev: Option<&Item> = None;
    for (item, slot) in policy.items.iter().zip(att.slots) {
        if prev.is_some_and(|p| is_rule(p) || is_rule(item)) {
            out.blank();
        }
        out.comments(&slot.leading, 0, true);
        if slot.blank_before {
            out.blank();
        }
        let printed = print_item_in_order(&cx, item, slot.inner);
        for c in &printed.hoisted {
            out.line(c.text.clone());
        }
        out.lines.extend(printed.lines);
        if let Some(c) = &slot.trailing {
            out.trail(c);
        }
        prev = Some(item);
    }
    out.comments(&att.after, 0, true);
    out.finish()
}

fn is_rule(item: &Item) -> bool {
    matches!(item, Item::Rule(_) | Item::Assert(_))
}

/// The source text and all its comments.
struct Cx<'a> {
    text: &'a str,
    all: &'a [Comment],
}

impl Cx<'_> {
    /// A node's byte range, without the whitespace and comments that pest
    /// includes at the end of a rule ending in a repetition or an option.
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "offsets inside the policy text and indentation widths bounded by the nesting limit"
    )]
    fn span(&self, s: Span) -> (usize, usize) {
        let start = s.start as usize;
        let mut end = s.end as usize;
        let bytes = self.text.as_bytes();
        loop {
            while end > start && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
                end -= 1;
            }
            let i = self.all.partition_point(|c| c.start < end);
            match i.checked_sub(1).and_then(|i| self.all.get(i)) {
                Some(c) if c.start >= start && end <= c.end => end = c.start,
                _ => return (start, end),
            }
        }
    }

    fn expr_span(&self, e: &Expr) -> (usize, usize) {
        self.span(e.span)
    }

    /// An item's byte range. A `default` item's span is its effect's, so
    /// the keyword before it is looked up in the text.
    fn item_span(&self, item: &Item) -> (usize, usize) {
        match item {
            Item::Let(l) => self.span(l.span),
            Item::Include(i) => self.span(i.span),
            Item::Declare(d) => self.span(d.span),
            Item::Rule(r) => self.span(r.span),
            Item::Assert(a) => self.span(a.span),
            Item::Default(e) => {
                let (start, end) = self.span(e.span);
                let before = self.text.get(..start).unwrap_or("").trim_end();
                let start = before.strip_suffix("default").map_or(start, str::len);
                (start, end)
            }
        }
    }
}

/// An item's lines, and the comments inside it that go above it.
struct Printed {
    hoisted: Vec<Comment>,
    lines: Vec<String>,
}

/// Prints an item. If comments that stay inside the item would come out
/// before comments moved above it, every inner comment moves above it
/// instead, and the item is laid out as if it had none: comments keep their
/// order, and a second run sees the same thing.
fn print_item_in_order(cx: &Cx<'_>, item: &Item, inner: Vec<Comment>) -> Printed {
    let printed = print_item(cx, item, inner.clone());
    let in_order = printed.hoisted.len() <= inner.len()
        && printed
            .hoisted
            .iter()
            .zip(&inner)
            .all(|(a, b)| a.start == b.start);
    if in_order {
        return printed;
    }
    let mut plain = print_item(cx, item, Vec::new());
    plain.hoisted = inner;
    plain
}

fn print_item(cx: &Cx<'_>, item: &Item, inner: Vec<Comment>) -> Printed {
    match item {
        Item::Let(l) => print_let(cx, l, inner),
        Item::Include(i) => {
            let mut line = String::from("include ");
            expr::string(&mut line, &i.path.node);
            Printed {
                hoisted: inner,
                lines: vec![line],
            }
        }
        Item::Rule(r) => print_rule(cx, r, inner, "rule", ""),
        Item::Assert(a) => {
            // Laid out like a named rule without `unless`.
            let as_rule = Rule {
                name: Some(a.name.clone()),
                effect: a.effect.clone(),
                when: a.when.clone(),
                unless: None,
                span: a.span,
            };
            print_rule(cx, &as_rule, inner, "assert", a.mode.prefix())
        }
        Item::Declare(d) => {
            let path: Vec<&str> = d.path.iter().map(|p| &*p.node).collect();
            let line = format!(
                "declare {}: {}",
                path.join("."),
                expr::type_expr(&d.ty.node)
            );
            Printed {
                hoisted: inner,
                lines: vec![line],
            }
        }
        Item::Default(e) => Printed {
            hoisted: inner,
            lines: vec![format!("default {}", expr::effect(&e.node))],
        },
    }
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "offsets inside the policy text and indentation widths bounded by the nesting limit"
)]
fn print_let(cx: &Cx<'_>, l: &Let, inner: Vec<Comment>) -> Printed {
    let head = format!("let {} = ", l.name.node);
    let one_line = format!("{head}{}", expr::expr(&l.value));
    let (mut hoisted, in_value) = split_at(inner, cx.expr_span(&l.value).0);
    let mut out = Lines::default();
    match &l.value.node {
        ExprKind::List(elems) => {
            let start = cx.expr_span(&l.value).0;
            let open = (cx.text.as_bytes().get(start) == Some(&b'[')).then_some(start + 1);
            let mut att = attach_to(cx, in_value, elems, open, &mut hoisted);
            if !att.any() && width(&one_line) <= MAX_WIDTH {
                out.line(one_line);
            } else {
                // One element per line, with a trailing comma.
                out.line(format!("{head}["));
                if let Some(c) = &att.opening {
                    out.trail(c);
                }
                for (e, slot) in elems.iter().zip(&mut att.slots) {
                    out.comments(&slot.leading, CONTINUATION, true);
                    if slot.blank_before {
                        out.blank();
                    }
                    out.line(format!("{}{},", pad(CONTINUATION), expr::expr(e)));
                    if let Some(c) = &slot.trailing {
                        out.trail(c);
                    }
                }
                out.comments(&att.after, CONTINUATION, true);
                out.line("]".to_string());
            }
        }
        _ => {
            let (operands, _) = operands(&l.value);
            let mut att = attach_to(cx, in_value, operands, None, &mut hoisted);
            // Comments before the first operand would share the `let` line,
            // and those after the last would meet the item's own trailing
            // comment: both go above the item.
            if let Some(first) = att.slots.first_mut() {
                hoisted.extend(first.leading.drain(..).map(|p| p.comment));
            }
            if let Some(last) = att.slots.last_mut() {
                hoisted.extend(last.trailing.take());
            }
            hoisted.extend(att.after.drain(..).map(|p| p.comment));
            clause(&mut out, 0, &head, &l.value, att);
        }
    }
    hoisted.sort_by_key(|c| c.start);
    Printed {
        hoisted,
        lines: out.lines,
    }
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "offsets inside the policy text and indentation widths bounded by the nesting limit"
)]
/// Prints a rule, or an assertion (`head` is `assert`, `mode` the words
/// before its effect).
fn print_rule(cx: &Cx<'_>, r: &Rule, inner: Vec<Comment>, head: &str, mode: &str) -> Printed {
    let effect_end = cx.span(r.effect.span).1;
    let (mut hoisted, rest) = split_at(inner, effect_end);
    let unless_start = r.unless.as_ref().map_or(usize::MAX, |u| cx.expr_span(u).0);
    let (in_when, in_unless) = split_at(rest, unless_start);
    let mut when_att = attach_to(
        cx,
        in_when,
        operands(&r.when).0,
        Some(effect_end),
        &mut hoisted,
    );
    let mut unless_att = r
        .unless
        .as_ref()
        .map(|u| attach_to(cx, in_unless, operands(u).0, None, &mut hoisted));
    // Comments after the last operand of the last clause would meet the
    // item's own trailing comment: they go above the item.
    let last_att = unless_att.as_mut().unwrap_or(&mut when_att);
    if let Some(last) = last_att.slots.last_mut() {
        hoisted.extend(last.trailing.take());
    }
    hoisted.extend(last_att.after.drain(..).map(|p| p.comment));
    hoisted.sort_by_key(|c| c.start);

    let indent = if r.name.is_some() { RULE_INDENT } else { 0 };
    let effect = format!("{mode}{}", expr::effect(&r.effect.node));
    let mut one_line = format!("{}{effect} when {}", pad(indent), expr::expr(&r.when));
    if let Some(u) = &r.unless {
        one_line.push_str(" unless ");
        one_line.push_str(&expr::expr(u));
    }
    let has_comments = when_att.any() || unless_att.as_ref().is_some_and(Attached::any);
    let mut out = Lines::default();
    if let Some(name) = &r.name {
        out.line(format!("{head} {}:", name.node));
    }
    if !has_comments && width(&one_line) <= MAX_WIDTH {
        out.line(one_line);
    } else {
        out.line(format!("{}{effect}", pad(indent)));
        if let Some(c) = &when_att.opening {
            out.trail(c);
        }
        clause(&mut out, indent + CONTINUATION, "when ", &r.when, when_att);
        if let (Some(u), Some(att)) = (&r.unless, unless_att) {
            clause(&mut out, indent + CONTINUATION, "unless ", u, att);
        }
    }
    Printed {
        hoisted,
        lines: out.lines,
    }
}

/// Prints `PREFIX CONDITION` at `indent`: on one line when it fits and no
/// comment sits between operands, otherwise one top-level `and`/`or`
/// operand per line, continuation lines indented further and starting with
/// the operator.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "offsets inside the policy text and indentation widths bounded by the nesting limit"
)]
fn clause(out: &mut Lines, indent: usize, prefix: &str, e: &Expr, att: Attached) {
    let (ops, joiner) = operands(e);
    let one_line = format!("{}{prefix}{}", pad(indent), expr::expr(e));
    let last = att.slots.len().saturating_sub(1);
    let between = att
        .slots
        .iter()
        .enumerate()
        .any(|(i, s)| (i > 0 && !s.leading.is_empty()) || (i < last && s.trailing.is_some()));
    let broken = between || width(&one_line) > MAX_WIDTH;
    let mut slots = att.slots.into_iter();
    for (i, o) in ops.iter().enumerate() {
        let slot = slots.next().unwrap_or_default();
        let at = if i == 0 {
            indent
        } else {
            indent + CONTINUATION
        };
        out.comments(&slot.leading, at, false);
        if i == 0 {
            if broken {
                let min =
                    joiner.map_or(expr::Prec::Quant, |(_, is_and)| expr::operand_prec(is_and));
                out.line(format!("{}{prefix}{}", pad(indent), expr::expr_at(o, min)));
            } else {
                out.line(one_line.clone());
            }
        } else if broken {
            if let Some((word, is_and)) = joiner {
                let o = expr::expr_at(o, expr::operand_prec(is_and));
                out.line(format!("{}{word} {o}", pad(at)));
            }
        }
        if let Some(c) = &slot.trailing {
            if broken || i == last {
                out.trail(c);
            }
        }
    }
    out.comments(&att.after, indent, false);
}

/// The top-level operands of a condition, and the operator that joins them
/// (`None` for a single operand).
fn operands(e: &Expr) -> (&[Expr], Option<(&'static str, bool)>) {
    match &e.node {
        ExprKind::And(v) => (v, Some(("and", true))),
        ExprKind::Or(v) => (v, Some(("or", false))),
        _ => (std::slice::from_ref(e), None),
    }
}

/// Attaches comments to a sequence of expressions; comments inside one of
/// them go to `hoisted`.
fn attach_to(
    cx: &Cx<'_>,
    comments: Vec<Comment>,
    elems: &[Expr],
    open: Option<usize>,
    hoisted: &mut Vec<Comment>,
) -> Attached {
    let spans: Vec<_> = elems.iter().map(|e| cx.expr_span(e)).collect();
    let mut att = comments::attach(cx.text, comments, &spans, open);
    for slot in &mut att.slots {
        hoisted.append(&mut slot.inner);
    }
    att
}

/// Splits sorted comments into those before `offset` and the rest.
fn split_at(mut comments: Vec<Comment>, offset: usize) -> (Vec<Comment>, Vec<Comment>) {
    let at = comments.partition_point(|c| c.start < offset);
    let rest = comments.split_off(at);
    (comments, rest)
}

fn width(line: &str) -> usize {
    line.chars().count()
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Output lines under construction.
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
}

impl Lines {
    fn line(&mut self, line: String) {
        self.lines.push(line);
    }

    /// One empty line, never two in a row, never at the start.
    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    /// Comments on their own lines; `blanks` keeps the blank lines before them.
    fn comments(&mut self, comments: &[Placed], indent: usize, blanks: bool) {
        for p in comments {
            if blanks && p.blank_before {
                self.blank();
            }
            self.line(format!("{}{}", pad(indent), p.comment.text));
        }
    }

    /// A comment at the end of the last line.
    fn trail(&mut self, c: &Comment) {
        match self.lines.last_mut() {
            Some(l) if !l.is_empty() => {
                l.push_str("  ");
                l.push_str(&c.text);
            }
            _ => self.lines.push(c.text.clone()),
        }
    }

    fn finish(self) -> String {
        let mut s = self.lines.join("\n");
        if !s.is_empty() {
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests;
