//! Requirement strength (SPEC §9): how one decision compares with another.
//! One implementation for `diff`, `diff --prove` and `verify`'s `at least`.

use super::{Decision, DecisionKind};
use crate::ir::{Challenge, Effect, StepKind};
use std::collections::BTreeSet;

/// How a decision moves from an old one to a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// The same requirement.
    Same,
    /// Different, but not weaker.
    Changed,
    /// Weaker (SPEC §9): a lower kind, or within `require_mfa`/`enroll_mfa`
    /// more acceptable factors, a dropped step or `remember_browser` on.
    Weaker,
}

/// How strong a decision kind is: deny (and a failed login) > require =
/// enroll > skip > none.
pub fn kind_strength(kind: DecisionKind) -> u8 {
    match kind {
        // A failed login lets nobody in: as strong as deny.
        DecisionKind::Deny | DecisionKind::Error => 3,
        DecisionKind::RequireMfa | DecisionKind::EnrollMfa => 2,
        DecisionKind::SkipMfa => 1,
        DecisionKind::None => 0,
    }
}

/// Whether `new` is weaker than `old` by kind alone: a strictly lower
/// strength, where `skip_mfa` and `none` count as equal (neither asks for
/// MFA).
pub fn kind_weaker(old: DecisionKind, new: DecisionKind) -> bool {
    let rank = |k| kind_strength(k).max(1);
    rank(new) < rank(old)
}

/// How the decision moves from `old` to `new`.
pub fn movement(old: &Decision, new: &Decision) -> Movement {
    between(
        (old.kind, old.effect.as_ref()),
        (new.kind, new.effect.as_ref()),
    )
}

/// How a decision of kind and effect moves to another (the effect is the
/// deciding rule's or the default's; `None` for no opinion).
pub fn between(
    old: (DecisionKind, Option<&Effect>),
    new: (DecisionKind, Option<&Effect>),
) -> Movement {
    if old.0 != new.0 {
        return if kind_weaker(old.0, new.0) {
            Movement::Weaker
        } else {
            Movement::Changed
        };
    }
    match (old.1, new.1) {
        (Some(Effect::Require(x)), Some(Effect::Require(y))) => challenge_movement(x, y),
        (Some(Effect::Deny { reason: a }), Some(Effect::Deny { reason: b })) if a != b => {
            Movement::Changed
        }
        _ => Movement::Same,
    }
}

/// Requirement strength within `require_mfa`/`enroll_mfa` (SPEC §9, v2):
/// weaker when `remember_browser` goes from false to true, when the set of
/// acceptable factors of a step grows (a provider or factor list replaced by
/// `any`, a factor added), or when a step of a sequence is dropped; any
/// other difference is a change.
pub fn challenge_movement(old: &Challenge, new: &Challenge) -> Movement {
    let (o, n) = (steps_of(old), steps_of(new));
    // `n` accepts at least what `o` accepts, in the same kind of step.
    let covers = |o: &Step, n: &Step| {
        o.0 == n.0
            && match (&o.1, &n.1) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => b.is_superset(a),
            }
    };
    let weaker = if n.len() == o.len() {
        o != n && o.iter().zip(&n).all(|(a, b)| covers(a, b))
    } else if n.len() < o.len() {
        // Steps dropped: what is left must be covered by old steps, in order.
        let mut old_steps = o.iter();
        n.iter().all(|b| old_steps.any(|a| covers(a, b)))
    } else {
        false
    };
    if weaker || (!remembers(old) && remembers(new)) {
        return Movement::Weaker;
    }
    if o != n || remembers(old) != remembers(new) {
        Movement::Changed
    } else {
        Movement::Same
    }
}

/// Whether a requirement lets the browser be remembered.
pub fn remembers(c: &Challenge) -> bool {
    matches!(
        c,
        Challenge::Provider {
            remember_browser: true,
            ..
        }
    )
}

