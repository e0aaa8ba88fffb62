//! Bounded aggregates for the impact report: counts by key with a cap on
//! the number of keys, counts by time bucket with a cap on the number of
//! buckets, and the first few samples per class. Memory depends on these
//! caps, never on the number of events (SPEC §14: aggregates, not rows).

use mfapol::eval::DecisionKind;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// The most keys one breakdown keeps apart; a new key after that is
/// counted under [`OTHER`].
pub const MAX_KEYS: usize = 5_000;
/// The key of everything past [`MAX_KEYS`].
pub const OTHER: &str = "(other)";
/// The key of events without the field.
pub const NONE: &str = "(none)";
/// Samples kept per transition (diff) or decision (eval).
pub const SAMPLES: usize = 3;
/// The longest key or sample text kept, in bytes: an event line may hold
/// 16 MiB, and neither memory nor the page should grow with it.
pub const MAX_TEXT_BYTES: usize = 200;

/// `s`, cut to [`MAX_TEXT_BYTES`] at a character boundary and marked `…`.
pub fn shorten(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= MAX_TEXT_BYTES {
        return s.into();
    }
    let mut end = MAX_TEXT_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", s.get(..end).unwrap_or_default()).into()
}

/// Decision kinds in the order the report shows them, strongest first.
pub const KINDS: [DecisionKind; 6] = [
    DecisionKind::Error,
    DecisionKind::Deny,
    DecisionKind::RequireMfa,
    DecisionKind::EnrollMfa,
    DecisionKind::SkipMfa,
    DecisionKind::None,
];

/// The position of a kind in [`KINDS`].
pub fn slot(k: DecisionKind) -> usize {
    match k {
        DecisionKind::Error => 0,
        DecisionKind::Deny => 1,
        DecisionKind::RequireMfa => 2,
        DecisionKind::EnrollMfa => 3,
        DecisionKind::SkipMfa => 4,
        DecisionKind::None => 5,
    }
}

/// A count that can be merged and written as JSON.
pub trait Tally: Default {
    /// Adds another count of the same kind.
    fn merge(&mut self, other: &Self);
    /// How many events it counts (for sorting).
    fn events(&self) -> u64;
    /// Its fields as JSON.
    fn to_json(&self) -> Map<String, Json>;
}

/// One number.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub u64);

impl Tally for Count {
    fn merge(&mut self, o: &Self) {
        self.0 = self.0.saturating_add(o.0);
    }
    fn events(&self) -> u64 {
        self.0
    }
    fn to_json(&self) -> Map<String, Json> {
        let mut m = Map::new();
        m.insert("events".into(), json!(self.0));
        m
    }
}

/// How a group of events moved between two policies (`diff`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moves {
    /// Events.
    pub events: u64,
    /// Events whose decision or requirement changed (weaker ones included).
    pub changed: u64,
    /// Events whose decision or requirement got weaker.
    pub weaker: u64,
}

impl Moves {
    /// One event.
    pub fn one(changed: bool, weaker: bool) -> Moves {
        Moves {
            events: 1,
            changed: u64::from(changed),
            weaker: u64::from(weaker),
        }
    }
}

impl Tally for Moves {
    fn merge(&mut self, o: &Self) {
        self.events = self.events.saturating_add(o.events);
        self.changed = self.changed.saturating_add(o.changed);
        self.weaker = self.weaker.saturating_add(o.weaker);
    }
    fn events(&self) -> u64 {
        self.events
    }
    fn to_json(&self) -> Map<String, Json> {
        let mut m = Map::new();
        m.insert("events".into(), json!(self.events));
        m.insert("changed".into(), json!(self.changed));
        m.insert("weaker".into(), json!(self.weaker));
        m
    }
}

/// A group of events by decision (batch `eval`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    /// Events.
    pub events: u64,
    /// By decision, in [`KINDS`] order.
    pub by_decision: [u64; 6],
}

impl Mix {
    /// One event with this decision.
    pub fn one(k: DecisionKind) -> Mix {
        let mut m = Mix {
            events: 1,
            ..Mix::default()
        };
        if let Some(n) = m.by_decision.get_mut(slot(k)) {
            *n = 1;
        }
        m
    }
}

