//! `expect ...` lines: the decision, the deciding rule, provider, factors,
//! `remember_browser`, deny reason, applied rules and run-time errors.

use super::error::TestError;
use super::format::{syntax, text_arg, Expect, Located, RuleRef};
use crate::eval::DecisionKind;
use crate::source::Span;
use crate::syntax::{self, ast};

const EXPECTS: &[&str] = &[
    "require_mfa",
    "enroll_mfa",
    "deny",
    "skip_mfa",
    "none",
    "rule",
    "provider",
    "factors",
    "steps",
    "remember_browser",
    "reason",
    "errors",
    "no",
    "applied",
];

#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
pub(super) fn parse_expect(
    rest: &str,
    rest_start: usize,
    whole: Span,
) -> Result<Vec<Located<Expect>>, TestError> {
    let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let word = &rest[..word_len];
    let arg = rest[word_len..].trim_start();
    let arg_start = rest_start + (rest.len() - arg.len());
    let arg_span = Span::new(arg_start, arg_start + arg.len());
    let at = |value| Located { value, span: whole };
    let no_arg = |e: Expect| {
        if arg.is_empty() {
            Ok(vec![at(e)])
        } else {
            Err(syntax(
                format!("unexpected text after `expect {word}`"),
                arg_span,
                "unexpected",
                None,
            ))
        }
    };
    match (word, arg) {
        ("require_mfa", _) => no_arg(Expect::Decision(DecisionKind::RequireMfa)),
        ("enroll_mfa", _) => no_arg(Expect::Decision(DecisionKind::EnrollMfa)),
        ("enroll", "mfa") => Ok(vec![at(Expect::Decision(DecisionKind::EnrollMfa))]),
        ("steps", _) => Ok(vec![at(Expect::Steps(steps_arg(arg, arg_start, whole)?))]),
        ("skip_mfa", _) => no_arg(Expect::Decision(DecisionKind::SkipMfa)),
        ("none", _) => no_arg(Expect::Decision(DecisionKind::None)),
        ("require", "mfa") => Ok(vec![at(Expect::Decision(DecisionKind::RequireMfa))]),
        ("skip", "mfa") => Ok(vec![at(Expect::Decision(DecisionKind::SkipMfa))]),
        ("deny", "") => Ok(vec![at(Expect::Decision(DecisionKind::Deny))]),
        ("deny", _) => {
            let reason = string_arg(arg, arg_start)?;
            Ok(vec![
                at(Expect::Decision(DecisionKind::Deny)),
                at(Expect::Reason(Some(reason))),
            ])
        }
        ("errors", _) => no_arg(Expect::Errors(true)),
        ("no", "errors") => Ok(vec![at(Expect::Errors(false))]),
        ("rule", "") => Err(syntax(
            "`expect rule` needs a rule name",
            whole,
            "no name",
            Some("write a rule name, `default`, `none`, or `line N` for an unnamed rule".into()),
        )),
        ("rule", _) => {
            let name = text_arg(arg, arg_start)?;
            let r = match (arg.starts_with('"'), name.as_str()) {
                (false, "default") => RuleRef::Default,
                (false, "none") => RuleRef::None,
                _ => RuleRef::Named(name),
            };
            Ok(vec![Located {
                value: Expect::Rule(r),
                span: arg_span,
            }])
        }
        ("provider", _) => {
            let p = if arg.starts_with('"') {
                string_arg(arg, arg_start)?
            } else {
                arg.to_string()
            };
            if p.is_empty() {
                return Err(syntax(
                    "`expect provider` needs a provider",
                    whole,
                    "no provider",
                    None,
                ));
            }
            Ok(vec![Located {
                value: Expect::Provider(p),
                span: arg_span,
            }])
        }
        ("factors", _) => Ok(vec![at(Expect::Factors(string_list(
            arg, arg_start, whole,
        )?))]),
        ("applied", _) => Ok(vec![at(Expect::Applied(string_list(
            arg, arg_start, whole,
        )?))]),
        ("remember_browser", "" | "true") => Ok(vec![at(Expect::RememberBrowser(true))]),
        ("remember_browser", "false") => Ok(vec![at(Expect::RememberBrowser(false))]),
        ("reason", "null" | "none") => Ok(vec![at(Expect::Reason(None))]),
        ("reason", _) => Ok(vec![at(Expect::Reason(Some(string_arg(arg, arg_start)?)))]),
        _ => {
            let help = match crate::check::suggest::did_you_mean(word, EXPECTS.iter().copied()) {
                Some(s) => Some(format!("did you mean `expect {s}`?")),
                None => Some(
                    "expect one of: require_mfa, enroll_mfa, skip_mfa, deny, none, rule NAME, provider P, factors [...], \
                     steps challenge [...] then enroll [...], remember_browser, reason \"...\", applied [...], errors, no errors"
                        .into(),
                ),
            };
            Err(syntax(
                format!("unknown expectation `{rest}`"),
                Span::new(rest_start, rest_start + rest.len()),
                "not an expectation",
                help,
            ))
        }
    }
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
fn string_arg(arg: &str, arg_start: usize) -> Result<String, TestError> {
    if arg.starts_with('"') {
        return text_arg(arg, arg_start);
    }
    Err(syntax(
        "expected a quoted string",
        Span::new(arg_start, arg_start + arg.len()),
        "not quoted",
        Some(format!("write `\"{arg}\"`")),
    ))
}

/// `[a, "b", line 3]`-style lists of names or strings.
/// One expected step: its kind and factors.
type ExpectedStep = (crate::ir::StepKind, Vec<Located<String>>);

/// `challenge ["otp"] then enroll ["phone"]`: the steps of a sequence, in
/// the policy's own words.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
fn steps_arg(arg: &str, arg_start: usize, whole: Span) -> Result<Vec<ExpectedStep>, TestError> {
    let mut out = Vec::new();
    if arg.trim().is_empty() {
        // `expect steps` alone: no factor steps (a provider, skip, deny...).
        return Ok(out);
    }
    let mut offset = 0;
    for part in arg.split(" then ") {
        let lead = part.len() - part.trim_start().len();
        let part_start = arg_start + offset + lead;
        let part = part.trim();
        offset += part.len() + lead + " then ".len();
        let (word, rest) = part.split_once(char::is_whitespace).unwrap_or((part, ""));
        let kind = match word {
            "challenge" => crate::ir::StepKind::Challenge,
            "enroll" => crate::ir::StepKind::Enroll,
            _ => {
                return Err(syntax(
                    "expected `challenge [...]` or `enroll [...]`",
                    Span::new(part_start, part_start + word.len()),
                    "not a step",
                    Some(
                        "write the steps as the policy does: `expect steps challenge [\"otp\"] then enroll [\"phone\"]`"
                            .into(),
                    ),
                ))
            }
        };
        let rest_trimmed = rest.trim_start();
        let rest_start = part_start + (part.len() - rest_trimmed.len());
        out.push((kind, string_list(rest_trimmed, rest_start, whole)?));
    }
    Ok(out)
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "byte offsets inside one test file, whose length bounds every sum"
)]
fn string_list(
    arg: &str,
    arg_start: usize,
    whole: Span,
) -> Result<Vec<Located<String>>, TestError> {
    let list_err = || {
        syntax(
            "expected a list such as `[\"otp\", \"email\"]`",
            if arg.is_empty() {
                whole
            } else {
                Span::new(arg_start, arg_start + arg.len())
            },
            "not a list",
            None,
        )
    };
    let expr = syntax::parse_expr(arg).map_err(|_| list_err())?;
    let ast::ExprKind::List(items) = expr.node else {
        return Err(list_err());
    };
    let mut out = Vec::new();
    for it in items {
        let value = match it.node {
            ast::ExprKind::Lit(ast::Lit::Str(s)) => s,
            ast::ExprKind::Name(n) => n.to_string(),
            _ => {
                return Err(syntax(
                    "expected a name or a string",
                    Span::new(
                        arg_start + it.span.start as usize,
                        arg_start + it.span.end as usize,
                    ),
                    "not a name",
                    Some("quote names with spaces, such as `\"line 12\"`".into()),
                ))
            }
        };
        out.push(Located {
            value,
            span: Span::new(
                arg_start + it.span.start as usize,
                arg_start + it.span.end as usize,
            ),
        });
    }
    Ok(out)
}
