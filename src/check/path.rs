//! Names and paths: quantifier variables, `let`s, shorthands and the
//! event's roots, resolved step by step against the schema and the
//! policy's `declare`s.

use super::expr::mk;
use super::{CheckError, Checker, LetValue};
use crate::check::suggest::did_you_mean;
use crate::ir::{self, ExprKind as K, Root, Step};
use crate::schema::Type;
use crate::source::Span;
use crate::syntax::ast::{self, ExprKind, IndexKey};
use std::sync::Arc;

/// A path being resolved: where it starts, its steps, its type so far.
struct Walk {
    root: Root,
    steps: Vec<Step>,
    text: String,
    ty: Type,
    /// Whether declared-key lookups apply (paths from the event root).
    declarable: bool,
    /// Leading steps through typed structure (see [`ir::Path::strict`]).
    strict: usize,
}

impl Checker<'_> {
    /// Rewrites the help of the undeclared-key warning for `x` (a dynamic
    /// path) to name the type it is compared with.
    pub(super) fn suggest_declared_type(&mut self, x: &ir::Expr, other: &Type) {
        // Only an undeclared key gets the help: its text is not built else.
        if !is_undeclared_key(x) {
            return;
        }
        let ty = match other {
            Type::Dynamic | Type::Null | Type::Record(_) | Type::Map => return,
            Type::Enum(_) => "string".to_string(),
            t => self.schema.display(t).to_string(),
        };
        self.suggest_declare(x, &ty);
    }

    /// Rewrites the help of the undeclared-key warning for `x` (a dynamic
    /// path) to `declare PATH: TY`. A did-you-mean of a declared key stays.
    pub(super) fn suggest_declare(&mut self, x: &ir::Expr, ty: &str) {
        // The same test as `is_undeclared_key`, binding the path.
        let (K::Path(p), Type::Dynamic) = (&x.kind, &x.ty) else {
            return;
        };
        let text = self.declare_help(&p.text, ty);
        self.suggest_declare_text(x, text);
    }

    /// Rewrites the help of the undeclared-key warning for `x` to `text`.
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "local slots and let indexes come from the checker's own tables; offsets inside the policy text"
    )]
    pub(super) fn suggest_declare_text(&mut self, x: &ir::Expr, text: String) {
        if x.ty != Type::Dynamic {
            return;
        }
        let end = x.span.end as usize;
        for e in self.errors.iter_mut().rev() {
            if let CheckError::UndeclaredMetadata { key, span, help } = e {
                if span.offset() + span.len() == end && is_identifier(key) {
                    if !help.as_deref().is_some_and(|h| h.starts_with(DID_YOU_MEAN)) {
                        *help = Some(text);
                    }
                    return;
                }
            }
        }
    }

    /// The map a metadata path is a key of, if its values are always strings.
    pub(super) fn string_map_of(&self, path: &str) -> Option<&str> {
        self.schema
            .string_maps
            .iter()
            .find(|m| {
                path.strip_prefix(m.as_ref())
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|r| !r.contains('.'))
            })
            .map(|m| m.as_ref())
    }

    fn declare_help(&self, path: &str, ty: &str) -> String {
        match self.string_map_of(path) {
            Some(map) if ty != "string" => format!(
                "values of `{map}` are always strings in Auth0: `declare {path}: string` and compare with a string"
            ),
            _ => format!("declare its type to check it: `declare {path}: {ty}`"),
        }
    }

    /// Names and paths: locals, lets, shorthands and the event's roots.
    pub(super) fn path(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        // Flatten `a.b[0].c` into its root name and steps.
        let mut cur = e;
        let mut keys: Vec<(StepSyntax, Span)> = Vec::new();
        loop {
            match &cur.node {
                ExprKind::Field(base, name) => {
                    keys.push((StepSyntax::Field(name.node.clone()), name.span));
                    cur = base;
                }
                ExprKind::Index(base, key) => {
                    let step = match &key.node {
                        IndexKey::Int(i) => StepSyntax::Index(*i),
                        IndexKey::Str(k) => StepSyntax::Field(Arc::from(k.as_str())),
                    };
                    keys.push((step, key.span));
                    cur = base;
                }
                _ => break,
            }
        }
        keys.reverse();
        let ExprKind::Name(root) = &cur.node else {
            let base = self.expr(cur)?;
            let found = self.schema.display(&base.ty).to_string();
            self.mismatch(
                "fields and indexes can only be read from event paths and variables".into(),
                e.span,
                format!("this is `{found}`"),
                None,
            );
            return None;
        };
        let rest: Vec<String> = keys
            .iter()
            .map(|(k, _)| match k {
                StepSyntax::Field(f) => format!(".{f}"),
                StepSyntax::Index(i) => format!("[{i}]"),
            })
            .collect();
        let mut walk = match self.resolve_root(root, cur.span, &rest.concat())? {
            Resolved::Expr(x) => return Some(x),
            Resolved::Walk(w) => w,
        };
        for (key, span) in keys {
            self.step(&mut walk, key, span)?;
        }
        let ty = walk.ty.clone();
        let kind = if walk.steps.is_empty() {
            match walk.root {
                Root::Local(slot) => K::Local(slot),
                Root::Event => K::Path(ir::Path {
                    root: Root::Event,
                    steps: Box::new([]),
                    text: Arc::from(walk.text.as_str()),
                    strict: 0,
                }),
            }
        } else {
            K::Path(ir::Path {
                root: walk.root,
                steps: walk.steps.into(),
                text: Arc::from(walk.text.as_str()),
                strict: walk.strict,
            })
        };
        Some(mk(kind, ty, e.span))
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "local slots and let indexes come from the checker's own tables; offsets inside the policy text"
    )]
    fn resolve_root(&mut self, name: &Arc<str>, span: Span, rest: &str) -> Option<Resolved> {
        let has_steps = !rest.is_empty();
        if let Some(slot) = self.locals.iter().rposition(|(n, _)| n == name) {
            let ty = self.locals[slot].1.clone();
            return Some(Resolved::Walk(Walk {
                root: Root::Local(u16::try_from(slot).ok()?),
                steps: Vec::new(),
                text: name.to_string(),
                ty,
                declarable: false,
                strict: 0,
            }));
        }
        if let Some(&i) = self.let_index.get(name) {
            if let Some(u) = self.let_used.get_mut(i) {
                *u = true;
            }
            if self.let_stack.contains(&i) {
                let chain: Vec<String> = self.let_stack
                    [self.let_stack.iter().position(|x| *x == i).unwrap_or(0)..]
                    .iter()
                    .map(|j| self.let_defs[*j].name.node.to_string())
                    .chain(std::iter::once(name.to_string()))
                    .collect();
                self.err(CheckError::LetCycle {
                    name: name.to_string(),
                    span: span.into(),
                    help: Some(format!(
                        "the definitions form a loop: {}",
                        chain.join(" -> ")
                    )),
                });
                return None;
            }
            let (ty, value, _) = self.check_let(i)?;
            if has_steps {
                self.mismatch(
                    format!("`{name}` is a `let` value; it has no fields"),
                    span,
                    "a `let`".into(),
                    None,
                );
                return None;
            }
            let kind = match value {
                LetValue::Const(c) => K::Const(c),
                LetValue::Index(j) => K::Let(j),
            };
            return Some(Resolved::Expr(mk(kind, ty, span)));
        }
        let root = self.schema.root?;
        let mut walk = Walk {
            root: Root::Event,
            steps: Vec::new(),
            text: String::new(),
            ty: Type::Record(root),
            declarable: true,
            strict: 0,
        };
        if let Some(sh) = self.schema.shorthand(name) {
            for seg in sh.path.clone() {
                self.step(&mut walk, StepSyntax::Field(Arc::from(seg.as_ref())), span)?;
            }
            // The path keeps its full text (`request.ip`), so errors and
            // explanations name where the value lives in the event.
            return Some(Resolved::Walk(walk));
        }
        let rec = self.schema.record(root);
        if rec.field(name).is_some() {
            self.step(&mut walk, StepSyntax::Field(name.clone()), span)?;
            return Some(Resolved::Walk(walk));
        }
        let mut candidates: Vec<String> = self.locals.iter().map(|(n, _)| n.to_string()).collect();
        candidates.extend(self.let_index.keys().map(|k| k.to_string()));
        candidates.extend(self.schema.shorthands.iter().map(|s| s.name.to_string()));
        candidates.extend(
            rec.fields
                .iter()
                .filter(|f| !f.hidden)
                .map(|f| f.name.to_string()),
        );
        let help = self.unknown_name_help(name, rest, &candidates);
        self.err(CheckError::UnknownName {
            name: name.to_string(),
            span: span.into(),
            help,
        });
        None
    }

    /// Help for a bare name that is nothing: a leading `event.`, a field
    /// of one of the event's records written without its root
    /// (`riskAssessment.x`), a near spelling (`treu`), else quoting it.
    fn unknown_name_help(&self, name: &str, rest: &str, candidates: &[String]) -> Option<String> {
        let root = self.schema.root?;
        let rec = self.schema.record(root);
        if name == "event" {
            if let Some(r) = rest.strip_prefix('.') {
                return Some(format!(
                    "paths start at the event's fields: drop the leading `event.` and write `{r}`"
                ));
            }
        }
        if let Some(root_field) = rec.fields.iter().filter(|f| !f.hidden).find(|f| {
            matches!(&f.ty, Type::Record(id) if self.schema.record(*id).field(name).is_some_and(|g| !g.hidden))
        }) {
            return Some(format!(
                "`{name}` is a field of `{}`: write `{}.{name}{rest}`",
                root_field.name, root_field.name
            ));
        }
        // Two or three capitals are a code (`US`, `EU`), not a typo of a name.
        let code = (2..=3).contains(&name.len()) && name.chars().all(|c| c.is_ascii_uppercase());
        if !code {
            let keywords = ["true", "false", "null", "now"];
            if let Some(s) =
                did_you_mean(name, candidates.iter().map(String::as_str).chain(keywords))
            {
                return Some(format!("did you mean `{s}`?"));
            }
        }
        Some(format!("to compare with text, quote it: `\"{name}\"`"))
    }

    #[expect(
        clippy::arithmetic_side_effects,
        reason = "local slots and let indexes come from the checker's own tables; offsets inside the policy text"
    )]
    fn step(&mut self, walk: &mut Walk, key: StepSyntax, span: Span) -> Option<()> {
        // A `dynamic` value on the way to a declared key is structure the
        // policy declared: a non-object there is a misfit, as in the schema.
        let typed = walk.ty != Type::Dynamic || self.declared_below(walk);
        if walk.strict == walk.steps.len() && typed {
            walk.strict += 1;
        }
        let parent = if walk.text.is_empty() {
            "event".to_string()
        } else {
            walk.text.clone()
        };
        let dotted = |w: &Walk, k: &str| {
            if w.text.is_empty() {
                k.to_string()
            } else {
                format!("{}.{k}", w.text)
            }
        };
        match (&walk.ty, key) {
            (Type::List(elem), StepSyntax::Index(i)) => {
                let elem = (**elem).clone();
                walk.steps
                    .push(Step::Index(usize::try_from(i).unwrap_or(usize::MAX)));
                walk.text = format!("{}[{i}]", walk.text);
                walk.ty = elem;
                walk.declarable = false;
            }
            (Type::Dynamic, StepSyntax::Index(i)) => {
                walk.steps
                    .push(Step::Index(usize::try_from(i).unwrap_or(usize::MAX)));
                walk.text = format!("{}[{i}]", walk.text);
                walk.declarable = false;
            }
            (Type::Record(id), StepSyntax::Field(k)) => {
                let id = *id;
                let rec = self.schema.record(id);
                match rec.field(&k) {
                    Some(f) if f.hidden => {
                        self.err(CheckError::HiddenField {
                            path: dotted(walk, &k),
                            span: span.into(),
                        });
                        return None;
                    }
                    Some(f) => walk.ty = f.ty.clone(),
                    None => {
                        let full = dotted(walk, &k);
                        match self.declared(walk, &full) {
                            Some(t) if rec.open => walk.ty = t,
                            _ => {
                                let help = self.field_help(
                                    id,
                                    &k,
                                    if walk.text.is_empty() { "" } else { &walk.text },
                                    walk.declarable,
                                );
                                self.err(CheckError::UnknownField {
                                    field: k.to_string(),
                                    parent,
                                    span: span.into(),
                                    help,
                                });
                                return None;
                            }
                        }
                    }
                }
                walk.text = dotted(walk, &k);
                walk.steps.push(Step::Key(k));
            }
            (Type::Map, StepSyntax::Field(k)) => {
                let full = dotted(walk, &k);
                match self.declared(walk, &full) {
                    Some(t) => walk.ty = t,
                    None => {
                        if walk.declarable
                            && self.schema.metadata_maps.iter().any(|m| *m == walk.text)
                        {
                            let prefix = format!("{}.", walk.text);
                            let siblings: Vec<&str> = self
                                .declares
                                .keys()
                                .filter_map(|d| d.strip_prefix(prefix.as_str()))
                                .filter(|d| !d.contains('.'))
                                .collect();
                            let near = did_you_mean(&k, siblings.iter().copied());
                            let help = Some(if let Some(near) = near {
                                format!("{DID_YOU_MEAN}`{near}`? `{}{near}` is declared", prefix)
                            } else if is_identifier(&k) {
                                format!("declare its type to check it: `declare {full}: TYPE` (string, bool, int, ...)")
                            } else {
                                format!("`{k}` is not a plain name, so it cannot be declared; a typo in it will not be caught")
                            });
                            self.err(CheckError::UndeclaredMetadata {
                                key: k.to_string(),
                                span: span.into(),
                                help,
                            });
                        }
                        walk.ty = Type::Dynamic;
                    }
                }
                walk.text = full;
                walk.steps.push(Step::Key(k));
            }
            (Type::Dynamic, StepSyntax::Field(k)) => {
                let full = dotted(walk, &k);
                if let Some(t) = self.declared(walk, &full) {
                    walk.ty = t;
                }
                walk.text = full;
                walk.steps.push(Step::Key(k));
            }
            (ty, key) => {
                let found = self.schema.display(ty).to_string();
                let (what, help) = match (&key, ty) {
                    (StepSyntax::Field(_), Type::List(_)) => (
                        "fields",
                        Some(format!("`{parent}` is a list: index it (`{parent}[0]`) or use `any x in {parent}: ...`")),
                    ),
                    (StepSyntax::Index(_), _) => ("indexes", None),
                    _ => ("fields", None),
                };
                self.mismatch(
                    format!("`{parent}` is `{found}` and has no {what}"),
                    span,
                    format!("`{parent}` is `{found}`"),
                    help,
                );
                return None;
            }
        }
        Some(())
    }

    /// Whether some `declare` names a key below the walk's current value.
    fn declared_below(&self, walk: &Walk) -> bool {
        walk.declarable
            && self.declares.keys().any(|k| {
                k.strip_prefix(walk.text.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    }

    /// The declared type of a path under a map, if any. A path that is a
    /// prefix of a declared one is `dynamic` without a warning.
    fn declared(&self, walk: &Walk, full: &str) -> Option<Type> {
        if !walk.declarable {
            return None;
        }
        if let Some(d) = self.declares.get(full) {
            d.used.set(true);
            return Some(d.ty.clone());
        }
        let prefix = format!("{full}.");
        self.declares
            .keys()
            .any(|k| k.starts_with(&prefix))
            .then_some(Type::Dynamic)
    }
}

/// How a did-you-mean help starts (such a help is never rewritten).
pub(super) const DID_YOU_MEAN: &str = "did you mean ";

enum Resolved {
    Expr(ir::Expr),
    Walk(Walk),
}

enum StepSyntax {
    Field(Arc<str>),
    Index(i64),
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `x` reads a key of a metadata map that no `declare` types: the
/// only expressions the declare-help is for.
pub(super) fn is_undeclared_key(x: &ir::Expr) -> bool {
    matches!((&x.kind, &x.ty), (K::Path(_), Type::Dynamic))
}
