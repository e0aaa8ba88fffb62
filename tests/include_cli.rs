//! `include "PATH"`: shared definitions followed by every command (check,
//! eval, test, diff, compile, fmt), and every way an include can fail,
//! snapshotted (the UI tests of the include_* codes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn scratch(files: &[(&str, &str)]) -> PathBuf {
    common::scratch("include", files)
}

fn mfapol(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::mfapol(dir, args)
}

const COMMON: &str = "# Shared by every policy of the tenant.\n\
let office = [203.0.113.0/24, 2001:db8:10::/48]\n\
let embargoed = [\"KP\", \"IR\", \"SY\", \"CU\"]\n\
declare user.app_metadata.vip: bool\n";

const CORP: &str = "include \"shared/common.mfapolicy\"\n\
default skip mfa\n\
rule embargo: deny \"not available\" when country in embargoed\n\
rule corp: require mfa when connection == \"corp-ad\" and not ip in office\n\
rule vip: require mfa using factors [\"otp\"] when user.app_metadata.vip\n";

const OFF_SITE: &str =
    "{\"connection\": {\"name\": \"corp-ad\"}, \"request\": {\"ip\": \"198.51.100.1\"}}";
const IN_OFFICE: &str =
    "{\"connection\": {\"name\": \"corp-ad\"}, \"request\": {\"ip\": \"203.0.113.9\"}}";

fn tenant() -> PathBuf {
    scratch(&[
        ("shared/common.mfapolicy", COMMON),
        ("corp.mfapolicy", CORP),
        ("off.json", OFF_SITE),
        ("office.json", IN_OFFICE),
        (
            "corp.mfatest",
            "policy corp.mfapolicy\nevent off.json\n\ncase \"off site\":\n  expect require_mfa\n  expect rule corp\n\n\
             case \"in the office\":\n  event office.json\n  expect skip_mfa\n\n\
             case \"embargoed\":\n  set country = \"KP\"\n  expect deny\n\n\
             case \"vip (a declared key from the shared file)\":\n  event office.json\n  set user.app_metadata.vip = true\n  expect require_mfa\n  expect factors [\"otp\"]\n",
        ),
        ("events.ndjson", &format!("{OFF_SITE}\n{IN_OFFICE}\n")),
    ])
}

