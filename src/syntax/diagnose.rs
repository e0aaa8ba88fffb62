//! Syntax errors as a person would word them: the farthest position pest
//! reached, what could come there (rules and literal tokens), the token
//! before it, and fixes for common slips (`=` for `==`, `&&`, a missing `:`).

use super::error::SyntaxError;
use super::parse::{internal, PolicyParser, Rule};
use crate::source::Span;
use pest::Parser as _;

const CONDITION_STARTERS: &[&str] = &["when", "unless", "and", "or", "not", ":"];

/// Parses again with pest's detailed error tracking (slower, so only once a
/// parse has failed), to learn the farthest position reached and the
/// literal tokens expected there.
pub(super) fn detailed_error(rule: Rule, text: &str) -> SyntaxError {
    pest::set_error_detail(true);
    let result = PolicyParser::parse(rule, text);
    pest::set_error_detail(false);
    match result {
        Err(e) => syntax_error(text, e),
        Ok(_) => internal(Span::new(0, 0)),
    }
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside the policy text, each checked against its length or found in it; the text is at most the policy size limit"
)]
fn syntax_error(text: &str, err: pest::error::Error<Rule>) -> SyntaxError {
    use pest::error::{ErrorVariant, InputLocation};
    let mut pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut positives = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // Literal tokens (`:`, `=`, `]`) at the farthest position reached.
    let mut tokens: Vec<String> = Vec::new();
    if let Some(pa) = err.parse_attempts() {
        if pa.max_position >= pos {
            if pa.max_position > pos {
                positives.clear();
            }
            pos = pa.max_position;
            // pest does not export its token type; its Debug form is stable
            // enough to read a literal back: `Sensitive { token: ":" }`.
            for t in pa.expected_tokens() {
                let dbg = format!("{t:?}");
                if let Some(rest) = dbg.strip_prefix("Sensitive { token: \"") {
                    let token = rest.trim_end_matches("\" }");
                    if !token.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                        tokens.push(token.to_string());
                    }
                }
            }
        }
    }
    let prev = previous_token(text, pos);
    let rest = &text[pos.min(text.len())..];
    let found = next_token(rest);
    let span_end = pos
        + found
            .len()
            .max(if rest.is_empty() { 0 } else { 1 })
            .min(rest.len());
    let mut span: miette::SourceSpan = Span::new(pos, span_end).into();
    // At the end of the file, or where only a comment or line break
    // follows, point at the token the parser stopped after.
    let at_line_end = rest
        .trim_start_matches([' ', '\t'])
        .starts_with(['\n', '\r', '#'])
        || rest.trim().is_empty();
    let mut point_back = false;
    if at_line_end && !prev.is_empty() {
        if let Some(end) = previous_token_end(text, pos) {
            span = Span::new(end - prev.len(), end).into();
            point_back = true;
        }
    }

    if rest.starts_with('"') && !rest[1..].lines().next().unwrap_or("").contains('"') {
        return SyntaxError::Unexpected {
            message: "unterminated string".into(),
            span,
            label: "this string has no closing `\"` on its line".into(),
            help: Some("close the string with `\"`; use `\\n` for a line break inside it".into()),
        };
    }
    // A bad escape: the parser stops at the backslash or just after it.
    let clamped = pos.min(text.len());
    let esc = if rest.starts_with('\\') {
        Some(clamped)
    } else if text[..clamped].ends_with('\\') {
        Some(clamped - 1)
    } else {
        None
    };
    if let Some(at) = esc {
        let escape: String = text[at..].chars().take(2).collect();
        return SyntaxError::InvalidEscape {
            span: Span::new(at, at + escape.len()).into(),
            text: escape,
        };
    }

    let mut wanted: Vec<&'static str> = Vec::new();
    let mut push = |w: &'static str| {
        if !wanted.contains(&w) {
            wanted.push(w);
        }
    };
    let mut wants_condition = false;
    for r in &positives {
        match r {
            Rule::expr
            | Rule::operand
            | Rule::paren
            | Rule::list
            | Rule::string
            | Rule::cidr
            | Rule::ipv4
            | Rule::ipv6
            | Rule::duration
            | Rule::float
            | Rule::integer
            | Rule::kw_true
            | Rule::kw_false
            | Rule::kw_null
            | Rule::kw_now
            | Rule::name
            | Rule::not_op
            | Rule::quantifier => wants_condition = true,
            Rule::or_op
            | Rule::and_op
            | Rule::not_in_op
            | Rule::in_op
            | Rule::eq_op
            | Rule::ne_op
            | Rule::le_op
            | Rule::ge_op
            | Rule::lt_op
            | Rule::gt_op
            | Rule::starts_with_op
            | Rule::ends_with_op
            | Rule::contains_op
            | Rule::matches_op
            | Rule::add_op
            | Rule::sub_op => push("an operator"),
            Rule::field_access | Rule::index_access => push("`.field` or `[index]`"),
            Rule::kw_when | Rule::when_clause => push("`when`"),
            Rule::kw_unless | Rule::unless_clause => push("`unless`"),
            Rule::require_effect
            | Rule::enroll_effect
            | Rule::skip_effect
            | Rule::deny_effect
            | Rule::kw_require
            | Rule::kw_enroll
            | Rule::kw_skip
            | Rule::kw_deny => {
                push("an effect (`require mfa`, `enroll mfa`, `skip mfa` or `deny`)")
            }
            Rule::exempt_effect | Rule::kw_exempt => push("`exempt`"),
            Rule::then_step | Rule::kw_then => push("`then`"),
            Rule::kw_challenge => push("`challenge` or `enroll`"),
            Rule::kw_mfa => push("`mfa`"),
            Rule::assert_mode | Rule::kw_at | Rule::kw_never => push("`at least` or `never`"),
            Rule::kw_least => push("`least`"),
            Rule::let_item
            | Rule::declare_item
            | Rule::default_item
            | Rule::rule_item
            | Rule::anon_rule
            | Rule::assert_item
            | Rule::kw_assert
            | Rule::kw_rule
            | Rule::kw_let
            | Rule::kw_declare
            | Rule::kw_default => {
                push("an item (`rule`, `let`, `declare`, `default` or an effect)")
            }
            Rule::EOI => push("the end of the file"),
            Rule::ident | Rule::field_name | Rule::decl_path => push("a name"),
            Rule::using_provider | Rule::using_factors | Rule::kw_using => push("`using`"),
            Rule::remember | Rule::kw_with => push("`with remember_browser`"),
            Rule::kw_remember_browser => push("`remember_browser`"),
            Rule::kw_factors => push("`factors`"),
            Rule::type_expr | Rule::type_name | Rule::list_type => push("a type"),
            Rule::optional_mark => push("`?`"),
            Rule::kw_in => push("`in`"),
            _ => {}
        }
    }
    for t in &tokens {
        let quoted: &'static str = match t.as_str() {
            ":" => "`:`",
            "=" => "`=`",
            "]" => "`]`",
            "," => "`,`",
            ")" => "`)`",
            "<" => "`<`",
            ">" => "`>`",
            "?" => "`?`",
            "." => "`.`",
            _ => continue,
        };
        if !wanted.contains(&quoted) {
            wanted.push(quoted);
        }
    }
    // After a complete operand, an operator is what a person means to write.
    // Closing brackets and commas stay: `expected an operator or `]``.
    if wanted.contains(&"an operator") {
        wanted.retain(|w| matches!(*w, "an operator" | "`)`" | "`]`" | "`,`"));
    }
    if wants_condition {
        wanted.retain(|w| *w != "`:`");
    }
    if wants_condition {
        let what = if CONDITION_STARTERS.contains(&prev.as_str()) || prev == "(" {
            "a condition"
        } else {
            "a value"
        };
        wanted.insert(0, what);
    }
    let expected = if wanted.is_empty() {
        "something else".to_string()
    } else {
        crate::check::suggest::join_or(&wanted)
    };
    let after = if prev.is_empty() {
        String::new()
    } else {
        format!(" after `{prev}`")
    };
    let found_text = if found.is_empty() {
        "the end of the file".to_string()
    } else {
        format!("`{found}`")
    };
    if let Some(e) = super::slips::keyword_as_name(text, pos) {
        return e;
    }
    if let Some(e) =
        super::slips::missing_join_before_not(text, pos, &prev, &found, wanted.contains(&"`in`"))
    {
        return e;
    }
    let mut message = format!("expected {expected}{after}");
    let before = previous_words(text, pos, 3);
    match before.as_slice() {
        [.., "rule", name] if wanted.is_empty() || found != ":" => {
            message = format!("expected `:` after the rule name `{name}`");
        }
        [.., "let", name] if wanted.is_empty() => {
            message = format!("expected `=` after `let {name}`")
        }
        [.., "using"] => {
            message = "expected a provider in quotes (`using \"duo\"`) or `factors [...]`".into();
        }
        _ if wanted.is_empty() && prev.is_empty() => {
            message =
                "expected an item: `rule`, `let`, `declare`, `default`, `assert` or an effect"
                    .into();
        }
        _ if wanted.is_empty() => message = format!("unexpected {found_text}{after}"),
        _ => {}
    }
    let mut help = None;
    let starts_line = text
        .get(..pos.min(text.len()))
        .and_then(|b| b.rsplit('\n').next())
        .is_some_and(|l| l.trim().is_empty());
    if message.starts_with("expected an item") || starts_line {
        // A misspelt item word: `rulle`, `asert`, `requir`.
        const ITEM_WORDS: &[&str] = &[
            "rule", "let", "declare", "default", "assert", "include", "require", "enroll", "skip",
            "deny", "exempt",
        ];
        if let Some(word) = crate::check::suggest::did_you_mean(&found, ITEM_WORDS.iter().copied())
        {
            help = Some(format!("did you mean `{word}`?"));
        }
    }
    if let Some((word, fixed, at)) = super::slips::bad_duration(text, pos) {
        return SyntaxError::Unexpected {
            message: format!("`{word}` is not a duration"),
            span: at.into(),
            label: "not a duration".into(),
            help: Some(match fixed {
                Some(f) => {
                    format!("write `{f}`: a number and one unit letter, `s`, `m`, `h` or `d`")
                }
                None => {
                    "a duration is a number and one unit letter: `30s`, `15m`, `24h`, `7d`".into()
                }
            }),
        };
    }
    if wanted.contains(&"an operator") && starts_operand(&found) && condition_is_complete(text, pos)
    {
        message = format!(
            "expected `and` or `or` between two conditions, after {}",
            quote_token(&prev)
        );
        help = Some(
            "join the two conditions with `and` (both must hold) or `or` (either holds)".into(),
        );
    }
    let line_start = text[..pos.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    if help.is_none() && found == "when" && text[line_start..].trim_start().starts_with("default") {
        help = Some(
            "a `default` takes no condition; write a rule instead: `rule NAME: EFFECT when ...`"
                .into(),
        );
    }
    if help.is_some() {
    } else if is_reserved(&found) && wanted.contains(&"a name") {
        help = Some(format!(
            "`{found}` is a reserved keyword and cannot be used as a name"
        ));
    } else if found == "=" {
        help = Some("to compare, write `==`".into());
    } else if found == "&&" || found == "||" || found == "!" {
        help = Some("write `and`, `or` and `not`".into());
    } else if found.starts_with('\'') {
        help = Some("strings use double quotes: `\"...\"`".into());
    }
    let label = if point_back {
        format!("expected {expected} after this")
    } else {
        format!("found {found_text}")
    };
    SyntaxError::Unexpected {
        message,
        span,
        label,
        help,
    }
}

