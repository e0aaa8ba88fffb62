//! What a checked policy reads, place by place: the paths (with the
//! types the checker gave them, lists read by quantifiers and by index),
//! and at each place the constants, ranges and windows it is compared
//! with, so events can sit on that place's own turning points.

use super::consts::REGEXES;
use super::cov::FieldKind as F;
use mfapol::ir::{Const, Expr, ExprKind as X, Func, Policy, Root, Step};
use mfapol::schema::Type;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
    Each,
}

/// What the policy reads at one place of the event.
#[derive(Clone, Debug, Default)]
pub(super) struct Node {
    /// Types the place is read as (a leaf).
    pub(super) leaf: Vec<Type>,
    pub(super) keys: BTreeMap<String, Node>,
    pub(super) idx: BTreeMap<usize, Node>,
    pub(super) each: Option<Box<Node>>,
    /// What the policy compares this place with.
    pub(super) local: Local,
    /// `local` as pools (with the policy's strings where it has none), so
    /// values here sit on this place's own turning points.
    pub(super) pools: Option<Box<Pools>>,
}

/// What one place of the event is compared with.
#[derive(Clone, Debug, Default)]
pub(super) struct Local {
    /// Constants compared with the whole value (`x == c`, `x < c`, `x in
    /// [c, ...]`, `x starts_with c`).
    cmp: Vec<Const>,
    /// Constants looked up in it (`c in x`, `x contains c`).
    member: Vec<Const>,
    /// Ranges it is looked up in, as (first, last) address.
    nets: Vec<(IpAddr, IpAddr)>,
    /// Where windows relative to `now` turn: at `now + offset` (ms).
    offsets: Vec<i64>,
}

impl Local {
    fn is_empty(&self) -> bool {
        self.cmp.is_empty()
            && self.member.is_empty()
            && self.nets.is_empty()
            && self.offsets.is_empty()
    }
}

impl Node {
    fn at(&mut self, loc: &[Seg]) -> &mut Node {
        let mut n = self;
        for s in loc {
            n = match s {
                Seg::Key(k) => n.keys.entry(k.clone()).or_default(),
                Seg::Index(i) => n.idx.entry(*i).or_default(),
                Seg::Each => n.each.get_or_insert_with(Default::default),
            };
        }
        n
    }
    pub(super) fn has_children(&self) -> bool {
        !self.keys.is_empty() || !self.idx.is_empty() || self.each.is_some()
    }
}

/// The constants of a policy, by kind.
#[derive(Clone, Debug, Default)]
pub(super) struct Pools {
    pub(super) strs: Vec<String>,
    pub(super) ints: Vec<i64>,
    pub(super) floats: Vec<f64>,
    pub(super) ips: Vec<IpAddr>,
    /// Ranges as (first, last) address.
    pub(super) nets: Vec<(IpAddr, IpAddr)>,
    pub(super) cidrs: Vec<String>,
    pub(super) durs: Vec<i64>,
    pub(super) times: Vec<i64>,
    pub(super) seps: Vec<String>,
    /// Texts the policy's regexes match.
    pub(super) regex_hits: Vec<String>,
    /// Constants compared with a whole value, as written (a list stays a
    /// list): undeclared metadata may hold exactly their JSON.
    pub(super) whole: Vec<Const>,
    /// Constants looked up in a value (`c in x`): arrays hold them.
    pub(super) looked: Vec<Const>,
}

/// Adds a constant (a list's items one by one) to the pools.
fn add_const(p: &mut Pools, c: &Const) {
    match c {
        Const::Str(s) => p.strs.push(s.to_string()),
        Const::Int(i) => p.ints.push(*i),
        Const::Float(f) => p.floats.push(*f),
        Const::Ip(a) => p.ips.push(*a),
        Const::Cidr(n) => {
            p.nets.push((n.network(), n.broadcast()));
            p.cidrs.push(n.to_string());
        }
        Const::Duration(d) => p.durs.push(*d),
        Const::Timestamp(t) => p.times.push(*t),
        Const::List(items) => items.iter().for_each(|c| add_const(p, c)),
        Const::Bool(_) | Const::Null => {}
    }
}

/// The pools of one place: its own constants, and the policy's strings,
/// separators and regex texts where it has none.
fn local_pools(global: &Pools, l: &Local) -> Pools {
    let mut p = Pools::default();
    for c in l.cmp.iter().chain(&l.member) {
        add_const(&mut p, c);
    }
    p.whole = l.cmp.clone();
    p.looked = l.member.clone();
    p.nets.extend(&l.nets);
    // `time` puts values at `now - d` (and `now + d`).
    p.durs.extend(l.offsets.iter().map(|o| o.saturating_neg()));
    if p.strs.is_empty() {
        p.strs = global.strs.clone();
    }
    p.seps = global.seps.clone();
    p.regex_hits = global.regex_hits.clone();
    p
}

