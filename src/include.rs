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
//!
//! A [`Cache`] keyed by each file's [`SourceFile::key`] (the canonical path,
//! where the loader knows it) makes every file loaded, parsed and checked
//! once per run, however many paths lead to it: an include diamond 4 wide
//! and 11 deep is 44 files, not 4^11 paths. A file reached by two paths
//! adds its definitions once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::check::CheckError;
use crate::schema::Schema;
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{self, Expr, ExprKind, Item, TypeExpr};
use crate::PolicyError;

/// At most this many files in one include chain.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Loads an included file: `(including file's name, path as written)` to
/// the file (named as it should appear in messages, and keyed by its
/// canonical path where the loader knows it: [`SourceFile::with_key`]), or
/// why it cannot.
pub type Loader<'l> = dyn FnMut(&str, &str) -> Result<SourceFile, String> + 'l;

/// What became of one included file.
#[derive(Clone, Debug)]
enum Outcome {
    /// It checks: its own definitions (spans as written) and the files it
    /// includes, in order.
    Ok {
        defs: Vec<Item>,
        includes: Vec<Arc<str>>,
    },
    /// Its own problems, located in it.
    Failed(Vec<PolicyError>),
    /// It is part of an include loop, or of a chain too deep.
    Cycle {
        message: String,
        help: Option<String>,
    },
    /// It holds a rule, a `default` or an `assert`.
    NotDefinitions(&'static str),
}

#[derive(Clone, Debug)]
enum State {
    /// Being resolved: met again, it closes a loop.
    Visiting,
    Done(Outcome),
}

/// Files loaded and checked during one run, by key. Keep one for a run
/// over many policies (`mfapol check DIR`) so shared includes are read once;
/// [`crate::compile_with`] makes a fresh one per call.
#[derive(Debug, Default)]
pub struct Cache {
    /// `(including file's key, path as written)` to the included file's key.
    edges: HashMap<(Arc<str>, String), Result<Arc<str>, String>>,
    /// Every file loaded, by key.
    loaded: HashMap<Arc<str>, SourceFile>,
    states: HashMap<Arc<str>, State>,
    checked: usize,
}

impl Cache {
    /// An empty cache.
    pub fn new() -> Self {
        Cache::default()
    }

    /// How many included files were parsed and checked (each at most once).
    pub fn files_checked(&self) -> usize {
        self.checked
    }

    /// How many distinct files were loaded.
    pub fn files_loaded(&self) -> usize {
        self.loaded.len()
    }

    /// The key of the file `path` names from `from`, loading it the first
    /// time this include is met.
    fn locate(
        &mut self,
        from: &SourceFile,
        path: &str,
        load: &mut Loader<'_>,
    ) -> Result<Arc<str>, String> {
        let edge = (from.key().clone(), path.to_string());
        if let Some(r) = self.edges.get(&edge) {
            return r.clone();
        }
        let r = load(&from.name, path).map(|file| {
            let key = file.key().clone();
            self.loaded.entry(key.clone()).or_insert(file);
            key
        });
        self.edges.insert(edge, r.clone());
        r
    }

    /// Resolves one `include` of `from`: the included file's key, or the
    /// diagnostic to report at the `include` item.
    fn include(
        &mut self,
        from: &SourceFile,
        inc: &ast::Include,
        schema: &Schema,
        load: &mut Loader<'_>,
        chain: &mut Vec<String>,
    ) -> Result<Arc<str>, PolicyError> {
        let err = |e: CheckError| PolicyError::Check(e);
        let shown = |chain: &[String]| {
            let mut c = chain.to_vec();
            c.push(inc.path.node.clone());
            format!("include chain: {}", c.join(" -> "))
        };
        if chain.len() >= MAX_INCLUDE_DEPTH {
            return Err(err(CheckError::IncludeCycle {
                message: format!("includes nest more than {MAX_INCLUDE_DEPTH} files deep"),
                span: inc.span.into(),
                help: Some(shown(chain)),
            }));
        }
        let key = match self.locate(from, &inc.path.node, load) {
            Ok(k) => k,
            Err(reason) => {
                return Err(err(CheckError::IncludeNotFound {
                    path: inc.path.node.clone(),
                    span: inc.path.span.into(),
                    reason,
                    help: Some(format!(
                        "paths are relative to the including file; {}",
                        shown(chain)
                    )),
                }))
            }
        };
        let Some(file) = self.loaded.get(&key).cloned() else {
            return Err(err(CheckError::IncludeNotFound {
                path: inc.path.node.clone(),
                span: inc.path.span.into(),
                reason: "the loader lost the file".into(),
                help: None,
            }));
        };
        let outcome = match self.states.get(&key) {
            Some(State::Visiting) => Outcome::Cycle {
                message: format!("`{}` includes itself", file.name),
                help: Some(format!("{}; remove one of these includes", shown(chain))),
            },
            Some(State::Done(o)) => o.clone(),
            None => {
                self.states.insert(key.clone(), State::Visiting);
                chain.push(file.name.to_string());
                let o = self.analyse(&file, schema, load, chain);
                chain.pop();
                self.states.insert(key.clone(), State::Done(o.clone()));
                o
            }
        };
        match outcome {
            Outcome::Ok { .. } => Ok(key),
            Outcome::Failed(errors) => Err(failed(&file, inc, &errors)),
            Outcome::Cycle { message, help } => Err(err(CheckError::IncludeCycle {
                message,
                span: inc.span.into(),
                help,
            })),
            Outcome::NotDefinitions(what) => Err(err(CheckError::IncludeNotDefinitions {
                path: file.name.to_string(),
                what: what.into(),
                span: inc.span.into(),
            })),
        }
    }

