//! `--report FILE.html` (SPEC §14) without a browser: the page's numbers
//! against the JSON output of the same run, escaping, identities, the
//! Content-Security-Policy, atomic writing, and output left unchanged.
//! `tests/report_browser.rs` opens the same pages in headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod report_support;

use base64::Engine as _;
use report_support::{check_numbers, diff_required, eval_required, logs, People, MARKUP, NEW, OLD};
use serde_json::Value;
use sha2::Digest as _;
use std::path::{Path, PathBuf};

fn setup(tag: &str, n: usize) -> (PathBuf, People) {
    let (text, people) = logs(n, 0x5eed_0000 + n as u64);
    let dir = common::scratch(
        tag,
        &[
            ("old.mfapolicy", OLD),
            ("new.mfapolicy", NEW),
            ("logs.ndjson", &text),
        ],
    );
    (dir, people)
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::mfapol(dir, args)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

const DIFF: &[&str] = &[
    "diff",
    "old.mfapolicy",
    "new.mfapolicy",
    "logs.ndjson",
    "--input",
    "auth0-logs",
];

fn with(base: &[&str], more: &[&str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn run_v(dir: &Path, args: &[String]) -> (i32, String, String) {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    run(dir, &a)
}

#[test]
fn diff_page_numbers_equal_the_json_of_the_same_run() {
    let (dir, _) = setup("report-diff", 600);
    let (code, out, err) = run_v(
        &dir,
        &with(DIFF, &["--format", "json", "--report", "r.html"]),
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("report written to `r.html`"), "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let html = read(&dir, "r.html");
    assert!(
        j["weaker"].as_u64().unwrap() > 0,
        "the fixture has weaker logins"
    );
    assert!(j["matrix"].as_array().unwrap().len() >= 4);
    let n = check_numbers(&html, &j, &diff_required(&j));
    assert!(n > 60, "only {n} numbers checked");
    // The matrix marks weaker and changed cells.
    assert!(html.contains("class=\"n weaker\""));
    // Every transition that changed has samples with both explanations.
    for s in j["samples"].as_array().unwrap() {
        let line = s["line"].as_u64().unwrap();
        assert!(
            html.contains(&format!(">{line}</span> · user hidden")),
            "sample line {line}"
        );
    }
    assert!(
        html.contains("old policy (old.mfapolicy)") && html.contains("new policy (new.mfapolicy)")
    );
    assert!(
        html.contains("deciding rule: corp (new.mfapolicy:4)") || html.contains("did not apply")
    );
}

#[test]
fn eval_page_numbers_equal_the_summary_line_for_logs_and_events() {
    let (dir, _) = setup("report-eval", 500);
    let (code, out, err) = run(
        &dir,
        &[
            "eval",
            "new.mfapolicy",
            "logs.ndjson",
            "--input",
            "auth0-logs",
            "--summary",
            "--format",
            "json",
            "--report",
            "e.html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let html = read(&dir, "e.html");
    check_numbers(&html, &last, &eval_required(&last));
    assert!(
        last["summary"]["skipped"]["gd_auth_succeed"]
            .as_u64()
            .unwrap()
            > 0
    );
    // The same logins as plain events (what the logs map to) give a page
    // whose numbers equal that run's summary.
    let events: String = out
        .lines()
        .filter(|l| l.contains("\"log_id\""))
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            format!(
                "{{\"user\":{{\"user_id\":{}}},\"connection\":{{\"name\":\"corp-ad\"}},\"request\":{{\"ip\":\"198.51.100.7\"}},\"authentication\":{{\"methods\":[{{\"name\":\"pwd\",\"timestamp\":\"2025-03-03T10:00:00Z\"}}]}}}}\n",
                r["user_id"]
            )
        })
        .collect();
    std::fs::write(dir.join("events.ndjson"), events).unwrap();
    let (code, out, err) = run(
        &dir,
        &[
            "eval",
            "new.mfapolicy",
            "events.ndjson",
            "--summary",
            "--format",
            "json",
            "--report",
            "ev.html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["summary"]["over_time"]["series"][0]["start"],
        "2025-03-03T10:00:00Z"
    );
    check_numbers(&read(&dir, "ev.html"), &last, &eval_required(&last));
}

#[test]
fn no_identity_without_the_flag_and_ids_with_it() {
    let (dir, people) = setup("report-ids", 300);
    let (code, _, err) = run_v(&dir, &with(DIFF, &["--report", "r.html"]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &dir,
        &[
            "eval",
            "new.mfapolicy",
            "logs.ndjson",
            "--input",
            "auth0-logs",
            "--report",
            "e.html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for page in ["r.html", "e.html"] {
        let html = read(&dir, page);
        for v in people
            .user_ids
            .iter()
            .chain(&people.emails)
            .chain(&people.ips)
        {
            assert!(
                !html.contains(v.as_str()),
                "{page} shows `{v}` without --report-identities"
            );
        }
        assert!(html.contains("user hidden"));
        assert!(
            html.contains("(hidden: --report-identities shows it)"),
            "{page}: a hidden value is marked"
        );
    }
    let (code, _, err) = run_v(
        &dir,
        &with(DIFF, &["--report", "ri.html", "--report-identities"]),
    );
    assert_eq!(code, 0, "{err}");
    let html = read(&dir, "ri.html");
    assert!(
        people.user_ids.iter().any(|u| html.contains(u.as_str())),
        "--report-identities shows the samples' user ids"
    );
    assert!(
        people.ips.iter().any(|ip| html.contains(ip.as_str())),
        "and the values the rules read"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode("ri.html"),
            0o600,
            "a page with identities is its owner's only"
        );
        assert_eq!(mode("r.html"), 0o644);
    }
}

/// A page whose only style is the one its CSP hash allows, with nothing
/// that could load anything.
fn assert_self_contained(html: &str) {
    let csp = regex::Regex::new(r#"<meta http-equiv="Content-Security-Policy" content="([^"]*)""#)
        .unwrap()
        .captures(html)
        .expect("a CSP meta element")[1]
        .replace("&#39;", "'");
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe"), "{csp}");
    let style = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    assert!(
        csp.contains(&format!("'sha256-{hash}'")),
        "the CSP allows the page's own style sheet"
    );
    assert_eq!(html.matches("<style").count(), 1);
    assert!(
        !html.to_lowercase().contains("<script"),
        "no script element"
    );
    assert!(
        !html.contains(" style="),
        "no style attribute (the CSP would block it)"
    );
    for attr in regex::Regex::new(r#"\s(src|href|xlink:href|action|srcset)="([^"]*)""#)
        .unwrap()
        .captures_iter(html)
    {
        assert!(
            attr[2].starts_with('#') || attr[2].starts_with("data:"),
            "{}=\"{}\" points outside the page",
            &attr[1],
            &attr[2]
        );
    }
    assert!(!html.contains("url("), "no CSS url()");
    assert!(!html.contains("@import") && !html.contains("@font-face"));
}

#[test]
fn markup_in_events_is_text_and_the_page_loads_nothing() {
    let (dir, _) = setup("report-escape", 300);
    let (code, _, err) = run_v(
        &dir,
        &with(DIFF, &["--report", "r.html", "--report-identities"]),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &dir,
        &[
            "eval",
            "old.mfapolicy",
            "logs.ndjson",
            "--input",
            "auth0-logs",
            "--report",
            "e.html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for page in ["r.html", "e.html"] {
        let html = read(&dir, page);
        assert!(
            !html.contains(MARKUP),
            "{page}: the event's markup is written raw"
        );
        assert!(
            html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"),
            "{page}: the application named with markup is shown as text"
        );
        assert_self_contained(&html);
    }
}

#[test]
fn output_is_unchanged_beside_the_report() {
    let (dir, _) = setup("report-same", 200);
    for extra in [&[][..], &["--format", "json"][..]] {
        let plain = run_v(&dir, &with(DIFF, extra));
        let mut args = with(DIFF, extra);
        args.extend(["--report".to_string(), "r.html".to_string()]);
        let reported = run_v(&dir, &args);
        assert_eq!(plain.0, reported.0);
        assert_eq!(plain.1, reported.1, "stdout of diff {extra:?}");
    }
    // The JSON carries the report's counts without a report too.
    let j: Value =
        serde_json::from_str(&run_v(&dir, &with(DIFF, &["--format", "json"])).1).unwrap();
    for k in [
        "matrix",
        "decisions",
        "by_rule",
        "breakdowns",
        "over_time",
        "samples",
    ] {
        assert!(j.get(k).is_some(), "diff --format json has `{k}`");
    }
    let (_, out, _) = run(
        &dir,
        &[
            "eval",
            "new.mfapolicy",
            "logs.ndjson",
            "--input",
            "auth0-logs",
            "--summary",
            "--format",
            "json",
        ],
    );
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    for k in ["breakdowns", "over_time", "samples"] {
        assert!(
            last["summary"].get(k).is_some(),
            "the summary line has `{k}`"
        );
    }
    assert!(
        last["summary"]["breakdowns"]["connection"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    let base = [
        "eval",
        "new.mfapolicy",
        "logs.ndjson",
        "--input",
        "auth0-logs",
    ];
    let plain = run(&dir, &base);
    let reported = run(&dir, &[&base[..], &["--report", "e.html"]].concat());
    assert_eq!(plain.1, reported.1, "batch eval's NDJSON");
    assert_eq!(plain.0, reported.0);
}

#[test]
fn the_page_replaces_the_file_atomically_and_never_follows_a_link() {
    let (dir, _) = setup("report-atomic", 100);
    std::fs::write(dir.join("r.html"), "old page").unwrap();
    let (code, _, err) = run_v(&dir, &with(DIFF, &["--report", "r.html"]));
    assert_eq!(code, 0, "{err}");
    assert!(read(&dir, "r.html").starts_with("<!DOCTYPE html>"));
    // A symlink at the target is replaced by the page; what it pointed to
    // is left alone.
    let outside = common::scratch("report-outside", &[("keep.txt", "keep")]);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("keep.txt"), dir.join("link.html")).unwrap();
        let (code, _, err) = run_v(&dir, &with(DIFF, &["--report", "link.html"]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            std::fs::read_to_string(outside.join("keep.txt")).unwrap(),
            "keep"
        );
        let meta = std::fs::symlink_metadata(dir.join("link.html")).unwrap();
        assert!(meta.is_file(), "the link was replaced by the page");
    }
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp") || n.starts_with(".mfapol"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn unwritable_targets_and_misuse_are_usage_errors() {
    let (dir, _) = setup("report-usage", 20);
    std::fs::create_dir(dir.join("adir")).unwrap();
    let (code, out, err) = run_v(&dir, &with(DIFF, &["--report", "adir"]));
    assert_eq!(code, 2);
    assert!(out.is_empty(), "refused before any work: {out}");
    assert!(
        err.contains("cannot write the report `adir`: is a directory"),
        "{err}"
    );
    let (code, _, err) = run_v(&dir, &with(DIFF, &["--report", "./logs.ndjson"]));
    assert_eq!(code, 2);
    assert!(err.contains("it is an input of this command"), "{err}");
    assert!(
        read(&dir, "logs.ndjson").starts_with('{'),
        "the input is left alone"
    );
    let (code, _, err) = run_v(&dir, &with(DIFF, &["--report", "missing/r.html"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("the directory `missing` does not exist"),
        "{err}"
    );
    let (code, _, err) = run_v(&dir, &with(DIFF, &["--report-identities"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--report"), "{err}");
    // One event is not a batch: there is nothing to report on.
    std::fs::write(dir.join("one.json"), r#"{"connection":{"name":"corp-ad"}}"#).unwrap();
    let (code, _, err) = run(
        &dir,
        &["eval", "old.mfapolicy", "one.json", "--report", "x.html"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("need batch input"), "{err}");
    assert!(!dir.join("x.html").exists());
}

#[test]
fn a_large_run_gives_a_small_page() {
    // Every login a different user, address and time: the page holds
    // aggregates, so its size does not grow with them.
    let (dir, _) = setup("report-size", 20_000);
    let (code, out, err) = run_v(
        &dir,
        &with(DIFF, &["--format", "json", "--report", "r.html"]),
    );
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let size = std::fs::metadata(dir.join("r.html")).unwrap().len();
    assert!(size < 400_000, "{size} bytes for {} events", j["events"]);
    assert!(j["over_time"]["series"].as_array().unwrap().len() <= 240);
    check_numbers(&read(&dir, "r.html"), &j, &diff_required(&j));
}

#[test]
fn from_action_page_hides_what_the_action_threw() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/migration");
    let dir = common::scratch("report-action", &[]);
    let p = |f: &str| root.join(f).display().to_string();
    let args = [
        "diff".to_string(),
        "--from-action".to_string(),
        p("corp-action.js"),
        p("corp.mfapolicy"),
        p("events.ndjson"),
        "--format".to_string(),
        "json".to_string(),
        "--report".to_string(),
        "a.html".to_string(),
    ];
    let (code, out, err) = run_v(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["by_rule"]["old"]["the Action threw"], 1);
    let html = read(&dir, "a.html");
    check_numbers(&html, &j, &diff_required(&j));
    assert!(
        !html.contains("Cannot read properties"),
        "the Action's message is hidden"
    );
    assert!(html.contains("the Action threw (message hidden: --report-identities shows it)"));
    assert!(html.contains("new policy (") && !html.contains("old policy ("));
}
