//! mfapol beside Cedar, Rego (regorus) and CEL on one reference MFA policy.
//!
//! 1. Loads the reference policy in every engine (`policies/`).
//! 2. Generates variants of the fixture events (`events/`) that flip every
//!    input the policy reads, and checks that every engine, on both its
//!    native-input and raw-JSON paths, agrees with mfapol on every variant.
//!    Any disagreement is printed and the run exits 1 before timing.
//! 3. Times (a) decision only with the input already in each engine's native
//!    form, (b) raw JSON text -> decision, (c) policy load, all in one run,
//!    sampling the rows round-robin so that load from other processes hits
//!    every row alike; prints medians with min-max and the ratio to mfapol.
//!
//! Usage: `mfapol-peers [--samples N] [--sample-ms MS] [--check-only] [--policies DIR] [--only TEXT]`
//! (`--policies` reads the four policy files from DIR instead of `policies/`;
//! `--only TEXT` times only the rows whose name contains TEXT (or one of `A|B`) and skips the
//! agreement check: it is for profiling, e.g. under `perf record`).

mod count;
mod engines;
mod variants;

use engines::Sources;
use serde_json::Value;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn read(dir: &Path, name: &str) -> String {
    let p = dir.join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

struct Args {
    samples: usize,
    sample_ms: u64,
    check_only: bool,
    policies: Option<PathBuf>,
    only: Option<String>,
    count: bool,
    passes: usize,
    write_ndjson: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        samples: 30,
        sample_ms: 20,
        check_only: false,
        policies: None,
        only: None,
        count: false,
        passes: 20,
        write_ndjson: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--samples" => a.samples = it.next().and_then(|s| s.parse().ok()).expect("--samples N"),
            "--sample-ms" => {
                a.sample_ms = it.next().and_then(|s| s.parse().ok()).expect("--sample-ms MS")
            }
            "--check-only" => a.check_only = true,
            "--count" => a.count = true,
            "--passes" => a.passes = it.next().and_then(|s| s.parse().ok()).expect("--passes N"),
            "--write-ndjson" => a.write_ndjson = Some(it.next().map(PathBuf::from).expect("--write-ndjson FILE")),
            "--only" => a.only = Some(it.next().expect("--only TEXT")),
            "--policies" => a.policies = Some(it.next().map(PathBuf::from).expect("--policies DIR")),
            "-h" | "--help" => {
                println!("usage: mfapol-peers [--samples N] [--sample-ms MS] [--check-only] [--policies DIR] [--only TEXT] [--count [--passes N]] [--write-ndjson FILE]");
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown argument {other}\nusage: peers [--samples N] [--sample-ms MS] [--check-only] [--policies DIR] [--only TEXT]");
                std::process::exit(2);
            }
        }
    }
    a
}

