//! Compiling a checked policy to an Auth0 post-login Action (SPEC §10).
//!
//! The output is one self-contained CommonJS file for trigger `post-login`
//! v3 on `node22`: the run-time helpers of `runtime.js` (plain JavaScript,
//! no `require`), the policy's constants built once at module level, one
//! function per `let` and per rule, and `exports.onExecutePostLogin`, which
//! makes exactly one decision call. It decides as [`crate::eval::evaluate`]
//! decides on `JSON.stringify(event)`; `tests/action_node.rs` runs it in
//! Node.js against the interpreter.
//!
//! Not modelled: the interpreter's step budget
//! ([`crate::eval::MAX_STEPS`]), which a checked policy cannot reach
//! because of the checker's static cost bound.

pub mod deploy;
mod emit;
mod lit;
mod regex;

use crate::ir::{Challenge, Effect, Policy, StepKind};
use emit::Emitter;
use lit::js_str;
use miette::{Diagnostic, SourceSpan};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use thiserror::Error;

/// Auth0's limit on an Action's code (D-lim: "should not exceed 100 kB").
pub const MAX_ACTION_BYTES: usize = 100_000;

/// The reason given to `api.access.deny` for a `deny` without one.
pub const DEFAULT_DENY_REASON: &str = "access denied";

/// The reason given when the generated code itself fails (SPEC §10).
pub const FAILED_REASON: &str = "policy evaluation failed";

/// The run-time helpers every Action starts with.
const RUNTIME: &str = include_str!("runtime.js");

/// Why a policy cannot become an Action.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum ActionError {
    /// A regex feature Rust and JavaScript read differently.
    #[error(
        "the regex `{pattern}` uses {construct}, which JavaScript does not read as mfapol does"
    )]
    #[diagnostic(
        code(mfapol::action_regex),
        help("an Action must decide exactly as `mfapol eval`; rewrite the pattern without this construct (for a case-insensitive match, compare `lower(...)` with a lower-case pattern)")
    )]
    Regex {
        /// The pattern as written.
        pattern: String,
        /// What in it has no identical JavaScript meaning.
        construct: String,
        /// Where.
        #[label("not portable to JavaScript")]
        span: SourceSpan,
    },
    /// The generated code is larger than Auth0 accepts.
    #[error("the generated Action is {size} bytes, over Auth0's limit of {limit} bytes")]
    #[diagnostic(
        code(mfapol::action_too_large),
        help("split the policy, or move long lists and texts out of it")
    )]
    TooLarge {
        /// The size of the generated code.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A bug in mfapol.
    #[error("internal error while compiling the Action: {what}; this is a bug in mfapol")]
    Internal {
        /// What went wrong.
        what: String,
    },
}

/// What to compile, and how to name it.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The policy file's name, for the header. Only its last component is
    /// written (`/home/me/p.mfapolicy` and `./p.mfapolicy` both give
    /// `p.mfapolicy`), so no absolute path reaches deployed code and the
    /// bytes do not depend on how the file was named.
    pub source_name: &'a str,
    /// The policy's text (its SHA-256 goes into the header).
    pub source_text: &'a str,
}

