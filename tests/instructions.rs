//! Issue 21: `decide` may not grow more than 10 % over its committed
//! instruction count (`tests/data/decide_instructions.txt`) on the
//! reference events.
//!
//! Counted, not timed: the test runs this test binary again under valgrind's
//! callgrind with only `decide_instruction_probe` collected
//! (`--toggle-collect`) and a dump after each call of it (`--dump-after`),
//! one per event. Instruction counts do not depend on the machine's load, so
//! the check is the same on a busy CI runner as on an idle laptop. The count
//! is of the build `cargo test` makes (the `test` profile: mfapol
//! unoptimised); the release figures are in docs/benchmarks.md, which says
//! how to update the baseline.
//!
//! Needs valgrind (`apt-get install valgrind`, `brew install valgrind`, or
//! your distribution's package); without it the test fails and says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::eval;
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use serde_json::Value;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

/// Calls of `decide` per event inside the probe (the count is divided).
const CALLS: usize = 20;
/// The growth that fails the test.
const TOLERANCE: f64 = 1.10;
/// Set in the child process.
const CHILD: &str = "MFAPOL_INSTRUCTIONS_CHILD";

/// The events, policy and baseline, relative to the package root.
const EVENTS: [&str; 3] = [
    "tests/cases/events/01-database-org-official-mock.json",
    "tests/cases/events/03-social-google-ipv6.json",
    "tests/cases/events/04-enterprise-samlp-organization.json",
];
const POLICY: &str = "policies/reference.mfapolicy";
const BASELINE: &str = "tests/data/decide_instructions.txt";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What callgrind counts: `CALLS` decisions of one event.
#[inline(never)]
fn decide_instruction_probe(policy: &Policy, event: &Value) -> usize {
    let mut n = 0;
    for _ in 0..CALLS {
        n += usize::from(
            eval::decide(black_box(policy), black_box(event), 0)
                .deciding
                .is_some(),
        );
    }
    n
}

/// Runs under valgrind (started by the test below): one probe call per
/// event, after one unmeasured call so that first-use work is not counted.
#[test]
#[ignore = "run by `decide_stays_within_its_instruction_baseline`, under valgrind"]
fn instruction_probe_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let text = std::fs::read_to_string(root().join(POLICY)).unwrap();
    let policy = mfapol::compile(
        &SourceFile::new(POLICY, text),
        mfapol::schema::auth0_post_login(),
    )
    .policy
    .unwrap();
    for path in EVENTS {
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap();
        black_box(eval::decide(&policy, &event, 0));
        black_box(decide_instruction_probe(&policy, &event));
    }
}

fn baseline() -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(root().join(BASELINE)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (event, count) = l.split_once(char::is_whitespace).unwrap();
            (event.to_string(), count.trim().parse().unwrap())
        })
        .collect()
}

#[test]
fn decide_stays_within_its_instruction_baseline() {
    let found = Command::new("valgrind").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "this test counts instructions with valgrind, which is not installed: \
         install it (apt-get install valgrind, or your system's package)"
    );
    let dir = std::env::temp_dir().join(format!("mfapol-instructions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("cg.out");
    let probe = "instructions::decide_instruction_probe";
    let run = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(format!("--toggle-collect={probe}"))
        .arg(format!("--dump-after={probe}"))
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "instruction_probe_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        // A backtrace setting changes what std does, and so the counts.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .unwrap();
    assert!(run.status.success(), "valgrind run failed: {run:?}");
    let mut measured = Vec::new();
    for (i, event) in EVENTS.iter().enumerate() {
        let dump =
            std::fs::read_to_string(format!("{}.{}", out.display(), i + 1)).unwrap_or_else(|e| {
                panic!("no callgrind dump for {event}: {e}; valgrind said {run:?}")
            });
        let total: u64 = dump
            .lines()
            .find_map(|l| l.strip_prefix("summary: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no summary in the dump for {event}"));
        measured.push((event.to_string(), total / CALLS as u64));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let report: Vec<String> = measured.iter().map(|(e, n)| format!("{e} {n}")).collect();
    eprintln!(
        "decide, instructions per call (test profile):\n{}",
        report.join("\n")
    );
    let base = baseline();
    assert_eq!(base.len(), EVENTS.len(), "{BASELINE} names every event");
    for ((event, now), (name, then)) in measured.iter().zip(&base) {
        assert_eq!(event, name, "{BASELINE} lists the events in order");
        let limit = (*then as f64 * TOLERANCE) as u64;
        assert!(
            *now <= limit,
            "`decide` on {event} takes {now} instructions per call, more than 10 % over the \
             baseline {then} (limit {limit}); if the growth is wanted, update {BASELINE} \
             (docs/benchmarks.md says how)"
        );
        if (*now as f64) < *then as f64 / TOLERANCE {
            eprintln!(
                "note: {event} is more than 10 % below its baseline ({now} < {then}): \
                 lower {BASELINE} so that the check keeps its margin"
            );
        }
    }
}
