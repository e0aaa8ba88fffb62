//! The requests: one function each, from parameters to the result.

use std::collections::HashMap;

use lsp_server::ErrorCode;
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CompletionOptions, CompletionParams, CompletionResponse,
    DocumentFormattingParams, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse,
    GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents, HoverParams,
    HoverProviderCapability, Location, MarkupContent, MarkupKind, OneOf, Position,
    PrepareRenameResponse, Range, ReferenceParams, RenameOptions, RenameParams, ServerCapabilities,
    ServerInfo, SymbolKind, TextDocumentIdentifier, TextDocumentPositionParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Uri, WorkspaceEdit,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::document::{defs, is_identifier, let_uses, symbol_at, Def, DefKind, Document};
use super::{actions, complete, hover, Failure};
use crate::include::Loader;
use crate::schema::Schema;

/// The answer to `initialize`.
pub fn initialize_result() -> Value {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    };
    serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo {
            name: "mfapol".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    })
}

fn params<P: DeserializeOwned>(v: Value) -> Result<P, Failure> {
    serde_json::from_value(v).map_err(|e| {
        (
            ErrorCode::InvalidParams as i32,
            format!("invalid parameters: {e}"),
        )
    })
}

fn to_value<T: serde::Serialize>(v: T) -> Result<Value, Failure> {
    serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError as i32, e.to_string()))
}

/// Runs one request on the open documents.
pub fn dispatch(
    docs: &HashMap<String, Document>,
    schema: &Schema,
    method: &str,
    raw: Value,
    load: &mut Loader<'_>,
) -> Result<Value, Failure> {
    // An unknown document gets an empty answer, not an error: the client
    // may ask about a file it has not opened (or just closed).
    let doc_at = |id: &TextDocumentIdentifier| docs.get(id.uri.as_str());
    match method {
        "textDocument/hover" => {
            let p: HoverParams = params(raw)?;
            let Some((doc, offset)) = at(docs, &p.text_document_position_params) else {
                return Ok(Value::Null);
            };
            let Some((text, span)) = hover::hover(doc, schema, offset, load) else {
                return Ok(Value::Null);
            };
            to_value(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: text,
                }),
                range: Some(doc.lines.range(doc.text(), span)),
            })
        }
        "textDocument/completion" => {
            let p: CompletionParams = params(raw)?;
            let Some((doc, offset)) = at(docs, &p.text_document_position) else {
                return Ok(Value::Null);
            };
            let items = complete::complete(doc, schema, offset as usize);
            to_value(CompletionResponse::Array(items))
        }
        "textDocument/definition" => {
            let p: GotoDefinitionParams = params(raw)?;
            let Some((doc, def)) = symbol(docs, &p.text_document_position_params) else {
                return Ok(Value::Null);
            };
            let uri = p.text_document_position_params.text_document.uri;
            to_value(GotoDefinitionResponse::Scalar(location(
                doc,
                &uri,
                def.name_span,
            )))
        }
        "textDocument/references" => {
            let p: ReferenceParams = params(raw)?;
            let Some((doc, def)) = symbol(docs, &p.text_document_position) else {
                return Ok(Value::Null);
            };
            let uri = &p.text_document_position.text_document.uri;
            let mut spans = Vec::new();
            if p.context.include_declaration {
                spans.push(def.name_span);
            }
            if let (DefKind::Let, Some(policy)) = (def.kind, &doc.ast) {
                spans.extend(let_uses(policy, &def.name));
            }
            let found: Vec<Location> = spans.into_iter().map(|s| location(doc, uri, s)).collect();
            to_value(found)
        }
        "textDocument/prepareRename" => {
            let p: TextDocumentPositionParams = params(raw)?;
            let Some((doc, def)) = symbol(docs, &p) else {
                return Ok(Value::Null);
            };
            let offset = at(docs, &p).map_or(0, |(_, o)| o);
            let span = occurrences(doc, &def)
                .into_iter()
                .find(|s| s.start <= offset && offset <= s.end)
                .unwrap_or(def.name_span);
            to_value(PrepareRenameResponse::RangeWithPlaceholder {
                range: doc.lines.range(doc.text(), span),
                placeholder: def.name.clone(),
            })
        }
        "textDocument/rename" => {
            let p: RenameParams = params(raw)?;
            let Some((doc, def)) = symbol(docs, &p.text_document_position) else {
                return Err((
                    ErrorCode::RequestFailed as i32,
                    "there is no `let`, rule or assertion name here to rename".into(),
                ));
            };
            rename(
                doc,
                schema,
                &def,
                &p.new_name,
                &p.text_document_position.text_document.uri,
            )
        }
        "textDocument/documentSymbol" => {
            let p: DocumentSymbolParams = params(raw)?;
            let Some(doc) = doc_at(&p.text_document) else {
                return Ok(Value::Null);
            };
            let Some(policy) = &doc.ast else {
                return Ok(Value::Null);
            };
            let symbols: Vec<DocumentSymbol> = defs(policy, doc.source.lines())
                .into_iter()
                .filter_map(|d| symbol_of(doc, d))
                .collect();
            to_value(DocumentSymbolResponse::Nested(symbols))
        }
        "textDocument/formatting" => {
            let p: DocumentFormattingParams = params(raw)?;
            let Some(doc) = doc_at(&p.text_document) else {
                return Ok(Value::Null);
            };
            // A file that does not parse is left as it is (its syntax error
            // is already shown).
            let Ok(formatted) = crate::fmt::format(doc.text()) else {
                return Ok(Value::Null);
            };
            if formatted == doc.text() {
                return to_value(Vec::<TextEdit>::new());
            }
            let end = doc.lines.position(doc.text(), doc.text().len());
            to_value(vec![TextEdit {
                range: Range {
                    start: Position::default(),
                    end,
                },
                new_text: formatted,
            }])
        }
        "textDocument/codeAction" => {
            let p: CodeActionParams = params(raw)?;
            let Some(doc) = doc_at(&p.text_document) else {
                return Ok(Value::Null);
            };
            let fixes: Vec<CodeActionOrCommand> =
                actions::code_actions(doc, &p.text_document.uri, p.range, schema, load)
                    .into_iter()
                    .map(CodeActionOrCommand::CodeAction)
                    .collect();
            to_value(fixes)
        }
        _ => Err((
            ErrorCode::MethodNotFound as i32,
            format!("`{method}` is not supported"),
        )),
    }
}

