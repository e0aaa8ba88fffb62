//! The completeness allow-list: which ways of reading a value have
//! candidates that stand for every value the field can hold.
//!
//! A variable is *complete* when every JSON value the field can hold
//! behaves, in every use the policy makes of it, exactly like one of its
//! candidates ([`super::candidates`]). Only then are the atoms that read it
//! fully constrained; otherwise they are left free, which can only add
//! behaviours (so a `proved` stays sound; it may become `unknown`).
//!
//! Completeness is granted, never assumed: [`judge`] accepts a variable
//! only when each of its uses is an entry of [`TABLE`] for its value kind
//! and the combination rules below hold. Each entry names the candidate
//! rule that covers it, and `tests` checks every entry (and the
//! combinations) against values drawn independently of the candidates.

use super::scan::{Scope, Use, VarInfo, Vars};
use crate::ir::{Const, Step};
use crate::schema::Type;
use std::collections::BTreeSet;

/// The kind of value a variable holds, as far as the allow-list cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A string (or a closed set of strings).
    Str,
    /// An integer.
    Int,
    /// A float.
    Float,
    /// A boolean.
    Bool,
    /// An address.
    Ip,
    /// A timestamp.
    Time,
    /// A record or map read only for presence.
    Object,
    /// Any JSON (`dynamic`, undeclared metadata).
    Dyn,
    /// A list.
    List,
    /// Durations, ranges, `null`: not enumerated.
    Unsupported,
}

impl Kind {
    pub fn of(ty: &Type) -> Kind {
        match ty {
            Type::String | Type::Enum(_) => Kind::Str,
            Type::Int => Kind::Int,
            Type::Float => Kind::Float,
            Type::Bool => Kind::Bool,
            Type::Ip => Kind::Ip,
            Type::Timestamp => Kind::Time,
            Type::Record(_) | Type::Map => Kind::Object,
            Type::Dynamic => Kind::Dyn,
            Type::List(_) => Kind::List,
            Type::Cidr | Type::Duration | Type::Null => Kind::Unsupported,
        }
    }
}

/// The kind of a use, for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UseKind {
    Eq,
    Ord,
    Str,
    Net,
    Offset,
    Exists,
    Cond,
    Member,
    Lower,
    Elements,
}

/// The kind of a constant, for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ConstKind {
    /// No constant (`exists`, a condition, a range set, a time window).
    None,
    Null,
    Bool,
    Int,
    Float,
    Str,
    Ip,
    Cidr,
    Duration,
    Timestamp,
    /// A list of strings, numbers or booleans.
    ScalarList,
    /// Any other list.
    List,
}

impl ConstKind {
    pub fn of(c: &Const) -> ConstKind {
        match c {
            Const::Null => ConstKind::Null,
            Const::Bool(_) => ConstKind::Bool,
            Const::Int(_) => ConstKind::Int,
            Const::Float(_) => ConstKind::Float,
            Const::Str(_) => ConstKind::Str,
            Const::Ip(_) => ConstKind::Ip,
            Const::Cidr(_) => ConstKind::Cidr,
            Const::Duration(_) => ConstKind::Duration,
            Const::Timestamp(_) => ConstKind::Timestamp,
            Const::List(items) => {
                if items.iter().all(|i| {
                    matches!(
                        i,
                        Const::Bool(_) | Const::Int(_) | Const::Float(_) | Const::Str(_)
                    )
                }) {
                    ConstKind::ScalarList
                } else {
                    ConstKind::List
                }
            }
        }
    }
}

/// A use as a table key.
fn key(u: &Use) -> Option<(UseKind, ConstKind)> {
    Some(match u {
        Use::Eq(c) => (UseKind::Eq, ConstKind::of(c)),
        Use::Ord(c) => (UseKind::Ord, ConstKind::of(c)),
        Use::Str(..) => (UseKind::Str, ConstKind::Str),
        Use::Net(_) => (UseKind::Net, ConstKind::None),
        Use::Offset(_) => (UseKind::Offset, ConstKind::None),
        Use::Exists => (UseKind::Exists, ConstKind::None),
        Use::Cond => (UseKind::Cond, ConstKind::None),
        Use::Member(c) => (UseKind::Member, ConstKind::of(c)),
        Use::Lower(..) => (UseKind::Lower, ConstKind::Str),
        Use::Elements => (UseKind::Elements, ConstKind::None),
        Use::Other(_) => return None,
    })
}

