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

/// Consecutive lines of the input.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    /// 0-based position of the chunk in the input.
    pub seq: u64,
    /// 1-based number of the chunk's first line.
    pub first_line: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Chunk {
    /// The lines with their 1-based numbers, without `\n` or `\r\n`.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let mut start = 0;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let line = self.data.get(start..end).unwrap_or_default();
            start = end;
            (self.first_line + i as u64, trim_eol(line))
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

    /// How many bytes of input it holds (line ends included).
    pub fn bytes(&self) -> u64 {
        self.data.len() as u64
    }
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
    let mut chunk = Chunk {
        seq,
        first_line,
        ..Chunk::default()
    };
    while chunk.ends.len() < max_lines.max(1) && chunk.data.len() < CHUNK_BYTES {
        let n = reader.read_until(b'\n', &mut chunk.data)?;
        if n == 0 {
            break;
        }
        chunk.ends.push(chunk.data.len());
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
        let (mut seq, mut line) = (0, 1);
        while let Some(chunk) = read_chunk(&mut reader, seq, line, max_lines)? {
            seq += 1;
            line += chunk.len() as u64;
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
    let (order_tx, order_rx) = sync_channel::<Receiver<T>>(jobs * 2);
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| worker(&work_rx, &work));
        }
        let reading = s.spawn(move || -> io::Result<()> {
            let (mut seq, mut line) = (0, 1);
            while let Some(chunk) = read_chunk(&mut reader, seq, line, max_lines)? {
                seq += 1;
                line += chunk.len() as u64;
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
        assert_eq!(got, vec![(1, &b"a"[..]), (2, &b""[..])]);
        let c2 = read_chunk(&mut r, 1, 3, 2).unwrap().unwrap();
        let got: Vec<_> = c2.lines().collect();
        assert_eq!(got, vec![(3, &b"b"[..]), (4, &b"c"[..])]);
        assert!(read_chunk(&mut r, 2, 5, 2).unwrap().is_none());
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
                        let v: u64 = std::str::from_utf8(l).unwrap().parse().unwrap();
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
