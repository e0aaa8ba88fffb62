//! Candidate values: for each variable, a finite list of JSON values that
//! stands for every value the field can hold, for the uses the allow-list
//! ([`super::complete`]) accepted. Index 0 is always "absent".
//!
//! Each rule here is the one [`super::complete::TABLE`] names; the tests
//! there check each against values drawn independently of it.

use super::complete::{ConstKind, Kind};
use super::scan::{LowerOp, Use, VarInfo};
use crate::eval::{value_equal, value_order, Value};
use crate::ir::{self, Const, StrOp};
use ipnet::IpNet;
use serde_json::{json, Value as Json};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The fixed evaluation time when `now` can be fixed: 2026-01-01T00:00:00Z.
pub const NOW_MS: i64 = 1_767_225_600_000;

/// At most this many candidates per variable or element kind, once
/// candidates that behave alike are merged (see the engine's `reduce`).
pub const MAX_CANDIDATES: usize = 512;

/// At most this many candidates are generated before merging.
pub const MAX_GENERATED: usize = 8192;

/// The texts a string variable is compared with, by use.
#[derive(Default)]
struct Texts {
    eq: Vec<String>,
    prefix: Vec<String>,
    suffix: Vec<String>,
    contains: Vec<String>,
}

impl Texts {
    fn direct(uses: &[Use]) -> Texts {
        let mut t = Texts::default();
        for u in uses {
            match u {
                Use::Eq(Const::Str(s)) => t.eq.push(s.to_string()),
                Use::Eq(Const::List(items)) => t.eq.extend(items.iter().filter_map(|i| match i {
                    Const::Str(s) => Some(s.to_string()),
                    _ => None,
                })),
                Use::Member(Const::Str(s)) => t.eq.push(s.to_string()),
                Use::Str(StrOp::StartsWith, s) => t.prefix.push(s.to_string()),
                Use::Str(StrOp::EndsWith, s) => t.suffix.push(s.to_string()),
                Use::Str(StrOp::Contains, s) => t.contains.push(s.to_string()),
                _ => {}
            }
        }
        t
    }

    fn lowered(uses: &[Use]) -> Texts {
        let mut t = Texts::default();
        for u in uses {
            if let Use::Lower(op, s) = u {
                let s = s.to_string();
                match op {
                    LowerOp::Eq => t.eq.push(s),
                    LowerOp::Prefix => t.prefix.push(s),
                    LowerOp::Suffix => t.suffix.push(s),
                    LowerOp::Contains => t.contains.push(s),
                }
            }
        }
        t
    }
}

/// Candidate values of a scalar variable; index 0 is "absent". Marks the
/// variable incomplete when the candidates cannot stand for every value.
pub(super) fn candidates(v: &mut VarInfo, cap: usize) -> Vec<Option<Json>> {
    let mut more: Vec<Json> = Vec::new();
    let mut incomplete: Option<String> = None;
    let lowered = v.uses.iter().any(|u| matches!(u, Use::Lower(..)));
    let texts = if lowered {
        Texts::lowered(&v.uses)
    } else {
        Texts::direct(&v.uses)
    };
    let kind = Kind::of(&v.ty);
    match kind {
        Kind::Str => strings(&texts, &mut more, &mut incomplete, &v.text),
        Kind::Int => integers(&v.uses, &mut more),
        Kind::Float => floats(&v.uses, &mut more),
        Kind::Bool => more.extend([json!(true), json!(false)]),
        Kind::Ip => {
            for a in addresses(&v.uses) {
                more.push(json!(a.to_string()));
            }
        }
        Kind::Time => times(&v.uses, &mut more),
        Kind::Object => more.push(json!({})),
        Kind::Dyn => dynamic(&v.uses, &texts, &mut more, &mut incomplete, &v.text),
        Kind::List | Kind::Unsupported => {
            incomplete.get_or_insert_with(|| {
                format!("`{}` has a type verify does not enumerate", v.text)
            });
        }
    }
    if v.free_json && kind != Kind::Dyn {
        // A user-controlled value of the wrong JSON type: reading it raises.
        more.push(match kind {
            Kind::Str | Kind::Ip | Kind::Time => json!(0),
            _ => json!("x"),
        });
    }
    let mut out: Vec<Option<Json>> = vec![None];
    let mut seen = BTreeSet::new();
    for j in more {
        if out.len() > cap {
            incomplete.get_or_insert_with(|| format!("`{}` has too many distinct cases", v.text));
            break;
        }
        if seen.insert(j.to_string()) {
            out.push(Some(j));
        }
    }
    if let Some(why) = incomplete {
        v.give_up(|_| why);
    }
    out
}

