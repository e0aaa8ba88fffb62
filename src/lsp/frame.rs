//! Reading LSP messages (`Content-Length: N\r\n\r\n` + N bytes of JSON)
//! within bounds. `lsp-server`'s own reader allocates whatever length a
//! frame announces (a huge one aborts the process) and buffers a header
//! line without end; this one caps both, skips an oversized body without
//! holding it, and says what went wrong so the server can answer with a
//! JSON-RPC error instead of dying. No IO of its own: it reads any
//! [`BufRead`].

use std::io::{self, BufRead, Read, Write};

use lsp_server::Message;

/// The largest message read by default (`mfapol lsp --max-message-bytes`).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 20;

/// The longest header line accepted (`Content-Length: ...` is ~30 bytes).
pub const MAX_HEADER_LINE: usize = 8 << 10;

/// The most header lines in one frame.
pub const MAX_HEADERS: usize = 32;

/// Why a frame was not a message.
#[derive(Debug)]
pub enum FrameError {
    /// The frame announced more than the limit; its body was read and
    /// dropped, so the next frame can still be read.
    TooLarge {
        /// The `Content-Length` announced.
        announced: u64,
        /// The limit.
        limit: usize,
    },
    /// The body was read but is not a JSON-RPC message; the next frame can
    /// still be read.
    BadMessage(String),
    /// The header is broken (too long, too many lines, no or a bad
    /// `Content-Length`, or the input ended inside a frame): where the next
    /// frame starts cannot be known, so the session must end.
    BadHeader(String),
    /// Reading failed.
    Io(io::Error),
}

impl FrameError {
    /// Whether the stream can no longer be read.
    pub fn is_fatal(&self) -> bool {
        matches!(self, FrameError::BadHeader(_) | FrameError::Io(_))
    }

    /// What went wrong, for the error response and the log.
    pub fn message(&self) -> String {
        match self {
            FrameError::TooLarge { announced, limit } => format!(
                "a message of {announced} bytes is over the limit of {limit} bytes and was skipped (raise it with `mfapol lsp --max-message-bytes N`)"
            ),
            FrameError::BadMessage(e) => format!("not a JSON-RPC message: {e}"),
            FrameError::BadHeader(e) => format!("malformed message header: {e}"),
            FrameError::Io(e) => format!("cannot read the client's messages: {e}"),
        }
    }

    /// The JSON-RPC error code: `-32700` (parse error) for a body that is
    /// not a message, `-32600` (invalid request) otherwise.
    pub fn code(&self) -> i32 {
        match self {
            FrameError::BadMessage(_) => -32700,
            _ => -32600,
        }
    }

    /// The error response to send: its id is `null`, since the request it
    /// answers could not be read (JSON-RPC 2.0, section 5).
    pub fn response(&self) -> String {
        serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {"code": self.code(), "message": self.message()},
        })
        .to_string()
    }
}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        FrameError::Io(e)
    }
}

/// Reads the next message: `Ok(None)` at the end of the input between
/// frames. Memory stays under `max_message` plus [`MAX_HEADER_LINE`]
/// whatever the input announces.
pub fn read_message(
    r: &mut impl BufRead,
    max_message: usize,
) -> Result<Option<Message>, FrameError> {
    let mut length: Option<u64> = None;
    let mut lines = 0usize;
    loop {
        let Some(line) = read_line(r)? else {
            return if lines == 0 {
                Ok(None)
            } else {
                Err(FrameError::BadHeader(
                    "the input ended inside a header".into(),
                ))
            };
        };
        lines = lines.saturating_add(1);
        if lines > MAX_HEADERS {
            return Err(FrameError::BadHeader(format!(
                "more than {MAX_HEADERS} header lines"
            )));
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(FrameError::BadHeader(format!(
                "`{}` is not a header",
                short(line)
            )));
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            let n = value.trim().parse::<u64>().map_err(|_| {
                FrameError::BadHeader(format!(
                    "Content-Length `{}` is not a number",
                    short(value.trim())
                ))
            })?;
            length = Some(n);
        }
    }
    let Some(announced) = length else {
        return Err(FrameError::BadHeader("no Content-Length".into()));
    };
    let mut body = r.take(announced);
    let limit = u64::try_from(max_message).unwrap_or(u64::MAX);
    if announced > limit {
        // Read and drop it in small pieces: the next frame follows it.
        let skipped = io::copy(&mut body, &mut io::sink())?;
        if skipped < announced {
            return Err(FrameError::BadHeader(format!(
                "the input ended {skipped} bytes into a message that announced {announced}"
            )));
        }
        return Err(FrameError::TooLarge {
            announced,
            limit: max_message,
        });
    }
    // Grows with what arrives, not with what was announced.
    let mut bytes = Vec::new();
    body.read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < announced {
        return Err(FrameError::BadHeader(format!(
            "the input ended {} bytes into a message that announced {announced}",
            bytes.len()
        )));
    }
    serde_json::from_slice::<Message>(&bytes)
        .map(Some)
        .map_err(|e| FrameError::BadMessage(e.to_string()))
}

/// Writes one frame holding `json`.
pub fn write_frame(w: &mut impl Write, json: &str) -> io::Result<()> {
    write!(w, "Content-Length: {}\r\n\r\n", json.len())?;
    w.write_all(json.as_bytes())?;
    w.flush()
}

