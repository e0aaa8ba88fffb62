//! Events keyed off a checked policy: the paths it reads (with the types
//! the checker gave them, lists read by quantifiers and by index) and its
//! constants. Values sit on each comparison's turning points: constants and
//! their neighbours, range edges, `now - d ± 1 ms`, the parser's extremes,
//! absent and null, lists of 0, 1 and many, and every JSON type where the
//! policy reads undeclared metadata.

use super::consts::REGEXES;
use super::cov::{EvKind as K, FieldKind as F};
use super::Gen;
use mfapol::ir::{Const, Expr, ExprKind as X, Func, Policy, Root, Step};
use mfapol::schema::Type;
use serde_json::{json, Map, Value};
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
    fn has_children(&self) -> bool {
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
}

/// What a policy reads and compares with: build once per policy, then
/// `Gen::event_with` as often as wanted.
#[derive(Clone, Debug)]
pub struct Plan {
    root: Node,
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
        Plan {
            root: w.root,
            pools,
        }
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
        let p = &mut self.pools;
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
            Const::List(items) => items.iter().for_each(|c| self.konst(c)),
            Const::Bool(_) | Const::Null => {}
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
            X::InNet { set, needle, .. } => {
                for (net, mask) in &set.v4 {
                    let first = Ipv4Addr::from(*net);
                    let last = Ipv4Addr::from(*net | !*mask);
                    self.pools.nets.push((IpAddr::V4(first), IpAddr::V4(last)));
                }
                for (net, mask) in &set.v6 {
                    let first = Ipv6Addr::from(*net);
                    let last = Ipv6Addr::from(*net | !*mask);
                    self.pools.nets.push((IpAddr::V6(first), IpAddr::V6(last)));
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

impl Gen {
    /// An event for the policy the plan was made from, around the last
    /// `now()`: always a JSON object with at least one of the fields every
    /// event has, so `mfapol eval` recognises it.
    pub fn event_with(&mut self, plan: &Plan) -> Value {
        let hostile = self.opts.hostile > 0 && (self.rng.below(1000) as u32) < self.opts.hostile;
        let mut ev = match self.node(plan, &plan.root, hostile, 0) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        const REQUIRED: &[&str] = &["user", "connection", "client", "request", "stats", "tenant"];
        if !REQUIRED.iter().any(|k| ev.contains_key(*k)) {
            let k = REQUIRED
                .iter()
                .find(|k| !plan.root.keys.contains_key(**k))
                .unwrap_or(&"tenant");
            ev.insert(k.to_string(), json!({}));
        }
        Value::Object(ev)
    }
    pub(super) fn ev(&mut self, k: K, f: F) {
        self.cov.event(k, f);
    }
    /// The value at a node, or `None` for absent.
    pub(super) fn node(
        &mut self,
        plan: &Plan,
        n: &Node,
        hostile: bool,
        depth: usize,
    ) -> Option<Value> {
        let list_leaf = n.leaf.iter().find(|t| matches!(t, Type::List(_))).cloned();
        let fk = n.leaf.first().map_or(F::Record, field_kind);
        if depth > 0 {
            match self.rng.below(16) {
                0 | 1 => {
                    self.ev(K::Absent, fk);
                    return None;
                }
                2 => {
                    self.ev(K::Null, fk);
                    return Some(Value::Null);
                }
                _ => {}
            }
        }
        if hostile && depth > 0 && self.rng.below(3) == 0 {
            self.ev(K::Misfit, fk);
            return Some(self.misfit(n.leaf.first()));
        }
        if let Some(t) = list_leaf {
            if n.each.is_some() || !n.idx.is_empty() || self.rng.below(2) == 0 {
                return Some(self.list(plan, n, &t, hostile, depth, None));
            }
        }
        let structure = n.leaf.is_empty()
            || n.has_children()
                && (n.leaf.is_empty()
                    || n.leaf
                        .iter()
                        .any(|t| matches!(t, Type::Record(_) | Type::Map))
                    || self.rng.below(2) == 0);
        if structure {
            if !n.keys.is_empty() || n.idx.is_empty() && n.each.is_none() {
                let mut m = Map::new();
                for (k, child) in &n.keys {
                    if let Some(v) = self.node(plan, child, hostile, depth + 1) {
                        m.insert(k.clone(), v);
                    }
                }
                if !n.leaf.is_empty() {
                    self.ev(K::Other, fk);
                }
                return Some(Value::Object(m));
            }
            // A list read only by index (`methods[5].timestamp`): its
            // elements have the type the reads say (objects for records),
            // so a well-typed event is well-typed there too.
            let elem = n
                .idx
                .values()
                .chain(n.each.as_deref())
                .find_map(|c| {
                    if !c.keys.is_empty() {
                        Some(Type::Map)
                    } else {
                        c.leaf.first().cloned()
                    }
                })
                .unwrap_or(Type::Dynamic);
            let fk = if elem == Type::Dynamic {
                Some(F::Dyn)
            } else {
                None
            };
            return Some(self.list(plan, n, &Type::List(Box::new(elem)), hostile, depth, fk));
        }
        let t = self.rng.pick(&n.leaf).clone();
        Some(self.scalar(plan, &t))
    }
    /// A list for a node read as a list, by quantifiers or by index.
    pub(super) fn list(
        &mut self,
        plan: &Plan,
        n: &Node,
        t: &Type,
        hostile: bool,
        depth: usize,
        fk: Option<F>,
    ) -> Value {
        let fk = fk.unwrap_or_else(|| field_kind(t));
        let elem_ty = match t {
            Type::List(e) => (**e).clone(),
            _ => Type::Dynamic,
        };
        let len = match self.rng.below(8) {
            0 => {
                self.ev(K::ListEmpty, fk);
                0
            }
            1 | 2 => {
                self.ev(K::ListOne, fk);
                1
            }
            3 => {
                // Long enough that `[5]` is there.
                self.ev(K::ListMany, fk);
                6 + self.rng.below(2)
            }
            _ => {
                self.ev(K::ListMany, fk);
                2 + self.rng.below(3)
            }
        };
        let mut items = Vec::with_capacity(len);
        for i in 0..len {
            let mut v = match &n.each {
                Some(each)
                    if each.has_children()
                        || each.leaf.iter().any(|t| !matches!(t, Type::Dynamic)) =>
                {
                    self.node(plan, each, hostile, depth + 1)
                        .unwrap_or(Value::Null)
                }
                _ => match &elem_ty {
                    Type::Record(_) => json!({}),
                    other => self.scalar(plan, other),
                },
            };
            if let Some(child) = n.idx.get(&i) {
                if let Some(w) = self.node(plan, child, hostile, depth + 1) {
                    match (&mut v, w) {
                        (Value::Object(a), Value::Object(b)) => a.extend(b),
                        (slot, w) => *slot = w,
                    }
                }
            }
            items.push(v);
        }
        // A list whose element 0 is a constant, so reading it by index and
        // by membership both see the constant.
        if !items.is_empty()
            && matches!(fk, F::ListStr | F::ListInt | F::Dyn)
            && self.rng.below(4) == 0
        {
            let head = match fk {
                F::ListInt => json!(*self.rng.pick(
                    &plan
                        .pools
                        .ints
                        .iter()
                        .copied()
                        .chain([1])
                        .collect::<Vec<_>>()
                )),
                _ => json!(self.rng.pick(&plan.pools.strs).clone()),
            };
            self.ev(K::ListHead, fk);
            items[0] = head.clone();
            if items.len() > 1 && self.rng.below(2) == 0 {
                let last = items.len() - 1;
                items[last] = head;
            }
        }
        Value::Array(items)
    }
}
