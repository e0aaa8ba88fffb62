//! Charts as inline SVG, drawn from the report's counts: horizontal bars
//! (decision mix, rules), stacked columns (decisions over time) and small
//! stacked bars in table rows. Colours come from CSS classes in the page's
//! one style sheet; no style attribute, no script, nothing fetched.

use super::html::Html;

/// One bar: its label, count, the count's JSON pointer and CSS class.
pub struct Bar {
    /// Shown left of the bar.
    pub label: String,
    /// The count.
    pub value: u64,
    /// Where the count is in the JSON output.
    pub pointer: String,
    /// Its colour (a CSS class).
    pub class: &'static str,
}

/// Bars of counts, grouped (a decision kind with its before and after
/// bars, or one bar per rule), scaled to the largest count.
pub fn hbars(h: &mut Html, title: &str, groups: &[(String, Vec<Bar>)]) {
    const WIDTH: u64 = 720;
    const LABEL: u64 = 230;
    const BAR_MAX: u64 = 380;
    const ROW: u64 = 20;
    let max = groups
        .iter()
        .flat_map(|(_, bars)| bars.iter().map(|b| b.value))
        .max()
        .unwrap_or(0)
        .max(1);
    let rows: u64 = groups.iter().map(|(_, b)| b.len() as u64).sum();
    let gaps = groups.len() as u64;
    let height = rows * ROW + gaps * 8 + 4;
    let (w, ht) = (WIDTH.to_string(), height.to_string());
    let vb = format!("0 0 {WIDTH} {height}");
    h.open(
        "svg",
        &[
            ("class", "chart"),
            ("width", &w),
            ("height", &ht),
            ("viewBox", &vb),
            ("role", "img"),
        ],
    );
    h.el("title", &[], title);
    let mut y = 4;
    for (label, bars) in groups {
        for (i, b) in bars.iter().enumerate() {
            let len = (b.value.saturating_mul(BAR_MAX) / max).max(u64::from(b.value > 0));
            let text_y = (y + 14).to_string();
            if i == 0 {
                h.el(
                    "text",
                    &[("x", "0"), ("y", &text_y), ("class", "lbl")],
                    label,
                );
            }
            if !b.label.is_empty() {
                h.el(
                    "text",
                    &[
                        ("x", &(LABEL - 8).to_string()),
                        ("y", &text_y),
                        ("class", "sub"),
                        ("text-anchor", "end"),
                    ],
                    &b.label,
                );
            }
            h.void(
                "rect",
                &[
                    ("x", &LABEL.to_string()),
                    ("y", &(y + 3).to_string()),
                    ("width", &len.to_string()),
                    ("height", "14"),
                    ("class", b.class),
                ],
            );
            h.open(
                "text",
                &[
                    ("x", &(LABEL + len + 6).to_string()),
                    ("y", &text_y),
                    ("class", "val"),
                ],
            );
            h.num("tspan", "n", &b.pointer, b.value);
            h.close("text");
            y += ROW;
        }
        y += 8;
    }
    h.close("svg");
}

/// One column of a stacked chart: a label (the bucket's start), its parts
/// (in the order of the legend) and its total's JSON pointer.
pub struct Column {
    /// The bucket's start, shown under the first, middle and last column.
    pub label: String,
    /// Counts per legend entry.
    pub parts: Vec<u64>,
    /// The total's pointer.
    pub total_pointer: String,
    /// The total.
    pub total: u64,
}

