//! `mfapol diff OLD NEW --prove` (SPEC §13) on the command line: the cases
//! of issue 22, each counterexample replayed with `mfapol eval`, the JSON
//! shape, `--old-rev` on a real git repository, and usage errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;
use std::path::Path;

const BASE: &str = r#"let office = [203.0.113.0/24]
default skip mfa
rule corp: require mfa using factors ["webauthn-roaming", "webauthn-platform"] when connection == "corp-ad" and not ip in office
rule admins: require mfa using factors ["otp"] then challenge using factors ["phone"] when roles contains "admin"
rule embargo: deny "region" when country in ["IR", "KP"]
rule fresh: skip mfa when user.created_at > now - 7d and connection != "corp-ad"
"#;

fn prove(old: &str, new: &str, fail_on: &str) -> (i32, Value, std::path::PathBuf) {
    let dir = common::scratch("prove", &[("old.mfapolicy", old), ("new.mfapolicy", new)]);
    let (code, out, err) = common::mfapol(
        &dir,
        &[
            "diff",
            "old.mfapolicy",
            "new.mfapolicy",
            "--prove",
            "--fail-on",
            fail_on,
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v, dir)
}

/// The counterexample, replayed with `mfapol eval` under both policies,
/// gives the decisions the proof reported.
fn replays(v: &Value, dir: &Path) {
    let cx = &v["counterexample"];
    std::fs::write(dir.join("event.json"), cx["event"].to_string()).unwrap();
    let now = cx["now"].as_str().unwrap();
    for (side, file) in [("old", "old.mfapolicy"), ("new", "new.mfapolicy")] {
        let (code, out, err) = common::mfapol(
            dir,
            &["eval", file, "event.json", "--now", now, "--format", "json"],
        );
        assert_eq!(code, 0, "{out}{err}");
        let d: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(d, v[side], "{side} does not replay: {out}");
    }
}

fn refuted(new: &str, fail_on: &str) -> Value {
    let (code, v, dir) = prove(BASE, new, fail_on);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["result"], "refuted", "{v}");
    replays(&v, &dir);
    v
}

fn proved(new: &str, fail_on: &str) {
    let (code, v, _) = prove(BASE, new, fail_on);
    assert_eq!(
        (code, v["result"].as_str()),
        (0, Some("proved")),
        "{v}\n{new}"
    );
    assert!(v["counterexample"].is_null() && v["old"].is_null(), "{v}");
}

