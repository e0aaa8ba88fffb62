//! The real binary: exit codes, stdout vs stderr, JSON shapes (SPEC §8).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn mfapol() -> Command {
    let mut c = Command::cargo_bin("mfapol").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// A scratch directory with the given files.
fn scratch(files: &[(&str, &[u8])]) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mfapol-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

const SPEC_EXAMPLE: &str = include_str!("../policies/spec_example.mfapolicy");
const EVENT_01: &str = include_str!("cases/events/01-database-org-official-mock.json");
const EVENT_03: &str = include_str!("cases/events/03-social-google-ipv6.json");

#[test]
fn check_clean_policy_exits_0_with_summary_on_stdout() {
    let dir = scratch(&[("p.mfapolicy", SPEC_EXAMPLE.as_bytes())]);
    let out = mfapol()
        .current_dir(&dir)
        .args(["check", "p.mfapolicy", "--deny-warnings"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1 file checked: 0 errors, 0 warnings\n"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn check_reports_every_error_in_every_file_sorted() {
    let dir = scratch(&[
        (
            "a/one.mfapolicy",
            b"require mfa when usr.email == \"x\"\nrequire mfa using \"gaurdian\" when true\n",
        ),
        ("a/b/two.mfapolicy", b"skip mfa when ip in 10.1.2.3/8\n"),
        ("a/ignored.txt", b"not a policy"),
    ]);
    let out = mfapol()
        .current_dir(&dir)
        .args(["check", "a", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 3, "{v}");
    // Files in sorted order (a/b/two before a/one), diagnostics by position.
    assert_eq!(arr[0]["code"], "mfapol::host_bits_set");
    assert_eq!(arr[0]["severity"], "warning");
    assert_eq!(arr[1]["code"], "mfapol::unknown_name");
    assert_eq!(arr[1]["line"], 1);
    assert_eq!(arr[2]["code"], "mfapol::unknown_provider");
    assert_eq!(arr[2]["line"], 2);
    for d in arr {
        for k in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "severity",
            "code",
            "message",
            "help",
        ] {
            assert!(d.get(k).is_some(), "missing {k} in {d}");
        }
    }
    assert_eq!(arr[1]["column"], 18);
    assert_eq!(arr[1]["end_column"], 21);
    assert_eq!(arr[1]["help"], "did you mean `user`?");
}

#[test]
fn check_warnings_pass_unless_denied() {
    let dir = scratch(&[(
        "w.mfapolicy",
        b"require mfa when user.app_metadata.tier == \"gold\"\n",
    )]);
    mfapol()
        .current_dir(&dir)
        .args(["check", "w.mfapolicy"])
        .assert()
        .code(0);
    mfapol()
        .current_dir(&dir)
        .args(["check", "w.mfapolicy", "--deny-warnings"])
        .assert()
        .code(1);
    // Only the metadata maps warn: request.query is dynamic without a warning.
    let dir = scratch(&[(
        "q.mfapolicy",
        b"require mfa when request.query.prompt == \"login\"\n",
    )]);
    mfapol()
        .current_dir(&dir)
        .args(["check", "q.mfapolicy", "--deny-warnings"])
        .assert()
        .code(0);
}

#[test]
fn a_byte_order_mark_is_accepted_in_policies_and_events() {
    let dir = scratch(&[
        (
            "p.mfapolicy",
            b"\xef\xbb\xbfrequire mfa when ip == 1.2.3.4\n",
        ),
        (
            "e.json",
            b"\xef\xbb\xbf{\"request\": {\"ip\": \"1.2.3.4\"}}",
        ),
    ]);
    let out = mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "e.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "require_mfa");
}

#[test]
fn check_missing_path_is_exit_2() {
    mfapol()
        .args(["check", "/nonexistent/dir/x.mfapolicy"])
        .assert()
        .code(2);
}

#[test]
fn unknown_flag_and_missing_subcommand_are_exit_2() {
    mfapol().args(["check", "--bogus"]).assert().code(2);
    mfapol().args(["eval"]).assert().code(2);
    mfapol().assert().code(2);
}

#[test]
fn eval_json_has_the_spec_shape() {
    let dir = scratch(&[
        ("p.mfapolicy", SPEC_EXAMPLE.as_bytes()),
        ("e.json", EVENT_03.as_bytes()),
    ]);
    let out = mfapol()
        .current_dir(&dir)
        .args([
            "eval",
            "p.mfapolicy",
            "e.json",
            "--format",
            "json",
            "--now",
            "2025-03-04T10:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // google-oauth2, not corp-ad, no org, GB: only the default applies.
    assert_eq!(v["decision"], "skip_mfa");
    assert_eq!(v["rule"], "default");
    assert_eq!(v["applied"], serde_json::json!([]));
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["factors"], Value::Null);
    assert_eq!(v["reason"], Value::Null);
    assert!(v.get("provider").is_none());
}

#[test]
fn eval_reads_stdin_and_reports_require_with_provider() {
    let mut event: Value = serde_json::from_str(EVENT_01).unwrap();
    event["connection"]["name"] = "corp-ad".into();
    let dir = scratch(&[("p.mfapolicy", SPEC_EXAMPLE.as_bytes())]);
    let out = mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "-", "--format", "json"])
        .write_stdin(event.to_string())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "require_mfa");
    assert_eq!(v["rule"], "corp_directory");
    assert_eq!(v["provider"], "any");
    assert_eq!(v["remember_browser"], false);
}

