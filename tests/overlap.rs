//! `mfapol::skip_overlap` (SPEC §15): given only where a login shows it,
//! naming only the rules for which it is true, never about a `deny` rule;
//! and its help, applied literally, decides as the author meant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::eval::{self, DecisionKind};
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use mfapol::{compile, schema};
use serde_json::{json, Value};

const NOW: i64 = 1_767_225_600_000;

fn compiled(text: &str) -> (Policy, Vec<String>) {
    let c = compile(
        &SourceFile::new("p.mfapolicy", text),
        schema::auth0_post_login(),
    );
    let warnings = c
        .diagnostics
        .iter()
        .filter(|d| d.is_warning())
        .map(|d| {
            use miette::Diagnostic as _;
            format!(
                "{} | {} | {}",
                d.code().map(|c| c.to_string()).unwrap_or_default(),
                d,
                d.help().map(|h| h.to_string()).unwrap_or_default()
            )
        })
        .collect();
    (c.policy.expect("checks"), warnings)
}

fn decide(p: &Policy, e: &Value) -> (DecisionKind, Option<String>) {
    let d = eval::evaluate(p, e, NOW);
    (d.kind, d.rule_name(p).map(str::to_string))
}

const EMBARGO: &str = r#"default skip mfa
rule embargo: deny "region" when country in ["IR", "KP"]
rule partners: skip mfa when connection == "partner-saml"
"#;

#[test]
fn a_skip_rule_beside_a_deny_rule_gets_no_warning_and_deny_wins() {
    let (p, warnings) = compiled(EMBARGO);
    assert!(warnings.is_empty(), "{warnings:?}");
    let partner_in_iran = json!({"connection": {"name": "partner-saml"}, "request": {"geoip": {"countryCode": "IR"}}});
    assert_eq!(decide(&p, &partner_in_iran).0, DecisionKind::Deny);
    // And on the command line, the correct policy passes CI.
    let dir = std::env::temp_dir().join(format!("mfapol-overlap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("p.mfapolicy"), EMBARGO).unwrap();
    let out = assert_cmd::Command::cargo_bin("mfapol")
        .unwrap()
        .current_dir(&dir)
        .args(["check", "--deny-warnings", "p.mfapolicy"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const GRACE: &str = r#"default require mfa
rule grace_enroll: enroll mfa using factors ["otp"] when len(user.multifactor) == 0
rule admins: require mfa using factors ["otp"] then challenge using factors ["phone"] when roles contains "admin"
rule grace: skip mfa when len(user.multifactor) > 0 and user.created_at > now - 7d
rule embargo: deny when country in ["IR"]
"#;

fn events() -> Vec<Value> {
    let fresh = "2025-12-30T00:00:00.000Z";
    let old = "2025-01-01T00:00:00.000Z";
    let mut out = Vec::new();
    for mf in [json!([]), json!(["otp"])] {
        for created in [fresh, old] {
            for roles in [json!([]), json!(["admin"])] {
                for country in ["US", "IR"] {
                    out.push(json!({
                        "user": {"multifactor": mf, "created_at": created},
                        "authorization": {"roles": roles},
                        "request": {"geoip": {"countryCode": country}},
                    }));
                }
            }
        }
    }
    out
}

#[test]
fn the_warning_names_only_rules_that_overlap_and_never_a_deny_rule() {
    let (_, warnings) = compiled(GRACE);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert!(w.starts_with("mfapol::skip_overlap"), "{w}");
    // `admins` overlaps `grace`; `grace_enroll` (len == 0 vs len > 0) and
    // `embargo` (deny) are never named.
    assert!(w.contains("`admins`"), "{w}");
    assert!(!w.contains("grace_enroll"), "{w}");
    assert!(!w.contains("embargo"), "{w}");
}

#[test]
fn both_helps_applied_literally_let_grace_logins_skip_and_keep_everything_else() {
    let (p, warnings) = compiled(GRACE);
    let help = warnings[0].split(" | ").nth(2).unwrap().to_string();
    // Help 1: make the skip rule an exemption.
    assert!(help.contains("write `exempt` for `skip mfa`"), "{help}");
    let exempt = GRACE.replace("rule grace: skip mfa when", "rule grace: exempt when");
    // Help 2: add `unless COND` to the rules it names.
    let unless = help
        .split("add `")
        .nth(1)
        .and_then(|s| s.split('`').next())
        .unwrap()
        .to_string();
    assert!(unless.starts_with("unless "), "{help}");
    let added = GRACE.replace(
        r#"when roles contains "admin"
"#,
        &format!("when roles contains \"admin\" {unless}\n"),
    );
    for fixed in [exempt, added] {
        let (q, w) = compiled(&fixed);
        assert!(w.is_empty(), "{fixed}\n{w:?}");
        for e in events() {
            let (before, after) = (decide(&p, &e), decide(&q, &e));
            let mf = e["user"]["multifactor"].as_array().unwrap().len();
            let fresh = e["user"]["created_at"] == "2025-12-30T00:00:00.000Z";
            let iran = e["request"]["geoip"]["countryCode"] == "IR";
            if iran {
                // Embargoed logins stay denied.
                assert_eq!(after.0, DecisionKind::Deny, "{fixed}\n{e}");
            } else if mf > 0 && fresh {
                // What the author meant: grace logins skip MFA.
                assert_eq!(after.0, DecisionKind::SkipMfa, "{fixed}\n{e}");
            } else {
                // Everything else decides as before (enrollment, sequences).
                assert_eq!(after, before, "{fixed}\n{e}");
            }
        }
    }
}

#[test]
fn an_overlap_no_login_shows_is_not_reported() {
    let (_, warnings) = compiled(
        r#"rule staff: require mfa when connection == "corp-ad" and stats.logins_count > 10
rule newcomers: skip mfa when connection == "corp-ad" and stats.logins_count <= 10
"#,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_skip_rule_with_unless_is_exempted_only_where_it_applies() {
    let text = r#"rule staff: require mfa when connection == "corp-ad"
rule office: skip mfa when ip in 10.0.0.0/8 unless country == "KP"
"#;
    let (p, warnings) = compiled(text);
    let help = warnings[0].split(" | ").nth(2).unwrap();
    let unless = help
        .split("add `")
        .nth(1)
        .and_then(|s| s.split('`').next())
        .unwrap();
    let fixed = text.replace(
        "when connection == \"corp-ad\"\n",
        &format!("when connection == \"corp-ad\" {unless}\n"),
    );
    let (q, w) = compiled(&fixed);
    assert!(w.is_empty(), "{fixed}\n{w:?}");
    let office_kp = json!({"connection": {"name": "corp-ad"}, "request": {"ip": "10.1.2.3", "geoip": {"countryCode": "KP"}}});
    let office_us = json!({"connection": {"name": "corp-ad"}, "request": {"ip": "10.1.2.3", "geoip": {"countryCode": "US"}}});
    // From KP the office skip does not apply, so staff still get MFA.
    assert_eq!(decide(&p, &office_kp), decide(&q, &office_kp));
    assert_eq!(decide(&q, &office_kp).0, DecisionKind::RequireMfa);
    assert_eq!(decide(&q, &office_us).0, DecisionKind::SkipMfa);
}
