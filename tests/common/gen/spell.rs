//! Other spellings of one value: an address padded with spaces, in upper
//! case or IPv4-mapped; a time with a signed year beyond 0000–9999 in the
//! offset-less ISO form the interpreter also reads; a constant as the JSON
//! undeclared metadata would hold for it (a list constant as an array).
//! Verify's candidates must stand for each of them.

use super::Gen;
use mfapol::ir::Const;
use serde_json::{json, Value};
use std::net::IpAddr;

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: RFC 3339 years.
pub(super) const MIN_TS: i64 = -62_167_219_200_000;
pub(super) const MAX_TS: i64 = 253_402_300_799_999;

/// The earliest and latest times the interpreter's parser reads (signed
/// years -262143 and 262142, offset-less).
pub(super) const MIN_PARSED: i64 = -8_334_601_228_800_000;
pub(super) const MAX_PARSED: i64 = 8_210_266_876_799_999;

/// How a time was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeText {
    /// RFC 3339, a year in 0000–9999.
    Rfc,
    /// `-0164-03-02T00:00:00.000`: a signed year, no offset.
    SignedYear,
    /// Beyond what the parser reads: moved to its nearest end.
    Clamped,
}

/// A time as event text the interpreter reads back exactly: RFC 3339 for
/// years 0000–9999, the signed-year ISO form beyond, and past the
/// parser's range the nearest time it reads.
pub(super) fn time_text(ms: i64) -> (String, TimeText) {
    let clamped = ms.clamp(MIN_PARSED, MAX_PARSED);
    let how = if clamped != ms {
        TimeText::Clamped
    } else if (MIN_TS..=MAX_TS).contains(&ms) {
        TimeText::Rfc
    } else {
        TimeText::SignedYear
    };
    let t = chrono::DateTime::from_timestamp_millis(clamped).unwrap_or_default();
    let s = if (MIN_TS..=MAX_TS).contains(&clamped) {
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    } else {
        t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    };
    debug_assert_eq!(mfapol::eval::parse_time(&s), Some(clamped), "{s}");
    (s, how)
}

/// An address written another way: `0` IPv4-mapped (or the IPv4 of a
/// mapped address), `1` padded with spaces (the interpreter trims), `2`
/// IPv6 in upper case.
pub(super) fn ip_text(a: IpAddr, how: usize) -> String {
    match (how, a) {
        (0, IpAddr::V4(v)) => format!("::ffff:{v}"),
        (0, IpAddr::V6(v)) => v
            .to_ipv4_mapped()
            .map_or_else(|| v.to_string(), |v4| v4.to_string()),
        (1, a) => format!("  {a} "),
        (_, a) => a.to_string().to_uppercase(),
    }
}

impl Gen {
    /// The JSON an event may hold for a constant, in one of its
    /// spellings: a list constant as an array (each element spelled on
    /// its own), an address in another form, a time as text (a signed
    /// year where it needs one), a duration in seconds.
    pub(super) fn const_json(&mut self, c: &Const) -> Value {
        match c {
            Const::Null => Value::Null,
            Const::Bool(b) => json!(b),
            Const::Int(i) => {
                // The same number as a float, where it is one exactly.
                let f = *i as f64;
                if self.rng.below(3) == 0 && f.abs() < 9e15 {
                    serde_json::Number::from_f64(f).map_or(json!(i), Value::Number)
                } else {
                    json!(i)
                }
            }
            Const::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Const::Str(s) => json!(s.as_ref()),
            Const::Ip(a) => match self.rng.below(5) {
                0 | 1 => json!(a.to_string()),
                k => json!(ip_text(*a, k - 2)),
            },
            Const::Cidr(n) => json!(n.to_string()),
            Const::Duration(d) => json!(d / 1000),
            Const::Timestamp(t) => json!(time_text(*t).0),
            Const::List(items) => Value::Array(items.iter().map(|c| self.const_json(c)).collect()),
        }
    }
}
