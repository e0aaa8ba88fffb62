//! The explanation printed under a failing case: the same content as
//! `mfapol eval` prints (decision, deciding rule, other applying rules,
//! runtime errors).

use crate::eval::Decision;
use crate::ir::{Challenge, Effect, Policy};

fn rule_ref(policy: &Policy, i: usize) -> String {
    match policy.rules.get(i) {
        Some(r) => format!("{} ({}:{})", r.name, policy.file, r.line),
        None => String::new(),
    }
}

/// The decision, its deciding rule with file:line, the other applying rules and errors.
pub fn explain(policy: &Policy, d: &Decision) -> String {
    let mut out = String::new();
    let detail = match &d.effect {
        Some(Effect::Require(Challenge::Provider {
            provider,
            remember_browser,
        })) => format!(
            " (provider {provider}{})",
            if *remember_browser {
                ", remember browser"
            } else {
                ""
            }
        ),
        Some(Effect::Require(Challenge::Factors(fs))) => {
            let fs: Vec<&str> = fs.iter().map(|f| f.as_ref()).collect();
            format!(" (factors {})", fs.join(", "))
        }
        Some(Effect::Deny { reason: Some(r) }) => format!(" (reason: {r:?})"),
        _ => String::new(),
    };
    out.push_str(&format!("decision: {}{detail}\n", d.kind.as_str()));
    match (d.deciding, d.by_default) {
        (Some(i), _) => out.push_str(&format!("deciding rule: {}\n", rule_ref(policy, i))),
        (None, true) => out.push_str("deciding rule: default (no rule applied)\n"),
        (None, false) => out.push_str("deciding rule: none (no rule applied and no default)\n"),
    }
    let others: Vec<String> = d
        .applied
        .iter()
        .filter(|i| Some(**i) != d.deciding)
        .map(|i| rule_ref(policy, *i))
        .collect();
    if !others.is_empty() {
        out.push_str(&format!("also applied: {}\n", others.join(", ")));
    }
    for e in &d.errors {
        let path = e
            .path
            .as_ref()
            .map(|p| format!(" [{p}]"))
            .unwrap_or_default();
        out.push_str(&format!(
            "runtime error in {}{path}: {}\n",
            e.rule, e.message
        ));
    }
    out
}
