//! Resolve names and paths, infer types, check every operator and effect.
//! Collects every error and warning of a file, sorted by position; produces
//! the checked [`ir::Policy`] only when there is no error.

mod error;
mod expr;
mod hints;
mod lint;
mod ops;
mod path;
pub mod suggest;
mod values;

pub use error::CheckError;

use crate::ir::{self, Challenge, Const};
use crate::schema::{RecordId, Schema, Text, Type};
use crate::source::{SourceFile, Span};
use crate::syntax::ast;
use std::collections::HashMap;
use std::sync::Arc;
use suggest::{did_you_mean, one_of};

/// The largest a rule may grow once `let`s are expanded.
pub const MAX_RULE_COST: u64 = 1_000_000;

/// How many elements a list read from the event counts for in the static
/// cost bound ([`MAX_RULE_COST`]). Auth0's lists (methods, factors, groups)
/// hold a handful; the run-time budget ([`crate::eval::MAX_STEPS`]) covers
/// events with longer ones.
pub const ASSUMED_EVENT_LIST_LEN: u64 = 100;

/// The deepest evaluation a rule or `let` may need: its expression's depth,
/// with each `let` it uses counted at the depth of its value. Parsing bounds
/// one expression at [`crate::syntax::MAX_DEPTH`]; this bounds chains of
/// `let`s, which the interpreter follows in place.
pub const MAX_EVAL_DEPTH: usize = 2 * crate::syntax::MAX_DEPTH;

/// The outcome of checking one file.
#[derive(Debug)]
pub struct Checked {
    /// The program, when the file has no errors (warnings allowed).
    pub policy: Option<ir::Policy>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<CheckError>,
}

impl Checked {
    /// Whether any diagnostic is an error (not a warning).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| !d.is_warning())
    }
}

/// Checks a parsed policy against a schema.
pub fn check(source: &SourceFile, policy: &ast::Policy, schema: &Schema) -> Checked {
    let mut c = Checker::new(source, schema);
    c.items(policy);
    let mut diagnostics = std::mem::take(&mut c.errors);
    let policy = if diagnostics.iter().any(|d| !d.is_warning()) {
        None
    } else {
        c.output
    };
    if let Some(p) = &policy {
        diagnostics.extend(overlap_warnings(p, &c.overlaps));
    }
    diagnostics.sort_by_key(|d| d.offset());
    Checked {
        policy,
        diagnostics,
    }
}

/// `skip_overlap` warnings for the overlaps a login shows (SPEC §15): each
/// names only the rules that apply together with the skip rule on some
/// login the interpreter confirms, and none when verify finds no such login.
fn overlap_warnings(policy: &ir::Policy, overlaps: &[Overlap]) -> Vec<CheckError> {
    let pairs: usize = overlaps.iter().map(|o| o.others.len()).sum();
    if pairs > MAX_EXACT_OVERLAPS {
        return Vec::new();
    }
    let mut out = Vec::new();
    for o in overlaps {
        let ids: Vec<usize> = o.others.iter().map(|(i, _, _)| *i).collect();
        let found = crate::verify::overlaps(policy, o.skip, &ids);
        let shown: Vec<&(usize, String, &'static str)> = o
            .others
            .iter()
            .filter(|(i, _, _)| found.iter().any(|(j, _)| j == i))
            .collect();
        let Some(first) = shown.first() else {
            continue;
        };
        let names: Vec<String> = shown.iter().map(|(_, n, _)| n.clone()).collect();
        let listed = if names.len() > 3 {
            let head: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
            format!("{}, ... ({} rules)", head.join(", "), names.len())
        } else {
            names.join(", ")
        };
        let to = if names.len() == 1 {
            "rule"
        } else {
            "each of the rules"
        };
        out.push(CheckError::SkipOverlap {
            skip: o.skip_label.clone(),
            other: listed,
            effect: first.2,
            span: o.span.into(),
            help: Some(format!(
                "if these logins should skip MFA, make {} an exemption (write `exempt` for `skip mfa`: it wins over every require rule, never over deny), or add `unless {}` to {to} {}",
                o.skip_label,
                o.applies,
                names.join(", ")
            )),
        });
    }
    out
}

/// The type of each `let` of a policy that checks (for editor hovers): the
/// checker's own inference, so a hover never disagrees with `check`.
pub fn let_types(
    source: &SourceFile,
    policy: &ast::Policy,
    schema: &Schema,
) -> Vec<(Arc<str>, Type)> {
    let mut c = Checker::new(source, schema);
    c.items(policy);
    c.let_defs
        .iter()
        .zip(&c.let_state)
        .filter_map(|(l, s)| match s {
            LetState::Done { ty, .. } => Some((l.name.node.clone(), ty.clone())),
            _ => None,
        })
        .collect()
}

#[derive(Clone, Debug)]
enum LetState {
    Unchecked,
    InProgress,
    /// Checked: a constant (inlined at use) or an index into `ir.lets`.
    Done {
        ty: Type,
        value: LetValue,
        size: u64,
    },
    Failed,
}

#[derive(Clone, Debug)]
enum LetValue {
    Const(Const),
    Index(u32),
}

/// A declared metadata key (or a declared attribute of an open record).
#[derive(Clone, Debug)]
struct Declared {
    ty: Type,
    /// Whether a path read the key (an unused declare is a warning).
    used: std::cell::Cell<bool>,
}

pub(crate) struct Checker<'a> {
    schema: &'a Schema,
    source: &'a SourceFile,
    errors: Vec<CheckError>,
    let_defs: Vec<&'a ast::Let>,
    let_index: HashMap<Arc<str>, usize>,
    let_state: Vec<LetState>,
    let_stack: Vec<usize>,
    /// Whether each `let` is referred to (an unused one is a warning).
    let_used: Vec<bool>,
    ir_lets: Vec<ir::LetDef>,
    declares: HashMap<String, Declared>,
    locals: Vec<(Arc<str>, Type)>,
    max_locals: usize,
    output: Option<ir::Policy>,
    /// Expanded size of each entry of `ir_lets`.
    let_sizes: Vec<u64>,
    /// Evaluation depth of each entry of `ir_lets` (see [`MAX_EVAL_DEPTH`]).
    let_depths: Vec<usize>,
    /// `skip` rules that rules of a stronger effect may override: reported
    /// (`skip_overlap`) only where verify finds a login on which they do.
    overlaps: Vec<Overlap>,
}

