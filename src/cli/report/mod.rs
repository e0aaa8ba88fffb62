//! `--report FILE.html` (SPEC §14): one self-contained HTML page for a
//! change board, from `diff` and batch `eval`.
//!
//! `diff` and batch `eval` count what the page shows while they read
//! ([`moves::DiffAgg`], [`mix::EvalAgg`]: bounded aggregates, never rows)
//! and add those counts to their JSON output. The page is then drawn from
//! that JSON object, so every number on it is the JSON's number; sample
//! logins are explained again under each policy, with personal data
//! hidden unless `--report-identities` ([`redact`]). The file is written
//! through a temporary file in the same directory and renamed.

mod chart;
pub mod diff_page;
pub mod eval_page;
mod html;
pub mod mix;
pub mod moves;
mod page;
mod redact;
pub mod tally;

use super::EXIT_USAGE;
use mfapol::eval::Explanation;
use mfapol::ir::Policy;
use mfapol::source::SourceFile;
use serde_json::Value as Json;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What a run counts for the report: nothing (human output without a
/// report: the counts would never be shown, so they cost nothing), the
/// counts for the JSON output, or the counts and sample events for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Count nothing.
    #[default]
    Off,
    /// Count for the JSON output.
    Json,
    /// Count, and keep sample events to explain on the page.
    Page,
}

impl Mode {
    /// `Page` with a report, else `Json` when the JSON shows the counts.
    pub fn of(report: &Option<Options>, json_shows_them: bool) -> Mode {
        match (report, json_shows_them) {
            (Some(_), _) => Mode::Page,
            (None, true) => Mode::Json,
            (None, false) => Mode::Off,
        }
    }
}

/// `--report FILE` and `--report-identities`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the page goes.
    pub path: PathBuf,
    /// Whether user ids and sample values are shown.
    pub identities: bool,
}

impl Options {
    /// The options, when `--report` was given.
    pub fn from_args(path: Option<&Path>, identities: bool) -> Option<Options> {
        path.map(|p| Options {
            path: p.to_path_buf(),
            identities,
        })
    }
}

/// One explanation of a sample: a heading and the `--explain` text.
#[derive(Debug, Clone)]
pub struct Trace {
    /// `old policy: old.mfapolicy`.
    pub title: String,
    /// The explanation.
    pub text: String,
}

/// The most rules an explanation on the page shows (the deciding rule,
/// the other applying rules, and the rule the other policy decided with).
const TRACE_RULES: usize = 8;

/// Explains `event` under `policy` for the page: the rules that matter
/// for this sample, with personal data hidden unless `identities`.
pub fn explain(
    title: String,
    policy: &Policy,
    src: &SourceFile,
    (event, now): &(Json, i64),
    other_rule: Option<&str>,
    identities: bool,
) -> Trace {
    let mut ex: Explanation = mfapol::eval::explain(policy, event, *now);
    let deciding = ex.decision.deciding;
    let relevant = |r: &mfapol::eval::RuleTrace| {
        r.applied
            || Some(r.index) == deciding
            || policy
                .rules
                .get(r.index)
                .is_some_and(|rule| Some(rule.name.as_ref()) == other_rule)
    };
    let all = ex.rules.len();
    let mut kept: Vec<mfapol::eval::RuleTrace> = Vec::new();
    // The deciding rule first, so a cut never drops it.
    kept.extend(
        ex.rules
            .iter()
            .filter(|r| Some(r.index) == deciding)
            .cloned(),
    );
    kept.extend(
        ex.rules
            .iter()
            .filter(|r| Some(r.index) != deciding && relevant(r))
            .take(TRACE_RULES.saturating_sub(kept.len()))
            .cloned(),
    );
    kept.sort_by_key(|r| r.index);
    ex.rules = kept;
    if !identities {
        redact::redact(&mut ex);
    }
    let mut text = super::explain::human(policy, src, &ex);
    let hidden = all.saturating_sub(ex.rules.len());
    if hidden > 0 {
        text.push_str(&format!(
            "\n({hidden} other rule{} not shown: `mfapol eval --explain` shows every rule)\n",
            if hidden == 1 { " is" } else { "s are" }
        ));
    }
    Trace { title, text }
}

/// Refuses, before any work, a report path that cannot be written (a
/// directory, or one whose directory does not exist) or that is one of
/// the command's own inputs (the page would replace a log export).
pub fn check_target<P: AsRef<Path>>(o: &Options, inputs: &[P]) -> Result<(), u8> {
    let shown = o.path.display();
    if let Ok(target) = std::fs::canonicalize(&o.path) {
        let clash = inputs
            .iter()
            .any(|i| std::fs::canonicalize(i).is_ok_and(|p| p == target));
        if clash {
            errln!("error: cannot write the report `{shown}`: it is an input of this command");
            return Err(EXIT_USAGE);
        }
    }
    if o.path.is_dir() {
        errln!("error: cannot write the report `{shown}`: is a directory");
        return Err(EXIT_USAGE);
    }
    let dir = parent(&o.path);
    if !dir.is_dir() {
        errln!(
            "error: cannot write the report `{shown}`: the directory `{}` does not exist",
            dir.display()
        );
        return Err(EXIT_USAGE);
    }
    Ok(())
}

fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes the page atomically: a fresh temporary file (`tempfile`, an
/// unguessable name) in the target's directory, synced, then renamed over
/// the target. A symlink at the target is replaced, not followed. A new
/// page is readable by its owner only when it holds identities.
pub fn write(o: &Options, html: &str) -> Result<(), u8> {
    write_inner(o, html).map_err(|e| {
        errln!(
            "error: cannot write the report `{}`: {}",
            o.path.display(),
            super::files::io_reason(&e)
        );
        EXIT_USAGE
    })
}

fn write_inner(o: &Options, html: &str) -> std::io::Result<()> {
    let existing = std::fs::symlink_metadata(&o.path).ok();
    if let Some(m) = &existing {
        if !m.is_file() && !m.file_type().is_symlink() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
    }
    let dir = parent(&o.path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".mfapol-report-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    tmp.write_all(html.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match &existing {
            Some(m) if m.is_file() => m.permissions().mode() & 0o777,
            _ if o.identities => 0o600,
            _ => 0o644,
        };
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&o.path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Says where the page went (stderr: stdout stays the command's output).
pub fn written(o: &Options) {
    errln!("report written to `{}`", o.path.display());
}

/// `events` or `Auth0 logs`.
pub fn input_name(input: mfapol::replay::InputKind) -> &'static str {
    match input {
        mfapol::replay::InputKind::Events => "post-login events",
        mfapol::replay::InputKind::Auth0Logs => "Auth0 tenant logs",
    }
}

/// A policy with its source and the name it was given.
pub type Named<'a> = (&'a Policy, &'a SourceFile, &'a str);

/// The explanations of `diff`'s samples, in the order of the JSON
/// `samples`: under the old policy (none for an Action) and the new one.
pub fn diff_traces(
    agg: &moves::DiffAgg,
    old: Option<Named<'_>>,
    new: Named<'_>,
    identities: bool,
) -> Vec<Vec<Trace>> {
    agg.samples
        .iter()
        .map(|(_, s)| {
            let Some(ev) = &s.event else {
                return Vec::new();
            };
            let mut out = Vec::new();
            if let Some((p, src, name)) = old {
                out.push(explain(
                    format!("old policy ({name})"),
                    p,
                    src,
                    ev,
                    s.new_rule.as_deref(),
                    identities,
                ));
            }
            let (p, src, name) = new;
            out.push(explain(
                format!("new policy ({name})"),
                p,
                src,
                ev,
                s.old_rule.as_deref(),
                identities,
            ));
            out
        })
        .collect()
}

/// The explanations of batch `eval`'s samples, in JSON order.
pub fn eval_traces(agg: &mix::EvalAgg, policy: Named<'_>, identities: bool) -> Vec<Vec<Trace>> {
    let (p, src, name) = policy;
    agg.samples_in_order()
        .into_iter()
        .map(|(_, s)| match &s.event {
            Some(ev) => vec![explain(
                format!("policy ({name})"),
                p,
                src,
                ev,
                None,
                identities,
            )],
            None => Vec::new(),
        })
        .collect()
}

/// What `diff` compared, for the page.
pub struct DiffSides<'a> {
    /// The old policy with its source (none for an Action).
    pub old: Option<(&'a Policy, &'a SourceFile)>,
    /// The old policy's or the Action's path as given.
    pub old_name: Option<String>,
    /// The new policy with its source.
    pub new: (&'a Policy, &'a SourceFile),
    /// Its path as given.
    pub new_name: String,
    /// The input's name.
    pub events: String,
    /// What the input holds.
    pub input: mfapol::replay::InputKind,
}

/// Writes `diff`'s page from its JSON object (`json`), explaining the
/// samples of `agg` under both sides.
pub fn write_diff(
    o: &Options,
    json: &Json,
    agg: &moves::DiffAgg,
    s: &DiffSides<'_>,
) -> Result<(), u8> {
    let old_name = s.old_name.clone().unwrap_or_default();
    let traces = diff_traces(
        agg,
        s.old.map(|(p, src)| (p, src, old_name.as_str())),
        (s.new.0, s.new.1, &s.new_name),
        o.identities,
    );
    let info = diff_page::Info {
        old: &old_name,
        new: &s.new_name,
        events: &s.events,
        input: input_name(s.input),
        identities: o.identities,
        traces,
    };
    write(o, &diff_page::render(json, &info))?;
    written(o);
    Ok(())
}
