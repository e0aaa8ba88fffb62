//! Reading NDJSON in chunks of lines and processing the chunks on several
//! threads while keeping the results in input order.
//!
//! The library opens no files: callers hand in any [`BufRead`]. Memory stays
//! bounded however long the input is: at most a fixed number of chunks (each
//! at most `max_lines` lines or about [`CHUNK_BYTES`] bytes) are in flight.

use std::io::{self, BufRead};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::Mutex;

/// Lines per chunk, unless the caller chooses otherwise.
pub const CHUNK_LINES: usize = 1024;

/// A chunk is closed once it holds this many bytes, even with fewer lines.
pub const CHUNK_BYTES: usize = 1 << 20;

/// At most this many worker threads, whatever is asked.
pub const MAX_JOBS: usize = 64;

/// The longest input line, without its line end: 16 MiB. A longer line is
/// not kept in memory: it becomes a [`TooLong`] error for that line and
/// reading resumes after its next line break.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// A line longer than [`MAX_LINE_BYTES`], skipped unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLong {
    /// The limit it exceeded, in bytes.
    pub limit: usize,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the line is longer than {} MiB ({} bytes); it was skipped",
            self.limit >> 20,
            self.limit
        )
    }
}

/// Consecutive lines of the input.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    /// 0-based position of the chunk in the input.
    pub seq: u64,
    /// 1-based number of the chunk's first line.
    pub first_line: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
    /// Per line: whether it was too long (its bytes are not in `data`).
    long: Vec<bool>,
    /// The line limit it was read with.
    limit: usize,
    /// Bytes of input read (line ends and skipped lines included).
    read: u64,
}

impl Chunk {
    /// The lines with their 1-based numbers, without `\n` or `\r\n`; a
    /// line over the limit is a [`TooLong`] error instead.
    pub fn lines(&self) -> impl Iterator<Item = (u64, Result<&[u8], TooLong>)> + '_ {
        let mut start = 0;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let line = self.data.get(start..end).unwrap_or_default();
            start = end;
            let no = self.first_line.saturating_add(i as u64);
            if self.long.get(i).copied().unwrap_or(false) {
                (no, Err(TooLong { limit: self.limit }))
            } else {
                (no, Ok(trim_eol(line)))
            }
        })
    }

    /// How many lines it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds no lines.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// How many bytes of input it covers (line ends and skipped over-long
    /// lines included).
    pub fn bytes(&self) -> u64 {
        self.read
    }
}

/// Appends one line (with its line end) to `buf`, or nothing when its text
/// is longer than `limit` bytes: then the rest of it is read and dropped
/// without being buffered. Returns the bytes consumed (0 at the end of the
/// input) and whether the line was too long.
fn read_line_capped<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<(u64, bool)> {
    let start = buf.len();
    // The text plus `\r\n`.
    let room = limit.saturating_add(2);
    let mut consumed: u64 = 0;
    let mut long = false;
    loop {
        let avail = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            break;
        }
        let (n, end) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i.saturating_add(1), true),
            None => (avail.len(), false),
        };
        if !long {
            let have = buf.len().saturating_sub(start);
            if have.saturating_add(n) > room {
                long = true;
                buf.truncate(start);
            } else {
                buf.extend_from_slice(avail.get(..n).unwrap_or_default());
            }
        }
        reader.consume(n);
        consumed = consumed.saturating_add(n as u64);
        if end {
            break;
        }
    }
    if !long && trim_eol(buf.get(start..).unwrap_or_default()).len() > limit {
        long = true;
        buf.truncate(start);
    }
    Ok((consumed, long))
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether a line holds only whitespace (such lines are skipped).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Reads the next chunk: up to `max_lines` lines, fewer once
/// [`CHUNK_BYTES`] bytes are read. `None` at the end of the input.
pub fn read_chunk<R: BufRead + ?Sized>(
    reader: &mut R,
    seq: u64,
    first_line: u64,
    max_lines: usize,
) -> io::Result<Option<Chunk>> {
    read_chunk_capped(reader, seq, first_line, max_lines, MAX_LINE_BYTES)
}

/// [`read_chunk`] with a line limit of `limit` bytes.
pub fn read_chunk_capped<R: BufRead + ?Sized>(
    reader: &mut R,
    seq: u64,
    first_line: u64,
    max_lines: usize,
    limit: usize,
) -> io::Result<Option<Chunk>> {
    let mut chunk = Chunk {
        seq,
        first_line,
        limit,
        ..Chunk::default()
    };
    while chunk.ends.len() < max_lines.max(1) && chunk.data.len() < CHUNK_BYTES {
        let (n, long) = read_line_capped(reader, &mut chunk.data, limit)?;
        if n == 0 {
            break;
        }
        chunk.read = chunk.read.saturating_add(n);
        chunk.ends.push(chunk.data.len());
        chunk.long.push(long);
    }
    Ok(if chunk.ends.is_empty() {
        None
    } else {
        Some(chunk)
    })
}

