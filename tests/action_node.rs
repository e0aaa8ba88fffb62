//! Differential test of `mfapol compile --target auth0-action` (SPEC §10):
//! every shipped policy, every test-case policy and the policies under
//! `tests/action/` are compiled, run in Node.js with a recording `api` on
//! generated events (one `node` process per policy and time zone), and each
//! recorded call list is compared with the interpreter's decision on the
//! same event text. Runs under `TZ=UTC` and `TZ=America/New_York`.
//!
//! `MFAPOL_ACTION_EVENTS=N` sets the generated events per policy (default
//! 400; the release-mode run in docs/deploy.md used more).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::gen::{Gen, Options, Plan};
use mfapol::ir::{Challenge, Effect, Expr, ExprKind as K, Policy, Root, Step};
use mfapol::source::SourceFile;
use mfapol::{action, eval, schema};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// 2024-06-24T12:00:00Z, the `now` of both sides.
const NOW: i64 = 1_719_230_400_000;

fn require_node() {
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "these tests run the compiled Action in Node.js, and `node` is not on PATH: \
         install Node.js 18 or later (https://nodejs.org, or `apt-get install nodejs`)"
    );
}

fn load(path: &Path) -> (Policy, SourceFile) {
    let text = std::fs::read_to_string(path).unwrap();
    let src = SourceFile::new(path.display().to_string().as_str(), text);
    let compiled =
        mfapol::compile_with(&src, schema::auth0_post_login(), &mut common::read_include);
    let policy = compiled
        .policy
        .unwrap_or_else(|| panic!("{} does not check", path.display()));
    (policy, src)
}

fn policies() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/cases", "tests/action"] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "mfapolicy") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

// ---- events ----

/// A small deterministic generator (xorshift64*), so failures replay.
use common::Rng;

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Hostile and ordinary values: addresses at the edges, mapped and
/// compatible IPv6, timestamps in every form the parsers disagree on,
/// integers beyond 2^53, unicode, metadata keys of `Object.prototype`.
fn pool() -> Vec<Value> {
    let mut v: Vec<Value> = vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(""),
        json!("true"),
        json!("corp-ad"),
        json!("google-oauth2"),
        json!("acme-internal"),
        json!("EU"),
        json!("NA"),
        json!("KP"),
        json!("admin"),
        json!("administrator"),
        json!("adm"),
        json!("free"),
        json!("gold"),
        json!("vip"),
        json!("ops"),
        json!("OPS"),
        json!("eng-team"),
        json!("mfa"),
        json!("pwd"),
        json!("x"),
        json!("a"),
        json!("b"),
        json!("a,b"),
        json!(" a ,b,,"),
        json!(","),
        json!("\u{feff}a\u{a0}"),
        json!("\u{85}a"),
        json!("toString"),
        json!("constructor"),
        json!("__proto__"),
        json!("jane@corp.example"),
        json!("Jane@corp.example"),
        json!("j.doe@staff.example"),
        json!("a@customer.example"),
        json!("b@example.com"),
        json!("ΣΊΣΥΦΟΣ@EXAMPLE.COM"),
        json!("İstanbul"),
        json!("😀😀😀"),
        json!("e\u{301}e\u{301}e\u{301}"),
        json!("line\nbreak@corp.example"),
        json!("203.0.113.5"),
        json!("203.0.113.0"),
        json!("203.0.113.255"),
        json!("203.0.114.0"),
        json!("203.0.112.255"),
        json!("192.0.2.1"),
        json!("192.0.2.2"),
        json!("198.51.100.7"),
        json!("::ffff:203.0.113.5"),
        json!("::ffff:cb00:7105"),
        json!("::FFFF:198.51.100.9"),
        json!("::203.0.113.5"),
        json!("2001:db8:10::1"),
        json!("2001:DB8:10:FFFF:FFFF:FFFF:FFFF:FFFF"),
        json!("2001:db8:11::1"),
        json!("1:2:3:4:5:6:7::"),
        json!("::"),
        json!("::1"),
        json!("203.0.113.05"),
        json!(" 203.0.113.5 "),
        json!("203.0.113.5\u{a0}"),
        json!("\u{feff}203.0.113.5"),
        json!("fe80::1%eth0"),
        json!("not-an-ip"),
        json!("10.0.0.0/8"),
        json!("203.0.113.0/24"),
        json!("203.0.113.7/24"),
        json!("010.0.0.0/8"),
        json!("::ffff:203.0.113.0/120"),
        json!("2024-06-24T11:40:25.299Z"),
        json!("2018-11-13T20:20:39+00:00"),
        json!("2024-06-24T11:40:25"),
        json!("2024-06-24 11:40:25"),
        json!("2024-06-24"),
        json!("2024-02-30T00:00:00Z"),
        json!("2016-12-31T23:59:60.5Z"),
        json!("2024-06-24T11:40:25.123456789123Z"),
        json!("2024-06-24T11:40:25+24:00"),
        json!("2024-06-24T11:40:25+23:59"),
        json!("2024-06-24T11:40:25\u{2212}05:00"),
        json!("2024-06-24t11:40:25z"),
        json!("+2024-06-24T11:40:25"),
        json!("2024-6-4T1:2:3"),
        json!("2024-06-24T 11:40:25"),
        json!("0000-01-01T00:00:00Z"),
        json!("June 24, 2024"),
        json!(0),
        json!(1),
        json!(-1),
        json!(2),
        json!(3),
        json!(3.0),
        json!(2.5),
        json!(0.5),
        json!(62),
        json!(-0.0),
        json!(1e300),
        json!(9.1e15),
        json!(86400),
        json!(-86400.5),
        json!([]),
        json!(["admin"]),
        json!(["adm", "administrator"]),
        json!(["a", "b"]),
        json!(["vip", "x"]),
        json!([1, 2, 3]),
        json!([null]),
        json!(["203.0.113.0/24", "10.0.0.0/8"]),
        json!({}),
        json!({"a": 1}),
        json!({"name": "corp-ad"}),
        json!({"toString": "x", "constructor": 1}),
    ];
    for big in [
        "9007199254740992",
        "9007199254740993",
        "-9007199254740993",
        "9223372036854775807",
        "9223372036854775808",
        "12345678901234567890",
        "123456789012345678901234",
    ] {
        v.push(serde_json::from_str(big).unwrap());
    }
    for d in [
        -1,
        -11 * 3_600_000,
        -13 * 3_600_000,
        -29 * 86_400_000,
        -31 * 86_400_000,
        3_600_000,
    ] {
        v.push(json!(iso(NOW + d)));
    }
    v
}

