//! One Auth0 log entry to one post-login `event` (the table in
//! `docs/replay.md`, after `auth0-logs.md` §4).
//!
//! Only what the entry states is written; every field the entry lacks stays
//! absent (never a made-up default), so rules that read it see `null`.

use serde_json::{json, Map, Value as Json};

/// An event rebuilt from a log entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapped {
    /// The post-login event.
    pub event: Json,
    /// Paths the mapping usually fills but this entry could not (e.g.
    /// `connection` on an SSO login, `request.geoip` without
    /// `location_info`). Rules that read them may decide differently on the
    /// real event.
    pub gaps: Vec<&'static str>,
    /// The entry's `date` in milliseconds since the Unix epoch, when it parses.
    pub date_ms: Option<i64>,
}

/// A non-empty string field of an object.
fn text<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str).filter(|s| !s.is_empty())
}

fn put(m: &mut Map<String, Json>, key: &str, value: Option<Json>) {
    if let Some(v) = value {
        m.insert(key.into(), v);
    }
}

fn put_str(m: &mut Map<String, Json>, key: &str, value: Option<&str>) {
    put(m, key, value.map(|s| json!(s)));
}

/// Maps a log entry (bare, envelopes already removed) to an event.
pub fn to_event(entry: &Json) -> Mapped {
    let mut gaps = Vec::new();
    let details = entry.get("details").unwrap_or(&Json::Null);
    let prompts: &[Json] = details
        .get("prompts")
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice);
    let log_type = super::logs::log_type(entry);
    let date_ms = entry
        .get("date")
        .and_then(Json::as_str)
        .and_then(parse_date);

    let mut ev = Map::new();
    ev.insert("user".into(), user(entry, prompts));

    let mut conn = Map::new();
    put_str(
        &mut conn,
        "name",
        text(entry, "connection").or_else(|| text(entry, "session_connection")),
    );
    put_str(&mut conn, "id", text(entry, "connection_id"));
    put_str(&mut conn, "strategy", text(entry, "strategy"));
    if !conn.contains_key("name") {
        gaps.push("connection");
    }
    if !conn.is_empty() {
        ev.insert("connection".into(), Json::Object(conn));
    }

    let mut client = Map::new();
    put_str(&mut client, "client_id", text(entry, "client_id"));
    put_str(&mut client, "name", text(entry, "client_name"));
    ev.insert("client".into(), Json::Object(client));

    let mut org = Map::new();
    put_str(&mut org, "id", text(entry, "organization_id"));
    put_str(&mut org, "name", text(entry, "organization_name"));
    if !org.is_empty() {
        ev.insert("organization".into(), Json::Object(org));
    }

    ev.insert("request".into(), request(entry, &mut gaps));

    if let Some(sc) = entry.get("security_context").filter(|v| v.is_object()) {
        let mut m = Map::new();
        put_str(&mut m, "ja3", text(sc, "ja3"));
        put_str(&mut m, "ja4", text(sc, "ja4"));
        ev.insert("security_context".into(), Json::Object(m));
    }

    match logins_count(details, prompts) {
        Some(n) => {
            ev.insert("stats".into(), json!({ "logins_count": n }));
        }
        None => gaps.push("stats.logins_count"),
    }

    let hostname = text(entry, "hostname");
    let tenant = text(entry, "tenant_name").or_else(|| {
        hostname
            .filter(|h| h.ends_with(".auth0.com"))
            .and_then(|h| h.split('.').next())
    });
    match tenant {
        Some(t) => {
            ev.insert("tenant".into(), json!({ "id": t }));
        }
        None => gaps.push("tenant.id"),
    }

    let methods = methods(prompts, entry.get("date"));
    if methods.is_empty() {
        gaps.push("authentication.methods");
    }
    let mut auth = Map::new();
    auth.insert("methods".into(), Json::Array(methods));
    put(
        &mut auth,
        "riskAssessment",
        details
            .get("riskAssessment")
            .filter(|r| r.is_object())
            .cloned(),
    );
    ev.insert("authentication".into(), Json::Object(auth));

    let mut session = Map::new();
    put_str(&mut session, "id", text(details, "session_id"));
    if let Some(mode) = details
        .pointer("/session/cookie/mode")
        .and_then(Json::as_str)
    {
        session.insert("cookie".into(), json!({ "mode": mode }));
    }
    if !session.is_empty() {
        ev.insert("session".into(), Json::Object(session));
    }

    let tx = transaction(entry, details, log_type);
    if !tx.is_empty() {
        ev.insert("transaction".into(), Json::Object(tx));
    }

    let audience = text(entry, "audience").or_else(|| text(details, "requested_audience"));
    if let Some(a) = audience {
        ev.insert("resource_server".into(), json!({ "identifier": a }));
    }
    if let Some(sid) = details
        .pointer("/refresh_token/session_id")
        .and_then(Json::as_str)
    {
        ev.insert("refresh_token".into(), json!({ "session_id": sid }));
    }
    if let Some(agent) = text(entry, "agent_id") {
        ev.insert("agent".into(), json!({ "agent_id": agent }));
    }
    Mapped {
        event: Json::Object(ev),
        gaps,
        date_ms,
    }
}

