//! Type-directed generation of conditions: a value of a wanted kind comes
//! from typed productions (fields, shorthands, declared and undeclared
//! metadata, quantifier variables, `let`s, functions, indexing), and each
//! comparison draws a constant the checker accepts beside it.

use super::ast::{Ctx, Lit, Op, E};
use super::consts::*;
use super::cov::{self, ConstKind as C, Form, Pos, ValueKind as V};
use super::{Gen, LetKind};

pub type Set = &'static [&'static str];

/// What a quantifier variable holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Elem {
    Rec(Rec),
    Val(V, Option<Set>),
}

/// Records of the lists quantifiers range over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rec {
    Method,
    Factor,
    Identity,
    Client,
}

/// A non-constant operand and what it is.
#[derive(Clone, Debug)]
pub struct Src {
    pub e: E,
    pub vk: V,
    pub set: Option<Set>,
    /// For a list: what its elements are.
    pub elem: Option<Elem>,
    /// A `split(...)` result.
    pub split: bool,
}

impl Src {
    pub fn new(e: E, vk: V) -> Src {
        Src {
            e,
            vk,
            set: None,
            elem: None,
            split: false,
        }
    }
    pub fn set(mut self, s: Set) -> Src {
        self.set = Some(s);
        self
    }
    pub fn elem(mut self, el: Elem) -> Src {
        self.elem = Some(el);
        self
    }
}

/// Where generation is.
#[derive(Clone, Debug)]
pub struct Cx {
    pub pos: Pos,
    pub scope: Vec<(String, Elem)>,
    /// `let`s with an index below this may be referred to.
    pub lets: usize,
    /// Inside a quantifier nested in another: only comparisons of the
    /// variable without list operations, so the checker's cost bound (a
    /// list from the event counts as 100 elements) holds.
    pub cheap: bool,
}

fn name(s: &str) -> E {
    E::Name(s.to_string())
}

/// Comparison operators `compare` chooses from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    /// `CONST in LIST` / `LIST contains CONST`
    Has,
    StartsWith,
    EndsWith,
    StrContains,
    Matches,
}

/// Value kinds with typed sources, for picking one at random.
const ALL_VK: &[V] = V::ALL;

const ATOMS: &[Form] = &[
    Form::Eq,
    Form::Ne,
    Form::Lt,
    Form::Le,
    Form::Gt,
    Form::Ge,
    Form::InList,
    Form::NotInList,
    Form::InLetList,
    Form::InField,
    Form::InNet,
    Form::NotInNet,
    Form::InSplit,
    Form::StartsWith,
    Form::EndsWith,
    Form::StrContains,
    Form::Matches,
    Form::ListContains,
    Form::Exists,
    Form::LenList,
    Form::LenString,
    Form::Lower,
    Form::Trim,
    Form::Split,
    Form::Index0,
    Form::IndexPast,
    Form::IndexKey,
    Form::Now,
    Form::NowMinus,
    Form::TsPlusDur,
    Form::TsMinusTs,
    Form::ShIp,
    Form::ShCountry,
    Form::ShContinent,
    Form::ShEmail,
    Form::ShRoles,
    Form::ShConnection,
    Form::ShOrganization,
    Form::ShClient,
    Form::BoolField,
    Form::DeclaredBoolCond,
    Form::DynamicCond,
    Form::BoolLiteral,
    Form::LetBool,
    Form::LetConst,
    Form::LetComputed,
    Form::RecordNull,
    Form::FieldField,
    Form::ConstLeft,
    Form::QuantVar,
    Form::QuantVarField,
];

const COMPOUND: &[Form] = &[
    Form::And,
    Form::Or,
    Form::Not,
    Form::Paren,
    Form::Any,
    Form::All,
];

impl Gen {
    pub(super) fn mark(&mut self, cx: &Cx, f: Form) {
        self.cov.form(f, cx.pos);
    }

    pub(super) fn coin(&mut self, n: usize) -> bool {
        self.rng.below(n) == 0
    }

