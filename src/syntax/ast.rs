//! The untyped, spanned syntax tree. Equality ignores spans, so tests can
//! compare trees built by hand with parsed ones.

use crate::source::Span;
use std::sync::Arc;

/// A node with a span that equality ignores.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The node.
    pub node: T,
    /// Where it stands in the source.
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T> Spanned<T> {
    /// Wraps a node with its span.
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// An identifier.
pub type Ident = Spanned<Arc<str>>;

/// A whole `.mfapolicy` file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Policy {
    /// Items in source order.
    pub items: Vec<Item>,
}

/// One top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `include "PATH"`
    Include(Include),
    /// `let NAME = EXPR`
    Let(Let),
    /// `declare PATH: TYPE`
    Declare(Declare),
    /// `default EFFECT`
    Default(Spanned<Effect>),
    /// A named or unnamed rule.
    Rule(Rule),
    /// `assert NAME: [at least | never] EFFECT when COND` (SPEC §12).
    Assert(Assert),
}

/// An assertion: what must hold for every login. It never changes a
/// decision; `mfapol verify` proves or refutes it.
#[derive(Clone, Debug)]
pub struct Assert {
    /// Its name.
    pub name: Ident,
    /// Exactly, at least, or never.
    pub mode: AssertMode,
    /// The decision it is about.
    pub effect: Spanned<Effect>,
    /// The logins it is about.
    pub when: Expr,
    /// The whole item.
    pub span: Span,
}

impl PartialEq for Assert {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.mode == other.mode
            && self.effect == other.effect
            && self.when == other.when
    }
}

/// How an assertion's effect is compared with the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssertMode {
    /// `assert N: EFFECT when ...`: exactly that decision kind.
    Exactly,
    /// `at least EFFECT`: that effect or a stronger one.
    AtLeast,
    /// `never EFFECT`: never that decision kind.
    Never,
}

impl AssertMode {
    /// The words before the effect, with a trailing space (`"at least "`).
    pub fn prefix(self) -> &'static str {
        match self {
            AssertMode::Exactly => "",
            AssertMode::AtLeast => "at least ",
            AssertMode::Never => "never ",
        }
    }
}

/// `include "PATH"`: the `let`s and `declare`s of another file.
#[derive(Clone, Debug)]
pub struct Include {
    /// The path as written, relative to the including file.
    pub path: Spanned<String>,
    /// The whole item.
    pub span: Span,
}

impl PartialEq for Include {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

/// `let NAME = EXPR`
#[derive(Clone, Debug)]
pub struct Let {
    /// The bound name.
    pub name: Ident,
    /// The value.
    pub value: Expr,
    /// The whole item.
    pub span: Span,
}

/// `declare PATH: TYPE`
#[derive(Clone, Debug)]
pub struct Declare {
    /// The dotted path, one identifier per segment.
    pub path: Vec<Ident>,
    /// The declared type.
    pub ty: Spanned<TypeExpr>,
    /// The whole item.
    pub span: Span,
}

/// A type as written in a `declare`.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExpr {
    /// A named type: `string`, `int`, `bool`, `ip`, ...
    Named(Arc<str>),
    /// `list<T>`
    List(Box<Spanned<TypeExpr>>),
    /// `T?`
    Optional(Box<Spanned<TypeExpr>>),
}

/// A rule: `rule NAME: EFFECT when COND [unless COND]`, or the same unnamed.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The name; `None` for an unnamed rule (identified as `line N`).
    pub name: Option<Ident>,
    /// What the rule decides.
    pub effect: Spanned<Effect>,
    /// The `when` condition.
    pub when: Expr,
    /// The optional `unless` condition.
    pub unless: Option<Expr>,
    /// The whole item.
    pub span: Span,
}

/// What a rule or the default decides.
#[derive(Clone, Debug)]
pub enum Effect {
    /// `require mfa [using "P" | using factors [...] [then ...]*] [with remember_browser]`
    Require {
        /// How the challenge is made.
        using: Option<Using>,
        /// `with remember_browser`, with its span.
        remember_browser: Option<Span>,
        /// The steps after the first (`then challenge|enroll using factors ...`).
        then: Vec<ThenStep>,
    },
    /// `enroll mfa using factors [...] [then ...]*`
    Enroll {
        /// The factors to enroll in.
        factors: Spanned<Factors>,
        /// The steps after the first.
        then: Vec<ThenStep>,
    },
    /// `skip mfa`
    Skip,
    /// `exempt`: no MFA, overriding `require`/`enroll` rules (not `deny`).
    Exempt,
    /// `deny ["REASON"]`
    Deny {
        /// The reason shown to the user.
        reason: Option<Spanned<String>>,
    },
}

