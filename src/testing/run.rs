//! Running a suite: load the policy and events through a [`Loader`], check
//! every override and expectation, then evaluate each case and compare.

use super::error::TestError;
use super::format::{parse_suite, Case, Expect, Located, RuleRef, Suite};
use super::unread;
use super::value::{apply, check_override, Target};
use crate::check::suggest::{did_you_mean, one_of};
use crate::eval::{self, Decision};
use crate::ir::{self, Challenge, Effect, Policy};
use crate::schema::Schema;
use crate::source::{SourceFile, Span};
use crate::{syntax, PolicyError};
use serde_json::Value as Json;
use std::collections::HashMap;

/// Where the runner gets the files a suite names. The library does no IO:
/// the command line reads files relative to the suite; tests use a map.
pub trait Loader {
    /// Reads a file named in the suite (as written there).
    fn load(&mut self, path: &str) -> Result<Loaded, String>;
}

/// A file read by a [`Loader`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The name to show in diagnostics and explanations (usually a path).
    pub name: String,
    /// The file's text.
    pub text: String,
}

impl<F: FnMut(&str) -> Result<Loaded, String>> Loader for F {
    fn load(&mut self, path: &str) -> Result<Loaded, String> {
        self(path)
    }
}

/// The outcome of one suite.
#[derive(Debug, Default)]
pub struct SuiteReport {
    /// Problems in the suite itself; with any error, no case was run.
    pub diagnostics: Vec<TestError>,
    /// The policy as named in the suite.
    pub policy_path: Option<String>,
    /// The policy's source, when it was read (for rendering its diagnostics).
    pub policy_source: Option<SourceFile>,
    /// The policy's own errors, when it does not check.
    pub policy_diagnostics: Vec<PolicyError>,
    /// Every rule of the policy, in source order.
    pub rules: Vec<String>,
    /// Whether the policy has a `default`.
    pub has_default: bool,
    /// The cases that ran, in file order.
    pub cases: Vec<CaseReport>,
    /// The checked policy, when it checks (for rendering traces).
    pub policy: Option<Policy>,
}

impl SuiteReport {
    /// Whether the suite has errors (not warnings): then no case was run.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| !d.is_warning())
    }

    /// Whether a file the suite names could not be read.
    pub fn has_io_error(&self) -> bool {
        self.diagnostics.iter().any(TestError::is_io)
    }

    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.len().saturating_sub(self.passed())
    }

    /// Rules that applied in some case.
    pub fn applied_rules(&self) -> impl Iterator<Item = &str> {
        self.cases
            .iter()
            .flat_map(|c| c.applied.iter().map(String::as_str))
    }

    /// Rules no case applied, in source order.
    pub fn uncovered(&self) -> Vec<&str> {
        let applied: std::collections::HashSet<&str> = self.applied_rules().collect();
        self.rules
            .iter()
            .map(String::as_str)
            .filter(|r| !applied.contains(r))
            .collect()
    }
}

/// One expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What was compared: `decision`, `rule`, `provider`, ...
    pub what: &'static str,
    /// As expected.
    pub expected: String,
    /// As found.
    pub actual: String,
}

/// The outcome of one case.
#[derive(Clone, Debug)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// 1-based line of its `case` line.
    pub line: usize,
    /// Every expectation that did not hold (empty: the case passed).
    pub mismatches: Vec<Mismatch>,
    /// An override that could not be applied to the base event.
    pub problem: Option<String>,
    /// The decision as SPEC §8 JSON (null when the case could not run).
    pub decision: Json,
    /// Rules that applied.
    pub applied: Vec<String>,
    /// Whether the `default` decided.
    pub by_default: bool,
    /// The explanation: decision, deciding rule, other applying rules, errors.
    pub explanation: String,
    /// The full trace (every rule, every comparison with the values it read).
    pub trace: Option<eval::Explanation>,
}

impl CaseReport {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.problem.is_none()
    }
}

