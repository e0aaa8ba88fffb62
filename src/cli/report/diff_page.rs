//! The `diff` report page, drawn from `diff --format json`'s object.

use super::chart::{self, Bar};
use super::html::Html;
use super::page::{self, count, ptr, TimeChart};
use super::tally::{GROUPS, KINDS};
use super::Trace;
use serde_json::Value as Json;

/// What the page says besides the JSON's numbers.
pub struct Info<'a> {
    /// The old policy (or Action) as named on the command line.
    pub old: &'a str,
    /// The new policy.
    pub new: &'a str,
    /// The input.
    pub events: &'a str,
    /// `events` or `Auth0 logs`.
    pub input: &'a str,
    /// Whether identities may be shown.
    pub identities: bool,
    /// Per JSON sample, in order: its explanations.
    pub traces: Vec<Vec<Trace>>,
}

fn kinds_present(j: &Json) -> Vec<&'static str> {
    KINDS
        .iter()
        .map(|k| k.as_str())
        .filter(|k| {
            count(j, &ptr(&["decisions", "old", k])) > 0
                || count(j, &ptr(&["decisions", "new", k])) > 0
        })
        .collect()
}

/// The page.
pub fn render(j: &Json, info: &Info<'_>) -> String {
    let mut h = Html::new();
    let title = format!("mfapol impact report: {} → {}", info.old, info.new);
    page::start(&mut h, &title);
    h.el("h1", &[], "What changes if the new policy goes live");
    h.el("p", &[("class", "meta")], &format!("old: {}", info.old));
    h.el("p", &[("class", "meta")], &format!("new: {}", info.new));
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
            ("#matrix", "Transitions"),
            ("#breakdowns", "Breakdowns"),
            ("#time", "Over time"),
            ("#rules", "Rules"),
            ("#samples", "Samples"),
        ],
    );
    totals(&mut h, j);
    mix(&mut h, j);
    matrix(&mut h, j);
    page::section(&mut h, "breakdowns", "Who moves: breakdowns");
    for g in GROUPS {
        h.el("h3", &[], page::group_title(g));
        let base = ptr(&["breakdowns", g]);
        page::breakdown(
            &mut h,
            &base,
            j.pointer(&base).unwrap_or(&Json::Null),
            &[
                ("events", "logins"),
                ("changed", "changed"),
                ("weaker", "weaker"),
            ],
            &|row| {
                let (e, c, w) = (
                    count(row, "/events"),
                    count(row, "/changed"),
                    count(row, "/weaker"),
                );
                vec![
                    (e.saturating_sub(c), "m-same"),
                    (c.saturating_sub(w), "m-changed"),
                    (w, "m-weaker"),
                ]
            },
            g,
        );
    }
    page::section(&mut h, "time", "Over time");
    let parts = |b: &Json| {
        let (e, c, w) = (
            count(b, "/events"),
            count(b, "/changed"),
            count(b, "/weaker"),
        );
        vec![e.saturating_sub(c), c.saturating_sub(w), w]
    };
    page::over_time(
        &mut h,
        j,
        "/over_time",
        &TimeChart {
            legend: &[
                ("m-same", "unchanged"),
                ("m-changed", "changed"),
                ("m-weaker", "weaker"),
            ],
            parts: &parts,
            fields: &[("changed", "changed"), ("weaker", "weaker")],
        },
    );
    rules(&mut h, j, info.identities);
    samples(&mut h, j, info);
    page::end(&mut h, "mfapol diff", info.identities);
    h.finish()
}

fn totals(h: &mut Html, j: &Json) {
    page::section(h, "totals", "Totals");
    h.open("div", &[("class", "cards")]);
    page::card(h, j, "/events", "logins evaluated", "");
    page::card(h, j, "/changed", "get another decision", "changed");
    page::card(h, j, "/weaker", "get a weaker decision", "weaker");
    page::card(h, j, "/unchanged", "unchanged", "");
    page::card(
        h,
        j,
        "/requirement_changes/changed",
        "another MFA requirement",
        "",
    );
    if count(j, "/changed_depends_on_missing") > 0 {
        page::card(
            h,
            j,
            "/changed_depends_on_missing",
            "changes that depend on fields logs lack",
            "",
        );
    }
    if count(j, "/failed_lines") > 0 {
        page::card(h, j, "/failed_lines", "lines that could not be read", "");
    }
    h.close("div");
    let skipped = j.get("skipped").and_then(Json::as_object);
    if let Some(skipped) = skipped.filter(|s| !s.is_empty()) {
        h.open("p", &[("class", "note")]);
        h.text("Log entries that are not logins were skipped: ");
        for (i, (t, _)) in skipped.iter().enumerate() {
            if i > 0 {
                h.text(", ");
            }
            h.text(&format!("{t} "));
            let p = ptr(&["skipped", t]);
            h.num("span", "n", &p, count(j, &p));
        }
        h.text(".");
        h.close("p");
    }
}

fn mix(h: &mut Html, j: &Json) {
    page::section(h, "mix", "Decision mix, before and after");
    let groups: Vec<(String, Vec<Bar>)> = kinds_present(j)
        .into_iter()
        .map(|k| {
            let bar = |side: &str, label: &str, class: &'static str| {
                let p = ptr(&["decisions", side, k]);
                Bar {
                    label: label.into(),
                    value: count(j, &p),
                    pointer: p,
                    class,
                }
            };
            (
                k.to_string(),
                vec![bar("old", "before", "old"), bar("new", "after", "new")],
            )
        })
        .collect();
    chart::hbars(h, "decisions before and after", &groups);
}

