//! The one escaping function for human and `github` output: event- and
//! file-derived text can hold line breaks, ANSI escape sequences or bidi
//! overrides that would forge report lines, colour or reorder the terminal,
//! or inject GitHub workflow commands. JSON output keeps JSON escaping.

use std::borrow::Cow;

/// Whether a character must not reach a terminal raw: C0 controls (line
/// breaks and tab included), DEL, C1 controls, the bidi embeddings and
/// overrides U+202A–U+202E, the isolates U+2066–U+2069, and the implicit
/// marks U+200E, U+200F and U+061C.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// `s` with every unsafe character written as an escape: `\n`, `\r`, `\t`,
/// else `\u{1b}` (Rust's notation); a backslash stays as it is, so text
/// without unsafe characters is returned unchanged and unallocated.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes each line of a multi-line text built by mfapol (its own `\n`
/// line breaks are kept, anything else unsafe is escaped).
pub fn escape_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(escape("alice"), Cow::Borrowed("alice"));
        assert_eq!(escape("a\\b"), "a\\b");
        assert_eq!(escape("a\nline 9  x"), "a\\nline 9  x");
        assert_eq!(escape("\u{1b}[31mred\r\t"), "\\u{1b}[31mred\\r\\t");
        assert_eq!(escape("\u{85}\u{9b}\u{7f}"), "\\u{85}\\u{9b}\\u{7f}");
        assert_eq!(
            escape("x\u{202e}y\u{2066}z\u{2069}\u{202a}"),
            "x\\u{202e}y\\u{2066}z\\u{2069}\\u{202a}"
        );
        assert_eq!(escape("é ü 日本"), "é ü 日本");
        assert_eq!(escape_lines("a\u{1b}\nb\r\n"), "a\\u{1b}\nb\\r\n");
    }
}
