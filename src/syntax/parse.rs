//! Text -> [`ast::Policy`]. The only module that sees pest types.

use super::ast::*;
use super::diagnose::detailed_error;
use super::error::SyntaxError;
use crate::source::Span;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use std::sync::{Arc, LazyLock};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/mfapolicy.pest"]
pub(super) struct PolicyParser;

/// The deepest nesting of brackets, prefix operators or expression tree the
/// parser accepts. Real policies stay far below; the bound keeps hostile input
/// from overflowing the stack in the parser, checker or interpreter.
pub const MAX_DEPTH: usize = 128;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::prefix(Rule::quantifier))
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::eq_op, Assoc::Left)
            | Op::infix(Rule::ne_op, Assoc::Left)
            | Op::infix(Rule::lt_op, Assoc::Left)
            | Op::infix(Rule::le_op, Assoc::Left)
            | Op::infix(Rule::gt_op, Assoc::Left)
            | Op::infix(Rule::ge_op, Assoc::Left)
            | Op::infix(Rule::in_op, Assoc::Left)
            | Op::infix(Rule::not_in_op, Assoc::Left)
            | Op::infix(Rule::starts_with_op, Assoc::Left)
            | Op::infix(Rule::ends_with_op, Assoc::Left)
            | Op::infix(Rule::contains_op, Assoc::Left)
            | Op::infix(Rule::matches_op, Assoc::Left))
        .op(Op::infix(Rule::add_op, Assoc::Left) | Op::infix(Rule::sub_op, Assoc::Left))
});

/// Parses a whole policy file.
pub fn parse(text: &str) -> Result<Policy, SyntaxError> {
    check_bracket_depth(text)?;
    let mut pairs =
        PolicyParser::parse(Rule::policy, text).map_err(|_| detailed_error(Rule::policy, text))?;
    let mut items = Vec::new();
    let Some(policy) = pairs.next() else {
        return Ok(Policy::default());
    };
    check_nesting(policy.clone())?;
    for pair in policy.into_inner() {
        match pair.as_rule() {
            Rule::EOI => {}
            _ => items.push(item(pair)?),
        }
    }
    Ok(Policy { items })
}

/// Parses a single expression (used by test files for override values).
pub fn parse_expr(text: &str) -> Result<Expr, SyntaxError> {
    check_bracket_depth(text)?;
    let pairs =
        PolicyParser::parse(Rule::expr, text).map_err(|_| detailed_error(Rule::expr, text))?;
    let end = pairs.as_str().len();
    let rest = text.get(end..).unwrap_or_default();
    if !rest.trim().is_empty() {
        let start = text.len().saturating_sub(rest.trim_start().len());
        return Err(SyntaxError::Unexpected {
            message: "unexpected text after the expression".into(),
            span: Span::new(start, text.len()).into(),
            label: "unexpected".into(),
            help: None,
        });
    }
    let mut pairs = pairs;
    match pairs.next() {
        Some(p) => {
            check_nesting(p.clone())?;
            Ok(expr(p)?.0)
        }
        None => Err(SyntaxError::Unexpected {
            message: "expected an expression".into(),
            span: Span::new(0, 0).into(),
            label: "here".into(),
            help: None,
        }),
    }
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Spanned::new(Arc::from(pair.as_str()), span_of(&pair))
}