impl Tally for Mix {
    fn merge(&mut self, o: &Self) {
        self.events = self.events.saturating_add(o.events);
        for (a, b) in self.by_decision.iter_mut().zip(o.by_decision) {
            *a = a.saturating_add(b);
        }
    }
    fn events(&self) -> u64 {
        self.events
    }
    fn to_json(&self) -> Map<String, Json> {
        let mut m = Map::new();
        m.insert("events".into(), json!(self.events));
        // `error` is never a policy's decision: left out, as in `by_decision`.
        let by: Map<String, Json> = KINDS
            .iter()
            .zip(self.by_decision)
            .filter(|(k, _)| **k != DecisionKind::Error)
            .map(|(k, n)| (k.as_str().to_string(), json!(n)))
            .collect();
        m.insert("by_decision".into(), Json::Object(by));
        m
    }
}

/// Counts by text key, at most [`MAX_KEYS`] keys.
#[derive(Debug)]
pub struct Capped<V> {
    map: BTreeMap<String, V>,
    other: Option<V>,
}

impl<V> Default for Capped<V> {
    fn default() -> Self {
        Capped {
            map: BTreeMap::new(),
            other: None,
        }
    }
}

impl<V: Tally> Capped<V> {
    /// The count for `key` (`None`: [`NONE`]), or for [`OTHER`] once the
    /// cap is reached.
    pub fn at(&mut self, key: Option<&str>) -> &mut V {
        let key = shorten(key.unwrap_or(NONE));
        let key = key.as_ref();
        // Look up by `&str` first: most events repeat a key already seen,
        // and `entry` would allocate the key for each of them.
        if self.map.contains_key(key) {
            return match self.map.get_mut(key) {
                Some(v) => v,
                None => self.other.get_or_insert_with(V::default),
            };
        }
        if self.map.len() < MAX_KEYS {
            return self.map.entry(key.to_string()).or_default();
        }
        self.other.get_or_insert_with(V::default)
    }

    /// Adds another chunk's counts (merged in input order, so the keys
    /// that get a row of their own are the first ones met).
    pub fn merge(&mut self, o: &Capped<V>) {
        for (k, v) in &o.map {
            self.at(Some(k)).merge(v);
        }
        if let Some(v) = &o.other {
            self.other.get_or_insert_with(V::default).merge(v);
        }
    }

    /// Rows `{"key": K, ...}`, most events first, then by key; the
    /// [`OTHER`] row last.
    pub fn rows(&self) -> Json {
        let mut v: Vec<(&str, &V)> = self.map.iter().map(|(k, v)| (k.as_str(), v)).collect();
        v.sort_by(|a, b| b.1.events().cmp(&a.1.events()).then(a.0.cmp(b.0)));
        if let Some(o) = &self.other {
            v.push((OTHER, o));
        }
        Json::Array(
            v.into_iter()
                .map(|(k, t)| {
                    let mut m = t.to_json();
                    m.insert("key".into(), json!(k));
                    Json::Object(m)
                })
                .collect(),
        )
    }

    /// `{KEY: events}`, with [`OTHER`] when the cap was reached.
    pub fn object(&self) -> Json {
        let mut m: Map<String, Json> = self
            .map
            .iter()
            .map(|(k, v)| (k.clone(), json!(v.events())))
            .collect();
        if let Some(o) = &self.other {
            m.insert(OTHER.into(), json!(o.events()));
        }
        Json::Object(m)
    }
}

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// The most buckets kept while reading; past it, buckets get wider.
const MAX_BUCKETS: usize = 10_000;
/// The most buckets shown (and written to JSON).
pub const SHOWN_BUCKETS: i64 = 240;

/// The next bucket width: an hour, a day, then twice as many days.
fn wider(w: i64) -> i64 {
    if w < DAY {
        DAY
    } else {
        w.saturating_mul(2)
    }
}

/// Counts by time bucket (aligned to the Unix epoch: hours, days, or
/// 2^k days), and the events without a time.
#[derive(Debug)]
pub struct Series<V> {
    width: i64,
    map: BTreeMap<i64, V>,
    no_time: V,
}

impl<V: Default> Default for Series<V> {
    fn default() -> Self {
        Series {
            width: HOUR,
            map: BTreeMap::new(),
            no_time: V::default(),
        }
    }
}

impl<V: Tally> Series<V> {
    /// The count for an event at `ms` (`None`: no time).
    pub fn at(&mut self, ms: Option<i64>) -> &mut V {
        match ms {
            None => &mut self.no_time,
            Some(ms) => self.bucket(ms.div_euclid(1000)),
        }
    }

    fn start(&self, secs: i64) -> i64 {
        secs.div_euclid(self.width).saturating_mul(self.width)
    }

