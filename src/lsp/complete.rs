//! Completion. The text around the cursor is usually not a valid policy
//! while it is typed, so the context is read from the text before the
//! cursor: a path before a `.`, the operand before `== "`, `using "`,
//! `factors [`; the names come from the last version of the file that
//! parsed and from the schema.

use std::sync::LazyLock;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, InsertTextFormat,
    MarkupContent, MarkupKind, TextEdit,
};
use regex::Regex;

use super::document::{DefKind, Document};
use super::hover::FUNCTIONS;
use super::paths::{self, Step};
use crate::schema::{Schema, Type};
use crate::syntax::ast::{self, Item, TypeExpr};

/// Reserved words of the language.
pub use crate::syntax::RESERVED as KEYWORDS;

/// Words that start something only in some places (`include`, `enroll` ...).
const CONTEXTUAL: &[&str] = &[
    "include",
    "enroll",
    "then",
    "challenge",
    "exempt",
    "assert",
    "at least",
    "never",
];

static QUANT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?:any|all)\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+([A-Za-z_][A-Za-z0-9_.\[\]\x22]*)\s*:",
    )
    .ok()
});

static COMPARED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"([A-Za-z_][A-Za-z0-9_.\[\]"]*)\s*(?:==|!=|\s(?:not\s+)?in\s*\[[^\]]*|\s(?:not\s+)?in\s*\[)\s*"[^"]*$"#,
    )
    .ok()
});

/// The completion items at byte `offset`.
pub fn complete(doc: &Document, schema: &Schema, offset: usize) -> Vec<CompletionItem> {
    let text = doc.text();
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at = at.saturating_sub(1);
    }
    let before = text.get(..at).unwrap_or("");
    let line = before.rsplit(['\n', '\r']).next().unwrap_or("");
    if comment_start(line).is_some() {
        return Vec::new();
    }
    if in_string(line) {
        return string_items(doc, schema, before, line, at);
    }
    let word_start = before
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
        .len();
    let head = before.get(..word_start).unwrap_or("");
    if let Some(operand) = head.strip_suffix('.') {
        return member_items(doc, schema, before, operand);
    }
    let prev_word = head.trim_end().rsplit(|c: char| c.is_whitespace()).next();
    if head.trim_end().ends_with(':') && line.trim_start().starts_with("declare") {
        return crate::schema::scalar_type_names()
            .map(|t| item(t, CompletionItemKind::TYPE_PARAMETER, Some("type"), None))
            .collect();
    }
    if prev_word == Some("using") {
        let mut out = vec![item("factors", CompletionItemKind::KEYWORD, None, None)];
        out.extend(providers(schema, true));
        return out;
    }
    name_items(doc, schema)
}

/// Whether the end of `line` is inside a string literal.
fn in_string(line: &str) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if inside && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => inside = !inside,
            '#' if !inside => return false,
            _ => {}
        }
        escaped = false;
    }
    inside
}

/// Where a comment starts on `line`, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut inside = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if inside && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => inside = !inside,
            '#' if !inside => return Some(i),
            _ => {}
        }
        escaped = false;
    }
    None
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: Option<&str>,
    doc: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: detail.map(str::to_string),
        documentation: doc.map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d,
            })
        }),
        ..CompletionItem::default()
    }
}

/// Schema texts as owned strings.
fn texts(v: &[crate::schema::Text]) -> Vec<String> {
    v.iter().map(|t| t.to_string()).collect()
}

fn providers(schema: &Schema, quoted: bool) -> Vec<CompletionItem> {
    schema
        .enum_values(schema.providers)
        .iter()
        .map(|p| {
            let label = if quoted {
                format!("\"{p}\"")
            } else {
                p.to_string()
            };
            item(
                &label,
                CompletionItemKind::ENUM_MEMBER,
                Some("MFA provider"),
                None,
            )
        })
        .collect()
}

