//! `mfapol diff --from-action` (SPEC §11): an existing Action run in Node.js
//! against a policy. Needs `node` on PATH (as the Action tests do).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::Path;

fn require_node() {
    let ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "these tests run Actions in Node.js: install Node.js 20 or newer (`node` on PATH)"
    );
}

fn diff(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let args: Vec<&str> = std::iter::once("diff")
        .chain(args.iter().copied())
        .collect();
    common::mfapol(dir, &args)
}

/// Generated events over every branch of faithful.js: countries (and no
/// geoip at all), roles, connections, enrolled or not.
fn events(n: usize) -> Vec<Value> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |m: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % m as u64) as usize
    };
    let connections = ["corp-ad", "partners", "vendors", "google-oauth2", "db"];
    (0..n)
        .map(|i| {
            let mut e = json!({
                "user": {"user_id": format!("u{i}"), "multifactor": if next(2) == 0 { json!([]) } else { json!(["guardian"]) }},
                "connection": {"name": connections[next(connections.len())]},
                "authorization": {"roles": if next(4) == 0 { json!(["admin"]) } else { json!(["staff"]) }},
                "request": {"ip": "198.51.100.7"},
            });
            match next(4) {
                0 => {}
                1 => e["request"]["geoip"] = json!({"countryCode": "KP"}),
                _ => e["request"]["geoip"] = json!({"countryCode": "DE"}),
            }
            e
        })
        .collect()
}

fn write_events(dir: &Path, evs: &[Value]) {
    let text: String = evs.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(dir.join("events.ndjson"), text).unwrap();
}

fn tests_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migration")
}

