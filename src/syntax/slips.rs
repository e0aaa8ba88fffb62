//! Slips whose plain syntax error misleads: a reserved keyword used as a
//! name (`rule mfa: ...` reads as "expected `:`" at the `:`), a missing
//! `and` before `not` (`a == "x" not ip in office` reads as "expected `in`
//! after `not`", and writing `not in` there gives a type error), and a
//! duration with a unit word (`24hours`).

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

/// `24hours`, `15min`, `24 hours`: a number with a unit word. Returns the
/// text as written, the literal meant (when the unit is known) and where.
#[expect(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    reason = "byte offsets inside the policy text, each checked against its length or found in it; the text is at most the policy size limit"
)]
pub(super) fn bad_duration(text: &str, pos: usize) -> Option<(String, Option<String>, Span)> {
    let pos = pos.min(text.len());
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut start = pos;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = pos;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    let word = &text[start..end];
    // `24 hours`: the number is the token before.
    if word.chars().all(|c| c.is_ascii_alphabetic()) {
        let before = text[..start].trim_end_matches([' ', '\t']);
        let digits = before.len() - before.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 || before.len() == start {
            return None;
        }
        let num_start = before.len() - digits;
        let number = &before[num_start..];
        let unit = unit_letter(word)?;
        let written = format!("{number} {word}");
        return Some((
            written,
            Some(format!("{number}{unit}")),
            Span::new(num_start, end),
        ));
    }
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == word.len() {
        return None;
    }
    let (number, unit) = word.split_at(digits);
    if !unit.chars().all(|c| c.is_ascii_alphabetic()) || matches!(unit, "s" | "m" | "h" | "d") {
        return None;
    }
    let fixed = unit_letter(unit).map(|u| format!("{number}{u}"));
    Some((word.to_string(), fixed, Span::new(start, end)))
}

fn unit_letter(unit: &str) -> Option<&'static str> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "m",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "d",
        _ => return None,
    })
}
