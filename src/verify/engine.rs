//! The encoding: conditions split into atoms, variables with their
//! candidates, each atom's outcome on every combination of its variables'
//! candidates (computed by the interpreter), and the policies' decisions,
//! all as clauses over one SAT formula.
//!
//! Several policies can be encoded over the same event (`diff --prove`
//! reads one event under two policies): each is a [`Side`], and they share
//! the variables.
//!
//! This file builds the structure (conditions over atoms, decisions);
//! `layout.rs` holds the variables (candidates, list layouts, a model back
//! to an event) and `atoms.rs` each atom's clauses.

use super::cnf::{Cnf, Tri};
use super::complete;
use super::scan::{Scan, Scanner, Vars};
use crate::eval::DecisionKind;
use crate::ir::{Effect, Expr, ExprKind as K, Policy};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write as _;
use varisat::Lit;

/// The most candidate combinations one atom is evaluated on.
pub(super) const MAX_COMBOS: usize = 4096;
/// The most candidate elements of one list.
pub(super) const MAX_ELEMENTS: usize = 1024;
/// How deep `and`/`or`/`not` and `let`s may nest for verification.
pub(super) const MAX_DEPTH: usize = 512;

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
pub(super) struct Free {
    pub why: String,
    pub exact_lemmas: bool,
}

pub(super) struct Atom<'p> {
    /// The policy it belongs to.
    pub side: usize,
    pub expr: &'p Expr,
    pub scan: Scan,
    pub tri: Tri,
    pub free: Option<Free>,
}

pub(super) enum Enc {
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
        /// For a list of user data (declared list metadata), which may
        /// hold elements of another type and be a value of another type.
        user: Option<UserList>,
    },
}

/// How the elements of a user-data list are laid out in `elems`: each
/// well-typed element twice (placed before, then after, the misfit
/// element), the misfit element, and a whole value that is not a list.
/// The event puts the "before" elements first, then the misfit, then the
/// "after" ones, so which elements a quantifier reaches before it raises is
/// the solver's choice, as it is the event's.
#[derive(Clone, Copy, Debug)]
pub(super) struct UserList {
    /// Well-typed elements: indexes `0..n` (before) and `n..2n` (after).
    pub n: usize,
    /// The misfit element, at `2n`.
    pub bad: usize,
    /// The whole value of another type, at `2n + 1`.
    pub whole: usize,
}

/// A choice of candidate for every variable.
#[derive(Clone, Debug)]
pub(super) enum Choice {
    None,
    Scalar(usize),
    List(bool, Vec<usize>),
}

/// One policy in the formula.
pub(super) struct Side<'p> {
    pub policy: &'p Policy,
    /// Per rule: it applies.
    pub apply: Vec<Lit>,
    /// Per rule: its `when` raises, its `unless` raises.
    pub raises: Vec<(Lit, Option<Lit>)>,
    /// Per rule: it is the deciding rule.
    pub deciding: Vec<Lit>,
    /// No rule applies (the default decides).
    pub none_applies: Lit,
    /// Per assertion: its condition.
    pub asserts: Vec<Tri>,
}

impl Side<'_> {
    /// The distinct decisions this policy can make, each with the literal
    /// that says it makes it: (kind, effect, literal).
    pub fn decisions(&self, cnf: &mut Cnf) -> Vec<(DecisionKind, Option<Effect>, Lit)> {
        let mut classes: Vec<(DecisionKind, Option<Effect>, Vec<Lit>)> = Vec::new();
        let mut add = |k: DecisionKind, e: Option<&Effect>, l: Lit| match classes
            .iter_mut()
            .find(|(ck, ce, _)| *ck == k && ce.as_ref() == e)
        {
            Some((_, _, lits)) => lits.push(l),
            None => classes.push((k, e.cloned(), vec![l])),
        };
        for (r, &l) in self.policy.rules.iter().zip(&self.deciding) {
            add(DecisionKind::of(&r.effect), Some(&r.effect), l);
        }
        match &self.policy.default {
            Some(e) => add(DecisionKind::of(e), Some(e), self.none_applies),
            None => add(DecisionKind::None, None, self.none_applies),
        }
        classes
            .into_iter()
            .map(|(k, e, lits)| {
                let l = cnf.or(&lits);
                (k, e, l)
            })
            .collect()
    }
}