/// JSON numbers as `JSON.stringify` prints them (what the Action is given):
/// an integral float below 1e21 is written as an integer.
fn normalize(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 1e21 {
                    *v = serde_json::from_str(&format!("{f}")).unwrap();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Object(m) => m.values_mut().for_each(normalize),
        _ => {}
    }
}

/// The event paths a policy reads, and for each list it quantifies over,
/// the paths its elements are read at.
#[derive(Default)]
struct Reads {
    paths: Vec<Vec<Step>>,
    elems: BTreeMap<String, (Vec<Step>, Vec<Vec<Step>>)>,
}

fn reads(policy: &Policy) -> Reads {
    let mut r = Reads::default();
    let mut slots: BTreeMap<u16, Vec<Step>> = BTreeMap::new();
    let mut stack: Vec<&Expr> = policy
        .rules
        .iter()
        .flat_map(|x| std::iter::once(&x.when).chain(x.unless.as_ref()))
        .chain(policy.lets.iter().map(|l| &l.value))
        .collect();
    while let Some(e) = stack.pop() {
        match &e.kind {
            K::Path(p) => match p.root {
                Root::Event => r.paths.push(p.steps.to_vec()),
                Root::Local(slot) => {
                    if let Some(list) = slots.get(&slot) {
                        let key = format!("{list:?}");
                        let entry = r
                            .elems
                            .entry(key)
                            .or_insert_with(|| (list.clone(), Vec::new()));
                        entry.1.push(p.steps.to_vec());
                    }
                }
            },
            K::Quant { slot, list, .. } => {
                if let K::Path(p) = &list.kind {
                    if p.root == Root::Event {
                        slots.insert(*slot, p.steps.to_vec());
                    }
                }
            }
            _ => {}
        }
        stack.extend(e.children());
    }
    // Quantifier bodies are visited after their lists were seen above only
    // when popped later; visit again so every element path is known.
    let mut stack: Vec<&Expr> = policy
        .rules
        .iter()
        .flat_map(|x| std::iter::once(&x.when).chain(x.unless.as_ref()))
        .chain(policy.lets.iter().map(|l| &l.value))
        .collect();
    while let Some(e) = stack.pop() {
        if let K::Path(p) = &e.kind {
            if let Root::Local(slot) = p.root {
                if let Some(list) = slots.get(&slot) {
                    let entry = r
                        .elems
                        .entry(format!("{list:?}"))
                        .or_insert_with(|| (list.clone(), Vec::new()));
                    if !entry.1.contains(&p.steps.to_vec()) {
                        entry.1.push(p.steps.to_vec());
                    }
                }
            }
        }
        stack.extend(e.children());
    }
    r
}

