//! `mfapol verify`: proves or refutes each assertion (SPEC §12) and warns
//! about rules that can never apply or never decide.

use super::render::{self, color};
use super::{files, EvalFormat, EXIT_REJECTED, EXIT_USAGE};
use mfapol::source::SourceFile;
use mfapol::verify::{self, Verdict};
use mfapol::{compile_with, schema};
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Files or directories (searched recursively for *.mfapolicy); default: the current directory
    paths: Vec<PathBuf>,
    /// Output format: `human` (proved assertions on stdout, findings as
    /// diagnostics on stderr) or `json` (one array, an object per file)
    #[arg(long, value_enum, default_value_t = EvalFormat::Human, hide_possible_values = true)]
    format: EvalFormat,
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
    let color = color();
    let mut t = Totals::default();
    let mut json_out = Vec::new();
    let mut io_failed = false;
    for path in &files {
        let name = path.display().to_string();
        let text = match files::read_text(path, &name) {
            Ok(t) => t,
            Err(code) => {
                if code == EXIT_USAGE {
                    io_failed = true;
                } else {
                    t.errors += 1;
                }
                continue;
            }
        };
        let src = files::keyed(SourceFile::new(name.as_str(), text), path);
        let compiled = compile_with(&src, schema::auth0_post_login(), &mut files::include_loader);
        let Some(policy) = compiled.policy.as_ref() else {
            let mut diags = Vec::new();
            for d in compiled.diagnostics.iter().filter(|d| !d.is_warning()) {
                t.errors += 1;
                match a.format {
                    EvalFormat::Human => err!("{}", render::render(&src, d, color)),
                    EvalFormat::Json => diags.push(render::json(&name, &src, d)),
                }
            }
            if a.format == EvalFormat::Human {
                errln!("error: {name} has check errors; it was not verified");
            }
            json_out.push(json!({"file": name, "errors": diags, "assertions": [], "warnings": []}));
            continue;
        };
        let report = verify::verify(policy);
        let findings = verify::findings(policy, &report, &name);
        let mut asserts = Vec::new();
        for (assertion, verdict) in policy.asserts.iter().zip(&report.assertions) {
            match verdict {
                Verdict::Proved => t.proved += 1,
                Verdict::Refuted(_) => t.refuted += 1,
                Verdict::Unknown(_) => t.unknown += 1,
            }
            match a.format {
                EvalFormat::Human => {
                    if let Verdict::Proved = verdict {
                        outln!(
                            "{name}:{}: assert `{}`: proved",
                            assertion.line,
                            assertion.name
                        );
                    }
                }
                EvalFormat::Json => {
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
            }
        }
        let mut warnings = Vec::new();
        for f in &findings {
            if f.is_warning() {
                t.warnings += 1;
            }
            match a.format {
                EvalFormat::Human => err!("{}", render::render(&src, f, color)),
                EvalFormat::Json if f.is_warning() => warnings.push(render::json(&name, &src, f)),
                EvalFormat::Json => {}
            }
        }
        if a.format == EvalFormat::Json {
            json_out.push(json!({
                "file": name,
                "errors": [],
                "assertions": asserts,
                "warnings": warnings,
            }));
        }
    }
    match a.format {
        EvalFormat::Json => outln!("{}", serde_json::Value::Array(json_out)),
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
