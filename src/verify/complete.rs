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
    if v.free_json && kind == Kind::List {
        return Some(format!(
            "`{text}` is metadata: its lists may hold elements of any JSON type"
        ));
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
