//! Regexes in the Action: a pattern is translated from Rust `regex` syntax
//! to a JavaScript `u`-flag `RegExp` that matches the same strings, or
//! refused with the construct that would not mean the same.
//!
//! Both engines answer "is there a match" for the same regular language
//! when the pattern has no feature either engine reads differently, so the
//! translation keeps only constructs with one meaning: literals, `.` (as
//! `[^\n]`, since JavaScript's `.` also stops at `\r`), classes, `\d` `\s`
//! `\w` (Unicode in Rust, ASCII in JavaScript: written as `\p{...}`), `\p`
//! general categories, `^` `$` `\A` `\z`, groups, alternation and counted
//! repetition. Refused: inline flags (so `^` and `$` are text anchors), word boundaries,
//! ASCII classes, class set operations, nested classes, `\p` scripts and
//! properties, and an unbounded repetition inside another (which a
//! backtracking engine can take exponential time on).

use regex_syntax::ast::{
    self, AssertionKind, Ast, ClassPerlKind, ClassSet, ClassSetItem, ClassUnicodeKind, GroupKind,
    RepetitionKind, RepetitionRange,
};

/// General categories both engines name the same way.
const CATEGORIES: &[&str] = &[
    "L", "LC", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P",
    "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp",
    "C", "Cc", "Cf", "Cs", "Co", "Cn",
];

/// Rust's Unicode `\w`, spelled for JavaScript.
const WORD: &str = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";

/// The JavaScript source of a `u`-flag `RegExp` for a Rust pattern, or the
/// construct that has no identical JavaScript meaning.
pub fn translate(pattern: &str) -> Result<String, String> {
    let ast = ast::parse::Parser::new()
        .parse(pattern)
        .map_err(|e| format!("a pattern the translator cannot read ({})", e.kind()))?;
    let mut out = String::new();
    node(&ast, &mut out)?;
    Ok(out)
}

/// Translates one node; returns whether it can repeat without bound.
fn node(a: &Ast, out: &mut String) -> Result<bool, String> {
    match a {
        Ast::Empty(_) => Ok(false),
        Ast::Flags(_) => Err("inline flags `(?...)`".into()),
        Ast::Literal(l) => {
            literal(l.c, out);
            Ok(false)
        }
        Ast::Dot(_) => {
            out.push_str("[^\\n]");
            Ok(false)
        }
        Ast::Assertion(x) => {
            match x.kind {
                // Without flags (refused above) `^`/`$` are text anchors,
                // as `\A`/`\z` are.
                AssertionKind::StartText | AssertionKind::StartLine => out.push('^'),
                AssertionKind::EndText | AssertionKind::EndLine => out.push('$'),
                _ => return Err("word boundaries `\\b`, `\\B`, `\\<`, `\\>`".into()),
            }
            Ok(false)
        }
        Ast::ClassUnicode(c) => {
            out.push_str(&unicode_class(c)?);
            Ok(false)
        }
        Ast::ClassPerl(c) => {
            let text = match (&c.kind, c.negated) {
                (ClassPerlKind::Digit, false) => "\\p{Nd}".to_string(),
                (ClassPerlKind::Digit, true) => "\\P{Nd}".to_string(),
                (ClassPerlKind::Space, false) => "\\p{White_Space}".to_string(),
                (ClassPerlKind::Space, true) => "\\P{White_Space}".to_string(),
                (ClassPerlKind::Word, false) => format!("[{WORD}]"),
                (ClassPerlKind::Word, true) => format!("[^{WORD}]"),
            };
            out.push_str(&text);
            Ok(false)
        }
        Ast::ClassBracketed(c) => {
            out.push('[');
            if c.negated {
                out.push('^');
            }
            match &c.kind {
                ClassSet::Item(item) => class_item(item, out)?,
                ClassSet::BinaryOp(_) => return Err("class set operations `&&`, `--`, `~~`".into()),
            }
            out.push(']');
            Ok(false)
        }
        Ast::Repetition(r) => {
            let mut inner = String::new();
            let inner_unbounded = node(&r.ast, &mut inner)?;
            let unbounded = matches!(
                r.op.kind,
                RepetitionKind::ZeroOrMore
                    | RepetitionKind::OneOrMore
                    | RepetitionKind::Range(RepetitionRange::AtLeast(_))
            );
            if unbounded && inner_unbounded {
                return Err(
                    "an unbounded repetition inside another (`(a+)*`), which JavaScript can take exponential time on"
                        .into(),
                );
            }
            out.push_str("(?:");
            out.push_str(&inner);
            out.push(')');
            match &r.op.kind {
                RepetitionKind::ZeroOrOne => out.push('?'),
                RepetitionKind::ZeroOrMore => out.push('*'),
                RepetitionKind::OneOrMore => out.push('+'),
                RepetitionKind::Range(RepetitionRange::Exactly(n)) => {
                    out.push_str(&format!("{{{n}}}"))
                }
                RepetitionKind::Range(RepetitionRange::AtLeast(n)) => {
                    out.push_str(&format!("{{{n},}}"))
                }
                RepetitionKind::Range(RepetitionRange::Bounded(m, n)) => {
                    out.push_str(&format!("{{{m},{n}}}"))
                }
            }
            if !r.greedy {
                out.push('?');
            }
            Ok(unbounded || inner_unbounded)
        }
        Ast::Group(g) => {
            if let GroupKind::NonCapturing(flags) = &g.kind {
                if !flags.items.is_empty() {
                    return Err("inline flags `(?...)`".into());
                }
            }
            out.push_str("(?:");
            let u = node(&g.ast, out)?;
            out.push(')');
            Ok(u)
        }
        Ast::Alternation(alt) => {
            let mut u = false;
            for (i, x) in alt.asts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                u |= node(x, out)?;
            }
            Ok(u)
        }
        Ast::Concat(c) => {
            let mut u = false;
            for x in &c.asts {
                u |= node(x, out)?;
            }
            Ok(u)
        }
    }
}

