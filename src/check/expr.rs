//! Typing expressions: names and paths, operators, literals, calls.

use super::{help_for_value, CheckError, Checker, LetValue};
use crate::check::suggest::did_you_mean;
use crate::ir::{self, ArithOp, Const, ExprKind as K, Func, NetSet, OrderOp, Root, Step, StrOp};
use crate::schema::Type;
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, IndexKey, Lit};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

/// The most bytes a compiled regex may take (guards against huge repetitions).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

fn mk(kind: K, ty: Type, span: Span) -> ir::Expr {
    ir::Expr { kind, ty, span }
}

/// A path being resolved: where it starts, its steps, its type so far.
struct Walk {
    root: Root,
    steps: Vec<Step>,
    text: String,
    ty: Type,
    /// Whether declared-key lookups apply (paths from the event root).
    declarable: bool,
    /// Leading steps through typed structure (see [`ir::Path::strict`]).
    strict: usize,
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
            ExprKind::Binary(op, l, r) => self.binary(op.node, op.span, l, r, e.span),
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

    /// Rewrites the help of the undeclared-key warning for `x` (a dynamic
    /// path) to name the type it is compared with.
    pub(super) fn suggest_declared_type(&mut self, x: &ir::Expr, other: &Type) {
        let (K::Path(p), Type::Dynamic) = (&x.kind, &x.ty) else {
            return;
        };
        let ty = match other {
            Type::Dynamic | Type::Null | Type::Record(_) | Type::Map => return,
            Type::Enum(_) => "string".to_string(),
            t => self.schema.display(t).to_string(),
        };
        let end = x.span.end as usize;
        for e in self.errors.iter_mut().rev() {
            if let CheckError::UndeclaredMetadata { key, span, help } = e {
                if span.offset() + span.len() == end && is_identifier(key) {
                    *help = Some(format!(
                        "declare its type to check it: `declare {}: {ty}`",
                        p.text
                    ));
                    return;
                }
            }
        }
    }

