//! What batch `eval` counts for the impact report, beside its summary:
//! decisions by connection, application, organization and country,
//! decisions over time and samples per decision. Written to the
//! `--summary --format json` line as additive fields (docs/report.md).

use super::tally::{self, Capped, Mix, Samples, Series, Tally, GROUPS};
use mfapol::eval::DecisionKind;
use serde_json::{json, Map, Value as Json};

/// An event kept as a sample of its decision.
#[derive(Debug)]
pub struct Sample {
    /// 1-based input line.
    pub line: u64,
    /// Position in the line.
    pub entry: Option<usize>,
    /// `user.user_id`.
    pub user: Option<String>,
    /// The deciding rule.
    pub rule: Option<String>,
    /// The event and its evaluation time, kept only for a report.
    pub event: Option<(Json, i64)>,
}

/// The report's counts for batch `eval`.
#[derive(Debug, Default)]
pub struct EvalAgg {
    /// What to count.
    pub mode: super::Mode,
    groups: [Capped<Mix>; 4],
    time: Series<Mix>,
    /// The first few events per decision.
    pub samples: Samples<DecisionKind, Sample>,
}

impl EvalAgg {
    /// An empty aggregate for one chunk.
    pub fn new(mode: super::Mode) -> Self {
        EvalAgg {
            mode,
            ..EvalAgg::default()
        }
    }

    /// Counts one event.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        line: u64,
        entry: Option<usize>,
        event: &Json,
        date_ms: Option<i64>,
        now: i64,
        kind: DecisionKind,
        rule: Option<&str>,
    ) {
        if self.mode == super::Mode::Off {
            return;
        }
        let m = Mix::one(kind);
        let (keys, time) = tally::facts(event, date_ms);
        for (g, key) in self.groups.iter_mut().zip(keys) {
            g.at(key).merge(&m);
        }
        self.time.at(time).merge(&m);
        if self.samples.wants(kind) {
            self.samples.add(
                kind,
                Sample {
                    line,
                    entry,
                    user: mfapol::replay::user_id(event).map(|u| tally::shorten(u).into_owned()),
                    rule: rule.map(str::to_string),
                    event: (self.mode == super::Mode::Page).then(|| (event.clone(), now)),
                },
            );
        }
    }

    /// Adds a later chunk.
    pub fn merge(&mut self, o: EvalAgg) {
        for (a, b) in self.groups.iter_mut().zip(&o.groups) {
            a.merge(b);
        }
        self.time.merge(&o.time);
        self.samples.merge(o.samples);
    }

    /// Adds the report's fields to the summary object: `breakdowns`,
    /// `over_time`, `samples`.
    pub fn json_into(&self, m: &mut Map<String, Json>) {
        let breakdowns: Map<String, Json> = GROUPS
            .iter()
            .zip(&self.groups)
            .map(|(name, g)| (name.to_string(), g.rows()))
            .collect();
        m.insert("breakdowns".into(), Json::Object(breakdowns));
        m.insert("over_time".into(), self.time.to_json());
        let mut samples: Vec<(usize, Json)> = self
            .samples
            .iter()
            .map(|(kind, s)| {
                let mut o = Map::new();
                super::super::batch::locate(&mut o, s.line, s.entry);
                o.insert("decision".into(), json!(kind.as_str()));
                o.insert("rule".into(), json!(s.rule));
                o.insert("user_id".into(), json!(s.user));
                (tally::slot(*kind), Json::Object(o))
            })
            .collect();
        // Strongest decision first, as the page shows them.
        samples.sort_by_key(|(slot, _)| *slot);
        m.insert(
            "samples".into(),
            Json::Array(samples.into_iter().map(|(_, j)| j).collect()),
        );
    }

    /// The samples in the order of the JSON `samples` array.
    pub fn samples_in_order(&self) -> Vec<(DecisionKind, &Sample)> {
        let mut v: Vec<(DecisionKind, &Sample)> =
            self.samples.iter().map(|(k, s)| (*k, s)).collect();
        v.sort_by_key(|(k, _)| tally::slot(*k));
        v
    }
}
