//! `mfapol diff OLD NEW EVENTS`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const OLD: &str = "\
default skip mfa
rule corp: require mfa when connection == \"corp-ad\"
rule staff: require mfa when organization in [\"acme-staff\"]
";

const NEW: &str = "\
default skip mfa
rule corp: require mfa when connection == \"corp-ad\" and not ip in [203.0.113.0/24]
rule contractors: require mfa when connection == \"contractors\"
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

fn events() -> String {
    [
        r#"{"user":{"user_id":"alice"},"connection":{"name":"corp-ad"},"request":{"ip":"198.51.100.1","geoip":{"countryCode":"DE"}}}"#,
        r#"{"user":{"user_id":"bob"},"connection":{"name":"corp-ad"},"request":{"ip":"203.0.113.9","geoip":{"countryCode":"US"}},"client":{"name":"portal"}}"#,
        r#"{"user":{"user_id":"carol"},"connection":{"name":"contractors"},"request":{"ip":"192.0.2.1"}}"#,
        "",
        r#"{"user":{"user_id":"dave"},"connection":{"name":"social"},"request":{"ip":"192.0.2.2"}}"#,
    ]
    .join("\n")
}

fn diff(args: &[&str], input: String) -> assert_cmd::assert::Assert {
    Command::cargo_bin("mfapol")
        .unwrap()
        .arg("diff")
        .arg(write("diff_old.mfapolicy", OLD))
        .arg(write("diff_new.mfapolicy", NEW))
        .arg("-")
        .args(args)
        .write_stdin(input)
        .assert()
}

#[test]
fn transitions_and_changed_events_in_human_form() {
    let out = diff(&[], events()).success().get_output().clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("4 events: 2 changed, 1 weaker, 2 unchanged"),
        "{stdout}"
    );
    assert!(stdout.contains("require_mfa -> skip_mfa: 1"), "{stdout}");
    assert!(stdout.contains("skip_mfa -> require_mfa: 1"), "{stdout}");
    assert!(
        stdout.contains("line 2  bob  require_mfa -> skip_mfa  (rule corp -> default)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 3  carol  skip_mfa -> require_mfa"),
        "{stdout}"
    );
    assert!(
        stdout.contains("by connection:\n  contractors: 1"),
        "{stdout}"
    );
    assert!(stdout.contains("by client:"), "{stdout}");
    assert!(stdout.contains("by country:"), "{stdout}");
}

#[test]
fn fail_on_weaker_lists_who() {
    let out = diff(&["--fail-on", "weaker"], events())
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 event gets a weaker decision"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 2  bob  require_mfa -> skip_mfa"),
        "{stderr}"
    );
    assert!(!stderr.contains("carol"), "{stderr}");
}

#[test]
fn skip_and_none_are_equally_weak() {
    let old = write(
        "diff_skip.mfapolicy",
        "skip mfa when connection == \"social\"\n",
    );
    let new = write(
        "diff_none.mfapolicy",
        "deny when connection == \"nobody\"\n",
    );
    Command::cargo_bin("mfapol")
        .unwrap()
        .arg("diff")
        .arg(old)
        .arg(new)
        .arg("-")
        .args(["--fail-on", "weaker"])
        .write_stdin(events())
        .assert()
        .success()
        .stdout(predicates::str::contains("skip_mfa -> none: 1"));
}

#[test]
fn json_report_and_malformed_lines() {
    let input = format!("{}\nnot json\n", events());
    let out = diff(&["--format", "json", "--jobs", "2"], input)
        .code(1)
        .get_output()
        .clone();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["events"], 4);
    assert_eq!(v["changed"], 2);
    assert_eq!(v["weaker"], 1);
    assert_eq!(v["weaker_events"][0]["user_id"], "bob");
    assert_eq!(v["weaker_events"][0]["old_rule"], "corp");
    assert_eq!(v["weaker_events"][0]["new_rule"], "default");
    assert_eq!(v["changed_events"][1]["line"], 3);
    assert_eq!(v["by_connection"]["corp-ad"][0]["old"], "require_mfa");
    assert_eq!(v["by_client"]["portal"][0]["count"], 1);
    assert_eq!(v["by_country"]["US"][0]["count"], 1);
    assert_eq!(v["errors"][0]["line"], 6);
    assert_eq!(v["errors"][0]["column"], 2);
}

#[test]
fn auth0_logs_input() {
    let logs = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/logs/sample-tenant-logs.ndjson"
    );
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .arg("diff")
        .arg(write("diff_old.mfapolicy", OLD))
        .arg(write("diff_new.mfapolicy", NEW))
        .arg(logs)
        .args([
            "--input",
            "auth0-logs",
            "--format",
            "json",
            "--fail-on",
            "weaker",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["events"], 7);
    assert_eq!(v["skipped"]["gd_auth_succeed"], 1);
    // The sertft entry on line 8 is in org `acme-staff`: the new policy drops its MFA.
    assert_eq!(v["weaker"], 1);
    assert_eq!(v["weaker_events"][0]["line"], 8);
    assert_eq!(v["weaker_events"][0]["user_id"], "auth0|31150212");
    // Both policies read only fields this entry has.
    assert_eq!(v["weaker_events"][0]["depends_on_missing"], false);
    assert_eq!(v["changed_depends_on_missing"], 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("auth0|31150212"), "{stderr}");
}

/// Runs `mfapol diff` on two given policies.
fn diff_policies(old: &str, new: &str, args: &[&str], input: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("mfapol")
        .unwrap()
        .arg("diff")
        .arg(write("req_old.mfapolicy", old))
        .arg(write("req_new.mfapolicy", new))
        .arg("-")
        .args(args)
        .write_stdin(input.to_string())
        .assert()
}

