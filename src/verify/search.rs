//! The search: solve for an event that reaches a goal, confirm it with the
//! interpreter, learn from spurious answers, and shrink what is confirmed
//! to a minimal event that `mfapol eval` accepts as it is.

use super::cnf::Tri;
use super::engine::{Choice, Engine};
use crate::eval::Truth;
use serde_json::{Map, Value as Json};
use varisat::{ExtendFormula as _, Lit};

/// How many refinement rounds one search may take.
const MAX_ROUNDS: usize = 300;

/// What a search found.
pub(super) enum Found<T> {
    /// No event reaches the goal, exhaustively.
    Nothing,
    /// No event was found, but the search was not exhaustive: why.
    Unknown(String),
    /// An event the interpreter confirms, minimal, and what confirmed it.
    Event(Json, T),
}

impl Engine<'_> {
    /// Searches for an event on which `confirm` holds, among those the
    /// formula allows under `goal`. `confirm` runs the interpreter: only
    /// what it confirms is returned.
    pub fn search<T>(&self, goal: &[Lit], confirm: &dyn Fn(&Json) -> Option<T>) -> Found<T> {
        let mut solver = self.cnf.solver();
        self.search_in(&mut solver, goal, confirm)
    }

    /// [`Engine::search`] on a solver already loaded with the formula, the
    /// goal as assumptions: several searches share it, and the exact lemmas
    /// it learnt about unconstrained atoms (they hold whatever the goal; an
    /// inexact one is tied to the goal that learnt it).
    pub fn search_in<T>(
        &self,
        solver: &mut varisat::Solver<'_>,
        goal: &[Lit],
        confirm: &dyn Fn(&Json) -> Option<T>,
    ) -> Found<T> {
        let mut inexact: Option<String> = None;
        for _ in 0..MAX_ROUNDS {
            solver.assume(goal);
            match solver.solve() {
                Ok(false) => {
                    return match inexact {
                        None => Found::Nothing,
                        Some(why) => Found::Unknown(format!(
                            "no counterexample was found, but the search is not exhaustive here: {why}"
                        )),
                    };
                }
                Ok(true) => {}
                Err(e) => return Found::Unknown(format!("the solver failed: {e}")),
            }
            let Some(model) = solver.model() else {
                return Found::Unknown("the solver gave no model".into());
            };
            let truth = |l: Lit| model.get(l.var().index()).is_some_and(|m| *m == l);
            let choices = self.choices(&truth);
            let ev = self.event(&choices);
            if let Some(t) = confirm(&ev) {
                let (ev, _) = self.minimize(choices, ev, t, confirm);
                return match self.recognisable(ev, confirm) {
                    Some((ev, t)) => Found::Event(ev, t),
                    None => Found::Unknown(
                        "internal error: a counterexample could not be written as an event mfapol accepts"
                            .into(),
                    ),
                };
            }
            // Spurious: learn what the unconstrained atoms really do here.
            let mut learnt = false;
            for at in &self.atoms {
                let Some(free) = &at.free else { continue };
                let real = self.outcome(at, &ev);
                let modelled = modelled(at.tri, &truth);
                if real == modelled {
                    continue;
                }
                let mut cond: Vec<Lit> = Vec::new();
                for v in at.scan.scalars.iter().chain(&at.scan.lists) {
                    cond.extend(self.choice_lits(*v, &choices).into_iter().map(|l| !l));
                }
                // A lemma that is not exact holds for this event, not for
                // every event with these choices: it may only prune this
                // search (already `unknown`), never a later one on the same
                // solver, which would then wrongly find nothing.
                if !free.exact_lemmas {
                    cond.extend(goal.iter().map(|g| !*g));
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
                // atom: never claim a proof after that. The assignment is
                // blocked under this goal only.
                inexact.get_or_insert_with(|| {
                    "internal error: a candidate event did not behave as encoded".into()
                });
                let mut block: Vec<Lit> = goal.iter().map(|g| !*g).collect();
                for v in 0..self.enc.len() {
                    block.extend(self.choice_lits(v, &choices).into_iter().map(|l| !l));
                }
                solver.add_clause(&block);
            }
        }
        Found::Unknown(format!(
            "the search stopped after {MAX_ROUNDS} refinements{}",
            inexact.map(|w| format!(" ({w})")).unwrap_or_default()
        ))
    }

    /// Drops every field (and list element) the confirmation does not need.
    fn minimize<T>(
        &self,
        mut choices: Vec<(usize, Choice)>,
        mut ev: Json,
        mut found: T,
        confirm: &dyn Fn(&Json) -> Option<T>,
    ) -> (Json, T) {
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
                match confirm(&candidate) {
                    Some(d) => {
                        ev = candidate;
                        found = d;
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
        (ev, found)
    }

    /// The event as `mfapol eval` accepts it: with a field every event has
    /// when it holds none of the fields the policies read (an empty `{}`
    /// is refused as unrecognised). The field added is one the policies do
    /// not read where there is one, and the event is confirmed again.
    fn recognisable<T>(&self, ev: Json, confirm: &dyn Fn(&Json) -> Option<T>) -> Option<(Json, T)> {
        let roots: Vec<Vec<String>> = self
            .policies
            .iter()
            .map(|p| crate::replay::coverage::roots_read(p))
            .collect();
        // `mfapol eval` must accept it under every policy (both sides of a
        // `diff --prove`).
        let accepted = |e: &Json| {
            roots
                .iter()
                .all(|r| crate::replay::coverage::recognised(r, e))
        };
        if accepted(&ev) {
            let t = confirm(&ev)?;
            return Some((ev, t));
        }
        let mut required = crate::replay::coverage::required_roots();
        // Roots no policy reads first: they cannot change a decision.
        required.sort_by_key(|r| roots.iter().flatten().any(|x| x == r));
        for r in required {
            let mut with = ev.clone();
            if let Json::Object(m) = &mut with {
                m.insert(r.to_string(), Json::Object(Map::new()));
            }
            if !accepted(&with) {
                continue;
            }
            if let Some(t) = confirm(&with) {
                return Some((with, t));
            }
        }
        None
    }
}

/// The outcome the model gives an atom.
fn modelled(tri: Tri, truth: &dyn Fn(Lit) -> bool) -> Truth {
    if truth(tri.t) {
        Truth::True
    } else if truth(tri.e) {
        Truth::Unknown
    } else {
        Truth::False
    }
}