fn set(root: &mut Value, path: &[Step], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *root = value;
        return;
    };
    match first {
        Step::Key(k) => {
            if !root.is_object() {
                *root = json!({});
            }
            let m = root.as_object_mut().unwrap();
            let child = m.entry(k.to_string()).or_insert(Value::Null);
            if rest.is_empty() {
                *child = value;
            } else {
                set(child, rest, value);
            }
        }
        Step::Index(n) => {
            if !root.is_array() {
                *root = json!([]);
            }
            let a = root.as_array_mut().unwrap();
            while a.len() <= *n {
                a.push(json!({}));
            }
            set(&mut a[*n], rest, value);
        }
    }
}

fn remove(root: &mut Value, path: &[Step]) {
    match path {
        [Step::Key(k)] => {
            if let Some(m) = root.as_object_mut() {
                m.remove(k.as_ref());
            }
        }
        [Step::Key(k), rest @ ..] => {
            if let Some(child) = root.get_mut(k.as_ref()) {
                remove(child, rest);
            }
        }
        [Step::Index(n), rest @ ..] => {
            if let Some(child) = root.get_mut(*n) {
                remove(child, rest);
            }
        }
        [] => {}
    }
}

fn base_events() -> Vec<Value> {
    let mut out = vec![json!({})];
    for dir in ["policies/events", "tests/cases/events"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            out.push(serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap());
        }
    }
    out
}

/// Events for one policy: the bases, then bases with 1 to 4 of the paths
/// the policy reads (or a prefix of one) set to a pool value or removed.
fn events(policy: &Policy, n: usize, seed: u64) -> Vec<String> {
    let mut out: Vec<String> = bases().iter().map(|b| b.to_string()).collect();
    let mut rng = Rng(seed | 1);
    let more = n.saturating_sub(out.len());
    out.extend(pool_events(policy, more, &mut rng));
    out
}

/// The base events, read once.
fn bases() -> &'static [Value] {
    static BASES: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    BASES.get_or_init(base_events)
}

/// `n` events: bases with 1 to 4 of the paths the policy reads (or a
/// prefix of one) set to a pool value or removed.
fn pool_events(policy: &Policy, n: usize, rng: &mut Rng) -> Vec<String> {
    static POOL: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(pool);
    let bases = bases();
    let r = reads(policy);
    let mut out = Vec::with_capacity(n);
    let lists: Vec<&(Vec<Step>, Vec<Vec<Step>>)> = r.elems.values().collect();
    while out.len() < n {
        let mut ev = rng.pick(bases).clone();
        for _ in 0..=rng.below(4) {
            let choice = rng.below(10);
            if choice < 3 && !lists.is_empty() {
                // A list the policy quantifies over, with generated elements.
                let (list, fields) = rng.pick(&lists);
                let mut items = Vec::new();
                for _ in 0..rng.below(4) {
                    if rng.below(8) == 0 {
                        items.push(rng.pick(pool).clone());
                        continue;
                    }
                    let mut item = json!({});
                    for f in fields.iter() {
                        if f.is_empty() {
                            item = rng.pick(pool).clone();
                        } else if rng.below(5) != 0 {
                            set(&mut item, f, rng.pick(pool).clone());
                        }
                    }
                    items.push(item);
                }
                set(&mut ev, list, Value::Array(items));
            } else if !r.paths.is_empty() {
                let path = rng.pick(&r.paths);
                let len = if rng.below(6) == 0 {
                    1 + rng.below(path.len().max(1))
                } else {
                    path.len()
                };
                let prefix = &path[..len.min(path.len())];
                if rng.below(7) == 0 {
                    remove(&mut ev, prefix);
                } else {
                    set(&mut ev, prefix, rng.pick(pool).clone());
                }
            }
        }
        normalize(&mut ev);
        out.push(ev.to_string());
    }
    out
}

// ---- comparing ----

/// The calls the Action must make for the interpreter's decision.
fn expected_calls(policy: &Policy, event_text: &str) -> Value {
    expected_calls_at(policy, event_text, NOW)
}

