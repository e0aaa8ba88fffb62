//! Reader for the schema text format (documented at the top of
//! `auth0_post_login.schema`). Problems are collected, never panicked on.

use super::*;
use std::collections::HashMap;

pub(super) fn read(text: &str) -> Schema {
    let mut schema = Schema::default();
    // First pass: names of records and enums, so fields may refer forward.
    let mut records: HashMap<&str, RecordId> = HashMap::new();
    let mut enums: HashMap<&str, EnumId> = HashMap::new();
    for line in text.lines().map(strip_comment) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["record", name, rest @ ..] => {
                let mut def = RecordDef {
                    name: name.to_string(),
                    fields: Vec::new(),
                    open: false,
                    compare_by: None,
                };
                let mut it = rest.iter();
                while let Some(w) = it.next() {
                    match *w {
                        "open" => def.open = true,
                        "by" => def.compare_by = it.next().map(|s| s.to_string()),
                        other => schema
                            .errors
                            .push(format!("record {name}: unknown flag `{other}`")),
                    }
                }
                records.insert(name, RecordId(schema.records.len() as u32));
                schema.records.push(def);
            }
            ["enum", name, "=", values @ ..] => {
                enums.insert(name, EnumId(schema.enums.len() as u32));
                schema.enums.push(EnumDef {
                    name: name.to_string(),
                    values: values.iter().map(|v| v.to_string()).collect(),
                    aliases: Vec::new(),
                    about: None,
                });
            }
            _ => {}
        }
    }
    let mut current: Option<usize> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let indented = line.starts_with(' ') || line.starts_with('\t');
        match words.as_slice() {
            ["record", name, ..] if !indented => current = records.get(name).map(|r| r.0 as usize),
            ["enum", ..] if !indented => current = None,
            ["root", name] => match records.get(name) {
                Some(id) => schema.root = Some(*id),
                None => schema
                    .errors
                    .push(format!("line {}: unknown root record `{name}`", n + 1)),
            },
            [which @ ("providers" | "factors"), "=", name] => match enums.get(name) {
                Some(id) if *which == "providers" => schema.providers = Some(*id),
                Some(id) => schema.factors = Some(*id),
                None => schema
                    .errors
                    .push(format!("line {}: unknown enum `{name}`", n + 1)),
            },
            ["metadata", paths @ ..] if !indented => schema
                .metadata_maps
                .extend(paths.iter().map(|p| p.to_string())),
            ["string_metadata", paths @ ..] if !indented => schema
                .string_maps
                .extend(paths.iter().map(|p| p.to_string())),
            ["alias", name, "=", pairs @ ..] if !indented => match enums.get(name) {
                Some(id) => {
                    for pair in pairs {
                        match pair.split_once('=') {
                            Some((from, to))
                                if schema.enums[id.0 as usize].values.iter().any(|v| v == to) =>
                            {
                                schema.enums[id.0 as usize]
                                    .aliases
                                    .push((from.to_string(), to.to_string()));
                            }
                            _ => schema.errors.push(format!(
                                "line {}: `{pair}` is not `FROM=VALUE` with a value of `{name}`",
                                n + 1
                            )),
                        }
                    }
                }
                None => schema
                    .errors
                    .push(format!("line {}: unknown enum `{name}`", n + 1)),
            },
            ["about", name, "=", words @ ..] if !indented => match enums.get(name) {
                Some(id) => schema.enums[id.0 as usize].about = Some(words.join(" ")),
                None => schema
                    .errors
                    .push(format!("line {}: unknown enum `{name}`", n + 1)),
            },
            ["shorthand", name, "=", path] => schema.shorthands.push(Shorthand {
                name: name.to_string(),
                path: path.split('.').map(String::from).collect(),
            }),
            [field, ty] if indented && field.ends_with(':') => {
                let Some(rec) = current else {
                    schema
                        .errors
                        .push(format!("line {}: field outside a record", n + 1));
                    continue;
                };
                let name = field.trim_end_matches(':').to_string();
                let (ty_text, optional) = match ty.strip_suffix('?') {
                    Some(t) => (t, true),
                    None => (*ty, false),
                };
                let hidden = ty_text == "hidden";
                let parsed = if hidden {
                    Some(Type::Dynamic)
                } else {
                    parse_type(ty_text, &records, &enums)
                };
                let ty = parsed.unwrap_or_else(|| {
                    schema
                        .errors
                        .push(format!("line {}: unknown type `{ty_text}`", n + 1));
                    Type::Dynamic
                });
                schema.records[rec].fields.push(FieldDef {
                    name,
                    ty,
                    optional,
                    hidden,
                });
            }
            _ => schema
                .errors
                .push(format!("line {}: cannot read `{}`", n + 1, line.trim())),
        }
    }
    if schema.root.is_none() {
        schema.errors.push("no `root` record".into());
    }
    schema
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or("")
}

fn parse_type(
    text: &str,
    records: &HashMap<&str, RecordId>,
    enums: &HashMap<&str, EnumId>,
) -> Option<Type> {
    if let Some(inner) = text.strip_prefix("list<").and_then(|t| t.strip_suffix('>')) {
        return parse_type(inner, records, enums).map(|t| Type::List(Box::new(t)));
    }
    Some(match text {
        "string" => Type::String,
        "int" => Type::Int,
        "float" => Type::Float,
        "bool" => Type::Bool,
        "ip" => Type::Ip,
        "cidr" => Type::Cidr,
        "timestamp" => Type::Timestamp,
        "duration" => Type::Duration,
        "dynamic" => Type::Dynamic,
        "map" => Type::Map,
        other => {
            if let Some(r) = records.get(other) {
                Type::Record(*r)
            } else {
                Type::Enum(*enums.get(other)?)
            }
        }
    })
}
