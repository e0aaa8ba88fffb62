//! Events keyed off a checked policy: the paths it reads (with the types
//! the checker gave them, lists read by quantifiers and by index) and its
//! constants. Values sit on each comparison's turning points: constants and
//! their neighbours, range edges, `now - d ± 1 ms`, the parser's extremes,
//! absent and null, lists of 0, 1 and many, and every JSON type where the
//! policy reads undeclared metadata.

use super::consts::{REGEXES, WORDS};
use super::cov::{EvKind as K, FieldKind as F};
use super::Gen;
use mfapol::ir::{Const, Expr, ExprKind as X, Func, Policy, Root, Step};
use mfapol::schema::{self, Type};
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
struct Node {
    /// Types the place is read as (a leaf).
    leaf: Vec<Type>,
    keys: BTreeMap<String, Node>,
    idx: BTreeMap<usize, Node>,
    each: Option<Box<Node>>,
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
struct Pools {
    strs: Vec<String>,
    ints: Vec<i64>,
    floats: Vec<f64>,
    ips: Vec<IpAddr>,
    /// Ranges as (first, last) address.
    nets: Vec<(IpAddr, IpAddr)>,
    cidrs: Vec<String>,
    durs: Vec<i64>,
    times: Vec<i64>,
    seps: Vec<String>,
    /// Texts the policy's regexes match.
    regex_hits: Vec<String>,
}

/// What a policy reads and compares with: build once per policy, then
/// `Gen::event_with` as often as wanted.
#[derive(Clone, Debug)]
pub struct Plan {
    root: Node,
    pools: Pools,
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

fn field_kind(t: &Type) -> F {
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

const POW53: i64 = 9_007_199_254_740_992;
/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z.
const MIN_TS: i64 = -62_167_219_200_000;
const MAX_TS: i64 = 253_402_300_799_999;

fn next_up(f: f64) -> f64 {
    if f.is_nan() || f == f64::INFINITY {
        return f;
    }
    if f == 0.0 {
        return f64::from_bits(1);
    }
    let b = f.to_bits();
    f64::from_bits(if f > 0.0 { b + 1 } else { b - 1 })
}

fn next_down(f: f64) -> f64 {
    -next_up(-f)
}

fn num(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// An RFC 3339 text for a time in the parser's range, clamped into it.
fn iso(ms: i64) -> (String, bool) {
    let clamped = ms.clamp(MIN_TS, MAX_TS);
    let t = chrono::DateTime::from_timestamp_millis(clamped).unwrap_or_default();
    (
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        clamped != ms,
    )
}

fn step_ip(a: IpAddr, up: bool) -> IpAddr {
    match a {
        IpAddr::V4(v) => {
            let n = u32::from(v);
            IpAddr::V4(Ipv4Addr::from(if up {
                n.wrapping_add(1)
            } else {
                n.wrapping_sub(1)
            }))
        }
        IpAddr::V6(v) => {
            let n = u128::from(v);
            IpAddr::V6(Ipv6Addr::from(if up {
                n.wrapping_add(1)
            } else {
                n.wrapping_sub(1)
            }))
        }
    }
}

fn mapped(a: IpAddr) -> String {
    match a {
        IpAddr::V4(v) => format!("::ffff:{v}"),
        IpAddr::V6(v) => match v.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v.to_string(),
        },
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

    fn ev(&mut self, k: K, f: F) {
        self.cov.event(k, f);
    }

    /// The value at a node, or `None` for absent.
    fn node(&mut self, plan: &Plan, n: &Node, hostile: bool, depth: usize) -> Option<Value> {
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
    fn list(
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

    /// A wrong-typed value for a hostile event.
    fn misfit(&mut self, t: Option<&Type>) -> Value {
        match t {
            Some(Type::String | Type::Enum(_)) => json!(42),
            Some(Type::Int) => json!(*self.rng.pick(&[
                json!("3"),
                json!(1.5),
                json!(1e300),
                json!(18446744073709551615u64)
            ])),
            Some(Type::Float) => json!("1.5"),
            Some(Type::Bool) => json!("true"),
            Some(Type::Ip) => json!(*self.rng.pick(&["not-an-ip", "300.1.1.1", "10.0.0.0/8"])),
            Some(Type::Timestamp) => json!(*self.rng.pick(&[
                "yesterday",
                "+10000-01-01T00:00:00Z",
                "2024-02-30T00:00:00Z"
            ])),
            Some(Type::Duration) => json!(*self.rng.pick(&[json!("1h"), json!(1e300)])),
            Some(Type::Cidr) => json!("10.0.0.0/33"),
            Some(Type::List(_)) => json!("a,b"),
            Some(Type::Record(_) | Type::Map) => json!("x"),
            _ => json!({"deep": [1, {"x": null}]}),
        }
    }

    /// A value of a scalar (or list) type, counted.
    fn scalar(&mut self, plan: &Plan, t: &Type) -> Value {
        let fk = field_kind(t);
        let (v, k) = match t {
            Type::String => self.string(plan),
            Type::Enum(id) => {
                let values = &schema::auth0_post_login().enum_def(*id).values;
                let from_policy: Vec<&String> = plan
                    .pools
                    .strs
                    .iter()
                    .filter(|s| values.contains(s))
                    .collect();
                if !from_policy.is_empty() && self.rng.below(2) == 0 {
                    (json!(*self.rng.pick(&from_policy)), K::Equal)
                } else if self.rng.below(8) == 0 {
                    let (v, k) = self.string(plan);
                    (v, k)
                } else {
                    (json!(self.rng.pick(values)), K::Other)
                }
            }
            Type::Int => self.int(plan),
            Type::Float => self.float(plan),
            Type::Bool => (json!(self.rng.below(2) == 0), K::Other),
            Type::Ip => self.ip(plan),
            Type::Cidr => {
                if plan.pools.cidrs.is_empty() || self.rng.below(4) == 0 {
                    (
                        json!(*self
                            .rng
                            .pick(&["10.0.0.0/8", "2001:db8::/32", "203.0.113.0/24"])),
                        K::Other,
                    )
                } else {
                    (json!(self.rng.pick(&plan.pools.cidrs)), K::Equal)
                }
            }
            Type::Timestamp => self.time(plan),
            Type::Duration => {
                let d = if plan.pools.durs.is_empty() {
                    3_600_000
                } else {
                    *self.rng.pick(&plan.pools.durs)
                };
                let secs = d as f64 / 1000.0;
                match self.rng.below(4) {
                    3 => (num(*self.rng.pick(&[0.0, 86400.5, -1.0])), K::Other),
                    0 => (num(secs), K::Equal),
                    1 => (num(secs - 1.0), K::Below),
                    _ => (num(secs + 1.0), K::Above),
                }
            }
            Type::List(e) => {
                let n = Node {
                    leaf: vec![t.clone()],
                    ..Node::default()
                };
                let _ = e;
                return self.list(plan, &n, t, false, 1, None);
            }
            Type::Record(_) | Type::Map => (json!({}), K::Other),
            Type::Dynamic | Type::Null => return self.dynamic(plan),
        };
        self.ev(k, fk);
        v
    }

    fn string(&mut self, plan: &Plan) -> (Value, K) {
        let s = self.rng.pick(&plan.pools.strs).clone();
        let (v, k) = match self.rng.below(12) {
            0..=2 => (s, K::Equal),
            3 => (format!("{s}-x"), K::Prefixed),
            4 => (format!("x-{s}"), K::Suffixed),
            5 => (format!("x{s}y"), K::Containing),
            6 => (
                s.chars()
                    .map(|c| {
                        if c.is_lowercase() {
                            c.to_uppercase().next().unwrap_or(c)
                        } else {
                            c.to_lowercase().next().unwrap_or(c)
                        }
                    })
                    .collect(),
                K::CaseChanged,
            ),
            7 => (format!(" {s}\t"), K::Padded),
            8 => {
                let sep = self.rng.pick(&plan.pools.seps).clone();
                let t = self.rng.pick(&plan.pools.strs).clone();
                let v = match self.rng.below(3) {
                    0 => format!("{s}{sep}{t}"),
                    1 => format!("{t}{sep} {s}{sep}"),
                    _ => format!("{sep}{s}"),
                };
                (v, K::Joined)
            }
            9 if !plan.pools.regex_hits.is_empty() => {
                (self.rng.pick(&plan.pools.regex_hits).clone(), K::RegexMatch)
            }
            _ => (self.rng.pick(WORDS).to_string(), K::Other),
        };
        (json!(v), k)
    }

    fn int(&mut self, plan: &Plan) -> (Value, K) {
        let mut cands: Vec<i64> = plan.pools.ints.clone();
        cands.extend(
            plan.pools
                .floats
                .iter()
                .filter(|f| f.abs() < 9.2e18)
                .map(|f| f.floor() as i64),
        );
        match self.rng.below(6) {
            0 => {
                let v = *self.rng.pick(&[
                    POW53 - 1,
                    POW53,
                    POW53 + 1,
                    POW53 + 2,
                    -POW53 - 1,
                    8_999_999_999_999_999,
                    9_000_000_000_000_000,
                    i64::MAX,
                    i64::MIN,
                ]);
                (json!(v), K::Pow53)
            }
            1 => (json!(*self.rng.pick(&[0, 1, 3, -1, 100])), K::Other),
            _ if cands.is_empty() => (json!(self.rng.below(10)), K::Other),
            _ => {
                let c = *self.rng.pick(&cands);
                match self.rng.below(3) {
                    0 => (json!(c), K::Equal),
                    1 => (json!(c.saturating_sub(1)), K::Below),
                    _ => (json!(c.saturating_add(1)), K::Above),
                }
            }
        }
    }

    fn float(&mut self, plan: &Plan) -> (Value, K) {
        let mut cands: Vec<f64> = plan.pools.floats.clone();
        cands.extend(plan.pools.ints.iter().map(|i| *i as f64));
        match self.rng.below(6) {
            0 => {
                let v = *self.rng.pick(&[
                    9_007_199_254_740_992.0,
                    9_007_199_254_740_994.0,
                    9e15,
                    1e16,
                    -9_007_199_254_740_994.0,
                ]);
                (num(v), K::Pow53)
            }
            1 => (num(*self.rng.pick(&[0.0, 51.5, -0.5, 1e-300])), K::Other),
            _ if cands.is_empty() => (num(1.5), K::Other),
            _ => {
                let c = *self.rng.pick(&cands);
                match self.rng.below(3) {
                    0 => (num(c), K::Equal),
                    1 => (num(next_down(c)), K::Below),
                    _ => (num(next_up(c)), K::Above),
                }
            }
        }
    }

    fn ip(&mut self, plan: &Plan) -> (Value, K) {
        let p = &plan.pools;
        let (a, k) = match self.rng.below(8) {
            0 | 1 if !p.ips.is_empty() => (self.rng.pick(&p.ips).to_string(), K::Equal),
            2 if !p.ips.is_empty() => {
                let a = *self.rng.pick(&p.ips);
                let up = self.rng.below(2) == 0;
                (
                    step_ip(a, up).to_string(),
                    if up { K::Above } else { K::Below },
                )
            }
            3 | 4 if !p.nets.is_empty() => {
                let (first, last) = *self.rng.pick(&p.nets);
                match self.rng.below(4) {
                    0 => (first.to_string(), K::NetFirst),
                    1 => (last.to_string(), K::NetLast),
                    2 => (step_ip(first, false).to_string(), K::Below),
                    _ => (step_ip(last, true).to_string(), K::Above),
                }
            }
            5 if !p.ips.is_empty() || !p.nets.is_empty() => {
                let a = if !p.nets.is_empty() && (p.ips.is_empty() || self.rng.below(2) == 0) {
                    let (first, last) = *self.rng.pick(&p.nets);
                    if self.rng.below(2) == 0 {
                        first
                    } else {
                        last
                    }
                } else {
                    *self.rng.pick(&p.ips)
                };
                (mapped(a), K::Mapped)
            }
            _ => (
                self.rng
                    .pick(&[
                        "198.51.100.7",
                        "2001:db8:ffff::1",
                        "::ffff:198.51.100.7",
                        "0.0.0.0",
                        "::",
                    ])
                    .to_string(),
                K::Other,
            ),
        };
        (json!(a), k)
    }

    fn time(&mut self, plan: &Plan) -> (Value, K) {
        let now = self.now_ms;
        let p = &plan.pools;
        let (ms, k) = match self.rng.below(8) {
            0..=2 if !p.durs.is_empty() => {
                let d = *self.rng.pick(&p.durs);
                let base = if self.rng.below(3) == 0 {
                    now.saturating_add(d)
                } else {
                    now.saturating_sub(d)
                };
                (base.saturating_add(*self.rng.pick(&[-1, 0, 1])), K::Window)
            }
            3 if !p.times.is_empty() => {
                let t = *self.rng.pick(&p.times);
                match self.rng.below(3) {
                    0 => (t, K::Equal),
                    1 => (t.saturating_sub(1), K::Below),
                    _ => (t.saturating_add(1), K::Above),
                }
            }
            4 => (*self.rng.pick(&[MIN_TS, MAX_TS]), K::TsExtreme),
            5 => {
                let (s, _) = iso(now.saturating_sub(3_600_000));
                let naive = s.trim_end_matches('Z').to_string();
                let naive = if self.rng.below(2) == 0 {
                    naive.replace('T', " ")
                } else {
                    naive
                };
                self.ev(K::TsNaive, F::Ts);
                return (json!(naive), K::TsNaive);
            }
            _ => (
                now.saturating_sub(self.rng.below(100) as i64 * 3_600_000),
                K::Other,
            ),
        };
        let (s, clamped) = iso(ms);
        (json!(s), if clamped { K::TsExtreme } else { k })
    }

    /// Any JSON value, for undeclared metadata.
    fn dynamic(&mut self, plan: &Plan) -> Value {
        let (v, k) = match self.rng.below(11) {
            0 => (json!(self.rng.below(2) == 0), K::JBool),
            1 => {
                let (v, sub) = self.int(plan);
                self.ev(sub, F::Dyn);
                (v, K::JInt)
            }
            2 => {
                let v: Value = serde_json::from_str(self.rng.pick::<&str>(&[
                    "18446744073709551615",
                    "9223372036854775808",
                    "100000000000000000000",
                    "9007199254740993",
                ]))
                .unwrap_or(Value::Null);
                (v, K::JHugeInt)
            }
            3 => {
                let (v, sub) = self.float(plan);
                self.ev(sub, F::Dyn);
                (v, K::JFloat)
            }
            4 | 5 => {
                let (v, sub) = self.string(plan);
                self.ev(sub, F::Dyn);
                (v, K::JString)
            }
            6 => {
                let (v, sub) = self.ip(plan);
                self.ev(sub, F::Dyn);
                (v, K::JAddrString)
            }
            7 => {
                let t = Type::List(Box::new(Type::String));
                let n = Node {
                    leaf: vec![t.clone()],
                    ..Node::default()
                };
                let v = self.list(plan, &n, &t, false, 1, Some(F::Dyn));
                (v, K::JArrStrings)
            }
            8 => {
                let s = self.rng.pick(&plan.pools.strs).clone();
                (json!([s, 1, null, true, {"a": 1}, [2]]), K::JArrMixed)
            }
            9 => {
                let (v, sub) = self.time(plan);
                self.ev(sub, F::Dyn);
                (v, K::JString)
            }
            _ => (json!({"sub": "a", "k": [1]}), K::JObject),
        };
        self.ev(k, F::Dyn);
        v
    }
}