/// [`expected_calls`] at another evaluation time.
fn expected_calls_at(policy: &Policy, event_text: &str, now: i64) -> Value {
    let event = eval::parse_event(event_text).unwrap();
    let d = eval::evaluate(policy, &event, now);
    match &d.effect {
        None => json!([]),
        Some(Effect::Deny { reason }) => json!([[
            "access.deny",
            [reason.as_deref().unwrap_or(action::DEFAULT_DENY_REASON)]
        ]]),
        Some(Effect::Skip | Effect::Exempt) => json!([["multifactor.enable", ["none"]]]),
        Some(Effect::Require(Challenge::Provider {
            provider,
            remember_browser,
        })) => json!([[
            "multifactor.enable",
            [provider.as_ref(), {"allowRememberBrowser": remember_browser}]
        ]]),
        Some(Effect::Require(c)) => Value::Array(
            c.steps()
                .iter()
                .map(|step| {
                    let objs: Vec<Value> = step
                        .factors
                        .iter()
                        .map(|f| json!({"type": f.as_ref()}))
                        .collect();
                    let verb = step.kind.as_str();
                    if objs.len() == 1 {
                        json!([format!("authentication.{verb}With"), [objs[0]]])
                    } else {
                        json!([format!("authentication.{verb}WithAny"), [objs]])
                    }
                })
                .collect(),
        ),
    }
}

