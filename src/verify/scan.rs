//! What a policy reads: the event fields (variables), how each is used, and
//! for each a finite set of candidate values that stands for every value
//! the field can take.
//!
//! A variable is *complete* when every JSON value the field can hold
//! behaves, in every comparison the policy makes on it, exactly like one of
//! its candidates. Completeness is what makes a `proved` sound; a variable
//! read in a way this module cannot summarise (a regex, `lower`, two
//! fields compared with each other, ...) is incomplete, and the atoms that
//! read it are left unconstrained.

use crate::ir::{self, ArithOp, Const, Expr, ExprKind as K, Func, Root, Step, StrOp};
use crate::schema::Type;
use ipnet::IpNet;
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where a variable lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Scope {
    /// A field of the event.
    Event,
    /// A field of an element of the list variable with this id.
    Elem(usize),
}

/// How a variable is compared.
#[derive(Default, Debug)]
pub(super) struct Uses {
    eq: Vec<Const>,
    ord: Vec<Const>,
    prefix: Vec<String>,
    suffix: Vec<String>,
    contains: Vec<String>,
    nets: Vec<IpNet>,
    /// Offsets from `now` (ms) where a comparison of this timestamp changes.
    offsets: Vec<i64>,
    /// Strings worth trying that do not make the variable complete.
    hints: Vec<String>,
    /// Constants looked for in a list (a `dynamic` value's array form).
    member: Vec<Const>,
    exists: bool,
    /// Texts `lower(x)` is compared with: `==`/`in`, prefixes, suffixes,
    /// contained texts.
    lowered: [Vec<String>; 4],
}

impl Uses {
    /// Whether the field is read other than through `lower` (or `exists`).
    fn read_directly(&self) -> bool {
        !(self.eq.is_empty()
            && self.ord.is_empty()
            && self.prefix.is_empty()
            && self.suffix.is_empty()
            && self.contains.is_empty()
            && self.nets.is_empty()
            && self.offsets.is_empty()
            && self.hints.is_empty()
            && self.member.is_empty())
    }

    fn read_lowered(&self) -> bool {
        self.lowered.iter().any(|v| !v.is_empty())
    }
}

/// Where `lower(x) OP "text"` puts the text.
const LOWER_EQ: usize = 0;
const LOWER_PREFIX: usize = 1;
const LOWER_SUFFIX: usize = 2;
const LOWER_CONTAINS: usize = 3;

/// One event field the policy reads.
#[derive(Debug)]
pub(super) struct VarInfo {
    pub scope: Scope,
    pub steps: Vec<Step>,
    pub ty: Type,
    /// A user-controlled value (metadata, `dynamic`): it may hold any JSON.
    pub free_json: bool,
    pub uses: Uses,
    /// Why the candidates may not stand for every value.
    pub incomplete: Option<String>,
    /// The path as the user writes it.
    pub text: String,
}

impl VarInfo {
    pub fn is_list(&self) -> bool {
        matches!(self.ty, Type::List(_))
    }
}

/// What one atom reads.
#[derive(Default, Clone, Debug)]
pub(super) struct Scan {
    pub scalars: BTreeSet<usize>,
    pub lists: BTreeSet<usize>,
    /// How often each list variable is referred to.
    pub list_refs: HashMap<usize, usize>,
    pub now: bool,
    /// Why the atom cannot be summarised by its variables at all.
    pub untracked: Option<String>,
}

impl Scan {
    fn merge(&mut self, o: &Scan) {
        self.scalars.extend(o.scalars.iter().copied());
        self.lists.extend(o.lists.iter().copied());
        for (k, v) in &o.list_refs {
            let n = self.list_refs.entry(*k).or_insert(0);
            *n = n.saturating_add(*v);
        }
        self.now |= o.now;
        if self.untracked.is_none() {
            self.untracked.clone_from(&o.untracked);
        }
    }
    fn untrack(&mut self, why: &str) {
        if self.untracked.is_none() {
            self.untracked = Some(why.to_string());
        }
    }
}

/// All variables of a policy.
#[derive(Default)]
pub(super) struct Vars {
    pub vars: Vec<VarInfo>,
    index: HashMap<(Scope, Vec<Step>), usize>,
    let_scans: HashMap<u32, Scan>,
    /// A timestamp constant or a huge duration is compared somewhere: `now`
    /// cannot be fixed without losing generality.
    pub absolute_time: bool,
    /// How deep the scan is (through `let`s too), bounded by [`MAX_SCAN_DEPTH`].
    depth: usize,
}

/// Deeper conditions (a long chain of `let`s) are not summarised.
const MAX_SCAN_DEPTH: usize = 1024;

/// Quantifier slots in scope: the list variable each ranges over, if known.
type Env = Vec<Option<usize>>;

const METADATA: [(&str, &str); 5] = [
    ("user", "app_metadata"),
    ("user", "user_metadata"),
    ("connection", "metadata"),
    ("organization", "metadata"),
    ("client", "metadata"),
];

fn key_text(s: &Step) -> String {
    match s {
        Step::Key(k) => k.to_string(),
        Step::Index(i) => format!("[{i}]"),
    }
}

