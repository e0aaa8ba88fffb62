//! `mfapol diff OLD NEW EVENTS`: how decisions move between two policies.

use super::batch::{self, thousands};
use super::escape::escape;
use super::report::{self, moves::DiffAgg};
use super::{eval, DiffArgs, EvalFormat, FailOn, EXIT_REJECTED, EXIT_USAGE};
use mfapol::eval::strength::{movement, Movement};
use mfapol::eval::{evaluate, DecisionKind};
use mfapol::ir::{Challenge, Effect, Policy};
use mfapol::replay::{self, lines, InputKind, Item, Reach};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// One event whose decision changed.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    entry: Option<usize>,
    user: Option<String>,
    old: DecisionKind,
    new: DecisionKind,
    old_rule: Option<String>,
    new_rule: Option<String>,
    connection: Option<String>,
    client: Option<String>,
    country: Option<String>,
    /// Log input: a rule of either policy that reads a field logs lack
    /// could change this decision (see `docs/replay.md`).
    depends_on_missing: bool,
    /// Whether the new decision is weaker (SPEC §9 requirement strength).
    weaker: bool,
    /// For a change within `require_mfa`: the old and new requirement.
    requirement: Option<(String, String)>,
}

impl Row {
    fn weaker(&self) -> bool {
        self.weaker
    }

    fn to_json(&self) -> Json {
        let mut m = Map::new();
        batch::locate(&mut m, self.line, self.entry);
        m.insert("user_id".into(), json!(self.user));
        m.insert("old".into(), json!(self.old.as_str()));
        m.insert("new".into(), json!(self.new.as_str()));
        m.insert("old_rule".into(), json!(self.old_rule));
        m.insert("new_rule".into(), json!(self.new_rule));
        m.insert("weaker".into(), json!(self.weaker()));
        m.insert("connection".into(), json!(self.connection));
        m.insert("client".into(), json!(self.client));
        m.insert("country".into(), json!(self.country));
        m.insert("depends_on_missing".into(), json!(self.depends_on_missing));
        if let Some((old, new)) = &self.requirement {
            m.insert("old_requirement".into(), json!(old));
            m.insert("new_requirement".into(), json!(new));
        }
        Json::Object(m)
    }

    fn human(&self) -> String {
        let entry = self
            .entry
            .map(|e| format!(" entry {e}"))
            .unwrap_or_default();
        format!(
            "line {}{entry}  {}  {} -> {}  (rule {} -> {})",
            self.line,
            escape(self.user.as_deref().unwrap_or("(no user)")),
            self.old.as_str(),
            self.new.as_str(),
            escape(self.old_rule.as_deref().unwrap_or("(none)")),
            escape(self.new_rule.as_deref().unwrap_or("(none)")),
        ) + &self
            .requirement
            .as_ref()
            .map(|(o, n)| format!("  [{} -> {}]", escape(o), escape(n)))
            .unwrap_or_default()
            + if self.depends_on_missing {
                "  [depends on fields logs lack]"
            } else {
                ""
            }
    }
}

/// A line that could not be read.
#[derive(Debug, Clone)]
struct LineError {
    line: u64,
    entry: Option<usize>,
    message: String,
    column: usize,
}

type Transitions = BTreeMap<(DecisionKind, DecisionKind), u64>;

/// What one chunk contributes.
#[derive(Debug, Default)]
struct Part {
    events: u64,
    blank: u64,
    failed_lines: u64,
    transitions: Transitions,
    changed: Vec<Row>,
    errors: Vec<LineError>,
    skipped: BTreeMap<String, u64>,
    /// What the impact report counts (also in the JSON output).
    agg: DiffAgg,
}