fn item(pair: Pair<'_, Rule>) -> Result<Item, SyntaxError> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
    let mut next = || inner.next().ok_or_else(|| internal(span));
    Ok(match rule {
        Rule::include_item => Item::Include(Include {
            path: string(next()?)?,
            span,
        }),
        Rule::let_item => {
            let name = ident(next()?);
            let value = expr(next()?)?.0;
            Item::Let(Let { name, value, span })
        }
        Rule::declare_item => {
            let path = next()?.into_inner().map(ident).collect();
            let ty = type_expr(next()?)?;
            Item::Declare(Declare { path, ty, span })
        }
        Rule::default_item => Item::Default(effect(next()?)?),
        Rule::assert_item => {
            let name = ident(next()?);
            let mut p = next()?;
            let mode = if p.as_rule() == Rule::assert_mode {
                let mode = if p.as_str().starts_with("never") {
                    AssertMode::Never
                } else {
                    AssertMode::AtLeast
                };
                p = next()?;
                mode
            } else {
                AssertMode::Exactly
            };
            let effect = effect(p)?;
            let when = clause(next()?)?;
            Item::Assert(Assert {
                name,
                mode,
                effect,
                when,
                span,
            })
        }
        Rule::rule_item | Rule::anon_rule => {
            let name = if rule == Rule::rule_item {
                Some(ident(next()?))
            } else {
                None
            };
            let effect = effect(next()?)?;
            let when = clause(next()?)?;
            let unless = match inner.next() {
                Some(p) => Some(clause(p)?),
                None => None,
            };
            Item::Rule(Rule_ {
                name,
                effect,
                when,
                unless,
                span,
            })
        }
        _ => return Err(internal(span)),
    })
}

// The AST's `Rule` collides with pest's generated `Rule` enum in this module.
use super::ast::Rule as Rule_;

fn clause(pair: Pair<'_, Rule>) -> Result<Expr, SyntaxError> {
    let span = span_of(&pair);
    let e = pair
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| internal(span))?;
    Ok(expr(e)?.0)
}

fn effect(pair: Pair<'_, Rule>) -> Result<Spanned<Effect>, SyntaxError> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let inner: Vec<_> = pair
        .into_inner()
        .filter(|p| !is_keyword(p.as_rule()))
        .collect();
    let node = match rule {
        Rule::skip_effect => Effect::Skip,
        Rule::exempt_effect => Effect::Exempt,
        Rule::deny_effect => Effect::Deny {
            reason: match inner.into_iter().next() {
                Some(p) => Some(string(p)?),
                None => None,
            },
        },
        Rule::require_effect => {
            let mut using = None;
            let mut remember_browser = None;
            let mut then = Vec::new();
            for p in inner {
                match p.as_rule() {
                    Rule::using_provider => {
                        let s = p
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::string)
                            .ok_or_else(|| internal(span))?;
                        using = Some(Using::Provider(string(s)?));
                    }
                    Rule::using_factors => using = Some(Using::Factors(factor_list(p)?)),
                    Rule::then_step => then.push(then_step(p)?),
                    Rule::remember => {
                        if !p.as_str().is_empty() {
                            remember_browser = Some(span_of(&p));
                        }
                    }
                    _ => return Err(internal(span)),
                }
            }
            Effect::Require {
                using,
                remember_browser,
                then,
            }
        }
        Rule::enroll_effect => {
            let mut factors = None;
            let mut then = Vec::new();
            for p in inner {
                match p.as_rule() {
                    Rule::using_factors => factors = Some(factor_list(p)?),
                    Rule::then_step => then.push(then_step(p)?),
                    _ => return Err(internal(span)),
                }
            }
            Effect::Enroll {
                factors: factors.ok_or_else(|| internal(span))?,
                then,
            }
        }
        _ => return Err(internal(span)),
    };
    Ok(Spanned::new(node, span))
}

/// `then challenge|enroll using factors ...`
fn then_step(pair: Pair<'_, Rule>) -> Result<ThenStep, SyntaxError> {
    let span = span_of(&pair);
    let mut kind = None;
    let mut factors = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_challenge => kind = Some(StepKind::Challenge),
            Rule::kw_enroll => kind = Some(StepKind::Enroll),
            Rule::using_factors => factors = Some(factor_list(p)?),
            _ => {}
        }
    }
    Ok(ThenStep {
        kind: kind.ok_or_else(|| internal(span))?,
        factors: factors.ok_or_else(|| internal(span))?,
        span,
    })
}

