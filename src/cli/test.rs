//! `mfapol test [PATH...]`: run `.mfatest` suites, one line per case, a
//! closing `N passed, M failed`; JSON or JUnit XML for CI.

use super::escape::escape;
use super::render::{self, color};
use super::{files, TestFormat, EXIT_REJECTED, EXIT_USAGE};
use mfapol::schema;
use mfapol::source::SourceFile;
use mfapol::testing::{self, CaseReport, Loaded, SuiteReport};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One suite file and what became of it.
struct Ran {
    file: String,
    source: SourceFile,
    report: SuiteReport,
    /// Where the policy resolves to, for grouping coverage across suites.
    policy_key: Option<String>,
}

/// Runs `mfapol test`; returns the exit code.
pub fn run(paths: &[PathBuf], format: TestFormat, coverage: bool, now: Option<&str>) -> u8 {
    let now = match super::eval::now_ms(now) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let suites = match files::collect_ext(paths, testing::EXTENSION) {
        Ok(s) => s,
        Err(msg) => {
            errln!("error: {msg}");
            return EXIT_USAGE;
        }
    };
    let color = color();
    let mut io_error = false;
    let mut rejected = false;
    let mut ran = Vec::new();
    for path in &suites {
        let shown = path.display().to_string();
        let file = shown.strip_prefix("./").unwrap_or(&shown).to_string();
        let bytes = match files::read_bytes(path) {
            Ok(b) => b,
            Err(msg) => {
                errln!("error: {msg}");
                io_error = true;
                continue;
            }
        };
        let text = match render::utf8(&file, bytes) {
            Ok(t) => t,
            Err((e, bytes)) => {
                let src = SourceFile::new(file.as_str(), render::lossy(&bytes));
                err!("{}", render::render(&src, &e, color));
                rejected = true;
                continue;
            }
        };
        let source = SourceFile::new(file.as_str(), text);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut loader = |rel: &str| load_relative(&dir, rel);
        let report = testing::run_suite(&source, &mut loader, schema::auth0_post_login(), now);
        let policy_key = report.policy_path.as_ref().map(|p| {
            let joined = dir.join(p);
            std::fs::canonicalize(&joined)
                .unwrap_or(joined)
                .display()
                .to_string()
        });
        ran.push(Ran {
            file,
            source,
            report,
            policy_key,
        });
    }
    for r in &ran {
        for d in &r.report.diagnostics {
            err!("{}", render::render(&r.source, d, color));
        }
        if let Some(src) = &r.report.policy_source {
            for d in &r.report.policy_diagnostics {
                err!("{}", render::render(src, d, color));
            }
        }
        io_error |= r.report.has_io_error();
        rejected |= r.report.has_errors();
        if r.report.cases.is_empty() && !r.report.has_errors() {
            // A suite without cases passes vacuously: a CI gate must not.
            errln!(
                "error: `{}` has no cases: nothing was tested",
                escape(&r.file)
            );
            rejected = true;
        }
    }
    let passed: usize = ran.iter().map(|r| r.report.passed()).sum();
    let failed: usize = ran.iter().map(|r| r.report.failed()).sum();
    let broken = ran.iter().filter(|r| r.report.has_errors()).count();
    let cov = if coverage {
        coverage_of(&ran)
    } else {
        Vec::new()
    };
    match format {
        TestFormat::Human => human(&ran, &cov, coverage),
        TestFormat::Json => outln!("{}", json_report(&ran, &cov, coverage, passed, failed)),
        TestFormat::Junit => out!("{}", junit(&ran)),
    }
    if broken > 0 {
        errln!(
            "error: {broken} suite{} could not run (see the diagnostics above)",
            if broken == 1 { "" } else { "s" }
        );
    }
    if suites.is_empty() {
        errln!("error: no test suites (*.{}) found", testing::EXTENSION);
        rejected = true;
    }
    let summary = format!("{passed} passed, {failed} failed");
    match format {
        TestFormat::Human => outln!("{summary}"),
        _ => errln!("{summary}"),
    }
    if io_error {
        EXIT_USAGE
    } else if rejected || failed > 0 {
        EXIT_REJECTED
    } else {
        0
    }
}

fn load_relative(dir: &Path, rel: &str) -> Result<Loaded, String> {
    // Named by a suite, not on the command line: regular files only.
    files::read_named(&dir.join(rel)).map(|(name, text)| Loaded { name, text })
}

/// Per policy: rules no case of any suite applied, and whether the default ever decided.
struct Coverage {
    policy: String,
    rules: usize,
    uncovered: Vec<String>,
    default_unused: bool,
}

fn coverage_of(ran: &[Ran]) -> Vec<Coverage> {
    let mut groups: BTreeMap<&str, Vec<&Ran>> = BTreeMap::new();
    for r in ran.iter().filter(|r| r.report.policy.is_some()) {
        if let Some(k) = &r.policy_key {
            groups.entry(k.as_str()).or_default().push(r);
        }
    }
    groups
        .into_values()
        .filter_map(|rs| {
            let first = rs.first()?;
            let applied: std::collections::HashSet<&str> =
                rs.iter().flat_map(|r| r.report.applied_rules()).collect();
            let uncovered = first
                .report
                .rules
                .iter()
                .filter(|r| !applied.contains(r.as_str()))
                .cloned()
                .collect();
            let default_used = rs
                .iter()
                .any(|r| r.report.cases.iter().any(|c| c.by_default));
            Some(Coverage {
                policy: first
                    .report
                    .policy_source
                    .as_ref()
                    .map(|s| s.name.to_string())
                    .unwrap_or_default(),
                rules: first.report.rules.len(),
                uncovered,
                default_unused: first.report.has_default && !default_used,
            })
        })
        .collect()
}

