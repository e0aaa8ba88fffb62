//! The checked program the interpreter runs: every name resolved to a path,
//! a local slot or a `let`, every type known, every regex compiled, every
//! address parsed. Nothing unresolved reaches evaluation.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use crate::schema::Type;
use crate::source::Span;
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

/// A checked policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The file it came from (for `file:line` in reports).
    pub file: Arc<str>,
    /// The rules, in source order.
    pub rules: Vec<Rule>,
    /// The `default` effect, if any.
    pub default: Option<Effect>,
    /// Checked `let` bodies, referred to by [`ExprKind::Let`].
    pub lets: Vec<LetDef>,
    /// How many quantifier variables are live at most (the local slots).
    pub max_locals: usize,
    /// The assertions (SPEC §12), in source order. They never change a
    /// decision; `mfapol verify` proves or refutes them.
    pub asserts: Vec<Assertion>,
}

/// A checked `assert NAME: [at least | never] EFFECT when COND`.
#[derive(Clone, Debug)]
pub struct Assertion {
    /// Its name.
    pub name: Arc<str>,
    /// 1-based line in its file.
    pub line: u32,
    /// The whole item.
    pub span: Span,
    /// Exactly, at least, or never.
    pub mode: AssertMode,
    /// The effect it is about.
    pub effect: Effect,
    /// The logins it is about.
    pub when: Expr,
}

pub use crate::syntax::ast::AssertMode;

/// A checked `let`.
#[derive(Clone, Debug)]
pub struct LetDef {
    /// Its name.
    pub name: Arc<str>,
    /// Its value.
    pub value: Expr,
}

/// A checked rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule's name, or `line N` for an unnamed rule.
    pub name: Arc<str>,
    /// 1-based line of the rule in its file.
    pub line: u32,
    /// The whole rule.
    pub span: Span,
    /// What it decides.
    pub effect: Effect,
    /// The `when` condition.
    pub when: Expr,
    /// The `unless` condition.
    pub unless: Option<Expr>,
}

/// What a rule decides.
#[derive(Clone, Debug, PartialEq)]
// A tag byte of its own (no niche packing): the interpreter matches on
// every node, and a plain tag is one load and one compare.
#[repr(u8)]
pub enum Effect {
    /// `deny ["reason"]`
    Deny {
        /// Shown to the user.
        reason: Option<Arc<str>>,
    },
    /// `require mfa ...`
    Require(Challenge),
    /// `skip mfa`
    Skip,
    /// `exempt`: decides `skip_mfa` over `require`/`enroll` rules.
    Exempt,
}

impl Effect {
    /// Every value of [`Effect::strength`], strongest first.
    pub const STRENGTHS: [u8; 4] = [4, 3, 2, 1];

    /// Strength for "strongest effect wins": deny > exempt > require
    /// (and enroll) > skip. `exempt` decides `skip_mfa` but wins over
    /// requirements: the policy-level exemption (SPEC v2, issue 9/10).
    pub fn strength(&self) -> u8 {
        match self {
            Effect::Deny { .. } => 4,
            Effect::Exempt => 3,
            Effect::Require(_) => 2,
            Effect::Skip => 1,
        }
    }

    /// Whether a run-time error keeps the rule from applying (it would
    /// weaken the decision): `skip mfa` and `exempt`.
    pub fn lowers_requirements(&self) -> bool {
        matches!(self, Effect::Skip | Effect::Exempt)
    }
}

/// How MFA is requested.
#[derive(Clone, Debug, PartialEq)]
// A tag byte of its own (no niche packing): the interpreter matches on
// every node, and a plain tag is one load and one compare.
#[repr(u8)]
pub enum Challenge {
    /// `api.multifactor.enable(provider, {allowRememberBrowser})`
    Provider {
        /// `any`, `duo`, `google-authenticator` or `guardian`.
        provider: Arc<str>,
        /// `with remember_browser`.
        remember_browser: bool,
    },
    /// `api.authentication.challengeWithAny(factors)`: one challenge.
    Factors(Vec<Arc<str>>),
    /// Steps run in order (`challengeWith*` / `enrollWith*`): a sequence,
    /// or a single enrollment. Never a single challenge (that is
    /// [`Challenge::Factors`]), so one requirement has one form.
    Steps(Vec<FactorStep>),
}

/// At most this many challenges and enrollments in one login (Auth0's limit).
pub const MAX_STEPS: usize = 4;

pub use crate::syntax::ast::StepKind;

/// One step of a factor sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct FactorStep {
    /// Challenge or enroll.
    pub kind: StepKind,
    /// The acceptable factors.
    pub factors: Vec<Arc<str>>,
}

impl Challenge {
    /// The canonical form of checked steps (at least one).
    pub fn from_steps(mut steps: Vec<FactorStep>) -> Challenge {
        if steps.len() == 1 && steps.first().is_some_and(|s| s.kind == StepKind::Challenge) {
            if let Some(step) = steps.pop() {
                return Challenge::Factors(step.factors);
            }
        }
        Challenge::Steps(steps)
    }

