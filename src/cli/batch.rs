//! `mfapol eval POLICY EVENTS.ndjson`: one JSON decision per input line, on
//! every core, in input order.

use super::report::{self, mix::EvalAgg};
use super::{eval, files, EvalArgs, EvalFormat, InputFormat, EXIT_REJECTED, EXIT_USAGE};
use mfapol::eval::{evaluate, DecisionKind};
use mfapol::ir::Policy;
use mfapol::replay::{self, lines, InputKind, Item, Reach};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::time::{Duration, Instant};

/// Whether `eval` was asked for batch input: `--ndjson`, `--input
/// auth0-logs`, or an `.ndjson`/`.jsonl` file.
/// `--summary`, `--jobs` and `--report` also lead here, to be refused
/// without batch input.
pub fn wanted(a: &EvalArgs) -> bool {
    is_batch(a) || a.summary || a.jobs.is_some() || a.report.is_some()
}

fn is_batch(a: &EvalArgs) -> bool {
    a.ndjson || a.input == Some(InputFormat::Auth0Logs) || is_ndjson_path(&a.event)
}

/// Whether a path names an NDJSON file by its extension.
pub fn is_ndjson_path(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl"))
}

/// The input as a buffered reader, and its size when it is a regular file.
pub fn open(path: &Path) -> Result<(Box<dyn BufRead + Send>, Option<u64>), u8> {
    const BUF: usize = 1 << 20;
    if path.as_os_str() == "-" {
        return Ok((
            Box::new(std::io::BufReader::with_capacity(BUF, std::io::stdin())),
            None,
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| {
        errln!(
            "error: cannot read `{}`: {}",
            path.display(),
            files::io_reason(&e)
        );
        EXIT_USAGE
    })?;
    let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    if size.is_none() && f.metadata().is_ok_and(|m| m.is_dir()) {
        errln!("error: cannot read `{}`: is a directory", path.display());
        return Err(EXIT_USAGE);
    }
    Ok((Box::new(std::io::BufReader::with_capacity(BUF, f)), size))
}

/// Worker threads: `--jobs`, else one per core.
pub fn jobs(requested: Option<usize>) -> usize {
    requested
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The name shown for an input path.
pub fn display_name(p: &Path) -> String {
    if p.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        p.display().to_string()
    }
}

/// For log input: one warning per rule that reads paths logs lack.
pub fn warn_unsupplied(policy: &Policy, reach: &Reach) {
    for (rule, paths) in policy.rules.iter().zip(&reach.unsupplied) {
        if paths.is_empty() {
            continue;
        }
        let list: Vec<String> = paths
            .iter()
            .map(|(p, c)| match c {
                replay::Coverage::Partial(why) => format!("`{p}` ({why})"),
                _ => format!("`{p}` (not in logs)"),
            })
            .collect();
        errln!(
            "warning: rule `{}` ({}:{}) reads paths that auth0 logs do not fully supply: {}; \
             its decisions are counted as depending on missing fields",
            rule.name,
            policy.file,
            rule.line,
            list.join(", ")
        );
    }
}

/// A progress bar on stderr, shown only on a terminal and only once the
/// run has lasted a second.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
    shown: bool,
}

impl Progress {
    /// A hidden bar over `total` bytes (unknown for stdin).
    pub fn new(total: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                total,
                indicatif::ProgressDrawTarget::hidden(),
            );
            let style = match total {
                Some(_) => "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                None => "{spinner} {bytes} {bytes_per_sec}",
            };
            if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
                bar.set_style(s);
            }
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: false,
        }
    }

    /// Counts bytes done.
    pub fn advance(&mut self, bytes: u64) {
        let Some(bar) = &self.bar else { return };
        bar.inc(bytes);
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `1 log entry`, `2 log entries`.
pub fn entries(n: u64) -> String {
    let noun = if n == 1 { "log entry" } else { "log entries" };
    format!("{} {noun}", thousands(n))
}

/// `1204` as `1,204`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The input kind chosen by `--input`.
pub fn input_kind(f: Option<InputFormat>) -> InputKind {
    match f {
        Some(InputFormat::Auth0Logs) => InputKind::Auth0Logs,
        _ => InputKind::Events,
    }
}

/// Totals over the whole run.
#[derive(Debug, Default)]
struct Stats {
    lines: u64,
    blank: u64,
    events: u64,
    failed_lines: u64,
    error_records: u64,
    with_runtime_errors: u64,
    depends_on_missing: u64,
    /// Events with none of the fields the policy reads.
    unrecognised: u64,
    by_decision: BTreeMap<&'static str, u64>,
    by_rule: BTreeMap<String, u64>,
    skipped: BTreeMap<String, u64>,
    /// What the impact report counts (also in the JSON summary).
    agg: EvalAgg,
}

impl Stats {
    fn merge(&mut self, o: Stats) {
        self.lines += o.lines;
        self.blank += o.blank;
        self.events += o.events;
        self.failed_lines += o.failed_lines;
        self.error_records += o.error_records;
        self.with_runtime_errors += o.with_runtime_errors;
        self.depends_on_missing += o.depends_on_missing;
        self.unrecognised += o.unrecognised;
        for (k, v) in o.by_decision {
            *self.by_decision.entry(k).or_default() += v;
        }
        for (k, v) in o.by_rule {
            *self.by_rule.entry(k).or_default() += v;
        }
        for (k, v) in o.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        self.agg.merge(o.agg);
    }

    fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

struct Ctx<'a> {
    policy: &'a Policy,
    /// For plain events: only what the policy reads (and `user.user_id`).
    projection: Option<mfapol::eval::Projection>,
    reach: Option<Reach>,
    input: InputKind,
    now: Option<i64>,
    clock: i64,
    /// The top-level fields the policy reads.
    roots: Vec<String>,
    /// What the report's counts need.
    report: report::Mode,
}

/// Line number, and entry position for lines that hold several log entries.
pub fn locate(m: &mut Map<String, Json>, line: u64, entry: Option<usize>) {
    m.insert("line".into(), json!(line));
    if let Some(i) = entry {
        m.insert("entry".into(), json!(i));
    }
}

fn process(cx: &Ctx<'_>, chunk: &lines::Chunk) -> (Vec<u8>, Stats, u64) {
    let mut out = Vec::new();
    let mut st = Stats {
        agg: EvalAgg::new(cx.report),
        ..Stats::default()
    };
    for (no, line) in chunk.lines() {
        st.lines += 1;
        let items = match line {
            Ok(l) if lines::is_blank(l) => {
                st.blank += 1;
                continue;
            }
            Ok(l) => replay::read(l, cx.input, cx.projection.as_ref()),
            Err(long) => vec![Item::from(long)],
        };
        let mut failed = false;
        for item in items {
            let mut m = Map::new();
            match item {
                Item::Skipped { log_type, .. } => {
                    *st.skipped.entry(log_type).or_default() += 1;
                    continue;
                }
                Item::Error {
                    entry,
                    message,
                    column,
                } => {
                    failed = true;
                    st.error_records += 1;
                    locate(&mut m, no, entry);
                    m.insert("error".into(), json!(message));
                    m.insert("column".into(), json!(column));
                }
                Item::Event {
                    entry,
                    event,
                    origin,
                } => {
                    let now = replay::event_time(cx.now, origin.as_ref(), cx.clock);
                    let d = evaluate(cx.policy, &event, now);
                    st.events += 1;
                    if cx.input == InputKind::Events
                        && super::eval::shape_problem(&cx.roots, &event).is_some()
                    {
                        st.unrecognised += 1;
                    }
                    *st.by_decision.entry(d.kind.as_str()).or_default() += 1;
                    let rule = d.rule_name(cx.policy).unwrap_or("(none)");
                    st.agg.add(
                        no,
                        entry,
                        &event,
                        origin.as_ref().and_then(|o| o.date_ms),
                        now,
                        d.kind,
                        Some(rule),
                    );
                    *st.by_rule.entry(rule.to_string()).or_default() += 1;
                    if !d.errors.is_empty() {
                        st.with_runtime_errors += 1;
                    }
                    if let Json::Object(obj) = d.to_json(cx.policy) {
                        m = obj;
                    }
                    locate(&mut m, no, entry);
                    m.insert("user_id".into(), json!(replay::user_id(&event)));
                    if let (Some(o), Some(reach)) = (&origin, &cx.reach) {
                        let unsure: Vec<&str> = reach
                            .unsure_rules(cx.policy, &d, &o.gaps)
                            .into_iter()
                            .filter_map(|i| cx.policy.rules.get(i).map(|r| r.name.as_ref()))
                            .collect();
                        if !unsure.is_empty() {
                            st.depends_on_missing += 1;
                        }
                        m.insert("log_id".into(), json!(o.log_id));
                        m.insert("log_type".into(), json!(o.log_type));
                        m.insert("depends_on_missing".into(), json!(unsure));
                    }
                }
            }
            // The bytes `Display` would print, written straight into the
            // buffer (writing into a `Vec` cannot fail).
            let _ = serde_json::to_writer(&mut out, &Json::Object(m));
            out.push(b'\n');
        }
        if failed {
            st.failed_lines += 1;
        }
    }
    (out, st, chunk.bytes())
}

/// Runs `eval` on batch input; returns the exit code.
pub fn run(a: &EvalArgs) -> u8 {
    match run_inner(a) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(a: &EvalArgs) -> Result<u8, u8> {
    if !is_batch(a) {
        errln!(
            "error: `--summary`, `--jobs` and `--report` need batch input: an .ndjson or .jsonl file, \
             `--ndjson`, or `--input auth0-logs`"
        );
        return Err(EXIT_USAGE);
    }
    if a.explain {
        errln!("error: `--explain` works on one event, not on batch input");
        return Err(EXIT_USAGE);
    }
    let now = match &a.now {
        Some(t) => Some(eval::now_ms(Some(t))?),
        None => None,
    };
    let clock = eval::now_ms(None)?;
    let report_to = report::Options::from_args(a.report.as_deref(), a.report_identities);
    if let Some(o) = &report_to {
        report::check_target(o, &[&a.policy, &a.event])?;
    }
    let (policy, src) = eval::load_policy(&a.policy)?;
    let input = input_kind(a.input);
    let (reader, size) = open(&a.event)?;
    let reach = (input == InputKind::Auth0Logs).then(|| Reach::new(&policy));
    if let Some(r) = &reach {
        warn_unsupplied(&policy, r);
    }
    let projection = (input == InputKind::Events).then(|| {
        let mut p = mfapol::eval::Projection::new(&policy);
        p.keep(&["user", "user_id"]);
        for path in report::tally::FACT_PATHS {
            p.keep(path);
        }
        p
    });
    let cx = Ctx {
        policy: &policy,
        projection,
        reach,
        input,
        now,
        clock,
        roots: super::eval::roots_read(&policy),
        report: report::Mode::of(&report_to, a.summary && a.format == EvalFormat::Json),
    };
    let mut total = Stats::default();
    let mut progress = Progress::new(size);
    let mut sink = super::output::Sink::new();
    let read = lines::map_ordered(
        reader,
        jobs(a.jobs),
        lines::CHUNK_LINES,
        |chunk| process(&cx, chunk),
        |(text, st, bytes)| {
            total.merge(st);
            progress.advance(bytes);
            sink.write(&text)
        },
    );
    progress.finish();
    if a.summary && a.format == EvalFormat::Json {
        let line = format!("{}\n", json!({ "summary": summary_json(&total) }));
        sink.write(line.as_bytes());
    }
    sink.flush();
    drop(sink);
    if let Err(e) = read {
        errln!(
            "error: cannot read `{}`: {}",
            display_name(&a.event),
            files::io_reason(&e)
        );
        return Err(EXIT_USAGE);
    }
    if let Some(o) = &report_to {
        let name = a.policy.display().to_string();
        let info = report::eval_page::Info {
            policy: &name,
            events: &display_name(&a.event),
            input: report::input_name(input),
            identities: o.identities,
            traces: report::eval_traces(&total.agg, (&policy, &src, &name), o.identities),
        };
        let page = report::eval_page::render(&json!({ "summary": summary_json(&total) }), &info);
        report::write(o, &page)?;
        report::written(o);
    }
    if a.summary && a.format == EvalFormat::Human {
        err!("{}", summary_human(&total, input));
    } else if total.skipped_total() > 0 {
        errln!(
            "note: skipped {}, not logins ({}); --summary counts them",
            entries(total.skipped_total()),
            by_type(&total.skipped)
        );
    }
    if total.unrecognised > 0 {
        errln!(
            "warning: {} of {} events have none of the fields the policy reads ({}); wrapped events or log entries? (mfapol::event_unrecognised)",
            thousands(total.unrecognised),
            thousands(total.events),
            cx.roots.join(", ")
        );
    }
    if total.failed_lines > 0 {
        errln!(
            "error: {} of {} lines could not be read; see their error records",
            thousands(total.failed_lines),
            thousands(total.lines)
        );
        return Ok(EXIT_REJECTED);
    }
    Ok(0)
}

fn by_type(m: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| {
            format!(
                "{} {}",
                if k.is_empty() {
                    "(no type)".into()
                } else {
                    super::escape::escape(k)
                },
                thousands(**n)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn summary_json(s: &Stats) -> Json {
    let mut j = json!({
        "lines": s.lines,
        "blank": s.blank,
        "events": s.events,
        "failed_lines": s.failed_lines,
        "errors": s.error_records,
        "with_runtime_errors": s.with_runtime_errors,
        "by_decision": s.by_decision,
        "by_rule": s.by_rule,
        "skipped": s.skipped,
        "depends_on_missing": s.depends_on_missing,
    });
    if let Json::Object(m) = &mut j {
        s.agg.json_into(m);
    }
    j
}

fn table(out: &mut String, title: &str, rows: Vec<(String, u64)>) {
    out.push_str(title);
    out.push('\n');
    let mut rows = rows;
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let rows: Vec<(String, u64)> = rows
        .into_iter()
        .map(|(k, n)| (super::escape::escape(&k).into_owned(), n))
        .collect();
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, n) in rows {
        out.push_str(&format!("  {k:<w$}  {:>9}\n", thousands(n)));
    }
}

fn summary_human(s: &Stats, input: InputKind) -> String {
    // "with errors" read as "decisions with run-time errors"; these are
    // lines that gave no decision at all (malformed JSON, not an event).
    let mut out = format!(
        "summary: {} lines, {} decisions, {} {} without a decision (malformed), {} blank\n",
        thousands(s.lines),
        thousands(s.events),
        thousands(s.failed_lines),
        if s.failed_lines == 1 { "line" } else { "lines" },
        thousands(s.blank)
    );
    let order = [
        DecisionKind::Deny,
        DecisionKind::RequireMfa,
        DecisionKind::EnrollMfa,
        DecisionKind::SkipMfa,
        DecisionKind::None,
    ];
    out.push_str("by decision:\n");
    for k in order {
        let n = s.by_decision.get(k.as_str()).copied().unwrap_or(0);
        out.push_str(&format!("  {:<11}  {:>9}\n", k.as_str(), thousands(n)));
    }
    table(
        &mut out,
        "by deciding rule:",
        s.by_rule.iter().map(|(k, v)| (k.clone(), *v)).collect(),
    );
    if s.with_runtime_errors > 0 {
        out.push_str(&format!(
            "decisions made despite a run-time error (counted above; each fails closed, see its `errors`): {}\n",
            thousands(s.with_runtime_errors)
        ));
    }
    if input == InputKind::Auth0Logs {
        table(
            &mut out,
            &format!(
                "skipped log entries (not logins): {}",
                thousands(s.skipped_total())
            ),
            s.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        );
        out.push_str(&format!(
            "decisions that depend on fields logs lack: {} of {}\n",
            thousands(s.depends_on_missing),
            thousands(s.events)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(entries(1), "1 log entry");
        assert_eq!(entries(2000), "2,000 log entries");
    }

    #[test]
    fn ndjson_extensions() {
        assert!(is_ndjson_path(Path::new("a/events.ndjson")));
        assert!(is_ndjson_path(Path::new("events.JSONL")));
        assert!(!is_ndjson_path(Path::new("event.json")));
        assert!(!is_ndjson_path(Path::new("-")));
    }
}