/// The document and byte offset of a position (clamped into the text).
fn at<'d>(
    docs: &'d HashMap<String, Document>,
    p: &TextDocumentPositionParams,
) -> Option<(&'d Document, u32)> {
    let doc = docs.get(p.text_document.uri.as_str())?;
    let offset = doc.lines.offset(doc.text(), p.position);
    Some((doc, u32::try_from(offset).unwrap_or(u32::MAX)))
}

/// The `let` or rule named at a position.
fn symbol<'d>(
    docs: &'d HashMap<String, Document>,
    p: &TextDocumentPositionParams,
) -> Option<(&'d Document, Def)> {
    let (doc, offset) = at(docs, p)?;
    let policy = doc.ast.as_ref()?;
    let all = defs(policy, doc.source.lines());
    let def = symbol_at(policy, &all, offset)?;
    Some((doc, def))
}

fn location(doc: &Document, uri: &Uri, span: crate::source::Span) -> Location {
    Location {
        uri: uri.clone(),
        range: doc.lines.range(doc.text(), span),
    }
}

/// The definition and every use of a `let` or rule.
fn occurrences(doc: &Document, def: &Def) -> Vec<crate::source::Span> {
    let mut spans = vec![def.name_span];
    if let (DefKind::Let, Some(policy)) = (def.kind, &doc.ast) {
        spans.extend(let_uses(policy, &def.name));
    }
    spans
}

fn rename(
    doc: &Document,
    schema: &Schema,
    def: &Def,
    new_name: &str,
    uri: &Uri,
) -> Result<Value, Failure> {
    let refuse = |why: String| Err((ErrorCode::RequestFailed as i32, why));
    if !is_identifier(new_name) {
        return refuse(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit, and no keyword"
        ));
    }
    let event_name = schema.shorthand(new_name).is_some()
        || schema
            .root
            .is_some_and(|r| schema.record(r).field(new_name).is_some());
    if event_name && def.kind == DefKind::Let {
        return refuse(format!("`{new_name}` is a name of the event"));
    }
    let policy = doc.ast.as_ref();
    let taken = policy
        .map(|p| defs(p, doc.source.lines()))
        .unwrap_or_default()
        .iter()
        .any(|d| d.kind == def.kind && d.name == new_name);
    if taken {
        return refuse(format!("`{new_name}` is already defined"));
    }
    // A quantifier variable of the new name would capture a use.
    if def.kind == DefKind::Let {
        if let Some(p) = policy {
            let mut captured = false;
            let uses = let_uses(p, &def.name);
            super::document::walk_policy(p, &mut |e, scope| {
                if uses.contains(&e.span) && scope.iter().any(|(v, _)| v.as_ref() == new_name) {
                    captured = true;
                }
            });
            if captured {
                return refuse(format!(
                    "`{new_name}` is a quantifier variable where `{}` is used",
                    def.name
                ));
            }
        }
    }
    let edits: Vec<TextEdit> = occurrences(doc, def)
        .into_iter()
        .map(|s| TextEdit {
            range: doc.lines.range(doc.text(), s),
            new_text: new_name.to_string(),
        })
        .collect();
    to_value(WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        document_changes: None,
        change_annotations: None,
    })
}

#[expect(
    deprecated,
    reason = "`DocumentSymbol::deprecated` must still be written; it is None"
)]
fn symbol_of(doc: &Document, d: Def) -> Option<DocumentSymbol> {
    let kind = match d.kind {
        DefKind::Let => SymbolKind::CONSTANT,
        DefKind::Rule => SymbolKind::FUNCTION,
        DefKind::Declare => SymbolKind::FIELD,
        DefKind::Default => SymbolKind::EVENT,
        DefKind::Assert => SymbolKind::PROPERTY,
        DefKind::Include => return None,
    };
    let detail = match d.kind {
        DefKind::Let => "let",
        DefKind::Rule => "rule",
        DefKind::Declare => "declare",
        DefKind::Assert => "assert",
        _ => "default",
    };
    Some(DocumentSymbol {
        name: d.name,
        detail: Some(detail.into()),
        kind,
        tags: None,
        deprecated: None,
        range: doc.lines.range(doc.text(), d.span),
        selection_range: doc.lines.range(doc.text(), d.name_span),
        children: None,
    })
}
