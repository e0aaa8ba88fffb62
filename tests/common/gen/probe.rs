//! Shapes that read one value in two ways verify must model together:
//! an undeclared key read both by index and by membership or a
//! quantifier (`k[0] == "admin" and "admin" in k`, `k[0] == 1 and any x
//! in k: x == 1`). Events put the constant at element 0 (`event.rs`).

use super::ast::{Op, E};
use super::cov::{ConstKind as C, Form, ValueKind as V};
use super::expr::Cx;
use super::Gen;

fn name(s: &str) -> E {
    E::Name(s.to_string())
}

impl Gen {
    /// `k[0] == c` beside `c in k`, `k contains c` or `any x in k: x ==
    /// c`, joined by `and` (or `or`, or one side negated).
    pub(super) fn index_member(&mut self, cx: &mut Cx) -> E {
        let k = self.dyn_key();
        let ck = self.pick_ck(V::Dyn, &[C::Str, C::Str, C::IntSmall, C::Ip4, C::Bool]);
        let c = self.konst(cx, ck, V::Dyn, None, false);
        let op = if self.coin(4) { Op::Ne } else { Op::Eq };
        let by_index = E::bin(name(&format!("{k}[0]")), op, c.clone());
        self.mark(cx, Form::Index0);
        if cx.cheap {
            // Inside a nested quantifier: no list operations (the
            // checker's cost bound).
            return by_index;
        }
        self.mark(cx, Form::IndexMember);
        let whole = match self.rng.below(3) {
            0 if ck == C::Str => {
                self.mark(cx, Form::ListContains);
                E::bin(name(k), Op::Contains, c)
            }
            0 | 1 => {
                self.mark(cx, Form::InField);
                E::bin(c, Op::In, name(k))
            }
            _ => {
                self.mark(cx, Form::Any);
                if cx.pos == super::cov::Pos::QuantBody {
                    self.mark(cx, Form::QuantNested);
                }
                self.mark(cx, Form::QuantDynamic);
                let var = format!("q{}", self.st.vars);
                self.st.vars += 1;
                let body = E::bin(name(&var), Op::Eq, c);
                E::Quant {
                    all: self.coin(4),
                    var,
                    list: Box::new(name(k)),
                    body: Box::new(body),
                }
            }
        };
        let (a, b) = if self.coin(2) {
            (by_index, whole)
        } else {
            (whole, by_index)
        };
        match self.rng.below(6) {
            0 => E::bin(a, Op::Or, b),
            1 => E::bin(E::Not(Box::new(a)), Op::And, b),
            _ => E::bin(a, Op::And, b),
        }
    }
}