/// One step: its kind and the acceptable methods (`None`: provider `any`,
/// everything).
type Step = (StepKind, Option<BTreeSet<String>>);

fn steps_of(c: &Challenge) -> Vec<Step> {
    match c {
        Challenge::Provider { provider, .. } if &**provider == "any" => {
            vec![(StepKind::Challenge, None)]
        }
        Challenge::Provider { provider, .. } => vec![(
            StepKind::Challenge,
            Some(BTreeSet::from([format!("provider:{provider}")])),
        )],
        other => other
            .steps()
            .into_iter()
            .map(|s| {
                (
                    s.kind,
                    Some(s.factors.iter().map(|f| f.to_string()).collect()),
                )
            })
            .collect(),
    }
}

/// Whether a decision is at least as strong as `want` (an assertion's
/// `at least`, SPEC §12 v3): a stronger kind; or, within
/// `require_mfa`/`enroll_mfa`, a requirement that is the same or from which
/// `want` would be a weakening. A plain `require mfa` (provider `any`, no
/// `remember_browser`) accepts every MFA prompt that does not remember the
/// browser.
pub fn at_least(
    want: (DecisionKind, Option<&Effect>),
    got: (DecisionKind, Option<&Effect>),
) -> bool {
    let (ws, gs) = (kind_strength(want.0), kind_strength(got.0));
    if gs != ws {
        return gs > ws;
    }
    match (want.1, got.1) {
        (Some(Effect::Require(w)), Some(Effect::Require(g))) => {
            if is_plain(w) {
                return !remembers(g);
            }
            matches!(challenge_movement(g, w), Movement::Same | Movement::Weaker)
        }
        // Same strength, not a requirement: deny/deny, skip/skip, none/none,
        // skip/none (neither asks for MFA).
        _ => true,
    }
}

/// `require mfa` with nothing named: provider `any`, no `remember_browser`.
pub fn is_plain(c: &Challenge) -> bool {
    matches!(c, Challenge::Provider { provider, remember_browser: false } if &**provider == "any")
}

/// Whether a decision is the effect an assertion names (SPEC §12 v3): the
/// same kind and, where the assertion names them, the same provider,
/// factors, steps and `remember_browser`. A plain `require mfa` names only
/// the kind; `never require mfa` (see [`prompts`]) is wider still.
pub fn matches(
    want: (DecisionKind, Option<&Effect>),
    got: (DecisionKind, Option<&Effect>),
) -> bool {
    if want.0 != got.0 {
        return false;
    }
    match (want.1, got.1) {
        (Some(Effect::Require(w)), Some(Effect::Require(g))) => {
            if is_plain(w) {
                return true;
            }
            match (w, g) {
                (
                    Challenge::Provider {
                        provider: wp,
                        remember_browser: wr,
                    },
                    Challenge::Provider {
                        provider: gp,
                        remember_browser: gr,
                    },
                ) => (&**wp == "any" || wp == gp) && (!*wr || *gr),
                _ => challenge_movement(w, g) == Movement::Same,
            }
        }
        _ => true,
    }
}

/// Whether `got` is a decision an assertion `never EFFECT` forbids: for a
/// plain `require mfa`, any MFA prompt (`require_mfa` or `enroll_mfa`,
/// sequences included); for `enroll mfa ...`, any decision with an
/// enrollment step; otherwise [`matches`].
pub fn forbidden_by_never(
    want: (DecisionKind, Option<&Effect>),
    got: (DecisionKind, Option<&Effect>),
) -> bool {
    let prompt = matches!(got.0, DecisionKind::RequireMfa | DecisionKind::EnrollMfa);
    match want.1 {
        Some(Effect::Require(w)) if is_plain(w) => prompt,
        Some(Effect::Require(w)) if w.enrolls_first() => {
            prompt
                && matches!(got.1, Some(Effect::Require(g))
                    if g.steps().iter().any(|s| s.kind == StepKind::Enroll))
        }
        _ => matches(want, got),
    }
}
