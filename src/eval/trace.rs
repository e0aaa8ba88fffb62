//! What `mfapol eval --explain` records: per rule, whether it applied, the
//! truth of its conditions and each comparison with the event values it
//! read. The interpreter fills these in when asked ([`super::explain`]).

use super::value::{self, Value};
use super::{Decision, Truth};
use serde_json::{Map, Value as Json};
use std::sync::Arc;

/// The most comparisons recorded per rule (quantifiers can repeat a body).
pub const MAX_CHECKS_PER_RULE: usize = 64;

/// What `explain` records about one rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleTrace {
    /// Index of the rule in the policy.
    pub index: usize,
    /// Whether it applied.
    pub applied: bool,
    /// The truth of its `when`.
    pub when: Truth,
    /// The truth of its `unless`, if it has one.
    pub unless: Option<Truth>,
    /// The comparisons evaluated, in order.
    pub checks: Vec<Check>,
}

/// A string value read by a check is stored up to this many characters.
pub const MAX_TRACE_STRING_CHARS: usize = 256;

/// A list or object read by a check is stored up to this many elements (or
/// keys, in key order).
pub const MAX_TRACE_ITEMS: usize = 8;

/// Containers nested deeper than this in a stored value are summarised.
pub const MAX_TRACE_DEPTH: usize = 3;

/// The value a check read, as stored in its trace: bounded in size however
/// large the event (a 5 MB event once made `--explain` use 6 GB, one copy per
/// check), and deterministic. A string longer than
/// [`MAX_TRACE_STRING_CHARS`] keeps its head and ends with `… (N chars)`; a
/// list keeps [`MAX_TRACE_ITEMS`] elements and then one string element
/// `… N more`; an object keeps its first keys and then a key `…` whose value
/// is `N more keys`; below [`MAX_TRACE_DEPTH`] a container becomes a string
/// such as `[… 3 elements]`.
pub(super) fn stored(v: &Value<'_>) -> Json {
    match v {
        Value::Str(s) => text(s),
        Value::JsonList(items, _) => list(items.len(), items.iter().map(|j| json(j, 1))),
        Value::StrList(items) => list(items.len(), items.iter().map(|x| text(x))),
        Value::ConstList(items) => list(
            items.len(),
            items.iter().map(|c| stored(&value::from_const(c))),
        ),
        Value::Json(j) => json(j, 0),
        other => value::to_json(other),
    }
}

fn text(s: &str) -> Json {
    match s.char_indices().nth(MAX_TRACE_STRING_CHARS) {
        None => Json::String(s.to_owned()),
        Some((cut, _)) => Json::String(format!(
            "{}… ({} chars)",
            s.get(..cut).unwrap_or(s),
            s.chars().count()
        )),
    }
}

fn list(len: usize, items: impl Iterator<Item = Json>) -> Json {
    let mut out: Vec<Json> = items.take(MAX_TRACE_ITEMS).collect();
    if len > MAX_TRACE_ITEMS {
        out.push(Json::String(format!(
            "… {} more",
            len.saturating_sub(MAX_TRACE_ITEMS)
        )));
    }
    Json::Array(out)
}

fn json(j: &Json, depth: usize) -> Json {
    let deep = depth >= MAX_TRACE_DEPTH;
    match j {
        Json::String(s) => text(s),
        Json::Array(items) if deep => Json::String(format!(
            "[… {} element{}]",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        )),
        Json::Object(m) if deep => Json::String(format!(
            "{{… {} key{}}}",
            m.len(),
            if m.len() == 1 { "" } else { "s" }
        )),
        Json::Array(items) => list(
            items.len(),
            items.iter().map(|x| json(x, depth.saturating_add(1))),
        ),
        Json::Object(m) => {
            let mut out: Map<String, Json> = m
                .iter()
                .take(MAX_TRACE_ITEMS)
                .map(|(k, v)| (text_key(k), json(v, depth.saturating_add(1))))
                .collect();
            if m.len() > MAX_TRACE_ITEMS {
                out.insert(
                    "…".into(),
                    Json::String(format!(
                        "{} more keys",
                        m.len().saturating_sub(MAX_TRACE_ITEMS)
                    )),
                );
            }
            Json::Object(out)
        }
        other => other.clone(),
    }
}

fn text_key(k: &str) -> String {
    match text(k) {
        Json::String(s) => s,
        _ => k.to_owned(),
    }
}

/// One evaluated comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The comparison in the policy source.
    pub span: crate::source::Span,
    /// Its outcome.
    pub truth: Truth,
    /// The event values it read: (path, value as JSON, truncated as
    /// described at [`MAX_TRACE_ITEMS`]).
    pub values: Vec<(Arc<str>, Json)>,
}

/// A decision with its trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The decision, exactly as [`evaluate`] makes it.
    pub decision: Decision,
    /// One trace per rule, in source order.
    pub rules: Vec<RuleTrace>,
}

impl Truth {
    /// `true`, `false` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "error",
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_values_are_bounded_and_marked() {
        let long = "x".repeat(5_000_000);
        let got = stored(&Value::Str(long.as_str().into()));
        let s = got.as_str().unwrap_or_default();
        assert!(s.ends_with("… (5000000 chars)"));
        assert_eq!(
            s.chars().count(),
            MAX_TRACE_STRING_CHARS + "… (5000000 chars)".chars().count()
        );
        assert_eq!(stored(&Value::Str("short".into())), json!("short"));

        let items: Vec<Json> = (0..100_000).map(|i| json!(i)).collect();
        let ty = crate::schema::Type::Int;
        let got = stored(&Value::JsonList(&items, &ty));
        assert_eq!(got, json!([0, 1, 2, 3, 4, 5, 6, 7, "… 99992 more"]));

        let obj: Map<String, Json> = (0..20)
            .map(|i| (format!("k{i:02}"), json!({"a": {"b": {"c": [1]}}})))
            .collect();
        let obj = Json::Object(obj);
        let got = stored(&Value::Json(&obj));
        let m = got.as_object().map(|m| m.len()).unwrap_or_default();
        assert_eq!(m, MAX_TRACE_ITEMS + 1);
        assert_eq!(got.get("…"), Some(&json!("12 more keys")));
        assert_eq!(got.get("k00"), Some(&json!({"a": {"b": "{… 1 key}"}})));
    }
}
