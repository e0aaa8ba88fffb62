//! The public SPEC conformance cases (a copy of shared/conformance/cases.json
//! in tests/data), run through the library: every decision case and every
//! check case must hold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::source::SourceFile;
use mfapol::{compile, eval, schema};
use serde_json::Value;

fn cases() -> Value {
    let text = std::fs::read_to_string("tests/data/conformance.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Deep merge; the string "__delete__" removes a key (as run.py does).
fn merge(base: &mut Value, patch: &Value) {
    let (Value::Object(b), Value::Object(p)) = (base, patch) else {
        return;
    };
    for (k, v) in p {
        if v == "__delete__" {
            b.remove(k);
        } else if v.is_object() && b.get(k).is_some_and(Value::is_object) {
            merge(b.get_mut(k).unwrap(), v);
        } else {
            b.insert(k.clone(), v.clone());
        }
    }
}

#[test]
fn decision_cases() {
    let cases = cases();
    let mut failures = Vec::new();
    let decisions = cases["decisions"].as_array().unwrap();
    assert!(decisions.len() >= 25);
    for c in decisions {
        let name = c["name"].as_str().unwrap();
        let src = SourceFile::new(format!("{name}.mfapolicy"), c["policy"].as_str().unwrap());
        let compiled = compile(&src, schema::auth0_post_login());
        let Some(policy) = compiled.policy else {
            failures.push(format!(
                "{name}: policy does not check: {:?}",
                compiled.diagnostics
            ));
            continue;
        };
        let path = format!("tests/cases/events/{}", c["event"].as_str().unwrap());
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        merge(&mut event, &c["patch"]);
        let now = c["now"]
            .as_str()
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .unwrap()
                    .timestamp_millis()
            })
            .unwrap_or(1_767_225_600_000);
        let got = eval::evaluate(&policy, &event, now).to_json(&policy);
        for (k, want) in c["expect"].as_object().unwrap() {
            let have = got
                .get(k)
                .cloned()
                .unwrap_or(Value::String("<missing>".into()));
            let ok = if want == "nonempty" {
                have.as_array().is_some_and(|a| !a.is_empty())
            } else {
                have == *want
            };
            if !ok {
                failures.push(format!("{name}: {k}: want {want}, got {have}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_cases() {
    use miette::Diagnostic;
    let cases = cases();
    let mut failures = Vec::new();
    for c in cases["checks"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let src = SourceFile::new(format!("{name}.mfapolicy"), c["policy"].as_str().unwrap());
        let compiled = compile(&src, schema::auth0_post_login());
        let deny_warnings = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--deny-warnings");
        let rejected = compiled
            .diagnostics
            .iter()
            .any(|d| !d.is_warning() || deny_warnings);
        let exit = if rejected { 1 } else { 0 };
        if exit != c["exit"].as_i64().unwrap() {
            failures.push(format!("{name}: exit {exit}: {:?}", compiled.diagnostics));
        }
        let text: String = compiled
            .diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{d} {}",
                    d.help().map(|h| h.to_string()).unwrap_or_default()
                )
            })
            .collect();
        for m in c["mentions"].as_array().unwrap() {
            let m = m.as_str().unwrap();
            if !text.to_lowercase().contains(&m.to_lowercase()) {
                failures.push(format!("{name}: output lacks {m:?}: {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
