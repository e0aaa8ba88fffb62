//! Items: `let`s of every kind, effects in every position, rules,
//! `default`, assertions.

use super::ast::{AssertItem, Ctx, Eff, FStep, Factors, GPolicy, LetItem, Lit, Mode, RuleItem, E};
use super::consts::*;
use super::cov::{self, ConstKind as C, EffectKind as K, EffectPos, Form, Pos, ValueKind as V};
use super::expr::{Cx, Elem};
use super::{Gen, LetInfo, LetKind, State};

impl Gen {
    /// A whole policy.
    pub(super) fn gen_policy(&mut self) -> GPolicy {
        self.st = State::default();
        self.pick_dyn_keys();
        self.pick_shared();
        let mut p = GPolicy {
            lets_reversed: self.rng.below(3) == 0,
            default_first: self.rng.below(2) == 0,
            ..GPolicy::default()
        };
        let n_lets = 1 + self.rng.below(self.opts.max_lets.max(1));
        for _ in 0..n_lets {
            self.gen_let();
        }
        let n_rules = 1 + self.rng.below(self.opts.max_rules.max(1));
        let mut names: Vec<String> = Vec::new();
        for i in 0..n_rules {
            // Exemptions are one effect of many; make them common enough
            // that every form reaches their conditions.
            let eff = if self.rng.below(8) == 0 {
                self.cov.effect(K::Exempt, EffectPos::Rule);
                Eff::Exempt
            } else {
                self.effect(EffectPos::Rule)
            };
            let exempt = eff == Eff::Exempt;
            let pos = |p: Pos| if exempt { Pos::Exempt } else { p };
            let mut cx = self.cx(pos(Pos::When));
            let when = self.cond(&mut cx, 3);
            let unless = if self.rng.below(3) == 0 {
                let mut cx = self.cx(pos(Pos::Unless));
                Some(self.cond(&mut cx, 2))
            } else {
                None
            };
            let name = if self.rng.below(6) == 0 {
                None
            } else {
                let special = ["enroll", "ip", "challenge", "then", "exempt"][self.rng.below(5)];
                let n = if self.rng.below(8) == 0 && !names.iter().any(|x| x == special) {
                    special.to_string()
                } else {
                    format!("r{i}")
                };
                names.push(n.clone());
                Some(n)
            };
            p.rules.push(RuleItem {
                name,
                eff,
                when,
                unless,
            });
        }
        if self.rng.below(4) == 0 {
            self.cov.effect(K::NoDefault, EffectPos::Default);
        } else {
            p.default = Some(self.effect(EffectPos::Default));
        }
        if self.opts.asserts {
            for i in 0..self.rng.below(4) {
                let (mode, pos) = match self.rng.below(3) {
                    0 => (Mode::Exactly, EffectPos::AssertExactly),
                    1 => (Mode::AtLeast, EffectPos::AssertAtLeast),
                    _ => (Mode::Never, EffectPos::AssertNever),
                };
                let eff = self.effect(pos);
                let mut cx = self.cx(Pos::Assert);
                let when = self.cond(&mut cx, 3);
                p.asserts.push(AssertItem {
                    name: format!("a{i}"),
                    mode,
                    eff,
                    when,
                });
            }
        }
        self.finish(&mut p);
        p
    }

    /// Copies the `let`s and `declare`s made so far into the policy.
    pub(super) fn finish(&mut self, p: &mut GPolicy) {
        p.declares = self.st.declares.clone();
        p.lets = self
            .st
            .lets
            .iter()
            .map(|l| LetItem {
                name: l.name.clone(),
                body: l.body.clone(),
                factors: l.kind == LetKind::Factors,
            })
            .collect();
    }

    /// A context at a position that sees every `let`.
    pub(super) fn cx(&self, pos: Pos) -> Cx {
        Cx {
            pos,
            scope: Vec::new(),
            lets: self.st.lets.len(),
            cheap: false,
        }
    }

    fn push_let(&mut self, body: E, kind: LetKind) -> usize {
        let name = format!("l{}", self.st.lets.len());
        self.st.lets.push(LetInfo { name, kind, body });
        self.st.lets.len() - 1
    }

