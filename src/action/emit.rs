//! Checked IR to JavaScript: one function per `let` (evaluated at most once
//! per event), one per rule, and a decision function that tries the rules
//! strongest effect first, as [`crate::eval::decide`] does.
//!
//! Conditions become JavaScript boolean expressions whose `&&`, `||` and
//! `!` evaluate left to right and stop where the interpreter stops; a
//! run-time error is a thrown `$RAISE`, so it stops the whole condition as
//! it does in the interpreter, and the rule's `try` applies SPEC §7.

use super::lit::{
    const_kind, const_text, conv_fn, elem_kind, float, int, js_str, let_name, net_set, path_kind,
    q, type_kind,
};
use super::regex::translate;
use super::ActionError;
use crate::ir::{ArithOp, Const, Expr, ExprKind as K, Func, OrderOp, Policy, Root, Step, StrOp};
use crate::schema::Type;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The properties of `Object.prototype` (ECMAScript and Annex B): a path
/// key among them always takes the plain `hasOwnProperty` check, since it
/// is always found by an ordinary read.
const OBJECT_PROTOTYPE_NAMES: &[&str] = &[
    "constructor",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// Emits the policy's constants, `let`s, rules and decision function.
pub(super) struct Emitter<'p> {
    policy: &'p Policy,
    /// Module-level constants, in order of first use.
    consts: Vec<String>,
    /// Constant text to its name, so each is built once.
    const_names: HashMap<String, String>,
    /// Each `let`'s kind, once computed.
    let_kinds: Vec<Option<String>>,
    /// Quantifier variables in scope: slot, JavaScript name, kind.
    scope: Vec<(u16, String, String)>,
    /// Fresh-name counter for quantifier variables.
    fresh: usize,
    /// Whether any emitted expression reads `now`.
    uses_now: bool,
    /// Whether the event is `$decide`'s parameter `ev` here (a rule's
    /// `when`, outside quantifier bodies) rather than `cx.ev`: one load
    /// less per read.
    event_param: bool,
}

impl<'p> Emitter<'p> {
    pub(super) fn new(policy: &'p Policy) -> Self {
        Emitter {
            policy,
            consts: Vec::new(),
            const_names: HashMap::new(),
            let_kinds: vec![None; policy.lets.len()],
            scope: Vec::new(),
            fresh: 0,
            uses_now: false,
            event_param: false,
        }
    }

    /// Whether the code reads the clock (`now`), so the Action calls
    /// `Date.now()` only when the policy needs it.
    pub(super) fn uses_now(&self) -> bool {
        self.uses_now
    }

    /// The module-level constants emitted so far.
    pub(super) fn constants(&self) -> &[String] {
        &self.consts
    }

    fn hoist(&mut self, text: String) -> String {
        if let Some(n) = self.const_names.get(&text) {
            return n.clone();
        }
        let name = format!("$K{}", self.consts.len());
        self.consts.push(format!("const {name} = {text};"));
        self.const_names.insert(text, name.clone());
        name
    }

    /// A `let` as a memoised function of the event context.
    pub(super) fn let_fn(&mut self, i: usize, name: &str) -> Result<String, ActionError> {
        let Some(def) = self.policy.lets.get(i) else {
            return Ok(String::new());
        };
        self.scope.clear();
        let (v, _) = self.value(&def.value)?;
        Ok(format!(
            "// let {name}\nfunction {f}(cx) {{\n  let v = cx.l{i};\n  if (v === $UNSET) {{\n    try {{\n      v = {v};\n    }} catch (e) {{\n      v = $caught(e, $RAISE);\n    }}\n    cx.l{i} = v;\n  }}\n  if (v === $RAISE) throw $RAISE;\n  return v;\n}}\n",
            f = let_name(name)
        ))
    }