/// `using factors [...]` or `using factors NAME`.
fn factor_list(pair: Pair<'_, Rule>) -> Result<Spanned<Factors>, SyntaxError> {
    let span = span_of(&pair);
    let item = pair
        .into_inner()
        .find(|p| matches!(p.as_rule(), Rule::list | Rule::ident))
        .ok_or_else(|| internal(span))?;
    let lspan = span_of(&item);
    if item.as_rule() == Rule::ident {
        return Ok(Spanned::new(Factors::Let(item.as_str().to_string()), lspan));
    }
    let mut factors = Vec::new();
    for e in item.into_inner() {
        let (e, _) = expr(e)?;
        match e.node {
            ExprKind::Lit(Lit::Str(s)) => factors.push(Spanned::new(s, e.span)),
            _ => {
                return Err(SyntaxError::Unexpected {
                    message: "expected a factor name as a string".into(),
                    span: e.span.into(),
                    label: "not a string".into(),
                    help: Some(
                        "write factors as strings: `using factors [\"otp\", \"webauthn-roaming\"]`"
                            .into(),
                    ),
                })
            }
        }
    }
    Ok(Spanned::new(Factors::List(factors), lspan))
}

fn type_expr(pair: Pair<'_, Rule>) -> Result<Spanned<TypeExpr>, SyntaxError> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let atom = inner.next().ok_or_else(|| internal(span))?;
    let aspan = span_of(&atom);
    let base = match atom.as_rule() {
        Rule::type_name => TypeExpr::Named(Arc::from(atom.as_str())),
        Rule::list_type => {
            let t = atom.into_inner().next().ok_or_else(|| internal(span))?;
            TypeExpr::List(Box::new(type_expr(t)?))
        }
        _ => return Err(internal(span)),
    };
    let base = Spanned::new(base, aspan);
    Ok(match inner.next() {
        Some(_) => Spanned::new(TypeExpr::Optional(Box::new(base)), span),
        None => base,
    })
}

fn string(pair: Pair<'_, Rule>) -> Result<Spanned<String>, SyntaxError> {
    let span = span_of(&pair);
    let mut out = String::new();
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::raw_chars => out.push_str(part.as_str()),
            Rule::escape => {
                let t = part.as_str();
                match t {
                    "\\\"" => out.push('"'),
                    "\\\\" => out.push('\\'),
                    "\\n" => out.push('\n'),
                    "\\t" => out.push('\t'),
                    _ => {
                        let hex = t.trim_start_matches("\\u{").trim_end_matches('}');
                        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                            Some(c) => out.push(c),
                            None => {
                                return Err(SyntaxError::InvalidEscape {
                                    text: t.to_string(),
                                    span: span_of(&part).into(),
                                })
                            }
                        }
                    }
                }
            }
            _ => return Err(internal(span)),
        }
    }
    Ok(Spanned::new(out, span))
}

