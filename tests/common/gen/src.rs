//! Sources of values by kind: typed fields, shorthands, indexing,
//! functions, declared and undeclared metadata, quantifier variables and
//! `let`s.

use super::ast::{Ctx, E};
use super::consts::*;
use super::cov::{ConstKind as C, Form, ValueKind as V};
use super::expr::{Cx, Elem, Rec, Set, Src};
use super::{Gen, LetKind};

fn name(s: &str) -> E {
    E::Name(s.to_string())
}

const FSTR: &[&str] = &[
    "user.email",
    "user.name",
    "user.nickname",
    "user.user_id",
    "request.hostname",
    "request.user_agent",
    "request.geoip.cityName",
    "tenant.id",
    "connection.name",
    "organization.name",
    "client.name",
    "transaction.locale",
    "authentication.riskAssessment.assessments.UntrustedIP.details.matches",
];

/// Closed-set fields: path, values, shorthand form.
const FENUM: &[(&str, Set, Option<Form>)] = &[
    ("country", COUNTRIES, Some(Form::ShCountry)),
    ("request.geoip.countryCode", COUNTRIES, None),
    ("continent", CONTINENTS, Some(Form::ShContinent)),
    ("request.geoip.continentCode", CONTINENTS, None),
    ("connection.strategy", STRATEGIES, None),
    ("transaction.protocol", PROTOCOLS, None),
    ("authentication.riskAssessment.confidence", CONFIDENCE, None),
    (
        "authentication.riskAssessment.assessments.NewDevice.confidence",
        CONFIDENCE,
        None,
    ),
    (
        "authentication.riskAssessment.assessments.NewDevice.code",
        NEW_DEVICE,
        None,
    ),
    (
        "session_transfer_token.request.geoip.countryCode",
        COUNTRIES,
        None,
    ),
    ("user.enrolledFactors[0].type", FACTORS, Some(Form::Index0)),
    (
        "authentication.methods[0].type",
        FACTORS,
        Some(Form::Index0),
    ),
];

const FLIST_ENUM: &[(&str, Set)] = &[
    ("user.multifactor", ENROLLED),
    ("transaction.response_type", RESPONSE_TYPES),
];

const FTS: &[&str] = &[
    "user.created_at",
    "user.updated_at",
    "user.last_password_reset",
    "session.authenticated_at",
    "refresh_token.expires_at",
];

const FIP: &[&str] = &[
    "request.ip",
    "session.device.last_ip",
    "session.device.initial_ip",
    "authentication.riskAssessment.assessments.UntrustedIP.details.ip",
    "session_transfer_token.request.ip",
];

const FLIST_STR: &[&str] = &[
    "authorization.roles",
    "transaction.acr_values",
    "transaction.requested_scopes",
    "transaction.ui_locales",
    "session_transfer_token.scope",
];

/// Undeclared metadata keys; each policy uses a few, so one key is read
/// in several ways (by index and by membership, as a condition and as a
/// number).
const DYN_KEYS: &[&str] = &[
    "user.app_metadata.k0",
    "user.app_metadata.k1",
    "user.user_metadata.k2",
    "organization.metadata.k3",
    "client.metadata.k4",
    "connection.metadata.k5",
    "request.query.k6",
    "user.app_metadata.k0.sub",
    "user.app_metadata[\"is-admin\"]",
    "transaction.metadata.k7",
];

impl Gen {
    /// Picks the undeclared keys of a new policy.
    pub(super) fn pick_dyn_keys(&mut self) {
        let mut keys = Vec::new();
        for _ in 0..3 {
            keys.push(*self.rng.pick(DYN_KEYS));
        }
        self.st.dyn_keys = keys;
    }