#[test]
fn eval_human_names_the_deciding_rule_with_file_and_line() {
    let mut event: Value = serde_json::from_str(EVENT_01).unwrap();
    event["connection"]["name"] = "corp-ad".into();
    event["request"]["geoip"]["countryCode"] = "KP".into();
    let dir = scratch(&[
        ("p.mfapolicy", SPEC_EXAMPLE.as_bytes()),
        ("e.json", event.to_string().as_bytes()),
    ]);
    let out = mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("decision: deny"), "{text}");
    assert!(
        text.contains("deciding rule: embargo (p.mfapolicy:"),
        "{text}"
    );
    assert!(
        text.contains("also applied: corp_directory (p.mfapolicy:"),
        "{text}"
    );
}

#[test]
fn eval_rejects_bad_events_with_location_and_no_decision() {
    let dir = scratch(&[
        ("p.mfapolicy", b"require mfa when true\n"),
        ("bad.json", b"{\n  \"user\": tru\n}"),
        ("list.json", b"[]"),
        ("deep.json", "[".repeat(5000).as_bytes()),
        ("bin.json", b"{\"a\": \"\xff\"}"),
    ]);
    for (file, needle) in [
        ("bad.json", "invalid JSON at line 3, column 1"),
        ("list.json", "must be a JSON object"),
        ("deep.json", "recursion limit"),
        ("bin.json", "not valid UTF-8"),
    ] {
        let out = mfapol()
            .current_dir(&dir)
            .args(["eval", "p.mfapolicy", file, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(out.stdout.is_empty(), "{file}: no decision on stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{file}: {err}");
    }
    mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "missing.json"])
        .assert()
        .code(2);
    mfapol()
        .current_dir(&dir)
        .args(["eval", "missing.mfapolicy", "bad.json"])
        .assert()
        .code(2);
}

#[test]
fn eval_refuses_a_policy_with_errors() {
    let dir = scratch(&[
        ("p.mfapolicy", b"require mfa when usr.x == 1\n"),
        ("e.json", EVENT_01.as_bytes()),
    ]);
    let out = mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "e.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mfapol::unknown_name"));
}

#[test]
fn eval_bad_now_is_a_usage_error() {
    let dir = scratch(&[
        ("p.mfapolicy", b"require mfa when true\n"),
        ("e.json", EVENT_01.as_bytes()),
    ]);
    mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "e.json", "--now", "yesterday"])
        .assert()
        .code(2);
}

