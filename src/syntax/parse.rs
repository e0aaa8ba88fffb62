//! Text -> [`ast::Policy`]. The only module that sees pest types.

use super::ast::*;
use super::error::SyntaxError;
use crate::source::Span;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use std::sync::{Arc, LazyLock};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/mfapolicy.pest"]
struct PolicyParser;

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
    let rest = &text[end..];
    if !rest.trim().is_empty() {
        let start = end + (rest.len() - rest.trim_start().len());
        return Err(SyntaxError::Unexpected {
            message: "unexpected text after the expression".into(),
            span: Span::new(start, text.len()).into(),
            label: "unexpected".into(),
            help: None,
        });
    }
    let mut pairs = pairs;
    match pairs.next() {
        Some(p) => Ok(expr(p)?.0),
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
        Rule::deny_effect => Effect::Deny {
            reason: match inner.into_iter().next() {
                Some(p) => Some(string(p)?),
                None => None,
            },
        },
        Rule::require_effect => {
            let mut using = None;
            let mut remember_browser = None;
            for p in inner {
                match p.as_rule() {
                    Rule::using_provider => {
                        let s = p
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::string)
                            .ok_or_else(|| internal(span))?;
                        using = Some(Using::Provider(string(s)?));
                    }
                    Rule::using_factors => {
                        let list = p
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::list)
                            .ok_or_else(|| internal(span))?;
                        let lspan = span_of(&list);
                        let mut factors = Vec::new();
                        for e in list.into_inner() {
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
                        using = Some(Using::Factors(Spanned::new(factors, lspan)));
                    }
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
            }
        }
        _ => return Err(internal(span)),
    };
    Ok(Spanned::new(node, span))
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
                let dl = if same(&lhs.node) { ld } else { ld + 1 };
                let dr = if same(&rhs.node) { rd } else { rd + 1 };
                deeper(dl.max(dr) - 1, &op)
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

fn flatten(lhs: Expr, rhs: Expr, same: impl Fn(&ExprKind) -> bool) -> Vec<Expr> {
    let mut out = Vec::new();
    for e in [lhs, rhs] {
        if same(&e.node) {
            match e.node {
                ExprKind::Or(v) | ExprKind::And(v) => out.extend(v),
                other => out.push(Spanned::new(other, e.span)),
            }
        } else {
            out.push(e);
        }
    }
    out
}

fn deeper(depth: usize, at: &Pair<'_, Rule>) -> Result<usize, SyntaxError> {
    if depth + 1 > MAX_DEPTH {
        return Err(SyntaxError::TooDeep {
            limit: MAX_DEPTH,
            span: span_of(at).into(),
        });
    }
    Ok(depth + 1)
}

/// Pratt folding recurses once per prefix operator, before any of our
/// closures run, so long runs of `not` are refused up front.
fn check_prefix_runs(pairs: &Pairs<'_, Rule>) -> Result<(), SyntaxError> {
    let mut run = 0;
    for p in pairs.clone() {
        if matches!(p.as_rule(), Rule::not_op | Rule::quantifier) {
            run += 1;
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
                depth = depth.max(d + 1);
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
                depth = depth.max(d + 1);
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
            let (num, unit) = t.split_at(t.len() - 1);
            let mult: i64 = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => 86400,
            };
            match num.parse::<i64>().ok().and_then(|n| n.checked_mul(mult)) {
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
            | Rule::kw_any
            | Rule::kw_all
            | Rule::kw_in
    )
}

fn internal(span: Span) -> SyntaxError {
    SyntaxError::Unexpected {
        message: "internal parser error: the grammar and the parser disagree".into(),
        span: span.into(),
        label: "here".into(),
        help: Some("this is a bug in mfapol; please report it with this policy".into()),
    }
}

/// Refuses bracket nesting deeper than [`MAX_DEPTH`] before pest, whose
/// recursive descent would otherwise recurse once per level.
fn check_bracket_depth(text: &str) -> Result<(), SyntaxError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let open = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' && bytes[i] != b'\r'
                {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] != b'"' {
                    return Err(SyntaxError::Unexpected {
                        message: "unterminated string".into(),
                        span: Span::new(open, open + 1).into(),
                        label: "this string has no closing `\"` on its line".into(),
                        help: Some(
                            "close the string with `\"`; write `\\n` for a line break inside it"
                                .into(),
                        ),
                    });
                }
            }
            b'(' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SyntaxError::TooDeep {
                        limit: MAX_DEPTH,
                        span: Span::new(i, i + 1).into(),
                    });
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