/// Runs the code on the events in one node process; one result per event.
fn run_node(code: &str, events: &[String], tz: &str, tag: &str) -> Vec<Value> {
    let dir = std::env::temp_dir().join(format!("mfapol-action-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let code_path = dir.join("code.js");
    let events_path = dir.join("events.ndjson");
    std::fs::write(&code_path, code).unwrap();
    std::fs::write(&events_path, events.join("\n") + "\n").unwrap();
    let out = Command::new("node")
        .arg("tests/action/runner.js")
        .arg(&code_path)
        .arg(&events_path)
        .arg(NOW.to_string())
        .env("TZ", tz)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The events on which the Action's calls differ from the interpreter's
/// decision (or the Action logged, which only its failure handler does).
fn differences(policy: &Policy, code: &str, events: &[String], tz: &str, tag: &str) -> Vec<String> {
    let got = run_node(code, events, tz, tag);
    assert_eq!(got.len(), events.len(), "one result per event");
    let mut diffs = Vec::new();
    for (ev, g) in events.iter().zip(&got) {
        let want = expected_calls(policy, ev);
        let logs = g["logs"].as_array().map_or(0, Vec::len);
        if g["calls"] != want || logs != 0 {
            diffs.push(format!(
                "TZ={tz}\n  event: {ev}\n  interpreter: {want}\n  action: {g}"
            ));
        }
    }
    diffs
}

fn per_policy() -> usize {
    std::env::var("MFAPOL_ACTION_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400)
}

#[test]
fn every_policy_decides_as_the_interpreter_in_node() {
    require_node();
    let n = per_policy();
    let mut whole = Vec::new();
    let mut alone = Vec::new();
    for (i, path) in policies().iter().enumerate() {
        let (policy, src) = load(path);
        let evs = events(&policy, n, 0x9e37_79b9_7f4a_7c15 ^ i as u64);
        // Each rule alone, with no default: its calls show exactly when it
        // applies, which the whole policy's strongest-first decision hides.
        if policy.rules.len() > 1 {
            for (j, rule) in policy.rules.iter().enumerate() {
                let mut one = policy.clone();
                one.rules = vec![rule.clone()];
                one.default = None;
                let evs = events(&one, n / 3, 0x51_7cc1_b727_220a ^ (i * 1000 + j) as u64);
                let name = format!("{} rule {}", path.display(), rule.name);
                alone.push(Case::new(name, one, &src, evs));
            }
        }
        whole.push(Case::new(path.display().to_string(), policy, &src, evs));
    }
    // Whole policies under both time zones, rules alone under one each.
    let mut alone_utc = Vec::new();
    let mut alone_ny = Vec::new();
    for (j, c) in alone.into_iter().enumerate() {
        if j % 2 == 0 {
            alone_utc.push(c);
        } else {
            alone_ny.push(c);
        }
    }
    let mut total = 0;
    let mut failures = Vec::new();
    for (cases, tz, tag) in [
        (&whole, "UTC", "wu"),
        (&whole, "America/New_York", "wn"),
        (&alone_utc, "UTC", "au"),
        (&alone_ny, "America/New_York", "an"),
    ] {
        let (t, d) = batch_differences(cases, tz, tag);
        total += t;
        failures.extend(d);
    }
    eprintln!("compared {total} events over {} policies", policies().len());
    assert!(total > 0);
    assert_no_differences(&failures);
}

/// The lead's repro of a `let` holding a quantifier used in another
/// quantifier's body: lexical scope, so `require_mfa` (the interpreter
/// once decided `none` here, an interpreter bug fixed since).
#[test]
fn a_let_quantifier_inside_a_quantifier_is_lexically_scoped() {
    require_node();
    let (policy, src) = load(Path::new("tests/action/let-scope.mfapolicy"));
    let code = action::compile(
        &policy,
        action::Target {
            source_name: &src.name,
            source_text: &src.text,
        },
    )
    .unwrap();
    let ev =
        r#"{"authorization":{"roles":["admin"]},"authentication":{"methods":[{"name":"mfa"}]}}"#;
    let got = run_node(&code, &[ev.to_string()], "UTC", "scope");
    assert_eq!(
        got[0]["calls"],
        json!([["multifactor.enable", ["any", {"allowRememberBrowser": false}]]])
    );
    assert_eq!(expected_calls(&policy, ev), got[0]["calls"]);
}

/// Issue 19's reproduction: a `let` bound to `split(...)` or `trim(...)`
/// was typed as a boolean by the compiler, so the Action challenged push on
/// logins the interpreter denied or decided otherwise.
#[test]
fn a_let_bound_to_split_or_trim_keeps_its_value() {
    require_node();
    let cases = [
        (
            "let parts = split(user.email, \"@\")\nrule r: deny \"blocked\" when \"blocked\" in parts\n",
            vec![
                r#"{"user":{"email":"blocked@x"}}"#,
                r#"{"user":{"email":"jane@blocked"}}"#,
                r#"{"user":{"email":"jane@x"}}"#,
                r#"{}"#,
            ],
        ),
        (
            "let wanted = split(organization.metadata.factors, \",\")\n\
             rule push: require mfa using factors [\"push-notification\"] when \"push\" in wanted\n\
             rule otp: require mfa using factors [\"otp\"] when \"otp\" in wanted\n",
            vec![
                r#"{"organization":{"metadata":{"factors":"push,otp"}}}"#,
                r#"{"organization":{"metadata":{"factors":"otp"}}}"#,
                r#"{"organization":{"metadata":{"factors":""}}}"#,
                r#"{"organization":{"metadata":{}}}"#,
            ],
        ),
        (
            "let t = trim(user.user_metadata.tier)\nrule r: require mfa when t == \"gold\"\ndefault skip mfa\n",
            vec![
                r#"{"user":{"user_metadata":{"tier":" gold "}}}"#,
                r#"{"user":{"user_metadata":{"tier":"silver"}}}"#,
                r#"{"user":{"user_metadata":{"tier":3}}}"#,
                r#"{}"#,
            ],
        ),
    ];
    for (i, (text, evs)) in cases.iter().enumerate() {
        decides_as_eval(&format!("split{i}"), text, evs);
    }
}

/// Fails with the count and the first ten differences, if there are any.
fn assert_no_differences(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} differences, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

/// Compiles `text` to an Action and asserts it decides every event as
/// `eval` does (UTC).
fn decides_as_eval(name: &str, text: &str, evs: &[&str]) {
    let src = SourceFile::new(format!("{name}.mfapolicy"), text);
    let policy = mfapol::compile(&src, schema::auth0_post_login())
        .policy
        .unwrap_or_else(|| panic!("does not check:\n{text}"));
    let code = action::compile(
        &policy,
        action::Target {
            source_name: &src.name,
            source_text: &src.text,
        },
    )
    .unwrap();
    let evs: Vec<String> = evs.iter().map(|e| e.to_string()).collect();
    let d = differences(&policy, &code, &evs, "UTC", name);
    assert!(d.is_empty(), "{text}\n{}", d.join("\n"));
}

/// Found by the shared generator's constants compared with undeclared
/// metadata: a constant list mixing addresses and ranges is typed
/// `list<cidr>`, but its addresses stay addresses (eval compares the text
/// `"10.0.0.1"` equal to `10.0.0.1`). The Action read them as ranges, so a
/// deny on such an element skipped MFA instead.
#[test]
fn addresses_in_a_list_of_ranges_stay_addresses() {
    require_node();
    let text = "default skip mfa\n\
                rule q: deny when any n in [10.0.0.1, 10.0.0.0/8]: n == connection.metadata.k\n\
                rule l: require mfa when connection.metadata.l != [198.51.100.7, 203.0.113.0/24, 2001:db8::/32]\n\
                rule m: require mfa using factors [\"otp\"] when request.ip in [10.0.0.1, 192.168.0.0/16] and connection.metadata.m in [10.0.0.1, 192.168.0.0/16]\n";
    let evs = [
        r#"{"connection":{"metadata":{"k":"10.0.0.1","l":[]}}}"#,
        r#"{"connection":{"metadata":{"k":"10.0.0.0/8","l":[]}}}"#,
        r#"{"connection":{"metadata":{"k":"10.0.0.1/32","l":[]}}}"#,
        r#"{"connection":{"metadata":{"k":"::ffff:10.0.0.1","l":[]}}}"#,
        r#"{"connection":{"metadata":{"l":["198.51.100.7","203.0.113.0/24","2001:db8::/32"]}}}"#,
        r#"{"connection":{"metadata":{"l":["198.51.100.7/32","203.0.113.0/24","2001:db8::/32"]}}}"#,
        r#"{"connection":{"metadata":{"l":["198.51.100.7","203.0.113.0/24","2001:db8::/32"],"m":"10.0.0.1"},"request":{"ip":"10.0.0.1"}}}"#,
        r#"{"connection":{"metadata":{"l":["198.51.100.7","203.0.113.0/24","2001:db8::/32"],"m":"192.168.4.4"},"request":{"ip":"192.168.1.1"}}}"#,
        r#"{"connection":{"metadata":{"l":["198.51.100.7","203.0.113.0/24","2001:db8::/32"],"m":"10.0.0.2"},"request":{"ip":"10.0.0.2"}}}"#,
    ];
    decides_as_eval("mixed-addresses", text, &evs);
}

/// Negative controls: a planted difference in the emitted code, and one in
/// the run-time helpers (timestamps read by `Date.parse`, which uses local
/// time), are each caught by the same comparison.
#[test]
fn the_harness_catches_a_planted_difference() {
    require_node();
    let path = Path::new("tests/action/typed.mfapolicy");
    let (policy, src) = load(path);
    let code = action::compile(
        &policy,
        action::Target {
            source_name: &src.name,
            source_text: &src.text,
        },
    )
    .unwrap();
    let evs = events(&policy, 400, 7);
    assert!(differences(&policy, &code, &evs, "America/New_York", "ok").is_empty());

    let at = code.find("// ---- rules'").unwrap();
    let flipped = format!(
        "{}{}",
        &code[..at],
        code[at..].replacen("$innet(", "!$innet(", 1)
    );
    assert_ne!(flipped, code);
    let d = differences(&policy, &flipped, &evs, "UTC", "flip");
    assert!(!d.is_empty(), "an inverted address check went unnoticed");

    let mut since = policy.clone();
    since.rules.retain(|r| r.name.as_ref() == "r_since");
    since.default = None;
    let since_code = action::compile(
        &since,
        action::Target {
            source_name: &src.name,
            source_text: &src.text,
        },
    )
    .unwrap();
    let since_evs = events(&since, 400, 11);
    assert!(differences(&since, &since_code, &since_evs, "America/New_York", "ok2").is_empty());
    let local_time = since_code.replacen(
        "function $parseTime(s) {",
        "function $parseTime(s) {\n  const p = Date.parse(s);\n  if (!Number.isNaN(p)) return p;",
        1,
    );
    let d = differences(&since, &local_time, &since_evs, "America/New_York", "date");
    assert!(
        !d.is_empty(),
        "timestamps read by Date.parse went unnoticed"
    );
}

/// Every key the policy's paths read, for the hostile event forms.
fn keys_read(policy: &Policy) -> Vec<String> {
    let mut keys = std::collections::BTreeSet::new();
    let mut stack: Vec<&Expr> = policy
        .rules
        .iter()
        .flat_map(|x| std::iter::once(&x.when).chain(x.unless.as_ref()))
        .chain(policy.lets.iter().map(|l| &l.value))
        .collect();
    while let Some(e) = stack.pop() {
        if let K::Path(p) = &e.kind {
            for s in p.steps.iter() {
                if let Step::Key(k) = s {
                    keys.insert(k.to_string());
                }
            }
        }
        stack.extend(e.children());
    }
    keys.into_iter().collect()
}

/// Hostile events decide as the interpreter decides on their JSON text:
/// every object inheriting every key the policy reads from a prototype of
/// its own, null-prototype objects, forwarding proxies, and
/// `Object.prototype` polluted with every such key (as data and as
/// getters, which must never run). One node process per form.
#[test]
fn hostile_events_decide_as_the_interpreter_in_node() {
    require_node();
    let n = (per_policy() / 4).max(40);
    let mut cases = Vec::new();
    for (i, path) in policies().iter().enumerate() {
        let (policy, src) = load(path);
        let evs = events(&policy, n, 0x0bad_5eed ^ i as u64);
        cases.push(Case::new(path.display().to_string(), policy, &src, evs));
    }
    let mut failures = Vec::new();
    let mut total = 0usize;
    for mode in ["inherit", "nullproto", "proxy", "pollute"] {
        let (t, d) = batch_differences_with(&cases, "UTC", &format!("h{mode}"), Some(mode));
        total += t;
        failures.extend(d);
    }
    eprintln!("compared {total} hostile events");
    assert_no_differences(&failures);
}

// ---- generated policies ----

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// One generated policy to compare: its text, checked form, Action code,
/// evaluation time and events.
struct Case {
    /// The policy's text, or what names it (a file, a rule alone).
    text: String,
    policy: Policy,
    code: String,
    now: i64,
    events: Vec<String>,
}

impl Case {
    /// A case at the fixed `NOW`, its Action compiled here.
    fn new(text: String, policy: Policy, source: &SourceFile, events: Vec<String>) -> Case {
        let code = action::compile(
            &policy,
            action::Target {
                source_name: &source.name,
                source_text: &source.text,
            },
        )
        .unwrap_or_else(|e| panic!("{text}: {e}"));
        Case {
            text,
            policy,
            code,
            now: NOW,
            events,
        }
    }
}

/// Runs many Actions in one node process (`runner.js --batch`) and returns
/// the differences with the interpreter, at most three per policy.
fn batch_differences(cases: &[Case], tz: &str, tag: &str) -> (usize, Vec<String>) {
    batch_differences_with(cases, tz, tag, None)
}

/// [`batch_differences`] with the events in a hostile form
/// (`tests/action/runner.js` MFAPOL_HOSTILE) around the keys each policy
/// reads.
fn batch_differences_with(
    cases: &[Case],
    tz: &str,
    tag: &str,
    hostile: Option<&str>,
) -> (usize, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("mfapol-action-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let code = dir.join(format!("c{i}.js"));
        let evs = dir.join(format!("e{i}.ndjson"));
        std::fs::write(&code, &c.code).unwrap();
        std::fs::write(&evs, c.events.join("\n") + "\n").unwrap();
        manifest
            .push(json!({"code": code, "events": evs, "now": c.now, "keys": keys_read(&c.policy)}));
    }
    let m = dir.join("manifest.json");
    std::fs::write(&m, serde_json::to_string(&manifest).unwrap()).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg("tests/action/runner.js")
        .arg("--batch")
        .arg(&m)
        .env("TZ", tz);
    if let Some(mode) = hostile {
        cmd.env("MFAPOL_HOSTILE", mode);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let total: usize = cases.iter().map(|c| c.events.len()).sum();
    assert_eq!(got.len(), total, "one result per event");
    let mut diffs = Vec::new();
    let mut at = 0;
    for c in cases {
        let mut mine = 0;
        for ev in &c.events {
            let g = &got[at];
            at += 1;
            let want = expected_calls_at(&c.policy, ev, c.now);
            let logs = g["logs"].as_array().map_or(0, Vec::len);
            if (g["calls"] != want || logs != 0) && mine < 3 {
                mine += 1;
                diffs.push(format!(
                    "TZ={tz} {} now={}\npolicy:\n{}\n  event: {ev}\n  interpreter: {want}\n  action: {g}",
                    hostile.unwrap_or(""),
                    c.now,
                    c.text
                ));
            }
        }
    }
    (total, diffs)
}

/// The shared generator's policies (`tests/common/gen.rs`, every expression
/// form in every position, every effect, factor-list lets, deny reasons),
/// each with a one-edit mutant of it, compiled and run in Node.js on the
/// generator's events (hostile ones included) and on events with boundary
/// values at the paths they read; every call list is compared with the
/// interpreter's decision. The generator's coverage table is printed, and
/// an empty cell fails the test.
///
/// `MFAPOL_ACTION_POLICIES=N` (default 600) and `MFAPOL_ACTION_GEN_EVENTS=N`
/// (events per policy and mutant, default 24; half the generator's, half
/// boundary values) scale it; `MFAPOL_ACTION_SEED` changes the seed.
#[test]
fn generated_policies_decide_as_the_interpreter_in_node() {
    require_node();
    let count = env("MFAPOL_ACTION_POLICIES", 600);
    let per = env("MFAPOL_ACTION_GEN_EVENTS", 24);
    let seed = env("MFAPOL_ACTION_SEED", 0x2545_f491) as u64;
    let mut g = Gen::with_options(
        seed,
        Options {
            action_safe: true,
            hostile: 150,
            ..Options::default()
        },
    );
    let mut failures = Vec::new();
    let mut total = 0usize;
    let mut batch: Vec<Case> = Vec::new();
    let mut batches = 0usize;
    let compile = |text: &str| -> Policy {
        let src = SourceFile::new("generated.mfapolicy", text);
        let compiled = mfapol::compile(&src, schema::auth0_post_login());
        compiled.policy.unwrap_or_else(|| {
            panic!(
                "a generated policy does not check (a generator bug):\n{text}\n{:?}",
                compiled.diagnostics
            )
        })
    };
    for i in 0..count {
        let text = g.policy();
        let (mutant, _) = g.mutate(&text);
        for (j, text) in [text, mutant].into_iter().enumerate() {
            let policy = compile(&text);
            let code = action::compile(
                &policy,
                action::Target {
                    source_name: "generated.mfapolicy",
                    source_text: &text,
                },
            )
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
            let now = g.now();
            let plan = Plan::new(&policy);
            let mut events: Vec<String> = (0..per.div_ceil(2))
                .map(|_| {
                    let mut e = g.event_with(&plan);
                    normalize(&mut e);
                    e.to_string()
                })
                .collect();
            let mut rng = Rng((seed ^ ((i as u64) << 1 | j as u64)) | 1);
            events.extend(pool_events(&policy, per / 2, &mut rng));
            batch.push(Case {
                text,
                policy,
                code,
                now,
                events,
            });
        }
        if batch.len() >= 200 || i + 1 == count {
            let tz = if batches % 2 == 0 {
                "UTC"
            } else {
                "America/New_York"
            };
            let (n, d) = batch_differences(&batch, tz, &format!("g{batches}"));
            total += n;
            failures.extend(d);
            batches += 1;
            batch.clear();
        }
    }
    eprintln!("{}", g.cov.table());
    eprintln!(
        "compared {total} events over {count} generated policies and their mutants: {} differences",
        failures.len()
    );
    assert_no_differences(&failures);
    let empty = g.cov.empty_cells(1);
    assert!(
        empty.is_empty(),
        "the generator never made these (generate more policies, or fix the generator):\n{}",
        empty.join("\n")
    );
}

/// Every compiled policy passes `node --check`.
#[test]
fn the_generated_code_passes_node_check() {
    require_node();
    let dir = std::env::temp_dir().join(format!("mfapol-action-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, path) in policies().iter().enumerate() {
        let (policy, src) = load(path);
        let code = action::compile(
            &policy,
            action::Target {
                source_name: &src.name,
                source_text: &src.text,
            },
        )
        .unwrap();
        let file = dir.join(format!("p{i}.js"));
        std::fs::write(&file, &code).unwrap();
        let out = Command::new("node")
            .arg("--check")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// When the generated code itself throws (here: an event whose getter
/// throws a TypeError), the outer handler makes one call, the strongest
/// effect of the policy, and logs one short line without event data.
#[test]
fn an_unexpected_throw_applies_the_strongest_effect_and_logs_one_line() {
    require_node();
    let cases = [
        (
            "rule a: skip mfa when connection == \"x\"\nrule b: require mfa using \"duo\" when connection == \"y\"\n",
            json!([["multifactor.enable", ["any", {"allowRememberBrowser": false}]]]),
        ),
        (
            "rule a: deny \"no\" when connection == \"z\"\nrule b: require mfa when email ends_with \"@secret.example\"\n",
            json!([["access.deny", ["policy evaluation failed"]]]),
        ),
    ];
    let dir = std::env::temp_dir().join(format!("mfapol-action-throw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (text, want)) in cases.iter().enumerate() {
        let src = SourceFile::new("throw.mfapolicy", *text);
        let policy = mfapol::compile(&src, schema::auth0_post_login())
            .policy
            .unwrap();
        let code = action::compile(
            &policy,
            action::Target {
                source_name: &src.name,
                source_text: &src.text,
            },
        )
        .unwrap();
        let file = dir.join(format!("t{i}.js"));
        std::fs::write(&file, &code).unwrap();
        let script = format!(
            r#"const a = require({file:?});
const calls = [];
const logs = [];
console.log = (...x) => logs.push(x.join(" "));
const api = {{
  access: {{ deny: (...x) => calls.push(["access.deny", x]) }},
  multifactor: {{ enable: (...x) => calls.push(["multifactor.enable", x]) }},
}};
const event = {{ user: {{ email: "jane@secret.example" }} }};
Object.defineProperty(event, "connection", {{ enumerable: true, get() {{ throw new TypeError("jane@secret.example"); }} }});
a.onExecutePostLogin(event, api).then(() => process.stdout.write(JSON.stringify({{ calls, logs }})));"#,
            file = file.display().to_string()
        );
        let out = Command::new("node")
            .arg("-e")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(&got["calls"], want, "{text}");
        let logs = got["logs"].as_array().unwrap();
        assert_eq!(logs.len(), 1, "{got}");
        let line = logs[0].as_str().unwrap();
        assert!(line.len() < 256, "{line}");
        assert!(
            line.contains("TypeError") && !line.contains("secret"),
            "{line}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