/// Whether `tok` (the token where parsing stopped) can start an operand.
pub(super) fn starts_operand(tok: &str) -> bool {
    let Some(c) = tok.chars().next() else {
        return false;
    };
    if c == '"' || c == '(' || c.is_ascii_digit() {
        return true;
    }
    (c.is_ascii_alphabetic() || c == '_')
        && (!is_reserved(tok) || matches!(tok, "not" | "any" | "all" | "true" | "false" | "now"))
}

/// Whether the condition before `pos` (since `when`, `unless`, `and`, `or`
/// or `(`) already holds a comparison, so what follows is a second one.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside the policy text, each checked against its length or found in it; the text is at most the policy size limit"
)]
fn condition_is_complete(text: &str, pos: usize) -> bool {
    let before = &text[..pos.min(text.len())];
    let start = ["when ", "unless ", " and ", " or ", "(", "\n"]
        .iter()
        .filter_map(|w| before.rfind(w).map(|i| i + w.len()))
        .max()
        .unwrap_or(0);
    let part = &before[start..];
    [
        "==",
        "!=",
        "<",
        ">",
        " in ",
        " starts_with ",
        " ends_with ",
        " contains ",
        " matches ",
        "exists(",
    ]
    .iter()
    .any(|op| part.contains(op))
}

