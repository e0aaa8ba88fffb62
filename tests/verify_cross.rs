//! Brute force against `verify` and `diff --prove`, over policies and
//! events from the shared coverage-complete generator (`tests/common/gen`):
//!
//! - every `proved` assertion holds on every generated event, at many `now`s;
//! - every counterexample is an event `mfapol eval` accepts as it is and
//!   replays to a violation with the decision reported;
//! - no rule reported dead applies, none reported shadowed decides, and
//!   deleting either (their help) changes no decision;
//! - `--never-errors`: a `proved` condition raises on no event; a refuted
//!   one raises on its event;
//! - `diff --prove` on a policy and a one-edit mutant (both `--fail-on
//!   weaker` and `changed`): a `proved` pair differs on no event as
//!   forbidden; a counterexample replays.
//!
//! The generator's coverage table is printed, and an empty cell fails.
//! `MFAPOL_VERIFY_POLICIES=N` (default 1,000) and `MFAPOL_VERIFY_EVENTS=N`
//! (default 40) set the size; the release run in the issue note used
//! 5,000 policies and 500 events each. `MFAPOL_VERIFY_SEED=N` draws other
//! policies (default 0).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::gen::{Gen, Plan};
use mfapol::eval::strength::{movement, Movement};
use mfapol::eval::{self, Truth};
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use mfapol::verify::{self, DiffVerdict, ErrorVerdict, FailOn, RuleWarning, Verdict};
use mfapol::{compile, schema};
use serde_json::Value;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn checked(text: &str) -> Policy {
    let c = compile(
        &SourceFile::new("gen.mfapolicy", text),
        schema::auth0_post_login(),
    );
    c.policy
        .unwrap_or_else(|| panic!("a generated policy does not check:\n{text}"))
}

