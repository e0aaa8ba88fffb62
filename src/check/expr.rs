//! Typing expressions: literals, lists, calls, connectives, quantifiers.
//! Operators are in `ops.rs`, names and paths in `path.rs`.

use super::ops::unify;
use super::{CheckError, Checker};
use crate::check::suggest::did_you_mean;
use crate::ir::{self, Const, ExprKind as K, Func};
use crate::schema::Type;
use crate::source::Span;
use crate::syntax::ast::{self, ExprKind, Lit};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

pub(super) fn mk(kind: K, ty: Type, span: Span) -> ir::Expr {
    ir::Expr { kind, ty, span }
}

impl Checker<'_> {
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        match &e.node {
            ExprKind::Lit(l) => self.literal(l, e.span),
            ExprKind::Now => Some(mk(K::Now, Type::Timestamp, e.span)),
            ExprKind::Name(_) | ExprKind::Field(..) | ExprKind::Index(..) => self.path(e),
            ExprKind::List(items) => self.list(items, e.span),
            ExprKind::Call(name, args) => self.call(name, args, e.span),
            ExprKind::Not(inner) => {
                let x = self.expr(inner)?;
                self.want_bool(&x, "not")?;
                Some(mk(K::Not(Box::new(x)), Type::Bool, e.span))
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(e.node, ExprKind::And(_));
                let word = if is_and { "and" } else { "or" };
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for it in items {
                    match self.expr(it) {
                        Some(x) if self.want_bool(&x, word).is_some() => out.push(x),
                        _ => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                let kind = if is_and { K::And(out) } else { K::Or(out) };
                Some(mk(kind, Type::Bool, e.span))
            }
            ExprKind::Binary(op, l, r) => {
                if let Some(word) = self.hyphenated_word(e) {
                    self.err(CheckError::UnknownName {
                        help: Some(format!(
                            "`-` is subtraction here; to compare with text, quote the whole name: `\"{word}\"`"
                        )),
                        name: word,
                        span: e.span.into(),
                    });
                    return None;
                }
                self.binary(op.node, op.span, l, r, e.span)
            }
            ExprKind::Quant(q, var, list, body) => {
                let list_ir = self.expr(list)?;
                let elem = match &list_ir.ty {
                    Type::List(t) => (**t).clone(),
                    Type::Dynamic | Type::Null => Type::Dynamic,
                    other => {
                        let found = self.schema.display(other).to_string();
                        self.mismatch(
                            format!("`{}` ranges over a list, found `{found}`", quant_word(*q)),
                            list.span,
                            format!("this is `{found}`"),
                            None,
                        );
                        return None;
                    }
                };
                if self.is_event_name(&var.node) {
                    self.err(CheckError::ReservedName {
                        name: var.node.to_string(),
                        span: var.span.into(),
                    });
                    return None;
                }
                let slot = u16::try_from(self.locals.len()).ok()?;
                self.locals.push((var.node.clone(), elem));
                self.max_locals = self.max_locals.max(self.locals.len());
                let body_ir = self.expr(body);
                self.locals.pop();
                let body_ir = body_ir?;
                self.want_bool(&body_ir, quant_word(*q))?;
                Some(mk(
                    K::Quant {
                        all: *q == ast::Quantifier::All,
                        slot,
                        list: Box::new(list_ir),
                        body: Box::new(body_ir),
                    },
                    Type::Bool,
                    e.span,
                ))
            }
        }
    }

    pub(super) fn mismatch(
        &mut self,
        message: String,
        span: Span,
        label: String,
        help: Option<String>,
    ) {
        self.err(CheckError::TypeMismatch {
            message,
            span: span.into(),
            label,
            help,
        });
    }

    fn want_bool(&mut self, x: &ir::Expr, op: &str) -> Option<()> {
        self.suggest_declared_type(x, &Type::Bool);
        match x.ty {
            Type::Bool | Type::Dynamic | Type::Null => Some(()),
            ref other => {
                let found = self.schema.display(other).to_string();
                self.mismatch(
                    format!("`{op}` needs a condition, found `{found}`"),
                    x.span,
                    format!("this is `{found}`"),
                    Some("compare the value, e.g. `... == \"value\"`".into()),
                );
                None
            }
        }
    }

    fn literal(&mut self, l: &Lit, span: Span) -> Option<ir::Expr> {
        let (c, ty) = match l {
            Lit::Str(s) => (Const::Str(Arc::from(s.as_str())), Type::String),
            Lit::Int(i) => (Const::Int(*i), Type::Int),
            Lit::Float(f) => (Const::Float(*f), Type::Float),
            Lit::Duration(secs) => (Const::Duration(secs.saturating_mul(1000)), Type::Duration),
            Lit::Bool(b) => (Const::Bool(*b), Type::Bool),
            Lit::Null => (Const::Null, Type::Null),
            Lit::Ip(text) => match text.parse::<IpAddr>() {
                Ok(ip) => (Const::Ip(ip), Type::Ip),
                Err(_) => {
                    self.err(CheckError::InvalidAddress {
                        what: "IP address",
                        text: text.clone(),
                        span: span.into(),
                        reason: address_reason(text),
                    });
                    return None;
                }
            },
            Lit::Cidr(text) => (Const::Cidr(self.cidr(text, span)?), Type::Cidr),
        };
        Some(mk(K::Const(c), ty, span))
    }

    fn cidr(&mut self, text: &str, span: Span) -> Option<IpNet> {
        let (addr, len) = text.split_once('/').unwrap_or((text, ""));
        let ip = match addr.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => {
                self.err(CheckError::InvalidAddress {
                    what: "CIDR range",
                    text: text.to_string(),
                    span: span.into(),
                    reason: address_reason(addr),
                });
                return None;
            }
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let net = match len.parse::<u8>().ok().filter(|l| *l <= max) {
            Some(l) => IpNet::new(ip, l).ok()?,
            None => {
                self.err(CheckError::InvalidAddress {
                    what: "CIDR range",
                    text: text.to_string(),
                    span: span.into(),
                    reason: format!("prefix length must be 0 to {max}"),
                });
                return None;
            }
        };
        let trunc = net.trunc();
        if trunc != net {
            self.err(CheckError::HostBitsSet {
                text: text.to_string(),
                network: trunc.to_string(),
                span: span.into(),
                help: Some(format!(
                    "write `{trunc}` (or `{ip}` for the single address)"
                )),
            });
        }
        Some(trunc)
    }

    /// `northwind-azure` written without quotes: a chain of `-` between
    /// bare words with no spaces, where the first word is not a name.
    fn hyphenated_word(&self, e: &ast::Expr) -> Option<String> {
        let ExprKind::Binary(op, l, r) = &e.node else {
            return None;
        };
        if op.node != ast::BinOp::Sub {
            return None;
        }
        let word_like = |x: &ast::Expr| {
            matches!(
                x.node,
                ExprKind::Name(_) | ExprKind::Lit(Lit::Int(_)) | ExprKind::Binary(..)
            )
        };
        if !word_like(l) || !word_like(r) {
            return None;
        }
        let text = self.source.slice(e.span);
        if text.is_empty()
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return None;
        }
        let first = text.split('-').next().unwrap_or("");
        if self.is_name(first) {
            return None;
        }
        Some(text.to_string())
    }

    /// Whether a bare name means something here (a variable, `let`, root
    /// or shorthand).
    pub(super) fn is_name(&self, name: &str) -> bool {
        self.locals.iter().any(|(n, _)| &**n == name)
            || self.let_index.contains_key(name)
            || self.is_event_name(name)
            || first_is_digit(name)
    }

    /// `[US, CA]`: bare words in a list of codes; quote every element.
    fn unquoted_list(&mut self, items: &[ast::Expr], span: Span) -> bool {
        let mut bad: Option<&ast::Expr> = None;
        let mut fixed = Vec::with_capacity(items.len());
        for it in items {
            match &it.node {
                ExprKind::Name(n) if !self.is_name(n) => {
                    bad = bad.or(Some(it));
                    fixed.push(format!("\"{n}\""));
                }
                ExprKind::Lit(Lit::Str(_)) => fixed.push(self.source.slice(it.span).to_string()),
                _ => {
                    if self.hyphenated_word(it).is_some() {
                        bad = bad.or(Some(it));
                        fixed.push(format!("\"{}\"", self.source.slice(it.span)));
                    } else {
                        return false;
                    }
                }
            }
        }
        let Some(first) = bad else { return false };
        let _ = span;
        self.err(CheckError::UnknownName {
            name: self.source.slice(first.span).to_string(),
            span: first.span.into(),
            help: Some(format!(
                "to compare with text, quote every element: `[{}]`",
                fixed.join(", ")
            )),
        });
        true
    }

    fn list(&mut self, items: &[ast::Expr], span: Span) -> Option<ir::Expr> {
        if self.unquoted_list(items, span) {
            return None;
        }
        let mut consts = Vec::with_capacity(items.len());
        let mut elem: Option<(Type, Span)> = None;
        let mut ok = true;
        for it in items {
            let Some(x) = self.expr(it) else {
                ok = false;
                continue;
            };
            let K::Const(c) = x.kind else {
                self.mismatch(
                    "list elements must be constants".into(),
                    x.span,
                    "not a constant".into(),
                    Some("compare with `==` and `or` instead, or move the value into a `let` of constants".into()),
                );
                ok = false;
                continue;
            };
            elem = match elem {
                None => Some((x.ty.clone(), x.span)),
                Some((t, s)) => match unify(&t, &x.ty) {
                    Some(u) => Some((u, s)),
                    None => {
                        self.err(CheckError::MixedList {
                            first: self.schema.display(&t).to_string(),
                            other: self.schema.display(&x.ty).to_string(),
                            span: x.span.into(),
                        });
                        ok = false;
                        Some((t, s))
                    }
                },
            };
            consts.push(c);
        }
        if !ok {
            return None;
        }
        let elem = elem.map_or(Type::Null, |(t, _)| t);
        Some(mk(
            K::Const(Const::List(consts.into())),
            Type::List(Box::new(elem)),
            span,
        ))
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Option<ir::Expr> {
        const FUNCS: &[&str] = &["exists", "len", "lower", "trim", "split"];
        let func = match name.node.as_ref() {
            "exists" => Func::Exists,
            "len" => Func::Len,
            "lower" => Func::Lower,
            "trim" => Func::Trim,
            "split" => Func::Split,
            other => {
                let alias = match other.to_ascii_lowercase().as_str() {
                    "length" | "lenght" | "lengh" | "size" | "count" | "strlen" => Some("len"),
                    "lowercase" | "tolower" | "tolowercase" | "lcase" | "downcase" => Some("lower"),
                    "exist" | "has" | "defined" | "isset" | "present" => Some("exists"),
                    _ => None,
                };
                let help = match alias.or_else(|| did_you_mean(other, FUNCS.iter().copied())) {
                    Some(s) => Some(format!("did you mean `{s}`?")),
                    None => Some("the functions are `exists(PATH)`, `len(LIST_OR_STRING)`, `lower(STRING)`, `trim(STRING)` and `split(STRING, SEPARATOR)`".into()),
                };
                self.err(CheckError::UnknownFunction {
                    name: other.to_string(),
                    span: name.span.into(),
                    help,
                });
                return None;
            }
        };
        let arity = if func == Func::Split { 2 } else { 1 };
        if args.len() != arity {
            self.err(CheckError::WrongArguments {
                name: name.node.to_string(),
                expected: arity,
                plural: if arity == 1 { "" } else { "s" },
                got: args.len(),
                span: span.into(),
            });
            return None;
        }
        let arg = self.expr(args.first()?)?;
        let arg = self.by_name(arg);
        if func == Func::Split {
            let sep = self.expr(args.get(1)?)?;
            let sep = self.by_name(sep);
            for (a, what) in [(&arg, "a string to split"), (&sep, "a string separator")] {
                if !matches!(
                    a.ty,
                    Type::String | Type::Enum(_) | Type::Dynamic | Type::Null
                ) {
                    return self.arg_mismatch("split", what, &a.ty.clone(), a.span);
                }
            }
            if let K::Const(Const::Str(s)) = &sep.kind {
                if s.is_empty() {
                    self.mismatch(
                        "`split` needs a non-empty separator".into(),
                        sep.span,
                        "an empty separator".into(),
                        Some("write the separator between the pieces, such as `\",\"`".into()),
                    );
                    return None;
                }
            }
            return Some(mk(
                K::Call(func, vec![arg, sep]),
                Type::List(Box::new(Type::String)),
                span,
            ));
        }
        let ty = match func {
            Func::Exists => Type::Bool,
            Func::Len => match arg.ty {
                Type::List(_) | Type::String | Type::Enum(_) | Type::Dynamic | Type::Null => {
                    Type::Int
                }
                ref other => {
                    return self.arg_mismatch("len", "a list or a string", other, arg.span)
                }
            },
            Func::Lower | Func::Trim => match arg.ty {
                Type::String | Type::Enum(_) | Type::Dynamic | Type::Null => Type::String,
                ref other => {
                    let f = if func == Func::Lower { "lower" } else { "trim" };
                    return self.arg_mismatch(f, "a string", other, arg.span);
                }
            },
            Func::Split => Type::List(Box::new(Type::String)),
        };
        Some(mk(K::Call(func, vec![arg]), ty, span))
    }

    fn arg_mismatch(&mut self, f: &str, want: &str, found: &Type, span: Span) -> Option<ir::Expr> {
        let found = self.schema.display(found).to_string();
        self.mismatch(
            format!("`{f}` takes {want}, found `{found}`"),
            span,
            format!("this is `{found}`"),
            None,
        );
        None
    }
}

fn quant_word(q: ast::Quantifier) -> &'static str {
    match q {
        ast::Quantifier::Any => "any",
        ast::Quantifier::All => "all",
    }
}

fn address_reason(text: &str) -> String {
    if text.contains(':') {
        return "not a valid IPv6 address".into();
    }
    let parts: Vec<&str> = text.split('.').collect();
    if let Some(p) = parts
        .iter()
        .find(|p| p.parse::<u32>().is_ok_and(|n| n > 255))
    {
        return format!("`{p}` is larger than 255");
    }
    "not a valid IPv4 address".into()
}

fn first_is_digit(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_digit())
}
