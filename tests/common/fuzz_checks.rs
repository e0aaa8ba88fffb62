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

/// `verify` on arbitrary policy text (fuzz target `verify`): every claim
/// it makes is checked by evaluation. A `proved` assertion holds on every
/// fixture event and every login another claim produced; a counterexample
/// replays to a violation and is an event `mfapol eval` accepts; a rule
/// called dead applies on none of those logins, a shadowed one decides
/// none; a condition proved never to raise raises on none, and a refuted
/// one raises on its login. Policies beyond a few rules are skipped (the
/// search is bounded, but the target should stay fast).
pub fn verify_policy(data: &[u8]) {
    use mfapol::verify::{self, ErrorVerdict, RuleWarning, Verdict};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(p) = compile_text(text) else {
        return;
    };
    if p.rules.len() + p.asserts.len() > 12 {
        return;
    }
    let report = verify::verify(&p);
    let checks = verify::never_errors(&p);
    let now = verify::FIXED_NOW_MS;
    // Logins to check claims on: the fixtures, and every login verify
    // produced for another claim.
    let mut logins: Vec<(Value, i64)> = events().iter().map(|e| (e.clone(), now)).collect();
    let roots = mfapol::replay::coverage::roots_read(&p);
    for v in &report.assertions {
        if let Verdict::Refuted(cx) = v {
            assert!(
                mfapol::replay::coverage::recognised(&roots, &cx.event),
                "unrecognised counterexample {}",
                cx.event
            );
            let reparsed = eval::parse_event(&cx.event.to_string()).expect("it parses");
            assert_eq!(reparsed, cx.event);
            logins.push((cx.event.clone(), cx.now_ms));
        }
    }
    for c in &checks {
        if let ErrorVerdict::Refuted { event, now_ms, .. } = &c.verdict {
            logins.push((event.clone(), *now_ms));
        }
    }
    for (i, v) in report.assertions.iter().enumerate() {
        let a = &p.asserts[i];
        for (e, t) in &logins {
            let about = eval::condition(&p, &a.when, e, *t) == eval::Truth::True;
            let bad = about && verify::violates(a, &eval::evaluate(&p, e, *t));
            match v {
                Verdict::Proved => assert!(!bad, "`{}` proved but {e} violates it", a.name),
                Verdict::Refuted(cx) if cx.event == *e => {
                    assert!(bad, "`{}`'s counterexample {e} does not replay", a.name)
                }
                _ => {}
            }
        }
    }
    for w in &report.warnings {
        for (e, t) in &logins {
            let d = eval::evaluate(&p, e, *t);
            match w {
                RuleWarning::NeverApplies { rule } => {
                    assert!(!d.applied.contains(rule), "dead rule {rule} applies on {e}")
                }
                RuleWarning::NeverDecides { rule, .. } => {
                    assert_ne!(d.deciding, Some(*rule), "shadowed rule {rule} decides {e}")
                }
            }
        }
    }
    for c in &checks {
        let conds: Vec<&mfapol::ir::Expr> = if c.assertion {
            vec![&p.asserts[c.index].when]
        } else {
            let r = &p.rules[c.index];
            std::iter::once(&r.when).chain(r.unless.as_ref()).collect()
        };
        let raises = |e: &Value, t: i64| {
            conds
                .iter()
                .any(|x| eval::condition(&p, x, e, t) == eval::Truth::Unknown)
        };
        match &c.verdict {
            ErrorVerdict::Proved => {
                for (e, t) in &logins {
                    // Fixture events may hold values outside verify's
                    // assumptions only in metadata, which it covers.
                    assert!(
                        !raises(e, *t),
                        "`{}` proved never to raise, raises on {e}",
                        c.name
                    );
                }
            }
            ErrorVerdict::Refuted { event, now_ms, .. } => {
                assert!(
                    raises(event, *now_ms),
                    "`{}` does not raise on {event}",
                    c.name
                )
            }
            ErrorVerdict::Unknown(_) => {}
        }
    }
}
