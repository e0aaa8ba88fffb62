//! Batch input and replay: NDJSON lines of events or of Auth0 tenant log
//! entries, turned into events for [`crate::eval::evaluate`].
//!
//! - [`lines`]: reading NDJSON in chunks, processing chunks on several
//!   threads, results in input order;
//! - [`logs`]: log envelopes and which log types are logins;
//! - [`mapping`]: one log entry to one post-login event;
//! - [`coverage`]: which paths a rule reads, and which of those logs lack.
//!
//! Everything here is pure except [`lines::map_ordered`], which reads the
//! reader it is given; the library still opens no file.

pub mod coverage;
pub mod lines;
pub mod logs;
pub mod mapping;

#[cfg(test)]
mod tests;

pub use coverage::{coverage, paths_read, Coverage};
pub use mapping::{to_event, Mapped};

use crate::eval::Decision;
use crate::ir::Policy;
use serde_json::Value as Json;

/// What each input line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// One post-login event per line.
    Events,
    /// Auth0 tenant log entries, bare or in log-stream envelopes.
    Auth0Logs,
}

/// Where an event came from when it was rebuilt from a log entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LogOrigin {
    /// `log_id` (or `_id`, `id`).
    pub log_id: Option<String>,
    /// The log type code (`s`, `ssa`, ...).
    pub log_type: String,
    /// Paths this entry could not fill (see [`Mapped::gaps`]).
    pub gaps: Vec<&'static str>,
    /// The entry's `date`, the replay clock.
    pub date_ms: Option<i64>,
}

/// The evaluation time of an event: `--now` when given, else its log
/// entry's date, else the clock.
pub fn event_time(fixed: Option<i64>, origin: Option<&LogOrigin>, clock: i64) -> i64 {
    fixed
        .or_else(|| origin.and_then(|o| o.date_ms))
        .unwrap_or(clock)
}

/// One thing found in an input line.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// An event to evaluate.
    Event {
        /// 0-based position in a line that holds several log entries.
        entry: Option<usize>,
        /// The event.
        event: Json,
        /// Set for log input.
        origin: Option<LogOrigin>,
    },
    /// A log entry of a type that is not a login (counted, not evaluated).
    Skipped {
        /// 0-based position in a line that holds several log entries.
        entry: Option<usize>,
        /// Its type code.
        log_type: String,
    },
    /// A line (or one entry of it) that cannot be used.
    Error {
        /// 0-based position in a line that holds several log entries.
        entry: Option<usize>,
        /// What is wrong, in lowercase words.
        message: String,
        /// 1-based column in the line.
        column: usize,
    },
}

impl From<lines::TooLong> for Item {
    /// A line over the limit is an error record for that line, like a bad
    /// event: it is counted as failed, and nothing is decided for it.
    fn from(t: lines::TooLong) -> Item {
        Item::Error {
            entry: None,
            message: t.to_string(),
            column: t.limit.saturating_add(1),
        }
    }
}

/// Reads one input line: plain events through `projection` when one is
/// given (see [`read_event_line`]), everything else with [`read_line`].
pub fn read(
    line: &[u8],
    input: InputKind,
    projection: Option<&crate::eval::Projection>,
) -> Vec<Item> {
    match (input, projection) {
        (InputKind::Events, Some(p)) => read_event_line(line, p),
        _ => read_line(line, input),
    }
}

/// [`read_line`] for plain events, parsing only what `projection` keeps
/// (the paths the policy reads): the same decisions, the same errors, and
/// no tree built for the rest of the event.
pub fn read_event_line(line: &[u8], projection: &crate::eval::Projection) -> Vec<Item> {
    let text = match std::str::from_utf8(line) {
        Ok(t) => t,
        Err(e) => {
            return vec![Item::Error {
                entry: None,
                message: "invalid JSON: the line is not valid UTF-8".into(),
                column: e.valid_up_to().saturating_add(1),
            }]
        }
    };
    match projection.parse(text) {
        Ok(event) => vec![Item::Event {
            entry: None,
            event,
            origin: None,
        }],
        Err(crate::eval::EventError::InvalidJson { reason, column, .. }) => vec![Item::Error {
            entry: None,
            message: format!("invalid JSON: {reason}"),
            column,
        }],
        Err(crate::eval::EventError::NotAnObject { found, column, .. }) => vec![Item::Error {
            entry: None,
            message: format!("the event must be a JSON object, found {found}"),
            column,
        }],
    }
}