/// Folds an `expr` pair; returns the expression and its tree depth.
fn expr(pair: Pair<'_, Rule>) -> Result<(Expr, usize), SyntaxError> {
    let pairs = pair.into_inner();
    check_prefix_runs(&pairs)?;
    PRATT
        .map_primary(operand)
        .map_prefix(|op, rhs| {
            let (rhs, depth) = rhs?;
            let depth = deeper(depth, &op)?;
            let span = span_of(&op).to(rhs.span);
            let node = match op.as_rule() {
                Rule::not_op => ExprKind::Not(Box::new(rhs)),
                Rule::quantifier => {
                    let q = if op.as_str().starts_with("any") {
                        Quantifier::Any
                    } else {
                        Quantifier::All
                    };
                    let mut inner = op.into_inner().filter(|p| !is_keyword(p.as_rule()));
                    let var = ident(inner.next().ok_or_else(|| internal(span))?);
                    let (list, _) = operand(inner.next().ok_or_else(|| internal(span))?)?;
                    ExprKind::Quant(q, var, Box::new(list), Box::new(rhs))
                }
                _ => return Err(internal(span)),
            };
            Ok((Spanned::new(node, span), depth))
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, ld) = lhs?;
            let (rhs, rd) = rhs?;
            let span = lhs.span.to(rhs.span);
            // `and`/`or` chains are flattened into one node, so a long chain
            // is wide, not deep: a flattened side adds no level.
            let flat_depth = |same: fn(&ExprKind) -> bool| {
                // Depths are bounded by MAX_DEPTH, far from overflowing.
                let dl = if same(&lhs.node) {
                    ld
                } else {
                    ld.saturating_add(1)
                };
                let dr = if same(&rhs.node) {
                    rd
                } else {
                    rd.saturating_add(1)
                };
                deeper(dl.max(dr).saturating_sub(1), &op)
            };
            let bin = match op.as_rule() {
                Rule::or_op => {
                    let depth = flat_depth(|e| matches!(e, ExprKind::Or(_)))?;
                    let v = flatten(lhs, rhs, |e| matches!(e, ExprKind::Or(_)));
                    return Ok((Spanned::new(ExprKind::Or(v), span), depth));
                }
                Rule::and_op => {
                    let depth = flat_depth(|e| matches!(e, ExprKind::And(_)))?;
                    let v = flatten(lhs, rhs, |e| matches!(e, ExprKind::And(_)));
                    return Ok((Spanned::new(ExprKind::And(v), span), depth));
                }
                Rule::eq_op => BinOp::Eq,
                Rule::ne_op => BinOp::Ne,
                Rule::lt_op => BinOp::Lt,
                Rule::le_op => BinOp::Le,
                Rule::gt_op => BinOp::Gt,
                Rule::ge_op => BinOp::Ge,
                Rule::in_op => BinOp::In,
                Rule::not_in_op => BinOp::NotIn,
                Rule::starts_with_op => BinOp::StartsWith,
                Rule::ends_with_op => BinOp::EndsWith,
                Rule::contains_op => BinOp::Contains,
                Rule::matches_op => BinOp::Matches,
                Rule::add_op => BinOp::Add,
                Rule::sub_op => BinOp::Sub,
                _ => return Err(internal(span)),
            };
            let depth = deeper(ld.max(rd), &op)?;
            let node = ExprKind::Binary(
                Spanned::new(bin, span_of(&op)),
                Box::new(lhs),
                Box::new(rhs),
            );
            Ok((Spanned::new(node, span), depth))
        })
        .parse(pairs)
}

/// Joins two operands of one `and`/`or` chain. The chain so far (the left
/// operand) is extended in place, so an n-operand chain is built in O(n).
fn flatten(lhs: Expr, rhs: Expr, same: impl Fn(&ExprKind) -> bool) -> Vec<Expr> {
    let mut out = if same(&lhs.node) {
        match lhs.node {
            ExprKind::Or(v) | ExprKind::And(v) => v,
            other => vec![Spanned::new(other, lhs.span)],
        }
    } else {
        vec![lhs]
    };
    if same(&rhs.node) {
        match rhs.node {
            ExprKind::Or(v) | ExprKind::And(v) => out.extend(v),
            other => out.push(Spanned::new(other, rhs.span)),
        }
    } else {
        out.push(rhs);
    }
    out
}

fn deeper(depth: usize, at: &Pair<'_, Rule>) -> Result<usize, SyntaxError> {
    let depth = depth.saturating_add(1);
    if depth > MAX_DEPTH {
        return Err(SyntaxError::TooDeep {
            limit: MAX_DEPTH,
            span: span_of(at).into(),
        });
    }
    Ok(depth)
}

/// Pratt folding recurses once per prefix operator, before any of our
/// closures run, so long runs of `not` are refused up front.
fn check_prefix_runs(pairs: &Pairs<'_, Rule>) -> Result<(), SyntaxError> {
    let mut run = 0usize;
    for p in pairs.clone() {
        if matches!(p.as_rule(), Rule::not_op | Rule::quantifier) {
            run = run.saturating_add(1);
            if run > MAX_DEPTH {
                return Err(SyntaxError::TooDeep {
                    limit: MAX_DEPTH,
                    span: span_of(&p).into(),
                });
            }
        } else {
            run = 0;
        }
    }
    Ok(())
}

