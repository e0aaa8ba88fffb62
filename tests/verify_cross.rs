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
//! - `check`'s `skip_overlap`: every overlap found has a login `eval`
//!   accepts on which both rules apply;
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
    reference::violates(p, a, &d).then_some(d)
}

/// SPEC §9 and §12 written out again, from the decision JSON, apart from
/// the library's `eval::strength`: the oracle must not share a bug with
/// what it checks (planting one in the library's strength makes this test
/// fail).
mod reference {
    use mfapol::eval::{Decision, DecisionKind};
    use mfapol::ir::{AssertMode, Assertion, Policy};
    use serde_json::Value;
    use std::collections::BTreeSet;

    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum Move {
        Same,
        Changed,
        Weaker,
    }

    type Step = (String, Option<BTreeSet<String>>);

    fn set(v: &Value) -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The steps a requirement asks for (`None`: any method) and whether it
    /// remembers the browser.
    fn requirement(d: &Value) -> (Vec<Step>, bool) {
        let remember = d["remember_browser"] == true;
        let steps = if let Some(ss) = d["steps"].as_array() {
            ss.iter()
                .map(|s| {
                    (
                        s["kind"].as_str().unwrap_or("").to_string(),
                        Some(set(&s["factors"])),
                    )
                })
                .collect()
        } else if d["factors"].is_array() {
            let kind = if d["decision"] == "enroll_mfa" {
                "enroll"
            } else {
                "challenge"
            };
            vec![(kind.to_string(), Some(set(&d["factors"])))]
        } else if d["provider"] == "any" {
            vec![("challenge".to_string(), None)]
        } else {
            let p = d["provider"].as_str().unwrap_or("").to_string();
            vec![(
                "challenge".to_string(),
                Some(BTreeSet::from([format!("provider:{p}")])),
            )]
        };
        (steps, remember)
    }

    fn rank(d: &Value) -> u8 {
        match d["decision"].as_str() {
            Some("deny") => 3,
            Some("require_mfa" | "enroll_mfa") => 2,
            _ => 1,
        }
    }