/// Inside a string: providers, factors, or the closed set of the operand
/// it is compared with. Each item replaces what is typed inside the quotes.
fn string_items(
    doc: &Document,
    schema: &Schema,
    before: &str,
    line: &str,
    at: usize,
) -> Vec<CompletionItem> {
    let quote = line.rfind('"').unwrap_or(0);
    let typed_len = line.len().saturating_sub(quote.saturating_add(1));
    let start = at.saturating_sub(typed_len);
    let opening = line.get(..quote).unwrap_or("").trim_end();
    let (values, detail): (Vec<String>, String) = if opening.ends_with("using") {
        (
            texts(schema.enum_values(schema.providers)),
            "MFA provider".into(),
        )
    } else if factors_open(before) {
        (
            texts(schema.enum_values(schema.factors)),
            "factor type".into(),
        )
    } else if let Some(def) = compared_enum(doc, schema, before) {
        (
            texts(&def.values),
            def.about.as_ref().unwrap_or(&def.name).to_string(),
        )
    } else {
        return Vec::new();
    };
    let range = doc
        .lines
        .range(doc.text(), crate::source::Span::new(start, at));
    values
        .into_iter()
        .map(|v| CompletionItem {
            label: v.clone(),
            kind: Some(CompletionItemKind::ENUM_MEMBER),
            detail: Some(detail.clone()),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text: v })),
            ..CompletionItem::default()
        })
        .collect()
}

/// Whether the cursor is inside the list of a `factors [`.
fn factors_open(before: &str) -> bool {
    let Some(i) = before.rfind("factors") else {
        return false;
    };
    let after = before.get(i..).unwrap_or("");
    let after = after.strip_prefix("factors").unwrap_or("").trim_start();
    after.starts_with('[') && !after.contains(']')
}

/// The closed set of the operand before `== "`, `!= "` or `in [... "`.
fn compared_enum<'s>(
    doc: &Document,
    schema: &'s Schema,
    before: &str,
) -> Option<&'s crate::schema::EnumDef> {
    let tail = tail(before, 400);
    let caps = COMPARED.as_ref()?.captures(tail)?;
    let operand = caps.get(1)?.as_str();
    let steps = steps_with_quantifiers(before, operand)?;
    let r = paths::resolve(schema, &steps)?;
    let _ = doc;
    match r.ty {
        Type::Enum(id) => Some(schema.enum_def(id)),
        Type::List(inner) => match *inner {
            Type::Enum(id) => Some(schema.enum_def(id)),
            _ => None,
        },
        _ => None,
    }
}

/// The last `n` bytes of `s` (at a character boundary).
fn tail(s: &str, n: usize) -> &str {
    let mut i = s.len().saturating_sub(n);
    while !s.is_char_boundary(i) {
        i = i.saturating_add(1);
    }
    s.get(i..).unwrap_or("")
}

/// The steps of `operand`, with a quantifier variable bound earlier in the
/// text (`any m in authentication.methods: m.`) read as an element of its
/// list.
fn steps_with_quantifiers(before: &str, operand: &str) -> Option<Vec<Step>> {
    let mut steps = paths::split(operand)?;
    let Some(Step::Field(root)) = steps.first().cloned() else {
        return Some(steps);
    };
    let quant = QUANT.as_ref()?;
    let bound = quant
        .captures_iter(tail(before, 4000))
        .filter(|c| c.get(1).is_some_and(|v| v.as_str() == root))
        .last();
    if let Some(c) = bound {
        let mut list = paths::split(c.get(2)?.as_str())?;
        list.push(Step::Index);
        list.extend(steps.drain(1..));
        steps = list;
    }
    Some(steps)
}

/// After `PATH.`: the fields of the record, or the declared keys of a map.
fn member_items(
    doc: &Document,
    schema: &Schema,
    before: &str,
    operand: &str,
) -> Vec<CompletionItem> {
    let start = operand
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || "_.[]\"".contains(c))
        .len();
    let written = operand.get(start..).unwrap_or("");
    let Some(steps) = steps_with_quantifiers(before, written) else {
        return Vec::new();
    };
    let Some(r) = paths::resolve(schema, &steps) else {
        return Vec::new();
    };
    match r.ty {
        Type::Record(id) => schema
            .record(id)
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| {
                let canonical = format!("{}.{}", r.canonical, f.name);
                let ty = paths::show_type(schema, &f.ty, f.optional);
                item(
                    &f.name,
                    CompletionItemKind::FIELD,
                    Some(&ty),
                    paths::description(&canonical).map(str::to_string),
                )
            })
            .collect(),
        Type::Map => declared_keys(doc, &r.canonical),
        _ => Vec::new(),
    }
}