/// Fills every node's `pools` from its `local`.
fn fill_pools(n: &mut Node, global: &Pools) {
    if !n.local.is_empty() {
        n.pools = Some(Box::new(local_pools(global, &n.local)));
    }
    for c in n.keys.values_mut().chain(n.idx.values_mut()) {
        fill_pools(c, global);
    }
    if let Some(e) = n.each.as_deref_mut() {
        fill_pools(e, global);
    }
}

/// What a policy reads and compares with: build once per policy, then
/// `Gen::event_with` as often as wanted.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(super) root: Node,
    pub(super) pools: Pools,
}

impl Plan {
    /// Reads a checked policy.
    pub fn new(policy: &Policy) -> Plan {
        let mut w = Walk {
            policy,
            root: Node::default(),
            pools: Pools::default(),
            slots: BTreeMap::new(),
            lets_seen: vec![false; policy.lets.len()],
        };
        for r in &policy.rules {
            w.expr(&r.when);
            if let Some(u) = &r.unless {
                w.expr(u);
            }
        }
        for a in &policy.asserts {
            w.expr(&a.when);
        }
        for i in 0..policy.lets.len() {
            w.let_body(i);
        }
        let mut pools = w.pools;
        if pools.strs.is_empty() {
            pools.strs.push("a".into());
        }
        pools.seps.push(",".into());
        let mut root = w.root;
        fill_pools(&mut root, &pools);
        Plan { root, pools }
    }
}

struct Walk<'a> {
    policy: &'a Policy,
    root: Node,
    pools: Pools,
    slots: BTreeMap<u16, Option<Vec<Seg>>>,
    lets_seen: Vec<bool>,
}

impl Walk<'_> {
    fn let_body(&mut self, i: usize) {
        if self.lets_seen[i] {
            return;
        }
        self.lets_seen[i] = true;
        // A `let` sees no quantifier variable.
        let saved = std::mem::take(&mut self.slots);
        let body = &self.policy.lets[i].value;
        self.expr(body);
        self.slots = saved;
    }

    /// Where in the event a list or value expression lives, if it is read
    /// from there.
    fn locate(&self, e: &Expr) -> Option<Vec<Seg>> {
        match &e.kind {
            X::Path(p) => {
                let mut loc = match p.root {
                    Root::Event => Vec::new(),
                    Root::Local(s) => self.slots.get(&s).cloned().flatten()?,
                };
                loc.extend(p.steps.iter().map(|s| match s {
                    Step::Key(k) => Seg::Key(k.to_string()),
                    Step::Index(i) => Seg::Index(*i),
                }));
                Some(loc)
            }
            X::Local(s) => self.slots.get(s).cloned().flatten(),
            X::Let(i) => self
                .policy
                .lets
                .get(*i as usize)
                .and_then(|l| self.locate(&l.value)),
            _ => None,
        }
    }

    fn konst(&mut self, c: &Const) {
        add_const(&mut self.pools, c);
    }

    /// The place `x` reads, if it is read from the event.
    fn local(&mut self, x: &Expr) -> Option<&mut Local> {
        let loc = self.locate(x)?;
        Some(&mut self.root.at(&loc).local)
    }

    /// `x` is compared with `c` as a whole.
    fn compared(&mut self, x: &Expr, c: &Const) {
        self.pools.whole.push(c.clone());
        if let Some(l) = self.local(x) {
            l.cmp.push(c.clone());
        }
    }

    /// `c` is looked up in `x`.
    fn looked_up(&mut self, x: &Expr, c: &Const) {
        self.pools.looked.push(c.clone());
        if let Some(l) = self.local(x) {
            l.member.push(c.clone());
        }
    }

    /// The comparison `a OP b` with a constant on one side.
    fn comparison(&mut self, a: &Expr, b: &Expr) {
        match (&a.kind, &b.kind) {
            (_, X::Const(c)) => self.compared(a, c),
            (X::Const(c), _) => self.compared(b, c),
            _ => self.window(a, b),
        }
    }

    /// A comparison of one field with `now ± d` (`x > now - 7d`, `now - x
    /// < 7d`, `x + 1d < now`): the field's place turns at `now + offset`.
    fn window(&mut self, a: &Expr, b: &Expr) {
        let mut t = Terms::default();
        if !(t.collect(self.policy, a, 1) && t.collect(self.policy, b, -1)) {
            return;
        }
        let ([(x, sign)], true) = (t.refs.as_slice(), t.now != 0) else {
            return;
        };
        // `sign*x + now_sign*now + sum OP 0` turns at `x = now - sum` for
        // sign 1 and `x = now + sum` for sign -1.
        let offset = if *sign > 0 {
            t.sum.saturating_neg()
        } else {
            t.sum
        };
        if let Some(l) = self.local(x) {
            l.offsets.push(offset);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            X::Path(_) | X::Local(_) => {
                if let Some(loc) = self.locate(e) {
                    let n = self.root.at(&loc);
                    if !n.leaf.contains(&e.ty) {
                        n.leaf.push(e.ty.clone());
                    }
                }
            }
            X::Const(c) => self.konst(c),
            X::Let(i) => self.let_body(*i as usize),
            X::Eq { lhs, rhs, .. } | X::Order(_, lhs, rhs) => {
                self.comparison(lhs, rhs);
                self.expr(lhs);
                self.expr(rhs);
            }
            X::In { needle, list, .. } => {
                match (&needle.kind, &list.kind) {
                    (_, X::Const(Const::List(items))) => {
                        for c in items.iter() {
                            self.compared(needle, c);
                        }
                    }
                    (X::Const(c), _) => self.looked_up(list, c),
                    _ => {}
                }
                self.expr(needle);
                self.expr(list);
            }
            X::Str(op, lhs, rhs) => {
                if let X::Const(c) = &rhs.kind {
                    let list = matches!(lhs.ty, Type::List(_) | Type::Dynamic);
                    if *op == mfapol::ir::StrOp::Contains && list {
                        self.looked_up(lhs, c);
                    }
                    if !matches!(lhs.ty, Type::List(_)) {
                        self.compared(lhs, c);
                    }
                }
                self.expr(lhs);
                self.expr(rhs);
            }
            X::InNet { set, needle, .. } => {
                let mut nets = Vec::new();
                for (net, mask) in &set.v4 {
                    let first = Ipv4Addr::from(*net);
                    let last = Ipv4Addr::from(*net | !*mask);
                    nets.push((IpAddr::V4(first), IpAddr::V4(last)));
                }
                for (net, mask) in &set.v6 {
                    let first = Ipv6Addr::from(*net);
                    let last = Ipv6Addr::from(*net | !*mask);
                    nets.push((IpAddr::V6(first), IpAddr::V6(last)));
                }
                self.pools.nets.extend(&nets);
                if let Some(l) = self.local(needle) {
                    l.nets.extend(nets);
                }
                self.expr(needle);
            }
            X::Matches(s, re) => {
                for (_, hits) in REGEXES {
                    for h in *hits {
                        if re.is_match(h) {
                            self.pools.regex_hits.push(h.to_string());
                        }
                    }
                }
                self.expr(s);
            }
            X::Call(Func::Split, args) => {
                if let Some(Expr {
                    kind: X::Const(Const::Str(sep)),
                    ..
                }) = args.get(1)
                {
                    self.pools.seps.push(sep.to_string());
                }
                args.iter().for_each(|a| self.expr(a));
            }
            X::Quant {
                slot, list, body, ..
            } => {
                self.expr(list);
                let loc = self.locate(list).map(|mut l| {
                    l.push(Seg::Each);
                    l
                });
                self.slots.insert(*slot, loc);
                self.expr(body);
            }
            _ => {
                for c in e.children() {
                    self.expr(c);
                }
            }
        }
    }
}

