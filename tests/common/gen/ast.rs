//! The generator's own syntax tree of a policy, and its printer. Keeping
//! the tree (rather than only text) lets `Gen::mutate` make one precise
//! edit and print the result again.

use super::cov::{ConstKind, ValueKind};
use std::fmt::Write as _;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    StartsWith,
    EndsWith,
    Contains,
    Matches,
    Add,
    Sub,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Or => "or",
            Op::And => "and",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::Contains => "contains",
            Op::Matches => "matches",
            Op::Add => "+",
            Op::Sub => "-",
        }
    }
    /// Binding strength: `or` 2, `and` 3, comparisons 5, `+`/`-` 6.
    fn level(self) -> u8 {
        match self {
            Op::Or => 2,
            Op::And => 3,
            Op::Add | Op::Sub => 6,
            _ => 5,
        }
    }
}

/// What a literal stands beside, so a mutation can draw another constant
/// of the same kind for the same place.
#[derive(Clone, Debug, PartialEq)]
pub enum Ctx {
    /// Compared with a value of this kind (an enum's values when closed).
    Val(ValueKind, Option<&'static [&'static str]>),
    /// An element of an address set (`ip in [...]`): splitting a range
    /// into halves keeps the meaning.
    Net,
    /// A regular expression.
    Regex,
    /// A `split` separator.
    Sep,
    /// A factor name.
    Factor,
}

/// A constant as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Lit {
    pub text: String,
    pub kind: ConstKind,
    pub ctx: Ctx,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum E {
    Lit(Lit),
    /// A path, a name, `now`: printed as is.
    Name(String),
    Bin(Box<E>, Op, Box<E>),
    Not(Box<E>),
    Call(&'static str, Vec<E>),
    Quant {
        all: bool,
        var: String,
        list: Box<E>,
        body: Box<E>,
    },
    /// Parentheses the precedence does not need.
    Paren(Box<E>),
    /// A list literal.
    List(Vec<E>),
}

impl E {
    pub fn bin(a: E, op: Op, b: E) -> E {
        E::Bin(Box::new(a), op, Box::new(b))
    }

    fn level(&self) -> u8 {
        match self {
            E::Quant { .. } => 1,
            E::Bin(_, op, _) => op.level(),
            E::Not(_) => 4,
            _ => 7,
        }
    }

    /// The expression as policy text.
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.print(&mut s, true);
        s
    }

    /// `tail`: nothing follows this expression up to the end of its
    /// enclosing group, so a quantifier's body may extend to the end.
    fn print(&self, out: &mut String, tail: bool) {
        match self {
            E::Lit(l) => out.push_str(&l.text),
            E::Name(n) => out.push_str(n),
            E::Bin(a, op, b) => {
                let lv = op.level();
                // Left-associative: the left operand may be of the same
                // level, the right one must bind tighter (for `and`/`or`
                // the right may be of the same level too).
                child(a, lv, out, false);
                let _ = write!(out, " {} ", op.text());
                let need = if matches!(op, Op::And | Op::Or) {
                    lv
                } else {
                    lv + 1
                };
                child(b, need, out, tail);
            }
            E::Not(a) => {
                out.push_str("not ");
                child(a, 4, out, tail);
            }
            E::Call(f, args) => {
                out.push_str(f);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    a.print(out, true);
                }
                out.push(')');
            }
            E::Quant {
                all,
                var,
                list,
                body,
            } => {
                let _ = write!(out, "{} {var} in ", if *all { "all" } else { "any" });
                child(list, 7, out, false);
                out.push_str(": ");
                body.print(out, tail);
            }
            E::Paren(a) => {
                out.push('(');
                a.print(out, true);
                out.push(')');
            }
            E::List(items) => {
                out.push('[');
                for (i, a) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    a.print(out, true);
                }
                out.push(']');
            }
        }
    }

    /// Every literal, depth first, mutable (for `LiteralChanged`).
    pub fn lits_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Lit>) {
        match self {
            E::Lit(l) => out.push(l),
            E::Name(_) => {}
            E::Bin(a, _, b) => {
                a.lits_mut(out);
                b.lits_mut(out);
            }
            E::Not(a) | E::Paren(a) => a.lits_mut(out),
            E::Call(_, args) | E::List(args) => args.iter_mut().for_each(|a| a.lits_mut(out)),
            E::Quant { list, body, .. } => {
                list.lits_mut(out);
                body.lits_mut(out);
            }
        }
    }

    /// Every list literal, mutable.
    pub fn lists_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Vec<E>>) {
        match self {
            E::Lit(_) | E::Name(_) => {}
            E::Bin(a, _, b) => {
                a.lists_mut(out);
                b.lists_mut(out);
            }
            E::Not(a) | E::Paren(a) => a.lists_mut(out),
            E::Call(_, args) => args.iter_mut().for_each(|a| a.lists_mut(out)),
            E::List(items) => {
                // Nested first, so the outer list is last: both can be
                // edited, one at a time.
                out.push(items);
            }
            E::Quant { list, body, .. } => {
                list.lists_mut(out);
                body.lists_mut(out);
            }
        }
    }

    /// Every sub-expression that is a single address-set literal in a
    /// membership test (`ip in 10.0.0.0/8`), mutable.
    pub fn net_slots_mut<'a>(&'a mut self, out: &mut Vec<&'a mut E>) {
        match self {
            E::Lit(l) if l.ctx == Ctx::Net => out.push(self),
            E::Lit(_) | E::Name(_) => {}
            E::Bin(a, _, b) => {
                a.net_slots_mut(out);
                b.net_slots_mut(out);
            }
            E::Not(a) | E::Paren(a) => a.net_slots_mut(out),
            E::Call(_, args) | E::List(args) => args.iter_mut().for_each(|a| a.net_slots_mut(out)),
            E::Quant { list, body, .. } => {
                list.net_slots_mut(out);
                body.net_slots_mut(out);
            }
        }
    }
}