/// Parses and runs one suite. `default_now_ms` is used by cases whose suite
/// and case fix no `now`.
pub fn run_suite(
    source: &SourceFile,
    loader: &mut dyn Loader,
    schema: &Schema,
    default_now_ms: i64,
) -> SuiteReport {
    let (suite, diagnostics) = parse_suite(&source.text);
    let mut report = SuiteReport {
        diagnostics,
        ..SuiteReport::default()
    };
    let prepared = prepare(&suite, loader, schema, &mut report);
    report.diagnostics.sort_by_key(|d| {
        use miette::Diagnostic as _;
        d.labels()
            .and_then(|mut l| l.next())
            .map_or(0, |l| l.offset())
    });
    if report.has_errors() {
        return report;
    }
    let Some(p) = prepared else { return report };
    for (i, case) in suite.cases.iter().enumerate() {
        report
            .cases
            .push(run_case(&suite, i, case, &p, default_now_ms));
    }
    report.policy = Some(p.policy);
    report
}

struct Prepared {
    policy: Policy,
    events: HashMap<String, Json>,
    setup: Vec<Target>,
    cases: Vec<Vec<Target>>,
}

fn missing(message: &str, label: &str, help: &str) -> TestError {
    TestError::Missing {
        message: message.into(),
        span: Span::new(0, 0).into(),
        label: label.into(),
        help: Some(help.into()),
    }
}

fn prepare(
    suite: &Suite,
    loader: &mut dyn Loader,
    schema: &Schema,
    report: &mut SuiteReport,
) -> Option<Prepared> {
    let Some(policy_ref) = &suite.policy else {
        report.diagnostics.push(missing(
            "the suite names no policy",
            "expected `policy FILE`",
            "start the suite with `policy my.mfapolicy` (relative to the suite file)",
        ));
        return None;
    };
    if suite.event.is_none() && suite.cases.iter().any(|c| c.event.is_none()) {
        report.diagnostics.push(missing(
            "the suite names no base event",
            "expected `event FILE`",
            "add `event events/login.json` before the first case, or one inside every case",
        ));
    }
    report.policy_path = Some(policy_ref.value.clone());
    let loaded = match loader.load(&policy_ref.value) {
        Ok(l) => l,
        Err(message) => {
            report.diagnostics.push(TestError::Io {
                message,
                span: policy_ref.span.into(),
            });
            return None;
        }
    };
    let src = SourceFile::new(loaded.name.as_str(), loaded.text.as_str());
    report.policy_source = Some(src.clone());
    // Included files are read through the suite's loader too: a path in an
    // `include` is relative to the including file, which the loader knows
    // by its path relative to the suite.
    let mut relative: std::collections::HashMap<String, String> =
        std::collections::HashMap::from([(loaded.name.clone(), policy_ref.value.clone())]);
    let mut includes = |from: &str, path: &str| {
        let from_rel = relative
            .get(from)
            .cloned()
            .unwrap_or_else(|| from.to_string());
        let rel = std::path::Path::new(&from_rel)
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join(path)
            .display()
            .to_string();
        let l = loader.load(&rel)?;
        relative.insert(l.name.clone(), rel);
        Ok(SourceFile::new(l.name, l.text))
    };
    let compiled = crate::compile_with(&src, schema, &mut includes);
    let ast = syntax::parse(&src.text).ok();
    let (Some(policy), Some(ast)) = (compiled.policy, ast) else {
        let errors: Vec<PolicyError> = compiled
            .diagnostics
            .into_iter()
            .filter(|d| !d.is_warning())
            .collect();
        report.diagnostics.push(TestError::PolicyErrors {
            policy: policy_ref.value.clone(),
            count: errors.len(),
            span: policy_ref.span.into(),
        });
        report.policy_diagnostics = errors;
        return None;
    };
    report.rules = policy.rules.iter().map(|r| r.name.to_string()).collect();
    report.has_default = policy.default.is_some();

    let mut events = HashMap::new();
    let event_refs = suite
        .event
        .iter()
        .chain(suite.cases.iter().filter_map(|c| c.event.as_ref()));
    for r in event_refs {
        if events.contains_key(&r.value) {
            continue;
        }
        match loader.load(&r.value) {
            Err(message) => report.diagnostics.push(TestError::Io {
                message,
                span: r.span.into(),
            }),
            Ok(l) => match eval::parse_event(&l.text) {
                Ok(j) => {
                    events.insert(r.value.clone(), j);
                }
                Err(e) => report.diagnostics.push(TestError::BadEvent {
                    event: r.value.clone(),
                    reason: e.to_string(),
                    span: r.span.into(),
                }),
            },
        }
    }

    let reads = unread::policy_reads(&policy);
    let mut check = |ov| match check_override(&ast, schema, ov) {
        Ok(t) => {
            report
                .diagnostics
                .extend(unread::unread(ov, &t, &reads, schema));
            Some(t)
        }
        Err(errs) => {
            report.diagnostics.extend(errs);
            None
        }
    };
    let setup: Vec<Target> = suite.setup.iter().filter_map(&mut check).collect();
    let cases: Vec<Vec<Target>> = suite
        .cases
        .iter()
        .map(|c| c.overrides.iter().filter_map(&mut check).collect())
        .collect();
    for case in &suite.cases {
        for e in &case.expects {
            check_expect(e, &policy, schema, &mut report.diagnostics);
        }
    }
    Some(Prepared {
        policy,
        events,
        setup,
        cases,
    })
}