/// Compiles a checked policy to the JavaScript of a post-login Action.
pub fn compile(policy: &Policy, target: Target<'_>) -> Result<String, ActionError> {
    let hash = sha256_hex(target.source_text.as_bytes());
    let mut em = Emitter::new(policy);
    let mut lets = String::new();
    for (i, l) in policy.lets.iter().enumerate() {
        lets.push_str(&em.let_fn(i, &l.name)?);
        lets.push('\n');
    }
    let names = rule_names(policy);
    // Emitted in source order (constants are numbered in order of first
    // use), placed in `$decide` strongest effect first.
    let blocks = policy
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| em.rule_block(i, rule, effect_text(&rule.effect)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = String::new();
    header(&mut out, policy, target, &hash);
    out.push_str("\"use strict\";\n\n");
    out.push_str(RUNTIME);
    out.push_str("\n// ---- the policy's constants (built once, never changed) ----\n");
    for c in em.constants() {
        out.push_str(c);
        out.push('\n');
    }
    out.push_str("\n// ---- lets: each evaluated at most once per event ----\n");
    out.push_str(&lets);
    out.push_str("// ---- rules' `unless`: each evaluated once its `when` holds ----\n");
    for (_, unless) in &blocks {
        out.push_str(unless);
    }
    out.push('\n');
    decide(&mut out, policy, &blocks);
    handler(&mut out, policy, &names, &hash, em.uses_now());
    if out.contains("@@") || out.contains("##") {
        return Err(ActionError::Internal {
            what: "the output contains a Deploy CLI keyword marker".into(),
        });
    }
    if out.len() > MAX_ACTION_BYTES {
        return Err(ActionError::TooLarge {
            size: out.len(),
            limit: MAX_ACTION_BYTES,
        });
    }
    Ok(out)
}

/// The SHA-256 of some bytes, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn header(out: &mut String, policy: &Policy, target: Target<'_>, hash: &str) {
    let base = target
        .source_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(target.source_name);
    let file = comment_safe(base);
    let _ = writeln!(
        out,
        "// Generated by mfapol {} from {file} -- do not edit.",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "// Source SHA-256: {hash}");
    out.push_str(
        "// Auth0 post-login Action: trigger post-login v3, runtime node22, no dependencies.\n",
    );
    out.push_str(
        "// It decides as `mfapol eval` decides on JSON.stringify(event) (docs/deploy.md).\n",
    );
    let factors = policy
        .rules
        .iter()
        .map(|r| &r.effect)
        .chain(policy.default.as_ref())
        .any(|e| {
            matches!(
                e,
                Effect::Require(Challenge::Factors(_) | Challenge::Steps(_))
            )
        });
    if factors {
        out.push_str("// Factor challenges need Universal Login and the tenant setting\n// \"Customize MFA Factors using Actions\".\n");
    }
    out.push('\n');
}

/// A file name fit for a one-line comment: no line breaks, no `@`/`#`.
fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-/ +,()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One JavaScript function name per rule: `rule_NAME`, unique.
fn rule_names(policy: &Policy) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    policy
        .rules
        .iter()
        .map(|r| {
            let base: String = format!("rule_{}", r.name)
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let mut name = base.clone();
            let mut n: u32 = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{n}");
                n = n.saturating_add(1);
            }
            name
        })
        .collect()
}

fn effect_text(e: &Effect) -> &'static str {
    match e {
        Effect::Deny { .. } => "deny",
        Effect::Require(c) if c.enrolls_first() => "enroll mfa",
        Effect::Require(_) => "require mfa",
        Effect::Skip => "skip mfa",
        Effect::Exempt => "exempt",
    }
}

/// The decision: rules strongest effect first, the first that applies
/// decides (the same decision as evaluating every rule, SPEC §7). Each
/// rule is a block that returns its index when it applies; errors fail
/// closed (`$caught`).
fn decide(out: &mut String, policy: &Policy, blocks: &[(String, String)]) {
    out.push_str("// ---- the decision: rules strongest effect first, then source order ----\n");
    out.push_str("function $decide(ev, now) {\n");
    // One slot per `let`, unset until first used (a fixed shape per policy).
    let slots: String = (0..policy.lets.len())
        .map(|i| format!(", l{i}: $UNSET"))
        .collect();
    let _ = writeln!(out, "  const cx = {{ ev: ev, now: now{slots} }};");
    if !blocks.is_empty() {
        out.push_str("  let w;\n");
    }
    for strength in Effect::STRENGTHS {
        for (rule, (block, _)) in policy.rules.iter().zip(blocks) {
            if rule.effect.strength() == strength {
                out.push_str(block);
            }
        }
    }
    let fallback = if policy.default.is_some() {
        policy.rules.len().to_string()
    } else {
        "-1".into()
    };
    let _ = writeln!(out, "  return {fallback};\n}}\n");
}

