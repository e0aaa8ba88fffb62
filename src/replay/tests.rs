//! The log mapping on the fixture samples (`tests/data/logs/`).

use super::*;
use crate::eval::DecisionKind;
use serde_json::json;

const BARE: &str = include_str!("../../tests/data/logs/sample-tenant-logs.ndjson");
const WRAPPED: &str = include_str!("../../tests/data/logs/sample-log-stream-envelopes.ndjson");

fn line(text: &str, n: usize) -> &str {
    text.lines().nth(n - 1).unwrap()
}

fn items(text: &str, n: usize) -> Vec<Item> {
    read_line(line(text, n).as_bytes(), InputKind::Auth0Logs)
}

/// The single event of a line, with its origin.
fn event(text: &str, n: usize) -> (Json, LogOrigin) {
    match items(text, n).pop().unwrap() {
        Item::Event {
            event,
            origin: Some(o),
            entry: None,
        } => (event, o),
        other => panic!("line {n}: {other:?}"),
    }
}

fn at<'a>(v: &'a Json, ptr: &str) -> &'a Json {
    v.pointer(ptr).unwrap_or(&Json::Null)
}

#[test]
fn mfa_evidence_entries_are_skipped() {
    assert_eq!(
        items(BARE, 1),
        vec![Item::Skipped {
            entry: None,
            log_type: "gd_auth_succeed".into()
        }]
    );
}

#[test]
fn a_database_login_maps_user_connection_client_request_stats() {
    let (ev, o) = event(BARE, 3);
    assert_eq!(o.log_type, "s");
    assert_eq!(at(&ev, "/user/user_id"), "auth0|6012d7eccvf1c41076d8ed3d");
    assert_eq!(at(&ev, "/user/email"), "altha@email.co.uk");
    assert_eq!(
        at(&ev, "/connection/name"),
        "Username-Password-Authentication"
    );
    assert_eq!(at(&ev, "/connection/strategy"), "auth0");
    assert_eq!(at(&ev, "/user/identities/0/provider"), "auth0");
    assert_eq!(at(&ev, "/user/identities/0/isSocial"), false);
    assert_eq!(at(&ev, "/client/name"), "Thiscovery");
    assert_eq!(
        at(&ev, "/request/ip"),
        "3a02:c7d:bb78:ad10:343c:4c88:60cb:be04"
    );
    assert_eq!(at(&ev, "/request/hostname"), "thiscovery.eu.auth0.com");
    assert_eq!(at(&ev, "/stats/logins_count"), 1);
    assert_eq!(at(&ev, "/tenant/id"), "thiscovery");
    assert_eq!(at(&ev, "/session/id"), "dt1G5nlxkGV10uJx4sKKBH7hwEVbaHAx");
    assert_eq!(
        at(&ev, "/authentication/methods"),
        &json!([{"name": "pwd", "timestamp": "2021-01-16T12:12:29.961Z"}])
    );
    // No location_info: geoip is empty and recorded as a gap.
    assert_eq!(at(&ev, "/request/geoip"), &json!({}));
    assert_eq!(o.gaps, vec!["request.geoip"]);
    assert_eq!(o.date_ms, mapping::parse_date("2021-01-16T12:12:30.147Z"));
    // What logs cannot hold is absent, not defaulted.
    assert!(ev.pointer("/user/app_metadata").is_none());
    assert!(ev.pointer("/authorization").is_none());
}

#[test]
fn the_mfa_prompt_is_an_outcome_not_a_method() {
    let (ev, _) = event(BARE, 2);
    let names: Vec<&Json> = at(&ev, "/authentication/methods")
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["name"])
        .collect();
    assert_eq!(names, vec!["pwd"]);
    assert_eq!(
        at(&ev, "/authentication/riskAssessment/confidence"),
        "medium"
    );
    assert_eq!(at(&ev, "/user/email"), "user@josh.local.dev.auth0.com");
}

#[test]
fn sso_and_silent_logins_are_thin() {
    let (social, o4) = event(BARE, 4);
    assert_eq!(at(&social, "/user/identities/0/isSocial"), true);
    assert_eq!(at(&social, "/authentication/methods/0/name"), "federated");
    assert_eq!(
        at(&social, "/user/identities/0/user_id"),
        "100000000000000000042"
    );
    assert!(!o4.gaps.contains(&"connection"));

    let (sso, o5) = event(BARE, 5);
    assert!(sso.pointer("/connection").is_none());
    for gap in ["connection", "stats.logins_count", "authentication.methods"] {
        assert!(o5.gaps.contains(&gap), "{gap} in {:?}", o5.gaps);
    }

    let (silent, o6) = event(BARE, 6);
    assert_eq!(o6.log_type, "ssa");
    assert_eq!(at(&silent, "/connection/name"), "google-oauth2");
    assert_eq!(at(&silent, "/transaction/prompt"), &json!(["none"]));
}

#[test]
fn location_info_becomes_geoip() {
    let (ev, o) = event(BARE, 7);
    assert_eq!(
        at(&ev, "/request/geoip"),
        &json!({
            "countryCode": "US", "countryCode3": "USA", "countryName": "United States",
            "cityName": "Tucson", "continentCode": "NA", "latitude": 32.6713,
            "longitude": -111.5766, "timeZone": "America/Phoenix",
            "subdivisionCode": "AZ", "subdivisionName": "Arizona"
        })
    );
    assert!(o.gaps.is_empty(), "{:?}", o.gaps);
    // `system_proc` is a username, not an email.
    assert!(ev.pointer("/user/email").is_none());
    assert_eq!(at(&ev, "/tenant/id"), "nova-prod02");
    assert!(at(&ev, "/security_context/ja3").is_string());
}

