//! Wording of run-time errors: how a value or path is named in a message.

use crate::ir::{self, Const, Expr, ExprKind as K, Step};
use std::sync::Arc;

pub(super) fn path_text(e: &Expr) -> Option<Arc<str>> {
    match &e.kind {
        K::Path(p) => Some(p.text.clone()),
        _ => None,
    }
}

/// An element of a list, for messages: `` `user.multifactor[0]` ``.
pub(super) fn describe_item(e: &Expr, i: usize) -> String {
    match &e.kind {
        K::Path(p) => format!("`{}[{i}]`", p.text),
        _ => format!("element {i} of the list"),
    }
}

pub(super) fn describe(e: &Expr) -> String {
    match &e.kind {
        K::Path(p) => format!("`{}`", p.text),
        K::Const(Const::Str(s)) => format!("`\"{s}\"`"),
        _ => "the value".into(),
    }
}

/// The path text up to (not including) step `i`, for shape errors.
pub(super) fn prefix_text(p: &ir::Path, i: usize) -> String {
    if i == 0 {
        return "event".into();
    }
    let mut out = String::new();
    for s in p.steps.iter().take(i) {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}