fn operand(pair: Pair<'_, Rule>) -> Result<(Expr, usize), SyntaxError> {
    if pair.as_rule() == Rule::quantifier {
        return Err(internal(span_of(&pair)));
    }
    let mut inner = pair.into_inner();
    let first = inner.next().ok_or_else(|| internal(Span::default()))?;
    let (mut e, mut depth) = primary(first)?;
    for acc in inner {
        depth = deeper(depth, &acc)?;
        let aspan = span_of(&acc);
        let span = e.span.to(aspan);
        let rule = acc.as_rule();
        let key = acc.into_inner().next().ok_or_else(|| internal(aspan))?;
        e = match rule {
            Rule::field_access => Spanned::new(ExprKind::Field(Box::new(e), ident(key)), span),
            Rule::index_access => {
                let kspan = span_of(&key);
                let k = match key.as_rule() {
                    Rule::integer => IndexKey::Int(int(&key)?),
                    _ => IndexKey::Str(string(key)?.node),
                };
                Spanned::new(ExprKind::Index(Box::new(e), Spanned::new(k, kspan)), span)
            }
            _ => return Err(internal(aspan)),
        };
    }
    Ok((e, depth))
}

fn int(pair: &Pair<'_, Rule>) -> Result<i64, SyntaxError> {
    pair.as_str()
        .parse::<i64>()
        .map_err(|_| SyntaxError::NumberOutOfRange {
            text: pair.as_str().to_string(),
            span: span_of(pair).into(),
        })
}

fn primary(pair: Pair<'_, Rule>) -> Result<(Expr, usize), SyntaxError> {
    let span = span_of(&pair);
    let lit = |l: Lit| Ok((Spanned::new(ExprKind::Lit(l), span), 1));
    match pair.as_rule() {
        Rule::paren => {
            let inner = pair.into_inner().next().ok_or_else(|| internal(span))?;
            let (mut e, d) = expr(inner)?;
            // The parentheses belong to the expression's span, so labels
            // underline what the user wrote.
            e.span = span;
            Ok((e, d))
        }
        Rule::list => {
            let mut items = Vec::new();
            let mut depth = 1;
            for p in pair.into_inner() {
                let (e, d) = expr(p)?;
                depth = depth.max(d.saturating_add(1));
                items.push(e);
            }
            Ok((Spanned::new(ExprKind::List(items), span), depth))
        }
        Rule::name => {
            let mut inner = pair.into_inner();
            let id = ident(inner.next().ok_or_else(|| internal(span))?);
            let Some(args_pair) = inner.next() else {
                // The pair's span may include the whitespace pest skipped
                // looking for arguments; the name is the identifier.
                let span = id.span;
                return Ok((Spanned::new(ExprKind::Name(id.node), span), 1));
            };
            let mut args = Vec::new();
            let mut depth = 1;
            for p in args_pair.into_inner() {
                let (e, d) = expr(p)?;
                depth = depth.max(d.saturating_add(1));
                args.push(e);
            }
            Ok((Spanned::new(ExprKind::Call(id, args), span), depth))
        }
        Rule::string => {
            let s = string(pair)?;
            lit(Lit::Str(s.node))
        }
        Rule::integer => lit(Lit::Int(int(&pair)?)),
        Rule::float => match pair.as_str().parse::<f64>() {
            Ok(f) if f.is_finite() => lit(Lit::Float(f)),
            _ => Err(SyntaxError::NumberOutOfRange {
                text: pair.as_str().to_string(),
                span: span.into(),
            }),
        },
        Rule::duration => {
            let t = pair.as_str();
            // The grammar ends a duration with one ASCII unit letter.
            let (num, unit) = t.split_at(t.len().saturating_sub(1));
            let mult: i64 = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => 86400,
            };
            // Seconds, and milliseconds (as evaluation holds durations)
            // must both fit: an out-of-range literal is an error, never clamped.
            let secs = num.parse::<i64>().ok().and_then(|n| n.checked_mul(mult));
            match secs.filter(|s| s.checked_mul(1000).is_some()) {
                Some(secs) => lit(Lit::Duration(secs)),
                None => Err(SyntaxError::NumberOutOfRange {
                    text: t.to_string(),
                    span: span.into(),
                }),
            }
        }
        Rule::ipv4 | Rule::ipv6 => lit(Lit::Ip(pair.as_str().to_string())),
        Rule::cidr => lit(Lit::Cidr(pair.as_str().to_string())),
        Rule::kw_true => lit(Lit::Bool(true)),
        Rule::kw_false => lit(Lit::Bool(false)),
        Rule::kw_null => lit(Lit::Null),
        Rule::kw_now => Ok((Spanned::new(ExprKind::Now, span), 1)),
        _ => Err(internal(span)),
    }
}