/// Whether serde_json was built with `preserve_order` (it keeps insertion
/// order instead of sorting object keys).
fn preserve_order() -> bool {
    let v: Value = serde_json::from_str(r#"{"b":1,"a":2}"#).expect("json");
    v.to_string().starts_with(r#"{"b""#)
}

// ------------------------------------------------------------------ agreement

struct Tally {
    name: &'static str,
    checked: usize,
    disagreements: Vec<String>,
}

fn agree(tallies: &mut Vec<Tally>, name: &'static str, label: &str, expected: bool, got: bool) {
    let t = match tallies.iter_mut().position(|t| t.name == name) {
        Some(i) => &mut tallies[i],
        None => {
            tallies.push(Tally { name, checked: 0, disagreements: Vec::new() });
            tallies.last_mut().expect("pushed")
        }
    };
    t.checked += 1;
    if expected != got {
        t.disagreements.push(format!("{label}: mfapol require={expected}, {name} require={got}"));
    }
}

fn check_agreement(src: &Sources, vs: &[variants::Variant]) -> bool {
    let policy = engines::mfa::load(&src.mfapol);
    let projection = mfapol::eval::Projection::new(&policy);
    #[cfg(feature = "cedar")]
    let cedar = engines::cedar::Cedar::new(&src.cedar);
    #[cfg(feature = "regorus")]
    let (mut engine, mut vm) = (
        engines::rego::load_engine(&src.rego),
        engines::rego::vm(&engines::rego::load_program(&src.rego)),
    );
    #[cfg(feature = "cel")]
    let (cel010, cel015) = (engines::cel010::load(&src.cel), engines::cel015::load(&src.cel));

    let mut tallies = Vec::new();
    let mut required = 0;
    #[cfg(feature = "cedar")]
    let mut cedar_errors = 0usize;
    #[cfg_attr(not(feature = "cel"), allow(unused_mut))]
    let mut cel_errors = [0usize; 2];
    for v in vs {
        let expected = engines::mfa::decide(&policy, &v.json);
        required += usize::from(expected);
        let l = &v.label;
        let t = &mut tallies;
        agree(t, "mfapol (raw JSON)", l, expected, engines::mfa::decide_raw(&policy, &v.text));
        agree(t, "mfapol decide", l, expected, engines::mfa::fast(&policy, &v.json));
        agree(t, "mfapol (Projection + evaluate)", l, expected, engines::mfa::projected_raw(&policy, &projection, &v.text));
        agree(t, "mfapol (Projection + decide)", l, expected, engines::mfa::projected_fast_raw(&policy, &projection, &v.text));
        agree(t, "hand-written", l, expected, engines::hand_written(&v.json));
        agree(t, "hand-written (raw JSON)", l, expected, engines::hand_written_raw(&v.text));
        #[cfg(feature = "cedar")]
        {
            let req = cedar.request(&v.json);
            agree(t, "cedar", l, expected, cedar.decide(&req));
            cedar_errors += cedar.errors(&req);
            agree(t, "cedar (raw JSON)", l, expected, cedar.decide_raw(&v.text));
            agree(t, "cedar (raw JSON, projected context)", l, expected, cedar.decide_raw_projected(&v.text));
        }
        #[cfg(feature = "regorus")]
        {
            use engines::rego;
            let input = rego::input(&v.text);
            agree(t, "regorus Engine", l, expected, rego::engine_decide(&mut engine, &input));
            agree(t, "regorus Engine (raw JSON)", l, expected, rego::engine_decide_raw(&mut engine, &v.text));
            agree(t, "regorus RVM", l, expected, rego::vm_decide(&mut vm, &input));
            agree(t, "regorus RVM (raw JSON)", l, expected, rego::vm_decide_raw(&mut vm, &v.text));
        }
        #[cfg(feature = "cel")]
        {
            use engines::{cel010 as c10, cel015 as c15};
            let cx = c10::context(&v.json);
            agree(t, "cel-interpreter 0.10", l, expected, c10::decide(&cel010, &cx));
            cel_errors[0] += usize::from(c10::failed(&cel010, &cx));
            agree(t, "cel-interpreter 0.10 (raw JSON)", l, expected, c10::decide_raw(&cel010, &v.text));
            let cx = c15::context(&v.json);
            agree(t, "cel 0.15", l, expected, c15::decide(&cel015, &cx));
            cel_errors[1] += usize::from(c15::failed(&cel015, &cx));
            agree(t, "cel 0.15 (raw JSON)", l, expected, c15::decide_raw(&cel015, &v.text));
        }
    }
    println!(
        "Agreement check: {} variants ({} require MFA, {} skip), every engine against mfapol:",
        vs.len(),
        required,
        vs.len() - required
    );
    #[cfg(feature = "cedar")]
    println!("  (cedar reported {cedar_errors} policy evaluation errors over all variants)");
    #[cfg(feature = "cel")]
    println!(
        "  (CEL evaluation errors over all variants: cel-interpreter 0.10 {}, cel 0.15 {})",
        cel_errors[0], cel_errors[1]
    );
    let mut ok = true;
    for t in &tallies {
        let status = if t.disagreements.is_empty() { "agrees".to_string() } else { format!("{} DISAGREEMENTS", t.disagreements.len()) };
        println!("  {:<38} {:>5} checked, {status}", t.name, t.checked);
        for d in t.disagreements.iter().take(10) {
            println!("      {d}");
        }
        ok &= t.disagreements.is_empty();
    }
    ok
}

// ------------------------------------------------------------------ timing

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Decision,
    Raw,
    Load,
}

pub(crate) struct Row {
    group: Group,
    pub(crate) name: &'static str,
    /// Runs one pass; returns a value to keep the work alive.
    pub(crate) pass: Box<dyn FnMut() -> usize>,
    /// Operations per pass.
    pub(crate) ops: usize,
    passes_per_sample: u64,
    /// Nanoseconds per operation, one per sample.
    samples: Vec<f64>,
}

pub(crate) fn row(group: Group, name: &'static str, ops: usize, pass: impl FnMut() -> usize + 'static) -> Row {
    Row { group, name, pass: Box::new(pass), ops, passes_per_sample: 1, samples: Vec::new() }
}

fn calibrate(r: &mut Row, target: Duration) {
    // Warm up, then find how many passes fill one sample.
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < target / 2 || n < 2 {
        black_box((r.pass)());
        n += 1;
    }
    let per_pass = start.elapsed().as_secs_f64() / n as f64;
    r.passes_per_sample = ((target.as_secs_f64() / per_pass).ceil() as u64).max(1);
}

fn sample(r: &mut Row) {
    let start = Instant::now();
    let mut acc = 0usize;
    for _ in 0..r.passes_per_sample {
        acc = acc.wrapping_add((r.pass)());
    }
    let ns = start.elapsed().as_nanos() as f64;
    black_box(acc);
    r.samples.push(ns / (r.passes_per_sample as f64 * r.ops as f64));
}

fn stats(s: &[f64]) -> (f64, f64, f64) {
    let mut v = s.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    (median, v[0], v[n - 1])
}

fn fmt_ns(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn fmt_range(lo: f64, hi: f64) -> String {
    if hi < 1_000.0 {
        format!("{lo:.0}–{hi:.0} ns")
    } else if hi < 1_000_000.0 {
        format!("{:.2}–{:.2} µs", lo / 1e3, hi / 1e3)
    } else {
        format!("{:.2}–{:.2} ms", lo / 1e6, hi / 1e6)
    }
}

fn build_rows(src: &Sources, set: &[&variants::Variant]) -> Vec<Row> {
    let mut rows = Vec::new();
    let n = set.len();
    let jsons: Vec<Value> = set.iter().map(|v| v.json.clone()).collect();
    let texts: Vec<String> = set.iter().map(|v| v.text.clone()).collect();
    let policy = std::rc::Rc::new(engines::mfa::load(&src.mfapol));

    // (a) decision only
    {
        let (p, j) = (policy.clone(), jsons.clone());
        rows.push(row(Group::Decision, "mfapol `eval::evaluate`", n, move || {
            j.iter().filter(|e| engines::mfa::decide(&p, black_box(e))).count()
        }));
        let (p, j) = (policy.clone(), jsons.clone());
        rows.push(row(Group::Decision, "mfapol `eval::decide`", n, move || {
            j.iter().filter(|e| engines::mfa::fast(&p, black_box(e))).count()
        }));
        let j = jsons.clone();
        rows.push(row(Group::Decision, "hand-written Rust", n, move || {
            j.iter().filter(|e| engines::hand_written(black_box(e))).count()
        }));
    }
    #[cfg(feature = "cedar")]
    {
        let cedar = engines::cedar::Cedar::new(&src.cedar);
        let reqs: Vec<_> = jsons.iter().map(|e| cedar.request(e)).collect();
        rows.push(row(Group::Decision, "cedar-policy", n, move || {
            reqs.iter().filter(|r| cedar.decide(black_box(r))).count()
        }));
    }
    #[cfg(feature = "regorus")]
    {
        use engines::rego;
        let inputs: Vec<_> = texts.iter().map(|t| rego::input(t)).collect();
        let mut engine = rego::load_engine(&src.rego);
        let i = inputs.clone();
        rows.push(row(Group::Decision, "regorus Engine", n, move || {
            i.iter().filter(|x| rego::engine_decide(&mut engine, black_box(x))).count()
        }));
        let mut vm = rego::vm(&rego::load_program(&src.rego));
        rows.push(row(Group::Decision, "regorus RVM", n, move || {
            inputs.iter().filter(|x| rego::vm_decide(&mut vm, black_box(x))).count()
        }));
    }
    #[cfg(feature = "cel")]
    {
        use engines::{cel010 as c10, cel015 as c15};
        let prog = c10::load(&src.cel);
        let cxs: Vec<_> = jsons.iter().map(c10::context).collect();
        rows.push(row(Group::Decision, "cel-interpreter 0.10", n, move || {
            cxs.iter().filter(|c| c10::decide(&prog, black_box(c))).count()
        }));
        let prog = c15::load(&src.cel);
        let cxs: Vec<_> = jsons.iter().map(c15::context).collect();
        rows.push(row(Group::Decision, "cel 0.15", n, move || {
            cxs.iter().filter(|c| c15::decide(&prog, black_box(c))).count()
        }));
    }

    // (b) raw JSON text -> decision
    {
        let t = texts.clone();
        rows.push(row(Group::Raw, "`serde_json::from_str::<Value>` alone", n, move || {
            t.iter()
                .map(|s| serde_json::from_str::<Value>(black_box(s)).expect("json").as_object().map_or(0, |m| m.len()))
                .sum()
        }));
        let (p, t) = (policy.clone(), texts.clone());
        rows.push(row(Group::Raw, "mfapol `parse_event` + `evaluate`", n, move || {
            t.iter().filter(|s| engines::mfa::decide_raw(&p, black_box(s))).count()
        }));
        let (p, t) = (policy.clone(), texts.clone());
        let pr = mfapol::eval::Projection::new(&p);
        rows.push(row(Group::Raw, "mfapol `Projection::parse` + `evaluate`", n, move || {
            t.iter().filter(|s| engines::mfa::projected_raw(&p, &pr, black_box(s))).count()
        }));
        let (p, t) = (policy.clone(), texts.clone());
        let pr = mfapol::eval::Projection::new(&p);
        rows.push(row(Group::Raw, "mfapol `Projection::parse` + `decide`", n, move || {
            t.iter().filter(|s| engines::mfa::projected_fast_raw(&p, &pr, black_box(s))).count()
        }));
        let t = texts.clone();
        rows.push(row(Group::Raw, "hand-written Rust (`from_str` + fn)", n, move || {
            t.iter().filter(|s| engines::hand_written_raw(black_box(s))).count()
        }));
    }
    #[cfg(feature = "cedar")]
    {
        let cedar = engines::cedar::Cedar::new(&src.cedar);
        let t = texts.clone();
        rows.push(row(Group::Raw, "cedar-policy (whole event as context)", n, move || {
            t.iter().filter(|s| cedar.decide_raw(black_box(s))).count()
        }));
        let cedar = engines::cedar::Cedar::new(&src.cedar);
        let t = texts.clone();
        rows.push(row(Group::Raw, "cedar-policy (context of the 6 fields read)", n, move || {
            t.iter().filter(|s| cedar.decide_raw_projected(black_box(s))).count()
        }));
    }
    #[cfg(feature = "regorus")]
    {
        use engines::rego;
        let mut engine = rego::load_engine(&src.rego);
        let t = texts.clone();
        rows.push(row(Group::Raw, "regorus Engine", n, move || {
            t.iter().filter(|s| rego::engine_decide_raw(&mut engine, black_box(s))).count()
        }));
        let mut vm = rego::vm(&rego::load_program(&src.rego));
        let t = texts.clone();
        rows.push(row(Group::Raw, "regorus RVM", n, move || {
            t.iter().filter(|s| rego::vm_decide_raw(&mut vm, black_box(s))).count()
        }));
    }
    #[cfg(feature = "cel")]
    {
        use engines::{cel010 as c10, cel015 as c15};
        let (prog, t) = (c10::load(&src.cel), texts.clone());
        rows.push(row(Group::Raw, "cel-interpreter 0.10", n, move || {
            t.iter().filter(|s| c10::decide_raw(&prog, black_box(s))).count()
        }));
        let (prog, t) = (c15::load(&src.cel), texts.clone());
        rows.push(row(Group::Raw, "cel 0.15", n, move || {
            t.iter().filter(|s| c15::decide_raw(&prog, black_box(s))).count()
        }));
    }

    // (c) policy load
    {
        let s = src.mfapol.clone();
        rows.push(row(Group::Load, "mfapol `compile` (parse + check)", 1, move || {
            engines::mfa::load(black_box(&s)).rules.len()
        }));
    }
    #[cfg(feature = "cedar")]
    {
        let s = src.cedar.clone();
        rows.push(row(Group::Load, "cedar-policy `PolicySet::from_str`", 1, move || {
            engines::cedar::load(black_box(&s)).num_of_policies()
        }));
    }
    #[cfg(feature = "regorus")]
    {
        let s = src.rego.clone();
        rows.push(row(Group::Load, "regorus Engine (`new` + `add_policy`)", 1, move || {
            engines::rego::load_engine(black_box(&s)).get_packages().map_or(0, |p| p.len())
        }));
        let s = src.rego.clone();
        let empty = regorus::Value::new_object();
        rows.push(row(Group::Load, "regorus Engine (+ first `eval_rule`, input `{}`)", 1, move || {
            let mut e = engines::rego::load_engine(black_box(&s));
            usize::from(engines::rego::engine_decide(&mut e, &empty))
        }));
        let s = src.rego.clone();
        rows.push(row(Group::Load, "regorus RVM (+ compile to program)", 1, move || {
            engines::rego::load_program(black_box(&s)).instructions.len()
        }));
    }
    #[cfg(feature = "cel")]
    {
        let s = src.cel.clone();
        rows.push(row(Group::Load, "cel-interpreter 0.10 `Program::compile`", 1, move || {
            black_box(engines::cel010::load(black_box(&s)));
            1
        }));
        let s = src.cel.clone();
        rows.push(row(Group::Load, "cel 0.15 `Program::compile`", 1, move || {
            black_box(engines::cel015::load(black_box(&s)));
            1
        }));
    }
    rows
}

fn main() {
    let a = args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let pdir = a.policies.clone().unwrap_or_else(|| dir.join("policies"));
    let src = Sources {
        mfapol: read(&pdir, "reference.mfapolicy"),
        cedar: read(&pdir, "reference.cedar"),
        rego: read(&pdir, "reference.rego"),
        // cel-interpreter 0.10 does not accept comments: the file's `//`
        // lines are dropped before any CEL engine sees (or times) the text.
        cel: read(&pdir, "reference.cel")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    // Counting: the first `compile` of the process comes before anything
    // else touches the schema.
    if a.count {
        count::first_compile(&src);
    }
    let mut bases = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("events"))
        .expect("events/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).expect("event");
        let name = p.file_stem().expect("name").to_string_lossy().into_owned();
        bases.push((name, serde_json::from_str::<Value>(&text).expect("event JSON")));
    }

    let features: Vec<&str> = [
        (cfg!(feature = "cedar"), "cedar"),
        (cfg!(feature = "regorus"), "regorus"),
        (cfg!(feature = "cel"), "cel"),
    ]
    .into_iter()
    .filter_map(|(on, f)| on.then_some(f))
    .collect();
    println!(
        "Build: features [{}], serde_json preserve_order: {}",
        features.join(", "),
        if preserve_order() { "ON" } else { "off" }
    );

    let vs = variants::generate(&bases);
    if a.count || a.write_ndjson.is_some() {
        let set: Vec<&variants::Variant> = vs.iter().step_by(17).collect();
        if let Some(path) = &a.write_ndjson {
            let text: String = set.iter().map(|v| format!("{}\n", v.text)).collect();
            std::fs::write(path, text).expect("write the NDJSON timing set");
            println!("Wrote the {} events of the timing set to {}", set.len(), path.display());
        }
        if a.count {
            let mut rows = count::event_rows(&src, &bases);
            rows.extend(build_rows(&src, &set));
            if let Some(only) = &a.only {
                rows.retain(|r| only.split('|').any(|o| r.name.contains(o)));
            }
            count::run(&mut rows, a.passes);
        }
        return;
    }
    if a.only.is_some() {
        println!("Agreement check SKIPPED (--only is for profiling).");
    } else if !check_agreement(&src, &vs) {
        println!("\nEngines disagree: not timing.");
        std::process::exit(1);
    }
    if a.check_only {
        return;
    }

    // A deterministic few-hundred-event timing set spread over every flip.
    let set: Vec<&variants::Variant> = vs.iter().step_by(17).collect();
    let bytes: usize = set.iter().map(|v| v.text.len()).sum();
    println!(
        "\nTiming set: {} variants (every 17th), compact JSON {:.0} bytes on average ({} .. {}).",
        set.len(),
        bytes as f64 / set.len() as f64,
        set.iter().map(|v| v.text.len()).min().unwrap_or(0),
        set.iter().map(|v| v.text.len()).max().unwrap_or(0),
    );
    println!(
        "{} samples per row, each ~{} ms, rows sampled round-robin; times are per decision (per load for (c)).\n",
        a.samples, a.sample_ms
    );
    let mut rows = build_rows(&src, &set);
    if let Some(only) = &a.only {
        rows.retain(|r| only.split('|').any(|o| r.name.contains(o)));
    }
    let target = Duration::from_millis(a.sample_ms);
    for r in rows.iter_mut() {
        calibrate(r, target);
    }
    for _ in 0..a.samples {
        for r in rows.iter_mut() {
            sample(r);
        }
    }

    for (group, title) in [
        (Group::Decision, "(a) decision only, input already in the engine's native form"),
        (Group::Raw, "(b) raw JSON text -> decision"),
        (Group::Load, "(c) policy load"),
    ] {
        // The ratio is to the fastest mfapol row of the group.
        let (base_name, base) = rows
            .iter()
            .filter(|r| r.group == group && r.name.starts_with("mfapol"))
            .map(|r| (r.name, stats(&r.samples).0))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or(("?", f64::NAN));
        println!("{title}; ratio = median / median of {base_name}\n");
        println!("| engine | median | min–max | ratio |");
        println!("|---|---:|---:|---:|");
        for r in rows.iter().filter(|r| r.group == group) {
            let (med, lo, hi) = stats(&r.samples);
            println!("| {} | {} | {} | {:.2}× |", r.name, fmt_ns(med), fmt_range(lo, hi), med / base);
        }
        println!();
    }
}
