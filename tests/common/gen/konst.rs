//! Constants: a literal of each kind, or a `let` holding one, counted in
//! the (constant, value) table.

use super::ast::{Ctx, Lit, E};
use super::consts::*;
use super::cov::{ConstKind as C, Form, ValueKind as V};
use super::expr::{Cx, Set};
use super::{Gen, LetKind};

fn name(s: &str) -> E {
    E::Name(s.to_string())
}

impl Gen {
    /// A constant kind for a value kind: the less generated of two random
    /// picks, so rare cells fill up without losing randomness.
    pub(super) fn pick_ck(&mut self, vk: V, cks: &[C]) -> C {
        let a = *self.rng.pick(cks);
        let b = *self.rng.pick(cks);
        if self.cov.pair_count(b, vk) < self.cov.pair_count(a, vk) {
            b
        } else {
            a
        }
    }
    /// A constant of kind `ck` beside a value of kind `vk`: a literal, or
    /// sometimes a `let` holding one. Counts the (constant, value) cell.
    pub fn konst(&mut self, cx: &mut Cx, ck: C, vk: V, set: Option<Set>, net: bool) -> E {
        self.cov.pair(ck, vk);
        if self.coin(6) {
            let cands: Vec<usize> = (0..cx.lets)
                .filter(|i| matches!(self.st.lets[*i].kind, LetKind::Const(k, _, s) if k == ck && s == set))
                .collect();
            if !cands.is_empty() {
                let i = *self.rng.pick(&cands);
                self.let_used(cx, i);
                self.mark(cx, Form::LetConst);
                return name(&self.st.lets[i].name);
            }
        }
        let ctx = if net { Ctx::Net } else { Ctx::Val(vk, set) };
        self.lit(ck, ctx)
    }
    /// A literal of kind `ck` (no coverage counted): also what mutations
    /// draw a replacement from.
    pub fn lit(&mut self, ck: C, ctx: Ctx) -> E {
        let text = |s: &str| s.to_string();
        let t = match ck {
            C::Str => match &ctx {
                Ctx::Val(_, Some(set)) => quote(self.pick_s(set)),
                Ctx::Regex => {
                    let pool = if self.opts.action_safe {
                        &REGEXES[..5]
                    } else {
                        REGEXES
                    };
                    let (re, _) = *self.rng.pick(pool);
                    format!("\"{re}\"")
                }
                Ctx::Sep => quote(self.pick_s(SEPARATORS)),
                Ctx::Factor => quote(self.pick_s(FACTORS)),
                _ => quote(self.pick_s(WORDS)),
            },
            C::IntSmall => text(self.pick_s(INT_SMALL)),
            C::IntNeg => text(self.pick_s(INT_NEG)),
            C::IntZero => text("0"),
            C::IntPow53 => text(self.pick_s(INT_POW53)),
            C::IntNegPow53 => text(self.pick_s(INT_NEG_POW53)),
            C::IntPow53Plus1 => text(self.pick_s(INT_POW53_PLUS1)),
            C::Int9e15 => text(self.pick_s(INT_9E15)),
            C::IntHuge => text(self.pick_s(INT_HUGE)),
            C::FloatSmall => text(self.pick_s(FLOAT_SMALL)),
            C::FloatBig => text(self.pick_s(FLOAT_BIG)),
            C::Ip4 => text(self.pick_s(IP4)),
            C::Ip6 => text(self.pick_s(IP6)),
            C::IpMapped => text(self.pick_s(IP_MAPPED)),
            C::Cidr0 => text(self.pick_s(CIDR0)),
            C::Cidr8 => text(self.pick_s(CIDR8)),
            C::Cidr24 => text(self.pick_s(CIDR24)),
            C::Cidr32 => text(self.pick_s(CIDR32)),
            C::Cidr128 => text(self.pick_s(CIDR128)),
            C::Cidr6 => text(self.pick_s(CIDR6)),
            C::CidrMapped => text(self.pick_s(CIDR_MAPPED)),
            C::NetsNested
            | C::NetsDisjoint
            | C::NetsHalves
            | C::NetsMixed
            | C::ListAddr
            | C::ListInt => {
                let tbl = match ck {
                    C::NetsNested => NETS_NESTED,
                    C::NetsDisjoint => NETS_DISJOINT,
                    C::NetsHalves => NETS_HALVES,
                    C::NetsMixed => NETS_MIXED,
                    C::ListAddr => LIST_ADDR,
                    _ => LIST_INT,
                };
                let items = *self.rng.pick(tbl);
                let kind = if ck == C::ListInt {
                    C::IntSmall
                } else {
                    C::Cidr24
                };
                let elem_ctx = if ck == C::ListInt {
                    Ctx::Val(V::FInt, None)
                } else {
                    ctx.clone()
                };
                return E::List(
                    items
                        .iter()
                        .map(|t| {
                            E::Lit(Lit {
                                text: t.to_string(),
                                kind,
                                ctx: elem_ctx.clone(),
                            })
                        })
                        .collect(),
                );
            }
            C::ListEmpty => return E::List(vec![]),
            C::ListStr1 | C::ListStrN => {
                let n = if ck == C::ListStr1 {
                    1
                } else {
                    2 + self.rng.below(3)
                };
                let items = (0..n).map(|_| self.lit(C::Str, ctx.clone())).collect();
                return E::List(items);
            }
            C::DurS => text(self.pick_s(DUR_S)),
            C::DurM => text(self.pick_s(DUR_M)),
            C::DurH => text(self.pick_s(DUR_H)),
            C::DurD => text(self.pick_s(DUR_D)),
            C::DurHuge => text(self.pick_s(DUR_HUGE)),
            C::DurNeg => text(self.pick_s(DUR_NEG)),
            C::Ts => quote(self.pick_s(TS)),
            C::TsEdge => quote(self.pick_s(TS_EDGE)),
            C::Bool => text(if self.coin(2) { "true" } else { "false" }),
            C::Null => text("null"),
        };
        E::Lit(Lit {
            text: t,
            kind: ck,
            ctx,
        })
    }
}
