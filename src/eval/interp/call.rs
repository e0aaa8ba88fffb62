//! The built-in functions, and strings as operands.

use super::*;

impl<'a> Cx<'a, '_> {
    pub(super) fn call(&mut self, f: Func, args: &'a [Expr]) -> R<'a> {
        let Some(arg) = args.first() else {
            return Err(self.fail(
                || "internal error: a call has no argument; this is a bug in mfapol".into(),
                None,
                crate::source::Span::default(),
            ));
        };
        match f {
            Func::Exists => {
                // Presence only: a present value that misfits its type still exists.
                if let K::Path(p) = &arg.kind {
                    return Ok(Value::Bool(self.raw(p, arg)?.is_some_and(|j| !j.is_null())));
                }
                Ok(Value::Bool(!self.eval(arg)?.is_null()))
            }
            Func::Len => {
                let v = self.eval(arg)?;
                Ok(Value::Int(match &v {
                    Value::Str(s) => s.chars().count() as i64,
                    Value::Json(Json::String(s)) => s.chars().count() as i64,
                    _ => self.list_len(arg, &v)? as i64,
                }))
            }
            Func::Lower => {
                let v = self.eval(arg)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let s = self.string(arg, &v)?;
                Ok(Value::Str(Cow::Owned(s.to_lowercase())))
            }
            Func::Trim => {
                let v = self.eval(arg)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let s = self.string(arg, &v)?;
                Ok(Value::Str(Cow::Owned(
                    s.trim_matches(ir::is_trim_space).to_owned(),
                )))
            }
            Func::Split => {
                let Some(sep_arg) = args.get(1) else {
                    return Err(self.internal(arg, "`split` has no separator"));
                };
                let v = self.eval(arg);
                let sep = self.eval(sep_arg);
                let (v, sep) = (v?, sep?);
                if v.is_null() || sep.is_null() {
                    return Ok(Value::StrList(Arc::from([])));
                }
                let s = self.string(arg, &v)?;
                let sep = self.string(sep_arg, &sep)?;
                if sep.is_empty() {
                    return Err(self.fail(
                        || "`split` with an empty separator".into(),
                        None,
                        sep_arg.span,
                    ));
                }
                let mut pieces = Vec::new();
                for piece in s.split(sep.as_ref()) {
                    self.step(arg)?;
                    pieces.push(piece.to_owned());
                }
                Ok(Value::StrList(Arc::from(pieces)))
            }
        }
    }

    pub(super) fn string<'v>(
        &mut self,
        e: &Expr,
        v: &'v Value<'a>,
    ) -> Result<Cow<'v, str>, Unknown> {
        match v {
            Value::Str(s) => Ok(Cow::Borrowed(s.as_ref())),
            Value::Json(Json::String(s)) => Ok(Cow::Borrowed(s.as_str())),
            Value::Json(j) => Err(self.fail(
                || {
                    format!(
                        "{} should be a string but holds {}",
                        describe(e),
                        show_json(j)
                    )
                },
                path_text(e),
                e.span,
            )),
            _ => Err(self.fail(
                || format!("{} is not a string", describe(e)),
                path_text(e),
                e.span,
            )),
        }
    }
}