#[test]
fn a_refresh_token_exchange_has_protocol_org_and_audience() {
    let (ev, o) = event(BARE, 8);
    assert_eq!(o.log_type, "sertft");
    assert_eq!(at(&ev, "/transaction/protocol"), "oauth2-refresh-token");
    assert_eq!(at(&ev, "/organization/name"), "acme-staff");
    assert!(at(&ev, "/organization/id").is_string());
    assert!(at(&ev, "/resource_server/identifier").is_string());
    assert!(at(&ev, "/transaction/requested_scopes").is_array());
}

#[test]
fn envelopes_hold_the_same_entries_as_bare_lines() {
    assert_eq!(event(WRAPPED, 2).0, event(BARE, 3).0);
    assert_eq!(event(WRAPPED, 3).0, event(BARE, 7).0);
    let (ev, o) = event(WRAPPED, 1);
    assert_eq!(at(&ev, "/user/user_id"), "auth0|618223a4e3f49e006948565c");
    assert!(o.log_id.is_some());
}

#[test]
fn arrays_number_their_entries() {
    let arr = format!("[{},{},7]", line(BARE, 1), line(BARE, 3));
    let got = read_line(arr.as_bytes(), InputKind::Auth0Logs);
    assert_eq!(got.len(), 3);
    assert!(matches!(&got[0], Item::Skipped { entry: Some(0), .. }));
    assert!(matches!(&got[1], Item::Event { entry: Some(1), .. }));
    assert!(matches!(&got[2], Item::Error { entry: Some(2), .. }));
}

#[test]
fn malformed_lines_are_errors_with_columns() {
    let got = read_line(br#"{"user": }"#, InputKind::Events);
    match &got[..] {
        [Item::Error {
            message, column, ..
        }] => {
            assert!(
                message.starts_with("invalid JSON: expected value"),
                "{message}"
            );
            assert_eq!(*column, 10);
        }
        other => panic!("{other:?}"),
    }
    let got = read_line(b"  [1]", InputKind::Events);
    assert!(
        matches!(&got[..], [Item::Error { message, column: 3, .. }] if message.contains("found a list"))
    );
    let deep = "[".repeat(100_000);
    assert!(matches!(
        &read_line(deep.as_bytes(), InputKind::Events)[..],
        [Item::Error { .. }]
    ));
    let got = read_line(b"\xff", InputKind::Auth0Logs);
    assert!(matches!(&got[..], [Item::Error { .. }]));
}

#[test]
fn weaker_means_strictly_less_mfa() {
    use DecisionKind::*;
    assert!(is_weaker(RequireMfa, SkipMfa));
    assert!(is_weaker(RequireMfa, None));
    assert!(is_weaker(Deny, RequireMfa));
    assert!(!is_weaker(SkipMfa, None));
    assert!(!is_weaker(None, SkipMfa));
    assert!(!is_weaker(None, RequireMfa));
}

fn policy(text: &str) -> Policy {
    let src = crate::source::SourceFile::new("t.mfapolicy", text);
    crate::compile(&src, crate::schema::auth0_post_login())
        .policy
        .unwrap()
}

#[test]
fn paths_read_follows_lets_shorthands_and_quantifiers() {
    let p = policy(
        "let office = [203.0.113.0/24]\n\
         let corp = connection == \"corp-ad\" and not ip in office\n\
         rule a: require mfa when corp unless any m in authentication.methods: m.name == \"mfa\"\n\
         rule b: require mfa when user.app_metadata.require_mfa == true or country in [\"KP\"]\n\
         rule c: skip mfa when user.identities[0].connection == \"x\" and organization in [\"o\"]\n",
    );
    let read = |i: usize| paths_read(&p, &p.rules[i]);
    assert_eq!(
        read(0),
        vec![
            "connection.name",
            "request.ip",
            "authentication.methods",
            "authentication.methods.name"
        ]
    );
    assert_eq!(
        read(1),
        vec!["user.app_metadata.require_mfa", "request.geoip.countryCode"]
    );
    assert_eq!(
        read(2),
        vec!["user.identities.connection", "organization.name"]
    );
    let reach = Reach::new(&p);
    let unsupplied: Vec<Vec<&str>> = reach
        .unsupplied
        .iter()
        .map(|u| u.iter().map(|(p, _)| p.as_str()).collect())
        .collect();
    assert_eq!(
        unsupplied,
        vec![
            vec!["authentication.methods", "authentication.methods.name"],
            vec!["user.app_metadata.require_mfa"],
            vec!["user.identities.connection"],
        ]
    );
    assert_eq!(coverage("organization"), Coverage::Supplied);
    assert_eq!(coverage("user.app_metadata"), Coverage::Missing);
    assert_eq!(coverage("authorization.roles"), Coverage::Missing);
}

#[test]
fn unsure_rules_could_change_the_decision() {
    let p = policy(
        "default skip mfa\n\
         rule corp: require mfa when connection == \"corp-ad\"\n\
         rule flagged: require mfa when user.app_metadata.require_mfa == true\n\
         rule geo: deny when country == \"KP\"\n",
    );
    let reach = Reach::new(&p);
    let decide = |ev: Json| crate::eval::evaluate(&p, &ev, 0);
    // Nothing applied: `flagged` might have applied with real metadata.
    let d = decide(json!({"connection": {"name": "other"}, "request": {"geoip": {}}}));
    assert_eq!(reach.unsure_rules(&p, &d, &[]), vec![1]);
    // `corp` already requires MFA: `flagged` cannot change that.
    let d = decide(json!({"connection": {"name": "corp-ad"}}));
    assert!(reach.unsure_rules(&p, &d, &[]).is_empty());
    // Without geo for this entry, `geo` could have denied.
    assert_eq!(reach.unsure_rules(&p, &d, &["request.geoip"]), vec![2]);
}
