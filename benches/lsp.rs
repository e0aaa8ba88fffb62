//! Responsiveness of `mfapol lsp` (issue 13): the time from a change to a
//! 1,000-rule policy to its diagnostics, measured on the server's own
//! message handling (`didChange`, then the `publishDiagnostics` it sends),
//! without the stdio transport. Also a hover and a completion on that
//! policy. Run: `cargo bench --bench lsp`. Results: docs/editors.md.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use lsp_server::{Message, Notification, Request, RequestId};
use mfapol::lsp::Server;
use mfapol::source::SourceFile;
use serde_json::json;

const URI: &str = "file:///bench/policy.mfapolicy";

use common::generated;

fn no_files(_: &str, _: &str) -> Result<SourceFile, String> {
    Err("no files in this benchmark".into())
}

fn request(id: i32, method: &str, params: serde_json::Value) -> Message {
    Message::Request(Request::new(RequestId::from(id), method.into(), params))
}

fn notification(method: &str, params: serde_json::Value) -> Message {
    Message::Notification(Notification::new(method.into(), params))
}

fn opened(text: &str) -> Server {
    let mut server = Server::new();
    let mut load = no_files;
    server.handle(
        request(1, "initialize", json!({"capabilities": {}})),
        &mut load,
    );
    server.handle(notification("initialized", json!({})), &mut load);
    server.handle(
        notification(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "mfapolicy", "version": 1, "text": text}}),
        ),
        &mut load,
    );
    let published = server.publish(&mut load);
    assert_eq!(published.len(), 1);
    server
}

fn bench_lsp(c: &mut Criterion) {
    let text = generated(1_000);
    // Each change adds or removes an error, as typing does.
    let broken = text.replace("continent != \"EU\"", "continent != \"EUR\"");
    let mut server = opened(&text);
    let mut load = no_files;
    let mut version = 1;
    let mut g = c.benchmark_group("lsp");
    g.sample_size(30);
    g.bench_function("change_to_diagnostics/1000_rules", |b| {
        b.iter(|| {
            version += 1;
            let new = if version % 2 == 0 { &broken } else { &text };
            let change = notification(
                "textDocument/didChange",
                json!({"textDocument": {"uri": URI, "version": version}, "contentChanges": [{"text": new}]}),
            );
            server.handle(change, &mut load);
            let published = server.publish(&mut load);
            assert_eq!(published.len(), 1);
            black_box(published)
        })
    });
    let server = &mut opened(&text);
    g.bench_function("hover/1000_rules", |b| {
        b.iter(|| {
            let hover = request(
                2,
                "textDocument/hover",
                json!({"textDocument": {"uri": URI}, "position": {"line": 3, "character": 60}}),
            );
            black_box(server.handle(hover, &mut load))
        })
    });
    g.bench_function("completion/1000_rules", |b| {
        b.iter(|| {
            let completion = request(
                3,
                "textDocument/completion",
                json!({"textDocument": {"uri": URI}, "position": {"line": 500, "character": 40}}),
            );
            black_box(server.handle(completion, &mut load))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_lsp);
criterion_main!(benches);