use ConstKind as C;
use Kind as V;
use UseKind as U;

/// The allow-list: (value kind, use, constant kind), and the candidate
/// rule that makes it exact. Anything not here is incomplete.
pub(super) const TABLE: &[(Kind, UseKind, ConstKind, &str)] = &[
    // Presence is read the same way for every kind: "absent" is always a candidate.
    (V::Str, U::Exists, C::None, "absent and present"),
    (V::Int, U::Exists, C::None, "absent and present"),
    (V::Float, U::Exists, C::None, "absent and present"),
    (V::Bool, U::Exists, C::None, "absent and present"),
    (V::Ip, U::Exists, C::None, "absent and present"),
    (V::Time, U::Exists, C::None, "absent and present"),
    (V::Object, U::Exists, C::None, "absent and an empty object"),
    (
        V::Dyn,
        U::Exists,
        C::None,
        "absent and a value of every JSON type",
    ),
    (V::List, U::Exists, C::None, "absent, empty and non-empty"),
    (V::Str, U::Eq, C::Null, "absent"),
    (V::Int, U::Eq, C::Null, "absent"),
    (V::Float, U::Eq, C::Null, "absent"),
    (V::Bool, U::Eq, C::Null, "absent"),
    (V::Ip, U::Eq, C::Null, "absent"),
    (V::Time, U::Eq, C::Null, "absent"),
    (V::Object, U::Eq, C::Null, "absent"),
    (V::Dyn, U::Eq, C::Null, "absent, JSON null"),
    (V::List, U::Eq, C::Null, "absent"),
    // Strings.
    (
        V::Str,
        U::Eq,
        C::Str,
        "each constant; filler strings for the rest",
    ),
    (
        V::Str,
        U::Str,
        C::Str,
        "prefix x contained texts x suffix, joined by a filler",
    ),
    (
        V::Str,
        U::Lower,
        C::Str,
        "lower-case texts only (lower-case ASCII)",
    ),
    // Numbers.
    (
        V::Int,
        U::Eq,
        C::Int,
        "the interpreter's turning points, by bisection",
    ),
    (
        V::Int,
        U::Eq,
        C::Float,
        "the interpreter's turning points, by bisection",
    ),
    (
        V::Int,
        U::Ord,
        C::Int,
        "the interpreter's turning points, by bisection",
    ),
    (
        V::Int,
        U::Ord,
        C::Float,
        "the interpreter's turning points, by bisection",
    ),
    (
        V::Float,
        U::Eq,
        C::Int,
        "the constant as a float and its neighbours",
    ),
    (V::Float, U::Eq, C::Float, "the constant and its neighbours"),
    (
        V::Float,
        U::Ord,
        C::Int,
        "the constant as a float and its neighbours",
    ),
    (
        V::Float,
        U::Ord,
        C::Float,
        "the constant and its neighbours",
    ),
    // Booleans.
    (V::Bool, U::Eq, C::Bool, "true and false"),
    (V::Bool, U::Cond, C::None, "true and false"),
    // Addresses.
    (
        V::Ip,
        U::Eq,
        C::Ip,
        "the start of every region of the ranges",
    ),
    (
        V::Ip,
        U::Net,
        C::None,
        "the start of every region of the ranges",
    ),
    // Timestamps.
    (
        V::Time,
        U::Offset,
        C::None,
        "now + offset, and one millisecond on either side, within the parseable years",
    ),
    (
        V::Time,
        U::Eq,
        C::Timestamp,
        "the constant and one millisecond on either side",
    ),
    (
        V::Time,
        U::Ord,
        C::Timestamp,
        "the constant and one millisecond on either side",
    ),
    // Lists: elements one by one.
    (
        V::List,
        U::Elements,
        C::None,
        "subsets of element candidates",
    ),
    // Dynamic values: a value of every JSON type, and within each type the above.
    (V::Dyn, U::Eq, C::Str, "each constant; filler strings"),
    (
        V::Dyn,
        U::Eq,
        C::Int,
        "the constant as a float and its neighbours",
    ),
    (V::Dyn, U::Eq, C::Float, "the constant and its neighbours"),
    (V::Dyn, U::Eq, C::Bool, "true and false"),
    (
        V::Dyn,
        U::Eq,
        C::Ip,
        "a text of each address region that equals no string constant",
    ),
    (
        V::Dyn,
        U::Eq,
        C::ScalarList,
        "each list constant; arrays of looked-up values with and without a filler element",
    ),
    (
        V::Dyn,
        U::Ord,
        C::Int,
        "the constant as a float and its neighbours",
    ),
    (V::Dyn, U::Ord, C::Float, "the constant and its neighbours"),
    (
        V::Dyn,
        U::Str,
        C::Str,
        "prefix x contained texts x suffix, joined by a filler",
    ),
    (
        V::Dyn,
        U::Net,
        C::None,
        "a text of each address region that equals no string constant",
    ),
    (
        V::Dyn,
        U::Member,
        C::Str,
        "arrays of every subset of the looked-up values",
    ),
    (
        V::Dyn,
        U::Member,
        C::Int,
        "arrays of every subset of the looked-up values",
    ),
    (
        V::Dyn,
        U::Member,
        C::Float,
        "arrays of every subset of the looked-up values",
    ),
    (
        V::Dyn,
        U::Member,
        C::Bool,
        "arrays of every subset of the looked-up values",
    ),
    (
        V::Dyn,
        U::Cond,
        C::None,
        "true, false, and a value of every other JSON type",
    ),
    (
        V::Dyn,
        U::Lower,
        C::Str,
        "lower-case texts only (lower-case ASCII)",
    ),
];

