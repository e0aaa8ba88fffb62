//! The coverage table of the generator: every cell is an enum pair, so a
//! production that is never generated shows up as an empty cell rather
//! than as nothing at all.
//!
//! Which cells exist is written down here, next to the enums, and is what
//! the checker accepts (`tests/generator.rs` checks the const × value table
//! against the checker both ways): a cell that is valid but never
//! generated fails the generator's test.

use std::fmt::Write as _;

/// Defines a cell enum with `ALL`, `name()` and `idx()`.
macro_rules! cells {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// The variant's name, for the table.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => stringify!($v)),* }
            }
            /// Its index in [`Self::ALL`].
            pub fn idx(self) -> usize {
                self as usize
            }
        }
    };
}

cells! {
    /// An expression form of `docs/language.md` "Expressions" and SPEC §6.
    Form {
        Eq, Ne, Lt, Le, Gt, Ge,
        /// `X in [literal list]`, `X not in ...`
        InList, NotInList,
        /// `X in LET` where the `let` holds a list constant
        InLetList,
        /// `X in FIELD` (a list read from the event), `not in` too
        InField,
        /// `IP in CIDR` / `IP in [CIDR, IP, ...]` / `IP in ADDRESS`
        InNet, NotInNet,
        /// `X in split(...)`
        InSplit,
        StartsWith, EndsWith, StrContains, Matches,
        /// `LIST contains X`
        ListContains,
        Any, All,
        /// a quantifier over a list of records (`m.name`, `m.timestamp`)
        QuantRecords,
        /// over a list of strings read from the event
        QuantStrings,
        /// over `split(...)`
        QuantSplit,
        /// over a `let`
        QuantLet,
        /// over a list literal
        QuantLiteral,
        /// over a list literal of addresses, ranges or integers
        QuantLiteralTyped,
        /// over undeclared (dynamic) metadata
        QuantDynamic,
        /// a quantifier inside a quantifier's body
        QuantNested,
        /// the quantifier variable itself (`x == "a"`)
        QuantVar,
        /// a field of the quantifier variable (`m.name`)
        QuantVarField,
        Exists, LenList, LenString, Lower, Trim, Split,
        /// `x[0]`
        Index0,
        /// `x[5]`: past the end of the lists events hold
        IndexPast,
        /// `user.app_metadata["is-admin"]`
        IndexKey,
        Now,
        /// `now - d`
        NowMinus,
        /// `ts + d`, `ts - d`
        TsPlusDur,
        /// `ts - ts`
        TsMinusTs,
        And, Or, Not, Paren,
        ShIp, ShCountry, ShContinent, ShEmail, ShRoles,
        ShConnection, ShOrganization, ShClient,
        /// a typed `bool` field as a condition
        BoolField,
        /// a declared `bool` key as a condition
        DeclaredBoolCond,
        /// undeclared metadata used directly as a condition
        DynamicCond,
        /// `true` / `false` as a condition
        BoolLiteral,
        /// a `let` holding a condition, used as one
        LetBool,
        /// a `let` holding a constant (inlined), used as a value
        LetConst,
        /// a `let` holding a computed value (`split`, `trim`, `lower`,
        /// `len`, a path, `now - d`)
        LetComputed,
        /// a field of a record compared with `null` (`organization == null`)
        RecordNull,
        /// two non-constant values compared (`ip == session.device.last_ip`)
        FieldField,
        /// the constant on the left (`"a" == x`, `7d > now - x`)
        ConstLeft,
    }
}

cells! {
    /// Where an expression is.
    Pos { When, Unless, Let, QuantBody, Assert, Exempt }
}

impl Form {
    /// Whether the form can appear at a position at all.
    pub fn allowed_at(self, pos: Pos) -> bool {
        match self {
            Form::QuantVar | Form::QuantVarField | Form::QuantNested => pos == Pos::QuantBody,
            _ => true,
        }
    }
}

