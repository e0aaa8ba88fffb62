//! Which event paths a rule reads, and which of them Auth0 logs can supply.

use crate::ir::{Expr, ExprKind as K, Path, Policy, Root, Rule, Step};

/// How well logs supply an event path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Mapped from a log field with the same meaning.
    Supplied,
    /// Mapped, but only in part or only for some entry types; the reason.
    Partial(&'static str),
    /// No log field holds it.
    Missing,
}

/// The mapping's reach, by path prefix (the longest matching prefix wins).
/// A path under no entry is [`Coverage::Missing`], so a field added to the
/// schema later is unsupplied until the mapping learns it.
pub const TABLE: &[(&str, Coverage)] = &[
    ("user.user_id", Coverage::Supplied),
    (
        "user.email",
        Coverage::Partial("taken from `user_name` only when it looks like an email"),
    ),
    (
        "user.identities",
        Coverage::Partial("only the identity used for this login"),
    ),
    ("connection.id", Coverage::Supplied),
    ("connection.name", Coverage::Supplied),
    ("connection.strategy", Coverage::Supplied),
    ("client.client_id", Coverage::Supplied),
    ("client.name", Coverage::Supplied),
    ("organization.id", Coverage::Supplied),
    ("organization.name", Coverage::Supplied),
    ("request.ip", Coverage::Supplied),
    ("request.hostname", Coverage::Supplied),
    (
        "request.user_agent",
        Coverage::Partial("management api exports hold a parsed summary, not the header"),
    ),
    ("request.geoip", Coverage::Supplied),
    ("security_context", Coverage::Supplied),
    ("stats.logins_count", Coverage::Supplied),
    ("tenant.id", Coverage::Supplied),
    (
        "authentication.methods",
        Coverage::Partial("no `mfa` method, no factor `type`, no earlier logins of the session"),
    ),
    ("authentication.riskAssessment", Coverage::Supplied),
    ("session.id", Coverage::Supplied),
    ("session.cookie.mode", Coverage::Supplied),
    ("transaction.id", Coverage::Supplied),
    (
        "transaction.protocol",
        Coverage::Partial("known only for refresh token and password exchanges"),
    ),
    (
        "transaction.prompt",
        Coverage::Partial("known only for silent authentication"),
    ),
    (
        "transaction.requested_scopes",
        Coverage::Partial("known only for token exchanges"),
    ),
    (
        "resource_server.identifier",
        Coverage::Partial("known only for token exchanges"),
    ),
    ("refresh_token.session_id", Coverage::Supplied),
    ("agent.agent_id", Coverage::Supplied),
];

/// Whether `prefix` is `path` or a leading run of its dot-separated segments.
fn covers(prefix: &str, path: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// How well logs supply a path (dotted keys from the event root, list
/// positions left out: `user.identities.connection`).
pub fn coverage(path: &str) -> Coverage {
    let best = TABLE
        .iter()
        .filter(|(p, _)| covers(p, path))
        .max_by_key(|(p, _)| p.len());
    if let Some((_, c)) = best {
        return *c;
    }
    // A record the mapping builds, read as a whole (`exists(organization)`).
    if TABLE
        .iter()
        .any(|(p, c)| *c == Coverage::Supplied && covers(path, p))
    {
        return Coverage::Supplied;
    }
    Coverage::Missing
}

/// Whether any of `prefixes` (e.g. a mapped event's gaps) covers `path`.
pub fn under_any(path: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| covers(p, path) || covers(path, p))
}

/// The event paths a rule reads (its `when`, its `unless` and the `let`s
/// they use), in first-read order without repeats. Shorthands appear as
/// their full paths (`ip` as `request.ip`), list positions are left out,
/// and a quantifier variable's fields hang off its list
/// (`authentication.methods.name`).
pub fn paths_read(policy: &Policy, rule: &Rule) -> Vec<String> {
    let mut w = Walker {
        policy,
        out: Vec::new(),
        locals: Vec::new(),
        depth: 0,
    };
    w.expr(&rule.when);
    if let Some(u) = &rule.unless {
        w.expr(u);
    }
    w.out
}

/// Deeper `let` chains than this are not followed (the checker rejects
/// cycles; this only bounds the walk).
const MAX_LET_DEPTH: usize = 64;

