//! Properties of the fast paths: on any event, the projected parse and the
//! allocation-free `decide` make exactly the decision of the full parse and
//! `evaluate`, for every policy shipped in the repository.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::eval::{self, Projection};
use mfapol::source::SourceFile;
use mfapol::{compile, schema};
use proptest::prelude::*;
use serde_json::{json, Value};

fn policies() -> Vec<(String, mfapol::ir::Policy)> {
    let mut out = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("policies")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "mfapolicy") {
                let text = std::fs::read_to_string(&p).unwrap();
                let name = p.display().to_string();
                if let Some(policy) = compile(
                    &SourceFile::new(name.as_str(), text),
                    schema::auth0_post_login(),
                )
                .policy
                {
                    out.push((name, policy));
                }
            }
        }
    }
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string("tests/data/conformance.json").unwrap())
            .unwrap();
    for c in cases["decisions"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let src = SourceFile::new(name, c["policy"].as_str().unwrap());
        if let Some(p) = compile(&src, schema::auth0_post_login()).policy {
            out.push((name.to_string(), p));
        }
    }
    assert!(out.len() >= 20);
    out
}

fn base_events() -> Vec<Value> {
    [
        "01-database-org-official-mock.json",
        "03-social-google-ipv6.json",
        "04-enterprise-samlp-organization.json",
    ]
    .iter()
    .map(|n| {
        serde_json::from_str(&std::fs::read_to_string(format!("tests/cases/events/{n}")).unwrap())
            .unwrap()
    })
    .collect()
}

/// Paths the example policies read, with values of the right type, the
/// wrong type, null, and absent.
fn mutation() -> impl Strategy<Value = (Vec<&'static str>, Option<Value>)> {
    let paths: Vec<Vec<&'static str>> = vec![
        vec!["connection", "name"],
        vec!["connection", "strategy"],
        vec!["connection"],
        vec!["request", "ip"],
        vec!["request", "geoip", "countryCode"],
        vec!["request", "geoip", "continentCode"],
        vec!["request", "geoip"],
        vec!["request"],
        vec!["user", "email"],
        vec!["user", "app_metadata", "require_mfa"],
        vec!["user", "app_metadata", "staff"],
        vec!["user", "app_metadata"],
        vec!["user", "user_metadata", "mfa"],
        vec!["user", "multifactor"],
        vec!["user", "enrolledFactors"],
        vec!["user", "created_at"],
        vec!["organization"],
        vec!["organization", "name"],
        vec!["authorization", "roles"],
        vec!["authentication", "methods"],
        vec!["authentication"],
        vec!["transaction", "protocol"],
        vec!["stats", "logins_count"],
    ];
    let values = prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(json!("corp-ad"))),
        Just(Some(json!("google-oauth2"))),
        Just(Some(json!("acme-staff"))),
        Just(Some(json!("203.0.113.9"))),
        Just(Some(json!("::ffff:203.0.113.9"))),
        Just(Some(json!("2001:db8:10::1"))),
        Just(Some(json!("198.51.100.23"))),
        Just(Some(json!("not-an-ip"))),
        Just(Some(json!("EU"))),
        Just(Some(json!("KP"))),
        Just(Some(json!("bob@customer.example"))),
        Just(Some(json!("oauth2-refresh-token"))),
        Just(Some(json!("2025-01-01T00:00:00Z"))),
        Just(Some(json!(true))),
        Just(Some(json!(false))),
        Just(Some(json!("true"))),
        Just(Some(json!(7))),
        Just(Some(json!(1.5))),
        Just(Some(json!(["guardian"]))),
        Just(Some(json!(["admin", "billing-admin"]))),
        Just(Some(
            json!([{"name": "mfa", "timestamp": "2025-01-01T00:00:00Z"}])
        )),
        Just(Some(json!([{"type": "otp"}, {"type": "webauthn-roaming"}]))),
        Just(Some(
            json!({"name": "acme-internal", "id": "org_1", "display_name": "Acme", "metadata": {}})
        )),
        Just(Some(json!({}))),
        Just(Some(json!([1, "x", null]))),
    ];
    (proptest::sample::select(paths), values)
}

fn apply(event: &mut Value, path: &[&str], value: &Option<Value>) {
    let (last, parents) = path.split_last().unwrap();
    let mut cur = event;
    for k in parents {
        if !cur.get(*k).is_some_and(Value::is_object) {
            cur[*k] = json!({});
        }
        cur = cur.get_mut(*k).unwrap();
    }
    match value {
        None => {
            cur.as_object_mut().unwrap().remove(*last);
        }
        Some(v) => cur[*last] = v.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn projection_and_fast_path_decide_like_the_full_path(
        base in 0usize..3,
        mutations in proptest::collection::vec(mutation(), 0..8),
        now in 1_600_000_000_000i64..1_800_000_000_000,
    ) {
        let mut event = base_events().swap_remove(base);
        for (path, value) in &mutations {
            apply(&mut event, path, value);
        }
        let text = event.to_string();
        let full_event = eval::parse_event(&text).unwrap();
        for (name, policy) in policies() {
            let full = eval::evaluate(&policy, &full_event, now);
            let projected_event = Projection::new(&policy).parse(&text).unwrap();
            let projected = eval::evaluate(&policy, &projected_event, now);
            prop_assert_eq!(&projected, &full, "{}: projection differs on {}", name, text);
            let fast = eval::decide(&policy, &full_event, now);
            prop_assert_eq!(fast.kind, full.kind, "{}", name);
            prop_assert_eq!(fast.deciding, full.deciding, "{}", name);
            prop_assert!(fast.errors <= full.errors.len(), "{}", name);
        }
    }
}
