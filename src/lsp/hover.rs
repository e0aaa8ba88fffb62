//! Hovers: a path's type, optionality and Auth0's description; a `let`'s
//! value and type; a rule's effect; a function's signature.

use std::sync::Arc;

use super::document::{defs, symbol_at, walk_policy, DefKind, Document, Scope};
use super::paths::{self, Step};
use crate::include::Loader;
use crate::schema::Schema;
use crate::source::Span;
use crate::syntax::ast::{self, Expr, ExprKind, IndexKey, Item, Spanned};

/// The hover text (Markdown) and the span it is about.
pub fn hover(
    doc: &Document,
    schema: &Schema,
    offset: u32,
    load: &mut Loader<'_>,
) -> Option<(String, Span)> {
    let policy = doc.ast.as_ref()?;
    let all = defs(policy, doc.source.lines());
    if let Some(d) = symbol_at(policy, &all, offset) {
        let at = span_of_name_at(policy, &d, offset).unwrap_or(d.name_span);
        return match d.kind {
            DefKind::Let => Some((let_hover(doc, policy, schema, &d.name, load)?, at)),
            DefKind::Rule => Some((rule_hover(doc, policy, d.span)?, at)),
            DefKind::Assert => Some((assert_hover(doc, policy, d.span)?, at)),
            _ => None,
        };
    }
    if let Some((text, span)) = declare_hover(policy, schema, offset) {
        return Some((text, span));
    }
    // The innermost path step or call under the cursor.
    let inside = |s: Span| s.start <= offset && offset <= s.end;
    // The expression, the quantifier variables in scope there, the span.
    type Hit<'a> = (&'a Expr, Vec<(Arc<str>, &'a Expr)>, Span);
    let mut best: Option<Hit<'_>> = None;
    walk_policy(policy, &mut |e: &Expr, scope: &Scope<'_>| {
        let hit = match &e.node {
            ExprKind::Field(_, id) => inside(id.span).then_some(id.span),
            ExprKind::Index(_, key) => inside(key.span).then_some(key.span),
            ExprKind::Name(_) => inside(e.span).then_some(e.span),
            ExprKind::Call(id, _) => inside(id.span).then_some(id.span),
            _ => None,
        };
        if let Some(span) = hit {
            best = Some((e, scope.to_vec(), span));
        }
    });
    let (e, scope, span) = best?;
    if let ExprKind::Call(id, _) = &e.node {
        return Some((function_doc(&id.node)?.to_string(), span));
    }
    Some((path_hover(policy, schema, e, &scope)?, span))
}

/// Where the name under the cursor is written (a use or the definition).
fn span_of_name_at(policy: &ast::Policy, d: &super::document::Def, offset: u32) -> Option<Span> {
    if d.kind != DefKind::Let {
        return None;
    }
    super::document::let_uses(policy, &d.name)
        .into_iter()
        .find(|s| s.start <= offset && offset <= s.end)
}

fn let_hover(
    doc: &Document,
    policy: &ast::Policy,
    schema: &Schema,
    name: &str,
    load: &mut Loader<'_>,
) -> Option<String> {
    let l = policy.items.iter().find_map(|i| match i {
        Item::Let(l) if l.name.node.as_ref() == name => Some(l),
        _ => None,
    })?;
    let mut value = doc.source.slice(l.value.span).to_string();
    if value.chars().count() > 400 {
        value = value.chars().take(400).collect::<String>() + " ...";
    }
    // With the included definitions, as the checker sees the file.
    let mut resolved = policy.clone();
    crate::include::resolve(
        &doc.source,
        &mut resolved,
        schema,
        load,
        &mut crate::include::Cache::new(),
        &mut Vec::new(),
    );
    let ty = crate::check::let_types(&doc.source, &resolved, schema)
        .into_iter()
        .find(|(n, _)| n.as_ref() == name)
        .map(|(_, t)| format!("\n\ntype: `{}`", schema.display(&t)))
        .unwrap_or_default();
    Some(format!("```mfapolicy\nlet {name} = {value}\n```{ty}"))
}

fn rule_hover(doc: &Document, policy: &ast::Policy, span: Span) -> Option<String> {
    let r = policy.items.iter().find_map(|i| match i {
        Item::Rule(r) if r.span == span => Some(r),
        _ => None,
    })?;
    let name = r.name.as_ref().map_or_else(
        || format!("line {}", doc.source.lines().line(r.span.start)),
        |n| n.node.to_string(),
    );
    let effect = doc.source.slice(r.effect.span).trim();
    let what = match &r.effect.node {
        ast::Effect::Deny { .. } => "refuses the login (`api.access.deny`)",
        ast::Effect::Require { .. } => {
            "asks for MFA (`api.multifactor.enable` or `challengeWith*`)"
        }
        ast::Effect::Enroll { .. } => "forces MFA enrollment (`api.authentication.enrollWith*`)",
        ast::Effect::Skip => "no MFA for this login (provider `none`)",
        ast::Effect::Exempt => "no MFA, overriding `require` and `enroll` rules",
    };
    Some(format!(
        "rule `{name}`: `{effect}`\n\nwhen it applies, it {what}; the strongest applying effect decides (`deny` > `require mfa` > `skip mfa`)"
    ))
}

