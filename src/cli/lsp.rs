//! `mfapol lsp`: the language server over stdio. The protocol work is in
//! the library ([`mfapol::lsp`]); this file owns the transport and the loop.
//!
//! Frames are read by [`mfapol::lsp::frame`], not `lsp-server`'s reader,
//! which allocates whatever `Content-Length` a frame announces (a huge one
//! aborts the process) and buffers a header line without end. Here a frame
//! over `--max-message-bytes` is skipped and answered with a JSON-RPC error;
//! a broken header is answered, logged and ends the session (exit 1).

use std::io::Write;
use std::sync::mpsc;

use lsp_server::Message;
use mfapol::lsp::frame::{self, FrameError};
use mfapol::lsp::{Flow, Server};

/// Arguments of `mfapol lsp`.
#[derive(clap::Args, Debug)]
pub struct LspArgs {
    /// The largest message accepted, in bytes; a larger one (say a huge
    /// document) is skipped and answered with an error
    #[arg(long, value_name = "N", default_value_t = frame::DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
}

/// What the reader thread hands the loop.
enum Incoming {
    Message(Message),
    Bad(FrameError),
}

/// How many read messages may wait for the loop: the reader blocks beyond,
/// so a client that floods the server cannot grow its memory.
const QUEUE: usize = 64;

pub fn run(args: &LspArgs) -> u8 {
    let max = args.max_message_bytes;
    let (tx, rx) = mpsc::sync_channel::<Incoming>(QUEUE);
    // Not joined: after `exit` or a broken frame it has stopped; if the
    // client went away while we wrote, it may still wait on stdin, and the
    // process ends under it.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let next = match frame::read_message(&mut input, max) {
                Ok(None) => break,
                Ok(Some(m)) => {
                    let exit = matches!(&m, Message::Notification(n) if n.method == "exit");
                    if tx.send(Incoming::Message(m)).is_err() || exit {
                        break;
                    }
                    continue;
                }
                Err(e) => e,
            };
            let fatal = next.is_fatal();
            if tx.send(Incoming::Bad(next)).is_err() || fatal {
                break;
            }
        }
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut server = Server::new();
    let mut load = super::files::include_loader;
    let mut code = super::EXIT_REJECTED;
    'serve: while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        // Handle everything already waiting, then check the changed
        // documents once: a burst of keystrokes is analysed once.
        while let Some(incoming) = next.take() {
            match incoming {
                Incoming::Message(msg) => {
                    let (replies, flow) = server.handle(msg, &mut load);
                    for r in replies {
                        if r.write(&mut out).is_err() {
                            break 'serve;
                        }
                    }
                    if let Flow::Exit(c) = flow {
                        code = c;
                        break 'serve;
                    }
                }
                Incoming::Bad(e) => {
                    errln!("error: mfapol lsp: {}", e.message());
                    if frame::write_frame(&mut out, &e.response()).is_err() || e.is_fatal() {
                        code = super::EXIT_REJECTED;
                        break 'serve;
                    }
                }
            }
            next = rx.try_recv().ok();
        }
        if server.has_pending() {
            for m in server.publish(&mut load) {
                if m.write(&mut out).is_err() {
                    break 'serve;
                }
            }
        }
    }
    let _ = out.flush();
    code
}