/// A token for a message: a string literal in full (shortened), else the
/// word or symbol in backquotes.
fn quote_token(tok: &str) -> String {
    if tok.is_empty() {
        return "the start".into();
    }
    format!("`{tok}`")
}

/// Up to `n` identifier-like words before `pos` (skipping comments), oldest first.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside the policy text, each checked against its length or found in it; the text is at most the policy size limit"
)]
pub(super) fn previous_words(text: &str, pos: usize, n: usize) -> Vec<&str> {
    let mut before = &text[..pos.min(text.len())];
    let mut out = Vec::new();
    while out.len() < n {
        let Some(end) = previous_token_end(text, before.len()) else {
            break;
        };
        // The start of the word: just past the last character that is not
        // part of one (which may be several bytes long).
        let start = text[..end]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        if start == end {
            break;
        }
        out.push(&text[start..end]);
        before = &text[..start];
    }
    out.reverse();
    out
}

/// Byte offset just past the token that ends before `pos` (skipping
/// whitespace and comments), if any.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside the policy text, each checked against its length or found in it; the text is at most the policy size limit"
)]
pub(super) fn previous_token_end(text: &str, pos: usize) -> Option<usize> {
    let mut before = &text[..pos.min(text.len())];
    loop {
        let trimmed = before.trim_end();
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&trimmed[line_start..]) {
            Some(c) => before = &trimmed[..line_start + c],
            None => return (!trimmed.is_empty()).then_some(trimmed.len()),
        }
    }
}