    /// Parses, resolves and checks one included file (once per key).
    fn analyse(
        &mut self,
        file: &SourceFile,
        schema: &Schema,
        load: &mut Loader<'_>,
        chain: &mut Vec<String>,
    ) -> Outcome {
        let parsed = match crate::syntax::parse(&file.text) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(vec![PolicyError::Syntax(e)]),
        };
        if let Some(what) = parsed.items.iter().find_map(|i| match i {
            Item::Rule(_) => Some("a rule"),
            Item::Default(_) => Some("a `default`"),
            Item::Assert(_) => Some("an `assert`"),
            _ => None,
        }) {
            return Outcome::NotDefinitions(what);
        }
        let mut nested = Vec::new();
        let mut includes = Vec::new();
        for inc in includes_of(&parsed) {
            match self.include(file, &inc, schema, load, chain) {
                Ok(k) => includes.push((k, inc.span)),
                Err(e) => nested.push(e),
            }
        }
        // A loop or a chain too deep is reported as itself, at each include.
        if let Some(PolicyError::Check(CheckError::IncludeCycle { message, help, .. })) = nested
            .iter()
            .find(|e| matches!(e, PolicyError::Check(CheckError::IncludeCycle { .. })))
        {
            return Outcome::Cycle {
                message: message.clone(),
                help: help.clone(),
            };
        }
        if !nested.is_empty() {
            return Outcome::Failed(nested);
        }
        let mut resolved = parsed.clone();
        self.append_definitions(&mut resolved, &includes);
        self.checked = self.checked.saturating_add(1);
        let errors: Vec<PolicyError> = crate::check::check(file, &resolved, schema)
            .diagnostics
            .into_iter()
            .filter(|d| !d.is_warning())
            .map(PolicyError::Check)
            .collect();
        if !errors.is_empty() {
            return Outcome::Failed(errors);
        }
        Outcome::Ok {
            defs: parsed
                .items
                .into_iter()
                .filter(|i| matches!(i, Item::Let(_) | Item::Declare(_)))
                .collect(),
            includes: includes.into_iter().map(|(k, _)| k).collect(),
        }
    }

    /// Adds to `policy` the definitions of every file its includes reach,
    /// each file once, spanned at the `include` item that first reaches it.
    fn append_definitions(&self, policy: &mut ast::Policy, includes: &[(Arc<str>, Span)]) {
        let mut seen: HashSet<Arc<str>> = HashSet::new();
        for (key, span) in includes {
            let mut stack = vec![key.clone()];
            while let Some(k) = stack.pop() {
                if !seen.insert(k.clone()) {
                    continue;
                }
                let Some(State::Done(Outcome::Ok { defs, includes })) = self.states.get(&k) else {
                    continue;
                };
                for item in defs {
                    policy.items.push(respanned(item.clone(), *span));
                }
                // Pushed in reverse so the first include is visited first.
                stack.extend(includes.iter().rev().cloned());
            }
        }
    }
}

/// The `include` items of a policy, in order.
fn includes_of(policy: &ast::Policy) -> Vec<ast::Include> {
    policy
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Include(inc) => Some(inc.clone()),
            _ => None,
        })
        .collect()
}

/// Replaces every `include` of `policy` (from `source`) by the definitions of
/// the included files, each loaded and checked once per `cache`. Problems
/// are pushed to `out` as diagnostics located at the `include` item.
pub(crate) fn resolve(
    source: &SourceFile,
    policy: &mut ast::Policy,
    schema: &Schema,
    load: &mut Loader<'_>,
    cache: &mut Cache,
    out: &mut Vec<PolicyError>,
) {
    let root = source.key().clone();
    // The file itself is on the chain: an include of it is a loop. (A file
    // already done, included by an earlier policy of the run, has had its
    // loops found then.)
    let mark = !cache.states.contains_key(&root);
    if mark {
        cache.states.insert(root.clone(), State::Visiting);
    }
    let mut chain = vec![source.name.to_string()];
    let mut found = Vec::new();
    for inc in includes_of(policy) {
        match cache.include(source, &inc, schema, load, &mut chain) {
            Ok(k) => found.push((k, inc.span)),
            Err(e) => out.push(e),
        }
    }
    if mark {
        cache.states.remove(&root);
    }
    cache.append_definitions(policy, &found);
}

fn respanned(item: Item, span: Span) -> Item {
    match item {
        Item::Let(mut l) => {
            respan_let(&mut l, span);
            Item::Let(l)
        }
        Item::Declare(mut d) => {
            d.span = span;
            d.path.iter_mut().for_each(|p| p.span = span);
            respan_type(&mut d.ty, span);
            Item::Declare(d)
        }
        other => other,
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