/// Rules the grammar makes atomic (`@{}` / `${}`): lexical tokens, which
/// contain no expression.
fn is_token(rule: Rule) -> bool {
    is_keyword(rule)
        || matches!(
            rule,
            Rule::ident
                | Rule::field_name
                | Rule::type_name
                | Rule::string
                | Rule::raw_chars
                | Rule::escape
                | Rule::integer
                | Rule::float
                | Rule::duration
                | Rule::ipv4
                | Rule::ipv6
                | Rule::cidr
        )
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_rule
            | Rule::kw_let
            | Rule::kw_declare
            | Rule::kw_default
            | Rule::kw_require
            | Rule::kw_skip
            | Rule::kw_deny
            | Rule::kw_mfa
            | Rule::kw_when
            | Rule::kw_unless
            | Rule::kw_using
            | Rule::kw_with
            | Rule::kw_factors
            | Rule::kw_remember_browser
            | Rule::kw_enroll
            | Rule::kw_include
            | Rule::kw_exempt
            | Rule::kw_then
            | Rule::kw_challenge
            | Rule::kw_assert
            | Rule::kw_any
            | Rule::kw_all
            | Rule::kw_in
    )
}

pub(super) fn internal(span: Span) -> SyntaxError {
    SyntaxError::Unexpected {
        message: "internal parser error: the grammar and the parser disagree".into(),
        span: span.into(),
        label: "here".into(),
        help: Some("this is a bug in mfapol; please report it with this policy".into()),
    }
}

/// Binding powers of the operators as [`PRATT`] assigns them (one level per
/// `.op` call, loosest first). Kept beside the table so the two agree; the
/// unit test `nesting_precedences_match_the_pratt_table` checks them.
fn binding_power(rule: Rule) -> Option<(bool, u8)> {
    Some(match rule {
        Rule::quantifier => (true, 1),
        Rule::or_op => (false, 2),
        Rule::and_op => (false, 3),
        Rule::not_op => (true, 4),
        Rule::eq_op
        | Rule::ne_op
        | Rule::lt_op
        | Rule::le_op
        | Rule::gt_op
        | Rule::ge_op
        | Rule::in_op
        | Rule::not_in_op
        | Rule::starts_with_op
        | Rule::ends_with_op
        | Rule::contains_op
        | Rule::matches_op => (false, 5),
        Rule::add_op | Rule::sub_op => (false, 6),
        _ => return None,
    })
}

/// Refuses a parse tree whose folding would nest deeper than [`MAX_DEPTH`],
/// before anything recursive runs over it. Iterative: it replays the Pratt
/// parser's recursion on each flat `expr` sequence with an explicit stack
/// (one frame per pending prefix or infix operator, as pest's `PrattParser`
/// recurses), so alternations such as `not a == not b == ...` and quantifier
/// chains are counted, and adds the nesting of lists, calls and types.
/// The nesting level inside an expression at `base` with these open Pratt
/// frames; the bottom frame is the expression itself, not a level.
fn level(base: usize, frames: &[u8]) -> usize {
    base.saturating_add(frames.len().saturating_sub(1))
}

