//! The parts every report page shares: the head with its
//! Content-Security-Policy and style sheet, total cards, breakdown tables,
//! the time chart and sample explanations. Every count is read from the
//! JSON output by pointer and written with that pointer ([`Html::num`]).

use super::chart::{self, Column};
use super::html::{pointer_token, Html};
use base64::Engine as _;
use serde_json::Value as Json;
use sha2::Digest as _;

/// The page's only style sheet. Its SHA-256 is the only style source the
/// Content-Security-Policy allows; nothing else (script, image, font,
/// frame, connection) is allowed at all.
pub const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c2833;margin:0;background:#f4f6f7}
main{max-width:1000px;margin:0 auto;padding:16px 24px 48px;background:#fff}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5d8dc;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}.meta{color:#566573;margin:2px 0}code{font-size:13px}
nav a{margin-right:12px;color:#1f618d}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d5d8dc;border-radius:6px;padding:8px 14px;min-width:110px}
.card .n{display:block;font-size:22px;font-weight:600}.card .what{color:#566573;font-size:12px}
.card.weaker{border-color:#c0392b;background:#fdedec}.card.changed{border-color:#d68910;background:#fef5e7}
table{border-collapse:collapse;margin:6px 0 12px}th,td{padding:3px 10px;border-bottom:1px solid #eaeded;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.weaker{background:#f5b7b1;font-weight:600}td.changed{background:#fad7a0}td.same{color:#566573}
.matrix th.side{text-align:right}.note{color:#566573;font-size:12px}
.chart text{font-size:12px;fill:#1c2833}.chart .sub{fill:#566573}.chart .lbl{font-weight:600}.axis{stroke:#aab7b8}
.k-error{fill:#6c3483}.k-deny{fill:#922b21}.k-require_mfa{fill:#1f618d}.k-enroll_mfa{fill:#5dade2}.k-skip_mfa{fill:#52be80}.k-none{fill:#aab7b8}
.old{fill:#aab7b8}.new{fill:#2e86c1}.m-same{fill:#d5d8dc}.m-changed{fill:#f0b27a}.m-weaker{fill:#cb4335}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px}.badge.weaker{background:#cb4335;color:#fff}.badge.changed{background:#f0b27a}
details{margin:4px 0 8px}summary{cursor:pointer}
pre{background:#f8f9f9;border:1px solid #eaeded;padding:8px;overflow-x:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}
footer{margin-top:32px;color:#566573;font-size:12px}
@media print{body{background:#fff}main{max-width:none}details{display:block}}
";

/// The Content-Security-Policy of the page: nothing may load, and only
/// [`CSS`] may style it.
pub fn csp() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(CSS));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; base-uri 'none'; form-action 'none'"
    )
}

/// `<!doctype html>` up to the opening of `<main>`.
pub fn start(h: &mut Html, title: &str) {
    h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.void(
        "meta",
        &[
            ("http-equiv", "Content-Security-Policy"),
            ("content", &csp()),
        ],
    );
    h.raw("<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.el("title", &[], title);
    h.raw("<style>").raw(CSS).raw("</style></head><body><main>");
}

/// The footer and the end of the page.
pub fn end(h: &mut Html, command: &str, identities: bool) {
    h.open("footer", &[]);
    h.el(
        "p",
        &[],
        &format!(
            "Written by mfapol {}. Every number on this page is the number `{command} --format json` prints for the same input (each one names its JSON field in a data-j attribute).",
            env!("CARGO_PKG_VERSION")
        ),
    );
    h.el(
        "p",
        &[],
        if identities {
            "This page shows user ids and the event values of samples (--report-identities): treat it as personal data."
        } else {
            "Personal data (user ids, emails, IP addresses, user agents, metadata) is left out; --report-identities shows it."
        },
    );
    h.close("footer");
    h.raw("</main></body></html>\n");
}

/// A JSON pointer from tokens, each escaped.
pub fn ptr(tokens: &[&str]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", pointer_token(t)))
        .collect()
}

/// The count at `pointer` in the JSON output (0 when absent).
pub fn count(j: &Json, pointer: &str) -> u64 {
    j.pointer(pointer).and_then(Json::as_u64).unwrap_or(0)
}

/// A total card: a count and what it counts.
pub fn card(h: &mut Html, j: &Json, pointer: &str, what: &str, class: &str) {
    let cls = format!("card {class}");
    h.open("div", &[("class", cls.trim())]);
    h.num("span", "n", pointer, count(j, pointer));
    h.el("span", &[("class", "what")], what);
    h.close("div");
}

/// `<h2 id=..>`.
pub fn section(h: &mut Html, id: &'static str, title: &str) {
    h.el("h2", &[("id", id)], title);
}

/// Links to the sections.
pub fn nav(h: &mut Html, items: &[(&'static str, &'static str)]) {
    h.open("nav", &[]);
    for (id, title) in items {
        h.el("a", &[("href", id)], title);
    }
    h.close("nav");
}

/// Rows shown per breakdown table; the rest are in the JSON output.
pub const ROWS: usize = 20;

/// What the breakdown tables are called.
pub fn group_title(g: &str) -> &'static str {
    match g {
        "connection" => "By connection",
        "client" => "By application",
        "organization" => "By organization",
        _ => "By country",
    }
}

/// A row's stacked bar: `(count, CSS class)` parts.
pub type Parts<'a> = &'a dyn Fn(&Json) -> Vec<(u64, &'static str)>;

/// One breakdown table from `rows` (the JSON array at `base`): the key,
/// then the columns `(field, header)`, then a small stacked bar.
pub fn breakdown(
    h: &mut Html,
    base: &str,
    rows: &Json,
    cols: &[(&str, &str)],
    bar: Parts<'_>,
    key_header: &str,
) {
    let rows = rows.as_array().map(Vec::as_slice).unwrap_or_default();
    if rows.is_empty() {
        h.el("p", &[("class", "note")], "No event.");
        return;
    }
    let max = rows.iter().map(|r| count(r, "/events")).max().unwrap_or(0);
    h.open("table", &[]).open("tr", &[]);
    h.el("th", &[], key_header);
    for (_, header) in cols {
        h.el("th", &[("class", "n")], header);
    }
    h.el("th", &[], "");
    h.close("tr");
    for (i, row) in rows.iter().take(ROWS).enumerate() {
        let at = format!("{base}/{i}");
        h.open("tr", &[]);
        h.el(
            "td",
            &[],
            row.get("key").and_then(Json::as_str).unwrap_or_default(),
        );
        for (field, _) in cols {
            h.num(
                "td",
                "n",
                &format!("{at}/{field}"),
                count(row, &format!("/{field}")),
            );
        }
        h.open("td", &[]);
        chart::mini(h, &bar(row), max);
        h.close("td").close("tr");
    }
    h.close("table");
    if rows.len() > ROWS {
        h.el(
            "p",
            &[("class", "note")],
            &format!("The other rows are in the JSON output ({base})."),
        );
    }
}

/// How a time bucket is drawn: the legend `(CSS class, name)`, the parts
/// of a bucket's column in legend order, and the bucket's JSON fields
/// shown in the table `(field, header)`.
pub struct TimeChart<'a> {
    /// The legend.
    pub legend: &'a [(&'static str, &'a str)],
    /// A bucket's column parts.
    pub parts: &'a dyn Fn(&Json) -> Vec<u64>,
    /// The table's columns after `events`.
    pub fields: &'a [(&'a str, &'a str)],
}

/// Decisions over time: stacked columns, the events without a time, and
/// the numbers by bucket in a table that opens on demand.
pub fn over_time(h: &mut Html, j: &Json, base: &str, tc: &TimeChart<'_>) {
    let ot = j.pointer(base).cloned().unwrap_or(Json::Null);
    let series = ot
        .get("series")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let bucket = ot.get("bucket").and_then(Json::as_str).unwrap_or("hour");
    h.el(
        "p",
        &[("class", "note")],
        &format!("By {bucket} (UTC), from each event's own time: a log entry's date, else the latest authentication.methods timestamp."),
    );
    let no_time = format!("{base}/no_time/events");
    if count(j, &no_time) > 0 {
        h.open("p", &[("class", "note")]);
        h.text("Events without a time (not in the chart): ");
        h.num("span", "n", &no_time, count(j, &no_time));
        h.close("p");
    }
    if series.is_empty() {
        return;
    }
    let cols: Vec<Column> = series
        .iter()
        .enumerate()
        .map(|(i, b)| Column {
            label: b
                .get("start")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            parts: (tc.parts)(b),
            total_pointer: format!("{base}/series/{i}/events"),
            total: count(b, "/events"),
        })
        .collect();
    chart::columns(h, &format!("events by {bucket}"), &cols, tc.legend);
    h.open("details", &[]);
    h.el("summary", &[], &format!("The numbers by {bucket}"));
    h.open("table", &[]).open("tr", &[]);
    h.el("th", &[], "from");
    h.el("th", &[("class", "n")], "events");
    for (_, header) in tc.fields {
        h.el("th", &[("class", "n")], header);
    }
    h.close("tr");
    for (i, b) in series.iter().enumerate() {
        h.open("tr", &[]);
        h.el(
            "td",
            &[],
            b.get("start").and_then(Json::as_str).unwrap_or(""),
        );
        let at = format!("{base}/series/{i}");
        h.num("td", "n", &format!("{at}/events"), count(b, "/events"));
        for (field, _) in tc.fields {
            h.num(
                "td",
                "n",
                &format!("{at}/{field}"),
                count(b, &format!("/{field}")),
            );
        }
        h.close("tr");
    }
    h.close("table").close("details");
}

/// A sample's explanation, line by line, in a `<pre>`.
pub fn trace(h: &mut Html, title: &str, text: &str) {
    h.el("h3", &[], title);
    h.open("pre", &[]);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            h.raw("\n");
        }
        h.text(line);
    }
    h.close("pre");
}