pub(super) struct Engine<'p> {
    /// The policies, by side.
    pub policies: Vec<&'p Policy>,
    pub sides: Vec<Side<'p>>,
    pub vars: Vars,
    pub enc: Vec<Enc>,
    pub atoms: Vec<Atom<'p>>,
    atom_index: HashMap<String, usize>,
    let_nodes: HashMap<(usize, u32), Node>,
    let_tris: HashMap<(usize, u32), Tri>,
    pub cnf: Cnf,
    pub time_fixed: bool,
}

impl<'p> Engine<'p> {
    /// Encodes the policies (each a side, reading the same event).
    pub fn build(policies: &[&'p Policy]) -> Result<Self, String> {
        let mut e = Engine {
            policies: policies.to_vec(),
            sides: Vec::new(),
            vars: Vars::default(),
            enc: Vec::new(),
            atoms: Vec::new(),
            atom_index: HashMap::new(),
            let_nodes: HashMap::new(),
            let_tris: HashMap::new(),
            cnf: Cnf::default(),
            time_fixed: true,
        };
        let mut nodes = Vec::new();
        for (side, policy) in policies.iter().enumerate() {
            let mut rules = Vec::new();
            for r in &policy.rules {
                let when = e.node(side, policy, &r.when, 0)?;
                let unless = match &r.unless {
                    Some(u) => Some(e.node(side, policy, u, 0)?),
                    None => None,
                };
                rules.push((when, unless));
            }
            let mut asserts = Vec::new();
            for a in &policy.asserts {
                asserts.push(e.node(side, policy, &a.when, 0)?);
            }
            nodes.push((rules, asserts));
        }
        complete::judge(&mut e.vars);
        e.time_fixed = !e.vars.absolute_time;
        e.encode_vars();
        e.encode_atoms();
        for (side, (policy, (rules, asserts))) in policies.iter().zip(&nodes).enumerate() {
            let s = e.encode_side(side, policy, rules, asserts)?;
            e.sides.push(s);
        }
        Ok(e)
    }

    fn encode_side(
        &mut self,
        side: usize,
        policy: &'p Policy,
        rules: &[(Node, Option<Node>)],
        asserts: &[Node],
    ) -> Result<Side<'p>, String> {
        let mut apply = Vec::new();
        let mut raises = Vec::new();
        for (i, (when, unless)) in rules.iter().enumerate() {
            let w = self.tri(side, when, 0)?;
            let u = match unless {
                Some(u) => Some(self.tri(side, u, 0)?),
                None => None,
            };
            let lowers = policy
                .rules
                .get(i)
                .is_some_and(|r| r.effect.lowers_requirements());
            // SPEC §7: a raised condition fails closed.
            let a = if lowers {
                let no_u = match u {
                    Some(u) => self.cnf.and(&[!u.t, !u.e]),
                    None => self.cnf.tru(),
                };
                self.cnf.and(&[w.t, no_u])
            } else {
                let may = self.cnf.or(&[w.t, w.e]);
                let no_u = match u {
                    Some(u) => !u.t,
                    None => self.cnf.tru(),
                };
                self.cnf.and(&[may, no_u])
            };
            apply.push(a);
            raises.push((w.e, u.map(|u| u.e)));
        }
        // The deciding rule: applies, no stronger rule applies, no earlier
        // rule of the same strength applies.
        let strengths: Vec<u8> = policy.rules.iter().map(|r| r.effect.strength()).collect();
        let mut stronger_than: HashMap<u8, Lit> = HashMap::new();
        for s in crate::ir::Effect::STRENGTHS {
            let lits: Vec<Lit> = strengths
                .iter()
                .zip(&apply)
                .filter(|(t, _)| **t > s)
                .map(|(_, l)| *l)
                .collect();
            let l = self.cnf.or(&lits);
            stronger_than.insert(s, l);
        }
        let mut earlier: HashMap<u8, Lit> = HashMap::new();
        let mut deciding = Vec::new();
        for (i, &a) in apply.iter().enumerate() {
            let s = strengths.get(i).copied().unwrap_or(0);
            let fal = self.cnf.fal();
            let before = earlier.get(&s).copied().unwrap_or(fal);
            let stronger = stronger_than.get(&s).copied().unwrap_or(fal);
            deciding.push(self.cnf.and(&[a, !stronger, !before]));
            let seen = self.cnf.or(&[before, a]);
            earlier.insert(s, seen);
        }
        let some = self.cnf.or(&apply);
        let mut assert_tris = Vec::new();
        for n in asserts {
            assert_tris.push(self.tri(side, n, 0)?);
        }
        Ok(Side {
            policy,
            apply,
            raises,
            deciding,
            none_applies: !some,
            asserts: assert_tris,
        })
    }

