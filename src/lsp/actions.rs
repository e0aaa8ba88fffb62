//! Diagnostics as the client sees them, and the quick fixes that apply the
//! checker's own suggestions.
//!
//! A quick fix is never invented here: it is the text a diagnostic's help
//! proposes (`did you mean `X`?`, `write `X``), put in place of the
//! diagnostic's span, and it is offered only after the edited text has been
//! checked again and that diagnostic is gone with no new error in its place.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
    Location, NumberOrString, Range, TextEdit, Uri, WorkspaceEdit,
};
use miette::Diagnostic as _;

use super::document::{analyse, Document};
use crate::include::Loader;
use crate::schema::Schema;
use crate::source::{SourceFile, Span};
use crate::PolicyError;

/// The main span of a diagnostic (its first label), if it has one.
pub fn main_span(d: &PolicyError) -> Option<Span> {
    let label = d.labels()?.next()?;
    Some(Span::new(
        label.offset(),
        label.offset().saturating_add(label.len()),
    ))
}

/// The stable code (`mfapol::unknown_field`).
pub fn code(d: &PolicyError) -> String {
    d.code().map(|c| c.to_string()).unwrap_or_default()
}

/// The help text, if any.
pub fn help(d: &PolicyError) -> Option<String> {
    d.help().map(|h| h.to_string())
}

/// A diagnostic for the client: the code, span, message and help that
/// `mfapol check` prints (the help on a line of its own), and the other
/// labels (such as `first defined here`) as related information.
pub fn to_lsp(doc: &Document, uri: &Uri, d: &PolicyError) -> Diagnostic {
    let text = doc.text();
    let range = doc.lines.range(text, main_span(d).unwrap_or_default());
    let mut message = d.to_string();
    if let Some(h) = help(d) {
        message.push_str("\nhelp: ");
        message.push_str(&h);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels()
        .into_iter()
        .flatten()
        .skip(1)
        .map(|l| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: doc.lines.range(
                    text,
                    Span::new(l.offset(), l.offset().saturating_add(l.len())),
                ),
            },
            message: l.label().unwrap_or("here").to_string(),
        })
        .collect();
    Diagnostic {
        range,
        severity: Some(if d.is_warning() {
            DiagnosticSeverity::WARNING
        } else {
            DiagnosticSeverity::ERROR
        }),
        code: Some(NumberOrString::String(code(d))),
        code_description: None,
        source: Some("mfapol".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The replacement text a help proposes: `did you mean `X`?` or `write `X``.
fn proposed(help: &str) -> Option<&str> {
    let rest = help
        .strip_prefix("did you mean `")
        .or_else(|| help.strip_prefix("write `"))?;
    let end = rest.find('`')?;
    rest.get(..end).filter(|s| !s.is_empty())
}

/// `text` with `span` replaced by `with`.
fn replaced(text: &str, span: Span, with: &str) -> Option<String> {
    let before = text.get(..span.start as usize)?;
    let after = text.get(span.end as usize..)?;
    Some(format!("{before}{with}{after}"))
}

/// The quick fixes for the diagnostics of `doc` whose span meets `range`.
pub fn code_actions(
    doc: &Document,
    uri: &Uri,
    range: Range,
    schema: &Schema,
    load: &mut Loader<'_>,
) -> Vec<CodeAction> {
    let text = doc.text();
    let wanted = doc.lines.span(text, range);
    let errors_before = doc.diagnostics.iter().filter(|d| !d.is_warning()).count();
    let mut out = Vec::new();
    for d in &doc.diagnostics {
        let Some(span) = main_span(d) else { continue };
        if span.end < wanted.start || span.start > wanted.end {
            continue;
        }
        let Some(h) = help(d) else { continue };
        let Some(fix) = proposed(&h) else { continue };
        let written = doc.source.slice(span);
        // The help writes a string value with its quotes; the span may or
        // may not include them. Try the help's text as it is first.
        let bare = fix.trim_matches('"');
        let mut candidates = vec![fix.to_string()];
        if written.starts_with('"') && !fix.starts_with('"') {
            candidates.push(format!("\"{fix}\""));
        } else if !written.starts_with('"') && fix.starts_with('"') {
            candidates.push(bare.to_string());
        }
        let this_code = code(d);
        for new_text in candidates {
            let Some(edited) = replaced(text, span, &new_text) else {
                continue;
            };
            let source = SourceFile::new(doc.source.name.clone(), edited);
            let (_, after) = analyse(&source, schema, load);
            let same_again = after
                .iter()
                .any(|a| code(a) == this_code && main_span(a).map(|s| s.start) == Some(span.start));
            // Gone, no new error in the replaced text, no more errors in all.
            let new_end = span
                .start
                .saturating_add(u32::try_from(new_text.len()).unwrap_or(0));
            let error_inside = after.iter().any(|a| {
                !a.is_warning()
                    && main_span(a).is_some_and(|s| s.start >= span.start && s.start < new_end)
            });
            let errors_after = after.iter().filter(|a| !a.is_warning()).count();
            if same_again || error_inside || errors_after > errors_before {
                continue;
            }
            let edit = TextEdit {
                range: doc.lines.range(text, span),
                new_text: new_text.clone(),
            };
            out.push(CodeAction {
                title: format!("Replace `{written}` with `{new_text}`"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(doc, uri, d)]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    document_changes: None,
                    change_annotations: None,
                }),
                command: None,
                is_preferred: Some(true),
                disabled: None,
                data: None,
            });
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_proposal_from_a_help() {
        assert_eq!(
            proposed("did you mean `continentCode`?"),
            Some("continentCode")
        );
        assert_eq!(proposed("did you mean `\"GB\"`?"), Some("\"GB\""));
        assert_eq!(
            proposed("write `10.0.0.0/8` (or `10.0.0.1` for the single address)"),
            Some("10.0.0.0/8")
        );
        assert_eq!(proposed("declare its type to check it"), None);
    }
}
