//! The language server behind `mfapol lsp` (issue 13): diagnostics as
//! `mfapol check` reports them, hovers, completion, definitions,
//! references, rename, document symbols, formatting and quick fixes.
//!
//! This module does no IO: [`Server::handle`] takes one JSON-RPC message and
//! returns the messages to send, and included files are read through the
//! caller's [`Loader`]. The binary (`src/cli/lsp.rs`) owns the stdio
//! transport and the loop. Diagnostics are not computed per change but by
//! [`Server::publish`], which the loop calls once no message is waiting, so
//! a burst of keystrokes is checked once.
//!
//! No message can crash the server: a request before `initialize` gets
//! `ServerNotInitialized`, a bad parameter `InvalidParams`, a position past
//! the end is clamped, an unknown document gives an empty answer, and a
//! panic in a handler (a bug) is caught and answered as `InternalError`.

mod actions;
mod complete;
mod document;
pub mod frame;
mod hover;
mod paths;
mod position;
mod requests;

pub use position::Lines;

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    PublishDiagnosticsParams, Uri,
};
use serde_json::Value;

use crate::include::Loader;
use crate::schema::{self, Schema};
use crate::source::SourceFile;
use document::Document;

/// The largest document the server analyses (as `mfapol check` reads at
/// most 16 MiB); a larger one is kept but gets no diagnostics.
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;

/// What the loop does after a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep reading.
    Continue,
    /// The client sent `exit`: stop with this exit code (0 after
    /// `shutdown`, 1 without, as the protocol says).
    Exit(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

/// The server's state: the open documents.
pub struct Server {
    schema: &'static Schema,
    state: State,
    docs: HashMap<String, Document>,
    /// Documents whose diagnostics are out of date.
    dirty: BTreeSet<String>,
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

/// A request's failure: a JSON-RPC error code and a message.
type Failure = (i32, String);

impl Server {
    /// A server for the built-in Auth0 post-login schema.
    pub fn new() -> Self {
        Server {
            schema: schema::auth0_post_login(),
            state: State::Uninitialized,
            docs: HashMap::new(),
            dirty: BTreeSet::new(),
        }
    }

    /// Whether any document's diagnostics are out of date.
    pub fn has_pending(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// Handles one message; returns the messages to send and whether to go on.
    pub fn handle(&mut self, msg: Message, load: &mut Loader<'_>) -> (Vec<Message>, Flow) {
        match msg {
            Message::Request(req) => {
                let id = req.id.clone();
                let response = answer(id, || self.request(req, load));
                (vec![Message::Response(response)], Flow::Continue)
            }
            Message::Notification(n) if n.method == "exit" => {
                let code = if self.state == State::ShutDown { 0 } else { 1 };
                (Vec::new(), Flow::Exit(code))
            }
            Message::Notification(n) => {
                let out = catch_unwind(AssertUnwindSafe(|| self.notification(n)));
                (out.unwrap_or_default(), Flow::Continue)
            }
            // The server sends no requests, so expects no responses.
            Message::Response(_) => (Vec::new(), Flow::Continue),
        }
    }

    /// Checks every document changed since the last call and returns their
    /// `publishDiagnostics` notifications.
    pub fn publish(&mut self, load: &mut Loader<'_>) -> Vec<Message> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut out = Vec::new();
        for uri in dirty {
            let result = catch_unwind(AssertUnwindSafe(|| self.diagnose(&uri, load)));
            if let Ok(Some(m)) = result {
                out.push(m);
            }
        }
        out
    }

    fn diagnose(&mut self, uri: &str, load: &mut Loader<'_>) -> Option<Message> {
        let open: HashMap<std::path::PathBuf, SourceFile> = self
            .docs
            .values()
            .filter(|d| d.uri != uri)
            .map(|d| (Path::new(&*d.source.name).to_path_buf(), d.source.clone()))
            .collect();
        // An included file open in the editor is read as it is there, under
        // the key the loader gives it on disk (its canonical path), so a
        // file reached both ways is one file.
        let mut from_editor = |from: &str, path: &str| {
            let joined = Path::new(from).parent().unwrap_or(Path::new("")).join(path);
            match open.get(&joined) {
                Some(f) => Ok(match load(from, path) {
                    Ok(disk) => f.clone().with_key(disk.key().clone()),
                    Err(_) => f.clone(),
                }),
                None => load(from, path),
            }
        };
        let schema = self.schema;
        let doc = self.docs.get_mut(uri)?;
        if doc.text().len() > MAX_DOCUMENT_BYTES {
            doc.ast = None;
            doc.diagnostics.clear();
        } else {
            doc.analyse(schema, &mut from_editor);
        }
        let parsed: Uri = uri.parse().ok()?;
        let diagnostics = doc
            .diagnostics
            .iter()
            .map(|d| actions::to_lsp(doc, &parsed, d))
            .collect();
        let params = PublishDiagnosticsParams {
            uri: parsed,
            diagnostics,
            version: Some(doc.version),
        };
        Some(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            params,
        )))
    }

    fn notification(&mut self, n: Notification) -> Vec<Message> {
        if self.state != State::Running {
            return Vec::new();
        }
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                    return Vec::new();
                };
                let uri = p.text_document.uri.as_str().to_string();
                let name = file_name(&uri);
                let doc = Document::new(
                    uri.clone(),
                    name,
                    p.text_document.version,
                    p.text_document.text,
                );
                self.docs.insert(uri.clone(), doc);
                self.dirty.insert(uri);
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                    return Vec::new();
                };
                let uri = p.text_document.uri.as_str().to_string();
                let Some(doc) = self.docs.get_mut(&uri) else {
                    return Vec::new();
                };
                let mut text = doc.text().to_string();
                for change in p.content_changes {
                    match change.range {
                        None => text = change.text,
                        Some(range) => {
                            let lines = Lines::new(&text);
                            let span = lines.span(&text, range);
                            if let (Some(a), Some(b)) = (
                                text.get(..span.start as usize),
                                text.get(span.end as usize..),
                            ) {
                                text = format!("{a}{}{b}", change.text);
                            }
                        }
                    }
                }
                doc.set_text(p.text_document.version, text);
                self.dirty.insert(uri);
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else {
                    return Vec::new();
                };
                let uri = p.text_document.uri;
                self.docs.remove(uri.as_str());
                self.dirty.remove(uri.as_str());
                let params = PublishDiagnosticsParams {
                    uri,
                    diagnostics: Vec::new(),
                    version: None,
                };
                return vec![Message::Notification(Notification::new(
                    "textDocument/publishDiagnostics".into(),
                    params,
                ))];
            }
            // A saved file may be included by the others.
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                self.dirty.extend(self.docs.keys().cloned());
            }
            _ => {}
        }
        Vec::new()
    }

    fn request(&mut self, req: Request, load: &mut Loader<'_>) -> Result<Value, Failure> {
        match (self.state, req.method.as_str()) {
            (State::Uninitialized, "initialize") => {
                self.state = State::Running;
                Ok(requests::initialize_result())
            }
            (State::Uninitialized, _) => Err((
                ErrorCode::ServerNotInitialized as i32,
                "the server is not initialized yet".into(),
            )),
            (_, "initialize") => Err((
                ErrorCode::InvalidRequest as i32,
                "the server is already initialized".into(),
            )),
            (_, "shutdown") => {
                self.state = State::ShutDown;
                Ok(Value::Null)
            }
            (State::ShutDown, _) => Err((
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            )),
            (State::Running, method) => {
                requests::dispatch(&self.docs, self.schema, method, req.params, load)
            }
        }
    }
}