fn assert_hover(doc: &Document, policy: &ast::Policy, span: Span) -> Option<String> {
    let a = policy.items.iter().find_map(|i| match i {
        Item::Assert(a) if a.span == span => Some(a),
        _ => None,
    })?;
    let effect = doc.source.slice(a.effect.span).trim();
    let claim = match a.mode {
        ast::AssertMode::Exactly => "gets exactly this decision",
        ast::AssertMode::AtLeast => "gets this decision or a stronger one",
        ast::AssertMode::Never => "never gets this decision",
    };
    Some(format!(
        "assert `{}`: `{}{effect}`\n\nevery login that satisfies its `when` {claim}; it never changes a decision. `mfapol verify` proves or refutes it",
        a.name.node,
        a.mode.prefix()
    ))
}

/// A `declare`d path: its segment under the cursor.
fn declare_hover(policy: &ast::Policy, schema: &Schema, offset: u32) -> Option<(String, Span)> {
    for item in &policy.items {
        let Item::Declare(d) = item else { continue };
        let Some(i) = d
            .path
            .iter()
            .position(|p| p.span.start <= offset && offset <= p.span.end)
        else {
            continue;
        };
        let steps: Vec<Step> = d
            .path
            .get(..=i)?
            .iter()
            .map(|p| Step::Field(p.node.to_string()))
            .collect();
        let r = paths::resolve(schema, &steps)?;
        let span = d.path.get(i)?.span;
        return Some((describe(schema, &r, None), span));
    }
    None
}

fn describe(schema: &Schema, r: &paths::Resolved, ty: Option<&crate::schema::Type>) -> String {
    let ty = paths::show_type(schema, ty.unwrap_or(&r.ty), r.optional);
    let mut out = format!("`{}`: `{ty}`", r.canonical);
    if let Some(s) = &r.shorthand {
        out.push_str(&format!("\n\n`{s}` is shorthand for `{}`", r.canonical));
    }
    if r.optional || r.parent_optional {
        out.push_str("\n\nmay be absent (Auth0 omits it): then it reads as `null`");
    }
    if let Some(d) = paths::description(&r.canonical) {
        out.push_str("\n\n");
        out.push_str(d);
    }
    out
}

/// A path expression, with a quantifier variable read as an element of its
/// list.
fn path_hover(
    policy: &ast::Policy,
    schema: &Schema,
    e: &Expr,
    scope: &[(Arc<str>, &Expr)],
) -> Option<String> {
    let (root, _) = flatten(e)?;
    let mut expr = e.clone();
    // A quantifier variable is an element of its list, whose root may be
    // an outer variable in turn (each step goes one scope out).
    let mut visible = scope;
    while let Some((i, list)) = {
        let (r, _) = flatten(&expr)?;
        visible
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (v, _))| *v == r)
            .map(|(i, (_, l))| (i, *l))
    } {
        expr = substitute(&expr, list);
        visible = visible.get(..i)?;
    }
    let steps = steps_of(&expr)?;
    let r = paths::resolve(schema, &steps)?;
    let checked = crate::check::path_type(policy, schema, &expr)
        .ok()
        .map(|(t, _)| t);
    let mut text = String::new();
    if matches!(e.node, ExprKind::Name(_)) && scope.iter().any(|(v, _)| *v == root) {
        text.push_str(&format!("`{root}`: one element of the list\n\n"));
    }
    text.push_str(&describe(schema, &r, checked.as_ref()));
    Some(text)
}

/// The steps of a path expression from its root name (indexes included).
fn steps_of(e: &Expr) -> Option<Vec<Step>> {
    let (root, mut steps) = flatten(e)?;
    steps.insert(0, Step::Field(root.to_string()));
    Some(steps)
}

/// The root name and steps of a path expression.
fn flatten(e: &Expr) -> Option<(Arc<str>, Vec<Step>)> {
    let mut steps = Vec::new();
    let mut cur = e;
    loop {
        match &cur.node {
            ExprKind::Field(base, id) => {
                steps.push(Step::Field(id.node.to_string()));
                cur = base;
            }
            ExprKind::Index(base, key) => {
                steps.push(match &key.node {
                    IndexKey::Int(_) => Step::Index,
                    IndexKey::Str(k) => Step::Field(k.clone()),
                });
                cur = base;
            }
            ExprKind::Name(n) => {
                steps.reverse();
                return Some((n.clone(), steps));
            }
            _ => return None,
        }
    }
}

/// `e` with its root name replaced by `list[0]`.
fn substitute(e: &Expr, list: &Expr) -> Expr {
    match &e.node {
        ExprKind::Field(base, id) => Spanned::new(
            ExprKind::Field(Box::new(substitute(base, list)), id.clone()),
            e.span,
        ),
        ExprKind::Index(base, key) => Spanned::new(
            ExprKind::Index(Box::new(substitute(base, list)), key.clone()),
            e.span,
        ),
        _ => Spanned::new(
            ExprKind::Index(
                Box::new(list.clone()),
                Spanned::new(IndexKey::Int(0), e.span),
            ),
            e.span,
        ),
    }
}

/// The built-in functions, with their signatures (SPEC §6).
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "exists",
        "exists(PATH) -> bool",
        "whether the field is present (and not null)",
    ),
    (
        "len",
        "len(LIST_OR_STRING) -> int",
        "the number of elements, or of Unicode code points; 0 when absent",
    ),
    (
        "lower",
        "lower(STRING) -> string",
        "the string in lower case; null when absent",
    ),
    (
        "trim",
        "trim(STRING) -> string",
        "the string without leading and trailing white space; null when absent",
    ),
    (
        "split",
        "split(STRING, SEP) -> list<string>",
        "the parts between separators (not trimmed); an empty list when absent",
    ),
];

fn function_doc(name: &str) -> Option<String> {
    FUNCTIONS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, sig, about)| format!("```mfapolicy\n{sig}\n```\n{about}"))
}