    /// One `let` of a random kind; it may refer to the `let`s before it.
    fn gen_let(&mut self) {
        let mut cx = Cx {
            pos: Pos::Let,
            scope: Vec::new(),
            lets: self.st.lets.len(),
            cheap: false,
        };
        match self.rng.below(13) {
            0..=2 => {
                // A `let` testing membership in an earlier list `let` needs
                // such a `let` before it: rare, so made on purpose until the
                // coverage cell has a few.
                let list_before = self.st.lets.iter().any(|l| match l.kind {
                    LetKind::Const(ck, _, _) => super::expr::is_list(ck),
                    LetKind::Factors => true,
                    _ => false,
                });
                let body = if list_before && self.cov.form_count(Form::InLetList, Pos::Let) < 8 {
                    self.in_let_list(&mut cx)
                } else {
                    self.cond(&mut cx, 2)
                };
                self.push_let(body, LetKind::Bool);
            }
            3 | 4 => {
                // A constant for some value kind.
                let vk = loop {
                    let vk = *self.rng.pick(V::ALL);
                    if vk != V::FListRec {
                        break vk;
                    }
                };
                let set = match vk {
                    V::FEnum => Some(*self.rng.pick(&[COUNTRIES, CONTINENTS, PROTOCOLS])),
                    _ => None,
                };
                let mut cks = cov::eq_consts(vk);
                cks.extend(cov::in_consts(vk));
                cks.extend(cov::ord_consts(vk));
                cks.retain(|c| *c != C::Null);
                if cks.is_empty() {
                    return;
                }
                let ck = *self.rng.pick(&cks);
                let body = self.lit(ck, Ctx::Val(vk, set));
                self.push_let(body, LetKind::Const(ck, vk, set));
            }
            5 => {
                let body = self.lit(C::Str, Ctx::Regex);
                self.push_let(body, LetKind::Regex);
            }
            6 => {
                self.new_factor_let();
            }
            7 => {
                let s = self.split_src(&mut cx);
                self.push_let(s.e, LetKind::Split);
            }
            8 => {
                let f = if self.rng.below(2) == 0 {
                    "lower"
                } else {
                    "trim"
                };
                let s = self.str_fn(&mut cx, f);
                self.push_let(s.e, LetKind::Src(V::FStr, None, None));
            }
            9 => {
                let vk = *self.rng.pick(&[V::FInt, V::FInt]);
                let s = self.src(&mut cx, vk);
                if let E::Call("len", _) = s.e {
                    self.push_let(s.e, LetKind::Src(V::FInt, None, None));
                } else {
                    let l = self.src(&mut cx, V::FListStr);
                    self.mark(&cx, Form::LenList);
                    self.push_let(E::Call("len", vec![l.e]), LetKind::Src(V::FInt, None, None));
                }
            }
            10 => {
                // A list read from the event.
                let vk = *self
                    .rng
                    .pick(&[V::FListStr, V::FListEnum, V::DListStr, V::Dyn]);
                let s = self.src(&mut cx, vk);
                let elem = s.elem.or(Some(Elem::Val(V::FStr, None)));
                self.push_let(s.e, LetKind::Src(s.vk, s.set, elem));
            }
            11 => {
                self.mark(&cx, Form::NowMinus);
                self.mark(&cx, Form::Now);
                let ck = *self.rng.pick(&cov::arith_consts(V::FTs));
                let d = self.lit(ck, Ctx::Val(V::FTs, None));
                let body = E::bin(E::Name("now".into()), super::ast::Op::Sub, d);
                self.push_let(body, LetKind::Src(V::FTs, None, None));
            }
            _ => {
                // A `let` naming another `let`.
                if self.st.lets.is_empty() {
                    let body = self.cond(&mut cx, 1);
                    self.push_let(body, LetKind::Bool);
                    return;
                }
                let i = self.rng.below(self.st.lets.len());
                self.let_used(&mut cx, i);
                // `using factors` takes a `let` holding a literal list, not
                // a name for one: an alias of factors is just a list.
                let kind = match self.st.lets[i].kind {
                    LetKind::Factors => LetKind::Const(C::ListStrN, V::FStr, None),
                    k => k,
                };
                let body = E::Name(self.st.lets[i].name.clone());
                self.push_let(body, kind);
            }
        }
    }

    /// A new `let` holding a list of enrollable factors.
    fn new_factor_let(&mut self) -> usize {
        let n = 1 + self.rng.below(3);
        let mut fs: Vec<&'static str> = Vec::new();
        while fs.len() < n {
            let f = *self.rng.pick(ENROLLABLE);
            if !fs.contains(&f) {
                fs.push(f);
            }
        }
        let body = E::List(
            fs.iter()
                .map(|f| {
                    E::Lit(Lit {
                        text: format!("\"{f}\""),
                        kind: C::Str,
                        ctx: Ctx::Factor,
                    })
                })
                .collect(),
        );
        self.push_let(body, LetKind::Factors)
    }