/// Stacked columns over time, with a legend of `(CSS class, name)`.
pub fn columns(h: &mut Html, title: &str, cols: &[Column], legend: &[(&'static str, &str)]) {
    const WIDTH: u64 = 900;
    const LEFT: u64 = 70;
    const PLOT_W: u64 = WIDTH - LEFT - 10;
    const PLOT_H: u64 = 180;
    const TOP: u64 = 28;
    let height = TOP + PLOT_H + 40;
    let n = cols.len().max(1) as u64;
    let step = (PLOT_W / n).max(1);
    let bar_w = if step > 2 { step - 1 } else { step };
    let top = cols.iter().max_by_key(|c| c.total);
    let max = top.map_or(0, |c| c.total).max(1);
    let vb = format!("0 0 {WIDTH} {height}");
    h.open(
        "svg",
        &[
            ("class", "chart"),
            ("width", &WIDTH.to_string()),
            ("height", &height.to_string()),
            ("viewBox", &vb),
            ("role", "img"),
        ],
    );
    h.el("title", &[], title);
    // Legend.
    let mut x = LEFT;
    for (class, name) in legend {
        h.void(
            "rect",
            &[
                ("x", &x.to_string()),
                ("y", "6"),
                ("width", "12"),
                ("height", "12"),
                ("class", class),
            ],
        );
        h.el(
            "text",
            &[("x", &(x + 16).to_string()), ("y", "17"), ("class", "sub")],
            name,
        );
        x += 24 + 8 * name.chars().count() as u64;
    }
    // The largest column's total marks the top of the scale.
    let axis_y = (TOP + PLOT_H).to_string();
    h.void(
        "line",
        &[
            ("x1", &LEFT.to_string()),
            ("y1", &axis_y),
            ("x2", &(LEFT + PLOT_W).to_string()),
            ("y2", &axis_y),
            ("class", "axis"),
        ],
    );
    if let Some(top) = top {
        h.open(
            "text",
            &[
                ("x", &(LEFT - 6).to_string()),
                ("y", &(TOP + 10).to_string()),
                ("class", "sub"),
                ("text-anchor", "end"),
            ],
        );
        h.num("tspan", "n", &top.total_pointer, top.total);
        h.close("text");
    }
    h.el(
        "text",
        &[
            ("x", &(LEFT - 6).to_string()),
            ("y", &axis_y),
            ("class", "sub"),
            ("text-anchor", "end"),
        ],
        "0",
    );
    let last = cols.len().saturating_sub(1);
    for (i, c) in cols.iter().enumerate() {
        let x = LEFT + i as u64 * step;
        let mut y = TOP + PLOT_H;
        h.open("g", &[]);
        h.el("title", &[], &c.label);
        for (part, (class, _)) in c.parts.iter().zip(legend) {
            let len = part.saturating_mul(PLOT_H) / max;
            let len = len.max(u64::from(*part > 0));
            y = y.saturating_sub(len);
            h.void(
                "rect",
                &[
                    ("x", &x.to_string()),
                    ("y", &y.to_string()),
                    ("width", &bar_w.to_string()),
                    ("height", &len.to_string()),
                    ("class", class),
                ],
            );
        }
        h.close("g");
        if i == 0 || i == last || (cols.len() > 4 && i == last / 2) {
            let anchor = if i == 0 {
                "start"
            } else if i == last {
                "end"
            } else {
                "middle"
            };
            let tx = if i == last { x + bar_w } else { x };
            h.el(
                "text",
                &[
                    ("x", &tx.to_string()),
                    ("y", &(TOP + PLOT_H + 16).to_string()),
                    ("class", "sub"),
                    ("text-anchor", anchor),
                ],
                &c.label,
            );
        }
    }
    h.close("svg");
}

/// A small stacked bar for a table row: parts `(count, CSS class)` scaled
/// so that `max` fills it.
pub fn mini(h: &mut Html, parts: &[(u64, &'static str)], max: u64) {
    const W: u64 = 160;
    let max = max.max(1);
    h.open(
        "svg",
        &[
            ("class", "mini"),
            ("width", "160"),
            ("height", "10"),
            ("viewBox", "0 0 160 10"),
            ("aria-hidden", "true"),
        ],
    );
    let mut x = 0;
    for (n, class) in parts {
        let len = (n.saturating_mul(W) / max).max(u64::from(*n > 0));
        if len == 0 {
            continue;
        }
        h.void(
            "rect",
            &[
                ("x", &x.to_string()),
                ("y", "0"),
                ("width", &len.to_string()),
                ("height", "10"),
                ("class", class),
            ],
        );
        x += len;
    }
    h.close("svg");
}
