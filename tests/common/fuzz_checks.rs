//! The oracles of the fuzz targets (`fuzz/fuzz_targets/*.rs` include this
//! file), also run by `tests/fuzz_corpus.rs` on the committed corpus and
//! every reproducer, so a plain `cargo test` catches regressions without
//! nightly. Each function takes arbitrary bytes and panics only when a
//! property is violated (never on bad input, which must be a diagnostic).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use mfapol::eval::{self, Projection};
use mfapol::{compile, ir::Policy, schema, source::SourceFile};
use serde_json::Value;
use std::sync::OnceLock;

/// Every shipped policy.
const POLICIES: &[&str] = &[
    include_str!("../../policies/admin-step-up.mfapolicy"),
    include_str!("../../policies/corp-by-connection.mfapolicy"),
    include_str!("../../policies/corp-by-enrolled-factors.mfapolicy"),
    include_str!("../../policies/corp-by-metadata-flag.mfapolicy"),
    include_str!("../../policies/corp-by-office-ip.mfapolicy"),
    include_str!("../../policies/corp-by-organization.mfapolicy"),
    include_str!("../../policies/embargo-deny.mfapolicy"),
    include_str!("../../policies/mfa-once-per-session.mfapolicy"),
    include_str!("../../policies/new-account-step-up.mfapolicy"),
    include_str!("../../policies/reference.mfapolicy"),
    include_str!("../../policies/refresh-token-exemption.mfapolicy"),
    include_str!("../../policies/spec_example.mfapolicy"),
    include_str!("../../policies/staff-org-and-office.mfapolicy"),
];

/// Realistic events (fixtures and the shipped examples).
const EVENTS: &[&str] = &[
    include_str!("../../tests/cases/events/01-database-org-official-mock.json"),
    include_str!("../../tests/cases/events/03-social-google-ipv6.json"),
    include_str!("../../tests/cases/events/04-enterprise-samlp-organization.json"),
    include_str!("../../policies/events/customer-database.json"),
    include_str!("../../policies/events/customer-google-ipv6.json"),
    include_str!("../../policies/events/employee-corp-ad.json"),
];

/// Evaluation times around the fixtures, and the extremes.
const NOWS: &[i64] = &[1_750_000_000_000, 0, -1, i64::MIN, i64::MAX];

fn shipped() -> &'static [Policy] {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        POLICIES
            .iter()
            .map(|t| {
                compile(
                    &SourceFile::new("p.mfapolicy", *t),
                    schema::auth0_post_login(),
                )
                .policy
                .expect("shipped policies check")
            })
            .collect()
    })
}

fn events() -> &'static [Value] {
    static E: OnceLock<Vec<Value>> = OnceLock::new();
    E.get_or_init(|| {
        let mut out: Vec<Value> = EVENTS
            .iter()
            .map(|t| eval::parse_event(t).expect("fixture events parse"))
            .collect();
        out.push(serde_json::json!({}));
        out
    })
}

fn compile_text(text: &str) -> Option<Policy> {
    compile(
        &SourceFile::new("f.mfapolicy", text),
        schema::auth0_post_login(),
    )
    .policy
}

/// `evaluate`, `decide` and `explain` make the same decision.
fn paths_agree(p: &Policy, e: &Value, now: i64) -> (eval::DecisionKind, Option<usize>) {
    let full = eval::evaluate(p, e, now);
    let fast = eval::decide(p, e, now);
    let explained = eval::explain(p, e, now);
    assert_eq!(full.kind, fast.kind, "evaluate and decide disagree");
    assert_eq!(
        full.deciding, fast.deciding,
        "evaluate and decide pick different rules"
    );
    assert_eq!(
        full.kind, explained.decision.kind,
        "evaluate and explain disagree"
    );
    assert_eq!(full.deciding, explained.decision.deciding);
    (full.kind, full.deciding)
}

/// Policy text: parse, check, format and evaluate. `fmt` is idempotent and
/// keeps the meaning (same check result, same decision on every event).
pub fn policy_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = compile_text(text);
    if let Ok(once) = mfapol::fmt::format(text) {
        let twice = mfapol::fmt::format(&once).expect("formatted output parses");
        assert_eq!(once, twice, "fmt is not idempotent");
        let again = compile_text(&once);
        assert_eq!(
            policy.is_some(),
            again.is_some(),
            "fmt changed whether the policy checks"
        );
        if let (Some(a), Some(b)) = (&policy, &again) {
            for e in events() {
                assert_eq!(
                    paths_agree(a, e, NOWS[0]),
                    paths_agree(b, e, NOWS[0]),
                    "fmt changed a decision"
                );
            }
        }
    }
    if let Some(p) = &policy {
        for e in events() {
            for now in NOWS {
                paths_agree(p, e, *now);
            }
        }
    }
}

/// Event bytes: the full parse and every shipped policy's projection accept
/// and reject the same texts and decide the same; a JSON object read as a
/// log entry maps to an event that evaluates.
pub fn event_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let full = eval::parse_event(text);
    for p in shipped() {
        let projected = Projection::new(p).parse(text);
        assert_eq!(
            full.is_ok(),
            projected.is_ok(),
            "parse_event and the projection disagree: {full:?} / {projected:?}"
        );
        if let (Ok(a), Ok(b)) = (&full, &projected) {
            for now in NOWS {
                let x = eval::evaluate(p, a, *now);
                let y = eval::evaluate(p, b, *now);
                assert_eq!(x.kind, y.kind, "the projection changed a decision");
                assert_eq!(x.deciding, y.deciding);
                assert_eq!(x.errors.len(), y.errors.len());
            }
        }
    }
    if let Ok(entry) = &full {
        let mapped = mfapol::replay::mapping::to_event(entry);
        for p in shipped() {
            paths_agree(p, &mapped.event, NOWS[0]);
        }
    }
}

/// A policy and an event in one input (split at the first NUL byte; the
/// first 8 bytes are `now`): the three evaluation paths agree at any time.
pub fn policy_and_event(data: &[u8]) {
    let Some((now, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let now = i64::from_le_bytes(*now);
    let mut parts = rest.splitn(2, |b| *b == 0);
    let (Some(policy), Some(event)) = (parts.next(), parts.next()) else {
        return;
    };
    let (Ok(policy), Ok(event)) = (std::str::from_utf8(policy), std::str::from_utf8(event)) else {
        return;
    };
    let Some(p) = compile_text(policy) else {
        return;
    };
    let Ok(e) = eval::parse_event(event) else {
        return;
    };
    for t in [now, NOWS[0], i64::MIN, i64::MAX] {
        paths_agree(&p, &e, t);
    }
}
