//! One open policy: its text, its syntax tree and its diagnostics, and the
//! names it defines and uses (for symbols, definition, references, rename).

use std::sync::Arc;

use super::position::Lines;
use crate::include::{self, Loader};
use crate::schema::Schema;
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{self, Effect, Expr, ExprKind, Factors, Item, Using};
use crate::PolicyError;

/// An open document.
#[derive(Debug)]
pub struct Document {
    /// The client's URI, as sent.
    pub uri: String,
    /// The version of the last change.
    pub version: i32,
    /// The text, named by its file path (includes resolve relative to it).
    pub source: SourceFile,
    /// Its line starts.
    pub lines: Lines,
    /// Its syntax tree, when it parses (includes not expanded).
    pub ast: Option<ast::Policy>,
    /// While the text does not parse (as while typing), the tree of the
    /// last text that did: completion still offers its names.
    pub last_parsed: Option<ast::Policy>,
    /// The diagnostics of the last analysis, as `mfapol check` reports them.
    pub diagnostics: Vec<PolicyError>,
}

impl Document {
    /// A document not yet analysed.
    pub fn new(uri: String, name: Arc<str>, version: i32, text: String) -> Self {
        let lines = Lines::new(&text);
        Document {
            uri,
            version,
            source: SourceFile::new(name, text),
            lines,
            ast: None,
            last_parsed: None,
            diagnostics: Vec::new(),
        }
    }

    /// Replaces the text (the analysis is redone by [`Document::analyse`]).
    pub fn set_text(&mut self, version: i32, text: String) {
        self.lines = Lines::new(&text);
        self.source = SourceFile::new(self.source.name.clone(), text);
        self.version = version;
    }

    /// The tree for names: the current one, or the last that parsed.
    pub fn names_tree(&self) -> Option<&ast::Policy> {
        self.ast.as_ref().or(self.last_parsed.as_ref())
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.source.text
    }

    /// Parses and checks the text, as `mfapol check` does (same
    /// diagnostics), keeping the syntax tree.
    pub fn analyse(&mut self, schema: &Schema, load: &mut Loader<'_>) {
        let (ast, diagnostics) = analyse(&self.source, schema, load);
        if ast.is_some() {
            self.last_parsed = None;
        } else if self.ast.is_some() {
            self.last_parsed = self.ast.take();
        }
        self.ast = ast;
        self.diagnostics = diagnostics;
    }
}

/// [`crate::compile_with`], keeping the tree as written.
pub fn analyse(
    source: &SourceFile,
    schema: &Schema,
    load: &mut Loader<'_>,
) -> (Option<ast::Policy>, Vec<PolicyError>) {
    let ast = match crate::syntax::parse(&source.text) {
        Ok(a) => a,
        Err(e) => return (None, vec![PolicyError::Syntax(e)]),
    };
    let mut resolved = ast.clone();
    let mut problems = Vec::new();
    include::resolve(
        source,
        &mut resolved,
        schema,
        load,
        &mut include::Cache::new(),
        &mut problems,
    );
    if !problems.is_empty() {
        return (Some(ast), problems);
    }
    let checked = crate::check::check(source, &resolved, schema);
    let diagnostics = checked
        .diagnostics
        .into_iter()
        .map(PolicyError::Check)
        .collect();
    (Some(ast), diagnostics)
}

/// What a definition defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    /// `let NAME = ...`
    Let,
    /// `rule NAME: ...`, or an unnamed rule.
    Rule,
    /// `declare PATH: TYPE`
    Declare,
    /// `default EFFECT`
    Default,
    /// `include "PATH"`
    Include,
    /// `assert NAME: ...`
    Assert,
}

/// A definition in a policy.
#[derive(Clone, Debug)]
pub struct Def {
    /// What it is.
    pub kind: DefKind,
    /// Its name (`line N` for an unnamed rule, the path for a declare).
    pub name: String,
    /// The name as written (the whole item where there is no name).
    pub name_span: Span,
    /// The whole item.
    pub span: Span,
}

/// Every definition of a policy, in source order.
pub fn defs(policy: &ast::Policy, lines: &crate::source::LineIndex) -> Vec<Def> {
    policy
        .items
        .iter()
        .map(|item| match item {
            Item::Let(l) => Def {
                kind: DefKind::Let,
                name: l.name.node.to_string(),
                name_span: l.name.span,
                span: l.span,
            },
            Item::Rule(r) => Def {
                kind: DefKind::Rule,
                name: r.name.as_ref().map_or_else(
                    || format!("line {}", lines.line(r.span.start)),
                    |n| n.node.to_string(),
                ),
                name_span: r.name.as_ref().map_or(r.effect.span, |n| n.span),
                span: r.span,
            },
            Item::Declare(d) => {
                let path: Vec<&str> = d.path.iter().map(|p| p.node.as_ref()).collect();
                let first = d.path.first().map_or(d.span, |p| p.span);
                let last = d.path.last().map_or(d.span, |p| p.span);
                Def {
                    kind: DefKind::Declare,
                    name: path.join("."),
                    name_span: first.to(last),
                    span: d.span,
                }
            }
            Item::Default(e) => Def {
                kind: DefKind::Default,
                name: "default".into(),
                name_span: e.span,
                span: e.span,
            },
            Item::Include(i) => Def {
                kind: DefKind::Include,
                name: i.path.node.clone(),
                name_span: i.path.span,
                span: i.span,
            },
            Item::Assert(a) => Def {
                kind: DefKind::Assert,
                name: a.name.node.to_string(),
                name_span: a.name.span,
                span: a.span,
            },
        })
        .collect()
}

