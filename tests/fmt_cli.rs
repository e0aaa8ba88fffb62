//! `mfapol fmt` on the command line: rewriting in place, `--check`, stdin,
//! and exit codes.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

const MESSY: &str = "rule  r : require mfa when stats.logins_count==1 # why\n";
const CANONICAL: &str = "rule r:\n  require mfa when stats.logins_count == 1  # why\n";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    #[expect(
        clippy::unwrap_used,
        reason = "a test helper: failing is the test failing"
    )]
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mfapol-fmt-cli-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn join(&self, path: &str) -> PathBuf {
        self.0.join(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[expect(
    clippy::unwrap_used,
    reason = "a test helper: failing is the test failing"
)]
fn mfapol(dir: &Scratch) -> Command {
    let mut cmd = Command::cargo_bin("mfapol").unwrap();
    cmd.current_dir(&dir.0).env("NO_COLOR", "1");
    cmd
}

#[test]
fn check_passes_on_canonical_files() {
    let dir = Scratch::new();
    std::fs::write(dir.join("ok.mfapolicy"), CANONICAL).unwrap();
    mfapol(&dir)
        .args(["fmt", "--check", "ok.mfapolicy"])
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn check_lists_files_that_would_change_and_writes_nothing() {
    let dir = Scratch::new();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("ok.mfapolicy"), CANONICAL).unwrap();
    std::fs::write(dir.join("sub/messy.mfapolicy"), MESSY).unwrap();
    mfapol(&dir)
        .args(["fmt", "--check", "."])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("messy.mfapolicy")
                .and(predicate::str::contains("ok.mfapolicy").not()),
        );
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/messy.mfapolicy")).unwrap(),
        MESSY
    );
}

#[test]
fn rewrites_files_in_place_recursively() {
    let dir = Scratch::new();
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(dir.join("a/b/messy.mfapolicy"), MESSY).unwrap();
    std::fs::write(dir.join("a/b/notes.txt"), MESSY).unwrap();
    mfapol(&dir).args(["fmt", "a"]).assert().code(0).stdout("");
    assert_eq!(
        std::fs::read_to_string(dir.join("a/b/messy.mfapolicy")).unwrap(),
        CANONICAL
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("a/b/notes.txt")).unwrap(),
        MESSY
    );
    mfapol(&dir).args(["fmt", "--check", "a"]).assert().code(0);
}

#[test]
fn stdin_to_stdout() {
    let dir = Scratch::new();
    mfapol(&dir)
        .args(["fmt", "-"])
        .write_stdin(MESSY)
        .assert()
        .code(0)
        .stdout(CANONICAL);
}

#[test]
fn stdin_check() {
    let dir = Scratch::new();
    mfapol(&dir)
        .args(["fmt", "--check", "-"])
        .write_stdin(MESSY)
        .assert()
        .code(1)
        .stdout("<stdin>\n");
    mfapol(&dir)
        .args(["fmt", "--check", "-"])
        .write_stdin(CANONICAL)
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn syntax_error_is_reported_and_file_left_alone() {
    let dir = Scratch::new();
    std::fs::write(dir.join("bad.mfapolicy"), "rule r: require mfa when\n").unwrap();
    std::fs::write(dir.join("messy.mfapolicy"), MESSY).unwrap();
    mfapol(&dir)
        .args(["fmt", "bad.mfapolicy", "messy.mfapolicy"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("mfapol::syntax")
                .and(predicate::str::contains("bad.mfapolicy")),
        );
    assert_eq!(
        std::fs::read_to_string(dir.join("bad.mfapolicy")).unwrap(),
        "rule r: require mfa when\n"
    );
    // The other file is still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.mfapolicy")).unwrap(),
        CANONICAL
    );
}

#[test]
fn missing_path_is_an_io_error() {
    let dir = Scratch::new();
    mfapol(&dir)
        .args(["fmt", "nope.mfapolicy"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read `nope.mfapolicy`"));
}

#[test]
fn crlf_files_are_rewritten_with_lf() {
    let dir = Scratch::new();
    std::fs::write(dir.join("win.mfapolicy"), CANONICAL.replace('\n', "\r\n")).unwrap();
    mfapol(&dir)
        .args(["fmt", "--check", "win.mfapolicy"])
        .assert()
        .code(1)
        .stdout("win.mfapolicy\n");
    mfapol(&dir).args(["fmt", "win.mfapolicy"]).assert().code(0);
    assert_eq!(
        std::fs::read_to_string(dir.join("win.mfapolicy")).unwrap(),
        CANONICAL
    );
}

/// `fmt` refuses a file with check errors (issue 9): `northwind-azure`
/// must not become `northwind - azure`; `--force` formats it anyway.
#[test]
fn refuses_files_with_check_errors_unless_forced() {
    let dir = std::env::temp_dir().join(format!("mfapol-fmt-force-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("p.mfapolicy");
    let text = "require mfa when connection == northwind-azure\n";
    std::fs::write(&p, text).unwrap();
    let out = assert_cmd::Command::cargo_bin("mfapol")
        .unwrap()
        .args(["fmt"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("so it was not formatted"), "{err}");
    assert!(err.contains("mfapol::unknown_name"), "{err}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
    assert_cmd::Command::cargo_bin("mfapol")
        .unwrap()
        .args(["fmt", "--force"])
        .arg(&p)
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "require mfa when connection == northwind - azure\n"
    );
    // A duration keeps its unit.
    std::fs::write(&p, "require mfa when user.created_at  >  now - 24h\n").unwrap();
    assert_cmd::Command::cargo_bin("mfapol")
        .unwrap()
        .args(["fmt"])
        .arg(&p)
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "require mfa when user.created_at > now - 24h\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `fmt` on a test suite says plainly that it is one (exit 2) and leaves it
/// alone, instead of parsing it as a policy ("found `policy`"); so does a
/// suite piped in.
#[test]
fn a_test_suite_is_refused_as_one() {
    let dir = Scratch::new();
    let suite = "policy p.mfapolicy\nevent e.json\n\ncase \"a\"\n    expect deny\n";
    std::fs::write(dir.join("s.mfatest"), suite).unwrap();
    mfapol(&dir)
        .args(["fmt", "s.mfatest"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("`s.mfatest` is a test suite (.mfatest), not a policy")
                .and(predicate::str::contains("found `policy`").not()),
        );
    assert_eq!(
        std::fs::read_to_string(dir.join("s.mfatest")).unwrap(),
        suite
    );
    mfapol(&dir)
        .args(["fmt", "-"])
        .write_stdin(suite)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "standard input is a test suite (.mfatest)",
        ));
    // A directory walk formats policies only: the suite beside one is left out.
    std::fs::write(dir.join("ok.mfapolicy"), CANONICAL).unwrap();
    mfapol(&dir).args(["fmt", "--check", "."]).assert().code(0);
}

/// Grouping parentheses the author wrote around an `and` inside an `or`
/// survive `fmt` (same meaning, easier to review).
#[test]
fn grouping_parentheses_stay() {
    let dir = Scratch::new();
    let text = "rule r:\n  require mfa when connection == \"corp-ad\" or (roles contains \"admin\" and not ip in 10.0.0.0/8)\n";
    mfapol(&dir)
        .args(["fmt", "-"])
        .write_stdin(text)
        .assert()
        .code(0)
        .stdout(text);
}