fn check_nesting(root: Pair<'_, Rule>) -> Result<(), SyntaxError> {
    let too_deep = |span: Span| SyntaxError::TooDeep {
        limit: MAX_DEPTH,
        span: span.into(),
    };
    let mut work: Vec<(Pair<'_, Rule>, usize)> = vec![(root, 0)];
    while let Some((pair, base)) = work.pop() {
        match pair.as_rule() {
            Rule::expr => {
                // Right binding powers of the open frames; the bottom one is
                // the call for the whole expression.
                let mut frames: smallvec::SmallVec<[u8; 16]> = smallvec::smallvec![0];
                for p in pair.into_inner() {
                    let span = span_of(&p);
                    match binding_power(p.as_rule()) {
                        Some((true, power)) => {
                            // A quantifier's list operand nests where it stands.
                            work.push((p, level(base, &frames)));
                            frames.push(power.saturating_sub(1));
                        }
                        Some((false, power)) => {
                            while frames.last().is_some_and(|&rbp| rbp >= power) {
                                frames.pop();
                            }
                            frames.push(power);
                        }
                        None => work.push((p, level(base, &frames))),
                    }
                    if level(base, &frames) > MAX_DEPTH {
                        return Err(too_deep(span));
                    }
                }
            }
            // Tokens (atomic in the grammar) hold no expression, list or
            // type: nothing below them nests, and most pairs are tokens.
            rule if is_token(rule) => {}
            rule => {
                let step = usize::from(matches!(rule, Rule::list | Rule::args | Rule::list_type));
                let depth = base.saturating_add(step);
                if depth > MAX_DEPTH {
                    return Err(too_deep(span_of(&pair)));
                }
                for c in pair.into_inner() {
                    work.push((c, depth));
                }
            }
        }
    }
    Ok(())
}

/// Refuses bracket nesting deeper than [`MAX_DEPTH`] before pest, whose
/// recursive descent would otherwise recurse once per level.
fn check_bracket_depth(text: &str) -> Result<(), SyntaxError> {
    let bytes = text.as_bytes();
    let too_deep = |i: usize| SyntaxError::TooDeep {
        limit: MAX_DEPTH,
        span: Span::new(i, i.saturating_add(1)).into(),
    };
    let mut depth = 0usize;
    let mut type_depth = 0usize;
    let mut it = bytes.iter().enumerate();
    while let Some((i, &b)) = it.next() {
        match b {
            b'#' => {
                // A comment runs to the end of its line.
                it.by_ref().find(|(_, &c)| c == b'\n');
            }
            b'"' => {
                let mut closed = false;
                while let Some((_, &c)) = it.next() {
                    match c {
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        b'\\' => {
                            it.next();
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Err(SyntaxError::Unexpected {
                        message: "unterminated string".into(),
                        span: Span::new(i, i.saturating_add(1)).into(),
                        label: "this string has no closing `\"` on its line".into(),
                        help: Some(
                            "close the string with `\"`; write `\\n` for a line break inside it"
                                .into(),
                        ),
                    });
                }
            }
            b'<' if follows_list_word(bytes, i) => {
                // `list<...>` in a type: pest's rule for it recurses per level.
                // Counted apart from brackets, so a `>` in an expression
                // cannot hide a bracket.
                type_depth = type_depth.saturating_add(1);
                if type_depth > MAX_DEPTH {
                    return Err(too_deep(i));
                }
            }
            b'>' if type_depth > 0 && closes_type(bytes, i) => {
                type_depth = type_depth.saturating_sub(1);
            }
            b'(' | b'[' => {
                depth = depth.saturating_add(1);
                if depth > MAX_DEPTH {
                    return Err(too_deep(i));
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Whether the `<` at `i` follows the word `list` (spaces allowed between).
fn follows_list_word(bytes: &[u8], i: usize) -> bool {
    let before = bytes.get(..i).unwrap_or_default();
    let word = before.trim_ascii_end();
    word.ends_with(b"list")
        && !word
            .len()
            .checked_sub(5)
            .and_then(|j| word.get(j))
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
}

/// Whether the `>` at `i` closes a type: the previous non-space byte is part
/// of a type (a name, `>` or `?`), not an operator such as `=` or `-`.
fn closes_type(bytes: &[u8], i: usize) -> bool {
    let before = bytes.get(..i).unwrap_or_default().trim_ascii_end();
    before
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'>' | b'?'))
        && bytes.get(i..).and_then(|rest| rest.get(1)) != Some(&b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_layout_and_spans() {
        let a = parse("rule r: require mfa with remember_browser when not ip in office\nlet office = [10.0.0.0/8]\n").unwrap();
        let b = parse("# same policy\nrule   r :\n  require mfa\n    with remember_browser\n  when not (ip in office)\n\nlet office=[10.0.0.0/8,]\n").unwrap();
        assert_eq!(a, b);
        let c = parse("rule r: require mfa when not ip in office\nlet office = [10.0.0.0/8]\n")
            .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn precedence_follows_the_spec() {
        let e = parse_expr("not ip in office and a or b").unwrap();
        let ExprKind::Or(items) = &e.node else {
            panic!("{e:?}")
        };
        let ExprKind::And(inner) = &items[0].node else {
            panic!("{e:?}")
        };
        let ExprKind::Not(x) = &inner[0].node else {
            panic!("{e:?}")
        };
        assert!(matches!(x.node, ExprKind::Binary(ref op, _, _) if op.node == BinOp::In));
        // A quantifier body extends as far right as it can.
        let q = parse_expr("any m in methods: m.name == \"mfa\" and m.x > 1").unwrap();
        let ExprKind::Quant(_, _, _, body) = &q.node else {
            panic!("{q:?}")
        };
        assert!(matches!(body.node, ExprKind::And(_)));
    }

    #[test]
    fn literals_and_crlf() {
        let p = parse("rule r:\r\n  deny \"a\\\"b\\u{41}\\n\" when now - 15m > user.created_at and ip in ::ffff:10.0.0.0/104\r\n").unwrap();
        let Item::Rule(r) = &p.items[0] else { panic!() };
        let Effect::Deny {
            reason: Some(reason),
        } = &r.effect.node
        else {
            panic!()
        };
        assert_eq!(reason.node, "a\"bA\n");
    }

    #[test]
    fn syntax_errors_say_what_was_expected_where() {
        let cases = [
            ("require mfa when\n", "expected a condition after `when`"),
            ("require mfa when not\n", "expected a condition after `not`"),
            ("require mfa when x ==\n", "expected a value after `==`"),
            (
                "require mfa when ip = 1.2.3.4\n",
                "expected an operator after `ip`",
            ),
            (
                "let x = [1, 2\n",
                "expected an operator, `,` or `]` after `2`",
            ),
            (
                "require mfa when (a and b\n",
                "expected an operator or `)` after `b`",
            ),
            (
                "rule corp require mfa when true\n",
                "expected `:` after the rule name `corp`",
            ),
            ("let x 5\n", "expected `=` after `x`"),
            (
                "require mfa using duo when true\n",
                "expected a provider in quotes (`using \"duo\"`) or `factors [...]`",
            ),
            ("require mfa when email == \"abc\n", "unterminated string"),
        ];
        for text in [
            "require mfa when email matches \"\\d+\"\n",
            "deny \"a\\qb\" when true\n",
        ] {
            assert!(
                matches!(parse(text), Err(SyntaxError::InvalidEscape { .. })),
                "{text:?}"
            );
        }
        for (text, want) in cases {
            match parse(text) {
                Err(SyntaxError::Unexpected { message, .. }) => {
                    assert_eq!(message, want, "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
