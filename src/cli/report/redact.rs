//! Personal data in sample explanations. Without `--report-identities`,
//! a value is shown only when it cannot identify a person: `true`,
//! `false`, `null`, a number outside `user`/`request`, or a text or list
//! read from a path of the tenant's own configuration (connection, client,
//! organization, country, roles, factor names, protocol, ...). Everything
//! else (user ids, emails, names, addresses, user agents, metadata, a
//! quantifier variable, a computed value) is replaced by [`HIDDEN`], and a
//! run-time error's message loses the value it quotes.

use mfapol::eval::{Explanation, LOCAL_KEY, SPAN_KEY};
use serde_json::Value as Json;

/// What a hidden value is shown as.
pub const HIDDEN: &str = "(hidden: --report-identities shows it)";

/// Paths (indexes removed) whose texts describe the tenant, not a person.
/// A prefix ending in `.` covers everything under it.
const SHOWN: &[&str] = &[
    "connection",
    "connection.",
    "client",
    "client.",
    "organization",
    "organization.",
    "country",
    "continent",
    "request.geoip.countryCode",
    "request.geoip.countryCode3",
    "request.geoip.countryName",
    "request.geoip.continentCode",
    "request.hostname",
    "request.method",
    "request.language",
    "roles",
    "authorization.roles",
    "user.multifactor",
    "user.enrolledFactors",
    "authentication.methods",
    "authentication.methods.name",
    "authentication.methods.timestamp",
    "authentication.riskAssessment.",
    "transaction.protocol",
    "transaction.prompt",
    "transaction.requested_scopes",
    "transaction.acr_values",
    "transaction.locale",
    "stats.logins_count",
    "tenant.id",
    "resource_server.identifier",
];

/// Roots whose numbers may still be personal (a phone number, an address
/// part, an id).
const PERSONAL_ROOTS: &[&str] = &["user", "email", "ip", "request", "session", "refresh_token"];

/// `user.identities[0].connection` as `user.identities.connection`.
fn unindexed(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0u32;
    for c in path.chars() {
        match c {
            '[' => depth = depth.saturating_add(1),
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn shown_path(path: &str) -> bool {
    let p = unindexed(path);
    SHOWN.iter().any(|s| match s.strip_suffix('.') {
        Some(prefix) => p.starts_with(*s) || p == prefix,
        None => p == *s,
    })
}

/// Whether a value read at `key` may be shown without the flag.
pub fn may_show(key: &str, value: &Json) -> bool {
    if key.starts_with(LOCAL_KEY) || key.starts_with(SPAN_KEY) {
        return matches!(value, Json::Bool(_) | Json::Null);
    }
    match value {
        Json::Bool(_) | Json::Null => true,
        Json::Number(_) => {
            shown_path(key)
                || !PERSONAL_ROOTS
                    .iter()
                    .any(|r| key == *r || key.starts_with(&format!("{r}.")))
        }
        _ => shown_path(key),
    }
}

/// Replaces every value a person could be identified by.
pub fn redact(ex: &mut Explanation) {
    for r in &mut ex.rules {
        for c in &mut r.checks {
            for (key, value) in &mut c.values {
                if !may_show(key, value) {
                    *value = Json::String(HIDDEN.into());
                }
            }
        }
    }
    for e in &mut ex.decision.errors {
        // Every run-time error that quotes a value says `... holds VALUE`.
        let path_shown = e.path.as_deref().is_some_and(shown_path);
        if !path_shown {
            if let Some(at) = e.message.find(" holds ") {
                e.message.truncate(at);
                e.message.push_str(" holds a value ");
                e.message.push_str(HIDDEN);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn people_are_hidden_and_the_tenant_is_shown() {
        for (key, v) in [
            ("user.user_id", json!("auth0|123")),
            ("user.email", json!("a@b.c")),
            ("email", json!("a@b.c")),
            ("ip", json!("198.51.100.7")),
            ("request.ip", json!("198.51.100.7")),
            ("request.user_agent", json!("Mozilla")),
            ("user.app_metadata.phone", json!(5551234)),
            ("user.identities[0].user_id", json!("x")),
            ("request.geoip.cityName", json!("Berlin")),
            ("request.geoip.latitude", json!(52.5)),
            ("\0local:0", json!("m@x.y")),
            ("\0span:3:9", json!("a@b.c")),
        ] {
            assert!(!may_show(key, &v), "{key} = {v} must be hidden");
        }
        for (key, v) in [
            ("connection", json!("corp-ad")),
            ("connection.name", json!("corp-ad")),
            ("client.metadata.tier", json!("gold")),
            ("organization.name", json!("acme")),
            ("country", json!("DE")),
            ("request.geoip.countryCode", json!("DE")),
            ("roles", json!(["admin"])),
            ("user.multifactor", json!(["guardian"])),
            ("authentication.methods[0].name", json!("pwd")),
            ("stats.logins_count", json!(3)),
            ("user.email_verified", json!(true)),
            ("\0local:0", json!(false)),
        ] {
            assert!(may_show(key, &v), "{key} = {v} may be shown");
        }
    }
}