fn user(entry: &Json, prompts: &[Json]) -> Json {
    let mut u = Map::new();
    put_str(&mut u, "user_id", text(entry, "user_id"));
    put_str(
        &mut u,
        "email",
        text(entry, "user_name").filter(|n| looks_like_email(n)),
    );
    // The identity that just logged in; the user's other identities are not in logs.
    let mut id = Map::new();
    put_str(
        &mut id,
        "connection",
        text(entry, "connection").or_else(|| text(entry, "session_connection")),
    );
    put_str(&mut id, "provider", text(entry, "strategy"));
    let idp_id = text(entry, "identity_user_id")
        .map(str::to_string)
        .or_else(|| prompts.iter().find_map(|p| identity(p.get("identity")?)));
    put(&mut id, "user_id", idp_id.map(Json::String));
    if let Some(kind) = text(entry, "strategy_type") {
        id.insert("isSocial".into(), json!(kind == "social"));
    }
    if id.contains_key("connection") || id.contains_key("provider") {
        u.insert("identities".into(), json!([id]));
    }
    Json::Object(u)
}

/// A prompt's `identity`, which logs write as a string or a number.
fn identity(v: &Json) -> Option<String> {
    match v {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `user_name` is the email only when it looks like one (it may be a
/// username, or masked by a log stream's PII settings).
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
}

/// `location_info` keys (snake_case) to `request.geoip` keys (camelCase).
const GEOIP_KEYS: &[(&str, &str)] = &[
    ("country_code", "countryCode"),
    ("country_code3", "countryCode3"),
    ("country_name", "countryName"),
    ("city_name", "cityName"),
    ("continent_code", "continentCode"),
    ("latitude", "latitude"),
    ("longitude", "longitude"),
    ("time_zone", "timeZone"),
    ("subdivision_code", "subdivisionCode"),
    ("subdivision_name", "subdivisionName"),
];

fn request(entry: &Json, gaps: &mut Vec<&'static str>) -> Json {
    let mut r = Map::new();
    put_str(&mut r, "ip", text(entry, "ip"));
    put_str(&mut r, "hostname", text(entry, "hostname"));
    put_str(&mut r, "user_agent", text(entry, "user_agent"));
    let mut geo = Map::new();
    match entry.get("location_info").filter(|l| l.is_object()) {
        Some(loc) => {
            for (from, to) in GEOIP_KEYS {
                match loc.get(*from) {
                    Some(Json::String(s)) if !s.is_empty() => {
                        geo.insert((*to).into(), json!(s));
                    }
                    Some(n @ Json::Number(_)) => {
                        geo.insert((*to).into(), n.clone());
                    }
                    _ => {}
                }
            }
        }
        None => gaps.push("request.geoip"),
    }
    r.insert("geoip".into(), Json::Object(geo));
    Json::Object(r)
}

fn logins_count(details: &Json, prompts: &[Json]) -> Option<i64> {
    // `null` means unknown, not 0 (log catalog).
    details
        .pointer("/stats/loginsCount")
        .and_then(Json::as_i64)
        .or_else(|| {
            prompts
                .iter()
                .find_map(|p| p.pointer("/stats/loginsCount").and_then(Json::as_i64))
        })
}

/// `details.prompts[]` authentication stages to `authentication.methods[]`.
/// The `mfa` prompt is left out: it is the outcome of the policy that was
/// in force, not an input to the one being tried.
fn methods(prompts: &[Json], date: Option<&Json>) -> Vec<Json> {
    let mut out = Vec::new();
    for p in prompts {
        let name = p.get("name").and_then(Json::as_str).unwrap_or("");
        let passkey = p
            .get("performed_amr")
            .and_then(Json::as_array)
            .is_some_and(|a| a.iter().any(|x| x == "phr"));
        let method = if passkey {
            "passkey"
        } else {
            match name {
                "prompt-authenticate"
                | "prompt-authenticate-password"
                | "lock-password-authenticate" => "pwd",
                "federated-authenticate"
                | "oauth1-authenticate"
                | "oauth2-authenticate"
                | "oidc-authenticate"
                | "saml-authenticate"
                | "wsfed-authenticate" => "federated",
                _ => continue,
            }
        };
        let ts = p
            .get("completedAt")
            .and_then(Json::as_i64)
            .and_then(iso_millis)
            .map(Json::String)
            .or_else(|| date.filter(|d| d.is_string()).cloned());
        let mut m = Map::new();
        m.insert("name".into(), json!(method));
        put(&mut m, "timestamp", ts);
        out.push(Json::Object(m));
    }
    out
}

fn transaction(entry: &Json, details: &Json, log_type: &str) -> Map<String, Json> {
    let mut tx = Map::new();
    put_str(&mut tx, "id", text(details, "transaction_id"));
    let protocol = match log_type {
        "sertft" => Some("oauth2-refresh-token"),
        "sepft" => Some("oauth2-password"),
        _ => None,
    };
    put_str(&mut tx, "protocol", protocol);
    if matches!(log_type, "ssa" | "sdelsa") {
        tx.insert("prompt".into(), json!(["none"]));
    }
    let scope = details
        .get("requested_scope")
        .filter(|s| !s.is_null())
        .or_else(|| entry.get("scope"));
    let scopes: Option<Vec<Json>> = match scope {
        Some(Json::String(s)) => Some(s.split_whitespace().map(|x| json!(x)).collect()),
        Some(Json::Array(a)) => Some(a.iter().filter(|x| x.is_string()).cloned().collect()),
        _ => None,
    };
    put(&mut tx, "requested_scopes", scopes.map(Json::Array));
    tx
}

fn iso_millis(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// A log `date`: RFC 3339, or the vendor form `2025-10-03 14:09:32.149000000` (UTC).
pub fn parse_date(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}