// Equality ignores spans everywhere in the tree, so that a tree built by
// hand, or parsed from differently laid out text, equals the parsed one.
impl PartialEq for Let {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value == other.value
    }
}

impl PartialEq for Declare {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.ty == other.ty
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.effect == other.effect
            && self.when == other.when
            && self.unless == other.unless
    }
}

impl PartialEq for Effect {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Effect::Require {
                    using: a,
                    remember_browser: ra,
                    then: ta,
                },
                Effect::Require {
                    using: b,
                    remember_browser: rb,
                    then: tb,
                },
            ) => a == b && ra.is_some() == rb.is_some() && ta == tb,
            (
                Effect::Enroll {
                    factors: a,
                    then: ta,
                },
                Effect::Enroll {
                    factors: b,
                    then: tb,
                },
            ) => a == b && ta == tb,
            (Effect::Skip, Effect::Skip) | (Effect::Exempt, Effect::Exempt) => true,
            (Effect::Deny { reason: a }, Effect::Deny { reason: b }) => a == b,
            _ => false,
        }
    }
}

/// The `using` clause of `require mfa`.
#[derive(Clone, Debug, PartialEq)]
pub enum Using {
    /// `using "PROVIDER"`
    Provider(Spanned<String>),
    /// `using factors [...]` or `using factors NAME`
    Factors(Spanned<Factors>),
}

/// A factor list in an effect.
#[derive(Clone, Debug, PartialEq)]
pub enum Factors {
    /// `["otp", "phone"]`
    List(Vec<Spanned<String>>),
    /// The name of a `let` holding a list of factor strings.
    Let(String),
}

/// `then challenge|enroll using factors ...`: a later step of a sequence.
#[derive(Clone, Debug)]
pub struct ThenStep {
    /// Challenge or enroll.
    pub kind: StepKind,
    /// Its factors.
    pub factors: Spanned<Factors>,
    /// The whole step.
    pub span: Span,
}

impl PartialEq for ThenStep {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.factors == other.factors
    }
}

/// What one step of a factor sequence does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// `api.authentication.challengeWith*`
    Challenge,
    /// `api.authentication.enrollWith*`
    Enroll,
}

impl StepKind {
    /// How the step is written in JSON and in the language.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Challenge => "challenge",
            StepKind::Enroll => "enroll",
        }
    }
}

/// An expression.
pub type Expr = Spanned<ExprKind>;

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Lit(Lit),
    /// A bare name: a `let`, a schema root, a shorthand or a quantifier variable.
    Name(Arc<str>),
    /// `BASE.field`
    Field(Box<Expr>, Ident),
    /// `BASE[index]`
    Index(Box<Expr>, Spanned<IndexKey>),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `name(args)`
    Call(Ident, Vec<Expr>),
    /// `now`
    Now,
    /// `not X`
    Not(Box<Expr>),
    /// `a and b and ...` (flattened, at least two operands)
    And(Vec<Expr>),
    /// `a or b or ...` (flattened, at least two operands)
    Or(Vec<Expr>),
    /// A binary operator: comparison, membership, string test or arithmetic.
    Binary(Spanned<BinOp>, Box<Expr>, Box<Expr>),
    /// `any X in L: COND` / `all X in L: COND`
    Quant(Quantifier, Ident, Box<Expr>, Box<Expr>),
}

/// A list index: `[0]` or `["key"]`.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexKey {
    /// A position in a list.
    Int(i64),
    /// A key in a map.
    Str(String),
}

/// `any` or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// True when the body holds for some element.
    Any,
    /// True when the body holds for every element.
    All,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
    /// `contains`
    Contains,
    /// `matches`
    Matches,
    /// `+`
    Add,
    /// `-`
    Sub,
}

impl BinOp {
    /// How the operator is written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::StartsWith => "starts_with",
            BinOp::EndsWith => "ends_with",
            BinOp::Contains => "contains",
            BinOp::Matches => "matches",
            BinOp::Add => "+",
            BinOp::Sub => "-",
        }
    }
}

/// Literals. Addresses keep their text: the checker validates them, so an
/// invalid one is a precise check error rather than a parse failure.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    /// `"text"` (escapes resolved)
    Str(String),
    /// `42`
    Int(i64),
    /// `1.5`
    Float(f64),
    /// `15m`, in seconds
    Duration(i64),
    /// `true` / `false`
    Bool(bool),
    /// `null`
    Null,
    /// `10.0.0.1`, `::1`
    Ip(String),
    /// `10.0.0.0/8`
    Cidr(String),
}
