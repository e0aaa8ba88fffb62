//! Each atom's outcome on every combination of its variables'
//! candidates, computed by the interpreter and written as clauses; an atom
//! whose candidates are not complete for its use is left (partly) free.

use super::candidates::NOW_MS;
use super::cnf::Tri;
use super::engine::{Atom, Choice, Enc, Engine, Free, MAX_COMBOS, MAX_DEPTH};
use crate::eval::{self, Truth};
use crate::ir::{Expr, ExprKind as K, Policy};
use serde_json::Value as Json;
use varisat::Lit;

impl<'p> Engine<'p> {
    // ---- atoms ----

    pub(super) fn encode_atoms(&mut self) {
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
