//! Issue 7: hostile policies and events. Each class that crashed, hung or
//! decided weaker than the policy says, with the input that showed it.
//! Nothing here asserts a time: a regression shows up as a crash or a hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use mfapol::source::SourceFile;
use mfapol::{compile, eval, schema, PolicyError};
use serde_json::{json, Value};

fn diagnostics(policy: &str) -> Vec<PolicyError> {
    compile(
        &SourceFile::new("h.mfapolicy", policy),
        schema::auth0_post_login(),
    )
    .diagnostics
}

fn codes(policy: &str) -> Vec<String> {
    use miette::Diagnostic;
    diagnostics(policy)
        .iter()
        .filter_map(|d| d.code().map(|c| c.to_string()))
        .collect()
}

fn policy(text: &str) -> mfapol::ir::Policy {
    let c = compile(
        &SourceFile::new("h.mfapolicy", text),
        schema::auth0_post_login(),
    );
    c.policy
        .unwrap_or_else(|| panic!("{text}: {:?}", c.diagnostics))
}

const NOW: i64 = 1_750_000_000_000;

/// The decision, checked against the fast path, with the number of errors.
fn decide(text: &str, event: &Value) -> (String, usize) {
    let p = policy(text);
    let full = eval::evaluate(&p, event, NOW);
    let fast = eval::decide(&p, event, NOW);
    assert_eq!(full.kind, fast.kind, "{text}");
    let explained = eval::explain(&p, event, NOW);
    assert_eq!(explained.decision.kind, full.kind, "{text}");
    (full.kind.as_str().to_string(), full.errors.len())
}

#[test]
fn alternating_prefix_and_infix_operators_are_refused_not_overflowed() {
    for text in [
        format!("require mfa when {}\n", ["not true"; 5000].join(" == ")),
        format!(
            "require mfa when {} == \"x\"\n",
            ["any m in user.multifactor: m"; 5000].join(" == ")
        ),
        format!("require mfa when {}\n", ["not -1"; 5000].join(" < ")),
        format!(
            "require mfa when {}true{}\n",
            "(not true == ".repeat(100),
            ")".repeat(100)
        ),
    ] {
        assert_eq!(
            codes(&text),
            ["mfapol::nesting_too_deep"],
            "{}",
            &text[..80]
        );
    }
}

#[test]
fn nested_types_are_refused_not_overflowed() {
    let text = format!(
        "declare user.app_metadata.x: {}string{}\nrequire mfa when true\n",
        "list<".repeat(20_000),
        ">".repeat(20_000)
    );
    assert_eq!(codes(&text), ["mfapol::nesting_too_deep"]);
    // Within the bound a nested type is fine, and `<`/`>` in conditions do
    // not count as types.
    let ok = format!(
        "declare user.app_metadata.x: {}string{}\nrequire mfa when len(user.app_metadata.x) > 0 and stats.logins_count < 3 and stats.logins_count > 1\n",
        "list<".repeat(20),
        ">".repeat(20)
    );
    assert!(codes(&ok).is_empty(), "{:?}", codes(&ok));
}

#[test]
fn long_let_chains_are_bounded_both_ways() {
    let forwards = {
        let mut p = String::from("let a0 = ip in 10.0.0.0/8\n");
        for i in 1..3000 {
            p.push_str(&format!("let a{i} = not a{}\n", i - 1));
        }
        p + "require mfa when a2999\n"
    };
    let backwards = {
        let mut p = String::new();
        for i in 0..3000 {
            p.push_str(&format!("let a{i} = not a{}\n", i + 1));
        }
        p + "let a3000 = ip in 10.0.0.0/8\nrequire mfa when a0\n"
    };
    for text in [forwards, backwards] {
        assert!(codes(&text).contains(&"mfapol::let_chain_too_deep".to_string()));
    }
    // A loop of thousands of `let`s is one cycle error, found without recursion.
    let mut cycle = String::new();
    for i in 0..3000 {
        cycle.push_str(&format!("let a{i} = not a{}\n", (i + 1) % 3000));
    }
    cycle.push_str("require mfa when a0\n");
    let c = codes(&cycle);
    assert_eq!(c, ["mfapol::let_cycle"]);
    // A quantifier variable shadows a `let` of the same name: no cycle.
    assert!(
        codes("let m = any m in user.multifactor: m == \"duo\"\nrequire mfa when m\n").is_empty()
    );
}

