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

/// A module the Action requires that is not installed is a usage error
/// (exit 2) with a clean one-line message naming it: no `Require stack:`,
/// no path of the runner. Without `node` on PATH: exit 2 as well.
#[test]
fn a_missing_module_is_a_usage_error_and_node_must_exist() {
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
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("`left-pad-not-installed`"), "{err}");
    assert!(err.contains("--node-modules"), "{err}");
    assert!(!err.contains("Require stack"), "{err}");
    assert!(!err.contains("mfapol-action-"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
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

/// A file without `onExecutePostLogin` (a Rule, or a file that is not an
/// Action) is a usage error, exit 2, not one `error` per event; with no
/// event at all too.
#[test]
fn a_file_without_on_execute_post_login_is_a_usage_error() {
    require_node();
    let rule = "function (user, context, callback) {\n  context.multifactor = { provider: \"any\" };\n  callback(null, user, context);\n}\n";
    let dir = common::scratch(
        "migration",
        &[
            ("rule.js", rule),
            (
                "other.js",
                "exports.onExecutePreUserRegistration = async () => {};\n",
            ),
            ("p.mfapolicy", "default skip mfa\n"),
            ("events.ndjson", "{\"connection\": {\"name\": \"a\"}}\n{}\n"),
            ("none.ndjson", ""),
        ],
    );
    for (action, events) in [
        ("rule.js", "events.ndjson"),
        ("other.js", "events.ndjson"),
        ("other.js", "none.ndjson"),
    ] {
        let (code, out, err) = diff(&dir, &["--from-action", action, "p.mfapolicy", events]);
        assert_eq!(code, 2, "{action} {events}: {out}{err}");
        assert!(err.contains("onExecutePostLogin"), "{err}");
        assert!(out.is_empty(), "{out}");
    }
}

/// `--action-timeout`: 0 and 2^31 ms or more are usage errors with a clear
/// message (Node's timers would fire at once); 2^31 - 1 is accepted.
#[test]
fn the_action_timeout_is_validated() {
    require_node();
    let dir = common::scratch(
        "migration",
        &[
            ("p.mfapolicy", "default skip mfa\n"),
            ("a.js", "exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable(\"none\"); };\n"),
            ("events.ndjson", "{}\n"),
        ],
    );
    for bad in ["0", "2147483648", "99999999999999", "-1", "soon"] {
        let flag = format!("--action-timeout={bad}");
        let (code, out, err) = diff(
            &dir,
            &[
                "--from-action",
                "a.js",
                &flag,
                "p.mfapolicy",
                "events.ndjson",
            ],
        );
        assert_eq!(code, 2, "{bad}: {out}{err}");
        assert!(
            err.contains("milliseconds from 1 to 2147483647"),
            "{bad}: {err}"
        );
    }
    let (code, out, err) = diff(
        &dir,
        &[
            "--from-action",
            "a.js",
            "--action-timeout",
            "2147483647",
            "p.mfapolicy",
            "events.ndjson",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["changed"], 0, "{out}");
}

/// An endless loop at the Action's module level, or after an `await`, is
/// stopped by the time limit: `error` for those events, and the run goes
/// on (the module is loaded afresh after a timeout).
#[test]
fn every_endless_loop_is_bounded_by_the_time_limit() {
    require_node();
    let dir = common::scratch(
        "migration",
        &[
            ("p.mfapolicy", "default skip mfa\n"),
            ("top.js", "for (;;) {}\nexports.onExecutePostLogin = async () => {};\n"),
            (
                "after-await.js",
                "let n = 0;\nexports.onExecutePostLogin = async (event, api) => {\n  n += 1;\n  if (event.connection.name === \"loop\") { await null; for (;;) {} }\n  if (event.connection.name === \"timer\") { await new Promise((r) => setTimeout(r, 1)); while (true) {} }\n  api.multifactor.enable(n === 1 ? \"none\" : \"any\");\n};\n",
            ),
            (
                "events.ndjson",
                "{\"connection\": {\"name\": \"a\"}}\n{\"connection\": {\"name\": \"loop\"}}\n{\"connection\": {\"name\": \"b\"}}\n{\"connection\": {\"name\": \"timer\"}}\n{\"connection\": {\"name\": \"c\"}}\n",
            ),
        ],
    );
    let run = |action: &str| {
        let (code, out, err) = diff(
            &dir,
            &[
                "--from-action",
                action,
                "--action-timeout",
                "300",
                "p.mfapolicy",
                "events.ndjson",
                "--format",
                "json",
                "--limit",
                "0",
            ],
        );
        assert_eq!(code, 0, "{action}: {out}{err}");
        let report: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["events"], 5, "{out}");
        report["changed_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["line"].as_u64().unwrap(),
                    r["old"].as_str().unwrap().to_string(),
                    r["old_rule"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let top = run("top.js");
    assert_eq!(top.len(), 5, "{top:?}");
    assert!(
        top.iter().all(|(_, old, why)| old == "error"
            && why.contains("loading the Action timed out after 300 ms")),
        "{top:?}"
    );
    // Lines 2 and 4 loop; the module is loaded afresh after each, so its
    // counter starts again: line 1 skips (n = 1), line 3 skips again (a
    // fresh module), line 5 also (fresh after line 4).
    let after = run("after-await.js");
    let errors: Vec<u64> = after
        .iter()
        .filter(|(_, old, _)| old == "error")
        .map(|(l, _, _)| *l)
        .collect();
    assert_eq!(errors, [2, 4], "{after:?}");
    assert!(
        after
            .iter()
            .filter(|(_, old, _)| old == "error")
            .all(|(_, _, why)| why.contains("timed out after 300 ms")),
        "{after:?}"
    );
    assert_eq!(
        after.len(),
        2,
        "lines 1, 3 and 5 each ran in a fresh module: {after:?}"
    );
}

/// The runner lives in a fresh private directory (mode 0700, not named
/// after the process) and is removed after the run, also when the run
/// fails. The Action checks its runner's directory from the inside.
#[cfg(unix)]
#[test]
fn the_runner_is_private_and_removed() {
    require_node();
    let probe = r#"const fs = require("fs");
const path = require("path");
exports.onExecutePostLogin = async (event, api) => {
  const dir = path.dirname(process.argv[1]);
  const mode = fs.statSync(dir).mode & 0o777;
  const own = path.basename(dir) !== String(process.ppid) && !path.basename(dir).includes(String(process.ppid));
  const inTmp = path.dirname(dir) === fs.realpathSync(process.env.TMPDIR) || path.dirname(dir) === process.env.TMPDIR;
  if (mode === 0o700 && own && inTmp) api.multifactor.enable("none");
  else api.access.deny("runner at " + dir + " mode " + mode.toString(8));
};
"#;
    let dir = common::scratch(
        "migration",
        &[
            (
                "p.mfapolicy",
                "default skip mfa
",
            ),
            ("probe.js", probe),
            (
                "rule.js",
                "function (user, context, callback) { callback(null, user, context); }
",
            ),
            (
                "events.ndjson",
                "{}
{}
",
            ),
        ],
    );
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let run = |action: &str| {
        let out = Command::cargo_bin("mfapol")
            .unwrap()
            .current_dir(&dir)
            .env("TMPDIR", &tmp)
            .args([
                "diff",
                "--from-action",
                action,
                "p.mfapolicy",
                "events.ndjson",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run("probe.js");
    assert_eq!(code, Some(0), "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["changed"], 0, "{out}");
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the runner was left behind"
    );
    let (code, _, err) = run("rule.js");
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the runner was left behind after a failed run"
    );
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

// ---- Actions as admins write them (issue 19, item 3) ----

/// Events over every branch of the style cases: account ages around 30
/// days (read against `--now`), roles, enrolled factors, connections and
/// countries, including the ones the throwing Action throws on.
fn style_events() -> Vec<Value> {
    const DAY: i64 = 86_400_000;
    let now = 1_719_230_400_000i64; // --now 2024-06-24T12:00:00Z
    let ages = [1, 10, 29, 31, 100, 400];
    let countries = ["DE", "KP", "IR", "CU", "SY", "RU", "BY", "US"];
    let connections = ["corp-ad", "google-oauth2", "db"];
    let mut out = Vec::new();
    for i in 0..48usize {
        let created = chrono::DateTime::from_timestamp_millis(now - ages[i % ages.len()] * DAY)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        out.push(json!({
            "user": {
                "user_id": format!("u{i}"),
                "created_at": created,
                "multifactor": if i % 3 == 0 { json!([]) } else { json!(["guardian"]) },
            },
            "authorization": {"roles": if i % 4 == 1 { json!(["admin"]) } else { json!(["staff"]) }},
            "connection": {"name": connections[i % connections.len()]},
            "request": {"ip": "198.51.100.7", "geoip": {"countryCode": countries[(i / 3) % countries.len()]}},
        }));
    }
    out
}

/// One style: an Action, the policy that decides as it does (0 changed
/// with `--fail-on changed`), and a mutant of that policy missing exactly
/// what the style expresses, which must show `mutant_changed` events (so a
/// misreading of the style cannot pass unnoticed).
struct Style {
    name: &'static str,
    action: &'static str,
    policy: &'static str,
    mutant: &'static str,
    mutant_changed: usize,
}

const CLOCK_POLICY: &str =
    "rule old_account: require mfa when user.created_at < now - 30d\ndefault skip mfa\n";
const CLOCK_MUTANT: &str =
    "rule old_account: require mfa when user.created_at < now - 3650d\ndefault skip mfa\n";

const STYLES: &[Style] = &[
    Style {
        name: "new Date()",
        action: r#"exports.onExecutePostLogin = async (event, api) => {
  const created = new Date(event.user.created_at);
  const now = new Date();
  if (now.getTime() - created.getTime() > 30 * 24 * 60 * 60 * 1000) {
    api.multifactor.enable("any");
    return;
  }
  api.multifactor.enable("none");
};
"#,
        policy: CLOCK_POLICY,
        mutant: CLOCK_MUTANT,
        mutant_changed: 24,
    },
    Style {
        name: "Date.now() after an await",
        action: r#"exports.onExecutePostLogin = async (event, api) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  const ageDays = (Date.now() - Date.parse(event.user.created_at)) / 86400000;
  api.multifactor.enable(ageDays > 30 ? "any" : "none");
};
"#,
        policy: CLOCK_POLICY,
        mutant: CLOCK_MUTANT,
        mutant_changed: 24,
    },
    Style {
        name: "Date() as a function",
        action: r#"module.exports.onExecutePostLogin = async function (event, api) {
  const today = Date.parse(Date());
  const created = Date.parse(event.user.created_at);
  if (today - created > 30 * 86400 * 1000) api.multifactor.enable("any", { allowRememberBrowser: false });
  else api.multifactor.enable("none");
};
"#,
        policy: CLOCK_POLICY,
        mutant: CLOCK_MUTANT,
        mutant_changed: 24,
    },
    Style {
        name: "challengeWith with additionalFactors",
        action: r#"exports.onExecutePostLogin = async (event, api) => {
  const roles = (event.authorization && event.authorization.roles) || [];
  if (roles.includes("admin")) {
    api.authentication.challengeWith({ type: "otp" }, { additionalFactors: [{ type: "phone" }, { type: "email" }] });
    return;
  }
  api.multifactor.enable("none");
};
"#,
        policy: "rule admins: require mfa using factors [\"otp\", \"phone\", \"email\"] when \"admin\" in roles\ndefault skip mfa\n",
        mutant: "rule admins: require mfa using factors [\"otp\"] when \"admin\" in roles\ndefault skip mfa\n",
        mutant_changed: 12,
    },
    Style {
        name: "challengeWithAny",
        action: r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.connection.name === "corp-ad") {
    api.authentication.challengeWithAny([{ type: "webauthn-roaming" }, { type: "webauthn-platform" }]);
  }
};
"#,
        policy: "rule corp: require mfa using factors [\"webauthn-roaming\", \"webauthn-platform\"] when connection == \"corp-ad\"\n",
        mutant: "rule corp: require mfa using factors [\"webauthn-roaming\"] when connection == \"corp-ad\"\n",
        mutant_changed: 16,
    },
    Style {
        name: "enrollWith",
        action: r#"exports.onExecutePostLogin = async (event, api) => {
  const enrolled = event.user.multifactor || [];
  if (enrolled.length === 0) {
    api.authentication.enrollWith({ type: "otp" });
    return;
  }
  api.multifactor.enable("any");
};
"#,
        policy: "rule not_enrolled: enroll mfa using factors [\"otp\"] when len(user.multifactor) == 0\ndefault require mfa\n",
        mutant: "rule not_enrolled: enroll mfa using factors [\"otp\", \"phone\"] when len(user.multifactor) == 0\ndefault require mfa\n",
        mutant_changed: 16,
    },
    Style {
        name: "a sequence of calls",
        action: r#"exports.onExecutePostLogin = async (event, api) => {
  if (event.authorization.roles.includes("admin")) {
    api.authentication.challengeWith({ type: "otp" });
    api.authentication.enrollWith({ type: "webauthn-roaming" });
  }
};
"#,
        policy: "rule admins: require mfa using factors [\"otp\"] then enroll using factors [\"webauthn-roaming\"] when \"admin\" in roles\n",
        mutant: "rule admins: require mfa using factors [\"otp\"] when \"admin\" in roles\n",
        mutant_changed: 12,
    },
    Style {
        name: "enable(\"none\")",
        action: r#"const SOCIAL = new Set(["google-oauth2", "github"]);
exports.onExecutePostLogin = async (event, api) => {
  if (SOCIAL.has(event.connection.name)) return api.multifactor.enable("none");
  return api.multifactor.enable("guardian");
};
"#,
        policy: "rule social: skip mfa when connection in [\"google-oauth2\", \"github\"]\ndefault require mfa using \"guardian\"\n",
        mutant: "default require mfa using \"guardian\"\n",
        mutant_changed: 16,
    },
    Style {
        name: "awaits and then-chains",
        action: r#"const lookup = (roles) => new Promise((resolve) => setImmediate(() => resolve(roles.includes("admin"))));
exports.onExecutePostLogin = (event, api) =>
  Promise.resolve()
    .then(() => lookup(event.authorization.roles))
    .then(async (admin) => {
      await null;
      if (admin) api.multifactor.enable("duo", { allowRememberBrowser: true });
      else api.multifactor.enable("none");
    });
"#,
        policy: "rule admins: require mfa using \"duo\" with remember_browser when \"admin\" in roles\ndefault skip mfa\n",
        mutant: "rule admins: require mfa using \"duo\" when \"admin\" in roles\ndefault skip mfa\n",
        mutant_changed: 12,
    },
];

