//! `mfapol verify` (SPEC §12): proves or refutes a policy's assertions over
//! every event the schema allows, and finds rules that can never apply or
//! never decide.
//!
//! # The procedure
//!
//! 1. Every condition is split into its `and`/`or`/`not` structure over
//!    *atoms*: the comparisons, membership tests, quantifiers and calls
//!    under it. Equal atoms (same text after checking) are one atom.
//! 2. Every event field an atom reads is a *variable* with a finite list of
//!    candidate values ([`scan`]): the constants it is compared with and
//!    their neighbours, one address per region of the ranges, one string
//!    per combination of prefix, contained text and suffix, times around
//!    each `now ± d` the policy compares with, and "absent". A list field
//!    is a set of candidate elements, each included or not.
//! 3. Each atom's outcome (true, false, or a raised run-time error) on each
//!    combination of its variables' candidates is computed by the
//!    interpreter itself ([`crate::eval::condition`]), so the encoding has
//!    exactly the interpreter's semantics for null, absent values and
//!    errors. The connectives, the fail-closed rule semantics, "strongest
//!    effect wins" and the first deciding rule are encoded as clauses, and
//!    a SAT solver (varisat) searches for an event that violates an
//!    assertion.
//!
//! # Soundness
//!
//! A variable's candidates are *complete* when every value the field can
//! hold behaves like one of them in every comparison the policy makes; an
//! atom over complete variables is fully constrained. An atom over an
//! incomplete variable (a regex, `lower`, two fields compared, ...) is left
//! unconstrained, which can only add behaviours: so "no violating
//! assignment" still proves the assertion. A satisfying assignment is
//! turned into a concrete event and run through the interpreter; only a
//! confirmed violation is reported as `refuted`. When an unconstrained atom
//! made the assignment spurious, the search learns the atom's real outcome
//! on those candidates and goes on, and a final "no assignment" is then
//! `unknown` (the candidates may have missed a value), never `proved`.
//!
//! Assumptions, stated in the output's docs: the fields Auth0 types (all
//! but metadata and `dynamic` values) hold values of their type or are
//! absent; metadata may hold any JSON. `now` is fixed at
//! [`scan::NOW_MS`] when no absolute time is compared (every comparison
//! is then relative to `now`, so one `now` stands for all); otherwise the
//! atoms that read `now` are left unconstrained. Events are within the
//! interpreter's step budget.

mod cnf;
mod finding;
mod scan;

pub use finding::{findings, Finding};

use crate::eval::{self, Decision, DecisionKind, Truth};
use crate::ir::{AssertMode, Expr, ExprKind as K, Policy, Step};
use cnf::{Cnf, Tri};
use scan::{Scope, Vars, NOW_MS};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write as _;
use varisat::Lit;

pub use scan::NOW_MS as FIXED_NOW_MS;

/// `now` as RFC 3339 text.
pub fn time_text(ms: i64) -> String {
    scan::time_text(ms)
}

/// What `verify` found for one policy.
#[derive(Debug)]
pub struct Report {
    /// One result per assertion, in source order.
    pub assertions: Vec<Verdict>,
    /// Rules that can never apply or never decide.
    pub warnings: Vec<RuleWarning>,
}

/// The result for one assertion.
#[derive(Debug)]
pub enum Verdict {
    /// Holds for every event.
    Proved,
    /// A confirmed counterexample.
    Refuted(Box<Counterexample>),
    /// Could not be decided, with the reason.
    Unknown(String),
}

impl Verdict {
    /// `proved`, `refuted` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Proved => "proved",
            Verdict::Refuted(_) => "refuted",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

/// An event (and `now`) on which the interpreter's decision violates an
/// assertion.
#[derive(Debug)]
pub struct Counterexample {
    /// The event, with only the fields that matter.
    pub event: Json,
    /// The evaluation time.
    pub now_ms: i64,
    /// What the interpreter decided on it.
    pub decision: Decision,
}

/// A rule that cannot matter.
#[derive(Debug, PartialEq, Eq)]
pub enum RuleWarning {
    /// No event makes the rule apply.
    NeverApplies {
        /// Index into `policy.rules`.
        rule: usize,
    },
    /// Whenever the rule applies, a stronger or earlier rule decides.
    NeverDecides {
        /// Index into `policy.rules`.
        rule: usize,
        /// Rules that apply whenever this one does and outrank it (at most
        /// [`MAX_WINNERS`], the earliest); when no single rule does
        /// (`together`), some of the rules that outrank it on one login, as
        /// examples.
        winners: Vec<usize>,
        /// Whether no single rule always wins: several do, together.
        together: bool,
    },
}

/// How many refinement rounds one assertion may take.
const MAX_ROUNDS: usize = 300;
/// The most candidate combinations one atom is evaluated on.
const MAX_COMBOS: usize = 4096;
/// The most candidate elements of one list.
const MAX_ELEMENTS: usize = 256;
/// At most this many winning rules are named for a shadowed rule.
pub const MAX_WINNERS: usize = 3;
/// How deep `and`/`or`/`not` and `let`s may nest for verification.
const MAX_DEPTH: usize = 512;

/// Verifies every assertion of a checked policy and looks for rules that
/// cannot matter.
pub fn verify(policy: &Policy) -> Report {
    match Engine::build(policy) {
        Ok(mut engine) => {
            let warnings = engine.rule_warnings();
            let assertions = (0..policy.asserts.len())
                .map(|i| engine.assertion(i))
                .collect();
            Report {
                assertions,
                warnings,
            }
        }
        Err(why) => Report {
            assertions: policy
                .asserts
                .iter()
                .map(|_| Verdict::Unknown(why.clone()))
                .collect(),
            warnings: Vec::new(),
        },
    }
}

/// A condition's structure over atoms.
enum Node {
    Atom(usize),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Const(bool),
    Let(u32),
}

/// Why an atom is not fully constrained, and whether what is learnt about
/// it on candidates holds for every value (it does when only the number of
/// combinations kept it unconstrained).
#[derive(Clone)]
struct Free {
    why: String,
    exact_lemmas: bool,
}

struct Atom<'p> {
    expr: &'p Expr,
    scan: scan::Scan,
    tri: Tri,
    free: Option<Free>,
}

