//! `mfapol lsp`: the language server over stdio. The protocol work is in
//! the library ([`mfapol::lsp`]); this file owns the transport and the loop.

use lsp_server::Connection;
use mfapol::lsp::{Flow, Server};

pub fn run() -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let mut server = Server::new();
    let mut load = super::files::include_loader;
    let mut code = super::EXIT_REJECTED;
    'serve: while let Ok(first) = connection.receiver.recv() {
        let mut next = Some(first);
        // Handle everything already waiting, then check the changed
        // documents once: a burst of keystrokes is analysed once.
        while let Some(msg) = next.take() {
            let (replies, flow) = server.handle(msg, &mut load);
            for r in replies {
                if connection.sender.send(r).is_err() {
                    break 'serve;
                }
            }
            if let Flow::Exit(c) = flow {
                code = c;
                break 'serve;
            }
            next = connection.receiver.try_recv().ok();
        }
        if server.has_pending() {
            for m in server.publish(&mut load) {
                if connection.sender.send(m).is_err() {
                    break 'serve;
                }
            }
        }
    }
    drop(connection);
    if let Err(e) = io_threads.join() {
        errln!("error: mfapol lsp: {e}");
    }
    code
}