pub(super) fn is_reserved(word: &str) -> bool {
    super::RESERVED.contains(&word)
}

/// The token that ends just before `pos`, skipping whitespace and comments.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside the policy text, each checked against its length or found in it; the text is at most the policy size limit"
)]
fn previous_token(text: &str, pos: usize) -> String {
    let mut before = &text[..pos.min(text.len())];
    loop {
        let trimmed = before.trim_end();
        // Drop a trailing comment on the last line.
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        let line = &trimmed[line_start..];
        match comment_start(line) {
            Some(c) => before = &trimmed[..line_start + c],
            None => {
                before = trimmed;
                break;
            }
        }
    }
    // A word, a path, an address or a range (`user.email`, `10.0.0.0/8`).
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | ':'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if word.is_empty() && before.ends_with('"') {
        // A string literal: name it whole (`"a@x.com"`), shortened.
        let inner = &before[..before.len() - 1];
        let mut open = None;
        for (i, c) in inner.char_indices().rev() {
            if c == '"' && !inner[..i].ends_with('\\') {
                open = Some(i);
                break;
            }
            if c == '\n' {
                break;
            }
        }
        if let Some(i) = open {
            let lit = &before[i..];
            if lit.chars().count() <= 40 {
                return lit.to_string();
            }
            let head: String = lit.chars().take(30).collect();
            return format!("{head}...\"");
        }
    }
    if word.is_empty() {
        // An operator such as `==` or `>=`, else the last character.
        let ops: String = before
            .chars()
            .rev()
            .take_while(|c| "=!<>".contains(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if ops.is_empty() {
            before.chars().last().map(String::from).unwrap_or_default()
        } else {
            ops
        }
    } else {
        word
    }
}

/// Where a `#` comment starts on a line, ignoring `#` inside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_str => escaped = !escaped,
            '"' if !escaped => in_str = !in_str,
            '#' if !in_str => return Some(i),
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    None
}

fn next_token(rest: &str) -> String {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if !word.is_empty() {
        return word;
    }
    let sym: String = rest
        .chars()
        .take_while(|c| "=!<>&|".contains(*c))
        .take(2)
        .collect();
    if !sym.is_empty() {
        return sym;
    }
    rest.chars().next().map(String::from).unwrap_or_default()
}
