//! `mfapol diff OLD NEW --prove`: whether any possible login gets a weaker
//! (or any different) decision under NEW than under OLD (SPEC §13).

use super::render::{self, color};
use super::{eval, files, DiffArgs, EvalFormat, FailOn, EXIT_REJECTED, EXIT_USAGE};
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use mfapol::verify::{self, DiffVerdict};
use mfapol::{compile_with, schema};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn run(a: &DiffArgs) -> Result<u8, u8> {
    let (old_path, new_path): (&PathBuf, &PathBuf) = match (a.paths.as_slice(), &a.old_rev) {
        ([old, new], _) => (old, new),
        ([new], Some(_)) => (new, new),
        ([_], None) => {
            errln!("error: diff --prove takes OLD.mfapolicy NEW.mfapolicy (or NEW.mfapolicy with --old-rev REV)");
            return Err(EXIT_USAGE);
        }
        _ => {
            errln!("error: diff --prove takes no EVENTS: it reasons over every possible login; leave out --prove to compare on events");
            return Err(EXIT_USAGE);
        }
    };
    let (old, old_name) = match &a.old_rev {
        Some(rev) => load_from_git(rev, old_path)?,
        None => (
            eval::load_policy(old_path)?.0,
            old_path.display().to_string(),
        ),
    };
    let (new, _) = eval::load_policy(new_path)?;
    let new_name = new_path.display().to_string();
    let fail_on = match a.fail_on.unwrap_or(FailOn::Weaker) {
        FailOn::Weaker => verify::FailOn::Weaker,
        FailOn::Changed => verify::FailOn::Changed,
    };
    let what = match fail_on {
        verify::FailOn::Weaker => "weaker",
        verify::FailOn::Changed => "changed",
    };
    let verdict = verify::prove_diff(&old, &new, fail_on);
    match a.format {
        EvalFormat::Json => outln!("{}", json_report(&verdict, what, &old, &new)),
        EvalFormat::Human => human_report(&verdict, fail_on, &old, &new, &old_name, &new_name),
    }
    Ok(match verdict {
        DiffVerdict::Proved => 0,
        DiffVerdict::Refuted(_) | DiffVerdict::Unknown(_) => EXIT_REJECTED,
    })
}

fn json_report(v: &DiffVerdict, what: &str, old: &Policy, new: &Policy) -> serde_json::Value {
    let mut o = json!({
        "result": match v {
            DiffVerdict::Proved => "proved",
            DiffVerdict::Refuted(_) => "refuted",
            DiffVerdict::Unknown(_) => "unknown",
        },
        "fail_on": what,
        "counterexample": null,
        "old": null,
        "new": null,
        "reason": null,
        "assumptions": verify::ASSUMPTIONS,
    });
    match v {
        DiffVerdict::Proved => {}
        DiffVerdict::Refuted(cx) => {
            o["counterexample"] = json!({"event": cx.event, "now": verify::time_text(cx.now_ms)});
            o["old"] = cx.old.to_json(old);
            o["new"] = cx.new.to_json(new);
        }
        DiffVerdict::Unknown(why) => o["reason"] = json!(why),
    }
    o
}

fn human_report(
    v: &DiffVerdict,
    fail_on: verify::FailOn,
    old: &Policy,
    new: &Policy,
    old_name: &str,
    new_name: &str,
) {
    let claim = match fail_on {
        verify::FailOn::Weaker => {
            format!("no login gets a weaker decision under `{new_name}` than under `{old_name}`")
        }
        verify::FailOn::Changed => {
            format!("every login gets the same decision under `{old_name}` and `{new_name}`")
        }
    };
    match v {
        DiffVerdict::Proved => outln!("proved: {claim}"),
        DiffVerdict::Unknown(why) => {
            outln!("unknown: {claim} was neither proved nor refuted: {why}")
        }
        DiffVerdict::Refuted(cx) => {
            let moved = match fail_on {
                verify::FailOn::Weaker => "a weaker decision",
                verify::FailOn::Changed => "a different decision",
            };
            outln!("refuted: this login gets {moved} under `{new_name}` than under `{old_name}`");
            let now = verify::time_text(cx.now_ms);
            outln!("  old: {}", describe(&cx.old, old));
            outln!("  new: {}", describe(&cx.new, new));
            outln!(
                "  replay: save the event on the next line as event.json and run `mfapol eval {old_name} event.json --now {now}` and `mfapol eval {new_name} event.json --now {now}`"
            );
            outln!("{}", cx.event);
        }
    }
    outln!("assumptions: {}", verify::ASSUMPTIONS.join("; "));
}

/// `require_mfa (rule `corp`, factors ["otp"])`.
fn describe(d: &mfapol::eval::Decision, policy: &Policy) -> String {
    let rule = match d.rule_name(policy) {
        Some(r) if d.by_default => format!("the {r}"),
        Some(r) => format!("rule `{r}`"),
        None => "no rule applies".to_string(),
    };
    let j = d.to_json(policy);
    let mut extra = Vec::new();
    for k in ["provider", "factors", "steps", "remember_browser", "reason"] {
        match j.get(k) {
            None | Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false)) => {}
            Some(v) => extra.push(format!("{k} {v}")),
        }
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {}", extra.join(", "))
    };
    format!("{} ({rule}{extra})", d.kind.as_str())
}

/// OLD as it is at a git revision, its includes read from the same
/// revision.
fn load_from_git(rev: &str, path: &Path) -> Result<(Policy, String), u8> {
    if rev.starts_with('-') || rev.contains(':') || rev.is_empty() {
        errln!("error: `{rev}` is not a git revision");
        return Err(EXIT_USAGE);
    }
    let text = match git_show(rev, path) {
        Ok(t) => t,
        Err(why) => {
            errln!("error: cannot read `{}` at `{rev}`: {why}", path.display());
            return Err(EXIT_USAGE);
        }
    };
    let name = format!("{rev}:{}", path.display());
    let src = SourceFile::new(name.as_str(), text);
    let mut load = |from: &str, inc: &str| -> Result<SourceFile, String> {
        // `from` is `REV:PATH`; includes are relative to PATH's directory.
        let from_path = from.split_once(':').map_or(from, |(_, p)| p);
        let base = Path::new(from_path).parent().unwrap_or(Path::new(""));
        let full = base.join(inc);
        let text = git_show(rev, &full)?;
        Ok(SourceFile::new(format!("{rev}:{}", full.display()), text))
    };
    let compiled = compile_with(&src, schema::auth0_post_login(), &mut load);
    let color = color();
    for d in &compiled.diagnostics {
        err!("{}", render::render(&src, d, color));
    }
    match compiled.policy {
        Some(p) => Ok((p, name)),
        None => {
            errln!("error: `{name}` has check errors; nothing was proved");
            Err(EXIT_REJECTED)
        }
    }
}

/// `git show REV:./FILE`, run in the file's directory (so the path is the
/// file's as this process sees it).
fn git_show(rev: &str, path: &Path) -> Result<String, String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or_else(|| "not a file".to_string())?;
    let out = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["show", "--no-textconv"])
        .arg(format!("{rev}:./{file}"))
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr);
        return Err(msg
            .lines()
            .next()
            .unwrap_or("git failed")
            .trim()
            .to_string());
    }
    let text = String::from_utf8(out.stdout).map_err(|_| "the file is not UTF-8".to_string())?;
    if text.len() as u64 > files::MAX_FILE_BYTES {
        return Err("the file is too large".into());
    }
    Ok(text)
}