#[test]
fn a_faithful_translation_has_no_difference() {
    require_node();
    let dir = common::scratch("migration", &[]);
    write_events(&dir, &events(3000));
    let t = tests_dir();
    let (code, out, err) = diff(
        &dir,
        &[
            "--from-action",
            t.join("faithful.js").to_str().unwrap(),
            t.join("faithful.mfapolicy").to_str().unwrap(),
            "events.ndjson",
            "--fail-on",
            "changed",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["events"], 3000);
    assert_eq!(report["changed"], 0, "{out}");
}

#[test]
fn a_planted_difference_is_exactly_the_class_it_affects() {
    require_node();
    // faithful.js with the common bug planted: geoip read without a guard.
    let faithful = std::fs::read_to_string(tests_dir().join("faithful.js")).unwrap();
    let guarded = "const geo = event.request && event.request.geoip;";
    assert!(faithful.contains(guarded));
    let crashes = faithful.replace(
        guarded,
        "const geo = event.request.geoip; geo.countryCode.length;",
    );
    let dir = common::scratch("migration", &[("crashes-without-geoip.js", &crashes)]);
    let evs = events(3000);
    write_events(&dir, &evs);
    let t = tests_dir();
    let (code, out, err) = diff(
        &dir,
        &[
            "--from-action",
            "crashes-without-geoip.js",
            t.join("faithful.mfapolicy").to_str().unwrap(),
            "events.ndjson",
            "--fail-on",
            "weaker",
            "--format",
            "json",
            "--limit",
            "0",
        ],
    );
    // A crash is a failed login: a policy that lets those logins in is weaker.
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let without_geoip: Vec<usize> = evs
        .iter()
        .enumerate()
        .filter(|(_, e)| e["request"].get("geoip").is_none())
        .map(|(i, _)| i + 1)
        .collect();
    let changed: Vec<usize> = report["changed_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap() as usize)
        .collect();
    assert!(!without_geoip.is_empty());
    assert_eq!(
        changed, without_geoip,
        "exactly the events without geoip differ"
    );
    assert!(report["changed_events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["old"] == "error"));
}

#[test]
fn module_state_secrets_console_and_time_limits() {
    require_node();
    let dir = common::scratch(
        "migration",
        &[
            ("p.mfapolicy", "default skip mfa\n"),
            ("strict.json", "{\"MODE\": \"strict\"}"),
            (
                "timeouts.ndjson",
                "{\"connection\": {\"name\": \"a\"}}\n{\"connection\": {\"name\": \"slow\"}}\n{\"connection\": {\"name\": \"b\"}}\n{\"connection\": {\"name\": \"loop\"}}\n",
            ),
            (
                "events.ndjson",
                "{\"connection\": {\"name\": \"a\"}}\n{\"connection\": {\"name\": \"slow\"}}\n{\"connection\": {\"name\": \"b\"}}\n{\"connection\": {\"name\": \"c\"}}\n",
            ),
        ],
    );
    let t = tests_dir();
    let stateful = t.join("stateful.js");
    // Module state carries over: logins 3 and 4 are denied; console output
    // does not reach stdout.
    let (code, out, err) = diff(
        &dir,
        &[
            "--from-action",
            stateful.to_str().unwrap(),
            "--secrets",
            "strict.json",
            "p.mfapolicy",
            "events.ndjson",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("stdout is the report alone");
    let olds: Vec<(u64, String)> = report["changed_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["old"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // No call (`none`) for the first two, `deny` from the third on; the
    // policy skips all four (`none -> skip_mfa` is a change too).
    assert_eq!(
        olds,
        [(1, "none"), (2, "none"), (3, "deny"), (4, "deny")]
            .map(|(l, o)| (l, o.to_string()))
            .to_vec()
    );
    // Without the secret the Action skips: nothing differs.
    let (_, out, _) = diff(
        &dir,
        &[
            "--from-action",
            stateful.to_str().unwrap(),
            "p.mfapolicy",
            "events.ndjson",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["changed"], 0, "{out}");
    // A never-settling Action times out: `error` for that event only.
    let (_, out, err) = diff(
        &dir,
        &[
            "--from-action",
            t.join("slow.js").to_str().unwrap(),
            "--action-timeout",
            "200",
            "p.mfapolicy",
            "timeouts.ndjson",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let errors: Vec<&Value> = report["changed_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["old"] == "error")
        .collect();
    // The Action that awaits forever (line 2) and the one that loops
    // forever before any await (line 4) time out; the others are decided.
    let lines: Vec<&Value> = errors.iter().map(|e| &e["line"]).collect();
    assert_eq!(lines, [&json!(2), &json!(4)], "{out}");
    assert!(errors
        .iter()
        .all(|e| e["old_rule"].as_str().unwrap().contains("timed out")));
    assert_eq!(report["events"], 4);
}

#[test]
fn a_missing_module_is_an_error_for_every_event_and_node_must_exist() {
    require_node();
    let dir = common::scratch(
        "migration",
        &[
            ("p.mfapolicy", "default skip mfa\n"),
            ("events.ndjson", "{\"connection\": {\"name\": \"a\"}}\n"),
        ],
    );
    let t = tests_dir();
    let (code, out, err) = diff(
        &dir,
        &[
            "--from-action",
            t.join("needs-module.js").to_str().unwrap(),
            "p.mfapolicy",
            "events.ndjson",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("error -> skip_mfa: 1"), "{out}");
    assert!(out.contains("left-pad-not-installed"), "{out}");
    // No node on PATH: a clear message, exit 2.
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .current_dir(&dir)
        .env("PATH", "/nonexistent")
        .args([
            "diff",
            "--from-action",
            t.join("faithful.js").to_str().unwrap(),
            "p.mfapolicy",
            "events.ndjson",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`node` was not found on PATH"));
}

/// The worked example of docs/migration.md: exactly the two logins the
/// guide names differ.
#[test]
fn the_worked_example_reports_the_two_logins_the_guide_names() {
    require_node();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = diff(
        root,
        &[
            "--from-action",
            "policies/migration/corp-action.js",
            "policies/migration/corp.mfapolicy",
            "policies/migration/events.ndjson",
            "--fail-on",
            "weaker",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("6 events: 2 changed, 2 weaker, 4 unchanged"),
        "{out}"
    );
    assert!(
        out.contains("line 3  ad|jdoe  require_mfa -> skip_mfa"),
        "{out}"
    );
    assert!(out.contains("line 5  ad|jdoe  error -> skip_mfa"), "{out}");
}
