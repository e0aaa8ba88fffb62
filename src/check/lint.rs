//! Lints: policies that check and run but probably do not mean what they
//! say. Each is a warning with a fix that keeps the intended meaning.

use super::{CheckError, Checker};
use crate::syntax::ast::{self, Effect, ExprKind, Quantifier};

/// The most (skip rule, other rule) pairs [`Checker::skip_overlap`] compares.
const MAX_OVERLAP_PAIRS: usize = 40_000;

impl<'a> Checker<'a> {
    /// Runs the lints over the parsed policy (after checking, so `let`s and
    /// `declare`s know whether they were used).
    pub(super) fn lints(&mut self, policy: &'a ast::Policy) {
        for item in &policy.items {
            match item {
                ast::Item::Let(l) => self.quantifier_scope(&l.value),
                ast::Item::Assert(a) => self.quantifier_scope(&a.when),
                ast::Item::Rule(r) => {
                    self.quantifier_scope(&r.when);
                    if let Some(u) = &r.unless {
                        self.quantifier_scope(u);
                    }
                }
                _ => {}
            }
        }
        self.deny_complement(policy);
        self.skip_overlap(policy);
        self.unused(policy);
    }

    /// `any r in roles: r starts_with "a" or email ends_with "@x"`: the
    /// `or` is inside the quantifier, and one side does not use `r`. Only
    /// `or` under `any` and `and` under `all` differ from the reading with
    /// the connective outside (on an empty list); those are reported.
    #[expect(
        clippy::indexing_slicing,
        reason = "indexes found in the same slices they index (`first_free` is a position in `items`), counts bounded by the policy size"
    )]
    fn quantifier_scope(&mut self, e: &ast::Expr) {
        match &e.node {
            ExprKind::Quant(q, var, list, body) => {
                self.quantifier_scope(list);
                self.quantifier_scope(body);
                let (items, word) = match (&body.node, q) {
                    (ExprKind::Or(items), Quantifier::Any) => (items, "or"),
                    (ExprKind::And(items), Quantifier::All) => (items, "and"),
                    _ => return,
                };
                if self.parenthesised(body) {
                    return;
                }
                let uses: Vec<bool> = items.iter().map(|x| mentions(x, &var.node)).collect();
                let Some(first_free) = uses.iter().position(|u| !u) else {
                    return;
                };
                let quant = match q {
                    Quantifier::Any => "any",
                    Quantifier::All => "all",
                };
                let head = format!("{quant} {} in {}:", var.node, self.source.slice(list.span));
                let body_text = self.source.slice(body.span);
                let inside = format!("{head} ({body_text})");
                // The connective outside: possible when the sides that use
                // the variable come first.
                let outside = if first_free > 0 && uses[first_free..].iter().all(|u| !u) {
                    let bound = items[..first_free]
                        .iter()
                        .map(|x| self.source.slice(x.span))
                        .collect::<Vec<_>>()
                        .join(&format!(" {word} "));
                    let free = items[first_free..]
                        .iter()
                        .map(|x| self.source.slice(x.span))
                        .collect::<Vec<_>>()
                        .join(&format!(" {word} "));
                    Some(format!("({head} {bound}) {word} {free}"))
                } else {
                    None
                };
                let free_text = self.source.slice(items[first_free].span).to_string();
                let help = match outside {
                    Some(o) => format!(
                        "if `{free_text}` is meant on its own, write `{o}`; if it belongs inside, write `{inside}`"
                    ),
                    None => format!("if the whole condition belongs inside, say so: `{inside}`"),
                };
                self.err(CheckError::QuantifierScope {
                    word,
                    quant,
                    var: var.node.to_string(),
                    span: items[first_free].span.into(),
                    help: Some(help),
                });
            }
            ExprKind::Field(b, _) | ExprKind::Index(b, _) | ExprKind::Not(b) => {
                self.quantifier_scope(b)
            }
            ExprKind::List(v) | ExprKind::And(v) | ExprKind::Or(v) | ExprKind::Call(_, v) => {
                for x in v {
                    self.quantifier_scope(x);
                }
            }
            ExprKind::Binary(_, a, b) => {
                self.quantifier_scope(a);
                self.quantifier_scope(b);
            }
            ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Now => {}
        }
    }

    /// Whether the expression was written inside one pair of parentheses
    /// that encloses all of it.
    fn parenthesised(&self, e: &ast::Expr) -> bool {
        let text = self.source.text.as_ref();
        let before = text.get(..e.span.start as usize).unwrap_or("").trim_end();
        let after = text.get(e.span.end as usize..).unwrap_or("").trim_start();
        let inner = self.source.slice(e.span);
        (before.ends_with('(') && after.starts_with(')'))
            || (inner.starts_with('(') && inner.ends_with(')') && closes_at_end(inner))
    }

    /// `deny when not (a or b)` where `a` and `b` are the conditions of the
    /// policy's other rules: a run-time error inside makes the `not` true,
    /// so the deny applies over them. `default deny` says the same without
    /// that failure.
    fn deny_complement(&mut self, policy: &ast::Policy) {
        if policy
            .items
            .iter()
            .any(|i| matches!(i, ast::Item::Default(_)))
        {
            return;
        }
        // Deny rules of the form `deny when not (...)`, no `unless`: the
        // other rules' conditions are only read when there is one (most
        // policies have none).
        let candidates: Vec<_> = policy
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Rule(r) if r.unless.is_none() => match (&r.effect.node, &r.when.node) {
                    (Effect::Deny { reason }, ExprKind::Not(inner)) => Some((r, reason, &**inner)),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let others: std::collections::HashSet<String> = policy
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Rule(r) if !matches!(r.effect.node, Effect::Deny { .. }) => {
                    Some(normalise(self.source.slice(r.when.span)))
                }
                _ => None,
            })
            .collect();
        for (r, reason, inner) in candidates {
            let parts: Vec<&ast::Expr> = match &inner.node {
                ExprKind::Or(items) => items.iter().collect(),
                _ => vec![inner],
            };
            let all_rules = parts.iter().all(|p| {
                let t = normalise(self.source.slice(p.span));
                let t = t
                    .strip_prefix('(')
                    .and_then(|x| x.strip_suffix(')'))
                    .map_or(t.clone(), str::to_string);
                others.contains(&t)
            });
            if !all_rules {
                continue;
            }
            let default = match reason {
                Some(r) => format!("default deny \"{}\"", r.node.escape_default()),
                None => "default deny".into(),
            };
            self.err(CheckError::DenyComplement {
                span: r.when.span.into(),
                help: Some(format!(
                    "remove this rule and write `{default}`: it denies the same logins when nothing fails, and a run-time error in a `require` rule's condition then makes that rule apply (errors fail closed) instead of denying the login"
                )),
            });
        }
    }

    /// A `skip mfa` rule and a `require`/`deny` rule that can both apply:
    /// where they do, the stronger effect wins and the skip never decides.
    /// Rules whose conditions visibly exclude each other (`A` and `not A`,
    /// `X == "a"` and `X == "b"`, an `unless` that holds the other's
    /// condition) are not reported.
    #[expect(
        clippy::indexing_slicing,
        reason = "indexes found in the same slices they index (`first_free` is a position in `items`), counts bounded by the policy size"
    )]
    fn skip_overlap(&mut self, policy: &ast::Policy) {
        let rules: Vec<&ast::Rule> = policy
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Rule(r) => Some(r),
                _ => None,
            })
            .collect();
        // Bounded: a policy with thousands of rules of each kind is not
        // compared pair by pair (checking must stay fast).
        let skips = rules
            .iter()
            .filter(|r| matches!(r.effect.node, Effect::Skip))
            .count();
        if skips.saturating_mul(rules.len().saturating_sub(skips)) > MAX_OVERLAP_PAIRS {
            return;
        }
        for (si, s) in rules.iter().enumerate() {
            if !matches!(s.effect.node, Effect::Skip) {
                continue;
            }
            // Only `require`/`enroll` rules: a `deny` rule beside a `skip`
            // rule is meant to win (SPEC §15), and an exemption decides
            // skip_mfa too.
            let stronger: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    matches!(
                        r.effect.node,
                        Effect::Require { .. } | Effect::Enroll { .. }
                    )
                })
                .filter(|(_, r)| !disjoint(s, r))
                .map(|(i, _)| i)
                .collect();
            if stronger.is_empty() {
                continue;
            }
            let when = normalise(self.source.slice(s.when.span));
            let applies = match &s.unless {
                Some(u) => format!(
                    "({when}) and not ({})",
                    normalise(self.source.slice(u.span))
                ),
                None => when,
            };
            self.overlaps.push(super::Overlap {
                skip: si,
                skip_label: self.rule_label(s),
                others: stronger
                    .iter()
                    .map(|i| {
                        (
                            *i,
                            self.rule_label(rules[*i]),
                            effect_words(&rules[*i].effect.node),
                        )
                    })
                    .collect(),
                span: s.when.span,
                applies,
            });
        }
    }

    fn rule_label(&self, r: &ast::Rule) -> String {
        match &r.name {
            Some(n) => format!("`{}`", n.node),
            None => format!("`line {}`", self.source.lines().line(r.span.start)),
        }
    }

    /// `let`s no rule or `let` uses, `declare`s no path reads.
    fn unused(&mut self, policy: &ast::Policy) {
        // A definitions file (only `let`, `declare`, `include`) is meant to
        // be included: its names are used elsewhere. Definitions brought in
        // by an `include` (their span is the include's) are used by some
        // policies and not others.
        let included: Vec<crate::source::Span> = policy
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Include(inc) => Some(inc.span),
                _ => None,
            })
            .collect();
        let definitions_only = policy
            .items
            .iter()
            .all(|i| !matches!(i, ast::Item::Rule(_) | ast::Item::Default(_)));
        if definitions_only && !policy.items.is_empty() {
            return;
        }
        for item in &policy.items {
            match item {
                ast::Item::Let(l) if included.contains(&l.span) => {}
                ast::Item::Declare(d) if included.contains(&d.span) => {}
                ast::Item::Let(l) => {
                    let used = self
                        .let_index
                        .get(&l.name.node)
                        .is_some_and(|i| self.let_used.get(*i).copied().unwrap_or(true));
                    if !used && !l.name.node.starts_with('_') && !self.is_event_name(&l.name.node) {
                        self.err(CheckError::UnusedLet {
                            name: l.name.node.to_string(),
                            span: l.name.span.into(),
                        });
                    }
                }
                ast::Item::Declare(d) => {
                    let text: Vec<&str> = d.path.iter().map(|i| i.node.as_ref()).collect();
                    let text = text.join(".");
                    if self.declares.get(&text).is_some_and(|x| !x.used.get()) {
                        self.err(CheckError::UnusedDeclare {
                            path: text,
                            span: d.span.into(),
                        });
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether the bare name `var` occurs in `e` (a use of the quantifier
/// variable, unless an inner quantifier rebinds it).
fn mentions(e: &ast::Expr, var: &str) -> bool {
    match &e.node {
        ExprKind::Name(n) => &**n == var,
        ExprKind::Lit(_) | ExprKind::Now => false,
        ExprKind::Field(b, _) | ExprKind::Index(b, _) | ExprKind::Not(b) => mentions(b, var),
        ExprKind::List(v) | ExprKind::And(v) | ExprKind::Or(v) | ExprKind::Call(_, v) => {
            v.iter().any(|x| mentions(x, var))
        }
        ExprKind::Binary(_, a, b) => mentions(a, var) || mentions(b, var),
        ExprKind::Quant(_, v, list, body) => {
            mentions(list, var) || (&*v.node != var && mentions(body, var))
        }
    }
}

/// Whether the `(` that starts `text` closes at its last character.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "indexes found in the same slices they index (`first_free` is a position in `items`), counts bounded by the policy size"
)]
fn closes_at_end(text: &str) -> bool {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let last = text.len().saturating_sub(1);
    for (i, c) in text.char_indices() {
        if in_str {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_str = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == last;
                }
            }
            _ => {}
        }
    }
    false
}

fn effect_words(e: &Effect) -> &'static str {
    match e {
        Effect::Enroll { .. } => "enroll mfa",
        _ => "require mfa",
    }
}

