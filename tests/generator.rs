//! The shared generator (`tests/common/gen.rs`) itself: every policy it
//! makes checks clean, every event it makes is one `mfapol eval` accepts,
//! every mutation checks clean and differs from its source, and the
//! coverage table has no empty cell.
//!
//! `MFAPOL_GEN_POLICIES=N` sets the number of policies (default 800;
//! events per policy: `MFAPOL_GEN_EVENTS`, default 8).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::gen::{Gen, MutationKind, Options, Plan};
use mfapol::eval;
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use mfapol::{compile, schema};
use serde_json::Value;
use std::path::Path;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Compiles a generated policy; any error fails with the text.
fn checked(text: &str, what: &str) -> Policy {
    let c = compile(
        &SourceFile::new("gen.mfapolicy", text),
        schema::auth0_post_login(),
    );
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| !d.is_warning())
        .map(|d| format!("{:?}", miette::Report::new(d.clone())))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not check:\n{text}\n{}",
        errors.join("\n")
    );
    c.policy.expect("a policy without errors")
}

/// The top-level fields every event has (`user`, `request`, ...): an
/// event with one of them is recognised by `mfapol eval`.
fn required_roots() -> Vec<String> {
    let s = schema::auth0_post_login();
    let root = s.record(s.root.unwrap());
    root.fields
        .iter()
        .filter(|f| !f.optional && !f.hidden)
        .map(|f| f.name.to_string())
        .collect()
}

/// Every event is text `mfapol eval` parses, and recognised.
fn assert_accepted(event: &Value, required: &[String], text: &str) {
    let json = event.to_string();
    let parsed = eval::parse_event(&json).unwrap_or_else(|e| panic!("{e}: {json}\n{text}"));
    let obj = parsed.as_object().unwrap();
    assert!(
        required.iter().any(|k| obj.contains_key(k)),
        "unrecognised event {json}\n{text}"
    );
}

/// The interpreter decides the event without a panic, and its fast path
/// (`decide`, used per login) and the projected parse agree with it.
fn same_decision(policy: &Policy, e: &Value, now: i64, text: &str) {
    let full = eval::evaluate(policy, e, now);
    let fast = eval::decide(policy, e, now);
    assert_eq!(
        (full.kind, full.deciding),
        (fast.kind, fast.deciding),
        "evaluate and decide differ on {e} (now {now})\n{text}"
    );
    let projected = eval::Projection::new(policy).parse(&e.to_string()).unwrap();
    let p = eval::decide(policy, &projected, now);
    assert_eq!(
        (full.kind, full.deciding),
        (p.kind, p.deciding),
        "the projected event {projected} decides differently from {e} (now {now})\n{text}"
    );
}

