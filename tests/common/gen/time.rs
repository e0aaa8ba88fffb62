//! Comparisons of times: with `now`, with `now - d` (windows, at any
//! distance: `now - 800000d` turns before year 0000), `ts + d`, `ts - ts`,
//! and timestamp constants.

use super::ast::{Op, E};
use super::consts::DUR_HUGE;
use super::cov::{self, ConstKind as C, Form, ValueKind as V};
use super::expr::{op_form, Cx};
use super::Gen;

fn name(s: &str) -> E {
    E::Name(s.to_string())
}

impl Gen {
    pub(super) fn time_atom(&mut self, cx: &mut Cx, form: Form) -> E {
        // Undeclared metadata may be ordered beside a timestamp, but takes
        // no part in arithmetic.
        let vks: &[V] = if matches!(form, Form::Now | Form::NowMinus) {
            &[V::FTs, V::FTs, V::DTs, V::Dyn]
        } else {
            &[V::FTs, V::FTs, V::DTs]
        };
        let vk = *self.rng.pick(vks);
        let s = self.src(cx, vk);
        let ord = *self.rng.pick(&[Op::Lt, Op::Le, Op::Gt, Op::Ge]);
        self.mark(cx, op_form(ord));
        match form {
            Form::Now => {
                self.mark(cx, Form::Now);
                if self.coin(2) {
                    E::bin(s.e, ord, name("now"))
                } else {
                    let ck = *self.rng.pick(&[C::Ts, C::TsEdge]);
                    let c = self.konst(cx, ck, V::FTs, None, false);
                    E::bin(name("now"), ord, c)
                }
            }
            Form::NowMinus => {
                self.mark(cx, Form::NowMinus);
                self.mark(cx, Form::Now);
                let d = self.duration(cx, s.vk);
                let w = E::bin(name("now"), Op::Sub, d);
                if self.coin(5) {
                    self.mark(cx, Form::ConstLeft);
                    E::bin(w, ord, s.e)
                } else {
                    E::bin(s.e, ord, w)
                }
            }
            Form::TsPlusDur => {
                self.mark(cx, Form::TsPlusDur);
                let d = self.duration(cx, s.vk);
                let shifted = match self.rng.below(3) {
                    0 => E::bin(s.e, Op::Add, d),
                    1 => E::bin(d, Op::Add, s.e),
                    _ => E::bin(s.e, Op::Sub, d),
                };
                if self.coin(2) {
                    self.mark(cx, Form::Now);
                    E::bin(shifted, ord, name("now"))
                } else {
                    let ck = *self.rng.pick(&[C::Ts, C::TsEdge]);
                    let c = self.konst(cx, ck, V::FTs, None, false);
                    E::bin(shifted, ord, c)
                }
            }
            _ => {
                self.mark(cx, Form::TsMinusTs);
                let other = if self.coin(2) {
                    self.mark(cx, Form::Now);
                    name("now")
                } else {
                    let vk2 = *self.rng.pick(&[V::FTs, V::DTs]);
                    self.src(cx, vk2).e
                };
                let diff = if self.coin(2) {
                    E::bin(other, Op::Sub, s.e)
                } else {
                    E::bin(s.e, Op::Sub, other)
                };
                let rhs = if self.coin(5) {
                    name(&self.declared(V::DDur))
                } else {
                    self.duration(cx, s.vk)
                };
                E::bin(diff, ord, rhs)
            }
        }
    }
    /// A duration constant for time arithmetic on a value of kind `vk`.
    pub(super) fn duration(&mut self, cx: &mut Cx, vk: V) -> E {
        let cks = cov::arith_consts(vk);
        let ck = self.pick_ck(vk, &cks);
        self.konst(cx, ck, vk, None, false)
    }
    /// `T OP now - D` (or `now - T OP D`, `T + D OP now`) with `D` a
    /// huge duration and `T` a typed or declared timestamp.
    pub(super) fn far_window(&mut self, cx: &mut Cx) -> E {
        self.mark(cx, Form::FarWindow);
        self.mark(cx, Form::NowMinus);
        self.mark(cx, Form::Now);
        let vk = *self.rng.pick(&[V::FTs, V::FTs, V::DTs]);
        let t = self.src(cx, vk);
        self.cov.pair(C::DurHuge, t.vk);
        // The windows verify fixes `now` for (within about 3,000 years)
        // most often.
        let d = if self.coin(4) {
            *self.rng.pick(DUR_HUGE)
        } else {
            *self.rng.pick(&["800000d", "1000000d", "-800000d"])
        };
        let d = E::Lit(super::ast::Lit {
            text: d.to_string(),
            kind: C::DurHuge,
            ctx: super::ast::Ctx::Val(t.vk, None),
        });
        let now = name("now");
        let ord = *self.rng.pick(&[Op::Lt, Op::Le, Op::Gt, Op::Ge]);
        self.mark(cx, super::expr::op_form(ord));
        match self.rng.below(4) {
            0 => E::bin(E::bin(now, Op::Sub, t.e), ord, d),
            1 => {
                self.mark(cx, Form::TsPlusDur);
                E::bin(E::bin(t.e, Op::Add, d), ord, now)
            }
            _ => E::bin(t.e, ord, E::bin(now, Op::Sub, d)),
        }
    }
}