    /// `new` accepts at least what `old` accepts, in the same kind of step.
    fn covers(old: &Step, new: &Step) -> bool {
        old.0 == new.0
            && match (&old.1, &new.1) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => a.is_subset(b),
            }
    }

    pub fn movement(old: &Value, new: &Value) -> Move {
        if old["decision"] != new["decision"] {
            return if rank(new) < rank(old) {
                Move::Weaker
            } else {
                Move::Changed
            };
        }
        match old["decision"].as_str() {
            Some("require_mfa" | "enroll_mfa") => requirement_movement(old, new),
            Some("deny") if old["reason"] != new["reason"] => Move::Changed,
            _ => Move::Same,
        }
    }

    /// Within the MFA prompts (require and enroll are one strength, SPEC §9).
    pub fn requirement_movement(old: &Value, new: &Value) -> Move {
        {
            {
                let ((o, ro), (n, rn)) = (requirement(old), requirement(new));
                let wider = if n.len() == o.len() {
                    o != n && o.iter().zip(&n).all(|(a, b)| covers(a, b))
                } else if n.len() < o.len() {
                    let mut rest = o.iter();
                    n.iter().all(|b| rest.any(|a| covers(a, b)))
                } else {
                    false
                };
                if wider || (!ro && rn) {
                    Move::Weaker
                } else if o != n || ro != rn {
                    Move::Changed
                } else {
                    Move::Same
                }
            }
        }
    }

    pub fn fails(changed: bool, m: Move) -> bool {
        if changed {
            m != Move::Same
        } else {
            m == Move::Weaker
        }
    }

    fn plain(want: &Value) -> bool {
        want["decision"] == "require_mfa"
            && want["provider"] == "any"
            && want["remember_browser"] == false
    }

    fn has_enroll_step(d: &Value) -> bool {
        requirement(d).0.iter().any(|s| s.0 == "enroll")
    }

    /// Whether `got` is the effect named by `want` (SPEC §12 v3).
    fn matches(want: &Value, got: &Value) -> bool {
        if want["decision"] != got["decision"] {
            return false;
        }
        if !matches!(
            want["decision"].as_str(),
            Some("require_mfa" | "enroll_mfa")
        ) || plain(want)
        {
            return true;
        }
        if want["provider"].is_string() {
            // A named provider (or `any` with remember_browser).
            let p_ok = want["provider"] == "any" || want["provider"] == got["provider"];
            return got["provider"].is_string()
                && p_ok
                && (want["remember_browser"] != true || got["remember_browser"] == true);
        }
        requirement(want) == requirement(got)
    }

    pub fn violates(p: &Policy, a: &Assertion, got: &Decision) -> bool {
        let want = Decision {
            kind: DecisionKind::of(&a.effect),
            deciding: None,
            by_default: true,
            effect: Some(a.effect.clone()),
            applied: Vec::new(),
            errors: Vec::new(),
        }
        .to_json(p);
        let got = got.to_json(p);
        match a.mode {
            AssertMode::Exactly => !matches(&want, &got),
            AssertMode::AtLeast => {
                let (w, g) = (rank(&want), rank(&got));
                if g != w {
                    return g < w;
                }
                if w != 2 {
                    // `skip_mfa` and `none` are neither stronger than the
                    // other (§9: a change, not a weakening).
                    return want["decision"] != got["decision"];
                }
                if plain(&want) {
                    return got["remember_browser"] == true;
                }
                !matches!(requirement_movement(&got, &want), Move::Same | Move::Weaker)
            }
            AssertMode::Never => {
                if plain(&want) {
                    matches!(got["decision"].as_str(), Some("require_mfa" | "enroll_mfa"))
                } else if want["decision"] == "enroll_mfa" {
                    has_enroll_step(&got)
                } else {
                    matches(&want, &got)
                }
            }
        }
    }
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
    /// (skip rule, other rule) pairs `skip_overlap` looked at, and the
    /// overlaps it found (each with its login).
    overlap_pairs: usize,
    overlaps: usize,
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
    // `skip_overlap`'s claims (SPEC §15): each overlap found comes with a
    // login `eval` accepts on which the whole policy applies both rules.
    let skips: Vec<usize> = (0..p.rules.len())
        .filter(|i| matches!(p.rules[*i].effect, mfapol::ir::Effect::Skip))
        .collect();
    let others: Vec<usize> = (0..p.rules.len()).filter(|i| !skips.contains(i)).collect();
    for &skip in &skips {
        t.overlap_pairs += others.len();
        for (other, ev) in verify::overlaps(&p, skip, &others) {
            t.overlaps += 1;
            let what = ctx(&format!("the overlap of rules {skip} and {other}"));
            assert_replayable(&p, &ev, &what);
            let d = eval::evaluate(&p, &ev, verify::FIXED_NOW_MS);
            assert!(
                d.applied.contains(&skip) && d.applied.contains(&other),
                "{what}: its login {ev} applies {:?}",
                d.applied
            );
        }
    }
    // Proofs about the change.
    for fail_on in [FailOn::Weaker, FailOn::Changed] {
        let bad = |a: &eval::Decision, b: &eval::Decision| {
            reference::fails(
                fail_on == FailOn::Changed,
                reference::movement(&a.to_json(&p), &b.to_json(&q)),
            )
        };
        match verify::prove_diff(&p, &q, fail_on) {
            DiffVerdict::Proved => {
                t.diff_proved += 1;
                for (now, e) in &events {
                    let (a, b) = (eval::evaluate(&p, e, *now), eval::evaluate(&q, e, *now));
                    assert!(
                        !bad(&a, &b),
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
                    bad(&a, &b),
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
        t.overlap_pairs += r.overlap_pairs;
        t.overlaps += r.overlaps;
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
