//! One grammar-driven, type-directed generator of random policies, events
//! and one-edit mutations, shared by the property tests, with a coverage
//! table that proves what it generated.
//!
//! # API
//!
//! ```ignore
//! mod common;
//! use common::gen::{Gen, Options, Plan};
//!
//! let mut g = Gen::new(seed);                 // deterministic from the seed
//! let text = g.policy();                      // always checks clean (warnings allowed)
//! let policy = /* mfapol::compile(text) */;
//! let plan = Plan::new(&policy);              // what the policy reads; build once per policy
//! let now = g.now();                          // an evaluation time (ms); events use the last one
//! let event = g.event_with(&plan);            // a serde_json::Value `mfapol eval` accepts
//! let event = g.event(&policy);               // the same without a cached plan (slower)
//! let (mutant, kind) = g.mutate(&text);       // a one-edit variant that still checks
//! println!("{}", g.cov.table());              // the coverage table
//! assert!(g.cov.empty_cells(1).is_empty());
//! ```
//!
//! * `Options` (`Gen::with_options`): `asserts` (generate `assert` items,
//!   default on), `max_rules`, `max_lets`, `hostile` (per mille of events
//!   with values of the wrong type, default 0), `action_safe` (only regexes
//!   JavaScript reads alike, so every policy compiles to an Action).
//! * `Gen::policy_ast` returns the generated tree (`GPolicy`, printed by
//!   `GPolicy::text`); `Gen::mutate_ast` mutates one.
//! * Policies are one item per line (`rule NAME: EFFECT when COND [unless
//!   COND]`), so a test may drop a rule's line.
//! * Coverage (`Gen::cov`, a `Coverage`) counts, as it generates:
//!   expression form x position, constant kind x value kind, effect x
//!   position, mutation kind, event value kind x field kind. Every cell is
//!   an enum pair (`cov::Form`, `cov::Pos`, ...), so a new form with no
//!   production shows up as an empty cell. `Coverage::merge` adds up the
//!   coverage of several generators (one per thread).
//!
//! Policies use single files only (`include` is out of scope).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ast;
mod cmp;
mod consts;
pub mod cov;
mod event;
mod expr;
mod items;
mod konst;
mod mutate;
mod src;
mod values;

pub use ast::GPolicy;
pub use cov::{Coverage, MutationKind};
pub use event::Plan;

use super::Rng;
use ast::E;
use cov::{ConstKind, ValueKind};
use expr::{Elem, Set};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Generate `assert` items.
    pub asserts: bool,
    /// At most this many rules.
    pub max_rules: usize,
    /// At most this many `let`s (at least one is always made).
    pub max_lets: usize,
    /// Per mille of events that hold values of the wrong type (hostile).
    pub hostile: u32,
    /// Only regexes JavaScript reads as mfapol does, so every policy
    /// compiles to an Action (`mfapol compile` refuses the others).
    pub action_safe: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            asserts: true,
            max_rules: 5,
            max_lets: 5,
            hostile: 0,
            action_safe: false,
        }
    }
}

/// What a `let` holds, for the expressions that refer to it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum LetKind {
    /// A condition.
    Bool,
    /// A constant of this kind, made for this value kind and closed set.
    Const(ConstKind, ValueKind, Option<Set>),
    /// A regex string.
    Regex,
    /// A list of enrollable factor names.
    Factors,
    /// `split(...)`.
    Split,
    /// A computed value: `trim`/`lower` (string), `len` (int), `now - d`
    /// (timestamp), a list read from the event.
    Src(ValueKind, Option<Set>, Option<Elem>),
}

#[derive(Clone, Debug)]
struct LetInfo {
    name: String,
    kind: LetKind,
    body: E,
}

/// What the policy being generated has made so far.
#[derive(Clone, Debug, Default)]
struct State {
    declares: Vec<(String, String)>,
    decl: Vec<(ValueKind, String)>,
    dyn_keys: Vec<&'static str>,
    lets: Vec<LetInfo>,
    vars: usize,
}

/// The generator. Deterministic from its seed.
pub struct Gen {
    rng: Rng,
    /// What to generate.
    pub opts: Options,
    /// What was generated.
    pub cov: Coverage,
    st: State,
    now_ms: i64,
    /// Recently generated policies by text, for `mutate`.
    recent: Vec<(String, GPolicy, State)>,
}

/// 2024-06-24T12:00:00Z.
pub const FIXED_NOW_MS: i64 = 1_719_230_400_000;

impl Gen {
    /// A generator with default options.
    pub fn new(seed: u64) -> Gen {
        Gen::with_options(seed, Options::default())
    }

