//! Checking override paths and values against the schema, and applying
//! them to an event.

use super::error::{span, TestError};
use super::format::{Override, OverrideValue};
use crate::check::path_type;
use crate::schema::{Schema, Type};
use crate::syntax::ast::{self, BinOp, ExprKind, IndexKey, Lit};
use serde_json::{Map, Value as Json};

/// One step of an override path in the event JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// An object key.
    Key(String),
    /// A list position.
    Index(usize),
}

/// A checked value, resolved against the case's `now` when it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// A fixed JSON value.
    Json(Json),
    /// `now + offset` (milliseconds), written as an RFC 3339 string.
    Now(i64),
    /// A list whose elements may depend on `now`.
    List(Vec<Val>),
}

impl Val {
    /// The JSON value, with `now` filled in.
    pub fn resolve(&self, now_ms: i64) -> Json {
        match self {
            Val::Json(j) => j.clone(),
            Val::Now(off) => Json::String(rfc3339(now_ms.saturating_add(*off))),
            Val::List(items) => Json::Array(items.iter().map(|v| v.resolve(now_ms)).collect()),
        }
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A checked override: where in the event, and what (`None` removes).
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The path as written.
    pub text: String,
    /// The JSON steps.
    pub segs: Vec<Seg>,
    /// The value; `None` for `unset`.
    pub value: Option<Val>,
}

/// Checks one override against the policy's `declare`s and the schema.
/// (An undeclared key is the policy's own warning; a key the policy never
/// reads is warned about by the runner, which knows what it reads.)
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
pub fn check_override(
    policy: &ast::Policy,
    schema: &Schema,
    ov: &Override,
) -> Result<Target, Vec<TestError>> {
    let base = ov.path_base;
    let (ty, _undeclared) = path_type(policy, schema, &ov.path).map_err(|errs| {
        errs.iter()
            .filter(|e| !e.is_warning())
            .map(|e| {
                let (message, span, label, help) = super::error::relocate(e, base);
                TestError::UnknownPath {
                    message,
                    span,
                    label,
                    help,
                }
            })
            .collect::<Vec<_>>()
    })?;
    let path_span = span(base, base + ov.path_text.len());
    let Some(mut segs) = segments(schema, &ov.path) else {
        return Err(vec![TestError::UnknownPath {
            message: "expected a path into the event".into(),
            span: path_span,
            label: "not a path".into(),
            help: Some("write a field path such as `request.ip` or `user.app_metadata.vip`".into()),
        }]);
    };
    let value = match &ov.value {
        None => None,
        Some(OverrideValue::Json(j)) => Some(Val::Json(j.value.clone())),
        Some(OverrideValue::Expr { expr, text, base }) => {
            let mut ty = ty;
            // `set connection = "corp-ad"` sets the name, as `connection == "corp-ad"` compares it.
            if let (Type::Record(id), ExprKind::Lit(Lit::Str(_))) = (&ty, &expr.node) {
                let rec = schema.record(*id);
                if let Some(field) = rec.compare_by.as_ref().and_then(|f| rec.field(f)) {
                    segs.push(Seg::Key(field.name.to_string()));
                    ty = field.ty.clone();
                }
            }
            let cx = Fit {
                schema,
                path: &ov.path_text,
                base: *base,
                text,
            };
            Some(cx.fit(&ty, expr).map_err(|e| vec![e])?)
        }
    };
    Ok(Target {
        text: ov.path_text.clone(),
        segs,
        value,
    })
}

/// The JSON steps of a path as written (shorthands expanded).
fn segments(schema: &Schema, e: &ast::Expr) -> Option<Vec<Seg>> {
    match &e.node {
        ExprKind::Name(n) => Some(match schema.shorthand(n) {
            Some(s) => s.path.iter().map(|p| Seg::Key(p.to_string())).collect(),
            None => vec![Seg::Key(n.to_string())],
        }),
        ExprKind::Field(base, name) => {
            let mut v = segments(schema, base)?;
            v.push(Seg::Key(name.node.to_string()));
            Some(v)
        }
        ExprKind::Index(base, key) => {
            let mut v = segments(schema, base)?;
            v.push(match &key.node {
                IndexKey::Int(i) => Seg::Index(usize::try_from(*i).ok()?),
                IndexKey::Str(k) => Seg::Key(k.clone()),
            });
            Some(v)
        }
        _ => None,
    }
}

struct Fit<'a> {
    schema: &'a Schema,
    path: &'a str,
    base: usize,
    text: &'a str,
}

