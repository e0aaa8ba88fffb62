//! Operators: comparison, membership, string tests, `matches`, time
//! arithmetic; records compared by name; closed value sets.

use super::expr::mk;
use super::{help_for_enum, CheckError, Checker};
use crate::ir::{self, ArithOp, Const, ExprKind as K, NetSet, OrderOp, Step, StrOp};
use crate::schema::Type;
use crate::source::Span;
use crate::syntax::ast::{self, BinOp};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

/// The most bytes a compiled regex may take (guards against huge repetitions).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Checker<'_> {
    /// A record compared by name (`connection == "corp-ad"`) becomes a read of its name field.
    pub(super) fn by_name(&self, x: ir::Expr) -> ir::Expr {
        let Type::Record(id) = x.ty else { return x };
        let rec = self.schema.record(id);
        let (Some(field), K::Path(p)) = (&rec.compare_by, &x.kind) else {
            return x;
        };
        let Some(f) = rec.field(field) else { return x };
        let mut steps = p.steps.to_vec();
        steps.push(Step::Key(Arc::from(field.as_ref())));
        let strict = if p.strict == p.steps.len() {
            p.strict.saturating_add(1)
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

    pub(super) fn binary(
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
        self.compared_with_id(&lhs, &rhs, op);
        self.compared_with_id(&rhs, &lhs, op);
        // Records compared by name, against strings or lists of strings.
        if is_stringish(&rhs.ty) || matches!(&rhs.ty, Type::List(t) if is_stringish(t)) {
            lhs = self.by_name(lhs);
        }
        if is_stringish(&lhs.ty) {
            rhs = self.by_name(rhs);
        }
        // An undeclared key compared with a typed value: suggest the type
        // that use needs.
        match op {
            BinOp::In | BinOp::NotIn => {
                if let Type::List(t) = &rhs.ty {
                    self.suggest_declared_type(&lhs, t);
                }
                if !matches!(
                    lhs.ty,
                    Type::Dynamic | Type::Null | Type::Record(_) | Type::Map
                ) && super::path::is_undeclared_key(&rhs)
                {
                    let elem = self.schema.display(&lhs.ty).to_string();
                    self.suggest_declare(&rhs, &format!("list<{elem}>"));
                }
            }
            BinOp::Contains if lhs.ty == Type::Dynamic && rhs.ty.is_string() => {
                if let K::Path(p) = &lhs.kind {
                    let path = p.text.to_string();
                    let text = if self.string_map_of(&path).is_some() {
                        format!("declare its type to check it: `declare {path}: string`")
                    } else {
                        format!("declare its type to check it: `declare {path}: string` if it holds text, or `declare {path}: list<string>` if it holds a list")
                    };
                    self.suggest_declare_text(&lhs, text);
                }
            }
            BinOp::StartsWith | BinOp::EndsWith | BinOp::Matches => {
                self.suggest_declare(&lhs, "string");
            }
            BinOp::Eq | BinOp::Ne => {
                if !self.suggest_for_literal(&lhs, &rhs, op) {
                    self.suggest_declared_type(&lhs, &rhs.ty);
                }
                if !self.suggest_for_literal(&rhs, &lhs, op) {
                    self.suggest_declared_type(&rhs, &lhs.ty);
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if !self.suggest_number(&lhs, &rhs.ty) {
                    self.suggest_declared_type(&lhs, &rhs.ty);
                }
                if !self.suggest_number(&rhs, &lhs.ty) {
                    self.suggest_declared_type(&rhs, &lhs.ty);
                }
            }
            _ => {
                self.suggest_declared_type(&lhs, &rhs.ty);
                self.suggest_declared_type(&rhs, &lhs.ty);
            }
        }
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            self.string_map_literal(&lhs, &rhs, op);
            self.string_map_literal(&rhs, &lhs, op);
        }
        self.binary_checked(op, op_span, l, r, lhs, rhs, span)
    }

    /// `connection == "con_..."`, `client == "<32-character id>"`: the
    /// record compares its name, and the string looks like an id.
    fn compared_with_id(&mut self, rec: &ir::Expr, other: &ir::Expr, op: BinOp) {
        let (Type::Record(id), K::Path(p)) = (&rec.ty, &rec.kind) else {
            return;
        };
        let def = self.schema.record(*id);
        let Some(by) = &def.compare_by else { return };
        let Some(id_field) = ["id", "client_id"]
            .into_iter()
            .find(|f| def.field(f).is_some())
        else {
            return;
        };
        let values: Vec<&str> = match &other.kind {
            K::Const(Const::Str(s)) => vec![s],
            K::Const(Const::List(items)) => items
                .iter()
                .filter_map(|c| match c {
                    Const::Str(s) => Some(&**s),
                    _ => None,
                })
                .collect(),
            _ => return,
        };
        let Some(v) = values.into_iter().find(|v| looks_like_id(v)) else {
            return;
        };
        let fixed = format!(
            "{}.{id_field} {} {}",
            p.text,
            op.as_str(),
            self.source.slice(other.span)
        );
        let (record, by, value) = (p.text.to_string(), by.to_string(), v.to_string());
        self.err(CheckError::ComparedWithId {
            record,
            by,
            value,
            span: other.span.into(),
            help: Some(format!("to compare the id, write `{fixed}`")),
        });
    }

    /// `organization.metadata.mfa == true`: the map's values are strings,
    /// so the comparison is never true; suggest the string.
    fn string_map_literal(&mut self, path: &ir::Expr, lit: &ir::Expr, op: BinOp) {
        let (K::Path(p), K::Const(c)) = (&path.kind, &lit.kind) else {
            return;
        };
        let text = match c {
            Const::Bool(b) => b.to_string(),
            Const::Int(i) => i.to_string(),
            Const::Float(f) => f.to_string(),
            _ => return,
        };
        if !matches!(path.ty, Type::Dynamic) {
            return;
        }
        let Some(map) = self.string_map_of(&p.text) else {
            return;
        };
        let map = map.to_string();
        self.err(CheckError::MetadataNotString {
            map,
            span: lit.span.into(),
            label: format!("`{text}` is not a string: never equal"),
            help: Some(format!(
                "compare with the string: `{} {} \"{text}\"`",
                p.text,
                op.as_str()
            )),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn binary_checked(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: &ast::Expr,
        r: &ast::Expr,
        lhs: ir::Expr,
        rhs: ir::Expr,
        span: Span,
    ) -> Option<ir::Expr> {
        let (mut lhs, mut rhs) = (lhs, rhs);
        let lt = self.schema.display(&lhs.ty).to_string();
        let rt = self.schema.display(&rhs.ty).to_string();
        let cannot = |verb: &str| format!("cannot {verb} `{lt}` with `{rt}`");
        match op {
            BinOp::Eq | BinOp::Ne => {
                // A string literal where a timestamp is expected is parsed now.
                self.coerce_timestamp(&lhs.ty.clone(), &mut rhs)?;
                self.coerce_timestamp(&rhs.ty.clone(), &mut lhs)?;
                if !eq_compatible(&lhs.ty, &rhs.ty) {
                    let help = self
                        .string_map_help(&lhs, &rhs)
                        .or_else(|| self.string_map_help(&rhs, &lhs))
                        .or_else(|| self.membership_help(&lhs, &rhs, op))
                        .or_else(|| self.membership_help(&rhs, &lhs, op))
                        .or_else(|| quoted_literal_help(&lhs, &rhs))
                        .or_else(|| quoted_literal_help(&rhs, &lhs));
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
            BinOp::In | BinOp::NotIn => {
                let at = element_spans(r);
                self.membership(op == BinOp::NotIn, lhs, rhs, r, &at, span)
            }
            BinOp::Contains if matches!(lhs.ty, Type::List(_)) => {
                let at = element_spans(l);
                self.membership(false, rhs, lhs, l, &at, span)
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

    #[allow(clippy::too_many_arguments)]
    fn membership(
        &mut self,
        negated: bool,
        needle: ir::Expr,
        list: ir::Expr,
        list_ast: &ast::Expr,
        element_spans: &[Span],
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
            let help = if let Some(h) = self.quoted_ranges_help(&needle, &list, list_ast) {
                Some(h)
            } else if is_stringish(&list.ty) {
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
                self.check_enum_value(*e, s, &self.expr_text(&list), needle.span);
            }
        }
        if let (Type::Enum(e), K::Const(Const::List(items))) = (&needle.ty, &list.kind) {
            for (i, item) in items.iter().enumerate() {
                if let Const::Str(s) = item {
                    let at = element_spans.get(i).copied().unwrap_or(list.span);
                    self.check_enum_value(*e, s, &self.expr_text(&needle), at);
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

    /// A key of a string-valued map declared as another type, compared with
    /// a string: the declare is what is wrong, never the quotes.
    fn string_map_help(&self, field: &ir::Expr, lit: &ir::Expr) -> Option<String> {
        let K::Path(p) = &field.kind else { return None };
        if !matches!(lit.kind, K::Const(Const::Str(_))) {
            return None;
        }
        let map = self.string_map_of(&p.text)?;
        Some(format!(
            "values of `{map}` are always strings in Auth0: keep the quotes and declare it `declare {}: string`",
            p.text
        ))
    }

    /// `roles == "admin"` where `roles` is a list: membership was meant.
    fn membership_help(&self, list: &ir::Expr, x: &ir::Expr, op: BinOp) -> Option<String> {
        let Type::List(elem) = &list.ty else {
            return None;
        };
        if matches!(x.ty, Type::List(_)) || !eq_compatible(elem, &x.ty) {
            return None;
        }
        let word = if op == BinOp::Ne { "not in" } else { "in" };
        Some(format!(
            "`{}` is a list: to test whether it holds the value, write `{} {word} {}`",
            self.source.slice(list.span),
            self.source.slice(x.span),
            self.source.slice(list.span)
        ))
    }

    /// `ip in "198.51.100.0/24"` or a `let` list of quoted ranges: the
    /// ranges are strings; suggest the unquoted literals.
    fn quoted_ranges_help(
        &self,
        needle: &ir::Expr,
        list: &ir::Expr,
        list_ast: &ast::Expr,
    ) -> Option<String> {
        if !matches!(needle.ty, Type::Ip) {
            return None;
        }
        let is_net = |s: &str| s.parse::<IpNet>().is_ok() || s.parse::<IpAddr>().is_ok();
        let unquoted = match &list.kind {
            K::Const(Const::Str(s)) if is_net(s) => s.to_string(),
            K::Const(Const::List(items)) => {
                let mut out = Vec::new();
                for it in items.iter() {
                    match it {
                        Const::Str(s) if is_net(s) => out.push(s.to_string()),
                        _ => return None,
                    }
                }
                format!("[{}]", out.join(", "))
            }
            _ => return None,
        };
        let place = match &list_ast.node {
            ast::ExprKind::Name(n) if self.let_index.contains_key(n) => {
                format!(" in `let {n}`")
            }
            _ => String::new(),
        };
        Some(format!(
            "addresses and ranges are written without quotes{place}: `{unquoted}`"
        ))
    }

    /// Comparing a closed-set field with a string literal outside the set.
    fn closed_set(&mut self, field: &ir::Expr, other: &ir::Expr) {
        if let (Type::Enum(e), K::Const(Const::Str(s))) = (&field.ty, &other.kind) {
            self.check_enum_value(*e, s, &self.expr_text(field), other.span);
        }
    }

    fn check_enum_value(&mut self, e: crate::schema::EnumId, value: &str, path: &str, span: Span) {
        let def = self.schema.enum_def(e);
        // Byte by byte, inline: most values are short codes (`"KP"`), and the
        // closed sets long (every country).
        if def
            .values
            .iter()
            .any(|a| a.len() == value.len() && a.bytes().eq(value.bytes()))
        {
            return;
        }
        let help = help_for_enum(def, value);
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
}

/// Help for `field == "3"`-style mistakes: a quoted literal of the right kind.
fn quoted_literal_help(field: &ir::Expr, lit: &ir::Expr) -> Option<String> {
    let K::Const(Const::Str(s)) = &lit.kind else {
        return match (&field.ty, &lit.kind) {
            (t, K::Const(c)) if t.is_string() => Some(match c {
                Const::Bool(b) => format!("compare with the string: `\"{b}\"`"),
                Const::Int(i) => format!("compare with the string: `\"{i}\"`"),
                _ => "strings are written in double quotes: `\"...\"`".into(),
            }),
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

impl Checker<'_> {
    /// How to name a compared value in a message: its path, else the text
    /// the policy wrote (a quantifier variable such as `m`).
    fn expr_text(&self, x: &ir::Expr) -> String {
        match &x.kind {
            K::Path(p) => p.text.to_string(),
            _ => self
                .source
                .text
                .get(x.span.start as usize..x.span.end as usize)
                .filter(|t| !t.is_empty() && t.len() <= 60)
                .map_or_else(|| "the value".into(), str::to_string),
        }
    }
}

fn is_stringish(t: &Type) -> bool {
    t.is_string()
}

/// The common type of two list elements.
/// The spans of a list literal's elements as written (empty for anything
/// else), so a bad element is underlined on its own.
fn element_spans(e: &ast::Expr) -> Vec<Span> {
    match &e.node {
        ast::ExprKind::List(items) => items.iter().map(|x| x.span).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn unify(a: &Type, b: &Type) -> Option<Type> {
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

/// Auth0 ids: `con_...` (connections), `org_...` (organizations), and
/// client ids (32 letters and digits).
fn looks_like_id(s: &str) -> bool {
    let alnum = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric());
    if let Some(rest) = s.strip_prefix("con_").or_else(|| s.strip_prefix("org_")) {
        return rest.len() >= 8 && alnum(rest);
    }
    s.len() == 32
        && alnum(s)
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars().any(|c| c.is_ascii_alphabetic())
}
