//! `mfapol verify`: proves or refutes each assertion (SPEC §12), warns
//! about rules that can never apply or never decide, and with
//! `--never-errors` proves that no condition can raise (SPEC §13).

use super::render::{self, color};
use super::{files, EvalFormat, EXIT_REJECTED, EXIT_USAGE};
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use mfapol::verify::{self, ErrorVerdict, Verdict};
use mfapol::{compile_with, schema};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Files or directories (searched recursively for *.mfapolicy); default: the current directory
    paths: Vec<PathBuf>,
    /// Output format: `human` (proved assertions on stdout, findings as
    /// diagnostics on stderr, each counterexample on a line of its own) or
    /// `json` (one array, an object per file)
    #[arg(long, value_enum, default_value_t = EvalFormat::Human, hide_possible_values = true)]
    format: EvalFormat,
    /// Also prove, per rule and assertion, that its condition raises a
    /// run-time error on no login (or show a login on which it does)
    #[arg(long)]
    never_errors: bool,
    /// Write each counterexample event to a file in DIR
    /// (`FILE-STEM.NAME.json`), ready for `mfapol eval`
    #[arg(long, value_name = "DIR")]
    save_counterexamples: Option<PathBuf>,
}

#[derive(Default)]
struct Totals {
    proved: usize,
    refuted: usize,
    unknown: usize,
    warnings: usize,
    errors: usize,
}