/// An event `mfapol eval` accepts as it is (text that parses to an object
/// with a field the policy reads or every event has).
fn assert_replayable(p: &Policy, ev: &Value, what: &str) {
    let text = ev.to_string();
    let parsed = eval::parse_event(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    let roots = mfapol::replay::coverage::roots_read(p);
    assert!(
        mfapol::replay::coverage::recognised(&roots, &parsed),
        "{what}: `mfapol eval` would refuse {text} as unrecognised"
    );
}

fn violated(p: &Policy, i: usize, e: &Value, now: i64) -> Option<eval::Decision> {
    let a = &p.asserts[i];
    if eval::condition(p, &a.when, e, now) != Truth::True {
        return None;
    }
    let d = eval::evaluate(p, e, now);
    verify::violates(a, &d).then_some(d)
}

#[derive(Default, Debug)]
struct Tally {
    proved: usize,
    refuted: usize,
    unknown: usize,
    dead: usize,
    shadowed: usize,
    never_proved: usize,
    never_refuted: usize,
    never_unknown: usize,
    diff_proved: usize,
    diff_refuted: usize,
    diff_unknown: usize,
    events: usize,
    /// Generated events outside verify's assumptions (not checked).
    outside: usize,
}

/// Checks one policy's verify report, never-errors and a diff proof
/// against its mutant on `events`.
fn check_one(round: usize, g: &mut Gen, n_events: usize, t: &mut Tally) {
    let text = g.policy();
    let p = checked(&text);
    let (mutant, kind) = g.mutate(&text);
    let q = checked(&mutant);
    let (plan_p, plan_q) = (Plan::new(&p), Plan::new(&q));
    let mut events: Vec<(i64, Value)> = Vec::with_capacity(n_events);
    for k in 0..n_events {
        let now = g.now();
        let plan = if k % 3 == 2 { &plan_q } else { &plan_p };
        let e = g.event_with(plan);
        // Proofs hold under verify's assumptions: typed fields hold values
        // of their type (metadata may hold anything).
        if common::typed::within_assumptions(&e) {
            events.push((now, e));
        } else {
            t.outside += 1;
        }
    }
    t.events += events.len();
    let ctx = |what: &str| format!("round {round}: {what}\n--- policy\n{text}");

    // Assertions.
    let report = verify::verify(&p);
    for (i, v) in report.assertions.iter().enumerate() {
        let name = &p.asserts[i].name;
        match v {
            Verdict::Proved => {
                t.proved += 1;
                for (now, e) in &events {
                    if let Some(d) = violated(&p, i, e, *now) {
                        panic!(
                            "{}",
                            ctx(&format!(
                                "`{name}` was proved but {e} (now {now}) decides {}",
                                d.to_json(&p)
                            ))
                        );
                    }
                }
            }
            Verdict::Refuted(cx) => {
                t.refuted += 1;
                assert_replayable(&p, &cx.event, &ctx(&format!("counterexample of `{name}`")));
                let d = violated(&p, i, &cx.event, cx.now_ms).unwrap_or_else(|| {
                    panic!(
                        "{}",
                        ctx(&format!(
                            "counterexample {} does not violate `{name}`",
                            cx.event
                        ))
                    )
                });
                assert_eq!(
                    (d.kind, d.deciding),
                    (cx.decision.kind, cx.decision.deciding),
                    "{}",
                    ctx("the counterexample replays to another decision")
                );
            }
            Verdict::Unknown(_) => t.unknown += 1,
        }
    }
    // Dead and shadowed rules, and their help: delete the rule.
    for w in &report.warnings {
        let (RuleWarning::NeverApplies { rule } | RuleWarning::NeverDecides { rule, .. }) = w;
        for (now, e) in &events {
            let d = eval::evaluate(&p, e, *now);
            match w {
                RuleWarning::NeverApplies { .. } => assert!(
                    !d.applied.contains(rule),
                    "{}",
                    ctx(&format!("rule {rule} said dead applies on {e}"))
                ),
                RuleWarning::NeverDecides { .. } => assert_ne!(
                    d.deciding,
                    Some(*rule),
                    "{}",
                    ctx(&format!("rule {rule} said shadowed decides {e}"))
                ),
            }
        }
        match w {
            RuleWarning::NeverApplies { .. } => t.dead += 1,
            RuleWarning::NeverDecides { .. } => t.shadowed += 1,
        }
        let line = p.rules[*rule].line as usize;
        let without: String = text
            .lines()
            .enumerate()
            .filter(|(i, _)| i + 1 != line)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let r = checked(&without);
        assert_eq!(r.rules.len() + 1, p.rules.len(), "{without}");
        for (now, e) in &events {
            let (a, b) = (eval::evaluate(&p, e, *now), eval::evaluate(&r, e, *now));
            // The deciding rule by index (unnamed rules are named by line,
            // which the deletion shifts).
            let shifted = a.deciding.map(|i| if i > *rule { i - 1 } else { i });
            assert_eq!(
                (a.kind, shifted, &a.effect),
                (b.kind, b.deciding, &b.effect),
                "{}",
                ctx(&format!("deleting rule {rule} changes the decision on {e}"))
            );
        }
    }
    // Never errors.
    for c in verify::never_errors(&p) {
        let conds: Vec<&mfapol::ir::Expr> = if c.assertion {
            vec![&p.asserts[c.index].when]
        } else {
            let r = &p.rules[c.index];
            std::iter::once(&r.when).chain(r.unless.as_ref()).collect()
        };
        match &c.verdict {
            ErrorVerdict::Proved => {
                t.never_proved += 1;
                for (now, e) in &events {
                    for cond in &conds {
                        assert_ne!(
                            eval::condition(&p, cond, e, *now),
                            Truth::Unknown,
                            "{}",
                            ctx(&format!(
                                "`{}` was proved never to raise but raises on {e}",
                                c.name
                            ))
                        );
                    }
                }
            }
            ErrorVerdict::Refuted { event, now_ms, .. } => {
                t.never_refuted += 1;
                assert_replayable(&p, event, &ctx("a never-errors counterexample"));
                assert!(
                    conds
                        .iter()
                        .any(|cond| eval::condition(&p, cond, event, *now_ms) == Truth::Unknown),
                    "{}",
                    ctx(&format!(
                        "`{}` does not raise on its counterexample {event}",
                        c.name
                    ))
                );
            }
            ErrorVerdict::Unknown(_) => t.never_unknown += 1,
        }
    }
    // Proofs about the change.
    for fail_on in [FailOn::Weaker, FailOn::Changed] {
        let bad = |m: Movement| verify::fails(fail_on, m);
        match verify::prove_diff(&p, &q, fail_on) {
            DiffVerdict::Proved => {
                t.diff_proved += 1;
                for (now, e) in &events {
                    let (a, b) = (eval::evaluate(&p, e, *now), eval::evaluate(&q, e, *now));
                    assert!(
                        !bad(movement(&a, &b)),
                        "{}",
                        ctx(&format!(
                            "diff --prove ({fail_on:?}) proved {kind:?} safe, but {e} (now {now}) moves {} -> {}\n--- mutant\n{mutant}",
                            a.to_json(&p),
                            b.to_json(&q)
                        ))
                    );
                }
            }
            DiffVerdict::Refuted(cx) => {
                t.diff_refuted += 1;
                assert_replayable(&p, &cx.event, &ctx("a diff counterexample"));
                assert_replayable(&q, &cx.event, &ctx("a diff counterexample (new)"));
                let (a, b) = (
                    eval::evaluate(&p, &cx.event, cx.now_ms),
                    eval::evaluate(&q, &cx.event, cx.now_ms),
                );
                assert!(
                    bad(movement(&a, &b)),
                    "{}",
                    ctx(&format!(
                        "the diff counterexample {} does not replay\n--- mutant\n{mutant}",
                        cx.event
                    ))
                );
            }
            DiffVerdict::Unknown(_) => t.diff_unknown += 1,
        }
    }
}

#[test]
fn verify_and_diff_proofs_hold_against_brute_force_on_generated_policies() {
    let policies = env("MFAPOL_VERIFY_POLICIES", 1000);
    let n_events = env("MFAPOL_VERIFY_EVENTS", 40);
    let threads = env("MFAPOL_VERIFY_THREADS", 2).max(1);
    let seed = env("MFAPOL_VERIFY_SEED", 0) as u64;
    let results: Vec<(Tally, common::gen::Coverage)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                s.spawn(move || {
                    let mut g = Gen::new(0x7e41_f1ed_0000 + w as u64 + (seed << 8));
                    let mut t = Tally::default();
                    for round in (w..policies).step_by(threads) {
                        check_one(round, &mut g, n_events, &mut t);
                    }
                    (t, g.cov.clone())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut t = Tally::default();
    let mut cov = results[0].1.clone();
    for (i, (r, c)) in results.iter().enumerate() {
        if i > 0 {
            cov.merge(c);
        }
        t.proved += r.proved;
        t.refuted += r.refuted;
        t.unknown += r.unknown;
        t.dead += r.dead;
        t.shadowed += r.shadowed;
        t.never_proved += r.never_proved;
        t.never_refuted += r.never_refuted;
        t.never_unknown += r.never_unknown;
        t.diff_proved += r.diff_proved;
        t.diff_refuted += r.diff_refuted;
        t.diff_unknown += r.diff_unknown;
        t.events += r.events;
        t.outside += r.outside;
    }
    eprintln!("{policies} policies: {t:?}\n{}", cov.table());
    let empty = cov.empty_cells(1);
    assert!(
        empty.is_empty(),
        "the generator left {} cells empty:\n{}",
        empty.len(),
        empty.join("\n")
    );
    // The checks above only mean something if each kind of verdict occurs.
    assert!(t.proved > 0 && t.refuted > 0, "{t:?}");
    assert!(t.diff_proved > 0 && t.diff_refuted > 0, "{t:?}");
    assert!(t.never_proved > 0 && t.never_refuted > 0, "{t:?}");
}
