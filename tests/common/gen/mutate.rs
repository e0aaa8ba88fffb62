//! One-edit mutations of a generated policy (`mfapol diff --prove`'s
//! cross-check, issue 22): each result still checks clean.

use super::ast::{Ctx, Eff, Factors, GPolicy, Lit, E};
use super::consts::{ENROLLABLE, FACTORS, PROVIDERS};
use super::cov::{MutationKind as M, Pos};
use super::Gen;
use ipnet::IpNet;

/// The two halves of a range written in a literal, if it has any.
fn halves(text: &str) -> Option<(IpNet, IpNet)> {
    let net: IpNet = text.parse().ok()?;
    let net = net.trunc();
    let mut it = net.subnets(net.prefix_len().checked_add(1)?).ok()?;
    Some((it.next()?, it.next()?))
}

fn net_lit(text: String) -> E {
    E::Lit(Lit {
        text,
        kind: super::cov::ConstKind::Cidr24,
        ctx: Ctx::Net,
    })
}

fn splittable(e: &E) -> bool {
    matches!(e, E::Lit(l) if l.ctx == Ctx::Net && l.text.contains('/') && halves(&l.text).is_some())
}

/// Counts the ranges that can be split, in order; splits (or narrows) the
/// `target`-th. Returns whether it did.
fn split_nets(e: &mut E, target: usize, seen: &mut usize, narrow: bool) -> bool {
    match e {
        E::List(items) => {
            for i in 0..items.len() {
                if splittable(&items[i]) {
                    if *seen == target {
                        let E::Lit(l) = &items[i] else { return false };
                        let Some((a, b)) = halves(&l.text) else {
                            return false;
                        };
                        items[i] = net_lit(a.to_string());
                        if !narrow {
                            items.insert(i + 1, net_lit(b.to_string()));
                        }
                        return true;
                    }
                    *seen += 1;
                } else if split_nets(&mut items[i], target, seen, narrow) {
                    return true;
                }
            }
            false
        }
        _ if splittable(e) => {
            if *seen == target {
                let E::Lit(l) = &*e else { return false };
                let Some((a, b)) = halves(&l.text) else {
                    return false;
                };
                *e = if narrow {
                    net_lit(a.to_string())
                } else {
                    E::List(vec![net_lit(a.to_string()), net_lit(b.to_string())])
                };
                return true;
            }
            *seen += 1;
            false
        }
        E::Lit(_) | E::Name(_) => false,
        E::Bin(a, _, b) => {
            split_nets(a, target, seen, narrow) || split_nets(b, target, seen, narrow)
        }
        E::Not(a) | E::Paren(a) => split_nets(a, target, seen, narrow),
        E::Call(_, args) => args.iter_mut().any(|a| split_nets(a, target, seen, narrow)),
        E::Quant { list, body, .. } => {
            split_nets(list, target, seen, narrow) || split_nets(body, target, seen, narrow)
        }
    }
}

fn count_nets(p: &mut GPolicy) -> usize {
    let mut n = 0;
    for e in conds(p) {
        split_nets(e, usize::MAX, &mut n, false);
    }
    n
}

/// Every condition a decision depends on: rules' and `let`s'.
fn conds(p: &mut GPolicy) -> Vec<&mut E> {
    let mut out: Vec<&mut E> = Vec::new();
    for r in &mut p.rules {
        out.push(&mut r.when);
        if let Some(u) = &mut r.unless {
            out.push(u);
        }
    }
    for l in &mut p.lets {
        if !l.factors {
            out.push(&mut l.body);
        }
    }
    out
}

fn effects(p: &mut GPolicy) -> Vec<&mut Eff> {
    let mut out: Vec<&mut Eff> = p.rules.iter_mut().map(|r| &mut r.eff).collect();
    if let Some(d) = &mut p.default {
        out.push(d);
    }
    out
}

/// Factor lists that can be edited in place: literal lists of each step
/// (with whether the step enrolls) and `let`s holding factor lists.
fn factor_lists(p: &mut GPolicy) -> Vec<(&mut Vec<&'static str>, bool)> {
    let mut out = Vec::new();
    for eff in effects(p) {
        if let Eff::Steps(steps) = eff {
            for s in steps {
                if let Factors::Lit(v) = &mut s.factors {
                    out.push((v, s.enroll));
                }
            }
        }
    }
    out
}

impl Gen {
    /// A one-edit variant of a generated policy, and the kind of edit.
    /// A new `unless` draws on the policy's own `let`s and declared keys,
    /// so `p` should be one of the generator's last 64 policies (else the
    /// last policy's are used).
    pub fn mutate_ast(&mut self, p: &GPolicy) -> (GPolicy, M) {
        let text = p.text();
        if let Some((_, _, st)) = self.recent.iter().rev().find(|(t, _, _)| *t == text) {
            self.st = st.clone();
        }
        for _ in 0..64 {
            let kind = *self.rng.pick(M::ALL);
            let mut m = p.clone();
            if self.apply(&mut m, kind) && m.text() != p.text() {
                self.cov.mutation(kind);
                return (m, kind);
            }
        }
        // Always possible: a rule gains (another) condition.
        let mut m = p.clone();
        let mut cx = self.cx(Pos::Unless);
        let c = self.cond(&mut cx, 1);
        if let Some(r) = m.rules.first_mut() {
            r.unless = Some(match r.unless.take() {
                Some(u) => E::bin(u, super::ast::Op::Or, c),
                None => c,
            });
        }
        self.finish(&mut m);
        self.cov.mutation(M::UnlessAdded);
        (m, M::UnlessAdded)
    }