cells! {
    /// The kind of a constant.
    ConstKind {
        Str,
        IntSmall, IntNeg, IntZero,
        /// 2^53
        IntPow53,
        /// -2^53
        IntNegPow53,
        /// 2^53 + 1
        IntPow53Plus1,
        /// 9e15 (where an event's float stops reading as an int)
        Int9e15,
        /// 1e16 and larger, up to i64::MAX / i64::MIN
        IntHuge,
        FloatSmall,
        /// 9e15, 2^53, 2^53 + 2, 1e16 and larger, written as floats
        FloatBig,
        Ip4, Ip6,
        /// `::ffff:a.b.c.d`
        IpMapped,
        Cidr0, Cidr8, Cidr24, Cidr32, Cidr128,
        /// an IPv6 range (`/32`, `/48`, `/64`)
        Cidr6,
        /// `::ffff:203.0.113.0/120`
        CidrMapped,
        /// `[10.0.0.0/8, 10.1.0.0/16]`
        NetsNested,
        /// `[10.0.0.0/8, 192.168.0.0/16]`
        NetsDisjoint,
        /// a range split in halves: `[10.0.0.0/9, 10.128.0.0/9]`
        NetsHalves,
        /// addresses and ranges, IPv4 and IPv6
        NetsMixed,
        ListEmpty,
        ListStr1,
        ListStrN,
        ListInt,
        /// a list of addresses only
        ListAddr,
        DurS, DurM, DurH, DurD,
        /// `800000d` and beyond: windows before year 0 or after 9999
        DurHuge,
        DurNeg,
        /// an RFC 3339 string literal compared with a timestamp
        Ts,
        /// year 0000 / 9999
        TsEdge,
        Bool,
        Null,
    }
}

cells! {
    /// The kind of the non-constant side of a comparison.
    ValueKind {
        FStr,
        /// a closed-set string field (country, protocol, ...)
        FEnum,
        /// `connection`, `organization`, `client` compared by name
        FByName,
        FInt, FFloat, FBool, FIp, FTs,
        FListStr,
        /// a list of closed-set strings (`user.multifactor`)
        FListEnum,
        /// a list of records (`authentication.methods`)
        FListRec,
        /// declared metadata of each declarable type
        DStr, DInt, DFloat, DBool, DIp, DCidr, DTs, DDur, DListStr, DListInt, DListCidr,
        /// undeclared metadata
        Dyn,
    }
}

use ConstKind as C;
use ValueKind as V;

const NUMS: &[ConstKind] = &[
    C::IntSmall,
    C::IntNeg,
    C::IntZero,
    C::IntPow53,
    C::IntNegPow53,
    C::IntPow53Plus1,
    C::Int9e15,
    C::IntHuge,
    C::FloatSmall,
    C::FloatBig,
];
const INTS: &[ConstKind] = &[
    C::IntSmall,
    C::IntNeg,
    C::IntZero,
    C::IntPow53,
    C::IntNegPow53,
    C::IntPow53Plus1,
    C::Int9e15,
    C::IntHuge,
];
const ADDRS: &[ConstKind] = &[C::Ip4, C::Ip6, C::IpMapped];
const NETS: &[ConstKind] = &[
    C::Cidr0,
    C::Cidr8,
    C::Cidr24,
    C::Cidr32,
    C::Cidr128,
    C::Cidr6,
    C::CidrMapped,
];
const NET_LISTS: &[ConstKind] = &[C::NetsNested, C::NetsDisjoint, C::NetsHalves, C::NetsMixed];
const DURS: &[ConstKind] = &[C::DurS, C::DurM, C::DurH, C::DurD, C::DurHuge, C::DurNeg];
const STR_LISTS: &[ConstKind] = &[C::ListEmpty, C::ListStr1, C::ListStrN];

/// Constants that `==`/`!=` accept beside a value kind (null is added by
/// the callers that want it).
pub fn eq_consts(v: ValueKind) -> Vec<ConstKind> {
    let mut out: Vec<ConstKind> = match v {
        V::FStr | V::FEnum | V::FByName | V::DStr => vec![C::Str],
        V::FInt | V::FFloat | V::DInt | V::DFloat => NUMS.to_vec(),
        V::FBool | V::DBool => vec![C::Bool],
        V::FIp | V::DIp => ADDRS.to_vec(),
        V::DCidr => NETS.to_vec(),
        V::FTs | V::DTs => vec![C::Ts, C::TsEdge],
        V::DDur => DURS.to_vec(),
        V::FListStr | V::FListEnum | V::DListStr => STR_LISTS.to_vec(),
        V::DListInt => vec![C::ListEmpty, C::ListInt],
        V::DListCidr => [&[C::ListEmpty][..], NET_LISTS].concat(),
        V::FListRec => vec![C::ListEmpty],
        V::Dyn => ConstKind::ALL
            .iter()
            .copied()
            .filter(|c| *c != C::Null)
            .collect(),
    };
    out.push(C::Null);
    out
}

