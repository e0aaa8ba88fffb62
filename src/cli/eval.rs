//! `mfapol eval POLICY EVENT`: one decision, and why.

use super::escape::escape_lines;
use super::render::{self, color};
use super::{explain, files, EvalArgs, EvalFormat, EXIT_REJECTED, EXIT_USAGE};
use mfapol::eval;
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use mfapol::{compile_with, schema};
use std::path::Path;

/// Reads, parses and checks a policy, printing its diagnostics to stderr.
/// `Err` carries the exit code.
pub fn load_policy(path: &Path) -> Result<(Policy, SourceFile), u8> {
    let name = path.display().to_string();
    let text = files::read_text(path, &name)?;
    let color = color();
    let src = SourceFile::new(name.as_str(), text);
    let compiled = compile_with(&src, schema::auth0_post_login(), &mut files::include_loader);
    for d in &compiled.diagnostics {
        err!("{}", render::render(&src, d, color));
    }
    match compiled.policy {
        Some(p) => Ok((p, src)),
        None => {
            let n = compiled
                .diagnostics
                .iter()
                .filter(|d| !d.is_warning())
                .count();
            errln!(
                "error: `{name}` has {n} error{}; it was not evaluated",
                if n == 1 { "" } else { "s" }
            );
            Err(EXIT_REJECTED)
        }
    }
}

/// Parses `--now`, or reads the clock.
pub fn now_ms(now: Option<&str>) -> Result<i64, u8> {
    match now {
        None => Ok(chrono::Utc::now().timestamp_millis()),
        Some(t) => chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.timestamp_millis())
            .map_err(|_| {
                errln!(
                    "error: `--now {t}` is not an RFC 3339 timestamp (e.g. 2025-01-31T09:00:00Z)"
                );
                EXIT_USAGE
            }),
    }
}

pub fn run(args: &EvalArgs) -> u8 {
    if super::batch::wanted(args) {
        return super::batch::run(args);
    }
    match run_inner(args) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

fn run_inner(args: &EvalArgs) -> Result<(), u8> {
    let (policy_path, event_path, format) = (&args.policy, &args.event, args.format);
    let now = now_ms(args.now.as_deref())?;
    let (policy, src) = load_policy(policy_path)?;
    let name = if event_path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        event_path.display().to_string()
    };
    let text = files::read_text(event_path, &name)?;
    let color = color();
    let event = eval::parse_event(&text).map_err(|e| {
        let src = SourceFile::new(name.as_str(), text.as_str());
        err!("{}", render::render(&src, &e, color));
        EXIT_REJECTED
    })?;
    let roots = roots_read(&policy);
    if let Some(problem) = shape_problem(&roots, &event) {
        let src = SourceFile::new(name.as_str(), text.as_str());
        err!("{}", render::render(&src, &problem, color));
        return Err(EXIT_REJECTED);
    }
    if args.explain {
        let ex = eval::explain(&policy, &event, now);
        match format {
            EvalFormat::Json => {
                let mut v = explain::json(&policy, &src, &ex);
                if !policy.asserts.is_empty() {
                    v["assertions"] = explain::assertions_json(&policy, &event, now, &ex);
                }
                outln!("{}", v)
            }
            EvalFormat::Human => {
                let mut text = explain::human(&policy, &src, &ex);
                text.push_str(&explain::assertions_human(&policy, &event, now, &ex));
                out!("{}", escape_lines(&text))
            }
        }
        return Ok(());
    }
    let decision = eval::evaluate(&policy, &event, now);
    match format {
        EvalFormat::Json => outln!("{}", decision.to_json(&policy)),
        EvalFormat::Human => out!("{}", escape_lines(&decision.summary(&policy))),
    }
    Ok(())
}

/// An event that cannot be what the policy decides on: it has none of the
/// event fields the policy reads (often a wrapped event or a log entry).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(mfapol::event_unrecognised))]
pub struct EventShape {
    message: String,
    #[help]
    help: Option<String>,
}

/// The top-level event fields the policy's rules read (`request`, `user`).
pub fn roots_read(policy: &Policy) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in &policy.rules {
        for p in mfapol::replay::coverage::paths_read(policy, rule) {
            let root = p.split(['.', '[']).next().unwrap_or("").to_string();
            if !root.is_empty() && !out.contains(&root) {
                out.push(root);
            }
        }
    }
    out
}

/// Why `event` is not an event for this policy, if it has none of the
/// fields the policy reads.
pub fn shape_problem(roots: &[String], event: &serde_json::Value) -> Option<EventShape> {
    let obj = event.as_object()?;
    if roots.is_empty() || roots.iter().any(|r| obj.contains_key(r)) {
        return None;
    }
    // An event without an optional field the policy reads (`organization`)
    // is still an event: only one with none of the fields every event has
    // (`user`, `request`, `connection`, ...) is reported.
    let schema = schema::auth0_post_login();
    let required: Vec<&str> = schema
        .root
        .map(|r| {
            schema
                .record(r)
                .fields
                .iter()
                .filter(|f| !f.optional && !f.hidden)
                .map(|f| f.name.as_ref())
                .collect()
        })
        .unwrap_or_default();
    if required.iter().any(|k| obj.contains_key(*k)) {
        return None;
    }
    let listed = roots
        .iter()
        .take(6)
        .map(|r| format!("`{r}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if obj.get("event").is_some_and(|e| e.is_object()) {
        return Some(EventShape {
            message: "the event is wrapped: its fields are under `event`".into(),
            help: Some(
                "pass the object inside `event` itself, e.g. `jq .event FILE | mfapol eval POLICY -`"
                    .into(),
            ),
        });
    }
    if obj.contains_key("log_id") || (obj.contains_key("type") && obj.contains_key("date")) {
        return Some(EventShape {
            message: "this is an Auth0 log entry, not a post-login event".into(),
            help: Some(
                "replay log entries with `mfapol eval POLICY LOGS --input auth0-logs`".into(),
            ),
        });
    }
    Some(EventShape {
        message: format!("the event has none of the fields the policy reads ({listed})"),
        help: Some(
            "an event is the post-login `event` object Auth0 passes to an Action, with `user`, `request`, `connection`, ... at the top"
                .into(),
        ),
    })
}