    /// The steps of this requirement (none for a provider).
    pub fn steps(&self) -> Vec<FactorStep> {
        match self {
            Challenge::Provider { .. } => Vec::new(),
            Challenge::Factors(fs) => vec![FactorStep {
                kind: StepKind::Challenge,
                factors: fs.clone(),
            }],
            Challenge::Steps(s) => s.clone(),
        }
    }

    /// The first step's factors, if any.
    pub fn first_factors(&self) -> Option<&[Arc<str>]> {
        match self {
            Challenge::Provider { .. } => None,
            Challenge::Factors(fs) => Some(fs),
            Challenge::Steps(s) => s.first().map(|s| s.factors.as_slice()),
        }
    }

    /// Whether the first step enrolls (decision `enroll_mfa`).
    pub fn enrolls_first(&self) -> bool {
        matches!(self, Challenge::Steps(s) if s.first().is_some_and(|s| s.kind == StepKind::Enroll))
    }
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Its static type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
}

impl Expr {
    /// The direct sub-expressions in evaluation order (a `let`'s body is
    /// not among them: it lives in [`Policy::lets`]).
    pub fn children(&self) -> smallvec::SmallVec<[&Expr; 2]> {
        use ExprKind as K;
        match &self.kind {
            K::Const(_) | K::Path(_) | K::Local(_) | K::Let(_) | K::Now => {
                smallvec::SmallVec::new()
            }
            K::Not(a) | K::InNet { needle: a, .. } | K::Matches(a, _) => smallvec::smallvec![&**a],
            K::And(v) | K::Or(v) | K::Call(_, v) => v.iter().collect(),
            K::Eq { lhs: a, rhs: b, .. }
            | K::Order(_, a, b)
            | K::In {
                needle: a, list: b, ..
            }
            | K::Str(_, a, b)
            | K::Arith(_, a, b)
            | K::Quant {
                list: a, body: b, ..
            } => smallvec::smallvec![&**a, &**b],
        }
    }
}

/// Checked expressions.
#[derive(Clone, Debug)]
// A tag byte of its own (no niche packing): the interpreter matches on
// every node, and a plain tag is one load and one compare.
#[repr(u8)]
pub enum ExprKind {
    /// A constant (literals and constant lists, folded at check time).
    Const(Const),
    /// A field read from the event or from a quantifier variable.
    Path(Path),
    /// A quantifier variable itself.
    Local(u16),
    /// The value of a non-constant `let`.
    Let(u32),
    /// The evaluation time.
    Now,
    /// `not`
    Not(Box<Expr>),
    /// `and` over all operands.
    And(Vec<Expr>),
    /// `or` over all operands.
    Or(Vec<Expr>),
    /// `==` / `!=` (negated).
    Eq {
        /// `!=`
        negated: bool,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `<`, `<=`, `>`, `>=`.
    Order(OrderOp, Box<Expr>, Box<Expr>),
    /// `X in LIST` / `X not in LIST` where LIST is not a constant address set.
    In {
        /// `not in`
        negated: bool,
        /// The value looked for.
        needle: Box<Expr>,
        /// The list.
        list: Box<Expr>,
    },
    /// `IP in CIDR-or-IP constants`, precompiled.
    InNet {
        /// `not in`
        negated: bool,
        /// The address.
        needle: Box<Expr>,
        /// The set.
        set: Arc<NetSet>,
    },
    /// `starts_with`, `ends_with`, `contains` on strings.
    Str(StrOp, Box<Expr>, Box<Expr>),
    /// `S matches "re"` with the regex compiled at check time.
    Matches(Box<Expr>, Arc<regex::Regex>),
    /// `timestamp ± duration`, `timestamp - timestamp`, `duration ± duration`.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `any` / `all` with the variable's slot.
    Quant {
        /// Which quantifier.
        all: bool,
        /// The variable's local slot.
        slot: u16,
        /// The list ranged over.
        list: Box<Expr>,
        /// The condition.
        body: Box<Expr>,
    },
    /// A built-in function.
    Call(Func, Vec<Expr>),
}

/// Ordering operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// String operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrOp {
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
    /// `contains` on two strings
    Contains,
}

/// Arithmetic on time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `exists(PATH)`: present and not null.
    Exists,
    /// `len(LIST_OR_STRING)`: 0 for null.
    Len,
    /// `lower(S)`: null for null.
    Lower,
    /// `trim(S)`: without leading and trailing white space (the set
    /// JavaScript's `String.prototype.trim` removes); null for null.
    Trim,
    /// `split(S, SEP)`: the pieces between separators, not trimmed; an
    /// empty list for a null string.
    Split,
}

