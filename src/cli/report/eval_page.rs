//! The batch `eval` report page, drawn from the `--summary --format json`
//! line (`{"summary": {...}}`).

use super::chart::{self, Bar};
use super::html::Html;
use super::page::{self, count, ptr, TimeChart};
use super::tally::{GROUPS, KINDS};
use super::Trace;
use mfapol::eval::DecisionKind;
use serde_json::Value as Json;

/// What the page says besides the JSON's numbers.
pub struct Info<'a> {
    /// The policy as named on the command line.
    pub policy: &'a str,
    /// The input.
    pub events: &'a str,
    /// `events` or `Auth0 logs`.
    pub input: &'a str,
    /// Whether identities may be shown.
    pub identities: bool,
    /// Per JSON sample, in order: its explanation.
    pub traces: Vec<Vec<Trace>>,
}

/// The policy's decisions (never `error`).
fn kinds() -> impl Iterator<Item = &'static str> {
    KINDS
        .iter()
        .filter(|k| **k != DecisionKind::Error)
        .map(|k| k.as_str())
}

fn kind_class(k: &str) -> &'static str {
    match k {
        "deny" => "k-deny",
        "require_mfa" => "k-require_mfa",
        "enroll_mfa" => "k-enroll_mfa",
        "skip_mfa" => "k-skip_mfa",
        _ => "k-none",
    }
}

/// The page.
pub fn render(j: &Json, info: &Info<'_>) -> String {
    let mut h = Html::new();
    page::start(&mut h, &format!("mfapol impact report: {}", info.policy));
    h.el("h1", &[], "What this policy decides on these logins");
    h.el(
        "p",
        &[("class", "meta")],
        &format!("policy: {}", info.policy),
    );
    h.el(
        "p",
        &[("class", "meta")],
        &format!("logins replayed: {} ({})", info.events, info.input),
    );
    page::nav(
        &mut h,
        &[
            ("#totals", "Totals"),
            ("#mix", "Decision mix"),
            ("#breakdowns", "Breakdowns"),
            ("#time", "Over time"),
            ("#rules", "Rules"),
            ("#samples", "Samples"),
        ],
    );
    page::section(&mut h, "totals", "Totals");
    h.open("div", &[("class", "cards")]);
    page::card(&mut h, j, "/summary/events", "logins evaluated", "");
    page::card(&mut h, j, "/summary/lines", "input lines", "");
    page::card(
        &mut h,
        j,
        "/summary/with_runtime_errors",
        "with run-time errors",
        "",
    );
    if count(j, "/summary/depends_on_missing") > 0 {
        page::card(
            &mut h,
            j,
            "/summary/depends_on_missing",
            "depend on fields logs lack",
            "",
        );
    }
    if count(j, "/summary/failed_lines") > 0 {
        page::card(
            &mut h,
            j,
            "/summary/failed_lines",
            "lines that could not be read",
            "",
        );
    }
    h.close("div");
    page::section(&mut h, "mix", "Decision mix");
    let groups: Vec<(String, Vec<Bar>)> = kinds()
        .filter(|k| j.pointer(&ptr(&["summary", "by_decision", k])).is_some())
        .map(|k| {
            let p = ptr(&["summary", "by_decision", k]);
            (
                k.to_string(),
                vec![Bar {
                    label: String::new(),
                    value: count(j, &p),
                    pointer: p,
                    class: kind_class(k),
                }],
            )
        })
        .collect();
    chart::hbars(&mut h, "decisions", &groups);
    page::section(&mut h, "breakdowns", "Breakdowns");
    let cols: Vec<(String, &str)> = std::iter::once(("events".to_string(), "logins"))
        .chain(kinds().map(|k| (format!("by_decision/{k}"), k)))
        .collect();
    let cols: Vec<(&str, &str)> = cols.iter().map(|(f, n)| (f.as_str(), *n)).collect();
    let bar = |row: &Json| {
        kinds()
            .map(|k| (count(row, &format!("/by_decision/{k}")), kind_class(k)))
            .collect::<Vec<_>>()
    };
    for g in GROUPS {
        h.el("h3", &[], page::group_title(g));
        let base = ptr(&["summary", "breakdowns", g]);
        page::breakdown(
            &mut h,
            &base,
            j.pointer(&base).unwrap_or(&Json::Null),
            &cols,
            &bar,
            g,
        );
    }
    page::section(&mut h, "time", "Over time");
    let legend: Vec<(&'static str, &str)> = kinds().map(|k| (kind_class(k), k)).collect();
    let fields: Vec<(String, &str)> = kinds().map(|k| (format!("by_decision/{k}"), k)).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(f, n)| (f.as_str(), *n)).collect();
    let parts = |b: &Json| {
        kinds()
            .map(|k| count(b, &format!("/by_decision/{k}")))
            .collect::<Vec<u64>>()
    };
    page::over_time(
        &mut h,
        j,
        "/summary/over_time",
        &TimeChart {
            legend: &legend,
            parts: &parts,
            fields: &fields,
        },
    );
    page::section(&mut h, "rules", "Rules that decided most");
    if let Some(obj) = j.pointer("/summary/by_rule").and_then(Json::as_object) {
        let mut v: Vec<(&String, u64)> = obj
            .iter()
            .map(|(k, n)| (k, n.as_u64().unwrap_or(0)))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let groups: Vec<(String, Vec<Bar>)> = v
            .into_iter()
            .take(super::diff_page::TOP_RULES)
            .map(|(k, n)| {
                (
                    k.clone(),
                    vec![Bar {
                        label: String::new(),
                        value: n,
                        pointer: ptr(&["summary", "by_rule", k]),
                        class: "new",
                    }],
                )
            })
            .collect();
        chart::hbars(&mut h, "deciding rules", &groups);
    }
    samples(&mut h, j, info);
    page::end(&mut h, "mfapol eval --summary", info.identities);
    h.finish()
}

fn samples(h: &mut Html, j: &Json, info: &Info<'_>) {
    page::section(h, "samples", "Sample logins per decision");
    let list = j
        .pointer("/summary/samples")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if list.is_empty() {
        h.el("p", &[("class", "note")], "No login was evaluated.");
        return;
    }
    let mut current = None;
    for (i, s) in list.iter().enumerate() {
        let text = |k: &str| s.get(k).and_then(Json::as_str).unwrap_or("(none)");
        if current != Some(text("decision")) {
            current = Some(text("decision"));
            h.el("h3", &[], text("decision"));
        }
        h.open("details", &[]);
        h.open("summary", &[]);
        h.text("line ");
        h.num(
            "span",
            "n",
            &format!("/summary/samples/{i}/line"),
            count(s, "/line"),
        );
        let user = match s.get("user_id").and_then(Json::as_str) {
            Some(u) if info.identities => u.to_string(),
            Some(_) => "user hidden".into(),
            None => "no user id".into(),
        };
        h.text(&format!(" · {user} · rule {}", text("rule")));
        h.close("summary");
        for t in info.traces.get(i).map(Vec::as_slice).unwrap_or_default() {
            page::trace(h, &t.title, &t.text);
        }
        h.close("details");
    }
}
