//! Every write to standard output goes through here, so a failed write is
//! never lost: the first error is kept, later writes are skipped, and
//! [`finish`] turns it into an IO error (exit 2) with a message on stderr.
//! A closed pipe (`mfapol ... | head`) is not an error: output stops and
//! the command ends quietly with its own exit code.

use std::io::{self, Write};
use std::sync::Mutex;

/// The first error a write to stdout returned.
static FAILED: Mutex<Option<io::Error>> = Mutex::new(None);

/// Whether a write to stdout has failed (output is then skipped).
pub fn failed() -> bool {
    FAILED.lock().map_or(true, |f| f.is_some())
}

/// Keeps the first write error.
pub fn record(e: io::Error) {
    if let Ok(mut f) = FAILED.lock() {
        if f.is_none() {
            *f = Some(e);
        }
    }
}

/// Writes formatted text to stdout (what `out!`/`outln!` expand to).
pub fn print(args: std::fmt::Arguments<'_>) {
    if failed() {
        return;
    }
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        record(e);
    }
}

/// Writes bytes to stdout.
pub fn bytes(b: &[u8]) {
    if failed() {
        return;
    }
    if let Err(e) = io::stdout().lock().write_all(b) {
        record(e);
    }
}

/// A buffered stdout writer for long outputs (batch results). Its errors
/// are recorded like those of [`print`]; check [`failed`] to stop early.
pub struct Sink {
    inner: io::BufWriter<io::StdoutLock<'static>>,
}

impl Sink {
    /// A sink with a 64 KiB buffer.
    pub fn new() -> Self {
        Sink {
            inner: io::BufWriter::with_capacity(1 << 16, io::stdout().lock()),
        }
    }

    /// Writes all of `b`; `false` once stdout has failed.
    pub fn write(&mut self, b: &[u8]) -> bool {
        if failed() {
            return false;
        }
        match self.inner.write_all(b) {
            Ok(()) => true,
            Err(e) => {
                record(e);
                false
            }
        }
    }

    /// Flushes the buffer, recording an error.
    pub fn flush(&mut self) {
        if failed() {
            return;
        }
        if let Err(e) = self.inner.flush() {
            record(e);
        }
    }
}

/// Flushes stdout and turns a failed write into exit code 2 with a message;
/// a closed pipe keeps `code`.
pub fn finish(code: u8) -> u8 {
    if !failed() {
        if let Err(e) = io::stdout().lock().flush() {
            record(e);
        }
    }
    let taken = FAILED.lock().ok().and_then(|mut f| f.take());
    match taken {
        None => code,
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
        Some(e) => {
            errln!(
                "error: cannot write to standard output: {}",
                super::files::io_reason(&e)
            );
            super::EXIT_USAGE
        }
    }
}