    /// A rule as a block of `$decide` that returns `index` when the rule
    /// applies (SPEC §7), and the module-level function of its `unless`
    /// (empty without one). The `when` is inline in one function rather
    /// than a function per rule, and the `unless`, evaluated only once
    /// the `when` holds, out of line: V8 spends its inlining budget on the
    /// path readers (docs/deploy.md section 8).
    pub(super) fn rule_block(
        &mut self,
        index: usize,
        rule: &crate::ir::Rule,
        effect: &str,
    ) -> Result<(String, String), ActionError> {
        self.scope.clear();
        self.event_param = true;
        let when = self.truth(&rule.when);
        self.event_param = false;
        let when = when?;
        // Fail closed: a raised `when` applies a require/deny rule and not a
        // skip rule; a raised `unless` exempts a skip rule only.
        let strict = rule.effect.lowers_requirements();
        let mut s = String::new();
        let _ = write!(
            s,
            "  // rule {} (line {}): {effect}\n  try {{\n    w = {when};\n  }} catch (e) {{\n    w = $caught(e, {});\n  }}\n",
            rule.name, rule.line, !strict
        );
        let Some(u) = &rule.unless else {
            let _ = writeln!(s, "  if (w) return {index};");
            return Ok((s, String::new()));
        };
        let unless = self.truth(u)?;
        let _ = writeln!(s, "  if (w && !$unless{index}(cx)) return {index};");
        let f = format!(
            "// rule {} (line {}): unless\nfunction $unless{index}(cx) {{\n  try {{\n    return {unless};\n  }} catch (e) {{\n    return $caught(e, {strict});\n  }}\n}}\n",
            rule.name, rule.line
        );
        Ok((s, f))
    }