/// Constants that `<`, `<=`, `>`, `>=` accept beside a value kind.
pub fn ord_consts(v: ValueKind) -> Vec<ConstKind> {
    match v {
        V::FInt | V::FFloat | V::DInt | V::DFloat => [NUMS, &[C::Null]].concat(),
        V::FTs | V::DTs => vec![C::Ts, C::TsEdge, C::Null],
        V::DDur => [DURS, &[C::Null]].concat(),
        V::Dyn => [NUMS, DURS, &[C::Null]].concat(),
        _ => vec![],
    }
}

/// Constant lists (or ranges) a value of this kind can be looked up in:
/// `X in CONST`.
pub fn in_consts(v: ValueKind) -> Vec<ConstKind> {
    match v {
        V::FStr | V::FEnum | V::FByName | V::DStr => STR_LISTS.to_vec(),
        V::FInt | V::FFloat | V::DInt | V::DFloat => vec![C::ListEmpty, C::ListInt],
        V::FIp | V::DIp => [ADDRS, NETS, NET_LISTS, &[C::ListAddr, C::ListEmpty]].concat(),
        // `[]` takes any element type.
        V::FBool | V::FTs | V::DBool | V::DCidr | V::DTs | V::DDur => vec![C::ListEmpty],
        V::Dyn => [
            STR_LISTS,
            &[C::ListInt, C::ListAddr],
            ADDRS,
            NETS,
            NET_LISTS,
        ]
        .concat(),
        _ => vec![],
    }
}

/// Constants that can be looked up in a list value of this kind:
/// `CONST in X`, `X contains CONST`.
pub fn has_consts(v: ValueKind) -> Vec<ConstKind> {
    match v {
        V::FListStr | V::FListEnum | V::DListStr => vec![C::Str],
        V::DListInt => NUMS.to_vec(),
        V::DListCidr => [ADDRS, NETS].concat(),
        V::Dyn => vec![C::Str, C::IntSmall, C::Ip4, C::Bool],
        _ => vec![],
    }
}

/// Constants for `starts_with`, `ends_with`, `contains`, `matches`.
pub fn str_consts(v: ValueKind) -> Vec<ConstKind> {
    match v {
        V::FStr | V::FEnum | V::FByName | V::DStr | V::Dyn => vec![C::Str],
        _ => vec![],
    }
}

/// Durations in time arithmetic with a timestamp of this kind
/// (`x > now - d`, `x + d < now`, `now - x < d`).
pub fn arith_consts(v: ValueKind) -> Vec<ConstKind> {
    match v {
        V::FTs | V::DTs | V::Dyn => DURS.to_vec(),
        _ => vec![],
    }
}

/// Whether the checker accepts the constant kind beside the value kind in
/// some comparison.
pub fn valid_pair(c: ConstKind, v: ValueKind) -> bool {
    eq_consts(v).contains(&c)
        || ord_consts(v).contains(&c)
        || in_consts(v).contains(&c)
        || has_consts(v).contains(&c)
        || str_consts(v).contains(&c)
        || arith_consts(v).contains(&c)
}

cells! {
    /// An effect form.
    EffectKind {
        /// `require mfa`
        Require,
        /// `require mfa using "any"`
        RequireAny,
        RequireDuo,
        RequireGoogle,
        RequireGuardian,
        /// `... with remember_browser`
        RequireRemember,
        /// `require mfa using factors ["one"]`
        FactorsOne,
        FactorsMany,
        /// `require mfa using factors LET`
        FactorsLet,
        EnrollOne,
        EnrollMany,
        EnrollLet,
        /// `... then enroll using factors [...]`
        ThenEnroll,
        /// `... then challenge using factors [...]`
        ThenChallenge,
        /// a sequence of four steps
        FourSteps,
        Skip,
        DenyReason,
        DenyNoReason,
        Exempt,
        /// no `default` item
        NoDefault,
    }
}