/// A `skip` rule and the `require`/`enroll` rules that may override it.
#[derive(Clone, Debug)]
struct Overlap {
    /// The skip rule, by its position among the rules.
    skip: usize,
    skip_label: String,
    /// Rules that may apply with it: position, label, effect in words.
    others: Vec<(usize, String, &'static str)>,
    span: Span,
    /// Where the skip rule applies, as source text.
    applies: String,
}

/// The most (skip rule, other rule) pairs decided exactly per policy;
/// beyond it, `skip_overlap` is not reported (checking stays fast).
const MAX_EXACT_OVERLAPS: usize = 128;

impl<'a> Checker<'a> {
    fn new(source: &'a SourceFile, schema: &'a Schema) -> Self {
        Checker {
            schema,
            source,
            errors: Vec::new(),
            let_defs: Vec::new(),
            let_index: HashMap::new(),
            let_state: Vec::new(),
            let_stack: Vec::new(),
            let_used: Vec::new(),
            ir_lets: Vec::new(),
            declares: HashMap::new(),
            locals: Vec::new(),
            max_locals: 0,
            output: None,
            let_sizes: Vec::new(),
            let_depths: Vec::new(),
            overlaps: Vec::new(),
        }
    }

    fn err(&mut self, e: CheckError) {
        self.errors.push(e);
    }

    /// Whether `name` is a root of the event or a shorthand.
    fn is_event_name(&self, name: &str) -> bool {
        self.schema.shorthand(name).is_some()
            || self
                .schema
                .root
                .is_some_and(|r| self.schema.record(r).field(name).is_some())
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "let indexes come from `let_index`, built in step with `let_defs`, `let_state` and the reference lists, so each is in range; counts are bounded by the policy size"
    )]
    fn items(&mut self, policy: &'a ast::Policy) {
        // Names first, so items may refer to each other in any order.
        let mut rule_names: HashMap<Arc<str>, Span> = HashMap::new();
        let mut assert_names: HashMap<Arc<str>, Span> = HashMap::new();
        let mut default: Option<&'a ast::Spanned<ast::Effect>> = None;
        for item in &policy.items {
            match item {
                ast::Item::Let(l) => {
                    if self.is_event_name(&l.name.node) {
                        self.err(CheckError::ReservedName {
                            name: l.name.node.to_string(),
                            span: l.name.span.into(),
                        });
                    } else if let Some(&first) = self.let_index.get(&l.name.node) {
                        let first = self.let_defs[first].name.span;
                        self.err(CheckError::DuplicateName {
                            name: l.name.node.to_string(),
                            span: l.name.span.into(),
                            first: first.into(),
                        });
                        continue;
                    }
                    self.let_index
                        .insert(l.name.node.clone(), self.let_defs.len());
                    self.let_defs.push(l);
                    self.let_state.push(LetState::Unchecked);
                    self.let_used.push(false);
                }
                ast::Item::Rule(r) => {
                    if let Some(name) = &r.name {
                        if let Some(first) = rule_names.get(&name.node) {
                            self.err(CheckError::DuplicateName {
                                name: name.node.to_string(),
                                span: name.span.into(),
                                first: (*first).into(),
                            });
                        } else {
                            rule_names.insert(name.node.clone(), name.span);
                        }
                    }
                }
                ast::Item::Default(d) => match default {
                    Some(first) => self.err(CheckError::DuplicateDefault {
                        span: d.span.into(),
                        first: first.span.into(),
                    }),
                    None => default = Some(d),
                },
                ast::Item::Assert(a) => {
                    if let Some(first) = assert_names.get(&a.name.node) {
                        self.err(CheckError::DuplicateName {
                            name: a.name.node.to_string(),
                            span: a.name.span.into(),
                            first: (*first).into(),
                        });
                    } else {
                        assert_names.insert(a.name.node.clone(), a.name.span);
                    }
                }
                ast::Item::Declare(d) => self.declare(d),
                // Resolved before checking (crate::include).
                ast::Item::Include(_) => {}
            }
        }
        // Dependencies first, so checking a `let` never recurses into
        // another: a chain of thousands of `let`s cannot overflow the stack.
        for i in self.let_order() {
            self.check_let(i);
        }
        let mut rules = Vec::new();
        let mut asserts = Vec::new();
        for item in &policy.items {
            match item {
                ast::Item::Rule(r) => rules.extend(self.rule(r)),
                ast::Item::Assert(a) => asserts.extend(self.assertion(a)),
                _ => {}
            }
        }
        let default = default.and_then(|d| self.effect(d));
        self.lints(policy);
        self.output = Some(ir::Policy {
            file: self.source.name.clone(),
            rules,
            default,
            lets: std::mem::take(&mut self.ir_lets),
            max_locals: self.max_locals,
            asserts,
        });
    }

