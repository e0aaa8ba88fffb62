//! The `.mfatest` format, line by line: directives, cases, overrides and
//! expectations. Values and paths are parsed with the policy language's own
//! expression parser, so they are written exactly as in a policy.

use super::error::{relocate, span, TestError};
use crate::eval::DecisionKind;
use crate::source::Span;
use crate::syntax::{self, ast};
use serde_json::Value as Json;

/// A value with the span of the text it came from (byte offsets in the suite).
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// A parsed suite file.
#[derive(Clone, Debug, Default)]
pub struct Suite {
    /// `policy PATH`: the policy under test, relative to the suite file.
    pub policy: Option<Located<String>>,
    /// `event PATH`: the base event of every case that names none.
    pub event: Option<Located<String>>,
    /// `now RFC3339`: the evaluation time of every case that fixes none (ms).
    pub now: Option<Located<i64>>,
    /// `set` / `unset` lines before the first case: applied to every case first.
    pub setup: Vec<Override>,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

/// One `case`.
#[derive(Clone, Debug)]
pub struct Case {
    /// Its name.
    pub name: String,
    /// 1-based line of the `case` line.
    pub line: usize,
    /// The `case` line.
    pub span: Span,
    /// `event PATH` inside the case: a different base event.
    pub event: Option<Located<String>>,
    /// `now RFC3339` inside the case (ms).
    pub now: Option<Located<i64>>,
    /// `set` / `unset` lines, applied in order after the suite's own.
    pub overrides: Vec<Override>,
    /// `expect` lines.
    pub expects: Vec<Located<Expect>>,
}

/// `set PATH = VALUE` or `unset PATH`.
#[derive(Clone, Debug)]
pub struct Override {
    /// The path, parsed (spans relative to `path_base`).
    pub path: ast::Expr,
    /// The path as written.
    pub path_text: String,
    /// Byte offset of the path in the suite.
    pub path_base: usize,
    /// The new value; `None` for `unset`.
    pub value: Option<OverrideValue>,
    /// The whole line.
    pub span: Span,
}

/// The value of a `set`.
#[derive(Clone, Debug)]
pub enum OverrideValue {
    /// A literal, list or `now ± duration`, checked against the field's type.
    Expr {
        /// The parsed value (spans relative to `base`).
        expr: ast::Expr,
        /// As written.
        text: String,
        /// Byte offset of the value in the suite.
        base: usize,
    },
    /// `json ...`: raw JSON, put into the event as is (not type-checked).
    Json(Located<Json>),
}

/// What a case expects of the decision.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// `expect require_mfa` / `deny` / `skip_mfa` / `none`.
    Decision(DecisionKind),
    /// `expect rule NAME` / `expect rule default` / `expect rule none`.
    Rule(RuleRef),
    /// `expect provider "guardian"`.
    Provider(String),
    /// `expect factors ["otp", ...]`: the first step's factors.
    Factors(Vec<Located<String>>),
    /// `expect steps challenge ["otp"] then enroll ["phone"]`: every step.
    Steps(Vec<(crate::ir::StepKind, Vec<Located<String>>)>),
    /// `expect remember_browser [true|false]`.
    RememberBrowser(bool),
    /// `expect reason "..."` / `expect reason null`.
    Reason(Option<String>),
    /// `expect errors` (true) / `expect no errors` (false).
    Errors(bool),
    /// `expect applied [a, b]`: exactly these rules applied, in source order.
    Applied(Vec<Located<String>>),
}

/// The deciding rule a case expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleRef {
    /// The `default` decided.
    Default,
    /// Nothing decided (no rule applied and no default).
    None,
    /// A rule by name (`line N` for an unnamed rule).
    Named(String),
}