const ADMIN: &str = r#"{"user":{"user_id":"ann"},"authorization":{"roles":["admin"]},"request":{"ip":"192.0.2.1"}}"#;

/// SPEC §9 (v2): replacing WebAuthn-only for admins with remember_browser
/// is weaker, though the decision stays `require_mfa`.
#[test]
fn weaker_requirement_within_require_mfa_fails_weaker() {
    let old = "rule admins: require mfa using factors [\"webauthn-roaming\", \"webauthn-platform\"] when \"admin\" in roles\n";
    let new = "rule admins: require mfa with remember_browser when \"admin\" in roles\n";
    let out = diff_policies(old, new, &["--fail-on", "weaker"], ADMIN)
        .code(1)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("1 changed, 1 weaker"), "{stdout}");
    assert!(
        stderr.contains("1 event gets a weaker decision"),
        "{stderr}"
    );
    assert!(
        stdout.contains("require_mfa with another requirement: 1 (1 weaker)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("[factors [\"webauthn-roaming\", \"webauthn-platform\"] -> provider \"any\" with remember_browser]"),
        "{stderr}"
    );
}

#[test]
fn requirement_strength_cases() {
    let weaker = [
        (
            "require mfa using \"guardian\" when true\n",
            "require mfa when true\n",
        ),
        (
            "require mfa when true\n",
            "require mfa with remember_browser when true\n",
        ),
        (
            "require mfa using factors [\"otp\"] when true\n",
            "require mfa using factors [\"otp\", \"phone\"] when true\n",
        ),
        // A step of a sequence dropped (SPEC §9 v2).
        (
            "require mfa using factors [\"otp\"] then challenge using factors [\"phone\"] when true\n",
            "require mfa using factors [\"otp\"] when true\n",
        ),
        (
            "enroll mfa using factors [\"otp\"] then challenge using factors [\"phone\"] when true\n",
            "enroll mfa using factors [\"otp\"] when true\n",
        ),
        // A step that accepts more.
        (
            "require mfa using factors [\"otp\"] then enroll using factors [\"webauthn-roaming\"] when true\n",
            "require mfa using factors [\"otp\"] then enroll using factors [\"webauthn-roaming\", \"phone\"] when true\n",
        ),
    ];
    for (old, new) in weaker {
        diff_policies(old, new, &["--fail-on", "weaker"], ADMIN).code(1);
    }
    // Narrower or different: changed, not weaker.
    let changed = [
        (
            "require mfa when true\n",
            "require mfa using \"guardian\" when true\n",
        ),
        (
            "require mfa using factors [\"otp\", \"phone\"] when true\n",
            "require mfa using factors [\"otp\"] when true\n",
        ),
        (
            "require mfa using \"duo\" when true\n",
            "require mfa using \"guardian\" when true\n",
        ),
        ("default skip mfa\n", "require mfa when false\n"),
        // A step added, steps reordered, challenge turned into enroll.
        (
            "require mfa using factors [\"otp\"] when true\n",
            "require mfa using factors [\"otp\"] then challenge using factors [\"phone\"] when true\n",
        ),
        (
            "require mfa using factors [\"otp\"] then challenge using factors [\"phone\"] when true\n",
            "require mfa using factors [\"phone\"] then challenge using factors [\"otp\"] when true\n",
        ),
        (
            "require mfa using factors [\"otp\"] then challenge using factors [\"phone\"] when true\n",
            "require mfa using factors [\"otp\"] then enroll using factors [\"phone\"] when true\n",
        ),
    ];
    for (old, new) in changed {
        diff_policies(old, new, &["--fail-on", "weaker"], ADMIN).code(0);
        diff_policies(old, new, &["--fail-on", "changed"], ADMIN).code(1);
    }
    // The same requirement written differently: nothing changed.
    diff_policies(
        "require mfa using factors [\"otp\", \"phone\"] when true\n",
        "require mfa using factors [\"phone\", \"otp\"] when true\n",
        &["--fail-on", "changed"],
        ADMIN,
    )
    .code(0);
}

#[test]
fn pretty_printed_json_is_named() {
    let out = diff_policies(
        "require mfa when true\n",
        "require mfa when true\n",
        &[],
        "{\n  \"user\": {\"user_id\": \"a\"}\n}\n",
    )
    .code(1)
    .get_output()
    .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("diff reads NDJSON"), "{stderr}");
}

#[test]
fn diff_help_describes_its_own_format() {
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .args(["diff", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("changed_events"), "{text}");
    assert!(!text.contains("SPEC §8 JSON object"), "{text}");
}

/// Issue 20: `diff --help` names its arguments once each (it showed
/// `<OLD NEW EVENTS> <OLD NEW EVENTS>...`), with the `--from-action` form.
#[test]
fn help_names_the_arguments_once() {
    let out = assert_cmd::Command::cargo_bin("mfapol")
        .unwrap()
        .args(["diff", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8_lossy(&out);
    assert!(
        help.contains("Usage: mfapol diff [OPTIONS] <OLD> <NEW> <EVENTS>\n       mfapol diff --prove [OPTIONS] <OLD> <NEW>\n       mfapol diff --prove --old-rev <REV> [OPTIONS] <POLICY>\n       mfapol diff --from-action <ACTION.js> [OPTIONS] <NEW> <EVENTS>\n"),
        "{help}"
    );
    assert!(!help.contains("<OLD NEW EVENTS>"), "{help}");
}