    fn rule(&mut self, r: &'a ast::Rule) -> Option<ir::Rule> {
        let line = self.source.lines().line(r.span.start);
        let name: Arc<str> = match &r.name {
            Some(n) => n.node.clone(),
            None => Arc::from(format!("line {line}")),
        };
        let effect = self.effect(&r.effect);
        let when = self.condition(&r.when);
        let unless = r.unless.as_ref().map(|u| self.condition(u));
        let when = when?;
        let unless = match unless {
            Some(u) => Some(u?),
            None => None,
        };
        if !self.within_limits(&name, &when, unless.as_ref(), r.span) {
            return None;
        }
        Some(ir::Rule {
            name,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            span: r.span,
            effect: effect?,
            when,
            unless,
        })
    }

    /// Whether a rule's (or an assertion's) conditions stay within the
    /// evaluation depth and cost limits; reports the one exceeded.
    fn within_limits(
        &mut self,
        name: &str,
        when: &ir::Expr,
        unless: Option<&ir::Expr>,
        span: Span,
    ) -> bool {
        let size = self
            .size(when)
            .saturating_add(unless.map_or(0, |u| self.size(u)));
        let depth = self.depth(when).max(unless.map_or(0, |u| self.depth(u)));
        if depth > MAX_EVAL_DEPTH {
            self.err(CheckError::TooDeep {
                name: name.to_string(),
                depth,
                limit: MAX_EVAL_DEPTH,
                span: span.into(),
            });
            return false;
        }
        if size > MAX_RULE_COST {
            self.err(CheckError::TooLarge {
                name: name.to_string(),
                size,
                limit: MAX_RULE_COST,
                span: span.into(),
            });
            return false;
        }
        true
    }

    /// An assertion: its condition is checked like a rule's `when` (with
    /// the same size and depth limits, since `verify` evaluates it too).
    fn assertion(&mut self, a: &'a ast::Assert) -> Option<ir::Assertion> {
        let line = self.source.lines().line(a.span.start);
        let effect = self.effect(&a.effect);
        let when = self.condition(&a.when)?;
        let name = a.name.node.clone();
        if !self.within_limits(&name, &when, None, a.span) {
            return None;
        }
        Some(ir::Assertion {
            name,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            span: a.span,
            mode: a.mode,
            effect: effect?,
            when,
        })
    }

    fn condition(&mut self, e: &'a ast::Expr) -> Option<ir::Expr> {
        let checked = self.expr(e)?;
        self.suggest_declared_type(&checked, &Type::Bool);
        match checked.ty {
            Type::Bool | Type::Dynamic => Some(checked),
            ref other => {
                let ty = self.schema.display(other).to_string();
                self.err(CheckError::ConditionNotBool {
                    ty,
                    span: e.span.into(),
                });
                None
            }
        }
    }

