//! `include "PATH"`: shared `let`s and `declare`s defined once for many
//! policies.
//!
//! Includes are resolved before checking: each included file is parsed,
//! resolved (it may include others) and checked on its own, so its errors are
//! found where they are written; then its `let`s and `declare`s join the
//! including policy. Their spans are set to the `include` item's, so a
//! diagnostic or a run-time error about an included definition points at the
//! line that brought it in. Paths are resolved by the caller's loader
//! (relative to the including file); the library itself opens no file.

use crate::check::CheckError;
use crate::schema::Schema;
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{self, Expr, ExprKind, Item, TypeExpr};
use crate::PolicyError;

/// At most this many files in one include chain.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Loads an included file: `(including file's name, path as written)` to
/// the file (named as it should appear in messages), or why it cannot.
pub type Loader<'l> = dyn FnMut(&str, &str) -> Result<SourceFile, String> + 'l;

/// Replaces every `include` of `policy` (from `source`) by the definitions of
/// the included files. Problems are pushed to `out` as diagnostics located
/// at the `include` item.
pub(crate) fn resolve(
    source: &SourceFile,
    policy: &mut ast::Policy,
    schema: &Schema,
    load: &mut Loader<'_>,
    chain: &mut Vec<String>,
    out: &mut Vec<PolicyError>,
) {
    let includes: Vec<ast::Include> = policy
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Include(inc) => Some(inc.clone()),
            _ => None,
        })
        .collect();
    for inc in includes {
        let err = |e: CheckError| PolicyError::Check(e);
        let shown = || {
            let mut c = chain.clone();
            c.push(inc.path.node.clone());
            format!("include chain: {}", c.join(" -> "))
        };
        if chain.len() >= MAX_INCLUDE_DEPTH {
            out.push(err(CheckError::IncludeCycle {
                message: format!("includes nest more than {MAX_INCLUDE_DEPTH} files deep"),
                span: inc.span.into(),
                help: Some(shown()),
            }));
            continue;
        }
        let file = match load(&source.name, &inc.path.node) {
            Ok(f) => f,
            Err(reason) => {
                out.push(err(CheckError::IncludeNotFound {
                    path: inc.path.node.clone(),
                    span: inc.path.span.into(),
                    reason,
                    help: Some(format!(
                        "paths are relative to the including file; {}",
                        shown()
                    )),
                }));
                continue;
            }
        };
        if chain.iter().any(|c| *c == *file.name) {
            out.push(err(CheckError::IncludeCycle {
                message: format!("`{}` includes itself", file.name),
                span: inc.span.into(),
                help: Some(format!("{}; remove one of these includes", shown())),
            }));
            continue;
        }
        let mut included = match crate::syntax::parse(&file.text) {
            Ok(p) => p,
            Err(e) => {
                out.push(failed(&file, &inc, &[PolicyError::Syntax(e)]));
                continue;
            }
        };
        if let Some(what) = included.items.iter().find_map(|i| match i {
            Item::Rule(_) => Some("a rule"),
            Item::Default(_) => Some("a `default`"),
            Item::Assert(_) => Some("an `assert`"),
            _ => None,
        }) {
            out.push(err(CheckError::IncludeNotDefinitions {
                path: file.name.to_string(),
                what: what.into(),
                span: inc.span.into(),
            }));
            continue;
        }
        chain.push(file.name.to_string());
        let mut nested = Vec::new();
        resolve(&file, &mut included, schema, load, chain, &mut nested);
        chain.pop();
        // A loop or a chain too deep is reported as itself, at this include.
        if let Some(PolicyError::Check(CheckError::IncludeCycle { message, help, .. })) = nested
            .iter()
            .find(|e| matches!(e, PolicyError::Check(CheckError::IncludeCycle { .. })))
        {
            out.push(err(CheckError::IncludeCycle {
                message: message.clone(),
                span: inc.span.into(),
                help: help.clone(),
            }));
            continue;
        }
        if !nested.is_empty() {
            out.push(failed(&file, &inc, &nested));
            continue;
        }
        let checked = crate::check::check(&file, &included, schema);
        let errors: Vec<PolicyError> = checked
            .diagnostics
            .into_iter()
            .filter(|d| !d.is_warning())
            .map(PolicyError::Check)
            .collect();
        if !errors.is_empty() {
            out.push(failed(&file, &inc, &errors));
            continue;
        }
        for item in included.items {
            match item {
                Item::Let(mut l) => {
                    respan_let(&mut l, inc.span);
                    policy.items.push(Item::Let(l));
                }
                Item::Declare(mut d) => {
                    d.span = inc.span;
                    d.path.iter_mut().for_each(|p| p.span = inc.span);
                    respan_type(&mut d.ty, inc.span);
                    policy.items.push(Item::Declare(d));
                }
                _ => {}
            }
        }
    }
}

/// `include_errors` for a file, with its first error located in it.
fn failed(file: &SourceFile, inc: &ast::Include, errors: &[PolicyError]) -> PolicyError {
    let first = errors.first().map(|e| {
        let at = miette::Diagnostic::labels(e)
            .and_then(|mut l| l.next())
            .map(|l| {
                let offset = u32::try_from(l.offset()).unwrap_or(u32::MAX);
                let (line, col) = file.line_col(offset);
                format!("{}:{line}:{col}: ", file.name)
            })
            .unwrap_or_default();
        format!(
            "first: {at}{e}; run `mfapol check {}` for every error",
            file.name
        )
    });
    let count = errors.len();
    PolicyError::Check(CheckError::IncludeErrors {
        path: file.name.to_string(),
        count,
        plural: if count == 1 { "" } else { "s" },
        span: inc.span.into(),
        help: first,
    })
}

fn respan_let(l: &mut ast::Let, span: Span) {
    l.span = span;
    l.name.span = span;
    respan_expr(&mut l.value, span);
}

/// Every span in an expression (its depth is bounded by the parser).
fn respan_expr(e: &mut Expr, span: Span) {
    e.span = span;
    match &mut e.node {
        ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Now => {}
        ExprKind::Field(x, id) => {
            id.span = span;
            respan_expr(x, span);
        }
        ExprKind::Index(x, key) => {
            key.span = span;
            respan_expr(x, span);
        }
        ExprKind::List(xs) | ExprKind::And(xs) | ExprKind::Or(xs) => {
            xs.iter_mut().for_each(|x| respan_expr(x, span));
        }
        ExprKind::Call(id, xs) => {
            id.span = span;
            xs.iter_mut().for_each(|x| respan_expr(x, span));
        }
        ExprKind::Not(x) => respan_expr(x, span),
        ExprKind::Binary(op, a, b) => {
            op.span = span;
            respan_expr(a, span);
            respan_expr(b, span);
        }
        ExprKind::Quant(_, id, list, body) => {
            id.span = span;
            respan_expr(list, span);
            respan_expr(body, span);
        }
    }
}

fn respan_type(t: &mut ast::Spanned<TypeExpr>, span: Span) {
    t.span = span;
    match &mut t.node {
        TypeExpr::Named(_) => {}
        TypeExpr::List(inner) | TypeExpr::Optional(inner) => respan_type(inner, span),
    }
}
