//! Replays the committed fuzz corpus and every reproducer through the fuzz
//! targets' oracles (`tests/common/fuzz_checks.rs`), so a plain `cargo test`
//! catches a regression the fuzzers once found, without nightly Rust.
//! Seeds: every shipped policy and event, and the hostile inputs of issue 7.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/fuzz_checks.rs"]
mod fuzz_checks;

use std::path::Path;

fn files(target: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in ["fuzz/corpus", "fuzz/regressions"] {
        let Ok(entries) = std::fs::read_dir(Path::new(dir).join(target)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn replay(target: &str, check: fn(&[u8])) {
    let files = files(target);
    assert!(!files.is_empty(), "no corpus for `{target}` under fuzz/");
    for p in files {
        let data = std::fs::read(&p).unwrap();
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "fuzz input {} fails its oracle", p.display());
    }
}

#[test]
fn policy_corpus() {
    replay("policy", fuzz_checks::policy_text);
}

#[test]
fn event_corpus() {
    replay("event", fuzz_checks::event_bytes);
}

#[test]
fn policy_event_corpus() {
    replay("policy_event", fuzz_checks::policy_and_event);
}

#[test]
fn verify_corpus() {
    replay("verify", fuzz_checks::verify_policy);
}
