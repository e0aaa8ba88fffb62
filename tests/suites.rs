//! Runs every `.mfatest` suite under `policies/` and `tests/cases/` through
//! the library's runner, and proves the runner can fail: typo'd paths, bad
//! values and wrong expectations give diagnostics or failing cases.
#![expect(
    clippy::unwrap_used,
    reason = "helpers of tests: a broken fixture should fail the test loudly"
)]

use assert_cmd::Command;
use mfapol::schema;
use mfapol::source::SourceFile;
use mfapol::testing::{run_suite, Loaded, SuiteReport};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn suites_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            suites_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "mfatest") {
            out.push(p);
        }
    }
}

fn run_file(path: &Path) -> SuiteReport {
    let text = std::fs::read_to_string(path).unwrap();
    let dir = path.parent().unwrap().to_path_buf();
    let mut loader = |rel: &str| {
        let p = dir.join(rel);
        std::fs::read_to_string(&p)
            .map(|text| Loaded {
                name: p.display().to_string(),
                text,
            })
            .map_err(|e| format!("cannot read `{}`: {e}", p.display()))
    };
    let src = SourceFile::new(path.display().to_string(), text);
    run_suite(&src, &mut loader, schema::auth0_post_login(), 0)
}

#[test]
fn every_suite_in_the_repository_passes() {
    let mut files = Vec::new();
    suites_under(&Path::new(ROOT).join("policies"), &mut files);
    suites_under(&Path::new(ROOT).join("tests/cases"), &mut files);
    assert!(
        files.len() >= 20,
        "expected the example and case suites, found {}",
        files.len()
    );
    let mut problems = Vec::new();
    let mut cases = 0;
    for f in &files {
        let r = run_file(f);
        for d in r.diagnostics.iter().filter(|d| !d.is_warning()) {
            problems.push(format!(
                "{}: suite error {}: {d}",
                f.display(),
                d.code_str()
            ));
        }
        for d in &r.policy_diagnostics {
            problems.push(format!("{}: policy error: {d}", f.display()));
        }
        for c in &r.cases {
            cases += 1;
            if !c.passed() {
                let why: Vec<String> = c
                    .mismatches
                    .iter()
                    .map(|m| format!("{}: expected {}, got {}", m.what, m.expected, m.actual))
                    .chain(c.problem.clone())
                    .collect();
                problems.push(format!(
                    "{}:{}: case `{}` failed: {}\n{}",
                    f.display(),
                    c.line,
                    c.name,
                    why.join("; "),
                    c.explanation
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(cases >= 150, "expected many cases, ran {cases}");
}

const EXAMPLES: &[&str] = &[
    "corp-by-connection",
    "corp-by-organization",
    "corp-by-metadata-flag",
    "corp-by-enrolled-factors",
    "corp-by-office-ip",
    "staff-org-and-office",
    "admin-step-up",
    "refresh-token-exemption",
    "mfa-once-per-session",
    "new-account-step-up",
    "embargo-deny",
    "spec_example",
];

#[test]
fn every_example_policy_has_a_suite_that_applies_every_rule() {
    let dir = Path::new(ROOT).join("policies");
    for name in EXAMPLES {
        let suite = dir.join(format!("{name}.mfatest"));
        assert!(suite.exists(), "{} is missing", suite.display());
        let r = run_file(&suite);
        assert_eq!(
            r.policy_path.as_deref(),
            Some(format!("{name}.mfapolicy").as_str())
        );
        assert!(
            r.uncovered().is_empty(),
            "{}: rules never applied: {:?}",
            suite.display(),
            r.uncovered()
        );
    }
}

// ---- the runner can fail ----

const POLICY: &str = r#"
let office = [203.0.113.0/24]
declare user.app_metadata.vip: bool
default skip mfa
rule corp: require mfa when connection == "corp-ad" and not ip in office
rule vip: require mfa using "guardian" when user.app_metadata.vip == true
"#;

const EVENT: &str = r#"{"connection": {"name": "db", "strategy": "auth0"},
  "request": {"ip": "198.51.100.1"}, "user": {"app_metadata": {}}}"#;

fn run_text(suite: &str) -> SuiteReport {
    let mut loader = |p: &str| match p {
        "p.mfapolicy" => Ok(Loaded {
            name: p.into(),
            text: POLICY.into(),
        }),
        "e.json" => Ok(Loaded {
            name: p.into(),
            text: EVENT.into(),
        }),
        _ => Err(format!("no file `{p}`")),
    };
    let src = SourceFile::new(
        "s.mfatest",
        format!("policy p.mfapolicy\nevent e.json\n{suite}"),
    );
    run_suite(&src, &mut loader, schema::auth0_post_login(), 0)
}

fn codes(r: &SuiteReport) -> Vec<String> {
    r.diagnostics.iter().map(|d| d.code_str()).collect()
}

#[test]
fn a_correct_case_passes() {
    let r = run_text(
        "case a\n  set connection = \"corp-ad\"\n  expect require_mfa\n  expect rule corp\n",
    );
    assert!(!r.has_errors(), "{:?}", r.diagnostics);
    assert_eq!((r.passed(), r.failed()), (1, 0));
}

#[test]
fn a_typo_in_an_override_path_is_a_diagnostic_with_a_suggestion() {
    let r = run_text("case a\n  set request.geoip.country_code = \"DE\"\n  expect skip_mfa\n");
    assert_eq!(codes(&r), ["mfapol::test_unknown_path"]);
    let help = miette::Diagnostic::help(&r.diagnostics[0])
        .unwrap()
        .to_string();
    assert!(help.contains("countryCode"), "{help}");
    assert!(r.cases.is_empty(), "no case runs when the suite has errors");
}

fn help_of(r: &SuiteReport, i: usize) -> String {
    miette::Diagnostic::help(&r.diagnostics[i])
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// A typo in a metadata key of a `set` is offered the key the policy reads
/// (never a `declare` of the typo, SPEC §15); applied, the case tests what
/// it meant to.
#[test]
fn a_typo_in_a_metadata_key_is_offered_the_key_the_policy_reads() {
    let r = run_text("case a\n  set user.app_metadata.vpi = true\n  expect require_mfa\n");
    assert_eq!(codes(&r), ["mfapol::test_unread_key"]);
    let help = help_of(&r, 0);
    assert_eq!(
        help,
        "did you mean `user.app_metadata.vip`? the policy reads that key"
    );
    assert!(!help.contains("declare"), "{help}");
    // As written, the case fails: the override changed nothing.
    assert_eq!((r.passed(), r.failed()), (0, 1));
    let fixed = run_text("case a\n  set user.app_metadata.vip = true\n  expect require_mfa\n");
    assert!(fixed.diagnostics.is_empty(), "{:?}", fixed.diagnostics);
    assert_eq!((fixed.passed(), fixed.failed()), (1, 0));
}

/// The right key in the wrong map: the policy reads
/// `organization.metadata.mfa_policy`, the suite sets the user's.
#[test]
fn a_key_in_the_wrong_map_is_offered_the_one_the_policy_reads() {
    let policy = "declare organization.metadata.mfa_policy: string\nrule org: require mfa when organization.metadata.mfa_policy == \"required\"\ndefault skip mfa\n";
    let event = r#"{"organization": {"id": "org_1", "name": "acme", "display_name": "Acme", "metadata": {}}, "user": {"app_metadata": {}}}"#;
    let run = |case: &str| {
        let mut loader = |p: &str| {
            Ok(Loaded {
                name: p.into(),
                text: if p == "p.mfapolicy" { policy } else { event }.into(),
            })
        };
        let src = SourceFile::new(
            "s.mfatest",
            format!("policy p.mfapolicy\nevent e.json\ncase a\n  {case}\n  expect require_mfa\n"),
        );
        run_suite(&src, &mut loader, schema::auth0_post_login(), 0)
    };
    for wrong in [
        "set user.app_metadata.mfa_policy = \"required\"",
        "set organization.metadata.mfa_policyy = \"required\"",
    ] {
        let r = run(wrong);
        assert_eq!(codes(&r), ["mfapol::test_unread_key"], "{wrong}");
        assert_eq!(
            help_of(&r, 0),
            "did you mean `organization.metadata.mfa_policy`? the policy reads that key",
            "{wrong}"
        );
        assert_eq!((r.passed(), r.failed()), (0, 1), "{wrong}");
    }
    let fixed = run("set organization.metadata.mfa_policy = \"required\"");
    assert!(fixed.diagnostics.is_empty(), "{:?}", fixed.diagnostics);
    assert_eq!((fixed.passed(), fixed.failed()), (1, 0));
}

/// A key the policy declares but never reads, an `unset`, and the keys of
/// an object written over a whole map warn too; a key the policy reads
/// (or a map whose keys it reads) does not.
#[test]
fn every_override_of_an_unread_key_warns() {
    let warned = |case: &str| codes(&run_text(&format!("case a\n  {case}\n  expect skip_mfa\n")));
    assert_eq!(
        warned("unset user.app_metadata.tier"),
        ["mfapol::test_unread_key"]
    );
    assert_eq!(
        warned("set user.app_metadata = json {\"vip\": false, \"tier\": 1}"),
        ["mfapol::test_unread_key"]
    );
    assert!(warned("set user.app_metadata = json {\"vip\": false}").is_empty());
    assert!(warned("set user.app_metadata.vip = false").is_empty());
    // Not metadata: a field of the event's own schema is not warned about.
    assert!(warned("set user.email = \"a@b.example\"").is_empty());
}

#[test]
fn a_value_of_the_wrong_type_is_a_diagnostic() {
    let r = run_text("case a\n  set user.app_metadata.vip = \"yes\"\n  expect skip_mfa\n");
    assert_eq!(codes(&r), ["mfapol::test_bad_value"]);
    let r = run_text("case a\n  set request.ip = \"10.0.0.300\"\n  expect skip_mfa\n");
    assert_eq!(codes(&r), ["mfapol::test_bad_value"]);
    let r = run_text(
        "case a\n  set transaction.protocol = \"oauth2-refresh-tokn\"\n  expect skip_mfa\n",
    );
    assert_eq!(codes(&r), ["mfapol::test_bad_value"]);
    let help = miette::Diagnostic::help(&r.diagnostics[0])
        .unwrap()
        .to_string();
    assert!(help.contains("oauth2-refresh-token"), "{help}");
}

#[test]
fn a_wrong_expectation_fails_the_case() {
    let r = run_text("case a\n  set connection = \"corp-ad\"\n  expect skip_mfa\n");
    assert!(!r.has_errors());
    assert_eq!((r.passed(), r.failed()), (0, 1));
    let m = &r.cases[0].mismatches[0];
    assert_eq!(
        (m.what, m.expected.as_str(), m.actual.as_str()),
        ("decision", "skip_mfa", "require_mfa")
    );
    assert!(
        r.cases[0].explanation.contains("deciding rule: corp"),
        "{}",
        r.cases[0].explanation
    );
}

#[test]
fn wrong_rule_provider_and_unexpected_errors_fail() {
    let r = run_text(
        "case a\n  set connection = \"corp-ad\"\n  set user.app_metadata.vip = true\n  expect require_mfa\n  expect rule vip\n  expect provider guardian\n",
    );
    let whats: Vec<&str> = r.cases[0].mismatches.iter().map(|m| m.what).collect();
    assert_eq!(whats, ["rule", "provider"]);
    let r = run_text("case a\n  set user.app_metadata.vip = json \"true\"\n  expect require_mfa\n");
    assert_eq!(
        r.cases[0].mismatches[0].what, "errors",
        "run-time errors fail a case unless expected"
    );
}

#[test]
fn unknown_rule_names_and_providers_are_diagnostics() {
    let r =
        run_text("case a\n  expect skip_mfa\n  expect rule crop\n  expect provider \"gaurdian\"\n");
    assert_eq!(
        codes(&r),
        ["mfapol::test_unknown_rule", "mfapol::test_bad_expectation"]
    );
}

#[test]
fn a_missing_policy_file_is_an_io_error() {
    let mut loader = |p: &str| Err::<Loaded, _>(format!("no file `{p}`"));
    let src = SourceFile::new(
        "s.mfatest",
        "policy nope.mfapolicy\nevent e.json\ncase a\n  expect none\n",
    );
    let r = run_suite(&src, &mut loader, schema::auth0_post_login(), 0);
    assert!(r.has_io_error());
}

// ---- the command line ----

fn mfapol() -> Command {
    let mut c = Command::cargo_bin("mfapol").unwrap();
    c.env("NO_COLOR", "1").current_dir(ROOT);
    c
}

#[test]
fn cli_runs_the_example_suites() {
    let out = mfapol()
        .args(["test", "policies", "--coverage"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout
        .lines()
        .any(|l| l.starts_with("ok   policies/corp-by-connection.mfatest: ")));
    let last = stdout.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
}

fn write_tmp(name: &str, suite: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mfapol-suites-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("p.mfapolicy"), POLICY).unwrap();
    std::fs::write(dir.join("e.json"), EVENT).unwrap();
    let path = dir.join("s.mfatest");
    std::fs::write(&path, format!("policy p.mfapolicy\nevent e.json\n{suite}")).unwrap();
    path
}

#[test]
fn cli_failing_case_exits_1_with_expected_and_actual() {
    let path = write_tmp(
        "fail",
        "case \"corp user\"\n  set connection = \"corp-ad\"\n  expect skip_mfa\n",
    );
    let out = mfapol().arg("test").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("FAIL "), "{stdout}");
    assert!(
        stdout.contains("decision: expected skip_mfa, got require_mfa"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("0 passed, 1 failed"));
}

#[test]
fn cli_suite_error_exits_1_with_a_coded_diagnostic() {
    let path = write_tmp("typo", "case a\n  set usr.email = \"x\"\n  expect none\n");
    let out = mfapol().arg("test").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("mfapol::test_unknown_path"), "{stderr}");
    assert!(stderr.contains("did you mean `user`?"), "{stderr}");
}

#[test]
fn cli_missing_path_exits_2() {
    let out = mfapol().args(["test", "no/such/dir"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_json_and_junit_formats() {
    let path = write_tmp("formats", "case \"a <b>\"\n  set connection = \"corp-ad\"\n  expect skip_mfa\ncase ok\n  expect skip_mfa\n");
    let out = mfapol()
        .arg("test")
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        v["suites"][0]["cases"][0]["mismatches"][0]["what"],
        "decision"
    );
    let out = mfapol()
        .arg("test")
        .arg(&path)
        .args(["--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testcase name=\"a &lt;b&gt;\""), "{xml}");
    assert!(
        xml.contains("<failure message=\"decision: expected skip_mfa, got require_mfa\""),
        "{xml}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn cli_coverage_lists_rules_no_case_applied() {
    let path = write_tmp(
        "coverage",
        "case a\n  set connection = \"corp-ad\"\n  expect require_mfa\n",
    );
    let out = mfapol()
        .arg("test")
        .arg(&path)
        .arg("--coverage")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 of 2 rules never applied: vip"),
        "{stdout}"
    );
    assert!(stdout.contains("the default never decided"), "{stdout}");
}

#[test]
fn every_documented_code_is_reachable() {
    let cases: &[(&str, &str)] = &[
        ("sett ip = 1.2.3.4\n", "mfapol::test_syntax"),
        ("case a\n  set ip = 1.2.3.4\n", "mfapol::test_missing"),
        (
            "case a\n  set user.emial = \"x\"\n  expect none\n",
            "mfapol::test_unknown_path",
        ),
        (
            "case a\n  set ip = \"x\"\n  expect none\n",
            "mfapol::test_bad_value",
        ),
        (
            "case a\n  expect none\n  expect rule vpi\n",
            "mfapol::test_unknown_rule",
        ),
        (
            "case a\n  expect none\n  expect factors [\"opt\"]\n",
            "mfapol::test_bad_expectation",
        ),
        (
            "case a\n  set user.app_metadata.nope = 1\n  expect skip_mfa\n",
            "mfapol::test_unread_key",
        ),
    ];
    for (suite, code) in cases {
        let r = run_text(suite);
        assert_eq!(codes(&r), [*code], "{suite}");
    }
    let mut loader = |p: &str| match p {
        "bad.mfapolicy" => Ok(Loaded {
            name: p.into(),
            text: "rule a: require mfa when usr.email == \"x\"\n".into(),
        }),
        "bad.json" => Ok(Loaded {
            name: p.into(),
            text: "[1]".into(),
        }),
        _ => Ok(Loaded {
            name: p.into(),
            text: POLICY.into(),
        }),
    };
    let src = SourceFile::new(
        "s.mfatest",
        "policy bad.mfapolicy\nevent e.json\ncase a\n  expect none\n",
    );
    let r = run_suite(&src, &mut loader, schema::auth0_post_login(), 0);
    assert_eq!(codes(&r), ["mfapol::test_policy_errors"]);
    assert_eq!(r.policy_diagnostics.len(), 1);
    let src = SourceFile::new(
        "s.mfatest",
        "policy p.mfapolicy\nevent bad.json\ncase a\n  expect none\n",
    );
    let r = run_suite(&src, &mut loader, schema::auth0_post_login(), 0);
    assert_eq!(codes(&r), ["mfapol::test_bad_event"]);
    let mut nothing = |p: &str| Err::<Loaded, _>(format!("no file `{p}`"));
    let src = SourceFile::new(
        "s.mfatest",
        "policy p.mfapolicy\nevent e.json\ncase a\n  expect none\n",
    );
    let r = run_suite(&src, &mut nothing, schema::auth0_post_login(), 0);
    assert_eq!(codes(&r), ["mfapol::test_io"]);
}

/// Issue 20: docs/testing.md documents every `expect` word the runner
/// accepts, and its `enroll_mfa` and `steps` examples hold as written.
#[test]
fn enroll_and_steps_expectations_work_as_documented() {
    let docs = std::fs::read_to_string(Path::new(ROOT).join("docs/testing.md")).unwrap();
    for example in [
        "`expect steps challenge [\"otp\"] then enroll [\"phone\"]`",
        "`enroll_mfa` (or `enroll mfa`)",
        "`expect steps challenge [\"otp\"]`",
        "`expect steps enroll [\"otp\"]`",
        "`expect steps` (nothing after it)",
    ] {
        assert!(docs.contains(example), "docs/testing.md lacks {example}");
    }
    let policy = "rule enrol: enroll mfa using factors [\"otp\"] when len(user.multifactor) == 0\n\
                  rule seq: require mfa using factors [\"otp\"] then enroll using factors [\"phone\"] when \"admin\" in roles\n\
                  rule one: require mfa using factors [\"otp\"] when connection == \"corp-ad\"\n\
                  default skip mfa\n";
    let event = r#"{"user": {"multifactor": ["guardian"]}, "connection": {"name": "db"}, "authorization": {"roles": []}}"#;
    let suite = "policy p.mfapolicy\nevent e.json\n\
        case enrol\n  set user.multifactor = []\n  expect enroll_mfa\n  expect steps enroll [\"otp\"]\n\
        case enrol_words\n  set user.multifactor = []\n  expect enroll mfa\n\
        case seq\n  set roles = [\"admin\"]\n  expect require_mfa\n  expect steps challenge [\"otp\"] then enroll [\"phone\"]\n\
        case one\n  set connection = \"corp-ad\"\n  expect require_mfa\n  expect steps challenge [\"otp\"]\n\
        case none\n  expect skip_mfa\n  expect steps\n\
        case wrong\n  set roles = [\"admin\"]\n  expect require_mfa\n  expect steps challenge [\"otp\"]\n";
    let mut loader = |p: &str| {
        Ok(Loaded {
            name: p.into(),
            text: if p == "p.mfapolicy" { policy } else { event }.into(),
        })
    };
    let r = run_suite(
        &SourceFile::new("s.mfatest", suite),
        &mut loader,
        schema::auth0_post_login(),
        0,
    );
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let failed: Vec<&str> = r
        .cases
        .iter()
        .filter(|c| !c.passed())
        .map(|c| c.name.as_str())
        .collect();
    // The last case drops a step: it must fail, so `expect steps` checks.
    assert_eq!(failed, ["wrong"]);
}