impl Vars {
    fn var(&mut self, scope: Scope, steps: &[Step], ty: &Type) -> usize {
        if let Some(&i) = self.index.get(&(scope, steps.to_vec())) {
            return i;
        }
        let below_metadata = match (steps.first(), steps.get(1)) {
            (Some(Step::Key(a)), Some(Step::Key(b))) => {
                steps.len() > 2 && METADATA.iter().any(|(x, y)| **a == **x && **b == **y)
            }
            _ => false,
        };
        let (free_json, prefix) = match scope {
            Scope::Event => (below_metadata || matches!(ty, Type::Dynamic), String::new()),
            Scope::Elem(l) => match self.vars.get(l) {
                Some(v) => (v.free_json, format!("{}[]", v.text)),
                None => (true, String::new()),
            },
        };
        let mut text = prefix;
        for s in steps {
            if !text.is_empty() && matches!(s, Step::Key(_)) {
                text.push('.');
            }
            text.push_str(&key_text(s));
        }
        let id = self.vars.len();
        self.vars.push(VarInfo {
            scope,
            steps: steps.to_vec(),
            ty: ty.clone(),
            free_json,
            uses: Uses::default(),
            incomplete: None,
            text,
        });
        self.index.insert((scope, steps.to_vec()), id);
        id
    }

    fn other(&mut self, v: usize, why: &str) {
        if let Some(info) = self.vars.get_mut(v) {
            if info.incomplete.is_none() {
                info.incomplete = Some(format!("`{}` is {why}", info.text));
            }
        }
    }

    fn uses(&mut self, v: usize) -> Option<&mut Uses> {
        self.vars.get_mut(v).map(|i| &mut i.uses)
    }

    /// The variable an expression reads directly, if it is a field read.
    fn var_ref(&mut self, e: &Expr, env: &Env, scan: &mut Scan) -> Option<usize> {
        let (scope, steps): (Scope, &[Step]) = match &e.kind {
            K::Path(p) => match p.root {
                Root::Event => (Scope::Event, &p.steps),
                Root::Local(slot) => (Scope::Elem((*env.get(slot as usize)?)?), &p.steps),
            },
            K::Local(slot) => (Scope::Elem((*env.get(*slot as usize)?)?), &[]),
            _ => return None,
        };
        let v = self.var(scope, steps, &e.ty);
        if scope == Scope::Event {
            if matches!(e.ty, Type::List(_)) {
                scan.lists.insert(v);
                let n = scan.list_refs.entry(v).or_insert(0);
                *n = n.saturating_add(1);
            } else {
                scan.scalars.insert(v);
            }
        }
        Some(v)
    }

    fn is_ref(e: &Expr) -> bool {
        matches!(e.kind, K::Path(_) | K::Local(_))
    }

    /// Scans an atom (a condition that is not `and`, `or` or `not`).
    pub fn scan_atom(&mut self, policy: &ir::Policy, e: &Expr) -> Scan {
        let mut scan = Scan::default();
        self.cond(policy, e, &Vec::new(), &mut scan);
        scan
    }

    /// An expression used as a condition: a bare field is read as a boolean.
    fn cond(&mut self, policy: &ir::Policy, e: &Expr, env: &Env, scan: &mut Scan) {
        if Self::is_ref(e) {
            match self.var_ref(e, env, scan) {
                Some(v) => {
                    if !matches!(e.ty, Type::Bool | Type::Dynamic) {
                        self.other(v, "used as a condition");
                    }
                }
                None => scan.untrack("a quantifier variable of a computed list is read"),
            }
            return;
        }
        match &e.kind {
            K::Not(x) => self.cond(policy, x, env, scan),
            K::And(v) | K::Or(v) => v.iter().for_each(|x| self.cond(policy, x, env, scan)),
            _ => self.value(policy, e, env, scan),
        }
    }

    /// A sub-expression read in a context this scan does not summarise.
    fn generic(&mut self, policy: &ir::Policy, e: &Expr, env: &Env, scan: &mut Scan, why: &str) {
        if Self::is_ref(e) {
            match self.var_ref(e, env, scan) {
                Some(v) => self.other(v, why),
                None => scan.untrack("a quantifier variable of a computed list is read"),
            }
        } else {
            self.value(policy, e, env, scan);
        }
    }

    fn value(&mut self, policy: &ir::Policy, e: &Expr, env: &Env, scan: &mut Scan) {
        if self.depth > MAX_SCAN_DEPTH {
            scan.untrack("the condition nests too deeply to summarise");
            return;
        }
        self.depth = self.depth.saturating_add(1);
        self.value_inner(policy, e, env, scan);
        self.depth = self.depth.saturating_sub(1);
    }

