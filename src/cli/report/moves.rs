//! What `diff` counts for the impact report, beside its own totals: the
//! whole transition matrix, the decision mix before and after, deciding
//! rules, breakdowns over every event, decisions over time and samples.
//! Written to `diff --format json` as additive fields (docs/report.md).

use super::tally::{self, Capped, Count, Moves, Samples, Series, Tally, GROUPS};
use mfapol::eval::DecisionKind;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// One evaluated event, as `diff` hands it over.
pub struct Event<'a> {
    /// 1-based input line.
    pub line: u64,
    /// Position in a line holding several log entries.
    pub entry: Option<usize>,
    /// The (projected) event.
    pub event: &'a Json,
    /// A log entry's date.
    pub date_ms: Option<i64>,
    /// The evaluation time.
    pub now: i64,
    /// Old and new decision.
    pub old: DecisionKind,
    /// New decision.
    pub new: DecisionKind,
    /// Whether decision or requirement differ.
    pub changed: bool,
    /// Whether the new one is weaker.
    pub weaker: bool,
    /// Old deciding rule (`default`, or what the Action did).
    pub old_rule: Option<&'a str>,
    /// New deciding rule.
    pub new_rule: Option<&'a str>,
}

/// A changed event kept as a sample.
#[derive(Debug)]
pub struct Sample {
    /// 1-based input line.
    pub line: u64,
    /// Position in the line.
    pub entry: Option<usize>,
    /// `user.user_id`.
    pub user: Option<String>,
    /// Old deciding rule.
    pub old_rule: Option<String>,
    /// New deciding rule.
    pub new_rule: Option<String>,
    /// Whether it got weaker.
    pub weaker: bool,
    /// The event and its evaluation time, kept only for a report.
    pub event: Option<(Json, i64)>,
}

/// The report's counts for `diff`.
#[derive(Debug, Default)]
pub struct DiffAgg {
    /// What to count.
    pub mode: super::Mode,
    cells: BTreeMap<(DecisionKind, DecisionKind), Moves>,
    rules: [Capped<Count>; 2],
    groups: [Capped<Moves>; 4],
    time: Series<Moves>,
    /// Changed events, the first few per transition.
    pub samples: Samples<(DecisionKind, DecisionKind), Sample>,
}

impl DiffAgg {
    /// An empty aggregate for one chunk.
    pub fn new(mode: super::Mode) -> Self {
        DiffAgg {
            mode,
            ..DiffAgg::default()
        }
    }

    /// Counts one event.
    pub fn add(&mut self, e: &Event<'_>) {
        if self.mode == super::Mode::Off {
            return;
        }
        let m = Moves::one(e.changed, e.weaker);
        self.cells.entry((e.old, e.new)).or_default().merge(&m);
        let [old_rules, new_rules] = &mut self.rules;
        // An Action's thrown messages are counted as one: they are many,
        // and they can quote anything the Action read.
        let old_rule = match e.old_rule {
            Some(r) if r.starts_with("the Action threw: ") => "the Action threw",
            r => r.unwrap_or(tally::NONE),
        };
        old_rules.at(Some(old_rule)).0 += 1;
        new_rules.at(Some(e.new_rule.unwrap_or(tally::NONE))).0 += 1;
        let (keys, time) = tally::facts(e.event, e.date_ms);
        for (g, key) in self.groups.iter_mut().zip(keys) {
            g.at(key).merge(&m);
        }
        self.time.at(time).merge(&m);
        if e.changed && self.samples.wants((e.old, e.new)) {
            self.samples.add(
                (e.old, e.new),
                Sample {
                    line: e.line,
                    entry: e.entry,
                    user: mfapol::replay::user_id(e.event).map(|u| tally::shorten(u).into_owned()),
                    old_rule: e.old_rule.map(|r| tally::shorten(r).into_owned()),
                    new_rule: e.new_rule.map(str::to_string),
                    weaker: e.weaker,
                    event: (self.mode == super::Mode::Page).then(|| (e.event.clone(), e.now)),
                },
            );
        }
    }

    /// Adds a later chunk.
    pub fn merge(&mut self, o: DiffAgg) {
        for (k, v) in &o.cells {
            self.cells.entry(*k).or_default().merge(v);
        }
        for (a, b) in self.rules.iter_mut().zip(&o.rules) {
            a.merge(b);
        }
        for (a, b) in self.groups.iter_mut().zip(&o.groups) {
            a.merge(b);
        }
        self.time.merge(&o.time);
        self.samples.merge(o.samples);
    }

    /// Adds the report's fields to `diff`'s JSON object: `matrix`,
    /// `decisions`, `by_rule`, `breakdowns`, `over_time`, `samples`.
    pub fn json_into(&self, m: &mut Map<String, Json>) {
        let mut before: BTreeMap<&str, u64> = BTreeMap::new();
        let mut after: BTreeMap<&str, u64> = BTreeMap::new();
        let mut matrix = Vec::new();
        for ((old, new), mv) in &self.cells {
            *before.entry(old.as_str()).or_default() += mv.events;
            *after.entry(new.as_str()).or_default() += mv.events;
            matrix.push(json!({
                "old": old.as_str(), "new": new.as_str(),
                "count": mv.events, "changed": mv.changed, "weaker": mv.weaker,
            }));
        }
        // A kind on one side only is 0 on the other, so both can be shown.
        for k in before
            .keys()
            .chain(after.keys())
            .copied()
            .collect::<Vec<_>>()
        {
            before.entry(k).or_default();
            after.entry(k).or_default();
        }
        m.insert("matrix".into(), Json::Array(matrix));
        m.insert("decisions".into(), json!({"old": before, "new": after}));
        m.insert(
            "by_rule".into(),
            json!({"old": self.rules[0].object(), "new": self.rules[1].object()}),
        );
        let breakdowns: Map<String, Json> = GROUPS
            .iter()
            .zip(&self.groups)
            .map(|(name, g)| (name.to_string(), g.rows()))
            .collect();
        m.insert("breakdowns".into(), Json::Object(breakdowns));
        m.insert("over_time".into(), self.time.to_json());
        let samples: Vec<Json> = self
            .samples
            .iter()
            .map(|((old, new), s)| {
                let mut o = Map::new();
                super::super::batch::locate(&mut o, s.line, s.entry);
                o.insert("old".into(), json!(old.as_str()));
                o.insert("new".into(), json!(new.as_str()));
                o.insert("user_id".into(), json!(s.user));
                o.insert("old_rule".into(), json!(s.old_rule));
                o.insert("new_rule".into(), json!(s.new_rule));
                o.insert("weaker".into(), json!(s.weaker));
                Json::Object(o)
            })
            .collect();
        m.insert("samples".into(), Json::Array(samples));
    }
}