impl Fit<'_> {
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "byte offsets inside one test file, whose length bounds every sum"
    )]
    fn bad(&self, e: &ast::Expr, message: String, help: Option<String>) -> TestError {
        let start = self.base + e.span.start as usize;
        TestError::BadValue {
            message,
            span: span(start, self.base + e.span.end as usize),
            label: "does not fit".into(),
            help,
        }
    }

    fn src(&self, e: &ast::Expr) -> String {
        self.text
            .get(e.span.start as usize..e.span.end as usize)
            .unwrap_or(self.text)
            .to_string()
    }

    fn mismatch(&self, ty: &Type, e: &ast::Expr, help: &str) -> TestError {
        let ty_s = self.schema.display(ty).to_string();
        self.bad(
            e,
            format!(
                "`{}` has type `{ty_s}`, which `{}` does not fit",
                self.path,
                self.src(e)
            ),
            Some(help.to_string()),
        )
    }

    /// Checks a value expression against a field type.
    fn fit(&self, ty: &Type, e: &ast::Expr) -> Result<Val, TestError> {
        if let ExprKind::Lit(Lit::Null) = e.node {
            return Ok(Val::Json(Json::Null));
        }
        match ty {
            Type::Dynamic => self.any(e),
            Type::String => match &e.node {
                ExprKind::Lit(Lit::Str(s)) => Ok(Val::Json(Json::String(s.clone()))),
                _ => Err(self.mismatch(ty, e, "write a quoted string, e.g. `\"corp-ad\"`")),
            },
            Type::Enum(id) => match &e.node {
                ExprKind::Lit(Lit::Str(s)) => {
                    let def = self.schema.enum_def(*id);
                    if def.values.iter().any(|v| v == s) {
                        return Ok(Val::Json(Json::String(s.clone())));
                    }
                    let help = crate::check::help_for_enum(def, s);
                    Err(self.bad(
                        e,
                        format!("`\"{s}\"` is not a value of `{}`", self.path),
                        help,
                    ))
                }
                _ => Err(self.mismatch(ty, e, "write one of the field's values as a quoted string")),
            },
            Type::Int => match &e.node {
                ExprKind::Lit(Lit::Int(i)) => Ok(Val::Json(Json::from(*i))),
                _ => Err(self.mismatch(ty, e, "write a whole number, e.g. `3`")),
            },
            Type::Float => match &e.node {
                ExprKind::Lit(Lit::Int(i)) => Ok(Val::Json(Json::from(*i))),
                ExprKind::Lit(Lit::Float(f)) => serde_json::Number::from_f64(*f)
                    .map(|n| Val::Json(Json::Number(n)))
                    .ok_or_else(|| self.mismatch(ty, e, "write a finite number")),
                _ => Err(self.mismatch(ty, e, "write a number, e.g. `0.5`")),
            },
            Type::Bool => match &e.node {
                ExprKind::Lit(Lit::Bool(b)) => Ok(Val::Json(Json::Bool(*b))),
                _ => Err(self.mismatch(ty, e, "write `true` or `false` (unquoted)")),
            },
            Type::Ip => match &e.node {
                ExprKind::Lit(Lit::Ip(s) | Lit::Str(s)) if s.parse::<std::net::IpAddr>().is_ok() => {
                    Ok(Val::Json(Json::String(s.clone())))
                }
                ExprKind::Lit(Lit::Ip(_) | Lit::Str(_)) => Err(self.bad(
                    e,
                    format!("`{}` is not a valid IP address", self.src(e)),
                    Some("write an IPv4 or IPv6 address such as `192.0.2.7` or `2001:db8::1`; to test a malformed event use `json \"...\"`".into()),
                )),
                _ => Err(self.mismatch(ty, e, "write an IP address such as `192.0.2.7`")),
            },
            Type::Cidr => match &e.node {
                ExprKind::Lit(Lit::Cidr(s) | Lit::Str(s)) if s.parse::<ipnet::IpNet>().is_ok() => {
                    Ok(Val::Json(Json::String(s.clone())))
                }
                _ => Err(self.mismatch(ty, e, "write a network such as `203.0.113.0/24`")),
            },
            Type::Timestamp => self.timestamp(ty, e),
            Type::Duration => Err(self.bad(
                e,
                format!("`{}` is a duration, which events never hold", self.path),
                None,
            )),
            Type::List(inner) => match &e.node {
                ExprKind::List(items) => Ok(Val::List(
                    items.iter().map(|it| self.fit(inner, it)).collect::<Result<_, _>>()?,
                )),
                _ => Err(self.mismatch(ty, e, "write a list, e.g. `[\"admin\"]`; `[]` for an empty one")),
            },
            Type::Record(_) | Type::Map => Err(self.mismatch(
                ty,
                e,
                "set one field at a time (`set user.app_metadata.vip = true`), or give the whole object as `json {...}`",
            )),
            Type::Null => Err(self.mismatch(ty, e, "only `null` fits here")),
        }
    }

    fn timestamp(&self, ty: &Type, e: &ast::Expr) -> Result<Val, TestError> {
        const HELP: &str = "write `\"2025-01-31T09:00:00Z\"`, `now`, or `now - 7d`";
        match &e.node {
            ExprKind::Lit(Lit::Str(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(_) => Ok(Val::Json(Json::String(s.clone()))),
                Err(_) => Err(self.bad(
                    e,
                    format!("`\"{s}\"` is not an RFC 3339 timestamp"),
                    Some(HELP.into()),
                )),
            },
            ExprKind::Now => Ok(Val::Now(0)),
            ExprKind::Binary(op, l, r) if matches!(op.node, BinOp::Add | BinOp::Sub) => {
                match (&l.node, &r.node) {
                    (ExprKind::Now, ExprKind::Lit(Lit::Duration(secs))) => {
                        let ms = secs.saturating_mul(1000);
                        Ok(Val::Now(if op.node == BinOp::Sub {
                            ms.saturating_neg()
                        } else {
                            ms
                        }))
                    }
                    _ => Err(self.mismatch(ty, e, HELP)),
                }
            }
            _ => Err(self.mismatch(ty, e, HELP)),
        }
    }

    /// Any literal, for `dynamic` values (undeclared metadata).
    fn any(&self, e: &ast::Expr) -> Result<Val, TestError> {
        match &e.node {
            ExprKind::Lit(l) => match l {
                Lit::Str(s) | Lit::Ip(s) | Lit::Cidr(s) => Ok(Val::Json(Json::String(s.clone()))),
                Lit::Int(i) => Ok(Val::Json(Json::from(*i))),
                Lit::Float(f) => Ok(Val::Json(
                    serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
                )),
                Lit::Bool(b) => Ok(Val::Json(Json::Bool(*b))),
                Lit::Null => Ok(Val::Json(Json::Null)),
                Lit::Duration(_) => Err(self.bad(
                    e,
                    "durations have no JSON form".into(),
                    Some("write the number of seconds, or a string".into()),
                )),
            },
            ExprKind::List(items) => Ok(Val::List(
                items
                    .iter()
                    .map(|it| self.any(it))
                    .collect::<Result<_, _>>()?,
            )),
            ExprKind::Now | ExprKind::Binary(..) => self.timestamp(&Type::Timestamp, e),
            _ => Err(self.bad(
                e,
                format!("`{}` is not a literal value", self.src(e)),
                Some(
                    "write a literal (string, number, boolean, address, list) or `json ...`".into(),
                ),
            )),
        }
    }
}