/// Reads `reader` chunk by chunk, runs `work` on each chunk on `jobs`
/// threads (at most [`MAX_JOBS`]), and hands the results to `write` in input order. `write`
/// returns `false` to stop early (e.g. the output was closed).
///
/// Returns the first read error, if any; results of the chunks read before
/// it have been written.
pub fn map_ordered<R, T, F, W>(
    mut reader: R,
    jobs: usize,
    max_lines: usize,
    work: F,
    mut write: W,
) -> io::Result<()>
where
    R: BufRead + Send,
    T: Send,
    F: Fn(&Chunk) -> T + Sync,
    W: FnMut(T) -> bool,
{
    let jobs = jobs.min(MAX_JOBS);
    if jobs <= 1 {
        let (mut seq, mut line) = (0u64, 1u64);
        while let Some(chunk) = read_chunk(&mut reader, seq, line, max_lines)? {
            // Counters of lines read: u64 does not overflow in practice,
            // and saturating keeps a wrong number from being a panic.
            seq = seq.saturating_add(1);
            line = line.saturating_add(chunk.len() as u64);
            if !write(work(&chunk)) {
                break;
            }
        }
        return Ok(());
    }
    // The order channel holds one receiver per chunk, in input order, so the
    // writer waits for exactly the next chunk; its capacity bounds how far
    // reading can run ahead of writing.
    let (work_tx, work_rx) = sync_channel::<(Chunk, Sender<T>)>(jobs);
    let (order_tx, order_rx) = sync_channel::<Receiver<T>>(jobs.saturating_mul(2));
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| worker(&work_rx, &work));
        }
        let reading = s.spawn(move || -> io::Result<()> {
            let (mut seq, mut line) = (0u64, 1u64);
            while let Some(chunk) = read_chunk(&mut reader, seq, line, max_lines)? {
                seq = seq.saturating_add(1);
                line = line.saturating_add(chunk.len() as u64);
                let (tx, rx) = channel();
                if order_tx.send(rx).is_err() || work_tx.send((chunk, tx)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for rx in order_rx {
            match rx.recv() {
                Ok(t) => {
                    if !write(t) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        reading.join().unwrap_or(Ok(()))
    })
}

fn worker<T, F>(work_rx: &Mutex<Receiver<(Chunk, Sender<T>)>>, work: &F)
where
    F: Fn(&Chunk) -> T,
{
    loop {
        let next = match work_rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match next {
            Ok((chunk, tx)) => {
                // A closed result channel means the writer stopped; keep
                // draining so the reader is never blocked forever.
                let _ = tx.send(work(&chunk));
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("{i}\n")).collect()
    }

    #[test]
    fn chunks_keep_line_numbers_and_strip_line_ends() {
        let text = "a\r\n\nb\nc";
        let mut r = text.as_bytes();
        let c1 = read_chunk(&mut r, 0, 1, 2).unwrap().unwrap();
        let got: Vec<_> = c1.lines().collect();
        assert_eq!(got, vec![(1, Ok(&b"a"[..])), (2, Ok(&b""[..]))]);
        let c2 = read_chunk(&mut r, 1, 3, 2).unwrap().unwrap();
        let got: Vec<_> = c2.lines().collect();
        assert_eq!(got, vec![(3, Ok(&b"b"[..])), (4, Ok(&b"c"[..]))]);
        assert!(read_chunk(&mut r, 2, 5, 2).unwrap().is_none());
    }

    #[test]
    fn over_long_lines_are_errors_and_reading_resumes_at_the_next_line() {
        // A small limit and a reader that hands out 3 bytes at a time, so
        // lines cross buffer refills.
        let text = "1234\n12345\r\n123456\n1234\r\n\n123456789";
        let mut r = std::io::BufReader::with_capacity(3, text.as_bytes());
        let c = read_chunk_capped(&mut r, 0, 1, 100, 5).unwrap().unwrap();
        let long = Err(TooLong { limit: 5 });
        let got: Vec<_> = c.lines().collect();
        assert_eq!(
            got,
            vec![
                (1, Ok(&b"1234"[..])),
                (2, Ok(&b"12345"[..])),
                (3, long),
                (4, Ok(&b"1234"[..])),
                (5, Ok(&b""[..])),
                (6, long),
            ]
        );
        assert_eq!(c.bytes(), text.len() as u64);
        // Nothing of the skipped lines is kept.
        assert_eq!(c.data.len(), "1234\n12345\r\n1234\r\n\n".len());
        assert!(read_chunk_capped(&mut r, 1, 7, 100, 5).unwrap().is_none());
    }

    #[test]
    fn blank_lines_are_whitespace_only() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \t "));
        assert!(!is_blank(b" {} "));
    }

    fn collect(jobs: usize, n: usize, max_lines: usize) -> Vec<u64> {
        let text = numbered(n);
        let mut out = Vec::new();
        map_ordered(
            text.as_bytes(),
            jobs,
            max_lines,
            |c| {
                // Uneven work so chunks finish out of order.
                if c.seq % 3 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                c.lines()
                    .map(|(no, l)| {
                        let v: u64 = std::str::from_utf8(l.unwrap()).unwrap().parse().unwrap();
                        assert_eq!(v, no);
                        v
                    })
                    .collect::<Vec<_>>()
            },
            |v| {
                out.extend(v);
                true
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn results_come_back_in_input_order() {
        let want: Vec<u64> = (1..=5000).collect();
        assert_eq!(collect(1, 5000, 64), want);
        assert_eq!(collect(2, 5000, 64), want);
        assert_eq!(collect(4, 5000, 7), want);
    }

    #[test]
    fn writer_can_stop_early() {
        let text = numbered(10_000);
        let mut chunks = 0;
        map_ordered(
            text.as_bytes(),
            2,
            10,
            |c| c.len(),
            |_| {
                chunks += 1;
                chunks < 3
            },
        )
        .unwrap();
        assert_eq!(chunks, 3);
    }
}