/// The keys `declare`d under a map, with their types.
fn declared_keys(doc: &Document, map: &str) -> Vec<CompletionItem> {
    let Some(policy) = doc.names_tree() else {
        return Vec::new();
    };
    let prefix = format!("{map}.");
    policy
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Declare(d) => {
                let path: Vec<&str> = d.path.iter().map(|p| p.node.as_ref()).collect();
                let key = path.join(".");
                let rest = key.strip_prefix(&prefix)?;
                let first = rest.split('.').next()?;
                Some(item(
                    first,
                    CompletionItemKind::FIELD,
                    Some(&show_type_expr(&d.ty.node)),
                    Some(format!(
                        "declared: `declare {key}: {}`",
                        show_type_expr(&d.ty.node)
                    )),
                ))
            }
            _ => None,
        })
        .collect()
}

fn show_type_expr(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(n) => n.to_string(),
        TypeExpr::List(inner) => format!("list<{}>", show_type_expr(&inner.node)),
        TypeExpr::Optional(inner) => format!("{}?", show_type_expr(&inner.node)),
    }
}

/// Where a name may go: keywords, shorthands, the event's roots,
/// functions, and the file's `let` and rule names.
fn name_items(doc: &Document, schema: &Schema) -> Vec<CompletionItem> {
    let mut out: Vec<CompletionItem> = KEYWORDS
        .iter()
        .chain(CONTEXTUAL)
        .map(|k| item(k, CompletionItemKind::KEYWORD, None, None))
        .collect();
    for s in &schema.shorthands {
        let steps = vec![Step::Field(s.name.to_string())];
        let ty = paths::resolve(schema, &steps)
            .map(|r| paths::show_type(schema, &r.ty, r.optional))
            .unwrap_or_default();
        out.push(item(
            &s.name,
            CompletionItemKind::VARIABLE,
            Some(&ty),
            Some(format!("shorthand for `{}`", s.path.join("."))),
        ));
    }
    if let Some(root) = schema.root {
        for f in schema.record(root).fields.iter().filter(|f| !f.hidden) {
            out.push(item(
                &f.name,
                CompletionItemKind::MODULE,
                Some(&paths::show_type(schema, &f.ty, f.optional)),
                paths::description(&f.name).map(str::to_string),
            ));
        }
    }
    for (name, sig, about) in FUNCTIONS {
        let mut it = item(
            name,
            CompletionItemKind::FUNCTION,
            Some(sig),
            Some((*about).to_string()),
        );
        it.insert_text = Some(format!("{name}($1)"));
        it.insert_text_format = Some(InsertTextFormat::SNIPPET);
        out.push(it);
    }
    if let Some(policy) = doc.names_tree() {
        for d in super::document::defs(policy, doc.source.lines()) {
            let kind = match d.kind {
                DefKind::Let => CompletionItemKind::CONSTANT,
                DefKind::Rule if is_named_rule(policy, d.span) => CompletionItemKind::REFERENCE,
                _ => continue,
            };
            let detail = if d.kind == DefKind::Let {
                "let"
            } else {
                "rule"
            };
            out.push(item(&d.name, kind, Some(detail), None));
        }
    }
    out
}

fn is_named_rule(policy: &ast::Policy, span: crate::source::Span) -> bool {
    policy
        .items
        .iter()
        .any(|i| matches!(i, Item::Rule(r) if r.span == span && r.name.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_are_told_apart() {
        assert!(in_string("when country == \"G"));
        assert!(!in_string("when country == \"GB\" "));
        assert!(!in_string("# a \"comment"));
        assert!(in_string("deny \"a \\\" b"));
        assert!(factors_open("require mfa using factors [\"otp\", \""));
        assert!(!factors_open("require mfa using factors [\"otp\"] when "));
    }
}
