//! Source files and byte spans.

use std::sync::{Arc, OnceLock};

/// A byte range in one source file. Small and `Copy`, attached to every syntax node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end.saturating_sub(self.start)) as usize
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        miette::SourceSpan::new((s.start as usize).into(), s.len())
    }
}

/// A named source text, stored once and shared.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics (usually the path).
    pub name: Arc<str>,
    /// The full text.
    pub text: Arc<str>,
    /// What makes two files one (a canonical path), when the reader knows
    /// it; otherwise the name. Includes are loaded and checked once per key.
    key: Option<Arc<str>>,
    /// Line starts, built on the first lookup and shared by clones.
    lines: Arc<OnceLock<LineIndex>>,
    /// The text miette renders: lone `\r` line breaks as `\n` (same
    /// offsets), since miette's snippet printer only splits at `\n`.
    shown: Arc<OnceLock<Arc<str>>>,
}

impl PartialEq for SourceFile {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.text == other.text
    }
}

impl Eq for SourceFile {}

impl SourceFile {
    /// Wraps a name and a text.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
            key: None,
            lines: Arc::default(),
            shown: Arc::default(),
        }
    }

    /// The same file, identified by `key` (say its canonical path) rather
    /// than its name: files reached by different relative paths
    /// (`a/../shared/t.mfapolicy`, `shared/t.mfapolicy`) are one.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<Arc<str>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The file's identity: its key if one was given, else its name.
    pub fn key(&self) -> &Arc<str> {
        self.key.as_ref().unwrap_or(&self.name)
    }

    /// The line index of the text (built once).
    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and column (in characters) of a byte offset, in
    /// O(log lines + line length).
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        self.lines().line_col(&self.text, offset as usize)
    }

    /// The text a span covers (empty if out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// A miette source for rendering a report against this file. Each
    /// lookup reads only the lines around the span (found through the line
    /// index), so rendering many diagnostics of a large file stays linear.
    pub fn named_source(&self) -> IndexedSource {
        let text = self.shown.get_or_init(|| {
            let bytes = self.text.as_bytes();
            let lone_cr = |i: usize| {
                bytes.get(i) == Some(&b'\r') && bytes.get(i.saturating_add(1)) != Some(&b'\n')
            };
            if !(0..bytes.len()).any(lone_cr) {
                return self.text.clone();
            }
            let mut out = String::with_capacity(self.text.len());
            for (i, c) in self.text.char_indices() {
                out.push(if lone_cr(i) { '\n' } else { c });
            }
            Arc::from(out)
        });
        IndexedSource {
            file: self.clone(),
            text: text.clone(),
        }
    }
}

/// A [`SourceFile`] as a miette source: spans are located through its
/// [`LineIndex`] instead of by scanning from the start of the file.
#[derive(Clone, Debug)]
pub struct IndexedSource {
    file: SourceFile,
    /// The file's text with lone `\r` as `\n` (byte offsets unchanged).
    text: Arc<str>,
}

impl miette::SourceCode for IndexedSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &'a str = &self.text;
        let index = self.file.lines();
        let start = span.offset().min(text.len());
        let end = span.offset().saturating_add(span.len()).min(text.len());
        // A window of whole lines around the span, one line wider on each
        // side than miette asks for; miette reads it as it reads a file.
        let first = index
            .line_of(start)
            .saturating_sub(context_lines_before.saturating_add(1));
        let last = index
            .line_of(end)
            .saturating_add(context_lines_after.saturating_add(2));
        let from = index.start(first).min(text.len());
        let to = index.start(last).min(text.len());
        let window = text.get(from..to).unwrap_or("");
        let local = miette::SourceSpan::new(span.offset().saturating_sub(from).into(), span.len());
        let got = miette::SourceCode::read_span(
            window,
            &local,
            context_lines_before,
            context_lines_after,
        )?;
        let data: &'a [u8] = got.data();
        let (line, column, line_count) = (got.line(), got.column(), got.line_count());
        let shifted = miette::SourceSpan::new(
            got.span().offset().saturating_add(from).into(),
            got.span().len(),
        );
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.file.name.to_string(),
            data,
            shifted,
            line.saturating_add(first),
            column,
            line_count.saturating_add(first),
        )))
    }
}