const DIRECTIVES: &[&str] = &["policy", "event", "now", "case", "set", "unset", "expect"];
/// Parses a suite. Returns what could be parsed and every error found.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
pub fn parse_suite(text: &str) -> (Suite, Vec<TestError>) {
    let mut p = Parser::default();
    let mut offset = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let line_start = offset;
        offset += raw.len() + 1;
        let content = strip_comment(raw).trim_end_matches('\r');
        let trimmed = content.trim_start();
        let start = line_start + (content.len() - trimmed.len());
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() {
            continue;
        }
        p.line(i + 1, start, trimmed);
    }
    p.finish()
}

#[derive(Default)]
struct Parser {
    suite: Suite,
    errors: Vec<TestError>,
}

pub(super) fn syntax(
    message: impl Into<String>,
    sp: Span,
    label: &str,
    help: Option<String>,
) -> TestError {
    TestError::Syntax {
        message: message.into(),
        span: sp.into(),
        label: label.into(),
        help,
    }
}

impl Parser {
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "byte offsets inside one test file, whose length bounds every sum"
    )]
    fn line(&mut self, line: usize, start: usize, text: &str) {
        let word_len = text.find(char::is_whitespace).unwrap_or(text.len());
        let word = &text[..word_len];
        let rest = text[word_len..].trim_start();
        let rest_start = start + (text.len() - rest.len());
        let whole = Span::new(start, start + text.len());
        let word_span = Span::new(start, start + word_len);
        let word = word.strip_suffix(':').unwrap_or(word);
        let in_case = !self.suite.cases.is_empty();
        let result = match word {
            "policy" if in_case => Err(syntax(
                "`policy` belongs before the first case",
                word_span,
                "inside a case",
                Some("a suite tests one policy; move this line to the top".into()),
            )),
            "policy" => self
                .path_directive(rest, rest_start, whole, "policy")
                .map(|v| {
                    if let Some(first) = &self.suite.policy {
                        self.errors.push(syntax(
                            "the suite names its policy twice",
                            whole,
                            "second `policy` line",
                            Some(format!("keep one; the first is `{}`", first.value)),
                        ));
                    } else {
                        self.suite.policy = Some(v);
                    }
                }),
            "event" => self
                .path_directive(rest, rest_start, whole, "event")
                .map(|v| match self.suite.cases.last_mut() {
                    Some(c) if c.event.is_some() => self.errors.push(syntax(
                        "the case names its base event twice",
                        whole,
                        "second `event` line",
                        None,
                    )),
                    Some(c) => c.event = Some(v),
                    None if self.suite.event.is_some() => self.errors.push(syntax(
                        "the suite names its base event twice",
                        whole,
                        "second `event` line",
                        Some("a case can name its own: put `event PATH` inside it".into()),
                    )),
                    None => self.suite.event = Some(v),
                }),
            "now" => {
                parse_now(rest, rest_start, whole).map(|v| match self.suite.cases.last_mut() {
                    Some(c) => c.now = Some(v),
                    None => self.suite.now = Some(v),
                })
            }
            "case" => self.case(line, rest, rest_start, whole),
            "set" | "unset" => parse_override(word == "set", rest, rest_start, whole).map(|o| {
                match self.suite.cases.last_mut() {
                    Some(c) => c.overrides.push(o),
                    None => self.suite.setup.push(o),
                }
            }),
            "expect" => match self.suite.cases.last_mut() {
                None => Err(syntax(
                    "`expect` outside a case",
                    word_span,
                    "before the first `case`",
                    Some("start a case first: `case \"name\"`".into()),
                )),
                Some(c) => super::expect::parse_expect(rest, rest_start, whole)
                    .map(|v| c.expects.extend(v)),
            },
            other => {
                let help =
                    match crate::check::suggest::did_you_mean(other, DIRECTIVES.iter().copied()) {
                        Some(s) => Some(format!("did you mean `{s}`?")),
                        None => Some(format!(
                            "a line starts with one of: {}",
                            DIRECTIVES.join(", ")
                        )),
                    };
                Err(syntax(
                    format!("unknown directive `{other}`"),
                    word_span,
                    "not a directive",
                    help,
                ))
            }
        };
        if let Err(e) = result {
            self.errors.push(e);
        }
    }

    #[expect(
        clippy::arithmetic_side_effects,
        reason = "byte offsets inside one test file, whose length bounds every sum"
    )]
    fn path_directive(
        &self,
        rest: &str,
        rest_start: usize,
        whole: Span,
        what: &str,
    ) -> Result<Located<String>, TestError> {
        if rest.is_empty() {
            return Err(syntax(
                format!("`{what}` needs a file path"),
                whole,
                "no path",
                Some(format!("write `{what} FILE`, relative to this suite file")),
            ));
        }
        let value = text_arg(rest, rest_start)?;
        Ok(Located {
            value,
            span: Span::new(rest_start, rest_start + rest.len()),
        })
    }

    fn case(
        &mut self,
        line: usize,
        rest: &str,
        rest_start: usize,
        whole: Span,
    ) -> Result<(), TestError> {
        let rest = rest.strip_suffix(':').map_or(rest, str::trim_end);
        let name = if rest.is_empty() {
            String::new()
        } else {
            text_arg(rest, rest_start)?
        };
        if name.trim().is_empty() {
            return Err(syntax(
                "a case needs a name",
                whole,
                "no name",
                Some("write `case \"what this login is\"`".into()),
            ));
        }
        if let Some(first) = self.suite.cases.iter().find(|c| c.name == name) {
            self.errors.push(syntax(
                format!("duplicate case name `{name}`"),
                whole,
                "used again",
                Some(format!(
                    "the first one is on line {}; names identify cases in the output",
                    first.line
                )),
            ));
        }
        self.suite.cases.push(Case {
            name,
            line,
            span: whole,
            event: None,
            now: None,
            overrides: Vec::new(),
            expects: Vec::new(),
        });
        Ok(())
    }

    fn finish(mut self) -> (Suite, Vec<TestError>) {
        for c in &self.suite.cases {
            if !c
                .expects
                .iter()
                .any(|e| matches!(e.value, Expect::Decision(_)))
            {
                self.errors.push(TestError::Missing {
                    message: format!("case `{}` expects no decision", c.name),
                    span: c.span.into(),
                    label: "no `expect` decision".into(),
                    help: Some("add `expect require_mfa`, `expect skip_mfa`, `expect deny` or `expect none`".into()),
                });
            }
        }
        (self.suite, self.errors)
    }
}

