//! Run-time values: borrowed from the event JSON and the checked policy
//! wherever possible, so a decision builds no copies of the event.

use crate::ir::{normalize_ip, Const};
use crate::schema::Type;
use ipnet::IpNet;
use serde_json::Value as Json;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::IpAddr;
use std::sync::Arc;

/// A value during evaluation.
#[derive(Clone, Debug)]
pub enum Value<'a> {
    /// Absent or null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An address.
    Ip(IpAddr),
    /// A network.
    Cidr(IpNet),
    /// Milliseconds since the Unix epoch.
    Time(i64),
    /// Milliseconds.
    Dur(i64),
    /// A list from the policy.
    ConstList(&'a [Const]),
    /// A list from the event, with its element type.
    JsonList(&'a [Json], &'a Type),
    /// A list of strings computed at run time (`split`).
    StrList(Arc<[String]>),
    /// A record, a map, or a `dynamic` value.
    Json(&'a Json),
}

/// Why a JSON value does not fit its schema type.
pub type Misfit = &'static str;

/// The largest duration in milliseconds read from an event (2^53).
const MAX_EXACT_MS: f64 = 9_007_199_254_740_992.0;

/// Converts a present JSON value to the run-time value of a schema type.
#[inline]
#[expect(
    clippy::cast_possible_truncation,
    reason = "both casts are of whole numbers checked to be below 2^53 in magnitude"
)]
pub fn from_json<'a>(v: &'a Json, ty: &'a Type) -> Result<Value<'a>, Misfit> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    Ok(match ty {
        Type::String | Type::Enum(_) => Value::Str(Cow::Borrowed(v.as_str().ok_or("a string")?)),
        Type::Int => match v.as_i64() {
            Some(i) => Value::Int(i),
            None => match v.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(f as i64),
                _ => return Err("an integer"),
            },
        },
        Type::Float => Value::Float(v.as_f64().ok_or("a number")?),
        Type::Bool => Value::Bool(v.as_bool().ok_or("a boolean")?),
        Type::Ip => Value::Ip(parse_ip(v.as_str().ok_or("an IP address")?).ok_or("an IP address")?),
        Type::Cidr => Value::Cidr(
            v.as_str()
                .and_then(|s| s.parse::<IpNet>().ok())
                .ok_or("a CIDR range")?,
        ),
        Type::Timestamp => Value::Time(
            parse_time(v.as_str().ok_or("a timestamp")?).ok_or("an ISO 8601 timestamp")?,
        ),
        // A number of seconds whose milliseconds fit in 2^53 (±285,000
        // years): a larger one is a misfit, never clamped to the i64 range.
        Type::Duration => Value::Dur(
            v.as_f64()
                .map(|s| s * 1000.0)
                .filter(|ms| ms.abs() <= MAX_EXACT_MS)
                .map(|ms| ms as i64)
                .ok_or("a number of seconds")?,
        ),
        Type::List(elem) => Value::JsonList(v.as_array().ok_or("a list")?, elem),
        Type::Record(_) | Type::Map => {
            if !v.is_object() {
                return Err("an object");
            }
            Value::Json(v)
        }
        Type::Dynamic => Value::Json(v),
        Type::Null => Value::Null,
    })
}

/// Parses an address as Auth0 sends it.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse::<IpAddr>().ok()
}

/// Parses an ISO 8601 timestamp to milliseconds since the epoch. RFC 3339
/// first; a date-time without offset (seen in some log exports) is UTC.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

/// A constant as a value.
#[inline]
pub fn from_const(c: &Const) -> Value<'_> {
    match c {
        Const::Null => Value::Null,
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Float(f) => Value::Float(*f),
        Const::Str(s) => Value::Str(Cow::Borrowed(s)),
        Const::Ip(a) => Value::Ip(*a),
        Const::Cidr(n) => Value::Cidr(*n),
        Const::Duration(d) => Value::Dur(*d),
        Const::Timestamp(t) => Value::Time(*t),
        Const::List(items) => Value::ConstList(items),
    }
}

impl Value<'_> {
    /// Whether the value is absent.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::Json(Json::Null))
    }
}