#[test]
fn every_command_follows_includes() {
    let dir = tenant();
    // check: the policy and the definitions file (no unused-let warnings in it).
    let (code, _, err) = mfapol(&dir, &["check", "--deny-warnings", "."]);
    assert_eq!(code, 0, "{err}");
    // eval: the included `office` decides.
    let (code, out, err) = mfapol(
        &dir,
        &["eval", "corp.mfapolicy", "off.json", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"decision\":\"require_mfa\""), "{out}");
    let (_, out, _) = mfapol(
        &dir,
        &["eval", "corp.mfapolicy", "office.json", "--format", "json"],
    );
    assert!(out.contains("\"decision\":\"skip_mfa\""), "{out}");
    // test: suites run the policy with its includes.
    let (code, out, err) = mfapol(&dir, &["test", "corp.mfatest"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 passed, 0 failed"), "{out}");
    // batch and diff load policies the same way.
    let (code, out, err) = mfapol(&dir, &["eval", "corp.mfapolicy", "events.ndjson"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let (code, out, err) = mfapol(
        &dir,
        &["diff", "corp.mfapolicy", "corp.mfapolicy", "events.ndjson"],
    );
    assert_eq!(code, 0, "{out}{err}");
    // compile: the included ranges are in the Action.
    let (code, out, err) = mfapol(
        &dir,
        &["compile", "corp.mfapolicy", "--target", "auth0-action"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("203.0.113") || out.contains("3405803776"),
        "{out}"
    );
    // fmt keeps the include.
    let (code, out, _) = mfapol(&dir, &["fmt", "-"]);
    let _ = (code, out);
    let formatted = Command::cargo_bin("mfapol")
        .unwrap()
        .current_dir(&dir)
        .args(["fmt", "-"])
        .write_stdin(CORP)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&formatted.stdout)
        .starts_with("include \"shared/common.mfapolicy\"\n"));
}

#[test]
fn a_name_defined_twice_across_files_is_an_error_at_the_include() {
    let dir = scratch(&[
        ("common.mfapolicy", COMMON),
        (
            "p.mfapolicy",
            "include \"common.mfapolicy\"\nlet office = [10.0.0.0/8]\nrule r: require mfa when not ip in office\n",
        ),
    ]);
    let (code, _, err) = mfapol(&dir, &["check", "p.mfapolicy"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("mfapol::duplicate_name"), "{err}");
}

/// `mfapol check p.mfapolicy` fails with the diagnostic `code`; snapshot.
fn include_failure(code: &str, files: &[(&str, &str)]) {
    let dir = scratch(files);
    let (exit, _, err) = mfapol(&dir, &["check", "p.mfapolicy"]);
    assert_eq!(exit, 1, "{err}");
    assert!(err.contains(code), "{err}");
    insta::assert_snapshot!(code.trim_start_matches("mfapol::"), err);
}

#[test]
fn include_not_found() {
    include_failure(
        "mfapol::include_not_found",
        &[(
            "p.mfapolicy",
            "include \"shared/comon.mfapolicy\"\nrule r: require mfa when true\n",
        )],
    );
}

#[test]
fn include_cycle() {
    include_failure(
        "mfapol::include_cycle",
        &[
            (
                "p.mfapolicy",
                "include \"a.mfapolicy\"\nrule r: require mfa when x\n",
            ),
            ("a.mfapolicy", "include \"b.mfapolicy\"\nlet x = true\n"),
            ("b.mfapolicy", "include \"a.mfapolicy\"\n"),
        ],
    );
}

#[test]
fn include_errors() {
    include_failure(
        "mfapol::include_errors",
        &[
            (
                "p.mfapolicy",
                "include \"a.mfapolicy\"\nrule r: require mfa when x\n",
            ),
            ("a.mfapolicy", "let x = usr.email == \"a\"\n"),
        ],
    );
}

#[test]
fn include_not_definitions() {
    include_failure(
        "mfapol::include_not_definitions",
        &[
            (
                "p.mfapolicy",
                "include \"a.mfapolicy\"\nrule r: require mfa when x\n",
            ),
            (
                "a.mfapolicy",
                "let x = true\nrule hidden: skip mfa when true\n",
            ),
        ],
    );
}

/// The library alone has no file system: an include is an error there,
/// never a silently missing definition.
#[test]
fn the_library_without_a_loader_refuses_includes() {
    let src = mfapol::source::SourceFile::new(
        "p.mfapolicy",
        "include \"a.mfapolicy\"\nrule r: require mfa when true\n",
    );
    let c = mfapol::compile(&src, mfapol::schema::auth0_post_login());
    assert!(c.policy.is_none());
    assert!(format!("{:?}", c.diagnostics).contains("IncludeNotFound"));
}

/// Issue 20: the include diamond on disk, 4 wide and 11 deep, each level in
/// its own directory reached through `../` (so the same file has many
/// relative names): `check`, `eval` and `check DIR` handle it at once, each
/// file's definitions added once (no duplicate-name error). Without the
/// cache this ran for minutes (4^11 include paths); the load counts are
/// asserted in tests/include_diamond.rs and src/cli/files.rs.
#[test]
fn the_include_diamond_checks_at_once() {
    let mut files: Vec<(String, String)> = Vec::new();
    for level in 0..11 {
        for i in 0..4 {
            let mut text = String::new();
            let value = if level == 10 {
                format!("ip in 10.{i}.0.0/16")
            } else {
                let next: Vec<String> = (0..4)
                    .map(|j| {
                        text.push_str(&format!("include \"../l{}/f{j}.mfapolicy\"\n", level + 1));
                        format!("v{}_{j}", level + 1)
                    })
                    .collect();
                next.join(" or ")
            };
            text.push_str(&format!("let v{level}_{i} = {value}\n"));
            files.push((format!("l{level}/f{i}.mfapolicy"), text));
        }
    }
    let mut top = String::new();
    for i in 0..4 {
        top.push_str(&format!("include \"l0/f{i}.mfapolicy\"\n"));
    }
    top.push_str("default skip mfa\nrule deep: require mfa when v0_0\n");
    files.push(("top.mfapolicy".into(), top));
    files.push((
        "in.json".into(),
        "{\"request\": {\"ip\": \"10.2.0.9\"}}".into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = scratch(&refs);
    let (code, out, err) = mfapol(&dir, &["check", "top.mfapolicy"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 file checked: 0 errors, 0 warnings"),
        "{out}"
    );
    let (code, out, err) = mfapol(
        &dir,
        &["eval", "top.mfapolicy", "in.json", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"decision\":\"require_mfa\""), "{out}");
    // Every file as a policy of its own, in one run sharing one cache.
    let (code, out, err) = mfapol(&dir, &["check", "."]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("45 files checked: 0 errors"), "{out}");
}