/// Cuts a `#` comment, leaving `#` inside strings alone.
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else if c == '#' {
            return &line[..i];
        }
    }
    line
}

/// A quoted string (escapes as in policies) or the bare text.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
pub(super) fn text_arg(rest: &str, rest_start: usize) -> Result<String, TestError> {
    if !rest.starts_with('"') {
        return Ok(rest.to_string());
    }
    match syntax::parse_expr(rest) {
        Ok(ast::Spanned {
            node: ast::ExprKind::Lit(ast::Lit::Str(s)),
            ..
        }) => Ok(s),
        Ok(_) => Err(syntax(
            "expected one string",
            Span::new(rest_start, rest_start + rest.len()),
            "not a single string",
            Some("quote the whole text, or leave it unquoted".into()),
        )),
        Err(e) => Err(relocated_syntax(&e, rest_start)),
    }
}

fn relocated_syntax(e: &dyn miette::Diagnostic, base: usize) -> TestError {
    let (message, span, label, help) = relocate(e, base);
    TestError::Syntax {
        message,
        span,
        label,
        help,
    }
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
fn parse_now(rest: &str, rest_start: usize, whole: Span) -> Result<Located<i64>, TestError> {
    let text = text_arg(rest, rest_start)?;
    let sp = Span::new(rest_start, rest_start + rest.len());
    match chrono::DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => Ok(Located {
            value: t.timestamp_millis(),
            span: sp,
        }),
        Err(_) => Err(TestError::BadValue {
            message: format!("`{}` is not an RFC 3339 timestamp", text.trim()),
            span: if rest.is_empty() {
                whole.into()
            } else {
                sp.into()
            },
            label: "expected a timestamp".into(),
            help: Some("write it like `now 2025-01-31T09:00:00Z`".into()),
        }),
    }
}