    fn bucket(&mut self, secs: i64) -> &mut V {
        let mut start = self.start(secs);
        // Bounded: each step at least doubles the width, and a width past
        // the range of i64 seconds puts every time in one bucket.
        while self.map.len() >= MAX_BUCKETS && !self.map.contains_key(&start) {
            self.coarsen(wider(self.width));
            start = self.start(secs);
        }
        self.map.entry(start).or_default()
    }

    fn coarsen(&mut self, width: i64) {
        if width <= self.width {
            return;
        }
        self.width = width;
        for (start, v) in std::mem::take(&mut self.map) {
            let s = self.start(start);
            self.map.entry(s).or_default().merge(&v);
        }
    }

    /// Adds another chunk's counts.
    pub fn merge(&mut self, o: &Series<V>) {
        if o.width > self.width {
            self.coarsen(o.width);
        }
        for (start, v) in &o.map {
            self.bucket(*start).merge(v);
        }
        self.no_time.merge(&o.no_time);
    }

    /// `{"bucket", "bucket_seconds", "no_time", "series": [{"start", ...}]}`
    /// with buckets wide enough that at most [`SHOWN_BUCKETS`] span the
    /// events' times.
    pub fn to_json(&self) -> Json {
        let (first, last) = match (self.map.keys().next(), self.map.keys().next_back()) {
            (Some(a), Some(b)) => (*a, *b),
            _ => (0, 0),
        };
        let mut width = self.width;
        for _ in 0..64 {
            let span = last.saturating_sub(first).checked_div(width).unwrap_or(0);
            if span < SHOWN_BUCKETS {
                break;
            }
            width = wider(width);
        }
        let mut shown: BTreeMap<i64, V> = BTreeMap::new();
        for (start, v) in &self.map {
            let s = start.div_euclid(width).saturating_mul(width);
            shown.entry(s).or_default().merge(v);
        }
        let series: Vec<Json> = shown
            .iter()
            .map(|(start, v)| {
                let mut m = v.to_json();
                m.insert("start".into(), json!(rfc3339(*start)));
                Json::Object(m)
            })
            .collect();
        json!({
            "bucket": bucket_name(width),
            "bucket_seconds": width,
            "no_time": Json::Object(self.no_time.to_json()),
            "series": series,
        })
    }
}

/// `hour`, `day`, `4 days`.
fn bucket_name(width: i64) -> String {
    match width {
        HOUR => "hour".into(),
        DAY => "day".into(),
        w => format!("{} days", w / DAY),
    }
}

/// Seconds since the epoch as `2025-01-31T09:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("{secs} s after 1970"))
}

/// The first [`SAMPLES`] items per class, in input order.
#[derive(Debug)]
pub struct Samples<K, S> {
    map: BTreeMap<K, Vec<S>>,
}

impl<K, S> Default for Samples<K, S> {
    fn default() -> Self {
        Samples {
            map: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy, S> Samples<K, S> {
    /// Whether class `k` still takes a sample.
    pub fn wants(&self, k: K) -> bool {
        self.map.get(&k).is_none_or(|v| v.len() < SAMPLES)
    }

    /// Keeps `s` if class `k` has room.
    pub fn add(&mut self, k: K, s: S) {
        let v = self.map.entry(k).or_default();
        if v.len() < SAMPLES {
            v.push(s);
        }
    }

    /// Adds a later chunk's samples.
    pub fn merge(&mut self, o: Samples<K, S>) {
        for (k, v) in o.map {
            for s in v {
                self.add(k, s);
            }
        }
    }

    /// Every sample by class, classes in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &S)> {
        self.map
            .iter()
            .flat_map(|(k, v)| v.iter().map(move |s| (k, s)))
    }
}

/// What the report groups an event by: connection, application,
/// organization, country.
pub const GROUPS: [&str; 4] = ["connection", "client", "organization", "country"];

/// An event's keys for [`GROUPS`] and its time: the log entry's `date`,
/// else the latest `authentication.methods[].timestamp`.
pub fn facts(event: &Json, date_ms: Option<i64>) -> ([Option<&str>; 4], Option<i64>) {
    // Key by key: `Value::pointer` allocates for every token it unescapes,
    // which cost 10% of a whole `diff` run.
    let at = |keys: &[&str]| keys.iter().try_fold(event, |v, k| v.get(k));
    let text = |keys: &[&str]| at(keys).and_then(Json::as_str);
    let keys = [
        text(&["connection", "name"]),
        text(&["client", "name"]).or_else(|| text(&["client", "client_id"])),
        text(&["organization", "name"]).or_else(|| text(&["organization", "id"])),
        text(&["request", "geoip", "countryCode"]),
    ];
    let time = date_ms.or_else(|| {
        at(&["authentication", "methods"])
            .and_then(Json::as_array)?
            .iter()
            .filter_map(|m| m.get("timestamp").and_then(Json::as_str))
            .filter_map(mfapol::eval::parse_time)
            .max()
    });
    (keys, time)
}

/// The paths [`facts`] reads, for the event projection.
pub const FACT_PATHS: [&[&str]; 7] = [
    &["connection", "name"],
    &["client", "name"],
    &["client", "client_id"],
    &["organization", "name"],
    &["organization", "id"],
    &["request", "geoip", "countryCode"],
    &["authentication", "methods"],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_keys_overflow_into_other() {
        let mut c: Capped<Count> = Capped::default();
        for i in 0..MAX_KEYS + 10 {
            c.at(Some(&format!("k{i}"))).0 += 1;
        }
        c.at(Some("k0")).0 += 1;
        c.at(None).0 += 1;
        let rows = c.rows();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), MAX_KEYS + 1);
        assert_eq!(rows[0]["key"], "k0");
        assert_eq!(rows[0]["events"], 2);
        let other = rows.last().unwrap();
        assert_eq!(other["key"], OTHER);
        // 10 keys past the cap, and `(none)` arrived after it too.
        assert_eq!(other["events"], 11);
    }