    fn value_inner(&mut self, policy: &ir::Policy, e: &Expr, env: &Env, scan: &mut Scan) {
        if self.lowered(e, env, scan) {
            return;
        }
        match &e.kind {
            K::Const(c) => self.note_const(c),
            K::Now => scan.now = true,
            K::Path(_) | K::Local(_) => self.generic(policy, e, env, scan, "read as a value"),
            K::Let(i) => self.let_scan(policy, *i, scan),
            K::Not(_) | K::And(_) | K::Or(_) => self.cond(policy, e, env, scan),
            K::Eq { lhs, rhs, .. } => match (
                self.const_side(lhs, rhs),
                Self::is_ref(lhs),
                Self::is_ref(rhs),
            ) {
                (Some((x, c)), _, _) => {
                    if let Some(v) = self.var_ref(x, env, scan) {
                        self.note_const(c);
                        if let Some(u) = self.uses(v) {
                            u.eq.push(c.clone());
                        }
                    } else {
                        scan.untrack("a quantifier variable of a computed list is read");
                    }
                }
                _ => {
                    self.time_compare(policy, lhs, rhs, env, scan, "compared with another value");
                }
            },
            K::Order(_, lhs, rhs) => match self.const_side(lhs, rhs) {
                Some((x, c)) => {
                    self.note_const(c);
                    if let Some(v) = self.var_ref(x, env, scan) {
                        if let Some(u) = self.uses(v) {
                            u.ord.push(c.clone());
                        }
                    } else {
                        scan.untrack("a quantifier variable of a computed list is read");
                    }
                }
                None => {
                    self.time_compare(policy, lhs, rhs, env, scan, "ordered against another value")
                }
            },
            K::In { needle, list, .. } => match (&needle.kind, &list.kind) {
                (_, K::Const(Const::List(items))) if Self::is_ref(needle) => {
                    items.iter().for_each(|c| self.note_const(c));
                    match self.var_ref(needle, env, scan) {
                        Some(v) => {
                            if let Some(u) = self.uses(v) {
                                u.eq.extend(items.iter().cloned());
                            }
                        }
                        None => scan.untrack("a quantifier variable of a computed list is read"),
                    }
                }
                (K::Const(c), _) if Self::is_ref(list) => {
                    self.note_const(c);
                    self.member(list, c, env, scan);
                }
                _ => {
                    self.generic(policy, needle, env, scan, "looked up in a computed list");
                    self.generic(policy, list, env, scan, "searched for a computed value");
                }
            },
            K::InNet { needle, set, .. } => {
                if Self::is_ref(needle) {
                    match self.var_ref(needle, env, scan) {
                        Some(v) => {
                            let nets = nets_of(set);
                            if let Some(u) = self.uses(v) {
                                u.nets.extend(nets);
                            }
                        }
                        None => scan.untrack("a quantifier variable of a computed list is read"),
                    }
                } else {
                    self.value(policy, needle, env, scan);
                }
            }
            K::Str(op, lhs, rhs) => match (&rhs.kind, Self::is_ref(lhs)) {
                (K::Const(c), true) => {
                    self.note_const(c);
                    let list_like = matches!(lhs.ty, Type::List(_) | Type::Dynamic);
                    if *op == StrOp::Contains && list_like {
                        self.member(lhs, c, env, scan);
                    }
                    if matches!(lhs.ty, Type::List(_)) {
                        return;
                    }
                    let Some(v) = self.var_ref(lhs, env, scan) else {
                        scan.untrack("a quantifier variable of a computed list is read");
                        return;
                    };
                    let s = match c {
                        Const::Str(s) => s.to_string(),
                        _ => {
                            self.other(v, "compared with a non-string");
                            return;
                        }
                    };
                    if let Some(u) = self.uses(v) {
                        match op {
                            StrOp::StartsWith => u.prefix.push(s),
                            StrOp::EndsWith => u.suffix.push(s),
                            StrOp::Contains => u.contains.push(s),
                        }
                    }
                }
                (K::Const(Const::Str(s)), false) => {
                    // `lower(x) ends_with "..."`: worth trying, not exact.
                    self.hint_call(policy, lhs, s, env, scan);
                }
                _ => {
                    self.generic(policy, lhs, env, scan, "compared with a computed string");
                    self.generic(policy, rhs, env, scan, "compared with a computed string");
                }
            },
            K::Matches(x, _) => {
                self.generic(policy, x, env, scan, "matched against a regular expression")
            }
            K::Arith(_, a, b) => {
                self.generic(policy, a, env, scan, "used in time arithmetic");
                self.generic(policy, b, env, scan, "used in time arithmetic");
            }
            K::Quant {
                slot, list, body, ..
            } => {
                let mut inner = env.clone();
                let want = (*slot as usize).saturating_add(1);
                if inner.len() < want {
                    inner.resize(want, None);
                }
                let target = if Self::is_ref(list) && matches!(list.ty, Type::List(_)) {
                    match self.var_ref(list, env, scan) {
                        Some(l) if self.vars.get(l).is_some_and(|v| v.scope == Scope::Event) => {
                            Some(l)
                        }
                        Some(l) => {
                            self.other(l, "a list ranged over by a nested quantifier");
                            scan.untrack("a quantifier ranges over a list inside a list element");
                            None
                        }
                        None => {
                            scan.untrack("a quantifier variable of a computed list is read");
                            None
                        }
                    }
                } else {
                    self.generic(policy, list, env, scan, "ranged over by a quantifier");
                    scan.untrack("a quantifier ranges over a computed list");
                    None
                };
                if let Some(s) = inner.get_mut(*slot as usize) {
                    *s = target;
                }
                self.cond(policy, body, &inner, scan);
            }
            K::Call(f, args) => match (f, args.first()) {
                (Func::Exists, Some(a)) if Self::is_ref(a) => match self.var_ref(a, env, scan) {
                    Some(v) => {
                        if let Some(u) = self.uses(v) {
                            u.exists = true;
                        }
                    }
                    None => scan.untrack("a quantifier variable of a computed list is read"),
                },
                _ => {
                    let name = match f {
                        Func::Exists => "`exists`",
                        Func::Len => "`len`",
                        Func::Lower => "`lower`",
                        Func::Trim => "`trim`",
                        Func::Split => "`split`",
                    };
                    for a in args {
                        self.generic(policy, a, env, scan, &format!("read through {name}"));
                    }
                }
            },
        }
    }