fn unicode_class(c: &ast::ClassUnicode) -> Result<String, String> {
    let name = match &c.kind {
        ClassUnicodeKind::OneLetter(ch) => ch.to_string(),
        ClassUnicodeKind::Named(n) => n.clone(),
        ClassUnicodeKind::NamedValue { .. } => {
            return Err("Unicode property values `\\p{name=value}`".into())
        }
    };
    if !CATEGORIES.contains(&name.as_str()) {
        return Err(format!(
            "the Unicode class `\\p{{{name}}}` (only general categories such as `\\p{{L}}` and `\\p{{Nd}}` mean the same in both engines)"
        ));
    }
    Ok(format!("\\{}{{{name}}}", if c.negated { 'P' } else { 'p' }))
}

fn class_item(item: &ClassSetItem, out: &mut String) -> Result<(), String> {
    match item {
        ClassSetItem::Empty(_) => {}
        ClassSetItem::Literal(l) => class_literal(l.c, out),
        ClassSetItem::Range(r) => {
            class_literal(r.start.c, out);
            out.push('-');
            class_literal(r.end.c, out);
        }
        ClassSetItem::Ascii(_) => return Err("ASCII classes `[[:alpha:]]`".into()),
        ClassSetItem::Unicode(u) => out.push_str(&unicode_class(u)?),
        ClassSetItem::Perl(p) => match (&p.kind, p.negated) {
            (ClassPerlKind::Digit, false) => out.push_str("\\p{Nd}"),
            (ClassPerlKind::Digit, true) => out.push_str("\\P{Nd}"),
            (ClassPerlKind::Space, false) => out.push_str("\\p{White_Space}"),
            (ClassPerlKind::Space, true) => out.push_str("\\P{White_Space}"),
            (ClassPerlKind::Word, false) => out.push_str(WORD),
            (ClassPerlKind::Word, true) => return Err("`\\W` inside a class".into()),
        },
        ClassSetItem::Bracketed(_) => return Err("nested classes `[a[b]]`".into()),
        ClassSetItem::Union(u) => {
            for i in &u.items {
                class_item(i, out)?;
            }
        }
    }
    Ok(())
}

fn literal(c: char, out: &mut String) {
    if "^$\\.*+?()[]{}|/".contains(c) {
        out.push('\\');
        out.push(c);
    } else {
        printable(c, out);
    }
}

fn class_literal(c: char, out: &mut String) {
    if "\\]^-[".contains(c) {
        out.push('\\');
        out.push(c);
    } else {
        printable(c, out);
    }
}

fn printable(c: char, out: &mut String) {
    if (' '..='~').contains(&c) {
        out.push(c);
    } else {
        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn translates_portable_patterns() {
        assert_eq!(translate("^eng").as_deref(), Ok("^eng"));
        assert_eq!(translate("a.b").as_deref(), Ok("a[^\\n]b"));
        assert_eq!(translate("\\d+").as_deref(), Ok("(?:\\p{Nd})+"));
        assert_eq!(translate("[a-z_]{2,3}$").as_deref(), Ok("(?:[a-z_]){2,3}$"));
        assert_eq!(translate("é|\\.").as_deref(), Ok("\\u{e9}|\\."));
    }

    #[test]
    fn refuses_constructs_that_differ() {
        for p in [
            "(?i)a",
            "\\bword",
            "(?m)^a",
            "[[:alpha:]]",
            "\\p{Greek}",
            "(a+)+$",
            "[a&&b]",
        ] {
            assert!(translate(p).is_err(), "{p}");
        }
    }
}