/// Reads one non-blank input line (without its line end).
pub fn read_line(line: &[u8], input: InputKind) -> Vec<Item> {
    let value: Json = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            let reason = e.to_string();
            let reason = match reason.rfind(" at line ") {
                Some(i) => reason[..i].to_string(),
                None => reason,
            };
            return vec![Item::Error {
                entry: None,
                message: format!("invalid JSON: {reason}"),
                column: e.column().max(1),
            }];
        }
    };
    let first = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0)
        .saturating_add(1);
    match input {
        InputKind::Events if value.is_object() => vec![Item::Event {
            entry: None,
            event: value,
            origin: None,
        }],
        InputKind::Events => vec![Item::Error {
            entry: None,
            message: format!(
                "the event must be a JSON object, found {}",
                logs::kind(&value)
            ),
            column: first,
        }],
        InputKind::Auth0Logs => {
            let several = value.is_array() || value.get("logs").is_some_and(Json::is_array);
            logs::entries(&value)
                .into_iter()
                .enumerate()
                .map(|(i, found)| {
                    let entry = several.then_some(i);
                    match found {
                        logs::Found::NotAnEntry(message) => Item::Error {
                            entry,
                            message,
                            column: first,
                        },
                        logs::Found::Entry(e) => log_item(e, entry),
                    }
                })
                .collect()
        }
    }
}

fn log_item(e: &Json, entry: Option<usize>) -> Item {
    let log_type = logs::log_type(e).to_string();
    if !logs::is_replayed(&log_type) {
        return Item::Skipped { entry, log_type };
    }
    let mapped = to_event(e);
    Item::Event {
        entry,
        event: mapped.event,
        origin: Some(LogOrigin {
            log_id: logs::log_id(e).map(str::to_string),
            log_type,
            gaps: mapped.gaps,
            date_ms: mapped.date_ms,
        }),
    }
}

/// An event's `user.user_id`, when it is a string.
pub fn user_id(event: &Json) -> Option<&str> {
    event.get("user")?.get("user_id")?.as_str()
}

/// Per rule, the paths it reads and which of them logs do not fully supply.
#[derive(Clone, Debug)]
pub struct Reach {
    /// For each rule (policy order): every path it reads.
    pub reads: Vec<Vec<String>>,
    /// For each rule: the read paths that are not [`Coverage::Supplied`].
    pub unsupplied: Vec<Vec<(String, Coverage)>>,
}

impl Reach {
    /// Analyses every rule of a policy.
    pub fn new(policy: &Policy) -> Self {
        let reads: Vec<Vec<String>> = policy.rules.iter().map(|r| paths_read(policy, r)).collect();
        let unsupplied = reads
            .iter()
            .map(|ps| {
                coverage::unsupplied(ps)
                    .into_iter()
                    .map(|(p, c)| (p.to_string(), c))
                    .collect()
            })
            .collect();
        Reach { reads, unsupplied }
    }

    /// Rules whose outcome on this event may differ on the real event: they
    /// read a path logs never (fully) supply, or one this entry lacks
    /// (`gaps`), and either they applied (the real value might not make
    /// them apply) or they did not apply but would have changed the
    /// decision if they had. A decision depends on a missing field when
    /// this list is not empty.
    pub fn unsure_rules(&self, policy: &Policy, d: &Decision, gaps: &[&str]) -> Vec<usize> {
        // On the rules' scale ([`crate::ir::Effect::strength`]), where
        // `exempt` is stronger than a requirement.
        let decided = d.effect.as_ref().map_or(0, |e| e.strength());
        policy
            .rules
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                let missing = self.unsupplied.get(*i).is_some_and(|u| !u.is_empty());
                let gap = !gaps.is_empty()
                    && self
                        .reads
                        .get(*i)
                        .is_some_and(|ps| ps.iter().any(|p| coverage::under_any(p, gaps)));
                missing || gap
            })
            .filter(|(i, r)| {
                if d.applied.contains(i) {
                    return true;
                }
                let s = r.effect.strength();
                if d.applied.is_empty() {
                    s != decided
                } else {
                    s > decided
                }
            })
            .map(|(i, _)| i)
            .collect()
    }
}

pub use crate::eval::strength::{kind_strength as strength, kind_weaker as is_weaker};
