//! What a policy reads: the event fields (variables) and, for each, every
//! way it is read ([`Use`]).
//!
//! This module only records; it decides nothing. Whether a variable's
//! candidates can stand for every value it may hold is decided by the
//! allow-list in [`super::complete`], from the uses recorded here. Anything
//! this scan does not recognise is recorded as [`Use::Other`], which no
//! entry of the allow-list accepts: a new operator, function or value kind
//! can only make a variable incomplete (and its atoms unconstrained), never
//! give a wrong `proved`.

use crate::ir::{self, ArithOp, Const, Expr, ExprKind as K, Func, Root, Step, StrOp};
use crate::schema::Type;
use ipnet::IpNet;
use std::collections::{BTreeSet, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Where a variable lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Scope {
    /// A field of the event.
    Event,
    /// A field of an element of the list variable with this id.
    Elem(usize),
}

/// `lower(x) OP "text"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LowerOp {
    /// `==`, `!=`, `in [...]`
    Eq,
    /// `starts_with`
    Prefix,
    /// `ends_with`
    Suffix,
    /// `contains`
    Contains,
}

/// One way a variable is read.
#[derive(Clone, Debug)]
pub(super) enum Use {
    /// `x == c`, `x != c`, `x in [c, ...]` (one use per element).
    Eq(Const),
    /// `x < c` (and `<=`, `>`, `>=`, either side).
    Ord(Const),
    /// `x starts_with "t"`, `ends_with`, `contains`.
    Str(StrOp, Arc<str>),
    /// `x in RANGES`.
    Net(Vec<IpNet>),
    /// A comparison of the timestamp `x` with `now ± d` that turns at
    /// `x = now + offset` (milliseconds).
    Offset(i64),
    /// `exists(x)`.
    Exists,
    /// `x` used as a condition.
    Cond,
    /// `c in x`, `x contains c` with `x` a `dynamic` value.
    Member(Const),
    /// `lower(x) OP "t"`.
    Lower(LowerOp, Arc<str>),
    /// A list whose elements are read one by one, through element
    /// variables (`any`/`all`, or membership of a constant).
    Elements,
    /// Any other read (the reason, in words): never complete.
    Other(String),
}

/// One event field the policy reads.
#[derive(Debug)]
pub(super) struct VarInfo {
    pub scope: Scope,
    pub steps: Vec<Step>,
    pub ty: Type,
    /// A user-controlled value (metadata, `dynamic`): it may hold any JSON.
    pub free_json: bool,
    /// Every way it is read.
    pub uses: Vec<Use>,
    /// Why the candidates may not stand for every value (set by
    /// [`super::complete::judge`] and by candidate generation).
    pub incomplete: Option<String>,
    /// The path as the user writes it.
    pub text: String,
}

impl VarInfo {
    pub fn is_list(&self) -> bool {
        matches!(self.ty, Type::List(_))
    }