/// Whether `trim` removes this character: JavaScript's white space and line
/// terminators (so a compiled Action trims exactly the same), which is
/// Unicode's `White_Space` without U+0085 and with U+FEFF.
pub fn is_trim_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// A path into the event or into a quantifier variable.
#[derive(Clone, Debug)]
pub struct Path {
    /// Where the path starts.
    pub root: Root,
    /// The steps after the root.
    pub steps: Box<[Step]>,
    /// The path as the user should read it in errors (`request.ip`).
    pub text: Arc<str>,
    /// How many leading steps go through typed structure (records, lists,
    /// maps). A non-object there is a misfit (a run-time error); below a
    /// `dynamic` value it is just absent.
    pub strict: usize,
}

/// The start of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// The event object.
    Event,
    /// A quantifier variable's current element.
    Local(u16),
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
// A tag byte of its own (no niche packing): the interpreter matches on
// every node, and a plain tag is one load and one compare.
#[repr(u8)]
pub enum Step {
    /// An object key.
    Key(Arc<str>),
    /// A list position.
    Index(usize),
}

/// A constant value.
#[derive(Clone, Debug, PartialEq)]
// A tag byte of its own (no niche packing): the interpreter matches on
// every node, and a plain tag is one load and one compare.
#[repr(u8)]
pub enum Const {
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// An address.
    Ip(IpAddr),
    /// A network.
    Cidr(IpNet),
    /// A duration in milliseconds.
    Duration(i64),
    /// A timestamp in milliseconds since the Unix epoch.
    Timestamp(i64),
    /// A list.
    List(Arc<[Const]>),
}

/// A precompiled set of addresses and networks for `ip in ...`.
/// IPv4-mapped IPv6 entries are stored as IPv4, and lookups normalise the
/// same way, so `::ffff:203.0.113.9` matches `203.0.113.0/24`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetSet {
    /// IPv4 networks as (network, mask), exact addresses as /32.
    pub v4: Vec<(u32, u32)>,
    /// IPv6 networks as (network, mask), exact addresses as /128.
    pub v6: Vec<(u128, u128)>,
}

impl NetSet {
    /// Adds a network (an address is a full-length network).
    pub fn insert(&mut self, net: IpNet) {
        match normalize_net(net) {
            IpNet::V4(n) => {
                let mask = u32::from(n.netmask());
                self.v4.push((u32::from(n.network()) & mask, mask));
            }
            IpNet::V6(n) => {
                let mask = u128::from(n.netmask());
                self.v6.push((u128::from(n.network()) & mask, mask));
            }
        }
    }

    /// Whether the address is in the set: the one CIDR matcher, with
    /// [`net_contains`] its single-network form.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match normalize_ip(ip) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().any(|(net, mask)| a & mask == *net)
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.iter().any(|(net, mask)| a & mask == *net)
            }
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as IPv4; others unchanged.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

/// Whether a network holds an address, with IPv4-mapped IPv6 addresses and
/// networks read as IPv4 on both sides, exactly as [`NetSet::contains`] does
/// for a network literal: a range read from the event matches the same
/// addresses as the same range written in the policy.
pub fn net_contains(net: IpNet, ip: IpAddr) -> bool {
    match (normalize_net(net), normalize_ip(ip)) {
        (IpNet::V4(n), IpAddr::V4(a)) => n.contains(&a),
        (IpNet::V6(n), IpAddr::V6(a)) => n.contains(&a),
        _ => false,
    }
}

/// An IPv4-mapped IPv6 network (`::ffff:0:0/96` and longer) as IPv4.
pub fn normalize_net(net: IpNet) -> IpNet {
    if let IpNet::V6(n) = net {
        if n.prefix_len() >= 96 {
            if let Some(v4) = n.network().to_ipv4_mapped() {
                let len = n.prefix_len().saturating_sub(96);
                if let Ok(v4net) = ipnet::Ipv4Net::new(v4, len) {
                    return IpNet::V4(v4net);
                }
            }
        }
    }
    net
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| {
            IpNet::from(s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0])))
        })
    }

    #[test]
    fn netset_matches_v4_v6_and_mapped() {
        let mut s = NetSet::default();
        s.insert(net("203.0.113.0/24"));
        s.insert(net("2001:db8:10::/48"));
        let ip = |t: &str| t.parse::<IpAddr>().unwrap_or(IpAddr::from([1, 1, 1, 1]));
        assert!(s.contains(ip("203.0.113.9")));
        assert!(s.contains(ip("::ffff:203.0.113.9")));
        assert!(s.contains(ip("2001:db8:10::1")));
        assert!(!s.contains(ip("2001:db8:11::1")));
        let mut only = NetSet::default();
        only.insert(net("203.0.113.0/24"));
        assert!(!only.contains(ip("203.0.114.1")));
        assert!(!only.contains(ip("::203.0.113.9")));
    }
}