    fn effect(&mut self, e: &ast::Spanned<ast::Effect>) -> Option<ir::Effect> {
        Some(match &e.node {
            ast::Effect::Skip => ir::Effect::Skip,
            ast::Effect::Exempt => ir::Effect::Exempt,
            ast::Effect::Deny { reason } => ir::Effect::Deny {
                reason: reason.as_ref().map(|r| Arc::from(r.node.as_str())),
            },
            ast::Effect::Require {
                using,
                remember_browser,
                then,
            } => match using {
                None => ir::Effect::Require(Challenge::Provider {
                    provider: Arc::from("any"),
                    remember_browser: remember_browser.is_some(),
                }),
                Some(ast::Using::Provider(p)) => {
                    let allowed = self.schema.enum_values(self.schema.providers);
                    if !allowed.iter().any(|a| *a == p.node) {
                        let factors = self.schema.enum_values(self.schema.factors);
                        let help = if p.node == "none" {
                            Some("to turn MFA off for a login, write `skip mfa`".into())
                        } else if let Some(fs) = factors_for_provider(&p.node, factors) {
                            Some(format!(
                                "`{}` is not a provider; factors are chosen with `using factors`: write `using factors [{}]`",
                                p.node,
                                fs.iter()
                                    .map(|f| format!("\"{f}\""))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        } else {
                            help_for_value(&p.node, allowed)
                        };
                        self.err(CheckError::UnknownProvider {
                            provider: p.node.clone(),
                            span: p.span.into(),
                            help,
                        });
                        return None;
                    }
                    ir::Effect::Require(Challenge::Provider {
                        provider: Arc::from(p.node.as_str()),
                        remember_browser: remember_browser.is_some(),
                    })
                }
                Some(ast::Using::Factors(fs)) => {
                    let mut ok = true;
                    if let Some(rb) = remember_browser {
                        self.err(CheckError::RememberBrowserWithFactors { span: (*rb).into() });
                        ok = false;
                    }
                    let steps = self.steps(ast::StepKind::Challenge, fs, then);
                    if !ok {
                        return None;
                    }
                    ir::Effect::Require(Challenge::from_steps(steps?))
                }
            },
            ast::Effect::Enroll { factors, then } => {
                let steps = self.steps(ast::StepKind::Enroll, factors, then)?;
                ir::Effect::Require(Challenge::from_steps(steps))
            }
        })
    }

    /// The checked steps of a factor sequence: the first, then the rest.
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "let indexes come from `let_index`, built in step with `let_defs`, `let_state` and the reference lists, so each is in range; counts are bounded by the policy size"
    )]
    fn steps(
        &mut self,
        first: ast::StepKind,
        factors: &ast::Spanned<ast::Factors>,
        then: &[ast::ThenStep],
    ) -> Option<Vec<ir::FactorStep>> {
        let mut out = Vec::new();
        let mut ok = true;
        let all =
            std::iter::once((first, factors)).chain(then.iter().map(|t| (t.kind, &t.factors)));
        for (kind, fs) in all {
            match self.factor_list(kind, fs) {
                Some(factors) => out.push(ir::FactorStep { kind, factors }),
                None => ok = false,
            }
        }
        if let Some(fifth) = then.get(ir::MAX_STEPS - 1) {
            self.err(CheckError::TooManySteps {
                count: then.len() + 1,
                span: fifth.span.into(),
            });
            ok = false;
        }
        ok.then_some(out)
    }