    /// A generator with options.
    pub fn with_options(seed: u64, opts: Options) -> Gen {
        let mut cov = Coverage::default();
        cov.hostile = opts.hostile > 0;
        Gen {
            // xorshift needs a non-zero state.
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            opts,
            cov,
            st: State::default(),
            now_ms: FIXED_NOW_MS,
            recent: Vec::new(),
        }
    }

    /// A random policy's text (always checks clean; warnings allowed).
    pub fn policy(&mut self) -> String {
        self.policy_ast().text()
    }

    /// A random policy's tree.
    pub fn policy_ast(&mut self) -> GPolicy {
        let p = self.gen_policy();
        let text = p.text();
        if self.recent.len() >= 64 {
            self.recent.remove(0);
        }
        self.recent.push((text, p.clone(), self.st.clone()));
        p
    }

    /// A one-edit variant of a policy this generator made recently (one of
    /// its last 64), still checking clean, and the kind of edit.
    pub fn mutate(&mut self, text: &str) -> (String, MutationKind) {
        let Some((_, p, st)) = self
            .recent
            .iter()
            .rev()
            .find(|(t, _, _)| t == text)
            .cloned()
        else {
            panic!("Gen::mutate: this policy was not made by this generator recently:\n{text}");
        };
        self.st = st;
        let (m, kind) = self.mutate_ast(&p);
        (m.text(), kind)
    }

    /// An evaluation time (ms since the epoch); events made after it are
    /// built around it.
    pub fn now(&mut self) -> i64 {
        const YEAR: i64 = 365 * 86_400_000;
        self.now_ms = match self.rng.below(8) {
            0..=3 => FIXED_NOW_MS,
            4 => FIXED_NOW_MS + 987_654_321_000,
            // Near the parser's extremes: year 1 and year 9998.
            5 => -62_135_596_800_000 + self.rng.below(1000) as i64 * 86_400_000,
            6 => 253_370_764_800_000 - self.rng.below(1000) as i64 * 86_400_000,
            _ => 946_684_800_000 + (self.rng.next() % (40 * YEAR as u64)) as i64,
        };
        self.now_ms
    }

    /// The evaluation time events are built around.
    pub fn current_now(&self) -> i64 {
        self.now_ms
    }

    /// An event for a policy, built around the last `now()`.
    pub fn event(&mut self, policy: &mfapol::ir::Policy) -> serde_json::Value {
        let plan = Plan::new(policy);
        self.event_with(&plan)
    }
}

impl Gen {
    /// Policies that each compare a value of kind `vk` with a constant of
    /// kind `ck` in one way (`==`, `<`, `in`, `contains`, `starts_with`,
    /// `now - d`, either side): the checker accepts one of them exactly
    /// when `cov::valid_pair(ck, vk)` (tested in `tests/generator.rs`).
    pub fn cell_probes(&mut self, ck: ConstKind, vk: ValueKind) -> Vec<String> {
        use ValueKind as V;
        self.st = State::default();
        let (s, set): (String, Option<Set>) = match vk {
            V::FStr => ("user.email".into(), None),
            V::FEnum => ("country".into(), Some(consts::COUNTRIES)),
            V::FByName => ("connection".into(), None),
            V::FInt => ("stats.logins_count".into(), None),
            V::FFloat => ("request.geoip.latitude".into(), None),
            V::FBool => ("user.email_verified".into(), None),
            V::FIp => ("request.ip".into(), None),
            V::FTs => ("user.created_at".into(), None),
            V::FListStr => ("authorization.roles".into(), None),
            V::FListEnum => ("user.multifactor".into(), Some(consts::ENROLLED)),
            V::FListRec => ("authentication.methods".into(), None),
            V::Dyn => ("user.app_metadata.k0".into(), None),
            _ => (self.declared(vk), None),
        };
        let c = self.lit(ck, ast::Ctx::Val(vk, set)).text();
        let atoms = [
            format!("{s} == {c}"),
            format!("{c} != {s}"),
            format!("{s} < {c}"),
            format!("{c} >= {s}"),
            format!("{s} in {c}"),
            format!("{c} in {s}"),
            format!("{s} contains {c}"),
            format!("{s} starts_with {c}"),
            format!("{s} > now - {c}"),
        ];
        let declares: String = self
            .st
            .declares
            .iter()
            .map(|(p, t)| format!("declare {p}: {t}\n"))
            .collect();
        atoms
            .iter()
            .map(|a| format!("{declares}require mfa when {a}\n"))
            .collect()
    }
}
