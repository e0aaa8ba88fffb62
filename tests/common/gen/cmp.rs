//! Comparisons: an operator that fits a value's kind and a constant the
//! checker accepts beside it, aimed at the (constant, value) cells that
//! were generated least.

use super::ast::{Ctx, Op, E};
use super::cov::{self, ConstKind as C, Form, ValueKind as V};
use super::expr::{is_list, is_net, op_form, Cmp, Cx, Elem, Src};
use super::{Gen, LetKind};

fn name(s: &str) -> E {
    E::Name(s.to_string())
}

impl Gen {
    /// A comparison aimed at a rarely generated (constant, value) cell: the
    /// least generated of three random valid cells.
    pub(super) fn pair_atom(&mut self, cx: &mut Cx) -> E {
        let mut best: Option<(C, V, u64)> = None;
        for _ in 0..3 {
            let (c, v) = loop {
                let c = *self.rng.pick(C::ALL);
                let v = *self.rng.pick(V::ALL);
                if cov::valid_pair(c, v) {
                    break (c, v);
                }
            };
            let n = self.cov.pair_count(c, v);
            if best.is_none_or(|(_, _, m)| n < m) {
                best = Some((c, v, n));
            }
        }
        let Some((ck, vk, _)) = best else {
            return self.atom(cx);
        };
        let s = self.src(cx, vk);
        let vk = s.vk;
        let mut ops: Vec<Cmp> = Vec::new();
        if cov::eq_consts(vk).contains(&ck) {
            ops.extend([Cmp::Eq, Cmp::Ne]);
        }
        if cov::ord_consts(vk).contains(&ck) {
            ops.extend([Cmp::Lt, Cmp::Ge]);
        }
        if cov::in_consts(vk).contains(&ck) {
            ops.extend([Cmp::In, Cmp::NotIn]);
        }
        if cov::has_consts(vk).contains(&ck) {
            ops.push(Cmp::Has);
        }
        if cov::str_consts(vk).contains(&ck) {
            ops.push(Cmp::StartsWith);
        }
        let arith = cov::arith_consts(vk).contains(&ck);
        if ops.is_empty() && !arith {
            return self.compare(cx, s);
        }
        if arith && (ops.is_empty() || self.coin(2)) {
            // `x > now - d`
            self.mark(cx, Form::NowMinus);
            self.mark(cx, Form::Now);
            self.mark(cx, Form::Gt);
            let d = self.konst(cx, ck, vk, None, false);
            return E::bin(s.e, Op::Gt, E::bin(name("now"), Op::Sub, d));
        }
        let op = *self.rng.pick(&ops);
        match op {
            Cmp::In | Cmp::NotIn => {
                let c = self.konst(cx, ck, vk, s.set, is_net(ck));
                let via_let = matches!(c, E::Name(_));
                self.mark_op(cx, op, ck, via_let);
                build(s.e, op, c)
            }
            Cmp::Has => {
                let set = match s.elem {
                    Some(Elem::Val(_, set)) => set,
                    _ => s.set,
                };
                let c = self.konst(cx, ck, vk, set, false);
                self.mark(cx, Form::InField);
                E::bin(c, Op::In, s.e)
            }
            _ => {
                let set = if op == Cmp::StartsWith { None } else { s.set };
                let c = self.konst(cx, ck, vk, set, false);
                self.mark_op(cx, op, ck, false);
                build(s.e, op, c)
            }
        }
    }
    /// A value kind that supports the operator.
    pub(super) fn vk_for(&mut self, op: Cmp) -> V {
        loop {
            // The less covered of two picks (mean count over its cells).
            let a = *self.rng.pick(V::ALL);
            let b = *self.rng.pick(V::ALL);
            let vk = if self.vk_weight(b) < self.vk_weight(a) {
                b
            } else {
                a
            };
            let ok = match op {
                Cmp::Eq | Cmp::Ne => true,
                Cmp::Lt | Cmp::Le | Cmp::Gt | Cmp::Ge => !cov::ord_consts(vk).is_empty(),
                _ => true,
            };
            if ok {
                return vk;
            }
        }
    }
    pub(super) fn vk_weight(&self, vk: V) -> u64 {
        let cks: Vec<C> = C::ALL
            .iter()
            .copied()
            .filter(|c| cov::valid_pair(*c, vk))
            .collect();
        let total: u64 = cks.iter().map(|c| self.cov.pair_count(*c, vk)).sum();
        total / cks.len().max(1) as u64
    }
    /// Any comparison that fits the source.
    pub fn compare(&mut self, cx: &mut Cx, s: Src) -> E {
        if s.vk == V::FListRec {
            return if self.coin(3) {
                let op = if self.coin(2) { Op::Eq } else { Op::Ne };
                self.mark(cx, if op == Op::Eq { Form::Eq } else { Form::Ne });
                self.cov.pair(C::Null, V::FListRec);
                E::bin(s.e, op, name("null"))
            } else {
                self.len_of(cx, s)
            };
        }
        let vk = s.vk;
        let mut ops = vec![Cmp::Eq, Cmp::Ne];
        if !cov::ord_consts(vk).is_empty() {
            ops.extend([Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge]);
        }
        if !cov::in_consts(vk).is_empty() && !cx.cheap {
            ops.extend([Cmp::In, Cmp::NotIn]);
        }
        if !cov::has_consts(vk).is_empty() && !cx.cheap {
            ops.extend([Cmp::Has, Cmp::Has]);
        }
        if !cov::str_consts(vk).is_empty() {
            ops.extend([
                Cmp::StartsWith,
                Cmp::EndsWith,
                Cmp::StrContains,
                Cmp::Matches,
            ]);
        }
        let op = *self.rng.pick(&ops);
        self.compare_op(cx, s, op)
    }
    /// The comparison `s OP constant`.
    pub fn compare_op(&mut self, cx: &mut Cx, s: Src, op: Cmp) -> E {
        let vk = s.vk;
        match op {
            Cmp::Eq | Cmp::Ne | Cmp::Lt | Cmp::Le | Cmp::Gt | Cmp::Ge => {
                if self.coin(10) && !cx.cheap {
                    return self.field_field(cx, s);
                }
                if self.coin(6) {
                    return self.const_left(cx, s, op);
                }
                let cks = if matches!(op, Cmp::Eq | Cmp::Ne) {
                    cov::eq_consts(vk)
                } else {
                    cov::ord_consts(vk)
                };
                if cks.is_empty() {
                    return self.compare(cx, s);
                }
                let ck = self.pick_ck(s.vk, &cks);
                let c = self.konst(cx, ck, vk, s.set, false);
                self.mark_op(cx, op, ck, false);
                build(s.e, op, c)
            }
            Cmp::In | Cmp::NotIn => {
                let net = self.coin(2);
                self.in_const(cx, s, op, net)
            }
            Cmp::Has => {
                let infield = self.coin(2);
                self.has(cx, s, infield)
            }
            Cmp::StartsWith | Cmp::EndsWith | Cmp::StrContains => {
                let c = self.konst(cx, C::Str, vk, None, false);
                self.mark_op(cx, op, C::Str, false);
                build(s.e, op, c)
            }
            Cmp::Matches => {
                self.mark(cx, Form::Matches);
                self.cov.pair(C::Str, vk);
                let regex_lets: Vec<usize> = (0..cx.lets)
                    .filter(|i| self.st.lets[*i].kind == LetKind::Regex)
                    .collect();
                let re = if !regex_lets.is_empty() && self.coin(3) {
                    let i = *self.rng.pick(&regex_lets);
                    self.let_used(cx, i);
                    self.mark(cx, Form::LetConst);
                    name(&self.st.lets[i].name)
                } else {
                    self.lit(C::Str, Ctx::Regex)
                };
                E::bin(s.e, Op::Matches, re)
            }
        }
    }
    /// Records the form of a comparison with a constant.
    pub(super) fn mark_op(&mut self, cx: &Cx, op: Cmp, ck: C, via_let: bool) {
        let net = is_net(ck);
        let f = match op {
            Cmp::Eq => Form::Eq,
            Cmp::Ne => Form::Ne,
            Cmp::Lt => Form::Lt,
            Cmp::Le => Form::Le,
            Cmp::Gt => Form::Gt,
            Cmp::Ge => Form::Ge,
            Cmp::In if net => Form::InNet,
            Cmp::NotIn if net => Form::NotInNet,
            Cmp::In if via_let => Form::InLetList,
            Cmp::NotIn if via_let => Form::InLetList,
            Cmp::In => Form::InList,
            Cmp::NotIn => Form::NotInList,
            Cmp::Has => Form::InField,
            Cmp::StartsWith => Form::StartsWith,
            Cmp::EndsWith => Form::EndsWith,
            Cmp::StrContains => Form::StrContains,
            Cmp::Matches => Form::Matches,
        };
        self.mark(cx, f);
    }
    /// `s in CONST` / `s not in CONST`, with an address set when `net`.
    pub(super) fn in_const(&mut self, cx: &mut Cx, s: Src, op: Cmp, net: bool) -> E {
        let all = cov::in_consts(s.vk);
        let want: Vec<C> = all.iter().copied().filter(|c| is_net(*c) == net).collect();
        let cks = if want.is_empty() { all } else { want };
        if cks.is_empty() {
            return self.compare(cx, s);
        }
        let ck = self.pick_ck(s.vk, &cks);
        let c = self.konst(cx, ck, s.vk, s.set, is_net(ck));
        let via_let = matches!(c, E::Name(_));
        self.mark_op(cx, op, ck, via_let);
        build(s.e, op, c)
    }
    /// `x in LET` for a `let` holding a list constant.
    pub(super) fn in_let_list(&mut self, cx: &mut Cx) -> E {
        let lists: Vec<usize> = (0..cx.lets)
            .filter(|i| match self.st.lets[*i].kind {
                LetKind::Const(ck, _, _) => is_list(ck),
                LetKind::Factors => true,
                _ => false,
            })
            .collect();
        if lists.is_empty() {
            return self.atom(cx);
        }
        let i = *self.rng.pick(&lists);
        let (ck, vk, set) = match self.st.lets[i].kind {
            LetKind::Const(ck, vk, set) => (ck, vk, set),
            _ => (C::ListStrN, V::FStr, None),
        };
        // A needle of a kind that fits the list's elements.
        let needles: Vec<V> = V::ALL
            .iter()
            .copied()
            .filter(|v| cov::in_consts(*v).contains(&ck))
            .collect();
        let mut nk = if needles.contains(&vk) && !self.coin(3) {
            vk
        } else {
            *self.rng.pick(&needles)
        };
        if set.is_some() {
            nk = vk;
        }
        let s = match set {
            Some(set) => match self.src_with_set(cx, nk, set) {
                Some(s) => s,
                None => return self.atom(cx),
            },
            None => self.src(cx, nk),
        };
        if s.set != set {
            return self.atom(cx);
        }
        self.let_used(cx, i);
        self.mark(cx, Form::LetConst);
        self.cov.pair(ck, s.vk);
        let op = if self.coin(3) { Cmp::NotIn } else { Cmp::In };
        self.mark_op(cx, op, ck, true);
        build(s.e, op, name(&self.st.lets[i].name))
    }
    /// `CONST in LIST` (when `infield`) or `LIST contains CONST`.
    pub(super) fn has(&mut self, cx: &mut Cx, s: Src, infield: bool) -> E {
        let cks = cov::has_consts(s.vk);
        if cks.is_empty() {
            return self.compare(cx, s);
        }
        let ck = self.pick_ck(s.vk, &cks);
        let set = match s.elem {
            Some(Elem::Val(_, set)) => set,
            _ => None,
        };
        let c = self.konst(cx, ck, s.vk, set, false);
        // `contains` on a dynamic value takes a string (substring) or
        // looks a value up; the checker refuses a boolean there.
        let infield = infield || (s.vk == V::Dyn && ck != C::Str);
        if s.split {
            self.mark(cx, Form::InSplit);
        }
        if infield {
            self.mark(cx, Form::InField);
            let op = if self.coin(4) { Op::NotIn } else { Op::In };
            E::bin(c, op, s.e)
        } else {
            self.mark(cx, Form::ListContains);
            E::bin(s.e, Op::Contains, c)
        }
    }
    pub(super) fn field_field(&mut self, cx: &mut Cx, a: Src) -> E {
        if matches!(
            a.vk,
            V::FListRec | V::FListStr | V::FListEnum | V::DListStr | V::DListInt | V::DListCidr
        ) {
            return self.compare(cx, a);
        }
        // Records compare by name with a string, never with each other.
        let bk = if a.vk == V::FByName { V::FStr } else { a.vk };
        let b = self.src(cx, bk);
        self.mark(cx, Form::FieldField);
        let ords = !cov::ord_consts(a.vk).is_empty();
        let op = if ords && self.coin(2) {
            *self.rng.pick(&[Op::Lt, Op::Le, Op::Gt, Op::Ge])
        } else if self.coin(2) {
            Op::Eq
        } else {
            Op::Ne
        };
        self.mark(cx, op_form(op));
        E::bin(a.e, op, b.e)
    }
    pub(super) fn const_left(&mut self, cx: &mut Cx, s: Src, op: Cmp) -> E {
        let cks = if matches!(op, Cmp::Eq | Cmp::Ne) {
            cov::eq_consts(s.vk)
        } else {
            cov::ord_consts(s.vk)
        };
        if cks.is_empty() {
            return self.compare(cx, s);
        }
        let ck = self.pick_ck(s.vk, &cks);
        let c = self.konst(cx, ck, s.vk, s.set, false);
        self.mark(cx, Form::ConstLeft);
        self.mark_op(cx, op, ck, false);
        build(c, op, s.e)
    }
    pub(super) fn exists(&mut self, cx: &mut Cx) -> E {
        self.mark(cx, Form::Exists);
        let arg = match self.rng.below(6) {
            0 => name(self.pick_s(&[
                "organization",
                "authentication.riskAssessment",
                "user.last_password_reset",
                "transaction",
                "user.multifactor",
                "user.app_metadata",
                "organization.metadata",
                "user.user_metadata",
                "client.metadata",
                "request.query",
            ])),
            1 => self.dyn_src(cx).e,
            2 => {
                let s = self.str_fn(cx, "lower");
                s.e
            }
            _ => {
                let vk = *self.rng.pick(V::ALL);
                self.src(cx, vk).e
            }
        };
        E::Call("exists", vec![arg])
    }
    pub(super) fn len_of(&mut self, cx: &mut Cx, s: Src) -> E {
        self.mark(cx, Form::LenList);
        let len = Src::new(E::Call("len", vec![s.e]), V::FInt);
        self.compare_num(cx, len)
    }
    pub(super) fn len_of_str(&mut self, cx: &mut Cx, s: Src) -> E {
        self.mark(cx, Form::LenString);
        let len = Src::new(E::Call("len", vec![s.e]), V::FInt);
        self.compare_num(cx, len)
    }
    pub(super) fn compare_num(&mut self, cx: &mut Cx, s: Src) -> E {
        let op = *self.rng.pick(NUM_CMPS);
        self.compare_op(cx, s, op)
    }
}