    /// A checked factor list: a literal, or a `let` holding one (whose
    /// elements are reported where the `let` wrote them).
    #[expect(
        clippy::indexing_slicing,
        reason = "let indexes come from `let_index`, built in step with `let_defs`, `let_state` and the reference lists, so each is in range; counts are bounded by the policy size"
    )]
    fn factor_list(
        &mut self,
        kind: ast::StepKind,
        fs: &ast::Spanned<ast::Factors>,
    ) -> Option<Vec<Arc<str>>> {
        let list: Vec<ast::Spanned<String>> = match &fs.node {
            ast::Factors::List(items) => items.clone(),
            ast::Factors::Let(name) => {
                let Some(&i) = self.let_index.get(name.as_str()) else {
                    let help = did_you_mean(name, self.let_index.keys().map(|k| k.as_ref()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| {
                            Some(format!(
                                "no `let {name}` is defined: write the factor list here (`using factors [...]`), or define `let {name}` as a list of factor strings"
                            ))
                        });
                    self.err(CheckError::UnknownName {
                        name: name.clone(),
                        span: fs.span.into(),
                        help,
                    });
                    return None;
                };
                if let Some(u) = self.let_used.get_mut(i) {
                    *u = true;
                }
                let def = self.let_defs[i];
                let items = match &def.value.node {
                    ast::ExprKind::List(items) => items
                        .iter()
                        .map(|e| match &e.node {
                            ast::ExprKind::Lit(ast::Lit::Str(s)) => {
                                Some(ast::Spanned::new(s.clone(), e.span))
                            }
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>(),
                    _ => None,
                };
                let Some(items) = items else {
                    let help = match &def.value.node {
                        ast::ExprKind::Lit(ast::Lit::Str(one)) => format!(
                            "write it as a list of one factor: `let {name} = [{one:?}]`"
                        ),
                        _ => format!(
                            "`let {name}` must be a literal list of factor strings, such as `let {name} = [\"otp\", \"webauthn-roaming\"]`"
                        ),
                    };
                    self.err(CheckError::FactorsNotAList {
                        name: name.clone(),
                        span: fs.span.into(),
                        help: Some(help),
                    });
                    return None;
                };
                items
            }
        };
        let mut ok = true;
        if list.is_empty() {
            self.err(CheckError::EmptyFactors {
                span: fs.span.into(),
            });
            ok = false;
        }
        let allowed = self.schema.enum_values(self.schema.factors);
        for f in &list {
            if !allowed.iter().any(|a| *a == f.node) {
                let help = help_for_value(&f.node, allowed);
                self.err(CheckError::UnknownFactor {
                    factor: f.node.clone(),
                    span: f.span.into(),
                    help,
                });
                ok = false;
            } else if kind == ast::StepKind::Enroll && f.node == "email" {
                self.err(CheckError::CannotEnrollEmail {
                    span: f.span.into(),
                });
                ok = false;
            }
        }
        ok.then(|| list.iter().map(|f| Arc::from(f.node.as_str())).collect())
    }

    #[expect(
        clippy::cast_possible_truncation,
        clippy::indexing_slicing,
        reason = "let indexes come from `let_index`, built in step with `let_defs`, `let_state` and the reference lists, so each is in range; counts are bounded by the policy size"
    )]
    fn check_let(&mut self, i: usize) -> Option<(Type, LetValue, u64)> {
        match &self.let_state[i] {
            LetState::Done { ty, value, size } => return Some((ty.clone(), value.clone(), *size)),
            LetState::Failed | LetState::InProgress => return None,
            LetState::Unchecked => {}
        }
        self.let_state[i] = LetState::InProgress;
        self.let_stack.push(i);
        // A `let` sees no quantifier variables.
        let saved = std::mem::take(&mut self.locals);
        let def = self.let_defs[i];
        let checked = self.expr(&def.value);
        self.locals = saved;
        self.let_stack.pop();
        let Some(checked) = checked else {
            self.let_state[i] = LetState::Failed;
            return None;
        };
        let size = self.size(&checked);
        if size > MAX_RULE_COST {
            self.err(CheckError::TooLarge {
                name: def.name.node.to_string(),
                size,
                limit: MAX_RULE_COST,
                span: def.span.into(),
            });
            self.let_state[i] = LetState::Failed;
            return None;
        }
        let depth = self.depth(&checked);
        if depth > MAX_EVAL_DEPTH {
            self.err(CheckError::TooDeep {
                name: def.name.node.to_string(),
                depth,
                limit: MAX_EVAL_DEPTH,
                span: def.span.into(),
            });
            self.let_state[i] = LetState::Failed;
            return None;
        }
        let ty = checked.ty.clone();
        let value = match checked.kind {
            ir::ExprKind::Const(c) => LetValue::Const(c),
            _ => {
                let idx = self.ir_lets.len() as u32;
                self.let_sizes.push(size);
                self.let_depths.push(depth);
                self.ir_lets.push(ir::LetDef {
                    name: def.name.node.clone(),
                    value: checked,
                });
                LetValue::Index(idx)
            }
        };
        self.let_state[i] = LetState::Done {
            ty: ty.clone(),
            value: value.clone(),
            size,
        };
        Some((ty, value, size))
    }

    /// How deep the interpreter recurses to evaluate an expression: its
    /// tree depth, where a `let` counts with the depth of its value (each
    /// `let` is evaluated once per event, but in place, on first use).
    fn depth(&self, e: &ir::Expr) -> usize {
        let own = match &e.kind {
            ir::ExprKind::Let(i) => self.let_depths.get(*i as usize).copied().unwrap_or(1),
            _ => 0,
        };
        let below = e
            .children()
            .into_iter()
            .map(|x| self.depth(x))
            .max()
            .unwrap_or(0);
        own.max(below).saturating_add(1)
    }

    /// The order to check `let`s in: each after the `let`s it refers to.
    /// Iterative, so a long chain cannot overflow the stack; a loop is
    /// reported here, at the reference that closes it, and its `let`s fail.
    #[expect(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "let indexes come from `let_index`, built in step with `let_defs`, `let_state` and the reference lists, so each is in range; counts are bounded by the policy size"
    )]
    fn let_order(&mut self) -> Vec<usize> {
        let n = self.let_defs.len();
        let refs: Vec<Vec<(usize, Span)>> = self
            .let_defs
            .iter()
            .map(|d| {
                let mut out = Vec::new();
                self.let_refs(&d.value, &mut Vec::new(), &mut out);
                out
            })
            .collect();
        for (j, _) in refs.iter().flatten() {
            if let Some(u) = self.let_used.get_mut(*j) {
                *u = true;
            }
        }
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark = vec![Mark::New; n];
        let mut order = Vec::with_capacity(n);
        for start in 0..n {
            if mark[start] != Mark::New {
                continue;
            }
            mark[start] = Mark::Open;
            // (let, how many of its references are followed)
            let mut stack = vec![(start, 0usize)];
            while let Some((i, next)) = stack.last_mut() {
                let i = *i;
                let Some(&(j, span)) = refs[i].get(*next) else {
                    mark[i] = Mark::Done;
                    order.push(i);
                    stack.pop();
                    continue;
                };
                *next += 1;
                match mark[j] {
                    Mark::New => {
                        mark[j] = Mark::Open;
                        stack.push((j, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|(k, _)| *k == j).unwrap_or(0);
                        let cycle: Vec<usize> = stack[from..].iter().map(|(k, _)| *k).collect();
                        self.report_cycle(&cycle, j, span);
                        for k in cycle {
                            self.let_state[k] = LetState::Failed;
                        }
                    }
                    Mark::Done => {}
                }
            }
        }
        order
    }

    #[expect(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "let indexes come from `let_index`, built in step with `let_defs`, `let_state` and the reference lists, so each is in range; counts are bounded by the policy size"
    )]
    fn report_cycle(&mut self, cycle: &[usize], back: usize, span: Span) {
        let names: Vec<&str> = cycle
            .iter()
            .chain(std::iter::once(&back))
            .map(|k| &*self.let_defs[*k].name.node)
            .collect();
        let chain = if names.len() > 9 {
            format!(
                "{} -> ... -> {}",
                names[..4].join(" -> "),
                names[names.len() - 4..].join(" -> ")
            )
        } else {
            names.join(" -> ")
        };
        let name = self.let_defs[back].name.node.to_string();
        self.err(CheckError::LetCycle {
            name,
            span: span.into(),
            help: Some(format!("the definitions form a loop: {chain}")),
        });
    }

    /// The `let`s an expression refers to, in source order, with where;
    /// quantifier variables shadow `let`s in their body, as in the checker.
    fn let_refs(&self, e: &'a ast::Expr, bound: &mut Vec<&'a str>, out: &mut Vec<(usize, Span)>) {
        use ast::ExprKind as A;
        match &e.node {
            A::Lit(_) | A::Now => {}
            A::Name(n) => {
                if !bound.contains(&&**n) {
                    if let Some(&j) = self.let_index.get(n) {
                        out.push((j, e.span));
                    }
                }
            }
            A::Field(b, _) | A::Index(b, _) | A::Not(b) => self.let_refs(b, bound, out),
            A::List(v) | A::And(v) | A::Or(v) | A::Call(_, v) => {
                for x in v {
                    self.let_refs(x, bound, out);
                }
            }
            A::Binary(_, a, b) => {
                self.let_refs(a, bound, out);
                self.let_refs(b, bound, out);
            }
            A::Quant(_, var, list, body) => {
                self.let_refs(list, bound, out);
                bound.push(&var.node);
                self.let_refs(body, bound, out);
                bound.pop();
            }
        }
    }

    /// A static bound on the evaluation steps of an expression: one per
    /// node, times the length of the list for a quantifier's body and for
    /// membership in a list. A list from the event counts as
    /// [`ASSUMED_EVENT_LIST_LEN`] elements. A `let` counts one step: it is
    /// evaluated once per event, and its own cost is bounded where it is
    /// defined.
    fn size(&self, e: &ir::Expr) -> u64 {
        use ir::ExprKind as K;
        let len = |l: &ir::Expr| match &l.kind {
            K::Const(ir::Const::List(items)) => items.len() as u64,
            _ => ASSUMED_EVENT_LIST_LEN,
        };
        match &e.kind {
            K::Quant { list, body, .. } => self
                .size(list)
                .saturating_add(len(list).saturating_mul(self.size(body).saturating_add(1)))
                .saturating_add(1),
            K::In { needle, list, .. } => self
                .size(needle)
                .saturating_add(self.size(list))
                .saturating_add(len(list))
                .saturating_add(1),
            _ => e
                .children()
                .into_iter()
                .fold(1, |s, x| s.saturating_add(self.size(x))),
        }
    }

    #[expect(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        reason = "let indexes come from `let_index`, built in step with `let_defs`, `let_state` and the reference lists, so each is in range; counts are bounded by the policy size"
    )]
    fn declare(&mut self, d: &ast::Declare) {
        let Some(ty) = self.type_expr(&d.ty) else {
            return;
        };
        let names: Vec<&str> = d.path.iter().map(|i| i.node.as_ref()).collect();
        let text = names.join(".");
        let Some(root) = self.schema.root else { return };
        let mut cur = Type::Record(root);
        for (k, seg) in d.path.iter().enumerate() {
            let so_far = names[..k].join(".");
            match &cur {
                Type::Record(id) => {
                    let rec = self.schema.record(*id);
                    match rec.field(&seg.node) {
                        Some(f) if f.hidden => {
                            self.err(CheckError::HiddenField {
                                path: text.clone(),
                                span: seg.span.into(),
                            });
                            return;
                        }
                        Some(f) => cur = f.ty.clone(),
                        None if rec.open
                            && k > 0
                            && did_you_mean(
                                &seg.node,
                                rec.fields.iter().map(|f| f.name.as_ref()),
                            )
                            .is_none() =>
                        {
                            break
                        }
                        None => {
                            let help = self.field_help(*id, &seg.node, &so_far, true);
                            self.err(CheckError::UnknownField {
                                field: seg.node.to_string(),
                                parent: if so_far.is_empty() {
                                    "event".into()
                                } else {
                                    so_far
                                },
                                span: seg.span.into(),
                                help,
                            });
                            return;
                        }
                    }
                }
                Type::Map => break,
                other => {
                    let found = self.schema.display(other).to_string();
                    self.err(CheckError::InvalidDeclare {
                        message: format!("`{so_far}` is `{found}`, not a metadata map"),
                        span: seg.span.into(),
                        label: "cannot declare a key here".into(),
                        help: Some("`declare` gives types to keys of free-form maps such as `user.app_metadata`".into()),
                    });
                    return;
                }
            }
            if k + 1 == d.path.len() {
                let found = self.schema.display(&cur).to_string();
                self.err(CheckError::InvalidDeclare {
                    message: format!("`{text}` is already typed by the schema as `{found}`"),
                    span: d.span.into(),
                    label: "documented field".into(),
                    help: Some("only keys of metadata maps and extra attributes of open records can be declared".into()),
                });
                return;
            }
        }
        if self.declares.contains_key(&text) {
            self.err(CheckError::InvalidDeclare {
                message: format!("`{text}` is declared more than once"),
                span: d.span.into(),
                label: "declared again".into(),
                help: Some("keep one `declare` per key".into()),
            });
            return;
        }
        if let Some(map) = self.string_map_of(&text) {
            if !matches!(ty, Type::String | Type::Dynamic) {
                let written = self.source.slice(d.ty.span).to_string();
                self.err(CheckError::MetadataNotString {
                    map: map.to_string(),
                    span: d.ty.span.into(),
                    label: format!("never a `{written}`"),
                    help: Some(format!(
                        "declare it as text and compare with strings: `declare {text}: string`, then `{text} == \"true\"`"
                    )),
                });
            }
        }
        self.declares.insert(
            text,
            Declared {
                ty,
                used: std::cell::Cell::new(false),
            },
        );
    }

    fn type_expr(&mut self, t: &ast::Spanned<ast::TypeExpr>) -> Option<Type> {
        match &t.node {
            ast::TypeExpr::Optional(inner) => self.type_expr(inner),
            ast::TypeExpr::List(inner) => Some(Type::List(Box::new(self.type_expr(inner)?))),
            ast::TypeExpr::Named(n) => Some(match crate::schema::scalar_type(n) {
                Some(t) => t,
                None => {
                    let other = n.as_ref();
                    let alias = match other {
                        "integer" | "number" | "long" => Some("int"),
                        "boolean" => Some("bool"),
                        "double" | "decimal" => Some("float"),
                        "str" | "text" => Some("string"),
                        "datetime" | "date" | "time" => Some("timestamp"),
                        "any" | "json" | "object" => Some("dynamic"),
                        "address" | "ipaddr" => Some("ip"),
                        "array" => Some("list<T>"),
                        _ => None,
                    };
                    let help = match alias
                        .or_else(|| did_you_mean(other, crate::schema::scalar_type_names()))
                    {
                        Some(s) => Some(format!("did you mean `{s}`?")),
                        None => Some(format!(
                            "the types are {}, `list<T>` and `T?`",
                            crate::schema::scalar_type_names()
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    };
                    self.err(CheckError::UnknownType {
                        name: other.to_string(),
                        span: t.span.into(),
                        help,
                    });
                    return None;
                }
            }),
        }
    }

    /// A documented field of the record that `field` is probably meant to
    /// be: a near spelling, or one that starts with it (`country` ->
    /// `countryCode`), the shortest such.
    fn near_field(&self, id: RecordId, field: &str) -> Option<&'a str> {
        let rec = self.schema.record(id);
        let names = || {
            rec.fields
                .iter()
                .filter(|f| !f.hidden)
                .map(|f| f.name.as_ref())
        };
        if let Some(s) = did_you_mean(field, names()) {
            return Some(s);
        }
        let norm = |s: &str| -> String {
            s.chars()
                .filter(|c| *c != '_' && *c != '-')
                .flat_map(char::to_lowercase)
                .collect()
        };
        let f = norm(field);
        if f.len() < 4 {
            return None;
        }
        names()
            .filter(|n| norm(n).starts_with(&f))
            .min_by_key(|n| n.len())
    }

    /// Help for an unknown field: did-you-mean among the record's fields,
    /// or how to declare an extra attribute of an open record.
    fn field_help(
        &self,
        id: RecordId,
        field: &str,
        parent: &str,
        declarable: bool,
    ) -> Option<String> {
        let rec = self.schema.record(id);
        let names = rec
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_ref());
        if let Some(s) = did_you_mean(field, names).or_else(|| self.near_field(id, field)) {
            return Some(format!("did you mean `{s}`?"));
        }
        if rec.open && !parent.is_empty() {
            return Some(if declarable {
                format!(
                    "if your identity provider adds `{field}`, declare it: `declare {parent}.{field}: TYPE` (string, list<string>, ...)"
                )
            } else {
                format!("`{field}` is not documented for `{parent}`, and extra attributes of list elements cannot be declared")
            });
        }
        let mut all: Vec<&str> = rec
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_ref())
            .collect();
        if all.len() > 12 {
            all.truncate(12);
            all.push("...");
        }
        Some(format!(
            "`{}` has: {}",
            if parent.is_empty() { "event" } else { parent },
            all.join(", ")
        ))
    }
}