#[test]
fn explain_json_lists_every_rule_deciding_first_with_values() {
    let mut event: Value = serde_json::from_str(EVENT_01).unwrap();
    event["connection"]["name"] = "corp-ad".into();
    event["request"]["ip"] = "198.51.100.23".into();
    let dir = scratch(&[
        ("p.mfapolicy", SPEC_EXAMPLE.as_bytes()),
        ("e.json", event.to_string().as_bytes()),
    ]);
    let out = mfapol()
        .current_dir(&dir)
        .args([
            "eval",
            "p.mfapolicy",
            "e.json",
            "--explain",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ex = v["explain"].as_array().unwrap();
    assert_eq!(ex.len(), 4);
    assert_eq!(ex[0]["rule"], "corp_directory");
    assert_eq!(ex[0]["applied"], true);
    let ip_check = ex[0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["expr"] == "ip in office")
        .unwrap();
    assert_eq!(ip_check["result"], "false");
    assert_eq!(ip_check["values"]["request.ip"], "198.51.100.23");
    let human = mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "e.json", "--explain"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("request.ip = \"198.51.100.23\""), "{text}");
}

#[test]
fn hostile_policies_get_diagnostics_not_crashes() {
    let dir = scratch(&[
        (
            "parens.mfapolicy",
            format!(
                "require mfa when {}true{}\n",
                "(".repeat(20000),
                ")".repeat(20000)
            )
            .as_bytes(),
        ),
        (
            "nots.mfapolicy",
            format!("require mfa when {}true\n", "not ".repeat(20000)).as_bytes(),
        ),
        (
            "chain.mfapolicy",
            format!("require mfa when now{} > now\n", " - 1h".repeat(20000)).as_bytes(),
        ),
        (
            "wide.mfapolicy",
            format!(
                "require mfa when {}\n",
                vec!["ip in 10.0.0.0/8"; 20000].join(" or ")
            )
            .as_bytes(),
        ),
        (
            "dots.mfapolicy",
            format!("require mfa when user{} == 1\n", ".a".repeat(20000)).as_bytes(),
        ),
        (
            "quants.mfapolicy",
            format!("require mfa when {}true\n", "any x in [1]: ".repeat(20000)).as_bytes(),
        ),
        (
            "lists.mfapolicy",
            format!(
                "require mfa when ip in {}10.0.0.1{}\n",
                "[".repeat(20000),
                "]".repeat(20000)
            )
            .as_bytes(),
        ),
        (
            "utf8.mfapolicy",
            b"require mfa when email == \"\xc3\x28\"\n",
        ),
    ]);
    for f in ["parens", "nots", "chain", "dots", "quants", "lists"] {
        let out = mfapol()
            .current_dir(&dir)
            .args(["check", &format!("{f}.mfapolicy")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{f}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("mfapol::nesting_too_deep"),
            "{f}"
        );
    }
    // 20,000 alternatives are flat, not deep: they check.
    mfapol()
        .current_dir(&dir)
        .args(["check", "wide.mfapolicy"])
        .assert()
        .code(0);
    let out = mfapol()
        .current_dir(&dir)
        .args(["check", "utf8.mfapolicy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mfapol::invalid_utf8"));
}

#[test]
fn github_annotations_and_sarif() {
    let dir = scratch(&[(
        "p.mfapolicy",
        b"require mfa when usr.email == \"x\"\ndeny when ip in 10.1.2.3/8\n",
    )]);
    let out = mfapol()
        .current_dir(&dir)
        .args(["check", "p.mfapolicy", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("::error file=p.mfapolicy,line=1,col=18,"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("::warning file=p.mfapolicy,line=2,"),
        "{text}"
    );

    let out = mfapol()
        .current_dir(&dir)
        .args(["check", "p.mfapolicy", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "mfapol::unknown_name");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    // A document missing a required property is rejected by the same validator.
    let mut broken = sarif.clone();
    broken.as_object_mut().unwrap().remove("version");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = mfapol().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("mfapol"),
            "{shell}"
        );
    }
    let out = mfapol().arg("man").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH mfapol 1"));
}