fn check_expect(e: &Located<Expect>, policy: &Policy, schema: &Schema, out: &mut Vec<TestError>) {
    let names = || policy.rules.iter().map(|r| r.name.as_ref());
    let mut rule = |name: &str, span: Span| {
        if names().any(|n| n == name) {
            return;
        }
        let help = match did_you_mean(name, names()) {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None if policy.rules.is_empty() => Some("the policy has no rules".into()),
            None => Some(format!(
                "the rules are: {}",
                names().collect::<Vec<_>>().join(", ")
            )),
        };
        out.push(TestError::UnknownRule {
            rule: name.to_string(),
            span: span.into(),
            help,
        });
    };
    match &e.value {
        Expect::Rule(RuleRef::Named(n)) => rule(n, e.span),
        Expect::Applied(list) => list.iter().for_each(|n| rule(&n.value, n.span)),
        Expect::Provider(p) => {
            let allowed = schema.enum_values(schema.providers);
            if !allowed.iter().any(|a| a == p) {
                out.push(bad_value_expectation("provider", p, allowed, e.span));
            }
        }
        Expect::Factors(fs) => {
            let allowed = schema.enum_values(schema.factors);
            for f in fs {
                if !allowed.iter().any(|a| *a == f.value) {
                    out.push(bad_value_expectation("factor", &f.value, allowed, f.span));
                }
            }
        }
        _ => {}
    }
}

fn bad_value_expectation(
    what: &str,
    value: &str,
    allowed: &[crate::schema::Text],
    span: Span,
) -> TestError {
    let help = match did_you_mean(value, allowed.iter().map(|a| a.as_ref())) {
        Some(s) => format!("did you mean `\"{s}\"`?"),
        None => format!("expected one of {}", one_of(allowed)),
    };
    TestError::BadExpectation {
        message: format!("`{value}` is not a {what}"),
        span: span.into(),
        label: format!("unknown {what}"),
        help: Some(help),
    }
}

fn run_case(
    suite: &Suite,
    idx: usize,
    case: &Case,
    p: &Prepared,
    default_now_ms: i64,
) -> CaseReport {
    let now = case
        .now
        .as_ref()
        .or(suite.now.as_ref())
        .map_or(default_now_ms, |n| n.value);
    let mut report = CaseReport {
        name: case.name.clone(),
        line: case.line,
        mismatches: Vec::new(),
        problem: None,
        decision: Json::Null,
        applied: Vec::new(),
        by_default: false,
        explanation: String::new(),
        trace: None,
    };
    let event_ref = case.event.as_ref().or(suite.event.as_ref());
    let Some(mut event) = event_ref.and_then(|r| p.events.get(&r.value)).cloned() else {
        report.problem = Some("no base event".into());
        return report;
    };
    let targets = p.setup.iter().chain(p.cases.get(idx).into_iter().flatten());
    for t in targets {
        if let Err(msg) = apply(&mut event, t, now) {
            report.problem = Some(format!("`{}`: {msg}", t.text));
            return report;
        }
    }
    let trace = eval::explain(&p.policy, &event, now);
    let d = trace.decision.clone();
    report.decision = d.to_json(&p.policy);
    report.applied = d
        .applied
        .iter()
        .filter_map(|i| p.policy.rules.get(*i).map(|r| r.name.to_string()))
        .collect();
    report.by_default = d.by_default;
    report.explanation = d.summary(&p.policy);
    report.trace = Some(trace);
    for e in &case.expects {
        if let Some(m) = compare(&e.value, &d, &p.policy, &report.applied) {
            report.mismatches.push(m);
        }
    }
    let has_errors_expectation = case
        .expects
        .iter()
        .any(|e| matches!(e.value, Expect::Errors(_)));
    if !has_errors_expectation && !d.errors.is_empty() {
        report.mismatches.push(Mismatch {
            what: "errors",
            expected: "no runtime errors (add `expect errors` if they are intended)".into(),
            actual: format!(
                "{} runtime error{}",
                d.errors.len(),
                if d.errors.len() == 1 { "" } else { "s" }
            ),
        });
    }
    report
}

