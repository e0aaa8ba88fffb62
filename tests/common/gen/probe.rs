//! Shapes aimed at what verify must get exactly right:
//! - one undeclared key read both by index and by membership or a
//!   quantifier (`k[0] == "admin" and "admin" in k`, `k[0] == 1 and any
//!   x in k: x == 1`); events put the constant at element 0 (`event.rs`);
//! - one field many comparisons of a policy read (the policy's *shared*
//!   field), so it gets many constants and candidates that one reader
//!   treats alike and another does not.

use super::ast::{Op, E};
use super::cmp::build;
use super::cov::{self, ConstKind as C, Form, ValueKind as V};
use super::expr::{is_net, Cmp, Cx, Elem, Src};
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

impl Gen {
    /// Picks the policy's shared field (half of the policies have one):
    /// an undeclared key, or a typed or declared field of each kind.
    pub(super) fn pick_shared(&mut self) {
        self.st.shared = None;
        if self.coin(2) {
            return;
        }
        let s = match self.rng.below(8) {
            0..=2 => {
                let k = self.st.dyn_keys[0];
                Src::new(name(k), V::Dyn).elem(Elem::Val(V::Dyn, None))
            }
            3 => Src::new(name("stats.logins_count"), V::FInt),
            4 => Src::new(name(self.pick_s(&["user.email", "user.name"])), V::FStr),
            5 => Src::new(name("request.ip"), V::FIp),
            6 => Src::new(name("request.geoip.latitude"), V::FFloat),
            _ => {
                let vk = *self.rng.pick(&[V::DInt, V::DStr, V::DIp, V::DFloat]);
                Src::new(name(&self.declared(vk)), vk)
            }
        };
        self.st.shared = Some(s);
    }

    /// A comparison of the shared field with a constant, in a way verify
    /// decides exactly (no regex, no other field, no text test beside an
    /// address), so every reader of the field is one it merges
    /// candidates by.
    pub(super) fn shared_atom(&mut self, cx: &mut Cx) -> E {
        let Some(s) = self.st.shared.clone() else {
            return self.atom(cx);
        };
        self.mark(cx, Form::Shared);
        let ops: &[Cmp] = match s.vk {
            V::Dyn => &[
                Cmp::Eq,
                Cmp::Ne,
                Cmp::Lt,
                Cmp::Ge,
                Cmp::In,
                Cmp::NotIn,
                Cmp::Has,
            ],
            V::FStr | V::DStr => &[
                Cmp::Eq,
                Cmp::Ne,
                Cmp::In,
                Cmp::StartsWith,
                Cmp::EndsWith,
                Cmp::StrContains,
            ],
            V::FIp | V::DIp => &[Cmp::Eq, Cmp::Ne, Cmp::In, Cmp::NotIn],
            _ => super::cmp::NUM_CMPS,
        };
        let op = *self.rng.pick(ops);
        match op {
            Cmp::In | Cmp::NotIn => {
                let net = matches!(s.vk, V::FIp | V::DIp | V::Dyn) && self.coin(2);
                self.in_const(cx, s, op, net)
            }
            Cmp::Has => self.has(cx, s, true),
            _ => {
                let cks = match op {
                    Cmp::Eq | Cmp::Ne => cov::eq_consts(s.vk),
                    Cmp::StartsWith | Cmp::EndsWith | Cmp::StrContains => vec![C::Str],
                    _ => cov::ord_consts(s.vk),
                };
                // Durations and times have no place beside these values.
                let cks: Vec<C> = cks
                    .into_iter()
                    .filter(|c| {
                        !cov::arith_consts(V::FTs).contains(c)
                            && !matches!(c, C::Ts | C::TsEdge)
                            // `==` with a range or a list of them: not
                            // decided exactly on undeclared metadata.
                            && (!is_net(*c) || matches!(c, C::Ip4 | C::Ip6 | C::IpMapped))
                    })
                    .collect();
                let ck = self.pick_ck(s.vk, &cks);
                let c = self.konst(cx, ck, s.vk, s.set, false);
                self.mark_op(cx, op, ck, false);
                build(s.e, op, c)
            }
        }
    }
}
