//! `mfapol eval` on batch input: NDJSON events and Auth0 tenant logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const POLICY: &str = "\
declare user.app_metadata.require_mfa: bool
default skip mfa
rule corp_directory:
  require mfa when connection == \"corp-ad\" and not ip in [203.0.113.0/24]
rule flagged_users:
  require mfa using \"guardian\" when user.app_metadata.require_mfa == true
rule embargo:
  deny \"not available\" when country in [\"KP\", \"IR\"]
";

/// Writes a file under a name no other test uses at the same time.
fn write(name: &str, text: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn policy() -> PathBuf {
    write("batch_cli.mfapolicy", POLICY)
}

fn records(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn event(user: &str, connection: &str, ip: &str) -> String {
    format!(
        r#"{{"user":{{"user_id":"{user}"}},"connection":{{"name":"{connection}"}},"request":{{"ip":"{ip}"}}}}"#
    )
}

#[test]
fn one_decision_per_line_with_line_numbers_and_error_records() {
    let input = format!(
        "{}\n\n{}\r\n{{\"user\": \n[1,2]\n{}\n",
        event("u1", "corp-ad", "198.51.100.7"),
        event("u2", "corp-ad", "203.0.113.7"),
        r#"{"request":{"ip":"192.0.2.1","geoip":{"countryCode":"KP"}}}"#
    );
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .args(["eval", "--ndjson", "--now", "2025-01-01T00:00:00Z"])
        .arg(policy())
        .arg("-")
        .write_stdin(input)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let r = records(&out.stdout);
    assert_eq!(r.len(), 5, "{r:?}");
    assert_eq!(r[0]["line"], 1);
    assert_eq!(r[0]["decision"], "require_mfa");
    assert_eq!(r[0]["rule"], "corp_directory");
    assert_eq!(r[0]["user_id"], "u1");
    assert_eq!(r[1]["line"], 3);
    assert_eq!(r[1]["decision"], "skip_mfa");
    assert_eq!(r[1]["rule"], "default");
    assert_eq!(r[2]["line"], 4);
    assert!(r[2]["error"].as_str().unwrap().starts_with("invalid JSON"));
    assert_eq!(r[2]["column"], 9);
    assert!(r[2].get("decision").is_none());
    assert_eq!(r[3]["line"], 5);
    assert!(r[3]["error"].as_str().unwrap().contains("found a list"));
    assert_eq!(r[4]["line"], 6);
    assert_eq!(r[4]["decision"], "deny");
    assert_eq!(r[4]["user_id"], Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 of 6 lines could not be read"),
        "{stderr}"
    );
}

#[test]
fn ndjson_extension_means_batch_and_clean_input_exits_0() {
    let file = write(
        "clean.jsonl",
        &format!(
            "{}\n{}\n",
            event("a", "x", "192.0.2.1"),
            event("b", "corp-ad", "192.0.2.1")
        ),
    );
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .arg("eval")
        .arg(policy())
        .arg(&file)
        .assert()
        .success()
        .get_output()
        .clone();
    let r = records(&out.stdout);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1]["decision"], "require_mfa");
}

#[test]
fn order_is_kept_with_two_workers() {
    let n = 5000;
    let mut input = String::new();
    for i in 1..=n {
        let conn = if i % 3 == 0 { "corp-ad" } else { "social" };
        input.push_str(&event(&format!("user{i}"), conn, "198.51.100.1"));
        input.push('\n');
    }
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .args([
            "eval",
            "--ndjson",
            "--jobs",
            "2",
            "--summary",
            "--format",
            "json",
        ])
        .arg(policy())
        .arg("-")
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .clone();
    let r = records(&out.stdout);
    assert_eq!(r.len(), n + 1);
    for (i, rec) in r[..n].iter().enumerate() {
        let line = i + 1;
        assert_eq!(rec["line"], line);
        assert_eq!(rec["user_id"], format!("user{line}"));
        let want = if line % 3 == 0 {
            "require_mfa"
        } else {
            "skip_mfa"
        };
        assert_eq!(rec["decision"], want);
    }
    let s = &r[n]["summary"];
    assert_eq!(s["events"], n);
    assert_eq!(s["by_decision"]["require_mfa"], n / 3);
    assert_eq!(s["by_rule"]["corp_directory"], n / 3);
    assert_eq!(s["by_rule"]["default"], n - n / 3);
}