    // ---- structure ----

    fn node(
        &mut self,
        side: usize,
        policy: &'p Policy,
        x: &'p Expr,
        depth: usize,
    ) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err("the policy nests too deeply to verify".into());
        }
        let d = depth.saturating_add(1);
        Ok(match &x.kind {
            K::Not(a) => Node::Not(Box::new(self.node(side, policy, a, d)?)),
            K::And(v) => Node::And(
                v.iter()
                    .map(|a| self.node(side, policy, a, d))
                    .collect::<Result<_, _>>()?,
            ),
            K::Or(v) => Node::Or(
                v.iter()
                    .map(|a| self.node(side, policy, a, d))
                    .collect::<Result<_, _>>()?,
            ),
            K::Const(crate::ir::Const::Bool(b)) => Node::Const(*b),
            K::Const(crate::ir::Const::Null) => Node::Const(false),
            K::Let(i) if is_condition_let(policy, *i) => {
                if !self.let_nodes.contains_key(&(side, *i)) {
                    let Some(def) = policy.lets.get(*i as usize) else {
                        return Err("internal error: a `let` is missing".into());
                    };
                    let n = self.node(side, policy, &def.value, d)?;
                    self.let_nodes.insert((side, *i), n);
                }
                Node::Let(*i)
            }
            _ => Node::Atom(self.atom(side, policy, x)),
        })
    }

    fn atom(&mut self, side: usize, policy: &'p Policy, x: &'p Expr) -> usize {
        let mut k = format!("{side}:");
        key(x, &mut k);
        if let Some(&i) = self.atom_index.get(&k) {
            return i;
        }
        let scan = Scanner {
            vars: &mut self.vars,
            policy,
            side,
        }
        .scan_atom(x);
        let tri = self.cnf.tri();
        let i = self.atoms.len();
        self.atoms.push(Atom {
            side,
            expr: x,
            scan,
            tri,
            free: None,
        });
        self.atom_index.insert(k, i);
        i
    }

    fn tri(&mut self, side: usize, n: &Node, depth: usize) -> Result<Tri, String> {
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
                let a = self.tri(side, a, d)?;
                self.cnf.not3(a)
            }
            Node::And(v) => {
                let ts = v
                    .iter()
                    .map(|a| self.tri(side, a, d))
                    .collect::<Result<Vec<_>, _>>()?;
                self.cnf.and3(&ts)
            }
            Node::Or(v) => {
                let ts = v
                    .iter()
                    .map(|a| self.tri(side, a, d))
                    .collect::<Result<Vec<_>, _>>()?;
                self.cnf.or3(&ts)
            }
            Node::Let(i) => {
                if let Some(t) = self.let_tris.get(&(side, *i)) {
                    return Ok(*t);
                }
                let node = self
                    .let_nodes
                    .remove(&(side, *i))
                    .ok_or_else(|| "internal error: a `let` is missing".to_string())?;
                let t = self.tri(side, &node, d)?;
                self.let_nodes.insert((side, *i), node);
                self.let_tris.insert((side, *i), t);
                t
            }
        })
    }
}

fn is_condition_let(policy: &Policy, i: u32) -> bool {
    policy
        .lets
        .get(i as usize)
        .is_some_and(|l| matches!(l.value.kind, K::Not(_) | K::And(_) | K::Or(_) | K::Let(_)))
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