    /// `lower(x) == "t"`, `lower(x) in ["t", ...]`, `lower(x) starts_with
    /// "t"` (and `ends_with`, `contains`): the texts are recorded on `x`,
    /// which stays exact when it is read no other way.
    fn lowered(&mut self, e: &Expr, env: &Env, scan: &mut Scan) -> bool {
        let arg = lower_arg;
        let texts = |c: &Const| -> Option<Vec<String>> {
            match c {
                Const::Str(t) => Some(vec![t.to_string()]),
                Const::List(items) => items
                    .iter()
                    .map(|i| match i {
                        Const::Str(t) => Some(t.to_string()),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        };
        let (x, kind, found) = match &e.kind {
            K::Eq { lhs, rhs, .. } => match (&lhs.kind, &rhs.kind, arg(lhs), arg(rhs)) {
                (_, K::Const(c @ Const::Str(_)), Some(x), _) => (x, LOWER_EQ, texts(c)),
                (K::Const(c @ Const::Str(_)), _, _, Some(x)) => (x, LOWER_EQ, texts(c)),
                _ => return false,
            },
            K::In { needle, list, .. } => match (arg(needle), &list.kind) {
                (Some(x), K::Const(c)) => (x, LOWER_EQ, texts(c)),
                _ => return false,
            },
            K::Str(op, lhs, rhs) => match (arg(lhs), &rhs.kind) {
                (Some(x), K::Const(c @ Const::Str(_))) => {
                    let kind = match op {
                        StrOp::StartsWith => LOWER_PREFIX,
                        StrOp::EndsWith => LOWER_SUFFIX,
                        StrOp::Contains => LOWER_CONTAINS,
                    };
                    (x, kind, texts(c))
                }
                _ => return false,
            },
            _ => return false,
        };
        let Some(found) = found else { return false };
        match self.var_ref(x, env, scan) {
            Some(v) => {
                if let Some(slot) = self.uses(v).and_then(|u| u.lowered.get_mut(kind)) {
                    slot.extend(found);
                }
            }
            None => scan.untrack("a quantifier variable of a computed list is read"),
        }
        true
    }

    /// Hints for `f(x) OP "s"` with `f` a string function: candidates that
    /// may satisfy it (`x` is incomplete anyway).
    fn hint_call(&mut self, policy: &ir::Policy, call: &Expr, s: &str, env: &Env, scan: &mut Scan) {
        self.value(policy, call, env, scan);
        if let K::Call(_, args) = &call.kind {
            if let Some(a) = args.first() {
                if Self::is_ref(a) {
                    if let Some(v) = self.var_ref(a, env, scan) {
                        if let Some(u) = self.uses(v) {
                            u.hints.push(s.to_string());
                            u.hints.push(s.to_uppercase());
                            u.hints.push(format!(" {s} "));
                        }
                    }
                }
            }
        }
    }

    /// `c in LIST` or `LIST contains c` with LIST a field.
    fn member(&mut self, list: &Expr, c: &Const, env: &Env, scan: &mut Scan) {
        let Some(l) = self.var_ref(list, env, scan) else {
            scan.untrack("a quantifier variable of a computed list is read");
            return;
        };
        match &list.ty {
            Type::List(elem) => {
                let in_event = self.vars.get(l).is_some_and(|v| v.scope == Scope::Event);
                if !in_event {
                    self.other(l, "a list inside a list element");
                    return;
                }
                let e = self.var(Scope::Elem(l), &[], elem);
                if let Some(u) = self.uses(e) {
                    u.eq.push(c.clone());
                }
            }
            _ => {
                if let Some(u) = self.uses(l) {
                    u.member.push(c.clone());
                    u.eq.push(c.clone());
                }
            }
        }
    }

    /// `x OP c` or `c OP x` with `x` a field read and `c` a constant.
    fn const_side<'e>(&self, a: &'e Expr, b: &'e Expr) -> Option<(&'e Expr, &'e Const)> {
        match (&a.kind, &b.kind) {
            (_, K::Const(c)) if Self::is_ref(a) => Some((a, c)),
            (K::Const(c), _) if Self::is_ref(b) => Some((b, c)),
            _ => None,
        }
    }

    /// A comparison between time expressions built from one timestamp
    /// field, `now` and duration constants (`m.timestamp > now - 12h`,
    /// `now - user.created_at < 7d`): the field's candidates get the points
    /// where the comparison changes. Anything else reads its fields as
    /// incomplete.
    fn time_compare(
        &mut self,
        policy: &ir::Policy,
        a: &Expr,
        b: &Expr,
        env: &Env,
        scan: &mut Scan,
        why: &str,
    ) {
        // `a OP b` as `a - b OP 0`: the field's sign, `now`'s sign and the
        // sum of the signed durations.
        let mut t = TimeTerms::default();
        let linear = t.collect(a, 1) && t.collect(b, -1) && t.refs.len() == 1;
        if let (true, Some(&(x, sign))) = (linear, t.refs.first()) {
            // `sign*x - sign*now + d OP 0` turns at `x = now - sign*d`.
            if matches!(x.ty, Type::Timestamp) && (t.now == 0 || t.now == sign.saturating_neg()) {
                scan.now |= t.now != 0;
                match self.var_ref(x, env, scan) {
                    Some(v) => {
                        if t.overflow || t.sum.unsigned_abs() > HUGE_DURATION_MS {
                            self.absolute_time = true;
                        }
                        let offset = if sign > 0 {
                            t.sum.saturating_neg()
                        } else {
                            t.sum
                        };
                        if let Some(u) = self.uses(v) {
                            u.offsets.push(offset);
                        }
                    }
                    None => scan.untrack("a quantifier variable of a computed list is read"),
                }
                return;
            }
        }
        self.generic(policy, a, env, scan, why);
        self.generic(policy, b, env, scan, why);
    }

    fn note_const(&mut self, c: &Const) {
        match c {
            Const::Timestamp(_) => self.absolute_time = true,
            Const::Duration(d) if d.unsigned_abs() > HUGE_DURATION_MS => self.absolute_time = true,
            Const::List(items) => items.iter().for_each(|c| self.note_const(c)),
            _ => {}
        }
    }

    fn let_scan(&mut self, policy: &ir::Policy, i: u32, scan: &mut Scan) {
        if let Some(s) = self.let_scans.get(&i) {
            scan.merge(&s.clone());
            return;
        }
        let Some(def) = policy.lets.get(i as usize) else {
            scan.untrack("a `let` is missing");
            return;
        };
        let mut inner = Scan::default();
        // Cycles are impossible (the checker refuses them); the empty entry
        // only stops a second visit while this one runs.
        self.let_scans.insert(i, Scan::default());
        if matches!(def.value.ty, Type::Bool) {
            self.cond(policy, &def.value, &Vec::new(), &mut inner);
        } else {
            self.value(policy, &def.value, &Vec::new(), &mut inner);
        }
        scan.merge(&inner);
        self.let_scans.insert(i, inner);
    }

    /// Marks variables that cannot be built independently: a list read
    /// both whole and by index, or a field under a list.
    pub fn finish(&mut self) {
        let n = self.vars.len();
        for a in 0..n {
            for b in 0..n {
                let (Some(va), Some(vb)) = (self.vars.get(a), self.vars.get(b)) else {
                    continue;
                };
                if a == b || va.scope != vb.scope || vb.steps.len() <= va.steps.len() {
                    continue;
                }
                if vb.steps.starts_with(&va.steps) && va.is_list() {
                    let why = "a list read both whole and by position";
                    self.other(a, why);
                    self.other(b, why);
                }
            }
        }
        // An element field that is incomplete makes its list incomplete.
        for v in 0..n {
            let (scope, inc) = match self.vars.get(v) {
                Some(i) => (i.scope, i.incomplete.clone()),
                None => continue,
            };
            if let (Scope::Elem(l), Some(why)) = (scope, inc) {
                if let Some(list) = self.vars.get_mut(l) {
                    if list.incomplete.is_none() {
                        list.incomplete = Some(why);
                    }
                }
            }
        }
    }

    /// Pairs (a, b) of event variables where `a`'s path is a strict prefix
    /// of `b`'s: `b` can only be present when `a` is an object.
    pub fn prefixes(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (a, va) in self.vars.iter().enumerate() {
            for (b, vb) in self.vars.iter().enumerate() {
                if a != b
                    && va.scope == Scope::Event
                    && vb.scope == Scope::Event
                    && vb.steps.len() > va.steps.len()
                    && vb.steps.starts_with(&va.steps)
                {
                    out.push((a, b));
                }
            }
        }
        out
    }
}

/// The field in `lower(FIELD)`.
fn lower_arg(x: &Expr) -> Option<&Expr> {
    match &x.kind {
        K::Call(Func::Lower, args) if args.len() == 1 => args
            .first()
            .filter(|a| matches!(a.kind, K::Path(_) | K::Local(_))),
        _ => None,
    }
}

/// Durations beyond this (about 3,000 years) may overflow time arithmetic
/// for some `now`: `now` is then not fixed.
const HUGE_DURATION_MS: u64 = 100_000_000_000_000;

/// The terms of a sum or difference of time values, with their signs.
#[derive(Default)]
struct TimeTerms<'e> {
    refs: Vec<(&'e Expr, i8)>,
    now: i8,
    sum: i64,
    overflow: bool,
}

impl<'e> TimeTerms<'e> {
    fn collect(&mut self, e: &'e Expr, sign: i8) -> bool {
        match &e.kind {
            K::Now => {
                self.now = self.now.saturating_add(sign);
                true
            }
            K::Const(Const::Duration(d)) => {
                let d = if sign > 0 { Some(*d) } else { d.checked_neg() };
                match d.and_then(|d| self.sum.checked_add(d)) {
                    Some(s) => self.sum = s,
                    None => self.overflow = true,
                }
                true
            }
            K::Path(_) | K::Local(_) => {
                self.refs.push((e, sign));
                true
            }
            K::Arith(op, a, b) => {
                let sb = if *op == ArithOp::Sub {
                    sign.saturating_neg()
                } else {
                    sign
                };
                self.collect(a, sign) && self.collect(b, sb)
            }
            _ => false,
        }
    }
}

fn nets_of(set: &ir::NetSet) -> Vec<IpNet> {
    let mut out = Vec::new();
    for (net, mask) in &set.v4 {
        let len = u8::try_from(mask.count_ones()).unwrap_or(32);
        if let Ok(n) = ipnet::Ipv4Net::new(Ipv4Addr::from(*net), len) {
            out.push(IpNet::V4(n));
        }
    }
    for (net, mask) in &set.v6 {
        let len = u8::try_from(mask.count_ones()).unwrap_or(128);
        if let Ok(n) = ipnet::Ipv6Net::new(Ipv6Addr::from(*net), len) {
            out.push(IpNet::V6(n));
        }
    }
    out
}

// ---- candidates ----

/// The fixed evaluation time when `now` can be fixed: 2026-01-01T00:00:00Z.
pub const NOW_MS: i64 = 1_767_225_600_000;

/// At most this many candidates per variable or element kind, once
/// candidates that behave alike are merged (see `verify::Engine::reduce`).
pub const MAX_CANDIDATES: usize = 512;

/// At most this many candidates are generated before merging.
pub const MAX_GENERATED: usize = 8192;

/// Candidate values of a scalar variable; index 0 is "absent". Marks the
/// variable incomplete when the candidates cannot stand for every value.
pub(super) fn candidates(v: &mut VarInfo, cap: usize) -> Vec<Option<Json>> {
    let mut out: Vec<Option<Json>> = vec![None];
    let mut more: Vec<Json> = Vec::new();
    let mut incomplete: Option<String> = None;
    // A field read only through `lower`: its candidates are built from the
    // lower-case texts it is compared with. They are their own lower case
    // (ASCII without capitals, and a filler that is lower case), so each
    // stands for every string whose lower case behaves like it.
    let lowered_only;
    let uses = if v.uses.read_lowered() {
        if v.uses.read_directly() {
            incomplete = Some(format!(
                "`{}` is read both as written and through `lower`",
                v.text
            ));
            &v.uses
        } else {
            let plain = v
                .uses
                .lowered
                .iter()
                .flatten()
                .all(|t| t.chars().all(|c| c.is_ascii() && !c.is_ascii_uppercase()));
            if !plain {
                incomplete = Some(format!(
                    "`{}` is compared through `lower` with a text that is not lower-case ASCII",
                    v.text
                ));
            }
            let [eq, prefix, suffix, contains] = v.uses.lowered.clone();
            lowered_only = Uses {
                eq: eq.into_iter().map(|t| Const::Str(t.into())).collect(),
                prefix,
                suffix,
                contains,
                exists: v.uses.exists,
                ..Uses::default()
            };
            &lowered_only
        }
    } else {
        &v.uses
    };
    match &v.ty {
        Type::String | Type::Enum(_) => strings(uses, &mut more, &mut incomplete, &v.text),
        Type::Int => numbers(&v.uses, true, &mut more),
        Type::Float => numbers(&v.uses, false, &mut more),
        Type::Bool => more.extend([json!(true), json!(false)]),
        Type::Ip => ips(&v.uses, &mut more),
        Type::Timestamp => {
            let mut offsets = v.uses.offsets.clone();
            if offsets.is_empty() {
                offsets.push(0);
            }
            offsets.sort_unstable();
            offsets.dedup();
            for o in offsets {
                let t = NOW_MS.saturating_add(o);
                for d in [-1, 0, 1] {
                    more.extend(time_json(t.saturating_add(d)));
                }
            }
            for c in v.uses.eq.iter().chain(&v.uses.ord) {
                if let Const::Timestamp(t) = c {
                    for d in [-1, 0, 1] {
                        more.extend(time_json(t.saturating_add(d)));
                    }
                }
            }
        }
        Type::Record(_) | Type::Map => more.push(json!({})),
        Type::Dynamic => {
            more.extend([json!(true), json!(false), json!({})]);
            numbers(&v.uses, false, &mut more);
            strings(uses, &mut more, &mut incomplete, &v.text);
            let mut ips_ = Vec::new();
            ips(&v.uses, &mut ips_);
            if !v.uses.nets.is_empty() {
                more.extend(ips_);
            }
            // Arrays for membership: every subset of the constants looked for.
            let member: Vec<Json> =
                dedup_json(v.uses.member.iter().filter_map(const_json).collect());
            if member.len() <= 4 {
                for mask in 0u32..(1u32 << member.len()) {
                    let items: Vec<Json> = member
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1u32 << i) != 0)
                        .map(|(_, j)| j.clone())
                        .collect();
                    more.push(Json::Array(items));
                }
            } else {
                incomplete.get_or_insert_with(|| {
                    format!("`{}` is looked up for too many values", v.text)
                });
                more.push(json!([]));
                more.push(Json::Array(member));
            }
            if v.uses
                .eq
                .iter()
                .any(|c| matches!(c, Const::Duration(_) | Const::Cidr(_)))
            {
                incomplete.get_or_insert_with(|| {
                    format!("`{}` is compared with a duration or range", v.text)
                });
            }
        }
        Type::Duration | Type::Cidr | Type::Null | Type::List(_) => {
            incomplete.get_or_insert_with(|| {
                format!("`{}` has a type verify does not enumerate", v.text)
            });
            for c in v.uses.eq.iter().chain(&v.uses.ord) {
                more.extend(const_json(c));
            }
        }
    }
    if v.free_json && !matches!(v.ty, Type::Dynamic) {
        // A user-controlled value of the wrong JSON type: reading it raises.
        more.push(match v.ty {
            Type::String | Type::Enum(_) | Type::Ip | Type::Timestamp | Type::Cidr => json!(0),
            _ => json!("x"),
        });
        if v.uses.exists && v.steps.len() > 3 {
            incomplete.get_or_insert_with(|| {
                format!(
                    "`{}` is tested with `exists` below a metadata object",
                    v.text
                )
            });
        }
    }
    let mut seen = BTreeSet::new();
    for j in more {
        if out.len() > cap {
            incomplete.get_or_insert_with(|| format!("`{}` has too many distinct cases", v.text));
            break;
        }
        if seen.insert(j.to_string()) {
            out.push(Some(j));
        }
    }
    if v.incomplete.is_none() {
        v.incomplete = incomplete;
    }
    out
}

