//! LSP positions (0-based line, UTF-16 code units) to byte offsets and back.
//!
//! A line break is `\n`, `\r\n` or a lone `\r`, as in the rest of mfapol
//! ([`crate::source::LineIndex`]) and in the LSP specification. Positions
//! from the client are never trusted: a line past the end is the end of the
//! text, a character past the end of its line is the end of the line, and a
//! character inside a surrogate pair is the start of that character.

use lsp_types::{Position, Range};

use crate::source::Span;

/// Line starts of one text.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            let next = i.saturating_add(1);
            let breaks = match b {
                b'\n' => true,
                b'\r' => bytes.get(next) != Some(&b'\n'),
                _ => false,
            };
            if breaks {
                starts.push(next);
            }
        }
        Lines { starts }
    }

    /// The byte range of 0-based line `line`, without its line break.
    fn line_range(&self, text: &str, line: usize) -> (usize, usize) {
        let start = self.starts.get(line).copied().unwrap_or(text.len());
        let next = self
            .starts
            .get(line.saturating_add(1))
            .copied()
            .unwrap_or(text.len());
        let body = text.get(start..next).unwrap_or("");
        let trimmed = body.trim_end_matches(['\n', '\r']);
        (start, start.saturating_add(trimmed.len()))
    }

    /// The byte offset of an LSP position, clamped into the text.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let (start, end) = self.line_range(text, line);
        let want = pos.character as usize;
        let mut units = 0usize;
        for (i, c) in text.get(start..end).unwrap_or("").char_indices() {
            if units >= want {
                return start.saturating_add(i);
            }
            units = units.saturating_add(c.len_utf16());
            if units > want {
                // Inside a surrogate pair: the start of the character.
                return start.saturating_add(i);
            }
        }
        end
    }

    /// The LSP position of a byte offset (clamped into the text).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let units: usize = text
            .get(start..offset)
            .unwrap_or("")
            .chars()
            .map(char::len_utf16)
            .sum();
        Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: u32::try_from(units).unwrap_or(u32::MAX),
        }
    }

    /// The LSP range of a byte span.
    pub fn range(&self, text: &str, span: Span) -> Range {
        Range {
            start: self.position(text, span.start as usize),
            end: self.position(text, span.end as usize),
        }
    }

    /// The byte span of an LSP range (start and end clamped, in order).
    pub fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_columns_and_every_line_break() {
        // `é` is 2 bytes and 1 unit; `𝄞` is 4 bytes and 2 units.
        let t = "aé𝄞b\r\nx\ry\nz";
        let l = Lines::new(t);
        assert_eq!(l.offset(t, pos(0, 0)), 0);
        assert_eq!(l.offset(t, pos(0, 2)), 3);
        assert_eq!(l.offset(t, pos(0, 4)), 7);
        assert_eq!(l.offset(t, pos(0, 3)), 3, "inside a surrogate pair");
        assert_eq!(l.offset(t, pos(0, 99)), 8, "past the end of the line");
        assert_eq!(l.offset(t, pos(1, 0)), 10);
        assert_eq!(l.offset(t, pos(2, 0)), 12);
        assert_eq!(l.offset(t, pos(3, 1)), 15);
        assert_eq!(l.offset(t, pos(99, 0)), t.len());
        for off in [0, 1, 3, 7, 8, 10, 12, 14, 15] {
            assert_eq!(l.offset(t, l.position(t, off)), off, "{off}");
        }
        assert_eq!(l.position(t, 2), pos(0, 1), "inside `é`");
        assert_eq!(l.position(t, 999), pos(3, 1));
    }
}
