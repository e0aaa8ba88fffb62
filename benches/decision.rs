//! Criterion benchmarks (issue 4): policy load, decision only, raw JSON to
//! decision, and NDJSON batch throughput. Run: `cargo bench --bench decision`.
//! Results and how they compare with Cedar, Rego and CEL: docs/benchmarks.md.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mfapol::eval::{self, Projection};
use mfapol::source::SourceFile;
use mfapol::{compile, schema};
use serde_json::Value;

const NOW: i64 = 1_750_000_000_000;

fn load(path: &str) -> (String, mfapol::ir::Policy) {
    let text = std::fs::read_to_string(path).expect("policy file");
    let policy = compile(
        &SourceFile::new(path, text.as_str()),
        schema::auth0_post_login(),
    )
    .policy
    .expect("policy checks");
    (text, policy)
}

fn fixture_texts() -> Vec<(String, String)> {
    [
        "01-database-org-official-mock.json",
        "03-social-google-ipv6.json",
        "04-enterprise-samlp-organization.json",
    ]
    .iter()
    .map(|n| {
        let text = std::fs::read_to_string(format!("tests/cases/events/{n}")).expect("fixture");
        (n[..2].to_string(), text)
    })
    .collect()
}

use common::generated;

fn bench_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    for path in [
        "policies/reference.mfapolicy",
        "policies/spec_example.mfapolicy",
    ] {
        let text = std::fs::read_to_string(path).expect("policy");
        g.bench_function(BenchmarkId::new("parse", path), |b| {
            b.iter(|| mfapol::syntax::parse(black_box(text.as_str())))
        });
        g.bench_function(BenchmarkId::new("parse+check", path), |b| {
            b.iter(|| {
                compile(
                    &SourceFile::new("p", black_box(text.as_str())),
                    schema::auth0_post_login(),
                )
            })
        });
    }
    for n in [1_000, 5_000, 10_000] {
        let text = generated(n);
        g.throughput(Throughput::Elements(n as u64));
        g.sample_size(10);
        g.bench_function(BenchmarkId::new("generated_rules", n), |b| {
            b.iter(|| {
                let c = compile(
                    &SourceFile::new("gen", black_box(text.as_str())),
                    schema::auth0_post_login(),
                );
                assert!(c.policy.is_some());
                c
            })
        });
    }
    g.finish();
}

fn bench_decide(c: &mut Criterion) {
    let mut g = c.benchmark_group("decision_only");
    for path in [
        "policies/reference.mfapolicy",
        "policies/spec_example.mfapolicy",
    ] {
        let (_, policy) = load(path);
        for (name, text) in fixture_texts() {
            let event: Value = serde_json::from_str(&text).expect("json");
            g.bench_function(BenchmarkId::new(format!("decide/{path}"), &name), |b| {
                b.iter(|| eval::decide(&policy, black_box(&event), NOW))
            });
            g.bench_function(BenchmarkId::new(format!("evaluate/{path}"), &name), |b| {
                b.iter(|| eval::evaluate(&policy, black_box(&event), NOW))
            });
        }
    }
    g.finish();
}

fn bench_raw(c: &mut Criterion) {
    let mut g = c.benchmark_group("raw_json_to_decision");
    let (_, policy) = load("policies/reference.mfapolicy");
    let projection = Projection::new(&policy);
    for (name, text) in fixture_texts() {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(BenchmarkId::new("serde_json_value_only", &name), |b| {
            b.iter(|| serde_json::from_str::<Value>(black_box(&text)).expect("json"))
        });
        g.bench_function(BenchmarkId::new("full_parse+decide", &name), |b| {
            b.iter(|| {
                let e = eval::parse_event(black_box(&text)).expect("event");
                eval::decide(&policy, &e, NOW)
            })
        });
        g.bench_function(BenchmarkId::new("projection+decide", &name), |b| {
            b.iter(|| {
                let e = projection.parse(black_box(&text)).expect("event");
                eval::decide(&policy, &e, NOW)
            })
        });
    }
    g.finish();
}

/// Decides every line of an NDJSON buffer on `threads` threads.
fn batch(
    policy: &mfapol::ir::Policy,
    projection: &Projection,
    lines: &[&str],
    threads: usize,
) -> usize {
    let chunk = lines.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = lines
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter(|l| {
                            projection
                                .parse(l)
                                .map(|e| {
                                    eval::decide(policy, &e, NOW).kind
                                        == eval::DecisionKind::RequireMfa
                                })
                                .unwrap_or(false)
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}

fn bench_batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("ndjson_batch");
    let (_, policy) = load("policies/reference.mfapolicy");
    let projection = Projection::new(&policy);
    let texts = fixture_texts();
    let mut ndjson = String::new();
    for i in 0..20_000 {
        let (_, t) = &texts[i % texts.len()];
        let mut v: Value = serde_json::from_str(t).expect("json");
        v["request"]["ip"] = format!("198.51.{}.{}", i % 250, i % 200).into();
        ndjson.push_str(&v.to_string());
        ndjson.push('\n');
    }
    let lines: Vec<&str> = ndjson.lines().collect();
    for threads in [1, 2] {
        g.throughput(Throughput::Bytes(ndjson.len() as u64));
        g.sample_size(10);
        g.bench_function(BenchmarkId::new("bytes", threads), |b| {
            b.iter(|| batch(&policy, &projection, black_box(&lines), threads))
        });
        g.throughput(Throughput::Elements(lines.len() as u64));
        g.bench_function(BenchmarkId::new("events", threads), |b| {
            b.iter(|| batch(&policy, &projection, black_box(&lines), threads))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_load, bench_decide, bench_raw, bench_batch);
criterion_main!(benches);