/// A `dynamic` value: one of every JSON type, and within each type the
/// candidates of its uses.
fn dynamic(
    uses: &[Use],
    texts: &Texts,
    out: &mut Vec<Json>,
    incomplete: &mut Option<String>,
    text: &str,
) {
    out.extend([json!(true), json!(false), json!({})]);
    floats(uses, out);
    strings(texts, out, incomplete, text);
    // Addresses as text: one per region, each written so that it equals no
    // string constant (the interpreter trims before parsing, so a leading
    // space keeps the address).
    let reads_addresses = uses.iter().any(|u| {
        matches!(u, Use::Net(_)) || matches!(u, Use::Eq(c) if ConstKind::of(c) == ConstKind::Ip)
    });
    if reads_addresses {
        let taken: BTreeSet<&str> = texts.eq.iter().map(String::as_str).collect();
        for a in addresses(uses) {
            let mut t = a.to_string();
            while taken.contains(t.as_str()) {
                t.insert(0, ' ');
            }
            out.push(json!(t));
        }
    }
    // Arrays: every subset of the values looked up, each as it is and with
    // a filler element that equals nothing (so it equals no list constant),
    // and each list constant itself.
    let member: Vec<Json> = dedup(
        uses.iter()
            .filter_map(|u| match u {
                Use::Member(c) => const_json(c),
                _ => None,
            })
            .collect(),
    );
    let n = member.len().min(super::complete::MAX_MEMBERS);
    for mask in 0u32..(1u32 << n) {
        let items: Vec<Json> = member
            .iter()
            .take(n)
            .enumerate()
            .filter(|(i, _)| mask & (1u32 << i) != 0)
            .map(|(_, j)| j.clone())
            .collect();
        let mut with_filler = items.clone();
        with_filler.push(json!({}));
        out.push(Json::Array(items));
        out.push(Json::Array(with_filler));
    }
    for u in uses {
        if let Use::Eq(c @ Const::List(_)) = u {
            out.extend(const_json(c));
        }
    }
}

fn dedup(v: Vec<Json>) -> Vec<Json> {
    let mut seen = BTreeSet::new();
    v.into_iter()
        .filter(|j| seen.insert(j.to_string()))
        .collect()
}

/// A constant as the JSON an event would hold for it.
pub(super) fn const_json(c: &Const) -> Option<Json> {
    Some(match c {
        Const::Null => return None,
        Const::Bool(b) => json!(b),
        Const::Int(i) => json!(i),
        Const::Float(f) => serde_json::Number::from_f64(*f).map(Json::Number)?,
        Const::Str(s) => json!(s.as_ref()),
        Const::Ip(a) => json!(a.to_string()),
        Const::Cidr(n) => json!(n.to_string()),
        Const::Duration(d) => json!(d / 1000),
        Const::Timestamp(t) => return time_json(*t),
        Const::List(items) => Json::Array(items.iter().filter_map(const_json).collect()),
    })
}

// ---- strings ----

