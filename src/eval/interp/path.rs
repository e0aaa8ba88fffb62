//! Reading paths of the event and of quantifier variables.

use super::*;

impl<'a> Cx<'a, '_> {
    /// Where a path leads, read without side effects.
    #[inline(always)]
    pub(super) fn walk(&self, p: &'a ir::Path) -> Reach<'a> {
        let mut cur: &'a Json = match p.root {
            Root::Event => self.event,
            Root::Local(slot) => match self.local(slot) {
                Some(Value::Json(j)) => j,
                _ => return Reach::Absent,
            },
        };
        let mut steps = p.steps.iter();
        while let Some(step) = steps.next() {
            // The object and key first: nearly every step is one.
            let next = match (step, cur) {
                (Step::Key(k), Json::Object(m)) => m.get(k.as_ref()),
                (Step::Index(n), Json::Array(a)) => a.get(*n),
                (_, Json::Null) => None,
                (_, other) => {
                    // The step's position, worked out only here, off the hot loop.
                    let i = p.steps.len().saturating_sub(steps.len()).saturating_sub(1);
                    if i < p.strict {
                        return Reach::Misfit(i, other);
                    }
                    None
                }
            };
            match next {
                Some(j) => cur = j,
                None => return Reach::Absent,
            }
        }
        Reach::Found(cur)
    }

    /// The raw JSON at a path: `None` when absent, `Err` when the event's
    /// shape misfits the schema.
    pub(super) fn raw(&mut self, p: &'a ir::Path, e: &Expr) -> Result<Option<&'a Json>, Unknown> {
        match self.walk(p) {
            Reach::Found(j) => Ok(Some(j)),
            Reach::Absent => Ok(None),
            Reach::Misfit(i, other) => {
                let want = if matches!(p.steps.get(i), Some(Step::Key(_))) {
                    "an object"
                } else {
                    "a list"
                };
                Err(self.fail(
                    || {
                        format!(
                            "`{}` should be {want} but holds {}",
                            prefix_text(p, i),
                            show_json(other)
                        )
                    },
                    Some(p.text.clone()),
                    e.span,
                ))
            }
        }
    }

    pub(super) fn read(&mut self, p: &'a ir::Path, ty: &'a Type, e: &Expr) -> R<'a> {
        let Some(j) = self.raw(p, e)? else {
            return Ok(Value::Null);
        };
        from_json(j, ty).map_err(|want| {
            self.fail(
                || format!("`{}` should be {want} but holds {}", p.text, show_json(j)),
                Some(p.text.clone()),
                e.span,
            )
        })
    }
}