/// Source text with runs of whitespace made one space.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The top-level `and` parts of a condition.
fn conjuncts(e: &ast::Expr) -> Vec<&ast::Expr> {
    match &e.node {
        ExprKind::And(items) => items.iter().flat_map(conjuncts).collect(),
        _ => vec![e],
    }
}

/// The top-level `or` parts of a condition.
fn disjuncts(e: &ast::Expr) -> Vec<&ast::Expr> {
    match &e.node {
        ExprKind::Or(items) => items.iter().flat_map(disjuncts).collect(),
        _ => vec![e],
    }
}

/// Whether two conditions visibly cannot hold together.
fn excludes(a: &ast::Expr, b: &ast::Expr) -> bool {
    use ast::BinOp;
    match (&a.node, &b.node) {
        // `not (... or A or ...)` excludes `A`.
        (ExprKind::Not(x), _) if disjuncts(x).iter().any(|d| **d == *b) => true,
        (_, ExprKind::Not(y)) if disjuncts(y).iter().any(|d| **d == *a) => true,
        (ExprKind::Binary(o1, x1, v1), ExprKind::Binary(o2, x2, v2)) if x1 == x2 => {
            match (o1.node, o2.node) {
                (BinOp::Eq, BinOp::Eq) => {
                    matches!((&v1.node, &v2.node), (ExprKind::Lit(l1), ExprKind::Lit(l2)) if l1 != l2)
                }
                (BinOp::Eq, BinOp::Ne) | (BinOp::Ne, BinOp::Eq) => v1 == v2,
                (BinOp::In, BinOp::NotIn) | (BinOp::NotIn, BinOp::In) => v1 == v2,
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether a `skip` rule and another rule can never both apply.
fn disjoint(s: &ast::Rule, r: &ast::Rule) -> bool {
    let cs = conjuncts(&s.when);
    let cr = conjuncts(&r.when);
    if cs.iter().any(|a| cr.iter().any(|b| excludes(a, b))) {
        return true;
    }
    // `r ... unless U`: U holds whenever s applies.
    let holds_under = |u: &ast::Expr, when: &ast::Expr, parts: &[&ast::Expr]| {
        disjuncts(u)
            .iter()
            .any(|d| **d == *when || parts.iter().any(|p| **d == **p))
    };
    if r.unless
        .as_ref()
        .is_some_and(|u| holds_under(u, &s.when, &cs))
    {
        return true;
    }
    s.unless
        .as_ref()
        .is_some_and(|u| holds_under(u, &r.when, &cr))
}