#[test]
fn generated_policies_check_events_parse_mutations_check_and_every_cell_is_covered() {
    let policies = env("MFAPOL_GEN_POLICIES", 800);
    let events = env("MFAPOL_GEN_EVENTS", 8);
    let required = required_roots();
    let mut g = Gen::new(0x6e6e_0001);
    let mut hostile = Gen::with_options(
        0x6e6e_0002,
        Options {
            hostile: 500,
            ..Options::default()
        },
    );
    let (mut n_events, mut n_mutations) = (0, 0);
    let mut t = [std::time::Duration::ZERO; 4];
    for _ in 0..policies {
        let t0 = std::time::Instant::now();
        let text = g.policy();
        let t1 = std::time::Instant::now();
        let policy = checked(&text, "a generated policy");
        // Every generated policy also compiles to an Action (the
        // differential in tests/action_node.rs runs them in Node.js).
        // A regex JavaScript reads differently is the one refusal the
        // language documents (SPEC §10); `Options::action_safe` leaves
        // those out.
        match mfapol::action::compile(
            &policy,
            mfapol::action::Target {
                source_name: "gen.mfapolicy",
                source_text: &text,
            },
        ) {
            Ok(_) | Err(mfapol::action::ActionError::Regex { .. }) => {}
            Err(e) => panic!("a generated policy does not compile to an Action: {e}\n{text}"),
        }
        let plan = Plan::new(&policy);
        let t2 = std::time::Instant::now();
        let mut seen = Vec::with_capacity(events);
        for _ in 0..events {
            let now = g.now();
            let e = g.event_with(&plan);
            assert_accepted(&e, &required, &text);
            same_decision(&policy, &e, now, &text);
            seen.push((e, now));
            n_events += 1;
        }
        for _ in 0..2 {
            let now = hostile.now();
            let e = hostile.event_with(&plan);
            assert_accepted(&e, &required, &text);
            same_decision(&policy, &e, now, &text);
        }
        let t3 = std::time::Instant::now();
        let (mutant, kind) = g.mutate(&text);
        assert_ne!(mutant, text, "{kind:?} changed nothing");
        let m = checked(&mutant, &format!("a mutation ({kind:?}) of\n{text}\nas"));
        if kind == MutationKind::CidrSplit {
            // A range replaced by its two halves means the same.
            for (e, now) in &seen {
                let (a, b) = (
                    eval::evaluate(&policy, e, *now),
                    eval::evaluate(&m, e, *now),
                );
                assert_eq!(
                    a.to_json(&policy),
                    b.to_json(&m),
                    "splitting a range changed the decision on {e}\n{text}\n{mutant}"
                );
            }
        }
        n_mutations += 1;
        let t4 = std::time::Instant::now();
        for (i, d) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3].into_iter().enumerate() {
            t[i] += d;
        }
    }
    eprintln!(
        "time: generate {:?}, check {:?}, events {:?}, mutate+check {:?}",
        t[0], t[1], t[2], t[3]
    );
    let mut cov = g.cov.clone();
    cov.merge(&hostile.cov);
    eprintln!(
        "{policies} policies, {n_events} events, {n_mutations} mutations\n{}",
        cov.table()
    );
    let empty = cov.empty_cells(1);
    assert!(
        empty.is_empty(),
        "{} cells were never generated:\n{}",
        empty.len(),
        empty.join("\n")
    );
}

#[test]
fn action_safe_policies_all_compile_to_an_action() {
    let mut g = Gen::with_options(
        0x6e6e_0004,
        Options {
            action_safe: true,
            ..Options::default()
        },
    );
    for _ in 0..300 {
        let text = g.policy();
        let policy = checked(&text, "a generated policy");
        let target = mfapol::action::Target {
            source_name: "gen.mfapolicy",
            source_text: &text,
        };
        if let Err(e) = mfapol::action::compile(&policy, target) {
            panic!("an action-safe policy does not compile to an Action: {e}\n{text}");
        }
    }
}

#[test]
fn generated_events_are_accepted_by_mfapol_eval() {
    let mut g = Gen::new(0x6e6e_0003);
    let dir = common::scratch("gen-eval", &[]);
    for i in 0..12 {
        let text = g.policy();
        let policy = checked(&text, "a generated policy");
        let plan = Plan::new(&policy);
        std::fs::write(dir.join("p.mfapolicy"), &text).unwrap();
        let now = g.now();
        let e = g.event_with(&plan);
        std::fs::write(dir.join("e.json"), e.to_string()).unwrap();
        let now_text = chrono::DateTime::from_timestamp_millis(now)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (code, out, err) = common::mfapol(
            &dir,
            &[
                "eval",
                "p.mfapolicy",
                "e.json",
                "--now",
                &now_text,
                "--format",
                "json",
            ],
        );
        assert_eq!(code, 0, "policy {i}:\n{text}\nevent {e}\n{out}{err}");
        let d: Value = serde_json::from_str(&out).unwrap();
        let lib = eval::evaluate(&policy, &e, now);
        assert_eq!(
            d["decision"],
            lib.to_json(&policy)["decision"],
            "{text}\n{e}"
        );
    }
    let _ = Path::new(&dir);
}

