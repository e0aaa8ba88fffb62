//! Issue 4: no allocation per decision on the hot path. The fast path
//! `decide` is measured with a counting global allocator on the reference
//! policy and the SPEC example, for every fixture event and variants.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::source::SourceFile;
use mfapol::{compile, eval, schema};
use serde_json::Value;

fn policy(path: &str) -> mfapol::ir::Policy {
    let text = std::fs::read_to_string(path).unwrap();
    compile(&SourceFile::new(path, text), schema::auth0_post_login())
        .policy
        .unwrap()
}

fn events() -> Vec<Value> {
    let mut out = Vec::new();
    for name in [
        "01-database-org-official-mock.json",
        "03-social-google-ipv6.json",
        "04-enterprise-samlp-organization.json",
    ] {
        let text = std::fs::read_to_string(format!("tests/cases/events/{name}")).unwrap();
        let base: Value = serde_json::from_str(&text).unwrap();
        out.push(base.clone());
        let mut corp = base.clone();
        corp["connection"]["name"] = "corp-ad".into();
        out.push(corp);
        let mut flagged = base.clone();
        flagged["user"]["app_metadata"]["require_mfa"] = true.into();
        out.push(flagged);
        // A misfit makes a run-time error: still no allocation on the fast path.
        let mut misfit = base;
        misfit["user"]["app_metadata"]["require_mfa"] = "yes".into();
        misfit["request"]["ip"] = "not-an-ip".into();
        out.push(misfit);
    }
    out
}

#[test]
fn decide_allocates_nothing() {
    let now = 1_750_000_000_000;
    for path in [
        "policies/reference.mfapolicy",
        "policies/spec_example.mfapolicy",
    ] {
        let p = policy(path);
        for (i, e) in events().iter().enumerate() {
            // The counter must see allocations at all, or a zero proves nothing.
            let probe = allocation_counter::measure(|| {
                std::hint::black_box(eval::evaluate(&p, e, now));
            });
            let info = allocation_counter::measure(|| {
                std::hint::black_box(eval::decide(&p, e, now));
            });
            assert_eq!(info.count_total, 0, "{path}, event {i}: {info:?}");
            let full = eval::evaluate(&p, e, now);
            let fast = eval::decide(&p, e, now);
            assert_eq!(fast.kind, full.kind, "{path}, event {i}");
            assert_eq!(fast.deciding, full.deciding, "{path}, event {i}");
            assert!(fast.errors <= full.errors.len(), "{path}, event {i}");
            if !full.applied.is_empty() || !full.errors.is_empty() {
                assert!(probe.count_total > 0, "the counter is not counting");
            }
        }
    }
}
