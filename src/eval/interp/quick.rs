//! Comparisons of one event field with constants, decided in place: the
//! shapes most conditions are made of (`connection == "corp-ad"`,
//! `continent != "EU"`, `organization in staff_orgs`, `ip in office`,
//! `user.app_metadata.flag == true`).
//!
//! Each gives exactly the result, and takes exactly the steps, of the
//! general path ([`Cx::eval`]): it only skips building the run-time values.
//! Whatever needs more (a value that misfits its type, which is a run-time
//! error; a step budget about to run out; `--explain`, which records the
//! values) returns `None`, and the general path runs from the start and
//! reports it.

use super::{Cx, Reach, MAX_STEPS};
use crate::eval::value::parse_ip;
use crate::ir::{Const, Expr, ExprKind as K, NetSet, Path};
use crate::schema::Type;
use serde_json::Value as Json;

impl<'a> Cx<'a, '_> {
    /// The truth of a comparison of one field with constants, when it can
    /// be decided in place, with the steps the general path takes for it:
    /// `truth(e)`, `eval(e)`, then `eval` of each operand.
    ///
    /// Inlined into the hot loop in optimised builds. Debug builds keep it a
    /// call of its own: they give every inlined local its own stack slot,
    /// and the frames of the recursion that deep `let` chains take would
    /// outgrow a batch worker thread's stack.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline(never))]
    pub(super) fn quick(&mut self, e: &'a Expr) -> Option<bool> {
        match &e.kind {
            K::Eq { negated, lhs, rhs } => self.quick_eq(*negated, lhs, rhs),
            K::In {
                negated,
                needle,
                list,
            } => self.quick_in(*negated, needle, list),
            K::InNet {
                negated,
                needle,
                set,
            } => self.quick_net(*negated, needle, set),
            _ => None,
        }
    }

    /// `FIELD == CONST`, `FIELD != CONST` (either side) for a string or a
    /// boolean constant.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline(never))]
    pub(super) fn quick_eq(&mut self, negated: bool, lhs: &'a Expr, rhs: &'a Expr) -> Option<bool> {
        let (path, ty, c) = match (&lhs.kind, &rhs.kind) {
            (K::Path(p), K::Const(c)) => (p, &lhs.ty, c),
            (K::Const(c), K::Path(p)) => (p, &rhs.ty, c),
            _ => return None,
        };
        let dynamic = matches!(ty, Type::Dynamic);
        let eq = match (c, ty) {
            (Const::Str(t), Type::String | Type::Enum(_) | Type::Dynamic) => {
                match self.field(path)? {
                    Some(Json::String(s)) => s.as_str() == t.as_ref(),
                    // Absent and null equal no string.
                    None | Some(Json::Null) => false,
                    // Another kind: unequal for `dynamic`, a misfit otherwise.
                    Some(_) if dynamic => false,
                    Some(_) => return None,
                }
            }
            (Const::Bool(b), Type::Bool | Type::Dynamic) => match self.field(path)? {
                Some(Json::Bool(x)) => x == b,
                None | Some(Json::Null) => false,
                Some(_) if dynamic => false,
                Some(_) => return None,
            },
            _ => return None,
        };
        self.charge(4)?;
        Some(eq != negated)
    }

    /// `FIELD in [STRINGS]`, `FIELD not in [STRINGS]` for a string field.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline(never))]
    pub(super) fn quick_in(
        &mut self,
        negated: bool,
        needle: &'a Expr,
        list: &'a Expr,
    ) -> Option<bool> {
        let (K::Path(path), K::Const(Const::List(items))) = (&needle.kind, &list.kind) else {
            return None;
        };
        if !needle.ty.is_string() {
            return None;
        }
        let found = match self.field(path)? {
            None | Some(Json::Null) => false,
            Some(Json::String(s)) => {
                let mut found = false;
                for c in items.iter() {
                    match c {
                        Const::Str(t) if t.as_ref() == s.as_str() => {
                            found = true;
                            break;
                        }
                        Const::Str(_) => {}
                        // Other constants compare one by one, each a step.
                        _ => return None,
                    }
                }
                found
            }
            // A misfit: the general path reports it.
            Some(_) => return None,
        };
        self.charge(4)?;
        Some(found != negated)
    }

    /// `FIELD in NETS`, `FIELD not in NETS`.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline(never))]
    pub(super) fn quick_net(
        &mut self,
        negated: bool,
        needle: &'a Expr,
        set: &NetSet,
    ) -> Option<bool> {
        let K::Path(path) = &needle.kind else {
            return None;
        };
        let found = self.in_net(path, &needle.ty, set)?;
        self.charge(3)?;
        Some(found != negated)
    }

    /// `ip in NETS` for an address read from the event.
    #[inline(always)]
    fn in_net(&self, path: &'a Path, ty: &Type, set: &NetSet) -> Option<bool> {
        let dynamic = matches!(ty, Type::Dynamic);
        if !dynamic && !matches!(ty, Type::Ip) {
            return None;
        }
        Some(match self.field(path)? {
            None | Some(Json::Null) => false,
            Some(Json::String(s)) => match parse_ip(s) {
                Some(a) => set.contains(a),
                // Not an address: just unequal for `dynamic`, a misfit for `ip`.
                None if dynamic => false,
                None => return None,
            },
            Some(_) if dynamic => false,
            Some(_) => return None,
        })
    }

    /// The JSON at `path` (`None` when absent), unless reading it raises a
    /// misfit error.
    #[inline(always)]
    fn field(&self, path: &'a Path) -> Option<Option<&'a Json>> {
        match self.walk(path) {
            Reach::Found(j) => Some(Some(j)),
            Reach::Absent => Some(None),
            Reach::Misfit(..) => None,
        }
    }

    /// Takes `n` steps at once, unless the budget would run out on the
    /// way: then the general path takes them one by one and raises where
    /// the budget ends.
    #[inline]
    fn charge(&mut self, n: u64) -> Option<()> {
        // `steps` is at most the budget plus a step per condition (see
        // `Cx::step`), so adding a handful cannot wrap.
        let after = self.steps.wrapping_add(n);
        if after > MAX_STEPS {
            return None;
        }
        self.steps = after;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cx, MAX_STEPS};
    use crate::eval::{Check, RuntimeError, Truth};
    use crate::source::SourceFile;
    use serde_json::json;

    /// The truth of rule 0's `when`, the steps taken and the errors, on
    /// the quick path (`quick`) or the general one, from `start` steps.
    fn run(text: &str, quick: bool, start: u64) -> (Truth, u64, Vec<RuntimeError>) {
        let src = SourceFile::new("p", text);
        let policy = crate::compile(&src, crate::schema::auth0_post_login())
            .policy
            .unwrap();
        let event = json!({"connection": {"name": "corp-ad"}, "request": {"ip": "10.1.1.1"},
            "organization": {"name": "beta"}, "user": {"app_metadata": {"flag": true}}});
        let mut errors = Vec::new();
        let mut checks: Vec<Check> = Vec::new();
        let (truth, steps) = {
            let mut cx = Cx::new(
                &policy,
                &event,
                0,
                Some(&mut errors),
                (!quick).then_some(&mut checks),
            );
            cx.steps = start;
            let t = cx.truth(&policy.rules.first().unwrap().when);
            (t, cx.steps)
        };
        (truth, steps, errors)
    }

    #[test]
    fn takes_the_general_paths_steps_and_raises_where_the_budget_ends() {
        for when in [
            "connection == \"corp-ad\"",
            "\"corp-ad\" != connection",
            "organization in [\"acme\", \"beta\"]",
            "ip in 10.0.0.0/8",
            "user.app_metadata.flag == true",
            "connection == \"corp-ad\" and not ip in 192.0.2.0/24 and organization not in [\"x\"]",
        ] {
            let text = format!("declare user.app_metadata.flag: bool\nrequire mfa when {when}\n");
            // Far from the budget, and every start where it runs out on the way.
            for start in [
                0,
                MAX_STEPS - 12,
                MAX_STEPS - 8,
                MAX_STEPS - 5,
                MAX_STEPS - 4,
            ]
            .into_iter()
            .chain(MAX_STEPS - 3..=MAX_STEPS)
            {
                let quick = run(&text, true, start);
                let general = run(&text, false, start);
                assert_eq!(quick, general, "{when}, from {start} steps");
            }
            // The budget error is what the general path raises.
            let (truth, _, errors) = run(&text, true, MAX_STEPS - 1);
            assert_eq!(truth, Truth::Unknown, "{when}");
            assert!(
                errors.first().unwrap().message.contains("steps"),
                "{errors:?}"
            );
        }
    }
}