    fn apply(&mut self, m: &mut GPolicy, kind: M) -> bool {
        match kind {
            M::LiteralChanged => {
                let mut lits: Vec<&mut Lit> = Vec::new();
                for e in conds(m) {
                    e.lits_mut(&mut lits);
                }
                lits.retain(|l| l.ctx != Ctx::Factor);
                if lits.is_empty() {
                    return false;
                }
                let i = self.rng.below(lits.len());
                let (kind, ctx, old) = (lits[i].kind, lits[i].ctx.clone(), lits[i].text.clone());
                for _ in 0..8 {
                    if let E::Lit(new) = self.lit(kind, ctx.clone()) {
                        if new.text != old {
                            lits[i].text = new.text;
                            return true;
                        }
                    }
                }
                false
            }
            M::RuleDropped => {
                if m.rules.is_empty() {
                    return false;
                }
                let i = self.rng.below(m.rules.len());
                m.rules.remove(i);
                true
            }
            M::ConditionNegated => {
                if m.rules.is_empty() {
                    return false;
                }
                let i = self.rng.below(m.rules.len());
                let r = &mut m.rules[i];
                let w = std::mem::replace(&mut r.when, E::Name("true".into()));
                r.when = E::Not(Box::new(w));
                true
            }
            M::UnlessAdded => {
                let free: Vec<usize> = (0..m.rules.len())
                    .filter(|i| m.rules[*i].unless.is_none())
                    .collect();
                if free.is_empty() {
                    return false;
                }
                let i = *self.rng.pick(&free);
                let pos = if m.rules[i].eff == Eff::Exempt {
                    Pos::Exempt
                } else {
                    Pos::Unless
                };
                let mut cx = self.cx(pos);
                let c = self.cond(&mut cx, 2);
                m.rules[i].unless = Some(c);
                self.finish(m);
                true
            }
            M::FactorAdded | M::FactorRemoved => {
                let add = kind == M::FactorAdded;
                let mut lists = factor_lists(m);
                lists.retain(|(v, enroll)| {
                    if add {
                        let pool = if *enroll { ENROLLABLE } else { FACTORS };
                        pool.iter().any(|f| !v.contains(f))
                    } else {
                        v.len() > 1
                    }
                });
                if lists.is_empty() {
                    return false;
                }
                let i = self.rng.below(lists.len());
                let (v, enroll) = &mut lists[i];
                if add {
                    let pool = if *enroll { ENROLLABLE } else { FACTORS };
                    let missing: Vec<&'static str> =
                        pool.iter().copied().filter(|f| !v.contains(f)).collect();
                    let f = *self.rng.pick(&missing);
                    v.push(f);
                } else {
                    let j = self.rng.below(v.len());
                    v.remove(j);
                }
                true
            }
            M::StepDropped => {
                let mut seqs: Vec<&mut Vec<super::ast::FStep>> = effects(m)
                    .into_iter()
                    .filter_map(|e| match e {
                        Eff::Steps(s) if s.len() > 1 => Some(s),
                        _ => None,
                    })
                    .collect();
                if seqs.is_empty() {
                    return false;
                }
                let i = self.rng.below(seqs.len());
                let j = self.rng.below(seqs[i].len());
                seqs[i].remove(j);
                true
            }
            M::CidrSplit | M::CidrNarrowed => {
                let n = count_nets(m);
                if n == 0 {
                    return false;
                }
                let target = self.rng.below(n);
                let mut seen = 0;
                conds(m)
                    .into_iter()
                    .any(|e| split_nets(e, target, &mut seen, kind == M::CidrNarrowed))
            }
            M::ProviderChanged | M::RememberAdded => {
                let remember = kind == M::RememberAdded;
                let mut provs: Vec<&mut Eff> = effects(m)
                    .into_iter()
                    .filter(|e| matches!(e, Eff::Provider { remember: r, .. } if !remember || !*r))
                    .collect();
                if provs.is_empty() {
                    return false;
                }
                let i = self.rng.below(provs.len());
                let Eff::Provider {
                    provider,
                    remember: r,
                } = &mut *provs[i]
                else {
                    return false;
                };
                if remember {
                    *r = true;
                } else {
                    let others: Vec<Option<&'static str>> = PROVIDERS
                        .iter()
                        .map(|p| Some(*p))
                        .chain([None])
                        .filter(|p| {
                            p != provider
                                && !(p.is_none() && *provider == Some("any"))
                                && !(*p == Some("any") && provider.is_none())
                        })
                        .collect();
                    *provider = *self.rng.pick(&others);
                }
                true
            }
            M::ListGrown => {
                let mut lists: Vec<&mut Vec<E>> = Vec::new();
                for e in conds(m) {
                    e.lists_mut(&mut lists);
                }
                lists.retain(|l| matches!(l.first(), Some(E::Lit(x)) if x.text.starts_with('"')));
                if lists.is_empty() {
                    return false;
                }
                let i = self.rng.below(lists.len());
                let Some(E::Lit(first)) = lists[i].first() else {
                    return false;
                };
                let (k, ctx) = (first.kind, first.ctx.clone());
                for _ in 0..8 {
                    let new = self.lit(k, ctx.clone());
                    if !lists[i].contains(&new) {
                        lists[i].push(new);
                        return true;
                    }
                }
                false
            }
        }
    }
}
