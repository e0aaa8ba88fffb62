//! SPEC §6–§7 semantics, table-driven through the library: null rules,
//! absent lists, dynamic values, errors failing closed, strongest effect.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::source::SourceFile;
use mfapol::{compile, eval, schema};
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "user": {"user_id": "auth0|1", "email": "ann@corp.example", "email_verified": true,
                 "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
                 "app_metadata": {"risk": "high", "tier": 3, "staff": true, "groups": ["a", "b"]},
                 "user_metadata": {}, "identities": [{"connection": "corp-ad", "provider": "ad"}]},
        "connection": {"id": "con_1", "name": "corp-ad", "strategy": "ad"},
        "client": {"client_id": "c1", "name": "Portal", "metadata": {}},
        "request": {"ip": "198.51.100.7", "method": "GET", "query": {}, "body": {},
                    "geoip": {"countryCode": "US", "continentCode": "NA"}},
        "stats": {"logins_count": 3},
        "tenant": {"id": "t"},
        "authentication": {"methods": [{"name": "pwd", "timestamp": "2025-06-01T11:00:00Z"},
                                       {"name": "mfa", "timestamp": "2025-06-01T11:30:00Z"}]},
        "transaction": {"protocol": "oidc-basic-profile", "metadata": {}}
    })
}

const NOW: &str = "2025-06-01T12:00:00Z";

/// (policy, decision, deciding rule, errors expected?)
fn case(policy: &str, event: &Value) -> (String, Option<String>, usize) {
    let src = SourceFile::new("t.mfapolicy", policy);
    let compiled = compile(&src, schema::auth0_post_login());
    let p = compiled
        .policy
        .unwrap_or_else(|| panic!("{policy}: {:?}", compiled.diagnostics));
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .timestamp_millis();
    let d = eval::evaluate(&p, event, now);
    let fast = eval::decide(&p, event, now);
    assert_eq!(fast.kind, d.kind, "{policy}");
    (
        d.kind.as_str().to_string(),
        d.rule_name(&p).map(String::from),
        d.errors.len(),
    )
}

