//! `mfapol diff --from-action ACTION.js NEW EVENTS` (SPEC §11): the tenant's
//! existing Action, run in Node.js on every event with a recording `api`,
//! stands in for the old policy. Its calls map to decisions; a throw or a
//! timeout is `error` (Auth0 fails the login).

use mfapol::eval::{Decision, DecisionKind};
use mfapol::ir::{Challenge, Effect, FactorStep, StepKind};
use mfapol::replay::{self, lines, InputKind, Item};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

/// The runner, shipped inside the binary and written to a private
/// temporary directory for each run.
const RUNNER: &str = include_str!("action_runner.js");

/// What the Action decided for one event.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The decision its calls stand for (`error`: it threw or timed out).
    pub decision: Decision,
    /// The throw or timeout, in a few words.
    pub error: Option<String>,
}

/// Decisions keyed by input line and log entry.
pub type Outcomes = HashMap<(u64, Option<usize>), Outcome>;

/// Options of the run.
pub struct Options<'a> {
    pub action: &'a Path,
    pub secrets: Option<&'a Path>,
    pub node_modules: Option<&'a Path>,
    pub timeout_ms: u64,
    pub input: InputKind,
    pub now: Option<i64>,
    pub clock: i64,
}

/// Kills and reaps node when a run ends early (an error, a fatal load), so
/// no process outlives the command.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The runner, written into a fresh private directory (mode 0700, a name
/// no other user can guess or take). The directory and the file go when
/// the returned guard is dropped, on every path out of [`run`].
fn write_runner() -> Result<(tempfile::TempDir, std::path::PathBuf), String> {
    let why =
        |e: std::io::Error| format!("cannot write the runner: {}", super::files::io_reason(&e));
    let mut builder = tempfile::Builder::new();
    builder.prefix("mfapol-action-");
    // tempfile leaves a directory's mode to the umask (0755 with the usual
    // 022): make it the owner's alone.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder.tempdir().map_err(why)?;
    let path = dir.path().join("runner.js");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(why)?;
    file.write_all(RUNNER.as_bytes()).map_err(why)?;
    Ok((dir, path))
}

/// Checks the secrets file: a JSON object (the runner reads it again).
fn check_secrets(path: &Path) -> Result<(), String> {
    let bytes = super::files::read_bytes(path)?;
    match serde_json::from_slice::<Json>(&bytes) {
        Ok(Json::Object(_)) => Ok(()),
        _ => Err(format!(
            "`{}` is not a JSON object of secrets (`{{\"NAME\": \"value\"}}`)",
            path.display()
        )),
    }
}

/// Runs the Action on every event of `events` (a file: it is read again
/// by `diff`). `Err` is a message for a usage or I/O error (exit 2): no
/// such file, no `node`, a file that is not a post-login Action, a module
/// it requires that is not installed.
pub fn run(events: &Path, o: &Options<'_>) -> Result<Outcomes, String> {
    if events.as_os_str() == "-" {
        return Err("--from-action reads the events twice: give EVENTS as a file, not `-`".into());
    }
    if !o.action.is_file() {
        return Err(format!(
            "cannot read `{}`: no such file",
            o.action.display()
        ));
    }
    if let Some(s) = o.secrets {
        check_secrets(s)?;
    }
    let (_dir, runner) = write_runner()?;
    let mut cmd = Command::new("node");
    cmd.arg(&runner)
        .arg(o.action)
        .arg(
            o.secrets
                .map(|p| p.as_os_str().to_owned())
                .unwrap_or_default(),
        )
        .arg(o.timeout_ms.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(dir) = o.node_modules {
        cmd.env("NODE_PATH", dir);
    }
    let child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "`node` was not found on PATH: --from-action runs the Action in Node.js (version 20 or newer)".to_string()
        } else {
            format!("cannot start node: {}", super::files::io_reason(&e))
        }
    })?;
    let mut child = Reap(child);
    let (Some(mut stdin), Some(stdout)) = (child.0.stdin.take(), child.0.stdout.take()) else {
        return Err("cannot talk to node".into());
    };
    let file = std::fs::File::open(events).map_err(|e| {
        format!(
            "cannot read `{}`: {}",
            events.display(),
            super::files::io_reason(&e)
        )
    })?;
    let (input, now, clock) = (o.input, o.now, o.clock);
    // Events go to node from one thread while the results are read here.
    let writer = std::thread::spawn(move || -> Result<Vec<(u64, Option<usize>)>, String> {
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut keys = Vec::new();
        let (mut seq, mut first) = (0u64, 1u64);
        while let Some(chunk) = lines::read_chunk(&mut reader, seq, first, lines::CHUNK_LINES)
            .map_err(|e| super::files::io_reason(&e))?
        {
            seq = seq.saturating_add(1);
            first = first.saturating_add(chunk.len() as u64);
            for (no, line) in chunk.lines() {
                let Ok(line) = line else { continue };
                if lines::is_blank(line) {
                    continue;
                }
                for item in replay::read(line, input, None) {
                    if let Item::Event {
                        entry,
                        event,
                        origin,
                    } = item
                    {
                        let at = replay::event_time(now, origin.as_ref(), clock);
                        let msg = serde_json::json!({"now": at, "event": event});
                        if writeln!(stdin, "{msg}").is_err() {
                            return Ok(keys);
                        }
                        keys.push((no, entry));
                    }
                }
            }
        }
        Ok(keys)
    });
    let mut lines_out = BufReader::new(stdout).lines();
    // The first line says whether the file could be loaded as an Action.
    let status: Option<Json> = match lines_out.next() {
        Some(Ok(l)) => serde_json::from_str(&l).ok(),
        _ => None,
    };
    if let Some(fatal) = status
        .as_ref()
        .and_then(|s| s.get("fatal"))
        .and_then(Json::as_str)
    {
        return Err(format!("`{}`: {fatal}", o.action.display()));
    }
    let mut results = Vec::new();
    for line in lines_out {
        let line = line.map_err(|e| super::files::io_reason(&e))?;
        results.push(line);
    }
    let keys = writer
        .join()
        .map_err(|_| "the event reader failed".to_string())??;
    let status = child.0.wait().map_err(|e| super::files::io_reason(&e))?;
    if results.len() != keys.len() {
        return Err(format!(
            "node stopped after {} of {} events ({status})",
            results.len(),
            keys.len()
        ));
    }
    let mut out = Outcomes::new();
    for (key, line) in keys.into_iter().zip(results) {
        let v: Json = serde_json::from_str(&line)
            .map_err(|_| "node wrote something that is not a result line".to_string())?;
        out.insert(key, outcome(&v));
    }
    Ok(out)
}

