//! Events keyed off a checked policy's [`Plan`]. Values sit on each
//! comparison's turning points: constants and their neighbours (most often
//! the place's own), range edges, `now - d ± 1 ms`, the parser's extremes,
//! absent and null, lists of 0, 1 and many (with `null` elements), and
//! every JSON type where the policy reads undeclared metadata.

use super::cov::{EvKind as K, FieldKind as F};
use super::plan::{field_kind, Node, Plan, Pools};
use super::Gen;
use mfapol::schema::Type;
use serde_json::{json, Map, Value};

impl Gen {
    /// An event for the policy the plan was made from, around the last
    /// `now()`: always a JSON object with at least one of the fields every
    /// event has, so `mfapol eval` recognises it.
    pub fn event_with(&mut self, plan: &Plan) -> Value {
        let hostile = self.opts.hostile > 0 && (self.rng.below(1000) as u32) < self.opts.hostile;
        self.hostile_event = hostile;
        let mut ev = match self.node(&plan.pools, &plan.root, hostile, 0, false) {
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
    /// The pools for a value at a node: most often its own constants.
    fn pools_at<'a>(&mut self, global: &'a Pools, n: &'a Node) -> &'a Pools {
        match n.pools.as_deref() {
            Some(p) if self.rng.below(3) != 0 => p,
            _ => global,
        }
    }
    /// The value at a node, or `None` for absent.
    pub(super) fn node(
        &mut self,
        global: &Pools,
        n: &Node,
        hostile: bool,
        depth: usize,
        elem: bool,
    ) -> Option<Value> {
        let list_leaf = n.leaf.iter().find(|t| matches!(t, Type::List(_))).cloned();
        let fk = n.leaf.first().map_or(F::Record, field_kind);
        // A typed list holds values of its element type: a null element is
        // for hostile events only (`docs/verify.md`'s assumption).
        let typed_elem = elem && !n.leaf.iter().all(|t| matches!(t, Type::Dynamic));
        if depth > 0 && (!typed_elem || hostile) {
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
        // A map read whole is rare among a policy's reads: a hostile event
        // always gives it the wrong type (the `Misfit in Map` cell).
        if hostile && depth > 0 && (fk == F::Map || self.rng.below(3) == 0) {
            self.ev(K::Misfit, fk);
            return Some(self.misfit(n.leaf.first()));
        }
        if let Some(t) = list_leaf {
            if n.each.is_some() || !n.idx.is_empty() || self.rng.below(2) == 0 {
                let here = self.pools_at(global, n);
                return Some(self.list(global, here, n, &t, hostile, depth, None));
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
                    if let Some(v) = self.node(global, child, hostile, depth + 1, false) {
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
            let here = self.pools_at(global, n);
            let t = Type::List(Box::new(elem));
            return Some(self.list(global, here, n, &t, hostile, depth, fk));
        }
        let t = self.rng.pick(&n.leaf).clone();
        let here = self.pools_at(global, n);
        Some(self.scalar(here, &t))
    }
    /// A list for a node read as a list, by quantifiers or by index:
    /// `global` for the places inside it, `here` for its own elements.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn list(
        &mut self,
        global: &Pools,
        here: &Pools,
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
                    self.node(global, each, hostile, depth + 1, true)
                        .unwrap_or(Value::Null)
                }
                Some(each) => {
                    let p = self.pools_at(here, each);
                    self.scalar(p, &elem_ty)
                }
                None => match &elem_ty {
                    Type::Record(_) => json!({}),
                    other => self.scalar(here, other),
                },
            };
            if let Some(child) = n.idx.get(&i) {
                if let Some(w) = self.node(global, child, hostile, depth + 1, true) {
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
                F::ListInt => json!(*self
                    .rng
                    .pick(&here.ints.iter().copied().chain([1]).collect::<Vec<_>>())),
                F::Dyn if !here.looked.is_empty() && self.rng.below(2) == 0 => {
                    let c = self.rng.pick(&here.looked).clone();
                    self.const_json(&c)
                }
                _ => json!(self.rng.pick(&here.strs).clone()),
            };
            self.ev(K::ListHead, fk);
            items[0] = head.clone();
            if items.len() > 1 && self.rng.below(2) == 0 {
                let last = items.len() - 1;
                items[last] = head;
            }
        }
        // A typed list may hold `null` elements (`[null, "x"]` reads
        // without error): verify models them.
        if !items.is_empty()
            && matches!(fk, F::ListStr | F::ListInt | F::ListCidr | F::ListRec)
            && self.rng.below(6) == 0
        {
            let i = self.rng.below(items.len());
            items[i] = Value::Null;
            self.ev(K::NullElem, fk);
        }
        Value::Array(items)
    }
}
