//! The encoding: conditions split into atoms, variables with their
//! candidates, each atom's outcome on every combination of its variables'
//! candidates (computed by the interpreter), and the policies' decisions,
//! all as clauses over one SAT formula.
//!
//! Several policies can be encoded over the same event (`diff --prove`
//! reads one event under two policies): each is a [`Side`], and they share
//! the variables.

use super::candidates::{self, NOW_MS};
use super::cnf::{Cnf, Tri};
use super::complete;
use super::scan::{Scan, Scanner, Scope, Vars};
use crate::eval::{self, DecisionKind, Truth};
use crate::ir::{Effect, Expr, ExprKind as K, Policy, Step};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::fmt::Write as _;
use varisat::Lit;

/// The most candidate combinations one atom is evaluated on.
const MAX_COMBOS: usize = 4096;
/// The most candidate elements of one list.
const MAX_ELEMENTS: usize = 1024;
/// How deep `and`/`or`/`not` and `let`s may nest for verification.
const MAX_DEPTH: usize = 512;

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
                let generated = candidates::candidates(v, candidates::MAX_GENERATED);
                cands.push(Some(self.reduce(id, generated)));
            } else {
                cands.push(Some(candidates::candidates(v, candidates::MAX_CANDIDATES)));
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
                    let free = self.vars.vars.get(id).is_some_and(|v| v.free_json);
                    let (elems, user) = if free {
                        self.user_list(id, elems)
                    } else {
                        (elems, None)
                    };
                    let present = self.cnf.var();
                    let inc: Vec<Lit> = elems.iter().map(|_| self.cnf.var()).collect();
                    for &l in &inc {
                        self.cnf.add(vec![!l, present]);
                    }
                    if let Some(u) = user {
                        // A whole value of another type holds no elements.
                        if let Some(&w) = inc.get(u.whole) {
                            for (i, &l) in inc.iter().enumerate() {
                                if i != u.whole {
                                    self.cnf.add(vec![!w, !l]);
                                }
                            }
                        }
                    }
                    Enc::List {
                        elems,
                        present,
                        inc,
                        user,
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
            // Below a list only by position, which the allow-list leaves
            // incomplete: nothing to encode then.
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
        let readers: Option<Vec<(usize, &'p Expr)>> = self
            .atoms
            .iter()
            .filter(|a| a.scan.scalars.contains(&id) || a.scan.lists.contains(&id))
            .map(|a| {
                let alone = a.scan.scalars.len() == 1
                    && a.scan.lists.is_empty()
                    && a.scan.untracked.is_none()
                    && (!a.scan.now || self.time_fixed);
                alone.then_some((a.side, a.expr))
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
            let policies = &self.policies;
            out.retain(|c| {
                let mut ev = Json::Object(Map::new());
                if let Some(j) = c {
                    set_path(&mut ev, &steps, j.clone());
                }
                let signature: Vec<Truth> = readers
                    .iter()
                    .filter_map(|(side, x)| {
                        policies
                            .get(*side)
                            .map(|p| eval::condition(p, x, &ev, NOW_MS))
                    })
                    .collect();
                // Absent (the first) is always kept: prefixes rely on it.
                seen.insert(format!("{signature:?}")) || c.is_none()
            });
        }
        if out.len() > candidates::MAX_CANDIDATES {
            if let Some(v) = self.vars.vars.get_mut(id) {
                v.give_up(|t| format!("`{t}` has too many distinct cases"));
            }
            out.truncate(candidates::MAX_CANDIDATES.saturating_add(1));
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
            // An element may be JSON null too (`[null, "x"]`): "absent"
            // stands for it.
            out.extend(c.iter().map(|x| x.clone().unwrap_or(Json::Null)));
        } else if fields.is_empty() {
            // Nothing reads the elements: any element stands for all.
            let elem_ty = match self.vars.vars.get(list).map(|v| &v.ty) {
                Some(crate::schema::Type::List(t)) => (**t).clone(),
                _ => crate::schema::Type::Dynamic,
            };
            let mut dummy = super::scan::VarInfo {
                scope: Scope::Event,
                steps: Vec::new(),
                ty: elem_ty,
                free_json: false,
                uses: Vec::new(),
                incomplete: None,
                text: String::new(),
            };
            out.extend(
                candidates::candidates(&mut dummy, candidates::MAX_CANDIDATES)
                    .into_iter()
                    .flatten()
                    .take(1),
            );
        } else {
            out.push(Json::Object(Map::new()));
            for (steps, c) in &fields {
                let mut next = Vec::new();
                for base in &out {
                    for v in c {
                        let mut e = base.clone();
                        if let Some(v) = v {
                            set_path(&mut e, steps, v.clone());
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
            // A null element: every field of it reads as absent.
            out.push(Json::Null);
        }
        if out.len() > MAX_ELEMENTS {
            incomplete = Some("a list's elements have too many distinct cases");
            out.truncate(MAX_ELEMENTS);
        }
        if let (Some(v), Some(why)) = (self.vars.vars.get_mut(list), incomplete) {
            v.give_up(|t| format!("`{t}`: {why}"));
        }
        out
    }

    /// Lays out the elements of a user-data list (see [`UserList`]): the
    /// well-typed ones twice, one misfit element, one whole misfit value.
    fn user_list(&mut self, list: usize, elems: Vec<Json>) -> (Vec<Json>, Option<UserList>) {
        let elem_ty = match self.vars.vars.get(list).map(|v| &v.ty) {
            Some(crate::schema::Type::List(t)) => (**t).clone(),
            _ => return (elems, None),
        };
        let (good, bad): (Vec<Json>, Vec<Json>) = elems
            .into_iter()
            .partition(|e| eval::value_from_json(e, &elem_ty).is_ok());
        let misfit = bad.into_iter().next().unwrap_or_else(|| {
            if matches!(
                elem_ty,
                crate::schema::Type::String | crate::schema::Type::Enum(_)
            ) {
                Json::from(0)
            } else {
                Json::from("x")
            }
        });
        let n = good.len();
        let mut out = good.clone();
        out.extend(good);
        out.push(misfit);
        out.push(Json::from("a value that is not a list"));
        let user = UserList {
            n,
            bad: n.saturating_mul(2),
            whole: n.saturating_mul(2).saturating_add(1),
        };
        (out, Some(user))
    }

    /// The partial event with these variables chosen.
    pub fn event(&self, choices: &[(usize, Choice)]) -> Json {
        let mut order: Vec<&(usize, Choice)> = choices.iter().collect();
        order.sort_by_key(|(v, _)| self.vars.vars.get(*v).map_or(0, |i| i.steps.len()));
        let mut ev = Json::Object(Map::new());
        for (v, c) in order {
            let Some(info) = self.vars.vars.get(*v) else {
                continue;
            };
            let value = match (self.enc.get(*v), c) {
                (Some(Enc::Scalar { cands, .. }), Choice::Scalar(k)) => {
                    cands.get(*k).cloned().flatten()
                }
                (Some(Enc::List { elems, user, .. }), Choice::List(true, inc)) => {
                    Some(list_value(elems, *user, inc))
                }
                _ => None,
            };
            if let Some(value) = value {
                set_path(&mut ev, &info.steps, value);
            }
        }
        ev
    }

    // ---- atoms ----

    fn encode_atoms(&mut self) {
        for i in 0..self.atoms.len() {
            let free = self.encode_atom(i);
            if let Some(a) = self.atoms.get_mut(i) {
                a.free = free;
            }
        }
    }

    /// The outcome of an atom on an event, by the interpreter.
    pub fn outcome(&self, atom: &Atom<'_>, ev: &Json) -> Truth {
        match self.policies.get(atom.side) {
            Some(p) => eval::condition(p, atom.expr, ev, NOW_MS),
            None => Truth::Unknown,
        }
    }

    /// Constrains one atom's outcome by its variables; returns why it is
    /// left (partly) free.
    fn encode_atom(&mut self, i: usize) -> Option<Free> {
        let (scan, tri) = {
            let a = self.atoms.get(i)?;
            (a.scan.clone(), a.tri)
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
            if let Some(why) = self.vars.vars.get(*v).and_then(|i| i.incomplete.clone()) {
                return unsound(why);
            }
        }
        if scan.lists.len() > 1 || scan.list_refs.values().any(|n| *n > 1) {
            return unsound("a condition reads a list more than once".into());
        }
        let shape_ok = match (
            self.atoms.get(i),
            self.policies.get(self.atoms.get(i)?.side),
        ) {
            (Some(a), Some(p)) => scan.lists.is_empty() || list_shape(p, a.expr, 0),
            _ => false,
        };
        if !shape_ok {
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
                None => {
                    let ev = self.event(&choices);
                    let out = self.atoms.get(i).map(|a| self.outcome(a, &ev));
                    match (out, single) {
                        // One variable: collect the candidates per outcome
                        // and encode `t <-> OR(true ones)`, `e <-> OR(raising ones)`.
                        (Some(Truth::True), true) => trues.extend(cond.iter().map(|l| !*l)),
                        (Some(Truth::Unknown), true) => raises.extend(cond.iter().map(|l| !*l)),
                        (Some(Truth::False), true) => {}
                        (Some(o), false) => self.outcome_clauses(&cond, tri, o),
                        (None, _) => return unsound("internal error: an atom is missing".into()),
                    }
                    true
                }
                Some(l) => self.encode_list_atom(i, tri, l, &mut choices, &cond),
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
    /// `not in`); checked on pairs of elements before it is trusted. For a
    /// user-data list, an element of another type raises when it is
    /// reached: the outcome is the flipped one when a flipping element
    /// comes before it, else a raise; a whole value of another type gives
    /// its own outcome.
    fn encode_list_atom(
        &mut self,
        atom: usize,
        tri: Tri,
        l: usize,
        choices: &mut Vec<(usize, Choice)>,
        cond: &[Lit],
    ) -> bool {
        let (n, present, inc, user) = match self.enc.get(l) {
            Some(Enc::List {
                elems,
                present,
                inc,
                user,
            }) => (elems.len(), *present, inc.clone(), *user),
            _ => return false,
        };
        let Some(a) = self.atoms.get(atom) else {
            return false;
        };
        let eval_with = |this: &Self, choices: &mut Vec<(usize, Choice)>, c: Choice| {
            choices.push((l, c));
            let ev = this.event(choices);
            choices.pop();
            this.outcome(a, &ev)
        };
        let absent = eval_with(self, choices, Choice::List(false, Vec::new()));
        let empty = eval_with(self, choices, Choice::List(true, Vec::new()));
        let single: Vec<Truth> = (0..n)
            .map(|i| eval_with(self, choices, Choice::List(true, vec![i])))
            .collect();
        // Well-typed elements: all of a plain list; a user list's before-
        // and after-copies.
        let (good, bad, whole) = match user {
            Some(u) => (u.n.saturating_mul(2), Some(u.bad), Some(u.whole)),
            None => (n, None, None),
        };
        let lit = |i: Option<usize>| i.and_then(|i| inc.get(i).copied());
        let (bad_lit, whole_lit) = (lit(bad), lit(whole));
        let good_single = single.get(..good).unwrap_or_default();
        if absent == Truth::Unknown
            || empty == Truth::Unknown
            || good_single.contains(&Truth::Unknown)
        {
            return false;
        }
        let mut clauses: Vec<Vec<Lit>> = Vec::new();
        let clause = |extra: &[Lit]| {
            let mut c = cond.to_vec();
            c.extend_from_slice(extra);
            c
        };
        // A whole value of another type: its own outcome.
        if let (Some(w), Some(out)) = (whole_lit, whole.and_then(|i| single.get(i))) {
            match out {
                Truth::True => clauses.push(clause(&[!w, tri.t])),
                Truth::False => {
                    clauses.push(clause(&[!w, !tri.t]));
                    clauses.push(clause(&[!w, !tri.e]));
                }
                Truth::Unknown => clauses.push(clause(&[!w, tri.e])),
            }
        }
        let not_whole: Vec<Lit> = whole_lit.into_iter().collect();
        if absent != empty {
            // `exists(LIST)`, `LIST == null`: only presence matters (a
            // misfit element is still an element).
            let bad_single = bad.and_then(|i| single.get(i));
            if good_single.iter().any(|s| *s != empty) || bad_single.is_some_and(|s| *s != empty) {
                return false;
            }
            let when = |t: Truth| if t == Truth::True { tri.t } else { !tri.t };
            clauses.push(clause(&[present, when(absent)]));
            let mut c = clause(&[!present, when(empty)]);
            c.extend(&not_whole);
            clauses.push(c);
            let mut c = clause(&[!tri.e]);
            c.extend(&not_whole);
            clauses.push(c);
        } else {
            let any_like = empty == Truth::False;
            // A misfit element must raise when reached.
            if bad
                .and_then(|i| single.get(i))
                .is_some_and(|s| *s != Truth::Unknown)
            {
                return false;
            }
            // Well-typed elements that flip the outcome from the empty list's.
            let flip: Vec<usize> = (0..good)
                .filter(|i| single.get(*i).is_some_and(|s| *s != empty))
                .collect();
            // Trust the shape only if pairs combine as predicted.
            let first = good.min(8);
            for i in 0..first {
                for j in (i.saturating_add(1))..first {
                    let got = eval_with(self, choices, Choice::List(true, vec![i, j]));
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
            // Before the misfit: a user list's first copies.
            let reached: Vec<Lit> = match user {
                Some(u) => flip
                    .iter()
                    .filter(|i| **i < u.n)
                    .filter_map(|i| inc.get(*i).copied())
                    .collect(),
                None => Vec::new(),
            };
            // outcome true  <->  (any-like:  some flipping element included)
            //                    (all-like:  no flipping element included)
            let t_when_some = if any_like { tri.t } else { !tri.t };
            let mut guard: Vec<Lit> = not_whole.clone();
            guard.extend(bad_lit);
            for &x in &flip_lits {
                let mut c = clause(&[!x, t_when_some]);
                c.extend(&guard);
                clauses.push(c);
            }
            let mut c = clause(&[!t_when_some]);
            c.extend(flip_lits.iter().copied());
            c.extend(&guard);
            clauses.push(c);
            let mut c = clause(&[!tri.e]);
            c.extend(&guard);
            clauses.push(c);
            // With the misfit element: the flipped outcome when a flipping
            // element is reached first, else a raise.
            if let Some(b) = bad_lit {
                for &x in &reached {
                    let mut c = clause(&[!b, !x, t_when_some]);
                    c.extend(&not_whole);
                    clauses.push(c);
                    let mut c = clause(&[!b, !x, !tri.e]);
                    c.extend(&not_whole);
                    clauses.push(c);
                }
                let mut c = clause(&[!b, tri.e]);
                c.extend(reached.iter().copied());
                c.extend(&not_whole);
                clauses.push(c);
                let mut c = clause(&[!b, !tri.t]);
                c.extend(reached.iter().copied());
                c.extend(&not_whole);
                clauses.push(c);
            }
        }
        for c in clauses {
            self.cnf.add(c);
        }
        true
    }

    // ---- models ----

    /// The variables' choices in a model.
    pub fn choices(&self, truth: &dyn Fn(Lit) -> bool) -> Vec<(usize, Choice)> {
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
    pub fn choice_lits(&self, v: usize, choices: &[(usize, Choice)]) -> Vec<Lit> {
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
}

/// A list variable's value: the chosen elements, a user-data list's in
/// its order (before, misfit, after), or its whole misfit value.
fn list_value(elems: &[Json], user: Option<UserList>, inc: &[usize]) -> Json {
    let Some(u) = user else {
        return Json::Array(inc.iter().filter_map(|i| elems.get(*i).cloned()).collect());
    };
    if inc.contains(&u.whole) {
        return elems.get(u.whole).cloned().unwrap_or(Json::Null);
    }
    let mut order: Vec<usize> = inc.to_vec();
    // Before-elements (< n), the misfit (2n), after-elements (n..2n).
    order.sort_by_key(|i| {
        if *i < u.n {
            0
        } else if *i == u.bad {
            1
        } else {
            2
        }
    });
    Json::Array(
        order
            .iter()
            .filter_map(|i| elems.get(*i).cloned())
            .collect(),
    )
}

fn is_condition_let(policy: &Policy, i: u32) -> bool {
    policy
        .lets
        .get(i as usize)
        .is_some_and(|l| matches!(l.value.kind, K::Not(_) | K::And(_) | K::Or(_) | K::Let(_)))
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

// ---- events ----

/// Sets `value` at `steps` under `root`, creating objects and lists on the
/// way; an object value merges into an object already there.
pub(super) fn set_path(root: &mut Json, steps: &[Step], value: Json) {
    let Some((last, init)) = steps.split_last() else {
        merge_into(root, value);
        return;
    };
    let mut cur = root;
    for (i, s) in init.iter().enumerate() {
        let next_is_index = matches!(steps.get(i.saturating_add(1)), Some(Step::Index(_)));
        let fresh = || {
            if next_is_index {
                Json::Array(Vec::new())
            } else {
                Json::Object(Map::new())
            }
        };
        cur = match (s, cur) {
            (Step::Key(k), Json::Object(m)) => {
                let slot = m.entry(k.to_string()).or_insert_with(fresh);
                if slot.is_null() {
                    *slot = fresh();
                }
                slot
            }
            (Step::Index(n), Json::Array(a)) => {
                while a.len() <= *n {
                    a.push(Json::Null);
                }
                let Some(slot) = a.get_mut(*n) else { return };
                if slot.is_null() {
                    *slot = fresh();
                }
                slot
            }
            _ => return,
        };
    }
    match (last, cur) {
        (Step::Key(k), Json::Object(m)) => match m.get_mut(k.as_ref()) {
            Some(existing) => merge_into(existing, value),
            None => {
                m.insert(k.to_string(), value);
            }
        },
        (Step::Index(n), Json::Array(a)) => {
            while a.len() <= *n {
                a.push(Json::Null);
            }
            if let Some(slot) = a.get_mut(*n) {
                merge_into(slot, value);
            }
        }
        _ => {}
    }
}

fn merge_into(slot: &mut Json, value: Json) {
    match (slot, value) {
        (Json::Object(have), Json::Object(add)) => {
            for (k, v) in add {
                have.entry(k).or_insert(v);
            }
        }
        (slot, value) => *slot = value,
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
