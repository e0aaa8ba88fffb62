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
            b"policy p.mfapolicy\nevent e.json\nnow 2025-06-02T09:00:00Z\n\ncase \"x\":\n  expect deny\n",
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
        assert!(
            !err.contains("panicked") && !err.contains("internal error"),
            "{args:?}: {err}"
        );
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

// ---------------------------------------------------------------- fmt

#[cfg(unix)]
#[test]
fn fmt_replaces_the_file_atomically_keeping_mode_and_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch(&[("real.mfapolicy", b"default    skip mfa\n")]);
    let real = dir.join("real.mfapolicy");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o604)).unwrap();
    std::os::unix::fs::symlink("real.mfapolicy", dir.join("link.mfapolicy")).unwrap();
    let o = mfapol()
        .current_dir(&dir)
        .args(["fmt", "link.mfapolicy"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "default skip mfa\n"
    );
    let link = std::fs::symlink_metadata(dir.join("link.mfapolicy")).unwrap();
    assert!(link.file_type().is_symlink());
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o604);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["link.mfapolicy", "real.mfapolicy"]);
}

#[cfg(target_os = "linux")]
#[test]
fn fmt_never_replaces_a_special_file_named_explicitly() {
    // `/dev/null` reads as an empty policy, which is canonical: nothing to
    // write. A FIFO with text in it must be refused, not renamed over.
    let dir = scratch(&[]);
    let fifo = dir.join("f.mfapolicy");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, "default    skip mfa\n"))
    };
    let o = mfapol().args(["fmt"]).arg(&fifo).output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

// ---------------------------------------------------------------- one validation