/// Did-you-mean for a closed set, or the whole set when nothing is close.
fn help_for_value(value: &str, allowed: &[Text]) -> Option<String> {
    match did_you_mean(value, allowed.iter().map(|a| a.as_ref())) {
        Some(s) => Some(format!("did you mean `\"{s}\"`?")),
        None if allowed.is_empty() => None,
        None => Some(format!("expected one of {}", one_of(allowed))),
    }
}

/// The factors a provider-like word names (`"webauthn"` -> both WebAuthn
/// factors, `"sms"` -> `phone`, `"otp"` -> `otp`).
fn factors_for_provider<'f>(word: &str, factors: &'f [Text]) -> Option<Vec<&'f str>> {
    let w = word.to_ascii_lowercase();
    let picked: Vec<&str> = match w.as_str() {
        "webauthn" | "fido" | "fido2" | "passkey" | "passkeys" | "security-key" => factors
            .iter()
            .map(|f| f.as_ref())
            .filter(|f| f.starts_with("webauthn"))
            .collect(),
        "sms" | "voice" => factors
            .iter()
            .map(|f| f.as_ref())
            .filter(|f| *f == "phone")
            .collect(),
        "totp" => factors
            .iter()
            .map(|f| f.as_ref())
            .filter(|f| *f == "otp")
            .collect(),
        "push" => factors
            .iter()
            .map(|f| f.as_ref())
            .filter(|f| *f == "push-notification")
            .collect(),
        _ => factors
            .iter()
            .map(|f| f.as_ref())
            .filter(|f| *f == w)
            .collect(),
    };
    (!picked.is_empty()).then_some(picked)
}