fn child(e: &E, need: u8, out: &mut String, tail: bool) {
    // A quantifier swallows everything after it: parenthesise it unless
    // it ends its group.
    let quant_inside = matches!(e, E::Quant { .. }) && !tail;
    if e.level() < need || quant_inside || (ends_in_quant(e) && !tail) {
        out.push('(');
        e.print(out, true);
        out.push(')');
    } else {
        e.print(out, tail);
    }
}

/// Whether printing `e` without parentheses would end in an open
/// quantifier body.
fn ends_in_quant(e: &E) -> bool {
    match e {
        E::Quant { .. } => true,
        E::Not(a) => ends_in_quant(a),
        E::Bin(_, op, b) => {
            // A right operand that needs its own parentheses is closed.
            let need = if matches!(op, Op::And | Op::Or) {
                op.level()
            } else {
                op.level() + 1
            };
            b.level() >= need && ends_in_quant(b)
        }
        _ => false,
    }
}

/// One step of a factor sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct FStep {
    pub enroll: bool,
    pub factors: Factors,
}

/// A factor list: literal, or a `let` holding one.
#[derive(Clone, Debug, PartialEq)]
pub enum Factors {
    Lit(Vec<&'static str>),
    Let(String),
}

/// An effect.
#[derive(Clone, Debug, PartialEq)]
pub enum Eff {
    /// `require mfa [using "P"] [with remember_browser]`; `None`: no `using`.
    Provider {
        provider: Option<&'static str>,
        remember: bool,
    },
    /// `require mfa using factors ...` / `enroll mfa using factors ...`,
    /// then more steps.
    Steps(Vec<FStep>),
    Skip,
    /// The reason as a string literal (escapes included).
    Deny(Option<String>),
    Exempt,
}

impl Eff {
    pub fn text(&self) -> String {
        match self {
            Eff::Provider { provider, remember } => {
                let mut s = String::from("require mfa");
                if let Some(p) = provider {
                    let _ = write!(s, " using \"{p}\"");
                }
                if *remember {
                    s.push_str(" with remember_browser");
                }
                s
            }
            Eff::Steps(steps) => {
                let mut s = String::new();
                for (i, st) in steps.iter().enumerate() {
                    let fs = match &st.factors {
                        Factors::Lit(v) => {
                            let items: Vec<String> = v.iter().map(|f| format!("\"{f}\"")).collect();
                            format!("[{}]", items.join(", "))
                        }
                        Factors::Let(n) => n.clone(),
                    };
                    let head = match (i, st.enroll) {
                        (0, false) => "require mfa",
                        (0, true) => "enroll mfa",
                        (_, false) => " then challenge",
                        (_, true) => " then enroll",
                    };
                    let _ = write!(s, "{head} using factors {fs}");
                }
                s
            }
            Eff::Skip => "skip mfa".into(),
            Eff::Deny(None) => "deny".into(),
            Eff::Deny(Some(r)) => format!("deny {r}"),
            Eff::Exempt => "exempt".into(),
        }
    }
}

/// An assertion's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Exactly,
    AtLeast,
    Never,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LetItem {
    pub name: String,
    pub body: E,
    /// A list of factor names usable in `using factors NAME`.
    pub factors: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleItem {
    pub name: Option<String>,
    pub eff: Eff,
    pub when: E,
    pub unless: Option<E>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssertItem {
    pub name: String,
    pub mode: Mode,
    pub eff: Eff,
    pub when: E,
}

/// A generated policy.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GPolicy {
    /// `declare PATH: TYPE`
    pub declares: Vec<(String, String)>,
    pub lets: Vec<LetItem>,
    /// Print the `let`s last-defined first (uses before definitions).
    pub lets_reversed: bool,
    pub default: Option<Eff>,
    pub default_first: bool,
    pub rules: Vec<RuleItem>,
    pub asserts: Vec<AssertItem>,
}

impl GPolicy {
    /// The policy text, one item per line.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (p, t) in &self.declares {
            let _ = writeln!(s, "declare {p}: {t}");
        }
        let mut lets: Vec<&LetItem> = self.lets.iter().collect();
        if self.lets_reversed {
            lets.reverse();
        }
        for l in lets {
            let _ = writeln!(s, "let {} = {}", l.name, l.body.text());
        }
        let default = self
            .default
            .as_ref()
            .map(|d| format!("default {}\n", d.text()));
        if self.default_first {
            s.push_str(default.as_deref().unwrap_or(""));
        }
        for r in &self.rules {
            if let Some(n) = &r.name {
                let _ = write!(s, "rule {n}: ");
            }
            let _ = write!(s, "{} when {}", r.eff.text(), r.when.text());
            if let Some(u) = &r.unless {
                let _ = write!(s, " unless {}", u.text());
            }
            s.push('\n');
        }
        if !self.default_first {
            s.push_str(default.as_deref().unwrap_or(""));
        }
        for a in &self.asserts {
            let mode = match a.mode {
                Mode::Exactly => "",
                Mode::AtLeast => "at least ",
                Mode::Never => "never ",
            };
            let _ = writeln!(
                s,
                "assert {}: {mode}{} when {}",
                a.name,
                a.eff.text(),
                a.when.text()
            );
        }
        s
    }
}