/// The byte position of the first `=` outside strings and brackets.
fn find_assign(s: &str) -> Option<usize> {
    let mut in_str = false;
    let mut escaped = false;
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' | '(' => depth = depth.saturating_add(1),
            ']' | ')' => depth = depth.saturating_sub(1),
            '=' if depth <= 0 => return Some(i),
            _ => {}
        }
    }
    None
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
fn parse_override(
    set: bool,
    rest: &str,
    rest_start: usize,
    whole: Span,
) -> Result<Override, TestError> {
    let (path_text, value) = if set {
        let Some(eq) = find_assign(rest) else {
            return Err(syntax(
                "expected `set PATH = VALUE`",
                whole,
                "no `=`",
                Some("for example `set request.ip = 192.0.2.7`".into()),
            ));
        };
        if rest[eq + 1..].starts_with('=') {
            return Err(syntax(
                "`==` compares; `set` assigns with `=`",
                Span::new(rest_start + eq, rest_start + eq + 2),
                "write `=`",
                None,
            ));
        }
        let after = &rest[eq + 1..];
        let value_text = after.trim();
        let value_base = rest_start + eq + 1 + (after.len() - after.trim_start().len());
        if value_text.is_empty() {
            return Err(syntax(
                "`set` needs a value after `=`",
                whole,
                "no value",
                Some("to remove a field write `unset PATH`".into()),
            ));
        }
        (
            rest[..eq].trim_end(),
            Some(parse_value(value_text, value_base)?),
        )
    } else {
        (rest, None)
    };
    if path_text.is_empty() {
        return Err(syntax(
            format!("`{}` needs a field path", if set { "set" } else { "unset" }),
            whole,
            "no path",
            Some("for example `request.ip` or `user.app_metadata.vip`".into()),
        ));
    }
    let path = syntax::parse_expr(path_text).map_err(|e| relocated_syntax(&e, rest_start))?;
    Ok(Override {
        path,
        path_text: path_text.to_string(),
        path_base: rest_start,
        value,
        span: whole,
    })
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
fn parse_value(text: &str, base: usize) -> Result<OverrideValue, TestError> {
    let is_json = text == "json" || text.starts_with("json ") || text.starts_with("json\t");
    if is_json {
        let raw = text[4..].trim_start();
        let raw_base = base + (text.len() - raw.len());
        return match serde_json::from_str::<Json>(raw) {
            Ok(value) => Ok(OverrideValue::Json(Located {
                value,
                span: Span::new(raw_base, raw_base + raw.len()),
            })),
            Err(e) => {
                // The value is one line, so the column locates the problem.
                let mut col = e.column().saturating_sub(1).min(raw.len());
                while !raw.is_char_boundary(col) {
                    col -= 1;
                }
                let reason = e.to_string();
                let reason = reason
                    .rfind(" at line ")
                    .map_or(reason.as_str(), |i| &reason[..i])
                    .to_string();
                Err(TestError::BadValue {
                    message: format!("invalid JSON value: {reason}"),
                    span: span(raw_base + col, raw_base + col),
                    label: "here".into(),
                    help: Some(
                        "after `json` write one JSON value, e.g. `json {\"type\": \"otp\"}`".into(),
                    ),
                })
            }
        };
    }
    let expr = syntax::parse_expr(text).map_err(|e| relocated_syntax(&e, base))?;
    Ok(OverrideValue::Expr {
        expr,
        text: text.to_string(),
        base,
    })
}
