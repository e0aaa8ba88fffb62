//! Auth0 tenant log entries: unwrapping the envelopes they arrive in, and
//! which entry types stand for a post-login Action run.
//!
//! The envelope shapes and the reading order follow `auth0-logs.md` §1: a
//! JSON array (stream `JSONARRAY` bodies, API pages), an Amazon EventBridge
//! event (`detail.data`), an Azure Event Grid CloudEvent (`data` with
//! `specversion`), a webhook or vendor wrapper (`{log_id, data}`), a
//! Management API page with totals (`{logs: [...]}`), or a bare entry.

use serde_json::Value as Json;

/// How deep envelopes may nest (an array of wrappers is two levels).
const MAX_ENVELOPE_DEPTH: usize = 4;

/// Log types that mean a post-login Action ran for a user, and are replayed.
///
/// `s` (success login, SSO logins included), `ssa` (silent auth), `scoa`
/// (cross-origin), `sdel`/`sdelsa` (delegated), `sertft` (refresh token
/// exchange) and `sepft` (password grant). See `docs/replay.md`.
pub const REPLAYED_TYPES: &[&str] = &["s", "ssa", "scoa", "sdel", "sdelsa", "sertft", "sepft"];

/// Whether entries of this log type are replayed as post-login events.
pub fn is_replayed(log_type: &str) -> bool {
    REPLAYED_TYPES.contains(&log_type)
}

/// One log entry found in an input line, or why a part of the line is not one.
#[derive(Debug, PartialEq)]
pub enum Found<'a> {
    /// A log entry (the object that has `type`, `date`, `user_id`, ...).
    Entry(&'a Json),
    /// A value that is no log entry in any known envelope.
    NotAnEntry(String),
}

/// The log entries in one parsed input line, in order.
pub fn entries(line: &Json) -> Vec<Found<'_>> {
    let mut out = Vec::new();
    unwrap(line, 0, &mut out);
    out
}

fn unwrap<'a>(v: &'a Json, depth: usize, out: &mut Vec<Found<'a>>) {
    if depth > MAX_ENVELOPE_DEPTH {
        out.push(Found::NotAnEntry(
            "log envelopes are nested too deeply".into(),
        ));
        return;
    }
    match v {
        Json::Array(items) => {
            for item in items {
                unwrap(item, depth.saturating_add(1), out);
            }
        }
        Json::Object(m) => {
            let data = m.get("data").filter(|d| d.is_object());
            let data_type = data.and_then(|d| d.get("type")).and_then(Json::as_str);
            if let Some(d) = m
                .get("detail")
                .and_then(|d| d.get("data"))
                .filter(|d| d.is_object())
            {
                // Amazon EventBridge.
                unwrap(d, depth.saturating_add(1), out);
            } else if let (Some(d), Some(_)) = (data, data_type) {
                // CloudEvent (`specversion`) or webhook/vendor `{log_id, data}`.
                out.push(Found::Entry(d));
            } else if let Some(logs) = m.get("logs").filter(|l| l.is_array()) {
                unwrap(logs, depth.saturating_add(1), out);
            } else if m.get("type").is_some_and(Json::is_string) {
                out.push(Found::Entry(v));
            } else {
                out.push(Found::NotAnEntry(
                    "not an auth0 log entry: no string `type` here or in `data` or `detail.data`"
                        .into(),
                ));
            }
        }
        other => out.push(Found::NotAnEntry(format!(
            "not an auth0 log entry: found {}",
            kind(other)
        ))),
    }
}

/// The kind of a JSON value, in words.
pub fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// The entry's `type`, or `""`.
pub fn log_type(entry: &Json) -> &str {
    entry.get("type").and_then(Json::as_str).unwrap_or("")
}

/// The entry's id: `log_id`, else `_id`, else `id`, ignoring empty strings.
pub fn log_id(entry: &Json) -> Option<&str> {
    ["log_id", "_id", "id"].iter().find_map(|k| {
        entry
            .get(*k)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types(v: &Json) -> Vec<String> {
        entries(v)
            .into_iter()
            .map(|f| match f {
                Found::Entry(e) => log_type(e).to_string(),
                Found::NotAnEntry(m) => format!("error: {m}"),
            })
            .collect()
    }

    #[test]
    fn every_envelope_shape_is_unwrapped() {
        let entry = json!({"type": "s", "log_id": "1"});
        assert_eq!(types(&entry), ["s"]);
        assert_eq!(types(&json!({"log_id": "1", "data": entry})), ["s"]);
        assert_eq!(
            types(&json!({"detail-type": "Auth0 log", "detail": {"log_id": "1", "data": entry}})),
            ["s"]
        );
        assert_eq!(
            types(&json!({"specversion": "1.0", "type": "com.auth0.log", "data": entry})),
            ["s"]
        );
        assert_eq!(
            types(&json!([{"log_id": "1", "data": entry}, {"type": "seacft"}])),
            ["s", "seacft"]
        );
        assert_eq!(
            types(&json!({"start": 0, "length": 2, "logs": [entry, {"type": "fp"}]})),
            ["s", "fp"]
        );
    }

    #[test]
    fn other_values_are_reported() {
        let got = types(&json!([1, {"x": 2}]));
        assert_eq!(got.len(), 2);
        assert!(got[0].contains("found a number"), "{got:?}");
        assert!(got[1].contains("no string `type`"), "{got:?}");
        let mut deep = json!({"type": "s"});
        for _ in 0..10 {
            deep = json!([deep]);
        }
        assert!(types(&deep)[0].contains("nested too deeply"));
    }

    #[test]
    fn ids_and_types() {
        assert_eq!(log_id(&json!({"log_id": "", "_id": "abc"})), Some("abc"));
        assert_eq!(log_id(&json!({"id": "x"})), Some("x"));
        assert_eq!(log_id(&json!({})), None);
        assert!(is_replayed("s") && is_replayed("sertft"));
        assert!(!is_replayed("seacft") && !is_replayed("gd_auth_succeed"));
    }
}
