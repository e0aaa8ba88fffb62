//! JavaScript text for the compiler's values: literals (integers beyond
//! 2^53 as BigInts, floats, strings safe for the Deploy CLI, addresses and
//! network sets) and the static kinds `runtime.js` dispatches on.

use crate::ir::{Const, NetSet};
use crate::schema::Type;
use std::fmt::Write as _;
use std::net::IpAddr;

/// The largest integer JavaScript holds exactly.
const MAX_SAFE: i64 = 9_007_199_254_740_991;

/// Kinds of values by static type (lists by where they come from).
pub(super) fn type_kind(ty: &Type) -> String {
    match ty {
        Type::String | Type::Enum(_) => "s",
        Type::Int => "i",
        Type::Float => "f",
        Type::Bool => "b",
        Type::Ip => "ip",
        Type::Cidr => "net",
        Type::Timestamp => "t",
        Type::Duration => "d",
        Type::Record(_) | Type::Map | Type::Dynamic => "j",
        Type::Null => "n",
        Type::List(t) => return format!("e{}", conv_kind(t)),
    }
    .into()
}

/// How an event value of this type is read (`o`: must be an object).
pub(super) fn conv_kind(ty: &Type) -> String {
    match ty {
        Type::Record(_) | Type::Map => "o".into(),
        Type::List(t) => format!("e{}", conv_kind(t)),
        other => type_kind(other),
    }
}

pub(super) fn path_kind(ty: &Type) -> String {
    type_kind(ty)
}

pub(super) fn const_kind(c: &Const, ty: &Type) -> String {
    match (c, ty) {
        (Const::List(_), Type::List(t)) => format!("c{}", const_elem_kind(t)),
        (Const::List(_), _) => "cn".into(),
        _ => type_kind(ty),
    }
}

pub(super) fn const_elem_kind(t: &Type) -> String {
    match t {
        Type::List(u) => format!("c{}", const_elem_kind(u)),
        other => type_kind(other),
    }
}

/// The kind of an element of a list of kind `k`.
pub(super) fn elem_kind(k: &str) -> String {
    let inner = match k.get(..1) {
        Some("c") | Some("e") => k.get(1..).unwrap_or("j"),
        _ => "j",
    };
    if inner == "o" {
        "j".into()
    } else {
        inner.into()
    }
}

pub(super) fn conv_fn(ty: &Type) -> &'static str {
    match ty {
        Type::String | Type::Enum(_) => "$str",
        Type::Int => "$int",
        Type::Float => "$float",
        Type::Bool => "$bool",
        Type::Ip => "$ipv",
        Type::Cidr => "$netv",
        Type::Timestamp => "$timev",
        Type::Duration => "$durv",
        Type::List(_) => "$listv",
        Type::Record(_) | Type::Map => "$objv",
        Type::Dynamic => "$dyn",
        Type::Null => "$nullv",
    }
}

pub(super) fn q(kind: &str) -> String {
    format!("\"{kind}\"")
}

/// A `let`'s function name.
pub(super) fn let_name(name: &str) -> String {
    format!("let_{name}")
}

/// An integer as JavaScript: a number when exact, else a BigInt.
pub(super) fn int(i: i64) -> String {
    let text = if (-MAX_SAFE..=MAX_SAFE).contains(&i) {
        i.to_string()
    } else {
        format!("{i}n")
    };
    if i < 0 {
        format!("({text})")
    } else {
        text
    }
}

pub(super) fn float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "(-Infinity)" }.into()
    } else if f.is_sign_negative() {
        format!("({f:?})")
    } else {
        format!("{f:?}")
    }
}

pub(super) fn groups(a: std::net::Ipv6Addr) -> String {
    let g: Vec<String> = a.segments().iter().map(|s| s.to_string()).collect();
    format!("[{}]", g.join(", "))
}

pub(super) fn const_text(c: &Const) -> String {
    match c {
        Const::Ip(IpAddr::V4(a)) => format!("$ip4({})", u32::from(*a)),
        Const::Ip(IpAddr::V6(a)) => format!("$ip6({})", groups(*a)),
        Const::Cidr(ipnet::IpNet::V4(n)) => {
            format!("$net(4, {}, {})", u32::from(n.addr()), n.prefix_len())
        }
        Const::Cidr(ipnet::IpNet::V6(n)) => {
            format!("$net(6, {}, {})", groups(n.addr()), n.prefix_len())
        }
        _ => "null".into(),
    }
}

pub(super) fn net_set(s: &NetSet) -> String {
    let v4: Vec<String> = s.v4.iter().map(|(n, m)| format!("[{n}, {m}]")).collect();
    let v6: Vec<String> =
        s.v6.iter()
            .map(|(n, m)| {
                format!(
                    "[{}, {}]",
                    groups(std::net::Ipv6Addr::from(*n)),
                    groups(std::net::Ipv6Addr::from(*m))
                )
            })
            .collect();
    format!(
        "Object.freeze({{ v4: [{}], v6: [{}] }})",
        v4.join(", "),
        v6.join(", ")
    )
}

/// A JavaScript string literal: ASCII only, and no `@` or `#` so no Deploy
/// CLI keyword pattern (`@@KEY@@`, `##KEY##`) can appear in the output.
pub(super) fn js_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len().saturating_add(2));
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '@' => o.push_str("\\x40"),
            '#' => o.push_str("\\x23"),
            ' '..='~' => o.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(o, "\\u{unit:04x}");
                }
            }
        }
    }
    o.push('"');
    o
}