/// Did-you-mean for a value of a schema enum: an alias or a case slip
/// first (`"UK"` -> `"GB"`, `"SYR"` -> `"SY"`, `"ir"` -> `"IR"`); a near
/// spelling only for words of four letters or more (one letter off a
/// two-letter code is another country, not a typo); the whole set when it
/// is small.
pub(crate) fn help_for_enum(def: &crate::schema::EnumDef, value: &str) -> Option<String> {
    if let Some(to) = def.alias_of(value) {
        return Some(format!("did you mean `\"{to}\"`?"));
    }
    if value.chars().count() >= 4 {
        if let Some(s) = did_you_mean(value, def.values.iter().map(|v| v.as_ref())) {
            return Some(format!("did you mean `\"{s}\"`?"));
        }
    }
    if let Some(h) = values::help_for_slip(def, value) {
        return Some(h);
    }
    if def.values.len() <= 20 {
        return help_for_value(value, &def.values);
    }
    let about = def.about.as_deref().unwrap_or("values");
    let examples: Vec<&str> = def.values.iter().take(3).map(|v| v.as_ref()).collect();
    Some(format!(
        "expected one of the {} {about}, such as {}",
        def.values.len(),
        one_of(&examples)
    ))
}

/// Resolves one path as written (`request.geoip.countryCode`,
/// `user.app_metadata.vip`) against the schema and the `declare`s of a
/// policy, as the checker would inside a rule. Used to type-check paths
/// outside policies (test-case overrides). Warnings (an undeclared metadata
/// key) do not fail; they are returned beside the type.
pub fn path_type(
    policy: &ast::Policy,
    schema: &Schema,
    path: &ast::Expr,
) -> Result<(Type, Vec<CheckError>), Vec<CheckError>> {
    let source = SourceFile::new("", "");
    let mut c = Checker::new(&source, schema);
    for item in &policy.items {
        if let ast::Item::Declare(d) = item {
            c.declare(d);
        }
    }
    // Errors in the policy's own declares are the policy's business.
    c.errors.clear();
    match c.expr(path) {
        Some(x)
            if !c.errors.iter().any(|e| !e.is_warning())
                && matches!(x.kind, ir::ExprKind::Path(_)) =>
        {
            Ok((x.ty, c.errors))
        }
        Some(x) if c.errors.is_empty() => Err(vec![CheckError::TypeMismatch {
            message: "expected a path into the event".into(),
            span: x.span.into(),
            label: "not a path".into(),
            help: Some("write a field path such as `request.ip` or `user.app_metadata.vip`".into()),
        }]),
        _ => Err(c.errors),
    }
}