#[test]
fn a_let_chain_that_checks_runs_on_batch_worker_threads() {
    let mut p = String::from("let a0 = ip in 10.0.0.0/8\n");
    for i in 1..=80 {
        p.push_str(&format!("let a{i} = not (not a{})\n", i - 1));
    }
    p.push_str("rule deep: require mfa when a80\ndefault skip mfa\n");
    let dir = tempdir();
    std::fs::write(dir.join("p.mfapolicy"), &p).unwrap();
    let mut lines = String::new();
    for i in 0..200 {
        lines.push_str(&format!(
            "{{\"request\": {{\"ip\": \"10.0.0.{}\"}}}}\n",
            i % 250
        ));
        lines.push_str("{\"request\": {\"ip\": \"192.0.2.1\"}}\n");
    }
    std::fs::write(dir.join("e.ndjson"), lines).unwrap();
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .current_dir(&dir)
        .args(["eval", "p.mfapolicy", "e.ndjson", "--jobs", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("require_mfa").count(), 200, "{text}");
    assert_eq!(text.matches("skip_mfa").count(), 200);
}

#[test]
fn lets_are_evaluated_once_so_fan_out_is_linear() {
    // Each `let` uses the previous one twice: 2^40 evaluations if expanded.
    let mut p = String::from("let a0 = ip in 10.0.0.0/8\n");
    for i in 1..=40 {
        p.push_str(&format!("let a{i} = a{} and a{}\n", i - 1, i - 1));
    }
    p.push_str("rule fan: require mfa when a40\ndefault skip mfa\n");
    assert_eq!(
        decide(&p, &json!({"request": {"ip": "10.1.2.3"}})).0,
        "require_mfa"
    );
    assert_eq!(
        decide(&p, &json!({"request": {"ip": "192.0.2.1"}})).0,
        "skip_mfa"
    );
}

#[test]
fn long_and_chains_parse() {
    let text = format!(
        "require mfa when {}\n",
        ["email == \"a@example.com\""; 20_000].join(" and ")
    );
    assert!(codes(&text).is_empty());
}

#[test]
fn duration_arithmetic_never_wraps_or_clamps() {
    // A literal whose milliseconds do not fit is an error, not a clamped value.
    assert_eq!(
        codes("require mfa when now - (-9223372036854775807s) > now\n"),
        ["mfapol::number_out_of_range"]
    );
    // In range as a literal, out of range once added to `now`: a run-time
    // error, so the skip rule does not apply.
    let skip = "skip mfa when now - (-9223372036854775s) > now\ndefault require mfa\n";
    assert_eq!(decide(skip, &json!({})), ("require_mfa".into(), 1));
    // A declared duration from the event far out of range is a misfit.
    let grace = "declare user.app_metadata.grace: duration\n\
                 skip mfa when now - user.app_metadata.grace > now\n\
                 default require mfa\n";
    for g in [json!(-1e18), json!(1e300), json!(-9.3e15)] {
        let e = json!({"user": {"app_metadata": {"grace": g}}});
        assert_eq!(decide(grace, &e), ("require_mfa".into(), 1), "{g}");
    }
    // An ordinary grace period still works.
    let e = json!({"user": {"app_metadata": {"grace": -60}}});
    assert_eq!(decide(grace, &e), ("skip_mfa".into(), 0));
}

#[test]
fn the_cost_bound_cannot_wrap() {
    // Ten nested quantifiers saturate the bound; an `unless` must not wrap it.
    let mut cond = String::from("a0.name == \"x\"");
    for i in (0..10).rev() {
        cond = format!("any a{i} in authentication.methods: {cond}");
    }
    let text = format!("require mfa when {cond} unless ip in 10.0.0.0/8\n");
    assert_eq!(codes(&text), ["mfapol::policy_too_large"]);
}

#[test]
fn one_cidr_matcher_for_literals_and_event_lists() {
    let text = "declare user.app_metadata.nets: list<cidr>\n\
                rule lit: require mfa when ip in [::ffff:10.0.0.0/104]\n\
                rule list: deny when ip in user.app_metadata.nets\n";
    let p = policy(text);
    for (ip, want) in [
        ("10.1.1.1", true),
        ("::ffff:10.1.1.1", true),
        ("11.1.1.1", false),
    ] {
        let e = json!({"request": {"ip": ip}, "user": {"app_metadata": {"nets": ["::ffff:10.0.0.0/104"]}}});
        let d = eval::evaluate(&p, &e, NOW);
        assert_eq!(d.applied.len(), if want { 2 } else { 0 }, "{ip}: {d:?}");
    }
}

#[test]
fn a_declared_path_through_a_non_object_is_an_error() {
    let text = "declare user.app_metadata.tier.level: int\n\
                skip mfa when user.app_metadata.tier.level > 2\n\
                default require mfa\n";
    for tier in [json!("gold"), json!(3), json!([1])] {
        let e = json!({"user": {"app_metadata": {"tier": tier}}});
        assert_eq!(decide(text, &e), ("require_mfa".into(), 1), "{tier}");
    }
    // Absent or null on the way is just absent.
    for e in [json!({}), json!({"user": {"app_metadata": {"tier": null}}})] {
        assert_eq!(decide(text, &e), ("require_mfa".into(), 0), "{e}");
    }
    let e = json!({"user": {"app_metadata": {"tier": {"level": 3}}}});
    assert_eq!(decide(text, &e), ("skip_mfa".into(), 0));
}

#[test]
fn membership_raises_like_any_on_a_misfit_element() {
    let text = "declare user.app_metadata.roles: list<string>\n\
                rule member: skip mfa when \"customer\" in user.app_metadata.roles\n\
                default require mfa\n";
    let quant = "declare user.app_metadata.roles: list<string>\n\
                rule member: skip mfa when any r in user.app_metadata.roles: r == \"customer\"\n\
                default require mfa\n";
    for t in [text, quant] {
        let e = json!({"user": {"app_metadata": {"roles": [5, "customer"]}}});
        assert_eq!(decide(t, &e), ("require_mfa".into(), 1), "{t}");
        let e = json!({"user": {"app_metadata": {"roles": ["customer", 5]}}});
        assert_eq!(decide(t, &e).0, "skip_mfa", "{t}");
    }
}

#[test]
fn an_event_that_would_take_too_long_fails_closed() {
    let text = "rule pair: skip mfa when any a in authentication.methods: any b in authentication.methods: a.name == b.name and a.timestamp != b.timestamp\n\
                default require mfa\n";
    let methods: Vec<Value> = (0..3000)
        .map(|i| json!({"name": "pwd", "timestamp": "2025-01-01T00:00:00Z", "i": i}))
        .collect();
    let e = json!({"authentication": {"methods": methods}});
    let (kind, errors) = decide(text, &e);
    assert_eq!(kind, "require_mfa");
    assert_eq!(errors, 1);
    // The same rule on a normal event decides normally.
    let e = json!({"authentication": {"methods": [
        {"name": "pwd", "timestamp": "2025-01-01T00:00:00Z"},
        {"name": "pwd", "timestamp": "2025-01-02T00:00:00Z"}]}});
    assert_eq!(decide(text, &e), ("skip_mfa".into(), 0));
}

fn tempdir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mfapol-hostile-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