fn matrix(h: &mut Html, j: &Json) {
    page::section(h, "matrix", "Transitions: old decision → new decision");
    h.el(
        "p",
        &[("class", "note")],
        "Rows: the old policy's decision; columns: the new one's. Red: weaker (fewer logins challenged or denied, or an easier requirement); amber: changed.",
    );
    let kinds = kinds_present(j);
    let cells = j
        .get("matrix")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let find = |o: &str, n: &str| {
        cells.iter().position(|c| {
            c.get("old").and_then(Json::as_str) == Some(o)
                && c.get("new").and_then(Json::as_str) == Some(n)
        })
    };
    h.open("table", &[("class", "matrix")]).open("tr", &[]);
    h.el("th", &[], "old \\ new");
    for k in &kinds {
        h.el("th", &[("class", "n")], k);
    }
    h.close("tr");
    for o in &kinds {
        h.open("tr", &[]);
        h.el("th", &[("class", "side")], o);
        for n in &kinds {
            let Some(i) = find(o, n) else {
                h.el("td", &[("class", "n same")], "–");
                continue;
            };
            let base = format!("/matrix/{i}");
            let cell = cells.get(i).unwrap_or(&Json::Null);
            let class = if count(cell, "/weaker") > 0 {
                "n weaker"
            } else if count(cell, "/changed") > 0 {
                "n changed"
            } else {
                "n same"
            };
            h.open("td", &[("class", class)]);
            h.num("span", "n", &format!("{base}/count"), count(cell, "/count"));
            if o == n && count(cell, "/changed") > 0 {
                h.open("div", &[("class", "note")]);
                h.num(
                    "span",
                    "n",
                    &format!("{base}/changed"),
                    count(cell, "/changed"),
                );
                h.text(" with another requirement, ");
                h.num(
                    "span",
                    "n",
                    &format!("{base}/weaker"),
                    count(cell, "/weaker"),
                );
                h.text(" weaker");
                h.close("div");
            }
            h.close("td");
        }
        h.close("tr");
    }
    h.close("table");
}

/// A deciding rule's name as shown: an Action's thrown message can quote
/// anything, so it is hidden without `--report-identities`.
pub fn rule_label(name: &str, identities: bool) -> String {
    match name.strip_prefix("the Action threw: ") {
        Some(_) if !identities => {
            "the Action threw (message hidden: --report-identities shows it)".into()
        }
        _ => name.to_string(),
    }
}

/// The most deciding rules of each side.
pub const TOP_RULES: usize = 12;

fn rules(h: &mut Html, j: &Json, identities: bool) {
    page::section(h, "rules", "Rules that decided most");
    for (side, title) in [("old", "Old policy"), ("new", "New policy")] {
        h.el("h3", &[], title);
        let Some(obj) = j
            .pointer(&ptr(&["by_rule", side]))
            .and_then(Json::as_object)
        else {
            continue;
        };
        let mut v: Vec<(&String, u64)> = obj
            .iter()
            .map(|(k, n)| (k, n.as_u64().unwrap_or(0)))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let groups: Vec<(String, Vec<Bar>)> = v
            .into_iter()
            .take(TOP_RULES)
            .map(|(k, n)| {
                (
                    rule_label(k, identities),
                    vec![Bar {
                        label: String::new(),
                        value: n,
                        pointer: ptr(&["by_rule", side, k]),
                        class: if side == "old" { "old" } else { "new" },
                    }],
                )
            })
            .collect();
        chart::hbars(h, &format!("deciding rules, {side} policy"), &groups);
    }
}

fn samples(h: &mut Html, j: &Json, info: &Info<'_>) {
    page::section(h, "samples", "Sample logins per transition");
    let list = j
        .get("samples")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if list.is_empty() {
        h.el("p", &[("class", "note")], "No decision changed.");
        return;
    }
    let mut current = None;
    for (i, s) in list.iter().enumerate() {
        let text = |k: &str| s.get(k).and_then(Json::as_str).unwrap_or("(none)");
        let class = (text("old"), text("new"));
        if current != Some(class) {
            current = Some(class);
            h.el("h3", &[], &format!("{} → {}", class.0, class.1));
        }
        h.open("details", &[]);
        h.open("summary", &[]);
        h.text("line ");
        h.num(
            "span",
            "n",
            &format!("/samples/{i}/line"),
            count(s, "/line"),
        );
        let user = match s.get("user_id").and_then(Json::as_str) {
            Some(u) if info.identities => u.to_string(),
            Some(_) => "user hidden".into(),
            None => "no user id".into(),
        };
        h.text(&format!(
            " · {user} · rule {} → {}",
            rule_label(text("old_rule"), info.identities),
            text("new_rule")
        ));
        h.text(" ");
        if s.get("weaker").and_then(Json::as_bool) == Some(true) {
            h.el("span", &[("class", "badge weaker")], "weaker");
        } else {
            h.el("span", &[("class", "badge changed")], "changed");
        }
        h.close("summary");
        for t in info.traces.get(i).map(Vec::as_slice).unwrap_or_default() {
            page::trace(h, &t.title, &t.text);
        }
        h.close("details");
    }
}
