//! Event values of each type on the turning points of a policy's
//! constants (counted in the event value x field table).

use super::consts::WORDS;
use super::cov::{EvKind as K, FieldKind as F};
use super::plan::{field_kind, Node, Pools};
use super::spell::{ip_text, time_text, TimeText, MAX_PARSED, MAX_TS, MIN_PARSED, MIN_TS};
use super::Gen;
use mfapol::schema::{self, Type};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const POW53: i64 = 9_007_199_254_740_992;

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
    /// A wrong-typed value for a hostile event.
    pub(super) fn misfit(&mut self, t: Option<&Type>) -> Value {
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
    pub(super) fn scalar(&mut self, pools: &Pools, t: &Type) -> Value {
        let fk = field_kind(t);
        let (v, k) = match t {
            Type::String => self.string(pools),
            Type::Enum(id) => {
                let values = &schema::auth0_post_login().enum_def(*id).values;
                let from_policy: Vec<&String> = pools
                    .strs
                    .iter()
                    .filter(|s| values.iter().any(|v| v.as_ref() == s.as_str()))
                    .collect();
                if !from_policy.is_empty() && self.rng.below(2) == 0 {
                    (json!(*self.rng.pick(&from_policy)), K::Equal)
                } else if self.hostile_event && self.rng.below(4) == 0 {
                    // Outside the closed set: hostile events only.
                    let (v, k) = self.string(pools);
                    (v, k)
                } else {
                    (json!(self.rng.pick(values)), K::Other)
                }
            }
            Type::Int => self.int(pools),
            Type::Float => self.float(pools),
            Type::Bool => (json!(self.rng.below(2) == 0), K::Other),
            Type::Ip => self.ip(pools),
            Type::Cidr => {
                if pools.cidrs.is_empty() || self.rng.below(4) == 0 {
                    (
                        json!(*self
                            .rng
                            .pick(&["10.0.0.0/8", "2001:db8::/32", "203.0.113.0/24"])),
                        K::Other,
                    )
                } else {
                    (json!(self.rng.pick(&pools.cidrs)), K::Equal)
                }
            }
            Type::Timestamp => self.time(pools),
            Type::Duration => {
                let d = if pools.durs.is_empty() {
                    3_600_000
                } else {
                    *self.rng.pick(&pools.durs)
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
                return self.list(pools, pools, &n, t, false, 1, None);
            }
            Type::Record(_) | Type::Map => (json!({}), K::Other),
            Type::Dynamic | Type::Null => return self.dynamic(pools),
        };
        self.ev(k, fk);
        v
    }
    pub(super) fn string(&mut self, pools: &Pools) -> (Value, K) {
        let s = self.rng.pick(&pools.strs).clone();
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
                let sep = self.rng.pick(&pools.seps).clone();
                let t = self.rng.pick(&pools.strs).clone();
                let v = match self.rng.below(3) {
                    0 => format!("{s}{sep}{t}"),
                    1 => format!("{t}{sep} {s}{sep}"),
                    _ => format!("{sep}{s}"),
                };
                (v, K::Joined)
            }
            9 if !pools.regex_hits.is_empty() => {
                (self.rng.pick(&pools.regex_hits).clone(), K::RegexMatch)
            }
            _ => (self.rng.pick(WORDS).to_string(), K::Other),
        };
        (json!(v), k)
    }
    pub(super) fn int(&mut self, pools: &Pools) -> (Value, K) {
        let mut cands: Vec<i64> = pools.ints.clone();
        cands.extend(
            pools
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
    pub(super) fn float(&mut self, pools: &Pools) -> (Value, K) {
        let mut cands: Vec<f64> = pools.floats.clone();
        cands.extend(pools.ints.iter().map(|i| *i as f64));
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
    pub(super) fn ip(&mut self, pools: &Pools) -> (Value, K) {
        let p = pools;
        let (a, k) = match self.rng.below(9) {
            8 if !p.ips.is_empty() || !p.nets.is_empty() => {
                // An address of the policy (or a range's first) spelled
                // another way: padded, upper case, IPv4-mapped.
                let a = if !p.ips.is_empty() && (p.nets.is_empty() || self.rng.below(2) == 0) {
                    *self.rng.pick(&p.ips)
                } else {
                    self.rng.pick(&p.nets).0
                };
                let how = self.rng.below(3);
                (ip_text(a, how), K::AddrSpelling)
            }
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
    pub(super) fn time(&mut self, pools: &Pools) -> (Value, K) {
        let now = self.now_ms;
        let p = pools;
        let (ms, k) = match self.rng.below(9) {
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
                let (s, _) = time_text(now.saturating_sub(3_600_000).max(MIN_TS));
                let naive = s.trim_end_matches('Z').to_string();
                let naive = if self.rng.below(2) == 0 {
                    naive.replace('T', " ")
                } else {
                    naive
                };
                self.ev(K::TsNaive, F::Ts);
                return (json!(naive), K::TsNaive);
            }
            6 => {
                // Years before 0000 and after 9999, which the interpreter
                // reads in the offset-less form: the year before 0000,
                // 2,190 years before now (`now - 800000d`), year 10000,
                // the parser's ends.
                let v = *self.rng.pick(&[
                    MIN_TS - 365 * 86_400_000,
                    now.saturating_sub(69_120_000_000_000),
                    MAX_TS + 1,
                    MIN_PARSED,
                    MAX_PARSED,
                ]);
                (v, K::TsSignedYear)
            }
            _ => (
                now.saturating_sub(self.rng.below(100) as i64 * 3_600_000),
                K::Other,
            ),
        };
        let (s, how) = time_text(ms);
        let k = match how {
            TimeText::Rfc => k,
            TimeText::SignedYear => K::TsSignedYear,
            TimeText::Clamped => K::TsExtreme,
        };
        (json!(s), k)
    }
    /// Any JSON value, for undeclared metadata.
    pub(super) fn dynamic(&mut self, pools: &Pools) -> Value {
        if !pools.whole.is_empty() && self.rng.below(4) == 0 {
            // Exactly (the JSON of) a constant it is compared with: a list
            // constant as an array, an address spelled another way.
            let c = self.rng.pick(&pools.whole).clone();
            let v = self.const_json(&c);
            self.ev(K::JConst, F::Dyn);
            return v;
        }
        if !pools.looked.is_empty() && self.rng.below(6) == 0 {
            // An array holding a looked-up constant first, then others
            // (or a filler that equals nothing).
            let n = 1 + self.rng.below(3);
            let mut items: Vec<Value> = (0..n)
                .map(|_| {
                    let c = self.rng.pick(&pools.looked).clone();
                    self.const_json(&c)
                })
                .collect();
            if self.rng.below(3) == 0 {
                items.push(json!({"filler": true}));
            }
            self.ev(K::ListHead, F::Dyn);
            return Value::Array(items);
        }
        let (v, k) = match self.rng.below(11) {
            0 => (json!(self.rng.below(2) == 0), K::JBool),
            1 => {
                let (v, sub) = self.int(pools);
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
                let (v, sub) = self.float(pools);
                self.ev(sub, F::Dyn);
                (v, K::JFloat)
            }
            4 | 5 => {
                let (v, sub) = self.string(pools);
                self.ev(sub, F::Dyn);
                (v, K::JString)
            }
            6 => {
                let (v, sub) = self.ip(pools);
                self.ev(sub, F::Dyn);
                (v, K::JAddrString)
            }
            7 => {
                let t = Type::List(Box::new(Type::String));
                let n = Node {
                    leaf: vec![t.clone()],
                    ..Node::default()
                };
                let v = self.list(pools, pools, &n, &t, false, 1, Some(F::Dyn));
                (v, K::JArrStrings)
            }
            8 => {
                let s = self.rng.pick(&pools.strs).clone();
                (json!([s, 1, null, true, {"a": 1}, [2]]), K::JArrMixed)
            }
            9 => {
                let (v, sub) = self.time(pools);
                self.ev(sub, F::Dyn);
                (v, K::JString)
            }
            _ => (json!({"sub": "a", "k": [1]}), K::JObject),
        };
        self.ev(k, F::Dyn);
        v
    }
}