/// Found by the generator (an event float next to an int constant): an
/// event number reads as the nearest double, as JavaScript's `JSON.parse`
/// reads it, so `eval` and the compiled Action agree. Without serde_json's
/// `float_roundtrip`, `8999999999999999.0` read as `8999999999999998.0`.
#[test]
fn event_numbers_read_as_the_nearest_double() {
    for text in [
        "8999999999999999.0",
        "0.30000000000000004",
        "9007199254740991.0",
        "1.7976931348623157e308",
    ] {
        let e = eval::parse_event(&format!(r#"{{"x": {text}}}"#)).unwrap();
        assert_eq!(
            e["x"].as_f64(),
            Some(text.parse::<f64>().unwrap()),
            "{text}"
        );
    }
    let src = SourceFile::new(
        "f.mfapolicy",
        "require mfa when request.geoip.latitude == 8999999999999999\n",
    );
    let policy = compile(&src, schema::auth0_post_login()).policy.unwrap();
    let e =
        eval::parse_event(r#"{"request": {"geoip": {"latitude": 8999999999999999.0}}}"#).unwrap();
    assert_eq!(
        eval::evaluate(&policy, &e, 0).kind,
        eval::DecisionKind::RequireMfa
    );
}

/// The constant x value table is what the checker accepts, both ways: every
/// cell the table calls valid is accepted in some comparison (so the
/// generator makes only policies that check), and every pair the checker
/// accepts is a cell of the table (so the coverage check sees it). A
/// timestamp literal beside a string is a string constant, and is left out.
#[test]
fn the_constant_value_table_is_what_the_checker_accepts() {
    use common::gen::cov::{valid_pair, ConstKind as C, ValueKind as V};
    let mut g = Gen::new(7);
    let mut wrong = Vec::new();
    for ck in C::ALL {
        for vk in V::ALL {
            let probes = g.cell_probes(*ck, *vk);
            let accepted: Vec<&String> = probes
                .iter()
                .filter(|p| {
                    let c = compile(
                        &SourceFile::new("p.mfapolicy", p.as_str()),
                        schema::auth0_post_login(),
                    );
                    c.diagnostics.iter().all(|d| d.is_warning())
                })
                .collect();
            let is_text =
                matches!(ck, C::Ts | C::TsEdge) && !matches!(vk, V::FTs | V::DTs | V::Dyn);
            if valid_pair(*ck, *vk) && accepted.is_empty() {
                wrong.push(format!(
                    "{ck:?} x {vk:?}: valid, but the checker accepts none of\n{}",
                    probes.join("")
                ));
            }
            if !valid_pair(*ck, *vk) && !accepted.is_empty() && !is_text {
                wrong.push(format!(
                    "{ck:?} x {vk:?}: not a cell, but the checker accepts\n{}",
                    accepted[0]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}\n{}", wrong.len(), wrong.join("\n"));
}

/// How fast the generator is (run in release: `cargo test --release --test
/// generator throughput -- --ignored --nocapture`): policies generated and
/// checked per minute, events generated per minute.
#[test]
#[ignore = "a measurement, not a check"]
fn throughput() {
    let mut g = Gen::new(11);
    let start = std::time::Instant::now();
    let texts: Vec<String> = (0..5000).map(|_| g.policy()).collect();
    let generated = start.elapsed();
    let policies: Vec<Policy> = texts
        .iter()
        .map(|t| checked(t, "a generated policy"))
        .collect();
    let checked_in = start.elapsed() - generated;
    let plans: Vec<Plan> = policies.iter().map(Plan::new).collect();
    let start = std::time::Instant::now();
    let mut n = 0usize;
    for plan in &plans {
        g.now();
        for _ in 0..400 {
            std::hint::black_box(g.event_with(plan));
            n += 1;
        }
    }
    let events = start.elapsed();
    eprintln!(
        "5000 policies generated in {generated:?} ({:.0}/min), checked in {checked_in:?}; {n} events in {events:?} ({:.1} million/min)",
        5000.0 / generated.as_secs_f64() * 60.0,
        n as f64 / events.as_secs_f64() * 60.0 / 1e6
    );
}

#[test]
#[ignore = "prints samples"]
fn samples() {
    let mut g = Gen::new(99);
    for _ in 0..3 {
        let text = g.policy();
        println!("{text}");
        let p = checked(&text, "x");
        let plan = Plan::new(&p);
        for _ in 0..3 {
            g.now();
            println!("  {}", g.event_with(&plan));
        }
        let (m, k) = g.mutate(&text);
        println!("-- {k:?}\n{m}");
    }
}