/// The quantifier variables in scope, innermost last, each with the list it
/// ranges over.
pub type Scope<'a> = [(Arc<str>, &'a Expr)];

/// Calls `f` on every expression of the policy (outermost first), with the
/// quantifier variables in scope there. Depth is bounded by the parser.
pub fn walk_policy<'a>(policy: &'a ast::Policy, f: &mut dyn FnMut(&'a Expr, &Scope<'a>)) {
    let mut scope = Vec::new();
    for item in &policy.items {
        match item {
            Item::Let(l) => walk(&l.value, &mut scope, f),
            Item::Assert(a) => walk(&a.when, &mut scope, f),
            Item::Rule(r) => {
                walk(&r.when, &mut scope, f);
                if let Some(u) = &r.unless {
                    walk(u, &mut scope, f);
                }
            }
            _ => {}
        }
    }
}

fn walk<'a>(
    e: &'a Expr,
    scope: &mut Vec<(Arc<str>, &'a Expr)>,
    f: &mut dyn FnMut(&'a Expr, &Scope<'a>),
) {
    f(e, scope);
    match &e.node {
        ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Now => {}
        ExprKind::Field(x, _) | ExprKind::Index(x, _) | ExprKind::Not(x) => walk(x, scope, f),
        ExprKind::List(xs) | ExprKind::And(xs) | ExprKind::Or(xs) | ExprKind::Call(_, xs) => {
            xs.iter().for_each(|x| walk(x, scope, f));
        }
        ExprKind::Binary(_, a, b) => {
            walk(a, scope, f);
            walk(b, scope, f);
        }
        ExprKind::Quant(_, var, list, body) => {
            walk(list, scope, f);
            scope.push((var.node.clone(), list));
            walk(body, scope, f);
            scope.pop();
        }
    }
}

/// The spans of the factor lists named by a `let` (`using factors strong`).
fn factor_let_uses(policy: &ast::Policy) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut push = |f: &ast::Spanned<Factors>| {
        if let Factors::Let(n) = &f.node {
            out.push((n.clone(), f.span));
        }
    };
    let effects = policy.items.iter().filter_map(|i| match i {
        Item::Rule(r) => Some(&r.effect),
        Item::Assert(a) => Some(&a.effect),
        Item::Default(d) => Some(d),
        _ => None,
    });
    for e in effects {
        match &e.node {
            Effect::Require { using, then, .. } => {
                if let Some(Using::Factors(f)) = using {
                    push(f);
                }
                then.iter().for_each(|t| push(&t.factors));
            }
            Effect::Enroll { factors, then } => {
                push(factors);
                then.iter().for_each(|t| push(&t.factors));
            }
            Effect::Skip | Effect::Exempt | Effect::Deny { .. } => {}
        }
    }
    out
}

/// Every use of the `let` named `name` (not its definition), in source
/// order. A quantifier variable of the same name hides it.
pub fn let_uses(policy: &ast::Policy, name: &str) -> Vec<Span> {
    let mut out = Vec::new();
    walk_policy(policy, &mut |e, scope| {
        if let ExprKind::Name(n) = &e.node {
            if n.as_ref() == name && !scope.iter().any(|(v, _)| v.as_ref() == name) {
                out.push(e.span);
            }
        }
    });
    out.extend(
        factor_let_uses(policy)
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, s)| s),
    );
    out.sort();
    out
}

/// The `let`, rule or assertion whose name is at `offset` (its definition
/// or a use).
pub fn symbol_at(policy: &ast::Policy, defs: &[Def], offset: u32) -> Option<Def> {
    let inside = |s: Span| s.start <= offset && offset <= s.end;
    if let Some(d) = defs.iter().find(|d| {
        matches!(d.kind, DefKind::Let | DefKind::Rule | DefKind::Assert) && inside(d.name_span)
    }) {
        // An unnamed rule has no name to rename or find.
        if d.kind == DefKind::Rule && d.name_span == rule_effect_span(policy, d) {
            return None;
        }
        return Some(d.clone());
    }
    let mut found: Option<String> = None;
    walk_policy(policy, &mut |e, scope| {
        if let ExprKind::Name(n) = &e.node {
            if inside(e.span) && !scope.iter().any(|(v, _)| v == n) {
                found = Some(n.to_string());
            }
        }
    });
    if found.is_none() {
        found = factor_let_uses(policy)
            .into_iter()
            .find(|(_, s)| inside(*s))
            .map(|(n, _)| n);
    }
    let name = found?;
    defs.iter()
        .find(|d| d.kind == DefKind::Let && d.name == name)
        .cloned()
}

/// The effect span of the rule a definition stands for.
fn rule_effect_span(policy: &ast::Policy, d: &Def) -> Span {
    policy
        .items
        .iter()
        .find_map(|i| match i {
            Item::Rule(r) if r.span == d.span => Some(r.effect.span),
            _ => None,
        })
        .unwrap_or_default()
}

/// Whether `name` is an identifier a `let` or rule may be called.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !super::complete::KEYWORDS.contains(&name)
}