/// The decisions compared against: an old policy, or an existing Action's
/// (computed beforehand, by input line and entry).
enum Old<'a> {
    Policy(&'a Policy),
    Action(&'a super::from_action::Outcomes),
}

struct Ctx<'a> {
    old: Old<'a>,
    new: &'a Policy,
    /// For plain events: what either policy reads, and what the report groups by.
    projection: Option<mfapol::eval::Projection>,
    input: InputKind,
    now: Option<i64>,
    clock: i64,
    /// For log input: what each policy reads that logs lack (the old one's
    /// only when it is a policy).
    reach: Option<(Option<Reach>, Reach)>,
    /// What the report's counts need.
    report: report::Mode,
}

fn text_at(ev: &Json, ptr: &str) -> Option<String> {
    ev.pointer(ptr).and_then(Json::as_str).map(str::to_string)
}

fn process(cx: &Ctx<'_>, chunk: &lines::Chunk) -> (Part, u64) {
    let mut p = Part {
        agg: DiffAgg::new(cx.report),
        ..Part::default()
    };
    for (no, line) in chunk.lines() {
        let items = match line {
            Ok(l) if lines::is_blank(l) => {
                p.blank += 1;
                continue;
            }
            Ok(l) => replay::read(l, cx.input, cx.projection.as_ref()),
            Err(long) => vec![Item::from(long)],
        };
        let mut failed = false;
        for item in items {
            match item {
                Item::Skipped { log_type, .. } => *p.skipped.entry(log_type).or_default() += 1,
                Item::Error {
                    entry,
                    message,
                    column,
                } => {
                    failed = true;
                    p.errors.push(LineError {
                        line: no,
                        entry,
                        message,
                        column,
                    });
                }
                Item::Event {
                    entry,
                    event,
                    origin,
                } => {
                    let now = replay::event_time(cx.now, origin.as_ref(), cx.clock);
                    let (a, action_error) = match &cx.old {
                        Old::Policy(p) => (evaluate(p, &event, now), None),
                        Old::Action(outcomes) => match outcomes.get(&(no, entry)) {
                            Some(o) => (o.decision.clone(), o.error.clone()),
                            None => {
                                failed = true;
                                p.errors.push(LineError {
                                    line: no,
                                    entry,
                                    message: "the Action gave no result for this event".into(),
                                    column: 1,
                                });
                                continue;
                            }
                        },
                    };
                    let b = evaluate(cx.new, &event, now);
                    p.events += 1;
                    *p.transitions.entry((a.kind, b.kind)).or_default() += 1;
                    let movement = movement(&a, &b);
                    let old_rule: Option<std::borrow::Cow<'_, str>> = match (&cx.old, action_error)
                    {
                        (Old::Policy(p), _) => a.rule_name(p).map(Into::into),
                        (Old::Action(_), Some(e)) => Some(format!("the Action threw: {e}").into()),
                        (Old::Action(_), None) => Some("the Action".into()),
                    };
                    p.agg.add(&report::moves::Event {
                        line: no,
                        entry,
                        event: &event,
                        date_ms: origin.as_ref().and_then(|o| o.date_ms),
                        now,
                        old: a.kind,
                        new: b.kind,
                        changed: movement != Movement::Same,
                        weaker: movement == Movement::Weaker,
                        old_rule: old_rule.as_deref(),
                        new_rule: b.rule_name(cx.new),
                    });
                    if movement != Movement::Same {
                        let depends_on_missing = match (&cx.reach, &origin) {
                            (Some((ra, rb)), Some(o)) => {
                                let old_unsure = match (&cx.old, ra) {
                                    (Old::Policy(p), Some(ra)) => {
                                        !ra.unsure_rules(p, &a, &o.gaps).is_empty()
                                    }
                                    _ => false,
                                };
                                old_unsure || !rb.unsure_rules(cx.new, &b, &o.gaps).is_empty()
                            }
                            _ => false,
                        };
                        p.changed.push(Row {
                            depends_on_missing,
                            line: no,
                            entry,
                            user: replay::user_id(&event).map(str::to_string),
                            old: a.kind,
                            new: b.kind,
                            old_rule: old_rule.map(|r| r.into_owned()),
                            new_rule: b.rule_name(cx.new).map(str::to_string),
                            connection: text_at(&event, "/connection/name"),
                            client: text_at(&event, "/client/name")
                                .or_else(|| text_at(&event, "/client/client_id")),
                            country: text_at(&event, "/request/geoip/countryCode"),
                            weaker: movement == Movement::Weaker,
                            requirement: (a.kind == b.kind).then(|| {
                                (
                                    requirement(a.effect.as_ref()),
                                    requirement(b.effect.as_ref()),
                                )
                            }),
                        });
                    }
                }
            }
        }
        if failed {
            p.failed_lines += 1;
        }
    }
    (p, chunk.bytes())
}