/// SPEC §11: the calls to a decision. `access.deny` anywhere denies; else
/// the `challengeWith*`/`enrollWith*` calls are the steps, in order; else
/// the last `multifactor.enable` (provider `none` is skip); no call is none.
pub fn outcome(v: &Json) -> Outcome {
    let decision = |kind: DecisionKind, effect: Option<Effect>| Decision {
        kind,
        deciding: None,
        by_default: false,
        effect,
        applied: Vec::new(),
        errors: Vec::new(),
    };
    if let Some(e) = v.get("error").and_then(Json::as_str) {
        return Outcome {
            decision: decision(DecisionKind::Error, None),
            error: Some(e.to_string()),
        };
    }
    let calls: Vec<(&str, &Json)> = v
        .get("calls")
        .and_then(Json::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| Some((c.get(0)?.as_str()?, c.get(1)?)))
                .collect()
        })
        .unwrap_or_default();
    let arg = |args: &Json, i: usize| args.get(i).cloned().unwrap_or(Json::Null);
    if let Some((_, args)) = calls.iter().find(|(n, _)| *n == "access.deny") {
        let reason = arg(args, 0).as_str().map(Arc::from);
        return Outcome {
            decision: decision(DecisionKind::Deny, Some(Effect::Deny { reason })),
            error: None,
        };
    }
    let steps: Vec<FactorStep> = calls
        .iter()
        .filter_map(|(n, args)| {
            let kind = match *n {
                "authentication.challengeWith" | "authentication.challengeWithAny" => {
                    StepKind::Challenge
                }
                "authentication.enrollWith" | "authentication.enrollWithAny" => StepKind::Enroll,
                _ => return None,
            };
            let first = arg(args, 0);
            let mut items = match &first {
                Json::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            // `challengeWith(f, {additionalFactors: [...]})`: one step in
            // which the user may pick any of them (Auth0's documentation);
            // `enrollWith` takes the same option.
            if let Some(more) = arg(args, 1)
                .get("additionalFactors")
                .and_then(Json::as_array)
            {
                items.extend(more.iter().cloned());
            }
            let factors = items
                .iter()
                .filter_map(|f| f.get("type").and_then(Json::as_str).map(Arc::from))
                .collect();
            Some(FactorStep { kind, factors })
        })
        .collect();
    if !steps.is_empty() {
        let c = Challenge::from_steps(steps);
        let kind = if c.enrolls_first() {
            DecisionKind::EnrollMfa
        } else {
            DecisionKind::RequireMfa
        };
        return Outcome {
            decision: decision(kind, Some(Effect::Require(c))),
            error: None,
        };
    }
    if let Some((_, args)) = calls.iter().rev().find(|(n, _)| *n == "multifactor.enable") {
        let provider = arg(args, 0).as_str().unwrap_or("any").to_string();
        if provider == "none" {
            return Outcome {
                decision: decision(DecisionKind::SkipMfa, Some(Effect::Skip)),
                error: None,
            };
        }
        let remember_browser = arg(args, 1)
            .get("allowRememberBrowser")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        return Outcome {
            decision: decision(
                DecisionKind::RequireMfa,
                Some(Effect::Require(Challenge::Provider {
                    provider: Arc::from(provider.as_str()),
                    remember_browser,
                })),
            ),
            error: None,
        };
    }
    Outcome {
        decision: decision(DecisionKind::None, None),
        error: None,
    }
}