#[test]
fn human_summary_goes_to_stderr() {
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .args(["eval", "--ndjson", "--summary"])
        .arg(policy())
        .arg("-")
        .write_stdin(format!("{}\n", event("a", "corp-ad", "192.0.2.1")))
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(records(&out.stdout).len(), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("by decision:"), "{stderr}");
    assert!(stderr.contains("corp_directory"), "{stderr}");
}

#[test]
fn auth0_logs_are_replayed_and_other_types_counted() {
    let logs = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/logs/sample-tenant-logs.ndjson"
    );
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .args([
            "eval",
            "--input",
            "auth0-logs",
            "--summary",
            "--format",
            "json",
        ])
        .arg(policy())
        .arg(logs)
        .assert()
        .success()
        .get_output()
        .clone();
    let r = records(&out.stdout);
    // 8 lines: 1 gd_auth_succeed skipped, 7 logins.
    assert_eq!(r.len(), 8);
    assert_eq!(r[0]["line"], 2);
    assert_eq!(r[0]["log_type"], "s");
    assert_eq!(r[0]["user_id"], "auth0|5ee10b1ca85332004e44ce3e");
    assert_eq!(r[6]["log_type"], "sertft");
    assert!(r[..7].iter().all(|x| x["depends_on_missing"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "flagged_users")));
    let s = &r[7]["summary"];
    assert_eq!(s["skipped"]["gd_auth_succeed"], 1);
    assert_eq!(s["events"], 7);
    assert_eq!(s["depends_on_missing"], 7);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: rule `flagged_users`")
            && stderr.contains("`user.app_metadata.require_mfa` (not in logs)"),
        "{stderr}"
    );
    assert!(!stderr.contains("rule `corp_directory`"), "{stderr}");
}

#[test]
fn log_envelopes_and_bad_lines() {
    let wrapped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/logs/sample-log-stream-envelopes.ndjson"
    ))
    .unwrap();
    let input = format!("{wrapped}{{\"no\": \"type\"}}\n");
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .args(["eval", "--input", "auth0-logs"])
        .arg(policy())
        .arg("-")
        .write_stdin(input)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let r = records(&out.stdout);
    assert_eq!(r.len(), 4);
    assert_eq!(r[1]["user_id"], "auth0|6012d7eccvf1c41076d8ed3d");
    assert_eq!(r[3]["line"], 4);
    assert!(r[3]["error"]
        .as_str()
        .unwrap()
        .contains("not an auth0 log entry"));
}

#[test]
fn missing_input_is_a_usage_error() {
    Command::cargo_bin("mfapol")
        .unwrap()
        .args(["eval", "--ndjson"])
        .arg(policy())
        .arg("/nonexistent/events.ndjson")
        .assert()
        .code(2);
}

#[test]
fn batch_flags_need_batch_input() {
    let single = write("single.json", &event("a", "corp-ad", "192.0.2.1"));
    for flag in [&["--summary"][..], &["--jobs", "2"][..]] {
        Command::cargo_bin("mfapol")
            .unwrap()
            .arg("eval")
            .args(flag)
            .arg(policy())
            .arg(&single)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("need batch input"));
    }
}

/// Issue 20: the summary no longer says "0 with errors" above "decisions
/// with runtime errors: 66": malformed lines and decisions made despite a
/// run-time error are named apart.
#[test]
fn summary_names_malformed_lines_and_runtime_errors_apart() {
    let p = write(
        "rt.mfapolicy",
        "declare user.app_metadata.vip: bool\nrule vip: require mfa when user.app_metadata.vip\ndefault skip mfa\n",
    );
    let lines = "{\"user\": {\"app_metadata\": {\"vip\": \"yes\"}}}\nnot json\n";
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .args(["eval", "--ndjson", "--summary"])
        .arg(&p)
        .arg("-")
        .write_stdin(lines)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "summary: 2 lines, 1 decisions, 1 line without a decision (malformed), 0 blank"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("decisions made despite a run-time error (counted above; each fails closed, see its `errors`): 1"),
        "{stderr}"
    );
    assert!(!stderr.contains("with errors"), "{stderr}");
}