fn dedup_json(v: Vec<Json>) -> Vec<Json> {
    let mut seen = BTreeSet::new();
    v.into_iter()
        .filter(|j| seen.insert(j.to_string()))
        .collect()
}

fn const_json(c: &Const) -> Option<Json> {
    Some(match c {
        Const::Null => return None,
        Const::Bool(b) => json!(b),
        Const::Int(i) => json!(i),
        Const::Float(f) => serde_json::Number::from_f64(*f).map(Json::Number)?,
        Const::Str(s) => json!(s.as_ref()),
        Const::Ip(a) => json!(a.to_string()),
        Const::Cidr(n) => json!(n.to_string()),
        Const::Duration(d) => json!(d / 1000),
        Const::Timestamp(t) => return time_json(*t),
        Const::List(items) => Json::Array(items.iter().filter_map(const_json).collect()),
    })
}

fn time_json(ms: i64) -> Option<Json> {
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
}

/// RFC 3339 text of a time in milliseconds.
pub(super) fn time_text(ms: i64) -> String {
    match time_json(ms) {
        Some(Json::String(s)) => s,
        _ => ms.to_string(),
    }
}

/// Strings: every constant compared for equality, and for the rest one
/// string per combination of a prefix, a set of contained constants and a
/// suffix, joined by a filler character that no constant holds, so that no
/// other constant can match across the joins (see the module docs of
/// `verify` for why this stands for every string).
fn strings(u: &Uses, out: &mut Vec<Json>, incomplete: &mut Option<String>, text: &str) {
    let consts: Vec<&str> =
        u.eq.iter()
            .chain(&u.ord)
            .filter_map(|c| match c {
                Const::Str(s) => Some(s.as_ref()),
                _ => None,
            })
            .collect();
    let all: Vec<&str> = consts
        .iter()
        .copied()
        .chain(u.prefix.iter().map(String::as_str))
        .chain(u.suffix.iter().map(String::as_str))
        .chain(u.contains.iter().map(String::as_str))
        .chain(u.hints.iter().map(String::as_str))
        .collect();
    if u.ord.iter().any(|c| matches!(c, Const::Str(_))) {
        incomplete.get_or_insert_with(|| format!("`{text}` is ordered as a string"));
    }
    out.extend(consts.iter().map(|s| json!(s)));
    out.extend(u.hints.iter().map(|s| json!(s)));
    let Some(fill) = ['x', 'q', 'z', 'k', '~', '#', 'ζ', '\u{2603}']
        .into_iter()
        .find(|c| all.iter().all(|s| !s.contains(*c)))
    else {
        incomplete.get_or_insert_with(|| format!("`{text}` is compared with too many characters"));
        return;
    };
    let uniq = |v: &[String]| -> Vec<String> {
        let mut v: Vec<String> = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let prefixes: Vec<String> = std::iter::once(String::new())
        .chain(uniq(&u.prefix))
        .collect();
    let suffixes: Vec<String> = std::iter::once(String::new())
        .chain(uniq(&u.suffix))
        .collect();
    let contains = uniq(&u.contains);
    if contains.len() > 4 {
        incomplete.get_or_insert_with(|| format!("`{text}` is searched for too many substrings"));
    }
    let subsets: u32 = 1u32 << contains.len().min(4);
    let mut f = String::new();
    f.push(fill);
    let combos = prefixes
        .len()
        .saturating_mul(suffixes.len())
        .saturating_mul(subsets as usize);
    if combos > MAX_GENERATED {
        incomplete.get_or_insert_with(|| {
            format!("`{text}` is compared with too many prefixes and suffixes")
        });
    }
    for p in &prefixes {
        if out.len() > MAX_GENERATED {
            break;
        }
        for s in &suffixes {
            for mask in 0..subsets {
                let mut w = p.clone();
                w.push_str(&f);
                for (i, c) in contains.iter().enumerate().take(4) {
                    if mask & (1u32 << i) != 0 {
                        w.push_str(c);
                        w.push_str(&f);
                    }
                }
                w.push_str(s);
                out.push(json!(w));
            }
        }
    }
}

/// Numbers: every constant and its neighbours (integers, or the adjacent
/// floats), so each interval between constants has a member.
fn numbers(u: &Uses, int: bool, out: &mut Vec<Json>) {
    let consts: Vec<f64> = u
        .eq
        .iter()
        .chain(&u.ord)
        .filter_map(|c| match c {
            #[expect(clippy::cast_precision_loss, reason = "a candidate near the constant is enough; exact integers are added separately")]
            Const::Int(i) => Some(*i as f64),
            Const::Float(f) => Some(*f),
            _ => None,
        })
        .collect();
    for c in &u.eq {
        if let Const::Int(i) = c {
            out.extend([
                json!(i.saturating_sub(1)),
                json!(i),
                json!(i.saturating_add(1)),
            ]);
        }
    }
    for c in &u.ord {
        if let Const::Int(i) = c {
            out.extend([
                json!(i.saturating_sub(1)),
                json!(i),
                json!(i.saturating_add(1)),
            ]);
        }
    }
    if consts.is_empty() {
        out.push(json!(0));
    }
    for c in consts {
        if !c.is_finite() {
            continue;
        }
        if int {
            let (lo, hi) = (c.floor(), c.ceil());
            for x in [lo - 1.0, lo, hi, hi + 1.0] {
                if x.abs() < 9.0e15 {
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "a whole number below 2^53 in magnitude"
                    )]
                    out.push(json!(x as i64));
                }
            }
        } else {
            for x in [next_float(c, false), c, next_float(c, true)] {
                out.extend(serde_json::Number::from_f64(x).map(Json::Number));
            }
        }
    }
}