    /// Marks the variable incomplete (the first reason wins).
    pub fn give_up(&mut self, why: impl FnOnce(&str) -> String) {
        if self.incomplete.is_none() {
            self.incomplete = Some(why(&self.text));
        }
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

/// All variables of the policies being reasoned about (one for `verify`,
/// two for `diff --prove`: both read the same event).
#[derive(Default)]
pub(super) struct Vars {
    pub vars: Vec<VarInfo>,
    index: HashMap<(Scope, Vec<Step>), usize>,
    /// Per policy (by its index) and `let`: what the `let` reads.
    let_scans: HashMap<(usize, u32), Scan>,
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

/// Durations beyond this (about 3,000 years) may overflow time arithmetic
/// for some `now`: `now` is then not fixed.
pub(super) const HUGE_DURATION_MS: u64 = 100_000_000_000_000;

/// Whether every step of an event path is a field the Auth0 schema
/// documents (so Auth0 guarantees its type). A key under a metadata map or
/// an undocumented key of an open record (a `declare`d one) is the
/// identity provider's users' data: it may hold any JSON.
fn documented(steps: &[Step]) -> bool {
    let schema = crate::schema::auth0_post_login();
    let Some(mut ty) = schema.root.map(Type::Record) else {
        return false;
    };
    for s in steps {
        ty = match (s, &ty) {
            (Step::Key(k), Type::Record(r)) => match schema.record(*r).field(k) {
                Some(f) => f.ty.clone(),
                None => return false,
            },
            (Step::Index(_), Type::List(e)) => (**e).clone(),
            _ => return false,
        };
    }
    true
}

const COMPUTED: &str = "a quantifier variable of a computed list is read";

fn key_text(s: &Step) -> String {
    match s {
        Step::Key(k) => k.to_string(),
        Step::Index(i) => format!("[{i}]"),
    }
}

/// Scans one policy's expressions into shared [`Vars`].
pub(super) struct Scanner<'v, 'p> {
    pub vars: &'v mut Vars,
    pub policy: &'p ir::Policy,
    /// The policy's index among those being reasoned about.
    pub side: usize,
}

impl Vars {
    fn var(&mut self, scope: Scope, steps: &[Step], ty: &Type) -> usize {
        if let Some(&i) = self.index.get(&(scope, steps.to_vec())) {
            if let Some(v) = self.vars.get_mut(i) {
                if v.ty != *ty {
                    v.uses
                        .push(Use::Other("read as two different types".to_string()));
                }
            }
            return i;
        }
        let (free_json, prefix) = match scope {
            Scope::Event => (
                !documented(steps) || matches!(ty, Type::Dynamic),
                String::new(),
            ),
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
            uses: Vec::new(),
            incomplete: None,
            text,
        });
        self.index.insert((scope, steps.to_vec()), id);
        id
    }

    fn add(&mut self, v: usize, u: Use) {
        if let Some(info) = self.vars.get_mut(v) {
            info.uses.push(u);
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

impl Scanner<'_, '_> {
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
        let v = self.vars.var(scope, steps, &e.ty);
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

    /// Records `u` on the field `x` reads, or untracks the atom.
    fn use_of(&mut self, x: &Expr, u: Use, env: &Env, scan: &mut Scan) {
        match self.var_ref(x, env, scan) {
            Some(v) => self.vars.add(v, u),
            None => scan.untrack(COMPUTED),
        }
    }

    fn is_ref(e: &Expr) -> bool {
        matches!(e.kind, K::Path(_) | K::Local(_))
    }

    /// Scans an atom (a condition that is not `and`, `or` or `not`).
    pub fn scan_atom(&mut self, e: &Expr) -> Scan {
        let mut scan = Scan::default();
        self.cond(e, &Vec::new(), &mut scan);
        scan
    }

    /// An expression used as a condition: a bare field is read as a boolean.
    fn cond(&mut self, e: &Expr, env: &Env, scan: &mut Scan) {
        if Self::is_ref(e) {
            self.use_of(e, Use::Cond, env, scan);
            return;
        }
        match &e.kind {
            K::Not(x) => self.cond(x, env, scan),
            K::And(v) | K::Or(v) => v.iter().for_each(|x| self.cond(x, env, scan)),
            _ => self.value(e, env, scan),
        }
    }

    /// A sub-expression read in a context this scan does not summarise.
    fn generic(&mut self, e: &Expr, env: &Env, scan: &mut Scan, why: &str) {
        if Self::is_ref(e) {
            self.use_of(e, Use::Other(why.to_string()), env, scan);
        } else {
            self.value(e, env, scan);
        }
    }

    fn value(&mut self, e: &Expr, env: &Env, scan: &mut Scan) {
        if self.vars.depth > MAX_SCAN_DEPTH {
            scan.untrack("the condition nests too deeply to summarise");
            return;
        }
        self.vars.depth = self.vars.depth.saturating_add(1);
        self.value_inner(e, env, scan);
        self.vars.depth = self.vars.depth.saturating_sub(1);
    }

    fn value_inner(&mut self, e: &Expr, env: &Env, scan: &mut Scan) {
        if self.lowered(e, env, scan) {
            return;
        }
        match &e.kind {
            K::Const(c) => self.note_const(c),
            K::Now => scan.now = true,
            K::Path(_) | K::Local(_) => self.generic(e, env, scan, "read as a value"),
            K::Let(i) => self.let_scan(*i, scan),
            K::Not(_) | K::And(_) | K::Or(_) => self.cond(e, env, scan),
            K::Eq { lhs, rhs, .. } => match Self::const_side(lhs, rhs) {
                Some((x, c)) => {
                    self.note_const(c);
                    self.use_of(x, Use::Eq(c.clone()), env, scan);
                }
                None => self.time_compare(lhs, rhs, env, scan, "compared with another value"),
            },
            K::Order(_, lhs, rhs) => match Self::const_side(lhs, rhs) {
                Some((x, c)) => {
                    self.note_const(c);
                    self.use_of(x, Use::Ord(c.clone()), env, scan);
                }
                None => self.time_compare(lhs, rhs, env, scan, "ordered against another value"),
            },
            K::In { needle, list, .. } => match (&needle.kind, &list.kind) {
                (_, K::Const(Const::List(items))) if Self::is_ref(needle) => {
                    items.iter().for_each(|c| self.note_const(c));
                    match self.var_ref(needle, env, scan) {
                        Some(v) => {
                            for c in items.iter() {
                                // An address looked up among ranges is
                                // containment, not equality.
                                let u = match c {
                                    Const::Cidr(_) => Use::Other("looked up among ranges".into()),
                                    c => Use::Eq(c.clone()),
                                };
                                self.vars.add(v, u);
                            }
                        }
                        None => scan.untrack(COMPUTED),
                    }
                }
                (K::Const(c), _) if Self::is_ref(list) => {
                    self.note_const(c);
                    self.member(list, c, env, scan);
                }
                _ => {
                    self.generic(needle, env, scan, "looked up in a computed list");
                    self.generic(list, env, scan, "searched for a computed value");
                }
            },
            K::InNet { needle, set, .. } => {
                if Self::is_ref(needle) {
                    self.use_of(needle, Use::Net(nets_of(set)), env, scan);
                } else {
                    self.generic(needle, env, scan, "looked up in ranges");
                }
            }
            K::Str(op, lhs, rhs) => match (&rhs.kind, Self::is_ref(lhs)) {
                (K::Const(c), true) => {
                    self.note_const(c);
                    match (&lhs.ty, op, c) {
                        (Type::List(_), StrOp::Contains, c) => self.member(lhs, c, env, scan),
                        (Type::Dynamic, StrOp::Contains, Const::Str(s)) => {
                            // On a JSON list, membership; on a string, a substring.
                            self.member(lhs, c, env, scan);
                            self.use_of(lhs, Use::Str(*op, s.clone()), env, scan);
                        }
                        (_, _, Const::Str(s)) => {
                            self.use_of(lhs, Use::Str(*op, s.clone()), env, scan);
                        }
                        _ => self.use_of(
                            lhs,
                            Use::Other("compared as a string with a non-string".into()),
                            env,
                            scan,
                        ),
                    }
                }
                _ => {
                    self.generic(lhs, env, scan, "compared with a computed string");
                    self.generic(rhs, env, scan, "compared with a computed string");
                }
            },
            K::Matches(x, _) => self.generic(x, env, scan, "matched against a regular expression"),
            K::Arith(_, a, b) => {
                self.generic(a, env, scan, "used in time arithmetic");
                self.generic(b, env, scan, "used in time arithmetic");
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
                        Some(l) if self.is_event(l) => {
                            self.vars.add(l, Use::Elements);
                            Some(l)
                        }
                        Some(l) => {
                            self.vars
                                .add(l, Use::Other("ranged over by a nested quantifier".into()));
                            scan.untrack("a quantifier ranges over a list inside a list element");
                            None
                        }
                        None => {
                            scan.untrack(COMPUTED);
                            None
                        }
                    }
                } else {
                    self.generic(list, env, scan, "ranged over by a quantifier");
                    scan.untrack("a quantifier ranges over a computed list");
                    None
                };
                if let Some(s) = inner.get_mut(*slot as usize) {
                    *s = target;
                }
                self.cond(body, &inner, scan);
            }
            K::Call(f, args) => match (f, args.first()) {
                (Func::Exists, Some(a)) if Self::is_ref(a) => {
                    self.use_of(a, Use::Exists, env, scan)
                }
                _ => {
                    let name = match f {
                        Func::Exists => "`exists`",
                        Func::Len => "`len`",
                        Func::Lower => "`lower`",
                        Func::Trim => "`trim`",
                        Func::Split => "`split`",
                    };
                    for a in args {
                        self.generic(a, env, scan, &format!("read through {name}"));
                    }
                }
            },
        }
    }

    fn is_event(&self, v: usize) -> bool {
        self.vars
            .vars
            .get(v)
            .is_some_and(|i| i.scope == Scope::Event)
    }

    /// `lower(x) == "t"`, `lower(x) in ["t", ...]`, `lower(x) starts_with
    /// "t"` (and `ends_with`, `contains`).
    fn lowered(&mut self, e: &Expr, env: &Env, scan: &mut Scan) -> bool {
        let texts = |c: &Const| -> Option<Vec<Arc<str>>> {
            match c {
                Const::Str(t) => Some(vec![t.clone()]),
                Const::List(items) => items
                    .iter()
                    .map(|i| match i {
                        Const::Str(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        };
        let (x, op, found) = match &e.kind {
            K::Eq { lhs, rhs, .. } => {
                match (&lhs.kind, &rhs.kind, lower_arg(lhs), lower_arg(rhs)) {
                    (_, K::Const(c @ Const::Str(_)), Some(x), _) => (x, LowerOp::Eq, texts(c)),
                    (K::Const(c @ Const::Str(_)), _, _, Some(x)) => (x, LowerOp::Eq, texts(c)),
                    _ => return false,
                }
            }
            K::In { needle, list, .. } => match (lower_arg(needle), &list.kind) {
                (Some(x), K::Const(c)) => (x, LowerOp::Eq, texts(c)),
                _ => return false,
            },
            K::Str(op, lhs, rhs) => match (lower_arg(lhs), &rhs.kind) {
                (Some(x), K::Const(c @ Const::Str(_))) => {
                    let op = match op {
                        StrOp::StartsWith => LowerOp::Prefix,
                        StrOp::EndsWith => LowerOp::Suffix,
                        StrOp::Contains => LowerOp::Contains,
                    };
                    (x, op, texts(c))
                }
                _ => return false,
            },
            _ => return false,
        };
        let Some(found) = found else { return false };
        match self.var_ref(x, env, scan) {
            Some(v) => {
                for t in found {
                    self.vars.add(v, Use::Lower(op, t));
                }
            }
            None => scan.untrack(COMPUTED),
        }
        true
    }

    /// `c in LIST` or `LIST contains c` with LIST a field.
    fn member(&mut self, list: &Expr, c: &Const, env: &Env, scan: &mut Scan) {
        let Some(l) = self.var_ref(list, env, scan) else {
            scan.untrack(COMPUTED);
            return;
        };
        match &list.ty {
            Type::List(elem) => {
                if !self.is_event(l) {
                    self.vars
                        .add(l, Use::Other("a list inside a list element".into()));
                    return;
                }
                self.vars.add(l, Use::Elements);
                let e = self.vars.var(Scope::Elem(l), &[], elem);
                self.vars.add(e, Use::Eq(c.clone()));
            }
            _ => self.vars.add(l, Use::Member(c.clone())),
        }
    }

    /// `x OP c` or `c OP x` with `x` a field read and `c` a constant.
    fn const_side<'e>(a: &'e Expr, b: &'e Expr) -> Option<(&'e Expr, &'e Const)> {
        match (&a.kind, &b.kind) {
            (_, K::Const(c)) if Self::is_ref(a) => Some((a, c)),
            (K::Const(c), _) if Self::is_ref(b) => Some((b, c)),
            _ => None,
        }
    }

    /// A comparison between time expressions built from one timestamp
    /// field, `now` and duration constants (`m.timestamp > now - 12h`,
    /// `now - user.created_at < 7d`): the field gets the point where the
    /// comparison turns. Anything else reads its fields as `Other`.
    fn time_compare(&mut self, a: &Expr, b: &Expr, env: &Env, scan: &mut Scan, why: &str) {
        // `a OP b` as `a - b OP 0`: the field's sign, `now`'s sign and the
        // sum of the signed durations.
        let mut t = TimeTerms::default();
        let linear = t.collect(a, 1) && t.collect(b, -1) && t.refs.len() == 1;
        if let (true, Some(&(x, sign))) = (linear, t.refs.first()) {
            // `sign*x - sign*now + d OP 0` turns at `x = now - sign*d`.
            if matches!(x.ty, Type::Timestamp) && (t.now == 0 || t.now == sign.saturating_neg()) {
                scan.now |= t.now != 0;
                if t.overflow || t.sum.unsigned_abs() > HUGE_DURATION_MS || t.now == 0 {
                    // Far from `now`, or against no `now` at all (`x - 5d
                    // > x`): not a window relative to one fixed `now`.
                    self.vars.absolute_time |= t.now != 0;
                    if t.now == 0 || t.overflow {
                        self.use_of(x, Use::Other(why.to_string()), env, scan);
                        return;
                    }
                }
                let offset = if sign > 0 {
                    t.sum.saturating_neg()
                } else {
                    t.sum
                };
                self.use_of(x, Use::Offset(offset), env, scan);
                return;
            }
        }
        self.generic(a, env, scan, why);
        self.generic(b, env, scan, why);
    }

    fn note_const(&mut self, c: &Const) {
        match c {
            Const::Timestamp(_) => self.vars.absolute_time = true,
            Const::Duration(d) if d.unsigned_abs() > HUGE_DURATION_MS => {
                self.vars.absolute_time = true;
            }
            Const::List(items) => items.iter().for_each(|c| self.note_const(c)),
            _ => {}
        }
    }

    fn let_scan(&mut self, i: u32, scan: &mut Scan) {
        if let Some(s) = self.vars.let_scans.get(&(self.side, i)) {
            scan.merge(&s.clone());
            return;
        }
        let Some(def) = self.policy.lets.get(i as usize) else {
            scan.untrack("a `let` is missing");
            return;
        };
        let mut inner = Scan::default();
        // Cycles are impossible (the checker refuses them); the empty entry
        // only stops a second visit while this one runs.
        self.vars.let_scans.insert((self.side, i), Scan::default());
        if matches!(def.value.ty, Type::Bool) {
            self.cond(&def.value, &Vec::new(), &mut inner);
        } else {
            self.value(&def.value, &Vec::new(), &mut inner);
        }
        scan.merge(&inner);
        self.vars.let_scans.insert((self.side, i), inner);
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