enum Enc {
    /// Not encoded (a list element's field).
    None,
    Scalar {
        cands: Vec<Option<Json>>,
        lits: Vec<Lit>,
    },
    List {
        elems: Vec<Json>,
        present: Lit,
        inc: Vec<Lit>,
    },
}

/// A choice of candidate for every variable.
#[derive(Clone)]
enum Choice {
    None,
    Scalar(usize),
    List(bool, Vec<usize>),
}

struct Engine<'p> {
    policy: &'p Policy,
    vars: Vars,
    enc: Vec<Enc>,
    atoms: Vec<Atom<'p>>,
    atom_index: HashMap<String, usize>,
    let_nodes: HashMap<u32, Node>,
    let_tris: HashMap<u32, Tri>,
    cnf: Cnf,
    apply: Vec<Lit>,
    deciding: Vec<Lit>,
    kinds: Vec<(DecisionKind, Lit)>,
    asserts: Vec<(Tri, Lit)>,
    time_fixed: bool,
}

impl<'p> Engine<'p> {
    fn build(policy: &'p Policy) -> Result<Self, String> {
        let mut e = Engine {
            policy,
            vars: Vars::default(),
            enc: Vec::new(),
            atoms: Vec::new(),
            atom_index: HashMap::new(),
            let_nodes: HashMap::new(),
            let_tris: HashMap::new(),
            cnf: Cnf::default(),
            apply: Vec::new(),
            deciding: Vec::new(),
            kinds: Vec::new(),
            asserts: Vec::new(),
            time_fixed: true,
        };
        let mut rule_nodes = Vec::new();
        for r in &policy.rules {
            let when = e.node(&r.when, 0)?;
            let unless = match &r.unless {
                Some(u) => Some(e.node(u, 0)?),
                None => None,
            };
            rule_nodes.push((when, unless));
        }
        let mut assert_nodes = Vec::new();
        for a in &policy.asserts {
            assert_nodes.push(e.node(&a.when, 0)?);
        }
        e.vars.finish();
        e.time_fixed = !e.vars.absolute_time;
        e.encode_vars();
        e.encode_atoms();
        // Rules.
        for (i, (when, unless)) in rule_nodes.iter().enumerate() {
            let w = e.tri(when, 0)?;
            let u = match unless {
                Some(u) => Some(e.tri(u, 0)?),
                None => None,
            };
            let strict = policy
                .rules
                .get(i)
                .is_some_and(|r| r.effect.lowers_requirements());
            let apply = if strict {
                let no_u = match u {
                    Some(u) => e.cnf.and(&[!u.t, !u.e]),
                    None => e.cnf.tru(),
                };
                e.cnf.and(&[w.t, no_u])
            } else {
                let may = e.cnf.or(&[w.t, w.e]);
                let no_u = match u {
                    Some(u) => !u.t,
                    None => e.cnf.tru(),
                };
                e.cnf.and(&[may, no_u])
            };
            e.apply.push(apply);
        }
        e.encode_decision();
        for (i, node) in assert_nodes.iter().enumerate() {
            let cond = e.tri(node, 0)?;
            let viol = match policy.asserts.get(i) {
                Some(a) => {
                    let want = DecisionKind::of(&a.effect);
                    let bad: Vec<Lit> = e
                        .kinds
                        .iter()
                        .filter(|(k, _)| violates(a.mode, want, *k))
                        .map(|(_, l)| *l)
                        .collect();
                    let any_bad = e.cnf.or(&bad);
                    e.cnf.and(&[cond.t, any_bad])
                }
                None => e.cnf.fal(),
            };
            e.asserts.push((cond, viol));
        }
        Ok(e)
    }

    // ---- structure ----