struct Walker<'p> {
    policy: &'p Policy,
    out: Vec<String>,
    /// The list path each quantifier slot ranges over.
    locals: Vec<Option<String>>,
    depth: usize,
}

impl Walker<'_> {
    fn record(&mut self, p: Option<String>) {
        if let Some(p) = p {
            if !p.is_empty() && !self.out.contains(&p) {
                self.out.push(p);
            }
        }
    }

    fn local(&self, slot: u16) -> Option<String> {
        self.locals.get(slot as usize).cloned().flatten()
    }

    fn path(&self, p: &Path) -> Option<String> {
        let mut out = match p.root {
            Root::Event => String::new(),
            Root::Local(slot) => self.local(slot)?,
        };
        for s in p.steps.iter() {
            if let Step::Key(k) = s {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
        }
        Some(out)
    }

    /// The path an expression reads as a whole, if it is one.
    fn as_path(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            K::Path(p) => self.path(p),
            K::Local(slot) => self.local(*slot),
            _ => None,
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            K::Const(_) | K::Now => {}
            K::Path(_) | K::Local(_) => {
                let p = self.as_path(e);
                self.record(p);
            }
            K::Let(i) => {
                let Some(def) = self.policy.lets.get(*i as usize) else {
                    return;
                };
                if self.depth >= MAX_LET_DEPTH {
                    return;
                }
                // A `let` has its own quantifier slots.
                let saved = std::mem::take(&mut self.locals);
                // Bounded by MAX_LET_DEPTH just above.
                self.depth = self.depth.saturating_add(1);
                self.expr(&def.value);
                self.depth = self.depth.saturating_sub(1);
                self.locals = saved;
            }
            K::Not(x) => self.expr(x),
            K::And(xs) | K::Or(xs) | K::Call(_, xs) => {
                for x in xs {
                    self.expr(x);
                }
            }
            K::Eq { lhs, rhs, .. } | K::Order(_, lhs, rhs) => {
                self.expr(lhs);
                self.expr(rhs);
            }
            K::In { needle, list, .. } => {
                self.expr(needle);
                self.expr(list);
            }
            K::InNet { needle, .. } => self.expr(needle),
            K::Str(_, a, b) | K::Arith(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            K::Matches(a, _) => self.expr(a),
            K::Quant {
                slot, list, body, ..
            } => {
                self.expr(list);
                let bound = self.as_path(list);
                let i = *slot as usize;
                if self.locals.len() <= i {
                    self.locals.resize(i.saturating_add(1), None);
                }
                let Some(local) = self.locals.get_mut(i) else {
                    return;
                };
                let saved = std::mem::replace(local, bound);
                self.expr(body);
                if let Some(s) = self.locals.get_mut(i) {
                    *s = saved;
                }
            }
        }
    }
}

/// The paths of a rule that logs do not (fully) supply, with their coverage.
pub fn unsupplied(paths: &[String]) -> Vec<(&str, Coverage)> {
    paths
        .iter()
        .map(|p| (p.as_str(), coverage(p)))
        .filter(|(_, c)| *c != Coverage::Supplied)
        .collect()
}

/// The top-level event fields the policy's rules read (`request`, `user`).
pub fn roots_read(policy: &Policy) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in &policy.rules {
        for p in paths_read(policy, rule) {
            let root = p.split(['.', '[']).next().unwrap_or("").to_string();
            if !root.is_empty() && !out.contains(&root) {
                out.push(root);
            }
        }
    }
    out
}

/// The top-level fields every post-login event has (`user`, `request`,
/// `connection`, ...).
pub fn required_roots() -> Vec<&'static str> {
    let schema = crate::schema::auth0_post_login();
    schema
        .root
        .map(|r| {
            schema
                .record(r)
                .fields
                .iter()
                .filter(|f| !f.optional && !f.hidden)
                .map(|f| f.name.as_ref())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `event` can be an event for a policy reading `roots`: an
/// object with one of those fields or one of the fields every event has
/// (otherwise `mfapol eval` refuses it as `event_unrecognised`: a wrapped
/// event or a log entry, most likely).
pub fn recognised(roots: &[String], event: &serde_json::Value) -> bool {
    let Some(obj) = event.as_object() else {
        return false;
    };
    roots.is_empty()
        || roots.iter().any(|r| obj.contains_key(r))
        || required_roots().iter().any(|k| obj.contains_key(*k))
}