/// The next representable float above (or below) `x`.
fn next_float(x: f64, up: bool) -> f64 {
    if x.is_nan() || x.is_infinite() {
        return x;
    }
    if x == 0.0 {
        let tiny = f64::from_bits(1);
        return if up { tiny } else { -tiny };
    }
    let bits = x.to_bits();
    let away = (x > 0.0) == up;
    f64::from_bits(if away {
        bits.saturating_add(1)
    } else {
        bits.saturating_sub(1)
    })
}

/// Addresses: the first address of every network and the one after its
/// end, and the ends of both address spaces: since networks nest or are
/// disjoint, every region of the partition they induce starts at one of
/// these.
fn ips(u: &Uses, out: &mut Vec<Json>) {
    let mut nets = u.nets.clone();
    for c in &u.eq {
        match c {
            Const::Ip(a) => nets.push(IpNet::from(*a)),
            Const::Cidr(n) => nets.push(*n),
            _ => {}
        }
    }
    let mut v4: Vec<u32> = vec![0, u32::MAX, 0x0a00_0001];
    let mapped_start: u128 = 0xffff_u128 << 32;
    let mut v6: Vec<u128> = vec![
        0x2001_0db8_u128 << 96,
        1,
        u128::MAX,
        mapped_start.saturating_sub(1),
        mapped_start.saturating_add(1u128 << 32),
    ];
    for n in nets {
        match ir::normalize_net(n) {
            IpNet::V4(n) => {
                v4.push(u32::from(n.network()));
                v4.push(u32::from(n.broadcast()));
                if let Some(after) = u32::from(n.broadcast()).checked_add(1) {
                    v4.push(after);
                }
                if let Some(before) = u32::from(n.network()).checked_sub(1) {
                    v4.push(before);
                }
            }
            IpNet::V6(n) => {
                v6.push(u128::from(n.network()));
                v6.push(u128::from(n.broadcast()));
                if let Some(after) = u128::from(n.broadcast()).checked_add(1) {
                    v6.push(after);
                }
                if let Some(before) = u128::from(n.network()).checked_sub(1) {
                    v6.push(before);
                }
            }
        }
    }
    v4.sort_unstable();
    v4.dedup();
    v6.sort_unstable();
    v6.dedup();
    out.extend(
        v4.into_iter()
            .map(|a| json!(IpAddr::from(Ipv4Addr::from(a)).to_string())),
    );
    out.extend(
        v6.into_iter()
            .map(|a| json!(IpAddr::from(Ipv6Addr::from(a)).to_string())),
    );
}