fn failure_lines(c: &CaseReport) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &c.problem {
        out.push(format!("could not build the event: {p}"));
    }
    for m in &c.mismatches {
        out.push(format!(
            "{}: expected {}, got {}",
            m.what, m.expected, m.actual
        ));
    }
    out
}

fn trace_text(r: &Ran, c: &CaseReport) -> String {
    match (&r.report.policy, &r.report.policy_source, &c.trace) {
        (Some(p), Some(src), Some(t)) => super::explain::human(p, src, t),
        _ => c.explanation.clone(),
    }
}

fn human(ran: &[Ran], cov: &[Coverage], coverage: bool) {
    for r in ran {
        for c in &r.report.cases {
            let (file, name) = (escape(&r.file), escape(&c.name));
            if c.passed() {
                outln!("ok   {file}: {name}");
                continue;
            }
            outln!("FAIL {file}: {name} (line {})", c.line);
            for l in failure_lines(c) {
                outln!("     {}", escape(&l));
            }
            if c.trace.is_some() {
                outln!("     explanation:");
                for l in trace_text(r, c).split('\n') {
                    if l.trim().is_empty() {
                        outln!();
                    } else {
                        outln!("       {}", escape(l));
                    }
                }
            }
        }
    }
    if coverage {
        for c in cov {
            if c.uncovered.is_empty() {
                outln!(
                    "coverage: {}: every rule ({}) applied in some case",
                    escape(&c.policy),
                    c.rules
                );
            } else {
                outln!(
                    "coverage: {}: {} of {} rules never applied: {}",
                    escape(&c.policy),
                    c.uncovered.len(),
                    c.rules,
                    c.uncovered.join(", ")
                );
            }
            if c.default_unused {
                outln!("coverage: {}: the default never decided", escape(&c.policy));
            }
        }
    }
}

fn json_report(
    ran: &[Ran],
    cov: &[Coverage],
    coverage: bool,
    passed: usize,
    failed: usize,
) -> serde_json::Value {
    let suites: Vec<serde_json::Value> = ran
        .iter()
        .map(|r| {
            let diagnostics: Vec<serde_json::Value> = r
                .report
                .diagnostics
                .iter()
                .map(|d| render::json(&r.file, &r.source, d))
                .chain(r.report.policy_source.iter().flat_map(|src| {
                    r.report
                        .policy_diagnostics
                        .iter()
                        .map(|d| render::json(&src.name, src, d))
                }))
                .collect();
            let cases: Vec<serde_json::Value> = r
                .report
                .cases
                .iter()
                .map(|c| {
                    let mismatches: Vec<serde_json::Value> = c
                        .mismatches
                        .iter()
                        .map(
                            |m| json!({"what": m.what, "expected": m.expected, "actual": m.actual}),
                        )
                        .collect();
                    json!({
                        "name": c.name,
                        "line": c.line,
                        "passed": c.passed(),
                        "mismatches": mismatches,
                        "problem": c.problem,
                        "decision": c.decision,
                    })
                })
                .collect();
            json!({
                "file": r.file,
                "policy": r.report.policy_path,
                "diagnostics": diagnostics,
                "cases": cases,
            })
        })
        .collect();
    let mut out = json!({"suites": suites, "passed": passed, "failed": failed});
    if coverage {
        let c: Vec<serde_json::Value> = cov
            .iter()
            .map(|c| {
                json!({"policy": c.policy, "rules": c.rules, "uncovered": c.uncovered, "default_unused": c.default_unused})
            })
            .collect();
        if let serde_json::Value::Object(m) = &mut out {
            m.insert("coverage".into(), serde_json::Value::Array(c));
        }
    }
    out
}

/// Escapes text for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(ch),
            // Other control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn junit(ran: &[Ran]) -> String {
    let tests: usize = ran
        .iter()
        .map(|r| r.report.cases.len().max(usize::from(r.report.has_errors())))
        .sum();
    let failures: usize = ran.iter().map(|r| r.report.failed()).sum();
    let errors = ran.iter().filter(|r| r.report.has_errors()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"mfapol\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    ));
    for r in ran {
        let broken = r.report.has_errors();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
            xml(&r.file),
            r.report.cases.len().max(usize::from(broken)),
            r.report.failed(),
            usize::from(broken)
        ));
        if broken {
            let text: String = r
                .report
                .diagnostics
                .iter()
                .filter(|d| !d.is_warning())
                .map(|d| render::render(&r.source, d, false))
                .collect();
            let first = r
                .report
                .diagnostics
                .iter()
                .find(|d| !d.is_warning())
                .map(|d| d.to_string())
                .unwrap_or_default();
            out.push_str(&format!(
                "    <testcase name=\"(suite)\" classname=\"{}\">\n      <error message=\"{}\">{}</error>\n    </testcase>\n",
                xml(&r.file),
                xml(&first),
                xml(&text)
            ));
        }
        for c in &r.report.cases {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                xml(&c.name),
                xml(&r.file)
            ));
            if c.passed() {
                out.push_str("/>\n");
                continue;
            }
            let lines = failure_lines(c);
            let body = format!("{}\n\n{}", lines.join("\n"), trace_text(r, c));
            out.push_str(&format!(
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                xml(&lines.join("; ")),
                xml(&body)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