    fn factor_let(&mut self) -> String {
        let existing: Vec<usize> = (0..self.st.lets.len())
            .filter(|i| self.st.lets[*i].kind == LetKind::Factors)
            .collect();
        let i = if existing.is_empty() || self.rng.below(4) == 0 {
            self.new_factor_let()
        } else {
            *self.rng.pick(&existing)
        };
        self.st.lets[i].name.clone()
    }

    /// A factor list for one step; counts its effect kind.
    fn step(&mut self, enroll: bool, first: bool, pos: EffectPos) -> FStep {
        let choice = self.rng.below(3);
        let pool = if enroll { ENROLLABLE } else { FACTORS };
        let factors = match choice {
            0 => {
                if first {
                    self.cov
                        .effect(if enroll { K::EnrollLet } else { K::FactorsLet }, pos);
                }
                Factors::Let(self.factor_let())
            }
            1 => {
                if first {
                    self.cov
                        .effect(if enroll { K::EnrollOne } else { K::FactorsOne }, pos);
                }
                Factors::Lit(vec![*self.rng.pick(pool)])
            }
            _ => {
                if first {
                    self.cov.effect(
                        if enroll {
                            K::EnrollMany
                        } else {
                            K::FactorsMany
                        },
                        pos,
                    );
                }
                let n = 2 + self.rng.below(3);
                let mut v: Vec<&'static str> = Vec::new();
                while v.len() < n {
                    let f = *self.rng.pick(pool);
                    if !v.contains(&f) {
                        v.push(f);
                    }
                }
                Factors::Lit(v)
            }
        };
        FStep { enroll, factors }
    }

    /// An effect allowed at `pos`, counted.
    pub(super) fn effect(&mut self, pos: EffectPos) -> Eff {
        let k = loop {
            let k = *self.rng.pick(K::ALL);
            if k.allowed_at(pos) && k != K::NoDefault {
                break k;
            }
        };
        match k {
            K::Require | K::RequireAny | K::RequireDuo | K::RequireGoogle | K::RequireGuardian => {
                self.cov.effect(k, pos);
                let provider = match k {
                    K::Require => None,
                    K::RequireAny => Some("any"),
                    K::RequireDuo => Some("duo"),
                    K::RequireGoogle => Some("google-authenticator"),
                    _ => Some("guardian"),
                };
                Eff::Provider {
                    provider,
                    remember: false,
                }
            }
            K::RequireRemember => {
                self.cov.effect(k, pos);
                let provider = if self.rng.below(2) == 0 {
                    None
                } else {
                    Some(*self.rng.pick(PROVIDERS))
                };
                Eff::Provider {
                    provider,
                    remember: true,
                }
            }
            K::FactorsOne
            | K::FactorsMany
            | K::FactorsLet
            | K::EnrollOne
            | K::EnrollMany
            | K::EnrollLet => {
                let enroll = matches!(k, K::EnrollOne | K::EnrollMany | K::EnrollLet);
                Eff::Steps(vec![self.step(enroll, true, pos)])
            }
            K::ThenEnroll | K::ThenChallenge | K::FourSteps => {
                let n = if k == K::FourSteps {
                    4
                } else {
                    2 + self.rng.below(2)
                };
                let first_enroll = self.rng.below(3) == 0;
                let mut steps = vec![self.step(first_enroll, true, pos)];
                for i in 1..n {
                    let enroll = match k {
                        K::ThenEnroll if i == 1 => true,
                        K::ThenChallenge if i == 1 => false,
                        _ => self.rng.below(2) == 0,
                    };
                    self.cov.effect(
                        if enroll {
                            K::ThenEnroll
                        } else {
                            K::ThenChallenge
                        },
                        pos,
                    );
                    steps.push(self.step(enroll, false, pos));
                }
                if n == 4 {
                    self.cov.effect(K::FourSteps, pos);
                }
                Eff::Steps(steps)
            }
            K::Skip => {
                self.cov.effect(k, pos);
                Eff::Skip
            }
            K::DenyReason => {
                self.cov.effect(k, pos);
                Eff::Deny(Some(quote(self.pick_s(REASONS))))
            }
            K::DenyNoReason => {
                self.cov.effect(k, pos);
                Eff::Deny(None)
            }
            _ => {
                self.cov.effect(K::Exempt, pos);
                Eff::Exempt
            }
        }
    }
}