#[test]
fn every_style_of_action_reads_as_the_policy_that_says_the_same() {
    require_node();
    let evs = style_events();
    let dir = common::scratch("migration-styles", &[]);
    write_events(&dir, &evs);
    let mut failures = Vec::new();
    for (i, st) in STYLES.iter().enumerate() {
        let action = format!("style{i}.js");
        std::fs::write(dir.join(&action), st.action).unwrap();
        for (policy, want) in [(st.policy, 0usize), (st.mutant, st.mutant_changed)] {
            std::fs::write(dir.join("p.mfapolicy"), policy).unwrap();
            let (code, out, err) = diff(
                &dir,
                &[
                    "--from-action",
                    &action,
                    "p.mfapolicy",
                    "events.ndjson",
                    "--now",
                    "2024-06-24T12:00:00Z",
                    "--fail-on",
                    "changed",
                    "--format",
                    "json",
                    "--limit",
                    "0",
                ],
            );
            let report: Value = match serde_json::from_str(&out) {
                Ok(r) => r,
                Err(_) => {
                    failures.push(format!("{}: no report (exit {code}): {err}", st.name));
                    continue;
                }
            };
            let changed = report["changed"].as_u64().unwrap_or(u64::MAX) as usize;
            if changed != want || code != if want == 0 { 0 } else { 1 } {
                failures.push(format!(
                    "{}: {} changed (want {want}), exit {code}, policy:\n{policy}{}",
                    st.name,
                    changed,
                    serde_json::to_string(
                        &report["changed_events"]
                            .as_array()
                            .map(|a| a.iter().take(2).collect::<Vec<_>>())
                    )
                    .unwrap()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Throws of odd values (no text, a throwing `message`, a symbol, a revoked
/// proxy, `undefined`, a rejected `null`) and module-level state: each
/// throw is an `error` for its event only, never a failed run; the counter
/// kept at module level carries over between events, a module-level clock
/// read sees the first event's time, and `Intl` formats the event's "now".
#[test]
fn odd_throws_and_module_state_are_read_event_by_event() {
    require_node();
    let throws = r#"exports.onExecutePostLogin = async (event, api) => {
  const c = event.request.geoip.countryCode;
  if (c === "KP") throw Object.create(null);
  if (c === "IR") throw { get message() { throw new Error("no text"); } };
  if (c === "CU") throw Symbol("cu");
  if (c === "SY") { const r = Proxy.revocable({}, {}); r.revoke(); throw r.proxy; }
  if (c === "RU") { await null; throw undefined; }
  if (c === "BY") return Promise.reject(null);
  api.multifactor.enable("none");
};
"#;
    let state = r#"let logins = 0;
const loadedAt = Date.now();
exports.onExecutePostLogin = async (event, api) => {
  logins += 1;
  if (loadedAt !== Date.now()) return api.access.deny("the module saw another clock");
  const year = new Intl.DateTimeFormat("en-US", { year: "numeric", timeZone: "UTC" }).format();
  if (year !== "2024") return api.access.deny("Intl saw another clock");
  api.multifactor.enable(logins > 3 ? "any" : "none");
};
"#;
    let evs = style_events();
    let dir = common::scratch(
        "migration-styles",
        &[
            ("throws.js", throws),
            ("state.js", state),
            ("p.mfapolicy", "default skip mfa\n"),
        ],
    );
    write_events(&dir, &evs);
    let run = |action: &str| {
        let (code, out, err) = diff(
            &dir,
            &[
                "--from-action",
                action,
                "p.mfapolicy",
                "events.ndjson",
                "--now",
                "2024-06-24T12:00:00Z",
                "--format",
                "json",
                "--limit",
                "0",
            ],
        );
        assert_eq!(code, 0, "{action}: {out}{err}");
        let report: Value = serde_json::from_str(&out).unwrap();
        report["changed_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["line"].as_u64().unwrap() as usize,
                    r["old"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let thrown: Vec<(usize, String)> = evs
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e["request"]["geoip"]["countryCode"] != "DE"
                && e["request"]["geoip"]["countryCode"] != "US"
        })
        .map(|(i, _)| (i + 1, "error".to_string()))
        .collect();
    assert_eq!(thrown.len(), 36);
    assert_eq!(run("throws.js"), thrown);
    let later: Vec<(usize, String)> = (4..=evs.len())
        .map(|l| (l, "require_mfa".to_string()))
        .collect();
    assert_eq!(run("state.js"), later);
}
