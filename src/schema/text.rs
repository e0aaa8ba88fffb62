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
                    name: name.to_string().into(),
                    fields: Vec::new(),
                    open: false,
                    compare_by: None,
                };
                let mut it = rest.iter();
                while let Some(w) = it.next() {
                    match *w {
                        "open" => def.open = true,
                        "by" => def.compare_by = it.next().map(|s| s.to_string().into()),
                        other => schema
                            .errors
                            .push(format!("record {name}: unknown flag `{other}`")),
                    }
                }
                let Ok(id) = u32::try_from(schema.records.len()) else {
                    schema.errors.push("too many records".into());
                    break;
                };
                records.insert(name, RecordId(id));
                schema.records.push(def);
            }
            ["enum", name, "=", values @ ..] => {
                let Ok(id) = u32::try_from(schema.enums.len()) else {
                    schema.errors.push("too many enums".into());
                    break;
                };
                enums.insert(name, EnumId(id));
                schema.enums.push(EnumDef {
                    name: name.to_string().into(),
                    values: values.iter().map(|v| v.to_string().into()).collect(),
                    aliases: Vec::new(),
                    about: None,
                });
            }
            _ => {}
        }
    }
    let mut current: Option<usize> = None;
    for (line_no, raw) in (1u64..).zip(text.lines()) {
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
                    .push(format!("line {line_no}: unknown root record `{name}`")),
            },
            [which @ ("providers" | "factors"), "=", name] => match enums.get(name) {
                Some(id) if *which == "providers" => schema.providers = Some(*id),
                Some(id) => schema.factors = Some(*id),
                None => schema
                    .errors
                    .push(format!("line {line_no}: unknown enum `{name}`")),
            },
            ["metadata", paths @ ..] if !indented => schema
                .metadata_maps
                .extend(paths.iter().map(|p| p.to_string().into())),
            ["string_metadata", paths @ ..] if !indented => schema
                .string_maps
                .extend(paths.iter().map(|p| p.to_string().into())),
            ["alias", name, "=", pairs @ ..] if !indented => match enums.get(name) {
                Some(id) => {
                    let Some(def) = schema.enums.get_mut(id.0 as usize) else {
                        continue;
                    };
                    for pair in pairs {
                        match pair.split_once('=') {
                            Some((from, to)) if def.values.iter().any(|v| v == to) => {
                                def.aliases.push((from.to_string().into(), to.to_string().into()));
                            }
                            _ => schema.errors.push(format!(
                                "line {line_no}: `{pair}` is not `FROM=VALUE` with a value of `{name}`"
                            )),
                        }
                    }
                }
                None => schema
                    .errors
                    .push(format!("line {line_no}: unknown enum `{name}`")),
            },
            ["about", name, "=", words @ ..] if !indented => match enums.get(name) {
                Some(id) => {
                    if let Some(def) = schema.enums.get_mut(id.0 as usize) {
                        def.about = Some(words.join(" ").into());
                    }
                }
                None => schema
                    .errors
                    .push(format!("line {line_no}: unknown enum `{name}`")),
            },
            ["shorthand", name, "=", path] => schema.shorthands.push(Shorthand {
                name: name.to_string().into(),
                path: path.split('.').map(|p| p.to_string().into()).collect(),
            }),
            [field, ty] if indented && field.ends_with(':') => {
                let Some(rec) = current else {
                    schema
                        .errors
                        .push(format!("line {line_no}: field outside a record"));
                    continue;
                };
                let name = field.trim_end_matches(':').to_string().into();
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
                        .push(format!("line {line_no}: unknown type `{ty_text}`"));
                    Type::Dynamic
                });
                let Some(record) = schema.records.get_mut(rec) else {
                    continue;
                };
                record.fields.push(FieldDef {
                    name,
                    ty,
                    optional,
                    hidden,
                });
            }
            _ => schema
                .errors
                .push(format!("line {}: cannot read `{}`", line_no, line.trim())),
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
    if let Some(t) = super::scalar_type(text) {
        return Some(t);
    }
    Some(match text {
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
