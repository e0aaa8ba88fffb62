//! A `set` (or `unset`) of a metadata key the policy never reads changes
//! nothing it decides on: most often a typo (`mfa_policyy`) or the right key
//! in the wrong map (`user.app_metadata.mfa_policy` where the policy reads
//! `organization.metadata.mfa_policy`). The case would still pass, testing
//! nothing. The warning offers the keys the policy does read, never a
//! `declare` of the typo (SPEC §15).

use super::error::{span, TestError};
use super::format::{Override, OverrideValue};
use super::value::{Seg, Target};
use crate::check::suggest::did_you_mean;
use crate::ir::Policy;
use crate::replay::coverage::{paths_read, under_any};
use crate::schema::Schema;
use crate::schema::Text;

/// At most this many keys are listed when none is close.
const LISTED: usize = 5;

/// Every event path the policy's rules read (dotted, list positions left out).
pub(super) fn policy_reads(policy: &Policy) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in &policy.rules {
        for p in paths_read(policy, rule) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// The warnings for one checked override.
pub(super) fn unread(
    ov: &Override,
    target: &Target,
    reads: &[String],
    schema: &Schema,
) -> Vec<TestError> {
    let path: Vec<&str> = target
        .segs
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    let path = path.join(".");
    let maps = &schema.metadata_maps;
    // The keys this override writes: the key itself, or each key of an
    // object written over a whole map.
    let keys: Vec<String> = if map_of(maps, &path).is_some() {
        vec![path.clone()]
    } else if maps.iter().any(|m| *m == path) {
        match &ov.value {
            Some(OverrideValue::Json(j)) => j
                .value
                .as_object()
                .map(|o| o.keys().map(|k| format!("{path}.{k}")).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let read: Vec<&str> = reads.iter().map(String::as_str).collect();
    let at = span(
        ov.path_base,
        ov.path_base.saturating_add(ov.path_text.len()),
    );
    keys.into_iter()
        .filter(|k| !under_any(k, &read))
        .map(|k| TestError::UnreadKey {
            help: Some(help(&k, reads, maps)),
            path: k,
            span: at,
        })
        .collect()
}

/// The metadata map `path` is a key of (at any depth below it).
fn map_of<'m>(maps: &'m [Text], path: &str) -> Option<&'m str> {
    maps.iter()
        .map(AsRef::as_ref)
        .find(|m| path.strip_prefix(m).is_some_and(|r| r.starts_with('.')))
}

/// The key below its map: `organization.metadata.tier.level` -> `tier.level`.
fn key_in_map<'p>(maps: &[Text], path: &'p str) -> Option<&'p str> {
    let map = map_of(maps, path)?;
    path.get(map.len().saturating_add(1)..)
}

fn help(key: &str, reads: &[String], maps: &[Text]) -> String {
    let read_keys: Vec<&str> = reads
        .iter()
        .map(String::as_str)
        .filter(|r| map_of(maps, r).is_some())
        .collect();
    if let Some(near) = did_you_mean(key, read_keys.iter().copied()) {
        return format!("did you mean `{near}`? the policy reads that key");
    }
    // The same key under another map (`user.app_metadata.mfa_policy` for
    // `organization.metadata.mfa_policy`), or a near spelling of it there.
    if let Some(tail) = key_in_map(maps, key) {
        let tails: Vec<&str> = read_keys
            .iter()
            .filter_map(|r| key_in_map(maps, r))
            .collect();
        let same = tails
            .iter()
            .copied()
            .find(|t| *t == tail)
            .or_else(|| did_you_mean(tail, tails.iter().copied()));
        if let Some(t) = same {
            if let Some(full) = read_keys.iter().find(|r| key_in_map(maps, r) == Some(t)) {
                return format!("did you mean `{full}`? the policy reads that key");
            }
        }
    }
    if read_keys.is_empty() {
        return "the policy reads no metadata key: remove this line, or check that the suite tests the policy you meant".into();
    }
    let shown: Vec<String> = read_keys
        .iter()
        .take(LISTED)
        .map(|k| format!("`{k}`"))
        .collect();
    if let [one] = shown.as_slice() {
        return format!("the only metadata key the policy reads is {one}");
    }
    let more = if read_keys.len() > LISTED {
        format!(" (and {} more)", read_keys.len().saturating_sub(LISTED))
    } else {
        String::new()
    };
    format!(
        "the metadata keys the policy reads are {}{more}",
        shown.join(", ")
    )
}