// ---- events ----

/// Sets `value` at `steps` under `root`, creating objects and lists on the
/// way; an object value merges into an object already there.
pub(super) fn set_path(root: &mut Json, steps: &[Step], value: Json) {
    let Some((last, init)) = steps.split_last() else {
        merge_into(root, value);
        return;
    };
    let mut cur = root;
    for (i, s) in init.iter().enumerate() {
        let next_is_index = matches!(steps.get(i.saturating_add(1)), Some(Step::Index(_)));
        let fresh = || {
            if next_is_index {
                Json::Array(Vec::new())
            } else {
                Json::Object(Map::new())
            }
        };
        cur = match (s, cur) {
            (Step::Key(k), Json::Object(m)) => {
                let slot = m.entry(k.to_string()).or_insert_with(fresh);
                if slot.is_null() {
                    *slot = fresh();
                }
                slot
            }
            (Step::Index(n), Json::Array(a)) => {
                while a.len() <= *n {
                    a.push(Json::Null);
                }
                let Some(slot) = a.get_mut(*n) else { return };
                if slot.is_null() {
                    *slot = fresh();
                }
                slot
            }
            _ => return,
        };
    }
    match (last, cur) {
        (Step::Key(k), Json::Object(m)) => match m.get_mut(k.as_ref()) {
            Some(existing) => merge_into(existing, value),
            None => {
                m.insert(k.to_string(), value);
            }
        },
        (Step::Index(n), Json::Array(a)) => {
            while a.len() <= *n {
                a.push(Json::Null);
            }
            if let Some(slot) = a.get_mut(*n) {
                merge_into(slot, value);
            }
        }
        _ => {}
    }
}

fn merge_into(slot: &mut Json, value: Json) {
    match (slot, value) {
        (Json::Object(have), Json::Object(add)) => {
            for (k, v) in add {
                have.entry(k).or_insert(v);
            }
        }
        (slot, value) => *slot = value,
    }
}