#[test]
fn weakening_changes_are_refuted_with_a_login_that_replays() {
    // An office exemption for an IPv6 range.
    let v = refuted(
        &BASE.replace("[203.0.113.0/24]", "[203.0.113.0/24, 2001:db8:10::/48]"),
        "weaker",
    );
    assert_eq!(v["old"]["decision"], "require_mfa");
    assert_eq!(v["new"]["decision"], "skip_mfa");
    // WebAuthn replaced by any factor with remember-browser.
    let v = refuted(
        &BASE.replace(
            r#"require mfa using factors ["webauthn-roaming", "webauthn-platform"] when"#,
            "require mfa with remember_browser when",
        ),
        "weaker",
    );
    assert_eq!(v["new"]["remember_browser"], true, "{v}");
    // A sequence step dropped.
    let v = refuted(
        &BASE.replace(r#" then challenge using factors ["phone"]"#, ""),
        "weaker",
    );
    assert_eq!(v["old"]["rule"], "admins", "{v}");
    // A refresh-token exemption.
    refuted(
        &format!(
            "{BASE}rule refresh: exempt when transaction.protocol == \"oauth2-refresh-token\"\n"
        ),
        "weaker",
    );
}

#[test]
fn refactors_are_proved_to_change_nothing() {
    // Through lets.
    proved(
        &BASE
            .replace("let office = [203.0.113.0/24]", "let office = [203.0.113.0/24]\nlet corp_offsite = connection == \"corp-ad\" and not ip in office")
            .replace("when connection == \"corp-ad\" and not ip in office", "when corp_offsite"),
        "changed",
    );
    // A range split in its two halves.
    proved(
        &BASE.replace("[203.0.113.0/24]", "[203.0.113.0/25, 203.0.113.128/25]"),
        "changed",
    );
    // A window written two ways.
    proved(
        &BASE.replace("user.created_at > now - 7d", "now - user.created_at < 7d"),
        "changed",
    );
}

#[test]
fn a_grown_embargo_list_is_not_weaker_but_changed() {
    let grown = BASE.replace(r#"["IR", "KP"]"#, r#"["IR", "KP", "SY", "CU"]"#);
    proved(&grown, "weaker");
    let v = refuted(&grown, "changed");
    assert_eq!(v["new"]["decision"], "deny");
    assert_eq!(v["fail_on"], "changed");
    assert!(v["assumptions"].as_array().is_some_and(|a| !a.is_empty()));
}

/// Runs git in `dir` with a fixed identity; fails the test if git fails.
fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn old_rev_reads_the_old_policy_from_git() {
    let dir = common::scratch("prove-git", &[("p.mfapolicy", BASE)]);
    let git = |args: &[&str]| git(&dir, args);
    git(&["init", "-q"]);
    git(&["add", "p.mfapolicy"]);
    git(&["commit", "-q", "-m", "base"]);
    // The working copy weakens a login: refuted against HEAD.
    std::fs::write(
        dir.join("p.mfapolicy"),
        BASE.replace("[203.0.113.0/24]", "[203.0.113.0/23]"),
    )
    .unwrap();
    let (code, out, err) = common::mfapol(
        &dir,
        &["diff", "--prove", "--old-rev", "HEAD", "p.mfapolicy"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("refuted: "), "{out}");
    assert!(out.contains("`HEAD:p.mfapolicy`"), "{out}");
    // Unchanged: proved.
    std::fs::write(dir.join("p.mfapolicy"), BASE).unwrap();
    let (code, out, err) = common::mfapol(
        &dir,
        &["diff", "--prove", "--old-rev", "HEAD", "p.mfapolicy"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("proved: "), "{out}");
    // A revision that is not one, or looks like an option: usage errors.
    for rev in ["no-such-rev", "--output=/tmp/x"] {
        let (code, _, err) =
            common::mfapol(&dir, &["diff", "--prove", "--old-rev", rev, "p.mfapolicy"]);
        assert_eq!(code, 2, "{rev}: {err}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = common::scratch(
        "prove-usage",
        &[("a.mfapolicy", BASE), ("e.ndjson", "{}\n")],
    );
    for args in [
        &["diff", "a.mfapolicy", "a.mfapolicy", "e.ndjson", "--prove"][..],
        &["diff", "a.mfapolicy", "--prove"][..],
        &[
            "diff",
            "a.mfapolicy",
            "a.mfapolicy",
            "e.ndjson",
            "--old-rev",
            "HEAD",
        ][..],
    ] {
        let (code, _, err) = common::mfapol(&dir, args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}

#[test]
fn both_policies_may_include_files_also_from_git() {
    let shared = "let office = [203.0.113.0/24]\n";
    let main = "include \"shared.mfapolicy\"\ndefault skip mfa\nrule corp: require mfa when connection == \"corp-ad\" and not ip in office\n";
    let dir = common::scratch(
        "prove-include",
        &[
            ("shared.mfapolicy", shared),
            ("p.mfapolicy", main),
            ("q.mfapolicy", main),
        ],
    );
    let (code, out, err) = common::mfapol(&dir, &["diff", "--prove", "p.mfapolicy", "q.mfapolicy"]);
    assert_eq!(code, 0, "{out}{err}");
    // Widening the included office range weakens logins: refuted through the include.
    let git = |args: &[&str]| git(&dir, args);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    std::fs::write(
        dir.join("shared.mfapolicy"),
        "let office = [203.0.113.0/23]\n",
    )
    .unwrap();
    let (code, out, err) = common::mfapol(
        &dir,
        &["diff", "--prove", "--old-rev", "HEAD", "p.mfapolicy"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("refuted: "), "{out}");
}