/// Strings: every constant compared for equality, and for the rest one
/// string per combination of a prefix, a set of contained texts and a
/// suffix, joined by a filler character that no constant holds, so that no
/// constant can match across the joins. A string that equals no constant
/// behaves like the candidate built from its longest constant prefix, its
/// longest constant suffix and the constants it contains.
fn strings(t: &Texts, out: &mut Vec<Json>, incomplete: &mut Option<String>, text: &str) {
    let all: Vec<&str> =
        t.eq.iter()
            .chain(&t.prefix)
            .chain(&t.suffix)
            .chain(&t.contains)
            .map(String::as_str)
            .collect();
    out.extend(t.eq.iter().map(|s| json!(s)));
    let Some(fill) = ['x', 'q', 'z', 'k', '~', '#', 'ζ', '\u{2603}']
        .into_iter()
        .find(|c| all.iter().all(|s| !s.contains(*c)))
    else {
        incomplete.get_or_insert_with(|| format!("`{text}` is compared with too many characters"));
        return;
    };
    let uniq = |v: &[String]| -> Vec<String> {
        let mut v: Vec<String> = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let prefixes: Vec<String> = std::iter::once(String::new())
        .chain(uniq(&t.prefix))
        .collect();
    let suffixes: Vec<String> = std::iter::once(String::new())
        .chain(uniq(&t.suffix))
        .collect();
    let contains = uniq(&t.contains);
    if contains.len() > 4 {
        incomplete.get_or_insert_with(|| format!("`{text}` is searched for too many substrings"));
    }
    let subsets: u32 = 1u32 << contains.len().min(4);
    let combos = prefixes
        .len()
        .saturating_mul(suffixes.len())
        .saturating_mul(subsets as usize);
    if combos > MAX_GENERATED {
        incomplete.get_or_insert_with(|| {
            format!("`{text}` is compared with too many prefixes and suffixes")
        });
    }
    let f = fill.to_string();
    for p in &prefixes {
        if out.len() > MAX_GENERATED {
            break;
        }
        for s in &suffixes {
            for mask in 0..subsets {
                let mut w = p.clone();
                w.push_str(&f);
                for (i, c) in contains.iter().enumerate().take(4) {
                    if mask & (1u32 << i) != 0 {
                        w.push_str(c);
                        w.push_str(&f);
                    }
                }
                w.push_str(s);
                out.push(json!(w));
            }
        }
    }
}

// ---- numbers ----

fn numeric_consts(uses: &[Use]) -> Vec<&Const> {
    uses.iter()
        .filter_map(|u| match u {
            Use::Eq(c @ (Const::Int(_) | Const::Float(_)))
            | Use::Ord(c @ (Const::Int(_) | Const::Float(_))) => Some(c),
            _ => None,
        })
        .collect()
}

/// Integers: for each constant, the integers where the interpreter's own
/// comparison with it turns (found by bisection over all of `i64`, so an
/// integer field against `1e16` or `2^53 + 1` gets the right neighbours),
/// and one on either side.
fn integers(uses: &[Use], out: &mut Vec<Json>) {
    out.push(json!(0));
    for c in numeric_consts(uses) {
        let cv = crate::eval::const_value(c);
        let cmp = |x: i64| value_order(&Value::Int(x), &cv).ok().flatten();
        // The smallest x with x >= c, and the largest with x <= c.
        let ge = first_true(|x| matches!(cmp(x), Some(Ordering::Greater | Ordering::Equal)));
        let gt = first_true(|x| matches!(cmp(x), Some(Ordering::Greater)));
        for edge in [ge, gt].into_iter().flatten() {
            for d in [-1i64, 0] {
                if let Some(x) = edge.checked_add(d) {
                    out.push(json!(x));
                }
            }
        }
        // Equality by the interpreter's `==` (as the policy reads it).
        if let Some(x) = ge {
            if value_equal(&Value::Int(x), &cv) {
                out.push(json!(x));
            }
        }
    }
    out.extend([json!(i64::MIN), json!(i64::MAX)]);
}

/// The smallest `x` for which a monotone predicate (false, then true) holds.
fn first_true(p: impl Fn(i64) -> bool) -> Option<i64> {
    let (mut lo, mut hi) = (i128::from(i64::MIN), i128::from(i64::MAX));
    let at = |x: i128| i64::try_from(x).map(&p).unwrap_or(false);
    if !at(hi) {
        return None;
    }
    while lo < hi {
        // INVARIANT: lo < hi, both within i64, so neither step overflows i128.
        let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
        if at(mid) {
            hi = mid;
        } else {
            lo = mid.saturating_add(1);
        }
    }
    i64::try_from(lo).ok()
}

/// Floats (and JSON numbers, which the interpreter compares as floats):
/// each constant as a float and the adjacent floats.
fn floats(uses: &[Use], out: &mut Vec<Json>) {
    out.push(json!(0.5));
    for c in numeric_consts(uses) {
        let x = match c {
            #[expect(
                clippy::cast_precision_loss,
                reason = "exactly the interpreter's conversion"
            )]
            Const::Int(i) => *i as f64,
            Const::Float(f) => *f,
            _ => continue,
        };
        if !x.is_finite() {
            continue;
        }
        for y in [next_float(x, false), x, next_float(x, true)] {
            out.extend(serde_json::Number::from_f64(y).map(Json::Number));
        }
    }
}

/// The next representable float above (or below) `x`.
fn next_float(x: f64, up: bool) -> f64 {
    if x.is_nan() || x.is_infinite() {
        return x;
    }
    if x == 0.0 {
        let tiny = f64::from_bits(1);
        return if up { tiny } else { -tiny };
    }
    let bits = x.to_bits();
    let away = (x > 0.0) == up;
    f64::from_bits(if away {
        bits.saturating_add(1)
    } else {
        bits.saturating_sub(1)
    })
}

// ---- addresses ----