    /// A condition: a JavaScript expression that is a boolean or throws.
    fn truth(&mut self, e: &Expr) -> Result<String, ActionError> {
        Ok(match &e.kind {
            K::Not(x) => format!("!{}", self.truth(x)?),
            K::And(items) | K::Or(items) => {
                let op = if matches!(e.kind, K::And(_)) {
                    " && "
                } else {
                    " || "
                };
                let parts = items
                    .iter()
                    .map(|x| self.truth(x))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(op))
            }
            K::Quant {
                all,
                slot,
                list,
                body,
            } => {
                let (l, lk) = self.value(list)?;
                self.fresh = self.fresh.saturating_add(1);
                let var = format!("x{}", self.fresh);
                self.scope.push((*slot, var.clone(), elem_kind(&lk)));
                // The body is a closure: it reads `cx.ev`, as it captures
                // `cx` anyway.
                let param = std::mem::replace(&mut self.event_param, false);
                let b = self.truth(body);
                self.event_param = param;
                self.scope.pop();
                format!("$quant({l}, {}, {all}, ({var}) => {})", q(&lk), b?)
            }
            K::Eq { .. }
            | K::Order(..)
            | K::In { .. }
            | K::InNet { .. }
            | K::Str(..)
            | K::Matches(..)
            | K::Call(Func::Exists, _) => self.value(e)?.0,
            _ => {
                let (v, k) = self.value(e)?;
                match k.as_str() {
                    "b" => format!("$tb({v})"),
                    "j" => format!("$tj({v})"),
                    _ => format!("$tx({v})"),
                }
            }
        })
    }

    /// A value and its kind.
    fn value(&mut self, e: &Expr) -> Result<(String, String), ActionError> {
        Ok(match &e.kind {
            K::Const(c) => (self.constant(c, &e.ty), const_kind(c, &e.ty)),
            K::Now => {
                self.uses_now = true;
                ("cx.now".into(), "t".into())
            }
            K::Path(p) => (
                format!("{}({})", conv_fn(&e.ty), self.raw(p)),
                path_kind(&e.ty),
            ),
            K::Local(slot) => match self.local(*slot) {
                Some((name, kind)) => (name, kind),
                None => {
                    return Err(ActionError::Internal {
                        what: "a quantifier variable is not in scope".into(),
                    })
                }
            },
            K::Let(i) => {
                let i = *i as usize;
                let name = self
                    .policy
                    .lets
                    .get(i)
                    .map(|l| l.name.to_string())
                    .unwrap_or_default();
                (format!("{}(cx)", let_name(&name)), self.let_kind(i)?)
            }
            K::Not(_) | K::And(_) | K::Or(_) | K::Quant { .. } => (self.truth(e)?, "b".into()),
            K::Eq { negated, lhs, rhs } => {
                let (a, ka) = self.value(lhs)?;
                let (b, kb) = self.value(rhs)?;
                // Strings and booleans (or null) are equal exactly when `===`
                // says so, null with null included.
                if ka == kb && (ka == "s" || ka == "b") {
                    let op = if *negated { "!==" } else { "===" };
                    return Ok((format!("({a} {op} {b})"), "b".into()));
                }
                let not = if *negated { "!" } else { "" };
                (
                    format!("{not}$eq({a}, {}, {b}, {})", q(&ka), q(&kb)),
                    "b".into(),
                )
            }
            K::Order(op, lhs, rhs) => {
                let (a, ka) = self.value(lhs)?;
                let (b, kb) = self.value(rhs)?;
                let op = match op {
                    OrderOp::Lt => 0,
                    OrderOp::Le => 1,
                    OrderOp::Gt => 2,
                    OrderOp::Ge => 3,
                };
                (
                    format!("$order({a}, {}, {b}, {}, {op})", q(&ka), q(&kb)),
                    "b".into(),
                )
            }
            K::In {
                negated,
                needle,
                list,
            } => {
                let (n, kn) = self.value(needle)?;
                let not = if *negated { "!" } else { "" };
                // A string among string constants: one `===` per element
                // in a module-level function per list (faster in V8 than
                // `includes` on a frozen array).
                if let (K::Const(Const::List(items)), "s") = (&list.kind, kn.as_str()) {
                    if let Some(f) = self.member_fn(items) {
                        return Ok((format!("{not}{f}({n})"), "b".into()));
                    }
                }
                let (l, kl) = self.value(list)?;
                // A string among strings read at run time (`split`):
                // `includes` is `===` here.
                if kn == "s" && kl == "cs" {
                    return Ok((format!("{not}$ins({n}, {l})"), "b".into()));
                }
                (
                    format!("{not}$in({n}, {}, {l}, {})", q(&kn), q(&kl)),
                    "b".into(),
                )
            }
            K::InNet {
                negated,
                needle,
                set,
            } => {
                let (n, kn) = self.value(needle)?;
                let s = self.hoist(net_set(set));
                let not = if *negated { "!" } else { "" };
                (format!("{not}$innet({n}, {}, {s})", q(&kn)), "b".into())
            }
            K::Str(op, lhs, rhs) => {
                let (a, ka) = self.value(lhs)?;
                let (b, kb) = self.value(rhs)?;
                let op = match op {
                    StrOp::StartsWith => 0,
                    StrOp::EndsWith => 1,
                    StrOp::Contains => 2,
                };
                (
                    format!("$strop({a}, {}, {b}, {}, {op})", q(&ka), q(&kb)),
                    "b".into(),
                )
            }
            K::Matches(lhs, re) => {
                let (a, ka) = self.value(lhs)?;
                let js = translate(re.as_str()).map_err(|construct| ActionError::Regex {
                    pattern: re.as_str().to_string(),
                    construct,
                    span: rhs_span(e, lhs),
                })?;
                let r = self.hoist(format!("new RegExp({}, \"u\")", js_str(&js)));
                (format!("$match({a}, {}, {r})", q(&ka)), "b".into())
            }
            K::Arith(op, lhs, rhs) => {
                let (a, ka) = self.value(lhs)?;
                let (b, kb) = self.value(rhs)?;
                (
                    format!(
                        "$arith({a}, {}, {b}, {}, {})",
                        q(&ka),
                        q(&kb),
                        *op == ArithOp::Add
                    ),
                    type_kind(&e.ty),
                )
            }
            K::Call(f, args) => {
                let Some(arg) = args.first() else {
                    return Err(ActionError::Internal {
                        what: "a call has no argument".into(),
                    });
                };
                match f {
                    Func::Exists => {
                        if let K::Path(p) = &arg.kind {
                            // Presence only: the raw read, without the type's conversion.
                            (format!("$exists({})", self.raw(p)), "b".into())
                        } else {
                            let (v, _) = self.value(arg)?;
                            (format!("({v} !== null)"), "b".into())
                        }
                    }
                    Func::Len => {
                        let (v, k) = self.value(arg)?;
                        (format!("$len({v}, {})", q(&k)), "i".into())
                    }
                    Func::Lower => {
                        let (v, k) = self.value(arg)?;
                        (format!("$lower({v}, {})", q(&k)), "s".into())
                    }
                    Func::Trim => {
                        let (v, k) = self.value(arg)?;
                        (format!("$trims({v}, {})", q(&k)), "s".into())
                    }
                    Func::Split => {
                        let Some(sep) = args.get(1) else {
                            return Err(ActionError::Internal {
                                what: "`split` has no separator".into(),
                            });
                        };
                        let (v, k) = self.value(arg)?;
                        let (s, ks) = self.value(sep)?;
                        // Plain JS strings: a list of converted values.
                        (
                            format!("$split({v}, {}, {s}, {})", q(&k), q(&ks)),
                            "cs".into(),
                        )
                    }
                }
            }
        })
    }

    /// The JSON at a path: `undefined` when absent; raises on a misfit
    /// of a typed step (interp.rs `raw`). Each path gets its own reader
    /// function, so its property reads stay monomorphic in V8.
    fn raw(&mut self, p: &crate::ir::Path) -> String {
        let root = match p.root {
            Root::Event if self.event_param => "ev".to_string(),
            Root::Event => "cx.ev".to_string(),
            Root::Local(slot) => match self.local(slot) {
                Some((name, kind)) if kind == "j" => name,
                _ => "undefined".into(),
            },
        };
        if p.steps.is_empty() {
            return root;
        }
        let mut f = String::from("function (o) {\n");
        for (i, step) in p.steps.iter().enumerate() {
            // Absent (`undefined` or null) reads as absent; a misfit reads
            // as absent at a lax step and raises at a strict one.
            let strict = i < p.strict;
            // Off the fast path (a function per strictness: fewer bytecodes).
            let step_fn = if strict { "$stepStrict" } else { "$step" };
            match step {
                Step::Key(k) => {
                    let key = js_str(k);
                    // `o == null`: undefined or null (one bytecode).
                    f.push_str("  if (o == null) return undefined;\n");
                    if OBJECT_PROTOTYPE_NAMES.contains(&k.as_ref()) {
                        let _ = writeln!(f, "  o = {step_fn}(o, {key});");
                    } else {
                        // The fast path reads `o[key]` directly where that
                        // is an own-property read: `Object.prototype` has
                        // no such key (checked at each read, so a polluted
                        // one, getter or value, is never read) and `o` is
                        // a plain object (not an array) whose prototype is
                        // `Object.prototype`. Anything else takes `$step`
                        // (`$stepStrict`), which checks `hasOwnProperty`
                        // before it reads. `o[$PROBE]` finds nothing (a
                        // symbol private to the module) and runs no getter;
                        // it gives V8's optimiser the object's maps in one
                        // check, so the prototype, `typeof` and array tests
                        // fold to that check instead of calls (docs/deploy.md
                        // section 8). Few bytecodes, so V8 inlines the
                        // reader.
                        let _ = writeln!(
                            f,
                            "  o = {key} in $OP || (o[$PROBE], $proto(o) !== $OP) || typeof o !== \"object\" || $isArray(o) ? {step_fn}(o, {key}) : o[{key}];"
                        );
                    }
                }
                Step::Index(n) => {
                    let misfit = if strict { "$lax(o)" } else { "undefined" };
                    let _ = writeln!(
                        f,
                        "  if (!$isArray(o)) return {misfit};\n  o = {n} < o.length ? o[{n}] : undefined;"
                    );
                }
            }
        }
        f.push_str("  return o;\n}");
        let name = self.hoist_fn(&p.text, f);
        format!("{name}({root})")
    }

    /// A module-level function of one string (or null): whether it is one
    /// of a constant list's strings, as a chain of `===` (a `Set` for a
    /// long list). `None` when an element is not a string.
    fn member_fn(&mut self, items: &[Const]) -> Option<String> {
        let strs = items
            .iter()
            .map(|c| match c {
                Const::Str(s) => Some(js_str(s)),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()?;
        let test = if strs.is_empty() {
            "false".to_string()
        } else if strs.len() <= 16 {
            strs.iter()
                .map(|s| format!("o === {s}"))
                .collect::<Vec<_>>()
                .join(" || ")
        } else {
            // Only this function sees the set, so it is never changed.
            let set = self.hoist(format!("new Set([{}])", strs.join(", ")));
            format!("o !== null && {set}.has(o)")
        };
        Some(self.hoist_fn(
            &format!("one of {} strings", strs.len()),
            format!("function (o) {{\n  return {test};\n}}"),
        ))
    }

    /// A module-level reader function, once per distinct body.
    fn hoist_fn(&mut self, what: &str, body: String) -> String {
        if let Some(n) = self.const_names.get(&body) {
            return n.clone();
        }
        let name = format!("$R{}", self.consts.len());
        let label: String = what
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '@' && c != '#' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.consts.push(format!(
            "// {label}\n{}",
            body.replacen("function (", &format!("function {name}("), 1)
        ));
        self.const_names.insert(body, name.clone());
        name
    }

    fn local(&self, slot: u16) -> Option<(String, String)> {
        self.scope
            .iter()
            .rev()
            .find(|(s, _, _)| *s == slot)
            .map(|(_, n, k)| (n.clone(), k.clone()))
    }

    /// A `let`'s kind: the kind [`Self::value`] gives its value, emitted
    /// with no quantifier variable in scope (a `let` sees none). The value
    /// is emitted here only for its kind (constants it hoists are the ones
    /// `let_fn` hoists), so the kind cannot drift from the code: one
    /// implementation per concept, where a separate kind table once typed
    /// `split` and `trim` as booleans.
    fn let_kind(&mut self, i: usize) -> Result<String, ActionError> {
        if let Some(Some(k)) = self.let_kinds.get(i) {
            return Ok(k.clone());
        }
        let policy = self.policy;
        let Some(def) = policy.lets.get(i) else {
            return Err(ActionError::Internal {
                what: "a `let` is missing".into(),
            });
        };
        let saved = std::mem::take(&mut self.scope);
        let kind = self.value(&def.value).map(|(_, k)| k);
        self.scope = saved;
        let kind = kind?;
        if let Some(m) = self.let_kinds.get_mut(i) {
            *m = Some(kind.clone());
        }
        Ok(kind)
    }

    fn constant(&mut self, c: &Const, ty: &Type) -> String {
        match c {
            Const::Null => "null".into(),
            Const::Bool(b) => b.to_string(),
            Const::Int(i) | Const::Duration(i) | Const::Timestamp(i) => int(*i),
            Const::Float(f) => float(*f),
            Const::Str(s) => js_str(s),
            Const::Ip(_) | Const::Cidr(_) => {
                let text = format!("Object.freeze({})", const_text(c));
                self.hoist(text)
            }
            Const::List(items) => {
                let elem = match ty {
                    Type::List(t) => (**t).clone(),
                    _ => Type::Null,
                };
                let parts: Vec<String> = items.iter().map(|x| self.constant(x, &elem)).collect();
                self.hoist(format!("Object.freeze([{}])", parts.join(", ")))
            }
        }
    }
}

/// The span of a `matches` pattern: from after the left operand to the end.
fn rhs_span(e: &Expr, lhs: &Expr) -> miette::SourceSpan {
    let start = lhs.span.end.min(e.span.end);
    let len = e.span.end.saturating_sub(start);
    miette::SourceSpan::new((start as usize).into(), len as usize)
}