    fn node(&mut self, x: &'p Expr, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err("the policy nests too deeply to verify".into());
        }
        let d = depth.saturating_add(1);
        Ok(match &x.kind {
            K::Not(a) => Node::Not(Box::new(self.node(a, d)?)),
            K::And(v) => Node::And(
                v.iter()
                    .map(|a| self.node(a, d))
                    .collect::<Result<_, _>>()?,
            ),
            K::Or(v) => Node::Or(
                v.iter()
                    .map(|a| self.node(a, d))
                    .collect::<Result<_, _>>()?,
            ),
            K::Const(crate::ir::Const::Bool(b)) => Node::Const(*b),
            K::Const(crate::ir::Const::Null) => Node::Const(false),
            K::Let(i) if self.is_condition_let(*i) => {
                if !self.let_nodes.contains_key(i) {
                    let Some(def) = self.policy.lets.get(*i as usize) else {
                        return Err("internal error: a `let` is missing".into());
                    };
                    let n = self.node(&def.value, d)?;
                    self.let_nodes.insert(*i, n);
                }
                Node::Let(*i)
            }
            _ => Node::Atom(self.atom(x)),
        })
    }

    fn is_condition_let(&self, i: u32) -> bool {
        self.policy
            .lets
            .get(i as usize)
            .is_some_and(|l| matches!(l.value.kind, K::Not(_) | K::And(_) | K::Or(_) | K::Let(_)))
    }

    fn atom(&mut self, x: &'p Expr) -> usize {
        let mut k = String::new();
        key(x, &mut k);
        if let Some(&i) = self.atom_index.get(&k) {
            return i;
        }
        let scan = self.vars.scan_atom(self.policy, x);
        let tri = self.cnf.tri();
        let i = self.atoms.len();
        self.atoms.push(Atom {
            expr: x,
            scan,
            tri,
            free: None,
        });
        self.atom_index.insert(k, i);
        i
    }

    fn tri(&mut self, n: &Node, depth: usize) -> Result<Tri, String> {
        if depth > MAX_DEPTH {
            return Err("the policy nests too deeply to verify".into());
        }
        let d = depth.saturating_add(1);
        Ok(match n {
            Node::Atom(i) => match self.atoms.get(*i) {
                Some(a) => a.tri,
                None => return Err("internal error: an atom is missing".into()),
            },
            Node::Const(b) => self.cnf.tri_const(*b),
            Node::Not(a) => {
                let a = self.tri(a, d)?;
                self.cnf.not3(a)
            }
            Node::And(v) => {
                let ts = v
                    .iter()
                    .map(|a| self.tri(a, d))
                    .collect::<Result<Vec<_>, _>>()?;
                self.cnf.and3(&ts)
            }
            Node::Or(v) => {
                let ts = v
                    .iter()
                    .map(|a| self.tri(a, d))
                    .collect::<Result<Vec<_>, _>>()?;
                self.cnf.or3(&ts)
            }
            Node::Let(i) => {
                if let Some(t) = self.let_tris.get(i) {
                    return Ok(*t);
                }
                let node = self
                    .let_nodes
                    .remove(i)
                    .ok_or_else(|| "internal error: a `let` is missing".to_string())?;
                let t = self.tri(&node, d)?;
                self.let_nodes.insert(*i, node);
                self.let_tris.insert(*i, t);
                t
            }
        })
    }

    // ---- variables ----

    fn encode_vars(&mut self) {
        let n = self.vars.vars.len();
        // Candidates first (element fields before their lists are used).
        let mut cands: Vec<Option<Vec<Option<Json>>>> = Vec::with_capacity(n);
        for id in 0..n {
            let Some(v) = self.vars.vars.get_mut(id) else {
                continue;
            };
            if v.is_list() {
                cands.push(None);
            } else if v.scope == Scope::Event {
                let generated = scan::candidates(v, scan::MAX_GENERATED);
                cands.push(Some(self.reduce(id, generated)));
            } else {
                cands.push(Some(scan::candidates(v, scan::MAX_CANDIDATES)));
            }
        }
        for (id, c) in cands.iter().enumerate() {
            let scope = self.vars.vars.get(id).map(|v| v.scope);
            let enc = match (scope, c) {
                (Some(Scope::Event), Some(c)) => {
                    let lits: Vec<Lit> = c.iter().map(|_| self.cnf.var()).collect();
                    self.cnf.exactly_one(&lits);
                    Enc::Scalar {
                        cands: c.clone(),
                        lits,
                    }
                }
                (Some(Scope::Event), None) => {
                    let elems = self.elements(id, &cands);
                    let present = self.cnf.var();
                    let inc: Vec<Lit> = elems.iter().map(|_| self.cnf.var()).collect();
                    for &l in &inc {
                        self.cnf.add(vec![!l, present]);
                    }
                    Enc::List {
                        elems,
                        present,
                        inc,
                    }
                }
                _ => Enc::None,
            };
            self.enc.push(enc);
        }
        // A field under another can only be present when the other is an object.
        for (a, b) in self.vars.prefixes() {
            let absent_b = match self.enc.get(b) {
                Some(Enc::Scalar { lits, .. }) => lits.first().copied(),
                Some(Enc::List { present, .. }) => Some(!*present),
                _ => None,
            };
            let Some(absent_b) = absent_b else { continue };
            if let Some(Enc::Scalar { cands, lits }) = self.enc.get(a) {
                let blocked: Vec<Lit> = cands
                    .iter()
                    .zip(lits)
                    .filter(|(c, _)| !matches!(c, Some(Json::Object(_))))
                    .map(|(_, l)| *l)
                    .collect();
                for l in blocked {
                    self.cnf.add(vec![!l, absent_b]);
                }
            }
        }
    }

    /// Merges candidates of an event field that every atom reading it
    /// treats alike (same outcome in each), when each of those atoms reads
    /// only this field: one of them stands for all. Then caps the number.
    fn reduce(&mut self, id: usize, cands: Vec<Option<Json>>) -> Vec<Option<Json>> {
        let readers: Option<Vec<&'p Expr>> = self
            .atoms
            .iter()
            .filter(|a| a.scan.scalars.contains(&id) || a.scan.lists.contains(&id))
            .map(|a| {
                let alone = a.scan.scalars.len() == 1
                    && a.scan.lists.is_empty()
                    && a.scan.untracked.is_none()
                    && (!a.scan.now || self.time_fixed);
                alone.then_some(a.expr)
            })
            .collect();
        let steps = self
            .vars
            .vars
            .get(id)
            .map(|v| v.steps.clone())
            .unwrap_or_default();
        // A field with fields of its own read too: whether it is an object
        // matters beyond its own atoms, so nothing is merged.
        let parent = self.vars.vars.iter().any(|w| {
            w.scope == Scope::Event && w.steps.len() > steps.len() && w.steps.starts_with(&steps)
        });
        let mut out = cands;
        if let Some(readers) = readers.filter(|_| out.len() > 32 && !parent) {
            let mut seen = std::collections::HashSet::new();
            out.retain(|c| {
                let mut ev = Json::Object(serde_json::Map::new());
                if let Some(j) = c {
                    scan::set_path(&mut ev, &steps, j.clone());
                }
                let signature: Vec<Truth> = readers
                    .iter()
                    .map(|x| eval::condition(self.policy, x, &ev, NOW_MS))
                    .collect();
                // Absent (the first) is always kept: prefixes rely on it.
                seen.insert(format!("{signature:?}")) || c.is_none()
            });
        }
        if out.len() > scan::MAX_CANDIDATES {
            if let Some(v) = self.vars.vars.get_mut(id) {
                if v.incomplete.is_none() {
                    v.incomplete = Some(format!("`{}` has too many distinct cases", v.text));
                }
            }
            out.truncate(scan::MAX_CANDIDATES.saturating_add(1));
        }
        out
    }

    /// The candidate elements of a list variable.
    fn elements(&mut self, list: usize, cands: &[Option<Vec<Option<Json>>>]) -> Vec<Json> {
        let fields: Vec<(Vec<Step>, Vec<Option<Json>>)> = self
            .vars
            .vars
            .iter()
            .enumerate()
            .filter(|(_, v)| v.scope == Scope::Elem(list))
            .filter_map(|(i, v)| Some((v.steps.clone(), cands.get(i)?.clone()?)))
            .collect();
        let whole = fields.iter().find(|(s, _)| s.is_empty());
        let mut out: Vec<Json> = Vec::new();
        let mut incomplete = None;
        if let Some((_, c)) = whole {
            if fields.len() > 1 {
                incomplete = Some("a list element is read both whole and by field");
            }
            out.extend(c.iter().flatten().cloned());
        } else if fields.is_empty() {
            // Nothing reads the elements: any element stands for all.
            let elem_ty = match self.vars.vars.get(list).map(|v| &v.ty) {
                Some(crate::schema::Type::List(t)) => (**t).clone(),
                _ => crate::schema::Type::Dynamic,
            };
            let mut dummy = scan_dummy(elem_ty);
            out.extend(
                scan::candidates(&mut dummy, scan::MAX_CANDIDATES)
                    .into_iter()
                    .flatten()
                    .take(1),
            );
        } else {
            out.push(Json::Object(serde_json::Map::new()));
            for (steps, c) in &fields {
                let mut next = Vec::new();
                for base in &out {
                    for v in c {
                        let mut e = base.clone();
                        if let Some(v) = v {
                            scan::set_path(&mut e, steps, v.clone());
                        }
                        next.push(e);
                        if next.len() > MAX_ELEMENTS {
                            break;
                        }
                    }
                }
                if next.len() > MAX_ELEMENTS {
                    incomplete = Some("a list's elements have too many distinct cases");
                    next.truncate(MAX_ELEMENTS);
                }
                out = next;
            }
        }
        if out.len() > MAX_ELEMENTS {
            incomplete = Some("a list's elements have too many distinct cases");
            out.truncate(MAX_ELEMENTS);
        }
        if let Some(v) = self.vars.vars.get_mut(list) {
            if v.free_json && v.incomplete.is_none() {
                v.incomplete = Some(format!("`{}` is metadata, which may hold any JSON", v.text));
            }
            if let (Some(why), None) = (incomplete, &v.incomplete) {
                v.incomplete = Some(format!("`{}`: {why}", v.text));
            }
        }
        out
    }

    /// The partial event with these variables chosen.
    fn event(&self, choices: &[(usize, Choice)]) -> Json {
        let mut order: Vec<&(usize, Choice)> = choices.iter().collect();
        order.sort_by_key(|(v, _)| self.vars.vars.get(*v).map_or(0, |i| i.steps.len()));
        let mut ev = Json::Object(serde_json::Map::new());
        for (v, c) in order {
            let Some(info) = self.vars.vars.get(*v) else {
                continue;
            };
            let value = match (self.enc.get(*v), c) {
                (Some(Enc::Scalar { cands, .. }), Choice::Scalar(k)) => {
                    cands.get(*k).cloned().flatten()
                }
                (Some(Enc::List { elems, .. }), Choice::List(true, inc)) => Some(Json::Array(
                    inc.iter().filter_map(|i| elems.get(*i).cloned()).collect(),
                )),
                _ => None,
            };
            if let Some(value) = value {
                scan::set_path(&mut ev, &info.steps, value);
            }
        }
        ev
    }

    // ---- atoms ----

    fn var_incomplete(&self, v: usize) -> Option<String> {
        self.vars.vars.get(v).and_then(|i| i.incomplete.clone())
    }

    fn encode_atoms(&mut self) {
        for i in 0..self.atoms.len() {
            let free = self.encode_atom(i);
            if let Some(a) = self.atoms.get_mut(i) {
                a.free = free;
            }
        }
    }

    /// Constrains one atom's outcome by its variables; returns why it is
    /// left (partly) free.
    fn encode_atom(&mut self, i: usize) -> Option<Free> {
        let (scan, tri, expr) = {
            let a = self.atoms.get(i)?;
            (a.scan.clone(), a.tri, a.expr)
        };
        let unsound = |why: String| {
            Some(Free {
                why,
                exact_lemmas: false,
            })
        };
        if let Some(why) = &scan.untracked {
            return unsound(why.clone());
        }
        if scan.now && !self.time_fixed {
            return unsound("`now` is compared with absolute times".into());
        }
        for v in scan.scalars.iter().chain(&scan.lists) {
            if let Some(why) = self.var_incomplete(*v) {
                return unsound(why);
            }
        }
        if scan.lists.len() > 1 || scan.list_refs.values().any(|n| *n > 1) {
            return unsound("a condition reads a list more than once".into());
        }
        if !scan.lists.is_empty() && !list_shape(self.policy, expr, 0) {
            return unsound("a list is compared as a whole".into());
        }
        let scalars: Vec<usize> = scan.scalars.iter().copied().collect();
        let sizes: Vec<usize> = scalars
            .iter()
            .map(|v| match self.enc.get(*v) {
                Some(Enc::Scalar { cands, .. }) => cands.len(),
                _ => 1,
            })
            .collect();
        let total = sizes.iter().try_fold(1usize, |acc, n| acc.checked_mul(*n));
        let Some(total) = total.filter(|t| *t <= MAX_COMBOS) else {
            return Some(Free {
                why: "a condition has too many cases".into(),
                exact_lemmas: true,
            });
        };
        let list = scan.lists.iter().next().copied();
        let single = scalars.len() == 1 && list.is_none();
        let (mut trues, mut raises): (Vec<Lit>, Vec<Lit>) = (Vec::new(), Vec::new());
        let mut combo = vec![0usize; scalars.len()];
        for _ in 0..total {
            let mut choices: Vec<(usize, Choice)> = scalars
                .iter()
                .zip(&combo)
                .map(|(v, k)| (*v, Choice::Scalar(*k)))
                .collect();
            let cond: Vec<Lit> = scalars
                .iter()
                .zip(&combo)
                .filter_map(|(v, k)| match self.enc.get(*v) {
                    Some(Enc::Scalar { lits, .. }) => lits.get(*k).map(|l| !*l),
                    _ => None,
                })
                .collect();
            let ok = match list {
                None if single => {
                    // One variable: collect the candidates per outcome and
                    // encode `t <-> OR(true ones)`, `e <-> OR(raising ones)`.
                    let ev = self.event(&choices);
                    match eval::condition(self.policy, expr, &ev, NOW_MS) {
                        Truth::True => trues.extend(cond.iter().map(|l| !*l)),
                        Truth::Unknown => raises.extend(cond.iter().map(|l| !*l)),
                        Truth::False => {}
                    }
                    true
                }
                None => {
                    let ev = self.event(&choices);
                    let out = eval::condition(self.policy, expr, &ev, NOW_MS);
                    self.outcome_clauses(&cond, tri, out);
                    true
                }
                Some(l) => self.encode_list_atom(expr, tri, l, &mut choices, &cond),
            };
            if !ok {
                return unsound("a condition over a list is not a plain `any`/`all`/`in`".into());
            }
            // Next combination.
            for (slot, size) in combo.iter_mut().zip(&sizes) {
                *slot = slot.saturating_add(1);
                if *slot < *size {
                    break;
                }
                *slot = 0;
            }
        }
        if single {
            for (set, out) in [(&trues, tri.t), (&raises, tri.e)] {
                for &c in set.iter() {
                    self.cnf.add(vec![!c, out]);
                }
                let mut back = vec![!out];
                back.extend(set.iter().copied());
                self.cnf.add(back);
            }
        }
        None
    }

    fn outcome_clauses(&mut self, cond: &[Lit], tri: Tri, out: Truth) {
        let with = |l: Lit| {
            let mut c = cond.to_vec();
            c.push(l);
            c
        };
        match out {
            Truth::True => self.cnf.add(with(tri.t)),
            Truth::False => {
                self.cnf.add(with(!tri.t));
                self.cnf.add(with(!tri.e));
            }
            Truth::Unknown => self.cnf.add(with(tri.e)),
        }
    }

    /// An atom over a list: true when some included element makes it true
    /// (`any`, `in`), or when no included element makes it false (`all`,
    /// `not in`); checked on pairs of elements before it is trusted.
    fn encode_list_atom(
        &mut self,
        expr: &'p Expr,
        tri: Tri,
        l: usize,
        choices: &mut Vec<(usize, Choice)>,
        cond: &[Lit],
    ) -> bool {
        let (n, present, inc) = match self.enc.get(l) {
            Some(Enc::List {
                elems,
                present,
                inc,
            }) => (elems.len(), *present, inc.clone()),
            _ => return false,
        };
        let mut eval_with = |this: &Self, c: Choice| {
            choices.push((l, c));
            let ev = this.event(choices);
            choices.pop();
            eval::condition(this.policy, expr, &ev, NOW_MS)
        };
        let absent = eval_with(self, Choice::List(false, Vec::new()));
        let empty = eval_with(self, Choice::List(true, Vec::new()));
        let single: Vec<Truth> = (0..n)
            .map(|i| eval_with(self, Choice::List(true, vec![i])))
            .collect();
        if absent == Truth::Unknown || empty == Truth::Unknown || single.contains(&Truth::Unknown) {
            return false;
        }
        if absent != empty {
            // `exists(LIST)`: only presence matters.
            if single.iter().any(|s| *s != empty) {
                return false;
            }
            let when = |t: Truth| t == Truth::True;
            let mut c = cond.to_vec();
            c.push(present);
            c.push(if when(absent) { tri.t } else { !tri.t });
            self.cnf.add(c);
            let mut c = cond.to_vec();
            c.push(!present);
            c.push(if when(empty) { tri.t } else { !tri.t });
            self.cnf.add(c);
            let mut c = cond.to_vec();
            c.push(!tri.e);
            self.cnf.add(c);
            return true;
        }
        let any_like = empty == Truth::False;
        // Elements that flip the outcome from the empty list's.
        let flip: Vec<usize> = (0..n)
            .filter(|i| single.get(*i).is_some_and(|s| *s != empty))
            .collect();
        // Trust the shape only if pairs combine as predicted.
        for i in 0..n.min(8) {
            for j in (i.saturating_add(1))..n.min(8) {
                let got = eval_with(self, Choice::List(true, vec![i, j]));
                let flips = flip.contains(&i) || flip.contains(&j);
                let want = if flips == any_like {
                    Truth::True
                } else {
                    Truth::False
                };
                if got != want {
                    return false;
                }
            }
        }
        let flip_lits: Vec<Lit> = flip.iter().filter_map(|i| inc.get(*i).copied()).collect();
        // outcome true  <->  (any-like:  some flipping element included)
        //                    (all-like:  no flipping element included)
        let t_when_some = if any_like { tri.t } else { !tri.t };
        for &x in &flip_lits {
            let mut c = cond.to_vec();
            c.extend([!x, t_when_some]);
            self.cnf.add(c);
        }
        let mut c = cond.to_vec();
        c.push(!t_when_some);
        c.extend(flip_lits.iter().copied());
        self.cnf.add(c);
        let mut c = cond.to_vec();
        c.push(!tri.e);
        self.cnf.add(c);
        true
    }

    // ---- decisions ----

    fn encode_decision(&mut self) {
        let policy = self.policy;
        let strengths: Vec<u8> = policy.rules.iter().map(|r| r.effect.strength()).collect();
        // any_at_least[s]: some rule of strength >= s applies.
        let mut stronger_than: HashMap<u8, Lit> = HashMap::new();
        for s in crate::ir::Effect::STRENGTHS {
            let lits: Vec<Lit> = strengths
                .iter()
                .zip(&self.apply)
                .filter(|(t, _)| **t > s)
                .map(|(_, l)| *l)
                .collect();
            let l = self.cnf.or(&lits);
            stronger_than.insert(s, l);
        }
        let mut earlier: HashMap<u8, Lit> = HashMap::new();
        let mut deciding = Vec::new();
        for (i, &apply) in self.apply.clone().iter().enumerate() {
            let s = strengths.get(i).copied().unwrap_or(0);
            let fal = self.cnf.fal();
            let before = earlier.get(&s).copied().unwrap_or(fal);
            let stronger = stronger_than.get(&s).copied().unwrap_or(fal);
            deciding.push(self.cnf.and(&[apply, !stronger, !before]));
            let seen = self.cnf.or(&[before, apply]);
            earlier.insert(s, seen);
        }
        let all = self.apply.clone();
        let some = self.cnf.or(&all);
        let default = policy
            .default
            .as_ref()
            .map_or(DecisionKind::None, DecisionKind::of);
        for k in [
            DecisionKind::None,
            DecisionKind::SkipMfa,
            DecisionKind::RequireMfa,
            DecisionKind::EnrollMfa,
            DecisionKind::Deny,
        ] {
            let mut lits: Vec<Lit> = policy
                .rules
                .iter()
                .zip(&deciding)
                .filter(|(r, _)| DecisionKind::of(&r.effect) == k)
                .map(|(_, l)| *l)
                .collect();
            if default == k {
                lits.push(!some);
            }
            let l = self.cnf.or(&lits);
            self.kinds.push((k, l));
        }
        self.deciding = deciding;
    }

    // ---- queries ----

    fn rule_warnings(&mut self) -> Vec<RuleWarning> {
        let mut solver = self.cnf.solver();
        let mut out = Vec::new();
        // Solves under assumptions; the model's rule applications when satisfiable.
        let apply = self.apply.clone();
        let mut sat = |lits: &[Lit]| -> Option<Option<Vec<bool>>> {
            solver.assume(lits);
            match solver.solve() {
                Ok(true) => {
                    let model = solver.model().unwrap_or_default();
                    let truth = |l: Lit| model.get(l.var().index()).is_some_and(|m| *m == l);
                    Some(Some(apply.iter().map(|l| truth(*l)).collect()))
                }
                Ok(false) => Some(None),
                Err(_) => None,
            }
        };
        let strengths: Vec<u8> = self
            .policy
            .rules
            .iter()
            .map(|r| r.effect.strength())
            .collect();
        for (i, &apply_i) in self.apply.iter().enumerate() {
            // One solve for a rule that can decide (the common case).
            let Some(&dec) = self.deciding.get(i) else {
                continue;
            };
            if sat(&[dec]) != Some(None) {
                continue;
            }
            let Some(first) = sat(&[apply_i]) else {
                continue;
            };
            let Some(first) = first else {
                out.push(RuleWarning::NeverApplies { rule: i });
                continue;
            };
            let s = strengths.get(i).copied().unwrap_or(0);
            let outranks = |j: usize| {
                let t = strengths.get(j).copied().unwrap_or(0);
                t > s || (t == s && j < i)
            };
            // A rule that always wins over this one applies in every model
            // of it: start from the rules applying in one model, drop those
            // a model without them shows, and confirm the rest.
            let mut candidates: Vec<usize> = (0..first.len())
                .filter(|&j| outranks(j) && first.get(j).copied().unwrap_or(false))
                .collect();
            let seen = candidates.clone();
            let mut winners = Vec::new();
            // Earliest first; a few winners are enough to name.
            candidates.reverse();
            while let Some(j) = candidates.pop() {
                if winners.len() >= MAX_WINNERS {
                    break;
                }
                let Some(&aj) = self.apply.get(j) else {
                    continue;
                };
                match sat(&[apply_i, !aj]) {
                    Some(None) => winners.push(j),
                    Some(Some(model)) => {
                        candidates.retain(|k| model.get(*k).copied().unwrap_or(false));
                    }
                    None => {}
                }
            }
            winners.sort_unstable();
            let together = winners.is_empty();
            if together {
                // No single rule: name the ones seen winning, as examples.
                winners = seen;
            }
            out.push(RuleWarning::NeverDecides {
                rule: i,
                winners,
                together,
            });
        }
        out
    }

    fn assertion(&mut self, index: usize) -> Verdict {
        let (Some(a), Some(&(_, viol))) = (self.policy.asserts.get(index), self.asserts.get(index))
        else {
            return Verdict::Unknown("internal error: the assertion is missing".into());
        };
        let mut solver = self.cnf.solver();
        use varisat::ExtendFormula as _;
        solver.add_clause(&[viol]);
        let mut inexact: Option<String> = None;
        for _ in 0..MAX_ROUNDS {
            match solver.solve() {
                Ok(false) => {
                    return match inexact {
                        None => Verdict::Proved,
                        Some(why) => Verdict::Unknown(format!(
                            "no counterexample was found, but the search is not exhaustive here: {why}"
                        )),
                    };
                }
                Ok(true) => {}
                Err(e) => return Verdict::Unknown(format!("the solver failed: {e}")),
            }
            let Some(model) = solver.model() else {
                return Verdict::Unknown("the solver gave no model".into());
            };
            let truth = |l: Lit| model.get(l.var().index()).is_some_and(|m| *m == l);
            let choices = self.choices(&truth);
            let ev = self.event(&choices);
            if let Some(decision) = self.violation(a, &ev) {
                let (event, decision) = self.minimize(a, choices, ev, decision);
                return Verdict::Refuted(Box::new(Counterexample {
                    event,
                    now_ms: NOW_MS,
                    decision,
                }));
            }
            // Spurious: learn what the unconstrained atoms really do here.
            let mut learnt = false;
            for at in &self.atoms {
                let Some(free) = &at.free else { continue };
                let real = eval::condition(self.policy, at.expr, &ev, NOW_MS);
                let modelled = if truth(at.tri.t) {
                    Truth::True
                } else if truth(at.tri.e) {
                    Truth::Unknown
                } else {
                    Truth::False
                };
                if real == modelled {
                    continue;
                }
                let mut cond: Vec<Lit> = Vec::new();
                for v in at.scan.scalars.iter().chain(&at.scan.lists) {
                    cond.extend(self.choice_lits(*v, &choices).into_iter().map(|l| !l));
                }
                let mut add = |l: Lit| {
                    let mut c = cond.clone();
                    c.push(l);
                    solver.add_clause(&c);
                };
                match real {
                    Truth::True => add(at.tri.t),
                    Truth::Unknown => add(at.tri.e),
                    Truth::False => {
                        add(!at.tri.t);
                        add(!at.tri.e);
                    }
                }
                if !free.exact_lemmas && inexact.is_none() {
                    inexact = Some(free.why.clone());
                }
                learnt = true;
            }
            if !learnt {
                // The model and the interpreter disagree on a constrained
                // atom: never claim a proof after that.
                inexact.get_or_insert_with(|| {
                    "internal error: a candidate event did not behave as encoded".into()
                });
                let mut block = Vec::new();
                for v in 0..self.enc.len() {
                    block.extend(self.choice_lits(v, &choices).into_iter().map(|l| !l));
                }
                solver.add_clause(&block);
            }
        }
        Verdict::Unknown(format!(
            "the search stopped after {MAX_ROUNDS} refinements{}",
            inexact.map(|w| format!(" ({w})")).unwrap_or_default()
        ))
    }

    /// The variables' choices in a model.
    fn choices(&self, truth: &dyn Fn(Lit) -> bool) -> Vec<(usize, Choice)> {
        self.enc
            .iter()
            .enumerate()
            .map(|(v, e)| {
                let c = match e {
                    Enc::None => Choice::None,
                    Enc::Scalar { lits, .. } => {
                        Choice::Scalar(lits.iter().position(|l| truth(*l)).unwrap_or(0))
                    }
                    Enc::List { present, inc, .. } => Choice::List(
                        truth(*present),
                        inc.iter()
                            .enumerate()
                            .filter(|(_, l)| truth(**l))
                            .map(|(i, _)| i)
                            .collect(),
                    ),
                };
                (v, c)
            })
            .collect()
    }

    /// Literals that pin variable `v` to its choice.
    fn choice_lits(&self, v: usize, choices: &[(usize, Choice)]) -> Vec<Lit> {
        let Some((_, c)) = choices.iter().find(|(w, _)| *w == v) else {
            return Vec::new();
        };
        match (self.enc.get(v), c) {
            (Some(Enc::Scalar { lits, .. }), Choice::Scalar(k)) => {
                lits.get(*k).copied().into_iter().collect()
            }
            (Some(Enc::List { present, inc, .. }), Choice::List(p, chosen)) => {
                let mut out = vec![if *p { *present } else { !*present }];
                for (i, l) in inc.iter().enumerate() {
                    out.push(if chosen.contains(&i) { *l } else { !*l });
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// The decision, when the event violates the assertion.
    fn violation(&self, a: &crate::ir::Assertion, ev: &Json) -> Option<Decision> {
        if eval::condition(self.policy, &a.when, ev, NOW_MS) != Truth::True {
            return None;
        }
        let d = eval::evaluate(self.policy, ev, NOW_MS);
        violates(a.mode, DecisionKind::of(&a.effect), d.kind).then_some(d)
    }

    /// Drops every field (and list element) the violation does not need.
    fn minimize(
        &self,
        a: &crate::ir::Assertion,
        mut choices: Vec<(usize, Choice)>,
        mut ev: Json,
        mut decision: Decision,
    ) -> (Json, Decision) {
        for i in 0..choices.len() {
            let Some((_, c)) = choices.get(i).cloned() else {
                continue;
            };
            let mut tries: Vec<Choice> = Vec::new();
            match &c {
                Choice::Scalar(k) if *k != 0 => tries.push(Choice::Scalar(0)),
                Choice::List(true, inc) => {
                    tries.push(Choice::List(false, Vec::new()));
                    for drop in 0..inc.len() {
                        let mut fewer = inc.clone();
                        fewer.remove(drop);
                        tries.push(Choice::List(true, fewer));
                    }
                }
                _ => {}
            }
            for t in tries {
                let Some(slot) = choices.get_mut(i) else {
                    break;
                };
                let old = std::mem::replace(&mut slot.1, t);
                let candidate = self.event(&choices);
                match self.violation(a, &candidate) {
                    Some(d) => {
                        ev = candidate;
                        decision = d;
                        break;
                    }
                    None => {
                        if let Some(slot) = choices.get_mut(i) {
                            slot.1 = old;
                        }
                    }
                }
            }
        }
        (ev, decision)
    }
}

/// Whether an atom over a list reads it only through `any`/`all`, a
/// membership test for a constant, `exists`, or a comparison with `null`:
/// the forms whose outcome on a list follows from its elements one by one
/// (so a list stands for every list with the same kinds of element).
fn list_shape(policy: &Policy, e: &Expr, depth: usize) -> bool {
    let is_path = |x: &Expr| matches!(x.kind, K::Path(_));
    let is_const = |x: &Expr| matches!(x.kind, K::Const(_));
    match &e.kind {
        K::Quant { list, .. } => is_path(list),
        K::In { needle, list, .. } => is_const(needle) && is_path(list),
        K::Str(crate::ir::StrOp::Contains, l, c) => is_path(l) && is_const(c),
        K::Call(crate::ir::Func::Exists, args) => args.first().is_some_and(is_path),
        K::Eq { lhs, rhs, .. } => {
            (is_path(lhs) && matches!(rhs.kind, K::Const(crate::ir::Const::Null)))
                || (is_path(rhs) && matches!(lhs.kind, K::Const(crate::ir::Const::Null)))
        }
        K::Let(i) if depth < MAX_DEPTH => policy
            .lets
            .get(*i as usize)
            .is_some_and(|l| list_shape(policy, &l.value, depth.saturating_add(1))),
        _ => false,
    }
}

fn scan_dummy(ty: crate::schema::Type) -> scan::VarInfo {
    scan::VarInfo {
        scope: Scope::Event,
        steps: Vec::new(),
        ty,
        free_json: false,
        uses: scan::Uses::default(),
        incomplete: None,
        text: String::new(),
    }
}

/// Strength of a decision kind for `at least`.
fn rank(k: DecisionKind) -> u8 {
    match k {
        DecisionKind::None => 0,
        DecisionKind::SkipMfa => 1,
        DecisionKind::RequireMfa | DecisionKind::EnrollMfa => 2,
        DecisionKind::Deny | DecisionKind::Error => 3,
    }
}

/// Whether deciding `got` violates an assertion about `want`.
pub fn violates(mode: AssertMode, want: DecisionKind, got: DecisionKind) -> bool {
    match mode {
        AssertMode::Exactly => got != want,
        AssertMode::AtLeast => rank(got) < rank(want),
        AssertMode::Never => got == want,
    }
}

/// A text that is equal for equal checked expressions (spans ignored).
fn key(e: &Expr, out: &mut String) {
    let list = |out: &mut String, v: &[Expr]| {
        out.push('[');
        for x in v {
            key(x, out);
            out.push(',');
        }
        out.push(']');
    };
    match &e.kind {
        K::Const(c) => {
            let _ = write!(out, "C{c:?}");
        }
        K::Path(p) => {
            let _ = write!(out, "P{:?}{:?}{:?}", p.root, p.steps, e.ty);
        }
        K::Local(s) => {
            let _ = write!(out, "L{s}");
        }
        K::Let(i) => {
            let _ = write!(out, "Let{i}");
        }
        K::Now => out.push_str("now"),
        K::Not(a) => {
            out.push_str("Not(");
            key(a, out);
            out.push(')');
        }
        K::And(v) => {
            out.push_str("And");
            list(out, v);
        }
        K::Or(v) => {
            out.push_str("Or");
            list(out, v);
        }
        K::Eq { negated, lhs, rhs } => {
            let _ = write!(out, "Eq{negated}(");
            key(lhs, out);
            out.push(',');
            key(rhs, out);
            out.push(')');
        }
        K::Order(op, a, b) => {
            let _ = write!(out, "Ord{op:?}(");
            key(a, out);
            out.push(',');
            key(b, out);
            out.push(')');
        }
        K::In {
            negated,
            needle,
            list: l,
        } => {
            let _ = write!(out, "In{negated}(");
            key(needle, out);
            out.push(',');
            key(l, out);
            out.push(')');
        }
        K::InNet {
            negated,
            needle,
            set,
        } => {
            let _ = write!(out, "Net{negated}{set:?}(");
            key(needle, out);
            out.push(')');
        }
        K::Str(op, a, b) => {
            let _ = write!(out, "Str{op:?}(");
            key(a, out);
            out.push(',');
            key(b, out);
            out.push(')');
        }
        K::Matches(a, re) => {
            let _ = write!(out, "M{:?}(", re.as_str());
            key(a, out);
            out.push(')');
        }
        K::Arith(op, a, b) => {
            let _ = write!(out, "A{op:?}(");
            key(a, out);
            out.push(',');
            key(b, out);
            out.push(')');
        }
        K::Quant {
            all,
            slot,
            list: l,
            body,
        } => {
            let _ = write!(out, "Q{all}{slot}(");
            key(l, out);
            out.push(',');
            key(body, out);
            out.push(')');
        }
        K::Call(f, args) => {
            let _ = write!(out, "F{f:?}");
            list(out, args);
        }
    }
}