/// The response to a request: its handler's result, or `InternalError` if
/// the handler panicked (a bug, which must not take the editor's server down).
fn answer(id: lsp_server::RequestId, handler: impl FnOnce() -> Result<Value, Failure>) -> Response {
    match catch_unwind(AssertUnwindSafe(handler)) {
        Ok(Ok(value)) => Response {
            id,
            response_result: Ok(value),
        },
        Ok(Err((code, message))) => Response::new_err(id, code, message),
        Err(_) => Response::new_err(
            id,
            ErrorCode::InternalError as i32,
            "internal error in mfapol (a bug): please report it".into(),
        ),
    }
}

/// The name a document's diagnostics and includes use: its file path for a
/// `file:` URI, else the URI itself.
fn file_name(uri: &str) -> Arc<str> {
    match uri.strip_prefix("file://") {
        Some(rest) => {
            // `file:///C:/x` on Windows, `file:///x` elsewhere.
            let path = percent_decode(rest);
            let path = match path.as_bytes() {
                [b'/', _, b':', ..] => path.get(1..).unwrap_or("").to_string(),
                _ => path,
            };
            Arc::from(path)
        }
        None => Arc::from(uri),
    }
}

/// `%XX` escapes decoded (as UTF-8; a bad escape is kept as written).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i.saturating_add(1)..i.saturating_add(3))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i = i.saturating_add(3);
            }
            _ => {
                out.push(b);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    #[test]
    fn a_panicking_handler_is_answered_with_internal_error() {
        let id = lsp_server::RequestId::from(7);
        let r = answer(id, || panic!("a bug"));
        let err = r.response_result.unwrap_err();
        assert_eq!(err.code, ErrorCode::InternalError as i32);
    }

    fn no_files(_: &str, _: &str) -> Result<SourceFile, String> {
        Err("no files".into())
    }

    /// Hover, completion, definition and code actions at every offset of
    /// every shipped policy (and of broken versions of them), called
    /// directly, without the server's panic guard: none may panic.
    #[test]
    fn every_position_of_every_shipped_policy_is_answered_without_panicking() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let mut texts: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mfapolicy"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(texts.len() >= 10);
        // Cut short, as while typing; and with a multi-byte comment.
        let broken: Vec<String> = texts
            .iter()
            .map(|t| t[..t.len() * 2 / 3].to_string() + ".\"é𝄞")
            .collect();
        texts.extend(broken);
        let schema = schema::auth0_post_login();
        let mut load = no_files;
        for text in &texts {
            let mut doc = Document::new("file:///p.mfapolicy".into(), "p".into(), 1, text.clone());
            doc.analyse(schema, &mut load);
            let uri: Uri = "file:///p.mfapolicy".parse().unwrap();
            for offset in 0..=text.len() {
                let o = u32::try_from(offset).unwrap();
                let _ = hover::hover(&doc, schema, o, &mut load);
                let _ = complete::complete(&doc, schema, offset);
                if let Some(policy) = &doc.ast {
                    let defs = document::defs(policy, doc.source.lines());
                    let _ = document::symbol_at(policy, &defs, o);
                }
            }
            let end = doc.lines.position(text, text.len());
            let all = lsp_types::Range {
                start: Position::default(),
                end,
            };
            let _ = actions::code_actions(&doc, &uri, all, schema, &mut load);
        }
    }

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(
            &*file_name("file:///tmp/a%20b.mfapolicy"),
            "/tmp/a b.mfapolicy"
        );
        assert_eq!(&*file_name("file:///C:/p/x.mfapolicy"), "C:/p/x.mfapolicy");
        assert_eq!(&*file_name("untitled:Untitled-1"), "untitled:Untitled-1");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