    /// A value of kind `vk`.
    pub fn src(&mut self, cx: &mut Cx, vk: V) -> Src {
        if !cx.scope.is_empty() && self.coin3() {
            if let Some(s) = self.local_src(cx, Some(vk)) {
                return s;
            }
        }
        if self.rng.below(8) == 0 {
            let lets: Vec<usize> = (0..cx.lets)
                .filter(|i| {
                    matches!(self.st.lets[*i].kind, LetKind::Src(k, _, _) if k == vk)
                        || (vk == V::FListStr && self.st.lets[*i].kind == LetKind::Split)
                })
                .collect();
            if !lets.is_empty() {
                let i = *self.rng.pick(&lets);
                return self.let_src(cx, i);
            }
        }
        match vk {
            V::FStr => match self.rng.below(9) {
                0 => self.shorthand(cx, Form::ShEmail),
                1 => self.indexed_of(cx, Form::Index0, V::FStr),
                2 => self.indexed_of(cx, Form::IndexPast, V::FStr),
                3 => self.str_fn(cx, "lower"),
                4 => self.str_fn(cx, "trim"),
                _ => Src::new(name(self.pick_s2(FSTR)), V::FStr),
            },
            V::FEnum => {
                let (p, set, f) = *self.rng.pick(FENUM);
                if let Some(f) = f {
                    self.mark(cx, f);
                }
                Src::new(name(p), V::FEnum).set(set)
            }
            V::FByName => {
                let f = *self
                    .rng
                    .pick(&[Form::ShConnection, Form::ShOrganization, Form::ShClient]);
                self.shorthand(cx, f)
            }
            V::FInt => match self.rng.below(4) {
                0 => {
                    self.mark(cx, Form::LenList);
                    let vk = *self
                        .rng
                        .pick(&[V::FListStr, V::FListRec, V::DListStr, V::Dyn]);
                    let l = self.src(cx, vk);
                    Src::new(E::Call("len", vec![l.e]), V::FInt)
                }
                1 => {
                    self.mark(cx, Form::LenString);
                    let s = self.plain_str(cx);
                    Src::new(E::Call("len", vec![s.e]), V::FInt)
                }
                _ => Src::new(name("stats.logins_count"), V::FInt),
            },
            V::FFloat => Src::new(
                name(self.pick_s2(&[
                    "request.geoip.latitude",
                    "request.geoip.longitude",
                    "session_transfer_token.request.geoip.latitude",
                ])),
                V::FFloat,
            ),
            V::FBool => Src::new(
                name(self.pick_s2(&[
                    "user.email_verified",
                    "user.phone_verified",
                    "refresh_token.rotating",
                ])),
                V::FBool,
            ),
            V::FIp => {
                if self.coin3() {
                    self.shorthand(cx, Form::ShIp)
                } else {
                    Src::new(name(self.pick_s2(FIP)), V::FIp)
                }
            }
            V::FTs => {
                if self.rng.below(6) == 0 {
                    self.indexed_of(cx, Form::Index0, V::FTs)
                } else {
                    Src::new(name(self.pick_s2(FTS)), V::FTs)
                }
            }
            V::FListStr => match self.rng.below(4) {
                0 => self.shorthand(cx, Form::ShRoles),
                1 if self.coin3() => {
                    self.mark(cx, Form::Index0);
                    Src::new(name("client.refresh_token.policies[0].scope"), V::FListStr)
                        .elem(Elem::Val(V::FStr, None))
                }
                _ => Src::new(name(self.pick_s2(FLIST_STR)), V::FListStr)
                    .elem(Elem::Val(V::FStr, None)),
            },
            V::FListEnum => {
                let (p, set) = *self.rng.pick(FLIST_ENUM);
                Src::new(name(p), V::FListEnum)
                    .set(set)
                    .elem(Elem::Val(V::FEnum, Some(set)))
            }
            V::FListRec => {
                let (p, r) = *self.rng.pick(&[
                    ("authentication.methods", Rec::Method),
                    ("user.enrolledFactors", Rec::Factor),
                    ("user.identities", Rec::Identity),
                    ("session.clients", Rec::Client),
                ]);
                Src::new(name(p), V::FListRec).elem(Elem::Rec(r))
            }
            V::DListStr => Src::new(name(&self.declared(vk)), vk).elem(Elem::Val(V::FStr, None)),
            V::DListInt => Src::new(name(&self.declared(vk)), vk).elem(Elem::Val(V::FInt, None)),
            V::DListCidr => Src::new(name(&self.declared(vk)), vk),
            V::DStr | V::DInt | V::DFloat | V::DBool | V::DIp | V::DCidr | V::DTs | V::DDur => {
                Src::new(name(&self.declared(vk)), vk)
            }
            V::Dyn => self.dyn_src(cx),
        }
    }

