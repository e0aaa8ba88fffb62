//! Event paths for hovers and completion: which field a path names, its
//! optionality and Auth0's description of it, read from the schema.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::schema::{Schema, Type};

/// One step of a path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `.name` (or the root name).
    Field(String),
    /// `[0]` or `["key"]` on a list.
    Index,
}

/// What a path names.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The field names from the event root, shorthands expanded, list
    /// elements left out (`request.geoip.countryCode`).
    pub canonical: String,
    /// Its type in the schema (`dynamic` for an undeclared metadata key).
    pub ty: Type,
    /// Whether the field itself may be absent.
    pub optional: bool,
    /// Whether a field on the way to it may be absent.
    pub parent_optional: bool,
    /// The shorthand the path starts with, if any (`country`).
    pub shorthand: Option<String>,
}

/// Follows `steps` (the first is the root name or a shorthand) through the
/// schema. `None` when a step names no documented field.
pub fn resolve(schema: &Schema, steps: &[Step]) -> Option<Resolved> {
    let (first, rest) = steps.split_first()?;
    let Step::Field(root) = first else {
        return None;
    };
    let mut expanded: Vec<Step> = Vec::new();
    let shorthand = schema.shorthand(root);
    match shorthand {
        Some(s) => expanded.extend(s.path.iter().map(|k| Step::Field(k.to_string()))),
        None => expanded.push(first.clone()),
    }
    expanded.extend(rest.iter().cloned());
    let mut ty = Type::Record(schema.root?);
    let mut names: Vec<String> = Vec::new();
    let (mut optional, mut parent_optional) = (false, false);
    for step in &expanded {
        parent_optional |= optional;
        match (step, &ty) {
            (Step::Field(name), Type::Record(id)) => {
                let field = schema.record(*id).field(name)?;
                if field.hidden {
                    return None;
                }
                names.push(name.clone());
                optional = field.optional;
                ty = field.ty.clone();
            }
            (Step::Field(name), Type::Map | Type::Dynamic) => {
                names.push(name.clone());
                optional = true;
                ty = Type::Dynamic;
            }
            (Step::Index, Type::List(inner)) => {
                optional = true;
                ty = (**inner).clone();
            }
            (Step::Index, Type::Map | Type::Dynamic) => {
                optional = true;
                ty = Type::Dynamic;
            }
            _ => return None,
        }
    }
    Some(Resolved {
        canonical: names.join("."),
        ty,
        optional,
        parent_optional,
        shorthand: shorthand.map(|s| s.name.to_string()),
    })
}

/// Splits a path as written (`user.identities[0].connection`) into steps;
/// `None` if it is not one.
pub fn split(text: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = text.trim();
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        steps.push(Step::Field(word.to_string()));
        rest = after;
        while let Some(inside) = rest.strip_prefix('[') {
            let close = inside.find(']')?;
            let key = inside.get(..close)?.trim();
            match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                Some(k) => steps.push(Step::Field(k.to_string())),
                None if key.parse::<i64>().is_ok() => steps.push(Step::Index),
                None => return None,
            }
            rest = inside.get(close.saturating_add(1)..)?;
        }
        match rest.strip_prefix('.') {
            Some(r) => rest = r,
            None if rest.is_empty() => return Some(steps),
            None => return None,
        }
    }
}

static DOCS: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    include_str!("field_docs.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .collect()
});

/// Auth0's description of a field, by its canonical path.
pub fn description(canonical: &str) -> Option<&'static str> {
    DOCS.get(canonical).copied()
}

/// A type as written in a policy, with `?` when the value may be absent,
/// and the closed set it belongs to.
pub fn show_type(schema: &Schema, ty: &Type, optional: bool) -> String {
    let mark = if optional { "?" } else { "" };
    let base = schema.display(ty).to_string();
    match ty {
        Type::Enum(id) => {
            let def = schema.enum_def(*id);
            let about = def.about.clone().unwrap_or_else(|| "values".into());
            format!("{base}{mark} (one of {} {about})", def.values.len())
        }
        _ => format!("{base}{mark}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::auth0_post_login;

    #[test]
    fn resolves_paths_shorthands_and_list_elements() {
        let s = auth0_post_login();
        let r = resolve(s, &split("country").unwrap()).unwrap();
        assert_eq!(r.canonical, "request.geoip.countryCode");
        assert!(r.optional && !r.parent_optional);
        assert_eq!(r.shorthand.as_deref(), Some("country"));
        let r = resolve(s, &split("user.identities[0].connection").unwrap()).unwrap();
        assert_eq!(r.canonical, "user.identities.connection");
        assert_eq!(r.ty, Type::String);
        assert!(resolve(s, &split("secrets.x").unwrap()).is_none());
        assert!(resolve(s, &split("user.nope").unwrap()).is_none());
        assert_eq!(
            description("request.geoip.countryCode"),
            Some("ISO-3166 alpha-2")
        );
        assert_eq!(split("a.b[\"k\"]").unwrap().len(), 3);
        assert!(split("a..b").is_none());
    }
}