fn compare(e: &Expect, d: &Decision, policy: &Policy, applied: &[String]) -> Option<Mismatch> {
    let (what, expected, actual) = match e {
        Expect::Decision(k) => (
            "decision",
            k.as_str().to_string(),
            d.kind.as_str().to_string(),
        ),
        Expect::Rule(r) => {
            let expected = match r {
                RuleRef::Default => "default".to_string(),
                RuleRef::None => "none".to_string(),
                RuleRef::Named(n) => n.clone(),
            };
            (
                "rule",
                expected,
                d.rule_name(policy).unwrap_or("none").to_string(),
            )
        }
        Expect::Provider(p) => {
            let actual = match &d.effect {
                Some(Effect::Require(Challenge::Provider { provider, .. })) => provider.to_string(),
                _ => "(no provider)".into(),
            };
            ("provider", p.clone(), actual)
        }
        Expect::Factors(fs) => {
            let actual = match &d.effect {
                Some(Effect::Require(c)) => match c.first_factors() {
                    Some(a) => list(a.iter().map(|f| f.as_ref())),
                    None => "(no factors)".into(),
                },
                _ => "(no factors)".into(),
            };
            ("factors", list(fs.iter().map(|f| f.value.as_str())), actual)
        }
        Expect::Steps(want) => {
            let show = |steps: &mut dyn Iterator<Item = (ir::StepKind, Vec<&str>)>| {
                let parts: Vec<String> = steps
                    .map(|(k, fs)| format!("{} {}", k.as_str(), list(fs.into_iter())))
                    .collect();
                if parts.is_empty() {
                    "(no steps)".to_string()
                } else {
                    parts.join(" then ")
                }
            };
            let have = match &d.effect {
                Some(Effect::Require(c)) => c.steps(),
                _ => Vec::new(),
            };
            let actual = show(
                &mut have
                    .iter()
                    .map(|s| (s.kind, s.factors.iter().map(|f| f.as_ref()).collect())),
            );
            let expected = show(
                &mut want
                    .iter()
                    .map(|(k, fs)| (*k, fs.iter().map(|f| f.value.as_str()).collect())),
            );
            ("steps", expected, actual)
        }
        Expect::RememberBrowser(b) => {
            let actual = matches!(
                &d.effect,
                Some(Effect::Require(Challenge::Provider {
                    remember_browser: true,
                    ..
                }))
            );
            ("remember_browser", b.to_string(), actual.to_string())
        }
        Expect::Reason(r) => {
            let actual = match &d.effect {
                Some(Effect::Deny { reason }) => reason.as_deref().map(str::to_string),
                _ => None,
            };
            ("reason", quoted(r.as_deref()), quoted(actual.as_deref()))
        }
        Expect::Errors(b) => {
            let n = d.errors.len();
            let actual = if n == 0 {
                "no errors".to_string()
            } else {
                format!("{n} runtime error{}", if n == 1 { "" } else { "s" })
            };
            if *b == (n > 0) {
                return None;
            }
            (
                "errors",
                if *b {
                    "runtime errors".into()
                } else {
                    "no errors".into()
                },
                actual,
            )
        }
        Expect::Applied(names) => (
            "applied",
            list(names.iter().map(|n| n.value.as_str())),
            list(applied.iter().map(String::as_str)),
        ),
    };
    (expected != actual).then_some(Mismatch {
        what,
        expected,
        actual,
    })
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    format!(
        "[{}]",
        items
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn quoted(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_string(), |s| format!("{s:?}"))
}