#[test]
fn eval_batch_and_diff_reject_the_same_events() {
    let deep = format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200));
    let classes = [
        ("deep unread subtree", deep.as_str()),
        ("lone surrogate", r#"{"x": "\ud800"}"#),
        ("lone surrogate in a key", r#"{"x": {"\udc00": 1}}"#),
        ("number out of range", r#"{"x": [1e400]}"#),
    ];
    let policy = b"require mfa when country == \"US\"\n";
    for (what, event) in classes {
        let dir = scratch(&[
            ("p.mfapolicy", policy),
            ("e.json", event.as_bytes()),
            ("e.ndjson", format!("{event}\n").as_bytes()),
        ]);
        let single = mfapol()
            .current_dir(&dir)
            .args([
                "eval",
                "p.mfapolicy",
                "e.json",
                "--now",
                "2025-01-01T00:00:00Z",
            ])
            .output()
            .unwrap();
        assert_eq!(single.status.code(), Some(1), "{what}: eval");
        let batch = mfapol()
            .current_dir(&dir)
            .args([
                "eval",
                "p.mfapolicy",
                "e.ndjson",
                "--now",
                "2025-01-01T00:00:00Z",
            ])
            .output()
            .unwrap();
        assert_eq!(
            batch.status.code(),
            Some(1),
            "{what}: batch {}",
            stdout(&batch)
        );
        let rec: serde_json::Value = serde_json::from_str(stdout(&batch).trim()).unwrap();
        assert!(rec.get("error").is_some(), "{what}: batch record {rec}");
        assert!(rec.get("decision").is_none(), "{what}: batch decided {rec}");
        let diff = mfapol()
            .current_dir(&dir)
            .args([
                "diff",
                "p.mfapolicy",
                "p.mfapolicy",
                "e.ndjson",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(
            diff.status.code(),
            Some(1),
            "{what}: diff {}",
            stderr(&diff)
        );
        let rep: serde_json::Value = serde_json::from_str(stdout(&diff).trim()).unwrap();
        assert_eq!(rep["events"], 0, "{what}: diff evaluated it: {rep}");
        assert_eq!(rep["failed_lines"], 1, "{what}: {rep}");
    }
}

// ---------------------------------------------------------------- limits

const MIB16: usize = 16 << 20;

/// An NDJSON input whose second line is one byte over the 16 MiB limit.
fn with_long_line() -> Vec<u8> {
    let ev = r#"{"user": {"user_id": "u1"}}"#;
    let mut v = Vec::with_capacity(MIB16 + 200);
    v.extend_from_slice(ev.as_bytes());
    v.push(b'\n');
    v.extend_from_slice(b"{\"x\": \"");
    v.resize(v.len() + MIB16 - 8, b'a');
    v.extend_from_slice(b"\"}\n");
    v.extend_from_slice(ev.as_bytes());
    v.push(b'\n');
    v
}

#[test]
fn an_over_long_batch_line_is_an_error_record_and_reading_resumes() {
    let dir = scratch(&[("p.mfapolicy", b"default require mfa\n")]);
    let o = mfapol()
        .current_dir(&dir)
        .args([
            "eval",
            "p.mfapolicy",
            "-",
            "--ndjson",
            "--now",
            "2025-01-01T00:00:00Z",
        ])
        .write_stdin(with_long_line())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let recs: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0]["decision"], "require_mfa");
    assert_eq!(recs[1]["line"], 2);
    assert!(recs[1]["error"]
        .as_str()
        .unwrap()
        .contains("longer than 16 MiB"));
    assert!(recs[1].get("decision").is_none());
    assert_eq!(recs[2]["line"], 3);
    assert_eq!(recs[2]["decision"], "require_mfa");
}

#[test]
fn an_over_long_diff_line_is_a_failed_line() {
    let dir = scratch(&[
        ("a.mfapolicy", b"default require mfa\n"),
        ("b.mfapolicy", b"default skip mfa\n"),
    ]);
    let o = mfapol()
        .current_dir(&dir)
        .args([
            "diff",
            "a.mfapolicy",
            "b.mfapolicy",
            "-",
            "--format",
            "json",
        ])
        .args(["--now", "2025-01-01T00:00:00Z"])
        .write_stdin(with_long_line())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rep: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(rep["events"], 2);
    assert_eq!(rep["failed_lines"], 1);
    assert_eq!(rep["errors"][0]["line"], 2);
}

#[test]
fn whole_file_reads_are_capped() {
    let big = vec![b' '; MIB16 + 1];
    let dir = scratch(&[
        ("p.mfapolicy", b"default require mfa\n"),
        ("big.mfapolicy", &big),
        ("big.json", &big),
    ]);
    for args in [
        &["check", "big.mfapolicy"][..],
        &["eval", "big.mfapolicy", "-"],
        &["eval", "p.mfapolicy", "big.json"],
        &["fmt", "big.mfapolicy"],
    ] {
        let o = mfapol()
            .current_dir(&dir)
            .args(args)
            .write_stdin("{}")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("larger than 16 MiB"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "-"])
        .write_stdin(big)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read standard input: it is larger than 16 MiB"));
}

// ---------------------------------------------------------------- empty gates

#[test]
fn gates_that_checked_nothing_fail() {
    let dir = scratch(&[
        ("p.mfapolicy", b"default skip mfa\n"),
        ("empty/README", b"no policies here\n"),
        ("t.mfatest", b"policy p.mfapolicy\nevent e.json\n"),
        ("e.json", b"{}"),
        ("blank.ndjson", b"\n   \n"),
    ]);
    let run = |args: &[&str]| {
        let o = mfapol().current_dir(&dir).args(args).output().unwrap();
        (o.status.code(), stderr(&o))
    };
    let (code, err) = run(&["check", "empty", "--deny-warnings"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("nothing was checked"), "{err}");
    for f in ["json", "sarif", "github"] {
        let (code, err) = run(&["check", "empty", "--deny-warnings", "--format", f]);
        assert_eq!(code, Some(1), "{f}: {err}");
    }
    // Without --deny-warnings it stays a warning.
    let (code, err) = run(&["check", "empty"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("warning: no .mfapolicy files found"), "{err}");

    let (code, err) = run(&["test", "t.mfatest"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("`t.mfatest` has no cases: nothing was tested"),
        "{err}"
    );

    for gate in ["weaker", "changed"] {
        let (code, err) = run(&[
            "diff",
            "p.mfapolicy",
            "p.mfapolicy",
            "blank.ndjson",
            "--fail-on",
            gate,
        ]);
        assert_eq!(code, Some(1), "{gate}: {err}");
        assert!(
            err.contains(&format!(
                "no event was evaluated, so `--fail-on {gate}` checked nothing"
            )),
            "{err}"
        );
    }
    // Without a gate, an empty diff is just a report.
    let (code, err) = run(&["diff", "p.mfapolicy", "p.mfapolicy", "blank.ndjson"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn diff_fail_on_changed() {
    let dir = scratch(&[
        ("a.mfapolicy", b"default skip mfa\n"),
        ("b.mfapolicy", b"default deny\n"),
        ("e.ndjson", b"{}\n{}\n"),
    ]);
    let o = mfapol()
        .current_dir(&dir)
        .args([
            "diff",
            "a.mfapolicy",
            "b.mfapolicy",
            "e.ndjson",
            "--fail-on",
            "changed",
        ])
        .args(["--now", "2025-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error: 2 events get a different decision under `b.mfapolicy`"));
    let o = mfapol()
        .current_dir(&dir)
        .args([
            "diff",
            "a.mfapolicy",
            "a.mfapolicy",
            "e.ndjson",
            "--fail-on",
            "changed",
        ])
        .args(["--now", "2025-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// ---------------------------------------------------------------- escaping

/// No raw control or bidi character reaches human or github output.
fn assert_clean(what: &str, text: &str) {
    for c in text.chars() {
        let bad = matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: raw {:?} in {text}", c);
    }
}

const HOSTILE_USER: &str = "evil\nline 1  none -> deny  (rule a -> b)\r\u{1b}[2J\u{202e}\u{85}";

#[test]
fn diff_report_escapes_event_strings() {
    let ev = serde_json::json!({
        "user": {"user_id": HOSTILE_USER},
        "connection": {"name": "c\n::error file=x::forged"},
        "client": {"name": "\u{1b}]8;;http://x\u{7}link"},
        "request": {"geoip": {"countryCode": "U\u{2066}S"}}
    });
    let dir = scratch(&[
        ("a.mfapolicy", b"default skip mfa\n"),
        ("b.mfapolicy", b"default deny\n"),
        ("e.ndjson", format!("{ev}\n").as_bytes()),
    ]);
    let o = mfapol()
        .current_dir(&dir)
        .args([
            "diff",
            "a.mfapolicy",
            "b.mfapolicy",
            "e.ndjson",
            "--fail-on",
            "changed",
        ])
        .args(["--now", "2025-01-01T00:00:00Z"])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_clean("diff stdout", &out.replace('\n', " "));
    assert_clean("diff stderr", &stderr(&o).replace('\n', " "));
    // One changed-event line, with the newline shown as `\n`.
    assert!(out.contains("evil\\nline 1  none -> deny"), "{out}");
    assert_eq!(out.matches("none -> deny  (rule").count(), 1, "{out}");
    assert!(!out.lines().any(|l| l.starts_with("::error")), "{out}");
}

#[test]
fn eval_explain_and_test_output_escape_event_and_file_strings() {
    let policy =
        "rule r: deny when user.user_id == \"x\u{202e}y\" or user.user_id starts_with \"z\"\n";
    let ev = serde_json::json!({"user": {"user_id": HOSTILE_USER}});
    let dir = scratch(&[
        ("p.mfapolicy", policy.as_bytes()),
        ("e.json", ev.to_string().as_bytes()),
        (
            "t.mfatest",
            "policy p.mfapolicy\nevent e.json\nnow 2025-01-01T00:00:00Z\n\ncase \"a\u{1b}[31m\u{202e}b\":\n  expect deny\n"
                .as_bytes(),
        ),
    ]);
    for args in [
        &["eval", "p.mfapolicy", "e.json", "--explain"][..],
        &["eval", "p.mfapolicy", "e.json"],
        &["test", "t.mfatest"],
    ] {
        let o = mfapol()
            .current_dir(&dir)
            .args(args)
            .args(["--now", "2025-01-01T00:00:00Z"])
            .output()
            .unwrap();
        assert_clean(&format!("{args:?}"), &stdout(&o).replace('\n', " "));
    }
    let o = mfapol()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "e.json", "--explain"])
        .args(["--now", "2025-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("\\u{202e}"), "{}", stdout(&o));
}

#[test]
fn github_annotations_escape_file_derived_text() {
    // A file name is file-derived text too.
    let name = "p\u{202e}\u{1b}[2J.mfapolicy";
    let dir = scratch(&[(name, b"require mfa when\n")]);
    let o = mfapol()
        .current_dir(&dir)
        .args(["check", name, "--format", "github"])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(!out.is_empty());
    assert_clean("github", &out.replace('\n', " "));
}

// ---------------------------------------------------------------- line ends

#[test]
fn cr_only_line_ends_name_rules_and_locate_diagnostics_alike() {
    for eol in ["\r", "\n", "\r\n"] {
        let policy = format!("default skip mfa{eol}{eol}require mfa when true{eol}");
        let bad = format!("default skip mfa{eol}{eol}rule r: deny when user.nosuch == 1{eol}");
        let dir = scratch(&[
            ("p.mfapolicy", policy.as_bytes()),
            ("bad.mfapolicy", bad.as_bytes()),
            ("e.json", b"{}"),
        ]);
        let o = mfapol()
            .current_dir(&dir)
            .args(["eval", "p.mfapolicy", "e.json", "--format", "json"])
            .args(["--now", "2025-01-01T00:00:00Z"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["rule"], "line 3", "{eol:?}");
        let o = mfapol()
            .current_dir(&dir)
            .args(["check", "bad.mfapolicy", "--format", "json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            (&v[0]["line"], &v[0]["column"]),
            (&3.into(), &24.into()),
            "{eol:?}"
        );
        let o = mfapol()
            .current_dir(&dir)
            .args(["check", "bad.mfapolicy"])
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(err.contains("[bad.mfapolicy:3:24]"), "{eol:?}: {err}");
        assert!(
            err.contains(" 3 │ rule r: deny when user.nosuch == 1\n"),
            "{eol:?}: {err}"
        );
    }
}

// ---------------------------------------------------------------- special files

#[cfg(unix)]
fn mkfifo(p: &Path) {
    assert!(std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success());
}

/// Runs with a timeout, so a regression blocks one test, not the suite.
#[cfg(unix)]
fn run_bounded(dir: &Path, args: &[&str]) -> std::process::Output {
    mfapol()
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn directory_walks_skip_fifos() {
    let dir = scratch(&[
        ("pol/ok.mfapolicy", b"default skip mfa\n"),
        ("pol/p.mfapolicy", b"default skip mfa\n"),
        (
            "pol/t.mfatest",
            b"policy p.mfapolicy\nevent e.json\n\ncase \"a\":\n  expect skip_mfa\n",
        ),
        ("pol/e.json", b"{}"),
    ]);
    mkfifo(&dir.join("pol/x.mfapolicy"));
    mkfifo(&dir.join("pol/y.mfatest"));
    for args in [
        &["check", "pol"][..],
        &["fmt", "--check", "pol"],
        &["test", "pol"],
    ] {
        let o = run_bounded(&dir, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    }
    let o = run_bounded(&dir, &["check", "pol"]);
    assert!(stdout(&o).starts_with("2 files checked"), "{}", stdout(&o));
}

#[cfg(unix)]
#[test]
fn a_suite_naming_a_fifo_is_refused_with_a_diagnostic() {
    let dir = scratch(&[
        ("p.mfapolicy", b"default skip mfa\n"),
        (
            "t.mfatest",
            b"policy p.mfapolicy\nevent e.json\n\ncase \"a\":\n  expect skip_mfa\n",
        ),
    ]);
    mkfifo(&dir.join("e.json"));
    let o = run_bounded(&dir, &["test", "t.mfatest"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("mfapol::test_io"), "{err}");
    assert!(
        err.contains("cannot read `e.json`: not a regular file"),
        "{err}"
    );
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_stores_bounded_values() {
    let big = "a".repeat(2_000_000);
    let roles: Vec<String> = (0..50_000).map(|i| format!("r{i}")).collect();
    let ev = serde_json::json!({"user": {"email": big, "app_metadata": {"roles": roles}}});
    let policy = "declare user.app_metadata.roles: list<string>\n\
        rule a: require mfa when email ends_with \"@x\" or email starts_with \"b\"\n\
        rule b: require mfa when \"admin\" in user.app_metadata.roles\n";
    let dir = scratch(&[
        ("p.mfapolicy", policy.as_bytes()),
        ("e.json", ev.to_string().as_bytes()),
    ]);
    for format in ["json", "human"] {
        let o = mfapol()
            .current_dir(&dir)
            .args([
                "eval",
                "p.mfapolicy",
                "e.json",
                "--explain",
                "--format",
                format,
            ])
            .args(["--now", "2025-01-01T00:00:00Z"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.len() < 20_000, "{format}: {} bytes", out.len());
        assert!(out.contains("… (2000000 chars)"), "{out}");
        assert!(out.contains("… 49992 more"), "{out}");
    }
}

#[test]
fn explain_json_shows_the_check_that_raised_and_error_spans() {
    let policy = "declare user.app_metadata.level: int\n\
        rule vip: skip mfa when user.app_metadata.level > 3\n\
        rule r: require mfa when email ends_with \"@corp\"\n\
        default require mfa\n";
    let ev = r#"{"user": {"email": "a@corp", "app_metadata": {"level": "high"}}}"#;
    let dir = scratch(&[
        ("rt.mfapolicy", policy.as_bytes()),
        ("rt.json", ev.as_bytes()),
    ]);
    let o = mfapol()
        .current_dir(&dir)
        .args([
            "eval",
            "rt.mfapolicy",
            "rt.json",
            "--explain",
            "--format",
            "json",
        ])
        .args(["--now", "2025-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(v["errors"][0]["column"], 25);
    let vip = v["explain"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "vip")
        .unwrap();
    assert_eq!(vip["checks"][0]["result"], "error");
    insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
}
