//! Type-directed generation of conditions: a value of a wanted kind comes
//! from typed productions (fields, shorthands, declared and undeclared
//! metadata, quantifier variables, `let`s, functions, indexing), and each
//! comparison draws a constant the checker accepts beside it.

use super::ast::{Ctx, Op, E};
use super::cmp::{build, ops_for_const};
use super::cov::{ConstKind as C, Form, Pos, ValueKind as V};
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
    Form::IndexMember,
    Form::Shared,
    Form::FarWindow,
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
    /// A form for a position: the less generated of two random picks.
    pub(super) fn pick_form(&mut self, pos: Pos, forms: &[Form]) -> Form {
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
    pub(super) fn quant(&mut self, cx: &mut Cx, all: bool, depth: u32) -> E {
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
    pub(super) fn quant_list(&mut self, cx: &mut Cx) -> Src {
        // The less generated (at this position) of two random list kinds.
        const KINDS: [Form; 7] = [
            Form::QuantRecords,
            Form::QuantRecords,
            Form::QuantStrings,
            Form::QuantSplit,
            Form::QuantLet,
            Form::QuantLiteral,
            Form::QuantDynamic,
        ];
        let (a, b) = (self.rng.below(7), self.rng.below(7));
        let choice =
            if self.cov.form_count(KINDS[b], cx.pos) < self.cov.form_count(KINDS[a], cx.pos) {
                b
            } else {
                a
            };
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
            5 if self.coin(2) => {
                // Elements of other kinds than strings: addresses, ranges
                // and integers (the Action reads each kind its own way).
                self.mark(cx, Form::QuantLiteralTyped);
                let (ck, vk) = *self.rng.pick(&[
                    (C::ListAddr, V::FIp),
                    (C::NetsDisjoint, V::DCidr),
                    (C::NetsNested, V::DCidr),
                    (C::ListInt, V::FInt),
                ]);
                let mut e = self.lit(ck, Ctx::Val(vk, None));
                if let (E::List(items), V::FIp) = (&mut e, vk) {
                    // Addresses, so that a changed literal stays one.
                    for item in items {
                        if let E::Lit(l) = item {
                            l.kind = C::Ip4;
                        }
                    }
                }
                Src::new(e, V::FListStr).elem(Elem::Val(vk, None))
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
    pub(super) fn record_list(&mut self, _cx: &mut Cx) -> Src {
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
    pub(super) fn local_atom(&mut self, cx: &mut Cx) -> E {
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
        if self.st.shared.is_some() && self.coin(3) && !cx.cheap {
            return self.shared_atom(cx);
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
            Form::IndexMember => self.index_member(cx),
            Form::Shared => self.shared_atom(cx),
            Form::FarWindow => self.far_window(cx),
            Form::QuantVar | Form::QuantVarField => self.atom(cx),
            _ => self.atom(cx),
        }
    }
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
            | C::NetsMany
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
            | C::NetsMany
            | C::ListEmpty
            | C::ListStr1
            | C::ListStrN
            | C::ListStrMany
            | C::ListInt
            | C::ListAddr
    )
}

pub fn op_form(op: Op) -> Form {
    match op {
        Op::Eq => Form::Eq,
        Op::Ne => Form::Ne,
        Op::Lt => Form::Lt,
        Op::Le => Form::Le,
        Op::Gt => Form::Gt,
        _ => Form::Ge,
    }
}