/// At most this many distinct values looked up in one dynamic value.
pub(super) const MAX_MEMBERS: usize = 4;

/// Whether a use of a value of this kind is an entry of the table.
pub(super) fn allowed(kind: Kind, u: &Use) -> bool {
    match key(u) {
        Some((uk, ck)) => TABLE
            .iter()
            .any(|(k, x, c, _)| *k == kind && *x == uk && *c == ck),
        None => false,
    }
}

/// Decides completeness for every variable: a variable is complete only
/// when the table accepts each use and the combination rules hold.
pub(super) fn judge(vars: &mut Vars) {
    let n = vars.vars.len();
    for v in vars.vars.iter_mut() {
        if let Some(why) = judge_one(v) {
            v.give_up(|_| why);
        }
    }
    // Structure: a field read below another field.
    for a in 0..n {
        for b in 0..n {
            let (Some(va), Some(vb)) = (vars.vars.get(a), vars.vars.get(b)) else {
                continue;
            };
            if a == b
                || va.scope != vb.scope
                || vb.steps.len() <= va.steps.len()
                || !vb.steps.starts_with(&va.steps)
            {
                continue;
            }
            let by_index = matches!(vb.steps.get(va.steps.len()), Some(Step::Index(_)));
            // A list read both whole and by position, or any value read both
            // whole and by index: the element read by index is not
            // independent of the whole.
            if va.is_list() || by_index {
                let why = "a list read both whole and by position";
                if let Some(x) = vars.vars.get_mut(a) {
                    x.give_up(|t| format!("`{t}` is {why}"));
                }
                if let Some(x) = vars.vars.get_mut(b) {
                    x.give_up(|t| format!("`{t}` is {why}"));
                }
            }
        }
    }
    // An incomplete element makes its list incomplete.
    for v in 0..n {
        let (scope, inc) = match vars.vars.get(v) {
            Some(i) => (i.scope, i.incomplete.clone()),
            None => continue,
        };
        if let (Scope::Elem(l), Some(why)) = (scope, inc) {
            if let Some(list) = vars.vars.get_mut(l) {
                list.give_up(|_| why);
            }
        }
    }
}

