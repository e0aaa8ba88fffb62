//! The declare suggested for an undeclared metadata key compared with a
//! literal offers every type that comparison allows (SPEC §15): the quoted
//! `"true"` is what a string holds, but a JSON boolean is compared with
//! `true`; following a one-type help for the other kind of value makes the
//! rule raise at run time (a `require` then applies to everyone, a `skip`
//! to no one). Keys of maps whose values Auth0 stores as strings
//! (organization, client and connection metadata) are offered `string`
//! only.

use super::Checker;
use crate::ir::{self, Const, ExprKind as K};
use crate::schema::Type;
use crate::syntax::ast::BinOp;

impl Checker<'_> {
    /// `KEY == LITERAL` (or `!=`) with `KEY` an undeclared metadata key:
    /// rewrites its help to offer each type the comparison allows. Returns
    /// whether it did.
    pub(super) fn suggest_for_literal(
        &mut self,
        key: &ir::Expr,
        lit: &ir::Expr,
        op: BinOp,
    ) -> bool {
        let (K::Path(p), Type::Dynamic, K::Const(c)) = (&key.kind, &key.ty, &lit.kind) else {
            return false;
        };
        let path = p.text.to_string();
        if self.string_map_of(&path).is_some() {
            return false;
        }
        let op = op.as_str();
        let text = match c {
            Const::Str(s) => {
                let (ty, bare) = match &**s {
                    "true" | "false" => ("bool", s.to_string()),
                    n if n.parse::<i64>().is_ok() => ("int", n.to_string()),
                    _ => return false,
                };
                let holds = if ty == "bool" {
                    "a JSON boolean"
                } else {
                    "a JSON number"
                };
                format!(
                    "declare its type to check it: `declare {path}: string` if it holds the text \"{s}\"; if it holds {holds}, `declare {path}: {ty}` and compare with `{path} {op} {bare}`"
                )
            }
            Const::Bool(b) => format!(
                "declare its type to check it: `declare {path}: bool` if it holds a JSON boolean; if it holds the text \"{b}\", `declare {path}: string` and compare with `{path} {op} \"{b}\"`"
            ),
            Const::Int(i) => format!(
                "declare its type to check it: `declare {path}: int` if it holds a whole JSON number (`float` if it may hold a fraction); if it holds the text \"{i}\", `declare {path}: string` and compare with `{path} {op} \"{i}\"`"
            ),
            _ => return false,
        };
        self.suggest_declare_text(key, text);
        true
    }

    /// `KEY > 5`: an ordering allows `int` and `float`.
    pub(super) fn suggest_number(&mut self, key: &ir::Expr, other: &Type) -> bool {
        let (K::Path(p), Type::Dynamic) = (&key.kind, &key.ty) else {
            return false;
        };
        if !matches!(other, Type::Int | Type::Float) {
            return false;
        }
        let path = p.text.to_string();
        if self.string_map_of(&path).is_some() {
            return false;
        }
        let text = format!(
            "declare its type to check it: `declare {path}: int` if it holds whole numbers, `declare {path}: float` if it may hold a fraction"
        );
        self.suggest_declare_text(key, text);
        true
    }
}