/// Addresses: the first address of every network and the one after its
/// end, and the ends of both address spaces: since networks nest or are
/// disjoint, every region of the partition they induce starts at one of
/// these. IPv4-mapped IPv6 is IPv4 to the interpreter.
fn addresses(uses: &[Use]) -> Vec<IpAddr> {
    let mut nets: Vec<IpNet> = Vec::new();
    for u in uses {
        match u {
            Use::Net(n) => nets.extend(n.iter().copied()),
            Use::Eq(Const::Ip(a)) => nets.push(IpNet::from(*a)),
            _ => {}
        }
    }
    let mut v4: Vec<u32> = vec![0, u32::MAX, 0x0a00_0001];
    let mapped_start: u128 = 0xffff_u128 << 32;
    let mut v6: Vec<u128> = vec![
        0x2001_0db8_u128 << 96,
        1,
        u128::MAX,
        mapped_start.saturating_sub(1),
        mapped_start.saturating_add(1u128 << 32),
    ];
    for n in nets {
        match ir::normalize_net(n) {
            IpNet::V4(n) => {
                let (a, b) = (u32::from(n.network()), u32::from(n.broadcast()));
                v4.extend([a, b]);
                v4.extend(b.checked_add(1));
                v4.extend(a.checked_sub(1));
            }
            IpNet::V6(n) => {
                let (a, b) = (u128::from(n.network()), u128::from(n.broadcast()));
                v6.extend([a, b]);
                v6.extend(b.checked_add(1));
                v6.extend(a.checked_sub(1));
            }
        }
    }
    v4.sort_unstable();
    v4.dedup();
    v6.sort_unstable();
    v6.dedup();
    v4.into_iter()
        .map(|a| IpAddr::from(Ipv4Addr::from(a)))
        .chain(v6.into_iter().map(|a| IpAddr::from(Ipv6Addr::from(a))))
        .collect()
}

// ---- times ----

/// Timestamps: each point where a comparison turns and one millisecond on
/// either side, moved into the range of times an event can hold (a window
/// whose turning point lies beyond it is decided by the range's ends).
fn times(uses: &[Use], out: &mut Vec<Json>) {
    let mut points: Vec<i64> = Vec::new();
    for u in uses {
        match u {
            Use::Offset(o) => points.push(NOW_MS.saturating_add(*o)),
            Use::Eq(Const::Timestamp(t)) | Use::Ord(Const::Timestamp(t)) => points.push(*t),
            _ => {}
        }
    }
    if points.is_empty() {
        points.push(NOW_MS);
    }
    points.extend([MIN_TIME_MS, MAX_TIME_MS]);
    points.sort_unstable();
    points.dedup();
    for t in points {
        for d in [-1, 0, 1] {
            let x = t.saturating_add(d).clamp(MIN_TIME_MS, MAX_TIME_MS);
            out.extend(time_json(x));
        }
    }
}

/// The earliest and latest times an event's timestamp text can hold (the
/// interpreter's parser, [`crate::eval::parse_time`], accepts signed years
/// in its ISO 8601 form without an offset).
pub(super) const MIN_TIME_MS: i64 = -8_334_601_228_800_000;
pub(super) const MAX_TIME_MS: i64 = 8_210_266_876_799_999;

/// A time as event text that the interpreter reads back exactly: RFC 3339
/// where it can, the offset-less form with a signed year beyond 0000–9999.
pub(super) fn time_json(ms: i64) -> Option<Json> {
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    let rfc = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if crate::eval::parse_time(&rfc) == Some(ms) {
        return Some(json!(rfc));
    }
    let naive = t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
    (crate::eval::parse_time(&naive) == Some(ms)).then(|| json!(naive))
}

/// RFC 3339 text of a time in milliseconds.
pub(super) fn time_text(ms: i64) -> String {
    match time_json(ms) {
        Some(Json::String(s)) => s,
        _ => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_range_is_exactly_what_the_parser_reads() {
        for t in [MIN_TIME_MS, MAX_TIME_MS, 0, NOW_MS, -62_167_219_200_001] {
            assert!(time_json(t).is_some(), "{t}");
        }
        assert!(time_json(MIN_TIME_MS - 1).is_none());
        assert!(time_json(MAX_TIME_MS + 1).is_none());
    }

    #[test]
    fn first_true_finds_the_turning_point() {
        assert_eq!(first_true(|x| x >= 5), Some(5));
        assert_eq!(first_true(|_| true), Some(i64::MIN));
        assert_eq!(first_true(|_| false), None);
    }
}