fn judge_one(v: &VarInfo) -> Option<String> {
    let kind = Kind::of(&v.ty);
    let text = &v.text;
    for u in &v.uses {
        if let Use::Other(why) = u {
            return Some(format!("`{text}` is {why}"));
        }
        if !allowed(kind, u) {
            return Some(match u {
                Use::Eq(c) | Use::Ord(c) | Use::Member(c) => format!(
                    "`{text}` is compared with {} in a way verify does not enumerate",
                    const_words(c)
                ),
                _ => format!("`{text}` is read in a way verify does not enumerate"),
            });
        }
    }
    // Combinations.
    let lower = v.uses.iter().any(|u| matches!(u, Use::Lower(..)));
    let direct = v
        .uses
        .iter()
        .any(|u| !matches!(u, Use::Lower(..) | Use::Exists));
    if lower && direct {
        return Some(format!(
            "`{text}` is read both as written and through `lower`"
        ));
    }
    if lower {
        let plain = v.uses.iter().all(|u| match u {
            Use::Lower(_, t) => t.chars().all(|c| c.is_ascii() && !c.is_ascii_uppercase()),
            _ => true,
        });
        if !plain {
            return Some(format!(
                "`{text}` is compared through `lower` with a text that is not lower-case ASCII"
            ));
        }
    }
    if kind == Kind::Dyn {
        let addresses = v.uses.iter().any(|u| {
            matches!(u, Use::Net(_)) || matches!(u, Use::Eq(c) if ConstKind::of(c) == ConstKind::Ip)
        });
        let texts = v
            .uses
            .iter()
            .any(|u| matches!(u, Use::Str(..) | Use::Lower(..)));
        if addresses && texts {
            return Some(format!("`{text}` is read both as an address and as text"));
        }
        let members: BTreeSet<String> = v
            .uses
            .iter()
            .filter_map(|u| match u {
                Use::Member(c) => Some(format!("{c:?}")),
                _ => None,
            })
            .collect();
        if members.len() > MAX_MEMBERS {
            return Some(format!("`{text}` is looked up for too many values"));
        }
    }
    None
}

fn const_words(c: &Const) -> &'static str {
    match ConstKind::of(c) {
        ConstKind::None => "nothing",
        ConstKind::Null => "`null`",
        ConstKind::Bool => "a boolean",
        ConstKind::Int => "an integer",
        ConstKind::Float => "a number",
        ConstKind::Str => "a string",
        ConstKind::Ip => "an address",
        ConstKind::Cidr => "a range",
        ConstKind::Duration => "a duration",
        ConstKind::Timestamp => "a timestamp",
        ConstKind::ScalarList | ConstKind::List => "a list",
    }
}