/// `==` on two values. Total: values of different kinds are unequal.
pub fn equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    use Value as V;
    match (a, b) {
        (x, y) if x.is_null() || y.is_null() => x.is_null() && y.is_null(),
        (V::Json(x), V::Json(y)) => json_equal(x, y),
        (V::Json(j), other) | (other, V::Json(j)) => json_equal_value(j, other),
        (V::Str(x), V::Str(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => as_f64(a) == as_f64(b),
        (V::Ip(x), V::Ip(y)) => normalize_ip(*x) == normalize_ip(*y),
        (V::Cidr(x), V::Cidr(y)) => x == y,
        (V::Time(x), V::Time(y)) | (V::Dur(x), V::Dur(y)) => x == y,
        (
            V::ConstList(_) | V::JsonList(..) | V::StrList(_),
            V::ConstList(_) | V::JsonList(..) | V::StrList(_),
        ) => {
            list_len(a) == list_len(b)
                && (0..list_len(a)).all(|i| equal(&list_get(a, i), &list_get(b, i)))
        }
        _ => false,
    }
}

fn list_len(v: &Value<'_>) -> usize {
    match v {
        Value::ConstList(items) => items.len(),
        Value::JsonList(items, _) => items.len(),
        Value::StrList(items) => items.len(),
        _ => 0,
    }
}

/// Element `i` of a list, without allocating.
fn list_get<'a>(v: &Value<'a>, i: usize) -> Value<'a> {
    match v {
        Value::ConstList(items) => items.get(i).map_or(Value::Null, from_const),
        Value::JsonList(items, _) => items.get(i).map_or(Value::Null, Value::Json),
        Value::StrList(items) => items
            .get(i)
            .map_or(Value::Null, |s| Value::Str(Cow::Owned(s.clone()))),
        _ => Value::Null,
    }
}

fn as_f64(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Json(j) => j.as_f64(),
        _ => None,
    }
}

fn json_equal(x: &Json, y: &Json) -> bool {
    match (x, y) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        _ => x == y,
    }
}

/// A `dynamic` JSON value against a typed one: equal only when the JSON has
/// the matching kind and value.
fn json_equal_value(j: &Json, v: &Value<'_>) -> bool {
    match (j, v) {
        (Json::String(s), Value::Str(t)) => s == t,
        (Json::String(s), Value::Ip(a)) => {
            parse_ip(s).is_some_and(|x| normalize_ip(x) == normalize_ip(*a))
        }
        (Json::String(s), Value::Time(t)) => parse_time(s) == Some(*t),
        (Json::String(s), Value::Cidr(n)) => s.parse::<IpNet>().is_ok_and(|x| x == *n),
        (Json::Bool(b), Value::Bool(c)) => b == c,
        (Json::Number(n), Value::Int(_) | Value::Float(_)) => n.as_f64() == as_f64(v),
        (Json::Array(items), Value::ConstList(_) | Value::JsonList(..) | Value::StrList(_)) => {
            items.len() == list_len(v)
                && items
                    .iter()
                    .enumerate()
                    .all(|(i, x)| equal(&Value::Json(x), &list_get(v, i)))
        }
        _ => false,
    }
}

/// Ordering of two non-null values; `Err` names what a `dynamic` operand
/// should have been.
pub fn order(a: &Value<'_>, b: &Value<'_>) -> Result<Option<Ordering>, Misfit> {
    use Value as V;
    Ok(match (a, b) {
        (V::Time(x), V::Time(y)) | (V::Dur(x), V::Dur(y)) => Some(x.cmp(y)),
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Json(j), V::Time(t)) => {
            let x = j.as_str().and_then(parse_time).ok_or("a timestamp")?;
            Some(x.cmp(t))
        }
        (V::Time(t), V::Json(j)) => {
            let y = j.as_str().and_then(parse_time).ok_or("a timestamp")?;
            Some(t.cmp(&y))
        }
        (V::Json(j), V::Dur(_)) | (V::Dur(_), V::Json(j)) => {
            let _ = j;
            return Err("a duration");
        }
        _ => {
            let x = as_f64(a).ok_or("a number")?;
            let y = as_f64(b).ok_or("a number")?;
            x.partial_cmp(&y)
        }
    })
}

/// The kind of a JSON value, in words.
pub fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// A short, safe rendering of a JSON value for error messages.
pub fn show_json(j: &Json) -> String {
    // Bounded work whatever the value's size: containers are not serialized.
    match j {
        Json::Array(items) => format!(
            "a list of {} element{}",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
        Json::Object(_) => "an object".to_string(),
        Json::String(s) if s.chars().count() > 40 => {
            let head: String = s.chars().take(37).collect();
            format!(
                "{}... (a string)",
                Json::String(head).to_string().trim_end_matches('"')
            )
        }
        other => format!("{other} ({})", json_kind(other)),
    }
}

/// A value as JSON, for explanations.
pub fn to_json(v: &Value<'_>) -> Json {
    use serde_json::json;
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Str(s) => json!(s.as_ref()),
        Value::Ip(a) => json!(a.to_string()),
        Value::Cidr(n) => json!(n.to_string()),
        Value::Time(t) => match chrono::DateTime::from_timestamp_millis(*t) {
            Some(d) => json!(d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            None => json!(t),
        },
        Value::Dur(d) => json!(format!("{}s", d / 1000)),
        Value::ConstList(items) => {
            Json::Array(items.iter().map(|c| to_json(&from_const(c))).collect())
        }
        Value::JsonList(items, _) => Json::Array(items.to_vec()),
        Value::StrList(items) => Json::Array(items.iter().map(|s| json!(s)).collect()),
        Value::Json(j) => (*j).clone(),
    }
}