cells! {
    /// Where an effect is.
    EffectPos { Rule, Default, AssertExactly, AssertAtLeast, AssertNever }
}

impl EffectKind {
    /// Whether the effect can appear at a position.
    pub fn allowed_at(self, pos: EffectPos) -> bool {
        match self {
            EffectKind::Exempt => pos == EffectPos::Rule,
            EffectKind::NoDefault => pos == EffectPos::Default,
            _ => true,
        }
    }
}

cells! {
    /// A one-edit change of a policy (`Gen::mutate`).
    MutationKind {
        LiteralChanged, RuleDropped, ConditionNegated, UnlessAdded,
        FactorAdded, FactorRemoved, StepDropped,
        /// a CIDR replaced by its two halves: an equivalent policy
        CidrSplit,
        CidrNarrowed, ProviderChanged, RememberAdded,
        /// a list of strings looked up with `in` gets one more element
        ListGrown,
    }
}

cells! {
    /// The kind of a value an event holds at a field the policy reads.
    EvKind {
        Absent, Null,
        /// a constant of the policy, as it is
        Equal,
        /// just below / above a constant (n - 1, the previous float, a
        /// millisecond earlier, the address before a range)
        Below, Above,
        /// 2^53 - 1 .. 2^53 + 2, 9e15, i64 extremes
        Pow53,
        /// a string with a constant as its prefix / suffix / inside
        Prefixed, Suffixed, Containing,
        /// a constant in another case
        CaseChanged,
        /// a constant with white space around it
        Padded,
        /// constants joined by a separator (`split`)
        Joined,
        /// a string a regex of the policy matches
        RegexMatch,
        /// the first / last address of a range
        NetFirst, NetLast,
        /// an address written as IPv4-mapped IPv6
        Mapped,
        /// `now - d ± 1 ms` for a duration of the policy
        Window,
        /// year 0000 / 9999
        TsExtreme,
        /// a timestamp written without an offset
        TsNaive,
        ListEmpty, ListOne, ListMany,
        /// a list whose element 0 is a constant of the policy (so index 0
        /// and membership both see it)
        ListHead,
        /// a JSON value of each type in a `dynamic` place
        JBool, JInt, JHugeInt, JFloat, JString, JAddrString, JArrStrings, JArrMixed, JObject,
        /// a value of no particular interest
        Other,
        /// a value of the wrong type (hostile events only)
        Misfit,
    }
}

cells! {
    /// The schema type of a field an event value was generated for.
    FieldKind {
        Str, Enum, Int, Float, Bool, Ip, Cidr, Ts, Dur,
        ListStr, ListInt, ListCidr, ListRec, Record, Map, Dyn,
    }
}

/// Whether an event value kind makes sense for a field kind (in well-typed
/// events; `Misfit` is counted only where hostile events are asked for).
pub fn ev_valid(e: EvKind, f: FieldKind) -> bool {
    use EvKind as E;
    use FieldKind as F;
    let list = matches!(f, F::ListStr | F::ListInt | F::ListCidr | F::ListRec);
    if matches!(f, F::Record | F::Map) {
        return matches!(e, E::Absent | E::Null | E::Other);
    }
    match e {
        E::Absent | E::Null => true,
        E::Other => !list,
        E::Misfit => false,
        E::Equal => !list && f != F::Bool,
        E::Below | E::Above => matches!(f, F::Int | F::Float | F::Ip | F::Ts | F::Dur | F::Dyn),
        E::Pow53 => matches!(f, F::Int | F::Float | F::Dyn),
        E::Prefixed | E::Suffixed | E::Containing | E::CaseChanged | E::Padded | E::Joined => {
            matches!(f, F::Str | F::Dyn)
        }
        E::RegexMatch => matches!(f, F::Str | F::Dyn),
        E::NetFirst | E::NetLast | E::Mapped => matches!(f, F::Ip | F::Dyn),
        E::Window | E::TsExtreme | E::TsNaive => matches!(f, F::Ts | F::Dyn),
        E::ListEmpty | E::ListOne | E::ListMany => {
            matches!(
                f,
                F::ListStr | F::ListInt | F::ListCidr | F::ListRec | F::Dyn
            )
        }
        E::ListHead => matches!(f, F::ListStr | F::ListInt | F::Dyn),
        E::JBool
        | E::JInt
        | E::JHugeInt
        | E::JFloat
        | E::JString
        | E::JAddrString
        | E::JArrStrings
        | E::JArrMixed
        | E::JObject => f == F::Dyn,
    }
}