/// The terms of a sum or difference of time values (through `let`s).
#[derive(Default)]
struct Terms<'a> {
    refs: Vec<(&'a Expr, i8)>,
    now: i8,
    sum: i64,
}

impl<'a> Terms<'a> {
    fn collect(&mut self, p: &'a Policy, e: &'a Expr, sign: i8) -> bool {
        match &e.kind {
            X::Now => {
                self.now = self.now.saturating_add(sign);
                true
            }
            X::Const(Const::Duration(d)) => {
                let d = if sign > 0 { *d } else { d.saturating_neg() };
                self.sum = self.sum.saturating_add(d);
                true
            }
            X::Path(_) | X::Local(_) => {
                self.refs.push((e, sign));
                true
            }
            X::Let(i) => match p.lets.get(*i as usize) {
                Some(l) => self.collect(p, &l.value, sign),
                None => false,
            },
            X::Arith(op, a, b) => {
                let sb = if *op == mfapol::ir::ArithOp::Sub {
                    sign.saturating_neg()
                } else {
                    sign
                };
                self.collect(p, a, sign) && self.collect(p, b, sb)
            }
            _ => false,
        }
    }
}

pub(super) fn field_kind(t: &Type) -> F {
    match t {
        Type::String => F::Str,
        Type::Enum(_) => F::Enum,
        Type::Int => F::Int,
        Type::Float => F::Float,
        Type::Bool => F::Bool,
        Type::Ip => F::Ip,
        Type::Cidr => F::Cidr,
        Type::Timestamp => F::Ts,
        Type::Duration => F::Dur,
        Type::List(e) => match &**e {
            Type::Int | Type::Float => F::ListInt,
            Type::Cidr | Type::Ip => F::ListCidr,
            Type::Record(_) | Type::Map => F::ListRec,
            Type::Dynamic => F::Dyn,
            _ => F::ListStr,
        },
        Type::Record(_) => F::Record,
        Type::Map => F::Map,
        Type::Dynamic | Type::Null => F::Dyn,
    }
}