/// A requirement as a person reads it: `provider "any" with remember_browser`,
/// `factors ["otp", "phone"]`.
fn requirement(e: Option<&Effect>) -> String {
    match e {
        Some(Effect::Require(Challenge::Provider {
            provider,
            remember_browser,
        })) => format!(
            "provider \"{provider}\"{}",
            if *remember_browser {
                " with remember_browser"
            } else {
                ""
            }
        ),
        Some(Effect::Require(Challenge::Factors(fs))) => format!(
            "factors [{}]",
            fs.iter()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Effect::Require(Challenge::Steps(steps))) => steps
            .iter()
            .map(|st| {
                format!(
                    "{} [{}]",
                    st.kind.as_str(),
                    st.factors
                        .iter()
                        .map(|f| format!("\"{f}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join(" then "),
        _ => String::new(),
    }
}

/// Everything `diff` reports.
#[derive(Debug, Default)]
struct Report {
    events: u64,
    blank: u64,
    failed_lines: u64,
    transitions: Transitions,
    changed: u64,
    weaker: u64,
    changed_depends_on_missing: u64,
    /// Changes within `require_mfa` (the kind stays), and how many are weaker.
    requirement_changes: u64,
    requirement_weaker: u64,
    listed: Vec<Row>,
    weaker_listed: Vec<Row>,
    errors: Vec<LineError>,
    error_count: u64,
    skipped: BTreeMap<String, u64>,
    groups: [BTreeMap<String, Transitions>; 3],
    agg: DiffAgg,
}

const GROUPS: [&str; 3] = ["connection", "client", "country"];

impl Report {
    fn add(&mut self, p: Part, limit: usize) {
        let room = |n: usize| limit == 0 || n < limit;
        self.events += p.events;
        self.blank += p.blank;
        self.failed_lines += p.failed_lines;
        for (k, v) in p.transitions {
            *self.transitions.entry(k).or_default() += v;
        }
        for (k, v) in p.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        self.agg.merge(p.agg);
        for e in p.errors {
            self.error_count += 1;
            if room(self.errors.len()) {
                self.errors.push(e);
            }
        }
        for r in p.changed {
            self.changed += 1;
            if r.depends_on_missing {
                self.changed_depends_on_missing += 1;
            }
            if r.requirement.is_some() {
                self.requirement_changes += 1;
                if r.weaker {
                    self.requirement_weaker += 1;
                }
            }
            let keys = [&r.connection, &r.client, &r.country];
            for (g, key) in self.groups.iter_mut().zip(keys) {
                let key = key.clone().unwrap_or_else(|| "(none)".into());
                *g.entry(key).or_default().entry((r.old, r.new)).or_default() += 1;
            }
            if r.weaker() {
                self.weaker += 1;
                if room(self.weaker_listed.len()) {
                    self.weaker_listed.push(r.clone());
                }
            }
            if room(self.listed.len()) {
                self.listed.push(r);
            }
        }
    }
}

fn arrow(k: &(DecisionKind, DecisionKind)) -> String {
    format!("{} -> {}", k.0.as_str(), k.1.as_str())
}

fn transitions_json(t: &Transitions, changed_only: bool) -> Json {
    let v: Vec<Json> = sorted(t)
        .into_iter()
        .filter(|(k, _)| !changed_only || k.0 != k.1)
        .map(|(k, n)| json!({"old": k.0.as_str(), "new": k.1.as_str(), "count": n}))
        .collect();
    Json::Array(v)
}

/// Biggest first, then by name.
fn sorted(t: &Transitions) -> Vec<((DecisionKind, DecisionKind), u64)> {
    let mut v: Vec<_> = t.iter().map(|(k, n)| (*k, *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn human(r: &Report, limit: usize) -> String {
    let mut out = format!(
        "{} events: {} changed, {} weaker, {} unchanged\n",
        thousands(r.events),
        thousands(r.changed),
        thousands(r.weaker),
        thousands(r.events - r.changed)
    );
    if r.changed_depends_on_missing > 0 {
        out.push_str(&format!(
            "{} of the changes depend on fields logs lack\n",
            thousands(r.changed_depends_on_missing)
        ));
    }
    let moves: Vec<_> = sorted(&r.transitions)
        .into_iter()
        .filter(|(k, _)| k.0 != k.1)
        .collect();
    if moves.is_empty() && r.changed == 0 {
        out.push_str("no decision changed\n");
        return out;
    }
    out.push_str("transitions:\n");
    for (k, n) in moves {
        out.push_str(&format!("  {}: {}\n", arrow(&k), thousands(n)));
    }
    if r.requirement_changes > 0 {
        out.push_str(&format!(
            "  require_mfa with another requirement: {} ({} weaker)\n",
            thousands(r.requirement_changes),
            thousands(r.requirement_weaker)
        ));
    }
    out.push_str("changed events:\n");
    for row in &r.listed {
        out.push_str(&format!("  {}\n", row.human()));
    }
    more(&mut out, r.changed, r.listed.len(), limit);
    for (name, g) in GROUPS.iter().zip(&r.groups) {
        out.push_str(&format!("by {name}:\n"));
        let mut rows: Vec<(&String, u64, &Transitions)> =
            g.iter().map(|(k, t)| (k, t.values().sum(), t)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (key, total, t) in rows {
            let parts: Vec<String> = sorted(t)
                .into_iter()
                .map(|(k, n)| format!("{}: {}", arrow(&k), thousands(n)))
                .collect();
            out.push_str(&format!(
                "  {}: {} ({})\n",
                escape(key),
                thousands(total),
                parts.join(", ")
            ));
        }
    }
    out
}

fn more(out: &mut String, total: u64, listed: usize, limit: usize) {
    let rest = total.saturating_sub(listed as u64);
    if rest > 0 {
        out.push_str(&format!(
            "  ... and {} more (--limit {limit}; --limit 0 lists all)\n",
            thousands(rest)
        ));
    }
}

fn report_json(r: &Report) -> Json {
    let groups: Map<String, Json> = GROUPS
        .iter()
        .zip(&r.groups)
        .map(|(name, g)| {
            let m: Map<String, Json> = g
                .iter()
                .map(|(k, t)| (k.clone(), transitions_json(t, false)))
                .collect();
            (format!("by_{name}"), Json::Object(m))
        })
        .collect();
    let errors: Vec<Json> = r
        .errors
        .iter()
        .map(|e| {
            let mut m = Map::new();
            batch::locate(&mut m, e.line, e.entry);
            m.insert("error".into(), json!(e.message));
            m.insert("column".into(), json!(e.column));
            Json::Object(m)
        })
        .collect();
    let mut m = Map::new();
    m.insert("events".into(), json!(r.events));
    m.insert("changed".into(), json!(r.changed));
    m.insert("weaker".into(), json!(r.weaker));
    m.insert(
        "requirement_changes".into(),
        json!({"changed": r.requirement_changes, "weaker": r.requirement_weaker}),
    );
    m.insert(
        "changed_depends_on_missing".into(),
        json!(r.changed_depends_on_missing),
    );
    m.insert("unchanged".into(), json!(r.events - r.changed));
    m.insert("transitions".into(), transitions_json(&r.transitions, true));
    m.insert(
        "changed_events".into(),
        Json::Array(r.listed.iter().map(Row::to_json).collect()),
    );
    m.insert(
        "weaker_events".into(),
        Json::Array(r.weaker_listed.iter().map(Row::to_json).collect()),
    );
    m.extend(groups);
    m.insert("failed_lines".into(), json!(r.failed_lines));
    m.insert("errors".into(), Json::Array(errors));
    m.insert("skipped".into(), json!(r.skipped));
    r.agg.json_into(&mut m);
    Json::Object(m)
}

/// Runs `diff`; returns the exit code.
pub fn run(a: &DiffArgs) -> u8 {
    match run_inner(a) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(a: &DiffArgs) -> Result<u8, u8> {
    if a.prove {
        return super::prove::run(a);
    }
    if a.old_rev.is_some() {
        errln!("error: --old-rev works with --prove");
        return Err(EXIT_USAGE);
    }
    let now = match &a.now {
        Some(t) => Some(eval::now_ms(Some(t))?),
        None => None,
    };
    let clock = eval::now_ms(None)?;
    let (old_path, new_path, events) = match (&a.from_action, a.paths.as_slice()) {
        (None, [old, new, events]) => (Some(old), new, events),
        (Some(_), [new, events]) => (None, new, events),
        (None, _) => {
            errln!("error: diff takes OLD.mfapolicy NEW.mfapolicy EVENTS");
            return Err(EXIT_USAGE);
        }
        (Some(_), _) => {
            errln!("error: diff --from-action ACTION.js takes NEW.mfapolicy EVENTS");
            return Err(EXIT_USAGE);
        }
    };
    let report_to = report::Options::from_args(a.report.as_deref(), a.report_identities);
    if let Some(o) = &report_to {
        report::check_target(o, &a.paths)?;
    }
    let (old, old_src) = match old_path {
        Some(p) => {
            let (policy, src) = eval::load_policy(p)?;
            (Some(policy), Some(src))
        }
        None => (None, None),
    };
    let (new, new_src) = eval::load_policy(new_path)?;
    let input = batch::input_kind(a.input);
    let outcomes = match &a.from_action {
        Some(action) => {
            let o = super::from_action::Options {
                action,
                secrets: a.secrets.as_deref(),
                node_modules: a.node_modules.as_deref(),
                timeout_ms: a.action_timeout,
                input,
                now,
                clock,
            };
            match super::from_action::run(events, &o) {
                Ok(r) => Some(r),
                Err(msg) => {
                    errln!("error: {msg}");
                    return Err(EXIT_USAGE);
                }
            }
        }
        None => None,
    };
    let (reader, size) = batch::open(events)?;
    let reach =
        (input == InputKind::Auth0Logs).then(|| (old.as_ref().map(Reach::new), Reach::new(&new)));
    if let Some((ra, rb)) = &reach {
        if let (Some(old), Some(ra)) = (&old, ra) {
            batch::warn_unsupplied(old, ra);
        }
        batch::warn_unsupplied(&new, rb);
    }
    let projection = (input == InputKind::Events).then(|| {
        let mut p = mfapol::eval::Projection::new(&new);
        if let Some(old) = &old {
            p.extend(old);
        }
        for path in [
            &["user", "user_id"][..],
            &["connection", "name"],
            &["client", "name"],
            &["client", "client_id"],
            &["request", "geoip", "countryCode"],
        ] {
            p.keep(path);
        }
        for path in report::tally::FACT_PATHS {
            p.keep(path);
        }
        p
    });
    let old_side = match (&old, &outcomes) {
        (Some(p), _) => Old::Policy(p),
        (None, Some(o)) => Old::Action(o),
        (None, None) => return Err(EXIT_USAGE),
    };
    let cx = Ctx {
        old: old_side,
        new: &new,
        projection,
        input,
        now,
        clock,
        reach,
        report: report::Mode::of(&report_to, a.format == EvalFormat::Json),
    };
    let mut report = Report::default();
    let mut progress = batch::Progress::new(size);
    let read = lines::map_ordered(
        reader,
        batch::jobs(a.jobs),
        lines::CHUNK_LINES,
        |chunk| process(&cx, chunk),
        |(part, bytes)| {
            report.add(part, a.limit);
            progress.advance(bytes);
            true
        },
    );
    progress.finish();
    if let Err(e) = read {
        errln!(
            "error: cannot read `{}`: {}",
            batch::display_name(events),
            super::files::io_reason(&e)
        );
        return Err(EXIT_USAGE);
    }
    match a.format {
        EvalFormat::Json => outln!("{}", report_json(&report)),
        EvalFormat::Human => {
            out!("{}", human(&report, a.limit));
            for e in &report.errors {
                let entry = e.entry.map(|i| format!(" entry {i}")).unwrap_or_default();
                errln!(
                    "error: line {}{entry}, column {}: {}",
                    e.line,
                    e.column,
                    escape(&e.message)
                );
            }
        }
    }
    if let Some(o) = &report_to {
        let sides = report::DiffSides {
            old: old.as_ref().zip(old_src.as_ref()),
            old_name: old_path
                .or(a.from_action.as_ref())
                .map(|p| p.display().to_string()),
            new: (&new, &new_src),
            new_name: new_path.display().to_string(),
            events: batch::display_name(events),
            input,
        };
        report::write_diff(o, &report_json(&report), &report.agg, &sides)?;
    }
    let skipped: u64 = report.skipped.values().sum();
    if skipped > 0 {
        errln!("note: skipped {}, not logins", batch::entries(skipped));
    }
    let mut code = 0;
    if a.fail_on == Some(FailOn::Weaker) && report.weaker > 0 {
        errln!(
            "error: {} {} a weaker decision under `{}`:",
            thousands(report.weaker),
            if report.weaker == 1 {
                "event gets"
            } else {
                "events get"
            },
            escape(&new_path.display().to_string())
        );
        for row in &report.weaker_listed {
            errln!("  {}", row.human());
        }
        let mut rest = String::new();
        more(
            &mut rest,
            report.weaker,
            report.weaker_listed.len(),
            a.limit,
        );
        err!("{rest}");
        code = EXIT_REJECTED;
    }
    if a.fail_on == Some(FailOn::Changed) && report.changed > 0 {
        errln!(
            "error: {} {} a different decision under `{}`",
            thousands(report.changed),
            if report.changed == 1 {
                "event gets"
            } else {
                "events get"
            },
            escape(&new_path.display().to_string())
        );
        code = EXIT_REJECTED;
    }
    if let (Some(gate), 0) = (a.fail_on, report.events) {
        // A gate that saw no event checked nothing: say so, and fail.
        errln!(
            "error: no event was evaluated, so `--fail-on {}` checked nothing",
            match gate {
                FailOn::Weaker => "weaker",
                FailOn::Changed => "changed",
            }
        );
        code = EXIT_REJECTED;
    }
    // A pretty-printed document: its first line is an unfinished value.
    let one_document = report
        .errors
        .first()
        .is_some_and(|e| e.line == 1 && e.message.contains("EOF while parsing"));
    if report.events == 0 && report.failed_lines > 0 && one_document {
        errln!(
            "error: diff reads NDJSON, one event per line; `{}` looks like one pretty-printed JSON document (write it on one line, e.g. `jq -c . FILE`)",
            escape(&events.display().to_string())
        );
    }
    if report.failed_lines > 0 {
        errln!(
            "error: {} line{} could not be read",
            thousands(report.failed_lines),
            if report.failed_lines == 1 { "" } else { "s" }
        );
        code = EXIT_REJECTED;
    }
    Ok(code)
}