/// A table of counts indexed by two cell enums.
#[derive(Clone, Debug)]
pub struct Grid {
    cols: usize,
    counts: Vec<u64>,
}

impl Grid {
    fn new(rows: usize, cols: usize) -> Grid {
        Grid {
            cols,
            counts: vec![0; rows * cols],
        }
    }
    fn add(&mut self, r: usize, c: usize) {
        self.counts[r * self.cols + c] += 1;
    }
    fn get(&self, r: usize, c: usize) -> u64 {
        self.counts[r * self.cols + c]
    }
    fn merge(&mut self, o: &Grid) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
    }
}

/// What the generator produced, cell by cell.
#[derive(Clone, Debug)]
pub struct Coverage {
    form_pos: Grid,
    const_value: Grid,
    effect_pos: Grid,
    mutation: Grid,
    event_field: Grid,
    /// Whether hostile events were generated (then `Misfit` cells count).
    pub hostile: bool,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            form_pos: Grid::new(Form::ALL.len(), Pos::ALL.len()),
            const_value: Grid::new(ConstKind::ALL.len(), ValueKind::ALL.len()),
            effect_pos: Grid::new(EffectKind::ALL.len(), EffectPos::ALL.len()),
            mutation: Grid::new(MutationKind::ALL.len(), 1),
            event_field: Grid::new(EvKind::ALL.len(), FieldKind::ALL.len()),
            hostile: false,
        }
    }
}

impl Coverage {
    /// Counts an expression form at a position.
    pub fn form(&mut self, f: Form, p: Pos) {
        self.form_pos.add(f.idx(), p.idx());
    }
    /// Counts a constant kind compared with a value kind.
    pub fn pair(&mut self, c: ConstKind, v: ValueKind) {
        self.const_value.add(c.idx(), v.idx());
    }
    /// Counts an effect at a position.
    pub fn effect(&mut self, e: EffectKind, p: EffectPos) {
        self.effect_pos.add(e.idx(), p.idx());
    }
    /// Counts a mutation.
    pub fn mutation(&mut self, m: MutationKind) {
        self.mutation.add(m.idx(), 0);
    }
    /// Counts an event value generated for a field.
    pub fn event(&mut self, e: EvKind, f: FieldKind) {
        self.event_field.add(e.idx(), f.idx());
    }

    /// Adds another coverage's counts (from another generator).
    pub fn merge(&mut self, o: &Coverage) {
        self.form_pos.merge(&o.form_pos);
        self.const_value.merge(&o.const_value);
        self.effect_pos.merge(&o.effect_pos);
        self.mutation.merge(&o.mutation);
        self.event_field.merge(&o.event_field);
        self.hostile |= o.hostile;
    }

    /// How often a constant kind was generated beside a value kind.
    pub fn pair_count(&self, c: ConstKind, v: ValueKind) -> u64 {
        self.const_value.get(c.idx(), v.idx())
    }

    /// How often a form was generated at a position.
    pub fn form_count(&self, f: Form, p: Pos) -> u64 {
        self.form_pos.get(f.idx(), p.idx())
    }

