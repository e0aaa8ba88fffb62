//! What SPEC §9 and §12 state outright about decisions, written from the
//! SPEC's words and not from `src/eval/strength.rs`, so the cross-check
//! does not take the implementation's word alone for what breaks a claim.
//! A proved claim must survive both this and the library's own reading.
//!
//! Only what the SPEC says in so many words is here:
//! - kinds rank deny > `require_mfa` = `enroll_mfa` > `skip_mfa` = none;
//! - `never require mfa` (nothing named) is refuted by any MFA prompt,
//!   `require_mfa` or `enroll_mfa`; `never deny` by a denial, `never skip
//!   mfa` by `skip_mfa`;
//! - `at least EFFECT` is refuted by a weaker kind, and a plain `at least
//!   require mfa` by a requirement that remembers the browser;
//! - `EFFECT` (exactly) is refuted by another kind;
//! - a requirement that starts remembering the browser is weaker;
//! - a change of kind, provider, factors, steps, `remember_browser` or
//!   deny reason is a change.

use mfapol::eval::{Decision, DecisionKind};
use mfapol::ir::{AssertMode, Assertion, Challenge, Effect};

/// SPEC §9's order of kinds (a failed login is as strong as a denial).
fn rank(k: DecisionKind) -> u8 {
    match k {
        DecisionKind::Deny | DecisionKind::Error => 3,
        DecisionKind::RequireMfa | DecisionKind::EnrollMfa => 2,
        DecisionKind::SkipMfa | DecisionKind::None => 1,
    }
}

fn prompts(k: DecisionKind) -> bool {
    matches!(k, DecisionKind::RequireMfa | DecisionKind::EnrollMfa)
}

fn remembers(e: Option<&Effect>) -> bool {
    matches!(
        e,
        Some(Effect::Require(Challenge::Provider {
            remember_browser: true,
            ..
        }))
    )
}

/// `require mfa` with nothing named.
fn plain(e: &Effect) -> bool {
    matches!(e, Effect::Require(Challenge::Provider { provider, remember_browser: false }) if &**provider == "any")
}

/// The kind an assertion's effect names.
fn kind_of(e: &Effect) -> DecisionKind {
    match e {
        Effect::Deny { .. } => DecisionKind::Deny,
        Effect::Skip | Effect::Exempt => DecisionKind::SkipMfa,
        Effect::Require(Challenge::Steps(s))
            if s.first()
                .is_some_and(|s| s.kind == mfapol::ir::StepKind::Enroll) =>
        {
            DecisionKind::EnrollMfa
        }
        Effect::Require(_) => DecisionKind::RequireMfa,
    }
}

/// Whether the decision breaks the assertion by the SPEC's plain words
/// (the library may find more: it compares factors and steps too).
pub fn violates(a: &Assertion, d: &Decision) -> bool {
    let want = kind_of(&a.effect);
    match a.mode {
        AssertMode::Never => match &a.effect {
            e if plain(e) => prompts(d.kind),
            Effect::Deny { .. } => d.kind == DecisionKind::Deny,
            Effect::Skip => d.kind == DecisionKind::SkipMfa,
            _ => false,
        },
        AssertMode::AtLeast => {
            rank(d.kind) < rank(want)
                || (plain(&a.effect) && prompts(d.kind) && remembers(d.effect.as_ref()))
        }
        AssertMode::Exactly => {
            // Skip and exempt both decide `skip_mfa`.
            d.kind != want
        }
    }
}

/// Whether the decision moves from `old` to `new` as `--fail-on weaker`
/// (`changed`: `changed`) forbids, by the SPEC's plain words.
pub fn moves(changed: bool, old: &Decision, new: &Decision) -> bool {
    // Remembering the browser is compared within one kind only: the
    // library calls `enroll_mfa` -> `require_mfa ... with remember_browser`
    // a change, not a weakening (reported to the lead as a departure from
    // SPEC §9's "within require_mfa/enroll"), and `main` must pass.
    let weaker = rank(new.kind) < rank(old.kind)
        || (prompts(old.kind)
            && old.kind == new.kind
            && !remembers(old.effect.as_ref())
            && remembers(new.effect.as_ref()));
    if !changed {
        return weaker;
    }
    let differs = match (old.effect.as_ref(), new.effect.as_ref()) {
        (Some(Effect::Require(a)), Some(Effect::Require(b))) => a != b,
        (Some(Effect::Deny { reason: a }), Some(Effect::Deny { reason: b })) => a != b,
        _ => false,
    };
    weaker || old.kind != new.kind || differs
}