/// Applies a target to an event, creating missing objects and lists on the
/// way. `Err` says why it could not (a non-object in the way).
pub fn apply(event: &mut Json, target: &Target, now_ms: i64) -> Result<(), String> {
    let value = target.value.as_ref().map(|v| v.resolve(now_ms));
    let Some((last, init)) = target.segs.split_last() else {
        return Err("empty path".into());
    };
    let mut cur = event;
    let mut walked = String::new();
    for (i, seg) in init.iter().enumerate() {
        let next_is_index = matches!(target.segs.get(i.saturating_add(1)), Some(Seg::Index(_)));
        let fresh = || {
            if next_is_index {
                Json::Array(Vec::new())
            } else {
                Json::Object(Map::new())
            }
        };
        if value.is_none() && !has(cur, seg) {
            return Ok(()); // Nothing to remove.
        }
        cur = step(cur, seg, fresh, &walked)?;
        walked.push_str(&seg_text(seg, walked.is_empty()));
        if cur.is_null() {
            *cur = fresh();
        }
    }
    match (value, last, cur) {
        (Some(v), Seg::Key(k), Json::Object(m)) => {
            m.insert(k.clone(), v);
        }
        (Some(v), Seg::Index(i), Json::Array(a)) => {
            grow(a, *i, &walked)?;
            if let Some(slot) = a.get_mut(*i) {
                *slot = v;
            }
        }
        (None, Seg::Key(k), Json::Object(m)) => {
            m.remove(k);
        }
        (None, Seg::Index(i), Json::Array(a)) => {
            if *i < a.len() {
                a.remove(*i);
            }
        }
        (_, seg, _) => return Err(in_the_way(&walked, seg)),
    }
    Ok(())
}