    #[test]
    fn long_keys_are_cut() {
        let mut c: Capped<Count> = Capped::default();
        let long = "é".repeat(1_000);
        c.at(Some(&long)).0 += 1;
        c.at(Some(&format!("{long}x"))).0 += 1;
        let rows = c.rows();
        let key = rows[0]["key"].as_str().unwrap();
        assert!(key.len() <= MAX_TEXT_BYTES + 3 && key.ends_with('…'));
        assert_eq!(
            rows[0]["events"], 2,
            "keys equal up to the cut count together"
        );
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn series_buckets_by_hour_then_widen() {
        let mut s: Series<Count> = Series::default();
        let t0 = 1_735_689_600_000_i64; // 2025-01-01T00:00:00Z
        for h in 0..5 {
            s.at(Some(t0 + h * 3_600_000 + 59_000)).0 += 1;
        }
        s.at(None).0 += 1;
        let j = s.to_json();
        assert_eq!(j["bucket"], "hour");
        assert_eq!(j["series"][0]["start"], "2025-01-01T00:00:00Z");
        assert_eq!(j["series"].as_array().unwrap().len(), 5);
        assert_eq!(j["no_time"]["events"], 1);
        // 30 days of hours: more than SHOWN_BUCKETS, so days.
        s.at(Some(t0 + 30 * 86_400_000)).0 += 1;
        let j = s.to_json();
        assert_eq!(j["bucket"], "day");
        assert_eq!(j["series"][0]["events"], 5);
        assert_eq!(j["series"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn series_stays_bounded_on_hostile_times() {
        let mut s: Series<Count> = Series::default();
        for i in 0..(MAX_BUCKETS as i64 * 3) {
            s.at(Some(
                i.wrapping_mul(7_919_000_000_000).wrapping_sub(i64::MAX / 3),
            ))
            .0 += 1;
        }
        s.at(Some(i64::MAX)).0 += 1;
        s.at(Some(i64::MIN)).0 += 1;
        assert!(s.map.len() <= MAX_BUCKETS);
        let total: u64 = s.map.values().map(|c| c.0).sum();
        assert_eq!(total, MAX_BUCKETS as u64 * 3 + 2);
        let j = s.to_json();
        assert!(j["series"].as_array().unwrap().len() as i64 <= SHOWN_BUCKETS + 1);
    }

    #[test]
    fn samples_keep_the_first_per_class_across_chunks() {
        let mut a: Samples<u8, u64> = Samples::default();
        a.add(1, 10);
        a.add(1, 11);
        let mut b: Samples<u8, u64> = Samples::default();
        b.add(1, 20);
        b.add(1, 21);
        b.add(2, 22);
        a.merge(b);
        let got: Vec<(u8, u64)> = a.iter().map(|(k, s)| (*k, *s)).collect();
        assert_eq!(got, vec![(1, 10), (1, 11), (1, 20), (2, 22)]);
        assert!(!a.wants(1));
        assert!(a.wants(2));
    }
}