    /// Every valid cell generated fewer than `min` times, by name
    /// (`form Matches @ Exempt: 0`).
    pub fn empty_cells(&self, min: u64) -> Vec<String> {
        let mut out = Vec::new();
        for f in Form::ALL {
            for p in Pos::ALL {
                let n = self.form_pos.get(f.idx(), p.idx());
                if f.allowed_at(*p) && n < min {
                    out.push(format!("form {} @ {}: {n}", f.name(), p.name()));
                }
            }
        }
        for c in ConstKind::ALL {
            for v in ValueKind::ALL {
                let n = self.const_value.get(c.idx(), v.idx());
                if valid_pair(*c, *v) && n < min {
                    out.push(format!("const {} vs {}: {n}", c.name(), v.name()));
                }
            }
        }
        for e in EffectKind::ALL {
            for p in EffectPos::ALL {
                let n = self.effect_pos.get(e.idx(), p.idx());
                if e.allowed_at(*p) && n < min {
                    out.push(format!("effect {} @ {}: {n}", e.name(), p.name()));
                }
            }
        }
        for m in MutationKind::ALL {
            let n = self.mutation.get(m.idx(), 0);
            if n < min {
                out.push(format!("mutation {}: {n}", m.name()));
            }
        }
        for e in EvKind::ALL {
            for f in FieldKind::ALL {
                let n = self.event_field.get(e.idx(), f.idx());
                let valid = ev_valid(*e, *f) || (self.hostile && *e == EvKind::Misfit);
                if valid && n < min {
                    out.push(format!("event {} in {}: {n}", e.name(), f.name()));
                }
            }
        }
        out
    }

    /// The whole table, one block per dimension; `.` marks a cell that
    /// cannot exist, a number how often the cell was generated.
    pub fn table(&self) -> String {
        let mut s = String::new();
        grid(
            &mut s,
            "expression form x position",
            Form::ALL.iter().map(|f| f.name()),
            Pos::ALL.iter().map(|p| p.name()),
            |r, c| Form::ALL[r].allowed_at(Pos::ALL[c]),
            &self.form_pos,
        );
        grid(
            &mut s,
            "constant kind x value kind",
            ConstKind::ALL.iter().map(|c| c.name()),
            ValueKind::ALL.iter().map(|v| v.name()),
            |r, c| valid_pair(ConstKind::ALL[r], ValueKind::ALL[c]),
            &self.const_value,
        );
        grid(
            &mut s,
            "effect x position",
            EffectKind::ALL.iter().map(|e| e.name()),
            EffectPos::ALL.iter().map(|p| p.name()),
            |r, c| EffectKind::ALL[r].allowed_at(EffectPos::ALL[c]),
            &self.effect_pos,
        );
        grid(
            &mut s,
            "mutation",
            MutationKind::ALL.iter().map(|m| m.name()),
            ["count"].into_iter(),
            |_, _| true,
            &self.mutation,
        );
        grid(
            &mut s,
            "event value kind x field kind",
            EvKind::ALL.iter().map(|e| e.name()),
            FieldKind::ALL.iter().map(|f| f.name()),
            |r, c| {
                ev_valid(EvKind::ALL[r], FieldKind::ALL[c])
                    || (self.hostile && EvKind::ALL[r] == EvKind::Misfit)
            },
            &self.event_field,
        );
        s
    }
}

fn grid<'a>(
    out: &mut String,
    title: &str,
    rows: impl Iterator<Item = &'a str>,
    cols: impl Iterator<Item = &'a str>,
    valid: impl Fn(usize, usize) -> bool,
    g: &Grid,
) {
    let cols: Vec<&str> = cols.collect();
    let rows: Vec<&str> = rows.collect();
    let w0 = rows
        .iter()
        .map(|r| r.len())
        .max()
        .unwrap_or(0)
        .max(title.len());
    let _ = writeln!(out, "{title}");
    let _ = write!(out, "{:w0$}", "");
    for c in &cols {
        let _ = write!(out, " {:>w$}", c, w = c.len().max(5));
    }
    out.push('\n');
    for (r, name) in rows.iter().enumerate() {
        let _ = write!(out, "{name:w0$}");
        for (c, col) in cols.iter().enumerate() {
            let w = col.len().max(5);
            if valid(r, c) {
                let _ = write!(out, " {:>w$}", g.get(r, c));
            } else {
                let _ = write!(out, " {:>w$}", ".");
            }
        }
        out.push('\n');
    }
    out.push('\n');
}