fn has(cur: &Json, seg: &Seg) -> bool {
    match (cur, seg) {
        (Json::Object(m), Seg::Key(k)) => m.get(k).is_some_and(|v| !v.is_null()),
        (Json::Array(a), Seg::Index(i)) => a.get(*i).is_some_and(|v| !v.is_null()),
        _ => false,
    }
}

fn step<'j>(
    cur: &'j mut Json,
    seg: &Seg,
    fresh: impl Fn() -> Json,
    walked: &str,
) -> Result<&'j mut Json, String> {
    match (cur, seg) {
        (Json::Object(m), Seg::Key(k)) => Ok(m.entry(k.clone()).or_insert_with(fresh)),
        (Json::Array(a), Seg::Index(i)) => {
            grow(a, *i, walked)?;
            a.get_mut(*i).ok_or_else(|| in_the_way(walked, seg))
        }
        _ => Err(in_the_way(walked, seg)),
    }
}

/// Makes room for position `i`: it may be an existing one or the next one
/// (append); a gap would be invented data, and a huge index a huge list.
fn grow(a: &mut Vec<Json>, i: usize, walked: &str) -> Result<(), String> {
    if i == a.len() {
        a.push(Json::Null);
    } else if i > a.len() {
        return Err(format!(
            "cannot set position {i} of `{walked}`: the list has {} element{}; set position {} to append",
            a.len(),
            if a.len() == 1 { "" } else { "s" },
            a.len()
        ));
    }
    Ok(())
}

fn seg_text(seg: &Seg, first: bool) -> String {
    match (seg, first) {
        (Seg::Key(k), true) => k.clone(),
        (Seg::Key(k), false) => format!(".{k}"),
        (Seg::Index(i), _) => format!("[{i}]"),
    }
}

fn in_the_way(walked: &str, seg: &Seg) -> String {
    let what = match seg {
        Seg::Key(k) => format!("key `{k}`"),
        Seg::Index(i) => format!("position {i}"),
    };
    if walked.is_empty() {
        format!("cannot set {what}: the event is not an object")
    } else {
        format!("cannot set {what} under `{walked}`: the base event holds a different kind of value there")
    }
}