/// The one API call of an effect.
fn call(e: &Effect) -> String {
    match e {
        Effect::Deny { reason } => format!(
            "api.access.deny({});",
            js_str(reason.as_deref().unwrap_or(DEFAULT_DENY_REASON))
        ),
        Effect::Require(Challenge::Provider {
            provider,
            remember_browser,
        }) => format!(
            "api.multifactor.enable({}, {{ allowRememberBrowser: {remember_browser} }});",
            js_str(provider)
        ),
        Effect::Require(Challenge::Factors(fs)) => step_call(StepKind::Challenge, fs),
        // One call per step, in order (Auth0 runs them in this order).
        Effect::Require(Challenge::Steps(steps)) => steps
            .iter()
            .map(|s| step_call(s.kind, &s.factors))
            .collect::<Vec<_>>()
            .join("\n      "),
        // An exemption is `skip mfa` at the tenant: its strength only
        // matters in choosing the deciding rule.
        Effect::Skip | Effect::Exempt => "api.multifactor.enable(\"none\");".into(),
    }
}

/// `challengeWith`/`challengeWithAny` or `enrollWith`/`enrollWithAny`.
fn step_call(kind: StepKind, fs: &[std::sync::Arc<str>]) -> String {
    let objs: Vec<String> = fs
        .iter()
        .map(|f| format!("{{ type: {} }}", js_str(f)))
        .collect();
    let verb = match kind {
        StepKind::Challenge => "challenge",
        StepKind::Enroll => "enroll",
    };
    match objs.as_slice() {
        [one] => format!("api.authentication.{verb}With({one});"),
        _ => format!("api.authentication.{verb}WithAny([{}]);", objs.join(", ")),
    }
}

/// `onExecutePostLogin`: decide, then exactly one call and return. An
/// unexpected throw applies the strongest effect the policy contains.
fn handler(out: &mut String, policy: &Policy, names: &[String], hash: &str, uses_now: bool) {
    let has_deny = policy
        .rules
        .iter()
        .map(|r| &r.effect)
        .chain(policy.default.as_ref())
        .any(|e| matches!(e, Effect::Deny { .. }));
    let (fallback, applied) = if has_deny {
        (
            format!("api.access.deny({});", js_str(FAILED_REASON)),
            "deny",
        )
    } else {
        (
            "api.multifactor.enable(\"any\", { allowRememberBrowser: false });".to_string(),
            "require mfa",
        )
    };
    // Group the cases by call so each distinct call is written once.
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |label: String, text: String| match cases.iter_mut().find(|(c, _)| *c == text) {
        Some((_, labels)) => labels.push(label),
        None => cases.push((text, vec![label])),
    };
    for (i, (rule, name)) in policy.rules.iter().zip(names).enumerate() {
        add(format!("case {i}: // {name}"), call(&rule.effect));
    }
    if let Some(d) = &policy.default {
        add(format!("case {}: // default", policy.rules.len()), call(d));
    }
    add(
        "case -2: // the code itself failed: the strongest effect of the policy".into(),
        fallback,
    );
    out.push_str("// ---- the Action ----\n");
    let _ = writeln!(
        out,
        "function $failure(e) {{\n  const kind = e instanceof RangeError ? \"RangeError\" : e instanceof TypeError ? \"TypeError\" : \"Error\";\n  return (\"mfapol: policy evaluation failed (\" + kind + \"); applied {applied}; policy sha256 {}\").slice(0, 255);\n}}\n// The code itself failed: one log line, then the strongest effect (-2).\nfunction $failed(e) {{\n  console.log($failure(e));\n  return -2;\n}}\n",
        hash.get(..16).unwrap_or(hash)
    );
    // The calls live in `$act`, out of the handler, which V8 inlines into
    // its caller; with no default, no rule applying (-1) calls nothing.
    out.push_str("// The one API call of the decision.\nfunction $act(d, api) {\n  switch (d) {\n");
    for (text, labels) in &cases {
        for l in labels {
            let _ = writeln!(out, "    {l}");
        }
        let _ = writeln!(out, "      {text}\n      return;");
    }
    out.push_str(
        "    default: // no rule applied and no default: no call\n      return;\n  }\n}\n\n",
    );
    let now = if uses_now { "Date.now()" } else { "0" };
    let act = if policy.default.is_some() {
        "$act(d, api);"
    } else {
        "if (d !== -1) $act(d, api);"
    };
    let _ = write!(
        out,
        "exports.onExecutePostLogin = async (event, api) => {{\n  let d;\n  try {{\n    d = $decide(event, {now});\n  }} catch (e) {{\n    d = $failed(e);\n  }}\n  {act}\n}};\n"
    );
}