/// The comparisons a number takes.
pub(super) const NUM_CMPS: &[Cmp] = &[
    Cmp::Eq,
    Cmp::Ne,
    Cmp::Lt,
    Cmp::Le,
    Cmp::Gt,
    Cmp::Ge,
    Cmp::In,
];

pub fn build(a: E, op: Cmp, b: E) -> E {
    match op {
        Cmp::Eq => E::bin(a, Op::Eq, b),
        Cmp::Ne => E::bin(a, Op::Ne, b),
        Cmp::Lt => E::bin(a, Op::Lt, b),
        Cmp::Le => E::bin(a, Op::Le, b),
        Cmp::Gt => E::bin(a, Op::Gt, b),
        Cmp::Ge => E::bin(a, Op::Ge, b),
        Cmp::In => E::bin(a, Op::In, b),
        Cmp::NotIn => E::bin(a, Op::NotIn, b),
        Cmp::Has => E::bin(b, Op::In, a),
        Cmp::StartsWith => E::bin(a, Op::StartsWith, b),
        Cmp::EndsWith => E::bin(a, Op::EndsWith, b),
        Cmp::StrContains => E::bin(a, Op::Contains, b),
        Cmp::Matches => E::bin(a, Op::Matches, b),
    }
}

pub fn ops_for_const(ck: C, vk: V) -> Vec<Cmp> {
    let mut ops = Vec::new();
    if cov::eq_consts(vk).contains(&ck) {
        ops.extend([Cmp::Eq, Cmp::Ne]);
    }
    if cov::ord_consts(vk).contains(&ck) {
        ops.extend([Cmp::Lt, Cmp::Ge]);
    }
    if cov::in_consts(vk).contains(&ck) {
        ops.extend([Cmp::In, Cmp::NotIn]);
    }
    if cov::str_consts(vk).contains(&ck) {
        ops.extend([Cmp::StartsWith, Cmp::EndsWith, Cmp::StrContains]);
    }
    ops
}