/// One header line, at most [`MAX_HEADER_LINE`] bytes; `None` at the end of
/// the input before any byte of it.
fn read_line(r: &mut impl BufRead) -> Result<Option<Vec<u8>>, FrameError> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(FrameError::BadHeader(
                    "the input ended inside a header line".into(),
                ))
            };
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i.saturating_add(1), true),
            None => (buf.len(), false),
        };
        if line.len().saturating_add(take) > MAX_HEADER_LINE {
            return Err(FrameError::BadHeader(format!(
                "a header line longer than {MAX_HEADER_LINE} bytes"
            )));
        }
        line.extend_from_slice(buf.get(..take).unwrap_or_default());
        r.consume(take);
        if done {
            return Ok(Some(line));
        }
    }
}

/// At most 40 characters of client text, for a message.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn frame(json: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{json}", json.len()).into_bytes()
    }

    const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;

    #[test]
    fn reads_messages_until_the_end() {
        let mut input = frame(PING);
        input.extend(frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        let mut r = BufReader::new(&input[..]);
        assert!(matches!(
            read_message(&mut r, 1024),
            Ok(Some(Message::Request(_)))
        ));
        assert!(matches!(
            read_message(&mut r, 1024),
            Ok(Some(Message::Notification(_)))
        ));
        assert!(matches!(read_message(&mut r, 1024), Ok(None)));
    }

    /// A frame over the limit is skipped (not held) and the next one read.
    #[test]
    fn an_oversized_frame_is_skipped_and_reading_goes_on() {
        let big = format!(
            r#"{{"jsonrpc":"2.0","method":"x","params":"{}"}}"#,
            "a".repeat(5000)
        );
        let mut input = frame(&big);
        input.extend(frame(PING));
        let mut r = BufReader::new(&input[..]);
        let e = read_message(&mut r, 1000).unwrap_err();
        assert!(
            matches!(e, FrameError::TooLarge { limit: 1000, .. }),
            "{e:?}"
        );
        assert!(!e.is_fatal());
        assert!(matches!(
            read_message(&mut r, 1000),
            Ok(Some(Message::Request(_)))
        ));
    }

    /// A frame announcing far more than arrives ends cleanly: no
    /// allocation of the announced size (which would abort), no hang.
    #[test]
    fn a_huge_announced_length_is_not_allocated() {
        let input = b"Content-Length: 18446744073709551615\r\n\r\n{}".to_vec();
        let mut r = BufReader::new(&input[..]);
        let e = read_message(&mut r, DEFAULT_MAX_MESSAGE_BYTES).unwrap_err();
        assert!(e.is_fatal(), "{e:?}");
        // Under the limit but more than arrives: what arrived, then an error.
        let input = b"Content-Length: 60000000\r\n\r\n{}".to_vec();
        let e =
            read_message(&mut BufReader::new(&input[..]), DEFAULT_MAX_MESSAGE_BYTES).unwrap_err();
        assert!(e.message().contains("ended 2 bytes into"), "{e:?}");
    }

    /// An endless header line is cut at the bound.
    #[test]
    fn an_endless_header_line_is_refused() {
        let endless = io::repeat(b'x').take(10 << 20);
        let mut r = BufReader::new(endless);
        let e = read_message(&mut r, DEFAULT_MAX_MESSAGE_BYTES).unwrap_err();
        assert!(e.message().contains("header line longer than"), "{e:?}");
        assert!(e.is_fatal());
    }

    #[test]
    fn broken_headers_and_bodies_are_named() {
        let cases: &[(&[u8], &str)] = &[
            (b"Content-Length: ten\r\n\r\n", "is not a number"),
            (b"Content-Type: x\r\n\r\n{}", "no Content-Length"),
            (b"garbage\r\n\r\n", "is not a header"),
            (b"Content-Length: 5\r\n", "ended inside a header"),
        ];
        for (input, want) in cases {
            let e = read_message(&mut BufReader::new(*input), 1024).unwrap_err();
            assert!(e.message().contains(want), "{want}: {e:?}");
        }
        let many = "X: y\r\n".repeat(MAX_HEADERS + 1);
        let e = read_message(&mut BufReader::new(many.as_bytes()), 1024).unwrap_err();
        assert!(e.message().contains("header lines"), "{e:?}");
        let mut input = frame("[1, 2]");
        input.extend(frame(PING));
        let mut r = BufReader::new(&input[..]);
        let e = read_message(&mut r, 1024).unwrap_err();
        assert!(
            matches!(e, FrameError::BadMessage(_)) && !e.is_fatal(),
            "{e:?}"
        );
        assert_eq!(e.code(), -32700);
        assert!(matches!(read_message(&mut r, 1024), Ok(Some(_))));
    }

    #[test]
    fn the_error_response_has_a_null_id() {
        let e = FrameError::TooLarge {
            announced: 10,
            limit: 5,
        };
        let v: serde_json::Value = serde_json::from_str(&e.response()).unwrap();
        assert_eq!(v["id"], serde_json::Value::Null);
        assert_eq!(v["error"]["code"], -32600);
    }
}