    fn mismatch(&mut self, message: String, span: Span, label: String, help: Option<String>) {
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

    fn list(&mut self, items: &[ast::Expr], span: Span) -> Option<ir::Expr> {
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
        const FUNCS: &[&str] = &["exists", "len", "lower"];
        let func = match name.node.as_ref() {
            "exists" => Func::Exists,
            "len" => Func::Len,
            "lower" => Func::Lower,
            other => {
                let help = match did_you_mean(other, FUNCS.iter().copied()) {
                    Some(s) => Some(format!("did you mean `{s}`?")),
                    None => Some("the functions are `exists(PATH)`, `len(LIST_OR_STRING)` and `lower(STRING)`".into()),
                };
                self.err(CheckError::UnknownFunction {
                    name: other.to_string(),
                    span: name.span.into(),
                    help,
                });
                return None;
            }
        };
        if args.len() != 1 {
            self.err(CheckError::WrongArguments {
                name: name.node.to_string(),
                expected: 1,
                plural: "",
                got: args.len(),
                span: span.into(),
            });
            return None;
        }
        let arg = self.expr(&args[0])?;
        let arg = self.by_name(arg);
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
            Func::Lower => match arg.ty {
                Type::String | Type::Enum(_) | Type::Dynamic | Type::Null => Type::String,
                ref other => return self.arg_mismatch("lower", "a string", other, arg.span),
            },
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

    /// A record compared by name (`connection == "corp-ad"`) becomes a read of its name field.
    fn by_name(&self, x: ir::Expr) -> ir::Expr {
        let Type::Record(id) = x.ty else { return x };
        let rec = self.schema.record(id);
        let (Some(field), K::Path(p)) = (&rec.compare_by, &x.kind) else {
            return x;
        };
        let Some(f) = rec.field(field) else { return x };
        let mut steps = p.steps.to_vec();
        steps.push(Step::Key(Arc::from(field.as_str())));
        let strict = if p.strict == p.steps.len() {
            p.strict + 1
        } else {
            p.strict
        };
        let path = ir::Path {
            root: p.root,
            steps: steps.into(),
            text: Arc::from(format!("{}.{field}", p.text)),
            strict,
        };
        mk(K::Path(path), f.ty.clone(), x.span)
    }

    fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
    ) -> Option<ir::Expr> {
        let lhs = self.expr(l);
        let rhs = self.expr(r);
        let (mut lhs, mut rhs) = (lhs?, rhs?);
        // Records compared by name, against strings or lists of strings.
        if is_stringish(&rhs.ty) || matches!(&rhs.ty, Type::List(t) if is_stringish(t)) {
            lhs = self.by_name(lhs);
        }
        if is_stringish(&lhs.ty) {
            rhs = self.by_name(rhs);
        }
        // An undeclared key compared with a typed value: suggest that type.
        self.suggest_declared_type(&lhs, &rhs.ty);
        self.suggest_declared_type(&rhs, &lhs.ty);
        let lt = self.schema.display(&lhs.ty).to_string();
        let rt = self.schema.display(&rhs.ty).to_string();
        let cannot = |verb: &str| format!("cannot {verb} `{lt}` with `{rt}`");
        match op {
            BinOp::Eq | BinOp::Ne => {
                // A string literal where a timestamp is expected is parsed now.
                self.coerce_timestamp(&lhs.ty.clone(), &mut rhs)?;
                self.coerce_timestamp(&rhs.ty.clone(), &mut lhs)?;
                if !eq_compatible(&lhs.ty, &rhs.ty) {
                    let help =
                        quoted_literal_help(&lhs, &rhs).or_else(|| quoted_literal_help(&rhs, &lhs));
                    self.mismatch(
                        cannot("compare"),
                        span,
                        format!("`{lt}` {} `{rt}`", op.as_str()),
                        help,
                    );
                    return None;
                }
                self.closed_set(&lhs, &rhs);
                self.closed_set(&rhs, &lhs);
                Some(mk(
                    K::Eq {
                        negated: op == BinOp::Ne,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    Type::Bool,
                    span,
                ))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                self.coerce_timestamp(&lhs.ty.clone(), &mut rhs)?;
                self.coerce_timestamp(&rhs.ty.clone(), &mut lhs)?;
                if !order_compatible(&lhs.ty, &rhs.ty) {
                    self.mismatch(
                        cannot("order"),
                        span,
                        format!("`{lt}` {} `{rt}`", op.as_str()),
                        Some(
                            "`<`, `<=`, `>` and `>=` work on numbers, timestamps and durations"
                                .into(),
                        ),
                    );
                    return None;
                }
                let o = match op {
                    BinOp::Lt => OrderOp::Lt,
                    BinOp::Le => OrderOp::Le,
                    BinOp::Gt => OrderOp::Gt,
                    _ => OrderOp::Ge,
                };
                Some(mk(
                    K::Order(o, Box::new(lhs), Box::new(rhs)),
                    Type::Bool,
                    span,
                ))
            }
            BinOp::In | BinOp::NotIn => self.membership(op == BinOp::NotIn, lhs, rhs, span),
            BinOp::Contains if matches!(lhs.ty, Type::List(_)) => {
                self.membership(false, rhs, lhs, span)
            }
            BinOp::StartsWith | BinOp::EndsWith | BinOp::Contains => {
                let ok = |t: &Type| is_stringish(t) || matches!(t, Type::Dynamic | Type::Null);
                if !ok(&lhs.ty) || !ok(&rhs.ty) || (lhs.ty == Type::Null && rhs.ty == Type::Null) {
                    let help = if matches!(op, BinOp::Contains) {
                        "`contains` works on two strings, or a list and an element"
                    } else {
                        "string operators work on strings"
                    };
                    self.mismatch(
                        format!("`{}` cannot apply to `{lt}` and `{rt}`", op.as_str()),
                        span,
                        format!("`{lt}` {} `{rt}`", op.as_str()),
                        Some(help.into()),
                    );
                    return None;
                }
                let s = match op {
                    BinOp::StartsWith => StrOp::StartsWith,
                    BinOp::EndsWith => StrOp::EndsWith,
                    _ => StrOp::Contains,
                };
                Some(mk(
                    K::Str(s, Box::new(lhs), Box::new(rhs)),
                    Type::Bool,
                    span,
                ))
            }
            BinOp::Matches => {
                if !(is_stringish(&lhs.ty) || matches!(lhs.ty, Type::Dynamic | Type::Null)) {
                    self.mismatch(
                        format!("`matches` applies to strings, found `{lt}`"),
                        lhs.span,
                        format!("this is `{lt}`"),
                        None,
                    );
                    return None;
                }
                let K::Const(Const::Str(pattern)) = &rhs.kind else {
                    self.err(CheckError::RegexNotLiteral {
                        span: rhs.span.into(),
                    });
                    return None;
                };
                match regex::RegexBuilder::new(pattern)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                {
                    Ok(re) => Some(mk(
                        K::Matches(Box::new(lhs), Arc::new(re)),
                        Type::Bool,
                        span,
                    )),
                    Err(e) => {
                        let reason = regex_reason(&e);
                        self.err(CheckError::InvalidRegex {
                            reason,
                            span: rhs.span.into(),
                        });
                        None
                    }
                }
            }
            BinOp::Add | BinOp::Sub => {
                let add = op == BinOp::Add;
                let ty = match (&lhs.ty, &rhs.ty) {
                    (Type::Timestamp, Type::Duration) => Type::Timestamp,
                    (Type::Duration, Type::Timestamp) if add => Type::Timestamp,
                    (Type::Timestamp, Type::Timestamp) if !add => Type::Duration,
                    (Type::Duration, Type::Duration) => Type::Duration,
                    _ => {
                        self.mismatch(
                            cannot(if add { "add" } else { "subtract" }),
                            op_span,
                            format!("`{lt}` {} `{rt}`", op.as_str()),
                            Some("arithmetic is on time: `timestamp ± duration`, `timestamp - timestamp`, `duration ± duration`".into()),
                        );
                        return None;
                    }
                };
                let a = if add { ArithOp::Add } else { ArithOp::Sub };
                Some(mk(K::Arith(a, Box::new(lhs), Box::new(rhs)), ty, span))
            }
        }
    }

    fn membership(
        &mut self,
        negated: bool,
        needle: ir::Expr,
        list: ir::Expr,
        span: Span,
    ) -> Option<ir::Expr> {
        let nt = self.schema.display(&needle.ty).to_string();
        let lt = self.schema.display(&list.ty).to_string();
        // `ip in 10.0.0.0/8` and `ip in [cidr or ip constants]`: a precompiled set.
        let set = match &list.kind {
            K::Const(Const::Cidr(n)) => Some(vec![*n]),
            K::Const(Const::Ip(a)) => Some(vec![IpNet::from(*a)]),
            K::Const(Const::List(items)) if matches!(&list.ty, Type::List(t) if matches!(**t, Type::Cidr | Type::Ip)) => {
                Some(
                    items
                        .iter()
                        .filter_map(|c| match c {
                            Const::Cidr(n) => Some(*n),
                            Const::Ip(a) => Some(IpNet::from(*a)),
                            _ => None,
                        })
                        .collect(),
                )
            }
            _ => None,
        };
        if let Some(nets) = set {
            if !matches!(needle.ty, Type::Ip | Type::Dynamic | Type::Null) {
                self.mismatch(
                    format!("only an IP address can be `in` a CIDR range, found `{nt}`"),
                    span,
                    format!("`{nt}` in `{lt}`"),
                    None,
                );
                return None;
            }
            let mut s = NetSet::default();
            for n in nets {
                s.insert(n);
            }
            return Some(mk(
                K::InNet {
                    negated,
                    needle: Box::new(needle),
                    set: Arc::new(s),
                },
                Type::Bool,
                span,
            ));
        }
        let ok = match &list.ty {
            Type::List(elem) => {
                eq_compatible(&needle.ty, elem)
                    || (matches!(**elem, Type::Cidr) && matches!(needle.ty, Type::Ip))
            }
            Type::Dynamic | Type::Null => true,
            _ => false,
        };
        if !ok {
            let help = if is_stringish(&list.ty) {
                Some("to find text inside a string, use `contains`".into())
            } else {
                None
            };
            self.mismatch(
                format!("cannot look for `{nt}` in `{lt}`"),
                span,
                format!("`{nt}` in `{lt}`"),
                help,
            );
            return None;
        }
        // Closed sets: `"gaurdian" in user.multifactor`, `transaction.protocol in [...]`.
        if let Type::List(elem) = &list.ty {
            if let (Type::Enum(e), K::Const(Const::Str(s))) = (&**elem, &needle.kind) {
                self.check_enum_value(*e, s, &list_text(&list), needle.span);
            }
        }
        if let (Type::Enum(e), K::Const(Const::List(items))) = (&needle.ty, &list.kind) {
            for item in items.iter() {
                if let Const::Str(s) = item {
                    self.check_enum_value(*e, s, &list_text(&needle), list.span);
                }
            }
        }
        Some(mk(
            K::In {
                negated,
                needle: Box::new(needle),
                list: Box::new(list),
            },
            Type::Bool,
            span,
        ))
    }

    /// Comparing a closed-set field with a string literal outside the set.
    fn closed_set(&mut self, field: &ir::Expr, other: &ir::Expr) {
        if let (Type::Enum(e), K::Const(Const::Str(s))) = (&field.ty, &other.kind) {
            self.check_enum_value(*e, s, &list_text(field), other.span);
        }
    }

    fn check_enum_value(&mut self, e: crate::schema::EnumId, value: &str, path: &str, span: Span) {
        let allowed = &self.schema.enum_def(e).values;
        if allowed.iter().any(|a| a == value) {
            return;
        }
        let help = help_for_value(value, allowed);
        self.err(CheckError::UnknownValue {
            value: value.to_string(),
            path: path.to_string(),
            span: span.into(),
            help,
        });
    }

    fn coerce_timestamp(&mut self, want: &Type, x: &mut ir::Expr) -> Option<()> {
        if *want != Type::Timestamp {
            return Some(());
        }
        if let K::Const(Const::Str(s)) = &x.kind {
            match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(t) => {
                    x.kind = K::Const(Const::Timestamp(t.timestamp_millis()));
                    x.ty = Type::Timestamp;
                }
                Err(_) => {
                    self.err(CheckError::InvalidTimestamp {
                        text: s.to_string(),
                        span: x.span.into(),
                    });
                    return None;
                }
            }
        }
        Some(())
    }

    /// Names and paths: locals, lets, shorthands and the event's roots.
    fn path(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        // Flatten `a.b[0].c` into its root name and steps.
        let mut cur = e;
        let mut keys: Vec<(StepSyntax, Span)> = Vec::new();
        loop {
            match &cur.node {
                ExprKind::Field(base, name) => {
                    keys.push((StepSyntax::Field(name.node.clone()), name.span));
                    cur = base;
                }
                ExprKind::Index(base, key) => {
                    let step = match &key.node {
                        IndexKey::Int(i) => StepSyntax::Index(*i),
                        IndexKey::Str(k) => StepSyntax::Field(Arc::from(k.as_str())),
                    };
                    keys.push((step, key.span));
                    cur = base;
                }
                _ => break,
            }
        }
        keys.reverse();
        let ExprKind::Name(root) = &cur.node else {
            let base = self.expr(cur)?;
            let found = self.schema.display(&base.ty).to_string();
            self.mismatch(
                "fields and indexes can only be read from event paths and variables".into(),
                e.span,
                format!("this is `{found}`"),
                None,
            );
            return None;
        };
        let mut walk = match self.resolve_root(root, cur.span, !keys.is_empty())? {
            Resolved::Expr(x) => return Some(x),
            Resolved::Walk(w) => w,
        };
        for (key, span) in keys {
            self.step(&mut walk, key, span)?;
        }
        let ty = walk.ty.clone();
        let kind = if walk.steps.is_empty() {
            match walk.root {
                Root::Local(slot) => K::Local(slot),
                Root::Event => K::Path(ir::Path {
                    root: Root::Event,
                    steps: Box::new([]),
                    text: Arc::from(walk.text.as_str()),
                    strict: 0,
                }),
            }
        } else {
            K::Path(ir::Path {
                root: walk.root,
                steps: walk.steps.into(),
                text: Arc::from(walk.text.as_str()),
                strict: walk.strict,
            })
        };
        Some(mk(kind, ty, e.span))
    }

    fn resolve_root(&mut self, name: &Arc<str>, span: Span, has_steps: bool) -> Option<Resolved> {
        if let Some(slot) = self.locals.iter().rposition(|(n, _)| n == name) {
            let ty = self.locals[slot].1.clone();
            return Some(Resolved::Walk(Walk {
                root: Root::Local(u16::try_from(slot).ok()?),
                steps: Vec::new(),
                text: name.to_string(),
                ty,
                declarable: false,
                strict: 0,
            }));
        }
        if let Some(&i) = self.let_index.get(name) {
            if self.let_stack.contains(&i) {
                let chain: Vec<String> = self.let_stack
                    [self.let_stack.iter().position(|x| *x == i).unwrap_or(0)..]
                    .iter()
                    .map(|j| self.let_defs[*j].name.node.to_string())
                    .chain(std::iter::once(name.to_string()))
                    .collect();
                self.err(CheckError::LetCycle {
                    name: name.to_string(),
                    span: span.into(),
                    help: Some(format!(
                        "the definitions form a loop: {}",
                        chain.join(" -> ")
                    )),
                });
                return None;
            }
            let (ty, value, _) = self.check_let(i)?;
            if has_steps {
                self.mismatch(
                    format!("`{name}` is a `let` value; it has no fields"),
                    span,
                    "a `let`".into(),
                    None,
                );
                return None;
            }
            let kind = match value {
                LetValue::Const(c) => K::Const(c),
                LetValue::Index(j) => K::Let(j),
            };
            return Some(Resolved::Expr(mk(kind, ty, span)));
        }
        let root = self.schema.root?;
        let mut walk = Walk {
            root: Root::Event,
            steps: Vec::new(),
            text: String::new(),
            ty: Type::Record(root),
            declarable: true,
            strict: 0,
        };
        if let Some(sh) = self.schema.shorthand(name) {
            for seg in sh.path.clone() {
                self.step(&mut walk, StepSyntax::Field(Arc::from(seg.as_str())), span)?;
            }
            // The path keeps its full text (`request.ip`), so errors and
            // explanations name where the value lives in the event.
            return Some(Resolved::Walk(walk));
        }
        let rec = self.schema.record(root);
        if rec.field(name).is_some() {
            self.step(&mut walk, StepSyntax::Field(name.clone()), span)?;
            return Some(Resolved::Walk(walk));
        }
        let mut candidates: Vec<String> = self.locals.iter().map(|(n, _)| n.to_string()).collect();
        candidates.extend(self.let_index.keys().map(|k| k.to_string()));
        candidates.extend(self.schema.shorthands.iter().map(|s| s.name.clone()));
        candidates.extend(
            rec.fields
                .iter()
                .filter(|f| !f.hidden)
                .map(|f| f.name.clone()),
        );
        let help = did_you_mean(name, candidates.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"));
        let help = help.or_else(|| Some(format!("to compare with text, quote it: `\"{name}\"`")));
        self.err(CheckError::UnknownName {
            name: name.to_string(),
            span: span.into(),
            help,
        });
        None
    }

    fn step(&mut self, walk: &mut Walk, key: StepSyntax, span: Span) -> Option<()> {
        if walk.strict == walk.steps.len() && walk.ty != Type::Dynamic {
            walk.strict += 1;
        }
        let parent = if walk.text.is_empty() {
            "event".to_string()
        } else {
            walk.text.clone()
        };
        let dotted = |w: &Walk, k: &str| {
            if w.text.is_empty() {
                k.to_string()
            } else {
                format!("{}.{k}", w.text)
            }
        };
        match (&walk.ty, key) {
            (Type::List(elem), StepSyntax::Index(i)) => {
                let elem = (**elem).clone();
                walk.steps
                    .push(Step::Index(usize::try_from(i).unwrap_or(usize::MAX)));
                walk.text = format!("{}[{i}]", walk.text);
                walk.ty = elem;
                walk.declarable = false;
            }
            (Type::Dynamic, StepSyntax::Index(i)) => {
                walk.steps
                    .push(Step::Index(usize::try_from(i).unwrap_or(usize::MAX)));
                walk.text = format!("{}[{i}]", walk.text);
                walk.declarable = false;
            }
            (Type::Record(id), StepSyntax::Field(k)) => {
                let id = *id;
                let rec = self.schema.record(id);
                match rec.field(&k) {
                    Some(f) if f.hidden => {
                        self.err(CheckError::HiddenField {
                            path: dotted(walk, &k),
                            span: span.into(),
                        });
                        return None;
                    }
                    Some(f) => walk.ty = f.ty.clone(),
                    None => {
                        let full = dotted(walk, &k);
                        match self.declared(walk, &full) {
                            Some(t) if rec.open => walk.ty = t,
                            _ => {
                                let help = self.field_help(
                                    id,
                                    &k,
                                    if walk.text.is_empty() { "" } else { &walk.text },
                                );
                                self.err(CheckError::UnknownField {
                                    field: k.to_string(),
                                    parent,
                                    span: span.into(),
                                    help,
                                });
                                return None;
                            }
                        }
                    }
                }
                walk.text = dotted(walk, &k);
                walk.steps.push(Step::Key(k));
            }
            (Type::Map, StepSyntax::Field(k)) => {
                let full = dotted(walk, &k);
                match self.declared(walk, &full) {
                    Some(t) => walk.ty = t,
                    None => {
                        if walk.declarable && self.schema.metadata_maps.contains(&walk.text) {
                            let help = Some(if is_identifier(&k) {
                                format!("declare its type to check it: `declare {full}: TYPE` (string, bool, int, ...)")
                            } else {
                                format!("`{k}` is not a plain name, so it cannot be declared; a typo in it will not be caught")
                            });
                            self.err(CheckError::UndeclaredMetadata {
                                key: k.to_string(),
                                span: span.into(),
                                help,
                            });
                        }
                        walk.ty = Type::Dynamic;
                    }
                }
                walk.text = full;
                walk.steps.push(Step::Key(k));
            }
            (Type::Dynamic, StepSyntax::Field(k)) => {
                let full = dotted(walk, &k);
                if let Some(t) = self.declared(walk, &full) {
                    walk.ty = t;
                }
                walk.text = full;
                walk.steps.push(Step::Key(k));
            }
            (ty, key) => {
                let found = self.schema.display(ty).to_string();
                let (what, help) = match (&key, ty) {
                    (StepSyntax::Field(_), Type::List(_)) => (
                        "fields",
                        Some(format!("`{parent}` is a list: index it (`{parent}[0]`) or use `any x in {parent}: ...`")),
                    ),
                    (StepSyntax::Index(_), _) => ("indexes", None),
                    _ => ("fields", None),
                };
                self.mismatch(
                    format!("`{parent}` is `{found}` and has no {what}"),
                    span,
                    format!("`{parent}` is `{found}`"),
                    help,
                );
                return None;
            }
        }
        Some(())
    }

    /// The declared type of a path under a map, if any. A path that is a
    /// prefix of a declared one is `dynamic` without a warning.
    fn declared(&self, walk: &Walk, full: &str) -> Option<Type> {
        if !walk.declarable {
            return None;
        }
        if let Some(d) = self.declares.get(full) {
            return Some(d.ty.clone());
        }
        let prefix = format!("{full}.");
        self.declares
            .keys()
            .any(|k| k.starts_with(&prefix))
            .then_some(Type::Dynamic)
    }
}

enum Resolved {
    Expr(ir::Expr),
    Walk(Walk),
}

enum StepSyntax {
    Field(Arc<str>),
    Index(i64),
}

/// Help for `field == "3"`-style mistakes: a quoted literal of the right kind.
fn quoted_literal_help(field: &ir::Expr, lit: &ir::Expr) -> Option<String> {
    let K::Const(Const::Str(s)) = &lit.kind else {
        return match (&field.ty, &lit.kind) {
            (t, K::Const(_)) if t.is_string() => {
                Some("strings are written in double quotes: `\"...\"`".into())
            }
            _ => None,
        };
    };
    let fits = match field.ty {
        Type::Int => s.parse::<i64>().is_ok(),
        Type::Float => s.parse::<f64>().is_ok(),
        Type::Bool => s.as_ref() == "true" || s.as_ref() == "false",
        Type::Ip => s.parse::<IpAddr>().is_ok(),
        Type::Cidr => s.parse::<IpNet>().is_ok(),
        _ => false,
    };
    if fits {
        return Some(format!("write the value without quotes: `{s}`"));
    }
    let what = match field.ty {
        Type::Int | Type::Float => "a number, e.g. `3`",
        Type::Bool => "`true` or `false`",
        Type::Ip => "an unquoted address, e.g. `203.0.113.7`",
        Type::Cidr => "an unquoted range, e.g. `203.0.113.0/24`",
        Type::Duration => "a duration, e.g. `15m`",
        _ => return None,
    };
    Some(format!("compare with {what}"))
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn quant_word(q: ast::Quantifier) -> &'static str {
    match q {
        ast::Quantifier::Any => "any",
        ast::Quantifier::All => "all",
    }
}

fn list_text(x: &ir::Expr) -> String {
    match &x.kind {
        K::Path(p) => p.text.to_string(),
        _ => "the value".into(),
    }
}

fn is_stringish(t: &Type) -> bool {
    t.is_string()
}

/// The common type of two list elements.
fn unify(a: &Type, b: &Type) -> Option<Type> {
    Some(match (a, b) {
        _ if a == b => a.clone(),
        (x, y) if x.is_string() && y.is_string() => Type::String,
        (Type::Int, Type::Float) | (Type::Float, Type::Int) => Type::Float,
        (Type::Ip, Type::Cidr) | (Type::Cidr, Type::Ip) => Type::Cidr,
        (Type::Null, t) | (t, Type::Null) => t.clone(),
        _ => return None,
    })
}

fn eq_compatible(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Null, _) | (_, Type::Null) | (Type::Dynamic, _) | (_, Type::Dynamic) => true,
        (x, y) if x.is_string() && y.is_string() => true,
        (x, y) if x.is_number() && y.is_number() => true,
        (Type::List(x), Type::List(y)) => eq_compatible(x, y),
        (Type::Record(_) | Type::Map, _) | (_, Type::Record(_) | Type::Map) => false,
        (x, y) => x == y,
    }
}

fn order_compatible(a: &Type, b: &Type) -> bool {
    let orderable = |t: &Type| {
        matches!(
            t,
            Type::Int | Type::Float | Type::Timestamp | Type::Duration
        )
    };
    match (a, b) {
        (Type::Dynamic, t) | (t, Type::Dynamic) => {
            orderable(t) || *t == Type::Dynamic || *t == Type::Null
        }
        (Type::Null, t) | (t, Type::Null) => orderable(t),
        (x, y) if x.is_number() && y.is_number() => true,
        (x, y) => x == y && orderable(x),
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

fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    // The regex crate's message spans several lines; keep its last line.
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}