const CONDITION_STARTERS: &[&str] = &["when", "unless", "and", "or", "not", ":"];

/// Parses again with pest's detailed error tracking (slower, so only once a
/// parse has failed), to learn the farthest position reached and the
/// literal tokens expected there.
fn detailed_error(rule: Rule, text: &str) -> SyntaxError {
    pest::set_error_detail(true);
    let result = PolicyParser::parse(rule, text);
    pest::set_error_detail(false);
    match result {
        Err(e) => syntax_error(text, e),
        Ok(_) => internal(Span::new(0, 0)),
    }
}

fn syntax_error(text: &str, err: pest::error::Error<Rule>) -> SyntaxError {
    use pest::error::{ErrorVariant, InputLocation};
    let mut pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut positives = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // Literal tokens (`:`, `=`, `]`) at the farthest position reached.
    let mut tokens: Vec<String> = Vec::new();
    if let Some(pa) = err.parse_attempts() {
        if pa.max_position >= pos {
            if pa.max_position > pos {
                positives.clear();
            }
            pos = pa.max_position;
            // pest does not export its token type; its Debug form is stable
            // enough to read a literal back: `Sensitive { token: ":" }`.
            for t in pa.expected_tokens() {
                let dbg = format!("{t:?}");
                if let Some(rest) = dbg.strip_prefix("Sensitive { token: \"") {
                    let token = rest.trim_end_matches("\" }");
                    if !token.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                        tokens.push(token.to_string());
                    }
                }
            }
        }
    }
    let prev = previous_token(text, pos);
    let rest = &text[pos.min(text.len())..];
    let found = next_token(rest);
    let span_end = pos
        + found
            .len()
            .max(if rest.is_empty() { 0 } else { 1 })
            .min(rest.len());
    let mut span: miette::SourceSpan = Span::new(pos, span_end).into();
    // At the end of the file, or where only a comment or line break
    // follows, point at the token the parser stopped after.
    let at_line_end = rest
        .trim_start_matches([' ', '\t'])
        .starts_with(['\n', '\r', '#'])
        || rest.trim().is_empty();
    let mut point_back = false;
    if at_line_end && !prev.is_empty() {
        if let Some(end) = previous_token_end(text, pos) {
            span = Span::new(end - prev.len(), end).into();
            point_back = true;
        }
    }

    if rest.starts_with('"') && !rest[1..].lines().next().unwrap_or("").contains('"') {
        return SyntaxError::Unexpected {
            message: "unterminated string".into(),
            span,
            label: "this string has no closing `\"` on its line".into(),
            help: Some("close the string with `\"`; use `\\n` for a line break inside it".into()),
        };
    }
    if rest.starts_with('\\') || (prev == "\"" && rest.starts_with('\\')) {
        return SyntaxError::InvalidEscape {
            text: rest.chars().take(2).collect(),
            span,
        };
    }

    let mut wanted: Vec<&'static str> = Vec::new();
    let mut push = |w: &'static str| {
        if !wanted.contains(&w) {
            wanted.push(w);
        }
    };
    let mut wants_condition = false;
    for r in &positives {
        match r {
            Rule::expr
            | Rule::operand
            | Rule::paren
            | Rule::list
            | Rule::string
            | Rule::cidr
            | Rule::ipv4
            | Rule::ipv6
            | Rule::duration
            | Rule::float
            | Rule::integer
            | Rule::kw_true
            | Rule::kw_false
            | Rule::kw_null
            | Rule::kw_now
            | Rule::args
            | Rule::name
            | Rule::not_op
            | Rule::quantifier => wants_condition = true,
            Rule::or_op
            | Rule::and_op
            | Rule::not_in_op
            | Rule::in_op
            | Rule::eq_op
            | Rule::ne_op
            | Rule::le_op
            | Rule::ge_op
            | Rule::lt_op
            | Rule::gt_op
            | Rule::starts_with_op
            | Rule::ends_with_op
            | Rule::contains_op
            | Rule::matches_op
            | Rule::add_op
            | Rule::sub_op => push("an operator"),
            Rule::field_access | Rule::index_access => push("`.field` or `[index]`"),
            Rule::kw_when | Rule::when_clause => push("`when`"),
            Rule::kw_unless | Rule::unless_clause => push("`unless`"),
            Rule::require_effect
            | Rule::skip_effect
            | Rule::deny_effect
            | Rule::kw_require
            | Rule::kw_skip
            | Rule::kw_deny => push("an effect (`require mfa`, `skip mfa` or `deny`)"),
            Rule::kw_mfa => push("`mfa`"),
            Rule::let_item
            | Rule::declare_item
            | Rule::default_item
            | Rule::rule_item
            | Rule::anon_rule
            | Rule::kw_rule
            | Rule::kw_let
            | Rule::kw_declare
            | Rule::kw_default => {
                push("an item (`rule`, `let`, `declare`, `default` or an effect)")
            }
            Rule::EOI => push("the end of the file"),
            Rule::ident | Rule::field_name | Rule::decl_path => push("a name"),
            Rule::using_provider | Rule::using_factors | Rule::kw_using => push("`using`"),
            Rule::remember | Rule::kw_with => push("`with remember_browser`"),
            Rule::kw_remember_browser => push("`remember_browser`"),
            Rule::kw_factors => push("`factors`"),
            Rule::type_expr | Rule::type_name | Rule::list_type => push("a type"),
            Rule::optional_mark => push("`?`"),
            Rule::kw_in => push("`in`"),
            _ => {}
        }
    }
    for t in &tokens {
        let quoted: &'static str = match t.as_str() {
            ":" => "`:`",
            "=" => "`=`",
            "]" => "`]`",
            "," => "`,`",
            ")" => "`)`",
            "<" => "`<`",
            ">" => "`>`",
            "?" => "`?`",
            "." => "`.`",
            _ => continue,
        };
        if !wanted.contains(&quoted) {
            wanted.push(quoted);
        }
    }
    // After a complete operand, an operator is what a person means to write.
    // Closing brackets and commas stay: `expected an operator or `]``.
    if wanted.contains(&"an operator") {
        wanted.retain(|w| matches!(*w, "an operator" | "`)`" | "`]`" | "`,`"));
    }
    if wants_condition {
        wanted.retain(|w| *w != "`:`");
    }
    if wants_condition {
        let what = if CONDITION_STARTERS.contains(&prev.as_str()) || prev == "(" {
            "a condition"
        } else {
            "a value"
        };
        wanted.insert(0, what);
    }
    let expected = match wanted.len() {
        0 => "something else".to_string(),
        1 => wanted[0].to_string(),
        n => format!("{} or {}", wanted[..n - 1].join(", "), wanted[n - 1]),
    };
    let after = if prev.is_empty() {
        String::new()
    } else {
        format!(" after `{prev}`")
    };
    let found_text = if found.is_empty() {
        "the end of the file".to_string()
    } else {
        format!("`{found}`")
    };
    let mut message = format!("expected {expected}{after}");
    let before = previous_words(text, pos, 3);
    match before.as_slice() {
        [.., "rule", name] if wanted.is_empty() || found != ":" => {
            message = format!("expected `:` after the rule name `{name}`");
        }
        [.., "let", name] if wanted.is_empty() => {
            message = format!("expected `=` after `let {name}`")
        }
        [.., "using"] => {
            message = "expected a provider in quotes (`using \"duo\"`) or `factors [...]`".into();
        }
        _ if wanted.is_empty() && prev.is_empty() => {
            message = "expected an item: `rule`, `let`, `declare`, `default` or an effect".into();
        }
        _ if wanted.is_empty() => message = format!("unexpected {found_text}{after}"),
        _ => {}
    }
    let mut help = None;
    let line_start = text[..pos.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    if found == "when" && text[line_start..].trim_start().starts_with("default") {
        help = Some(
            "a `default` takes no condition; write a rule instead: `rule NAME: EFFECT when ...`"
                .into(),
        );
    }
    if help.is_some() {
    } else if is_reserved(&found) && wanted.contains(&"a name") {
        help = Some(format!(
            "`{found}` is a reserved keyword and cannot be used as a name"
        ));
    } else if found == "=" {
        help = Some("to compare, write `==`".into());
    } else if found == "&&" || found == "||" || found == "!" {
        help = Some("write `and`, `or` and `not`".into());
    } else if found.starts_with('\'') {
        help = Some("strings use double quotes: `\"...\"`".into());
    }
    let label = if point_back {
        format!("expected {expected} after this")
    } else {
        format!("found {found_text}")
    };
    SyntaxError::Unexpected {
        message,
        span,
        label,
        help,
    }
}

