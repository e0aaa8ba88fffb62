//! `mfapol verify` timing (issue 12): every shipped policy, and generated
//! policies of 100 and 1,000 rules with four assertions each. Run:
//! `cargo bench --bench verify`. Results: docs/verify.md.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use mfapol::source::SourceFile;
use mfapol::{compile_with, schema};

fn load(path: &str, text: &str) -> mfapol::ir::Policy {
    let mut loader = |from: &str, inc: &str| {
        let full = std::path::Path::new(from)
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join(inc);
        std::fs::read_to_string(&full)
            .map(|t| SourceFile::new(full.display().to_string(), t))
            .map_err(|e| e.to_string())
    };
    compile_with(
        &SourceFile::new(path, text),
        schema::auth0_post_login(),
        &mut loader,
    )
    .policy
    .expect("policy checks")
}

/// `n` generated rules (benches/common) and assertions over them: proved,
/// refuted and undecidable ones.
pub fn generated(n: usize) -> String {
    let mut p = common::generated(n);
    p.push_str(
        "assert corp0: at least require mfa when connection == \"corp-0\" and not ip in office\n",
    );
    p.push_str("assert refresh_not_denied: never deny when transaction.protocol == \"oauth2-refresh-token\" and not country in [\"KP\", \"IR\"]\n");
    p.push_str(
        "assert blocked: deny when country == \"KP\" and user.email ends_with \"@x2.example\"\n",
    );
    p.push_str("assert refresh_skips: skip mfa when transaction.protocol == \"oauth2-refresh-token\" and stats.logins_count > 10000\n");
    p
}

fn bench_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    let mut shipped: Vec<_> = std::fs::read_dir("policies")
        .expect("policies/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mfapolicy"))
        .collect();
    shipped.sort();
    for path in shipped {
        let name = path.display().to_string();
        let policy = load(&name, &std::fs::read_to_string(&path).expect("policy"));
        let short = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        g.bench_function(BenchmarkId::new("shipped", short), |b| {
            b.iter(|| mfapol::verify::verify(black_box(&policy)))
        });
    }
    for n in [100, 1_000] {
        let policy = load("generated.mfapolicy", &generated(n));
        g.sample_size(10);
        g.bench_function(BenchmarkId::new("generated_rules", n), |b| {
            b.iter(|| mfapol::verify::verify(black_box(&policy)))
        });
    }
    g.finish();
}

/// `diff --prove` (issue 22): each shipped policy against a one-edit
/// variant (a new refresh-token exemption: refuted as weaker), and the
/// 1,000-rule policy against a one-edit variant that is not weaker (a skip
/// rule's threshold raised: proved, the whole search) and one that is (a
/// deny rule dropped: refuted).
fn bench_diff_prove(c: &mut Criterion) {
    use mfapol::verify::{prove_diff, FailOn};
    let mut g = c.benchmark_group("diff_prove");
    let mut shipped: Vec<_> = std::fs::read_dir("policies")
        .expect("policies/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mfapolicy"))
        .collect();
    shipped.sort();
    for path in shipped {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).expect("policy");
        let old = load(&name, &text);
        let new = load(
            &name,
            &format!("{text}\nrule bench_edit: exempt when transaction.protocol == \"oauth2-refresh-token\"\n"),
        );
        let short = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        g.bench_function(BenchmarkId::new("shipped_weaker", &short), |b| {
            b.iter(|| prove_diff(black_box(&old), black_box(&new), FailOn::Weaker))
        });
        g.bench_function(BenchmarkId::new("shipped_same", &short), |b| {
            b.iter(|| prove_diff(black_box(&old), black_box(&old), FailOn::Changed))
        });
    }
    let base = generated(1_000);
    let old = load("generated.mfapolicy", &base);
    let stronger = load(
        "generated.mfapolicy",
        &base.replace("stats.logins_count > 3\n", "stats.logins_count > 4\n"),
    );
    let weaker = load(
        "generated.mfapolicy",
        &base.replace(
            "rule r2: deny \"blocked 2\" when country in [\"KP\", \"IR\"] and user.email ends_with \"@x2.example\"\n",
            "",
        ),
    );
    g.sample_size(10);
    g.bench_function("generated_1000/not_weaker", |b| {
        b.iter(|| prove_diff(black_box(&old), black_box(&stronger), FailOn::Weaker))
    });
    g.bench_function("generated_1000/weaker", |b| {
        b.iter(|| prove_diff(black_box(&old), black_box(&weaker), FailOn::Weaker))
    });
    g.finish();
}

criterion_group!(benches, bench_verify, bench_diff_prove);
criterion_main!(benches);
