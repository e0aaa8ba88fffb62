//! A clause set under construction, with Tseitin gates and the
//! three-valued connectives of the interpreter.

use varisat::{Lit, Var};

/// A condition's outcome as two literals: `t` (it is true) and `e` (it
/// raised a run-time error); neither means false. Never both.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tri {
    pub t: Lit,
    pub e: Lit,
}

/// Clauses over variables numbered from 0.
#[derive(Default)]
pub(super) struct Cnf {
    vars: usize,
    pub clauses: Vec<Vec<Lit>>,
    truth: Option<Lit>,
}

impl Cnf {
    /// A fresh variable's positive literal.
    pub fn var(&mut self) -> Lit {
        let v = Var::from_index(self.vars);
        self.vars = self.vars.saturating_add(1);
        v.positive()
    }

    pub fn add(&mut self, clause: Vec<Lit>) {
        self.clauses.push(clause);
    }

    /// A literal that is always true.
    pub fn tru(&mut self) -> Lit {
        if let Some(t) = self.truth {
            return t;
        }
        let t = self.var();
        self.add(vec![t]);
        self.truth = Some(t);
        t
    }

    /// A literal that is always false.
    pub fn fal(&mut self) -> Lit {
        !self.tru()
    }

    /// A fresh outcome: true, false or raised, never both true and raised.
    pub fn tri(&mut self) -> Tri {
        let (t, e) = (self.var(), self.var());
        self.add(vec![!t, !e]);
        Tri { t, e }
    }

    /// A constant outcome.
    pub fn tri_const(&mut self, b: bool) -> Tri {
        let f = self.fal();
        Tri {
            t: if b { !f } else { f },
            e: f,
        }
    }

    /// `g <-> x1 and ... and xn`.
    pub fn and(&mut self, xs: &[Lit]) -> Lit {
        match xs {
            [] => self.tru(),
            [x] => *x,
            _ => {
                let g = self.var();
                let mut big = vec![g];
                for &x in xs {
                    self.add(vec![!g, x]);
                    big.push(!x);
                }
                self.add(big);
                g
            }
        }
    }

    /// `g <-> x1 or ... or xn`.
    pub fn or(&mut self, xs: &[Lit]) -> Lit {
        match xs {
            [] => self.fal(),
            [x] => *x,
            _ => {
                let g = self.var();
                let mut big = vec![!g];
                for &x in xs {
                    self.add(vec![g, !x]);
                    big.push(x);
                }
                self.add(big);
                g
            }
        }
    }

    /// Exactly one of `xs` (which must not be empty): at least one, and a
    /// sequential counter for at most one (linear in the number of choices).
    pub fn exactly_one(&mut self, xs: &[Lit]) {
        self.add(xs.to_vec());
        if xs.len() <= 5 {
            for (i, &a) in xs.iter().enumerate() {
                for &b in xs.iter().skip(i.saturating_add(1)) {
                    self.add(vec![!a, !b]);
                }
            }
            return;
        }
        // s_i: one of x_0..=x_i is chosen.
        let mut prev: Option<Lit> = None;
        for &x in xs {
            let s = self.var();
            self.add(vec![!x, s]);
            if let Some(p) = prev {
                self.add(vec![!p, s]);
                self.add(vec![!p, !x]);
            }
            prev = Some(s);
        }
    }

    /// `not`: true when the operand is false; a raise passes through.
    pub fn not3(&mut self, a: Tri) -> Tri {
        Tri {
            t: self.and(&[!a.t, !a.e]),
            e: a.e,
        }
    }

    /// `and` as the interpreter runs it: left to right, stopping at the
    /// first operand that is not true (false, or raised).
    pub fn and3(&mut self, items: &[Tri]) -> Tri {
        let mut prefix = self.tru();
        let mut raised = Vec::new();
        for it in items {
            raised.push(self.and(&[prefix, it.e]));
            prefix = self.and(&[prefix, it.t]);
        }
        Tri {
            t: prefix,
            e: self.or(&raised),
        }
    }

    /// `or` as the interpreter runs it: left to right, stopping at the
    /// first operand that is not false (true, or raised).
    pub fn or3(&mut self, items: &[Tri]) -> Tri {
        let mut all_false = self.tru();
        let (mut trues, mut raised) = (Vec::new(), Vec::new());
        for it in items {
            trues.push(self.and(&[all_false, it.t]));
            raised.push(self.and(&[all_false, it.e]));
            let f = self.and(&[!it.t, !it.e]);
            all_false = self.and(&[all_false, f]);
        }
        Tri {
            t: self.or(&trues),
            e: self.or(&raised),
        }
    }

    /// A solver loaded with every clause so far.
    pub fn solver(&self) -> varisat::Solver<'static> {
        use varisat::ExtendFormula as _;
        let mut s = varisat::Solver::new();
        for c in &self.clauses {
            s.add_clause(c);
        }
        s
    }
}
