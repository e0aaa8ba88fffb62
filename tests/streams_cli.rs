//! Files and streams under hostile conditions (issue 7): failed stdout
//! writes, atomic `fmt`, over-long lines, one event validation for every
//! path, empty gates, escaped output, CR line ends, FIFOs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn mfapol() -> Command {
    let mut c = Command::cargo_bin("mfapol").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// A scratch directory with the given files.
fn scratch(files: &[(&str, &[u8])]) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mfapol-streams-{}-{}",
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

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

// ---------------------------------------------------------------- stdout

/// Runs a command with stdout on `/dev/full`: every write fails with ENOSPC.
#[cfg(target_os = "linux")]
fn to_dev_full(dir: &Path, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write as _;
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mfapol"))
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn every_stdout_write_error_is_exit_2_with_a_message() {
    let dir = scratch(&[
        ("p.mfapolicy", SPEC_EXAMPLE.as_bytes()),
        ("old.mfapolicy", b"default skip mfa\n"),
        ("e.json", EVENT_01.as_bytes()),
        ("events.ndjson", format!("{}\n", EVENT_01.replace('\n', " ")).as_bytes()),
        (
            "t.mfatest",
            b"policy: p.mfapolicy\ncase \"x\":\n  event: e.json\n  expect: require mfa\n",
        ),
        ("warn.mfapolicy", b"require mfa when ip in 10.1.2.3/8\n"),
    ]);
    let runs: &[&[&str]] = &[
        &["eval", "p.mfapolicy", "e.json"],
        &["eval", "p.mfapolicy", "e.json", "--format", "json"],
        &["eval", "p.mfapolicy", "e.json", "--explain"],
        &["eval", "p.mfapolicy", "events.ndjson"],
        &["check", "p.mfapolicy"],
        &["check", "p.mfapolicy", "--format", "json"],
        &["check", "p.mfapolicy", "--format", "sarif"],
        &["check", "warn.mfapolicy", "--format", "github"],
        &["test", "t.mfatest", "--format", "junit"],
        &["test", "t.mfatest"],
        &["diff", "old.mfapolicy", "p.mfapolicy", "events.ndjson"],
        &["fmt", "-"],
        &["man"],
        &["completions", "bash"],
        &["--help"],
    ];
    for args in runs {
        let o = to_dev_full(&dir, args, b"default skip mfa\n");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("error: cannot write to standard output: no space left on device"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked") && !err.contains("internal error"), "{args:?}: {err}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // The reader is gone before mfapol writes: EPIPE, not an error message.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mfapol"))
        .arg("man")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}