    /// A source of kind `vk` whose closed set is `set`, if there is one.
    pub fn src_with_set(&mut self, cx: &mut Cx, vk: V, set: Set) -> Option<Src> {
        match vk {
            V::FEnum => {
                let cands: Vec<&(&str, Set, Option<Form>)> =
                    FENUM.iter().filter(|(_, s, _)| *s == set).collect();
                if cands.is_empty() {
                    return None;
                }
                let (p, s, f) = **self.rng.pick(&cands);
                if let Some(f) = f {
                    self.mark(cx, f);
                }
                Some(Src::new(name(p), V::FEnum).set(s))
            }
            V::FListEnum => {
                let (p, s) = *FLIST_ENUM.iter().find(|(_, s)| *s == set)?;
                Some(
                    Src::new(name(p), V::FListEnum)
                        .set(s)
                        .elem(Elem::Val(V::FEnum, Some(s))),
                )
            }
            _ => None,
        }
    }

    fn coin3(&mut self) -> bool {
        self.rng.below(3) == 0
    }

    fn pick_s2(&mut self, v: &[&'static str]) -> &'static str {
        v[self.rng.below(v.len())]
    }

    /// A string-valued path (no function around it).
    fn plain_str(&mut self, cx: &mut Cx) -> Src {
        match self.rng.below(5) {
            0 => Src::new(name(&self.declared(V::DStr)), V::DStr),
            1 => self.dyn_src(cx),
            2 => {
                let f = *self.rng.pick(&[
                    Form::ShConnection,
                    Form::ShOrganization,
                    Form::ShClient,
                    Form::ShEmail,
                ]);
                self.shorthand(cx, f)
            }
            _ => {
                if !cx.scope.is_empty() && self.coin3() {
                    if let Some(s) = self.local_src(cx, Some(V::FStr)) {
                        return s;
                    }
                }
                Src::new(name(self.pick_s2(FSTR)), V::FStr)
            }
        }
    }

    /// `lower(S)` / `trim(S)`.
    pub fn str_fn(&mut self, cx: &mut Cx, f: &'static str) -> Src {
        self.mark(
            cx,
            if f == "lower" {
                Form::Lower
            } else {
                Form::Trim
            },
        );
        let inner = self.plain_str(cx);
        Src::new(E::Call(f, vec![inner.e]), V::FStr)
    }

    /// `split(S, SEP)`.
    pub fn split_src(&mut self, cx: &mut Cx) -> Src {
        self.mark(cx, Form::Split);
        let inner = self.plain_str(cx);
        let sep = self.lit(C::Str, Ctx::Sep);
        let mut s = Src::new(E::Call("split", vec![inner.e, sep]), V::FListStr)
            .elem(Elem::Val(V::FStr, None));
        s.split = true;
        s
    }

    /// A shorthand.
    pub fn shorthand(&mut self, cx: &mut Cx, f: Form) -> Src {
        self.mark(cx, f);
        match f {
            Form::ShIp => Src::new(name("ip"), V::FIp),
            Form::ShCountry => Src::new(name("country"), V::FEnum).set(COUNTRIES),
            Form::ShContinent => Src::new(name("continent"), V::FEnum).set(CONTINENTS),
            Form::ShEmail => Src::new(name("email"), V::FStr),
            Form::ShRoles => Src::new(name("roles"), V::FListStr).elem(Elem::Val(V::FStr, None)),
            Form::ShConnection => Src::new(name("connection"), V::FByName),
            Form::ShOrganization => Src::new(name("organization"), V::FByName),
            _ => Src::new(name("client"), V::FByName),
        }
    }

    /// A value read by index: `[0]`, `[5]` (past the end of the lists
    /// events hold) or a string key.
    pub fn indexed(&mut self, cx: &mut Cx, f: Form) -> Src {
        if f == Form::IndexKey {
            self.mark(cx, f);
            let p = self.pick_s2(&[
                "user.app_metadata[\"is-admin\"]",
                "request.query[\"x-y\"]",
                "user.user_metadata[\"k2\"]",
            ]);
            return Src::new(name(p), V::Dyn);
        }
        let vk = *self
            .rng
            .pick(&[V::FStr, V::FStr, V::FTs, V::FEnum, V::Dyn, V::FInt]);
        self.indexed_of(cx, f, vk)
    }

    fn indexed_of(&mut self, cx: &mut Cx, f: Form, vk: V) -> Src {
        self.mark(cx, f);
        let i = if f == Form::IndexPast { "5" } else { "0" };
        match vk {
            V::FTs => Src::new(
                name(&format!("authentication.methods[{i}].timestamp")),
                V::FTs,
            ),
            V::FEnum => {
                if self.coin3() {
                    Src::new(name(&format!("user.multifactor[{i}]")), V::FEnum).set(ENROLLED)
                } else {
                    Src::new(name(&format!("user.enrolledFactors[{i}].type")), V::FEnum)
                        .set(FACTORS)
                }
            }
            V::Dyn => {
                let k = self.dyn_key();
                Src::new(name(&format!("{k}[{i}]")), V::Dyn)
            }
            V::FInt => {
                let p = self.declared(V::DListInt);
                Src::new(name(&format!("{p}[{i}]")), V::FInt)
            }
            _ => {
                let p = match self.rng.below(6) {
                    0 => {
                        self.mark(cx, Form::ShRoles);
                        "roles".to_string()
                    }
                    1 => "user.identities".to_string() + "[I].connection",
                    2 => "authentication.methods[I].name".to_string(),
                    3 => "transaction.acr_values".to_string(),
                    4 => self.declared(V::DListStr),
                    _ => "user.identities[I].provider".to_string(),
                };
                let text = if p.contains("[I]") {
                    p.replace("[I]", &format!("[{i}]"))
                } else {
                    format!("{p}[{i}]")
                };
                Src::new(name(&text), V::FStr)
            }
        }
    }

    fn dyn_key(&mut self) -> &'static str {
        let keys = self.st.dyn_keys.clone();
        let k = *self.rng.pick(&keys);
        // A key with a string index or a nested key cannot take `[0]`
        // after it in every form; use its parent map key instead.
        if k.contains('[') || k.ends_with(".sub") {
            "user.app_metadata.k1"
        } else {
            k
        }
    }

    /// Undeclared metadata.
    pub fn dyn_src(&mut self, cx: &mut Cx) -> Src {
        let keys = self.st.dyn_keys.clone();
        let k = *self.rng.pick(&keys);
        if k.contains("[\"") {
            self.mark(cx, Form::IndexKey);
        }
        let text = match self.rng.below(12) {
            0 => {
                self.mark(cx, Form::Index0);
                format!("{}[0]", self.dyn_key())
            }
            1 => {
                self.mark(cx, Form::IndexPast);
                format!("{}[5]", self.dyn_key())
            }
            _ => k.to_string(),
        };
        Src::new(name(&text), V::Dyn).elem(Elem::Val(V::Dyn, None))
    }

    /// The path of the declared key of kind `vk`, declared on first use.
    pub fn declared(&mut self, vk: V) -> String {
        if let Some((_, p)) = self.st.decl.iter().find(|(k, _)| *k == vk) {
            return p.clone();
        }
        let (ty, key) = match vk {
            V::DStr => ("string", "d_str"),
            V::DInt => ("int", "d_int"),
            V::DFloat => ("float", "d_float"),
            V::DBool => ("bool", "d_bool"),
            V::DIp => ("ip", "d_ip"),
            V::DCidr => ("cidr", "d_cidr"),
            V::DTs => ("timestamp", "d_ts"),
            V::DDur => ("duration", "d_dur"),
            V::DListStr => ("list<string>", "d_strs"),
            V::DListInt => ("list<int>", "d_ints"),
            _ => ("list<cidr>", "d_nets"),
        };
        let map = match vk {
            V::DStr => self.pick_s2(&[
                "user.app_metadata",
                "user.user_metadata",
                "organization.metadata",
                "client.metadata",
                "connection.metadata",
            ]),
            V::DListStr if self.coin3() => "user",
            _ => self.pick_s2(&["user.app_metadata", "user.user_metadata"]),
        };
        let key = if map == "user" { "groups" } else { key };
        let path = format!("{map}.{key}");
        let opt = if self.rng.below(4) == 0 { "?" } else { "" };
        self.st.declares.push((path.clone(), format!("{ty}{opt}")));
        self.st.decl.push((vk, path.clone()));
        path
    }

    /// A quantifier variable in scope, as a value (of kind `want`, if
    /// given).
    pub fn local_src(&mut self, cx: &mut Cx, want: Option<V>) -> Option<Src> {
        let mut cands: Vec<(Src, Form)> = Vec::new();
        for (var, elem) in cx.scope.iter().rev() {
            match elem {
                Elem::Val(vk, set) => {
                    let mut s = Src::new(name(var), *vk);
                    s.set = *set;
                    cands.push((s, Form::QuantVar));
                    if *vk == V::Dyn {
                        cands.push((
                            Src::new(name(&format!("{var}.sub")), V::Dyn),
                            Form::QuantVarField,
                        ));
                        cands.push((Src::new(name(&format!("{var}[0]")), V::Dyn), Form::Index0));
                    }
                }
                Elem::Rec(r) => {
                    let fields: &[(&str, V, Option<Set>)] = match r {
                        Rec::Method => &[
                            ("name", V::FStr, None),
                            ("timestamp", V::FTs, None),
                            ("type", V::FEnum, Some(FACTORS)),
                        ],
                        Rec::Factor => &[("type", V::FEnum, Some(FACTORS))],
                        Rec::Identity => &[
                            ("connection", V::FStr, None),
                            ("provider", V::FStr, None),
                            ("user_id", V::FStr, None),
                            ("isSocial", V::FBool, None),
                        ],
                        Rec::Client => &[("client_id", V::FStr, None)],
                    };
                    for (f, vk, set) in fields {
                        let mut s = Src::new(name(&format!("{var}.{f}")), *vk);
                        s.set = *set;
                        cands.push((s, Form::QuantVarField));
                    }
                }
            }
        }
        let cands: Vec<(Src, Form)> = cands
            .into_iter()
            .filter(|(s, _)| want.is_none_or(|w| s.vk == w))
            .collect();
        if cands.is_empty() {
            return None;
        }
        let (s, f) = self.rng.pick(&cands).clone();
        self.mark(cx, f);
        if f == Form::Index0 {
            self.mark(cx, Form::QuantVar);
        }
        Some(s)
    }

    /// A computed `let` as a value.
    pub fn let_src(&mut self, cx: &mut Cx, i: usize) -> Src {
        self.let_used(cx, i);
        let n = name(&self.st.lets[i].name);
        match self.st.lets[i].kind {
            LetKind::Split => {
                let mut s = Src::new(n, V::FListStr).elem(Elem::Val(V::FStr, None));
                s.split = true;
                s
            }
            LetKind::Src(vk, set, elem) => {
                let mut s = Src::new(n, vk);
                s.set = set;
                s.elem = elem;
                s
            }
            _ => Src::new(n, V::FStr),
        }
    }

    /// Counts a use of `let` number `i`.
    pub fn let_used(&mut self, cx: &mut Cx, i: usize) {
        let f = match self.st.lets[i].kind {
            LetKind::Bool => Form::LetBool,
            LetKind::Const(..) | LetKind::Regex | LetKind::Factors => Form::LetConst,
            LetKind::Split | LetKind::Src(..) => Form::LetComputed,
        };
        self.mark(cx, f);
    }
}
