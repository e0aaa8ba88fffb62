//! The coverage table of the generator: every cell is an enum pair, so a
//! production that is never generated shows up as an empty cell rather
//! than as nothing at all.
//!
//! Which cells exist is written down here, next to the enums, and is what
//! the checker accepts (`tests/generator.rs` checks the const × value table
//! against the checker both ways): a cell that is valid but never
//! generated fails the generator's test.

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
        /// one undeclared key read both by index and by membership or a
        /// quantifier (`k[0] == "admin" and "admin" in k`)
        IndexMember,
        /// a comparison of the policy's shared field, which many
        /// comparisons of the policy read with different constants
        Shared,
        /// a window relative to `now` that turns before year 0000 or after
        /// 9999 (`user.created_at > now - 800000d`)
        FarWindow,
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
        /// 10 to 20 disjoint ranges (an office list)
        NetsMany,
        ListEmpty,
        ListStr1,
        ListStrN,
        /// 12 to 40 strings (a list of connections or countries): more
        /// candidates than verify keeps unmerged
        ListStrMany,
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
const NET_LISTS: &[ConstKind] = &[
    C::NetsNested,
    C::NetsDisjoint,
    C::NetsHalves,
    C::NetsMixed,
    C::NetsMany,
];
const DURS: &[ConstKind] = &[C::DurS, C::DurM, C::DurH, C::DurD, C::DurHuge, C::DurNeg];
const STR_LISTS: &[ConstKind] = &[C::ListEmpty, C::ListStr1, C::ListStrN, C::ListStrMany];

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
        /// a time before year 0000 or after 9999, in the offset-less ISO
        /// form with a signed year (`-0164-03-02T00:00:00.000`)
        TsSignedYear,
        /// an address of the policy spelled another way: padded with
        /// spaces, IPv6 in upper case, IPv4-mapped
        AddrSpelling,
        ListEmpty, ListOne, ListMany,
        /// a list whose element 0 is a constant of the policy (so index 0
        /// and membership both see it)
        ListHead,
        /// a `null` element in a typed list (`[null, "x"]`)
        NullElem,
        /// exactly the JSON of a constant the place is compared with (a
        /// list constant as an array, an address in another spelling)
        JConst,
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
        E::Window | E::TsExtreme | E::TsNaive | E::TsSignedYear => matches!(f, F::Ts | F::Dyn),
        E::AddrSpelling => matches!(f, F::Ip | F::Dyn),
        E::NullElem => matches!(f, F::ListStr | F::ListInt | F::ListCidr | F::ListRec),
        E::JConst => f == F::Dyn,
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

mod table;
pub use table::Coverage;