fn check(rows: &[(&str, &str, usize)], event: &Value) {
    let mut bad = Vec::new();
    for (policy, want, errors) in rows {
        let (got, rule, n) = case(policy, event);
        if got != *want || n != *errors {
            bad.push(format!(
                "{policy}\n  want {want} ({errors} errors), got {got} by {rule:?} ({n} errors)"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn errors_fail_closed() {
    check(
        &[
            // A require/deny rule whose `when` raises applies, whatever follows.
            (
                "require mfa when user.app_metadata.risk > 50",
                "require_mfa",
                1,
            ),
            (
                "require mfa when user.app_metadata.risk > 50 and country == \"KP\"",
                "require_mfa",
                1,
            ),
            (
                "deny when user.app_metadata.risk > 50 or country == \"KP\"",
                "deny",
                1,
            ),
            // Short-circuit: an operand that is never reached raises nothing.
            (
                "require mfa when country == \"KP\" and user.app_metadata.risk > 50",
                "none",
                0,
            ),
            (
                "skip mfa when country == \"US\" or user.app_metadata.risk > 50",
                "skip_mfa",
                0,
            ),
            // A skip rule whose condition raises does not apply.
            (
                "skip mfa when user.app_metadata.risk > 50 or country == \"US\"",
                "none",
                1,
            ),
            (
                "skip mfa when country == \"US\" unless user.app_metadata.risk > 50",
                "none",
                1,
            ),
            // A raised `unless` does not exempt a require rule.
            (
                "require mfa when country == \"US\" unless user.app_metadata.risk > 50",
                "require_mfa",
                1,
            ),
            // `not` of a raised condition still raises.
            (
                "require mfa when not (user.app_metadata.risk > 50)",
                "require_mfa",
                1,
            ),
            // Dynamic used as a condition must be a JSON boolean.
            ("require mfa when user.app_metadata.tier", "require_mfa", 1),
            ("skip mfa when user.app_metadata.tier", "none", 1),
            ("skip mfa when user.app_metadata.staff", "skip_mfa", 0),
            ("skip mfa when user.app_metadata.missing", "none", 0),
            // Quantifier over a dynamic that is not a list.
            (
                "require mfa when any g in user.app_metadata.tier: g == \"a\"",
                "require_mfa",
                1,
            ),
            (
                "require mfa when any g in user.app_metadata.groups: g == \"b\"",
                "require_mfa",
                0,
            ),
            // Errors never weaken: require beats a skip even when the skip would apply.
            (
                "skip mfa when true\nrequire mfa when user.app_metadata.tier starts_with \"3\"",
                "require_mfa",
                1,
            ),
        ],
        &base(),
    );
}

#[test]
fn declared_types_misfit_at_run_time() {
    let mut e = base();
    e["user"]["app_metadata"]["staff"] = json!("true");
    e["request"]["ip"] = json!("not-an-ip");
    check(
        &[
            ("declare user.app_metadata.staff: bool\nrequire mfa when user.app_metadata.staff == true", "require_mfa", 1),
            ("declare user.app_metadata.staff: bool\nskip mfa when user.app_metadata.staff == true", "none", 1),
            ("require mfa when not ip in 10.0.0.0/8", "require_mfa", 1),
            ("skip mfa when ip in 10.0.0.0/8", "none", 1),
            ("require mfa when exists(request.ip)", "require_mfa", 0),
        ],
        &e,
    );
}

#[test]
fn null_rules_and_absent_values() {
    let mut e = base();
    e["request"].as_object_mut().unwrap().remove("ip");
    e["request"]["geoip"]
        .as_object_mut()
        .unwrap()
        .remove("continentCode");
    e["user"].as_object_mut().unwrap().remove("email");
    e["user"].as_object_mut().unwrap().remove("email_verified");
    e.as_object_mut().unwrap().remove("authentication");
    check(
        &[
            (
                "require mfa when not ip in 203.0.113.0/24",
                "require_mfa",
                0,
            ),
            ("require mfa when ip in 203.0.113.0/24", "none", 0),
            (
                "require mfa when ip not in 203.0.113.0/24",
                "require_mfa",
                0,
            ),
            ("require mfa when continent != \"EU\"", "require_mfa", 0),
            ("require mfa when continent == null", "require_mfa", 0),
            (
                "require mfa when email == null and not email ends_with \"@x\"",
                "require_mfa",
                0,
            ),
            (
                "require mfa when email ends_with \"@corp.example\"",
                "none",
                0,
            ),
            ("require mfa when not user.email_verified", "require_mfa", 0),
            ("require mfa when lower(email) == null", "require_mfa", 0),
            (
                "require mfa when len(user.multifactor) == 0",
                "require_mfa",
                0,
            ),
            (
                "require mfa when \"guardian\" in user.multifactor",
                "none",
                0,
            ),
            (
                "require mfa when user.multifactor contains \"guardian\"",
                "none",
                0,
            ),
            (
                "require mfa when any m in authentication.methods: m.name == \"mfa\"",
                "none",
                0,
            ),
            (
                "require mfa when all m in authentication.methods: m.name == \"mfa\"",
                "require_mfa",
                0,
            ),
            (
                "require mfa when user.identities[5].connection == null",
                "require_mfa",
                0,
            ),
            ("require mfa when stats.logins_count > null", "none", 0),
            ("require mfa when organization == null", "require_mfa", 0),
            (
                "require mfa when not exists(organization)",
                "require_mfa",
                0,
            ),
        ],
        &e,
    );
}

#[test]
fn operators() {
    let mut e = base();
    e["request"]["ip"] = json!("::ffff:203.0.113.9");
    check(
        &[
            ("require mfa when ip in 203.0.113.0/24", "require_mfa", 0),
            ("require mfa when ip in [198.51.100.0/24, 203.0.113.9]", "require_mfa", 0),
            ("require mfa when ip == 203.0.113.9", "require_mfa", 0),
            ("require mfa when connection == \"corp-ad\" and connection.strategy in [\"ad\", \"waad\"]", "require_mfa", 0),
            ("require mfa when connection starts_with \"corp\"", "require_mfa", 0),
            ("require mfa when email matches \"^[a-z]+@corp\\\\.example$\"", "require_mfa", 0),
            ("require mfa when email contains \"@\" and email ends_with \".example\"", "require_mfa", 0),
            ("require mfa when user.app_metadata.tier == \"3\"", "none", 0),
            ("require mfa when user.app_metadata.tier == 3 and user.app_metadata.tier >= 2.5", "require_mfa", 0),
            ("require mfa when user.app_metadata.groups contains \"a\"", "require_mfa", 0),
            ("require mfa when any m in authentication.methods: m.name == \"mfa\" and m.timestamp > now - 1h", "require_mfa", 0),
            ("require mfa when any m in authentication.methods: m.name == \"mfa\" and m.timestamp > now - 15m", "none", 0),
            ("require mfa when now - user.created_at > 30d", "require_mfa", 0),
            ("require mfa when user.created_at < \"2025-02-01T00:00:00Z\"", "require_mfa", 0),
            ("require mfa when stats.logins_count < 5 and stats.logins_count != 4", "require_mfa", 0),
        ],
        &e,
    );
}

#[test]
fn strongest_effect_and_deciding_rule() {
    let e = base();
    let policy = "default skip mfa\nrule a: skip mfa when true\nrule b: require mfa using \"duo\" when true\n\
                  rule c: require mfa using \"guardian\" when true\nrule d: deny \"no\" when country == \"KP\"\n";
    let (got, rule, _) = case(policy, &e);
    assert_eq!((got.as_str(), rule.as_deref()), ("require_mfa", Some("b")));
    let (got, rule, _) = case("default deny \"closed\"\nrule a: skip mfa when false\n", &e);
    assert_eq!((got.as_str(), rule.as_deref()), ("deny", Some("default")));
    let (got, rule, _) = case("rule a: skip mfa when false\n", &e);
    assert_eq!((got.as_str(), rule), ("none", None));
    let (got, rule, _) = case("skip mfa when true\ndeny when true\n", &e);
    assert_eq!((got.as_str(), rule.as_deref()), ("deny", Some("line 2")));
}

/// A `let` is lexically scoped: one that holds a quantifier, used inside
/// another quantifier's body, must not disturb the outer variable (it once
/// shared slot 0 with it, so `x` read the method object and the rule never
/// applied: a weaker decision than the policy says).
#[test]
fn let_with_a_quantifier_inside_a_quantifier_keeps_the_outer_variable() {
    let event = json!({
        "authorization": {"roles": ["admin"]},
        "authentication": {"methods": [{"name": "mfa"}]}
    });
    let head = "let recent = any m in authentication.methods: m.name == \"mfa\"\n";
    let rows = [
        (
            "rule r: require mfa when any x in roles: recent and x == \"admin\"",
            "require_mfa",
            0,
        ),
        (
            "rule r: require mfa when any x in roles: x == \"admin\" and recent",
            "require_mfa",
            0,
        ),
        (
            "rule r: deny when all x in roles: recent and x == \"admin\"",
            "deny",
            0,
        ),
    ];
    let rows: Vec<(String, &str, usize)> = rows
        .iter()
        .map(|(p, d, e)| (format!("{head}{p}"), *d, *e))
        .collect();
    let rows: Vec<(&str, &str, usize)> =
        rows.iter().map(|(p, d, e)| (p.as_str(), *d, *e)).collect();
    check(&rows, &event);
}

/// `exempt` (the policy-level exemption): decides `skip_mfa` over
/// `require`/`enroll` rules, loses to `deny`, and fails closed like `skip`:
/// an error in its condition keeps it from applying.
#[test]
fn exempt_beats_requirements_not_deny_and_fails_closed() {
    let refresh = json!({
        "transaction": {"protocol": "oauth2-refresh-token"},
        "authorization": {"roles": ["admin"]},
        "user": {"app_metadata": {"level": "high"}}
    });
    let exempt = "rule refresh: exempt when transaction.protocol == \"oauth2-refresh-token\"\n";
    let rows = [
        (
            format!("{exempt}rule admins: require mfa when \"admin\" in roles"),
            "skip_mfa",
            0,
        ),
        (
            format!("rule e: enroll mfa using factors [\"otp\"] when true\n{exempt}"),
            "skip_mfa",
            0,
        ),
        (
            format!("{exempt}rule block: deny when \"admin\" in roles"),
            "deny",
            0,
        ),
        // An error in the exemption's condition: it does not apply.
        (
            "declare user.app_metadata.level: int\n\
             rule refresh: exempt when user.app_metadata.level > 2\n\
             rule admins: require mfa when \"admin\" in roles"
                .to_string(),
            "require_mfa",
            1,
        ),
        // ...nor in its `unless`.
        (
            "declare user.app_metadata.level: int\n\
             rule refresh: exempt when true unless user.app_metadata.level > 2\n\
             rule admins: require mfa when \"admin\" in roles"
                .to_string(),
            "require_mfa",
            1,
        ),
    ];
    let rows: Vec<(&str, &str, usize)> =
        rows.iter().map(|(p, d, e)| (p.as_str(), *d, *e)).collect();
    check(&rows, &refresh);
    let (_, rule, _) = case(&format!("{exempt}rule a: require mfa when true"), &refresh);
    assert_eq!(rule.as_deref(), Some("refresh"));
}