    pub(super) fn pick_s(&mut self, v: &[&'static str]) -> &'static str {
        v[self.rng.below(v.len())]
    }

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

    /// A form for a position: the less generated of two random picks.
    fn pick_form(&mut self, pos: Pos, forms: &[Form]) -> Form {
        let a = *self.rng.pick(forms);
        let b = *self.rng.pick(forms);
        if self.cov.form_count(b, pos) < self.cov.form_count(a, pos) {
            b
        } else {
            a
        }
    }

    // ---- conditions ----

    /// A condition (type `bool`) of at most `depth` levels of `and`, `or`,
    /// `not`, parentheses and quantifiers.
    pub fn cond(&mut self, cx: &mut Cx, depth: u32) -> E {
        if cx.cheap {
            return self.local_atom(cx);
        }
        if depth == 0 || self.rng.below(5) < 2 {
            return self.atom(cx);
        }
        let form = self.pick_form(cx.pos, COMPOUND);
        self.mark(cx, form);
        match form {
            Form::And | Form::Or => {
                let n = 2 + self.rng.below(2);
                let op = if form == Form::And { Op::And } else { Op::Or };
                let mut e = self.cond(cx, depth - 1);
                for _ in 1..n {
                    let b = self.cond(cx, depth - 1);
                    e = E::bin(e, op, b);
                }
                e
            }
            Form::Not => E::Not(Box::new(self.cond(cx, depth - 1))),
            Form::Paren => E::Paren(Box::new(self.cond(cx, depth - 1))),
            _ => self.quant(cx, form == Form::All, depth - 1),
        }
    }

    fn quant(&mut self, cx: &mut Cx, all: bool, depth: u32) -> E {
        if cx.pos == Pos::QuantBody {
            self.mark(cx, Form::QuantNested);
        }
        let list = self.quant_list(cx);
        let var = format!("q{}", self.st.vars);
        self.st.vars += 1;
        let elem = list.elem.unwrap_or(Elem::Val(V::FStr, None));
        let mut inner = Cx {
            pos: Pos::QuantBody,
            scope: cx.scope.clone(),
            lets: cx.lets,
            cheap: cx.pos == Pos::QuantBody,
        };
        inner.scope.push((var.clone(), elem));
        let body = if self.coin(2) {
            self.local_atom(&mut inner)
        } else {
            self.cond(&mut inner, depth)
        };
        // Keep the body bool-typed and using the variable most of the time.
        E::Quant {
            all,
            var,
            list: Box::new(list.e),
            body: Box::new(body),
        }
    }

    /// The list a quantifier ranges over.
    fn quant_list(&mut self, cx: &mut Cx) -> Src {
        let choice = self.rng.below(7);
        let list_lets: Vec<usize> = (0..cx.lets)
            .filter(|i| match self.st.lets[*i].kind {
                LetKind::Const(ck, _, None) => {
                    matches!(ck, C::ListEmpty | C::ListStr1 | C::ListStrN)
                }
                LetKind::Split | LetKind::Factors => true,
                _ => false,
            })
            .collect();
        match choice {
            0 | 1 => {
                self.mark(cx, Form::QuantRecords);
                self.record_list(cx)
            }
            2 => {
                self.mark(cx, Form::QuantStrings);
                let vk = *self.rng.pick(&[V::FListStr, V::FListEnum, V::DListStr]);
                self.src(cx, vk)
            }
            3 => {
                self.mark(cx, Form::QuantSplit);
                self.split_src(cx)
            }
            4 if !list_lets.is_empty() => {
                self.mark(cx, Form::QuantLet);
                let i = *self.rng.pick(&list_lets);
                self.let_used(cx, i);
                let mut s = Src::new(name(&self.st.lets[i].name), V::FListStr)
                    .elem(Elem::Val(V::FStr, None));
                s.split = self.st.lets[i].kind == LetKind::Split;
                s
            }
            5 => {
                self.mark(cx, Form::QuantLiteral);
                let ck = *self.rng.pick(&[C::ListEmpty, C::ListStr1, C::ListStrN]);
                let e = self.lit(ck, Ctx::Val(V::FStr, None));
                Src::new(e, V::FListStr).elem(Elem::Val(V::FStr, None))
            }
            _ => {
                self.mark(cx, Form::QuantDynamic);
                let s = self.dyn_src(cx);
                s.elem(Elem::Val(V::Dyn, None))
            }
        }
    }

    fn record_list(&mut self, _cx: &mut Cx) -> Src {
        let (p, r) = *self.rng.pick(&[
            ("authentication.methods", Rec::Method),
            ("authentication.methods", Rec::Method),
            ("user.enrolledFactors", Rec::Factor),
            ("user.identities", Rec::Identity),
            ("session.clients", Rec::Client),
        ]);
        Src::new(name(p), V::FListRec).elem(Elem::Rec(r))
    }

    /// An atom that reads a quantifier variable in scope.
    fn local_atom(&mut self, cx: &mut Cx) -> E {
        let s = self.local_src(cx, None);
        match s {
            Some(s) => self.compare(cx, s),
            None => self.atom(cx),
        }
    }

    /// One comparison or other bool-typed leaf.
    pub fn atom(&mut self, cx: &mut Cx) -> E {
        if !cx.scope.is_empty() && self.coin(3) {
            return self.local_atom(cx);
        }
        if self.coin(4) && !cx.cheap {
            return self.pair_atom(cx);
        }
        let form = self.pick_form(cx.pos, ATOMS);
        match form {
            Form::Eq | Form::Ne | Form::Lt | Form::Le | Form::Gt | Form::Ge => {
                let op = match form {
                    Form::Eq => Cmp::Eq,
                    Form::Ne => Cmp::Ne,
                    Form::Lt => Cmp::Lt,
                    Form::Le => Cmp::Le,
                    Form::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                let vk = self.vk_for(op);
                let s = self.src(cx, vk);
                self.compare_op(cx, s, op)
            }
            Form::InList | Form::NotInList => {
                let vk = *self.rng.pick(&[
                    V::FStr,
                    V::FEnum,
                    V::FByName,
                    V::DStr,
                    V::FInt,
                    V::DInt,
                    V::FFloat,
                    V::DFloat,
                    V::Dyn,
                ]);
                let s = self.src(cx, vk);
                let op = if form == Form::InList {
                    Cmp::In
                } else {
                    Cmp::NotIn
                };
                self.in_const(cx, s, op, false)
            }
            Form::InNet | Form::NotInNet => {
                let vk = *self.rng.pick(&[V::FIp, V::DIp, V::Dyn]);
                let s = self.src(cx, vk);
                let op = if form == Form::InNet {
                    Cmp::In
                } else {
                    Cmp::NotIn
                };
                self.in_const(cx, s, op, true)
            }
            Form::InLetList => self.in_let_list(cx),
            Form::InField | Form::ListContains => {
                let vk = *self.rng.pick(&[
                    V::FListStr,
                    V::FListEnum,
                    V::DListStr,
                    V::DListInt,
                    V::DListCidr,
                    V::Dyn,
                ]);
                let s = self.src(cx, vk);
                self.has(cx, s, form == Form::InField)
            }
            Form::InSplit | Form::Split => {
                let s = self.split_src(cx);
                if form == Form::Split && self.coin(2) {
                    self.len_of(cx, s)
                } else {
                    self.has(cx, s, true)
                }
            }
            Form::StartsWith | Form::EndsWith | Form::StrContains | Form::Matches => {
                let op = match form {
                    Form::StartsWith => Cmp::StartsWith,
                    Form::EndsWith => Cmp::EndsWith,
                    Form::StrContains => Cmp::StrContains,
                    _ => Cmp::Matches,
                };
                let vk = *self
                    .rng
                    .pick(&[V::FStr, V::FByName, V::DStr, V::Dyn, V::FEnum]);
                let s = self.src(cx, vk);
                self.compare_op(cx, s, op)
            }
            Form::Exists => self.exists(cx),
            Form::LenList => {
                let vk = *self.rng.pick(&[
                    V::FListStr,
                    V::FListEnum,
                    V::FListRec,
                    V::DListStr,
                    V::DListInt,
                    V::Dyn,
                ]);
                let s = if self.coin(4) {
                    self.split_src(cx)
                } else {
                    self.src(cx, vk)
                };
                self.len_of(cx, s)
            }
            Form::LenString => {
                let vk = *self.rng.pick(&[V::FStr, V::DStr, V::Dyn, V::FEnum]);
                let s = self.src(cx, vk);
                self.len_of_str(cx, s)
            }
            Form::Lower | Form::Trim => {
                let s = self.str_fn(cx, if form == Form::Lower { "lower" } else { "trim" });
                self.compare(cx, s)
            }
            Form::Index0 | Form::IndexPast | Form::IndexKey => {
                let s = self.indexed(cx, form);
                self.compare(cx, s)
            }
            Form::Now | Form::NowMinus | Form::TsPlusDur | Form::TsMinusTs => {
                self.time_atom(cx, form)
            }
            Form::ShIp
            | Form::ShCountry
            | Form::ShContinent
            | Form::ShEmail
            | Form::ShRoles
            | Form::ShConnection
            | Form::ShOrganization
            | Form::ShClient => {
                let s = self.shorthand(cx, form);
                self.compare(cx, s)
            }
            Form::BoolField => {
                self.mark(cx, Form::BoolField);
                let p = self.pick_s(&[
                    "user.email_verified",
                    "user.phone_verified",
                    "refresh_token.rotating",
                    "user.identities[0].isSocial",
                ]);
                if p.contains('[') {
                    self.mark(cx, Form::Index0);
                }
                name(p)
            }
            Form::DeclaredBoolCond => {
                self.mark(cx, Form::DeclaredBoolCond);
                name(&self.declared(V::DBool))
            }
            Form::DynamicCond => {
                self.mark(cx, Form::DynamicCond);
                self.dyn_src(cx).e
            }
            Form::BoolLiteral => {
                self.mark(cx, Form::BoolLiteral);
                name(if self.coin(2) { "true" } else { "false" })
            }
            Form::LetBool => {
                let bools: Vec<usize> = (0..cx.lets)
                    .filter(|i| self.st.lets[*i].kind == LetKind::Bool)
                    .collect();
                if bools.is_empty() {
                    return self.atom(cx);
                }
                let i = *self.rng.pick(&bools);
                self.let_used(cx, i);
                name(&self.st.lets[i].name)
            }
            Form::LetConst => {
                let consts: Vec<usize> = (0..cx.lets)
                    .filter(|i| matches!(self.st.lets[*i].kind, LetKind::Const(..)))
                    .collect();
                if consts.is_empty() {
                    return self.atom(cx);
                }
                let i = *self.rng.pick(&consts);
                let LetKind::Const(ck, vk, set) = self.st.lets[i].kind else {
                    unreachable!()
                };
                let mut s = self.src(cx, vk);
                if let Some(set) = set {
                    s = self.src_with_set(cx, vk, set).unwrap_or(s);
                }
                let ops = ops_for_const(ck, s.vk);
                if ops.is_empty() || s.set != set {
                    return self.atom(cx);
                }
                let op = *self.rng.pick(&ops);
                self.let_used(cx, i);
                self.cov.pair(ck, s.vk);
                let c = name(&self.st.lets[i].name);
                self.mark_op(cx, op, ck, true);
                build(s.e, op, c)
            }
            Form::LetComputed => {
                let comp: Vec<usize> = (0..cx.lets)
                    .filter(|i| matches!(self.st.lets[*i].kind, LetKind::Src(..) | LetKind::Split))
                    .collect();
                if comp.is_empty() {
                    return self.atom(cx);
                }
                let i = *self.rng.pick(&comp);
                let s = self.let_src(cx, i);
                self.compare(cx, s)
            }
            Form::RecordNull => {
                self.mark(cx, Form::RecordNull);
                let p = self.pick_s(&[
                    "organization",
                    "authentication.riskAssessment",
                    "session",
                    "authentication.riskAssessment.assessments.NewDevice",
                    "user.identities[0]",
                ]);
                let op = if self.coin(2) { Op::Eq } else { Op::Ne };
                self.mark(cx, if op == Op::Eq { Form::Eq } else { Form::Ne });
                E::bin(name(p), op, name("null"))
            }
            Form::FieldField => {
                let vk =
                    *self
                        .rng
                        .pick(&[V::FStr, V::FIp, V::FTs, V::FInt, V::Dyn, V::DStr, V::FEnum]);
                let a = self.src(cx, vk);
                self.field_field(cx, a)
            }
            Form::ConstLeft => {
                let op = *self.rng.pick(&[Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Ge]);
                let vk = self.vk_for(op);
                let s = self.src(cx, vk);
                self.const_left(cx, s, op)
            }
            Form::QuantVar | Form::QuantVarField => self.atom(cx),
            _ => self.atom(cx),
        }
    }

    /// A comparison aimed at a rarely generated (constant, value) cell: the
    /// least generated of three random valid cells.
    fn pair_atom(&mut self, cx: &mut Cx) -> E {
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
    fn vk_for(&mut self, op: Cmp) -> V {
        loop {
            // The less covered of two picks (mean count over its cells).
            let a = *self.rng.pick(ALL_VK);
            let b = *self.rng.pick(ALL_VK);
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

    fn vk_weight(&self, vk: V) -> u64 {
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
    fn mark_op(&mut self, cx: &Cx, op: Cmp, ck: C, via_let: bool) {
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
    fn in_const(&mut self, cx: &mut Cx, s: Src, op: Cmp, net: bool) -> E {
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
    fn in_let_list(&mut self, cx: &mut Cx) -> E {
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
    fn has(&mut self, cx: &mut Cx, s: Src, infield: bool) -> E {
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

    fn field_field(&mut self, cx: &mut Cx, a: Src) -> E {
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

    fn const_left(&mut self, cx: &mut Cx, s: Src, op: Cmp) -> E {
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

    fn exists(&mut self, cx: &mut Cx) -> E {
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
            ])),
            1 => self.dyn_src(cx).e,
            2 => {
                let s = self.str_fn(cx, "lower");
                s.e
            }
            _ => {
                let vk = *self.rng.pick(ALL_VK);
                self.src(cx, vk).e
            }
        };
        E::Call("exists", vec![arg])
    }

    fn len_of(&mut self, cx: &mut Cx, s: Src) -> E {
        self.mark(cx, Form::LenList);
        let len = Src::new(E::Call("len", vec![s.e]), V::FInt);
        self.compare_num(cx, len)
    }

    fn len_of_str(&mut self, cx: &mut Cx, s: Src) -> E {
        self.mark(cx, Form::LenString);
        let len = Src::new(E::Call("len", vec![s.e]), V::FInt);
        self.compare_num(cx, len)
    }

    fn compare_num(&mut self, cx: &mut Cx, s: Src) -> E {
        let op = *self.rng.pick(&[
            Cmp::Eq,
            Cmp::Ne,
            Cmp::Lt,
            Cmp::Le,
            Cmp::Gt,
            Cmp::Ge,
            Cmp::In,
        ]);
        self.compare_op(cx, s, op)
    }

    fn time_atom(&mut self, cx: &mut Cx, form: Form) -> E {
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
    fn duration(&mut self, cx: &mut Cx, vk: V) -> E {
        let cks = cov::arith_consts(vk);
        let ck = self.pick_ck(vk, &cks);
        self.konst(cx, ck, vk, None, false)
    }

    // ---- constants ----

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
                    let (re, _) = *self.rng.pick(REGEXES);
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

/// `a OP b` for a comparison.
fn build(a: E, op: Cmp, b: E) -> E {
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

fn op_form(op: Op) -> Form {
    match op {
        Op::Eq => Form::Eq,
        Op::Ne => Form::Ne,
        Op::Lt => Form::Lt,
        Op::Le => Form::Le,
        Op::Gt => Form::Gt,
        _ => Form::Ge,
    }
}

/// The operators a constant of kind `ck` can take beside a value of kind `vk`.
fn ops_for_const(ck: C, vk: V) -> Vec<Cmp> {
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

pub fn is_net(ck: C) -> bool {
    matches!(
        ck,
        C::Ip4
            | C::Ip6
            | C::IpMapped
            | C::Cidr0
            | C::Cidr8
            | C::Cidr24
            | C::Cidr32
            | C::Cidr128
            | C::Cidr6
            | C::CidrMapped
            | C::NetsNested
            | C::NetsDisjoint
            | C::NetsHalves
            | C::NetsMixed
            | C::ListAddr
    )
}

pub fn is_list(ck: C) -> bool {
    matches!(
        ck,
        C::NetsNested
            | C::NetsDisjoint
            | C::NetsHalves
            | C::NetsMixed
            | C::ListEmpty
            | C::ListStr1
            | C::ListStrN
            | C::ListInt
            | C::ListAddr
    )
}
