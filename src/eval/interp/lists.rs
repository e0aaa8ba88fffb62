//! Lists: quantifiers, membership, and reading one element of a list.

use super::*;

impl<'a> Cx<'a, '_> {
    #[inline(never)]
    pub(super) fn quantifier(
        &mut self,
        all: bool,
        slot: u16,
        list: &'a Expr,
        body: &'a Expr,
    ) -> Truth {
        let lv = match self.eval(list) {
            Ok(v) => v,
            Err(Unknown) => return Truth::Unknown,
        };
        let (hit, miss) = if all {
            (Truth::False, Truth::True)
        } else {
            (Truth::True, Truth::False)
        };
        let n = match self.list_len(list, &lv) {
            Ok(n) => n,
            Err(Unknown) => return Truth::Unknown,
        };
        let max_locals = self.policy.max_locals;
        let locals = &mut self.scratch.get_or_insert_with(Scratch::default).locals;
        if locals.len() < max_locals {
            locals.resize(max_locals, Value::Null);
        }
        for i in 0..n {
            let item = match self.list_item(list, &lv, i) {
                Ok(v) => v,
                Err(Unknown) => return Truth::Unknown,
            };
            match self
                .scratch
                .as_mut()
                .and_then(|s| s.locals.get_mut(slot as usize))
            {
                Some(s) => *s = item,
                None => {
                    self.internal(body, "a quantifier variable has no slot");
                    return Truth::Unknown;
                }
            }
            let t = self.truth(body);
            match if all { not(t) } else { t } {
                Truth::True => return hit,
                Truth::Unknown => return Truth::Unknown,
                Truth::False => {}
            }
        }
        // An empty list decides alone (`any` false, `all` true): say so.
        if n == 0 && self.trace.is_some() {
            self.note(list, &[(list, &lv)], miss);
        }
        miss
    }

    pub(super) fn list_len(&mut self, e: &Expr, v: &Value<'a>) -> Result<usize, Unknown> {
        match v {
            Value::Null => Ok(0),
            Value::ConstList(items) => Ok(items.len()),
            Value::JsonList(items, _) => Ok(items.len()),
            Value::StrList(items) => Ok(items.len()),
            Value::Json(Json::Array(items)) => Ok(items.len()),
            Value::Json(Json::Null) => Ok(0),
            Value::Json(j) => Err(self.fail(
                || {
                    format!(
                        "{} should be a list but holds {}",
                        describe(e),
                        show_json(j)
                    )
                },
                path_text(e),
                e.span,
            )),
            _ => Err(self.fail(
                || format!("{} is not a list", describe(e)),
                path_text(e),
                e.span,
            )),
        }
    }

    pub(super) fn list_item(&mut self, e: &Expr, v: &Value<'a>, i: usize) -> R<'a> {
        match v {
            Value::ConstList(items) => Ok(items.get(i).map_or(Value::Null, from_const)),
            Value::JsonList(items, ty) => match items.get(i) {
                None => Ok(Value::Null),
                Some(j) => from_json(j, ty).map_err(|want| {
                    self.fail(
                        || {
                            format!(
                                "{} should be {want} but holds {}",
                                describe_item(e, i),
                                show_json(j)
                            )
                        },
                        path_text(e),
                        e.span,
                    )
                }),
            },
            Value::Json(Json::Array(items)) => Ok(items.get(i).map_or(Value::Null, Value::Json)),
            Value::StrList(items) => Ok(items
                .get(i)
                .map_or(Value::Null, |s| Value::Str(Cow::Owned(s.clone())))),
            _ => Ok(Value::Null),
        }
    }

    /// `needle in list`: equality with each element; an address is also
    /// in a network.
    pub(super) fn member(
        &mut self,
        needle: &Value<'a>,
        list_expr: &Expr,
        list: &Value<'a>,
    ) -> Result<bool, Unknown> {
        if needle.is_null() {
            return Ok(false);
        }
        // The common case, a string in a list of string constants, compares
        // in place without building a value per element.
        if let (Value::Str(s), Value::ConstList(items)) = (needle, list) {
            // One pass: a match among string constants is a match; anything
            // else in the list falls back to the general comparison below.
            let mut only_strings = true;
            for c in items.iter() {
                match c {
                    ir::Const::Str(t) if t.as_ref() == s.as_ref() => return Ok(true),
                    ir::Const::Str(_) => {}
                    _ => {
                        only_strings = false;
                        break;
                    }
                }
            }
            if only_strings {
                return Ok(false);
            }
        }
        // The same rule as `any e in LIST: e == X`: elements in order, and
        // one that misfits its type raises, even if a later one matches.
        let n = self.list_len(list_expr, list)?;
        for i in 0..n {
            self.step(list_expr)?;
            let item = self.list_item(list_expr, list, i)?;
            let hit = match (needle, &item) {
                (Value::Ip(a), Value::Cidr(net)) => ir::net_contains(*net, *a),
                _ => equal(needle, &item),
            };
            if hit {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