/// Whether byte `i` of `bytes` starts a line: it follows `\n`, or a `\r`
/// not followed by `\n`. `\n`, `\r\n` and a lone `\r` are each one line
/// break, as miette counts them when it renders a diagnostic.
fn breaks_before(bytes: &[u8], i: usize) -> bool {
    match i.checked_sub(1).and_then(|j| bytes.get(j)) {
        Some(b'\n') => true,
        Some(b'\r') => bytes.get(i) != Some(&b'\n'),
        _ => false,
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
/// Scans the text; for repeated lookups use [`LineIndex`] (or
/// [`SourceFile::line_col`]).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(text, offset)
}

/// Line starts of a text, for repeated line lookups in O(log n). A line
/// break is `\n`, `\r\n` or a lone `\r`, everywhere in mfapol (rule
/// names, diagnostics, JSON positions) and in miette's rendering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        starts.extend(
            memchr::memchr2_iter(b'\n', b'\r', bytes)
                .map(|i| i.saturating_add(1))
                .filter(|i| breaks_before(bytes, *i))
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX)),
        );
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: u32) -> usize {
        self.starts.partition_point(|s| *s <= offset).max(1)
    }

    /// 0-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.line(u32::try_from(offset).unwrap_or(u32::MAX))
            .saturating_sub(1)
    }

    /// Byte offset where 0-based line `i` starts (`u32::MAX` past the end).
    fn start(&self, i: usize) -> usize {
        self.starts.get(i).map_or(usize::MAX, |s| *s as usize)
    }

    /// 1-based line and column (in characters) of a byte offset in the
    /// text this index was built from.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        let line = self.line_of(offset);
        let start = self.start(line).min(offset);
        let col = text.get(start..offset).map_or(0, |s| s.chars().count());
        (line.saturating_add(1), col.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars() {
        let t = "ab\ncdé\nf";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 7), (2, 4));
        assert_eq!(line_col(t, 8), (3, 1));
        let idx = LineIndex::new(t);
        for off in 0..t.len() as u32 {
            assert_eq!(idx.line(off), line_col(t, off as usize).0, "{off}");
        }
    }

    #[test]
    fn cr_crlf_and_lf_are_each_one_line_break() {
        let t = "a\rb\r\nc\nd\r\re";
        let idx = LineIndex::new(t);
        let lines: Vec<usize> = (0..t.len() as u32).map(|o| idx.line(o)).collect();
        // a \r b \r \n c \n d \r \r e
        assert_eq!(lines, [1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 6]);
        assert_eq!(line_col(t, 2), (2, 1));
        assert_eq!(line_col(t, 10), (6, 1));
        assert_eq!(line_col(t, 99), (6, 2));
    }

    #[test]
    fn indexed_source_reads_spans_as_miette_reads_the_whole_text() {
        use miette::SourceCode;
        let text = "l1\nl2\r\nl3 xyz\nl4\n\nl6 é\nl7\nl8\n";
        let file = SourceFile::new("f", text);
        let indexed = file.named_source();
        for start in 0..text.len() {
            for len in [0, 1, 3] {
                if !text.is_char_boundary(start) || start + len > text.len() {
                    continue;
                }
                let span = miette::SourceSpan::new(start.into(), len);
                for ctx in [0, 1, 2] {
                    let want = text.read_span(&span, ctx, ctx).unwrap();
                    let got = indexed.read_span(&span, ctx, ctx).unwrap();
                    let at = format!("{start}+{len} ctx {ctx}");
                    assert_eq!(got.data(), want.data(), "{at}");
                    assert_eq!(got.span(), want.span(), "{at}");
                    assert_eq!(got.line(), want.line(), "{at}");
                    assert_eq!(got.column(), want.column(), "{at}");
                    assert_eq!(got.name(), Some("f"), "{at}");
                }
            }
        }
        // A lone `\r` is rendered as the line break it is.
        let cr = SourceFile::new("f", "a\rb\r\nc");
        let span = miette::SourceSpan::new(2.into(), 1);
        let shown = cr.named_source();
        let got = shown.read_span(&span, 0, 0).unwrap();
        assert_eq!((got.line(), got.data()), (1, &b"b"[..]));
    }
}