pub fn run(a: &VerifyArgs) -> u8 {
    let files = match files::collect(&a.paths) {
        Ok(f) => f,
        Err(msg) => {
            errln!("error: {msg}");
            return EXIT_USAGE;
        }
    };
    if files.is_empty() {
        errln!("error: no .mfapolicy files found: nothing was verified");
        return EXIT_REJECTED;
    }
    if let Some(dir) = &a.save_counterexamples {
        if let Err(e) = std::fs::create_dir_all(dir) {
            errln!("error: cannot create `{}`: {e}", dir.display());
            return EXIT_USAGE;
        }
    }
    let mut t = Totals::default();
    let mut json_out = Vec::new();
    let mut io_failed = false;
    for path in &files {
        match one_file(a, path, &mut t) {
            Ok(Some(j)) => json_out.push(j),
            Ok(None) => {}
            Err(code) => {
                if code == EXIT_USAGE {
                    io_failed = true;
                } else {
                    t.errors += 1;
                }
            }
        }
    }
    match a.format {
        EvalFormat::Json => outln!("{}", Json::Array(json_out)),
        EvalFormat::Human => {
            let n = files.len();
            outln!(
                "{n} file{} verified: {} proved, {} refuted, {} unknown, {} warning{}{}",
                if n == 1 { "" } else { "s" },
                t.proved,
                t.refuted,
                t.unknown,
                t.warnings,
                if t.warnings == 1 { "" } else { "s" },
                if t.errors > 0 {
                    format!(
                        ", {} check error{}",
                        t.errors,
                        if t.errors == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                },
            );
        }
    }
    if io_failed {
        EXIT_USAGE
    } else if t.refuted + t.unknown + t.errors > 0 {
        EXIT_REJECTED
    } else {
        0
    }
}

/// Verifies one file; its JSON object with `--format json`.
fn one_file(a: &VerifyArgs, path: &Path, t: &mut Totals) -> Result<Option<Json>, u8> {
    let color = color();
    let human = a.format == EvalFormat::Human;
    let name = path.display().to_string();
    let text = files::read_text(path, &name)?;
    let src = files::keyed(SourceFile::new(name.as_str(), text), path);
    let compiled = compile_with(&src, schema::auth0_post_login(), &mut files::include_loader);
    // The file's check diagnostics first, as `check` shows them.
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for d in &compiled.diagnostics {
        if d.is_warning() {
            t.warnings += 1;
        } else {
            t.errors += 1;
        }
        if human {
            err!("{}", render::render(&src, d, color));
        } else if d.is_warning() {
            warnings.push(render::json(&name, &src, d));
        } else {
            errors.push(render::json(&name, &src, d));
        }
    }
    let Some(policy) = compiled.policy.as_ref() else {
        if human {
            errln!("error: {name} has check errors; it was not verified");
        }
        return Ok((!human).then(
            || json!({"file": name, "errors": errors, "assertions": [], "warnings": warnings}),
        ));
    };
    let report = verify::verify(policy);
    let findings = verify::findings(policy, &report, &name);
    let mut asserts = Vec::new();
    let mut events: Vec<(String, Json)> = Vec::new();
    for (assertion, verdict) in policy.asserts.iter().zip(&report.assertions) {
        match verdict {
            Verdict::Proved => t.proved += 1,
            Verdict::Refuted(cx) => {
                t.refuted += 1;
                events.push((assertion.name.to_string(), cx.event.clone()));
            }
            Verdict::Unknown(_) => t.unknown += 1,
        }
        if human {
            if let Verdict::Proved = verdict {
                outln!(
                    "{name}:{}: assert `{}`: proved",
                    assertion.line,
                    assertion.name
                );
            }
            continue;
        }
        let mut o = json!({
            "name": assertion.name.as_ref(),
            "line": assertion.line,
            "result": verdict.as_str(),
        });
        match verdict {
            Verdict::Refuted(cx) => {
                o["counterexample"] = json!({
                    "event": cx.event,
                    "now": verify::time_text(cx.now_ms),
                    "decision": cx.decision.to_json(policy),
                });
            }
            Verdict::Unknown(why) => o["reason"] = json!(why),
            Verdict::Proved => {}
        }
        asserts.push(o);
    }
    // Refuted and unknown assertions, then rule warnings, each refutation
    // followed by its event on a line of its own (copyable JSON).
    let mut refuted = events.iter();
    for f in &findings {
        if f.is_warning() {
            t.warnings += 1;
        }
        if human {
            err!("{}", render::render(&src, f, color));
            if let verify::Finding::Refuted { .. } = f {
                if let Some((_, ev)) = refuted.next() {
                    errln!("{ev}");
                }
            }
        } else if f.is_warning() {
            warnings.push(render::json(&name, &src, f));
        }
    }
    let never = a
        .never_errors
        .then(|| never_errors(policy, &src, &name, human, t));
    if let Some((_, evs)) = &never {
        events.extend(evs.iter().cloned());
    }
    if let Some(dir) = &a.save_counterexamples {
        save(dir, path, &events)?;
    }
    if human {
        return Ok(None);
    }
    let mut o = json!({
        "file": name,
        "errors": errors,
        "assertions": asserts,
        "warnings": warnings,
    });
    if let Some((entries, _)) = never {
        o["never_errors"] = Json::Array(entries);
    }
    Ok(Some(o))
}

/// `--never-errors`: the JSON entries, and the events of refutations.
fn never_errors(
    policy: &Policy,
    src: &SourceFile,
    name: &str,
    human: bool,
    t: &mut Totals,
) -> (Vec<Json>, Vec<(String, Json)>) {
    let checks = verify::never_errors(policy);
    let mut entries = Vec::new();
    let mut events = Vec::new();
    for c in &checks {
        match &c.verdict {
            ErrorVerdict::Proved => {
                t.proved += 1;
                if human {
                    outln!(
                        "{name}:{}: {} `{}`: never raises (proved)",
                        c.line,
                        if c.assertion { "assert" } else { "rule" },
                        c.name
                    );
                }
            }
            ErrorVerdict::Refuted { event, .. } => {
                t.refuted += 1;
                events.push((format!("{}.raises", c.name), event.clone()));
            }
            ErrorVerdict::Unknown(_) => t.unknown += 1,
        }
        let (counterexample, error) = match &c.verdict {
            ErrorVerdict::Refuted {
                event,
                now_ms,
                error,
            } => (
                json!({"event": event, "now": verify::time_text(*now_ms)}),
                json!(error),
            ),
            _ => (Json::Null, Json::Null),
        };
        let mut o = json!({
            "rule": c.name,
            "line": c.line,
            "result": c.verdict.as_str(),
            "counterexample": counterexample,
            "error": error,
        });
        if c.assertion {
            o["assertion"] = json!(true);
        }
        if let ErrorVerdict::Unknown(why) = &c.verdict {
            o["reason"] = json!(why);
        }
        entries.push(o);
    }
    if human {
        let color = color();
        let findings = verify::error_findings(policy, &checks, name);
        let mut refuted = checks.iter().filter_map(|c| match &c.verdict {
            ErrorVerdict::Refuted { event, .. } => Some(event),
            _ => None,
        });
        for f in &findings {
            err!("{}", render::render(src, f, color));
            if let verify::Finding::MayRaise { .. } = f {
                if let Some(ev) = refuted.next() {
                    errln!("{ev}");
                }
            }
        }
    }
    (entries, events)
}

/// Writes each counterexample to `DIR/STEM.NAME.json`.
fn save(dir: &Path, policy: &Path, events: &[(String, Json)]) -> Result<(), u8> {
    let stem = policy
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "policy".into());
    for (name, ev) in events {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let file = dir.join(format!("{stem}.{safe}.json"));
        let mut text = ev.to_string();
        text.push('\n');
        if let Err(e) = files::write_atomic(&file, text.as_bytes()) {
            errln!("error: cannot write `{}`: {e}", file.display());
            return Err(EXIT_USAGE);
        }
    }
    Ok(())
}
