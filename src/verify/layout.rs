//! The variables of the encoding: each one's candidates (merged and
//! reduced), list elements and the layout of user-data lists, and the way
//! back from a model to an event.

use super::candidates::{self, NOW_MS};
use super::engine::{Choice, Enc, Engine, UserList, MAX_ELEMENTS};
use super::scan::Scope;
use crate::eval::{self, Truth};
use crate::ir::{Expr, Step};
use serde_json::{Map, Value as Json};
use varisat::Lit;

impl<'p> Engine<'p> {
    // ---- variables ----

    pub(super) fn encode_vars(&mut self) {
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