/// Up to `n` identifier-like words before `pos` (skipping comments), oldest first.
fn previous_words(text: &str, pos: usize, n: usize) -> Vec<&str> {
    let mut before = &text[..pos.min(text.len())];
    let mut out = Vec::new();
    while out.len() < n {
        let Some(end) = previous_token_end(text, before.len()) else {
            break;
        };
        let start = text[..end]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        if start == end {
            break;
        }
        out.push(&text[start..end]);
        before = &text[..start];
    }
    out.reverse();
    out
}

/// Byte offset just past the token that ends before `pos` (skipping
/// whitespace and comments), if any.
fn previous_token_end(text: &str, pos: usize) -> Option<usize> {
    let mut before = &text[..pos.min(text.len())];
    loop {
        let trimmed = before.trim_end();
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&trimmed[line_start..]) {
            Some(c) => before = &trimmed[..line_start + c],
            None => return (!trimmed.is_empty()).then_some(trimmed.len()),
        }
    }
}

fn is_reserved(word: &str) -> bool {
    const KW: &[&str] = &[
        "rule",
        "let",
        "declare",
        "default",
        "require",
        "skip",
        "deny",
        "mfa",
        "when",
        "unless",
        "using",
        "with",
        "and",
        "or",
        "not",
        "in",
        "true",
        "false",
        "null",
        "any",
        "all",
        "starts_with",
        "ends_with",
        "contains",
        "matches",
        "now",
        "factors",
        "remember_browser",
    ];
    KW.contains(&word)
}

/// The token that ends just before `pos`, skipping whitespace and comments.
fn previous_token(text: &str, pos: usize) -> String {
    let mut before = &text[..pos.min(text.len())];
    loop {
        let trimmed = before.trim_end();
        // Drop a trailing comment on the last line.
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        let line = &trimmed[line_start..];
        match comment_start(line) {
            Some(c) => before = &trimmed[..line_start + c],
            None => {
                before = trimmed;
                break;
            }
        }
    }
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if word.is_empty() {
        before.chars().last().map(String::from).unwrap_or_default()
    } else {
        word
    }
}

/// Where a `#` comment starts on a line, ignoring `#` inside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_str => escaped = !escaped,
            '"' if !escaped => in_str = !in_str,
            '#' if !in_str => return Some(i),
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    None
}

fn next_token(rest: &str) -> String {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if !word.is_empty() {
        return word;
    }
    let sym: String = rest
        .chars()
        .take_while(|c| "=!<>&|".contains(*c))
        .take(2)
        .collect();
    if !sym.is_empty() {
        return sym;
    }
    rest.chars().next().map(String::from).unwrap_or_default()
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
}