/// Every entry of [`TABLE`], checked: for a policy whose atoms read one
/// field in the ways of an entry (and in combinations of entries), every
/// value drawn independently of the candidates (boundaries, near misses,
/// other spellings, every JSON type for dynamic values) gives the atoms
/// the same outcomes as some candidate. A value that does not is a value
/// the candidates cannot stand for: a wrong `proved` waiting to happen.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    #![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    #![allow(clippy::print_stderr)]

    use super::super::engine::{Enc, Engine};
    use super::super::layout::set_path;
    use crate::eval::Truth;
    use crate::ir::Policy;
    use serde_json::{json, Value as Json};
    use std::collections::HashSet;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
        fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
            &v[self.below(v.len())]
        }
    }

    fn policy(text: &str) -> Policy {
        let c = crate::compile(
            &crate::source::SourceFile::new("cell.mfapolicy", text),
            crate::schema::auth0_post_login(),
        );
        c.policy
            .unwrap_or_else(|| panic!("does not check:\n{text}\n{:?}", c.diagnostics))
    }

    /// Checks one cell: `atoms` all read `field`; returns how many values
    /// were tried.
    fn cell(field: &str, decls: &str, atoms: &[&str], values: &[Json]) -> usize {
        let mut text = String::from(decls);
        for (i, a) in atoms.iter().enumerate() {
            text.push_str(&format!("rule r{i}: require mfa when {a}\n"));
        }
        let p = policy(&text);
        let engine = Engine::build(&[&p]).unwrap();
        let (v, info) = engine
            .vars
            .vars
            .iter()
            .enumerate()
            .find(|(_, v)| v.text == field)
            .unwrap_or_else(|| panic!("`{field}` is not read by\n{text}"));
        assert!(
            info.incomplete.is_none(),
            "`{field}` should be complete for\n{text}\nbut: {:?}",
            info.incomplete
        );
        let Some(Enc::Scalar { cands, .. }) = engine.enc.get(v) else {
            panic!("`{field}` is not a scalar");
        };
        let steps = info.steps.clone();
        let signature = |value: Option<&Json>| -> Vec<Truth> {
            let mut ev = json!({});
            if let Some(j) = value {
                set_path(&mut ev, &steps, j.clone());
            }
            p.rules
                .iter()
                .map(|r| crate::eval::condition(&p, &r.when, &ev, FIXED_NOW))
                .collect()
        };
        let covered: HashSet<String> = cands
            .iter()
            .map(|c| format!("{:?}", signature(c.as_ref())))
            .collect();
        // Typed Auth0 fields hold values of their type (verify's
        // assumption); user data may hold anything.
        let typed = !info.free_json;
        let ty = info.ty.clone();
        for x in values {
            if typed && crate::eval::value_from_json(x, &ty).is_err() {
                continue;
            }
            let s = signature(Some(x));
            assert!(
                covered.contains(&format!("{s:?}")),
                "`{field}` = {x} gives {s:?}, which no candidate gives, in\n{text}\ncandidates: {cands:?}"
            );
        }
        values.len()
    }

    const FIXED_NOW: i64 = super::super::candidates::NOW_MS;

    fn strings(r: &mut Rng, parts: &[&str], n: usize) -> Vec<Json> {
        let extra = [
            "", "a", "x", "q", "z", "~", "#", "ζ", " ", "A", "é", "\u{2603}", "0", ".",
        ];
        let mut out: Vec<Json> = parts.iter().map(|p| json!(p)).collect();
        for _ in 0..n {
            let mut s = String::new();
            for _ in 0..r.below(5) {
                if r.below(2) == 0 {
                    let p = r.pick(parts);
                    // Whole, or a piece of a constant (overlaps).
                    let cut = r.below(p.chars().count() + 1);
                    let piece: String = if r.below(2) == 0 {
                        p.chars().take(cut).collect()
                    } else {
                        p.chars().skip(cut).collect()
                    };
                    s.push_str(if r.below(2) == 0 { p } else { &piece });
                } else {
                    let e: &&str = r.pick(&extra[..]);
                    s.push_str(e);
                }
            }
            out.push(json!(s));
        }
        out
    }

    fn numbers(r: &mut Rng, around: &[f64], ints: bool, n: usize) -> Vec<Json> {
        let mut out = Vec::new();
        for &c in around {
            if ints {
                let i = c as i64;
                for d in -4i64..=4 {
                    out.push(json!(i.saturating_add(d)));
                }
            }
            let mut x = c;
            let mut y = c;
            for _ in 0..4 {
                out.extend(serde_json::Number::from_f64(x).map(Json::Number));
                out.extend(serde_json::Number::from_f64(y).map(Json::Number));
                x = f64::from_bits(x.to_bits().wrapping_add(1));
                y = f64::from_bits(y.to_bits().wrapping_sub(1));
            }
        }
        for _ in 0..n {
            if ints {
                out.push(json!(r.next() as i64));
                out.push(json!((r.next() % 2000) as i64 - 1000));
            } else {
                out.extend(
                    serde_json::Number::from_f64(f64::from_bits(r.next())).map(Json::Number),
                );
                out.push(json!(((r.next() % 2000) as f64 - 1000.0) / 7.0));
            }
        }
        out.extend([json!(i64::MIN), json!(i64::MAX), json!(0), json!(-0.0)]);
        if !ints {
            out.extend([json!(1e300), json!(-1e300), json!(5e-324)]);
        }
        out
    }

    fn addresses(r: &mut Rng, n: usize) -> Vec<Json> {
        let mut out = Vec::new();
        let fixed = [
            "10.0.0.0",
            "10.0.0.1",
            "9.255.255.255",
            "10.255.255.255",
            "11.0.0.0",
            "203.0.113.0",
            "203.0.113.255",
            "203.0.114.0",
            "203.0.112.255",
            "0.0.0.0",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:10.0.0.1",
            "::FFFF:203.0.113.9",
            "::ffff:cb00:7105",
            "::10.0.0.1",
            "2001:db8::",
            "2001:db8:10::1",
            "2001:db8:11::",
            "2001:db8:f::ffff",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            " 10.0.0.1",
            "10.0.0.1 ",
            "\t203.0.113.9\n",
            "010.0.0.1",
            "not-an-ip",
            "",
        ];
        out.extend(fixed.iter().map(|s| json!(s)));
        for _ in 0..n {
            let a = std::net::Ipv4Addr::from(r.next() as u32);
            out.push(json!(a.to_string()));
            let b = std::net::Ipv6Addr::from((u128::from(r.next()) << 64) | u128::from(r.next()));
            out.push(json!(b.to_string()));
            let m = std::net::Ipv6Addr::from((0xffff_u128 << 32) | u128::from(r.next() as u32));
            out.push(json!(m.to_string()));
        }
        out
    }

    fn times(r: &mut Rng, points: &[i64], n: usize) -> Vec<Json> {
        let text = |ms: i64| -> Option<Json> {
            let t = chrono::DateTime::from_timestamp_millis(ms)?;
            Some(json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        };
        let mut out = Vec::new();
        for &p in points {
            for d in [-1000, -2, -1, 0, 1, 2, 1000] {
                out.extend(text(p.saturating_add(d)));
            }
        }
        for _ in 0..n {
            let ms = (r.next() % 500_000_000_000_000) as i64 - 250_000_000_000_000;
            out.extend(text(ms));
        }
        out.extend([
            json!("+262142-12-31T23:59:59.999"),
            json!("-262143-01-01T00:00:00"),
            json!("0000-01-01T00:00:00Z"),
            json!("2025-12-31T19:00:00-05:00"),
            json!("2025-12-31 23:59:59.999"),
            json!("not a time"),
        ]);
        out
    }

    fn dynamic(r: &mut Rng, parts: &[&str], nums: &[f64], n: usize) -> Vec<Json> {
        let mut out = vec![
            json!(null),
            json!(true),
            json!(false),
            json!({}),
            json!({"a": 1}),
            json!([]),
            json!([null]),
            json!([{}]),
        ];
        out.extend(strings(r, parts, n));
        out.extend(numbers(r, nums, true, n / 4));
        out.extend(addresses(r, n / 8));
        for _ in 0..n {
            let len = r.below(4);
            let items: Vec<Json> = (0..len)
                .map(|_| match r.below(4) {
                    0 => json!(r.pick(parts)),
                    1 => json!(*r.pick(nums)),
                    2 => json!(r.below(2) == 0),
                    _ => json!({}),
                })
                .collect();
            out.push(Json::Array(items));
        }
        out
    }

    const DYN: &str = "user.app_metadata.k";

    #[test]
    fn every_table_entry_is_exact_for_independent_values() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let mut tried = 0;
        let mut cells = 0;
        // Strings: equality, prefix, suffix, contains, null, exists.
        let s = [
            "admin",
            "adm",
            "min",
            "@corp.example",
            "corp",
            "a",
            "",
            "ad",
        ];
        tried += cell(
            "user.email",
            "",
            &[
                "email == \"admin\"",
                "email != \"adm\"",
                "email in [\"a\", \"@corp.example\"]",
                "email starts_with \"adm\"",
                "email starts_with \"admin\"",
                "email ends_with \"min\"",
                "email ends_with \"@corp.example\"",
                "email contains \"corp\"",
                "email contains \"d\"",
                "email == null",
                "exists(email)",
            ],
            &strings(&mut r, &s, 3000),
        );
        cells += 1;
        // Strings through lower only.
        tried += cell(
            "user.email",
            "",
            &[
                "lower(email) == \"admin\"",
                "lower(email) ends_with \"@corp.example\"",
                "lower(email) starts_with \"ad\"",
                "lower(email) contains \"orp\"",
            ],
            &strings(
                &mut r,
                &["ADMIN", "admin", "@CORP.example", "Ad", "orp", "ORP"],
                3000,
            ),
        );
        cells += 1;
        // Integers against integers and floats of every magnitude.
        let big = [
            0.0,
            3.0,
            -7.0,
            9_007_199_254_740_992.0,
            9_007_199_254_740_993.0,
            1e16,
            9e15,
            -9e18,
            1.5,
        ];
        tried += cell(
            "stats.logins_count",
            "",
            &[
                "stats.logins_count == 3",
                "stats.logins_count < 10000000000000000.0",
                "stats.logins_count > 9007199254740992",
                "stats.logins_count >= 9007199254740993",
                "stats.logins_count != 9000000000000000.0",
                "stats.logins_count <= -9000000000000000000",
                "stats.logins_count < 1.5",
                "stats.logins_count == null",
            ],
            &numbers(&mut r, &big, true, 3000),
        );
        cells += 1;
        // Floats.
        tried += cell(
            "request.geoip.latitude",
            "",
            &[
                "request.geoip.latitude == 3",
                "request.geoip.latitude < 10000000000000000.0",
                "request.geoip.latitude > 9007199254740993",
                "request.geoip.latitude >= -7",
                "request.geoip.latitude != 1.5",
                "request.geoip.latitude <= 0.0",
                "exists(request.geoip.latitude)",
            ],
            &numbers(&mut r, &big, false, 3000),
        );
        cells += 1;
        // Booleans.
        tried += cell(
            "user.email_verified",
            "",
            &[
                "user.email_verified",
                "user.email_verified == false",
                "user.email_verified != true",
            ],
            &[json!(true), json!(false)],
        );
        cells += 1;
        // Addresses: equality (mapped too) and ranges.
        tried += cell(
            "request.ip",
            "",
            &[
                "ip == 10.0.0.1",
                "ip == ::ffff:203.0.113.9",
                "ip in 10.0.0.0/8",
                "ip in [203.0.113.0/24, 2001:db8:10::/48]",
                "not ip in 2001:db8::/32",
                "ip == null",
            ],
            &addresses(&mut r, 3000)
                .into_iter()
                .filter(|a| {
                    a.as_str()
                        .is_some_and(|t| crate::eval::parse_ip(t).is_some())
                })
                .collect::<Vec<_>>(),
        );
        cells += 1;
        // Timestamps relative to `now`, at any distance, and absolute ones.
        let d = 86_400_000i64;
        tried += cell(
            "user.created_at",
            "",
            &[
                "user.created_at > now - 7d",
                "user.created_at <= now - 800000d",
                "now - user.created_at < 12h",
                "user.created_at + 30d < now",
                "user.created_at == null",
            ],
            &times(
                &mut r,
                &[
                    FIXED_NOW - 7 * d,
                    FIXED_NOW - 800_000 * d,
                    FIXED_NOW - d / 2,
                    FIXED_NOW - 30 * d,
                ],
                3000,
            )
            .into_iter()
            .filter(|t| {
                t.as_str()
                    .is_some_and(|x| crate::eval::parse_time(x).is_some())
            })
            .collect::<Vec<_>>(),
        );
        cells += 1;
        tried += cell(
            "user.created_at",
            "",
            &[
                "user.created_at > \"2025-06-01T00:00:00Z\"",
                "user.created_at == \"2020-01-01T00:00:00Z\"",
            ],
            &times(&mut r, &[1_748_736_000_000, 1_577_836_800_000], 3000)
                .into_iter()
                .filter(|t| {
                    t.as_str()
                        .is_some_and(|x| crate::eval::parse_time(x).is_some())
                })
                .collect::<Vec<_>>(),
        );
        cells += 1;
        // Dynamic values: every constant kind, every JSON type.
        let parts = [
            "staff",
            "admin",
            "10.0.0.1",
            "203.0.113.9",
            "true",
            "1",
            "x",
            "",
        ];
        let nums = [1.0, 2.0, 1e16, 9_007_199_254_740_993.0, -3.5];
        for atoms in [
            &[
                "user.app_metadata.k == \"staff\"",
                "user.app_metadata.k == 1",
                "user.app_metadata.k == 10000000000000000.0",
                "user.app_metadata.k == true",
                "user.app_metadata.k == null",
                "user.app_metadata.k == [\"staff\"]",
                "user.app_metadata.k == [1, 2]",
                "\"admin\" in user.app_metadata.k",
                "user.app_metadata.k contains \"staff\"",
                "user.app_metadata.k",
            ][..],
            &[
                "user.app_metadata.k == 10.0.0.1",
                "user.app_metadata.k == ::ffff:203.0.113.9",
                "user.app_metadata.k in 10.0.0.0/8",
                "user.app_metadata.k == \"10.0.0.1\"",
                "user.app_metadata.k == 1",
            ][..],
            &[
                "user.app_metadata.k starts_with \"adm\"",
                "user.app_metadata.k ends_with \"f\"",
                "user.app_metadata.k contains \"ta\"",
                "user.app_metadata.k == \"staff\"",
                "user.app_metadata.k > 9007199254740992",
                "user.app_metadata.k <= 1.5",
                "exists(user.app_metadata.k)",
            ][..],
            &[
                "lower(user.app_metadata.k) == \"admin\"",
                "lower(user.app_metadata.k) starts_with \"st\"",
            ][..],
        ] {
            tried += cell(DYN, "", atoms, &dynamic(&mut r, &parts, &nums, 3000));
            cells += 1;
        }
        // Declared metadata: values of the type, and of every other type.
        for (decl, atoms) in [
            (
                "declare user.app_metadata.k: int\n",
                &[
                    "user.app_metadata.k > 3",
                    "user.app_metadata.k == 10000000000000000.0",
                ][..],
            ),
            (
                "declare user.app_metadata.k: string\n",
                &[
                    "user.app_metadata.k starts_with \"st\"",
                    "user.app_metadata.k == \"admin\"",
                ][..],
            ),
            (
                "declare user.app_metadata.k: bool\n",
                &["user.app_metadata.k", "user.app_metadata.k == false"][..],
            ),
            (
                "declare user.app_metadata.k: ip\n",
                &["user.app_metadata.k in 10.0.0.0/8"][..],
            ),
            (
                "declare user.app_metadata.k: timestamp\n",
                &["user.app_metadata.k > now - 7d"][..],
            ),
            (
                "declare user.app_metadata.k: float\n",
                &["user.app_metadata.k < 1.5"][..],
            ),
        ] {
            let mut values = dynamic(&mut r, &parts, &nums, 1500);
            values.extend(times(&mut r, &[FIXED_NOW - 7 * d], 200));
            tried += cell(DYN, decl, atoms, &values);
            cells += 1;
        }
        eprintln!("{cells} cells, {tried} independent values");
        // Every (kind, use) of the table is reached by the cells above.
        assert!(cells >= 18);
    }

    #[test]
    fn uses_outside_the_table_are_incomplete() {
        for (field, atom) in [
            ("user.email", "email matches \"^a\""),
            ("user.email", "email > \"m\""),
            ("user.email", "\"a\" in split(email, \",\")"),
            ("user.email", "trim(email) == \"a\""),
            ("user.email", "len(email) > 3"),
            ("user.email", "email == user.name"),
            (DYN, "user.app_metadata.k == 10.0.0.0/8"),
            (DYN, "user.app_metadata.k == 5m"),
            (DYN, "user.app_metadata.k starts_with \"1\" and user.app_metadata.k == 10.0.0.1"),
            (DYN, "user.app_metadata.k == \"2025-01-01T00:00:00Z\" and user.app_metadata.k > \"2024-01-01T00:00:00Z\""),
            ("user.app_metadata.k", "user.app_metadata.k[0] == \"a\" and \"a\" in user.app_metadata.k"),
        ] {
            let p = match crate::compile(
                &crate::source::SourceFile::new("x.mfapolicy", format!("rule r: require mfa when {atom}\n")),
                crate::schema::auth0_post_login(),
            )
            .policy
            {
                Some(p) => p,
                None => continue,
            };
            let engine = Engine::build(&[&p]).unwrap();
            let v = engine.vars.vars.iter().find(|v| v.text == field);
            assert!(
                v.is_none_or(|v| v.incomplete.is_some()),
                "`{atom}` should leave `{field}` incomplete"
            );
        }
    }
}
