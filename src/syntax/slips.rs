//! Two slips whose plain syntax error misleads: a reserved keyword used as
//! a name (`rule mfa: ...` reads as "expected `:`" at the `:`), and a
//! missing `and` before `not` (`a == "x" not ip in office` reads as
//! "expected `in` after `not`", and writing `not in` there gives a type
//! error).

use super::diagnose::{is_reserved, previous_token_end, previous_words, starts_operand};
use super::error::SyntaxError;
use crate::source::Span;

/// `rule mfa:`, `let deny = ...`, `assert when: ...`: the word after the
/// item keyword, just before where parsing stopped, is reserved.
pub(super) fn keyword_as_name(text: &str, pos: usize) -> Option<SyntaxError> {
    let before = previous_words(text, pos, 2);
    let [item, word] = before.as_slice() else {
        return None;
    };
    let (what, suffix) = match *item {
        "rule" => ("a rule", "rule"),
        "let" => ("a `let`", "value"),
        "assert" => ("an assertion", "check"),
        _ => return None,
    };
    if !is_reserved(word) {
        return None;
    }
    let end = previous_token_end(text, pos)?;
    let start = end.checked_sub(word.len())?;
    if text.get(start..end) != Some(*word) {
        return None;
    }
    let fixed = format!("{word}_{suffix}");
    let help = if *item == "let" {
        format!("name it something else, such as `let {fixed}`, and use that name where the value is read")
    } else {
        format!("name it something else, such as `{item} {fixed}:`")
    };
    Some(SyntaxError::KeywordAsName {
        word: (*word).to_string(),
        what: what.into(),
        span: Span::new(start, end).into(),
        help: Some(help),
    })
}

/// `connection == "x" not ip in office`: after a complete operand, `not`
/// can only begin `not in`; when an operand follows instead, a second
/// condition was meant, joined by `and` or `or`.
pub(super) fn missing_join_before_not(
    text: &str,
    pos: usize,
    prev: &str,
    found: &str,
    wants_in: bool,
) -> Option<SyntaxError> {
    if prev != "not" || !wants_in || found == "in" || !starts_operand(found) {
        return None;
    }
    let end = previous_token_end(text, pos)?;
    let start = end.checked_sub(3)?;
    if text.get(start..end) != Some("not") {
        return None;
    }
    Some(SyntaxError::Unexpected {
        message: "expected `and` or `or` before `not`: a second condition starts here".into(),
        span: Span::new(start, end).into(),
        label: "`not` after a value can only begin `not in`".into(),
        help: Some(
            "join the two conditions: write `and not` (both must hold) or `or not` (either holds)"
                .into(),
        ),
    })
}
